//! Timing of a scheduled function, checked op against op from the slots alone (docs/ir.md,
//! "Machine model and timing"). Nothing here knows how a schedule was made; it replays
//! what the machine does with the slots as written:
//!
//! - **operands**: an operand produced at position `p` in cycle `at + delay` on a stream
//!   flowing east (west) reaches position `q >= p` (`q <= p`) in cycle
//!   `at + delay + |q - p|`; a consumer must be issued exactly then;
//! - **streams**: on each stream, the values that pass one slot over time form a diagonal
//!   (`p - c` east, `p + c` west); the slot holds the last value put on that diagonal, so
//!   a read fails if another result was put on it after the operand and before the read,
//!   and two results put on one slot in one cycle collide;
//! - **banks**: one access (read or write) per bank per cycle;
//! - **issue**: at most `vxm.alus` ops per VXM and `sxm.issue` per SXM in a cycle, one op
//!   per MXM plane; `icu` ops take no issue slot;
//! - **memory order**: a write lands `mem_write` cycles after issue, before anything
//!   issued in that cycle reads; every read must see, in each word, the last write
//!   before it in body order (or the initial contents), and every word of an output
//!   buffer must end with its last write;
//! - **MXM order**: weight rows (loads land `mxm_load` after issue, macs read every row
//!   at issue) and accumulators (macs land `mxm_mac` after issue and, when
//!   accumulating, read the old value as they land; `mxm.acc` reads at issue) follow
//!   body order the same way;
//! - **nops**: no op issues on a unit during an `icu.nop {cycles = n}` on it.
//!
//! Every error has its primary label on one op and a secondary label on the other party.

use crate::arena::Handle;
use crate::attr::AttrValue;
use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Function, Module, Op, Stage, Value};
use crate::machine::{self, Role, Slot, keys};
use crate::registry::{Access, LatencyClass, Opcode, StateKind, UnitClass};
use crate::target::{Direction, StreamId, Target, UnitId};
use rustc_hash::{FxHashMap, FxHashSet};

/// A unit op as scheduled.
struct Timed {
    op: Handle<Op>,
    at: u64,
    unit: UnitId,
    pos: u32,
}

/// Where and when a vector value is put on its streams.
#[derive(Clone, Copy)]
struct Production {
    /// Index into `Timetable::ops`.
    by: usize,
    pos: u32,
    cycle: u64,
    dir: Direction,
    first: u32,
    width: u32,
}

impl Production {
    /// The cycle the value passes position `q`, or `None` if `q` is upstream.
    fn arrival(&self, q: u32) -> Option<u64> {
        let hops = match self.dir {
            Direction::East => q.checked_sub(self.pos)?,
            Direction::West => self.pos.checked_sub(q)?,
        };
        Some(self.cycle + u64::from(hops))
    }

    /// The diagonal this value travels on: constant along its way.
    fn diagonal(&self) -> i64 {
        diagonal(self.dir, self.pos, self.cycle)
    }
}

fn diagonal(dir: Direction, pos: u32, cycle: u64) -> i64 {
    match dir {
        Direction::East => i64::from(pos) - cycle as i64,
        Direction::West => i64::from(pos) + cycle as i64,
    }
}

struct Timetable<'a> {
    func: &'a Function,
    target: &'a Target,
    /// Unit ops in body order.
    ops: Vec<Timed>,
    /// Per value index: its production, for vector results of unit ops.
    produced: Vec<Option<Production>>,
}

/// Checks the timing of a scheduled function whose slots are individually valid.
/// The timing checker as a verifier hook; it runs on `scheduled` modules that pass the
/// built-in checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimingCheck;

/// The instance drivers register.
pub static CHECK: TimingCheck = TimingCheck;

impl super::ModuleCheck for TimingCheck {
    fn name(&self) -> &'static str {
        "timing"
    }

    fn stage(&self) -> Stage {
        Stage::Scheduled
    }

    fn check(&self, module: &Module, target: &Target) -> Diagnostics {
        let mut diags = Vec::new();
        for func in &module.functions {
            check(func, target, &mut diags);
        }
        diags
    }
}

