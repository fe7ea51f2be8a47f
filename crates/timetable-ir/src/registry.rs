//! The op registry: one table that says, for every op, what it takes and gives, which
//! type rule it follows, which functional unit runs it, its latency class, what it
//! computes per lane and which machine state it touches.
//!
//! Passes read these facts from here instead of matching on op names, so adding an op is
//! one row in [`define_ops!`] (plus its semantics in the simulator).

use std::fmt;

/// Which level of the IR an op belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// Shaped tensors, what a person writes.
    Tensor,
    /// Vectors, buffers and functional units.
    Machine,
    /// Structural ops allowed everywhere (`func.return`).
    Any,
}

/// A class of functional unit. The target lays out instances of each class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitClass {
    Mem,
    Vxm,
    Mxm,
    Sxm,
    Icu,
}

impl UnitClass {
    pub const ALL: [UnitClass; 5] = [
        UnitClass::Mem,
        UnitClass::Vxm,
        UnitClass::Mxm,
        UnitClass::Sxm,
        UnitClass::Icu,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UnitClass::Mem => "mem",
            UnitClass::Vxm => "vxm",
            UnitClass::Mxm => "mxm",
            UnitClass::Sxm => "sxm",
            UnitClass::Icu => "icu",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.name() == name)
    }
}

impl fmt::Display for UnitClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A latency class; the target gives each one a functional delay in cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LatencyClass {
    MemRead,
    MemWrite,
    VxmAlu,
    VxmConvert,
    VxmTranscendental,
    MxmLoad,
    MxmMac,
    MxmAcc,
    Sxm,
    Icu,
}

impl LatencyClass {
    pub const ALL: [LatencyClass; 10] = [
        LatencyClass::MemRead,
        LatencyClass::MemWrite,
        LatencyClass::VxmAlu,
        LatencyClass::VxmConvert,
        LatencyClass::VxmTranscendental,
        LatencyClass::MxmLoad,
        LatencyClass::MxmMac,
        LatencyClass::MxmAcc,
        LatencyClass::Sxm,
        LatencyClass::Icu,
    ];

    /// The key of this class in a target's `latency` dictionary.
    pub fn name(self) -> &'static str {
        match self {
            LatencyClass::MemRead => "mem_read",
            LatencyClass::MemWrite => "mem_write",
            LatencyClass::VxmAlu => "vxm_alu",
            LatencyClass::VxmConvert => "vxm_convert",
            LatencyClass::VxmTranscendental => "vxm_transcendental",
            LatencyClass::MxmLoad => "mxm_load",
            LatencyClass::MxmMac => "mxm_mac",
            LatencyClass::MxmAcc => "mxm_acc",
            LatencyClass::Sxm => "sxm",
            LatencyClass::Icu => "icu",
        }
    }
}

/// What an op computes in each lane (elementwise ops only). The reference interpreter and
/// the cycle-level simulator implement each of these once, for both levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneOp {
    Add,
    Sub,
    Mul,
    Max,
    Min,
    Relu,
    Tanh,
    Exp,
    Rsqrt,
    Recip,
    Cast,
    Select,
}

/// How many operands or results an op has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Fixed(usize),
    /// Any number (checked by the type rule).
    Variadic,
    /// The target's transpose group (lanes per superlane).
    TransposeGroup,
}

/// The rule that relates an op's operand types, result types and attributes. Checked by
/// the verifier (`verify::types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeRule {
    /// Every operand and result has the same type.
    Same,
    /// Tensor binary elementwise op with NumPy broadcasting; same element type.
    Broadcast,
    /// One operand, one result of the same shape and any element type.
    Cast,
    /// `[.., M, K] x [K, N] -> [.., M, N]`, result element type the accumulator type.
    Matmul,
    /// Permutes dimensions (`perm`, default swaps the last two).
    Transpose,
    /// Same element type and the same number of elements.
    Reshape,
    /// Sums over `axis`, keeping it with size 1.
    Reduce,
    /// Same type, normalised over `axis`.
    Softmax,
    /// A constant tensor from `value` (dense) or `seed` (deterministic random data).
    Const,
    /// The operands match the function's result types.
    Return,
    /// Declares a scratch buffer.
    MemAlloc,
    /// A buffer preloaded with constant data (`value` or `seed`, laid out canonically).
    MemConst,
    /// `(mem<NxT>) -> vec<T>`, `index < N`.
    MemRead,
    /// `(vec<T>, mem<NxT>) -> ()`, `index < N`.
    MemWrite,
    /// `(vec<T>) -> ()` with a multiplicand element type.
    MxmLoad,
    /// `(vec<T>) -> ()` with a multiplicand element type.
    MxmMac,
    /// `() -> vec<i32 | f32>`.
    MxmAcc,
    /// `(vec<T>, vec<T>, vec<T>) -> vec<T>`.
    Select,
    /// No operands and no results.
    Nothing,
}

