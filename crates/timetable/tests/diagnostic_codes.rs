//! Diagnostic codes are stable and documented: every `"Ennnn"` constant of the crates'
//! code tables is defined once in the workspace and has a row in docs/diagnostics.md, and
//! every row documents a code that exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files that define codes: each crate's `src/codes.rs`, and the `plan` command.
fn code_tables(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|entry| {
            entry
                .expect("a directory entry")
                .path()
                .join("src/codes.rs")
        })
        .filter(|path| path.is_file())
        .collect();
    files.push(root.join("crates/timetable/src/commands/plan.rs"));
    files.sort();
    files
}

/// `"E1234"` string literals in `text`.
fn codes_in(text: &str) -> Vec<String> {
    text.match_indices("\"E")
        .filter_map(|(i, _)| {
            let code = text.get(i + 1..i + 6)?;
            let closed = text.get(i + 6..i + 7) == Some("\"");
            (closed && code[1..].bytes().all(|b| b.is_ascii_digit())).then(|| code.to_string())
        })
        .collect()
}

/// Codes with a table row (`| E1234 | ... |`) in the diagnostics reference.
fn documented(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|line| line.strip_prefix("| E"))
        .filter_map(|rest| rest.get(..4).map(|digits| format!("E{digits}")))
        .collect()
}

#[test]
fn every_code_is_defined_once_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut defined: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in code_tables(&root) {
        let text = std::fs::read_to_string(&file).expect("a readable code table");
        for code in codes_in(&text) {
            if let Some(first) = defined.insert(code.clone(), file.clone()) {
                panic!(
                    "{code} is defined in {} and again in {}",
                    first.display(),
                    file.display()
                );
            }
        }
    }
    assert!(defined.len() > 50, "found only {} codes", defined.len());
    let doc = std::fs::read_to_string(root.join("docs/diagnostics.md")).expect("the reference");
    let rows = documented(&doc);
    let missing: Vec<&String> = defined.keys().filter(|c| !rows.contains(c)).collect();
    assert!(
        missing.is_empty(),
        "docs/diagnostics.md has no row for {missing:?}"
    );
    let stale: Vec<&String> = rows.iter().filter(|c| !defined.contains_key(*c)).collect();
    assert!(
        stale.is_empty(),
        "docs/diagnostics.md documents codes nothing defines: {stale:?}"
    );
}