fn check(func: &Function, target: &Target, diags: &mut Diagnostics) {
    let t = Timetable::read(func, target);
    let reads = t.operands(diags);
    t.streams(&reads, diags);
    t.banks(diags);
    t.issue_rates(diags);
    t.memory_order(diags);
    t.mxm_order(diags);
    t.nops(diags);
}

/// An operand read that arrives in time, for the stream check.
struct Read {
    by: usize,
    value: Handle<Value>,
    pos: u32,
    cycle: u64,
}

impl<'a> Timetable<'a> {
    fn read(func: &'a Function, target: &'a Target) -> Self {
        let positions: FxHashMap<UnitId, u32> = target
            .positions()
            .iter()
            .enumerate()
            .map(|(p, &u)| (u, p as u32))
            .collect();
        let mut ops = Vec::new();
        let mut produced = vec![None; func.values.len()];
        for (h, op) in func.body_ops() {
            let Some(class) = op.def().latency else {
                continue;
            };
            // The slot rules (`schedule`) ran clean, so every unit op has a valid slot.
            let Ok(Some(slot)) = Slot::read(op) else {
                continue;
            };
            let Some(&pos) = positions.get(&slot.unit) else {
                continue;
            };
            let delay = u64::from(target.latency(class));
            let by = ops.len();
            for (&r, &s) in op.results.iter().zip(&slot.streams) {
                produced[r.index()] = Some(Production {
                    by,
                    pos,
                    cycle: slot.at + delay,
                    dir: s.dir,
                    first: s.index,
                    width: target.vector_words(func.ty(r).elem()),
                });
            }
            ops.push(Timed {
                op: h,
                at: slot.at,
                unit: slot.unit,
                pos,
            });
        }
        Timetable {
            func,
            target,
            ops,
            produced,
        }
    }

    fn opcode(&self, i: usize) -> Opcode {
        self.func.op(self.ops[i].op).opcode
    }

    fn span(&self, i: usize) -> crate::span::Span {
        self.func.op_span(self.ops[i].op)
    }

    fn name(&self, v: Handle<Value>) -> &str {
        &self.func.value(v).name
    }

    /// "`vxm.add` on `vxm.0` in cycle 12", for secondary labels.
    fn describe(&self, i: usize) -> String {
        let t = &self.ops[i];
        format!("`{}` on `{}` in cycle {}", self.opcode(i), t.unit, t.at)
    }

    // ---- operands ----------------------------------------------------------------

    /// Every vector operand must arrive in the cycle its consumer issues. Returns the
    /// reads that do, for the stream check.
    fn operands(&self, diags: &mut Diagnostics) -> Vec<Read> {
        let mut reads = Vec::new();
        for (i, t) in self.ops.iter().enumerate() {
            for &v in &self.func.op(t.op).operands {
                if self.func.ty(v).is_mem() {
                    continue;
                }
                let Some(p) = self.produced[v.index()] else {
                    continue;
                };
                let stream = StreamId {
                    dir: p.dir,
                    index: p.first,
                };
                let made = format!(
                    "`%{}` is put on `{stream}` at `{}` in cycle {}",
                    self.name(v),
                    self.ops[p.by].unit,
                    p.cycle
                );
                match p.arrival(t.pos) {
                    Some(c) if c == t.at => reads.push(Read {
                        by: i,
                        value: v,
                        pos: t.pos,
                        cycle: t.at,
                    }),
                    Some(c) => diags.push(
                        Diagnostic::error(
                            codes::OPERAND_TIMING,
                            format!(
                                "operand `%{}` of `{}` passes `{}` in cycle {c}, but it is read in cycle {}",
                                self.name(v),
                                self.opcode(i),
                                t.unit,
                                t.at
                            ),
                        )
                        .primary(self.span(i), format!("reads `%{}` in cycle {}", self.name(v), t.at))
                        .secondary(self.span(p.by), made)
                        .note("a consumer at position q reads a value produced at p in cycle `at + delay + |q - p|`"),
                    ),
                    None => diags.push(
                        Diagnostic::error(
                            codes::OPERAND_TIMING,
                            format!(
                                "operand `%{}` of `{}` never reaches `{}`: `{stream}` flows {} from `{}`",
                                self.name(v),
                                self.opcode(i),
                                t.unit,
                                if p.dir == Direction::East { "east" } else { "west" },
                                self.ops[p.by].unit
                            ),
                        )
                        .primary(self.span(i), format!("upstream of `%{}`", self.name(v)))
                        .secondary(self.span(p.by), made),
                    ),
                }
            }
        }
        reads
    }

