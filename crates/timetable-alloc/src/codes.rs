//! Diagnostic codes of the allocator (`E2xxx`; see `docs/diagnostics.md`).
//!
//! `E20xx` come from the allocator and the `alloc` command, `E21xx` from the
//! independent checker of allocated modules.

/// More words are live at one moment than the whole memory holds.
pub const DOES_NOT_FIT: &str = "E2001";
/// A buffer is larger than one memory bank, where every buffer must live.
pub const BUFFER_TOO_LARGE: &str = "E2002";
/// The total fits, but no assignment to banks and addresses was found within
/// the search budget (every bank full at some moment, or a bank's packing
/// overflowing).
pub const NO_PLACEMENT: &str = "E2003";
/// The module is not at a machine-level stage.
pub const NEEDS_MACHINE_STAGE: &str = "E2004";
/// A buffer without placement in a scheduled module cannot be placed: its
/// accesses run on different slices, or every bank of its slice is busy in
/// one of its cycles.
pub const UNPLACEABLE_IN_SCHEDULE: &str = "E2005";
/// A MiniMalloc CSV file is malformed (with its line).
pub const CSV: &str = "E2006";
/// A MiniMalloc instance did not fit its capacity.
pub const CSV_DOES_NOT_FIT: &str = "E2007";
/// A bad command-line value (no capacity given or in the file name).
pub const BAD_ARGUMENT: &str = "E2008";

/// Two buffers live at the same time share words of one bank.
pub const OVERLAP: &str = "E2101";
/// A placement names a slice or bank that does not exist, or runs past its bank.
pub const OUTSIDE_BANK: &str = "E2102";
/// A placement's address is not a multiple of the target's alignment.
pub const MISALIGNED: &str = "E2103";
/// One bank is accessed twice in one cycle (scheduled modules).
pub const BANK_CONFLICT: &str = "E2104";
/// A MiniMalloc solution failed the checker (an allocator bug).
pub const CSV_CHECK: &str = "E2105";
