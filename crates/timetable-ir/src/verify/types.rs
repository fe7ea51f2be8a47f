//! Each op against its registry type rule.

use crate::arena::Handle;
use crate::attr::AttrValue;
use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Function, Op};
use crate::registry::{Arity, ElemSet, Level, TypeRule};
use crate::target::Target;
use crate::types::{Dim, ElemType, TensorType, Type};

/// Checks arity, level-appropriate types, accepted element types and the type rule.
/// Returns whether the op is well-typed (attribute checks assume it).
pub(super) fn check(
    func: &Function,
    handle: Handle<Op>,
    target: &Target,
    diags: &mut Diagnostics,
) -> bool {
    let op = func.op(handle);
    let def = op.def();
    let span = func.op_span(handle);
    let group = target.transpose_group() as usize;
    let arity_error = |what: &str, code, expected: usize, got: usize| {
        Diagnostic::error(
            code,
            format!("`{}` takes {expected} {what}, not {got}", def.name),
        )
        .primary(span, format!("{got} {what}"))
    };
    let expected = |a: Arity| match a {
        Arity::Fixed(n) => Some(n),
        Arity::Variadic => None,
        Arity::TransposeGroup => Some(group),
    };
    if let Some(n) = expected(def.operands).filter(|&n| n != op.operands.len()) {
        diags.push(arity_error(
            "operand(s)",
            codes::OPERAND_COUNT,
            n,
            op.operands.len(),
        ));
        return false;
    }
    if let Some(n) = expected(def.results).filter(|&n| n != op.results.len()) {
        diags.push(arity_error(
            "result(s)",
            codes::RESULT_COUNT,
            n,
            op.results.len(),
        ));
        return false;
    }
    let operands: Vec<&Type> = op.operands.iter().map(|&v| func.ty(v)).collect();
    let results: Vec<&Type> = op.results.iter().map(|&v| func.ty(v)).collect();

    let level_mismatch = operands.iter().chain(&results).find(|t| match def.level {
        Level::Tensor => t.as_tensor().is_none(),
        Level::Machine => t.as_tensor().is_some(),
        Level::Any => false,
    });
    if let Some(t) = level_mismatch {
        diags.push(
            Diagnostic::error(
                codes::TYPE_RULE,
                format!("`{}` does not take `{t}`", def.name),
            )
            .primary(
                span,
                if def.level == Level::Tensor {
                    "tensor ops take tensors"
                } else {
                    "machine ops take vectors and buffers"
                },
            ),
        );
        return false;
    }
    if let Some(first) = operands.first() {
        let elem = first.elem();
        let ok = match def.elems {
            ElemSet::Any => true,
            ElemSet::Float => elem.is_float(),
            ElemSet::Multiplicand => matches!(elem, ElemType::I8 | ElemType::F16 | ElemType::BF16),
        };
        if !ok {
            let accepted = match def.elems {
                ElemSet::Float => "f16, bf16 or f32",
                _ => "i8, f16 or bf16",
            };
            diags.push(
                Diagnostic::error(
                    codes::ELEMENT_TYPE,
                    format!("`{}` does not accept element type `{elem}`", def.name),
                )
                .primary(span, format!("accepts {accepted}")),
            );
            return false;
        }
    }
    match rule(def.rule, func, op, &operands, &results, target) {
        Ok(()) => true,
        Err(Problem { message, attr }) => {
            let d = match attr
                .and_then(|k| op.attrs.span_of(k))
                .filter(|s| !s.is_dummy())
            {
                Some(at) => {
                    Diagnostic::error(codes::ATTR_VALUE, message).primary(at, "out of range")
                }
                None => Diagnostic::error(codes::TYPE_RULE, message).primary(span, "in this op"),
            };
            diags.push(d);
            false
        }
    }
}

/// Why an op breaks its rule, and the attribute to blame if one is.
struct Problem {
    message: String,
    attr: Option<&'static str>,
}

impl From<String> for Problem {
    fn from(message: String) -> Self {
        Problem {
            message,
            attr: None,
        }
    }
}

type Check = Result<(), Problem>;

fn expect(cond: bool, message: impl FnOnce() -> String) -> Check {
    if cond { Ok(()) } else { Err(message().into()) }
}

/// Like `expect`, blaming attribute `key`.
fn expect_attr(cond: bool, key: &'static str, message: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(Problem {
            message: message(),
            attr: Some(key),
        })
    }
}

fn tensor(t: &Type) -> &TensorType {
    t.as_tensor().expect("level check ran first")
}

