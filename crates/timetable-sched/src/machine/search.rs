//! Choosing the op list the decoder schedules: the order of the engine's schedule of
//! the abstract problem (each op holding its issue resource for a cycle, streams left
//! out), the engine's priority rules and program order as the baseline, then the
//! engine's genetic search over op lists within the budget. The best list is decoded
//! once more at the end, so the result is exactly the best schedule seen; it is never
//! worse than the baseline.

use super::decoder::Decoder;
use super::facts::{Facts, Issue, OpId, Place};
use super::state::State;
use super::{MachineEffort, MachineOptions};
use crate::genetic::{ListSearch, SearchBudget};
use crate::{
    ActivityId, PriorityRule, Problem, ProblemBuilder, SolveOptions, heads, priority_list, solve,
    tails,
};
use timetable_ir::diag::Diagnostic;
use timetable_ir::registry::UnitClass;

/// Failed attempts per op after which a search decode gives up (the baseline's never
/// do).
const SEARCH_ATTEMPTS_PER_OP: u64 = 8;

/// The schedule found and how.
pub(crate) struct Found {
    pub state: State,
    pub makespan: u32,
    /// The best priority-rule schedule's makespan.
    pub baseline: u32,
    /// Which list the baseline's best came from.
    pub rule: &'static str,
    /// Schedules decoded.
    pub schedules: u64,
}

/// The precedence graph of a function's ops as an engine problem, for priorities and
/// the list operators of the search. Durations are functional delays; delays are the
/// dataflow DAG's (hop distances bounded below).
fn problem(f: &Facts) -> Problem {
    let mut b = ProblemBuilder::new();
    for o in &f.ops {
        b.add_activity(o.latency, &[]);
    }
    with_dependences(b, f)
}

/// Adds the dataflow DAG's dependences (with their delays) between the activities of
/// `f`'s ops, one per op in order, and builds the problem.
fn with_dependences(mut b: ProblemBuilder, f: &Facts) -> Problem {
    for &(from, to, latency) in &f.edges {
        b.add_precedence(ActivityId(from), ActivityId(to), i64::from(latency));
    }
    b.build()
        .expect("the dependence DAG is acyclic and its delays are small")
}

/// The function as a resource-constrained project: each op holds its issue resource
/// (its bank, its plane, or the issue slots of all VXMs or all SXMs together) for one
/// cycle; dependences keep their delays. Streams, spills and positions are left out:
/// its schedule is a priority for the machine decoder, not a timetable.
fn abstract_problem(f: &Facts) -> Problem {
    let mut b = ProblemBuilder::new();
    let t = f.target;
    let banks: Vec<_> = (0..t.mem_slices() * t.mem.banks)
        .map(|_| b.add_resource(1))
        .collect();
    let planes: Vec<_> = (0..t.total_planes()).map(|_| b.add_resource(1)).collect();
    let mut classes = std::collections::BTreeMap::new();
    for o in &f.ops {
        let demand = match (o.issue, &o.place) {
            (Issue::Bank(k), _) => Some(banks[k as usize]),
            (Issue::Plane(p), _) => Some(planes[p as usize]),
            (Issue::Slot, Place::Any(ps)) => {
                let width = if o.class == UnitClass::Vxm {
                    t.vxm_alus
                } else {
                    t.sxm_issue
                };
                let n = ps.len() as u32 * width;
                Some(*classes.entry(o.class).or_insert_with(|| b.add_resource(n)))
            }
            _ => None,
        };
        match demand {
            Some(r) => b.add_activity(1, &[(r, 1)]),
            None => b.add_activity(0, &[]),
        };
    }
    with_dependences(b, f)
}

fn ids(list: &[ActivityId]) -> Vec<OpId> {
    list.iter().map(|a| a.0).collect()
}

