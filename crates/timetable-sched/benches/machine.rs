//! The machine scheduler on generated programs (`timetable gen --ops N --target tsp`,
//! placed by the simple placement): wall time per phase and the schedule's quality.
//!
//! `cargo bench -p timetable-sched --bench machine` prints, per size: ops, the time to
//! compute the dataflow analyses (lower bounds and dependence facts), to search (with
//! the given effort, by default the CLI's: at these sizes the abstract schedule's list,
//! the priority rules while 250,000 placements last, and no genetic search), to write
//! the IR, the verifier's time on the result (with the timing checker), the makespan,
//! the lower bound and the gap.
//! `MACHINE_SIZES=1000,10000`, `MACHINE_EFFORT=default|baseline|N`, `MACHINE_RUNS=3`.

use std::time::Instant;
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::target::builtin;
use timetable_ir::verify;
use timetable_sched::machine::{MachineEffort, MachineOptions, schedule_module};
use timetable_sched::place::place_simple;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .map(|v| {
            v.split(',')
                .map(|n| n.trim().parse().expect("a number"))
                .collect()
        })
        .unwrap_or_else(|_| default.to_vec())
}

fn main() {
    let sizes = env_list("MACHINE_SIZES", &[10_000, 25_000, 50_000, 100_000, 200_000]);
    let runs = env_list("MACHINE_RUNS", &[3])[0];
    let effort: MachineEffort = std::env::var("MACHINE_EFFORT")
        .unwrap_or_else(|_| "default".to_string())
        .parse()
        .expect("MACHINE_EFFORT");
    let target = builtin("tsp").unwrap();
    println!(
        "{:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8} {:>7} {:>7}",
        "ops",
        "analysis",
        "search",
        "emit",
        "total",
        "ns/op",
        "verify",
        "makespan",
        "bound",
        "gap%",
        "spills"
    );
    let mut previous: Option<(usize, f64)> = None;
    for &n in &sizes {
        let cfg = GenConfig {
            ops: n,
            seed: 1,
            ..GenConfig::default()
        };
        let mut module = machine_program(&cfg, target);
        place_simple(&mut module, target).expect("the generated program fits");
        let options = MachineOptions {
            effort,
            ..MachineOptions::default()
        };
        let mut best = None;
        for _ in 0..runs {
            let scheduled = schedule_module(&module, target, &options).expect("schedules");
            let f = &scheduled.report.functions[0];
            let p = f.phases;
            let total = (p.analysis + p.search + p.emit).as_secs_f64() * 1e3;
            if best
                .as_ref()
                .is_none_or(|(t, _, _): &(f64, _, _)| total < *t)
            {
                best = Some((total, p, scheduled));
            }
        }
        let (total, p, scheduled) = best.expect("at least one run");
        let f = &scheduled.report.functions[0];
        let clock = Instant::now();
        verify::verify_with(&scheduled.module, target, &[&verify::timing::CHECK])
            .expect("the schedule verifies");
        let verify_ms = clock.elapsed().as_secs_f64() * 1e3;
        let ops = module.op_count();
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.0} {:>8.1} {:>9} {:>8} {:>7.2} {:>7}{}",
            ops,
            ms(p.analysis),
            ms(p.search),
            ms(p.emit),
            total,
            total * 1e6 / ops as f64,
            verify_ms,
            f.makespan,
            f.bounds.makespan,
            f.gap_percent(),
            f.added.spill_slots,
            previous.map_or(String::new(), |(pn, pt)| format!(
                "   x{:.2} time for x{:.2} ops",
                total / pt,
                ops as f64 / pn as f64
            ))
        );
        previous = Some((ops, total));
    }
}
