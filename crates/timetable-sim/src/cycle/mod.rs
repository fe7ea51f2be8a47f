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
use plan::{NONE, StoreOrigin};
use std::rc::Rc;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::{Direction, Target};

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

/// Simulates a scheduled function on `inputs` (one tensor per input buffer, in order).
/// Errors are problems found before the run (missing slots or placements, buffers outside
/// memory, bad inputs); hazards met during the run are in [`SimRun::diags`].
pub fn simulate(
    program: &Program,
    target: &Target,
    inputs: &[Tensor],
    config: &SimConfig,
) -> Result<SimRun, Diagnostics> {
    let plan = Plan::new(program, target, inputs)?;
    let report = Report::new(program, target, &plan);
    let mut m = Machine::new(program, target, &plan, config);
    m.run();
    let outputs = m.diags.is_empty().then(|| m.outputs()).flatten();
    let trace = config
        .trace
        .then(|| trace::trace(program, target, &plan, &m.hazards).to_string());
    Ok(SimRun {
        outputs,
        diags: m.diags,
        hazards: m.hazards,
        cycles_run: m.cycle,
        report,
        trace,
    })
}

/// One stream slot: the value in it and where and when it was put there.
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

/// Something that happens when a latency has passed.
enum Event {
    /// The instruction's results appear on their streams.
    Produce(u32),
    /// A `mem.write` lands in its words.
    Commit(u32),
    /// An `mxm.load` lands in its weight row.
    Row(u32, Option<Rc<Lanes>>),
    /// An `mxm.mac` lands in its accumulator.
    Accumulate(u32, Option<Lanes>),
}

struct Machine<'a> {
    program: &'a Program<'a>,
    target: &'a Target,
    plan: &'a Plan,
    config: &'a SimConfig,
    width: u32,
    streams: u32,
    cycle: u64,
    /// `[direction][stream][ring index]`.
    slots: Vec<StreamSlot>,
    /// Data of each value (by value index) until its last reader has read it.
    values: Vec<Option<Rc<Lanes>>>,
    readers_left: Vec<u32>,
    /// Store tag of every memory word, bank after bank.
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
    pending: usize,
    /// Per position: (cycle, issues in it, first issuer).
    unit_use: Vec<(u64, u32, u32)>,
    /// Per plane: (cycle, issuer).
    plane_use: Vec<(u64, u32)>,
    /// Per bank: (cycle, accessor).
    bank_use: Vec<(u64, u32)>,
    /// After the first hazard, values are no longer computed (only checked).
    failed: bool,
    stopped: bool,
    diags: Diagnostics,
    hazards: Vec<Hazard>,
}

impl<'a> Machine<'a> {
    fn new(
        program: &'a Program<'a>,
        target: &'a Target,
        plan: &'a Plan,
        config: &'a SimConfig,
    ) -> Self {
        let width = target.width();
        let streams = target.streams;
        let lanes = target.lanes as usize;
        let planes = target.total_planes() as usize;
        let banks = (target.mem_slices() * target.mem.banks) as usize;
        let mut m = Machine {
            program,
            target,
            plan,
            config,
            width,
            streams,
            cycle: 0,
            slots: vec![EMPTY; 2 * (streams * width) as usize],
            values: vec![None; program.func.values.len()],
            readers_left: plan.readers.clone(),
            words: vec![NONE; banks * target.mem.words_per_bank as usize],
            store_data: plan.host_data.clone(),
            store_left: plan.store_readers.clone(),
            store_landed: vec![u64::MAX; plan.stores.len()],
            planes: vec![Plane::new(lanes, target.mxm_acc_slots as usize); planes],
            row_tags: vec![vec![NONE; lanes]; planes],
            acc_tags: vec![vec![NONE; target.mxm_acc_slots as usize]; planes],
            events: (0..(plan.max_latency + 1).next_power_of_two())
                .map(|_| Vec::new())
                .collect(),
            pending: 0,
            unit_use: vec![(u64::MAX, 0, 0); width as usize],
            plane_use: vec![(u64::MAX, 0); planes],
            bank_use: vec![(u64::MAX, 0); banks],
            failed: false,
            stopped: false,
            diags: Vec::new(),
            hazards: Vec::new(),
        };
        // The host's data is in memory before cycle 0.
        for (s, origin) in plan.stores.iter().enumerate() {
            if let StoreOrigin::Host { buffer, index } = *origin {
                m.land_store(s as u32, buffer, index, 0);
            }
        }
        m
    }

    // ---- the loop ---------------------------------------------------------------

