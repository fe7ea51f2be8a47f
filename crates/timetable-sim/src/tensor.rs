//! Tensors with real values and the tensor-level ops on them (docs/semantics.md). Every
//! computation goes through [`kernels`](crate::kernels) and [`sums`](crate::sums), the
//! same code the machine-level interpreters use.

use crate::arith::{Accumulate, Arith, Transcendental};
use crate::kernels::{self, Binary, Kernel, KernelError, Unary};
use crate::lanes::Lanes;
use crate::sums;
use half::{bf16, f16};
use std::fmt;
use timetable_ir::layout::Layout;
use timetable_ir::target::IntOverflow;
use timetable_ir::types::ElemType;

/// A tensor: a static shape and its elements in row-major order.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Lanes,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Lanes) -> Result<Tensor, String> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(format!(
                "shape {shape:?} holds {n} elements, not {}",
                data.len()
            ));
        }
        Ok(Tensor { shape, data })
    }

    pub fn zeros(shape: Vec<usize>, elem: ElemType) -> Tensor {
        let n = shape.iter().product();
        Tensor {
            shape,
            data: Lanes::zeros(elem, n),
        }
    }

    pub fn elem(&self) -> ElemType {
        self.data.elem()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `tensor<2x3xf32>`.
    pub fn type_name(&self) -> String {
        let dims: String = self.shape.iter().map(|d| format!("{d}x")).collect();
        format!("tensor<{dims}{}>", self.elem())
    }

    /// Same shape and the same bits everywhere.
    pub fn bits_eq(&self, other: &Tensor) -> bool {
        self.shape == other.shape && self.data.bits_eq(&other.data)
    }

    /// The multi-dimensional index of flat element `i`.
    pub fn index_of(&self, mut i: usize) -> Vec<usize> {
        let mut idx = vec![0; self.shape.len()];
        for (d, &n) in self.shape.iter().enumerate().rev() {
            idx[d] = i % n.max(1);
            i /= n.max(1);
        }
        idx
    }

    // ---- the canonical layout (ir.md, timetable_ir::layout) ----------------------

    /// Cuts the tensor into buffer vectors of `lanes` elements; padding lanes are zero.
    pub fn to_vectors(&self, lanes: usize) -> Vec<Lanes> {
        let (rows, cols) = rows_cols(&self.shape);
        let chunks = cols.div_ceil(lanes).max(1);
        let mut out = Vec::with_capacity(rows * chunks);
        for r in 0..rows {
            for c in 0..chunks {
                let start = c * lanes;
                let n = lanes.min(cols.saturating_sub(start));
                let mut v = Lanes::zeros(self.elem(), lanes);
                v.write_at(0, &self.data.window(r * cols + start, n));
                out.push(v);
            }
        }
        out
    }

    /// Reassembles a tensor of `shape` from buffer vectors (padding lanes are ignored).
    pub fn from_vectors(shape: Vec<usize>, vectors: &[Lanes], lanes: usize) -> Tensor {
        let elem = vectors.first().map_or(ElemType::F32, Lanes::elem);
        let (rows, cols) = rows_cols(&shape);
        let chunks = cols.div_ceil(lanes).max(1);
        let mut t = Tensor::zeros(shape, elem);
        for r in 0..rows {
            for c in 0..chunks {
                let start = c * lanes;
                let n = lanes.min(cols.saturating_sub(start));
                if let Some(v) = vectors.get(r * chunks + c) {
                    t.data.write_at(r * cols + start, &v.window(0, n));
                }
            }
        }
        t
    }
}

/// Rows and columns of the canonical layout (checked against `timetable_ir::layout`).
fn rows_cols(shape: &[usize]) -> (usize, usize) {
    match shape.split_last() {
        None => (1, 1),
        Some((&last, rest)) => (rest.iter().product(), last),
    }
}

/// The layout of a static shape, as the IR computes it.
pub fn layout_of(shape: &[usize], lanes: u32) -> Layout {
    let (rows, cols) = rows_cols(shape);
    Layout {
        rows: rows as u64,
        cols: cols as u64,
        lanes: u64::from(lanes),
    }
}

// ---- elementwise ops with broadcasting ---------------------------------------------

