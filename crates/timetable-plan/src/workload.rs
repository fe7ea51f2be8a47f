//! What arrives: the arrival process and the request-size distribution.
//!
//! Random streams come from `Xoshiro256PlusPlus` seeded with `seed_from_u64`: a named
//! algorithm (rand promises the same stream for it across versions, unlike `StdRng`),
//! and a few nanoseconds per number, which the throughput target needs.

use std::sync::Arc;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

use crate::trace::Trace;

/// One request: arrival time in seconds and size (e.g. context tokens).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    pub arrival: f64,
    pub size: u64,
}

/// Request sizes, drawn independently per request.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeDist {
    /// Every request has this size.
    Fixed(u64),
    /// Uniform on `low..=high`.
    Uniform { low: u64, high: u64 },
    /// `values[i]` with probability `weight[i] / total`; `cumulative` holds the running
    /// sums of the weights. Build with [`SizeDist::weighted`] or [`SizeDist::empirical`].
    Weighted {
        values: Arc<[u64]>,
        cumulative: Arc<[f64]>,
    },
}

impl SizeDist {
    pub fn uniform(low: u64, high: u64) -> Result<Self, String> {
        if low > high {
            return Err(format!("uniform sizes: low {low} is above high {high}"));
        }
        Ok(SizeDist::Uniform { low, high })
    }

    /// Sizes with given (positive, finite) weights.
    pub fn weighted(pairs: &[(u64, f64)]) -> Result<Self, String> {
        if pairs.is_empty() {
            return Err("a size distribution needs at least one value".into());
        }
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(pairs.len());
        for (i, &(_, weight)) in pairs.iter().enumerate() {
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!(
                    "size weight [{i}] must be positive and finite, not {weight}"
                ));
            }
            total += weight;
            cumulative.push(total);
        }
        Ok(SizeDist::Weighted {
            values: pairs.iter().map(|&(value, _)| value).collect(),
            cumulative: cumulative.into(),
        })
    }

    /// The empirical distribution of `sizes` (e.g. a trace's size column).
    pub fn empirical(sizes: &[u64]) -> Result<Self, String> {
        let pairs: Vec<(u64, f64)> = sizes.iter().map(|&size| (size, 1.0)).collect();
        SizeDist::weighted(&pairs)
    }

    fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> u64 {
        match self {
            SizeDist::Fixed(size) => *size,
            SizeDist::Uniform { low, high } => low + below(rng, high - low + 1),
            SizeDist::Weighted { values, cumulative } => {
                let total = cumulative[cumulative.len() - 1];
                let target = unit_open_closed(rng) * total;
                let index = cumulative.partition_point(|&c| c < target);
                values[index.min(values.len() - 1)]
            }
        }
    }
}

/// The arrival process together with the sizes it brings.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    /// Poisson arrivals at `rate` requests per second, sizes drawn from `sizes`.
    Poisson { rate: f64, sizes: SizeDist },
    /// Trace replay: the trace's arrivals and sizes, its timestamps scaled so that the
    /// mean rate is `rate` (the trace's own timing when `None`).
    Replay { trace: Trace, rate: Option<f64> },
}

impl Workload {
    /// The mean offered rate in requests per second.
    pub fn rate(&self) -> Option<f64> {
        match self {
            Workload::Poisson { rate, .. } => Some(*rate),
            Workload::Replay { trace, rate } => rate.or_else(|| trace.native_rate()),
        }
    }

    /// The same workload offered at `rate` requests per second.
    pub fn at_rate(&self, rate: f64) -> Workload {
        match self {
            Workload::Poisson { sizes, .. } => Workload::Poisson {
                rate,
                sizes: sizes.clone(),
            },
            Workload::Replay { trace, .. } => Workload::Replay {
                trace: trace.clone(),
                rate: Some(rate),
            },
        }
    }

    /// Whether the seed changes the requests (trace replay is fixed).
    pub fn is_random(&self) -> bool {
        matches!(self, Workload::Poisson { .. })
    }

    /// How many requests a run of `requested` produces: a replay stops at the trace's end.
    pub fn count(&self, requested: u64) -> u64 {
        match self {
            Workload::Poisson { .. } => requested,
            Workload::Replay { trace, .. } => requested.min(trace.len() as u64),
        }
    }

