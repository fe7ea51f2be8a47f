//! Priority rules and the precedence-feasible activity lists they induce.
//!
//! A rule gives every activity a key; the list repeatedly takes the eligible
//! activity (all predecessors listed) with the smallest key, ties broken by
//! the topological rank. With a binary heap that is `O((n + m) log n)`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, RngExt};

use crate::problem::{ActivityId, Problem};
use crate::schedule::ActivityList;

/// Classic static priority rules (Kolisch 1996); every one is computed from
/// precedences and durations only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PriorityRule {
    /// Latest finish time first (LFT).
    LatestFinishTime,
    /// Latest start time first (LST).
    LatestStartTime,
    /// Minimum slack first (MSLK): least latest-minus-earliest start.
    MinimumSlack,
    /// Most total (transitive) successors first (MTS).
    MostTotalSuccessors,
    /// Greatest rank positional weight first (GRPW): own duration plus the
    /// durations of the immediate successors.
    GreatestRankPositionalWeight,
}

/// MTS needs the transitive closure, `n^2 / 8` bytes; above this many
/// activities the rule is not offered.
const CLOSURE_LIMIT: usize = 4096;

impl PriorityRule {
    pub const ALL: [PriorityRule; 5] = [
        PriorityRule::LatestFinishTime,
        PriorityRule::LatestStartTime,
        PriorityRule::MinimumSlack,
        PriorityRule::MostTotalSuccessors,
        PriorityRule::GreatestRankPositionalWeight,
    ];

    /// Keys (smaller is more urgent), or `None` when this rule would cost
    /// more than near-linear time on `problem`.
    pub fn keys(self, problem: &Problem, heads: &[u32], tails: &[u32]) -> Option<Vec<i64>> {
        let per_activity = |f: &dyn Fn(ActivityId) -> i64| problem.activities().map(f).collect();
        let (head, tail) = (
            |a: ActivityId| i64::from(heads[a.index()]),
            |a: ActivityId| i64::from(tails[a.index()]),
        );
        Some(match self {
            // Against a common deadline D: LF = D - tail + duration, LS = D - tail.
            PriorityRule::LatestFinishTime => {
                per_activity(&|a| i64::from(problem.duration(a)) - tail(a))
            }
            PriorityRule::LatestStartTime => per_activity(&|a| -tail(a)),
            PriorityRule::MinimumSlack => per_activity(&|a| -tail(a) - head(a)),
            PriorityRule::MostTotalSuccessors => {
                if problem.activity_count() > CLOSURE_LIMIT {
                    return None;
                }
                successor_counts(problem)
                    .into_iter()
                    .map(|c| -(c as i64))
                    .collect()
            }
            PriorityRule::GreatestRankPositionalWeight => per_activity(&|a| {
                -(i64::from(problem.duration(a))
                    + problem
                        .successors(a)
                        .iter()
                        .map(|l| i64::from(problem.duration(l.activity)))
                        .sum::<i64>())
            }),
        })
    }
}

/// The number of transitive successors of every activity (bitset closure).
fn successor_counts(problem: &Problem) -> Vec<u32> {
    let n = problem.activity_count();
    let words = n.div_ceil(64);
    let mut reach = vec![0u64; n * words];
    for &a in problem.topological_order().iter().rev() {
        let row = a.index() * words;
        for link in problem.successors(a) {
            let s = link.activity.index();
            reach[row + s / 64] |= 1 << (s % 64);
            let (own, other) = if s > a.index() {
                let (lo, hi) = reach.split_at_mut(s * words);
                (&mut lo[row..row + words], &hi[..words])
            } else {
                let (lo, hi) = reach.split_at_mut(row);
                (&mut hi[..words], &lo[s * words..s * words + words])
            };
            own.iter_mut().zip(other).for_each(|(x, y)| *x |= y);
        }
    }
    reach
        .chunks(words.max(1))
        .take(n)
        .map(|row| row.iter().map(|w| w.count_ones()).sum())
        .collect()
}

