//! The tensor-level reference interpreter: runs a tensor-level function at one shape
//! bucket on real values, with the target's arithmetic (docs/semantics.md).

use super::Bindings;
use crate::codes;
use crate::kernels::Kernel;
use crate::seed;
use crate::tensor::{self, Tensor};
use timetable_ir::attr::AttrValue;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Op};
use timetable_ir::registry::Opcode;
use timetable_ir::target::Target;

/// Runs `func` with `inputs` (one per argument) at the sizes in `bindings`; returns the
/// function's results.
pub fn run(
    func: &Function,
    target: &Target,
    bindings: &Bindings,
    inputs: &[Tensor],
) -> Result<Vec<Tensor>, Diagnostics> {
    let mut values: Vec<Option<Tensor>> = vec![None; func.values.len()];
    if inputs.len() != func.args.len() {
        return Err(vec![
            Diagnostic::error(
                codes::BAD_INPUT,
                format!(
                    "`@{}` takes {} inputs, not {}",
                    func.name.text,
                    func.args.len(),
                    inputs.len()
                ),
            )
            .primary(func.name.span, "this function"),
        ]);
    }
    for (arg, t) in func.args.iter().zip(inputs) {
        let v = func.value(arg.value);
        let span = func.value_span(arg.value);
        let want = bindings
            .shape_of(&v.ty)
            .map_err(|e| vec![unbound(e, span)])?;
        if t.shape != want || t.elem() != v.ty.elem() {
            let want_ty = Tensor::zeros(want, v.ty.elem()).type_name();
            return Err(vec![
                Diagnostic::error(
                    codes::BAD_INPUT,
                    format!(
                        "input `%{}` takes `{want_ty}`, not `{}`",
                        v.name,
                        t.type_name()
                    ),
                )
                .primary(span, "this argument"),
            ]);
        }
        values[arg.value.index()] = Some(t.clone());
    }
    for (h, op) in func.body_ops() {
        let span = func.op_span(h);
        let operands: Vec<&Tensor> = op
            .operands
            .iter()
            .map(|v| values[v.index()].as_ref())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                vec![
                    Diagnostic::error(
                        codes::BAD_OPERANDS,
                        "an operand is used before it is defined",
                    )
                    .primary(span, "here"),
                ]
            })?;
        if op.opcode == Opcode::FuncReturn {
            return Ok(operands.into_iter().cloned().collect());
        }
        let Some(&result) = op.results.first() else {
            continue;
        };
        let ty = func.ty(result);
        let shape = bindings.shape_of(ty).map_err(|e| vec![unbound(e, span)])?;
        let value = eval(op, &operands, &shape, ty.elem(), target)
            .map_err(|(code, m)| vec![Diagnostic::error(code, m).primary(span, "in this op")])?;
        if value.shape != shape || value.elem() != ty.elem() {
            return Err(vec![
                Diagnostic::error(
                    codes::BAD_OPERANDS,
                    format!(
                        "`{}` computed `{}` but declares `{ty}`",
                        op.opcode,
                        value.type_name()
                    ),
                )
                .primary(span, "in this op"),
            ]);
        }
        values[result.index()] = Some(value);
    }
    Ok(Vec::new())
}

fn unbound(message: String, span: timetable_ir::Span) -> Diagnostic {
    Diagnostic::error(codes::UNBOUND_SHAPE, message)
        .primary(span, "has a symbolic dimension")
        .note("give its size with `--shape NAME=SIZE` (or list `buckets` on the function)")
}

/// An `axis` attribute (negative counts from the end), checked against `rank`.
fn axis(op: &Op, rank: usize, default: Option<i64>) -> Result<usize, String> {
    let a = op
        .attrs
        .get("axis")
        .and_then(AttrValue::as_int)
        .or(default)
        .ok_or("`axis` is missing")?;
    let r = rank as i64;
    if (-r..r).contains(&a) {
        Ok(a.rem_euclid(r) as usize)
    } else {
        Err(format!("`axis = {a}` is out of range for rank {rank}"))
    }
}

fn eval(
    op: &Op,
    operands: &[&Tensor],
    shape: &[usize],
    elem: timetable_ir::types::ElemType,
    target: &Target,
) -> Result<Tensor, (&'static str, String)> {
    let ov = target.int_overflow;
    let lanes = target.lanes as usize;
    let bad = |m: String| (codes::BAD_OPERANDS, m);
    let kernel = |k: Kernel| tensor::elementwise(k, ov, operands).map_err(|e| bad(e.0));
    match op.opcode {
        Opcode::TensorConst => {
            let count = shape.iter().product();
            let data = match (op.attrs.get("seed"), op.attrs.get("value")) {
                (Some(s), _) => seed::seed_data(s.as_int().unwrap_or(0) as u64, elem, count),
                (None, Some(AttrValue::Dense(d))) => {
                    seed::dense_data(d, elem, count).map_err(|e| (codes::BAD_CONSTANT, e))?
                }
                _ => return Err(bad("`tensor.const` needs `seed` or `value`".into())),
            };
            Tensor::new(shape.to_vec(), data).map_err(bad)
        }
        Opcode::TensorMatmul => {
            tensor::matmul(operands[0], operands[1], lanes, ov).map_err(|e| bad(e.0))
        }
        Opcode::TensorTranspose => {
            let rank = operands[0].shape.len();
            let perm: Vec<usize> = match op.attrs.get("perm").and_then(AttrValue::as_int_array) {
                Some(p) => p.into_iter().map(|i| i as usize).collect(),
                None if rank >= 2 => {
                    let mut p: Vec<usize> = (0..rank).collect();
                    p.swap(rank - 1, rank - 2);
                    p
                }
                None => return Err(bad("`tensor.transpose` without `perm` needs rank 2".into())),
            };
            let mut seen = vec![false; rank];
            if perm.len() != rank
                || !perm
                    .iter()
                    .all(|&p| p < rank && !std::mem::replace(&mut seen[p], true))
            {
                return Err(bad(format!("`perm` is not a permutation of 0..{rank}")));
            }
            Ok(tensor::transpose(operands[0], &perm))
        }
        Opcode::TensorReshape => Tensor::new(shape.to_vec(), operands[0].data.clone()).map_err(bad),
        Opcode::TensorReduceSum => {
            let a = axis(op, operands[0].shape.len(), None).map_err(bad)?;
            Ok(tensor::reduce_sum(operands[0], a, lanes, ov))
        }
        Opcode::TensorSoftmax => {
            let a = axis(op, operands[0].shape.len(), Some(-1)).map_err(bad)?;
            tensor::softmax(operands[0], a, lanes, ov).map_err(|e| bad(e.0))
        }
        other => match other.def().lane {
            Some(lane) => kernel(Kernel::of(lane, elem)),
            None => Err((
                codes::UNSUPPORTED,
                format!("`{other}` is not a tensor-level op"),
            )),
        },
    }
}
