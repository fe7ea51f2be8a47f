//! The scheduling problem: activities with durations and renewable-resource
//! demands, and precedences with minimum start-to-start delays.
//!
//! A [`Problem`] is immutable and validated: every id is in range, every
//! demand fits its resource's capacity and lies inside its activity, and the
//! precedence graph is acyclic. The scheduler relies on these facts instead
//! of re-checking them in its inner loops.

use std::fmt;

/// A typed `u32` index, displayed as `<noun> <index>`.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $noun:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($noun, " {}"), self.0)
            }
        }
    };
}

id_type!(
    /// Index of an activity in its [`Problem`] (0-based, in insertion order).
    ActivityId,
    "activity"
);
id_type!(
    /// Index of a renewable resource in its [`Problem`] (0-based).
    ResourceId,
    "resource"
);

/// An activity's use of `amount` units of `resource` during the periods
/// `[start + offset, start + offset + length)` relative to its start.
///
/// Plain RCPSP demands cover the whole activity (`offset = 0`,
/// `length = duration`). Offsets let one activity stand for a rigid group
/// of operations whose relative timing is fixed (see the crate README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Demand {
    pub resource: ResourceId,
    pub amount: u32,
    pub offset: u32,
    pub length: u32,
}

/// `start(to) >= start(from) + min_delay`. A finish-to-start precedence with
/// lag `l` is the delay `duration(from) + l`. Delays may be negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Precedence {
    pub from: ActivityId,
    pub to: ActivityId,
    pub min_delay: i64,
}

/// One end of a precedence as seen from the other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub activity: ActivityId,
    pub min_delay: i64,
}

/// Why a [`ProblemBuilder`] could not build a [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemError {
    UnknownResource {
        activity: ActivityId,
        resource: ResourceId,
    },
    DemandExceedsCapacity {
        activity: ActivityId,
        resource: ResourceId,
        amount: u32,
        capacity: u32,
    },
    DemandOutsideActivity {
        activity: ActivityId,
        resource: ResourceId,
        end: u64,
        duration: u32,
    },
    UnknownActivity {
        precedence: usize,
        activity: ActivityId,
    },
    /// The precedence graph has a cycle through `activity` (self-loops included).
    Cycle { activity: ActivityId },
    /// Serialising every activity with every positive delay would not fit
    /// in `u32` periods, so start times could overflow.
    HorizonTooLarge { horizon: u64 },
}

impl fmt::Display for ProblemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemError::UnknownResource { activity, resource } => {
                write!(f, "{activity} demands {resource}, which does not exist")
            }
            ProblemError::DemandExceedsCapacity {
                activity,
                resource,
                amount,
                capacity,
            } => write!(
                f,
                "{activity} demands {amount} units of {resource}, whose capacity is {capacity}"
            ),
            ProblemError::DemandOutsideActivity {
                activity,
                resource,
                end,
                duration,
            } => write!(
                f,
                "{activity} uses {resource} until period {end} of its duration {duration}"
            ),
            ProblemError::UnknownActivity {
                precedence,
                activity,
            } => write!(
                f,
                "precedence #{precedence} refers to {activity}, which does not exist"
            ),
            ProblemError::Cycle { activity } => {
                write!(f, "the precedences form a cycle through {activity}")
            }
            ProblemError::HorizonTooLarge { horizon } => write!(
                f,
                "the scheduling horizon ({horizon} periods) does not fit in 32 bits"
            ),
        }
    }
}

impl std::error::Error for ProblemError {}

/// Collects resources, activities and precedences; [`ProblemBuilder::build`]
/// validates them.
#[derive(Clone, Debug, Default)]
pub struct ProblemBuilder {
    capacities: Vec<u32>,
    durations: Vec<u32>,
    demands: DemandTable,
    precedences: Vec<Precedence>,
}

impl ProblemBuilder {
    pub fn new() -> Self {
        ProblemBuilder::default()
    }

    pub fn add_resource(&mut self, capacity: u32) -> ResourceId {
        self.capacities.push(capacity);
        ResourceId(index_u32(self.capacities.len() - 1))
    }

    /// An activity using each `(resource, amount)` for its whole duration.
    pub fn add_activity(&mut self, duration: u32, demands: &[(ResourceId, u32)]) -> ActivityId {
        let whole = demands.iter().map(|&(resource, amount)| Demand {
            resource,
            amount,
            offset: 0,
            length: duration,
        });
        self.push_activity(duration, whole)
    }

