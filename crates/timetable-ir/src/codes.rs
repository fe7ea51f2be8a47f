//! Stable diagnostic codes of the IR crate (`E0xxx`). Other crates own other ranges; see
//! `docs/diagnostics.md`.

// Syntax.
pub const INVALID_TOKEN: &str = "E0001";
pub const UNEXPECTED_TOKEN: &str = "E0002";
pub const UNEXPECTED_EOF: &str = "E0003";
pub const INVALID_TYPE: &str = "E0004";
pub const INVALID_LITERAL: &str = "E0005";
pub const DUPLICATE_KEY: &str = "E0006";
pub const UNKNOWN_STAGE: &str = "E0007";
pub const NO_MODULE: &str = "E0008";

// Names.
pub const UNDEFINED_VALUE: &str = "E0101";
pub const DUPLICATE_VALUE: &str = "E0102";
pub const DUPLICATE_FUNCTION: &str = "E0103";
pub const UNKNOWN_OP: &str = "E0104";
pub const UNKNOWN_TARGET: &str = "E0105";
pub const USE_BEFORE_DEF: &str = "E0106";
pub const DANGLING_HANDLE: &str = "E0107";

// Types and signatures.
pub const OPERAND_COUNT: &str = "E0201";
pub const RESULT_COUNT: &str = "E0202";
pub const SIGNATURE_MISMATCH: &str = "E0203";
pub const TYPE_RULE: &str = "E0204";
pub const ELEMENT_TYPE: &str = "E0205";
pub const TERMINATOR: &str = "E0206";

// Attributes.
pub const MISSING_ATTR: &str = "E0301";
pub const ATTR_KIND: &str = "E0302";
pub const UNKNOWN_ATTR: &str = "E0303";
pub const ATTR_VALUE: &str = "E0304";

// Stages.
pub const WRONG_LEVEL: &str = "E0401";
pub const ARG_KIND: &str = "E0402";

// Placements.
pub const MISSING_PLACEMENT: &str = "E0501";
pub const PLACEMENT_OUT_OF_RANGE: &str = "E0502";
pub const PLACEMENT_MISALIGNED: &str = "E0503";
pub const MALFORMED_PLACEMENT: &str = "E0504";

// Schedules.
pub const MISSING_SLOT: &str = "E0601";
pub const BAD_UNIT: &str = "E0602";
pub const BAD_STREAM: &str = "E0603";
// Schedule timing (`verify::timing`).
pub const OPERAND_TIMING: &str = "E0604";
pub const STREAM_CONFLICT: &str = "E0605";
pub const BANK_CONFLICT: &str = "E0606";
pub const ISSUE_RATE: &str = "E0607";
pub const MEMORY_ORDER: &str = "E0608";
pub const MXM_ORDER: &str = "E0609";
pub const NOP_WINDOW: &str = "E0610";

// Targets.
pub const TARGET_FIELD_MISSING: &str = "E0701";
pub const TARGET_FIELD_VALUE: &str = "E0702";
pub const TARGET_FIELD_UNKNOWN: &str = "E0703";
pub const DUPLICATE_TARGET: &str = "E0704";

// Driver.
pub const IO_READ: &str = "E0801";
pub const IO_WRITE: &str = "E0802";
pub const BAD_OPTION: &str = "E0803";
