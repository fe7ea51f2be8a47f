//! Percentile levels and confidence intervals.
//!
//! The estimator is the nearest-rank order statistic: for `n` samples sorted as
//! `x(1) <= ... <= x(n)`, the `p`-th percentile is `x(ceil(p * n))` (and `x(1)` when
//! that rank is 0), as located by a [`crate::histogram::Histogram`]. Levels are held in
//! parts per million, so the rank is computed in integers and `p99.9` of 1000 samples is
//! exactly `x(999)`, never a rounding accident.

use std::fmt;

/// A percentile level in parts per million (`p99.9` is 999_000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percentile {
    ppm: u32,
}

impl Percentile {
    pub const P50: Percentile = Percentile { ppm: 500_000 };
    pub const P90: Percentile = Percentile { ppm: 900_000 };
    pub const P99: Percentile = Percentile { ppm: 990_000 };
    pub const P999: Percentile = Percentile { ppm: 999_000 };
    /// The levels every report shows.
    pub const REPORTED: [Percentile; 4] = [Self::P50, Self::P90, Self::P99, Self::P999];

    /// Parses `p99.9`, `p50` or `99.9` (at most four decimals, in (0, 100]).
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits = text.trim().trim_start_matches(['p', 'P']);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && fraction.len() <= 4
            && whole.len() <= 3;
        if !valid {
            return Err(format!(
                "`{text}` is not a percentile; write e.g. `p99` or `p99.9`"
            ));
        }
        let whole: u32 = whole.parse().map_err(|_| format!("`{text}`: bad number"))?;
        let padded = format!("{fraction:0<4}");
        let fraction: u32 = padded
            .parse()
            .map_err(|_| format!("`{text}`: bad number"))?;
        let ppm = whole * 10_000 + fraction;
        if ppm == 0 || ppm > 1_000_000 {
            return Err(format!("`{text}`: a percentile must be in (0, 100]"));
        }
        Ok(Percentile { ppm })
    }

    /// The 1-based nearest rank among `n` samples: `max(1, ceil(ppm * n / 10^6))`.
    pub fn rank(self, n: u64) -> u64 {
        let rank = (u128::from(self.ppm) * u128::from(n)).div_ceil(1_000_000);
        (rank as u64).max(1)
    }

    /// The level as a fraction in (0, 1].
    pub fn fraction(self) -> f64 {
        f64::from(self.ppm) / 1e6
    }

    /// A key without the decimal point, for JSON (`p99.9` → `p999`).
    pub fn key(self) -> String {
        self.to_string().replace('.', "")
    }
}

impl fmt::Display for Percentile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.ppm / 10_000;
        let fraction = self.ppm % 10_000;
        if fraction == 0 {
            write!(f, "p{whole}")
        } else {
            let digits = format!("{fraction:04}");
            write!(f, "p{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// A two-sided 95% confidence interval `mean ± half_width`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    pub mean: f64,
    pub half_width: f64,
}

impl Interval {
    /// Student-t interval for the mean of independent estimates (at least two).
    pub fn of_estimates(estimates: &[f64]) -> Option<Interval> {
        let n = estimates.len();
        if n < 2 {
            return None;
        }
        let mean = estimates.iter().sum::<f64>() / n as f64;
        let variance = estimates
            .iter()
            .map(|x| (x - mean) * (x - mean))
            .sum::<f64>()
            / (n - 1) as f64;
        Some(Interval {
            mean,
            half_width: student_t_975(n - 1) * (variance / n as f64).sqrt(),
        })
    }

    pub fn low(self) -> f64 {
        self.mean - self.half_width
    }

    pub fn high(self) -> f64 {
        self.mean + self.half_width
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (two-sided 95%):
/// tabulated to 3 decimals up to 30, then the Cornish–Fisher expansion around the
/// normal quantile, accurate to better than 1e-3 there.
pub fn student_t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let v = df as f64;
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_levels() {
        for text in ["p50", "p90", "p99", "p99.9", "p99.99", "p100", "p0.5"] {
            assert_eq!(Percentile::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Percentile::parse("99.9").unwrap(), Percentile::P999);
        assert_eq!(Percentile::P999.key(), "p999");
        for bad in ["p", "p0", "p101", "p99.99999", "x99", "p9a", "p-1"] {
            assert!(Percentile::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nearest_rank_is_exact() {
        assert_eq!(Percentile::P999.rank(1000), 999);
        assert_eq!(Percentile::P99.rank(100), 99);
        assert_eq!(Percentile::P99.rank(101), 100);
        assert_eq!(Percentile::P50.rank(1), 1);
        assert_eq!(Percentile::parse("p7").unwrap().rank(100), 7);
        assert_eq!(Percentile::parse("p0.01").unwrap().rank(10), 1);
    }

    #[test]
    fn student_t_is_continuous_past_the_table() {
        assert!((student_t_975(31) - 2.040).abs() < 1e-3);
        assert!((student_t_975(120) - 1.980).abs() < 1e-3);
    }
}
