//! Shared by the end-to-end benchmark drivers.
#![allow(dead_code)] // each driver uses part of it

use std::collections::HashMap;

/// `key=value` lines printed by a benchmark program.
pub fn figures(stdout: &str) -> HashMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

pub fn number(figures: &HashMap<String, String>, key: &str, context: &str) -> f64 {
    figures
        .get(key)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{context}: no figure {key:?} in the program's output"))
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

pub const MB: f64 = 1024.0 * 1024.0;

/// A comma-separated list of numbers from the environment (`PORTACR_BENCH_SIZES=200,1024`).
pub fn env_list(name: &str, default: &str) -> Vec<u64> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap_or_else(|_| panic!("{name}: bad number {s:?}")))
        .collect()
}

/// The JDK of a `PORTACR_BENCH_JDKS` entry.
pub fn jdk_named(feature: u64) -> portacr_e2e::Jdk {
    match feature {
        17 => portacr_e2e::Jdk::V17,
        21 => portacr_e2e::Jdk::V21,
        25 => portacr_e2e::Jdk::V25,
        other => panic!("PORTACR_BENCH_JDKS: unknown JDK {other}"),
    }
}
