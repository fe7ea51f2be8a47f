//! The serial schedule generation scheme (SGS) and the partial schedule it
//! builds: activities are placed one at a time, each at the earliest period
//! that satisfies its precedences to already placed activities and fits
//! every resource it demands.
//!
//! Placing one activity costs `O(preds + demands * (length + log horizon))`
//! in the usual case, so a whole schedule is near-linear in the problem size.

use crate::problem::{ActivityId, Problem, ResourceId};
use crate::profile::ResourceProfile;
use crate::schedule::{ActivityList, Schedule};

/// Resource profiles plus the starts of the activities placed so far.
/// Reusable: [`PartialSchedule::clear`] keeps the memory.
#[derive(Clone, Debug)]
pub struct PartialSchedule {
    profiles: Vec<ResourceProfile>,
    starts: Vec<Option<u32>>,
}

impl PartialSchedule {
    pub fn new(problem: &Problem) -> Self {
        PartialSchedule {
            profiles: problem
                .resources()
                .map(|r| ResourceProfile::new(problem.capacity(r)))
                .collect(),
            starts: vec![None; problem.activity_count()],
        }
    }

    pub fn clear(&mut self) {
        self.profiles.iter_mut().for_each(ResourceProfile::clear);
        self.starts.fill(None);
    }

    pub fn start(&self, activity: ActivityId) -> Option<u32> {
        self.starts[activity.index()]
    }

    pub fn profile(&self, resource: ResourceId) -> &ResourceProfile {
        &self.profiles[resource.index()]
    }

    /// The earliest start that the placed predecessors of `activity` allow
    /// (never before period 0). Unplaced predecessors are ignored.
    pub fn precedence_start(&self, problem: &Problem, activity: ActivityId) -> u32 {
        problem
            .predecessors(activity)
            .iter()
            .filter_map(|link| {
                self.starts[link.activity.index()].map(|s| i64::from(s) + link.min_delay)
            })
            .fold(0, i64::max) as u32
    }

    /// The earliest period `>= not_before` at which every demand of
    /// `activity` fits the current resource profiles. Takes `&mut self`
    /// because the profiles may build search indices.
    pub fn resource_start(
        &mut self,
        problem: &Problem,
        activity: ActivityId,
        not_before: u32,
    ) -> u32 {
        let demands = problem.demands(activity);
        let mut t = not_before;
        // Each demand moves `t` to its own earliest fit; stop when none moves.
        let mut settled = 0;
        let mut i = 0;
        while settled < demands.len() {
            let d = &demands[i];
            let at = t + d.offset;
            let fit = self.profiles[d.resource.index()].earliest_fit(at, d.length, d.amount);
            if fit > at {
                t = fit - d.offset;
                settled = 1;
            } else {
                settled += 1;
            }
            i = (i + 1) % demands.len();
        }
        t
    }

    /// Whether `activity` can start at `start` given the placed activities'
    /// resource use (precedences are not considered).
    pub fn fits(&self, problem: &Problem, activity: ActivityId, start: u32) -> bool {
        problem
            .demands(activity)
            .iter()
            .all(|d| self.profiles[d.resource.index()].fits(start + d.offset, d.length, d.amount))
    }

    /// Books `activity`'s demands from `start`. The caller makes sure they
    /// fit (see [`PartialSchedule::fits`]) and that it is not placed yet.
    pub fn place(&mut self, problem: &Problem, activity: ActivityId, start: u32) {
        debug_assert!(self.starts[activity.index()].is_none(), "placed twice");
        for d in problem.demands(activity) {
            self.profiles[d.resource.index()].add(start + d.offset, d.length, d.amount);
        }
        self.starts[activity.index()] = Some(start);
    }

    /// Releases a placed activity's resources.
    pub fn unplace(&mut self, problem: &Problem, activity: ActivityId) {
        if let Some(start) = self.starts[activity.index()].take() {
            for d in problem.demands(activity) {
                self.profiles[d.resource.index()].remove(start + d.offset, d.length, d.amount);
            }
        }
    }

    /// Places `activity` as early as its placed predecessors and the
    /// resources allow, and returns its start.
    pub fn place_earliest(&mut self, problem: &Problem, activity: ActivityId) -> u32 {
        let start =
            self.resource_start(problem, activity, self.precedence_start(problem, activity));
        self.place(problem, activity, start);
        start
    }

    /// The finished schedule, or `None` while some activity is unplaced.
    pub fn to_schedule(&self, problem: &Problem) -> Option<Schedule> {
        let starts = self.starts.iter().copied().collect::<Option<Vec<u32>>>()?;
        Schedule::from_starts(problem, starts)
    }
}

/// The serial SGS with a reusable workspace.
#[derive(Clone, Debug)]
pub struct SerialSgs {
    partial: PartialSchedule,
}

impl SerialSgs {
    pub fn new(problem: &Problem) -> Self {
        SerialSgs {
            partial: PartialSchedule::new(problem),
        }
    }

    /// Schedules the activities in list order, each as early as possible.
    pub fn schedule(&mut self, problem: &Problem, list: &ActivityList) -> Schedule {
        self.run(problem, list.as_slice());
        self.partial
            .to_schedule(problem)
            .expect("an activity list places every activity")
    }

    /// Like [`SerialSgs::schedule`] for orders the crate built
    /// precedence-feasible itself; the starts are left in `starts`.
    pub(crate) fn run_into(
        &mut self,
        problem: &Problem,
        order: &[ActivityId],
        starts: &mut Vec<u32>,
    ) -> u32 {
        self.run(problem, order);
        starts.clear();
        starts.extend(
            self.partial
                .starts
                .iter()
                .map(|s| s.expect("every activity placed")),
        );
        problem
            .activities()
            .map(|a| starts[a.index()] + problem.duration(a))
            .max()
            .unwrap_or(0)
    }

    fn run(&mut self, problem: &Problem, order: &[ActivityId]) {
        self.partial.clear();
        for &a in order {
            self.partial.place_earliest(problem, a);
        }
    }
}
