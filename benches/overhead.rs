//! Agent overhead: a CPU-bound program (`benches/apps/CpuBench.java`: sieve,
//! sort, hashing, string building) with the agent loaded (checkpointTo set,
//! no checkpoint taken) and without it, runs interleaved, medians compared.
//! Target: within 3 %.
//!
//! Two figures per JDK, both thread CPU time of the measuring thread after a
//! warm-up:
//! - `total`: the measured rounds together, median over the runs (the
//!   figure the target is stated in);
//! - `round q1`: per run the lower quartile of the per-round times, median
//!   over the runs. On a shared machine a busy sibling hyperthread slows
//!   whole rounds; the lower quartile still is a typical round of the run
//!   but is far less disturbed, so it separates a real cost from load.
//!
//! The runs alternate in ABBA order (no agent, agent, agent, no agent, ...)
//! so that a drift of the machine's load falls on both sides; the spread
//! printed is the interquartile range of the per-pair ratios. The load
//! average is printed before and after: above ~1 per core, differences of a
//! few percent are within noise.
//!
//! `cargo bench -p portacr-benches --bench overhead` (after `cargo build --release`).

#[path = "common.rs"]
mod common;

use std::time::Duration;

use common::{figures, median, number};
use portacr_e2e::apps::compile_sources;
use portacr_e2e::{fresh_dir, repo_root, Jdk, Jvm};

/// Runs per side and JDK; even, for the ABBA order.
const RUNS: usize = 12;
/// Measured rounds per run (after 10 warm-up rounds), per JDK: enough for the
/// measured rounds to run past 3 s of uptime, when the agent compiles its
/// capture code in the background (`warmupAfter`'s default), so that its
/// cost is inside the figure (each run prints how long it ran).
fn rounds(jdk: Jdk) -> &'static str {
    match jdk {
        Jdk::V17 => "160",
        _ => "420",
    }
}

struct Sample {
    total_ms: f64,
    round_q1_us: f64,
    /// JVM uptime when the measured rounds ended.
    end_uptime_ms: f64,
}

fn main() {
    let classes = compile_sources("heapbench", &repo_root().join("benches/apps"));
    println!("agent overhead: CPU-bound workload, {RUNS} runs each side, ABBA-interleaved");
    println!("load average before: {}", load_average());
    println!(
        "{:<5} {:<10} {:>12} {:>12} {:>7} {:>17}",
        "jdk", "figure", "no agent", "agent", "ratio", "pair ratios IQR"
    );
    for jdk in [Jdk::V17, Jdk::V25] {
        let images = fresh_dir(&format!("bench-overhead-{}", jdk.feature()));
        let agent = || Jvm::new(jdk).agent(format!("checkpointTo={}", images.join("img").display()));
        let (mut plain, mut loaded) = (Vec::new(), Vec::new());
        for i in 0..RUNS {
            if i % 2 == 0 {
                plain.push(run(Jvm::new(jdk), &classes, jdk));
                loaded.push(run(agent(), &classes, jdk));
            } else {
                loaded.push(run(agent(), &classes, jdk));
                plain.push(run(Jvm::new(jdk), &classes, jdk));
            }
        }
        report(jdk, "total ms", &plain, &loaded, |s| s.total_ms);
        report(jdk, "round q1 us", &plain, &loaded, |s| s.round_q1_us);
        let shortest = loaded.iter().map(|s| s.end_uptime_ms).fold(f64::INFINITY, f64::min);
        println!(
            "{:<5} shortest run with the agent ended at uptime {shortest:.0} ms{}",
            jdk.feature(),
            if shortest < 3500.0 { " (before the background warm-up at 3 s had finished: raise the rounds)" } else { "" }
        );
    }
    println!("load average after: {}", load_average());
}

fn report(jdk: Jdk, figure: &str, plain: &[Sample], loaded: &[Sample], value: fn(&Sample) -> f64) {
    let mut p: Vec<f64> = plain.iter().map(value).collect();
    let mut a: Vec<f64> = loaded.iter().map(value).collect();
    let mut pairs: Vec<f64> = plain.iter().zip(loaded).map(|(p, a)| value(a) / value(p)).collect();
    pairs.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let (q1, q3) = (pairs[pairs.len() / 4], pairs[pairs.len() * 3 / 4]);
    let (pm, am) = (median(&mut p), median(&mut a));
    println!(
        "{:<5} {:<10} {:>12.0} {:>12.0} {:>7.3} {:>8.3}-{:<8.3}",
        jdk.feature(),
        figure,
        pm,
        am,
        am / pm,
        q1,
        q3
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn run(jvm: Jvm, classes: &std::path::Path, jdk: Jdk) -> Sample {
    let run = jvm
        .vm_option("-Xmx1g")
        .timeout(Duration::from_secs(600))
        .arg(rounds(jdk))
        .run_main(&classes.display().to_string(), "CpuBench");
    let context = format!("CpuBench on JDK {}", jdk.feature());
    assert_eq!(run.status, Some(0), "{context} failed\n{}", run.report());
    let figures = figures(&run.stdout);
    Sample {
        total_ms: number(&figures, "cpu_ms", &context),
        round_q1_us: number(&figures, "round_q1_us", &context),
        end_uptime_ms: number(&figures, "end_uptime_ms", &context),
    }
}
