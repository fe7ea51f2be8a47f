//! Running one function the way its stage calls for: the tensor-level reference
//! interpreter, the machine-level reference interpreter, or the cycle-level simulator.
//! `timetable sim` and `timetable run` are thin layers over this.

use crate::cycle::{self, SimConfig, SimRun};
use crate::io::{self, InputSlot};
use crate::program::Program;
use crate::reference::{self, Bindings};
use crate::tensor::Tensor;
use timetable_ir::diag::Diagnostics;
use timetable_ir::ir::{Function, Stage};
use timetable_ir::target::Target;

/// How a function is executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Tensor-level reference interpreter.
    Tensor,
    /// Machine-level reference interpreter (body order, no timing).
    Machine,
    /// Cycle-level simulation of the schedule.
    Cycle,
}

impl Mode {
    /// The mode for a module at `stage`; `reference` keeps scheduled modules in the
    /// machine-level reference interpreter.
    pub fn for_stage(stage: Stage, reference: bool) -> Mode {
        match stage {
            Stage::Tensor => Mode::Tensor,
            Stage::Scheduled if !reference => Mode::Cycle,
            _ => Mode::Machine,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Mode::Tensor => "tensor-level reference interpreter",
            Mode::Machine => "machine-level reference interpreter, body order",
            Mode::Cycle => "cycle-level simulation of the schedule",
        }
    }
}

/// A function ready to run: decoded, with its inputs' shapes known.
pub struct Prepared<'f> {
    pub func: &'f Function,
    pub mode: Mode,
    /// Sizes of symbolic dimensions (tensor level), and those that took a bucket default.
    pub bindings: Bindings,
    pub defaulted: Vec<String>,
    pub slots: Vec<InputSlot>,
    program: Option<Program<'f>>,
}

/// What a run produced.
pub struct Outcome {
    /// The outputs as the host sees them, named (`%y`); empty after a hazard.
    pub outputs: Vec<(String, Tensor)>,
    /// The cycle-level run, in [`Mode::Cycle`].
    pub sim: Option<SimRun>,
}

impl Outcome {
    pub fn named(&self) -> Vec<(String, &Tensor)> {
        self.outputs.iter().map(|(n, t)| (n.clone(), t)).collect()
    }
}

/// Decodes `func` for `mode`; `explicit` sizes override the `buckets` defaults.
pub fn prepare<'f>(
    func: &'f Function,
    mode: Mode,
    target: &Target,
    explicit: &Bindings,
) -> Result<Prepared<'f>, Diagnostics> {
    if mode == Mode::Tensor {
        let (bindings, defaulted) = Bindings::for_function(func, explicit);
        let slots = io::tensor_slots(func, &bindings).map_err(|d| vec![d])?;
        return Ok(Prepared {
            func,
            mode,
            bindings,
            defaulted,
            slots,
            program: None,
        });
    }
    let program = Program::decode(func, target)?;
    Ok(Prepared {
        func,
        mode,
        bindings: Bindings::default(),
        defaulted: Vec::new(),
        slots: io::machine_slots(&program, target.lanes),
        program: Some(program),
    })
}

impl Prepared<'_> {
    /// Runs on `inputs` (one per slot, in order).
    pub fn run(
        &self,
        target: &Target,
        inputs: &[Tensor],
        config: &SimConfig,
    ) -> Result<Outcome, Diagnostics> {
        match (&self.program, self.mode) {
            (None, _) => {
                let results = reference::tensor::run(self.func, target, &self.bindings, inputs)?;
                Ok(Outcome {
                    outputs: self.result_names().into_iter().zip(results).collect(),
                    sim: None,
                })
            }
            (Some(p), Mode::Cycle) => {
                let run = cycle::simulate(p, target, inputs, config)?;
                let outputs = run
                    .outputs
                    .as_ref()
                    .map(|o| {
                        o.outputs
                            .iter()
                            .map(|h| (format!("%{}", h.name), h.tensor()))
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Outcome {
                    outputs,
                    sim: Some(run),
                })
            }
            (Some(p), _) => {
                let out = reference::machine::run(p, target, inputs)?;
                Ok(Outcome {
                    outputs: out
                        .outputs
                        .into_iter()
                        .map(|h| (format!("%{}", h.name), h.tensor()))
                        .collect(),
                    sim: None,
                })
            }
        }
    }

    /// Names of a tensor-level function's results: the returned values' names.
    fn result_names(&self) -> Vec<String> {
        let func = self.func;
        let ret = func
            .body
            .last()
            .map(|&h| func.op(h))
            .filter(|op| op.def().terminator);
        match ret {
            Some(op) => op
                .operands
                .iter()
                .map(|&v| format!("%{}", func.value(v).name))
                .collect(),
            None => Vec::new(),
        }
    }
}
