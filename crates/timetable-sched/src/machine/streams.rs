//! Stream occupancy. A value put on a stream at position `p` in cycle `c` moves one
//! position per cycle, so everything that passes one stream slot over time lies on a
//! *diagonal* (`p - c` flowing east, `p + c` flowing west). A value occupies its stream
//! group on its diagonal from the cycle it is produced to the cycle of its last read;
//! two values may share a stream only where those intervals do not overlap (interval
//! colouring per diagonal, with aligned groups of `bytes(T)` streams).

use rustc_hash::FxHashMap;
use timetable_ir::target::Direction;

/// One diagonal of one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Lane {
    pub dir: Direction,
    pub diag: i64,
}

impl Lane {
    /// The diagonal a value produced at `pos` in `cycle` travels on.
    pub(crate) fn of(dir: Direction, pos: u32, cycle: u32) -> Lane {
        let diag = match dir {
            Direction::East => i64::from(pos) - i64::from(cycle),
            Direction::West => i64::from(pos) + i64::from(cycle),
        };
        Lane { dir, diag }
    }
}

/// A stream group held on a diagonal during `[from, to]` (inclusive) by a value copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Occ {
    pub first: u32,
    pub width: u32,
    pub from: u32,
    pub to: u32,
    pub holder: u32,
}

impl Occ {
    fn overlaps(&self, first: u32, width: u32, from: u32, to: u32) -> bool {
        self.first < first + width
            && first < self.first + self.width
            && self.from <= to
            && from <= self.to
    }
}

/// Every diagonal's occupants.
#[derive(Clone, Debug, Default)]
pub(crate) struct Streams {
    per_direction: u32,
    lanes: FxHashMap<Lane, Vec<Occ>>,
}

impl Streams {
    pub(crate) fn new(per_direction: u32) -> Self {
        Streams {
            per_direction,
            lanes: FxHashMap::default(),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.lanes.clear();
    }

    /// Whether streams `first..first + width` of `lane` are free during `[from, to]`,
    /// apart from what `holder` itself holds.
    pub(crate) fn free(
        &self,
        lane: Lane,
        first: u32,
        width: u32,
        from: u32,
        to: u32,
        holder: u32,
    ) -> bool {
        self.lanes.get(&lane).is_none_or(|occs| {
            occs.iter()
                .all(|o| o.holder == holder || !o.overlaps(first, width, from, to))
        })
    }

    /// The lowest aligned group of `width` streams free on `lane` during `[from, to]`.
    pub(crate) fn find(
        &self,
        lane: Lane,
        width: u32,
        from: u32,
        to: u32,
        holder: u32,
    ) -> Option<u32> {
        (0..self.per_direction)
            .step_by(width.max(1) as usize)
            .filter(|&first| first + width <= self.per_direction)
            .find(|&first| self.free(lane, first, width, from, to, holder))
    }

    pub(crate) fn add(&mut self, lane: Lane, occ: Occ) {
        self.lanes.entry(lane).or_default().push(occ);
    }

    /// Removes what `holder` holds on `lane` and returns it.
    pub(crate) fn remove(&mut self, lane: Lane, holder: u32) -> Option<Occ> {
        let occs = self.lanes.get_mut(&lane)?;
        let i = occs.iter().position(|o| o.holder == holder)?;
        let occ = occs.swap_remove(i);
        if occs.is_empty() {
            self.lanes.remove(&lane);
        }
        Some(occ)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_aligned_and_intervals_respected() {
        let mut s = Streams::new(8);
        let lane = Lane::of(Direction::East, 4, 10);
        assert_eq!(lane, Lane::of(Direction::East, 6, 12), "same diagonal");
        assert_eq!(s.find(lane, 4, 10, 12, 0), Some(0));
        s.add(
            lane,
            Occ {
                first: 0,
                width: 4,
                from: 10,
                to: 12,
                holder: 0,
            },
        );
        assert_eq!(s.find(lane, 4, 12, 14, 1), Some(4));
        assert_eq!(s.find(lane, 2, 13, 14, 1), Some(0));
        assert_eq!(
            s.find(lane, 4, 12, 14, 0),
            Some(0),
            "a holder does not block itself"
        );
        s.add(
            lane,
            Occ {
                first: 4,
                width: 4,
                from: 11,
                to: 11,
                holder: 1,
            },
        );
        assert_eq!(s.find(lane, 1, 11, 11, 2), None);
        assert_eq!(s.remove(lane, 0).map(|o| o.to), Some(12));
        assert_eq!(s.find(lane, 4, 11, 11, 2), Some(0));
    }
}
