//! What `timetable alloc --report` prints: the high-water mark of every bank
//! and slice and of the whole chip, and the fragmentation — words used
//! against the pressure lower bound.

use super::assign::Policy;
use std::fmt;
use timetable_dataflow::TimeBase;

/// One used slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SliceUse {
    pub slice: u32,
    pub buffers: usize,
    /// The height (highest word used) of each bank.
    pub bank_heights: Vec<u64>,
    /// The most words live in the slice at once.
    pub peak: u64,
}

/// How one function was allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionReport {
    pub function: String,
    pub base: TimeBase,
    /// The function's extent on its clock (ops or cycles).
    pub span: u64,
    pub buffers: usize,
    /// The bank policy that led to a fit.
    pub policy: Policy,
    /// Used slices, west to east.
    pub slices: Vec<SliceUse>,
    /// Words of each bank, banks per slice, slices.
    pub words_per_bank: u64,
    pub banks: u32,
    pub slice_count: u32,
    /// Bytes per word.
    pub word_bytes: u64,
    /// The sum of the bank heights: the memory the allocation uses.
    pub height: u64,
    /// The sum over banks of the most words live in each at once: what
    /// packing each bank perfectly would use.
    pub bank_bound: u64,
    /// The most words live at once on the chip (the dataflow pressure
    /// profile), and when: no allocation uses fewer.
    pub pressure: u64,
    pub pressure_time: u64,
    /// Search nodes spent, and banks whose greedy packing overflowed.
    pub nodes: u64,
    pub searched: usize,
    /// Scheduled inputs: banks that kept their addresses because they no
    /// longer packed on the cycle clock.
    pub kept: usize,
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.2}x", a as f64 / b as f64)
    }
}

impl fmt::Display for FunctionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "alloc @{}: {} buffers, live ranges in {} ({} {}s), bank policy `{}`",
            self.function,
            self.buffers,
            self.base.name(),
            self.span,
            self.base.unit(),
            self.policy.name()
        )?;
        write!(f, "  {:<8} {:>7}", "slice", "buffers")?;
        for bank in 0..self.banks {
            write!(f, " {:>7}", format!("bank {bank}"))?;
        }
        writeln!(f, " {:>9}", "peak live")?;
        for s in &self.slices {
            write!(f, "  {:<8} {:>7}", format!("mem.{}", s.slice), s.buffers)?;
            for h in &s.bank_heights {
                write!(f, " {h:>7}")?;
            }
            writeln!(f, " {:>9}", s.peak)?;
        }
        let unused = self.slice_count as usize - self.slices.len();
        if unused > 0 {
            writeln!(f, "  ({unused} slices unused)")?;
        }
        let capacity = u64::from(self.slice_count) * u64::from(self.banks) * self.words_per_bank;
        writeln!(
            f,
            "  high water: {} words ({} bytes, sum of bank heights) of {} on the chip; \
             highest bank {} of {}",
            self.height,
            self.height * self.word_bytes,
            capacity,
            self.slices
                .iter()
                .flat_map(|s| s.bank_heights.iter().copied())
                .max()
                .unwrap_or(0),
            self.words_per_bank
        )?;
        writeln!(
            f,
            "  pressure lower bound: {} words at {} {}; fragmentation {} (height / bound), {} within banks",
            self.pressure,
            self.base.unit(),
            self.pressure_time,
            ratio(self.height, self.pressure),
            ratio(self.height, self.bank_bound)
        )?;
        write!(
            f,
            "  search: {} nodes; banks the greedy passes overflowed: {}",
            self.nodes, self.searched
        )?;
        if self.kept > 0 {
            write!(
                f,
                "; banks that kept their scheduled addresses: {}",
                self.kept
            )?;
        }
        writeln!(f)
    }
}

/// The reports of every function of a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    pub functions: Vec<FunctionReport>,
}

impl fmt::Display for Allocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for report in &self.functions {
            report.fmt(f)?;
        }
        Ok(())
    }
}
