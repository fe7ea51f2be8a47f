//! One MXM weight plane: `lanes x lanes` weights and its accumulators, with the rules of
//! docs/semantics.md (sections 5 and 7). Both machine-level interpreters drive planes
//! through these methods; the cycle-level simulator splits a multiply-accumulate into
//! [`Plane::chunk`] (at issue) and [`Plane::accumulate`] (when it lands).

use crate::arith::Accumulate;
use crate::lanes::{Elem, Lanes};
use crate::sums;
use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use timetable_ir::target::IntOverflow;
use timetable_ir::types::ElemType;

/// A type rule of the MXM broken at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MxmError {
    /// The MXM multiplies `i8`, `f16` and `bf16` only.
    NotMultiplicand(ElemType),
    /// A weight row was loaded with another element type than the multiplied vector's.
    WeightType {
        row: usize,
        loaded: ElemType,
        used: ElemType,
    },
    /// The accumulator holds another type than the op uses.
    AccType { holds: ElemType, wanted: ElemType },
}

impl std::fmt::Display for MxmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MxmError::NotMultiplicand(e) => {
                write!(f, "the MXM multiplies i8, f16 or bf16, not {e}")
            }
            MxmError::WeightType { row, loaded, used } => write!(
                f,
                "weight row {row} holds {loaded} but the vector multiplied is {used}"
            ),
            MxmError::AccType { holds, wanted } => {
                write!(f, "the accumulator holds {holds}, not {wanted}")
            }
        }
    }
}

/// Weights (widened to the accumulator type when loaded) and accumulators of one plane.
#[derive(Clone, Debug)]
pub struct Plane {
    lanes: usize,
    /// Element type each row was loaded with; `None`: never loaded (zero).
    rows: Vec<Option<ElemType>>,
    /// Rows loaded from `f16`/`bf16`, as `f32`; empty until the first such load.
    float_w: Vec<f32>,
    /// Rows loaded from `i8`, as `i32`; empty until the first such load.
    int_w: Vec<i32>,
    /// `None`: never written (zero).
    accs: Vec<Option<Lanes>>,
}

fn widen_into<T: Accumulate>(src: &[T], dst: &mut [T::Acc]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s.widen();
    }
}

fn chunk_typed<T: Accumulate>(x: &[T], w: &[T::Acc], lanes: usize, ov: IntOverflow) -> Lanes {
    let mut out = vec![T::Acc::default(); lanes];
    let xw: Vec<T::Acc> = x.iter().map(|v| v.widen()).collect();
    if w.is_empty() {
        // No row of this kind was ever loaded: all zero, but `NaN · 0` still counts.
        let zeros = vec![T::Acc::default(); lanes * lanes];
        sums::chunk_dot(&xw, &zeros, &mut out, ov);
    } else {
        sums::chunk_dot(&xw, w, &mut out, ov);
    }
    T::Acc::wrap(out)
}

impl Plane {
    pub fn new(lanes: usize, acc_slots: usize) -> Self {
        Plane {
            lanes,
            rows: vec![None; lanes],
            float_w: Vec::new(),
            int_w: Vec::new(),
            accs: vec![None; acc_slots],
        }
    }

    /// Back to the initial state (all zero), keeping the storage.
    pub fn clear(&mut self) {
        self.rows.fill(None);
        self.float_w.clear();
        self.int_w.clear();
        self.accs.fill(None);
    }

    /// `mxm.load`: installs `data` as weight row `row`.
    pub fn load(&mut self, row: usize, data: &Lanes) -> Result<(), MxmError> {
        let l = self.lanes;
        let range = row * l..(row + 1) * l;
        match data {
            Lanes::I8(v) => {
                self.int_w.resize(l * l, 0);
                widen_into(v, &mut self.int_w[range]);
            }
            Lanes::F16(v) => {
                self.float_w.resize(l * l, 0.0);
                // Exact widening, eight lanes at a time.
                v.convert_to_f32_slice(&mut self.float_w[range]);
            }
            Lanes::BF16(v) => {
                self.float_w.resize(l * l, 0.0);
                widen_into(v, &mut self.float_w[range]);
            }
            other => return Err(MxmError::NotMultiplicand(other.elem())),
        }
        self.rows[row] = Some(data.elem());
        Ok(())
    }

