//! Addresses within each bank: every bank is one packing problem for the
//! single-bin allocator (greedy, then branch and bound where greedy
//! overflows), all banks drawing on one deterministic search budget.

use super::Geometry;
use super::collect::{Bin, Buffers, ItemId, Pin};
use crate::pack::{Limits, Outcome, pack_within};
use crate::problem::{Buffer, Problem};
use crate::search::Budget;

/// One bank's packing.
pub(crate) struct BankFill {
    pub bin: Bin,
    /// Its buffers, in definition order.
    pub members: Vec<ItemId>,
    pub outcome: Outcome,
    /// The packing overflowed and every member kept the address it had in
    /// the scheduled input instead.
    pub kept: bool,
}

impl BankFill {
    pub fn fits(&self) -> bool {
        self.kept || self.outcome.fits()
    }

    /// The highest word used.
    pub fn height(&self, buffers: &Buffers) -> u64 {
        if !self.kept {
            return self.outcome.packing.height();
        }
        self.members
            .iter()
            .map(|&id| match buffers.items[id].pin {
                Pin::Bin { addr, .. } => addr + buffers.items[id].words,
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

/// Packs every bank that holds a buffer.
pub(crate) fn fill(
    buffers: &Buffers,
    bin_of: &[Bin],
    geometry: &Geometry,
    limits: &Limits,
    budget: &mut Budget,
) -> Vec<BankFill> {
    let mut members: Vec<Vec<ItemId>> = vec![Vec::new(); geometry.bins() as usize];
    for (id, &bin) in bin_of.iter().enumerate() {
        members[bin as usize].push(id);
    }
    members
        .into_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(bin, members)| {
            let mut problem = Problem::new(geometry.words_per_bank);
            for &id in &members {
                let item = &buffers.items[id];
                let buffer = Buffer {
                    lifetime: item.live,
                    size: item.words,
                    align: geometry.align,
                };
                problem
                    .push(buffer)
                    .expect("a bank's buffers are far below the size limit");
            }
            let outcome = pack_within(&problem, limits, budget);
            // A scheduled bank that no longer packs on the cycle clock keeps
            // the addresses it had: the input verified with them.
            let kept = !outcome.fits()
                && members
                    .iter()
                    .all(|&id| matches!(buffers.items[id].pin, Pin::Bin { .. }));
            BankFill {
                bin: bin as Bin,
                members,
                outcome,
                kept,
            }
        })
        .collect()
}

/// The address of every buffer.
pub(crate) fn addresses(buffers: &Buffers, fills: &[BankFill]) -> Vec<u64> {
    let mut addr = vec![0; buffers.items.len()];
    for fill in fills {
        for (k, &id) in fill.members.iter().enumerate() {
            addr[id] = match (fill.kept, buffers.items[id].pin) {
                (true, Pin::Bin { addr, .. }) => addr,
                _ => fill.outcome.packing.offset(k),
            };
        }
    }
    addr
}
