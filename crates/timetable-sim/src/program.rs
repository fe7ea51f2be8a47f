//! A machine-level function decoded once for execution: its buffers (with their initial
//! contents) and its instructions in body order, every attribute read and checked up front
//! so the interpreters' loops only index.

use crate::codes;
use crate::kernels::Kernel;
use crate::lanes::Lanes;
use crate::movement::Movement;
use crate::seed;
use crate::tensor::{Tensor, layout_of};
use timetable_ir::arena::Handle;
use timetable_ir::attr::AttrValue;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Op, Value};
use timetable_ir::machine::{self, BufferDef, Placement, Role, keys};
use timetable_ir::registry::Opcode;
use timetable_ir::span::Span;
use timetable_ir::target::Target;
use timetable_ir::types::{ElemType, Type};

/// Index of a buffer in [`Program::buffers`].
pub type BufId = usize;
/// Index of a value (its arena index in the function).
pub type ValId = usize;

/// What a buffer is for, and where its first contents come from.
#[derive(Clone, Debug)]
pub enum BufferKind {
    /// The host fills it; the `index`-th input in argument order.
    Input { index: usize },
    /// The host reads it after the run; the `index`-th output.
    Output { index: usize },
    /// `mem.alloc`: starts unwritten.
    Scratch,
    /// `mem.const`: preloaded with these vectors.
    Const(Vec<Lanes>),
}

#[derive(Clone, Debug)]
pub struct Buffer {
    pub value: Handle<Value>,
    pub name: String,
    pub elem: ElemType,
    pub vectors: u32,
    pub kind: BufferKind,
    /// The static shape of the `tensor` attribute, if any.
    pub tensor: Option<Vec<usize>>,
    pub placement: Option<Placement>,
    /// Where the buffer is declared (argument or op).
    pub span: Span,
}

impl Buffer {
    /// The shape the host sees: the `tensor` attribute, else `vectors x lanes`.
    pub fn host_shape(&self, lanes: u32) -> Vec<usize> {
        self.tensor
            .clone()
            .unwrap_or_else(|| vec![self.vectors as usize, lanes as usize])
    }

    /// Lays a host tensor out in this buffer's vectors.
    pub fn vectors_of(&self, t: &Tensor, lanes: u32) -> Vec<Lanes> {
        let mut v = t.to_vectors(lanes as usize);
        v.resize(
            self.vectors as usize,
            Lanes::zeros(self.elem, lanes as usize),
        );
        v
    }
}

/// One instruction, decoded.
#[derive(Clone, Debug)]
pub enum Kind {
    Read {
        buffer: BufId,
        index: u32,
    },
    Write {
        buffer: BufId,
        index: u32,
    },
    Lane(Kernel),
    Move(Movement),
    Transpose,
    Load {
        plane: u32,
        row: u32,
    },
    Mac {
        plane: u32,
        acc: u32,
        accumulate: bool,
    },
    Acc {
        plane: u32,
        acc: u32,
    },
    /// `icu.nop`, `icu.sync`, `icu.notify`: no effect on data.
    Idle,
}

#[derive(Clone, Debug)]
pub struct Instr {
    pub op: Handle<Op>,
    pub kind: Kind,
    /// Vector operands (buffers excluded), in operand order.
    pub operands: Vec<ValId>,
    pub results: Vec<ValId>,
    pub result_elems: Vec<ElemType>,
}

/// A decoded machine-level function.
#[derive(Clone, Debug)]
pub struct Program<'f> {
    pub func: &'f Function,
    pub buffers: Vec<Buffer>,
    /// Unit ops and `icu` ops in body order (buffer declarations are in `buffers`).
    pub instrs: Vec<Instr>,
    pub inputs: usize,
    pub outputs: usize,
}

fn uint(op: &Op, key: &str) -> Result<u32, String> {
    op.attrs
        .get(key)
        .and_then(AttrValue::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| format!("`{}` needs a non-negative `{key}`", op.opcode))
}

