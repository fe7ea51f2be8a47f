//! The command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use timetable_ir::diag::ErrorFormat;

/// timetable: a compiler toolchain for a deterministic, software-scheduled dataflow
/// processor (Groq LPU / TSP style). Text IR in, text IR or a report out.
#[derive(Parser, Debug)]
#[command(name = "timetable", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct Global {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human", global = true)]
    pub error_format: FormatArg,
    /// Colour in human diagnostics.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub color: ColorArg,
    /// A target description file (`target @name { ... }`); may be repeated.
    #[arg(long = "target-file", value_name = "FILE", global = true)]
    pub target_files: Vec<String>,
}

impl Global {
    pub fn error_format(&self) -> ErrorFormat {
        match self.error_format {
            FormatArg::Json => ErrorFormat::Json,
            FormatArg::Human => ErrorFormat::Human {
                color: match self.color {
                    ColorArg::Always => true,
                    ColorArg::Never => false,
                    ColorArg::Auto => std::io::stderr().is_terminal(),
                },
            },
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// An input file and where to write the result.
#[derive(Args, Debug)]
pub struct InOut {
    /// Input file; `-` reads standard input.
    pub input: String,
    /// Output file (written atomically); `-` or absent writes standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse a file and print it in canonical form, without verifying it.
    Parse(InOut),
    /// Rewrite a file in canonical form (in place unless -o is given or the input is -).
    Fmt(FmtArgs),
    /// Parse and verify a file against its target and stage.
    Verify(VerifyArgs),
    /// Run a pipeline of passes: `--passes=dce,lower{...}`.
    Opt(OptArgs),
    /// Inspect targets.
    #[command(subcommand)]
    Target(TargetCommand),
    /// Print a generated machine-level program (for benchmarks and property tests).
    Gen(GenArgs),
    /// Run a program on real values: the reference interpreter (tensor and machine level)
    /// or, for scheduled IR, the cycle-level simulator.
    Sim(crate::commands::sim::SimArgs),
    /// The whole pipeline as available, simulated, and checked bit for bit against the
    /// reference interpreter on the same inputs.
    Run(crate::commands::run::RunArgs),
    /// Capacity planning: p50/p99 latency, rejection and goodput of a serving deployment
    /// from exact compiled service times; find the highest rate or fewest replicas that
    /// meet an SLO.
    Plan(Box<timetable_plan::cli::Args>),
    /// Lower tensor-level functions to machine code, one function per shape bucket.
    Lower(crate::commands::lower::LowerArgs),
    /// Run dataflow analyses and print the module with their results as attributes.
    Analyze(crate::commands::analyze::AnalyzeArgs),
    /// Place every buffer in a slice, bank and address range (or pack a MiniMalloc CSV).
    Alloc(crate::commands::alloc::AllocArgs),
    /// Schedule an allocated module: issue cycles, units and streams under exact stream
    /// timing, with a bubble report; or a PSPLIB project with `--psplib`.
    Sched(crate::commands::sched::SchedArgs),
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Approximate number of ops.
    #[arg(long, default_value_t = 1000)]
    pub ops: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Target name.
    #[arg(long, default_value = "tsp")]
    pub target: String,
    /// Element type of the data.
    #[arg(long, default_value = "f32")]
    pub elem: String,
    /// Leave out MXM blocks.
    #[arg(long)]
    pub no_mxm: bool,
    /// Output file (written atomically); `-` or absent writes standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    #[command(flatten)]
    pub io: InOut,
    /// Only check: exit with failure if the file is not in canonical form.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Input file; `-` reads standard input.
    pub input: String,
}

#[derive(Args, Debug)]
pub struct OptArgs {
    #[command(flatten)]
    pub io: InOut,
    /// Comma-separated passes, each `name` or `name{key=value ...}`.
    #[arg(long, value_name = "PIPELINE", default_value = "")]
    pub passes: String,
    /// Print the module after each pass (to standard error).
    #[arg(long)]
    pub print_after_all: bool,
    /// Print how long each pass and its verification took (to standard error).
    #[arg(long)]
    pub timing: bool,
    /// Verify after every pass.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub verify_each: bool,
}

#[derive(Subcommand, Debug)]
pub enum TargetCommand {
    /// Print a target description in its text form.
    Show {
        /// Target name (built in or from --target-file).
        name: String,
    },
    /// List the known targets.
    List,
}
