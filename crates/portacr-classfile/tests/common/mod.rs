//! Shared helpers of the integration tests: the JDK's tools, Java fixtures
//! compiled at test time, JDK class files extracted from the runtime image.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The JDK the tests use: `PORTACR_TEST_JDK`, else Debian's JDK 17.
pub fn jdk_home() -> PathBuf {
    let home = std::env::var_os("PORTACR_TEST_JDK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/jvm/java-17-openjdk-amd64"));
    assert!(
        home.join("bin/javac").exists(),
        "no JDK at {} (set PORTACR_TEST_JDK): these tests need javac, javap and jimage",
        home.display()
    );
    home
}

pub fn jdk_tool(name: &str) -> PathBuf {
    jdk_home().join("bin").join(name)
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("portacr-classfile")
        .join(name)
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tool output is UTF-8")
}

/// Builds `dir` once: `fill` writes into a private temporary directory that
/// is renamed into place, so tests running in parallel never see half of it.
fn build_once(dir: &Path, fill: impl FnOnce(&Path)) {
    if dir.exists() {
        return;
    }
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let temporary = dir.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&temporary);
    std::fs::create_dir_all(&temporary).unwrap();
    fill(&temporary);
    if std::fs::rename(&temporary, dir).is_err() {
        // Another test built it first.
        let _ = std::fs::remove_dir_all(&temporary);
        assert!(dir.exists());
    }
}

/// Compiles `source` (a public class `class_name` in the default package)
/// with `javac` and extra `options`; returns the class output directory.
pub fn compile_fixture(tag: &str, class_name: &str, source: &str, options: &[&str]) -> PathBuf {
    let dir = scratch(&format!("fixtures-{tag}"));
    build_once(&dir, |out| {
        let source_file = out.join(format!("{class_name}.java"));
        std::fs::write(&source_file, source).unwrap();
        run(Command::new(jdk_tool("javac"))
            .args(options)
            .arg("-d")
            .arg(out)
            .arg(&source_file));
    });
    dir
}

/// Class files of java.base matching `regex` (over `/java.base/...` paths),
/// extracted from the JDK's runtime image; returns `(internal name, bytes)`
/// sorted by name.
pub fn jdk_classes(tag: &str, regex: &str) -> Vec<(String, Vec<u8>)> {
    jdk_classes_of(&jdk_home(), &format!("jdk-{tag}"), regex)
}

/// Like [`jdk_classes`] for the JDK at `home`; `tag` names the cache
/// directory and must differ between JDKs.
pub fn jdk_classes_of(home: &Path, tag: &str, regex: &str) -> Vec<(String, Vec<u8>)> {
    let dir = scratch(tag);
    build_once(&dir, |out| {
        run(Command::new(home.join("bin/jimage"))
            .arg("extract")
            .arg("--dir")
            .arg(out)
            .arg("--include")
            .arg(format!("regex:{regex}"))
            .arg(home.join("lib/modules")));
    });
    let root = dir.join("java.base");
    let mut classes = Vec::new();
    collect_classes(&root, &root, &mut classes);
    classes.sort();
    classes
}

fn collect_classes(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_classes(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "class") {
            let name = path.strip_prefix(root).unwrap().with_extension("");
            out.push((
                name.to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            ));
        }
    }
}

/// `javap -v -p` output for these classes (binary names), one invocation.
pub fn javap(class_path: Option<&Path>, classes: &[String]) -> String {
    let mut command = Command::new(jdk_tool("javap"));
    command.arg("-v").arg("-p");
    if let Some(class_path) = class_path {
        command.arg("-cp").arg(class_path);
    }
    command.args(classes);
    run(&mut command)
}
