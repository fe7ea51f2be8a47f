//! Capacity-safe placement of memory-resident values (work in progress).

pub mod occupancy;
