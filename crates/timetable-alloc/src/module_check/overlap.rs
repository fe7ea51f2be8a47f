//! Rule 2: buffers whose lifetimes intersect share no word of a bank.
//!
//! One sweep per bank in order of lifetime start, keeping the word ranges of
//! the buffers still alive in an ordered map. The ranges kept are pairwise
//! disjoint (an offender is reported and not added), so a new range overlaps
//! one of them exactly when it overlaps the one starting last before its end.
//! `O(n log n)`.

use super::lifetimes::{Clock, Lifetime, describe};
use super::placed::{Placed, Placements};
use super::{MAX_REPORTED, note_unlisted};
use crate::codes;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::Function;

pub(super) fn check(
    func: &Function,
    placed: &Placements,
    lives: &[Option<Lifetime>],
    clock: Clock,
    diags: &mut Diagnostics,
) {
    // (slice, bank, first, last, index): bank by bank, in order of start.
    let mut order: Vec<(u32, u32, u64, u64, usize)> = placed
        .list
        .iter()
        .zip(lives)
        .enumerate()
        .filter(|(_, (p, _))| p.words > 0)
        .filter_map(|(i, (p, life))| life.map(|l| (p.slice, p.bank, l.first, l.last, i)))
        .collect();
    order.sort_unstable();
    let mut found = 0usize;
    for bank in order.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        // Word start -> (word end, buffer); expiry queue of (last tick, word start, buffer).
        let mut alive: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
        let mut expiry: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
        for &(_, _, first, last, i) in bank {
            while let Some(&Reverse((end, start, j))) = expiry.peek() {
                if end >= first {
                    break;
                }
                expiry.pop();
                if alive.get(&start).is_some_and(|&(_, k)| k == j) {
                    alive.remove(&start);
                }
            }
            let p = &placed.list[i];
            let end = p.addr + p.words;
            let clash = alive
                .range(..end)
                .next_back()
                .filter(|(_, (other_end, _))| *other_end > p.addr)
                .map(|(_, &(_, j))| j);
            match clash {
                Some(j) => {
                    found += 1;
                    if found <= MAX_REPORTED {
                        let (earlier, later) = (&placed.list[j], p);
                        let both = Lifetime {
                            first: first.max(lives[j].map_or(first, |l| l.first)),
                            last: last.min(lives[j].map_or(last, |l| l.last)),
                        };
                        diags.push(report(func, later, earlier, both, clock));
                    }
                }
                None => {
                    alive.insert(p.addr, (end, i));
                    expiry.push(Reverse((last, p.addr, i)));
                }
            }
        }
    }
    note_unlisted(diags, found, "overlapping pairs");
}

/// Names both buffers: the primary label on the one that starts later.
fn report(
    func: &Function,
    later: &Placed,
    earlier: &Placed,
    both: Lifetime,
    clock: Clock,
) -> Diagnostic {
    let name = |p: &Placed| func.value(p.value).name.clone();
    let (a, b) = (name(later), name(earlier));
    let words =
        later.addr.max(earlier.addr)..(later.addr + later.words).min(earlier.addr + earlier.words);
    let when = if both.first == both.last {
        format!("at {}", describe(both.first, clock))
    } else {
        format!(
            "from {} to {}",
            describe(both.first, clock),
            describe(both.last, clock)
        )
    };
    Diagnostic::error(
        codes::OVERLAP,
        format!(
            "`%{a}` and `%{b}` are both live {when} and share words {}..{} of bank {} of `mem.{}`",
            words.start, words.end, later.bank, later.slice
        ),
    )
    .primary(
        later.span,
        format!(
            "`%{a}` occupies words {}..{}",
            later.addr,
            later.addr + later.words
        ),
    )
    .secondary(
        earlier.span,
        format!(
            "`%{b}` occupies words {}..{}",
            earlier.addr,
            earlier.addr + earlier.words
        ),
    )
    .note("buffers live at the same time need disjoint words, or different banks")
}
