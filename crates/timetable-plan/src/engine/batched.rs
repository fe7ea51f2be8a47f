//! Batching: one FIFO queue per bucket; a free replica launches the ready batch with the
//! earliest ready time (ties: the older head request), where a batch is ready when its
//! queue holds a full batch or its head has waited `max_wait` (see `Batching`).
//!
//! Launch times never decrease: each is the later of the first free replica (which only
//! moves forward) and the earliest ready time (a bucket's next batch is never ready
//! before its previous one, and arrivals only add later candidates). So before queueing
//! an arrival at `a`, making every launch due at or before `a` leaves exactly the state
//! at `a`, and a launch's members are the requests queued by then.

use std::collections::VecDeque;

use super::servers::Servers;
use super::{Launch, Rejection, Served, ServicePlan, Sink};
use crate::deployment::Deployment;
use crate::workload::Request;

#[derive(Clone, Copy)]
struct Pending {
    arrival: f64,
    seq: u64,
    size: u64,
}

/// The earliest-ready batch: its bucket and ready time.
struct Candidate {
    bucket: usize,
    ready: f64,
}

/// When a request would start and finish if nothing else arrived.
struct Prediction {
    start: f64,
    done: f64,
}

struct Batcher<'p> {
    plan: &'p ServicePlan,
    max_wait: f64,
    queues: Vec<VecDeque<Pending>>,
    /// Requests in all queues.
    queued: u64,
    servers: Servers,
    /// Scratch state for predictions, kept to avoid allocating per arrival.
    shadow_servers: Servers,
    shadow_taken: Vec<usize>,
}

pub(super) fn run<S: Sink>(
    plan: &ServicePlan,
    deployment: &Deployment,
    requests: impl Iterator<Item = Request>,
    sink: &mut S,
) {
    let replicas = deployment.replicas.get();
    let mut batcher = Batcher {
        plan,
        max_wait: deployment.batching.max_wait_s,
        queues: vec![VecDeque::new(); plan.runs.len()],
        queued: 0,
        servers: Servers::new(replicas),
        shadow_servers: Servers::new(replicas),
        shadow_taken: vec![0; plan.runs.len()],
    };
    let capacity = deployment.admission.queue_capacity;
    let deadline = deployment.admission.deadline_s;
    for (seq, request) in (0u64..).zip(requests) {
        let Some(bucket) = plan.bucket_for(request.size) else {
            sink.rejected(seq, request.arrival, Rejection::Oversize);
            continue;
        };
        batcher.launch_until(request.arrival, sink);
        batcher.queues[bucket].push_back(Pending {
            arrival: request.arrival,
            seq,
            size: request.size,
        });
        batcher.queued += 1;
        // From here `queued` counts the new request: more than the capacity means the
        // capacity was already waiting.
        let verdict = match deadline {
            // The prediction answers both questions: whether it would wait and how long.
            Some(deadline) => {
                let predicted = batcher.predict(bucket, request.arrival + deadline);
                let waits = predicted.start > request.arrival;
                if waits && capacity.is_some_and(|c| batcher.queued > c) {
                    Err(Rejection::QueueFull)
                } else if predicted.done - request.arrival > deadline {
                    Err(Rejection::Deadline)
                } else {
                    Ok(())
                }
            }
            // A launch at `a` that is due now must contain the new request (nothing else
            // changed since the last `launch_until(a)`); if none happens it waits, and
            // taking it back out restores the state exactly.
            None => match capacity {
                Some(capacity) => {
                    batcher.launch_until(request.arrival, sink);
                    let still_queued = batcher.queues[bucket].back().is_some_and(|p| p.seq == seq);
                    if still_queued && batcher.queued > capacity {
                        Err(Rejection::QueueFull)
                    } else {
                        Ok(())
                    }
                }
                None => Ok(()),
            },
        };
        if let Err(reason) = verdict {
            batcher.queues[bucket].pop_back();
            batcher.queued -= 1;
            sink.rejected(seq, request.arrival, reason);
        }
    }
    batcher.launch_until(f64::INFINITY, sink);
}

impl Batcher<'_> {
    /// Launches every batch due at or before `time`.
    fn launch_until<S: Sink>(&mut self, time: f64, sink: &mut S) {
        while let Some(next) = earliest_ready(self.plan, self.max_wait, &self.queues, |_| 0) {
            let start = self.servers.earliest().max(next.ready);
            if start > time {
                return;
            }
            self.launch(next.bucket, start, sink);
        }
    }

    fn launch<S: Sink>(&mut self, bucket: usize, start: f64, sink: &mut S) {
        let queue = &mut self.queues[bucket];
        let members = queue.len().min(self.plan.max_batch(bucket));
        let run = self.plan.run(bucket, members);
        self.servers.replace_earliest(start + run.service_s);
        sink.launched(Launch {
            bucket,
            start,
            service_s: run.service_s,
            slots: run.slots,
            members: members as u32,
        });
        for pending in queue.drain(..members) {
            sink.served(Served {
                seq: pending.seq,
                arrival: pending.arrival,
                size: pending.size,
                bucket,
                start,
                service_s: run.service_s,
            });
        }
        self.queued -= members as u64;
    }

    /// Start and completion of the last request of `bucket`'s queue if nothing else
    /// arrived: the launches replayed on a copy of the replicas. Gives up (infinite
    /// completion) once launches pass `give_up`, since they only get later.
    fn predict(&mut self, bucket: usize, give_up: f64) -> Prediction {
        self.shadow_servers.copy_from(&self.servers);
        self.shadow_taken.fill(0);
        let taken = &mut self.shadow_taken;
        loop {
            let next = earliest_ready(self.plan, self.max_wait, &self.queues, |k| taken[k])
                .expect("the new request is still queued");
            let start = self.shadow_servers.earliest().max(next.ready);
            if start > give_up {
                return Prediction {
                    start,
                    done: f64::INFINITY,
                };
            }
            let queue_len = self.queues[next.bucket].len();
            let members = (queue_len - taken[next.bucket]).min(self.plan.max_batch(next.bucket));
            let run = self.plan.run(next.bucket, members);
            taken[next.bucket] += members;
            if next.bucket == bucket && taken[bucket] == queue_len {
                return Prediction {
                    start,
                    done: start + run.service_s,
                };
            }
            self.shadow_servers.replace_earliest(start + run.service_s);
        }
    }
}

/// The batch with the earliest ready time (ties: the older head), where `taken(k)`
/// requests at the front of queue `k` are treated as already launched.
#[inline]
fn earliest_ready(
    plan: &ServicePlan,
    max_wait: f64,
    queues: &[VecDeque<Pending>],
    taken: impl Fn(usize) -> usize,
) -> Option<Candidate> {
    let mut best: Option<(Candidate, u64)> = None;
    for (bucket, queue) in queues.iter().enumerate() {
        let skip = taken(bucket);
        let Some(head) = queue.get(skip) else {
            continue;
        };
        let timeout = head.arrival + max_wait;
        let full_at = queue.get(skip + plan.max_batch(bucket) - 1);
        let ready = full_at.map_or(timeout, |last| last.arrival.min(timeout));
        let better = best
            .as_ref()
            .is_none_or(|(b, seq)| (ready, head.seq) < (b.ready, *seq));
        if better {
            best = Some((Candidate { bucket, ready }, head.seq));
        }
    }
    best.map(|(candidate, _)| candidate)
}
