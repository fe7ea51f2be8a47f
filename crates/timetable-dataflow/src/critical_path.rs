//! The critical path: the longest latency-weighted chain of the dependence DAG, a lower
//! bound on the makespan of any schedule.
//!
//! `asap[n]` is the earliest issue cycle of node `n` (the longest path into it); the
//! length is `max(asap[n] + latency[n])`, the cycle by which the last op has completed.
//! `alap[n]` is the latest issue cycle that keeps that length; `slack = alap - asap`, and
//! the ops with zero slack are critical. One pass each way in body order (a topological
//! order), so linear in nodes + edges.

use crate::deps::DepGraph;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalPath {
    asap: Vec<u64>,
    alap: Vec<u64>,
    length: u64,
    path: Vec<usize>,
}

impl CriticalPath {
    pub fn compute(g: &DepGraph) -> CriticalPath {
        let n = g.len();
        let mut asap = vec![0u64; n];
        for v in 0..n {
            asap[v] = g
                .preds(v)
                .iter()
                .map(|d| asap[d.from as usize] + u64::from(d.latency))
                .max()
                .unwrap_or(0);
        }
        let finish = |v: usize| asap[v] + u64::from(g.latency(v));
        let length = (0..n).map(finish).max().unwrap_or(0);
        let mut alap = vec![0u64; n];
        for v in (0..n).rev() {
            let own = length - u64::from(g.latency(v));
            alap[v] = g
                .succs(v)
                .map(|(s, d)| alap[s] - u64::from(d.latency))
                .fold(own, u64::min);
        }
        // Walk back from the first node that finishes last along edges that are tight.
        let mut path = Vec::new();
        let mut at = (0..n).find(|&v| finish(v) == length);
        while let Some(v) = at {
            path.push(v);
            at = g
                .preds(v)
                .iter()
                .find(|d| asap[d.from as usize] + u64::from(d.latency) == asap[v])
                .map(|d| d.from as usize);
        }
        path.reverse();
        CriticalPath {
            asap,
            alap,
            length,
            path,
        }
    }

    /// Cycles from the first issue until every op has completed, with unlimited units.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// The earliest issue cycle of a node.
    pub fn asap(&self, node: usize) -> u64 {
        self.asap[node]
    }

    /// The latest issue cycle of a node that keeps the critical path length.
    pub fn alap(&self, node: usize) -> u64 {
        self.alap[node]
    }

    pub fn slack(&self, node: usize) -> u64 {
        self.alap[node] - self.asap[node]
    }

    /// One longest chain, first node first.
    pub fn path(&self) -> &[usize] {
        &self.path
    }
}
