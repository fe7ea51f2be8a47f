//! Generated machine-level programs: valid by construction, deterministic for a seed.
//! Benchmarks and property tests of every pass use them (`timetable gen` prints one).
//!
//! The shape imitates compiled models: vectors are read from input buffers, flow through
//! chains of VXM and SXM ops that mostly consume recent values (so live ranges are short,
//! as after lowering), are sometimes parked in scratch buffers and read back, sometimes
//! multiplied on the MXM, and end in output buffers.

use crate::arena::Handle;
use crate::attr::AttrValue;
use crate::ir::{Function, Module, OpSpec, Stage, Value};
use crate::machine::{Role, keys};
use crate::registry::Opcode;
use crate::span::Span;
use crate::target::Target;
use crate::types::{ElemType, Type};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Approximate number of ops (the result has at least this many).
    pub ops: usize,
    pub seed: u64,
    /// Element type of the data (MXM blocks cast to f16 or i8 and back).
    pub elem: ElemType,
    /// Input buffers.
    pub inputs: usize,
    /// Operands are picked among this many most recent values.
    pub window: usize,
    /// Include MXM weight-load / multiply / accumulator-read blocks.
    pub mxm: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            ops: 1000,
            seed: 1,
            elem: ElemType::F32,
            inputs: 4,
            window: 8,
            mxm: true,
        }
    }
}

/// SplitMix64: tiny, fast and good enough to pick ops; no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct Builder<'t> {
    func: Function,
    rng: Rng,
    target: &'t Target,
    vec_ty: Type,
    /// Recent vector values, oldest first.
    pool: Vec<Handle<Value>>,
    next_name: u64,
    outputs: Vec<(Handle<Value>, u32)>,
    /// Vectors per buffer that fit one bank.
    buffer_vectors: u32,
    next_plane: u32,
}

/// Generates a machine-stage module for `target`.
pub fn machine_program(cfg: &GenConfig, target: &Target) -> Module {
    let words = target.vector_words(cfg.elem);
    let buffer_vectors = (target.mem.words_per_bank / words).clamp(1, 64);
    let mut b = Builder {
        func: Function::new("main", Vec::new()),
        rng: Rng(cfg.seed),
        target,
        vec_ty: Type::Vec(cfg.elem),
        pool: Vec::new(),
        next_name: 0,
        outputs: Vec::new(),
        buffer_vectors,
        next_plane: 0,
    };
    let buf_ty = Type::Mem {
        vectors: buffer_vectors,
        elem: cfg.elem,
    };
    let inputs: Vec<Handle<Value>> = (0..cfg.inputs.max(1))
        .map(|i| {
            b.func.add_arg(
                &format!("in{i}"),
                buf_ty.clone(),
                role(Role::Input),
                Span::DUMMY,
            )
        })
        .collect();
    let mxm = cfg.mxm && target.total_planes() > 0;
    while b.func.body.len() < cfg.ops {
        let window = cfg.window.max(2);
        let choice = if b.pool.len() < 2 {
            0
        } else {
            b.rng.below(100)
        };
        match choice {
            0..=14 => {
                let buf = inputs[b.rng.below(inputs.len())];
                let index = b.rng.below(buffer_vectors as usize) as u32;
                b.read(buf, index);
            }
            15..=44 => {
                let (x, y) = (b.pick(window), b.pick(window));
                let op = [
                    Opcode::VxmAdd,
                    Opcode::VxmSub,
                    Opcode::VxmMul,
                    Opcode::VxmMax,
                    Opcode::VxmMin,
                ][b.rng.below(5)];
                b.vector_op(op, &[x, y], &[]);
            }
            45..=64 => {
                let x = b.pick(window);
                let float = cfg.elem.is_float();
                let ops: &[Opcode] = if float {
                    &[
                        Opcode::VxmRelu,
                        Opcode::VxmTanh,
                        Opcode::VxmExp,
                        Opcode::VxmRecip,
                    ]
                } else {
                    &[Opcode::VxmRelu]
                };
                let op = ops[b.rng.below(ops.len())];
                b.vector_op(op, &[x], &[]);
            }
            65..=74 => {
                let x = b.pick(window);
                let lanes = i64::from(target.lanes);
                let amount = b.rng.below(target.lanes as usize - 1) as i64 + 1;
                match b.rng.below(3) {
                    0 => b.vector_op(
                        Opcode::SxmShift,
                        &[x],
                        &[("amount", AttrValue::Int(amount))],
                    ),
                    1 => b.vector_op(
                        Opcode::SxmRotate,
                        &[x],
                        &[("amount", AttrValue::Int(amount - lanes / 2))],
                    ),
                    _ => b.vector_op(
                        Opcode::SxmDistribute,
                        &[x],
                        &[("lane", AttrValue::Int(amount % lanes))],
                    ),
                }
            }
            75..=84 => {
                // Park a value in a scratch buffer and read it back later.
                let x = b.pick(window);
                let scratch = b.alloc(1);
                b.write(x, scratch, 0);
                b.read(scratch, 0);
            }
            85..=92 => {
                let x = b.pick(window);
                b.output(x, cfg.elem);
            }
            _ if mxm => b.matmul_block(window),
            _ => {
                let x = b.pick(window);
                b.output(x, cfg.elem);
            }
        }
    }
    // Every value still in the pool is a result someone wants.
    let pending: Vec<Handle<Value>> = b.pool.clone();
    for v in pending.into_iter().rev().take(4) {
        b.output(v, cfg.elem);
    }
    let mut module = Module::new("generated", &target.name, Stage::Machine);
    module.functions.push(b.func);
    module
}

