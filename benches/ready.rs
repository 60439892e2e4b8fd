//! Time-to-ready benchmark: `benches/apps/ReadyBench.java` spends at least 3 s building its
//! state (parsing a generated access log, aggregating, indexing, warming a cache of answers),
//! then prints READY and serves queries. In one run of this driver, per JDK:
//!
//! - cold: the program started normally;
//! - AOT cache (JDK 25 only): a training run writes `-XX:AOTCacheOutput` (JEP 483/514), then
//!   the program starts with `-XX:AOTCache`;
//! - restore: the program checkpoints right before READY and `java -agentpath:…=restoreFrom=`
//!   restores it.
//!
//! `ready` is the time from starting the `java` process to READY (the driver's clock before
//! the spawn, the program's clock at READY), median of the runs. `steady` is the query throughput after
//! warm-up (median of the later 250 ms windows), in the frame that a restore resumed (main's
//! own loop) and in a method entered afresh, each as a ratio to the cold run.
//!
//! `cargo bench -p portacr-benches --bench ready` (after `cargo build --release`).
//! `PORTACR_BENCH_JDKS=17,25`, `PORTACR_BENCH_RUNS=3`.

#[path = "common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{env_list, figures, jdk_named, median, number};
use portacr_e2e::apps::compile_sources;
use portacr_e2e::{agent_path, fresh_dir, process, repo_root, Jdk, RunResult};

const HEAP: [&str; 2] = ["-Xmx1g", "-Xms1g"];

fn main() {
    let jdks = env_list("PORTACR_BENCH_JDKS", "17,25");
    let runs = env_list("PORTACR_BENCH_RUNS", "3")[0].max(1) as usize;
    let classes = compile_sources("heapbench", &repo_root().join("benches/apps"));
    println!("time-to-ready benchmark: program that builds its state for >= 3 s, then READY; median of {runs} runs, same driver run");
    println!(
        "{:<4} {:<10} {:>9} {:>9} {:>14} {:>7} {:>14} {:>7}",
        "jdk", "start", "ready ms", "vs cold", "steady frame", "ratio", "steady method", "ratio"
    );
    for jdk in jdks {
        let jdk = jdk_named(jdk);
        run_jdk(jdk, runs, &classes);
    }
    println!("steady frame: queries in main's loop (the frame a restore resumes); steady method: the same loop in a method entered afresh.");
}

/// ready_ms, steady in frame, steady in method
type Figures = [f64; 3];

fn run_jdk(jdk: Jdk, runs: usize, classes: &Path) {
    let dir = fresh_dir(&format!("bench-ready-{}", jdk.feature()));
    // The AOT cache takes only JAR files on the class path (JEP 483): every variant runs the jar.
    let jar = dir.join("readybench.jar");
    let jar_tool = jdk.java().with_file_name("jar");
    let jar_tool = if jar_tool.is_file() { jar_tool } else { Jdk::V17.java().with_file_name("jar") };
    let made = process::run(
        {
            let mut c = Command::new(&jar_tool);
            c.arg("cf").arg(&jar).arg("-C").arg(classes).arg(".");
            c
        },
        Duration::from_secs(120),
    );
    assert!(made.success(), "cannot make {}\n{}", jar.display(), made.report());
    let java = jdk.java();
    let context = format!("JDK {}", jdk.feature());

    let cold = median_of(runs, || read(&run(&java, &[], &jar, "ReadyBench"), &format!("{context} cold")));
    print_row(jdk, "cold", cold, cold);

    if jdk == Jdk::V25 {
        let aot = dir.join("app.aot");
        let training = run(&java, &[format!("-XX:AOTCacheOutput={}", aot.display())], &jar, "ReadyBench");
        let training = training.0;
        if !training.success() || !aot.is_file() {
            panic!("{context}: AOT training run failed\n{}", training.report());
        }
        let with_aot = median_of(runs, || {
            read(&run(&java, &[format!("-XX:AOTCache={}", aot.display())], &jar, "ReadyBench"), &format!("{context} AOT"))
        });
        print_row(jdk, "AOT cache", with_aot, cold);
    }

    let image = dir.join("img");
    let agent = agent_path().display().to_string();
    let checkpoint = run(
        &java,
        &[format!("-agentpath:{agent}=checkpointTo={}", image.display()), "-Dready.checkpoint=true".into()],
        &jar,
        "ReadyBench",
    );
    let checkpoint = checkpoint.0;
    if checkpoint.status != Some(0) || !image.join("image.pcr").is_file() {
        panic!("{context}: checkpoint failed\n{}", checkpoint.report());
    }
    let restored = median_of(runs, || {
        read(
            &run(&java, &[format!("-agentpath:{agent}=restoreFrom={}", image.display())], &jar, "io.portacr.Restore"),
            &format!("{context} restore"),
        )
    });
    print_row(jdk, "restore", restored, cold);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The run and the epoch milliseconds just before its process was started.
fn run(java: &PathBuf, options: &[String], jar: &Path, main: &str) -> (RunResult, f64) {
    let mut command = Command::new(java);
    command.args(options).args(HEAP).arg("-cp").arg(jar).arg(main);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1e3)
        .unwrap_or(0.0);
    (process::run(command, Duration::from_secs(300)), started)
}

fn read((run, started): &(RunResult, f64), context: &str) -> Figures {
    if run.status != Some(0) || !run.stdout.contains("READY") {
        panic!("{context}: the program did not get ready\n{}", run.report());
    }
    let f = figures(&run.stdout);
    [
        number(&f, "ready_epoch_ms", context) - started,
        number(&f, "steady_in_frame_ops_per_s", context),
        number(&f, "steady_in_method_ops_per_s", context),
    ]
}

fn median_of(runs: usize, mut one: impl FnMut() -> Figures) -> Figures {
    let all: Vec<Figures> = (0..runs).map(|_| one()).collect();
    let mut m = [0.0; 3];
    for (c, slot) in m.iter_mut().enumerate() {
        *slot = median(&mut all.iter().map(|r| r[c]).collect::<Vec<_>>());
    }
    m
}

fn print_row(jdk: Jdk, start: &str, f: Figures, cold: Figures) {
    println!(
        "{:<4} {:<10} {:>9.0} {:>8.1}x {:>14.0} {:>7.2} {:>14.0} {:>7.2}",
        jdk.feature(),
        start,
        f[0],
        cold[0] / f[0],
        f[1],
        f[1] / cold[1],
        f[2],
        f[2] / cold[2],
    );
}

