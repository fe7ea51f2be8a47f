//! The passes and module checks this build of `timetable` knows.

use timetable_ir::pass::PassInfo;
use timetable_ir::verify::ModuleCheck;

/// Every pass `opt --passes` accepts.
pub fn passes() -> Vec<PassInfo> {
    let mut passes = timetable_ir::passes::registry();
    passes.push(timetable_lower::INFO);
    passes.push(timetable_dataflow::present::pass::INFO);
    passes.push(timetable_alloc::program::INFO);
    passes.push(timetable_sched::machine::INFO);
    passes
}

/// The independent whole-module checks every verification runs.
pub fn checks() -> Vec<&'static dyn ModuleCheck> {
    vec![
        &timetable_alloc::module_check::CHECK,
        &timetable_ir::verify::timing::CHECK,
    ]
}
