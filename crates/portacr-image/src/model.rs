//! The image data model: the types of spec/contracts.md §6 (bincode
//! sections, names as in the contract) and typed forms of the raw OBJECTS and
//! STATICS records (§4, §5).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::serde_bounded as bounded;

/// An object of the image: 1..=N in OBJECTS order, 0 is null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectId(pub u32);

impl ObjectId {
    /// The null reference.
    pub const NULL: ObjectId = ObjectId(0);
    /// Whether this is the null reference.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
}

/// A section kind number (spec/image-format.md §4). Unknown kinds are kept
/// as numbers so that optional sections of newer writers can be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectionKind(pub u32);

impl SectionKind {
    pub const PLATFORM: SectionKind = SectionKind(1);
    pub const LAUNCH: SectionKind = SectionKind(2);
    pub const CLASSES: SectionKind = SectionKind(3);
    pub const SYMREFS: SectionKind = SectionKind(4);
    pub const OBJECTS: SectionKind = SectionKind(5);
    pub const STATICS: SectionKind = SectionKind(6);
    pub const THREADS: SectionKind = SectionKind(7);
    pub const RESOURCES: SectionKind = SectionKind(8);
    /// Every kind format 1.0 defines, in number order.
    pub const ALL: [SectionKind; 8] = [
        Self::PLATFORM,
        Self::LAUNCH,
        Self::CLASSES,
        Self::SYMREFS,
        Self::OBJECTS,
        Self::STATICS,
        Self::THREADS,
        Self::RESOURCES,
    ];

    /// The spec name, or `None` for a kind this version does not know.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "PLATFORM",
            2 => "LAUNCH",
            3 => "CLASSES",
            4 => "SYMREFS",
            5 => "OBJECTS",
            6 => "STATICS",
            7 => "THREADS",
            8 => "RESOURCES",
            _ => return None,
        })
    }

    /// Whether this reader knows the kind.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "kind {}", self.0),
        }
    }
}

/// The machine and JVM that wrote the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePlatform {
    #[serde(with = "bounded::string")]
    pub os: String,
    #[serde(with = "bounded::string")]
    pub arch: String,
    #[serde(with = "bounded::string")]
    pub jvm_vendor: String,
    #[serde(with = "bounded::string")]
    pub jvm_name: String,
    #[serde(with = "bounded::string")]
    pub jvm_version: String,
    pub java_spec_version: u32,
    #[serde(with = "bounded::string")]
    pub gc: String,
    pub max_heap: u64,
    pub initial_heap: u64,
    pub compressed_oops: bool,
    pub compact_headers: bool,
    pub cpu_count: u32,
    pub cpu_features: u64,
    pub pid: u32,
    pub boot_time_ms: i64,
    pub restore_time_ms: i64,
    pub checkpoint_time_ms: i64,
    pub nano_time: i64,
    pub generation: u32,
    pub uuid: [u8; 16],
    #[serde(with = "bounded::string")]
    pub hostname: String,
}

/// How the checkpointed program was launched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchInfo {
    #[serde(with = "bounded::string")]
    pub java_home: String,
    #[serde(with = "bounded::string")]
    pub java_binary: String,
    #[serde(with = "bounded::string")]
    pub class_path: String,
    #[serde(with = "bounded::opt_string")]
    pub module_path: Option<String>,
    #[serde(with = "bounded::string")]
    pub main_class: String,
    #[serde(with = "bounded::string_list")]
    pub arguments: Vec<String>,
    #[serde(with = "bounded::string_list")]
    pub jvm_options: Vec<String>,
    #[serde(with = "bounded::string_pairs")]
    pub system_properties: Vec<(String, String)>,
    #[serde(with = "bounded::string")]
    pub working_dir: String,
}

/// The defining loader of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LoaderRef {
    Boot,
    Platform,
    App,
    Object(ObjectId),
}

/// JVM initialization state of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InitState {
    Loaded,
    Linked,
    Initialized,
    Erroneous,
}

/// `ACC_STATIC` in `FieldRecord::access_flags`.
pub const ACC_STATIC: u16 = 0x0008;

/// A declared field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRecord {
    #[serde(with = "bounded::string")]
    pub name: String,
    #[serde(with = "bounded::string")]
    pub descriptor: String,
    pub access_flags: u16,
}

