//! The fixed-size structures of the file: header and section table entries
//! (spec/image-format.md §2, §3), named as in the spec.

use byteorder::{ByteOrder, LittleEndian as LE};

use crate::model::SectionKind;

/// `"PORTACR\0"`.
pub const MAGIC: [u8; 8] = *b"PORTACR\0";
/// The version this crate writes.
pub const FORMAT_MAJOR: u16 = 2;
pub const FORMAT_MINOR: u16 = 0;
/// The oldest major version this crate reads (1.x: implied ids, plain references).
pub const FORMAT_MAJOR_OLDEST: u16 = 1;
pub const HEADER_SIZE: usize = 48;
pub const SECTION_ENTRY_SIZE: usize = 48;
pub const CHUNK_HEADER_SIZE: usize = 12;
/// Section flag: a reader that does not know the kind may skip it.
pub const SECTION_FLAG_OPTIONAL: u32 = 1;
pub const CODEC_STORED: u32 = 0;
pub const CODEC_ZSTD_CHUNKS: u32 = 1;

/// The file header (spec §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    pub format_major: u16,
    pub format_minor: u16,
    pub flags: u32,
    pub section_count: u32,
    pub section_table_offset: u64,
    pub file_length: u64,
    pub section_table_crc32: u32,
}

impl FileHeader {
    /// The 48 bytes, `header_crc32` computed.
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..8].copy_from_slice(&MAGIC);
        LE::write_u16(&mut b[8..10], self.format_major);
        LE::write_u16(&mut b[10..12], self.format_minor);
        LE::write_u32(&mut b[12..16], self.flags);
        LE::write_u32(&mut b[16..20], self.section_count);
        // 20..24 reserved
        LE::write_u64(&mut b[24..32], self.section_table_offset);
        LE::write_u64(&mut b[32..40], self.file_length);
        LE::write_u32(&mut b[40..44], self.section_table_crc32);
        let crc = crc32fast::hash(&b[0..44]);
        LE::write_u32(&mut b[44..48], crc);
        b
    }
}

/// One section table entry (spec §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionEntry {
    pub kind: SectionKind,
    pub flags: u32,
    pub codec: u32,
    pub chunk_count: u32,
    pub offset: u64,
    pub stored_length: u64,
    pub raw_length: u64,
    pub raw_crc32: u32,
}

impl SectionEntry {
    /// Whether the entry is flagged `OPTIONAL`.
    pub fn is_optional(&self) -> bool {
        self.flags & SECTION_FLAG_OPTIONAL != 0
    }

    pub fn encode(&self, b: &mut [u8]) {
        LE::write_u32(&mut b[0..4], self.kind.0);
        LE::write_u32(&mut b[4..8], self.flags);
        LE::write_u32(&mut b[8..12], self.codec);
        LE::write_u32(&mut b[12..16], self.chunk_count);
        LE::write_u64(&mut b[16..24], self.offset);
        LE::write_u64(&mut b[24..32], self.stored_length);
        LE::write_u64(&mut b[32..40], self.raw_length);
        LE::write_u32(&mut b[40..44], self.raw_crc32);
        LE::write_u32(&mut b[44..48], 0);
    }

    /// Decodes 48 bytes; returns the entry and its reserved word.
    pub fn decode(b: &[u8]) -> (SectionEntry, u32) {
        (
            SectionEntry {
                kind: SectionKind(LE::read_u32(&b[0..4])),
                flags: LE::read_u32(&b[4..8]),
                codec: LE::read_u32(&b[8..12]),
                chunk_count: LE::read_u32(&b[12..16]),
                offset: LE::read_u64(&b[16..24]),
                stored_length: LE::read_u64(&b[24..32]),
                raw_length: LE::read_u64(&b[32..40]),
                raw_crc32: LE::read_u32(&b[40..44]),
            },
            LE::read_u32(&b[44..48]),
        )
    }
}

/// The bincode configuration of spec §6.
pub fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
        .with_limit::<{ crate::limits::MAX_METADATA_SECTION_RAW_SIZE }>()
}
