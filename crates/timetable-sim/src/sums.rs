//! Sums in the accumulator type, in the one order docs/semantics.md (section 5) defines:
//! each chunk of `lanes` terms sequentially from zero, chunks added in order. The MXM
//! (`mxm.mac`), `tensor.matmul`, `tensor.reduce_sum` and `tensor.softmax` all sum here.

use crate::arith::{Accumulate, Arith, convert};
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

/// Sums `terms` in the accumulator type: chunks of `chunk` terms from zero, chunk sums
/// added in order from zero (`chunk = usize::MAX`: one sequential sum).
pub fn chunked_sum<A: Arith>(terms: impl Iterator<Item = A>, chunk: usize, ov: IntOverflow) -> A {
    let (mut total, mut s, mut in_chunk) = (A::default(), A::default(), 0usize);
    for t in terms {
        s = A::add(s, t, ov);
        in_chunk += 1;
        if in_chunk == chunk {
            total = A::add(total, s, ov);
            (s, in_chunk) = (A::default(), 0);
        }
    }
    if in_chunk > 0 {
        total = A::add(total, s, ov);
    }
    total
}

/// Sums over the middle axis of `[outer, n, inner]` data, in the accumulator type, then
/// converts each sum once to `T`. `chunk` is `lanes` for the last axis, else `usize::MAX`.
pub fn reduce_sum<T: Accumulate>(
    x: &[T],
    (outer, n, inner): (usize, usize, usize),
    chunk: usize,
    ov: IntOverflow,
) -> Vec<T> {
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let terms = (0..n).map(|k| x[(o * n + k) * inner + i].widen());
            out.push(convert::<T::Acc, T>(chunked_sum(terms, chunk, ov), ov));
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
    fn chunking_changes_float_sums_as_documented() {
        // f32 spacing at 1e8 is 8: adding 3 three times changes nothing, but chunks of
        // two add (1e8 + 3) and (3 + 3) = 6, which rounds up.
        let terms = [1e8f32, 3.0, 3.0, 3.0];
        let sequential = chunked_sum(terms.iter().copied(), usize::MAX, Wrap);
        let chunked = chunked_sum(terms.iter().copied(), 2, Wrap);
        assert_eq!(sequential, 100_000_000.0);
        assert_eq!(chunked, 100_000_008.0);
        // The same through matmul with 2 lanes: x = ones, w = the terms as a column.
        let x = [f16::ONE; 4];
        let w: Vec<f16> = [2048.0f32, 1.0, 1.0, 1.0]
            .iter()
            .map(|&v| f16::from_f32(v))
            .collect();
        let y = matmul(&x, &w, (1, 4, 1), 2, Wrap);
        assert_eq!(y, vec![2051.0]);
    }

    #[test]
    fn saturating_sums_saturate_per_add() {
        let terms = [i32::MAX, 1, -1];
        assert_eq!(
            chunked_sum(terms.iter().copied(), usize::MAX, Saturate),
            i32::MAX - 1
        );
        assert_eq!(
            chunked_sum(terms.iter().copied(), usize::MAX, Wrap),
            i32::MAX
        );
    }

    #[test]
    fn reduce_sum_converts_once() {
        // i8 sums accumulate in i32 and narrow at the end.
        let x = [100i8, 100, 100, -100];
        assert_eq!(reduce_sum(&x, (1, 4, 1), usize::MAX, Wrap), vec![-56]);
        assert_eq!(reduce_sum(&x, (1, 4, 1), usize::MAX, Saturate), vec![127]);
        // Over the first axis of a 2x2: columns.
        let y = [1.0f32, 2.0, 3.0, 4.0];
        assert_eq!(reduce_sum(&y, (1, 2, 2), usize::MAX, Wrap), vec![4.0, 6.0]);
    }

    #[test]
    fn sums_from_zero_are_never_negative_zero() {
        assert_eq!(
            chunked_sum([-0.0f32, -0.0].into_iter(), 1, Wrap).to_bits(),
            0
        );
    }
}
