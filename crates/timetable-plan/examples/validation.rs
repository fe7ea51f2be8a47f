//! Prints the README's validation table: each case of `tests/common/cases.rs` run with
//! ten times the test's replications, to show the test's own figure next to theory and
//! the sampling error of a figure averaged over the test's replications (the standard
//! deviation over runs divided by √replications).
//!
//! `cargo run --release -p timetable-plan --example validation`

#[path = "../tests/common/cases.rs"]
mod cases;

use timetable_plan::Progress;

/// Runs per test replication used to estimate the sampling error.
const SPREAD: usize = 10;

fn main() {
    println!(
        "| case | figure | theory | test | error | σ of test figure | mean of {SPREAD}× runs |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut invariants = Vec::new();
    for case in cases::all() {
        let runs = case.replications * SPREAD;
        let reports = case
            .scenario
            .replications(runs, &Progress::hidden())
            .expect("valid case");
        if let Some((property, holds)) = case.invariant {
            let count = reports.iter().filter(|r| holds(r)).count();
            invariants.push(format!(
                "{}: {property} in {count} of {runs} runs",
                case.name
            ));
        }
        for figure in &case.figures {
            let values: Vec<f64> = reports.iter().map(figure.measure).collect();
            let test = values[..case.replications].iter().sum::<f64>() / case.replications as f64;
            let mean = values.iter().sum::<f64>() / runs as f64;
            let variance =
                values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (runs - 1) as f64;
            let sigma = variance.sqrt() / (case.replications as f64).sqrt();
            println!(
                "| {} | {} | {:.5} | {:.5} | {:+.3}% | {:.3}% | {:.5} |",
                case.name,
                figure.name,
                figure.theory,
                test,
                100.0 * (test / figure.theory - 1.0),
                100.0 * sigma / figure.theory,
                mean
            );
        }
    }
    for line in invariants {
        println!("\n{line}");
    }
}
