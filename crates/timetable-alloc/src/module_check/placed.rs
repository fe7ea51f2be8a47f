//! Reading placements back from the IR, with rule 1: every placement inside
//! its bank and aligned.

use crate::codes;
use timetable_ir::attr::Attrs;
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::{Function, Value, ValueDef};
use timetable_ir::machine::{Placement, keys};
use timetable_ir::registry::Opcode;
use timetable_ir::target::Target;
use timetable_ir::types::Type;
use timetable_ir::{Handle, Span};

/// A buffer with a valid placement.
pub(super) struct Placed {
    pub value: Handle<Value>,
    pub slice: u32,
    pub bank: u32,
    /// Words `[addr, addr + words)` of the bank.
    pub addr: u64,
    pub words: u64,
    /// Vector `i` occupies words `[addr + i * vector_words, addr + (i + 1) * vector_words)`.
    pub vectors: u32,
    pub vector_words: u64,
    /// The placement attribute, or the buffer's name if it has no span.
    pub span: Span,
    /// Filled before the run: an input or a `mem.const`.
    pub preloaded: bool,
    /// Read by the host after the run.
    pub output: bool,
}

/// The placed buffers of a function, and which one each value is.
pub(super) struct Placements {
    pub list: Vec<Placed>,
    of_value: Vec<Option<usize>>,
}

impl Placements {
    /// The placed buffer a value is, if any.
    pub fn of(&self, value: Handle<Value>) -> Option<usize> {
        self.of_value.get(value.index()).copied().flatten()
    }
}

/// Every buffer argument and buffer result with a well-formed placement, in
/// definition order; placements outside the memory or misaligned are
/// reported and left out (they cannot be compared with the others).
pub(super) fn collect(func: &Function, target: &Target, diags: &mut Diagnostics) -> Placements {
    let mut placements = Placements {
        list: Vec::new(),
        of_value: vec![None; func.values.len()],
    };
    let args = func.args.iter().map(|a| (a.value, &a.attrs));
    let results = func
        .body_ops()
        .flat_map(|(_, op)| op.results.iter().map(move |&r| (r, &op.attrs)));
    for (value, attrs) in args.chain(results) {
        let Type::Mem { vectors, elem } = func.ty(value) else {
            continue;
        };
        let Some(placement) = attrs.get(keys::MEM).and_then(|a| Placement::parse(a).ok()) else {
            continue;
        };
        let placed = Placed {
            value,
            slice: placement.slice,
            bank: placement.bank,
            addr: u64::from(placement.addr),
            // docs/ir.md: a `mem<NxT>` occupies `N * bytes(T)` consecutive words.
            words: u64::from(*vectors) * u64::from(elem.bytes()),
            vectors: *vectors,
            vector_words: u64::from(elem.bytes()),
            span: placement_span(func, value, attrs),
            preloaded: preloaded(func, value, attrs),
            output: attrs.get(keys::ROLE).and_then(|r| r.as_str()) == Some("output"),
        };
        if inside(func, &placed, target, diags) {
            placements.of_value[value.index()] = Some(placements.list.len());
            placements.list.push(placed);
        }
    }
    placements
}

fn placement_span(func: &Function, value: Handle<Value>, attrs: &Attrs) -> Span {
    attrs
        .span_of(keys::MEM)
        .filter(|s| !s.is_dummy())
        .unwrap_or_else(|| func.value_span(value))
}

fn preloaded(func: &Function, value: Handle<Value>, attrs: &Attrs) -> bool {
    match func.value(value).def {
        ValueDef::Arg(_) => attrs.get(keys::ROLE).and_then(|r| r.as_str()) == Some("input"),
        ValueDef::Result { op, .. } => func.op(op).opcode == Opcode::MemConst,
    }
}

/// Rule 1 for one placement; reports and returns false when it fails.
fn inside(func: &Function, p: &Placed, target: &Target, diags: &mut Diagnostics) -> bool {
    let name = &func.value(p.value).name;
    let slices = target.unit_count(timetable_ir::registry::UnitClass::Mem);
    let mem = target.mem;
    let problem = if p.slice >= slices {
        Some(format!(
            "`%{name}` is placed in slice {}, but `@{}` has {slices} memory slices",
            p.slice, target.name
        ))
    } else if p.bank >= mem.banks {
        Some(format!(
            "`%{name}` is placed in bank {}, but slices have {} banks",
            p.bank, mem.banks
        ))
    } else if p.addr + p.words > u64::from(mem.words_per_bank) {
        Some(format!(
            "`%{name}` occupies words {}..{} of a bank of {} words",
            p.addr,
            p.addr + p.words,
            mem.words_per_bank
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        diags.push(
            Diagnostic::error(codes::OUTSIDE_BANK, message).primary(p.span, "outside the memory"),
        );
        return false;
    }
    if !p.addr.is_multiple_of(u64::from(mem.align)) {
        diags.push(
            Diagnostic::error(
                codes::MISALIGNED,
                format!(
                    "`%{name}` starts at word {}, which is not a multiple of the alignment {}",
                    p.addr, mem.align
                ),
            )
            .primary(p.span, "misaligned"),
        );
        return false;
    }
    true
}
