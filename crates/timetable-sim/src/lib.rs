//! Reference semantics and simulation of timetable programs.

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
