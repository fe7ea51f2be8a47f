//! Simulator throughput on a generated program for `@tsp`, scheduled by the staged test
//! scheduler (`tests/support/staged.rs`): instruction issues and lane-element operations
//! per second on one core. Run with `cargo bench -p timetable-sim --bench throughput`
//! (`-- --ops N` sets the program size). Times are this thread's CPU time, averaged over
//! at least a second of runs.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::target;
use timetable_ir::types::ElemType;
use timetable_sim::cycle::{self, SimConfig};
use timetable_sim::io::{self, InputSpec};
use timetable_sim::program::{Kind, Program};
use timetable_sim::reference;

/// Nanoseconds this thread has spent on a CPU (`/proc/thread-self/schedstat`, Linux), so
/// other processes on a busy machine do not count; falls back to wall time elsewhere.
fn cpu_seconds(wall: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(|| wall.elapsed().as_secs_f64(), |ns| ns as f64 * 1e-9)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ops = args
        .iter()
        .position(|a| a == "--ops")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(40_000);
    let tsp = target::builtin("tsp").expect("tsp is built in");
    // SIM_BENCH_CASE=k runs only the k-th case, for profiling.
    let only: Option<usize> = std::env::var("SIM_BENCH_CASE")
        .ok()
        .and_then(|n| n.parse().ok());
    let cases = [
        (ElemType::F32, false),
        (ElemType::F32, true),
        (ElemType::I16, true),
    ];
    for (case, &(elem, mxm)) in cases.iter().enumerate() {
        if only.is_some_and(|k| k != case) {
            continue;
        }
        let cfg = GenConfig {
            ops,
            seed: 1,
            elem,
            mxm,
            ..GenConfig::default()
        };
        let source = machine_program(&cfg, tsp);
        let scheduled = support::staged::stage(&source, tsp);
        let program = Program::decode(&scheduled.functions[0], tsp).expect("decodes");
        let inputs = InputSpec::default()
            .resolve(&io::machine_slots(&program, tsp.lanes))
            .expect("seeded inputs");
        let macs = program
            .instrs
            .iter()
            .filter(|i| matches!(i.kind, Kind::Mac { .. }))
            .count();
        let config = SimConfig::default();
        let start = Instant::now();
        let sim = cycle::Simulator::new(&program, tsp, &inputs).expect("prepares");
        let prepare = start.elapsed().as_secs_f64();
        // One run to warm caches and the allocator, then runs until a second of CPU time
        // has passed (the thread's CPU clock ticks coarsely: average over many runs).
        let _ = sim.run(&config);
        let min_runs: u32 = std::env::var("SIM_BENCH_RUNS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(3);
        let (wall, start) = (Instant::now(), cpu_seconds(Instant::now()));
        let mut runs = 0u32;
        while runs < min_runs || cpu_seconds(wall) - start < 1.0 {
            let run = sim.run(&config);
            assert!(run.diags.is_empty(), "hazard: {}", run.diags[0]);
            runs += 1;
        }
        let best = (cpu_seconds(wall) - start) / f64::from(runs);
        let r = sim.report();
        let lanes = u64::from(tsp.lanes);
        let mac_ops = macs as u64 * lanes * lanes;
        let start = Instant::now();
        reference::machine::run(&program, tsp, &inputs).expect("runs");
        let reference_time = start.elapsed().as_secs_f64();
        println!(
            "{elem} mxm={mxm}: {} ops generated, {} issued over {} cycles; prepared in {:.1} ms; cycle loop {:.1} ms: {:.1} M issues/s, {:.2} G lane-ops/s ({:.2} G/s without the {macs} macs' {:.1} M MACs); reference interpreter {:.1} ms",
            source.op_count(),
            r.issues,
            r.makespan,
            prepare * 1e3,
            best * 1e3,
            r.issues as f64 / best / 1e6,
            r.lane_ops as f64 / best / 1e9,
            (r.lane_ops - mac_ops) as f64 / best / 1e9,
            mac_ops as f64 / 1e6,
            reference_time * 1e3,
        );
    }
}
