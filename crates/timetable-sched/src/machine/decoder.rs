//! The machine schedule generation scheme: ops are placed one at a time in list order,
//! each at the earliest cycle (and the best of its possible units) at which its issue
//! resource is free and every operand can be brought to it exactly then (see
//! [`deliver`](super::deliver)). Read-like ops whose results someone uses (`mem.read`,
//! `mxm.acc`) are not placed in list order but on demand, by their consumers, as often
//! as they are needed.

use super::codes;
use super::facts::{Facts, Issue, OpId, Place};
use super::spill_pool::{Freed, Pool};
use super::state::{Blocker, Bound, CopyId, Placed, Res, State, Why, towards};
use timetable_ir::diag::Diagnostic;
use timetable_ir::registry::Opcode;
use timetable_ir::target::Direction;
use timetable_ir::{Handle, Value};

/// Which results of an op placed in list order must be secured when readers of them
/// remain to be placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// Those of every op but read-like sources that can still be issued again.
    Pending,
    /// All, sources included (their window is about to close).
    Sources,
}

/// Failed attempts (cycles tried) before an op is declared unschedulable.
const ATTEMPTS: usize = 4096;
/// Failed attempts after which an op's demand-placed operands are placed in list order
/// instead (their results then reach it through memory if need be).
const DEMOTE_AFTER: usize = 16;

pub(crate) struct Decoder<'f> {
    pub f: &'f Facts<'f>,
    pub state: State,
    /// Memory slices: (position, slice index), west to east.
    pub mem: Vec<(u32, u32)>,
    pub write_latency: u32,
    pub pool: Pool,
    /// Failed attempts left in this decode, if limited.
    pub attempt_limit: Option<u64>,
    attempts_left: u64,
    /// Spill sites per (position, reader, direction mode), computed on first use.
    pub sites: Vec<Option<std::rc::Rc<[super::deliver::SpillSite]>>>,
}

impl<'f> Decoder<'f> {
    pub(crate) fn new(f: &'f Facts<'f>) -> Self {
        let pool = Pool::new(f);
        Decoder {
            state: State::new(f, &pool),
            pool,
            attempt_limit: None,
            attempts_left: u64::MAX,
            mem: f.mem_positions(),
            write_latency: f.write_latency(),
            sites: Vec::new(),
            f,
        }
    }

