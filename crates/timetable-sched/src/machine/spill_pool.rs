//! Spill slots: aligned runs of words, the size of the function's widest vector, where
//! the scheduler parks values.
//!
//! - **Pool slots** lie in words no buffer of the input ever uses. While scheduling the
//!   scheduler only counts them per bank over time (a resource profile per bank);
//!   afterwards every such spill buffer gets an address from
//!   `timetable_alloc::occupancy`, which knows the cycle live ranges of all buffers.
//!   Because pool slots are interchangeable and spills are placed in order of their
//!   first cycle, a count that never exceeds the free slots always finds one (interval
//!   graphs are perfect).
//! - **Freed slots** lie in words of input buffers that are dead: every access to them
//!   is placed, their last one is over, and none is an output. A freed slot is usable
//!   from the cycle the last of its buffers dies; spills in it get its address directly.

use super::facts::Facts;
use rustc_hash::FxHashMap;
use timetable_ir::machine::{self, Role, keys};
use timetable_ir::{Handle, Value};

/// Words of one slot and the address grid slots sit on.
pub(crate) fn slot_geometry(f: &Facts) -> (u32, u32) {
    let words = f.widest;
    let align = f.target.mem.align.max(1);
    (words, words.div_ceil(align) * align)
}

/// A slot that input buffers use.
#[derive(Clone, Debug)]
pub(crate) struct Covered {
    /// Flat bank index.
    pub bank: u32,
    pub addr: u32,
    pub buffers: Vec<Handle<Value>>,
}

/// The slots of a function's memory.
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    /// Per bank: slots in words no placed buffer touches.
    pub free: Vec<u32>,
    pub covered: Vec<Covered>,
    /// Per value index: the covered slots of that buffer.
    pub covered_by: Vec<Vec<u32>>,
    /// Per value index: whether the buffer's words must hold their data to the end.
    pub kept: Vec<bool>,
}

impl Pool {
    pub(crate) fn new(f: &Facts) -> Pool {
        let t = f.target;
        let banks = (t.mem_slices() * t.mem.banks) as usize;
        let (words, grid) = slot_geometry(f);
        let slots = t.mem.words_per_bank.saturating_sub(words) / grid + 1;
        let fits = words <= t.mem.words_per_bank;
        let mut index: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut covered: Vec<Covered> = Vec::new();
        let mut covered_by = vec![Vec::new(); f.func.values.len()];
        let mut kept = vec![false; f.func.values.len()];
        for (value, def) in machine::buffers(f.func) {
            let (Some(p), Some(size)) = (
                machine::placement(f.func, value),
                machine::buffer_words(f.func.ty(value), t),
            ) else {
                continue;
            };
            let output = machine::buffer_attrs(f.func, def)
                .get(keys::ROLE)
                .and_then(|r| Role::parse(r).ok())
                == Some(Role::Output);
            kept[value.index()] = output;
            let bank = p.slice * t.mem.banks + p.bank;
            let end = p.addr.saturating_add(size as u32);
            // Slots [x, x + words) on the grid that overlap [addr, end).
            let first = (p.addr + 1).saturating_sub(words).div_ceil(grid);
            let mut x = first * grid;
            while x < end && fits && x + words <= t.mem.words_per_bank {
                let i = *index.entry((bank, x)).or_insert_with(|| {
                    covered.push(Covered {
                        bank,
                        addr: x,
                        buffers: Vec::new(),
                    });
                    (covered.len() - 1) as u32
                });
                covered[i as usize].buffers.push(value);
                covered_by[value.index()].push(i);
                x += grid;
            }
        }
        let mut free = vec![if fits { slots } else { 0 }; banks];
        for c in &covered {
            free[c.bank as usize] -= 1;
        }
        Pool {
            free,
            covered,
            covered_by,
            kept,
        }
    }
}

/// A freed slot in use: spills occupy it during half-open intervals of cycles.
#[derive(Clone, Debug)]
pub(crate) struct Freed {
    pub addr: u32,
    /// The first cycle no buffer needs its words any more.
    pub from: u32,
    pub uses: Vec<(u32, u32)>,
}

impl Freed {
    pub(crate) fn free_during(&self, start: u32, end: u32) -> bool {
        start >= self.from && self.uses.iter().all(|&(s, e)| e <= start || end <= s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timetable_ir::{SourceFile, parse, target};

    #[test]
    fn slots_are_counted_and_covered_per_bank() {
        let text = "module @m target @tiny stage allocated {
          func @f(%a: mem<2xf32> {mem = {addr = 2, bank = 0, slice = 1}, role = \"input\"},
                  %y: mem<1xf16> {mem = {addr = 12, bank = 1, slice = 3}, role = \"output\"}) -> () {
            %x = mem.read(%a) {index = 0} : (mem<2xf32>) -> vec<f32>
            %h = vxm.cast(%x) : (vec<f32>) -> vec<f16>
            mem.write(%h, %y) {index = 0} : (vec<f16>, mem<1xf16>) -> ()
          }
        }";
        let m = parse::parse_module(&SourceFile::new("t", text)).unwrap();
        let t = target::builtin("tiny").unwrap();
        let f = Facts::new(&m.functions[0], t).unwrap();
        let pool = Pool::new(&f);
        // f32 slots: 4 words on a grid of 4; `%a` covers words 2..10 (slots 0, 4, 8).
        assert_eq!(pool.free[2], 1);
        assert_eq!(pool.free[7], 3);
        assert_eq!(pool.free[0], 4);
        let addrs: Vec<(u32, u32)> = pool.covered.iter().map(|c| (c.bank, c.addr)).collect();
        assert_eq!(addrs, vec![(2, 0), (2, 4), (2, 8), (7, 12)]);
        let y = m.functions[0].args[1].value;
        assert!(pool.kept[y.index()]);
    }
}
