//! Differential test: the engines against a plain event-driven reference simulator,
//! written separately from them, on random small workloads with ties, several buckets,
//! batch variants, batching timeouts, replicas and both admission policies. Every
//! request's outcome must agree exactly.

use std::num::NonZeroU32;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use timetable_plan::{
    Admission, BatchVariant, Batching, Bucket, Buckets, Deployment, Launch, Progress, Rejection,
    Request, Served, Sink,
};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Pending,
    Served { start: f64, service_s: f64 },
    Rejected(Rejection),
}

struct Outcomes(Vec<Outcome>);

impl Sink for Outcomes {
    fn launched(&mut self, _: Launch) {}
    fn served(&mut self, served: Served) {
        self.0[served.seq as usize] = Outcome::Served {
            start: served.start,
            service_s: served.service_s,
        };
    }
    fn rejected(&mut self, seq: u64, _: f64, reason: Rejection) {
        self.0[seq as usize] = Outcome::Rejected(reason);
    }
}

/// The reference: explicit state, advanced event by event.
#[derive(Clone)]
struct Reference<'a> {
    buckets: &'a Buckets,
    deployment: &'a Deployment,
    now: f64,
    free_at: Vec<f64>,
    queues: Vec<Vec<(u64, f64)>>,
    outcomes: Vec<Outcome>,
}

impl<'a> Reference<'a> {
    fn new(buckets: &'a Buckets, deployment: &'a Deployment, n: usize) -> Self {
        Reference {
            buckets,
            deployment,
            now: 0.0,
            free_at: vec![0.0; deployment.replicas.get() as usize],
            queues: vec![Vec::new(); buckets.as_slice().len()],
            outcomes: vec![Outcome::Pending; n],
        }
    }

    fn batch_limit(&self, bucket: usize) -> usize {
        let largest = self.buckets.as_slice()[bucket]
            .variants
            .last()
            .unwrap()
            .batch;
        largest.min(self.deployment.batching.max_batch.get()) as usize
    }

    /// When bucket `k`'s next batch is ready, and its head's sequence number.
    fn ready(&self, k: usize) -> Option<(f64, u64)> {
        let queue = &self.queues[k];
        let &(seq, head) = queue.first()?;
        let timeout = head + self.deployment.batching.max_wait_s;
        let limit = self.batch_limit(k);
        let ready = if queue.len() >= limit {
            queue[limit - 1].1.min(timeout)
        } else {
            timeout
        };
        Some((ready, seq))
    }

    /// Launches everything that can launch at `self.now`.
    fn dispatch(&mut self) {
        loop {
            let Some(server) = (0..self.free_at.len()).find(|&s| self.free_at[s] <= self.now)
            else {
                return;
            };
            let mut best: Option<(f64, u64, usize)> = None;
            for k in 0..self.queues.len() {
                if let Some((ready, seq)) = self.ready(k)
                    && ready <= self.now
                    && best.is_none_or(|(r, s, _)| (ready, seq) < (r, s))
                {
                    best = Some((ready, seq, k));
                }
            }
            let Some((_, _, k)) = best else {
                return;
            };
            let members = self.queues[k].len().min(self.batch_limit(k));
            let bucket = &self.buckets.as_slice()[k];
            let variant = bucket
                .variants
                .iter()
                .find(|v| v.batch as usize >= members)
                .unwrap();
            self.free_at[server] = self.now + variant.service_s;
            for (seq, _) in self.queues[k].drain(..members) {
                self.outcomes[seq as usize] = Outcome::Served {
                    start: self.now,
                    service_s: variant.service_s,
                };
            }
        }
    }

    /// The next moment something can change without new arrivals.
    fn next_event(&self) -> Option<f64> {
        let later = |t: f64| (t > self.now).then_some(t);
        let servers = self.free_at.iter().copied().filter_map(later);
        let timers =
            (0..self.queues.len()).filter_map(|k| self.ready(k).and_then(|(r, _)| later(r)));
        servers.chain(timers).reduce(f64::min)
    }

    fn run_until(&mut self, time: f64) {
        self.dispatch();
        while let Some(next) = self.next_event().filter(|&t| t <= time) {
            self.now = next;
            self.dispatch();
        }
        self.now = time;
        self.dispatch();
    }

