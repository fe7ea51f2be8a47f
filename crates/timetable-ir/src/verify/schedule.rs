//! Issue slots of a scheduled module, op by op: every unit op has an issue cycle, a unit
//! of the right class that exists on the target (memory ops: the slice holding their
//! buffer; MXM ops: the MXM holding their plane), and one well-formed stream group per
//! vector result. Timing between ops (operands arriving in the cycle they are read, one
//! producer per stream slot, bank conflicts) is the schedule checker's job.

use super::attrs::attr_span;
use crate::attr::AttrValue;
use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::Function;
use crate::machine::{self, Slot, keys};
use crate::registry::UnitClass;
use crate::target::{Target, UnitId};
use crate::types::Type;

pub(super) fn check(func: &Function, target: &Target, diags: &mut Diagnostics) {
    for (h, op) in func.body_ops() {
        let def = op.def();
        let Some(class) = def.unit else { continue };
        let span = func.op_span(h);
        let slot = match Slot::read(op) {
            Ok(Some(slot)) => slot,
            Ok(None) => {
                diags.push(
                    Diagnostic::error(codes::MISSING_SLOT, format!("`{}` has no issue slot", def.name))
                        .primary(span, "a `scheduled` module gives every unit op `at`, `unit` and its result streams"),
                );
                continue;
            }
            Err(e) => {
                diags.push(Diagnostic::error(codes::MISSING_SLOT, e).primary(span, "in this op"));
                continue;
            }
        };
        let unit_span = attr_span(&op.attrs, keys::UNIT, span);
        // `icu` ops are instructions of whichever queue they delay.
        let class_ok = class == UnitClass::Icu || slot.unit.class == class;
        if !class_ok || target.position(slot.unit).is_none() {
            diags.push(
                Diagnostic::error(
                    codes::BAD_UNIT,
                    format!("`{}` cannot run on `{}`", def.name, slot.unit),
                )
                .primary(
                    unit_span,
                    format!(
                        "needs one of the {} `{class}` units of `@{}`",
                        target.unit_count(class),
                        target.name
                    ),
                ),
            );
            continue;
        }
        if let Some(expected) = required_unit(func, op, target)
            && expected != slot.unit
        {
            diags.push(
                Diagnostic::error(codes::BAD_UNIT, format!("`{}` must run on `{expected}`, not `{}`", def.name, slot.unit))
                    .primary(unit_span, "wrong unit")
                    .note("memory ops run on the slice that holds their buffer; MXM ops on the MXM that holds their plane"),
            );
        }
        let vector_results: Vec<Type> = op.results.iter().map(|&r| func.ty(r).clone()).collect();
        let stream_span = attr_span(&op.attrs, keys::STREAM, span);
        if slot.streams.len() != vector_results.len() {
            diags.push(
                Diagnostic::error(
                    codes::BAD_STREAM,
                    format!(
                        "`{}` has {} result(s) but {} stream group(s)",
                        def.name,
                        vector_results.len(),
                        slot.streams.len()
                    ),
                )
                .primary(stream_span, "one stream group per result"),
            );
            continue;
        }
        for (stream, ty) in slot.streams.iter().zip(&vector_results) {
            let width = target.vector_words(ty.elem());
            if !target.stream_group_ok(*stream, width) {
                diags.push(
                    Diagnostic::error(
                        codes::BAD_STREAM,
                        format!("`{ty}` needs an aligned group of {width} stream(s) below {}; `{stream}` is not one", target.streams),
                    )
                    .primary(stream_span, "bad stream group"),
                );
            }
        }
    }
}

/// The unit an op is bound to by its operands or attributes, if any.
fn required_unit(func: &Function, op: &crate::ir::Op, target: &Target) -> Option<UnitId> {
    match op.def().unit? {
        UnitClass::Mem => {
            let buffer = *op.operands.iter().find(|&&v| func.ty(v).is_mem())?;
            machine::placement(func, buffer).map(|p| p.unit())
        }
        UnitClass::Mxm => {
            let plane = op.attrs.get("plane").and_then(AttrValue::as_u64)?;
            target.plane_unit(u32::try_from(plane).ok()?)
        }
        _ => None,
    }
}
