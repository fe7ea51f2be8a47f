//! The destructive lower bound (Klein and Scholl 1999): a trial makespan
//! `T` is refuted when propagation over the activities' start windows
//! `[earliest, latest]` (from heads and `T - tail`) reaches a
//! contradiction. The propagators, repeated to a fixpoint:
//!
//! - precedences: `earliest(to) >= earliest(from) + delay` and
//!   `latest(from) <= latest(to) - delay`;
//! - time-tabling: an activity whose window is shorter than a demand has a
//!   compulsory part (the periods it uses wherever it starts); an activity
//!   cannot start where its demand would overload the others' compulsory
//!   parts, which moves its earliest start right and its latest start left;
//! - at the fixpoint, energetic reasoning (Baptiste, Le Pape and Nuijten):
//!   over intervals `[t1, t2)` the work every activity must do inside, at
//!   least its overlap when shifted fully left or right, must fit.
//!
//! The first `T` not refuted is the bound. Every propagator only removes
//! starts that no schedule of makespan `T` can use, so the bound is valid.

use crate::problem::{ActivityId, Demand, Problem, ResourceId};

/// Work ceiling (roughly, inner-loop steps) over all trials. The bound is
/// skipped where one trial would exceed it and stops early when the trials
/// together do: it stays valid, since every trial below it was refuted.
const WORK_LIMIT: u64 = 40_000_000;
/// Propagation rounds per trial.
const ROUNDS: usize = 64;

/// The smallest makespan `>= start` that propagation cannot refute (or the
/// first one not tried within the work limit).
pub(crate) fn destructive_bound(
    problem: &Problem,
    heads: &[u32],
    tails: &[u32],
    start: u32,
) -> u32 {
    let refuter = Refuter::new(problem, heads, tails);
    let trial_work = refuter.round_work(start) + refuter.energetic_work();
    if trial_work > WORK_LIMIT {
        return start;
    }
    let mut work = 0;
    let mut makespan = start;
    while work <= WORK_LIMIT && refuter.refutes(makespan, &mut work) {
        makespan += 1;
    }
    makespan
}

struct Refuter<'p> {
    problem: &'p Problem,
    heads: &'p [u32],
    tails: &'p [u32],
    /// Per resource: the activities demanding it and their demands.
    by_resource: Vec<Vec<(ActivityId, Demand)>>,
}

/// Start windows; `latest` may fall below `earliest` (a contradiction).
struct Windows {
    earliest: Vec<i64>,
    latest: Vec<i64>,
}

/// Propagation found that no schedule of the trial makespan exists.
struct Refuted;

impl<'p> Refuter<'p> {
    fn new(problem: &'p Problem, heads: &'p [u32], tails: &'p [u32]) -> Self {
        let mut by_resource = vec![Vec::new(); problem.resource_count()];
        for a in problem.activities() {
            for &d in problem.demands(a) {
                by_resource[d.resource.index()].push((a, d));
            }
        }
        Refuter {
            problem,
            heads,
            tails,
            by_resource,
        }
    }

    fn energetic_work(&self) -> u64 {
        self.by_resource
            .iter()
            .map(|u| (u.len() as u64).pow(3))
            .sum()
    }

    /// Steps of one propagation round: profiles over the horizon plus the
    /// window scans.
    fn round_work(&self, makespan: u32) -> u64 {
        let scans: u64 = self
            .by_resource
            .iter()
            .flatten()
            .map(|(_, d)| 2 * u64::from(d.length) + 1)
            .sum();
        self.by_resource.len() as u64 * u64::from(makespan)
            + scans
            + self.problem.precedences().len() as u64
    }

    fn refutes(&self, makespan: u32, work: &mut u64) -> bool {
        let mut windows = Windows {
            earliest: self.heads.iter().map(|&h| i64::from(h)).collect(),
            latest: self
                .tails
                .iter()
                .map(|&t| i64::from(makespan) - i64::from(t))
                .collect(),
        };
        if self.propagate(&mut windows, makespan, work).is_err() {
            return true;
        }
        *work += self.energetic_work();
        self.energy_overload(&windows)
    }

    fn propagate(
        &self,
        windows: &mut Windows,
        makespan: u32,
        work: &mut u64,
    ) -> Result<(), Refuted> {
        for _ in 0..ROUNDS {
            *work += self.round_work(makespan);
            self.precedences(windows)?;
            if !self.time_table(windows, makespan)? {
                break;
            }
        }
        Ok(())
    }

    fn precedences(&self, w: &mut Windows) -> Result<(), Refuted> {
        let order = self.problem.topological_order();
        for &a in order {
            for link in self.problem.successors(a) {
                let to = link.activity.index();
                w.earliest[to] = w.earliest[to].max(w.earliest[a.index()] + link.min_delay);
            }
        }
        for &a in order.iter().rev() {
            for link in self.problem.predecessors(a) {
                let from = link.activity.index();
                w.latest[from] = w.latest[from].min(w.latest[a.index()] - link.min_delay);
            }
        }
        if w.earliest.iter().zip(&w.latest).any(|(e, l)| e > l) {
            return Err(Refuted);
        }
        Ok(())
    }

