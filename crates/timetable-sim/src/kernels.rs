//! Lane-wise kernels: [`arith`](crate::arith) applied over whole [`Lanes`], the inner
//! loops of the VXM and of tensor-level elementwise ops. Each kernel matches on the
//! operation and overflow mode once, outside a branch-free loop over a slice, and writes
//! into a caller-provided vector so the simulator can reuse storage.

use crate::arith::{Arith, Float, Transcendental, convert};
use crate::lanes::{Elem, Lanes};
use half::{bf16, f16};
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
pub fn apply(
    kernel: Kernel,
    ov: IntOverflow,
    operands: &[&Lanes],
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
        Kernel::Binary(op) => binary(op, ov, operands[0], operands[1], out),
        Kernel::Unary(op) => unary(op, operands[0], out),
        Kernel::Cast(to) => {
            cast(operands[0], to, ov, out);
            Ok(())
        }
        Kernel::Select => select(operands[0], operands[1], operands[2], out),
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
    let o = output::<T>(out, a.len());
    match op {
        Unary::Relu => map1(a, o, T::relu),
        Unary::Transcendental(t) => map1(a, o, |x| t.eval(x)),
    }
}

fn relu_int<T: Arith>(a: &[T], out: &mut Lanes) {
    map1(a, output::<T>(out, a.len()), T::relu);
}

fn unary(op: Unary, a: &Lanes, out: &mut Lanes) -> Result<(), KernelError> {
    match (op, a) {
        (Unary::Relu, Lanes::I8(v)) => relu_int(v, out),
        (Unary::Relu, Lanes::I16(v)) => relu_int(v, out),
        (Unary::Relu, Lanes::I32(v)) => relu_int(v, out),
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
    with_lanes!(a, v => cast_from(v, to, ov, out))
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
