//! Errors the simulator reports on input the verifier would reject or that only fails at
//! run time, checked through the library (the CLI verifies first), and the trace format.

use timetable_ir::{SourceFile, Stage, parse, target};
use timetable_sim::codes;
use timetable_sim::cycle::{SimConfig, simulate};
use timetable_sim::io::{self, InputSpec};
use timetable_sim::program::Program;
use timetable_sim::reference::{self, Bindings};
use timetable_sim::session::{self, Mode};

fn module(text: &str) -> timetable_ir::Module {
    parse::parse_module(&SourceFile::new("test.tir", text)).expect("parses")
}

/// A module from a file of the workspace.
fn module_file(path: &str) -> timetable_ir::Module {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
    module(&std::fs::read_to_string(format!("{root}{path}")).unwrap())
}

/// The first function of `m` decoded, with seed inputs.
fn setup<'m>(
    m: &'m timetable_ir::Module,
    t: &timetable_ir::Target,
) -> (Program<'m>, Vec<timetable_sim::tensor::Tensor>) {
    let p = Program::decode(&m.functions[0], t).unwrap();
    let inputs = InputSpec::default()
        .resolve(&io::machine_slots(&p, t.lanes))
        .unwrap();
    (p, inputs)
}

fn codes_of(d: &[timetable_ir::Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

const CHAIN: &str = r#"module @m target @tiny stage scheduled {
  func @main(%a: mem<2xf32> {mem = {addr = 0, bank = 0, slice = 0}, role = "input"}, %y: mem<2xf32> {mem = {addr = ADDR, bank = 0, slice = 3}, role = "output"}) -> () {
    %a0 = mem.read(%a) {at = 0, index = 0, stream = "e0", unit = "mem.0"} : (mem<2xf32>) -> vec<f32>
    mem.write(%a0, %y) {at = 6, index = 0, unit = "mem.3"} : (vec<f32>, mem<2xf32>) -> ()
  }
}"#;

#[test]
fn a_valid_copy_runs_in_both_machine_interpreters() {
    let tiny = target::builtin("tiny").unwrap();
    let m = module(&CHAIN.replace("ADDR", "0"));
    let (p, inputs) = setup(&m, tiny);
    let run = simulate(&p, tiny, &inputs, &SimConfig::default()).unwrap();
    assert!(run.diags.is_empty(), "{:?}", run.diags);
    let reference = reference::machine::run(&p, tiny, &inputs).unwrap();
    assert!(run.outputs.unwrap().bits_eq(&reference));
    // Row 0 of %y is %a's row 0; row 1 was never written and reads back as zero.
    let y = reference.outputs[0].tensor();
    assert!(y.data.window(0, 8).bits_eq(&inputs[0].data.window(0, 8)));
    assert!((8..16).all(|i| y.data.bits(i) == 0));
}

#[test]
fn buffers_outside_memory_are_reported_before_the_run() {
    // The verifier rejects this placement (E0502); the simulator checks it again.
    let tiny = target::builtin("tiny").unwrap();
    let m = module(&CHAIN.replace("ADDR", "12"));
    let (p, inputs) = setup(&m, tiny);
    let err = simulate(&p, tiny, &inputs, &SimConfig::default())
        .err()
        .expect("fails");
    assert_eq!(codes_of(&err), [codes::OUT_OF_CAPACITY]);
    assert!(
        err[0].message.contains("words 12..20"),
        "{}",
        err[0].message
    );
}

#[test]
fn unscheduled_programs_need_the_reference_interpreter() {
    let tiny = target::builtin("tiny").unwrap();
    let m = module_file("ir-examples/chain.tir");
    assert_eq!(m.stage, Stage::Machine);
    let (p, inputs) = setup(&m, tiny);
    let err = simulate(&p, tiny, &inputs, &SimConfig::default())
        .err()
        .expect("fails");
    assert!(err[0].message.contains("has no issue slot"));
    assert!(reference::machine::run(&p, tiny, &inputs).is_ok());
}

#[test]
fn repeat_is_not_simulated() {
    let tiny = target::builtin("tiny").unwrap();
    let m = module(
        r#"module @m target @tiny stage machine {
  func @main() -> () {
    icu.repeat() {count = 2, delay = 1} : () -> ()
  }
}"#,
    );
    let err = Program::decode(&m.functions[0], tiny).expect_err("refused");
    assert_eq!(codes_of(&err), [codes::UNSUPPORTED]);
}

