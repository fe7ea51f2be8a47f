//! Target-independent resource-constrained scheduling.
//!
//! The engine schedules [`Problem`]s: activities with integer durations and
//! demands on renewable resources, linked by precedences with minimum
//! start-to-start delays. [`solve`] computes lower bounds, runs priority-rule
//! list scheduling with forward-backward improvement, then a genetic search
//! within a deterministic budget. [`check`] validates any schedule
//! independently. [`psplib`] reads the field's benchmark format.
//!
//! The building blocks are public for schedulers built on top:
//! [`ResourceProfile`] (per-resource usage with fast earliest-fit search),
//! [`PartialSchedule`] (placing activities one by one), [`SerialSgs`] and
//! [`priority_list`].

pub mod check;
pub mod psplib;

mod bounds;
mod budget;
mod decode;
mod destructive;
mod genetic;
mod incumbent;
mod justify;
mod priority;
mod problem;
mod profile;
mod schedule;
mod sgs;
mod solve;

pub use bounds::{LowerBounds, heads, lower_bounds, tails};
pub use justify::{Justified, Justifier};
pub use priority::{PriorityRule, priority_list, sample_list};
pub use problem::{
    ActivityId, Demand, Link, Precedence, Problem, ProblemBuilder, ProblemError, ResourceId,
};
pub use profile::ResourceProfile;
pub use schedule::{ActivityList, ActivityListError, Schedule};
pub use sgs::{PartialSchedule, SerialSgs};
pub use solve::{Effort, Solution, SolveOptions, list_schedule, solve};
