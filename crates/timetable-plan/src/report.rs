//! What one simulation found, as a readable table or as JSON (times in seconds).

use std::fmt::Write;

use serde_json::{Map, Value, json};

use crate::deployment::Slo;
use crate::engine::Rejection;
use crate::percentile::{Interval, Percentile};
use crate::time::{format_duration, significant};

/// Rejections by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rejected {
    pub oversize: u64,
    pub queue_full: u64,
    pub deadline: u64,
}

impl Rejected {
    pub fn total(&self) -> u64 {
        self.oversize + self.queue_full + self.deadline
    }

    pub(crate) fn count(&mut self, reason: Rejection) {
        match reason {
            Rejection::Oversize => self.oversize += 1,
            Rejection::QueueFull => self.queue_full += 1,
            Rejection::Deadline => self.deadline += 1,
        }
    }
}

/// One percentile of a distribution; `ci95` is its batch-means interval when known.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub percentile: Percentile,
    pub value: Option<f64>,
    pub ci95: Option<Interval>,
}

/// Summary of waits or latencies of admitted requests, in seconds (`None`: none admitted).
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    pub mean: Option<f64>,
    pub max: Option<f64>,
    pub levels: Vec<Level>,
}

impl Distribution {
    pub fn level(&self, percentile: Percentile) -> Option<&Level> {
        self.levels.iter().find(|l| l.percentile == percentile)
    }

    pub fn at(&self, percentile: Percentile) -> Option<f64> {
        self.level(percentile).and_then(|l| l.value)
    }
}

/// Per-bucket load and padding.
#[derive(Clone, Debug, PartialEq)]
pub struct BucketReport {
    pub name: String,
    /// `None` for an unbounded bucket.
    pub max_size: Option<u64>,
    pub requests: u64,
    pub batches: u64,
    pub mean_batch: Option<f64>,
    /// Fraction of the launched programs' capacity (batch slots × size bound) that held
    /// padding rather than request data.
    pub padding_waste: Option<f64>,
    /// This bucket's share of all busy replica time.
    pub busy_share: Option<f64>,
}

/// The outcome of one simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Arrivals counted (after the warm-up).
    pub requests: u64,
    pub admitted: u64,
    pub rejected: Rejected,
    /// The counted arrivals' time span in seconds (from the last warm-up arrival, or 0).
    pub window_s: f64,
    /// Counted arrivals per second of window.
    pub offered_rate: f64,
    /// Admitted requests per second.
    pub throughput: f64,
    /// Admitted requests finishing within the SLO deadline, per second.
    pub goodput: f64,
    /// Busy replica time over replicas × time of the last completion.
    pub utilization: f64,
    pub wait: Distribution,
    pub latency: Distribution,
    pub slo: Slo,
    pub buckets: Vec<BucketReport>,
}

