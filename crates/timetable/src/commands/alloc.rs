//! `timetable alloc`: place every buffer of a module (`FILE.tir`), or pack a
//! MiniMalloc instance (`--minimalloc FILE.csv`).

use super::CommandResult;
use crate::cli::InOut;
use clap::Args;
use std::io::Write;
use timetable_alloc::program::{self, Options};
use timetable_alloc::{Limits, interop};
use timetable_ir::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::print::print_module;
use timetable_ir::verify;

#[derive(Args, Debug)]
pub struct AllocArgs {
    #[command(flatten)]
    pub io: InOut,
    /// Print the high-water mark per slice and overall and the fragmentation (to
    /// standard error).
    #[arg(long)]
    pub report: bool,
    /// The input is a MiniMalloc CSV (`id,lower,upper,size`); the output is the same CSV
    /// with an `offset` column.
    #[arg(long)]
    pub minimalloc: bool,
    /// Capacity of a MiniMalloc instance (default: the number in the file name, as in
    /// `A.1048576.csv`).
    #[arg(long, value_name = "N", requires = "minimalloc")]
    pub capacity: Option<u64>,
    /// Search budget in nodes (deterministic).
    #[arg(long, value_name = "N", default_value_t = Limits::default().nodes)]
    pub nodes: u64,
    /// How many slices near its consumers a buffer is spread over first (default:
    /// enough banks for every VXM ALU to read two operands per cycle; 16 slices on tsp).
    #[arg(long, value_name = "K")]
    pub spread: Option<u32>,
}

pub fn run(
    args: &AllocArgs,
    targets: &TargetSet,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> CommandResult {
    let limits = Limits {
        nodes: args.nodes,
        time: None,
    };
    if args.minimalloc {
        let source = driver::read_source(&args.io.input).map_err(|f| vec![f])?;
        let solved = interop::solve(&source, args.capacity, &limits)
            .map_err(|d| vec![Failure::new(source.clone(), d)])?;
        let _ = writeln!(stderr, "{}: {solved}", source.name);
        return driver::write_output(args.io.output.as_deref(), &solved.csv, stdout)
            .map_err(|f| vec![f]);
    }
    let checks = crate::checks();
    let mut loaded = driver::load(&args.io.input, targets, &checks).map_err(|f| vec![f])?;
    let options = Options {
        limits,
        spread: args.spread,
    };
    let fail = |d| vec![Failure::new(loaded.source.clone(), d)];
    let allocation =
        program::allocate(&mut loaded.module, &loaded.target, &options).map_err(fail)?;
    verify::verify_with(&loaded.module, &loaded.target, &checks).map_err(|mut d| {
        d.insert(
            0,
            Diagnostic::error(
                codes::BAD_OPTION,
                "allocation produced a module that does not verify",
            )
            .note("this is a bug in `alloc`; the errors below say what is wrong"),
        );
        fail(d)
    })?;
    if args.report {
        let _ = write!(stderr, "{allocation}");
    }
    driver::write_output(
        args.io.output.as_deref(),
        &print_module(&loaded.module),
        stdout,
    )
    .map_err(|f| vec![f])
}
