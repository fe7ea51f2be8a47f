//! `timetable alloc --minimalloc`: a MiniMalloc CSV instance in, the same CSV
//! with an `offset` column out, every packing re-checked by the independent
//! [`checker`] — or diagnostics that point at the file.

use crate::codes;
use crate::pack::{Limits, Outcome, Status, pack};
use crate::{checker, minimalloc};
use std::fmt;
use std::path::Path;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::{SourceFile, Span};

/// A solved instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solved {
    /// The instance as CSV with an `offset` column.
    pub csv: String,
    pub buffers: usize,
    pub capacity: u64,
    pub outcome: Outcome,
}

impl fmt::Display for Solved {
    /// One line for people: what fit where, checked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.outcome.stats;
        write!(
            f,
            "{} buffers fit in {}: height {}, pressure bound {}, greedy height {}, {} search nodes; \
             checked",
            self.buffers,
            self.capacity,
            self.outcome.packing.height(),
            self.outcome.lower_bound,
            stats.greedy_height,
            stats.nodes
        )
    }
}

/// Packs the instance in `source` at `capacity`, or at the capacity its file
/// name gives (`A.1048576.csv`).
pub fn solve(
    source: &SourceFile,
    capacity: Option<u64>,
    limits: &Limits,
) -> Result<Solved, Diagnostics> {
    let instance = minimalloc::read(&source.text).map_err(|e| {
        vec![
            Diagnostic::error(
                codes::CSV,
                format!("malformed MiniMalloc CSV: {}", e.message),
            )
            .primary(line_span(source, e.line), "here"),
        ]
    })?;
    let capacity = capacity
        .or_else(|| minimalloc::capacity_from_file_name(Path::new(&source.name)))
        .ok_or_else(|| {
            vec![Diagnostic::error(
                codes::BAD_ARGUMENT,
                format!("no capacity for `{}`", source.name),
            )
            .note("give `--capacity N`, or name the file `NAME.N.csv` as the MiniMalloc suite does")]
        })?;
    let problem = instance.problem(capacity).map_err(|e| {
        vec![Diagnostic::error(codes::CSV, e.message).primary(line_span(source, e.line), "here")]
    })?;
    let outcome = pack(&problem, limits);
    let height = outcome.packing.height();
    // The best packing must be valid at its own height whether or not it fits.
    let checked = problem.with_capacity(height.max(capacity));
    if let Err(errors) = checker::check(&checked, outcome.packing.offsets()) {
        let mut d = Diagnostic::error(
            codes::CSV_CHECK,
            format!("the packing of `{}` fails the checker", source.name),
        )
        .note("this is a bug in the allocator; the checker says:");
        for e in errors.iter().take(10) {
            d = d.note(e.to_string());
        }
        return Err(vec![d]);
    }
    if outcome.status != Status::Fits {
        let why = match outcome.status {
            Status::Infeasible => "no packing fits (proven)".to_string(),
            _ => format!(
                "none found within {} search nodes, and none proven impossible",
                limits.nodes
            ),
        };
        return Err(vec![
            Diagnostic::error(
                codes::CSV_DOES_NOT_FIT,
                format!(
                    "`{}` does not fit in {capacity}: the best packing found is {height} high",
                    source.name
                ),
            )
            .note(format!(
                "{why}; the buffers live at once need {}, the greedy passes reached {}",
                outcome.lower_bound, outcome.stats.greedy_height
            )),
        ]);
    }
    Ok(Solved {
        csv: instance.write(outcome.packing.offsets()),
        buffers: instance.buffers.len(),
        capacity,
        outcome,
    })
}

/// The span of a 1-based line of `source`.
fn line_span(source: &SourceFile, line: usize) -> Span {
    let mut start = 0;
    for (i, text) in source.text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return Span::new(start, start + text.trim_end().len());
        }
        start += text.len();
    }
    Span::new(source.text.len(), source.text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT_12: &str =
        "id,lower,upper,size\nb1,0,3,4\nb2,3,9,4\nb3,0,9,4\nb4,9,21,4\nb5,0,21,4\n";

    fn source(name: &str, text: &str) -> SourceFile {
        SourceFile::new(name, text)
    }

    #[test]
    fn solves_at_the_capacity_in_the_file_name() {
        let solved = solve(
            &source("dir/input.12.csv", INPUT_12),
            None,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(solved.capacity, 12);
        let back = minimalloc::read(&solved.csv).unwrap();
        let problem = back.problem(12).unwrap();
        assert_eq!(
            checker::check(&problem, back.offsets.as_deref().unwrap()),
            Ok(())
        );
        assert!(
            solved
                .to_string()
                .starts_with("5 buffers fit in 12: height 12")
        );
    }

    #[test]
    fn errors_point_at_the_file() {
        let limits = Limits::default();
        let d = solve(&source("x.csv", INPUT_12), None, &limits).unwrap_err();
        assert_eq!(d[0].code, codes::BAD_ARGUMENT);
        let d = solve(&source("x.csv", INPUT_12), Some(11), &limits).unwrap_err();
        assert_eq!(d[0].code, codes::CSV_DOES_NOT_FIT);
        assert!(
            d[0].message.contains("best packing found is 12 high"),
            "{}",
            d[0].message
        );
        let bad = "id,lower,upper,size\nb1,0,3,4\nb2,9,3,4\n";
        let d = solve(&source("x.4.csv", bad), None, &limits).unwrap_err();
        assert_eq!(d[0].code, codes::CSV);
        // The label covers line 3.
        let span = d[0].primary_span().unwrap();
        assert_eq!(&bad[span.range()], "b2,9,3,4");
    }
}
