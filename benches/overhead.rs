//! Agent overhead: a CPU-bound program (`benches/apps/CpuBench.java`: sieve,
//! sort, hashing, string building) with the agent loaded (checkpointTo set,
//! no checkpoint taken) and without it, runs interleaved, medians compared.
//! Target: within 3 %.
//!
//! `cargo bench -p portacr-benches --bench overhead` (after `cargo build --release`).

#[path = "common.rs"]
mod common;

use std::time::Duration;

use common::{figures, median, number};
use portacr_e2e::apps::compile_sources;
use portacr_e2e::{fresh_dir, repo_root, Jdk, Jvm};

const RUNS: usize = 7;

fn main() {
    let classes = compile_sources("heapbench", &repo_root().join("benches/apps"));
    println!("agent overhead: CPU-bound workload, median of {RUNS} interleaved runs each");
    println!("{:<6} {:>14} {:>14} {:>9}", "jdk", "no agent ms", "agent ms", "ratio");
    println!("(thread CPU time of the measured rounds, after a warm-up)");
    for jdk in [Jdk::V17, Jdk::V25] {
        let images = fresh_dir(&format!("bench-overhead-{}", jdk.feature()));
        let (mut plain, mut agent) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            plain.push(run(Jvm::new(jdk), &classes, jdk));
            agent.push(run(
                Jvm::new(jdk).agent(format!("checkpointTo={}", images.join("img").display())),
                &classes,
                jdk,
            ));
        }
        let (p, a) = (median(&mut plain), median(&mut agent));
        println!("{:<6} {:>14.0} {:>14.0} {:>9.3}", jdk.feature(), p, a, a / p);
    }
}

fn run(jvm: Jvm, classes: &std::path::Path, jdk: Jdk) -> f64 {
    let run = jvm
        .vm_option("-Xmx1g")
        .timeout(Duration::from_secs(600))
        .arg("30")
        .run_main(&classes.display().to_string(), "CpuBench");
    let context = format!("CpuBench on JDK {}", jdk.feature());
    assert_eq!(run.status, Some(0), "{context} failed\n{}", run.report());
    number(&figures(&run.stdout), "cpu_ms", &context)
}
