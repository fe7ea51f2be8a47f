//! The machine-level reference interpreter: runs a machine-level function (any of the
//! machine, allocated and scheduled stages) in body order, ignoring placements and issue
//! slots. This is the meaning the cycle-level simulator must reproduce.

use super::{HostOutput, MachineOutputs};
use crate::codes;
use crate::exec;
use crate::lanes::Lanes;
use crate::mxm::Plane;
use crate::program::{Kind, Program};
use crate::tensor::Tensor;
use std::rc::Rc;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::target::Target;

/// Runs `program` on `inputs` (one tensor per input buffer, in input order).
pub fn run(
    program: &Program,
    target: &Target,
    inputs: &[Tensor],
) -> Result<MachineOutputs, Diagnostics> {
    let func = program.func;
    let lanes = target.lanes as usize;
    let ov = target.int_overflow;
    let mut memory: Vec<Vec<Option<Rc<Lanes>>>> = program
        .initial_contents(inputs, target.lanes)?
        .into_iter()
        .zip(&program.buffers)
        .map(|(init, b)| match init {
            Some(v) => v.into_iter().map(|l| Some(Rc::new(l))).collect(),
            None => vec![None; b.vectors as usize],
        })
        .collect();
    let mut values: Vec<Option<Rc<Lanes>>> = vec![None; func.values.len()];
    let mut planes =
        vec![Plane::new(lanes, target.mxm_acc_slots as usize); target.total_planes() as usize];
    let group = target.transpose_group() as usize;

    for instr in &program.instrs {
        let span = func.op_span(instr.op);
        let fail = |code, message: String| {
            vec![Diagnostic::error(code, message).primary(span, "in this op")]
        };
        let operands: Vec<&Lanes> = instr
            .operands
            .iter()
            .map(|&v| values[v].as_deref())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                fail(
                    codes::BAD_OPERANDS,
                    "an operand is used before it is defined".into(),
                )
            })?;
        let results: Vec<Lanes> = match &instr.kind {
            Kind::Read { buffer, index } => {
                let b = &program.buffers[*buffer];
                match &memory[*buffer][*index as usize] {
                    Some(v) => {
                        values[instr.results[0]] = Some(v.clone());
                        continue;
                    }
                    None => {
                        return Err(vec![
                            Diagnostic::error(
                                codes::READ_UNWRITTEN,
                                format!("`mem.read` reads `%{}`[{index}], which nothing writes before it", b.name),
                            )
                            .primary(span, "reads memory that was never written")
                            .secondary(b.span, "the buffer"),
                        ]);
                    }
                }
            }
            Kind::Write { buffer, index } => {
                let v = values[instr.operands[0]].clone();
                memory[*buffer][*index as usize] = v;
                continue;
            }
            Kind::Load { plane, row } => {
                planes[*plane as usize]
                    .load(*row as usize, operands[0])
                    .map_err(|e| fail(codes::MXM_TYPE, e.to_string()))?;
                continue;
            }
            Kind::Mac {
                plane,
                acc,
                accumulate,
            } => {
                let p = &mut planes[*plane as usize];
                let s = p
                    .chunk(operands[0], ov)
                    .map_err(|e| fail(codes::MXM_TYPE, e.to_string()))?;
                p.accumulate(*acc as usize, s, *accumulate, ov)
                    .map_err(|e| fail(codes::MXM_TYPE, e.to_string()))?;
                continue;
            }
            Kind::Acc { plane, acc } => {
                let r = planes[*plane as usize]
                    .read(*acc as usize, instr.result_elems[0])
                    .map_err(|e| fail(codes::MXM_TYPE, e.to_string()))?;
                vec![r]
            }
            Kind::Idle => continue,
            kind => {
                let mut out = vec![Lanes::I8(Vec::new()); instr.results.len()];
                exec::compute(kind, ov, group, &operands, &mut out)
                    .map_err(|e| fail(codes::BAD_OPERANDS, e))?;
                out
            }
        };
        for (&r, v) in instr.results.iter().zip(results) {
            values[r] = Some(Rc::new(v));
        }
    }

    let outputs = program
        .output_buffers()
        .map(|(id, b)| {
            let vectors = memory[id].iter().map(|v| v.as_deref().cloned()).collect();
            HostOutput::new(b, vectors, target.lanes)
        })
        .collect();
    Ok(MachineOutputs { outputs })
}
