//! Dataflow analysis for timetable: a generic fixpoint framework and the analyses every
//! pass needs.
//!
//! - [`framework`]: lattice, direction, transfer functions, worklist solver, cursor,
//!   over a control-flow-graph abstraction.
//! - [`defuse`]: def-use chains.
//! - [`liveness`]: liveness of vectors and buffers, live ranges in program order or
//!   cycles ([`liveness::live_ranges`] for the allocator).
//! - [`deps`]: the dependence DAG (register and memory/state dependences, latencies,
//!   hop bounds).
//! - [`critical_path`], [`resources`], [`pressure`]: the critical path, work per unit
//!   class and the memory-pressure profile.
//! - [`bounds`]: [`lower_bounds`], the makespan and memory lower bounds the scheduler
//!   and allocator reports compare against.
//! - [`present`]: the `timetable analyze` output (attributes, summary, Graphviz) and the
//!   `analyze` pass.

mod access;
pub mod bitset;
pub mod bounds;
pub mod codes;
pub mod critical_path;
pub mod defuse;
pub mod deps;
pub mod framework;
pub mod liveness;
pub mod present;
pub mod pressure;
pub mod program;
pub mod resources;

pub use bitset::BitSet;
pub use bounds::{Bottleneck, LowerBounds, MemoryBound, lower_bounds};
pub use critical_path::CriticalPath;
pub use defuse::DefUse;
pub use deps::DepGraph;
pub use liveness::{LiveRanges, Liveness, live_ranges};
pub use pressure::PressureProfile;
pub use program::{Interval, IssueTimes, TimeBase};
pub use resources::{Resource, ResourceWork, resource_work};
