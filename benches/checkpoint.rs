//! Checkpoint benchmark: live heaps of about 200 MB and 1 GB of mixed objects
//! (maps of strings to records, lists, primitive arrays, strings). In one JVM
//! run, `benches/apps/HeapBench.java` times `HotSpotDiagnosticMXBean.dumpHeap(
//! file, live=true)` (what `jcmd GC.heap_dump` does) and then
//! `Core.checkpointRestore()` with `keepRunning=true`, on the same heap.
//!
//! `cargo bench -p portacr-benches --bench checkpoint` (after
//! `cargo build --release`). `PORTACR_BENCH_SIZES=200,1024` (MB) and
//! `PORTACR_BENCH_JDKS=17,25` choose the cases; `PORTACR_BENCH_RUNS=N` runs each
//! case N times (one JVM each) and adds a row of medians.
//!
//! Wall times on a machine shared with other work vary by 2x between runs, so
//! each row also gives the process CPU time the dump and the checkpoint burned
//! (`cpu` columns: all threads, the JIT compilers and GC included), and the
//! load average is printed before and after. The dump's time includes the
//! full GC that `live=true` asks for; its CPU shows whether it ran in parallel.
//! A second line per row splits the checkpoint's CPU by thread (from
//! /proc/self/task): the checkpointing thread (the heap walk), the JIT
//! compilers, the GC, and the threads that lived only during the checkpoint
//! (the agent's image writer, which compresses, and the capture warm-up).

#[path = "common.rs"]
mod common;

use std::time::Duration;

use common::{MB, env_list, figures, jdk_named, median, number};
use portacr_e2e::apps::compile_sources;
use portacr_e2e::{fresh_dir, portacr, repo_root, Jdk, Jvm};

fn main() {
    let sizes: Vec<u64> = env_list("PORTACR_BENCH_SIZES", "200,1024");
    let jdks: Vec<u64> = env_list("PORTACR_BENCH_JDKS", "17");
    let classes = compile_sources("heapbench", &repo_root().join("benches/apps"));
    let runs: usize = env_list("PORTACR_BENCH_RUNS", "1").first().map_or(1, |&n| n.max(1) as usize);
    println!("checkpoint benchmark: portacr checkpoint vs HotSpotDiagnosticMXBean.dumpHeap(live) on the same heap, same JVM run");
    println!("load average before: {}", load_average());
    println!(
        "{:<6} {:>8} {:>10} {:>8} {:>7} {:>7} {:>9} {:>9} {:>8} {:>7} {:>8} {:>8} {:>9}",
        "jdk", "live MB", "objects", "ckpt s", "MB/s", "Mobj/s", "image MB", "img/heap", "dump s", "ratio", "ckpt cpu", "dump cpu", "cpu ratio"
    );
    for jdk in jdks {
        let jdk = jdk_named(jdk);
        for &size in &sizes {
            // Checkpointed as soon as the heap is built (the JVM ~1.5 s old at 200 MB: the
            // capture compiles its walk during the checkpoint), then in a JVM 6 s old, past
            // the agent's background warm-up (`warmupAfter`, 3 s by default).
            for at_uptime_ms in [0, AGED_UPTIME_MS] {
                let label = |suffix: &str| match at_uptime_ms {
                    0 => format!("{}{suffix}", jdk.feature()),
                    ms => format!("{}@{}s{suffix}", jdk.feature(), ms / 1000),
                };
                let mut rows: Vec<Row> =
                    (0..runs).map(|_| run_case(jdk, size, at_uptime_ms, &label(""), &classes)).collect();
                if runs > 1 {
                    print_row(&label("med"), &Row::median(&mut rows));
                }
            }
        }
    }
    println!("load average after: {}", load_average());
    println!("ratio = checkpoint time / dump time (target <= 1.0); pause = checkpoint time (the application waits in checkpointRestore)");
    println!("jdk@6s: dump and checkpoint in a JVM that has run 6 s (the capture's code was compiled in the background, warmupAfter=3s)");
}

/// JVM uptime of the second kind of run: past `warmupAfter`'s default 3 s and the
/// warm-up's own compilation.
const AGED_UPTIME_MS: u64 = 6000;

/// One run's figures.
#[derive(Clone, Copy)]
struct Row {
    live: f64,
    objects: f64,
    ckpt_s: f64,
    image_bytes: f64,
    dump_s: f64,
    ckpt_cpu_s: f64,
    dump_cpu_s: f64,
    /// The checkpoint's CPU by thread: the checkpointing thread, the JIT compilers, the GC,
    /// threads that lived only during the checkpoint (image writer, capture warm-up), the rest.
    cpu_split: CpuSplit,
}

