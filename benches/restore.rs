//! Restore benchmark: the checkpoint benchmark's heap (`benches/apps/HeapBench.java`,
//! about 200 MB and 1 GB live) is checkpointed by `benches/apps/RestoreBench.java`, then
//! restored several times: under G1 started by hand (`java -agentpath:…`, no more options),
//! by `portacr restore` (which adds a young generation fitting the image, spec/restore.md
//! §6), under G1 with `-Xmn` of 1.5 × the live heap, and under Parallel and Serial GC.
//! Each row is the median of the runs: the restore's phases as the agent and the rebuild log
//! them (`log=info`), objects/s of the object rebuild, the time until the program runs
//! again, and the peak resident memory (VmHWM) against the live heap plus the VmHWM of the
//! same JVM running nothing with the same heap options.
//!
//! `cargo bench -p portacr-benches --bench restore` (after `cargo build --release`).
//! `PORTACR_BENCH_SIZES=200,1024` (MB), `PORTACR_BENCH_JDKS=17,25`,
//! `PORTACR_BENCH_RUNS=3` choose the cases.

#[path = "common.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{MB, env_list, figures, jdk_named, median, number};
use portacr_e2e::apps::compile_sources;
use portacr_e2e::{agent_path, cli_path, fresh_dir, process, repo_root, Jdk, Jvm};

fn main() {
    let sizes = env_list("PORTACR_BENCH_SIZES", "200,1024");
    let jdks = env_list("PORTACR_BENCH_JDKS", "17");
    let runs = env_list("PORTACR_BENCH_RUNS", "3")[0].max(1) as usize;
    let classes = compile_sources("heapbench", &repo_root().join("benches/apps"));
    println!("restore benchmark: phases of a restore (ms, median of {runs} runs), object rebuild rate, peak RSS vs live heap + JVM baseline");
    println!(
        "{:<4} {:>6} {:>9} {:<9} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>6}",
        "jdk", "liveMB", "objects", "gc", "decode", "classes", "objects", "Mobj/s", "statics", "hashtbl", "other", "threads",
        "resumed", "wall", "hwmMB", "baseMB", "limitMB", "ok"
    );
    for jdk in jdks {
        let jdk = jdk_named(jdk);
        for &size in &sizes {
            run_case(jdk, size, runs, &classes);
        }
    }
    println!("decode: OBJECTS read and decompressed at VMInit; objects: both rebuild passes; hashtbl: hash-table check/repair;");
    println!("other: properties + symbols + class initialization; threads: rebuild finished -> program running again;");
    println!("resumed: agent loaded -> program running again; wall: whole process (JVM start to exit);");
    println!("ok: peak RSS <= 1.5 x live heap + the baseline JVM's peak RSS (same -Xmx/-Xms, trivial program).");
}

