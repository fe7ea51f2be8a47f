//! Several address spaces ("bins") of equal capacity — on the chip one per
//! slice and bank — with buffers pinned to a bin and groups of buffers that
//! must sit in pairwise different bins (values read in the same cycle, so
//! that their reads do not conflict).
//!
//! Bins are separate address spaces: a buffer lies in one bin, and buffers
//! in different bins never conflict. So the problem splits in two: assigning
//! buffers to bins, where all the coupling lives (pins, apart groups,
//! balance), then one ordinary packing per bin by [`pack`], unchanged —
//! greedy, search and proofs included. The alternative, one address space of
//! `bins × capacity` in which no buffer may cross a bin boundary, would make
//! the packer learn boundaries and apart groups, and its pressure bound
//! (`bins × capacity`) would say nothing about any single bin.
//!
//! [`pack`]: crate::pack

use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::fmt;

use crate::pack::{Limits, Outcome, Status, pack_within};
use crate::problem::{Buffer, BufferId, Problem, ProblemError};
use crate::search::Budget;
use crate::sweep::Sweep;

/// A bin index, `0..bins`.
pub type Bin = u32;

/// Buffers to place in `bins` address spaces of `capacity` each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinProblem {
    /// The buffers, with the capacity of one bin.
    problem: Problem,
    bins: u32,
    pins: Vec<Option<Bin>>,
    groups: Vec<Vec<BufferId>>,
    /// The groups each buffer belongs to.
    groups_of: Vec<Vec<usize>>,
}

/// Why a constraint was refused, or why no assignment was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BinError {
    /// A problem needs at least one bin.
    NoBins,
    Problem(ProblemError),
    /// The id names no buffer pushed so far.
    UnknownBuffer {
        buffer: BufferId,
    },
    BinOutOfRange {
        buffer: BufferId,
        bin: Bin,
        bins: u32,
    },
    /// The buffer is pinned to another bin already.
    PinnedElsewhere {
        buffer: BufferId,
        bin: Bin,
    },
    /// An apart group with more members than there are bins.
    GroupTooLarge {
        members: usize,
        bins: u32,
    },
    /// A buffer appears twice in one apart group.
    RepeatedInGroup {
        buffer: BufferId,
    },
    /// Two buffers that must be apart are pinned to the same bin.
    PinnedTogether {
        first: BufferId,
        second: BufferId,
        bin: Bin,
    },
    /// The assignment found every bin taken by the buffer's apart partners
    /// (possible only when a buffer's groups together cover all the bins).
    NoBinFor {
        buffer: BufferId,
    },
}

impl fmt::Display for BinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BinError::NoBins => write!(f, "a problem needs at least one bin"),
            BinError::Problem(e) => e.fmt(f),
            BinError::UnknownBuffer { buffer } => write!(f, "no buffer {buffer}"),
            BinError::BinOutOfRange { buffer, bin, bins } => {
                write!(f, "buffer {buffer}: bin {bin} is not below {bins}")
            }
            BinError::PinnedElsewhere { buffer, bin } => {
                write!(f, "buffer {buffer} is pinned to bin {bin} already")
            }
            BinError::GroupTooLarge { members, bins } => write!(
                f,
                "{members} buffers cannot be in pairwise different bins: there are {bins}"
            ),
            BinError::RepeatedInGroup { buffer } => {
                write!(f, "buffer {buffer} appears twice in one apart group")
            }
            BinError::PinnedTogether { first, second, bin } => write!(
                f,
                "buffers {first} and {second} must be in different bins but are both pinned to bin {bin}"
            ),
            BinError::NoBinFor { buffer } => write!(
                f,
                "no bin is left for buffer {buffer}: its apart partners occupy every bin"
            ),
        }
    }
}

impl std::error::Error for BinError {}

impl From<ProblemError> for BinError {
    fn from(e: ProblemError) -> BinError {
        BinError::Problem(e)
    }
}

