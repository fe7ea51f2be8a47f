//! Schedules (a start period per activity) and activity lists (the
//! precedence-feasible orders that schedule generation consumes).

use std::fmt;

use crate::problem::{ActivityId, Problem};

/// A start period for every activity of a problem, indexed by activity.
/// Only a start vector of the right length can be built; whether it is
/// feasible is for [`crate::check`] to say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Schedule {
    starts: Vec<u32>,
    makespan: u32,
}

impl Schedule {
    /// Wraps start periods (one per activity, by index). Returns `None` when
    /// the length does not match the problem.
    pub fn from_starts(problem: &Problem, starts: Vec<u32>) -> Option<Schedule> {
        (starts.len() == problem.activity_count()).then(|| {
            let makespan = problem
                .activities()
                .map(|a| starts[a.index()] + problem.duration(a))
                .max()
                .unwrap_or(0);
            Schedule { starts, makespan }
        })
    }

    pub fn start(&self, activity: ActivityId) -> u32 {
        self.starts[activity.index()]
    }

    pub fn starts(&self) -> &[u32] {
        &self.starts
    }

    /// The latest finish over all activities.
    pub fn makespan(&self) -> u32 {
        self.makespan
    }

    pub fn into_starts(self) -> Vec<u32> {
        self.starts
    }
}

/// A permutation of all activities in which every activity comes after all
/// of its predecessors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActivityList(Vec<ActivityId>);

/// Why a sequence of activities is not an [`ActivityList`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActivityListError {
    WrongLength {
        expected: usize,
        found: usize,
    },
    Repeated(ActivityId),
    Unknown(ActivityId),
    /// `activity` comes before its predecessor `predecessor`.
    BeforePredecessor {
        activity: ActivityId,
        predecessor: ActivityId,
    },
}

impl fmt::Display for ActivityListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActivityListError::WrongLength { expected, found } => {
                write!(f, "expected {expected} activities, found {found}")
            }
            ActivityListError::Repeated(a) => write!(f, "{a} appears twice"),
            ActivityListError::Unknown(a) => write!(f, "{a} does not exist"),
            ActivityListError::BeforePredecessor {
                activity,
                predecessor,
            } => write!(f, "{activity} comes before its predecessor {predecessor}"),
        }
    }
}

impl std::error::Error for ActivityListError {}

impl ActivityList {
    pub fn new(problem: &Problem, order: Vec<ActivityId>) -> Result<Self, ActivityListError> {
        let n = problem.activity_count();
        if order.len() != n {
            return Err(ActivityListError::WrongLength {
                expected: n,
                found: order.len(),
            });
        }
        let mut position = vec![usize::MAX; n];
        for (i, &a) in order.iter().enumerate() {
            let slot = position
                .get_mut(a.index())
                .ok_or(ActivityListError::Unknown(a))?;
            if *slot != usize::MAX {
                return Err(ActivityListError::Repeated(a));
            }
            *slot = i;
        }
        for &a in &order {
            for link in problem.predecessors(a) {
                if position[link.activity.index()] > position[a.index()] {
                    return Err(ActivityListError::BeforePredecessor {
                        activity: a,
                        predecessor: link.activity,
                    });
                }
            }
        }
        Ok(ActivityList(order))
    }

    /// For orders the crate builds precedence-feasible by construction.
    pub(crate) fn new_unchecked(order: Vec<ActivityId>) -> Self {
        ActivityList(order)
    }

    pub fn as_slice(&self) -> &[ActivityId] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<ActivityId> {
        self.0
    }
}
