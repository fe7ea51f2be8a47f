//! Incremental placement over time: which words of a memory bank are free during an
//! interval of cycles, given the buffers already placed there and their live intervals.
//!
//! A pass that adds buffers after allocation (the scheduler's spill slots) registers the
//! existing placements with their cycle live ranges (`timetable_dataflow::live_ranges`),
//! then asks for the lowest aligned address where a new buffer fits during its own live
//! interval. Two buffers may share words when their intervals do not overlap.
//!
//! Items are indexed by blocks of time, so a query looks only at the items that live in
//! the blocks it overlaps: placing `n` short-lived buffers costs about `n` times the
//! number of buffers live at once, not `n^2`.

use std::ops::Range;

/// Cycles per index block.
const BLOCK: u64 = 256;

/// A placed buffer: words of one bank, live during a half-open interval of cycles.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    words: Range<u32>,
    live: Range<u64>,
}

/// The items of one bank and, per block of time, the items that live in it.
#[derive(Clone, Debug, Default)]
struct Bank {
    items: Vec<Item>,
    blocks: Vec<Vec<u32>>,
}

impl Bank {
    fn block_range(live: &Range<u64>) -> Range<usize> {
        (live.start / BLOCK) as usize..live.end.div_ceil(BLOCK) as usize
    }

    fn add(&mut self, item: Item) {
        let id = self.items.len() as u32;
        let blocks = Self::block_range(&item.live);
        if self.blocks.len() < blocks.end {
            self.blocks.resize_with(blocks.end, Vec::new);
        }
        for b in blocks {
            self.blocks[b].push(id);
        }
        self.items.push(item);
    }

    /// Word ranges of the items whose live interval overlaps `live`, sorted.
    fn busy(&self, live: &Range<u64>) -> Vec<Range<u32>> {
        let blocks = Self::block_range(live);
        let mut ids: Vec<u32> = self
            .blocks
            .get(blocks.start.min(self.blocks.len())..blocks.end.min(self.blocks.len()))
            .unwrap_or(&[])
            .iter()
            .flatten()
            .copied()
            .filter(|&i| {
                let it = &self.items[i as usize];
                it.live.start < live.end && live.start < it.live.end
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut words: Vec<Range<u32>> = ids
            .into_iter()
            .map(|i| self.items[i as usize].words.clone())
            .collect();
        words.sort_unstable_by_key(|w| (w.start, w.end));
        words
    }
}

/// Occupancy of every bank of a memory over time.
#[derive(Clone, Debug)]
pub struct Occupancy {
    words_per_bank: u32,
    banks: Vec<Bank>,
}

/// Why an item cannot be registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OccupancyError {
    NoSuchBank {
        bank: usize,
        banks: usize,
    },
    OutsideBank {
        words: Range<u32>,
        words_per_bank: u32,
    },
    EmptyInterval {
        live: Range<u64>,
    },
}

impl std::fmt::Display for OccupancyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OccupancyError::NoSuchBank { bank, banks } => {
                write!(f, "bank {bank} does not exist (there are {banks})")
            }
            OccupancyError::OutsideBank {
                words,
                words_per_bank,
            } => write!(
                f,
                "words {}..{} are outside a bank of {words_per_bank} words",
                words.start, words.end
            ),
            OccupancyError::EmptyInterval { live } => {
                write!(f, "the live interval {}..{} is empty", live.start, live.end)
            }
        }
    }
}

impl std::error::Error for OccupancyError {}

impl Occupancy {
    /// An empty memory of `banks` banks (numbered by the caller, e.g. `slice * banks_per
    /// slice + bank`) of `words_per_bank` words each.
    pub fn new(banks: usize, words_per_bank: u32) -> Self {
        Occupancy {
            words_per_bank,
            banks: vec![Bank::default(); banks],
        }
    }

    pub fn bank_count(&self) -> usize {
        self.banks.len()
    }

    pub fn words_per_bank(&self) -> u32 {
        self.words_per_bank
    }

    /// Registers words `words` of `bank` as live during cycles `live` (half-open).
    /// Overlaps with other items are allowed: this records use, it does not judge it.
    pub fn occupy(
        &mut self,
        bank: usize,
        words: Range<u32>,
        live: Range<u64>,
    ) -> Result<(), OccupancyError> {
        let banks = self.banks.len();
        let words_per_bank = self.words_per_bank;
        let b = self
            .banks
            .get_mut(bank)
            .ok_or(OccupancyError::NoSuchBank { bank, banks })?;
        if words.start >= words.end || words.end > words_per_bank {
            return Err(OccupancyError::OutsideBank {
                words,
                words_per_bank,
            });
        }
        if live.start >= live.end {
            return Err(OccupancyError::EmptyInterval { live });
        }
        b.add(Item { words, live });
        Ok(())
    }

