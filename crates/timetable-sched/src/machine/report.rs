//! The scheduler's report, modelled on llvm-mca's views: a summary (makespan in cycles
//! and µs, the lower bound and the gap to it), resource pressure (per-unit use), every
//! bubble with its cause, and a timeline of the first cycles.

use super::emit::Emitted;
use super::facts::{Facts, OpId};
use super::search::Found;
use super::state::{Blocker, Bound, NewKind, State};
use std::fmt::Write;
use timetable_dataflow::{Bottleneck, LowerBounds};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::{Target, UnitId};

/// What held an op back, by kind: the bubble summary adds up idle cycles by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Wait {
    /// An operand's producer.
    Operand,
    /// A memory or state dependence.
    Order,
    /// Placed on demand, timed for the op that reads its result.
    Reader,
    /// The unit's issue slots, taken by other ops.
    Unit,
    /// A memory bank (its own, or one an operand is read from).
    Bank,
    /// An MXM plane.
    Plane,
    /// Streams: no group free, or an operand that could not be brought sooner.
    Stream,
    /// Spill room: a slot, or a bank to keep a result for later readers.
    Spill,
    /// Added ops (re-issued reads, spill writes and reads), timed by what they serve.
    Added,
}

impl Wait {
    const ALL: [Wait; 9] = [
        Wait::Operand,
        Wait::Order,
        Wait::Reader,
        Wait::Unit,
        Wait::Bank,
        Wait::Plane,
        Wait::Stream,
        Wait::Spill,
        Wait::Added,
    ];

    fn name(self) -> &'static str {
        match self {
            Wait::Operand => "operand",
            Wait::Order => "order",
            Wait::Reader => "reader",
            Wait::Unit => "unit",
            Wait::Bank => "bank",
            Wait::Plane => "plane",
            Wait::Stream => "stream",
            Wait::Spill => "spill",
            Wait::Added => "added",
        }
    }
}

/// One op in the schedule, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub at: u64,
    pub unit: UnitId,
    pub delay: u32,
    /// Whether it takes an issue slot (`icu` ops do not, and make no bubbles).
    pub slot: bool,
    /// Short text: results, op name, operands.
    pub text: String,
    /// Why it issues in this cycle and not earlier.
    pub cause: String,
    /// What held it back until `ready` (`None`: nothing), then what until `at`.
    pub waits: (Option<Wait>, Option<Wait>),
    /// The cycle its data and dependences allowed.
    pub ready: u64,
}

/// Idle cycles of one unit between two of its issues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bubble {
    pub unit: UnitId,
    pub from: u64,
    pub cycles: u64,
    /// Why the next op did not issue sooner.
    pub cause: String,
    /// The idle cycles before the next op was ready, and after, by what held it back.
    pub split: [(Option<Wait>, u64); 2],
}

/// How busy one unit is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitUse {
    pub unit: UnitId,
    pub ops: u64,
    /// Cycles in which it issues at least one op.
    pub busy: u64,
    /// Ops it can issue per cycle (banks for a memory slice, planes for an MXM).
    pub width: u32,
    pub first: u64,
    pub last: u64,
}

/// What the scheduler added to the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Added {
    pub reissued_reads: usize,
    pub spill_slots: usize,
    pub spill_writes: usize,
    pub spill_reads: usize,
    pub nops: usize,
}

/// The report of one function.
#[derive(Clone, Debug)]
pub struct FunctionReport {
    pub function: String,
    pub makespan: u64,
    /// The best priority-rule schedule, before the search.
    pub baseline: u64,
    pub rule: &'static str,
    pub schedules: u64,
    pub bounds: LowerBounds,
    pub input_ops: usize,
    pub added: Added,
    pub units: Vec<UnitUse>,
    pub bubbles: Vec<Bubble>,
    /// Every issue, by cycle then unit.
    pub issued: Vec<Issued>,
    /// Wall time of each phase (for benchmarks; never printed, so output stays
    /// deterministic).
    pub phases: Phases,
}

/// Wall time spent in each phase of scheduling one function.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Phases {
    /// Lower bounds and the dependence facts (the dataflow crate's analyses).
    pub analysis: std::time::Duration,
    /// Priority lists, decoding and search.
    pub search: std::time::Duration,
    /// Writing the IR and placing spill slots.
    pub emit: std::time::Duration,
}

/// The report of a module.
#[derive(Clone, Debug)]
pub struct Report {
    pub target: Target,
    pub functions: Vec<FunctionReport>,
}

