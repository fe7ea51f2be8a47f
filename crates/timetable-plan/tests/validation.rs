//! The simulator against queueing theory (`timetable_plan::theory`, derived in
//! docs/planning.md): fixed seeds, and enough requests that each figure's sampling error
//! (measured over seeds, see the README's validation table) is a third of the 1%
//! tolerance or less.

use std::num::NonZeroU32;

use timetable_plan::theory::{
    GreedyBatching, drained_poisson_chain, erlang_b, md1_deadline, md1_mean_wait, md1_wait_cdf,
    md1k, mdc_mean_wait, mdc_wait_cdf, quantile,
};
use timetable_plan::{
    Admission, Batching, Buckets, Deployment, Percentile, Progress, Report, Scenario, SizeDist,
    Slo, Workload,
};

/// The service time: 1 ms, so theory's units of D are milliseconds.
const D: f64 = 1e-3;

fn scenario(load: f64, requests: u64) -> Scenario {
    Scenario {
        buckets: Buckets::single(D).unwrap(),
        workload: Workload::Poisson {
            rate: load / D,
            sizes: SizeDist::Fixed(1),
        },
        deployment: Deployment::default(),
        slo: Slo::default(),
        requests,
        warmup: 1000,
        seed: 7,
    }
}

/// Independent replications, simulated in parallel.
fn simulate(scenario: &Scenario, replications: usize) -> Vec<Report> {
    scenario
        .replications(replications, &Progress::hidden())
        .unwrap()
}

/// The average of one figure over replications.
fn averaged(reports: &[Report], figure: impl Fn(&Report) -> f64) -> f64 {
    reports.iter().map(figure).sum::<f64>() / reports.len() as f64
}

fn wait_p(level: Percentile) -> impl Fn(&Report) -> f64 {
    move |r| r.wait.at(level).unwrap() / D
}

fn wait_mean(r: &Report) -> f64 {
    r.wait.mean.unwrap() / D
}

fn assert_close(name: &str, simulated: f64, theory: f64, tolerance: f64) {
    let error = simulated / theory - 1.0;
    assert!(
        error.abs() < tolerance,
        "{name}: simulated {simulated:.5}, theory {theory:.5}, error {:+.3}%",
        100.0 * error
    );
}

#[test]
fn md1_at_half_load() {
    let s = scenario(0.5, 4_000_000);
    let reports = simulate(&s, 2);
    let cdf = |t| md1_wait_cdf(0.5, t);
    assert_close(
        "mean wait",
        averaged(&reports, wait_mean),
        md1_mean_wait(0.5),
        0.01,
    );
    assert_close(
        "p90 wait",
        averaged(&reports, wait_p(Percentile::P90)),
        quantile(cdf, 0.90),
        0.01,
    );
    assert_close(
        "p99 wait",
        averaged(&reports, wait_p(Percentile::P99)),
        quantile(cdf, 0.99),
        0.01,
    );
    assert!((quantile(cdf, 0.99) - 3.336).abs() < 5e-4);
}

#[test]
fn md1_at_nine_tenths_load() {
    // The tail at ρ = 0.9 decorrelates slowly: 48 million requests for 0.33% at p99.
    let s = scenario(0.9, 12_000_000);
    let reports = simulate(&s, 4);
    let cdf = |t| md1_wait_cdf(0.9, t);
    assert_close(
        "mean wait",
        averaged(&reports, wait_mean),
        md1_mean_wait(0.9),
        0.01,
    );
    assert_close(
        "p99 wait",
        averaged(&reports, wait_p(Percentile::P99)),
        quantile(cdf, 0.99),
        0.01,
    );
    assert!((md1_mean_wait(0.9) - 4.5).abs() < 1e-12);
    assert!((quantile(cdf, 0.99) - 21.898).abs() < 5e-4);
    // Latency is wait plus the one service time.
    let latency_p99 = averaged(&reports, |r| r.latency.at(Percentile::P99).unwrap() / D);
    assert_close("p99 latency", latency_p99, quantile(cdf, 0.99) + 1.0, 0.01);
}

