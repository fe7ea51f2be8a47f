//! The spec file: compiled buckets and, optionally, request sizes and deployment
//! defaults, as JSON. Durations are strings with a unit (`"1.25ms"`).
//!
//! ```json
//! {
//!   "buckets": [
//!     { "name": "ctx512", "max_size": 512, "service_time": "1.25ms" },
//!     { "name": "ctx2048", "max_size": 2048,
//!       "batches": [ { "batch": 1, "service_time": "4ms" },
//!                    { "batch": 4, "service_time": "9ms" } ] }
//!   ],
//!   "sizes": { "uniform": [1, 2048] },
//!   "deployment": { "replicas": 2, "max_batch": 4, "max_wait": "500us",
//!                   "queue_capacity": 64, "deadline_admission": true,
//!                   "slo": { "p99": "20ms" }, "max_rejected": 0.01, "rate": 300 }
//! }
//! ```
//! Unknown fields are errors (a typo must not silently fall back to a default); syntax
//! and type errors name the line and column, meaning errors the field path.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use serde::{Deserialize, Deserializer};

use crate::buckets::{BatchVariant, Bucket, Buckets};
use crate::error::Error;
use crate::percentile::Percentile;
use crate::time::parse_duration;
use crate::workload::SizeDist;

/// A parsed spec file.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub buckets: Buckets,
    pub sizes: Option<SizeDist>,
    pub defaults: Defaults,
}

/// Deployment settings a spec may provide; command-line flags override them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Defaults {
    pub replicas: Option<NonZeroU32>,
    pub max_batch: Option<NonZeroU32>,
    pub max_wait_s: Option<f64>,
    pub queue_capacity: Option<u64>,
    pub deadline_admission: Option<bool>,
    pub slo: Vec<(Percentile, f64)>,
    pub max_rejected: Option<f64>,
    /// Arrival rate in requests per second.
    pub rate: Option<f64>,
}

