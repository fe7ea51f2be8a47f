//! Stable diagnostic codes of the lowering crate (`E1xxx`); see `docs/diagnostics.md`.

/// A symbolic dimension has no bucket sizes.
pub const NO_BUCKETS: &str = "E1001";
/// A bucket specification (option or `buckets` attribute) is malformed.
pub const BAD_BUCKETS: &str = "E1002";
/// An op, shape or combination the lowering does not support.
pub const UNSUPPORTED: &str = "E1003";
/// A tensor that must be one buffer does not fit one memory bank.
pub const EXCEEDS_BANK: &str = "E1004";
/// A tensor (or the function's resident tensors together) exceeds on-chip memory.
pub const EXCEEDS_MEMORY: &str = "E1005";
/// The target lacks a unit the lowering needs (MXM planes, an SXM).
pub const MISSING_UNIT: &str = "E1006";
/// The module is not at the tensor stage.
pub const WRONG_STAGE: &str = "E1007";
/// A transpose's vectors need more streams into an SXM than the target brings in a cycle.
pub const TOO_FEW_STREAMS: &str = "E1008";
