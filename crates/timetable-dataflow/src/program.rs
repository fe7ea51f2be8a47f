//! Time in a function: positions of ops in program order, functional delays, and issue
//! cycles once a function is scheduled.

use crate::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::machine::Slot;
use timetable_ir::{Function, Handle, Op, Target};

/// The clock an interval is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeBase {
    /// Op `i` of the body executes at time `i`; the function spans `[0, ops)`.
    ProgramOrder,
    /// Ops execute at their issue cycle (`at`); the function spans `[0, makespan)`.
    Cycles,
}

impl TimeBase {
    /// Cycles for scheduled modules, program order before.
    pub fn for_stage(stage: timetable_ir::Stage) -> TimeBase {
        if stage == timetable_ir::Stage::Scheduled {
            TimeBase::Cycles
        } else {
            TimeBase::ProgramOrder
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeBase::ProgramOrder => "program order",
            TimeBase::Cycles => "cycles",
        }
    }

    /// What one unit of time is called in reports.
    pub fn unit(self) -> &'static str {
        match self {
            TimeBase::ProgramOrder => "op",
            TimeBase::Cycles => "cycle",
        }
    }
}

/// A half-open, non-empty interval `[start, end)` of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
}

impl Interval {
    /// `None` when empty.
    pub fn new(start: u64, end: u64) -> Option<Interval> {
        (start < end).then_some(Interval { start, end })
    }

    pub fn contains(self, t: u64) -> bool {
        self.start <= t && t < self.end
    }

    pub fn overlaps(self, other: Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn duration(self) -> u64 {
        self.end - self.start
    }
}

/// The functional delay of an op on `target`: cycles from issue until its results are on
/// their streams (or its write has landed). Pseudo-ops take no time.
pub fn op_latency(op: &Op, target: &Target) -> u32 {
    op.def().latency.map_or(0, |class| target.latency(class))
}

/// A rank for every value in definition order — arguments first, then op results in
/// program order — so listings do not depend on how the arena happens to be laid out
/// (a reparsed module lists the same values in the same order). Values of detached ops
/// rank last.
pub fn definition_order(func: &Function) -> Vec<u32> {
    let mut rank = vec![u32::MAX; func.values.len()];
    let defined = func.args.iter().map(|a| a.value).chain(
        func.body_ops()
            .flat_map(|(_, op)| op.results.iter().copied()),
    );
    for (i, v) in defined.enumerate() {
        rank[v.index()] = i as u32;
    }
    rank
}

/// Where each op of a function sits in the body.
#[derive(Clone, Debug)]
pub struct Positions {
    /// Indexed by op handle; `NONE` for ops in the arena but not in the body.
    of_op: Vec<u32>,
}

impl Positions {
    const NONE: u32 = u32::MAX;

    pub fn new(func: &Function) -> Self {
        let mut of_op = vec![Self::NONE; func.ops.len()];
        for (i, &h) in func.body.iter().enumerate() {
            of_op[h.index()] = i as u32;
        }
        Positions { of_op }
    }

    /// The body index of an op, if it is in the body.
    pub fn of(&self, op: Handle<Op>) -> Option<usize> {
        self.of_op
            .get(op.index())
            .copied()
            .filter(|&p| p != Self::NONE)
            .map(|p| p as usize)
    }
}

/// The issue cycles of a scheduled function.
#[derive(Clone, Debug)]
pub struct IssueTimes {
    /// Per body index; `None` for pseudo-ops.
    at: Vec<Option<u64>>,
    makespan: u64,
}

impl IssueTimes {
    /// Reads `at` from every unit op; fails on the first unit op without one.
    pub fn read(func: &Function, target: &Target) -> Result<IssueTimes, Diagnostic> {
        let mut at = Vec::with_capacity(func.body.len());
        let mut makespan = 0;
        for (h, op) in func.body_ops() {
            if op.def().unit.is_none() {
                at.push(None);
                continue;
            }
            let slot = Slot::read(op).ok().flatten().ok_or_else(|| {
                Diagnostic::error(
                    codes::NO_ISSUE_CYCLE,
                    format!("`{}` has no issue cycle", op.opcode),
                )
                .primary(
                    func.op_span(h),
                    "a cycle-based analysis needs `at` on every unit op",
                )
                .note("schedule the module first, or analyze it in program order")
            })?;
            makespan = makespan.max(slot.at + u64::from(op_latency(op, target)));
            at.push(Some(slot.at));
        }
        Ok(IssueTimes { at, makespan })
    }

    /// The issue cycle of the op at body index `pos` (`None` for pseudo-ops).
    pub fn at(&self, pos: usize) -> Option<u64> {
        self.at[pos]
    }

    /// The cycle by which every op has completed: the maximum of issue + functional
    /// delay. This is the makespan the lower bounds bound.
    pub fn makespan(&self) -> u64 {
        self.makespan
    }
}
