//! A machine schedule under construction: resource profiles (the engine's
//! [`ResourceProfile`]), stream occupancy, the copies of every value in flight, spill
//! homes, the ops the scheduler adds, and an undo log so that a tentative placement can
//! be rolled back exactly.

use super::facts::{Facts, OpId};
use super::spill_pool::{Freed, Pool};
use super::streams::{Lane, Occ, Streams};
use crate::ResourceProfile;
use timetable_ir::registry::UnitClass;
use timetable_ir::target::Direction;
use timetable_ir::{Handle, Value};

pub(crate) type CopyId = u32;
pub(crate) type HomeId = u32;
pub(crate) type NewId = u32;

/// One appearance of a value on a stream group: produced at `pos` in `cycle`, read until
/// `last`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Copy {
    pub value: Handle<Value>,
    pub pos: u32,
    pub cycle: u32,
    pub dir: Direction,
    pub first: u32,
    pub width: u32,
    pub last: u32,
    /// Read somewhere other than where it is produced: its direction is settled.
    pub locked: bool,
}

impl Copy {
    pub(crate) fn lane(&self) -> Lane {
        Lane::of(self.dir, self.pos, self.cycle)
    }

    pub(crate) fn occ(&self, holder: CopyId) -> Occ {
        Occ {
            first: self.first,
            width: self.width,
            from: self.cycle,
            to: self.last,
            holder,
        }
    }

    /// The cycle the copy passes `q`, if `q` is on its way.
    pub(crate) fn arrival(&self, q: u32) -> Option<u32> {
        hops(self.dir, self.pos, q).map(|h| self.cycle + h)
    }
}

/// Hops from `from` to `to` along `dir`, if `to` is downstream (or the same position).
pub(crate) fn hops(dir: Direction, from: u32, to: u32) -> Option<u32> {
    match dir {
        Direction::East => to.checked_sub(from),
        Direction::West => from.checked_sub(to),
    }
}

pub(crate) fn opposite(dir: Direction) -> Direction {
    match dir {
        Direction::East => Direction::West,
        Direction::West => Direction::East,
    }
}

/// The direction from `from` towards `to` (`None` when they are equal).
pub(crate) fn towards(from: u32, to: u32) -> Option<Direction> {
    match to.cmp(&from) {
        std::cmp::Ordering::Greater => Some(Direction::East),
        std::cmp::Ordering::Less => Some(Direction::West),
        std::cmp::Ordering::Equal => None,
    }
}

/// A spill slot: a value written to a scratch vector in `bank` in cycle `start`, readable
/// from `ready`, last read in `last`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Home {
    pub value: Handle<Value>,
    pub pos: u32,
    pub slice: u32,
    pub bank: u32,
    pub start: u32,
    pub ready: u32,
    pub last: u32,
    /// The freed slot it lives in (an index into `State::freed[bank]`), or `None` for a
    /// pool slot.
    pub freed: Option<u32>,
}

impl Home {
    /// One past the last cycle the slot is occupied: the write occupies its words until
    /// it has landed, a read in its cycle (the dataflow crate's cycle live range).
    pub(crate) fn end(&self, write_latency: u32) -> u32 {
        (self.start + write_latency.max(1)).max(self.last + 1)
    }
}

/// What an added op does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewKind {
    /// Issues a read-like op of the input again (`mem.read`, `mxm.acc`).
    Reissue { of: OpId },
    /// Reads back the vector a `mem.write` of the input stored.
    ReadBack { write: OpId },
    /// Writes a copy into a spill slot.
    SpillWrite { home: HomeId, operand: CopyId },
    /// Reads a spill slot back onto a stream.
    SpillRead { home: HomeId },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct NewOp {
    pub kind: NewKind,
    pub at: u32,
    pub pos: u32,
    /// The op whose operand this serves (orders it in the body).
    pub serves: OpId,
    pub result: Option<CopyId>,
}

/// Why an op issues when it does, for the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// Nothing held it back.
    Start,
    /// A memory or state dependence on another op.
    Order(OpId),
    /// An operand is not available earlier.
    Operand(Handle<Value>),
    /// Placed on demand, timed for the op that reads its result.
    Consumer(OpId),
}

