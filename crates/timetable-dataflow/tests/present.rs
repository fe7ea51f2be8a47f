//! The `analyze` output is IR: it parses, verifies, and analyzing it again gives the same
//! bytes (old results are replaced, not stacked). Lower bounds never exceed a real
//! schedule's makespan.

use timetable_dataflow::present::{Selection, analyze, dependence_dot};
use timetable_dataflow::{IssueTimes, TimeBase, lower_bounds};
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::{SourceFile, parse, verify};

#[test]
fn output_parses_verifies_and_is_a_fixed_point() {
    for target in ["tiny", "tsp"] {
        let t = timetable_ir::target::builtin(target).unwrap();
        for seed in 0..3 {
            let cfg = GenConfig {
                ops: 300,
                seed,
                ..GenConfig::default()
            };
            let m = machine_program(&cfg, t);
            for selection in Selection::ALL {
                let first = analyze(&m, t, selection).unwrap().text();
                let again = parse::parse_module(&SourceFile::new("out", first.as_str()))
                    .unwrap_or_else(|d| panic!("{target} {seed} {selection:?}: {}", d[0]));
                verify::verify(&again, t).unwrap();
                let second = analyze(&again, t, selection).unwrap().text();
                assert_eq!(first, second, "{target} seed {seed} {selection:?}");
            }
            let dot = dependence_dot(&m, t).unwrap();
            assert!(dot.starts_with("digraph \"generated\" {") && dot.ends_with("}\n"));
        }
    }
}

#[test]
fn bounds_do_not_exceed_a_real_schedule() {
    let text = include_str!("../../../tests/filetests/analyze/scheduled.tir");
    let m = parse::parse_module(&SourceFile::new("scheduled.tir", text)).unwrap();
    let t = timetable_ir::target::builtin("tiny").unwrap();
    verify::verify(&m, t).unwrap();
    let func = &m.functions[0];
    let makespan = IssueTimes::read(func, t).unwrap().makespan();
    let b = lower_bounds(func, t, TimeBase::Cycles).unwrap();
    assert_eq!(makespan, 14);
    // The hand schedule is optimal: every data edge is as tight as the hops allow.
    assert_eq!(b.makespan, makespan);
    assert_eq!(b.critical_path, makespan);
    assert_eq!(b.hops.nearest, 0);
    assert_eq!((b.memory.words, b.memory.time), (8, 0));
    // Without the schedule, hops are bounded by nearest instances: never more.
    let unscheduled = lower_bounds(func, t, TimeBase::ProgramOrder).unwrap();
    assert!(unscheduled.makespan <= makespan);
    // A cycle-based bound needs every issue cycle.
    let m2 = parse::parse_module(&SourceFile::new(
        "x",
        include_str!("../../../tests/filetests/analyze/pressure.tir"),
    ))
    .unwrap();
    let e = lower_bounds(&m2.functions[0], t, TimeBase::Cycles).unwrap_err();
    assert_eq!(e.code, timetable_dataflow::codes::NO_ISSUE_CYCLE);
}
