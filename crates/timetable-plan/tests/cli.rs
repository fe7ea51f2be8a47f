//! The command line end to end: output shapes, determinism, error messages, sweeps and
//! the two searches against theory.

use std::path::{Path, PathBuf};

use clap::Parser;
use timetable_plan::cli::{self, Args};
use timetable_plan::theory::{drained_poisson_chain, md1_wait_cdf, mdc_wait_cdf, quantile};

#[derive(Parser)]
struct Command {
    #[command(flatten)]
    args: Args,
}

fn args(line: &str) -> Args {
    let words = std::iter::once("plan").chain(line.split_whitespace());
    Command::try_parse_from(words)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .args
}

fn run(line: &str) -> Result<String, String> {
    cli::run(&args(line)).map_err(|e| e.to_string())
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(&run(&format!("{line} --format json")).unwrap()).unwrap()
}

/// A scratch file unique to this test process.
fn scratch(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timetable-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

const SIMPLE: &str =
    "--arrival poisson --rate 500 --service-time 1ms --replicas 1 --requests 200000 --seed 3";

#[test]
fn simple_case_reports_the_documented_keys() {
    let value = json(SIMPLE);
    for key in [
        "wait_mean",
        "wait_p50",
        "wait_p90",
        "wait_p99",
        "wait_p999",
        "latency_p50",
        "latency_p99",
        "latency_p999",
        "rejected_fraction",
        "goodput",
        "utilization",
    ] {
        assert!(value[key].is_number(), "{key}: {}", value[key]);
    }
    assert_eq!(value["requests"], 200_000);
    assert_eq!(value["rejected_fraction"], 0.0);
    let utilization = value["utilization"].as_f64().unwrap();
    assert!((utilization - 0.5).abs() < 0.01, "{utilization}");
    let table = run(SIMPLE).unwrap();
    for needle in [
        "Poisson 500.00/s",
        "wait",
        "latency",
        "p99.9",
        "utilisation",
        "padding",
    ] {
        assert!(table.contains(needle), "{needle} missing:\n{table}");
    }
}

#[test]
fn same_seed_same_bytes() {
    let line = "--rate 700 --service-time 1ms --max-batch 4 --batch-increment 100us --max-wait 200us --replicas 2 --requests 50000";
    assert_eq!(
        run(&format!("{line} --seed 9")),
        run(&format!("{line} --seed 9"))
    );
    assert_ne!(
        run(&format!("{line} --seed 9")),
        run(&format!("{line} --seed 10"))
    );
}

#[test]
fn spec_file_buckets_sizes_and_defaults() {
    let spec = scratch(
        "spec.json",
        r#"{
  "buckets": [
    { "name": "short", "max_size": 100, "batches": [ { "batch": 1, "service_time": "1ms" },
                                                      { "batch": 4, "service_time": "2ms" } ] },
    { "name": "long", "max_size": 400, "service_time": "4ms" }
  ],
  "sizes": { "weighted": [[50, 3], [300, 1]] },
  "deployment": { "replicas": 2, "max_batch": 4, "slo": { "p99": "50ms" }, "rate": 400 }
}"#,
    );
    let value = json(&format!("--spec {} --requests 100000", spec.display()));
    let buckets = value["buckets"].as_array().unwrap();
    let short = buckets[0]["requests"].as_f64().unwrap();
    let long = buckets[1]["requests"].as_f64().unwrap();
    assert!(
        (short / (short + long) - 0.75).abs() < 0.01,
        "{short} vs {long}"
    );
    // `long` requests are 300 in a 400 bound, one per batch: a quarter is padding.
    assert!((buckets[1]["padding_waste"].as_f64().unwrap() - 0.25).abs() < 1e-12);
    assert!(buckets[0]["mean_batch"].as_f64().unwrap() >= 1.0);
    assert_eq!(value["slo_met"], true);
    // Flags override the spec: one replica cannot carry 900/s of this load.
    let overloaded = json(&format!(
        "--spec {} --requests 100000 --replicas 1 --rate 900",
        spec.display()
    ));
    assert_eq!(overloaded["slo_met"], false);
}

#[test]
fn errors_say_what_and_where() {
    let bad_spec = scratch(
        "bad.json",
        "{\n  \"buckets\": [\n    { \"max_size\": 8, \"servce_time\": \"1ms\" }\n  ]\n}",
    );
    let message = run(&format!("--spec {} --rate 1", bad_spec.display())).unwrap_err();
    assert!(
        message.contains("bad.json")
            && message.contains("servce_time")
            && message.contains("line 3"),
        "{message}"
    );
    let bad_trace = scratch("bad.csv", "arrival,size\n0.0,5\n0.5,five\n");
    let message = run(&format!(
        "--trace {} --service-time 1ms",
        bad_trace.display()
    ))
    .unwrap_err();
    assert!(
        message.contains("bad.csv:3:") && message.contains("`five`"),
        "{message}"
    );
    let cases = [
        ("--service-time 1ms --requests 10", "--rate"),
        ("--rate 10 --requests 10", "--service-time"),
        ("--rate 10 --service-time 1ms --deadline-admission", "--slo"),
        ("--arrival trace --service-time 1ms", "--trace FILE"),
        (
            "--spec /nonexistent/spec.json --rate 1",
            "/nonexistent/spec.json",
        ),
        (
            "--rate 10 --service-time 1ms --requests 10 --warmup 10",
            "warm-up",
        ),
        (
            "--rate 10 --service-time 1ms --find-max-rate",
            "needs an SLO",
        ),
        (
            "--service-time 1ms --find-replicas --rate 5 --slo p99=500us",
            "fastest program",
        ),
        (
            "--rate 10 --service-time 1ms --requests 0",
            "nothing to simulate",
        ),
        (
            "--rate 10 --service-time 1ms --max-batch 100000",
            "more than the 65536",
        ),
    ];
    for (line, expected) in cases {
        let message = run(line).unwrap_err();
        assert!(message.contains(expected), "{line}: {message}");
    }
    for line in [
        "--service-time 10 --rate 1",
        "--rate 1 --service-time 1ms --slo p99",
        "--rate 1 --service-time 1ms --sweep 5:1",
    ] {
        let words = std::iter::once("plan").chain(line.split_whitespace());
        assert!(Command::try_parse_from(words).is_err(), "{line}");
    }
}

