//! A hand-written SVG of latency percentiles against offered load: linear rate axis,
//! logarithmic latency axis (tails grow by orders of magnitude near saturation), one
//! line per percentile and a dashed line per SLO bound.

use std::fmt::Write;

use crate::deployment::Slo;
use crate::percentile::Percentile;
use crate::sweep::Point;
use crate::time::format_duration;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 130.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 4] = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a"];

/// The plot as a standalone SVG document.
pub fn latency_svg(points: &[Point], slo: &Slo) -> String {
    let rates: Vec<f64> = points.iter().map(|p| p.rate).collect();
    let x_low = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let x_high = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut values: Vec<f64> = points
        .iter()
        .flat_map(|p| Percentile::REPORTED.map(|level| p.report.latency.at(level)))
        .flatten()
        .chain(slo.targets.iter().map(|&(_, bound)| bound))
        .filter(|v| *v > 0.0)
        .collect();
    values.sort_by(f64::total_cmp);
    let decade_low = values.first().map_or(-6.0, |v| v.log10().floor());
    let decade_high = values
        .last()
        .map_or(-3.0, |v| v.log10().ceil())
        .max(decade_low + 1.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_span = if x_high > x_low { x_high - x_low } else { 1.0 };
    let x = |rate: f64| LEFT + (rate - x_low) / x_span * plot_w;
    let y =
        |latency: f64| TOP + (decade_high - latency.log10()) / (decade_high - decade_low) * plot_h;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">End-to-end latency of admitted requests vs offered load</text>"#,
        LEFT + plot_w / 2.0
    );
    // Horizontal grid and latency labels at 1, 2, 5 per decade.
    let mut decade = decade_low;
    while decade < decade_high + 0.5 {
        for (mantissa, major) in [(1.0, true), (2.0, false), (5.0, false)] {
            let value = mantissa * 10f64.powf(decade);
            if value.log10() > decade_high + 1e-9 {
                continue;
            }
            let yy = y(value);
            let stroke = if major { "#bbb" } else { "#eee" };
            let _ = writeln!(
                svg,
                r#"<line x1="{LEFT}" y1="{yy:.2}" x2="{:.2}" y2="{yy:.2}" stroke="{stroke}"/>"#,
                LEFT + plot_w
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                yy + 4.0,
                format_duration(value)
            );
        }
        decade += 1.0;
    }
    // Vertical grid and rate labels.
    let (ticks, decimals) = nice_ticks(x_low, x_high);
    for tick in ticks {
        let xx = x(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{xx:.2}" y1="{TOP}" x2="{xx:.2}" y2="{:.2}" stroke="#eee"/>"##,
            TOP + plot_h
        );
        let _ = writeln!(
            svg,
            r#"<text x="{xx:.2}" y="{:.2}" text-anchor="middle">{tick:.decimals$}</text>"#,
            TOP + plot_h + 18.0,
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">offered load (requests/s)</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 18.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {:.2}) rotate(-90)" text-anchor="middle">latency (log scale)</text>"#,
        TOP + plot_h / 2.0
    );
    for &(level, bound) in &slo.targets {
        let yy = y(bound);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.2}" x2="{:.2}" y2="{yy:.2}" stroke="#c00" stroke-dasharray="6 4"/>"##,
            LEFT + plot_w
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.2}" y="{:.2}" fill="#c00">SLO {level}</text>"##,
            LEFT + plot_w + 8.0,
            yy + 4.0
        );
    }
    for (level, colour) in Percentile::REPORTED.into_iter().zip(COLOURS) {
        let mut path = String::new();
        let mut pen_down = false;
        for point in points {
            match point.report.latency.at(level).filter(|v| *v > 0.0) {
                Some(latency) => {
                    let command = if pen_down { 'L' } else { 'M' };
                    let _ = write!(path, "{command}{:.2} {:.2} ", x(point.rate), y(latency));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = writeln!(
            svg,
            r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.trim_end()
        );
        for point in points {
            if let Some(latency) = point.report.latency.at(level).filter(|v| *v > 0.0) {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{:.2}" cy="{:.2}" r="2.5" fill="{colour}"/>"#,
                    x(point.rate),
                    y(latency)
                );
            }
        }
    }
    // Legend.
    for (i, (level, colour)) in Percentile::REPORTED.into_iter().zip(COLOURS).enumerate() {
        let yy = TOP + 12.0 + 20.0 * i as f64;
        let xx = LEFT + plot_w + 14.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{xx:.2}" y1="{yy:.2}" x2="{:.2}" y2="{yy:.2}" stroke="{colour}" stroke-width="2"/>"#,
            xx + 22.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.2}" y="{:.2}">{level}</text>"#,
            xx + 28.0,
            yy + 4.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Round tick values (1, 2 or 5 times a power of ten apart) covering `low..=high`, and
/// the decimals that print them exactly.
fn nice_ticks(low: f64, high: f64) -> (Vec<f64>, usize) {
    if high.is_nan() || high <= low {
        return (vec![low], 0);
    }
    let rough = (high - low) / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| (high - low) / step <= 6.0)
        .unwrap_or(10.0 * power);
    let first = (low / step).ceil() as i64;
    let last = (high / step).floor() as i64;
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    ((first..=last).map(|i| i as f64 * step).collect(), decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            nice_ticks(100.0, 950.0),
            (vec![200.0, 400.0, 600.0, 800.0], 0)
        );
        let (ticks, decimals) = nice_ticks(0.0, 1.0);
        let labels: Vec<String> = ticks.iter().map(|t| format!("{t:.decimals$}")).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(nice_ticks(3.0, 3.0), (vec![3.0], 0));
    }
}
