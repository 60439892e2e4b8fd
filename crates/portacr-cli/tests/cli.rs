//! Runs the built `portacr` binary on the image crate's golden and corpus files.

use std::path::PathBuf;
use std::process::Command;

fn image_tests(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../portacr-image/tests").join(sub)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portacr")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn verify_golden_is_ok() {
    for name in ["v1.0-zstd.pcr", "v1.0-stored.pcr"] {
        let p = image_tests("golden").join(name);
        let (code, out, err) = run(&["verify", p.to_str().unwrap()]);
        assert_eq!((code, out.as_str(), err.as_str()), (0, "ok: 9 objects, 8 classes, 8 sections\n", ""));
    }
}

#[test]
fn corpus_gives_expected_line_and_exit_1() {
    let dir = image_tests("corpus");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "pcr") {
            continue;
        }
        let expected = std::fs::read_to_string(p.with_extension("expected")).unwrap();
        let (code, out, err) = run(&["verify", p.to_str().unwrap()]);
        assert_eq!(code, 1, "{}", p.display());
        // Open errors go to stderr as one line; verify problems to stdout, first line first.
        let first = if out.is_empty() {
            err.strip_prefix("portacr: error: ").unwrap_or(&err).lines().next().unwrap_or("").to_string()
        } else {
            out.lines().next().unwrap().to_string()
        };
        assert_eq!(first, expected.trim_end(), "{}", p.display());
        n += 1;
    }
    assert!(n >= 30, "only {n} corpus files");
}

#[test]
fn dump_info_text_shows_frames_and_values() {
    let p = image_tests("golden").join("v1.0-zstd.pcr");
    let (code, out, _) = run(&["dump-info", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    for needle in [
        "format 1.0",
        "uuid           12345678-9abc-4def-8001-020304050607",
        "checkpoint     2025-11-23T10:15:01.234Z",
        "frame 0: demo/Main.main([Ljava/lang/String;)V bci 17 (Java)",
        "local 1   long -5000000000",
        "local 5   float NaN (0x7fc00001)",
        "stack 0   ref #5 \"héllo\"",
        "monitor   #2 demo/Point3 ×2",
        "1 demo/Point [application,has-statics] loader app, super 0, Initialized, 1 instances, 2 statics",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn dump_info_json_is_exact() {
    let p = image_tests("golden").join("v1.0-stored.pcr");
    let (code, out, _) = run(&["dump-info", "--json", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["platform"]["nano_time"], "9007199254740993", "beyond 2^53: a string");
    assert_eq!(j["platform"]["max_heap"], 536870912);
    let local = &j["threads"][0]["frames"][0]["locals"];
    assert_eq!(local[1]["value"], -5_000_000_000i64);
    assert_eq!(local[3]["bits"], "0x400921fb54442d18");
    assert_eq!(local[5]["value"], "NaN");
    assert_eq!(j["resources"][1]["string"], "π≈3");
    assert_eq!(j["counts"]["objects"], 9);
    assert_eq!(j["sections"][0]["codec"], "stored");
}

#[test]
fn usage_errors_and_restore() {
    assert_eq!(run(&["no-such-command"]).0, 2);
    assert_eq!(run(&["verify"]).0, 2);
    let (code, _, err) = run(&["restore", "/nonexistent/img"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("portacr: error: cannot read /nonexistent/img"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(&["verify", "/nonexistent/img"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("portacr: error: cannot read /nonexistent/img"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "the cause once: {err}");
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:"));
}
