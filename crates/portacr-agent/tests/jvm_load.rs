//! Loads the agent into real JVMs (JDK 17 and JDK 25): option errors refuse
//! the start with one line, a plain program runs unchanged and `-Xcheck:jni`
//! stays quiet, and every native of `io.portacr.Native` works.
//!
//! The agent library is the `libportacr.so` cargo builds next to this test
//! binary (`target/<profile>/deps/`) when it builds the crate for the test;
//! `PORTACR_AGENT_LIB` overrides it. JDKs: `PORTACR_JDK17` (default
//! `/usr/lib/jvm/java-17-openjdk-amd64/bin/java`) and `PORTACR_JDK25`
//! (default `/usr/lib/jvm/temurin-25-jdk-amd64/bin/java`). A missing JDK is
//! a failure, not a skip. Fixtures are compiled with `javac --release 17`
//! from `tests/fixtures/` into a fresh temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const JVM_TIME_LIMIT: Duration = Duration::from_secs(120);

fn agent_lib() -> PathBuf {
    if let Some(path) = std::env::var_os("PORTACR_AGENT_LIB") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps dir");
    for candidate in [
        deps.join("libportacr.so"),
        deps.parent().unwrap().join("libportacr.so"),
    ] {
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("libportacr.so not found next to {} (run `cargo build -p portacr-agent` or set PORTACR_AGENT_LIB)", exe.display());
}

fn jdk(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{var}: no java at {} (install it or set {var})",
        path.display()
    );
    path
}

fn jdk17() -> PathBuf {
    jdk(
        "PORTACR_JDK17",
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
    )
}

fn jdk25() -> PathBuf {
    jdk(
        "PORTACR_JDK25",
        "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
    )
}

