//! Time structure of a problem: sections (maximal sets of buffers live at the
//! same moment) and parts (runs of sections no buffer crosses between).
//!
//! Live intervals form an interval graph, so its maximal cliques are ordered
//! in time and every buffer belongs to a contiguous run of them: a buffer is a
//! section range. Two buffers conflict iff their section ranges intersect,
//! and that stays true for any subset of the buffers, so subsets keep using
//! the same section numbers.

use std::ops::Range;

use crate::problem::{BufferId, Problem};

#[derive(Clone, Debug)]
pub(crate) struct Sweep {
    /// Per buffer, its sections; empty for buffers that conflict with nothing.
    pub span: Vec<Range<u32>>,
}

/// Buffers whose section ranges chain together, independent of all others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// The union of the buffers' sections.
    pub sections: Range<u32>,
    /// Buffer ids in increasing order.
    pub buffers: Vec<BufferId>,
}

impl Sweep {
    pub fn new(problem: &Problem) -> Sweep {
        let buffers = problem.buffers();
        // Ends sort before starts at the same time: intervals are half-open.
        let mut events: Vec<(u64, bool, u32)> = Vec::with_capacity(2 * buffers.len());
        for (id, buffer) in buffers.iter().enumerate() {
            if !buffer.is_trivial() {
                events.push((buffer.lifetime.lower(), true, id as u32));
                events.push((buffer.lifetime.upper(), false, id as u32));
            }
        }
        events.sort_unstable();

        // A maximal clique is what is live just before the first end that
        // follows a start.
        let mut span = vec![0..0; buffers.len()];
        let mut sections = 0u32;
        let mut opened = false;
        for &(_, is_start, id) in &events {
            let id = id as usize;
            if is_start {
                span[id].start = sections;
                opened = true;
            } else {
                if opened {
                    sections += 1;
                    opened = false;
                }
                span[id].end = sections;
            }
        }
        Sweep { span }
    }

    /// Splits `buffers` (none trivial) into parts in time order.
    /// `O(k log k)` for `k` buffers, whatever the number of sections.
    pub fn parts(&self, buffers: &[BufferId]) -> Vec<Part> {
        let mut by_start = buffers.to_vec();
        by_start.sort_unstable_by_key(|&id| (self.span[id].start, id));
        let mut parts: Vec<Part> = Vec::new();
        for id in by_start {
            let span = &self.span[id];
            match parts.last_mut() {
                Some(part) if span.start < part.sections.end => {
                    part.sections.end = part.sections.end.max(span.end);
                    part.buffers.push(id);
                }
                _ => parts.push(Part {
                    sections: span.clone(),
                    buffers: vec![id],
                }),
            }
        }
        for part in &mut parts {
            part.buffers.sort_unstable();
        }
        parts
    }

    /// The buffers that conflict with something, in id order.
    pub fn nontrivial(problem: &Problem) -> Vec<BufferId> {
        (0..problem.len())
            .filter(|&id| !problem.buffers()[id].is_trivial())
            .collect()
    }

    /// The largest total size live at one moment.
    pub fn peak(&self, problem: &Problem) -> u64 {
        self.parts(&Sweep::nontrivial(problem))
            .iter()
            .flat_map(|part| self.pressure(problem, part))
            .max()
            .unwrap_or(0)
    }

    /// The total size live in each of `part`'s sections.
    pub fn pressure(&self, problem: &Problem, part: &Part) -> Vec<u64> {
        let base = part.sections.start as usize;
        let mut diff = vec![0i64; part.sections.len() + 1];
        for &id in &part.buffers {
            let span = &self.span[id];
            // Sizes sum to at most `Problem::MAX_TOTAL < i64::MAX`.
            let size = problem.buffers()[id].size as i64;
            diff[span.start as usize - base] += size;
            diff[span.end as usize - base] -= size;
        }
        diff.pop();
        diff.iter()
            .scan(0i64, |sum, d| {
                *sum += d;
                Some(*sum as u64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::triples;

    fn problem(intervals: &[(u64, u64, u64)]) -> Problem {
        triples(100, intervals)
    }

    #[test]
    fn sections_are_maximal_cliques() {
        // a: [0,10), b: [0,3), c: [3,6), d: [6,10): cliques {a,b}, {a,c}, {a,d}.
        let p = problem(&[(0, 10, 1), (0, 3, 2), (3, 6, 4), (6, 10, 8)]);
        let sweep = Sweep::new(&p);
        assert_eq!(sweep.span, vec![0..3, 0..1, 1..2, 2..3]);
        let parts = sweep.parts(&Sweep::nontrivial(&p));
        assert_eq!(parts.len(), 1);
        assert_eq!(sweep.pressure(&p, &parts[0]), vec![3, 5, 9]);
    }

    #[test]
    fn touching_intervals_are_independent() {
        let p = problem(&[(0, 3, 1), (3, 6, 2), (4, 5, 4)]);
        let sweep = Sweep::new(&p);
        assert_eq!(sweep.span, vec![0..1, 1..2, 1..2]);
        let parts = sweep.parts(&Sweep::nontrivial(&p));
        let expected = vec![
            Part {
                sections: 0..1,
                buffers: vec![0],
            },
            Part {
                sections: 1..2,
                buffers: vec![1, 2],
            },
        ];
        assert_eq!(parts, expected);
        assert_eq!(sweep.pressure(&p, &parts[1]), vec![6]);
    }

    #[test]
    fn subsets_split_where_their_own_buffers_stop_crossing() {
        // Without the long buffer 0 the other two no longer chain together.
        let p = problem(&[(0, 10, 1), (0, 4, 1), (5, 10, 1)]);
        let sweep = Sweep::new(&p);
        assert_eq!(sweep.parts(&[0, 1, 2]).len(), 1);
        assert_eq!(sweep.parts(&[1, 2]).len(), 2);
    }

    #[test]
    fn trivial_buffers_are_in_no_section() {
        let p = problem(&[(2, 2, 5), (0, 4, 0), (1, 3, 7)]);
        let sweep = Sweep::new(&p);
        assert_eq!(sweep.span, vec![0..0, 0..0, 0..1]);
        assert_eq!(Sweep::nontrivial(&p), vec![2]);
        assert_eq!(sweep.peak(&p), 7);
        assert!(sweep.parts(&[]).is_empty());
    }
}
