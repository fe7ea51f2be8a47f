//! Which buffers hold data: a forward analysis. Inputs and constants are preloaded; a
//! scratch or output buffer holds data from its first write on.

use crate::access::buffer_accesses;
use crate::bitset::BitSet;
use crate::framework::{Analysis, Direction, OpLocation};
use timetable_ir::machine::{Role, keys};
use timetable_ir::registry::{Access, Opcode};
use timetable_ir::{Function, Handle, Op, Value};

/// Forward may-analysis over buffer values: a buffer is in the set at a point if it holds
/// data on some path to that point.
pub struct Initialized<'f> {
    func: &'f Function,
}

impl<'f> Initialized<'f> {
    pub fn new(func: &'f Function) -> Self {
        Initialized { func }
    }
}

/// Buffer arguments with the given role.
pub fn buffer_args(func: &Function, role: Role) -> impl Iterator<Item = Handle<Value>> + '_ {
    func.args
        .iter()
        .filter(move |a| {
            func.ty(a.value).is_mem()
                && a.attrs
                    .get(keys::ROLE)
                    .is_some_and(|r| Role::parse(r) == Ok(role))
        })
        .map(|a| a.value)
}

/// Buffers that hold data before the first op: `role = "input"` arguments (the host
/// fills them) and `mem.const` results (preloaded with the program).
pub fn preloaded_buffers(func: &Function) -> impl Iterator<Item = Handle<Value>> + '_ {
    let inputs = buffer_args(func, Role::Input);
    let consts = func
        .body_ops()
        .filter(|(_, op)| op.opcode == Opcode::MemConst)
        .flat_map(|(_, op)| op.results.iter().copied());
    inputs.chain(consts)
}

impl Analysis for Initialized<'_> {
    type Domain = BitSet;
    const NAME: &'static str = "initialized";
    const DIRECTION: Direction = Direction::Forward;

    fn bottom_value(&self) -> BitSet {
        BitSet::new_empty(self.func.values.len())
    }

    fn initialize_boundary(&self, state: &mut BitSet) {
        for b in preloaded_buffers(self.func) {
            state.insert(b.index());
        }
    }

    fn apply_op_effect(&self, state: &mut BitSet, op: Handle<Op>, _at: OpLocation) {
        for (access, buffer) in buffer_accesses(&self.func.ops[op]) {
            if access == Access::Write {
                state.insert(buffer.index());
            }
        }
    }
}
