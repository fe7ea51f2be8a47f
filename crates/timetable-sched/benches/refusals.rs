//! How often the machine scheduler refuses a program, by target: generated programs
//! (sizes, seeds, element types, MXM blocks and value windows varied) are allocated and
//! scheduled; every schedule is checked by the independent timing checker, and every
//! refusal is counted by its diagnostic code and reason.
//!
//! `cargo bench -p timetable-sched --bench refusals` prints one line per target:
//! programs, scheduled, refused, not allocatable, then the refusal reasons. `@tiny` has 16
//! words per bank (a `vec<f32>` takes 4), `@cramped` is `@tiny` with 8, so that spill
//! room runs out; `@tsp` has room for any of these programs.
//! `REFUSALS_PROGRAMS=400` (per element type), `REFUSALS_TARGETS=tiny,cramped,tsp`.

use std::collections::BTreeMap;
use timetable_ir::generate::{GenConfig, machine_program};
use timetable_ir::target::{self, Target};
use timetable_ir::types::ElemType;
use timetable_ir::verify;
use timetable_sched::machine::{MachineEffort, MachineOptions, schedule_module};

/// `@tiny` with `words` words per bank.
fn cramped(words: u32) -> Target {
    let text = target::builtin_source("tiny")
        .expect("the built-in tiny")
        .replace("@tiny", "@cramped")
        .replace("words_per_bank = 16", &format!("words_per_bank = {words}"));
    let source = timetable_ir::SourceFile::new("cramped", text);
    timetable_ir::parse::parse_target_file(&source)
        .expect("a target")
        .remove(0)
}

/// The reason of a refusal without the names of values and units.
fn reason(message: &str) -> String {
    let general = message
        .split(':')
        .nth(1)
        .unwrap_or(message)
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "_" } else { part })
        .collect::<String>();
    general
        .split(|c: char| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .join("N")
        .trim()
        .to_string()
}

fn main() {
    let programs: u64 = std::env::var("REFUSALS_PROGRAMS")
        .map(|n| n.parse().expect("a number"))
        .unwrap_or(400);
    let targets = std::env::var("REFUSALS_TARGETS").unwrap_or("tiny,cramped,tsp".into());
    println!(
        "{:>8} {:>9} {:>10} {:>8} {:>14}",
        "target", "programs", "scheduled", "refused", "not allocated"
    );
    for name in targets.split(',') {
        let (target, max_ops) = match name {
            "cramped" => (cramped(8), 80),
            "tsp" => (target::builtin("tsp").expect("tsp").clone(), 1500),
            other => (target::builtin(other).expect("a target").clone(), 120),
        };
        let (mut scheduled, mut refused, mut unallocated) = (0, 0, 0);
        let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
        for seed in 0..programs {
            for elem in [ElemType::F32, ElemType::I16, ElemType::F16] {
                let cfg = GenConfig {
                    ops: 5 + (seed as usize * 37) % max_ops,
                    seed,
                    elem,
                    inputs: 2,
                    window: 2 + (seed as usize % 8),
                    mxm: seed % 2 == 0,
                };
                let mut module = machine_program(&cfg, &target);
                module.target.text = target.name.clone();
                let placed =
                    timetable_alloc::program::allocate(&mut module, &target, &Default::default());
                if placed.is_err() {
                    unallocated += 1;
                    continue;
                }
                let options = MachineOptions {
                    seed,
                    effort: MachineEffort::Schedules(20),
                    ..MachineOptions::default()
                };
                match schedule_module(&module, &target, &options) {
                    Ok(s) => {
                        verify::verify_with(&s.module, &target, &[&verify::timing::CHECK])
                            .expect("every schedule verifies");
                        scheduled += 1;
                    }
                    Err(d) => {
                        refused += 1;
                        let key = format!("{} {}", d[0].code, reason(&d[0].message));
                        *reasons.entry(key).or_default() += 1;
                    }
                }
            }
        }
        println!(
            "{:>8} {:>9} {:>10} {:>8} {:>14}",
            name,
            scheduled + refused + unallocated,
            scheduled,
            refused,
            unallocated
        );
        for (r, n) in reasons {
            println!("{:>8} {n:>5} × {r}", "");
        }
    }
}
