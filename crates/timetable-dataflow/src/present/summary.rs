//! The `//` comment lines at the top of `timetable analyze` output.

use super::{Facts, Selection, op_text, value_name};
use crate::bounds::{Bottleneck, makespan_bound};
use crate::deps::DepKind;
use crate::program::TimeBase;
use std::fmt::Write;
use timetable_ir::Target;

/// Ops of the critical path listed before it is elided.
const PATH_SHOWN: usize = 12;
/// Live values listed at a peak before the list is elided.
const VALUES_SHOWN: usize = 16;

fn list(names: impl Iterator<Item = String>, shown: usize) -> String {
    let names: Vec<String> = names.collect();
    let mut text = names[..names.len().min(shown)].join(", ");
    if names.len() > shown {
        let _ = write!(text, ", ... ({} more)", names.len() - shown);
    }
    text
}

pub(super) fn function_summary(f: &Facts<'_>, target: &Target, selection: Selection) -> String {
    let func = f.func;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// @{}: {} ops, target @{}, live ranges in {}",
        func.name.text,
        func.body.len(),
        target.name,
        f.base.name()
    );
    if selection.wants(Selection::Liveness) {
        liveness(f, &mut s);
    }
    if selection.wants(Selection::Deps)
        && let Some(g) = &f.deps
    {
        let counts = g.count_by_kind();
        let kinds = list(
            DepKind::ALL
                .iter()
                .zip(counts)
                .map(|(k, n)| format!("{n} {}", k.name())),
            4,
        );
        let _ = writeln!(s, "// deps: {} edges ({kinds})", g.edge_count());
        let hops = g.hop_stats();
        let _ = writeln!(
            s,
            "// hops: {} data edges between known positions (exact), {} bounded by the nearest instances of their unit classes",
            hops.exact, hops.nearest
        );
    }
    if selection.wants(Selection::CriticalPath) {
        critical_path(f, target, &mut s);
    }
    if selection.wants(Selection::Pressure) {
        pressure(f, &mut s);
    }
    s
}

fn liveness(f: &Facts<'_>, s: &mut String) {
    let stats = f.liveness.stats();
    let (mut most, mut after) = (0, None);
    let mut sample = Vec::new();
    f.liveness.for_each_live_out(|at, _, live| {
        // Ties keep the earliest op: the walk goes backwards.
        if live.len() >= most && !live.is_empty() {
            most = live.len();
            after = Some(at.index);
            sample = live.iter().collect();
        }
    });
    let _ = writeln!(
        s,
        "// liveness: fixpoint in {} block visit(s) for {} block(s) (initialized: {}); {} value(s) and {} buffer(s) have live ranges",
        stats.live.block_visits,
        stats.live.blocks,
        stats.initialized.block_visits,
        f.ranges
            .iter()
            .filter(|(v, _)| !f.func.ty(*v).is_mem())
            .count(),
        f.ranges.buffers(f.func).count(),
    );
    if let Some(at) = after {
        let names = list(sample.iter().map(|&v| value_name(f.func, v)), VALUES_SHOWN);
        let _ = writeln!(
            s,
            "// liveness: at most {most} live after an op, first after {}: {names}",
            op_text(f.func, at)
        );
    }
}

fn critical_path(f: &Facts<'_>, target: &Target, s: &mut String) {
    let Some(cp) = &f.cp else {
        return;
    };
    let path =
        list(cp.path().iter().map(|&n| op_text(f.func, n)), PATH_SHOWN).replace(", ", " -> ");
    let _ = writeln!(
        s,
        "// critical path: {} cycles ({:.3} us at {} MHz): {path}",
        cp.length(),
        target.cycles_to_us(cp.length()),
        target.clock_mhz
    );
    for r in &f.resources {
        let _ = writeln!(
            s,
            "// work: {}: {} ops / {} per cycle = {} issue cycles, completes no earlier than cycle {}",
            r.resource,
            r.ops,
            r.per_cycle,
            r.issue_cycles(),
            r.bound()
        );
    }
    let (makespan, by) = makespan_bound(cp.length(), &f.resources);
    let why = match by {
        Bottleneck::CriticalPath => "the critical path".to_string(),
        Bottleneck::Resource(r) => format!("the work on {r}"),
    };
    let _ = writeln!(s, "// lower bound: makespan >= {makespan} cycles ({why})");
}

fn pressure(f: &Facts<'_>, s: &mut String) {
    let Some(p) = &f.pressure else { return };
    let peak = p.peak();
    let when = match p.base() {
        TimeBase::ProgramOrder if (peak.time as usize) < f.func.body.len() => {
            format!("op {}", op_text(f.func, peak.time as usize))
        }
        base => format!("{} {}", base.unit(), peak.time),
    };
    let names = list(
        peak.buffers.iter().map(|&v| value_name(f.func, v)),
        VALUES_SHOWN,
    );
    let _ = writeln!(
        s,
        "// pressure: peak {} words ({} bytes) of the chip's {} words, first at {when}: {names}",
        peak.words,
        p.peak_bytes(),
        p.capacity_words()
    );
}
