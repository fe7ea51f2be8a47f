//! What `timetable analyze` shows: the module with analysis results as discardable
//! attributes (dotted keys, so the output still parses and verifies), a summary as `//`
//! comment lines, or the dependence graph for Graphviz.

mod annotate;
mod dot;
pub mod pass;
mod summary;

use crate::codes;
use crate::critical_path::CriticalPath;
use crate::deps::{Cause, DepGraph, MemoryLocation};
use crate::framework::StraightLine;
use crate::liveness::{LiveRanges, Liveness, uninitialized_read_warnings};
use crate::pressure::PressureProfile;
use crate::program::{IssueTimes, TimeBase};
use crate::resources::{ResourceWork, resource_work};
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::effects::Location;
use timetable_ir::{Function, Handle, Module, Stage, Target, Value};

/// Which analyses to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    Liveness,
    Deps,
    CriticalPath,
    Pressure,
    All,
}

impl Selection {
    pub const ALL: [Selection; 5] = [
        Selection::Liveness,
        Selection::Deps,
        Selection::CriticalPath,
        Selection::Pressure,
        Selection::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Selection::Liveness => "liveness",
            Selection::Deps => "deps",
            Selection::CriticalPath => "critical-path",
            Selection::Pressure => "pressure",
            Selection::All => "all",
        }
    }

    pub fn from_name(name: &str) -> Option<Selection> {
        Selection::ALL.into_iter().find(|s| s.name() == name)
    }

    fn wants(self, one: Selection) -> bool {
        self == Selection::All || self == one
    }

    fn needs_dependences(self) -> bool {
        self.wants(Selection::Deps) || self.wants(Selection::CriticalPath)
    }
}

/// Attribute key prefixes this module writes (and removes before writing again).
pub const KEY_PREFIXES: [&str; 4] = ["live.", "deps.", "cp.", "pressure."];

/// Everything computed for one function.
struct Facts<'f> {
    func: &'f Function,
    base: TimeBase,
    times: Option<IssueTimes>,
    liveness: Liveness<'f, StraightLine<'f>>,
    ranges: LiveRanges,
    /// Cycle ranges of a scheduled function.
    cycles: Option<LiveRanges>,
    deps: Option<DepGraph>,
    cp: Option<CriticalPath>,
    resources: Vec<ResourceWork>,
    pressure: Option<PressureProfile>,
}

impl<'f> Facts<'f> {
    fn compute(
        func: &'f Function,
        cfg: &'f StraightLine<'f>,
        target: &Target,
        stage: Stage,
        selection: Selection,
    ) -> Result<Facts<'f>, Diagnostic> {
        let base = TimeBase::for_stage(stage);
        let times = match base {
            TimeBase::Cycles => Some(IssueTimes::read(func, target)?),
            TimeBase::ProgramOrder => None,
        };
        let liveness = Liveness::compute(func, cfg);
        let ranges = liveness.ranges();
        let cycles = times.as_ref().map(|t| liveness.cycle_ranges(target, t));
        let deps = selection
            .needs_dependences()
            .then(|| DepGraph::build(func, target));
        let cp = deps.as_ref().map(CriticalPath::compute);
        let resources = if selection.wants(Selection::CriticalPath) {
            resource_work(func, target, deps.as_ref().zip(cp.as_ref()))
        } else {
            Vec::new()
        };
        let pressure = selection
            .wants(Selection::Pressure)
            .then(|| PressureProfile::compute(func, cycles.as_ref().unwrap_or(&ranges), target));
        Ok(Facts {
            func,
            base,
            times,
            liveness,
            ranges,
            cycles,
            deps,
            cp,
            resources,
            pressure,
        })
    }
}

/// The result of [`analyze`].
pub struct Analyzed {
    /// The input with results as attributes.
    pub module: Module,
    /// `//` comment lines summarising each function.
    pub summary: String,
    /// Warnings about the input (reads of never-written buffers).
    pub warnings: Diagnostics,
}