/// A duration written with its unit; parse errors surface through serde with a position.
struct Duration(f64);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text)
            .map(Duration)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    buckets: Vec<BucketFields>,
    sizes: Option<SizesFields>,
    #[serde(default)]
    deployment: DeploymentFields,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BucketFields {
    name: Option<String>,
    /// Omitted: any size (an unbounded bucket).
    max_size: Option<u64>,
    service_time: Option<Duration>,
    batches: Option<Vec<VariantFields>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantFields {
    batch: u32,
    service_time: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum SizesFields {
    Fixed(u64),
    Uniform([u64; 2]),
    /// `[[size, weight], ...]`.
    Weighted(Vec<(u64, f64)>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeploymentFields {
    replicas: Option<NonZeroU32>,
    max_batch: Option<NonZeroU32>,
    max_wait: Option<Duration>,
    queue_capacity: Option<u64>,
    deadline_admission: Option<bool>,
    #[serde(default)]
    slo: BTreeMap<String, Duration>,
    max_rejected: Option<f64>,
    rate: Option<f64>,
}

impl Spec {
    pub fn read(path: &str) -> Result<Spec, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_string(),
            source,
        })?;
        Spec::parse(&text).map_err(|message| Error::Spec {
            path: path.to_string(),
            message,
            // Errors the JSON reader finds carry a position; semantic ones name a field.
            line: serde_json::from_str::<File>(&text).err().map(|e| e.line()),
        })
    }

    /// Parses spec text; the error says where (line and column, or field path).
    pub fn parse(text: &str) -> Result<Spec, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let buckets = file
            .buckets
            .into_iter()
            .enumerate()
            .map(|(index, fields)| bucket(index, fields))
            .collect::<Result<Vec<_>, _>>()?;
        let buckets = Buckets::new(buckets).map_err(|e| e.to_string())?;
        let sizes = file
            .sizes
            .map(|sizes| match sizes {
                SizesFields::Fixed(size) => Ok(SizeDist::Fixed(size)),
                SizesFields::Uniform([low, high]) => SizeDist::uniform(low, high),
                SizesFields::Weighted(pairs) => SizeDist::weighted(&pairs),
            })
            .transpose()
            .map_err(|message| format!("sizes: {message}"))?;
        let d = file.deployment;
        let slo = d
            .slo
            .into_iter()
            .map(|(level, Duration(bound))| {
                Percentile::parse(&level)
                    .map(|level| (level, bound))
                    .map_err(|message| format!("deployment.slo: {message}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(rate) = d.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(format!("deployment.rate must be positive, not {rate}"));
        }
        if let Some(max) = d.max_rejected
            && !(0.0..=1.0).contains(&max)
        {
            return Err(format!(
                "deployment.max_rejected must be in [0, 1], not {max}"
            ));
        }
        Ok(Spec {
            buckets,
            sizes,
            defaults: Defaults {
                replicas: d.replicas,
                max_batch: d.max_batch,
                max_wait_s: d.max_wait.map(|Duration(s)| s),
                queue_capacity: d.queue_capacity,
                deadline_admission: d.deadline_admission,
                slo,
                max_rejected: d.max_rejected,
                rate: d.rate,
            },
        })
    }
}

fn bucket(index: usize, fields: BucketFields) -> Result<Bucket, String> {
    let max_size = fields.max_size.unwrap_or(u64::MAX);
    let name = fields.name.unwrap_or_else(|| match fields.max_size {
        Some(bound) => format!("size{bound}"),
        None => "any".to_string(),
    });
    let variants = match (fields.service_time, fields.batches) {
        (Some(Duration(service_s)), None) => vec![BatchVariant {
            batch: 1,
            service_s,
        }],
        (None, Some(batches)) => batches
            .into_iter()
            .map(|v| BatchVariant {
                batch: v.batch,
                service_s: v.service_time.0,
            })
            .collect(),
        (Some(_), Some(_)) => {
            return Err(format!(
                "buckets[{index}] (`{name}`): give `service_time` or `batches`, not both"
            ));
        }
        (None, None) => {
            return Err(format!(
                "buckets[{index}] (`{name}`): missing `service_time` (or `batches` for batch variants)"
            ));
        }
    };
    Ok(Bucket {
        name,
        max_size,
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
  "buckets": [
    { "name": "ctx512", "max_size": 512, "service_time": "1.25ms" },
    { "name": "ctx2048", "max_size": 2048,
      "batches": [ { "batch": 1, "service_time": "4ms" },
                   { "batch": 4, "service_time": "9ms" } ] }
  ],
  "sizes": { "uniform": [1, 2048] },
  "deployment": { "replicas": 2, "max_batch": 4, "max_wait": "500us",
                  "queue_capacity": 64, "deadline_admission": true,
                  "slo": { "p99": "20ms" }, "max_rejected": 0.01, "rate": 300 }
}"#;

    #[test]
    fn reads_the_documented_example() {
        let spec = Spec::parse(EXAMPLE).unwrap();
        let buckets = spec.buckets.as_slice();
        assert_eq!(buckets.len(), 2);
        assert_eq!(
            buckets[0].variants,
            vec![BatchVariant {
                batch: 1,
                service_s: 1.25e-3
            }]
        );
        assert_eq!(buckets[1].variant_for(2).unwrap().service_s, 9e-3);
        assert_eq!(spec.sizes, Some(SizeDist::Uniform { low: 1, high: 2048 }));
        let d = &spec.defaults;
        assert_eq!(d.replicas, NonZeroU32::new(2));
        assert_eq!(d.max_wait_s, Some(500e-6));
        assert_eq!(d.slo, vec![(Percentile::P99, 0.020)]);
        assert_eq!(d.rate, Some(300.0));
    }

    #[test]
    fn the_module_doc_shows_the_tested_example() {
        let doc: String = include_str!("spec.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! {"))
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//! "))
            .collect::<Vec<_>>()
            .join("\n");
        let compact = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(compact(&doc), compact(EXAMPLE));
    }

    #[test]
    fn errors_say_where() {
        let cases = [
            (
                "{\"buckets\": [\n {\"max_size\": 8, \"service_time\": \"1 parsec\"}]}",
                "unknown unit `parsec`",
            ),
            (
                "{\"buckets\": [\n {\"max_size\": 8, \"service_time\": \"1 parsec\"}]}",
                "line 2",
            ),
            (
                "{\"buckets\": [\n {\"max_sise\": 8, \"service_time\": \"1ms\"}]}",
                "unknown field `max_sise`",
            ),
            (
                "{\"buckets\": [{\"max_size\": 8}]}",
                "buckets[0] (`size8`): missing `service_time`",
            ),
            (
                "{\"buckets\": [{\"max_size\": 8, \"service_time\": \"1ms\"}, {\"max_size\": 4, \"service_time\": \"1ms\"}]}",
                "buckets[1] (`size4`).max_size",
            ),
            (
                "{\"buckets\": [{\"service_time\": \"1ms\"}], \"deployment\": {\"slo\": {\"q99\": \"1ms\"}}}",
                "deployment.slo",
            ),
            (
                "{\"buckets\": [{\"service_time\": \"1ms\"}], \"deployment\": {\"replicas\": 0}}",
                "nonzero",
            ),
            (
                "{\"buckets\": [{\"service_time\": \"1ms\"}], \"sizes\": {\"uniform\": [5, 1]}}",
                "sizes: uniform",
            ),
            ("{\"buckets\": [", "EOF"),
        ];
        for (text, expected) in cases {
            let message = Spec::parse(text).unwrap_err();
            assert!(message.contains(expected), "{text}: {message}");
        }
    }
}
