//! Rule 3 (scheduled modules): a bank does one read or one write per cycle.

use super::placed::Placements;
use super::{MAX_REPORTED, buffer_accesses, note_unlisted};
use crate::codes;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Op};
use timetable_ir::machine::keys;
use timetable_ir::registry::Access;
use timetable_ir::{Handle, Value};

pub(super) fn check(func: &Function, placed: &Placements, diags: &mut Diagnostics) {
    // (slice, bank, cycle, body position, op, buffer, access)
    type Use = (u32, u32, u64, usize, Handle<Op>, Handle<Value>, Access);
    let mut uses: Vec<Use> = Vec::new();
    for (position, (h, op)) in func.body_ops().enumerate() {
        let Some(at) = op.attrs.get(keys::AT).and_then(|a| a.as_u64()) else {
            continue;
        };
        for (access, buffer) in buffer_accesses(op) {
            if let Some(i) = placed.of(buffer) {
                let p = &placed.list[i];
                uses.push((p.slice, p.bank, at, position, h, buffer, access));
            }
        }
    }
    uses.sort_unstable_by_key(|u| (u.0, u.1, u.2, u.3));
    let mut found = 0usize;
    for pair in uses.windows(2) {
        let (first, second) = (&pair[0], &pair[1]);
        if (first.0, first.1, first.2) != (second.0, second.1, second.2) {
            continue;
        }
        found += 1;
        if found > MAX_REPORTED {
            continue;
        }
        let what = |u: &Use| {
            let verb = match u.6 {
                Access::Read => "reads",
                Access::Write => "writes",
            };
            format!("{verb} `%{}`", func.value(u.5).name)
        };
        diags.push(
            Diagnostic::error(
                codes::BANK_CONFLICT,
                format!(
                    "bank {} of `mem.{}` is accessed twice in cycle {}: `%{}` and `%{}` share it",
                    first.1,
                    first.0,
                    first.2,
                    func.value(second.5).name,
                    func.value(first.5).name
                ),
            )
            .primary(func.op_span(second.4), what(second))
            .secondary(func.op_span(first.4), format!("{} in the same cycle", what(first)))
            .note("a bank does one read or one write per cycle: move one buffer to another bank, or one access to another cycle"),
        );
    }
    note_unlisted(diags, found, "bank conflicts");
}
