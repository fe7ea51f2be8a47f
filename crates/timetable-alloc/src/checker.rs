//! An independent checker of packings, in the spirit of regalloc2's: it
//! shares no code with the allocator (only the problem's plain data), so a
//! bug in the allocator's sweep, greedy or search cannot hide itself here.
//! Every allocation in the tests goes through it.
//!
//! It re-derives conflicts by its own sweep over time, keeping the address
//! ranges of the live buffers in an ordered map: a new range that overlaps
//! any of them overlaps the one starting last before its end. `O(n log n)`
//! plus the number of errors reported.

use std::collections::BTreeMap;
use std::fmt;

use crate::problem::{BufferId, Problem};

/// At most this many errors are listed; a packing that wrong needs no more.
pub const MAX_ERRORS: usize = 100;

/// One violated invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// The packing does not have exactly one offset per buffer.
    OffsetCount { buffers: usize, offsets: usize },
    /// `offset + size` exceeds the capacity.
    OutOfCapacity {
        buffer: BufferId,
        offset: u64,
        size: u64,
        capacity: u64,
    },
    /// The offset is not a multiple of the buffer's alignment.
    Misaligned {
        buffer: BufferId,
        offset: u64,
        align: u64,
    },
    /// Two buffers live at the same time share addresses.
    Overlap {
        first: BufferId,
        second: BufferId,
        /// A moment range both are live in, `[lower, upper)`.
        time: (u64, u64),
        /// The addresses both occupy, `[lower, upper)`.
        addresses: (u64, u64),
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::OffsetCount { buffers, offsets } => {
                write!(f, "{offsets} offsets for {buffers} buffers")
            }
            CheckError::OutOfCapacity {
                buffer,
                offset,
                size,
                capacity,
            } => write!(
                f,
                "buffer {buffer} at offset {offset} with size {size} ends past the capacity {capacity}"
            ),
            CheckError::Misaligned {
                buffer,
                offset,
                align,
            } => write!(
                f,
                "buffer {buffer} at offset {offset} is not aligned to {align}"
            ),
            CheckError::Overlap {
                first,
                second,
                time,
                addresses,
            } => write!(
                f,
                "buffers {first} and {second} are both live in [{}, {}) and both use addresses [{}, {})",
                time.0, time.1, addresses.0, addresses.1
            ),
        }
    }
}

impl std::error::Error for CheckError {}

