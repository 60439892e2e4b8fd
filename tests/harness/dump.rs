//! A typed view of `portacr dump-info --json`, so tests read `frames[3].locals`
//! rather than walk raw JSON, and a change of the schema is fixed here once.
//!
//! The schema is defined by `spec/image-format.md`, section "dump-info JSON
//! schema". Until that section exists this module reads the shape that follows
//! from `spec/contracts.md` §6 with serde's default (externally tagged)
//! encoding: `{"platform": {...SourcePlatform}, "launch": {...LaunchInfo},
//! "counts": {"classes": n, "objects": n, ...}, "classes": [{"name": ...}],
//! "threads": [{"name": ..., "frames": [{"class": "demo/Main", "method_name":
//! ..., "method_descriptor": ..., "bci": n, "locals": [{"Int": 5}, "Top"],
//! "operands": [...], "monitors": [...], "kind": "Java"}]}]}`. Every accessor
//! fails the test with the JSON path it looked for, so a schema mismatch reads
//! as one clear message.

use serde_json::Value as Json;

/// A typed JVM slot value as dump-info prints it (contracts.md §6 `Value`).
#[derive(Clone, Debug, PartialEq)]
pub enum SlotValue {
    Top,
    Int(i32),
    /// Raw IEEE-754 bits.
    Float(u32),
    Long(i64),
    /// Raw IEEE-754 bits.
    Double(u64),
    /// Object id; 0 is null.
    Ref(u32),
    Uninitialized { new_bci: u32, object: u32 },
    UninitializedThis(u32),
    ReturnAddress(u32),
    Raw(u64),
}

/// One frame of a captured thread.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Internal class name, `demo/Main`.
    pub class: String,
    pub method: String,
    pub descriptor: String,
    pub bci: u64,
    pub locals: Vec<SlotValue>,
    pub operands: Vec<SlotValue>,
    pub kind: String,
}

/// One captured thread, frames bottom first.
#[derive(Clone, Debug)]
pub struct Thread {
    pub name: String,
    pub frames: Vec<Frame>,
}

/// The document of `dump-info --json`.
#[derive(Clone, Debug)]
pub struct DumpInfo {
    pub json: Json,
}

impl DumpInfo {
    pub fn new(json: Json) -> DumpInfo {
        DumpInfo { json }
    }

    /// The value at a `/`-separated path (`platform/arch`), or a test failure.
    #[track_caller]
    pub fn at(&self, path: &str) -> &Json {
        let pointer = format!("/{path}");
        self.json
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("dump-info JSON has no {pointer}\n{}", self.pretty()))
    }

    #[track_caller]
    pub fn str_at(&self, path: &str) -> &str {
        let value = self.at(path);
        value
            .as_str()
            .unwrap_or_else(|| panic!("dump-info JSON /{path} is not a string: {value}"))
    }

    #[track_caller]
    pub fn u64_at(&self, path: &str) -> u64 {
        let value = self.at(path);
        value
            .as_u64()
            .unwrap_or_else(|| panic!("dump-info JSON /{path} is not an unsigned integer: {value}"))
    }

    /// Number of objects in the image.
    #[track_caller]
    pub fn object_count(&self) -> u64 {
        self.u64_at("counts/objects")
    }

    /// Names of the classes of the image, in table order.
    #[track_caller]
    pub fn class_names(&self) -> Vec<String> {
        let classes = self.at("classes").as_array().unwrap_or_else(|| panic!("/classes is not an array"));
        classes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_else(|| panic!("/classes/{i} has no string \"name\": {c}"))
                    .to_string()
            })
            .collect()
    }

    #[track_caller]
    pub fn threads(&self) -> Vec<Thread> {
        let threads = self.at("threads").as_array().unwrap_or_else(|| panic!("/threads is not an array"));
        threads
            .iter()
            .enumerate()
            .map(|(t, thread)| Thread {
                name: field_str(thread, "name", &format!("/threads/{t}")),
                frames: thread
                    .get("frames")
                    .and_then(Json::as_array)
                    .unwrap_or_else(|| panic!("/threads/{t} has no array \"frames\": {thread}"))
                    .iter()
                    .enumerate()
                    .map(|(f, frame)| parse_frame(frame, &format!("/threads/{t}/frames/{f}")))
                    .collect(),
            })
            .collect()
    }

    /// The one captured thread (this version captures only the caller).
    #[track_caller]
    pub fn only_thread(&self) -> Thread {
        let mut threads = self.threads();
        assert_eq!(threads.len(), 1, "expected exactly one captured thread: {threads:#?}");
        threads.remove(0)
    }

    pub fn pretty(&self) -> String {
        let text = serde_json::to_string_pretty(&self.json).unwrap_or_default();
        // Keep failure messages readable on big images.
        if text.len() > 20_000 {
            format!("{}\n… ({} bytes in all)", &text[..text.floor_char_boundary_compat(20_000)], text.len())
        } else {
            text
        }
    }
}

