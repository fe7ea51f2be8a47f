//! Lower bounds for the scheduler and allocator reports: no schedule of a function is
//! shorter than [`LowerBounds::makespan`], and no allocation uses less memory than
//! [`LowerBounds::memory`].

use crate::critical_path::CriticalPath;
use crate::deps::{DepGraph, HopStats};
use crate::liveness::live_ranges;
use crate::pressure::PressureProfile;
use crate::program::TimeBase;
use crate::resources::{Resource, ResourceWork, resource_work};
use timetable_ir::diag::Diagnostic;
use timetable_ir::{Function, Target};

/// What limits the makespan bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bottleneck {
    /// The longest dependence chain (or nothing, for an empty function).
    CriticalPath,
    /// The work on one resource.
    Resource(Resource),
}

/// The memory lower bound: peak words of live buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBound {
    /// The clock the live ranges were measured on.
    pub base: TimeBase,
    /// When the peak is first reached.
    pub time: u64,
    pub words: u64,
    pub bytes: u64,
    /// Words of memory on the chip.
    pub capacity_words: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerBounds {
    /// Critical path length in cycles.
    pub critical_path: u64,
    /// Per-class work and the busiest bound instances ([`resource_work`]).
    pub resources: Vec<ResourceWork>,
    /// `max(critical_path, every resource bound)`: no schedule completes sooner.
    pub makespan: u64,
    pub bottleneck: Bottleneck,
    pub memory: MemoryBound,
    /// How the hop distances in the critical path were bounded.
    pub hops: HopStats,
}

impl LowerBounds {
    /// Combines analyses already computed (the `analyze` command has them at hand).
    pub fn from_parts(
        deps: &DepGraph,
        cp: &CriticalPath,
        resources: Vec<ResourceWork>,
        pressure: &PressureProfile,
    ) -> LowerBounds {
        let (makespan, bottleneck) = makespan_bound(cp.length(), &resources);
        let peak = pressure.peak();
        LowerBounds {
            critical_path: cp.length(),
            resources,
            makespan,
            bottleneck,
            memory: MemoryBound {
                base: pressure.base(),
                time: peak.time,
                words: peak.words,
                bytes: pressure.peak_bytes(),
                capacity_words: pressure.capacity_words(),
            },
            hops: deps.hop_stats(),
        }
    }
}

/// `max(critical path, every resource bound)` and what attains it (the critical path on
/// ties).
pub fn makespan_bound(critical_path: u64, resources: &[ResourceWork]) -> (u64, Bottleneck) {
    resources.iter().fold(
        (critical_path, Bottleneck::CriticalPath),
        |(best, by), r| {
            if r.bound() > best {
                (r.bound(), Bottleneck::Resource(r.resource))
            } else {
                (best, by)
            }
        },
    )
}

/// The lower bounds of a machine-level function. Memory pressure is measured on `base`:
/// program order for unscheduled IR, cycles for scheduled IR (which fails if a unit op
/// has no issue cycle). The makespan bound holds for every schedule, whatever `base`.
pub fn lower_bounds(
    func: &Function,
    target: &Target,
    base: TimeBase,
) -> Result<LowerBounds, Diagnostic> {
    let ranges = live_ranges(func, target, base)?;
    let deps = DepGraph::build(func, target);
    let cp = CriticalPath::compute(&deps);
    let pressure = PressureProfile::compute(func, &ranges, target);
    Ok(LowerBounds::from_parts(
        &deps,
        &cp,
        resource_work(func, target, Some((&deps, &cp))),
        &pressure,
    ))
}
