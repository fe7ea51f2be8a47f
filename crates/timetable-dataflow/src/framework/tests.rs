//! Engine and cursor tests on toy analyses over abstract ops (op handles used as ids, no
//! IR needed).

use super::*;
use crate::bitset::BitSet;
use std::cell::Cell;
use timetable_ir::{Handle, Op};

fn ops(range: std::ops::Range<usize>) -> Vec<Handle<Op>> {
    range.map(Handle::new).collect()
}

/// Backward gen/kill liveness over abstract variables: op `i` defines `defs[i]` and uses
/// `uses[i]`. Counts transfer-function calls.
struct ToyLiveness {
    vars: usize,
    defs: Vec<Vec<usize>>,
    uses: Vec<Vec<usize>>,
    live_at_exit: Vec<usize>,
    calls: Cell<usize>,
}

impl ToyLiveness {
    fn new(vars: usize, ops: &[(&[usize], &[usize])]) -> Self {
        ToyLiveness {
            vars,
            defs: ops.iter().map(|(d, _)| d.to_vec()).collect(),
            uses: ops.iter().map(|(_, u)| u.to_vec()).collect(),
            live_at_exit: Vec::new(),
            calls: Cell::new(0),
        }
    }
}

impl Analysis for ToyLiveness {
    type Domain = BitSet;
    const NAME: &'static str = "toy-liveness";
    const DIRECTION: Direction = Direction::Backward;

    fn bottom_value(&self) -> BitSet {
        BitSet::new_empty(self.vars)
    }

    fn initialize_boundary(&self, state: &mut BitSet) {
        for &v in &self.live_at_exit {
            state.insert(v);
        }
    }

    fn apply_op_effect(&self, state: &mut BitSet, op: Handle<Op>, _at: OpLocation) {
        self.calls.set(self.calls.get() + 1);
        for &d in &self.defs[op.index()] {
            state.remove(d);
        }
        for &u in &self.uses[op.index()] {
            state.insert(u);
        }
    }
}

/// Forward: which blocks may have run before a point (block-end effects only).
struct BlocksRun {
    blocks: usize,
}

impl Analysis for BlocksRun {
    type Domain = BitSet;
    const NAME: &'static str = "blocks-run";
    const DIRECTION: Direction = Direction::Forward;

    fn bottom_value(&self) -> BitSet {
        BitSet::new_empty(self.blocks)
    }

    fn initialize_boundary(&self, _state: &mut BitSet) {}

    fn apply_op_effect(&self, _state: &mut BitSet, _op: Handle<Op>, _at: OpLocation) {}

    fn apply_block_end_effect(&self, state: &mut BitSet, block: BlockId) {
        state.insert(block.index());
    }
}

fn members(s: &BitSet) -> Vec<usize> {
    s.iter().collect()
}

#[test]
fn acyclic_graphs_need_one_visit_per_block() {
    // Diamond: 0 -> {1, 2} -> 3.
    let g = BlockGraph::new(vec![vec![]; 4], &[(0, 1), (0, 2), (1, 3), (2, 3)]).unwrap();
    let r = BlocksRun { blocks: 4 }.iterate_to_fixpoint(&g);
    assert_eq!(
        r.stats(),
        FixpointStats {
            blocks: 4,
            block_visits: 4
        }
    );
    assert_eq!(members(r.entry_state(BlockId::new(3))), vec![0, 1, 2]);
    assert_eq!(members(r.entry_state(BlockId::new(1))), vec![0]);
    let mut c = r.cursor(&g);
    c.seek_to_block_end(BlockId::new(3));
    assert_eq!(members(c.get()), vec![0, 1, 2, 3]);
}

