//! Sums in the accumulator type, in the one order docs/semantics.md (section 5) defines:
//! each chunk of `lanes` terms sequentially from zero, chunks added in order. The MXM
//! (`mxm.mac`), `tensor.matmul`, `tensor.reduce_sum` and `tensor.softmax` all sum here.

use crate::arith::{Accumulate, Arith};
use timetable_ir::target::IntOverflow;

const fn mode(saturate: bool) -> IntOverflow {
    if saturate {
        IntOverflow::Saturate
    } else {
        IntOverflow::Wrap
    }
}

/// One chunk of a matrix-vector product: `out[j] = Σ_i x[i] · w[i][j]`, each column summed
/// from zero in increasing `i`, with `w` row-major (`x.len()` rows of `out.len()`).
/// This is `mxm.mac`'s computation, and one chunk of `tensor.matmul`.
pub fn chunk_dot<A: Arith>(x: &[A], w: &[A], out: &mut [A], ov: IntOverflow) {
    A::chunk_dot(x, w, out, ov)
}

/// [`chunk_dot`] through the element type's arithmetic, add by add.
pub fn chunk_dot_generic<A: Arith>(x: &[A], w: &[A], out: &mut [A], ov: IntOverflow) {
    match ov {
        IntOverflow::Wrap => chunk_dot_mode::<A, false>(x, w, out),
        IntOverflow::Saturate => chunk_dot_mode::<A, true>(x, w, out),
    }
}

fn chunk_dot_mode<A: Arith, const SAT: bool>(x: &[A], w: &[A], out: &mut [A]) {
    let ov = mode(SAT);
    let n = out.len();
    out.fill(A::default());
    // Row by row: every column's sum still runs in increasing `i`, and the inner loop is
    // a branch-free pass over a contiguous weight row.
    for (&xi, row) in x.iter().zip(w.chunks_exact(n)) {
        for (o, &wij) in out.iter_mut().zip(row) {
            *o = A::add(*o, A::mul(xi, wij, ov), ov);
        }
    }
}

