//! Spill slots. The scheduler keeps spilled values in words no buffer of the input ever
//! uses, cut into aligned slots the size of the function's widest vector. While
//! scheduling it only counts slots per bank over time (a resource profile per bank);
//! afterwards every spill buffer gets an address from `timetable_alloc::occupancy`,
//! which knows the cycle live ranges of all buffers. Because slots are interchangeable
//! and placed in order of their first cycle, a count that never exceeds the free slots
//! always finds one (interval graphs are perfect).

use super::facts::Facts;
use timetable_ir::machine;

/// Words of one slot and the address grid slots sit on.
pub(crate) fn slot_geometry(f: &Facts) -> (u32, u32) {
    let words = f.widest;
    let align = f.target.mem.align.max(1);
    (words, words.div_ceil(align) * align)
}

/// Per bank (`slice * banks + bank`): slots in words no placed buffer touches.
pub(crate) fn slots_per_bank(f: &Facts) -> Vec<u32> {
    let t = f.target;
    let banks = (t.mem_slices() * t.mem.banks) as usize;
    let mut used: Vec<Vec<(u32, u32)>> = vec![Vec::new(); banks];
    for (value, _) in machine::buffers(f.func) {
        let (Some(p), Some(words)) = (
            machine::placement(f.func, value),
            machine::buffer_words(f.func.ty(value), t),
        ) else {
            continue;
        };
        let bank = (p.slice * t.mem.banks + p.bank) as usize;
        if let Some(list) = used.get_mut(bank) {
            list.push((p.addr, p.addr.saturating_add(words as u32)));
        }
    }
    let (words, grid) = slot_geometry(f);
    used.into_iter()
        .map(|mut ranges| {
            ranges.sort_unstable();
            let mut count = 0;
            let mut x = 0u32;
            let mut i = 0;
            while x + words <= t.mem.words_per_bank {
                // Skip ranges that end at or before the slot.
                while i < ranges.len() && ranges[i].1 <= x {
                    i += 1;
                }
                let clash = ranges[i..]
                    .iter()
                    .take_while(|r| r.0 < x + words)
                    .any(|r| r.1 > x);
                if !clash {
                    count += 1;
                }
                x += grid;
            }
            count
        })
        .collect()
}