    /// Places every op of `list` (a precedence-feasible order of all ops) and returns
    /// the makespan. The state keeps the schedule until the next decode.
    pub(crate) fn decode(&mut self, list: &[OpId]) -> Result<u32, Diagnostic> {
        self.state.clear(self.f);
        self.attempts_left = self.attempt_limit.unwrap_or(u64::MAX);
        for &op in list {
            self.place(op)?;
        }
        self.state.drop_unread_homes();
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

    /// Whether `p` is placed when its consumer is, rather than in list order.
    pub(crate) fn on_demand(&self, p: OpId) -> bool {
        self.f.op(p).demand && !self.state.demoted[p as usize]
    }

    fn place(&mut self, c: OpId) -> Result<(), Diagnostic> {
        let o = self.f.op(c);
        if o.source || self.on_demand(c) || self.state.placed[c as usize].is_some() {
            // Placed on demand by its consumers (or already, after a demotion).
            return Ok(());
        }
        match self.place_best(c, Keep::Pending) {
            Ok(()) => {
                self.state.commit();
                self.bury();
                Ok(())
            }
            Err((q, b)) => Err(self.failure(c, q, b)),
        }
    }

    /// Secures (see [`Decoder::secure`]) the results made since copy `from` by ops of
    /// the input whose values still have readers to place; false if one finds no slot.
    /// Results of read-like sources are secured only under [`Keep::Sources`] or once
    /// their window has closed: until then they can be issued again.
    fn secure_pending(&mut self, from: usize, keep: Keep) -> bool {
        for id in from..self.state.copies.len() {
            let v = self.state.copies[id].value;
            let producer = self.f.value(v).producer;
            let Some(p) = &self.state.placed[producer as usize] else {
                continue;
            };
            let original = p.results.contains(&(id as CopyId));
            let waiting = || {
                self.f
                    .value(v)
                    .consumers
                    .iter()
                    .any(|&(c, _)| self.state.placed[c as usize].is_none())
            };
            let reissuable = keep == Keep::Pending
                && self.f.op(producer).source
                && self.window(producer).is_some_and(|(_, hi)| hi.is_none());
            if original
                && !reissuable
                && self.state.homes_of[v.index()].is_empty()
                && waiting()
                && !self.secure(id as CopyId, producer)
            {
                return false;
            }
        }
        true
    }

    /// Frees the slots of buffers whose last access was just placed (outputs keep
    /// theirs). Runs after a commit: deaths are final.
    fn bury(&mut self) {
        let finished = std::mem::take(&mut self.state.finished);
        for b in finished {
            if self.pool.kept[b.index()] {
                continue;
            }
            let death = self.f.accessors[b.index()]
                .iter()
                .map(|&p| {
                    let placed = self.state.placed[p as usize]
                        .as_ref()
                        .expect("every access is placed");
                    match self.f.op(p).opcode {
                        Opcode::MemWrite => (placed.at + self.write_latency.max(1))
                            .max(self.state.read_back[p as usize]),
                        _ => self.state.latest[p as usize] + 1,
                    }
                })
                .max()
                .unwrap_or(0);
            self.state.dead[b.index()] = Some(death);
            for &i in &self.pool.covered_by[b.index()] {
                let c = &self.pool.covered[i as usize];
                let deaths: Option<Vec<u32>> = c
                    .buffers
                    .iter()
                    .map(|x| self.state.dead[x.index()])
                    .collect();
                if let Some(from) = deaths.and_then(|d| d.into_iter().max()) {
                    self.state.freed[c.bank as usize].push(Freed {
                        addr: c.addr,
                        from,
                        uses: Vec::new(),
                    });
                }
            }
        }
    }

    /// Whether the buffer a memory op accesses is dead (its words may hold spills).
    pub(crate) fn buffer_dead(&self, op: OpId) -> bool {
        self.f.buffer[op as usize].is_some_and(|b| self.state.dead[b.index()].is_some())
    }

    /// Places `c` at the earliest cycle over its possible units (uncommitted).
    fn place_best(&mut self, c: OpId, keep: Keep) -> Result<(), (u32, Blocker)> {
        let positions = self.f.op(c).place.positions().to_vec();
        let q = if positions.len() > 1 {
            let mut best: Option<(u32, usize, u32, u32)> = None;
            for &q in &positions {
                let mark = self.state.mark();
                if let Ok(t) = self.scan(c, q, keep) {
                    let key = (t, self.state.new_ops.len(), self.state.flips, q);
                    if best.is_none_or(|b| key < b) {
                        best = Some(key);
                    }
                }
                self.state.rollback(mark);
            }
            best.map_or(positions[0], |b| b.3)
        } else {
            positions[0]
        };
        self.scan(c, q, keep).map(|_| ()).map_err(|b| (q, b))
    }

    /// Places operands of `c` whose producers were demoted but are not placed (an
    /// enclosing attempt was rolled back).
    fn place_demoted(&mut self, c: OpId) -> Result<(), Blocker> {
        for &(v, _) in &self.f.op(c).operands {
            let p = self.f.value(v).producer;
            if self.state.demoted[p as usize] && self.state.placed[p as usize].is_none() {
                self.place_best(p, Keep::Pending).map_err(|(_, b)| b)?;
            }
        }
        Ok(())
    }

    /// Issues the read-like sources that must issue before `c` and have not yet: placing
    /// `c` closes their window, and their readers, placed later, might find the bank busy
    /// in every cycle that is left of it. Issued now, their results are secured.
    fn place_closing_sources(&mut self, c: OpId) -> Result<(), Blocker> {
        for i in 0..self.f.before[c as usize].len() {
            let p = self.f.before[c as usize][i].op;
            if self.f.op(p).source && self.state.placed[p as usize].is_none() {
                self.place_best(p, Keep::Sources).map_err(|(_, b)| b)?;
            }
        }
        Ok(())
    }

    /// Demotes the demand-placed producers of `c`'s operands; whether there were any.
    fn demote_operands(&mut self, c: OpId) -> bool {
        let mut any = false;
        for &(v, _) in &self.f.op(c).operands {
            let p = self.f.value(v).producer;
            if self.on_demand(p) && self.state.placed[p as usize].is_none() {
                self.state.demoted[p as usize] = true;
                any = true;
            }
        }
        any
    }

    /// Finds the earliest cycle for `c` at `q` and places it there (uncommitted).
    fn scan(&mut self, c: OpId, q: u32, keep: Keep) -> Result<u32, Blocker> {
        let o = self.f.op(c);
        self.place_demoted(c)?;
        self.place_closing_sources(c)?;
        let (mut ready, mut bound) = self.ready(c, q);
        let res = match o.issue {
            Issue::Bank(b) => Some(Res::Bank(b)),
            Issue::Plane(p) => Some(Res::Plane(p)),
            Issue::Slot => Some(Res::Issue(q)),
            Issue::Free => None,
        };
        let mut t = ready;
        let mut first: Option<Blocker> = None;
        // What stopped each failed attempt, to report the most common.
        let mut tally: Vec<(Blocker, u32)> = Vec::new();
        for n in 0..ATTEMPTS {
            if n == DEMOTE_AFTER && self.demote_operands(c) {
                self.place_demoted(c)?;
                (ready, bound) = self.ready(c, q);
                t = t.max(ready);
            }
            let direct = self.sources_free_from(c, q, t);
            if direct > t {
                first.get_or_insert(Blocker::Operand(self.f.op(c).operands[0].0));
                t = direct;
            }
            if let Some(r) = res {
                let room = self.state.next_room(r, t);
                if room > t {
                    first.get_or_insert(match r {
                        Res::Bank(b) => Blocker::Bank(b),
                        Res::Plane(p) => Blocker::Plane(p),
                        _ => Blocker::Unit(q),
                    });
                    t = room;
                }
            }
            let mark = self.state.mark();
            let copies = self.state.copies.len();
            let why = Why {
                ready,
                bound,
                blocked: first,
            };
            let placed = self.attempt(c, q, t, why, None).and_then(|()| {
                if self.secure_pending(copies, keep) {
                    Ok(())
                } else {
                    Err(Blocker::Escape(self.f.op(c).results[0]))
                }
            });
            match placed {
                Ok(()) => return Ok(t),
                Err(b) => {
                    self.state.rollback(mark);
                    first.get_or_insert(b);
                    match tally.iter_mut().find(|(x, _)| *x == b) {
                        Some((_, n)) => *n += 1,
                        None => tally.push((b, 1)),
                    }
                    t += 1;
                    self.attempts_left = self.attempts_left.saturating_sub(1);
                    if self.attempts_left == 0 {
                        break;
                    }
                }
            }
        }
        // The most common blocker; on a tie, the one seen first.
        let most = tally.iter().map(|&(_, n)| n).max().unwrap_or(0);
        Err(tally
            .iter()
            .find(|&&(_, n)| n == most)
            .map_or(Blocker::Unit(q), |&(b, _)| b))
    }

    /// The first cycle from `t` at which `c` at `q` could read every operand that comes
    /// straight from a read-like source not issued yet, with an open window: the
    /// source's bank (or plane) must be free exactly when it has to issue. Looks through
    /// demand-placed operands with one possible position. Copying such a source through
    /// memory instead takes an earlier issue on the same busy resource, which only pays
    /// when the attempt itself takes the resource (several operands from one bank);
    /// skipping the cycles in which it is busy anyway keeps a long queue on a busy bank
    /// from costing an attempt (and a search for copies) per cycle.
    fn sources_free_from(&mut self, c: OpId, q: u32, t: u32) -> u32 {
        let mut t = t;
        for _ in 0..ATTEMPTS {
            let next = self.direct_sources_from(c, q, t, 0);
            if next == t {
                break;
            }
            t = next;
        }
        t
    }

    fn direct_sources_from(&mut self, c: OpId, q: u32, t: u32, depth: u32) -> u32 {
        let mut best = t;
        for i in 0..self.f.op(c).operands.len() {
            let v = self.f.op(c).operands[i].0;
            let p = self.f.value(v).producer;
            let o = self.f.op(p);
            if self.state.placed[p as usize].is_some() {
                continue;
            }
            if o.source {
                let fresh = self.state.copies_of[v.index()].is_empty()
                    && self.state.homes_of[v.index()].is_empty();
                let Some((lo, None)) = self.window(p) else {
                    continue;
                };
                if !fresh {
                    continue;
                }
                let delay = o.latency + q.abs_diff(self.source_pos(p));
                let r = t.saturating_sub(delay).max(lo);
                let free = self.state.next_room(self.source_res(p), r);
                best = best.max(free + delay);
            } else if self.on_demand(p) && o.place.positions().len() == 1 && depth < 64 {
                let qp = o.place.positions()[0];
                let delay = o.latency + q.abs_diff(qp);
                if let Some(tp) = t.checked_sub(delay) {
                    best = best.max(self.direct_sources_from(p, qp, tp, depth + 1) + delay);
                }
            }
        }
        best
    }

    /// Places `c` at `q` in cycle `t` if its issue resource is free and every operand
    /// can be brought there then. Results stay on their streams until `dest`'s cycle,
    /// flowing towards its position, when the op is placed for a known reader.
    pub(crate) fn attempt(
        &mut self,
        c: OpId,
        q: u32,
        t: u32,
        why: Why,
        dest: Option<(u32, u32)>,
    ) -> Result<(), Blocker> {
        let o = self.f.op(c);
        match o.issue {
            Issue::Bank(b) => self.book(Res::Bank(b), t, Blocker::Bank(b))?,
            Issue::Plane(p) => self.book(Res::Plane(p), t, Blocker::Plane(p))?,
            Issue::Slot => self.book(Res::Issue(q), t, Blocker::Unit(q))?,
            Issue::Free => {}
        }
        let operands = self.deliver_all(c, q, t)?;
        self.close_windows(c, t)?;
        let produced = t + o.latency;
        let mut results = Vec::with_capacity(o.results.len());
        let (to, until) = dest.unwrap_or((q, produced));
        for &r in &o.results {
            results.push(self.put(r, q, produced, until, to)?);
        }
        if results.len() > 1 {
            for &copy in &results {
                if !self.secure(copy, c) {
                    return Err(Blocker::Escape(self.state.copies[copy as usize].value));
                }
            }
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
        if let Some(b) = self.f.buffer[c as usize] {
            self.state.access(b);
        }
        for &(v, _) in &o.operands {
            let p = self.f.value(v).producer;
            if let (true, Some(b)) = (self.f.op(p).source, self.f.buffer[p as usize]) {
                self.state.access(b);
            }
        }
        Ok(())
    }

    /// Placing `c` in cycle `t` closes the window of the placed read-like sources that
    /// must issue before it (`c` overwrites what they read, say): readers of their
    /// values placed later cannot issue them again. A value with such readers and no
    /// spill slot gets one now, from a copy made earlier or from one more issue inside
    /// the window; otherwise its readers might find it nowhere.
    fn close_windows(&mut self, c: OpId, t: u32) -> Result<(), Blocker> {
        for i in 0..self.f.before[c as usize].len() {
            let ord = self.f.before[c as usize][i];
            let p = ord.op;
            if !self.f.op(p).source || self.state.placed[p as usize].is_none() {
                continue;
            }
            let Some((lo, None)) = self.window(p) else {
                // Closed before, and secured then.
                continue;
            };
            for k in 0..self.f.op(p).results.len() {
                let v = self.f.op(p).results[k];
                let waiting = self
                    .f
                    .value(v)
                    .consumers
                    .iter()
                    .any(|&(r, _)| r != c && self.state.placed[r as usize].is_none());
                if waiting && self.state.homes_of[v.index()].is_empty() {
                    self.secure_stored(p, v, lo, t.checked_sub(ord.latency), c)?;
                }
            }
        }
        Ok(())
    }

    /// Writes source `p`'s result `v` to a spill slot: one of its copies, latest first,
    /// or a fresh issue of `p` in `[lo, hi]`.
    fn secure_stored(
        &mut self,
        p: OpId,
        v: Handle<Value>,
        lo: u32,
        hi: Option<u32>,
        serves: OpId,
    ) -> Result<(), Blocker> {
        for i in (0..self.state.copies_of[v.index()].len()).rev() {
            let id = self.state.copies_of[v.index()][i];
            if self.secure(id, serves) {
                return Ok(());
            }
        }
        let res = self.source_res(p);
        let pos = self.source_pos(p);
        let latency = self.f.op(p).latency;
        let mut r = hi.ok_or(Blocker::Escape(v))?;
        for _ in 0..ATTEMPTS {
            if r < lo {
                break;
            }
            if self.state.fits(res, r, 1) {
                let mark = self.state.mark();
                let secured = self
                    .issue_source(p, r, r + latency, pos, serves)
                    .is_ok_and(|copy| self.secure(copy, serves));
                if secured {
                    return Ok(());
                }
                self.state.rollback(mark);
            }
            r = r.checked_sub(1).ok_or(Blocker::Escape(v))?;
        }
        Err(Blocker::Escape(v))
    }

    /// Brings every operand of `c` to `q` for cycle `t`. Each operand takes its cheapest
    /// route given the ones before it, so when operand `k` fails (say, the bank its
    /// source needs is taken by an earlier operand's read), it is tried first instead.
    fn deliver_all(&mut self, c: OpId, q: u32, t: u32) -> Result<Vec<CopyId>, Blocker> {
        let o = self.f.op(c);
        let n = o.operands.len();
        let mut order: Vec<usize> = (0..n).collect();
        let mut first_error = None;
        for _ in 0..n.max(1) {
            let mark = self.state.mark();
            let mut copies = vec![0; n];
            let mut failed = None;
            for &k in &order {
                match self.deliver(o.operands[k].0, q, t, c) {
                    Ok(copy) => copies[k] = copy,
                    Err(b) => {
                        failed = Some((k, b));
                        break;
                    }
                }
            }
            let Some((k, b)) = failed else {
                return Ok(copies);
            };
            self.state.rollback(mark);
            first_error.get_or_insert(b);
            if order[0] == k {
                break;
            }
            order.retain(|&i| i != k);
            order.insert(0, k);
        }
        Err(first_error.expect("an operand failed"))
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
            // Reads back of what an earlier write stored must happen before this op
            // replaces it.
            let t = (from + ord.latency).max(self.state.read_back[ord.op as usize]);
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
        let o = self.f.op(src);
        if self.on_demand(src) && self.state.placed[src as usize].is_none() {
            let qp = *o
                .place
                .positions()
                .iter()
                .min_by_key(|&&p| (p.abs_diff(q), p))
                .expect("at least one position");
            let inner = o
                .operands
                .iter()
                .map(|&(w, _)| self.data_ready(w, qp))
                .max()
                .unwrap_or(0);
            return inner + o.latency + q.abs_diff(qp);
        }
        // A source with an open window can be issued again; otherwise the value exists
        // only as its copies and spill slots.
        let issue = o
            .source
            .then(|| self.window(src))
            .flatten()
            .map(|(lo, _)| lo + o.latency + q.abs_diff(self.source_pos(src)));
        let copies = self.state.copies_of[v.index()].iter().map(|&c| {
            let c = &self.state.copies[c as usize];
            c.cycle + q.abs_diff(c.pos)
        });
        let read = self.f.read_latency();
        let homes = self.state.homes_of[v.index()].iter().map(|&h| {
            let h = &self.state.homes[h as usize];
            h.ready + read + q.abs_diff(h.pos)
        });
        issue
            .into_iter()
            .chain(copies)
            .chain(homes)
            .min()
            .unwrap_or(0)
    }

    /// The cycles in which a read-like source may issue: after the writes it must see
    /// have landed, before the placed writes that must not be seen. `None` when empty.
    pub(crate) fn window(&self, src: OpId) -> Option<(u32, Option<u32>)> {
        if self.buffer_dead(src) {
            return None;
        }
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
                // A movable consumer votes only for a side with its nearest instance.
                Place::Any(ps) => {
                    let near = ps.iter().map(|p| p.abs_diff(pos)).min().unwrap_or(0);
                    let mut nearest = ps.iter().filter(|p| p.abs_diff(pos) == near);
                    match (nearest.next(), nearest.next()) {
                        (Some(&q), None) => q,
                        _ => continue,
                    }
                }
                Place::Queue(_) => continue,
            };
            match towards(pos, q) {
                Some(Direction::East) => east += 1,
                Some(Direction::West) => west += 1,
                None => {}
            }
        }
        let width = self.f.target.width();
        if east > west || (east == west && 2 * pos < width) {
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
            Blocker::Escape(v) => (
                format!(
                    "its result `%{}` has readers placed later, and no bank it passes can take it then",
                    name(v)
                ),
                None,
            ),
            Blocker::Unit(p) => (format!("`{}` has no free issue slot", f.unit_at(p)), None),
            Blocker::Bank(b) => (
                format!(
                    "bank {} of `mem.{}` is taken in every cycle it would need it (to issue, or to read an operand from it)",
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
        if matches!(
            b,
            Blocker::Bank(_) | Blocker::Capacity(_) | Blocker::Escape(_) | Blocker::Operand(_)
        ) {
            d = d.note(self.spill_room());
        }
        d
    }

    /// How much room for spill slots the target leaves around the program's buffers.
    fn spill_room(&self) -> String {
        let (words, _) = super::spill_pool::slot_geometry(self.f);
        let slots: u32 = self.pool.free.iter().sum();
        let banks = self.pool.free.iter().filter(|&&n| n > 0).count();
        format!(
            "values that wait are parked in spill slots of {words} words; `@{}` has room for {slots} outside the program's buffers, in {banks} of {} banks (more as buffers die), and a bank serves one access a cycle",
            self.f.target.name,
            self.pool.free.len()
        )
    }
}
