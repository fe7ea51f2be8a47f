//! `tensor.reshape`. When the vector mapping does not change (same last dimension, or
//! both last dimensions whole multiples of the lanes) it costs nothing: the result is the
//! input's buffer seen with another shape. Otherwise each output vector gathers runs of
//! consecutive elements from input vectors: `sxm.rotate` aligns a run, `vxm.select`
//! with a lane mask merges it.

use crate::emit::Emitter;
use crate::shape::{Shape, Stored};
use crate::sink::Sink;

/// Whether `a` and `b` put every element at the same vector and lane.
pub fn is_free(a: &Shape, b: &Shape) -> bool {
    let lanes = a.lanes();
    a.cols() == b.cols() || (a.cols().is_multiple_of(lanes) && b.cols().is_multiple_of(lanes))
}

pub fn lower(em: &mut Emitter, x: &Stored, sink: &Sink) {
    let lanes = em.lanes();
    let input = &x.shape;
    let out = &sink.dest.shape;
    let elem = input.elem;
    for ro in 0..out.rows() {
        for co in 0..out.chunks() {
            let valid = out.valid_lanes(co);
            let mut acc = None;
            let mut l = 0;
            while l < valid {
                let flat = ro * out.cols() + co * lanes + l;
                let (ri, j) = (flat / input.cols(), flat % input.cols());
                let li = j % lanes;
                let len = (valid - l).min(lanes - li).min(input.cols() - j);
                let v = em.read(x, ri * input.chunks() + j / lanes);
                let piece = if li == l {
                    v
                } else {
                    em.rotate(v, l as i64 - li as i64)
                };
                acc = Some(if l == 0 && len == lanes {
                    piece
                } else {
                    let keep = em.mask(elem, l, len);
                    let rest = match acc {
                        Some(a) => a,
                        None => em.zero(elem),
                    };
                    em.select(keep, piece, rest)
                });
                l += len;
            }
            let v = acc.expect("every chunk holds at least one element");
            sink.put(em, ro * out.chunks() + co, v);
        }
    }
}