/// The element types an op accepts on its (first) operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemSet {
    Any,
    Float,
    /// Types the MXM multiplies: `i8`, `f16`, `bf16`.
    Multiplicand,
}

/// Whether an op reads or writes a piece of machine state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

/// Machine state outside SSA values that an op touches; `effects::locations` turns these
/// into concrete locations using the op's operands and attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateKind {
    /// Vector `index` of the buffer that is operand `operand`.
    BufferElement { operand: usize },
    /// The weights of MXM plane `plane`.
    MxmWeights,
    /// Accumulator `acc` of MXM plane `plane`.
    MxmAccumulator,
    /// Every queue: ordered with respect to everything.
    Barrier,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub access: Access,
    pub state: StateKind,
}

/// What kind of value an attribute holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    Int,
    /// A non-negative integer.
    Index,
    Bool,
    /// An integer or a float.
    Number,
    Str,
    IntArray,
    Dense,
}

impl AttrKind {
    pub fn describe(self) -> &'static str {
        match self {
            AttrKind::Int => "an integer",
            AttrKind::Index => "a non-negative integer",
            AttrKind::Bool => "a boolean",
            AttrKind::Number => "a number",
            AttrKind::Str => "a string",
            AttrKind::IntArray => "an array of integers",
            AttrKind::Dense => "a dense constant",
        }
    }
}

/// One attribute an op understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrSpec {
    pub name: &'static str,
    pub kind: AttrKind,
    pub required: bool,
}

const fn req(name: &'static str, kind: AttrKind) -> AttrSpec {
    AttrSpec {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: AttrKind) -> AttrSpec {
    AttrSpec {
        name,
        kind,
        required: false,
    }
}

/// Everything the compiler knows about one op.
#[derive(Clone, Copy, Debug)]
pub struct OpDef {
    pub name: &'static str,
    pub level: Level,
    pub operands: Arity,
    pub results: Arity,
    pub rule: TypeRule,
    pub elems: ElemSet,
    pub attrs: &'static [AttrSpec],
    /// The unit that executes the op; `None` for pseudo-ops that occupy no unit and no cycle.
    pub unit: Option<UnitClass>,
    pub latency: Option<LatencyClass>,
    pub lane: Option<LaneOp>,
    pub effects: &'static [Effect],
    pub terminator: bool,
    pub summary: &'static str,
}

impl OpDef {
    const fn new(name: &'static str, level: Level, operands: usize, results: usize) -> Self {
        OpDef {
            name,
            level,
            operands: Arity::Fixed(operands),
            results: Arity::Fixed(results),
            rule: TypeRule::Same,
            elems: ElemSet::Any,
            attrs: &[],
            unit: None,
            latency: None,
            lane: None,
            effects: &[],
            terminator: false,
            summary: "",
        }
    }
    const fn tensor(name: &'static str, operands: usize, rule: TypeRule) -> Self {
        OpDef::new(name, Level::Tensor, operands, 1).rule(rule)
    }
    const fn machine(name: &'static str, operands: usize, results: usize, unit: UnitClass) -> Self {
        let mut def = OpDef::new(name, Level::Machine, operands, results);
        def.unit = Some(unit);
        def
    }
    const fn rule(mut self, rule: TypeRule) -> Self {
        self.rule = rule;
        self
    }
    const fn elems(mut self, elems: ElemSet) -> Self {
        self.elems = elems;
        self
    }
    const fn attrs(mut self, attrs: &'static [AttrSpec]) -> Self {
        self.attrs = attrs;
        self
    }
    const fn latency(mut self, latency: LatencyClass) -> Self {
        self.latency = Some(latency);
        self
    }
    const fn lane(mut self, lane: LaneOp) -> Self {
        self.lane = Some(lane);
        self
    }
    const fn effects(mut self, effects: &'static [Effect]) -> Self {
        self.effects = effects;
        self
    }
    const fn variadic_operands(mut self) -> Self {
        self.operands = Arity::Variadic;
        self
    }
    const fn transpose_group(mut self) -> Self {
        self.operands = Arity::TransposeGroup;
        self.results = Arity::TransposeGroup;
        self
    }
    const fn summary(mut self, summary: &'static str) -> Self {
        self.summary = summary;
        self
    }

    /// Whether removing the op (when its results are unused) changes nothing observable.
    /// An op without results exists for its effect, if only on timing (`icu.nop`).
    pub fn is_pure(&self) -> bool {
        self.effects.is_empty() && !self.terminator && self.results != Arity::Fixed(0)
    }

    pub fn attr(&self, name: &str) -> Option<&'static AttrSpec> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// The dialect prefix: `tensor`, `vxm`, ...
    pub fn dialect(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(d, _)| d)
    }
}

