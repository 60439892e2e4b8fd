//! Deterministic generator of sample images, shared by the golden, corpus and
//! mutation tests. Changing what it produces changes golden bytes: bless
//! (`PORTACR_BLESS=1`) only for a new format version, never to hide a diff.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use portacr_image::layout::{FileHeader, SectionEntry, HEADER_SIZE, SECTION_ENTRY_SIZE};
use portacr_image::*;

pub const ACC_PUBLIC: u16 = 1;

pub fn field(name: &str, descriptor: &str, access_flags: u16) -> FieldRecord {
    FieldRecord { name: name.into(), descriptor: descriptor.into(), access_flags }
}

pub fn class(name: &str, super_class: Option<u32>, flags: u32, fields: Vec<FieldRecord>) -> ClassRecord {
    ClassRecord {
        name: name.into(),
        loader: if flags & CLASS_FLAG_APPLICATION != 0 { LoaderRef::App } else { LoaderRef::Boot },
        flags,
        access_flags: ACC_PUBLIC,
        digest: if flags & CLASS_FLAG_APPLICATION != 0 { Some([0xab; 32]) } else { None },
        super_class,
        interfaces: vec![],
        fields,
        init_state: InitState::Initialized,
    }
}

/// Everything an image holds, before encoding; tests edit it to make defects.
#[derive(Clone)]
pub struct Parts {
    pub platform: SourcePlatform,
    pub launch: LaunchInfo,
    pub classes: Vec<ClassRecord>,
    pub symrefs: Vec<SymbolicRef>,
    pub objects: Vec<u8>,
    pub statics: Vec<u8>,
    pub threads: Vec<ThreadRecord>,
    pub resources: ResourceList,
}

pub const OBJECT: u32 = 0;
pub const POINT: u32 = 1;
pub const POINT3: u32 = 2;
pub const INT_ARRAY: u32 = 3;
pub const OBJECT_ARRAY: u32 = 4;
pub const BOOL_ARRAY: u32 = 5;
pub const SHAPE: u32 = 6;
pub const MAIN: u32 = 7;

pub fn sample_classes() -> Vec<ClassRecord> {
    let mut shape = class("demo/Shape", None, CLASS_FLAG_APPLICATION | CLASS_FLAG_INTERFACE | CLASS_FLAG_HAS_STATICS, vec![field("UNIT", "D", 0x19)]);
    shape.super_class = Some(OBJECT);
    let mut point3 = class(
        "demo/Point3",
        Some(POINT),
        CLASS_FLAG_APPLICATION,
        vec![
            field("z", "J", 0),
            field("w", "D", 0),
            field("f", "F", 0),
            field("b", "Z", 0),
            field("by", "B", 0),
            field("c", "C", 0),
            field("s", "S", 0),
            field("next", "Ldemo/Point;", 0),
        ],
    );
    point3.interfaces = vec!["demo/Shape".into()];
    vec![
        class("java/lang/Object", None, 0, vec![]),
        class(
            "demo/Point",
            Some(OBJECT),
            CLASS_FLAG_APPLICATION | CLASS_FLAG_HAS_STATICS,
            vec![
                field("x", "I", 0),
                field("count", "I", 0x0008),
                field("y", "I", 0),
                field("ORIGIN", "Ldemo/Point;", 0x0018),
            ],
        ),
        point3,
        class("[I", Some(OBJECT), CLASS_FLAG_ARRAY, vec![]),
        class("[Ljava/lang/Object;", Some(OBJECT), CLASS_FLAG_ARRAY, vec![]),
        class("[Z", Some(OBJECT), CLASS_FLAG_ARRAY, vec![]),
        shape,
        class("demo/Main", Some(OBJECT), CLASS_FLAG_APPLICATION, vec![]),
    ]
}

/// The order in which the 2.x golden image writes objects 1..=9: not their id order, as
/// the capture's depth-first walk writes them (spec/image-format.md §7.3).
pub const V2_ORDER: [u32; 9] = [1, 2, 4, 6, 5, 3, 7, 9, 8];

