//! The cycle-level simulator of scheduled IR: streams shift one slice per cycle, units
//! issue on their cycle, memory banks read and write with their latencies, MXM planes
//! load weights and accumulate. It implements "Machine model and timing" of docs/ir.md
//! (with the choices of docs/semantics.md, section 10) and checks every value an op reads
//! against what body order says it must be: a hazard is a diagnostic, never a wrong value.
//!
//! Streams are rings indexed by `(position - cycle) mod width` (east) or
//! `(position + cycle) mod width` (west): a value written into a slot moves one position
//! per cycle without any copying, so time advances for free, and idle cycles are skipped.

mod hazards;
mod plan;
pub mod report;
pub mod trace;

pub use plan::Plan;
pub use report::Report;

use crate::codes;
use crate::exec;
use crate::lanes::Lanes;
use crate::mxm::Plane;
use crate::program::{Kind, Program};
use crate::reference::{HostOutput, MachineOutputs};
use crate::tensor::Tensor;
use plan::{Action, Issue, NONE, Read, StoreOrigin};
use rustc_hash::FxHashMap;
use std::rc::Rc;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::target::{Direction, Target};
use timetable_ir::types::ElemType;

/// How to run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Stop with an error (E4013) if anything would happen after this cycle.
    pub max_cycles: Option<u64>,
    /// Stop after this many hazards.
    pub max_errors: usize,
    /// Build a Perfetto trace ([`SimRun::trace`]).
    pub trace: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            max_cycles: None,
            max_errors: 20,
            trace: false,
        }
    }
}

/// A hazard as it happened: the cycle, the instruction that met it, its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub cycle: u64,
    pub instr: u32,
    pub code: &'static str,
}

/// The outcome of a simulation.
pub struct SimRun {
    /// The outputs the host reads, if the run had no hazard.
    pub outputs: Option<MachineOutputs>,
    /// Hazards (and other run errors), in the order met.
    pub diags: Diagnostics,
    pub hazards: Vec<Hazard>,
    /// The last cycle simulated.
    pub cycles_run: u64,
    pub report: Report,
    /// The Chrome/Perfetto trace JSON, if asked for.
    pub trace: Option<String>,
}

/// A scheduled function ready to simulate: everything about it that does not depend on
/// the run is computed once, here.
pub struct Simulator<'p> {
    program: &'p Program<'p>,
    target: &'p Target,
    plan: Plan,
    report: Report,
    /// The machine's tables from the last run, reused (runs in a loop allocate nothing).
    spare: std::cell::RefCell<Option<Tables>>,
}

