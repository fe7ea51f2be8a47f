//! Lane-wise kernels: [`arith`](crate::arith) applied over whole [`Lanes`], the inner
//! loops of the VXM and of tensor-level elementwise ops. Each kernel matches on the
//! operation and overflow mode once, outside a branch-free loop over a slice, and writes
//! into a caller-provided vector so the simulator can reuse storage.

use crate::arith::{Arith, F16_NAN_BITS, Float, Transcendental, canon, convert};
use crate::lanes::{Elem, Lanes};
use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use std::ops::Deref;
use timetable_ir::registry::LaneOp;
use timetable_ir::target::IntOverflow;
use timetable_ir::types::ElemType;

/// What a lane-wise op does, decoded from the registry's [`LaneOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Binary(Binary),
    Unary(Unary),
    Cast(ElemType),
    Select,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Max,
    Min,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    Relu,
    Transcendental(Transcendental),
}

impl Kernel {
    /// The kernel of a registry lane op; `result` is the result element type (for casts).
    pub fn of(op: LaneOp, result: ElemType) -> Kernel {
        use Transcendental as T;
        match op {
            LaneOp::Add => Kernel::Binary(Binary::Add),
            LaneOp::Sub => Kernel::Binary(Binary::Sub),
            LaneOp::Mul => Kernel::Binary(Binary::Mul),
            LaneOp::Max => Kernel::Binary(Binary::Max),
            LaneOp::Min => Kernel::Binary(Binary::Min),
            LaneOp::Relu => Kernel::Unary(Unary::Relu),
            LaneOp::Tanh => Kernel::Unary(Unary::Transcendental(T::Tanh)),
            LaneOp::Exp => Kernel::Unary(Unary::Transcendental(T::Exp)),
            LaneOp::Rsqrt => Kernel::Unary(Unary::Transcendental(T::Rsqrt)),
            LaneOp::Recip => Kernel::Unary(Unary::Transcendental(T::Recip)),
            LaneOp::Cast => Kernel::Cast(result),
            LaneOp::Select => Kernel::Select,
        }
    }

    pub fn arity(self) -> usize {
        match self {
            Kernel::Binary(_) => 2,
            Kernel::Unary(_) | Kernel::Cast(_) => 1,
            Kernel::Select => 3,
        }
    }
}

/// Why a kernel cannot run: operands of the wrong number or types. The verifier rules
/// these out; interpreters turn them into diagnostics rather than panics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelError(pub String);

/// Runs a kernel on `operands`, writing the result into `out` (its storage is reused when
/// the element type matches).
pub fn apply<L: Deref<Target = Lanes>>(
    kernel: Kernel,
    ov: IntOverflow,
    operands: &[L],
    out: &mut Lanes,
) -> Result<(), KernelError> {
    if operands.len() != kernel.arity() {
        return Err(KernelError(format!(
            "takes {} operand(s), not {}",
            kernel.arity(),
            operands.len()
        )));
    }
    let n = operands[0].len();
    if operands.iter().any(|o| o.len() != n) {
        return Err(KernelError("operands differ in length".into()));
    }
    match kernel {
        Kernel::Binary(op) => binary(op, ov, &operands[0], &operands[1], out),
        Kernel::Unary(op) => unary(op, &operands[0], out),
        Kernel::Cast(to) => {
            cast(&operands[0], to, ov, out);
            Ok(())
        }
        Kernel::Select => select(&operands[0], &operands[1], &operands[2], out),
    }
}

/// Runs a kernel into a fresh vector.
pub fn eval(kernel: Kernel, ov: IntOverflow, operands: &[&Lanes]) -> Result<Lanes, KernelError> {
    let mut out = Lanes::I8(Vec::new());
    apply(kernel, ov, operands, &mut out)?;
    Ok(out)
}

/// The output vector of type `T` inside `out`, resized to `n` (reusing its storage).
fn output<T: Elem>(out: &mut Lanes, n: usize) -> &mut Vec<T> {
    if out.elem() != T::TYPE {
        *out = T::wrap(Vec::with_capacity(n));
    }
    let v = T::vec_mut(out).expect("the variant was just set to T's");
    v.clear();
    v.resize(n, T::default());
    v
}

