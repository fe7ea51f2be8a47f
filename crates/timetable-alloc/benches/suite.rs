//! Runs the MiniMalloc suite and a generated 200k-op program, printing per
//! instance: buffers, time, height reached, capacity, checker verdict.
//! `cargo bench -p timetable-alloc --bench suite [-- FILE.CAPACITY.csv ...]`
//! (with files given, only those are run).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Instant;

use timetable_alloc::{Limits, Problem, checker, pack};

fn main() {
    println!(
        "{:<20} {:>8} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10}  check",
        "instance", "buffers", "time (s)", "height", "capacity", "status", "greedy", "nodes"
    );
    let files: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|arg| arg.ends_with(".csv"))
        .map(PathBuf::from)
        .collect();
    let only_files = !files.is_empty();
    for path in if only_files { files } else { common::suite() } {
        let (_, problem) = common::load(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        run(&name, &problem);
    }
    if only_files {
        return;
    }
    let program = common::program_like(200_000, 8192, 1);
    run("program-200k", &program);
    // At the pressure lower bound: the greedy passes cannot fit it.
    let bound = pack(&program, &Limits::GREEDY).lower_bound;
    run("program-200k-tight", &program.with_capacity(bound));
}

fn run(name: &str, problem: &Problem) {
    let start = Instant::now();
    let outcome = pack(problem, &Limits::default());
    let seconds = start.elapsed().as_secs_f64();
    let verdict = match checker::check(problem, outcome.packing.offsets()) {
        Ok(()) => "ok".to_string(),
        Err(errors) => format!("FAILED: {}", errors[0]),
    };
    println!(
        "{:<20} {:>8} {:>10.3} {:>10} {:>10} {:>9} {:>10} {:>10}  {verdict}",
        name,
        problem.len(),
        seconds,
        outcome.packing.height(),
        problem.capacity(),
        format!("{:?}", outcome.status),
        outcome.stats.greedy_height,
        outcome.stats.nodes,
    );
}
