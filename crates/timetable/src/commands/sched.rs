//! `timetable sched`: issue cycles, units and streams for an allocated module (the IR to
//! standard output or `-o`, the report to standard error with `--report`), or a PSPLIB
//! project schedule with `--psplib`.

use super::CommandResult;
use clap::Args;
use std::io::Write;
use timetable_ir::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::print::print_module;
use timetable_ir::span::Span;
use timetable_ir::verify;
use timetable_sched::machine::{self, MachineEffort, MachineOptions};
use timetable_sched::{SolveOptions, psplib};

#[derive(Args, Debug)]
pub struct SchedArgs {
    /// Input file (`-` reads standard input): an allocated module, or with `--psplib` a
    /// PSPLIB single-mode `.sm` file.
    pub input: String,
    /// Output file (written atomically); `-` or absent writes standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
    /// Print the schedule report (makespan, lower bound, unit use, bubbles, timeline) to
    /// standard error.
    #[arg(long)]
    pub report: bool,
    /// Cycles the report's timeline shows.
    #[arg(long, value_name = "CYCLES", default_value_t = 40)]
    pub timeline: u64,
    /// Seed of the search.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Search effort: `baseline` (priority rules only), `default`, a number of
    /// schedules, or `placements:N` (schedules times ops).
    #[arg(long, default_value = "default")]
    pub effort: String,
    /// Write every queue's idle cycles as `icu.nop`s.
    #[arg(long)]
    pub nops: bool,
    /// Solve a PSPLIB resource-constrained project instead: prints `makespan N`, then
    /// `JOB START` per job.
    #[arg(long)]
    pub psplib: bool,
}

pub fn run(
    args: &SchedArgs,
    targets: &TargetSet,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> CommandResult {
    let bad = |e: String| vec![Failure::bare(Diagnostic::error(codes::BAD_OPTION, e))];
    let effort: MachineEffort = args.effort.parse().map_err(bad)?;
    if args.psplib {
        return run_psplib(args, effort, stdout);
    }
    let checks = crate::checks();
    let loaded = driver::load(&args.input, targets, &checks).map_err(|f| vec![f])?;
    let options = MachineOptions {
        seed: args.seed,
        effort,
        nops: args.nops,
    };
    let fail = |d| vec![Failure::new(loaded.source.clone(), d)];
    let scheduled =
        machine::schedule_module(&loaded.module, &loaded.target, &options).map_err(fail)?;
    verify::verify_with(&scheduled.module, &loaded.target, &checks).map_err(|mut d| {
        d.insert(
            0,
            Diagnostic::error(
                codes::BAD_OPTION,
                "scheduling produced a module that does not verify",
            )
            .note("this is a bug in `sched`; the errors below say what is wrong"),
        );
        fail(d)
    })?;
    if args.report {
        let _ = stderr.write_all(scheduled.report.render(args.timeline).as_bytes());
    }
    driver::write_output(
        args.output.as_deref(),
        &print_module(&scheduled.module),
        stdout,
    )
    .map_err(|f| vec![f])
}

fn run_psplib(args: &SchedArgs, effort: MachineEffort, stdout: &mut dyn Write) -> CommandResult {
    let source = driver::read_source(&args.input).map_err(|f| vec![f])?;
    let options = SolveOptions {
        seed: args.seed,
        ..match effort {
            MachineEffort::Baseline => SolveOptions::baseline(),
            MachineEffort::Schedules(n) => SolveOptions::with_schedules(n),
            MachineEffort::Placements(_) if args.effort == "default" => SolveOptions::default(),
            MachineEffort::Placements(n) => SolveOptions {
                effort: timetable_sched::Effort::Placements(n),
                ..SolveOptions::default()
            },
        }
    };
    let text = psplib::solve_text(&source.text, &options).map_err(|e| {
        let span = line_span(&source.text, e.line);
        vec![Failure::new(
            source.clone(),
            vec![
                Diagnostic::error(timetable_sched::codes::PSPLIB, e.message.clone())
                    .primary(span, "here"),
            ],
        )]
    })?;
    driver::write_output(args.output.as_deref(), &text, stdout).map_err(|f| vec![f])
}

/// The span of 1-based line `line` of `text` (the whole text if there is no such line).
fn line_span(text: &str, line: usize) -> Span {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return Span::new(start, start + l.trim_end().len().max(1));
        }
        start += l.len();
    }
    Span::new(0, text.len())
}
