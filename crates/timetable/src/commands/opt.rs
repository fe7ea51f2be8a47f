//! `timetable opt`: run a pass pipeline with verification, dumps and timing.

use super::CommandResult;
use crate::cli::OptArgs;
use std::io::Write;
use std::time::{Duration, Instant};
use timetable_ir::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::pass::{self, PassTiming, PipelineConfig};
use timetable_ir::print::print_module;
use timetable_ir::verify;

pub fn run(
    args: &OptArgs,
    targets: &TargetSet,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> CommandResult {
    let bare = |e: String| vec![Failure::bare(Diagnostic::error(codes::BAD_OPTION, e))];
    let passes = pass::parse_pipeline(&args.passes, &crate::passes()).map_err(bare)?;
    let checks = crate::checks();

    let start = Instant::now();
    let driver::Loaded {
        source,
        mut module,
        target,
    } = driver::parse(&args.io.input, targets).map_err(|f| vec![f])?;
    let parsed = start.elapsed();
    // The input is always verified: passes assume verified IR.
    let start = Instant::now();
    verify::verify_with(&module, &target, &checks)
        .map_err(|d| vec![Failure::new(source.clone(), d)])?;
    let mut timings = vec![PassTiming {
        pass: "(parse)",
        run: parsed,
        verify: start.elapsed(),
    }];

    let config = PipelineConfig {
        verify_each: args.verify_each,
    };
    let mut dump = |name: &str, m: &timetable_ir::Module| {
        if args.print_after_all {
            let header = format!("// -----// IR Dump After {name} //----- //");
            let _ = write!(stderr, "{header}\n{}\n", print_module(m));
        }
    };
    let ran = pass::run_pipeline(&mut module, &target, &passes, config, &checks, &mut dump)
        .map_err(|e| {
            let mut diags = e.diags;
            if diags.is_empty() {
                let message = format!("pass `{}` failed", e.pass);
                diags.push(Diagnostic::error(codes::BAD_OPTION, message));
            }
            vec![Failure::new(source.clone(), diags)]
        })?;
    timings.extend(ran);

    let start = Instant::now();
    let text = print_module(&module);
    let written = driver::write_output(args.io.output.as_deref(), &text, stdout);
    timings.push(PassTiming {
        pass: "(print)",
        run: start.elapsed(),
        verify: Duration::ZERO,
    });
    if args.timing {
        let _ = stderr.write_all(crate::report::timing_table(&timings).as_bytes());
    }
    written.map_err(|f| vec![f])
}
