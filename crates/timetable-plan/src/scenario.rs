//! One complete planning question: what runs, what arrives, how it is served, and how
//! long to simulate.

use std::num::NonZeroU32;

use crate::buckets::Buckets;
use crate::deployment::{Deployment, Slo};
use crate::engine;
use crate::error::Error;
use crate::progress::Progress;
use crate::report::Report;
use crate::search::parallel_map;
use crate::stats::Collector;
use crate::workload::{SizeDist, Workload};

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub buckets: Buckets,
    pub workload: Workload,
    pub deployment: Deployment,
    pub slo: Slo,
    /// Requests to simulate (a replay stops early at the trace's end).
    pub requests: u64,
    /// Leading requests left out of request-level statistics.
    pub warmup: u64,
    pub seed: u64,
}

impl Scenario {
    /// Runs the simulation. Same scenario, same report, bit for bit.
    pub fn simulate(&self, progress: &Progress) -> Result<Report, Error> {
        self.check()?;
        let count = self.workload.count(self.requests);
        let mut collector = Collector::new(&self.buckets, &self.slo, self.warmup, count);
        engine::run(
            &self.buckets,
            &self.deployment,
            self.workload.requests(self.requests, self.seed),
            &mut collector,
            progress,
        )?;
        Ok(collector.finish(&self.buckets, &self.slo, self.deployment.replicas.get()))
    }

    fn check(&self) -> Result<(), Error> {
        if let Some(rate) = self.workload.rate()
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(Error::Config(format!(
                "the arrival rate must be positive, not {rate}"
            )));
        }
        if self.workload.rate().is_none() {
            return Err(Error::Config(
                "the trace spans no time; give a --rate to replay it at".into(),
            ));
        }
        let count = self.workload.count(self.requests);
        if count == 0 {
            return Err(Error::Config(
                "nothing to simulate: ask for at least one request".into(),
            ));
        }
        if self.warmup >= count {
            return Err(Error::Config(format!(
                "a warm-up of {} requests leaves none of the {count} to measure",
                self.warmup
            )));
        }
        self.deployment.check()
    }

    /// The seeds of `count` independent replications: `seed, seed + 1, ...`, or only
    /// `seed` for a trace replay, which the seed does not change.
    pub fn replication_seeds(&self, count: usize) -> Vec<u64> {
        let count = if self.workload.is_random() {
            count.max(1)
        } else {
            1
        };
        (0..count as u64)
            .map(|i| self.seed.wrapping_add(i))
            .collect()
    }

    /// Simulates the replications of [`Scenario::replication_seeds`] on all cores.
    pub fn replications(&self, count: usize, progress: &Progress) -> Result<Vec<Report>, Error> {
        parallel_map(&self.replication_seeds(count), |&seed| {
            self.with_seed(seed).simulate(progress)
        })
        .into_iter()
        .collect()
    }

    pub fn at_rate(&self, rate: f64) -> Scenario {
        Scenario {
            workload: self.workload.at_rate(rate),
            ..self.clone()
        }
    }

    pub fn with_replicas(&self, replicas: NonZeroU32) -> Scenario {
        let mut scenario = self.clone();
        scenario.deployment.replicas = replicas;
        scenario
    }

    pub fn with_seed(&self, seed: u64) -> Scenario {
        Scenario {
            seed,
            ..self.clone()
        }
    }

    /// The arrival rate at which the replicas would be busy all the time if every batch
    /// were as full as the policy allows: replicas over the mean cheapest per-request
    /// service time. Oversize requests cost nothing. `None` if nothing fits a bucket.
    pub fn saturation_rate(&self) -> Option<f64> {
        let cap = self.deployment.batching.max_batch.get();
        let per_request: Vec<f64> = self
            .buckets
            .as_slice()
            .iter()
            .map(|bucket| {
                bucket
                    .launchable(cap)
                    .map(|(n, variant)| variant.service_s / f64::from(n))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let cost = |size: u64| {
            self.buckets
                .bucket_for(size)
                .map_or(0.0, |k| per_request[k])
        };
        let mean_cost = match &self.workload {
            Workload::Poisson { sizes, .. } => match sizes {
                SizeDist::Fixed(size) => cost(*size),
                SizeDist::Uniform { low, high } => {
                    // Each bucket takes the sizes between the previous bound and its own.
                    let span = (high - low) as f64 + 1.0;
                    let mut below = *low;
                    let mut total = 0.0;
                    for (bucket, &c) in self.buckets.as_slice().iter().zip(&per_request) {
                        let top = bucket.max_size.min(*high);
                        if top >= below {
                            total += c * ((top - below) as f64 + 1.0) / span;
                            below = top.saturating_add(1);
                        }
                    }
                    total
                }
                SizeDist::Weighted { values, cumulative } => {
                    let mut previous = 0.0;
                    let mut total = 0.0;
                    for (&value, &c) in values.iter().zip(cumulative.iter()) {
                        total += cost(value) * (c - previous);
                        previous = c;
                    }
                    total / previous
                }
            },
            Workload::Replay { trace, .. } => {
                trace.sizes().iter().map(|&s| cost(s)).sum::<f64>() / trace.len() as f64
            }
        };
        (mean_cost > 0.0).then(|| f64::from(self.deployment.replicas.get()) / mean_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buckets::Bucket;

    fn scenario(sizes: SizeDist) -> Scenario {
        Scenario {
            buckets: Buckets::new(vec![
                Bucket::unbatched("small", 100, 1e-3),
                Bucket::unbatched("large", 400, 4e-3),
            ])
            .unwrap(),
            workload: Workload::Poisson { rate: 100.0, sizes },
            deployment: Deployment::default(),
            slo: Slo::default(),
            requests: 1000,
            warmup: 0,
            seed: 1,
        }
    }

    #[test]
    fn saturation_rate_weights_buckets_by_size_share() {
        // Sizes 1..=400: a quarter in `small` (1 ms), the rest in `large` (4 ms).
        let uniform = scenario(SizeDist::uniform(1, 400).unwrap());
        let expected = 1.0 / (0.25 * 1e-3 + 0.75 * 4e-3);
        assert!((uniform.saturation_rate().unwrap() / expected - 1.0).abs() < 1e-12);
        let weighted = scenario(SizeDist::weighted(&[(50, 1.0), (300, 1.0), (900, 2.0)]).unwrap());
        let expected = 1.0 / (0.25 * 1e-3 + 0.25 * 4e-3);
        assert!((weighted.saturation_rate().unwrap() / expected - 1.0).abs() < 1e-12);
        assert_eq!(scenario(SizeDist::Fixed(1000)).saturation_rate(), None);
    }

    #[test]
    fn refuses_a_warmup_that_swallows_the_run() {
        let mut s = scenario(SizeDist::Fixed(1));
        s.warmup = 1000;
        assert!(
            s.simulate(&Progress::hidden())
                .unwrap_err()
                .to_string()
                .contains("warm-up")
        );
    }
}