/// What made an attempt to issue in a cycle fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blocker {
    /// The unit at this position has no free issue slot.
    Unit(u32),
    /// A memory bank (flat index) is busy.
    Bank(u32),
    /// An MXM plane is busy.
    Plane(u32),
    /// No stream group is free for this value on its way.
    Stream(Handle<Value>),
    /// The operand cannot be brought here in this cycle.
    Operand(Handle<Value>),
    /// No spill slot is free in this bank.
    Capacity(u32),
    /// A result whose readers are placed later could not be written to a bank it
    /// passes (so they might find it nowhere).
    Escape(Handle<Value>),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Why {
    pub ready: u32,
    pub bound: Bound,
    pub blocked: Option<Blocker>,
}

/// Where and when an input op was placed, and which copies it reads and makes.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    pub at: u32,
    pub pos: u32,
    pub operands: Vec<CopyId>,
    pub results: Vec<CopyId>,
    pub why: Why,
}

/// A resource that ops book in their issue cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Res {
    Issue(u32),
    Plane(u32),
    Bank(u32),
    /// Spill slots of a bank (booked over a slot's whole occupancy).
    Slots(u32),
}

/// Every resource's usage profile.
pub(crate) struct Resources {
    issue: Vec<Option<ResourceProfile>>,
    planes: Vec<ResourceProfile>,
    banks: Vec<ResourceProfile>,
    slots: Vec<ResourceProfile>,
}

impl Resources {
    fn new(f: &Facts, slots_per_bank: &[u32]) -> Self {
        let t = f.target;
        let issue = t
            .positions()
            .iter()
            .map(|u| match u.class {
                UnitClass::Vxm => Some(ResourceProfile::new(t.vxm_alus)),
                UnitClass::Sxm => Some(ResourceProfile::new(t.sxm_issue)),
                _ => None,
            })
            .collect();
        let banks = (t.mem_slices() * t.mem.banks) as usize;
        Resources {
            issue,
            planes: (0..t.total_planes())
                .map(|_| ResourceProfile::new(1))
                .collect(),
            banks: (0..banks).map(|_| ResourceProfile::new(1)).collect(),
            slots: slots_per_bank
                .iter()
                .map(|&n| ResourceProfile::new(n))
                .collect(),
        }
    }

    fn clear(&mut self) {
        let all = self
            .issue
            .iter_mut()
            .flatten()
            .chain(&mut self.planes)
            .chain(&mut self.banks)
            .chain(&mut self.slots);
        all.for_each(ResourceProfile::clear);
    }

    pub(crate) fn profile(&self, r: Res) -> &ResourceProfile {
        match r {
            Res::Issue(p) => self.issue[p as usize]
                .as_ref()
                .expect("issue slots exist at VXM and SXM positions"),
            Res::Plane(p) => &self.planes[p as usize],
            Res::Bank(b) => &self.banks[b as usize],
            Res::Slots(b) => &self.slots[b as usize],
        }
    }

    fn profile_mut(&mut self, r: Res) -> &mut ResourceProfile {
        match r {
            Res::Issue(p) => self.issue[p as usize]
                .as_mut()
                .expect("issue slots exist at VXM and SXM positions"),
            Res::Plane(p) => &mut self.planes[p as usize],
            Res::Bank(b) => &mut self.banks[b as usize],
            Res::Slots(b) => &mut self.slots[b as usize],
        }
    }
}

/// One change to undo.
enum Undo {
    Book(Res, u32, u32),
    StreamAdd(Lane, u32),
    StreamRemove(Lane, Occ),
    CopyPush,
    CopySet(CopyId, Copy),
    HomePush,
    HomeSet(HomeId, Home),
    NewPush,
    Placed(OpId),
    Latest(OpId, u32),
    ReadBack(OpId, u32),
    Flip,
    Access(Handle<Value>),
    Finished,
    FreedUse(u32, u32),
    FreedSet(u32, u32, usize, (u32, u32)),
}

/// The schedule under construction.
pub(crate) struct State {
    pub res: Resources,
    pub streams: Streams,
    pub copies: Vec<Copy>,
    /// Per value handle index.
    pub copies_of: Vec<Vec<CopyId>>,
    pub homes: Vec<Home>,
    pub homes_of: Vec<Vec<HomeId>>,
    pub new_ops: Vec<NewOp>,
    pub placed: Vec<Option<Placed>>,
    /// Per op: the latest issue of the op or of a re-issue of it.
    pub latest: Vec<u32>,
    /// Per `mem.write`: one past the latest read-back of what it stored (0: none); later
    /// writes to its words must not issue before.
    pub read_back: Vec<u32>,
    /// Copies turned around so far (a tie-breaker: turning a value can strand its other
    /// readers on the other side).
    pub flips: u32,
    /// Demand ops placed in list order after all, because their consumer found no
    /// cycle in which the whole demand tree fits (say, more VXM ops in one cycle than it
    /// has ALUs).
    pub demoted: Vec<bool>,
    /// Per buffer (value index): its [uses](Facts::uses) not placed yet.
    pub remaining: Vec<u32>,
    /// Buffers whose last access was placed in the current step.
    pub finished: Vec<Handle<Value>>,
    /// Per buffer: the cycle it died (all accesses placed and over; not an output).
    pub dead: Vec<Option<u32>>,
    /// Per bank: slots of dead buffers.
    pub freed: Vec<Vec<Freed>>,
    undo: Vec<Undo>,
}

