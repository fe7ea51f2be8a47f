//! On-chip memory limits, checked before lowering so the diagnostic names the tensor.
//!
//! Inputs, outputs and constants are one buffer each, and a buffer lives in one bank of
//! one memory slice, so each must fit a bank. Scratch tensors are split over several
//! buffers, so each must fit the whole on-chip memory. Inputs, outputs and constants
//! stay resident for the whole run, so together they must fit too.

use crate::codes;
use crate::shape::Shape;
use rustc_hash::FxHashMap;
use timetable_ir::{
    Diagnostic, Diagnostics, Function, Handle, Opcode, Span, Target, Value, ValueDef,
};

pub fn check(
    func: &Function,
    target: &Target,
    shapes: &FxHashMap<Handle<Value>, Shape>,
) -> Result<(), Diagnostics> {
    let bank_bytes = u64::from(target.mem.words_per_bank) * u64::from(target.word_bytes());
    let chip_bytes = target.mem_bytes();
    let returned: Vec<Handle<Value>> = func
        .body
        .last()
        .map(|&h| func.op(h))
        .filter(|op| op.opcode == Opcode::FuncReturn)
        .map(|op| op.operands.clone())
        .unwrap_or_default();
    let span_of = |v: Handle<Value>| -> Span {
        match func.value(v).def {
            ValueDef::Arg(_) => func.value_span(v),
            ValueDef::Result { op, .. } => func.op_span(op),
        }
    };
    let describe = |v: Handle<Value>| format!("`%{}` ({})", func.value(v).name, func.value(v).ty);
    let mut diags = Vec::new();
    let mut resident = 0u64;
    for (v, value) in func.values.iter() {
        let Some(shape) = shapes.get(&v) else {
            continue;
        };
        let is_const = matches!(value.def, ValueDef::Result { op, .. } if func.op(op).opcode == Opcode::TensorConst);
        let preloaded = matches!(value.def, ValueDef::Arg(_)) || is_const;
        let outputs = returned.iter().filter(|&&r| r == v).count() as u64;
        let whole_buffer = preloaded || outputs > 0;
        let bytes = shape.bytes();
        resident += bytes * (u64::from(preloaded) + outputs);
        if bytes > chip_bytes {
            diags.push(
                Diagnostic::error(
                    codes::EXCEEDS_MEMORY,
                    format!(
                        "tensor {} needs {bytes} bytes, more than the {chip_bytes} bytes of on-chip memory of `@{}`",
                        describe(v),
                        target.name
                    ),
                )
                .primary(span_of(v), format!("{bytes} bytes ({} vectors)", shape.vectors())),
            );
        } else if whole_buffer && bytes > bank_bytes {
            diags.push(
                Diagnostic::error(
                    codes::EXCEEDS_BANK,
                    format!(
                        "tensor {} needs {bytes} bytes in one buffer, but a memory bank of `@{}` holds {bank_bytes} bytes",
                        describe(v),
                        target.name
                    ),
                )
                .primary(span_of(v), format!("{bytes} bytes ({} words)", shape.words()))
                .note("inputs, outputs and constants are one buffer each, and a buffer lives in one memory bank"),
            );
        }
    }
    if diags.is_empty() && resident > chip_bytes {
        diags.push(
            Diagnostic::error(
                codes::EXCEEDS_MEMORY,
                format!(
                    "inputs, outputs and constants of `@{}` need {resident} bytes together, more than the {chip_bytes} bytes of on-chip memory of `@{}`",
                    func.name.text, target.name
                ),
            )
            .primary(func.name.span, "in this function"),
        );
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}
