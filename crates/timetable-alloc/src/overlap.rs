//! Who conflicts with whom: the interval graph of a set of buffers as
//! adjacency lists, built by one sweep over time.

use crate::problem::{BufferId, Problem};

/// Adjacency lists over local indices `0..ids.len()` of a buffer subset.
#[derive(Clone, Debug)]
pub(crate) struct Overlaps {
    start: Vec<u32>,
    neighbours: Vec<u32>,
}

impl Overlaps {
    /// The conflict graph of `ids` (local index `i` is buffer `ids[i]`), or
    /// `None` if it has more than `max_pairs` conflicting pairs: the graph of
    /// `n` buffers alive at once is quadratic, and callers fall back to
    /// algorithms that do not need it.
    pub fn new(problem: &Problem, ids: &[BufferId], max_pairs: u64) -> Option<Overlaps> {
        let buffers = problem.buffers();
        let mut events: Vec<(u64, bool, u32)> = Vec::with_capacity(2 * ids.len());
        for (local, &id) in ids.iter().enumerate() {
            let buffer = &buffers[id];
            if !buffer.is_trivial() {
                events.push((buffer.lifetime.lower(), true, local as u32));
                events.push((buffer.lifetime.upper(), false, local as u32));
            }
        }
        events.sort_unstable();

        // First pass counts pairs (a live set of k buffers meets each start),
        // the second fills the lists.
        let mut degree = vec![0u32; ids.len()];
        let mut live = 0u64;
        let mut pairs = 0u64;
        for &(_, is_start, _) in &events {
            if is_start {
                pairs += live;
                live += 1;
            } else {
                live -= 1;
            }
        }
        if pairs > max_pairs {
            return None;
        }
        let mut active: Vec<u32> = Vec::new();
        let mut slot = vec![u32::MAX; ids.len()];
        let mut edges: Vec<(u32, u32)> = Vec::with_capacity(pairs as usize);
        for &(_, is_start, local) in &events {
            if is_start {
                for &other in &active {
                    edges.push((local, other));
                    degree[local as usize] += 1;
                    degree[other as usize] += 1;
                }
                slot[local as usize] = active.len() as u32;
                active.push(local);
            } else {
                let at = slot[local as usize] as usize;
                active.swap_remove(at);
                if let Some(&moved) = active.get(at) {
                    slot[moved as usize] = at as u32;
                }
            }
        }
        let mut start = Vec::with_capacity(ids.len() + 1);
        let mut total = 0u32;
        start.push(0);
        for &d in &degree {
            total += d;
            start.push(total);
        }
        let mut fill: Vec<u32> = start[..ids.len()].to_vec();
        let mut neighbours = vec![0u32; total as usize];
        for (a, b) in edges {
            neighbours[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
            neighbours[fill[b as usize] as usize] = a;
            fill[b as usize] += 1;
        }
        Some(Overlaps { start, neighbours })
    }

    pub fn of(&self, local: usize) -> &[u32] {
        &self.neighbours[self.start[local] as usize..self.start[local + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::triples;

    #[test]
    fn lists_conflicting_pairs_both_ways() {
        let problem = triples(10, &[(0, 4, 1), (4, 8, 1), (2, 6, 1), (9, 9, 1)]);
        let overlaps = Overlaps::new(&problem, &[0, 1, 2, 3], 100).unwrap();
        let sorted = |local| {
            let mut n = overlaps.of(local).to_vec();
            n.sort();
            n
        };
        assert_eq!(sorted(0), vec![2]);
        assert_eq!(sorted(1), vec![2]);
        assert_eq!(sorted(2), vec![0, 1]);
        assert!(sorted(3).is_empty());
        assert!(Overlaps::new(&problem, &[0, 1, 2, 3], 1).is_none());
    }
}