#[inline(always)]
fn map2<T: Copy, U>(a: &[T], b: &[T], out: &mut [U], f: impl Fn(T, T) -> U) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

#[inline(always)]
fn map1<T: Copy, U>(a: &[T], out: &mut [U], f: impl Fn(T) -> U) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = f(x);
    }
}

fn binary_typed<T: Arith>(op: Binary, ov: IntOverflow, a: &[T], b: &[T], out: &mut Lanes) {
    let o = output::<T>(out, a.len());
    // The mode is a constant in each arm, so every loop body is branch-free.
    macro_rules! by_mode {
        ($f:ident) => {
            match ov {
                IntOverflow::Wrap => map2(a, b, o, |x, y| T::$f(x, y, IntOverflow::Wrap)),
                IntOverflow::Saturate => map2(a, b, o, |x, y| T::$f(x, y, IntOverflow::Saturate)),
            }
        };
    }
    match op {
        Binary::Add => by_mode!(add),
        Binary::Sub => by_mode!(sub),
        Binary::Mul => by_mode!(mul),
        Binary::Max => map2(a, b, o, T::max),
        Binary::Min => map2(a, b, o, T::min),
    }
}

macro_rules! same_type {
    ($what:expr; $($l:expr),+ => |$($v:ident),+| $body:expr) => {
        match ($($l,)+) {
            ($(Lanes::I8($v),)+) => $body,
            ($(Lanes::I16($v),)+) => $body,
            ($(Lanes::I32($v),)+) => $body,
            ($(Lanes::F16($v),)+) => $body,
            ($(Lanes::BF16($v),)+) => $body,
            ($(Lanes::F32($v),)+) => $body,
            #[allow(unreachable_patterns)]
            _ => return Err(KernelError(format!("{} needs operands of one element type", $what))),
        }
    };
}

fn binary(
    op: Binary,
    ov: IntOverflow,
    a: &Lanes,
    b: &Lanes,
    out: &mut Lanes,
) -> Result<(), KernelError> {
    same_type!("a binary op"; a, b => |x, y| binary_typed(op, ov, x, y, out));
    Ok(())
}

fn unary_float<T: Float>(op: Unary, a: &[T], out: &mut Lanes) {
    use Transcendental as T_;
    let o = output::<T>(out, a.len());
    // One loop per function, so the function is not chosen again for every lane.
    match op {
        Unary::Relu => map1(a, o, T::relu),
        Unary::Transcendental(T_::Exp) => map1(a, o, |x| T_::Exp.eval(x)),
        Unary::Transcendental(T_::Tanh) => map1(a, o, |x| T_::Tanh.eval(x)),
        Unary::Transcendental(T_::Rsqrt) => map1(a, o, |x| T_::Rsqrt.eval(x)),
        Unary::Transcendental(T_::Recip) => map1(a, o, |x| T_::Recip.eval(x)),
    }
}

/// A lane function known at compile time, so loops over it inline completely.
trait LaneFn {
    fn call(x: f32) -> f32;
}

macro_rules! lane_fns {
    ($($name:ident => $t:expr),*) => {$(
        struct $name;
        impl LaneFn for $name {
            #[inline(always)]
            fn call(x: f32) -> f32 {
                $t.eval(x)
            }
        }
    )*};
}

lane_fns!(ExpFn => Transcendental::Exp, TanhFn => Transcendental::Tanh,
    RsqrtFn => Transcendental::Rsqrt, RecipFn => Transcendental::Recip);

#[inline(always)]
fn map_fn<F: LaneFn>(a: &[f32], o: &mut [f32]) {
    for (o, &x) in o.iter_mut().zip(a) {
        *o = F::call(x);
    }
}

#[inline(always)]
fn each(t: Transcendental, a: &[f32], o: &mut [f32]) {
    match t {
        Transcendental::Exp => map_fn::<ExpFn>(a, o),
        Transcendental::Tanh => map_fn::<TanhFn>(a, o),
        Transcendental::Rsqrt => map_fn::<RsqrtFn>(a, o),
        Transcendental::Recip => map_fn::<RecipFn>(a, o),
    }
}

