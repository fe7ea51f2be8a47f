//! Packing one address space: greedy first, search where greedy overflows.

use std::time::{Duration, Instant};

use crate::greedy;
use crate::order::{self, ORDERS, RangeMax};
use crate::overlap::Overlaps;
use crate::problem::{BufferId, Problem};
use crate::search::{self, Budget, MAX_PAIRS, Verdict};
use crate::sweep::{Part, Sweep};

/// How much effort packing may spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Search nodes over the whole job. Deterministic: the same problem and
    /// node limit give the same packing on any machine.
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
    /// Enough for every instance of the MiniMalloc suite in this repository
    /// with a wide margin (see the README's table).
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
    /// The budget ran out before a packing within the capacity was found.
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
    /// Independent parts (runs of time no buffer crosses).
    pub parts: usize,
    /// Parts the greedy passes did not fit, handed to the search.
    pub searched: usize,
    /// Search nodes spent.
    pub nodes: u64,
    /// The best height the greedy passes reached.
    pub greedy_height: u64,
}

/// The result of [`pack`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The best packing found; within the capacity iff `status` is `Fits`.
    pub packing: Packing,
    pub status: Status,
    /// No packing is lower: the most bytes live at one moment.
    pub lower_bound: u64,
    pub stats: Stats,
}

impl Outcome {
    pub fn fits(&self) -> bool {
        self.status == Status::Fits
    }
}

/// Places every buffer of `problem`: a time-ordered best-fit pass, then for
/// each independent part that overflows, best-fit passes in several static
/// orders, then branch and bound within `limits`. When nothing fits, the
/// search also looks for lower packings than the greedy's to report.
pub fn pack(problem: &Problem, limits: &Limits) -> Outcome {
    let sweep = Sweep::new(problem);
    let peaks = RangeMax::new(&sweep.pressure);
    let capacity = problem.capacity();
    let mut budget = Budget {
        nodes: limits.nodes,
        deadline: limits.time.map(|t| Instant::now() + t),
    };
    let lower_bound = problem
        .buffers()
        .iter()
        .map(|b| b.size)
        .max()
        .unwrap_or(0)
        .max(sweep.peak());

    let mut offsets = vec![0u64; problem.len()];
    let all: Vec<BufferId> = (0..problem.len()).collect();
    greedy::by_time(problem, &all, &mut offsets);

    let mut stats = Stats {
        parts: sweep.parts.len(),
        ..Stats::default()
    };
    let mut proven = false;
    let mut greedy_height = 0;
    for part in &sweep.parts {
        let mut height = part_height(problem, part, &offsets);
        if height > capacity {
            height = better_greedy(problem, &sweep, &peaks, part, &mut offsets, height);
        }
        greedy_height = greedy_height.max(height);
        if height <= capacity {
            continue;
        }
        stats.searched += 1;
        let before = budget.nodes;
        proven |= search_part(
            problem,
            &sweep,
            &peaks,
            part,
            limits,
            &mut budget,
            &mut offsets,
        );
        stats.nodes += before - budget.nodes;
    }
    stats.greedy_height = greedy_height;

    let packing = Packing::new(problem, offsets);
    let status = if packing.height() <= capacity {
        Status::Fits
    } else if proven || lower_bound > capacity {
        Status::Infeasible
    } else {
        Status::Unknown
    };
    Outcome {
        packing,
        status,
        lower_bound,
        stats,
    }
}

/// Searches a part the greedy passes overflowed: first for a packing within
/// the capacity, then (if none) for packings lower than the best so far, by
/// bisection on the height with at most a quarter of the node limit.
/// Returns whether the capacity is proven infeasible for the part.
fn search_part(
    problem: &Problem,
    sweep: &Sweep,
    peaks: &RangeMax,
    part: &Part,
    limits: &Limits,
    budget: &mut Budget,
    offsets: &mut [u64],
) -> bool {
    let capacity = problem.capacity();
    let peak = peaks.max(&part.sections);
    let mut proven = peak > capacity;
    if !proven {
        match search::solve(
            problem,
            sweep,
            peaks,
            part,
            capacity,
            budget.nodes,
            budget,
            offsets,
        ) {
            Verdict::Found => return false,
            Verdict::Infeasible => proven = true,
            Verdict::Stopped => {}
        }
    }
    let mut lowest = peak.max(capacity + 1);
    let mut best = part_height(problem, part, offsets);
    let mut allowance = budget.nodes.min(limits.nodes / 4);
    while lowest < best && allowance > 0 {
        let target = lowest + (best - lowest) / 2;
        let before = budget.nodes;
        let verdict = search::solve(
            problem,
            sweep,
            peaks,
            part,
            target,
            allowance / 2,
            budget,
            offsets,
        );
        allowance -= (before - budget.nodes).min(allowance);
        match verdict {
            Verdict::Found => best = part_height(problem, part, offsets),
            Verdict::Infeasible | Verdict::Stopped => lowest = target + 1,
        }
    }
    proven
}

fn part_height(problem: &Problem, part: &Part, offsets: &[u64]) -> u64 {
    part.buffers
        .iter()
        .map(|&id| offsets[id] + problem.buffers()[id].size)
        .max()
        .unwrap_or(0)
}

/// Best-fit passes in the static orders, if the part's conflict graph is
/// small enough; keeps the lowest packing. Returns its height.
fn better_greedy(
    problem: &Problem,
    sweep: &Sweep,
    peaks: &RangeMax,
    part: &Part,
    offsets: &mut [u64],
    mut best: u64,
) -> u64 {
    let Some(overlaps) = Overlaps::new(problem, &part.buffers, MAX_PAIRS) else {
        return best;
    };
    let position: std::collections::HashMap<BufferId, usize> = part
        .buffers
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i))
        .collect();
    let mut trial = offsets.to_vec();
    for keys in ORDERS {
        let order: Vec<usize> = order::sorted(problem, sweep, peaks, &part.buffers, keys)
            .into_iter()
            .map(|id| position[&id])
            .collect();
        greedy::by_order(problem, &part.buffers, &overlaps, &order, &mut trial);
        let height = part_height(problem, part, &trial);
        if height < best {
            best = height;
            for &id in &part.buffers {
                offsets[id] = trial[id];
            }
        }
    }
    best
}