impl BinProblem {
    pub fn new(bins: u32, capacity: u64) -> Result<BinProblem, BinError> {
        if bins == 0 {
            return Err(BinError::NoBins);
        }
        Ok(BinProblem {
            problem: Problem::new(capacity),
            bins,
            pins: Vec::new(),
            groups: Vec::new(),
            groups_of: Vec::new(),
        })
    }

    /// Adds a buffer free to go in any bin; ids count from 0.
    pub fn push(&mut self, buffer: Buffer) -> Result<BufferId, BinError> {
        let id = self.problem.push(buffer)?;
        self.pins.push(None);
        self.groups_of.push(Vec::new());
        Ok(id)
    }

    /// Requires buffer `id` to be in `bin`.
    pub fn pin(&mut self, id: BufferId, bin: Bin) -> Result<(), BinError> {
        self.known(id)?;
        if bin >= self.bins {
            return Err(BinError::BinOutOfRange {
                buffer: id,
                bin,
                bins: self.bins,
            });
        }
        if let Some(pinned) = self.pins[id].filter(|&pinned| pinned != bin) {
            return Err(BinError::PinnedElsewhere {
                buffer: id,
                bin: pinned,
            });
        }
        for &group in &self.groups_of[id] {
            for &other in &self.groups[group] {
                if other != id && self.pins[other] == Some(bin) {
                    return Err(BinError::PinnedTogether {
                        first: other.min(id),
                        second: other.max(id),
                        bin,
                    });
                }
            }
        }
        self.pins[id] = Some(bin);
        Ok(())
    }

    /// Requires the buffers `ids` to be in pairwise different bins.
    pub fn apart(&mut self, ids: &[BufferId]) -> Result<(), BinError> {
        if ids.len() > self.bins as usize {
            return Err(BinError::GroupTooLarge {
                members: ids.len(),
                bins: self.bins,
            });
        }
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            if pair[0] == pair[1] {
                return Err(BinError::RepeatedInGroup { buffer: pair[0] });
            }
        }
        let mut pinned: Vec<(Bin, BufferId)> = Vec::new();
        for &id in &sorted {
            self.known(id)?;
            if let Some(bin) = self.pins[id] {
                pinned.push((bin, id));
            }
        }
        pinned.sort_unstable();
        for pair in pinned.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(BinError::PinnedTogether {
                    first: pair[0].1,
                    second: pair[1].1,
                    bin: pair[0].0,
                });
            }
        }
        let group = self.groups.len();
        for &id in &sorted {
            self.groups_of[id].push(group);
        }
        self.groups.push(sorted);
        Ok(())
    }

    fn known(&self, id: BufferId) -> Result<(), BinError> {
        if id < self.problem.len() {
            Ok(())
        } else {
            Err(BinError::UnknownBuffer { buffer: id })
        }
    }

    pub fn bins(&self) -> u32 {
        self.bins
    }

    /// The capacity of each bin.
    pub fn capacity(&self) -> u64 {
        self.problem.capacity()
    }

    pub fn buffers(&self) -> &[Buffer] {
        self.problem.buffers()
    }

    pub fn pinned(&self, id: BufferId) -> Option<Bin> {
        self.pins[id]
    }

    /// The apart groups, each sorted by id.
    pub fn groups(&self) -> &[Vec<BufferId>] {
        &self.groups
    }
}

/// Where one buffer went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    pub bin: Bin,
    pub offset: u64,
}

/// One bin's share of the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinReport {
    /// The buffers assigned to the bin, in id order.
    pub members: Vec<BufferId>,
    /// The bin's packing: `outcome.packing.offset(k)` is `members[k]`'s.
    /// Its status is relative to this assignment.
    pub outcome: Outcome,
}

/// The result of [`pack_bins`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinOutcome {
    /// `placements[id]` for every buffer; within the capacity iff `status`
    /// is `Fits`.
    pub placements: Vec<Placement>,
    pub bins: Vec<BinReport>,
    /// `Fits` if every bin fits; `Infeasible` only when no assignment
    /// could fit (a buffer larger than a bin, or more bytes live at one
    /// moment than all bins hold); `Unknown` otherwise.
    pub status: Status,
}

