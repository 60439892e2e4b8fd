//! Corrupt class files must give errors, never panics, hangs or huge
//! allocations: thousands of seeded mutations of real class files are parsed
//! and, when they still parse, typed at every instruction.

mod common;

use portacr_classfile::{method_frame_types_at, method_instruction_types, ClassFile};

/// xorshift64*: deterministic, so a failure names a reproducible seed.
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
}

fn mutate(original: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(7) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next() as u8,
            2 => bytes[at] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)],
            3 => bytes.truncate(at),
            4 => {
                let extra = rng.next().to_be_bytes();
                let len = 1 + rng.below(8);
                bytes.splice(at..at, extra[..len].iter().copied());
            }
            5 => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                // A big-endian u16 set to an extreme: counts, indices, lengths.
                if at + 1 < bytes.len() {
                    let value: u16 = [0, 1, 0xFFFF, 0x8000, 0x7FFF][rng.below(5)];
                    bytes[at..at + 2].copy_from_slice(&value.to_be_bytes());
                }
            }
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

/// Everything a caller may do with a class; errors are fine, panics are not.
fn exercise(bytes: &[u8]) -> usize {
    let Ok(class) = ClassFile::parse(bytes) else {
        return 0;
    };
    let _ = (
        class.this_class(),
        class.super_class(),
        class.interfaces(),
        class.fields(),
    );
    let mut typed = 0;
    for method in class.methods() {
        let _ = class.find_method(method.name(), method.descriptor());
        if let Ok(all) = method_instruction_types(&class, method) {
            typed += all.len();
        }
        if let Some(length) = method.code_length() {
            for bci in [0, length / 3, length / 2, length.saturating_sub(1), length] {
                let _ = method_frame_types_at(&class, method, bci);
            }
        }
    }
    typed
}

#[test]
fn mutated_class_files_never_panic() {
    let mut corpus: Vec<Vec<u8>> =
        common::jdk_classes("util-lang", r"/java.base/java/(util|lang)/[^/]*\.class")
            .into_iter()
            .filter(|(name, _)| {
                [
                    "java/util/ArrayList",
                    "java/lang/Integer",
                    "java/util/HashMap$TreeNode",
                    "java/lang/invoke",
                ]
                .iter()
                .any(|p| name.starts_with(p))
                    || name == "java/util/Objects"
            })
            .map(|(_, bytes)| bytes)
            .collect();
    let fixtures = common::compile_fixture(
        "mutation-seed",
        "Seed",
        "public class Seed { long l; static int s(int n) { int t = 0; for (int i = 0; i < n; i++) \
         { switch (i) { case 1: t += 2; break; case 7: t--; break; default: t ^= i; } \
         try { t += Integer.parseInt(\"1\"); } catch (RuntimeException e) { t = 0; } } \
         Runnable r = () -> {}; return t + new long[n].length; } }",
        &["--release", "17"],
    );
    corpus.push(std::fs::read(fixtures.join("Seed.class")).unwrap());
    assert!(corpus.len() >= 4);

    let mut parsed = 0usize;
    let mut typed = 0usize;
    let rounds = 10_000;
    for round in 0..rounds {
        let seed = 0x9E37_79B9_7F4A_7C15u64 ^ (round as u64).wrapping_mul(0x1000_0000_01B3);
        let mut rng = Rng(seed | 1);
        let original = &corpus[round % corpus.len()];
        let mutated = mutate(original, &mut rng);
        let outcome = std::panic::catch_unwind(|| exercise(&mutated));
        match outcome {
            Ok(n) => {
                parsed += ClassFile::parse(&mutated).is_ok() as usize;
                typed += n;
            }
            Err(_) => panic!(
                "panic on round {round} (seed {seed:#x}); {} bytes",
                mutated.len()
            ),
        }
    }
    eprintln!("{rounds} mutations: {parsed} still parsed, {typed} instructions typed");
    // The mutations must reach the analysis, not only the header checks.
    assert!(parsed > rounds / 10, "only {parsed} mutated classes parsed");
    assert!(typed > 10_000, "only {typed} instructions typed");
}

#[test]
fn truncations_at_every_length_are_errors() {
    let classes = common::jdk_classes("util-lang", r"/java.base/java/(util|lang)/[^/]*\.class");
    let (_, bytes) = classes
        .iter()
        .find(|(n, _)| n == "java/util/Objects")
        .unwrap();
    assert!(ClassFile::parse(bytes).is_ok());
    for len in 0..bytes.len() {
        assert!(
            ClassFile::parse(&bytes[..len]).is_err(),
            "truncated to {len} bytes parsed"
        );
    }
}

#[test]
fn bad_inputs_give_one_line_errors() {
    let cases: [(&[u8], &str); 4] = [
        (b"", "class file truncated while reading magic: needed 4 bytes at offset 0x0, 0 available"),
        (b"\xCA\xFE\xBA\xBF\x00\x00\x00\x34", "not a class file: magic is 0xcafebabf, expected 0xcafebabe"),
        (b"\xCA\xFE\xBA\xBE\x00\x00\x00\x34\x00\x00", "malformed constant pool: constant_pool_count is 0 (at offset 0x8)"),
        (
            b"\xCA\xFE\xBA\xBE\x00\x00\x00\x34\xFF\xFF\x01",
            "class file truncated while reading constant pool: needed 196602 bytes at offset 0xa, 1 available",
        ),
    ];
    for (bytes, message) in cases {
        assert_eq!(ClassFile::parse(bytes).unwrap_err().to_string(), message);
    }
}
