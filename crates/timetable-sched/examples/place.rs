//! Gives every unplaced buffer of a machine-level module a simple placement
//! (`timetable_sched::place::place_simple`) and prints the `allocated` module, so that
//! lowered examples can be scheduled from the command line before the allocator's pass
//! exists:
//!
//! ```text
//! timetable lower ir-examples/mlp-tiny.tir | cargo run -p timetable-sched --example place | timetable sched -
//! ```
//!
//! Usage: `place [FILE]` (standard input without a file).

use timetable_ir::diag::{ErrorFormat, render};
use timetable_ir::driver::{self, TargetSet};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".to_string());
    let format = ErrorFormat::Human { color: false };
    let loaded = match driver::load(&path, &TargetSet::default(), &[]) {
        Ok(l) => l,
        Err(f) => {
            eprint!("{}", render(&f.diags, &f.source, format));
            std::process::exit(1);
        }
    };
    let mut module = loaded.module;
    if let Err(d) = timetable_sched::place::place_simple(&mut module, &loaded.target) {
        eprint!("{}", render(&[d], &loaded.source, format));
        std::process::exit(1);
    }
    print!("{}", timetable_ir::print::print_module(&module));
}
