//! What a scheduled function does with the machine: makespan, per-unit utilisation and
//! bubbles, stream occupancy and the memory high-water mark. All of it follows from the
//! schedule itself, so the report is computed from the plan, before and apart from the run.

use super::plan::{NONE, Plan, StoreOrigin};
use crate::program::{Kind, Program};
use std::fmt;
use timetable_ir::registry::UnitClass;
use timetable_ir::target::{Direction, StreamId, Target, UnitId};

/// Issues of one unit instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitStats {
    pub unit: UnitId,
    pub issues: u64,
    /// Cycles with at least one issue.
    pub busy: u64,
    pub first: u64,
    pub last: u64,
    /// Ops the unit can issue per cycle.
    pub capacity: u32,
}

impl UnitStats {
    /// Idle cycles between the unit's first and last issue.
    pub fn bubbles(&self) -> u64 {
        (self.last - self.first + 1) - self.busy
    }

    /// Issues over what the unit could issue in `cycles`.
    pub fn utilisation(&self, cycles: u64) -> f64 {
        self.issues as f64 / (f64::from(self.capacity) * cycles.max(1) as f64)
    }
}

/// Values carried by one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamStats {
    pub stream: StreamId,
    pub values: u64,
    /// Slot-cycles from each value's production to its farthest consumer.
    pub slot_cycles: u64,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub function: String,
    pub target: String,
    pub clock_mhz: u32,
    /// Cycles until every result has landed.
    pub makespan: u64,
    /// Unit ops issued (`icu` ops excluded).
    pub issues: u64,
    /// Element operations: `lanes` per vector op, `lanes²` per `mxm.mac`.
    pub lane_ops: u64,
    /// Units that issue at least once, west to east.
    pub units: Vec<UnitStats>,
    /// Streams that carry at least one value.
    pub streams: Vec<StreamStats>,
    /// Slot-cycles all streams offer over the makespan.
    pub stream_capacity: u64,
    /// Most memory words whose data is still needed, and the first cycle it happens.
    pub peak_words: u64,
    pub peak_cycle: u64,
    /// Words all buffers occupy.
    pub placed_words: u64,
    pub word_bytes: u32,
}

impl Report {
    pub fn new(program: &Program, target: &Target, plan: &Plan) -> Report {
        let lanes = u64::from(target.lanes);
        let makespan = plan
            .timed
            .iter()
            .map(|t| t.at + u64::from(t.latency))
            .max()
            .unwrap_or(0);
        let mut units: Vec<Option<UnitStats>> = vec![None; target.width() as usize];
        let (mut issues, mut lane_ops) = (0, 0);
        for &i in &plan.order {
            let (instr, t) = (&program.instrs[i as usize], &plan.timed[i as usize]);
            if matches!(instr.kind, Kind::Idle) {
                continue;
            }
            issues += 1;
            lane_ops += match instr.kind {
                Kind::Mac { .. } => lanes * lanes,
                Kind::Transpose => lanes * instr.results.len() as u64,
                _ => lanes,
            };
            let capacity = match t.unit.class {
                UnitClass::Vxm => target.vxm_alus,
                UnitClass::Sxm => target.sxm_issue,
                UnitClass::Mxm => target.mxm_planes,
                UnitClass::Mem => target.mem.banks,
                UnitClass::Icu => 1,
            };
            let u = units[t.pos as usize].get_or_insert(UnitStats {
                unit: t.unit,
                issues: 0,
                busy: 0,
                first: t.at,
                last: t.at,
                capacity,
            });
            if u.issues == 0 || u.last != t.at {
                u.busy += 1;
            }
            u.issues += 1;
            u.last = t.at;
        }

        let mut streams = std::collections::BTreeMap::<StreamId, StreamStats>::new();
        for (v, p) in plan.producer.iter().enumerate() {
            let Some(p) = p else { continue };
            for k in 0..p.group.width {
                let s = streams.entry(p.group.stream(k)).or_insert(StreamStats {
                    stream: p.group.stream(k),
                    values: 0,
                    slot_cycles: 0,
                });
                s.values += 1;
                s.slot_cycles += u64::from(plan.reach[v]) + 1;
            }
        }

        let (peak_words, peak_cycle) = memory_peak(program, plan, makespan);
        Report {
            function: program.func.name.text.clone(),
            target: target.name.clone(),
            clock_mhz: target.clock_mhz,
            makespan,
            issues,
            lane_ops,
            units: units.into_iter().flatten().collect(),
            streams: streams.into_values().collect(),
            stream_capacity: 2 * u64::from(target.streams) * u64::from(target.width()) * makespan,
            peak_words,
            peak_cycle,
            placed_words: plan
                .buffers
                .iter()
                .zip(&program.buffers)
                .map(|(l, b)| u64::from(l.width) * u64::from(b.vectors))
                .sum(),
            word_bytes: target.word_bytes(),
        }
    }

