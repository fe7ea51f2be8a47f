//! Real values for timetable programs: the reference semantics (docs/semantics.md), a
//! reference interpreter for tensor-level and unscheduled machine-level IR, and a
//! cycle-level simulator of scheduled IR that checks every value it moves.
//!
//! - semantics, implemented once: [`arith`] (scalar arithmetic of every element type),
//!   [`kernels`] (lane-wise ops), [`sums`] (dot products and reductions, in the lowered order),
//!   [`movement`] (SXM), [`mxm`] (weight planes and accumulators), [`seed`] (generated
//!   data);
//! - data: [`lanes`] (typed element storage), [`tensor`] (tensors and tensor-level ops);
//! - machine programs: [`program`] (decoded functions), [`exec`] (what VXM/SXM ops
//!   compute);
//! - interpreters: [`reference`] (tensor and machine level), [`cycle`] (the cycle-level
//!   simulator, its report and trace);
//! - host side: [`io`] (`.npy`, inputs, printing), [`session`] (running a function at its
//!   stage), [`compare`] (bit-for-bit comparison), [`codes`] (diagnostic codes `E4xxx`).

#[macro_use]
pub mod lanes;
pub mod arith;
pub mod codes;
pub mod compare;
pub mod cycle;
pub mod exec;
pub mod io;
pub mod kernels;
pub mod movement;
pub mod mxm;
pub mod program;
pub mod reference;
pub mod seed;
pub mod session;
pub mod sums;
pub mod tensor;
