//! Turns the engine's events into a [`Report`].
//!
//! Request-level figures (waits, latencies, rejections, goodput) skip the first `warmup`
//! arrivals, which see an unrealistically empty system; replica-level figures
//! (utilisation, per-bucket batches and padding) cover the whole run.

use crate::buckets::Buckets;
use crate::deployment::Slo;
use crate::engine::{Launch, Rejection, Served, Sink};
use crate::histogram::{Histogram, batch_means};
use crate::percentile::Percentile;
use crate::report::{BucketReport, Distribution, Level, Rejected, Report};

/// Contiguous groups of arrivals for the batch-means confidence intervals: enough
/// degrees of freedom for a tight t quantile, few enough that each group is long.
const GROUPS: u64 = 20;

#[derive(Default, Clone, Copy)]
struct BucketTally {
    requests: u64,
    size_sum: u128,
    batches: u64,
    members: u64,
    slots: u64,
    busy_s: f64,
}

/// A [`Sink`] that keeps what the report needs.
pub(crate) struct Collector {
    warmup: u64,
    deadline: f64,
    /// Counted arrivals expected; fixes which group a request belongs to.
    counted: u64,
    waits: Histogram,
    latencies: Histogram,
    /// Latencies by group of arrival order, for the confidence intervals.
    latency_groups: Vec<Histogram>,
    admitted: u64,
    wait_sum: f64,
    latency_sum: f64,
    wait_max: f64,
    latency_max: f64,
    good: u64,
    rejected: Rejected,
    origin: f64,
    last_arrival: f64,
    last_completion: f64,
    busy_s: f64,
    buckets: Vec<BucketTally>,
}

impl Collector {
    pub(crate) fn new(buckets: &Buckets, slo: &Slo, warmup: u64, expected: u64) -> Self {
        Collector {
            warmup,
            deadline: slo.deadline(),
            counted: expected.saturating_sub(warmup),
            waits: Histogram::default(),
            latencies: Histogram::default(),
            latency_groups: vec![Histogram::default(); GROUPS as usize],
            admitted: 0,
            wait_sum: 0.0,
            latency_sum: 0.0,
            wait_max: 0.0,
            latency_max: 0.0,
            good: 0,
            rejected: Rejected::default(),
            origin: 0.0,
            last_arrival: 0.0,
            last_completion: 0.0,
            busy_s: 0.0,
            buckets: vec![BucketTally::default(); buckets.as_slice().len()],
        }
    }

    /// Notes an arrival's time; tells whether it counts towards request statistics.
    #[inline]
    fn arrived(&mut self, seq: u64, arrival: f64) -> bool {
        self.last_arrival = self.last_arrival.max(arrival);
        if seq + 1 == self.warmup {
            self.origin = arrival;
        }
        seq >= self.warmup
    }

    pub(crate) fn finish(self, buckets: &Buckets, slo: &Slo, replicas: u32) -> Report {
        let mut levels: Vec<Percentile> = Percentile::REPORTED.to_vec();
        levels.extend(slo.targets.iter().map(|&(level, _)| level));
        levels.sort();
        levels.dedup();
        let intervals = batch_means(&self.latency_groups, &levels);
        let wait_values = self.waits.percentiles(&levels);
        let latency_values = self.latencies.percentiles(&levels);
        let admitted = self.admitted;
        let mean = |sum: f64| (admitted > 0).then(|| sum / admitted as f64);
        let max = |value: f64| (admitted > 0).then_some(value);
        let wait = Distribution {
            mean: mean(self.wait_sum),
            max: max(self.wait_max),
            levels: levels
                .iter()
                .zip(&wait_values)
                .map(|(&percentile, &value)| Level {
                    percentile,
                    value,
                    ci95: None,
                })
                .collect(),
        };
        let latency = Distribution {
            mean: mean(self.latency_sum),
            max: max(self.latency_max),
            levels: levels
                .iter()
                .zip(latency_values)
                .zip(intervals)
                .map(|((&percentile, value), ci95)| Level {
                    percentile,
                    value,
                    ci95,
                })
                .collect(),
        };
        let requests = admitted + self.rejected.total();
        let window_s = self.last_arrival - self.origin;
        let per_second = |count: u64| {
            if window_s > 0.0 {
                count as f64 / window_s
            } else {
                0.0
            }
        };
        let capacity_s = f64::from(replicas) * self.last_completion;
        let bucket_reports = buckets
            .as_slice()
            .iter()
            .zip(&self.buckets)
            .map(|(bucket, tally)| BucketReport {
                name: bucket.name.clone(),
                max_size: (!bucket.is_unbounded()).then_some(bucket.max_size),
                requests: tally.requests,
                batches: tally.batches,
                mean_batch: (tally.batches > 0)
                    .then(|| tally.members as f64 / tally.batches as f64),
                padding_waste: (!bucket.is_unbounded() && tally.slots > 0).then(|| {
                    let capacity = u128::from(tally.slots) * u128::from(bucket.max_size);
                    1.0 - tally.size_sum as f64 / capacity as f64
                }),
                busy_share: (self.busy_s > 0.0).then(|| tally.busy_s / self.busy_s),
            })
            .collect();
        Report {
            requests,
            admitted,
            rejected: self.rejected,
            window_s,
            offered_rate: per_second(requests),
            throughput: per_second(admitted),
            goodput: per_second(self.good),
            utilization: if capacity_s > 0.0 {
                self.busy_s / capacity_s
            } else {
                0.0
            },
            wait,
            latency,
            slo: slo.clone(),
            buckets: bucket_reports,
        }
    }
}

impl Sink for Collector {
    #[inline]
    fn launched(&mut self, launch: Launch) {
        let end = launch.start + launch.service_s;
        self.last_completion = self.last_completion.max(end);
        self.busy_s += launch.service_s;
        let tally = &mut self.buckets[launch.bucket];
        tally.batches += 1;
        tally.members += u64::from(launch.members);
        tally.slots += u64::from(launch.slots);
        tally.busy_s += launch.service_s;
    }

    #[inline]
    fn served(&mut self, served: Served) {
        let tally = &mut self.buckets[served.bucket];
        tally.requests += 1;
        tally.size_sum += u128::from(served.size);
        if !self.arrived(served.seq, served.arrival) {
            return;
        }
        let wait = served.wait();
        let latency = served.latency();
        self.admitted += 1;
        self.wait_sum += wait;
        self.latency_sum += latency;
        self.wait_max = self.wait_max.max(wait);
        self.latency_max = self.latency_max.max(latency);
        self.good += u64::from(latency <= self.deadline);
        self.waits.record(wait);
        self.latencies.record(latency);
        let group = (served.seq - self.warmup) * GROUPS / self.counted.max(1);
        self.latency_groups[group.min(GROUPS - 1) as usize].record(latency);
    }

    fn rejected(&mut self, seq: u64, arrival: f64, reason: Rejection) {
        if self.arrived(seq, arrival) {
            self.rejected.count(reason);
        }
    }
}
