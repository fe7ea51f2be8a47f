//! The switch unit's data movement (docs/semantics.md, section 6): bits are copied, never
//! computed on, so one generic implementation serves every element type.

use crate::lanes::{Elem, Lanes};
use std::ops::Deref;

/// A single-vector SXM op, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Lane `i` moves to `i + amount`; vacated lanes are zero.
    Shift(i64),
    /// Lane `i` moves to `(i + amount) mod lanes`.
    Rotate(i64),
    /// `out[i] = in[perm[i]]`.
    Permute(Vec<u32>),
    /// Every lane gets `in[lane]`.
    Distribute(u32),
}

fn typed<T: Elem>(m: &Movement, x: &[T], out: &mut Lanes) {
    let n = x.len();
    if out.elem() != T::TYPE {
        *out = T::wrap(Vec::with_capacity(n));
    }
    let o = T::vec_mut(out).expect("the variant is T's");
    o.clear();
    o.resize(n, T::default());
    match m {
        Movement::Shift(a) => {
            let a = *a;
            let k = a.unsigned_abs().min(n as u64) as usize;
            if a >= 0 {
                o[k..].copy_from_slice(&x[..n - k]);
            } else {
                o[..n - k].copy_from_slice(&x[k..]);
            }
        }
        Movement::Rotate(a) => {
            if n > 0 {
                let k = a.rem_euclid(n as i64) as usize;
                o[k..].copy_from_slice(&x[..n - k]);
                o[..k].copy_from_slice(&x[n - k..]);
            }
        }
        Movement::Permute(perm) => {
            for (o, &p) in o.iter_mut().zip(perm) {
                *o = x[p as usize];
            }
        }
        Movement::Distribute(lane) => o.fill(x[*lane as usize]),
    }
}

/// Applies a movement to `x`, writing into `out` (storage reused when the type matches).
/// `Permute` and `Distribute` indices must be lanes of `x` (the verifier checks them).
pub fn apply(m: &Movement, x: &Lanes, out: &mut Lanes) {
    with_lanes!(x, v => typed(m, v, out))
}

/// `sxm.transpose`: `g` vectors in, `g` out; within each superlane block of `g` lanes,
/// `out_i[s·g + j] = in_j[s·g + i]`. `None` if the operands differ in type or length.
pub fn transpose<L: Deref<Target = Lanes>>(inputs: &[L], g: usize) -> Option<Vec<Lanes>> {
    let first: &Lanes = inputs.first()?;
    with_lanes!(first, v => transpose_typed(v, inputs, g))
}

/// `_first` fixes `T` to the first operand's type.
fn transpose_typed<T: Elem, L: Deref<Target = Lanes>>(
    _first: &[T],
    inputs: &[L],
    g: usize,
) -> Option<Vec<Lanes>> {
    let srcs: Vec<&[T]> = inputs.iter().map(|l| T::slice(l)).collect::<Option<_>>()?;
    let lanes = srcs[0].len();
    if g == 0
        || srcs.len() != g
        || srcs.iter().any(|s| s.len() != lanes)
        || !lanes.is_multiple_of(g)
    {
        return None;
    }
    let out = (0..g)
        .map(|i| {
            let v: Vec<T> = (0..lanes)
                .map(|lane| {
                    let (s, j) = (lane / g, lane % g);
                    srcs[j][s * g + i]
                })
                .collect();
            T::wrap(v)
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(m: Movement, x: &[i8]) -> Vec<i8> {
        let mut out = Lanes::I8(Vec::new());
        apply(&m, &Lanes::I8(x.to_vec()), &mut out);
        match out {
            Lanes::I8(v) => v,
            _ => unreachable!(),
        }
    }

    #[test]
    fn shifts_rotate_permute_distribute() {
        let x = [1, 2, 3, 4];
        assert_eq!(run(Movement::Shift(1), &x), [0, 1, 2, 3]);
        assert_eq!(run(Movement::Shift(-2), &x), [3, 4, 0, 0]);
        assert_eq!(run(Movement::Shift(9), &x), [0, 0, 0, 0]);
        assert_eq!(run(Movement::Rotate(1), &x), [4, 1, 2, 3]);
        assert_eq!(run(Movement::Rotate(-1), &x), [2, 3, 4, 1]);
        assert_eq!(run(Movement::Permute(vec![3, 2, 1, 0]), &x), [4, 3, 2, 1]);
        assert_eq!(run(Movement::Distribute(2), &x), [3, 3, 3, 3]);
    }

    #[test]
    fn transpose_swaps_within_superlanes() {
        // 4 lanes, 2 superlanes of g = 2.
        let a = Lanes::I8(vec![1, 2, 3, 4]);
        let b = Lanes::I8(vec![5, 6, 7, 8]);
        let out = transpose(&[&a, &b], 2).unwrap();
        assert!(out[0].bits_eq(&Lanes::I8(vec![1, 5, 3, 7])));
        assert!(out[1].bits_eq(&Lanes::I8(vec![2, 6, 4, 8])));
    }
}
