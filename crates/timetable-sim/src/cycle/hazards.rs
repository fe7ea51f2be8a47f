//! The diagnostics of hazards: each names the op that met it (primary label) and the
//! other parties (secondary labels), with the cycles and positions involved.

use super::Machine;
use super::plan::{NONE, Prod, StoreOrigin};
use crate::codes;
use timetable_ir::diag::Diagnostic;
use timetable_ir::target::{Direction, StreamId};

impl Machine<'_> {
    /// `` `vxm.add` %s0 ``: an instruction by its op and first result.
    fn describe(&self, instr: u32) -> String {
        let func = self.program.func;
        let op = func.op(self.program.instrs[instr as usize].op);
        match op.results.first() {
            Some(&r) => format!("`{}` (%{})", op.opcode, func.value(r).name),
            None => format!("`{}`", op.opcode),
        }
    }

    /// `%name` of a value by dense id.
    fn value_name(&self, dense: u32) -> String {
        let func = self.program.func;
        let v = self.plan.arena_of_dense[dense as usize] as usize;
        format!("%{}", func.value(timetable_ir::Handle::new(v)).name)
    }

    fn producer(&self, dense: u32) -> Prod {
        self.plan.producer[self.plan.arena_of_dense[dense as usize] as usize]
            .expect("produced values have producers")
    }

    fn unit_at(&self, pos: u32) -> String {
        self.target.positions()[pos as usize].to_string()
    }

    fn produced_label(&self, v: u32, p: &Prod) -> (timetable_ir::Span, String) {
        (
            self.span(p.instr),
            format!(
                "{} is produced here: on {} at `{}` in cycle {}",
                self.value_name(v),
                p.group.stream(0),
                self.unit_at(p.pos),
                p.cycle
            ),
        )
    }

    fn buffer_slot(&self, buffer: usize, index: u32) -> String {
        format!("`%{}`[{index}]", self.program.buffers[buffer].name)
    }

    fn store_text(&self, s: u32) -> String {
        match self.plan.stores[s as usize] {
            StoreOrigin::Host { buffer, index } => {
                format!("the host's data of {}", self.buffer_slot(buffer, index))
            }
            StoreOrigin::Write { instr } => {
                let t = &self.plan.timed[instr as usize];
                format!("the data {} wrote in cycle {}", self.describe(instr), t.at)
            }
        }
    }

    fn store_label(&self, d: Diagnostic, s: u32, what: &str) -> Diagnostic {
        match self.plan.stores[s as usize] {
            StoreOrigin::Host { buffer, .. } => {
                d.secondary(self.program.buffers[buffer].span, what)
            }
            StoreOrigin::Write { instr } => d.secondary(self.span(instr), what),
        }
    }
}

fn dir_name(d: Direction) -> &'static str {
    match d {
        Direction::East => "east",
        Direction::West => "west",
    }
}

pub(super) fn collision(m: &Machine, i: u32, other_value: u32, stream: StreamId) -> Diagnostic {
    let t = &m.plan.timed[i as usize];
    let other = m.producer(other_value).instr;
    Diagnostic::error(
        codes::STREAM_COLLISION,
        format!(
            "stream collision: {} and {} both put a value on {stream} at `{}` in cycle {}",
            m.describe(i),
            m.describe(other),
            m.unit_at(t.pos),
            m.cycle
        ),
    )
    .primary(m.span(i), format!("writes {stream} in cycle {}", m.cycle))
    .secondary(m.span(other), "also writes it")
}