/// Lists the activities by `keys` (smallest eligible key first, then the
/// earlier topological rank), respecting precedences.
pub fn priority_list(problem: &Problem, keys: &[i64]) -> ActivityList {
    let priority = |a: ActivityId| (keys[a.index()], problem.topological_rank(a));
    // When sorting by priority happens to respect every precedence (always
    // so for keys that never decrease along a precedence, like start times)
    // the heap would produce the same order: at every step the smallest
    // remaining priority is eligible.
    let mut order: Vec<ActivityId> = problem.activities().collect();
    order.sort_unstable_by_key(|&a| priority(a));
    if respects_precedences(problem, &order) {
        return ActivityList::new_unchecked(order);
    }
    order.clear();
    let mut missing = predecessor_counts(problem);
    let mut ready: BinaryHeap<Reverse<(i64, u32, u32)>> = problem
        .activities()
        .filter(|a| missing[a.index()] == 0)
        .map(|a| Reverse((priority(a).0, priority(a).1, a.0)))
        .collect();
    while let Some(Reverse((_, _, a))) = ready.pop() {
        let a = ActivityId(a);
        order.push(a);
        for link in problem.successors(a) {
            let s = link.activity;
            missing[s.index()] -= 1;
            if missing[s.index()] == 0 {
                let (key, rank) = priority(s);
                ready.push(Reverse((key, rank, s.0)));
            }
        }
    }
    ActivityList::new_unchecked(order)
}

fn respects_precedences(problem: &Problem, order: &[ActivityId]) -> bool {
    let mut position = vec![0u32; order.len()];
    for (i, a) in order.iter().enumerate() {
        position[a.index()] = i as u32;
    }
    order.iter().all(|&a| {
        problem
            .successors(a)
            .iter()
            .all(|link| position[link.activity.index()] > position[a.index()])
    })
}

/// A random list biased towards `keys`: each key is perturbed by uniform
/// noise over `spread` times the range of the keys, then listed as usual.
/// With `spread = 0` this is [`priority_list`]; larger spreads diversify.
/// `O((n + m) log n)` like the rule itself.
pub fn sample_list(
    problem: &Problem,
    keys: &[i64],
    spread: f64,
    rng: &mut impl Rng,
) -> ActivityList {
    let (low, high) = keys
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    let width = (high.saturating_sub(low).max(1) as f64) * spread;
    // Scale to keep integer keys while resolving the noise finely.
    const SCALE: f64 = 1024.0;
    let noisy: Vec<i64> = keys
        .iter()
        .map(|&k| ((k as f64 + rng.random::<f64>() * width) * SCALE) as i64)
        .collect();
    priority_list(problem, &noisy)
}

fn predecessor_counts(problem: &Problem) -> Vec<u32> {
    problem
        .activities()
        .map(|a| problem.predecessors(a).len() as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::{heads, tails};
    use crate::problem::ProblemBuilder;
    use rand::SeedableRng;

    fn diamond() -> Problem {
        let mut b = ProblemBuilder::new();
        let s = b.add_activity(0, &[]);
        let x = b.add_activity(5, &[]);
        let y = b.add_activity(1, &[]);
        let z = b.add_activity(2, &[]);
        let t = b.add_activity(0, &[]);
        b.add_finish_to_start(s, x, 0);
        b.add_finish_to_start(s, y, 0);
        b.add_finish_to_start(y, z, 0);
        b.add_finish_to_start(x, t, 0);
        b.add_finish_to_start(z, t, 0);
        b.build().unwrap()
    }

    #[test]
    fn rules_order_the_diamond() {
        let p = diamond();
        let (h, t) = (heads(&p), tails(&p));
        let list = |rule: PriorityRule| {
            let keys = rule.keys(&p, &h, &t).unwrap();
            priority_list(&p, &keys)
                .as_slice()
                .iter()
                .map(|a| a.0)
                .collect::<Vec<_>>()
        };
        // x has the longest tail (5) against y's 3.
        assert_eq!(list(PriorityRule::LatestStartTime), vec![0, 1, 2, 3, 4]);
        // y has two transitive successors (z, t); then x and z tie at one.
        assert_eq!(list(PriorityRule::MostTotalSuccessors), vec![0, 2, 1, 3, 4]);
        assert_eq!(successor_counts(&p), vec![4, 1, 2, 1, 0]);
    }

    #[test]
    fn sampled_lists_are_precedence_feasible() {
        let p = diamond();
        let keys = PriorityRule::LatestFinishTime
            .keys(&p, &heads(&p), &tails(&p))
            .unwrap();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..20 {
            let list = sample_list(&p, &keys, 0.5, &mut rng);
            assert!(ActivityList::new(&p, list.into_vec()).is_ok());
        }
    }
}
