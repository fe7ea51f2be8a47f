//! One node: which buffers may come next, and what placing one implies.

use super::walk::{Frame, Node};
use super::{Searcher, UNPLACED, Undo};

impl Searcher<'_> {
    /// A buffer's place in canonical order while unplaced.
    fn key(&self, i: usize) -> (u64, u32) {
        (self.min_offset[i], self.rank[i])
    }

    /// Lists the node's candidates; `false` if its sub-problem is complete.
    pub(super) fn expand(&mut self, node: &mut Node) -> bool {
        node.expanded = true;
        let range = self.parts[node.part as usize].buffers.clone();
        let mut lowest_top = u64::MAX;
        let mut first_settled = (u64::MAX, u32::MAX);
        let mut any = false;
        for &i in &self.part_buffers[range.start as usize..range.end as usize] {
            let i = i as usize;
            if self.offset[i] == UNPLACED {
                any = true;
                lowest_top = lowest_top.min(self.min_offset[i] + self.shape.size[i]);
                if self.open_neighbours[i] == 0 {
                    first_settled = first_settled.min(self.key(i));
                }
            }
        }
        if !any {
            return false;
        }
        let start = self.candidates.len() as u32;
        node.candidates = start..start;
        node.next = start;
        if node.after.is_some_and(|after| first_settled < after) {
            return true;
        }
        for k in range {
            let i = self.part_buffers[k as usize] as usize;
            let key = self.key(i);
            let twin_placed = self.twin[i].is_none_or(|t| self.offset[t as usize] != UNPLACED);
            if self.offset[i] == UNPLACED
                && node.after.is_none_or(|after| key > after)
                && key.0 < lowest_top
                && key <= first_settled
                && twin_placed
            {
                self.candidates.push(i as u32);
            }
        }
        let (min_offset, rank) = (&self.min_offset, &self.rank);
        self.candidates[start as usize..]
            .sort_unstable_by_key(|&i| (min_offset[i as usize], rank[i as usize]));
        node.candidates.end = self.candidates.len() as u32;
        true
    }

    /// Places `c` at its minimum offset; the child frame if the checks pass.
    /// The caller undoes the placement when it returns `None`.
    pub(super) fn try_place(&mut self, node: &Node, c: u32) -> Option<Frame> {
        let shape = self.shape;
        let ci = c as usize;
        let offset = self.min_offset[ci];
        let height = offset + shape.size[ci];
        if height > self.capacity {
            return None;
        }
        self.offset[ci] = offset;
        self.trail.push(Undo::Place(c));
        self.new_cuts.clear();
        let span = shape.span[ci].clone();
        for s in span.clone() {
            let s = s as usize;
            self.remaining[s] -= shape.size[ci];
            if self.floor[s] == offset {
                self.mark_dirty(s);
            }
        }
        for s in span.start..span.end - 1 {
            self.cut[s as usize] -= 1;
            if self.cut[s as usize] == 0 {
                self.new_cuts.push(s);
            }
        }
        for &j in shape.overlaps.of(ci) {
            let j = j as usize;
            self.open_neighbours[j] -= 1;
            let old = self.min_offset[j];
            let new = shape.align[j].up(height);
            if self.offset[j] == UNPLACED && new > old {
                self.trail.push(Undo::MinOffset(j as u32, old));
                self.min_offset[j] = new;
                for s in shape.span[j].clone() {
                    if self.floor[s as usize] == old {
                        self.mark_dirty(s as usize);
                    }
                }
            }
        }
        self.refresh_floors();
        if !self.sections_fit(node.part, offset) {
            return None;
        }
        if !self.new_cuts.is_empty()
            && let Some(split) = self.split(node.part)
        {
            return Some(split);
        }
        Some(self.node(node.part, Some((offset, self.rank[ci]))))
    }

    /// Takes back `Undo::Place(c)` (the other undo records restore the rest).
    pub(super) fn unplace(&mut self, c: usize) {
        let shape = self.shape;
        self.offset[c] = UNPLACED;
        let span = shape.span[c].clone();
        for s in span.clone() {
            self.remaining[s as usize] += shape.size[c];
        }
        for s in span.start..span.end - 1 {
            self.cut[s as usize] += 1;
        }
        for &j in shape.overlaps.of(c) {
            self.open_neighbours[j as usize] += 1;
        }
    }

    fn mark_dirty(&mut self, s: usize) {
        if !self.is_dirty[s] {
            self.is_dirty[s] = true;
            self.dirty.push(s as u32);
        }
    }

    /// Recomputes the floors that may have changed: a section's floor moves
    /// only when the buffer holding its minimum is placed or pushed up.
    fn refresh_floors(&mut self) {
        while let Some(s) = self.dirty.pop() {
            let s = s as usize;
            self.is_dirty[s] = false;
            let floor = self
                .shape
                .members(s)
                .iter()
                .filter(|&&i| self.offset[i as usize] == UNPLACED)
                .map(|&i| self.min_offset[i as usize])
                .min()
                .unwrap_or(UNPLACED);
            if floor != self.floor[s] {
                self.trail.push(Undo::Floor(s as u32, self.floor[s]));
                self.floor[s] = floor;
            }
        }
    }

    /// Section inference: every section of the sub-problem can still stack
    /// its unplaced buffers above both its floor and the current offset
    /// (offsets only grow along a branch).
    fn sections_fit(&self, part: u32, offset: u64) -> bool {
        let sections = self.parts[part as usize].sections.clone();
        sections.into_iter().all(|s| {
            let remaining = self.remaining[s as usize];
            remaining == 0 || offset.max(self.floor[s as usize]) + remaining <= self.capacity
        })
    }
}
