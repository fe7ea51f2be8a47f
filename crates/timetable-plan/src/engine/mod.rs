//! The discrete-event simulation of a deployment.
//!
//! Requests are processed in arrival order and every decision is made at the earliest
//! moment it can be, so there is no general event queue:
//! - without batching every request is its own launch, the discipline is global FCFS
//!   over all buckets, and a request's start is known the moment it arrives
//!   (`unbatched`, the Kiefer–Wolfowitz recursion over the replicas' free times);
//! - with batching, launches are decided lazily: before an arrival is queued, every
//!   launch due at or before its arrival time is made (`batched`).
//!
//! At equal times a launch happens before an arrival, so a request arriving exactly when
//! a batch launches waits for the next one. Both engines report to a [`Sink`].

mod batched;
mod servers;
mod unbatched;

use crate::buckets::Buckets;
use crate::deployment::Deployment;
use crate::error::Error;
use crate::progress::Progress;
use crate::workload::Request;

/// One admitted request, reported when its batch launches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Served {
    /// Position in the arrival stream (0-based, counting rejected requests too).
    pub seq: u64,
    pub arrival: f64,
    pub size: u64,
    pub bucket: usize,
    /// When its batch started running, in seconds.
    pub start: f64,
    /// Its batch's service time, in seconds.
    pub service_s: f64,
}

impl Served {
    pub fn wait(&self) -> f64 {
        self.start - self.arrival
    }

    pub fn latency(&self) -> f64 {
        self.start + self.service_s - self.arrival
    }
}

/// One batch launched on a replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Launch {
    pub bucket: usize,
    pub start: f64,
    pub service_s: f64,
    /// The compiled batch it runs (at least `members`; the rest is padding).
    pub slots: u32,
    pub members: u32,
}

/// Why a request was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Larger than every bucket's shape bound.
    Oversize,
    /// It would have waited while the queue was at capacity.
    QueueFull,
    /// Its predicted latency exceeded the admission deadline.
    Deadline,
}

/// Receives the simulation's outcome. Launches come in nondecreasing start order, each
/// followed by its members' `served` calls.
pub trait Sink {
    fn launched(&mut self, launch: Launch);
    fn served(&mut self, served: Served);
    fn rejected(&mut self, seq: u64, arrival: f64, reason: Rejection);
}

/// Simulates `requests` (in nondecreasing arrival order) on `deployment`.
pub fn run<S: Sink>(
    buckets: &Buckets,
    deployment: &Deployment,
    requests: impl Iterator<Item = Request>,
    sink: &mut S,
    progress: &Progress,
) -> Result<(), Error> {
    deployment.check()?;
    let plan = ServicePlan::new(buckets, deployment);
    let requests = progress.track(requests);
    if plan.batches() {
        batched::run(&plan, deployment, requests, sink);
    } else {
        unbatched::run(&plan, deployment, requests, sink);
    }
    Ok(())
}

/// A compiled program run: the batch it pads to and how long it takes.
#[derive(Clone, Copy, Debug)]
struct Run {
    slots: u32,
    service_s: f64,
}

/// The buckets as the engines need them: size bounds for lookup and, per bucket, the run
/// for every batch size up to the effective maximum (the policy's cap, or the largest
/// compiled batch if smaller).
struct ServicePlan {
    bounds: Vec<u64>,
    runs: Vec<Vec<Run>>,
}

impl ServicePlan {
    fn new(buckets: &Buckets, deployment: &Deployment) -> Self {
        let cap = deployment.batching.max_batch.get();
        let runs = buckets
            .as_slice()
            .iter()
            .map(|bucket| {
                bucket
                    .launchable(cap)
                    .map(|(_, variant)| Run {
                        slots: variant.batch,
                        service_s: variant.service_s,
                    })
                    .collect()
            })
            .collect();
        ServicePlan {
            bounds: buckets.as_slice().iter().map(|b| b.max_size).collect(),
            runs,
        }
    }

    #[inline]
    fn bucket_for(&self, size: u64) -> Option<usize> {
        let index = self.bounds.partition_point(|&bound| bound < size);
        (index < self.bounds.len()).then_some(index)
    }

    /// Largest batch bucket `k` launches.
    #[inline]
    fn max_batch(&self, k: usize) -> usize {
        self.runs[k].len()
    }

    /// The run for a batch of `n` (1..=max_batch) requests of bucket `k`.
    #[inline]
    fn run(&self, k: usize, n: usize) -> Run {
        self.runs[k][n - 1]
    }

    fn batches(&self) -> bool {
        self.runs.iter().any(|runs| runs.len() > 1)
    }
}
