//! `portacr restore IMG [--java PATH] [--agent-options OPTS] [-- JVM_OPTIONS…]`
//! (spec/restore.md §6): starts a JVM that restores the image.
//!
//! The command line is built from the image's LaunchInfo: the recorded
//! `java` (or `--java`), the recorded JVM options that this JVM accepts, the
//! options given after `--` (they come last, so they win), the recorded class
//! path (unless one is given after `--`), the agent beside this binary (or
//! `PORTACR_AGENT`) with `restoreFrom=IMG`, and `io.portacr.Restore` as main
//! class. The JVM runs in the recorded working directory when it exists
//! (a recorded class path may be relative). The image is only read.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context, Result};
use portacr_image::{heap_sizing, Image, SectionKind};

/// The main class of a restoring JVM (java-bindings/src/io/portacr/Restore.java).
pub const RESTORE_MAIN: &str = "io.portacr.Restore";

/// What `portacr restore` was asked.
pub struct RestoreArgs<'a> {
    pub image: &'a Path,
    pub java: Option<&'a Path>,
    /// More agent options after `restoreFrom=IMG` (`checkpointTo=…,keepRunning=true`).
    pub agent_options: Option<&'a str>,
    /// JVM options given after `--`.
    pub jvm_options: &'a [String],
    /// Print the command instead of running it.
    pub print_only: bool,
}

pub fn run(args: &RestoreArgs) -> Result<ExitCode> {
    // The reader's messages already name their cause: no source chain appended.
    let image = Image::open(args.image).map_err(|e| anyhow::anyhow!("{e}"))?;
    let launch = image.launch().map_err(|e| anyhow::anyhow!("{e}"))?.clone();
    let objects_raw = image.raw_length(SectionKind::OBJECTS).unwrap_or(0);
    drop(image);

    let java = match args.java {
        Some(java) => java.to_path_buf(),
        None => recorded_java(&launch.java_binary, &launch.java_home)?,
    };
    let agent = agent_library()?;
    let image_dir = std::fs::canonicalize(args.image)
        .with_context(|| format!("cannot resolve {}", args.image.display()))?;
    let image_dir = if image_dir.is_file() {
        image_dir.parent().map(Path::to_path_buf).unwrap_or(image_dir)
    } else {
        image_dir
    };

    let recorded = accepted_options(&java, &launch.jvm_options);
    let mut argv: Vec<String> = recorded;
    let given: Vec<String> = argv.iter().chain(args.jvm_options).cloned().collect();
    if let Some(young) = heap_sizing::young_generation(&given, objects_raw, heap_sizing::physical_memory()) {
        argv.push(young);
    }
    argv.extend(args.jvm_options.iter().cloned());
    let gives_class_path = args
        .jvm_options
        .iter()
        .any(|o| matches!(o.as_str(), "-cp" | "-classpath" | "--class-path") || o.starts_with("--class-path="));
    if !gives_class_path && !launch.class_path.is_empty() {
        argv.push("-cp".into());
        argv.push(launch.class_path.clone());
    }
    if let Some(module_path) = &launch.module_path {
        argv.push("--module-path".into());
        argv.push(module_path.clone());
    }
    let mut agent_options = format!("restoreFrom={}", image_dir.display());
    if let Some(more) = args.agent_options.filter(|o| !o.is_empty()) {
        agent_options.push(',');
        agent_options.push_str(more);
    }
    argv.push(format!("-agentpath:{}={agent_options}", agent.display()));
    argv.push(RESTORE_MAIN.into());

    let working_dir = Path::new(&launch.working_dir);
    let working_dir = if working_dir.is_dir() {
        Some(working_dir)
    } else {
        if !launch.working_dir.is_empty() {
            eprintln!(
                "portacr: warning: the recorded working directory {} does not exist; staying in the current one",
                launch.working_dir
            );
        }
        None
    };

    if args.print_only {
        let mut line = vec![java.display().to_string()];
        line.extend(argv.iter().cloned());
        println!("{}", line.join(" "));
        return Ok(ExitCode::SUCCESS);
    }
    let mut command = Command::new(&java);
    command.args(&argv);
    if let Some(dir) = working_dir {
        command.current_dir(dir);
    }
    let status = command.status().with_context(|| format!("cannot run {}", java.display()))?;
    Ok(exit_code(status))
}

/// The recorded `java` binary, else `<java_home>/bin/java`.
fn recorded_java(binary: &str, home: &str) -> Result<PathBuf> {
    let binary = PathBuf::from(binary);
    if binary.is_file() {
        return Ok(binary);
    }
    let from_home = Path::new(home).join("bin/java");
    if from_home.is_file() {
        return Ok(from_home);
    }
    bail!(
        "the recorded java ({}) does not exist on this machine; name one with --java PATH",
        binary.display()
    )
}

/// `PORTACR_AGENT`, else `libportacr.so` beside this binary.
fn agent_library() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PORTACR_AGENT").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("PORTACR_AGENT={} does not exist", path.display());
        }
        return Ok(path);
    }
    let exe = std::env::current_exe().context("cannot find the portacr binary's own path")?;
    let beside = exe.with_file_name("libportacr.so");
    if !beside.is_file() {
        bail!("the agent {} does not exist (set PORTACR_AGENT)", beside.display());
    }
    Ok(beside)
}

/// The recorded options `java` accepts. One probe (`java OPTIONS -version`)
/// in the common case; when it fails, each option is probed alone (with the
/// recorded `-XX:+Unlock…` options, which others may need) and the ones this
/// JVM refuses (another version or architecture) are dropped with a warning.
fn accepted_options(java: &Path, recorded: &[String]) -> Vec<String> {
    let options: Vec<String> = recorded
        .iter()
        .filter(|o| !(o.starts_with("-agentpath:") && o.contains("portacr")) && !o.starts_with("-agentlib:portacr"))
        .cloned()
        .collect();
    if options.is_empty() || accepts(java, &options) {
        return options;
    }
    let unlocks: Vec<String> = options.iter().filter(|o| o.starts_with("-XX:+Unlock")).cloned().collect();
    let mut kept = Vec::new();
    for option in &options {
        let mut probe = unlocks.clone();
        if !probe.contains(option) {
            probe.push(option.clone());
        }
        if accepts(java, &probe) {
            kept.push(option.clone());
        } else {
            eprintln!("portacr: warning: dropping the recorded JVM option {option}: {} does not accept it", java.display());
        }
    }
    kept
}

fn accepts(java: &Path, options: &[String]) -> bool {
    Command::new(java)
        .args(options)
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The child's exit status as ours; a signal becomes 128 + its number, as shells report it.
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(code.clamp(0, 255) as u8);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ExitCode::from((128 + signal).clamp(0, 255) as u8);
        }
    }
    ExitCode::from(1)
}

