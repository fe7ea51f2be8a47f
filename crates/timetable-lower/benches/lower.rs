//! Lowering throughput on the TSP examples: every bucket of each, machine ops per second.
//! `cargo bench -p timetable-lower`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use timetable_ir::{SourceFile, parse, target};
use timetable_lower::{LowerOptions, lower_module};

fn examples(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ir-examples");
    let tsp = target::builtin("tsp").expect("built-in target");
    let mut group = c.benchmark_group("lower");
    for name in ["mlp", "attention", "conv", "quant"] {
        let text = std::fs::read_to_string(root.join(format!("{name}.tir"))).expect("example");
        let module = parse::parse_module(&SourceFile::new(name, text)).expect("parses");
        let options = LowerOptions::default();
        let ops = lower_module(&module, tsp, &options)
            .expect("lowers")
            .module
            .op_count();
        group.throughput(Throughput::Elements(ops as u64));
        group.bench_function(name, |b| {
            b.iter(|| lower_module(black_box(&module), tsp, &options))
        });
    }
    group.finish();
}

criterion_group!(benches, examples);
criterion_main!(benches);