    /// The maximal runs of words of `bank` that no item uses at any cycle of `live`.
    pub fn free_runs(&self, bank: usize, live: Range<u64>) -> Vec<Range<u32>> {
        let Some(b) = self.banks.get(bank) else {
            return Vec::new();
        };
        let mut runs = Vec::new();
        let mut next = 0;
        for w in b.busy(&live) {
            if w.start > next {
                runs.push(next..w.start);
            }
            next = next.max(w.end);
        }
        if next < self.words_per_bank {
            runs.push(next..self.words_per_bank);
        }
        runs
    }

    /// Free words of `bank` during all of `live`.
    pub fn free_words(&self, bank: usize, live: Range<u64>) -> u32 {
        self.free_runs(bank, live)
            .iter()
            .map(|r| r.end - r.start)
            .sum()
    }

    /// The lowest address, a multiple of `align`, where `words` words of `bank` are free
    /// during all of `live`.
    pub fn find(&self, bank: usize, words: u32, align: u32, live: Range<u64>) -> Option<u32> {
        let align = align.max(1);
        self.free_runs(bank, live).into_iter().find_map(|run| {
            let start = run.start.div_ceil(align) * align;
            (start.checked_add(words)? <= run.end).then_some(start)
        })
    }

    /// [`Occupancy::find`], then registers the new buffer there.
    pub fn place(&mut self, bank: usize, words: u32, align: u32, live: Range<u64>) -> Option<u32> {
        if words == 0 || live.start >= live.end {
            return None;
        }
        let addr = self.find(bank, words, align, live.clone())?;
        self.occupy(bank, addr..addr + words, live).ok()?;
        Some(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_shared_only_across_disjoint_intervals() {
        let mut o = Occupancy::new(2, 16);
        o.occupy(0, 0..8, 0..10).unwrap();
        o.occupy(0, 12..16, 5..300).unwrap();
        assert_eq!(o.free_runs(0, 0..4), vec![8..16]);
        assert_eq!(o.free_runs(0, 10..20), vec![0..12]);
        assert_eq!(o.free_runs(0, 9..11), vec![8..12]);
        assert_eq!(o.free_words(1, 0..1000), 16);
        assert_eq!(o.find(0, 4, 4, 0..6), Some(8));
        assert_eq!(o.find(0, 5, 1, 0..6), None);
        assert_eq!(o.place(0, 4, 1, 0..300), Some(8));
        assert_eq!(o.find(0, 1, 1, 200..400), Some(0));
        assert_eq!(o.place(0, 1, 1, 0..300), None);
    }

    #[test]
    fn bad_items_are_refused() {
        let mut o = Occupancy::new(1, 8);
        assert!(matches!(
            o.occupy(1, 0..1, 0..1),
            Err(OccupancyError::NoSuchBank { .. })
        ));
        assert!(matches!(
            o.occupy(0, 4..9, 0..1),
            Err(OccupancyError::OutsideBank { .. })
        ));
        assert!(matches!(
            o.occupy(0, 0..1, 3..3),
            Err(OccupancyError::EmptyInterval { .. })
        ));
        assert_eq!(o.place(0, 0, 1, 0..1), None);
    }

    /// Every placement agrees with a brute-force word-by-cycle grid.
    #[test]
    fn placements_match_a_grid() {
        let (words, horizon) = (24u32, 2000u64);
        let mut grid = vec![vec![false; horizon as usize]; words as usize];
        let mut o = Occupancy::new(1, words);
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..400 {
            let start = next(horizon - 1);
            let end = (start + 1 + next(600)).min(horizon);
            let size = 1 + next(4) as u32;
            let align = [1, 2, 4][next(3) as usize];
            let expected = (0..words).step_by(align as usize).find(|&a| {
                a + size <= words
                    && (a..a + size).all(|w| (start..end).all(|t| !grid[w as usize][t as usize]))
            });
            assert_eq!(o.place(0, size, align, start..end), expected);
            if let Some(a) = expected {
                for w in a..a + size {
                    for t in start..end {
                        grid[w as usize][t as usize] = true;
                    }
                }
            }
        }
    }
}
