//! The file-test harness: reads a test file's RUN lines and annotations, runs commands
//! in-process, and compares.

use std::path::{Path, PathBuf};
use timetable_ir::{SourceFile, parse, print};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Every test file, sorted.
pub fn all_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["tests/filetests", "ir-examples"] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "tir") {
            out.push(p);
        }
    }
}

/// One expected diagnostic: 1-based line, severity and a substring of the message.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    pub line: usize,
    pub severity: String,
    pub text: String,
}

pub struct TestFile {
    /// Path relative to the workspace root, as commands see it.
    pub rel: String,
    pub text: String,
    pub runs: Vec<Vec<String>>,
    pub expected: Vec<Expected>,
}

/// Output of one in-process command.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `timetable <args>` in-process from the workspace root.
pub fn run_command(args: &[String]) -> Outcome {
    std::env::set_current_dir(workspace_root()).expect("cd to the workspace root");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("timetable".to_string()).chain(args.iter().cloned());
    let code = timetable::run(argv, &mut out, &mut err);
    Outcome {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

impl TestFile {
    pub fn load(path: &Path) -> TestFile {
        let root = workspace_root();
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut runs = Vec::new();
        let mut expected = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let Some(comment) = line.split_once("//").map(|(_, c)| c.trim()) else {
                continue;
            };
            if let Some(cmd) = comment.strip_prefix("RUN:") {
                let mut args: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
                // `%none` marks a command that reads no file; otherwise the path goes
                // where `%s` is, or last.
                if let Some(i) = args.iter().position(|a| a == "%none") {
                    args.remove(i);
                } else if !args.iter().any(|a| a.contains("%s")) {
                    args.push("%s".into());
                }
                runs.push(args.into_iter().map(|a| a.replace("%s", &rel)).collect());
            } else if let Some(e) = parse_expected(comment, i + 1) {
                expected.push(e.unwrap_or_else(|msg| panic!("{rel}:{}: {msg}", i + 1)));
            }
        }
        TestFile {
            rel,
            text,
            runs,
            expected,
        }
    }

    /// Every RUN line's command, exit status and output, for the snapshot.
    pub fn run_all(&self) -> String {
        let mut out = String::new();
        for args in &self.runs {
            let mut argv = vec!["--color".to_string(), "never".to_string()];
            argv.extend(args.iter().cloned());
            let o = run_command(&argv);
            out.push_str(&format!(
                "$ timetable {}\nexit: {}\n",
                args.join(" "),
                o.code
            ));
            if !o.stdout.is_empty() {
                out.push_str(&format!("--- stdout\n{}", o.stdout));
            }
            if !o.stderr.is_empty() {
                out.push_str(&format!("--- stderr\n{}", o.stderr));
            }
        }
        out
    }

    /// Runs each RUN line with JSON diagnostics and compares them with the annotations.
    pub fn check_annotations(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.runs.is_empty() && !self.expected.is_empty() {
            failures.push(format!(
                "{}: has expected diagnostics but no RUN line",
                self.rel
            ));
        }
        for args in &self.runs {
            let mut argv = Vec::new();
            if !args.iter().any(|a| a == "--error-format") {
                argv.extend(["--error-format".to_string(), "json".to_string()]);
            }
            argv.extend(args.iter().cloned());
            let o = run_command(&argv);
            let produced = o.stderr.lines().any(|l| l.starts_with('{'));
            if o.code == 0 && !produced {
                // A RUN line that succeeds silently is not what the annotations describe.
                continue;
            }
            let mut unmatched: Vec<&Expected> = self.expected.iter().collect();
            for line in o.stderr.lines().filter(|l| l.starts_with('{')) {
                let v: serde_json::Value = serde_json::from_str(line).expect("JSON diagnostics");
                if v["file"] != self.rel.as_str() {
                    continue;
                }
                let actual = Expected {
                    line: v["line"].as_u64().unwrap_or(0) as usize,
                    severity: v["severity"].as_str().unwrap_or("").to_string(),
                    text: v["message"].as_str().unwrap_or("").to_string(),
                };
                let found = unmatched.iter().position(|e| {
                    e.line == actual.line
                        && e.severity == actual.severity
                        && actual.text.contains(&e.text)
                });
                match found {
                    Some(i) => {
                        unmatched.remove(i);
                    }
                    None => failures.push(format!(
                        "{}:{}: unexpected {}: {} (running `timetable {}`)",
                        self.rel,
                        actual.line,
                        actual.severity,
                        actual.text,
                        args.join(" ")
                    )),
                }
            }
            for e in unmatched {
                failures.push(format!(
                    "{}:{}: expected {} {{{{{}}}}} was not produced (running `timetable {}`)",
                    self.rel,
                    e.line,
                    e.severity,
                    e.text,
                    args.join(" ")
                ));
            }
        }
        failures
    }

    /// Print, parse, print: a fixed point, with equal modules. Files written to fail
    /// parsing (with annotations) are exempt.
    pub fn check_round_trip(&self) -> Result<(), String> {
        let source = SourceFile::new(&self.rel, self.text.as_str());
        let parsed = match parse::parse_file(&source) {
            Ok(p) => p,
            Err(_) if !self.expected.is_empty() => return Ok(()),
            Err(d) => return Err(format!("{}: does not parse: {}", self.rel, d[0])),
        };
        let Some(m1) = parsed.module else {
            return Ok(());
        };
        let p1 = print::print_module(&m1);
        let m2 = parse::parse_module(&SourceFile::new("printed", p1.as_str()))
            .map_err(|d| format!("{}: its printout does not parse: {}\n{p1}", self.rel, d[0]))?;
        let p2 = print::print_module(&m2);
        if p1 != p2 {
            return Err(format!(
                "{}: printing is not a fixed point:\n{p1}\n---\n{p2}",
                self.rel
            ));
        }
        if m1 != m2 {
            return Err(format!("{}: parse(print(m)) != m", self.rel));
        }
        Ok(())
    }
}

/// Parses `expected-<severity>[@+N|@-N|@above|@below] {{text}}`.
fn parse_expected(comment: &str, line: usize) -> Option<Result<Expected, String>> {
    let rest = comment.strip_prefix("expected-")?;
    let (severity, rest) = rest.split_at(rest.find(['@', ' ', '{']).unwrap_or(rest.len()));
    if !["error", "warning", "note"].contains(&severity) {
        return Some(Err(format!("unknown annotation `expected-{severity}`")));
    }
    let (offset, rest): (i64, &str) = match rest.strip_prefix('@') {
        None => (0, rest),
        Some(r) => {
            let end = r.find([' ', '{']).unwrap_or(r.len());
            let o = match &r[..end] {
                "above" => -1,
                "below" => 1,
                n => match n.parse::<i64>() {
                    Ok(v) => v,
                    Err(_) => return Some(Err(format!("bad line offset `@{n}`"))),
                },
            };
            (o, &r[end..])
        }
    };
    let text = rest
        .trim()
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"));
    let Some(text) = text else {
        return Some(Err("annotation text must be `{{...}}`".into()));
    };
    Some(Ok(Expected {
        line: (line as i64 + offset) as usize,
        severity: severity.to_string(),
        text: text.to_string(),
    }))
}
