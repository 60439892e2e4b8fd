//! Compiled frames with scalar-replaced objects and eliminated locks below
//! `checkpointRestore()` (spec/semantics.md §2.1, "Compiled frames").
//!
//! `tests/apps/scalarframe` keeps `Point p` and `Object lock` in a C2-compiled
//! frame (mode `c2`) or an OSR-compiled one (mode `osr`) where escape analysis
//! removed both allocations and the lock. The capture must read the real objects
//! (the image holds `p` with its field values and `lock` as a held monitor), and
//! the restored program must continue with them. The control run sets
//! `-Dportacr.test.skipRematerialization=true`, which skips the escape barrier:
//! then `p` must read as null — which shows that the frame really was compiled
//! with `p` scalar-replaced, so the first check is not passing by accident.


use portacr_e2e::compilation::live_c2_before;
use portacr_e2e::dump::{field, DumpInfo, Frame, SlotValue};
use portacr_e2e::{checkpoint_app, dump_info, object_records, portacr, Jdk, Jvm};
use serde_json::Value as Json;

const CHECKPOINT_AT: i64 = 2_097_152;
const END: i64 = 3_000_000;

fn jvm(jdk: Jdk, mode: &str) -> Jvm {
    Jvm::new(jdk)
        .vm_option("-XX:+PrintCompilation")
        .vm_option("-XX:CompileCommand=quiet")
        .vm_option("-XX:CompileCommand=dontinline,scalarframe.Main::mark")
        .vm_option("-XX:CompileCommand=dontinline,scalarframe.Main::work")
        .arg(mode)
}

/// The method whose frame holds `p` and `lock`, per mode.
fn holder(mode: &str) -> &'static str {
    if mode == "osr" {
        "osrLoop"
    } else {
        "work"
    }
}

fn holder_frame(dump: &DumpInfo, mode: &str) -> Frame {
    let frames = dump.only_thread().frames;
    frames
        .iter()
        .find(|f| f.class == "scalarframe/Main" && f.method == holder(mode))
        .cloned()
        .unwrap_or_else(|| panic!("no {} frame in {frames:?}", holder(mode)))
}

/// The value `done: acc=` prints: the sum over i < END of p.x + p.y, plus the
/// 1 that mark returns after the checkpoint.
fn final_accumulator() -> i64 {
    (0..END).map(|i| i + (i * 3 + 1)).sum::<i64>() + 1
}

fn rematerialized(jdk: Jdk, mode: &str) {
    let name = format!("scalarframe-{mode}-jdk{}", jdk.feature());
    let cp = checkpoint_app(jvm(jdk, mode), "scalarframe", &name, "");
    cp.run.assert_exit(0);
    let method = format!("scalarframe.Main::{}", holder(mode));
    assert!(
        live_c2_before(&cp.run.stdout, &method, mode == "osr", "checkpoint at i=").is_some(),
        "{method} was not running C2-compiled code ({mode}) when it checkpointed\n{}",
        cp.run.report()
    );
    let image = cp.image();
    let frame = holder_frame(&dump_info(&image), mode);
    // work: 0 i, 1 p, 2 lock, 3-4 r, 5 the monitor's copy of lock;
    // osrLoop: 0-1 acc, 2 i, 3 p, 4 lock, 5-6 r, 7 the copy.
    let (p_slot, monitor_slot) = if mode == "osr" { (3, 7) } else { (1, 5) };
    let SlotValue::Ref(p) = frame.locals[p_slot] else {
        panic!("slot {p_slot} (p) is not a reference: {frame:?}")
    };
    assert_ne!(p, 0, "p read as null from the compiled frame: {frame:?}");
    if mode == "c2" {
        // i is dead after the call to mark (work reads p.x instead), and C2
        // keeps no dead locals unless a JVMTI agent holds
        // can_access_local_variables, which costs ~10 % on CPU-bound code
        // (benches/overhead.rs): the agent must not hold it.
        assert_eq!(frame.locals[0], SlotValue::Int(0), "dead local i kept alive in the compiled frame: {frame:?}");
    }
    let point = object_records(&image, &[u64::from(p)]).swap_remove(0);
    assert_eq!(point["class"], "scalarframe/Main$Point", "{point}");
    assert_eq!(field(&point, "x"), &Json::from(CHECKPOINT_AT), "{point}");
    assert_eq!(field(&point, "y"), &Json::from(CHECKPOINT_AT * 3 + 1), "{point}");
    let SlotValue::Ref(lock) = frame.locals[monitor_slot] else {
        panic!("slot {monitor_slot} (lock) is not a reference: {frame:?}")
    };
    assert_ne!(lock, 0, "the eliminated lock's object read as null: {frame:?}");
    let json = portacr_e2e::dump_info_json(&image);
    let monitors = json["threads"][0]["frames"]
        .as_array()
        .and_then(|frames| frames.iter().find(|f| f["method"] == holder(mode)))
        .map(|f| f["monitors"].clone())
        .unwrap_or_default();
    assert_eq!(
        monitors,
        serde_json::json!([{"count": 1, "object": {"class": "java/lang/Object", "id": lock}}]),
        "the eliminated lock must be captured as held"
    );

    let restored = Jvm::new(jdk).restore(&image);
    restored.assert_exit(0);
    for line in [
        format!("resumed at i={CHECKPOINT_AT}"),
        format!("{} after checkpoint: p.x={CHECKPOINT_AT} p.y={}", holder(mode), CHECKPOINT_AT * 3 + 1),
        format!("done: acc={}", final_accumulator()),
    ] {
        // contains, not assert_line: PrintCompilation (kept from the launch)
        // shares stdout and may cut into a line.
        assert!(restored.stdout.contains(&line), "no {line:?} after the restore\n{}", restored.report());
    }
}

