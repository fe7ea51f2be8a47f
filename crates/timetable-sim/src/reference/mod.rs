//! Reference interpreters: the meaning of a program, without timing.
//!
//! - [`tensor::run`] runs a tensor-level function at one shape bucket;
//! - [`machine::run`] runs a machine-level function in body order.

pub mod machine;
pub mod tensor;

use crate::lanes::Lanes;
use crate::program::Buffer;
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::fmt;
use timetable_ir::attr::AttrValue;
use timetable_ir::ir::Function;
use timetable_ir::types::{Dim, Type};

/// Sizes of symbolic dimensions: one shape bucket (`--shape B=4`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings(BTreeMap<String, u64>);

impl Bindings {
    /// Parses `NAME=SIZE` items.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Bindings, String> {
        let mut b = Bindings::default();
        for item in items {
            let item = item.as_ref();
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not `NAME=SIZE`"))?;
            let size = v
                .trim()
                .parse()
                .map_err(|_| format!("`{item}`: `{v}` is not a size"))?;
            if b.0.insert(k.trim().to_string(), size).is_some() {
                return Err(format!("`{k}` is given twice"));
            }
        }
        Ok(b)
    }

    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.get(name).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The static shape of a tensor type under these sizes.
    pub fn shape_of(&self, ty: &Type) -> Result<Vec<usize>, String> {
        let t = ty
            .as_tensor()
            .ok_or_else(|| format!("`{ty}` is not a tensor type"))?;
        t.dims
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => Ok(*n as usize),
                Dim::Sym(s) => self
                    .get(s)
                    .map(|n| n as usize)
                    .ok_or_else(|| format!("dimension `{s}` of `{ty}` has no size")),
            })
            .collect()
    }

    /// The symbols `func` uses in its argument and result types, sorted.
    pub fn symbols_of(func: &Function) -> Vec<String> {
        let mut syms: Vec<String> = func
            .args
            .iter()
            .map(|a| &func.value(a.value).ty)
            .chain(&func.results)
            .filter_map(Type::as_tensor)
            .flat_map(|t| t.dims.iter())
            .filter_map(|d| match d {
                Dim::Sym(s) => Some(s.clone()),
                Dim::Fixed(_) => None,
            })
            .collect();
        syms.sort();
        syms.dedup();
        syms
    }

    /// The sizes `func` runs at: `explicit` where given, else the first size each symbol's
    /// `buckets` entry lists. Returns the bindings and the symbols that took a default.
    pub fn for_function(func: &Function, explicit: &Bindings) -> (Bindings, Vec<String>) {
        let buckets = func.attrs.get("buckets").and_then(AttrValue::as_dict);
        let mut b = Bindings::default();
        let mut defaulted = Vec::new();
        for s in Self::symbols_of(func) {
            if let Some(n) = explicit.get(&s) {
                b.0.insert(s, n);
            } else if let Some(n) = buckets
                .and_then(|d| d.get(&s))
                .and_then(AttrValue::as_array)
                .and_then(|a| a.first())
                .and_then(AttrValue::as_u64)
            {
                b.0.insert(s.clone(), n);
                defaulted.push(s);
            }
        }
        (b, defaulted)
    }

    /// As an attribute dictionary (`{B = 4}`), the form of a lowered function's `bucket`.
    pub fn to_attr(&self) -> AttrValue {
        self.0
            .iter()
            .map(|(k, &v)| (k.clone(), AttrValue::from(v)))
            .collect()
    }
}

impl fmt::Display for Bindings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&items.join(", "))
    }
}

/// What the host reads back from one output buffer.
#[derive(Clone, Debug)]
pub struct HostOutput {
    pub name: String,
    /// Every vector of the buffer, padding lanes included.
    pub vectors: Vec<Lanes>,
    /// The host's shape: the buffer's `tensor`, else `vectors x lanes`.
    pub shape: Vec<usize>,
    lanes: usize,
}

impl HostOutput {
    /// `None` vectors read as zero.
    pub fn new(buffer: &Buffer, vectors: Vec<Option<Lanes>>, lanes: u32) -> HostOutput {
        let zero = Lanes::zeros(buffer.elem, lanes as usize);
        HostOutput {
            name: buffer.name.clone(),
            vectors: vectors
                .into_iter()
                .map(|v| v.unwrap_or_else(|| zero.clone()))
                .collect(),
            shape: buffer.host_shape(lanes),
            lanes: lanes as usize,
        }
    }

    /// The host's view: the tensor in the buffer (padding lanes dropped).
    pub fn tensor(&self) -> Tensor {
        Tensor::from_vectors(self.shape.clone(), &self.vectors, self.lanes)
    }
}

/// The outputs of a machine-level run, in output order.
#[derive(Clone, Debug)]
pub struct MachineOutputs {
    pub outputs: Vec<HostOutput>,
}

impl MachineOutputs {
    /// Whether every vector of every output has the same bits as in `other`.
    pub fn bits_eq(&self, other: &MachineOutputs) -> bool {
        self.outputs.len() == other.outputs.len()
            && self.outputs.iter().zip(&other.outputs).all(|(a, b)| {
                a.vectors.len() == b.vectors.len()
                    && a.vectors.iter().zip(&b.vectors).all(|(x, y)| x.bits_eq(y))
            })
    }
}
