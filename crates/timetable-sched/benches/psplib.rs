//! Quality and speed on the 144 PSPLIB j30 instances in tests/bench.
//!
//! `cargo bench -p timetable-sched --bench psplib` prints, per instance,
//! the makespan, the proven optimum, the deviation, the lower bound, the
//! schedules generated and the wall time, then the summary. The default
//! budget is used; `SCHED_MAX_SCHEDULES` and `SCHED_SEED` override it,
//! `SCHED_ONLY` (comma-separated names) selects instances.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use timetable_sched::psplib::PsplibInstance;
use timetable_sched::{Effort, SolveOptions, check, solve};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be an integer, found {v}"))
    })
}

fn main() {
    let mut options = SolveOptions::default();
    if let Some(max) = env_u64("SCHED_MAX_SCHEDULES") {
        options.effort = Effort::Schedules(max);
    }
    if let Some(seed) = env_u64("SCHED_SEED") {
        options.seed = seed;
    }
    // SCHED_ONLY=j309_2,j3013_3 runs just those instances.
    let only: Option<Vec<String>> = std::env::var("SCHED_ONLY")
        .ok()
        .map(|list| list.split(',').map(str::to_string).collect());
    let instances: Vec<_> = support::j30_instances()
        .into_iter()
        .filter(|i| only.as_ref().is_none_or(|names| names.contains(&i.name)))
        .collect();
    println!(
        "{:<10} {:>8} {:>7} {:>7} {:>5} {:>9} {:>9}",
        "instance", "makespan", "optimum", "dev%", "lb", "schedules", "time_ms"
    );
    let (mut deviation_sum, mut max_ms, mut total_ms) = (0.0, 0.0f64, 0.0);
    let (mut optimal, mut proven) = (0, 0);
    for instance in &instances {
        let problem = PsplibInstance::parse(&instance.text)
            .and_then(|i| i.to_problem())
            .unwrap_or_else(|e| panic!("{}: {e}", instance.name));
        let clock = Instant::now();
        let solution = solve(&problem, &options);
        let ms = clock.elapsed().as_secs_f64() * 1e3;
        if let Err(violations) = check::check(&problem, solution.schedule.starts()) {
            panic!("{}: infeasible schedule: {violations:?}", instance.name);
        }
        let makespan = solution.makespan();
        assert!(
            makespan >= instance.optimum,
            "{}: below the optimum",
            instance.name
        );
        let deviation =
            100.0 * f64::from(makespan - instance.optimum) / f64::from(instance.optimum);
        deviation_sum += deviation;
        max_ms = max_ms.max(ms);
        total_ms += ms;
        optimal += usize::from(makespan == instance.optimum);
        proven += usize::from(solution.is_proven_optimal());
        println!(
            "{:<10} {:>8} {:>7} {:>7.2} {:>5} {:>9} {:>9.1}",
            instance.name,
            makespan,
            instance.optimum,
            deviation,
            solution.lower_bound(),
            solution.schedules,
            ms
        );
    }
    let n = instances.len();
    println!(
        "\n{n} instances, effort {:?}, seed {}: mean deviation {:.3}%, optimal {optimal}/{n} \
         (proven by the lower bound: {proven}), max time {max_ms:.1} ms, mean time {:.1} ms",
        options.effort,
        options.seed,
        deviation_sum / n as f64,
        total_ms / n as f64
    );
}
