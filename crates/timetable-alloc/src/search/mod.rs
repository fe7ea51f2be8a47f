//! Branch and bound over canonical placements, after MiniMalloc (M. D.
//! Moffitt, ASPLOS 2024).
//!
//! * **Canonical placement.** Every feasible packing can be pushed down until
//!   each buffer rests (aligned) on top of the highest conflicting buffer
//!   below it; placing that packing's buffers in increasing offset order puts
//!   each at its *minimum offset*, the aligned top of the conflicting buffers
//!   already placed. So a node only chooses *which* buffer comes next, and
//!   offsets never decrease along a branch (ties broken by a rank).
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
//!   without backtracking across them. Each is re-ranked by the pressure it
//!   still has (MiniMalloc's `SubSolve`), so its tightest buffers go first.
//! * **Symmetry.** Of identical buffers, only the first unplaced is a
//!   candidate.
//! * **Settled buffers.** An unplaced buffer with no unplaced neighbour
//!   (MiniMalloc's "hatless" buffer) will end at its current minimum offset
//!   whatever happens, so in canonical order it comes before every candidate
//!   ranked after it: those are not tried, and if it is already behind the
//!   canonical bound the node is dead.
//!
//! [`solve`] runs a portfolio of such trees with restarts. The search is
//! iterative (explicit stack and undo trail): its depth is the number of
//! buffers.

mod node;
#[cfg(test)]
mod tests;
mod walk;

use std::ops::Range;
use std::time::Instant;

use crate::order::{self, Key, ORDERS, RangeMax};
use crate::overlap::Overlaps;
use crate::problem::{Align, BufferId, Problem};
use crate::sweep::{Part, Sweep};

const UNPLACED: u64 = u64::MAX;

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

/// The remaining budget of a whole packing job, shared by all searches.
/// A node is one attempt to place a buffer; in parts of more than 1024
/// buffers it counts once more per 1024, since a node's work grows with the
/// part: a budget bounds the time on any input.
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    pub nodes: u64,
    pub deadline: Option<Instant>,
}

impl Budget {
    pub fn new(limits: &crate::Limits) -> Budget {
        Budget {
            nodes: limits.nodes,
            deadline: limits.time.map(|t| Instant::now() + t),
        }
    }

    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Searches `part` for a packing within `capacity`, spending at most `limit`
/// nodes of the budget, and writes it to `offsets` (`offsets[k]` for the
/// part's `k`-th buffer) when found. `peaks` is the range maximum of the
/// part's pressure.
///
/// A portfolio of trees (each static order, with and without re-ranking of
/// sub-problems) takes turns with a node limit that doubles every round, as
/// MiniMalloc's round robin does: a tree whose early choices went wrong
/// cannot sink the budget, and what one order finds hard another often
/// finds easy. Deterministic: the turns depend on node counts only.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve(
    problem: &Problem,
    sweep: &Sweep,
    part: &Part,
    peaks: &RangeMax,
    overlaps: &Overlaps,
    capacity: u64,
    limit: u64,
    budget: &mut Budget,
    offsets: &mut [u64],
) -> Verdict {
    let shape = Shape::new(problem, sweep, part, overlaps);
    let base = part.sections.start;
    let total = |id: BufferId| {
        let span = &sweep.span[id];
        peaks.max(&(span.start - base..span.end - base))
    };
    let mut searchers: Vec<Searcher> = [true, false]
        .into_iter()
        .flat_map(|rerank| ORDERS.iter().map(move |&keys| (keys, rerank)))
        .map(|(keys, rerank)| {
            let order: Vec<usize> = order::sorted(problem, &part.buffers, keys, total)
                .into_iter()
                .map(|id| shape.local(id))
                .collect();
            Searcher::new(problem, &shape, &order, keys, rerank, capacity)
        })
        .collect();
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
                    offsets.copy_from_slice(&found);
                    return Verdict::Found;
                }
                Run::Infeasible => return Verdict::Infeasible,
                Run::Stopped => {}
            }
        }
        round_limit = round_limit.saturating_mul(2);
    }
}

/// What one bounded run of a tree established.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Run {
    /// A packing within capacity: `offsets[i]` for local buffer `i`, the
    /// part's `i`-th.
    Found(Vec<u64>),
    /// The whole tree was explored: no packing fits.
    Infeasible,
    /// The node limit or the deadline came first.
    Stopped,
}

/// What all the trees of a part share. Local index `i` is the part's `i`-th
/// buffer.
struct Shape<'a> {
    ids: &'a [BufferId],
    size: Vec<u64>,
    align: Vec<Align>,
    /// Sections relative to the part's first one.
    span: Vec<Range<u32>>,
    /// The conflict graph over local indices.
    overlaps: &'a Overlaps,
    /// Members of each section (local indices), flattened.
    member_start: Vec<u32>,
    members: Vec<u32>,
    /// Size, width and area per buffer, for re-ranking.
    statics: Vec<[u128; 3]>,
}

