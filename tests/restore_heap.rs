//! Restore, first half (spec/restore.md): `tests/apps/restoreheap` builds a rich heap
//! reachable from statics, prints `check()` and checkpoints; `portacr restore` rebuilds
//! classes, heap and statics in another JVM and calls `check()` through the test hook
//! `-Dportacr.restore.thenCall=restoreheap.Main#check`. The two outputs must be equal line
//! for line, on JDK 17, 21 and 25, under several collectors and heap layouts, and from a
//! JDK 25 image into JDK 17. Bad inputs must give one `portacr: error:` line, a non-zero
//! exit and no `check:` output. The image is never modified.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use portacr_e2e::{checkpoint_app, fresh_dir, portacr, Jdk, Jvm, RunResult};

const THEN_CALL: &str = "-Dportacr.restore.thenCall=restoreheap.Main#check";

struct Checkpoint {
    image: PathBuf,
    check: Vec<String>,
}

fn check_lines(run: &RunResult) -> Vec<String> {
    run.stdout.lines().filter(|l| l.starts_with("check: ")).map(str::to_owned).collect()
}

fn checkpoint(jdk: Jdk) -> Checkpoint {
    checkpoint_with(Jvm::new(jdk), &format!("restoreheap-jdk{}", jdk.feature()), "").0
}

/// Checkpoints the app; also returns the checkpointing run's stderr (the capture's log).
fn checkpoint_with(jvm: Jvm, name: &str, more_options: &str) -> (Checkpoint, String) {
    let cp = checkpoint_app(jvm, "restoreheap", name, more_options);
    cp.run.assert_exit(0).assert_no_line("after checkpoint");
    let check = check_lines(&cp.run);
    assert!(check.len() > 20 && check.last().unwrap().starts_with("check: digest"), "{}", cp.run.report());
    (Checkpoint { image: cp.image(), check }, cp.run.stderr.clone())
}

/// The JDK 17 image, made once per test binary.
fn image17() -> &'static Checkpoint {
    static IMAGE: OnceLock<Checkpoint> = OnceLock::new();
    IMAGE.get_or_init(|| checkpoint(Jdk::V17))
}

fn restore(image: &Path, jdk: Jdk, options: &[&str]) -> RunResult {
    let java = jdk.java().display().to_string();
    let image = image.display().to_string();
    let mut args = vec!["restore", &image, "--java", &java, "--agent-options", "log=info", "--"];
    args.extend_from_slice(options);
    portacr(&args)
}

#[track_caller]
fn assert_same_check(cp: &Checkpoint, jdk: Jdk, options: &[&str]) {
    let mut all = vec![THEN_CALL];
    all.extend_from_slice(options);
    let run = restore(&cp.image, jdk, &all);
    run.assert_exit(0);
    let restored = check_lines(&run);
    assert_eq!(restored, cp.check, "restored check() differs on JDK {} {options:?}\n{}", jdk.feature(), run.report());
    assert!(
        run.stderr.contains("portacr: info: restore: classes "),
        "the restore reports its breakdown at log=info\n{}",
        run.report()
    );
    assert_rebuild_warmed_up(&run);
}

/// The rebuild's warm-up (RebuildWarmup, started by the agent at VMInit) did not stop on an
/// error: a broken warm-up would only make restores slower, so nothing else would notice.
/// The suite's images are rebuilt before it finishes a round, so `restore_warmup_completes`
/// lets it run all of them.
#[track_caller]
fn assert_rebuild_warmed_up(run: &RunResult) {
    let line = run.stderr.lines().find(|l| l.contains("restore: rebuild warm-up: ")).unwrap_or_else(|| {
        panic!("no rebuild warm-up line at log=info\n{}", run.report());
    });
    assert!(!line.contains("stopped"), "{line}\n{}", run.report());
}

/// Every round of the rebuild's warm-up runs and rebuilds its own image correctly (it checks
/// itself), on 17 and 25, then the image is restored as usual.
#[test]
fn restore_warmup_completes() {
    for jdk in [Jdk::V17, Jdk::V25] {
        let run = restore(&image17().image, jdk, &[THEN_CALL, "-Dportacr.test.restoreWarmupComplete=true"]);
        run.assert_exit(0);
        assert_eq!(check_lines(&run), image17().check, "{}", run.report());
        assert!(run.stderr.contains("restore: rebuild warm-up: 32 round(s)"), "{}", run.report());
        assert_rebuild_warmed_up(&run);
    }
}

#[test]
fn jdk17_to_17() {
    assert_same_check(image17(), Jdk::V17, &[]);
}

#[test]
fn jdk17_to_21() {
    assert_same_check(image17(), Jdk::V21, &[]);
}

#[test]
fn jdk17_to_25() {
    assert_same_check(image17(), Jdk::V25, &[]);
}