impl FieldRecord {
    /// Whether the field is static.
    pub fn is_static(&self) -> bool {
        self.access_flags & ACC_STATIC != 0
    }
}

/// Defined by a loader other than boot/platform.
pub const CLASS_FLAG_APPLICATION: u32 = 1;
pub const CLASS_FLAG_ARRAY: u32 = 2;
pub const CLASS_FLAG_INTERFACE: u32 = 4;
pub const CLASS_FLAG_ENUM: u32 = 8;
pub const CLASS_FLAG_RECORD: u32 = 16;
pub const CLASS_FLAG_HIDDEN: u32 = 32;
pub const CLASS_FLAG_HAS_STATICS: u32 = 64;
/// Every defined class flag; the other bits are reserved.
pub const CLASS_FLAGS_DEFINED: u32 = 127;

/// A class of the image; its index in CLASSES is its class index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassRecord {
    #[serde(with = "bounded::string")]
    pub name: String,
    pub loader: LoaderRef,
    pub flags: u32,
    pub access_flags: u16,
    pub digest: Option<[u8; 32]>,
    pub super_class: Option<u32>,
    #[serde(with = "bounded::string_list")]
    pub interfaces: Vec<String>,
    pub fields: Vec<FieldRecord>,
    pub init_state: InitState,
}

/// An object bound to the running VM, bound again on restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SymbolicRef {
    ClassMirror {
        class: u32,
    },
    PrimitiveClass {
        descriptor: u8,
    },
    StaticValue {
        #[serde(with = "bounded::string")]
        class_name: String,
        #[serde(with = "bounded::string")]
        field: String,
    },
    StaticArrayElement {
        #[serde(with = "bounded::string")]
        class_name: String,
        #[serde(with = "bounded::string")]
        field: String,
        index: u32,
    },
    Loader(LoaderRef),
    Module {
        #[serde(with = "bounded::string")]
        name: String,
    },
    UnnamedModule {
        loader: LoaderRef,
    },
    CurrentThread,
    ThreadGroup {
        #[serde(with = "bounded::string")]
        name: String,
    },
}

/// One JVM slot, typed from the bytecode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    Top,
    Int(i32),
    Float(u32),
    Long(i64),
    Double(u64),
    Ref(ObjectId),
    Uninitialized { new_bci: u32, object: ObjectId },
    UninitializedThis(ObjectId),
    ReturnAddress(u32),
    Raw(u64),
}

impl Value {
    /// The object this slot refers to, if it is a reference of any kind.
    pub fn object(&self) -> Option<ObjectId> {
        match *self {
            Value::Ref(o) | Value::UninitializedThis(o) | Value::Uninitialized { object: o, .. } => Some(o),
            _ => None,
        }
    }
}

/// A monitor held by a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorRecord {
    pub object: ObjectId,
    pub count: u32,
}

/// One frame of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRecord {
    pub class: u32,
    #[serde(with = "bounded::string")]
    pub method_name: String,
    #[serde(with = "bounded::string")]
    pub method_descriptor: String,
    pub method_access_flags: u16,
    pub bci: u32,
    pub locals: Vec<Value>,
    pub operands: Vec<Value>,
    pub monitors: Vec<MonitorRecord>,
    pub kind: FrameKind,
}

/// What kind of method a frame runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameKind {
    Java,
    Native,
    /// Lambda proxy, LambdaForm or reflection frame.
    Hidden,
}

/// A captured thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRecord {
    #[serde(with = "bounded::string")]
    pub name: String,
    pub thread_object: ObjectId,
    pub daemon: bool,
    pub priority: i32,
    pub state: u32,
    /// Bottom (outermost) first.
    pub frames: Vec<FrameRecord>,
}

/// The CRaC global context's resources, in registration order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResourceList {
    pub resources: Vec<ObjectId>,
}

// ---------------------------------------------------------------------------
// Raw records (OBJECTS, STATICS)

/// The Java primitive types, as element types of arrays and field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrimKind {
    Boolean,
    Byte,
    Char,
    Short,
    Int,
    Float,
    Long,
    Double,
}

