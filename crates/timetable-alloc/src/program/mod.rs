//! The allocator of IR modules: every memory-resident value (buffer
//! arguments, `mem.const` and `mem.alloc` results) gets a placement
//! `mem = {slice, bank, addr}` on the target.
//!
//! Per function:
//!
//! 1. **Collect** the buffers with their words and live ranges from the
//!    dataflow crate: program order for unscheduled functions, cycles for
//!    scheduled ones, where every placed buffer keeps its slice and bank (the
//!    schedule's timing depends on them) and new buffers go to the slice
//!    their memory ops run on.
//! 2. **Check the total**: more words live at once than the chip holds is an
//!    error naming the peak (E2001); nothing is ever spilled.
//! 3. **Assign banks** in one sweep over time ([`Policy`]): first for
//!    bandwidth and hops, falling back to capacity-first policies if a
//!    bank cannot be packed.
//! 4. **Pack each bank** with the single-bin allocator (greedy, then branch
//!    and bound within one deterministic node budget shared by all banks and
//!    attempts).
//! 5. **Write** the placements; the module is then at least `allocated`.

mod assign;
mod collect;
mod fill;
mod overflow;
mod pass;
mod peak;
mod report;
mod traffic;

pub use assign::Policy;
pub use pass::{AllocPass, INFO};
pub use report::{Allocation, FunctionReport, SliceUse};

use crate::codes;
use crate::pack::Limits;
use crate::problem::Align;
use crate::search::Budget;
use collect::{Bin, Buffers};
use fill::BankFill;
use timetable_dataflow::{PressureProfile, TimeBase};
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Module, Stage};
use timetable_ir::machine::{self, Placement, keys};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::{Target, UnitId};

/// How hard and how widely to place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The search budget, shared by every bank and every attempt of a
    /// function.
    pub limits: Limits,
    /// How many of the slices nearest a buffer's consumers it is spread over
    /// before it goes farther (the [`Policy::Traffic`] window). `None`:
    /// [`default_spread`].
    pub spread: Option<u32>,
}

/// Enough slices for every VXM ALU to read two operands per cycle, each from
/// its own bank: `ceil(2 * vxm.alus / banks)` (16 on `tsp`, 2 on `tiny`).
pub fn default_spread(target: &Target) -> u32 {
    (2 * target.vxm_alus).div_ceil(target.mem.banks).max(1)
}

/// The memory of a target as bins: bank `b` of slice `s` is bin
/// `s * banks + b`.
pub(crate) struct Geometry {
    pub slices: u32,
    pub banks: u32,
    pub words_per_bank: u64,
    pub align: Align,
    /// The layout position of each slice.
    pub positions: Vec<u32>,
}

impl Geometry {
    fn new(target: &Target) -> Geometry {
        let positions = (0..target.mem_slices())
            .map(|s| {
                target
                    .position(UnitId::new(UnitClass::Mem, s))
                    .expect("every memory slice has a position")
            })
            .collect();
        Geometry {
            slices: target.mem_slices(),
            banks: target.mem.banks,
            words_per_bank: u64::from(target.mem.words_per_bank),
            align: Align::new(u64::from(target.mem.align))
                .expect("targets have a positive alignment"),
            positions,
        }
    }

    pub fn bins(&self) -> u32 {
        self.slices * self.banks
    }

    pub fn bin(&self, slice: u32, bank: u32) -> Bin {
        slice * self.banks + bank
    }

    pub fn slice_bank(&self, bin: Bin) -> (u32, u32) {
        (bin / self.banks, bin % self.banks)
    }

    /// Words on the chip.
    pub fn capacity(&self) -> u64 {
        u64::from(self.bins()) * self.words_per_bank
    }

    pub fn describe(&self, target: &Target) -> String {
        format!(
            "`@{}` has {} memory slices of {} banks of {} words ({} bytes per word)",
            target.name,
            self.slices,
            self.banks,
            self.words_per_bank,
            target.word_bytes()
        )
    }
}

