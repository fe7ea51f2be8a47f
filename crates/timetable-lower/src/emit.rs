//! The builder of one machine function: emits machine ops with fresh value names, the
//! span and `loc` of the tensor op being lowered, cached lane constants (zeros, `-inf`,
//! lane masks) and MXM plane bookkeeping.

use crate::shape::{Shape, Stored};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use timetable_ir::attr::{AttrValue, Dense, Number};
use timetable_ir::ir::{Loc, OpSpec};
use timetable_ir::machine::keys;
use timetable_ir::types::{ElemType, TensorType, Type};
use timetable_ir::{Function, Handle, Op, Opcode, Span, Target, Value};

/// Value names: a base name as is when free, else numbered (`h.0`, `h.1`, ...).
#[derive(Default)]
struct Names {
    used: FxHashSet<String>,
    next: FxHashMap<String, u64>,
}

impl Names {
    /// `base` itself if free, else the next free numbered form.
    fn unique(&mut self, base: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        self.numbered(base)
    }

    /// `base.N` for the next free `N` (a counter per base keeps this linear).
    fn numbered(&mut self, base: &str) -> String {
        let next = self.next.entry(base.to_string()).or_insert(0);
        loop {
            let name = format!("{base}.{next}");
            *next += 1;
            if self.used.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// A vector constant that is the same in every use: one `mem.const` per function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum LaneConst {
    Zero,
    NegInf,
    /// 1 in lanes `[start, start + len)`, 0 elsewhere: a `vxm.select` condition.
    Mask {
        start: u64,
        len: u64,
    },
}

/// Where emitted ops come from: the tensor op (its span and `loc`), and the tensor whose
/// vectors they compute (their base name).
#[derive(Clone, Debug)]
pub struct Origin {
    pub span: Span,
    pub loc: Option<Loc>,
    pub name: String,
}

pub struct Emitter<'t> {
    pub target: &'t Target,
    func: Function,
    names: Names,
    origin: Origin,
    lane_consts: BTreeMap<(ElemType, LaneConst), Handle<Value>>,
    /// `mem.const` ops, hoisted to the top of the body when the function is finished.
    const_ops: Vec<Handle<Op>>,
    next_plane: u32,
    /// Per plane: weight rows from this one up are known to hold zeros (`lanes` when
    /// nothing is known, as at the start).
    zero_rows_from: Vec<u64>,
}

impl<'t> Emitter<'t> {
    pub fn new(name: &str, target: &'t Target) -> Self {
        Emitter {
            target,
            func: Function::new(name, Vec::new()),
            names: Names::default(),
            origin: Origin {
                span: Span::DUMMY,
                loc: None,
                name: String::from("v"),
            },
            lane_consts: BTreeMap::new(),
            const_ops: Vec::new(),
            next_plane: 0,
            zero_rows_from: vec![u64::from(target.lanes); target.total_planes() as usize],
        }
    }

