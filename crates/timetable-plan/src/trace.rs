//! Request traces: arrival times and request sizes from CSV.
//!
//! Two layouts are read, told apart by the header:
//! - `arrival,size`: arrival time in seconds (any origin) and size;
//! - `TIMESTAMP,ContextTokens,GeneratedTokens` (the Azure LLM inference trace): a
//!   `YYYY-MM-DD HH:MM:SS.fffffff` timestamp and the context length as the size.
//!
//! Arrivals are offsets from the first row, so every trace starts at time 0. A UTF-8
//! byte-order mark, CRLF line ends and a final line without newline are accepted. Rows
//! must be in time order: replay is only meaningful for the order the trace recorded.

use std::sync::Arc;

use crate::error::Error;

/// A trace: nondecreasing arrival offsets (seconds from the first row) and sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    times: Arc<[f64]>,
    sizes: Arc<[u64]>,
}

#[derive(Clone, Copy)]
enum Layout {
    Seconds,
    Azure,
}

impl Trace {
    /// Builds a trace from arrival times (seconds, nondecreasing) and sizes.
    pub fn new(times: Vec<f64>, sizes: Vec<u64>) -> Result<Self, String> {
        if times.len() != sizes.len() {
            return Err(format!(
                "{} arrival times but {} sizes",
                times.len(),
                sizes.len()
            ));
        }
        if times.is_empty() {
            return Err("the trace has no requests".into());
        }
        if let Some(i) = times.iter().position(|t| !t.is_finite()) {
            return Err(format!("request {i} has no finite arrival time"));
        }
        if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
            return Err(format!("request {} arrives before request {i}", i + 1));
        }
        let origin = times[0];
        let times = times.iter().map(|t| t - origin).collect();
        Ok(Trace {
            times,
            sizes: sizes.into(),
        })
    }

    /// Reads a trace file; errors name the file and the 1-based line.
    pub fn read(path: &str) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_string(),
            source,
        })?;
        Trace::parse(&text).map_err(|(line, message)| Error::Trace {
            path: path.to_string(),
            line,
            message,
        })
    }

    /// Parses CSV text; errors carry the 1-based line number.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, line)| (i + 1, line.trim_end_matches('\r')));
        let (_, header) = lines.next().ok_or((1, "the file is empty".to_string()))?;
        let layout = match header.trim() {
            "arrival,size" => Layout::Seconds,
            "TIMESTAMP,ContextTokens,GeneratedTokens" => Layout::Azure,
            other => {
                return Err((
                    1,
                    format!(
                        "unknown header `{other}`; expected `arrival,size` (seconds) or \
                         `TIMESTAMP,ContextTokens,GeneratedTokens` (Azure LLM trace)"
                    ),
                ));
            }
        };
        let mut times = Vec::new();
        let mut sizes = Vec::new();
        let mut azure_origin = None;
        for (number, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let expected = match layout {
                Layout::Seconds => 2,
                Layout::Azure => 3,
            };
            if fields.len() != expected {
                return Err((
                    number,
                    format!("expected {expected} fields, found {}", fields.len()),
                ));
            }
            let time = match layout {
                Layout::Seconds => fields[0]
                    .parse::<f64>()
                    .ok()
                    .filter(|t| t.is_finite())
                    .ok_or_else(|| (number, format!("`{}` is not a time in seconds", fields[0])))?,
                Layout::Azure => {
                    let nanos = parse_timestamp(fields[0]).map_err(|m| (number, m))?;
                    let origin = *azure_origin.get_or_insert(nanos);
                    (nanos - origin) as f64 * 1e-9
                }
            };
            let size = fields[1]
                .parse::<u64>()
                .map_err(|_| (number, format!("`{}` is not a request size", fields[1])))?;
            if let Some(&previous) = times.last()
                && time < previous
            {
                return Err((
                    number,
                    "arrival time is earlier than the previous row's".to_string(),
                ));
            }
            times.push(time);
            sizes.push(size);
        }
        Trace::new(times, sizes).map_err(|message| (1, message))
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Arrival offsets in seconds, starting at 0.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    pub fn sizes(&self) -> &[u64] {
        &self.sizes
    }

    /// The trace's own mean arrival rate: intervals per second of span.
    pub fn native_rate(&self) -> Option<f64> {
        let span = *self.times.last()?;
        (self.times.len() >= 2 && span > 0.0).then(|| (self.times.len() - 1) as f64 / span)
    }

    /// The first `n` requests.
    pub fn truncated(&self, n: usize) -> Trace {
        let n = n.min(self.len());
        Trace {
            times: self.times[..n].into(),
            sizes: self.sizes[..n].into(),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]` (up to 9 fraction digits) to nanoseconds since
/// 1970-01-01, exactly: offsets between rows must not pick up float rounding.
fn parse_timestamp(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a `YYYY-MM-DD HH:MM:SS.fffffff` timestamp");
    let (date, time) = text.split_once([' ', 'T']).ok_or_else(bad)?;
    let number = |s: &str| -> Result<i64, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse::<i64>().map_err(|_| bad())
    };
    let mut ymd = date.split('-');
    let (year, month, day) = match (ymd.next(), ymd.next(), ymd.next(), ymd.next()) {
        (Some(y), Some(m), Some(d), None) => (number(y)?, number(m)?, number(d)?),
        _ => return Err(bad()),
    };
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut hms = clock.split(':');
    let (hour, minute, second) = match (hms.next(), hms.next(), hms.next(), hms.next()) {
        (Some(h), Some(m), Some(s), None) => (number(h)?, number(m)?, number(s)?),
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    if fraction.len() > 9 {
        return Err(format!("`{text}`: at most 9 fraction digits (nanoseconds)"));
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        number(fraction)? * 10_i64.pow(9 - fraction.len() as u32)
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Ok(seconds * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_azure_layout_with_bom_and_crlf() {
        let text = "\u{feff}TIMESTAMP,ContextTokens,GeneratedTokens\r\n\
                    2023-11-16 23:59:59.9000000,4808,10\r\n\
                    2023-11-17 00:00:00.0500000,3180,8\r\n\
                    2023-11-17 00:00:01,110,27";
        let trace = Trace::parse(text).unwrap();
        assert_eq!(trace.sizes(), &[4808, 3180, 110]);
        let times = trace.times();
        assert_eq!(times[0], 0.0);
        assert!((times[1] - 0.15).abs() < 1e-12, "{}", times[1]);
        assert!((times[2] - 1.1).abs() < 1e-12);
        assert!((trace.native_rate().unwrap() - 2.0 / 1.1).abs() < 1e-9);
    }

    #[test]
    fn reads_seconds_layout_relative_to_first_row() {
        let trace = Trace::parse("arrival,size\n10.5,3\n11,4\n\n").unwrap();
        assert_eq!(trace.times(), &[0.0, 0.5]);
        assert_eq!(trace.truncated(1).len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("", 1, "empty"),
            ("time,len\n", 1, "unknown header"),
            ("arrival,size\n1,2\nx,3\n", 3, "not a time"),
            ("arrival,size\n1,2\n2,-3\n", 3, "not a request size"),
            ("arrival,size\n1,2\n0.5,3\n", 3, "earlier"),
            ("arrival,size\n1,2,3\n", 2, "expected 2 fields"),
            (
                "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-01 00:00:00,1,1\n",
                2,
                "timestamp",
            ),
            ("arrival,size\n", 1, "no requests"),
        ];
        for (text, line, message) in cases {
            let (got_line, got) = Trace::parse(text).unwrap_err();
            assert_eq!(got_line, line, "{text:?}: {got}");
            assert!(got.contains(message), "{text:?}: {got}");
        }
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2023, 11, 16), 19_677);
    }
}
