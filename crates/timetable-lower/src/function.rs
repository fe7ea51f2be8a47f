//! Lowering of one static tensor function (one bucket) to a machine function.

use crate::capacity;
use crate::codes;
use crate::elementwise::{self, Broadcast, Elementwise, Operand};
use crate::emit::{Emitter, Origin};
use crate::plan::{Plan, is_elementwise};
use crate::shape::{Shape, Stored};
use crate::sink::Sink;
use crate::{matmul, reduce, reshape, softmax, transpose};
use rustc_hash::FxHashMap;
use timetable_ir::attr::AttrValue;
use timetable_ir::registry::UnitClass;
use timetable_ir::{Diagnostic, Diagnostics, Function, Handle, Op, Opcode, Target, Value};

/// Lowers `func`, whose shapes are all static, to a machine function named `name`.
pub fn lower_function(
    func: &Function,
    target: &Target,
    name: &str,
) -> Result<Function, Diagnostics> {
    let shapes = static_shapes(func, target)?;
    capacity::check(func, target, &shapes)?;
    let plan = Plan::new(func, &shapes);
    let mut lowering = Lowering {
        func,
        shapes: &shapes,
        plan: &plan,
        em: Emitter::new(name, target),
        stored: FxHashMap::default(),
        outputs: Vec::new(),
    };
    for arg in &func.args {
        let v = func.value(arg.value);
        let s = lowering.em.buffer_arg(
            &v.name,
            &shapes[&arg.value],
            "input",
            func.value_span(arg.value),
        );
        lowering.stored.insert(arg.value, s);
    }
    if let Some(ret) = func
        .body
        .last()
        .map(|&h| func.op(h))
        .filter(|op| op.opcode == Opcode::FuncReturn)
    {
        for &v in &ret.operands {
            let span = func.value_span(v);
            let s = lowering
                .em
                .buffer_arg(&func.value(v).name, &shapes[&v], "output", span);
            lowering.outputs.push(s);
        }
    }
    for (h, _) in func.body_ops() {
        lowering.op(h)?;
    }
    let machine = lowering.em.finish();
    check_units(&machine, target)?;
    Ok(machine)
}

/// Every value's static shape; symbolic or empty dimensions are not lowered.
fn static_shapes(
    func: &Function,
    target: &Target,
) -> Result<FxHashMap<Handle<Value>, Shape>, Diagnostics> {
    let mut shapes = FxHashMap::default();
    let mut diags = Vec::new();
    for (h, v) in func.values.iter() {
        let Some(t) = v.ty.as_tensor() else { continue };
        match Shape::of(t, target.lanes) {
            Some(s) if !s.dims.contains(&0) => {
                shapes.insert(h, s);
            }
            found => {
                let what = if found.is_some() {
                    "an empty dimension"
                } else {
                    "a symbolic dimension"
                };
                diags.push(
                    Diagnostic::error(
                        codes::UNSUPPORTED,
                        format!("`%{}` has {what}: `{}`", v.name, v.ty),
                    )
                    .primary(func.value_span(h), "cannot be lowered"),
                );
            }
        }
    }
    if diags.is_empty() {
        Ok(shapes)
    } else {
        Err(diags)
    }
}

