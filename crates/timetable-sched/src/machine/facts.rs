//! What the machine scheduler knows about one function before it places anything: the
//! unit ops to schedule, where each may run, the vector values and their consumers, and
//! the memory and state dependences of the dataflow crate's DAG.

use super::codes;
use timetable_dataflow::deps::{DepGraph, DepKind};
use timetable_ir::attr::AttrValue;
use timetable_ir::diag::Diagnostic;
use timetable_ir::ir::{Function, Op};
use timetable_ir::machine;
use timetable_ir::registry::{LatencyClass, Opcode, UnitClass};
use timetable_ir::target::{Target, UnitId};
use timetable_ir::{Handle, Value};

/// Index of a unit op in [`Facts::ops`] (body order).
pub(crate) type OpId = u32;

/// Where an op may issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Bound to one position (memory ops by their buffer, MXM ops by their plane).
    Fixed(u32),
    /// Any of these positions (VXM and SXM instances), west to east.
    Any(Vec<u32>),
    /// `icu` ops: instructions of the queue at this position; they take no issue slot.
    Queue(u32),
}

impl Place {
    pub(crate) fn positions(&self) -> &[u32] {
        match self {
            Place::Fixed(p) | Place::Queue(p) => std::slice::from_ref(p),
            Place::Any(ps) => ps,
        }
    }
}

/// The issue resource an op books in its issue cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Issue {
    /// One access to a memory bank (flat index `slice * banks + bank`).
    Bank(u32),
    /// One op on an MXM plane.
    Plane(u32),
    /// One issue slot of the VXM or SXM at the op's position.
    Slot,
    /// Nothing (`icu` ops).
    Free,
}

/// A unit op to schedule.
#[derive(Clone, Debug)]
pub(crate) struct OpFacts {
    pub handle: Handle<Op>,
    pub opcode: Opcode,
    pub class: UnitClass,
    pub latency: u32,
    pub place: Place,
    pub issue: Issue,
    /// Vector operands, in operand order, with their index among the op's operands.
    pub operands: Vec<(Handle<Value>, usize)>,
    /// Vector results.
    pub results: Vec<Handle<Value>>,
    /// A `mem.read` or `mxm.acc` whose result someone reads: it is issued on demand, as
    /// often as its consumers need, within the window its dependences allow.
    pub source: bool,
    /// A VXM or SXM op whose result only one op reads: it is placed when that op is,
    /// timed so that its result arrives exactly when it is read (see `DEMAND_TREE`).
    pub demand: bool,
}

/// Demand-placed ops hang in trees below an op placed in list order; a tree is at most
/// this deep and this large, which bounds the recursion and the cost of a failed try.
const DEMAND_DEPTH: u32 = 16;
const DEMAND_TREE: u32 = 64;

/// A vector value.
#[derive(Clone, Debug)]
pub(crate) struct ValueFacts {
    pub producer: OpId,
    /// Streams in its group.
    pub width: u32,
    /// Consumers and the operand index they read it at.
    pub consumers: Vec<(OpId, usize)>,
}

/// A memory or state dependence between two scheduled ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Order {
    pub op: OpId,
    pub latency: u32,
    pub kind: DepKind,
}

/// Everything about a function the scheduler reads.
pub(crate) struct Facts<'f> {
    pub func: &'f Function,
    pub target: &'f Target,
    pub ops: Vec<OpFacts>,
    /// Per value handle index: facts of vector results of unit ops.
    pub values: Vec<Option<ValueFacts>>,
    /// Memory and state dependences into / out of each op (data dependences are exact
    /// and handled by delivery).
    pub before: Vec<Vec<Order>>,
    pub after: Vec<Vec<Order>>,
    /// Per value handle index: the `mem.write`s of the input that store it (a value can
    /// be read back from there while no later write has replaced it).
    pub stores: Vec<Vec<OpId>>,
    /// Per value handle index of a buffer: the memory ops of the input that access it.
    pub accessors: Vec<Vec<OpId>>,
    /// Per op: the buffer a memory op accesses.
    pub buffer: Vec<Option<Handle<Value>>>,
    /// Per value handle index of a buffer: placements after which its words are free,
    /// its accesses and the readers of values read from it (a reader may need the read
    /// issued again).
    pub uses: Vec<u32>,
    /// Every dependence of the DAG (data included) between scheduled ops, for priorities:
    /// (from, to, latency).
    pub edges: Vec<(OpId, OpId, u32)>,
    /// Stream width of the widest vector type in the function: the size of a spill slot.
    pub widest: u32,
    pub banks_per_slice: u32,
}

