//! Test and benchmark support, not a scheduler for real use: turns a machine-level
//! program (e.g. from `timetable_ir::generate`) into a scheduled one that is valid by
//! construction, so the cycle-level simulator can be checked and measured on large
//! programs before the real scheduler exists.
//!
//! Every vector value gets a *home*: a one-vector scratch buffer it is written to as soon
//! as it is produced. Every use reads the value back from its home, timed to arrive at
//! the consumer in the cycle it issues. Ops are placed in body order, each at the first
//! cycle where its unit, the banks, the stream slots along every path and the memory and
//! MXM dependences allow it (a reservation table per resource). Buffers are placed by a
//! bump allocator; homes are never reused, so programs must fit memory without reuse.

use rustc_hash::{FxHashMap, FxHashSet};
use timetable_ir::arena::Handle;
use timetable_ir::ir::{Function, Module, Op, OpSpec, Stage, Value};
use timetable_ir::machine::{self, Placement, Slot, keys};
use timetable_ir::registry::{Opcode, UnitClass};
use timetable_ir::span::Span;
use timetable_ir::target::{Direction, StreamId, Target, UnitId};
use timetable_ir::types::Type;

/// Where a value waits between its producer and its consumers.
#[derive(Clone, Copy, Debug)]
struct Home {
    buffer: Handle<Value>,
    slice: u32,
    bank: u32,
    /// Reads issued from this cycle on see the value.
    ready: u64,
}

/// A value in flight from `(from, cycle)` to `to` on one stream group.
#[derive(Clone, Copy, Debug)]
struct Transfer {
    dir: Direction,
    first: u32,
    width: u32,
    from: u32,
    cycle: u64,
    to: u32,
}

impl Transfer {
    fn arrival(&self) -> u64 {
        self.cycle + u64::from(self.from.abs_diff(self.to))
    }

    fn diagonal(&self) -> i64 {
        match self.dir {
            Direction::East => i64::from(self.from) - self.cycle as i64,
            Direction::West => i64::from(self.from) + self.cycle as i64,
        }
    }

    fn span(&self) -> (u32, u32) {
        (self.from.min(self.to), self.from.max(self.to))
    }
}

/// Reservations of every resource, by cycle.
#[derive(Default)]
struct Table {
    paths: FxHashMap<(Direction, u32, i64), Vec<(u32, u32)>>,
    units: FxHashMap<(u32, u64), u32>,
    planes: FxHashSet<(u32, u64)>,
    banks: FxHashSet<(u32, u32, u64)>,
}

impl Table {
    fn path_free(&self, t: &Transfer, extra: &[Transfer]) -> bool {
        let (lo, hi) = t.span();
        (0..t.width).all(|k| {
            let key = (t.dir, t.first + k, t.diagonal());
            let clash = |&(a, b): &(u32, u32)| a <= hi && lo <= b;
            !self.paths.get(&key).is_some_and(|v| v.iter().any(clash))
                && !extra.iter().any(|e| {
                    e.dir == t.dir
                        && e.diagonal() == t.diagonal()
                        && e.first < t.first + t.width
                        && t.first < e.first + e.width
                        && clash(&e.span())
                })
        })
    }

    fn reserve_path(&mut self, t: &Transfer) {
        for k in 0..t.width {
            self.paths
                .entry((t.dir, t.first + k, t.diagonal()))
                .or_default()
                .push(t.span());
        }
    }
}

/// How an op fits at a cycle: a route for each distinct operand from its home, and for
/// each result a route to its new home (slice, bank).
type Fit = (Vec<Transfer>, Vec<(Transfer, (u32, u32))>);

/// The ops emitted for one original op, in body order, with their slots.
struct Emitted {
    spec: OpSpec,
    slot: Option<Slot>,
}

struct Stager<'t> {
    target: &'t Target,
    table: Table,
    out: Function,
    /// Original value -> new value.
    map: FxHashMap<Handle<Value>, Handle<Value>>,
    homes: FxHashMap<Handle<Value>, Home>,
    /// Next free word per (slice, bank).
    next_word: Vec<u32>,
    round_robin: usize,
    names: u64,
    /// Per original (buffer, index): last write landing, last write issue, last read issue.
    memory: FxHashMap<(Handle<Value>, u32), (u64, u64, u64)>,
    /// Per plane: weights ready, last mac issue.
    weights: FxHashMap<u32, (u64, u64)>,
    /// Per (plane, acc): last landing, last read issue.
    accs: FxHashMap<(u32, u32), (u64, u64)>,
    placements: FxHashMap<Handle<Value>, Placement>,
    /// Position of each memory slice.
    mem_positions: Vec<u32>,
}

