//! The independent checker of allocated modules, in the spirit of
//! regalloc2's checker: it shares no code with the allocator and does not use
//! the dataflow crate. It reads the placements back from the IR and
//! recomputes every buffer's lifetime by its own scan of the function, from
//! the timing rules of `docs/ir.md`, so a mistake in the allocator, in the
//! liveness it relies on, or in a hand-edited file cannot hide itself.
//!
//! Rules, per function:
//!
//! 1. **Inside the memory** (`E2102`, `E2103`): every placement names an
//!    existing slice and bank, its `N * bytes(T)` words end within the bank,
//!    and its address is a multiple of `mem.align`.
//! 2. **No overlap** (`E2101`): two vectors whose lifetimes intersect do not
//!    share a word of one bank. Lifetimes are per vector of a buffer (the
//!    unit every memory op reads or writes), so a schedule may write one
//!    vector of an output while another buffer still holds the words of
//!    the output's other vectors. A lifetime is the closed hull of the
//!    moments the vector's data is in memory: the entry for inputs and
//!    `mem.const` buffers (the host or the loader fills them before the
//!    run), the exit for vectors of outputs that the program touches (the
//!    host reads them after it), every read, and every write. In program order op `i` acts at moment `i`; in a scheduled
//!    module a read acts at its issue cycle `at` and a write when its data
//!    lands, `at` plus the op's functional delay (`mem_write`), since a read
//!    issued before then still sees the old contents. Vectors nothing
//!    touches have no lifetime.
//! 3. **One access per bank per cycle** (`E2104`, scheduled modules): no two
//!    memory ops read or write the same bank in the same cycle.
//!
//! Both parties of a violation are named, with spans: the primary label on
//! one buffer (or op), a secondary label on the other. `icu.repeat` is not
//! expanded into the accesses it repeats.

mod banks;
mod lifetimes;
mod overlap;
mod placed;

use timetable_ir::diag::Diagnostics;
use timetable_ir::ir::{Function, Module, Stage};
use timetable_ir::target::Target;
use timetable_ir::verify::ModuleCheck;

pub use lifetimes::Clock;

use timetable_ir::ir::Op;
use timetable_ir::registry::{Access, StateKind};
use timetable_ir::{Handle, Value};

/// At most this many violations of one rule are listed per function; the
/// last one says how many more there are.
pub const MAX_REPORTED: usize = 50;

/// The checker as a verifier hook: registered in the driver, it runs on
/// every `allocated` and `scheduled` module every verification sees.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocationCheck;

/// The instance the driver registers.
pub static CHECK: AllocationCheck = AllocationCheck;

impl ModuleCheck for AllocationCheck {
    fn name(&self) -> &'static str {
        "alloc"
    }

    fn stage(&self) -> Stage {
        Stage::Allocated
    }

    fn check(&self, module: &Module, target: &Target) -> Diagnostics {
        check_module(module, target)
    }
}

/// Checks every function of an allocated or scheduled module.
pub fn check_module(module: &Module, target: &Target) -> Diagnostics {
    let clock = Clock::for_stage(module.stage);
    module
        .functions
        .iter()
        .flat_map(|f| check_function(f, target, clock))
        .collect()
}

/// Checks one function's placements on `clock`. Buffers without a
/// well-formed placement are skipped (the verifier reports those).
pub fn check_function(func: &Function, target: &Target, clock: Clock) -> Diagnostics {
    let mut diags = Vec::new();
    let placed = placed::collect(func, target, &mut diags);
    let pieces = lifetimes::scan(func, target, clock, &placed);
    overlap::check(func, &placed, &pieces, clock, &mut diags);
    if clock == Clock::Cycles {
        banks::check(func, &placed, &mut diags);
    }
    diags
}

/// The buffers an op reads or writes, from the registry's effects.
fn buffer_accesses(op: &Op) -> impl Iterator<Item = (Access, Handle<Value>)> + '_ {
    op.def().effects.iter().filter_map(|e| match e.state {
        StateKind::BufferElement { operand } => op.operands.get(operand).map(|&b| (e.access, b)),
        _ => None,
    })
}

/// After listing `MAX_REPORTED` violations of a rule, says on the last one how
/// many more were found.
fn note_unlisted(diags: &mut Diagnostics, found: usize, what: &str) {
    if found > MAX_REPORTED
        && let Some(last) = diags.last_mut()
    {
        last.notes.push(format!(
            "{} more {what} are not listed",
            found - MAX_REPORTED
        ));
    }
}

#[cfg(test)]
mod tests;
