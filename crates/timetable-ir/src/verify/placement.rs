//! Buffer placements: each inside the target's memory and aligned. Required from the
//! `allocated` stage on; checked wherever present before. Whether live buffers overlap is
//! the allocation checker's job (it needs liveness).

use super::attrs::attr_span;
use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Function, Stage};
use crate::machine::{self, Placement, keys};
use crate::target::Target;

pub(super) fn check(func: &Function, stage: Stage, target: &Target, diags: &mut Diagnostics) {
    if !stage.is_machine() {
        return;
    }
    for (value, def) in machine::buffers(func) {
        let attrs = machine::buffer_attrs(func, def);
        let v = func.value(value);
        let whole = func.value_span(value);
        let span = attr_span(attrs, keys::MEM, whole);
        let Some(raw) = attrs.get(keys::MEM) else {
            if stage >= Stage::Allocated {
                diags.push(
                    Diagnostic::error(codes::MISSING_PLACEMENT, format!("buffer `%{}` has no placement", v.name))
                        .primary(whole, format!("a `{stage}` module places every buffer: add `mem = {{slice, bank, addr}}`")),
                );
            }
            continue;
        };
        let p = match Placement::parse(raw) {
            Ok(p) => p,
            Err(e) => {
                diags.push(Diagnostic::error(codes::MALFORMED_PLACEMENT, e).primary(span, "here"));
                continue;
            }
        };
        let words = machine::buffer_words(&v.ty, target).unwrap_or(0);
        let problem = if p.slice >= target.mem_slices() {
            Some(format!(
                "slice {} does not exist: `@{}` has {} memory slices",
                p.slice,
                target.name,
                target.mem_slices()
            ))
        } else if p.bank >= target.mem.banks {
            Some(format!(
                "bank {} does not exist: slices have {} banks",
                p.bank, target.mem.banks
            ))
        } else if u64::from(p.addr) + words > u64::from(target.mem.words_per_bank) {
            Some(format!(
                "`%{}` needs {words} words at address {}, past the {} words of a bank",
                v.name, p.addr, target.mem.words_per_bank
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            diags.push(
                Diagnostic::error(codes::PLACEMENT_OUT_OF_RANGE, message)
                    .primary(span, format!("placement of `%{}`", v.name)),
            );
        } else if !p.addr.is_multiple_of(target.mem.align) {
            diags.push(
                Diagnostic::error(
                    codes::PLACEMENT_MISALIGNED,
                    format!(
                        "address {} of `%{}` is not a multiple of {}",
                        p.addr, v.name, target.mem.align
                    ),
                )
                .primary(span, "misaligned"),
            );
        }
    }
}