impl State {
    pub(crate) fn new(f: &Facts, pool: &Pool) -> Self {
        State {
            res: Resources::new(f, &pool.free),
            streams: Streams::new(f.target.streams),
            copies: Vec::new(),
            copies_of: vec![Vec::new(); f.func.values.len()],
            homes: Vec::new(),
            homes_of: vec![Vec::new(); f.func.values.len()],
            new_ops: Vec::new(),
            placed: vec![None; f.ops.len()],
            latest: vec![0; f.ops.len()],
            read_back: vec![0; f.ops.len()],
            flips: 0,
            demoted: vec![false; f.ops.len()],
            remaining: f.uses.clone(),
            finished: Vec::new(),
            dead: vec![None; f.func.values.len()],
            freed: vec![Vec::new(); pool.free.len()],
            undo: Vec::new(),
        }
    }

    pub(crate) fn clear(&mut self, f: &Facts) {
        self.res.clear();
        self.remaining.copy_from_slice(&f.uses);
        self.finished.clear();
        self.dead.fill(None);
        self.freed.iter_mut().for_each(Vec::clear);
        self.streams.clear();
        self.copies.clear();
        self.copies_of.iter_mut().for_each(Vec::clear);
        self.homes.clear();
        self.homes_of.iter_mut().for_each(Vec::clear);
        self.new_ops.clear();
        self.placed.fill(None);
        self.latest.fill(0);
        self.read_back.fill(0);
        self.flips = 0;
        self.demoted.fill(false);
        self.undo.clear();
    }

    // ---- transactions ------------------------------------------------------------

    pub(crate) fn mark(&self) -> usize {
        self.undo.len()
    }

    /// Undoes every change since `mark`.
    pub(crate) fn rollback(&mut self, mark: usize) {
        while self.undo.len() > mark {
            match self.undo.pop().expect("above the mark") {
                Undo::Book(r, at, len) => self.res.profile_mut(r).remove(at, len, 1),
                Undo::StreamAdd(lane, holder) => {
                    self.streams.remove(lane, holder);
                }
                Undo::StreamRemove(lane, occ) => self.streams.add(lane, occ),
                Undo::CopyPush => {
                    let c = self.copies.pop().expect("pushed");
                    self.copies_of[c.value.index()].pop();
                }
                Undo::CopySet(id, old) => self.copies[id as usize] = old,
                Undo::HomePush => {
                    let h = self.homes.pop().expect("pushed");
                    self.homes_of[h.value.index()].pop();
                }
                Undo::HomeSet(id, old) => self.homes[id as usize] = old,
                Undo::NewPush => {
                    self.new_ops.pop();
                }
                Undo::Placed(op) => self.placed[op as usize] = None,
                Undo::Latest(op, old) => self.latest[op as usize] = old,
                Undo::ReadBack(op, old) => self.read_back[op as usize] = old,
                Undo::Flip => self.flips -= 1,
                Undo::Access(b) => self.remaining[b.index()] += 1,
                Undo::Finished => {
                    self.finished.pop();
                }
                Undo::FreedUse(bank, slot) => {
                    self.freed[bank as usize][slot as usize].uses.pop();
                }
                Undo::FreedSet(bank, slot, k, old) => {
                    self.freed[bank as usize][slot as usize].uses[k] = old;
                }
            }
        }
    }

    /// Forgets the undo log: everything so far is final.
    pub(crate) fn commit(&mut self) {
        self.undo.clear();
    }

    // ---- primitive changes -------------------------------------------------------

    pub(crate) fn fits(&self, r: Res, at: u32, len: u32) -> bool {
        self.res.profile(r).fits(at, len, 1)
    }

    pub(crate) fn book(&mut self, r: Res, at: u32, len: u32) {
        self.res.profile_mut(r).add(at, len, 1);
        self.undo.push(Undo::Book(r, at, len));
    }

