//! Simulated requests per second on one core, and the wall time of a `--find-max-rate`
//! search over 10^6-request simulations. `cargo bench -p timetable-plan` prints a table;
//! each figure is the best of three runs, since the machine is shared.

use std::num::NonZeroU32;
use std::time::Instant;

use timetable_plan::search::find_max_rate;
use timetable_plan::{
    Admission, BatchVariant, Batching, Bucket, Buckets, Deployment, Percentile, Progress, Scenario,
    SizeDist, Slo, Workload,
};

const REQUESTS: u64 = 10_000_000;
const D: f64 = 1e-3;

fn md1(load: f64, replicas: u32) -> Scenario {
    Scenario {
        buckets: Buckets::single(D).unwrap(),
        workload: Workload::Poisson {
            rate: load * f64::from(replicas) / D,
            sizes: SizeDist::Fixed(1),
        },
        deployment: Deployment {
            replicas: NonZeroU32::new(replicas).unwrap(),
            ..Deployment::default()
        },
        slo: Slo::default(),
        requests: REQUESTS,
        warmup: 0,
        seed: 1,
    }
}

/// Three context-length buckets with batch variants, sizes uniform up to 8192.
fn bucketed(batch: u32) -> Scenario {
    let bucket = |name: &str, max_size: u64, base: f64| Bucket {
        name: name.into(),
        max_size,
        variants: [1, 2, 4, 8]
            .into_iter()
            .map(|b| BatchVariant {
                batch: b,
                service_s: base * (1.0 + 0.3 * f64::from(b - 1)),
            })
            .collect(),
    };
    let buckets = Buckets::new(vec![
        bucket("ctx2k", 2048, 2e-3),
        bucket("ctx4k", 4096, 4e-3),
        bucket("ctx8k", 8192, 8e-3),
    ])
    .unwrap();
    let mut scenario = Scenario {
        buckets,
        workload: Workload::Poisson {
            rate: 1.0,
            sizes: SizeDist::uniform(1, 8192).unwrap(),
        },
        deployment: Deployment {
            replicas: NonZeroU32::new(4).unwrap(),
            batching: Batching {
                max_batch: NonZeroU32::new(batch).unwrap(),
                max_wait_s: 1e-3,
            },
            admission: Admission::default(),
        },
        slo: Slo::default(),
        requests: REQUESTS,
        warmup: 0,
        seed: 1,
    };
    let saturation = scenario.saturation_rate().unwrap();
    scenario.workload = scenario.workload.at_rate(0.85 * saturation);
    scenario
}

fn with_deadline(mut scenario: Scenario, deadline: f64) -> Scenario {
    scenario.slo.set(Percentile::P99, deadline);
    scenario.deployment.admission.deadline_s = Some(deadline);
    scenario
}

fn best_of_three(mut run: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let cases = [
        ("M/D/1, rho 0.9", md1(0.9, 1)),
        ("M/D/16, rho 0.9", md1(0.9, 16)),
        (
            "M/D/1, rho 0.9, deadline admission 10D",
            with_deadline(md1(0.9, 1), 10.0 * D),
        ),
        (
            "3 buckets, batch <= 8, max wait 1ms, 4 replicas",
            bucketed(8),
        ),
        (
            "  same, deadline admission 50ms",
            with_deadline(bucketed(8), 50e-3),
        ),
    ];
    println!(
        "{:<50}{:>16}{:>14}",
        "scenario (10^7 requests, one core)", "requests/s", "seconds"
    );
    for (name, scenario) in &cases {
        let seconds = best_of_three(|| {
            scenario.simulate(&Progress::hidden()).unwrap();
        });
        println!(
            "{name:<50}{:>14.1} M{seconds:>14.3}",
            REQUESTS as f64 / seconds / 1e6
        );
    }
    let mut search = md1(0.5, 1);
    search.requests = 1_000_000;
    search.slo.set(Percentile::P99, 10.0 * D);
    let mut found = None;
    let seconds = best_of_three(|| {
        found = Some(find_max_rate(&search, 5, 0.002, &Progress::hidden()).unwrap());
    });
    let found = found.expect("ran three times");
    println!(
        "find-max-rate, M/D/1, p99 <= 10D, 5 replications x 10^6 requests: {} simulations in {seconds:.2} s (all cores), max rate {:.1}/s",
        found.simulations,
        found.rate()
    );
}
