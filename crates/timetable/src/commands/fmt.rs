//! `timetable fmt`: canonical form, in place by default (like rustfmt).

use super::CommandResult;
use crate::cli::FmtArgs;
use std::io::Write;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::parse;
use timetable_ir::span::Span;

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
        return match first_difference(&source.text, &text) {
            None => Ok(()),
            Some((span, canonical)) => {
                let d = Diagnostic::error(
                    timetable_ir::codes::BAD_OPTION,
                    format!("`{}` is not in canonical form", source.name),
                )
                .primary(span, "first difference")
                .note(format!("the canonical form has: {canonical}"))
                .note("run `timetable fmt` on the file to rewrite it");
                Err(vec![Failure::new(source, vec![d])])
            }
        };
    }
    let output = match (&args.io.output, args.io.input.as_str()) {
        (Some(o), _) => Some(o.as_str()),
        (None, "-") => None,
        (None, input) => Some(input),
    };
    driver::write_output(output, &text, stdout).map_err(|f| vec![f])
}

/// The first line where `text` differs from `canonical`: its span in `text` and the
/// canonical line (or a description of the end of file).
fn first_difference(text: &str, canonical: &str) -> Option<(Span, String)> {
    let mut offset = 0;
    let mut canonical_lines = canonical.lines();
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        match canonical_lines.next() {
            Some(c) if c == content => offset += line.len(),
            other => {
                let want = other.map_or("the end of the file".to_string(), |c| {
                    format!("`{}`", c.trim())
                });
                return Some((Span::new(offset, offset + content.len()), want));
            }
        }
    }
    canonical_lines.next().map(|c| {
        let end = text.len();
        (
            Span::new(end.saturating_sub(1), end),
            format!("`{}`", c.trim()),
        )
    })
}