    /// The last period `<= from` where `r` has room for one more.
    pub(crate) fn prev_room(&mut self, r: Res, from: u32) -> Option<u32> {
        self.res.profile_mut(r).prev_room(from, 1)
    }

    /// The first period `>= from` where `r` has room for one more.
    pub(crate) fn next_room(&mut self, r: Res, from: u32) -> u32 {
        self.res.profile_mut(r).next_room(from, 1)
    }

    pub(crate) fn push_copy(&mut self, copy: Copy) -> CopyId {
        let id = self.copies.len() as CopyId;
        self.streams.add(copy.lane(), copy.occ(id));
        self.undo.push(Undo::StreamAdd(copy.lane(), id));
        self.copies_of[copy.value.index()].push(id);
        self.copies.push(copy);
        self.undo.push(Undo::CopyPush);
        id
    }

    /// Replaces a copy's stream occupancy (direction, group or last read).
    fn reseat(&mut self, id: CopyId, new: Copy) {
        let old = self.copies[id as usize];
        if let Some(occ) = self.streams.remove(old.lane(), id) {
            self.undo.push(Undo::StreamRemove(old.lane(), occ));
        }
        self.streams.add(new.lane(), new.occ(id));
        self.undo.push(Undo::StreamAdd(new.lane(), id));
        self.copies[id as usize] = new;
        self.undo.push(Undo::CopySet(id, old));
    }

    /// Keeps copy `id` on its stream until cycle `to` (moving it to another group of its
    /// diagonal if its own is taken), and settles its direction if `lock`.
    pub(crate) fn extend(&mut self, id: CopyId, to: u32, lock: bool) -> Result<(), Blocker> {
        let c = self.copies[id as usize];
        if to <= c.last {
            if lock && !c.locked {
                self.undo.push(Undo::CopySet(id, c));
                self.copies[id as usize].locked = true;
            }
            return Ok(());
        }
        let lane = c.lane();
        let first = if self
            .streams
            .free(lane, c.first, c.width, c.last + 1, to, id)
        {
            c.first
        } else {
            self.streams
                .find(lane, c.width, c.cycle, to, id)
                .ok_or(Blocker::Stream(c.value))?
        };
        self.reseat(
            id,
            Copy {
                first,
                last: to,
                locked: c.locked || lock,
                ..c
            },
        );
        Ok(())
    }

    /// Turns an unsettled copy around.
    pub(crate) fn flip(&mut self, id: CopyId) -> Result<(), Blocker> {
        let c = self.copies[id as usize];
        debug_assert!(!c.locked);
        let turned = Copy {
            dir: opposite(c.dir),
            ..c
        };
        let first = self
            .streams
            .find(turned.lane(), c.width, c.cycle, c.last, id)
            .ok_or(Blocker::Stream(c.value))?;
        self.reseat(id, Copy { first, ..turned });
        self.flips += 1;
        self.undo.push(Undo::Flip);
        Ok(())
    }

    pub(crate) fn push_home(&mut self, home: Home) -> HomeId {
        let id = self.homes.len() as HomeId;
        self.homes_of[home.value.index()].push(id);
        self.homes.push(home);
        self.undo.push(Undo::HomePush);
        id
    }

    pub(crate) fn set_home_last(&mut self, id: HomeId, last: u32) {
        let old = self.homes[id as usize];
        self.homes[id as usize].last = last;
        self.undo.push(Undo::HomeSet(id, old));
    }

    pub(crate) fn push_new(&mut self, op: NewOp) -> NewId {
        self.new_ops.push(op);
        self.undo.push(Undo::NewPush);
        (self.new_ops.len() - 1) as NewId
    }

    pub(crate) fn set_new_result(&mut self, id: NewId, copy: CopyId) {
        // Set right after `push_new` within one transaction, so undoing the push undoes it.
        self.new_ops[id as usize].result = Some(copy);
    }

    pub(crate) fn set_placed(&mut self, op: OpId, placed: Placed) {
        self.placed[op as usize] = Some(placed);
        self.undo.push(Undo::Placed(op));
    }

    pub(crate) fn raise_latest(&mut self, op: OpId, at: u32) {
        let old = self.latest[op as usize];
        if at > old {
            self.latest[op as usize] = at;
            self.undo.push(Undo::Latest(op, old));
        }
    }

    /// Counts a placed use of `buffer` (an access, or a read of a value read from it).
    pub(crate) fn access(&mut self, buffer: Handle<Value>) {
        self.remaining[buffer.index()] -= 1;
        self.undo.push(Undo::Access(buffer));
        if self.remaining[buffer.index()] == 0 {
            self.finished.push(buffer);
            self.undo.push(Undo::Finished);
        }
    }

