//! Property tests on generated programs: liveness and dependences agree with brute-force
//! definitions written independently of the framework.

use proptest::prelude::*;
use std::collections::BTreeSet;
use timetable_dataflow::deps::{DepGraph, memory_dep};
use timetable_dataflow::framework::StraightLine;
use timetable_dataflow::program::op_latency;
use timetable_dataflow::{Interval, Liveness};
use timetable_ir::effects::{self, Location};
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::machine::{self, Placement, Role, keys};
use timetable_ir::registry::{Access, Opcode};
use timetable_ir::types::ElemType;
use timetable_ir::{Function, Handle, Module, Target, Value, ValueDef};

fn tiny() -> &'static Target {
    timetable_ir::target::builtin("tiny").unwrap()
}

fn program(ops: usize, seed: u64, int: bool, mxm: bool) -> Module {
    let cfg = GenConfig {
        ops,
        seed,
        elem: if int { ElemType::I16 } else { ElemType::F32 },
        mxm,
        ..GenConfig::default()
    };
    machine_program(&cfg, tiny())
}

fn role(func: &Function, v: Handle<Value>) -> Option<Role> {
    func.args
        .iter()
        .find(|a| a.value == v)
        .and_then(|a| a.attrs.get(keys::ROLE))
        .and_then(|r| Role::parse(r).ok())
}

/// What op `i` does to value `v`, by direct inspection of the op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Touch {
    None,
    Read,
    Write,
}

fn touch(func: &Function, i: usize, v: Handle<Value>) -> Touch {
    let op = func.op(func.body[i]);
    let pos = op.operands.iter().position(|&o| o == v);
    match (op.opcode, pos) {
        (Opcode::MemWrite, Some(1)) => Touch::Write,
        (_, Some(_)) => Touch::Read,
        _ => Touch::None,
    }
}

/// Whether `v` is live after op `i` (`i = -1`: at entry), straight from the definition:
/// - a vector: defined at or before `i` and used after it;
/// - a buffer: its contents are still needed — the next access after `i` (or the end,
///   for an output) exists, and if nothing has put data in it yet (no write at or
///   before `i`, not an input or constant), that next event must read it.
fn brute_live_after(func: &Function, i: isize, v: Handle<Value>) -> bool {
    let n = func.body.len() as isize;
    let after = (i + 1)..n;
    if !func.ty(v).is_mem() {
        let defined = match func.value(v).def {
            ValueDef::Arg(_) => true,
            ValueDef::Result { op, .. } => {
                func.body.iter().position(|&h| h == op).unwrap() as isize <= i
            }
        };
        return defined
            && after
                .clone()
                .any(|j| touch(func, j as usize, v) == Touch::Read);
    }
    let constant = match func.value(v).def {
        ValueDef::Result { op, .. } => func.op(op).opcode == Opcode::MemConst,
        ValueDef::Arg(_) => false,
    };
    let preloaded = constant || role(func, v) == Some(Role::Input);
    let written = (0..=i).any(|k| touch(func, k as usize, v) == Touch::Write);
    let next = after
        .map(|j| touch(func, j as usize, v))
        .find(|&t| t != Touch::None);
    let output = role(func, v) == Some(Role::Output);
    match next {
        Some(t) => preloaded || written || t == Touch::Read,
        None => output,
    }
}

/// The hull of the times `v` is live or touched, from the definition above.
fn brute_range(func: &Function, v: Handle<Value>) -> Option<Interval> {
    let n = func.body.len() as u64;
    let mut times = BTreeSet::new();
    for i in -1..func.body.len() as isize {
        if brute_live_after(func, i, v) {
            // Live between op i and op i + 1: it occupies both.
            if i >= 0 {
                times.insert(i as u64);
            }
            if ((i + 1) as u64) < n {
                times.insert((i + 1) as u64);
            }
        }
    }
    for i in 0..func.body.len() {
        let defines = func.op(func.body[i]).results.contains(&v) && !func.ty(v).is_mem();
        if defines || touch(func, i, v) != Touch::None {
            times.insert(i as u64);
        }
    }
    Some(Interval::new(*times.first()?, *times.last()? + 1).unwrap())
}