    // ---- streams -----------------------------------------------------------------

    /// Per stream and diagonal, in time order: a read must find its operand, the last
    /// value put on the diagonal; two values put on one slot in one cycle collide.
    fn streams(&self, reads: &[Read], diags: &mut Diagnostics) {
        // (direction, stream, diagonal, cycle, 0 = put / 1 = read, value, op)
        type Event = (u8, u32, i64, u64, u8, u32, u32);
        let dir_key = |d: Direction| u8::from(d == Direction::West);
        let mut events: Vec<Event> = Vec::new();
        for (v, p) in self.produced.iter().enumerate() {
            let Some(p) = p else { continue };
            for k in 0..p.width {
                events.push((
                    dir_key(p.dir),
                    p.first + k,
                    p.diagonal(),
                    p.cycle,
                    0,
                    v as u32,
                    p.by as u32,
                ));
            }
        }
        for r in reads {
            let p = self.produced[r.value.index()].expect("reads have producers");
            for k in 0..p.width {
                events.push((
                    dir_key(p.dir),
                    p.first + k,
                    diagonal(p.dir, r.pos, r.cycle),
                    r.cycle,
                    1,
                    r.value.index() as u32,
                    r.by as u32,
                ));
            }
        }
        events.sort_unstable();
        let mut reported: FxHashSet<(u32, u32)> = FxHashSet::default();
        let mut current: Option<(u32, u32, u64)> = None; // (value, producer, cycle)
        let mut prev_key = None;
        for &(d, stream, diag, cycle, kind, value, by) in &events {
            if prev_key != Some((d, stream, diag)) {
                prev_key = Some((d, stream, diag));
                current = None;
            }
            let dir = if d == 0 {
                Direction::East
            } else {
                Direction::West
            };
            let stream_id = StreamId { dir, index: stream };
            if kind == 0 {
                if let Some((other, other_by, c)) = current
                    && c == cycle
                    && reported.insert((other_by, by))
                {
                    let (first, second) = (other_by as usize, by as usize);
                    diags.push(
                        Diagnostic::error(
                            codes::STREAM_CONFLICT,
                            format!(
                                "`%{}` and `%{}` are both put on `{stream_id}` at `{}` in cycle {cycle}",
                                self.name(Handle::new(other as usize)),
                                self.name(Handle::new(value as usize)),
                                self.ops[second].unit
                            ),
                        )
                        .primary(self.span(second), "puts a second value on the same stream slot")
                        .secondary(self.span(first), format!("{} already puts `%{}` there", self.describe(first), self.name(Handle::new(other as usize)))),
                    );
                }
                current = Some((value, by, cycle));
                continue;
            }
            let Some((holder, holder_by, _)) = current else {
                continue;
            };
            if holder != value && reported.insert((by, holder_by)) {
                let (reader, over) = (by as usize, holder_by as usize);
                let v = Handle::<Value>::new(value as usize);
                let w = Handle::<Value>::new(holder as usize);
                diags.push(
                    Diagnostic::error(
                        codes::STREAM_CONFLICT,
                        format!(
                            "`%{}` is gone from `{stream_id}` when `{}` reads it: `%{}` replaced it",
                            self.name(v),
                            self.opcode(reader),
                            self.name(w)
                        ),
                    )
                    .primary(self.span(reader), format!("reads `%{}` in cycle {cycle}", self.name(v)))
                    .secondary(self.span(over), format!("{} puts `%{}` on the same diagonal of `{stream_id}` first", self.describe(over), self.name(w))),
                );
            }
        }
    }

