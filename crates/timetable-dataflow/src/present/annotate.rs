//! Analysis results as discardable attributes on a copy of the module.

use super::{Facts, KEY_PREFIXES, Selection, cause_text, value_name};
use crate::liveness::LiveRanges;
use crate::program::TimeBase;
use timetable_ir::attr::{AttrValue, Attrs};
use timetable_ir::{Function, Handle, Value};

pub(super) fn annotate(f: &Facts<'_>, selection: Selection, out: &mut Function) {
    let strip = |attrs: &mut Attrs| {
        attrs.retain(|a| !KEY_PREFIXES.iter().any(|p| a.key.starts_with(p)));
    };
    out.args.iter_mut().for_each(|a| strip(&mut a.attrs));
    for &h in &f.func.body {
        strip(&mut out.ops[h].attrs);
    }
    if selection.wants(Selection::Liveness) {
        liveness(f, out);
    }
    if selection.wants(Selection::Deps) {
        deps(f, out);
    }
    if selection.wants(Selection::CriticalPath) {
        critical_path(f, out);
    }
    if selection.wants(Selection::Pressure) {
        pressure(f, out);
    }
}

fn int(n: u64) -> AttrValue {
    AttrValue::from(n)
}

/// `[start, end]` for one value, an array of them for several; `None` if any is never
/// live.
fn ranges_attr(ranges: &LiveRanges, values: &[Handle<Value>]) -> Option<AttrValue> {
    let pairs: Option<Vec<AttrValue>> = values
        .iter()
        .map(|&v| {
            ranges
                .get(v)
                .map(|r| AttrValue::Array(vec![int(r.start), int(r.end)]))
        })
        .collect();
    match pairs?.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(AttrValue::Array(many.to_vec())),
    }
}

/// `live.out` on every op; `live.range` (and `live.cycles` when scheduled) where values
/// are defined: on arguments and on the ops that define them.
fn liveness(f: &Facts<'_>, out: &mut Function) {
    let func = f.func;
    f.liveness.for_each_live_out(|_, op, live| {
        let names = live
            .iter()
            .map(|v| AttrValue::Str(value_name(func, v)))
            .collect();
        out.ops[op].attrs.set("live.out", AttrValue::Array(names));
    });
    let mut sets: Vec<(&str, &LiveRanges)> = vec![("live.range", &f.ranges)];
    sets.extend(f.cycles.as_ref().map(|c| ("live.cycles", c)));
    for (key, ranges) in sets {
        for (i, arg) in func.args.iter().enumerate() {
            if let Some(a) = ranges_attr(ranges, &[arg.value]) {
                out.args[i].attrs.set(key, a);
            }
        }
        for (h, op) in func.body_ops() {
            if let Some(a) = ranges_attr(ranges, &op.results) {
                out.ops[h].attrs.set(key, a);
            }
        }
    }
}

/// `deps.id` on every op and `deps.preds = ["#from kind latency cause", ...]`.
fn deps(f: &Facts<'_>, out: &mut Function) {
    let Some(g) = &f.deps else { return };
    for node in 0..g.len() {
        let attrs = &mut out.ops[g.op(node)].attrs;
        attrs.set("deps.id", node as u64);
        let preds: Vec<AttrValue> = g
            .preds(node)
            .iter()
            .map(|d| {
                AttrValue::Str(format!(
                    "#{} {} {} {}",
                    d.from,
                    d.kind.name(),
                    d.latency,
                    cause_text(f.func, d.cause)
                ))
            })
            .collect();
        if !preds.is_empty() {
            attrs.set("deps.preds", AttrValue::Array(preds));
        }
    }
}

/// `cp.asap` (earliest issue cycle) and `cp.slack` on every op.
fn critical_path(f: &Facts<'_>, out: &mut Function) {
    let (Some(g), Some(cp)) = (&f.deps, &f.cp) else {
        return;
    };
    for node in 0..g.len() {
        let attrs = &mut out.ops[g.op(node)].attrs;
        attrs.set("cp.asap", cp.asap(node));
        attrs.set("cp.slack", cp.slack(node));
    }
}

/// `pressure.words`: words of live buffers when the op runs (its body index, or its
/// issue cycle when scheduled; pseudo-ops have no cycle).
fn pressure(f: &Facts<'_>, out: &mut Function) {
    let Some(p) = &f.pressure else { return };
    for (pos, &h) in f.func.body.iter().enumerate() {
        let time = match (f.base, &f.times) {
            (TimeBase::Cycles, Some(t)) => t.at(pos),
            _ => Some(pos as u64),
        };
        if let Some(t) = time {
            out.ops[h].attrs.set("pressure.words", p.words_at(t));
        }
    }
}
