//! A Chrome / Perfetto trace (JSON, opens in ui.perfetto.dev) of a scheduled function:
//! one track per functional unit (an op is a one-cycle slice at its issue), one track per
//! stream (a value is a slice from its production to its farthest consumer), and the
//! hazards of a run as instant events. Where slices of one track overlap (a VXM issuing
//! several ops in a cycle, a stream carrying values at several positions), the track
//! splits into numbered lanes (`vxm.0 #2`) so slices nest correctly.

use super::Hazard;
use super::plan::Plan;
use crate::program::{Kind, Program};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use timetable_ir::target::{StreamId, Target, UnitId};

const UNITS: u32 = 1;
const STREAMS: u32 = 2;

/// Assigns intervals to the first lane of a track that is free.
#[derive(Default)]
struct Lanes {
    /// End (exclusive) of the last interval on each lane.
    ends: Vec<u64>,
}

impl Lanes {
    fn place(&mut self, start: u64, end: u64) -> usize {
        match self.ends.iter().position(|&e| e <= start) {
            Some(l) => {
                self.ends[l] = end;
                l
            }
            None => {
                self.ends.push(end);
                self.ends.len() - 1
            }
        }
    }
}

/// A slice on a track before thread ids are known.
struct Slice {
    pid: u32,
    track: (u32, u32),
    lane: usize,
    start: u64,
    end: u64,
    name: String,
    args: Value,
}

/// The trace as a JSON document.
pub fn trace(program: &Program, target: &Target, plan: &Plan, hazards: &[Hazard]) -> Value {
    let func = program.func;
    let us = |cycle: u64| cycle as f64 / f64::from(target.clock_mhz);
    let unit_track = |u: UnitId| (target.position(u).unwrap_or(0), 0);
    let stream_track = |s: StreamId| (s.dir as u32, s.index);
    let mut slices = Vec::new();
    let mut unit_lanes: BTreeMap<(u32, u32), Lanes> = BTreeMap::new();
    for &i in &plan.order {
        let (instr, t) = (&program.instrs[i as usize], &plan.timed[i as usize]);
        let op = func.op(instr.op);
        let track = unit_track(t.unit);
        let lane = unit_lanes.entry(track).or_default().place(t.at, t.at + 1);
        let results: Vec<String> = op
            .results
            .iter()
            .map(|&r| format!("%{}", func.value(r).name))
            .collect();
        let name = if results.is_empty() {
            op.opcode.to_string()
        } else {
            format!("{} {}", op.opcode, results.join(", "))
        };
        let kind = if matches!(instr.kind, Kind::Idle) {
            "icu"
        } else {
            op.opcode.def().dialect()
        };
        slices.push(Slice {
            pid: UNITS,
            track,
            lane,
            start: t.at,
            end: t.at + 1,
            name,
            args: json!({"cycle": t.at, "latency": t.latency, "kind": kind, "unit": t.unit.to_string()}),
        });
    }
    let mut values: Vec<(u64, usize)> = plan
        .producer
        .iter()
        .enumerate()
        .filter_map(|(v, p)| p.map(|p| (p.cycle, v)))
        .collect();
    values.sort_unstable();
    let mut stream_lanes: BTreeMap<(u32, u32), Lanes> = BTreeMap::new();
    for (start, v) in values {
        let p = plan.producer[v].expect("listed values have producers");
        let end = start + u64::from(plan.reach[v]) + 1;
        for k in 0..p.group.width {
            let s = p.group.stream(k);
            let track = stream_track(s);
            let lane = stream_lanes.entry(track).or_default().place(start, end);
            slices.push(Slice {
                pid: STREAMS,
                track,
                lane,
                start,
                end,
                name: format!("%{}", func.value(timetable_ir::Handle::new(v)).name),
                args: json!({"from": target.positions()[p.pos as usize].to_string(), "cycle": start, "hops": plan.reach[v], "byte": k}),
            });
        }
    }

    // Thread ids: tracks in order (units west to east, then streams), lanes within.
    let mut tids: BTreeMap<(u32, (u32, u32), usize), u32> = BTreeMap::new();
    for s in &slices {
        tids.insert((s.pid, s.track, s.lane), 0);
    }
    let mut events = vec![
        json!({"name": "process_name", "ph": "M", "pid": UNITS, "args": {"name": format!("@{} units", func.name.text)}}),
        json!({"name": "process_name", "ph": "M", "pid": STREAMS, "args": {"name": "streams"}}),
    ];
    for (n, (&(pid, track, lane), tid)) in tids.iter_mut().enumerate() {
        *tid = n as u32 + 1;
        let base = if pid == UNITS {
            target.positions()[track.0 as usize].to_string()
        } else {
            let dir = if track.0 == 0 { 'e' } else { 'w' };
            format!("{dir}{}", track.1)
        };
        let name = if lane == 0 {
            base
        } else {
            format!("{base} #{}", lane + 1)
        };
        events.push(json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": *tid, "args": {"name": name}}));
        events.push(json!({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": *tid, "args": {"sort_index": *tid}}));
    }
    for s in slices {
        events.push(json!({
            "name": s.name, "cat": if s.pid == UNITS { "op" } else { "value" }, "ph": "X",
            "ts": us(s.start), "dur": us(s.end - s.start),
            "pid": s.pid, "tid": tids[&(s.pid, s.track, s.lane)], "args": s.args,
        }));
    }
    for h in hazards {
        let track = unit_track(plan.timed[h.instr as usize].unit);
        let tid = tids.get(&(UNITS, track, 0)).copied().unwrap_or(0);
        events.push(json!({"name": format!("hazard {}", h.code), "ph": "i", "s": "t", "ts": us(h.cycle), "pid": UNITS, "tid": tid}));
    }
    json!({"traceEvents": events, "displayTimeUnit": "ns", "otherData": {"target": target.name, "clock_mhz": target.clock_mhz}})
}