impl<'p> Simulator<'p> {
    /// Prepares `program` with `inputs` (one tensor per input buffer, in order). Errors are
    /// problems found before the run: missing slots or placements, buffers outside
    /// memory, bad inputs.
    pub fn new(
        program: &'p Program<'p>,
        target: &'p Target,
        inputs: &[Tensor],
    ) -> Result<Self, Diagnostics> {
        let plan = Plan::new(program, target, inputs)?;
        let report = Report::new(program, target, &plan);
        Ok(Simulator {
            program,
            target,
            plan,
            report,
            spare: Default::default(),
        })
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Runs the cycle loop. Hazards met are in [`SimRun::diags`].
    pub fn run(&self, config: &SimConfig) -> SimRun {
        let spare = self.spare.borrow_mut().take();
        let mut m = Machine::new(self.program, self.target, &self.plan, config, spare);
        m.run();
        let outputs = m.diags.is_empty().then(|| m.outputs()).flatten();
        let (m, tables) = m.into_tables();
        *self.spare.borrow_mut() = Some(tables);
        let trace = config
            .trace
            .then(|| trace::trace(self.program, self.target, &self.plan, &m.hazards).to_string());
        SimRun {
            outputs,
            diags: m.diags,
            hazards: m.hazards,
            cycles_run: m.cycle,
            report: self.report.clone(),
            trace,
        }
    }
}

/// Prepares and runs in one call (see [`Simulator`]).
pub fn simulate(
    program: &Program,
    target: &Target,
    inputs: &[Tensor],
    config: &SimConfig,
) -> Result<SimRun, Diagnostics> {
    Ok(Simulator::new(program, target, inputs)?.run(config))
}

/// What a run leaves besides its outputs.
struct Finished {
    diags: Diagnostics,
    hazards: Vec<Hazard>,
    cycle: u64,
}

/// The pool of an element type.
fn pool_of(e: ElemType) -> usize {
    ElemType::ALL.iter().position(|&x| x == e).unwrap_or(0)
}

/// One stream slot: the value in it (dense id) and where and when it was put there.
#[derive(Clone, Copy, Debug)]
struct StreamSlot {
    value: u32,
    cycle: u64,
    pos: u32,
}

const EMPTY: StreamSlot = StreamSlot {
    value: NONE,
    cycle: 0,
    pos: 0,
};

/// Something that happens when a latency has passed; the number is the issue index.
/// Events are small (the ring holds many); the data of the rarer MXM events waits in
/// [`Machine::rows`] and [`Machine::sums`].
#[derive(Clone, Copy)]
enum Event {
    /// The results appear on their streams.
    Produce(u32),
    /// A `mem.write` lands in its words.
    Commit(u32),
    /// An `mxm.load` lands in its weight row.
    Row(u32),
    /// An `mxm.mac` lands in its accumulator.
    Accumulate(u32),
}

struct Machine<'a> {
    program: &'a Program<'a>,
    target: &'a Target,
    plan: &'a Plan,
    config: &'a SimConfig,
    width: u32,
    streams: u32,
    cycle: u64,
    /// `cycle % width`, for stream ring indices.
    cycle_mod: u32,
    /// The state with storage.
    t: Tables,
    pending: usize,
    /// Weight rows and chunk sums on their way, by issue index (`None`: not computed).
    rows: FxHashMap<u32, Option<Rc<Lanes>>>,
    sums: FxHashMap<u32, Option<Lanes>>,
    /// After the first hazard, values are no longer computed (only checked).
    failed: bool,
    stopped: bool,
    diags: Diagnostics,
    hazards: Vec<Hazard>,
}

/// The machine state that needs storage, kept between runs of one [`Simulator`].
struct Tables {
    /// `[direction][stream][ring index]`.
    slots: Vec<StreamSlot>,
    /// Data of each value (dense id) until its last reader has read it.
    values: Vec<Option<Rc<Lanes>>>,
    readers_left: Vec<u32>,
    /// Every memory word, bank after bank: the store it holds plus one (0: empty), so
    /// the table starts as zeroed memory.
    words: Vec<u32>,
    store_data: Vec<Option<Rc<Lanes>>>,
    store_left: Vec<u32>,
    /// The cycle each store landed (`u64::MAX`: not yet).
    store_landed: Vec<u64>,
    planes: Vec<Plane>,
    /// The load each weight row holds, per plane (`NONE`: initial zero).
    row_tags: Vec<Vec<u32>>,
    /// The mac each accumulator holds, per plane (`NONE`: initial zero).
    acc_tags: Vec<Vec<u32>>,
    events: Vec<Vec<Event>>,
    /// Per position: (cycle, issues in it, first issuer).
    unit_use: Vec<(u64, u32, u32)>,
    /// Per plane: (cycle, issuer).
    plane_use: Vec<(u64, u32)>,
    /// Per bank: (cycle, accessor).
    bank_use: Vec<(u64, u32)>,
    /// Vector storage no value holds any more, by element type, reused for new results.
    pools: [Vec<Rc<Lanes>>; 6],
    /// The operands of the op being issued (kept to reuse its storage).
    operands: Vec<Rc<Lanes>>,
}

impl Tables {
    fn new(target: &Target, plan: &Plan) -> Tables {
        let width = target.width() as usize;
        let lanes = target.lanes as usize;
        let planes = target.total_planes() as usize;
        let banks = (target.mem_slices() * target.mem.banks) as usize;
        Tables {
            slots: vec![EMPTY; 2 * target.streams as usize * width],
            values: Vec::new(),
            readers_left: Vec::new(),
            words: vec![0; banks * target.mem.words_per_bank as usize],
            store_data: Vec::new(),
            store_left: Vec::new(),
            store_landed: Vec::new(),
            planes: vec![Plane::new(lanes, target.mxm_acc_slots as usize); planes],
            row_tags: vec![vec![NONE; lanes]; planes],
            acc_tags: vec![vec![NONE; target.mxm_acc_slots as usize]; planes],
            events: (0..(plan.max_latency + 1).next_power_of_two())
                .map(|_| Vec::new())
                .collect(),
            unit_use: vec![(u64::MAX, 0, 0); width],
            plane_use: vec![(u64::MAX, 0); planes],
            bank_use: vec![(u64::MAX, 0); banks],
            pools: Default::default(),
            operands: Vec::new(),
        }
    }

