//! Everything the cycle loop needs, computed once before it starts: each op's issue
//! cycle, position and result streams; each value's producer and readers; each memory
//! read's expected store (the last write before it in body order); each multiply's
//! expected weight rows and accumulator. The loop then only compares tags.

use crate::codes;
use crate::lanes::Lanes;
use crate::program::{BufId, Kind, Program};
use crate::tensor::Tensor;
use std::rc::Rc;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::machine::Slot;
use timetable_ir::registry::UnitClass;
use timetable_ir::target::{Direction, StreamId, Target, UnitId};
use timetable_ir::types::ElemType;

/// "No such thing" in tag tables.
pub const NONE: u32 = u32::MAX;

/// The streams one vector occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    pub dir: Direction,
    pub first: u32,
    pub width: u32,
}

impl Group {
    pub fn stream(&self, k: u32) -> StreamId {
        StreamId {
            dir: self.dir,
            index: self.first + k,
        }
    }
}

/// Issue slot of one instruction.
#[derive(Clone, Debug)]
pub struct Timed {
    pub at: u64,
    pub pos: u32,
    pub unit: UnitId,
    pub latency: u32,
    /// One stream group per result.
    pub groups: Vec<Group>,
}

/// Where and when a value appears on its streams.
#[derive(Clone, Copy, Debug)]
pub struct Prod {
    pub instr: u32,
    pub group: Group,
    pub pos: u32,
    pub cycle: u64,
}

impl Prod {
    /// The cycle the value passes position `q`, if `q` is on its way.
    pub fn arrival(&self, q: u32) -> Option<u64> {
        let hops = match self.group.dir {
            Direction::East => q.checked_sub(self.pos)?,
            Direction::West => self.pos.checked_sub(q)?,
        };
        Some(self.cycle + u64::from(hops))
    }
}

/// Where a memory word's contents came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOrigin {
    /// Put there by the host (inputs, constants, zeroed outputs).
    Host { buffer: BufId, index: u32 },
    /// Written by this instruction.
    Write { instr: u32 },
}

/// A buffer's place in memory.
#[derive(Clone, Copy, Debug)]
pub struct BufLoc {
    /// Index of the bank among all banks (`slice * banks + bank`).
    pub bank: usize,
    pub addr: u32,
    /// Words per vector.
    pub width: u32,
}

impl BufLoc {
    pub fn words(&self, index: u32) -> std::ops::Range<usize> {
        let start = (self.addr + index * self.width) as usize;
        start..start + self.width as usize
    }
}

/// An operand read on the issue path: the value (dense id) and its stream group.
#[derive(Clone, Copy, Debug)]
pub struct Read {
    pub value: u32,
    pub group: Group,
}

/// A result landing on its streams (dense value id).
#[derive(Clone, Copy, Debug)]
pub struct Production {
    pub value: u32,
    pub group: Group,
    pub elem: ElemType,
}

/// What an issue does: memory ops with their words resolved, everything else as decoded.
#[derive(Clone, Debug)]
pub enum Action {
    Read { access: Access, store: u32 },
    Write { access: Access, store: u32 },
    Op(Kind),
}

/// Where a memory op reads or writes: its bank and words, resolved before the run.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub buffer: u32,
    pub index: u32,
    /// Index of the bank among all banks.
    pub bank: u32,
    /// First word, counted over all banks (`bank * words_per_bank + address`).
    pub word: u32,
    pub width: u32,
}

impl Access {
    pub fn words(&self) -> std::ops::Range<usize> {
        self.word as usize..(self.word + self.width) as usize
    }
}

/// One instruction on the issue path, in issue order, self-contained so the cycle loop
/// walks memory sequentially.
#[derive(Clone, Debug)]
pub struct Issue {
    pub at: u64,
    pub instr: u32,
    pub pos: u32,
    pub latency: u32,
    /// Ops the unit issues per cycle; 0: not limited by issue slots.
    pub capacity: u32,
    pub reads: (u32, u32),
    pub productions: (u32, u32),
    pub action: Action,
}

