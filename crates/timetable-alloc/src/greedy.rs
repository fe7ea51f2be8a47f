//! Fast first attempts: best-fit placement in a fixed order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use crate::overlap::Overlaps;
use crate::problem::{Align, BufferId, Problem};

/// Replays the buffers as a malloc/free trace in time order, each allocation
/// taking the smallest free gap that holds it. `O(n log n)`, and the natural
/// choice for many short-lived buffers. Writes `offsets[k]` for `ids[k]`.
pub(crate) fn by_time(problem: &Problem, ids: &[BufferId], offsets: &mut [u64]) {
    let buffers = problem.buffers();
    // Frees before allocations at the same time; larger allocations first.
    let mut events: Vec<(u64, bool, Reverse<u64>, usize)> = Vec::with_capacity(2 * ids.len());
    for (k, &id) in ids.iter().enumerate() {
        let buffer = &buffers[id];
        if buffer.is_trivial() {
            offsets[k] = 0;
        } else {
            events.push((buffer.lifetime.lower(), true, Reverse(buffer.size), k));
            events.push((buffer.lifetime.upper(), false, Reverse(0), k));
        }
    }
    events.sort_unstable();
    let mut free = FreeList::default();
    for (_, is_alloc, _, k) in events {
        let buffer = &buffers[ids[k]];
        if is_alloc {
            offsets[k] = free.alloc(buffer.size, buffer.align);
        } else {
            free.release(offsets[k], offsets[k] + buffer.size);
        }
    }
}

/// Free address ranges below `top`; everything from `top` up is free.
#[derive(Default)]
struct FreeList {
    by_start: BTreeMap<u64, u64>,
    by_len: BTreeSet<(u64, u64)>,
    top: u64,
}

impl FreeList {
    /// How many gaps to try when alignment makes a large enough gap unusable.
    const ALIGN_PROBES: usize = 16;

    fn alloc(&mut self, size: u64, align: Align) -> u64 {
        let fit = self
            .by_len
            .range((size, 0)..)
            .take(FreeList::ALIGN_PROBES)
            .map(|&(len, start)| (start, start + len, align.up(start)))
            .find(|&(_, end, offset)| offset + size <= end);
        match fit {
            Some((start, end, offset)) => {
                self.remove(start, end);
                self.insert(start, offset);
                self.insert(offset + size, end);
                offset
            }
            None => {
                let offset = align.up(self.top);
                self.insert(self.top, offset);
                self.top = offset + size;
                offset
            }
        }
    }

    fn release(&mut self, mut start: u64, mut end: u64) {
        if let Some((&prev_start, &prev_end)) = self.by_start.range(..start).next_back()
            && prev_end == start
        {
            self.remove(prev_start, prev_end);
            start = prev_start;
        }
        if let Some(&next_end) = self.by_start.get(&end) {
            self.remove(end, next_end);
            end = next_end;
        }
        if end == self.top {
            self.top = start;
        } else {
            self.insert(start, end);
        }
    }

    fn insert(&mut self, start: u64, end: u64) {
        if start < end {
            self.by_start.insert(start, end);
            self.by_len.insert((end - start, start));
        }
    }

    fn remove(&mut self, start: u64, end: u64) {
        self.by_start.remove(&start);
        self.by_len.remove(&(end - start, start));
    }
}

/// Places `ids[order[k]]` for k = 0, 1, ... each in the smallest gap left by
/// its already placed neighbours (or on top of them), writing `offsets[k]`
/// for `ids[k]`. `O(n + pairs log)`.
pub(crate) fn by_order(
    problem: &Problem,
    ids: &[BufferId],
    overlaps: &Overlaps,
    order: &[usize],
    offsets: &mut [u64],
) {
    let buffers = problem.buffers();
    let mut placed = vec![false; ids.len()];
    let mut taken: Vec<(u64, u64)> = Vec::new();
    for &local in order {
        let buffer = &buffers[ids[local]];
        taken.clear();
        for &other in overlaps.of(local) {
            let other = other as usize;
            if placed[other] {
                taken.push((offsets[other], offsets[other] + buffers[ids[other]].size));
            }
        }
        taken.sort_unstable();
        offsets[local] = best_gap(&taken, buffer.size, buffer.align);
        placed[local] = true;
    }
}

/// The lowest offset in the smallest gap between `taken` ranges (sorted by
/// start) that holds `size` bytes at `align`, else the lowest one above all.
fn best_gap(taken: &[(u64, u64)], size: u64, align: Align) -> u64 {
    let mut best: Option<(u64, u64)> = None; // (gap length, offset)
    let mut cursor = 0;
    for &(start, end) in taken {
        if start > cursor {
            let offset = align.up(cursor);
            if offset + size <= start && best.is_none_or(|(len, _)| start - cursor < len) {
                best = Some((start - cursor, offset));
            }
        }
        cursor = cursor.max(end);
    }
    best.map_or(align.up(cursor), |(_, offset)| offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::triples;

    #[test]
    fn best_gap_prefers_the_tightest_fit() {
        let taken = [(0, 2), (5, 6), (8, 20)];
        // Gaps [2,5) and [6,8): size 2 fits both, [6,8) is tighter.
        assert_eq!(best_gap(&taken, 2, Align::ONE), 6);
        assert_eq!(best_gap(&taken, 3, Align::ONE), 2);
        assert_eq!(best_gap(&taken, 4, Align::ONE), 20);
        assert_eq!(best_gap(&taken, 2, Align::new(4).unwrap()), 20);
        assert_eq!(best_gap(&taken, 1, Align::new(4).unwrap()), 4);
    }

    #[test]
    fn time_order_reuses_freed_space() {
        let problem = triples(10, &[(0, 2, 4), (0, 4, 2), (2, 4, 3), (4, 6, 6)]);
        let mut offsets = vec![u64::MAX; 4];
        by_time(&problem, &[0, 1, 2, 3], &mut offsets);
        // The 4 goes first at 0, the 2 above it; the 3 reuses the freed 4.
        assert_eq!(offsets, vec![0, 4, 0, 0]);
    }

    #[test]
    fn free_list_coalesces_and_respects_alignment() {
        let mut free = FreeList::default();
        let a = free.alloc(3, Align::ONE);
        let b = free.alloc(3, Align::new(4).unwrap());
        let c = free.alloc(1, Align::ONE);
        assert_eq!((a, b, c), (0, 4, 3));
        free.release(a, a + 3);
        free.release(c, c + 1);
        // [0,4) is one gap again; an aligned 4 fits there.
        assert_eq!(free.alloc(4, Align::new(4).unwrap()), 0);
        free.release(b, b + 3);
        assert_eq!(free.top, 4);
    }
}