#[test]
fn trace_replay_scales_time() {
    let trace = scratch(
        "trace.csv",
        "arrival,size\n100,1\n100.5,1\n101,1\n101.5,1\n102,1\n",
    );
    let native = json(&format!("--trace {} --service-time 100ms", trace.display()));
    assert_eq!(native["requests"], 5);
    // Two per second, each served before the next arrives.
    assert_eq!(native["wait_max"], 0.0);
    let fast = json(&format!(
        "--trace {} --service-time 100ms --rate 20",
        trace.display()
    ));
    // At 20/s arrivals are 50 ms apart: the fifth waits 4 × 50 ms.
    let wait_max = fast["wait_max"].as_f64().unwrap();
    assert!((wait_max - 0.2).abs() < 1e-9, "{wait_max}");
}

/// The Azure LLM trace vendored in the repository's `tests/bench`.
fn azure_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/bench/azure-llm-2023/AzureLLMInferenceTrace_code.csv")
}

#[test]
fn replays_the_azure_trace() {
    let trace = azure_trace();
    // The example spec: buckets up to 2k, 4k and 8k tokens of context.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/llm-buckets.json");
    let value = json(&format!(
        "--spec {} --trace {}",
        spec.display(),
        trace.display()
    ));
    assert_eq!(value["requests"], 8819);
    assert_eq!(value["rejected_oversize"], 0);
    let rate = value["offered_rate"].as_f64().unwrap();
    assert!((rate - 2.57).abs() < 0.01, "{rate}");
    // Context tokens: median 1469, so most requests take the small bucket.
    let small = value["buckets"][0]["requests"].as_f64().unwrap();
    assert!(small / 8819.0 > 0.5);
    let faster = json(&format!(
        "--spec {} --trace {} --rate 25",
        spec.display(),
        trace.display()
    ));
    let rate = faster["offered_rate"].as_f64().unwrap();
    assert!((rate - 25.0).abs() < 0.01, "{rate}");
    assert!(faster["wait_p99"].as_f64().unwrap() > value["wait_p99"].as_f64().unwrap());
}

#[test]
fn sweep_writes_a_plot() {
    let plot =
        std::env::temp_dir().join(format!("timetable-plan-{}-sweep.svg", std::process::id()));
    let line = format!(
        "--service-time 1ms --requests 20000 --sweep 100:900:5 --slo p99=10ms --plot {}",
        plot.display()
    );
    let table = run(&line).unwrap();
    assert_eq!(table.lines().count(), 6, "{table}");
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<path").count(), 4);
    assert!(svg.contains("SLO p99"));
    let points = json(&line);
    assert_eq!(points.as_array().unwrap().len(), 5);
}

#[test]
fn max_rate_matches_md1_theory() {
    // p99 latency <= 10 D means p99 wait <= 9 D.
    let p99_wait = |rho: f64| quantile(|t| md1_wait_cdf(rho, t), 0.99);
    let (mut low, mut high) = (0.5, 0.95);
    while high - low > 1e-7 {
        let middle = 0.5 * (low + high);
        if p99_wait(middle) <= 9.0 {
            low = middle
        } else {
            high = middle
        }
    }
    let theory = low * 1000.0;
    let value = json(
        "--service-time 1ms --requests 500000 --find-max-rate --slo p99=10ms --replications 4",
    );
    let found = value["max_rate"].as_f64().unwrap();
    assert!(
        (found / theory - 1.0).abs() < 0.01,
        "found {found}, theory {theory}"
    );
    let [low, high] = [
        value["ci95"][0].as_f64().unwrap(),
        value["ci95"][1].as_f64().unwrap(),
    ];
    assert!(
        low < found && found < high && (high - low) / found < 0.02,
        "{low} {high}"
    );
    assert_eq!(value["rates"].as_array().unwrap().len(), 4);
}

#[test]
fn fewest_replicas_match_mdc_theory() {
    // 4500/s of 1 ms requests: the p99 latency with c replicas from Crommelin's formula.
    let a = 4.5;
    let p99_latency = |c: usize| {
        let p = drained_poisson_chain(c, a);
        1.0 + quantile(|t| mdc_wait_cdf(c, a, &p, t), 0.99)
    };
    let (five, six) = (p99_latency(5), p99_latency(6));
    assert!(
        five > 1.5 * six,
        "the bound must separate 5 from 6 clearly: {five} {six}"
    );
    let bound_ms = (five * six).sqrt();
    let value = json(&format!(
        "--rate 4500 --service-time 1ms --requests 300000 --find-replicas --slo p99={bound_ms}ms --replications 3"
    ));
    assert_eq!(value["replicas"], 6, "{value}");
}

#[test]
fn clap_definition_is_consistent() {
    use clap::CommandFactory;
    Command::command().debug_assert();
}
