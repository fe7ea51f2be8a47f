//! Allocating generated machine programs on `tsp` (`timetable gen --ops N
//! --target tsp`), and checking the result with the independent checker:
//! median of `RUNS` runs (default 7) after a warm-up, per size, with MXM
//! blocks (the generator's default: few, long buffers) and without (many
//! short-lived scratch buffers).
//! `cargo bench -p timetable-alloc --bench program [-- OPS ...]` (default
//! 50000, 100000, 200000, 400000).

use std::time::{Duration, Instant};

use timetable_alloc::module_check::check_module;
use timetable_alloc::program::{Options, allocate};
use timetable_ir::generate::{GenConfig, machine_program};

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![50_000, 100_000, 200_000, 400_000]
    } else {
        sizes
    };
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let target = timetable_ir::target::builtin("tsp").expect("built in");
    println!(
        "{:>8} {:>5} {:>8} {:>12} {:>12} {:>10} {:>10}  policy",
        "ops", "mxm", "buffers", "alloc (ms)", "check (ms)", "height", "bound"
    );
    for (ops, mxm) in sizes.iter().flat_map(|&n| [(n, true), (n, false)]) {
        let cfg = GenConfig {
            ops,
            seed: 1,
            mxm,
            ..GenConfig::default()
        };
        let module = machine_program(&cfg, target);
        let mut alloc_times = Vec::new();
        let mut check_times = Vec::new();
        let mut last = None;
        for _ in 0..=runs {
            let mut m = module.clone();
            let start = Instant::now();
            let allocation = allocate(&mut m, target, &Options::default()).expect("fits");
            alloc_times.push(start.elapsed());
            let start = Instant::now();
            let diags = check_module(&m, target);
            check_times.push(start.elapsed());
            assert!(
                diags.is_empty(),
                "the checker rejects the allocation: {}",
                diags[0]
            );
            last = Some(allocation);
        }
        let report = &last.expect("at least one run").functions[0];
        println!(
            "{:>8} {:>5} {:>8} {:>12.1} {:>12.1} {:>10} {:>10}  {}",
            module.op_count(),
            if mxm { "yes" } else { "no" },
            report.buffers,
            median_ms(&mut alloc_times),
            median_ms(&mut check_times),
            report.height,
            report.pressure,
            report.policy.name()
        );
    }
}

/// The median of the timed runs, leaving out the first (warm-up).
fn median_ms(times: &mut Vec<Duration>) -> f64 {
    times.remove(0);
    times.sort_unstable();
    times[times.len() / 2].as_secs_f64() * 1e3
}
