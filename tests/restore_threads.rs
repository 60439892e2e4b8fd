//! Restore, second half (spec/restore.md §7): the captured thread is resumed, so the
//! program continues right after its `checkpointRestore()`. For each scenario app, what
//! the restored program prints must equal, line for line, what an uninterrupted
//! `keepRunning=true` run prints after its checkpoint (the lines the checkpointing run
//! printed before it halted are cut off the front), and the restored JVM must exit as the
//! program would.

use std::path::{Path, PathBuf};

use portacr_e2e::compilation::compilations;
use portacr_e2e::{checkpoint_app, portacr, Jdk, Jvm, RunResult};

/// One app checkpointed on one JDK: its image and the output expected after a restore.
struct Scenario {
    image: PathBuf,
    expected: Vec<String>,
    /// The exit status of the uninterrupted run.
    status: i32,
}

fn jvm(jdk: Jdk, vm_options: &[&str]) -> Jvm {
    Jvm::new(jdk).vm_options(vm_options.iter().copied())
}

/// Checkpoints `app` on `jdk` (the process ends at the checkpoint) and runs it once more
/// with `keepRunning=true` to learn what it prints after the checkpoint.
/// `tag` keeps the image directories of tests running in parallel apart.
fn scenario(tag: &str, app: &str, jdk: Jdk, vm_options: &[&str], status: i32) -> Scenario {
    scenario_with_args(tag, app, jdk, vm_options, &[], status)
}

fn scenario_with_args(tag: &str, app: &str, jdk: Jdk, vm_options: &[&str], args: &[&str], status: i32) -> Scenario {
    let name = format!("threads-{tag}-{app}-jdk{}", jdk.feature());
    let jvm = |jdk, vm_options| args.iter().fold(jvm(jdk, vm_options), |j, a| j.arg(*a));
    let cp = checkpoint_app(jvm(jdk, vm_options), app, &name, "");
    cp.run.assert_exit(0);
    let image = cp.image();
    let whole = checkpoint_app(jvm(jdk, vm_options), app, &format!("{name}-keep"), ",keepRunning=true");
    whole.run.assert_exit(status);
    let expected = portacr_e2e::output_after_checkpoint(&cp.run, &whole.run);
    Scenario { image, expected, status }
}

fn restore(image: &Path, jdk: Jdk, options: &[&str]) -> RunResult {
    let java = jdk.java().display().to_string();
    let image = image.display().to_string();
    let mut args = vec!["restore", &image, "--java", &java, "--"];
    args.extend_from_slice(options);
    portacr(&args)
}

#[track_caller]
fn assert_resumes(s: &Scenario, jdk: Jdk, options: &[&str]) -> RunResult {
    let run = restore(&s.image, jdk, options);
    run.assert_exit(s.status);
    let restored: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        restored, s.expected,
        "restored output differs from the uninterrupted run on JDK {} {options:?}\n{}",
        jdk.feature(),
        run.report()
    );
    assert!(!run.stderr.contains("portacr: error"), "{}", run.report());
    run
}

#[test]
fn demo_17_to_17_21_25() {
    let s = scenario("demo_17_to_17_21_25", "demo", Jdk::V17, &[], 0);
    assert_resumes(&s, Jdk::V17, &[]);
    assert_resumes(&s, Jdk::V21, &[]);
    assert_resumes(&s, Jdk::V25, &[]);
}

#[test]
fn recursion_17_to_17_21_25() {
    let s = scenario("recursion_17_to_17_21_25", "recursion", Jdk::V17, &[], 0);
    assert_resumes(&s, Jdk::V17, &[]);
    assert_resumes(&s, Jdk::V21, &[]);
    assert_resumes(&s, Jdk::V25, &[]);
}

const OSR_OPTIONS: [&str; 2] = ["-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline,osrloop.Main::mark"];

/// The loop's frame was OSR-compiled at the checkpoint; it resumes interpreted and
/// finishes with the same accumulator. Also every rewritten class verifies.
#[test]
fn osrloop_17_to_17_verify_all_and_serial() {
    let s = scenario("osrloop_17_to_17_verify_all_and_serial", "osrloop", Jdk::V17, &OSR_OPTIONS, 0);
    assert_resumes(&s, Jdk::V17, &[]);
    assert_resumes(&s, Jdk::V17, &["-Xverify:all"]);
    assert_resumes(&s, Jdk::V21, &["-XX:+UseSerialGC"]);
}

#[test]
fn graph_17_to_17_21_25() {
    let s = scenario("graph_17_to_17_21_25", "graph", Jdk::V17, &[], 0);
    assert_resumes(&s, Jdk::V17, &["-XX:+UseSerialGC"]);
    assert_resumes(&s, Jdk::V21, &[]);
    assert_resumes(&s, Jdk::V25, &["-Xverify:all"]);
}

/// afterRestore runs in registration order (nested context included) in the restored JVM,
/// then checkpointRestore() returns into the program.
#[test]
fn resources_17_to_17_21_25() {
    let s = scenario("resources_17_to_17_21_25", "resources", Jdk::V17, &[], 0);
    assert_resumes(&s, Jdk::V17, &[]);
    assert_resumes(&s, Jdk::V21, &[]);
    assert_resumes(&s, Jdk::V25, &[]);
}

