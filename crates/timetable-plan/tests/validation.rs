//! The simulator against queueing theory: every case of `common/cases.rs`, with fixed
//! seeds and enough requests that each figure's sampling error is a third of the 1%
//! tolerance or less (measured over many seeds by `examples/validation.rs`; see the
//! README's validation table).

#[path = "common/cases.rs"]
mod cases;

use timetable_plan::Progress;

const TOLERANCE: f64 = 0.01;

#[test]
fn every_case_matches_theory() {
    let mut failures = Vec::new();
    for case in cases::all() {
        let reports = case
            .scenario
            .replications(case.replications, &Progress::hidden())
            .unwrap();
        for figure in &case.figures {
            let simulated = reports.iter().map(figure.measure).sum::<f64>() / reports.len() as f64;
            let error = simulated / figure.theory - 1.0;
            if error.abs() >= TOLERANCE {
                failures.push(format!(
                    "{}, {}: simulated {simulated:.5}, theory {:.5} ({:+.3}%)",
                    case.name,
                    figure.name,
                    figure.theory,
                    100.0 * error
                ));
            }
        }
        if let Some((property, holds)) = case.invariant
            && !reports.iter().all(holds)
        {
            failures.push(format!(
                "{}: not every replication has: {property}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
