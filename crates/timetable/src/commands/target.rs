//! `timetable target show|list`.

use super::CommandResult;
use crate::cli::TargetCommand;
use std::io::Write;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{Failure, TargetSet};

pub fn run(cmd: &TargetCommand, targets: &TargetSet, stdout: &mut dyn Write) -> CommandResult {
    match cmd {
        TargetCommand::Show { name } => {
            let name = name.trim_start_matches('@');
            let t = targets.get(name).ok_or_else(|| {
                vec![Failure::bare(
                    Diagnostic::error(
                        timetable_ir::codes::UNKNOWN_TARGET,
                        format!("unknown target `@{name}`"),
                    )
                    .note(format!("known targets: {}", targets.names().join(", "))),
                )]
            })?;
            let _ = write!(stdout, "{t}");
        }
        TargetCommand::List => {
            for name in targets.names() {
                let t = targets.get(&name).expect("listed targets exist");
                let _ = writeln!(
                    stdout,
                    "@{name}: {} lanes, {} streams each way, {} memory slices ({} KiB), {} MHz",
                    t.lanes,
                    t.streams,
                    t.mem_slices(),
                    t.mem_bytes() / 1024,
                    t.clock_mhz
                );
            }
        }
    }
    Ok(())
}
