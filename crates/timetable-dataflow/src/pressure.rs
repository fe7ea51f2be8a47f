//! The memory-pressure profile: words of live buffers over time. Its peak is a lower
//! bound on the memory any allocation needs (words of one lane-wide row; bytes are words
//! times the lane count). One sweep over sorted range endpoints: `n log n`.

use crate::liveness::LiveRanges;
use crate::program::{TimeBase, definition_order};
use timetable_ir::machine::buffer_words;
use timetable_ir::{Function, Handle, Target, Value};

/// From `start` until the next step (or the end of the function), `words` are live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub start: u64,
    pub words: u64,
}

/// The first time the profile reaches its maximum, and what is live then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peak {
    pub time: u64,
    pub words: u64,
    /// Buffers live at `time`, in definition order.
    pub buffers: Vec<Handle<Value>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PressureProfile {
    base: TimeBase,
    steps: Vec<Step>,
    peak: Peak,
    word_bytes: u64,
    capacity_words: u64,
}

impl PressureProfile {
    pub fn compute(func: &Function, ranges: &LiveRanges, target: &Target) -> PressureProfile {
        let mut events: Vec<(u64, i64)> = Vec::new();
        for (b, r) in ranges.buffers(func) {
            let words = buffer_words(func.ty(b), target).unwrap_or(0) as i64;
            events.push((r.start, words));
            events.push((r.end, -words));
        }
        // Half-open ranges: at equal times, releases come before claims.
        events.sort_unstable();
        let mut steps = vec![Step { start: 0, words: 0 }];
        let mut live: i64 = 0;
        for (i, &(t, delta)) in events.iter().enumerate() {
            live += delta;
            if events.get(i + 1).is_some_and(|&(next, _)| next == t) {
                continue;
            }
            let words = live as u64;
            let last = steps.last_mut().expect("starts with one step");
            if last.start == t {
                last.words = words;
            } else if last.words != words {
                steps.push(Step { start: t, words });
            }
        }
        steps.dedup_by(|later, earlier| later.words == earlier.words);
        let top = steps
            .iter()
            .copied()
            .reduce(|best, s| if s.words > best.words { s } else { best })
            .expect("at least one step");
        let rank = definition_order(func);
        let mut buffers: Vec<Handle<Value>> = ranges
            .buffers(func)
            .filter(|(_, r)| top.words > 0 && r.contains(top.start))
            .map(|(b, _)| b)
            .collect();
        buffers.sort_by_key(|b| rank[b.index()]);
        PressureProfile {
            base: ranges.base(),
            steps,
            peak: Peak {
                time: top.start,
                words: top.words,
                buffers,
            },
            word_bytes: u64::from(target.word_bytes()),
            capacity_words: u64::from(target.mem_slices())
                * u64::from(target.mem.banks)
                * u64::from(target.mem.words_per_bank),
        }
    }

    pub fn base(&self) -> TimeBase {
        self.base
    }

    /// The profile as steps, the first at time 0; consecutive steps differ.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Words live at time `t`.
    pub fn words_at(&self, t: u64) -> u64 {
        let i = self.steps.partition_point(|s| s.start <= t);
        self.steps[i.saturating_sub(1)].words
    }

    pub fn peak(&self) -> &Peak {
        &self.peak
    }

    pub fn peak_bytes(&self) -> u64 {
        self.peak.words * self.word_bytes
    }

    /// Words of memory on the whole chip.
    pub fn capacity_words(&self) -> u64 {
        self.capacity_words
    }
}
