//! Live ranges: one interval per value, in program order or in cycles.

use super::Liveness;
use crate::access::buffer_accesses;
use crate::defuse::{Def, DefUse};
use crate::framework::ControlFlowGraph;
use crate::program::{Interval, IssueTimes, TimeBase, op_latency};
use timetable_ir::registry::Access;
use timetable_ir::{Function, Handle, Target, Value};

/// One interval per value: when it occupies a stream or memory. Values that are never
/// live (unused buffers, values of detached ops) have none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveRanges {
    base: TimeBase,
    span: u64,
    ranges: Vec<Option<Interval>>,
}

impl LiveRanges {
    pub fn base(&self) -> TimeBase {
        self.base
    }

    /// The extent of the function on this clock: its op count, or its makespan.
    pub fn span(&self) -> u64 {
        self.span
    }

    pub fn get(&self, v: Handle<Value>) -> Option<Interval> {
        self.ranges.get(v.index()).copied().flatten()
    }

    /// Every value with a range, in value order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<Value>, Interval)> + '_ {
        self.ranges
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (Handle::new(i), r)))
    }

    /// The buffers with a range, in value order.
    pub fn buffers<'f>(
        &'f self,
        func: &'f Function,
    ) -> impl Iterator<Item = (Handle<Value>, Interval)> + 'f {
        self.iter().filter(|(v, _)| func.ty(*v).is_mem())
    }
}

/// Accumulates the hull of the times a value is touched.
struct Hull {
    lo: Vec<u64>,
    hi: Vec<u64>,
}

impl Hull {
    fn new(values: usize) -> Self {
        Hull {
            lo: vec![u64::MAX; values],
            hi: vec![0; values],
        }
    }

    fn cover(&mut self, v: usize, start: u64, end: u64) {
        self.lo[v] = self.lo[v].min(start);
        self.hi[v] = self.hi[v].max(end);
    }

    fn touch(&mut self, v: usize, t: u64) {
        self.cover(v, t, t + 1);
    }

    fn finish(self, base: TimeBase, span: u64) -> LiveRanges {
        let ranges = self
            .lo
            .into_iter()
            .zip(self.hi)
            .map(|(lo, hi)| Interval::new(lo, hi))
            .collect();
        LiveRanges { base, span, ranges }
    }
}

pub(super) fn program_order<G: ControlFlowGraph>(l: &Liveness<'_, G>) -> LiveRanges {
    let (func, cfg) = (l.func, l.cfg);
    let total: u64 = cfg.blocks().map(|b| cfg.ops(b).len() as u64).sum();
    let mut hull = Hull::new(func.values.len());
    let mut cursor = l.live.cursor(cfg);
    let live = l.live.analysis();
    let mut start = 0u64;
    for block in cfg.blocks() {
        let ops = cfg.ops(block);
        let end = start + ops.len() as u64;
        if !ops.is_empty() {
            // Live across the block's boundaries: it occupies the first and last op's time.
            cursor.seek_to_block_start(block);
            for v in cursor.get().iter() {
                hull.touch(v, start);
            }
            let live_out = l.live.entry_state(block);
            let last = if cfg.is_exit(block) {
                total - 1
            } else {
                end - 1
            };
            for v in live_out.iter() {
                hull.touch(v, last);
            }
        }
        for (i, &h) in ops.iter().enumerate() {
            let t = start + i as u64;
            let op = &func.ops[h];
            for &v in op.results.iter().chain(&op.operands) {
                if !live.is_buffer(v) {
                    hull.touch(v.index(), t);
                }
            }
            for (_, buffer) in buffer_accesses(op) {
                hull.touch(buffer.index(), t);
            }
        }
        start = end;
    }
    hull.finish(TimeBase::ProgramOrder, total)
}

pub(super) fn cycles<G: ControlFlowGraph>(
    l: &Liveness<'_, G>,
    du: &DefUse,
    target: &Target,
    times: &IssueTimes,
) -> LiveRanges {
    let func = l.func;
    let makespan = times.makespan();
    let (at_entry, at_exit) = (l.live_at_entry(), l.live_at_exit());
    let mut hull = Hull::new(func.values.len());
    let issue = |pos: u32| times.at(pos as usize);
    for (v, value) in func.values.iter() {
        let i = v.index();
        if value.ty.is_mem() {
            if at_entry.contains(i) {
                hull.touch(i, 0);
            }
            if at_exit.contains(i) && makespan > 0 {
                hull.touch(i, makespan - 1);
            }
            for u in du.uses(v) {
                let op = func.op(u.op);
                let Some(at) = issue(u.position) else {
                    continue;
                };
                // A write occupies its words until it has landed.
                let writes = buffer_accesses(op).any(|(a, b)| a == Access::Write && b == v);
                let busy = if writes {
                    u64::from(op_latency(op, target).max(1))
                } else {
                    1
                };
                hull.cover(i, at, at + busy);
            }
            continue;
        }
        let Def::Op { op, position, .. } = du.def(func, v) else {
            continue;
        };
        let Some(at) = issue(position) else { continue };
        let produced = at + u64::from(op_latency(func.op(op), target));
        hull.touch(i, produced);
        for u in du.uses(v) {
            if let Some(read) = issue(u.position) {
                hull.touch(i, read);
            }
        }
    }
    hull.finish(TimeBase::Cycles, makespan)
}
