//! Differential tests: the cycle-level simulator of a scheduled program computes exactly
//! what the machine-level reference interpreter computes on its source, bit for bit, on
//! generated programs of every element type on both built-in targets.

mod support;

use support::staged;
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::target::{self, Target};
use timetable_ir::types::ElemType;
use timetable_sim::cycle::{self, SimConfig};
use timetable_sim::io::{self, InputSpec};
use timetable_sim::program::Program;
use timetable_sim::reference;

fn check(target: &Target, cfg: &GenConfig) {
    let source = machine_program(cfg, target);
    let scheduled = staged::stage(&source, target);
    if let Err(d) = timetable_ir::verify::verify_with(
        &scheduled,
        target,
        &[&timetable_ir::verify::timing::CHECK],
    ) {
        panic!("the staged program does not verify: {}\n{scheduled}", d[0]);
    }
    let reference_program = Program::decode(&source.functions[0], target).unwrap();
    let inputs = InputSpec::default()
        .resolve(&io::machine_slots(&reference_program, target.lanes))
        .unwrap();
    let expected = reference::machine::run(&reference_program, target, &inputs).unwrap();
    let program = Program::decode(&scheduled.functions[0], target).unwrap();
    let sim = cycle::Simulator::new(&program, target, &inputs).unwrap();
    // Twice: the second run reuses the first one's tables and must not see its state.
    let first = sim.run(&SimConfig::default());
    let run = sim.run(&SimConfig::default());
    assert_eq!(first.diags.len(), run.diags.len());
    if let (Some(a), Some(b)) = (&first.outputs, &run.outputs) {
        assert!(a.bits_eq(b), "a second run differs");
    }
    if !run.diags.is_empty() {
        panic!(
            "{} seed {} {}: {} hazards, first: {}\n{scheduled}",
            target.name,
            cfg.seed,
            cfg.elem,
            run.diags.len(),
            run.diags[0]
        );
    }
    assert!(
        run.report.issues as usize > source.op_count(),
        "every op and its staging ran"
    );
    eprintln!(
        "{} seed {} {}: {} ops staged to {}, {} cycles",
        target.name,
        cfg.seed,
        cfg.elem,
        source.op_count(),
        scheduled.op_count(),
        run.report.makespan
    );
    let actual = run.outputs.expect("no hazards, so outputs");
    assert!(
        expected.bits_eq(&actual),
        "{} seed {} {}: outputs differ",
        target.name,
        cfg.seed,
        cfg.elem
    );
    // The same program interpreted without timing agrees too.
    let untimed = reference::machine::run(&program, target, &inputs).unwrap();
    assert!(expected.bits_eq(&untimed));
}

/// `@tiny` with roomy memory: the staged programs never reuse memory, and `@tiny`'s 128
/// words would fill after a few dozen values.
fn roomy_tiny() -> Target {
    let text = target::builtin_source("tiny")
        .unwrap()
        .replace("target @tiny", "target @roomy")
        .replace("words_per_bank = 16", "words_per_bank = 4096");
    let source = timetable_ir::SourceFile::new("roomy.target", text);
    timetable_ir::parse::parse_target_file(&source)
        .unwrap()
        .remove(0)
}

#[test]
fn generated_programs_agree_on_tiny() {
    let tiny = &roomy_tiny();
    for seed in 0..6 {
        for elem in [
            ElemType::F32,
            ElemType::F16,
            ElemType::BF16,
            ElemType::I8,
            ElemType::I16,
            ElemType::I32,
        ] {
            let cfg = GenConfig {
                ops: 250,
                seed,
                elem,
                ..GenConfig::default()
            };
            check(tiny, &cfg);
        }
    }
}

#[test]
fn generated_programs_agree_on_tsp() {
    let tsp = target::builtin("tsp").unwrap();
    for seed in 0..2 {
        for elem in [ElemType::F32, ElemType::I16] {
            let cfg = GenConfig {
                ops: 1500,
                seed,
                elem,
                ..GenConfig::default()
            };
            check(tsp, &cfg);
        }
    }
}

#[test]
fn generated_programs_run_in_the_reference_interpreter() {
    // Every element type, every built-in target, with and without MXM blocks: no panics,
    // and the same outputs on a second run (determinism).
    for name in target::builtin_names() {
        let t = target::builtin(name).unwrap();
        for elem in ElemType::ALL {
            for mxm in [false, true] {
                let cfg = GenConfig {
                    ops: 400,
                    seed: 7,
                    elem,
                    mxm,
                    ..GenConfig::default()
                };
                let m = machine_program(&cfg, t);
                let p = Program::decode(&m.functions[0], t).unwrap();
                let inputs = InputSpec::default()
                    .resolve(&io::machine_slots(&p, t.lanes))
                    .unwrap();
                let a = reference::machine::run(&p, t, &inputs).unwrap();
                let b = reference::machine::run(&p, t, &inputs).unwrap();
                assert!(a.bits_eq(&b), "{name} {elem}");
            }
        }
    }
}

/// Every example and every simulator file test that is meant to run cleanly: each runs in
/// the interpreter its stage calls for, and scheduled ones give the same outputs in the
/// cycle-level simulator as in the machine-level reference interpreter.
#[test]
fn example_files_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["ir-examples", "tests/filetests/sim"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "tir") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut scheduled = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("expected-error") {
            continue;
        }
        let source = timetable_ir::SourceFile::new(path.display().to_string(), text);
        let module = timetable_ir::parse::parse_module(&source).unwrap();
        let t = &timetable_ir::driver::TargetSet::default()
            .resolve(&module)
            .unwrap();
        timetable_ir::verify::verify(&module, t).unwrap();
        for f in &module.functions {
            let mode = timetable_sim::session::Mode::for_stage(module.stage, true);
            let p = timetable_sim::session::prepare(f, mode, t, &Default::default()).unwrap();
            let inputs = InputSpec::default().resolve(&p.slots).unwrap();
            let expected = p.run(t, &inputs, &SimConfig::default()).unwrap();
            if module.stage == timetable_ir::Stage::Scheduled {
                scheduled += 1;
                let mode = timetable_sim::session::Mode::Cycle;
                let q = timetable_sim::session::prepare(f, mode, t, &Default::default()).unwrap();
                let actual = q.run(t, &inputs, &SimConfig::default()).unwrap();
                let cmp = timetable_sim::compare::compare(&expected.named(), &actual.named());
                assert!(cmp.matches(), "{}: @{}\n{cmp}", path.display(), f.name.text);
            }
        }
    }
    assert!(scheduled >= 4, "the hand-scheduled programs were found");
}
