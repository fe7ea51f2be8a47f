//! The concrete machine state an op reads or writes, from the registry's effect kinds
//! plus the op's operands and attributes. Dependence analysis orders ops that touch the
//! same location.

use crate::arena::Handle;
use crate::ir::{Function, Op, Value};
use crate::registry::{Access, StateKind};

/// A piece of machine state outside SSA values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// Vector `index` of a buffer (before placement; after placement, dependence analysis
    /// also compares address ranges of different buffers).
    BufferElement {
        buffer: Handle<Value>,
        index: u32,
    },
    MxmWeights {
        plane: u32,
    },
    MxmAccumulator {
        plane: u32,
        acc: u32,
    },
    /// Ordered with respect to every other effect.
    Barrier,
}

fn attr_u32(op: &Op, key: &str) -> u32 {
    op.attrs
        .get(key)
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}

/// The locations an op touches. Attributes are read leniently (missing means 0): run this
/// on verified IR, where they are present and in range.
pub fn locations(_func: &Function, op: &Op) -> Vec<(Access, Location)> {
    op.def()
        .effects
        .iter()
        .map(|e| {
            let loc = match e.state {
                StateKind::BufferElement { operand } => Location::BufferElement {
                    buffer: op.operands[operand],
                    index: attr_u32(op, "index"),
                },
                StateKind::MxmWeights => Location::MxmWeights {
                    plane: attr_u32(op, "plane"),
                },
                StateKind::MxmAccumulator => Location::MxmAccumulator {
                    plane: attr_u32(op, "plane"),
                    acc: attr_u32(op, "acc"),
                },
                StateKind::Barrier => Location::Barrier,
            };
            (e.access, loc)
        })
        .collect()
}
