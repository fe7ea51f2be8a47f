//! The host's side: inputs from NumPy `.npy` files or seeds, outputs printed or written
//! as `.npy`.
//!
//! `.npy` element types: `i1 i2 i4` for `i8 i16 i32`, `f2` for `f16`, `f4` for `f32`.
//! NumPy has no `bfloat16`: a `bf16` input is read from `f4` (rounded to nearest even) or
//! from `u2`/`i2` holding the raw bits, and a `bf16` output is written as `f4` (exact).

use crate::arith::convert;
use crate::codes;
use crate::lanes::Lanes;
use crate::reference::Bindings;
use crate::seed;
use crate::tensor::{Display, Tensor};
use half::{bf16, f16};
use npyz::{TypeChar, WriterBuilder};
use std::path::{Path, PathBuf};
use timetable_ir::diag::{Diagnostic, Diagnostics};
use timetable_ir::ir::Function;
use timetable_ir::span::Span;
use timetable_ir::target::IntOverflow;
use timetable_ir::types::ElemType;

/// A tensor read from a `.npy` file; `raw_u16` marks `u2` data (possible `bf16` bits).
#[derive(Clone, Debug)]
pub struct NpyTensor {
    pub tensor: Tensor,
    pub raw_u16: bool,
}

/// Reads a C-ordered `.npy` file of a supported element type.
pub fn read_npy(path: &Path) -> Result<NpyTensor, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let npy = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| format!("`{}` is not a .npy file: {e}", path.display()))?;
    if npy.order() != npyz::Order::C {
        return Err(format!(
            "`{}` is Fortran-ordered; save it with np.ascontiguousarray",
            path.display()
        ));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let npyz::DType::Plain(ty) = npy.dtype() else {
        return Err(format!("`{}` holds records, not numbers", path.display()));
    };
    let err = |e: std::io::Error| format!("`{}`: {e}", path.display());
    let (data, raw_u16) = match (ty.type_char(), ty.size_field()) {
        (TypeChar::Int, 1) => (Lanes::I8(npy.into_vec::<i8>().map_err(err)?), false),
        (TypeChar::Int, 2) => (Lanes::I16(npy.into_vec::<i16>().map_err(err)?), false),
        (TypeChar::Uint, 2) => {
            let v = npy.into_vec::<u16>().map_err(err)?;
            (Lanes::I16(v.into_iter().map(|x| x as i16).collect()), true)
        }
        (TypeChar::Int, 4) => (Lanes::I32(npy.into_vec::<i32>().map_err(err)?), false),
        (TypeChar::Float, 2) => (Lanes::F16(npy.into_vec::<f16>().map_err(err)?), false),
        (TypeChar::Float, 4) => (Lanes::F32(npy.into_vec::<f32>().map_err(err)?), false),
        _ => {
            return Err(format!(
                "`{}` holds `{ty}`; inputs are int8, int16, int32, float16 or float32",
                path.display()
            ));
        }
    };
    let tensor = Tensor::new(shape, data).map_err(|e| format!("`{}`: {e}", path.display()))?;
    Ok(NpyTensor { tensor, raw_u16 })
}

fn bf16_from(v: &[f32]) -> Lanes {
    Lanes::BF16(
        v.iter()
            .map(|&x| convert::<f32, bf16>(x, IntOverflow::Wrap))
            .collect(),
    )
}

impl NpyTensor {
    /// The data as `elem`: the same type, or `bf16` from `f4` or raw `u2`/`i2` bits.
    pub fn as_elem(&self, elem: ElemType) -> Option<Tensor> {
        let t = &self.tensor;
        let data = match (&t.data, elem) {
            (d, e) if d.elem() == e && !self.raw_u16 => d.clone(),
            (Lanes::F32(v), ElemType::BF16) => bf16_from(v),
            (Lanes::I16(v), ElemType::BF16) => {
                Lanes::BF16(v.iter().map(|&b| bf16::from_bits(b as u16)).collect())
            }
            _ => return None,
        };
        Some(Tensor {
            shape: t.shape.clone(),
            data,
        })
    }
}