/// Places every buffer of every function of `module` and raises its stage to
/// `allocated` (a scheduled module stays scheduled). Machine and allocated
/// modules are placed from scratch on the program-order clock; scheduled
/// ones on the cycle clock, keeping each placed buffer's slice and bank.
pub fn allocate(
    module: &mut Module,
    target: &Target,
    options: &Options,
) -> Result<Allocation, Diagnostics> {
    if !module.stage.is_machine() {
        return Err(vec![
            Diagnostic::error(
                codes::NEEDS_MACHINE_STAGE,
                format!("`alloc` places buffers of machine-level modules; this one is at the `{}` stage", module.stage),
            )
            .primary(module.name.span, "a tensor-level module")
            .note("lower it first: `timetable opt --passes=lower,alloc`"),
        ]);
    }
    let base = TimeBase::for_stage(module.stage);
    let mut reports = Vec::new();
    let mut diags = Vec::new();
    for func in &mut module.functions {
        match allocate_function(func, target, base, options) {
            Ok(report) => reports.push(report),
            Err(mut d) => diags.append(&mut d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    module.stage = module.stage.max(Stage::Allocated);
    Ok(Allocation { functions: reports })
}

/// Places the buffers of one function on `base`'s clock.
pub fn allocate_function(
    func: &mut Function,
    target: &Target,
    base: TimeBase,
    options: &Options,
) -> Result<FunctionReport, Diagnostics> {
    let geometry = Geometry::new(target);
    let buffers = collect::collect(func, target, &geometry, base)?;
    let profile = PressureProfile::compute(func, &buffers.ranges, target);
    if let Some(d) = overflow::chip_overflow(func, target, &geometry, &buffers, &profile, base) {
        return Err(vec![d]);
    }
    let spread = options.spread.unwrap_or_else(|| default_spread(target));
    let traffic = traffic::Traffic::analyze(func, target, &buffers, &geometry, spread);
    let mut budget = Budget::new(&options.limits);
    let mut failure: Option<Diagnostic> = None;
    for policy in Policy::ALL {
        let bin_of = match assign::assign(&buffers, &traffic, &geometry, policy) {
            Ok(bins) => bins,
            Err(no_room) => {
                failure.get_or_insert_with(|| {
                    overflow::no_room(func, target, &geometry, &buffers, no_room, base)
                });
                continue;
            }
        };
        let fills = fill::fill(&buffers, &bin_of, &geometry, &options.limits, &mut budget);
        match fills.iter().find(|f| !f.fits()) {
            Some(bad) => {
                failure.get_or_insert_with(|| {
                    overflow::bank_overflow(func, target, &geometry, &buffers, bad, base)
                });
            }
            None => {
                let spent = options.limits.nodes - budget.nodes;
                let report = report(
                    func,
                    target,
                    &buffers,
                    &fills,
                    &profile,
                    (policy, base, spent),
                );
                write(func, &geometry, &buffers, &bin_of, &fills);
                return Ok(report);
            }
        }
    }
    Err(vec![
        failure.expect("every failed attempt leaves a diagnostic"),
    ])
}

/// Writes `mem = {slice, bank, addr}` on every buffer.
fn write(
    func: &mut Function,
    geometry: &Geometry,
    buffers: &Buffers,
    bin_of: &[Bin],
    fills: &[BankFill],
) {
    let addresses = fill::addresses(buffers, fills);
    for (id, item) in buffers.items.iter().enumerate() {
        let (slice, bank) = geometry.slice_bank(bin_of[id]);
        let placement = Placement {
            slice,
            bank,
            addr: u32::try_from(addresses[id]).expect("addresses are within a bank"),
        };
        machine::buffer_attrs_mut(func, item.def).set(keys::MEM, placement.to_attr());
    }
}

fn report(
    func: &Function,
    target: &Target,
    buffers: &Buffers,
    fills: &[BankFill],
    profile: &PressureProfile,
    (policy, base, nodes): (Policy, TimeBase, u64),
) -> FunctionReport {
    let geometry = Geometry::new(target);
    let mut slices: Vec<SliceUse> = Vec::new();
    for fill in fills {
        let (slice, bank) = geometry.slice_bank(fill.bin);
        if slices.last().is_none_or(|s| s.slice != slice) {
            slices.push(SliceUse {
                slice,
                buffers: 0,
                bank_heights: vec![0; geometry.banks as usize],
                peak: 0,
            });
        }
        let used = slices.last_mut().expect("pushed above");
        used.buffers += fill.members.len();
        used.bank_heights[bank as usize] = fill.height(buffers);
    }
    for used in &mut slices {
        let members = fills
            .iter()
            .filter(|f| geometry.slice_bank(f.bin).0 == used.slice)
            .flat_map(|f| f.members.iter().copied());
        used.peak = peak::peak(buffers, members).words;
    }
    FunctionReport {
        function: func.name.text.clone(),
        base,
        span: buffers.ranges.span(),
        buffers: buffers.items.len(),
        policy,
        slices,
        words_per_bank: geometry.words_per_bank,
        banks: geometry.banks,
        slice_count: geometry.slices,
        word_bytes: u64::from(target.word_bytes()),
        height: fills.iter().map(|f| f.height(buffers)).sum(),
        bank_bound: fills
            .iter()
            .map(|f| peak::peak(buffers, f.members.iter().copied()).words)
            .sum(),
        pressure: profile.peak().words,
        pressure_time: profile.peak().time,
        nodes,
        searched: fills
            .iter()
            .filter(|f| f.outcome.stats.searched > 0)
            .count(),
        kept: fills.iter().filter(|f| f.kept).count(),
    }
}
