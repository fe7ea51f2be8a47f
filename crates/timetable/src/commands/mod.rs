//! One module per subcommand.

pub mod alloc;
pub(crate) mod analyze;
mod fmt;
mod generate;
pub mod lower;
mod opt;
mod plan;
pub mod run;
pub mod sched;
pub mod sim;
mod target;

use crate::cli::{Cli, Command};
use std::io::Write;
use timetable_ir::driver::{self, Failure, TargetSet};

pub type CommandResult = Result<(), Vec<Failure>>;

pub fn dispatch(cli: &Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> CommandResult {
    let targets = TargetSet::load(&cli.global.target_files).map_err(|f| vec![f])?;
    match &cli.command {
        Command::Parse(io) => {
            let loaded = driver::parse(&io.input, &targets).map_err(|f| vec![f])?;
            let text = timetable_ir::print::print_module(&loaded.module);
            driver::write_output(io.output.as_deref(), &text, stdout).map_err(|f| vec![f])
        }
        Command::Fmt(args) => fmt::run(args, &targets, stdout),
        Command::Verify(args) => {
            let checks = crate::checks();
            let loaded = driver::load(&args.input, &targets, &checks).map_err(|f| vec![f])?;
            let m = &loaded.module;
            let _ = writeln!(
                stdout,
                "{}: module @{} verifies ({} stage, target @{}, {} function(s), {} op(s))",
                loaded.source.name,
                m.name.text,
                m.stage,
                loaded.target.name,
                m.functions.len(),
                m.op_count()
            );
            Ok(())
        }
        Command::Opt(args) => opt::run(args, &targets, stdout, stderr),
        Command::Target(cmd) => target::run(cmd, &targets, stdout),
        Command::Gen(args) => generate::run(args, &targets, stdout),
        Command::Sim(args) => sim::run(args, &targets, stdout),
        Command::Run(args) => run::run(args, &targets, stdout),
        Command::Plan(args) => plan::run(args, &targets, stdout),
        Command::Lower(args) => lower::run(args, &targets, stdout, stderr),
        Command::Alloc(args) => alloc::run(args, &targets, stdout, stderr),
        Command::Analyze(args) => {
            analyze::run(args, &targets, cli.global.error_format(), stdout, stderr)
        }
        Command::Sched(args) => sched::run(args, &targets, stdout, stderr),
    }
}