impl Frame {
    /// `Class.method` with dots, as Java prints it.
    pub fn java_name(&self) -> String {
        format!("{}.{}", self.class.replace('/', "."), self.method)
    }
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for String {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        while !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

#[track_caller]
fn field_str(object: &Json, key: &str, path: &str) -> String {
    object
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("{path} has no string {key:?}: {object}"))
        .to_string()
}

#[track_caller]
fn field_u64(object: &Json, key: &str, path: &str) -> u64 {
    object
        .get(key)
        .and_then(Json::as_u64)
        .unwrap_or_else(|| panic!("{path} has no unsigned integer {key:?}: {object}"))
}

#[track_caller]
fn parse_frame(frame: &Json, path: &str) -> Frame {
    let slots = |key: &str| -> Vec<SlotValue> {
        frame
            .get(key)
            .and_then(Json::as_array)
            .unwrap_or_else(|| panic!("{path} has no array {key:?}: {frame}"))
            .iter()
            .enumerate()
            .map(|(i, v)| parse_slot(v, &format!("{path}/{key}/{i}")))
            .collect()
    };
    Frame {
        class: field_str(frame, "class", path),
        method: field_str(frame, "method_name", path),
        descriptor: field_str(frame, "method_descriptor", path),
        bci: field_u64(frame, "bci", path),
        locals: slots("locals"),
        operands: slots("operands"),
        kind: field_str(frame, "kind", path),
    }
}

/// serde's externally tagged form: `"Top"`, `{"Int": 5}`,
/// `{"Uninitialized": {"new_bci": 3, "object": 7}}`.
#[track_caller]
pub fn parse_slot(value: &Json, path: &str) -> SlotValue {
    if value.as_str() == Some("Top") {
        return SlotValue::Top;
    }
    let object = value
        .as_object()
        .filter(|o| o.len() == 1)
        .unwrap_or_else(|| panic!("{path}: not a slot value: {value}"));
    let (tag, inner) = object.iter().next().expect("one entry");
    let int = |v: &Json| -> i64 {
        v.as_i64()
            .or_else(|| v.as_u64().map(|u| u as i64))
            .unwrap_or_else(|| panic!("{path}: {tag} holds a non-integer: {v}"))
    };
    match tag.as_str() {
        "Int" => SlotValue::Int(int(inner) as i32),
        "Float" => SlotValue::Float(int(inner) as u32),
        "Long" => SlotValue::Long(int(inner)),
        "Double" => SlotValue::Double(inner.as_u64().unwrap_or_else(|| int(inner) as u64)),
        "Ref" => SlotValue::Ref(int(inner) as u32),
        "UninitializedThis" => SlotValue::UninitializedThis(int(inner) as u32),
        "ReturnAddress" => SlotValue::ReturnAddress(int(inner) as u32),
        "Raw" => SlotValue::Raw(inner.as_u64().unwrap_or_else(|| int(inner) as u64)),
        "Uninitialized" => SlotValue::Uninitialized {
            new_bci: field_u64(inner, "new_bci", path) as u32,
            object: field_u64(inner, "object", path) as u32,
        },
        other => panic!("{path}: unknown slot kind {other:?}: {value}"),
    }
}
