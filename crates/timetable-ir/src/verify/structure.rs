//! Structural soundness: every handle in range, results point back at their op, each op in
//! the body once, each value defined before it is used. Returns whether the function is
//! sound enough for the other checks to index freely.

use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Function, ValueDef};

pub(super) fn check(func: &Function, diags: &mut Diagnostics) -> bool {
    let before = diags.len();
    let dangling = |what: &str| {
        Diagnostic::error(
            codes::DANGLING_HANDLE,
            format!("internal: {what} in `@{}`", func.name.text),
        )
        .primary(func.name.span, "in this function")
        .note("this is a bug in the pass that produced the module")
    };
    let mut in_body = vec![false; func.ops.len()];
    for &h in &func.body {
        if !func.ops.contains(h) {
            diags.push(dangling("body lists an op that does not exist"));
            return false;
        }
        if std::mem::replace(&mut in_body[h.index()], true) {
            diags.push(dangling("an op appears twice in the body"));
        }
    }
    for (i, arg) in func.args.iter().enumerate() {
        if !func.values.contains(arg.value) || func.value(arg.value).def != ValueDef::Arg(i) {
            diags.push(dangling("an argument's value does not point back at it"));
            return false;
        }
    }
    let mut defined = vec![false; func.values.len()];
    for arg in &func.args {
        defined[arg.value.index()] = true;
    }
    for (h, op) in func.body_ops() {
        for &v in &op.operands {
            if !func.values.contains(v) {
                diags.push(dangling("an operand does not exist"));
                return false;
            }
            if !defined[v.index()] {
                let name = &func.value(v).name;
                diags.push(
                    Diagnostic::error(
                        codes::USE_BEFORE_DEF,
                        format!("`%{name}` is used before it is defined"),
                    )
                    .primary(func.op_span(h), "used here")
                    .secondary(func.value_span(v), "defined here"),
                );
            }
        }
        for (index, &r) in op.results.iter().enumerate() {
            if !func.values.contains(r) || func.value(r).def != (ValueDef::Result { op: h, index })
            {
                diags.push(dangling("a result does not point back at its op"));
                return false;
            }
            if std::mem::replace(&mut defined[r.index()], true) {
                diags.push(dangling("a value is defined twice"));
            }
        }
    }
    check_unique_names(func, diags);
    diags.len() == before
}

/// Names must be unique among the values that print, or the printout would not parse.
fn check_unique_names(func: &Function, diags: &mut Diagnostics) {
    let mut seen = rustc_hash::FxHashMap::default();
    let printed = func.args.iter().map(|a| a.value).chain(
        func.body_ops()
            .flat_map(|(_, op)| op.results.iter().copied()),
    );
    for v in printed {
        let name = func.value(v).name.as_str();
        if let Some(&first) = seen.get(name) {
            diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_VALUE,
                    format!("value `%{name}` is defined twice"),
                )
                .primary(func.value_span(v), "defined again here")
                .secondary(func.value_span(first), "first defined here"),
            );
        } else {
            seen.insert(name, v);
        }
    }
}