fn rule(
    rule: TypeRule,
    func: &Function,
    op: &Op,
    operands: &[&Type],
    results: &[&Type],
    target: &Target,
) -> Check {
    let name = op.opcode.name();
    let same_as_first = |what: &str| -> Check {
        let first = operands.first().or(results.first()).copied();
        for t in operands.iter().chain(results) {
            expect(Some(*t) == first, || {
                format!(
                    "`{name}` needs {what} of one type, but has `{}` and `{t}`",
                    first.expect("non-empty")
                )
            })?;
        }
        Ok(())
    };
    match rule {
        TypeRule::Same | TypeRule::Select => same_as_first("operands and results"),
        TypeRule::Nothing => Ok(()),
        TypeRule::Broadcast => {
            let (a, b, r) = (tensor(operands[0]), tensor(operands[1]), tensor(results[0]));
            expect(a.elem == b.elem && b.elem == r.elem, || {
                format!(
                    "`{name}` needs one element type, but has `{}`, `{}` and `{}`",
                    a.elem, b.elem, r.elem
                )
            })?;
            let dims = broadcast_dims(&a.dims, &b.dims).ok_or_else(|| {
                format!(
                    "shapes `{}` and `{}` do not broadcast",
                    operands[0], operands[1]
                )
            })?;
            expect(dims == r.dims, || {
                format!(
                    "the result of `{name}` must be `{}`",
                    Type::Tensor(TensorType::new(dims.clone(), r.elem))
                )
            })
        }
        TypeRule::Cast => {
            let same_shape = match (operands[0], results[0]) {
                (Type::Vec(_), Type::Vec(_)) => true,
                (Type::Tensor(a), Type::Tensor(b)) => a.dims == b.dims,
                _ => false,
            };
            expect(same_shape, || {
                format!(
                    "`{name}` changes only the element type, but `{}` and `{}` differ in shape",
                    operands[0], results[0]
                )
            })
        }
        TypeRule::Matmul => {
            let (a, b, r) = (tensor(operands[0]), tensor(operands[1]), tensor(results[0]));
            expect(a.elem == b.elem, || {
                format!(
                    "`{name}` multiplies one element type, not `{}` by `{}`",
                    a.elem, b.elem
                )
            })?;
            expect(a.rank() >= 2 && b.rank() == 2, || {
                format!(
                    "`{name}` takes `[.., M, K] x [K, N]`, not `{}` x `{}`",
                    operands[0], operands[1]
                )
            })?;
            let k = &a.dims[a.rank() - 1];
            expect(*k == b.dims[0], || {
                format!(
                    "inner dimensions of `{name}` differ: `{}` x `{}`",
                    operands[0], operands[1]
                )
            })?;
            let mut dims = a.dims[..a.rank() - 1].to_vec();
            dims.push(b.dims[1].clone());
            let want = Type::Tensor(TensorType::new(dims, a.elem.accumulator()));
            expect(*results[0] == want, || {
                format!("the result of `{name}` must be `{want}`")
            })?;
            let _ = r;
            Ok(())
        }
        TypeRule::Transpose => {
            let (a, r) = (tensor(operands[0]), tensor(results[0]));
            let perm = match op.attrs.get("perm") {
                Some(p) => p.as_int_array().unwrap_or_default(),
                None => {
                    expect(a.rank() >= 2, || {
                        format!("`{name}` without `perm` needs rank 2 or more")
                    })?;
                    let mut p: Vec<i64> = (0..a.rank() as i64).collect();
                    p.swap(a.rank() - 1, a.rank() - 2);
                    p
                }
            };
            let mut seen = vec![false; a.rank()];
            let is_perm = perm.len() == a.rank()
                && perm.iter().all(|&i| {
                    usize::try_from(i)
                        .is_ok_and(|i| i < a.rank() && !std::mem::replace(&mut seen[i], true))
                });
            expect_attr(is_perm, "perm", || {
                format!("`perm` must be a permutation of 0..{}", a.rank())
            })?;
            let dims: Vec<Dim> = perm.iter().map(|&i| a.dims[i as usize].clone()).collect();
            let want = Type::Tensor(TensorType::new(dims, a.elem));
            expect(Type::Tensor(r.clone()) == want, || {
                format!("the result of `{name}` must be `{want}`")
            })
        }
        TypeRule::Reshape => {
            let (a, r) = (tensor(operands[0]), tensor(results[0]));
            expect(a.elem == r.elem, || {
                format!("`{name}` keeps the element type")
            })?;
            expect(element_count(a) == element_count(r), || {
                format!(
                    "`{name}` must keep the number of elements: `{}` and `{}` differ",
                    operands[0], results[0]
                )
            })
        }
        TypeRule::Reduce | TypeRule::Softmax => {
            let (a, r) = (tensor(operands[0]), tensor(results[0]));
            let axis = op
                .attrs
                .get("axis")
                .and_then(AttrValue::as_int)
                .unwrap_or(-1);
            let rank = a.rank() as i64;
            expect_attr(rank > 0 && (-rank..rank).contains(&axis), "axis", || {
                format!("`axis = {axis}` is out of range for `{}`", operands[0])
            })?;
            let axis = axis.rem_euclid(rank.max(1)) as usize;
            let mut dims = a.dims.clone();
            if rule == TypeRule::Reduce {
                dims[axis] = Dim::Fixed(1);
            }
            let want = Type::Tensor(TensorType::new(dims, a.elem));
            expect(Type::Tensor(r.clone()) == want, || {
                format!("the result of `{name}` must be `{want}`")
            })
        }
        TypeRule::Const => {
            let r = tensor(results[0]);
            let count = r
                .static_shape()
                .ok_or_else(|| format!("`{name}` needs a static shape, not `{}`", results[0]))?
                .iter()
                .product::<u64>();
            const_data(op, count, r.elem)
        }
        TypeRule::Return => {
            let types: Vec<Type> = operands.iter().map(|t| (*t).clone()).collect();
            expect(types == func.results, || {
                let list = |ts: &[Type]| {
                    ts.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "`{name}` returns ({}) but the function declares ({})",
                    list(&types),
                    list(&func.results)
                )
            })
        }
        TypeRule::MemAlloc => expect(results[0].is_mem(), || {
            format!("`{name}` defines a buffer (`mem<NxT>`)")
        }),
        TypeRule::MemConst => {
            let Type::Mem { vectors, elem } = results[0] else {
                return Err(format!("`{name}` defines a buffer (`mem<NxT>`)").into());
            };
            let count = match op.attrs.get(crate::machine::keys::TENSOR) {
                Some(AttrValue::Type(Type::Tensor(t))) => {
                    let layout = crate::layout::Layout::of(t, target.lanes)
                        .ok_or_else(|| format!("`tensor` of `{name}` needs a static shape"))?;
                    expect(layout.vectors() == u64::from(*vectors), || {
                        format!(
                            "`{}` takes {} vectors in the canonical layout, not {vectors}",
                            t_display(t),
                            layout.vectors()
                        )
                    })?;
                    expect(t.elem == *elem, || {
                        format!("`tensor` and the buffer of `{name}` differ in element type")
                    })?;
                    layout.used_lanes()
                }
                Some(other) => {
                    return Err(format!("`tensor` must be a tensor type, not {other}").into());
                }
                None => u64::from(*vectors) * u64::from(target.lanes),
            };
            const_data(op, count, *elem)
        }
        TypeRule::MemRead | TypeRule::MemWrite => {
            let (vec_ty, buf_ty) = if rule == TypeRule::MemRead {
                (results[0], operands[0])
            } else {
                (operands[0], operands[1])
            };
            let Type::Mem { vectors, elem } = buf_ty else {
                return Err(
                    format!("`{name}` accesses a buffer (`mem<NxT>`), not `{buf_ty}`").into(),
                );
            };
            expect(*vec_ty == Type::Vec(*elem), || {
                format!("`{name}` moves `vec<{elem}>` for a `{buf_ty}`, not `{vec_ty}`")
            })?;
            let index = op
                .attrs
                .get("index")
                .and_then(AttrValue::as_u64)
                .unwrap_or(0);
            expect_attr(index < u64::from(*vectors), "index", || {
                format!("`index = {index}` is past the end of `{buf_ty}`")
            })
        }
        TypeRule::MxmLoad | TypeRule::MxmMac => {
            expect(matches!(operands[0], Type::Vec(_)), || {
                format!("`{name}` takes a vector")
            })?;
            mxm_bounds(op, target)
        }
        TypeRule::MxmAcc => {
            expect(
                matches!(results[0], Type::Vec(ElemType::I32 | ElemType::F32)),
                || {
                    format!(
                        "`{name}` gives `vec<i32>` or `vec<f32>`, not `{}`",
                        results[0]
                    )
                },
            )?;
            mxm_bounds(op, target)
        }
    }
    .and_then(|()| machine_attr_bounds(op, operands, target))
}

