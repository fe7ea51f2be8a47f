//! The machine schedule generation scheme: ops are placed one at a time in list order,
//! each at the earliest cycle (and the best of its possible units) at which its issue
//! resource is free and every operand can be brought to it exactly then (see
//! [`deliver`](super::deliver)). Read-like ops whose results someone uses (`mem.read`,
//! `mxm.acc`) are not placed in list order but on demand, by their consumers, as often
//! as they are needed.

use super::codes;
use super::facts::{Facts, Issue, OpId, Place};
use super::spill_pool::slots_per_bank;
use super::state::{Blocker, Bound, CopyId, Placed, Res, State, Why, towards};
use timetable_ir::diag::Diagnostic;
use timetable_ir::target::Direction;
use timetable_ir::{Handle, Value};

/// Failed attempts (cycles tried) before an op is declared unschedulable.
const ATTEMPTS: usize = 4096;

pub(crate) struct Decoder<'f> {
    pub f: &'f Facts<'f>,
    pub state: State,
    /// Memory slices: (position, slice index), west to east.
    pub mem: Vec<(u32, u32)>,
    pub write_latency: u32,
}

impl<'f> Decoder<'f> {
    pub(crate) fn new(f: &'f Facts<'f>) -> Self {
        let slots = slots_per_bank(f);
        Decoder {
            state: State::new(f, &slots),
            mem: f.mem_positions(),
            write_latency: f.write_latency(),
            f,
        }
    }

    /// Places every op of `list` (a precedence-feasible order of all ops) and returns
    /// the makespan. The state keeps the schedule until the next decode.
    pub(crate) fn decode(&mut self, list: &[OpId]) -> Result<u32, Diagnostic> {
        self.state.clear();
        for &op in list {
            self.place(op)?;
        }
        Ok(self.state.makespan(self.f))
    }

    /// Issue cycles of the input ops, indexed by op (for the search's fingerprints).
    pub(crate) fn starts(&self) -> Vec<u32> {
        self.state
            .placed
            .iter()
            .map(|p| p.as_ref().map_or(0, |p| p.at))
            .collect()
    }

    fn place(&mut self, c: OpId) -> Result<(), Diagnostic> {
        let o = self.f.op(c);
        if o.source {
            // Issued on demand by its consumers.
            return Ok(());
        }
        let positions = o.place.positions().to_vec();
        let q = if positions.len() > 1 {
            let mut best: Option<(u32, usize, u32)> = None;
            for &q in &positions {
                let mark = self.state.mark();
                if let Ok(t) = self.scan(c, q) {
                    let key = (t, self.state.new_ops.len(), q);
                    if best.is_none_or(|b| key < b) {
                        best = Some(key);
                    }
                }
                self.state.rollback(mark);
            }
            best.map_or(positions[0], |b| b.2)
        } else {
            positions[0]
        };
        match self.scan(c, q) {
            Ok(_) => {
                self.state.commit();
                Ok(())
            }
            Err(b) => Err(self.failure(c, q, b)),
        }
    }

    /// Finds the earliest cycle for `c` at `q` and places it there (uncommitted).
    fn scan(&mut self, c: OpId, q: u32) -> Result<u32, Blocker> {
        let o = self.f.op(c);
        let (ready, bound) = self.ready(c, q);
        let res = match o.issue {
            Issue::Bank(b) => Some(Res::Bank(b)),
            Issue::Plane(p) => Some(Res::Plane(p)),
            Issue::Slot => Some(Res::Issue(q)),
            Issue::Free => None,
        };
        let mut t = ready;
        let mut first: Option<Blocker> = None;
        let mut last = Blocker::Unit;
        for _ in 0..ATTEMPTS {
            if let Some(r) = res {
                let room = self.state.next_room(r, t);
                if room > t {
                    first.get_or_insert(match r {
                        Res::Bank(b) => Blocker::Bank(b),
                        Res::Plane(p) => Blocker::Plane(p),
                        _ => Blocker::Unit,
                    });
                    t = room;
                }
            }
            let mark = self.state.mark();
            let why = Why {
                ready,
                bound,
                blocked: first,
            };
            match self.attempt(c, q, t, why) {
                Ok(()) => return Ok(t),
                Err(b) => {
                    self.state.rollback(mark);
                    first.get_or_insert(b);
                    last = b;
                    t += 1;
                }
            }
        }
        Err(last)
    }

    fn attempt(&mut self, c: OpId, q: u32, t: u32, why: Why) -> Result<(), Blocker> {
        let o = self.f.op(c);
        match o.issue {
            Issue::Bank(b) => self.book(Res::Bank(b), t, Blocker::Bank(b))?,
            Issue::Plane(p) => self.book(Res::Plane(p), t, Blocker::Plane(p))?,
            Issue::Slot => self.book(Res::Issue(q), t, Blocker::Unit)?,
            Issue::Free => {}
        }
        let mut operands: Vec<CopyId> = Vec::with_capacity(o.operands.len());
        for &(v, _) in &o.operands {
            operands.push(self.deliver(v, q, t, c)?);
        }
        let produced = t + o.latency;
        let mut results = Vec::with_capacity(o.results.len());
        for &r in &o.results {
            results.push(self.put(r, q, produced, produced, q)?);
        }
        self.state.set_placed(
            c,
            Placed {
                at: t,
                pos: q,
                operands,
                results,
                why,
            },
        );
        self.state.raise_latest(c, t);
        Ok(())
    }