#[test]
fn jdk17_to_17_collectors_and_layouts() {
    for options in [["-XX:+UseSerialGC"], ["-XX:+UseParallelGC"], ["-XX:+UseZGC"], ["-XX:-UseCompressedOops"], ["-Xmx1g"]] {
        assert_same_check(image17(), Jdk::V17, &options);
    }
}

/// Both rebuild passes split with a helper thread, as large images do by themselves
/// (HeapRebuild.helperThreads); the suite's images are small, so the test forces it.
#[test]
fn jdk17_to_17_rebuild_on_two_threads() {
    for gc in ["-XX:+UseG1GC", "-XX:+UseParallelGC"] {
        assert_same_check(image17(), Jdk::V17, &["-Dportacr.test.restoreHelperThreads=true", gc]);
    }
    assert_same_check(image17(), Jdk::V25, &["-Dportacr.test.restoreHelperThreads=true"]);
}

#[test]
fn jdk17_to_25_compact_headers_and_zgc() {
    assert_same_check(image17(), Jdk::V25, &["-XX:+UseCompactObjectHeaders"]);
    assert_same_check(image17(), Jdk::V25, &["-XX:+UseZGC", "-Xmx300m"]);
}

/// The capture keys objects by identity hash where address keys are not safe (ZGC) or
/// turned off, and makes the capture again that way when a collection ran during a walk
/// with address keys (spec/semantics.md §2.3); each image restores to the same state.
#[test]
fn captures_by_identity_hash_and_after_a_collection_during_the_walk() {
    let cases = [
        ("restoreheap-zgc", vec!["-XX:+UseZGC"], "keys=identityHash", None),
        ("restoreheap-hashkeys", vec!["-Dportacr.capture.addressKeys=false"], "keys=identityHash", None),
        (
            "restoreheap-moved",
            vec!["-Dportacr.test.collectDuringWalk=true"],
            "keys=identityHash",
            Some("a garbage collection moved objects during the walk; capturing again with identity-hash keys"),
        ),
        ("restoreheap-parallel", vec!["-XX:+UseParallelGC", "-Xmx512m"], "keys=address ids=direct(keyShift=4)", None),
        // A heap above 4 GB: compressed references are shifted, keys count 8-byte units
        // (below 4 GB, as above, keys are byte addresses); granules of 16 bytes either way.
        ("restoreheap-shifted", vec!["-Xmx6g"], "keys=address ids=direct(keyShift=1)", None),
        ("restoreheap-hashids", vec!["-XX:+UseZGC"], "keys=identityHash ids=hash", None),
    ];
    for (name, options, keys, retried) in cases {
        let (cp, log) = checkpoint_with(Jvm::new(Jdk::V17).vm_options(options.clone()), name, ",log=info");
        if let Some(line) = retried {
            assert!(log.contains(line), "{options:?}: expected the capture to be made again\n{log}");
        }
        // A collection may also come by itself during an address-keyed walk (rarely, on a
        // loaded machine): that image is then keyed by identity hash.
        let retried_by_itself = retried.is_none() && log.contains("capturing again");
        if !retried_by_itself {
            assert!(log.contains(keys), "{options:?}: expected {keys} in the capture log\n{log}");
        }
        assert_same_check(&cp, Jdk::V17, &[]);
    }
}

/// The capture's warm-up runs in the background before the checkpoint (`warmupAfter`,
/// here at once, and awaited through a test hook so the early path runs whole), or at the
/// checkpoint with `warmupAfter=never`; the image restores to the same state either way.
#[test]
fn capture_warms_up_early_or_at_the_checkpoint() {
    let cases = [
        (
            "restoreheap-early",
            vec!["-Dportacr.test.awaitEarlyWarmup=true"],
            ",log=info,warmupAfter=0ms",
            Some("capture warm-up ran early: 40 of 40 round(s)"),
            "warmup=done",
        ),
        ("restoreheap-atcheckpoint", vec![], ",log=info,warmupAfter=never", None, "warmup=atCheckpoint"),
    ];
    for (name, vm_options, agent_options, early_line, warmup) in cases {
        let (cp, log) = checkpoint_with(Jvm::new(Jdk::V17).vm_options(vm_options), name, agent_options);
        match early_line {
            Some(line) => assert!(log.contains(line), "{agent_options}: expected '{line}'\n{log}"),
            None => assert!(!log.contains("capture warm-up ran early"), "{agent_options}: no early warm-up expected\n{log}"),
        }
        assert!(log.contains(warmup), "{agent_options}: expected {warmup} in the capture log\n{log}");
        assert_string_table_listed(&log);
        assert_same_check(&cp, Jdk::V17, &[]);
    }
}

#[test]
fn jdk25_to_17() {
    let cp = checkpoint(Jdk::V25);
    assert_same_check(&cp, Jdk::V17, &[]);
}