/// [`each`] compiled for 256-bit vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn each_avx2(t: Transcendental, a: &[f32], o: &mut [f32]) {
    each(t, a, o)
}

/// The f32 transcendentals over a slice: the hottest loops of float programs. On x86-64
/// with AVX2 the same code is compiled for 256-bit vectors (the same IEEE operations in the
/// same order, so the same bits as the baseline build).
fn transcendental_f32(t: Transcendental, a: &[f32], out: &mut Lanes) {
    let o = output::<f32>(out, a.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { each_avx2(t, a, o) };
        return;
    }
    each(t, a, o)
}

fn relu_int<T: Arith>(a: &[T], out: &mut Lanes) {
    map1(a, output::<T>(out, a.len()), T::relu);
}

fn unary(op: Unary, a: &Lanes, out: &mut Lanes) -> Result<(), KernelError> {
    match (op, a) {
        (Unary::Relu, Lanes::I8(v)) => relu_int(v, out),
        (Unary::Relu, Lanes::I16(v)) => relu_int(v, out),
        (Unary::Relu, Lanes::I32(v)) => relu_int(v, out),
        (Unary::Transcendental(t), Lanes::F32(v)) => transcendental_f32(t, v, out),
        (_, Lanes::F16(v)) => unary_float(op, v, out),
        (_, Lanes::BF16(v)) => unary_float(op, v, out),
        (_, Lanes::F32(v)) => unary_float(op, v, out),
        (_, other) => {
            return Err(KernelError(format!(
                "{op:?} is defined on floats, not {}",
                other.elem()
            )));
        }
    }
    Ok(())
}

fn select_typed<T: Arith>(c: &[T], a: &[T], b: &[T], out: &mut Lanes) {
    let o = output::<T>(out, c.len());
    for (((o, &c), &x), &y) in o.iter_mut().zip(c).zip(a).zip(b) {
        *o = if c.nonzero() { x } else { y };
    }
}

fn select(c: &Lanes, a: &Lanes, b: &Lanes, out: &mut Lanes) -> Result<(), KernelError> {
    same_type!("select"; c, a, b => |x, y, z| select_typed(x, y, z, out));
    Ok(())
}

fn cast_to<S: Arith, D: Arith>(a: &[S], ov: IntOverflow, out: &mut Lanes) {
    map1(a, output::<D>(out, a.len()), |x| convert::<S, D>(x, ov));
}

fn cast_from<S: Arith>(a: &[S], to: ElemType, ov: IntOverflow, out: &mut Lanes) {
    match to {
        ElemType::I8 => cast_to::<S, i8>(a, ov, out),
        ElemType::I16 => cast_to::<S, i16>(a, ov, out),
        ElemType::I32 => cast_to::<S, i32>(a, ov, out),
        ElemType::F16 => cast_to::<S, f16>(a, ov, out),
        ElemType::BF16 => cast_to::<S, bf16>(a, ov, out),
        ElemType::F32 => cast_to::<S, f32>(a, ov, out),
    }
}