fn int(op: &Op, key: &str) -> Result<i64, String> {
    op.attrs
        .get(key)
        .and_then(AttrValue::as_int)
        .ok_or_else(|| format!("`{}` needs an integer `{key}`", op.opcode))
}

impl<'f> Program<'f> {
    pub fn decode(func: &'f Function, target: &Target) -> Result<Program<'f>, Diagnostics> {
        let mut diags = Vec::new();
        let mut buffers = Vec::new();
        let mut buffer_of = vec![None; func.values.len()];
        let (mut inputs, mut outputs) = (0, 0);
        for (value, def) in machine::buffers(func) {
            match decode_buffer(func, value, def, target, &mut inputs, &mut outputs) {
                Ok(b) => {
                    buffer_of[value.index()] = Some(buffers.len());
                    buffers.push(b);
                }
                Err(d) => diags.push(d),
            }
        }
        let mut instrs = Vec::new();
        for (h, op) in func.body_ops() {
            if matches!(
                op.opcode,
                Opcode::MemAlloc | Opcode::MemConst | Opcode::FuncReturn
            ) {
                continue;
            }
            match decode_op(func, op, &buffer_of, target) {
                Ok(kind) => {
                    let vector = |v: &&Handle<Value>| !func.ty(**v).is_mem();
                    instrs.push(Instr {
                        op: h,
                        kind,
                        operands: op
                            .operands
                            .iter()
                            .filter(vector)
                            .map(|v| v.index())
                            .collect(),
                        results: op.results.iter().map(|v| v.index()).collect(),
                        result_elems: op.results.iter().map(|&v| func.ty(v).elem()).collect(),
                    });
                }
                Err((code, message)) => diags.push(
                    Diagnostic::error(code, message)
                        .primary(func.op_span(h), "cannot execute this op"),
                ),
            }
        }
        if diags.is_empty() {
            Ok(Program {
                func,
                buffers,
                instrs,
                inputs,
                outputs,
            })
        } else {
            Err(diags)
        }
    }

    /// The buffers the host fills, in input order.
    pub fn input_buffers(&self) -> impl Iterator<Item = (BufId, &Buffer)> {
        self.buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b.kind, BufferKind::Input { .. }))
    }

    /// The buffers the host reads, in output order.
    pub fn output_buffers(&self) -> impl Iterator<Item = (BufId, &Buffer)> {
        self.buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b.kind, BufferKind::Output { .. }))
    }

    /// The first contents of every buffer: inputs from `inputs` (in input order), constants
    /// from their data, outputs zero; `None` where the buffer starts unwritten (scratch). Inputs must have the
    /// buffer's host shape and element type.
    pub fn initial_contents(
        &self,
        inputs: &[Tensor],
        lanes: u32,
    ) -> Result<Vec<Option<Vec<Lanes>>>, Diagnostics> {
        let mut diags = Vec::new();
        let contents = self
            .buffers
            .iter()
            .map(|b| match &b.kind {
                BufferKind::Input { index } => {
                    let Some(t) = inputs.get(*index) else {
                        diags.push(
                            Diagnostic::error(
                                codes::BAD_INPUT,
                                format!("no data for input `%{}`", b.name),
                            )
                            .primary(b.span, "this input"),
                        );
                        return None;
                    };
                    let want = b.host_shape(lanes);
                    if t.shape != want || t.elem() != b.elem {
                        let want_ty = Tensor::zeros(want, b.elem).type_name();
                        diags.push(
                            Diagnostic::error(
                                codes::BAD_INPUT,
                                format!(
                                    "input `%{}` takes `{want_ty}`, not `{}`",
                                    b.name,
                                    t.type_name()
                                ),
                            )
                            .primary(b.span, "this input"),
                        );
                        return None;
                    }
                    Some(b.vectors_of(t, lanes))
                }
                BufferKind::Const(v) => Some(v.clone()),
                // Output buffers start unwritten: the allocator may give their words to
                // inputs read before the first output write (docs/semantics.md, section 7).
                BufferKind::Output { .. } | BufferKind::Scratch => None,
            })
            .collect();
        if diags.is_empty() {
            Ok(contents)
        } else {
            Err(diags)
        }
    }
}

