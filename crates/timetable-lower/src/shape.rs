//! Static tensor shapes with their canonical layout, and tensors stored in buffers.

use timetable_ir::layout::Layout;
use timetable_ir::types::{Dim, ElemType, TensorType, Type};
use timetable_ir::{Handle, Value};

/// A static tensor type together with its canonical layout on the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub dims: Vec<u64>,
    pub elem: ElemType,
    pub layout: Layout,
}

impl Shape {
    /// `None` if a dimension is symbolic.
    pub fn of(ty: &TensorType, lanes: u32) -> Option<Shape> {
        Some(Shape {
            dims: ty.static_shape()?,
            elem: ty.elem,
            layout: Layout::of(ty, lanes)?,
        })
    }

    pub fn tensor_type(&self) -> TensorType {
        TensorType::new(
            self.dims.iter().map(|&d| Dim::Fixed(d)).collect(),
            self.elem,
        )
    }

    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    pub fn lanes(&self) -> u64 {
        self.layout.lanes
    }

    /// Rows: the product of all dimensions but the last.
    pub fn rows(&self) -> u64 {
        self.layout.rows
    }

    /// The last dimension (1 for a scalar).
    pub fn cols(&self) -> u64 {
        self.layout.cols
    }

    /// Vectors per row.
    pub fn chunks(&self) -> u64 {
        self.layout.chunks()
    }

    pub fn vectors(&self) -> u64 {
        self.layout.vectors()
    }

    /// Lanes holding data in the last chunk of a row, when the row does not fill it.
    pub fn tail(&self) -> Option<u64> {
        let r = self.cols() % self.lanes();
        (r != 0).then_some(r)
    }

    /// Whether vector `index` is the last, partly filled chunk of its row.
    pub fn is_tail_vector(&self, index: u64) -> bool {
        self.tail().is_some() && index % self.chunks() == self.chunks() - 1
    }

    /// Lanes of chunk `chunk` that hold data.
    pub fn valid_lanes(&self, chunk: u64) -> u64 {
        self.lanes().min(self.cols() - chunk * self.lanes())
    }

    /// The dimensions that make up the rows (all but the last).
    pub fn leading(&self) -> &[u64] {
        match self.dims.split_last() {
            Some((_, rest)) => rest,
            None => &[],
        }
    }

    /// Row number of a multi-index over the leading dimensions (row-major).
    pub fn row_of(&self, index: &[u64]) -> u64 {
        self.leading()
            .iter()
            .zip(index)
            .fold(0, |row, (&d, &i)| row * d + i)
    }

    /// Multi-index over the leading dimensions of a row number.
    pub fn row_index(&self, mut row: u64) -> Vec<u64> {
        let mut index = vec![0; self.leading().len()];
        for (slot, &d) in index.iter_mut().zip(self.leading()).rev() {
            *slot = row % d;
            row /= d;
        }
        index
    }

    /// Memory words the tensor occupies in the canonical layout.
    pub fn words(&self) -> u64 {
        self.vectors() * u64::from(self.elem.bytes())
    }

    /// Bytes of on-chip memory it occupies (padding lanes included).
    pub fn bytes(&self) -> u64 {
        self.words() * self.lanes()
    }

    /// The buffer type holding `vectors` vectors of this element type.
    pub fn buffer_type(&self, vectors: u64) -> Type {
        Type::Mem {
            vectors: u32::try_from(vectors).unwrap_or(u32::MAX),
            elem: self.elem,
        }
    }
}

/// A tensor resident in memory in the canonical layout, over one or more buffers
/// ("parts") of `per_part` consecutive vectors each. Inputs, outputs and constants are
/// one part; scratch tensors larger than a memory bank are split.
#[derive(Clone, Debug)]
pub struct Stored {
    pub shape: Shape,
    /// The tensor's name, used to name the vectors read from it.
    pub name: String,
    parts: Vec<Handle<Value>>,
    per_part: u64,
}

impl Stored {
    pub fn new(shape: Shape, name: String, parts: Vec<Handle<Value>>, per_part: u64) -> Stored {
        Stored {
            shape,
            name,
            parts,
            per_part: per_part.max(1),
        }
    }

    /// The buffer and the index in it of the tensor's vector `index`.
    pub fn locate(&self, index: u64) -> (Handle<Value>, u64) {
        let part = (index / self.per_part) as usize;
        (self.parts[part], index % self.per_part)
    }

    /// The same vectors seen as another shape with the same vector mapping (a free
    /// reshape).
    pub fn aliased(&self, shape: Shape, name: String) -> Stored {
        Stored {
            shape,
            name,
            parts: self.parts.clone(),
            per_part: self.per_part,
        }
    }

    /// The single buffer holding the whole tensor, if it is one part.
    pub fn single_buffer(&self) -> Option<Handle<Value>> {
        match self.parts.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}
