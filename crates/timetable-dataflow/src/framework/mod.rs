//! A small generic fixpoint framework in the spirit of rustc's `rustc_mir_dataflow`.
//!
//! - [`JoinSemiLattice`]: the domain of facts; `join` merges facts where control flow
//!   meets and says whether anything changed.
//! - [`Analysis`]: a domain, a [`Direction`], a boundary state and a transfer function per
//!   op (plus optional block-start and block-end effects).
//! - [`ControlFlowGraph`]: blocks, successors, predecessors and the ops of each block.
//!   Functions are straight-line today ([`StraightLine`]); [`BlockGraph`] presents the
//!   ops of a function as any graph, so loops need no new engine.
//! - [`iterate_to_fixpoint`]: a worklist solver that stores one state per block (where
//!   the analysis enters it) and requeues blocks whose entry state grew.
//! - [`ResultsCursor`]: per-op states, recomputed inside a block from its entry state;
//!   linear when seeking in the analysis direction.

mod analysis;
mod cfg;
mod cursor;
mod engine;
mod lattice;
#[cfg(test)]
mod tests;

pub use analysis::{Analysis, Direction, OpLocation};
pub use cfg::{BlockGraph, BlockId, CfgError, ControlFlowGraph, StraightLine, postorder};
pub use cursor::ResultsCursor;
pub use engine::{FixpointStats, Results, iterate_to_fixpoint};
pub use lattice::JoinSemiLattice;
