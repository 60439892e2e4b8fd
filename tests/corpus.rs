//! Every bad image of `crates/portacr-image/tests/corpus/` (one defect per
//! file, with its one-line error in a `.expected` file beside it) must make
//! `portacr verify` and `portacr dump-info` exit 1 with that error (the line
//! may carry a prefix such as `portacr: error: `).

use std::path::{Path, PathBuf};

use portacr_e2e::{fresh_dir, portacr, repo_root};

/// (image directory to pass to the CLI, expected error line) for every corpus entry.
fn corpus(user: &str) -> Vec<(String, PathBuf, String)> {
    let corpus = repo_root().join("crates/portacr-image/tests/corpus");
    let mut cases = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", corpus.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|e| e != "expected"))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        let expected_file = [entry.with_extension("expected"), corpus.join(format!("{name}.expected"))]
            .into_iter()
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("corpus entry {name} has no .expected file"));
        let expected = std::fs::read_to_string(&expected_file).unwrap();
        let expected = expected.trim_end_matches('\n').to_string();
        assert!(!expected.is_empty() && !expected.contains('\n'), "{}: not one line", expected_file.display());
        cases.push((name, image_dir_for(&entry, user), expected));
    }
    assert!(!cases.is_empty(), "the corpus at {} is empty", corpus.display());
    cases
}

/// The CLI takes an image directory; a corpus file is the `image.pcr` of one.
fn image_dir_for(entry: &Path, user: &str) -> PathBuf {
    if entry.is_dir() {
        return entry.to_path_buf();
    }
    let name = entry.file_name().unwrap().to_string_lossy().replace('.', "_");
    // One directory per test: the tests run in parallel.
    let dir = fresh_dir(&format!("corpus-{user}-{name}"));
    std::fs::copy(entry, dir.join("image.pcr")).unwrap();
    dir
}

fn check(subcommand: &str) {
    let mut failures = Vec::new();
    for (name, image, expected) in corpus(subcommand) {
        let run = portacr(&[subcommand, &image.display().to_string()]);
        // verify reports its findings as its output (stdout), other commands
        // fail with `portacr: error: …` on stderr: accept the line on either.
        let reported = run.stdout.lines().chain(run.stderr.lines()).any(|l| l.contains(&expected));
        if run.timed_out || run.status != Some(1) || !reported {
            failures.push(format!("{name}: expected exit 1 and {expected:?}\n{}", run.report()));
        }
    }
    assert!(failures.is_empty(), "portacr {subcommand}:\n{}", failures.join("\n"));
}

#[test]
fn verify_rejects_every_corpus_image_with_its_error() {
    check("verify");
}

/// dump-info verifies the image before showing it, so cross-reference defects
/// (dangling ids, indices out of range) stop it too.
#[test]
fn dump_info_rejects_every_corpus_image_with_its_error() {
    check("dump-info");
}