impl PrimKind {
    /// Bytes of one value (spec/image-format.md §7.2).
    pub fn size(self) -> usize {
        match self {
            PrimKind::Boolean | PrimKind::Byte => 1,
            PrimKind::Char | PrimKind::Short => 2,
            PrimKind::Int | PrimKind::Float => 4,
            PrimKind::Long | PrimKind::Double => 8,
        }
    }

    /// From a descriptor character (`I` → Int); `None` for `L`, `[` and others.
    pub fn from_descriptor_char(c: u8) -> Option<PrimKind> {
        Some(match c {
            b'Z' => PrimKind::Boolean,
            b'B' => PrimKind::Byte,
            b'C' => PrimKind::Char,
            b'S' => PrimKind::Short,
            b'I' => PrimKind::Int,
            b'F' => PrimKind::Float,
            b'J' => PrimKind::Long,
            b'D' => PrimKind::Double,
            _ => return None,
        })
    }

    /// The descriptor character.
    pub fn descriptor_char(self) -> u8 {
        match self {
            PrimKind::Boolean => b'Z',
            PrimKind::Byte => b'B',
            PrimKind::Char => b'C',
            PrimKind::Short => b'S',
            PrimKind::Int => b'I',
            PrimKind::Float => b'F',
            PrimKind::Long => b'J',
            PrimKind::Double => b'D',
        }
    }

    /// Decodes one value from exactly `self.size()` little-endian bytes.
    pub fn read(self, b: &[u8]) -> FieldValue {
        match self {
            PrimKind::Boolean => FieldValue::Boolean(b[0]),
            PrimKind::Byte => FieldValue::Byte(b[0] as i8),
            PrimKind::Char => FieldValue::Char(u16::from_le_bytes([b[0], b[1]])),
            PrimKind::Short => FieldValue::Short(i16::from_le_bytes([b[0], b[1]])),
            PrimKind::Int => FieldValue::Int(i32::from_le_bytes(b[..4].try_into().unwrap_or([0; 4]))),
            PrimKind::Float => FieldValue::Float(u32::from_le_bytes(b[..4].try_into().unwrap_or([0; 4]))),
            PrimKind::Long => FieldValue::Long(i64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]))),
            PrimKind::Double => FieldValue::Double(u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]))),
        }
    }
}

/// How a field value is stored: by the first character of its descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Prim(PrimKind),
    Ref,
}

impl FieldType {
    /// From a field descriptor; `None` if its first character is not a type.
    pub fn from_descriptor(descriptor: &str) -> Option<FieldType> {
        match descriptor.as_bytes().first()? {
            b'L' | b'[' => Some(FieldType::Ref),
            &c => PrimKind::from_descriptor_char(c).map(FieldType::Prim),
        }
    }

    /// Bytes of one value.
    pub fn size(self) -> usize {
        match self {
            FieldType::Prim(p) => p.size(),
            FieldType::Ref => 4,
        }
    }

    /// Decodes one value from exactly `self.size()` bytes.
    pub fn read(self, b: &[u8]) -> FieldValue {
        match self {
            FieldType::Prim(p) => p.read(b),
            FieldType::Ref => FieldValue::Ref(ObjectId(u32::from_le_bytes(b[..4].try_into().unwrap_or([0; 4])))),
        }
    }
}

/// A typed field or array element value (raw bits for float/double).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// 0 or 1 in a valid image; kept raw so verify can report other values.
    Boolean(u8),
    Byte(i8),
    Char(u16),
    Short(i16),
    Int(i32),
    Float(u32),
    Long(i64),
    Double(u64),
    Ref(ObjectId),
}

