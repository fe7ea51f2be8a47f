//! `timetable fmt`: canonical form, in place by default (like rustfmt).

use super::CommandResult;
use crate::cli::FmtArgs;
use std::io::Write;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::parse;

pub fn run(args: &FmtArgs, _targets: &TargetSet, stdout: &mut dyn Write) -> CommandResult {
    let source = driver::read_source(&args.io.input).map_err(|f| vec![f])?;
    // Formatting needs only the syntax: a file that does not verify can still be tidied.
    let parsed = match parse::parse_file(&source) {
        Ok(p) => p,
        Err(diags) => return Err(vec![Failure::new(source, diags)]),
    };
    let text = match &parsed.module {
        Some(m) => timetable_ir::print::print_module(m),
        None => parsed
            .targets
            .iter()
            .map(|t| format!("{t}"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    if args.check {
        if text == source.text {
            return Ok(());
        }
        let d = Diagnostic::error(
            timetable_ir::codes::BAD_OPTION,
            format!("`{}` is not in canonical form", source.name),
        )
        .note("run `timetable fmt` on it");
        return Err(vec![Failure::new(source, vec![d])]);
    }
    let output = match (&args.io.output, args.io.input.as_str()) {
        (Some(o), _) => Some(o.as_str()),
        (None, "-") => None,
        (None, input) => Some(input),
    };
    driver::write_output(output, &text, stdout).map_err(|f| vec![f])
}
