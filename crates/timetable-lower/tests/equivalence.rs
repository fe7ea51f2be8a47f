//! Lowered programs compute what their tensor programs compute: every bucket of every
//! program here (and of the tiny examples in `ir-examples/`) is evaluated at both levels
//! on seeded inputs, and the outputs must agree (up to rounding order) with zero padding
//! lanes.

mod support;

use support::tensor::Tensor;
use support::{from_layout, seeded, to_layout};
use timetable_ir::{SourceFile, Target, parse, verify};
use timetable_lower::{BucketSpec, LowerOptions, buckets, lower_module};

fn target_of(module: &timetable_ir::Module) -> Target {
    module
        .targets
        .iter()
        .find(|t| t.name == module.target.text)
        .cloned()
        .or_else(|| timetable_ir::target::builtin(&module.target.text).cloned())
        .expect("known target")
}

/// Lowers `text` and compares every bucket function with its tensor function.
fn check(text: &str, buckets: &str) {
    let source = SourceFile::new("test.tir", text);
    let module = parse::parse_module(&source).unwrap_or_else(|d| panic!("parse: {d:?}"));
    let target = target_of(&module);
    verify::verify(&module, &target).unwrap_or_else(|d| panic!("verify input: {d:?}"));
    let options = LowerOptions {
        buckets: BucketSpec::parse(buckets).unwrap(),
    };
    let lowered =
        lower_module(&module, &target, &options).unwrap_or_else(|d| panic!("lower: {d:#?}"));
    verify::verify(&lowered.module, &target).unwrap_or_else(|d| panic!("verify output: {d:#?}"));
    let mut machine_functions = lowered.module.functions.iter();
    for func in &module.functions {
        for (b, bucket) in buckets::buckets_for(func, &options.buckets)
            .unwrap()
            .into_iter()
            .enumerate()
        {
            let tf = buckets::specialize(func, &bucket);
            let mf = machine_functions
                .next()
                .expect("one machine function per bucket");
            let inputs: Vec<Tensor> = tf
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let t = tf.ty(a.value).as_tensor().unwrap();
                    let dims: Vec<usize> = t
                        .static_shape()
                        .unwrap()
                        .iter()
                        .map(|&d| d as usize)
                        .collect();
                    let count = dims.iter().product();
                    Tensor {
                        data: seeded(100 + i as i64 + 10 * b as i64, count, t.elem),
                        dims,
                    }
                })
                .collect();
            let expected = support::tensor::eval(&tf, &inputs);
            let laid_out: Vec<_> = tf
                .args
                .iter()
                .zip(&inputs)
                .map(|(a, t)| to_layout(tf.ty(a.value).as_tensor().unwrap(), &t.data, target.lanes))
                .collect();
            let got = support::machine::eval(mf, &target, &laid_out);
            assert_eq!(got.len(), expected.len());
            for (k, (vectors, want)) in got.iter().zip(&expected).enumerate() {
                let ty = tf.results[k].as_tensor().unwrap();
                let (data, clean) = from_layout(ty, vectors, target.lanes);
                assert!(
                    clean,
                    "@{}: output {k} has non-zero padding lanes: {vectors:?}",
                    mf.name.text
                );
                for (i, (a, e)) in data.iter().zip(&want.data).enumerate() {
                    let tol = 2e-2 * e.abs().max(1.0);
                    assert!(
                        a == e || (a.is_nan() && e.is_nan()) || (a - e).abs() <= tol,
                        "@{}: output {k} element {i}: lowered {a}, reference {e}\nlowered: {data:?}\nreference: {:?}",
                        mf.name.text,
                        want.data
                    );
                }
            }
        }
    }
    assert!(machine_functions.next().is_none());
}

