//! The control-flow graphs the framework runs over.
//!
//! The IR's functions are straight-line today: one block, the function body. The engine
//! never assumes that; it only asks a [`ControlFlowGraph`] for blocks, edges and the ops
//! of each block. [`BlockGraph`] cuts a body into blocks with explicit edges, which is how
//! tests present loops (and how repeat loops will be presented) without changing the IR.

use std::fmt;
use timetable_ir::{Function, Handle, Op};

/// A block of a [`ControlFlowGraph`]; blocks are numbered `0..num_blocks`, and that order
/// is the layout (program order) of their ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(u32);

impl BlockId {
    pub fn new(index: usize) -> Self {
        BlockId(u32::try_from(index).expect("fewer than 2^32 blocks"))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bb{}", self.0)
    }
}

/// What the framework needs to know about control flow.
pub trait ControlFlowGraph {
    fn num_blocks(&self) -> usize;
    /// Where execution starts.
    fn entry(&self) -> BlockId;
    fn successors(&self, block: BlockId) -> &[BlockId];
    fn predecessors(&self, block: BlockId) -> &[BlockId];
    /// The ops of a block in execution order.
    fn ops(&self, block: BlockId) -> &[Handle<Op>];

    /// Every block in layout order.
    fn blocks(&self) -> impl Iterator<Item = BlockId> {
        (0..self.num_blocks()).map(BlockId::new)
    }

    /// Blocks where execution leaves the function (no successors).
    fn is_exit(&self, block: BlockId) -> bool {
        self.successors(block).is_empty()
    }
}

/// A function body as one block with no edges.
#[derive(Clone, Copy, Debug)]
pub struct StraightLine<'f> {
    body: &'f [Handle<Op>],
}

impl<'f> StraightLine<'f> {
    pub fn new(func: &'f Function) -> Self {
        StraightLine { body: &func.body }
    }
}

impl ControlFlowGraph for StraightLine<'_> {
    fn num_blocks(&self) -> usize {
        1
    }
    fn entry(&self) -> BlockId {
        BlockId(0)
    }
    fn successors(&self, _block: BlockId) -> &[BlockId] {
        &[]
    }
    fn predecessors(&self, _block: BlockId) -> &[BlockId] {
        &[]
    }
    fn ops(&self, _block: BlockId) -> &[Handle<Op>] {
        self.body
    }
}

/// Why a [`BlockGraph`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CfgError {
    NoBlocks,
    /// Block starts must be increasing and inside the body.
    BadSplit {
        start: usize,
        body_len: usize,
    },
    EdgeOutOfRange {
        from: usize,
        to: usize,
        blocks: usize,
    },
}

impl fmt::Display for CfgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CfgError::NoBlocks => write!(f, "a control-flow graph needs at least one block"),
            CfgError::BadSplit { start, body_len } => write!(
                f,
                "block start {start} is not increasing or not inside a body of {body_len} ops"
            ),
            CfgError::EdgeOutOfRange { from, to, blocks } => {
                write!(f, "edge {from} -> {to} leaves the {blocks} blocks")
            }
        }
    }
}

impl std::error::Error for CfgError {}

#[derive(Clone, Debug)]
struct BlockData {
    ops: Vec<Handle<Op>>,
    succs: Vec<BlockId>,
    preds: Vec<BlockId>,
}

/// An explicit control-flow graph over a function's ops; block 0 is the entry.
#[derive(Clone, Debug)]
pub struct BlockGraph {
    blocks: Vec<BlockData>,
}

impl BlockGraph {
    /// Blocks given by their ops, connected by `edges` (`(from, to)` block indices;
    /// duplicates are ignored).
    pub fn new(blocks: Vec<Vec<Handle<Op>>>, edges: &[(usize, usize)]) -> Result<Self, CfgError> {
        if blocks.is_empty() {
            return Err(CfgError::NoBlocks);
        }
        let n = blocks.len();
        let mut data: Vec<BlockData> = blocks
            .into_iter()
            .map(|ops| BlockData {
                ops,
                succs: Vec::new(),
                preds: Vec::new(),
            })
            .collect();
        let mut edges = edges.to_vec();
        edges.sort_unstable();
        edges.dedup();
        for (from, to) in edges {
            if from >= n || to >= n {
                return Err(CfgError::EdgeOutOfRange {
                    from,
                    to,
                    blocks: n,
                });
            }
            data[from].succs.push(BlockId::new(to));
            data[to].preds.push(BlockId::new(from));
        }
        Ok(BlockGraph { blocks: data })
    }

