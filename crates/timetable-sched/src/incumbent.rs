//! The best schedule found so far, and whether it is proven optimal.

use crate::decode::Decoded;
use crate::problem::ActivityId;

#[derive(Clone, Debug)]
pub(crate) struct Incumbent {
    pub(crate) starts: Vec<u32>,
    /// A list that decodes to `starts`.
    pub(crate) list: Vec<ActivityId>,
    pub(crate) makespan: u32,
    pub(crate) lower_bound: u32,
}

impl Incumbent {
    pub(crate) fn new(decoded: &Decoded, lower_bound: u32) -> Self {
        Incumbent {
            starts: decoded.starts.clone(),
            list: decoded.list.clone(),
            makespan: decoded.makespan,
            lower_bound,
        }
    }

    /// Keeps `decoded` if it is strictly shorter than the incumbent.
    pub(crate) fn offer(&mut self, decoded: &Decoded) {
        if decoded.makespan < self.makespan {
            self.starts.clone_from(&decoded.starts);
            self.list.clone_from(&decoded.list);
            self.makespan = decoded.makespan;
        }
    }

    pub(crate) fn is_optimal(&self) -> bool {
        self.makespan <= self.lower_bound
    }
}