pub(super) fn stream_read(
    m: &Machine,
    i: u32,
    v: u32,
    q: u32,
    k: u32,
    found: Option<u32>,
) -> Diagnostic {
    let prod = &m.producer(v);
    let stream = prod.group.stream(k);
    let name = m.value_name(v);
    let (t, unit) = (m.cycle, m.unit_at(q));
    let (pspan, plabel) = m.produced_label(v, prod);
    let d = match prod.arrival(q) {
        None => Diagnostic::error(
            codes::OPERAND_UNREACHABLE,
            format!(
                "{name} never reaches `{unit}`: it flows {} from `{}` on {stream}",
                dir_name(prod.group.dir),
                m.unit_at(prod.pos)
            ),
        )
        .primary(m.span(i), format!("reads {name} at `{unit}`, upstream of its producer"))
        .note("a consumer must be downstream of its operand's producer in the stream's direction"),
        Some(a) if t < a => Diagnostic::error(
            codes::OPERAND_NOT_ARRIVED,
            format!(
                "{} issues in cycle {t}, before its operand {name} arrives at `{unit}` in cycle {a}",
                m.describe(i)
            ),
        )
        .primary(m.span(i), format!("issued {} cycle(s) too early", a - t)),
        Some(a) => {
            let d = match found {
                None => Diagnostic::error(
                    codes::STREAM_EMPTY,
                    format!("{} reads {stream} at `{unit}` in cycle {t} and finds it empty", m.describe(i)),
                )
                .primary(m.span(i), format!("expects {name}")),
                Some(w) => {
                    let wname = m.value_name(w);
                    let d = Diagnostic::error(
                        codes::STREAM_WRONG_VALUE,
                        format!("{} reads {stream} at `{unit}` in cycle {t} and finds {wname}, not {name}", m.describe(i)),
                    )
                    .primary(m.span(i), format!("expects {name}"));
                    let o = m.producer(w);
                    d.secondary(
                        m.span(o.instr),
                        format!("{wname} comes from here: on {} at `{}` in cycle {}", o.group.stream(0), m.unit_at(o.pos), o.cycle),
                    )
                }
            };
            if a == t {
                d.note(format!(
                    "{name} was replaced on its way: a producer downstream of its producer wrote {stream} before {name} got here"
                ))
            } else {
                d.note(format!("{name} passed `{unit}` in cycle {a}, {} cycle(s) earlier", t - a))
            }
        }
    };
    d.secondary(pspan, plabel)
}

pub(super) fn bank_conflict(m: &Machine, i: u32, other: u32, buffer: usize) -> Diagnostic {
    let p = m.program.buffers[buffer]
        .placement
        .expect("located buffers are placed");
    let verb = |j: u32| match m.program.instrs[j as usize].kind {
        crate::program::Kind::Write { .. } => "written",
        _ => "read",
    };
    Diagnostic::error(
        codes::BANK_CONFLICT,
        format!(
            "bank conflict: bank {} of `mem.{}` is {} by {} and {} by {} in cycle {}",
            p.bank,
            p.slice,
            verb(other),
            m.describe(other),
            verb(i),
            m.describe(i),
            m.cycle
        ),
    )
    .primary(m.span(i), "second access to the bank in this cycle")
    .secondary(m.span(other), "first access")
    .note("a bank does one read or one write per cycle")
}

pub(super) fn memory_read(
    m: &Machine,
    i: u32,
    buffer: usize,
    index: u32,
    expected: u32,
    found: u32,
) -> Diagnostic {
    let slot = m.buffer_slot(buffer, index);
    let t = m.cycle;
    if expected == NONE {
        return Diagnostic::error(
            codes::READ_UNWRITTEN,
            format!("`mem.read` reads {slot}, which nothing writes before it (in body order), in cycle {t}"),
        )
        .primary(m.span(i), "reads memory that was never written")
        .secondary(m.program.buffers[buffer].span, "the buffer");
    }
    let landed = m.t.store_landed[expected as usize];
    if landed == u64::MAX || landed > t {
        let StoreOrigin::Write { instr: w } = m.plan.stores[expected as usize] else {
            unreachable!("host data is there before cycle 0")
        };
        let lands = m.plan.timed[w as usize].at + u64::from(m.plan.timed[w as usize].latency);
        return Diagnostic::error(
            codes::READ_BEFORE_WRITE_LANDS,
            format!(
                "`mem.read` of {slot} issues in cycle {t}, before the write it needs lands in cycle {lands}"
            ),
        )
        .primary(m.span(i), format!("issued {} cycle(s) too early", lands - t))
        .secondary(m.span(w), format!("this write's data is readable from cycle {lands}"));
    }
    let now = if found == NONE {
        "nothing".to_string()
    } else {
        m.store_text(found)
    };
    let d = Diagnostic::error(
        codes::READ_OVERWRITTEN,
        format!(
            "`mem.read` of {slot} in cycle {t} finds {now}, not {}",
            m.store_text(expected)
        ),
    )
    .primary(m.span(i), "reads overwritten memory");
    let d = m.store_label(d, expected, "the data this read needs");
    if found == NONE {
        d
    } else {
        m.store_label(d, found, "overwrote it")
    }
}

