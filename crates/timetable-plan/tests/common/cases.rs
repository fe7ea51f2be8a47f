//! The validation cases: a scenario, how many replications the test averages, and the
//! figures with their theoretical values (`timetable_plan::theory`, derived in
//! docs/planning.md). Shared by `tests/validation.rs`, which checks them within 1%, and
//! `examples/validation.rs`, which prints the README's table with the sampling error.

use std::num::NonZeroU32;

use timetable_plan::theory::{
    GreedyBatching, drained_poisson_chain, erlang_b, md1_deadline, md1_mean_wait, md1_wait_cdf,
    md1k, mdc_mean_wait, mdc_wait_cdf, quantile,
};
use timetable_plan::{
    Admission, Batching, Buckets, Deployment, Percentile, Report, Scenario, SizeDist, Slo, Workload,
};

/// The service time: 1 ms, so theory's units of D are milliseconds.
pub const D: f64 = 1e-3;

pub struct Figure {
    pub name: &'static str,
    pub theory: f64,
    pub measure: fn(&Report) -> f64,
}

/// A property every replication must have exactly: its description and its check.
pub type Invariant = (&'static str, fn(&Report) -> bool);

pub struct Case {
    pub name: &'static str,
    pub scenario: Scenario,
    /// Replications (seeds `seed..seed + replications`) the test averages.
    pub replications: usize,
    pub figures: Vec<Figure>,
    /// A property every replication must have exactly, if any.
    pub invariant: Option<Invariant>,
}

fn poisson(load: f64, requests: u64) -> Scenario {
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

fn with_replicas(mut scenario: Scenario, replicas: u32) -> Scenario {
    scenario.deployment.replicas = NonZeroU32::new(replicas).unwrap();
    scenario
}

pub fn wait_mean(r: &Report) -> f64 {
    r.wait.mean.unwrap() / D
}

pub fn wait_p50(r: &Report) -> f64 {
    r.wait.at(Percentile::P50).unwrap() / D
}

pub fn wait_p90(r: &Report) -> f64 {
    r.wait.at(Percentile::P90).unwrap() / D
}

pub fn wait_p99(r: &Report) -> f64 {
    r.wait.at(Percentile::P99).unwrap() / D
}

pub fn latency_p99(r: &Report) -> f64 {
    r.latency.at(Percentile::P99).unwrap() / D
}

pub fn rejected(r: &Report) -> f64 {
    r.rejected_fraction()
}

fn figure(name: &'static str, theory: f64, measure: fn(&Report) -> f64) -> Figure {
    Figure {
        name,
        theory,
        measure,
    }
}

pub fn md1_half_load() -> Case {
    let cdf = |t| md1_wait_cdf(0.5, t);
    Case {
        name: "M/D/1, ρ = 0.5",
        scenario: poisson(0.5, 4_000_000),
        replications: 2,
        figures: vec![
            figure("mean wait / D", md1_mean_wait(0.5), wait_mean),
            figure("p90 wait / D", quantile(cdf, 0.90), wait_p90),
            figure("p99 wait / D", quantile(cdf, 0.99), wait_p99),
        ],
        invariant: None,
    }
}

pub fn md1_nine_tenths_load() -> Case {
    let p99 = quantile(|t| md1_wait_cdf(0.9, t), 0.99);
    Case {
        name: "M/D/1, ρ = 0.9",
        // The tail at ρ = 0.9 decorrelates slowly: 72 million requests for 0.3% at p99.
        scenario: poisson(0.9, 18_000_000),
        replications: 4,
        figures: vec![
            figure("mean wait / D", md1_mean_wait(0.9), wait_mean),
            figure("p99 wait / D", p99, wait_p99),
            figure("p99 latency / D", p99 + 1.0, latency_p99),
        ],
        invariant: None,
    }
}

pub fn mdc_three_replicas() -> Case {
    let (c, a) = (3, 2.4);
    let p = drained_poisson_chain(c, a);
    let cdf = |t| mdc_wait_cdf(c, a, &p, t);
    Case {
        name: "M/D/3, ρ = 0.8",
        scenario: with_replicas(poisson(a, 8_000_000), c as u32),
        replications: 2,
        figures: vec![
            figure("mean wait / D", mdc_mean_wait(c, a, &p), wait_mean),
            figure("p90 wait / D", quantile(cdf, 0.90), wait_p90),
            figure("p99 wait / D", quantile(cdf, 0.99), wait_p99),
        ],
        invariant: None,
    }
}

pub fn loss_system() -> Case {
    let (c, a) = (3, 2.0);
    let mut scenario = with_replicas(poisson(a, 2_000_000), c as u32);
    scenario.deployment.admission.queue_capacity = Some(0);
    Case {
        name: "M/D/3/3 (queue capacity 0), a = 2",
        scenario,
        replications: 2,
        figures: vec![figure("rejected (Erlang B)", erlang_b(c, a), rejected)],
        invariant: Some(("nobody waits", |r| r.wait.max == Some(0.0))),
    }
}

pub fn bounded_queue() -> Case {
    let mut scenario = poisson(0.9, 2_000_000);
    // Three waiting plus one in service: M/D/1/4.
    scenario.deployment.admission.queue_capacity = Some(3);
    let (blocking, wait) = md1k(0.9, 4);
    Case {
        name: "M/D/1/4 (queue capacity 3), ρ = 0.9",
        scenario,
        replications: 2,
        figures: vec![
            figure("rejected", blocking, rejected),
            figure("mean wait / D", wait, wait_mean),
        ],
        invariant: None,
    }
}

pub fn deadline_admission() -> Case {
    let mut scenario = poisson(0.9, 2_000_000);
    scenario.slo.set(Percentile::P99, 3.5 * D);
    scenario.deployment.admission = Admission {
        queue_capacity: None,
        deadline_s: Some(3.5 * D),
    };
    let (rejected_share, wait) = md1_deadline(0.9, 3.5, 2000);
    Case {
        name: "M/D/1, deadline admission 3.5 D, ρ = 0.9",
        scenario,
        replications: 2,
        figures: vec![
            figure("rejected", rejected_share, rejected),
            figure("mean wait / D", wait, wait_mean),
        ],
        // The prediction is exact without batching.
        invariant: Some(("every admitted request meets the deadline", |r| {
            r.latency.max.unwrap() <= 3.5 * D * (1.0 + 1e-12)
        })),
    }
}

pub fn greedy_batching() -> Case {
    let (a, batch) = (3.0, 4);
    let mut scenario = poisson(a, 4_000_000);
    scenario.buckets = Buckets::affine(D, 0.0, batch).unwrap();
    scenario.deployment.batching = Batching {
        max_batch: NonZeroU32::new(batch).unwrap(),
        max_wait_s: 0.0,
    };
    let model = GreedyBatching::new(a, batch as usize);
    let cdf = |t| model.wait_cdf(t);
    Case {
        name: "greedy batching ≤ 4, λD = 3",
        scenario,
        replications: 2,
        figures: vec![
            figure("mean wait / D", model.mean_wait(), wait_mean),
            figure("p50 wait / D", quantile(cdf, 0.50), wait_p50),
            figure("p99 wait / D", quantile(cdf, 0.99), wait_p99),
        ],
        invariant: None,
    }
}

/// Every case, in the README's order.
pub fn all() -> Vec<Case> {
    vec![
        md1_half_load(),
        md1_nine_tenths_load(),
        mdc_three_replicas(),
        loss_system(),
        bounded_queue(),
        deadline_admission(),
        greedy_batching(),
    ]
}