impl Analyzed {
    /// The summary followed by the module: parseable IR.
    pub fn text(&self) -> String {
        format!("{}{}", self.summary, self.module)
    }
}

fn check_stage(module: &Module, selection: Selection) -> Result<(), Diagnostics> {
    if module.stage.is_machine() || selection == Selection::Liveness {
        return Ok(());
    }
    Err(vec![
        Diagnostic::error(
            codes::NEEDS_MACHINE_STAGE,
            format!(
                "`--analysis={}` needs a machine-level module, not a `{}` one",
                selection.name(),
                module.stage
            ),
        )
        .primary(module.name.span, format!("this module is at the `{}` stage", module.stage))
        .note("dependences, the critical path and memory pressure need units, latencies and buffers; `--analysis=liveness` works at every stage"),
    ])
}

/// Runs `selection` on every function of a verified module.
pub fn analyze(
    module: &Module,
    target: &Target,
    selection: Selection,
) -> Result<Analyzed, Diagnostics> {
    check_stage(module, selection)?;
    let mut out = module.clone();
    let mut summary = String::new();
    let mut warnings = Vec::new();
    for (func, target_func) in module.functions.iter().zip(&mut out.functions) {
        let cfg = StraightLine::new(func);
        let facts =
            Facts::compute(func, &cfg, target, module.stage, selection).map_err(|d| vec![d])?;
        warnings.extend(uninitialized_read_warnings(
            func,
            facts.liveness.uninitialized_reads(),
        ));
        summary.push_str(&summary::function_summary(&facts, target, selection));
        annotate::annotate(&facts, selection, target_func);
    }
    Ok(Analyzed {
        module: out,
        summary,
        warnings,
    })
}

/// The dependence graphs of every function, for Graphviz, with critical ops in red.
pub fn dependence_dot(module: &Module, target: &Target) -> Result<String, Diagnostics> {
    check_stage(module, Selection::Deps)?;
    let mut graphs = Vec::new();
    for func in &module.functions {
        let deps = DepGraph::build(func, target);
        let cp = CriticalPath::compute(&deps);
        graphs.push((func, deps, cp));
    }
    Ok(dot::render(&module.name.text, &graphs))
}

/// `%name` of a value.
fn value_name(func: &Function, v: Handle<Value>) -> String {
    format!("%{}", func.value(v).name)
}

/// What a dependence is about, for people: `%x`, `%buf[2]`, `mem.3 bank 0 word 17`, ...
fn cause_text(func: &Function, cause: Cause) -> String {
    match cause {
        Cause::Value(v) => value_name(func, v),
        Cause::Memory(MemoryLocation::State(location)) => match location {
            Location::BufferElement { buffer, index } => {
                format!("{}[{index}]", value_name(func, buffer))
            }
            Location::MxmWeights { plane } => format!("mxm plane {plane} weights"),
            Location::MxmAccumulator { plane, acc } => format!("mxm plane {plane} acc {acc}"),
            Location::Barrier => "barrier".to_string(),
        },
        Cause::Memory(MemoryLocation::Word { slice, bank, addr }) => {
            format!("mem.{slice} bank {bank} word {addr}")
        }
    }
}

/// `#3 vxm.relu`: an op by body index and name.
fn op_text(func: &Function, node: usize) -> String {
    format!("#{node} {}", func.op(func.body[node]).opcode)
}

/// Whether `--format=dot` can draw what `selection` computes.
pub fn dot_supports(selection: Selection) -> Result<(), Diagnostic> {
    if selection.needs_dependences() {
        return Ok(());
    }
    Err(Diagnostic::error(
        codes::DOT_NEEDS_DEPENDENCES,
        format!(
            "`--format=dot` draws the dependence graph, which `--analysis={}` does not build",
            selection.name()
        ),
    )
    .note("use `--analysis=deps`, `critical-path` or `all` with `--format=dot`"))
}
