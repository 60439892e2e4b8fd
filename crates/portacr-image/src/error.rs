//! Errors of the image reader and writer. Every reader error says where:
//! which section, which record, which byte (spec/image-format.md §11).

use std::fmt;
use std::path::PathBuf;

use crate::model::SectionKind;

/// Where in an image a defect was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// What part of the file.
    pub part: Part,
    /// The offset (file offset, or payload offset for records).
    pub offset: u64,
}

/// The part of an image a [`Location`] is in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The 48-byte file header.
    Header,
    /// Entry `n` of the section table.
    SectionTable(u32),
    /// The stored bytes of a section (file offsets).
    Section(SectionKind),
    /// Chunk `n` of a section (file offsets).
    Chunk(SectionKind, u32),
    /// Record `index` of a section's payload (payload offsets); `record` names
    /// the kind of record ("object", "class", "entry", …).
    Record { section: SectionKind, record: &'static str, index: u64 },
    /// A section's payload as a whole (payload offsets).
    Payload(SectionKind),
}

impl Location {
    /// In the file header.
    pub fn header(offset: u64) -> Self {
        Location { part: Part::Header, offset }
    }
    /// In the payload of `section`, record `record` number `index`.
    pub fn record(section: SectionKind, record: &'static str, index: u64, offset: u64) -> Self {
        Location { part: Part::Record { section, record, index }, offset }
    }
    /// In the payload of `section`.
    pub fn payload(section: SectionKind, offset: u64) -> Self {
        Location { part: Part::Payload(section), offset }
    }

    fn is_payload(&self) -> bool {
        matches!(self.part, Part::Record { .. } | Part::Payload(_))
    }
}

impl fmt::Display for Location {
    /// The prefix of a message: `section OBJECTS, object 17`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.part {
            Part::Header => write!(f, "header"),
            Part::SectionTable(n) => write!(f, "section table, entry {n}"),
            Part::Section(k) | Part::Payload(k) => write!(f, "section {k}"),
            Part::Chunk(k, n) => write!(f, "section {k}, chunk {n}"),
            Part::Record { section, record, index } => write!(f, "section {section}, {record} {index}"),
        }
    }
}

/// The `(at offset 0x…)` suffix of a message.
struct At<'a>(&'a Location);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_payload() {
            write!(f, "(at payload offset {:#x})", self.0.offset)
        } else {
            write!(f, "(at offset {:#x})", self.0.offset)
        }
    }
}

/// An error reading or writing an image. `Display` is one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The file could not be opened, mapped or read.
    #[error("cannot read {}: {source}", path.display())]
    Open { path: PathBuf, source: std::io::Error },
    /// Writing the image failed.
    #[error("cannot write image: {0}")]
    Write(#[source] std::io::Error),
    /// A writer method was called out of order (a bug in the caller).
    #[error("image writer misuse: {0}")]
    WriterState(&'static str),
    /// A value could not be bincode-encoded.
    #[error("cannot encode section {section}: {message}")]
    Encode { section: SectionKind, message: String },
    /// The file does not start with the portacr magic.
    #[error("not a portacr image: bad magic {found:02x?} {}", At(at))]
    BadMagic { found: Vec<u8>, at: Location },
    /// The file is from an incompatible format version.
    #[error("image format version {major}.{minor} is not supported (this reader supports 1.x and 2.x)")]
    UnsupportedVersion { major: u16, minor: u16 },
    /// Fewer bytes than a structure needs.
    #[error("{at}: truncated: {what} needs {needed} bytes, {available} left {}", At(at))]
    Truncated { at: Location, what: &'static str, needed: u64, available: u64 },
    /// A checksum does not match.
    #[error("{at}: {what} crc32 mismatch: stored {stored:#010x}, computed {computed:#010x} {}", At(at))]
    ChecksumMismatch { at: Location, what: &'static str, stored: u32, computed: u32 },
    /// A length or count exceeds a named limit of limits.rs.
    #[error("{at}: {what} {value} exceeds limit {limit} ({max}) {}", At(at))]
    LimitExceeded { at: Location, what: &'static str, value: u64, limit: &'static str, max: u64 },
    /// An index (class, symref, object id) is out of range.
    #[error("{at}: {what} {index} out of range ({range}) {}", At(at))]
    OutOfRange { at: Location, what: &'static str, index: u64, range: String },
    /// Any other structural defect.
    #[error("{at}: {message} {}", At(at))]
    Malformed { at: Location, message: String },
    /// A bincode section could not be decoded.
    #[error("{at}: cannot decode: {message} {}", At(at))]
    Decode { at: Location, message: String },
    /// A section the caller asked for is absent.
    #[error("section {0} is missing")]
    MissingSection(SectionKind),
}

impl ImageError {
    #[cold]
    pub(crate) fn truncated(at: Location, what: &'static str, needed: u64, available: u64) -> Self {
        ImageError::Truncated { at, what, needed, available }
    }
    #[cold]
    pub(crate) fn checksum(at: Location, what: &'static str, stored: u32, computed: u32) -> Self {
        ImageError::ChecksumMismatch { at, what, stored, computed }
    }
    #[cold]
    pub(crate) fn limit(at: Location, what: &'static str, value: u64, limit: &'static str, max: u64) -> Self {
        ImageError::LimitExceeded { at, what, value, limit, max }
    }
    #[cold]
    pub(crate) fn out_of_range(at: Location, what: &'static str, index: u64, range: String) -> Self {
        ImageError::OutOfRange { at, what, index, range }
    }
    #[cold]
    pub(crate) fn malformed(at: Location, message: impl Into<String>) -> Self {
        ImageError::Malformed { at, message: message.into() }
    }
    #[cold]
    pub(crate) fn decode(at: Location, message: impl Into<String>) -> Self {
        ImageError::Decode { at, message: message.into() }
    }
    #[cold]
    pub(crate) fn write(e: std::io::Error) -> Self {
        ImageError::Write(e)
    }
}

/// Result with [`ImageError`].
pub type Result<T, E = ImageError> = std::result::Result<T, E>;

/// Checks a length against a limit of limits.rs, naming both in the error.
macro_rules! check_limit {
    ($at:expr, $what:expr, $value:expr, $limit:path) => {{
        let value = $value as u64;
        if value > $limit as u64 {
            return Err($crate::error::ImageError::limit($at, $what, value, stringify!($limit), $limit as u64));
        }
    }};
}
pub(crate) use check_limit;
