//! Text to IR: lex and parse (logos + LALRPOP) into a syntax tree, then resolve names into
//! the arena IR. Syntax errors are collected with recovery at op granularity; name and
//! signature errors are all reported in one run.

use crate::arena::Handle;
use crate::ast;
use crate::attr::Attrs;
use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::grammar::FileParser;
use crate::ir::{Function, Module, Name, OpSpec, Stage, Value, ValueDef};
use crate::lexer::{Lexer, SyntaxError, Tok};
use crate::registry::Opcode;
use crate::span::{SourceFile, Span};
use crate::target::Target;
use lalrpop_util::ParseError;
use rustc_hash::FxHashMap;

/// Everything one file holds: target definitions and at most one module.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    pub targets: Vec<Target>,
    pub module: Option<Module>,
}

/// Parses a file that must hold a module (and may define targets before it).
pub fn parse_module(source: &SourceFile) -> Result<Module, Diagnostics> {
    let parsed = parse_file(source)?;
    parsed.module.ok_or_else(|| {
        vec![
            Diagnostic::error(codes::NO_MODULE, "the file has no `module`").primary(
                Span::new(0, source.text.len().min(1)),
                "expected `module @name target @t stage s { ... }`",
            ),
        ]
    })
}

/// Parses a target file: one or more `target @name { ... }` definitions.
pub fn parse_target_file(source: &SourceFile) -> Result<Vec<Target>, Diagnostics> {
    Ok(parse_file(source)?.targets)
}

/// Parses any file.
pub fn parse_file(source: &SourceFile) -> Result<ParsedFile, Diagnostics> {
    let file = parse_syntax(&source.text)?;
    let mut diags = Vec::new();
    let mut targets = Vec::new();
    for t in &file.targets {
        match target_from_def(t) {
            Ok(target) => targets.push((target, t.name.span)),
            Err(mut errs) => diags.append(&mut errs),
        }
    }
    for (i, (t, span)) in targets.iter().enumerate() {
        if let Some((_, first)) = targets[..i].iter().find(|(u, _)| u.name == t.name) {
            diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_TARGET,
                    format!("target `@{}` is defined twice", t.name),
                )
                .primary(*span, "defined again here")
                .secondary(*first, "first defined here"),
            );
        }
    }
    let targets: Vec<Target> = targets.into_iter().map(|(t, _)| t).collect();
    let module = match file.module {
        Some(m) => match resolve_module(m, targets.clone()) {
            Ok(m) => Some(m),
            Err(mut errs) => {
                diags.append(&mut errs);
                None
            }
        },
        None => None,
    };
    if diags.is_empty() {
        Ok(ParsedFile { targets, module })
    } else {
        Err(diags)
    }
}

fn target_from_def(def: &ast::TargetDef) -> Result<Target, Diagnostics> {
    let attrs = attrs_from_entries(&def.entries)?;
    Target::from_attrs(&def.name.node, def.name.span, &attrs)
}

// ---- syntax -------------------------------------------------------------------------

fn parse_syntax(text: &str) -> Result<ast::File<'_>, Diagnostics> {
    let mut recovered = Vec::new();
    let result = FileParser::new().parse(&mut recovered, Lexer::new(text));
    let mut errors: Vec<ParseError<usize, Tok<'_>, SyntaxError>> =
        recovered.into_iter().map(|r| r.error).collect();
    let file = match result {
        Ok(file) => Some(file),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if errors.is_empty() {
        return Ok(file.expect("no errors means a tree"));
    }
    // After an error, recovery may trip over the rest of the same line; one error per
    // line is what a person wants to read.
    let mut seen_lines = std::collections::HashSet::new();
    let mut diags = Vec::new();
    for e in errors {
        let d = syntax_diagnostic(e, text);
        let start = d.primary_span().map_or(0, |s| s.start as usize);
        let line = text[..start.min(text.len())].matches('\n').count();
        if seen_lines.insert(line) {
            diags.push(d);
        }
    }
    Err(diags)
}