    /// The initial state of a run of `plan` (tables of another size are rebuilt).
    fn reset(mut self, target: &Target, plan: &Plan) -> Tables {
        let fresh = Tables::new(target, plan);
        if self.events.len() != fresh.events.len() || self.words.len() != fresh.words.len() {
            return fresh;
        }
        self.slots.fill(EMPTY);
        self.values.clear();
        self.readers_left.clear();
        self.words.fill(0);
        self.store_data.clear();
        self.store_left.clear();
        self.store_landed.clear();
        self.planes.iter_mut().for_each(Plane::clear);
        self.row_tags.iter_mut().for_each(|t| t.fill(NONE));
        self.acc_tags.iter_mut().for_each(|t| t.fill(NONE));
        self.events.iter_mut().for_each(Vec::clear);
        self.unit_use.fill((u64::MAX, 0, 0));
        self.plane_use.fill((u64::MAX, 0));
        self.bank_use.fill((u64::MAX, 0));
        self.operands.clear();
        self
    }
}

impl<'a> Machine<'a> {
    fn new(
        program: &'a Program<'a>,
        target: &'a Target,
        plan: &'a Plan,
        config: &'a SimConfig,
        spare: Option<Tables>,
    ) -> Self {
        let mut t = match spare {
            Some(t) => t.reset(target, plan),
            None => Tables::new(target, plan),
        };
        t.values.resize(plan.dense_readers.len(), None);
        t.readers_left.extend_from_slice(&plan.dense_readers);
        t.store_data.extend(plan.host_data.iter().cloned());
        t.store_left.extend_from_slice(&plan.store_readers);
        t.store_landed.resize(plan.stores.len(), u64::MAX);
        let mut m = Machine {
            program,
            target,
            plan,
            config,
            width: target.width(),
            streams: target.streams,
            cycle: 0,
            cycle_mod: 0,
            t,
            pending: 0,
            rows: FxHashMap::default(),
            sums: FxHashMap::default(),
            failed: false,
            stopped: false,
            diags: Vec::new(),
            hazards: Vec::new(),
        };
        // The host's data is in memory before cycle 0.
        for (s, origin) in plan.stores.iter().enumerate() {
            if let StoreOrigin::Host { buffer, index } = *origin {
                let words = m.bank_words(buffer, index);
                m.land_store(s as u32, words, 0);
            }
        }
        m
    }

    /// Gives back the tables for the next run; what the run produced stays in `Finished`.
    fn into_tables(mut self) -> (Finished, Tables) {
        // Values still held go back to the pools rather than to the allocator.
        let held: Vec<Rc<Lanes>> = self
            .t
            .values
            .iter_mut()
            .chain(self.t.store_data.iter_mut())
            .filter_map(Option::take)
            .collect();
        for rc in held {
            self.recycle(rc);
        }
        let finished = Finished {
            diags: self.diags,
            hazards: self.hazards,
            cycle: self.cycle,
        };
        let tables = self.t;
        (finished, tables)
    }

    // ---- the loop ---------------------------------------------------------------

