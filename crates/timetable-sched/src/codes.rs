//! Stable diagnostic codes of the scheduler (`E3xxx`, see `docs/diagnostics.md`).

/// The module is at the `machine` stage, or a buffer has no placement: run `alloc` first.
pub const NOT_ALLOCATED: &str = "E3001";
/// The module is at the `tensor` stage.
pub const WRONG_STAGE: &str = "E3002";
/// An op cannot be given a cycle: an operand cannot be brought to it, or its unit, bank
/// or plane is never free.
pub const UNSCHEDULABLE: &str = "E3003";
/// A spill slot finds no free words in its bank.
pub const NO_SPILL_SPACE: &str = "E3004";
/// The target lacks a unit an op needs.
pub const MISSING_UNIT: &str = "E3005";
/// A PSPLIB file does not parse.
pub const PSPLIB: &str = "E3006";