use Access::{Read, Write};
use AttrKind::*;
use LatencyClass as L;
use StateKind::*;
use UnitClass::*;

const INDEX: &[AttrSpec] = &[req("index", Index)];
const CONST_DATA: &[AttrSpec] = &[opt("value", Dense), opt("seed", Int)];
const PLANE_ROW: &[AttrSpec] = &[req("plane", Index), req("row", Index)];
const PLANE_ACC: &[AttrSpec] = &[req("plane", Index), req("acc", Index)];
const MAC: &[AttrSpec] = &[
    req("plane", Index),
    req("acc", Index),
    req("accumulate", Bool),
];
const AMOUNT: &[AttrSpec] = &[req("amount", Int)];

macro_rules! define_ops {
    ($( $variant:ident => $def:expr, )*) => {
        /// Every op the compiler knows. `Opcode::def` gives its registry entry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Opcode { $( $variant, )* }

        static DEFS: &[OpDef] = &[ $( $def, )* ];

        impl Opcode {
            pub const ALL: &'static [Opcode] = &[ $( Opcode::$variant, )* ];
        }
    };
}

define_ops! {
    // ---- tensor level ------------------------------------------------------------
    TensorConst => OpDef::new("tensor.const", Level::Tensor, 0, 1).rule(TypeRule::Const)
        .attrs(CONST_DATA)
        .summary("a constant tensor: `value` (dense, splat or full) or `seed` (deterministic random data)"),
    TensorMatmul => OpDef::tensor("tensor.matmul", 2, TypeRule::Matmul).elems(ElemSet::Multiplicand)
        .summary("matrix product, accumulated in i32 (i8) or f32 (f16, bf16)"),
    TensorAdd => OpDef::tensor("tensor.add", 2, TypeRule::Broadcast).lane(LaneOp::Add)
        .summary("elementwise sum with NumPy broadcasting"),
    TensorSub => OpDef::tensor("tensor.sub", 2, TypeRule::Broadcast).lane(LaneOp::Sub)
        .summary("elementwise difference with NumPy broadcasting"),
    TensorMul => OpDef::tensor("tensor.mul", 2, TypeRule::Broadcast).lane(LaneOp::Mul)
        .summary("elementwise product with NumPy broadcasting"),
    TensorMax => OpDef::tensor("tensor.max", 2, TypeRule::Broadcast).lane(LaneOp::Max)
        .summary("elementwise maximum with NumPy broadcasting"),
    TensorRelu => OpDef::tensor("tensor.relu", 1, TypeRule::Same).lane(LaneOp::Relu)
        .summary("max(x, 0)"),
    TensorTanh => OpDef::tensor("tensor.tanh", 1, TypeRule::Same).elems(ElemSet::Float).lane(LaneOp::Tanh)
        .summary("hyperbolic tangent"),
    TensorExp => OpDef::tensor("tensor.exp", 1, TypeRule::Same).elems(ElemSet::Float).lane(LaneOp::Exp)
        .summary("e^x"),
    TensorCast => OpDef::tensor("tensor.cast", 1, TypeRule::Cast).lane(LaneOp::Cast)
        .summary("element type conversion (the result type names the target type)"),
    TensorTranspose => OpDef::tensor("tensor.transpose", 1, TypeRule::Transpose)
        .attrs(&[opt("perm", IntArray)])
        .summary("permutes dimensions; without `perm`, swaps the last two"),
    TensorReshape => OpDef::tensor("tensor.reshape", 1, TypeRule::Reshape)
        .summary("same elements in row-major order, another shape"),
    TensorReduceSum => OpDef::tensor("tensor.reduce_sum", 1, TypeRule::Reduce)
        .attrs(&[req("axis", Int)])
        .summary("sum over `axis`, which stays with size 1"),
    TensorSoftmax => OpDef::tensor("tensor.softmax", 1, TypeRule::Softmax).elems(ElemSet::Float)
        .attrs(&[opt("axis", Int)])
        .summary("exp(x - max) / sum(exp(x - max)) over `axis` (default: the last)"),
    // ---- structure ---------------------------------------------------------------
    FuncReturn => {
        let mut def = OpDef::new("func.return", Level::Any, 0, 0).rule(TypeRule::Return).variadic_operands();
        def.terminator = true;
        def.summary("returns the function's results; the last op of a function with results")
    },
    // ---- memory ------------------------------------------------------------------
    MemAlloc => OpDef::new("mem.alloc", Level::Machine, 0, 1).rule(TypeRule::MemAlloc)
        .summary("declares a scratch buffer (a pseudo-op: no unit, no cycle)"),
    MemConst => OpDef::new("mem.const", Level::Machine, 0, 1).rule(TypeRule::MemConst)
        .attrs(CONST_DATA)
        .summary("a buffer preloaded with constant data (a pseudo-op)"),
    MemRead => OpDef::machine("mem.read", 1, 1, Mem).rule(TypeRule::MemRead).attrs(INDEX)
        .latency(L::MemRead)
        .effects(&[Effect { access: Read, state: BufferElement { operand: 0 } }])
        .summary("reads vector `index` of a buffer onto a stream group"),
    MemWrite => OpDef::machine("mem.write", 2, 0, Mem).rule(TypeRule::MemWrite).attrs(INDEX)
        .latency(L::MemWrite)
        .effects(&[Effect { access: Write, state: BufferElement { operand: 1 } }])
        .summary("writes a vector passing on a stream into vector `index` of a buffer"),
    // ---- vector ALUs -------------------------------------------------------------
    VxmAdd => OpDef::machine("vxm.add", 2, 1, Vxm).lane(LaneOp::Add).latency(L::VxmAlu)
        .summary("lane-wise sum"),
    VxmSub => OpDef::machine("vxm.sub", 2, 1, Vxm).lane(LaneOp::Sub).latency(L::VxmAlu)
        .summary("lane-wise difference"),
    VxmMul => OpDef::machine("vxm.mul", 2, 1, Vxm).lane(LaneOp::Mul).latency(L::VxmAlu)
        .summary("lane-wise product"),
    VxmMax => OpDef::machine("vxm.max", 2, 1, Vxm).lane(LaneOp::Max).latency(L::VxmAlu)
        .summary("lane-wise maximum"),
    VxmMin => OpDef::machine("vxm.min", 2, 1, Vxm).lane(LaneOp::Min).latency(L::VxmAlu)
        .summary("lane-wise minimum"),
    VxmRelu => OpDef::machine("vxm.relu", 1, 1, Vxm).lane(LaneOp::Relu).latency(L::VxmAlu)
        .summary("lane-wise max(x, 0)"),
    VxmTanh => OpDef::machine("vxm.tanh", 1, 1, Vxm).elems(ElemSet::Float).lane(LaneOp::Tanh)
        .latency(L::VxmTranscendental).summary("lane-wise tanh"),
    VxmExp => OpDef::machine("vxm.exp", 1, 1, Vxm).elems(ElemSet::Float).lane(LaneOp::Exp)
        .latency(L::VxmTranscendental).summary("lane-wise e^x"),
    VxmRsqrt => OpDef::machine("vxm.rsqrt", 1, 1, Vxm).elems(ElemSet::Float).lane(LaneOp::Rsqrt)
        .latency(L::VxmTranscendental).summary("lane-wise 1/sqrt(x)"),
    VxmRecip => OpDef::machine("vxm.recip", 1, 1, Vxm).elems(ElemSet::Float).lane(LaneOp::Recip)
        .latency(L::VxmTranscendental).summary("lane-wise 1/x"),
    VxmCast => OpDef::machine("vxm.cast", 1, 1, Vxm).rule(TypeRule::Cast).lane(LaneOp::Cast)
        .latency(L::VxmConvert).summary("lane-wise element type conversion"),
    VxmSelect => OpDef::machine("vxm.select", 3, 1, Vxm).rule(TypeRule::Select).lane(LaneOp::Select)
        .latency(L::VxmAlu).summary("lane-wise `c != 0 ? a : b`"),
    // ---- matrix unit -------------------------------------------------------------
    MxmLoad => OpDef::machine("mxm.load", 1, 0, Mxm).rule(TypeRule::MxmLoad).elems(ElemSet::Multiplicand)
        .attrs(PLANE_ROW).latency(L::MxmLoad)
        .effects(&[Effect { access: Write, state: MxmWeights }])
        .summary("installs a vector as weight row `row` of plane `plane`"),
    MxmMac => OpDef::machine("mxm.mac", 1, 0, Mxm).rule(TypeRule::MxmMac).elems(ElemSet::Multiplicand)
        .attrs(MAC).latency(L::MxmMac)
        .effects(&[
            Effect { access: Read, state: MxmWeights },
            Effect { access: Read, state: MxmAccumulator },
            Effect { access: Write, state: MxmAccumulator },
        ])
        .summary("acc[acc] = x . W (+ acc[acc] when `accumulate`) on plane `plane`"),
    MxmAcc => OpDef::machine("mxm.acc", 0, 1, Mxm).rule(TypeRule::MxmAcc).attrs(PLANE_ACC)
        .latency(L::MxmAcc)
        .effects(&[Effect { access: Read, state: MxmAccumulator }])
        .summary("reads accumulator `acc` of plane `plane` onto a stream group"),
    // ---- switch unit -------------------------------------------------------------
    SxmShift => OpDef::machine("sxm.shift", 1, 1, Sxm).attrs(AMOUNT).latency(L::Sxm)
        .summary("moves lane i to lane i + amount, filling with zeros"),
    SxmRotate => OpDef::machine("sxm.rotate", 1, 1, Sxm).attrs(AMOUNT).latency(L::Sxm)
        .summary("moves lane i to lane (i + amount) mod lanes"),
    SxmPermute => OpDef::machine("sxm.permute", 1, 1, Sxm).attrs(&[req("perm", IntArray)]).latency(L::Sxm)
        .summary("out[i] = in[perm[i]] for a permutation `perm` of the lanes"),
    SxmDistribute => OpDef::machine("sxm.distribute", 1, 1, Sxm).attrs(&[req("lane", Index)])
        .latency(L::Sxm).summary("broadcasts lane `lane` to every lane"),
    SxmTranspose => OpDef::machine("sxm.transpose", 0, 0, Sxm).transpose_group().latency(L::Sxm)
        .summary("transposes each superlane's g x g block of g vectors (g = lanes per superlane)"),
    // ---- instruction control -----------------------------------------------------
    IcuNop => OpDef::machine("icu.nop", 0, 0, Icu).rule(TypeRule::Nothing)
        .attrs(&[req("cycles", Index)]).latency(L::Icu)
        .summary("idles the issuing queue for `cycles` cycles"),
    IcuRepeat => OpDef::machine("icu.repeat", 0, 0, Icu).rule(TypeRule::Nothing)
        .attrs(&[req("count", Index), req("delay", Index)]).latency(L::Icu)
        .effects(&[Effect { access: Write, state: Barrier }])
        .summary("repeats the queue's previous instruction `count` times, `delay` cycles apart"),
    IcuSync => OpDef::machine("icu.sync", 0, 0, Icu).rule(TypeRule::Nothing).latency(L::Icu)
        .effects(&[Effect { access: Write, state: Barrier }])
        .summary("parks the queue until a notify"),
    IcuNotify => OpDef::machine("icu.notify", 0, 0, Icu).rule(TypeRule::Nothing).latency(L::Icu)
        .effects(&[Effect { access: Write, state: Barrier }])
        .summary("releases every parked queue"),
}

