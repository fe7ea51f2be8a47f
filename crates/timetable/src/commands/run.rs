//! `timetable run`: compiles a module as far as this build's passes go (`lower`, `alloc`,
//! `sched`, looked up by name in the pass registry), runs the result (cycle-level
//! simulation once scheduled, else the machine-level reference interpreter), runs the
//! reference interpreter on the original module with the same inputs, and compares the
//! outputs bit for bit.

use super::CommandResult;
use super::sim::{DataArgs, bad_option, heading, select};
use std::io::Write;
use timetable_ir::diag::Diagnostic;
use timetable_ir::driver::{self, Failure, TargetSet};
use timetable_ir::ir::{Function, Module, Stage};
use timetable_ir::pass::{self, PassOptions, PipelineConfig};
use timetable_sim::codes;
use timetable_sim::compare;
use timetable_sim::io::InputSlot;
use timetable_sim::reference::Bindings;
use timetable_sim::session::{self, Mode};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Input file; `-` reads standard input.
    pub file: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// Only this function (default: every function of the module).
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,
}

/// The passes that take a module at some stage to `scheduled`, with the stage each
/// reaches.
const PIPELINE: [(&str, Stage); 3] = [
    ("lower", Stage::Machine),
    ("alloc", Stage::Allocated),
    ("sched", Stage::Scheduled),
];

/// Which passes ran, and the first one this build lacks.
struct Compiled {
    module: Module,
    ran: Vec<&'static str>,
    missing: Option<&'static str>,
}

fn compile(
    module: &Module,
    target: &timetable_ir::Target,
    source: &timetable_ir::SourceFile,
) -> Result<Compiled, Vec<Failure>> {
    let registry = crate::passes();
    let checks = crate::checks();
    let mut m = module.clone();
    let mut ran = Vec::new();
    for (name, reaches) in PIPELINE {
        if m.stage >= reaches {
            continue;
        }
        let Some(info) = registry.iter().find(|p| p.name == name) else {
            return Ok(Compiled {
                module: m,
                ran,
                missing: Some(name),
            });
        };
        let pass = (info.create)(PassOptions::default()).map_err(bad_option)?;
        let config = PipelineConfig { verify_each: true };
        pass::run_pipeline(&mut m, target, &[pass], config, &checks, &mut |_, _| {}).map_err(
            |e| {
                let mut diags = e.diags;
                diags.insert(
                    0,
                    Diagnostic::error(
                        timetable_ir::codes::BAD_OPTION,
                        format!("pass `{}` failed", e.pass),
                    ),
                );
                vec![Failure::new(source.clone(), diags)]
            },
        )?;
        ran.push(name);
    }
    Ok(Compiled {
        module: m,
        ran,
        missing: None,
    })
}

/// The compiled function that implements `func` at `bindings` (docs/semantics.md, 9.6).
fn counterpart<'m>(
    func: &Function,
    source: &Module,
    compiled: &'m Module,
    bindings: &Bindings,
) -> Option<&'m Function> {
    if compiled.stage == source.stage {
        return compiled.function(&func.name.text);
    }
    let bucket = bindings.to_attr();
    let tagged: Vec<&Function> = compiled
        .functions
        .iter()
        .filter(|f| !bindings.is_empty() && f.attrs.get("bucket") == Some(&bucket))
        .collect();
    match tagged.as_slice() {
        [one] => return Some(one),
        [] => {}
        many => {
            return many
                .iter()
                .copied()
                .find(|f| f.name.text.starts_with(&func.name.text));
        }
    }
    compiled
        .function(&func.name.text)
        .filter(|_| bindings.is_empty())
        .or_else(|| {
            (source.functions.len() == 1 && compiled.functions.len() == 1)
                .then(|| &compiled.functions[0])
        })
}

fn stages_line(source: Stage, c: &Compiled, compiled_mode: Mode) -> String {
    let mut s = format!("stages: {source}");
    for p in &c.ran {
        s.push_str(&format!(" -> {p}"));
    }
    s.push_str(&format!(" => {}", c.module.stage));
    if let Some(m) = c.missing {
        s.push_str(&format!(
            " (this build has no `{m}` pass, so the pipeline stops here)"
        ));
    }
    s.push_str(&format!("; run by the {}", compiled_mode.describe()));
    s
}