    /// An activity whose demands cover parts of its duration.
    pub fn add_activity_with_demands(&mut self, duration: u32, demands: &[Demand]) -> ActivityId {
        self.push_activity(duration, demands.iter().copied())
    }

    fn push_activity(
        &mut self,
        duration: u32,
        demands: impl Iterator<Item = Demand>,
    ) -> ActivityId {
        let id = ActivityId(index_u32(self.durations.len()));
        self.durations.push(duration);
        self.demands.push_activity(demands);
        id
    }

    /// `start(to) >= start(from) + min_delay`.
    pub fn add_precedence(&mut self, from: ActivityId, to: ActivityId, min_delay: i64) {
        self.precedences.push(Precedence {
            from,
            to,
            min_delay,
        });
    }

    /// `start(to) >= finish(from) + lag`. `from` must already exist, since
    /// its duration is part of the delay; an unknown `from` is reported by
    /// [`ProblemBuilder::build`].
    pub fn add_finish_to_start(&mut self, from: ActivityId, to: ActivityId, lag: i64) {
        let duration = self.durations.get(from.index()).copied().unwrap_or(0);
        self.add_precedence(from, to, i64::from(duration) + lag);
    }

    pub fn activity_count(&self) -> usize {
        self.durations.len()
    }

    pub fn build(self) -> Result<Problem, ProblemError> {
        let n = self.durations.len();
        self.check_demands()?;
        let demands = self.normalized_demands()?;
        for (number, p) in self.precedences.iter().enumerate() {
            for activity in [p.from, p.to] {
                if activity.index() >= n {
                    return Err(ProblemError::UnknownActivity {
                        precedence: number,
                        activity,
                    });
                }
            }
        }
        let topological = topological_order(n, &self.precedences)?;
        let horizon = self.durations.iter().map(|&d| u64::from(d)).sum::<u64>()
            + self
                .precedences
                .iter()
                .map(|p| p.min_delay.max(0).unsigned_abs())
                .sum::<u64>();
        if horizon > u64::from(u32::MAX / 2) {
            return Err(ProblemError::HorizonTooLarge { horizon });
        }
        Ok(Problem::assemble(
            self.capacities,
            self.durations,
            [demands, self.demands],
            self.precedences,
            topological,
        ))
    }

    /// Per activity, the demands as disjoint segments whose summed amounts
    /// fit the capacities.
    fn normalized_demands(&self) -> Result<DemandTable, ProblemError> {
        let mut table = DemandTable::default();
        for a in 0..self.durations.len() {
            let segments = normalized(self.demands.of(a).to_vec());
            if let Some(d) = segments
                .iter()
                .find(|d| d.amount > self.capacities[d.resource.index()])
            {
                return Err(ProblemError::DemandExceedsCapacity {
                    activity: ActivityId(index_u32(a)),
                    resource: d.resource,
                    amount: d.amount,
                    capacity: self.capacities[d.resource.index()],
                });
            }
            table.push_activity(segments.into_iter());
        }
        Ok(table)
    }

