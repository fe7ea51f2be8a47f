//! The domain of an analysis.

/// A join-semilattice: facts that merge where control flow meets.
///
/// `join` must be commutative, associative and idempotent, and only ever move up the
/// lattice; together with a finite height that makes the worklist solver terminate.
pub trait JoinSemiLattice: Clone + Eq {
    /// Merges `other` into `self`; returns whether `self` changed.
    fn join(&mut self, other: &Self) -> bool;
}
