//! Hand-assembled class files for what javac no longer emits (`jsr`/`ret`,
//! version 49 without StackMapTable) and a javac method using `wide`.

mod common;

use portacr_classfile::{frame_types_at, method_instruction_types, ClassFile, VType};

/// Assembles `class T extends java/lang/Object` (version 49) with one static
/// method `m()I` holding `code`.
fn class_with_static_method(code: &[u8], max_stack: u16, max_locals: u16) -> Vec<u8> {
    fn utf8(out: &mut Vec<u8>, s: &str) {
        out.push(1);
        out.extend((s.len() as u16).to_be_bytes());
        out.extend(s.as_bytes());
    }
    let mut c = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 49];
    c.extend(8u16.to_be_bytes()); // constant_pool_count: entries 1..=7
    utf8(&mut c, "T"); // 1
    c.extend([7, 0, 1]); // 2 Class T
    utf8(&mut c, "java/lang/Object"); // 3
    c.extend([7, 0, 3]); // 4 Class java/lang/Object
    utf8(&mut c, "m"); // 5
    utf8(&mut c, "()I"); // 6
    utf8(&mut c, "Code"); // 7
    c.extend([0x00, 0x21, 0, 2, 0, 4, 0, 0, 0, 0]); // flags, this, super, no interfaces, no fields
    c.extend(1u16.to_be_bytes()); // methods_count
    c.extend([0x00, 0x09, 0, 5, 0, 6, 0, 1]); // public static m()I, 1 attribute
    c.extend([0, 7]);
    let length = 2 + 2 + 4 + code.len() + 2 + 2;
    c.extend((length as u32).to_be_bytes());
    c.extend(max_stack.to_be_bytes());
    c.extend(max_locals.to_be_bytes());
    c.extend((code.len() as u32).to_be_bytes());
    c.extend(code);
    c.extend([0, 0, 0, 0]); // no handlers, no attributes
    c.extend([0, 0]); // class attributes
    c
}

#[test]
fn jsr_pushes_a_return_address_and_ret_ends_the_path() {
    let code = [
        0x04, // 0 iconst_1
        0x3B, // 1 istore_0
        0xA8, 0x00, 0x06, // 2 jsr +6 → 8
        0x1A, // 5 iload_0   (reached only by ret)
        0xAC, // 6 ireturn
        0x00, // 7 nop       (unreachable)
        0x4C, // 8 astore_1
        0x84, 0x00, 0x01, // 9 iinc 0 1
        0xA9, 0x01, // 12 ret 1
    ];
    let bytes = class_with_static_method(&code, 1, 2);
    let class = ClassFile::parse(&bytes).unwrap();
    assert_eq!(class.this_class(), "T");
    assert_eq!(class.super_class(), Some("java/lang/Object"));
    let at = |bci| frame_types_at(&class, "m", "()I", bci);
    assert_eq!(at(2).unwrap().locals, vec![VType::Integer, VType::Top]);
    assert_eq!(at(8).unwrap().stack, vec![VType::ReturnAddress(5)]);
    let inside = at(9).unwrap();
    assert_eq!(inside.locals, vec![VType::Integer, VType::ReturnAddress(5)]);
    assert_eq!(inside.contract_encoding(), "L:IA|S:|C:-1");
    // Documented limitation: code reached only through `ret` has no types.
    let after_ret = at(5).unwrap_err().to_string();
    assert!(
        after_ret.contains("T.m()I") && after_ret.contains("at bci 5"),
        "{after_ret}"
    );
    let typed: Vec<u32> = method_instruction_types(&class, class.find_method("m", "()I").unwrap())
        .unwrap()
        .iter()
        .map(|i| i.bci)
        .collect();
    assert_eq!(typed, vec![0, 1, 2, 8, 9, 12]);
}

#[test]
fn dataflow_merges_branches_of_old_class_files() {
    // int m(): x = 0 (I); if (x == 0) { y = 1L } else { y = 2.0 }; here y is Top.
    let code = [
        0x03, // 0 iconst_0
        0x3B, // 1 istore_0
        0x1A, // 2 iload_0
        0x99, 0x00, 0x08, // 3 ifeq +8 → 11
        0x0A, // 6 lconst_1
        0x40, // 7 lstore_1
        0xA7, 0x00, 0x05, // 8 goto +5 → 13
        0x0F, // 11 dconst_1
        0x48, // 12 dstore_1
        0x1A, // 13 iload_0
        0xAC, // 14 ireturn
    ];
    let bytes = class_with_static_method(&code, 2, 3);
    let class = ClassFile::parse(&bytes).unwrap();
    let at = |bci| frame_types_at(&class, "m", "()I", bci).unwrap();
    assert_eq!(at(8).locals, vec![VType::Integer, VType::Long, VType::Top]);
    assert_eq!(at(13).locals, vec![VType::Integer, VType::Top, VType::Top]);
    assert_eq!(at(14).stack, vec![VType::Integer]);
}

#[test]
fn wide_loads_and_stores_beyond_local_255() {
    let mut source =
        String::from("public class Wide { static void mark() {} static double m(long p) {\n");
    for i in 0..140 {
        source.push_str(&format!("long a{i} = p + {i};\n"));
    }
    source
        .push_str("double z = a3 * 2.0; int k = 5; k += 1000; mark(); return z + k + a139; } }\n");
    let dir = common::compile_fixture("wide", "Wide", &source, &["--release", "17"]);
    let class = ClassFile::parse(&std::fs::read(dir.join("Wide.class")).unwrap()).unwrap();
    let method = class.find_method("m", "(J)D").unwrap();
    let code = &method.code().unwrap().code;
    assert!(
        code.contains(&portacr_classfile::bytecode::WIDE),
        "javac used no wide instruction"
    );
    let all = method_instruction_types(&class, method).unwrap();
    let mark = all
        .iter()
        .find(|i| {
            i.types
                .pending_call
                .as_ref()
                .is_some_and(|c| c.name == "mark")
        })
        .unwrap();
    let locals = &mark.types.locals;
    // p, then 140 longs (slots 2..282), then z (282..284), then k (284).
    assert_eq!(locals.len(), 285);
    assert_eq!(
        &locals[280..],
        &[
            VType::Long,
            VType::Top,
            VType::Double,
            VType::Top,
            VType::Integer
        ]
    );
    assert_eq!(
        frame_types_at(&class, "m", "(J)D", mark.bci).unwrap(),
        mark.types
    );
}
