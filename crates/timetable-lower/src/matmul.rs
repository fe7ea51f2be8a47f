//! `tensor.matmul` on the MXM.
//!
//! `x: [.., M, K]` (R = rows of x) times `w: [K, N]`. The weights are cut into tiles of
//! `lanes x lanes`: tile `(kt, nt)` holds rows `kt*L ..` of `w`, chunk `nt`. One *job*
//! computes output chunk `nt` for a group of at most `acc_slots` rows on one plane (planes
//! in round-robin order): for each K tile in order, load its rows (`mxm.load`, row `i` =
//! weight row `kt*L + i`, zero past `K`), then one `mxm.mac` per row of the group into
//! accumulator `r - group start` (`accumulate = kt > 0`); then `mxm.acc` reads each row's
//! result. So `y[r][n] = T_last + (... + (T_1 + T_0))`, `T_t` the MXM dot product over
//! K tile `t`.

use crate::emit::Emitter;
use crate::shape::Stored;
use crate::sink::Sink;

pub fn lower(em: &mut Emitter, x: &Stored, w: &Stored, sink: &Sink) {
    let lanes = em.lanes();
    let k = w.shape.dims[0];
    let k_tiles = x.shape.chunks();
    let n_tiles = w.shape.chunks();
    let rows = x.shape.rows();
    let acc_elem = x.shape.elem.accumulator();
    let slots = u64::from(em.target.mxm_acc_slots);
    let out = &sink.dest.shape;
    // Float products of padding lanes can be NaN (inf * 0); integer ones are exactly 0.
    let mask_tail = acc_elem.is_float() && out.tail().is_some();
    for nt in 0..n_tiles {
        for start in (0..rows).step_by(slots as usize) {
            let group = start..rows.min(start + slots);
            let plane = em.next_plane();
            for kt in 0..k_tiles {
                let valid = lanes.min(k - kt * lanes);
                let mut row =
                    |em: &mut Emitter, i: u64| em.read(w, (kt * lanes + i) * n_tiles + nt);
                em.load_weights(plane, &mut row, valid, w.shape.elem);
                for r in group.clone() {
                    let xv = em.read(x, r * k_tiles + kt);
                    em.mac(xv, plane, r - start, kt > 0);
                }
            }
            for r in group.clone() {
                let y = em.acc(plane, r - start, acc_elem);
                let index = r * n_tiles + nt;
                let y = match out.tail() {
                    Some(tail) if mask_tail => sink.clean_tail(em, index, y, tail),
                    _ => y,
                };
                sink.put(em, index, y);
            }
        }
    }
}