#[test]
fn mxm_type_mixes_are_errors_in_every_interpreter() {
    // Weight row 0 loaded as i8, then an f16 vector multiplied.
    let tiny = target::builtin("tiny").unwrap();
    let m = module(
        r#"module @m target @tiny stage scheduled {
  func @main(%w: mem<1xi8> {mem = {addr = 0, bank = 0, slice = 3}, role = "input"}, %x: mem<1xf16> {mem = {addr = 0, bank = 1, slice = 3}, role = "input"}) -> () {
    %w0 = mem.read(%w) {at = 0, index = 0, stream = "e0", unit = "mem.3"} : (mem<1xi8>) -> vec<i8>
    mxm.load(%w0) {at = 4, plane = 1, row = 0, unit = "mxm.1"} : (vec<i8>) -> ()
    %x0 = mem.read(%x) {at = 2, index = 0, stream = "e2", unit = "mem.3"} : (mem<1xf16>) -> vec<f16>
    mxm.mac(%x0) {acc = 0, accumulate = false, at = 6, plane = 1, unit = "mxm.1"} : (vec<f16>) -> ()
  }
}"#,
    );
    let (p, inputs) = setup(&m, tiny);
    let err = reference::machine::run(&p, tiny, &inputs).expect_err("fails");
    assert_eq!(codes_of(&err), [codes::MXM_TYPE]);
    assert!(
        err[0].message.contains("weight row 0 holds i8"),
        "{}",
        err[0].message
    );
    let run = simulate(&p, tiny, &inputs, &SimConfig::default()).unwrap();
    assert_eq!(codes_of(&run.diags), [codes::MXM_TYPE]);
    assert!(run.outputs.is_none());
}

#[test]
fn hazards_stop_after_the_limit() {
    // Sixteen writes of a value that never reaches mem.3 (it flows west from mem.0).
    let tiny = target::builtin("tiny").unwrap();
    let mut ops = String::from(
        "    %a0 = mem.read(%a) {at = 0, index = 0, stream = \"w0\", unit = \"mem.0\"} : (mem<1xf32>) -> vec<f32>\n",
    );
    for i in 0..16 {
        ops.push_str(&format!(
            "    mem.write(%a0, %y) {{at = {}, index = 0, unit = \"mem.3\"}} : (vec<f32>, mem<1xf32>) -> ()\n",
            10 + i
        ));
    }
    let text = format!(
        "module @m target @tiny stage scheduled {{\n  func @main(%a: mem<1xf32> {{mem = {{addr = 0, bank = 0, slice = 0}}, role = \"input\"}}, %y: mem<1xf32> {{mem = {{addr = 0, bank = 0, slice = 3}}, role = \"output\"}}) -> () {{\n{ops}  }}\n}}"
    );
    let m = module(&text);
    let (p, inputs) = setup(&m, tiny);
    let config = SimConfig {
        max_errors: 5,
        ..SimConfig::default()
    };
    let run = simulate(&p, tiny, &inputs, &config).unwrap();
    assert_eq!(run.diags.len(), 5);
    assert!(
        run.diags
            .iter()
            .all(|d| d.code == codes::OPERAND_UNREACHABLE)
    );
    assert!(
        run.diags[4]
            .notes
            .iter()
            .any(|n| n.contains("stopping after 5 hazards"))
    );
}

