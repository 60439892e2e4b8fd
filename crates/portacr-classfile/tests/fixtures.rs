//! Frame types in Java fixtures compiled by javac at test time. Bcis are
//! found by scanning the bytecode for specific invokes, never hard-coded.

mod common;

use portacr_classfile::bytecode::{self, instructions};
use portacr_classfile::{frame_types_at, ClassFile, Constant, FrameTypes, InvokeKind, VType};

const FIXTURE: &str = r#"
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

public class Fixture {
    long field;

    Fixture(int a, long b) {
        this(a, b, helper(a));
    }

    Fixture(int a, long b, int c) {
        super();
        mark("ctor");
        field = b + c;
    }

    static int helper(int x) { return x + 1; }
    static void mark(String what) {}
    static int f() { return 7; }
    static long g(long x, double y) { return x; }

    static class Pair { Pair(int a, int b) {} }

    static int loops(int n) {
        int sum = 0;
        for (int i = 0; i < n; i++) {
            double d = i * 1.5;
            sum += (int) d;
            mark("loop");
        }
        mark("after-loop");
        int j = 0;
        while (true) {
            if (j++ > n) break;
            mark("while");
        }
        return sum;
    }

    static String switches(int k, String s) {
        switch (k) {
            case 0: mark("case0"); return "a";
            case 1: case 2: return "b";
            case 3: return "c";
        }
        switch (k) {
            case -5: mark("sparse"); break;
            case 1000: return "d";
        }
        switch (s) {
            case "x": mark("string-case"); return "x";
            default: return "y";
        }
    }

    static long tryCatch(long a, float f) {
        long r = a;
        try {
            r = a * 2;
            mark("in-try");
        } catch (IllegalStateException e) {
            mark("in-catch");
            r = -1;
        } finally {
            mark("in-finally");
        }
        return r;
    }

    static Pair nested(int a) {
        return new Pair(a, f());
    }

    static long longs(long x, double y) {
        return x + g(x, y);
    }

    static int lambdas(int base) {
        IntUnaryOperator op = v -> v + base;
        Supplier<String> s = () -> "x";
        return op.applyAsInt(3) + s.get().length();
    }

    static int arrays(int n) {
        int[][] grid = new int[n][n];
        String[] names = new String[n];
        long[] ls = new long[2];
        grid[0][0] = names.length;
        mark("arrays");
        Object o = names;
        if (o instanceof String[]) {
            String[] back = (String[]) o;
            mark("cast");
        }
        return grid[0][0] + (int) ls[1] + names[0].length();
    }

    synchronized void monitors(Object lock) {
        synchronized (lock) {
            mark("sync");
        }
    }

    static Object constants() {
        Object a = Fixture.class;
        float f = 3.5f;
        long l = 123456789012L;
        double d = 2.5e10;
        int i = 1234567;
        mark("constants");
        return a;
    }
}
"#;

struct Compiled {
    class: ClassFile,
    pair: ClassFile,
}

fn compile(release: &str) -> Compiled {
    let dir = common::compile_fixture(
        &format!("fixture-{release}"),
        "Fixture",
        FIXTURE,
        &["--release", release],
    );
    let read = |name: &str| ClassFile::parse(&std::fs::read(dir.join(name)).unwrap()).unwrap();
    Compiled {
        class: read("Fixture.class"),
        pair: read("Fixture$Pair.class"),
    }
}

fn r(name: &str) -> VType {
    VType::Reference(name.into())
}

/// Bcis of the invokes of `callee` in `method` (first method of that name).
fn invokes_of(class: &ClassFile, method: &str, callee: &str) -> Vec<(String, u32)> {
    let m = class.methods().iter().find(|m| m.name() == method).unwrap();
    let code = &m.code().unwrap().code;
    let mut found = Vec::new();
    for item in instructions(code) {
        let (bci, opcode) = item.unwrap();
        if bytecode::is_invoke(opcode) {
            let index = u16::from_be_bytes([code[bci as usize + 1], code[bci as usize + 2]]);
            let name = if opcode == bytecode::INVOKEDYNAMIC {
                class.constant_pool.dynamic_name_and_type(index).unwrap().0
            } else {
                class.constant_pool.member_ref(index).unwrap().name
            };
            if name == callee {
                found.push((m.descriptor().to_owned(), bci));
            }
        }
    }
    assert!(!found.is_empty(), "no invoke of {callee} in {method}");
    found
}