    fn arrive(&mut self, seq: u64, request: Request) {
        self.run_until(request.arrival);
        let Some(k) = self.buckets.bucket_for(request.size) else {
            self.outcomes[seq as usize] = Outcome::Rejected(Rejection::Oversize);
            return;
        };
        let waiting_before: usize = self.queues.iter().map(Vec::len).sum();
        self.queues[k].push((seq, request.arrival));
        let admission = &self.deployment.admission;
        if admission.queue_capacity.is_some() || admission.deadline_s.is_some() {
            // Predict by running a copy with no further arrivals.
            let mut future = self.clone();
            while future.outcomes[seq as usize] == Outcome::Pending {
                future.dispatch();
                match future.next_event() {
                    Some(next) => future.now = next,
                    None => break,
                }
            }
            let Outcome::Served { start, service_s } = future.outcomes[seq as usize] else {
                panic!("prediction never served the request");
            };
            let reason = if start > request.arrival
                && admission
                    .queue_capacity
                    .is_some_and(|c| waiting_before as u64 >= c)
            {
                Some(Rejection::QueueFull)
            } else if admission
                .deadline_s
                .is_some_and(|d| start + service_s - request.arrival > d)
            {
                Some(Rejection::Deadline)
            } else {
                None
            };
            if let Some(reason) = reason {
                self.queues[k].pop();
                self.outcomes[seq as usize] = Outcome::Rejected(reason);
                return;
            }
        }
        self.dispatch();
    }
}

fn random_case(rng: &mut Xoshiro256PlusPlus) -> (Buckets, Deployment, Vec<Request>) {
    let bucket_count = rng.random_range(1..=3);
    let buckets: Vec<Bucket> = (0..bucket_count)
        .map(|i| {
            let mut batch = 0;
            let variants = (0..rng.random_range(1..=3))
                .map(|_| {
                    batch += rng.random_range(1..=3);
                    // Quarter units make exact ties between events common.
                    BatchVariant {
                        batch,
                        service_s: f64::from(rng.random_range(1..=8u32)) * 0.25,
                    }
                })
                .collect();
            Bucket {
                name: format!("b{i}"),
                max_size: 10 * (i as u64 + 1),
                variants,
            }
        })
        .collect();
    let buckets = Buckets::new(buckets).unwrap();
    let deployment = Deployment {
        replicas: NonZeroU32::new(rng.random_range(1..=3)).unwrap(),
        batching: Batching {
            max_batch: NonZeroU32::new(rng.random_range(1..=6)).unwrap(),
            max_wait_s: if rng.random_bool(0.5) {
                0.0
            } else {
                f64::from(rng.random_range(1..=6u32)) * 0.25
            },
        },
        admission: Admission {
            queue_capacity: rng.random_bool(0.4).then(|| rng.random_range(0..=4)),
            deadline_s: rng
                .random_bool(0.4)
                .then(|| f64::from(rng.random_range(2..=16u32)) * 0.25),
        },
    };
    let mut clock = 0.0;
    let requests = (0..rng.random_range(1..=150))
        .map(|_| {
            clock += f64::from(rng.random_range(0..=3u32)) * 0.25;
            Request {
                arrival: clock,
                size: rng.random_range(1..=35),
            }
        })
        .collect();
    (buckets, deployment, requests)
}

#[test]
fn engines_match_the_reference_on_random_cases() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let mut batched_cases = 0;
    for case in 0..400 {
        let (buckets, deployment, requests) = random_case(&mut rng);
        let mut outcomes = Outcomes(vec![Outcome::Pending; requests.len()]);
        timetable_plan::run(
            &buckets,
            &deployment,
            requests.iter().copied(),
            &mut outcomes,
            &Progress::hidden(),
        )
        .unwrap();
        let mut reference = Reference::new(&buckets, &deployment, requests.len());
        for (seq, &request) in requests.iter().enumerate() {
            reference.arrive(seq as u64, request);
        }
        reference.run_until(f64::INFINITY);
        for (seq, (got, want)) in outcomes.0.iter().zip(&reference.outcomes).enumerate() {
            assert_eq!(
                got, want,
                "case {case}, request {seq}: {deployment:?} {buckets:?}"
            );
        }
        batched_cases += usize::from(deployment.batching.max_batch.get() > 1);
    }
    assert!(batched_cases > 100, "the cases must exercise batching");
}
