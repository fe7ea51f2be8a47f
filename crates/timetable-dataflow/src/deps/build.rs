//! Building the dependence DAG in one pass over the body.

use super::sites::{HopModel, HopStats, Site};
use super::{Cause, Dep, DepGraph, DepKind, MemoryLocation};
use crate::program::op_latency;
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use timetable_ir::effects::{self, Location};
use timetable_ir::machine::{self, Placement};
use timetable_ir::registry::Access;
use timetable_ir::{Function, Target};

/// The dependence from an earlier access to a later access of one location, with the
/// minimum issue distance (`Lw`: the writer's functional delay):
///
/// | earlier → later | kind | latency | why |
/// |---|---|---|---|
/// | write → read | RAW | `Lw` | the data is readable `Lw` cycles after the write issues |
/// | read → write | WAR | 0 | reads happen at issue; a write issued with or after it lands later |
/// | write₁ → write₂ | WAW | `max(0, Lw₁ + 1 - Lw₂)` | the second write must land after the first |
/// | read → read | none | | |
pub fn memory_dep(earlier: (Access, u32), later: (Access, u32)) -> Option<(DepKind, u32)> {
    match (earlier.0, later.0) {
        (Access::Read, Access::Read) => None,
        (Access::Write, Access::Read) => Some((DepKind::Raw, earlier.1)),
        (Access::Read, Access::Write) => Some((DepKind::War, 0)),
        (Access::Write, Access::Write) => {
            Some((DepKind::Waw, (earlier.1 + 1).saturating_sub(later.1)))
        }
    }
}

/// An access by the op at `pos` whose functional delay is `latency`.
#[derive(Clone, Copy)]
struct Accessor {
    pos: u32,
    access: Access,
    latency: u32,
}

impl Accessor {
    /// The edge from `self` (earlier) to `later`, if the two accesses conflict.
    fn dep_to(self, later: Accessor, location: MemoryLocation) -> Option<Dep> {
        if self.pos == later.pos {
            return None;
        }
        let (kind, latency) =
            memory_dep((self.access, self.latency), (later.access, later.latency))?;
        Some(Dep {
            from: self.pos,
            kind,
            latency,
            cause: Cause::Memory(location),
        })
    }
}

#[derive(Default)]
struct LocationState {
    last_write: Option<Accessor>,
    reads_since: Vec<Accessor>,
}

/// Per-location history: the last writer and the readers since it, so each access adds
/// at most one edge per earlier access it is the first to follow.
#[derive(Default)]
struct MemoryTable {
    locations: FxHashMap<MemoryLocation, LocationState>,
    /// The last barrier, and every effectful access since it.
    barrier: Option<Accessor>,
    since_barrier: Vec<Accessor>,
}

const BARRIER: MemoryLocation = MemoryLocation::State(Location::Barrier);

impl MemoryTable {
    fn visit(&mut self, accesses: &[(Accessor, MemoryLocation)], out: &mut Vec<Dep>) {
        let Some(&(first, _)) = accesses.first() else {
            return;
        };
        if accesses.iter().any(|&(_, l)| l == BARRIER) {
            // A barrier is ordered after everything since the previous one, which is
            // already ordered after that one.
            let me = Accessor {
                access: Access::Write,
                ..first
            };
            let earlier = self.since_barrier.drain(..).chain(self.barrier);
            out.extend(earlier.filter_map(|a| a.dep_to(me, BARRIER)));
            self.barrier = Some(me);
            return;
        }
        for &(a, location) in accesses {
            if let Some(b) = self.barrier {
                out.extend(b.dep_to(a, BARRIER));
            }
            let state = self.locations.entry(location).or_default();
            match a.access {
                Access::Read => {
                    out.extend(state.last_write.and_then(|w| w.dep_to(a, location)));
                    state.reads_since.push(a);
                }
                Access::Write => {
                    out.extend(
                        state
                            .reads_since
                            .drain(..)
                            .filter_map(|r| r.dep_to(a, location)),
                    );
                    out.extend(state.last_write.and_then(|w| w.dep_to(a, location)));
                    state.last_write = Some(a);
                }
            }
        }
        let writes = accesses.iter().any(|(a, _)| a.access == Access::Write);
        self.since_barrier.push(Accessor {
            access: if writes { Access::Write } else { Access::Read },
            ..first
        });
    }
}

