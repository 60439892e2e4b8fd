//! Tests of the harness itself: they need only the JDKs (scripts/setup.sh),
//! not the agent, so they pass before the agent exists and catch a broken
//! environment early.

use std::time::Duration;

use portacr_e2e::{app_classes, Jdk, Jvm};

#[test]
fn every_jdk_is_found_and_reports_its_version() {
    for jdk in Jdk::ALL {
        let run = Jvm::new(jdk).run_app("harness_probe");
        run.assert_exit(0);
        run.assert_line(&format!("java.specification.version={}", jdk.feature()));
    }
}

#[test]
fn exit_status_and_arguments_are_reported() {
    let run = Jvm::jdk17().arg("exit").arg("3").run_app("harness_probe");
    run.assert_exit(3);
    run.assert_line("args=exit 3");
    assert!(!run.success());
}

#[test]
fn time_limit_kills_a_hanging_jvm() {
    let run = Jvm::jdk17()
        .timeout(Duration::from_secs(3))
        .arg("sleep")
        .arg("60")
        .run_app("harness_probe");
    assert!(run.timed_out, "not killed:\n{}", run.report());
    assert!(run.elapsed < Duration::from_secs(30), "killed late:\n{}", run.report());
    run.assert_no_line("woke up");
}

#[test]
fn large_output_on_both_pipes_does_not_block() {
    let run = Jvm::jdk25().arg("chatter").arg("50000").run_app("harness_probe");
    run.assert_exit(0).assert_line("chatter done").assert_stderr_contains("err 49999");
    assert_eq!(run.stdout_lines().len(), 2 + 50_000 + 1);
}

#[test]
fn compiled_apps_are_cached_by_content() {
    let first = app_classes("harness_probe");
    let second = app_classes("harness_probe");
    assert_eq!(first, second);
    assert!(first.join("harness_probe/Main.class").is_file(), "{}", first.display());
    // No temporary directory is left beside the published one.
    let leftovers: Vec<_> = std::fs::read_dir(first.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .map(|e| e.path())
        .collect();
    // Another test binary may be compiling right now; only our own process's
    // leftovers would be a bug.
    let ours = format!(".tmp-{}-", std::process::id());
    assert!(
        leftovers.iter().all(|p| !p.file_name().unwrap().to_string_lossy().starts_with(&ours)),
        "leftover temporaries: {leftovers:?}"
    );
}

#[test]
fn a_missing_jdk_is_a_failure_naming_setup() {
    let message = Jdk::V21
        .locate_java(Some(std::path::Path::new("/nonexistent/bin/java")))
        .expect_err("a missing JDK was accepted");
    assert!(message.contains("/nonexistent/bin/java"), "message: {message}");
    assert!(message.contains("scripts/setup.sh"), "message: {message}");
}

#[test]
fn every_scenario_app_compiles_against_the_api_jar() {
    let apps = portacr_e2e::repo_root().join("tests/apps");
    let mut names: Vec<String> = std::fs::read_dir(&apps)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        let classes = app_classes(&name);
        assert!(classes.join(&name).join("Main.class").is_file(), "{name}: no {name}/Main.class");
    }
}
