//! The machine scheduler: issue cycles, units and streams for every op of an allocated
//! machine-level function, under the exact stream timing of docs/ir.md ("Machine model
//! and timing"), built on the engine's resource profiles, priority rules and genetic
//! search.
//!
//! - [`facts`]: ops, positions, values and the dataflow crate's memory and state
//!   dependences;
//! - [`decoder`] and [`deliver`]: the schedule generation scheme — list order, earliest
//!   cycle, operands in flight or through memory (re-issued reads, spill slots);
//! - [`search`]: priority rules, then the engine's genetic search over op lists;
//! - [`emit`]: the scheduled IR; [`report`]: the llvm-mca style report.

mod decoder;
mod deliver;
mod emit;
mod facts;
pub mod report;
mod room;
mod search;
mod spill_pool;
mod state;
mod streams;

pub use crate::codes;
pub use report::{FunctionReport, Phases, Report};

use std::time::Instant;

use timetable_dataflow::{TimeBase, lower_bounds};
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Module, Stage};
use timetable_ir::machine::keys;
use timetable_ir::pass::{Pass, PassInfo, PassOptions};
use timetable_ir::target::Target;

/// How much search the machine scheduler spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineEffort {
    /// The priority-rule list schedules only.
    Baseline,
    /// At most this many decoded schedules per function.
    Schedules(u64),
    /// At most this many op placements (schedules times ops) per function, and at most
    /// [`MachineEffort::MAX_SCHEDULES`] schedules: small functions get a search, large
    /// ones the first priority rules only.
    Placements(u64),
}

impl MachineEffort {
    /// The default: 250,000 placements, about 2,000 schedules of a 100-op function, 250
    /// of a 1,000-op one, the six baseline lists at 40,000 ops, and from 125,000 ops the
    /// two that always run (the abstract schedule's and the first rule's).
    pub const DEFAULT: MachineEffort = MachineEffort::Placements(250_000);
    /// The most schedules a placement budget buys.
    pub const MAX_SCHEDULES: u64 = 2_000;
}

impl std::str::FromStr for MachineEffort {
    type Err = String;
    /// `baseline`, `default`, a number of schedules, or `placements:N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let number = |n: &str| {
            n.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("effort `{s}` is not `baseline`, `default`, a number of schedules or `placements:N`"))
        };
        match s {
            "baseline" => Ok(MachineEffort::Baseline),
            "default" => Ok(MachineEffort::DEFAULT),
            _ => match s.strip_prefix("placements:") {
                Some(n) => number(n).map(MachineEffort::Placements),
                None => number(s).map(MachineEffort::Schedules),
            },
        }
    }
}

/// Options of the machine scheduler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineOptions {
    /// Seeds the search; results depend only on the input and the seed.
    pub seed: u64,
    pub effort: MachineEffort,
    /// Materialise every queue's idle cycles as `icu.nop`s.
    pub nops: bool,
}

impl Default for MachineOptions {
    fn default() -> Self {
        MachineOptions {
            seed: 0,
            effort: MachineEffort::DEFAULT,
            nops: false,
        }
    }
}

/// A scheduled module and what the scheduler found out.
#[derive(Clone, Debug)]
pub struct Scheduled {
    pub module: Module,
    pub report: Report,
}

/// Schedules every function of an allocated (or already scheduled) module.
pub fn schedule_module(
    module: &Module,
    target: &Target,
    options: &MachineOptions,
) -> Result<Scheduled, Diagnostics> {
    check_stage(module)?;
    let mut out = module.clone();
    let mut functions = Vec::new();
    let mut diags = Vec::new();
    for func in &mut out.functions {
        match schedule_function(func, target, options) {
            Ok(report) => functions.push(report),
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    out.stage = Stage::Scheduled;
    Ok(Scheduled {
        module: out,
        report: Report {
            target: target.clone(),
            functions,
        },
    })
}

fn check_stage(module: &Module) -> Result<(), Diagnostics> {
    match module.stage {
        Stage::Allocated | Stage::Scheduled => Ok(()),
        Stage::Machine => Err(vec![
            Diagnostic::error(
                codes::NOT_ALLOCATED,
                format!(
                    "module `@{}` is at the `machine` stage: its buffers have no placements yet",
                    module.name.text
                ),
            )
            .primary(module.name.span, "not allocated")
            .note("the scheduler needs each buffer's slice and bank (hop distances, bank conflicts): run `alloc` first, e.g. `timetable opt --passes=alloc,sched`"),
        ]),
        Stage::Tensor => Err(vec![
            Diagnostic::error(
                codes::WRONG_STAGE,
                format!("module `@{}` is at the `tensor` stage", module.name.text),
            )
            .primary(module.name.span, "not lowered")
            .note("run `lower` and `alloc` first, e.g. `timetable opt --passes=lower,alloc,sched`"),
        ]),
    }
}

/// Schedules one function (one shape bucket) in place.
pub fn schedule_function(
    func: &mut Function,
    target: &Target,
    options: &MachineOptions,
) -> Result<FunctionReport, Diagnostic> {
    strip_slots(func);
    let clock = Instant::now();
    let bounds = lower_bounds(func, target, TimeBase::ProgramOrder)?;
    let facts = facts::Facts::new(func, target)?;
    let analysis = clock.elapsed();
    let found = search::search(&facts, options, bounds.makespan)?;
    let search = clock.elapsed() - analysis;
    let emitted = emit::emit(&facts, &found.state, options.nops)?;
    let phases = Phases {
        analysis,
        search,
        emit: clock.elapsed() - analysis - search,
    };
    let report = FunctionReport::new(&facts, &found, &emitted, bounds, phases);
    *func = emitted.func;
    Ok(report)
}

/// Forgets an earlier schedule: slots, and `icu.nop`s (idle time is implied by `at`;
/// `nops` materialises it again).
fn strip_slots(func: &mut Function) {
    let handles: Vec<_> = func.ops.handles().collect();
    for h in handles {
        let op = &mut func.ops[h];
        op.attrs.remove(keys::AT);
        op.attrs.remove(keys::UNIT);
        op.attrs.remove(keys::STREAM);
    }
}

/// The `sched` pass: `sched`, `sched{seed=1 effort=baseline nops=true}`.
pub struct SchedPass {
    pub options: MachineOptions,
}

impl Pass for SchedPass {
    fn name(&self) -> &'static str {
        "sched"
    }

    fn run(&self, module: &mut Module, target: &Target) -> Result<(), Diagnostics> {
        *module = schedule_module(module, target, &self.options)?.module;
        Ok(())
    }
}

pub const INFO: PassInfo = PassInfo {
    name: "sched",
    summary: "issue cycles, units and streams under exact stream timing (allocated -> scheduled)",
    create: |mut o: PassOptions| {
        let defaults = MachineOptions::default();
        let options = MachineOptions {
            seed: o.take("seed")?.unwrap_or(defaults.seed),
            effort: o.take("effort")?.unwrap_or(defaults.effort),
            nops: o.take("nops")?.unwrap_or(defaults.nops),
        };
        o.finish("sched")?;
        Ok(Box::new(SchedPass { options }))
    },
};
