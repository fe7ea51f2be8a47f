//! The `timetable` command: one subcommand per pass plus a pipeline runner. Everything is
//! a library call so tests run commands in-process.

mod cli;
mod commands;
mod registry;
mod report;

pub use registry::{checks, passes};

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;

/// Exit status for diagnostics about the input.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for a command line clap rejects.
pub const EXIT_USAGE: i32 = 2;

/// Runs the command line `args` (program name first), writing to `stdout` and `stderr`;
/// returns the exit status.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if e.use_stderr() {
                e.render().to_string()
            } else {
                e.to_string()
            };
            let sink: &mut dyn Write = if e.use_stderr() { stderr } else { stdout };
            let _ = sink.write_all(text.as_bytes());
            return if e.use_stderr() { EXIT_USAGE } else { 0 };
        }
    };
    let format = cli.global.error_format();
    match commands::dispatch(&cli, stdout, stderr) {
        Ok(()) => 0,
        Err(failures) => {
            for f in &failures {
                let _ = stderr
                    .write_all(timetable_ir::diag::render(&f.diags, &f.source, format).as_bytes());
            }
            EXIT_FAILURE
        }
    }
}