/// Every machine op must have a unit on the target (MXM planes for matmuls, an SXM for
/// lane movement); the diagnostic points at the tensor op that needed it.
fn check_units(func: &Function, target: &Target) -> Result<(), Diagnostics> {
    let mut missing: Vec<UnitClass> = Vec::new();
    let mut diags = Vec::new();
    for (h, op) in func.body_ops() {
        let Some(unit) = op.def().unit else { continue };
        let absent =
            target.unit_count(unit) == 0 || (unit == UnitClass::Mxm && target.total_planes() == 0);
        if absent && !missing.contains(&unit) {
            missing.push(unit);
            diags.push(
                Diagnostic::error(
                    codes::MISSING_UNIT,
                    format!(
                        "lowering needs `{}`, but target `@{}` has no {} unit",
                        op.opcode, target.name, unit
                    ),
                )
                .primary(func.op_span(h), "this op needs it"),
            );
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

struct Lowering<'a, 't> {
    func: &'a Function,
    shapes: &'a FxHashMap<Handle<Value>, Shape>,
    plan: &'a Plan,
    em: Emitter<'t>,
    stored: FxHashMap<Handle<Value>, Stored>,
    outputs: Vec<Stored>,
}

impl Lowering<'_, '_> {
    fn origin(&self, h: Handle<Op>) -> Origin {
        let op = self.func.op(h);
        let name = op
            .results
            .first()
            .map_or_else(|| "v".to_string(), |&r| self.func.value(r).name.clone());
        Origin {
            span: self.func.op_span(h),
            loc: op.loc.clone(),
            name,
        }
    }

    fn op(&mut self, h: Handle<Op>) -> Result<(), Diagnostics> {
        let func = self.func;
        let op = func.op(h);
        let origin = self.origin(h);
        self.em.set_origin(origin.clone());
        match op.opcode {
            Opcode::TensorConst => {
                let r = op.results[0];
                let s = self
                    .em
                    .const_tensor(&origin.name, &self.shapes[&r], &op.attrs);
                self.stored.insert(r, s);
            }
            Opcode::FuncReturn => self.copy_outputs(op),
            _ if self.plan.fused.contains_key(&op.results[0]) => {}
            Opcode::TensorReshape
                if reshape::is_free(
                    &self.shapes[&op.operands[0]],
                    &self.shapes[&op.results[0]],
                ) =>
            {
                let r = op.results[0];
                let s = self.stored[&op.operands[0]].aliased(self.shapes[&r].clone(), origin.name);
                self.stored.insert(r, s);
            }
            _ => self.chain(h)?,
        }
        Ok(())
    }

    /// Outputs whose value was not computed straight into them get a copy.
    fn copy_outputs(&mut self, ret: &Op) {
        for (slot, &v) in ret.operands.iter().enumerate() {
            if self.plan.output_of.get(&v) == Some(&slot) {
                continue;
            }
            let from = self.stored[&v].clone();
            let to = self.outputs[slot].clone();
            for i in 0..from.shape.vectors() {
                let x = self.em.read(&from, i);
                self.em.write(x, &to, i);
            }
        }
    }

    /// Lowers the op computing `last`'s operands' producer chain: the first op of the
    /// chain emits its result vectors, the fused elementwise ops after it transform them
    /// in flight, and `last`'s result is stored.
    fn chain(&mut self, last: Handle<Op>) -> Result<(), Diagnostics> {
        let func = self.func;
        let mut ops = vec![last];
        while let Some(&pos) = self
            .plan
            .flowing_operand
            .get(ops.last().expect("non-empty"))
        {
            let v = func.op(*ops.last().expect("non-empty")).operands[pos];
            let timetable_ir::ValueDef::Result { op, .. } = func.value(v).def else {
                unreachable!("fused values are op results")
            };
            ops.push(op);
        }
        ops.reverse();
        let result = func.op(last).results[0];
        let dest = match self.plan.output_of.get(&result) {
            Some(&slot) => self.outputs[slot].clone(),
            None => {
                let name = func.value(result).name.clone();
                self.em.alloc(&name, &self.shapes[&result])
            }
        };
        let chain = ops[1..]
            .iter()
            .map(|&h| self.elementwise(h, self.plan.flowing_operand.get(&h).copied()))
            .collect();
        let sink = Sink::new(chain, dest.clone());
        self.em.set_origin(self.origin(ops[0]));
        self.root(ops[0], &sink)?;
        self.stored.insert(result, dest);
        Ok(())
    }

    fn elementwise(&self, h: Handle<Op>, flowing: Option<usize>) -> Elementwise {
        let op = self.func.op(h);
        let result = self.shapes[&op.results[0]].clone();
        let operands = op
            .operands
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if Some(i) == flowing {
                    Operand::Flowing
                } else {
                    Operand::Stored(Box::new((
                        self.stored[v].clone(),
                        Broadcast::new(&self.shapes[v], &result),
                    )))
                }
            })
            .collect();
        let lane = op
            .opcode
            .def()
            .lane
            .expect("elementwise ops have a lane op");
        Elementwise::new(
            elementwise::machine_op(lane),
            lane,
            operands,
            result,
            self.origin(h),
        )
    }

    /// Emits the op that starts a chain, sending its result vectors into `sink`.
    fn root(&mut self, h: Handle<Op>, sink: &Sink) -> Result<(), Diagnostics> {
        let op = self.func.op(h);
        let input = |i: usize| self.stored[&op.operands[i]].clone();
        let axis = |default: i64| {
            let rank = self.shapes[&op.operands[0]].rank() as i64;
            let a = op
                .attrs
                .get("axis")
                .and_then(AttrValue::as_int)
                .unwrap_or(default);
            a.rem_euclid(rank.max(1)) as usize
        };
        match op.opcode {
            Opcode::TensorMatmul if self.em.target.total_planes() == 0 => {
                let target = &self.em.target.name;
                return Err(vec![
                    Diagnostic::error(
                        codes::MISSING_UNIT,
                        format!(
                            "`tensor.matmul` needs MXM planes, but target `@{target}` has none"
                        ),
                    )
                    .primary(self.func.op_span(h), "this matmul"),
                ]);
            }
            Opcode::TensorMatmul => matmul::lower(&mut self.em, &input(0), &input(1), sink),
            Opcode::TensorReduceSum => reduce::reduce_sum(&mut self.em, &input(0), axis(-1), sink),
            Opcode::TensorSoftmax => {
                let x = input(0);
                let name = format!("{}_exp", self.em.origin().name);
                let scratch = self.em.alloc(&name, &x.shape);
                softmax::softmax(&mut self.em, &x, &scratch, axis(-1), sink);
            }
            Opcode::TensorTranspose => {
                let rank = self.shapes[&op.operands[0]].rank();
                let perm: Vec<usize> = match op.attrs.get("perm").and_then(AttrValue::as_int_array)
                {
                    Some(p) => p.into_iter().map(|i| i as usize).collect(),
                    None => {
                        let mut p: Vec<usize> = (0..rank).collect();
                        p.swap(rank - 1, rank - 2);
                        p
                    }
                };
                let x = input(0);
                transpose::check_streams(self.em.target, x.shape.elem, &perm)
                    .map_err(|d| vec![d.primary(self.func.op_span(h), "this transpose")])?;
                transpose::lower(&mut self.em, &x, &perm, sink);
            }
            Opcode::TensorReshape => reshape::lower(&mut self.em, &input(0), sink),
            _ if is_elementwise(op) => {
                let mut ew = self.elementwise(h, None);
                ew.mask &= !sink.masks_padding();
                for i in 0..ew.result.vectors() {
                    let v = ew.apply(&mut self.em, i, None);
                    sink.put(&mut self.em, i, v);
                }
            }
            other => {
                return Err(vec![
                    Diagnostic::error(codes::UNSUPPORTED, format!("`{other}` cannot be lowered"))
                        .primary(self.func.op_span(h), "not a tensor-level op"),
                ]);
            }
        }
        Ok(())
    }
}
