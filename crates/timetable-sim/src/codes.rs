//! Stable diagnostic codes of the simulator (`E4xxx`, docs/diagnostics.md).

// Streams.
/// Two results land on one stream slot in one cycle.
pub const STREAM_COLLISION: &str = "E4001";
/// An operand's stream slot holds nothing when the consumer reads it.
pub const STREAM_EMPTY: &str = "E4002";
/// An operand's stream slot holds another value when the consumer reads it.
pub const STREAM_WRONG_VALUE: &str = "E4003";
/// The consumer issues before its operand reaches it.
pub const OPERAND_NOT_ARRIVED: &str = "E4004";
/// The operand never passes the consumer's position.
pub const OPERAND_UNREACHABLE: &str = "E4015";

// Memory.
/// A memory bank is accessed twice in one cycle.
pub const BANK_CONFLICT: &str = "E4005";
/// A read of memory that no earlier op wrote.
pub const READ_UNWRITTEN: &str = "E4006";
/// The words hold another write's data.
pub const READ_OVERWRITTEN: &str = "E4007";
/// The read issues before the write it needs lands.
pub const READ_BEFORE_WRITE_LANDS: &str = "E4008";
/// A buffer extends past its bank.
pub const OUT_OF_CAPACITY: &str = "E4009";
/// At the end, an output vector does not hold its last write.
pub const OUTPUT_OVERWRITTEN: &str = "E4014";

// Units.
/// More ops issue on a unit in one cycle than it can issue.
pub const UNIT_OVERSUBSCRIBED: &str = "E4010";
/// An `mxm.mac` reads a weight row that is not the one body order says.
pub const MXM_WEIGHTS: &str = "E4011";
/// An accumulator does not hold the value body order says.
pub const MXM_ACCUMULATOR: &str = "E4012";
/// MXM operands, weights and accumulators of different element types.
pub const MXM_TYPE: &str = "E4016";

// Runs.
/// The run goes past `--max-cycles`.
pub const MAX_CYCLES: &str = "E4013";
/// An op the simulator does not execute.
pub const UNSUPPORTED: &str = "E4017";
/// A constant that does not fit its type.
pub const BAD_CONSTANT: &str = "E4018";
/// A symbolic dimension without a size (`--shape`).
pub const UNBOUND_SHAPE: &str = "E4019";
/// An input that is missing, unreadable or of the wrong shape or type.
pub const BAD_INPUT: &str = "E4020";
/// Operands an op cannot compute on (ruled out by the verifier).
pub const BAD_OPERANDS: &str = "E4021";
/// `timetable run`: the compiled program's outputs differ from the reference.
pub const RESULT_MISMATCH: &str = "E4022";
/// `timetable run`: no compiled function matches the source function and bucket.
pub const NO_MATCHING_FUNCTION: &str = "E4023";