    /// One time-tabling pass over every resource; whether a window shrank.
    fn time_table(&self, w: &mut Windows, makespan: u32) -> Result<bool, Refuted> {
        let mut changed = false;
        let horizon = makespan as usize;
        for (r, uses) in self.by_resource.iter().enumerate() {
            let capacity = i64::from(self.problem.capacity(ResourceId(r as u32)));
            // Compulsory parts fixed for this pass; they only grow as windows
            // shrink, so using this snapshot is sound.
            let parts: Vec<(usize, usize)> = uses
                .iter()
                .map(|&(a, d)| compulsory_part(w, a, d))
                .collect();
            let mut usage = vec![0i64; horizon];
            for (&(_, d), &(from, to)) in uses.iter().zip(&parts) {
                for u in &mut usage[from.min(to).min(horizon)..to.min(horizon)] {
                    *u += i64::from(d.amount);
                }
            }
            if usage.iter().any(|&u| u > capacity) {
                return Err(Refuted);
            }
            for (&(a, d), &own) in uses.iter().zip(&parts) {
                // Usage by the others in period p.
                let others = |p: usize| {
                    let mine = if (own.0..own.1).contains(&p) {
                        i64::from(d.amount)
                    } else {
                        0
                    };
                    usage.get(p).copied().unwrap_or(0) - mine
                };
                let fits = |p: usize| others(p) + i64::from(d.amount) <= capacity;
                let (offset, length) = (i64::from(d.offset), i64::from(d.length));
                let i = a.index();
                // Earliest start: jump past the last blocked period of the window.
                let mut s = w.earliest[i];
                while s <= w.latest[i] {
                    let blocked = (s + offset..s + offset + length)
                        .rev()
                        .find(|&p| p >= 0 && !fits(p as usize));
                    match blocked {
                        Some(p) => s = p - offset + 1,
                        None => break,
                    }
                }
                if s > w.earliest[i] {
                    w.earliest[i] = s;
                    changed = true;
                }
                // Latest start: jump before the first blocked period.
                let mut s = w.latest[i];
                while s >= w.earliest[i] {
                    let blocked =
                        (s + offset..s + offset + length).find(|&p| p >= 0 && !fits(p as usize));
                    match blocked {
                        Some(p) => s = p - offset - length,
                        None => break,
                    }
                }
                if s < w.latest[i] {
                    w.latest[i] = s;
                    changed = true;
                }
                if w.earliest[i] > w.latest[i] {
                    return Err(Refuted);
                }
            }
        }
        Ok(changed)
    }

    /// Whether some interval `[t1, t2)` must receive more work than the
    /// resource offers. Each demand contributes its least overlap over its
    /// start window, reached with the activity shifted fully left or right.
    fn energy_overload(&self, w: &Windows) -> bool {
        self.by_resource.iter().enumerate().any(|(r, uses)| {
            let capacity = i64::from(self.problem.capacity(ResourceId(r as u32)));
            let window = |&(a, d): &(ActivityId, Demand)| {
                let offset = i64::from(d.offset);
                (
                    w.earliest[a.index()] + offset,
                    w.latest[a.index()] + offset,
                    i64::from(d.length),
                )
            };
            let mut starts: Vec<i64> = Vec::with_capacity(2 * uses.len());
            let mut ends: Vec<i64> = Vec::with_capacity(2 * uses.len());
            for u in uses {
                let (earliest, latest, length) = window(u);
                starts.extend([earliest, latest]);
                ends.extend([earliest + length, latest + length]);
            }
            starts.sort_unstable();
            starts.dedup();
            ends.sort_unstable();
            ends.dedup();
            let overlap =
                |s: i64, length: i64, t1: i64, t2: i64| ((s + length).min(t2) - s.max(t1)).max(0);
            starts.iter().any(|&t1| {
                ends.iter().filter(|&&t2| t2 > t1).any(|&t2| {
                    let required: i64 = uses
                        .iter()
                        .map(|u| {
                            let (earliest, latest, length) = window(u);
                            let least = overlap(earliest, length, t1, t2)
                                .min(overlap(latest, length, t1, t2));
                            i64::from(u.1.amount) * least
                        })
                        .sum();
                    required > capacity * (t2 - t1)
                })
            })
        })
    }
}

/// The periods `[from, to)` that demand `d` of `a` uses wherever `a` starts
/// in its window (empty when `to <= from`).
fn compulsory_part(w: &Windows, a: ActivityId, d: Demand) -> (usize, usize) {
    let from = w.latest[a.index()] + i64::from(d.offset);
    let to = w.earliest[a.index()] + i64::from(d.offset) + i64::from(d.length);
    (from.max(0) as usize, to.max(0) as usize)
}
