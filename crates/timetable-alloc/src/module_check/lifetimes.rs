//! Lifetimes by a direct scan of the function: the moments each vector of a
//! placed buffer holds data in memory (rule 2 of the module docs).

use super::placed::Placements;
use timetable_ir::ir::{Function, Stage};
use timetable_ir::machine::keys;
use timetable_ir::registry::Access;
use timetable_ir::target::Target;

/// When ops act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Op `i` of the body acts at moment `i` (unscheduled modules).
    ProgramOrder,
    /// Ops act at their issue cycle `at`; writes when their data lands.
    Cycles,
}

impl Clock {
    pub fn for_stage(stage: Stage) -> Clock {
        if stage == Stage::Scheduled {
            Clock::Cycles
        } else {
            Clock::ProgramOrder
        }
    }
}

/// A moment: before the first op, at an op or cycle, or after the last.
/// Moment `m` of the clock is tick `m + 1`.
pub(super) type Tick = u64;
pub(super) const ENTRY: Tick = 0;
pub(super) const EXIT: Tick = Tick::MAX;

/// The closed range of ticks a buffer's data is in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Lifetime {
    pub first: Tick,
    pub last: Tick,
}

impl Lifetime {
    fn at(t: Tick) -> Lifetime {
        Lifetime { first: t, last: t }
    }

    fn cover(&mut self, t: Tick) {
        self.first = self.first.min(t);
        self.last = self.last.max(t);
    }
}

/// How a tick reads in a message.
pub(super) fn describe(t: Tick, clock: Clock) -> String {
    match (t, clock) {
        (ENTRY, _) => "entry".into(),
        (EXIT, _) => "exit".into(),
        (t, Clock::ProgramOrder) => format!("op {}", t - 1),
        (t, Clock::Cycles) => format!("cycle {}", t - 1),
    }
}

/// The attribute of memory ops naming the vector they access (docs/ir.md).
const INDEX: &str = "index";

/// One vector of a placed buffer with the ticks its data is in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Piece {
    /// Index into the placements.
    pub buffer: usize,
    pub vector: u32,
    pub life: Lifetime,
}

/// Every vector some op or the host touches, with its lifetime.
pub(super) fn scan(
    func: &Function,
    target: &Target,
    clock: Clock,
    placed: &Placements,
) -> Vec<Piece> {
    let mut lives: Vec<Vec<Option<Lifetime>>> = placed
        .list
        .iter()
        .map(|p| vec![p.preloaded.then(|| Lifetime::at(ENTRY)); p.vectors as usize])
        .collect();
    for (position, (_, op)) in func.body_ops().enumerate() {
        let def = op.def();
        let issue = match clock {
            Clock::ProgramOrder => Some(position as u64),
            Clock::Cycles => op.attrs.get(keys::AT).and_then(|a| a.as_u64()),
        };
        let Some(issue) = issue else { continue };
        // The verifier checks `index` against the buffer's type.
        let vector = op.attrs.get(INDEX).and_then(|a| a.as_u64());
        for (access, buffer) in super::buffer_accesses(op) {
            let Some(index) = placed.of(buffer) else {
                continue;
            };
            let Some(life) = vector.and_then(|v| lives[index].get_mut(v as usize)) else {
                continue;
            };
            let moment = match (access, clock) {
                (Access::Write, Clock::Cycles) => {
                    let delay = def.latency.map_or(0, |class| target.latency(class));
                    issue + u64::from(delay)
                }
                _ => issue,
            };
            cover(life, moment.saturating_add(1).min(EXIT - 1));
        }
    }
    let mut pieces = Vec::new();
    for (buffer, vectors) in lives.into_iter().enumerate() {
        for (vector, life) in vectors.into_iter().enumerate() {
            let Some(mut life) = life else { continue };
            // The host reads what the program wrote to an output after the run.
            if placed.list[buffer].output {
                life.cover(EXIT);
            }
            pieces.push(Piece {
                buffer,
                vector: vector as u32,
                life,
            });
        }
    }
    pieces
}

fn cover(life: &mut Option<Lifetime>, t: Tick) {
    match life {
        Some(l) => l.cover(t),
        None => *life = Some(Lifetime::at(t)),
    }
}
