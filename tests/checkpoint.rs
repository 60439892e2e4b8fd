//! Checkpoint scenarios: each program of `tests/apps/` runs on JDK 17 and 25
//! with the agent; the tests check its exit status and output, then the image
//! with `portacr verify` (exit 0) and `portacr dump-info --json` (exact values,
//! schema in spec/image-format.md §12).
//!
//! By default a successful checkpoint ends the process with status 0 without
//! running `afterRestore`, so lines the apps print after the checkpoint must be
//! absent; with `keepRunning=true` the same process continues and must print
//! them with the same values.

use portacr_e2e::compilation::live_c2_before;
use portacr_e2e::dump::{field, DumpInfo, Frame, SlotValue};
use portacr_e2e::{checkpoint_app, dump_info, object_records, Jdk, Jvm};
use serde_json::Value as Json;

const MAIN_DESCRIPTOR: &str = "([Ljava/lang/String;)V";

/// Checks every image shares: source platform, launch info, one thread whose
/// bottom frame is `<app>.Main.main` and whose frames are all Java frames.
#[track_caller]
fn check_common(dump: &DumpInfo, jdk: Jdk, app: &str) -> Vec<Frame> {
    assert_eq!(dump.u64_at("format/major"), 2);
    assert_eq!(dump.str_at("platform/os"), "linux");
    assert_eq!(dump.str_at("platform/arch"), "x86_64");
    assert_eq!(dump.int_at("platform/java_spec_version"), i64::from(jdk.feature()));
    assert_eq!(dump.int_at("platform/generation"), 1);
    assert_eq!(dump.str_at("launch/main_class"), format!("{app}.Main"));
    let options = dump.at("launch/jvm_options").to_string();
    assert!(!options.contains("-agentpath"), "the agent's own option must be removed: {options}");
    assert_eq!(dump.int_at("counts/threads"), 1);

    let thread = dump.only_thread();
    assert_eq!(thread.name, "main");
    let bottom = thread.frames.first().expect("at least one frame");
    assert_eq!(
        (bottom.class.as_str(), bottom.method.as_str(), bottom.descriptor.as_str()),
        (format!("{app}/Main").as_str(), "main", MAIN_DESCRIPTOR)
    );
    for frame in &thread.frames {
        assert_eq!(frame.kind, "Java", "frame {}", frame.java_name());
        assert!(
            !frame.class.starts_with("jdk/crac/") && !frame.class.starts_with("io/portacr/"),
            "runtime frames must not be captured: {}",
            frame.java_name()
        );
    }
    let class = dump.class(&format!("{app}/Main"));
    assert_eq!(class["loader"], "app", "{class}");
    assert_eq!(class["init_state"], "Initialized", "{class}");
    assert!(class["digest"].as_str().is_some_and(|d| d.len() == 64), "app classes carry a digest: {class}");
    thread.frames
}

// ---------------------------------------------------------------------------
// demo

fn demo(jdk: Jdk) {
    let cp = checkpoint_app(Jvm::new(jdk), "demo", &format!("demo-jdk{}", jdk.feature()), "");
    cp.run
        .assert_exit(0)
        .assert_line("words: {and=1, brown=1, dog=1, end=1, fox=1, jumps=1, lazy=1, over=1, quick=1, the=3}")
        .assert_line("checkpoint at depth 3, counter=42, sum=106")
        .assert_no_line("resumed at depth 3, counter=42, sum=106");
    let image = cp.image();
    let dump = dump_info(&image);
    let frames = check_common(&dump, jdk, "demo");

    // main → countdown(3) → countdown(2) → countdown(1) → countdown(0), which checkpoints.
    let names: Vec<String> = frames.iter().map(Frame::java_name).collect();
    assert_eq!(
        names,
        ["demo.Main.main", "demo.Main.countdown", "demo.Main.countdown", "demo.Main.countdown", "demo.Main.countdown"]
    );
    for (depth, frame) in frames[1..].iter().enumerate() {
        let n = 3 - depth as i32;
        let sum = 100 + (n + 1..=3).sum::<i32>() as i64;
        assert_eq!(frame.descriptor, "(IJ)J");
        assert_eq!(frame.locals[0], SlotValue::Int(n), "n in {frame:?}");
        assert_eq!(frame.locals[1], SlotValue::Long(sum), "sum in {frame:?}");
        assert_eq!(frame.locals[2], SlotValue::Top, "second slot of sum in {frame:?}");
        // `long below = countdown(n - 1, sum + n)`: only the call's own arguments are on the stack.
        assert!(frame.operands.is_empty(), "operands of {frame:?}");
        if n > 0 {
            assert!(matches!(frame.locals[3], SlotValue::Ref(id) if id != 0), "label in {frame:?}");
        }
    }
    let words = dump.class("java/util/TreeMap");
    assert!(words["instances"].as_u64().is_some_and(|n| n >= 1), "{words}");
    let statics = dump.class("demo/Main")["statics"].clone();
    assert_eq!(statics, 2, "WORD_COUNTS and counter");
}

