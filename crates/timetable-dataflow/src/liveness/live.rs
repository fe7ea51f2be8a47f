//! Liveness: a backward analysis over every value, vectors and buffers alike.

use super::initialized::buffer_args;
use crate::access::buffer_accesses;
use crate::bitset::BitSet;
use crate::framework::{Analysis, Direction, OpLocation};
use timetable_ir::machine::Role;
use timetable_ir::registry::Access;
use timetable_ir::{Function, Handle, Op};

/// Backward liveness. A value is live at a point if it still holds something a later op
/// (or the host, for outputs) needs:
/// - a vector or tensor value from its definition to its last use;
/// - a buffer from its first write (inputs and constants: from the start) to its last
///   access (outputs: to the end). Its `mem.alloc` is not a definition that matters, and
///   a write after the last read (a dead store) still touches its memory, so it extends
///   the range.
///
/// Which write is a buffer's first comes from the forward [`super::Initialized`]
/// analysis: those writes kill the buffer going backward; every other access generates.
pub struct Live<'f> {
    func: &'f Function,
    /// Ops (by handle index) whose write is the first to their buffer on every path.
    initializing: BitSet,
    /// Buffer values, so transfer functions need not look at each value's type.
    buffers: BitSet,
}

impl<'f> Live<'f> {
    pub(super) fn new(func: &'f Function, initializing: BitSet) -> Self {
        let mut buffers = BitSet::new_empty(func.values.len());
        for (v, value) in func.values.iter() {
            if value.ty.is_mem() {
                buffers.insert(v.index());
            }
        }
        Live {
            func,
            initializing,
            buffers,
        }
    }

    /// Whether a value is a buffer (rather than a vector or tensor).
    pub fn is_buffer(&self, v: Handle<timetable_ir::Value>) -> bool {
        self.buffers.contains(v.index())
    }
}

impl Analysis for Live<'_> {
    type Domain = BitSet;
    const NAME: &'static str = "liveness";
    const DIRECTION: Direction = Direction::Backward;

    fn bottom_value(&self) -> BitSet {
        BitSet::new_empty(self.func.values.len())
    }

    /// Outputs are live when the function ends: the host reads them.
    fn initialize_boundary(&self, state: &mut BitSet) {
        for b in buffer_args(self.func, Role::Output) {
            state.insert(b.index());
        }
    }

    fn apply_op_effect(&self, state: &mut BitSet, op: Handle<Op>, _at: OpLocation) {
        let o = &self.func.ops[op];
        for &r in &o.results {
            if !self.is_buffer(r) {
                state.remove(r.index());
            }
        }
        let initializing = self.initializing.contains(op.index());
        for (access, buffer) in buffer_accesses(o) {
            if initializing && access == Access::Write {
                state.remove(buffer.index());
            } else {
                state.insert(buffer.index());
            }
        }
        for &v in &o.operands {
            if !self.is_buffer(v) {
                state.insert(v.index());
            }
        }
    }
}
