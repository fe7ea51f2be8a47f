//! Packing one address space: greedy first, search where greedy overflows.

use std::time::Duration;

use crate::greedy;
use crate::order::{self, ORDERS, RangeMax};
use crate::overlap::Overlaps;
use crate::problem::{BufferId, Problem};
use crate::search::{self, Budget, Verdict};
use crate::sweep::{Part, Sweep};

/// How much effort packing may spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Search nodes over the whole job: one per attempt to place a buffer
    /// (once more per 1024 buffers of the part searched, so that the limit
    /// bounds time on any input). Deterministic: the same problem and limits
    /// give the same packing on any machine.
    pub nodes: u64,
    /// An optional wall-clock cap on top of the node limit; with it the
    /// result may depend on the machine's speed.
    pub time: Option<Duration>,
}

impl Limits {
    /// Greedy only, no search.
    pub const GREEDY: Limits = Limits {
        nodes: 0,
        time: None,
    };
}

impl Default for Limits {
    /// Enough for every instance of the MiniMalloc suite with a margin of
    /// three or more (see the README's table); a few seconds of search.
    fn default() -> Limits {
        Limits {
            nodes: 20_000_000,
            time: None,
        }
    }
}

/// Whether the capacity was met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every buffer is placed within the capacity.
    Fits,
    /// Proven that no packing fits: the pressure lower bound exceeds the
    /// capacity, or an exhaustive search found nothing.
    Infeasible,
    /// Neither a packing within the capacity nor a proof that none exists:
    /// the budget ran out, or an overflowing part was too large to search.
    Unknown,
}

/// An offset for every buffer of a problem, none overlapping a conflicting
/// one. Its height may exceed the capacity when the status is not `Fits`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packing {
    offsets: Vec<u64>,
    height: u64,
}

impl Packing {
    pub(crate) fn new(problem: &Problem, offsets: Vec<u64>) -> Packing {
        let height = offsets
            .iter()
            .zip(problem.buffers())
            .map(|(offset, buffer)| offset + buffer.size)
            .max()
            .unwrap_or(0);
        Packing { offsets, height }
    }

    /// `offsets()[id]` is the address of buffer `id`.
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    pub fn offset(&self, id: BufferId) -> u64 {
        self.offsets[id]
    }

    /// The highest address used, `max(offset + size)` (0 if empty).
    pub fn height(&self) -> u64 {
        self.height
    }
}

/// Counters describing how a packing was found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Independent parts packed by greedy or search (after the buffers live
    /// throughout a part were stacked at its bottom).
    pub parts: usize,
    /// Parts the greedy passes did not fit that were searched.
    pub searched: usize,
    /// Search nodes spent.
    pub nodes: u64,
    /// The height the greedy passes reached.
    pub greedy_height: u64,
}

/// The result of [`pack`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The best packing found; within the capacity iff `status` is `Fits`.
    pub packing: Packing,
    pub status: Status,
    /// No packing is lower: the most bytes live at one moment, or the
    /// largest buffer.
    pub lower_bound: u64,
    pub stats: Stats,
}

impl Outcome {
    pub fn fits(&self) -> bool {
        self.status == Status::Fits
    }
}

/// Parts with more conflicting pairs than this get the time-ordered pass
/// only: the other passes and the search keep the conflict graph in memory.
const MAX_PAIRS: u64 = 20_000_000;

/// Parts with more buffers than this are not searched: a node's work grows
/// with the part (listing candidates, checking sections), so a search there
/// would spend its budget long before it could complete a branch.
const MAX_SEARCHED: usize = 4096;

/// Places every buffer of `problem`.
///
/// The buffers split into independent parts (runs of time no buffer
/// crosses). In each part, buffers live throughout it go to the bottom
/// (which loses nothing: they conflict with everything there) and the rest
/// splits again. Each remaining part gets a time-ordered best-fit pass; if
/// that overflows, best-fit passes in several static orders; if those
/// overflow too, branch and bound within `limits` (parts of up to 4096
/// buffers). When a part cannot fit, the search also looks for packings
/// lower than the greedy's, to report the best height it can.
///
/// Deterministic: the same problem and limits give the same outcome,
/// unless `limits.time` cuts a search short.
pub fn pack(problem: &Problem, limits: &Limits) -> Outcome {
    pack_within(problem, limits, &mut Budget::new(limits))
}