/// Assigns every buffer a bin (see [`assign`]), then packs each bin with
/// the single-bin allocator, all bins drawing on one budget of `limits`
/// (in bin order).
pub fn pack_bins(problem: &BinProblem, limits: &Limits) -> Result<BinOutcome, BinError> {
    let bin_of = assign(problem)?;
    let mut members: Vec<Vec<BufferId>> = vec![Vec::new(); problem.bins as usize];
    for (id, &bin) in bin_of.iter().enumerate() {
        members[bin as usize].push(id);
    }
    let mut budget = Budget::new(limits);
    let mut placements = vec![Placement { bin: 0, offset: 0 }; problem.problem.len()];
    let mut bins = Vec::with_capacity(members.len());
    for (bin, members) in members.into_iter().enumerate() {
        let outcome = pack_within(&problem.problem.subset(&members), limits, &mut budget);
        for (k, &id) in members.iter().enumerate() {
            placements[id] = Placement {
                bin: bin as Bin,
                offset: outcome.packing.offset(k),
            };
        }
        bins.push(BinReport { members, outcome });
    }
    let status = if bins.iter().all(|b| b.outcome.fits()) {
        Status::Fits
    } else if total_bound(problem) > u128::from(problem.bins) * u128::from(problem.capacity()) {
        Status::Infeasible
    } else {
        Status::Unknown
    };
    Ok(BinOutcome {
        placements,
        bins,
        status,
    })
}

/// The most bytes any assignment must hold: all bins together must take
/// the peak pressure, and one bin the largest buffer (scaled by the number
/// of bins, to compare with the total capacity).
fn total_bound(problem: &BinProblem) -> u128 {
    let largest = problem.buffers().iter().map(|b| b.size).max().unwrap_or(0);
    let peak = Sweep::new(&problem.problem).peak(&problem.problem);
    u128::from(peak).max(u128::from(largest) * u128::from(problem.bins))
}

