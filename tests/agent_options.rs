//! Agent options as a user meets them: a bad option or a bad `checkpointTo`
//! pattern makes the JVM refuse to start with a message naming the mistake;
//! a good pattern expands as DESIGN.md §1 says.

use portacr_e2e::{checkpoint_app, dump_info, fresh_dir, Jdk, Jvm};

/// The JVM must not start: non-zero exit, the app's `main` never ran, and
/// stderr names every part of `expected`.
#[track_caller]
fn assert_refused(jdk: Jdk, options: &str, expected: &[&str]) {
    let run = Jvm::new(jdk).agent(options).run_app("demo");
    run.assert_failure();
    assert!(!run.stdout.contains("words: "), "main ran despite options {options:?}\n{}", run.report());
    for part in expected {
        run.assert_stderr_contains(part);
    }
}

fn bad_options_are_refused_at_start(jdk: Jdk) {
    assert_refused(jdk, "frobnicate=1", &["unknown agent option", "frobnicate"]);
    assert_refused(jdk, "checkpointTo=/tmp/a,checkpointTo=/tmp/b", &["checkpointTo", "twice"]);
    assert_refused(jdk, "keepRunning", &["keepRunning", "no value"]);
    assert_refused(jdk, "keepRunning=maybe", &["keepRunning=maybe"]);
    assert_refused(jdk, "compress=fast", &["compress=fast"]);
    assert_refused(jdk, "log=loud", &["log=loud"]);
    assert_refused(jdk, "warmupAfter=soon", &["warmupAfter=soon", "expected never or a delay"]);
    // checkpointTo and restoreFrom go together (a restored program checkpoints
    // again); a missing image directory is refused before any Java code runs.
    assert_refused(jdk, "checkpointTo=/tmp/a,restoreFrom=/nonexistent/portacr-img", &["/nonexistent/portacr-img"]);
}

fn bad_patterns_are_refused_at_start(jdk: Jdk) {
    assert_refused(jdk, "checkpointTo=/tmp/img_%q", &["invalid checkpointTo pattern", "'%q'"]);
    assert_refused(jdk, "checkpointTo=/tmp/img_%", &["invalid checkpointTo pattern", "dangling '%'"]);
    assert_refused(jdk, "checkpointTo=/tmp/img_%03a", &["invalid checkpointTo pattern", "%03a", "no width"]);
    assert_refused(jdk, "checkpointTo=", &["checkpointTo"]);
}

/// `%a %g %03g %% %c %m` have values a test can know in advance; `%t %T %p %u`
/// are checked against the image's own record of them.
fn pattern_placeholders_expand(jdk: Jdk) {
    let dir = fresh_dir(&format!("pattern-jdk{}", jdk.feature()));
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let pattern = format!("{}/img_%a_%g_%03g_%%_%c_%m_%p_%T_%t", dir.display());
    let run = Jvm::new(jdk).vm_option("-Xmx512m").agent(format!("checkpointTo={pattern}")).run_app("demo");
    run.assert_exit(0);
    let images = portacr_e2e::images_in(&dir);
    assert_eq!(images.len(), 1, "{images:?}\n{}", run.report());
    let name = images[0].file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("img_x86_64_1_001_%_{cpus}_512M_");
    let rest = name.strip_prefix(&prefix).unwrap_or_else(|| panic!("{name:?} does not start with {prefix:?}"));

    let dump = dump_info(&images[0]);
    let pid = dump.int_at("platform/pid");
    let epoch_seconds = dump.int_at("platform/checkpoint_time/ms") / 1000;
    let parts: Vec<&str> = rest.split('_').collect();
    assert_eq!(parts.len(), 3, "{rest:?}");
    assert_eq!(parts[0], pid.to_string(), "%p");
    assert_eq!(parts[1], epoch_seconds.to_string(), "%T");
    // %t: ISO-8601 basic UTC, 20250909T141711Z
    let t = parts[2].as_bytes();
    assert!(
        t.len() == 16 && t[8] == b'T' && t[15] == b'Z' && t[..8].iter().chain(&t[9..15]).all(u8::is_ascii_digit),
        "%t: {}",
        parts[2]
    );
    assert_eq!(dump.int_at("platform/max_heap"), 512 << 20);
}

fn uuid_placeholder_names_the_image(jdk: Jdk) {
    let cp = checkpoint_app(Jvm::new(jdk), "demo", &format!("uuid-jdk{}", jdk.feature()), "_%u");
    cp.run.assert_exit(0);
    let images = portacr_e2e::images_in(&cp.dir);
    assert_eq!(images.len(), 1, "{}", cp.run.report());
    let name = images[0].file_name().unwrap().to_string_lossy().into_owned();
    let uuid = dump_info(&images[0]).str_at("platform/uuid").to_string();
    assert_eq!(name, format!("img_{uuid}"));
}

macro_rules! on_jdks {
    ($($test:ident),* $(,)?) => {
        mod jdk17 {
            $( #[test] fn $test() { super::$test(portacr_e2e::Jdk::V17) } )*
        }
        mod jdk25 {
            $( #[test] fn $test() { super::$test(portacr_e2e::Jdk::V25) } )*
        }
    };
}

on_jdks!(bad_options_are_refused_at_start, bad_patterns_are_refused_at_start);

mod expansion_jdk17 {
    #[test]
    fn pattern_placeholders_expand() {
        super::pattern_placeholders_expand(portacr_e2e::Jdk::V17)
    }
    #[test]
    fn uuid_placeholder_names_the_image() {
        super::uuid_placeholder_names_the_image(portacr_e2e::Jdk::V17)
    }
}

mod expansion_jdk25 {
    #[test]
    fn pattern_placeholders_expand() {
        super::pattern_placeholders_expand(portacr_e2e::Jdk::V25)
    }
    #[test]
    fn uuid_placeholder_names_the_image() {
        super::uuid_placeholder_names_the_image(portacr_e2e::Jdk::V25)
    }
}
