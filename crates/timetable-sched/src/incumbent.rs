//! The best schedule found so far, and whether it is proven optimal.

#[derive(Clone, Debug)]
pub(crate) struct Incumbent {
    pub(crate) starts: Vec<u32>,
    pub(crate) makespan: u32,
    pub(crate) lower_bound: u32,
}

impl Incumbent {
    pub(crate) fn new(starts: Vec<u32>, makespan: u32, lower_bound: u32) -> Self {
        Incumbent {
            starts,
            makespan,
            lower_bound,
        }
    }

    /// Keeps `starts` if it is strictly shorter than the incumbent.
    pub(crate) fn offer(&mut self, starts: &[u32], makespan: u32) {
        if makespan < self.makespan {
            self.starts.clear();
            self.starts.extend_from_slice(starts);
            self.makespan = makespan;
        }
    }

    pub(crate) fn is_optimal(&self) -> bool {
        self.makespan <= self.lower_bound
    }
}
