//! Work per functional-unit class: the resource lower bound on the makespan.
//!
//! A class with `k` instances that each issue `w` ops per cycle needs at least
//! `ceil(ops / (k·w))` issue cycles. Where the IR binds ops to one instance — MXM ops to
//! their plane, memory ops to the bank of their buffer's placement, VXM and SXM ops to
//! the `unit` of their slot — the busiest instance gives a bound of its own. ICU ops are
//! left out: the target gives instruction queues no issue width.

use crate::program::op_latency;
use std::collections::BTreeMap;
use std::fmt;
use timetable_ir::attr::AttrValue;
use timetable_ir::machine::{self, keys};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::UnitId;
use timetable_ir::{Function, Op, Target};

/// What does the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// Every instance of a class together.
    Class(UnitClass),
    /// One VXM or SXM (from `unit` attributes).
    Unit(UnitId),
    /// One MXM weight plane (global index).
    Plane(u32),
    /// One bank of one memory slice (from placements).
    Bank { slice: u32, bank: u32 },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Class(c) => write!(f, "{c}"),
            Resource::Unit(u) => write!(f, "{u}"),
            Resource::Plane(p) => write!(f, "mxm plane {p}"),
            Resource::Bank { slice, bank } => write!(f, "mem.{slice} bank {bank}"),
        }
    }
}

/// The work on one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceWork {
    pub resource: Resource,
    pub ops: u64,
    /// Ops the resource can issue per cycle.
    pub per_cycle: u32,
    /// The smallest functional delay among its ops.
    pub min_latency: u32,
}

impl ResourceWork {
    /// Cycles in which the resource must issue something.
    pub fn issue_cycles(&self) -> u64 {
        self.ops.div_ceil(u64::from(self.per_cycle))
    }

    /// A lower bound on the makespan: the last of its ops issues no earlier than cycle
    /// `issue_cycles - 1` and completes `min_latency` cycles later.
    pub fn bound(&self) -> u64 {
        match self.issue_cycles() {
            0 => 0,
            c => c - 1 + u64::from(self.min_latency),
        }
    }
}

/// Ops a class can issue per cycle over the whole chip (`None` for ICU queues).
fn class_width(class: UnitClass, target: &Target) -> Option<u32> {
    let per_instance = match class {
        UnitClass::Mem => target.mem.banks,
        UnitClass::Vxm => target.vxm_alus,
        UnitClass::Mxm => target.mxm_planes,
        UnitClass::Sxm => target.sxm_issue,
        UnitClass::Icu => return None,
    };
    Some(target.unit_count(class) * per_instance).filter(|&w| w > 0)
}

/// The instance an op is bound to, with that instance's issue width.
fn instance(
    func: &Function,
    op: &Op,
    class: UnitClass,
    target: &Target,
) -> Option<(Resource, u32)> {
    match class {
        UnitClass::Mxm => {
            let plane = op.attrs.get("plane").and_then(AttrValue::as_u64)?;
            Some((Resource::Plane(u32::try_from(plane).ok()?), 1))
        }
        UnitClass::Mem => {
            let buffer = *op.operands.iter().find(|&&v| func.ty(v).is_mem())?;
            let p = machine::placement(func, buffer)?;
            Some((
                Resource::Bank {
                    slice: p.slice,
                    bank: p.bank,
                },
                1,
            ))
        }
        UnitClass::Vxm | UnitClass::Sxm => {
            let unit: UnitId = op.attrs.get(keys::UNIT)?.as_str()?.parse().ok()?;
            let width = if class == UnitClass::Vxm {
                target.vxm_alus
            } else {
                target.sxm_issue
            };
            Some((Resource::Unit(unit), width))
        }
        UnitClass::Icu => None,
    }
}

/// Ops counted on one resource (entries exist only once an op is added).
#[derive(Clone, Copy)]
struct Tally {
    ops: u64,
    min_latency: u32,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            ops: 0,
            min_latency: u32::MAX,
        }
    }
}

impl Tally {
    fn add(&mut self, latency: u32) {
        self.ops += 1;
        self.min_latency = self.min_latency.min(latency);
    }

    fn work(self, resource: Resource, per_cycle: u32) -> ResourceWork {
        ResourceWork {
            resource,
            ops: self.ops,
            per_cycle,
            min_latency: self.min_latency,
        }
    }
}

/// The work of each class with ops, each followed by its busiest bound instance (if
/// the IR binds its ops), in class order.
pub fn resource_work(func: &Function, target: &Target) -> Vec<ResourceWork> {
    let mut classes: BTreeMap<UnitClass, Tally> = BTreeMap::new();
    let mut instances: BTreeMap<UnitClass, BTreeMap<(Resource, u32), Tally>> = BTreeMap::new();
    for (_, op) in func.body_ops() {
        let Some(class) = op.def().unit else { continue };
        if class_width(class, target).is_none() {
            continue;
        }
        let latency = op_latency(op, target);
        classes.entry(class).or_default().add(latency);
        if let Some(key) = instance(func, op, class, target) {
            instances
                .entry(class)
                .or_default()
                .entry(key)
                .or_default()
                .add(latency);
        }
    }
    let mut out = Vec::new();
    for (class, tally) in classes {
        let Some(width) = class_width(class, target) else {
            continue;
        };
        out.push(tally.work(Resource::Class(class), width));
        let busiest = instances
            .get(&class)
            .into_iter()
            .flatten()
            .map(|(&(r, w), t)| t.work(r, w))
            .reduce(|best, w| if w.bound() > best.bound() { w } else { best });
        out.extend(busiest);
    }
    out
}