/// NumPy broadcasting of two static shapes.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], i: usize| (i + s.len()).checked_sub(n).map_or(1, |j| s[j]);
    (0..n)
        .map(|i| match (get(a, i), get(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// Row-major strides of `shape` right-aligned into `out` dimensions, 0 where broadcast.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; out.len()];
    let mut stride = 1;
    for (i, &d) in shape.iter().enumerate().rev() {
        let o = out.len() - shape.len() + i;
        strides[o] = if d == 1 && out[o] != 1 { 0 } else { stride };
        stride *= d;
    }
    strides
}

/// For each element of `out_shape` in row-major order, the flat index in `in_shape`
/// (strides in output dimension order).
fn strided_index(out_shape: &[usize], strides: &[usize]) -> Vec<usize> {
    let total: usize = out_shape.iter().product();
    let mut index = Vec::with_capacity(total);
    let mut counter = vec![0usize; out_shape.len()];
    let mut flat = 0usize;
    for _ in 0..total {
        index.push(flat);
        for d in (0..out_shape.len()).rev() {
            counter[d] += 1;
            flat += strides[d];
            if counter[d] < out_shape[d] {
                break;
            }
            flat -= strides[d] * counter[d];
            counter[d] = 0;
        }
    }
    index
}

/// The tensor broadcast to `shape` (a copy; `None` if it does not broadcast).
pub fn broadcast_to(t: &Tensor, shape: &[usize]) -> Option<Tensor> {
    if t.shape == shape {
        return Some(t.clone());
    }
    if broadcast_shape(&t.shape, shape)? != shape {
        return None;
    }
    let index = strided_index(shape, &broadcast_strides(&t.shape, shape));
    Some(Tensor {
        shape: shape.to_vec(),
        data: t.data.gather(&index),
    })
}

/// A lane-wise kernel over tensors, broadcasting the operands NumPy-style.
pub fn elementwise(
    kernel: Kernel,
    ov: IntOverflow,
    operands: &[&Tensor],
) -> Result<Tensor, KernelError> {
    let mut shape: Vec<usize> = Vec::new();
    for t in operands {
        shape = broadcast_shape(&shape, &t.shape).ok_or_else(|| {
            KernelError(format!(
                "shapes {:?} and {:?} do not broadcast",
                shape, t.shape
            ))
        })?;
    }
    let expanded: Vec<Tensor> = operands
        .iter()
        .map(|t| broadcast_to(t, &shape).expect("shape is their broadcast"))
        .collect();
    let refs: Vec<&Lanes> = expanded.iter().map(|t| &t.data).collect();
    Ok(Tensor {
        shape,
        data: kernels::eval(kernel, ov, &refs)?,
    })
}

// ---- data movement -----------------------------------------------------------------

/// Permutes dimensions: result dimension `i` is input dimension `perm[i]`.
pub fn transpose(t: &Tensor, perm: &[usize]) -> Tensor {
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape[p]).collect();
    let mut in_strides = vec![1usize; t.shape.len()];
    for d in (0..t.shape.len().saturating_sub(1)).rev() {
        in_strides[d] = in_strides[d + 1] * t.shape[d + 1];
    }
    let strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let index = strided_index(&shape, &strides);
    Tensor {
        shape,
        data: t.data.gather(&index),
    }
}

// ---- sums --------------------------------------------------------------------------

macro_rules! by_type {
    ($lanes:expr, |$v:ident: $t:ident| $body:expr) => {
        match $lanes {
            Lanes::I8($v) => {
                type $t = i8;
                $body
            }
            Lanes::I16($v) => {
                type $t = i16;
                $body
            }
            Lanes::I32($v) => {
                type $t = i32;
                $body
            }
            Lanes::F16($v) => {
                type $t = f16;
                $body
            }
            Lanes::BF16($v) => {
                type $t = bf16;
                $body
            }
            Lanes::F32($v) => {
                type $t = f32;
                $body
            }
        }
    };
}

fn wrap_acc<A: Arith>(v: Vec<A>) -> Lanes {
    A::wrap(v)
}

/// `[.., M, K] x [K, N] -> [.., M, N]` in the accumulator type, chunked by `lanes` along
/// `K` (docs/semantics.md, section 5). The operands must share an element type.
pub fn matmul(
    x: &Tensor,
    w: &Tensor,
    lanes: usize,
    ov: IntOverflow,
) -> Result<Tensor, KernelError> {
    let (Some((&k, lead)), [k2, n]) = (x.shape.split_last(), w.shape.as_slice()) else {
        return Err(KernelError(format!(
            "matmul of {:?} by {:?}",
            x.shape, w.shape
        )));
    };
    if k != *k2 || lead.is_empty() {
        return Err(KernelError(format!(
            "matmul of {:?} by {:?}",
            x.shape, w.shape
        )));
    }
    let rows: usize = lead.iter().product();
    let mut shape = lead.to_vec();
    shape.push(*n);
    fn go<T: Accumulate>(
        x: &[T],
        w: &Lanes,
        dims: (usize, usize, usize),
        lanes: usize,
        ov: IntOverflow,
    ) -> Result<Lanes, KernelError> {
        let w = <T as crate::lanes::Elem>::slice(w)
            .ok_or_else(|| KernelError("matmul operands differ in element type".into()))?;
        Ok(wrap_acc(sums::matmul(x, w, dims, lanes, ov)))
    }
    let data = by_type!(&x.data, |v: T| go::<T>(
        v,
        &w.data,
        (rows, k, *n),
        lanes,
        ov
    ))?;
    Ok(Tensor { shape, data })
}

/// Splits `shape` around `axis`: (outer, n, inner).
fn around(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

/// The sum over `axis` (kept with size 1) in the element type, in the order the lowered
/// program adds: a lane tree when `axis` is the last one, index order otherwise.
pub fn reduce_sum(x: &Tensor, axis: usize, lanes: usize, ov: IntOverflow) -> Tensor {
    let dims = around(&x.shape, axis);
    let last = axis + 1 == x.shape.len();
    let data = by_type!(&x.data, |v: T| {
        <T as crate::lanes::Elem>::wrap(sums::reduce_sum::<T>(v, dims, last, lanes, ov))
    });
    let mut shape = x.shape.clone();
    shape[axis] = 1;
    Tensor { shape, data }
}

/// The maximum over `axis` (kept with size 1); order does not matter (section 3).
pub fn reduce_max(x: &Tensor, axis: usize) -> Tensor {
    let (outer, n, inner) = around(&x.shape, axis);
    let mut shape = x.shape.clone();
    shape[axis] = 1;
    if n == 0 {
        // Never observed: whatever uses the maximum of no elements is itself empty.
        return Tensor::zeros(shape, x.elem());
    }
    let data = by_type!(&x.data, |v: T| {
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let first = v[o * n * inner + i];
                out.push((1..n).fold(first, |m, k| {
                    <T as Arith>::max(m, v[(o * n + k) * inner + i])
                }));
            }
        }
        <T as crate::lanes::Elem>::wrap(out)
    });
    Tensor { shape, data }
}