#[test]
fn mdc_with_three_replicas() {
    let (c, a) = (3, 2.4);
    let mut s = scenario(a, 4_000_000);
    s.deployment.replicas = NonZeroU32::new(c as u32).unwrap();
    let reports = simulate(&s, 2);
    let p = drained_poisson_chain(c, a);
    let cdf = |t| mdc_wait_cdf(c, a, &p, t);
    assert_close(
        "mean wait",
        averaged(&reports, wait_mean),
        mdc_mean_wait(c, a, &p),
        0.01,
    );
    assert_close(
        "p99 wait",
        averaged(&reports, wait_p(Percentile::P99)),
        quantile(cdf, 0.99),
        0.01,
    );
    assert_close(
        "p90 wait",
        averaged(&reports, wait_p(Percentile::P90)),
        quantile(cdf, 0.90),
        0.01,
    );
}

#[test]
fn loss_system_blocks_like_erlang_b() {
    let (c, a) = (3, 2.0);
    let mut s = scenario(a, 2_000_000);
    s.deployment.replicas = NonZeroU32::new(c as u32).unwrap();
    s.deployment.admission.queue_capacity = Some(0);
    let reports = simulate(&s, 2);
    let rejected = averaged(&reports, Report::rejected_fraction);
    assert_close("blocking", rejected, erlang_b(c, a), 0.01);
    assert!(reports.iter().all(|r| r.wait.max == Some(0.0)));
}

#[test]
fn bounded_queue_matches_md1k() {
    let mut s = scenario(0.9, 2_000_000);
    s.deployment.admission.queue_capacity = Some(3);
    // Three waiting plus one in service: M/D/1/4.
    let reports = simulate(&s, 2);
    let (blocking, wait) = md1k(0.9, 4);
    assert_close(
        "blocking",
        averaged(&reports, Report::rejected_fraction),
        blocking,
        0.01,
    );
    assert_close("mean wait", averaged(&reports, wait_mean), wait, 0.01);
}

#[test]
fn deadline_admission_matches_the_level_crossing_solution() {
    let mut s = scenario(0.9, 2_000_000);
    s.slo.set(Percentile::P99, 3.5 * D);
    s.deployment.admission = Admission {
        queue_capacity: None,
        deadline_s: Some(3.5 * D),
    };
    let reports = simulate(&s, 2);
    let (rejected, wait) = md1_deadline(0.9, 3.5, 2000);
    assert_close(
        "rejected",
        averaged(&reports, Report::rejected_fraction),
        rejected,
        0.01,
    );
    assert_close("mean wait", averaged(&reports, wait_mean), wait, 0.01);
    // Exact prediction: no admitted request misses the deadline.
    assert!(
        reports
            .iter()
            .all(|r| r.latency.max.unwrap() <= 3.5 * D * (1.0 + 1e-12))
    );
}

#[test]
fn greedy_batching_matches_the_bulk_service_model() {
    let (a, batch) = (3.0, 4);
    let mut s = scenario(a, 4_000_000);
    s.buckets = Buckets::affine(D, 0.0, batch).unwrap();
    s.deployment.batching = Batching {
        max_batch: NonZeroU32::new(batch).unwrap(),
        max_wait_s: 0.0,
    };
    let reports = simulate(&s, 2);
    let model = GreedyBatching::new(a, batch as usize);
    assert_close(
        "mean wait",
        averaged(&reports, wait_mean),
        model.mean_wait(),
        0.01,
    );
    let p99 = quantile(|t| model.wait_cdf(t), 0.99);
    assert_close(
        "p99 wait",
        averaged(&reports, wait_p(Percentile::P99)),
        p99,
        0.01,
    );
    let p50 = quantile(|t| model.wait_cdf(t), 0.50);
    assert_close(
        "p50 wait",
        averaged(&reports, wait_p(Percentile::P50)),
        p50,
        0.01,
    );
}
