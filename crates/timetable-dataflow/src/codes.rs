//! Diagnostic codes of the dataflow crate (`E6xxx`; see `docs/diagnostics.md`).

/// An analysis that needs machine-level IR (buffers, units, latencies) was asked of a
/// tensor-level module.
pub const NEEDS_MACHINE_STAGE: &str = "E6001";
/// `--format=dot` draws the dependence graph, which the chosen analysis does not build.
pub const DOT_NEEDS_DEPENDENCES: &str = "E6002";
/// Warning: a scratch buffer is read before anything writes it.
pub const UNINITIALIZED_READ: &str = "E6003";
/// A cycle-based analysis met a unit op without an issue cycle.
pub const NO_ISSUE_CYCLE: &str = "E6004";