    pub fn micros(&self) -> f64 {
        self.makespan as f64 / f64::from(self.clock_mhz)
    }

    /// Idle cycles between first and last issue, summed over units.
    pub fn bubbles(&self) -> u64 {
        self.units.iter().map(UnitStats::bubbles).sum()
    }

    /// Used slot-cycles over all streams' slot-cycles.
    pub fn stream_occupancy(&self) -> f64 {
        let used: u64 = self.streams.iter().map(|s| s.slot_cycles).sum();
        used as f64 / self.stream_capacity.max(1) as f64
    }
}

/// The largest number of words holding data that a later read (or the host) needs. Each
/// store is live from when it lands to its last reader's issue (outputs: to the end).
fn memory_peak(program: &Program, plan: &Plan, makespan: u64) -> (u64, u64) {
    let mut end = vec![None::<u64>; plan.stores.len()];
    for (i, instr) in program.instrs.iter().enumerate() {
        if matches!(instr.kind, Kind::Read { .. }) && plan.store_of[i] != NONE {
            let e = &mut end[plan.store_of[i] as usize];
            *e = Some(e.unwrap_or(0).max(plan.timed[i].at));
        }
    }
    for (_, finals) in &plan.final_stores {
        for &s in finals.iter().filter(|&&s| s != NONE) {
            end[s as usize] = Some(makespan);
        }
    }
    let mut events: Vec<(u64, i64)> = Vec::new();
    for (s, origin) in plan.stores.iter().enumerate() {
        let Some(last) = end[s] else { continue };
        let (start, words) = match *origin {
            StoreOrigin::Host { buffer, .. } => (0, plan.buffers[buffer].width),
            StoreOrigin::Write { instr } => {
                let t = &plan.timed[instr as usize];
                let Kind::Write { buffer, .. } = program.instrs[instr as usize].kind else {
                    unreachable!("write stores come from writes")
                };
                (t.at + u64::from(t.latency), plan.buffers[buffer].width)
            }
        };
        if last >= start {
            events.push((start, i64::from(words)));
            events.push((last + 1, -i64::from(words)));
        }
    }
    // Ends before starts in one cycle: a word freed and reused in a cycle counts once.
    events.sort_by_key(|&(c, d)| (c, d));
    let (mut live, mut peak, mut at) = (0i64, 0i64, 0u64);
    for (c, d) in events {
        live += d;
        if live > peak {
            (peak, at) = (live, c);
        }
    }
    (peak as u64, at)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "@{} on @{}: {} cycles = {:.3} µs at {} MHz; {} ops issued, {} bubble cycles",
            self.function,
            self.target,
            self.makespan,
            self.micros(),
            self.clock_mhz,
            self.issues,
            self.bubbles()
        )?;
        let kib = |w: u64| w as f64 * f64::from(self.word_bytes) / 1024.0;
        writeln!(
            f,
            "memory: high-water mark {} words ({:.1} KiB) live from cycle {}; buffers occupy {} words ({:.1} KiB)",
            self.peak_words,
            kib(self.peak_words),
            self.peak_cycle,
            self.placed_words,
            kib(self.placed_words)
        )?;
        writeln!(f, "unit        ops   busy   util  bubbles  first   last")?;
        for u in &self.units {
            writeln!(
                f,
                "{:<8} {:>6} {:>6} {:>5.1}% {:>8} {:>6} {:>6}",
                u.unit.to_string(),
                u.issues,
                u.busy,
                100.0 * u.utilisation(self.makespan),
                u.bubbles(),
                u.first,
                u.last
            )?;
        }
        let per = |d: Direction| self.streams.iter().filter(|s| s.stream.dir == d).count();
        writeln!(
            f,
            "streams: {} east and {} west in use, {:.1}% of all slot-cycles occupied",
            per(Direction::East),
            per(Direction::West),
            100.0 * self.stream_occupancy()
        )?;
        if !self.streams.is_empty() {
            writeln!(f, "streams     values  slot-cycles (each)")?;
            // Runs of adjacent streams with the same figures (the streams of one stream
            // group usually) share a line.
            let mut i = 0;
            while i < self.streams.len() {
                let s = &self.streams[i];
                let mut j = i + 1;
                while j < self.streams.len() {
                    let (prev, t) = (&self.streams[j - 1], &self.streams[j]);
                    let adjacent =
                        t.stream.dir == prev.stream.dir && t.stream.index == prev.stream.index + 1;
                    if !adjacent || (t.values, t.slot_cycles) != (s.values, s.slot_cycles) {
                        break;
                    }
                    j += 1;
                }
                let name = if j - i == 1 {
                    s.stream.to_string()
                } else {
                    format!("{}-{}", s.stream, self.streams[j - 1].stream)
                };
                writeln!(f, "{name:<10} {:>6} {:>12}", s.values, s.slot_cycles)?;
                i = j;
            }
        }
        Ok(())
    }
}
