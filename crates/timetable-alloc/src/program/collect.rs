//! What there is to place in one function: every buffer with its words, its
//! live interval (from the dataflow crate) and what fixes its bank, and for
//! scheduled functions the cycles each bank is busy.

use super::Geometry;
use crate::codes;
use crate::problem::Lifetime;
use std::collections::HashSet;
use timetable_dataflow::defuse::DefUse;
use timetable_dataflow::{LiveRanges, TimeBase, live_ranges};
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Value};
use timetable_ir::machine::{self, BufferDef, Role, Slot, keys};
use timetable_ir::registry::{Access, Opcode, StateKind, UnitClass};
use timetable_ir::target::Target;
use timetable_ir::{Handle, Op};

/// Index of a buffer in [`Buffers::items`] (definition order).
pub(crate) type ItemId = usize;

/// A bin: bank `bin % banks` of slice `bin / banks`.
pub(crate) type Bin = u32;

/// What decides a buffer's bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pin {
    /// Anywhere.
    Free,
    /// Any bank of this slice (a new buffer whose memory ops a schedule has
    /// bound to the slice).
    Slice(u32),
    /// This bank (a scheduled buffer: the schedule's timing depends on its
    /// slice and bank). `addr` is where it was, kept if re-packing the bank
    /// fails.
    Bin { bin: Bin, addr: u64 },
}

/// What a buffer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Input,
    Output,
    Const,
    Scratch,
}

/// One buffer to place.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub value: Handle<Value>,
    pub def: BufferDef,
    pub words: u64,
    /// Half-open, on the function's clock; empty for buffers nothing uses.
    pub live: Lifetime,
    pub pin: Pin,
    /// Reads and writes of the buffer.
    pub accesses: u32,
}

impl Item {
    /// Conflicts with nothing: no words, or never live.
    pub fn is_trivial(&self) -> bool {
        self.words == 0 || self.live.is_empty()
    }
}

/// The buffers of one function and the facts placement needs about them.
pub(crate) struct Buffers {
    pub items: Vec<Item>,
    /// The item each buffer value is.
    pub item_of: Vec<Option<ItemId>>,
    pub ranges: LiveRanges,
    pub defuse: DefUse,
    /// Scheduled functions: the cycles each bin is accessed by pinned
    /// buffers, and the access cycles of every other buffer.
    pub cycles: Option<Cycles>,
}

/// Bank occupancy in cycles, for placing new buffers in a schedule without
/// two accesses to one bank in one cycle.
pub(crate) struct Cycles {
    pub busy: Vec<HashSet<u64>>,
    pub of_item: Vec<Vec<u64>>,
}

/// The buffer accesses of an op, from the registry's effects.
pub(crate) fn accesses(op: &Op) -> impl Iterator<Item = (Access, Handle<Value>)> + '_ {
    op.def().effects.iter().filter_map(|e| match e.state {
        StateKind::BufferElement { operand } => op.operands.get(operand).map(|&b| (e.access, b)),
        _ => None,
    })
}

