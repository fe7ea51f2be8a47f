//! Time structure of a problem: sections (maximal sets of buffers live at the
//! same moment) and partitions (runs of sections no buffer crosses between).
//!
//! Live intervals form an interval graph, so its maximal cliques are ordered
//! in time and every buffer belongs to a contiguous run of them: a buffer is a
//! section range. Two buffers conflict iff their section ranges intersect.

use std::ops::Range;

use crate::problem::{BufferId, Problem};

/// A run of sections and the buffers living in it, independent of all others.
#[derive(Clone, Debug)]
pub(crate) struct Part {
    pub sections: Range<u32>,
    /// Buffer ids in increasing order.
    pub buffers: Vec<BufferId>,
}

#[derive(Clone, Debug)]
pub(crate) struct Sweep {
    /// Per buffer, its sections; empty for buffers that conflict with nothing.
    pub span: Vec<Range<u32>>,
    /// Per section, the total size of its buffers.
    pub pressure: Vec<u64>,
    pub parts: Vec<Part>,
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

        let count = sections as usize;
        let mut pressure_diff = vec![0i128; count + 1];
        let mut cut_diff = vec![0i64; count + 1];
        for (range, buffer) in span.iter().zip(buffers) {
            if !range.is_empty() {
                pressure_diff[range.start as usize] += i128::from(buffer.size);
                pressure_diff[range.end as usize] -= i128::from(buffer.size);
                cut_diff[range.start as usize] += 1;
                cut_diff[range.end as usize - 1] -= 1;
            }
        }
        let pressure = prefix_sums(&pressure_diff[..count])
            .map(|p| p as u64)
            .collect();

        // Boundary s (between sections s and s+1) is crossed by cut[s] buffers.
        let mut part_of_section = vec![0u32; count];
        let mut starts = vec![0u32];
        for (s, cut) in prefix_sums(&cut_diff[..count]).enumerate() {
            part_of_section[s] = starts.len() as u32 - 1;
            if cut == 0 && s + 1 < count {
                starts.push(s as u32 + 1);
            }
        }
        let mut parts: Vec<Part> = starts
            .iter()
            .enumerate()
            .map(|(p, &start)| Part {
                sections: start..starts.get(p + 1).copied().unwrap_or(sections),
                buffers: Vec::new(),
            })
            .collect();
        if count == 0 {
            parts.clear();
        }
        for (id, range) in span.iter().enumerate() {
            if !range.is_empty() {
                parts[part_of_section[range.start as usize] as usize]
                    .buffers
                    .push(id);
            }
        }
        Sweep {
            span,
            pressure,
            parts,
        }
    }

    /// The pressure lower bound: the largest total size live at one moment.
    pub fn peak(&self) -> u64 {
        self.pressure.iter().copied().max().unwrap_or(0)
    }
}

fn prefix_sums<T: Copy + std::ops::AddAssign + Default>(diff: &[T]) -> impl Iterator<Item = T> {
    diff.iter().scan(T::default(), |sum, &d| {
        *sum += d;
        Some(*sum)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Buffer;

    fn problem(intervals: &[(u64, u64, u64)]) -> Problem {
        Problem::with_buffers(
            100,
            intervals
                .iter()
                .map(|&(l, u, s)| Buffer::new(l, u, s).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn sections_are_maximal_cliques() {
        // a: [0,10), b: [0,3), c: [3,6), d: [6,10): cliques {a,b}, {a,c}, {a,d}.
        let sweep = Sweep::new(&problem(&[(0, 10, 1), (0, 3, 2), (3, 6, 4), (6, 10, 8)]));
        assert_eq!(sweep.span, vec![0..3, 0..1, 1..2, 2..3]);
        assert_eq!(sweep.pressure, vec![3, 5, 9]);
        assert_eq!(sweep.parts.len(), 1);
        assert_eq!(sweep.peak(), 9);
    }

    #[test]
    fn touching_intervals_are_independent() {
        let sweep = Sweep::new(&problem(&[(0, 3, 1), (3, 6, 2), (4, 5, 4)]));
        assert_eq!(sweep.span, vec![0..1, 1..2, 1..2]);
        let parts: Vec<_> = sweep.parts.iter().map(|p| p.buffers.clone()).collect();
        assert_eq!(parts, vec![vec![0], vec![1, 2]]);
        assert_eq!(sweep.parts[1].sections, 1..2);
    }

    #[test]
    fn trivial_buffers_are_in_no_section() {
        let sweep = Sweep::new(&problem(&[(2, 2, 5), (0, 4, 0), (1, 3, 7)]));
        assert_eq!(sweep.span, vec![0..0, 0..0, 0..1]);
        assert_eq!(sweep.peak(), 7);
        assert_eq!(sweep.parts.len(), 1);
        assert!(Sweep::new(&problem(&[])).parts.is_empty());
    }
}
