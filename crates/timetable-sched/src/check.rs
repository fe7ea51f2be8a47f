//! An independent schedule checker. It shares no code with the scheduler:
//! it reads the problem as declared to the builder (durations, demands
//! before normalisation, precedences, capacities) and recomputes resource
//! usage by sweeping over sorted start/end events, so a bug in the
//! profiles, the demand normalisation or the SGS cannot hide itself.

use std::collections::BTreeMap;
use std::fmt;

use crate::problem::{ActivityId, Problem, ResourceId};

/// One broken rule, naming the activities and periods involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    WrongLength {
        expected: usize,
        found: usize,
    },
    /// `to` starts before `start(from) + min_delay`.
    Precedence {
        from: ActivityId,
        to: ActivityId,
        min_delay: i64,
        from_start: u32,
        to_start: u32,
    },
    /// In periods `[first, end)` the activities listed use `usage` units of
    /// a resource with capacity `capacity`.
    Overload {
        resource: ResourceId,
        first: u64,
        end: u64,
        usage: u64,
        capacity: u32,
        activities: Vec<ActivityId>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::WrongLength { expected, found } => {
                write!(f, "expected {expected} start times, found {found}")
            }
            Violation::Precedence {
                from,
                to,
                min_delay,
                from_start,
                to_start,
            } => write!(
                f,
                "{to} starts at {to_start}, but {from} starts at {from_start} and \
                 requires a delay of {min_delay}"
            ),
            Violation::Overload {
                resource,
                first,
                end,
                usage,
                capacity,
                activities,
            } => {
                write!(
                    f,
                    "{resource} is overloaded in periods {first}..{end}: usage {usage} > \
                     capacity {capacity} by"
                )?;
                for a in activities {
                    write!(f, " {}", a.0)?;
                }
                Ok(())
            }
        }
    }
}

/// Every violation of `starts` (indexed by activity), or `Ok` if none.
pub fn check(problem: &Problem, starts: &[u32]) -> Result<(), Vec<Violation>> {
    let n = problem.activity_count();
    if starts.len() != n {
        return Err(vec![Violation::WrongLength {
            expected: n,
            found: starts.len(),
        }]);
    }
    let mut violations = Vec::new();
    for p in problem.precedences() {
        let (from_start, to_start) = (starts[p.from.0 as usize], starts[p.to.0 as usize]);
        if i64::from(to_start) < i64::from(from_start) + p.min_delay {
            violations.push(Violation::Precedence {
                from: p.from,
                to: p.to,
                min_delay: p.min_delay,
                from_start,
                to_start,
            });
        }
    }
    for r in 0..problem.resource_count() {
        overloads(problem, starts, ResourceId(r as u32), &mut violations);
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Sweeps the resource's usage changes in time order. Releases sort before
/// acquisitions at the same time because periods are half-open.
fn overloads(problem: &Problem, starts: &[u32], resource: ResourceId, out: &mut Vec<Violation>) {
    let capacity = problem.capacity(resource);
    // (time, +1 acquire / -1 release, activity, amount)
    let mut events: Vec<(u64, i8, u32, u64)> = Vec::new();
    for (a, &start) in starts.iter().enumerate() {
        for d in problem.declared_demands(ActivityId(a as u32)) {
            // Empty demands use nothing (and would release before acquiring).
            if d.resource != resource || d.amount == 0 || d.length == 0 {
                continue;
            }
            let begin = u64::from(start) + u64::from(d.offset);
            let end = begin + u64::from(d.length);
            events.push((begin, 1, a as u32, u64::from(d.amount)));
            events.push((end, -1, a as u32, u64::from(d.amount)));
        }
    }
    events.sort_unstable();
    let mut usage = 0u64;
    // Running activities with their number of open demands on the resource
    // (declared demands of one activity may overlap).
    let mut running: BTreeMap<u32, usize> = BTreeMap::new();
    let mut i = 0;
    while i < events.len() {
        let time = events[i].0;
        while i < events.len() && events[i].0 == time {
            let (_, kind, a, amount) = events[i];
            if kind > 0 {
                usage += amount;
                *running.entry(a).or_default() += 1;
            } else {
                usage -= amount;
                match running.get_mut(&a) {
                    Some(open) if *open > 1 => *open -= 1,
                    _ => {
                        running.remove(&a);
                    }
                }
            }
            i += 1;
        }
        if usage > u64::from(capacity) {
            out.push(Violation::Overload {
                resource,
                first: time,
                end: events[i].0,
                usage,
                capacity,
                activities: running.keys().map(|&a| ActivityId(a)).collect(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Demand, ProblemBuilder};

    fn two_on_one_unit() -> Problem {
        let mut b = ProblemBuilder::new();
        let r = b.add_resource(1);
        let x = b.add_activity(2, &[(r, 1)]);
        let y = b.add_activity(3, &[(r, 1)]);
        let z = b.add_activity(1, &[]);
        b.add_finish_to_start(x, z, 0);
        let _ = y;
        b.build().unwrap()
    }

    #[test]
    fn accepts_a_feasible_schedule() {
        assert_eq!(check(&two_on_one_unit(), &[0, 2, 2]), Ok(()));
        assert_eq!(check(&two_on_one_unit(), &[3, 0, 5]), Ok(()));
    }

    #[test]
    fn counts_overlapping_and_empty_declared_demands() {
        let demand = |amount, offset, length| Demand {
            resource: ResourceId(0),
            amount,
            offset,
            length,
        };
        let mut b = ProblemBuilder::new();
        b.add_resource(2);
        // Uses 1 unit in [0, 3) and 2 units in [1, 2); nothing at offset 3.
        b.add_activity_with_demands(
            4,
            &[
                demand(1, 0, 3),
                demand(1, 1, 1),
                demand(0, 3, 1),
                demand(2, 3, 0),
            ],
        );
        b.add_activity(1, &[(ResourceId(0), 1)]);
        let p = b.build().unwrap();
        assert_eq!(check(&p, &[0, 0]), Ok(()));
        assert_eq!(check(&p, &[0, 2]), Ok(()));
        let violations = check(&p, &[0, 1]).unwrap_err();
        assert_eq!(
            violations.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
            ["resource 0 is overloaded in periods 1..2: usage 3 > capacity 2 by 0 1"]
        );
    }

    #[test]
    fn names_the_parties_of_each_violation() {
        let violations = check(&two_on_one_unit(), &[1, 2, 2]).unwrap_err();
        let text: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
        assert_eq!(
            text,
            [
                "activity 2 starts at 2, but activity 0 starts at 1 and requires a delay of 2",
                "resource 0 is overloaded in periods 2..3: usage 2 > capacity 1 by 0 1",
            ]
        );
        assert_eq!(
            check(&two_on_one_unit(), &[0, 0]),
            Err(vec![Violation::WrongLength {
                expected: 3,
                found: 2
            }])
        );
    }
}
