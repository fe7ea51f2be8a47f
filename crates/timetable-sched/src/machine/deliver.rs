//! Bringing an operand to a consumer at position `q` in cycle `t`, cheapest route first:
//!
//! 1. **in flight**: a copy of the value passes `q` exactly in cycle `t` (it is kept on
//!    its stream until then; an unsettled copy may turn around);
//! 2. **from a spill slot** already holding the value: a read timed to arrive at `t`;
//! 3. **from memory the program wrote it to**: a read of the element a `mem.write` of
//!    the input stored it in, before a later write replaces it; or **from its source**:
//!    a `mem.read` or `mxm.acc` of the input is issued (again) within the window its
//!    memory and state dependences leave open;
//! 4. **through a new spill slot**: a copy is written to a scratch vector in a bank it
//!    passes (a `mem.write` in the cycle it passes) and read back in time;
//! 5. **a relay**: a fresh read of the value's source (inside its window) or of a spill
//!    slot, written to a spill slot in another bank and read back from there: for a
//!    source whose window has closed or whose bank is busy at the needed cycle, and for
//!    operands parked in one bank that must arrive together.

use super::decoder::Decoder;
use super::facts::{Issue, OpId, Place};
use super::state::{
    Blocker, Bound, Copy, CopyId, Home, HomeId, NewKind, NewOp, Placed, Res, Why, hops, opposite,
    towards,
};
use std::rc::Rc;
use timetable_dataflow::deps::DepKind;
use timetable_ir::target::Direction;
use timetable_ir::{Handle, Value};

/// A memory slice on a copy's way: (detour to the reader, hops from the copy, slice,
/// direction).
pub(crate) type SpillSite = (u32, u32, u32, Direction);

/// Relay attempts per operand (see [`Decoder::relay`]), and cycles looked at for them
/// (cycles in which the read's bank is free; busy stretches are skipped whole).
const RELAY_TRIES: usize = 16;
const RELAY_LOOKS: usize = 256;

/// Where a relay reads a value from.
#[derive(Clone, Copy, Debug)]
enum Stored {
    /// A read-like op of the input, issued again.
    Source(OpId),
    /// A spill slot.
    Home(HomeId),
}

