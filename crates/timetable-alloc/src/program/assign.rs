//! Choosing each buffer's bank: one sweep over time. When a buffer starts,
//! it takes its pinned bank, or the best bank (by the policy) among those
//! with room for it right now. "Room" counts the words live in the bank, so
//! no bank ever has more words live at once than it holds; whether they also
//! pack without fragmentation is the packer's job.

use super::Geometry;
use super::collect::{Bin, Buffers, ItemId, Pin};
use super::traffic::Traffic;
use std::cmp::Reverse;

/// How a free buffer's bank is chosen among those with room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// For bandwidth and hops: within the buffer's window (the slices nearest
    /// the units its data flows to and from), the bank with the least access
    /// traffic live now, apart from the buffers read by the same op; then
    /// fewer hops, fewer live words, lower index. Outside the window only
    /// when no bank in it has room.
    Traffic,
    /// For capacity: the bank with the fewest words live now (the whole
    /// chip, apart groups where there is room).
    Balance,
    /// For capacity under fragmentation: the bank with the most words live
    /// that still has room, keeping the emptiest banks for large buffers.
    Tightest,
}

impl Policy {
    /// The order in which the allocator tries them.
    pub const ALL: [Policy; 3] = [Policy::Traffic, Policy::Balance, Policy::Tightest];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Traffic => "traffic",
            Policy::Balance => "balance",
            Policy::Tightest => "tightest",
        }
    }
}

/// The sweep found a moment where no bank can take a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NoRoom {
    pub item: ItemId,
    /// When the buffer starts.
    pub time: u64,
}

/// The state of the sweep.
struct Banks<'a> {
    geometry: &'a Geometry,
    words: Vec<u64>,
    traffic: Vec<u64>,
    bin_of: Vec<Option<Bin>>,
    /// Scheduled functions: cycles each bin is accessed in.
    busy: Option<Vec<std::collections::HashSet<u64>>>,
}

/// Assigns every buffer a bin.
pub(crate) fn assign(
    buffers: &Buffers,
    traffic: &Traffic,
    geometry: &Geometry,
    policy: Policy,
) -> Result<Vec<Bin>, NoRoom> {
    let items = &buffers.items;
    let bins = geometry.bins() as usize;
    let mut banks = Banks {
        geometry,
        words: vec![0; bins],
        traffic: vec![0; bins],
        bin_of: vec![None; items.len()],
        busy: buffers.cycles.as_ref().map(|c| c.busy.clone()),
    };
    // Ends before starts at one moment (half-open lifetimes); larger first.
    let mut events: Vec<(u64, bool, Reverse<u64>, ItemId)> = Vec::with_capacity(2 * items.len());
    for (id, item) in items.iter().enumerate() {
        events.push((item.live.lower(), true, Reverse(item.words), id));
        if !item.is_trivial() {
            events.push((item.live.upper(), false, Reverse(0), id));
        }
    }
    events.sort_unstable();
    let mut candidates: Vec<Bin> = Vec::new();
    for (time, is_start, _, id) in events {
        let item = &items[id];
        let (words, rate) = if item.is_trivial() {
            (0, 0)
        } else {
            (item.words, traffic.rate[id])
        };
        if !is_start {
            let bin = banks.bin_of[id].expect("a buffer starts before it ends") as usize;
            banks.words[bin] -= words;
            banks.traffic[bin] -= rate;
            continue;
        }
        let bin = match item.pin {
            Pin::Bin { bin, .. } => bin,
            ref pin => {
                let order = &traffic.orders[traffic.order_of[id] as usize];
                let (window, all): (&[u32], &[u32]) = match (pin, policy) {
                    (Pin::Slice(s), _) => (std::slice::from_ref(s), &[]),
                    (_, Policy::Traffic) => order.slices.split_at(order.window),
                    _ => (&order.slices, &[]),
                };
                let cycles = buffers.cycles.as_ref().map_or(&[][..], |c| &c.of_item[id]);
                let partners = partner_bins(traffic, &banks, id);
                let mut choose = |slices: &[u32], apart: bool| {
                    candidates.clear();
                    for &slice in slices {
                        for bank in 0..geometry.banks {
                            let bin = geometry.bin(slice, bank);
                            let b = bin as usize;
                            let fits = banks.words[b] + words <= geometry.words_per_bank;
                            let free = banks
                                .busy
                                .as_ref()
                                .is_none_or(|busy| cycles.iter().all(|c| !busy[b].contains(c)));
                            if fits && free && !(apart && partners.contains(&bin)) {
                                candidates.push(bin);
                            }
                        }
                    }
                    best(&candidates, &banks, policy)
                };
                let found = choose(window, true)
                    .or_else(|| choose(all, true))
                    .or_else(|| choose(window, false))
                    .or_else(|| choose(all, false));
                found.ok_or(NoRoom { item: id, time })?
            }
        };
        let b = bin as usize;
        banks.bin_of[id] = Some(bin);
        banks.words[b] += words;
        banks.traffic[b] += rate;
        if let (Some(busy), Some(c)) = (&mut banks.busy, &buffers.cycles) {
            busy[b].extend(&c.of_item[id]);
        }
    }
    Ok(banks
        .bin_of
        .into_iter()
        .map(|bin| bin.expect("every buffer starts"))
        .collect())
}

/// The bins holding buffers read by the same op as `id`.
fn partner_bins(traffic: &Traffic, banks: &Banks, id: ItemId) -> Vec<Bin> {
    traffic.groups_of[id]
        .iter()
        .flat_map(|&g| &traffic.groups[g as usize])
        .filter(|&&other| other != id)
        .filter_map(|&other| banks.bin_of[other])
        .collect()
}

/// The policy's favourite among `candidates` (listed nearest first).
fn best(candidates: &[Bin], banks: &Banks, policy: Policy) -> Option<Bin> {
    let key = |(rank, &bin): (usize, &Bin)| {
        let b = bin as usize;
        let words = banks.words[b];
        match policy {
            Policy::Traffic => (banks.traffic[b], rank as u64, words),
            Policy::Balance => (words, 0, u64::from(bin)),
            Policy::Tightest => (banks.geometry.words_per_bank - words, 0, u64::from(bin)),
        }
    };
    candidates
        .iter()
        .enumerate()
        .min_by_key(|&c| key(c))
        .map(|(_, &bin)| bin)
}
