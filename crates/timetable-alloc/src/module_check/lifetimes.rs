//! Lifetimes by a direct scan of the function: the moments each placed
//! buffer's data is in memory (rule 2 of the module docs).

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

/// One lifetime per placed buffer (`None`: nothing touches it).
pub(super) fn scan(
    func: &Function,
    target: &Target,
    clock: Clock,
    placed: &Placements,
) -> Vec<Option<Lifetime>> {
    let mut lives: Vec<Option<Lifetime>> = placed
        .list
        .iter()
        .map(|p| {
            let mut life = p.preloaded.then(|| Lifetime::at(ENTRY));
            if p.output {
                cover(&mut life, EXIT);
            }
            life
        })
        .collect();
    for (position, (_, op)) in func.body_ops().enumerate() {
        let def = op.def();
        let issue = match clock {
            Clock::ProgramOrder => Some(position as u64),
            Clock::Cycles => op.attrs.get(keys::AT).and_then(|a| a.as_u64()),
        };
        let Some(issue) = issue else { continue };
        for (access, buffer) in super::buffer_accesses(op) {
            let Some(index) = placed.of(buffer) else {
                continue;
            };
            let moment = match (access, clock) {
                (Access::Write, Clock::Cycles) => {
                    let delay = def.latency.map_or(0, |class| target.latency(class));
                    issue + u64::from(delay)
                }
                _ => issue,
            };
            cover(&mut lives[index], moment.saturating_add(1).min(EXIT - 1));
        }
    }
    lives
}

fn cover(life: &mut Option<Lifetime>, t: Tick) {
    match life {
        Some(l) => l.cover(t),
        None => *life = Some(Lifetime::at(t)),
    }
}
