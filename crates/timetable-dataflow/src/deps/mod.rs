//! The dependence DAG of a straight-line function: nodes are ops in program order, edges
//! say "this op may issue no earlier than `latency` cycles after that one".
//!
//! - Register (data) dependences follow def-use chains of vector values: latency is the
//!   producer's functional delay plus a lower bound on the hops to the consumer
//!   ([`sites`]).
//! - Memory and state dependences (RAW, WAR, WAW) order ops that touch the same location
//!   of `effects::locations`: buffer elements (memory words, once buffers are placed, so
//!   different buffers sharing words are ordered too), MXM weights and accumulators, and
//!   barriers, which are ordered with every other effect.
//!
//! Every edge goes from an earlier op to a later one, so body order is a topological
//! order. Construction is linear: per location, the last writer and the readers since it.

mod build;
pub mod sites;

pub use build::memory_dep;
pub use sites::{HopModel, HopStats, Site};

use timetable_ir::effects::Location;
use timetable_ir::{Function, Handle, Op, Target, Value};

/// Why one op must wait for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepKind {
    /// The op reads a vector the other produces.
    Data,
    /// Read after write of the same location.
    Raw,
    /// Write after read.
    War,
    /// Write after write.
    Waw,
}

impl DepKind {
    pub const ALL: [DepKind; 4] = [DepKind::Data, DepKind::Raw, DepKind::War, DepKind::Waw];

    pub fn name(self) -> &'static str {
        match self {
            DepKind::Data => "data",
            DepKind::Raw => "raw",
            DepKind::War => "war",
            DepKind::Waw => "waw",
        }
    }
}

/// A location two ops both touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemoryLocation {
    /// Machine state as `effects::locations` names it (unplaced buffers by name and index).
    State(Location),
    /// One word of a bank: placed buffers are tracked word by word.
    Word { slice: u32, bank: u32, addr: u32 },
}

/// What the dependence carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Value(Handle<Value>),
    Memory(MemoryLocation),
}

/// An edge into an op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dep {
    /// Body index of the op depended on (always earlier).
    pub from: u32,
    pub kind: DepKind,
    /// Minimum cycles between the two issues.
    pub latency: u32,
    pub cause: Cause,
}

/// The dependence DAG of one function, in compressed adjacency form.
#[derive(Clone, Debug)]
pub struct DepGraph {
    ops: Vec<Handle<Op>>,
    latency: Vec<u32>,
    /// `preds[pred_start[n]..pred_start[n + 1]]` are the edges into node `n`.
    pred_start: Vec<u32>,
    preds: Vec<Dep>,
    /// `succs[succ_start[n]..succ_start[n + 1]]`: (target node, index into `preds`).
    succ_start: Vec<u32>,
    succs: Vec<(u32, u32)>,
    hops: HopStats,
}

impl DepGraph {
    /// Builds the graph of `func` with `target`'s latencies and layout.
    pub fn build(func: &Function, target: &Target) -> DepGraph {
        build::build(func, target)
    }

    /// Number of nodes (ops in the body).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The op of a node.
    pub fn op(&self, node: usize) -> Handle<Op> {
        self.ops[node]
    }

    /// The node's functional delay: cycles from its issue until it has completed.
    pub fn latency(&self, node: usize) -> u32 {
        self.latency[node]
    }

    /// Edges into `node`, sorted by source node.
    pub fn preds(&self, node: usize) -> &[Dep] {
        &self.preds[self.pred_start[node] as usize..self.pred_start[node + 1] as usize]
    }

    /// Edges out of `node`: (target node, edge).
    pub fn succs(&self, node: usize) -> impl Iterator<Item = (usize, &Dep)> + '_ {
        self.succs[self.succ_start[node] as usize..self.succ_start[node + 1] as usize]
            .iter()
            .map(|&(to, e)| (to as usize, &self.preds[e as usize]))
    }

    /// Every edge as (target node, edge), grouped by target in node order.
    pub fn edges(&self) -> impl Iterator<Item = (usize, &Dep)> + '_ {
        (0..self.len()).flat_map(move |n| self.preds(n).iter().map(move |d| (n, d)))
    }

    pub fn edge_count(&self) -> usize {
        self.preds.len()
    }

    /// Edges of each kind, in [`DepKind::ALL`] order.
    pub fn count_by_kind(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for d in &self.preds {
            counts[d.kind as usize] += 1;
        }
        counts
    }

    /// How hop distances of data edges were bounded.
    pub fn hop_stats(&self) -> HopStats {
        self.hops
    }
}
