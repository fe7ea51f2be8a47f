//! `timetable opt`: run a pass pipeline with verification, dumps and timing.

use super::CommandResult;
use crate::cli::OptArgs;
use std::io::Write;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::pass::{self, PipelineConfig};
use timetable_ir::print::print_module;

pub fn run(
    args: &OptArgs,
    targets: &TargetSet,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> CommandResult {
    let registry = crate::passes();
    let passes = pass::parse_pipeline(&args.passes, &registry).map_err(|e| {
        vec![Failure::bare(Diagnostic::error(
            timetable_ir::codes::BAD_OPTION,
            e,
        ))]
    })?;
    let checks = crate::checks();
    let no_checks: Vec<&dyn timetable_ir::verify::ModuleCheck> = Vec::new();
    let loaded = driver::load(
        &args.io.input,
        targets,
        if args.verify_each {
            &checks
        } else {
            &no_checks
        },
    )
    .map_err(|f| vec![f])?;
    let driver::Loaded {
        source,
        mut module,
        target,
    } = loaded;
    let config = PipelineConfig {
        verify_each: args.verify_each,
    };
    let mut dump = |name: &str, m: &timetable_ir::Module| {
        if args.print_after_all {
            let _ = write!(
                stderr,
                "// -----// IR Dump After {name} //----- //\n{}\n",
                print_module(m)
            );
        }
    };
    let timings = pass::run_pipeline(&mut module, &target, &passes, config, &checks, &mut dump)
        .map_err(|e| {
            let mut diags = e.diags;
            if diags.is_empty() {
                diags.push(Diagnostic::error(
                    timetable_ir::codes::BAD_OPTION,
                    format!("pass `{}` failed", e.pass),
                ));
            }
            vec![Failure::new(source.clone(), diags)]
        })?;
    if args.timing {
        let _ = stderr.write_all(crate::report::timing_table(&timings).as_bytes());
    }
    driver::write_output(args.io.output.as_deref(), &print_module(&module), stdout)
        .map_err(|f| vec![f])
}
