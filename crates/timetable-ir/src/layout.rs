//! The canonical layout of a tensor in a buffer of vectors, shared by lowering and the
//! simulators so that every stage agrees where each element lives.
//!
//! The last dimension runs along the lanes. It is cut into `ceil(n / lanes)` chunks of
//! `lanes` elements; all other dimensions are flattened row-major. Element
//! `(r, j)` — row `r` of the flattened leading dimensions, column `j` — sits in vector
//! `r * chunks + j / lanes`, lane `j % lanes`. Lanes past the end of a row are padding and
//! hold zero. A rank-0 tensor is one vector with the value in lane 0.

use crate::types::TensorType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Product of all dimensions but the last (1 for rank 0 and 1).
    pub rows: u64,
    /// The last dimension (1 for rank 0).
    pub cols: u64,
    pub lanes: u64,
}

impl Layout {
    /// The layout of a static tensor; `None` if a dimension is symbolic.
    pub fn of(ty: &TensorType, lanes: u32) -> Option<Layout> {
        let shape = ty.static_shape()?;
        let (cols, rows) = match shape.split_last() {
            None => (1, 1),
            Some((&last, rest)) => (last, rest.iter().product()),
        };
        Some(Layout {
            rows,
            cols,
            lanes: u64::from(lanes),
        })
    }

    /// Vectors per row.
    pub fn chunks(&self) -> u64 {
        self.cols.div_ceil(self.lanes).max(1)
    }

    /// Vectors the tensor occupies.
    pub fn vectors(&self) -> u64 {
        self.rows * self.chunks()
    }

    /// Lanes holding data (the rest are padding), summed over all vectors.
    pub fn used_lanes(&self) -> u64 {
        self.rows * self.cols
    }

    /// Where the element with row-major flat index `i` lives: (vector, lane).
    pub fn position(&self, i: u64) -> (u64, u64) {
        let (r, j) = (i / self.cols, i % self.cols);
        (r * self.chunks() + j / self.lanes, j % self.lanes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Type;

    #[test]
    fn rows_are_cut_into_lane_chunks() {
        let t = Type::parse("tensor<2x10xf32>").unwrap();
        let l = Layout::of(t.as_tensor().unwrap(), 8).unwrap();
        assert_eq!(l.chunks(), 2);
        assert_eq!(l.vectors(), 4);
        assert_eq!(l.position(0), (0, 0));
        assert_eq!(l.position(9), (1, 1));
        assert_eq!(l.position(10), (2, 0));
    }

    #[test]
    fn scalars_take_one_vector() {
        let t = Type::parse("tensor<f32>").unwrap();
        assert_eq!(Layout::of(t.as_tensor().unwrap(), 8).unwrap().vectors(), 1);
    }
}
