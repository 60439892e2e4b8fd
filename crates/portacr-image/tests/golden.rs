//! Golden images: the committed bytes of the format 2.0 images must equal
//! what the writer produces today, the 1.0 ones what the 1.x form of the
//! writer (kept for this) produces, and every committed golden file must stay
//! readable with the expected values, forever. `PORTACR_BLESS=1` rewrites.

mod common;

use common::*;
use portacr_image::*;

#[test]
fn golden_bytes_match_writer() {
    check_or_bless(&test_dir("golden").join("v2.0-zstd.pcr"), &golden_zstd());
    check_or_bless(&test_dir("golden").join("v2.0-stored.pcr"), &golden_stored());
    // Never re-blessed: the 1.x bytes were committed with format 1.0.
    let v1 = [("v1.0-zstd.pcr", golden_v1_zstd()), ("v1.0-stored.pcr", golden_v1_stored())];
    for (name, bytes) in v1 {
        let committed = std::fs::read(test_dir("golden").join(name)).unwrap();
        assert!(committed == bytes, "{name} differs from the 1.x form of the writer");
    }
}

fn check_model(img: &Image, major: u16) {
    let parts = sample_parts();
    assert_eq!(img.header().format_major, major);
    assert_eq!(img.header().format_minor, 0);
    assert_eq!(img.sections().len(), 8);
    assert_eq!(img.platform().unwrap(), &parts.platform);
    assert_eq!(img.launch().unwrap(), &parts.launch);
    assert_eq!(img.classes().unwrap(), parts.classes.as_slice());
    assert_eq!(img.symrefs().unwrap(), parts.symrefs.as_slice());
    assert_eq!(img.threads().unwrap(), parts.threads.as_slice());
    assert_eq!(img.resources().unwrap(), &parts.resources);

    let in_payload: Vec<ObjectRecord> = img.objects().unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(in_payload.len(), 9);
    let order: Vec<u32> = in_payload.iter().map(|r| r.id.0).collect();
    assert_eq!(order, if major == 1 { vec![1, 2, 3, 4, 5, 6, 7, 8, 9] } else { V2_ORDER.to_vec() });
    // By id from here.
    let mut objects = in_payload;
    objects.sort_by_key(|r| r.id.0);
    assert_eq!(objects[0].body, ObjectBody::Instance { class: POINT, values: vec![FieldValue::Int(3), FieldValue::Int(4)] });
    assert_eq!(objects[1].id, ObjectId(2));
    assert_eq!(objects[1].identity_hash, Some(0x1234_5678));
    match &objects[1].body {
        ObjectBody::Instance { class, values } => {
            assert_eq!(*class, POINT3);
            assert_eq!(values.len(), 10);
            assert_eq!(values[2], FieldValue::Long(i64::MIN));
            assert_eq!(values[3], FieldValue::Double(0x7ff8_0000_0000_0001), "NaN payload kept");
            assert_eq!(values[7], FieldValue::Char(0x20ac));
            assert_eq!(values[9], FieldValue::Ref(ObjectId(1)));
        }
        other => panic!("object 2 is {other:?}"),
    }
    let ints: Vec<FieldValue> = objects[2].body.prim_array_values().unwrap().collect();
    assert_eq!(ints, vec![FieldValue::Int(1), FieldValue::Int(-1), FieldValue::Int(65536)]);
    assert_eq!(
        objects[3].body,
        ObjectBody::RefArray { class: OBJECT_ARRAY, elements: vec![ObjectId(1), ObjectId(0), ObjectId(5), ObjectId(6)] }
    );
    assert_eq!(objects[4].body.string_value().as_deref(), Some("héllo"));
    assert!(matches!(objects[4].body, ObjectBody::String { interned: true, utf16: false, .. }));
    assert_eq!(objects[5].body.string_value().as_deref(), Some("π≈3"));
    assert_eq!(objects[6].body, ObjectBody::Symbolic(0));
    assert_eq!(objects[7].body.prim_array_len(), Some(2));

    let statics: Vec<StaticsEntry> = img.statics().unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(
        statics,
        vec![
            StaticsEntry { class: POINT, values: vec![FieldValue::Int(2), FieldValue::Ref(ObjectId(1))] },
            StaticsEntry { class: SHAPE, values: vec![FieldValue::Double(1.0f64.to_bits())] },
        ]
    );
    let report = verify(img);
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!((report.objects, report.classes, report.sections), (9, 8, 8));
}

