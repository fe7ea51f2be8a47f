//! The search against brute force on small problems.
use super::*;
use crate::problem::Align;
use crate::problem::Buffer;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Whether any offsets in `0..=capacity - size` avoid all conflicts.
fn brute_force(problem: &Problem) -> bool {
    fn place(problem: &Problem, offsets: &mut Vec<u64>) -> bool {
        let buffers = problem.buffers();
        let i = offsets.len();
        if i == buffers.len() {
            return true;
        }
        let b = buffers[i];
        if b.size > problem.capacity() {
            return false;
        }
        for offset in (0..=problem.capacity() - b.size).filter(|o| o % b.align.get() == 0) {
            let clash = (0..i).any(|j| {
                let o = &buffers[j];
                o.lifetime.overlaps(b.lifetime)
                    && offsets[j] < offset + b.size
                    && offset < offsets[j] + o.size
            });
            if !clash {
                offsets.push(offset);
                if place(problem, offsets) {
                    return true;
                }
                offsets.pop();
            }
        }
        false
    }
    place(problem, &mut Vec::new())
}

fn random_problem(rng: &mut StdRng) -> Problem {
    let n = rng.random_range(1..=7);
    let capacity = rng.random_range(3..=9);
    let buffers = (0..n).map(|_| {
        let lower = rng.random_range(0..6);
        let upper = rng.random_range(lower + 1..=7);
        let align = if rng.random_bool(0.2) { 2 } else { 1 };
        Buffer::new(lower, upper, rng.random_range(1..=4))
            .unwrap()
            .with_align(Align::new(align).unwrap())
    });
    Problem::with_buffers(capacity, buffers).unwrap()
}

#[test]
fn search_agrees_with_brute_force() {
    let mut rng = StdRng::seed_from_u64(7);
    let (mut feasible, mut infeasible) = (0, 0);
    for _ in 0..3000 {
        let problem = random_problem(&mut rng);
        let sweep = Sweep::new(&problem);
        let mut offsets = vec![0; problem.len()];
        let mut found = true;
        let ids: Vec<BufferId> = (0..problem.len()).collect();
        for part in sweep.parts(&ids) {
            let peaks = RangeMax::new(&sweep.pressure(&problem, &part));
            let overlaps = Overlaps::new(&problem, &part.buffers, u64::MAX).unwrap();
            let mut budget = Budget {
                nodes: u64::MAX,
                deadline: None,
            };
            let mut local = vec![0; part.buffers.len()];
            let verdict = solve(
                &problem,
                &sweep,
                &part,
                &peaks,
                &overlaps,
                problem.capacity(),
                u64::MAX,
                &mut budget,
                &mut local,
            );
            assert_ne!(verdict, Verdict::Stopped);
            found &= verdict == Verdict::Found;
            for (&id, offset) in part.buffers.iter().zip(local) {
                offsets[id] = offset;
            }
        }
        assert_eq!(found, brute_force(&problem), "{problem:?}");
        if found {
            feasible += 1;
            crate::checker::check(&problem, &offsets).unwrap();
        } else {
            infeasible += 1;
        }
    }
    assert!(
        feasible > 300 && infeasible > 300,
        "{feasible} / {infeasible}"
    );
}
