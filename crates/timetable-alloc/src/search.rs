//! Branch and bound over canonical placements, after MiniMalloc (M. D.
//! Moffitt, ASPLOS 2024).
//!
//! * **Canonical placement.** Every feasible packing can be pushed down until
//!   each buffer rests (aligned) on top of the highest conflicting buffer
//!   below it; placing that packing's buffers in increasing offset order puts
//!   each at its *minimum offset*, the aligned top of the conflicting buffers
//!   already placed. So a node only chooses *which* buffer comes next, and
//!   offsets never decrease along a branch (ties broken by a static order).
//! * **Dominance.** A buffer is not placed at or above the lowest height any
//!   other unplaced buffer could reach: that one would fit entirely below and
//!   belongs first.
//! * **Section inference.** Each section (a maximal set of buffers live at one
//!   moment, see [`crate::sweep`]) must still hold its unplaced buffers
//!   stacked above both the current offset (offsets only grow) and the lowest
//!   minimum offset among them; any section that cannot prunes the node. With
//!   zero slack this rejects every wasted byte at the peak at once.
//! * **Decomposition.** When no unplaced buffer crosses between two sections,
//!   the two sides are independent sub-problems, solved one after the other
//!   without backtracking across them.
//! * **Symmetry.** Of identical buffers, only the first unplaced is a
//!   candidate.
//! * **Settled buffers.** An unplaced buffer with no unplaced neighbour
//!   (MiniMalloc's "hatless" buffer) will end at its current minimum offset
//!   whatever happens, so in canonical order it comes before every candidate
//!   ordered after it: those are not tried, and if it is already below the
//!   canonical bound the node is dead.
//!
//! The search is iterative (explicit stack and undo trail): its depth is the
//! number of buffers.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Instant;

use crate::order::{self, Key, ORDERS, RangeMax};
use crate::overlap::Overlaps;
use crate::problem::{Align, BufferId, Problem};
use crate::sweep::{Part, Sweep};

const UNPLACED: u64 = u64::MAX;

/// Parts with more conflicting pairs than this are not searched: the search
/// keeps the conflict graph in memory.
pub(crate) const MAX_PAIRS: u64 = 20_000_000;

/// What a search established about a part at a capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A packing within the capacity, written to the offsets.
    Found,
    /// The whole tree was explored: no packing fits.
    Infeasible,
    /// The node limit or the deadline came first.
    Stopped,
}