pub(super) fn oversubscribed(m: &Machine, i: u32, first: u32, capacity: u32) -> Diagnostic {
    let unit = m.plan.timed[i as usize].unit;
    Diagnostic::error(
        codes::UNIT_OVERSUBSCRIBED,
        format!(
            "`{unit}` issues more than {capacity} op(s) in cycle {}",
            m.cycle
        ),
    )
    .primary(
        m.span(i),
        format!("op {} on `{unit}` in this cycle", capacity + 1),
    )
    .secondary(m.span(first), "the first op in this cycle")
}

pub(super) fn plane_busy(m: &Machine, i: u32, other: u32, plane: u32) -> Diagnostic {
    Diagnostic::error(
        codes::UNIT_OVERSUBSCRIBED,
        format!(
            "MXM plane {plane} issues two ops in cycle {}: {} and {}",
            m.cycle,
            m.describe(other),
            m.describe(i)
        ),
    )
    .primary(m.span(i), "second op on the plane in this cycle")
    .secondary(m.span(other), "first op")
    .note("a plane issues one op per cycle")
}

pub(super) fn weight_row(
    m: &Machine,
    i: u32,
    plane: u32,
    row: usize,
    expected: u32,
    holds: u32,
) -> Diagnostic {
    let t = m.cycle;
    let holding = if holds == NONE {
        "its initial zeros".to_string()
    } else {
        format!(
            "the row loaded by the `mxm.load` issued in cycle {}",
            m.plan.timed[holds as usize].at
        )
    };
    let mut d = if expected != NONE {
        let e = &m.plan.timed[expected as usize];
        let lands = e.at + u64::from(e.latency);
        let message = if lands > t {
            format!(
                "`mxm.mac` in cycle {t} reads weight row {row} of plane {plane} before its load lands in cycle {lands}"
            )
        } else {
            format!(
                "`mxm.mac` in cycle {t} finds {holding} in weight row {row} of plane {plane}, not the row it needs"
            )
        };
        Diagnostic::error(codes::MXM_WEIGHTS, message)
            .primary(m.span(i), "reads the weights at issue")
            .secondary(m.span(expected), "the load this mac needs")
    } else {
        Diagnostic::error(
            codes::MXM_WEIGHTS,
            format!("`mxm.mac` in cycle {t} finds {holding} in weight row {row} of plane {plane}, which no load before it in body order writes"),
        )
        .primary(m.span(i), "reads the weights at issue")
    };
    if holds != NONE {
        d = d.secondary(m.span(holds), "loaded the row it finds");
    }
    d
}

pub(super) fn accumulator(
    m: &Machine,
    i: u32,
    plane: u32,
    acc: u32,
    expected: u32,
    holds: u32,
    verb: &str,
) -> Diagnostic {
    let t = m.cycle;
    let text = |j: u32| {
        if j == NONE {
            "its initial zero".to_string()
        } else {
            format!(
                "the result of the `mxm.mac` issued in cycle {}",
                m.plan.timed[j as usize].at
            )
        }
    };
    let mut d = Diagnostic::error(
        codes::MXM_ACCUMULATOR,
        format!(
            "{} {verb} accumulator {acc} of plane {plane} in cycle {t}, which holds {}, not {}",
            m.describe(i),
            text(holds),
            text(expected)
        ),
    )
    .primary(m.span(i), format!("{verb} the accumulator"));
    if expected != NONE {
        let e = &m.plan.timed[expected as usize];
        let lands = e.at + u64::from(e.latency);
        d = d.secondary(m.span(expected), format!("needed: lands in cycle {lands}"));
    }
    if holds != NONE {
        d = d.secondary(m.span(holds), "found");
    }
    d
}

pub(super) fn output_overwritten(
    m: &Machine,
    buffer: usize,
    index: u32,
    expected: u32,
    found: u32,
) -> Diagnostic {
    let b = &m.program.buffers[buffer];
    let now = if found == NONE {
        "nothing".to_string()
    } else {
        m.store_text(found)
    };
    let d = Diagnostic::error(
        codes::OUTPUT_OVERWRITTEN,
        format!(
            "at the end, output {} holds {now}, not {}",
            m.buffer_slot(buffer, index),
            m.store_text(expected)
        ),
    )
    .primary(b.span, "the output buffer");
    let d = m.store_label(d, expected, "the data the host should read");
    if found == NONE {
        d
    } else {
        m.store_label(d, found, "overwrote it")
    }
}