impl Decoder<'_> {
    /// Makes `v` readable at `q` in cycle `t` for `serves`; returns the copy read.
    pub(crate) fn deliver(
        &mut self,
        v: Handle<Value>,
        q: u32,
        t: u32,
        serves: OpId,
    ) -> Result<CopyId, Blocker> {
        let producer = self.f.value(v).producer;
        if self.on_demand(producer) && self.state.placed[producer as usize].is_none() {
            return self.place_demand(producer, q, t, serves);
        }
        let mut blocker = Blocker::Operand(v);
        let mut note = |b: Blocker| {
            if blocker == Blocker::Operand(v) {
                blocker = b;
            }
        };
        if let Some(c) = self.in_flight(v, q, t, &mut note) {
            return Ok(c);
        }
        if let Some(c) = self.via_slots(v, q, t, serves, &mut note) {
            return Ok(c);
        }
        if let Some(c) = self.via_stores(v, q, t, serves, &mut note) {
            return Ok(c);
        }
        let source = self.f.op(producer).source;
        if source && let Some(c) = self.via_source(v, q, t, serves, &mut note) {
            return Ok(c);
        }
        for i in 0..self.state.copies_of[v.index()].len() {
            let c = self.state.copies_of[v.index()][i];
            if let Some(c) = self.spill(c, q, t, serves, &mut note) {
                return Ok(c);
            }
        }
        if let Some(c) = self.relay(v, q, t, serves, &mut note) {
            return Ok(c);
        }
        Err(blocker)
    }

    /// Places demand op `p` so that its result reaches `q` in cycle `t`.
    fn place_demand(&mut self, p: OpId, q: u32, t: u32, serves: OpId) -> Result<CopyId, Blocker> {
        let o = self.f.op(p);
        let mut positions = o.place.positions().to_vec();
        positions.sort_unstable_by_key(|&qp| (qp.abs_diff(q), qp));
        let mut last = Blocker::Operand(o.results[0]);
        for qp in positions {
            let Some(tp) = t.checked_sub(o.latency + q.abs_diff(qp)) else {
                continue;
            };
            let mark = self.state.mark();
            let why = Why {
                ready: tp,
                bound: Bound::Consumer(serves),
                blocked: None,
            };
            match self.attempt(p, qp, tp, why, Some((q, t))) {
                Ok(()) => {
                    return Ok(self.state.placed[p as usize]
                        .as_ref()
                        .expect("just placed")
                        .results[0]);
                }
                Err(b) => {
                    last = b;
                    self.state.rollback(mark);
                }
            }
        }
        Err(last)
    }

    fn in_flight(
        &mut self,
        v: Handle<Value>,
        q: u32,
        t: u32,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        for i in 0..self.state.copies_of[v.index()].len() {
            let id = self.state.copies_of[v.index()][i];
            let c = self.state.copies[id as usize];
            let away = q != c.pos;
            if c.arrival(q) == Some(t) {
                match self.state.extend(id, t, away) {
                    Ok(()) => return Some(id),
                    Err(b) => note(b),
                }
            }
            if !c.locked && away && hops(opposite(c.dir), c.pos, q).map(|h| c.cycle + h) == Some(t)
            {
                let mark = self.state.mark();
                match self
                    .state
                    .flip(id)
                    .and_then(|()| self.state.extend(id, t, true))
                {
                    Ok(()) => return Some(id),
                    Err(b) => {
                        note(b);
                        self.state.rollback(mark);
                    }
                }
            }
        }
        None
    }

    /// Route 2: a read of a spill slot that already holds `v`.
    fn via_slots(
        &mut self,
        v: Handle<Value>,
        q: u32,
        t: u32,
        serves: OpId,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        for i in 0..self.state.homes_of[v.index()].len() {
            let id = self.state.homes_of[v.index()][i];
            let Some(r) = self.home_read_cycle(id, q, t) else {
                continue;
            };
            let mark = self.state.mark();
            match self.read_home(id, r, t, q, serves) {
                Ok(c) => return Some(c),
                Err(b) => {
                    note(b);
                    self.state.rollback(mark);
                }
            }
        }
        None
    }

    /// The cycle a read of spill slot `id` must issue in to reach `q` in cycle `t`, if
    /// the slot holds its value by then.
    fn home_read_cycle(&self, id: HomeId, q: u32, t: u32) -> Option<u32> {
        let h = &self.state.homes[id as usize];
        t.checked_sub(self.f.read_latency() + q.abs_diff(h.pos))
            .filter(|&r| r >= h.ready)
    }

    /// Reads spill slot `id` in cycle `r` (at or after it is ready), the copy kept on its
    /// stream until `until` and headed towards `q`.
    fn read_home(
        &mut self,
        id: HomeId,
        r: u32,
        until: u32,
        q: u32,
        serves: OpId,
    ) -> Result<CopyId, Blocker> {
        let h = self.state.homes[id as usize];
        if !self.state.fits(Res::Bank(h.bank), r, 1) {
            return Err(Blocker::Bank(h.bank));
        }
        if !self.state.extend_home(id, self.write_latency, r + 1) {
            return Err(Blocker::Capacity(h.bank));
        }
        self.state.book(Res::Bank(h.bank), r, 1);
        if r > h.last {
            self.state.set_home_last(id, r);
        }
        let spill_read = NewKind::SpillRead { home: id };
        let ready = r + self.f.read_latency();
        self.issue_new(spill_read, r, h.pos, serves, h.value, ready, until, q)
    }

    /// Route 3a: read `v` back from where a placed `mem.write` of the input stored it.
    fn via_stores(
        &mut self,
        v: Handle<Value>,
        q: u32,
        t: u32,
        serves: OpId,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        let read = self.f.read_latency();
        for i in 0..self.f.stores[v.index()].len() {
            let w = self.f.stores[v.index()][i];
            let Some(p) = &self.state.placed[w as usize] else {
                continue;
            };
            if self.buffer_dead(w) {
                continue;
            }
            let (pos, at) = (p.pos, p.at);
            let Some(r) = t.checked_sub(read + q.abs_diff(pos)) else {
                continue;
            };
            // After the write lands; before any later write (or barrier) issues.
            if r < at + self.write_latency {
                continue;
            }
            let replaced = self.f.after[w as usize].iter().any(|o| {
                o.kind == DepKind::Waw
                    && self.state.placed[o.op as usize]
                        .as_ref()
                        .is_some_and(|s| s.at <= r)
            });
            if replaced {
                continue;
            }
            let Issue::Bank(bank) = self.f.op(w).issue else {
                continue;
            };
            if !self.state.fits(Res::Bank(bank), r, 1) {
                note(Blocker::Bank(bank));
                continue;
            }
            let mark = self.state.mark();
            self.state.book(Res::Bank(bank), r, 1);
            let read_back = NewKind::ReadBack { write: w };
            match self.issue_new(read_back, r, pos, serves, v, r + read, t, q) {
                Ok(c) => {
                    self.state.note_read_back(w, r);
                    return Some(c);
                }
                Err(b) => {
                    note(b);
                    self.state.rollback(mark);
                }
            }
        }
        None
    }

    /// Route 3b: issue the value's read-like source (again) so that it arrives at `t`.
    fn via_source(
        &mut self,
        v: Handle<Value>,
        q: u32,
        t: u32,
        serves: OpId,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        let src = self.f.value(v).producer;
        let (pos, latency) = (self.source_pos(src), self.f.op(src).latency);
        let r = t.checked_sub(latency + q.abs_diff(pos))?;
        let (lo, hi) = self.window(src)?;
        if r < lo || hi.is_some_and(|hi| r > hi) {
            return None;
        }
        let mark = self.state.mark();
        match self.issue_source(src, r, t, q, serves) {
            Ok(c) => Some(c),
            Err(b) => {
                note(b);
                self.state.rollback(mark);
                None
            }
        }
    }

    /// Issues source `src` (or a re-issue of it) in cycle `r`, its result kept on its
    /// stream until `until` and headed towards `q`.
    pub(crate) fn issue_source(
        &mut self,
        src: OpId,
        r: u32,
        until: u32,
        q: u32,
        serves: OpId,
    ) -> Result<CopyId, Blocker> {
        let o = self.f.op(src);
        let (pos, latency, v) = (self.source_pos(src), o.latency, o.results[0]);
        let res = match o.issue {
            Issue::Bank(b) => Res::Bank(b),
            Issue::Plane(p) => Res::Plane(p),
            Issue::Slot | Issue::Free => {
                unreachable!("sources are memory reads and accumulator reads")
            }
        };
        if !self.state.fits(res, r, 1) {
            return Err(match res {
                Res::Bank(b) => Blocker::Bank(b),
                Res::Plane(p) => Blocker::Plane(p),
                _ => Blocker::Unit(pos),
            });
        }
        self.state.book(res, r, 1);
        let fresh = self.state.placed[src as usize].is_none();
        let copy = if fresh {
            let c = self.put(v, pos, r + latency, until, q)?;
            let why = Why {
                ready: r,
                bound: Bound::Consumer(serves),
                blocked: None,
            };
            self.state.set_placed(
                src,
                Placed {
                    at: r,
                    pos,
                    operands: Vec::new(),
                    results: vec![c],
                    why,
                },
            );
            c
        } else {
            let reissue = NewKind::Reissue { of: src };
            self.issue_new(reissue, r, pos, serves, v, r + latency, until, q)?
        };
        self.state.raise_latest(src, r);
        if fresh && let Some(b) = self.f.buffer[src as usize] {
            self.state.access(b);
        }
        Ok(copy)
    }

    /// Route 4: write copy `id` to a spill slot in a bank it passes and read it back so
    /// that it arrives at `q` in cycle `t`.
    fn spill(
        &mut self,
        id: CopyId,
        q: u32,
        t: u32,
        serves: OpId,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        let c = self.state.copies[id as usize];
        let (read, write) = (self.f.read_latency(), self.write_latency);
        let candidates = self.spill_sites(c.pos, q, c.dir, c.locked);
        for &(detour, h, slice, dir) in candidates.iter() {
            // Later candidates only go farther, leaving less time between write and read.
            let Some(r) = t.checked_sub(read + (detour - h)) else {
                break;
            };
            let w = c.cycle + h;
            if r < w + write || r <= w {
                break;
            }
            let pos = match dir {
                Direction::East => c.pos + h,
                Direction::West => c.pos - h,
            };
            for b in 0..self.f.banks_per_slice {
                let bank = slice * self.f.banks_per_slice + b;
                let end = (w + write.max(1)).max(r + 1);
                if !self.state.fits(Res::Bank(bank), w, 1)
                    || !self.state.fits(Res::Bank(bank), r, 1)
                {
                    note(Blocker::Bank(bank));
                    continue;
                }
                let Some(slot) = self.slot_room(bank, w, end) else {
                    note(Blocker::Capacity(bank));
                    continue;
                };
                let mark = self.state.mark();
                match self.spill_at(id, dir, pos, (slice, bank, slot), w, r, t, q, serves) {
                    Ok(copy) => return Some(copy),
                    Err(blocker) => {
                        note(blocker);
                        self.state.rollback(mark);
                    }
                }
            }
        }
        None
    }

    /// Writes a copy to a spill slot at the nearest bank on its way that is free when it
    /// passes (either way while its direction is open), so that readers placed later can
    /// still reach the value: by then the streams and banks around it may be taken, and
    /// it could be neither read in flight nor spilled any more. Writes nobody reads back
    /// are dropped when the decode ends
    /// ([`State::drop_unread_homes`](super::state::State::drop_unread_homes)). Whether
    /// it found a slot.
    pub(crate) fn secure(&mut self, id: CopyId, serves: OpId) -> bool {
        let c = self.state.copies[id as usize];
        let write = self.write_latency;
        let dirs = if c.locked {
            vec![c.dir]
        } else {
            vec![c.dir, opposite(c.dir)]
        };
        // Nearest first; among equally near banks, the one with the fewest spill slots
        // taken then, so that values made together (and read together later) are not
        // all parked in one bank, whose single read port would serve them one a cycle.
        let mut sites: Vec<(u32, u32, bool, u32, u32, u32, Direction)> = Vec::new();
        for dir in dirs {
            for &(s, slice) in &self.mem {
                let Some(h) = hops(dir, c.pos, s) else {
                    continue;
                };
                if h == 0 && dir != c.dir {
                    continue;
                }
                let w = c.cycle + h;
                for b in 0..self.f.banks_per_slice {
                    let bank = slice * self.f.banks_per_slice + b;
                    if self.state.fits(Res::Bank(bank), w, 1) {
                        let taken = self.state.res.profile(Res::Slots(bank)).usage_at(w);
                        sites.push((h, taken, dir != c.dir, s, slice, bank, dir));
                    }
                }
            }
        }
        sites.sort_unstable_by_key(|&(h, taken, turn, s, _, bank, _)| (h, taken, turn, s, bank));
        let mut blocked_dir: Option<Direction> = None;
        for (h, _, _, s, slice, bank, dir) in sites {
            if blocked_dir == Some(dir) {
                continue;
            }
            let w = c.cycle + h;
            let end = w + write.max(1);
            let Some(freed) = self.slot_room(bank, w, end) else {
                continue;
            };
            let mark = self.state.mark();
            let turned = if dir != c.dir {
                self.state.flip(id)
            } else {
                Ok(())
            };
            if turned
                .and_then(|()| self.state.extend(id, w, s != c.pos))
                .is_err()
            {
                self.state.rollback(mark);
                blocked_dir = Some(dir);
                continue;
            }
            self.write_home(id, (s, slice, bank, freed), w, w, serves);
            return true;
        }
        false
    }

    #[allow(clippy::too_many_arguments)]
    fn spill_at(
        &mut self,
        id: CopyId,
        dir: Direction,
        pos: u32,
        (slice, bank, freed): (u32, u32, Option<u32>),
        w: u32,
        r: u32,
        t: u32,
        q: u32,
        serves: OpId,
    ) -> Result<CopyId, Blocker> {
        let c = self.state.copies[id as usize];
        let read = self.f.read_latency();
        if dir != c.dir {
            self.state.flip(id)?;
        }
        self.state.extend(id, w, pos != c.pos)?;
        self.state.book(Res::Bank(bank), r, 1);
        let home = self.write_home(id, (pos, slice, bank, freed), w, r, serves);
        let spill_read = NewKind::SpillRead { home };
        self.issue_new(spill_read, r, pos, serves, c.value, r + read, t, q)
    }

    /// Room for a spill slot in `bank` over cycles `[from, end)`: `Some(None)` in the
    /// bank's pool, `Some(Some(slot))` in the words of a dead buffer, `None` if neither.
    fn slot_room(&mut self, bank: u32, from: u32, end: u32) -> Option<Option<u32>> {
        if self.state.fits(Res::Slots(bank), from, end - from) {
            Some(None)
        } else {
            self.state.find_freed(bank, from, end).map(Some)
        }
    }

    /// Writes copy `id` to a new spill slot (`freed` as [`Decoder::slot_room`] found it)
    /// at `pos` in cycle `w`, the slot held until its last read-back at `last`: the
    /// bank's write cycle, the slot's words, the home and its write.
    fn write_home(
        &mut self,
        id: CopyId,
        (pos, slice, bank, freed): (u32, u32, u32, Option<u32>),
        w: u32,
        last: u32,
        serves: OpId,
    ) -> HomeId {
        let home = Home {
            value: self.state.copies[id as usize].value,
            pos,
            slice,
            bank,
            start: w,
            ready: w + self.write_latency,
            last,
            freed,
        };
        let end = home.end(self.write_latency);
        self.state.book(Res::Bank(bank), w, 1);
        match freed {
            None => self.state.book(Res::Slots(bank), w, end - w),
            Some(slot) => self.state.use_freed(bank, slot, w, end),
        }
        let home = self.state.push_home(home);
        self.state.push_new(NewOp {
            kind: NewKind::SpillWrite { home, operand: id },
            at: w,
            pos,
            serves,
            result: None,
        });
        home
    }

    /// Adds a read-like op of `kind` issued at `at` on `pos` and puts its result `v`,
    /// there in cycle `ready`, on its way to `q` for cycle `until`.
    #[allow(clippy::too_many_arguments)]
    fn issue_new(
        &mut self,
        kind: NewKind,
        at: u32,
        pos: u32,
        serves: OpId,
        v: Handle<Value>,
        ready: u32,
        until: u32,
        q: u32,
    ) -> Result<CopyId, Blocker> {
        let n = self.state.push_new(NewOp {
            kind,
            at,
            pos,
            serves,
            result: None,
        });
        let copy = self.put(v, pos, ready, until, q)?;
        self.state.set_new_result(n, copy);
        Ok(copy)
    }

    /// Route 5: a relay. A fresh read of where `v` is stored — its read-like source,
    /// inside its window, or a spill slot — is written to a spill slot in another bank
    /// on its way and read back from there in time. This serves a source whose window
    /// has closed or whose bank is busy when the read would have to issue, and operands
    /// that can only come from one bank at once (both parked in it).
    fn relay(
        &mut self,
        v: Handle<Value>,
        q: u32,
        t: u32,
        serves: OpId,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        let producer = self.f.value(v).producer;
        let mut stored: Vec<Stored> = Vec::new();
        if self.f.op(producer).source {
            stored.push(Stored::Source(producer));
        }
        // A spill slot only when reading it directly failed for its bank being taken
        // then (another operand's read, say): a relay takes longer than a direct read,
        // so it cannot help one that is too early, and costs a search of the cycles
        // before.
        for &id in &self.state.homes_of[v.index()] {
            let bank = self.state.homes[id as usize].bank;
            let busy = self
                .home_read_cycle(id, q, t)
                .is_some_and(|r| !self.state.fits(Res::Bank(bank), r, 1));
            if busy {
                stored.push(Stored::Home(id));
            }
        }
        for s in stored {
            if let Some(c) = self.relay_from(s, q, t, serves, note) {
                return Some(c);
            }
        }
        None
    }

    fn relay_from(
        &mut self,
        stored: Stored,
        q: u32,
        t: u32,
        serves: OpId,
        note: &mut impl FnMut(Blocker),
    ) -> Option<CopyId> {
        let (pos, latency, res, lo, hi) = match stored {
            Stored::Source(src) => {
                let (lo, hi) = self.window(src)?;
                let o = self.f.op(src);
                (
                    self.source_pos(src),
                    o.latency,
                    self.source_res(src),
                    lo,
                    hi,
                )
            }
            Stored::Home(id) => {
                let h = self.state.homes[id as usize];
                let read = self.f.read_latency();
                (h.pos, read, Res::Bank(h.bank), h.ready, None)
            }
        };
        // Out to a slice, written, read back, and back to `q`: at least the distance.
        let need = latency + self.write_latency.max(1) + self.f.read_latency() + q.abs_diff(pos);
        let latest = t.checked_sub(need)?;
        let latest = hi.map_or(latest, |hi| hi.min(latest));
        let (mut tries, mut looks) = (0, 0);
        let mut r = latest;
        while tries < RELAY_TRIES && looks < RELAY_LOOKS {
            // Straight to the last cycle the read's bank (or plane) is free: behind a
            // busy bank, stepping a cycle at a time cost an attempt's worth per cycle.
            match self.state.prev_room(res, r) {
                Some(free) if free >= lo => r = free,
                _ => break,
            }
            looks += 1;
            for dir in self.directions_from(pos, q) {
                // Cheap check first (the read's bank is free in `r`): some slice on the
                // way with its bank free when the copy passes and when it is read back.
                if !self.any_site(pos, r + latency, dir, q, t) {
                    continue;
                }
                tries += 1;
                let mark = self.state.mark();
                let ahead = pos_towards(pos, dir);
                let made = match stored {
                    Stored::Source(src) => self.issue_source(src, r, r + latency, ahead, serves),
                    Stored::Home(id) => self.read_home(id, r, r + latency, ahead, serves),
                }
                .map_err(&mut *note);
                if let Ok(c) = made
                    && let Some(copy) = self.spill(c, q, t, serves, note)
                {
                    return Some(copy);
                }
                self.state.rollback(mark);
            }
            if r == 0 {
                break;
            }
            r -= 1;
        }
        None
    }

    /// Whether a copy made at `pos` in `cycle` flowing `dir` passes a slice with a bank
    /// free then and when a read back would have to issue to reach `q` in cycle `t`, and
    /// a slot to spill into.
    fn any_site(&mut self, pos: u32, cycle: u32, dir: Direction, q: u32, t: u32) -> bool {
        let (read, write) = (self.f.read_latency(), self.write_latency);
        let sites = self.spill_sites(pos, q, dir, true);
        for &(detour, h, slice, _) in sites.iter() {
            let (Some(r), w) = (t.checked_sub(read + (detour - h)), cycle + h) else {
                break;
            };
            if r < w + write || r <= w {
                break;
            }
            let end = (w + write.max(1)).max(r + 1);
            for b in 0..self.f.banks_per_slice {
                let bank = slice * self.f.banks_per_slice + b;
                if self.state.fits(Res::Bank(bank), w, 1)
                    && self.state.fits(Res::Bank(bank), r, 1)
                    && (self.state.fits(Res::Slots(bank), w, end - w)
                        || self.state.find_freed(bank, w, end).is_some())
                {
                    return true;
                }
            }
        }
        false
    }

    /// The resource a read-like source books when it issues.
    pub(crate) fn source_res(&self, src: OpId) -> Res {
        match self.f.op(src).issue {
            Issue::Bank(b) => Res::Bank(b),
            Issue::Plane(p) => Res::Plane(p),
            Issue::Slot | Issue::Free => {
                unreachable!("sources are memory reads and accumulator reads")
            }
        }
    }

    /// Memory slices a copy at `pos` flowing `dir` (either way unless `locked`) passes,
    /// as (detour to `q`, hops from `pos`, slice, direction), shortest detour first.
    fn spill_sites(&mut self, pos: u32, q: u32, dir: Direction, locked: bool) -> Rc<[SpillSite]> {
        let width = self.f.target.width();
        let mode = usize::from(dir == Direction::West) + 2 * usize::from(locked);
        let key = ((pos * width + q) as usize) * 4 + mode;
        if self.sites.len() <= key {
            self.sites.resize(key + 1, None);
        }
        if let Some(sites) = &self.sites[key] {
            return sites.clone();
        }
        let dirs: &[Direction] = if locked {
            &[dir]
        } else if dir == Direction::East {
            &[Direction::East, Direction::West]
        } else {
            &[Direction::West, Direction::East]
        };
        let mut sites: Vec<SpillSite> = Vec::new();
        for &d in dirs {
            for &(s, slice) in &self.mem {
                if let Some(h) = hops(d, pos, s)
                    && (h > 0 || d == dir)
                {
                    sites.push((h + q.abs_diff(s), h, slice, d));
                }
            }
        }
        sites.sort_unstable_by_key(|&(detour, h, slice, d)| (detour, h, d != dir, slice));
        let sites: Rc<[SpillSite]> = sites.into();
        self.sites[key] = Some(sites.clone());
        sites
    }

    /// Puts `v` on a stream group at `pos` in `cycle`, flowing towards `q` (any way when
    /// `q == pos`), kept there until `until`.
    pub(crate) fn put(
        &mut self,
        v: Handle<Value>,
        pos: u32,
        cycle: u32,
        until: u32,
        q: u32,
    ) -> Result<CopyId, Blocker> {
        let width = self.f.value(v).width;
        let (first, second) = match towards(pos, q) {
            Some(d) => (d, None),
            None => {
                let d = self.preferred(v, pos);
                (d, Some(opposite(d)))
            }
        };
        for dir in std::iter::once(first).chain(second) {
            let mut c = Copy {
                value: v,
                pos,
                cycle,
                dir,
                first: 0,
                width,
                last: until.max(cycle),
                locked: q != pos,
            };
            if let Some(first) = self
                .state
                .streams
                .find(c.lane(), width, cycle, c.last, u32::MAX)
            {
                c.first = first;
                return Ok(self.state.push_copy(c));
            }
        }
        Err(Blocker::Stream(v))
    }

    /// The directions to try for a value leaving `pos` for `q`.
    fn directions_from(&self, pos: u32, q: u32) -> [Direction; 2] {
        match towards(pos, q) {
            Some(d) => [d, opposite(d)],
            None => [Direction::East, Direction::West],
        }
    }

    /// The position of a read-like source.
    pub(crate) fn source_pos(&self, src: OpId) -> u32 {
        match self.f.op(src).place {
            Place::Fixed(p) | Place::Queue(p) => p,
            Place::Any(ref ps) => ps[0],
        }
    }
}

/// A position one step from `pos` in `dir` (a target for "flow this way"); saturating at
/// the west edge, where nothing is west of position 0 anyway.
fn pos_towards(pos: u32, dir: Direction) -> u32 {
    match dir {
        Direction::East => pos + 1,
        Direction::West => pos.saturating_sub(1),
    }
}