fn demo_keep_running(jdk: Jdk) {
    let cp = checkpoint_app(
        Jvm::new(jdk),
        "demo",
        &format!("demo-keep-running-jdk{}", jdk.feature()),
        ",keepRunning=true",
    );
    cp.run
        .assert_exit(0)
        .assert_line("checkpoint at depth 3, counter=42, sum=106")
        .assert_line("resumed at depth 3, counter=42, sum=106")
        .assert_lines_with_prefix(
            "back in ",
            &["back in level-1, below=106", "back in level-2, below=212", "back in level-3, below=424"],
        )
        .assert_line("countdown result: 848")
        .assert_line("counter: 42, words: 10");
    cp.image();
}

/// Without `checkpointTo` the call fails with a CheckpointException saying C/R
/// is not configured (demo does not catch it, so it ends the program).
fn demo_not_configured(jdk: Jdk) {
    let run = Jvm::new(jdk).agent("").run_app("demo");
    run.assert_failure()
        .assert_stderr_contains("jdk.crac.CheckpointException")
        .assert_no_line("resumed at depth 3, counter=42, sum=106");
}

// ---------------------------------------------------------------------------
// osrloop

const OSR_CHECKPOINT_AT: i32 = 5_120_000;
const OSR_END: i32 = 8_000_000;

/// The accumulator of osrloop at the checkpoint and at the end, as Java computes
/// `acc = acc * 31 + (i ^ (acc >>> 7))` in wrapping 64-bit arithmetic.
fn osr_accumulator() -> (i64, i64) {
    let mut acc: i64 = 17;
    let mut at_checkpoint = 0;
    for i in 0..OSR_END {
        acc = acc.wrapping_mul(31).wrapping_add(i64::from(i) ^ ((acc as u64 >> 7) as i64));
        if i == OSR_CHECKPOINT_AT {
            at_checkpoint = acc;
        }
    }
    (at_checkpoint, acc)
}