    fn check_demands(&self) -> Result<(), ProblemError> {
        for a in 0..self.durations.len() {
            let activity = ActivityId(index_u32(a));
            for d in self.demands.of(a) {
                let Some(&capacity) = self.capacities.get(d.resource.index()) else {
                    return Err(ProblemError::UnknownResource {
                        activity,
                        resource: d.resource,
                    });
                };
                if d.amount > capacity {
                    return Err(ProblemError::DemandExceedsCapacity {
                        activity,
                        resource: d.resource,
                        amount: d.amount,
                        capacity,
                    });
                }
                let end = u64::from(d.offset) + u64::from(d.length);
                let duration = self.durations[a];
                if end > u64::from(duration) {
                    return Err(ProblemError::DemandOutsideActivity {
                        activity,
                        resource: d.resource,
                        end,
                        duration,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Rewrites demands as disjoint per-resource segments with summed amounts,
/// sorted by resource then offset. Overlapping demands on one resource add
/// up, and the SGS checks each demand separately, so it needs them disjoint.
/// Empty demands constrain nothing and are dropped. Demands must lie inside
/// their activity (so every time fits in `u32`).
fn normalized(mut demands: Vec<Demand>) -> Vec<Demand> {
    demands.retain(|d| d.amount > 0 && d.length > 0);
    if demands.len() < 2 {
        return demands;
    }
    // Usage changes: (resource, time, delta).
    let mut events: Vec<(ResourceId, u64, i64)> = demands
        .iter()
        .flat_map(|d| {
            let start = u64::from(d.offset);
            let end = start + u64::from(d.length);
            [
                (d.resource, start, i64::from(d.amount)),
                (d.resource, end, -i64::from(d.amount)),
            ]
        })
        .collect();
    events.sort_unstable();
    let mut segments: Vec<Demand> = Vec::new();
    let mut level = 0i64;
    for (i, &(resource, time, delta)) in events.iter().enumerate() {
        level += delta;
        let Some(&(next_resource, next_time, _)) = events.get(i + 1) else {
            break;
        };
        if next_resource != resource || next_time == time || level == 0 {
            continue;
        }
        // Saturate: an amount past u32 exceeds every capacity anyway.
        let amount = u32::try_from(level).unwrap_or(u32::MAX);
        let length = (next_time - time) as u32;
        match segments.last_mut() {
            Some(last)
                if last.resource == resource
                    && last.amount == amount
                    && u64::from(last.offset + last.length) == time =>
            {
                last.length += length;
            }
            _ => segments.push(Demand {
                resource,
                amount,
                offset: time as u32,
                length,
            }),
        }
    }
    segments
}

fn index_u32(index: usize) -> u32 {
    u32::try_from(index).expect("more than u32::MAX activities or resources")
}

/// Compressed adjacency lists: the links of activity `a` are
/// `links[index[a]..index[a + 1]]`, in declaration order.
fn adjacency(
    n: usize,
    precedences: &[Precedence],
    ends: impl Fn(&Precedence) -> (ActivityId, ActivityId),
) -> (Vec<usize>, Vec<Link>) {
    let mut index = vec![0usize; n + 1];
    for p in precedences {
        index[ends(p).0.index() + 1] += 1;
    }
    for a in 0..n {
        index[a + 1] += index[a];
    }
    let mut fill = index.clone();
    let mut links = vec![
        Link {
            activity: ActivityId(0),
            min_delay: 0
        };
        precedences.len()
    ];
    for p in precedences {
        let (own, other) = ends(p);
        links[fill[own.index()]] = Link {
            activity: other,
            min_delay: p.min_delay,
        };
        fill[own.index()] += 1;
    }
    (index, links)
}

fn ranks(order: &[ActivityId]) -> Vec<u32> {
    let mut rank = vec![0; order.len()];
    for (i, a) in order.iter().enumerate() {
        rank[a.index()] = index_u32(i);
    }
    rank
}

/// Kahn's algorithm, smallest ready index first so the order is canonical.
fn topological_order(
    n: usize,
    precedences: &[Precedence],
) -> Result<Vec<ActivityId>, ProblemError> {
    let (succ_index, succs) = adjacency(n, precedences, |p| (p.from, p.to));
    let mut missing = vec![0usize; n];
    for p in precedences {
        missing[p.to.index()] += 1;
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<u32>> = (0..n)
        .filter(|&a| missing[a] == 0)
        .map(|a| std::cmp::Reverse(index_u32(a)))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(a)) = ready.pop() {
        order.push(ActivityId(a));
        for link in &succs[succ_index[a as usize]..succ_index[a as usize + 1]] {
            let s = link.activity.index();
            missing[s] -= 1;
            if missing[s] == 0 {
                ready.push(std::cmp::Reverse(link.activity.0));
            }
        }
    }
    match missing.iter().position(|&m| m > 0) {
        Some(a) => Err(ProblemError::Cycle {
            activity: ActivityId(index_u32(a)),
        }),
        None => Ok(order),
    }
}

/// Demands per activity, compressed: activity `a` owns
/// `demands[index[a]..index[a + 1]]`.
#[derive(Clone, Debug)]
struct DemandTable {
    index: Vec<usize>,
    demands: Vec<Demand>,
}

impl Default for DemandTable {
    fn default() -> Self {
        DemandTable {
            index: vec![0],
            demands: Vec::new(),
        }
    }
}

impl DemandTable {
    fn push_activity(&mut self, demands: impl Iterator<Item = Demand>) {
        self.demands.extend(demands);
        self.index.push(self.demands.len());
    }

    fn of(&self, activity: usize) -> &[Demand] {
        &self.demands[self.index[activity]..self.index[activity + 1]]
    }

    /// The same demands seen backwards in time (see [`Problem::mirrored`]).
    fn mirrored(&self, durations: &[u32]) -> DemandTable {
        let mut table = DemandTable::default();
        for (a, &duration) in durations.iter().enumerate() {
            table.push_activity(self.of(a).iter().map(|d| Demand {
                offset: duration - d.offset - d.length,
                ..*d
            }));
        }
        table
    }
}

/// A validated scheduling problem. Build one with [`ProblemBuilder`].
#[derive(Clone, Debug)]
pub struct Problem {
    capacities: Vec<u32>,
    durations: Vec<u32>,
    /// Disjoint segments per resource, what the scheduler works with.
    demands: DemandTable,
    /// As given to the builder, for the independent checker.
    declared_demands: DemandTable,
    precedences: Vec<Precedence>,
    succ_index: Vec<usize>,
    succs: Vec<Link>,
    pred_index: Vec<usize>,
    preds: Vec<Link>,
    topological: Vec<ActivityId>,
    /// Position of every activity in `topological`.
    topological_rank: Vec<u32>,
}

impl Problem {
    pub fn activity_count(&self) -> usize {
        self.durations.len()
    }

    pub fn resource_count(&self) -> usize {
        self.capacities.len()
    }

    pub fn activities(&self) -> impl ExactSizeIterator<Item = ActivityId> + use<> {
        (0..index_u32(self.durations.len())).map(ActivityId)
    }

    pub fn resources(&self) -> impl ExactSizeIterator<Item = ResourceId> + use<> {
        (0..index_u32(self.capacities.len())).map(ResourceId)
    }

    pub fn capacity(&self, resource: ResourceId) -> u32 {
        self.capacities[resource.index()]
    }

    pub fn duration(&self, activity: ActivityId) -> u32 {
        self.durations[activity.index()]
    }

    /// The demands of `activity` as disjoint segments per resource (several
    /// declared demands on one resource are summed where they overlap).
    pub fn demands(&self, activity: ActivityId) -> &[Demand] {
        self.demands.of(activity.index())
    }

    /// The demands of `activity` exactly as declared to the builder
    /// (before summing overlaps and dropping empty ones).
    pub fn declared_demands(&self, activity: ActivityId) -> &[Demand] {
        self.declared_demands.of(activity.index())
    }

    /// Every precedence in declaration order.
    pub fn precedences(&self) -> &[Precedence] {
        &self.precedences
    }

    pub fn predecessors(&self, activity: ActivityId) -> &[Link] {
        let a = activity.index();
        &self.preds[self.pred_index[a]..self.pred_index[a + 1]]
    }

    pub fn successors(&self, activity: ActivityId) -> &[Link] {
        let a = activity.index();
        &self.succs[self.succ_index[a]..self.succ_index[a + 1]]
    }

    /// Every activity after all of its predecessors; among ready activities
    /// the smallest index comes first (for the mirror used by justification:
    /// the reverse of the original's order).
    pub fn topological_order(&self) -> &[ActivityId] {
        &self.topological
    }

    /// The position of `activity` in [`Problem::topological_order`]: a
    /// tie-breaker that never contradicts a precedence.
    pub fn topological_rank(&self, activity: ActivityId) -> u32 {
        self.topological_rank[activity.index()]
    }

    /// The mirror image in time: a schedule `S` of `self` with makespan `M`
    /// is a schedule `R` of the mirror with `R(a) = M - S(a) - duration(a)`.
    /// Scheduling the mirror forwards schedules `self` backwards.
    pub(crate) fn mirrored(&self) -> Problem {
        let precedences = self
            .precedences
            .iter()
            .map(|p| Precedence {
                from: p.to,
                to: p.from,
                min_delay: p.min_delay + i64::from(self.durations[p.to.index()])
                    - i64::from(self.durations[p.from.index()]),
            })
            .collect::<Vec<_>>();
        Problem::assemble(
            self.capacities.clone(),
            self.durations.clone(),
            [
                self.demands.mirrored(&self.durations),
                self.declared_demands.mirrored(&self.durations),
            ],
            precedences,
            self.topological.iter().rev().copied().collect(),
        )
    }

    /// Derives the adjacency lists and ranks from validated parts.
    fn assemble(
        capacities: Vec<u32>,
        durations: Vec<u32>,
        [demands, declared_demands]: [DemandTable; 2],
        precedences: Vec<Precedence>,
        topological: Vec<ActivityId>,
    ) -> Problem {
        let n = durations.len();
        let (succ_index, succs) = adjacency(n, &precedences, |p| (p.from, p.to));
        let (pred_index, preds) = adjacency(n, &precedences, |p| (p.to, p.from));
        Problem {
            capacities,
            durations,
            demands,
            declared_demands,
            precedences,
            succ_index,
            succs,
            pred_index,
            preds,
            topological_rank: ranks(&topological),
            topological,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_adjacency_and_topological_order() {
        let mut b = ProblemBuilder::new();
        let r = b.add_resource(2);
        let x = b.add_activity(3, &[(r, 1)]);
        let y = b.add_activity(2, &[(r, 2)]);
        let z = b.add_activity(1, &[]);
        b.add_finish_to_start(y, x, 1);
        b.add_precedence(x, z, -2);
        let p = b.build().unwrap();
        assert_eq!(p.topological_order(), &[y, x, z]);
        assert_eq!(
            p.successors(y),
            &[Link {
                activity: x,
                min_delay: 3
            }]
        );
        assert_eq!(
            p.predecessors(z),
            &[Link {
                activity: x,
                min_delay: -2
            }]
        );
        assert!(p.demands(z).is_empty());
    }

    #[test]
    fn rejects_cycles_and_bad_demands() {
        let mut b = ProblemBuilder::new();
        let x = b.add_activity(1, &[]);
        let y = b.add_activity(1, &[]);
        b.add_precedence(x, y, 1);
        b.add_precedence(y, x, 1);
        assert!(matches!(b.build(), Err(ProblemError::Cycle { .. })));

        let mut b = ProblemBuilder::new();
        let r = b.add_resource(2);
        b.add_activity(1, &[(r, 3)]);
        let err = b.build().unwrap_err();
        assert_eq!(
            err.to_string(),
            "activity 0 demands 3 units of resource 0, whose capacity is 2"
        );

        let mut b = ProblemBuilder::new();
        let r = b.add_resource(2);
        b.add_activity_with_demands(
            2,
            &[Demand {
                resource: r,
                amount: 1,
                offset: 1,
                length: 2,
            }],
        );
        assert!(matches!(
            b.build(),
            Err(ProblemError::DemandOutsideActivity { end: 3, .. })
        ));
    }

    #[test]
    fn overlapping_demands_on_one_resource_add_up() {
        let demand = |offset, length| Demand {
            resource: ResourceId(0),
            amount: 1,
            offset,
            length,
        };
        let mut b = ProblemBuilder::new();
        b.add_resource(2);
        let a = b.add_activity_with_demands(6, &[demand(0, 4), demand(2, 4), demand(5, 0)]);
        let p = b.build().unwrap();
        let segments: Vec<(u32, u32, u32)> = p
            .demands(a)
            .iter()
            .map(|d| (d.offset, d.length, d.amount))
            .collect();
        assert_eq!(segments, [(0, 2, 1), (2, 2, 2), (4, 2, 1)]);

        let mut b = ProblemBuilder::new();
        b.add_resource(1);
        b.add_activity_with_demands(6, &[demand(0, 4), demand(3, 1)]);
        assert!(matches!(
            b.build(),
            Err(ProblemError::DemandExceedsCapacity { amount: 2, .. })
        ));
    }

    #[test]
    fn mirror_reverses_delays_and_offsets() {
        let mut b = ProblemBuilder::new();
        let r = b.add_resource(1);
        let x = b.add_activity_with_demands(
            5,
            &[Demand {
                resource: r,
                amount: 1,
                offset: 1,
                length: 2,
            }],
        );
        let y = b.add_activity(2, &[]);
        b.add_precedence(x, y, 1);
        let m = b.build().unwrap().mirrored();
        assert_eq!(m.demands(x)[0].offset, 2);
        // S_y >= S_x + 1  <=>  R_x >= R_y + 1 + 2 - 5.
        assert_eq!(
            m.successors(y),
            &[Link {
                activity: x,
                min_delay: -2
            }]
        );
        assert_eq!(m.topological_order(), &[y, x]);
    }
}
