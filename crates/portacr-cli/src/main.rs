//! `portacr`: inspect and verify portacr images (spec/image-format.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use portacr_image::{verify, Image};

mod describe;
mod dump;

#[derive(Parser)]
#[command(name = "portacr", version, about = "Portable checkpoint/restore for the JVM: inspect, verify and restore images")]
#[command(after_help = "Examples:
  portacr dump-info /tmp/img_x86_64_20251123T101500Z
  portacr dump-info /tmp/img/image.pcr --json | jq .threads
  portacr verify /tmp/img && echo sound

Exit status: 0 ok, 1 failure (bad image, problems found), 2 usage error.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show header, source platform, launch info, classes, objects, threads and frames.
    #[command(after_help = "Examples:\n  portacr dump-info IMG\n  portacr dump-info IMG --json")]
    DumpInfo {
        /// Image directory, or the image.pcr file itself.
        image: PathBuf,
        /// Print one JSON document (schema: spec/image-format.md §12).
        #[arg(long)]
        json: bool,
    },
    /// Check every checksum and cross-reference; print `ok: …` or every problem.
    #[command(after_help = "Example:\n  portacr verify IMG")]
    Verify {
        /// Image directory, or the image.pcr file itself.
        image: PathBuf,
    },
    /// Restore an image in a new JVM (not implemented yet).
    Restore {
        /// Image directory.
        image: PathBuf,
        /// Extra arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
}

fn open(path: &Path) -> Result<Image> {
    Ok(Image::open(path)?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::DumpInfo { image, json } => {
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
                let mut s = serde_json::to_string_pretty(&dump::json(&img)?).context("JSON encoding")?;
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
        Command::Restore { .. } => anyhow::bail!("restore: not implemented yet (issue: restore)"),
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
