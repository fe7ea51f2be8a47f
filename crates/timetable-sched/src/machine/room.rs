//! Ops whose operands can never reach them together. An op reads all its operands in its
//! issue cycle at its position, each on its own stream group, arriving from the west (on
//! streams flowing east) or from the east; each side brings at most `streams` streams.
//! A side with a memory slice can bring any value (spilled there and read back); a side
//! without one brings only results of units on that side or at the op's own position.

use super::codes;
use super::facts::{OpFacts, Place, ValueFacts};
use timetable_ir::diag::Diagnostic;
use timetable_ir::ir::Function;
use timetable_ir::target::Target;

/// Fails on the first op that fits at none of its positions.
pub(crate) fn check(
    func: &Function,
    target: &Target,
    ops: &[OpFacts],
    values: &[Option<ValueFacts>],
) -> Result<(), Diagnostic> {
    let room = target.streams;
    for o in ops.iter().filter(|o| o.operands.len() > 1) {
        let widths: Vec<(u32, &[u32])> = o
            .operands
            .iter()
            .filter_map(|&(v, _)| values[v.index()].as_ref())
            .map(|v| (v.width, ops[v.producer as usize].place.positions()))
            .collect();
        let need: u32 = widths.iter().map(|w| w.0).sum();
        if need <= room {
            continue;
        }
        let fits_at = |q: u32| {
            let (west_mem, east_mem) = target.memory_sides(q);
            // Streams that must come from one side, and those that may come from either.
            let (mut west, mut east, mut either) = (0, 0, 0);
            for &(w, from) in &widths {
                let west_ok = west_mem || from.iter().any(|&p| p <= q);
                let east_ok = east_mem || from.iter().any(|&p| p >= q);
                match (west_ok, east_ok) {
                    (true, true) => either += w,
                    (true, false) => west += w,
                    (false, true) => east += w,
                    (false, false) => return false,
                }
            }
            west <= room && east <= room && west + east + either <= 2 * room
        };
        let places = match &o.place {
            Place::Fixed(q) | Place::Queue(q) => vec![*q],
            Place::Any(ps) => ps.clone(),
        };
        if places.iter().any(|&q| fits_at(q)) {
            continue;
        }
        let unit = target.positions()[places[0] as usize];
        return Err(Diagnostic::error(
            codes::UNSCHEDULABLE,
            format!(
                "cannot schedule `{}`: its operands take {need} streams, which can never reach `{unit}`{} in one cycle",
                o.opcode,
                if places.len() > 1 { " or any other instance" } else { "" },
            ),
        )
        .primary(func.op_span(o.handle), "operands cannot arrive together")
        .note(format!(
            "each direction has {room} streams; a side of the chip with no memory slice brings only results made on that side"
        )));
    }
    Ok(())
}
