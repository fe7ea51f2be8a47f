//! How requests are served: replicas, batching, admission, and the SLO they are held to.

use std::num::NonZeroU32;

use crate::error::Error;
use crate::percentile::Percentile;
use crate::time::format_duration;

/// A serving deployment of identical replicas (chips), each running one batch at a time
/// on any bucket's program.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub replicas: NonZeroU32,
    pub batching: Batching,
    pub admission: Admission,
}

/// When a replica launches a batch. Requests wait in one FIFO queue per bucket; a
/// bucket's next batch is *ready* when its queue holds `max_batch` requests or its oldest
/// request has waited `max_wait_s`, whichever comes first. A free replica launches the
/// ready batch with the earliest ready time, taking up to `max_batch` requests.
#[derive(Clone, Debug, PartialEq)]
pub struct Batching {
    /// Most requests per batch; also capped by each bucket's largest compiled batch.
    pub max_batch: NonZeroU32,
    /// Longest a request waits for its batch to fill, in seconds (0: launch at once).
    pub max_wait_s: f64,
}

/// Which arrivals are turned away.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Admission {
    /// Reject a request that would have to wait while this many already wait.
    pub queue_capacity: Option<u64>,
    /// Reject a request whose predicted end-to-end latency exceeds this many seconds.
    /// Without batching the prediction is exact (FCFS on known service times); with
    /// batching it assumes no further arrivals.
    pub deadline_s: Option<f64>,
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            replicas: NonZeroU32::MIN,
            batching: Batching::default(),
            admission: Admission::default(),
        }
    }
}

impl Default for Batching {
    fn default() -> Self {
        Batching {
            max_batch: NonZeroU32::MIN,
            max_wait_s: 0.0,
        }
    }
}

impl Deployment {
    pub fn check(&self) -> Result<(), Error> {
        let wait = self.batching.max_wait_s;
        if !(wait.is_finite() && wait >= 0.0) {
            return Err(Error::Config(format!(
                "max wait must be finite and non-negative, not {}",
                format_duration(wait)
            )));
        }
        if let Some(deadline) = self.admission.deadline_s
            && !(deadline.is_finite() && deadline > 0.0)
        {
            return Err(Error::Config(format!(
                "the admission deadline must be positive, not {}",
                format_duration(deadline)
            )));
        }
        Ok(())
    }
}

/// A service-level objective on end-to-end latency of admitted requests, plus the
/// largest rejected fraction that still counts as serving the load.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Latency bounds in seconds, e.g. `p99 <= 0.010`, by increasing percentile.
    pub targets: Vec<(Percentile, f64)>,
    pub max_rejected: f64,
}

impl Default for Slo {
    fn default() -> Self {
        Slo {
            targets: Vec::new(),
            max_rejected: 0.01,
        }
    }
}

impl Slo {
    /// Parses `p99=10ms` into a target.
    pub fn parse_target(text: &str) -> Result<(Percentile, f64), String> {
        let (level, bound) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: write an SLO as e.g. `p99=10ms`"))?;
        let level = Percentile::parse(level)?;
        let bound = crate::time::parse_duration(bound)?;
        Ok((level, bound))
    }

    /// Adds or replaces the bound for one percentile.
    pub fn set(&mut self, level: Percentile, bound_s: f64) {
        self.targets.retain(|&(l, _)| l != level);
        self.targets.push((level, bound_s));
        self.targets.sort_by_key(|&(l, _)| l);
    }

    /// The latency a request must finish within to count towards goodput: the largest
    /// bound of any target (infinite without targets).
    pub fn deadline(&self) -> f64 {
        self.targets
            .iter()
            .map(|&(_, bound)| bound)
            .fold(None, |acc: Option<f64>, b| {
                Some(acc.map_or(b, |a| a.max(b)))
            })
            .unwrap_or(f64::INFINITY)
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// `p99 <= 10.00 ms, p99.9 <= 20.00 ms`.
    pub fn describe(&self) -> String {
        self.targets
            .iter()
            .map(|&(level, bound)| format!("{level} <= {}", format_duration(bound)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slo_targets() {
        let mut slo = Slo::default();
        assert_eq!(slo.deadline(), f64::INFINITY);
        let (level, bound) = Slo::parse_target("p99.9=20ms").unwrap();
        slo.set(level, bound);
        slo.set(Percentile::P99, 0.010);
        slo.set(Percentile::P99, 0.012);
        assert_eq!(
            slo.targets,
            vec![(Percentile::P99, 0.012), (Percentile::P999, 0.020)]
        );
        assert_eq!(slo.deadline(), 0.020);
        assert_eq!(slo.describe(), "p99 <= 12.00 ms, p99.9 <= 20.00 ms");
        assert!(Slo::parse_target("p99").is_err());
        assert!(Slo::parse_target("p99=10").is_err());
    }

    #[test]
    fn checks_ranges() {
        let mut deployment = Deployment::default();
        assert!(deployment.check().is_ok());
        deployment.batching.max_wait_s = f64::NAN;
        assert!(deployment.check().is_err());
        deployment.batching.max_wait_s = 0.0;
        deployment.admission.deadline_s = Some(0.0);
        assert!(deployment.check().is_err());
    }
}
