//! Buckets from a compiled module: every scheduled function is one program whose exact
//! service time is its makespan at the target's clock, and whose `bucket = {B = 4,
//! SEQ = 128}` attribute says which shape it serves.
//!
//! One bucket symbol is the *batch* (requests per run), another the request *size* (the
//! shape bound a request is padded up to). Functions with the same size form one bucket
//! whose batch variants are the functions' batch values.

use crate::buckets::{BatchVariant, Bucket, Buckets};
use crate::error::Error;
use std::collections::BTreeMap;
use timetable_dataflow::program::IssueTimes;
use timetable_ir::{Function, Module, Stage, Target};

/// The function attribute naming a function's bucket (written by lowering).
const BUCKET_ATTR: &str = "bucket";

/// Which bucket symbols mean what.
#[derive(Clone, Debug, Default)]
pub struct Dims {
    /// The symbol counting requests per run; default `B` when functions have it.
    pub batch: Option<String>,
    /// The symbol bounding a request's size; default the one symbol that is not the batch.
    pub size: Option<String>,
}

/// The buckets a scheduled module serves.
pub fn buckets(module: &Module, target: &Target, dims: &Dims) -> Result<Buckets, Error> {
    if module.stage != Stage::Scheduled {
        return Err(Error::Config(format!(
            "`@{}` is a `{}` module; service times come from a `scheduled` one (run lower, alloc and sched first)",
            module.name.text, module.stage
        )));
    }
    let symbols: Vec<BTreeMap<String, u64>> = module
        .functions
        .iter()
        .map(bucket_of)
        .collect::<Result<_, _>>()?;
    let all: std::collections::BTreeSet<&str> = symbols
        .iter()
        .flat_map(|s| s.keys().map(String::as_str))
        .collect();
    let batch = dims
        .batch
        .clone()
        .or_else(|| all.contains("B").then(|| "B".to_string()));
    let size = match &dims.size {
        Some(s) => Some(s.clone()),
        None => {
            let rest: Vec<&str> = all
                .iter()
                .copied()
                .filter(|s| Some(*s) != batch.as_deref())
                .collect();
            match rest.as_slice() {
                [] => None,
                [one] => Some(one.to_string()),
                many => {
                    return Err(Error::Config(format!(
                        "buckets have symbols {}: say which bounds a request's size with --size-dim",
                        many.join(", ")
                    )));
                }
            }
        }
    };
    for (name, given) in [("--batch-dim", &dims.batch), ("--size-dim", &dims.size)] {
        if let Some(d) = given
            && !all.contains(d.as_str())
        {
            return Err(Error::Config(format!(
                "{name} {d}: no function of `@{}` has a bucket `{d}`",
                module.name.text
            )));
        }
    }
    let clock_hz = f64::from(target.clock_mhz) * 1e6;
    let mut by_size: BTreeMap<u64, Vec<(u32, f64, String)>> = BTreeMap::new();
    for (func, sym) in module.functions.iter().zip(&symbols) {
        let cycles = IssueTimes::read(func, target)
            .map_err(|d| Error::Config(format!("`@{}`: {}", func.name.text, d.message)))?
            .makespan();
        let service_s = BatchVariant::from_cycles(1, cycles, clock_hz).service_s;
        let n = batch
            .as_ref()
            .and_then(|b| sym.get(b))
            .copied()
            .unwrap_or(1);
        let n = u32::try_from(n)
            .map_err(|_| Error::Config(format!("`@{}`: batch {n} is too large", func.name.text)))?;
        let bound = size
            .as_ref()
            .and_then(|s| sym.get(s))
            .copied()
            .unwrap_or(u64::MAX);
        by_size
            .entry(bound)
            .or_default()
            .push((n, service_s, func.name.text.clone()));
    }
    let mut buckets = Vec::new();
    for (max_size, mut programs) in by_size {
        programs.sort_by_key(|p| p.0);
        if let Some(w) = programs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Config(format!(
                "`@{}` and `@{}` serve the same bucket; say which symbols are batch and size with --batch-dim/--size-dim",
                w[0].2, w[1].2
            )));
        }
        let name = if max_size == u64::MAX {
            "all".to_string()
        } else {
            format!("{}<={max_size}", size.as_deref().unwrap_or("size"))
        };
        let variants = programs
            .into_iter()
            .map(|(batch, service_s, _)| BatchVariant { batch, service_s })
            .collect();
        buckets.push(Bucket {
            name,
            max_size,
            variants,
        });
    }
    Buckets::new(buckets)
}

/// A function's `bucket` attribute as symbol → size (empty without one).
fn bucket_of(func: &Function) -> Result<BTreeMap<String, u64>, Error> {
    let Some(value) = func.attrs.get(BUCKET_ATTR) else {
        return Ok(BTreeMap::new());
    };
    let bad = || {
        Error::Config(format!(
            "`@{}`: `bucket` must be a dictionary of sizes such as {{B = 4}}",
            func.name.text
        ))
    };
    value
        .as_dict()
        .ok_or_else(bad)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), v.as_u64().ok_or_else(bad)?)))
        .collect()
}