pub struct Plan {
    /// Instructions in issue order (cycle, then body order).
    pub issues: Vec<Issue>,
    /// Operand reads and results of `issues`, by range.
    pub reads: Vec<Read>,
    pub productions: Vec<Production>,
    /// Per dense value id (values numbered in production order): readers, arena index.
    pub dense_readers: Vec<u32>,
    pub arena_of_dense: Vec<u32>,
    pub timed: Vec<Timed>,
    /// Instruction indices in issue order (cycle, then body order).
    pub order: Vec<u32>,
    /// Per value index.
    pub producer: Vec<Option<Prod>>,
    /// Per value index: how many operand reads it has.
    pub readers: Vec<u32>,
    /// Per value index: the farthest hop distance to a consumer on its way.
    pub reach: Vec<u32>,
    pub buffers: Vec<BufLoc>,
    pub stores: Vec<StoreOrigin>,
    /// Per store: how many reads (and final host reads) still need it.
    pub store_readers: Vec<u32>,
    /// Per store: its data when the host puts it there.
    pub host_data: Vec<Option<Rc<Lanes>>>,
    /// Per instruction: a write's store, a read's expected store (`NONE`: never written).
    pub store_of: Vec<u32>,
    /// Per output buffer: the store each vector must end with.
    pub final_stores: Vec<(BufId, Vec<u32>)>,
    /// Per `mxm.mac`: the load each weight row must come from (`NONE`: initial zero).
    pub mac_rows: Vec<Option<Rc<[u32]>>>,
    /// Per `mxm.mac` (accumulating) and `mxm.acc`: the mac whose result the accumulator
    /// must hold (`NONE`: the initial zero).
    pub acc_expect: Vec<u32>,
    pub max_latency: u32,
}

fn group(stream: StreamId, width: u32) -> Group {
    Group {
        dir: stream.dir,
        first: stream.index,
        width,
    }
}

impl Plan {
    pub fn new(program: &Program, target: &Target, inputs: &[Tensor]) -> Result<Plan, Diagnostics> {
        let func = program.func;
        let mut diags = Vec::new();
        let n = program.instrs.len();
        let mut timed = Vec::with_capacity(n);
        let mut producer = vec![None; func.values.len()];
        let mut readers = vec![0u32; func.values.len()];
        let mut max_latency = 0;
        let positions: rustc_hash::FxHashMap<UnitId, u32> = target
            .positions()
            .iter()
            .enumerate()
            .map(|(p, &u)| (u, p as u32))
            .collect();
        for (i, instr) in program.instrs.iter().enumerate() {
            let op = func.op(instr.op);
            let span = func.op_span(instr.op);
            let slot = match Slot::read(op) {
                Ok(Some(s)) => s,
                Ok(None) => {
                    diags.push(
                        Diagnostic::error(codes::BAD_OPERANDS, format!("`{}` has no issue slot", op.opcode))
                            .primary(span, "the cycle-level simulator needs `at`, `unit` and `stream`")
                            .note("schedule the module first (stage `scheduled`), or run the reference interpreter"),
                    );
                    continue;
                }
                Err(e) => {
                    diags.push(
                        Diagnostic::error(codes::BAD_OPERANDS, e).primary(span, "in this op"),
                    );
                    continue;
                }
            };
            let Some(&pos) = positions.get(&slot.unit) else {
                diags.push(
                    Diagnostic::error(
                        codes::BAD_OPERANDS,
                        format!("`{}` is not a unit of `@{}`", slot.unit, target.name),
                    )
                    .primary(span, "in this op"),
                );
                continue;
            };
            let latency = op.def().latency.map_or(0, |c| target.latency(c));
            max_latency = max_latency.max(latency);
            if slot.streams.len() != instr.results.len() {
                diags.push(
                    Diagnostic::error(codes::BAD_OPERANDS, "one stream group per result is needed")
                        .primary(span, "in this op"),
                );
                continue;
            }
            let groups: Vec<Group> = slot
                .streams
                .iter()
                .zip(&instr.result_elems)
                .map(|(&s, e)| group(s, e.bytes()))
                .collect();
            for (&r, &g) in instr.results.iter().zip(&groups) {
                producer[r] = Some(Prod {
                    instr: i as u32,
                    group: g,
                    pos,
                    cycle: slot.at + u64::from(latency),
                });
            }
            for &v in &instr.operands {
                readers[v] += 1;
            }
            timed.push(Timed {
                at: slot.at,
                pos,
                unit: slot.unit,
                latency,
                groups,
            });
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| (timed[i as usize].at, i));

        let mut reach = vec![0u32; func.values.len()];
        for (i, instr) in program.instrs.iter().enumerate() {
            let q = timed[i].pos;
            for &v in &instr.operands {
                if let Some(p) = &producer[v] {
                    let hops = q.abs_diff(p.pos);
                    if p.arrival(q).is_some() {
                        reach[v] = reach[v].max(hops);
                    }
                }
            }
        }

        let buffers = locate_buffers(program, target)?;
        let mut plan = Plan {
            timed,
            order,
            producer,
            readers,
            reach,
            buffers,
            stores: Vec::new(),
            store_readers: Vec::new(),
            host_data: Vec::new(),
            store_of: vec![NONE; n],
            final_stores: Vec::new(),
            mac_rows: vec![None; n],
            acc_expect: vec![NONE; n],
            max_latency,
            issues: Vec::new(),
            reads: Vec::new(),
            productions: Vec::new(),
            dense_readers: Vec::new(),
            arena_of_dense: Vec::new(),
        };
        plan.expect_memory(program, target, inputs)?;
        plan.expect_mxm(program, target);
        plan.lay_out_issues(program, target).map_err(|d| vec![d])?;
        Ok(plan)
    }