impl FunctionReport {
    pub(crate) fn new(
        f: &Facts,
        found: &Found,
        emitted: &Emitted,
        bounds: LowerBounds,
        phases: Phases,
    ) -> Self {
        let state = &found.state;
        let mut issued = Vec::new();
        for (id, o) in f.ops.iter().enumerate() {
            let p = state.placed[id].as_ref().expect("placed");
            issued.push(Issued {
                at: u64::from(p.at),
                unit: f.unit_at(p.pos),
                delay: o.latency,
                slot: o.class != UnitClass::Icu,
                text: op_text(f, id as OpId, state),
                cause: cause(f, state, id as OpId),
                waits: waits(p),
                ready: u64::from(p.why.ready),
            });
        }
        for (n, h) in state.new_ops.iter().zip(&emitted.new_handles) {
            let consumer = op_text(f, n.serves, state);
            let op = emitted.func.op(*h);
            let name = |v| format!("%{}", emitted.func.value(v).name);
            let (text, cause) = match n.kind {
                NewKind::Reissue { .. } => (
                    format!("{} = {} (again)", name(op.results[0]), op.opcode),
                    format!("read again for `{consumer}`"),
                ),
                NewKind::ReadBack { .. } => (
                    format!(
                        "{} = {} {}",
                        name(op.results[0]),
                        op.opcode,
                        name(op.operands[0])
                    ),
                    format!("read back from where the program stored it, for `{consumer}`"),
                ),
                NewKind::SpillWrite { home, .. } => {
                    let v = state.homes[home as usize].value;
                    (
                        format!("{} -> {}", name(op.operands[0]), name(op.operands[1])),
                        format!(
                            "spills `%{}` as it passes, for `{consumer}`",
                            f.func.value(v).name
                        ),
                    )
                }
                NewKind::SpillRead { .. } => (
                    format!(
                        "{} = {} {}",
                        name(op.results[0]),
                        op.opcode,
                        name(op.operands[0])
                    ),
                    format!("read back for `{consumer}`"),
                ),
            };
            issued.push(Issued {
                at: u64::from(n.at),
                unit: f.unit_at(n.pos),
                delay: state.new_latency(f, n),
                slot: true,
                text,
                cause,
                waits: (Some(Wait::Added), None),
                ready: u64::from(n.at),
            });
        }
        issued.sort_by_key(|a| (a.at, a.unit));
        let (units, bubbles) = pressure(f.target, &issued);
        FunctionReport {
            function: f.func.name.text.clone(),
            makespan: u64::from(found.makespan),
            baseline: u64::from(found.baseline),
            rule: found.rule,
            schedules: found.schedules,
            bounds,
            input_ops: f.ops.len(),
            added: Added {
                reissued_reads: emitted.reissues,
                spill_slots: emitted.spill_buffers,
                spill_writes: emitted.spill_writes,
                spill_reads: emitted.spill_reads,
                nops: emitted.nops,
            },
            units,
            bubbles,
            issued,
            phases,
        }
    }

    /// `(makespan - bound) / bound`, in percent.
    pub fn gap_percent(&self) -> f64 {
        let lb = self.bounds.makespan.max(1) as f64;
        (self.makespan as f64 - self.bounds.makespan as f64) / lb * 100.0
    }
}

/// Unit use and bubbles from the issues (sorted by cycle). `icu` ops take no issue slot
/// and make no bubbles.
fn pressure(target: &Target, issued: &[Issued]) -> (Vec<UnitUse>, Vec<Bubble>) {
    let mut by_unit: Vec<&Issued> = issued.iter().filter(|i| i.slot).collect();
    by_unit.sort_by_key(|i| (i.unit, i.at));
    let mut units = Vec::new();
    let mut bubbles = Vec::new();
    for run in by_unit.chunk_by(|a, b| a.unit == b.unit) {
        let unit = run[0].unit;
        let width = match unit.class {
            UnitClass::Mem => target.mem.banks,
            UnitClass::Vxm => target.vxm_alus,
            UnitClass::Sxm => target.sxm_issue,
            UnitClass::Mxm => target.mxm_planes,
            UnitClass::Icu => 1,
        };
        let mut busy = 0;
        let mut prev: Option<u64> = None;
        for i in run {
            if prev != Some(i.at) {
                busy += 1;
                if let Some(p) = prev
                    && i.at > p + 1
                {
                    let from = p + 1;
                    let before = i.ready.clamp(from, i.at) - from;
                    bubbles.push(Bubble {
                        unit,
                        from,
                        cycles: i.at - from,
                        cause: i.cause.clone(),
                        split: [(i.waits.0, before), (i.waits.1, i.at - from - before)],
                    });
                }
            }
            prev = Some(i.at);
        }
        units.push(UnitUse {
            unit,
            ops: run.len() as u64,
            busy,
            width,
            first: run[0].at,
            last: run[run.len() - 1].at,
        });
    }
    bubbles.sort_by_key(|b| (b.from, b.unit));
    (units, bubbles)
}