impl<'a> Shape<'a> {
    /// `overlaps` is the conflict graph of `part.buffers`.
    fn new(problem: &Problem, sweep: &Sweep, part: &'a Part, overlaps: &'a Overlaps) -> Shape<'a> {
        let buffers = problem.buffers();
        let ids = &part.buffers[..];
        let base = part.sections.start;
        let sections = part.sections.len();
        let span: Vec<Range<u32>> = ids
            .iter()
            .map(|&id| sweep.span[id].start - base..sweep.span[id].end - base)
            .collect();
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
        let statics = ids
            .iter()
            .map(|&id| {
                let b = &buffers[id];
                let width = u128::from(b.lifetime.len());
                [u128::from(b.size), width, u128::from(b.size) * width]
            })
            .collect();
        Shape {
            ids,
            size: ids.iter().map(|&id| buffers[id].size).collect(),
            align: ids.iter().map(|&id| buffers[id].align).collect(),
            span,
            overlaps,
            member_start,
            members,
            statics,
        }
    }

    /// The local index of buffer `id` of the part.
    fn local(&self, id: BufferId) -> usize {
        self.ids.binary_search(&id).expect("a buffer of the part")
    }

    fn members(&self, s: usize) -> &[u32] {
        &self.members[self.member_start[s] as usize..self.member_start[s + 1] as usize]
    }
}

/// One search tree: the part's buffers in one static order, and the
/// mutable state of a depth-first walk over it.
struct Searcher<'a> {
    shape: &'a Shape<'a>,
    capacity: u64,
    keys: &'static [Key],
    /// Whether sub-problems are re-ranked when split off.
    rerank: bool,
    /// Each buffer's position in the static order.
    initial_rank: Vec<u32>,
    /// The buffer just before in static order, if identical.
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
    /// each sub-problem when it is split off.
    rank: Vec<u32>,

    trail: Vec<Undo>,
    stack: Vec<walk::Frame>,
    candidates: Vec<u32>,
    /// Sub-problems; their buffers live in `part_buffers`.
    parts: Vec<walk::SubPart>,
    part_buffers: Vec<u32>,
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
    new_cuts: Vec<u32>,
}

/// A change to take back when backtracking.
#[derive(Clone, Copy, Debug)]
enum Undo {
    Place(u32),
    MinOffset(u32, u64),
    Floor(u32, u64),
    Rank(u32, u32),
}

impl<'a> Searcher<'a> {
    /// `order` lists the local indices in static order (sorted by `keys`).
    fn new(
        problem: &Problem,
        shape: &'a Shape<'a>,
        order: &[usize],
        keys: &'static [Key],
        rerank: bool,
        capacity: u64,
    ) -> Searcher<'a> {
        let buffers = problem.buffers();
        let n = order.len();
        let sections = shape.member_start.len() - 1;
        let mut initial_rank = vec![0u32; n];
        let mut twin = vec![None; n];
        for (rank, &i) in order.iter().enumerate() {
            initial_rank[i] = rank as u32;
            if let Some(&before) = rank.checked_sub(1).map(|r| &order[r])
                && buffers[shape.ids[before]] == buffers[shape.ids[i]]
            {
                twin[i] = Some(before as u32);
            }
        }
        let mut searcher = Searcher {
            shape,
            capacity,
            keys,
            rerank,
            initial_rank,
            twin,
            offset: vec![UNPLACED; n],
            min_offset: vec![0; n],
            remaining: vec![0; sections],
            floor: vec![0; sections],
            cut: vec![0; sections],
            open_neighbours: vec![0; n],
            rank: vec![0; n],
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
        searcher
    }

    /// Back to the root: nothing placed.
    fn reset(&mut self) {
        self.offset.fill(UNPLACED);
        self.min_offset.fill(0);
        self.remaining.fill(0);
        self.floor.fill(0);
        self.cut.fill(0);
        let shape = self.shape;
        for (i, range) in shape.span.iter().enumerate() {
            for s in range.clone() {
                self.remaining[s as usize] += shape.size[i];
            }
            for s in range.start..range.end - 1 {
                self.cut[s as usize] += 1;
            }
            self.open_neighbours[i] = shape.overlaps.of(i).len() as u32;
        }
        self.rank.copy_from_slice(&self.initial_rank);
        self.trail.clear();
        self.stack.clear();
        self.candidates.clear();
        self.part_buffers.clear();
        self.part_buffers.extend(0..shape.ids.len() as u32);
        self.parts.clear();
        self.parts.push(walk::SubPart {
            buffers: 0..shape.ids.len() as u32,
            sections: 0..self.remaining.len() as u32,
            split: None,
        });
    }

    fn undo_to(&mut self, mark: u32) {
        while self.trail.len() > mark as usize {
            match self.trail.pop().expect("trail is longer than the mark") {
                Undo::Place(c) => self.unplace(c as usize),
                Undo::MinOffset(j, old) => self.min_offset[j as usize] = old,
                Undo::Floor(s, old) => self.floor[s as usize] = old,
                Undo::Rank(i, old) => self.rank[i as usize] = old,
            }
        }
    }
}
