//! Properties of the allocator on generated buffer sets, each result run
//! through the independent checker.

use proptest::prelude::*;
use timetable_alloc::checker::{self, CheckError};
use timetable_alloc::{Align, BinProblem, Buffer, Limits, Problem, Status, pack, pack_bins};

/// A small search budget keeps the cases quick; the properties hold for any.
fn limits() -> Limits {
    Limits {
        nodes: 50_000,
        time: None,
    }
}

fn arb_buffer() -> impl Strategy<Value = Buffer> {
    (
        0u64..60,
        0u64..30,
        0u64..40,
        prop_oneof![6 => Just(1u64), 1 => Just(2), 1 => Just(8)],
    )
        .prop_map(|(lower, len, size, align)| {
            Buffer::new(lower, lower + len, size)
                .unwrap()
                .with_align(Align::new(align).unwrap())
        })
}

fn arb_buffers() -> impl Strategy<Value = Vec<Buffer>> {
    prop::collection::vec(arb_buffer(), 0..40)
}

/// First fit in order of start time: each buffer at the lowest aligned
/// offset clear of the buffers placed before it. Independent of the crate.
fn first_fit_height(buffers: &[Buffer]) -> u64 {
    let mut order: Vec<usize> = (0..buffers.len()).collect();
    order.sort_by_key(|&i| (buffers[i].lifetime.lower(), i));
    let mut placed: Vec<(usize, u64)> = Vec::new();
    let mut height = 0;
    for i in order {
        let b = &buffers[i];
        let mut taken: Vec<(u64, u64)> = placed
            .iter()
            .filter(|&&(j, _)| {
                let o = &buffers[j];
                o.size > 0
                    && !o.lifetime.is_empty()
                    && b.lifetime.lower() < o.lifetime.upper()
                    && o.lifetime.lower() < b.lifetime.upper()
            })
            .map(|&(j, offset)| (offset, offset + buffers[j].size))
            .collect();
        taken.sort();
        let mut offset = 0u64;
        for (start, end) in taken {
            offset = offset.next_multiple_of(b.align.get());
            if offset + b.size <= start || b.size == 0 || b.lifetime.is_empty() {
                break;
            }
            offset = offset.max(end);
        }
        let offset = offset.next_multiple_of(b.align.get());
        placed.push((i, offset));
        height = height.max(offset + b.size);
    }
    height
}

/// A zero-slack instance: `[0, time) × [0, capacity)` cut into rectangles
/// by random guillotine cuts; each rectangle is a buffer.
fn arb_tiling() -> impl Strategy<Value = (u64, Vec<Buffer>)> {
    (
        4u64..40,
        4u64..40,
        prop::collection::vec((any::<bool>(), 1u64..100, 0usize..64), 1..14),
    )
        .prop_map(|(time, capacity, cuts)| {
            let mut rects = vec![(0u64, time, 0u64, capacity)];
            for (vertical, at, which) in cuts {
                let k = which % rects.len();
                let (t0, t1, a0, a1) = rects[k];
                if vertical && t1 - t0 >= 2 {
                    let t = t0 + 1 + at % (t1 - t0 - 1);
                    rects[k] = (t0, t, a0, a1);
                    rects.push((t, t1, a0, a1));
                } else if !vertical && a1 - a0 >= 2 {
                    let a = a0 + 1 + at % (a1 - a0 - 1);
                    rects[k] = (t0, t1, a0, a);
                    rects.push((t0, t1, a, a1));
                }
            }
            let buffers = rects
                .into_iter()
                .map(|(t0, t1, a0, a1)| Buffer::new(t0, t1, a1 - a0).unwrap())
                .collect();
            (capacity, buffers)
        })
}

/// The checker's verdict, ignoring the capacity (for packings that report
/// they do not fit).
fn valid_ignoring_capacity(problem: &Problem, offsets: &[u64]) -> Result<(), Vec<CheckError>> {
    checker::check(&problem.with_capacity(u64::MAX), offsets)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn packings_are_always_valid(buffers in arb_buffers(), capacity in 0u64..200) {
        let problem = Problem::with_buffers(capacity, buffers).unwrap();
        let outcome = pack(&problem, &limits());
        let offsets = outcome.packing.offsets();
        prop_assert_eq!(valid_ignoring_capacity(&problem, offsets), Ok(()));
        prop_assert!(outcome.packing.height() >= outcome.lower_bound);
        match outcome.status {
            Status::Fits => prop_assert_eq!(checker::check(&problem, offsets), Ok(())),
            Status::Infeasible | Status::Unknown => {
                prop_assert!(outcome.packing.height() > capacity)
            }
        }
        // Same input, same bytes.
        prop_assert_eq!(pack(&problem, &limits()), outcome);
    }

    #[test]
    fn sets_first_fit_fits_are_always_solved(buffers in arb_buffers(), slack in 0u64..3) {
        let capacity = first_fit_height(&buffers) + slack;
        let problem = Problem::with_buffers(capacity, buffers).unwrap();
        let outcome = pack(&problem, &Limits::default());
        prop_assert_eq!(outcome.status, Status::Fits);
        prop_assert_eq!(checker::check(&problem, outcome.packing.offsets()), Ok(()));
    }

    #[test]
    fn zero_slack_tilings_are_solved((capacity, buffers) in arb_tiling()) {
        let problem = Problem::with_buffers(capacity, buffers).unwrap();
        let outcome = pack(&problem, &Limits::default());
        prop_assert_eq!(outcome.status, Status::Fits);
        prop_assert_eq!(checker::check(&problem, outcome.packing.offsets()), Ok(()));
    }

    #[test]
    fn bin_constraints_always_hold(
        buffers in arb_buffers(),
        bins in 1u32..5,
        capacity in 1u64..120,
        pins in prop::collection::vec((0usize..40, 0u32..5), 0..6),
        groups in prop::collection::vec(prop::collection::vec(0usize..40, 2..4), 0..6),
    ) {
        let mut problem = BinProblem::new(bins, capacity).unwrap();
        for buffer in &buffers {
            problem.push(*buffer).unwrap();
        }
        // Refused constraints are fine; accepted ones must hold.
        for (id, bin) in pins {
            let _ = problem.pin(id, bin);
        }
        for group in groups {
            let _ = problem.apart(&group);
        }
        let Ok(outcome) = pack_bins(&problem, &limits()) else {
            return Ok(());
        };
        let errors = checker::check_bins(&problem, &outcome.placements).err().unwrap_or_default();
        let fits = outcome.status == Status::Fits;
        for error in errors {
            let capacity_only = matches!(error, CheckError::OutOfCapacity { .. });
            prop_assert!(capacity_only && !fits, "{}", error);
        }
    }
}
