//! `timetable gen`: a generated machine-level program.

use super::CommandResult;
use crate::cli::GenArgs;
use std::io::Write;
use timetable_ir::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::types::ElemType;

pub fn run(args: &GenArgs, targets: &TargetSet, stdout: &mut dyn Write) -> CommandResult {
    let bad = |message: String| vec![Failure::bare(Diagnostic::error(codes::BAD_OPTION, message))];
    let target = targets.get(&args.target).ok_or_else(|| {
        bad(format!(
            "unknown target `@{}` (known: {})",
            args.target,
            targets.names().join(", ")
        ))
    })?;
    let elem = ElemType::from_name(&args.elem)
        .ok_or_else(|| bad(format!("unknown element type `{}`", args.elem)))?;
    let cfg = GenConfig {
        ops: args.ops,
        seed: args.seed,
        elem,
        mxm: !args.no_mxm,
        ..GenConfig::default()
    };
    let module = machine_program(&cfg, target);
    driver::write_output(args.output.as_deref(), &module.to_string(), stdout).map_err(|f| vec![f])
}
