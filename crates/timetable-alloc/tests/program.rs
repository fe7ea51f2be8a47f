//! The IR allocator end to end: generated programs (`timetable_ir::generate`)
//! and hand-written modules are allocated, and every result goes through the
//! verifier with the independent allocation checker.

use proptest::prelude::*;
use timetable_alloc::module_check::{self, CHECK};
use timetable_alloc::program::{Options, allocate};
use timetable_alloc::{Limits, codes};
use timetable_ir::diag::Diagnostics;
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::machine::{self, Placement};
use timetable_ir::verify::{ModuleCheck, verify_with};
use timetable_ir::{ElemType, Module, SourceFile, Stage, Target, parse, print, target};

fn tiny() -> &'static Target {
    target::builtin("tiny").unwrap()
}

fn tsp() -> &'static Target {
    target::builtin("tsp").unwrap()
}

fn options() -> Options {
    Options {
        limits: Limits {
            nodes: 100_000,
            time: None,
        },
        ..Options::default()
    }
}

/// Allocates a copy of `module`; on success the copy verifies with the
/// checker, prints and parses back to itself, and is allocated the same way
/// a second time.
fn allocate_checked(module: &Module, target: &Target) -> Result<Module, Diagnostics> {
    let mut m = module.clone();
    allocate(&mut m, target, &options())?;
    assert_eq!(m.stage, Stage::Allocated.max(module.stage));
    let checks: [&dyn ModuleCheck; 1] = [&CHECK];
    if let Err(d) = verify_with(&m, target, &checks) {
        panic!("allocated module does not verify: {}\n{m}", d[0]);
    }
    if let Err(e) = every_read_sees_its_data(&m) {
        panic!("{e}\n{m}");
    }
    let text = print::print_module(&m);
    let reparsed = parse::parse_module(&SourceFile::new("printed", text.as_str())).unwrap();
    assert!(reparsed == m, "print/parse changes the allocated module");
    let mut again = module.clone();
    allocate(&mut again, target, &options()).expect("fits the second time too");
    assert_eq!(
        print::print_module(&again),
        text,
        "allocation is deterministic"
    );
    Ok(m)
}