fn role(r: Role) -> crate::attr::Attrs {
    let mut a = crate::attr::Attrs::new();
    a.set(keys::ROLE, r.name());
    a
}

impl Builder<'_> {
    fn name(&mut self) -> String {
        self.next_name += 1;
        self.next_name.to_string()
    }

    /// A recent value; more recent values are likelier.
    fn pick(&mut self, window: usize) -> Handle<Value> {
        let n = self.pool.len().min(window);
        let k = self.rng.below(n).min(self.rng.below(n));
        self.pool[self.pool.len() - 1 - k]
    }

    fn push_value(&mut self, v: Handle<Value>) {
        self.pool.push(v);
        if self.pool.len() > 256 {
            self.pool.drain(..128);
        }
    }

    fn emit(&mut self, spec: OpSpec) -> Vec<Handle<Value>> {
        let op = self.func.push_op(spec, Span::DUMMY);
        self.func.ops[op].results.clone()
    }

    fn vector_op(&mut self, op: Opcode, operands: &[Handle<Value>], attrs: &[(&str, AttrValue)]) {
        let ty = self.func.ty(operands[0]).clone();
        let mut spec = OpSpec::new(op)
            .operands(operands.iter().copied())
            .result(self.name(), ty);
        for (k, v) in attrs {
            spec = spec.attr(k, v.clone());
        }
        let r = self.emit(spec)[0];
        self.push_value(r);
    }

    fn read(&mut self, buf: Handle<Value>, index: u32) {
        let spec = OpSpec::new(Opcode::MemRead)
            .operands([buf])
            .attr("index", index)
            .result(self.name(), self.vec_ty.clone());
        let r = self.emit(spec)[0];
        self.push_value(r);
    }

    fn write(&mut self, v: Handle<Value>, buf: Handle<Value>, index: u32) {
        self.emit(
            OpSpec::new(Opcode::MemWrite)
                .operands([v, buf])
                .attr("index", index),
        );
    }

    fn alloc(&mut self, vectors: u32) -> Handle<Value> {
        let ty = Type::Mem {
            vectors,
            elem: self.vec_ty.elem(),
        };
        let spec = OpSpec::new(Opcode::MemAlloc).result(format!("s{}", self.name()), ty);
        self.emit(spec)[0]
    }

    /// Writes a value into the current output buffer, starting a new one when full.
    fn output(&mut self, v: Handle<Value>, elem: ElemType) {
        let full = self
            .outputs
            .last()
            .is_none_or(|&(_, used)| used == self.buffer_vectors);
        if full {
            let ty = Type::Mem {
                vectors: self.buffer_vectors,
                elem,
            };
            let name = format!("out{}", self.outputs.len());
            let h = self
                .func
                .add_arg(&name, ty, role(Role::Output), Span::DUMMY);
            self.outputs.push((h, 0));
        }
        let (buf, used) = *self.outputs.last().expect("an output buffer exists");
        self.write(v, buf, used);
        self.outputs.last_mut().expect("exists").1 += 1;
    }

    /// Casts rows to f16 (or i8), installs them as a plane's weights, multiplies one vector
    /// and reads the accumulator back, converted to the data type.
    fn matmul_block(&mut self, window: usize) {
        let data = self.vec_ty.elem();
        let mul_elem = if data.is_float() {
            ElemType::F16
        } else {
            ElemType::I8
        };
        let plane = self.next_plane % self.target.total_planes();
        self.next_plane += 1;
        let acc = self.rng.below(self.target.mxm_acc_slots as usize) as u32;
        let cast = |b: &mut Self, x: Handle<Value>, to: ElemType| -> Handle<Value> {
            let spec = OpSpec::new(Opcode::VxmCast)
                .operands([x])
                .result(b.name(), Type::Vec(to));
            b.emit(spec)[0]
        };
        for row in 0..self.target.lanes {
            let x = self.pick(window);
            let w = cast(self, x, mul_elem);
            self.emit(
                OpSpec::new(Opcode::MxmLoad)
                    .operands([w])
                    .attr("plane", plane)
                    .attr("row", row),
            );
        }
        let x = self.pick(window);
        let xm = cast(self, x, mul_elem);
        self.emit(
            OpSpec::new(Opcode::MxmMac)
                .operands([xm])
                .attr("plane", plane)
                .attr("acc", acc)
                .attr("accumulate", false),
        );
        let acc_ty = Type::Vec(mul_elem.accumulator());
        let spec = OpSpec::new(Opcode::MxmAcc)
            .attr("plane", plane)
            .attr("acc", acc)
            .result(self.name(), acc_ty);
        let y = self.emit(spec)[0];
        let y = if mul_elem.accumulator() == data {
            y
        } else {
            cast(self, y, data)
        };
        self.push_value(y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_programs_verify_on_every_builtin() {
        for name in crate::target::builtin_names() {
            let target = crate::target::builtin(name).unwrap();
            for seed in 0..4 {
                for elem in [ElemType::F32, ElemType::I16] {
                    let cfg = GenConfig {
                        ops: 300,
                        seed,
                        elem,
                        ..GenConfig::default()
                    };
                    let m = machine_program(&cfg, target);
                    assert!(m.op_count() >= 300);
                    if let Err(d) = crate::verify::verify(&m, target) {
                        panic!("{name} seed {seed}: {:?}\n{m}", d[0]);
                    }
                }
            }
        }
    }

    #[test]
    fn same_seed_same_program() {
        let target = crate::target::builtin("tiny").unwrap();
        let cfg = GenConfig::default();
        assert_eq!(
            machine_program(&cfg, target).to_string(),
            machine_program(&cfg, target).to_string()
        );
    }
}
