//! Resume prologues at every invoke of every method of real libraries
//! (Debian's guava and commons-lang3 jars), loaded and initialized under
//! `-Xverify:all` on JDK 17 and 25: the verifier must accept every
//! rewritten method. The jars come from Debian packages (libguava-java,
//! libcommons-lang3-java); a missing jar fails the test with a message
//! saying which package to install.

use std::path::{Path, PathBuf};
use std::process::Command;

use portacr_classfile::bytecode::{self, instructions};
use portacr_classfile::{
    add_resume_prologues, frame_types_at, ClassFile, ResumeHooks, ResumePoint, RewriteError,
};

const JDK17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";
const JDK25: &str = "/usr/lib/jvm/temurin-25-jdk-amd64";

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

fn class_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            class_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "class") {
            out.push(path);
        }
    }
}

/// Every invoke of every method that the rewriter accepts, rewritten in
/// one go per class. Returns (classes rewritten, points).
fn rewrite_tree(dir: &Path) -> (usize, usize) {
    let hooks = ResumeHooks::default();
    let mut files = Vec::new();
    class_files(dir, &mut files);
    let (mut classes, mut total) = (0, 0);
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let class = ClassFile::parse(&bytes).unwrap();
        let mut points = Vec::new();
        for method in class.methods() {
            let Some(code) = method.code() else { continue };
            for item in instructions(&code.code) {
                let (bci, opcode) = item.unwrap();
                if !bytecode::is_invoke(opcode) {
                    continue;
                }
                let Ok(frame) = frame_types_at(&class, &method.name, &method.descriptor, bci)
                else {
                    continue;
                };
                let point = ResumePoint {
                    method_name: method.name.clone(),
                    method_descriptor: method.descriptor.clone(),
                    bci,
                    frame,
                    monitors: 0,
                };
                match add_resume_prologues(&bytes, std::slice::from_ref(&point), &hooks) {
                    Ok(_) => points.push(point),
                    Err(RewriteError::Unsupported { .. } | RewriteError::CodeTooLong { .. }) => {}
                    Err(other) => panic!("{}: {other}", file.display()),
                }
            }
        }
        if points.is_empty() {
            continue;
        }
        let rewritten = loop {
            match add_resume_prologues(&bytes, &points, &hooks) {
                Ok(rewritten) => break rewritten,
                Err(RewriteError::CodeTooLong { method, .. }) => points.retain(|p| {
                    !method.ends_with(&format!(".{}{}", p.method_name, p.method_descriptor))
                }),
                Err(other) => panic!("{}: {other}", file.display()),
            }
        };
        total += points.len();
        classes += 1;
        std::fs::write(&file, rewritten).unwrap();
    }
    (classes, total)
}

#[test]
fn library_jars_verify_with_prologues_at_every_invoke() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("portacr-classfile")
        .join(format!("resume-jars-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let runtime = dir.join("runtime");
    // The fake runtime: every call is a normal call.
    run(Command::new(Path::new(JDK17).join("bin/javac"))
        .args(["--release", "17", "-d"])
        .arg(&runtime)
        .arg(sources.join("resume/io/portacr/restore/Resume.java"))
        .arg(sources.join("resume_jars/LoadAll.java")));
    for (jar, package) in [
        ("/usr/share/java/guava.jar", "libguava-java"),
        ("/usr/share/java/commons-lang3.jar", "libcommons-lang3-java"),
    ] {
        assert!(
            Path::new(jar).exists(),
            "{jar} is missing: apt-get install {package}"
        );
        let name = Path::new(jar)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let classes = dir.join(&name);
        std::fs::create_dir_all(&classes).unwrap();
        run(Command::new(Path::new(JDK17).join("bin/jar"))
            .current_dir(&classes)
            .args(["xf", jar]));
        // Multi-release jars keep versioned copies under META-INF; only the
        // base classes are loaded.
        let _ = std::fs::remove_dir_all(classes.join("META-INF"));
        let (rewritten, points) = rewrite_tree(&classes);
        eprintln!("{name}: {rewritten} classes, {points} resume points");
        assert!(
            rewritten > 100 && points > 5000,
            "{name}: too little rewritten"
        );
        for jdk in [JDK17, JDK25] {
            let output = run(Command::new(Path::new(jdk).join("bin/java"))
                .args(["-Xverify:all", "-Xshare:off", "-cp"])
                .arg(&runtime)
                .arg("LoadAll")
                .arg(&classes));
            eprintln!("{name} on {jdk}: {}", output.lines().last().unwrap_or(""));
            assert!(
                output.contains(" verifyErrors 0 "),
                "{name} on {jdk}:\n{output}"
            );
            let loaded: usize = output
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            assert!(
                loaded * 10 >= rewritten * 9,
                "{name} on {jdk}: only {loaded} classes loaded:\n{output}"
            );
        }
    }
}