fn t_display(t: &TensorType) -> Type {
    Type::Tensor(t.clone())
}

/// The number of elements as a product of a static part and a sorted list of symbols.
fn element_count(t: &TensorType) -> (u64, Vec<&str>) {
    let mut symbols: Vec<&str> = Vec::new();
    let mut product = 1u64;
    for d in &t.dims {
        match d {
            Dim::Fixed(n) => product = product.saturating_mul(*n),
            Dim::Sym(s) => symbols.push(s),
        }
    }
    symbols.sort_unstable();
    (product, symbols)
}

/// NumPy broadcasting of two shapes, right-aligned; `None` if they do not broadcast.
pub fn broadcast_dims(a: &[Dim], b: &[Dim]) -> Option<Vec<Dim>> {
    let n = a.len().max(b.len());
    let get = |s: &[Dim], i: usize| -> Dim {
        (i + s.len())
            .checked_sub(n)
            .map_or(Dim::Fixed(1), |j| s[j].clone())
    };
    (0..n)
        .map(|i| match (get(a, i), get(b, i)) {
            (x, y) if x == y => Some(x),
            (Dim::Fixed(1), y) => Some(y),
            (x, Dim::Fixed(1)) => Some(x),
            _ => None,
        })
        .collect()
}

/// A constant has exactly one of `value` (splat or `count` numbers) and `seed`; floats
/// only for float element types.
fn const_data(op: &Op, count: u64, elem: ElemType) -> Check {
    let name = op.opcode.name();
    match (op.attrs.get("value"), op.attrs.get("seed")) {
        (Some(_), Some(_)) => Err(format!("`{name}` takes `value` or `seed`, not both").into()),
        (None, None) => Err(format!("`{name}` needs `value = dense<...>` or `seed = N`").into()),
        (None, Some(_)) => Ok(()),
        (Some(v), None) => {
            let dense = v
                .as_dense()
                .ok_or_else(|| format!("`value` must be a dense constant, not {v}"))?;
            expect(
                dense.is_splat() || dense.values.len() as u64 == count,
                || {
                    format!(
                        "`value` holds {} numbers but `{name}` needs {count} (or one, a splat)",
                        dense.values.len()
                    )
                },
            )?;
            expect(
                elem.is_float()
                    || dense
                        .values
                        .iter()
                        .all(|n| matches!(n, crate::attr::Number::Int(_))),
                || format!("`value` of a `{elem}` constant must hold integers"),
            )
        }
    }
}