impl FieldValue {
    /// How this value is stored.
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Boolean(_) => FieldType::Prim(PrimKind::Boolean),
            FieldValue::Byte(_) => FieldType::Prim(PrimKind::Byte),
            FieldValue::Char(_) => FieldType::Prim(PrimKind::Char),
            FieldValue::Short(_) => FieldType::Prim(PrimKind::Short),
            FieldValue::Int(_) => FieldType::Prim(PrimKind::Int),
            FieldValue::Float(_) => FieldType::Prim(PrimKind::Float),
            FieldValue::Long(_) => FieldType::Prim(PrimKind::Long),
            FieldValue::Double(_) => FieldType::Prim(PrimKind::Double),
            FieldValue::Ref(_) => FieldType::Ref,
        }
    }

    /// Appends the little-endian encoding of §7.2.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            FieldValue::Boolean(v) => out.push(v),
            FieldValue::Byte(v) => out.push(v as u8),
            FieldValue::Char(v) => out.extend_from_slice(&v.to_le_bytes()),
            FieldValue::Short(v) => out.extend_from_slice(&v.to_le_bytes()),
            FieldValue::Int(v) => out.extend_from_slice(&v.to_le_bytes()),
            FieldValue::Float(v) => out.extend_from_slice(&v.to_le_bytes()),
            FieldValue::Long(v) => out.extend_from_slice(&v.to_le_bytes()),
            FieldValue::Double(v) => out.extend_from_slice(&v.to_le_bytes()),
            FieldValue::Ref(v) => out.extend_from_slice(&v.0.to_le_bytes()),
        }
    }
}

/// OBJECTS record kinds (the low 4 bits of the tag).
pub const OBJECT_KIND_INSTANCE: u8 = 1;
pub const OBJECT_KIND_PRIM_ARRAY: u8 = 2;
pub const OBJECT_KIND_REF_ARRAY: u8 = 3;
pub const OBJECT_KIND_STRING: u8 = 4;
pub const OBJECT_KIND_SYMBOLIC: u8 = 5;
/// Tag bit: an identity hash follows.
pub const OBJECT_TAG_HASHED: u8 = 0x80;
/// Tag bits that must be zero.
pub const OBJECT_TAG_RESERVED: u8 = 0x70;
/// STRING flags.
pub const STRING_FLAG_INTERNED: u8 = 1;
pub const STRING_FLAG_UTF16: u8 = 2;

/// One decoded OBJECTS record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRecord<'a> {
    pub id: ObjectId,
    /// The identity hash the object had, if one had been assigned.
    pub identity_hash: Option<u32>,
    pub body: ObjectBody<'a>,
}

/// The body of an OBJECTS record; bulk data borrows from the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectBody<'a> {
    /// Field values in instance-layout order (spec §7.1).
    Instance { class: u32, values: Vec<FieldValue> },
    /// `data` holds `length × elem.size()` little-endian bytes.
    PrimArray { class: u32, elem: PrimKind, data: &'a [u8] },
    RefArray { class: u32, elements: Vec<ObjectId> },
    /// `chars` is Latin-1 bytes, or UTF-16LE code units when `utf16`.
    String { interned: bool, utf16: bool, chars: &'a [u8] },
    /// Index into SYMREFS.
    Symbolic(u32),
}

impl ObjectBody<'_> {
    /// The class index of the object, if the record names one.
    pub fn class(&self) -> Option<u32> {
        match *self {
            ObjectBody::Instance { class, .. }
            | ObjectBody::PrimArray { class, .. }
            | ObjectBody::RefArray { class, .. } => Some(class),
            _ => None,
        }
    }

    /// Number of elements of a primitive array.
    pub fn prim_array_len(&self) -> Option<usize> {
        match self {
            ObjectBody::PrimArray { elem, data, .. } => Some(data.len() / elem.size()),
            _ => None,
        }
    }

    /// The elements of a primitive array, decoded.
    pub fn prim_array_values(&self) -> Option<impl Iterator<Item = FieldValue> + '_> {
        match self {
            ObjectBody::PrimArray { elem, data, .. } => {
                let elem = *elem;
                Some(data.chunks_exact(elem.size()).map(move |b| elem.read(b)))
            }
            _ => None,
        }
    }

    /// The text of a STRING record (lone surrogates become U+FFFD).
    pub fn string_value(&self) -> Option<String> {
        match self {
            ObjectBody::String { utf16: false, chars, .. } => Some(chars.iter().map(|&b| b as char).collect()),
            ObjectBody::String { utf16: true, chars, .. } => {
                let units = chars.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
                Some(char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')).collect())
            }
            _ => None,
        }
    }
}

/// One decoded STATICS entry: the static field values of one class, in the
/// order its static fields appear in `ClassRecord::fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticsEntry {
    pub class: u32,
    pub values: Vec<FieldValue>,
}