fn javac() -> PathBuf {
    let java = jdk17();
    let javac = java.with_file_name("javac");
    if javac.is_file() {
        javac
    } else {
        PathBuf::from("javac")
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("portacr-agent-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiled fixtures: (classes dir, twin dir A, twin dir B). Compiled once
/// per test process.
fn fixtures() -> &'static (PathBuf, PathBuf, PathBuf) {
    static FIXTURES: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let root = scratch_dir("fixtures");
        let classes = root.join("classes");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        compile(&classes, &[src.join("NativeProbe.java"), src.join("CpuLoop.java"), src.join("CheckpointProbe.java")]);
        let mut twins = Vec::new();
        for (i, value) in ["first", "second"].iter().enumerate() {
            let dir = root.join(format!("twin{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let source = dir.join("Twin.java");
            std::fs::write(&source, format!("public class Twin {{ public static String value() {{ return \"{value}\"; }} }}\n"))
                .unwrap();
            compile(&dir, &[source]);
            twins.push(dir);
        }
        (classes, twins[0].clone(), twins[1].clone())
    })
}

fn compile(out: &Path, sources: &[PathBuf]) {
    let output = Command::new(javac())
        .args(["--release", "17", "-d"])
        .arg(out)
        .args(sources)
        .output()
        .expect("run javac");
    assert!(
        output.status.success(),
        "javac failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `java` with a time limit.
fn run_java(java: &Path, args: &[String]) -> Output {
    let mut child = Command::new(java)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", java.display()));
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > JVM_TIME_LIMIT {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{} {:?} ran longer than {JVM_TIME_LIMIT:?}\nstdout:\n{}\nstderr:\n{}",
                java.display(),
                args,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn agent_arg(options: &str) -> String {
    if options.is_empty() {
        format!("-agentpath:{}", agent_lib().display())
    } else {
        format!("-agentpath:{}={options}", agent_lib().display())
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn check_bad_options(java: &Path) {
    let cases = [
        (
            "chekpointTo=/tmp/x",
            "portacr: error: unknown agent option 'chekpointTo' (expected checkpointTo, restoreFrom, keepRunning, log, logFile, compress, warmupAfter)",
        ),
        ("keepRunning=maybe", "portacr: error: agent option keepRunning=maybe: expected true or false"),
        ("log=info,log=debug", "portacr: error: agent option 'log' is given twice"),
        ("compress=0", "portacr: error: agent option compress=0: expected a zstd level, -7..=-1 or 1..=22"),
        (
            "warmupAfter=3",
            "portacr: error: agent option warmupAfter=3: expected never or a delay such as 3s or 500ms (at most 86400s)",
        ),
        (
            "checkpointTo=/tmp/img_%q",
            "portacr: error: invalid checkpointTo pattern '/tmp/img_%q': unknown placeholder '%q' at offset 9 (known: %% %a %f %u %t %T %b %B %r %R %p %c %m %g)",
        ),
        (
            "checkpointTo=/tmp/img_%02a",
            "portacr: error: invalid checkpointTo pattern '/tmp/img_%02a': placeholder '%02a' at offset 9 takes no width (only %f %T %B %R %p %c %g do)",
        ),
        (
            "checkpointTo=/tmp/a,restoreFrom=/nonexistent-portacr-dir/img",
            "portacr: error: cannot restore /nonexistent-portacr-dir/img: no such directory",
        ),
        (
            "logFile=/nonexistent-portacr-dir/agent.log",
            "portacr: error: cannot open log file /nonexistent-portacr-dir/agent.log: No such file or directory (os error 2)",
        ),
    ];
    for (options, expected) in cases {
        let output = run_java(java, &[agent_arg(options), "-version".into()]);
        assert!(
            !output.status.success(),
            "{options}: the JVM started anyway"
        );
        let ours: Vec<String> = stderr(&output)
            .lines()
            .filter(|l| l.starts_with("portacr:"))
            .map(String::from)
            .collect();
        assert_eq!(
            ours,
            vec![expected.to_owned()],
            "{options}: stderr was:\n{}",
            stderr(&output)
        );
    }
}

#[test]
fn bad_options_refuse_start_jdk17() {
    check_bad_options(&jdk17());
}

#[test]
fn bad_options_refuse_start_jdk25() {
    check_bad_options(&jdk25());
}

fn check_plain_program(java: &Path) {
    let (classes, _, _) = fixtures();
    let img = scratch_dir("plain").join("img_%p");
    for options in [
        String::new(),
        format!("checkpointTo={},keepRunning=false,log=warn", img.display()),
    ] {
        let output = run_java(
            java,
            &[
                agent_arg(&options),
                "-Xcheck:jni".into(),
                "-cp".into(),
                classes.display().to_string(),
                "CpuLoop".into(),
                "1".into(),
            ],
        );
        assert!(
            output.status.success(),
            "options '{options}': {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).starts_with("best_ms="),
            "{}",
            stdout(&output)
        );
        assert_eq!(
            stderr(&output),
            "",
            "options '{options}': expected a quiet stderr (no JNI warnings)"
        );
    }
}

#[test]
fn plain_program_runs_unchanged_jdk17() {
    check_plain_program(&jdk17());
}

#[test]
fn plain_program_runs_unchanged_jdk25() {
    check_plain_program(&jdk25());
}

fn check_natives(java: &Path, name: &str) {
    let (classes, twin0, twin1) = fixtures();
    let root = scratch_dir(&format!("natives-{name}"));
    let log_file = root.join("agent.log");
    let options = format!(
        "checkpointTo={}/img_%a_%03g_%m,log=info,logFile={}",
        root.display(),
        log_file.display()
    );
    let output = run_java(
        java,
        &[
            agent_arg(&options),
            "-Xcheck:jni".into(),
            "-cp".into(),
            classes.display().to_string(),
            "NativeProbe".into(),
            twin0.display().to_string(),
            twin1.display().to_string(),
        ],
    );
    let out = stdout(&output);
    assert!(
        output.status.success(),
        "stdout:\n{out}\nstderr:\n{}",
        stderr(&output)
    );
    assert!(
        !stderr(&output).contains("WARNING"),
        "JNI warnings:\n{}",
        stderr(&output)
    );
    let facts: std::collections::HashMap<&str, &str> =
        out.lines().filter_map(|l| l.split_once('=')).collect();
    let fact = |key: &str| {
        *facts
            .get(key)
            .unwrap_or_else(|| panic!("no {key}= line in:\n{out}"))
    };
    let expected_dir = root.join(format!("img_{}_001_512M", std::env::consts::ARCH));
    let expectations = [
        ("loader", "null"),
        ("isConfigured", "true"),
        ("platformMXBean", "jdk.crac.management.CRaCMXBeanImpl"),
        ("keepRunning", "false"),
        ("generation", "1"),
        ("bootPlausible", "true"),
        ("restoreEqualsBoot", "true"),
        ("cpuFeaturesNonZero", "true"),
        ("randomUuidIsV4", "true"),
        ("stringTableDumpVersion", "VERSION: 1.1"),
        ("otherThreads", "null"),
        ("loadedHasProbe", "true"),
        ("loadedHasString", "true"),
        ("fieldNames", "[staticCounter, instanceField, name]"),
        ("fieldDescriptors", "[I, J, Ljava/lang/String;]"),
        ("fieldFlags", "[8, 0, 18]"),
        ("statusProbe", "7"),
        ("modifiersProbe", "33"), // ACC_PUBLIC | ACC_SUPER
        ("digestMatchesFile", "true"),
        ("digestString", "null"),
        ("twin0DigestMatchesFile", "true"),
        ("twin1DigestMatchesFile", "true"),
        ("twinDigestsDiffer", "true"),
        // work(int a, long b): locals a, b (2 slots), d (2 slots), o.
        ("typesWork0", "L:IJTTTT|S:|C:-1"),
        ("typesStringLength", "L:R|S:|C:-1"),
        ("typesMissingMethod", "null"),
        ("rematerialized", "true"),
        (
            "nullClass",
            "java.lang.IllegalStateException: class argument is null",
        ),
        ("otherThreadsAfterJoin", "null"),
        ("beginError", "null"),
        ("badRange", "java.lang.ArrayIndexOutOfBoundsException"),
        (
            "commitAgain",
            "java.lang.IllegalStateException: no image is being written (call begin first)",
        ),
    ];
    for (key, value) in expectations {
        assert_eq!(fact(key), value, "{key}; full output:\n{out}");
    }
    let sleeper = fact("otherThreadsWithSleeper");
    assert!(
        sleeper.starts_with("1 other application thread is alive: \"probe-sleeper\" TIMED_WAITING (sleeping) at java.lang.Thread.sleep"),
        "{sleeper}"
    );
    assert_eq!(fact("committed"), expected_dir.display().to_string());
    let image = std::fs::read(expected_dir.join("image.pcr")).expect("image.pcr written");
    assert!(image.len() > 16);
    let entries: Vec<_> = std::fs::read_dir(&expected_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 1, "temporary files left: {entries:?}");
    let log = std::fs::read_to_string(&log_file).expect("log file");
    assert!(log.contains("portacr: info: probe says hello\n"), "{log}");
    assert!(log.contains("portacr: info: agent ready"), "{log}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn natives_work_jdk17() {
    check_natives(&jdk17(), "17");
}

#[test]
fn natives_work_jdk25() {
    check_natives(&jdk25(), "25");
}

/// A whole checkpoint through `jdk.crac.Core` under `-Xcheck:jni`: no JNI
/// warnings, the image verifies, and the process exits with status 0
/// (default) or continues (`keepRunning=true`).
fn check_checkpoint(java: &Path, name: &str) {
    let (classes, _, _) = fixtures();
    let root = scratch_dir(&format!("checkpoint-{name}"));
    for keep_running in [false, true] {
        let dir = root.join(format!("img_{keep_running}_%p"));
        let options = format!("checkpointTo={},keepRunning={keep_running}", dir.display());
        let output = run_java(
            java,
            &[
                agent_arg(&options),
                "-Xcheck:jni".into(),
                "-cp".into(),
                classes.display().to_string(),
                "CheckpointProbe".into(),
            ],
        );
        let out = stdout(&output);
        assert!(
            output.status.success(),
            "stdout:\n{out}\nstderr:\n{}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains("WARNING"),
            "JNI warnings:\n{}",
            stderr(&output)
        );
        assert!(out.starts_with("before checkpoint\n"), "{out}");
        assert_eq!(
            out.contains("after checkpoint sum=106"),
            keep_running,
            "{out}"
        );
        let images: Vec<PathBuf> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("img_{keep_running}_"))
            })
            .collect();
        assert_eq!(images.len(), 1, "{images:?}");
        let image = portacr_image::Image::open(&images[0].join("image.pcr")).expect("image opens");
        let report = portacr_image::verify(&image);
        assert!(report.problems.is_empty(), "verify: {:?}", report.problems);
        assert!(
            report.objects >= 1000,
            "the 1000 strings of STATE at least: {}",
            report.objects
        );
        let threads = image.threads().expect("threads section");
        assert!(!threads.is_empty());
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn checkpoint_under_check_jni_jdk17() {
    check_checkpoint(&jdk17(), "17");
}

#[test]
fn checkpoint_under_check_jni_jdk25() {
    check_checkpoint(&jdk25(), "25");
}

