//! Compiled shape buckets: the exact service time of every program a deployment can run.
//!
//! A bucket is one compiled shape bound (the largest request size it accepts, e.g. a
//! context length) with one or more batch variants. A batch of `n` requests runs the
//! smallest variant whose batch is at least `n`, padded up to that batch and, per
//! request, up to the bucket's size bound. The plain public fields let a caller fill
//! the type from compiled modules' schedule reports; [`Buckets::new`] checks it once.

use crate::error::Error;
use crate::time::format_duration;

/// The largest batch a variant may declare: the simulator tabulates every batch size up
/// to a bucket's largest, and no compiled program batches more.
pub const MAX_BATCH: u32 = 1 << 16;

/// One compiled program variant of a bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchVariant {
    /// How many requests the program processes at once (at least 1).
    pub batch: u32,
    /// Exact service time of one run of the program, in seconds.
    pub service_s: f64,
}

impl BatchVariant {
    /// A variant whose service time is `cycles` at `clock_hz` (e.g. 900e6 on the TSP).
    pub fn from_cycles(batch: u32, cycles: u64, clock_hz: f64) -> Self {
        BatchVariant {
            batch,
            service_s: cycles as f64 / clock_hz,
        }
    }
}

/// One shape bucket: requests with `size <= max_size` run on its variants.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// A label for reports (e.g. the compiled function's name).
    pub name: String,
    /// Shape bound: the largest request size this bucket accepts.
    pub max_size: u64,
    /// Compiled batch variants, by strictly increasing `batch`.
    pub variants: Vec<BatchVariant>,
}

impl Bucket {
    /// A bucket with a single unbatched program.
    pub fn unbatched(name: impl Into<String>, max_size: u64, service_s: f64) -> Self {
        Bucket {
            name: name.into(),
            max_size,
            variants: vec![BatchVariant {
                batch: 1,
                service_s,
            }],
        }
    }

    /// The largest batch any variant accepts.
    pub fn largest_batch(&self) -> u32 {
        self.variants.last().map_or(1, |v| v.batch)
    }

    /// The variant that runs a batch of `n` requests: the smallest with `batch >= n`.
    pub fn variant_for(&self, n: u32) -> Option<&BatchVariant> {
        let index = self.variants.partition_point(|v| v.batch < n);
        self.variants.get(index)
    }

    /// For each batch size `n` a deployment capped at `max_batch` can launch, the variant
    /// that runs it: `n` goes up to the cap or the largest compiled batch, if smaller.
    pub fn launchable(&self, max_batch: u32) -> impl Iterator<Item = (u32, &BatchVariant)> {
        (1..=max_batch.min(self.largest_batch())).filter_map(|n| Some((n, self.variant_for(n)?)))
    }

    /// Whether the shape bound means "any size" (nothing to pad, no waste to report).
    pub fn is_unbounded(&self) -> bool {
        self.max_size == u64::MAX
    }
}

/// A checked, non-empty set of buckets by strictly increasing `max_size`, each with
/// strictly increasing batch variants of positive, finite service time.
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets(Vec<Bucket>);

impl Buckets {
    /// Checks `buckets`; the error names the offending bucket and field.
    pub fn new(buckets: Vec<Bucket>) -> Result<Self, Error> {
        if buckets.is_empty() {
            return Err(Error::Config("at least one bucket is needed".into()));
        }
        for (index, bucket) in buckets.iter().enumerate() {
            let at = |field: &str| format!("buckets[{index}] (`{}`).{field}", bucket.name);
            if index > 0 && bucket.max_size <= buckets[index - 1].max_size {
                return Err(Error::Config(format!(
                    "{}: {} must be larger than the previous bucket's {} (sort buckets by size bound)",
                    at("max_size"),
                    bucket.max_size,
                    buckets[index - 1].max_size
                )));
            }
            if bucket.variants.is_empty() {
                return Err(Error::Config(format!(
                    "{}: at least one batch variant is needed",
                    at("variants")
                )));
            }
            for (v, variant) in bucket.variants.iter().enumerate() {
                let field = at(&format!("variants[{v}]"));
                if variant.batch == 0 || variant.batch > MAX_BATCH {
                    return Err(Error::Config(format!(
                        "{field}.batch must be between 1 and {MAX_BATCH}, not {}",
                        variant.batch
                    )));
                }
                if v > 0 && variant.batch <= bucket.variants[v - 1].batch {
                    return Err(Error::Config(format!(
                        "{field}.batch: {} must be larger than the previous variant's {}",
                        variant.batch,
                        bucket.variants[v - 1].batch
                    )));
                }
                if !(variant.service_s.is_finite() && variant.service_s > 0.0) {
                    return Err(Error::Config(format!(
                        "{field}.service_time must be positive and finite, not {}",
                        format_duration(variant.service_s)
                    )));
                }
            }
        }
        Ok(Buckets(buckets))
    }

