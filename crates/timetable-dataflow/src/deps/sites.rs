//! Where ops run on the east–west axis, as far as the IR says, and lower bounds on the
//! hops a value travels between two ops.
//!
//! A consumer reads an operand `|q - p|` cycles after it left the producer's position
//! `p`. Positions are known from an op's `unit` attribute (scheduled IR), from its
//! buffer's placement (memory ops), from its plane (MXM ops), or because the target has
//! one instance of the class. Otherwise only the class is known, and the bound is the
//! distance between the nearest instances of the two classes — never more than the true
//! distance, and often more than 0 (a VXM is always at least one hop from any memory).

use timetable_ir::attr::AttrValue;
use timetable_ir::machine::{self, keys};
use timetable_ir::registry::UnitClass;
use timetable_ir::target::UnitId;
use timetable_ir::{Function, Op, Target};

/// What the IR fixes about where an op runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// A known slice position.
    At(u32),
    /// Some instance of a class.
    Anywhere(UnitClass),
    /// A pseudo-op: no unit, no position.
    Nowhere,
}

/// How the hop distances of data dependences were bounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HopStats {
    /// Both ends at known positions: the exact distance.
    pub exact: usize,
    /// At least one end known only by its class: the nearest-instance distance.
    pub nearest: usize,
}

/// Distances between positions and classes on one target.
pub struct HopModel<'t> {
    target: &'t Target,
    /// `nearest[class][position]`: distance from a position to the closest instance.
    nearest: Vec<Vec<u32>>,
    /// `between[a][b]`: distance between the closest instances of two classes.
    between: Vec<Vec<u32>>,
}

fn class_slot(class: UnitClass) -> usize {
    UnitClass::ALL
        .iter()
        .position(|&c| c == class)
        .expect("every class is in ALL")
}

impl<'t> HopModel<'t> {
    pub fn new(target: &'t Target) -> Self {
        let width = target.positions().len();
        let nearest = UnitClass::ALL
            .iter()
            .map(|&class| {
                let at: Vec<u32> = (0..width as u32)
                    .filter(|&p| target.positions()[p as usize].class == class)
                    .collect();
                (0..width as u32)
                    .map(|p| at.iter().map(|&q| p.abs_diff(q)).min().unwrap_or(0))
                    .collect()
            })
            .collect::<Vec<Vec<u32>>>();
        let between = UnitClass::ALL
            .iter()
            .map(|&a| {
                (0..UnitClass::ALL.len())
                    .map(|b| {
                        (0..width)
                            .filter(|&p| target.positions()[p].class == a)
                            .map(|p| nearest[b][p])
                            .min()
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect();
        HopModel {
            target,
            nearest,
            between,
        }
    }

    /// Where `op` runs, as far as its attributes, its buffer's placement and the target
    /// say.
    pub fn site(&self, func: &Function, op: &Op) -> Site {
        let Some(class) = op.def().unit else {
            return Site::Nowhere;
        };
        let unit = op
            .attrs
            .get(keys::UNIT)
            .and_then(AttrValue::as_str)
            .and_then(|s| s.parse::<UnitId>().ok())
            .or_else(|| match class {
                UnitClass::Mem => op
                    .operands
                    .iter()
                    .find(|&&v| func.ty(v).is_mem())
                    .and_then(|&b| machine::placement(func, b))
                    .map(|p| p.unit()),
                UnitClass::Mxm => op
                    .attrs
                    .get("plane")
                    .and_then(AttrValue::as_u64)
                    .and_then(|p| u32::try_from(p).ok())
                    .and_then(|p| self.target.plane_unit(p)),
                _ => None,
            })
            .or_else(|| (self.target.unit_count(class) == 1).then(|| UnitId::new(class, 0)));
        match unit.and_then(|u| self.target.position(u)) {
            Some(p) => Site::At(p),
            None => Site::Anywhere(class),
        }
    }

    /// A lower bound on the hops from `from` to `to`, and whether it is exact.
    pub fn hops(&self, from: Site, to: Site) -> (u32, bool) {
        match (from, to) {
            (Site::At(p), Site::At(q)) => (p.abs_diff(q), true),
            (Site::At(p), Site::Anywhere(c)) | (Site::Anywhere(c), Site::At(p)) => {
                (self.nearest[class_slot(c)][p as usize], false)
            }
            (Site::Anywhere(a), Site::Anywhere(b)) => {
                (self.between[class_slot(a)][class_slot(b)], false)
            }
            (Site::Nowhere, _) | (_, Site::Nowhere) => (0, true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_instance_distances_on_tsp() {
        let t = timetable_ir::target::builtin("tsp").unwrap();
        let m = HopModel::new(t);
        let vxm = t.position(UnitId::new(UnitClass::Vxm, 0)).unwrap();
        use Site::{Anywhere, At, Nowhere};
        use UnitClass::{Mem, Mxm, Sxm, Vxm};
        let cases = [
            // MEM slices flank the VXM.
            (At(vxm), Anywhere(Mem), (1, false)),
            (Anywhere(Vxm), Anywhere(Mem), (1, false)),
            // The MXM and the VXM are separated by an SXM and 44 MEM slices.
            (Anywhere(Mxm), At(vxm), (46, false)),
            (Anywhere(Sxm), Anywhere(Sxm), (0, false)),
            (At(3), At(10), (7, true)),
            (Nowhere, At(10), (0, true)),
        ];
        for (from, to, expected) in cases {
            assert_eq!(m.hops(from, to), expected, "{from:?} -> {to:?}");
        }
    }
}