impl<'f> Facts<'f> {
    pub(crate) fn new(func: &'f Function, target: &'f Target) -> Result<Self, Diagnostic> {
        let dag = DepGraph::build(func, target);
        let mut id_of = vec![u32::MAX; func.body.len()];
        let mut ops: Vec<OpFacts> = Vec::new();
        let mut values: Vec<Option<ValueFacts>> = vec![None; func.values.len()];
        let mut last_queue = None;
        let mut widest = 1;
        let vxm: Vec<u32> = positions_of(target, UnitClass::Vxm);
        let sxm: Vec<u32> = positions_of(target, UnitClass::Sxm);
        for (i, (h, op)) in func.body_ops().enumerate() {
            let Some(class) = op.def().unit else {
                continue;
            };
            if op.opcode == Opcode::IcuNop {
                // Idle time is implied by `at`; `nops` materialises it again.
                continue;
            }
            let span = func.op_span(h);
            let missing = |what: &str| {
                Diagnostic::error(
                    codes::MISSING_UNIT,
                    format!("`@{}` has no {what} for `{}`", target.name, op.opcode),
                )
                .primary(span, "cannot be placed")
            };
            let (place, issue) = match class {
                UnitClass::Mem => {
                    let buffer = *op
                        .operands
                        .iter()
                        .find(|&&v| func.ty(v).is_mem())
                        .expect("memory ops take a buffer");
                    let p = machine::placement(func, buffer).ok_or_else(|| {
                        Diagnostic::error(
                            codes::NOT_ALLOCATED,
                            format!("buffer `%{}` has no placement", func.value(buffer).name),
                        )
                        .primary(
                            func.value_span(buffer),
                            "the scheduler needs `mem = {slice, bank, addr}`",
                        )
                        .note("run `alloc` first")
                    })?;
                    let pos = target
                        .position(p.unit())
                        .ok_or_else(|| missing("such memory slice"))?;
                    (
                        Place::Fixed(pos),
                        Issue::Bank(p.slice * target.mem.banks + p.bank),
                    )
                }
                UnitClass::Mxm => {
                    let plane = attr_u32(op, "plane");
                    let unit = target
                        .plane_unit(plane)
                        .ok_or_else(|| missing("such MXM plane"))?;
                    let pos = target.position(unit).ok_or_else(|| missing("MXM"))?;
                    (Place::Fixed(pos), Issue::Plane(plane))
                }
                UnitClass::Vxm if !vxm.is_empty() => (Place::Any(vxm.clone()), Issue::Slot),
                UnitClass::Sxm if !sxm.is_empty() => (Place::Any(sxm.clone()), Issue::Slot),
                UnitClass::Vxm => return Err(missing("VXM")),
                UnitClass::Sxm => return Err(missing("SXM")),
                UnitClass::Icu => (Place::Queue(last_queue.unwrap_or(0)), Issue::Free),
            };
            if let Place::Fixed(p) = place {
                last_queue = Some(p);
            } else if let Place::Any(ps) = &place {
                last_queue = Some(ps[0]);
            }
            let id = ops.len() as OpId;
            id_of[i] = id;
            let operands = op
                .operands
                .iter()
                .enumerate()
                .filter(|(_, v)| !func.ty(**v).is_mem())
                .map(|(k, &v)| (v, k))
                .collect();
            for &r in &op.results {
                let width = target.vector_words(func.ty(r).elem());
                widest = widest.max(width);
                values[r.index()] = Some(ValueFacts {
                    producer: id,
                    width,
                    consumers: Vec::new(),
                });
            }
            ops.push(OpFacts {
                handle: h,
                opcode: op.opcode,
                class,
                latency: op.def().latency.map_or(0, |c| target.latency(c)),
                place,
                issue,
                operands,
                results: op.results.clone(),
                source: false,
                demand: false,
            });
        }
        for (id, o) in ops.iter().enumerate() {
            for &(v, k) in &o.operands {
                if let Some(vf) = values[v.index()].as_mut() {
                    vf.consumers.push((id as OpId, k));
                }
            }
        }
        for o in &mut ops {
            let read_like = matches!(o.opcode, Opcode::MemRead | Opcode::MxmAcc);
            o.source = read_like
                && o.results.iter().all(|r| {
                    values[r.index()]
                        .as_ref()
                        .is_some_and(|v| !v.consumers.is_empty())
                });
        }
        mark_demand(&mut ops, &values);
        super::room::check(func, target, &ops, &values)?;
        let mut stores = vec![Vec::new(); func.values.len()];
        let mut accessors = vec![Vec::new(); func.values.len()];
        let mut buffer = vec![None; ops.len()];
        for (id, o) in ops.iter().enumerate() {
            if o.opcode == Opcode::MemWrite {
                stores[o.operands[0].0.index()].push(id as OpId);
            }
            if o.class == UnitClass::Mem {
                let b = *func
                    .op(o.handle)
                    .operands
                    .iter()
                    .find(|&&v| func.ty(v).is_mem())
                    .expect("memory ops take a buffer");
                accessors[b.index()].push(id as OpId);
                buffer[id] = Some(b);
            }
        }
        let mut uses: Vec<u32> = accessors.iter().map(|a| a.len() as u32).collect();
        for (id, o) in ops.iter().enumerate() {
            if let (true, Some(b)) = (o.source, buffer[id]) {
                uses[b.index()] += o
                    .results
                    .iter()
                    .map(|r| values[r.index()].as_ref().map_or(0, |v| v.consumers.len()))
                    .sum::<usize>() as u32;
            }
        }
        let mut before = vec![Vec::new(); ops.len()];
        let mut after = vec![Vec::new(); ops.len()];
        let mut edges = Vec::new();
        for (node, dep) in dag.edges() {
            let (from, to) = (id_of[dep.from as usize], id_of[node]);
            if from == u32::MAX || to == u32::MAX {
                continue;
            }
            edges.push((from, to, dep.latency));
            if dep.kind != DepKind::Data {
                before[to as usize].push(Order {
                    op: from,
                    latency: dep.latency,
                    kind: dep.kind,
                });
                after[from as usize].push(Order {
                    op: to,
                    latency: dep.latency,
                    kind: dep.kind,
                });
            }
        }
        Ok(Facts {
            func,
            target,
            ops,
            values,
            stores,
            accessors,
            buffer,
            uses,
            before,
            after,
            edges,
            widest,
            banks_per_slice: target.mem.banks,
        })
    }