/// Objects 1..=9, in 2.x form, in the order [`V2_ORDER`].
pub fn sample_objects() -> ObjectsEncoder {
    sample_objects_in(ObjectsEncoder::new(), &V2_ORDER)
}

/// Objects 1..=9 in 1.x form (id order).
pub fn sample_objects_v1() -> ObjectsEncoder {
    sample_objects_in(ObjectsEncoder::v1(), &[1, 2, 3, 4, 5, 6, 7, 8, 9])
}

fn sample_objects_in(mut o: ObjectsEncoder, order: &[u32]) -> ObjectsEncoder {
    let ints: Vec<u8> = [1i32, -1, 65536].iter().flat_map(|v| v.to_le_bytes()).collect();
    let utf16: Vec<u8> = "π≈3".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    for &id in order {
        let (hash, body) = match id {
            // 1: Point(3, 4)
            1 => (None, ObjectBody::Instance { class: POINT, values: vec![FieldValue::Int(3), FieldValue::Int(4)] }),
            // 2: Point3, hashed, every primitive type, NaN with payload, next -> 1
            2 => (
                Some(0x1234_5678),
                ObjectBody::Instance {
                    class: POINT3,
                    values: vec![
                        FieldValue::Int(-1),
                        FieldValue::Int(i32::MAX),
                        FieldValue::Long(i64::MIN),
                        FieldValue::Double(0x7ff8_0000_0000_0001),
                        FieldValue::Float(0x3fc0_0000),
                        FieldValue::Boolean(1),
                        FieldValue::Byte(-128),
                        FieldValue::Char(0x20ac),
                        FieldValue::Short(-2),
                        FieldValue::Ref(ObjectId(1)),
                    ],
                },
            ),
            // 3: int[] {1, -1, 65536}
            3 => (None, ObjectBody::PrimArray { class: INT_ARRAY, elem: PrimKind::Int, data: &ints }),
            // 4: Object[] {1, null, 5, 6}
            4 => (
                Some(7),
                ObjectBody::RefArray { class: OBJECT_ARRAY, elements: vec![ObjectId(1), ObjectId(0), ObjectId(5), ObjectId(6)] },
            ),
            // 5: "hello" Latin-1, interned
            5 => (None, ObjectBody::String { interned: true, utf16: false, chars: b"h\xe9llo" }),
            // 6: "π≈3" UTF-16
            6 => (None, ObjectBody::String { interned: false, utf16: true, chars: &utf16 }),
            // 7: the Class object of demo.Point
            7 => (None, ObjectBody::Symbolic(0)),
            // 8: boolean[] {true, false}
            8 => (None, ObjectBody::PrimArray { class: BOOL_ARRAY, elem: PrimKind::Boolean, data: &[1, 0] }),
            // 9: the current thread
            _ => (None, ObjectBody::Symbolic(1)),
        };
        o.push_with_id(ObjectId(id), hash, &body);
    }
    o
}

pub fn sample_statics() -> StaticsEncoder {
    let mut s = StaticsEncoder::new();
    s.push(POINT, &[FieldValue::Int(2), FieldValue::Ref(ObjectId(1))]);
    s.push(SHAPE, &[FieldValue::Double(1.0f64.to_bits())]);
    s
}

