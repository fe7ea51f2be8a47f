//! The worklist solver.

use super::analysis::{Analysis, Direction, OpLocation};
use super::cfg::{BlockId, ControlFlowGraph, postorder};
use super::cursor::ResultsCursor;
use super::lattice::JoinSemiLattice;
use std::collections::VecDeque;

/// How much work the solver did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixpointStats {
    pub blocks: usize,
    /// Times a block's transfer function was applied. Equal to `blocks` when one pass in
    /// the analysis direction sufficed; larger when a loop needed more iterations.
    pub block_visits: usize,
}

/// The fixpoint: one state per block, where the analysis enters it — the block's start
/// for forward analyses, its end for backward ones. States inside a block are recomputed
/// on demand by a [`ResultsCursor`].
pub struct Results<A: Analysis> {
    analysis: A,
    entry_states: Vec<A::Domain>,
    stats: FixpointStats,
}

impl<A: Analysis> Results<A> {
    pub fn analysis(&self) -> &A {
        &self.analysis
    }

    /// The state where the analysis enters `block` (start if forward, end if backward).
    pub fn entry_state(&self, block: BlockId) -> &A::Domain {
        &self.entry_states[block.index()]
    }

    pub fn stats(&self) -> FixpointStats {
        self.stats
    }

    /// A cursor for per-op queries over the graph the results were computed on.
    pub fn cursor<'a, G: ControlFlowGraph>(&'a self, cfg: &'a G) -> ResultsCursor<'a, A, G> {
        ResultsCursor::new(self, cfg)
    }
}

/// Runs `analysis` over `cfg` until no block's entry state changes.
///
/// The worklist starts in reverse postorder (forward) or postorder (backward), so an
/// acyclic graph needs one visit per block; a block is requeued whenever joining into its
/// entry state changed it. Only entry states are stored.
pub fn iterate_to_fixpoint<A: Analysis, G: ControlFlowGraph>(analysis: A, cfg: &G) -> Results<A> {
    let n = cfg.num_blocks();
    let mut entry_states: Vec<A::Domain> = (0..n).map(|_| analysis.bottom_value()).collect();
    let mut order = postorder(cfg);
    match A::DIRECTION {
        Direction::Forward => {
            analysis.initialize_boundary(&mut entry_states[cfg.entry().index()]);
            order.reverse();
        }
        Direction::Backward => {
            for b in cfg.blocks().filter(|&b| cfg.is_exit(b)) {
                analysis.initialize_boundary(&mut entry_states[b.index()]);
            }
        }
    }
    let mut queued = vec![true; n];
    let mut worklist: VecDeque<BlockId> = order.into();
    let mut state = analysis.bottom_value();
    let mut block_visits = 0;
    while let Some(block) = worklist.pop_front() {
        queued[block.index()] = false;
        block_visits += 1;
        state.clone_from(&entry_states[block.index()]);
        let steps = block_steps(cfg, block);
        for step in 1..=steps {
            apply_step(&analysis, cfg, block, step, &mut state);
        }
        let next = match A::DIRECTION {
            Direction::Forward => cfg.successors(block),
            Direction::Backward => cfg.predecessors(block),
        };
        for &b in next {
            if entry_states[b.index()].join(&state) && !queued[b.index()] {
                queued[b.index()] = true;
                worklist.push_back(b);
            }
        }
    }
    Results {
        analysis,
        entry_states,
        stats: FixpointStats {
            blocks: n,
            block_visits,
        },
    }
}

/// Effects in a block: its start, its ops and its end.
pub(super) fn block_steps<G: ControlFlowGraph>(cfg: &G, block: BlockId) -> usize {
    cfg.ops(block).len() + 2
}

/// Applies the `step`-th effect (1-based) of `block` in the analysis direction: forward
/// order is start, ops, end; backward order is end, ops reversed, start.
pub(super) fn apply_step<A: Analysis, G: ControlFlowGraph>(
    analysis: &A,
    cfg: &G,
    block: BlockId,
    step: usize,
    state: &mut A::Domain,
) {
    let ops = cfg.ops(block);
    let n = ops.len();
    debug_assert!((1..=n + 2).contains(&step));
    let (first, last) = match A::DIRECTION {
        Direction::Forward => (step == 1, step == n + 2),
        Direction::Backward => (step == n + 2, step == 1),
    };
    if first {
        analysis.apply_block_start_effect(state, block);
    } else if last {
        analysis.apply_block_end_effect(state, block);
    } else {
        let index = match A::DIRECTION {
            Direction::Forward => step - 2,
            Direction::Backward => n - (step - 1),
        };
        analysis.apply_op_effect(state, ops[index], OpLocation { block, index });
    }
}