/// Types at every `mark("tag")` call of `method` (a name, or name and
/// descriptor `<init>(IJI)V`), with the tag read from the `ldc` just before
/// the call.
fn marks(class: &ClassFile, method: &str, tag: &str) -> Vec<FrameTypes> {
    let (method, descriptor) = method.split_at(method.find('(').unwrap_or(method.len()));
    let m = class
        .methods()
        .iter()
        .find(|m| m.name() == method && (descriptor.is_empty() || m.descriptor() == descriptor))
        .unwrap();
    let code = &m.code().unwrap().code;
    let all: Vec<(u32, u8)> = instructions(code).map(|i| i.unwrap()).collect();
    let mut found = Vec::new();
    for pair in all.windows(2) {
        let ((ldc_bci, ldc), (call_bci, _)) = (pair[0], pair[1]);
        if ldc != bytecode::LDC {
            continue;
        }
        let Constant::String { string_index } = class
            .constant_pool
            .get(code[ldc_bci as usize + 1] as u16)
            .unwrap()
        else {
            continue;
        };
        if class.constant_pool.utf8(*string_index).unwrap() == tag {
            let types = frame_types_at(class, method, m.descriptor(), call_bci).unwrap();
            let call = types.pending_call.as_ref().expect("mark is an invoke");
            assert_eq!((call.name.as_str(), call.arg_slots), ("mark", 1));
            assert_eq!(types.stack.last(), Some(&r("java/lang/String")));
            found.push(types);
        }
    }
    assert!(!found.is_empty(), "no mark({tag:?}) in {method}");
    found
}

fn for_each_release(check: impl Fn(&Compiled)) {
    for release in ["8", "17"] {
        check(&compile(release));
    }
}

#[test]
fn loops_keep_loop_variables_and_chop_them_after() {
    for_each_release(|c| {
        let t = &marks(&c.class, "loops", "loop")[0];
        assert_eq!(
            &t.locals[..5],
            &[
                VType::Integer,
                VType::Integer,
                VType::Integer,
                VType::Double,
                VType::Top
            ]
        );
        assert!(t.stack_without_call_arguments().is_empty());
        let after = &marks(&c.class, "loops", "after-loop")[0];
        assert_eq!(
            &after.locals[..4],
            &[VType::Integer, VType::Integer, VType::Top, VType::Top]
        );
        let w = &marks(&c.class, "loops", "while")[0];
        assert_eq!(
            &w.locals[..3],
            &[VType::Integer, VType::Integer, VType::Integer]
        );
    });
}

#[test]
fn switches_table_lookup_and_string() {
    for_each_release(|c| {
        let m = c
            .class
            .methods()
            .iter()
            .find(|m| m.name() == "switches")
            .unwrap();
        let opcodes: Vec<u8> = instructions(&m.code().unwrap().code)
            .map(|i| i.unwrap().1)
            .collect();
        assert!(
            opcodes.contains(&bytecode::TABLESWITCH) && opcodes.contains(&bytecode::LOOKUPSWITCH)
        );
        for tag in ["case0", "sparse", "string-case"] {
            let t = &marks(&c.class, "switches", tag)[0];
            assert_eq!(
                &t.locals[..2],
                &[VType::Integer, r("java/lang/String")],
                "{tag}"
            );
            assert_eq!(t.stack.len(), 1, "{tag}");
        }
    });
}

#[test]
fn try_catch_finally_types_the_exception_and_wide_locals() {
    for_each_release(|c| {
        let caught = &marks(&c.class, "tryCatch", "in-catch")[0];
        assert_eq!(
            &caught.locals[..6],
            &[
                VType::Long,
                VType::Top,
                VType::Float,
                VType::Long,
                VType::Top,
                r("java/lang/IllegalStateException")
            ]
        );
        let tried = &marks(&c.class, "tryCatch", "in-try")[0];
        assert_eq!(
            &tried.locals[..5],
            &[
                VType::Long,
                VType::Top,
                VType::Float,
                VType::Long,
                VType::Top
            ]
        );
        // javac copies the finally block onto each path; on the exceptional
        // one a local holds the Throwable being rethrown.
        let finals = marks(&c.class, "tryCatch", "in-finally");
        assert!(
            finals.len() >= 3,
            "{} copies of the finally block",
            finals.len()
        );
        assert!(finals
            .iter()
            .any(|t| t.locals.contains(&r("java/lang/Throwable"))));
    });
}