/// [`pack`] spending from a budget shared with other calls.
pub(crate) fn pack_within(problem: &Problem, limits: &Limits, budget: &mut Budget) -> Outcome {
    let sweep = Sweep::new(problem);
    let roots = sweep.parts(&Sweep::nontrivial(problem));
    let lower_bound = problem
        .buffers()
        .iter()
        .map(|b| b.size)
        .max()
        .unwrap_or(0)
        .max(sweep.peak(problem));

    let mut job = Job {
        problem,
        sweep: &sweep,
        limits,
        budget,
        offsets: vec![0; problem.len()],
        stats: Stats::default(),
        proven: false,
    };
    let mut work: Vec<Group> = roots
        .into_iter()
        .rev()
        .map(|part| Group {
            part,
            base: 0,
            capacity: problem.capacity(),
        })
        .collect();
    while let Some(group) = work.pop() {
        match job.peel(&group.part) {
            Some((bottom, rest)) => {
                let height = job.stack(&bottom, group.base);
                job.proven |= height > group.capacity;
                let capacity = group.capacity.saturating_sub(height);
                for part in sweep.parts(&rest).into_iter().rev() {
                    work.push(Group {
                        part,
                        base: group.base + height,
                        capacity,
                    });
                }
            }
            None => job.leaf(&group),
        }
    }

    let packing = Packing::new(problem, job.offsets);
    let status = if packing.height() <= problem.capacity() {
        Status::Fits
    } else if job.proven || lower_bound > problem.capacity() {
        Status::Infeasible
    } else {
        Status::Unknown
    };
    Outcome {
        packing,
        status,
        lower_bound,
        stats: job.stats,
    }
}

/// A part to place at `base` and above, within `capacity` more bytes.
struct Group {
    part: Part,
    base: u64,
    capacity: u64,
}

/// The state of one [`pack`] call.
struct Job<'a> {
    problem: &'a Problem,
    sweep: &'a Sweep,
    limits: &'a Limits,
    budget: &'a mut Budget,
    offsets: Vec<u64>,
    stats: Stats,
    /// Whether some part is proven not to fit.
    proven: bool,
}

impl Job<'_> {
    /// Splits off the buffers live throughout `part` (the bottom) from the
    /// rest, if there are any. Each conflicts with every other buffer of the
    /// part, so any packing can be rearranged with them at the bottom and no
    /// more height: move them down, and every other buffer up by the sizes
    /// of those that were above it. Under alignment that holds for the ones
    /// whose size is a multiple of every alignment in the part (every shift
    /// then keeps every alignment); only those are taken.
    fn peel(&self, part: &Part) -> Option<(Vec<BufferId>, Vec<BufferId>)> {
        let buffers = self.problem.buffers();
        let lcm = part.buffers.iter().try_fold(1u64, |lcm, &id| {
            let align = buffers[id].align.get();
            (lcm / gcd(lcm, align))
                .checked_mul(align)
                .filter(|&lcm| lcm <= Problem::MAX_TOTAL)
        })?;
        let (bottom, rest): (Vec<BufferId>, Vec<BufferId>) =
            part.buffers.iter().partition(|&&id| {
                self.sweep.span[id] == part.sections && buffers[id].size.is_multiple_of(lcm)
            });
        (!bottom.is_empty()).then_some((bottom, rest))
    }

    /// Stacks `ids` from `base` up; returns their total size.
    fn stack(&mut self, ids: &[BufferId], base: u64) -> u64 {
        let mut height = 0;
        for &id in ids {
            self.offsets[id] = base + height;
            height += self.problem.buffers()[id].size;
        }
        self.stats.greedy_height = self.stats.greedy_height.max(base + height);
        height
    }

    /// Places a part that has nothing to peel: greedy passes, then search.
    fn leaf(&mut self, group: &Group) {
        let (problem, part) = (self.problem, &group.part);
        self.stats.parts += 1;
        let mut offsets = vec![0u64; part.buffers.len()];
        greedy::by_time(problem, &part.buffers, &mut offsets);
        let mut height = part_height(problem, part, &offsets);
        let overflow = height > group.capacity;
        let overlaps = overflow
            .then(|| Overlaps::new(problem, &part.buffers, MAX_PAIRS))
            .flatten();
        if let Some(overlaps) = &overlaps {
            let peaks = RangeMax::new(&self.sweep.pressure(problem, part));
            height =
                self.better_greedy(part, &peaks, overlaps, group.capacity, &mut offsets, height);
            if height > group.capacity && part.buffers.len() <= MAX_SEARCHED {
                self.stats.searched += 1;
                let before = self.budget.nodes;
                let shape = Searched {
                    part,
                    peaks: &peaks,
                    overlaps,
                };
                self.proven |= self.search(&shape, group.capacity, &mut offsets);
                self.stats.nodes += before - self.budget.nodes;
            }
        }
        self.stats.greedy_height = self.stats.greedy_height.max(group.base + height);
        for (&id, offset) in part.buffers.iter().zip(offsets) {
            self.offsets[id] = group.base + offset;
        }
    }

    /// Best-fit passes in the static orders until one fits `capacity`;
    /// keeps the lowest packing in `offsets` and returns its height.
    fn better_greedy(
        &self,
        part: &Part,
        peaks: &RangeMax,
        overlaps: &Overlaps,
        capacity: u64,
        offsets: &mut [u64],
        mut best: u64,
    ) -> u64 {
        let problem = self.problem;
        let base = part.sections.start;
        let total = |id: BufferId| {
            let span = &self.sweep.span[id];
            peaks.max(&(span.start - base..span.end - base))
        };
        let mut trial = vec![0u64; part.buffers.len()];
        for keys in ORDERS {
            let order: Vec<usize> = order::sorted(problem, &part.buffers, keys, total)
                .into_iter()
                .map(|id| {
                    part.buffers
                        .binary_search(&id)
                        .expect("a buffer of the part")
                })
                .collect();
            greedy::by_order(problem, &part.buffers, overlaps, &order, &mut trial);
            let height = part_height(problem, part, &trial);
            if height < best {
                best = height;
                offsets.copy_from_slice(&trial);
            }
            if best <= capacity {
                break;
            }
        }
        best
    }

    /// Searches a part the greedy passes overflowed: first for a packing
    /// within `capacity`, then (if none) for packings lower than the best so
    /// far, by bisection on the height with at most a quarter of the node
    /// limit. Returns whether the capacity is proven infeasible for it.
    fn search(&mut self, searched: &Searched, capacity: u64, offsets: &mut [u64]) -> bool {
        let part = searched.part;
        let peak = searched.peaks.max(&(0..part.sections.len() as u32));
        let mut proven = peak > capacity;
        if !proven {
            let limit = self.budget.nodes;
            match self.solve(searched, capacity, limit, offsets) {
                Verdict::Found => return false,
                Verdict::Infeasible => proven = true,
                Verdict::Stopped => {}
            }
        }
        let mut lowest = peak.max(capacity + 1);
        let mut best = part_height(self.problem, part, offsets);
        let mut allowance = self.budget.nodes.min(self.limits.nodes / 4);
        while lowest < best && allowance > 0 {
            let target = lowest + (best - lowest) / 2;
            let before = self.budget.nodes;
            let verdict = self.solve(searched, target, allowance / 2, offsets);
            allowance -= (before - self.budget.nodes).min(allowance);
            match verdict {
                Verdict::Found => best = part_height(self.problem, part, offsets),
                Verdict::Infeasible | Verdict::Stopped => lowest = target + 1,
            }
        }
        proven
    }

    fn solve(
        &mut self,
        searched: &Searched,
        capacity: u64,
        limit: u64,
        offsets: &mut [u64],
    ) -> Verdict {
        search::solve(
            self.problem,
            self.sweep,
            searched.part,
            searched.peaks,
            searched.overlaps,
            capacity,
            limit,
            self.budget,
            offsets,
        )
    }
}

