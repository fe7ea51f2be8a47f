//! When a program does not fit: where the pressure peaks, what is live there
//! (names and sizes), words and bytes needed against the capacity. Never a
//! silent spill.

use super::Geometry;
use super::assign::NoRoom;
use super::collect::{Buffers, ItemId, Pin};
use super::fill::BankFill;
use super::peak::{live_at, peak};
use crate::codes;
use timetable_dataflow::{PressureProfile, TimeBase};
use timetable_ir::Handle;
use timetable_ir::diag::Diagnostic;
use timetable_ir::ir::{Function, Op};
use timetable_ir::machine::keys;
use timetable_ir::target::Target;

/// Live buffers named in labels (the rest are summed up in a note).
const LABELLED: usize = 8;

/// The op running at `time`: the body's `time`-th op, or in a schedule the
/// op issued last at or before that cycle.
pub(crate) fn op_at(func: &Function, base: TimeBase, time: u64) -> Option<Handle<Op>> {
    match base {
        TimeBase::ProgramOrder => usize::try_from(time)
            .ok()
            .and_then(|i| func.body.get(i))
            .copied(),
        TimeBase::Cycles => func
            .body_ops()
            .filter_map(|(h, op)| Some((op.attrs.get(keys::AT)?.as_u64()?, h)))
            .filter(|&(at, _)| at <= time)
            .max_by_key(|&(at, h)| (at, std::cmp::Reverse(h.index())))
            .map(|(_, h)| h),
    }
}

/// `op 12` or `cycle 12`.
pub(crate) fn moment(base: TimeBase, time: u64) -> String {
    format!("{} {time}", base.unit())
}

/// Words and bytes, as people read them.
fn amount(words: u64, target: &Target) -> String {
    format!(
        "{words} words ({} bytes)",
        words * u64::from(target.word_bytes())
    )
}

/// More words live at once than the chip holds.
pub(crate) fn chip_overflow(
    func: &Function,
    target: &Target,
    geometry: &Geometry,
    buffers: &Buffers,
    profile: &PressureProfile,
    base: TimeBase,
) -> Option<Diagnostic> {
    let peak = profile.peak();
    let capacity = geometry.capacity();
    if peak.words <= capacity {
        return None;
    }
    let live: Vec<ItemId> = {
        let ids = peak
            .buffers
            .iter()
            .filter_map(|b| buffers.item_of[b.index()]);
        live_at(buffers, ids, peak.time)
    };
    let diag = Diagnostic::error(
        codes::DOES_NOT_FIT,
        format!(
            "`@{}` needs {} at once, but `@{}` holds {}",
            func.name.text,
            amount(peak.words, target),
            target.name,
            amount(capacity, target)
        ),
    );
    let diag = at_op(
        diag,
        func,
        base,
        peak.time,
        format!("{} buffers are live here", live.len()),
    );
    Some(
        with_live(diag, func, buffers, &live, base, peak.time)
            .note(geometry.describe(target))
            .note("nothing is spilled: use a smaller shape bucket, or split the function"),
    )
}

/// The sweep found no bank with room for a buffer.
pub(crate) fn no_room(
    func: &Function,
    target: &Target,
    geometry: &Geometry,
    buffers: &Buffers,
    failure: NoRoom,
    base: TimeBase,
) -> Diagnostic {
    let item = &buffers.items[failure.item];
    let name = &func.value(item.value).name;
    let live = live_at(buffers, 0..buffers.items.len(), failure.time);
    let words: u64 = live.iter().map(|&id| buffers.items[id].words).sum();
    let diag = Diagnostic::error(
        codes::NO_PLACEMENT,
        format!(
            "no bank has room for the {} words of `%{name}` at {}: {} are live then, of {} on the chip",
            item.words,
            moment(base, failure.time),
            amount(words, target),
            amount(geometry.capacity(), target),
        ),
    );
    let diag = at_op(
        diag,
        func,
        base,
        failure.time,
        format!("`%{name}` becomes live here"),
    )
    .secondary(
        func.value_span(item.value),
        format!("`%{name}` needs {} words in one bank", item.words),
    );
    let diag = with_live(diag, func, buffers, &live, base, failure.time)
        .note(geometry.describe(target))
        .note("every bank that could take it is too full at that moment; nothing is spilled");
    match item.pin {
        Pin::Slice(slice) => diag.note(format!(
            "the schedule runs its memory ops on `mem.{slice}`, so it needs a bank of that slice \
             that no other buffer accesses in any of its cycles"
        )),
        _ => diag,
    }
}

/// A bank whose buffers did not pack within its words (nor within the search
/// budget).
pub(crate) fn bank_overflow(
    func: &Function,
    target: &Target,
    geometry: &Geometry,
    buffers: &Buffers,
    fill: &BankFill,
    base: TimeBase,
) -> Diagnostic {
    let (slice, bank) = geometry.slice_bank(fill.bin);
    let peak = peak(buffers, fill.members.iter().copied());
    let live = live_at(buffers, fill.members.iter().copied(), peak.time);
    let stats = fill.outcome.stats;
    let diag = Diagnostic::error(
        codes::NO_PLACEMENT,
        format!(
            "bank {bank} of `mem.{slice}` needs {} for its buffers but holds {}",
            amount(fill.outcome.packing.height(), target),
            amount(geometry.words_per_bank, target),
        ),
    );
    let diag = at_op(
        diag,
        func,
        base,
        peak.time,
        format!("{} words live in this bank here", peak.words),
    );
    with_live(diag, func, buffers, &live, base, peak.time).note(format!(
        "the best packing found is {} words high (greedy {}, {} search nodes); \
         the buffers live at once need {}",
        fill.outcome.packing.height(),
        stats.greedy_height,
        stats.nodes,
        fill.outcome.lower_bound
    ))
}

fn at_op(
    diag: Diagnostic,
    func: &Function,
    base: TimeBase,
    time: u64,
    label: impl Into<String>,
) -> Diagnostic {
    match op_at(func, base, time) {
        Some(op) => diag.primary(func.op_span(op), label),
        None => diag,
    }
}

/// Names the live buffers: labels on the largest, and a note listing them.
fn with_live(
    mut diag: Diagnostic,
    func: &Function,
    buffers: &Buffers,
    live: &[ItemId],
    base: TimeBase,
    time: u64,
) -> Diagnostic {
    let describe = |id: ItemId| {
        let item = &buffers.items[id];
        format!("`%{}` ({} words)", func.value(item.value).name, item.words)
    };
    for &id in live.iter().take(LABELLED) {
        let item = &buffers.items[id];
        diag = diag.secondary(
            func.value_span(item.value),
            format!("{} live", describe(id)),
        );
    }
    let mut listed: Vec<String> = live.iter().take(LABELLED).map(|&id| describe(id)).collect();
    if live.len() > LABELLED {
        let rest = &live[LABELLED..];
        let words: u64 = rest.iter().map(|&id| buffers.items[id].words).sum();
        listed.push(format!(
            "and {} smaller buffers ({words} words)",
            rest.len()
        ));
    }
    diag.note(format!(
        "live at {}: {}",
        moment(base, time),
        listed.join(", ")
    ))
}