    fn run(&mut self) {
        let issues = &self.plan.issues;
        let mut next = 0;
        let mask = self.t.events.len() as u64 - 1;
        loop {
            let next_issue = issues.get(next).map(|i| i.at);
            let next_event = (self.pending > 0).then(|| {
                (self.cycle..)
                    .find(|c| !self.t.events[(c & mask) as usize].is_empty())
                    .expect("pending events are within the ring")
            });
            let Some(cycle) = next_issue.into_iter().chain(next_event).min() else {
                break;
            };
            if let Some(max) = self.config.max_cycles
                && cycle > max
            {
                let instr = issues.get(next).map_or(0, |i| i.instr);
                self.diags.push(
                    Diagnostic::error(
                        codes::MAX_CYCLES,
                        format!("the run goes past --max-cycles {max}"),
                    )
                    .primary(
                        self.span(instr),
                        format!("the next event is in cycle {cycle}"),
                    )
                    .note("raise --max-cycles to run further"),
                );
                break;
            }
            self.cycle = cycle;
            self.cycle_mod = (cycle % u64::from(self.width)) as u32;
            let mut bucket = std::mem::take(&mut self.t.events[(cycle & mask) as usize]);
            self.pending -= bucket.len();
            for &e in &bucket {
                self.land(e);
            }
            bucket.clear();
            // Give the bucket's storage back to the ring.
            if self.t.events[(cycle & mask) as usize].is_empty() {
                self.t.events[(cycle & mask) as usize] = bucket;
            }
            while let Some(issue) = issues.get(next) {
                if issue.at != cycle || self.stopped {
                    break;
                }
                self.issue(next as u32, issue);
                next += 1;
            }
            if self.stopped {
                break;
            }
        }
    }

    fn schedule(&mut self, delay: u32, e: Event) {
        if delay == 0 {
            self.land(e);
        } else {
            let mask = self.t.events.len() as u64 - 1;
            self.t.events[((self.cycle + u64::from(delay)) & mask) as usize].push(e);
            self.pending += 1;
        }
    }

    fn land(&mut self, e: Event) {
        let issues = &self.plan.issues;
        match e {
            Event::Produce(k) => self.land_results(&issues[k as usize]),
            Event::Commit(k) => {
                let Action::Write { access, store } = issues[k as usize].action else {
                    unreachable!("commits come from writes")
                };
                self.land_store(store, access.words(), self.cycle);
            }
            Event::Row(k) => {
                let data = self.rows.remove(&k).flatten();
                self.land_row(&issues[k as usize], data)
            }
            Event::Accumulate(k) => {
                let sum = self.sums.remove(&k).flatten();
                self.land_accumulate(&issues[k as usize], sum)
            }
        }
    }

    fn span(&self, instr: u32) -> timetable_ir::Span {
        self.program
            .func
            .op_span(self.program.instrs[instr as usize].op)
    }

    /// Records a hazard; stops the run after `max_errors`.
    fn hazard(&mut self, instr: u32, d: Diagnostic) {
        self.failed = true;
        self.hazards.push(Hazard {
            cycle: self.cycle,
            instr,
            code: d.code,
        });
        self.diags.push(d);
        if self.diags.len() >= self.config.max_errors {
            self.stopped = true;
            if let Some(last) = self.diags.last_mut() {
                last.notes
                    .push(format!("stopping after {} hazards", self.config.max_errors));
            }
        }
    }

    // ---- issuing ----------------------------------------------------------------

