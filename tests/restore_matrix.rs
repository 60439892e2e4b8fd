//! Restore, the rest of the test matrix (spec/restore.md §4.3, §5, §7): what a **resumed**
//! program prints after its restore, compared with an uninterrupted `keepRunning=true` run.
//!
//! - `tests/apps/matrix`: a `ReentrantLock` held twice across the checkpoint (the owner is the
//!   restored main `Thread`, a symbolic reference), hash tables keyed by identity hashes
//!   (objects without `hashCode()`, JDK enum constants, `Class` objects), system properties
//!   (image vs restore-time `-D`), and `System.nanoTime()` continuing monotonically.
//! - `tests/apps/clockoffset`: `io.portacr.restore.Clock` with a fake offset.
//! - `recursion` and `graph` restored under `-Xcheck:jni` and other collectors and layouts.
//!
//! Images are made once per test binary and restored several times (the file must stay near
//! three minutes on two cores).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use portacr_e2e::{checkpoint_app, portacr, Jdk, Jvm, RunResult};

/// One app checkpointed on one JDK: its image and what an uninterrupted run prints after
/// the checkpoint.
struct Scenario {
    image: PathBuf,
    expected: Vec<String>,
}

fn scenario(app: &str, jdk: Jdk, vm_options: &[&str]) -> Scenario {
    let name = format!("matrix-{app}-jdk{}", jdk.feature());
    let jvm = || Jvm::new(jdk).vm_options(vm_options.iter().copied());
    let cp = checkpoint_app(jvm(), app, &name, "");
    cp.run.assert_exit(0);
    let whole = checkpoint_app(jvm(), app, &format!("{name}-keep"), ",keepRunning=true");
    whole.run.assert_exit(0);
    let expected = portacr_e2e::output_after_checkpoint(&cp.run, &whole.run);
    Scenario { image: cp.image(), expected }
}

fn matrix17() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| scenario("matrix", Jdk::V17, &["-Dmatrix.prop=image"]))
}

fn recursion17() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| scenario("recursion", Jdk::V17, &[]))
}

fn graph17() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| scenario("graph", Jdk::V17, &[]))
}

fn restore(image: &Path, jdk: Jdk, agent_options: &str, options: &[&str]) -> RunResult {
    let java = jdk.java().display().to_string();
    let image = image.display().to_string();
    let mut args = vec!["restore", &image, "--java", &java];
    if !agent_options.is_empty() {
        args.extend(["--agent-options", agent_options]);
    }
    args.push("--");
    args.extend_from_slice(options);
    portacr(&args)
}

/// Restores `s` and checks the program's output equals `expected`; returns the run.
#[track_caller]
fn assert_resumes_with(s: &Scenario, expected: &[String], jdk: Jdk, agent_options: &str, options: &[&str]) -> RunResult {
    let run = restore(&s.image, jdk, agent_options, options);
    run.assert_exit(0);
    assert_eq!(
        run.stdout_lines(),
        expected,
        "restored output differs from the uninterrupted run on JDK {} {options:?}\n{}",
        jdk.feature(),
        run.report()
    );
    assert!(!run.stderr.contains("portacr: error"), "{}", run.report());
    run
}

#[track_caller]
fn assert_resumes(s: &Scenario, jdk: Jdk, options: &[&str]) -> RunResult {
    assert_resumes_with(s, &s.expected, jdk, "", options)
}

/// The matrix app's expected lines after a restore: the uninterrupted run's, where the
/// program's clock is the raw one (no redirect without a restore), with `replace` applied.
fn matrix_expected(replace: &[(&str, &str)]) -> Vec<String> {
    let s = matrix17();
    let clock = "program clock follows io.portacr.restore.Clock: ";
    assert!(s.expected.contains(&format!("{clock}false")), "{:?}", s.expected);
    let mut lines: Vec<String> = s.expected.iter().map(|l| if l.starts_with(clock) { format!("{clock}true") } else { l.clone() }).collect();
    for (from, to) in replace {
        let at = lines.iter().position(|l| l == from).unwrap_or_else(|| panic!("no line {from:?} in {lines:?}"));
        lines[at] = to.to_string();
    }
    lines
}