    /// Cuts `body` into blocks: block 0 starts at op 0 and block `i + 1` at `starts[i]`.
    pub fn split(
        body: &[Handle<Op>],
        starts: &[usize],
        edges: &[(usize, usize)],
    ) -> Result<Self, CfgError> {
        let mut bounds = Vec::with_capacity(starts.len() + 2);
        bounds.push(0);
        for &s in starts {
            if s <= *bounds.last().expect("non-empty") || s >= body.len() {
                return Err(CfgError::BadSplit {
                    start: s,
                    body_len: body.len(),
                });
            }
            bounds.push(s);
        }
        bounds.push(body.len());
        let blocks = bounds
            .windows(2)
            .map(|w| body[w[0]..w[1]].to_vec())
            .collect();
        BlockGraph::new(blocks, edges)
    }
}

impl ControlFlowGraph for BlockGraph {
    fn num_blocks(&self) -> usize {
        self.blocks.len()
    }
    fn entry(&self) -> BlockId {
        BlockId(0)
    }
    fn successors(&self, block: BlockId) -> &[BlockId] {
        &self.blocks[block.index()].succs
    }
    fn predecessors(&self, block: BlockId) -> &[BlockId] {
        &self.blocks[block.index()].preds
    }
    fn ops(&self, block: BlockId) -> &[Handle<Op>] {
        &self.blocks[block.index()].ops
    }
}

/// Blocks in postorder of a depth-first search from the entry, followed by unreachable
/// blocks in layout order (so every block is visited). Iterative: deep graphs are fine.
pub fn postorder<G: ControlFlowGraph>(cfg: &G) -> Vec<BlockId> {
    let n = cfg.num_blocks();
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    // Stack of (block, next successor to explore).
    let mut stack: Vec<(BlockId, usize)> = Vec::new();
    for root in std::iter::once(cfg.entry()).chain(cfg.blocks()) {
        if seen[root.index()] {
            continue;
        }
        seen[root.index()] = true;
        stack.push((root, 0));
        while let Some((block, next)) = stack.last_mut() {
            let succs = cfg.successors(*block);
            if let Some(&s) = succs.get(*next) {
                *next += 1;
                if !seen[s.index()] {
                    seen[s.index()] = true;
                    stack.push((s, 0));
                }
            } else {
                order.push(*block);
                stack.pop();
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(n: usize) -> Vec<Handle<Op>> {
        (0..n).map(Handle::new).collect()
    }

    #[test]
    fn split_makes_blocks_and_edges() {
        let body = ops(6);
        let g = BlockGraph::split(&body, &[2, 4], &[(0, 1), (1, 2), (2, 1), (1, 2)]).unwrap();
        assert_eq!(g.num_blocks(), 3);
        assert_eq!(g.ops(BlockId::new(1)), &body[2..4]);
        assert_eq!(g.successors(BlockId::new(1)), &[BlockId::new(2)]);
        assert_eq!(
            g.predecessors(BlockId::new(1)),
            &[BlockId::new(0), BlockId::new(2)]
        );
        assert!(g.is_exit(BlockId::new(2)) == g.successors(BlockId::new(2)).is_empty());
    }

    #[test]
    fn bad_graphs_are_rejected() {
        let body = ops(4);
        assert_eq!(
            BlockGraph::split(&body, &[2, 2], &[]).unwrap_err(),
            CfgError::BadSplit {
                start: 2,
                body_len: 4
            }
        );
        assert!(matches!(
            BlockGraph::split(&body, &[4], &[]),
            Err(CfgError::BadSplit { .. })
        ));
        assert!(matches!(
            BlockGraph::split(&body, &[1], &[(0, 2)]),
            Err(CfgError::EdgeOutOfRange { .. })
        ));
        assert_eq!(
            BlockGraph::new(vec![], &[]).unwrap_err(),
            CfgError::NoBlocks
        );
    }

    #[test]
    fn postorder_visits_every_block_once() {
        // 0 -> 1 -> 2 -> 1 (loop), 1 -> 3; block 4 unreachable.
        let g = BlockGraph::new(vec![vec![]; 5], &[(0, 1), (1, 2), (2, 1), (1, 3)]).unwrap();
        let po: Vec<usize> = postorder(&g).iter().map(|b| b.index()).collect();
        assert_eq!(po, vec![2, 3, 1, 0, 4]);
    }
}