/// The control: the same checkpoint with the escape barrier skipped. `p` reads
/// as null (lock elimination off, so that the null monitor below does not stop
/// the image first), and with lock elimination on the held monitor reads as
/// null, which `portacr verify` refuses.
fn without_barrier(jdk: Jdk, mode: &str) {
    let skip = "-Dportacr.test.skipRematerialization=true";
    let name = format!("scalarframe-{mode}-skip-jdk{}", jdk.feature());
    let cp = checkpoint_app(jvm(jdk, mode).vm_option(skip).vm_option("-XX:-EliminateLocks"), "scalarframe", &name, "");
    cp.run.assert_exit(0);
    let frame = holder_frame(&dump_info(&cp.image()), mode);
    let p_slot = if mode == "osr" { 3 } else { 1 };
    assert_eq!(
        frame.locals[p_slot],
        SlotValue::Ref(0),
        "without the barrier p should read as null (scalar-replaced); did C2 compile the frame?\n{frame:?}"
    );

    let name = format!("scalarframe-{mode}-skip-locks-jdk{}", jdk.feature());
    let cp = checkpoint_app(jvm(jdk, mode).vm_option(skip), "scalarframe", &name, "");
    cp.run.assert_exit(0);
    let image = cp.dir.join("img");
    let verify = portacr(&["verify", &image.display().to_string()]);
    assert!(
        !verify.success() && format!("{}{}", verify.stdout, verify.stderr).contains("monitor 0 is null"),
        "without the barrier the eliminated lock should read as a null monitor\n{}",
        verify.report()
    );
}

mod jdk17 {
    use portacr_e2e::Jdk::V17;
    #[test]
    fn c2_frame_rematerialized() {
        super::rematerialized(V17, "c2")
    }
    #[test]
    fn osr_frame_rematerialized() {
        super::rematerialized(V17, "osr")
    }
    #[test]
    fn c2_frame_without_barrier() {
        super::without_barrier(V17, "c2")
    }
    #[test]
    fn osr_frame_without_barrier() {
        super::without_barrier(V17, "osr")
    }
}

mod jdk25 {
    use portacr_e2e::Jdk::V25;
    #[test]
    fn c2_frame_rematerialized() {
        super::rematerialized(V25, "c2")
    }
    #[test]
    fn osr_frame_rematerialized() {
        super::rematerialized(V25, "osr")
    }
    #[test]
    fn c2_frame_without_barrier() {
        super::without_barrier(V25, "c2")
    }
    #[test]
    fn osr_frame_without_barrier() {
        super::without_barrier(V25, "osr")
    }
}
