//! `timetable sim`: runs a program on real values — the reference interpreter at the
//! tensor and machine levels, the cycle-level simulator for scheduled IR.

use super::CommandResult;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::Path;
use timetable_ir::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::ir::{Function, Module};
use timetable_sim::cycle::SimConfig;
use timetable_sim::io::{self, InputSpec};
use timetable_sim::reference::Bindings;
use timetable_sim::session::{self, Mode, Prepared};
use timetable_sim::tensor::Tensor;

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Input file; `-` reads standard input.
    pub file: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// Only this function (default: every function of the module).
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,
    /// Use the machine-level reference interpreter even on a scheduled module.
    #[arg(long)]
    pub reference: bool,
}

/// Inputs, shapes, outputs and limits: shared by `sim` and `run`.
#[derive(Args, Debug)]
pub struct DataArgs {
    /// An input from a NumPy file, `NAME=FILE.npy` (repeatable); other inputs are
    /// generated from --seed.
    #[arg(long = "input", value_name = "NAME=FILE")]
    pub inputs: Vec<String>,
    /// Seed of generated inputs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Size of a symbolic dimension, `NAME=SIZE` (repeatable; default: the first size of
    /// the function's `buckets` entry).
    #[arg(long = "shape", value_name = "NAME=SIZE")]
    pub shapes: Vec<String>,
    /// Write every output as DIR/FUNCTION.NAME.npy.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<String>,
    /// How much of the outputs to print.
    #[arg(long, value_enum, default_value = "summary")]
    pub print: PrintArg,
    /// Stop a cycle-level run that goes past this cycle.
    #[arg(long, value_name = "N")]
    pub max_cycles: Option<u64>,
    /// Write a Chrome/Perfetto trace of the cycle-level run (open in ui.perfetto.dev).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrintArg {
    /// Long dimensions elided.
    Summary,
    /// Every element.
    Full,
    /// Nothing.
    None,
}

pub fn bad_option(message: String) -> Vec<Failure> {
    vec![Failure::bare(Diagnostic::error(codes::BAD_OPTION, message))]
}

impl DataArgs {
    pub fn spec(&self) -> Result<InputSpec, Vec<Failure>> {
        InputSpec::parse(&self.inputs, self.seed).map_err(bad_option)
    }

    pub fn bindings(&self) -> Result<Bindings, Vec<Failure>> {
        Bindings::parse(&self.shapes).map_err(bad_option)
    }

    pub fn config(&self) -> SimConfig {
        SimConfig {
            max_cycles: self.max_cycles,
            trace: self.trace.is_some(),
            ..SimConfig::default()
        }
    }

    /// Prints and writes the outputs of `func` as asked.
    pub fn emit_outputs(
        &self,
        func: &Function,
        outputs: &[(String, &Tensor)],
        stdout: &mut dyn Write,
    ) -> CommandResult {
        if self.print != PrintArg::None {
            let _ = stdout
                .write_all(io::print_tensors(outputs, self.print == PrintArg::Full).as_bytes());
        }
        if let Some(dir) = &self.output_dir {
            let paths = io::write_tensors(Path::new(dir), &func.name.text, outputs)
                .map_err(|e| vec![Failure::bare(Diagnostic::error(codes::IO_WRITE, e))])?;
            for p in paths {
                let _ = writeln!(stdout, "wrote {}", p.display());
            }
        }
        Ok(())
    }

    pub fn write_trace(&self, trace: Option<&String>, stdout: &mut dyn Write) -> CommandResult {
        if let (Some(path), Some(json)) = (&self.trace, trace) {
            driver::write_atomic(Path::new(path), json.as_bytes()).map_err(|e| {
                vec![Failure::bare(Diagnostic::error(
                    codes::IO_WRITE,
                    format!("cannot write `{path}`: {e}"),
                ))]
            })?;
            let _ = writeln!(stdout, "wrote trace {path}");
        }
        Ok(())
    }
}

/// The functions to run: one by name, or all.
pub fn select<'m>(
    module: &'m Module,
    name: Option<&str>,
) -> Result<Vec<&'m Function>, Vec<Failure>> {
    match name {
        None => Ok(module.functions.iter().collect()),
        Some(n) => {
            let n = n.trim_start_matches('@');
            module.function(n).map(|f| vec![f]).ok_or_else(|| {
                let names: Vec<String> = module
                    .functions
                    .iter()
                    .map(|f| format!("@{}", f.name.text))
                    .collect();
                bad_option(format!(
                    "no function `@{n}` (functions: {})",
                    names.join(", ")
                ))
            })
        }
    }
}

/// `@f (how, B=4)` with a note on defaulted sizes.
pub fn heading(p: &Prepared) -> String {
    let mut h = format!("@{} ({}", p.func.name.text, p.mode.describe());
    if !p.bindings.is_empty() {
        h.push_str(&format!(", {}", p.bindings));
    }
    h.push(')');
    if !p.defaulted.is_empty() {
        h.push_str(&format!(
            "\n  {} from the first bucket; choose with --shape",
            p.defaulted.join(", ")
        ));
    }
    h
}

pub fn run(args: &SimArgs, targets: &TargetSet, stdout: &mut dyn Write) -> CommandResult {
    let spec = args.data.spec()?;
    let explicit = args.data.bindings()?;
    // The built-in verifier only: the passes' independent checkers would reject the very
    // programs whose hazards the simulator is there to show.
    let loaded = driver::load(&args.file, targets, &[]).map_err(|f| vec![f])?;
    let fail = |diags| vec![Failure::new(loaded.source.clone(), diags)];
    let funcs = select(&loaded.module, args.function.as_deref())?;
    if args.data.trace.is_some() && funcs.len() != 1 {
        return Err(bad_option(
            "--trace traces one function: add --function NAME".into(),
        ));
    }
    let mode = Mode::for_stage(loaded.module.stage, args.reference);
    if args.data.trace.is_some() && mode != Mode::Cycle {
        return Err(bad_option(
            "--trace needs a scheduled module (a cycle-level run)".into(),
        ));
    }
    let prepared = funcs
        .iter()
        .map(|f| session::prepare(f, mode, &loaded.target, &explicit))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    let slots: Vec<&[io::InputSlot]> = prepared.iter().map(|p| p.slots.as_slice()).collect();
    let unknown = spec.check_names(&slots);
    if !unknown.is_empty() {
        return Err(fail(unknown));
    }
    for prepared in &prepared {
        let func = prepared.func;
        let inputs = spec.resolve(&prepared.slots).map_err(fail)?;
        let outcome = prepared
            .run(&loaded.target, &inputs, &args.data.config())
            .map_err(fail)?;
        let _ = writeln!(stdout, "{}", heading(prepared));
        if let Some(sim) = &outcome.sim {
            let _ = write!(stdout, "{}", sim.report);
            args.data.write_trace(sim.trace.as_ref(), stdout)?;
            if !sim.diags.is_empty() {
                return Err(fail(sim.diags.clone()));
            }
        }
        args.data.emit_outputs(func, &outcome.named(), stdout)?;
    }
    Ok(())
}