    /// A freed slot of `bank` free during `[start, end)`.
    pub(crate) fn find_freed(&self, bank: u32, start: u32, end: u32) -> Option<u32> {
        self.freed[bank as usize]
            .iter()
            .position(|s| s.free_during(start, end))
            .map(|i| i as u32)
    }

    /// Occupies freed slot `slot` of `bank` during `[start, end)`.
    pub(crate) fn use_freed(&mut self, bank: u32, slot: u32, start: u32, end: u32) {
        self.freed[bank as usize][slot as usize]
            .uses
            .push((start, end));
        self.undo.push(Undo::FreedUse(bank, slot));
    }

    /// Extends a home's occupancy of its slot to `[.., end)`; false if it is taken.
    pub(crate) fn extend_home(&mut self, id: HomeId, write_latency: u32, end: u32) -> bool {
        let h = self.homes[id as usize];
        let old_end = h.end(write_latency);
        if end <= old_end {
            return true;
        }
        match h.freed {
            None => {
                if !self.fits(Res::Slots(h.bank), old_end, end - old_end) {
                    return false;
                }
                self.book(Res::Slots(h.bank), old_end, end - old_end);
            }
            Some(slot) => {
                let uses = &self.freed[h.bank as usize][slot as usize].uses;
                let k = uses
                    .iter()
                    .position(|&u| u == (h.start, old_end))
                    .expect("a home occupies its freed slot");
                let clash = uses
                    .iter()
                    .enumerate()
                    .any(|(j, &(s, e))| j != k && s < end && old_end < e);
                if clash {
                    return false;
                }
                self.freed[h.bank as usize][slot as usize].uses[k] = (h.start, end);
                self.undo
                    .push(Undo::FreedSet(h.bank, slot, k, (h.start, old_end)));
            }
        }
        true
    }

    /// Records a read-back of what `write` stored, in cycle `at`.
    pub(crate) fn note_read_back(&mut self, write: OpId, at: u32) {
        let old = self.read_back[write as usize];
        if at + 1 > old {
            self.read_back[write as usize] = at + 1;
            self.undo.push(Undo::ReadBack(write, old));
        }
    }

    /// Drops the spill slots nobody reads back (secured values that were read in flight
    /// after all) and their writes. Their bank cycles and slot time stay booked, which
    /// only matters to a decode that continues, and none does.
    pub(crate) fn drop_unread_homes(&mut self) {
        let mut read = vec![false; self.homes.len()];
        for n in &self.new_ops {
            if let NewKind::SpillRead { home } = n.kind {
                read[home as usize] = true;
            }
        }
        if read.iter().all(|&r| r) {
            return;
        }
        let mut renumber = vec![HomeId::MAX; self.homes.len()];
        let mut kept = 0;
        for (i, &r) in read.iter().enumerate() {
            if r {
                renumber[i] = kept;
                kept += 1;
            }
        }
        let mut k = 0;
        self.homes.retain(|_| {
            k += 1;
            read[k - 1]
        });
        self.new_ops.retain_mut(|n| match &mut n.kind {
            NewKind::SpillWrite { home, .. } | NewKind::SpillRead { home } => {
                *home = renumber[*home as usize];
                *home != HomeId::MAX
            }
            _ => true,
        });
        self.homes_of.iter_mut().for_each(Vec::clear);
        for (id, h) in self.homes.iter().enumerate() {
            self.homes_of[h.value.index()].push(id as HomeId);
        }
        self.undo.clear();
    }

    /// The cycle by which everything has completed: the largest issue + delay.
    pub(crate) fn makespan(&self, f: &Facts) -> u32 {
        let input = self
            .placed
            .iter()
            .zip(&f.ops)
            .filter_map(|(p, o)| p.as_ref().map(|p| p.at + o.latency));
        let added = self.new_ops.iter().map(|n| n.at + self.new_latency(f, n));
        input.chain(added).max().unwrap_or(0)
    }

    /// The functional delay of an added op.
    pub(crate) fn new_latency(&self, f: &Facts, n: &NewOp) -> u32 {
        match n.kind {
            NewKind::Reissue { of } => f.op(of).latency,
            NewKind::ReadBack { .. } => f.read_latency(),
            NewKind::SpillWrite { .. } => f.write_latency(),
            NewKind::SpillRead { .. } => f.read_latency(),
        }
    }
}
