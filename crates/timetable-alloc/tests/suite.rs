//! The MiniMalloc instances in the shared benchmark directory: every one
//! must fit at its capacity, and the checker must accept the packing.

mod common;

use timetable_alloc::{Limits, Status, checker, minimalloc, pack};

#[test]
fn every_instance_fits_and_checks() {
    let files = common::suite();
    assert_eq!(files.len(), 7, "A-F and input.12");
    for path in files {
        let (instance, problem) = common::load(&path);
        let outcome = pack(&problem, &Limits::default());
        checker::check(&problem, outcome.packing.offsets())
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert!(
            outcome.fits(),
            "{}: height {}",
            path.display(),
            outcome.packing.height()
        );
        // The solution file reads back with the same offsets.
        let written = minimalloc::read(&instance.write(outcome.packing.offsets())).unwrap();
        assert_eq!(written.offsets.as_deref(), Some(outcome.packing.offsets()));
        assert_eq!(written.buffers, instance.buffers);
    }
}

#[test]
fn when_nothing_fits_the_search_lowers_the_greedy_height() {
    let path = common::suite()
        .into_iter()
        .find(|p| p.ends_with("A.1048576.csv"))
        .expect("instance A");
    let (_, problem) = common::load(&path);
    // 1% below the optimum: infeasible, but far below the greedy height.
    let problem = problem.with_capacity(1_038_090);
    let limits = Limits {
        nodes: 400_000,
        time: None,
    };
    let outcome = pack(&problem, &limits);
    assert_ne!(outcome.status, Status::Fits);
    assert!(outcome.packing.height() < outcome.stats.greedy_height);
    let at_height = problem.with_capacity(outcome.packing.height());
    assert_eq!(
        checker::check(&at_height, outcome.packing.offsets()),
        Ok(())
    );
}

#[test]
fn a_generated_program_packs_and_checks() {
    let problem = common::program_like(50_000, 8192, 7);
    let outcome = pack(&problem, &Limits::default());
    assert!(outcome.fits());
    assert_eq!(checker::check(&problem, outcome.packing.offsets()), Ok(()));
    // At its pressure bound the greedy passes fall one word short, and the
    // part is too large to search: a valid packing, reported as not proven.
    let tight = problem.with_capacity(outcome.lower_bound);
    let outcome = pack(&tight, &Limits::default());
    assert_eq!(outcome.status, Status::Unknown);
    assert_eq!(outcome.stats.nodes, 0);
    let at_height = tight.with_capacity(outcome.packing.height());
    assert_eq!(
        checker::check(&at_height, outcome.packing.offsets()),
        Ok(())
    );
}