#[derive(Clone, Copy, Default)]
struct CpuSplit {
    main: f64,
    jit: f64,
    gc: f64,
    ended: f64,
    other: f64,
}

impl Row {
    /// Each column's median over the runs.
    fn median(rows: &mut [Row]) -> Row {
        let column = |f: fn(&Row) -> f64| median(&mut rows.iter().map(f).collect::<Vec<_>>());
        Row {
            live: column(|r| r.live),
            objects: column(|r| r.objects),
            ckpt_s: column(|r| r.ckpt_s),
            image_bytes: column(|r| r.image_bytes),
            dump_s: column(|r| r.dump_s),
            ckpt_cpu_s: column(|r| r.ckpt_cpu_s),
            dump_cpu_s: column(|r| r.dump_cpu_s),
            cpu_split: CpuSplit {
                main: column(|r| r.cpu_split.main),
                jit: column(|r| r.cpu_split.jit),
                gc: column(|r| r.cpu_split.gc),
                ended: column(|r| r.cpu_split.ended),
                other: column(|r| r.cpu_split.other),
            },
        }
    }
}

fn print_row(label: &str, r: &Row) {
    println!(
        "{:<6} {:>8.0} {:>10.0} {:>8.3} {:>7.1} {:>7.2} {:>9.1} {:>9.3} {:>8.3} {:>7.2} {:>8.2} {:>8.2} {:>9.2}",
        label,
        r.live / MB,
        r.objects,
        r.ckpt_s,
        r.live / MB / r.ckpt_s,
        r.objects / r.ckpt_s / 1e6,
        r.image_bytes / MB,
        r.image_bytes / r.live,
        r.dump_s,
        r.ckpt_s / r.dump_s,
        r.ckpt_cpu_s,
        r.dump_cpu_s,
        r.ckpt_cpu_s / r.dump_cpu_s,
    );
    let c = &r.cpu_split;
    println!(
        "{:<6} pause {:.3} s; checkpoint cpu {:.2} s = checkpointing thread {:.2} + jit {:.2} + gc {:.2} + writer and warm-up threads {:.2} + other {:.2}",
        "", r.ckpt_s, r.ckpt_cpu_s, c.main, c.jit, c.gc, c.ended, c.other
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn run_case(jdk: Jdk, size_mb: u64, at_uptime_ms: u64, label: &str, classes: &std::path::Path) -> Row {
    let dir = fresh_dir(&format!("bench-checkpoint-{}-{size_mb}", jdk.feature()));
    let image_root = dir.join("img");
    let dump = dir.join("heap.hprof");
    let xmx = (size_mb * 3).max(1024);
    let run = Jvm::new(jdk)
        .agent(format!("checkpointTo={},keepRunning=true", image_root.display()))
        .vm_option(format!("-Xmx{xmx}m"))
        .vm_option(format!("-Xms{xmx}m"))
        .vm_option(format!("-Dheapbench.atUptimeMs={at_uptime_ms}"))
        .timeout(Duration::from_secs(1800))
        .arg(size_mb.to_string())
        .arg(dump.display().to_string())
        .run_main(&classes.display().to_string(), "HeapBench");
    let context = format!("JDK {} {size_mb} MB, checkpoint at uptime {at_uptime_ms} ms", jdk.feature());
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
    let row = Row {
        live,
        objects,
        ckpt_s,
        image_bytes,
        dump_s,
        ckpt_cpu_s: number(&f, "checkpoint_cpu_ns", &context) / 1e9,
        dump_cpu_s: number(&f, "heapdump_cpu_ns", &context) / 1e9,
        cpu_split: CpuSplit {
            main: number(&f, "checkpoint_cpu_main_ns", &context) / 1e9,
            jit: number(&f, "checkpoint_cpu_jit_ns", &context) / 1e9,
            gc: number(&f, "checkpoint_cpu_gc_ns", &context) / 1e9,
            ended: number(&f, "checkpoint_cpu_ended_threads_ns", &context) / 1e9,
            other: number(&f, "checkpoint_cpu_other_ns", &context) / 1e9,
        },
    };
    print_row(label, &row);
    let _ = std::fs::remove_dir_all(&dir);
    row
}

