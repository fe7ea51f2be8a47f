//! Small text reports shared by commands.

use std::fmt::Write;
use timetable_ir::pass::PassTiming;

/// The `--timing` table: one row per pass, then the total.
pub fn timing_table(timings: &[PassTiming]) -> String {
    let mut out = String::from("pass                   run (ms)  verify (ms)\n");
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let (mut run, mut verify) = (0.0, 0.0);
    for t in timings {
        let _ = writeln!(
            out,
            "{:<20} {:>10.3} {:>12.3}",
            t.pass,
            ms(t.run),
            ms(t.verify)
        );
        run += ms(t.run);
        verify += ms(t.verify);
    }
    let _ = writeln!(out, "{:<20} {run:>10.3} {verify:>12.3}", "total");
    out
}