/// Expands an op's effect locations: elements of placed buffers become the words they
/// occupy, so buffers whose address ranges overlap are ordered word by word.
fn expand(
    location: Location,
    func: &Function,
    target: &Target,
    placements: &[Option<Placement>],
    out: &mut Vec<MemoryLocation>,
) {
    let Location::BufferElement { buffer, index } = location else {
        out.push(MemoryLocation::State(location));
        return;
    };
    let Some(p) = placements[buffer.index()] else {
        out.push(MemoryLocation::State(location));
        return;
    };
    let words = target.vector_words(func.ty(buffer).elem());
    let first = p.addr + index * words;
    out.extend((first..first + words).map(|addr| MemoryLocation::Word {
        slice: p.slice,
        bank: p.bank,
        addr,
    }));
}

pub(super) fn build(func: &Function, target: &Target) -> DepGraph {
    let n = func.body.len();
    let model = HopModel::new(target);
    let sites: Vec<Site> = func
        .body_ops()
        .map(|(_, op)| model.site(func, op))
        .collect();
    let latency: Vec<u32> = func
        .body_ops()
        .map(|(_, op)| op_latency(op, target))
        .collect();
    let mut placements: Vec<Option<Placement>> = vec![None; func.values.len()];
    for (b, _) in machine::buffers(func) {
        placements[b.index()] = machine::placement(func, b);
    }

    // The body index producing each vector (buffers are not data in flight).
    let mut producer = vec![u32::MAX; func.values.len()];
    for (pos, (_, op)) in func.body_ops().enumerate() {
        for &r in &op.results {
            if !func.ty(r).is_mem() {
                producer[r.index()] = pos as u32;
            }
        }
    }

    let mut table = MemoryTable::default();
    let mut pred_start = Vec::with_capacity(n + 1);
    pred_start.push(0u32);
    let mut preds: Vec<Dep> = Vec::with_capacity(n * 2);
    let mut incoming: Vec<Dep> = Vec::new();
    let mut accesses: Vec<(Accessor, MemoryLocation)> = Vec::new();
    let mut expanded: Vec<MemoryLocation> = Vec::new();
    let mut hops = HopStats::default();

    for (pos, (_, op)) in func.body_ops().enumerate() {
        incoming.clear();
        for &v in &op.operands {
            let from = producer[v.index()] as usize;
            if from < pos {
                let (d, _) = model.hops(sites[from], sites[pos]);
                incoming.push(Dep {
                    from: from as u32,
                    kind: DepKind::Data,
                    latency: latency[from] + d,
                    cause: Cause::Value(v),
                });
            }
        }
        accesses.clear();
        for (access, location) in effects::locations(func, op) {
            expanded.clear();
            expand(location, func, target, &placements, &mut expanded);
            let a = Accessor {
                pos: pos as u32,
                access,
                latency: latency[pos],
            };
            accesses.extend(expanded.iter().map(|&l| (a, l)));
        }
        table.visit(&accesses, &mut incoming);
        // One edge per (source, kind): the tightest.
        incoming.sort_unstable_by_key(|d| (d.from, d.kind, Reverse(d.latency)));
        incoming.dedup_by_key(|d| (d.from, d.kind));
        for d in incoming.iter().filter(|d| d.kind == DepKind::Data) {
            let exact = model.hops(sites[d.from as usize], sites[pos]).1;
            if exact {
                hops.exact += 1;
            } else {
                hops.nearest += 1;
            }
        }
        preds.extend_from_slice(&incoming);
        pred_start.push(preds.len() as u32);
    }

    // Successor lists by counting sort over the edges' sources.
    let mut succ_start = vec![0u32; n + 1];
    for d in &preds {
        succ_start[d.from as usize + 1] += 1;
    }
    for i in 1..=n {
        succ_start[i] += succ_start[i - 1];
    }
    let mut fill = succ_start.clone();
    let mut succs = vec![(0u32, 0u32); preds.len()];
    for to in 0..n {
        for e in pred_start[to]..pred_start[to + 1] {
            let from = preds[e as usize].from as usize;
            succs[fill[from] as usize] = (to as u32, e);
            fill[from] += 1;
        }
    }

    DepGraph {
        ops: func.body.clone(),
        latency,
        pred_start,
        preds,
        succ_start,
        succs,
        hops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_latencies() {
        use Access::{Read, Write};
        assert_eq!(memory_dep((Write, 3), (Read, 2)), Some((DepKind::Raw, 3)));
        assert_eq!(memory_dep((Read, 2), (Write, 3)), Some((DepKind::War, 0)));
        assert_eq!(memory_dep((Write, 1), (Write, 1)), Some((DepKind::Waw, 1)));
        assert_eq!(memory_dep((Write, 1), (Write, 5)), Some((DepKind::Waw, 0)));
        assert_eq!(memory_dep((Read, 1), (Read, 1)), None);
    }
}
