//! Resume prologues and `<clinit>` replacement, run on real JVMs.
//!
//! The Java fixtures in `tests/resume/` are compiled with `javac --release
//! 17`, the methods named below are rewritten by `add_resume_prologues`
//! (resume bcis found by scanning for invokes, never hard-coded), and
//! `Main` runs them on JDK 17 and 25 with `-Xverify:all` against a test
//! `io.portacr.restore.Resume` that replays a script of values. Every
//! scenario is run resumed and then as a normal call, whose result must be
//! the original method's.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use portacr_classfile::bytecode::{self, instructions};
use portacr_classfile::{
    add_resume_prologues, frame_types_at, method_token, replace_clinit, ClassFile, ResumeHooks,
    ResumePoint, RewriteError,
};

const JDK17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";
const JDK25: &str = "/usr/lib/jvm/temurin-25-jdk-amd64";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resume")
}

/// A method with 300 int locals: stores and loads need `wide`.
fn many_locals_source() -> String {
    let mut body = String::from("public class Many {\n    static int many(int p) {\n");
    for k in 0..300 {
        body.push_str(&format!("        int v{k} = p + {k};\n"));
    }
    body.push_str("        Frames.mark(v0);\n        return v0 + v150 + v299;\n    }\n}\n");
    body
}

/// Compiles the fixtures into a fresh directory (one per call: tests run
/// in parallel); returns it.
fn compile(tag: &str) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("portacr-classfile")
        .join(format!("resume-{tag}-{}-{call}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sources = dir.join("src");
    let classes = dir.join("classes");
    std::fs::create_dir_all(sources.join("io/portacr/restore")).unwrap();
    std::fs::create_dir_all(&classes).unwrap();
    for file in [
        "Frames.java",
        "Main.java",
        "Statics.java",
        "io/portacr/restore/Resume.java",
    ] {
        std::fs::copy(fixture_dir().join(file), sources.join(file)).unwrap();
    }
    std::fs::write(sources.join("Many.java"), many_locals_source()).unwrap();
    let javac = Path::new(JDK17).join("bin/javac");
    let output = Command::new(&javac)
        // -g: LineNumberTable and LocalVariableTable, whose offsets move.
        .args(["--release", "17", "-g", "-d"])
        .arg(&classes)
        .args(
            [
                "Frames.java",
                "Main.java",
                "Statics.java",
                "Many.java",
                "io/portacr/restore/Resume.java",
            ]
            .iter()
            .map(|f| sources.join(f)),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "javac failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

/// Bci of the `nth` invoke of a method named `callee` in `method`.
fn invoke_bci(class: &ClassFile, method: &str, descriptor: &str, callee: &str, nth: usize) -> u32 {
    let code = &class
        .method(method, descriptor)
        .unwrap()
        .code()
        .unwrap()
        .code;
    let pool = &class.constant_pool;
    let mut found = Vec::new();
    for item in instructions(code) {
        let (bci, opcode) = item.unwrap();
        if !bytecode::is_invoke(opcode) {
            continue;
        }
        let index = u16::from_be_bytes([code[bci as usize + 1], code[bci as usize + 2]]);
        let name = if opcode == bytecode::INVOKEDYNAMIC {
            pool.dynamic_name_and_type(index).unwrap().0
        } else {
            pool.member_ref(index).unwrap().name
        };
        if name == callee {
            found.push(bci);
        }
    }
    *found
        .get(nth)
        .unwrap_or_else(|| panic!("no invoke #{nth} of {callee} in {method}{descriptor}"))
}

fn point_at(
    class: &ClassFile,
    method: &str,
    descriptor: &str,
    bci: u32,
    monitors: u32,
) -> ResumePoint {
    ResumePoint {
        method_name: method.into(),
        method_descriptor: descriptor.into(),
        bci,
        frame: frame_types_at(class, method, descriptor, bci).unwrap(),
        monitors,
    }
}

fn point(
    class: &ClassFile,
    method: &str,
    descriptor: &str,
    callee: &str,
    nth: usize,
) -> ResumePoint {
    let bci = invoke_bci(class, method, descriptor, callee, nth);
    point_at(class, method, descriptor, bci, 0)
}

fn frames_points(class: &ClassFile) -> Vec<ResumePoint> {
    let str_ = "(I)Ljava/lang/String;";
    let mut locked = point(
        class,
        "locked",
        "(Ljava/lang/Object;)Ljava/lang/String;",
        "observe",
        0,
    );
    locked.monitors = 1;
    vec![
        point(class, "f", "(IJ)I", "g", 0),
        point_at(class, "g", "(Ljava/lang/String;I)I", 0, 0),
        point(class, "loop", "(I)I", "mark", 0),
        point(class, "guarded", str_, "risky", 0),
        point_at(class, "risky", "(I)V", 0, 0),
        locked,
        point(class, "wide", "(JD)D", "markLong", 0),
        point(class, "sw", str_, "mark", 0),
        point(class, "chain1", "(I)I", "chain2", 0),
        point(class, "chain2", "(I)I", "chain3", 0),
        point(class, "chain3", "(I)I", "mark", 0),
        point(class, "twoCalls", "(I)I", "mark", 0),
        point(class, "twoCalls", "(I)I", "mark", 1),
        point(class, "nested", str_, "seven", 0),
        point(class, "arith", str_, "seven", 0),
        point(class, "impure", str_, "seven", 0),
        point(class, "guardedNew", str_, "riskyInt", 0),
        point_at(class, "riskyInt", "(I)I", 0, 0),
        point(class, "flt", "(F)F", "mark", 0),
        point(class, "nullLocal", str_, "mark", 0),
        point(class, "spin", "(I)I", "tick", 0),
        point(class, "callsPrivate", "(I)I", "twice", 0),
        point_at(class, "twice", "(I)I", 0, 0),
        point(class, "makeCtor", "(I)J", "<init>", 0),
    ]
}

fn rewrite_file(path: &Path, rewrite: impl FnOnce(&[u8]) -> Result<Vec<u8>, RewriteError>) {
    let original = std::fs::read(path).unwrap();
    let rewritten = rewrite(&original).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The result must itself be a class file this crate reads.
    ClassFile::parse(&rewritten).unwrap();
    std::fs::write(path, rewritten).unwrap();
}

/// Compiles and rewrites the fixtures; returns the class directory.
fn rewritten_classes(tag: &str) -> PathBuf {
    let dir = compile(tag);
    let classes = dir.join("classes");
    let hooks = ResumeHooks::default();
    rewrite_file(&classes.join("Frames.class"), |bytes| {
        let class = ClassFile::parse(bytes).unwrap();
        add_resume_prologues(bytes, &frames_points(&class), &hooks)
    });
    rewrite_file(&classes.join("Frames$Ctor.class"), |bytes| {
        let class = ClassFile::parse(bytes).unwrap();
        add_resume_prologues(
            bytes,
            &[point(&class, "<init>", "(IJ)V", "helper", 0)],
            &hooks,
        )
    });
    rewrite_file(&classes.join("Many.class"), |bytes| {
        let class = ClassFile::parse(bytes).unwrap();
        add_resume_prologues(bytes, &[point(&class, "many", "(I)I", "mark", 0)], &hooks)
    });
    rewrite_file(&classes.join("Statics.class"), |bytes| {
        replace_clinit(bytes, &hooks)
    });
    classes
}

const EXPECTED: &str = "\
f=75 trace=g(hello,3);
f-normal=44 trace=g(k5,3);
loop=1030 trace=mark0;mark6;mark7;mark8;mark9;
loop-normal=45 trace=mark0;mark1;mark2;mark3;mark4;mark5;mark6;mark7;mark8;mark9;
guarded=caught:restored:k7:line51/41 trace=
guarded-normal=caught:in:k3:line51/41 after trace=
locked=held=true after=false trace=observe:true;
locked-normal=held=true after=false trace=observe:true;
wide=103.75 trace=markL0;
wide-normal=4.5 trace=markL2;
sw=two/200 trace=mark0;
sw-normal=three/other many/neg many/big trace=mark3;mark-5;mark900;
chain=186 trace=mark0;
chain-normal=146 trace=mark7;
two-second=5 trace=mark0;
two-first=15 trace=mark0;mark15;
two-normal=6 trace=mark2;mark6;
nested=41,7 trace=seven;
nested-normal=1,7 trace=seven;
arith=99,7 trace=seven;
arith-normal=7,7 trace=seven;
impure=55,7 trace=seven;
impure-normal=1,7 trace=one;seven;
guarded-new=caught-new:r3:line136 trace=
guarded-new-normal=caught-new:r4:line136 ok0 trace=
ctor=101 trace=helper0;mark1;
ctor-normal=104 trace=helper3;mark4;
flt=5.5 trace=mark0;
flt-normal=4.5 trace=mark1;
null-local=null trace=mark0;
null-local-normal=null trace=mark4;
spin=97 trace=
spin-normal=7 trace=
private=200 trace=
private-normal=110 trace=
make-ctor=101 trace=helper0;mark1;
make-ctor-normal=110 trace=helper9;mark10;
many=3449 trace=mark0;
many-normal=452 trace=mark1;
statics=42,fromImage log=[statics Statics] trace=
";

fn run_on(jdk: &str, classes: &Path) {
    let java = Path::new(jdk).join("bin/java");
    if !java.exists() {
        panic!("no JDK at {jdk}");
    }
    let output = Command::new(&java)
        .args(["-Xverify:all", "-Xshare:off", "-cp"])
        .arg(classes)
        .arg("Main")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{jdk}: exit {}\n{stdout}\n{stderr}",
        output.status
    );
    assert_eq!(stdout, EXPECTED, "{jdk} output differs; stderr:\n{stderr}");
}

#[test]
fn resumed_frames_run_verified_on_jdk17() {
    run_on(JDK17, &rewritten_classes("17"));
}

#[test]
fn resumed_frames_run_verified_on_jdk25() {
    run_on(JDK25, &rewritten_classes("25"));
}

/// The unmodified fixtures give the same normal-call results: the expected
/// `*-normal` lines are the original methods' behaviour, not the rewriter's.
#[test]
fn normal_calls_match_the_original_classes() {
    let dir = compile("original");
    let classes = dir.join("classes");
    let output = Command::new(Path::new(JDK17).join("bin/java"))
        .args(["-Xverify:all", "-cp"])
        .arg(&classes)
        .arg("Main")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in EXPECTED.lines().filter(|l| l.contains("-normal=")) {
        assert!(
            stdout.lines().any(|l| l == line),
            "original classes do not print {line:?}:\n{stdout}"
        );
    }
    // Sanity: without the rewrite the original <clinit> runs.
    assert!(stdout.contains("clinit ran"));
}

fn frames_class() -> (PathBuf, Vec<u8>) {
    let dir = compile("refusals");
    let bytes = std::fs::read(dir.join("classes/Frames.class")).unwrap();
    (dir, bytes)
}

fn refusal(bytes: &[u8], point: ResumePoint) -> String {
    match add_resume_prologues(bytes, &[point], &ResumeHooks::default()) {
        Err(e @ RewriteError::Unsupported { .. }) => e.to_string(),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn refusals_are_clear_errors() {
    let (_dir, bytes) = frames_class();
    let class = ClassFile::parse(&bytes).unwrap();
    let str_ = "(I)Ljava/lang/String;";

    // A branch between the pending call and the constructor call.
    let message = refusal(
        &bytes,
        point(&class, "branchy", "(Z)Ljava/lang/String;", "seven", 0),
    );
    assert!(message.contains("object under construction"), "{message}");
    assert!(message.contains("branches"), "{message}");

    // Frames waiting in an invokedynamic (the lambda capture, the string
    // concatenation) are refused; the lambda's own call is an ordinary
    // invokeinterface and accepted.
    for (callee, nth) in [("getAsInt", 0), ("makeConcatWithConstants", 0)] {
        let message = refusal(&bytes, point(&class, "capture", str_, callee, nth));
        assert!(message.contains("invokedynamic"), "{message}");
    }
    let call = point(&class, "capture", str_, "getAsInt", 1);
    assert!(add_resume_prologues(&bytes, &[call], &ResumeHooks::default()).is_ok());

    // A constructor after its super() call.
    let ctor_bytes = std::fs::read(_dir.join("classes/Frames$Ctor.class")).unwrap();
    let ctor = ClassFile::parse(&ctor_bytes).unwrap();
    let message = refusal(&ctor_bytes, point(&ctor, "<init>", "(IJI)V", "mark", 0));
    assert!(
        message.contains("after its super/this constructor call"),
        "{message}"
    );
}

#[test]
fn points_that_do_not_fit_the_method_are_refused() {
    let (_dir, bytes) = frames_class();
    let class = ClassFile::parse(&bytes).unwrap();
    let hooks = ResumeHooks::default();
    // Not an instruction boundary.
    let mut bad = point(&class, "loop", "(I)I", "mark", 0);
    bad.bci += 1;
    assert!(matches!(
        add_resume_prologues(&bytes, &[bad], &hooks),
        Err(RewriteError::FrameMismatch { .. })
    ));
    // Types that disagree with the StackMapTable frame at a branch target.
    let loop_head = point(&class, "loop", "(I)I", "mark", 0);
    let declared =
        portacr_classfile::declared_frames(&class, class.method("loop", "(I)I").unwrap()).unwrap();
    let (target, mut types) = declared[0].clone();
    types.locals[1] = portacr_classfile::VType::Float;
    let lie = ResumePoint {
        bci: target,
        frame: types,
        ..loop_head
    };
    assert!(matches!(
        add_resume_prologues(&bytes, &[lie], &hooks),
        Err(RewriteError::FrameMismatch { .. })
    ));
    // Unknown method.
    let mut missing = point(&class, "loop", "(I)I", "mark", 0);
    missing.method_name = "nope".into();
    assert!(matches!(
        add_resume_prologues(&bytes, &[missing], &hooks),
        Err(RewriteError::ClassFile(_))
    ));
}

#[test]
fn jsr_methods_are_refused() {
    // m: iconst_1 istore_0 jsr+6 iload_0 ireturn nop astore_1 iinc 0 1 ret 1
    let code = [
        0x04, 0x3B, 0xA8, 0x00, 0x06, 0x1A, 0xAC, 0x00, 0x4C, 0x84, 0x00, 0x01, 0xA9, 0x01,
    ];
    let bytes = version_49_class(&code);
    let class = ClassFile::parse(&bytes).unwrap();
    let p = point_at(&class, "m", "(I)I", 2, 0);
    let error = add_resume_prologues(&bytes, &[p], &ResumeHooks::default()).unwrap_err();
    assert!(error.to_string().contains("jsr/ret"), "{error}");
}

#[test]
fn untouched_parts_keep_their_bytes() {
    let (_dir, bytes) = frames_class();
    let class = ClassFile::parse(&bytes).unwrap();
    let points = vec![point(&class, "loop", "(I)I", "mark", 0)];
    let rewritten = add_resume_prologues(&bytes, &points, &ResumeHooks::default()).unwrap();
    let after = ClassFile::parse(&rewritten).unwrap();
    // Every original constant keeps its index; new ones are appended.
    let before_pool = class.constant_pool.entries();
    assert_eq!(
        &after.constant_pool.entries()[..before_pool.len()],
        before_pool
    );
    for (old, new) in class.methods().iter().zip(after.methods()) {
        assert_eq!(old.name, new.name);
        if old.name != "loop" {
            assert_eq!(
                old.code().map(|c| &c.code),
                new.code().map(|c| &c.code),
                "{}",
                old.name
            );
        }
    }
    let old_loop = class.method("loop", "(I)I").unwrap().code().unwrap();
    let new_loop = after.method("loop", "(I)I").unwrap().code().unwrap();
    let shift = new_loop.code.len() - old_loop.code.len();
    assert_eq!(
        shift % 4,
        0,
        "prologue length {shift} keeps switch alignment"
    );
    assert_eq!(&new_loop.code[shift..], &old_loop.code[..]);
    // Every instruction of the original code has the types it had.
    let old_types =
        portacr_classfile::method_instruction_types(&class, class.method("loop", "(I)I").unwrap())
            .unwrap();
    for t in old_types {
        let moved = frame_types_at(&after, "loop", "(I)I", t.bci + shift as u32).unwrap();
        assert_eq!(moved.locals, t.types.locals, "bci {}", t.bci);
        assert_eq!(moved.stack.len(), t.types.stack.len(), "bci {}", t.bci);
    }
    // A class without <clinit> is returned as is.
    let many = std::fs::read(_dir.join("classes/Many.class")).unwrap();
    assert_eq!(
        replace_clinit(&many, &ResumeHooks::default()).unwrap(),
        many
    );
}

/// The real runtime class (java-bindings) drives the same rewritten classes.
#[test]
fn real_runtime_class_resumes_frames() {
    let classes = rewritten_classes("real");
    let dir = classes.parent().unwrap();
    let runtime = dir.join("runtime");
    let resume_source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../java-bindings/src/io/portacr/restore/Resume.java");
    std::fs::copy(
        fixture_dir().join("RealMain.java"),
        dir.join("src/RealMain.java"),
    )
    .unwrap();
    let output = Command::new(Path::new(JDK17).join("bin/javac"))
        .args(["--release", "17", "-d"])
        .arg(&runtime)
        .arg("-cp")
        .arg(&classes)
        .arg(&resume_source)
        .arg(dir.join("src/RealMain.java"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "javac: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = "\
chain=186 finish=null
f=75 finish=null
flt=5.5 finish=null
wide=103.75 finish=null
locked=held=true after=false finish=null
normal=146
skip=6 finish=null
leftover=90 finish=frame 0 left values unused
unresumed finish=1 of 1 frames not resumed
statics=7,image
";
    for jdk in [JDK17, JDK25] {
        // The real Resume comes first on the class path, before the fake.
        let class_path = format!("{}:{}", runtime.display(), classes.display());
        let output = Command::new(Path::new(jdk).join("bin/java"))
            .args(["-Xverify:all", "-cp", &class_path, "RealMain"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            expected,
            "{jdk}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn token_is_fnv1a_of_the_method_key() {
    // FNV-1a of "." (offset basis 0x811C9DC5, prime 0x01000193), top bit cleared.
    assert_eq!(method_token("", "", ""), 0x2b0c98f1);
    assert_eq!(
        method_token("Frames", "f", "(IJ)I"),
        method_token("Frames", "f", "(IJ)I")
    );
    assert_ne!(method_token("A", "m", "()V"), method_token("B", "m", "()V"));
}

/// xorshift64*: deterministic, so a failure names a reproducible round.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn vtype(&mut self) -> portacr_classfile::VType {
        use portacr_classfile::VType::*;
        match self.below(10) {
            0 => Top,
            1 => Integer,
            2 => Float,
            3 => Long,
            4 => Double,
            5 => Null,
            6 => Reference("java/lang/String".into()),
            7 => UninitializedThis,
            8 => Uninitialized(self.below(300) as u32),
            _ => ReturnAddress(3),
        }
    }
}

fn mutate(original: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next() as u8,
            2 => bytes.truncate(at.max(1)),
            3 => {
                let end = (at + 1 + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                if at + 1 < bytes.len() {
                    let value: u16 = [0, 1, 0xFFFF, 0x8000][rng.below(4)];
                    bytes[at..at + 2].copy_from_slice(&value.to_be_bytes());
                }
            }
        }
    }
    bytes
}

/// Corrupt classes and nonsensical resume points give errors, never panics;
/// whatever is accepted rewrites into a class file that parses.
#[test]
fn rewriting_mutated_inputs_never_panics() {
    let (dir, bytes) = frames_class();
    let statics = std::fs::read(dir.join("classes/Statics.class")).unwrap();
    let class = ClassFile::parse(&bytes).unwrap();
    let points = frames_points(&class);
    let hooks = ResumeHooks::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut accepted = 0;
    for round in 0..4000 {
        let mutated = mutate(&bytes, &mut rng);
        let result = std::panic::catch_unwind(|| add_resume_prologues(&mutated, &points, &hooks));
        match result {
            Err(_) => panic!("round {round}: add_resume_prologues panicked"),
            Ok(Ok(out)) => {
                accepted += 1;
                if let Err(e) = ClassFile::parse(&out) {
                    panic!("round {round}: rewritten class does not parse: {e}");
                }
            }
            Ok(Err(_)) => {}
        }
        let mutated = mutate(&statics, &mut rng);
        let result = std::panic::catch_unwind(|| replace_clinit(&mutated, &hooks));
        assert!(result.is_ok(), "round {round}: replace_clinit panicked");
    }
    assert!(
        accepted > 200,
        "only {accepted} mutated classes were rewritten: the test exercises too little"
    );
    let mut accepted = 0;
    for round in 0..4000 {
        let mut p = points[rng.below(points.len())].clone();
        for _ in 0..1 + rng.below(2) {
            match rng.below(6) {
                0 => p.bci = rng.below(400) as u32,
                1 if !p.frame.locals.is_empty() => {
                    let slot = rng.below(p.frame.locals.len());
                    p.frame.locals[slot] = rng.vtype();
                }
                2 => p.frame.stack.push(rng.vtype()),
                3 => {
                    p.frame.stack.pop();
                }
                4 => p.frame.locals.truncate(rng.below(4)),
                _ => p.monitors = rng.below(3) as u32,
            }
        }
        let result =
            std::panic::catch_unwind(|| add_resume_prologues(&bytes, &[p.clone()], &hooks));
        match result {
            Err(_) => panic!("round {round}: panicked on point {p:?}"),
            Ok(Ok(out)) => {
                accepted += 1;
                ClassFile::parse(&out).unwrap();
            }
            Ok(Err(_)) => {}
        }
    }
    assert!(
        accepted > 100,
        "only {accepted} mutated points were accepted"
    );
}

fn code_attribute<'a>(
    class: &'a ClassFile,
    method: &str,
    descriptor: &str,
    name: &str,
) -> Option<&'a [u8]> {
    class
        .method(method, descriptor)
        .unwrap()
        .code()
        .unwrap()
        .attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| &a.info[..])
}

/// `(start_pc, rest)` of each entry of a LineNumberTable-like table.
fn table_entries(info: &[u8], entry_size: usize) -> Vec<(u16, Vec<u8>)> {
    let count = u16::from_be_bytes([info[0], info[1]]) as usize;
    (0..count)
        .map(|k| {
            let at = 2 + k * entry_size;
            (
                u16::from_be_bytes([info[at], info[at + 1]]),
                info[at + 2..at + entry_size].to_vec(),
            )
        })
        .collect()
}

/// Line numbers and local variable ranges move with the code; type
/// annotations (offsets the rewriter does not relocate) are dropped.
#[test]
fn code_attributes_move_or_are_dropped() {
    let (_dir, bytes) = frames_class();
    let class = ClassFile::parse(&bytes).unwrap();
    let points = vec![point(&class, "f", "(IJ)I", "g", 0)];
    let after =
        ClassFile::parse(&add_resume_prologues(&bytes, &points, &ResumeHooks::default()).unwrap())
            .unwrap();
    let shift = (after.method("f", "(IJ)I").unwrap().code_length().unwrap()
        - class.method("f", "(IJ)I").unwrap().code_length().unwrap()) as u16;
    assert!(
        code_attribute(&class, "f", "(IJ)I", "RuntimeVisibleTypeAnnotations").is_some(),
        "fixture lost its type annotation"
    );
    assert!(code_attribute(&after, "f", "(IJ)I", "RuntimeVisibleTypeAnnotations").is_none());
    for (name, size) in [("LineNumberTable", 4), ("LocalVariableTable", 10)] {
        let old = table_entries(code_attribute(&class, "f", "(IJ)I", name).unwrap(), size);
        let new = table_entries(code_attribute(&after, "f", "(IJ)I", name).unwrap(), size);
        assert!(
            !old.is_empty(),
            "{name} empty: fixtures must be compiled with -g"
        );
        let moved: Vec<_> = old
            .into_iter()
            .map(|(pc, rest)| (pc + shift, rest))
            .collect();
        assert_eq!(new, moved, "{name}");
    }
    // The exception table of a method with a handler moves too.
    let points = vec![point(
        &class,
        "guarded",
        "(I)Ljava/lang/String;",
        "risky",
        0,
    )];
    let after =
        ClassFile::parse(&add_resume_prologues(&bytes, &points, &ResumeHooks::default()).unwrap())
            .unwrap();
    let old = class.method("guarded", "(I)Ljava/lang/String;").unwrap();
    let new = after.method("guarded", "(I)Ljava/lang/String;").unwrap();
    let shift = (new.code_length().unwrap() - old.code_length().unwrap()) as u16;
    assert!(!old.exception_table().is_empty());
    for (o, n) in old.exception_table().iter().zip(new.exception_table()) {
        assert_eq!(
            (
                o.start_pc + shift,
                o.end_pc + shift,
                o.handler_pc + shift,
                o.catch_type
            ),
            (n.start_pc, n.end_pc, n.handler_pc, n.catch_type)
        );
    }
}

/// `public class T` of class-file version 49 (no StackMapTable: the JVM
/// verifies it by type inference) with `static int m(int)` holding `m_code`
/// (max_stack 2, max_locals 2) and `static int g(int y) { return y * 10; }`.
fn version_49_class(m_code: &[u8]) -> Vec<u8> {
    fn utf8(out: &mut Vec<u8>, s: &str) {
        out.push(1);
        out.extend((s.len() as u16).to_be_bytes());
        out.extend(s.as_bytes());
    }
    fn method(out: &mut Vec<u8>, name: u16, code: &[u8], max_stack: u16, max_locals: u16) {
        out.extend([0x00, 0x09]); // public static
        out.extend(name.to_be_bytes());
        out.extend(6u16.to_be_bytes()); // (I)I
        out.extend(1u16.to_be_bytes());
        out.extend(8u16.to_be_bytes()); // Code
        out.extend(((12 + code.len()) as u32).to_be_bytes());
        out.extend(max_stack.to_be_bytes());
        out.extend(max_locals.to_be_bytes());
        out.extend((code.len() as u32).to_be_bytes());
        out.extend(code);
        out.extend([0, 0, 0, 0]);
    }
    let mut c = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 49];
    c.extend(11u16.to_be_bytes());
    utf8(&mut c, "T"); // 1
    c.extend([7, 0, 1]); // 2
    utf8(&mut c, "java/lang/Object"); // 3
    c.extend([7, 0, 3]); // 4
    utf8(&mut c, "m"); // 5
    utf8(&mut c, "(I)I"); // 6
    utf8(&mut c, "g"); // 7
    utf8(&mut c, "Code"); // 8
    c.extend([12, 0, 7, 0, 6]); // 9 NameAndType g (I)I
    c.extend([10, 0, 2, 0, 9]); // 10 Methodref T.g
    c.extend([0x00, 0x21, 0, 2, 0, 4, 0, 0, 0, 0]);
    c.extend(2u16.to_be_bytes());
    method(&mut c, 5, m_code, 2, 2);
    // iload_0 bipush 10 imul ireturn
    method(&mut c, 7, &[0x1A, 0x10, 10, 0x68, 0xAC], 2, 1);
    c.extend([0, 0]);
    c
}

/// Old class files get no StackMapTable; the inference verifier accepts the
/// prologue and the resumed frame runs.
#[test]
fn version_49_class_resumes_under_the_inference_verifier() {
    let dir = compile("v49");
    let classes = dir.join("classes");
    // int x = a + 1; return g(x) + x;
    // iload_0 iconst_1 iadd istore_1 iload_1 invokestatic#10 iload_1 iadd ireturn
    let bytes = version_49_class(&[0x1A, 0x04, 0x60, 0x3C, 0x1B, 0xB8, 0, 10, 0x1B, 0x60, 0xAC]);
    let class = ClassFile::parse(&bytes).unwrap();
    let points = [
        point(&class, "m", "(I)I", "g", 0),
        point_at(&class, "g", "(I)I", 0, 0),
    ];
    let rewritten = add_resume_prologues(&bytes, &points, &ResumeHooks::default()).unwrap();
    let after = ClassFile::parse(&rewritten).unwrap();
    assert!(after.methods().iter().all(|m| m
        .code()
        .unwrap()
        .stack_map_table_attribute()
        .is_none()));
    std::fs::write(classes.join("T.class"), rewritten).unwrap();
    let main = dir.join("src/OldMain.java");
    std::fs::write(
        &main,
        r#"import io.portacr.restore.Resume;
public class OldMain {
    public static void main(String[] args) {
        Resume.expect("T", "m", "(I)I", 0, 0, 7);
        Resume.expect("T", "g", "(I)I", 0, 3);
        System.out.println(T.m(0) + " " + Resume.clean() + " " + T.m(5));
    }
}
"#,
    )
    .unwrap();
    let output = Command::new(Path::new(JDK17).join("bin/javac"))
        .args(["--release", "17", "-cp"])
        .arg(&classes)
        .arg("-d")
        .arg(&classes)
        .arg(&main)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for jdk in [JDK17, JDK25] {
        let output = Command::new(Path::new(jdk).join("bin/java"))
            .args(["-Xverify:all", "-cp"])
            .arg(&classes)
            .arg("OldMain")
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "37 true 66\n",
            "{jdk}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// A prologue that would push the code past 65535 bytes is refused.
#[test]
fn code_length_limit_is_checked() {
    let dir = compile("long");
    let bytes = std::fs::read(dir.join("classes/Many.class")).unwrap();
    let class = ClassFile::parse(&bytes).unwrap();
    // Each case restores 301 int locals with `wide` stores: ~2 KB a case.
    let one = point(&class, "many", "(I)I", "mark", 0);
    let points = vec![one; 40];
    match add_resume_prologues(&bytes, &points, &ResumeHooks::default()) {
        Err(RewriteError::CodeTooLong { length, .. }) => assert!(length > 65535),
        other => panic!("expected CodeTooLong, got {other:?}"),
    }
    assert!(add_resume_prologues(&bytes, &points[..5], &ResumeHooks::default()).is_ok());
}

/// The values a resumption takes, as the restore code must supply them; the
/// scripts in `tests/resume/Main.java` follow exactly these lists.
#[test]
fn consumed_values_follow_the_prologue_order() {
    use portacr_classfile::ResumeValue::{Local, Monitor, Operand, Receiver};
    use portacr_classfile::ValueKind::{Int, Long, Reference};
    let dir = compile("consumed");
    let read = |name: &str| std::fs::read(dir.join("classes").join(name)).unwrap();
    let frames = ClassFile::parse(&read("Frames.class")).unwrap();
    let str_ = "(I)Ljava/lang/String;";
    assert_eq!(
        point(&frames, "f", "(IJ)I", "g", 0).consumed_values(),
        vec![
            Local {
                slot: 0,
                kind: Reference
            },
            Local { slot: 1, kind: Int },
            Local {
                slot: 2,
                kind: Long
            },
            Local { slot: 4, kind: Int },
            Local {
                slot: 5,
                kind: Reference
            },
            Operand {
                index: 0,
                kind: Int
            },
            Receiver,
        ]
    );
    let mut locked = point(
        &frames,
        "locked",
        "(Ljava/lang/Object;)Ljava/lang/String;",
        "observe",
        0,
    );
    locked.monitors = 1;
    assert_eq!(
        locked.consumed_values(),
        vec![
            Local {
                slot: 0,
                kind: Reference
            },
            Local {
                slot: 1,
                kind: Reference
            },
            Monitor(0)
        ]
    );
    // An object under construction takes nothing (the prologue makes a
    // new one); the operands above it are taken as usual.
    assert_eq!(
        point(&frames, "nested", str_, "seven", 0).consumed_values(),
        vec![
            Local { slot: 0, kind: Int },
            Operand {
                index: 2,
                kind: Int
            }
        ]
    );
    assert_eq!(
        point(&frames, "makeCtor", "(I)J", "<init>", 0).consumed_values(),
        vec![Local { slot: 0, kind: Int }]
    );
    // A null-typed local takes a reference (and stores null).
    assert_eq!(
        point(&frames, "nullLocal", str_, "mark", 0).consumed_values(),
        vec![
            Local { slot: 0, kind: Int },
            Local {
                slot: 1,
                kind: Reference
            }
        ]
    );
    // uninitializedThis takes nothing, in locals and on the stack.
    let ctor = ClassFile::parse(&read("Frames$Ctor.class")).unwrap();
    assert_eq!(
        point(&ctor, "<init>", "(IJ)V", "helper", 0).consumed_values(),
        vec![
            Local { slot: 1, kind: Int },
            Local {
                slot: 2,
                kind: Long
            },
            Operand {
                index: 1,
                kind: Int
            },
            Operand {
                index: 2,
                kind: Long
            },
        ]
    );
    let many = ClassFile::parse(&read("Many.class")).unwrap();
    assert_eq!(
        point(&many, "many", "(I)I", "mark", 0)
            .consumed_values()
            .len(),
        301
    );
}
