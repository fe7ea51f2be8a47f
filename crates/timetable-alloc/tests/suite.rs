//! The MiniMalloc instances in the shared benchmark directory: every one
//! must fit at its capacity, and the checker must accept the packing.

mod common;

use timetable_alloc::{Limits, checker, minimalloc, pack};

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
