//! `portacr`: inspect and verify portacr images (spec/image-format.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use portacr_image::{verify, Image};

mod describe;
mod dump;
mod restore;

#[derive(Parser)]
#[command(name = "portacr", version, about = "Portable checkpoint/restore for the JVM: inspect, verify and restore images")]
#[command(after_help = "Examples:
  portacr dump-info /tmp/img_x86_64_20251123T101500Z
  portacr dump-info /tmp/img/image.pcr --json | jq .threads
  portacr verify /tmp/img && echo sound
  portacr restore /tmp/img --java /opt/jdk25/bin/java -- -Xmx2g

Exit status: 0 ok, 1 failure (bad image, problems found), 2 usage error.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show header, source platform, launch info, classes, objects, threads and frames.
    #[command(after_help = "Examples:\n  portacr dump-info IMG\n  portacr dump-info IMG --json\n  portacr dump-info IMG --json --object 12 --object 40   # full records of objects 12 and 40")]
    DumpInfo {
        /// Image directory, or the image.pcr file itself.
        image: PathBuf,
        /// Print one JSON document (schema: spec/image-format.md §12).
        #[arg(long)]
        json: bool,
        /// With --json: also print the full record (every field or element) of this object; repeatable.
        #[arg(long = "object", value_name = "ID", requires = "json")]
        objects: Vec<u32>,
    },
    /// Check every checksum and cross-reference; print `ok: …` or every problem.
    #[command(after_help = "Example:\n  portacr verify IMG")]
    Verify {
        /// Image directory, or the image.pcr file itself.
        image: PathBuf,
    },
    /// Restore an image in a new JVM; exit status is the program's.
    #[command(after_help = "Starts the recorded java (or --java) with the recorded class path and JVM options
(those the JVM does not accept are dropped with a warning), then the options after --,
with the agent (libportacr.so beside this binary, or PORTACR_AGENT) and restoreFrom=IMG.
The image is never modified. checkpointTo is not recorded in the image: give it again
with --agent-options to let the restored program checkpoint.

Examples:
  portacr restore IMG
  portacr restore IMG --java /opt/jdk25/bin/java -- -Xmx2g -XX:+UseZGC
  portacr restore IMG --agent-options checkpointTo=/tmp/next_%g,log=info")]
    Restore {
        /// Image directory.
        image: PathBuf,
        /// The java binary to run (default: the one recorded in the image).
        #[arg(long)]
        java: Option<PathBuf>,
        /// More agent options after restoreFrom=IMG (checkpointTo=…, keepRunning=…, log=…).
        #[arg(long)]
        agent_options: Option<String>,
        /// Print the java command line instead of running it.
        #[arg(long)]
        print_command: bool,
        /// JVM options, after `--`; they come after the recorded ones and win.
        #[arg(last = true, allow_hyphen_values = true)]
        jvm_options: Vec<String>,
    },
}

fn open(path: &Path) -> Result<Image> {
    // The image error's message already includes its source (an OS error);
    // as an anyhow source it would be printed twice by `{:#}`.
    Image::open(path).map_err(|e| anyhow::anyhow!("{e}"))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::DumpInfo { image, json, objects } => {
            let img = open(&image)?;
            // dump-info shows values by following references; an image whose
            // cross-references are broken would show nonsense, so it is refused
            // with the first problem (verify lists them all).
            let report = verify(&img);
            if let Some(first) = report.problems.first() {
                let more = report.problems.len() - 1;
                if more == 0 {
                    anyhow::bail!("{first}");
                }
                anyhow::bail!("{first} (and {more} more problems: run portacr verify)");
            }
            let out = if json {
                let mut s = serde_json::to_string_pretty(&dump::json(&img, &objects)?).context("JSON encoding")?;
                s.push('\n');
                s
            } else {
                dump::text(&img)?
            };
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(out.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { image } => {
            let img = open(&image)?;
            let report = verify(&img);
            if report.is_ok() {
                println!("ok: {} objects, {} classes, {} sections", report.objects, report.classes, report.sections);
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &report.problems {
                    println!("{p}");
                }
                Ok(ExitCode::from(1))
            }
        }
        Command::Restore { image, java, agent_options, print_command, jvm_options } => restore::run(&restore::RestoreArgs {
            image: &image,
            java: java.as_deref(),
            agent_options: agent_options.as_deref(),
            jvm_options: &jvm_options,
            print_only: print_command,
        }),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("portacr: error: {msg}");
            ExitCode::from(1)
        }
    }
}
