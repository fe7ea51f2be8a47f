//! Capacity-safe placement of memory-resident values: the IR-independent
//! core of the allocator.
//!
//! Values become [`Buffer`]s: a half-open live interval `[lower, upper)`, a
//! size and an alignment. A [`Problem`] places buffers in one address space
//! `[0, capacity)`; [`pack`] gives every buffer an offset such that no two
//! buffers live at the same time share an address, or reports the lowest
//! packing it found and whether fitting is proven impossible.
//!
//! ```
//! use timetable_alloc::{Buffer, Limits, Problem, Status, pack};
//!
//! let mut problem = Problem::new(12);
//! for (lower, upper, size) in [(0, 3, 4), (3, 9, 4), (0, 9, 4), (9, 21, 4), (0, 21, 4)] {
//!     problem.push(Buffer::new(lower, upper, size).unwrap()).unwrap();
//! }
//! let outcome = pack(&problem, &Limits::default());
//! assert_eq!(outcome.status, Status::Fits);
//! assert!(timetable_alloc::checker::check(&problem, outcome.packing.offsets()).is_ok());
//! ```
//!
//! [`BinProblem`] and [`pack_bins`] place buffers in several equal address
//! spaces (on the chip one per slice and bank), with pins to a bin and
//! groups of buffers that must be in pairwise different bins.
//! [`minimalloc`] reads and writes MiniMalloc's CSV benchmark format, and
//! [`checker`] re-checks any packing independently of the allocator.
//!
//! On top of the core, [`program`] allocates IR modules (the `alloc` pass),
//! [`module_check`] is the independent checker of allocated modules (a
//! verifier hook), and [`interop`] is `timetable alloc --minimalloc`.
//!
//! The algorithm is described in the crate's README.

pub mod bins;
pub mod checker;
pub mod codes;
mod greedy;
pub mod interop;
pub mod minimalloc;
pub mod module_check;
pub mod occupancy;
mod order;
mod overlap;
mod pack;
pub mod problem;
pub mod program;
mod search;
mod sweep;

pub use bins::{Bin, BinError, BinOutcome, BinProblem, BinReport, Placement, assign, pack_bins};
pub use pack::{Limits, Outcome, Packing, Stats, Status, pack};
pub use problem::{Align, Buffer, BufferId, Lifetime, Problem, ProblemError};