fn pos(target: &Target, unit: UnitId) -> u32 {
    target.position(unit).expect("the unit exists")
}

impl<'t> Stager<'t> {
    fn fresh(&mut self, base: &str) -> String {
        self.names += 1;
        format!("{base}.st{}", self.names)
    }

    /// Bump-allocates `words` in the bank after `self.round_robin`'s, or in a given one.
    fn place(&mut self, words: u32, at: Option<(u32, u32)>) -> Placement {
        let banks = self.target.mem.banks;
        let total = self.target.mem_slices() * banks;
        let start = self.round_robin;
        for k in 0..total as usize {
            let b = match at {
                Some((slice, bank)) => slice * banks + bank,
                None => ((start + k) % total as usize) as u32,
            };
            if self.next_word[b as usize] + words <= self.target.mem.words_per_bank {
                let addr = self.next_word[b as usize];
                self.next_word[b as usize] += words;
                if at.is_none() {
                    self.round_robin = (b as usize + 1) % total as usize;
                }
                return Placement {
                    slice: b / banks,
                    bank: b % banks,
                    addr,
                };
            }
            assert!(at.is_none(), "bank {b} is full");
        }
        panic!("memory is full: the staged program does not fit without reusing homes");
    }

    fn mem_pos(&self, slice: u32) -> u32 {
        self.mem_positions[slice as usize]
    }

    /// A free stream group for a transfer, given everything but the group.
    fn route(
        &self,
        dir: Option<Direction>,
        width: u32,
        from: u32,
        cycle: u64,
        to: u32,
        taken: &[Transfer],
    ) -> Option<Transfer> {
        let dirs: &[Direction] = match dir {
            Some(Direction::East) => &[Direction::East],
            Some(Direction::West) => &[Direction::West],
            None => &[Direction::East, Direction::West],
        };
        for &d in dirs {
            for first in (0..self.target.streams).step_by(width as usize) {
                if first + width > self.target.streams {
                    break;
                }
                let t = Transfer {
                    dir: d,
                    first,
                    width,
                    from,
                    cycle,
                    to,
                };
                if self.table.path_free(&t, taken) {
                    return Some(t);
                }
            }
        }
        None
    }

    fn direction(from: u32, to: u32) -> Option<Direction> {
        match from.cmp(&to) {
            std::cmp::Ordering::Less => Some(Direction::East),
            std::cmp::Ordering::Greater => Some(Direction::West),
            std::cmp::Ordering::Equal => None,
        }
    }
}

/// The unit of a non-memory op (memory ops run on their buffer's slice).
fn unit_of(target: &Target, op: &Op) -> UnitId {
    match op.def().unit.expect("unit ops only") {
        UnitClass::Mxm => {
            let plane = op.attrs.get("plane").and_then(|a| a.as_u64()).unwrap_or(0) as u32;
            target.plane_unit(plane).expect("plane exists")
        }
        UnitClass::Sxm => target.units(UnitClass::Sxm).next().expect("an SXM"),
        // `icu` ops name the queue they delay; any will do.
        UnitClass::Vxm | UnitClass::Icu | UnitClass::Mem => {
            target.units(UnitClass::Vxm).next().expect("a VXM")
        }
    }
}

/// Schedules `module` (stage `machine`, one function or more) for `target`.
pub fn stage(module: &Module, target: &Target) -> Module {
    let mut out = Module::new(&module.name.text, &target.name, Stage::Scheduled);
    for func in &module.functions {
        out.functions.push(stage_function(func, target));
    }
    out
}