/// Searches `part` for a packing within `capacity`, spending at most `limit`
/// nodes of the budget. Restarts round-robin over the static orders with a
/// node limit that doubles each round (as MiniMalloc does), so one order's
/// unlucky early choice cannot sink the whole budget. Writes the packing
/// into `offsets[id]` for the part's buffers when found.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve(
    problem: &Problem,
    sweep: &Sweep,
    peaks: &RangeMax,
    part: &Part,
    capacity: u64,
    limit: u64,
    budget: &mut Budget,
    offsets: &mut [u64],
) -> Verdict {
    let searchers: Option<Vec<Searcher>> = ORDERS
        .iter()
        .map(|keys| {
            let ids = order::sorted(problem, sweep, peaks, &part.buffers, keys);
            Searcher::new(problem, sweep, part, ids, keys, capacity)
        })
        .collect();
    let Some(mut searchers) = searchers else {
        return Verdict::Stopped;
    };
    if std::env::var_os("ALLOC_CORE").is_some() {
        let peak = peaks.max(&part.sections);
        let core: Vec<BufferId> = part
            .buffers
            .iter()
            .copied()
            .filter(|&id| sweep.span[id].clone().any(|s| sweep.pressure[s as usize] == peak))
            .collect();
        eprintln!("core {} of {}", core.len(), part.buffers.len());
        let core_part = Part { sections: part.sections.clone(), buffers: core.clone() };
        let ids = order::sorted(problem, sweep, peaks, &core, ORDERS[0]);
        let mut core_searcher = Searcher::new(problem, sweep, &core_part, ids, ORDERS[0], capacity).unwrap();
        let run = core_searcher.run(u64::MAX, budget);
        let Run::Found(found) = run else { return Verdict::Stopped; };
        eprintln!("core solved");
        let pins: Vec<(BufferId, u64)> = core_searcher.ids.iter().copied().zip(found).collect();
        if std::env::var_os("ALLOC_DUMP").is_some() {
            for &(id, o) in &pins { eprintln!("PIN {id} {o}"); }
        }
        for searcher in &mut searchers {
            searcher.pin(&pins);
            let run = searcher.run(std::env::var("ALLOC_EXT").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000), budget);
            eprintln!("extension: {:?} maxdepth {}", run_kind(&run), searcher.max_depth);
            if let Run::Found(found) = run {
                for (&id, offset) in searcher.ids.iter().zip(found) {
                    offsets[id] = offset;
                }
                return Verdict::Found;
            }
        }
        return Verdict::Stopped;
    }
    let mut left = limit.min(budget.nodes);
    let mut round_limit = 2 * part.buffers.len() as u64;
    let mut round = 0u64;
    let window: u64 = std::env::var("ALLOC_WINDOW").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    loop {
        if round > 0 && window > 0 {
            for (h, keys) in ORDERS.iter().enumerate() {
                let ids = order::sorted(problem, sweep, peaks, &part.buffers, keys);
                let mut rng = round * 31 + h as u64;
                let mut noisy: Vec<(u64, BufferId)> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, &id)| (k as u64 + splitmix(&mut rng) % window, id))
                    .collect();
                noisy.sort_unstable();
                let ids = noisy.into_iter().map(|(_, id)| id).collect();
                searchers[h] = Searcher::new(problem, sweep, part, ids, keys, capacity).unwrap();
            }
        }
        round += 1;
        let only: Option<usize> = std::env::var("ALLOC_ONLY").ok().and_then(|v| v.parse().ok());
        for (h, searcher) in searchers.iter_mut().enumerate() {
            if only.is_some_and(|o| o != h) { continue; }
            let allowed = if only.is_some() { left } else { round_limit.min(left) };
            if allowed == 0 || budget.out_of_time() {
                return Verdict::Stopped;
            }
            let before = budget.nodes;
            let run = searcher.run(allowed, budget);
            if std::env::var_os("ALLOC_DEBUG").is_some() {
                eprintln!("run allowed {allowed} -> {:?} maxdepth {} n {}", matches!(run, Run::Found(_)), searcher.max_depth, searcher.ids.len());
                let total: u64 = searcher.fails.iter().sum();
                let hist: Vec<String> = searcher.fails.iter().enumerate().filter(|&(_, &f)| f * 50 > total).map(|(s, f)| format!("{s}:{}", f * 100 / total.max(1))).collect();
                eprintln!("  fails {} splits {}", hist.join(" "), searcher.splits);
                searcher.splits = 0;
                searcher.fails.clear();
            }
            left -= (before - budget.nodes).min(left);
            match run {
                Run::Found(found) => {
                    for (&id, offset) in searcher.ids.iter().zip(found) {
                        offsets[id] = offset;
                    }
                    return Verdict::Found;
                }
                Run::Infeasible => return Verdict::Infeasible,
                Run::Stopped => {}
            }
        }
        round_limit = round_limit.saturating_mul(2);
    }
}

/// What one bounded run of the search established.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Run {
    /// A packing of the part within capacity: `offsets[i]` for the part's
    /// `i`-th buffer.
    Found(Vec<u64>),
    /// The whole tree was explored: no packing fits.
    Infeasible,
    /// The node limit or the deadline came first.
    Stopped,
}

/// The remaining budget of a whole packing job, shared by all searches.
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    pub nodes: u64,
    pub deadline: Option<Instant>,
}

impl Budget {
    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// One search tree: a part of a problem with its buffers in one static
/// order, and the mutable state of a depth-first walk over it.
struct Searcher {
    capacity: u64,
    /// Buffer ids; local index `i` is the `i`-th in static order.
    ids: Vec<BufferId>,
    size: Vec<u64>,
    align: Vec<Align>,
    /// Sections relative to the part's first one.
    span: Vec<Range<u32>>,
    overlaps: Overlaps,
    /// Members of each section (local indices), flattened.
    member_start: Vec<u32>,
    members: Vec<u32>,
    /// The previous buffer in static order if it is identical.
    twin: Vec<Option<u32>>,