    /// Builds the issue-ordered instruction stream, numbering values as they are produced.
    fn lay_out_issues(&mut self, program: &Program, target: &Target) -> Result<(), Diagnostic> {
        let func = program.func;
        let mut dense = vec![NONE; func.values.len()];
        for &i in &self.order {
            for &r in &program.instrs[i as usize].results {
                dense[r] = self.arena_of_dense.len() as u32;
                self.arena_of_dense.push(r as u32);
                self.dense_readers.push(self.readers[r]);
            }
        }
        for &i in &self.order {
            let (instr, t) = (&program.instrs[i as usize], &self.timed[i as usize]);
            let start = self.reads.len() as u32;
            for &v in &instr.operands {
                let Some(p) = self.producer[v] else {
                    return Err(Diagnostic::error(
                        codes::BAD_OPERANDS,
                        "an operand has no producer",
                    )
                    .primary(func.op_span(instr.op), "in this op"));
                };
                self.reads.push(Read {
                    value: dense[v],
                    group: p.group,
                });
            }
            let reads = (start, self.reads.len() as u32);
            let start = self.productions.len() as u32;
            for ((&r, &group), &elem) in
                instr.results.iter().zip(&t.groups).zip(&instr.result_elems)
            {
                self.productions.push(Production {
                    value: dense[r],
                    group,
                    elem,
                });
            }
            let productions = (start, self.productions.len() as u32);
            let store = self.store_of[i as usize];
            let access = |buffer: usize, index: u32| {
                let loc = &self.buffers[buffer];
                Access {
                    buffer: buffer as u32,
                    index,
                    bank: loc.bank as u32,
                    word: loc.bank as u32 * target.mem.words_per_bank
                        + loc.words(index).start as u32,
                    width: loc.width,
                }
            };
            let action = match instr.kind {
                Kind::Read { buffer, index } => Action::Read {
                    access: access(buffer, index),
                    store,
                },
                Kind::Write { buffer, index } => Action::Write {
                    access: access(buffer, index),
                    store,
                },
                ref other => Action::Op(other.clone()),
            };
            let capacity = match (&action, t.unit.class) {
                (Action::Op(Kind::Idle), _) => 0,
                (_, UnitClass::Vxm) => target.vxm_alus,
                (_, UnitClass::Sxm) => target.sxm_issue,
                // Memory is limited by its banks, MXMs by their planes.
                _ => 0,
            };
            self.issues.push(Issue {
                at: t.at,
                instr: i,
                pos: t.pos,
                latency: t.latency,
                capacity,
                reads,
                productions,
                action,
            });
        }
        Ok(())
    }