    pub(crate) fn value(&self, v: Handle<Value>) -> &ValueFacts {
        self.values[v.index()]
            .as_ref()
            .expect("operands of unit ops are vector results of unit ops")
    }

    pub(crate) fn op(&self, id: OpId) -> &OpFacts {
        &self.ops[id as usize]
    }

    pub(crate) fn read_latency(&self) -> u32 {
        self.target.latency(LatencyClass::MemRead)
    }

    pub(crate) fn write_latency(&self) -> u32 {
        self.target.latency(LatencyClass::MemWrite)
    }

    /// The unit at a position.
    pub(crate) fn unit_at(&self, pos: u32) -> UnitId {
        self.target.positions()[pos as usize]
    }

    /// Positions of the memory slices, west to east, with their slice index.
    pub(crate) fn mem_positions(&self) -> Vec<(u32, u32)> {
        self.target
            .positions()
            .iter()
            .enumerate()
            .filter(|(_, u)| u.class == UnitClass::Mem)
            .map(|(p, u)| (p as u32, u.index))
            .collect()
    }
}

/// Marks single-consumer VXM and SXM ops as placed on demand, consumers first (they
/// come later in the body), keeping every tree within `DEMAND_DEPTH` and `DEMAND_TREE`.
fn mark_demand(ops: &mut [OpFacts], values: &[Option<ValueFacts>]) {
    let n = ops.len();
    let (mut depth, mut root, mut size) = (vec![0u32; n], vec![0u32; n], vec![0u32; n]);
    for p in (0..n).rev() {
        let o = &ops[p];
        if !matches!(o.class, UnitClass::Vxm | UnitClass::Sxm) || o.results.len() != 1 {
            continue;
        }
        let Some(v) = values[o.results[0].index()].as_ref() else {
            continue;
        };
        let Some(&(c, _)) = v.consumers.first() else {
            continue;
        };
        if v.consumers.iter().any(|&(other, _)| other != c) {
            continue;
        }
        let c = c as usize;
        let (r, d) = if ops[c].demand {
            (root[c] as usize, depth[c] + 1)
        } else {
            (c, 1)
        };
        if d > DEMAND_DEPTH || size[r] >= DEMAND_TREE {
            continue;
        }
        ops[p].demand = true;
        (root[p], depth[p]) = (r as u32, d);
        size[r] += 1;
    }
}

fn positions_of(target: &Target, class: UnitClass) -> Vec<u32> {
    target
        .positions()
        .iter()
        .enumerate()
        .filter(|(_, u)| u.class == class)
        .map(|(p, _)| p as u32)
        .collect()
}

pub(crate) fn attr_u32(op: &Op, key: &str) -> u32 {
    op.attrs
        .get(key)
        .and_then(AttrValue::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}
