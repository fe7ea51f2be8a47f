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

use std::ops::Range;
use std::time::Instant;

use crate::order::{self, ORDERS, RangeMax};
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
            Searcher::new(problem, sweep, part, ids, capacity)
        })
        .collect();
    let Some(mut searchers) = searchers else {
        return Verdict::Stopped;
    };
    let mut left = limit.min(budget.nodes);
    let mut round_limit = 2 * part.buffers.len() as u64;
    loop {
        for searcher in &mut searchers {
            let allowed = round_limit.min(left);
            if allowed == 0 || budget.out_of_time() {
                return Verdict::Stopped;
            }
            let before = budget.nodes;
            let run = searcher.run(allowed, budget);
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
    /// Lowest minimum offset among the unplaced members of each section.
    floor: Vec<u64>,
    /// Unplaced buffers crossing from section `s` to `s + 1`.
    cut: Vec<u32>,
    /// Unplaced neighbours of each buffer.
    open_neighbours: Vec<u32>,

    trail: Vec<Undo>,
    stack: Vec<Frame>,
    candidates: Vec<u32>,
    /// Sub-problems: their buffers live in `part_buffers`.
    parts: Vec<SubPart>,
    part_buffers: Vec<u32>,
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
    new_cuts: Vec<u32>,
}

#[derive(Clone, Debug)]
enum Undo {
    Place(u32),
    MinOffset(u32, u64),
    Floor(u32, u64),
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
            trail: Vec::new(),
            stack: Vec::new(),
            candidates: Vec::new(),
            parts: Vec::new(),
            part_buffers: Vec::new(),
            dirty: Vec::new(),
            is_dirty: vec![false; sections],
            new_cuts: Vec::new(),
        };
        searcher.reset();
        Some(searcher)
    }

    /// Back to the root: nothing placed.
    fn reset(&mut self) {
        self.offset.fill(UNPLACED);
        self.min_offset.fill(0);
        self.remaining.fill(0);
        self.floor.fill(0);
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
                Some(frame) => self.stack.push(frame),
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
        let mut lowest_top = u64::MAX;
        let mut first_settled = (u64::MAX, u32::MAX);
        let mut any = false;
        for &i in &self.part_buffers[range.start as usize..range.end as usize] {
            let iu = i as usize;
            if self.offset[iu] == UNPLACED {
                any = true;
                lowest_top = lowest_top.min(self.min_offset[iu] + self.size[iu]);
                if self.open_neighbours[iu] == 0 {
                    first_settled = first_settled.min((self.min_offset[iu], i));
                }
            }
        }
        if !any {
            return false;
        }
        let start = self.candidates.len();
        node.candidates = start as u32..start as u32;
        node.next = start as u32;
        if node.after.is_some_and(|after| first_settled < after) {
            return true;
        }
        for k in range {
            let i = self.part_buffers[k as usize];
            let key = (self.min_offset[i as usize], i);
            let canonical = node.after.is_none_or(|after| key > after);
            let twin_placed = self.twin[i as usize].is_none_or(|t| self.offset[t as usize] != UNPLACED);
            if self.offset[i as usize] == UNPLACED
                && canonical
                && key.0 < lowest_top
                && key <= first_settled
                && twin_placed
            {
                self.candidates.push(i);
            }
        }
        let (min_offset, list) = (&self.min_offset, &mut self.candidates[start..]);
        list.sort_unstable_by_key(|&i| (min_offset[i as usize], i));
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
        for k in 0..self.overlaps.of(ci).len() {
            let j = self.overlaps.of(ci)[k] as usize;
            self.open_neighbours[j] -= 1;
            let old = self.min_offset[j];
            let new = self.align[j].up(height);
            if self.offset[j] == UNPLACED && new > old {
                self.trail.push(Undo::MinOffset(j as u32, old));
                self.min_offset[j] = new;
                for s in self.span[j].clone() {
                    if self.floor[s as usize] == old {
                        self.mark_dirty(s as usize);
                    }
                }
            }
        }
        self.refresh_floors();
        if !self.sections_fit(node.part, offset) {
            return None;
        }
        if !self.new_cuts.is_empty()
            && let Some(split) = self.split(node.part)
        {
            return Some(split);
        }
        Some(self.node(node.part, Some((offset, c))))
    }

    fn mark_dirty(&mut self, s: usize) {
        if !self.is_dirty[s] {
            self.is_dirty[s] = true;
            self.dirty.push(s as u32);
        }
    }

    fn refresh_floors(&mut self) {
        while let Some(s) = self.dirty.pop() {
            let s = s as usize;
            self.is_dirty[s] = false;
            let members =
                &self.members[self.member_start[s] as usize..self.member_start[s + 1] as usize];
            let floor = members
                .iter()
                .filter(|&&i| self.offset[i as usize] == UNPLACED)
                .map(|&i| self.min_offset[i as usize])
                .min()
                .unwrap_or(UNPLACED);
            if floor != self.floor[s] {
                self.trail.push(Undo::Floor(s as u32, self.floor[s]));
                self.floor[s] = floor;
            }
        }
    }

    /// Section inference: every section of the sub-problem can still stack
    /// its unplaced buffers above the current offset and its floor.
    fn sections_fit(&self, part: u32, offset: u64) -> bool {
        let sections = self.parts[part as usize].sections.clone();
        sections.into_iter().all(|s| {
            let remaining = self.remaining[s as usize];
            remaining == 0 || offset.max(self.floor[s as usize]) + remaining <= self.capacity
        })
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
                self.parts.push(SubPart {
                    buffers: start..end,
                    sections: lower..upper,
                    split: Some(split_index),
                });
            }
            lower = upper;
        }
        let children = first_child..self.parts.len() as u32;
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
        place(problem, &mut Vec::new())
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