/// A capture with compact object headers (JDK 25): objects may be 8 bytes, so the walk's
/// direct id table must use granules no larger than its smallest object
/// (spec/semantics.md §2.3); the image restores to the same state on JDK 17.
#[test]
fn jdk25_compact_headers_capture_to_17() {
    let jvm = Jvm::new(Jdk::V25).vm_options(["-XX:+UseCompactObjectHeaders", "-Xmx512m"]);
    let (cp, log) = checkpoint_with(jvm, "restoreheap-jdk25-compact", ",log=info");
    assert!(log.contains("keys=address ids=direct(keyShift="), "expected a direct id table\n{log}");
    assert_string_table_listed(&log);
    assert_same_check(&cp, Jdk::V17, &[]);
}

/// The agent parsed the string table's listing (JDK 25's has a `# Shared strings:` part):
/// the capture's log names how many strings it lists, not `string table unknown`.
fn assert_string_table_listed(log: &str) {
    let listed = log
        .split("string table ")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(listed.is_some_and(|n| n > 100), "expected a parsed string table listing in the capture log\n{log}");
}

/// Without the hook the thread is resumed (tests/restore_threads.rs tests that in depth):
/// the program continues after its checkpoint and nothing else runs.
#[test]
fn without_the_hook_the_thread_resumes() {
    let run = restore(&image17().image, Jdk::V17, &[]);
    run.assert_exit(0);
    assert!(check_lines(&run).is_empty(), "{}", run.report());
    assert_eq!(run.stdout_lines(), ["after checkpoint"], "{}", run.report());
}

#[test]
fn restore_never_modifies_the_image() {
    let file = image17().image.join("image.pcr");
    let before = std::fs::read(&file).unwrap();
    let _ = restore(&image17().image, Jdk::V17, &[THEN_CALL]);
    let _ = restore(&image17().image, Jdk::V25, &[THEN_CALL, "-Xmx8m"]);
    assert_eq!(std::fs::read(&file).unwrap(), before, "portacr restore changed {}", file.display());
}

// ---- bad inputs: one line, non-zero exit, check() never printed ----------------------

#[track_caller]
fn assert_refused(run: &RunResult, expected: &str) {
    assert!(!run.success(), "restore must fail\n{}", run.report());
    assert!(check_lines(run).is_empty(), "check() ran\n{}", run.report());
    let ours: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("portacr: error:")).collect();
    assert_eq!(ours.len(), 1, "exactly one error line expected\n{}", run.report());
    assert!(ours[0].contains(expected), "expected {expected:?} in {:?}\n{}", ours[0], run.report());
}

