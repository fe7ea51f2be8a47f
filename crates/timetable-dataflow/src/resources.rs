//! Work per functional-unit class: the resource lower bound on the makespan.
//!
//! A class with `k` instances that each issue `w` ops per cycle needs at least
//! `ceil(ops / (k·w))` issue cycles. Where the IR binds ops to one instance — MXM ops to
//! their plane, memory ops to the bank of their buffer's placement, VXM and SXM ops to
//! the `unit` of their slot — the busiest instance gives a bound of its own. ICU ops are
//! left out: the target gives instruction queues no issue width.
//!
//! With the critical path's heads and tails (the earliest issue of each op, and the
//! cycles the function needs at least from its issue to the end), the bound is the
//! one-machine relaxation: ops that cannot start before cycle `h` still need their issue
//! cycles after `h`, and the last of them its tail. A resource whose work comes in a late
//! phase (an SXM fed by a long chain) is bounded much more tightly than by its work
//! alone.

use crate::critical_path::CriticalPath;
use crate::deps::DepGraph;
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
    /// No schedule completes before this cycle (see [`ResourceWork::bound`]).
    bound: u64,
}

impl ResourceWork {
    /// Cycles in which the resource must issue something.
    pub fn issue_cycles(&self) -> u64 {
        self.ops.div_ceil(u64::from(self.per_cycle))
    }

    /// A lower bound on the makespan: over every set of its ops that issue no earlier
    /// than some cycle `h` (their heads), `h` + their issue cycles - 1 + the least of
    /// their tails; and the same with the roles of heads and tails swapped. Without
    /// heads and tails (no dependence graph), heads are 0 and tails the ops' delays:
    /// the last op issues no earlier than cycle `issue_cycles - 1` and completes
    /// `min_latency` cycles later.
    pub fn bound(&self) -> u64 {
        self.bound
    }
}

/// Per op (by handle index): its head and tail, `(earliest issue, cycles from its
/// issue until the function can complete)`.
type HeadsTails = Vec<(u64, u64)>;

fn heads_and_tails(
    func: &Function,
    target: &Target,
    timing: Option<(&DepGraph, &CriticalPath)>,
) -> HeadsTails {
    let mut out: HeadsTails = func
        .ops
        .iter()
        .map(|(_, op)| (0, u64::from(op_latency(op, target))))
        .collect();
    if let Some((deps, cp)) = timing {
        for node in 0..deps.len() {
            let tail = cp.length() - cp.alap(node);
            out[deps.op(node).index()] = (cp.asap(node), tail);
        }
    }
    out
}