/// Converts every element to `to` (docs/semantics.md, section 4).
pub fn cast(a: &Lanes, to: ElemType, ov: IntOverflow, out: &mut Lanes) {
    // f32 <-> f16 (the MXM's operand type) in bulk: F16C converts 8 lanes at once with the
    // same round-to-nearest-even; NaNs are made canonical afterwards.
    match (a, to) {
        (Lanes::F32(v), ElemType::F16) => {
            let o = output::<f16>(out, v.len());
            o.convert_from_f32_slice(v);
            for x in o.iter_mut() {
                let b = x.to_bits();
                *x = f16::from_bits(if b & 0x7fff > 0x7c00 { F16_NAN_BITS } else { b });
            }
        }
        (Lanes::F16(v), ElemType::F32) => {
            let o = output::<f32>(out, v.len());
            v.convert_to_f32_slice(o);
            for x in o.iter_mut() {
                *x = canon(*x);
            }
        }
        _ => with_lanes!(a, v => cast_from(v, to, ov, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOverflow::{Saturate, Wrap};

    fn run(k: Kernel, ov: IntOverflow, ops: &[&Lanes]) -> Lanes {
        eval(k, ov, ops).unwrap()
    }

    #[test]
    fn binary_kernels_apply_per_lane() {
        let a = Lanes::I8(vec![100, -100, 5]);
        let b = Lanes::I8(vec![100, -100, -7]);
        let add = Kernel::Binary(Binary::Add);
        assert!(run(add, Wrap, &[&a, &b]).bits_eq(&Lanes::I8(vec![-56, 56, -2])));
        assert!(run(add, Saturate, &[&a, &b]).bits_eq(&Lanes::I8(vec![127, -128, -2])));
        let x = Lanes::F32(vec![1.0, f32::NAN, -0.0]);
        let y = Lanes::F32(vec![2.0, 1.0, 0.0]);
        let m = run(Kernel::Binary(Binary::Max), Wrap, &[&x, &y]);
        assert!(m.bits_eq(&Lanes::F32(vec![2.0, crate::arith::F32_NAN, 0.0])));
    }

    #[test]
    fn mismatched_types_are_errors_not_panics() {
        let a = Lanes::I8(vec![1]);
        let b = Lanes::F32(vec![1.0]);
        assert!(eval(Kernel::Binary(Binary::Add), Wrap, &[&a, &b]).is_err());
        let tanh = Kernel::Unary(Unary::Transcendental(Transcendental::Tanh));
        assert!(eval(tanh, Wrap, &[&a]).is_err());
        assert!(eval(Kernel::Select, Wrap, &[&a, &a]).is_err());
    }

    #[test]
    fn select_and_cast() {
        let c = Lanes::F32(vec![0.0, -0.0, f32::NAN, 2.0]);
        let a = Lanes::F32(vec![1.0; 4]);
        let b = Lanes::F32(vec![2.0; 4]);
        let s = run(Kernel::Select, Wrap, &[&c, &a, &b]);
        assert!(s.bits_eq(&Lanes::F32(vec![2.0, 2.0, 1.0, 1.0])));
        let x = Lanes::F32(vec![2.5, -2.5, 1e10]);
        let i = run(Kernel::Cast(ElemType::I16), Wrap, &[&x]);
        assert!(i.bits_eq(&Lanes::I16(vec![2, -2, i16::MAX])));
    }

    #[test]
    fn bulk_f16_casts_equal_element_casts() {
        let x: Vec<f32> = (0..4000)
            .map(|i| f32::from_bits((i as u32).wrapping_mul(2_654_435_761)))
            .chain([
                65519.996,
                65520.0,
                -0.0,
                f32::INFINITY,
                2f32.powi(-25),
                f32::NAN,
            ])
            .collect();
        let bulk = run(Kernel::Cast(ElemType::F16), Wrap, &[&Lanes::F32(x.clone())]);
        let each: Vec<f16> = x.iter().map(|&v| convert::<f32, f16>(v, Wrap)).collect();
        assert!(bulk.bits_eq(&Lanes::F16(each.clone())));
        let back = run(
            Kernel::Cast(ElemType::F32),
            Wrap,
            &[&Lanes::F16(each.clone())],
        );
        let each_back: Vec<f32> = each.iter().map(|&v| convert::<f16, f32>(v, Wrap)).collect();
        assert!(back.bits_eq(&Lanes::F32(each_back)));
    }

    #[test]
    fn output_storage_is_reused() {
        let a = Lanes::F32(vec![1.0; 64]);
        let mut out = Lanes::F32(Vec::with_capacity(64));
        let ptr = match &out {
            Lanes::F32(v) => v.as_ptr(),
            _ => unreachable!(),
        };
        apply(Kernel::Binary(Binary::Add), Wrap, &[&a, &a], &mut out).unwrap();
        match &out {
            Lanes::F32(v) => assert_eq!(v.as_ptr(), ptr),
            _ => panic!("type changed"),
        }
    }
}