    fn book(&mut self, r: Res, t: u32, blocker: Blocker) -> Result<(), Blocker> {
        if !self.state.fits(r, t, 1) {
            return Err(blocker);
        }
        self.state.book(r, t, 1);
        Ok(())
    }

    /// The earliest cycle `c` may issue at `q`: after its memory and state dependences
    /// (read-like sources not yet issued count from the start of their window) and no
    /// earlier than its operands can exist.
    fn ready(&self, c: OpId, q: u32) -> (u32, Bound) {
        let mut best = (0, Bound::Start);
        for ord in &self.f.before[c as usize] {
            let from = if self.state.placed[ord.op as usize].is_some() {
                self.state.latest[ord.op as usize]
            } else if self.f.op(ord.op).source {
                self.window(ord.op).map_or(0, |w| w.0)
            } else {
                0
            };
            let t = from + ord.latency;
            if t > best.0 {
                best = (t, Bound::Order(ord.op));
            }
        }
        for &(v, _) in &self.f.op(c).operands {
            let t = self.data_ready(v, q);
            if t > best.0 {
                best = (t, Bound::Operand(v));
            }
        }
        best
    }

    /// No copy of `v` reaches `q` before this cycle.
    fn data_ready(&self, v: Handle<Value>, q: u32) -> u32 {
        let src = self.f.value(v).producer;
        if self.f.op(src).source {
            let pos = self.source_pos(src);
            return self.window(src).map_or(0, |w| w.0) + self.f.op(src).latency + q.abs_diff(pos);
        }
        self.state.copies_of[v.index()]
            .iter()
            .map(|&c| {
                let c = &self.state.copies[c as usize];
                c.cycle + q.abs_diff(c.pos)
            })
            .min()
            .unwrap_or(0)
    }

    /// The cycles in which a read-like source may issue: after the writes it must see
    /// have landed, before the placed writes that must not be seen. `None` when empty.
    pub(crate) fn window(&self, src: OpId) -> Option<(u32, Option<u32>)> {
        let mut lo = 0u32;
        for ord in &self.f.before[src as usize] {
            if self.state.placed[ord.op as usize].is_some() {
                lo = lo.max(self.state.latest[ord.op as usize] + ord.latency);
            }
        }
        let mut hi: Option<i64> = None;
        for ord in &self.f.after[src as usize] {
            if let Some(p) = &self.state.placed[ord.op as usize] {
                let bound = i64::from(p.at) - i64::from(ord.latency);
                hi = Some(hi.map_or(bound, |h| h.min(bound)));
            }
        }
        match hi {
            Some(h) if h < i64::from(lo) => None,
            Some(h) => Some((lo, Some(h as u32))),
            None => Some((lo, None)),
        }
    }

    /// The direction a new result at `pos` should flow: towards most of its consumers
    /// (VXM and SXM consumers at their nearest instance); on a tie, towards the side of
    /// the chip with more positions.
    pub(crate) fn preferred(&self, v: Handle<Value>, pos: u32) -> Direction {
        let (mut east, mut west) = (0, 0);
        for &(c, _) in &self.f.value(v).consumers {
            let q = match &self.f.op(c).place {
                Place::Fixed(q) => *q,
                Place::Any(ps) => *ps
                    .iter()
                    .min_by_key(|&&p| (p.abs_diff(pos), p))
                    .expect("at least one position"),
                Place::Queue(_) => continue,
            };
            match towards(pos, q) {
                Some(Direction::East) => east += 1,
                Some(Direction::West) => west += 1,
                None => {}
            }
        }
        let width = self.f.target.width();
        if east > west || (east == west && 2 * pos + 1 <= width) {
            Direction::East
        } else {
            Direction::West
        }
    }

    fn failure(&self, c: OpId, q: u32, b: Blocker) -> Diagnostic {
        let f = self.f;
        let o = f.op(c);
        let span = f.func.op_span(o.handle);
        let unit = f.unit_at(q);
        let name = |v: Handle<Value>| f.func.value(v).name.clone();
        let (reason, other) = match b {
            Blocker::Operand(v) | Blocker::Stream(v) => (
                format!(
                    "operand `%{}` cannot be brought to `{unit}` in time: it is gone from its stream, and no bank it passes can take a spill slot then",
                    name(v)
                ),
                Some((
                    f.func.op_span(f.op(f.value(v).producer).handle),
                    format!("`%{}` is produced here", name(v)),
                )),
            ),
            Blocker::Unit => (format!("`{unit}` has no free issue slot"), None),
            Blocker::Bank(b) => (
                format!(
                    "bank {} of `mem.{}` is always busy",
                    b % f.banks_per_slice,
                    b / f.banks_per_slice
                ),
                None,
            ),
            Blocker::Plane(p) => (format!("MXM plane {p} is always busy"), None),
            Blocker::Capacity(b) => (
                format!(
                    "no spill slot is free in bank {} of `mem.{}`",
                    b % f.banks_per_slice,
                    b / f.banks_per_slice
                ),
                None,
            ),
        };
        let mut d = Diagnostic::error(
            codes::UNSCHEDULABLE,
            format!("cannot schedule `{}`: {reason}", o.opcode),
        )
        .primary(span, format!("no cycle found in {ATTEMPTS} attempts"));
        if let Some((s, m)) = other {
            d = d.secondary(s, m);
        }
        d
    }
}