/// A third opinion, element by element and independent of lifetimes: runs
/// the allocated program in body order on a memory of words, each word
/// remembering which buffer element was stored there last, and checks that
/// every read of an element written before (or preloaded) finds it intact,
/// and that every output element written is intact at the end.
fn every_read_sees_its_data(m: &Module) -> Result<(), String> {
    use std::collections::{HashMap, HashSet};
    use timetable_ir::Opcode;
    type Element = (usize, u32);
    for f in &m.functions {
        let bytes = |v| u64::from(f.ty(v).elem().bytes());
        let words = |v, index: u32| {
            let p = machine::placement(f, v).expect("placed");
            let start = u64::from(p.addr) + u64::from(index) * bytes(v);
            (start..start + bytes(v)).map(move |w| (p.slice, p.bank, w))
        };
        let mut owner: HashMap<(u32, u32, u64), Element> = HashMap::new();
        let mut written: HashSet<Element> = HashSet::new();
        let mut outputs = Vec::new();
        for (v, def) in machine::buffers(f) {
            let attrs = machine::buffer_attrs(f, def);
            let role = attrs.get("role").and_then(|r| r.as_str());
            let preloaded = role == Some("input")
                || matches!(def, machine::BufferDef::Op(op) if f.op(op).opcode == Opcode::MemConst);
            let timetable_ir::Type::Mem { vectors, .. } = *f.ty(v) else {
                unreachable!()
            };
            if preloaded {
                for i in 0..vectors {
                    written.insert((v.index(), i));
                    owner.extend(words(v, i).map(|w| (w, (v.index(), i))));
                }
            }
            if role == Some("output") {
                outputs.push((v, vectors));
            }
        }
        for (_, op) in f.body_ops() {
            let index = op
                .attrs
                .get("index")
                .and_then(|i| i.as_u64())
                .map(|i| i as u32);
            match (op.opcode, index) {
                (Opcode::MemWrite, Some(i)) => {
                    let b = op.operands[1];
                    written.insert((b.index(), i));
                    owner.extend(words(b, i).map(|w| (w, (b.index(), i))));
                }
                (Opcode::MemRead, Some(i)) => {
                    let b = op.operands[0];
                    if !written.contains(&(b.index(), i)) {
                        continue;
                    }
                    for w in words(b, i) {
                        if owner.get(&w) != Some(&(b.index(), i)) {
                            return Err(format!(
                                "@{}: a read of `%{}`[{i}] finds word {w:?} overwritten",
                                f.name.text,
                                f.value(b).name
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        for (b, vectors) in outputs {
            for i in (0..vectors).filter(|&i| written.contains(&(b.index(), i))) {
                if words(b, i).any(|w| owner.get(&w) != Some(&(b.index(), i))) {
                    return Err(format!(
                        "@{}: output `%{}`[{i}] is overwritten before the end",
                        f.name.text,
                        f.value(b).name
                    ));
                }
            }
        }
    }
    Ok(())
}

fn parse(text: &str) -> Module {
    parse::parse_module(&SourceFile::new("t.tir", text)).unwrap_or_else(|d| panic!("{}", d[0]))
}

fn placements(m: &Module) -> Vec<(String, Placement)> {
    let f = &m.functions[0];
    machine::buffers(f)
        .into_iter()
        .filter_map(|(v, _)| Some((f.value(v).name.clone(), machine::placement(f, v)?)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// On `tsp` every generated program fits, and the result checks.
    #[test]
    fn generated_programs_on_tsp_allocate_and_check(
        ops in 10usize..3000,
        seed in 0u64..1000,
        mxm in any::<bool>(),
        elem in prop_oneof![Just(ElemType::F32), Just(ElemType::I16), Just(ElemType::I8)],
    ) {
        let cfg = GenConfig { ops, seed, mxm, elem, ..GenConfig::default() };
        let module = machine_program(&cfg, tsp());
        prop_assert!(allocate_checked(&module, tsp()).is_ok());
    }

    /// On `tiny` (128 words) programs soon outgrow the memory: either the
    /// result checks, or the error is one of "does not fit".
    #[test]
    fn generated_programs_on_tiny_allocate_and_check_or_do_not_fit(
        ops in 5usize..120,
        seed in 0u64..1000,
        mxm in any::<bool>(),
        elem in prop_oneof![Just(ElemType::F32), Just(ElemType::I16), Just(ElemType::I8)],
    ) {
        let cfg = GenConfig { ops, seed, mxm, elem, inputs: 2, ..GenConfig::default() };
        let module = machine_program(&cfg, tiny());
        if let Err(diags) = allocate_checked(&module, tiny()) {
            for d in &diags {
                prop_assert!(
                    [codes::DOES_NOT_FIT, codes::NO_PLACEMENT].contains(&d.code),
                    "{d}"
                );
            }
        }
    }
}

#[test]
fn small_generated_programs_on_tiny_mostly_fit() {
    let mut fit = 0;
    for seed in 0..40 {
        let cfg = GenConfig {
            ops: 40,
            seed,
            inputs: 2,
            elem: ElemType::I16,
            ..GenConfig::default()
        };
        if allocate_checked(&machine_program(&cfg, tiny()), tiny()).is_ok() {
            fit += 1;
        }
    }
    // All 40 fit today; a little slack keeps the test about the allocator,
    // not about the generator's exact output.
    assert!(fit >= 36, "only {fit} of 40 fit");
}

/// A scheduled module: %a is read at cycles 0 and 6 from bank 0 of mem.1.
const SCHEDULED: &str = r#"
module @sched target @tiny stage scheduled {
  func @main(%a: mem<2xf32> {mem = {addr = 0, bank = 0, slice = 1}, role = "input"}, %y: mem<1xf32> {mem = {addr = 4, bank = 0, slice = 2}, role = "output"}) -> () {
    %s = mem.alloc() {mem = {addr = 8, bank = 1, slice = 1}} : () -> mem<1xf32>
    %x = mem.read(%a) {at = 0, index = 0, stream = "e0", unit = "mem.1"} : (mem<2xf32>) -> vec<f32>
    %r = vxm.relu(%x) {at = 3, stream = "w0", unit = "vxm.0"} : (vec<f32>) -> vec<f32>
    mem.write(%r, %s) {at = 5, index = 0, unit = "mem.1"} : (vec<f32>, mem<1xf32>) -> ()
    %z = mem.read(%s) {at = 6, index = 0, stream = "e4", unit = "mem.1"} : (mem<1xf32>) -> vec<f32>
    %x1 = mem.read(%a) {at = 7, index = 1, stream = "e0", unit = "mem.1"} : (mem<2xf32>) -> vec<f32>
    %e = vxm.exp(%z) {at = 9, stream = "e0", unit = "vxm.0"} : (vec<f32>) -> vec<f32>
    mem.write(%e, %y) {at = 13, index = 0, unit = "mem.2"} : (vec<f32>, mem<1xf32>) -> ()
  }
}"#;

#[test]
fn a_scheduled_module_keeps_every_slice_and_bank() {
    let module = parse(SCHEDULED);
    let out = allocate_checked(&module, tiny()).unwrap();
    assert_eq!(out.stage, Stage::Scheduled);
    for ((name, before), (_, after)) in placements(&module).into_iter().zip(placements(&out)) {
        assert_eq!(
            (before.slice, before.bank),
            (after.slice, after.bank),
            "{name}"
        );
    }
    // Addresses are packed again on the cycle clock.
    assert_eq!(placements(&out)[2].1.addr, 0);
}

/// `SCHEDULED` with %s unplaced, read at `read_at`, and another input %b in
/// bank 1 of mem.1 read at cycle 6; %a's second read moved to `a_at`.
fn with_new_buffer(read_at: u64, a_at: u64) -> Module {
    let text = SCHEDULED
        .replace(
            "%s = mem.alloc() {mem = {addr = 8, bank = 1, slice = 1}}",
            "%s = mem.alloc()",
        )
        .replace(
            "%y: mem<1xf32>",
            "%b: mem<1xf32> {mem = {addr = 0, bank = 1, slice = 1}, role = \"input\"}, %y: mem<1xf32>",
        )
        .replace(
            "%z = mem.read(%s) {at = 6",
            &format!("%b0 = mem.read(%b) {{at = 6, index = 0, stream = \"e0\", unit = \"mem.1\"}} : (mem<1xf32>) -> vec<f32>\n    %z = mem.read(%s) {{at = {read_at}"),
        )
        .replace("%x1 = mem.read(%a) {at = 7", &format!("%x1 = mem.read(%a) {{at = {a_at}"));
    parse(&text)
}

#[test]
fn a_new_buffer_in_a_schedule_goes_to_its_slice_and_a_bank_free_in_its_cycles() {
    // Bank 0 of mem.1 is busy at cycles 0 and 7 (%a), bank 1 at cycle 6
    // (%b): %s, accessed at 5 and `read_at`, must take the bank free at both.
    for (read_at, bank) in [(6, 0), (7, 1)] {
        let mut module = with_new_buffer(read_at, 7);
        allocate(&mut module, tiny(), &options()).unwrap();
        let s = placements(&module)
            .into_iter()
            .find(|(n, _)| n == "s")
            .unwrap()
            .1;
        assert_eq!((s.slice, s.bank), (1, bank), "read at {read_at}");
        let diags = module_check::check_module(&module, tiny());
        assert!(diags.is_empty(), "{}", diags[0]);
    }
    // With %a read at 5 as well, no bank of mem.1 is free at both 5 and 6.
    let mut module = with_new_buffer(6, 5);
    let diags = allocate(&mut module, tiny(), &options()).unwrap_err();
    assert_eq!(diags[0].code, codes::NO_PLACEMENT);
    assert!(
        diags[0]
            .notes
            .iter()
            .any(|n| n.contains("runs its memory ops on `mem.1`")),
        "{:?}",
        diags[0].notes
    );
}

#[test]
fn a_new_buffer_accessed_from_two_slices_cannot_be_placed() {
    let text = SCHEDULED
        .replace(
            "%s = mem.alloc() {mem = {addr = 8, bank = 1, slice = 1}}",
            "%s = mem.alloc()",
        )
        .replace(
            "%z = mem.read(%s) {at = 6, index = 0, stream = \"e4\", unit = \"mem.1\"}",
            "%z = mem.read(%s) {at = 6, index = 0, stream = \"e4\", unit = \"mem.2\"}",
        );
    let mut module = parse(&text);
    let diags = allocate(&mut module, tiny(), &options()).unwrap_err();
    assert_eq!(diags[0].code, codes::UNPLACEABLE_IN_SCHEDULE);
    assert!(diags[0].message.contains("`%s`"), "{}", diags[0].message);
}

#[test]
fn a_scheduled_bank_that_no_longer_packs_keeps_its_addresses() {
    // Banks of 8 words; mem_write takes 3 cycles. %x's dead store issued
    // at 1 lands at 4; %y's write issued at 2 lands at 5 and is read at 7.
    // They share all 8 words, validly (%x's data is never read), but the
    // dataflow's cycle ranges ([1, 4) and [2, 8)) overlap: the bank keeps the
    // addresses it had.
    let text = r#"
target @slow {
  clock_mhz = 100, int_overflow = "wrap", lanes = 8,
  latency = {icu = 1, mem_read = 2, mem_write = 3, mxm_acc = 1, mxm_load = 1, mxm_mac = 3, sxm = 2, vxm_alu = 1, vxm_convert = 1, vxm_transcendental = 3},
  layout = [{count = 1, unit = "mxm"}, {count = 1, unit = "mem"}, {count = 1, unit = "vxm"}],
  mem = {align = 1, banks = 2, words_per_bank = 8},
  mxm = {acc_slots = 4, planes = 1}, streams = 8, superlanes = 2, sxm = {issue = 1}, vxm = {alus = 2}
}
module @m target @slow stage scheduled {
  func @main() -> () {
    %x = mem.alloc() {mem = {addr = 0, bank = 0, slice = 0}} : () -> mem<8xi8>
    %y = mem.alloc() {mem = {addr = 0, bank = 0, slice = 0}} : () -> mem<8xi8>
    %v = mxm.acc() {acc = 0, at = 0, plane = 0, stream = "e0", unit = "mxm.0"} : () -> vec<i32>
    mem.write(%v, %x) {at = 1, index = 0, unit = "mem.0"} : (vec<i32>, mem<8xi8>) -> ()
    mem.write(%v, %y) {at = 2, index = 0, unit = "mem.0"} : (vec<i32>, mem<8xi8>) -> ()
    %w = mem.read(%y) {at = 7, index = 0, stream = "e0", unit = "mem.0"} : (mem<8xi8>) -> vec<i32>
  }
}"#
    .replace("mem<8xi8>", "mem<2xi32>");
    let module = parse(&text);
    let slow = module.targets[0].clone();
    assert!(module_check::check_module(&module, &slow).is_empty());
    let mut out = module.clone();
    let report = allocate(&mut out, &slow, &options()).unwrap();
    assert_eq!(report.functions[0].kept, 1);
    assert_eq!(placements(&out), placements(&module));
}

#[test]
fn every_function_gets_the_whole_memory() {
    // Two buckets of 12-word buffers: each function alone fits.
    let func = |name: &str| {
        format!(
            r#"  func @{name}(%y: mem<3xf32> {{role = "output"}}) -> () {{
    %s = mem.alloc() : () -> mem<3xf32>
    %x = mxm.acc() {{acc = 0, plane = 0}} : () -> vec<f32>
    mem.write(%x, %s) {{index = 0}} : (vec<f32>, mem<3xf32>) -> ()
    %z = mem.read(%s) {{index = 0}} : (mem<3xf32>) -> vec<f32>
    mem.write(%z, %y) {{index = 0}} : (vec<f32>, mem<3xf32>) -> ()
  }}
"#
        )
    };
    let text = format!(
        "module @two target @tiny stage machine {{\n{}\n{}}}",
        func("f"),
        func("g")
    );
    let out = allocate_checked(&parse(&text), tiny()).unwrap();
    assert_eq!(out.functions.len(), 2);
}

#[test]
fn the_element_oracle_catches_a_clobber() {
    // %t moved onto %s's words while %s is still to be read.
    let text = r#"
module @m target @tiny stage allocated {
  func @main(%a: mem<2xf32> {mem = {addr = 0, bank = 0, slice = 0}, role = "input"}) -> () {
    %s = mem.alloc() {mem = {addr = 8, bank = 1, slice = 0}} : () -> mem<1xf32>
    %t = mem.alloc() {mem = {addr = T, bank = 1, slice = 0}} : () -> mem<1xf32>
    %x = mem.read(%a) {index = 0} : (mem<2xf32>) -> vec<f32>
    mem.write(%x, %s) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    mem.write(%x, %t) {index = 0} : (vec<f32>, mem<1xf32>) -> ()
    %y = mem.read(%s) {index = 0} : (mem<1xf32>) -> vec<f32>
  }
}"#;
    assert_eq!(
        every_read_sees_its_data(&parse(&text.replace("addr = T", "addr = 0"))),
        Ok(())
    );
    let clobbered = parse(&text.replace("addr = T", "addr = 10"));
    assert!(every_read_sees_its_data(&clobbered).is_err());
    assert_eq!(
        module_check::check_module(&clobbered, tiny())[0].code,
        codes::OVERLAP
    );
}