#[test]
fn traces_have_one_track_per_unit_and_stream_and_nest() {
    let tiny = target::builtin("tiny").unwrap();
    let m = module_file("tests/filetests/sim/chain_scheduled.tir");
    let (p, inputs) = setup(&m, tiny);
    let config = SimConfig {
        trace: true,
        ..SimConfig::default()
    };
    let run = simulate(&p, tiny, &inputs, &config).unwrap();
    let json: serde_json::Value = serde_json::from_str(run.trace.as_deref().unwrap()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let mut names = std::collections::BTreeMap::new();
    for e in events.iter().filter(|e| e["name"] == "thread_name") {
        names.insert(
            (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()),
            e["args"]["name"].as_str().unwrap().to_string(),
        );
    }
    let mut slices: std::collections::BTreeMap<(u64, u64), Vec<(f64, f64)>> = Default::default();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        assert!(names.contains_key(&key), "slice on an unnamed track: {e}");
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        assert!(dur > 0.0);
        slices.entry(key).or_default().push((ts, ts + dur));
    }
    // Slices on one track never partially overlap (Perfetto needs proper nesting).
    for (key, mut v) in slices {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for w in v.windows(2) {
            assert!(w[1].0 >= w[0].1 - 1e-12, "overlap on {}", names[&key]);
        }
    }
    let tracks: Vec<&String> = names.values().collect();
    for unit in [
        "mem.0", "mem.1", "mem.2", "mem.3", "vxm.0", "vxm.0 #2", "e0", "w4",
    ] {
        assert!(
            tracks.iter().any(|t| *t == unit),
            "no track {unit}: {tracks:?}"
        );
    }
    // 14 ops, each a slice on a unit track.
    assert_eq!(events.iter().filter(|e| e["cat"] == "op").count(), 14);
}

#[test]
fn symbolic_dimensions_take_sizes_from_shapes_or_buckets() {
    let tsp = target::builtin("tsp").unwrap();
    let m = module_file("ir-examples/mlp.tir");
    let f = &m.functions[0];
    let p = session::prepare(f, Mode::Tensor, tsp, &Bindings::default()).unwrap();
    assert_eq!(p.bindings.to_string(), "B=1");
    assert_eq!(p.defaulted, ["B"]);
    let p = session::prepare(f, Mode::Tensor, tsp, &Bindings::parse(&["B=3"]).unwrap()).unwrap();
    assert_eq!(p.slots[0].shape, [3, 320]);
    assert!(p.defaulted.is_empty());
    let inputs = InputSpec::default().resolve(&p.slots).unwrap();
    let out = p.run(tsp, &inputs, &SimConfig::default()).unwrap();
    assert_eq!(out.outputs[0].1.shape, [3, 320]);
    // Without buckets and sizes, a symbolic dimension is an error.
    let mut m = m;
    m.functions[0].attrs = Default::default();
    let err = session::prepare(&m.functions[0], Mode::Tensor, tsp, &Bindings::default())
        .err()
        .unwrap();
    assert_eq!(codes_of(&err), [codes::UNBOUND_SHAPE]);
    assert!(Bindings::parse(&["B"]).is_err());
    assert!(Bindings::parse(&["B=1", "B=2"]).is_err());
}

#[test]
fn outputs_are_deterministic_across_runs() {
    let tsp = target::builtin("tsp").unwrap();
    let m = module_file("ir-examples/mlp.tir");
    let p = session::prepare(&m.functions[0], Mode::Tensor, tsp, &Bindings::default()).unwrap();
    let inputs = InputSpec {
        files: Vec::new(),
        seed: 9,
    }
    .resolve(&p.slots)
    .unwrap();
    let a = p.run(tsp, &inputs, &SimConfig::default()).unwrap();
    let b = p.run(tsp, &inputs, &SimConfig::default()).unwrap();
    assert!(a.outputs[0].1.bits_eq(&b.outputs[0].1));
}
