//! `tensor.softmax`: `y = e * recip(s)` with `e = exp(x - m)`, `m` the maximum and `s`
//! the sum of `e` over the axis.
//!
//! Over the last axis, per row: padding lanes of the last chunk are replaced by `-inf`
//! before the maximum (a rotate tree, then `sxm.distribute` of lane 0); `e` is masked to 0
//! in padding lanes, written to scratch memory as it is summed (chunks in order, then a
//! shift tree), and read back to be scaled by the distributed reciprocal. Over another
//! axis the same steps combine vectors in index order, with no lane movement.

use crate::emit::Emitter;
use crate::reduce::{Combine, axis_rows, fold_chunks, lane_tree};
use crate::shape::Stored;
use crate::sink::Sink;
use timetable_ir::{Handle, Opcode, Value};

/// Scratch holds `e` between the sum and the scaling.
pub fn softmax(em: &mut Emitter, x: &Stored, scratch: &Stored, axis: usize, sink: &Sink) {
    if axis + 1 == x.shape.rank() {
        last_axis(em, x, scratch, sink);
    } else {
        leading_axis(em, x, scratch, axis, sink);
    }
}

fn last_axis(em: &mut Emitter, x: &Stored, scratch: &Stored, sink: &Sink) {
    let s = &x.shape;
    let elem = s.elem;
    let chunks = s.chunks();
    let width = s.cols().min(s.lanes());
    let tail = s.tail();
    let is_tail = |c: u64| tail.is_some() && c + 1 == chunks;
    for r in 0..s.rows() {
        let at = |c: u64| r * chunks + c;
        let mut padded = |em: &mut Emitter, c: u64| {
            let v = em.read(x, at(c));
            match tail {
                Some(t) if is_tail(c) => {
                    let m = em.mask(elem, 0, t);
                    let low = em.neg_inf(elem);
                    em.select(m, v, low)
                }
                _ => v,
            }
        };
        let row_max = fold_chunks(em, chunks, Combine::Max, &mut padded);
        let row_max = lane_tree(em, row_max, Combine::Max, width);
        let m = em.distribute(row_max, 0);
        let mut exp = |em: &mut Emitter, c: u64| {
            let v = em.read(x, at(c));
            let e = exponential(em, v, m);
            let e = match tail {
                Some(t) if is_tail(c) => em.keep_lanes(e, t),
                _ => e,
            };
            em.write(e, scratch, at(c));
            e
        };
        let sum = fold_chunks(em, chunks, Combine::Sum, &mut exp);
        let sum = lane_tree(em, sum, Combine::Sum, width);
        let sum = em.distribute(sum, 0);
        let inv = em.op(Opcode::VxmRecip, &[sum], None);
        for c in 0..chunks {
            let e = em.read(scratch, at(c));
            let y = em.binary(Opcode::VxmMul, e, inv);
            let y = match tail {
                Some(t) => sink.clean_tail(em, at(c), y, t),
                None => y,
            };
            sink.put(em, at(c), y);
        }
    }
}

fn exponential(em: &mut Emitter, v: Handle<Value>, max: Handle<Value>) -> Handle<Value> {
    let d = em.binary(Opcode::VxmSub, v, max);
    em.op(Opcode::VxmExp, &[d], None)
}

fn leading_axis(em: &mut Emitter, x: &Stored, scratch: &Stored, axis: usize, sink: &Sink) {
    let s = &x.shape;
    let chunks = s.chunks();
    let size = s.leading()[axis];
    let (rows, stride) = axis_rows(s, axis);
    for r in rows {
        for c in 0..chunks {
            let at = |k: u64| (r + k * stride) * chunks + c;
            let mut along = |em: &mut Emitter, k: u64| em.read(x, at(k));
            let m = fold_chunks(em, size, Combine::Max, &mut along);
            let mut exp = |em: &mut Emitter, k: u64| {
                let v = em.read(x, at(k));
                let e = exponential(em, v, m);
                em.write(e, scratch, at(k));
                e
            };
            let sum = fold_chunks(em, size, Combine::Sum, &mut exp);
            let inv = em.op(Opcode::VxmRecip, &[sum], None);
            for k in 0..size {
                let e = em.read(scratch, at(k));
                let y = em.binary(Opcode::VxmMul, e, inv);
                // Padding lanes hold exp(0) / size here, not 0.
                let y = match s.tail() {
                    Some(t) => sink.clean_tail(em, at(k), y, t),
                    None => y,
                };
                sink.put(em, at(k), y);
            }
        }
    }
}
