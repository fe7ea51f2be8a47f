//! `tensor.transpose`.
//!
//! A permutation that keeps the last axis in place only re-indexes whole vectors: each
//! output vector is a copy of one input vector. One that moves the last axis transposes
//! `lanes x lanes` tiles between the lanes and the axis that becomes last, on the SXM:
//! each block of `g = lanes / superlanes` input rows goes through `sxm.transpose` (which
//! transposes the `g x g` block of every superlane), and each output vector gathers its
//! superlanes from the blocks with `sxm.rotate` and `vxm.select`.

use crate::codes;
use crate::emit::Emitter;
use crate::shape::{Shape, Stored};
use crate::sink::Sink;
use timetable_ir::diag::Diagnostic;
use timetable_ir::registry::UnitClass;
use timetable_ir::types::ElemType;
use timetable_ir::{Handle, Target, Value};

pub fn lower(em: &mut Emitter, x: &Stored, perm: &[usize], sink: &Sink) {
    let input = &x.shape;
    let out = &sink.dest.shape;
    let last = input.rank() - 1;
    // The input index of an output row's leading multi-index `o`, with `free` left 0.
    let input_row = |o: &[u64]| -> Vec<u64> {
        let mut i = vec![0; last];
        for (d, &v) in o.iter().enumerate() {
            if perm[d] < last {
                i[perm[d]] = v;
            }
        }
        i
    };
    if !moves_lanes(perm) {
        for ro in 0..out.rows() {
            let ri = input.row_of(&input_row(&out.row_index(ro)));
            for c in 0..out.chunks() {
                let v = em.read(x, ri * input.chunks() + c);
                sink.put(em, ro * out.chunks() + c, v);
            }
        }
        return;
    }
    // Input axis `k` becomes the output's last axis; the input's last axis becomes output
    // axis `l`. Each choice of the other axes is one 2-D transpose.
    let k = perm[last];
    let l = perm
        .iter()
        .position(|&p| p == last)
        .expect("perm is a permutation");
    for base in (0..input.rows()).filter(|&r| input.row_index(r)[k] == 0) {
        let base_index = input.row_index(base);
        let in_rows: Vec<u64> = (0..input.dims[k])
            .map(|r| {
                let mut i = base_index.clone();
                i[k] = r;
                input.row_of(&i)
            })
            .collect();
        let out_rows: Vec<u64> = (0..input.cols())
            .map(|c| {
                let o: Vec<u64> = (0..last)
                    .map(|d| if d == l { c } else { base_index[perm[d]] })
                    .collect();
                out.row_of(&o)
            })
            .collect();
        transpose_2d(em, x, &in_rows, out, &out_rows, sink);
    }
}

/// Whether `perm` moves the last axis: only then does the transpose go through the SXM.
fn moves_lanes(perm: &[usize]) -> bool {
    perm.last() != Some(&(perm.len() - 1))
}

/// An `sxm.transpose` reads its `lanes / superlanes` vectors in one cycle, each on its
/// own stream group, from memory on either side of the SXM: a transpose by `perm` that
/// needs one fails unless some SXM has enough streams coming in from the sides of the
/// chip that hold memory (the scheduler could never place the op otherwise).
pub fn check_streams(target: &Target, elem: ElemType, perm: &[usize]) -> Result<(), Diagnostic> {
    if !moves_lanes(perm) {
        return Ok(());
    }
    let vectors = target.transpose_group();
    let need = vectors * target.vector_words(elem);
    let best = target
        .units(UnitClass::Sxm)
        .filter_map(|u| target.position(u))
        .map(|q| target.memory_streams_into(q))
        .max()
        .unwrap_or(0);
    if need <= best {
        return Ok(());
    }
    Err(Diagnostic::error(
        codes::TOO_FEW_STREAMS,
        format!(
            "transposing `{elem}` needs {need} streams into an SXM in one cycle ({vectors} vectors of {} streams), but `@{}` brings at most {best}",
            target.vector_words(elem),
            target.name
        ),
    )
    .note(format!(
        "each side of the chip that holds memory brings {} streams; a target with more streams, or a narrower element type, can transpose",
        target.streams
    )))
}

/// Transposes the matrix whose row `r` is input row `in_rows[r]` (its columns along the
/// lanes) into output rows `out_rows[c]`.
fn transpose_2d(
    em: &mut Emitter,
    x: &Stored,
    in_rows: &[u64],
    out: &Shape,
    out_rows: &[u64],
    sink: &Sink,
) {
    let lanes = em.lanes();
    let g = u64::from(em.target.transpose_group());
    let superlanes = lanes / g;
    let (m, n) = (in_rows.len() as u64, x.shape.cols());
    let elem = x.shape.elem;
    for cm in 0..m.div_ceil(lanes) {
        for cn in 0..n.div_ceil(lanes) {
            let (r0, c0) = (cm * lanes, cn * lanes);
            let rows = lanes.min(m - r0);
            let cols = lanes.min(n - c0);
            let blocks = rows.div_ceil(g);
            let transposed: Vec<Vec<Handle<Value>>> = (0..blocks)
                .map(|a| {
                    let group: Vec<Handle<Value>> = (0..g)
                        .map(|i| {
                            let r = a * g + i;
                            if r < rows {
                                em.read(x, in_rows[(r0 + r) as usize] * x.shape.chunks() + cn)
                            } else {
                                em.zero(elem)
                            }
                        })
                        .collect();
                    em.transpose(&group)
                })
                .collect();
            for cc in 0..cols {
                let (b, j) = (cc / g, (cc % g) as usize);
                let mut acc: Option<Handle<Value>> = None;
                for (a, block) in transposed.iter().enumerate() {
                    let a = a as u64;
                    // Superlane `b` of the block holds this output row's lanes `a*g ..`.
                    let piece = if a == b {
                        block[j]
                    } else {
                        em.rotate(block[j], (a as i64 - b as i64) * g as i64)
                    };
                    acc = Some(match acc {
                        None if blocks == superlanes && a == 0 => piece,
                        prev => {
                            let keep = em.mask(elem, a * g, g);
                            let rest = match prev {
                                Some(p) => p,
                                None => em.zero(elem),
                            };
                            em.select(keep, piece, rest)
                        }
                    });
                }
                let v = acc.expect("a tile has at least one block");
                sink.put(em, out_rows[(c0 + cc) as usize] * out.chunks() + cm, v);
            }
        }
    }
}
