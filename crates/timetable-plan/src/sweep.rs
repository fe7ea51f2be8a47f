//! Latency against offered load: one simulation per rate, as a table, JSON or SVG plot.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::error::Error;
use crate::percentile::Percentile;
use crate::progress::Progress;
use crate::report::Report;
use crate::scenario::Scenario;
use crate::search::parallel_map;
use crate::time::{format_duration, significant};

/// More points than this would not be readable in a table or a plot.
const MAX_POINTS: usize = 1000;

/// One point of a sweep.
#[derive(Clone, Debug)]
pub struct Point {
    pub rate: f64,
    pub report: Report,
}

/// `lo:hi` or `lo:hi:n` (requests per second; `n` points evenly spaced, default 20).
pub fn parse_rates(text: &str) -> Result<Vec<f64>, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad =
        || format!("`{text}`: write a sweep as `low:high` or `low:high:points` in requests/s");
    let number = |s: &str| s.trim().parse::<f64>().map_err(|_| bad());
    let (low, high, points) = match parts.as_slice() {
        [low, high] => (number(low)?, number(high)?, 20),
        [low, high, n] => (
            number(low)?,
            number(high)?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        ),
        _ => return Err(bad()),
    };
    let valid = low > 0.0 && high > low && high.is_finite() && (2..=MAX_POINTS).contains(&points);
    if !valid {
        return Err(format!(
            "`{text}`: need 0 < low < high and 2 to {MAX_POINTS} points"
        ));
    }
    Ok((0..points)
        .map(|i| low + (high - low) * i as f64 / (points - 1) as f64)
        .collect())
}

/// Simulates `scenario` at every rate (in parallel; the output keeps the rate order).
pub fn sweep(scenario: &Scenario, rates: &[f64], progress: &Progress) -> Result<Vec<Point>, Error> {
    parallel_map(rates, |&rate| {
        let report = scenario.at_rate(rate).simulate(progress)?;
        Ok(Point { rate, report })
    })
    .into_iter()
    .collect()
}

pub fn table(points: &[Point]) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:>12}{:>9}", "rate (/s)", "util");
    for level in Percentile::REPORTED {
        let _ = write!(out, "{:>12}", format!("lat {level}"));
    }
    let _ = writeln!(out, "{:>10}{:>12}", "rejected", "goodput/s");
    for point in points {
        let r = &point.report;
        let _ = write!(
            out,
            "{:>12}{:>9}",
            significant(point.rate, 5),
            format!("{}%", significant(100.0 * r.utilization, 3))
        );
        for level in Percentile::REPORTED {
            let _ = write!(
                out,
                "{:>12}",
                r.latency.at(level).map_or("-".into(), format_duration)
            );
        }
        let _ = writeln!(
            out,
            "{:>10}{:>12}",
            format!("{}%", significant(100.0 * r.rejected_fraction(), 3)),
            significant(r.goodput, 5)
        );
    }
    out
}

pub fn json(points: &[Point]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|p| json!({ "rate": p.rate, "report": p.report.to_json() }))
            .collect(),
    )
}