    fn run(&mut self) {
        let order = &self.plan.order;
        let mut next = 0;
        let mask = self.events.len() as u64 - 1;
        loop {
            let next_issue = order.get(next).map(|&i| self.plan.timed[i as usize].at);
            let next_event = (self.pending > 0).then(|| {
                (self.cycle..)
                    .find(|c| !self.events[(c & mask) as usize].is_empty())
                    .expect("pending events are within the ring")
            });
            let Some(cycle) = next_issue.into_iter().chain(next_event).min() else {
                break;
            };
            if let Some(max) = self.config.max_cycles
                && cycle > max
            {
                let instr = order.get(next).copied().unwrap_or(0);
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
            let bucket = std::mem::take(&mut self.events[(cycle & mask) as usize]);
            self.pending -= bucket.len();
            for e in bucket {
                self.land(e);
            }
            while let Some(&i) = order.get(next) {
                if self.plan.timed[i as usize].at != cycle || self.stopped {
                    break;
                }
                self.issue(i);
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
            let mask = self.events.len() as u64 - 1;
            self.events[((self.cycle + u64::from(delay)) & mask) as usize].push(e);
            self.pending += 1;
        }
    }

    fn land(&mut self, e: Event) {
        match e {
            Event::Produce(i) => self.land_results(i),
            Event::Commit(i) => {
                let Kind::Write { buffer, index } = self.program.instrs[i as usize].kind else {
                    unreachable!("commits come from writes")
                };
                let s = self.plan.store_of[i as usize];
                self.land_store(s, buffer, index, self.cycle);
            }
            Event::Row(i, data) => self.land_row(i, data),
            Event::Accumulate(i, sum) => self.land_accumulate(i, sum),
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

    fn issue(&mut self, i: u32) {
        let instr = &self.program.instrs[i as usize];
        let timed = &self.plan.timed[i as usize];
        self.check_issue_rate(i);
        let mut operands = Vec::with_capacity(instr.operands.len());
        let mut ok = true;
        for &v in &instr.operands {
            match self.read_stream(i, v, timed.pos) {
                Some(d) => operands.push(d),
                None => ok = false,
            }
        }
        let compute = ok && !self.failed;
        let ov = self.target.int_overflow;
        match &instr.kind {
            Kind::Read { buffer, index } => {
                self.check_bank(i, *buffer);
                let data = self.read_memory(i, *buffer, *index);
                self.values[instr.results[0]] = data.filter(|_| compute);
                self.schedule(timed.latency, Event::Produce(i));
            }
            Kind::Write { buffer, .. } => {
                self.check_bank(i, *buffer);
                let s = self.plan.store_of[i as usize] as usize;
                self.store_data[s] = operands.pop().filter(|_| compute);
                self.schedule(timed.latency, Event::Commit(i));
            }
            Kind::Load { plane, .. } => {
                self.check_plane(i, *plane);
                self.schedule(
                    timed.latency,
                    Event::Row(i, operands.pop().filter(|_| compute)),
                );
            }
            Kind::Mac { plane, .. } => {
                self.check_plane(i, *plane);
                let rows_ok = self.check_rows(i, *plane);
                let sum = if compute && rows_ok && !self.failed {
                    match self.planes[*plane as usize].chunk(&operands[0], ov) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            let d = Diagnostic::error(codes::MXM_TYPE, e.to_string())
                                .primary(self.span(i), "in this op");
                            self.hazard(i, d);
                            None
                        }
                    }
                } else {
                    None
                };
                self.schedule(timed.latency, Event::Accumulate(i, sum));
            }
            Kind::Acc { plane, acc } => {
                self.check_plane(i, *plane);
                let tag_ok = self.check_accumulator(i, *plane, *acc, "reads");
                let data = if compute && tag_ok && !self.failed {
                    match self.planes[*plane as usize].read(*acc as usize, instr.result_elems[0]) {
                        Ok(d) => Some(Rc::new(d)),
                        Err(e) => {
                            let d = Diagnostic::error(codes::MXM_TYPE, e.to_string())
                                .primary(self.span(i), "in this op");
                            self.hazard(i, d);
                            None
                        }
                    }
                } else {
                    None
                };
                self.values[instr.results[0]] = data;
                self.schedule(timed.latency, Event::Produce(i));
            }
            Kind::Idle => {}
            kind => {
                if compute {
                    let refs: Vec<&Lanes> = operands.iter().map(|r| &**r).collect();
                    let mut out = vec![Lanes::I8(Vec::new()); instr.results.len()];
                    let group = self.target.transpose_group() as usize;
                    match exec::compute(kind, ov, group, &refs, &mut out) {
                        Ok(()) => {
                            for (&r, v) in instr.results.iter().zip(out) {
                                self.values[r] = Some(Rc::new(v));
                            }
                        }
                        Err(e) => {
                            let d = Diagnostic::error(codes::BAD_OPERANDS, e)
                                .primary(self.span(i), "in this op");
                            self.hazard(i, d);
                        }
                    }
                }
                self.schedule(timed.latency, Event::Produce(i));
            }
        }
    }

    // ---- streams ----------------------------------------------------------------

    fn slot_index(&self, dir: Direction, stream: u32, pos: u32, cycle: u64) -> usize {
        let w = u64::from(self.width);
        let c = cycle % w;
        let ring = match dir {
            Direction::East => (u64::from(pos) + w - c) % w,
            Direction::West => (u64::from(pos) + c) % w,
        };
        let d = match dir {
            Direction::East => 0,
            Direction::West => 1,
        };
        ((d * self.streams + stream) * self.width) as usize + ring as usize
    }

    /// The value on `stream` at `pos` in the current cycle, if any.
    fn slot_value(&self, dir: Direction, stream: u32, pos: u32) -> Option<StreamSlot> {
        let s = self.slots[self.slot_index(dir, stream, pos, self.cycle)];
        let elapsed = self.cycle.checked_sub(s.cycle)?;
        let hops = match dir {
            Direction::East => pos.checked_sub(s.pos)?,
            Direction::West => s.pos.checked_sub(pos)?,
        };
        (s.value != NONE && elapsed == u64::from(hops)).then_some(s)
    }

    fn land_results(&mut self, i: u32) {
        let instr = &self.program.instrs[i as usize];
        let timed = &self.plan.timed[i as usize];
        for (&v, g) in instr.results.iter().zip(&timed.groups) {
            let mut collided = false;
            for k in 0..g.width {
                let idx = self.slot_index(g.dir, g.first + k, timed.pos, self.cycle);
                let old = self.slots[idx];
                if !collided && old.value != NONE && old.cycle == self.cycle && old.pos == timed.pos
                {
                    // One report per stream group, naming its first colliding stream.
                    collided = true;
                    let d = hazards::collision(self, i, old.value, g.stream(k));
                    self.hazard(i, d);
                }
                self.slots[idx] = StreamSlot {
                    value: v as u32,
                    cycle: self.cycle,
                    pos: timed.pos,
                };
            }
            if self.readers_left[v] == 0 {
                self.values[v] = None;
            }
        }
    }

    /// Reads operand `v` of instruction `i` at position `q`: its data, or `None` after
    /// reporting why the stream does not hold it (or when values are no longer computed).
    fn read_stream(&mut self, i: u32, v: usize, q: u32) -> Option<Rc<Lanes>> {
        let Some(prod) = self.plan.producer[v] else {
            let d = Diagnostic::error(codes::BAD_OPERANDS, "an operand has no producer")
                .primary(self.span(i), "here");
            self.hazard(i, d);
            return None;
        };
        let g = prod.group;
        for k in 0..g.width {
            let found = self.slot_value(g.dir, g.first + k, q);
            if found.is_none_or(|s| s.value as usize != v) {
                let d = hazards::stream_read(self, i, v, &prod, q, k, found.map(|s| s.value));
                self.hazard(i, d);
                return None;
            }
        }
        let data = self.values[v].clone();
        self.readers_left[v] -= 1;
        if self.readers_left[v] == 0 {
            self.values[v] = None;
        }
        data
    }

    // ---- memory -----------------------------------------------------------------

    fn check_bank(&mut self, i: u32, buffer: usize) {
        let bank = self.plan.buffers[buffer].bank;
        let (cycle, other) = self.bank_use[bank];
        if cycle == self.cycle {
            let d = hazards::bank_conflict(self, i, other, buffer);
            self.hazard(i, d);
        } else {
            self.bank_use[bank] = (self.cycle, i);
        }
    }

    fn bank_words(&self, buffer: usize, index: u32) -> std::ops::Range<usize> {
        let loc = &self.plan.buffers[buffer];
        let base = loc.bank * self.target.mem.words_per_bank as usize;
        let w = loc.words(index);
        base + w.start..base + w.end
    }

    fn land_store(&mut self, s: u32, buffer: usize, index: u32, cycle: u64) {
        for w in self.bank_words(buffer, index) {
            self.words[w] = s;
        }
        self.store_landed[s as usize] = cycle;
        if self.store_left[s as usize] == 0 {
            self.store_data[s as usize] = None;
        }
    }

    fn read_memory(&mut self, i: u32, buffer: usize, index: u32) -> Option<Rc<Lanes>> {
        let expected = self.plan.store_of[i as usize];
        let words = self.bank_words(buffer, index);
        let found = self.words[words.clone()]
            .iter()
            .copied()
            .find(|&t| t != expected);
        if expected == NONE || found.is_some() {
            let d = hazards::memory_read(self, i, buffer, index, expected, found.unwrap_or(NONE));
            self.hazard(i, d);
            return None;
        }
        let s = expected as usize;
        let data = self.store_data[s].clone();
        self.store_left[s] -= 1;
        if self.store_left[s] == 0 {
            self.store_data[s] = None;
        }
        data
    }

    // ---- units ------------------------------------------------------------------

    fn check_issue_rate(&mut self, i: u32) {
        let timed = &self.plan.timed[i as usize];
        if matches!(self.program.instrs[i as usize].kind, Kind::Idle) {
            return;
        }
        let capacity = match timed.unit.class {
            UnitClass::Vxm => self.target.vxm_alus,
            UnitClass::Sxm => self.target.sxm_issue,
            // Memory is limited by its banks, MXMs by their planes, `icu` ops by nothing.
            UnitClass::Mem | UnitClass::Mxm | UnitClass::Icu => return,
        };
        let pos = timed.pos as usize;
        let (cycle, count, first) = self.unit_use[pos];
        let count = if cycle == self.cycle { count + 1 } else { 1 };
        let first = if cycle == self.cycle { first } else { i };
        self.unit_use[pos] = (self.cycle, count, first);
        if count == capacity + 1 {
            let d = hazards::oversubscribed(self, i, first, capacity);
            self.hazard(i, d);
        }
    }

    fn check_plane(&mut self, i: u32, plane: u32) {
        let (cycle, other) = self.plane_use[plane as usize];
        if cycle == self.cycle {
            let d = hazards::plane_busy(self, i, other, plane);
            self.hazard(i, d);
        } else {
            self.plane_use[plane as usize] = (self.cycle, i);
        }
    }

    fn check_rows(&mut self, i: u32, plane: u32) -> bool {
        let expected = self.plan.mac_rows[i as usize]
            .clone()
            .expect("every mac has expected rows");
        let tags = &self.row_tags[plane as usize];
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
        let holds = self.acc_tags[plane as usize][acc as usize];
        if holds == expected {
            return true;
        }
        let d = hazards::accumulator(self, i, plane, acc, expected, holds, verb);
        self.hazard(i, d);
        false
    }

    fn land_row(&mut self, i: u32, data: Option<Rc<Lanes>>) {
        let Kind::Load { plane, row } = self.program.instrs[i as usize].kind else {
            unreachable!("rows come from loads")
        };
        self.row_tags[plane as usize][row as usize] = i;
        if let Some(data) = data.filter(|_| !self.failed)
            && let Err(e) = self.planes[plane as usize].load(row as usize, &data)
        {
            let d = Diagnostic::error(codes::MXM_TYPE, e.to_string())
                .primary(self.span(i), "in this op");
            self.hazard(i, d);
        }
    }

    fn land_accumulate(&mut self, i: u32, sum: Option<Lanes>) {
        let Kind::Mac {
            plane,
            acc,
            accumulate,
        } = self.program.instrs[i as usize].kind
        else {
            unreachable!("accumulations come from macs")
        };
        if accumulate {
            self.check_accumulator(i, plane, acc, "accumulates onto");
        }
        self.acc_tags[plane as usize][acc as usize] = i;
        if let Some(sum) = sum.filter(|_| !self.failed)
            && let Err(e) = self.planes[plane as usize].accumulate(
                acc as usize,
                sum,
                accumulate,
                self.target.int_overflow,
            )
        {
            let d = Diagnostic::error(codes::MXM_TYPE, e.to_string())
                .primary(self.span(i), "in this op");
            self.hazard(i, d);
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
                let words = self.bank_words(*buffer, index as u32);
                match self.words[words].iter().copied().find(|&t| t != s) {
                    None => vectors.push(self.store_data[s as usize].clone()),
                    Some(found) => {
                        let d = hazards::output_overwritten(self, *buffer, index as u32, s, found);
                        self.hazard(last, d);
                    }
                }
            }
            let b = &self.program.buffers[*buffer];
            let refs: Vec<Option<&Lanes>> = vectors.iter().map(|v| v.as_deref()).collect();
            outputs.push(HostOutput::new(b, &refs, self.target.lanes));
        }
        self.diags.is_empty().then_some(MachineOutputs { outputs })
    }
}