/// The one-machine bound of [`ResourceWork::bound`] over `(head, tail)` pairs.
fn window_bound(ops: &mut [(u64, u64)], per_cycle: u32) -> u64 {
    let per_cycle = u64::from(per_cycle.max(1));
    // Latest heads first: each prefix is "the ops that issue no earlier than `h`".
    let sweep = |ops: &[(u64, u64)]| {
        let mut least_tail = u64::MAX;
        let mut best = 0;
        for (count, &(head, tail)) in ops.iter().enumerate() {
            least_tail = least_tail.min(tail);
            let cycles = (count as u64 + 1).div_ceil(per_cycle);
            best = best.max(head + cycles - 1 + least_tail).max(head + tail);
        }
        best
    };
    ops.sort_unstable_by_key(|op| std::cmp::Reverse(op.0));
    let by_heads = sweep(ops);
    for op in ops.iter_mut() {
        *op = (op.1, op.0);
    }
    ops.sort_unstable_by_key(|op| std::cmp::Reverse(op.0));
    let by_tails = sweep(ops);
    by_heads.max(by_tails)
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

/// Ops counted on one resource (entries exist only once an op is added): their heads
/// and tails.
#[derive(Default)]
struct Tally {
    ops: Vec<(u64, u64)>,
    min_latency: u32,
}

impl Tally {
    fn add(&mut self, latency: u32, head_tail: (u64, u64)) {
        if self.ops.is_empty() {
            self.min_latency = latency;
        }
        self.min_latency = self.min_latency.min(latency);
        self.ops.push(head_tail);
    }

    fn work(mut self, resource: Resource, per_cycle: u32) -> ResourceWork {
        ResourceWork {
            resource,
            ops: self.ops.len() as u64,
            per_cycle,
            min_latency: self.min_latency,
            bound: window_bound(&mut self.ops, per_cycle),
        }
    }
}

/// The work of each class with ops, each followed by its busiest bound instance (if
/// the IR binds its ops), in class order. With `timing` (the dependence graph and its
/// critical path), bounds use heads and tails.
pub fn resource_work(
    func: &Function,
    target: &Target,
    timing: Option<(&DepGraph, &CriticalPath)>,
) -> Vec<ResourceWork> {
    let heads_tails = heads_and_tails(func, target, timing);
    let mut classes: BTreeMap<UnitClass, Tally> = BTreeMap::new();
    let mut instances: BTreeMap<UnitClass, BTreeMap<(Resource, u32), Tally>> = BTreeMap::new();
    for (h, op) in func.body_ops() {
        let Some(class) = op.def().unit else { continue };
        if class_width(class, target).is_none() {
            continue;
        }
        let latency = op_latency(op, target);
        let head_tail = heads_tails[h.index()];
        classes.entry(class).or_default().add(latency, head_tail);
        if let Some(key) = instance(func, op, class, target) {
            instances
                .entry(class)
                .or_default()
                .entry(key)
                .or_default()
                .add(latency, head_tail);
        }
    }
    let mut out = Vec::new();
    for (class, tally) in classes {
        let Some(width) = class_width(class, target) else {
            continue;
        };
        out.push(tally.work(Resource::Class(class), width));
        let busiest = instances
            .remove(&class)
            .into_iter()
            .flatten()
            .map(|((r, w), t)| t.work(r, w))
            .reduce(|best, w| if w.bound() > best.bound() { w } else { best });
        out.extend(busiest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::window_bound;

    /// The best makespan of unit ops with heads and tails on a resource issuing
    /// `per_cycle` a cycle, over every order placed each at its earliest free cycle (the
    /// serial schedule generation scheme, which reaches an optimum).
    fn optimum(ops: &[(u64, u64)], per_cycle: u32) -> u64 {
        fn go(left: &mut Vec<(u64, u64)>, used: &mut Vec<u64>, per_cycle: u32, end: u64) -> u64 {
            if left.is_empty() {
                return end;
            }
            let mut best = u64::MAX;
            for i in 0..left.len() {
                let (head, tail) = left.remove(i);
                let mut t = head;
                while used.iter().filter(|&&u| u == t).count() as u32 >= per_cycle {
                    t += 1;
                }
                used.push(t);
                best = best.min(go(left, used, per_cycle, end.max(t + tail)));
                used.pop();
                left.insert(i, (head, tail));
            }
            best
        }
        go(&mut ops.to_vec(), &mut Vec::new(), per_cycle, 0)
    }

    #[test]
    fn the_bound_is_tight_on_a_late_phase() {
        // One early op, three that cannot start before cycle 10.
        let mut ops = vec![(0, 1), (10, 1), (10, 1), (10, 1)];
        assert_eq!(window_bound(&mut ops, 1), 13);
        // Tails: three ops that leave 10 cycles of work after them.
        let mut ops = vec![(0, 10), (0, 10), (0, 10), (0, 1)];
        assert_eq!(window_bound(&mut ops, 1), 12);
    }

    #[test]
    fn the_bound_never_exceeds_the_optimum() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..400 {
            let n = 1 + next(6) as usize;
            let per_cycle = 1 + next(2) as u32;
            let ops: Vec<(u64, u64)> = (0..n).map(|_| (next(6), 1 + next(6))).collect();
            let best = optimum(&ops, per_cycle);
            let bound = window_bound(&mut ops.clone(), per_cycle);
            assert!(
                bound <= best,
                "{ops:?} / {per_cycle}: bound {bound} > optimum {best}"
            );
            let trivial = ops.iter().map(|&(h, t)| h + t).max().unwrap();
            assert!(bound >= trivial, "{ops:?}: bound {bound} below {trivial}");
        }
    }
}