/// `%r = opcode %a, %b` with the input's value names.
fn op_text(f: &Facts, id: OpId, _state: &State) -> String {
    let o = f.op(id);
    let op = f.func.op(o.handle);
    let names = |vs: &[timetable_ir::Handle<timetable_ir::Value>]| {
        vs.iter()
            .map(|&v| format!("%{}", f.func.value(v).name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = String::new();
    if !op.results.is_empty() {
        let _ = write!(s, "{} = ", names(&op.results));
    }
    s.push_str(o.opcode.name());
    if !op.operands.is_empty() {
        let _ = write!(s, " {}", names(&op.operands));
    }
    if let Some(i) = op.attrs.get("index").and_then(|v| v.as_u64()) {
        let _ = write!(s, "[{i}]");
    }
    s
}

/// The kinds of what held a placed op back: before it was ready, and after.
fn waits(p: &super::state::Placed) -> (Option<Wait>, Option<Wait>) {
    let first = match p.why.bound {
        Bound::Start => None,
        Bound::Order(_) => Some(Wait::Order),
        Bound::Operand(_) => Some(Wait::Operand),
        Bound::Consumer(_) => Some(Wait::Reader),
    };
    let then = p
        .why
        .blocked
        .filter(|_| p.at > p.why.ready)
        .map(|b| match b {
            Blocker::Unit(_) => Wait::Unit,
            Blocker::Bank(_) => Wait::Bank,
            Blocker::Plane(_) => Wait::Plane,
            Blocker::Stream(_) | Blocker::Operand(_) => Wait::Stream,
            Blocker::Escape(_) | Blocker::Capacity(_) => Wait::Spill,
        });
    (first, then)
}

fn cause(f: &Facts, state: &State, id: OpId) -> String {
    let p = state.placed[id as usize].as_ref().expect("placed");
    let name = |v: timetable_ir::Handle<timetable_ir::Value>| f.func.value(v).name.clone();
    let bank = |b: u32| {
        format!(
            "bank {} of `mem.{}`",
            b % f.banks_per_slice,
            b / f.banks_per_slice
        )
    };
    let ready = p.why.ready;
    let mut text = match p.why.bound {
        Bound::Start => format!("ready in cycle {ready}"),
        Bound::Order(o) => format!(
            "after `{}` (memory/state order), from cycle {ready}",
            op_text(f, o, state)
        ),
        Bound::Operand(v) => format!("waits for `%{}` until cycle {ready}", name(v)),
        Bound::Consumer(c) => format!("timed for `{}`", op_text(f, c, state)),
    };
    if let Some(b) = p.why.blocked.filter(|_| p.at > ready) {
        let then = match b {
            Blocker::Unit(q) => format!("`{}` had no free issue slot", f.unit_at(q)),
            Blocker::Bank(b) => format!("{} was busy", bank(b)),
            Blocker::Plane(pl) => format!("MXM plane {pl} was busy"),
            Blocker::Stream(v) => format!("no stream group was free for `%{}`", name(v)),
            Blocker::Escape(v) => format!(
                "no bank `%{}` passes was free to keep it for its later readers",
                name(v)
            ),
            Blocker::Operand(v) => format!("`%{}` could not be brought here sooner", name(v)),
            Blocker::Capacity(b) => format!("{} had no free spill slot", bank(b)),
        };
        text.push_str(&format!("; then {then} until cycle {}", p.at));
    }
    text
}

impl Report {
    /// The whole report, with a timeline of the first `timeline_cycles` cycles.
    pub fn render(&self, timeline_cycles: u64) -> String {
        let mut out = String::new();
        for f in &self.functions {
            f.render(&self.target, timeline_cycles, &mut out);
        }
        out
    }
}

impl FunctionReport {
    fn render(&self, target: &Target, timeline_cycles: u64, out: &mut String) {
        let b = &self.bounds;
        let _ = writeln!(out, "== schedule of @{} on @{}", self.function, target.name);
        let _ = writeln!(
            out,
            "makespan:    {} cycles ({:.3} us at {} MHz)",
            self.makespan,
            target.cycles_to_us(self.makespan),
            target.clock_mhz
        );
        let bottleneck = match b.bottleneck {
            Bottleneck::CriticalPath => "the critical path".to_string(),
            Bottleneck::Resource(r) => format!("the work on {r}"),
        };
        let _ = writeln!(
            out,
            "lower bound: {} cycles (critical path {}, busiest resource {}; bound by {bottleneck}); gap {:.1}%",
            b.makespan,
            b.critical_path,
            b.resources.iter().map(|r| r.bound()).max().unwrap_or(0),
            self.gap_percent()
        );
        let _ = writeln!(
            out,
            "baseline:    {} cycles ({}), {} schedule(s) decoded",
            self.baseline, self.rule, self.schedules
        );
        let a = &self.added;
        let _ = writeln!(
            out,
            "ops:         {} scheduled; added {} re-issued read(s), {} spill slot(s) ({} write(s), {} read(s)), {} nop(s)",
            self.input_ops, a.reissued_reads, a.spill_slots, a.spill_writes, a.spill_reads, a.nops
        );
        let _ = writeln!(
            out,
            "\nresource use (cycles with an issue / ops / issue slots used):"
        );
        let _ = writeln!(
            out,
            "  {:<8} {:>7} {:>7} {:>7} {:>8}  {:>6}..{:<6}",
            "unit", "busy", "ops", "width", "slots%", "first", "last"
        );
        let span = self.makespan.max(1);
        for u in &self.units {
            let _ = writeln!(
                out,
                "  {:<8} {:>7} {:>7} {:>7} {:>7.1}%  {:>6}..{:<6}",
                u.unit.to_string(),
                u.busy,
                u.ops,
                u.width,
                u.ops as f64 * 100.0 / (u64::from(u.width) * span) as f64,
                u.first,
                u.last
            );
        }
        let idle: u64 = self.bubbles.iter().map(|b| b.cycles).sum();
        let _ = writeln!(
            out,
            "\nbubbles: {} ({} idle unit-cycles between first and last issue)",
            self.bubbles.len(),
            idle
        );
        self.render_bubble_causes(out);
        for bubble in &self.bubbles {
            let _ = writeln!(
                out,
                "  {:<8} cycles {}..{} ({}): {}",
                bubble.unit.to_string(),
                bubble.from,
                bubble.from + bubble.cycles - 1,
                bubble.cycles,
                bubble.cause
            );
        }
        self.render_timeline(timeline_cycles, out);
        out.push('\n');
    }

    /// Idle cycles per unit by what held back the op that ended them: the part before
    /// it was ready by what it waited for, the rest by what was taken.
    fn render_bubble_causes(&self, out: &mut String) {
        let mut rows: std::collections::BTreeMap<UnitId, [u64; Wait::ALL.len()]> =
            std::collections::BTreeMap::new();
        for b in &self.bubbles {
            let row = rows.entry(b.unit).or_default();
            for (wait, cycles) in b.split {
                // Nothing held it back before it was ready: the unit had nothing to do.
                if let Some(w) = wait {
                    row[w as usize] += cycles;
                }
            }
        }
        let used: Vec<Wait> = Wait::ALL
            .into_iter()
            .filter(|&w| rows.values().any(|r| r[w as usize] > 0))
            .collect();
        if used.is_empty() {
            return;
        }
        let _ = write!(
            out,
            "  idle cycles by what the next op waited for:\n  {:<8}",
            "unit"
        );
        for w in &used {
            let _ = write!(out, " {:>8}", w.name());
        }
        out.push('\n');
        for (unit, row) in rows {
            let _ = write!(out, "  {:<8}", unit.to_string());
            for &w in &used {
                let _ = write!(out, " {:>8}", row[w as usize]);
            }
            out.push('\n');
        }
    }

    fn render_timeline(&self, cycles: u64, out: &mut String) {
        let cycles = cycles.min(self.makespan.max(1));
        let shown: Vec<&Issued> = self.issued.iter().filter(|i| i.at < cycles).collect();
        let _ = writeln!(
            out,
            "\ntimeline, cycles 0..{} (I issue, = in flight, R result on its stream or write landed):",
            cycles - 1
        );
        let tens: String = (0..cycles)
            .map(|c| {
                if c % 10 == 0 {
                    char::from(b'0' + ((c / 10) % 10) as u8)
                } else {
                    ' '
                }
            })
            .collect();
        let ones: String = (0..cycles)
            .map(|c| char::from(b'0' + (c % 10) as u8))
            .collect();
        let _ = writeln!(out, "  {:<8} {tens}", "");
        let _ = writeln!(out, "  {:<8} {ones}", "");
        for i in shown {
            let row: String = (0..cycles)
                .map(|c| {
                    let done = i.at + u64::from(i.delay);
                    if c == i.at && i.delay == 0 {
                        'R'
                    } else if c == i.at {
                        'I'
                    } else if c > i.at && c < done {
                        '='
                    } else if c == done {
                        'R'
                    } else {
                        '.'
                    }
                })
                .collect();
            let _ = writeln!(out, "  {:<8} {row}  {}", i.unit.to_string(), i.text);
        }
    }
}
