//! The most words live at once among some buffers, and when.

use super::collect::{Buffers, ItemId};

/// A moment of highest pressure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Peak {
    /// The first moment the maximum is reached.
    pub time: u64,
    pub words: u64,
}

/// The peak of the buffers `ids`: a sort and a sweep (ends before starts at
/// one moment, since lifetimes are half-open).
pub(crate) fn peak(buffers: &Buffers, ids: impl IntoIterator<Item = ItemId>) -> Peak {
    let mut events: Vec<(u64, bool, u64)> = Vec::new();
    for id in ids {
        let item = &buffers.items[id];
        if !item.is_trivial() {
            events.push((item.live.lower(), true, item.words));
            events.push((item.live.upper(), false, item.words));
        }
    }
    events.sort_unstable();
    let (mut live, mut best) = (0u64, Peak::default());
    for (time, start, words) in events {
        if start {
            live += words;
            if live > best.words {
                best = Peak { time, words: live };
            }
        } else {
            live -= words;
        }
    }
    best
}

/// The buffers live at `time`, largest first (then in definition order).
pub(crate) fn live_at(
    buffers: &Buffers,
    ids: impl IntoIterator<Item = ItemId>,
    time: u64,
) -> Vec<ItemId> {
    let mut live: Vec<ItemId> = ids
        .into_iter()
        .filter(|&id| {
            let item = &buffers.items[id];
            !item.is_trivial() && item.live.lower() <= time && time < item.live.upper()
        })
        .collect();
    live.sort_by_key(|&id| (std::cmp::Reverse(buffers.items[id].words), id));
    live
}