fn run_case(jdk: Jdk, size_mb: u64, runs: usize, classes: &Path) {
    let dir = fresh_dir(&format!("bench-restore-{}-{size_mb}", jdk.feature()));
    let image = dir.join("img");
    let xmx = (size_mb * 3).max(1024);
    let heap = [format!("-Xmx{xmx}m"), format!("-Xms{xmx}m")];
    let context = format!("JDK {} {size_mb} MB", jdk.feature());
    let checkpoint = Jvm::new(jdk)
        .agent(format!("checkpointTo={}", image.display()))
        .vm_options(heap.clone())
        .timeout(Duration::from_secs(1800))
        .arg(size_mb.to_string())
        .run_main(&classes.display().to_string(), "RestoreBench");
    if checkpoint.status != Some(0) || !image.join("image.pcr").is_file() {
        panic!("{context}: checkpoint failed\n{}", checkpoint.report());
    }
    let f = figures(&checkpoint.stdout);
    let live = number(&f, "live_heap_bytes", &context);

    let java = jdk.java();
    let baseline = process::run(
        java_command(&java, &heap, &[], classes, &["RestoreBench".into(), "baseline".into()]),
        Duration::from_secs(120),
    );
    let base_kb = number(&figures(&baseline.stdout), "vm_hwm_kb", &format!("{context} baseline"));

    let young = format!("-Xmn{}m", (live / MB * 1.5) as u64 + 64);
    // "G1 cli": `portacr restore IMG` with the recorded options (the same -Xmx/-Xms).
    let configs: [(&str, Vec<String>); 5] = [
        ("G1", vec![]),
        ("G1 cli", vec![]),
        ("G1+Xmn", vec![young]),
        ("Parallel", vec!["-XX:+UseParallelGC".into()]),
        ("Serial", vec!["-XX:+UseSerialGC".into()]),
    ];
    for (gc, extra) in configs {
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for _ in 0..runs {
            let command = if gc == "G1 cli" {
                let mut command = Command::new(cli_path());
                command.args(["restore", &image.display().to_string(), "--java", &java.display().to_string()]);
                command.args(["--agent-options", "log=info"]).env("PORTACR_AGENT", agent_path());
                command
            } else {
                let agent = format!("-agentpath:{}=restoreFrom={},log=info", agent_path().display(), image.display());
                let mut options = vec![agent];
                options.extend(extra.iter().cloned());
                java_command(&java, &heap, &options, classes, &["io.portacr.Restore".into()])
            };
            let run = process::run(command, Duration::from_secs(600));
            let what = format!("{context} {gc}");
            if run.status != Some(0) {
                panic!("{what}: restore failed\n{}", run.report());
            }
            let out = figures(&run.stdout);
            if out.get("heap_intact").map(String::as_str) != Some("true") {
                panic!("{what}: the restored heap differs from the checkpointed one\n{}", run.report());
            }
            let log = &run.stderr;
            let decode = ms_after(log, "bytes decoded in ", "", &what);
            let classes_ms = ms_after(log, "restore: classes ", " in ", &what);
            let symbols = ms_after(log, ", symbols ", "", &what);
            let objects_ms = ms_after(log, ", objects ", " in ", &what);
            let objects = count_after(log, ", objects ", &what);
            let statics = ms_after(log, ", statics ", " in ", &what);
            let initialize = ms_after(log, ", initialize ", "", &what);
            let hash = ms_after(log, "hash tables rebuilt ", " in ", &what);
            let properties = ms_after(log, ", properties ", "", &what);
            let finished = ms_after(log, "restore: finished ", "", &what);
            let resumed = number(&out, "resumed_after_agent_load_ms", &what);
            let hwm_kb = number(&out, "vm_hwm_kb", &what);
            rows.push(vec![
                decode,
                classes_ms,
                objects_ms,
                objects / objects_ms * 1e3 / 1e6,
                statics,
                hash,
                properties + symbols + initialize,
                resumed - finished,
                resumed,
                run.elapsed.as_secs_f64() * 1e3,
                hwm_kb / 1024.0,
                objects,
            ]);
        }
        let m: Vec<f64> = (0..rows[0].len()).map(|c| median(&mut rows.iter().map(|r| r[c]).collect::<Vec<_>>())).collect();
        let base_mb = base_kb / 1024.0;
        let limit_mb = 1.5 * live / MB + base_mb;
        println!(
            "{:<4} {:>6.0} {:>9.0} {:<9} {:>7.0} {:>7.1} {:>8.0} {:>8.2} {:>8.1} {:>8.0} {:>7.0} {:>7.0} {:>7.0} {:>8.0} {:>8.0} {:>7.0} {:>7.0} {:>6}",
            jdk.feature(),
            live / MB,
            m[11],
            gc,
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
            m[6],
            m[7],
            m[8],
            m[9],
            m[10],
            base_mb,
            limit_mb,
            if m[10] <= limit_mb { "yes" } else { "NO" },
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn java_command(java: &Path, heap: &[String], options: &[String], classes: &Path, main: &[String]) -> Command {
    let mut command = Command::new(java);
    command.args(options).args(heap).arg("-cp").arg(classes).args(main);
    command
}

/// The number after `marker` in `log` — after the first `then` following it when `then` is
/// not empty (`"classes 21 in 4.0 ms"`: marker `"classes "`, then `" in "`).
fn ms_after(log: &str, marker: &str, then: &str, context: &str) -> f64 {
    let rest = log
        .split_once(marker)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{context}: no {marker:?} in the restore's log\n{log}"));
    let rest = if then.is_empty() {
        rest
    } else {
        rest.split_once(then).map(|(_, r)| r).unwrap_or_else(|| panic!("{context}: no {then:?} after {marker:?}"))
    };
    leading_number(rest).unwrap_or_else(|| panic!("{context}: no number after {marker:?}{then:?}"))
}

fn count_after(log: &str, marker: &str, context: &str) -> f64 {
    ms_after(log, marker, "", context)
}

fn leading_number(text: &str) -> Option<f64> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    text[..end].parse().ok()
}