    offset: Vec<u64>,
    min_offset: Vec<u64>,
    /// Unplaced size per section.
    remaining: Vec<u64>,
    /// Lowest minimum offset among the unplaced buffers of each section.
    floor: Vec<u64>,
    /// Unplaced buffers crossing from section `s` to `s + 1`.
    cut: Vec<u32>,
    /// Unplaced neighbours of each buffer.
    open_neighbours: Vec<u32>,
    /// Tie-break among equal offsets: the static order, re-ranked within
    /// each sub-problem by its remaining pressure when it is split off.
    rank: Vec<u32>,
    keys: &'static [Key],
    /// Static key values (size, width, area) per buffer.
    statics: Vec<[u128; 3]>,
    /// Offsets some buffers must take (`UNPLACED` for free ones).
    pin: Vec<u64>,

    trail: Vec<Undo>,
    stack: Vec<Frame>,
    candidates: Vec<u32>,
    /// Sub-problems: their buffers live in `part_buffers`.
    parts: Vec<SubPart>,
    part_buffers: Vec<u32>,
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
    new_cuts: Vec<u32>,
    max_depth: usize,
    fails: Vec<u64>,
    splits: u64,
}

#[derive(Clone, Debug)]
enum Undo {
    Place(u32),
    MinOffset(u32, u64),
    Floor(u32, u64),
    Rank(u32, u32),
}

#[derive(Clone, Debug)]
struct SubPart {
    buffers: Range<u32>,
    sections: Range<u32>,
    /// Stack index of the split that created it (`None` for the whole part).
    split: Option<u32>,
}

#[derive(Clone, Debug)]
enum Frame {
    Node(Node),
    Split(Split),
}

#[derive(Clone, Debug)]
struct Node {
    part: u32,
    /// Canonical order: candidates must come after `(offset, index)` of the
    /// buffer placed by the parent; `None` at the root of a sub-problem.
    after: Option<(u64, u32)>,
    candidates: Range<u32>,
    next: u32,
    expanded: bool,
    trail: u32,
    parts: u32,
    part_buffers: u32,
}

#[derive(Clone, Debug)]
struct Split {
    /// The sub-problem that was split.
    part: u32,
    children: Range<u32>,
    current: u32,
    trail: u32,
}

impl Searcher {
    /// `ids` are the part's buffers in static order. `None` if the part's
    /// conflict graph is too large to build.
    fn new(
        problem: &Problem,
        sweep: &Sweep,
        part: &Part,
        ids: Vec<BufferId>,
        keys: &'static [Key],
        capacity: u64,
    ) -> Option<Searcher> {
        let buffers = problem.buffers();
        let base = part.sections.start;
        let sections = part.sections.len();
        let n = ids.len();
        let span: Vec<Range<u32>> = ids
            .iter()
            .map(|&id| sweep.span[id].start - base..sweep.span[id].end - base)
            .collect();
        let overlaps = Overlaps::new(problem, &ids, MAX_PAIRS)?;

        let mut member_start = vec![0u32; sections + 1];
        for range in &span {
            for s in range.clone() {
                member_start[s as usize + 1] += 1;
            }
        }
        for s in 0..sections {
            member_start[s + 1] += member_start[s];
        }
        let mut fill = member_start.clone();
        let mut members = vec![0u32; member_start[sections] as usize];
        for (i, range) in span.iter().enumerate() {
            for s in range.clone() {
                members[fill[s as usize] as usize] = i as u32;
                fill[s as usize] += 1;
            }
        }
        let twin = (0..n)
            .map(|i| (i > 0 && buffers[ids[i - 1]] == buffers[ids[i]]).then(|| i as u32 - 1))
            .collect();

        let statics = ids
            .iter()
            .map(|&id| {
                let b = &buffers[id];
                let width = u128::from(b.lifetime.len());
                [u128::from(b.size), width, u128::from(b.size) * width]
            })
            .collect();
        let mut searcher = Searcher {
            capacity,
            size: ids.iter().map(|&id| buffers[id].size).collect(),
            align: ids.iter().map(|&id| buffers[id].align).collect(),
            ids,
            span,
            overlaps,
            member_start,
            members,
            twin,
            offset: vec![UNPLACED; n],
            min_offset: vec![0; n],
            remaining: vec![0; sections],
            floor: vec![0; sections],
            cut: vec![0; sections],
            open_neighbours: vec![0; n],
            rank: (0..n as u32).collect(),
            keys,
            statics,
            pin: vec![UNPLACED; n],
            trail: Vec::new(),
            stack: Vec::new(),
            candidates: Vec::new(),
            parts: Vec::new(),
            part_buffers: Vec::new(),
            dirty: Vec::new(),
            is_dirty: vec![false; sections],
            new_cuts: Vec::new(),
            max_depth: 0,
            fails: Vec::new(),
            splits: 0,
        };
        searcher.reset();
        Some(searcher)
    }

