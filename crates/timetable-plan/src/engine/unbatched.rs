//! Global FCFS without batching: a request starts on the replica that frees up first,
//! at its arrival or at that free time, whichever is later (Kiefer–Wolfowitz). Later
//! arrivals never overtake it, so its start is final when it arrives, and both admission
//! tests are exact.

use std::collections::VecDeque;

use super::servers::Servers;
use super::{Launch, Rejection, Served, ServicePlan, Sink};
use crate::deployment::Deployment;
use crate::workload::Request;

pub(super) fn run<S: Sink>(
    plan: &ServicePlan,
    deployment: &Deployment,
    requests: impl Iterator<Item = Request>,
    sink: &mut S,
) {
    let mut servers = Servers::new(deployment.replicas.get());
    let capacity = deployment.admission.queue_capacity;
    let deadline = deployment.admission.deadline_s;
    // Start times of admitted requests that may still be waiting. Starts are
    // nondecreasing in arrival order, so the ones that have begun leave from the front.
    let mut waiting: VecDeque<f64> = VecDeque::new();
    for (seq, request) in (0u64..).zip(requests) {
        let Some(bucket) = plan.bucket_for(request.size) else {
            sink.rejected(seq, request.arrival, Rejection::Oversize);
            continue;
        };
        let run = plan.run(bucket, 1);
        let start = servers.earliest().max(request.arrival);
        let waits = start > request.arrival;
        if let Some(capacity) = capacity
            && waits
        {
            while waiting.front().is_some_and(|&s| s <= request.arrival) {
                waiting.pop_front();
            }
            if waiting.len() as u64 >= capacity {
                sink.rejected(seq, request.arrival, Rejection::QueueFull);
                continue;
            }
        }
        if let Some(deadline) = deadline
            && start + run.service_s - request.arrival > deadline
        {
            sink.rejected(seq, request.arrival, Rejection::Deadline);
            continue;
        }
        servers.replace_earliest(start + run.service_s);
        if capacity.is_some() && waits {
            waiting.push_back(start);
        }
        sink.launched(Launch {
            bucket,
            start,
            service_s: run.service_s,
            slots: run.slots,
            members: 1,
        });
        sink.served(Served {
            seq,
            arrival: request.arrival,
            size: request.size,
            bucket,
            start,
            service_s: run.service_s,
        });
    }
}
