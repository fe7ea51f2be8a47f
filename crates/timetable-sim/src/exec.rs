//! The data computation of an instruction, shared by the machine-level reference
//! interpreter and the cycle-level simulator: what a VXM or SXM op computes from its
//! operands. Memory and MXM state are each interpreter's own business (they differ in
//! *when* things happen, never in *what* is computed).

use crate::kernels;
use crate::lanes::Lanes;
use crate::movement;
use crate::program::Kind;
use std::ops::Deref;
use timetable_ir::target::IntOverflow;

/// Computes the results of a data op into `out` (one entry per result; storage reused).
/// `group` is the target's transpose group. Other kinds are not data ops: an error.
pub fn compute<L: Deref<Target = Lanes>>(
    kind: &Kind,
    ov: IntOverflow,
    group: usize,
    operands: &[L],
    out: &mut [Lanes],
) -> Result<(), String> {
    match kind {
        Kind::Lane(k) => kernels::apply(*k, ov, operands, &mut out[0]).map_err(|e| e.0),
        Kind::Move(m) => {
            movement::apply(m, &operands[0], &mut out[0]);
            Ok(())
        }
        Kind::Transpose => {
            let results = movement::transpose(operands, group)
                .ok_or("`sxm.transpose` needs one vector type for its operands")?;
            for (o, r) in out.iter_mut().zip(results) {
                *o = r;
            }
            Ok(())
        }
        other => Err(format!("{other:?} is not a data op")),
    }
}
