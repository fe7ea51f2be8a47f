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
    pub fn new(chain: Vec<Elementwise>, dest: Stored) -> Sink {
        Sink { chain, dest }
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
