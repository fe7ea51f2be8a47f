//! Passes and pipelines. A pass is a function from a verified module to a verified
//! module; the pipeline runner verifies after each pass, can dump the IR after each, and
//! times each.

use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::Module;
use crate::target::Target;
use crate::verify::{self, ModuleCheck};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// A module-to-module transformation.
pub trait Pass {
    fn name(&self) -> &'static str;
    fn run(&self, module: &mut Module, target: &Target) -> Result<(), Diagnostics>;
}

/// Options given to a pass in a pipeline: `name{key=value key2=value2}`.
#[derive(Clone, Debug, Default)]
pub struct PassOptions {
    values: BTreeMap<String, String>,
}

impl PassOptions {
    pub fn parse(text: &str) -> Result<PassOptions, String> {
        let mut values = BTreeMap::new();
        for item in text.split_whitespace() {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| format!("pass option `{item}` is not `key=value`"))?;
            if values.insert(k.to_string(), v.to_string()).is_some() {
                return Err(format!("pass option `{k}` is given twice"));
            }
        }
        Ok(PassOptions { values })
    }

    /// Takes an option, parsed; `Ok(None)` if absent.
    pub fn take<T: FromStr>(&mut self, key: &str) -> Result<Option<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        match self.values.remove(key) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|e| format!("pass option `{key}={v}`: {e}")),
        }
    }

    /// Fails on options no one took (typos).
    pub fn finish(self, pass: &str) -> Result<(), String> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(k) => Err(format!("pass `{pass}` has no option `{k}`")),
        }
    }
}

/// How to make a pass from its options; the driver keeps a list of these.
#[derive(Clone, Copy)]
pub struct PassInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub create: fn(PassOptions) -> Result<Box<dyn Pass>, String>,
}

/// Parses `a,b{k=v},c` against the registered passes.
pub fn parse_pipeline(text: &str, registry: &[PassInfo]) -> Result<Vec<Box<dyn Pass>>, String> {
    let mut passes = Vec::new();
    for item in split_top_level(text)? {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (name, options) = match item.split_once('{') {
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .ok_or_else(|| format!("pass `{name}`: options must end with `}}`"))?;
                (name.trim(), PassOptions::parse(body)?)
            }
            None => (item, PassOptions::default()),
        };
        let info = registry.iter().find(|p| p.name == name).ok_or_else(|| {
            let known: Vec<&str> = registry.iter().map(|p| p.name).collect();
            format!("unknown pass `{name}` (passes: {})", known.join(", "))
        })?;
        passes.push((info.create)(options)?);
    }
    Ok(passes)
}

fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err("unbalanced `}` in the pass pipeline".into());
        }
    }
    if depth != 0 {
        return Err("unbalanced `{` in the pass pipeline".into());
    }
    parts.push(&text[start..]);
    Ok(parts)
}

#[derive(Clone, Copy, Debug)]
pub struct PipelineConfig {
    pub verify_each: bool,
}

/// Time spent in one pass and in verifying its output.
#[derive(Clone, Debug)]
pub struct PassTiming {
    pub pass: &'static str,
    pub run: Duration,
    pub verify: Duration,
}

/// A failed pipeline: which pass, and what went wrong.
#[derive(Debug)]
pub struct PipelineError {
    pub pass: &'static str,
    pub diags: Diagnostics,
}

/// Runs passes in order, verifying after each when configured, and calls `after` with
/// each pass's output (for `--print-after-all`).
pub fn run_pipeline(
    module: &mut Module,
    target: &Target,
    passes: &[Box<dyn Pass>],
    config: PipelineConfig,
    checks: &[&dyn ModuleCheck],
    after: &mut dyn FnMut(&'static str, &Module),
) -> Result<Vec<PassTiming>, PipelineError> {
    let mut timings = Vec::new();
    for pass in passes {
        let start = Instant::now();
        pass.run(module, target).map_err(|diags| PipelineError {
            pass: pass.name(),
            diags,
        })?;
        let run = start.elapsed();
        let start = Instant::now();
        if config.verify_each {
            verify::verify_with(module, target, checks).map_err(|mut diags| {
                diags.insert(
                    0,
                    Diagnostic::error(
                        crate::codes::BAD_OPTION,
                        format!(
                            "pass `{}` produced a module that does not verify",
                            pass.name()
                        ),
                    )
                    .note("this is a bug in the pass; the errors below say what is wrong"),
                );
                PipelineError {
                    pass: pass.name(),
                    diags,
                }
            })?;
        }
        timings.push(PassTiming {
            pass: pass.name(),
            run,
            verify: start.elapsed(),
        });
        after(pass.name(), module);
    }
    Ok(timings)
}
