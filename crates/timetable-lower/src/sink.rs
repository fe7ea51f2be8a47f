//! Where a lowered op's result vectors go: through the elementwise ops fused after it
//! (each consuming the vector as it flows, no round trip through memory), then into the
//! buffer of the last one.

use crate::elementwise::Elementwise;
use crate::emit::Emitter;
use crate::shape::Stored;
use timetable_ir::{Handle, Value};

pub struct Sink {
    /// Fused elementwise ops, in order; each takes the previous result as its flowing
    /// operand.
    pub chain: Vec<Elementwise>,
    pub dest: Stored,
}

impl Sink {
    /// Padding lanes of a vector are overwritten by the last masking op, so the fused
    /// ops before it need not mask.
    pub fn new(mut chain: Vec<Elementwise>, dest: Stored) -> Sink {
        let mut later = false;
        for op in chain.iter_mut().rev() {
            op.mask = op.needs_mask() && !later;
            later |= op.needs_mask();
        }
        Sink { chain, dest }
    }

    /// Whether the fused ops zero the padding lanes of every vector they store, so the
    /// op feeding them need not.
    pub fn masks_padding(&self) -> bool {
        self.chain.iter().any(Elementwise::needs_mask)
    }

    /// Zeroes lanes from `keep` up of result vector `index` when it is the last chunk of
    /// its row, unless a fused op will.
    pub fn clean_tail(
        &self,
        em: &mut Emitter,
        index: u64,
        v: Handle<Value>,
        keep: u64,
    ) -> Handle<Value> {
        let shape = &self.dest.shape;
        if shape.is_tail_vector(index) && !self.masks_padding() {
            em.keep_lanes(v, keep)
        } else {
            v
        }
    }

    /// Vector `index` of the op's result: apply the fused ops and store it.
    pub fn put(&self, em: &mut Emitter, index: u64, v: Handle<Value>) {
        let origin = em.origin().clone();
        let v = self
            .chain
            .iter()
            .fold(v, |v, op| op.apply(em, index, Some(v)));
        em.write(v, &self.dest, index);
        em.set_origin(origin);
    }
}
