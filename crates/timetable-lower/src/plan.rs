//! Decisions made before emitting a function: which results flow straight into the
//! elementwise op that uses them (fusion), which reshapes are free, and which results go
//! straight into an output buffer.

use crate::reshape;
use crate::shape::Shape;
use rustc_hash::FxHashMap;
use timetable_ir::{Function, Handle, Op, Opcode, Value, ValueDef};

pub struct Plan {
    /// For an elementwise op: the operand that flows in from its producer's lowering.
    pub flowing_operand: FxHashMap<Handle<Op>, usize>,
    /// Results consumed in flight by their single user (never stored).
    pub fused: FxHashMap<Handle<Value>, Handle<Op>>,
    /// Results written straight into output buffer `i` (the first return slot).
    pub output_of: FxHashMap<Handle<Value>, usize>,
}

/// Elementwise tensor ops: lowered vector by vector.
pub fn is_elementwise(op: &Op) -> bool {
    op.opcode.def().lane.is_some() && op.opcode.name().starts_with("tensor.")
}

/// Whether a value's data is produced by emitting machine ops (rather than being an
/// argument, a constant, or a free reshape of another value).
fn is_computed(
    func: &Function,
    v: Handle<Value>,
    shapes: &FxHashMap<Handle<Value>, Shape>,
) -> bool {
    let ValueDef::Result { op, .. } = func.value(v).def else {
        return false;
    };
    let op = func.op(op);
    match op.opcode {
        Opcode::TensorConst | Opcode::FuncReturn => false,
        Opcode::TensorReshape => !reshape::is_free(&shapes[&op.operands[0]], &shapes[&v]),
        _ => true,
    }
}

impl Plan {
    pub fn new(func: &Function, shapes: &FxHashMap<Handle<Value>, Shape>) -> Plan {
        let mut uses: FxHashMap<Handle<Value>, usize> = FxHashMap::default();
        let mut returned: FxHashMap<Handle<Value>, usize> = FxHashMap::default();
        for (_, op) in func.body_ops() {
            for (i, &v) in op.operands.iter().enumerate() {
                *uses.entry(v).or_default() += 1;
                if op.opcode == Opcode::FuncReturn {
                    returned.entry(v).or_insert(i);
                }
            }
        }
        let mut plan = Plan {
            flowing_operand: FxHashMap::default(),
            fused: FxHashMap::default(),
            output_of: FxHashMap::default(),
        };
        for (h, op) in func.body_ops() {
            if !is_elementwise(op) {
                continue;
            }
            let result = op.results[0];
            let flows = op.operands.iter().position(|&v| {
                uses[&v] == 1
                    && !returned.contains_key(&v)
                    && is_computed(func, v, shapes)
                    && shapes[&v].dims == shapes[&result].dims
            });
            if let Some(pos) = flows {
                plan.flowing_operand.insert(h, pos);
                plan.fused.insert(op.operands[pos], h);
            }
        }
        for (v, slot) in returned {
            if is_computed(func, v, shapes) {
                plan.output_of.insert(v, slot);
            }
        }
        plan
    }
}
