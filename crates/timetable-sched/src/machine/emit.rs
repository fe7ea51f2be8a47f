//! Writing a schedule into the IR: issue slots on every unit op, operands rewired to the
//! copies that deliver them, the ops the scheduler added (re-issued reads, spill writes
//! and reads, spill buffers), the body in issue order, optional `icu.nop` padding, and
//! addresses for the spill buffers.

use super::codes;
use super::facts::Facts;
use super::spill_pool::slot_geometry;
use super::state::{CopyId, NewKind, State};
use rustc_hash::FxHashMap;
use timetable_alloc::occupancy::Occupancy;
use timetable_dataflow::{TimeBase, live_ranges};
use timetable_ir::diag::Diagnostic;
use timetable_ir::ir::{Function, Namer, Op, OpSpec};
use timetable_ir::machine::{self, Placement, Slot, keys};
use timetable_ir::registry::{Opcode, UnitClass};
use timetable_ir::target::{StreamId, UnitId};
use timetable_ir::types::Type;
use timetable_ir::{Handle, Value};

/// What emission made, for the report.
pub(crate) struct Emitted {
    pub func: Function,
    /// The spill buffers, one per spill slot.
    pub spill_buffers: usize,
    pub spill_writes: usize,
    pub spill_reads: usize,
    pub reissues: usize,
    pub nops: usize,
    /// Per added op (by `NewId`): its handle in `func`.
    pub new_handles: Vec<Handle<Op>>,
}

