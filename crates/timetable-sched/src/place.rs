//! A simple deterministic placement, so that machine-level modules can be scheduled in
//! tests, benchmarks and examples while the allocator's IR pass is being written. It is
//! not the allocator: buffers are taken in order of their live range in program order
//! (`timetable_dataflow::live_ranges`) and each goes to the first bank, round-robin from
//! the banks nearest the VXM outwards, with aligned words free during its range
//! (`timetable_alloc::occupancy`). Round-robin spreads accesses over banks and leaves
//! free words in every bank for spill slots.

use crate::codes;
use timetable_alloc::occupancy::Occupancy;
use timetable_dataflow::{TimeBase, live_ranges};
use timetable_ir::diag::Diagnostic;
use timetable_ir::ir::{Function, Module, Stage};
use timetable_ir::machine::{self, Placement, keys};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::Target;

/// Places every unplaced buffer of every function and moves a `machine` module to the
/// `allocated` stage.
pub fn place_simple(module: &mut Module, target: &Target) -> Result<(), Diagnostic> {
    for func in &mut module.functions {
        place_function(func, target)?;
    }
    if module.stage == Stage::Machine {
        module.stage = Stage::Allocated;
    }
    Ok(())
}

/// Banks as (slice, bank), nearest to the VXM first; west before east on ties.
fn banks_by_distance(target: &Target) -> Vec<(u32, u32)> {
    let centre = target
        .units(UnitClass::Vxm)
        .next()
        .and_then(|u| target.position(u))
        .unwrap_or(target.width() / 2);
    let mut banks: Vec<(u32, u32, u32)> = target
        .units(UnitClass::Mem)
        .flat_map(|u| {
            let pos = target.position(u).unwrap_or(0);
            (0..target.mem.banks).map(move |b| (pos.abs_diff(centre), u.index, b))
        })
        .collect();
    banks.sort_unstable();
    banks.into_iter().map(|(_, s, b)| (s, b)).collect()
}

fn place_function(func: &mut Function, target: &Target) -> Result<(), Diagnostic> {
    let ranges = live_ranges(func, target, TimeBase::ProgramOrder)?;
    let whole = 0..ranges.span().max(1);
    let banks = banks_by_distance(target);
    let flat = |(s, b): (u32, u32)| (s * target.mem.banks + b) as usize;
    let mut occupancy = Occupancy::new(
        (target.mem_slices() * target.mem.banks) as usize,
        target.mem.words_per_bank,
    );
    let mut todo = Vec::new();
    for (i, (v, def)) in machine::buffers(func).into_iter().enumerate() {
        let live = ranges.get(v).map_or(whole.clone(), |r| r.start..r.end);
        let words = machine::buffer_words(func.ty(v), target).unwrap_or(0) as u32;
        match machine::placement(func, v) {
            // Placements were verified to lie inside their bank.
            Some(p) => {
                let _ = occupancy.occupy(flat((p.slice, p.bank)), p.addr..p.addr + words, live);
            }
            None => todo.push((live.start, i, v, def, words, live)),
        }
    }
    todo.sort_unstable_by_key(|t| (t.0, t.1));
    let mut next = 0;
    for (_, _, v, def, words, live) in todo {
        let found = (0..banks.len())
            .map(|k| (next + k) % banks.len())
            .find_map(|i| {
                occupancy
                    .place(flat(banks[i]), words.max(1), target.mem.align, live.clone())
                    .map(|addr| (i, addr))
            });
        let Some((i, addr)) = found else {
            return Err(Diagnostic::error(
                codes::NO_SPILL_SPACE,
                format!(
                    "buffer `%{}` ({words} words) fits in no bank during its live range",
                    func.value(v).name
                ),
            )
            .primary(func.value_span(v), "not placed"));
        };
        next = (i + 1) % banks.len();
        let (slice, bank) = banks[i];
        machine::buffer_attrs_mut(func, def)
            .set(keys::MEM, Placement { slice, bank, addr }.to_attr());
    }
    Ok(())
}
