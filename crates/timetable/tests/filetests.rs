//! File tests in the style of Cranelift filetests and MLIR lit.
//!
//! Every `.tir` file under `tests/filetests/` and `ir-examples/`:
//! - is run once per `// RUN: <subcommand> <args>` line (the file's path replaces `%s`, or
//!   is appended; `%none` runs the command without it) and
//!   the combined output is an insta snapshot in `tests/snapshots/`
//!   (bless with `INSTA_UPDATE=always` or `cargo insta review`);
//! - must produce exactly the diagnostics its `// expected-error@+N {{text}}`
//!   annotations describe (MLIR's -verify-diagnostics), for each RUN line that fails or
//!   reports anything;
//! - if it parses, must round-trip: print(parse(print(parse(x)))) == print(parse(x)), and
//!   the two parsed modules are equal.

mod harness;

use harness::{TestFile, workspace_root};

#[test]
fn run_lines_match_snapshots() {
    let root = workspace_root();
    insta::with_settings!({
        snapshot_path => root.join("tests/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::glob!(root, "{tests/filetests,ir-examples}/**/*.tir", |path| {
            let file = TestFile::load(path);
            if file.runs.is_empty() {
                return;
            }
            insta::assert_snapshot!(file.run_all());
        });
    });
}

#[test]
fn diagnostics_match_annotations() {
    let failures: Vec<String> = harness::all_files()
        .iter()
        .map(|p| TestFile::load(p))
        .flat_map(|f| f.check_annotations())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_file_round_trips() {
    let failures: Vec<String> = harness::all_files()
        .iter()
        .map(|p| TestFile::load(p))
        .filter_map(|f| f.check_round_trip().err())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
