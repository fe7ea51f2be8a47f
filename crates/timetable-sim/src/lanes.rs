//! Typed element storage: the data of one vector, one buffer vector or one whole tensor.
//!
//! [`Lanes`] holds the elements of one element type in a plain `Vec`, so kernels run
//! branch-free loops over slices. [`Elem`] connects each Rust element type to its
//! [`ElemType`] and its variant of `Lanes`.

use half::{bf16, f16};
use std::fmt::Debug;
use timetable_ir::types::ElemType;

/// Elements of one element type.
#[derive(Clone, Debug)]
pub enum Lanes {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
}

impl Default for Lanes {
    /// No elements (storage to be filled by a kernel).
    fn default() -> Self {
        Lanes::I8(Vec::new())
    }
}

/// Applies a generic expression to the vector inside a [`Lanes`], whatever its type.
macro_rules! with_lanes {
    ($lanes:expr, $v:ident => $body:expr) => {
        match $lanes {
            $crate::lanes::Lanes::I8($v) => $body,
            $crate::lanes::Lanes::I16($v) => $body,
            $crate::lanes::Lanes::I32($v) => $body,
            $crate::lanes::Lanes::F16($v) => $body,
            $crate::lanes::Lanes::BF16($v) => $body,
            $crate::lanes::Lanes::F32($v) => $body,
        }
    };
}

/// A Rust type that stores one of the machine's element types.
pub trait Elem: Copy + Default + PartialEq + Debug + Send + Sync + 'static {
    const TYPE: ElemType;
    fn wrap(v: Vec<Self>) -> Lanes;
    fn slice(l: &Lanes) -> Option<&[Self]>;
    fn vec_mut(l: &mut Lanes) -> Option<&mut Vec<Self>>;
    /// The bit pattern, zero-extended.
    fn bits(self) -> u32;
    /// The exact value (every element type fits an `f64` exactly).
    fn to_f64(self) -> f64;
}

macro_rules! elem {
    ($t:ty, $variant:ident, $bits:expr, $f64:expr) => {
        impl Elem for $t {
            const TYPE: ElemType = ElemType::$variant;
            fn wrap(v: Vec<Self>) -> Lanes {
                Lanes::$variant(v)
            }
            fn slice(l: &Lanes) -> Option<&[Self]> {
                match l {
                    Lanes::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn vec_mut(l: &mut Lanes) -> Option<&mut Vec<Self>> {
                match l {
                    Lanes::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline]
            fn bits(self) -> u32 {
                ($bits)(self)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                ($f64)(self)
            }
        }
    };
}

elem!(i8, I8, |x: i8| u32::from(x as u8), f64::from);
elem!(i16, I16, |x: i16| u32::from(x as u16), f64::from);
elem!(i32, I32, |x: i32| x as u32, f64::from);
elem!(f16, F16, |x: f16| u32::from(x.to_bits()), |x: f16| {
    f64::from(x.to_f32())
});
elem!(bf16, BF16, |x: bf16| u32::from(x.to_bits()), |x: bf16| {
    f64::from(x.to_f32())
});
elem!(f32, F32, f32::to_bits, f64::from);

impl Lanes {
    /// `n` zero elements (all bits clear).
    pub fn zeros(elem: ElemType, n: usize) -> Lanes {
        match elem {
            ElemType::I8 => Lanes::I8(vec![0; n]),
            ElemType::I16 => Lanes::I16(vec![0; n]),
            ElemType::I32 => Lanes::I32(vec![0; n]),
            ElemType::F16 => Lanes::F16(vec![f16::ZERO; n]),
            ElemType::BF16 => Lanes::BF16(vec![bf16::ZERO; n]),
            ElemType::F32 => Lanes::F32(vec![0.0; n]),
        }
    }

    pub fn elem(&self) -> ElemType {
        match self {
            Lanes::I8(_) => ElemType::I8,
            Lanes::I16(_) => ElemType::I16,
            Lanes::I32(_) => ElemType::I32,
            Lanes::F16(_) => ElemType::F16,
            Lanes::BF16(_) => ElemType::BF16,
            Lanes::F32(_) => ElemType::F32,
        }
    }

    pub fn len(&self) -> usize {
        with_lanes!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bit pattern of element `i`.
    pub fn bits(&self, i: usize) -> u32 {
        with_lanes!(self, v => v[i].bits())
    }

    /// The exact value of element `i`.
    pub fn value(&self, i: usize) -> f64 {
        with_lanes!(self, v => v[i].to_f64())
    }

    /// Same type, same length and the same bits in every element.
    pub fn bits_eq(&self, other: &Lanes) -> bool {
        self.elem() == other.elem()
            && self.len() == other.len()
            && (0..self.len()).all(|i| self.bits(i) == other.bits(i))
    }

    /// The first index whose bits differ (or the shorter length), `None` if equal.
    pub fn first_difference(&self, other: &Lanes) -> Option<usize> {
        if self.elem() != other.elem() {
            return Some(0);
        }
        let n = self.len().min(other.len());
        (0..n)
            .find(|&i| self.bits(i) != other.bits(i))
            .or((self.len() != other.len()).then_some(n))
    }

    /// `out[i] = self[index[i]]`.
    pub fn gather(&self, index: &[usize]) -> Lanes {
        with_lanes!(self, v => Elem::wrap(index.iter().map(|&i| v[i]).collect()))
    }

    /// Elements `[start, start + n)`; positions past the end read as zero.
    pub fn window(&self, start: usize, n: usize) -> Lanes {
        with_lanes!(self, v => {
            let mut out = vec![Default::default(); n];
            let end = (start + n).min(v.len());
            if start < end {
                out[..end - start].copy_from_slice(&v[start..end]);
            }
            Elem::wrap(out)
        })
    }

    /// Copies `src` into `self[start..]` (same element type; excess is dropped).
    pub fn write_at(&mut self, start: usize, src: &Lanes) {
        macro_rules! copy {
            ($($variant:ident),*) => {
                match (self, src) {
                    $((Lanes::$variant(dst), Lanes::$variant(s)) => {
                        let n = s.len().min(dst.len().saturating_sub(start));
                        dst[start..start + n].copy_from_slice(&s[..n]);
                    })*
                    (dst, s) => panic!("write_at: {} into {}", s.elem(), dst.elem()),
                }
            };
        }
        copy!(I8, I16, I32, F16, BF16, F32)
    }

    /// Concatenates parts of one element type.
    pub fn concat(elem: ElemType, parts: &[&Lanes]) -> Lanes {
        let total = parts.iter().map(|p| p.len()).sum();
        let mut out = Lanes::zeros(elem, total);
        let mut at = 0;
        for p in parts {
            out.write_at(at, p);
            at += p.len();
        }
        out
    }
}