    /// Walks the body in order, recording which store each read must see and which store
    /// each output vector must end with.
    fn expect_memory(
        &mut self,
        program: &Program,
        target: &Target,
        inputs: &[Tensor],
    ) -> Result<(), Diagnostics> {
        let init = program.initial_contents(inputs, target.lanes)?;
        let mut current: Vec<Vec<u32>> = Vec::with_capacity(program.buffers.len());
        for (b, (buffer, contents)) in program.buffers.iter().zip(init).enumerate() {
            current.push(match contents {
                Some(vectors) => vectors
                    .into_iter()
                    .enumerate()
                    .map(|(index, data)| {
                        self.stores.push(StoreOrigin::Host {
                            buffer: b,
                            index: index as u32,
                        });
                        self.host_data.push(Some(Rc::new(data)));
                        self.store_readers.push(0);
                        (self.stores.len() - 1) as u32
                    })
                    .collect(),
                None => vec![NONE; buffer.vectors as usize],
            });
        }
        for (i, instr) in program.instrs.iter().enumerate() {
            match instr.kind {
                Kind::Read { buffer, index } => {
                    let s = current[buffer][index as usize];
                    self.store_of[i] = s;
                    if s != NONE {
                        self.store_readers[s as usize] += 1;
                    }
                }
                Kind::Write { buffer, index } => {
                    self.stores.push(StoreOrigin::Write { instr: i as u32 });
                    self.host_data.push(None);
                    self.store_readers.push(0);
                    let s = (self.stores.len() - 1) as u32;
                    self.store_of[i] = s;
                    current[buffer][index as usize] = s;
                }
                _ => {}
            }
        }
        for (b, _) in program.output_buffers() {
            for &s in current[b].iter().filter(|&&s| s != NONE) {
                self.store_readers[s as usize] += 1;
            }
            self.final_stores.push((b, current[b].clone()));
        }
        Ok(())
    }

    /// Walks the body in order, recording which loads each mac's weight rows must come
    /// from and which mac each accumulator access must see.
    fn expect_mxm(&mut self, program: &Program, target: &Target) {
        let planes = target.total_planes() as usize;
        let lanes = target.lanes as usize;
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); planes];
        let mut snapshot: Vec<Option<Rc<[u32]>>> = vec![None; planes];
        let mut accs: Vec<Vec<u32>> = vec![vec![NONE; target.mxm_acc_slots as usize]; planes];
        for (i, instr) in program.instrs.iter().enumerate() {
            match instr.kind {
                Kind::Load { plane, row } => {
                    let r = &mut rows[plane as usize];
                    r.resize(lanes, NONE);
                    r[row as usize] = i as u32;
                    snapshot[plane as usize] = None;
                }
                Kind::Mac {
                    plane,
                    acc,
                    accumulate,
                } => {
                    let p = plane as usize;
                    let snap = snapshot[p].get_or_insert_with(|| {
                        let mut r = rows[p].clone();
                        r.resize(lanes, NONE);
                        r.into()
                    });
                    self.mac_rows[i] = Some(snap.clone());
                    if accumulate {
                        self.acc_expect[i] = accs[p][acc as usize];
                    }
                    accs[p][acc as usize] = i as u32;
                }
                Kind::Acc { plane, acc } => {
                    self.acc_expect[i] = accs[plane as usize][acc as usize];
                }
                _ => {}
            }
        }
    }
}

/// Each buffer's bank and address range, checked against the target's memory (E4009).
fn locate_buffers(program: &Program, target: &Target) -> Result<Vec<BufLoc>, Diagnostics> {
    let mut diags = Vec::new();
    let mut locs = Vec::new();
    for b in &program.buffers {
        let Some(p) = b.placement else {
            diags.push(
                Diagnostic::error(
                    codes::OUT_OF_CAPACITY,
                    format!("buffer `%{}` has no placement", b.name),
                )
                .primary(
                    b.span,
                    "the cycle-level simulator needs `mem = {slice, bank, addr}`",
                )
                .note("allocate the module first (stage `allocated`)"),
            );
            continue;
        };
        let width = b.elem.bytes();
        let end = u64::from(p.addr) + u64::from(b.vectors) * u64::from(width);
        let problem = if p.slice >= target.mem_slices() {
            Some(format!(
                "slice {} does not exist (`@{}` has {})",
                p.slice,
                target.name,
                target.mem_slices()
            ))
        } else if p.bank >= target.mem.banks {
            Some(format!(
                "bank {} does not exist (slices have {})",
                p.bank, target.mem.banks
            ))
        } else if end > u64::from(target.mem.words_per_bank) {
            Some(format!(
                "words {}..{end} are past the {} words of a bank",
                p.addr, target.mem.words_per_bank
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            diags.push(
                Diagnostic::error(
                    codes::OUT_OF_CAPACITY,
                    format!("buffer `%{}` does not fit: {problem}", b.name),
                )
                .primary(b.span, "placed outside the target's memory"),
            );
            continue;
        }
        locs.push(BufLoc {
            bank: (p.slice * target.mem.banks + p.bank) as usize,
            addr: p.addr,
            width,
        });
    }
    if diags.is_empty() {
        Ok(locs)
    } else {
        Err(diags)
    }
}
