//! Per-op states from block entry states.

use super::analysis::{Analysis, Direction, OpLocation};
use super::cfg::{BlockId, ControlFlowGraph};
use super::engine::{Results, apply_step, block_steps};

/// A program point inside a block, in program order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Point {
    BlockStart,
    Before(usize),
    After(usize),
    BlockEnd,
}

/// Recomputes the state at any point of a block by applying effects to the block's entry
/// state. Seeking in the analysis direction within one block continues from the current
/// state, so visiting every op of a block that way costs one pass over it; seeking
/// against the direction restarts from the entry state.
pub struct ResultsCursor<'a, A: Analysis, G: ControlFlowGraph> {
    results: &'a Results<A>,
    cfg: &'a G,
    state: A::Domain,
    block: BlockId,
    /// Effects applied to the entry state of `block`, in the analysis direction.
    steps: usize,
}

impl<'a, A: Analysis, G: ControlFlowGraph> ResultsCursor<'a, A, G> {
    pub(super) fn new(results: &'a Results<A>, cfg: &'a G) -> Self {
        let block = cfg.entry();
        ResultsCursor {
            results,
            cfg,
            state: results.entry_state(block).clone(),
            block,
            steps: 0,
        }
    }

    pub fn results(&self) -> &'a Results<A> {
        self.results
    }

    /// The state at the current point.
    pub fn get(&self) -> &A::Domain {
        &self.state
    }

    /// Before the block's start effect (program order).
    pub fn seek_to_block_start(&mut self, block: BlockId) {
        self.seek(block, Point::BlockStart);
    }

    /// After the block's end effect (program order).
    pub fn seek_to_block_end(&mut self, block: BlockId) {
        self.seek(block, Point::BlockEnd);
    }

    /// Just before the op executes.
    pub fn seek_before(&mut self, at: OpLocation) {
        self.seek(at.block, Point::Before(at.index));
    }

    /// Just after the op executes.
    pub fn seek_after(&mut self, at: OpLocation) {
        self.seek(at.block, Point::After(at.index));
    }

    fn seek(&mut self, block: BlockId, point: Point) {
        let n = self.cfg.ops(block).len();
        if let Point::Before(i) | Point::After(i) = point {
            assert!(i < n, "op {i} of {block}, which has {n} ops");
        }
        let target = match (A::DIRECTION, point) {
            (Direction::Forward, Point::BlockStart) | (Direction::Backward, Point::BlockEnd) => 0,
            (Direction::Forward, Point::Before(i)) => 1 + i,
            (Direction::Forward, Point::After(i)) => 2 + i,
            (Direction::Backward, Point::After(i)) => n - i,
            (Direction::Backward, Point::Before(i)) => n + 1 - i,
            (Direction::Forward, Point::BlockEnd) | (Direction::Backward, Point::BlockStart) => {
                block_steps(self.cfg, block)
            }
        };
        if block != self.block || target < self.steps {
            self.state.clone_from(self.results.entry_state(block));
            self.block = block;
            self.steps = 0;
        }
        while self.steps < target {
            self.steps += 1;
            apply_step(
                self.results.analysis(),
                self.cfg,
                block,
                self.steps,
                &mut self.state,
            );
        }
    }
}
