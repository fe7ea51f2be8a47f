//! The type system: element types, machine vectors, memory buffers and shaped tensors.

use std::fmt;

/// Scalar element types of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElemType {
    I8,
    I16,
    I32,
    F16,
    BF16,
    F32,
}

impl ElemType {
    pub const ALL: [ElemType; 6] = [
        ElemType::I8,
        ElemType::I16,
        ElemType::I32,
        ElemType::F16,
        ElemType::BF16,
        ElemType::F32,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ElemType::I8 => "i8",
            ElemType::I16 => "i16",
            ElemType::I32 => "i32",
            ElemType::F16 => "f16",
            ElemType::BF16 => "bf16",
            ElemType::F32 => "f32",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Bytes per element. One lane of one stream carries one byte, so this is also the
    /// number of streams (the stream group) and memory words one vector of this type needs.
    pub fn bytes(self) -> u32 {
        match self {
            ElemType::I8 => 1,
            ElemType::I16 | ElemType::F16 | ElemType::BF16 => 2,
            ElemType::I32 | ElemType::F32 => 4,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, ElemType::F16 | ElemType::BF16 | ElemType::F32)
    }

    /// The accumulator type of a multiply-accumulate over this input type.
    pub fn accumulator(self) -> ElemType {
        if self.is_float() {
            ElemType::F32
        } else {
            ElemType::I32
        }
    }
}

impl fmt::Display for ElemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One dimension of a tensor shape: a size, or a symbol (an upper-case name such as `B`)
/// that a shape bucket fixes later.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Fixed(u64),
    Sym(String),
}

impl Dim {
    pub fn fixed(&self) -> Option<u64> {
        match self {
            Dim::Fixed(n) => Some(*n),
            Dim::Sym(_) => None,
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Sym(s) => f.write_str(s),
        }
    }
}

/// A shaped tensor: the values of the tensor level.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorType {
    pub dims: Vec<Dim>,
    pub elem: ElemType,
}

impl TensorType {
    pub fn new(dims: Vec<Dim>, elem: ElemType) -> Self {
        TensorType { dims, elem }
    }

    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// The static shape, if no dimension is symbolic.
    pub fn static_shape(&self) -> Option<Vec<u64>> {
        self.dims.iter().map(Dim::fixed).collect()
    }

    pub fn is_static(&self) -> bool {
        self.dims.iter().all(|d| d.fixed().is_some())
    }
}

/// The type of an SSA value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// One vector of `lanes` elements in flight on a stream group (machine level).
    Vec(ElemType),
    /// A buffer of `vectors` vectors resident in one memory slice (machine level).
    Mem { vectors: u32, elem: ElemType },
    /// A shaped tensor (tensor level).
    Tensor(TensorType),
}

impl Type {
    pub fn elem(&self) -> ElemType {
        match self {
            Type::Vec(e) | Type::Mem { elem: e, .. } => *e,
            Type::Tensor(t) => t.elem,
        }
    }

    pub fn as_tensor(&self) -> Option<&TensorType> {
        match self {
            Type::Tensor(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_mem(&self) -> bool {
        matches!(self, Type::Mem { .. })
    }

    /// Memory words a buffer of this type occupies (one word is one lane-wide byte row).
    pub fn mem_words(&self) -> Option<u64> {
        match self {
            Type::Mem { vectors, elem } => Some(u64::from(*vectors) * u64::from(elem.bytes())),
            _ => None,
        }
    }

    /// The same kind of type with another element type.
    pub fn with_elem(&self, elem: ElemType) -> Type {
        match self {
            Type::Vec(_) => Type::Vec(elem),
            Type::Mem { vectors, .. } => Type::Mem {
                vectors: *vectors,
                elem,
            },
            Type::Tensor(t) => Type::Tensor(TensorType::new(t.dims.clone(), elem)),
        }
    }

    /// Parses the text of a type literal such as `tensor<Bx320xf16>`, `vec<f32>` or
    /// `mem<640xf16>`.
    pub fn parse(text: &str) -> Result<Type, String> {
        let (kind, rest) = text
            .split_once('<')
            .ok_or_else(|| format!("`{text}` is not a type"))?;
        let body = rest
            .strip_suffix('>')
            .ok_or_else(|| format!("type `{text}` is missing its closing `>`"))?;
        let mut parts: Vec<&str> = body.split('x').collect();
        // `x` separates dimensions, and only upper-case symbols and digits precede the
        // element type, so the last part is always the element type.
        let elem_text = parts.pop().unwrap_or_default();
        let elem = ElemType::from_name(elem_text).ok_or_else(|| {
            format!(
                "unknown element type `{elem_text}` (expected one of i8, i16, i32, f16, bf16, f32)"
            )
        })?;
        let dims = parts
            .iter()
            .map(|p| parse_dim(p))
            .collect::<Result<Vec<_>, _>>()?;
        match kind {
            "tensor" => Ok(Type::Tensor(TensorType::new(dims, elem))),
            "vec" if dims.is_empty() => Ok(Type::Vec(elem)),
            "vec" => Err("a vector type has no dimensions: write `vec<T>`".into()),
            "mem" => match dims.as_slice() {
                [Dim::Fixed(n)] => Ok(Type::Mem {
                    vectors: u32::try_from(*n)
                        .map_err(|_| format!("buffer of {n} vectors is too large"))?,
                    elem,
                }),
                _ => Err("a buffer type has one fixed size: write `mem<NxT>`".into()),
            },
            other => Err(format!("unknown type constructor `{other}`")),
        }
    }
}

fn parse_dim(text: &str) -> Result<Dim, String> {
    if text.is_empty() {
        return Err("empty dimension".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Dim::Fixed)
            .map_err(|_| format!("dimension `{text}` is too large"));
    }
    let mut bytes = text.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_uppercase());
    if first_ok && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
        Ok(Dim::Sym(text.to_string()))
    } else {
        Err(format!(
            "dimension `{text}` must be a number or an upper-case symbol such as `B`"
        ))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Vec(e) => write!(f, "vec<{e}>"),
            Type::Mem { vectors, elem } => write!(f, "mem<{vectors}x{elem}>"),
            Type::Tensor(t) => {
                f.write_str("tensor<")?;
                for d in &t.dims {
                    write!(f, "{d}x")?;
                }
                write!(f, "{}>", t.elem)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_kind() {
        for text in [
            "tensor<Bx320xf16>",
            "tensor<f32>",
            "tensor<4x4xbf16>",
            "vec<i8>",
            "mem<640xf16>",
            "tensor<SEQxSEQxf32>",
        ] {
            let ty = Type::parse(text).unwrap();
            assert_eq!(ty.to_string(), text);
        }
    }

    #[test]
    fn rejects_bad_types_with_reasons() {
        assert!(Type::parse("tensor<4xq16>").unwrap_err().contains("q16"));
        assert!(
            Type::parse("tensor<batchx4xf16>")
                .unwrap_err()
                .contains("upper-case")
        );
        assert!(
            Type::parse("vec<4xf16>")
                .unwrap_err()
                .contains("no dimensions")
        );
        assert!(
            Type::parse("mem<Bxf16>")
                .unwrap_err()
                .contains("fixed size")
        );
    }

    #[test]
    fn buffer_words_count_element_bytes() {
        assert_eq!(Type::parse("mem<10xf32>").unwrap().mem_words(), Some(40));
    }
}