/// [`chunk_dot`] for `f32` with plain IEEE operations and NaNs made canonical once at the
/// end: a NaN stays NaN through every later add, so this equals canonicalizing after each
/// operation. On x86-64 with AVX2 the loop runs on 256-bit vectors (same operations, same
/// order, same bits).
pub fn chunk_dot_f32(x: &[f32], w: &[f32], out: &mut [f32]) {
    #[inline(always)]
    fn run(x: &[f32], w: &[f32], out: &mut [f32]) {
        let n = out.len();
        out.fill(0.0);
        for (&xi, row) in x.iter().zip(w.chunks_exact(n)) {
            for (o, &wij) in out.iter_mut().zip(row) {
                *o += xi * wij;
            }
        }
        for o in out.iter_mut() {
            *o = crate::arith::canon(*o);
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn run_avx2(x: &[f32], w: &[f32], out: &mut [f32]) {
            run(x, w, out)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { run_avx2(x, w, out) };
            return;
        }
    }
    run(x, w, out)
}

/// `acc[j] = acc[j] + s[j]`: adding a chunk sum to an accumulator.
pub fn add_into<A: Arith>(acc: &mut [A], s: &[A], ov: IntOverflow) {
    match ov {
        IntOverflow::Wrap => acc
            .iter_mut()
            .zip(s)
            .for_each(|(a, &b)| *a = A::add(*a, b, IntOverflow::Wrap)),
        IntOverflow::Saturate => acc
            .iter_mut()
            .zip(s)
            .for_each(|(a, &b)| *a = A::add(*a, b, IntOverflow::Saturate)),
    }
}

/// `[rows, k] x [k, n] -> [rows, n]` in the accumulator type, chunked by `lanes` along `k`.
pub fn matmul<T: Accumulate>(
    x: &[T],
    w: &[T],
    (rows, k, n): (usize, usize, usize),
    lanes: usize,
    ov: IntOverflow,
) -> Vec<T::Acc> {
    let wide_w: Vec<T::Acc> = w.iter().map(|v| v.widen()).collect();
    let mut out = vec![T::Acc::default(); rows * n];
    let mut partial = vec![T::Acc::default(); n];
    let lanes = lanes.max(1);
    if n == 0 {
        return out;
    }
    for (xr, total) in x.chunks_exact(k.max(1)).zip(out.chunks_exact_mut(n)) {
        let xr: Vec<T::Acc> = xr[..k].iter().map(|v| v.widen()).collect();
        let mut c0 = 0;
        while c0 < k {
            let c1 = (c0 + lanes).min(k);
            chunk_dot(&xr[c0..c1], &wide_w[c0 * n..c1 * n], &mut partial, ov);
            add_into(total, &partial, ov);
            c0 = c1;
        }
    }
    out
}

/// The sum of a row along the lanes, in the element type, as the lowered program forms it
/// (docs/lowering.md, numeric contract): the row's chunks of `lanes` elements are added
/// lane by lane in chunk order (lanes past the row hold `+0`), then a tree halves the
/// lanes — for `d = P/2, ..., 1` (`P` the power of two at or above `min(n, lanes)`) every
/// lane `j` adds lane `j + d` (`+0` past the last lane) — and lane 0 is the sum.
pub fn lane_tree_sum<T: Arith>(row: &[T], lanes: usize, ov: IntOverflow) -> T {
    let lanes = lanes.max(1);
    let n = row.len();
    let mut s = vec![T::default(); lanes];
    s[..n.min(lanes)].copy_from_slice(&row[..n.min(lanes)]);
    for chunk in row.chunks(lanes).skip(1) {
        for (j, sj) in s.iter_mut().enumerate() {
            *sj = T::add(*sj, chunk.get(j).copied().unwrap_or_default(), ov);
        }
    }
    let mut d = n.min(lanes).next_power_of_two() / 2;
    let mut next = vec![T::default(); lanes];
    while d >= 1 {
        for (j, nj) in next.iter_mut().enumerate() {
            *nj = T::add(s[j], s.get(j + d).copied().unwrap_or_default(), ov);
        }
        std::mem::swap(&mut s, &mut next);
        d /= 2;
    }
    s[0]
}

/// `((t0 + t1) + t2) + ...` in the element type, from the first term (zero if none): a sum
/// over an axis other than the lanes (docs/lowering.md, numeric contract).
pub fn sequential_sum<T: Arith>(mut terms: impl Iterator<Item = T>, ov: IntOverflow) -> T {
    let first = terms.next().unwrap_or_default();
    terms.fold(first, |acc, t| T::add(acc, t, ov))
}

/// Sums over the middle axis of `[outer, n, inner]` data in the element type: with the
/// lane tree when it is the last axis, else in index order.
pub fn reduce_sum<T: Arith>(
    x: &[T],
    (outer, n, inner): (usize, usize, usize),
    last_axis: bool,
    lanes: usize,
    ov: IntOverflow,
) -> Vec<T> {
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            out.push(if last_axis {
                lane_tree_sum(&x[o * n..(o + 1) * n], lanes, ov)
            } else {
                sequential_sum((0..n).map(|k| x[(o * n + k) * inner + i]), ov)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOverflow::{Saturate, Wrap};
    use half::f16;

    #[test]
    fn fast_f32_chunk_dot_equals_the_generic_one() {
        let mut s = 7u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            // Mostly moderate values (exponent bit 30 clear), sometimes anything: inf, NaN.
            let bits = (s >> 32) as u32;
            f32::from_bits(if s & 0x1f00 == 0 {
                bits
            } else {
                bits & 0xbfff_ffff
            })
        };
        for n in [1usize, 3, 8, 33] {
            let x: Vec<f32> = (0..n).map(|_| next()).collect();
            let w: Vec<f32> = (0..n * n).map(|_| next()).collect();
            let (mut a, mut b) = (vec![0.0f32; n], vec![0.0f32; n]);
            chunk_dot_f32(&x, &w, &mut a);
            chunk_dot_generic(&x, &w, &mut b, Wrap);
            assert_eq!(
                a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn chunk_dot_sums_columns_in_row_order() {
        // 2 rows x 3 columns.
        let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0f32; 3];
        chunk_dot(&[1.0, 10.0], &w, &mut out, Wrap);
        assert_eq!(out, [41.0, 52.0, 63.0]);
    }

    #[test]
    fn matmul_chunks_change_float_sums_as_documented() {
        // f32 spacing at 3.6e9 is 256: with chunks of 2, the first chunk stays at 3.6e9
        // (+ 100 rounds back), the second sums 100 + 100 = 200, which rounds the total up.
        let x = [f16::from_f32(60000.0), f16::ONE, f16::ONE, f16::ONE];
        let w: Vec<f16> = [60000.0f32, 100.0, 100.0, 100.0]
            .iter()
            .map(|&v| f16::from_f32(v))
            .collect();
        assert_eq!(matmul(&x, &w, (1, 4, 1), 2, Wrap), vec![3_600_000_256.0]);
        assert_eq!(matmul(&x, &w, (1, 4, 1), 4, Wrap), vec![3_600_000_000.0]);
    }

    #[test]
    fn lane_tree_sums_follow_the_lowered_order() {
        // 8 lanes, 10 terms: lanes 0 and 1 add the second chunk, then the tree 4, 2, 1.
        let row = [1e8f32, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0];
        assert_eq!(lane_tree_sum(&row, 8, Wrap), 100_000_024.0);
        assert_eq!(lane_tree_sum(&[1.0f32, 2.0, 3.0], 8, Wrap), 6.0);
        assert_eq!(lane_tree_sum::<f32>(&[], 8, Wrap), 0.0);
        // Integer sums wrap (or saturate) per add in the element type.
        // [100, 100, 100, 0]: the tree adds lanes 0+2 and 1+3, then the two sums.
        assert_eq!(lane_tree_sum(&[100i8, 100, 100, 0], 8, Wrap), 44);
        assert_eq!(lane_tree_sum(&[100i8, 100, 100, 0], 8, Saturate), 127);
        // The tree adds +0 past the row (three terms: P = 4), so -0s become +0; a
        // sequential sum keeps -0.
        assert_eq!(
            lane_tree_sum(&[-0.0f32, -0.0], 8, Wrap).to_bits(),
            0x8000_0000
        );
        assert_eq!(lane_tree_sum(&[-0.0f32, -0.0, -0.0], 8, Wrap).to_bits(), 0);
        assert_eq!(
            sequential_sum([-0.0f32, -0.0].into_iter(), Wrap).to_bits(),
            0x8000_0000
        );
    }

    #[test]
    fn reduce_sum_over_other_axes_is_sequential() {
        let y = [1.0f32, 2.0, 3.0, 4.0];
        assert_eq!(reduce_sum(&y, (1, 2, 2), false, 8, Wrap), vec![4.0, 6.0]);
        assert_eq!(reduce_sum(&y, (2, 2, 1), true, 8, Wrap), vec![3.0, 7.0]);
    }
}
