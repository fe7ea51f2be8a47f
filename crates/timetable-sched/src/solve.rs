//! The solver: lower bounds, the priority-rule baseline with justification,
//! then the genetic search within the budget. Deterministic for a given
//! seed unless a time limit cuts the search short.

use std::time::{Duration, Instant};

use crate::bounds::{LowerBounds, heads, lower_bounds, tails};
use crate::budget::Budget;
use crate::decode::{DECODE_COST, Decoded, Decoder};
use crate::genetic::{Genetic, POPULATION};
use crate::incumbent::Incumbent;
use crate::priority::{PriorityRule, priority_list};
use crate::problem::Problem;
use crate::schedule::Schedule;
use crate::sgs::SerialSgs;

/// How much search to spend, counted deterministically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effort {
    /// At most this many generated schedules (serial-SGS runs; a
    /// justification counts two), the unit the RCPSP literature compares.
    Schedules(u64),
    /// At most this many activity placements, i.e. schedules times
    /// activities: about the same time whatever the problem size, so large
    /// problems automatically get the baseline only.
    Placements(u64),
}

impl Effort {
    fn schedules(self, problem: &Problem) -> u64 {
        match self {
            Effort::Schedules(schedules) => schedules,
            Effort::Placements(placements) => placements / problem.activity_count().max(1) as u64,
        }
    }
}

/// How hard to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolveOptions {
    /// Seeds the random choices of the search.
    pub seed: u64,
    /// The budget. The baseline always runs its first rule, whatever it says.
    pub effort: Effort,
    /// Stops the search at this wall-clock time. Results then depend on the
    /// machine's speed, so it is off by default.
    pub time_limit: Option<Duration>,
}

impl SolveOptions {
    /// The default effort: 50,000 schedules of a 30-activity project,
    /// about 13,000 of a 120-activity one; tens of milliseconds each.
    pub const DEFAULT_EFFORT: Effort = Effort::Placements(1_600_000);

    /// Only the priority-rule baseline with justification, no search.
    pub fn baseline() -> Self {
        SolveOptions {
            effort: Effort::Schedules(DECODE_COST * PriorityRule::ALL.len() as u64),
            ..SolveOptions::default()
        }
    }

    /// The default options with a budget of `schedules`.
    pub fn with_schedules(schedules: u64) -> Self {
        SolveOptions {
            effort: Effort::Schedules(schedules),
            ..SolveOptions::default()
        }
    }
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            seed: 0,
            effort: SolveOptions::DEFAULT_EFFORT,
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
    let mut budget = Budget::new(options.effort.schedules(problem), deadline);
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

    // A population that cannot even be sampled would only waste the rest.
    if !incumbent.is_optimal() && budget.affords(DECODE_COST * POPULATION as u64) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check;
    use crate::problem::ProblemBuilder;

    #[test]
    fn degenerate_problems_are_solved_and_proven() {
        let empty = ProblemBuilder::new().build().unwrap();
        let solution = solve(&empty, &SolveOptions::default());
        assert_eq!(
            (solution.makespan(), solution.is_proven_optimal()),
            (0, true)
        );

        // Without resources the critical path is optimal.
        let mut b = ProblemBuilder::new();
        let x = b.add_activity(3, &[]);
        let y = b.add_activity(4, &[]);
        b.add_finish_to_start(x, y, 2);
        let chain = b.build().unwrap();
        let solution = solve(&chain, &SolveOptions::default());
        assert_eq!(solution.schedule.starts(), &[0, 5]);
        assert!(solution.is_proven_optimal());
    }

    #[test]
    fn interleaves_chains_within_the_budget() {
        // Two chains with a lag, competing for one unit: the optimum fills
        // each chain's lag with the other chain (a1 b1 a2 b2).
        let mut b = ProblemBuilder::new();
        let r = b.add_resource(1);
        let a1 = b.add_activity(2, &[(r, 1)]);
        let a2 = b.add_activity(2, &[(r, 1)]);
        let b1 = b.add_activity(2, &[(r, 1)]);
        let b2 = b.add_activity(2, &[(r, 1)]);
        b.add_finish_to_start(a1, a2, 2);
        b.add_finish_to_start(b1, b2, 2);
        let p = b.build().unwrap();
        let solution = solve(&p, &SolveOptions::with_schedules(2_000));
        assert_eq!(check(&p, solution.schedule.starts()), Ok(()));
        assert_eq!(solution.makespan(), 8);
        assert!(solution.schedules <= 2_000);
        let baseline = solve(&p, &SolveOptions::baseline());
        assert!(baseline.schedules <= SolveOptions::baseline().effort.schedules(&p));
    }
}
