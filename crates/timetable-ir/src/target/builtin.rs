//! The built-in targets, written in the same text form as user target files.

use super::Target;
use std::sync::OnceLock;

const SOURCES: &[(&str, &str)] = &[
    ("tsp", include_str!("tsp.target")),
    ("tiny", include_str!("tiny.target")),
];

pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(name, _)| *name)
}

/// A built-in target by name.
pub fn builtin(name: &str) -> Option<&'static Target> {
    static PARSED: OnceLock<Vec<Target>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            SOURCES
                .iter()
                .map(|(name, text)| {
                    let source = crate::span::SourceFile::new(format!("<builtin {name}>"), *text);
                    let mut targets = crate::parse::parse_target_file(&source)
                        .unwrap_or_else(|e| panic!("built-in target {name} is invalid: {e:?}"));
                    targets.remove(0)
                })
                .collect()
        })
        .iter()
        .find(|t| t.name == name)
}

/// The source text of a built-in target.
pub fn builtin_source(name: &str) -> Option<&'static str> {
    SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_are_canonical() {
        for name in builtin_names() {
            let target = builtin(name).unwrap();
            let text = builtin_source(name).unwrap();
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(target.to_string(), body, "{name} is not in canonical form");
        }
    }

    #[test]
    fn tsp_has_the_papers_numbers() {
        let t = builtin("tsp").unwrap();
        assert_eq!(t.lanes, 320);
        assert_eq!(t.mem_slices(), 88);
        assert_eq!(t.mem_bytes(), 88 * 8192 * 320);
        assert_eq!(t.width(), 93);
        assert_eq!(t.total_planes(), 4);
    }
}
