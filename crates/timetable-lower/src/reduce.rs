//! Reductions: `tensor.reduce_sum`, and the lane-reduction trees softmax shares.
//!
//! Over the last axis, a row's chunks are first combined lane-wise in chunk order
//! (`((c0 + c1) + c2) ...`), then a tree over the lanes leaves the result in lane 0:
//! for `d = P/2, P/4, ..., 1` (`P` the power of two at or above the lanes that can hold
//! data), `v[i] = v[i] + v[i + d]`. Sums use `sxm.shift` (vacated lanes are +0, which
//! the tree then adds); maxima use `sxm.rotate` (max is idempotent, so lanes seen twice do
//! no harm, and no zero enters). Over any other axis, vectors are combined in index order.

use crate::emit::Emitter;
use crate::shape::{Shape, Stored};
use crate::sink::Sink;
use timetable_ir::{Handle, Opcode, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    Sum,
    Max,
}

impl Combine {
    fn opcode(self) -> Opcode {
        match self {
            Combine::Sum => Opcode::VxmAdd,
            Combine::Max => Opcode::VxmMax,
        }
    }
}

/// The tree's step sizes for a row whose data occupies `width` lanes.
pub fn tree_steps(width: u64) -> impl Iterator<Item = u64> {
    let top = width.max(1).next_power_of_two();
    std::iter::successors(Some(top / 2), |d| Some(d / 2)).take_while(|&d| d > 0)
}

/// Combines the lanes of `v` into lane 0 (other lanes: partial results).
pub fn lane_tree(
    em: &mut Emitter,
    mut v: Handle<Value>,
    how: Combine,
    width: u64,
) -> Handle<Value> {
    for d in tree_steps(width) {
        let moved = match how {
            Combine::Sum => em.shift(v, -(d as i64)),
            Combine::Max => em.rotate(v, -(d as i64)),
        };
        v = em.binary(how.opcode(), v, moved);
    }
    v
}

/// Combines a row's chunks lane-wise, in chunk order; `chunk(em, c)` gives chunk `c`.
pub fn fold_chunks(
    em: &mut Emitter,
    chunks: u64,
    how: Combine,
    chunk: &mut dyn FnMut(&mut Emitter, u64) -> Handle<Value>,
) -> Handle<Value> {
    let mut acc = chunk(em, 0);
    for c in 1..chunks {
        let v = chunk(em, c);
        acc = em.binary(how.opcode(), acc, v);
    }
    acc
}

/// The rows of `shape` whose index along leading `axis` is 0, and the row stride of that
/// axis: row `r + k * stride` is `r` with index `k` along the axis.
pub fn axis_rows(shape: &Shape, axis: usize) -> (Vec<u64>, u64) {
    let lead = shape.leading();
    let stride: u64 = lead[axis + 1..].iter().product();
    let rows = (0..shape.rows())
        .filter(|r| (r / stride).is_multiple_of(lead[axis]))
        .collect();
    (rows, stride)
}

pub fn reduce_sum(em: &mut Emitter, x: &Stored, axis: usize, sink: &Sink) {
    let s = &x.shape;
    let out = sink.dest.shape.clone();
    if axis + 1 == s.rank() {
        let width = s.cols().min(s.lanes());
        let chunks = s.chunks();
        for r in 0..s.rows() {
            let mut chunk = |em: &mut Emitter, c: u64| em.read(x, r * chunks + c);
            let row = fold_chunks(em, chunks, Combine::Sum, &mut chunk);
            let total = lane_tree(em, row, Combine::Sum, width);
            // Lanes past 0 hold partial sums.
            let total = if width > 1 {
                sink.clean_tail(em, r, total, 1)
            } else {
                total
            };
            sink.put(em, r, total);
        }
        return;
    }
    let (rows, stride) = axis_rows(s, axis);
    let size = s.leading()[axis];
    for r in rows {
        let out_row = out.row_of(&s.row_index(r));
        for c in 0..s.chunks() {
            let mut along =
                |em: &mut Emitter, k: u64| em.read(x, (r + k * stride) * s.chunks() + c);
            let total = fold_chunks(em, size, Combine::Sum, &mut along);
            sink.put(em, out_row * out.chunks() + c, total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tree_steps;

    #[test]
    fn tree_covers_the_lanes_holding_data() {
        let steps = |w| tree_steps(w).collect::<Vec<u64>>();
        assert_eq!(steps(1), Vec::<u64>::new());
        assert_eq!(steps(5), vec![4, 2, 1]);
        assert_eq!(steps(8), vec![4, 2, 1]);
        // 320 lanes (the TSP): 512 > 320, so lanes 256.. are folded in first.
        assert_eq!(steps(320), vec![256, 128, 64, 32, 16, 8, 4, 2, 1]);
    }
}