fn check_liveness(module: &Module) -> Result<(), TestCaseError> {
    let func = &module.functions[0];
    let cfg = StraightLine::new(func);
    let liveness = Liveness::compute(func, &cfg);
    let mut seen = 0;
    let mut failure = None;
    liveness.for_each_live_out(|at, _, live| {
        seen += 1;
        let expected: BTreeSet<Handle<Value>> = func
            .values
            .handles()
            .filter(|&v| brute_live_after(func, at.index as isize, v))
            .collect();
        let actual: BTreeSet<Handle<Value>> = live.iter().collect();
        if expected != actual && failure.is_none() {
            failure = Some(format!(
                "after op {}: dataflow {:?}, brute force {:?}",
                at.index, actual, expected
            ));
        }
    });
    prop_assert_eq!(seen, func.body.len());
    if let Some(f) = failure {
        return Err(TestCaseError::fail(f));
    }
    let ranges = liveness.ranges();
    for v in func.values.handles() {
        prop_assert_eq!(
            ranges.get(v),
            brute_range(func, v),
            "range of %{}",
            &func.value(v).name
        );
    }
    let entry: BTreeSet<usize> = liveness.live_at_entry().iter().collect();
    let brute_entry: BTreeSet<usize> = func
        .values
        .handles()
        .filter(|&v| brute_live_after(func, -1, v))
        .map(Handle::index)
        .collect();
    prop_assert_eq!(entry, brute_entry);
    Ok(())
}

/// Places every buffer at a random spot of a small region, so that different buffers
/// often share words.
fn place_randomly(module: &mut Module, seed: u64) {
    let func = &mut module.functions[0];
    let mut state = seed | 1;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n) as u32
    };
    for (_, def) in machine::buffers(func) {
        let p = Placement {
            slice: next(2),
            bank: next(2),
            addr: next(12),
        };
        machine::buffer_attrs_mut(func, def).set(keys::MEM, p.to_attr());
    }
}

/// A memory word, or (for unplaced state) the abstract location itself.
type Key = (u32, u32, u32, Option<Location>);

/// What an access touches, expanded by brute force.
fn footprint(func: &Function, target: &Target, loc: Location) -> BTreeSet<Key> {
    if let Location::BufferElement { buffer, index } = loc
        && let Some(p) = machine::placement(func, buffer)
    {
        let w = target.vector_words(func.ty(buffer).elem());
        return (p.addr + index * w..p.addr + (index + 1) * w)
            .map(|a| (p.slice, p.bank, a, None))
            .collect();
    }
    [(0, 0, 0, Some(loc))].into_iter().collect()
}

