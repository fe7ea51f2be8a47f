//! The timetable IR: one text format for every stage of compiling for a deterministic,
//! software-scheduled dataflow processor.
//!
//! - front: [`lexer`] (logos), the LALRPOP grammar, [`parse`] (names resolved into the
//!   arena IR with spans);
//! - IR: [`ir`] (module, functions, ops, values), [`types`], [`attr`], the op
//!   [`registry`], [`machine`] (typed pass attributes), [`layout`], [`effects`];
//! - back: [`print`] (canonical text);
//! - valid: [`verify`] (stage-aware), with [`diag`] for codespan-rendered diagnostics;
//! - targets: [`target`] (machine descriptions, built-ins in the same text form);
//! - infrastructure: [`pass`] (passes and pipelines), [`passes`], [`driver`].

pub mod arena;
mod ast;
pub mod attr;
pub mod codes;
pub mod diag;
pub mod driver;
pub mod effects;
pub mod generate;
pub mod ir;
pub mod layout;
pub mod lexer;
pub mod machine;
pub mod parse;
pub mod pass;
pub mod passes;
pub mod print;
pub mod registry;
pub mod span;
pub mod target;
pub mod types;
pub mod verify;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused)]
    grammar
);

pub use arena::{Arena, Handle};
pub use attr::{AttrValue, Attrs};
pub use diag::{Diagnostic, Diagnostics};
pub use ir::{Function, Module, Op, OpSpec, Stage, Value, ValueDef};
pub use registry::Opcode;
pub use span::{SourceFile, Span};
pub use target::Target;
pub use types::{Dim, ElemType, TensorType, Type};
