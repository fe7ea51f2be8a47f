//! Elementwise tensor ops (`add sub mul max relu tanh exp cast`) as VXM ops per vector,
//! with NumPy broadcasting and masking of padding lanes.
//!
//! Invariant kept by every lowering: the padding lanes of every vector written to memory
//! are zero. An elementwise op preserves it when `f(0, ..., 0) = 0` and no operand is
//! broadcast across lanes; otherwise its last chunk per row is masked with `vxm.select`.

use crate::emit::{Emitter, Origin};
use crate::shape::{Shape, Stored};
use timetable_ir::registry::{LaneOp, Level};
use timetable_ir::{Handle, Opcode, Value};

/// The machine op computing a lane op (from the registry, not from names).
pub fn machine_op(lane: LaneOp) -> Opcode {
    *Opcode::ALL
        .iter()
        .find(|o| o.def().level == Level::Machine && o.def().lane == Some(lane))
        .expect("every tensor lane op has a machine counterpart")
}

/// Where vector `i` of the result finds its operand: which operand vector, and whether
/// lane 0 of it is broadcast to every lane.
#[derive(Clone, Debug)]
pub struct Broadcast {
    result: Shape,
    operand: Shape,
    /// The operand's last dimension is 1 while the result's is not.
    lanes: bool,
}

impl Broadcast {
    pub fn new(operand: &Shape, result: &Shape) -> Broadcast {
        let lanes = operand.cols() == 1 && result.cols() != 1;
        Broadcast {
            result: result.clone(),
            operand: operand.clone(),
            lanes,
        }
    }

    /// Whether the operand is just the result's shape (no broadcasting at all).
    pub fn is_identity(&self) -> bool {
        self.operand.dims == self.result.dims
    }

    pub fn source(&self, i: u64) -> u64 {
        if self.is_identity() {
            return i;
        }
        let chunks = self.result.chunks();
        let (row, chunk) = (i / chunks, i % chunks);
        let index = self.result.row_index(row);
        // Right-align the operand's leading dimensions with the result's.
        let lead = self.operand.leading();
        let offset = index.len() + 1 - self.operand.rank().max(1);
        let operand_index: Vec<u64> = lead
            .iter()
            .enumerate()
            .map(|(k, &d)| if d == 1 { 0 } else { index[offset + k] })
            .collect();
        let operand_chunk = if self.lanes { 0 } else { chunk };
        self.operand.row_of(&operand_index) * self.operand.chunks() + operand_chunk
    }
}

/// One operand of an elementwise op: in memory, or the vector flowing in from the op
/// that feeds this one directly (fused).
#[derive(Clone, Debug)]
pub enum Operand {
    Flowing,
    Stored(Box<(Stored, Broadcast)>),
}

/// An elementwise op ready to be applied vector by vector.
#[derive(Clone, Debug)]
pub struct Elementwise {
    pub opcode: Opcode,
    pub lane: LaneOp,
    pub operands: Vec<Operand>,
    pub result: Shape,
    pub origin: Origin,
    /// Whether to mask the last chunk of each row (false when a later fused op masks it
    /// anyway).
    pub mask: bool,
}

/// Ops with `f(0, ..., 0) = 0`, which keep zero padding zero.
fn preserves_zero(lane: LaneOp) -> bool {
    !matches!(lane, LaneOp::Exp | LaneOp::Recip | LaneOp::Rsqrt)
}

impl Elementwise {
    pub fn new(
        opcode: Opcode,
        lane: LaneOp,
        operands: Vec<Operand>,
        result: Shape,
        origin: Origin,
    ) -> Self {
        let mut op = Elementwise {
            opcode,
            lane,
            operands,
            result,
            origin,
            mask: false,
        };
        op.mask = op.needs_mask();
        op
    }

    /// Whether the result's padding lanes can be non-zero: the op spreads an operand
    /// across lanes or does not map 0 to 0, and rows do not fill their last chunk.
    pub fn needs_mask(&self) -> bool {
        let spread = self
            .operands
            .iter()
            .any(|o| matches!(o, Operand::Stored(s) if s.1.lanes));
        self.result.tail().is_some() && (spread || !preserves_zero(self.lane))
    }

    /// Computes vector `i` of the result; `flowing` is the fused operand's vector.
    pub fn apply(&self, em: &mut Emitter, i: u64, flowing: Option<Handle<Value>>) -> Handle<Value> {
        em.set_origin(self.origin.clone());
        let mut args = Vec::with_capacity(self.operands.len());
        for operand in &self.operands {
            let v = match operand {
                Operand::Flowing => flowing.expect("a fused operand has a vector"),
                Operand::Stored(stored) => {
                    let (stored, bcast) = &**stored;
                    let v = em.read(stored, bcast.source(i));
                    if bcast.lanes { em.distribute(v, 0) } else { v }
                }
            };
            args.push(v);
        }
        let elem = (self.lane == LaneOp::Cast).then_some(self.result.elem);
        let v = em.op(self.opcode, &args, elem);
        match self.result.tail() {
            Some(tail) if self.mask && self.result.is_tail_vector(i) => em.keep_lanes(v, tail),
            _ => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timetable_ir::Type;

    fn shape(text: &str) -> Shape {
        Shape::of(Type::parse(text).unwrap().as_tensor().unwrap(), 8).unwrap()
    }

    #[test]
    fn broadcast_sources() {
        let result = shape("tensor<2x3x10xf32>");
        // Bias along the last axis: same chunk of the operand's only row.
        let bias = Broadcast::new(&shape("tensor<10xf32>"), &result);
        assert_eq!(
            (0..4).map(|i| bias.source(i)).collect::<Vec<_>>(),
            [0, 1, 0, 1]
        );
        assert!(!bias.lanes);
        // One value per leading index, spread across lanes.
        let per_batch = Broadcast::new(&shape("tensor<2x1x1xf32>"), &result);
        assert_eq!(
            (0..12).map(|i| per_batch.source(i)).collect::<Vec<_>>(),
            [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
        );
        assert!(per_batch.lanes);
        let scalar = Broadcast::new(&shape("tensor<f32>"), &result);
        assert_eq!(scalar.source(11), 0);
    }

    #[test]
    fn every_lane_op_has_a_machine_op() {
        assert_eq!(machine_op(LaneOp::Add), Opcode::VxmAdd);
        assert_eq!(machine_op(LaneOp::Cast), Opcode::VxmCast);
        assert_eq!(machine_op(LaneOp::Exp), Opcode::VxmExp);
    }
}
