//! The packing problem: buffers with live intervals and sizes, one capacity.

use std::fmt;
use std::num::NonZeroU64;

/// Index of a buffer in its [`Problem`] (the order of [`Problem::push`]).
pub type BufferId = usize;

/// A half-open live interval `[lower, upper)` in abstract time units (program
/// order or cycles). Two buffers conflict only if their intervals intersect;
/// an empty interval conflicts with nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lifetime {
    lower: u64,
    upper: u64,
}

impl Lifetime {
    /// `[lower, upper)`; `None` if `upper < lower`.
    pub fn new(lower: u64, upper: u64) -> Option<Lifetime> {
        (lower <= upper).then_some(Lifetime { lower, upper })
    }

    pub fn lower(self) -> u64 {
        self.lower
    }

    pub fn upper(self) -> u64 {
        self.upper
    }

    pub fn len(self) -> u64 {
        self.upper - self.lower
    }

    pub fn is_empty(self) -> bool {
        self.lower == self.upper
    }

    /// Whether both are live at some common moment (never, if either is
    /// empty).
    pub fn overlaps(self, other: Lifetime) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && self.lower < other.upper
            && other.lower < self.upper
    }
}

/// Problems from `(lower, upper, size)` triples, for the unit tests.
#[cfg(test)]
pub(crate) fn triples(capacity: u64, buffers: &[(u64, u64, u64)]) -> Problem {
    Problem::with_buffers(
        capacity,
        buffers
            .iter()
            .map(|&(l, u, s)| Buffer::new(l, u, s).expect("lower <= upper")),
    )
    .expect("small sizes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_half_open() {
        let l = |a, b| Lifetime::new(a, b).unwrap();
        assert!(l(0, 4).overlaps(l(3, 6)));
        assert!(!l(0, 4).overlaps(l(4, 6)));
        assert!(!l(5, 5).overlaps(l(3, 8)));
        assert!(Lifetime::new(2, 1).is_none());
        assert_eq!(Align::new(4).unwrap().up(5), 8);
        assert!(Align::new(0).is_none());
    }

    #[test]
    fn totals_beyond_the_limit_are_refused() {
        let mut p = Problem::new(10);
        p.push(Buffer::new(0, 1, Problem::MAX_TOTAL).unwrap())
            .unwrap();
        assert_eq!(
            p.push(Buffer::new(0, 1, 1).unwrap()),
            Err(ProblemError::TooLarge { buffer: 1 })
        );
        assert_eq!(p.len(), 1);
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.lower, self.upper)
    }
}

/// An address alignment: offsets must be multiples of it (any positive
/// number, not only powers of two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Align(NonZeroU64);

impl Align {
    pub const ONE: Align = Align(NonZeroU64::MIN);

    /// `None` for zero.
    pub fn new(align: u64) -> Option<Align> {
        NonZeroU64::new(align).map(Align)
    }

    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// The smallest multiple of the alignment that is `>= offset`. Callers
    /// stay far below `u64::MAX` (see [`Problem::push`]), so this cannot wrap.
    pub(crate) fn up(self, offset: u64) -> u64 {
        offset.next_multiple_of(self.get())
    }
}

impl Default for Align {
    fn default() -> Align {
        Align::ONE
    }
}

/// One value to place: its live interval, its size and its alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Buffer {
    pub lifetime: Lifetime,
    pub size: u64,
    pub align: Align,
}

impl Buffer {
    /// An unaligned buffer live in `[lower, upper)`; `None` if `upper < lower`.
    pub fn new(lower: u64, upper: u64, size: u64) -> Option<Buffer> {
        Some(Buffer {
            lifetime: Lifetime::new(lower, upper)?,
            size,
            align: Align::ONE,
        })
    }

    pub fn with_align(self, align: Align) -> Buffer {
        Buffer { align, ..self }
    }

    /// A buffer that conflicts with nothing: empty lifetime or no bytes.
    pub(crate) fn is_trivial(&self) -> bool {
        self.size == 0 || self.lifetime.is_empty()
    }
}

/// Why a buffer was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemError {
    /// The sizes (plus alignment padding) of all buffers would exceed the
    /// range in which heights are computed exactly.
    TooLarge { buffer: BufferId },
}

impl fmt::Display for ProblemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemError::TooLarge { buffer } => write!(
                f,
                "buffer {buffer}: total size of all buffers exceeds {}",
                Problem::MAX_TOTAL
            ),
        }
    }
}

impl std::error::Error for ProblemError {}

/// Buffers to place in one address space `[0, capacity)`.
///
/// Invariant: the sum over buffers of `size + align - 1` is at most
/// [`Problem::MAX_TOTAL`], so every height any algorithm computes (a stack
/// of aligned buffers at worst) fits in a `u64` with room to spare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    capacity: u64,
    buffers: Vec<Buffer>,
    total: u64,
}

impl Problem {
    /// Upper limit on the sum of sizes and alignment paddings.
    pub const MAX_TOTAL: u64 = 1 << 62;

    pub fn new(capacity: u64) -> Problem {
        Problem {
            capacity,
            buffers: Vec::new(),
            total: 0,
        }
    }

    /// A problem holding `buffers`, or the first one that overflows.
    pub fn with_buffers(
        capacity: u64,
        buffers: impl IntoIterator<Item = Buffer>,
    ) -> Result<Problem, ProblemError> {
        let mut problem = Problem::new(capacity);
        for buffer in buffers {
            problem.push(buffer)?;
        }
        Ok(problem)
    }

    /// Adds a buffer and returns its id (ids count from 0 in push order).
    pub fn push(&mut self, buffer: Buffer) -> Result<BufferId, ProblemError> {
        let id = self.buffers.len();
        let total = buffer
            .size
            .checked_add(buffer.align.get() - 1)
            .and_then(|extra| self.total.checked_add(extra))
            .filter(|&total| total <= Problem::MAX_TOTAL)
            .ok_or(ProblemError::TooLarge { buffer: id })?;
        self.total = total;
        self.buffers.push(buffer);
        Ok(id)
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn buffers(&self) -> &[Buffer] {
        &self.buffers
    }

    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    /// The problem of some of the buffers (`ids[k]` becomes buffer `k`).
    pub(crate) fn subset(&self, ids: &[BufferId]) -> Problem {
        let buffers: Vec<Buffer> = ids.iter().map(|&id| self.buffers[id]).collect();
        let total = buffers.iter().map(|b| b.size + (b.align.get() - 1)).sum();
        Problem {
            capacity: self.capacity,
            buffers,
            total,
        }
    }

    /// The same buffers with another capacity.
    pub fn with_capacity(&self, capacity: u64) -> Problem {
        Problem {
            capacity,
            ..self.clone()
        }
    }
}
