//! Bad-image corpus: one defect per file in tests/corpus/NAME.pcr, each with
//! the exact one-line error in NAME.expected. The files are produced by the
//! generator below; `PORTACR_BLESS=1` rewrites them (review the diff).

mod common;

use common::*;
use portacr_image::layout::HEADER_SIZE;
use portacr_image::*;

fn entry_index(bytes: &[u8], kind: SectionKind) -> usize {
    table(bytes).1.iter().position(|e| e.kind == kind).unwrap()
}

fn with_objects(edit: impl FnOnce(&mut ObjectsEncoder)) -> Vec<u8> {
    let mut parts = sample_parts();
    let mut o = sample_objects();
    edit(&mut o);
    parts.objects = o.into_bytes();
    build(&parts, 3, 64)
}

/// The id step of a raw record after the sample objects (last written: id 8) that gives it
/// id 10: zigzag(10 - 8 - 1).
const STEP_TO_10: u8 = 2;

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let good = golden_zstd();
    let stored = golden_stored();
    let mut v: Vec<(&'static str, Vec<u8>)> = Vec::new();

    v.push(("truncated-header", good[..20].to_vec()));
    v.push(("bad-magic", {
        let mut b = good.clone();
        b[0] = b'X';
        b
    }));
    v.push(("future-major-version", {
        let mut b = good.clone();
        b[8] = 3;
        b
    }));
    v.push(("header-crc-mismatch", {
        let mut b = good.clone();
        b[17] ^= 0x40;
        b
    }));
    v.push(("truncated-file", good[..good.len() - 10].to_vec()));
    v.push(("section-beyond-file", {
        let mut b = good.clone();
        let (_, mut t) = table(&b);
        t[2].offset = 1 << 40;
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("overlapping-sections", {
        let mut b = good.clone();
        let (_, mut t) = table(&b);
        t[1].offset = t[0].offset + 4;
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("unknown-codec", {
        let mut b = good.clone();
        let (_, mut t) = table(&b);
        t[0].codec = 7;
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("unknown-required-section", {
        let mut b = good.clone();
        let (_, mut t) = table(&b);
        t[7].kind = SectionKind(99);
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("reserved-header-flags", {
        let mut b = good.clone();
        edit_header(&mut b, |h| h.flags = 4);
        b
    }));
    v.push(("chunk-crc-mismatch", {
        let mut b = good.clone();
        let e = table(&b).1[entry_index(&b, SectionKind::OBJECTS)];
        b[e.offset as usize + 12 + 5] ^= 0x01; // inside the first frame
        b
    }));
    v.push(("zstd-garbage", {
        let mut b = good.clone();
        let e = table(&b).1[entry_index(&b, SectionKind::OBJECTS)];
        let o = e.offset as usize;
        let len = u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
        for (i, x) in b[o + 12..o + 12 + len].iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        let crc = crc32fast::hash(&b[o + 12..o + 12 + len]);
        b[o + 8..o + 12].copy_from_slice(&crc.to_le_bytes());
        b
    }));
    v.push(("stored-payload-crc-mismatch", {
        let mut b = stored.clone();
        let e = table(&b).1[entry_index(&b, SectionKind::CLASSES)];
        b[e.offset as usize + 20] ^= 0x20;
        b
    }));
    v.push(("dangling-object-id", with_objects(|o| {
        o.push(None, &ObjectBody::RefArray { class: OBJECT_ARRAY, elements: vec![ObjectId(1), ObjectId(900)] });
    })));
    v.push(("duplicate-object-id", with_objects(|o| {
        o.push_with_id(ObjectId(4), None, &ObjectBody::Symbolic(0));
    })));
    v.push(("object-id-above-count", with_objects(|o| {
        o.push_with_id(ObjectId(11), None, &ObjectBody::Symbolic(0));
    })));
    v.push(("overlong-id-step", with_objects(|o| o.push_raw(&[5, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0, 0, 0]))));
    v.push(("reference-word-to-id-0", with_objects(|o| {
        // Word 20 is zigzag(-10) + 1: the record (id 10) minus 10, id 0.
        o.push_raw(&[3, STEP_TO_10]);
        o.push_raw(&OBJECT_ARRAY.to_le_bytes());
        o.push_raw(&1u32.to_le_bytes());
        o.push_raw(&20u32.to_le_bytes());
    })));
    v.push(("class-index-out-of-range", with_objects(|o| {
        o.push(None, &ObjectBody::Instance { class: 9000, values: vec![] });
    })));
    v.push(("absurd-string-length", with_objects(|o| {
        o.push_raw(&[4, STEP_TO_10, 0]);
        o.push_raw(&0xffff_fff0u32.to_le_bytes());
        o.push_raw(b"abc");
    })));
    v.push(("string-longer-than-payload", with_objects(|o| {
        o.push_raw(&[4, STEP_TO_10, 0]);
        o.push_raw(&0x7000_0000u32.to_le_bytes());
        o.push_raw(b"abc");
    })));
    v.push(("absurd-array-length", with_objects(|o| {
        o.push_raw(&[2, STEP_TO_10]);
        o.push_raw(&INT_ARRAY.to_le_bytes());
        o.push_raw(&0xffff_ffffu32.to_le_bytes());
    })));
    v.push(("unknown-object-kind", with_objects(|o| o.push_raw(&[9, STEP_TO_10, 0, 0, 0, 0]))));
    v.push(("reserved-tag-bits", with_objects(|o| o.push_raw(&[0x15, STEP_TO_10, 0, 0, 0, 0]))));
    v.push(("prim-array-of-ref-array-class", with_objects(|o| {
        o.push(None, &ObjectBody::PrimArray { class: OBJECT_ARRAY, elem: PrimKind::Int, data: &[0; 4] });
    })));
    v.push(("symref-index-out-of-range", with_objects(|o| {
        o.push(None, &ObjectBody::Symbolic(5));
    })));
    v.push(("absurd-bincode-vec-length", {
        // CLASSES claims 2^60 records.
        let mut parts = sample_parts();
        parts.classes.clear();
        let mut b = build(&parts, 0, 64);
        let e = table(&b).1[entry_index(&b, SectionKind::CLASSES)];
        let o = e.offset as usize;
        b[o..o + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
        let mut t = table(&b).1;
        let i = entry_index(&b, SectionKind::CLASSES);
        t[i].raw_crc32 = crc32fast::hash(&b[o..o + e.stored_length as usize]);
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("absurd-bincode-string-length", {
        // The first string of PLATFORM ("linux") claims 2^40 bytes.
        let mut b = stored.clone();
        let i = entry_index(&b, SectionKind::PLATFORM);
        let e = table(&b).1[i];
        let o = e.offset as usize;
        b[o..o + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        let mut t = table(&b).1;
        t[i].raw_crc32 = crc32fast::hash(&b[o..o + e.stored_length as usize]);
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("superclass-not-below-class", {
        let mut parts = sample_parts();
        parts.classes[POINT as usize].super_class = Some(POINT3);
        build(&parts, 3, 64)
    }));
    v.push(("bad-field-descriptor", {
        let mut parts = sample_parts();
        parts.classes[POINT3 as usize].fields[7].descriptor = "Ldemo/Point".into();
        build(&parts, 3, 64)
    }));
    v.push(("statics-wrong-count", {
        let mut parts = sample_parts();
        let mut s = StaticsEncoder::new();
        s.push(POINT, &[FieldValue::Int(2)]);
        parts.statics = s.into_bytes();
        build(&parts, 3, 64)
    }));
    v.push(("frame-class-out-of-range", {
        let mut parts = sample_parts();
        parts.threads[0].frames[1].class = 77;
        build(&parts, 3, 64)
    }));
    v.push(("dangling-monitor-object", {
        let mut parts = sample_parts();
        parts.threads[0].frames[0].monitors[0].object = ObjectId(10);
        build(&parts, 3, 64)
    }));
    v.push(("long-without-top", {
        let mut parts = sample_parts();
        parts.threads[0].frames[0].locals[2] = Value::Int(0);
        build(&parts, 3, 64)
    }));
    v.push(("dangling-resource", {
        let mut parts = sample_parts();
        parts.resources.resources.push(ObjectId(4000));
        build(&parts, 3, 64)
    }));
    v.push(("missing-section", {
        let mut b = good.clone();
        let (_, mut t) = table(&b);
        t.retain(|e| e.kind != SectionKind::THREADS);
        rewrite_table(&mut b, &t);
        b
    }));
    v.push(("empty-file", Vec::new()));
    v.push(("zero-header", vec![0u8; HEADER_SIZE]));
    v
}

#[test]
fn corpus_files_produce_expected_errors() {
    let dir = test_dir("corpus");
    let mut failures = Vec::new();
    for (name, bytes) in cases() {
        let pcr = dir.join(format!("{name}.pcr"));
        let expected = dir.join(format!("{name}.expected"));
        let actual = first_error(&bytes);
        assert_ne!(actual, "ok", "{name}: the defect was not detected");
        if bless() {
            std::fs::write(&pcr, &bytes).unwrap();
            std::fs::write(&expected, format!("{actual}\n")).unwrap();
            continue;
        }
        let committed = std::fs::read(&pcr).unwrap_or_else(|e| panic!("{}: {e}", pcr.display()));
        if committed != bytes {
            failures.push(format!("{name}: committed file differs from the generator"));
        }
        // The committed file, not the generated bytes, is what must keep failing this way.
        let got = first_error(&committed);
        let want = std::fs::read_to_string(&expected).unwrap();
        if got != want.trim_end() {
            failures.push(format!("{name}:\n  want {}\n  got  {got}", want.trim_end()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_are_one_line() {
    for (name, bytes) in cases() {
        let e = first_error(&bytes);
        assert!(!e.contains('\n'), "{name}: {e}");
    }
}
