//! `timetable plan`: the command line over the planner. [`Args`] is a clap `Args` struct
//! to mount as a subcommand; [`run`] returns what to print on stdout.
//!
//! Units: durations carry a suffix (`10us`, `2ms`, `1.5s`), rates are requests per
//! second, sizes are whatever the buckets' shape bounds count (e.g. tokens).

use std::num::NonZeroU32;

use clap::{ArgGroup, ValueEnum};
use serde_json::json;

use crate::buckets::Buckets;
use crate::deployment::{Admission, Batching, Deployment, Slo};
use crate::error::Error;
use crate::percentile::{Interval, Percentile};
use crate::plot::latency_svg;
use crate::progress::Progress;
use crate::report::Report;
use crate::scenario::Scenario;
use crate::search::{MaxRate, ReplicaCount, find_max_rate, find_replicas};
use crate::spec::{Defaults, Spec};
use crate::sweep;
use crate::time::{format_duration, parse_duration, significant};
use crate::trace::Trace;
use crate::workload::{SizeDist, Workload};

/// Requests simulated with Poisson arrivals unless `--requests` says otherwise.
const DEFAULT_REQUESTS: u64 = 1_000_000;

/// Simulate a serving deployment: queueing, batching and admission on exact compiled
/// service times; report wait and latency percentiles, or dimension against an SLO.
#[derive(clap::Args, Clone, Debug)]
#[command(group(ArgGroup::new("mode").args(["sweep", "find_max_rate", "find_replicas"])))]
pub struct Args {
    /// JSON spec: buckets (shape bound, service time per batch size), optional request
    /// sizes and deployment defaults (flags override them).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["service_time", "module"])]
    pub spec: Option<String>,
    /// A scheduled module: each function is one compiled bucket, served in exactly its
    /// makespan (`timetable` command only).
    #[arg(long, value_name = "FILE", conflicts_with = "service_time")]
    pub module: Option<String>,
    /// With --module: the bucket symbol counting requests per run [default: B].
    #[arg(long, value_name = "SYMBOL", requires = "module")]
    pub batch_dim: Option<String>,
    /// With --module: the bucket symbol bounding a request's size [default: the other one].
    #[arg(long, value_name = "SYMBOL", requires = "module")]
    pub size_dim: Option<String>,
    /// One program serves every request in this time (e.g. `10us`, `2ms`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub service_time: Option<f64>,
    /// With --service-time and --max-batch: extra time per additional request in a batch.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "service_time")]
    pub batch_increment: Option<f64>,
    /// Arrival process: `poisson` at --rate, or `trace` replay of --trace.
    #[arg(long, value_enum)]
    pub arrival: Option<Arrival>,
    /// Trace CSV to replay: `arrival,size` (seconds) or the Azure LLM trace layout.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<String>,
    /// Mean arrival rate in requests/s (a replayed trace is time-scaled to it).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// Every request has this size.
    #[arg(long, conflicts_with = "sizes")]
    pub size: Option<u64>,
    /// Draw sizes from the size column of this trace CSV (with Poisson arrivals).
    #[arg(long, value_name = "FILE")]
    pub sizes: Option<String>,
    /// Requests to simulate [default: 1000000, or the whole trace].
    #[arg(long, value_name = "N")]
    pub requests: Option<u64>,
    /// Leading requests left out of request statistics.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub warmup: u64,
    /// Seed of the random arrivals and sizes (same seed, same output).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Identical replicas (chips) [default: 1].
    #[arg(long, value_name = "N")]
    pub replicas: Option<NonZeroU32>,
    /// Most requests per batch [default: 1, no batching].
    #[arg(long, value_name = "N")]
    pub max_batch: Option<NonZeroU32>,
    /// Longest a request waits for its batch to fill [default: 0s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_wait: Option<f64>,
    /// Reject a request that would wait while this many already wait.
    #[arg(long, value_name = "N")]
    pub queue_capacity: Option<u64>,
    /// Reject a request whose predicted latency exceeds the SLO's largest bound.
    #[arg(long)]
    pub deadline_admission: bool,
    /// Latency objective for admitted requests, e.g. `p99=10ms` (repeatable).
    #[arg(long = "slo", value_name = "pXX=DURATION", value_parser = Slo::parse_target)]
    pub slo: Vec<(Percentile, f64)>,
    /// Largest rejected fraction that still meets the SLO [default: 0.01].
    #[arg(long, value_name = "FRACTION")]
    pub max_rejected: Option<f64>,
    /// Output: a readable table, or JSON with times in seconds.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Simulate evenly spaced rates `LOW:HIGH[:POINTS]` (requests/s, 20 points).
    #[arg(long, value_name = "LOW:HIGH[:N]", value_parser = parse_rates)]
    pub sweep: Option<Rates>,
    /// With --sweep: write an SVG plot of latency percentiles against offered load.
    #[arg(long, value_name = "FILE", requires = "sweep")]
    pub plot: Option<String>,
    /// Find the highest rate meeting the SLO (bisection per replication).
    #[arg(long)]
    pub find_max_rate: bool,
    /// Find the fewest replicas meeting the SLO at --rate.
    #[arg(long)]
    pub find_replicas: bool,
    /// Independent replications (seeds) behind a search's confidence interval.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub replications: u64,
    /// Relative precision of --find-max-rate's bisection.
    #[arg(long, default_value_t = 0.002)]
    pub precision: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Arrival {
    Poisson,
    Trace,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// The rates of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Rates(pub Vec<f64>);

fn parse_rates(text: &str) -> Result<Rates, String> {
    sweep::parse_rates(text).map(Rates)
}

/// Runs the command; the text is for stdout (a plot goes to its file).
pub fn run(args: &Args) -> Result<String, Error> {
    run_with(args, None)
}

/// Runs the command with buckets read from a compiled module (`--module`), which the
/// caller loads and verifies so it can report problems in the module with spans.
pub fn run_with(args: &Args, compiled: Option<Buckets>) -> Result<String, Error> {
    let scenario = scenario(args, compiled)?;
    let replications = args.replications as usize;
    if let Some(Rates(rates)) = &args.sweep {
        let total = scenario.workload.count(scenario.requests) * rates.len() as u64;
        let progress = Progress::for_requests(Some(total), "sweep");
        let points = sweep::sweep(&scenario, rates, &progress)?;
        progress.finish();
        if let Some(path) = &args.plot {
            std::fs::write(path, latency_svg(&points, &scenario.slo)).map_err(|source| {
                Error::Io {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        return Ok(match args.format {
            Format::Table => sweep::table(&points),
            Format::Json => pretty(&sweep::json(&points)),
        });
    }
    if args.find_max_rate {
        let progress = Progress::for_requests(None, "find-max-rate");
        let found = find_max_rate(&scenario, replications, args.precision, &progress)?;
        progress.finish();
        return Ok(max_rate_output(&scenario, &found, args));
    }
    if args.find_replicas {
        if scenario.workload.rate().is_none() {
            return Err(Error::Config("--find-replicas needs --rate".into()));
        }
        let progress = Progress::for_requests(None, "find-replicas");
        let found = find_replicas(&scenario, replications, &progress)?;
        progress.finish();
        return Ok(replicas_output(&scenario, &found, args.format));
    }
    let progress =
        Progress::for_requests(Some(scenario.workload.count(scenario.requests)), "simulate");
    let report = scenario.simulate(&progress)?;
    progress.finish();
    Ok(match args.format {
        Format::Table => format!(
            "{}\n{}",
            describe(&scenario, Varied::Nothing),
            report.to_table()
        ),
        Format::Json => pretty(&report.to_json()),
    })
}

/// Builds the scenario from flags, falling back to the spec's defaults.
pub fn scenario(args: &Args, compiled: Option<Buckets>) -> Result<Scenario, Error> {
    let spec = args.spec.as_deref().map(Spec::read).transpose()?;
    let defaults = spec
        .as_ref()
        .map(|s| s.defaults.clone())
        .unwrap_or_default();
    let max_batch = args
        .max_batch
        .or(defaults.max_batch)
        .unwrap_or(NonZeroU32::MIN);
    let buckets = match (&spec, args.service_time) {
        _ if args.module.is_some() => compiled.ok_or_else(|| {
            Error::Config("--module is read by the `timetable plan` command".into())
        })?,
        (Some(spec), _) => spec.buckets.clone(),
        (None, Some(service)) => Buckets::affine(
            service,
            args.batch_increment.unwrap_or(0.0),
            max_batch.get(),
        )?,
        (None, None) => {
            return Err(Error::Config(
                "give the service times: --service-time D, --spec FILE or --module FILE".into(),
            ));
        }
    };
    let slo = slo(args, &defaults)?;
    let deadline_admission =
        args.deadline_admission || defaults.deadline_admission.unwrap_or(false);
    if deadline_admission && slo.is_empty() {
        return Err(Error::Config(
            "deadline admission rejects by the SLO's bound: give --slo, e.g. p99=10ms".into(),
        ));
    }
    let deployment = Deployment {
        replicas: args
            .replicas
            .or(defaults.replicas)
            .unwrap_or(NonZeroU32::MIN),
        batching: Batching {
            max_batch,
            max_wait_s: args.max_wait.or(defaults.max_wait_s).unwrap_or(0.0),
        },
        admission: Admission {
            queue_capacity: args.queue_capacity.or(defaults.queue_capacity),
            deadline_s: deadline_admission.then(|| slo.deadline()),
        },
    };
    let workload = workload(args, &defaults, spec.as_ref(), &buckets)?;
    let requests = match (&workload, args.requests) {
        (_, Some(n)) => n,
        (Workload::Poisson { .. }, None) => DEFAULT_REQUESTS,
        (Workload::Replay { trace, .. }, None) => trace.len() as u64,
    };
    Ok(Scenario {
        buckets,
        workload,
        deployment,
        slo,
        requests,
        warmup: args.warmup,
        seed: args.seed,
    })
}

fn slo(args: &Args, defaults: &Defaults) -> Result<Slo, Error> {
    let mut slo = Slo::default();
    for &(level, bound) in defaults.slo.iter().chain(&args.slo) {
        slo.set(level, bound);
    }
    if let Some(max) = args.max_rejected.or(defaults.max_rejected) {
        if !(0.0..=1.0).contains(&max) {
            return Err(Error::Config(format!(
                "--max-rejected must be in [0, 1], not {max}"
            )));
        }
        slo.max_rejected = max;
    }
    Ok(slo)
}

fn workload(
    args: &Args,
    defaults: &Defaults,
    spec: Option<&Spec>,
    buckets: &Buckets,
) -> Result<Workload, Error> {
    let rate = args.rate.or(defaults.rate);
    let arrival = args.arrival.unwrap_or(if args.trace.is_some() {
        Arrival::Trace
    } else {
        Arrival::Poisson
    });
    match arrival {
        Arrival::Trace => {
            let path = args
                .trace
                .as_deref()
                .ok_or_else(|| Error::Config("--arrival trace needs --trace FILE".into()))?;
            if args.size.is_some() || args.sizes.is_some() {
                return Err(Error::Config(
                    "a replayed trace brings its own sizes; drop --size/--sizes".into(),
                ));
            }
            Ok(Workload::Replay {
                trace: Trace::read(path)?,
                rate,
            })
        }
        Arrival::Poisson => {
            if args.trace.is_some() {
                return Err(Error::Config(
                    "--trace replays a trace's arrivals; for Poisson arrivals with its sizes use --sizes FILE".into(),
                ));
            }
            // A sweep or a rate search sets the rate itself.
            let searching = args.sweep.is_some() || args.find_max_rate;
            let rate = rate
                .or(searching.then_some(1.0))
                .ok_or_else(|| Error::Config("Poisson arrivals need --rate (requests/s)".into()))?;
            let sizes = match (args.size, &args.sizes, spec.and_then(|s| s.sizes.clone())) {
                (Some(size), _, _) => SizeDist::Fixed(size),
                (None, Some(path), _) => {
                    let trace = Trace::read(path)?;
                    SizeDist::empirical(trace.sizes()).map_err(Error::Config)?
                }
                (None, None, Some(sizes)) => sizes,
                (None, None, None)
                    if buckets.largest_size() == u64::MAX && buckets.as_slice().len() == 1 =>
                {
                    SizeDist::Fixed(1)
                }
                (None, None, None) => {
                    return Err(Error::Config(
                        "the buckets have size bounds: give request sizes with --size N, --sizes FILE or `sizes` in the spec".into(),
                    ));
                }
            };
            Ok(Workload::Poisson { rate, sizes })
        }
    }
}

/// What a command varies, and so leaves out of the scenario's description.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Varied {
    Nothing,
    Rate,
    Replicas,
}

/// One line saying what was simulated.
fn describe(scenario: &Scenario, varied: Varied) -> String {
    let d = &scenario.deployment;
    let searching = varied == Varied::Rate;
    let arrivals = match (&scenario.workload, searching) {
        (Workload::Poisson { .. }, true) => "Poisson arrivals".to_string(),
        (Workload::Poisson { rate, .. }, false) => format!("Poisson {}/s", significant(*rate, 5)),
        (
            Workload::Replay {
                trace,
                rate: Some(rate),
            },
            false,
        ) => {
            format!(
                "trace replay ({} requests) at {}/s",
                trace.len(),
                significant(*rate, 5)
            )
        }
        (Workload::Replay { trace, .. }, _) => format!("trace replay ({} requests)", trace.len()),
    };
    let mut text = arrivals;
    if varied != Varied::Replicas {
        text.push_str(&format!(", {} replica(s)", d.replicas));
    }
    text.push_str(&format!(
        ", {} bucket(s), max batch {}",
        scenario.buckets.as_slice().len(),
        d.batching.max_batch
    ));
    if d.batching.max_batch.get() > 1 {
        text.push_str(&format!(
            ", max wait {}",
            format_duration(d.batching.max_wait_s)
        ));
    }
    if let Some(capacity) = d.admission.queue_capacity {
        text.push_str(&format!(", queue capacity {capacity}"));
    }
    if let Some(deadline) = d.admission.deadline_s {
        text.push_str(&format!(
            ", deadline admission at {}",
            format_duration(deadline)
        ));
    }
    text.push_str(&format!(
        ", {} requests, seed {}\n",
        scenario.workload.count(scenario.requests),
        scenario.seed
    ));
    text
}

fn max_rate_output(scenario: &Scenario, found: &MaxRate, args: &Args) -> String {
    let per_replication: Vec<String> = found.rates.iter().map(|r| significant(*r, 5)).collect();
    match args.format {
        Format::Json => pretty(&json!({
            "max_rate": found.rate(),
            "ci95": found.interval.map(|i| [i.low(), i.high()]),
            "rates": found.rates,
            "replications": found.rates.len(),
            "precision": args.precision,
            "simulations": found.simulations,
            "report": found.report.to_json(),
        })),
        Format::Table => {
            let interval = match found.interval {
                Some(i) => format!(
                    "{}/s ± {}/s (95% CI over {} replications: {})",
                    significant(i.mean, 5),
                    significant(i.half_width, 3),
                    found.rates.len(),
                    per_replication.join(", ")
                ),
                None => format!(
                    "{}/s (one replication: the trace replay is fixed)",
                    significant(found.rate(), 5)
                ),
            };
            format!(
                "{}max rate meeting {} (rejected <= {}%): {interval}\n\
                 bisection to {}% relative, {} simulations\n\nat {}/s (the lowest replication's answer, seed {}):\n{}",
                describe(scenario, Varied::Rate),
                scenario.slo.describe(),
                significant(100.0 * scenario.slo.max_rejected, 3),
                significant(100.0 * args.precision, 3),
                found.simulations,
                significant(found.rates.iter().copied().fold(f64::INFINITY, f64::min), 5),
                scenario.seed,
                found.report.to_table()
            )
        }
    }
}

fn replicas_output(scenario: &Scenario, found: &ReplicaCount, format: Format) -> String {
    let levels: Vec<Percentile> = scenario
        .slo
        .targets
        .iter()
        .map(|&(level, _)| level)
        .collect();
    let across = |reports: &[Report], level: Percentile| -> Vec<f64> {
        reports.iter().filter_map(|r| r.latency.at(level)).collect()
    };
    match format {
        Format::Json => {
            let summary = |reports: &[Report]| {
                let mut map = serde_json::Map::new();
                for &level in &levels {
                    let values = across(reports, level);
                    map.insert(format!("latency_{}", level.key()), json!(values));
                    let ci = Interval::of_estimates(&values).map(|i| [i.low(), i.high()]);
                    map.insert(format!("latency_{}_ci95", level.key()), json!(ci));
                }
                let rejected: Vec<f64> = reports.iter().map(Report::rejected_fraction).collect();
                map.insert("rejected_fraction".into(), json!(rejected));
                serde_json::Value::Object(map)
            };
            pretty(&json!({
                "replicas": found.replicas.get(),
                "replications": found.at.len(),
                "simulations": found.simulations,
                "at": summary(&found.at),
                "below": (!found.below.is_empty()).then(|| summary(&found.below)),
                "report": found.at[0].to_json(),
            }))
        }
        Format::Table => {
            let line = |replicas: u32, reports: &[Report]| -> String {
                let parts: Vec<String> = levels
                    .iter()
                    .map(|&level| {
                        let values = across(reports, level);
                        match Interval::of_estimates(&values) {
                            Some(i) => format!(
                                "{level} {} ± {}",
                                format_duration(i.mean),
                                format_duration(i.half_width)
                            ),
                            None => format!(
                                "{level} {}",
                                values.first().map_or("-".into(), |v| format_duration(*v))
                            ),
                        }
                    })
                    .collect();
                let met = reports.iter().filter(|r| r.meets_slo()).count();
                let interval = if reports.len() > 1 {
                    " (95% CI over replications)"
                } else {
                    ""
                };
                format!(
                    "with {replicas}: {}{interval}, SLO met in {met} of {}\n",
                    parts.join(", "),
                    reports.len()
                )
            };
            let mut text = format!(
                "{}fewest replicas meeting {} (rejected <= {}%) in every replication: {}\n",
                describe(scenario, Varied::Replicas),
                scenario.slo.describe(),
                significant(100.0 * scenario.slo.max_rejected, 3),
                found.replicas
            );
            text.push_str(&line(found.replicas.get(), &found.at));
            if !found.below.is_empty() {
                text.push_str(&line(found.replicas.get() - 1, &found.below));
            }
            text.push_str(&format!(
                "{} simulations\n\nwith {} replicas, seed {}:\n{}",
                found.simulations,
                found.replicas,
                scenario.seed,
                found.at[0].to_table()
            ));
            text
        }
    }
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