impl Report {
    pub fn rejected_fraction(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.rejected.total() as f64 / self.requests as f64
        }
    }

    /// Each SLO target with the measured latency at its percentile.
    pub fn slo_checks(&self) -> Vec<(Percentile, f64, Option<f64>)> {
        self.slo
            .targets
            .iter()
            .map(|&(level, bound)| (level, bound, self.latency.at(level)))
            .collect()
    }

    /// Whether every latency target holds and few enough requests were rejected.
    pub fn meets_slo(&self) -> bool {
        self.rejected_fraction() <= self.slo.max_rejected
            && self
                .slo_checks()
                .iter()
                .all(|&(_, bound, measured)| measured.is_some_and(|m| m <= bound))
    }

    /// Flat JSON: `wait_mean`, `wait_p50`, ..., `latency_p99`, `rejected_fraction`,
    /// `goodput`, `utilization`, plus `latency_p99_ci95` (`[low, high]`), `slo` and
    /// `buckets`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("requests".into(), json!(self.requests));
        map.insert("admitted".into(), json!(self.admitted));
        map.insert("rejected".into(), json!(self.rejected.total()));
        map.insert("rejected_oversize".into(), json!(self.rejected.oversize));
        map.insert(
            "rejected_queue_full".into(),
            json!(self.rejected.queue_full),
        );
        map.insert("rejected_deadline".into(), json!(self.rejected.deadline));
        map.insert("rejected_fraction".into(), json!(self.rejected_fraction()));
        map.insert("window_s".into(), json!(self.window_s));
        map.insert("offered_rate".into(), json!(self.offered_rate));
        map.insert("throughput".into(), json!(self.throughput));
        map.insert("goodput".into(), json!(self.goodput));
        map.insert("utilization".into(), json!(self.utilization));
        for (name, distribution) in [("wait", &self.wait), ("latency", &self.latency)] {
            map.insert(format!("{name}_mean"), json!(distribution.mean));
            map.insert(format!("{name}_max"), json!(distribution.max));
            for level in &distribution.levels {
                let key = format!("{name}_{}", level.percentile.key());
                map.insert(key.clone(), json!(level.value));
                if let Some(ci) = level.ci95 {
                    map.insert(format!("{key}_ci95"), json!([ci.low(), ci.high()]));
                }
            }
        }
        let checks: Vec<Value> = self
            .slo_checks()
            .into_iter()
            .map(|(level, bound, measured)| {
                json!({
                    "percentile": level.to_string(),
                    "bound": bound,
                    "measured": measured,
                    "met": measured.is_some_and(|m| m <= bound),
                })
            })
            .collect();
        if !checks.is_empty() {
            map.insert("slo".into(), Value::Array(checks));
            map.insert("slo_max_rejected".into(), json!(self.slo.max_rejected));
            map.insert("slo_met".into(), json!(self.meets_slo()));
        }
        let buckets: Vec<Value> = self
            .buckets
            .iter()
            .map(|b| {
                json!({
                    "name": b.name,
                    "max_size": b.max_size,
                    "requests": b.requests,
                    "batches": b.batches,
                    "mean_batch": b.mean_batch,
                    "padding_waste": b.padding_waste,
                    "busy_share": b.busy_share,
                })
            })
            .collect();
        map.insert("buckets".into(), Value::Array(buckets));
        Value::Object(map)
    }

    /// The readable report.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let rejected = self.rejected;
        let _ = writeln!(
            out,
            "requests     {} counted, {} admitted, {} rejected ({}%: {} queue full, {} deadline, {} oversize)",
            self.requests,
            self.admitted,
            rejected.total(),
            significant(100.0 * self.rejected_fraction(), 3),
            rejected.queue_full,
            rejected.deadline,
            rejected.oversize,
        );
        let _ = writeln!(
            out,
            "rates        offered {}/s, throughput {}/s, goodput {}/s",
            significant(self.offered_rate, 5),
            significant(self.throughput, 5),
            significant(self.goodput, 5),
        );
        let _ = writeln!(
            out,
            "utilisation  {}%",
            significant(100.0 * self.utilization, 4)
        );
        out.push('\n');
        let mut header = format!("{:<10}{:>12}", "", "mean");
        for level in &self.latency.levels {
            let _ = write!(header, "{:>12}", level.percentile.to_string());
        }
        let _ = write!(header, "{:>12}", "max");
        out.push_str(header.trim_end());
        out.push('\n');
        for (name, distribution) in [("wait", &self.wait), ("latency", &self.latency)] {
            let cell = |v: Option<f64>| v.map_or("-".to_string(), format_duration);
            let mut row = format!("{name:<10}{:>12}", cell(distribution.mean));
            for level in &distribution.levels {
                let _ = write!(row, "{:>12}", cell(level.value));
            }
            let _ = write!(row, "{:>12}", cell(distribution.max));
            out.push_str(&row);
            out.push('\n');
        }
        let intervals: Vec<String> = self
            .latency
            .levels
            .iter()
            .filter_map(|l| {
                l.ci95.map(|ci| {
                    format!(
                        "{} {} ± {}",
                        l.percentile,
                        format_duration(ci.mean),
                        format_duration(ci.half_width)
                    )
                })
            })
            .collect();
        if !intervals.is_empty() {
            let _ = writeln!(
                out,
                "latency 95% CI (batch means): {}",
                intervals.join(", ")
            );
        }
        if !self.slo.is_empty() {
            out.push('\n');
            for (level, bound, measured) in self.slo_checks() {
                let verdict = if measured.is_some_and(|m| m <= bound) {
                    "met"
                } else {
                    "MISSED"
                };
                let measured = measured.map_or("-".into(), format_duration);
                let _ = writeln!(
                    out,
                    "SLO {level} <= {}: {verdict} (measured {measured})",
                    format_duration(bound)
                );
            }
            let verdict = if self.rejected_fraction() <= self.slo.max_rejected {
                "met"
            } else {
                "MISSED"
            };
            let _ = writeln!(
                out,
                "SLO rejected <= {}%: {verdict}",
                significant(100.0 * self.slo.max_rejected, 3)
            );
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "{:<12}{:>12}{:>12}{:>12}{:>12}{:>10}{:>12}",
            "bucket", "max size", "requests", "batches", "mean batch", "padding", "busy share"
        );
        for b in &self.buckets {
            let percent = |v: Option<f64>| {
                v.map_or("-".into(), |v| format!("{}%", significant(100.0 * v, 3)))
            };
            let _ = writeln!(
                out,
                "{:<12}{:>12}{:>12}{:>12}{:>12}{:>10}{:>12}",
                b.name,
                b.max_size.map_or("any".into(), |m| m.to_string()),
                b.requests,
                b.batches,
                b.mean_batch.map_or("-".into(), |m| format!("{m:.2}")),
                percent(b.padding_waste),
                percent(b.busy_share),
            );
        }
        out
    }
}
