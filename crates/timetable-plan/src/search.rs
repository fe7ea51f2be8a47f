//! Dimensioning: the highest rate, or the fewest replicas, that meets the SLO.
//!
//! Confidence comes from independent replications: the same search runs with seeds
//! `seed, seed + 1, ...` (trace replay is fixed, so it runs once), and the answers get a
//! Student-t interval. Within one replication the arrivals at every rate are the same
//! unit-rate sequence scaled in time (common random numbers), so for FCFS the measured
//! latencies only grow with the rate and the bisection brackets a single crossing.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;
use crate::percentile::Interval;
use crate::progress::Progress;
use crate::report::Report;
use crate::scenario::Scenario;
use crate::time::{format_duration, significant};

/// Doublings tried past the saturation rate before concluding that admission control
/// keeps the SLO at any rate.
const MAX_DOUBLINGS: u32 = 20;
/// Replica counts are searched up to 2^16.
const MAX_REPLICAS_LOG2: u32 = 16;

/// The answer of `--find-max-rate`.
#[derive(Clone, Debug)]
pub struct MaxRate {
    /// Per replication, the highest rate found to meet the SLO.
    pub rates: Vec<f64>,
    /// 95% interval over replications (`None` with a single replication).
    pub interval: Option<Interval>,
    /// The simulation at the smallest of `rates` with the first seed.
    pub report: Report,
    pub simulations: u64,
}

impl MaxRate {
    /// The rate to plan with: the mean over replications.
    pub fn rate(&self) -> f64 {
        self.rates.iter().sum::<f64>() / self.rates.len() as f64
    }
}

/// The answer of `--find-replicas`.
#[derive(Clone, Debug)]
pub struct ReplicaCount {
    /// The fewest replicas meeting the SLO in every replication.
    pub replicas: NonZeroU32,
    /// Per replication, the simulation at `replicas`.
    pub at: Vec<Report>,
    /// Per replication, the simulation at one replica fewer (none when `replicas` is 1).
    pub below: Vec<Report>,
    pub simulations: u64,
}

/// Bisects the arrival rate per replication to relative `precision`.
pub fn find_max_rate(
    scenario: &Scenario,
    replications: usize,
    precision: f64,
    progress: &Progress,
) -> Result<MaxRate, Error> {
    require_slo(scenario)?;
    if !(precision > 0.0 && precision < 1.0) {
        return Err(Error::Config(format!(
            "the precision must be in (0, 1), not {precision}"
        )));
    }
    let saturation = scenario
        .saturation_rate()
        .ok_or_else(|| Error::Config("no request fits any bucket".into()))?;
    let seeds = scenario.replication_seeds(replications);
    let simulations = AtomicUsize::new(0);
    let searches = parallel_map(&seeds, |&seed| {
        let scenario = scenario.with_seed(seed);
        let meets = |rate: f64| -> Result<bool, Error> {
            simulations.fetch_add(1, Ordering::Relaxed);
            Ok(scenario.at_rate(rate).simulate(progress)?.meets_slo())
        };
        let mut low = 0.0;
        let mut high = saturation;
        let mut doublings = 0;
        while meets(high)? {
            low = high;
            high *= 2.0;
            doublings += 1;
            if doublings > MAX_DOUBLINGS {
                return Err(Error::Config(format!(
                    "the SLO holds even at {}/s: admission control rejects the excess; \
                     bound the rejected fraction with --max-rejected",
                    significant(low, 4)
                )));
            }
        }
        while high - low > precision * high {
            let middle = 0.5 * (low + high);
            if meets(middle)? {
                low = middle;
            } else {
                high = middle;
            }
        }
        if low == 0.0 {
            return Err(Error::Config(format!(
                "the SLO is missed even at {}/s (the service time alone may exceed it)",
                significant(high, 4)
            )));
        }
        Ok(low)
    });
    let rates = searches.into_iter().collect::<Result<Vec<f64>, Error>>()?;
    let slowest = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let report = scenario.at_rate(slowest).simulate(progress)?;
    Ok(MaxRate {
        interval: Interval::of_estimates(&rates),
        rates,
        report,
        simulations: simulations.into_inner() as u64 + 1,
    })
}

/// Finds the fewest replicas meeting the SLO in every replication: doubling, then
/// bisection (more replicas never make an FCFS wait longer).
pub fn find_replicas(
    scenario: &Scenario,
    replications: usize,
    progress: &Progress,
) -> Result<ReplicaCount, Error> {
    require_slo(scenario)?;
    let mut simulations = 0;
    let mut evaluate = |replicas: u32| -> Result<Vec<Report>, Error> {
        let replicas = NonZeroU32::new(replicas).expect("replica counts start at 1");
        let reports = scenario
            .with_replicas(replicas)
            .replications(replications, progress)?;
        simulations += reports.len() as u64;
        Ok(reports)
    };
    let all_meet = |reports: &[Report]| reports.iter().all(Report::meets_slo);
    // Invariant: `low` replicas miss (0 trivially), `high` replicas meet.
    let mut low = 0u32;
    let mut high = 1u32;
    let mut at_high = evaluate(high)?;
    while !all_meet(&at_high) {
        if high >= 1 << MAX_REPLICAS_LOG2 {
            return Err(Error::Config(format!(
                "the SLO is missed even with {high} replicas (the service time alone may exceed it)"
            )));
        }
        low = high;
        high *= 2;
        at_high = evaluate(high)?;
    }
    let mut at_low = Vec::new();
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        let reports = evaluate(middle)?;
        if all_meet(&reports) {
            high = middle;
            at_high = reports;
        } else {
            low = middle;
            at_low = reports;
        }
    }
    if low > 0 && at_low.is_empty() {
        at_low = evaluate(low)?;
    }
    Ok(ReplicaCount {
        replicas: NonZeroU32::new(high).expect("high starts at 1 and only moves up or stays"),
        at: at_high,
        below: at_low,
        simulations,
    })
}

/// A search needs an SLO that some deployment could meet: no latency is shorter than
/// the fastest program.
fn require_slo(scenario: &Scenario) -> Result<(), Error> {
    if scenario.slo.is_empty() {
        return Err(Error::Config(
            "a search needs an SLO, e.g. --slo p99=10ms".into(),
        ));
    }
    let fastest = scenario.buckets.fastest_service();
    if let Some(&(level, bound)) = scenario
        .slo
        .targets
        .iter()
        .find(|&&(_, bound)| bound < fastest)
    {
        return Err(Error::Config(format!(
            "no deployment meets {level} <= {}: the fastest program alone takes {}",
            format_duration(bound),
            format_duration(fastest)
        )));
    }
    Ok(())
}

/// `f` over `items` on all cores, results in input order: independent simulations
/// parallelise perfectly and the order keeps the output deterministic.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every index was taken by a worker"))
        .collect()
}