/// Gives each buffer a bin by sweeping time: at its start, a buffer takes
/// its pinned bin, or else the least loaded bin (bytes live there now, ties
/// to the lower bin) that none of its apart partners holds or is pinned to.
/// Balancing the live bytes balances the pressure each bin's packing faces.
/// `O(n log bins)` plus the sizes of the apart groups.
pub fn assign(problem: &BinProblem) -> Result<Vec<Bin>, BinError> {
    let buffers = problem.buffers();
    // Ends before starts at the same moment; larger buffers first.
    let mut events: Vec<(u64, bool, Reverse<u64>, BufferId)> = Vec::new();
    for (id, buffer) in buffers.iter().enumerate() {
        events.push((buffer.lifetime.lower(), true, Reverse(buffer.size), id));
        if !buffer.is_trivial() {
            events.push((buffer.lifetime.upper(), false, Reverse(0), id));
        }
    }
    events.sort_unstable();
    let mut load = vec![0u64; problem.bins as usize];
    let mut by_load: BTreeSet<(u64, Bin)> = (0..problem.bins).map(|bin| (0, bin)).collect();
    let mut bin_of: Vec<Option<Bin>> = vec![None; buffers.len()];
    let mut taken: Vec<Bin> = Vec::new();
    for (_, is_start, _, id) in events {
        let weight = if buffers[id].is_trivial() {
            0
        } else {
            buffers[id].size
        };
        let bin = if is_start {
            let bin = match problem.pins[id] {
                Some(bin) => bin,
                None => {
                    taken.clear();
                    for &group in &problem.groups_of[id] {
                        for &other in &problem.groups[group] {
                            taken.extend(problem.pins[other].or(bin_of[other]));
                        }
                    }
                    by_load
                        .iter()
                        .map(|&(_, bin)| bin)
                        .find(|bin| !taken.contains(bin))
                        .ok_or(BinError::NoBinFor { buffer: id })?
                }
            };
            bin_of[id] = Some(bin);
            bin
        } else {
            bin_of[id].expect("a buffer starts before it ends")
        };
        let b = bin as usize;
        by_load.remove(&(load[b], bin));
        load[b] = if is_start {
            load[b] + weight
        } else {
            load[b] - weight
        };
        by_load.insert((load[b], bin));
    }
    Ok(bin_of
        .into_iter()
        .map(|bin| bin.expect("every buffer starts"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker;

    fn buffer(lower: u64, upper: u64, size: u64) -> Buffer {
        Buffer::new(lower, upper, size).unwrap()
    }

    #[test]
    fn constraints_are_checked_when_added() {
        assert_eq!(BinProblem::new(0, 8), Err(BinError::NoBins));
        let mut p = BinProblem::new(2, 8).unwrap();
        let (a, b, c) = (
            p.push(buffer(0, 4, 4)).unwrap(),
            p.push(buffer(0, 4, 4)).unwrap(),
            p.push(buffer(0, 4, 4)).unwrap(),
        );
        assert_eq!(
            p.pin(a, 2),
            Err(BinError::BinOutOfRange {
                buffer: a,
                bin: 2,
                bins: 2
            })
        );
        assert_eq!(p.pin(9, 0), Err(BinError::UnknownBuffer { buffer: 9 }));
        assert_eq!(
            p.apart(&[a, b, c]),
            Err(BinError::GroupTooLarge {
                members: 3,
                bins: 2
            })
        );
        assert_eq!(
            p.apart(&[a, a]),
            Err(BinError::RepeatedInGroup { buffer: a })
        );
        p.pin(a, 1).unwrap();
        assert_eq!(
            p.pin(a, 0),
            Err(BinError::PinnedElsewhere { buffer: a, bin: 1 })
        );
        p.apart(&[b, a]).unwrap();
        assert_eq!(
            p.pin(b, 1),
            Err(BinError::PinnedTogether {
                first: a,
                second: b,
                bin: 1
            })
        );
        p.pin(c, 1).unwrap();
        assert_eq!(
            p.apart(&[a, c]),
            Err(BinError::PinnedTogether {
                first: a,
                second: c,
                bin: 1
            })
        );
    }

    #[test]
    fn assignment_balances_and_keeps_groups_apart() {
        let mut p = BinProblem::new(3, 10).unwrap();
        let ids: Vec<BufferId> = (0..6)
            .map(|k| p.push(buffer(0, 10, 1 + k)).unwrap())
            .collect();
        p.pin(ids[0], 2).unwrap();
        p.apart(&[ids[0], ids[5], ids[4]]).unwrap();
        let bins = assign(&p).unwrap();
        // Starts in size order: 6 (id 5) to bin 0, 5 (id 4) to bin 1, then
        // the least loaded each time, with id 0 pinned to bin 2.
        assert_ne!(bins[5], bins[4]);
        assert_eq!(bins[0], 2);
        assert!(bins[5] != 2 && bins[4] != 2);
        let mut loads = [0u64; 3];
        for (id, &bin) in bins.iter().enumerate() {
            loads[bin as usize] += p.buffers()[id].size;
        }
        assert_eq!(loads.iter().sum::<u64>(), 21);
        assert!(loads.iter().all(|&l| l <= 9), "{loads:?}");
    }

    #[test]
    fn packs_every_bin_and_checks() {
        let mut p = BinProblem::new(2, 8).unwrap();
        for k in 0..8 {
            p.push(buffer(k, k + 4, 4)).unwrap();
        }
        p.apart(&[0, 1]).unwrap();
        let outcome = pack_bins(&p, &Limits::default()).unwrap();
        assert_eq!(outcome.status, Status::Fits);
        assert_eq!(checker::check_bins(&p, &outcome.placements), Ok(()));
        assert_ne!(outcome.placements[0].bin, outcome.placements[1].bin);
    }

    #[test]
    fn too_much_for_all_bins_is_proven() {
        let mut p = BinProblem::new(2, 4).unwrap();
        for _ in 0..3 {
            p.push(buffer(0, 1, 3)).unwrap();
        }
        let outcome = pack_bins(&p, &Limits::default()).unwrap();
        assert_eq!(outcome.status, Status::Infeasible);
        assert_eq!(
            checker::check_bins(&p, &outcome.placements).map_err(|e| e.len()),
            Err(1)
        );
    }
}