pub(crate) fn emit(f: &Facts, state: &State, nops: bool) -> Result<Emitted, Diagnostic> {
    let mut func = f.func.clone();
    let mut names = Names {
        namer: func.namer(),
        used: FxHashMap::default(),
    };
    // Spill buffers, one per home.
    let mut slot_buffers: Vec<(Handle<Op>, Handle<Value>)> = Vec::new();
    for h in &state.homes {
        let v = f.func.value(h.value);
        let span = f.func.value_span(h.value);
        let ty = Type::Mem {
            vectors: 1,
            elem: v.ty.elem(),
        };
        let op = func.create_op(
            OpSpec::new(Opcode::MemAlloc).result(names.make(f, h.value, "slot"), ty),
            span,
        );
        slot_buffers.push((op, func.op(op).results[0]));
    }
    // Added ops, in creation order (a copy is always made before it is read).
    let mut copy_value: Vec<Handle<Value>> = state.copies.iter().map(|c| c.value).collect();
    let mut new_handles = Vec::with_capacity(state.new_ops.len());
    let (mut spill_writes, mut spill_reads, mut reissues) = (0, 0, 0);
    for n in &state.new_ops {
        let spec = match n.kind {
            NewKind::Reissue { of } => {
                reissues += 1;
                let orig = f.func.op(f.op(of).handle);
                let r = orig.results[0];
                OpSpec {
                    opcode: orig.opcode,
                    operands: orig.operands.clone(),
                    results: vec![(names.make(f, r, "re"), f.func.ty(r).clone())],
                    attrs: orig.attrs.clone(),
                    loc: orig.loc.clone(),
                }
            }
            NewKind::ReadBack { write } => {
                reissues += 1;
                let orig = f.func.op(f.op(write).handle);
                let v = orig.operands[0];
                OpSpec::new(Opcode::MemRead)
                    .operands([orig.operands[1]])
                    .attr(
                        "index",
                        orig.attrs.get("index").cloned().unwrap_or(0u32.into()),
                    )
                    .result(names.make(f, v, "re"), f.func.ty(v).clone())
            }
            NewKind::SpillWrite { home, operand } => {
                spill_writes += 1;
                OpSpec::new(Opcode::MemWrite)
                    .operands([copy_value[operand as usize], slot_buffers[home as usize].1])
                    .attr("index", 0u32)
            }
            NewKind::SpillRead { home } => {
                spill_reads += 1;
                let v = state.homes[home as usize].value;
                OpSpec::new(Opcode::MemRead)
                    .operands([slot_buffers[home as usize].1])
                    .attr("index", 0u32)
                    .result(names.make(f, v, "sp"), f.func.ty(v).clone())
            }
        };
        let origin = match n.kind {
            NewKind::Reissue { of } | NewKind::ReadBack { write: of } => f.op(of).handle,
            NewKind::SpillWrite { home, .. } | NewKind::SpillRead { home } => {
                f.op(f.value(state.homes[home as usize].value).producer)
                    .handle
            }
        };
        let spec = if matches!(n.kind, NewKind::Reissue { .. } | NewKind::ReadBack { .. }) {
            spec
        } else {
            spec.loc(f.func.op(origin).loc.clone())
        };
        let h = func.create_op(spec, f.func.op_span(origin));
        if let Some(c) = n.result {
            copy_value[c as usize] = func.op(h).results[0];
        }
        let streams = n.result.map(|c| stream(state, c)).into_iter().collect();
        Slot {
            at: u64::from(n.at),
            unit: f.unit_at(n.pos),
            streams,
        }
        .write(&mut func.ops[h].attrs);
        new_handles.push(h);
    }
    // Slots and operands of the input's ops.
    for (id, o) in f.ops.iter().enumerate() {
        let p = state.placed[id]
            .as_ref()
            .expect("every op is placed once the list is decoded");
        let op = &mut func.ops[o.handle];
        for (k, &(_, index)) in o.operands.iter().enumerate() {
            op.operands[index] = copy_value[p.operands[k] as usize];
        }
        Slot {
            at: u64::from(p.at),
            unit: f.unit_at(p.pos),
            streams: p.results.iter().map(|&c| stream(state, c)).collect(),
        }
        .write(&mut op.attrs);
    }
    // The body: buffer declarations first, then unit ops in issue order.
    let mut index_of = vec![0usize; f.ops.len()];
    let mut position = vec![usize::MAX; f.func.ops.len()];
    for (i, &h) in f.func.body.iter().enumerate() {
        position[h.index()] = i;
    }
    for (id, o) in f.ops.iter().enumerate() {
        index_of[id] = position[o.handle.index()];
    }
    let mut pseudo: Vec<Handle<Op>> = f
        .func
        .body
        .iter()
        .copied()
        .filter(|&h| f.func.op(h).def().unit.is_none())
        .collect();
    pseudo.extend(slot_buffers.iter().map(|&(op, _)| op));
    let mut timed: Vec<(BodyKey, Handle<Op>)> = Vec::new();
    for (id, o) in f.ops.iter().enumerate() {
        let p = state.placed[id].as_ref().expect("placed");
        timed.push(((p.at, index_of[id], 1, 0), o.handle));
    }
    for (n, (op, &h)) in state.new_ops.iter().zip(&new_handles).enumerate() {
        timed.push(((op.at, index_of[op.serves as usize], 0, n), h));
    }
    let mut nop_count = 0;
    if nops {
        let pads = idle_gaps(f, state);
        nop_count = pads.len();
        for (unit, at, cycles) in pads {
            let h = func.create_op(
                OpSpec::new(Opcode::IcuNop).attr("cycles", u64::from(cycles)),
                f.func.span,
            );
            Slot {
                at: u64::from(at),
                unit,
                streams: Vec::new(),
            }
            .write(&mut func.ops[h].attrs);
            timed.push(((at, usize::MAX, 2, 0), h));
        }
    }
    timed.sort_unstable_by_key(|&(key, _)| key);
    func.body = pseudo
        .into_iter()
        .chain(timed.into_iter().map(|(_, h)| h))
        .collect();
    place_spills(f, &mut func, &slot_buffers, state)?;
    Ok(Emitted {
        func,
        spill_buffers: slot_buffers.len(),
        spill_writes,
        spill_reads,
        reissues,
        nops: nop_count,
        new_handles,
    })
}

/// Where an op goes in the body: (cycle, serving op's body index, 0 = added before it /
/// 1 = the op / 2 = padding, sequence).
type BodyKey = (u32, usize, u8, usize);

