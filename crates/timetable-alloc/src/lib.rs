//! Capacity-safe placement of memory-resident values (work in progress).

pub mod bins;
pub mod checker;
mod greedy;
pub mod minimalloc;
mod order;
mod overlap;
mod pack;
pub mod problem;
mod search;
mod sweep;

pub use bins::{Bin, BinError, BinOutcome, BinProblem, BinReport, Placement, assign, pack_bins};
pub use pack::{Limits, Outcome, Packing, Stats, Status, pack};
pub use problem::{Align, Buffer, BufferId, Lifetime, Problem, ProblemError};