fn osrloop(jdk: Jdk) {
    let (acc_at_checkpoint, _) = osr_accumulator();
    let jvm = Jvm::new(jdk)
        .vm_option("-XX:+PrintCompilation")
        .vm_option("-XX:CompileCommand=quiet")
        .vm_option("-XX:CompileCommand=dontinline,osrloop.Main::mark");
    let cp = checkpoint_app(jvm, "osrloop", &format!("osrloop-jdk{}", jdk.feature()), "");
    let checkpoint_line = format!("checkpoint at i={OSR_CHECKPOINT_AT} acc={acc_at_checkpoint}");
    cp.run.assert_exit(0);
    // Not assert_line: PrintCompilation output shares stdout and may be
    // interleaved with the program's line (seen under load).
    assert!(cp.run.stdout.contains(&checkpoint_line), "no {checkpoint_line:?}\n{}", cp.run.report());
    assert!(
        live_c2_before(&cp.run.stdout, "osrloop.Main::main", true, &checkpoint_line).is_some(),
        "main was not running OSR-compiled (C2) code when it checkpointed\n{}",
        cp.run.report()
    );
    let image = cp.image();
    let dump = dump_info(&image);
    let frames = check_common(&dump, jdk, "osrloop");
    let names: Vec<String> = frames.iter().map(Frame::java_name).collect();
    assert_eq!(names, ["osrloop.Main.main", "osrloop.Main.mark"]);
    // main: 0 args, 1-2 acc, 3 i — read from the compiled frame.
    let main = &frames[0];
    // args is dead in the compiled loop: it may read as null (spec/semantics.md
    // §2.1, compiled frames), but its slot stays a reference.
    assert!(matches!(main.locals[0], SlotValue::Ref(_)), "args in {main:?}");
    assert_eq!(main.locals[1], SlotValue::Long(acc_at_checkpoint), "acc in {main:?}");
    assert_eq!(main.locals[2], SlotValue::Top);
    assert_eq!(main.locals[3], SlotValue::Int(OSR_CHECKPOINT_AT), "i in {main:?}");
    let mark = &frames[1];
    assert_eq!(mark.descriptor, "(IJ)V");
    assert_eq!(mark.locals[..3], [SlotValue::Int(OSR_CHECKPOINT_AT), SlotValue::Long(acc_at_checkpoint), SlotValue::Top]);
}

fn osrloop_keep_running(jdk: Jdk) {
    let (acc_at_checkpoint, acc_at_end) = osr_accumulator();
    let cp = checkpoint_app(
        Jvm::new(jdk).vm_option("-XX:CompileCommand=quiet").vm_option("-XX:CompileCommand=dontinline,osrloop.Main::mark"),
        "osrloop",
        &format!("osrloop-keep-running-jdk{}", jdk.feature()),
        ",keepRunning=true",
    );
    cp.run
        .assert_exit(0)
        .assert_line(&format!("resumed at i={OSR_CHECKPOINT_AT} acc={acc_at_checkpoint}"))
        .assert_line(&format!("loop done: acc={acc_at_end}"));
    cp.image();
}

// ---------------------------------------------------------------------------
// recursion

const RECURSION_DEPTH: i32 = 40;
const CHAIN: i32 = 3;

/// The arguments depth(n) receives: (l, f, d) for n = 40 down to 0.
fn recursion_arguments() -> Vec<(i32, i64, f32, f64)> {
    let (mut l, mut f, mut d) = (1i64, 0.5f32, 0.25f64);
    let mut out = Vec::new();
    for n in (0..=RECURSION_DEPTH).rev() {
        out.push((n, l, f, d));
        l = l.wrapping_mul(3).wrapping_add(i64::from(n));
        f += n as f32;
        d = d * 2.0 + f64::from(n);
    }
    out
}

