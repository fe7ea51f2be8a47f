//! The usage profile of one renewable resource over discrete periods.
//!
//! Usage is stored densely per period (period `t` is the time interval
//! `[t, t + 1)`), grouped into blocks of [`BLOCK`] periods. A segment tree
//! keeps the minimum usage of every block, so "the first period at or after
//! `t` with room for `amount`" skips fully booked stretches in
//! `O(log blocks)` instead of walking them period by period.
//!
//! Holes shorter than an activity are the other trap: behind a busy
//! resource's frontier they can be many, and stepping over them one by one
//! makes the serial SGS quadratic. After a few such steps the search
//! switches to a [`RunIndex`] for the amount's threshold: per tree node the
//! longest run of periods with room, and the runs touching either end,
//! which finds the first long-enough window in `O(log blocks)`. Indices are
//! built on first need and maintained until the profile grows or is cleared.

/// Periods per tree leaf: a block is scanned linearly (cache-friendly),
/// the tree is only consulted to skip whole blocks.
const BLOCK: usize = 32;
/// [`ResourceProfile::earliest_fit`] switches to a run index after stepping
/// over this many holes spanning at least `INDEX_DISTANCE` periods; short
/// searches (small problems) stay with the plain scan.
const FAST_ATTEMPTS: usize = 8;
const INDEX_DISTANCE: u32 = 8 * BLOCK as u32;

/// Usage of one resource with a fixed capacity.
#[derive(Clone, Debug)]
pub struct ResourceProfile {
    capacity: u32,
    /// Usage per period; its length is `leaves * BLOCK`. Periods past the
    /// end are unused.
    usage: Vec<u32>,
    /// Implicit segment tree of block minima: node 1 is the root, node `i`
    /// has children `2i` and `2i + 1`, block `b` is node `leaves + b`.
    block_min: Vec<u32>,
    leaves: usize,
    /// One past the last period that was ever booked since the last clear.
    high_water: usize,
    /// Run indices by threshold, built on demand.
    runs: Vec<RunIndex>,
    /// Blocks whose usage changed since the tree and the run indices were
    /// last brought up to date. Updating lazily keeps bookings cheap: most
    /// searches end inside the first block and never consult the tree.
    dirty: Vec<usize>,
    is_dirty: Vec<bool>,
}

