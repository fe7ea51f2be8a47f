//! `timetable lower`: tensor-level functions to machine code, one function per bucket.
//! The IR goes to standard output (or `-o`); the per-bucket report to standard error.

use super::CommandResult;
use crate::cli::InOut;
use clap::Args;
use std::io::Write;
use timetable_ir::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::print::print_module;
use timetable_ir::verify;
use timetable_lower::{BucketSpec, LowerOptions, lower_module};

#[derive(Args, Debug)]
pub struct LowerArgs {
    #[command(flatten)]
    pub io: InOut,
    /// Bucket sizes of a symbolic dimension, `SYM:n,n,...` (e.g. `B:1,2,4,8`); may be
    /// repeated. Overrides the function's `buckets` attribute for that symbol.
    #[arg(long, value_name = "SYM:SIZES")]
    pub buckets: Vec<String>,
    /// Print only the per-bucket report, to standard output, instead of the IR.
    #[arg(long)]
    pub summary: bool,
}

pub fn run(
    args: &LowerArgs,
    targets: &TargetSet,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> CommandResult {
    let bad = |e: String| vec![Failure::bare(Diagnostic::error(codes::BAD_OPTION, e))];
    let mut buckets = BucketSpec::default();
    for text in &args.buckets {
        buckets = buckets.overridden_by(&BucketSpec::parse(text).map_err(bad)?);
    }
    let checks = crate::checks();
    let loaded = driver::load(&args.io.input, targets, &checks).map_err(|f| vec![f])?;
    let lowered = lower_module(&loaded.module, &loaded.target, &LowerOptions { buckets })
        .map_err(|d| vec![Failure::new(loaded.source.clone(), d)])?;
    verify::verify_with(&lowered.module, &loaded.target, &checks).map_err(|mut d| {
        d.insert(
            0,
            Diagnostic::error(
                codes::BAD_OPTION,
                "lowering produced a module that does not verify",
            )
            .note("this is a bug in `lower`; the errors below say what is wrong"),
        );
        vec![Failure::new(loaded.source.clone(), d)]
    })?;
    let report = lowered.report.to_string();
    if args.summary {
        return driver::write_output(args.io.output.as_deref(), &report, stdout)
            .map_err(|f| vec![f]);
    }
    let _ = stderr.write_all(report.as_bytes());
    driver::write_output(
        args.io.output.as_deref(),
        &print_module(&lowered.module),
        stdout,
    )
    .map_err(|f| vec![f])
}