fn decode_buffer(
    func: &Function,
    value: Handle<Value>,
    def: BufferDef,
    target: &Target,
    inputs: &mut usize,
    outputs: &mut usize,
) -> Result<Buffer, Diagnostic> {
    let v = func.value(value);
    let attrs = machine::buffer_attrs(func, def);
    let span = match def {
        BufferDef::Arg(_) => func.value_span(value),
        BufferDef::Op(op) => func.op_span(op),
    };
    let Type::Mem { vectors, elem } = v.ty else {
        unreachable!("machine::buffers lists buffers only")
    };
    let bad = |message: String| {
        Diagnostic::error(codes::BAD_OPERANDS, message).primary(span, "this buffer")
    };
    let tensor = match attrs.get(keys::TENSOR) {
        None => None,
        Some(a) => {
            let shape = a
                .as_type()
                .and_then(Type::as_tensor)
                .and_then(|t| t.static_shape())
                .ok_or_else(|| {
                    bad(format!(
                        "the `tensor` of `%{}` needs a static shape",
                        v.name
                    ))
                })?;
            Some(shape.into_iter().map(|d| d as usize).collect::<Vec<_>>())
        }
    };
    let kind = match def {
        BufferDef::Arg(i) => match func.args[i].attrs.get(keys::ROLE).map(Role::parse) {
            Some(Ok(Role::Input)) => {
                *inputs += 1;
                BufferKind::Input { index: *inputs - 1 }
            }
            Some(Ok(Role::Output)) => {
                *outputs += 1;
                BufferKind::Output {
                    index: *outputs - 1,
                }
            }
            _ => {
                return Err(bad(format!(
                    "buffer argument `%{}` has no valid role",
                    v.name
                )));
            }
        },
        BufferDef::Op(op) if func.op(op).opcode == Opcode::MemConst => {
            let op = func.op(op);
            let lanes = target.lanes;
            let shape = tensor
                .clone()
                .unwrap_or_else(|| vec![vectors as usize, lanes as usize]);
            let count: usize = shape.iter().product();
            let data = match (op.attrs.get("seed"), op.attrs.get("value")) {
                (Some(s), _) => {
                    let s = s
                        .as_int()
                        .ok_or_else(|| bad("`seed` must be an integer".into()))?;
                    seed::seed_data(s as u64, elem, count)
                }
                (None, Some(d)) => {
                    let d = d
                        .as_dense()
                        .ok_or_else(|| bad("`value` must be dense".into()))?;
                    seed::dense_data(d, elem, count).map_err(|e| {
                        Diagnostic::error(
                            codes::BAD_CONSTANT,
                            format!("constant `%{}`: {e}", v.name),
                        )
                        .primary(span, "this constant")
                    })?
                }
                (None, None) => return Err(bad("`mem.const` needs `seed` or `value`".into())),
            };
            let t = Tensor::new(shape.clone(), data).map_err(bad)?;
            if layout_of(&shape, lanes).vectors() != u64::from(vectors) {
                return Err(bad(format!("`%{}` does not hold its `tensor`", v.name)));
            }
            let mut vecs = t.to_vectors(lanes as usize);
            vecs.resize(vectors as usize, Lanes::zeros(elem, lanes as usize));
            BufferKind::Const(vecs)
        }
        BufferDef::Op(_) => BufferKind::Scratch,
    };
    Ok(Buffer {
        value,
        name: v.name.clone(),
        elem,
        vectors,
        kind,
        tensor,
        placement: machine::placement(func, value),
        span,
    })
}

