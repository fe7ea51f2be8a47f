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

use crate::bins::{Bin, BinProblem, Placement};
use crate::problem::{Buffer, BufferId, Problem};

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
    /// Two buffers live at the same time share addresses (in one bin).
    Overlap {
        first: BufferId,
        second: BufferId,
        /// A moment range both are live in, `[lower, upper)`.
        time: (u64, u64),
        /// The addresses both occupy, `[lower, upper)`.
        addresses: (u64, u64),
    },
    /// A placement names a bin that does not exist.
    NoSuchBin {
        buffer: BufferId,
        bin: Bin,
        bins: u32,
    },
    /// A pinned buffer is not in its bin.
    NotInPinnedBin {
        buffer: BufferId,
        bin: Bin,
        pinned: Bin,
    },
    /// Two buffers of an apart group share a bin.
    NotApart {
        first: BufferId,
        second: BufferId,
        bin: Bin,
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
            CheckError::NoSuchBin { buffer, bin, bins } => {
                write!(
                    f,
                    "buffer {buffer} is in bin {bin}, but there are {bins} bins"
                )
            }
            CheckError::NotInPinnedBin {
                buffer,
                bin,
                pinned,
            } => write!(
                f,
                "buffer {buffer} is in bin {bin}, not its pinned bin {pinned}"
            ),
            CheckError::NotApart { first, second, bin } => write!(
                f,
                "buffers {first} and {second} must be in different bins but are both in bin {bin}"
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
    one_each(buffers, offsets)?;
    let mut errors = Vec::new();
    let placed: Vec<Placed> = buffers
        .iter()
        .zip(offsets)
        .enumerate()
        .map(|(id, (buffer, &offset))| Placed { id, buffer, offset })
        .collect();
    addresses(&placed, problem.capacity(), &mut errors);
    finish(errors)
}

/// Checks `placements` (one per buffer, in id order) against a multi-bin
/// `problem`: every bin exists, pins are kept, apart groups are in pairwise
/// different bins, and within each bin the conditions of [`check`] hold.
pub fn check_bins(problem: &BinProblem, placements: &[Placement]) -> Result<(), Vec<CheckError>> {
    let buffers = problem.buffers();
    one_each(buffers, placements)?;
    let mut errors = Vec::new();
    let mut by_bin: BTreeMap<Bin, Vec<Placed>> = BTreeMap::new();
    for (id, (buffer, placement)) in buffers.iter().zip(placements).enumerate() {
        if placement.bin >= problem.bins() {
            errors.push(CheckError::NoSuchBin {
                buffer: id,
                bin: placement.bin,
                bins: problem.bins(),
            });
        }
        if let Some(pinned) = problem.pinned(id).filter(|&pinned| pinned != placement.bin) {
            errors.push(CheckError::NotInPinnedBin {
                buffer: id,
                bin: placement.bin,
                pinned,
            });
        }
        by_bin.entry(placement.bin).or_default().push(Placed {
            id,
            buffer,
            offset: placement.offset,
        });
    }
    for group in problem.groups() {
        let mut members: Vec<(Bin, BufferId)> =
            group.iter().map(|&id| (placements[id].bin, id)).collect();
        members.sort_unstable();
        for pair in members.windows(2) {
            if pair[0].0 == pair[1].0 {
                errors.push(CheckError::NotApart {
                    first: pair[0].1,
                    second: pair[1].1,
                    bin: pair[0].0,
                });
            }
        }
    }
    for placed in by_bin.values() {
        addresses(placed, problem.capacity(), &mut errors);
    }
    finish(errors)
}

/// Exactly one placement per buffer.
fn one_each<T>(buffers: &[Buffer], placements: &[T]) -> Result<(), Vec<CheckError>> {
    if buffers.len() == placements.len() {
        Ok(())
    } else {
        Err(vec![CheckError::OffsetCount {
            buffers: buffers.len(),
            offsets: placements.len(),
        }])
    }
}

fn finish(mut errors: Vec<CheckError>) -> Result<(), Vec<CheckError>> {
    errors.truncate(MAX_ERRORS);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A buffer and where it went, within one address space.
struct Placed<'a> {
    id: BufferId,
    buffer: &'a Buffer,
    offset: u64,
}

/// Capacity, alignment and overlaps within one address space.
fn addresses(placed: &[Placed], capacity: u64, errors: &mut Vec<CheckError>) {
    for p in placed {
        let end = p.offset.checked_add(p.buffer.size);
        if end.is_none_or(|end| end > capacity) {
            errors.push(CheckError::OutOfCapacity {
                buffer: p.id,
                offset: p.offset,
                size: p.buffer.size,
                capacity,
            });
        }
        if p.offset % p.buffer.align.get() != 0 {
            errors.push(CheckError::Misaligned {
                buffer: p.id,
                offset: p.offset,
                align: p.buffer.align.get(),
            });
        }
    }
    overlaps(placed, errors);
}

/// Sweeps time; the live set holds disjoint address ranges
/// `start -> (end, index)`. A buffer that overlaps is reported against
/// every live range it meets and then left out, so the set stays disjoint.
fn overlaps(placed: &[Placed], errors: &mut Vec<CheckError>) {
    let mut events: Vec<(u64, u8, usize)> = Vec::new();
    for (k, p) in placed.iter().enumerate() {
        let (lower, upper) = (p.buffer.lifetime.lower(), p.buffer.lifetime.upper());
        if lower < upper && p.buffer.size > 0 && p.offset.checked_add(p.buffer.size).is_some() {
            // Ends (0) before starts (1) at the same moment: half-open.
            events.push((lower, 1, k));
            events.push((upper, 0, k));
        }
    }
    events.sort_unstable();
    let mut live: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
    let mut inserted = vec![false; placed.len()];
    for (_, kind, k) in events {
        let start = placed[k].offset;
        if kind == 0 {
            if inserted[k] {
                live.remove(&start);
            }
            continue;
        }
        let end = start + placed[k].buffer.size;
        let mut clean = true;
        for (_, &(other_end, other)) in live.range(..end).rev() {
            if other_end <= start {
                break;
            }
            clean = false;
            if errors.len() < MAX_ERRORS {
                errors.push(overlap_error(&placed[other], &placed[k]));
            }
        }
        if clean {
            live.insert(start, (end, k));
            inserted[k] = true;
        }
    }
}

fn overlap_error(a: &Placed, b: &Placed) -> CheckError {
    let (x, y) = if a.id < b.id { (a, b) } else { (b, a) };
    CheckError::Overlap {
        first: x.id,
        second: y.id,
        time: (
            x.buffer.lifetime.lower().max(y.buffer.lifetime.lower()),
            x.buffer.lifetime.upper().min(y.buffer.lifetime.upper()),
        ),
        addresses: (
            x.offset.max(y.offset),
            (x.offset + x.buffer.size).min(y.offset + y.buffer.size),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Align, Buffer, triples as problem};

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