/// A part the search works on, with what the greedy passes computed for it.
struct Searched<'a> {
    part: &'a Part,
    /// Range maximum of the part's pressure.
    peaks: &'a RangeMax,
    overlaps: &'a Overlaps,
}

/// The height of a part's packing (`offsets[k]` for its `k`-th buffer).
fn part_height(problem: &Problem, part: &Part, offsets: &[u64]) -> u64 {
    part.buffers
        .iter()
        .zip(offsets)
        .map(|(&id, offset)| offset + problem.buffers()[id].size)
        .max()
        .unwrap_or(0)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::check;
    use crate::problem::{Align, Buffer, triples as problem};

    #[test]
    fn minimalloc_example_fits_exactly() {
        // MiniMalloc's README example at capacity 12.
        let p = problem(
            12,
            &[(0, 3, 4), (3, 9, 4), (0, 9, 4), (9, 21, 4), (0, 21, 4)],
        );
        let outcome = pack(&p, &Limits::default());
        assert_eq!(outcome.status, Status::Fits);
        assert_eq!(outcome.lower_bound, 12);
        assert_eq!(check(&p, outcome.packing.offsets()), Ok(()));
    }

    #[test]
    fn pressure_above_capacity_is_proven_infeasible() {
        let p = problem(10, &[(0, 4, 6), (2, 6, 6)]);
        let outcome = pack(&p, &Limits::default());
        assert_eq!(outcome.status, Status::Infeasible);
        assert_eq!(outcome.lower_bound, 12);
        assert_eq!(outcome.packing.height(), 12);
        assert_eq!(
            check(&p.with_capacity(12), outcome.packing.offsets()),
            Ok(())
        );
    }

    #[test]
    fn trivial_buffers_go_to_zero() {
        let p = problem(8, &[(3, 3, 8), (0, 5, 0), (0, 5, 8)]);
        let outcome = pack(&p, &Limits::default());
        assert_eq!(outcome.packing.offsets(), &[0, 0, 0]);
        assert_eq!(outcome.status, Status::Fits);
        assert_eq!(
            pack(&Problem::new(0), &Limits::default()).packing.height(),
            0
        );
    }

    #[test]
    fn buffers_live_throughout_are_peeled_only_when_alignment_allows() {
        // The 3-byte buffer spans everything but is not a multiple of the
        // 4-alignment of the others: moving it down would misalign them.
        let a4 = Align::new(4).unwrap();
        let mut p = Problem::new(12);
        p.push(Buffer::new(0, 10, 3).unwrap()).unwrap();
        p.push(Buffer::new(0, 5, 4).unwrap().with_align(a4))
            .unwrap();
        p.push(Buffer::new(5, 10, 4).unwrap().with_align(a4))
            .unwrap();
        let outcome = pack(&p, &Limits::default());
        assert_eq!(outcome.status, Status::Fits);
        assert_eq!(check(&p, outcome.packing.offsets()), Ok(()));
    }
}