impl ResourceProfile {
    pub fn new(capacity: u32) -> Self {
        ResourceProfile {
            capacity,
            usage: vec![0; BLOCK],
            block_min: vec![0; 2],
            leaves: 1,
            high_water: 0,
            runs: Vec::new(),
            dirty: Vec::new(),
            is_dirty: vec![false],
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    pub fn usage_at(&self, period: u32) -> u32 {
        self.usage.get(period as usize).copied().unwrap_or(0)
    }

    /// Whether `amount` more units fit in every period of `[start, start + length)`.
    pub fn fits(&self, start: u32, length: u32, amount: u32) -> bool {
        amount <= self.capacity && self.last_conflict(start, length, amount).is_none()
    }

    /// The earliest `t >= from` such that `amount` more units fit in every
    /// period of `[t, t + length)`. `amount` must not exceed the capacity.
    /// Takes `&mut self` because it may build a [`RunIndex`] (a cache).
    pub fn earliest_fit(&mut self, from: u32, length: u32, amount: u32) -> u32 {
        let mut t = from;
        let mut attempts = 0;
        while attempts < FAST_ATTEMPTS || t - from < INDEX_DISTANCE {
            t = self.next_room(t, amount);
            match self.last_conflict(t, length, amount) {
                None => return t,
                Some(busy) => t = busy + 1,
            }
            attempts += 1;
        }
        self.flush();
        let limit = self.capacity - amount;
        let index = match self.runs.iter().position(|r| r.limit == limit) {
            Some(i) => i,
            None => {
                self.runs
                    .push(RunIndex::new(limit, &self.usage, self.leaves));
                self.runs.len() - 1
            }
        };
        self.runs[index].find(&self.usage, self.leaves, t as usize, length as usize) as u32
    }

    /// The first period `>= from` in which `amount` more units fit.
    /// `amount` must not exceed the capacity.
    pub fn next_room(&mut self, from: u32, amount: u32) -> u32 {
        debug_assert!(amount <= self.capacity);
        let limit = self.capacity - amount;
        let from = from as usize;
        if from >= self.high_water {
            return from as u32;
        }
        let block = from / BLOCK;
        let block_end = (block + 1) * BLOCK;
        if let Some(i) = self.usage[from..block_end].iter().position(|&u| u <= limit) {
            return (from + i) as u32;
        }
        self.flush();
        match self.first_block_with_room(block + 1, limit) {
            None => (self.leaves * BLOCK) as u32,
            Some(b) => {
                let start = b * BLOCK;
                let i = self.usage[start..start + BLOCK]
                    .iter()
                    .position(|&u| u <= limit)
                    .expect("the block minimum promised room");
                (start + i) as u32
            }
        }
    }

    /// The last period `<= from` in which `amount` more units fit, if any.
    /// `amount` must not exceed the capacity.
    pub fn prev_room(&mut self, from: u32, amount: u32) -> Option<u32> {
        debug_assert!(amount <= self.capacity);
        let limit = self.capacity - amount;
        let from = from as usize;
        if from >= self.high_water {
            return Some(from as u32);
        }
        let block = from / BLOCK;
        let start = block * BLOCK;
        if let Some(i) = self.usage[start..=from].iter().rposition(|&u| u <= limit) {
            return Some((start + i) as u32);
        }
        if block == 0 {
            return None;
        }
        self.flush();
        let b = self.last_block_with_room(block - 1, limit)?;
        let start = b * BLOCK;
        let i = self.usage[start..start + BLOCK]
            .iter()
            .rposition(|&u| u <= limit)
            .expect("the block minimum promised room");
        Some((start + i) as u32)
    }

    /// The last period of `[start, start + length)` in which `amount` more
    /// units do not fit. Scanning backwards lets the caller jump past it.
    pub fn last_conflict(&self, start: u32, length: u32, amount: u32) -> Option<u32> {
        let limit = self.capacity.saturating_sub(amount);
        let start = start as usize;
        let end = (start + length as usize).min(self.high_water);
        if start >= end {
            return None;
        }
        self.usage[start..end]
            .iter()
            .rposition(|&u| u > limit)
            .map(|i| (start + i) as u32)
    }

    /// Books `amount` units in `[start, start + length)`. The caller checks
    /// [`ResourceProfile::fits`] first; overbooking is a logic error.
    pub fn add(&mut self, start: u32, length: u32, amount: u32) {
        let (start, end) = (start as usize, start as usize + length as usize);
        self.grow_to(end);
        for u in &mut self.usage[start..end] {
            *u += amount;
            debug_assert!(*u <= self.capacity, "resource overbooked");
        }
        self.high_water = self.high_water.max(end);
        self.mark_dirty(start, end);
    }

    /// Releases `amount` units in `[start, start + length)` booked earlier.
    pub fn remove(&mut self, start: u32, length: u32, amount: u32) {
        let (start, end) = (start as usize, start as usize + length as usize);
        for u in &mut self.usage[start..end] {
            *u = u
                .checked_sub(amount)
                .expect("removing more than was booked");
        }
        self.mark_dirty(start, end);
    }

    /// Empties the profile, keeping its memory for the next schedule.
    pub fn clear(&mut self) {
        let used_blocks = self.high_water.div_ceil(BLOCK);
        self.usage[..used_blocks * BLOCK].fill(0);
        self.block_min.fill(0);
        for &b in &self.dirty {
            self.is_dirty[b] = false;
        }
        self.dirty.clear();
        self.high_water = 0;
        self.runs.clear();
    }

    fn grow_to(&mut self, end: usize) {
        if end <= self.leaves * BLOCK {
            return;
        }
        let leaves = end.div_ceil(BLOCK).next_power_of_two();
        self.usage.resize(leaves * BLOCK, 0);
        self.runs.clear();
        self.dirty.clear();
        self.is_dirty = vec![false; leaves];
        self.leaves = leaves;
        self.block_min = vec![0; 2 * leaves];
        for b in 0..leaves {
            self.block_min[leaves + b] = block_minimum(&self.usage, b);
        }
        for node in (1..leaves).rev() {
            self.block_min[node] = self.block_min[2 * node].min(self.block_min[2 * node + 1]);
        }
    }

    fn mark_dirty(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        for b in start / BLOCK..=(end - 1) / BLOCK {
            if !self.is_dirty[b] {
                self.is_dirty[b] = true;
                self.dirty.push(b);
            }
        }
    }

    /// Brings the block tree and the run indices up to date.
    fn flush(&mut self) {
        for &b in &self.dirty {
            self.is_dirty[b] = false;
            for runs in &mut self.runs {
                runs.refresh(&self.usage, self.leaves, b);
            }
            let mut node = self.leaves + b;
            self.block_min[node] = block_minimum(&self.usage, b);
            while node > 1 {
                node /= 2;
                let m = self.block_min[2 * node].min(self.block_min[2 * node + 1]);
                if self.block_min[node] == m {
                    break;
                }
                self.block_min[node] = m;
            }
        }
        self.dirty.clear();
    }

    /// The first block `>= first` whose minimum usage is at most `limit`.
    fn first_block_with_room(&self, first: usize, limit: u32) -> Option<usize> {
        if first >= self.leaves {
            return None;
        }
        let mut node = self.leaves + first;
        loop {
            if self.block_min[node] <= limit {
                while node < self.leaves {
                    node *= 2;
                    if self.block_min[node] > limit {
                        node += 1;
                    }
                }
                return Some(node - self.leaves);
            }
            // Climb while `node` is a right child, then step to the next
            // subtree on the right; the rightmost path ends at the root.
            while node & 1 == 1 {
                node /= 2;
                if node == 0 {
                    return None;
                }
            }
            node += 1;
        }
    }
}

impl ResourceProfile {
    /// The last block `<= last` whose minimum usage is at most `limit`.
    fn last_block_with_room(&self, last: usize, limit: u32) -> Option<usize> {
        let mut node = self.leaves + last.min(self.leaves - 1);
        loop {
            if self.block_min[node] <= limit {
                while node < self.leaves {
                    node = 2 * node + 1;
                    if self.block_min[node] > limit {
                        node -= 1;
                    }
                }
                return Some(node - self.leaves);
            }
            // Climb while `node` is a left child, then step to the next subtree on
            // the left; the leftmost path ends at the root.
            while node & 1 == 0 {
                node /= 2;
            }
            if node == 1 {
                return None;
            }
            node -= 1;
        }
    }
}

/// Runs of periods whose usage is at most `limit`, per node of the block
/// tree (same layout as `block_min`).
#[derive(Clone, Debug)]
struct RunIndex {
    limit: u32,
    /// Length of the run starting at the node's first period.
    prefix: Vec<u32>,
    /// Length of the run ending at the node's last period.
    suffix: Vec<u32>,
    /// Longest run inside the node.
    best: Vec<u32>,
}

impl RunIndex {
    fn new(limit: u32, usage: &[u32], leaves: usize) -> Self {
        let mut index = RunIndex {
            limit,
            prefix: vec![0; 2 * leaves],
            suffix: vec![0; 2 * leaves],
            best: vec![0; 2 * leaves],
        };
        for b in 0..leaves {
            index.set_leaf(usage, leaves, b);
        }
        let mut len = BLOCK as u32;
        let mut level_start = leaves;
        while level_start > 1 {
            for node in level_start / 2..level_start {
                index.combine(node, len);
            }
            level_start /= 2;
            len *= 2;
        }
        index
    }

    fn set_leaf(&mut self, usage: &[u32], leaves: usize, block: usize) {
        let periods = &usage[block * BLOCK..(block + 1) * BLOCK];
        let room = |u: &u32| *u <= self.limit;
        let prefix = periods.iter().take_while(|u| room(u)).count();
        let suffix = periods.iter().rev().take_while(|u| room(u)).count();
        let (mut best, mut run) = (0, 0);
        for u in periods {
            run = if room(u) { run + 1 } else { 0 };
            best = best.max(run);
        }
        let node = leaves + block;
        (self.prefix[node], self.suffix[node], self.best[node]) =
            (prefix as u32, suffix as u32, best as u32);
    }

    /// Recomputes `node` from its children, each `child_len` periods long.
    fn combine(&mut self, node: usize, child_len: u32) {
        let (l, r) = (2 * node, 2 * node + 1);
        self.prefix[node] = if self.prefix[l] == child_len {
            child_len + self.prefix[r]
        } else {
            self.prefix[l]
        };
        self.suffix[node] = if self.suffix[r] == child_len {
            child_len + self.suffix[l]
        } else {
            self.suffix[r]
        };
        self.best[node] = self.best[l]
            .max(self.best[r])
            .max(self.suffix[l] + self.prefix[r]);
    }

    fn refresh(&mut self, usage: &[u32], leaves: usize, block: usize) {
        self.set_leaf(usage, leaves, block);
        let (mut node, mut child_len) = ((leaves + block) / 2, BLOCK as u32);
        while node >= 1 {
            self.combine(node, child_len);
            node /= 2;
            child_len *= 2;
        }
    }

    /// The first `t >= from` starting a run of at least `length` periods.
    /// Periods past the tree are free.
    fn find(&self, usage: &[u32], leaves: usize, from: usize, length: usize) -> usize {
        let end = leaves * BLOCK;
        if from >= end {
            return from;
        }
        // The rest of `from`'s block, period by period.
        let block = from / BLOCK;
        let mut carry = match self.scan(usage, from, (block + 1) * BLOCK, 0, length) {
            Ok(t) => return t,
            Err(carry) => carry,
        };
        // Then the right siblings on the way to the root, left to right.
        let (mut node, mut len) = (leaves + block, BLOCK);
        while node > 1 {
            if node & 1 == 0 {
                let sibling = node + 1;
                let start = (sibling - end / len) * len;
                match self.descend(usage, sibling, start, len, carry, length) {
                    Ok(t) => return t,
                    Err(out) => carry = out,
                }
            }
            node /= 2;
            len *= 2;
        }
        end - carry
    }

    /// Scans `[start, end)` entered with `carry` free periods just before:
    /// `Ok(start of the first run of length periods)` or `Err(carry out)`.
    fn scan(
        &self,
        usage: &[u32],
        start: usize,
        end: usize,
        carry: usize,
        length: usize,
    ) -> Result<usize, usize> {
        let mut carry = carry;
        for (t, &u) in usage[start..end].iter().enumerate() {
            carry = if u <= self.limit { carry + 1 } else { 0 };
            if carry >= length {
                return Ok(start + t + 1 - carry);
            }
        }
        Err(carry)
    }

    /// Searches node `node` (covering `[start, start + len)`) entered with
    /// `carry` free periods just before it: `Ok(run start)` or `Err(carry
    /// out of the node)`.
    fn descend(
        &self,
        usage: &[u32],
        node: usize,
        start: usize,
        len: usize,
        carry: usize,
        length: usize,
    ) -> Result<usize, usize> {
        let (prefix, suffix, best) = (
            self.prefix[node] as usize,
            self.suffix[node] as usize,
            self.best[node] as usize,
        );
        if carry + prefix >= length {
            return Ok(start - carry);
        }
        if best < length {
            return Err(if prefix == len { carry + len } else { suffix });
        }
        if len == BLOCK {
            return self.scan(usage, start, start + len, carry, length);
        }
        let half = len / 2;
        match self.descend(usage, 2 * node, start, half, carry, length) {
            Ok(t) => Ok(t),
            Err(out) => self.descend(usage, 2 * node + 1, start + half, half, out, length),
        }
    }
}

fn block_minimum(usage: &[u32], block: usize) -> u32 {
    usage[block * BLOCK..(block + 1) * BLOCK]
        .iter()
        .copied()
        .min()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (a linear congruential step).
    fn step(x: u64) -> u64 {
        x.wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
    }

    /// The obvious quadratic definition the profile must agree with.
    fn naive_earliest_fit(
        usage: &[u32],
        capacity: u32,
        from: u32,
        length: u32,
        amount: u32,
    ) -> u32 {
        let at = |t: usize| usage.get(t).copied().unwrap_or(0);
        (from..)
            .find(|&t| (t..t + length).all(|p| at(p as usize) + amount <= capacity))
            .unwrap()
    }

    #[test]
    fn agrees_with_naive_search_across_many_blocks() {
        let capacity = 3;
        let mut profile = ResourceProfile::new(capacity);
        let mut naive = vec![0u32; 2000];
        // A deterministic pseudo-random booking pattern reaching past the first grow.
        let mut x = 12345u64;
        for _ in 0..600 {
            x = step(x);
            let from = (x >> 33) as u32 % 900;
            let length = 1 + (x >> 20) as u32 % 40;
            let amount = 1 + (x >> 10) as u32 % capacity;
            let t = profile.earliest_fit(from, length, amount);
            assert_eq!(
                t,
                naive_earliest_fit(&naive, capacity, from, length, amount)
            );
            assert!(profile.fits(t, length, amount));
            if (t + length) as usize <= naive.len() {
                profile.add(t, length, amount);
                for u in &mut naive[t as usize..(t + length) as usize] {
                    *u += amount;
                }
            }
        }
        for (t, &u) in naive.iter().enumerate() {
            assert_eq!(profile.usage_at(t as u32), u);
        }
    }

    #[test]
    fn prev_room_agrees_with_a_backward_scan() {
        let mut profile = ResourceProfile::new(2);
        let mut naive = vec![0u32; 3000];
        let mut x = 99u64;
        for _ in 0..400 {
            x = step(x);
            // Long busy stretches, so whole blocks are skipped.
            let (from, length) = ((x >> 33) as u32 % 2500, 1 + (x >> 20) as u32 % 200);
            if profile.fits(from, length, 1) {
                profile.add(from, length, 1);
                naive[from as usize..(from + length) as usize]
                    .iter_mut()
                    .for_each(|u| *u += 1);
            }
            for amount in [1, 2] {
                let at = (x >> 8) as u32 % 3000;
                let expected = (0..=at).rev().find(|&t| naive[t as usize] + amount <= 2);
                assert_eq!(profile.prev_room(at, amount), expected, "from {at}");
            }
        }
    }

    #[test]
    fn run_index_finds_windows_behind_many_short_holes() {
        let mut profile = ResourceProfile::new(2);
        let mut naive = vec![0u32; 5000];
        // Holes of 1..=3 free periods between busy periods, for 3000 periods.
        let mut t = 0;
        while t < 3000 {
            profile.add(t, 1, 2);
            naive[t as usize] = 2;
            t += 2 + t % 3;
        }
        for (from, length, amount) in [(0, 4, 1), (5, 3, 2), (100, 4, 2), (2990, 5, 1), (7, 1, 2)] {
            let expected = naive_earliest_fit(&naive, 2, from, length, amount);
            assert_eq!(profile.earliest_fit(from, length, amount), expected);
        }
        // The index follows later bookings.
        profile.add(3000, 10, 1);
        for u in &mut naive[3000..3010] {
            *u += 1;
        }
        assert_eq!(
            profile.earliest_fit(0, 4, 2),
            naive_earliest_fit(&naive, 2, 0, 4, 2)
        );
        assert_eq!(
            profile.earliest_fit(0, 4, 1),
            naive_earliest_fit(&naive, 2, 0, 4, 1)
        );
    }

    #[test]
    fn remove_and_clear_restore_room() {
        let mut profile = ResourceProfile::new(1);
        for t in 0..100 {
            profile.add(t, 1, 1);
        }
        assert_eq!(profile.earliest_fit(0, 1, 1), 100);
        profile.remove(40, 2, 1);
        assert_eq!(profile.earliest_fit(0, 1, 1), 40);
        assert_eq!(profile.earliest_fit(0, 3, 1), 100);
        profile.clear();
        assert_eq!(profile.earliest_fit(0, 5, 1), 0);
        assert_eq!(profile.usage_at(50), 0);
        profile.add(70, 1, 1);
        assert_eq!(profile.earliest_fit(70, 1, 1), 71);
    }
}
