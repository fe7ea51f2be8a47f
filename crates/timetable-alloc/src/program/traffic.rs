//! Where each buffer's data flows: the units that consume what it reads and
//! produce what it writes (for the hop cost of each slice), how busy it is
//! (accesses per unit of time), and which buffers are read by the same op
//! (kept in different banks so that their reads can issue together).

use super::Geometry;
use super::collect::{Buffers, Item, ItemId, accesses};
use std::collections::HashMap;
use timetable_ir::ir::{Function, Op, ValueDef};
use timetable_ir::machine::keys;
use timetable_ir::registry::{Access, Opcode, UnitClass};
use timetable_ir::target::{Target, UnitId};

/// A unit a buffer's data travels to or from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Endpoint {
    /// The unit at this position (bound by the schedule, a plane, or the
    /// only instance of its class).
    At(u32),
    /// One of several instances the scheduler will choose from: the nearest
    /// one counts.
    Nearest(UnitClass),
}

/// Slices in order of preference for one traffic profile.
pub(crate) struct SliceOrder {
    /// Every slice, lowest hop cost first (ties to the lower index).
    pub slices: Vec<u32>,
    /// The first `window` slices are where the buffer is spread first.
    pub window: usize,
}

/// Traffic facts of every buffer of a function.
pub(crate) struct Traffic {
    /// The slice order of each item (an index into `orders`).
    pub order_of: Vec<u32>,
    pub orders: Vec<SliceOrder>,
    /// Accesses per unit of time, times [`RATE_SCALE`].
    pub rate: Vec<u64>,
    /// Buffers read by one op: each group is kept in pairwise different banks
    /// where there is room.
    pub groups: Vec<Vec<ItemId>>,
    pub groups_of: Vec<Vec<u32>>,
}

/// Fixed-point scale of access rates.
const RATE_SCALE: u64 = 1 << 16;

impl Traffic {
    pub fn analyze(
        func: &Function,
        target: &Target,
        buffers: &Buffers,
        geometry: &Geometry,
        spread: u32,
    ) -> Traffic {
        let units = Units::new(target);
        let mut profiles: HashMap<Vec<(Endpoint, u32)>, u32> = HashMap::new();
        let mut orders = Vec::new();
        let mut order_of = Vec::with_capacity(buffers.items.len());
        for item in &buffers.items {
            let profile = profile(func, buffers, item, &units);
            let next = orders.len() as u32;
            let id = *profiles.entry(profile).or_insert_with_key(|profile| {
                orders.push(slice_order(profile, geometry, &units, spread));
                next
            });
            order_of.push(id);
        }
        let rate = buffers
            .items
            .iter()
            .map(|item| u64::from(item.accesses) * RATE_SCALE / item.live.len().max(1))
            .collect();
        let (groups, groups_of) = read_together(func, buffers);
        Traffic {
            order_of,
            orders,
            rate,
            groups,
            groups_of,
        }
    }
}

/// Positions of the unit instances of each class.
struct Units {
    of_class: HashMap<UnitClass, Vec<u32>>,
    /// The position of the MXM holding each plane.
    planes: Vec<u32>,
}

impl Units {
    fn new(target: &Target) -> Units {
        let mut of_class: HashMap<UnitClass, Vec<u32>> = HashMap::new();
        for (position, unit) in target.positions().iter().enumerate() {
            of_class
                .entry(unit.class)
                .or_default()
                .push(position as u32);
        }
        let mxms = of_class.get(&UnitClass::Mxm).cloned().unwrap_or_default();
        let planes = mxms
            .iter()
            .flat_map(|&p| std::iter::repeat_n(p, target.mxm_planes as usize))
            .collect();
        Units { of_class, planes }
    }

    fn position(&self, unit: UnitId) -> Option<u32> {
        self.of_class
            .get(&unit.class)?
            .get(unit.index as usize)
            .copied()
    }

    /// Where an op's data meets memory: its scheduled unit, the MXM of its
    /// plane, or its class when the scheduler has a choice. Memory and
    /// instruction-control ops have no say.
    fn endpoint(&self, op: &Op) -> Option<Endpoint> {
        let scheduled = op
            .attrs
            .get(keys::UNIT)
            .and_then(|u| u.as_str())
            .and_then(|u| u.parse::<UnitId>().ok());
        if let Some(unit) = scheduled {
            return self.position(unit).map(Endpoint::At);
        }
        match op.def().unit? {
            UnitClass::Mxm => {
                let plane = op.attrs.get("plane").and_then(|p| p.as_u64())?;
                self.planes
                    .get(usize::try_from(plane).ok()?)
                    .map(|&p| Endpoint::At(p))
            }
            class @ (UnitClass::Vxm | UnitClass::Sxm) => {
                match self.of_class.get(&class)?.as_slice() {
                    [] => None,
                    [only] => Some(Endpoint::At(*only)),
                    _ => Some(Endpoint::Nearest(class)),
                }
            }
            UnitClass::Mem | UnitClass::Icu => None,
        }
    }

