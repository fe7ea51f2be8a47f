//! Attributes against the registry's schemas. Besides an op's own attributes, machine ops
//! may carry the pass attributes (`at`, `unit`, `stream`; `mem` on buffer definitions),
//! and any op may carry discardable attributes whose key has a dot (`liveness.live_in`),
//! which tools add for people to read.

use crate::arena::Handle;
use crate::attr::{Attr, AttrValue, Attrs};
use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Arg, Function, Op, Stage};
use crate::machine::keys;
use crate::registry::{AttrKind, AttrSpec};
use crate::span::Span;
use crate::target::Target;

const SLOT_KEYS: &[&str] = &[keys::AT, keys::UNIT, keys::STREAM];
const ARG_KEYS: &[&str] = &[keys::ROLE, keys::MEM, keys::TENSOR];

fn is_discardable(key: &str) -> bool {
    key.contains('.')
}

fn kind_ok(kind: AttrKind, value: &AttrValue) -> bool {
    match kind {
        AttrKind::Int => value.as_int().is_some(),
        AttrKind::Index => value.as_u64().is_some(),
        AttrKind::Bool => value.as_bool().is_some(),
        AttrKind::Number => value.as_f64().is_some(),
        AttrKind::Str => value.as_str().is_some(),
        AttrKind::IntArray => value.as_int_array().is_some(),
        AttrKind::Dense => value.as_dense().is_some(),
    }
}

pub(super) fn check(
    func: &Function,
    handle: Handle<Op>,
    stage: Stage,
    target: &Target,
    diags: &mut Diagnostics,
) {
    let op = func.op(handle);
    let def = op.def();
    let span = func.op_span(handle);
    let defines_buffer = op.results.iter().any(|&r| func.ty(r).is_mem());
    let schedulable = def.unit.is_some();
    for spec in def.attrs.iter().filter(|s| s.required) {
        if !op.attrs.contains(spec.name) {
            diags.push(
                Diagnostic::error(
                    codes::MISSING_ATTR,
                    format!("`{}` needs attribute `{}`", def.name, spec.name),
                )
                .primary(
                    span,
                    format!("add `{} = ...` ({})", spec.name, spec.kind.describe()),
                ),
            );
        }
    }
    for attr in op.attrs.iter() {
        let key = attr.key.as_str();
        let at = if attr.span.is_dummy() {
            span
        } else {
            attr.span
        };
        if let Some(spec) = def.attr(key) {
            check_kind(spec, attr, at, def.name, diags);
        } else if key == keys::TENSOR && defines_buffer {
            if attr.value.as_type().and_then(|t| t.as_tensor()).is_none() {
                diags.push(kind_error(key, "a tensor type", at, def.name));
            }
        } else if key == keys::MEM && defines_buffer {
            // Checked with the other placements.
        } else if SLOT_KEYS.contains(&key) && schedulable && stage.is_machine() {
            // Checked by the schedule rules.
        } else if !is_discardable(key) {
            diags.push(unknown(
                key,
                at,
                def.name,
                def.attrs,
                defines_buffer,
                schedulable,
            ));
        }
    }
    let _ = target;
}

pub(super) fn check_arg(func: &Function, arg: &Arg, stage: Stage, diags: &mut Diagnostics) {
    let span = func.value_span(arg.value);
    for attr in arg.attrs.iter() {
        let key = attr.key.as_str();
        let at = if attr.span.is_dummy() {
            span
        } else {
            attr.span
        };
        let allowed = stage.is_machine() && ARG_KEYS.contains(&key);
        if !allowed && !is_discardable(key) {
            diags.push(
                Diagnostic::error(codes::UNKNOWN_ATTR, format!("unknown argument attribute `{key}`"))
                    .primary(at, "not understood here")
                    .note(if stage.is_machine() {
                        "buffer arguments take `role`, `mem` and `tensor`; keys with a `.` are free-form".to_string()
                    } else {
                        "tensor-level arguments take only free-form keys (with a `.`)".to_string()
                    }),
            );
        }
    }
    if let Some(t) = arg.attrs.entry(keys::TENSOR)
        && t.value.as_type().and_then(|t| t.as_tensor()).is_none()
    {
        diags.push(kind_error(
            keys::TENSOR,
            "a tensor type",
            t.span,
            "a buffer argument",
        ));
    }
}

fn check_kind(spec: &AttrSpec, attr: &Attr, span: Span, op: &str, diags: &mut Diagnostics) {
    if !kind_ok(spec.kind, &attr.value) {
        diags.push(kind_error(spec.name, spec.kind.describe(), span, op));
    }
}

fn kind_error(key: &str, want: &str, span: Span, op: &str) -> Diagnostic {
    Diagnostic::error(
        codes::ATTR_KIND,
        format!("attribute `{key}` of `{op}` must be {want}"),
    )
    .primary(span, "here")
}

fn unknown(
    key: &str,
    span: Span,
    op: &str,
    specs: &[AttrSpec],
    buffer: bool,
    schedulable: bool,
) -> Diagnostic {
    let mut known: Vec<&str> = specs.iter().map(|s| s.name).collect();
    if buffer {
        known.extend([keys::MEM, keys::TENSOR]);
    }
    if schedulable {
        known.extend(SLOT_KEYS);
    }
    let known = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    Diagnostic::error(
        codes::UNKNOWN_ATTR,
        format!("`{op}` has no attribute `{key}`"),
    )
    .primary(span, "unknown attribute")
    .note(format!(
        "`{op}` understands: {known}; keys with a `.` are free-form"
    ))
}

/// The span to point at for an attribute, falling back to a given span.
pub(super) fn attr_span(attrs: &Attrs, key: &str, fallback: Span) -> Span {
    attrs
        .span_of(key)
        .filter(|s| !s.is_dummy())
        .unwrap_or(fallback)
}
