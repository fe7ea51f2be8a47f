//! A reference evaluator of static tensor-level functions.

use super::{round, seeded};
use std::collections::HashMap;
use timetable_ir::attr::AttrValue;
use timetable_ir::registry::LaneOp;
use timetable_ir::{Function, Handle, Opcode, Value};

#[derive(Clone, Debug)]
pub struct Tensor {
    pub dims: Vec<usize>,
    pub data: Vec<f64>,
}

fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

fn unflatten(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for k in (0..dims.len()).rev() {
        idx[k] = i % dims[k];
        i /= dims[k];
    }
    idx
}

fn flatten(idx: &[usize], dims: &[usize]) -> usize {
    idx.iter().zip(dims).fold(0, |a, (&i, &d)| a * d + i)
}

pub fn lane(op: LaneOp, args: &[f64]) -> f64 {
    match op {
        LaneOp::Add => args[0] + args[1],
        LaneOp::Sub => args[0] - args[1],
        LaneOp::Mul => args[0] * args[1],
        LaneOp::Max => args[0].max(args[1]),
        LaneOp::Min => args[0].min(args[1]),
        LaneOp::Relu => args[0].max(0.0),
        LaneOp::Tanh => args[0].tanh(),
        LaneOp::Exp => args[0].exp(),
        LaneOp::Rsqrt => 1.0 / args[0].sqrt(),
        LaneOp::Recip => 1.0 / args[0],
        LaneOp::Cast => args[0],
        LaneOp::Select => {
            if args[0] != 0.0 {
                args[1]
            } else {
                args[2]
            }
        }
    }
}

/// Runs `func` on `inputs` (one per argument); returns its results.
pub fn eval(func: &Function, inputs: &[Tensor]) -> Vec<Tensor> {
    let mut env: HashMap<Handle<Value>, Tensor> = HashMap::new();
    for (arg, t) in func.args.iter().zip(inputs) {
        env.insert(arg.value, t.clone());
    }
    let shape = |v: Handle<Value>| -> Vec<usize> {
        func.ty(v)
            .as_tensor()
            .unwrap()
            .static_shape()
            .unwrap()
            .iter()
            .map(|&d| d as usize)
            .collect()
    };
    for (_, op) in func.body_ops() {
        if op.opcode == Opcode::FuncReturn {
            return op.operands.iter().map(|v| env[v].clone()).collect();
        }
        let r = op.results[0];
        let dims = shape(r);
        let elem = func.ty(r).elem();
        let count: usize = dims.iter().product();
        let arg = |i: usize| &env[&op.operands[i]];
        let data: Vec<f64> = match op.opcode {
            Opcode::TensorConst => match (op.attrs.get("seed"), op.attrs.get("value")) {
                (Some(s), _) => seeded(s.as_int().unwrap(), count, elem),
                (_, Some(AttrValue::Dense(d))) => d
                    .expand(count)
                    .unwrap()
                    .iter()
                    .map(|n| round(elem, n.as_f64()))
                    .collect(),
                _ => panic!("const without data"),
            },
            Opcode::TensorMatmul => {
                let (x, w) = (arg(0), arg(1));
                let k = w.dims[0];
                let n = w.dims[1];
                (0..count)
                    .map(|i| {
                        let (row, col) = (i / n, i % n);
                        let s: f64 = (0..k)
                            .map(|kk| x.data[row * k + kk] * w.data[kk * n + col])
                            .sum();
                        round(elem, s)
                    })
                    .collect()
            }
            Opcode::TensorTranspose => {
                let x = arg(0);
                let rank = x.dims.len();
                let perm: Vec<usize> = match op.attrs.get("perm") {
                    Some(p) => p
                        .as_int_array()
                        .unwrap()
                        .into_iter()
                        .map(|i| i as usize)
                        .collect(),
                    None => {
                        let mut p: Vec<usize> = (0..rank).collect();
                        p.swap(rank - 1, rank - 2);
                        p
                    }
                };
                (0..count)
                    .map(|i| {
                        let o = unflatten(i, &dims);
                        let mut idx = vec![0; rank];
                        for d in 0..rank {
                            idx[perm[d]] = o[d];
                        }
                        x.data[flatten(&idx, &x.dims)]
                    })
                    .collect()
            }
            Opcode::TensorReshape => arg(0).data.clone(),
            Opcode::TensorReduceSum | Opcode::TensorSoftmax => {
                let x = arg(0);
                let rank = x.dims.len() as i64;
                let axis = op
                    .attrs
                    .get("axis")
                    .and_then(|a| a.as_int())
                    .unwrap_or(-1)
                    .rem_euclid(rank) as usize;
                let st = strides(&x.dims)[axis];
                let size = x.dims[axis];
                let along = |i: usize| -> Vec<usize> {
                    let idx = unflatten(i, &x.dims);
                    let base = i - idx[axis] * st;
                    (0..size).map(|k| base + k * st).collect()
                };
                if op.opcode == Opcode::TensorReduceSum {
                    (0..count)
                        .map(|i| {
                            let mut idx = unflatten(i, &dims);
                            idx[axis] = 0;
                            let s: f64 = along(flatten(&idx, &x.dims))
                                .iter()
                                .map(|&j| x.data[j])
                                .sum();
                            round(elem, s)
                        })
                        .collect()
                } else {
                    (0..count)
                        .map(|i| {
                            let js = along(i);
                            let m = js
                                .iter()
                                .map(|&j| x.data[j])
                                .fold(f64::NEG_INFINITY, f64::max);
                            let s: f64 = js.iter().map(|&j| (x.data[j] - m).exp()).sum();
                            round(elem, (x.data[i] - m).exp() / s)
                        })
                        .collect()
                }
            }
            other => {
                let lane_op = other.def().lane.expect("elementwise");
                let operands: Vec<&Tensor> = op.operands.iter().map(|v| &env[v]).collect();
                (0..count)
                    .map(|i| {
                        let idx = unflatten(i, &dims);
                        let args: Vec<f64> = operands
                            .iter()
                            .map(|t| {
                                let off = dims.len() - t.dims.len();
                                let j: Vec<usize> = t
                                    .dims
                                    .iter()
                                    .enumerate()
                                    .map(|(k, &d)| if d == 1 { 0 } else { idx[off + k] })
                                    .collect();
                                t.data[flatten(&j, &t.dims)]
                            })
                            .collect();
                        round(elem, lane(lane_op, &args))
                    })
                    .collect()
            }
        };
        env.insert(r, Tensor { dims, data });
    }
    Vec::new()
}