    /// The first `requested` requests (fewer for a shorter trace), in arrival order.
    pub fn requests(&self, requested: u64, seed: u64) -> Requests<'_> {
        let remaining = self.count(requested);
        let source = match self {
            Workload::Poisson { rate, sizes } => Source::Poisson {
                mean_gap: 1.0 / rate,
                sizes,
                rng: Xoshiro256PlusPlus::seed_from_u64(seed),
                clock: 0.0,
            },
            Workload::Replay { trace, rate } => {
                let time_scale = match (rate, trace.native_rate()) {
                    (Some(target), Some(native)) => native / target,
                    _ => 1.0,
                };
                Source::Replay {
                    trace,
                    time_scale,
                    next: 0,
                }
            }
        };
        Requests { source, remaining }
    }
}

/// The request stream of a [`Workload`], generated lazily: a run of 10^7 requests never
/// holds its arrivals in memory.
pub struct Requests<'a> {
    source: Source<'a>,
    remaining: u64,
}

enum Source<'a> {
    Poisson {
        mean_gap: f64,
        sizes: &'a SizeDist,
        rng: Xoshiro256PlusPlus,
        clock: f64,
    },
    Replay {
        trace: &'a Trace,
        time_scale: f64,
        next: usize,
    },
}

impl Iterator for Requests<'_> {
    type Item = Request;

    #[inline]
    fn next(&mut self) -> Option<Request> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(match &mut self.source {
            Source::Poisson {
                mean_gap,
                sizes,
                rng,
                clock,
            } => {
                *clock += -unit_open_closed(rng).ln() * *mean_gap;
                Request {
                    arrival: *clock,
                    size: sizes.sample(rng),
                }
            }
            Source::Replay {
                trace,
                time_scale,
                next,
            } => {
                let request = Request {
                    arrival: trace.times()[*next] * *time_scale,
                    size: trace.sizes()[*next],
                };
                *next += 1;
                request
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

/// A uniform number in (0, 1] with 53 random bits: never 0, so its logarithm is finite.
#[inline]
fn unit_open_closed(rng: &mut Xoshiro256PlusPlus) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A number in `0..n` by Lemire's multiply-shift, without rejection: the bias is below
/// n / 2^64, far under anything a simulation can see.
#[inline]
fn below(rng: &mut Xoshiro256PlusPlus, n: u64) -> u64 {
    if n == 0 {
        // `high - low + 1` wrapped: the full u64 range.
        return rng.next_u64();
    }
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_rate_and_determinism() {
        let workload = Workload::Poisson {
            rate: 1000.0,
            sizes: SizeDist::uniform(1, 4).unwrap(),
        };
        let a: Vec<Request> = workload.requests(100_000, 7).collect();
        let b: Vec<Request> = workload.requests(100_000, 7).collect();
        assert_eq!(a, b);
        let rate = a.len() as f64 / a.last().unwrap().arrival;
        assert!((rate / 1000.0 - 1.0).abs() < 0.01, "{rate}");
        assert!(a.windows(2).all(|w| w[0].arrival <= w[1].arrival));
        let mut counts = [0u32; 5];
        for request in &a {
            counts[request.size as usize] += 1;
        }
        assert_eq!(counts[0], 0);
        assert!(
            counts[1..]
                .iter()
                .all(|&c| (c as f64 / 25_000.0 - 1.0).abs() < 0.03)
        );
    }

    #[test]
    fn weighted_sizes_follow_weights() {
        let sizes = SizeDist::weighted(&[(10, 3.0), (20, 1.0)]).unwrap();
        let workload = Workload::Poisson { rate: 1.0, sizes };
        let tens = workload
            .requests(40_000, 1)
            .filter(|r| r.size == 10)
            .count();
        assert!((tens as f64 / 30_000.0 - 1.0).abs() < 0.02, "{tens}");
        assert!(SizeDist::weighted(&[(1, 0.0)]).is_err());
        assert!(SizeDist::uniform(5, 4).is_err());
    }

    #[test]
    fn replay_scales_time_to_the_rate() {
        let trace = Trace::new(vec![0.0, 1.0, 3.0], vec![5, 6, 7]).unwrap();
        let native = Workload::Replay {
            trace: trace.clone(),
            rate: None,
        };
        assert_eq!(native.rate(), Some(2.0 / 3.0));
        let fast = native.at_rate(2.0);
        let requests: Vec<Request> = fast.requests(10, 0).collect();
        let times: Vec<f64> = requests.iter().map(|r| r.arrival).collect();
        assert_eq!(times, vec![0.0, 1.0 / 3.0, 1.0]);
        assert_eq!(requests[2].size, 7);
        assert_eq!(fast.count(2), 2);
    }
}