    // ---- banks and issue rates ---------------------------------------------------

    /// The placement of the buffer a memory op accesses.
    fn placement_of(&self, i: usize) -> Option<(machine::Placement, Handle<Value>)> {
        let op = self.func.op(self.ops[i].op);
        let buffer = *op.operands.iter().find(|&&v| self.func.ty(v).is_mem())?;
        Some((machine::placement(self.func, buffer)?, buffer))
    }

    /// "`%buf[index]`": the buffer element a memory op accesses.
    fn element(&self, i: usize) -> String {
        let op = self.func.op(self.ops[i].op);
        let index = op
            .attrs
            .get("index")
            .and_then(AttrValue::as_u64)
            .unwrap_or(0);
        match self.placement_of(i) {
            Some((_, buffer)) => format!("`%{}[{index}]`", self.name(buffer)),
            None => format!("vector {index}"),
        }
    }

    fn banks(&self, diags: &mut Diagnostics) {
        let mut uses: Vec<(u32, u32, u64, usize)> = (0..self.ops.len())
            .filter(|&i| self.ops[i].unit.class == UnitClass::Mem)
            .filter_map(|i| {
                let (p, _) = self.placement_of(i)?;
                Some((p.slice, p.bank, self.ops[i].at, i))
            })
            .collect();
        uses.sort_unstable();
        for pair in uses.windows(2) {
            let ((s, b, c, first), (s2, b2, c2, second)) = (pair[0], pair[1]);
            if (s, b, c) == (s2, b2, c2) {
                diags.push(
                    Diagnostic::error(
                        codes::BANK_CONFLICT,
                        format!("bank {b} of `mem.{s}` is accessed twice in cycle {c}"),
                    )
                    .primary(self.span(second), "second access in the same cycle")
                    .secondary(
                        self.span(first),
                        format!("{} uses the bank", self.describe(first)),
                    )
                    .note("a bank does one read or one write per cycle"),
                );
            }
        }
    }

    fn issue_rates(&self, diags: &mut Diagnostics) {
        // (resource key, cycle, op): VXM and SXM by position, MXM by plane.
        let mut uses: Vec<(u8, u32, u64, usize)> = Vec::new();
        for (i, t) in self.ops.iter().enumerate() {
            let op = self.func.op(t.op);
            match op.def().unit {
                Some(UnitClass::Vxm) => uses.push((0, t.pos, t.at, i)),
                Some(UnitClass::Sxm) => uses.push((1, t.pos, t.at, i)),
                Some(UnitClass::Mxm) => {
                    let plane = op.attrs.get("plane").and_then(AttrValue::as_u64);
                    if let Some(plane) = plane.and_then(|p| u32::try_from(p).ok()) {
                        uses.push((2, plane, t.at, i));
                    }
                }
                _ => {}
            }
        }
        uses.sort_unstable();
        let mut start = 0;
        while start < uses.len() {
            let (kind, key, cycle, first) = uses[start];
            let end = start
                + uses[start..]
                    .iter()
                    .take_while(|u| (u.0, u.1, u.2) == (kind, key, cycle))
                    .count();
            let (capacity, what) = match kind {
                0 => (self.target.vxm_alus, format!("`{}`", self.ops[first].unit)),
                1 => (self.target.sxm_issue, format!("`{}`", self.ops[first].unit)),
                _ => (1, format!("MXM plane {key}")),
            };
            let count = end - start;
            if count > capacity as usize {
                let extra = uses[start + capacity as usize].3;
                diags.push(
                    Diagnostic::error(
                        codes::ISSUE_RATE,
                        format!("{count} ops issue on {what} in cycle {cycle}; it issues at most {capacity}"),
                    )
                    .primary(self.span(extra), "one op too many in this cycle")
                    .secondary(self.span(first), format!("{} issues there too", self.describe(first))),
                );
            }
            start = end;
        }
    }