/// `exp(x - max) / sum(exp(x - max))` as the exact op sequence of section 5:
/// max, sub, exp, reduce_sum, recip, mul, each in the element type.
pub fn softmax(
    x: &Tensor,
    axis: usize,
    lanes: usize,
    ov: IntOverflow,
) -> Result<Tensor, KernelError> {
    let exp = Kernel::Unary(Unary::Transcendental(Transcendental::Exp));
    let recip = Kernel::Unary(Unary::Transcendental(Transcendental::Recip));
    let m = reduce_max(x, axis);
    let d = elementwise(Kernel::Binary(Binary::Sub), ov, &[x, &m])?;
    let e = elementwise(exp, ov, &[&d])?;
    let s = reduce_sum(&e, axis, lanes, ov);
    let r = elementwise(recip, ov, &[&s])?;
    elementwise(Kernel::Binary(Binary::Mul), ov, &[&e, &r])
}

// ---- printing ----------------------------------------------------------------------

/// NumPy-like nested lists; dimensions longer than `2 * edge` show their first and last
/// `edge` entries around `...`.
pub struct Display<'t> {
    pub tensor: &'t Tensor,
    /// `None` prints everything.
    pub edge: Option<usize>,
}

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.tensor;
        fn element(t: &Tensor, i: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if t.elem().is_float() {
                // The exact value, in the shortest form that identifies the f32.
                write!(f, "{:?}", t.data.value(i) as f32)
            } else {
                write!(f, "{}", t.data.value(i) as i64)
            }
        }
        fn rec(
            t: &Tensor,
            dim: usize,
            base: usize,
            edge: Option<usize>,
            f: &mut fmt::Formatter<'_>,
        ) -> fmt::Result {
            if dim == t.shape.len() {
                return element(t, base, f);
            }
            let n = t.shape[dim];
            let stride: usize = t.shape[dim + 1..].iter().product();
            f.write_str("[")?;
            let skip = edge.filter(|&e| n > 2 * e);
            let mut first = true;
            for i in 0..n {
                if let Some(e) = skip {
                    if i == e {
                        f.write_str(", ...")?;
                    }
                    if i >= e && i < n - e {
                        continue;
                    }
                }
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                rec(t, dim + 1, base + i * stride, edge, f)?;
            }
            f.write_str("]")
        }
        rec(t, 0, 0, self.edge, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOverflow::Wrap;

    fn f32s(shape: &[usize], v: &[f32]) -> Tensor {
        Tensor::new(shape.to_vec(), Lanes::F32(v.to_vec())).unwrap()
    }

    #[test]
    fn broadcasting_follows_numpy() {
        let a = f32s(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = f32s(&[3], &[10.0, 20.0, 30.0]);
        let c = f32s(&[2, 1], &[100.0, 200.0]);
        let add = Kernel::Binary(Binary::Add);
        let r = elementwise(add, Wrap, &[&a, &b]).unwrap();
        assert!(r.bits_eq(&f32s(&[2, 3], &[11.0, 22.0, 33.0, 14.0, 25.0, 36.0])));
        let r = elementwise(add, Wrap, &[&c, &b]).unwrap();
        assert!(r.bits_eq(&f32s(&[2, 3], &[110.0, 120.0, 130.0, 210.0, 220.0, 230.0])));
        assert!(elementwise(add, Wrap, &[&a, &f32s(&[2], &[1.0, 2.0])]).is_err());
    }

    #[test]
    fn transpose_and_layout_round_trip() {
        let a = f32s(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = transpose(&a, &[1, 0]);
        assert!(t.bits_eq(&f32s(&[3, 2], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0])));
        let v = a.to_vectors(2);
        assert_eq!(v.len(), 4);
        assert!(v[1].bits_eq(&Lanes::F32(vec![3.0, 0.0])));
        assert!(Tensor::from_vectors(vec![2, 3], &v, 2).bits_eq(&a));
        let l = layout_of(&[2, 3], 2);
        assert_eq!(l.vectors(), 4);
        assert_eq!(l.position(2), (1, 0));
    }

    #[test]
    fn softmax_rows_sum_to_about_one() {
        let x = f32s(&[2, 3], &[1.0, 2.0, 3.0, -1.0, 0.0, 1000.0]);
        let y = softmax(&x, 1, 8, Wrap).unwrap();
        let row0: f64 = (0..3).map(|i| y.data.value(i)).sum();
        assert!((row0 - 1.0).abs() < 1e-6);
        assert_eq!(y.data.value(5), 1.0);
        assert_eq!(y.data.value(3), 0.0);
    }

    #[test]
    fn matmul_widens_to_the_accumulator() {
        let x = Tensor::new(vec![1, 2], Lanes::I8(vec![100, 100])).unwrap();
        let w = Tensor::new(vec![2, 1], Lanes::I8(vec![100, 100])).unwrap();
        let y = matmul(&x, &w, 8, Wrap).unwrap();
        assert!(y.data.bits_eq(&Lanes::I32(vec![20000])));
    }

    #[test]
    fn printing_elides_long_dimensions() {
        let a = f32s(&[1, 8], &[0.5; 8]);
        let s = Display {
            tensor: &a,
            edge: Some(2),
        }
        .to_string();
        assert_eq!(s, "[[0.5, 0.5, ..., 0.5, 0.5]]");
    }
}