fn recursion(jdk: Jdk) {
    let cp = checkpoint_app(Jvm::new(jdk), "recursion", &format!("recursion-jdk{}", jdk.feature()), "");
    cp.run
        .assert_exit(0)
        .assert_line("checkpoint at depth 44")
        .assert_no_line("resumed at depth 44");
    let image = cp.image();
    let dump = dump_info(&image);
    let frames = check_common(&dump, jdk, "recursion");
    // main, depth(40)..depth(0), chain(3)..chain(0)
    assert_eq!(frames.len(), 1 + 41 + 4, "{:#?}", frames.iter().map(Frame::java_name).collect::<Vec<_>>());

    let ref_nonnull = |v: &SlotValue| matches!(v, SlotValue::Ref(id) if *id != 0);
    for (frame, (n, l, f, d)) in frames[1..=41].iter().zip(recursion_arguments()) {
        assert_eq!(frame.java_name(), "recursion.Main.depth");
        assert_eq!(frame.descriptor, "(IJFDLjava/lang/String;[I)I");
        let want = [
            (0, SlotValue::Int(n)),
            (1, SlotValue::Long(l)),
            (2, SlotValue::Top),
            (3, SlotValue::Float(f.to_bits())),
            (4, SlotValue::Double(d.to_bits())),
            (5, SlotValue::Top),
            (8, SlotValue::Int(n * 3 + 1)),
            (9, SlotValue::Long(l.wrapping_mul(3).wrapping_add(i64::from(n)))),
            (10, SlotValue::Top),
            (11, SlotValue::Float((f + n as f32).to_bits())),
            (12, SlotValue::Double((d * 2.0 + f64::from(n)).to_bits())),
            (13, SlotValue::Top),
        ];
        for (slot, value) in want {
            assert_eq!(frame.locals[slot], value, "depth({n}) local {slot}: {frame:?}");
        }
        for slot in [6, 7, 14, 15] {
            assert!(ref_nonnull(&frame.locals[slot]), "depth({n}) local {slot} must be a reference: {frame:?}");
        }
        if n > 0 {
            // `r = x + depth(...)`: x is on the operand stack under the call.
            assert_eq!(frame.operands, [SlotValue::Int(n * 3 + 1)], "depth({n}) operands");
        } else {
            // `Node chain = chain(CHAIN)`: nothing under the call.
            assert!(frame.operands.is_empty(), "depth(0) operands: {:?}", frame.operands);
        }
    }
    for (frame, k) in frames[42..].iter().zip((0..=CHAIN).rev()) {
        assert_eq!(frame.java_name(), "recursion.Main.chain");
        assert_eq!(frame.locals[0], SlotValue::Int(k), "k in {frame:?}");
        assert_eq!(frame.locals[1], SlotValue::Float(0x7fc0_1234 + k as u32), "NaN payload in chain({k})");
        assert_eq!(frame.locals[2], SlotValue::Double(0x8000_0000_0000_0000), "-0.0 in chain({k})");
        assert_eq!(frame.locals[4], SlotValue::Double(0x7ff8_0000_00ab_cdef + k as u64), "NaN payload in chain({k})");
        assert!(ref_nonnull(&frame.locals[6]), "UTF-16 string in chain({k}): {frame:?}");
        if k > 0 {
            // `new Node(k, chain(k - 1))`: new, dup, k under the call.
            match frame.operands.as_slice() {
                [SlotValue::Uninitialized { object: a, .. }, SlotValue::Uninitialized { object: b, .. }, SlotValue::Int(value)] => {
                    assert_eq!(a, b, "both copies of the new Node are one object");
                    assert_eq!(*value, k);
                }
                other => panic!("chain({k}) operands: {other:?}"),
            }
        } else {
            assert!(frame.operands.is_empty(), "chain(0) operands: {:?}", frame.operands);
        }
    }
}

fn recursion_keep_running(jdk: Jdk) {
    let cp = checkpoint_app(
        Jvm::new(jdk),
        "recursion",
        &format!("recursion-keep-running-jdk{}", jdk.feature()),
        ",keepRunning=true",
    );
    cp.run
        .assert_exit(0)
        .assert_line("resumed at depth 44")
        .assert_line("result=2504")
        .assert_line("frames verified=45");
    cp.image();
}

// ---------------------------------------------------------------------------
// graph

const GRAPH_REPORT: &[&str] = &[
    "nodes=100000",
    "digest=f92954b7d491246e",
    "special f0=7fc01234 d0=7ff8000000abcdef f1=80000000 d1=8000000000000000 f2=ffc00001",
    "array nan bits=7fc01234 7ff8000000abcdef negzero=80000000 8000000000000000",
    "interned literal==true computed==true",
    "utf16=true length=11",
    "ring closes after 100000",
    "self reference=true shared node=true",
    "map size=100 lookup=true",
];

