//! A simple deterministic placement, so that machine-level modules can be scheduled in
//! tests, benchmarks and examples while the allocator's IR pass is being written. It
//! is not an allocator: every buffer without a placement gets words of its own (no
//! reuse over time), in banks taken round-robin from the nearest to the VXM outwards,
//! which spreads accesses over banks and leaves free words everywhere for spill slots.

use crate::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::ir::{Module, Stage};
use timetable_ir::machine::{self, Placement, keys};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::Target;

/// Places every unplaced buffer of every function and moves a `machine` module to the
/// `allocated` stage.
pub fn place_simple(module: &mut Module, target: &Target) -> Result<(), Diagnostic> {
    let centre = target
        .units(UnitClass::Vxm)
        .next()
        .and_then(|u| target.position(u))
        .unwrap_or(target.width() / 2);
    // (slice, bank), nearest to the VXM first; west before east on ties.
    let mut banks: Vec<(u32, u32, u32)> = target
        .units(UnitClass::Mem)
        .flat_map(|u| {
            let pos = target.position(u).unwrap_or(0);
            (0..target.mem.banks).map(move |b| (pos.abs_diff(centre), u.index, b))
        })
        .collect();
    banks.sort_unstable_by_key(|&(d, slice, b)| (d, slice, b));
    let align = target.mem.align.max(1);
    for func in &mut module.functions {
        let mut fill = vec![0u32; banks.len()];
        // Words already taken by placed buffers stay taken.
        for (v, _) in machine::buffers(func) {
            if let (Some(p), Some(words)) = (
                machine::placement(func, v),
                machine::buffer_words(func.ty(v), target),
            ) {
                if let Some(i) = banks
                    .iter()
                    .position(|&(_, s, b)| (s, b) == (p.slice, p.bank))
                {
                    fill[i] = fill[i].max(p.addr + words as u32);
                }
            }
        }
        let mut next = 0;
        for (v, def) in machine::buffers(func) {
            if machine::placement(func, v).is_some() {
                continue;
            }
            let words = machine::buffer_words(func.ty(v), target).unwrap_or(0) as u32;
            let fits =
                |i: usize| fill[i].div_ceil(align) * align + words <= target.mem.words_per_bank;
            let Some(i) = (0..banks.len())
                .map(|k| (next + k) % banks.len())
                .find(|&i| fits(i))
            else {
                return Err(Diagnostic::error(
                    codes::NO_SPILL_SPACE,
                    format!(
                        "buffer `%{}` ({words} words) fits in no bank: the simple placement never reuses memory",
                        func.value(v).name
                    ),
                )
                .primary(func.value_span(v), "not placed"));
            };
            let addr = fill[i].div_ceil(align) * align;
            fill[i] = addr + words;
            next = (i + 1) % banks.len();
            let (_, slice, bank) = banks[i];
            machine::buffer_attrs_mut(func, def)
                .set(keys::MEM, Placement { slice, bank, addr }.to_attr());
        }
    }
    if module.stage == Stage::Machine {
        module.stage = Stage::Allocated;
    }
    Ok(())
}
