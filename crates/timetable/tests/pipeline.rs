//! The whole compiler against the reference semantics: generated machine programs are
//! allocated, scheduled, verified by both independent checkers (allocation and timing)
//! and simulated cycle by cycle, and the outputs equal the body-order reference
//! interpreter's bit for bit, with no hazard. Every `ir-examples/` file goes through
//! `timetable run` (lower, alloc, sched, simulate, compare) the same way.

use proptest::prelude::*;
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::target::{self, Target};
use timetable_ir::types::ElemType;
use timetable_ir::verify;
use timetable_sched::machine::{MachineEffort, MachineOptions, schedule_module};
use timetable_sim::cycle::SimConfig;
use timetable_sim::io::InputSpec;
use timetable_sim::session::{self, Mode};

/// `@tiny` with only `words` words per bank, so that memory is reused and the
/// scheduler must order accesses to shared words (WAR/WAW).
fn cramped_tiny(words: u32) -> Target {
    let tiny = target::builtin_source("tiny").expect("the built-in tiny");
    assert!(tiny.contains("words_per_bank = 16"));
    let text = tiny
        .replace("@tiny", "@cramped")
        .replace("words_per_bank = 16", &format!("words_per_bank = {words}"));
    let source = timetable_ir::SourceFile::new("cramped", text);
    let mut targets = timetable_ir::parse::parse_target_file(&source).expect("a target");
    targets.remove(0)
}

/// Compiles `cfg`'s program for `target` and checks the simulation against the reference.
/// With `may_not_fit`, the scheduler may refuse for want of spill room (E3003, E3004): a
/// clear error, not a wrong program.
fn compile_and_compare(
    target: &Target,
    cfg: &GenConfig,
    may_not_fit: bool,
) -> Result<(), TestCaseError> {
    let mut module = machine_program(cfg, target);
    module.target.text = target.name.clone();
    if timetable_alloc::program::allocate(&mut module, target, &Default::default()).is_err() {
        // Too big for the target: the allocator's own tests cover that error.
        return Ok(());
    }
    let options = MachineOptions {
        seed: cfg.seed,
        effort: MachineEffort::Schedules(20),
        ..MachineOptions::default()
    };
    let scheduled = match schedule_module(&module, target, &options) {
        Ok(scheduled) => scheduled.module,
        Err(d) if may_not_fit && d.iter().all(|d| ["E3003", "E3004"].contains(&d.code)) => {
            return Ok(());
        }
        Err(d) => {
            return Err(TestCaseError::fail(format!(
                "sched failed: {}\n{module}",
                d[0]
            )));
        }
    };
    let checks: [&dyn verify::ModuleCheck; 2] = [
        &timetable_alloc::module_check::CHECK,
        &verify::timing::CHECK,
    ];
    if let Err(d) = verify::verify_with(&scheduled, target, &checks) {
        return Err(TestCaseError::fail(format!(
            "the schedule does not verify: {}\n{scheduled}",
            d[0]
        )));
    }
    let func = &scheduled.functions[0];
    let prepare = |mode| session::prepare(func, mode, target, &Default::default()).unwrap();
    let reference = prepare(Mode::Machine);
    let inputs = InputSpec::default().resolve(&reference.slots).unwrap();
    let expected = reference
        .run(target, &inputs, &SimConfig::default())
        .unwrap();
    let simulated = prepare(Mode::Cycle)
        .run(target, &inputs, &SimConfig::default())
        .unwrap();
    let run = simulated.sim.as_ref().expect("a cycle-level run");
    if let Some(hazard) = run.diags.first() {
        return Err(TestCaseError::fail(format!(
            "{} hazards, first: {hazard}\n{scheduled}",
            run.diags.len()
        )));
    }
    prop_assert_eq!(expected.outputs.len(), simulated.outputs.len());
    for ((name, want), (_, got)) in expected.outputs.iter().zip(&simulated.outputs) {
        prop_assert!(want.bits_eq(got), "{} differs\n{}", name, scheduled);
    }
    Ok(())
}

fn config(max_ops: usize) -> impl Strategy<Value = GenConfig> {
    (
        5usize..max_ops,
        0u64..1000,
        0usize..3,
        any::<bool>(),
        2usize..10,
    )
        .prop_map(|(ops, seed, elem, mxm, window)| GenConfig {
            ops,
            seed,
            elem: [ElemType::F32, ElemType::I16, ElemType::F16][elem],
            inputs: 2,
            window,
            mxm,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    // tiny's 16-word banks run out of spill room on some programs; the scheduler also
    // refuses a few it could schedule (E3003, see crates/timetable-sched/README.md). What
    // it does schedule must be exact.
    #[test]
    fn tiny_programs_compile_and_simulate_exactly(cfg in config(120)) {
        compile_and_compare(target::builtin("tiny").unwrap(), &cfg, true)?;
    }

    #[test]
    fn cramped_programs_reuse_memory_safely(cfg in config(80)) {
        compile_and_compare(&cramped_tiny(8), &cfg, true)?;
    }

    #[test]
    fn tsp_programs_compile_and_simulate_exactly(cfg in config(300)) {
        compile_and_compare(target::builtin("tsp").unwrap(), &cfg, false)?;
    }
}

#[test]
fn every_example_runs_end_to_end() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<_> = std::fs::read_dir(root.join("ir-examples"))
        .expect("ir-examples/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tir"))
        .collect();
    files.sort();
    let mut ran = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        if text.contains("expected-error") {
            continue;
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = timetable::run(
            [
                "timetable",
                "run",
                "--print",
                "none",
                path.to_str().unwrap(),
            ],
            &mut out,
            &mut err,
        );
        let (out, err) = (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        );
        assert_eq!(status, 0, "{}:\n{out}\n{err}", path.display());
        assert!(
            out.contains("=> scheduled; run by the cycle-level simulation"),
            "{} did not reach the simulator:\n{out}",
            path.display()
        );
        assert!(!out.contains("DIFFERS"), "{}:\n{out}", path.display());
        ran += 1;
    }
    assert!(ran >= 8, "only {ran} examples ran");
}