fn stage_function(func: &Function, target: &Target) -> Function {
    let banks = (target.mem_slices() * target.mem.banks) as usize;
    let mut s = Stager {
        target,
        table: Table::default(),
        out: Function::new(&func.name.text, Vec::new()),
        map: FxHashMap::default(),
        homes: FxHashMap::default(),
        next_word: vec![0; banks],
        round_robin: 0,
        names: 0,
        memory: FxHashMap::default(),
        weights: FxHashMap::default(),
        accs: FxHashMap::default(),
        placements: FxHashMap::default(),
        mem_positions: target
            .units(UnitClass::Mem)
            .map(|u| pos(target, u))
            .collect(),
    };
    // Place the original buffers (arguments and declared buffers) first.
    for (value, _) in machine::buffers(func) {
        let words = machine::buffer_words(func.ty(value), target).expect("a buffer") as u32;
        let p = s.place(words, None);
        s.placements.insert(value, p);
    }
    for arg in &func.args {
        let v = func.value(arg.value);
        let mut attrs = arg.attrs.clone();
        if let Some(p) = s.placements.get(&arg.value) {
            attrs.set(keys::MEM, p.to_attr());
        }
        let nv = s.out.add_arg(&v.name, v.ty.clone(), attrs, Span::DUMMY);
        s.map.insert(arg.value, nv);
    }
    for (_, op) in func.body_ops() {
        if op.def().unit.is_none() {
            // Buffer declarations: placed already.
            let mut spec = spec_like(op);
            for &r in &op.results {
                spec = spec.result(func.value(r).name.clone(), func.ty(r).clone());
            }
            if let Some(&r) = op.results.first()
                && let Some(p) = s.placements.get(&r)
            {
                spec.attrs.set(keys::MEM, p.to_attr());
            }
            let h = s.out.push_op(spec, Span::DUMMY);
            for (&old, &new) in op.results.iter().zip(&s.out.ops[h].results.clone()) {
                s.map.insert(old, new);
            }
            continue;
        }
        s.schedule_op(func, op);
    }
    s.out
}

/// A spec for `op` with its attributes, without operands or results.
fn spec_like(op: &Op) -> OpSpec {
    let mut spec = OpSpec::new(op.opcode);
    spec.attrs = op.attrs.clone();
    spec
}