/// A ReentrantLock held twice, identity-hashed keys in HashMap/HashSet/IdentityHashMap/
/// WeakHashMap and a static map, and the clock, in a resumed program on 17 and 25. At
/// debug level the agent says the program's class reads the program's clock.
#[test]
fn lock_maps_and_clock_of_a_resumed_program() {
    let s = matrix17();
    for line in [
        "nanoTime after >= before checkpoint: true",
        "lock held by main: true holds=2 locked=true",
        "other tryLock while main holds: false",
        "main unlocked once: holds=1 locked=true",
        "other still waiting: true",
        "other acquired after main released: true",
        "HashMap: 12 of 12 keys found",
        "HashSet: 12 of 12 keys found",
        "IdentityHashMap: 12 of 12 keys found",
        "WeakHashMap: 12 of 12 keys found",
        "static HashMap: 12 of 12 keys found",
        "sizes 12 12 12 12 12",
        "matrix.prop=image",
        "matrix.set=at-runtime",
    ] {
        assert!(s.expected.iter().any(|l| l == line), "uninterrupted run lacks {line:?}: {:?}", s.expected);
    }
    let expected = matrix_expected(&[]);
    let run = assert_resumes_with(s, &expected, Jdk::V17, "log=debug", &[]);
    assert!(
        run.stderr.contains("portacr: debug: restore: System.nanoTime() of matrix/Main reads the program's clock"),
        "{}",
        run.report()
    );
    assert_resumes_with(s, &expected, Jdk::V25, "", &["-Xverify:all"]);
}

/// Restore-time `-D` wins over the image's value of the same key; a property the program set
/// at run time comes from the image.
#[test]
fn restore_time_properties_override_the_image() {
    let s = matrix17();
    let expected = matrix_expected(&[("matrix.prop=image", "matrix.prop=restore")]);
    assert_resumes_with(s, &expected, Jdk::V17, "", &["-Dmatrix.prop=restore"]);
    let expected = matrix_expected(&[("matrix.set=at-runtime", "matrix.set=given")]);
    assert_resumes_with(s, &expected, Jdk::V21, "", &["-Dmatrix.set=given"]);
}

/// `Clock.nanoTime()` is the raw clock plus its offset, whatever the offset (a fake one here:
/// on one machine the checkpoint's and the restore's clocks are the same CLOCK_MONOTONIC, so
/// a restore alone cannot show that the offset is applied).
#[test]
fn clock_adds_its_offset() {
    let run = Jvm::jdk17().agent("").run_app("clockoffset");
    run.assert_exit(0);
    assert_eq!(
        run.stdout_lines(),
        [
            "offset before any restore: 0",
            "no offset: clock <= raw read after it: true",
            "offset 1000000000000000: reads back true, clock = raw + offset true, never decreases true",
            "offset 7: reads back true, clock = raw + offset true, never decreases true",
            "offset -3600000000000: reads back true, clock = raw + offset true, never decreases true",
        ],
        "{}",
        run.report()
    );
}

/// No JNI warning from the agent's natives during a restore and the resumption.
#[test]
fn restore_under_check_jni() {
    for (s, app) in [(recursion17(), "recursion"), (graph17(), "graph")] {
        for jdk in [Jdk::V17, Jdk::V25] {
            let run = assert_resumes(s, jdk, &["-Xcheck:jni"]);
            let warnings: Vec<&str> =
                run.stderr.lines().filter(|l| l.contains("WARNING") || l.contains("FATAL ERROR in native method")).collect();
            assert!(warnings.is_empty(), "{app} on JDK {}: {warnings:?}\n{}", jdk.feature(), run.report());
        }
    }
}

/// A resumed program under other collectors and heap layouts than the checkpoint's (G1,
/// compressed oops, the default heap size on 17).
#[test]
fn resumed_under_other_collectors_and_layouts() {
    for s in [recursion17(), graph17()] {
        assert_resumes(s, Jdk::V17, &["-XX:+UseParallelGC"]);
        assert_resumes(s, Jdk::V17, &["-XX:+UseZGC"]);
        assert_resumes(s, Jdk::V17, &["-XX:-UseCompressedOops", "-Xmx300m"]);
        assert_resumes(s, Jdk::V25, &["-XX:+UseCompactObjectHeaders", "-XX:+UseParallelGC"]);
        assert_resumes(s, Jdk::V25, &["-XX:+UseZGC", "-Xmx1g"]);
    }
}

/// A checkpoint of a restored program records the program's clock (the raw clock plus the
/// restore's offset): the restore of that generation-2 image continues from it. The program
/// moves its clock a day ahead between the two checkpoints; had the image recorded the raw
/// clock, the second restore would go a day back.
#[test]
fn generation_2_keeps_the_program_clock() {
    let cp = checkpoint_app(Jvm::jdk17(), "clocktwice", "matrix-clocktwice-jdk17", "");
    cp.run.assert_exit(0);
    let dir = cp.image().parent().unwrap().to_path_buf();
    let pattern = format!("checkpointTo={}/gen-%g", dir.display());
    let first = restore(&cp.image(), Jdk::V17, &pattern, &[]);
    first.assert_exit(0);
    assert_eq!(first.stdout_lines(), ["generation 1 restored, clock monotonic: true", "checkpoint 2"], "{}", first.report());
    let gen2 = dir.join("gen-2");
    let second = restore(&gen2, Jdk::V17, "", &[]);
    second.assert_exit(0);
    assert_eq!(second.stdout_lines(), ["generation 2 restored, clock monotonic: true"], "{}", second.report());
}
