//! `timetable analyze`: dataflow analyses as attributes, a summary, or a Graphviz graph.

use super::CommandResult;
use crate::cli::InOut;
use clap::{Args, ValueEnum};
use std::io::Write;
use timetable_dataflow::present::{self, Selection};
use timetable_ir::diag::{self, ErrorFormat};
use timetable_ir::driver::{self, Failure, TargetSet};

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub io: InOut,
    /// Which analysis to run.
    #[arg(long, value_enum, default_value = "all")]
    pub analysis: AnalysisArg,
    /// `ir`: the module with results as `live.*`, `deps.*`, `cp.*`, `pressure.*`
    /// attributes after a `//` summary (still parseable IR); `dot`: the dependence graph
    /// for Graphviz.
    #[arg(long, value_enum, default_value = "ir")]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AnalysisArg {
    Liveness,
    Deps,
    CriticalPath,
    Pressure,
    All,
}

impl AnalysisArg {
    fn selection(self) -> Selection {
        match self {
            AnalysisArg::Liveness => Selection::Liveness,
            AnalysisArg::Deps => Selection::Deps,
            AnalysisArg::CriticalPath => Selection::CriticalPath,
            AnalysisArg::Pressure => Selection::Pressure,
            AnalysisArg::All => Selection::All,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutputFormat {
    Ir,
    Dot,
}

pub fn run(
    args: &AnalyzeArgs,
    targets: &TargetSet,
    format: ErrorFormat,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> CommandResult {
    let selection = args.analysis.selection();
    if let OutputFormat::Dot = args.format {
        present::dot_supports(selection).map_err(|d| vec![Failure::bare(d)])?;
    }
    let checks = crate::checks();
    let loaded = driver::load(&args.io.input, targets, &checks).map_err(|f| vec![f])?;
    let fail = |diags| vec![Failure::new(loaded.source.clone(), diags)];
    let text = match args.format {
        OutputFormat::Dot => {
            present::dependence_dot(&loaded.module, &loaded.target).map_err(fail)?
        }
        OutputFormat::Ir => {
            let analyzed =
                present::analyze(&loaded.module, &loaded.target, selection).map_err(fail)?;
            let warnings = diag::render(&analyzed.warnings, &loaded.source, format);
            let _ = stderr.write_all(warnings.as_bytes());
            analyzed.text()
        }
    };
    driver::write_output(args.io.output.as_deref(), &text, stdout).map_err(|f| vec![f])
}