fn mxm_bounds(op: &Op, target: &Target) -> Check {
    let get = |k: &str| op.attrs.get(k).and_then(AttrValue::as_u64).unwrap_or(0);
    let plane = get("plane");
    expect_attr(plane < u64::from(target.total_planes()), "plane", || {
        format!(
            "`plane = {plane}` does not exist: `@{}` has {} MXM planes",
            target.name,
            target.total_planes()
        )
    })?;
    if op.attrs.contains("row") {
        let row = get("row");
        expect(row < u64::from(target.lanes), || {
            format!("`row = {row}` is past the {} weight rows", target.lanes)
        })?;
    }
    if op.attrs.contains("acc") {
        let acc = get("acc");
        expect_attr(acc < u64::from(target.mxm_acc_slots), "acc", || {
            format!(
                "`acc = {acc}` is past the {} accumulators of a plane",
                target.mxm_acc_slots
            )
        })?;
    }
    Ok(())
}

/// Lane-indexed attributes of the switch unit must fit the target's lanes.
fn machine_attr_bounds(op: &Op, operands: &[&Type], target: &Target) -> Check {
    let lanes = i64::from(target.lanes);
    if let Some(perm) = op
        .attrs
        .get("perm")
        .filter(|_| !operands.iter().any(|t| t.as_tensor().is_some()))
    {
        let perm = perm.as_int_array().unwrap_or_default();
        let mut seen = vec![false; target.lanes as usize];
        let ok = perm.len() == target.lanes as usize
            && perm.iter().all(|&p| {
                (0..lanes).contains(&p) && !std::mem::replace(&mut seen[p as usize], true)
            });
        expect(ok, || {
            format!("`perm` must be a permutation of the {lanes} lanes")
        })?;
    }
    if let Some(lane) = op.attrs.get("lane").and_then(AttrValue::as_int) {
        expect_attr((0..lanes).contains(&lane), "lane", || {
            format!("`lane = {lane}` is past the {lanes} lanes")
        })?;
    }
    Ok(())
}