fn graph(jdk: Jdk) {
    let cp = checkpoint_app(Jvm::new(jdk), "graph", &format!("graph-jdk{}", jdk.feature()), "");
    let before: Vec<String> = GRAPH_REPORT.iter().map(|l| format!("before {l}")).collect();
    cp.run.assert_exit(0).assert_lines_with_prefix("before ", &before.iter().map(String::as_str).collect::<Vec<_>>());
    cp.run.assert_lines_with_prefix("after ", &[]);
    let image = cp.image();
    let dump = dump_info(&image);
    check_common(&dump, jdk, "graph");

    // 100,000 nodes + their strings + arrays + map entries.
    assert!(dump.object_count() > 100_000 + 100_000 / 7, "objects: {}", dump.object_count());
    assert_eq!(dump.class("graph/Main$Node")["instances"], 100_000);
    for array in ["[Z", "[B", "[C", "[S", "[I", "[J", "[F", "[D", "[[I", "[Ljava/lang/Object;", "[Lgraph/Main$Node;"] {
        let class = dump.class(array);
        assert!(class["instances"].as_u64().is_some_and(|n| n >= 1), "{class}");
    }
    // Strings are STRING records (contracts.md §4), which name no class.
    for class in ["java/util/HashMap", "java/util/ArrayList"] {
        dump.class(class);
    }
    let kinds = dump.at("counts/objects_by_kind");
    assert!(kinds["string"].as_u64().is_some_and(|n| n >= 100_000 / 7), "strings: {kinds}");
    assert_eq!(dump.class("graph/Main")["statics"], 8, "every static of graph.Main is stored");
    graph_exact_values(&image);
}

fn id_of(reference: &Json) -> u64 {
    reference["id"].as_u64().unwrap_or_else(|| panic!("not a reference: {reference}"))
}

fn bits(values: &Json) -> Vec<String> {
    values.as_array().unwrap().iter().map(|v| v["bits"].as_str().unwrap().to_string()).collect()
}

