//! Dead-code elimination: removes pure ops none of whose results is used, in one backward
//! sweep (SSA in program order means a use always follows its definition).

use crate::diag::Diagnostics;
use crate::ir::{Function, Module};
use crate::pass::{Pass, PassInfo, PassOptions};
use crate::target::Target;

pub const INFO: PassInfo = PassInfo {
    name: "dce",
    summary: "remove pure ops whose results are unused",
    create: |options: PassOptions| {
        options.finish("dce")?;
        Ok(Box::new(Dce))
    },
};

pub struct Dce;

impl Pass for Dce {
    fn name(&self) -> &'static str {
        "dce"
    }

    fn run(&self, module: &mut Module, _target: &Target) -> Result<(), Diagnostics> {
        for f in &mut module.functions {
            eliminate_dead_ops(f);
        }
        Ok(())
    }
}

/// Removes dead pure ops from one function; returns how many were removed.
pub fn eliminate_dead_ops(func: &mut Function) -> usize {
    let mut uses = vec![0u32; func.values.len()];
    for (_, op) in func.body_ops() {
        for &v in &op.operands {
            uses[v.index()] += 1;
        }
    }
    let mut keep = vec![true; func.body.len()];
    for (i, &h) in func.body.iter().enumerate().rev() {
        let op = &func.ops[h];
        let dead = op.def().is_pure() && op.results.iter().all(|r| uses[r.index()] == 0);
        if dead {
            keep[i] = false;
            for &v in &op.operands {
                uses[v.index()] -= 1;
            }
        }
    }
    let before = func.body.len();
    let mut flags = keep.into_iter();
    func.body.retain(|_| flags.next().unwrap_or(true));
    before - func.body.len()
}
