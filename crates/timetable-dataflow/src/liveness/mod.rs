//! Liveness of values and buffers, per op and as live ranges.
//!
//! Two framework clients run in sequence: [`Initialized`] (forward) finds each buffer's
//! first write, then [`Live`] (backward) computes what is live. [`Liveness`] bundles the
//! results and answers per-op queries (through a cursor) and live ranges
//! ([`LiveRanges`], in program order or, for scheduled functions, in cycles).

mod initialized;
mod live;
mod ranges;

pub use initialized::{Initialized, buffer_args, preloaded_buffers};
pub use live::Live;
pub use ranges::LiveRanges;

use crate::bitset::BitSet;
use crate::codes;
use crate::defuse::DefUse;
use crate::framework::{
    Analysis, ControlFlowGraph, FixpointStats, OpLocation, Results, StraightLine,
};
use crate::program::{IssueTimes, TimeBase, definition_order};
use std::collections::BTreeMap;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::registry::Access;
use timetable_ir::{Function, Handle, Op, Target, Value};

/// A read of a scratch buffer that no write reaches on any path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UninitializedRead {
    pub op: Handle<Op>,
    pub buffer: Handle<Value>,
}

/// The values live at a point, listed in definition order (arguments, then op results in
/// program order).
pub struct LiveSet {
    rank: Vec<u32>,
    members: BTreeMap<u32, Handle<Value>>,
}

impl LiveSet {
    fn insert(&mut self, v: Handle<Value>) {
        self.members.insert(self.rank[v.index()], v);
    }

    fn remove(&mut self, v: Handle<Value>) {
        self.members.remove(&self.rank[v.index()]);
    }

    pub fn iter(&self) -> impl Iterator<Item = Handle<Value>> + '_ {
        self.members.values().copied()
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// How much work each of the two fixpoints did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LivenessStats {
    pub initialized: FixpointStats,
    pub live: FixpointStats,
}

/// Liveness of one function over a control-flow graph.
pub struct Liveness<'a, G: ControlFlowGraph> {
    func: &'a Function,
    cfg: &'a G,
    initialized: FixpointStats,
    live: Results<Live<'a>>,
    uninitialized_reads: Vec<UninitializedRead>,
}

impl<'a, G: ControlFlowGraph> Liveness<'a, G> {
    pub fn compute(func: &'a Function, cfg: &'a G) -> Self {
        let init = Initialized::new(func).iterate_to_fixpoint(cfg);
        // First writes and reads of never-written buffers, in one forward pass per block.
        let mut initializing = BitSet::new_empty(func.ops.len());
        let mut uninitialized_reads = Vec::new();
        let mut cursor = init.cursor(cfg);
        for block in cfg.blocks() {
            for (index, &op) in cfg.ops(block).iter().enumerate() {
                cursor.seek_before(OpLocation { block, index });
                for (access, buffer) in crate::access::buffer_accesses(&func.ops[op]) {
                    if cursor.get().contains(buffer.index()) {
                        continue;
                    }
                    match access {
                        Access::Write => {
                            initializing.insert(op.index());
                        }
                        Access::Read => uninitialized_reads.push(UninitializedRead { op, buffer }),
                    }
                }
            }
        }
        let live = Live::new(func, initializing).iterate_to_fixpoint(cfg);
        Liveness {
            func,
            cfg,
            initialized: init.stats(),
            live,
            uninitialized_reads,
        }
    }

    pub fn function(&self) -> &'a Function {
        self.func
    }

    pub fn cfg(&self) -> &'a G {
        self.cfg
    }

    /// The framework results: live-out state of every block.
    pub fn results(&self) -> &Results<Live<'a>> {
        &self.live
    }

    pub fn stats(&self) -> LivenessStats {
        LivenessStats {
            initialized: self.initialized,
            live: self.live.stats(),
        }
    }

    pub fn uninitialized_reads(&self) -> &[UninitializedRead] {
        &self.uninitialized_reads
    }

    /// Values live when the function starts (inputs, constants, buffers read before any
    /// write).
    pub fn live_at_entry(&self) -> BitSet {
        let mut cursor = self.live.cursor(self.cfg);
        cursor.seek_to_block_start(self.cfg.entry());
        cursor.get().clone()
    }

    /// Values live when the function ends (outputs), over every exit block.
    pub fn live_at_exit(&self) -> BitSet {
        let mut set = BitSet::new_empty(self.func.values.len());
        for b in self.cfg.blocks().filter(|&b| self.cfg.is_exit(b)) {
            set.union(self.live.entry_state(b));
        }
        set
    }

    /// Calls `f` with the values live just after each op: blocks in layout order, ops of a
    /// block last to first (the analysis direction). The set handed out is kept up to
    /// date from the values each op touches, so the walk costs `O(n log n)` plus the size
    /// of what `f` reads, however many values the function has.
    pub fn for_each_live_out(&self, mut f: impl FnMut(OpLocation, Handle<Op>, &LiveSet)) {
        let mut cursor = self.live.cursor(self.cfg);
        let mut live = LiveSet {
            rank: definition_order(self.func),
            members: BTreeMap::new(),
        };
        for block in self.cfg.blocks() {
            let ops = self.cfg.ops(block);
            live.members.clear();
            for i in self.live.entry_state(block).iter() {
                live.insert(Handle::new(i));
            }
            for index in (0..ops.len()).rev() {
                let at = OpLocation { block, index };
                cursor.seek_after(at);
                if let Some(&crossed) = ops.get(index + 1) {
                    // Only the values the op just crossed can have changed.
                    let op = &self.func.ops[crossed];
                    for &v in op.results.iter().chain(&op.operands) {
                        if cursor.get().contains(v.index()) {
                            live.insert(v);
                        } else {
                            live.remove(v);
                        }
                    }
                }
                f(at, ops[index], &live);
            }
        }
    }

    /// Live ranges in program order: op `i` of the layout (blocks in order) runs at time
    /// `i`; a range is the hull of every time its value is live or touched.
    pub fn ranges(&self) -> LiveRanges {
        ranges::program_order(self)
    }

    /// Live ranges in cycles of a scheduled function: a vector value from the cycle it is
    /// on its stream to its last read; a buffer from its first access (cycle 0 if it is
    /// live at entry) to its last access (the makespan if live at exit).
    pub fn cycle_ranges(&self, target: &Target, times: &IssueTimes) -> LiveRanges {
        ranges::cycles(self, &DefUse::new(self.func), target, times)
    }
}

/// Live ranges of a straight-line function on the requested clock — the entry point for
/// the allocator.
pub fn live_ranges(
    func: &Function,
    target: &Target,
    base: TimeBase,
) -> Result<LiveRanges, Diagnostic> {
    let cfg = StraightLine::new(func);
    let liveness = Liveness::compute(func, &cfg);
    Ok(match base {
        TimeBase::ProgramOrder => liveness.ranges(),
        TimeBase::Cycles => liveness.cycle_ranges(target, &IssueTimes::read(func, target)?),
    })
}

/// Warnings for reads of buffers nothing has written.
pub fn uninitialized_read_warnings(func: &Function, reads: &[UninitializedRead]) -> Diagnostics {
    reads
        .iter()
        .map(|r| {
            let name = &func.value(r.buffer).name;
            Diagnostic::warning(
                codes::UNINITIALIZED_READ,
                format!("`%{name}` is read before anything writes it"),
            )
            .primary(func.op_span(r.op), "reads uninitialized memory")
            .secondary(func.value_span(r.buffer), format!("`%{name}` defined here"))
            .note("liveness keeps the buffer from the start of the function, as if preloaded")
        })
        .collect()
}