#[test]
fn golden_files_read_back() {
    for (name, major) in [("v2.0-zstd.pcr", 2), ("v2.0-stored.pcr", 2), ("v1.0-zstd.pcr", 1), ("v1.0-stored.pcr", 1)] {
        let img = Image::open(&test_dir("golden").join(name)).unwrap();
        check_model(&img, major);
    }
}

#[test]
fn zstd_golden_has_many_chunks_and_stored_has_none() {
    for v in ["v1.0", "v2.0"] {
        let img = Image::open(&test_dir("golden").join(format!("{v}-zstd.pcr"))).unwrap();
        let objects = img.section(SectionKind::OBJECTS).unwrap();
        assert_eq!(objects.codec, 1);
        assert!(objects.chunk_count > 2, "{objects:?}");
        let img = Image::open(&test_dir("golden").join(format!("{v}-stored.pcr"))).unwrap();
        assert!(img.sections().iter().all(|s| s.codec == 0 && s.chunk_count == 0));
    }
}

#[test]
fn chunking_does_not_depend_on_write_sizes() {
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let write = |pieces: &[usize]| {
        let mut w = ImageWriter::new(std::io::Cursor::new(Vec::new()), WriterOptions::level(1)).unwrap();
        w.set_chunk_raw_size(4096).unwrap();
        w.begin_raw_section(SectionKind::OBJECTS).unwrap();
        let mut rest = &payload[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = pieces[i % pieces.len()].min(rest.len());
            w.write_raw(&rest[..n]).unwrap();
            rest = &rest[n..];
            i += 1;
        }
        w.end_raw_section().unwrap();
        w.finish().unwrap().into_inner()
    };
    let a = write(&[1]);
    let b = write(&[4096]);
    let c = write(&[5000, 3, 100_000]);
    assert_eq!(a, b);
    assert_eq!(a, c);
    let img = Image::from_bytes(&a).unwrap();
    assert_eq!(img.payload(SectionKind::OBJECTS).unwrap(), &payload[..]);
    assert_eq!(img.section(SectionKind::OBJECTS).unwrap().chunk_count, 49);
}

#[test]
fn default_chunk_size_round_trip_large_section() {
    // 3.5 MiB: several default-size (1 MiB) chunks and a partial last one.
    let payload: Vec<u8> = (0..(3 << 20) + (1 << 19)).map(|i: u32| (i ^ (i >> 9)) as u8).collect();
    let mut w = ImageWriter::new(std::io::Cursor::new(Vec::new()), WriterOptions::default()).unwrap();
    w.begin_raw_section(SectionKind::OBJECTS).unwrap();
    w.write_raw(&payload).unwrap();
    w.end_raw_section().unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let img = Image::from_bytes(&bytes).unwrap();
    assert_eq!(img.section(SectionKind::OBJECTS).unwrap().chunk_count, 4);
    assert_eq!(img.payload(SectionKind::OBJECTS).unwrap(), &payload[..]);
}

#[test]
fn unknown_optional_section_is_skipped() {
    let mut w = ImageWriter::new(std::io::Cursor::new(Vec::new()), WriterOptions::default()).unwrap();
    w.begin_section(SectionKind(0x10001), portacr_image::layout::SECTION_FLAG_OPTIONAL).unwrap();
    w.write_raw(b"future data").unwrap();
    w.end_raw_section().unwrap();
    w.write_bincode_section(SectionKind::RESOURCES, &ResourceList { resources: vec![] }).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let img = Image::from_bytes(&bytes).unwrap();
    assert_eq!(img.resources().unwrap().resources.len(), 0);
    assert!(matches!(img.classes(), Err(ImageError::MissingSection(SectionKind::CLASSES))));
}

#[test]
fn write_image_dir_is_atomic_and_cleans_up() {
    let dir = std::env::temp_dir().join(format!("portacr-image-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let parts = sample_parts();
    let path = write_image_dir(&dir.join("img"), |w| w.write_bincode_section(SectionKind::PLATFORM, &parts.platform)).unwrap();
    assert_eq!(path, dir.join("img").join(IMAGE_FILE_NAME));
    assert_eq!(Image::open(&dir.join("img")).unwrap().platform().unwrap(), &parts.platform);
    // A failing writer leaves nothing behind, not even the temporary file.
    let err = write_image_dir(&dir.join("bad"), |w| {
        w.begin_raw_section(SectionKind::OBJECTS)?;
        w.write_raw(b"x")?;
        Err(ImageError::WriterState("simulated failure"))
    })
    .unwrap_err();
    assert!(err.to_string().contains("simulated failure"));
    assert_eq!(std::fs::read_dir(dir.join("bad")).unwrap().count(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