#[test]
fn jdk25_to_17_and_25() {
    for app in ["recursion", "demo"] {
        let s = scenario("jdk25", app, Jdk::V25, &[], 0);
        assert_resumes(&s, Jdk::V17, &[]);
        assert_resumes(&s, Jdk::V25, &["-Xverify:all"]);
    }
}

#[test]
fn recursion_verify_all_and_serial() {
    let s = scenario("recursion_verify_all_and_serial", "recursion", Jdk::V17, &[], 0);
    assert_resumes(&s, Jdk::V17, &["-Xverify:all", "-XX:+UseSerialGC"]);
    assert_resumes(&s, Jdk::V21, &["-Xverify:all"]);
}

/// Monitors held at the checkpoint (synchronized block, static and instance synchronized
/// methods, a block re-entered) are held again after the restore: `Thread.holdsLock` is
/// true and a thread started after the restore blocks until main releases both entries.
#[test]
fn synchronized_frames_hold_their_monitors() {
    let s = scenario("synchronized_frames_hold_their_monitors", "synclock", Jdk::V17, &[], 0);
    assert!(s.expected.iter().any(|l| l == "resumed: OUTER=true Main.class=true this=true INNER=true"), "{:?}", s.expected);
    assert_resumes(&s, Jdk::V17, &[]);
    assert_resumes(&s, Jdk::V25, &["-Xverify:all"]);
}

/// An exception thrown after the restore is caught by a handler of the resumed frame, and
/// one leaving a resumed frame runs its finally and is caught in the frame below.
#[test]
fn handlers_of_resumed_frames_catch() {
    let s = scenario("handlers_of_resumed_frames_catch", "tryfinally", Jdk::V17, &[], 0);
    assert_resumes(&s, Jdk::V17, &[]);
    assert_resumes(&s, Jdk::V21, &["-Xverify:all"]);
}

/// afterRestore of b throws: a, b, c are all notified and checkpointRestore() throws one
/// RestoreException with b's exception into the program, which catches it.
#[test]
fn failing_after_restore_throws_restore_exception() {
    let s = scenario("failing_after_restore_throws_restore_exception", "restorefail", Jdk::V17, &[], 0);
    assert!(s.expected.iter().any(|l| l == "caught RestoreException with 1 suppressed"), "{:?}", s.expected);
    assert_resumes(&s, Jdk::V17, &[]);
}

/// The restored JVM ends as the program would: status 0 after main returns, 1 with the
/// stack trace after an uncaught exception, n after System.exit(n).
#[test]
fn exit_status_follows_the_program() {
    let s = scenario_with_args("exit_return", "exits", Jdk::V17, &[], &["return"], 0);
    assert_resumes(&s, Jdk::V17, &[]);
    let s = scenario_with_args("exit_throw", "exits", Jdk::V17, &[], &["throw"], 1);
    let run = assert_resumes(&s, Jdk::V17, &[]);
    assert!(
        run.stderr.contains("Exception in thread \"main\" java.lang.IllegalStateException: uncaught after the checkpoint")
            && run.stderr.contains("at exits.Main.main("),
        "{}",
        run.report()
    );
    let s = scenario_with_args("exit_exit", "exits", Jdk::V17, &[], &["exit"], 3);
    assert_resumes(&s, Jdk::V17, &[]);
}

/// A restored program checkpoints again: the image is generation 2 (`%g`), records the
/// restore's own frames below the program's (the next restore skips them) and restores.
#[test]
fn restored_program_checkpoints_again() {
    let s = scenario("restored_program_checkpoints_again", "twice", Jdk::V17, &[], 0);
    let dir = s.image.parent().unwrap().to_path_buf();
    // The restored program's capture code is compiled in the background once it has
    // resumed (warmupAfter, here at once; the hook makes the checkpoint wait for it).
    let options = format!("checkpointTo={}/gen-%g,warmupAfter=0ms,log=info", dir.display());
    let java = Jdk::V17.java().display().to_string();
    let image = s.image.display().to_string();
    let first = portacr(&[
        "restore",
        &image,
        "--java",
        &java,
        "--agent-options",
        &options,
        "--",
        "-Dportacr.test.awaitEarlyWarmup=true",
    ]);
    first.assert_exit(0);
    first.assert_stderr_contains("capture warm-up ran early: 40 of 40 round(s)");
    first.assert_stderr_contains("warmup=done");
    assert_eq!(
        first.stdout_lines(),
        ["after checkpoint 1 counter=10 sum=100", "checkpoint 2 counter=20 sum=300"],
        "{}",
        first.report()
    );
    let gen2 = dir.join("gen-2");
    assert!(gen2.join("image.pcr").is_file(), "no generation-2 image\n{}", first.report());
    portacr_e2e::assert_verifies(&gen2);
    let second = restore(&gen2, Jdk::V17, &[]);
    second.assert_exit(0);
    assert_eq!(second.stdout_lines(), ["after checkpoint 2 counter=20 sum=300", "done sum=300"], "{}", second.report());
    let on25 = restore(&gen2, Jdk::V25, &[]);
    on25.assert_exit(0);
    assert_eq!(on25.stdout_lines(), second.stdout_lines(), "{}", on25.report());
    // The uninterrupted run ends the same way.
    assert_eq!(s.expected.last().map(String::as_str), Some("done sum=300"));
}