    /// One unbounded bucket with one unbatched program: the M/D/c case.
    pub fn single(service_s: f64) -> Result<Self, Error> {
        Buckets::new(vec![Bucket::unbatched("all", u64::MAX, service_s)])
    }

    /// One unbounded bucket whose batch of `n` takes `base_s + (n - 1) * per_extra_s`, for
    /// `n` up to `max_batch`: the affine cost of a batched program.
    pub fn affine(base_s: f64, per_extra_s: f64, max_batch: u32) -> Result<Self, Error> {
        if max_batch > MAX_BATCH {
            return Err(Error::Config(format!(
                "a batch of {max_batch} is more than the {MAX_BATCH} a bucket may run"
            )));
        }
        let variants = (1..=max_batch)
            .map(|batch| BatchVariant {
                batch,
                service_s: base_s + f64::from(batch - 1) * per_extra_s,
            })
            .collect();
        Buckets::new(vec![Bucket {
            name: "all".into(),
            max_size: u64::MAX,
            variants,
        }])
    }

    pub fn as_slice(&self) -> &[Bucket] {
        &self.0
    }

    /// Index of the bucket a request of `size` runs in: the smallest bound that fits.
    pub fn bucket_for(&self, size: u64) -> Option<usize> {
        let index = self.0.partition_point(|b| b.max_size < size);
        (index < self.0.len()).then_some(index)
    }

    /// The shortest service time of any variant: no latency can be below it.
    pub fn fastest_service(&self) -> f64 {
        self.0
            .iter()
            .flat_map(|b| &b.variants)
            .map(|v| v.service_s)
            .fold(f64::INFINITY, f64::min)
    }

    pub fn largest_size(&self) -> u64 {
        self.0.last().map_or(0, |b| b.max_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(max_size: u64, variants: &[(u32, f64)]) -> Bucket {
        Bucket {
            name: format!("b{max_size}"),
            max_size,
            variants: variants
                .iter()
                .map(|&(batch, service_s)| BatchVariant { batch, service_s })
                .collect(),
        }
    }

    #[test]
    fn picks_smallest_fitting_bucket_and_variant() {
        let buckets = Buckets::new(vec![
            bucket(512, &[(1, 1e-3), (4, 2e-3)]),
            bucket(2048, &[(2, 5e-3)]),
        ])
        .unwrap();
        assert_eq!(buckets.bucket_for(1), Some(0));
        assert_eq!(buckets.bucket_for(512), Some(0));
        assert_eq!(buckets.bucket_for(513), Some(1));
        assert_eq!(buckets.bucket_for(2049), None);
        let first = &buckets.as_slice()[0];
        assert_eq!(first.variant_for(1).unwrap().batch, 1);
        assert_eq!(first.variant_for(3).unwrap().batch, 4);
        assert_eq!(first.variant_for(5), None);
        assert_eq!(buckets.as_slice()[1].variant_for(1).unwrap().batch, 2);
    }

    #[test]
    fn names_the_offending_field() {
        let unsorted = Buckets::new(vec![bucket(512, &[(1, 1e-3)]), bucket(256, &[(1, 1e-3)])]);
        let message = unsorted.unwrap_err().to_string();
        assert!(
            message.contains("buckets[1] (`b256`).max_size"),
            "{message}"
        );
        let zero = Buckets::new(vec![bucket(512, &[(1, 1e-3), (2, 0.0)])]);
        let message = zero.unwrap_err().to_string();
        assert!(message.contains("variants[1].service_time"), "{message}");
        let repeated = Buckets::new(vec![bucket(512, &[(2, 1e-3), (2, 2e-3)])]);
        assert!(
            repeated
                .unwrap_err()
                .to_string()
                .contains("variants[1].batch")
        );
        assert!(Buckets::new(vec![]).is_err());
    }

    #[test]
    fn affine_batches() {
        let buckets = Buckets::affine(1e-3, 0.25e-3, 4).unwrap();
        let all = &buckets.as_slice()[0];
        assert_eq!(all.largest_batch(), 4);
        assert_eq!(all.variant_for(3).unwrap().service_s, 1.5e-3);
    }

    #[test]
    fn cycles_at_clock() {
        let v = BatchVariant::from_cycles(1, 900, 900e6);
        assert!((v.service_s - 1e-6).abs() < 1e-18);
    }
}
