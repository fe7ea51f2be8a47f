//! Time windows ignoring resources (heads and tails) and lower bounds on the
//! makespan. A schedule whose makespan meets the lower bound is optimal, so
//! the search stops there.

use crate::destructive::destructive_bound;
use crate::problem::{Demand, Problem};

/// `heads[a]`: the earliest start of `a` allowed by precedences alone.
pub fn heads(problem: &Problem) -> Vec<u32> {
    let mut heads = vec![0u32; problem.activity_count()];
    for &a in problem.topological_order() {
        heads[a.index()] = problem
            .predecessors(a)
            .iter()
            .map(|link| i64::from(heads[link.activity.index()]) + link.min_delay)
            .fold(0, i64::max) as u32;
    }
    heads
}

/// `tails[a]`: the least time from the start of `a` to the end of the
/// schedule allowed by precedences alone (at least the duration of `a`).
pub fn tails(problem: &Problem) -> Vec<u32> {
    let mut tails = vec![0u32; problem.activity_count()];
    for &a in problem.topological_order().iter().rev() {
        tails[a.index()] = problem
            .successors(a)
            .iter()
            .map(|link| i64::from(tails[link.activity.index()]) + link.min_delay)
            .fold(i64::from(problem.duration(a)), i64::max) as u32;
    }
    tails
}

/// The lower bounds the solver computes, each valid on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowerBounds {
    /// The longest precedence path (LB0).
    pub critical_path: u32,
    /// Per resource: all its work fits between the earliest head and the
    /// smallest tail of the activities using it.
    pub resource: u32,
    /// Destructive bound: for every makespan below this one, propagating
    /// precedences and resource profiles over the activities' start windows
    /// reaches a contradiction (see `destructive.rs`).
    pub destructive: u32,
}

impl LowerBounds {
    pub fn best(&self) -> u32 {
        self.critical_path.max(self.resource).max(self.destructive)
    }
}

pub fn lower_bounds(problem: &Problem) -> LowerBounds {
    let heads = heads(problem);
    let tails = tails(problem);
    let critical_path = problem
        .activities()
        .map(|a| heads[a.index()] + tails[a.index()])
        .max()
        .unwrap_or(0);
    let uses = demands_by_resource(problem, &heads, &tails);
    let resource = problem
        .resources()
        .zip(&uses)
        .map(|(r, uses)| resource_bound(problem.capacity(r), uses))
        .max()
        .unwrap_or(0);
    let destructive = destructive_bound(problem, &heads, &tails, critical_path.max(resource));
    LowerBounds {
        critical_path,
        resource,
        destructive,
    }
}

/// A demand with the head and tail of its activity.
#[derive(Clone, Copy, Debug)]
struct Use {
    demand: Demand,
    head: u32,
    tail: u32,
}

fn demands_by_resource(problem: &Problem, heads: &[u32], tails: &[u32]) -> Vec<Vec<Use>> {
    let mut uses = vec![Vec::new(); problem.resource_count()];
    for a in problem.activities() {
        for &demand in problem.demands(a) {
            uses[demand.resource.index()].push(Use {
                demand,
                head: heads[a.index()],
                tail: tails[a.index()],
            });
        }
    }
    uses
}

fn resource_bound(capacity: u32, uses: &[Use]) -> u32 {
    if uses.is_empty() {
        return 0;
    }
    let work: u64 = uses
        .iter()
        .map(|u| u64::from(u.demand.amount) * u64::from(u.demand.length))
        .sum();
    // Demand `u` occupies [S + offset, S + offset + length) with S >= head
    // and S + tail <= makespan.
    let before = uses
        .iter()
        .map(|u| u.head + u.demand.offset)
        .min()
        .unwrap_or(0);
    let after = uses
        .iter()
        .map(|u| u.tail - u.demand.offset - u.demand.length)
        .min()
        .unwrap_or(0);
    before + work.div_ceil(u64::from(capacity)) as u32 + after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemBuilder;

    #[test]
    fn heads_tails_and_critical_path() {
        let mut b = ProblemBuilder::new();
        let x = b.add_activity(3, &[]);
        let y = b.add_activity(2, &[]);
        let z = b.add_activity(4, &[]);
        b.add_finish_to_start(x, y, 1);
        b.add_precedence(x, z, 0);
        let p = b.build().unwrap();
        assert_eq!(heads(&p), vec![0, 4, 0]);
        assert_eq!(tails(&p), vec![6, 2, 4]);
        assert_eq!(lower_bounds(&p).critical_path, 6);
    }

    #[test]
    fn resource_bound_sees_contention() {
        // Three unrelated activities of length 2 that cannot overlap.
        let mut b = ProblemBuilder::new();
        let r = b.add_resource(1);
        for _ in 0..3 {
            b.add_activity(2, &[(r, 1)]);
        }
        let p = b.build().unwrap();
        let lb = lower_bounds(&p);
        assert_eq!((lb.critical_path, lb.resource, lb.best()), (2, 6, 6));
    }

    #[test]
    fn destructive_bound_beats_the_plain_bounds() {
        // On one unit of a resource: `long` needs 2 periods, `b` and `c` 1
        // each but only within [1, 3) if the makespan were 4, which leaves
        // `long` no two consecutive free periods. The optimum is 5.
        let mut builder = ProblemBuilder::new();
        let r = builder.add_resource(1);
        builder.add_activity(2, &[(r, 1)]);
        for _ in 0..2 {
            let before = builder.add_activity(1, &[]);
            let middle = builder.add_activity(1, &[(r, 1)]);
            let after = builder.add_activity(1, &[]);
            builder.add_finish_to_start(before, middle, 0);
            builder.add_finish_to_start(middle, after, 0);
        }
        let lb = lower_bounds(&builder.build().unwrap());
        assert_eq!((lb.critical_path, lb.resource, lb.destructive), (3, 4, 5));
    }
}