/// A JDK method between the program's frames (here `forEach` calling the program's
/// consumer) cannot be given a prologue: the restore refuses with one line naming the frame,
/// and no program code runs.
#[test]
fn jdk_frame_on_the_stack_is_refused() {
    let cp = checkpoint_app(Jvm::jdk17(), "jdkframe", "threads-jdk_frame_on_the_stack_is_refused", "");
    cp.run.assert_exit(0);
    let run = restore(&cp.image(), Jdk::V17, &[]);
    run.assert_exit(1);
    assert_eq!(run.stdout, "", "{}", run.report());
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("portacr: error: ")).collect();
    assert_eq!(errors.len(), 1, "{}", run.report());
    assert!(
        errors[0].contains("java.util.Collections$SingletonList.forEach(Ljava/util/function/Consumer;)V")
            && errors[0].contains("only frames of application classes are resumed"),
        "{}",
        run.report()
    );
}

/// Once the top frame has resumed, a class whose prologues only restore values keeps them
/// (its resumed frames must run the current method version to be compiled), and a class
/// whose prologue re-enters a monitor is retransformed back to its original code.
#[test]
fn rewritten_classes_keep_prologues_unless_they_lock() {
    let java = Jdk::V17.java().display().to_string();
    for (app, line) in [
        ("demo", "1 class(es) keep their resume prologues (resumed frames run compiled), 0 given their original code back"),
        ("synclock", "0 class(es) keep their resume prologues (resumed frames run compiled), 1 given their original code back"),
    ] {
        let s = scenario("rewritten_classes_keep_prologues_unless_they_lock", app, Jdk::V17, &[], 0);
        let image = s.image.display().to_string();
        let run = portacr(&["restore", &image, "--java", &java, "--agent-options", "log=info"]);
        run.assert_exit(0);
        assert_eq!(run.stdout_lines(), s.expected, "{}", run.report());
        assert!(run.stderr.contains(&format!("portacr: info: restore: {line}")), "{app}\n{}", run.report());
        if app == "demo" {
            assert!(run.stderr.contains("portacr: info: restore: resuming 5 frame(s) of thread \"main\""), "{}", run.report());
        }
    }
}

/// The loop of a resumed frame runs compiled: `main` loops on after its checkpoint in the
/// frame the restore resumed, and HotSpot OSR-compiles that loop with C2 (level 4). A
/// resumed frame that ran a method version that is no longer current (the class
/// retransformed back under it) would stay interpreted: HotSpot compiles no old method
/// version, and no compile of `main` would be printed.
#[test]
fn resumed_frame_loop_is_compiled() {
    let cp = portacr_e2e::checkpoint_app(Jvm::jdk17(), "resumedloop", "threads-resumed_frame_loop_is_compiled", "");
    cp.run.assert_exit(0);
    assert_eq!(cp.run.stdout_lines(), ["checkpoint at round 100"], "{}", cp.run.report());
    for jdk in [Jdk::V17, Jdk::V25] {
        // The VM's output on stderr: a PrintCompilation line written in pieces would
        // otherwise enclose the program's lines on stdout.
        let options = ["-XX:+DisplayVMOutputToStderr", "-XX:+PrintCompilation", "-Dresumedloop.millis=3000"];
        let run = restore(&cp.image(), jdk, &options);
        run.assert_exit(0);
        assert_eq!(run.stdout_lines(), ["resumed at round 100", "loop done: ok"], "JDK {}\n{}", jdk.feature(), run.report());
        let osr_c2 = compilations(&run.stderr, "resumedloop.Main::main").any(|c| c.osr && c.tier == 4);
        assert!(osr_c2, "JDK {}: no C2 OSR compilation of the resumed main after the restore\n{}", jdk.feature(), run.report());
    }
}

/// A lambda proxy's frame (hidden class) between main and the lambda's body is refused
/// with one line naming it; no program code runs.
#[test]
fn lambda_frame_on_the_stack_is_refused() {
    let cp = checkpoint_app(Jvm::jdk17(), "lambdaframe", "threads-lambda_frame_on_the_stack_is_refused", "");
    cp.run.assert_exit(0);
    let run = restore(&cp.image(), Jdk::V17, &[]);
    run.assert_exit(1);
    assert_eq!(run.stdout, "", "{}", run.report());
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("portacr: error: ")).collect();
    assert_eq!(errors.len(), 1, "{}", run.report());
    assert!(
        errors[0].contains("lambdaframe.Main$$Lambda") && errors[0].contains(".run()V at bci")
            && errors[0].contains("is a lambda, method-handle or reflection frame"),
        "{}",
        run.report()
    );
}
