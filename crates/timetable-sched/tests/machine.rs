//! Property tests of the machine scheduler on generated programs
//! (`timetable_ir::generate`), placed by the simple placement: every schedule verifies
//! (including the independent timing checker), round-trips through the text form, is
//! deterministic for a seed, and never beats the dataflow lower bound.

use proptest::prelude::*;
use std::sync::OnceLock;
use timetable_dataflow::{TimeBase, lower_bounds};
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::target::{builtin, builtin_source};
use timetable_ir::types::ElemType;
use timetable_ir::{Module, SourceFile, Target, parse, verify};
use timetable_sched::machine::{MachineEffort, MachineOptions, schedule_module};
use timetable_sched::place::place_simple;

/// `tiny` with four banks per slice. The generator sizes input and output buffers to
/// fill a bank, so on `tiny` itself generated programs leave almost no word free for
/// spill slots; twice the banks keep the short latencies and narrow chip but leave room.
fn tiny4() -> &'static Target {
    static T: OnceLock<Target> = OnceLock::new();
    T.get_or_init(|| {
        let text = builtin_source("tiny")
            .unwrap()
            .replace("target @tiny", "target @tiny4")
            .replace("banks = 2", "banks = 4");
        parse::parse_target_file(&SourceFile::new("tiny4", text))
            .unwrap()
            .remove(0)
    })
}

fn target(name: &str) -> &'static Target {
    if name == "tiny4" {
        tiny4()
    } else {
        builtin(name).unwrap()
    }
}

/// How generated programs get their buffer placements.
#[derive(Clone, Copy, Debug)]
enum Placing {
    /// The simple placement: no memory reuse, free words left for spill slots.
    Simple,
    /// The allocator: buffers share words over time, so memory dependences between
    /// different buffers constrain the schedule, and spill slots are scarce.
    Allocator,
}

/// The generated program, placed; `None` when its buffers do not fit.
fn placed(target: &Target, cfg: &GenConfig, placing: Placing) -> Option<Module> {
    let mut m = machine_program(cfg, target);
    match placing {
        Placing::Simple => place_simple(&mut m, target).ok()?,
        Placing::Allocator => {
            m.target.text = target.name.clone();
            timetable_alloc::program::allocate(&mut m, target, &Default::default()).ok()?;
        }
    }
    // As `timetable gen | timetable alloc - | timetable sched -` sees it.
    let text = m.to_string();
    Some(parse::parse_module(&SourceFile::new("placed", text.as_str())).unwrap())
}

fn check_schedule(
    target: &str,
    cfg: &GenConfig,
    options: &MachineOptions,
) -> Result<(), TestCaseError> {
    check_placed(target, cfg, options, Placing::Simple, false)
}

fn check_placed(
    target: &str,
    cfg: &GenConfig,
    options: &MachineOptions,
    placing: Placing,
    may_refuse: bool,
) -> Result<(), TestCaseError> {
    let t = self::target(target);
    let Some(input) = placed(t, cfg, placing) else {
        return Err(TestCaseError::reject("the program does not fit memory"));
    };
    let scheduled = match schedule_module(&input, t, options) {
        Ok(s) => s,
        // The allocator packs `tiny` tightly; the scheduler may then find no spill room
        // (a clear error, never a wrong schedule).
        Err(d) if may_refuse && d.iter().all(|d| ["E3003", "E3004"].contains(&d.code)) => {
            return Ok(());
        }
        Err(d) => return Err(TestCaseError::fail(format!("{target} {cfg:?}: {:?}", d[0]))),
    };
    let m = &scheduled.module;
    let checks: [&dyn verify::ModuleCheck; 2] = [
        &verify::timing::CHECK,
        &timetable_alloc::module_check::CHECK,
    ];
    if let Err(d) = verify::verify_with(m, t, &checks) {
        return Err(TestCaseError::fail(format!(
            "{target} {cfg:?}: {:?}\n{m}",
            d[0]
        )));
    }
    for (f, report) in input.functions.iter().zip(&scheduled.report.functions) {
        let lb = lower_bounds(f, t, TimeBase::ProgramOrder).unwrap().makespan;
        prop_assert!(
            report.makespan >= lb,
            "makespan {} below the bound {lb}",
            report.makespan
        );
        prop_assert!(
            report.makespan <= report.baseline,
            "worse than the baseline"
        );
    }
    let text = m.to_string();
    let reparsed = parse::parse_module(&SourceFile::new("printed", text.as_str())).unwrap();
    prop_assert_eq!(&reparsed.to_string(), &text);
    let again = schedule_module(&input, t, options).unwrap();
    prop_assert_eq!(again.module.to_string(), text, "not deterministic");
    Ok(())
}

fn config(max_ops: usize) -> impl Strategy<Value = GenConfig> {
    (
        5usize..max_ops,
        0u64..1000,
        prop::bool::ANY,
        prop::bool::ANY,
        2usize..12,
    )
        .prop_map(|(ops, seed, f32, mxm, window)| GenConfig {
            ops,
            seed,
            elem: if f32 { ElemType::F32 } else { ElemType::I16 },
            inputs: 2,
            window,
            mxm,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn tiny_schedules_verify(cfg in config(80)) {
        check_schedule("tiny4", &cfg, &MachineOptions { effort: MachineEffort::Schedules(30), ..MachineOptions::default() })?;
    }

    #[test]
    fn tsp_schedules_verify(cfg in config(400)) {
        check_schedule("tsp", &cfg, &MachineOptions { effort: MachineEffort::Baseline, nops: true, ..MachineOptions::default() })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tiny_allocated_schedules_verify(cfg in config(120)) {
        let options = MachineOptions { seed: cfg.seed, effort: MachineEffort::Schedules(20), ..MachineOptions::default() };
        check_placed("tiny", &cfg, &options, Placing::Allocator, true)?;
    }

    #[test]
    fn tsp_allocated_schedules_verify(cfg in config(300)) {
        let options = MachineOptions { seed: cfg.seed, effort: MachineEffort::Baseline, ..MachineOptions::default() };
        check_placed("tsp", &cfg, &options, Placing::Allocator, false)?;
    }
}

/// Programs that once failed, at the smallest size found: values whose readers are placed
/// later lost their stream and every bank on their way (E3003), windows of reads closed
/// by a later write before their readers were placed, two operands parked in the one
/// bank with room (a relay now moves one), and a read whose window had closed judged
/// ready at the start of it (`timetable gen --seed 1` failed from 10,000 ops on).
#[test]
fn regressions_on_allocated_programs() {
    let small = |ops, seed, elem, window| GenConfig {
        ops,
        seed,
        elem,
        inputs: 2,
        window,
        mxm: false,
    };
    let cases = [
        ("tsp", small(27, 400, ElemType::F32, 8)),
        ("tiny", small(27, 403, ElemType::I16, 8)),
        ("tiny", small(74, 177, ElemType::F32, 3)),
        // `timetable gen --ops 10000`.
        (
            "tsp",
            GenConfig {
                ops: 10_000,
                ..GenConfig::default()
            },
        ),
    ];
    for (target, cfg) in cases {
        let seed = cfg.seed;
        let options = MachineOptions {
            seed,
            effort: MachineEffort::Schedules(20),
            ..MachineOptions::default()
        };
        check_placed(target, &cfg, &options, Placing::Allocator, false).unwrap();
    }
}