    // ---- memory and MXM order ----------------------------------------------------

    fn memory_order(&self, diags: &mut Diagnostics) {
        let mem = self.target.mem;
        let write_delay = u64::from(self.target.latency(LatencyClass::MemWrite));
        let mut accesses: Vec<(u64, usize, Access, u64)> = Vec::new();
        let mut output_words: FxHashSet<u64> = FxHashSet::default();
        let word_key = |p: machine::Placement, addr: u64| {
            (u64::from(p.slice) * u64::from(mem.banks) + u64::from(p.bank))
                * u64::from(mem.words_per_bank)
                + addr
        };
        for (i, t) in self.ops.iter().enumerate() {
            let op = self.func.op(t.op);
            let Some(access) = op.def().effects.iter().find_map(|e| {
                matches!(e.state, StateKind::BufferElement { .. }).then_some(e.access)
            }) else {
                continue;
            };
            let Some((p, buffer)) = self.placement_of(i) else {
                continue;
            };
            let width = u64::from(self.target.vector_words(self.func.ty(buffer).elem()));
            let index = op
                .attrs
                .get("index")
                .and_then(AttrValue::as_u64)
                .unwrap_or(0);
            let time = match access {
                Access::Read => t.at,
                Access::Write => t.at + write_delay,
            };
            for w in 0..width {
                let addr = u64::from(p.addr) + index * width + w;
                accesses.push((word_key(p, addr), i, access, time));
            }
        }
        for arg in &self.func.args {
            let role = arg.attrs.get(keys::ROLE).and_then(|r| Role::parse(r).ok());
            if role != Some(Role::Output) {
                continue;
            }
            let Some(p) = machine::placement(self.func, arg.value) else {
                continue;
            };
            let words = machine::buffer_words(self.func.ty(arg.value), self.target).unwrap_or(0);
            output_words.extend((0..words).map(|w| word_key(p, u64::from(p.addr) + w)));
        }
        accesses.sort_unstable_by_key(|&(word, i, _, _)| (word, i));
        let mut reported: FxHashSet<usize> = FxHashSet::default();
        for group in accesses.chunk_by(|a, b| a.0 == b.0) {
            let writes: Vec<Landing> = group
                .iter()
                .filter(|a| a.2 == Access::Write)
                .map(|&(_, i, _, time)| Landing { by: i, cycle: time })
                .collect();
            let order = StateOrder::new(writes);
            let mut last = None;
            for &(_, i, access, time) in group {
                match access {
                    Access::Write => last = Some(i),
                    Access::Read => {
                        if let Some(problem) = order.check(last, time, false)
                            && reported.insert(i)
                        {
                            diags.push(self.order_error(i, problem, &self.element(i)));
                        }
                    }
                }
            }
            if output_words.contains(&group[0].0)
                && let (Some(body_last), Some(landed_last)) = (last, order.last())
                && body_last != landed_last.by
                && reported.insert(landed_last.by)
            {
                diags.push(
                    Diagnostic::error(
                        codes::MEMORY_ORDER,
                        format!(
                            "an output word ends with the wrong write: `{}` lands in cycle {}, after the program's last write to it",
                            self.opcode(landed_last.by),
                            landed_last.cycle
                        ),
                    )
                    .primary(self.span(landed_last.by), "lands last")
                    .secondary(self.span(body_last), format!("{} is the last write in program order", self.describe(body_last))),
                );
            }
        }
    }

