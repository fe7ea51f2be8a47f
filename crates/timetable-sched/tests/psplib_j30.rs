//! Every j30 instance in tests/bench is scheduled feasibly, deterministically,
//! never below its proven optimum, and with a lower bound that never exceeds it.
//! A small budget keeps this fast; benches/psplib.rs measures quality.

mod support;

use timetable_sched::psplib::{PsplibInstance, format_schedule, solve_text};
use timetable_sched::{PriorityRule, SolveOptions, check, list_schedule, lower_bounds, solve};

/// The baseline, the initial population and a few generations.
const SMALL_BUDGET: u64 = 1000;

fn small_budget() -> SolveOptions {
    SolveOptions::with_schedules(SMALL_BUDGET)
}

#[test]
fn all_instances_schedule_feasibly_within_bounds() {
    let instances = support::j30_instances();
    assert_eq!(instances.len(), 144);
    for instance in &instances {
        let problem = PsplibInstance::parse(&instance.text)
            .and_then(|i| i.to_problem())
            .unwrap_or_else(|e| panic!("{}: {e}", instance.name));
        let bounds = lower_bounds(&problem);
        assert!(
            bounds.best() <= instance.optimum,
            "{}: {bounds:?}",
            instance.name
        );
        let solution = solve(&problem, &small_budget());
        if let Err(violations) = check::check(&problem, solution.schedule.starts()) {
            panic!("{}: {violations:?}", instance.name);
        }
        assert!(solution.makespan() >= instance.optimum, "{}", instance.name);
        assert!(solution.schedules <= SMALL_BUDGET, "{}", instance.name);
        assert_eq!(
            solution.is_proven_optimal(),
            solution.makespan() == bounds.best()
        );
    }
}

#[test]
fn every_priority_rule_gives_a_feasible_list_schedule() {
    for instance in support::j30_instances().iter().step_by(7) {
        let problem = PsplibInstance::parse(&instance.text)
            .and_then(|i| i.to_problem())
            .unwrap();
        for rule in PriorityRule::ALL {
            let schedule = list_schedule(&problem, rule).unwrap();
            assert_eq!(
                check::check(&problem, schedule.starts()),
                Ok(()),
                "{}",
                instance.name
            );
        }
    }
}

#[test]
fn long_search_with_restarts_stays_feasible_and_deterministic() {
    // A hard instance (optimum 92, lower bound 63) keeps the search going
    // through several population restarts.
    let instance = support::j30_instances()
        .into_iter()
        .find(|i| i.name == "j309_2")
        .unwrap();
    let problem = PsplibInstance::parse(&instance.text)
        .and_then(|i| i.to_problem())
        .unwrap();
    let options = SolveOptions::with_schedules(40_000);
    let solution = solve(&problem, &options);
    assert_eq!(check::check(&problem, solution.schedule.starts()), Ok(()));
    assert!(solution.makespan() >= instance.optimum);
    assert_eq!(solve(&problem, &options).schedule, solution.schedule);
}

#[test]
fn output_is_deterministic_and_well_formed() {
    let instance = &support::j30_instances()[40];
    let first = solve_text(&instance.text, &small_budget()).unwrap();
    assert_eq!(first, solve_text(&instance.text, &small_budget()).unwrap());
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines.len(), 33);
    let makespan: u32 = lines[0].strip_prefix("makespan ").unwrap().parse().unwrap();
    // The sink (job 32) starts when the project ends.
    assert_eq!(lines[32], format!("32 {makespan}"));
    for (j, line) in lines[1..].iter().enumerate() {
        assert!(line.starts_with(&format!("{} ", j + 1)));
    }
    let problem = PsplibInstance::parse(&instance.text)
        .unwrap()
        .to_problem()
        .unwrap();
    assert_eq!(
        format_schedule(&solve(&problem, &small_budget()).schedule),
        first
    );
}
