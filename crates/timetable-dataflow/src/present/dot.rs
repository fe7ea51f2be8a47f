//! The dependence graph in Graphviz's DOT language: one cluster per function, ops as
//! boxes labelled `#index op`, edges labelled `kind latency`; memory and state edges are
//! dashed, and the critical path is red.

use super::{op_text, value_name};
use crate::critical_path::CriticalPath;
use crate::deps::{DepGraph, DepKind};
use std::fmt::Write;
use timetable_ir::Function;

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn node_label(func: &Function, node: usize) -> String {
    let op = func.op(func.body[node]);
    let results: Vec<String> = op.results.iter().map(|&r| value_name(func, r)).collect();
    if results.is_empty() {
        op_text(func, node)
    } else {
        format!("#{node} {} = {}", results.join(", "), op.opcode)
    }
}

pub(super) fn render(module: &str, graphs: &[(&Function, DepGraph, CriticalPath)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph {} {{", quote(module));
    let _ = writeln!(s, "  node [shape=box, fontname=\"monospace\"];");
    let _ = writeln!(s, "  edge [fontname=\"monospace\"];");
    for (func, g, cp) in graphs {
        let name = &func.name.text;
        let id = |n: usize| quote(&format!("{name}.{n}"));
        let _ = writeln!(s, "  subgraph {} {{", quote(&format!("cluster_{name}")));
        let _ = writeln!(
            s,
            "    label = {};",
            quote(&format!("@{name}: critical path {} cycles", cp.length()))
        );
        for n in 0..g.len() {
            let critical = if cp.slack(n) == 0 { ", color=red" } else { "" };
            let _ = writeln!(
                s,
                "    {} [label={}{critical}];",
                id(n),
                quote(&node_label(func, n))
            );
        }
        for (to, d) in g.edges() {
            let from = d.from as usize;
            let tight = cp.slack(from) == 0
                && cp.slack(to) == 0
                && cp.asap(from) + u64::from(d.latency) == cp.asap(to);
            let mut style = String::new();
            if d.kind != DepKind::Data {
                style.push_str(", style=dashed");
            }
            if tight {
                style.push_str(", color=red");
            }
            let _ = writeln!(
                s,
                "    {} -> {} [label={}{style}];",
                id(from),
                id(to),
                quote(&format!("{} {}", d.kind.name(), d.latency))
            );
        }
        let _ = writeln!(s, "  }}");
    }
    let _ = writeln!(s, "}}");
    s
}