pub fn sample_parts() -> Parts {
    Parts {
        platform: SourcePlatform {
            os: "linux".into(),
            arch: "x86_64".into(),
            jvm_vendor: "Debian".into(),
            jvm_name: "OpenJDK 64-Bit Server VM".into(),
            jvm_version: "17.0.16+8-Debian-1deb12u1".into(),
            java_spec_version: 17,
            gc: "G1".into(),
            max_heap: 512 << 20,
            initial_heap: 64 << 20,
            compressed_oops: true,
            compact_headers: false,
            cpu_count: 2,
            cpu_features: 0x1_dead_beef,
            pid: 4242,
            boot_time_ms: 1_763_892_900_000,
            restore_time_ms: 1_763_892_900_000,
            checkpoint_time_ms: 1_763_892_901_234,
            nano_time: 9_007_199_254_740_993, // 2^53 + 1: exercises exact JSON longs
            generation: 1,
            uuid: [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07],
            hostname: "builder".into(),
        },
        launch: LaunchInfo {
            java_home: "/usr/lib/jvm/java-17-openjdk-amd64".into(),
            java_binary: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java".into(),
            class_path: "app.jar:lib/x.jar".into(),
            module_path: None,
            main_class: "demo.Main".into(),
            arguments: vec!["--size".into(), "10".into()],
            jvm_options: vec!["-Xmx512m".into()],
            system_properties: vec![("user.language".into(), "en".into()), ("demo.mode".into(), "π".into())],
            working_dir: "/srv/app".into(),
        },
        classes: sample_classes(),
        symrefs: vec![SymbolicRef::ClassMirror { class: POINT }, SymbolicRef::CurrentThread],
        objects: sample_objects().into_bytes(),
        statics: sample_statics().into_bytes(),
        threads: vec![ThreadRecord {
            name: "main".into(),
            thread_object: ObjectId(9),
            daemon: false,
            priority: 5,
            state: 0x0005,
            frames: vec![
                FrameRecord {
                    class: MAIN,
                    method_name: "main".into(),
                    method_descriptor: "([Ljava/lang/String;)V".into(),
                    method_access_flags: 0x0009,
                    bci: 17,
                    locals: vec![
                        Value::Ref(ObjectId(4)),
                        Value::Long(-5_000_000_000),
                        Value::Top,
                        Value::Double(0x4009_21fb_5444_2d18),
                        Value::Top,
                        Value::Float(0x7fc0_0001),
                        Value::Int(-7),
                        Value::ReturnAddress(33),
                        Value::Raw(0xdead_beef_0000_0001),
                    ],
                    operands: vec![Value::Ref(ObjectId(5)), Value::Uninitialized { new_bci: 9, object: ObjectId(1) }],
                    monitors: vec![MonitorRecord { object: ObjectId(2), count: 2 }],
                    kind: FrameKind::Java,
                },
                FrameRecord {
                    class: POINT,
                    method_name: "<init>".into(),
                    method_descriptor: "(II)V".into(),
                    method_access_flags: 0x0001,
                    bci: 4,
                    locals: vec![Value::UninitializedThis(ObjectId(1)), Value::Int(3), Value::Int(4)],
                    operands: vec![],
                    monitors: vec![],
                    kind: FrameKind::Java,
                },
            ],
        }],
        resources: ResourceList { resources: vec![ObjectId(2), ObjectId(6)] },
    }
}

/// Encodes `parts`; `chunk` is the chunk raw size (small to get many chunks).
pub fn build(parts: &Parts, zstd_level: i32, chunk: usize) -> Vec<u8> {
    build_as(parts, zstd_level, chunk, false)
}

/// [`build`], as a format 1.0 file when `format_1` (`parts.objects` must then be 1.x).
pub fn build_as(parts: &Parts, zstd_level: i32, chunk: usize, format_1: bool) -> Vec<u8> {
    let mut w = ImageWriter::new(Cursor::new(Vec::new()), WriterOptions::level(zstd_level)).unwrap();
    if format_1 {
        w.write_format_1();
    }
    w.set_chunk_raw_size(chunk).unwrap();
    w.write_bincode_section(SectionKind::PLATFORM, &parts.platform).unwrap();
    w.write_bincode_section(SectionKind::LAUNCH, &parts.launch).unwrap();
    w.write_bincode_section(SectionKind::CLASSES, &parts.classes).unwrap();
    w.write_bincode_section(SectionKind::SYMREFS, &parts.symrefs).unwrap();
    for (kind, payload) in [(SectionKind::OBJECTS, &parts.objects), (SectionKind::STATICS, &parts.statics)] {
        w.begin_raw_section(kind).unwrap();
        // Odd-sized writes: chunk boundaries must not follow call boundaries.
        for piece in payload.chunks(7) {
            w.write_raw(piece).unwrap();
        }
        w.end_raw_section().unwrap();
    }
    w.write_bincode_section(SectionKind::THREADS, &parts.threads).unwrap();
    w.write_bincode_section(SectionKind::RESOURCES, &parts.resources).unwrap();
    w.finish().unwrap().into_inner()
}

