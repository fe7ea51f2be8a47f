//! What lowering tells a person about each bucket: the request sizes it serves, how much
//! of its work is padding (requests padded up to the bucket, and lanes past the end of
//! rows), and how big the machine program is.

use crate::buckets::Bucket;
use crate::shape::Shape;
use std::fmt;

/// One machine function.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionReport {
    /// The tensor-level function it came from.
    pub source: String,
    pub name: String,
    pub bucket: Bucket,
    /// Lanes holding data over all lanes of the tensors' vectors.
    pub lane_use: f64,
    pub ops: usize,
}

impl FunctionReport {
    pub fn new(source: &str, name: &str, bucket: Bucket, shapes: &[&Shape], ops: usize) -> Self {
        let used: u64 = shapes.iter().map(|s| s.layout.used_lanes()).sum();
        let total: u64 = shapes.iter().map(|s| s.vectors() * s.lanes()).sum();
        FunctionReport {
            source: source.to_string(),
            name: name.to_string(),
            bucket,
            lane_use: if total == 0 {
                1.0
            } else {
                used as f64 / total as f64
            },
            ops,
        }
    }
}

/// The report of one lowering run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LowerReport {
    pub functions: Vec<FunctionReport>,
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

impl fmt::Display for LowerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = [
            "function",
            "bucket",
            "serves",
            "worst waste",
            "mean waste",
            "lane use",
            "ops",
        ];
        let rows: Vec<[String; 7]> = self
            .functions
            .iter()
            .map(|r| {
                let list = |each: &dyn Fn(&crate::buckets::Choice) -> String| {
                    let items: Vec<String> = r.bucket.choices.iter().map(each).collect();
                    if items.is_empty() {
                        "-".to_string()
                    } else {
                        items.join(" ")
                    }
                };
                [
                    format!("@{}", r.name),
                    list(&|c| format!("{}={}", c.symbol, c.size)),
                    list(&|c| {
                        if c.lo == c.size {
                            format!("{}={}", c.symbol, c.size)
                        } else {
                            format!("{}={}..{}", c.symbol, c.lo, c.size)
                        }
                    }),
                    percent(r.bucket.worst_waste()),
                    percent(r.bucket.mean_waste()),
                    percent(r.lane_use),
                    r.ops.to_string(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[&str]| -> fmt::Result {
            let text: Vec<String> = cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 0 || i == 1 || i == 2 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            writeln!(f, "{}", text.join("  ").trim_end())
        };
        line(f, &header)?;
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            line(f, &cells)?;
        }
        Ok(())
    }
}