    /// The chunk sum `x · W` of `mxm.mac`, in the accumulator type, from the weights as
    /// they are now.
    pub fn chunk(&self, x: &Lanes, ov: IntOverflow) -> Result<Lanes, MxmError> {
        let used = x.elem();
        if let Some((row, loaded)) = self
            .rows
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.filter(|&e| e != used).map(|e| (i, e)))
        {
            return Err(MxmError::WeightType { row, loaded, used });
        }
        let l = self.lanes;
        Ok(match x {
            Lanes::I8(v) => chunk_typed::<i8>(v, &self.int_w, l, ov),
            Lanes::F16(v) => chunk_typed::<f16>(v, &self.float_w, l, ov),
            Lanes::BF16(v) => chunk_typed::<bf16>(v, &self.float_w, l, ov),
            other => return Err(MxmError::NotMultiplicand(other.elem())),
        })
    }

    /// Lands a multiply-accumulate: the accumulator becomes `s`, or `acc + s`.
    pub fn accumulate(
        &mut self,
        acc: usize,
        s: Lanes,
        accumulate: bool,
        ov: IntOverflow,
    ) -> Result<(), MxmError> {
        let slot = &mut self.accs[acc];
        match (accumulate, slot.as_mut()) {
            (true, Some(old)) => match (old, &s) {
                (Lanes::I32(a), Lanes::I32(b)) => sums::add_into(a, b, ov),
                (Lanes::F32(a), Lanes::F32(b)) => sums::add_into(a, b, ov),
                (old, s) => {
                    return Err(MxmError::AccType {
                        holds: old.elem(),
                        wanted: s.elem(),
                    });
                }
            },
            // Accumulating onto the initial zero gives `0 + s = s` (s is never -0).
            _ => *slot = Some(s),
        }
        Ok(())
    }

    /// `mxm.acc`: the accumulator as `elem` (zeros if never written).
    pub fn read(&self, acc: usize, elem: ElemType) -> Result<Lanes, MxmError> {
        match &self.accs[acc] {
            None => Ok(Lanes::zeros(elem, self.lanes)),
            Some(l) if l.elem() == elem => Ok(l.clone()),
            Some(l) => Err(MxmError::AccType {
                holds: l.elem(),
                wanted: elem,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOverflow::Wrap;

    #[test]
    fn multiply_accumulate_over_loaded_rows() {
        let mut p = Plane::new(2, 2);
        p.load(0, &Lanes::I8(vec![1, 2])).unwrap();
        p.load(1, &Lanes::I8(vec![3, 4])).unwrap();
        let s = p.chunk(&Lanes::I8(vec![10, 100]), Wrap).unwrap();
        assert!(s.bits_eq(&Lanes::I32(vec![310, 420])));
        p.accumulate(1, s.clone(), false, Wrap).unwrap();
        p.accumulate(1, s, true, Wrap).unwrap();
        assert!(
            p.read(1, ElemType::I32)
                .unwrap()
                .bits_eq(&Lanes::I32(vec![620, 840]))
        );
        assert!(
            p.read(0, ElemType::F32)
                .unwrap()
                .bits_eq(&Lanes::F32(vec![0.0, 0.0]))
        );
        assert!(p.read(1, ElemType::F32).is_err());
    }

    #[test]
    fn mixed_types_are_reported() {
        let mut p = Plane::new(2, 1);
        p.load(1, &Lanes::I8(vec![1, 2])).unwrap();
        let x = Lanes::F16(vec![f16::ONE; 2]);
        assert_eq!(
            p.chunk(&x, Wrap).unwrap_err(),
            MxmError::WeightType {
                row: 1,
                loaded: ElemType::I8,
                used: ElemType::F16
            }
        );
        assert!(p.load(0, &Lanes::F32(vec![1.0; 2])).is_err());
        // Rows never loaded are zero of any type.
        let fresh = Plane::new(2, 1);
        assert!(
            fresh
                .chunk(&x, Wrap)
                .unwrap()
                .bits_eq(&Lanes::F32(vec![0.0; 2]))
        );
    }
}