impl Stager<'_> {
    fn buffer_slice(&self, func: &Function, op: &Op) -> Option<(Handle<Value>, u32, u32)> {
        let b = *op.operands.iter().find(|&&v| func.ty(v).is_mem())?;
        let p = self.placements[&b];
        let index = op.attrs.get("index").and_then(|a| a.as_u64()).unwrap_or(0) as u32;
        Some((b, p.slice, index))
    }

    fn schedule_op(&mut self, func: &Function, op: &Op) {
        let target = self.target;
        let unit = match self.buffer_slice(func, op) {
            Some((_, slice, _)) => UnitId::new(UnitClass::Mem, slice),
            None => unit_of(target, op),
        };
        let q = pos(target, unit);
        let latency = op.def().latency.map_or(0, |c| target.latency(c));
        let read_latency = target.latency(timetable_ir::registry::LatencyClass::MemRead);
        let write_latency = target.latency(timetable_ir::registry::LatencyClass::MemWrite);
        let vector_operands: Vec<Handle<Value>> = op
            .operands
            .iter()
            .copied()
            .filter(|&v| !func.ty(v).is_mem())
            .collect();
        let mut distinct: Vec<Handle<Value>> = Vec::new();
        for &v in &vector_operands {
            if !distinct.contains(&v) {
                distinct.push(v);
            }
        }
        // Operands whose homes share a bank would have to be read in one cycle: copy all
        // but the first to homes in other banks first.
        let mut used_banks: Vec<(u32, u32)> = Vec::new();
        let mut pre: Vec<Emitted> = Vec::new();
        for &v in &distinct {
            let h = self.homes[&v];
            if used_banks.contains(&(h.slice, h.bank)) {
                let copy = self.copy_home(func, v, &used_banks, &mut pre);
                self.homes.insert(v, copy);
            }
            let h = self.homes[&v];
            used_banks.push((h.slice, h.bank));
        }

        // Dependences that do not come from streams.
        let mut earliest = 0u64;
        for &v in &distinct {
            let h = self.homes[&v];
            earliest = earliest.max(
                h.ready + u64::from(read_latency) + u64::from(self.mem_pos(h.slice).abs_diff(q)),
            );
        }
        let mem_key = self.buffer_slice(func, op).map(|(b, _, i)| (b, i));
        let get = |k: &str| op.attrs.get(k).and_then(|a| a.as_u64()).unwrap_or(0) as u32;
        match op.opcode {
            Opcode::MemRead => {
                let (landed, _, _) = self
                    .memory
                    .get(&mem_key.unwrap())
                    .copied()
                    .unwrap_or_default();
                earliest = earliest.max(landed);
            }
            Opcode::MemWrite => {
                let (_, w, r) = self
                    .memory
                    .get(&mem_key.unwrap())
                    .copied()
                    .unwrap_or_default();
                earliest = earliest.max(w + 1).max(r + 1);
            }
            Opcode::MxmLoad => {
                let (_, mac) = self.weights.get(&get("plane")).copied().unwrap_or_default();
                earliest = earliest.max(mac + 1);
            }
            Opcode::MxmMac => {
                let (ready, _) = self.weights.get(&get("plane")).copied().unwrap_or_default();
                let (landed, read) = self
                    .accs
                    .get(&(get("plane"), get("acc")))
                    .copied()
                    .unwrap_or_default();
                earliest = earliest
                    .max(ready)
                    .max(read)
                    .max((landed + 1).saturating_sub(u64::from(latency)));
            }
            Opcode::MxmAcc => {
                let (landed, _) = self
                    .accs
                    .get(&(get("plane"), get("acc")))
                    .copied()
                    .unwrap_or_default();
                earliest = earliest.max(landed);
            }
            _ => {}
        }

        let results: Vec<Handle<Value>> = op.results.clone();
        let mut t = earliest;
        let (reads, writes) = loop {
            if let Some(found) = self.try_at(
                func,
                op,
                unit,
                q,
                t,
                latency,
                read_latency,
                &distinct,
                &results,
            ) {
                break found;
            }
            t += 1;
            assert!(
                t < earliest + 100_000,
                "no slot found for `{}` (is memory full? homes are never reused)",
                op.opcode
            );
        };

        // Commit: reservations, dependences, emitted ops.
        self.commit_issue(op, unit, q, t);
        let mut emitted = pre;
        let mut operand_map: FxHashMap<Handle<Value>, Handle<Value>> = FxHashMap::default();
        for (&v, tr) in distinct.iter().zip(&reads) {
            let h = self.homes[&v];
            let r = self.emit_home_read(func, v, h, tr, read_latency, &mut emitted);
            operand_map.insert(v, r);
        }
        for e in emitted.drain(..) {
            self.push(e);
        }
        let mut spec = spec_like(op);
        spec.operands = op
            .operands
            .iter()
            .map(|v| {
                if func.ty(*v).is_mem() {
                    self.map[v]
                } else {
                    operand_map[v]
                }
            })
            .collect();
        for &r in &results {
            spec = spec.result(func.value(r).name.clone(), func.ty(r).clone());
        }
        let streams = writes
            .iter()
            .map(|(tr, _)| StreamId {
                dir: tr.dir,
                index: tr.first,
            })
            .collect();
        let h = self.push(Emitted {
            spec,
            slot: Some(Slot {
                at: t,
                unit,
                streams,
            }),
        });
        let new_results = self.out.ops[h].results.clone();
        for (&old, &new) in results.iter().zip(&new_results) {
            self.map.insert(old, new);
        }
        // Each result goes to its home.
        for ((&old, &new), (tr, (slice, bank))) in results.iter().zip(&new_results).zip(writes) {
            self.table.reserve_path(&tr);
            let home = self.write_home(new, func.ty(old).elem(), slice, bank, tr.arrival());
            self.homes.insert(old, home);
        }
        // Dependences for later ops.
        let landed = t + u64::from(latency);
        match op.opcode {
            Opcode::MemRead => {
                let e = self.memory.entry(mem_key.unwrap()).or_default();
                e.2 = e.2.max(t);
            }
            Opcode::MemWrite => {
                let e = self.memory.entry(mem_key.unwrap()).or_default();
                e.0 = t + u64::from(write_latency);
                e.1 = t;
            }
            Opcode::MxmLoad => {
                let e = self.weights.entry(get("plane")).or_default();
                e.0 = e.0.max(landed);
            }
            Opcode::MxmMac => {
                self.weights.entry(get("plane")).or_default().1 = t;
                self.accs.entry((get("plane"), get("acc"))).or_default().0 = landed;
            }
            Opcode::MxmAcc => {
                let e = self.accs.entry((get("plane"), get("acc"))).or_default();
                e.1 = e.1.max(t);
            }
            _ => {}
        }
    }

    /// Whether the op fits at `t`: its unit, a route for every operand from its home,
    /// and a production slot and home for every result. Reserves nothing.
    #[allow(clippy::too_many_arguments)]
    fn try_at(
        &self,
        func: &Function,
        op: &Op,
        unit: UnitId,
        q: u32,
        t: u64,
        latency: u32,
        read_latency: u32,
        distinct: &[Handle<Value>],
        results: &[Handle<Value>],
    ) -> Option<Fit> {
        let target = self.target;
        match unit.class {
            UnitClass::Vxm | UnitClass::Sxm => {
                let cap = if unit.class == UnitClass::Vxm {
                    target.vxm_alus
                } else {
                    target.sxm_issue
                };
                if self.table.units.get(&(q, t)).copied().unwrap_or(0) >= cap {
                    return None;
                }
            }
            UnitClass::Mxm => {
                let plane = op.attrs.get("plane").and_then(|a| a.as_u64()).unwrap_or(0) as u32;
                if self.table.planes.contains(&(plane, t)) {
                    return None;
                }
            }
            UnitClass::Mem => {
                let b = *op.operands.iter().find(|&&v| func.ty(v).is_mem())?;
                let p = self.placements[&b];
                if self.table.banks.contains(&(p.slice, p.bank, t)) {
                    return None;
                }
            }
            UnitClass::Icu => {}
        }
        let mut taken: Vec<Transfer> = Vec::new();
        let mut bank_cycles: Vec<(u32, u32, u64)> = Vec::new();
        if let Some((b, _, _)) = self.buffer_slice(func, op) {
            let p = self.placements[&b];
            bank_cycles.push((p.slice, p.bank, t));
        }
        let mut reads = Vec::new();
        for &v in distinct {
            let h = self.homes[&v];
            let hp = self.mem_pos(h.slice);
            let hops = u64::from(hp.abs_diff(q));
            let issue = t.checked_sub(hops + u64::from(read_latency))?;
            if issue < h.ready
                || self.table.banks.contains(&(h.slice, h.bank, issue))
                || bank_cycles.contains(&(h.slice, h.bank, issue))
            {
                return None;
            }
            let width = func.ty(v).elem().bytes();
            let tr = self.route(
                Self::direction(hp, q),
                width,
                hp,
                issue + u64::from(read_latency),
                q,
                &taken,
            )?;
            taken.push(tr);
            bank_cycles.push((h.slice, h.bank, issue));
            reads.push(tr);
        }
        let mut writes = Vec::new();
        let produced = t + u64::from(latency);
        let slices = target.mem_slices();
        for (k, &r) in results.iter().enumerate() {
            let width = func.ty(r).elem().bytes();
            // No free stream group at the production point: no home can help.
            self.route(None, width, q, produced, q, &taken)?;
            let mut found = None;
            // Try homes round-robin from a per-result offset (nearest first would bunch),
            // a few dozen at most: a later cycle will do if none fits.
            let mut attempts = 0;
            for j in 0..(slices * target.mem.banks) as usize {
                let b = ((self.round_robin + k + j) % (slices * target.mem.banks) as usize) as u32;
                let (slice, bank) = (b / target.mem.banks, b % target.mem.banks);
                if self.next_word[b as usize] + width > target.mem.words_per_bank {
                    continue;
                }
                attempts += 1;
                if attempts > 48 {
                    break;
                }
                let hp = self.mem_pos(slice);
                let Some(tr) = self.route(Self::direction(q, hp), width, q, produced, hp, &taken)
                else {
                    continue;
                };
                let w_at = tr.arrival();
                if self.table.banks.contains(&(slice, bank, w_at))
                    || bank_cycles.contains(&(slice, bank, w_at))
                {
                    continue;
                }
                found = Some((tr, (slice, bank)));
                bank_cycles.push((slice, bank, w_at));
                taken.push(tr);
                break;
            }
            writes.push(found?);
        }
        Some((reads, writes))
    }

    fn commit_issue(&mut self, op: &Op, unit: UnitId, q: u32, t: u64) {
        match unit.class {
            UnitClass::Vxm | UnitClass::Sxm => *self.table.units.entry((q, t)).or_default() += 1,
            UnitClass::Mxm => {
                let plane = op.attrs.get("plane").and_then(|a| a.as_u64()).unwrap_or(0) as u32;
                self.table.planes.insert((plane, t));
            }
            UnitClass::Mem => {
                let b = *op
                    .operands
                    .iter()
                    .find(|&&v| self.placements.contains_key(&v))
                    .expect("a buffer operand");
                let p = self.placements[&b];
                self.table.banks.insert((p.slice, p.bank, t));
            }
            UnitClass::Icu => {}
        }
    }

    fn push(&mut self, e: Emitted) -> Handle<Op> {
        let mut spec = e.spec;
        if let Some(slot) = e.slot {
            slot.write(&mut spec.attrs);
        }
        self.out.push_op(spec, Span::DUMMY)
    }

    /// Emits the read of `v` from `home` along `tr`; returns the new value.
    fn emit_home_read(
        &mut self,
        func: &Function,
        v: Handle<Value>,
        home: Home,
        tr: &Transfer,
        read_latency: u32,
        emitted: &mut Vec<Emitted>,
    ) -> Handle<Value> {
        self.table.reserve_path(tr);
        let issue = tr.cycle - u64::from(read_latency);
        self.table.banks.insert((home.slice, home.bank, issue));
        let name = self.fresh(&func.value(v).name);
        let spec = OpSpec::new(Opcode::MemRead)
            .operands([home.buffer])
            .attr("index", 0u64)
            .result(name, func.ty(v).clone());
        let slot = Slot {
            at: issue,
            unit: UnitId::new(UnitClass::Mem, home.slice),
            streams: vec![StreamId {
                dir: tr.dir,
                index: tr.first,
            }],
        };
        for e in emitted.drain(..) {
            self.push(e);
        }
        let h = self.push(Emitted {
            spec,
            slot: Some(slot),
        });
        self.out.ops[h].results[0]
    }

    /// Writes `value` (of `elem`, on its way to `slice`) into a new home in `bank`, in
    /// cycle `at`; reserves the bank.
    fn write_home(
        &mut self,
        value: Handle<Value>,
        elem: timetable_ir::types::ElemType,
        slice: u32,
        bank: u32,
        at: u64,
    ) -> Home {
        self.table.banks.insert((slice, bank, at));
        let p = self.place(elem.bytes(), Some((slice, bank)));
        let name = self.fresh("home");
        let alloc = OpSpec::new(Opcode::MemAlloc)
            .attr(keys::MEM, p.to_attr())
            .result(name, Type::Mem { vectors: 1, elem });
        let ah = self.out.push_op(alloc, Span::DUMMY);
        let buffer = self.out.ops[ah].results[0];
        let write = OpSpec::new(Opcode::MemWrite)
            .operands([value, buffer])
            .attr("index", 0u64);
        let unit = UnitId::new(UnitClass::Mem, slice);
        self.push(Emitted {
            spec: write,
            slot: Some(Slot {
                at,
                unit,
                streams: Vec::new(),
            }),
        });
        let write_latency = self
            .target
            .latency(timetable_ir::registry::LatencyClass::MemWrite);
        Home {
            buffer,
            slice,
            bank,
            ready: at + u64::from(write_latency),
        }
    }

    /// Copies `v` to a new home in a bank none of `avoid` uses; the copy's ops go to `pre`.
    fn copy_home(
        &mut self,
        func: &Function,
        v: Handle<Value>,
        avoid: &[(u32, u32)],
        pre: &mut Vec<Emitted>,
    ) -> Home {
        let target = self.target;
        let from = self.homes[&v];
        let fp = self.mem_pos(from.slice);
        let read_latency = target.latency(timetable_ir::registry::LatencyClass::MemRead);
        let width = func.ty(v).elem().bytes();
        let mut issue = from.ready;
        loop {
            if !self.table.banks.contains(&(from.slice, from.bank, issue)) {
                for (slice, bank) in (0..target.mem_slices())
                    .flat_map(|s| (0..target.mem.banks).map(move |b| (s, b)))
                {
                    if avoid.contains(&(slice, bank)) || (slice, bank) == (from.slice, from.bank) {
                        continue;
                    }
                    if self.next_word[(slice * target.mem.banks + bank) as usize] + width
                        > target.mem.words_per_bank
                    {
                        continue;
                    }
                    let tp = self.mem_pos(slice);
                    let Some(tr) = self.route(
                        Self::direction(fp, tp),
                        width,
                        fp,
                        issue + u64::from(read_latency),
                        tp,
                        &[],
                    ) else {
                        continue;
                    };
                    let w_at = tr.arrival();
                    if self.table.banks.contains(&(slice, bank, w_at))
                        || w_at == issue && slice == from.slice && bank == from.bank
                    {
                        continue;
                    }
                    // Reserve and emit: read from the old home, write to the new one.
                    let copied = self.emit_home_read(func, v, from, &tr, read_latency, pre);
                    return self.write_home(copied, func.ty(v).elem(), slice, bank, w_at);
                }
            }
            issue += 1;
        }
    }
}
