//! Static orders of buffers: which to place first. Hard-to-place buffers go
//! first; several orders give the greedy and the search independent chances.

use std::cmp::Reverse;

use crate::problem::{BufferId, Problem};

/// A property to sort by, largest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    /// Bytes.
    Size,
    /// Length of the live interval.
    Width,
    /// Size times width.
    Area,
    /// The largest pressure among the moments the buffer is live: buffers
    /// in the tightest cross-sections first.
    Total,
}

/// Sort orders, each a lexicographic list of keys (MiniMalloc's "WAT",
/// "TAW", "TWA" and a size-first one).
pub(crate) const ORDERS: [&[Key]; 4] = [
    &[Key::Total, Key::Area, Key::Width],
    &[Key::Width, Key::Area, Key::Total],
    &[Key::Total, Key::Width, Key::Area],
    &[Key::Size, Key::Width, Key::Total],
];

/// `ids` sorted by `keys` (each descending), ties by id; `total` gives the
/// `Total` key of a buffer.
pub(crate) fn sorted(
    problem: &Problem,
    ids: &[BufferId],
    keys: &[Key],
    total: impl Fn(BufferId) -> u64,
) -> Vec<BufferId> {
    let value = |id: BufferId, key: Key| -> u128 {
        let buffer = &problem.buffers()[id];
        match key {
            Key::Size => u128::from(buffer.size),
            Key::Width => u128::from(buffer.lifetime.len()),
            Key::Area => u128::from(buffer.size) * u128::from(buffer.lifetime.len()),
            Key::Total => u128::from(total(id)),
        }
    };
    let mut keyed: Vec<([u128; 3], BufferId)> = ids
        .iter()
        .map(|&id| {
            let mut k = [0; 3];
            for (slot, &key) in k.iter_mut().zip(keys) {
                *slot = value(id, key);
            }
            (k, id)
        })
        .collect();
    keyed.sort_unstable_by_key(|&(k, id)| (Reverse(k), id));
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Range maximum over a fixed array in O(1) per query (sparse table).
#[derive(Clone, Debug)]
pub(crate) struct RangeMax {
    levels: Vec<Vec<u64>>,
}

impl RangeMax {
    pub fn new(values: &[u64]) -> RangeMax {
        let mut levels = vec![values.to_vec()];
        let mut width = 1;
        while 2 * width <= values.len() {
            let prev = levels.last().expect("level 0 exists");
            let next = (0..=values.len() - 2 * width)
                .map(|i| prev[i].max(prev[i + width]))
                .collect();
            levels.push(next);
            width *= 2;
        }
        RangeMax { levels }
    }

    /// The maximum over `range` (0 if empty).
    pub fn max(&self, range: &std::ops::Range<u32>) -> u64 {
        let (lo, hi) = (range.start as usize, range.end as usize);
        if lo >= hi {
            return 0;
        }
        let level = (hi - lo).ilog2() as usize;
        let row = &self.levels[level];
        row[lo].max(row[hi - (1 << level)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_max_matches_naive() {
        let values = [5, 1, 9, 3, 3, 7, 0, 2, 8, 4, 6];
        let table = RangeMax::new(&values);
        for lo in 0..values.len() {
            for hi in lo..=values.len() {
                let naive = values[lo..hi].iter().copied().max().unwrap_or(0);
                assert_eq!(table.max(&(lo as u32..hi as u32)), naive, "{lo}..{hi}");
            }
        }
    }
}