    /// Hops between a slice position and an endpoint.
    fn hops(&self, position: u32, endpoint: Endpoint) -> u64 {
        let distance = |q: u32| u64::from(position.abs_diff(q));
        match endpoint {
            Endpoint::At(q) => distance(q),
            Endpoint::Nearest(class) => self.of_class[&class]
                .iter()
                .map(|&q| distance(q))
                .min()
                .unwrap_or(0),
        }
    }
}

/// The endpoints of a buffer's traffic with how often each occurs, sorted.
fn profile(func: &Function, buffers: &Buffers, item: &Item, units: &Units) -> Vec<(Endpoint, u32)> {
    let mut counts: HashMap<Endpoint, u32> = HashMap::new();
    let du = &buffers.defuse;
    for u in du.uses(item.value) {
        let op = func.op(u.op);
        for (access, buffer) in accesses(op) {
            if buffer != item.value {
                continue;
            }
            let ends: Vec<&Op> = match access {
                // What reads the vector it puts on a stream.
                Access::Read => op
                    .results
                    .iter()
                    .flat_map(|&r| du.uses(r))
                    .map(|c| func.op(c.op))
                    .collect(),
                // What produced the vector it stores.
                Access::Write => op
                    .operands
                    .iter()
                    .filter(|&&v| !func.ty(v).is_mem())
                    .filter_map(|&v| match func.value(v).def {
                        ValueDef::Result { op, .. } => Some(func.op(op)),
                        ValueDef::Arg(_) => None,
                    })
                    .collect(),
            };
            for end in ends {
                if let Some(e) = units.endpoint(end) {
                    *counts.entry(e).or_default() += 1;
                }
            }
        }
    }
    let mut profile: Vec<(Endpoint, u32)> = counts.into_iter().collect();
    profile.sort_unstable();
    profile
}

/// Slices by total hop cost over the profile (nearest first); the window is
/// the `spread` nearest, plus any tying the last of them. A buffer with no
/// known endpoint has no preference: its window is the whole chip.
fn slice_order(
    profile: &[(Endpoint, u32)],
    geometry: &Geometry,
    units: &Units,
    spread: u32,
) -> SliceOrder {
    let cost = |slice: u32| -> u64 {
        let position = geometry.positions[slice as usize];
        profile
            .iter()
            .map(|&(e, count)| u64::from(count) * units.hops(position, e))
            .sum()
    };
    let mut ranked: Vec<(u64, u32)> = (0..geometry.slices).map(|s| (cost(s), s)).collect();
    ranked.sort_unstable();
    let mut window = (spread as usize).clamp(1, ranked.len());
    while window < ranked.len() && ranked[window].0 == ranked[window - 1].0 {
        window += 1;
    }
    SliceOrder {
        slices: ranked.into_iter().map(|(_, s)| s).collect(),
        window,
    }
}

/// Groups of buffers whose reads feed one op, and the groups of each buffer.
fn read_together(func: &Function, buffers: &Buffers) -> (Vec<Vec<ItemId>>, Vec<Vec<u32>>) {
    let mut groups = Vec::new();
    let mut groups_of = vec![Vec::new(); buffers.items.len()];
    let mut members = Vec::new();
    for (_, op) in func.body_ops() {
        if op.operands.len() < 2 {
            continue;
        }
        members.clear();
        for &v in &op.operands {
            let ValueDef::Result { op: producer, .. } = func.value(v).def else {
                continue;
            };
            let producer = func.op(producer);
            if producer.opcode != Opcode::MemRead {
                continue;
            }
            if let Some(id) = producer
                .operands
                .first()
                .and_then(|b| buffers.item_of[b.index()])
            {
                members.push(id);
            }
        }
        members.sort_unstable();
        members.dedup();
        if members.len() >= 2 {
            let group = groups.len() as u32;
            for &id in &members {
                groups_of[id].push(group);
            }
            groups.push(members.clone());
        }
    }
    (groups, groups_of)
}
