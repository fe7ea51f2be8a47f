//! Growth of the engine on large generated problems shaped like machine
//! programs: many short activities on a few unit-capacity resources (and
//! some shared ones), each depending on a few recent activities.
//!
//! `cargo bench -p timetable-sched --bench scale` prints, per shape and
//! size, the time to build the problem, compute the lower bounds, run one
//! list schedule (LFT, one serial SGS pass) and `solve` with the default
//! effort (which on problems this large is the priority-rule baseline with
//! justification). `SCALE_SIZES=1000,5000` picks other sizes.

use std::time::Instant;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use timetable_sched::{
    ActivityId, PriorityRule, Problem, ProblemBuilder, SolveOptions, check, list_schedule,
    lower_bounds, solve,
};

/// `n` activities of 1..=`max_duration` periods on one of 16 unit
/// resources, 30% also on one of 4 resources of capacity 2, with up to 3
/// finish-to-start predecessors among the previous 64 activities.
fn machine_like(n: usize, max_duration: u32, seed: u64) -> Problem {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut b = ProblemBuilder::new();
    let units: Vec<_> = (0..16).map(|_| b.add_resource(1)).collect();
    let shared: Vec<_> = (0..4).map(|_| b.add_resource(2)).collect();
    for i in 0..n {
        let duration = rng.random_range(1..=max_duration);
        let mut demands = vec![(units[rng.random_range(0..units.len())], 1)];
        if rng.random_bool(0.3) {
            demands.push((shared[rng.random_range(0..shared.len())], 1));
        }
        let a = b.add_activity(duration, &demands);
        for _ in 0..rng.random_range(0..=3usize).min(i) {
            let back = rng.random_range(1..=i.min(64));
            b.add_finish_to_start(ActivityId((i - back) as u32), a, rng.random_range(0..=3));
        }
    }
    b.build().expect("generated problems are valid")
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let clock = Instant::now();
    let value = f();
    (value, clock.elapsed().as_secs_f64() * 1e3)
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("SCALE_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("SCALE_SIZES: comma-separated sizes")
            })
            .collect(),
        Err(_) => vec![10_000, 100_000, 1_000_000],
    };
    println!(
        "{:>9} {:>10} {:>9} {:>9} {:>9} {:>11} {:>9} {:>9} {:>9}",
        "durations",
        "activities",
        "build_ms",
        "bound_ms",
        "lft_ms",
        "lft_ns/act",
        "solve_ms",
        "makespan",
        "lower_bd"
    );
    for max_duration in [1, 4] {
        for &n in &sizes {
            let (problem, build_ms) = timed(|| machine_like(n, max_duration, 1));
            let (bounds, bound_ms) = timed(|| lower_bounds(&problem));
            let (schedule, lft_ms) =
                timed(|| list_schedule(&problem, PriorityRule::LatestFinishTime));
            let schedule = schedule.expect("LFT is always available");
            let (solution, solve_ms) = timed(|| solve(&problem, &SolveOptions::default()));
            for starts in [schedule.starts(), solution.schedule.starts()] {
                if let Err(v) = check::check(&problem, starts) {
                    panic!("{n} activities: {} violations, first: {}", v.len(), v[0]);
                }
            }
            println!(
                "{:>9} {:>10} {:>9.1} {:>9.1} {:>9.1} {:>11.0} {:>9.1} {:>9} {:>9}",
                format!("1..={max_duration}"),
                n,
                build_ms,
                bound_ms,
                lft_ms,
                lft_ms * 1e6 / n as f64,
                solve_ms,
                solution.makespan(),
                bounds.best()
            );
        }
    }
}
