//! A typed view of `portacr dump-info --json`, so tests read `frames[3].locals`
//! rather than walk raw JSON, and a change of the schema is fixed here once.
//!
//! The schema is `spec/image-format.md` §12 "dump-info JSON schema": integers
//! beyond 2^53 are decimal strings, floats are `{"bits": "0x…", "value": …}`,
//! references are `null` or `{"id": n, "class": …}`, slots are
//! `{"type": "int", "value": 5}` and so on. Every accessor fails the test with
//! the JSON path it looked for, so a schema mismatch reads as one clear message.

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

    /// An *int* of §12 (number or decimal string).
    #[track_caller]
    pub fn int_at(&self, path: &str) -> i64 {
        json_i64(self.at(path), &format!("/{path}"))
    }

    #[track_caller]
    pub fn bool_at(&self, path: &str) -> bool {
        let value = self.at(path);
        value
            .as_bool()
            .unwrap_or_else(|| panic!("dump-info JSON /{path} is not a boolean: {value}"))
    }

    /// Object ids of the registered CRaC resources, registration order.
    #[track_caller]
    pub fn resources(&self) -> Vec<u32> {
        let list = self.at("resources").as_array().unwrap_or_else(|| panic!("/resources is not an array"));
        list.iter()
            .enumerate()
            .map(|(i, r)| ref_id(r, &format!("/resources/{i}")))
            .collect()
    }

    /// The class record named `name` (internal name), or a test failure.
    #[track_caller]
    pub fn class(&self, name: &str) -> &Json {
        let classes = self.at("classes").as_array().unwrap_or_else(|| panic!("/classes is not an array"));
        classes
            .iter()
            .find(|c| c.get("name").and_then(Json::as_str) == Some(name))
            .unwrap_or_else(|| panic!("the image has no class {name}; classes: {:?}", self.class_names()))
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
        method: field_str(frame, "method", path),
        descriptor: field_str(frame, "descriptor", path),
        bci: field_u64(frame, "bci", path),
        locals: slots("locals"),
        operands: slots("operands"),
        kind: field_str(frame, "kind", path),
    }
}

/// A slot of §12: `{"type": "int", "value": 5}`, `{"type": "float", "bits":
/// "0x7fc01234", "value": "NaN"}`, `{"type": "ref", "ref": null | {"id": 3, …}}`.
#[track_caller]
pub fn parse_slot(value: &Json, path: &str) -> SlotValue {
    let kind = value
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("{path}: not a slot value (no \"type\"): {value}"));
    let int = |key: &str| -> i64 {
        value
            .get(key)
            .map(|v| json_i64(v, &format!("{path}/{key}")))
            .unwrap_or_else(|| panic!("{path}: {kind} slot has no {key:?}: {value}"))
    };
    let bits = || -> u64 {
        value
            .get("bits")
            .map(|v| hex_bits(v, &format!("{path}/bits")))
            .unwrap_or_else(|| panic!("{path}: {kind} slot has no \"bits\": {value}"))
    };
    let reference = || -> u32 {
        value
            .get("ref")
            .map(|v| ref_id(v, &format!("{path}/ref")))
            .unwrap_or_else(|| panic!("{path}: {kind} slot has no \"ref\": {value}"))
    };
    match kind {
        "top" => SlotValue::Top,
        "int" => SlotValue::Int(int("value") as i32),
        "float" => SlotValue::Float(bits() as u32),
        "long" => SlotValue::Long(int("value")),
        "double" => SlotValue::Double(bits()),
        "ref" => SlotValue::Ref(reference()),
        "uninitialized" => SlotValue::Uninitialized { new_bci: int("new_bci") as u32, object: reference() },
        "uninitialized_this" => SlotValue::UninitializedThis(reference()),
        "return_address" => SlotValue::ReturnAddress(int("value") as u32),
        "raw" => SlotValue::Raw(bits()),
        other => panic!("{path}: unknown slot type {other:?}: {value}"),
    }
}

/// An *int* of §12: a JSON number, or a decimal string beyond 2^53.
#[track_caller]
pub fn json_i64(value: &Json, path: &str) -> i64 {
    if let Some(n) = value.as_i64() {
        return n;
    }
    if let Some(n) = value.as_u64() {
        return n as i64;
    }
    if let Some(text) = value.as_str() {
        if let Ok(n) = text.parse::<i64>() {
            return n;
        }
        if let Ok(n) = text.parse::<u64>() {
            return n as i64;
        }
    }
    panic!("{path}: not an integer: {value}")
}

/// `"0x7fc01234"` → 0x7fc01234.
#[track_caller]
pub fn hex_bits(value: &Json, path: &str) -> u64 {
    value
        .as_str()
        .and_then(|t| t.strip_prefix("0x"))
        .and_then(|t| u64::from_str_radix(t, 16).ok())
        .unwrap_or_else(|| panic!("{path}: not a 0x-prefixed hex string: {value}"))
}

/// A reference of §12: `null` is 0, else its `id`.
#[track_caller]
/// The value of the field `name` of an object record of `dump-info --object`.
pub fn field<'a>(record: &'a Json, name: &str) -> &'a Json {
    record["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == name))
        .map(|f| &f["value"])
        .unwrap_or_else(|| panic!("no field {name} in {record}"))
}

pub fn ref_id(value: &Json, path: &str) -> u32 {
    if value.is_null() {
        return 0;
    }
    value
        .get("id")
        .and_then(Json::as_u64)
        .unwrap_or_else(|| panic!("{path}: not a reference (null or {{\"id\": …}}): {value}")) as u32
}
