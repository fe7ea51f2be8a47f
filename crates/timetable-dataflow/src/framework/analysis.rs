//! What an analysis is: a lattice, a direction, a boundary and transfer functions.

use super::cfg::{BlockId, ControlFlowGraph};
use super::engine::{Results, iterate_to_fixpoint};
use super::lattice::JoinSemiLattice;
use timetable_ir::{Handle, Op};

/// Which way facts flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the entry along edges (reaching definitions, initialized buffers).
    Forward,
    /// From the exits against edges (liveness).
    Backward,
}

/// Where an op sits: its block and its index among the block's ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpLocation {
    pub block: BlockId,
    pub index: usize,
}

/// A dataflow analysis. The engine applies, for each block in the analysis direction, the
/// block-start effect, the op effects and the block-end effect (forward), or the block-end
/// effect, the op effects in reverse and the block-start effect (backward).
pub trait Analysis {
    type Domain: JoinSemiLattice;
    /// A short name for reports.
    const NAME: &'static str;
    const DIRECTION: Direction;

    /// The state every block starts from: the identity of `join`.
    fn bottom_value(&self) -> Self::Domain;

    /// Facts where the analysis enters the function: at the start of the entry block
    /// (forward) or at the end of every exit block (backward).
    fn initialize_boundary(&self, state: &mut Self::Domain);

    /// The transfer function of one op, in the analysis direction.
    fn apply_op_effect(&self, state: &mut Self::Domain, op: Handle<Op>, location: OpLocation);

    /// An effect at the start of a block (in program order), e.g. a loop header's.
    fn apply_block_start_effect(&self, _state: &mut Self::Domain, _block: BlockId) {}

    /// An effect at the end of a block (in program order), e.g. a back edge's.
    fn apply_block_end_effect(&self, _state: &mut Self::Domain, _block: BlockId) {}

    /// Runs the worklist solver to the fixpoint.
    fn iterate_to_fixpoint<G: ControlFlowGraph>(self, cfg: &G) -> Results<Self>
    where
        Self: Sized,
    {
        iterate_to_fixpoint(self, cfg)
    }
}