    fn issue(&mut self, k: u32, issue: &Issue) {
        let i = issue.instr;
        if issue.capacity > 0 {
            self.check_issue_rate(issue);
        }
        let mut operands = std::mem::take(&mut self.t.operands);
        let mut ok = true;
        for read in &self.plan.reads[issue.reads.0 as usize..issue.reads.1 as usize] {
            match self.read_stream(i, read, issue.pos) {
                Some(d) => operands.push(d),
                None => ok = false,
            }
        }
        let compute = ok && !self.failed;
        let ov = self.target.int_overflow;
        match &issue.action {
            &Action::Read { access, store } => {
                self.check_bank(i, &access);
                let data = self.read_memory(i, &access, store);
                let r = self.plan.productions[issue.productions.0 as usize].value;
                self.t.values[r as usize] = data.filter(|_| compute);
                self.schedule(issue.latency, Event::Produce(k));
            }
            &Action::Write { access, store } => {
                self.check_bank(i, &access);
                self.t.store_data[store as usize] = operands.pop().filter(|_| compute);
                self.schedule(issue.latency, Event::Commit(k));
            }
            &Action::Op(Kind::Load { plane, .. }) => {
                self.check_plane(i, plane);
                let row = operands.pop().filter(|_| compute);
                self.rows.insert(k, row);
                self.schedule(issue.latency, Event::Row(k));
            }
            &Action::Op(Kind::Mac { plane, .. }) => {
                self.check_plane(i, plane);
                let rows_ok = self.check_rows(i, plane);
                let sum = if compute && rows_ok && !self.failed {
                    match self.t.planes[plane as usize].chunk(&operands[0], ov) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            self.mxm_error(i, e);
                            None
                        }
                    }
                } else {
                    None
                };
                self.sums.insert(k, sum);
                self.schedule(issue.latency, Event::Accumulate(k));
            }
            &Action::Op(Kind::Acc { plane, acc }) => {
                let elem = self.plan.productions[issue.productions.0 as usize].elem;
                self.check_plane(i, plane);
                let tag_ok = self.check_accumulator(i, plane, acc, "reads");
                let data = if compute && tag_ok && !self.failed {
                    match self.t.planes[plane as usize].read(acc as usize, elem) {
                        Ok(d) => Some(Rc::new(d)),
                        Err(e) => {
                            self.mxm_error(i, e);
                            None
                        }
                    }
                } else {
                    None
                };
                let r = self.plan.productions[issue.productions.0 as usize].value;
                self.t.values[r as usize] = data;
                self.schedule(issue.latency, Event::Produce(k));
            }
            Action::Op(Kind::Idle) => {}
            Action::Op(kind) => {
                if compute {
                    self.compute(issue, kind, &operands);
                }
                self.schedule(issue.latency, Event::Produce(k));
            }
        }
        for rc in operands.drain(..) {
            self.recycle(rc);
        }
        self.t.operands = operands;
    }

    fn mxm_error(&mut self, i: u32, e: crate::mxm::MxmError) {
        let d =
            Diagnostic::error(codes::MXM_TYPE, e.to_string()).primary(self.span(i), "in this op");
        self.hazard(i, d);
    }

    /// Computes a data op's results into recycled storage.
    fn compute(&mut self, issue: &Issue, kind: &Kind, operands: &[Rc<Lanes>]) {
        let ov = self.target.int_overflow;
        let group = self.target.transpose_group() as usize;
        let results =
            &self.plan.productions[issue.productions.0 as usize..issue.productions.1 as usize];
        let result = if let [r] = results {
            let mut rc = self.t.pools[pool_of(r.elem)].pop().unwrap_or_default();
            let out = Rc::get_mut(&mut rc).expect("pooled storage is unshared");
            exec::compute(kind, ov, group, operands, std::slice::from_mut(out))
                .map(|()| self.t.values[r.value as usize] = Some(rc))
        } else {
            let mut out = vec![Lanes::default(); results.len()];
            exec::compute(kind, ov, group, operands, &mut out).map(|()| {
                for (r, v) in results.iter().zip(out) {
                    self.t.values[r.value as usize] = Some(Rc::new(v));
                }
            })
        };
        if let Err(e) = result {
            let d = Diagnostic::error(codes::BAD_OPERANDS, e)
                .primary(self.span(issue.instr), "in this op");
            self.hazard(issue.instr, d);
        }
    }

    /// Keeps the storage of a vector nobody else holds, for the next result.
    fn recycle(&mut self, rc: Rc<Lanes>) {
        let pool = &mut self.t.pools[pool_of(rc.elem())];
        if Rc::strong_count(&rc) == 1 && pool.len() < 4096 {
            pool.push(rc);
        }
    }

    // ---- streams ----------------------------------------------------------------

    /// The ring slot of `stream` at `pos` in the current cycle: east rings are indexed
    /// by `(pos - cycle) mod width`, west rings by `(pos + cycle) mod width`, so a value
    /// stays in its slot while it moves.
    fn slot_index(&self, dir: Direction, stream: u32, pos: u32) -> usize {
        let (w, c) = (self.width, self.cycle_mod);
        let (ring, d) = match dir {
            Direction::East => (if pos >= c { pos - c } else { pos + w - c }, 0),
            Direction::West => (if pos + c >= w { pos + c - w } else { pos + c }, 1),
        };
        ((d * self.streams + stream) * w + ring) as usize
    }

    /// The value on `stream` at `pos` in the current cycle, if any.
    fn slot_value(&self, dir: Direction, stream: u32, pos: u32) -> Option<StreamSlot> {
        let s = self.t.slots[self.slot_index(dir, stream, pos)];
        let elapsed = self.cycle.checked_sub(s.cycle)?;
        let hops = match dir {
            Direction::East => pos.checked_sub(s.pos)?,
            Direction::West => s.pos.checked_sub(pos)?,
        };
        (s.value != NONE && elapsed == u64::from(hops)).then_some(s)
    }

    fn land_results(&mut self, issue: &Issue) {
        let productions =
            &self.plan.productions[issue.productions.0 as usize..issue.productions.1 as usize];
        for p in productions {
            let g = p.group;
            let mut collided = false;
            for k in 0..g.width {
                let idx = self.slot_index(g.dir, g.first + k, issue.pos);
                let old = self.t.slots[idx];
                if !collided && old.value != NONE && old.cycle == self.cycle && old.pos == issue.pos
                {
                    // One report per stream group, naming its first colliding stream.
                    collided = true;
                    let d = hazards::collision(self, issue.instr, old.value, g.stream(k));
                    self.hazard(issue.instr, d);
                }
                self.t.slots[idx] = StreamSlot {
                    value: p.value,
                    cycle: self.cycle,
                    pos: issue.pos,
                };
            }
            if self.t.readers_left[p.value as usize] == 0
                && let Some(rc) = self.t.values[p.value as usize].take()
            {
                self.recycle(rc);
            }
        }
    }

    /// Reads an operand of instruction `i` at position `q`: its data, or `None` after
    /// reporting why the stream does not hold it (or when values are no longer computed).
    fn read_stream(&mut self, i: u32, read: &Read, q: u32) -> Option<Rc<Lanes>> {
        let (v, g) = (read.value as usize, read.group);
        for k in 0..g.width {
            let found = self.slot_value(g.dir, g.first + k, q);
            if found.is_none_or(|s| s.value != read.value) {
                let d = hazards::stream_read(self, i, read.value, q, k, found.map(|s| s.value));
                self.hazard(i, d);
                return None;
            }
        }
        self.t.readers_left[v] -= 1;
        if self.t.readers_left[v] == 0 {
            self.t.values[v].take()
        } else {
            self.t.values[v].clone()
        }
    }

    // ---- memory -----------------------------------------------------------------

    fn check_bank(&mut self, i: u32, access: &plan::Access) {
        let (cycle, other) = self.t.bank_use[access.bank as usize];
        if cycle == self.cycle {
            let d = hazards::bank_conflict(self, i, other, access.buffer as usize);
            self.hazard(i, d);
        } else {
            self.t.bank_use[access.bank as usize] = (self.cycle, i);
        }
    }

    fn bank_words(&self, buffer: usize, index: u32) -> std::ops::Range<usize> {
        let loc = &self.plan.buffers[buffer];
        let base = loc.bank * self.target.mem.words_per_bank as usize;
        let w = loc.words(index);
        base + w.start..base + w.end
    }

    fn land_store(&mut self, s: u32, words: std::ops::Range<usize>, cycle: u64) {
        self.t.words[words].fill(s + 1);
        self.t.store_landed[s as usize] = cycle;
        if self.t.store_left[s as usize] == 0
            && let Some(rc) = self.t.store_data[s as usize].take()
        {
            self.recycle(rc);
        }
    }

    fn read_memory(&mut self, i: u32, access: &plan::Access, expected: u32) -> Option<Rc<Lanes>> {
        // `NONE + 1` wraps to 0, the empty word: "never written" expects empty words.
        let tag = expected.wrapping_add(1);
        let found = self.t.words[access.words()]
            .iter()
            .find(|&&t| t != tag)
            .map(|&t| t.wrapping_sub(1));
        if expected == NONE || found.is_some() {
            let (buffer, index) = (access.buffer as usize, access.index);
            let d = hazards::memory_read(self, i, buffer, index, expected, found.unwrap_or(NONE));
            self.hazard(i, d);
            return None;
        }
        let s = expected as usize;
        self.t.store_left[s] -= 1;
        if self.t.store_left[s] == 0 {
            self.t.store_data[s].take()
        } else {
            self.t.store_data[s].clone()
        }
    }

    // ---- units ------------------------------------------------------------------

    fn check_issue_rate(&mut self, issue: &Issue) {
        let pos = issue.pos as usize;
        let (cycle, count, first) = self.t.unit_use[pos];
        let (count, first) = if cycle == self.cycle {
            (count + 1, first)
        } else {
            (1, issue.instr)
        };
        self.t.unit_use[pos] = (self.cycle, count, first);
        if count == issue.capacity + 1 {
            let d = hazards::oversubscribed(self, issue.instr, first, issue.capacity);
            self.hazard(issue.instr, d);
        }
    }

    fn check_plane(&mut self, i: u32, plane: u32) {
        let (cycle, other) = self.t.plane_use[plane as usize];
        if cycle == self.cycle {
            let d = hazards::plane_busy(self, i, other, plane);
            self.hazard(i, d);
        } else {
            self.t.plane_use[plane as usize] = (self.cycle, i);
        }
    }

    fn check_rows(&mut self, i: u32, plane: u32) -> bool {
        let expected = self.plan.mac_rows[i as usize]
            .clone()
            .expect("every mac has expected rows");
        let tags = &self.t.row_tags[plane as usize];
        match (0..expected.len()).find(|&r| tags[r] != expected[r]) {
            None => true,
            Some(row) => {
                let d = hazards::weight_row(self, i, plane, row, expected[row], tags[row]);
                self.hazard(i, d);
                false
            }
        }
    }

    fn check_accumulator(&mut self, i: u32, plane: u32, acc: u32, verb: &str) -> bool {
        let expected = self.plan.acc_expect[i as usize];
        let holds = self.t.acc_tags[plane as usize][acc as usize];
        if holds == expected {
            return true;
        }
        let d = hazards::accumulator(self, i, plane, acc, expected, holds, verb);
        self.hazard(i, d);
        false
    }

    fn land_row(&mut self, issue: &Issue, data: Option<Rc<Lanes>>) {
        let Action::Op(Kind::Load { plane, row }) = issue.action else {
            unreachable!("rows come from loads")
        };
        self.t.row_tags[plane as usize][row as usize] = issue.instr;
        if let Some(data) = data.filter(|_| !self.failed) {
            if let Err(e) = self.t.planes[plane as usize].load(row as usize, &data) {
                self.mxm_error(issue.instr, e);
            }
            self.recycle(data);
        }
    }

    fn land_accumulate(&mut self, issue: &Issue, sum: Option<Lanes>) {
        let Action::Op(Kind::Mac {
            plane,
            acc,
            accumulate,
        }) = issue.action
        else {
            unreachable!("accumulations come from macs")
        };
        let i = issue.instr;
        if accumulate {
            self.check_accumulator(i, plane, acc, "accumulates onto");
        }
        self.t.acc_tags[plane as usize][acc as usize] = i;
        if let Some(sum) = sum.filter(|_| !self.failed)
            && let Err(e) = self.t.planes[plane as usize].accumulate(
                acc as usize,
                sum,
                accumulate,
                self.target.int_overflow,
            )
        {
            self.mxm_error(i, e);
        }
    }

    // ---- the end ----------------------------------------------------------------

    /// What the host reads: every output vector must hold its last write.
    fn outputs(&mut self) -> Option<MachineOutputs> {
        let mut outputs = Vec::new();
        let last = self.program.instrs.len().saturating_sub(1) as u32;
        for (buffer, finals) in &self.plan.final_stores {
            let mut vectors = Vec::new();
            for (index, &s) in finals.iter().enumerate() {
                // Never written: the host reads zeros, whatever the words hold.
                if s == NONE {
                    vectors.push(None);
                    continue;
                }
                let words = self.bank_words(*buffer, index as u32);
                match self.t.words[words]
                    .iter()
                    .find(|&&t| t != s.wrapping_add(1))
                    .map(|&t| t.wrapping_sub(1))
                {
                    None => vectors.push(
                        self.t.store_data[s as usize]
                            .take()
                            .map(Rc::unwrap_or_clone),
                    ),
                    Some(found) => {
                        let d = hazards::output_overwritten(self, *buffer, index as u32, s, found);
                        self.hazard(last, d);
                    }
                }
            }
            let b = &self.program.buffers[*buffer];
            outputs.push(HostOutput::new(b, vectors, self.target.lanes));
        }
        self.diags.is_empty().then_some(MachineOutputs { outputs })
    }
}
