//! Time-to-ready benchmark: `benches/apps/ReadyBench.java` spends at least 3 s building its
//! state (parsing a generated access log, aggregating, indexing, warming a cache of answers),
//! then prints READY and serves queries. In one run of this driver, per JDK:
//!
//! - cold: the program started normally;
//! - AOT cache (JDK 25 only): a training run writes `-XX:AOTCacheOutput` (JEP 483/514), then
//!   the program starts with `-XX:AOTCache`;
//! - restore: the program checkpoints right before READY and `java -agentpath:…=restoreFrom=`
//!   restores it;
//! - original / its restore: in each round, the program checkpoints right before READY with
//!   `keepRunning=true` and goes on (the original), and its image is restored side by side
//!   with it: the steady-state target compares a restored program with its own original,
//!   and the pairs are printed one by one.
//!
//! `ready` is the time from starting the `java` process to READY (the driver's clock before
//! the spawn, the program's clock at READY), median of the runs. `steady` is the query
//! throughput after warm-up (median of the later 250 ms windows), in the frame that a restore
//! resumed (main's own loop) and in a method entered afresh, each as a ratio to the cold
//! run: per second of wall-clock time, and per second of the program thread's CPU time (on a
//! machine shared with other work a thread that loses its core for part of a window does not
//! make its code look slower; both are printed). The variants compared run side by side:
//! in each run the driver starts cold and restore one after the other, the second when the
//! first has printed READY (so a start is not slowed by another program's), and when both
//! are ready tells them to measure at the same time (`-Dready.goFile`); then cold+GC and
//! restore+GC the same way; then the AOT start (25) alone, so its steady figures are not
//! side by side with cold's. A change of the machine's load hits the compared programs alike.
//!
//! The `+GC` rows: the program, right after READY, allocates garbage until one young
//! collection has run (`-Dready.youngGc=true`), as any program that allocates would. A
//! restore allocates the rebuilt objects in image order, which keeps an object far from the
//! objects it refers to; a young collection copies them in the order it reaches them from
//! the roots. The gap between `restore` and `restore+GC` is what the rebuilt heap's layout
//! costs a program that does not allocate.
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
    println!("time-to-ready benchmark: program that builds its state for >= 3 s, then READY; median of {runs} runs, compared variants measuring side by side, same driver run");
    println!("load average at start: {}", load_average());
    println!(
        "{:<4} {:<11} {:>9} {:>8} {:>13} {:>6} {:>13} {:>6} {:>9} {:>9}",
        "jdk", "start", "ready ms", "vs cold", "steady frame", "ratio", "steady method", "ratio", "cpu frame", "cpu meth"
    );
    for jdk in jdks {
        let jdk = jdk_named(jdk);
        run_jdk(jdk, runs, &classes);
    }
    println!("load average at end: {}", load_average());
    println!("steady frame: queries in main's loop (the frame a restore resumes); steady method: the same loop in a method entered afresh;");
    println!("ops/s of wall-clock time and their ratio to cold; cpu: the ratio of ops per second of the thread's CPU time. +GC: one young");
    println!("collection after READY (compared with cold+GC).");
}

/// ready_ms, then steady in frame and in method per wall-clock second, then the same per
/// CPU second.
type Figures = [f64; 5];

