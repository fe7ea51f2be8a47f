//! Def-use chains: for every value, its definition and every use, in program order.

use crate::program::Positions;
use timetable_ir::{Function, Handle, Op, Value, ValueDef};

/// One use of a value: operand `operand` of the op at body index `position`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Use {
    pub op: Handle<Op>,
    pub position: u32,
    pub operand: u32,
}

/// Where a value is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Def {
    Arg(usize),
    /// Result `result` of the op at body index `position`.
    Op {
        op: Handle<Op>,
        position: u32,
        result: usize,
    },
    /// The defining op is not in the body (dead storage in the arena).
    Detached,
}

/// Def-use chains of one function, built in one pass (uses stored contiguously per
/// value).
#[derive(Clone, Debug)]
pub struct DefUse {
    positions: Positions,
    /// `uses[start[v]..start[v + 1]]` are the uses of value `v`.
    start: Vec<u32>,
    uses: Vec<Use>,
}

impl DefUse {
    pub fn new(func: &Function) -> Self {
        let positions = Positions::new(func);
        let mut start = vec![0u32; func.values.len() + 1];
        for (_, op) in func.body_ops() {
            for &v in &op.operands {
                start[v.index() + 1] += 1;
            }
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let placeholder = Use {
            op: Handle::new(0),
            position: 0,
            operand: 0,
        };
        let mut uses = vec![placeholder; start[func.values.len()] as usize];
        for (position, (h, op)) in func.body_ops().enumerate() {
            for (operand, &v) in op.operands.iter().enumerate() {
                let slot = &mut fill[v.index()];
                uses[*slot as usize] = Use {
                    op: h,
                    position: position as u32,
                    operand: operand as u32,
                };
                *slot += 1;
            }
        }
        DefUse {
            positions,
            start,
            uses,
        }
    }

    /// The uses of `v` in program order.
    pub fn uses(&self, v: Handle<Value>) -> &[Use] {
        &self.uses[self.start[v.index()] as usize..self.start[v.index() + 1] as usize]
    }

    pub fn def(&self, func: &Function, v: Handle<Value>) -> Def {
        match func.value(v).def {
            ValueDef::Arg(i) => Def::Arg(i),
            ValueDef::Result { op, index } => match self.positions.of(op) {
                Some(p) => Def::Op {
                    op,
                    position: p as u32,
                    result: index,
                },
                None => Def::Detached,
            },
        }
    }

    /// The body index of an op.
    pub fn position(&self, op: Handle<Op>) -> Option<usize> {
        self.positions.of(op)
    }

    pub fn positions(&self) -> &Positions {
        &self.positions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timetable_ir::{SourceFile, parse};

    #[test]
    fn chains_list_uses_in_program_order() {
        let text = r#"
module @m target @tiny stage machine {
  func @f(%a: mem<2xf32> {role = "input"}, %y: mem<2xf32> {role = "output"}) -> () {
    %x = mem.read(%a) {index = 0} : (mem<2xf32>) -> vec<f32>
    %s = vxm.add(%x, %x) : (vec<f32>, vec<f32>) -> vec<f32>
    mem.write(%s, %y) {index = 0} : (vec<f32>, mem<2xf32>) -> ()
    mem.write(%x, %y) {index = 1} : (vec<f32>, mem<2xf32>) -> ()
  }
}"#;
        let m = parse::parse_module(&SourceFile::new("t", text)).unwrap();
        let f = &m.functions[0];
        let du = DefUse::new(f);
        let x = f.op(f.body[0]).results[0];
        let uses: Vec<(u32, u32)> = du.uses(x).iter().map(|u| (u.position, u.operand)).collect();
        assert_eq!(uses, vec![(1, 0), (1, 1), (3, 0)]);
        assert_eq!(
            du.def(f, x),
            Def::Op {
                op: f.body[0],
                position: 0,
                result: 0
            }
        );
        let y = f.args[1].value;
        assert_eq!(du.def(f, y), Def::Arg(1));
        assert_eq!(du.uses(y).len(), 2);
    }
}