/// Collects the buffers of `func`. Fails on buffers larger than a bank and on
/// unplaced buffers of a schedule that no bank can take.
pub(crate) fn collect(
    func: &Function,
    target: &Target,
    geometry: &Geometry,
    base: TimeBase,
) -> Result<Buffers, Diagnostics> {
    let ranges = live_ranges(func, target, base).map_err(|d| vec![d])?;
    let defuse = DefUse::new(func);
    let span = ranges.span();
    let mut diags = Vec::new();
    let mut items = Vec::new();
    let mut item_of = vec![None; func.values.len()];
    for (value, def) in machine::buffers(func) {
        let words = machine::buffer_words(func.ty(value), target).unwrap_or(0);
        if words > geometry.words_per_bank {
            diags.push(too_large(func, value, words, target));
            continue;
        }
        let kind = kind(func, def);
        let live = match ranges.get(value) {
            Some(r) => Lifetime::new(r.start, r.end),
            // Never live, yet the host fills inputs before the run (and the
            // loader constants): they hold memory at the start.
            None if matches!(kind, Kind::Input | Kind::Const) => Lifetime::new(0, 1),
            None => Lifetime::new(span, span),
        }
        .expect("live ranges are ordered");
        let accesses = defuse
            .uses(value)
            .iter()
            .filter(|u| accesses_of(func.op(u.op), value))
            .count() as u32;
        let pin = match base {
            TimeBase::ProgramOrder => Pin::Free,
            TimeBase::Cycles => match scheduled_pin(func, &defuse, value, geometry) {
                Ok(pin) => pin,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            },
        };
        item_of[value.index()] = Some(items.len());
        items.push(Item {
            value,
            def,
            words,
            live,
            pin,
            accesses,
        });
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let cycles = (base == TimeBase::Cycles).then(|| cycles(func, &items, &item_of, geometry));
    Ok(Buffers {
        items,
        item_of,
        ranges,
        defuse,
        cycles,
    })
}

fn accesses_of(op: &Op, buffer: Handle<Value>) -> bool {
    accesses(op).any(|(_, b)| b == buffer)
}

fn kind(func: &Function, def: BufferDef) -> Kind {
    match def {
        BufferDef::Arg(i) => match func.args[i].attrs.get(keys::ROLE).map(Role::parse) {
            Some(Ok(Role::Output)) => Kind::Output,
            _ => Kind::Input,
        },
        BufferDef::Op(op) if func.op(op).opcode == Opcode::MemConst => Kind::Const,
        BufferDef::Op(_) => Kind::Scratch,
    }
}

fn too_large(func: &Function, value: Handle<Value>, words: u64, target: &Target) -> Diagnostic {
    let name = &func.value(value).name;
    Diagnostic::error(
        codes::BUFFER_TOO_LARGE,
        format!(
            "`%{name}` needs {words} words, but a bank of `@{}` holds {}",
            target.name, target.mem.words_per_bank
        ),
    )
    .primary(
        func.value_span(value),
        format!("`%{name}` does not fit one bank"),
    )
    .note("a buffer lives in one bank of one slice; split it into buffers of at most a bank each")
}

/// A scheduled buffer keeps its bank; a new one goes to the slice its memory
/// ops were scheduled on.
fn scheduled_pin(
    func: &Function,
    defuse: &DefUse,
    value: Handle<Value>,
    geometry: &Geometry,
) -> Result<Pin, Diagnostic> {
    // (Verified modules have placements and units on the chip; others are
    // treated as if those were missing.)
    if let Some(p) = machine::placement(func, value)
        && p.slice < geometry.slices
        && p.bank < geometry.banks
    {
        return Ok(Pin::Bin {
            bin: geometry.bin(p.slice, p.bank),
            addr: u64::from(p.addr),
        });
    }
    let mut slice: Option<(u32, Handle<Op>)> = None;
    for u in defuse.uses(value) {
        let op = func.op(u.op);
        let Ok(Some(slot)) = Slot::read(op) else {
            continue;
        };
        if slot.unit.class != UnitClass::Mem
            || slot.unit.index >= geometry.slices
            || !accesses_of(op, value)
        {
            continue;
        }
        match slice {
            None => slice = Some((slot.unit.index, u.op)),
            Some((s, first)) if s != slot.unit.index => {
                let name = &func.value(value).name;
                return Err(Diagnostic::error(
                    codes::UNPLACEABLE_IN_SCHEDULE,
                    format!(
                        "`%{name}` has no placement, and the schedule accesses it from two slices"
                    ),
                )
                .primary(func.op_span(u.op), format!("on `mem.{}`", slot.unit.index))
                .secondary(func.op_span(first), format!("on `mem.{s}`"))
                .secondary(func.value_span(value), format!("`%{name}` defined here"))
                .note("a buffer lives in one slice: its memory ops must all run there"));
            }
            Some(_) => {}
        }
    }
    Ok(slice.map_or(Pin::Free, |(s, _)| Pin::Slice(s)))
}

/// Which cycles each bin is accessed in by pinned buffers, and when every
/// other buffer is accessed.
fn cycles(
    func: &Function,
    items: &[Item],
    item_of: &[Option<ItemId>],
    geometry: &Geometry,
) -> Cycles {
    let mut busy = vec![HashSet::new(); geometry.bins() as usize];
    let mut of_item = vec![Vec::new(); items.len()];
    for (_, op) in func.body_ops() {
        let Some(at) = op.attrs.get(keys::AT).and_then(|a| a.as_u64()) else {
            continue;
        };
        for (_, buffer) in accesses(op) {
            let Some(id) = item_of[buffer.index()] else {
                continue;
            };
            match items[id].pin {
                Pin::Bin { bin, .. } => {
                    busy[bin as usize].insert(at);
                }
                _ => of_item[id].push(at),
            }
        }
    }
    Cycles { busy, of_item }
}