#[test]
fn nested_new_is_uninitialized_on_the_stack_at_the_inner_call() {
    for_each_release(|c| {
        let m = c
            .class
            .methods()
            .iter()
            .find(|m| m.name() == "nested")
            .unwrap();
        let code = &m.code().unwrap().code;
        let new_bci = instructions(code)
            .map(|i| i.unwrap())
            .find(|(_, op)| *op == bytecode::NEW)
            .unwrap()
            .0;
        let (descriptor, bci) = invokes_of(&c.class, "nested", "f")[0].clone();
        let t = frame_types_at(&c.class, "nested", &descriptor, bci).unwrap();
        let u = VType::Uninitialized(new_bci);
        assert_eq!(t.stack, vec![u.clone(), u.clone(), VType::Integer]);
        assert_eq!(t.pending_call.as_ref().unwrap().arg_slots, 0);
        assert_eq!(
            t.pending_call.as_ref().unwrap().returns,
            Some(VType::Integer)
        );
        let (_, init) = invokes_of(&c.class, "nested", "<init>")[0].clone();
        let t = frame_types_at(&c.class, "nested", &descriptor, init).unwrap();
        assert_eq!(t.stack, vec![u.clone(), u, VType::Integer, VType::Integer]);
        let call = t.pending_call.unwrap();
        assert_eq!(
            (call.kind, call.owner.as_deref(), call.arg_slots),
            (InvokeKind::Special, Some("Fixture$Pair"), 3)
        );
        assert_eq!(
            t.stack.len() - call.arg_slots,
            1,
            "the dup'ed new stays in the frame"
        );
        // The nested class's own constructor starts with an uninitialized this.
        let init = c.pair.find_method("<init>", "(II)V").unwrap();
        assert_eq!(init.max_locals(), Some(3));
        let t = frame_types_at(&c.pair, "<init>", "(II)V", 0).unwrap();
        assert_eq!(
            t.locals,
            vec![VType::UninitializedThis, VType::Integer, VType::Integer]
        );
    });
}

#[test]
fn constructors_uninitialized_this_until_the_constructor_call() {
    for_each_release(|c| {
        let (descriptor, bci) = invokes_of(&c.class, "<init>", "helper")[0].clone();
        assert_eq!(descriptor, "(IJ)V");
        let t = frame_types_at(&c.class, "<init>", &descriptor, bci).unwrap();
        assert_eq!(
            &t.locals[..4],
            &[
                VType::UninitializedThis,
                VType::Integer,
                VType::Long,
                VType::Top
            ]
        );
        assert_eq!(
            t.stack,
            vec![
                VType::UninitializedThis,
                VType::Integer,
                VType::Long,
                VType::Top,
                VType::Integer
            ]
        );
        let (_, init) = invokes_of(&c.class, "<init>", "<init>")[0].clone();
        let t = frame_types_at(&c.class, "<init>", &descriptor, init).unwrap();
        assert_eq!(t.pending_call.as_ref().unwrap().arg_slots, 5);
        assert_eq!(t.pending_call.as_ref().unwrap().returns, None);
        // After super(): this is initialized.
        let m = c.class.find_method("<init>", "(IJI)V").unwrap();
        assert!(m.code().is_some());
        let after = marks(&c.class, "<init>(IJI)V", "ctor");
        assert_eq!(after[0].locals[0], r("Fixture"));
    });
}

