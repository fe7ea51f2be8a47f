//! Property tests on generated problems with general delays and partial
//! demands: schedules are feasible and never beat the lower bound; on tiny
//! classic instances the lower bound never exceeds the exact optimum.

use proptest::prelude::*;
use timetable_sched::{
    ActivityId, ActivityList, Demand, Problem, ProblemBuilder, ResourceId, SerialSgs, SolveOptions,
    check, lower_bounds, solve,
};

/// A demand as (resource, amount, offset, length).
type DemandSpec = (usize, u32, u32, u32);

/// A generated problem: capacities, activities (duration, demands) and
/// precedences between lower and higher indices (so the graph is acyclic).
#[derive(Clone, Debug)]
struct Spec {
    capacities: Vec<u32>,
    activities: Vec<(u32, Vec<DemandSpec>)>,
    precedences: Vec<(usize, usize, i64)>,
}

fn spec(max_activities: usize, general: bool) -> impl Strategy<Value = Spec> {
    (1usize..=3, 1usize..=max_activities)
        .prop_flat_map(move |(resources, n)| {
            let capacities = prop::collection::vec(1u32..=6, resources);
            let activity = (0u32..=6).prop_flat_map(move |duration| {
                let demand = (0..resources, 1u32..=6, 0u32..=duration, 0u32..=duration);
                (Just(duration), prop::collection::vec(demand, 0..=resources))
            });
            let activities = prop::collection::vec(activity, n);
            let delay = if general { -4i64..=8 } else { 0i64..=3 };
            let edge = (0..n, 0..n, delay);
            let precedences = prop::collection::vec(edge, 0..=2 * n);
            (capacities, activities, precedences)
        })
        .prop_map(move |(capacities, activities, precedences)| {
            // Demands clamped to their activity and resource. General
            // instances may put several (possibly overlapping) demands on one
            // resource, each at most its share of the capacity so that they
            // always fit together; classic instances use one whole-duration
            // demand per resource.
            let activities = activities
                .into_iter()
                .map(|(duration, mut demands)| {
                    if !general {
                        demands.sort_by_key(|d| d.0);
                        demands.dedup_by_key(|d| d.0);
                    }
                    let share = |r: usize| {
                        let count = demands.iter().filter(|d| d.0 == r).count() as u32;
                        capacities[r] / count
                    };
                    let demands = demands
                        .iter()
                        .filter(|&&(r, ..)| share(r) > 0)
                        .map(|&(r, amount, offset, length)| {
                            let amount = amount.min(share(r));
                            if general {
                                let offset = offset.min(duration);
                                (r, amount, offset, length.min(duration - offset))
                            } else {
                                (r, amount, 0, duration)
                            }
                        })
                        .collect();
                    (duration, demands)
                })
                .collect();
            let precedences = precedences.into_iter().filter(|&(a, b, _)| a < b).collect();
            Spec {
                capacities,
                activities,
                precedences,
            }
        })
}

fn build(spec: &Spec, finish_to_start: bool) -> Problem {
    let mut b = ProblemBuilder::new();
    let resources: Vec<ResourceId> = spec.capacities.iter().map(|&c| b.add_resource(c)).collect();
    for (duration, demands) in &spec.activities {
        let demands: Vec<Demand> = demands
            .iter()
            .map(|&(r, amount, offset, length)| Demand {
                resource: resources[r],
                amount,
                offset,
                length,
            })
            .collect();
        b.add_activity_with_demands(*duration, &demands);
    }
    for &(from, to, delay) in &spec.precedences {
        let (from, to) = (ActivityId(from as u32), ActivityId(to as u32));
        if finish_to_start {
            b.add_finish_to_start(from, to, delay);
        } else {
            b.add_precedence(from, to, delay);
        }
    }
    b.build().unwrap()
}

/// The best serial-SGS schedule over every precedence-feasible order:
/// optimal for classic instances (whole demands, non-negative delays).
fn brute_force(problem: &Problem) -> u32 {
    fn extend(problem: &Problem, order: &mut Vec<ActivityId>, sgs: &mut SerialSgs, best: &mut u32) {
        if order.len() == problem.activity_count() {
            let list = ActivityList::new(problem, order.clone()).unwrap();
            *best = (*best).min(sgs.schedule(problem, &list).makespan());
            return;
        }
        for a in problem.activities() {
            let ready = !order.contains(&a)
                && problem
                    .predecessors(a)
                    .iter()
                    .all(|l| order.contains(&l.activity));
            if ready {
                order.push(a);
                extend(problem, order, sgs, best);
                order.pop();
            }
        }
    }
    let mut best = u32::MAX;
    extend(
        problem,
        &mut Vec::new(),
        &mut SerialSgs::new(problem),
        &mut best,
    );
    best
}

// The default 256 cases; `PROPTEST_CASES` raises it for a longer soak.
proptest! {
    #[test]
    fn general_problems_schedule_feasibly(spec in spec(24, true), ss in any::<bool>(), seed in 0u64..4) {
        let problem = build(&spec, !ss);
        let options = SolveOptions { seed, ..SolveOptions::with_schedules(700) };
        let solution = solve(&problem, &options);
        prop_assert_eq!(check::check(&problem, solution.schedule.starts()), Ok(()));
        prop_assert!(solution.makespan() >= solution.lower_bound());
    }

    #[test]
    fn lower_bounds_never_exceed_the_optimum(spec in spec(6, false)) {
        let problem = build(&spec, true);
        let optimum = brute_force(&problem);
        let bounds = lower_bounds(&problem);
        prop_assert!(bounds.best() <= optimum, "{:?} > {}", bounds, optimum);
        let solution = solve(&problem, &SolveOptions::with_schedules(700));
        prop_assert!(solution.makespan() >= optimum);
        prop_assert_eq!(check::check(&problem, solution.schedule.starts()), Ok(()));
    }
}
