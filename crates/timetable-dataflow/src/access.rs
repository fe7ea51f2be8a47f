//! Which buffers an op reads or writes, straight from the registry's effect kinds (no
//! allocation per op, unlike `effects::locations`, which the dependence builder uses when
//! it needs the exact element).

use timetable_ir::registry::{Access, StateKind};
use timetable_ir::{Handle, Op, Value};

/// The buffer operands an op accesses, with the kind of access.
pub fn buffer_accesses(op: &Op) -> impl Iterator<Item = (Access, Handle<Value>)> + '_ {
    op.def().effects.iter().filter_map(|e| match e.state {
        StateKind::BufferElement { operand } => {
            op.operands.get(operand).map(|&buffer| (e.access, buffer))
        }
        _ => None,
    })
}
