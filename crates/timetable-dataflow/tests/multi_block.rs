//! Liveness over a multi-block control-flow graph with a back edge. The IR has no blocks
//! (functions are straight-line), so the test presents a parsed function's ops as a loop
//! with `BlockGraph::split` — the same way repeat loops will be presented — and shows
//! that the fixpoint needs more than one visit per block to converge.

use std::fmt::Write;
use timetable_dataflow::framework::{BlockGraph, BlockId, ControlFlowGraph, StraightLine};
use timetable_dataflow::{BitSet, Liveness};
use timetable_ir::{Function, Handle, SourceFile, parse};

const LOOP: &str = r#"
module @loop target @tiny stage machine {
  func @main(%a: mem<2xf32> {role = "input"}, %y: mem<2xf32> {role = "output"}) -> () {
    %s = mem.alloc() : () -> mem<1xf32>
    %k = mem.read(%a) {index = 0} : (mem<2xf32>) -> vec<f32>
    %x = mem.read(%a) {index = 1} : (mem<2xf32>) -> vec<f32>
    mem.write(%x, %s) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    %v = mem.read(%s) {index = 0} : (mem<1xf32>) -> vec<f32>
    %w = vxm.mul(%v, %k) : (vec<f32>, vec<f32>) -> vec<f32>
    mem.write(%w, %s) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    %o = mem.read(%s) {index = 0} : (mem<1xf32>) -> vec<f32>
    mem.write(%o, %y) {index = 0} : (vec<f32>, mem<2xf32>) -> ()
  }
}"#;

fn names(func: &Function, set: &BitSet) -> String {
    let names: Vec<String> = set
        .iter()
        .map(|i| format!("%{}", func.value(Handle::new(i)).name))
        .collect();
    format!("[{}]", names.join(", "))
}

fn ranges(func: &Function, ranges: &timetable_dataflow::LiveRanges) -> String {
    ranges
        .iter()
        .map(|(v, r)| format!("%{} [{}, {})", func.value(v).name, r.start, r.end))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn liveness_around_a_back_edge_needs_a_second_pass() {
    let module = parse::parse_module(&SourceFile::new("loop.tir", LOOP)).unwrap();
    let func = &module.functions[0];
    // bb0: ops 0-3 (preheader), bb1: ops 4-5 (loop header), bb2: op 6 (latch, back edge
    // to bb1), bb3: ops 7-8 (exit).
    let cfg = BlockGraph::split(&func.body, &[4, 6, 7], &[(0, 1), (1, 2), (2, 1), (2, 3)]).unwrap();
    let liveness = Liveness::compute(func, &cfg);
    let stats = liveness.stats();

    let mut out = String::new();
    writeln!(
        out,
        "liveness: {} block visits for {} blocks; initialized: {} visits",
        stats.live.block_visits, stats.live.blocks, stats.initialized.block_visits
    )
    .unwrap();
    let mut cursor = liveness.results().cursor(&cfg);
    for b in cfg.blocks() {
        cursor.seek_to_block_start(b);
        let succs: Vec<String> = cfg.successors(b).iter().map(BlockId::to_string).collect();
        writeln!(
            out,
            "{b} ({} ops, to [{}]): live in {}, live out {}",
            cfg.ops(b).len(),
            succs.join(", "),
            names(func, cursor.get()),
            names(func, liveness.results().entry_state(b)),
        )
        .unwrap();
    }
    writeln!(
        out,
        "ranges with the loop: {}",
        ranges(func, &liveness.ranges())
    )
    .unwrap();
    let line = StraightLine::new(func);
    let straight = Liveness::compute(func, &line);
    writeln!(
        out,
        "ranges straight-line: {}",
        ranges(func, &straight.ranges())
    )
    .unwrap();
    insta::assert_snapshot!(out);

    // More than one visit per block: the back edge carried `%k` into the latch.
    assert_eq!(stats.live.blocks, 4);
    assert_eq!(stats.live.block_visits, 6);
    assert_eq!(straight.stats().live.block_visits, 1);
    let k = func.op(func.body[1]).results[0];
    assert!(
        liveness
            .results()
            .entry_state(BlockId::new(2))
            .contains(k.index())
    );
    assert_eq!(liveness.ranges().get(k).unwrap().end, 7);
    assert_eq!(straight.ranges().get(k).unwrap().end, 6);
}
