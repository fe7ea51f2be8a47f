//! Capacity planning for a deterministic serving deployment.
//!
//! On a software-scheduled chip every compiled bucket's service time is known to the
//! cycle, so tail latency comes from queueing, batching and admission, not from the
//! hardware. This crate simulates a deployment (replicas, shape buckets with per-batch
//! service times, a batching policy, admission control) under Poisson arrivals or a
//! replayed trace, reports wait and latency percentiles against an SLO, and searches
//! for the highest sustainable rate or the fewest replicas.
//!
//! ```
//! use timetable_plan::{Buckets, Deployment, Progress, Scenario, SizeDist, Slo, Workload};
//!
//! let scenario = Scenario {
//!     buckets: Buckets::single(1e-3).unwrap(), // one program, 1 ms per request
//!     workload: Workload::Poisson { rate: 500.0, sizes: SizeDist::Fixed(1) },
//!     deployment: Deployment::default(),     // one replica, no batching
//!     slo: Slo::default(),
//!     requests: 100_000,
//!     warmup: 0,
//!     seed: 1,
//! };
//! let report = scenario.simulate(&Progress::hidden()).unwrap();
//! // M/D/1 at ρ = 0.5: mean wait ρD / (2(1-ρ)) = 0.5 ms.
//! assert!((report.wait.mean.unwrap() / 0.5e-3 - 1.0).abs() < 0.05);
//! ```

mod buckets;
pub mod cli;
pub mod compiled;
mod deployment;
mod engine;
mod error;
mod histogram;
mod percentile;
pub mod plot;
mod progress;
mod report;
mod scenario;
pub mod search;
mod spec;
mod stats;
pub mod sweep;
pub mod theory;
mod time;
mod trace;
mod workload;

pub use buckets::{BatchVariant, Bucket, Buckets};
pub use deployment::{Admission, Batching, Deployment, Slo};
pub use engine::{Launch, Rejection, Served, Sink, run};
pub use error::Error;
pub use histogram::{Histogram, batch_means};
pub use percentile::{Interval, Percentile};
pub use progress::Progress;
pub use report::{BucketReport, Distribution, Level, Rejected, Report};
pub use scenario::Scenario;
pub use spec::{Defaults, Spec};
pub use time::{format_duration, parse_duration};
pub use trace::Trace;
pub use workload::{Request, SizeDist, Workload};
