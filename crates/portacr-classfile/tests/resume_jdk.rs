//! Resume prologues at every invoke of every method of the JDK's own
//! `java.util` classes, patched into `java.base` and run under
//! `-Xverify:all`: the verifier checks every rewritten method the program
//! loads (HashMap, ArrayList, Formatter, …), and the program's results must
//! equal an unpatched run's, since every call is a normal call.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use portacr_classfile::bytecode::{self, instructions};
use portacr_classfile::{
    add_resume_prologues, frame_types_at, ClassFile, ResumeHooks, ResumePoint, RewriteError,
};

fn invoke_points(class: &ClassFile) -> Vec<ResumePoint> {
    let mut points = Vec::new();
    for method in class.methods() {
        let Some(code) = method.code() else { continue };
        for item in instructions(&code.code) {
            let (bci, opcode) = item.unwrap();
            if !bytecode::is_invoke(opcode) {
                continue;
            }
            let frame = frame_types_at(class, &method.name, &method.descriptor, bci).unwrap();
            points.push(ResumePoint {
                method_name: method.name.clone(),
                method_descriptor: method.descriptor.clone(),
                bci,
                frame,
                monitors: 0,
            });
        }
    }
    points
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_invoke_of_java_util_resumable_and_verified_on_jdk17() {
    every_invoke_of_java_util(Path::new("/usr/lib/jvm/java-17-openjdk-amd64"), "17");
}

#[test]
fn every_invoke_of_java_util_resumable_and_verified_on_jdk25() {
    every_invoke_of_java_util(Path::new("/usr/lib/jvm/temurin-25-jdk-amd64"), "25");
}

/// The JDK's own java.util classes, rewritten and patched into that JDK.
fn every_invoke_of_java_util(jdk: &Path, version: &str) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("portacr-classfile")
        .join(format!("resume-jdk{version}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let patch = dir.join("patch");
    let app = dir.join("app");
    std::fs::create_dir_all(&app).unwrap();
    let hooks = ResumeHooks::default();

    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let (mut classes_rewritten, mut points_kept) = (0, 0);
    let tag = format!("jdk{version}-util");
    for (name, bytes) in common::jdk_classes_of(jdk, &tag, r"/java.base/java/util/[^/]*\.class") {
        let Some(simple) = name.strip_prefix("java/util/") else {
            continue;
        };
        if simple.contains('/') {
            continue;
        }
        let class = ClassFile::parse(&bytes).unwrap();
        let mut kept = Vec::new();
        for point in invoke_points(&class) {
            match add_resume_prologues(&bytes, std::slice::from_ref(&point), &hooks) {
                Ok(_) => kept.push(point),
                Err(RewriteError::Unsupported { reason, .. }) => {
                    // Group by the reason without its numbers.
                    let kind = reason
                        .split([':', '('])
                        .next()
                        .unwrap_or(&reason)
                        .trim()
                        .to_owned();
                    *refused.entry(kind).or_default() += 1;
                }
                Err(RewriteError::CodeTooLong { .. }) => {
                    *refused.entry("code too long".into()).or_default() += 1;
                }
                Err(other) => panic!("{name}: {other}"),
            }
        }
        if kept.is_empty() {
            continue;
        }
        // All points of the class at once: methods with many points get a
        // tableswitch with many cases. A method that becomes too long loses
        // its points.
        let rewritten = loop {
            match add_resume_prologues(&bytes, &kept, &hooks) {
                Ok(rewritten) => break rewritten,
                Err(RewriteError::CodeTooLong { method, .. }) => {
                    kept.retain(|p| {
                        !method.ends_with(&format!(".{}{}", p.method_name, p.method_descriptor))
                    });
                    *refused.entry("code too long".into()).or_default() += 1;
                }
                Err(other) => panic!("{name}: {other}"),
            }
        };
        points_kept += kept.len();
        classes_rewritten += 1;
        let target = patch.join(format!("{name}.class"));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, rewritten).unwrap();
    }
    eprintln!("JDK {version}: {classes_rewritten} classes, {points_kept} resume points; refused: {refused:?}");
    assert!(classes_rewritten > 100 && points_kept > 10_000);

    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resume_jdk");
    run(Command::new(jdk.join("bin/javac"))
        .arg("--patch-module")
        .arg(format!("java.base={}", sources.display()))
        .arg("-d")
        .arg(&patch)
        .arg(sources.join("Resume.java")));
    run(Command::new(jdk.join("bin/javac"))
        .arg("-d")
        .arg(&app)
        .arg(sources.join("UtilMain.java")));

    let original = run(Command::new(jdk.join("bin/java"))
        .args(["-Xshare:off", "-cp"])
        .arg(&app)
        .arg("UtilMain"));
    let patched = run(Command::new(jdk.join("bin/java"))
        .args(["-Xshare:off", "-Xverify:all", "--patch-module"])
        .arg(format!("java.base={}", patch.display()))
        .args([
            "--add-exports",
            "java.base/io.portacr.restore=ALL-UNNAMED",
            "-cp",
        ])
        .arg(&app)
        .args(["UtilMain", "count"]));
    assert_eq!(patched, format!("{original}prologues ran: true\n"));
}
