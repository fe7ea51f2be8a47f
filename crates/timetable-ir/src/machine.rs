//! Typed views of the attributes that machine-level passes write: buffer roles and
//! placements (allocation) and issue slots (scheduling). Passes and the verifier read and
//! write them only through here, so the text form has one definition.

use crate::arena::Handle;
use crate::attr::{AttrValue, Attrs};
use crate::ir::{Function, Op, ValueDef};
use crate::registry::Opcode;
use crate::target::{StreamId, Target, UnitId};
use crate::types::Type;

/// Attribute keys.
pub mod keys {
    /// Buffer placement: `mem = {slice = S, bank = B, addr = A}`.
    pub const MEM: &str = "mem";
    /// Function-argument role: `role = "input" | "output"`.
    pub const ROLE: &str = "role";
    /// The tensor a buffer holds in the canonical layout: `tensor = tensor<AxBxT>`.
    pub const TENSOR: &str = "tensor";
    /// Issue cycle: `at = N`.
    pub const AT: &str = "at";
    /// Unit instance: `unit = "vxm.0"`.
    pub const UNIT: &str = "unit";
    /// Result stream group(s): `stream = "e4"`, or an array with one per result.
    pub const STREAM: &str = "stream";
}

/// What a machine-level function argument is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Filled by the host before the program runs.
    Input,
    /// Read by the host after the program ends.
    Output,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Input => "input",
            Role::Output => "output",
        }
    }

    pub fn parse(value: &AttrValue) -> Result<Role, String> {
        match value.as_str() {
            Some("input") => Ok(Role::Input),
            Some("output") => Ok(Role::Output),
            _ => Err(format!(
                "`role` must be \"input\" or \"output\", not {value}"
            )),
        }
    }
}

/// Where a buffer lives: a contiguous address range in one bank of one memory slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Placement {
    /// Memory slice index (0-based, west to east, counting `mem` slices only).
    pub slice: u32,
    pub bank: u32,
    /// First word within the bank.
    pub addr: u32,
}

impl Placement {
    pub fn parse(value: &AttrValue) -> Result<Placement, String> {
        let bad = || format!("placement must be `{{slice = S, bank = B, addr = A}}`, not {value}");
        let d = value.as_dict().ok_or_else(bad)?;
        if d.len() != 3 {
            return Err(bad());
        }
        let field = |k: &str| -> Result<u32, String> {
            d.get(k)
                .and_then(AttrValue::as_int)
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(bad)
        };
        Ok(Placement {
            slice: field("slice")?,
            bank: field("bank")?,
            addr: field("addr")?,
        })
    }

    pub fn to_attr(self) -> AttrValue {
        [
            ("slice".to_string(), self.slice),
            ("bank".to_string(), self.bank),
            ("addr".to_string(), self.addr),
        ]
        .into_iter()
        .collect()
    }

    /// The memory unit holding the buffer.
    pub fn unit(self) -> UnitId {
        UnitId::new(crate::registry::UnitClass::Mem, self.slice)
    }
}

/// Where a buffer value is declared: a function argument or a buffer-defining op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferDef {
    Arg(usize),
    Op(Handle<Op>),
}

/// The buffers of a function, in definition order (arguments first).
pub fn buffers(func: &Function) -> Vec<(Handle<crate::ir::Value>, BufferDef)> {
    let args = func
        .args
        .iter()
        .enumerate()
        .filter(|(_, a)| func.ty(a.value).is_mem())
        .map(|(i, a)| (a.value, BufferDef::Arg(i)));
    let ops = func.body_ops().flat_map(|(h, op)| {
        op.results
            .iter()
            .filter(|&&r| func.ty(r).is_mem())
            .map(move |&r| (r, BufferDef::Op(h)))
    });
    args.chain(ops).collect()
}

/// The attributes where a buffer's placement is written.
pub fn buffer_attrs(func: &Function, def: BufferDef) -> &Attrs {
    match def {
        BufferDef::Arg(i) => &func.args[i].attrs,
        BufferDef::Op(op) => &func.ops[op].attrs,
    }
}

pub fn buffer_attrs_mut(func: &mut Function, def: BufferDef) -> &mut Attrs {
    match def {
        BufferDef::Arg(i) => &mut func.args[i].attrs,
        BufferDef::Op(op) => &mut func.ops[op].attrs,
    }
}

/// The definition site of a buffer value.
pub fn buffer_def(func: &Function, value: Handle<crate::ir::Value>) -> BufferDef {
    match func.value(value).def {
        ValueDef::Arg(i) => BufferDef::Arg(i),
        ValueDef::Result { op, .. } => BufferDef::Op(op),
    }
}

/// A buffer's placement, if it has a well-formed one.
pub fn placement(func: &Function, value: Handle<crate::ir::Value>) -> Option<Placement> {
    buffer_attrs(func, buffer_def(func, value))
        .get(keys::MEM)
        .and_then(|v| Placement::parse(v).ok())
}

/// Words a buffer occupies on `target`.
pub fn buffer_words(ty: &Type, target: &Target) -> Option<u64> {
    match ty {
        Type::Mem { vectors, elem } => {
            Some(u64::from(*vectors) * u64::from(target.vector_words(*elem)))
        }
        _ => None,
    }
}

/// An op's issue slot in a scheduled module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub at: u64,
    pub unit: UnitId,
    /// One stream group per vector result, in result order.
    pub streams: Vec<StreamId>,
}

impl Slot {
    /// Reads an op's slot; `Ok(None)` when the op has none of the slot attributes.
    pub fn read(op: &Op) -> Result<Option<Slot>, String> {
        let a = &op.attrs;
        if !a.contains(keys::AT) && !a.contains(keys::UNIT) && !a.contains(keys::STREAM) {
            return Ok(None);
        }
        let at = a
            .get(keys::AT)
            .ok_or("missing `at` (the issue cycle)")?
            .as_u64()
            .ok_or("`at` must be a non-negative integer")?;
        let unit = a
            .get(keys::UNIT)
            .ok_or("missing `unit`")?
            .as_str()
            .ok_or("`unit` must be a string such as \"vxm.0\"")?
            .parse()?;
        let streams = match a.get(keys::STREAM) {
            None => Vec::new(),
            Some(AttrValue::Str(s)) => vec![s.parse()?],
            Some(AttrValue::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .ok_or("`stream` entries must be strings")?
                        .parse()
                })
                .collect::<Result<_, String>>()?,
            Some(other) => {
                return Err(format!(
                    "`stream` must be a string or an array, not {other}"
                ));
            }
        };
        Ok(Some(Slot { at, unit, streams }))
    }

    /// Writes the slot into an op's attributes (one stream as a string, several as an array).
    pub fn write(&self, attrs: &mut Attrs) {
        attrs.set(keys::AT, self.at);
        attrs.set(keys::UNIT, self.unit.to_string());
        match self.streams.as_slice() {
            [] => {
                attrs.remove(keys::STREAM);
            }
            [one] => {
                attrs.set(keys::STREAM, one.to_string());
            }
            many => {
                attrs.set(
                    keys::STREAM,
                    AttrValue::Array(many.iter().map(|s| s.to_string().into()).collect()),
                );
            }
        }
    }
}

/// Whether an op occupies a unit and a cycle (pseudo-ops such as `mem.alloc` do not).
pub fn is_scheduled_op(opcode: Opcode) -> bool {
    opcode.def().unit.is_some()
}
