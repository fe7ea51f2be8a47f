//! The syntax tree the grammar produces: names are still text. `parse` resolves it into
//! the arena IR.

use crate::attr::AttrValue;
use crate::ir::Loc;
use crate::span::Span;
use crate::types::Type;

#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, l: usize, r: usize) -> Self {
        Spanned {
            node,
            span: Span::new(l, r),
        }
    }
}

/// One `key = value` entry of a dictionary.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Spanned<String>,
    pub value: AttrValue,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct File<'s> {
    pub targets: Vec<TargetDef>,
    pub module: Option<ModuleDef<'s>>,
}

#[derive(Clone, Debug)]
pub struct TargetDef {
    pub name: Spanned<String>,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
pub struct ModuleDef<'s> {
    pub name: Spanned<String>,
    pub target: Spanned<String>,
    pub stage: Spanned<String>,
    pub functions: Vec<FuncDef<'s>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FuncDef<'s> {
    pub name: Spanned<String>,
    pub args: Vec<ArgDef<'s>>,
    pub results: Vec<Spanned<Type>>,
    pub attrs: Vec<Entry>,
    pub ops: Vec<OpDef<'s>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ArgDef<'s> {
    pub name: Spanned<&'s str>,
    pub ty: Spanned<Type>,
    pub attrs: Vec<Entry>,
}

/// Value names borrow from the source: a large module parses without a string
/// allocation per use.
#[derive(Clone, Debug)]
pub struct OpDef<'s> {
    pub results: Vec<Spanned<&'s str>>,
    pub name: Spanned<&'s str>,
    pub operands: Vec<Spanned<&'s str>>,
    pub attrs: Vec<Entry>,
    pub operand_types: Vec<Spanned<Type>>,
    pub result_types: Vec<Spanned<Type>>,
    pub loc: Option<Loc>,
    pub span: Span,
}

/// A dense literal as written: nested lists of numbers.
#[derive(Clone, Debug)]
pub enum DenseTree {
    Leaf(crate::attr::Number),
    List(Vec<DenseTree>),
}

type Recovered<'s> = lalrpop_util::ErrorRecovery<usize, crate::lexer::Tok<'s>, SyntaxError>;

use crate::lexer::SyntaxError;

fn push_error(errors: &mut Vec<Recovered<'_>>, error: SyntaxError) {
    errors.push(lalrpop_util::ErrorRecovery {
        error: lalrpop_util::ParseError::User { error },
        dropped_tokens: Vec::new(),
    });
}

/// Builds a nested dictionary, reporting duplicate keys with both places.
pub fn nested_dict(
    entries: Vec<Entry>,
    errors: &mut Vec<Recovered<'_>>,
) -> std::collections::BTreeMap<String, AttrValue> {
    let mut map = std::collections::BTreeMap::new();
    let mut spans = std::collections::HashMap::new();
    for e in entries {
        if let Some(&first) = spans.get(&e.key.node) {
            push_error(errors, duplicate_key(&e.key, first));
            continue;
        }
        spans.insert(e.key.node.clone(), e.key.span);
        map.insert(e.key.node, e.value);
    }
    map
}

/// The error for a key written twice in one dictionary.
pub fn duplicate_key(key: &Spanned<String>, first: Span) -> SyntaxError {
    let mut err = SyntaxError::new(
        crate::codes::DUPLICATE_KEY,
        key.span,
        format!("attribute `{}` is given twice", key.node),
    );
    err.label = "written again here".into();
    err.other = Some((first, "first written here".into()));
    err
}

/// Flattens a dense literal into row-major numbers and a shape; ragged lists are errors.
pub fn dense(tree: DenseTree, span: Span, errors: &mut Vec<Recovered<'_>>) -> crate::attr::Dense {
    fn shape_of(tree: &DenseTree) -> Option<Vec<usize>> {
        match tree {
            DenseTree::Leaf(_) => Some(Vec::new()),
            DenseTree::List(items) => {
                let inner = match items.first() {
                    None => Vec::new(),
                    Some(first) => shape_of(first)?,
                };
                for item in items {
                    if shape_of(item)? != inner {
                        return None;
                    }
                }
                Some(std::iter::once(items.len()).chain(inner).collect())
            }
        }
    }
    fn flatten(tree: DenseTree, out: &mut Vec<crate::attr::Number>) {
        match tree {
            DenseTree::Leaf(n) => out.push(n),
            DenseTree::List(items) => items.into_iter().for_each(|t| flatten(t, out)),
        }
    }
    let Some(shape) = shape_of(&tree) else {
        push_error(
            errors,
            SyntaxError::new(
                crate::codes::INVALID_LITERAL,
                span,
                "dense constant is ragged: every list at one depth must have the same length",
            ),
        );
        return crate::attr::Dense {
            shape: vec![0],
            values: Vec::new(),
        };
    };
    let mut values = Vec::new();
    flatten(tree, &mut values);
    crate::attr::Dense { shape, values }
}