/// The values of graph.Main, followed from its statics through the image's
/// own records (not through the program's report): exact integers, NaN
/// payloads and -0.0 bit for bit, Latin-1/UTF-16 and interned strings, cycles.
fn graph_exact_values(image: &std::path::Path) {
    let json = portacr_e2e::dump_info_json(image);
    let statics = json["statics"].as_array().unwrap().iter().find(|s| s["class"] == "graph/Main").unwrap().clone();
    let main = |name: &str| field(&statics, name).clone();
    assert_eq!(main("NODE_COUNT"), 100_000);
    assert_eq!(main("interned")["string"], "graph-interned-literal");
    assert_eq!(id_of(&main("interned")), id_of(&main("INTERNED_LITERAL")), "one String object for the literal");
    let strings = object_records(image, &[id_of(&main("interned")), id_of(&main("computedInterned")), id_of(&main("utf16"))]);
    assert_eq!((strings[0]["interned"].clone(), strings[0]["utf16"].clone()), (true.into(), false.into()), "{}", strings[0]);
    assert_eq!((strings[1]["string"].clone(), strings[1]["interned"].clone()), ("graph-computed".into(), true.into()));
    assert_eq!(strings[2]["string"], "Gr\u{fc}\u{df}e, \u{4e16}\u{754c} \u{2713}");
    // A string literal: interned, and UTF-16 for its CJK characters.
    assert_eq!((strings[2]["interned"].clone(), strings[2]["utf16"].clone()), (true.into(), true.into()));

    // arrays: ArrayList → elementData → the arrays of every primitive type.
    let list_id = id_of(&main("arrays"));
    let list = &object_records(image, &[list_id])[0];
    assert_eq!(field(list, "size"), 12);
    let data = &object_records(image, &[id_of(field(list, "elementData"))])[0];
    let ids: Vec<u64> = data["elements"].as_array().unwrap()[..12].iter().map(id_of).collect();
    let arrays = object_records(image, &ids);
    let class = |i: usize| arrays[i]["class"].as_str().unwrap().to_string();
    assert_eq!((0..12).map(class).collect::<Vec<_>>(), ["[Z", "[B", "[C", "[S", "[I", "[J", "[F", "[D", "[I", "[Ljava/lang/Object;", "[[I", "[B"]);
    assert_eq!(arrays[0]["elements"], serde_json::json!([1, 0, 1]));
    assert_eq!(arrays[1]["elements"], serde_json::json!([-128, -1, 0, 1, 127]));
    assert_eq!(arrays[2]["elements"], serde_json::json!([0x61, 0xe9, 0x4e16, 0xffff, 0]));
    assert_eq!(arrays[3]["elements"], serde_json::json!([-32768, -1, 0, 32767]));
    assert_eq!(arrays[4]["elements"], serde_json::json!([i32::MIN, -1, 0, 1, i32::MAX]));
    assert_eq!(arrays[5]["elements"], serde_json::json!(["-9223372036854775808", -1, 0, "9223372036854775807"]));
    assert_eq!(bits(&arrays[6]["elements"]), ["0x7fc01234", "0x80000000", "0x00000001", "0x7f800000"]);
    assert_eq!(bits(&arrays[7]["elements"]), ["0x7ff8000000abcdef", "0x8000000000000000", "0x0000000000000001", "0x7ff8000000000000"]);
    assert_eq!(arrays[8]["elements"], serde_json::json!([]));
    // The Object[] holds the list itself: a cycle through the image's ids.
    let mixed = arrays[9]["elements"].as_array().unwrap();
    assert_eq!(id_of(&mixed[2]), list_id);
    assert!(mixed[1].is_null());
    assert_eq!(mixed[3]["string"], "in an array");
    let big = arrays[11]["elements"].as_array().unwrap();
    assert_eq!(big.len(), 1 << 20);
    for i in [0usize, 1, 255, 256, 65_537, (1 << 20) - 1] {
        assert_eq!(big[i], (((i * 131 + (i >> 8)) & 0xff) as u8 as i8), "big[{i}]");
    }

    // Nodes 0..2 carry NaN payloads, -0.0 and a negative NaN; node i links to i+1.
    let nodes = &object_records(image, &[id_of(&main("nodes"))])[0];
    let node_ids: Vec<u64> = nodes["elements"].as_array().unwrap()[..3].iter().map(id_of).collect();
    let n = object_records(image, &node_ids);
    let fbits = |r: &Json, f: &str| field(r, f)["bits"].as_str().unwrap().to_string();
    assert_eq!((fbits(&n[0], "f"), fbits(&n[0], "d")), ("0x7fc01234".into(), "0x7ff8000000abcdef".into()));
    assert_eq!((fbits(&n[1], "f"), fbits(&n[1], "d")), ("0x80000000".into(), "0x8000000000000000".into()));
    assert_eq!((fbits(&n[2], "f"), fbits(&n[2], "d")), ("0xffc00001".into(), "0xfff0000000000000".into()));
    assert_eq!(id_of(field(&n[0], "next")), node_ids[1]);
    assert_eq!(field(&n[1], "index"), 1);
    assert_eq!(field(&n[0], "payload")["string"], "node-0");
    let computed = &object_records(image, &[id_of(field(&n[0], "payload"))])[0];
    assert_eq!((computed["interned"].clone(), computed["utf16"].clone()), (false.into(), false.into()), "built at run time");
}

fn graph_keep_running(jdk: Jdk) {
    let cp = checkpoint_app(
        Jvm::new(jdk),
        "graph",
        &format!("graph-keep-running-jdk{}", jdk.feature()),
        ",keepRunning=true",
    );
    let after: Vec<String> = GRAPH_REPORT.iter().map(|l| format!("after {l}")).collect();
    cp.run.assert_exit(0).assert_lines_with_prefix("after ", &after.iter().map(String::as_str).collect::<Vec<_>>());
    cp.image();
}

// ---------------------------------------------------------------------------
// resources

const BEFORE_ALL: [&str; 6] = ["before c", "before g", "before g2", "before g1", "before b", "before a"];
const AFTER_ALL: [&str; 6] = ["after a", "after b", "after g", "after g1", "after g2", "after c"];