    fn mxm_order(&self, diags: &mut Diagnostics) {
        let load_delay = u64::from(self.target.latency(LatencyClass::MxmLoad));
        let mac_delay = u64::from(self.target.latency(LatencyClass::MxmMac));
        // Per plane: row loads and macs; per (plane, acc): macs and acc reads.
        let mut rows: FxHashMap<(u64, u64), Vec<Landing>> = FxHashMap::default();
        let mut macs: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
        let mut accs: FxHashMap<(u64, u64), Vec<usize>> = FxHashMap::default();
        let attr = |op: &Op, k: &str| op.attrs.get(k).and_then(AttrValue::as_u64).unwrap_or(0);
        for (i, t) in self.ops.iter().enumerate() {
            let op = self.func.op(t.op);
            let plane = attr(op, "plane");
            match op.opcode {
                Opcode::MxmLoad => {
                    rows.entry((plane, attr(op, "row")))
                        .or_default()
                        .push(Landing {
                            by: i,
                            cycle: t.at + load_delay,
                        })
                }
                Opcode::MxmMac => {
                    macs.entry(plane).or_default().push(i);
                    accs.entry((plane, attr(op, "acc"))).or_default().push(i);
                }
                Opcode::MxmAcc => accs.entry((plane, attr(op, "acc"))).or_default().push(i),
                _ => {}
            }
        }
        let mut reported: FxHashSet<usize> = FxHashSet::default();
        let mut row_keys: Vec<(u64, u64)> = rows.keys().copied().collect();
        row_keys.sort_unstable();
        for key in row_keys {
            let loads = &rows[&key];
            let order = StateOrder::new(loads.clone());
            for &mac in macs.get(&key.0).map_or(&[][..], Vec::as_slice) {
                let before = loads.partition_point(|l| l.by < mac);
                let last = before.checked_sub(1).map(|k| loads[k].by);
                if let Some(problem) = order.check(last, self.ops[mac].at, false)
                    && reported.insert(mac)
                {
                    diags.push(self.order_error(
                        mac,
                        problem,
                        &format!("weight row {} of plane {}", key.1, key.0),
                    ));
                }
            }
        }
        let mut acc_keys: Vec<(u64, u64)> = accs.keys().copied().collect();
        acc_keys.sort_unstable();
        for key in acc_keys {
            let users = &accs[&key];
            let writes: Vec<Landing> = users
                .iter()
                .filter(|&&i| self.opcode(i) == Opcode::MxmMac)
                .map(|&i| Landing {
                    by: i,
                    cycle: self.ops[i].at + mac_delay,
                })
                .collect();
            let order = StateOrder::new(writes);
            let mut last = None;
            for &i in users {
                let op = self.func.op(self.ops[i].op);
                let problem = match op.opcode {
                    Opcode::MxmAcc => order.check(last, self.ops[i].at, false),
                    _ if op.attrs.get("accumulate").and_then(AttrValue::as_bool) == Some(true) => {
                        order.check(last, self.ops[i].at + mac_delay, true)
                    }
                    _ => None,
                };
                if let Some(problem) = problem
                    && reported.insert(i)
                {
                    diags.push(self.order_error(
                        i,
                        problem,
                        &format!("accumulator {} of plane {}", key.1, key.0),
                    ));
                }
                if op.opcode == Opcode::MxmMac {
                    last = Some(i);
                }
            }
        }
    }

    fn order_error(&self, reader: usize, problem: OrderProblem, what: &str) -> Diagnostic {
        let code = if self.ops[reader].unit.class == UnitClass::Mem {
            codes::MEMORY_ORDER
        } else {
            codes::MXM_ORDER
        };
        let op = self.opcode(reader);
        match problem {
            OrderProblem::NotLanded { write, lands, reads } => Diagnostic::error(
                code,
                format!("`{op}` reads {what} in cycle {reads}, before the write it must see lands in cycle {lands}"),
            )
            .primary(self.span(reader), "reads too early")
            .secondary(self.span(write), format!("{} is the last write before it in program order", self.describe(write))),
            OrderProblem::Overwritten { by, lands, reads } => Diagnostic::error(
                code,
                format!("`{op}` reads {what} in cycle {reads}, but `{}` has overwritten it in cycle {lands}", self.opcode(by)),
            )
            .primary(self.span(reader), "sees the wrong write")
            .secondary(self.span(by), format!("{} lands in cycle {lands}", self.describe(by)))
            .note("every read must see the last write before it in program order"),
        }
    }

    // ---- nops --------------------------------------------------------------------