pub(crate) fn search(f: &Facts, options: &MachineOptions, lower: u64) -> Result<Found, Diagnostic> {
    let problem = problem(f);
    let n = f.ops.len().max(1) as u64;
    let budget = match options.effort {
        MachineEffort::Baseline => 0,
        MachineEffort::Schedules(s) => s,
        MachineEffort::Placements(p) => (p / n).min(MachineEffort::MAX_SCHEDULES),
    };
    let (h, t) = (heads(&problem), tails(&problem));
    let mut lists: Vec<(&'static str, Vec<OpId>)> = vec![];
    let mut keys_for_search = None;
    for (rule, name) in [
        (PriorityRule::LatestStartTime, "latest start time"),
        (PriorityRule::MinimumSlack, "minimum slack"),
        (PriorityRule::LatestFinishTime, "latest finish time"),
        (
            PriorityRule::GreatestRankPositionalWeight,
            "rank positional weight",
        ),
    ] {
        if let Some(keys) = rule.keys(&problem, &h, &t) {
            lists.push((name, ids(priority_list(&problem, &keys).as_slice())));
            keys_for_search.get_or_insert(keys);
        }
    }
    // First: the order of a resource-constrained schedule of the abstract problem.
    // Priority rules see only the dependence graph, so symmetric work (the rows of a
    // softmax) ties level by level and is placed breadth first, every row waiting for
    // the busiest unit; the abstract schedule staggers it.
    let abstract_starts = solve(&abstract_problem(f), &SolveOptions::baseline()).schedule;
    let keys: Vec<i64> = abstract_starts
        .starts()
        .iter()
        .map(|&s| i64::from(s))
        .collect();
    lists.insert(
        0,
        (
            "abstract schedule",
            ids(priority_list(&problem, &keys).as_slice()),
        ),
    );
    lists.push(("program order", (0..f.ops.len() as OpId).collect()));
    let mut decoder = Decoder::new(f);
    let mut schedules = 0u64;
    let mut best: Option<(u32, &'static str, Vec<OpId>)> = None;
    let mut first_error = None;
    for (i, (name, list)) in lists.into_iter().enumerate() {
        // The abstract schedule's order and the first rule's always run (each wins on
        // some programs: the rule where the critical path binds); the others while the
        // budget lasts (or until one list yields a schedule: a list can paint itself
        // into a corner, say a value no one can spill any more, where another order
        // does not).
        if i > 1
            && best.is_some()
            && schedules >= budget.max(2)
            && options.effort != MachineEffort::Baseline
        {
            break;
        }
        schedules += 1;
        let makespan = match decoder.decode(&list) {
            Ok(m) => m,
            Err(d) => {
                first_error.get_or_insert(d);
                continue;
            }
        };
        if best.as_ref().is_none_or(|b| makespan < b.0) {
            best = Some((makespan, name, list));
        }
        if u64::from(makespan) <= lower {
            break;
        }
    }
    let Some((baseline, rule, mut list)) = best else {
        return Err(first_error.expect("every list failed"));
    };
    let mut makespan = baseline;
    if schedules < budget && u64::from(makespan) > lower {
        let keys = keys_for_search.unwrap_or_else(|| vec![0; f.ops.len()]);
        let mut search = ListSearch::new(&problem, options.seed);
        // Lists of the search that paint themselves into a corner are dropped early.
        decoder.attempt_limit = Some(SEARCH_ATTEMPTS_PER_OP * n + 10_000);
        // The search normalises the lists it keeps (ops by start), and a normalised list
        // need not decode to the same schedule: the best list as decoded is kept here.
        let mut best_decoded: Option<(u32, Vec<OpId>)> = None;
        let mut decode = |order: &[ActivityId]| -> Option<(u32, Vec<u32>)> {
            let list = ids(order);
            let m = decoder.decode(&list).ok()?;
            if best_decoded.as_ref().is_none_or(|b| m < b.0) {
                best_decoded = Some((m, list));
            }
            Some((m, decoder.starts()))
        };
        let outcome = search.run(
            vec![list.iter().map(|&o| ActivityId(o)).collect()],
            &keys,
            &mut decode,
            SearchBudget {
                decodes: budget - schedules,
                lower_bound: u32::try_from(lower).unwrap_or(u32::MAX),
            },
        );
        schedules += outcome.decodes;
        debug_assert!(
            best_decoded
                .as_ref()
                .is_none_or(|b| b.0 == outcome.makespan),
            "the search's best is a list it decoded"
        );
        if let Some((m, best)) = best_decoded
            && m < makespan
        {
            makespan = m;
            list = best;
        }
    }
    decoder.attempt_limit = None;
    let final_makespan = decoder.decode(&list)?;
    debug_assert_eq!(final_makespan, makespan, "decoding is deterministic");
    Ok(Found {
        state: decoder.state,
        makespan,
        baseline,
        rule,
        schedules,
    })
}