/// A copy of the JDK 17 image with `edit` applied to its bytes, restored by hand
/// (`java -agentpath:…=restoreFrom=…`): the CLI itself would refuse it first.
fn restore_edited(name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> RunResult {
    let dir = fresh_dir(name);
    let mut bytes = std::fs::read(image17().image.join("image.pcr")).unwrap();
    edit(&mut bytes);
    std::fs::write(dir.join("image.pcr"), bytes).unwrap();
    restore_by_hand(&dir, &[])
}

fn restore_by_hand(dir: &Path, options: &[&str]) -> RunResult {
    let classes = portacr_e2e::app_classes("restoreheap");
    Jvm::jdk17()
        .agent(format!("restoreFrom={}", dir.display()))
        .vm_option(THEN_CALL)
        .vm_options(options.iter().copied())
        .run_main(&classes.display().to_string(), "io.portacr.Restore")
}

#[test]
fn missing_directory() {
    let run = restore_by_hand(Path::new("/nonexistent/portacr-image"), &[]);
    assert_refused(&run, "cannot restore /nonexistent/portacr-image: no such directory");
}

#[test]
fn truncated_image() {
    let run = restore_edited("restore-truncated", |b| b.truncate(b.len() / 2));
    assert_refused(&run, "truncated");
}

#[test]
fn corrupted_image() {
    // A byte in the middle of the section data: a chunk or payload crc catches it.
    let run = restore_edited("restore-corrupted", |b| {
        let at = b.len() / 3;
        b[at] ^= 0x5a;
    });
    assert_refused(&run, "crc32 mismatch");
}

#[test]
fn foreign_file() {
    let run = restore_edited("restore-foreign", |b| *b = b"#!/bin/sh\necho not an image\n".repeat(4));
    assert_refused(&run, "not a portacr image");
}

/// `image`'s image written again in format 1.0 (spec/image-format.md §7): records in id
/// order with implied ids, plain references; every other section as it is.
fn as_format_1(image: &Path, name: &str) -> PathBuf {
    use portacr_image::{Image, ObjectRecord, ObjectsEncoder, SectionKind};
    let img = Image::open(image).unwrap();
    assert_eq!(img.header().format_major, 2);
    let mut records: Vec<ObjectRecord> = img.objects().unwrap().collect::<Result<_, _>>().unwrap();
    let in_walk_order: Vec<u32> = records.iter().map(|r| r.id.0).collect();
    assert!(in_walk_order.windows(2).any(|w| w[1] != w[0] + 1), "the capture wrote its records in id order");
    records.sort_by_key(|r| r.id.0);
    let mut objects = ObjectsEncoder::v1();
    for r in &records {
        objects.push(r.identity_hash, &r.body);
    }
    let objects = objects.into_bytes();
    let dir = fresh_dir(name).join("image");
    portacr_image::write_image_dir(&dir, |w| {
        w.write_format_1();
        for s in img.sections() {
            let payload = if s.kind == SectionKind::OBJECTS { &objects[..] } else { img.payload(s.kind)? };
            w.begin_section(s.kind, s.flags)?;
            w.write_raw(payload)?;
            w.end_raw_section()?;
        }
        Ok(())
    })
    .unwrap();
    dir
}

#[test]
fn format_1_image_restores() {
    let old = as_format_1(&image17().image, "restore-format-1");
    let run = restore(&old, Jdk::V17, &[THEN_CALL]);
    run.assert_exit(0);
    assert_eq!(check_lines(&run), image17().check, "{}", run.report());
}

#[test]
fn newer_major_version() {
    let run = restore_edited("restore-major", |b| b[8..10].copy_from_slice(&3u16.to_le_bytes()));
    assert_refused(&run, "image format version 3.0 is not supported");
}

#[test]
fn heap_too_small_names_both_sizes() {
    let run = restore_by_hand(&image17().image, &["-Xmx8m"]);
    assert_refused(&run, "needs a maximum heap of at least");
    assert_refused(&run, "this JVM has -Xmx 8.0M");
}

#[test]
fn changed_class_is_refused() {
    // The same program with one literal changed: same class names, other bytes.
    let source = portacr_e2e::repo_root().join("tests/apps/restoreheap/Main.java");
    let changed = portacr_e2e::e2e_dir().join("sources/restoreheap-changed/restoreheap");
    std::fs::create_dir_all(&changed).unwrap();
    let text = std::fs::read_to_string(source).unwrap().replace("\"Key\" + n", "\"Kee\" + n");
    std::fs::write(changed.join("Main.java"), text).unwrap();
    let classes = portacr_e2e::apps::compile_sources("restoreheap-changed", changed.parent().unwrap());
    let cp = format!("{}", classes.display());
    let run = restore(&image17().image, Jdk::V17, &[THEN_CALL, "-cp", &cp]);
    assert_refused(&run, "differ from the image: restoreheap.Main$Key (class file differs)");
}

/// A restore by hand whose options leave the young generation to the collector gets one
/// warning naming the option `portacr restore` would add (spec/restore.md §6); with a
/// young generation given, or through `portacr restore`, none. The program runs either way.
#[test]
fn by_hand_restore_advises_a_young_generation() {
    let heap = ["-Xmx256m", "-Xms256m"];
    let cp = checkpoint_app(
        Jvm::jdk17().vm_options(heap),
        "bigheap",
        "bigheap-young",
        "",
    );
    cp.run.assert_exit(0);
    let before = cp
        .run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("before: "))
        .expect("digest")
        .to_owned();
    let classes = portacr_e2e::app_classes("bigheap").display().to_string();
    let by_hand = |more: &[&str]| {
        Jvm::jdk17()
            .agent(format!("restoreFrom={}", cp.image().display()))
            .vm_options(heap)
            .vm_options(more.iter().copied())
            .run_main(&classes, "io.portacr.Restore")
    };
    let advice = "no option sizes the young generation";
    for (options, advised) in [
        (&[][..], true),
        (&["-Xmn128m"][..], false),
        (&["-XX:+UseSerialGC"][..], true),
    ] {
        let run = by_hand(options);
        run.assert_exit(0);
        assert!(
            run.stdout.contains(&format!("after: {before}")),
            "{options:?}\n{}",
            run.report()
        );
        let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.contains(advice)).collect();
        if advised {
            assert_eq!(warnings.len(), 1, "{options:?}\n{}", run.report());
            assert!(
                warnings[0].starts_with("portacr: warn: ")
                    && warnings[0].contains("add -XX:NewSize="),
                "{}",
                warnings[0]
            );
        } else {
            assert!(warnings.is_empty(), "{options:?}\n{}", run.report());
        }
    }
    let image = cp.image().display().to_string();
    let java = Jdk::V17.java().display().to_string();
    let cli = portacr(&["restore", &image, "--java", &java]);
    cli.assert_exit(0);
    assert!(
        cli.stdout.contains(&format!("after: {before}")) && !cli.stderr.contains(advice),
        "{}",
        cli.report()
    );
}