/// The program's variants, alternated within each run.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Cold,
    Aot,
    Restore,
    ColdGc,
    RestoreGc,
    /// The program that checkpoints before READY with `keepRunning=true` and goes on: the
    /// original of the image that `RestoreOfOriginal` restores in the same round.
    Original,
    RestoreOfOriginal,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Cold => "cold",
            Variant::Aot => "AOT cache",
            Variant::Restore => "restore",
            Variant::ColdGc => "cold+GC",
            Variant::RestoreGc => "restore+GC",
            Variant::Original => "original",
            Variant::RestoreOfOriginal => "its restore",
        }
    }
}

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

    let aot = dir.join("app.aot");
    let mut variants = vec![Variant::Cold];
    if jdk == Jdk::V25 {
        let training = run(&java, &[format!("-XX:AOTCacheOutput={}", aot.display())], &jar, "ReadyBench");
        let training = training.0;
        if !training.success() || !aot.is_file() {
            panic!("{context}: AOT training run failed\n{}", training.report());
        }
        variants.push(Variant::Aot);
    }
    variants.extend([Variant::Restore, Variant::ColdGc, Variant::RestoreGc, Variant::Original, Variant::RestoreOfOriginal]);

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
    let restore_option = format!("-agentpath:{agent}=restoreFrom={}", image.display());
    let young_gc = "-Dready.youngGc=true".to_string();

    // The original's image, new in each round: its restore starts once the original has
    // printed READY, i.e. after the checkpoint.
    let image_of_round = |round: usize| dir.join(format!("img-original-{round}"));
    let options_of = |variant: Variant, round: usize| -> (Vec<String>, &'static str) {
        match variant {
            Variant::Cold => (vec![], "ReadyBench"),
            Variant::Aot => (vec![format!("-XX:AOTCache={}", aot.display())], "ReadyBench"),
            Variant::Restore => (vec![restore_option.clone()], "io.portacr.Restore"),
            Variant::ColdGc => (vec![young_gc.clone()], "ReadyBench"),
            Variant::RestoreGc => (vec![restore_option.clone(), young_gc.clone()], "io.portacr.Restore"),
            Variant::Original => (
                vec![
                    format!("-agentpath:{agent}=checkpointTo={},keepRunning=true", image_of_round(round).display()),
                    "-Dready.checkpoint=true".into(),
                ],
                "ReadyBench",
            ),
            Variant::RestoreOfOriginal => (
                vec![format!("-agentpath:{agent}=restoreFrom={}", image_of_round(round).display())],
                "io.portacr.Restore",
            ),
        }
    };
    // Two programs a group: the machine has two cores, and of three programs the one that
    // keeps a core to itself loses no cache to the other two's switching (measured: an AOT
    // start of the same code at 0.54x of cold per CPU second when it shared a core).
    let group_of = |pair: [Variant; 2]| -> Vec<usize> {
        (0..variants.len()).filter(|i| pair.contains(&variants[*i])).collect()
    };
    let mut groups = vec![
        group_of([Variant::Cold, Variant::Restore]),
        group_of([Variant::ColdGc, Variant::RestoreGc]),
        group_of([Variant::Original, Variant::RestoreOfOriginal]),
    ];
    if variants.contains(&Variant::Aot) {
        groups.push(group_of([Variant::Aot, Variant::Aot]));
    }
    let mut all: Vec<Vec<Figures>> = vec![Vec::new(); variants.len()];
    for round in 0..runs {
        for (g, group) in groups.iter().enumerate() {
            let go = dir.join(format!("go-{round}-{g}"));
            let members: Vec<(Vec<String>, &str)> = group.iter().map(|i| options_of(variants[*i], round)).collect();
            let results = run_side_by_side(&java, &members, &jar, &go, &context);
            for (i, result) in group.iter().zip(&results) {
                all[*i].push(read(result, &format!("{context} {}", variants[*i].label())));
            }
        }
    }
    let medians: Vec<Figures> = all.iter().map(|r| median_of(r)).collect();
    let of = |v: Variant| medians[variants.iter().position(|x| *x == v).unwrap_or(0)];
    for variant in &variants {
        // The +GC rows are compared with the program that ran the same collection, the
        // restore of the original's image with that original.
        let base = match variant {
            Variant::RestoreGc => of(Variant::ColdGc),
            Variant::RestoreOfOriginal => of(Variant::Original),
            _ => of(Variant::Cold),
        };
        print_row(jdk, variant.label(), of(*variant), base);
    }
    // The pairs of the same round: each restore against its own original (same heap, same
    // moment), the figure the steady-state target is about.
    let at = |v: Variant| variants.iter().position(|x| *x == v).unwrap_or(0);
    let (original, restored) = (&all[at(Variant::Original)], &all[at(Variant::RestoreOfOriginal)]);
    for (column, name) in [(1, "frame"), (2, "method"), (3, "cpu frame"), (4, "cpu method")] {
        let mut ratios: Vec<f64> = original.iter().zip(restored).map(|(o, r)| r[column] / o[column]).collect();
        let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "{:<4} its restore / its original, {name}: median {:.2} of {} pairs ({})",
            jdk.feature(),
            median(&mut ratios),
            shown.len(),
            shown.join(" ")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 1, 5 and 15 minute load averages of the machine (`/proc/loadavg`).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Runs `members` side by side: each is started when the previous one has printed READY,
/// and once all are ready, `go` is created and they measure their steady state at the same
/// time. Each result comes with the epoch milliseconds just before its process was started.
fn run_side_by_side(
    java: &Path,
    members: &[(Vec<String>, &str)],
    jar: &Path,
    go: &Path,
    context: &str,
) -> Vec<(RunResult, f64)> {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    let limit = Duration::from_secs(300);
    let mut running = Vec::new();
    for (options, main) in members {
        let mut command = Command::new(java);
        command
            .args(options)
            .arg(format!("-Dready.goFile={}", go.display()))
            .args(HEAP)
            .arg("-cp")
            .arg(jar)
            .arg(main)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let line = format!("{command:?}");
        let started = epoch_ms();
        let clock = Instant::now();
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{context}: cannot start {line}: {e}"));
        let stdout = Arc::new(Mutex::new(String::new()));
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let collected = Arc::clone(&stdout);
        let reader = std::thread::spawn(move || {
            let mut buffer = String::new();
            while out.read_line(&mut buffer).unwrap_or(0) > 0 {
                collected.lock().unwrap_or_else(|p| p.into_inner()).push_str(&buffer);
                buffer.clear();
            }
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        // Wait for READY (or the end of the program: reported by `read`).
        loop {
            let ready = stdout.lock().unwrap_or_else(|p| p.into_inner()).contains("READY");
            if ready || clock.elapsed() > limit || matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        running.push((child, reader, errors, stdout, line, started, clock));
    }
    let _ = std::fs::write(go, b"go");
    running
        .into_iter()
        .map(|(mut child, reader, errors, stdout, command, started, clock)| {
            let mut timed_out = false;
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break status.code(),
                    Ok(None) if clock.elapsed() > limit => {
                        let _ = child.kill();
                        timed_out = true;
                        break child.wait().ok().and_then(|s| s.code());
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    Err(_) => break None,
                }
            };
            let _ = reader.join();
            let stderr = errors.join().unwrap_or_default();
            let stdout = std::mem::take(&mut *stdout.lock().unwrap_or_else(|p| p.into_inner()));
            let result = RunResult { command, status, timed_out, stdout, stderr, elapsed: clock.elapsed() };
            (result, started)
        })
        .collect()
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1e3)
        .unwrap_or(0.0)
}

/// The run and the epoch milliseconds just before its process was started.
fn run(java: &PathBuf, options: &[String], jar: &Path, main: &str) -> (RunResult, f64) {
    let mut command = Command::new(java);
    command.args(options).args(HEAP).arg("-cp").arg(jar).arg(main);
    let started = epoch_ms();
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
        number(&f, "steady_in_frame_ops_per_cpu_s", context),
        number(&f, "steady_in_method_ops_per_cpu_s", context),
    ]
}

fn median_of(all: &[Figures]) -> Figures {
    let mut m = [0.0; 5];
    for (c, slot) in m.iter_mut().enumerate() {
        *slot = median(&mut all.iter().map(|r| r[c]).collect::<Vec<_>>());
    }
    m
}

fn print_row(jdk: Jdk, start: &str, f: Figures, cold: Figures) {
    println!(
        "{:<4} {:<11} {:>9.0} {:>7.1}x {:>13.0} {:>6.2} {:>13.0} {:>6.2} {:>9.2} {:>9.2}",
        jdk.feature(),
        start,
        f[0],
        cold[0] / f[0],
        f[1],
        f[1] / cold[1],
        f[2],
        f[2] / cold[2],
        f[3] / cold[3],
        f[4] / cold[4],
    );
}