/// Names of added values: `%x.re`, `%x.re1`, ... per value and kind, so that naming
/// the `k`-th copy of a value does not walk past the `k - 1` names before it.
struct Names {
    namer: Namer,
    used: FxHashMap<(Handle<Value>, &'static str), u32>,
}

impl Names {
    fn make(&mut self, f: &Facts, v: Handle<Value>, tag: &'static str) -> String {
        let k = self.used.entry((v, tag)).or_insert(0);
        let base = match *k {
            0 => format!("{}.{tag}", f.func.value(v).name),
            n => format!("{}.{tag}{n}", f.func.value(v).name),
        };
        *k += 1;
        self.namer.fresh_like(&base)
    }
}

fn stream(state: &State, c: CopyId) -> StreamId {
    let c = &state.copies[c as usize];
    StreamId {
        dir: c.dir,
        index: c.first,
    }
}

/// Idle stretches of every queue between cycle 0 and its last issue: (queue, first idle
/// cycle, length).
fn idle_gaps(f: &Facts, state: &State) -> Vec<(UnitId, u32, u32)> {
    let mut issues: Vec<(UnitId, u32)> = Vec::new();
    for (id, o) in f.ops.iter().enumerate() {
        if o.class == UnitClass::Icu {
            continue;
        }
        let p = state.placed[id].as_ref().expect("placed");
        issues.push((f.unit_at(p.pos), p.at));
    }
    issues.extend(state.new_ops.iter().map(|n| (f.unit_at(n.pos), n.at)));
    issues.sort_unstable();
    issues.dedup();
    let mut gaps = Vec::new();
    for run in issues.chunk_by(|a, b| a.0 == b.0) {
        let mut next = 0;
        for &(unit, at) in run {
            if at > next {
                gaps.push((unit, next, at - next));
            }
            next = at + 1;
        }
    }
    gaps
}

/// Gives every spill buffer an address in its bank's free words during its cycle live
/// range, around the input's buffers and their live ranges.
fn place_spills(
    f: &Facts,
    func: &mut Function,
    slot_buffers: &[(Handle<Op>, Handle<Value>)],
    state: &State,
) -> Result<(), Diagnostic> {
    if slot_buffers.is_empty() {
        return Ok(());
    }
    let t = f.target;
    let ranges = live_ranges(func, t, TimeBase::Cycles)?;
    // Spills in freed slots have their address already; they must be in the occupancy
    // below like every other placed buffer.
    for (i, &(op, _)) in slot_buffers.iter().enumerate() {
        let home = &state.homes[i];
        if let Some(slot) = home.freed {
            let placement = Placement {
                slice: home.slice,
                bank: home.bank % t.mem.banks,
                addr: state.freed[home.bank as usize][slot as usize].addr,
            };
            func.ops[op].attrs.set(keys::MEM, placement.to_attr());
        }
    }
    let mut occupancy = Occupancy::new(
        (t.mem_slices() * t.mem.banks) as usize,
        t.mem.words_per_bank,
    );
    for (value, _) in machine::buffers(func) {
        let (Some(p), Some(live), Some(words)) = (
            machine::placement(func, value),
            ranges.get(value),
            machine::buffer_words(func.ty(value), t),
        ) else {
            continue;
        };
        let bank = (p.slice * t.mem.banks + p.bank) as usize;
        // Placements were verified to lie inside their bank.
        let _ = occupancy.occupy(bank, p.addr..p.addr + words as u32, live.start..live.end);
    }
    let (words, grid) = slot_geometry(f);
    let mut order: Vec<usize> = (0..slot_buffers.len())
        .filter(|&i| state.homes[i].freed.is_none())
        .collect();
    order.sort_unstable_by_key(|&i| (ranges.get(slot_buffers[i].1).map(|r| r.start), i));
    for i in order {
        let (op, value) = slot_buffers[i];
        let home = &state.homes[i];
        let live = ranges
            .get(value)
            .expect("a spill buffer is written and read");
        let addr = occupancy
            .place(home.bank as usize, words, grid, live.start..live.end)
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::NO_SPILL_SPACE,
                    format!(
                        "no free words in bank {} of `mem.{}` for the spill of `%{}` during cycles {} to {}",
                        home.bank % t.mem.banks,
                        home.slice,
                        f.func.value(home.value).name,
                        live.start,
                        live.end - 1
                    ),
                )
                .primary(func.op_span(op), "spilled here")
                .note("spill slots use words no buffer of the input occupies; free some memory in this bank")
            })?;
        let placement = Placement {
            slice: home.slice,
            bank: home.bank % t.mem.banks,
            addr,
        };
        func.ops[op].attrs.set(keys::MEM, placement.to_attr());
    }
    Ok(())
}