fn write_typed<T: npyz::AutoSerialize + Copy>(
    path: &Path,
    shape: &[u64],
    data: &[T],
) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(data.iter().copied())?;
    w.finish()?;
    timetable_ir::driver::write_atomic(path, &bytes)
}

/// Writes a tensor as `.npy` (`bf16` as `f4`).
pub fn write_npy(path: &Path, t: &Tensor) -> Result<(), String> {
    let shape: Vec<u64> = t.shape.iter().map(|&d| d as u64).collect();
    let r = match &t.data {
        Lanes::I8(v) => write_typed(path, &shape, v),
        Lanes::I16(v) => write_typed(path, &shape, v),
        Lanes::I32(v) => write_typed(path, &shape, v),
        Lanes::F16(v) => write_typed(path, &shape, v),
        Lanes::BF16(v) => {
            let wide: Vec<f32> = v.iter().map(|x| x.to_f32()).collect();
            write_typed(path, &shape, &wide)
        }
        Lanes::F32(v) => write_typed(path, &shape, v),
    };
    r.map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// One input the host provides: a tensor argument or a `role = "input"` buffer.
#[derive(Clone, Debug)]
pub struct InputSlot {
    pub name: String,
    pub shape: Vec<usize>,
    pub elem: ElemType,
    pub span: Span,
}

impl InputSlot {
    pub fn type_name(&self) -> String {
        Tensor::zeros(self.shape.clone(), self.elem).type_name()
    }
}

/// The inputs of a tensor-level function at the sizes in `bindings`.
pub fn tensor_slots(func: &Function, bindings: &Bindings) -> Result<Vec<InputSlot>, Diagnostic> {
    func.args
        .iter()
        .map(|a| {
            let v = func.value(a.value);
            let span = func.value_span(a.value);
            let shape = bindings.shape_of(&v.ty).map_err(|e| {
                Diagnostic::error(codes::UNBOUND_SHAPE, e)
                    .primary(span, "has a symbolic dimension")
                    .note("give its size with `--shape NAME=SIZE`")
            })?;
            Ok(InputSlot {
                name: v.name.clone(),
                shape,
                elem: v.ty.elem(),
                span,
            })
        })
        .collect()
}

/// The inputs of a machine-level function, in input order.
pub fn machine_slots(program: &crate::program::Program, lanes: u32) -> Vec<InputSlot> {
    program
        .input_buffers()
        .map(|(_, b)| InputSlot {
            name: b.name.clone(),
            shape: b.host_shape(lanes),
            elem: b.elem,
            span: b.span,
        })
        .collect()
}

/// Where input data comes from: named `.npy` files, and a seed for the rest.
#[derive(Clone, Debug, Default)]
pub struct InputSpec {
    pub files: Vec<(String, PathBuf)>,
    pub seed: u64,
}

impl InputSpec {
    /// Parses `NAME=FILE` items.
    pub fn parse(items: &[String], seed: u64) -> Result<InputSpec, String> {
        let files = items
            .iter()
            .map(|i| {
                let (n, f) = i
                    .split_once('=')
                    .ok_or_else(|| format!("`--input {i}` is not `NAME=FILE.npy`"))?;
                Ok((n.trim_start_matches('%').to_string(), PathBuf::from(f)))
            })
            .collect::<Result<_, String>>()?;
        Ok(InputSpec { files, seed })
    }

    /// An error for each `--input` name that none of these functions' inputs has (typos).
    pub fn check_names(&self, functions: &[&[InputSlot]]) -> Diagnostics {
        let known = |name: &str| {
            functions
                .iter()
                .flat_map(|f| f.iter())
                .any(|s| s.name == name)
        };
        self.files
            .iter()
            .filter(|(name, _)| !known(name))
            .map(|(name, _)| {
                let mut names: Vec<String> = functions
                    .iter()
                    .flat_map(|f| f.iter())
                    .map(|s| format!("%{}", s.name))
                    .collect();
                names.sort();
                names.dedup();
                Diagnostic::error(
                    codes::BAD_INPUT,
                    format!("`--input {name}=...` names no input"),
                )
                .note(format!("the inputs are: {}", names.join(", ")))
            })
            .collect()
    }

    /// One tensor per slot: from its file if named, else seed data (docs/semantics.md, 8).
    /// Names that match no slot are ignored here (see [`InputSpec::check_names`]).
    pub fn resolve(&self, slots: &[InputSlot]) -> Result<Vec<Tensor>, Diagnostics> {
        let mut diags = Vec::new();
        let tensors: Vec<Tensor> = slots
            .iter()
            .enumerate()
            .filter_map(
                |(i, slot)| match self.files.iter().find(|(n, _)| n == &slot.name) {
                    None => {
                        let count = slot.shape.iter().product();
                        let data =
                            seed::seed_data(seed::input_seed(self.seed, i), slot.elem, count);
                        Some(Tensor {
                            shape: slot.shape.clone(),
                            data,
                        })
                    }
                    Some((_, path)) => {
                        let fail = |m: String| {
                            Diagnostic::error(codes::BAD_INPUT, m).primary(slot.span, "this input")
                        };
                        let npy = match read_npy(path) {
                            Ok(n) => n,
                            Err(e) => {
                                diags.push(fail(e));
                                return None;
                            }
                        };
                        match npy.as_elem(slot.elem).filter(|t| t.shape == slot.shape) {
                            Some(t) => Some(t),
                            None => {
                                diags.push(fail(format!(
                                    "input `%{}` takes `{}`, but `{}` holds `{}`",
                                    slot.name,
                                    slot.type_name(),
                                    path.display(),
                                    npy.tensor.type_name()
                                )));
                                None
                            }
                        }
                    }
                },
            )
            .collect();
        if diags.is_empty() {
            Ok(tensors)
        } else {
            Err(diags)
        }
    }
}

/// Prints named tensors readably (long dimensions elided unless `full`).
pub fn print_tensors(named: &[(String, &Tensor)], full: bool) -> String {
    let mut out = String::new();
    for (name, t) in named {
        let edge = (!full).then_some(4);
        out.push_str(&format!(
            "{name}: {}\n{}\n",
            t.type_name(),
            Display { tensor: t, edge }
        ));
    }
    out
}

/// Writes `DIR/PREFIX.NAME.npy` for each named tensor; returns the paths.
pub fn write_tensors(
    dir: &Path,
    prefix: &str,
    named: &[(String, &Tensor)],
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    named
        .iter()
        .map(|(name, t)| {
            let path = dir.join(format!("{prefix}.{}.npy", name.trim_start_matches('%')));
            write_npy(&path, t).map(|()| path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_round_trips_every_type() {
        let dir = std::env::temp_dir().join(format!("timetable-sim-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for elem in ElemType::ALL {
            let t = Tensor::new(vec![2, 3], seed::seed_data(3, elem, 6)).unwrap();
            let path = dir.join(format!("{elem}.npy"));
            write_npy(&path, &t).unwrap();
            let back = read_npy(&path).unwrap().as_elem(elem).unwrap();
            assert!(back.bits_eq(&t), "{elem}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn inputs_come_from_seeds_unless_named() {
        let slots = vec![
            InputSlot {
                name: "x".into(),
                shape: vec![2],
                elem: ElemType::F32,
                span: Span::DUMMY,
            },
            InputSlot {
                name: "y".into(),
                shape: vec![2],
                elem: ElemType::F32,
                span: Span::DUMMY,
            },
        ];
        let spec = InputSpec::parse(&[], 5).unwrap();
        let a = spec.resolve(&slots).unwrap();
        assert!(
            a[0].data
                .bits_eq(&seed::seed_data(5 * 65536, ElemType::F32, 2))
        );
        assert!(
            a[1].data
                .bits_eq(&seed::seed_data(5 * 65536 + 1, ElemType::F32, 2))
        );
        let bad = InputSpec::parse(&["z=none.npy".to_string()], 5).unwrap();
        assert!(bad.resolve(&slots).is_ok());
        let e = bad.check_names(&[&slots]);
        assert!(e[0].message.contains("names no input"));
        assert!(e[0].notes[0].contains("%x, %y"));
        assert!(InputSpec::parse(&["nonsense".to_string()], 0).is_err());
    }
}