fn resources(jdk: Jdk) {
    let cp = checkpoint_app(Jvm::new(jdk), "resources", &format!("resources-jdk{}", jdk.feature()), "");
    // Attempt 1 fails: everyone notified, afterRestore at once. Attempt 2
    // succeeds and the process ends without afterRestore.
    let order: Vec<&str> = [&BEFORE_ALL[..], &AFTER_ALL[..], &BEFORE_ALL[..]].concat();
    cp.run
        .assert_exit(0)
        .assert_line("attempt 1 failed: 1 suppressed")
        .assert_line("suppressed: java.lang.IllegalStateException: g2 refuses to checkpoint")
        .assert_line("attempt 2")
        .assert_no_line("attempt 2 returned");
    let callbacks: Vec<&str> =
        cp.run.stdout.lines().filter(|l| l.starts_with("before ") || l.starts_with("after ")).collect();
    assert_eq!(callbacks, order, "\n{}", cp.run.report());
    let image = cp.image();
    let dump = dump_info(&image);
    check_common(&dump, jdk, "resources");
    assert_eq!(dump.int_at("counts/resources"), 4, "a, b, g, c in the global context");
    let resources = dump.resources();
    assert_eq!(resources.len(), 4);
    assert!(resources.iter().all(|&id| id != 0), "{resources:?}");
}

fn resources_keep_running(jdk: Jdk) {
    let cp = checkpoint_app(
        Jvm::new(jdk),
        "resources",
        &format!("resources-keep-running-jdk{}", jdk.feature()),
        ",keepRunning=true",
    );
    let order: Vec<&str> = [&BEFORE_ALL[..], &AFTER_ALL[..], &BEFORE_ALL[..], &AFTER_ALL[..]].concat();
    cp.run.assert_exit(0).assert_line("attempt 2 returned");
    let callbacks: Vec<&str> =
        cp.run.stdout.lines().filter(|l| l.starts_with("before ") || l.starts_with("after ")).collect();
    assert_eq!(callbacks, order, "\n{}", cp.run.report());
    cp.image();
}

// ---------------------------------------------------------------------------
// openfile, secondthread: uncarriable state refuses the checkpoint, the program goes on

fn openfile(jdk: Jdk) {
    let dir = portacr_e2e::fresh_dir(&format!("openfile-jdk{}-data", jdk.feature()));
    let data = dir.join("data.txt");
    let name = format!("openfile-jdk{}", jdk.feature());
    let cp = checkpoint_app(Jvm::new(jdk).arg(data.display().to_string()), "openfile", &name, "");
    cp.run
        .assert_exit(0)
        .assert_line("first byte: p")
        .assert_line("next byte: o")
        .assert_line("file closed, checkpointing again")
        .assert_no_line("UNEXPECTED: checkpoint with an open file succeeded");
    let refused = cp.run.value_after("checkpoint refused: ");
    for part in ["openfile.Main.holder", "FileInputStream", "open file descriptor", &data.display().to_string()] {
        assert!(refused.contains(part), "the refusal must name {part:?}: {refused}");
    }
    assert!(!refused.contains('\n'));
    let image = cp.image();
    check_common(&dump_info(&image), jdk, "openfile");
}

fn secondthread(jdk: Jdk) {
    let cp = checkpoint_app(Jvm::new(jdk), "secondthread", &format!("secondthread-jdk{}", jdk.feature()), "");
    cp.run
        .assert_exit(0)
        .assert_line("worker waiting")
        .assert_line("worker ended, checkpointing again")
        .assert_no_line("UNEXPECTED: checkpoint with a second thread succeeded");
    let refused = cp.run.value_after("checkpoint refused: ");
    assert!(refused.contains("worker-1"), "the refusal must name the thread: {refused}");
    let image = cp.image();
    let dump = dump_info(&image);
    check_common(&dump, jdk, "secondthread");
}

// ---------------------------------------------------------------------------

macro_rules! on_checkpoint_jdks {
    ($($scenario:ident),* $(,)?) => {
        mod jdk17 {
            $( #[test] fn $scenario() { super::$scenario(portacr_e2e::Jdk::V17) } )*
        }
        mod jdk25 {
            $( #[test] fn $scenario() { super::$scenario(portacr_e2e::Jdk::V25) } )*
        }
    };
}

on_checkpoint_jdks!(
    demo,
    demo_keep_running,
    demo_not_configured,
    osrloop,
    osrloop_keep_running,
    recursion,
    recursion_keep_running,
    graph,
    graph_keep_running,
    resources,
    resources_keep_running,
    openfile,
    secondthread,
);