/// Every ordering the definition requires must be implied by a path whose latency is at
/// least the required one.
fn check_deps(module: &Module) -> Result<(), TestCaseError> {
    let target = tiny();
    let func = &module.functions[0];
    let g = DepGraph::build(func, target);
    let n = func.body.len();
    prop_assert_eq!(g.len(), n);
    let latency: Vec<u32> = func
        .body_ops()
        .map(|(_, op)| op_latency(op, target))
        .collect();
    let accesses: Vec<Vec<(Access, Location)>> = func
        .body_ops()
        .map(|(_, op)| effects::locations(func, op))
        .collect();
    for (to, d) in g.edges() {
        prop_assert!(
            (d.from as usize) < to,
            "edge {} -> {to} goes backwards",
            d.from
        );
    }
    for i in 0..n {
        // Longest path from i to every later node.
        let mut dist: Vec<Option<u64>> = vec![None; n];
        dist[i] = Some(0);
        for j in i + 1..n {
            dist[j] = g
                .preds(j)
                .iter()
                .filter_map(|d| dist[d.from as usize].map(|x| x + u64::from(d.latency)))
                .max();
        }
        for j in i + 1..n {
            let mut required: Option<u64> = None;
            let mut need = |l: u64| required = Some(required.map_or(l, |r: u64| r.max(l)));
            // Data: j reads a vector i produces (at least i's delay after it).
            let produced = &func.op(func.body[i]).results;
            if func
                .op(func.body[j])
                .operands
                .iter()
                .any(|v| produced.contains(v) && !func.ty(*v).is_mem())
            {
                need(u64::from(latency[i]));
            }
            for &(ai, li) in &accesses[i] {
                for &(aj, lj) in &accesses[j] {
                    let barrier = li == Location::Barrier || lj == Location::Barrier;
                    let shared = barrier
                        || !footprint(func, target, li).is_disjoint(&footprint(func, target, lj));
                    if !shared {
                        continue;
                    }
                    if let Some((_, l)) = memory_dep((ai, latency[i]), (aj, latency[j])) {
                        need(u64::from(l));
                    }
                }
            }
            if let Some(r) = required {
                prop_assert!(
                    dist[j].is_some_and(|d| d >= r),
                    "#{i} {} must precede #{j} {} by {r} cycles; longest path: {:?}",
                    func.op(func.body[i]).opcode,
                    func.op(func.body[j]).opcode,
                    dist[j]
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn liveness_agrees_with_brute_force(
        ops in 5usize..120, seed in 0u64..1_000_000, int in any::<bool>(), mxm in any::<bool>()
    ) {
        check_liveness(&program(ops, seed, int, mxm))?;
    }

    #[test]
    fn dependences_imply_every_required_ordering(
        ops in 5usize..100, seed in 0u64..1_000_000, mxm in any::<bool>(), placed in any::<bool>()
    ) {
        let mut m = program(ops, seed, false, mxm);
        if placed {
            place_randomly(&mut m, seed);
        }
        check_deps(&m)?;
    }
}

/// Cases the generator does not produce: a read of an unwritten scratch buffer, an unused
/// input, an output never written, a constant, a barrier.
#[test]
fn liveness_and_dependences_agree_on_corner_cases() {
    let text = r#"
module @corner target @tiny stage machine {
  func @main(%a: mem<2xf32> {role = "input"}, %unused: mem<1xf32> {role = "input"}, %y: mem<2xf32> {role = "output"}, %never: mem<1xf32> {role = "output"}) -> () {
    %s = mem.alloc() : () -> mem<2xf32>
    %k = mem.const() {value = dense<1.0>} : () -> mem<1xf32>
    %u = mem.read(%s) {index = 1} : (mem<2xf32>) -> vec<f32>
    %x = mem.read(%a) {index = 0} : (mem<2xf32>) -> vec<f32>
    mem.write(%x, %s) {index = 0} : (vec<f32>, mem<2xf32>) -> ()
    %x2 = mem.read(%s) {index = 0} : (mem<2xf32>) -> vec<f32>
    icu.notify() : () -> ()
    mem.write(%x2, %s) {index = 1} : (vec<f32>, mem<2xf32>) -> ()
    %k0 = mem.read(%k) {index = 0} : (mem<1xf32>) -> vec<f32>
    %r = vxm.add(%u, %k0) : (vec<f32>, vec<f32>) -> vec<f32>
    mem.write(%r, %y) {index = 0} : (vec<f32>, mem<2xf32>) -> ()
    mem.write(%x, %y) {index = 1} : (vec<f32>, mem<2xf32>) -> ()
  }
}"#;
    let m = timetable_ir::parse::parse_module(&timetable_ir::SourceFile::new("c", text)).unwrap();
    timetable_ir::verify::verify(&m, tiny()).unwrap();
    check_liveness(&m).unwrap();
    check_deps(&m).unwrap();
    let func = &m.functions[0];
    let cfg = StraightLine::new(func);
    let liveness = Liveness::compute(func, &cfg);
    assert_eq!(liveness.uninitialized_reads().len(), 1);
}
