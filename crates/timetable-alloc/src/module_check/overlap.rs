//! Rule 2: vectors whose lifetimes intersect share no word of a bank.
//!
//! One sweep per bank in order of lifetime start, keeping the word ranges of
//! the vectors still alive in an ordered map. The ranges kept are pairwise
//! disjoint (an offender is reported and not added), so a new range overlaps
//! one of them exactly when it overlaps the one starting last before its end.
//! `O(n log n)`.

use super::lifetimes::{Clock, Lifetime, Piece, describe};
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
    pieces: &[Piece],
    clock: Clock,
    diags: &mut Diagnostics,
) {
    let words = |piece: &Piece| {
        let p = &placed.list[piece.buffer];
        let start = p.addr + u64::from(piece.vector) * p.vector_words;
        start..start + p.vector_words
    };
    // (slice, bank, first, last, piece): bank by bank, in order of start.
    let mut order: Vec<(u32, u32, u64, u64, usize)> = pieces
        .iter()
        .enumerate()
        .filter(|(_, piece)| placed.list[piece.buffer].vector_words > 0)
        .map(|(i, piece)| {
            let p = &placed.list[piece.buffer];
            (p.slice, p.bank, piece.life.first, piece.life.last, i)
        })
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
            let range = words(&pieces[i]);
            let clash = alive
                .range(..range.end)
                .next_back()
                .filter(|(_, (other_end, _))| *other_end > range.start)
                .map(|(_, &(_, j))| j);
            match clash {
                Some(j) => {
                    found += 1;
                    if found <= MAX_REPORTED {
                        let other = pieces[j].life;
                        let both = Lifetime {
                            first: first.max(other.first),
                            last: last.min(other.last),
                        };
                        let shared = range.start.max(words(&pieces[j]).start)
                            ..range.end.min(words(&pieces[j]).end);
                        let (later, earlier) = (&pieces[i], &pieces[j]);
                        diags.push(report(func, placed, [later, earlier], shared, both, clock));
                    }
                }
                None => {
                    alive.insert(range.start, (range.end, i));
                    expiry.push(Reverse((last, range.start, i)));
                }
            }
        }
    }
    note_unlisted(diags, found, "overlapping pairs");
}

/// Names both vectors: the primary label on the buffer of the one that starts later.
fn report(
    func: &Function,
    placed: &Placements,
    [later, earlier]: [&Piece; 2],
    words: std::ops::Range<u64>,
    both: Lifetime,
    clock: Clock,
) -> Diagnostic {
    let name = |piece: &Piece| {
        let p = &placed.list[piece.buffer];
        format!("`%{}`[{}]", func.value(p.value).name, piece.vector)
    };
    let (a, b) = (name(later), name(earlier));
    let (later, earlier) = (&placed.list[later.buffer], &placed.list[earlier.buffer]);
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
            "{a} and {b} are both live {when} and share words {}..{} of bank {} of `mem.{}`",
            words.start, words.end, later.bank, later.slice
        ),
    )
    .primary(later.span, occupies(func, later))
    .secondary(earlier.span, occupies(func, earlier))
    .note("vectors live at the same time need disjoint words, or different banks")
}

/// The words a buffer occupies.
fn occupies(func: &Function, p: &Placed) -> String {
    let name = &func.value(p.value).name;
    format!("`%{name}` occupies words {}..{}", p.addr, p.addr + p.words)
}