    pub fn lanes(&self) -> u64 {
        u64::from(self.target.lanes)
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Ops emitted from now on come from `origin`.
    pub fn set_origin(&mut self, origin: Origin) {
        self.origin = origin;
    }

    pub fn function_mut(&mut self) -> &mut Function {
        &mut self.func
    }

    /// The finished function, with constant buffers first.
    pub fn finish(mut self) -> Function {
        let consts: FxHashSet<Handle<Op>> = self.const_ops.iter().copied().collect();
        let rest: Vec<Handle<Op>> = self
            .func
            .body
            .iter()
            .copied()
            .filter(|h| !consts.contains(h))
            .collect();
        self.func.body = self.const_ops;
        self.func.body.extend(rest);
        self.func
    }

    // ---- buffers -------------------------------------------------------------------

    /// A buffer argument holding a whole tensor.
    pub fn buffer_arg(&mut self, name: &str, shape: &Shape, role: &str, span: Span) -> Stored {
        let name = self.names.unique(name);
        let mut attrs = timetable_ir::Attrs::new();
        attrs.set(keys::ROLE, role);
        attrs.set(keys::TENSOR, Type::Tensor(shape.tensor_type()));
        let ty = shape.buffer_type(shape.vectors());
        let v = self.func.add_arg(&name, ty, attrs, span);
        Stored::new(shape.clone(), name, vec![v], shape.vectors())
    }

    /// A constant tensor: `mem.const` with the tensor's data attributes (`seed` or
    /// `value`) and its type, so the data is that tensor in the canonical layout.
    pub fn const_tensor(
        &mut self,
        name: &str,
        shape: &Shape,
        data: &timetable_ir::Attrs,
    ) -> Stored {
        let name = self.names.unique(name);
        let mut spec = OpSpec::new(Opcode::MemConst)
            .result(name.clone(), shape.buffer_type(shape.vectors()))
            .attr(keys::TENSOR, Type::Tensor(shape.tensor_type()))
            .loc(self.origin.loc.clone());
        for key in ["seed", "value"] {
            if let Some(v) = data.get(key) {
                spec = spec.attr(key, v.clone());
            }
        }
        let op = self.func.push_op(spec, self.origin.span);
        self.const_ops.push(op);
        let buf = self.func.ops[op].results[0];
        Stored::new(shape.clone(), name, vec![buf], shape.vectors())
    }

    /// Scratch space for a tensor, split into parts that each fit one memory bank.
    pub fn alloc(&mut self, name: &str, shape: &Shape) -> Stored {
        let per_bank = u64::from(self.target.mem.words_per_bank) / u64::from(shape.elem.bytes());
        let per_part = per_bank.max(1);
        let vectors = shape.vectors();
        let count = vectors.div_ceil(per_part);
        let parts = (0..count)
            .map(|p| {
                let size = per_part.min(vectors - p * per_part);
                let base = if count == 1 {
                    name.to_string()
                } else {
                    format!("{name}_p{p}")
                };
                let buf_name = self.names.unique(&base);
                let spec = OpSpec::new(Opcode::MemAlloc)
                    .result(buf_name, shape.buffer_type(size))
                    .loc(self.origin.loc.clone());
                let op = self.func.push_op(spec, self.origin.span);
                self.func.ops[op].results[0]
            })
            .collect();
        Stored::new(shape.clone(), name.to_string(), parts, per_part)
    }

    pub fn read(&mut self, from: &Stored, index: u64) -> Handle<Value> {
        let (buf, local) = from.locate(index);
        let name = self.names.numbered(&from.name);
        self.read_buffer(buf, local, name)
    }

    fn read_buffer(&mut self, buf: Handle<Value>, index: u64, name: String) -> Handle<Value> {
        let elem = self.func.ty(buf).elem();
        let spec = OpSpec::new(Opcode::MemRead)
            .operands([buf])
            .result(name, Type::Vec(elem))
            .attr("index", index);
        self.emit(spec)
    }

    pub fn write(&mut self, v: Handle<Value>, to: &Stored, index: u64) {
        let (buf, local) = to.locate(index);
        let spec = OpSpec::new(Opcode::MemWrite)
            .operands([v, buf])
            .attr("index", local);
        self.emit_effect(spec);
    }

    // ---- vector ops ----------------------------------------------------------------

    fn emit(&mut self, spec: OpSpec) -> Handle<Value> {
        let op = self
            .func
            .push_op(spec.loc(self.origin.loc.clone()), self.origin.span);
        self.func.ops[op].results[0]
    }

    fn emit_effect(&mut self, spec: OpSpec) {
        self.func
            .push_op(spec.loc(self.origin.loc.clone()), self.origin.span);
    }

    fn fresh(&mut self) -> String {
        let base = self.origin.name.clone();
        self.names.numbered(&base)
    }

    /// An op on vectors whose result has the type of its first operand, or `elem`.
    pub fn op(
        &mut self,
        opcode: Opcode,
        operands: &[Handle<Value>],
        elem: Option<ElemType>,
    ) -> Handle<Value> {
        let elem = elem.unwrap_or_else(|| self.func.ty(operands[0]).elem());
        let name = self.fresh();
        let spec = OpSpec::new(opcode)
            .operands(operands.iter().copied())
            .result(name, Type::Vec(elem));
        self.emit(spec)
    }

    pub fn binary(&mut self, opcode: Opcode, a: Handle<Value>, b: Handle<Value>) -> Handle<Value> {
        self.op(opcode, &[a, b], None)
    }

    /// `c != 0 ? a : b`, lane by lane.
    pub fn select(
        &mut self,
        c: Handle<Value>,
        a: Handle<Value>,
        b: Handle<Value>,
    ) -> Handle<Value> {
        self.op(Opcode::VxmSelect, &[c, a, b], None)
    }

    /// An SXM op with one integer attribute (`amount` or `lane`).
    fn sxm(&mut self, opcode: Opcode, v: Handle<Value>, key: &str, value: i64) -> Handle<Value> {
        let elem = self.func.ty(v).elem();
        let name = self.fresh();
        let spec = OpSpec::new(opcode)
            .operands([v])
            .result(name, Type::Vec(elem))
            .attr(key, value);
        self.emit(spec)
    }

    /// Lane `i` moves to `i + amount`; vacated lanes are zero.
    pub fn shift(&mut self, v: Handle<Value>, amount: i64) -> Handle<Value> {
        self.sxm(Opcode::SxmShift, v, "amount", amount)
    }

    /// Lane `i` moves to `(i + amount) mod lanes`.
    pub fn rotate(&mut self, v: Handle<Value>, amount: i64) -> Handle<Value> {
        self.sxm(Opcode::SxmRotate, v, "amount", amount)
    }

    /// Every lane gets lane `lane`.
    pub fn distribute(&mut self, v: Handle<Value>, lane: u64) -> Handle<Value> {
        self.sxm(Opcode::SxmDistribute, v, "lane", lane as i64)
    }

    /// Transposes each superlane's block of the group (`lanes / superlanes` vectors).
    pub fn transpose(&mut self, group: &[Handle<Value>]) -> Vec<Handle<Value>> {
        let elem = self.func.ty(group[0]).elem();
        let mut spec = OpSpec::new(Opcode::SxmTranspose).operands(group.iter().copied());
        for _ in group {
            let name = self.fresh();
            spec = spec.result(name, Type::Vec(elem));
        }
        let op = self
            .func
            .push_op(spec.loc(self.origin.loc.clone()), self.origin.span);
        self.func.ops[op].results.clone()
    }

    // ---- matrix unit ---------------------------------------------------------------

    /// The next plane in sequence (planes are reused round-robin).
    pub fn next_plane(&mut self) -> u32 {
        let plane = self.next_plane;
        self.next_plane = (self.next_plane + 1) % self.target.total_planes().max(1);
        plane
    }

    /// Loads a weight tile whose rows `0..rows.len()` are `rows`; every other row of the
    /// plane is made zero (loading zero rows only where they may hold something else), so
    /// a multiply never depends on weights left from before.
    pub fn load_weights(
        &mut self,
        plane: u32,
        rows: &mut dyn FnMut(&mut Self, u64) -> Handle<Value>,
        count: u64,
        elem: ElemType,
    ) {
        for row in 0..count {
            let v = rows(self, row);
            self.load_row(plane, row, v);
        }
        let zero_from = self.zero_rows_from[plane as usize];
        for row in count..zero_from {
            let v = self.zero(elem);
            self.load_row(plane, row, v);
        }
        self.zero_rows_from[plane as usize] = count;
    }

    fn load_row(&mut self, plane: u32, row: u64, v: Handle<Value>) {
        let spec = OpSpec::new(Opcode::MxmLoad)
            .operands([v])
            .attr("plane", plane)
            .attr("row", row);
        self.emit_effect(spec);
    }

    pub fn mac(&mut self, x: Handle<Value>, plane: u32, acc: u64, accumulate: bool) {
        let spec = OpSpec::new(Opcode::MxmMac)
            .operands([x])
            .attr("plane", plane)
            .attr("acc", acc)
            .attr("accumulate", accumulate);
        self.emit_effect(spec);
    }

    pub fn acc(&mut self, plane: u32, acc: u64, elem: ElemType) -> Handle<Value> {
        let name = self.fresh();
        let spec = OpSpec::new(Opcode::MxmAcc)
            .result(name, Type::Vec(elem))
            .attr("plane", plane)
            .attr("acc", acc);
        self.emit(spec)
    }

    // ---- lane constants ------------------------------------------------------------

    pub fn zero(&mut self, elem: ElemType) -> Handle<Value> {
        self.lane_const(elem, LaneConst::Zero)
    }

    pub fn neg_inf(&mut self, elem: ElemType) -> Handle<Value> {
        self.lane_const(elem, LaneConst::NegInf)
    }

    /// A select condition with lanes `[start, start + len)` set.
    pub fn mask(&mut self, elem: ElemType, start: u64, len: u64) -> Handle<Value> {
        self.lane_const(elem, LaneConst::Mask { start, len })
    }

    /// Keeps lanes `[0, len)` of `v` and zeroes the rest.
    pub fn keep_lanes(&mut self, v: Handle<Value>, len: u64) -> Handle<Value> {
        let elem = self.func.ty(v).elem();
        let m = self.mask(elem, 0, len);
        let z = self.zero(elem);
        self.select(m, v, z)
    }

    /// A fresh read of a cached constant vector (each use reads its own copy, so no
    /// vector has to wait on a stream for a distant consumer).
    fn lane_const(&mut self, elem: ElemType, kind: LaneConst) -> Handle<Value> {
        let buf = match self.lane_consts.get(&(elem, kind)) {
            Some(&b) => b,
            None => {
                let b = self.make_lane_const(elem, kind);
                self.lane_consts.insert((elem, kind), b);
                b
            }
        };
        let base = match kind {
            LaneConst::Zero => "zero",
            LaneConst::NegInf => "neginf",
            LaneConst::Mask { .. } => "mask",
        };
        let name = self.names.numbered(base);
        self.read_buffer(buf, 0, name)
    }

    fn make_lane_const(&mut self, elem: ElemType, kind: LaneConst) -> Handle<Value> {
        let lanes = self.lanes();
        let number = |x: f64| {
            if elem.is_float() {
                Number::Float(x)
            } else {
                Number::Int(x as i64)
            }
        };
        let (name, dense) = match kind {
            LaneConst::Zero => (format!("zero_{elem}"), splat(number(0.0))),
            LaneConst::NegInf => (format!("neginf_{elem}"), splat(number(f64::NEG_INFINITY))),
            LaneConst::Mask { start, len } => (
                format!("mask_{start}_{len}_{elem}"),
                Dense {
                    shape: vec![lanes as usize],
                    values: (0..lanes)
                        .map(|l| {
                            number(if (start..start + len).contains(&l) {
                                1.0
                            } else {
                                0.0
                            })
                        })
                        .collect(),
                },
            ),
        };
        let name = self.names.unique(&name);
        let tensor = TensorType::new(vec![timetable_ir::Dim::Fixed(lanes)], elem);
        let spec = OpSpec::new(Opcode::MemConst)
            .result(name, Type::Mem { vectors: 1, elem })
            .attr(keys::TENSOR, Type::Tensor(tensor))
            .attr("value", AttrValue::Dense(dense));
        // Constants belong to no particular op: no span, no loc.
        let op = self.func.push_op(spec, Span::DUMMY);
        self.const_ops.push(op);
        self.func.ops[op].results[0]
    }
}

fn splat(n: Number) -> Dense {
    Dense {
        shape: Vec::new(),
        values: vec![n],
    }
}