#[test]
fn loops_iterate_until_nothing_changes() {
    // 0 -> 1 -> 2 -> 1 (back edge), 2 -> 3. Facts from the latch reach the header only
    // on a second visit.
    let g = BlockGraph::new(vec![vec![]; 4], &[(0, 1), (1, 2), (2, 1), (2, 3)]).unwrap();
    let r = BlocksRun { blocks: 4 }.iterate_to_fixpoint(&g);
    assert_eq!(members(r.entry_state(BlockId::new(1))), vec![0, 1, 2]);
    assert_eq!(members(r.entry_state(BlockId::new(3))), vec![0, 1, 2]);
    assert!(r.stats().block_visits > 4, "{:?}", r.stats());
}

/// A value defined before a loop and used only in the loop header is live around the
/// whole loop, latch included: found on the second visit of the latch.
#[test]
fn backward_liveness_around_a_back_edge() {
    // Ops: 0: def a | 1: use a, def b | 2: use b | 3: use b.
    let mut toy = ToyLiveness::new(2, &[(&[0], &[]), (&[1], &[0]), (&[], &[1]), (&[], &[1])]);
    toy.live_at_exit = vec![];
    let body = ops(0..4);
    let g = BlockGraph::split(&body, &[1, 2, 3], &[(0, 1), (1, 2), (2, 1), (2, 3)]).unwrap();
    let r = toy.iterate_to_fixpoint(&g);
    // Live-out of the latch (block 2) includes `a`, although block 2 never mentions it.
    assert_eq!(members(r.entry_state(BlockId::new(2))), vec![0, 1]);
    assert_eq!(members(r.entry_state(BlockId::new(0))), vec![0]);
    let stats = r.stats();
    assert_eq!(stats.blocks, 4);
    assert_eq!(
        stats.block_visits, 6,
        "postorder 3,2,1,0 then 2 and 1 again"
    );
    let mut c = r.cursor(&g);
    c.seek_to_block_start(BlockId::new(2));
    assert_eq!(members(c.get()), vec![0, 1]);
}

#[test]
fn cursor_matches_recomputation_and_is_linear_in_the_analysis_direction() {
    // Straight line: 0: def 0 | 1: def 1 use 0 | 2: use 1 | 3: def 2 use 0,1 | 4: use 2.
    let toy = ToyLiveness::new(
        3,
        &[
            (&[0], &[]),
            (&[1], &[0]),
            (&[], &[1]),
            (&[2], &[0, 1]),
            (&[], &[2]),
        ],
    );
    let body = ops(0..5);
    let g = BlockGraph::new(vec![body.clone()], &[]).unwrap();
    let r = toy.iterate_to_fixpoint(&g);
    assert_eq!(r.stats().block_visits, 1);
    let expected_live_out: [&[usize]; 5] = [&[0], &[0, 1], &[0, 1], &[2], &[]];
    let calls = &r.analysis().calls;
    calls.set(0);
    let mut c = r.cursor(&g);
    for index in (0..5).rev() {
        let at = OpLocation {
            block: BlockId::new(0),
            index,
        };
        c.seek_after(at);
        assert_eq!(
            members(c.get()),
            expected_live_out[index],
            "after op {index}"
        );
        c.seek_before(at);
        let live_in: Vec<usize> = match index {
            0 => vec![],
            i => expected_live_out[i - 1].to_vec(),
        };
        assert_eq!(members(c.get()), live_in, "before op {index}");
    }
    assert_eq!(calls.get(), 5, "a backward walk applies each op once");
    // Against the direction, every seek restarts from the block's entry state.
    calls.set(0);
    for index in 0..5 {
        c.seek_after(OpLocation {
            block: BlockId::new(0),
            index,
        });
    }
    assert_eq!(calls.get(), 4 + 3 + 2 + 1);
}

#[test]
fn straight_line_is_one_block_without_edges() {
    let func = timetable_ir::Function::new("f", vec![]);
    let g = StraightLine::new(&func);
    assert_eq!(g.num_blocks(), 1);
    assert!(g.is_exit(g.entry()));
    let r = BlocksRun { blocks: 1 }.iterate_to_fixpoint(&g);
    assert_eq!(r.stats().block_visits, 1);
    let mut c = r.cursor(&g);
    c.seek_to_block_end(g.entry());
    assert_eq!(members(c.get()), vec![0]);
}