    /// Pins buffers (by id) to offsets: only packings that agree are
    /// searched. Identical buffers are no longer interchangeable then.
    fn pin(&mut self, pins: &[(BufferId, u64)]) {
        let local: HashMap<BufferId, usize> =
            self.ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        self.pin.fill(UNPLACED);
        for &(id, offset) in pins {
            self.pin[local[&id]] = offset;
        }
        for i in 0..self.ids.len() {
            if self.pin[i] != UNPLACED || self.twin[i].is_some_and(|t| self.pin[t as usize] != UNPLACED) {
                self.twin[i] = None;
            }
        }
    }

    /// Back to the root: nothing placed.
    fn reset(&mut self) {
        self.max_depth = 0;
        self.offset.fill(UNPLACED);
        self.min_offset.fill(0);
        self.remaining.fill(0);
        self.cut.fill(0);
        for i in 0..self.ids.len() {
            self.open_neighbours[i] = self.overlaps.of(i).len() as u32;
        }
        for (i, range) in self.span.iter().enumerate() {
            for s in range.clone() {
                self.remaining[s as usize] += self.size[i];
            }
            for s in range.start..range.end - 1 {
                self.cut[s as usize] += 1;
            }
        }
        for (i, rank) in self.rank.iter_mut().enumerate() {
            *rank = i as u32;
        }
        for s in 0..self.floor.len() {
            let members =
                &self.members[self.member_start[s] as usize..self.member_start[s + 1] as usize];
            self.floor[s] = members
                .iter()
                .map(|&i| self.release(i as usize))
                .min()
                .unwrap_or(UNPLACED);
        }
        self.trail.clear();
        self.stack.clear();
        self.candidates.clear();
        self.part_buffers.clear();
        self.part_buffers.extend(0..self.ids.len() as u32);
        self.parts.clear();
        self.parts.push(SubPart {
            buffers: 0..self.ids.len() as u32,
            sections: 0..self.remaining.len() as u32,
            split: None,
        });
    }

    /// Searches from scratch for at most `limit` nodes (and the budget).
    pub fn run(&mut self, limit: u64, budget: &mut Budget) -> Run {
        self.reset();
        let limit = limit.min(budget.nodes);
        let mut nodes = 0u64;
        self.push_root(0);
        let outcome = 'search: loop {
            let top = self.stack.len() - 1;
            let Frame::Node(mut node) = self.stack[top].clone() else {
                unreachable!("a split always has a sub-problem root above it");
            };
            if node.expanded {
                // Back from a failed child: take back its placement.
                self.undo_to(node.trail);
                self.candidates.truncate(node.candidates.end as usize);
                self.parts.truncate(node.parts as usize);
                self.part_buffers.truncate(node.part_buffers as usize);
            } else if !self.expand(&mut node) {
                let part = node.part;
                self.stack[top] = Frame::Node(node);
                if self.succeed(part) {
                    break Run::Found(self.offset.clone());
                }
                continue;
            }
            let mut child = None;
            while node.next < node.candidates.end {
                if nodes >= limit || (nodes.is_multiple_of(4096) && budget.out_of_time()) {
                    break 'search Run::Stopped;
                }
                nodes += 1;
                let c = self.candidates[node.next as usize];
                node.next += 1;
                child = self.try_place(&node, c);
                if child.is_some() {
                    break;
                }
                self.undo_to(node.trail);
            }
            let (root, part) = (node.after.is_none(), node.part);
            self.stack[top] = Frame::Node(node);
            match child {
                Some(Frame::Split(split)) => {
                    let first = split.current;
                    self.stack.push(Frame::Split(split));
                    self.push_root(first);
                }
                Some(frame) => {
                    self.stack.push(frame);
                    let placed = self.offset.iter().filter(|&&o| o != UNPLACED).count();
                    self.max_depth = self.max_depth.max(placed);
                }
                None => {
                    self.stack.pop();
                    if root && !self.fail_part(part) {
                        break Run::Infeasible;
                    }
                }
            }
        };
        budget.nodes -= nodes.min(budget.nodes);
        outcome
    }