/// Checks `offsets` (one per buffer, in id order) against `problem`: each
/// buffer inside the capacity, aligned, and not sharing an address with any
/// buffer live at the same time. Lists at most [`MAX_ERRORS`] errors.
pub fn check(problem: &Problem, offsets: &[u64]) -> Result<(), Vec<CheckError>> {
    let buffers = problem.buffers();
    if buffers.len() != offsets.len() {
        return Err(vec![CheckError::OffsetCount {
            buffers: buffers.len(),
            offsets: offsets.len(),
        }]);
    }
    let mut errors = Vec::new();
    for (buffer, (b, &offset)) in buffers.iter().zip(offsets).enumerate() {
        let end = offset.checked_add(b.size);
        if end.is_none_or(|end| end > problem.capacity()) {
            errors.push(CheckError::OutOfCapacity {
                buffer,
                offset,
                size: b.size,
                capacity: problem.capacity(),
            });
        }
        if offset % b.align.get() != 0 {
            errors.push(CheckError::Misaligned {
                buffer,
                offset,
                align: b.align.get(),
            });
        }
    }
    overlaps(problem, offsets, &mut errors);
    errors.truncate(MAX_ERRORS);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Sweeps time; the live set holds disjoint address ranges
/// `start -> (end, buffer)`. A buffer that overlaps is reported against
/// every live range it meets and then left out, so the set stays disjoint.
fn overlaps(problem: &Problem, offsets: &[u64], errors: &mut Vec<CheckError>) {
    let buffers = problem.buffers();
    let mut events: Vec<(u64, u8, BufferId)> = Vec::new();
    for (id, b) in buffers.iter().enumerate() {
        let (lower, upper) = (b.lifetime.lower(), b.lifetime.upper());
        if lower < upper && b.size > 0 && offsets[id].checked_add(b.size).is_some() {
            // Ends (0) before starts (1) at the same moment: half-open.
            events.push((lower, 1, id));
            events.push((upper, 0, id));
        }
    }
    events.sort_unstable();
    let mut live: BTreeMap<u64, (u64, BufferId)> = BTreeMap::new();
    let mut inserted = vec![false; buffers.len()];
    for (_, kind, id) in events {
        let start = offsets[id];
        if kind == 0 {
            if inserted[id] {
                live.remove(&start);
            }
            continue;
        }
        let end = start + buffers[id].size;
        let mut clean = true;
        for (_, &(other_end, other)) in live.range(..end).rev() {
            if other_end <= start {
                break;
            }
            clean = false;
            if errors.len() < MAX_ERRORS {
                errors.push(overlap_error(problem, offsets, other, id));
            }
        }
        if clean {
            live.insert(start, (end, id));
            inserted[id] = true;
        }
    }
}

fn overlap_error(problem: &Problem, offsets: &[u64], a: BufferId, b: BufferId) -> CheckError {
    let (first, second) = (a.min(b), a.max(b));
    let (x, y) = (&problem.buffers()[first], &problem.buffers()[second]);
    CheckError::Overlap {
        first,
        second,
        time: (
            x.lifetime.lower().max(y.lifetime.lower()),
            x.lifetime.upper().min(y.lifetime.upper()),
        ),
        addresses: (
            offsets[first].max(offsets[second]),
            (offsets[first] + x.size).min(offsets[second] + y.size),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Align, Buffer};

    fn problem(capacity: u64, buffers: &[(u64, u64, u64)]) -> Problem {
        Problem::with_buffers(
            capacity,
            buffers
                .iter()
                .map(|&(l, u, s)| Buffer::new(l, u, s).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn accepts_a_valid_packing() {
        let p = problem(8, &[(0, 4, 4), (2, 6, 4), (4, 8, 4), (0, 0, 8), (1, 2, 0)]);
        assert_eq!(check(&p, &[0, 4, 0, 0, 8]), Ok(()));
    }

    #[test]
    fn names_both_overlapping_buffers() {
        let p = problem(8, &[(0, 4, 4), (2, 6, 4), (3, 5, 2)]);
        let errors = check(&p, &[0, 2, 6]).unwrap_err();
        assert_eq!(
            errors,
            vec![CheckError::Overlap {
                first: 0,
                second: 1,
                time: (2, 4),
                addresses: (2, 4),
            }]
        );
        assert_eq!(
            errors[0].to_string(),
            "buffers 0 and 1 are both live in [2, 4) and both use addresses [2, 4)"
        );
    }

    #[test]
    fn reports_every_live_range_a_buffer_meets() {
        let p = problem(8, &[(0, 4, 2), (0, 4, 2), (1, 3, 8)]);
        let errors = check(&p, &[0, 4, 0]).unwrap_err();
        let pairs: Vec<_> = errors
            .iter()
            .map(|e| match e {
                CheckError::Overlap { first, second, .. } => (*first, *second),
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(pairs, vec![(1, 2), (0, 2)]);
    }

    #[test]
    fn touching_lifetimes_and_addresses_do_not_conflict() {
        let p = problem(4, &[(0, 2, 4), (2, 4, 4), (0, 4, 0)]);
        assert_eq!(check(&p, &[0, 0, 2]), Ok(()));
        let p = problem(4, &[(0, 2, 2), (0, 2, 2)]);
        assert_eq!(check(&p, &[0, 2]), Ok(()));
    }

    #[test]
    fn checks_capacity_alignment_and_count() {
        let mut p = problem(8, &[(0, 1, 4)]);
        p.push(
            Buffer::new(0, 1, 2)
                .unwrap()
                .with_align(Align::new(4).unwrap()),
        )
        .unwrap();
        let errors = check(&p, &[6, 2]).unwrap_err();
        assert_eq!(
            errors,
            vec![
                CheckError::OutOfCapacity {
                    buffer: 0,
                    offset: 6,
                    size: 4,
                    capacity: 8
                },
                CheckError::Misaligned {
                    buffer: 1,
                    offset: 2,
                    align: 4
                },
            ]
        );
        assert_eq!(
            check(&p, &[0]),
            Err(vec![CheckError::OffsetCount {
                buffers: 2,
                offsets: 1
            }])
        );
        assert!(check(&p, &[u64::MAX, 0]).is_err());
    }
}