pub fn run(args: &RunArgs, targets: &TargetSet, stdout: &mut dyn Write) -> CommandResult {
    let spec = args.data.spec()?;
    let explicit = args.data.bindings()?;
    // The built-in verifier only: the passes' independent checkers would reject the very
    // programs whose hazards the simulator is there to show.
    let loaded = driver::load(&args.file, targets, &[]).map_err(|f| vec![f])?;
    let fail = |diags| vec![Failure::new(loaded.source.clone(), diags)];
    let (source, target) = (&loaded.module, &loaded.target);
    let funcs = select(source, args.function.as_deref())?;
    let compiled = compile(source, target, &loaded.source)?;
    let ref_mode = Mode::for_stage(source.stage, true);
    let compiled_mode = Mode::for_stage(compiled.module.stage, false);
    let nothing_compiled = compiled.ran.is_empty() && compiled_mode == ref_mode;
    if args.data.trace.is_some() && (funcs.len() != 1 || compiled_mode != Mode::Cycle) {
        return Err(bad_option(
            "--trace needs one function (--function) that reaches the scheduled stage".into(),
        ));
    }
    let references = funcs
        .iter()
        .map(|f| session::prepare(f, ref_mode, target, &explicit))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    let slots: Vec<&[InputSlot]> = references.iter().map(|p| p.slots.as_slice()).collect();
    let unknown = spec.check_names(&slots);
    if !unknown.is_empty() {
        return Err(fail(unknown));
    }
    let mut mismatches = Vec::new();
    for reference in &references {
        let func = reference.func;
        let inputs = spec.resolve(&reference.slots).map_err(fail)?;
        let expected = reference
            .run(target, &inputs, &args.data.config())
            .map_err(fail)?;
        let stages = stages_line(source.stage, &compiled, compiled_mode);
        let not_checked = |why: &str, stdout: &mut dyn Write| {
            let _ = writeln!(
                stdout,
                "@{}: result not checked: {why}\n  {stages}",
                func.name.text
            );
        };
        if nothing_compiled {
            not_checked("nothing was compiled", stdout);
            let _ = writeln!(stdout, "  outputs of the {}:", heading(reference));
            args.data.emit_outputs(func, &expected.named(), stdout)?;
            continue;
        }
        let Some(cfunc) = counterpart(func, source, &compiled.module, &reference.bindings) else {
            let names: Vec<String> = compiled
                .module
                .functions
                .iter()
                .map(|f| format!("@{}", f.name.text))
                .collect();
            return Err(fail(vec![
                Diagnostic::error(
                    codes::NO_MATCHING_FUNCTION,
                    format!(
                        "no compiled function implements `@{}` at {}",
                        func.name.text, reference.bindings
                    ),
                )
                .primary(func.name.span, "this function")
                .note(format!("compiled functions: {}", names.join(", ")))
                .note(format!(
                    "a lowered bucket function carries `bucket = {}`",
                    reference.bindings.to_attr()
                )),
            ]));
        };
        let program = session::prepare(cfunc, compiled_mode, target, &explicit).map_err(fail)?;
        let actual = program
            .run(target, &inputs, &args.data.config())
            .map_err(fail)?;
        let sim = actual.sim.as_ref();
        if let Some(sim) = sim {
            args.data.write_trace(sim.trace.as_ref(), stdout)?;
            if !sim.diags.is_empty() {
                not_checked("the simulation met hazards", stdout);
                let _ = write!(stdout, "{}", sim.report);
                return Err(fail(sim.diags.clone()));
            }
        }
        let cmp = compare::compare(&expected.named(), &actual.named());
        let verdict = if cmp.matches() {
            "MATCHES"
        } else {
            "DIFFERS FROM"
        };
        let _ = writeln!(
            stdout,
            "@{}: result {verdict} the reference bit for bit ({} output(s), {} elements)",
            func.name.text,
            cmp.outputs.len(),
            cmp.elements()
        );
        if let Some(sim) = sim {
            let r = &sim.report;
            let _ = writeln!(
                stdout,
                "  makespan: {} cycles = {:.3} µs at {} MHz",
                r.makespan,
                r.micros(),
                r.clock_mhz
            );
            let _ = writeln!(
                stdout,
                "  bubbles: {} idle unit-cycles between first and last issue",
                r.bubbles()
            );
            let _ = writeln!(
                stdout,
                "  memory high-water mark: {} words ({:.1} KiB)",
                r.peak_words,
                r.peak_words as f64 * f64::from(r.word_bytes) / 1024.0
            );
        }
        let _ = writeln!(stdout, "  {stages}");
        let _ = writeln!(stdout, "  reference: {}", heading(reference));
        let _ = writeln!(stdout, "  compiled: {}", heading(&program));
        let _ = write!(stdout, "{cmp}");
        if let Some(sim) = sim {
            let _ = write!(stdout, "{}", sim.report);
        }
        args.data.emit_outputs(func, &actual.named(), stdout)?;
        if !cmp.matches() {
            mismatches.push(
                Diagnostic::error(
                    codes::RESULT_MISMATCH,
                    format!(
                        "the compiled `@{}` does not compute what the reference computes",
                        cfunc.name.text
                    ),
                )
                .primary(func.name.span, "this function"),
            );
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(fail(mismatches))
    }
}