#[test]
fn longs_and_doubles_take_two_stack_slots_and_args_split() {
    for_each_release(|c| {
        let (descriptor, bci) = invokes_of(&c.class, "longs", "g")[0].clone();
        let t = frame_types_at(&c.class, "longs", &descriptor, bci).unwrap();
        assert_eq!(
            t.stack,
            vec![
                VType::Long,
                VType::Top,
                VType::Long,
                VType::Top,
                VType::Double,
                VType::Top
            ]
        );
        assert_eq!(t.stack_without_call_arguments(), &[VType::Long, VType::Top]);
        assert_eq!(t.pending_call.as_ref().unwrap().returns, Some(VType::Long));
        assert_eq!(t.contract_encoding(), "L:JTDT|S:JTJTDT|C:4");
    });
}

#[test]
fn invokedynamic_and_interface_calls() {
    for_each_release(|c| {
        let (descriptor, bci) = invokes_of(&c.class, "lambdas", "applyAsInt")
            .into_iter()
            .find(|(d, b)| {
                frame_types_at(&c.class, "lambdas", d, *b)
                    .unwrap()
                    .pending_call
                    .unwrap()
                    .kind
                    == InvokeKind::Dynamic
            })
            .unwrap();
        let t = frame_types_at(&c.class, "lambdas", &descriptor, bci).unwrap();
        let call = t.pending_call.clone().unwrap();
        assert_eq!((call.owner, call.arg_slots), (None, 1), "the captured int");
        assert_eq!(call.returns, Some(r("java/util/function/IntUnaryOperator")));
        let calls: Vec<_> = invokes_of(&c.class, "lambdas", "applyAsInt")
            .into_iter()
            .map(|(d, b)| {
                frame_types_at(&c.class, "lambdas", &d, b)
                    .unwrap()
                    .pending_call
                    .unwrap()
            })
            .collect();
        let interface = calls
            .iter()
            .find(|c| c.kind == InvokeKind::Interface)
            .unwrap();
        assert_eq!(interface.arg_slots, 2);
        assert_eq!(
            interface.owner.as_deref(),
            Some("java/util/function/IntUnaryOperator")
        );
        let (d, b) = invokes_of(&c.class, "lambdas", "length")[0].clone();
        let t = frame_types_at(&c.class, "lambdas", &d, b).unwrap();
        assert_eq!(
            t.stack,
            vec![VType::Integer, r("java/lang/String")],
            "checkcast result"
        );
    });
}

#[test]
fn arrays_multianewarray_aaload_instanceof_checkcast() {
    for_each_release(|c| {
        let t = &marks(&c.class, "arrays", "arrays")[0];
        assert_eq!(
            &t.locals[..4],
            &[VType::Integer, r("[[I"), r("[Ljava/lang/String;"), r("[J")]
        );
        let cast = &marks(&c.class, "arrays", "cast")[0];
        assert!(
            cast.locals[5..].contains(&r("[Ljava/lang/String;")),
            "{:?}",
            cast.locals
        );
        let (d, b) = invokes_of(&c.class, "arrays", "length")[0].clone();
        let t = frame_types_at(&c.class, "arrays", &d, b).unwrap();
        assert_eq!(
            t.stack,
            vec![VType::Integer, r("java/lang/String")],
            "aaload of String[]"
        );
    });
}

#[test]
fn monitors_and_constants() {
    for_each_release(|c| {
        let t = &marks(&c.class, "monitors", "sync")[0];
        assert_eq!(
            &t.locals[..3],
            &[r("Fixture"), r("java/lang/Object"), r("java/lang/Object")]
        );
        let t = &marks(&c.class, "constants", "constants")[0];
        assert_eq!(
            t.locals,
            vec![
                r("java/lang/Class"),
                VType::Float,
                VType::Long,
                VType::Top,
                VType::Double,
                VType::Top,
                VType::Integer
            ]
        );
    });
}

#[test]
fn errors_name_the_method_and_bci() {
    let c = compile("17");
    let missing = frame_types_at(&c.class, "nope", "()V", 0).unwrap_err();
    assert_eq!(missing.to_string(), "method Fixture.nope()V not found");
    let (d, b) = invokes_of(&c.class, "longs", "g")[0].clone();
    let inside = frame_types_at(&c.class, "longs", &d, b + 1).unwrap_err();
    assert!(
        inside.to_string().contains(&format!("at bci {}", b + 1)),
        "{inside}"
    );
    assert!(
        inside.to_string().contains("Fixture.longs(JD)J"),
        "{inside}"
    );
}
