//! The verifier: runs after parsing and after every pass, and knows the module's stage.
//!
//! - `structure`: handles in range, definitions before uses, one body entry per op.
//! - `types`: each op against its registry type rule.
//! - `attrs`: each op's attributes against its schema and the pass attributes.
//! - `placement`: buffer placements inside the target (required from `allocated` on).
//! - `schedule`: issue slots (required at `scheduled`).
//!
//! Cross-op invariants of later stages are checked by independent checkers that register
//! through [`ModuleCheck`]: [`timing::CHECK`] (operands arriving when read, streams,
//! banks, issue rates, memory and MXM order of scheduled modules) lives here; the
//! allocator's checker lives in its crate. They are separate from the built-in checks so
//! that the simulator can load a hand-edited schedule whose hazards it is there to show.

mod attrs;
mod placement;
mod schedule;
mod structure;
pub mod timing;
mod types;

use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Function, Module, Stage};
use crate::machine::{Role, keys};
use crate::registry::Level;
use crate::target::Target;
use crate::types::Type;

pub use types::broadcast_dims;

/// An extra whole-module check (e.g. the allocation checker) that runs after the built-in
/// ones when the module is at least at `stage`.
pub trait ModuleCheck: Sync {
    fn name(&self) -> &'static str;
    fn stage(&self) -> Stage;
    fn check(&self, module: &Module, target: &Target) -> Diagnostics;
}

/// Verifies a module against its target with the built-in checks only.
pub fn verify(module: &Module, target: &Target) -> Result<(), Diagnostics> {
    verify_with(module, target, &[])
}

/// Verifies a module, then runs the extra checks that apply to its stage.
pub fn verify_with(
    module: &Module,
    target: &Target,
    extra: &[&dyn ModuleCheck],
) -> Result<(), Diagnostics> {
    let mut diags = Vec::new();
    if module.target.text != target.name {
        diags.push(
            Diagnostic::error(
                codes::UNKNOWN_TARGET,
                format!(
                    "module is for target `@{}` but is verified against `@{}`",
                    module.target.text, target.name
                ),
            )
            .primary(module.target.span, "module target"),
        );
    }
    for (i, f) in module.functions.iter().enumerate() {
        if let Some(first) = module.functions[..i].iter().find(|g| g.name == f.name) {
            diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_FUNCTION,
                    format!("function `@{}` is defined twice", f.name.text),
                )
                .primary(f.name.span, "defined again here")
                .secondary(first.name.span, "first defined here"),
            );
        }
        verify_function(f, module.stage, target, &mut diags);
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    for check in extra {
        if module.stage >= check.stage() {
            diags.extend(check.check(module, target));
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(())
    }
}

fn verify_function(func: &Function, stage: Stage, target: &Target, diags: &mut Diagnostics) {
    // Later checks index freely, so they run only on structurally sound functions.
    if !structure::check(func, diags) {
        return;
    }
    check_signature(func, stage, diags);
    for (handle, op) in func.body_ops() {
        let span = func.op_span(handle);
        let def = op.def();
        let level_ok = match def.level {
            Level::Tensor => stage == Stage::Tensor,
            Level::Machine => stage.is_machine(),
            Level::Any => true,
        };
        if !level_ok {
            diags.push(
                Diagnostic::error(
                    codes::WRONG_LEVEL,
                    format!("`{}` is not allowed in a `{stage}` module", def.name),
                )
                .primary(
                    span,
                    format!(
                        "a {} op",
                        if def.level == Level::Tensor {
                            "tensor-level"
                        } else {
                            "machine-level"
                        }
                    ),
                ),
            );
            continue;
        }
        if types::check(func, handle, target, diags) {
            attrs::check(func, handle, stage, target, diags);
        }
        if def.terminator && func.body.last() != Some(&handle) {
            diags.push(
                Diagnostic::error(
                    codes::TERMINATOR,
                    format!("`{}` must be the last op of the function", def.name),
                )
                .primary(span, "ops follow it"),
            );
        }
    }
    placement::check(func, stage, target, diags);
    if stage == Stage::Scheduled {
        schedule::check(func, target, diags);
    }
}

/// Argument and result types fit the stage; functions with results end in `func.return`.
fn check_signature(func: &Function, stage: Stage, diags: &mut Diagnostics) {
    for arg in &func.args {
        let v = func.value(arg.value);
        let span = func.value_span(arg.value);
        match (&v.ty, stage.is_machine()) {
            (Type::Tensor(_), false) => {}
            (Type::Mem { .. }, true) => match arg.attrs.get(keys::ROLE) {
                None => diags.push(
                    Diagnostic::error(
                        codes::ARG_KIND,
                        format!("buffer argument `%{}` has no role", v.name),
                    )
                    .primary(span, "add `{role = \"input\"}` or `{role = \"output\"}`"),
                ),
                Some(role) => {
                    if let Err(e) = Role::parse(role) {
                        diags.push(
                            Diagnostic::error(codes::ATTR_VALUE, e)
                                .primary(arg.attrs.span_of(keys::ROLE).unwrap_or(span), "here"),
                        );
                    }
                }
            },
            (ty, machine) => diags.push(
                Diagnostic::error(
                    codes::ARG_KIND,
                    format!(
                        "argument `%{}` has type `{ty}`, but `{stage}` functions take {}",
                        v.name,
                        if machine {
                            "buffers (`mem<NxT>`)"
                        } else {
                            "tensors"
                        }
                    ),
                )
                .primary(span, "wrong kind of argument"),
            ),
        }
        attrs::check_arg(func, arg, stage, diags);
    }
    if stage.is_machine() && !func.results.is_empty() {
        diags.push(
            Diagnostic::error(
                codes::ARG_KIND,
                format!("machine-level function `@{}` returns values; outputs are `role = \"output\"` buffers", func.name.text),
            )
            .primary(func.name.span, "has results"),
        );
    }
    if stage == Stage::Tensor {
        for ty in &func.results {
            if ty.as_tensor().is_none() {
                diags.push(
                    Diagnostic::error(
                        codes::ARG_KIND,
                        format!("tensor-level function returns `{ty}`"),
                    )
                    .primary(func.name.span, "results must be tensors"),
                );
            }
        }
        let ends_in_return = func
            .body
            .last()
            .is_some_and(|&op| func.op(op).def().terminator);
        if !func.results.is_empty() && !ends_in_return {
            diags.push(
                Diagnostic::error(
                    codes::TERMINATOR,
                    format!(
                        "function `@{}` does not end in `func.return`",
                        func.name.text
                    ),
                )
                .primary(func.name.span, "declares results"),
            );
        }
    }
}