fn describe_expected(expected: &[String]) -> String {
    let names: Vec<String> = expected
        .iter()
        .map(|e| match e.as_str() {
            "value_id" => "a value (`%name`)".to_string(),
            "symbol" => "a symbol (`@name`)".to_string(),
            "ident" => "a name".to_string(),
            "type_lit" => "a type".to_string(),
            "int" => "an integer".to_string(),
            "float" => "a float".to_string(),
            "string" => "a string".to_string(),
            quoted => format!("`{}`", quoted.trim_matches('"')),
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("expected {one}"),
        many if many.len() <= 6 => format!("expected one of {}", many.join(", ")),
        many => format!("expected one of {}, ...", many[..6].join(", ")),
    }
}

fn syntax_diagnostic(e: ParseError<usize, Tok<'_>, SyntaxError>, text: &str) -> Diagnostic {
    match e {
        ParseError::InvalidToken { location } => {
            Diagnostic::error(codes::INVALID_TOKEN, "invalid token")
                .primary(Span::new(location, location + 1), "here")
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let at = Span::new(location.saturating_sub(1), location.max(1).min(text.len()));
            Diagnostic::error(codes::UNEXPECTED_EOF, "unexpected end of file")
                .primary(at, describe_expected(&expected))
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => Diagnostic::error(codes::UNEXPECTED_TOKEN, format!("unexpected {tok}"))
            .primary(Span::new(l, r), describe_expected(&expected)),
        ParseError::ExtraToken { token: (l, tok, r) } => Diagnostic::error(
            codes::UNEXPECTED_TOKEN,
            format!("unexpected {tok} after the module"),
        )
        .primary(Span::new(l, r), "nothing may follow the module"),
        ParseError::User { error } => {
            let label = if error.label.is_empty() {
                "here".to_string()
            } else {
                error.label
            };
            let mut d = Diagnostic::error(error.code, error.message).primary(error.span, label);
            if let Some((span, message)) = error.other {
                d = d.secondary(span, message);
            }
            d
        }
    }
}

// ---- resolution ---------------------------------------------------------------------

fn attrs_from_entries(entries: &[ast::Entry]) -> Result<Attrs, Diagnostics> {
    let mut attrs = Attrs::new();
    let mut diags = Vec::new();
    for e in entries {
        if let Some(first) = attrs.span_of(&e.key.node) {
            let err = ast::duplicate_key(&e.key, first);
            diags.push(syntax_diagnostic(ParseError::User { error: err }, ""));
            continue;
        }
        attrs.set_spanned(&e.key.node, e.value.clone(), e.span);
    }
    if diags.is_empty() {
        Ok(attrs)
    } else {
        Err(diags)
    }
}

fn resolve_module(m: ast::ModuleDef<'_>, targets: Vec<Target>) -> Result<Module, Diagnostics> {
    let mut diags = Vec::new();
    let stage = Stage::from_name(&m.stage.node).unwrap_or_else(|| {
        diags.push(
            Diagnostic::error(
                codes::UNKNOWN_STAGE,
                format!("unknown stage `{}`", m.stage.node),
            )
            .primary(
                m.stage.span,
                "expected `tensor`, `machine`, `allocated` or `scheduled`",
            ),
        );
        Stage::Tensor
    });
    let mut functions = Vec::new();
    for f in m.functions {
        match resolve_function(f) {
            Ok(f) => functions.push(f),
            Err(mut errs) => diags.append(&mut errs),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Module {
        name: Name::new(m.name.node, m.name.span),
        target: Name::new(m.target.node, m.target.span),
        stage,
        targets,
        functions,
        span: m.span,
    })
}

/// Resolves one function: every use must follow its definition, names are unique, op
/// names are registered, and the written signature matches the operands' types.
fn resolve_function<'s>(f: ast::FuncDef<'s>) -> Result<Function, Diagnostics> {
    let mut diags = Vec::new();
    let mut func = Function::new(
        &f.name.node,
        f.results.iter().map(|t| t.node.clone()).collect(),
    );
    func.name.span = f.name.span;
    func.span = f.span;
    func.attrs = attrs_from_entries(&f.attrs).unwrap_or_else(|mut e| {
        diags.append(&mut e);
        Attrs::new()
    });

    let mut scope: FxHashMap<&'s str, Handle<Value>> = FxHashMap::default();
    // Every name defined anywhere in the function, built on the first undefined use to
    // say "defined here, after its use".
    let mut all_defs: Option<FxHashMap<&'s str, Span>> = None;

    for arg in &f.args {
        let attrs = attrs_from_entries(&arg.attrs).unwrap_or_else(|mut e| {
            diags.append(&mut e);
            Attrs::new()
        });
        let v = func.add_arg(arg.name.node, arg.ty.node.clone(), attrs, arg.name.span);
        define(&mut scope, &arg.name, v, &func, &mut diags);
    }

    for op in &f.ops {
        let opcode = Opcode::from_name(op.name.node);
        if opcode.is_none() {
            let mut d =
                Diagnostic::error(codes::UNKNOWN_OP, format!("unknown op `{}`", op.name.node))
                    .primary(op.name.span, "not a registered op");
            if let Some(near) = nearest_op_name(op.name.node) {
                d = d.note(format!("did you mean `{near}`?"));
            }
            diags.push(d);
        }
        let mut operands = Vec::new();
        for name in &op.operands {
            match scope.get(name.node) {
                Some(&v) => operands.push(v),
                None => {
                    let mut d = Diagnostic::error(
                        codes::UNDEFINED_VALUE,
                        format!("use of undefined value `%{}`", name.node),
                    )
                    .primary(name.span, "not defined before this use");
                    let defs = all_defs.get_or_insert_with(|| {
                        f.ops
                            .iter()
                            .flat_map(|o| &o.results)
                            .map(|r| (r.node, r.span))
                            .collect()
                    });
                    if let Some(&def) = defs.get(name.node) {
                        d = d.secondary(def, "defined here, after its use");
                    }
                    diags.push(d);
                }
            }
        }
        let sig_ok = check_signature(op, &operands, &func, &mut diags);
        let attrs = attrs_from_entries(&op.attrs).unwrap_or_else(|mut e| {
            diags.append(&mut e);
            Attrs::new()
        });
        let (Some(opcode), true) = (opcode, sig_ok && operands.len() == op.operands.len()) else {
            // Keep the results' names in scope so later uses do not cascade into errors.
            for r in &op.results {
                scope.entry(r.node).or_insert_with(|| {
                    func.values.append(
                        Value {
                            name: r.node.to_string(),
                            ty: crate::types::Type::Vec(crate::types::ElemType::F32),
                            def: ValueDef::Arg(usize::MAX),
                        },
                        r.span,
                    )
                });
            }
            continue;
        };
        let spec = OpSpec {
            opcode,
            operands,
            results: op
                .results
                .iter()
                .zip(&op.result_types)
                .map(|(n, t)| (n.node.to_string(), t.node.clone()))
                .collect(),
            attrs,
            loc: op.loc.clone(),
        };
        let handle = func.push_op(spec, op.span);
        let results = func.ops[handle].results.clone();
        for (name, v) in op.results.iter().zip(results) {
            func.values.set_span(v, name.span);
            define(&mut scope, name, v, &func, &mut diags);
        }
    }
    if diags.is_empty() {
        Ok(func)
    } else {
        Err(diags)
    }
}

/// Brings a definition into scope, reporting a duplicate name with both places.
fn define<'s>(
    scope: &mut FxHashMap<&'s str, Handle<Value>>,
    name: &ast::Spanned<&'s str>,
    value: Handle<Value>,
    func: &Function,
    diags: &mut Diagnostics,
) {
    if let Some(&prev) = scope.get(name.node) {
        diags.push(
            Diagnostic::error(
                codes::DUPLICATE_VALUE,
                format!("value `%{}` is defined twice", name.node),
            )
            .primary(name.span, "defined again here")
            .secondary(func.value_span(prev), "first defined here"),
        );
    } else {
        scope.insert(name.node, value);
    }
}

/// The written signature must list one type per operand and per result, and each operand
/// type must be the type of the value passed.
fn check_signature(
    op: &ast::OpDef<'_>,
    operands: &[Handle<Value>],
    func: &Function,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    if op.operand_types.len() != op.operands.len() {
        diags.push(
            Diagnostic::error(
                codes::OPERAND_COUNT,
                format!(
                    "`{}` has {} operand(s) but its signature lists {} type(s)",
                    op.name.node,
                    op.operands.len(),
                    op.operand_types.len()
                ),
            )
            .primary(op.span, "operands and signature disagree"),
        );
        ok = false;
    } else if operands.len() == op.operands.len() {
        for ((&v, written), name) in operands.iter().zip(&op.operand_types).zip(&op.operands) {
            let actual = func.ty(v);
            if *actual != written.node {
                diags.push(
                    Diagnostic::error(
                        codes::SIGNATURE_MISMATCH,
                        format!(
                            "`%{}` has type `{actual}`, but the signature says `{}`",
                            name.node, written.node
                        ),
                    )
                    .primary(written.span, format!("expected `{actual}`"))
                    .secondary(func.value_span(v), format!("`%{}` defined here", name.node)),
                );
                ok = false;
            }
        }
    }
    if op.result_types.len() != op.results.len() {
        diags.push(
            Diagnostic::error(
                codes::RESULT_COUNT,
                format!(
                    "`{}` names {} result(s) but its signature lists {} result type(s)",
                    op.name.node,
                    op.results.len(),
                    op.result_types.len()
                ),
            )
            .primary(op.span, "results and signature disagree"),
        );
        ok = false;
    }
    ok
}

/// The registered op name closest to a misspelt one, if any is close.
fn nearest_op_name(name: &str) -> Option<&'static str> {
    Opcode::ALL
        .iter()
        .map(|op| (edit_distance(name, op.name()), op.name()))
        .filter(|&(d, _)| d <= 3)
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
