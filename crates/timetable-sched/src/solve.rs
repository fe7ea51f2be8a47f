//! The solver: lower bounds, the priority-rule baseline with justification,
//! then the genetic search within the budget. Deterministic for a given
//! seed unless a time limit cuts the search short.

use std::time::{Duration, Instant};

use crate::bounds::{LowerBounds, heads, lower_bounds, tails};
use crate::budget::Budget;
use crate::decode::{DECODE_COST, Decoded, Decoder};
use crate::genetic::Genetic;
use crate::incumbent::Incumbent;
use crate::priority::{PriorityRule, priority_list};
use crate::problem::Problem;
use crate::schedule::Schedule;
use crate::sgs::SerialSgs;

/// How hard to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolveOptions {
    /// Seeds the random choices of the search.
    pub seed: u64,
    /// Upper limit on generated schedules (runs of the serial SGS, a
    /// justification counts two). The baseline always runs its first rule,
    /// whatever the limit.
    pub max_schedules: u64,
    /// Stops the search at this wall-clock time. Results then depend on the
    /// machine's speed, so it is off by default.
    pub time_limit: Option<Duration>,
}

impl SolveOptions {
    /// The default effort: enough for near-optimal schedules of projects
    /// with about a hundred activities in well under a second.
    pub const DEFAULT_MAX_SCHEDULES: u64 = 15_000;

    /// Only the priority-rule baseline with justification, no search.
    pub fn baseline() -> Self {
        SolveOptions {
            max_schedules: 3 * PriorityRule::ALL.len() as u64,
            ..SolveOptions::default()
        }
    }
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            seed: 0,
            max_schedules: SolveOptions::DEFAULT_MAX_SCHEDULES,
            time_limit: None,
        }
    }
}

/// The best schedule found and what is known about its quality.
#[derive(Clone, Debug)]
pub struct Solution {
    pub schedule: Schedule,
    pub lower_bounds: LowerBounds,
    /// Schedules generated (serial SGS runs).
    pub schedules: u64,
}

impl Solution {
    pub fn makespan(&self) -> u32 {
        self.schedule.makespan()
    }

    pub fn lower_bound(&self) -> u32 {
        self.lower_bounds.best()
    }

    /// Whether the makespan meets the lower bound.
    pub fn is_proven_optimal(&self) -> bool {
        self.makespan() <= self.lower_bound()
    }
}

/// One pass of the serial SGS over the list that `rule` induces: the
/// near-linear baseline for very large problems. `None` when the rule is
/// too costly for this problem (see [`PriorityRule::keys`]).
pub fn list_schedule(problem: &Problem, rule: PriorityRule) -> Option<Schedule> {
    let keys = rule.keys(problem, &heads(problem), &tails(problem))?;
    let list = priority_list(problem, &keys);
    Some(SerialSgs::new(problem).schedule(problem, &list))
}

/// Schedules `problem` as well as the budget allows.
pub fn solve(problem: &Problem, options: &SolveOptions) -> Solution {
    let lower_bounds = lower_bounds(problem);
    let deadline = options.time_limit.map(|limit| Instant::now() + limit);
    let mut budget = Budget::new(options.max_schedules, deadline);
    let (heads, tails) = (heads(problem), tails(problem));
    let rules: Vec<Vec<i64>> = PriorityRule::ALL
        .iter()
        .filter_map(|rule| rule.keys(problem, &heads, &tails))
        .collect();

    // Baseline: every affordable rule, decoded with justification. The
    // first rule (LFT, always available) runs whatever the budget says.
    let mut decoder = Decoder::new(problem);
    let mut seeds: Vec<Decoded> = Vec::new();
    let mut incumbent: Option<Incumbent> = None;
    for keys in &rules {
        match &incumbent {
            None => budget.charge(DECODE_COST),
            Some(best) if best.is_optimal() || !budget.take(DECODE_COST) => break,
            Some(_) => {}
        }
        let decoded = decoder.decode(problem, priority_list(problem, keys).into_vec());
        incumbent
            .get_or_insert_with(|| {
                Incumbent::new(
                    decoded.starts.clone(),
                    decoded.makespan,
                    lower_bounds.best(),
                )
            })
            .offer(&decoded.starts, decoded.makespan);
        seeds.push(decoded);
    }
    let mut incumbent = incumbent.expect("the latest-finish-time rule is always available");

    if !incumbent.is_optimal() && budget.affords(DECODE_COST) {
        // Stable: equal makespans keep the rule order.
        seeds.sort_by_key(|d| d.makespan);
        Genetic::new(problem, options.seed).run(seeds, &rules[0], &mut budget, &mut incumbent);
    }
    Solution {
        schedule: Schedule::from_starts(problem, incumbent.starts)
            .expect("the incumbent has a start per activity"),
        lower_bounds,
        schedules: budget.used(),
    }
}