/// A target with 12 lanes in 3 superlanes (not a power of two, like the TSP), roomy
/// memory and few accumulators, so tiling, row groups, plane reuse and superlane gathers
/// are exercised at readable sizes; 16 streams so that its `f32` transposes (4 vectors
/// of 4 streams) reach an SXM in one cycle (E1008 otherwise).
const ROOMY: &str = r#"target @roomy {
  clock_mhz = 100, int_overflow = "wrap", lanes = 12,
  latency = {icu = 1, mem_read = 2, mem_write = 1, mxm_acc = 1, mxm_load = 1, mxm_mac = 3, sxm = 2, vxm_alu = 1, vxm_convert = 1, vxm_transcendental = 3},
  layout = [{count = 1, unit = "mxm"}, {count = 1, unit = "sxm"}, {count = 2, unit = "mem"}, {count = 1, unit = "vxm"}, {count = 2, unit = "mem"}, {count = 1, unit = "sxm"}, {count = 1, unit = "mxm"}],
  mem = {align = 1, banks = 2, words_per_bank = 4096},
  mxm = {acc_slots = 2, planes = 1},
  streams = 16, superlanes = 3, sxm = {issue = 1}, vxm = {alus = 2}
}
"#;

pub fn roomy(body: &str) -> String {
    format!("{ROOMY}module @m target @roomy stage tensor {{\n{body}\n}}\n")
}

