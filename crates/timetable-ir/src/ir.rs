//! The in-memory IR: a module of functions; each function owns arenas of values and ops
//! (with spans) and a body listing its ops in program order.

use crate::arena::{Arena, Handle};
use crate::attr::Attrs;
use crate::registry::{OpDef, Opcode};
use crate::span::Span;
use crate::target::Target;
use crate::types::Type;
use std::collections::HashSet;
use std::fmt;

/// How far compilation has progressed. Each stage adds invariants the verifier checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Tensor-level ops on shaped tensors.
    Tensor,
    /// Machine-level ops on vectors and buffers.
    Machine,
    /// Machine level, and every buffer has a placement.
    Allocated,
    /// Allocated, and every unit op has an issue cycle, a unit and its streams.
    Scheduled,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Tensor,
        Stage::Machine,
        Stage::Allocated,
        Stage::Scheduled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Tensor => "tensor",
            Stage::Machine => "machine",
            Stage::Allocated => "allocated",
            Stage::Scheduled => "scheduled",
        }
    }

    pub fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn is_machine(self) -> bool {
        self >= Stage::Machine
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A named thing with the span of its name.
#[derive(Clone, Debug)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

impl Name {
    pub fn new(text: impl Into<String>, span: Span) -> Self {
        Name {
            text: text.into(),
            span,
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A source location carried from a front end: `loc("file.py":12:3)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
}

/// A compilation unit: functions (one per shape bucket) for one target.
///
/// Equality ignores spans throughout, so a module equals its own reparsed printout.
#[derive(Clone, Debug)]
pub struct Module {
    pub name: Name,
    /// The target's name, resolved against inline targets, target files and built-ins.
    pub target: Name,
    pub stage: Stage,
    /// Targets defined in the same file.
    pub targets: Vec<Target>,
    pub functions: Vec<Function>,
    pub span: Span,
}

impl Module {
    pub fn new(name: &str, target: &str, stage: Stage) -> Self {
        Module {
            name: Name::new(name, Span::DUMMY),
            target: Name::new(target, Span::DUMMY),
            stage,
            targets: Vec::new(),
            functions: Vec::new(),
            span: Span::DUMMY,
        }
    }

    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name.text == name)
    }

    pub fn op_count(&self) -> usize {
        self.functions.iter().map(|f| f.body.len()).sum()
    }
}

impl PartialEq for Module {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.target == other.target
            && self.stage == other.stage
            && self.targets == other.targets
            && self.functions == other.functions
    }
}

/// Where a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueDef {
    Arg(usize),
    Result { op: Handle<Op>, index: usize },
}

/// An SSA value.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The name without `%`.
    pub name: String,
    pub ty: Type,
    pub def: ValueDef,
}

/// An op: registry entry, operands, results and attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub opcode: Opcode,
    pub operands: Vec<Handle<Value>>,
    pub results: Vec<Handle<Value>>,
    pub attrs: Attrs,
    pub loc: Option<Loc>,
}

impl Op {
    pub fn def(&self) -> &'static OpDef {
        self.opcode.def()
    }
}

/// A function argument: its value and its attributes (role, placement, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub value: Handle<Value>,
    pub attrs: Attrs,
}

/// One function: one shape bucket of a model.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: Name,
    pub args: Vec<Arg>,
    pub results: Vec<Type>,
    pub attrs: Attrs,
    pub values: Arena<Value>,
    pub ops: Arena<Op>,
    /// The ops in program order. Ops in the arena but not here are dead storage.
    pub body: Vec<Handle<Op>>,
    pub span: Span,
}

impl Function {
    pub fn new(name: &str, results: Vec<Type>) -> Self {
        Function {
            name: Name::new(name, Span::DUMMY),
            args: Vec::new(),
            results,
            attrs: Attrs::new(),
            values: Arena::new(),
            ops: Arena::new(),
            body: Vec::new(),
            span: Span::DUMMY,
        }
    }

    pub fn value(&self, v: Handle<Value>) -> &Value {
        &self.values[v]
    }

    pub fn ty(&self, v: Handle<Value>) -> &Type {
        &self.values[v].ty
    }

    pub fn op(&self, op: Handle<Op>) -> &Op {
        &self.ops[op]
    }

    /// The ops in program order.
    pub fn body_ops(&self) -> impl ExactSizeIterator<Item = (Handle<Op>, &Op)> {
        self.body.iter().map(|&h| (h, &self.ops[h]))
    }

    pub fn add_arg(&mut self, name: &str, ty: Type, attrs: Attrs, span: Span) -> Handle<Value> {
        let def = ValueDef::Arg(self.args.len());
        let value = self.values.append(
            Value {
                name: name.to_string(),
                ty,
                def,
            },
            span,
        );
        self.args.push(Arg { value, attrs });
        value
    }

    /// Creates an op with fresh result values, without placing it in the body.
    pub fn create_op(&mut self, spec: OpSpec, span: Span) -> Handle<Op> {
        let op = self.ops.append(
            Op {
                opcode: spec.opcode,
                operands: spec.operands,
                results: Vec::new(),
                attrs: spec.attrs,
                loc: spec.loc,
            },
            span,
        );
        let results = spec
            .results
            .into_iter()
            .enumerate()
            .map(|(index, (name, ty))| {
                let def = ValueDef::Result { op, index };
                self.values.append(Value { name, ty, def }, span)
            })
            .collect();
        self.ops[op].results = results;
        op
    }

    /// Creates an op and appends it to the body.
    pub fn push_op(&mut self, spec: OpSpec, span: Span) -> Handle<Op> {
        let op = self.create_op(spec, span);
        self.body.push(op);
        op
    }

    /// The span of an op (the whole op text).
    pub fn op_span(&self, op: Handle<Op>) -> Span {
        self.ops.span(op)
    }

    /// The span where a value is defined (its name).
    pub fn value_span(&self, v: Handle<Value>) -> Span {
        self.values.span(v)
    }

    /// A name generator that avoids every name already used in this function.
    pub fn namer(&self) -> Namer {
        Namer {
            used: self.values.iter().map(|(_, v)| v.name.clone()).collect(),
            next: 0,
        }
    }
}

impl PartialEq for Function {
    /// Compares what the function computes as printed: the ops in body order, not the
    /// arena slots that hold them.
    fn eq(&self, other: &Self) -> bool {
        let values = |f: &Function| -> Vec<(String, Type)> {
            f.args
                .iter()
                .map(|a| a.value)
                .chain(f.body_ops().flat_map(|(_, op)| op.results.iter().copied()))
                .map(|v| (f.value(v).name.clone(), f.value(v).ty.clone()))
                .collect()
        };
        type OpText = (Opcode, Vec<String>, Vec<String>, Attrs, Option<Loc>);
        let ops = |f: &Function| -> Vec<OpText> {
            let name = |v: &Handle<Value>| f.value(*v).name.clone();
            f.body_ops()
                .map(|(_, op)| {
                    let operands = op.operands.iter().map(name).collect();
                    let results = op.results.iter().map(name).collect();
                    (
                        op.opcode,
                        operands,
                        results,
                        op.attrs.clone(),
                        op.loc.clone(),
                    )
                })
                .collect()
        };
        self.name == other.name
            && self.results == other.results
            && self.attrs == other.attrs
            && self
                .args
                .iter()
                .map(|a| &a.attrs)
                .eq(other.args.iter().map(|a| &a.attrs))
            && values(self) == values(other)
            && ops(self) == ops(other)
    }
}

/// What a new op is made of; results are `(name, type)` pairs.
#[derive(Clone, Debug)]
pub struct OpSpec {
    pub opcode: Opcode,
    pub operands: Vec<Handle<Value>>,
    pub results: Vec<(String, Type)>,
    pub attrs: Attrs,
    pub loc: Option<Loc>,
}

impl OpSpec {
    pub fn new(opcode: Opcode) -> Self {
        OpSpec {
            opcode,
            operands: Vec::new(),
            results: Vec::new(),
            attrs: Attrs::new(),
            loc: None,
        }
    }

    pub fn operands(mut self, operands: impl IntoIterator<Item = Handle<Value>>) -> Self {
        self.operands.extend(operands);
        self
    }

    pub fn result(mut self, name: impl Into<String>, ty: Type) -> Self {
        self.results.push((name.into(), ty));
        self
    }

    pub fn attr(mut self, key: &str, value: impl Into<crate::attr::AttrValue>) -> Self {
        self.attrs.set(key, value);
        self
    }

    pub fn loc(mut self, loc: Option<Loc>) -> Self {
        self.loc = loc;
        self
    }
}

/// Generates value names `%0`, `%1`, ... that no other value in the function uses.
#[derive(Clone, Debug)]
pub struct Namer {
    used: HashSet<String>,
    next: u64,
}

impl Namer {
    pub fn fresh(&mut self) -> String {
        loop {
            let name = self.next.to_string();
            self.next += 1;
            if self.used.insert(name.clone()) {
                return name;
            }
        }
    }

    /// `base` itself if unused, else `base.1`, `base.2`, ...
    pub fn fresh_like(&mut self, base: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        (1u64..)
            .map(|i| format!("{base}.{i}"))
            .find(|n| self.used.insert(n.clone()))
            .expect("some suffix is free")
    }
}