impl Opcode {
    pub fn def(self) -> &'static OpDef {
        &DEFS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn from_name(name: &str) -> Option<Opcode> {
        static BY_NAME: std::sync::OnceLock<rustc_hash::FxHashMap<&'static str, Opcode>> =
            std::sync::OnceLock::new();
        BY_NAME
            .get_or_init(|| Opcode::ALL.iter().map(|&op| (op.name(), op)).collect())
            .get(name)
            .copied()
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_dialect_qualified() {
        let mut seen = HashSet::new();
        for op in Opcode::ALL {
            assert!(seen.insert(op.name()), "duplicate {}", op.name());
            assert!(op.name().contains('.'));
            assert_eq!(Opcode::from_name(op.name()), Some(*op));
        }
    }

    #[test]
    fn every_unit_op_has_a_latency() {
        for op in Opcode::ALL {
            let def = op.def();
            assert_eq!(def.unit.is_some(), def.latency.is_some(), "{}", def.name);
        }
    }
}

#[cfg(test)]
mod doc_tests {
    use super::Opcode;

    /// The language reference must describe every registered op.
    #[test]
    fn every_op_is_documented() {
        let doc = include_str!("../../../docs/ir.md");
        for op in Opcode::ALL {
            assert!(
                doc.contains(&format!("`{}`", op.name())),
                "docs/ir.md does not describe `{}`",
                op.name()
            );
        }
    }
}
