//! The PSPLIB j30 data vendored in the repository's `tests/bench/psplib-j30`, for the
//! tests and the benchmark.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use timetable_sched::psplib::parse_optima;

pub fn j30_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bench/psplib-j30")
}

/// A j30 instance `j30{parameter}_{instance}.sm` with its proven optimum.
pub struct J30Instance {
    pub name: String,
    pub text: String,
    pub optimum: u32,
}

/// Every instance in `instances/`, in (parameter, instance) order.
pub fn j30_instances() -> Vec<J30Instance> {
    let dir = j30_dir();
    let optima_text = std::fs::read_to_string(dir.join("j30opt-subset.sm")).unwrap();
    let optima: BTreeMap<(u32, u32), u32> = parse_optima(&optima_text)
        .unwrap()
        .into_iter()
        .map(|o| ((o.parameter, o.instance), o.makespan))
        .collect();
    let mut instances: Vec<((u32, u32), J30Instance)> = std::fs::read_dir(dir.join("instances"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            let (parameter, instance) = name
                .strip_prefix("j30")
                .and_then(|rest| rest.split_once('_'))
                .map(|(p, i)| (p.parse().unwrap(), i.parse().unwrap()))
                .unwrap_or_else(|| panic!("unexpected instance name {name}"));
            let optimum = optima[&(parameter, instance)];
            let text = std::fs::read_to_string(&path).unwrap();
            (
                (parameter, instance),
                J30Instance {
                    name,
                    text,
                    optimum,
                },
            )
        })
        .collect();
    instances.sort_by_key(|(key, _)| *key);
    instances
        .into_iter()
        .map(|(_, instance)| instance)
        .collect()
}
