//! Shared by the tests and the benchmark: the MiniMalloc suite on disk and a
//! generator of program-shaped problems.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use timetable_alloc::minimalloc::{self, Instance};
use timetable_alloc::{Buffer, Problem};

/// The MiniMalloc instances vendored in the repository's `tests/bench/minimalloc`.
pub fn suite() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bench/minimalloc");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}

/// An instance and its problem at the capacity its file name gives.
pub fn load(path: &Path) -> (Instance, Problem) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let instance = minimalloc::read(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let capacity = minimalloc::capacity_from_file_name(path).expect("capacity in the file name");
    let problem = instance.problem(capacity).expect("sizes in range");
    (instance, problem)
}

/// The buffers of a generated straight-line program of `ops` operations:
/// weights live throughout, and each op's result is read soon after (90%),
/// a while later (9%) or much later (1%). Sizes are 1-4 words.
pub fn program_like(ops: u64, capacity: u64, seed: u64) -> Problem {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut problem = Problem::new(capacity);
    for _ in 0..ops / 1000 {
        let size = rng.random_range(1..=8);
        problem.push(Buffer::new(0, ops, size).unwrap()).unwrap();
    }
    for t in 0..ops {
        let roll: f64 = rng.random();
        let life = if roll < 0.9 {
            rng.random_range(1..=8)
        } else if roll < 0.99 {
            rng.random_range(8..=200)
        } else {
            rng.random_range(200..=5000)
        };
        let size = rng.random_range(1..=4);
        problem
            .push(Buffer::new(t, (t + life).min(ops + 1), size).unwrap())
            .unwrap();
    }
    problem
}
