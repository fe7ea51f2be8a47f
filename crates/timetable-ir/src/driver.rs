//! What every command needs: reading sources (`-` is standard input), finding the
//! module's target, loading and verifying, and writing output atomically.

use crate::codes;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::Module;
use crate::parse;
use crate::span::{SourceFile, Span};
use crate::target::{self, Target};
use crate::verify::{self, ModuleCheck};
use std::io::{Read, Write};
use std::path::Path;

/// Diagnostics together with the source they point into.
#[derive(Debug)]
pub struct Failure {
    pub source: SourceFile,
    pub diags: Diagnostics,
}

impl Failure {
    pub fn new(source: SourceFile, diags: Diagnostics) -> Self {
        Failure { source, diags }
    }

    /// A failure with no source to point into (I/O, command-line problems).
    pub fn bare(diag: Diagnostic) -> Self {
        Failure {
            source: SourceFile::new("<command line>", ""),
            diags: vec![diag],
        }
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_source(path: &str) -> Result<SourceFile, Failure> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    };
    let name = if path == "-" { "<stdin>" } else { path };
    text.map(|t| SourceFile::new(name, t)).map_err(|e| {
        Failure::bare(Diagnostic::error(
            codes::IO_READ,
            format!("cannot read `{name}`: {e}"),
        ))
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a
/// rename, so readers never see half a file and a failed run leaves the old file intact.
/// Missing parent directories are created.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp.{}", std::process::id()));
    let result = (|| {
        std::fs::create_dir_all(dir)?;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes command output: to `stdout` when `path` is `None` or `-`, else atomically to
/// the file.
pub fn write_output(path: Option<&str>, text: &str, stdout: &mut dyn Write) -> Result<(), Failure> {
    let result = match path {
        None | Some("-") => stdout.write_all(text.as_bytes()),
        Some(p) => write_atomic(Path::new(p), text.as_bytes()),
    };
    result.map_err(|e| {
        let name = path.unwrap_or("<stdout>");
        Failure::bare(Diagnostic::error(
            codes::IO_WRITE,
            format!("cannot write `{name}`: {e}"),
        ))
    })
}

/// The targets a run can use: user target files first, then the built-ins.
#[derive(Clone, Debug, Default)]
pub struct TargetSet {
    user: Vec<Target>,
}

impl TargetSet {
    /// Loads user target files (`--target-file`).
    pub fn load(paths: &[String]) -> Result<TargetSet, Failure> {
        let mut user = Vec::new();
        for path in paths {
            let source = read_source(path)?;
            match parse::parse_target_file(&source) {
                Ok(mut ts) => user.append(&mut ts),
                Err(diags) => return Err(Failure::new(source, diags)),
            }
        }
        Ok(TargetSet { user })
    }

    /// A target by name: user targets, then built-ins.
    pub fn get(&self, name: &str) -> Option<&Target> {
        self.user
            .iter()
            .find(|t| t.name == name)
            .or_else(|| target::builtin(name))
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.user.iter().map(|t| t.name.clone()).collect();
        names.extend(target::builtin_names().map(str::to_string));
        names
    }

    /// The target a module names: defined in its own file, or known to this set.
    pub fn resolve(&self, module: &Module) -> Result<Target, Diagnostic> {
        let name = &module.target.text;
        module
            .targets
            .iter()
            .find(|t| &t.name == name)
            .or_else(|| self.get(name))
            .cloned()
            .ok_or_else(|| {
                Diagnostic::error(codes::UNKNOWN_TARGET, format!("unknown target `@{name}`"))
                    .primary(
                        module.target.span,
                        "not defined in this file, a --target-file, or built in",
                    )
                    .note(format!("known targets: {}", self.names().join(", ")))
            })
    }
}

/// A parsed module with its source and resolved target.
#[derive(Debug)]
pub struct Loaded {
    pub source: SourceFile,
    pub module: Module,
    pub target: Target,
}

/// Parses a file into a module and finds its target, without verifying.
pub fn parse(path: &str, targets: &TargetSet) -> Result<Loaded, Failure> {
    let source = read_source(path)?;
    parse_source(source, targets)
}

pub fn parse_source(source: SourceFile, targets: &TargetSet) -> Result<Loaded, Failure> {
    let module = match parse::parse_module(&source) {
        Ok(m) => m,
        Err(diags) => return Err(Failure::new(source, diags)),
    };
    match targets.resolve(&module) {
        Ok(target) => Ok(Loaded {
            source,
            module,
            target,
        }),
        Err(d) => Err(Failure::new(source, vec![d])),
    }
}

/// Parses and verifies a file.
pub fn load(
    path: &str,
    targets: &TargetSet,
    checks: &[&dyn ModuleCheck],
) -> Result<Loaded, Failure> {
    let loaded = parse(path, targets)?;
    match verify::verify_with(&loaded.module, &loaded.target, checks) {
        Ok(()) => Ok(loaded),
        Err(diags) => Err(Failure::new(loaded.source, diags)),
    }
}

/// A span covering the whole of a short source (for messages about the file itself).
pub fn whole_file(source: &SourceFile) -> Span {
    Span::new(0, source.text.len())
}
