//! Scaling benchmark: liveness (with live ranges), the dependence DAG and the critical
//! path on generated `tsp` modules of 50k to 400k ops. Prints a Markdown table with the
//! median of several runs per size and the ratio to the previous size (linear growth
//! means ratios near 2).
//!
//! `cargo bench -p timetable-dataflow --bench scale` (`SCALE_RUNS=n` sets the runs,
//! `SCALE_SIZES=a,b,...` the sizes).

use std::hint::black_box;
use std::time::{Duration, Instant};
use timetable_dataflow::framework::StraightLine;
use timetable_dataflow::{CriticalPath, DepGraph, Liveness, TimeBase, lower_bounds};
use timetable_ir::Function;
use timetable_ir::generate::{GenConfig, machine_program};

const SIZES: [usize; 4] = [50_000, 100_000, 200_000, 400_000];

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Times of one run: liveness + ranges, dependences, critical path.
fn run(func: &Function, target: &timetable_ir::Target) -> [Duration; 3] {
    let start = Instant::now();
    let cfg = StraightLine::new(func);
    let liveness = Liveness::compute(func, &cfg);
    black_box(liveness.ranges());
    let live = start.elapsed();
    let start = Instant::now();
    let deps = DepGraph::build(func, target);
    let dep = start.elapsed();
    let start = Instant::now();
    black_box(CriticalPath::compute(&deps).length());
    [live, dep, start.elapsed()]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("SCALE_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let target = timetable_ir::target::builtin("tsp").expect("tsp is built in");
    // `SCALE_SIZES=1000,2000` overrides the sizes.
    let custom: Option<Vec<usize>> = std::env::var("SCALE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let sizes: &[usize] = match (&custom, smoke) {
        (Some(c), _) => c,
        (None, true) => &[2_000],
        (None, false) => &SIZES,
    };
    println!(
        "| ops | liveness (ms) | deps (ms) | critical path (ms) | total (ms) | ns/op | ratio | all bounds (ms) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut previous: Option<f64> = None;
    for &n in sizes {
        let cfg = GenConfig {
            ops: n,
            seed: 1,
            ..GenConfig::default()
        };
        let module = machine_program(&cfg, target);
        let func = &module.functions[0];
        run(func, target); // warm-up
        let samples: Vec<[Duration; 3]> = (0..runs.max(1)).map(|_| run(func, target)).collect();
        let phase = |i: usize| median(samples.iter().map(|s| s[i]).collect());
        let total = median(samples.iter().map(|s| s.iter().sum()).collect());
        let bounds = median(
            (0..runs.max(1))
                .map(|_| {
                    let start = Instant::now();
                    black_box(lower_bounds(func, target, TimeBase::ProgramOrder).unwrap());
                    start.elapsed()
                })
                .collect(),
        );
        let ratio = previous.map_or("—".to_string(), |p| format!("{:.2}", ms(total) / p));
        previous = Some(ms(total));
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {ratio} | {:.1} |",
            func.body.len(),
            ms(phase(0)),
            ms(phase(1)),
            ms(phase(2)),
            ms(total),
            total.as_nanos() as f64 / func.body.len() as f64,
            ms(bounds),
        );
    }
}
