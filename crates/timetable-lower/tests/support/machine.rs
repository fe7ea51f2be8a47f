//! A reference evaluator of unscheduled machine-level functions, following docs/ir.md.
//! Scratch memory, weights and accumulators start as NaN, so a lowering that reads what
//! it never wrote (or leaks padding) shows up in the results.

use super::tensor::lane;
use super::{round, seeded, to_layout};
use std::collections::HashMap;
use timetable_ir::attr::AttrValue;
use timetable_ir::{Function, Handle, Opcode, Target, Value};

type Vector = Vec<f64>;

/// Runs `func`; `inputs` are the input buffers' vectors in argument order. Returns every
/// output buffer's vectors, in argument order.
pub fn eval(func: &Function, target: &Target, inputs: &[Vec<Vector>]) -> Vec<Vec<Vector>> {
    let lanes = target.lanes as usize;
    let planes = target.total_planes() as usize;
    let slots = target.mxm_acc_slots as usize;
    let mut buffers: HashMap<Handle<Value>, Vec<Vector>> = HashMap::new();
    let mut vectors: HashMap<Handle<Value>, Vector> = HashMap::new();
    let mut weights = vec![vec![vec![f64::NAN; lanes]; lanes]; planes];
    let mut accs = vec![vec![vec![f64::NAN; lanes]; slots]; planes];
    let mut inputs = inputs.iter();
    let mut outputs = Vec::new();
    for arg in &func.args {
        let v = func.value(arg.value);
        let timetable_ir::Type::Mem { vectors: n, .. } = v.ty else {
            panic!("buffer args")
        };
        let data = match arg.attrs.get("role").and_then(AttrValue::as_str) {
            Some("input") => inputs.next().expect("an input per input buffer").clone(),
            _ => {
                outputs.push(arg.value);
                vec![vec![f64::NAN; lanes]; n as usize]
            }
        };
        assert_eq!(data.len(), n as usize, "input `%{}` size", v.name);
        buffers.insert(arg.value, data);
    }
    let int = |op: &timetable_ir::Op, k: &str| op.attrs.get(k).and_then(AttrValue::as_int).unwrap();
    for (_, op) in func.body_ops() {
        let arg = |i: usize| &vectors[&op.operands[i]];
        let result_elem = op.results.first().map(|&r| func.ty(r).elem());
        let out: Option<Vector> = match op.opcode {
            Opcode::MemAlloc => {
                let timetable_ir::Type::Mem { vectors: n, .. } = func.ty(op.results[0]) else {
                    unreachable!()
                };
                buffers.insert(op.results[0], vec![vec![f64::NAN; lanes]; *n as usize]);
                None
            }
            Opcode::MemConst => {
                let ty = op
                    .attrs
                    .get("tensor")
                    .and_then(AttrValue::as_type)
                    .and_then(|t| t.as_tensor())
                    .unwrap();
                let count = ty.static_shape().unwrap().iter().product::<u64>() as usize;
                let data = match (op.attrs.get("seed"), op.attrs.get("value")) {
                    (Some(s), _) => seeded(s.as_int().unwrap(), count, ty.elem),
                    (_, Some(AttrValue::Dense(d))) => d
                        .expand(count)
                        .unwrap()
                        .iter()
                        .map(|n| round(ty.elem, n.as_f64()))
                        .collect(),
                    _ => panic!("const without data"),
                };
                buffers.insert(op.results[0], to_layout(ty, &data, target.lanes));
                None
            }
            Opcode::MemRead => Some(buffers[&op.operands[0]][int(op, "index") as usize].clone()),
            Opcode::MemWrite => {
                let v = arg(0).clone();
                buffers.get_mut(&op.operands[1]).unwrap()[int(op, "index") as usize] = v;
                None
            }
            Opcode::SxmShift | Opcode::SxmRotate => {
                let x = arg(0);
                let amount = int(op, "amount");
                let mut y = vec![0.0; lanes];
                for (i, &xi) in x.iter().enumerate() {
                    let to = i as i64 + amount;
                    if op.opcode == Opcode::SxmRotate {
                        y[to.rem_euclid(lanes as i64) as usize] = xi;
                    } else if (0..lanes as i64).contains(&to) {
                        y[to as usize] = xi;
                    }
                }
                Some(y)
            }
            Opcode::SxmDistribute => Some(vec![arg(0)[int(op, "lane") as usize]; lanes]),
            Opcode::SxmPermute => {
                let perm = op.attrs.get("perm").unwrap().as_int_array().unwrap();
                Some(perm.iter().map(|&p| arg(0)[p as usize]).collect())
            }
            Opcode::SxmTranspose => {
                let g = target.transpose_group() as usize;
                for (i, &r) in op.results.iter().enumerate() {
                    let y: Vector = (0..lanes)
                        .map(|l| {
                            let (s, j) = (l / g, l % g);
                            vectors[&op.operands[j]][s * g + i]
                        })
                        .collect();
                    vectors.insert(r, y);
                }
                None
            }
            Opcode::MxmLoad => {
                weights[int(op, "plane") as usize][int(op, "row") as usize] = arg(0).clone();
                None
            }
            Opcode::MxmMac => {
                let (p, a) = (int(op, "plane") as usize, int(op, "acc") as usize);
                let elem = func.ty(op.operands[0]).elem().accumulator();
                let x = arg(0);
                let w = &weights[p];
                let y: Vector = (0..lanes)
                    .map(|j| {
                        let dot = round(elem, (0..lanes).map(|i| x[i] * w[i][j]).sum());
                        if op
                            .attrs
                            .get("accumulate")
                            .and_then(AttrValue::as_bool)
                            .unwrap()
                        {
                            round(elem, dot + accs[p][a][j])
                        } else {
                            dot
                        }
                    })
                    .collect();
                accs[p][a] = y;
                None
            }
            Opcode::MxmAcc => {
                Some(accs[int(op, "plane") as usize][int(op, "acc") as usize].clone())
            }
            other => {
                let lane_op = other
                    .def()
                    .lane
                    .unwrap_or_else(|| panic!("no semantics for `{other}`"));
                let elem = result_elem.unwrap();
                Some(
                    (0..lanes)
                        .map(|l| {
                            let args: Vec<f64> =
                                op.operands.iter().map(|v| vectors[v][l]).collect();
                            round(elem, lane(lane_op, &args))
                        })
                        .collect(),
                )
            }
        };
        if let Some(v) = out {
            vectors.insert(op.results[0], v);
        }
    }
    outputs.iter().map(|o| buffers[o].clone()).collect()
}
