//! `timetable plan`: capacity planning (the `timetable-plan` crate's command line).

use super::CommandResult;
use std::io::Write;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::span::{SourceFile, Span};
use timetable_plan::Error;
use timetable_plan::compiled::{self, Dims};

/// Codes of planning errors (the `E5xxx` range).
const SPEC: &str = "E5001";
const TRACE: &str = "E5002";
const IO: &str = "E5003";
const CONFIG: &str = "E5004";

pub fn run(
    args: &timetable_plan::cli::Args,
    targets: &TargetSet,
    stdout: &mut dyn Write,
) -> CommandResult {
    let compiled = match &args.module {
        None => None,
        Some(path) => {
            let loaded = driver::load(path, targets, &crate::checks()).map_err(|f| vec![f])?;
            let dims = Dims {
                batch: args.batch_dim.clone(),
                size: args.size_dim.clone(),
            };
            Some(
                compiled::buckets(&loaded.module, &loaded.target, &dims)
                    .map_err(|e| vec![failure(e)])?,
            )
        }
    };
    let text = timetable_plan::cli::run_with(args, compiled).map_err(|e| vec![failure(e)])?;
    let _ = stdout.write_all(text.as_bytes());
    Ok(())
}

/// A planning error as a diagnostic, underlining the offending line of a spec or trace.
fn failure(e: Error) -> Failure {
    let message = e.to_string();
    let (code, path, line) = match &e {
        Error::Spec { path, line, .. } => (SPEC, Some(path), *line),
        Error::Trace { path, line, .. } => (TRACE, Some(path), Some(*line)),
        Error::Io { .. } => (IO, None, None),
        Error::Config(_) => (CONFIG, None, None),
    };
    let located = path.zip(line).and_then(|(path, line)| {
        let text = std::fs::read_to_string(path).ok()?;
        let start: usize = text
            .split_inclusive('\n')
            .take(line.checked_sub(1)?)
            .map(str::len)
            .sum();
        let len = text[start..].find('\n').unwrap_or(text.len() - start);
        Some((
            SourceFile::new(path.clone(), text),
            Span::new(start, start + len),
        ))
    });
    match located {
        Some((source, span)) => {
            let d = Diagnostic::error(code, message).primary(span, "here");
            Failure::new(source, vec![d])
        }
        None => Failure::bare(Diagnostic::error(code, message)),
    }
}
