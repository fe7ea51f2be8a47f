//! Durations as text: `10us`, `2.5ms`, `1s`, and back.
//!
//! All times inside the planner are `f64` seconds. A compiled service time is a cycle
//! count at a clock rate, which is not a whole number of nanoseconds, so an integer
//! nanosecond clock would round the "exact" latencies this tool exists to use.

/// Unit suffixes accepted by [`parse_duration`], as seconds = value * multiplier /
/// divisor: dividing by an exact power of ten rounds once, so `9ms` is the double
/// nearest 0.009 rather than `9 * 0.001`.
const UNITS: [(&str, f64, f64); 6] = [
    ("ns", 1.0, 1e9),
    ("us", 1.0, 1e6),
    ("µs", 1.0, 1e6),
    ("ms", 1.0, 1e3),
    ("s", 1.0, 1.0),
    ("min", 60.0, 1.0),
];

/// Parses a non-negative duration with a unit suffix (`ns`, `us`/`µs`, `ms`, `s`, `min`)
/// into seconds. A bare number is refused: its unit would be a guess.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
        .ok_or_else(|| format!("`{text}` has no unit; write e.g. `10us`, `2ms` or `1.5s`"))?;
    // No unit starts with `e`, so exponents (`1e-3s`) stay in the number.
    let (number, unit) = text.split_at(split);
    let number = number.trim();
    let unit = unit.trim();
    let (multiplier, divisor) = UNITS
        .iter()
        .find(|(name, _, _)| *name == unit)
        .map(|&(_, multiplier, divisor)| (multiplier, divisor))
        .ok_or_else(|| {
            format!("`{text}`: unknown unit `{unit}` (expected one of ns, us, µs, ms, s, min)")
        })?;
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}`: `{number}` is not a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "`{text}`: a duration must be finite and non-negative"
        ));
    }
    Ok(value * multiplier / divisor)
}

/// Formats seconds with four significant digits in the largest unit that keeps the value
/// at least 1 (`4.500 ms`, `21.90 us`).
pub fn format_duration(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0 s".to_string();
    }
    if !seconds.is_finite() {
        return format!("{seconds} s");
    }
    let (scale, unit) = [(1.0, "s"), (1e-3, "ms"), (1e-6, "us")]
        .into_iter()
        .find(|&(scale, _)| seconds.abs() >= scale)
        .unwrap_or((1e-9, "ns"));
    format!("{} {unit}", significant(seconds / scale, 4))
}

/// `value` rounded to `digits` significant digits, without exponent notation.
pub fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("10us"), Ok(10e-6));
        assert_eq!(parse_duration("2ms"), Ok(2e-3));
        assert_eq!(parse_duration("1.5s"), Ok(1.5));
        assert_eq!(parse_duration("250ns"), Ok(250e-9));
        assert_eq!(parse_duration("3 µs"), Ok(3e-6));
        assert_eq!(parse_duration("1e-3s"), Ok(1e-3));
        assert_eq!(parse_duration("2min"), Ok(120.0));
    }

    #[test]
    fn refuses_bad_durations() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("10 hours")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            parse_duration("1.2.3ms")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(parse_duration("-1ms").unwrap_err().contains("non-negative"));
    }

    #[test]
    fn formats_in_readable_units() {
        assert_eq!(format_duration(4.5e-3), "4.500 ms");
        assert_eq!(format_duration(21.898e-6), "21.90 us");
        assert_eq!(format_duration(12.0), "12.00 s");
        assert_eq!(format_duration(3e-10), "0.3000 ns");
        assert_eq!(format_duration(0.0), "0 s");
    }
}