fn decode_op(
    func: &Function,
    op: &Op,
    buffer_of: &[Option<BufId>],
    target: &Target,
) -> Result<Kind, (&'static str, String)> {
    let bad = |m: String| (codes::BAD_OPERANDS, m);
    let buffer = |i: usize| -> Result<BufId, (&'static str, String)> {
        op.operands
            .get(i)
            .and_then(|v| buffer_of[v.index()])
            .ok_or_else(|| bad(format!("operand {i} of `{}` is not a buffer", op.opcode)))
    };
    // Bounds the verifier checks, checked again so unverified IR cannot index out of range.
    let below = |key: &str, limit: u32| -> Result<u32, (&'static str, String)> {
        let v = uint(op, key).map_err(bad)?;
        if v < limit {
            Ok(v)
        } else {
            Err(bad(format!(
                "`{key} = {v}` is out of range (limit {limit})"
            )))
        }
    };
    let def = op.def();
    let planes = target.total_planes();
    Ok(match op.opcode {
        Opcode::MemRead => {
            let buffer = buffer(0)?;
            let Type::Mem { vectors, .. } = func.ty(op.operands[0]) else {
                return Err(bad("`mem.read` reads a buffer".into()));
            };
            Kind::Read {
                buffer,
                index: below("index", *vectors)?,
            }
        }
        Opcode::MemWrite => {
            let buffer = buffer(1)?;
            let Type::Mem { vectors, .. } = func.ty(op.operands[1]) else {
                return Err(bad("`mem.write` writes a buffer".into()));
            };
            Kind::Write {
                buffer,
                index: below("index", *vectors)?,
            }
        }
        Opcode::SxmShift => Kind::Move(Movement::Shift(int(op, "amount").map_err(bad)?)),
        Opcode::SxmRotate => Kind::Move(Movement::Rotate(int(op, "amount").map_err(bad)?)),
        Opcode::SxmDistribute => Kind::Move(Movement::Distribute(below("lane", target.lanes)?)),
        Opcode::SxmPermute => {
            let perm = op
                .attrs
                .get("perm")
                .and_then(AttrValue::as_int_array)
                .ok_or_else(|| bad("`sxm.permute` needs `perm`".into()))?;
            let lanes = i64::from(target.lanes);
            if perm.len() != target.lanes as usize || perm.iter().any(|p| !(0..lanes).contains(p)) {
                return Err(bad("`perm` must list lanes".into()));
            }
            Kind::Move(Movement::Permute(perm.iter().map(|&p| p as u32).collect()))
        }
        Opcode::SxmTranspose => Kind::Transpose,
        Opcode::MxmLoad => Kind::Load {
            plane: below("plane", planes)?,
            row: below("row", target.lanes)?,
        },
        Opcode::MxmMac => Kind::Mac {
            plane: below("plane", planes)?,
            acc: below("acc", target.mxm_acc_slots)?,
            accumulate: op
                .attrs
                .get("accumulate")
                .and_then(AttrValue::as_bool)
                .unwrap_or(false),
        },
        Opcode::MxmAcc => Kind::Acc {
            plane: below("plane", planes)?,
            acc: below("acc", target.mxm_acc_slots)?,
        },
        Opcode::IcuNop | Opcode::IcuSync | Opcode::IcuNotify => Kind::Idle,
        Opcode::IcuRepeat => {
            return Err((
                codes::UNSUPPORTED,
                "`icu.repeat` is not simulated: write the repeated instructions out".into(),
            ));
        }
        _ => match def.lane {
            Some(lane) => {
                let result = op
                    .results
                    .first()
                    .map(|&r| func.ty(r).elem())
                    .ok_or_else(|| bad(format!("`{}` has no result", op.opcode)))?;
                Kind::Lane(Kernel::of(lane, result))
            }
            None => return Err(bad(format!("`{}` is not a machine op", op.opcode))),
        },
    })
}