    fn nops(&self, diags: &mut Diagnostics) {
        let mut issues: FxHashMap<UnitId, Vec<(u64, usize)>> = FxHashMap::default();
        for (i, t) in self.ops.iter().enumerate() {
            if self.func.op(t.op).def().unit != Some(UnitClass::Icu) {
                issues.entry(t.unit).or_default().push((t.at, i));
            }
        }
        for list in issues.values_mut() {
            list.sort_unstable();
        }
        for (n, t) in self.ops.iter().enumerate() {
            let op = self.func.op(t.op);
            if op.opcode != Opcode::IcuNop {
                continue;
            }
            let cycles = op
                .attrs
                .get("cycles")
                .and_then(AttrValue::as_u64)
                .unwrap_or(0);
            let Some(list) = issues.get(&t.unit) else {
                continue;
            };
            let first = list.partition_point(|&(at, _)| at < t.at);
            if let Some(&(at, i)) = list.get(first)
                && at < t.at + cycles
            {
                diags.push(
                    Diagnostic::error(
                        codes::NOP_WINDOW,
                        format!(
                            "`{}` issues on `{}` in cycle {at}, while an `icu.nop` idles it (cycles {} to {})",
                            self.opcode(i),
                            t.unit,
                            t.at,
                            t.at + cycles - 1
                        ),
                    )
                    .primary(self.span(i), "issues during the nop")
                    .secondary(self.span(n), format!("`icu.nop {{cycles = {cycles}}}` on `{}` in cycle {}", t.unit, t.at)),
                );
            }
        }
    }
}

/// A write to a piece of state and the cycle it takes effect.
#[derive(Clone, Copy)]
struct Landing {
    /// Index into `Timetable::ops`; body order.
    by: usize,
    cycle: u64,
}

enum OrderProblem {
    /// The write body order says to see has not landed yet.
    NotLanded {
        write: usize,
        lands: u64,
        reads: u64,
    },
    /// Another write landed after the expected one (or instead of the initial contents).
    Overwritten { by: usize, lands: u64, reads: u64 },
}

/// The writes to one location, by landing cycle: what a read at a cycle physically sees.
struct StateOrder {
    by_landing: Vec<Landing>,
    /// The same writes by op, to find a write's landing.
    by_op: Vec<Landing>,
}

impl StateOrder {
    fn new(mut writes: Vec<Landing>) -> Self {
        let mut by_op = writes.clone();
        by_op.sort_by_key(|l| l.by);
        writes.sort_by_key(|l| (l.cycle, l.by));
        StateOrder {
            by_landing: writes,
            by_op,
        }
    }

    /// The write that lands last.
    fn last(&self) -> Option<Landing> {
        self.by_landing.last().copied()
    }

    /// Checks a read in cycle `reads` that must see `expected` (`None`: the initial
    /// contents). Writes landing in the read's own cycle are visible unless `strict`.
    fn check(&self, expected: Option<usize>, reads: u64, strict: bool) -> Option<OrderProblem> {
        let visible = |cycle: u64| {
            if strict {
                cycle < reads
            } else {
                cycle <= reads
            }
        };
        let seen = self
            .by_landing
            .partition_point(|l| visible(l.cycle))
            .checked_sub(1)
            .map(|k| self.by_landing[k]);
        match (expected, seen) {
            (None, None) => None,
            (None, Some(s)) => Some(OrderProblem::Overwritten {
                by: s.by,
                lands: s.cycle,
                reads,
            }),
            (Some(e), seen) => {
                let k = self.by_op.partition_point(|l| l.by < e);
                let lands = self.by_op.get(k).map_or(0, |l| l.cycle);
                match seen {
                    Some(s) if s.by == e => None,
                    Some(s) if visible(lands) => Some(OrderProblem::Overwritten {
                        by: s.by,
                        lands: s.cycle,
                        reads,
                    }),
                    _ => Some(OrderProblem::NotLanded {
                        write: e,
                        lands,
                        reads,
                    }),
                }
            }
        }
    }
}