/// The zstd golden image: small chunks so sections span several.
pub fn golden_zstd() -> Vec<u8> {
    build(&sample_parts(), 3, 64)
}

/// The stored (codec 0) golden image.
pub fn golden_stored() -> Vec<u8> {
    build(&sample_parts(), 0, 64)
}

/// The parts of the format 1.0 golden images: the same model, 1.x objects.
pub fn sample_parts_v1() -> Parts {
    Parts { objects: sample_objects_v1().into_bytes(), ..sample_parts() }
}

/// The format 1.0 golden images, as the 1.x writer wrote them (frozen: committed in 1.0).
pub fn golden_v1_zstd() -> Vec<u8> {
    build_as(&sample_parts_v1(), 3, 64, true)
}

pub fn golden_v1_stored() -> Vec<u8> {
    build_as(&sample_parts_v1(), 0, 64, true)
}

pub fn bless() -> bool {
    std::env::var_os("PORTACR_BLESS").is_some_and(|v| v == "1")
}

pub fn test_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(sub)
}

/// Compares `bytes` with the committed file, or rewrites it when blessing.
pub fn check_or_bless(path: &Path, bytes: &[u8]) {
    if bless() {
        std::fs::write(path, bytes).unwrap();
        return;
    }
    let committed = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e} (run with PORTACR_BLESS=1 to create)", path.display()));
    assert!(committed == bytes, "{} differs from what the generator writes now", path.display());
}

/// Parses the header and table of `bytes` (assumed valid).
pub fn table(bytes: &[u8]) -> (FileHeader, Vec<SectionEntry>) {
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
    let h = FileHeader {
        format_major: u16::from_le_bytes([bytes[8], bytes[9]]),
        format_minor: u16::from_le_bytes([bytes[10], bytes[11]]),
        flags: u32_at(12),
        section_count: u32_at(16),
        section_table_offset: u64_at(24),
        file_length: u64_at(32),
        section_table_crc32: u32_at(40),
    };
    let t = h.section_table_offset as usize;
    let entries = (0..h.section_count as usize)
        .map(|i| SectionEntry::decode(&bytes[t + i * SECTION_ENTRY_SIZE..t + (i + 1) * SECTION_ENTRY_SIZE]).0)
        .collect();
    (h, entries)
}

/// Rewrites the table with `entries` and fixes both crcs.
pub fn rewrite_table(bytes: &mut Vec<u8>, entries: &[SectionEntry]) {
    let (mut h, _) = table(bytes);
    let t = h.section_table_offset as usize;
    bytes.truncate(t);
    let mut raw = vec![0u8; entries.len() * SECTION_ENTRY_SIZE];
    for (e, b) in entries.iter().zip(raw.chunks_exact_mut(SECTION_ENTRY_SIZE)) {
        e.encode(b);
    }
    bytes.extend_from_slice(&raw);
    h.section_count = entries.len() as u32;
    h.file_length = bytes.len() as u64;
    h.section_table_crc32 = crc32fast::hash(&raw);
    bytes[..HEADER_SIZE].copy_from_slice(&h.encode());
}

/// Re-encodes the header (fixing its crc) after `edit`.
pub fn edit_header(bytes: &mut [u8], edit: impl FnOnce(&mut FileHeader)) {
    let (mut h, _) = table(bytes);
    edit(&mut h);
    bytes[..HEADER_SIZE].copy_from_slice(&h.encode());
}

/// The first line a reader + verifier produce for `bytes`: the open error,
/// the first verify problem, or "ok".
pub fn first_error(bytes: &[u8]) -> String {
    match Image::from_bytes(bytes) {
        Err(e) => e.to_string(),
        Ok(img) => verify(&img).problems.into_iter().next().unwrap_or_else(|| "ok".into()),
    }
}