#[test]
fn matmul_tiles_k_and_n_with_row_groups() {
    check(
        &roomy(
            "func @f(%x: tensor<5x19xf16>) -> (tensor<5x13xf32>) {
               %w = tensor.const() {seed = 1} : () -> tensor<19x13xf16>
               %y = tensor.matmul(%x, %w) : (tensor<5x19xf16>, tensor<19x13xf16>) -> tensor<5x13xf32>
               func.return(%y) : (tensor<5x13xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn batched_matmul_with_bias_relu_and_cast() {
    check(
        &roomy(
            "func @f(%x: tensor<2xBx10xbf16>) -> (tensor<2xBx9xbf16>) {
               %w = tensor.const() {seed = 3} : () -> tensor<10x9xbf16>
               %b = tensor.const() {seed = 4} : () -> tensor<9xf32>
               %h = tensor.matmul(%x, %w) : (tensor<2xBx10xbf16>, tensor<10x9xbf16>) -> tensor<2xBx9xf32>
               %hb = tensor.add(%h, %b) : (tensor<2xBx9xf32>, tensor<9xf32>) -> tensor<2xBx9xf32>
               %a = tensor.relu(%hb) : (tensor<2xBx9xf32>) -> tensor<2xBx9xf32>
               %y = tensor.cast(%a) : (tensor<2xBx9xf32>) -> tensor<2xBx9xbf16>
               func.return(%y) : (tensor<2xBx9xbf16>) -> ()
             }",
        ),
        "B:1,3",
    );
}

#[test]
fn int8_matmul_accumulates_in_i32() {
    check(
        &roomy(
            "func @f(%x: tensor<3x20xi8>) -> (tensor<3x6xi8>) {
               %w = tensor.const() {seed = 9} : () -> tensor<20x6xi8>
               %s = tensor.const() {value = dense<0.125>} : () -> tensor<f32>
               %acc = tensor.matmul(%x, %w) : (tensor<3x20xi8>, tensor<20x6xi8>) -> tensor<3x6xi32>
               %f = tensor.cast(%acc) : (tensor<3x6xi32>) -> tensor<3x6xf32>
               %r = tensor.mul(%f, %s) : (tensor<3x6xf32>, tensor<f32>) -> tensor<3x6xf32>
               %q = tensor.cast(%r) : (tensor<3x6xf32>) -> tensor<3x6xi8>
               func.return(%q) : (tensor<3x6xi8>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn broadcasting_along_lanes_rows_and_scalars() {
    check(
        &roomy(
            "func @f(%x: tensor<3x4x11xf32>, %c: tensor<3x1x1xf32>, %r: tensor<4x1xf32>, %s: tensor<f32>) -> (tensor<3x4x11xf32>, tensor<3x4x11xf32>) {
               %a = tensor.add(%x, %c) : (tensor<3x4x11xf32>, tensor<3x1x1xf32>) -> tensor<3x4x11xf32>
               %b = tensor.mul(%a, %r) : (tensor<3x4x11xf32>, tensor<4x1xf32>) -> tensor<3x4x11xf32>
               %e = tensor.exp(%b) : (tensor<3x4x11xf32>) -> tensor<3x4x11xf32>
               %m = tensor.max(%s, %x) : (tensor<f32>, tensor<3x4x11xf32>) -> tensor<3x4x11xf32>
               %t = tensor.tanh(%m) : (tensor<3x4x11xf32>) -> tensor<3x4x11xf32>
               func.return(%e, %t) : (tensor<3x4x11xf32>, tensor<3x4x11xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn reductions_over_every_axis() {
    check(
        &roomy(
            "func @f(%x: tensor<3x5x19xf32>) -> (tensor<3x5x1xf32>, tensor<3x1x19xf32>, tensor<1x5x19xf32>, tensor<4x1xf32>) {
               %a = tensor.reduce_sum(%x) {axis = 2} : (tensor<3x5x19xf32>) -> tensor<3x5x1xf32>
               %b = tensor.reduce_sum(%x) {axis = 1} : (tensor<3x5x19xf32>) -> tensor<3x1x19xf32>
               %c = tensor.reduce_sum(%x) {axis = -3} : (tensor<3x5x19xf32>) -> tensor<1x5x19xf32>
               %k = tensor.const() {seed = 2} : () -> tensor<4x3xf32>
               %d = tensor.reduce_sum(%k) {axis = 1} : (tensor<4x3xf32>) -> tensor<4x1xf32>
               func.return(%a, %b, %c, %d) : (tensor<3x5x1xf32>, tensor<3x1x19xf32>, tensor<1x5x19xf32>, tensor<4x1xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn softmax_over_the_last_and_a_leading_axis() {
    check(
        &roomy(
            "func @f(%x: tensor<3x13xf32>, %h: tensor<2x3x5xf16>) -> (tensor<3x13xf32>, tensor<2x3x5xf16>, tensor<3x4xf32>) {
               %a = tensor.softmax(%x) : (tensor<3x13xf32>) -> tensor<3x13xf32>
               %b = tensor.softmax(%h) {axis = 1} : (tensor<2x3x5xf16>) -> tensor<2x3x5xf16>
               %k = tensor.const() {seed = 5} : () -> tensor<3x4xf32>
               %c = tensor.softmax(%k) {axis = 1} : (tensor<3x4xf32>) -> tensor<3x4xf32>
               func.return(%a, %b, %c) : (tensor<3x13xf32>, tensor<2x3x5xf16>, tensor<3x4xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn transposes_that_move_and_keep_the_lanes() {
    check(
        &roomy(
            "func @f(%x: tensor<11x19xf16>, %y: tensor<2x3x6xf32>) -> (tensor<19x11xf16>, tensor<3x2x6xf32>, tensor<6x2x3xf32>, tensor<3x6x2xf32>) {
               %a = tensor.transpose(%x) : (tensor<11x19xf16>) -> tensor<19x11xf16>
               %b = tensor.transpose(%y) {perm = [1, 0, 2]} : (tensor<2x3x6xf32>) -> tensor<3x2x6xf32>
               %c = tensor.transpose(%y) {perm = [2, 0, 1]} : (tensor<2x3x6xf32>) -> tensor<6x2x3xf32>
               %d = tensor.transpose(%y) {perm = [1, 2, 0]} : (tensor<2x3x6xf32>) -> tensor<3x6x2xf32>
               func.return(%a, %b, %c, %d) : (tensor<19x11xf16>, tensor<3x2x6xf32>, tensor<6x2x3xf32>, tensor<3x6x2xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn reshapes_free_and_gathered() {
    check(
        &roomy(
            "func @f(%x: tensor<6x10xf32>) -> (tensor<3x20xf32>, tensor<4x15xf32>, tensor<60xf32>, tensor<2x3x10xf32>) {
               %a = tensor.reshape(%x) : (tensor<6x10xf32>) -> tensor<3x20xf32>
               %b = tensor.reshape(%x) : (tensor<6x10xf32>) -> tensor<4x15xf32>
               %c = tensor.reshape(%x) : (tensor<6x10xf32>) -> tensor<60xf32>
               %d = tensor.reshape(%x) : (tensor<6x10xf32>) -> tensor<2x3x10xf32>
               func.return(%a, %b, %c, %d) : (tensor<3x20xf32>, tensor<4x15xf32>, tensor<60xf32>, tensor<2x3x10xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn returning_inputs_constants_and_one_value_twice() {
    check(
        &roomy(
            "func @f(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
               %k = tensor.const() {value = dense<[1.0, 2.0, 3.0]>} : () -> tensor<3xf32>
               %y = tensor.relu(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
               func.return(%x, %k, %y, %y) : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> ()
             }",
        ),
        "",
    );
}

#[test]
fn scratch_larger_than_a_bank_is_split() {
    // On tiny a bank holds 4 f32 vectors; the 8x8 intermediate takes 8. (16 streams, as
    // tiny's 8 cannot bring an f32 transpose's 4 vectors to an SXM.)
    let tiny = timetable_ir::target::builtin_source("tiny").expect("tiny");
    let tiny16 = tiny
        .replace("@tiny", "@tiny16")
        .replace("streams = 8", "streams = 16");
    assert!(tiny16.contains("streams = 16"));
    let body = "module @m target @tiny16 stage tensor {
           func @f(%x: tensor<8x8xi8>) -> (tensor<1x8xf32>) {
             %f = tensor.cast(%x) : (tensor<8x8xi8>) -> tensor<8x8xf32>
             %e = tensor.exp(%f) : (tensor<8x8xf32>) -> tensor<8x8xf32>
             %t = tensor.transpose(%e) : (tensor<8x8xf32>) -> tensor<8x8xf32>
             %s = tensor.reduce_sum(%t) {axis = 0} : (tensor<8x8xf32>) -> tensor<1x8xf32>
             func.return(%s) : (tensor<1x8xf32>) -> ()
           }
         }";
    check(&format!("{tiny16}{body}"), "");
}

#[test]
fn tiny_examples_compute_their_tensor_programs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ir-examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "tir")
            && text.contains("target @tiny stage tensor")
        {
            check(&text, "");
            checked += 1;
        }
    }
    assert!(checked >= 4, "found {checked} tiny tensor examples");
}

/// Random tensor programs: chains of every tensor op over random shapes (ragged against
/// the 12 lanes), each lowered and compared with its tensor-level evaluation.
mod random {
    use super::{check, roomy};

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    fn ty(dims: &[u64], elem: &str) -> String {
        let mut t = String::from("tensor<");
        for d in dims {
            t += &format!("{d}x");
        }
        t + elem + ">"
    }

    /// A random factorisation of `count` into 1 to 3 dimensions.
    fn factor(rng: &mut Rng, count: u64) -> Vec<u64> {
        let mut dims = Vec::new();
        let mut rest = count;
        for _ in 0..rng.below(3) {
            let divisors: Vec<u64> = (1..=rest).filter(|&d| rest.is_multiple_of(d)).collect();
            let d = divisors[rng.below(divisors.len() as u64) as usize];
            dims.push(d);
            rest /= d;
        }
        dims.push(rest);
        dims
    }

    fn program(seed: u64) -> String {
        let mut rng = Rng(seed);
        let rank = 1 + rng.below(3) as usize;
        let mut dims: Vec<u64> = (0..rank)
            .map(|_| 1 + rng.below(if rank == 3 { 5 } else { 14 }))
            .collect();
        let mut args = vec![format!("%x: {}", ty(&dims, "f32"))];
        let mut body = Vec::new();
        let mut cur = String::from("%x");
        for step in 0..1 + rng.below(5) {
            let out = format!("%v{step}");
            let (from, rank) = (ty(&dims, "f32"), dims.len() as u64);
            let line = match rng.below(8) {
                0 => {
                    let op = ["relu", "tanh", "exp"][rng.below(3) as usize];
                    format!("{out} = tensor.{op}({cur}) : ({from}) -> {from}")
                }
                1 => {
                    // A broadcast operand: a suffix of the dims, each kept or made 1.
                    let keep = 1 + rng.below(rank) as usize;
                    let other: Vec<u64> = dims[dims.len() - keep..]
                        .iter()
                        .map(|&d| if rng.below(2) == 0 { d } else { 1 })
                        .collect();
                    let name = format!("%a{step}");
                    args.push(format!("{name}: {}", ty(&other, "f32")));
                    let op = ["add", "sub", "mul", "max"][rng.below(4) as usize];
                    let (a, b) = if rng.below(2) == 0 {
                        (&cur, &name)
                    } else {
                        (&name, &cur)
                    };
                    let (ta, tb) = if a == &cur {
                        (from.clone(), ty(&other, "f32"))
                    } else {
                        (ty(&other, "f32"), from.clone())
                    };
                    format!("{out} = tensor.{op}({a}, {b}) : ({ta}, {tb}) -> {from}")
                }
                2 => {
                    let axis = rng.below(rank) as usize;
                    dims[axis] = 1;
                    format!(
                        "{out} = tensor.reduce_sum({cur}) {{axis = {axis}}} : ({from}) -> {}",
                        ty(&dims, "f32")
                    )
                }
                3 => {
                    let axis = rng.below(rank);
                    format!("{out} = tensor.softmax({cur}) {{axis = {axis}}} : ({from}) -> {from}")
                }
                4 if rank >= 2 => {
                    let mut perm: Vec<usize> = (0..rank as usize).collect();
                    for i in (1..perm.len()).rev() {
                        perm.swap(i, rng.below(i as u64 + 1) as usize);
                    }
                    let old = dims.clone();
                    dims = perm.iter().map(|&p| old[p]).collect();
                    let list: Vec<String> = perm.iter().map(usize::to_string).collect();
                    format!(
                        "{out} = tensor.transpose({cur}) {{perm = [{}]}} : ({from}) -> {}",
                        list.join(", "),
                        ty(&dims, "f32")
                    )
                }
                5 => {
                    dims = factor(&mut rng, dims.iter().product());
                    format!(
                        "{out} = tensor.reshape({cur}) : ({from}) -> {}",
                        ty(&dims, "f32")
                    )
                }
                6 if rank >= 2 => {
                    let k = *dims.last().unwrap();
                    let n = 1 + rng.below(14);
                    let half = ty(&dims, "f16");
                    body.push(format!("{out}h = tensor.cast({cur}) : ({from}) -> {half}"));
                    body.push(format!(
                        "{out}w = tensor.const() {{seed = {step}}} : () -> {}",
                        ty(&[k, n], "f16")
                    ));
                    *dims.last_mut().unwrap() = n;
                    format!(
                        "{out} = tensor.matmul({out}h, {out}w) : ({half}, {}) -> {}",
                        ty(&[k, n], "f16"),
                        ty(&dims, "f32")
                    )
                }
                _ => {
                    let half = ty(&dims, "bf16");
                    body.push(format!("{out}h = tensor.cast({cur}) : ({from}) -> {half}"));
                    format!("{out} = tensor.cast({out}h) : ({half}) -> {from}")
                }
            };
            body.push(line);
            cur = out;
        }
        let result = ty(&dims, "f32");
        body.push(format!("func.return({cur}) : ({result}) -> ()"));
        roomy(&format!(
            "func @f({}) -> ({result}) {{\n{}\n}}",
            args.join(", "),
            body.join("\n")
        ))
    }

    #[test]
    fn random_programs_compute_their_tensor_programs() {
        for seed in 0..300 {
            let text = program(seed);
            let outcome = std::panic::catch_unwind(|| check(&text, ""));
            assert!(outcome.is_ok(), "seed {seed}:\n{text}");
        }
    }
}