    /// Re-sorts a new sub-problem's buffers by the searcher's keys, with
    /// `Total` taken from the pressure still unplaced (as MiniMalloc does):
    /// buffers in the now tightest sections go first among equal offsets.
    fn rerank(&mut self, members: Range<usize>) {
        let mut keyed: Vec<([u128; 3], u32)> = self.part_buffers[members.clone()]
            .iter()
            .map(|&i| {
                let iu = i as usize;
                let mut k = [0u128; 3];
                for (slot, key) in k.iter_mut().zip(self.keys) {
                    *slot = match key {
                        Key::Size => self.statics[iu][0],
                        Key::Width => self.statics[iu][1],
                        Key::Area => self.statics[iu][2],
                        Key::Total => u128::from(
                            self.span[iu]
                                .clone()
                                .map(|s| self.remaining[s as usize])
                                .max()
                                .unwrap_or(0),
                        ),
                    };
                }
                (k, i)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(k, i)| (std::cmp::Reverse(k), self.ids[i as usize]));
        let mut ranks: Vec<u32> = keyed.iter().map(|&(_, i)| self.rank[i as usize]).collect();
        ranks.sort_unstable();
        for ((_, i), rank) in keyed.into_iter().zip(ranks) {
            if self.rank[i as usize] != rank {
                self.trail.push(Undo::Rank(i, self.rank[i as usize]));
                self.rank[i as usize] = rank;
            }
        }
    }

    fn push_root(&mut self, part: u32) {
        self.push_node(part, None);
    }

    fn push_node(&mut self, part: u32, after: Option<(u64, u32)>) {
        let frame = self.node(part, after);
        self.stack.push(frame);
    }

    fn node(&self, part: u32, after: Option<(u64, u32)>) -> Frame {
        Frame::Node(Node {
            part,
            after,
            candidates: 0..0,
            next: 0,
            expanded: false,
            trail: self.trail.len() as u32,
            parts: self.parts.len() as u32,
            part_buffers: self.part_buffers.len() as u32,
        })
    }

    /// Lists the node's candidates; `false` if its sub-problem is complete.
    fn expand(&mut self, node: &mut Node) -> bool {
        node.expanded = true;
        let range = self.parts[node.part as usize].buffers.clone();
        // Unplaced buffers whose final offset is already known (pinned or
        // settled) must come in canonical order like the others: the first
        // of them bounds the candidates. The others could still move down,
        // which gives the dominance bound `lowest_top`.
        let mut lowest_top = u64::MAX;
        let mut first_fixed = (u64::MAX, u32::MAX);
        let mut any = false;
        for &i in &self.part_buffers[range.start as usize..range.end as usize] {
            let iu = i as usize;
            if self.offset[iu] != UNPLACED {
                continue;
            }
            any = true;
            if self.pin[iu] != UNPLACED {
                first_fixed = first_fixed.min((self.pin[iu], self.rank[iu]));
            } else {
                lowest_top = lowest_top.min(self.min_offset[iu] + self.size[iu]);
                if self.open_neighbours[iu] == 0 {
                    first_fixed = first_fixed.min((self.min_offset[iu], self.rank[iu]));
                }
            }
        }
        if !any {
            return false;
        }
        let start = self.candidates.len();
        node.candidates = start as u32..start as u32;
        node.next = start as u32;
        if node.after.is_some_and(|after| first_fixed < after) {
            return true;
        }
        for k in range {
            let i = self.part_buffers[k as usize];
            let iu = i as usize;
            let key = (self.min_offset[iu], self.rank[iu]);
            let canonical = node.after.is_none_or(|after| key > after);
            let twin_placed = self.twin[iu].is_none_or(|t| self.offset[t as usize] != UNPLACED);
            let pin_reached = self.pin[iu] == UNPLACED || self.pin[iu] == key.0;
            if self.offset[iu] == UNPLACED
                && canonical
                && key.0 < lowest_top
                && key <= first_fixed
                && twin_placed
                && pin_reached
            {
                self.candidates.push(i);
            }
        }
        let (min_offset, rank) = (&self.min_offset, &self.rank);
        self.candidates[start..].sort_unstable_by_key(|&i| (min_offset[i as usize], rank[i as usize]));
        node.candidates.end = self.candidates.len() as u32;
        true
    }

    /// Places `c` at its minimum offset; the child frame if the checks pass.
    fn try_place(&mut self, node: &Node, c: u32) -> Option<Frame> {
        let ci = c as usize;
        let offset = self.min_offset[ci];
        let height = offset + self.size[ci];
        if height > self.capacity {
            return None;
        }
        self.offset[ci] = offset;
        self.trail.push(Undo::Place(c));
        self.new_cuts.clear();
        let span = self.span[ci].clone();
        for s in span.clone() {
            let s = s as usize;
            self.remaining[s] -= self.size[ci];
            if self.floor[s] == offset {
                self.mark_dirty(s);
            }
        }
        for s in span.start..span.end - 1 {
            self.cut[s as usize] -= 1;
            if self.cut[s as usize] == 0 {
                self.new_cuts.push(s);
            }
        }
        let mut pushed_past_pin = false;
        for k in 0..self.overlaps.of(ci).len() {
            let j = self.overlaps.of(ci)[k] as usize;
            self.open_neighbours[j] -= 1;
            let old = self.min_offset[j];
            let new = self.align[j].up(height);
            if self.offset[j] == UNPLACED && new > old {
                self.trail.push(Undo::MinOffset(j as u32, old));
                self.min_offset[j] = new;
                pushed_past_pin |= new > self.pin[j];
                for s in self.span[j].clone() {
                    if self.floor[s as usize] == old {
                        self.mark_dirty(s as usize);
                    }
                }
            }
        }
        self.refresh_floors();
        if pushed_past_pin || !self.sections_fit(node.part, offset) {
            return None;
        }
        if !self.new_cuts.is_empty()
            && let Some(split) = self.split(node.part)
        {
            return Some(split);
        }
        Some(self.node(node.part, Some((offset, self.rank[ci]))))
    }

    fn mark_dirty(&mut self, s: usize) {
        if !self.is_dirty[s] {
            self.is_dirty[s] = true;
            self.dirty.push(s as u32);
        }
    }

    /// Recomputes `floor` of the dirty sections: the lowest minimum offset
    /// (pinned offset for pinned buffers) among their unplaced buffers.
    fn refresh_floors(&mut self) {
        while let Some(s) = self.dirty.pop() {
            let s = s as usize;
            self.is_dirty[s] = false;
            let members =
                &self.members[self.member_start[s] as usize..self.member_start[s + 1] as usize];
            let floor = members
                .iter()
                .filter(|&&i| self.offset[i as usize] == UNPLACED)
                .map(|&i| self.release(i as usize))
                .min()
                .unwrap_or(UNPLACED);
            if floor != self.floor[s] {
                self.trail.push(Undo::Floor(s as u32, self.floor[s]));
                self.floor[s] = floor;
            }
        }
    }

    /// The lowest offset a buffer can still take.
    fn release(&self, i: usize) -> u64 {
        if self.pin[i] == UNPLACED {
            self.min_offset[i]
        } else {
            self.pin[i]
        }
    }

    /// Section inference: every section of the sub-problem can still stack
    /// its unplaced buffers above both its floor and the current offset
    /// (offsets only grow along a branch).
    fn sections_fit(&mut self, part: u32, offset: u64) -> bool {
        let sections = self.parts[part as usize].sections.clone();
        for s in sections {
            let remaining = self.remaining[s as usize];
            if !(remaining == 0 || offset.max(self.floor[s as usize]) + remaining <= self.capacity) {
                if self.fails.len() <= s as usize { self.fails.resize(s as usize + 1, 0); }
                self.fails[s as usize] += 1;
                return false;
            }
        }
        true
    }

    /// Cuts the sub-problem at the sections no unplaced buffer crosses any
    /// more; the split frame (its first child's root goes above it), or
    /// `None` if no buffer is left to place.
    fn split(&mut self, part: u32) -> Option<Frame> {
        let SubPart {
            buffers, sections, ..
        } = self.parts[part as usize].clone();
        self.new_cuts.sort_unstable();
        let first_child = self.parts.len() as u32;
        let split_index = self.stack.len() as u32;
        let mut lower = sections.start;
        let bounds: Vec<u32> = self
            .new_cuts
            .iter()
            .map(|&s| s + 1)
            .chain(std::iter::once(sections.end))
            .collect();
        for upper in bounds {
            let start = self.part_buffers.len() as u32;
            for k in buffers.clone() {
                let i = self.part_buffers[k as usize];
                let span = &self.span[i as usize];
                if self.offset[i as usize] == UNPLACED && span.start >= lower && span.end <= upper {
                    self.part_buffers.push(i);
                }
            }
            let end = self.part_buffers.len() as u32;
            if end > start {
                self.rerank(start as usize..end as usize);
                self.parts.push(SubPart {
                    buffers: start..end,
                    sections: lower..upper,
                    split: Some(split_index),
                });
            }
            lower = upper;
        }
        let children = first_child..self.parts.len() as u32;
        if children.len() > 0 { self.splits += 1; }
        let trail = self.trail.len() as u32;
        (!children.is_empty()).then_some(Frame::Split(Split {
            part,
            children,
            current: first_child,
            trail,
        }))
    }

    /// The sub-problem `part` is fully placed. Moves on to the next sibling
    /// sub-problem; `true` if everything is placed.
    fn succeed(&mut self, mut part: u32) -> bool {
        loop {
            let Some(split_index) = self.parts[part as usize].split else {
                return true;
            };
            let Frame::Split(split) = &mut self.stack[split_index as usize] else {
                unreachable!("a sub-problem's split is on the stack");
            };
            split.current += 1;
            if split.current < split.children.end {
                let next = split.current;
                self.push_root(next);
                return false;
            }
            part = split.part;
        }
    }

    /// The root of sub-problem `part` ran out of candidates: its siblings
    /// cannot help, so the split that made it fails as a whole. `false` if
    /// `part` is the whole problem.
    fn fail_part(&mut self, part: u32) -> bool {
        let Some(split_index) = self.parts[part as usize].split else {
            return false;
        };
        let Frame::Split(split) = &self.stack[split_index as usize] else {
            unreachable!("a sub-problem's split is on the stack");
        };
        self.undo_to(split.trail);
        self.stack.truncate(split_index as usize);
        true
    }

    fn undo_to(&mut self, mark: u32) {
        while self.trail.len() > mark as usize {
            match self.trail.pop().expect("trail is longer than the mark") {
                Undo::Place(c) => {
                    let ci = c as usize;
                    self.offset[ci] = UNPLACED;
                    let span = self.span[ci].clone();
                    for s in span.clone() {
                        self.remaining[s as usize] += self.size[ci];
                    }
                    for s in span.start..span.end - 1 {
                        self.cut[s as usize] += 1;
                    }
                    for &j in self.overlaps.of(ci) {
                        self.open_neighbours[j as usize] += 1;
                    }
                }
                Undo::MinOffset(j, old) => self.min_offset[j as usize] = old,
                Undo::Floor(s, old) => self.floor[s as usize] = old,
                Undo::Rank(i, old) => self.rank[i as usize] = old,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Buffer;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    /// Whether any offsets in `0..=capacity - size` avoid all conflicts.
    fn brute_force(problem: &Problem) -> bool {
        brute_force_packing(problem).is_some()
    }

    fn brute_force_packing(problem: &Problem) -> Option<Vec<u64>> {
        fn place(problem: &Problem, offsets: &mut Vec<u64>) -> bool {
            let buffers = problem.buffers();
            let i = offsets.len();
            if i == buffers.len() {
                return true;
            }
            let b = buffers[i];
            if b.size > problem.capacity() {
                return false;
            }
            for offset in (0..=problem.capacity() - b.size).filter(|o| o % b.align.get() == 0) {
                let clash = (0..i).any(|j| {
                    let o = &buffers[j];
                    o.lifetime.overlaps(b.lifetime)
                        && offsets[j] < offset + b.size
                        && offset < offsets[j] + o.size
                });
                if !clash {
                    offsets.push(offset);
                    if place(problem, offsets) {
                        return true;
                    }
                    offsets.pop();
                }
            }
            false
        }
        let mut offsets = Vec::new();
        place(problem, &mut offsets).then_some(offsets)
    }

    /// Drops every buffer, lowest first, onto what lies below it.
    fn gravitate(problem: &Problem, offsets: &mut [u64]) {
        let buffers = problem.buffers();
        let mut order: Vec<usize> = (0..buffers.len()).collect();
        order.sort_by_key(|&i| (offsets[i], i));
        for (k, &i) in order.iter().enumerate() {
            let floor = order[..k]
                .iter()
                .filter(|&&j| buffers[j].lifetime.overlaps(buffers[i].lifetime))
                .map(|&j| offsets[j] + buffers[j].size)
                .max()
                .unwrap_or(0);
            offsets[i] = buffers[i].align.up(floor);
        }
    }

    #[test]
    fn pinned_search_finds_packings_that_agree_with_the_pins() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut checked = 0;
        for _ in 0..3000 {
            let problem = random_problem(&mut rng);
            let Some(mut solution) = brute_force_packing(&problem) else {
                continue;
            };
            gravitate(&problem, &mut solution);
            let sweep = Sweep::new(&problem);
            let peaks = RangeMax::new(&sweep.pressure);
            for part in &sweep.parts {
                let pins: Vec<(BufferId, u64)> = part
                    .buffers
                    .iter()
                    .filter(|_| rng.random_bool(0.5))
                    .map(|&id| (id, solution[id]))
                    .collect();
                for keys in ORDERS {
                    let ids = order::sorted(&problem, &sweep, &peaks, &part.buffers, keys);
                    let mut searcher =
                        Searcher::new(&problem, &sweep, part, ids, keys, problem.capacity()).unwrap();
                    searcher.pin(&pins);
                    let mut budget = Budget {
                        nodes: u64::MAX,
                        deadline: None,
                    };
                    let Run::Found(found) = searcher.run(u64::MAX, &mut budget) else {
                        panic!("{problem:?} pins {pins:?} solution {solution:?}");
                    };
                    for (&id, offset) in searcher.ids.iter().zip(found) {
                        if let Some(&(_, pin)) = pins.iter().find(|(p, _)| *p == id) {
                            assert_eq!(offset, pin);
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    fn random_problem(rng: &mut StdRng) -> Problem {
        let n = rng.random_range(1..=7);
        let capacity = rng.random_range(3..=9);
        let buffers = (0..n).map(|_| {
            let lower = rng.random_range(0..6);
            let upper = rng.random_range(lower + 1..=7);
            let align = if rng.random_bool(0.2) { 2 } else { 1 };
            Buffer::new(lower, upper, rng.random_range(1..=4))
                .unwrap()
                .with_align(Align::new(align).unwrap())
        });
        Problem::with_buffers(capacity, buffers).unwrap()
    }

    #[test]
    fn search_agrees_with_brute_force() {
        let mut rng = StdRng::seed_from_u64(7);
        let (mut feasible, mut infeasible) = (0, 0);
        for _ in 0..3000 {
            let problem = random_problem(&mut rng);
            let sweep = Sweep::new(&problem);
            let peaks = RangeMax::new(&sweep.pressure);
            let mut offsets = vec![0; problem.len()];
            let mut found = true;
            for part in &sweep.parts {
                let mut budget = Budget {
                    nodes: u64::MAX,
                    deadline: None,
                };
                let verdict = solve(
                    &problem,
                    &sweep,
                    &peaks,
                    part,
                    problem.capacity(),
                    u64::MAX,
                    &mut budget,
                    &mut offsets,
                );
                assert_ne!(verdict, Verdict::Stopped);
                found &= verdict == Verdict::Found;
            }
            assert_eq!(found, brute_force(&problem), "{problem:?}");
            if found {
                feasible += 1;
                crate::checker::check(&problem, &offsets).unwrap();
            } else {
                infeasible += 1;
            }
        }
        assert!(feasible > 300 && infeasible > 300, "{feasible} / {infeasible}");
    }
}
fn run_kind(run: &Run) -> &'static str {
    match run {
        Run::Found(_) => "found",
        Run::Infeasible => "infeasible",
        Run::Stopped => "stopped",
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
