//! Checkpoint benchmark: live heaps of about 200 MB and 1 GB of mixed objects
//! (maps of strings to records, lists, primitive arrays, strings). In one JVM
//! run, `benches/apps/HeapBench.java` times `HotSpotDiagnosticMXBean.dumpHeap(
//! file, live=true)` (what `jcmd GC.heap_dump` does) and then
//! `Core.checkpointRestore()` with `keepRunning=true`, on the same heap.
//!
//! `cargo bench -p portacr-benches --bench checkpoint` (after
//! `cargo build --release`). `PORTACR_BENCH_SIZES=200,1024` (MB) and
//! `PORTACR_BENCH_JDKS=17,25` choose the cases.

#[path = "common.rs"]
mod common;

use std::time::Duration;

use common::{figures, number, MB};
use portacr_e2e::apps::compile_sources;
use portacr_e2e::{fresh_dir, portacr, repo_root, Jdk, Jvm};

fn main() {
    let sizes: Vec<u64> = env_list("PORTACR_BENCH_SIZES", "200,1024");
    let jdks: Vec<u64> = env_list("PORTACR_BENCH_JDKS", "17");
    let classes = compile_sources("heapbench", &repo_root().join("benches/apps"));
    println!("checkpoint benchmark: portacr checkpoint vs HotSpotDiagnosticMXBean.dumpHeap(live) on the same heap, same JVM run");
    println!(
        "{:<6} {:>9} {:>11} {:>10} {:>10} {:>9} {:>11} {:>10} {:>10} {:>9} {:>8}",
        "jdk", "live MB", "objects", "ckpt s", "MB/s", "Mobj/s", "image MB", "img/heap", "dump s", "ratio", "pause s"
    );
    for jdk in jdks {
        let jdk = match jdk {
            17 => Jdk::V17,
            21 => Jdk::V21,
            25 => Jdk::V25,
            other => panic!("PORTACR_BENCH_JDKS: unknown JDK {other}"),
        };
        for &size in &sizes {
            run_case(jdk, size, &classes);
        }
    }
}

fn run_case(jdk: Jdk, size_mb: u64, classes: &std::path::Path) {
    let dir = fresh_dir(&format!("bench-checkpoint-{}-{size_mb}", jdk.feature()));
    let image_root = dir.join("img");
    let dump = dir.join("heap.hprof");
    let xmx = (size_mb * 3).max(1024);
    let run = Jvm::new(jdk)
        .agent(format!("checkpointTo={},keepRunning=true", image_root.display()))
        .vm_option(format!("-Xmx{xmx}m"))
        .vm_option(format!("-Xms{xmx}m"))
        .timeout(Duration::from_secs(1800))
        .arg(size_mb.to_string())
        .arg(dump.display().to_string())
        .run_main(&classes.display().to_string(), "HeapBench");
    let context = format!("JDK {} {size_mb} MB", jdk.feature());
    if run.status != Some(0) {
        panic!("{context}: benchmark program failed\n{}", run.report());
    }
    let f = figures(&run.stdout);
    let live = number(&f, "live_heap_bytes", &context);
    let ckpt_s = number(&f, "checkpoint_ns", &context) / 1e9;
    let dump_s = number(&f, "heapdump_ns", &context) / 1e9;
    // checkpointTo names the image directory itself (no placeholder here).
    let image = &image_root;
    let image_bytes = std::fs::metadata(image.join("image.pcr"))
        .map(|m| m.len() as f64)
        .unwrap_or_else(|_| panic!("{context}: no image written\n{}", run.report()));
    let verify = portacr(&["verify", &image.display().to_string()]);
    let objects: f64 = verify
        .stdout
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{context}: verify failed\n{}", verify.report()));
    println!(
        "{:<6} {:>9.0} {:>11.0} {:>10.3} {:>10.1} {:>9.2} {:>11.1} {:>10.3} {:>10.3} {:>9.2} {:>8.3}",
        jdk.feature(),
        live / MB,
        objects,
        ckpt_s,
        live / MB / ckpt_s,
        objects / ckpt_s / 1e6,
        image_bytes / MB,
        image_bytes / live,
        dump_s,
        ckpt_s / dump_s,
        ckpt_s,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn env_list(name: &str, default: &str) -> Vec<u64> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap_or_else(|_| panic!("{name}: bad number {s:?}")))
        .collect()
}
