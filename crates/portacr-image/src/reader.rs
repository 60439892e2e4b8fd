//! Image reader: validates the header and section table on open, decodes
//! sections lazily and caches them (spec/image-format.md §2–§8, §11).


use std::fs::File;
use std::path::Path;
use std::sync::OnceLock;

use byteorder::{ByteOrder, LittleEndian as LE};
use serde::Deserialize;

use crate::error::{check_limit, ImageError, Location, Part, Result};
use crate::layout::*;
use crate::limits::*;
use crate::model::*;

enum Backing {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// An open image. Sections are decoded on first use and kept.
pub struct Image {
    backing: Backing,
    header: FileHeader,
    sections: Vec<SectionEntry>,
    payloads: Vec<OnceLock<Vec<u8>>>,
    stored_checked: Vec<OnceLock<()>>,
    platform: OnceLock<SourcePlatform>,
    launch: OnceLock<LaunchInfo>,
    classes: OnceLock<Vec<ClassRecord>>,
    layouts: OnceLock<Layouts>,
    symrefs: OnceLock<Vec<SymbolicRef>>,
    threads: OnceLock<Vec<ThreadRecord>>,
    resources: OnceLock<ResourceList>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").field("header", &self.header).field("sections", &self.sections).finish()
    }
}

impl Image {
    /// Maps `path` (an `image.pcr` file, or an image directory holding one)
    /// and validates its header and section table.
    pub fn open(path: &Path) -> Result<Image> {
        let path = if path.is_dir() { path.join(crate::writer::IMAGE_FILE_NAME) } else { path.to_path_buf() };
        let open_err = |source| ImageError::Open { path: path.clone(), source };
        let file = File::open(&path).map_err(open_err)?;
        // SAFETY: the image is only read. Images are written under a temporary
        // name and renamed, so a file at the final path is not modified while
        // mapped by a cooperating writer; every access is bounds-checked.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(open_err)?;
        Image::parse(Backing::Mapped(map))
    }

    /// Reads an image from bytes (tests, fuzzing).
    pub fn from_bytes(bytes: &[u8]) -> Result<Image> {
        Image::parse(Backing::Owned(bytes.to_vec()))
    }

    fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        }
    }

    fn parse(backing: Backing) -> Result<Image> {
        let b: &[u8] = match &backing {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        };
        let file_len = b.len() as u64;
        if b.len() < MAGIC.len() {
            return Err(ImageError::truncated(Location::header(0), "file header", HEADER_SIZE as u64, file_len));
        }
        if b[..8] != MAGIC {
            return Err(ImageError::BadMagic { found: b[..8].to_vec(), at: Location::header(0) });
        }
        if b.len() < HEADER_SIZE {
            return Err(ImageError::truncated(Location::header(0), "file header", HEADER_SIZE as u64, file_len));
        }
        let major = LE::read_u16(&b[8..10]);
        let minor = LE::read_u16(&b[10..12]);
        if !(FORMAT_MAJOR_OLDEST..=FORMAT_MAJOR).contains(&major) {
            return Err(ImageError::UnsupportedVersion { major, minor });
        }
        let stored_crc = LE::read_u32(&b[44..48]);
        let computed = crc32fast::hash(&b[0..44]);
        if stored_crc != computed {
            return Err(ImageError::checksum(Location::header(44), "header", stored_crc, computed));
        }
        let header = FileHeader {
            format_major: major,
            format_minor: minor,
            flags: LE::read_u32(&b[12..16]),
            section_count: LE::read_u32(&b[16..20]),
            section_table_offset: LE::read_u64(&b[24..32]),
            file_length: LE::read_u64(&b[32..40]),
            section_table_crc32: LE::read_u32(&b[40..44]),
        };
        if header.flags != 0 {
            return Err(ImageError::malformed(Location::header(12), format!("reserved header flags {:#x} set", header.flags)));
        }
        if LE::read_u32(&b[20..24]) != 0 {
            return Err(ImageError::malformed(Location::header(20), "reserved header word is not zero"));
        }
        if header.file_length > file_len {
            return Err(ImageError::truncated(Location::header(32), "file", header.file_length, file_len));
        }
        if header.file_length < file_len {
            return Err(ImageError::malformed(
                Location::header(32),
                format!("file is {file_len} bytes, header says {}", header.file_length),
            ));
        }
        check_limit!(Location::header(16), "section count", header.section_count, MAX_SECTIONS);
        let table_len = header.section_count as u64 * SECTION_ENTRY_SIZE as u64;
        if header.section_table_offset < HEADER_SIZE as u64
            || header.section_table_offset.checked_add(table_len) != Some(file_len)
        {
            return Err(ImageError::malformed(
                Location::header(24),
                format!(
                    "section table at {:#x} with {} entries does not end the {file_len}-byte file",
                    header.section_table_offset, header.section_count
                ),
            ));
        }
        let table = &b[header.section_table_offset as usize..];
        let computed = crc32fast::hash(table);
        if computed != header.section_table_crc32 {
            return Err(ImageError::checksum(
                Location { part: Part::SectionTable(0), offset: header.section_table_offset },
                "section table",
                header.section_table_crc32,
                computed,
            ));
        }
        let mut sections: Vec<SectionEntry> = Vec::with_capacity(header.section_count as usize);
        for (i, raw) in table.chunks_exact(SECTION_ENTRY_SIZE).enumerate() {
            let at = Location {
                part: Part::SectionTable(i as u32),
                offset: header.section_table_offset + (i * SECTION_ENTRY_SIZE) as u64,
            };
            let (entry, reserved) = SectionEntry::decode(raw);
            validate_entry(&entry, reserved, &header, at.clone())?;
            for (j, other) in sections.iter().enumerate() {
                if other.kind == entry.kind {
                    return Err(ImageError::malformed(at, format!("section {} appears twice (also entry {j})", entry.kind)));
                }
                let disjoint = entry.offset + entry.stored_length <= other.offset
                    || other.offset + other.stored_length <= entry.offset;
                if !disjoint && entry.stored_length > 0 && other.stored_length > 0 {
                    return Err(ImageError::malformed(
                        at,
                        format!("section {} overlaps section {} (entry {j})", entry.kind, other.kind),
                    ));
                }
            }
            sections.push(entry);
        }
        let n = sections.len();
        Ok(Image {
            backing,
            header,
            sections,
            payloads: (0..n).map(|_| OnceLock::new()).collect(),
            stored_checked: (0..n).map(|_| OnceLock::new()).collect(),
            platform: OnceLock::new(),
            launch: OnceLock::new(),
            classes: OnceLock::new(),
            layouts: OnceLock::new(),
            symrefs: OnceLock::new(),
            threads: OnceLock::new(),
            resources: OnceLock::new(),
        })
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// Every section table entry, in table order (unknown optional kinds included).
    pub fn sections(&self) -> &[SectionEntry] {
        &self.sections
    }

    /// The table entry of `kind`, if present.
    pub fn section(&self, kind: SectionKind) -> Option<&SectionEntry> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// The raw (decoded) payload of `kind`, checksums verified.
    pub fn payload(&self, kind: SectionKind) -> Result<&[u8]> {
        let index = self.sections.iter().position(|s| s.kind == kind).ok_or(ImageError::MissingSection(kind))?;
        let entry = &self.sections[index];
        let stored = &self.bytes()[entry.offset as usize..(entry.offset + entry.stored_length) as usize];
        match entry.codec {
            CODEC_STORED => {
                if self.stored_checked[index].get().is_none() {
                    check_raw_crc(entry, stored)?;
                    let _ = self.stored_checked[index].set(());
                }
                Ok(stored)
            }
            _ => {
                if let Some(p) = self.payloads[index].get() {
                    return Ok(p);
                }
                let decoded = decode_chunks(entry, stored)?;
                Ok(self.payloads[index].get_or_init(|| decoded))
            }
        }
    }

    /// Decodes section `kind` into `out` (exactly its raw length), checksums
    /// verified, without caching it; the file pages of each chunk are dropped
    /// from this process's memory once the chunk is decoded (they stay in the
    /// page cache). The restore uses this for OBJECTS so that the mapped file
    /// does not stay resident beside the decoded payload (spec/restore.md §4.4).
    pub fn decode_into(&self, kind: SectionKind, out: &mut [u8]) -> Result<()> {
        let entry = self.section(kind).ok_or(ImageError::MissingSection(kind))?;
        let stored = &self.bytes()[entry.offset as usize..(entry.offset + entry.stored_length) as usize];
        if entry.codec == CODEC_STORED {
            if out.len() != stored.len() {
                return Err(ImageError::malformed(
                    Location { part: Part::Section(kind), offset: entry.offset },
                    format!("a {}-byte buffer cannot take the section's {} raw bytes", out.len(), stored.len()),
                ));
            }
            check_raw_crc(entry, stored)?;
            out.copy_from_slice(stored);
            self.drop_resident(entry.offset as usize..(entry.offset + entry.stored_length) as usize);
            return Ok(());
        }
        let base = entry.offset as usize;
        decode_chunks_to(entry, stored, &mut ChunkOutput::Into(out), &mut |range| {
            self.drop_resident(base + range.start..base + range.end)
        })
    }

    /// The raw length of section `kind`.
    pub fn raw_length(&self, kind: SectionKind) -> Option<u64> {
        self.section(kind).map(|e| e.raw_length)
    }

    /// Drops the whole pages inside `range` of the mapped file from this
    /// process's resident memory (a later read faults them in again from the
    /// page cache). Best effort: an error leaves them resident.
    fn drop_resident(&self, range: std::ops::Range<usize>) {
        if let Backing::Mapped(map) = &self.backing {
            let page = page_size();
            let start = range.start.div_ceil(page) * page;
            let end = range.end / page * page;
            if end > start {
                // SAFETY: the mapping is a shared read-only file mapping; after
                // MADV_DONTNEED a read faults the same file bytes in again, so
                // no reference into `map` sees different data.
                let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
            }
        }
    }

    /// PLATFORM.
    pub fn platform(&self) -> Result<&SourcePlatform> {
        cached(&self.platform, || decode_whole(SectionKind::PLATFORM, self.payload(SectionKind::PLATFORM)?))
    }

    /// LAUNCH.
    pub fn launch(&self) -> Result<&LaunchInfo> {
        cached(&self.launch, || {
            let kind = SectionKind::LAUNCH;
            let launch: LaunchInfo = decode_whole(kind, self.payload(kind)?)?;
            let at = Location::payload(kind, 0);
            check_limit!(at.clone(), "argument count", launch.arguments.len(), MAX_METADATA_LIST);
            check_limit!(at.clone(), "JVM option count", launch.jvm_options.len(), MAX_METADATA_LIST);
            check_limit!(at, "system property count", launch.system_properties.len(), MAX_METADATA_LIST);
            Ok(launch)
        })
    }

    /// CLASSES, with the structure objects need checked: field and interface
    /// counts, superclass index below the class's own, field types readable.
    pub fn classes(&self) -> Result<&[ClassRecord]> {
        cached(&self.classes, || {
            let kind = SectionKind::CLASSES;
            decode_list(kind, "class", MAX_CLASSES, self.payload(kind)?, |i, c: &ClassRecord, at| {
                check_limit!(at.clone(), "field count", c.fields.len(), MAX_FIELDS_PER_CLASS);
                check_limit!(at.clone(), "interface count", c.interfaces.len(), MAX_INTERFACES_PER_CLASS);
                if let Some(s) = c.super_class {
                    if s as u64 >= i {
                        return Err(ImageError::malformed(
                            at,
                            format!("superclass index {s} is not below the class's own index {i}"),
                        ));
                    }
                }
                for (f, field) in c.fields.iter().enumerate() {
                    if FieldType::from_descriptor(&field.descriptor).is_none() {
                        return Err(ImageError::malformed(
                            at,
                            format!("field {f} ({}) has descriptor {:?}, not a field type", field.name, field.descriptor),
                        ));
                    }
                }
                Ok(())
            })
        })
        .map(Vec::as_slice)
    }

    /// SYMREFS.
    pub fn symrefs(&self) -> Result<&[SymbolicRef]> {
        cached(&self.symrefs, || {
            let kind = SectionKind::SYMREFS;
            decode_list(kind, "symref", MAX_SYMREFS, self.payload(kind)?, |_, _: &SymbolicRef, _| Ok(()))
        })
        .map(Vec::as_slice)
    }

    /// THREADS.
    pub fn threads(&self) -> Result<&[ThreadRecord]> {
        cached(&self.threads, || {
            let kind = SectionKind::THREADS;
            decode_list(kind, "thread", MAX_THREADS, self.payload(kind)?, |_, t: &ThreadRecord, at| {
                check_limit!(at.clone(), "frame count", t.frames.len(), MAX_FRAME_DEPTH);
                for f in &t.frames {
                    check_limit!(at.clone(), "local count", f.locals.len(), MAX_FRAME_SLOTS);
                    check_limit!(at.clone(), "operand count", f.operands.len(), MAX_FRAME_SLOTS);
                    check_limit!(at.clone(), "monitor count", f.monitors.len(), MAX_MONITORS_PER_FRAME);
                }
                Ok(())
            })
        })
        .map(Vec::as_slice)
    }

    /// RESOURCES.
    pub fn resources(&self) -> Result<&ResourceList> {
        cached(&self.resources, || {
            let kind = SectionKind::RESOURCES;
            let payload = self.payload(kind)?;
            if payload.len() >= 8 {
                check_limit!(Location::payload(kind, 0), "resource count", LE::read_u64(&payload[..8]), MAX_RESOURCES);
            }
            decode_whole(kind, payload)
        })
    }

    /// Instance layouts of every class (spec §7.1).
    pub fn layouts(&self) -> Result<&Layouts> {
        cached(&self.layouts, || Layouts::compute(self.classes()?))
    }

    /// The OBJECTS records in payload order (format 1.x: id order), references decoded to
    /// ids. Needs CLASSES for instance layouts.
    pub fn objects(&self) -> Result<ObjectIter<'_>> {
        let data = self.payload(SectionKind::OBJECTS)?;
        Ok(ObjectIter {
            data,
            pos: 0,
            index: 0,
            classes: self.classes()?,
            layouts: self.layouts()?,
            done: false,
            named_ids: self.header.format_major >= 2,
            previous_id: 0,
        })
    }

    /// Whether OBJECTS records name their ids and hold reference words (format 2.x, spec §7).
    pub fn objects_name_ids(&self) -> bool {
        self.header.format_major >= 2
    }

    /// The STATICS entries. Needs CLASSES.
    pub fn statics(&self) -> Result<StaticsIter<'_>> {
        let kind = SectionKind::STATICS;
        let data = self.payload(kind)?;
        let classes = self.classes()?;
        let mut cur = Cursor { data, pos: 0 };
        let count = cur.u32(|| Location::payload(kind, 0), "entry count")?;
        check_limit!(Location::payload(kind, 0), "statics entry count", count, MAX_CLASSES);
        Ok(StaticsIter { cur, remaining: count, index: 0, classes, done: false })
    }
}

fn cached<T>(cell: &OnceLock<T>, f: impl FnOnce() -> Result<T>) -> Result<&T> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = f()?;
    Ok(cell.get_or_init(|| v))
}

fn validate_entry(e: &SectionEntry, reserved: u32, header: &FileHeader, at: Location) -> Result<()> {
    if reserved != 0 {
        return Err(ImageError::malformed(at, "reserved word is not zero"));
    }
    if e.flags & !SECTION_FLAG_OPTIONAL != 0 {
        return Err(ImageError::malformed(at, format!("reserved section flags {:#x} set", e.flags)));
    }
    if !e.kind.is_known() && !e.is_optional() {
        return Err(ImageError::malformed(at, format!("unknown required section kind {}", e.kind.0)));
    }
    let end = e.offset.checked_add(e.stored_length);
    if e.offset < HEADER_SIZE as u64 || end.is_none_or(|end| end > header.section_table_offset) {
        return Err(ImageError::malformed(
            at,
            format!(
                "section {} at {:#x}+{} lies outside the section area {:#x}..{:#x}",
                e.kind, e.offset, e.stored_length, HEADER_SIZE, header.section_table_offset
            ),
        ));
    }
    if !e.kind.is_known() {
        return Ok(()); // optional and unknown: skipped, only its range matters
    }
    let max_raw = if matches!(e.kind, SectionKind::OBJECTS | SectionKind::STATICS) {
        MAX_SECTION_RAW_SIZE
    } else {
        MAX_METADATA_SECTION_RAW_SIZE as u64
    };
    if e.raw_length > max_raw {
        let limit = if max_raw == MAX_SECTION_RAW_SIZE { "MAX_SECTION_RAW_SIZE" } else { "MAX_METADATA_SECTION_RAW_SIZE" };
        return Err(ImageError::limit(at, "raw length", e.raw_length, limit, max_raw));
    }
    match e.codec {
        CODEC_STORED => {
            if e.chunk_count != 0 || e.stored_length != e.raw_length {
                return Err(ImageError::malformed(
                    at,
                    format!("stored section has {} chunks and {} stored / {} raw bytes", e.chunk_count, e.stored_length, e.raw_length),
                ));
            }
        }
        CODEC_ZSTD_CHUNKS => {
            check_limit!(at.clone(), "chunk count", e.chunk_count, MAX_CHUNKS);
            if (e.chunk_count as u64) * (CHUNK_HEADER_SIZE as u64) > e.stored_length
                || e.raw_length > e.chunk_count as u64 * MAX_CHUNK_RAW_SIZE as u64
            {
                return Err(ImageError::malformed(
                    at,
                    format!("{} chunks cannot hold {} stored / {} raw bytes", e.chunk_count, e.stored_length, e.raw_length),
                ));
            }
        }
        other => return Err(ImageError::malformed(at, format!("unknown codec {other}"))),
    }
    Ok(())
}

fn check_raw_crc(entry: &SectionEntry, raw: &[u8]) -> Result<()> {
    let computed = crc32fast::hash(raw);
    if computed != entry.raw_crc32 {
        return Err(ImageError::checksum(
            Location { part: Part::Section(entry.kind), offset: entry.offset },
            "payload",
            entry.raw_crc32,
            computed,
        ));
    }
    Ok(())
}

/// Where [`decode_chunks_to`] puts the decoded chunks.
enum ChunkOutput<'a> {
    /// A vector that grows chunk by chunk, so memory follows real data,
    /// never a claimed length.
    Grow(Vec<u8>),
    /// The caller's buffer of exactly the section's raw length.
    Into(&'a mut [u8]),
}

impl ChunkOutput<'_> {
    fn len(&self, filled: usize) -> usize {
        match self {
            ChunkOutput::Grow(v) => v.len(),
            ChunkOutput::Into(_) => filled,
        }
    }

    /// The `len` bytes after the `filled` ones, ready to be written.
    fn room(&mut self, filled: usize, len: usize) -> &mut [u8] {
        match self {
            ChunkOutput::Grow(v) => {
                // `resize` grows the Vec by doubling, so memory follows decoded data.
                v.resize(filled + len, 0);
                &mut v[filled..]
            }
            ChunkOutput::Into(b) => &mut b[filled..filled + len],
        }
    }
}

/// Decodes a codec-1 section into a vector.
fn decode_chunks(entry: &SectionEntry, stored: &[u8]) -> Result<Vec<u8>> {
    let initial = entry.raw_length.min(4 * MAX_CHUNK_RAW_SIZE as u64) as usize;
    let mut out = ChunkOutput::Grow(Vec::with_capacity(initial));
    decode_chunks_to(entry, stored, &mut out, &mut |_| {})?;
    match out {
        ChunkOutput::Grow(v) => Ok(v),
        ChunkOutput::Into(_) => unreachable!("decode_chunks made a growing output"),
    }
}

/// Decodes a codec-1 section chunk by chunk into `out`; a chunk is
/// decompressed only after its crc matched. `decoded` is told the range of
/// `stored` each chunk came from once the chunk is decoded (the restore
/// drops those file pages from memory, spec/restore.md §4.4).
fn decode_chunks_to(
    entry: &SectionEntry,
    stored: &[u8],
    out: &mut ChunkOutput,
    decoded: &mut dyn FnMut(std::ops::Range<usize>),
) -> Result<()> {
    let kind = entry.kind;
    if let ChunkOutput::Into(b) = out {
        if b.len() as u64 != entry.raw_length {
            return Err(ImageError::malformed(
                Location { part: Part::Section(kind), offset: entry.offset },
                format!("a {}-byte buffer cannot take the section's {} raw bytes", b.len(), entry.raw_length),
            ));
        }
    }
    let mut pos = 0usize;
    let mut filled = 0usize;
    let mut raw_crc = crc32fast::Hasher::new();
    let mut decompressor = zstd::bulk::Decompressor::new().map_err(ImageError::write)?;
    for chunk in 0..entry.chunk_count {
        let file_offset = entry.offset + pos as u64;
        let at = Location { part: Part::Chunk(kind, chunk), offset: file_offset };
        let left = stored.len() - pos;
        if left < CHUNK_HEADER_SIZE {
            return Err(ImageError::truncated(at, "chunk header", CHUNK_HEADER_SIZE as u64, left as u64));
        }
        let h = &stored[pos..pos + CHUNK_HEADER_SIZE];
        let (stored_len, raw_len, crc) = (LE::read_u32(&h[0..4]), LE::read_u32(&h[4..8]), LE::read_u32(&h[8..12]));
        if raw_len == 0 || raw_len > MAX_CHUNK_RAW_SIZE {
            return Err(ImageError::limit(at, "chunk raw length", raw_len as u64, "MAX_CHUNK_RAW_SIZE", MAX_CHUNK_RAW_SIZE as u64));
        }
        if out.len(filled) as u64 + raw_len as u64 > entry.raw_length {
            return Err(ImageError::malformed(
                at,
                format!("chunks hold more than the section's {} raw bytes", entry.raw_length),
            ));
        }
        let chunk_start = pos;
        pos += CHUNK_HEADER_SIZE;
        let left = stored.len() - pos;
        if (stored_len as usize) > left {
            return Err(ImageError::truncated(at, "zstd frame", stored_len as u64, left as u64));
        }
        let frame = &stored[pos..pos + stored_len as usize];
        let computed = crc32fast::hash(frame);
        if computed != crc {
            return Err(ImageError::checksum(at, "chunk", crc, computed));
        }
        let room = out.room(filled, raw_len as usize);
        let written = match decompressor.decompress_to_buffer(frame, room) {
            Ok(n) => n,
            Err(e) => {
                return Err(ImageError::malformed(at, format!("zstd frame does not decode to {raw_len} bytes: {e}")));
            }
        };
        if written != raw_len as usize {
            return Err(ImageError::malformed(at, format!("zstd frame decodes to {written} bytes, chunk header says {raw_len}")));
        }
        // Hashed while the chunk is still in the cache.
        raw_crc.update(&out.room(filled, raw_len as usize)[..]);
        filled += raw_len as usize;
        pos += stored_len as usize;
        decoded(chunk_start..pos);
    }
    if pos != stored.len() {
        return Err(ImageError::malformed(
            Location { part: Part::Section(kind), offset: entry.offset + pos as u64 },
            format!("{} bytes after the last chunk", stored.len() - pos),
        ));
    }
    if filled as u64 != entry.raw_length {
        return Err(ImageError::malformed(
            Location { part: Part::Section(kind), offset: entry.offset },
            format!("chunks hold {} raw bytes, section table says {}", filled, entry.raw_length),
        ));
    }
    let computed = raw_crc.finalize();
    if computed != entry.raw_crc32 {
        return Err(ImageError::checksum(
            Location { part: Part::Section(kind), offset: entry.offset },
            "payload",
            entry.raw_crc32,
            computed,
        ));
    }
    Ok(())
}

fn bincode_message(e: bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError as D;
    match e {
        D::UnexpectedEnd { additional } => format!("unexpected end of payload, {additional} more bytes needed"),
        D::LimitExceeded => "length exceeds MAX_METADATA_SECTION_RAW_SIZE".to_string(),
        D::UnexpectedVariant { found, type_name, .. } => format!("invalid variant index {found} for {type_name}"),
        D::InvalidBooleanValue(v) => format!("invalid bool value {v}"),
        D::Utf8 { inner } => format!("invalid UTF-8 in string: {inner}"),
        other => other.to_string().replace('\n', " "),
    }
}

/// Decodes a section holding one bincode value that must fill it.
fn decode_whole<'a, T: Deserialize<'a>>(kind: SectionKind, payload: &'a [u8]) -> Result<T> {
    let (value, used) = bincode::serde::borrow_decode_from_slice::<T, _>(payload, bincode_config())
        .map_err(|e| ImageError::decode(Location::payload(kind, 0), bincode_message(e)))?;
    if used != payload.len() {
        return Err(ImageError::malformed(
            Location::payload(kind, used as u64),
            format!("{} trailing bytes after the value", payload.len() - used),
        ));
    }
    Ok(value)
}

/// Decodes a bincode `Vec<T>` section element by element, so that errors
/// name the record and its offset, and the count is checked before any
/// storage is reserved for it.
fn decode_list<'a, T: Deserialize<'a>>(
    kind: SectionKind,
    record: &'static str,
    max: usize,
    payload: &'a [u8],
    mut check: impl FnMut(u64, &T, Location) -> Result<()>,
) -> Result<Vec<T>> {
    if payload.len() < 8 {
        return Err(ImageError::truncated(Location::payload(kind, 0), "list length", 8, payload.len() as u64));
    }
    let count = LE::read_u64(&payload[..8]);
    if count > max as u64 {
        let limit = match kind {
            SectionKind::CLASSES => "MAX_CLASSES",
            SectionKind::SYMREFS => "MAX_SYMREFS",
            _ => "MAX_THREADS",
        };
        return Err(ImageError::limit(Location::payload(kind, 0), "list length", count, limit, max as u64));
    }
    let mut pos = 8usize;
    // Each record takes at least one byte, so the payload bounds the reservation.
    let mut out = Vec::with_capacity((count as usize).min(payload.len() - pos));
    for i in 0..count {
        let at = Location::record(kind, record, i, pos as u64);
        let (value, used) = bincode::serde::borrow_decode_from_slice::<T, _>(&payload[pos..], bincode_config())
            .map_err(|e| ImageError::decode(at.clone(), bincode_message(e)))?;
        check(i, &value, at)?;
        out.push(value);
        pos += used;
    }
    if pos != payload.len() {
        return Err(ImageError::malformed(
            Location::payload(kind, pos as u64),
            format!("{} trailing bytes after {count} records", payload.len() - pos),
        ));
    }
    Ok(out)
}

/// The instance layout (spec §7.1) of every class, in one arena.
#[derive(Debug, Default)]
pub struct Layouts {
    types: Vec<FieldType>,
    /// Per class: start in `types`, number of values, bytes of a record.
    spans: Vec<(u32, u32, u32)>,
}

impl Layouts {
    fn compute(classes: &[ClassRecord]) -> Result<Layouts> {
        let mut l = Layouts { types: Vec::new(), spans: Vec::with_capacity(classes.len()) };
        for (i, c) in classes.iter().enumerate() {
            let at = Location::record(SectionKind::CLASSES, "class", i as u64, 0);
            let start = l.types.len();
            let mut bytes = 0u32;
            if let Some(s) = c.super_class {
                // classes() checked s < i
                let (ss, sn, sb) = l.spans[s as usize];
                l.types.extend_from_within(ss as usize..(ss + sn) as usize);
                bytes = sb;
            }
            for f in c.fields.iter().filter(|f| !f.is_static()) {
                let t = FieldType::from_descriptor(&f.descriptor)
                    .ok_or_else(|| ImageError::malformed(at.clone(), "field descriptor is not a field type"))?;
                l.types.push(t);
                bytes += t.size() as u32;
            }
            let n = l.types.len() - start;
            check_limit!(at.clone(), "instance layout length", n, MAX_INSTANCE_FIELDS);
            check_limit!(at, "total instance layout length", l.types.len(), MAX_LAYOUT_TOTAL);
            l.spans.push((start as u32, n as u32, bytes));
        }
        Ok(l)
    }

    /// The value types of an instance of class `class`, in record order.
    pub fn layout(&self, class: u32) -> Option<&[FieldType]> {
        let &(s, n, _) = self.spans.get(class as usize)?;
        Some(&self.types[s as usize..(s + n) as usize])
    }

    /// Bytes of the field values of an instance of `class`.
    pub fn record_bytes(&self, class: u32) -> Option<usize> {
        self.spans.get(class as usize).map(|s| s.2 as usize)
    }
}

/// The size of a memory page (4 KiB when the system does not say).
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as usize } else { 4096 }
}

/// Bounds-checked little-endian reading of a raw payload.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, at: impl Fn() -> Location, what: &'static str) -> Result<&'a [u8]> {
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(ImageError::truncated(at(), what, n as u64, left as u64));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self, at: impl Fn() -> Location, what: &'static str) -> Result<u8> {
        Ok(self.take(1, at, what)?[0])
    }
    fn u32(&mut self, at: impl Fn() -> Location, what: &'static str) -> Result<u32> {
        Ok(LE::read_u32(self.take(4, at, what)?))
    }
}

fn class_index(classes: &[ClassRecord], class: u32, at: Location) -> Result<&ClassRecord> {
    classes
        .get(class as usize)
        .ok_or_else(|| ImageError::out_of_range(at, "class index", class as u64, format!("0..{}", classes.len())))
}

/// Iterator over OBJECTS records; stops after the first error.
pub struct ObjectIter<'a> {
    data: &'a [u8],
    pos: usize,
    index: u64,
    classes: &'a [ClassRecord],
    layouts: &'a Layouts,
    done: bool,
    /// Format 2.x: records carry a step to their id, references are reference words.
    named_ids: bool,
    previous_id: u32,
}

/// `zigzag(d)` of spec §7, for a 32-bit difference in wrapping arithmetic.
pub fn zigzag(d: u32) -> u32 {
    let d = d as i32;
    ((d << 1) ^ (d >> 31)) as u32
}

/// The inverse of [`zigzag`], as a wrapping 32-bit difference.
pub fn unzigzag(z: u32) -> u32 {
    (z >> 1) ^ (z & 1).wrapping_neg()
}

/// The id a 2.x record names (spec §7): the previous record's id plus one plus
/// `unzigzag(step)`, in wrapping 32-bit arithmetic (0 before the first record).
pub fn id_after_step(previous_id: u32, step: u32) -> u32 {
    previous_id.wrapping_add(1).wrapping_add(unzigzag(step))
}

/// The step a 2.x record naming `id` carries after a record naming `previous_id`: the
/// inverse of [`id_after_step`].
pub fn step_to(previous_id: u32, id: u32) -> u32 {
    zigzag(id.wrapping_sub(previous_id).wrapping_sub(1))
}

/// Why a 2.x step (spec §7) could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepError {
    /// The payload ends inside the step.
    Truncated,
    /// More than 5 bytes, or more than 32 bits.
    TooLong,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StepError::Truncated => "truncated id step",
            StepError::TooLong => "id step longer than 32 bits",
        })
    }
}

/// Reads a 2.x step (unsigned LEB128, at most 5 bytes, at most 32 bits) at `pos`; returns it
/// and the bytes it took.
pub fn read_step(data: &[u8], pos: usize) -> std::result::Result<(u32, usize), StepError> {
    let mut value = 0u32;
    for i in 0..5 {
        let Some(&b) = data.get(pos + i) else { return Err(StepError::Truncated) };
        if i == 4 && b > 0x0f {
            return Err(StepError::TooLong);
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    // Not reached: a fifth byte either ends the step or is refused above.
    Err(StepError::TooLong)
}

/// Decodes one reference word of a 2.x record (spec §7) against `base`, the record's id or
/// its previous non-null reference, which it moves on: `Some(0)` for null, `Some(id)`, or
/// None if the word decodes to id 0, which no reference can be.
pub fn decode_reference_word(base: &mut u32, word: u32) -> Option<u32> {
    if word == 0 {
        return Some(0);
    }
    let r = base.wrapping_add(unzigzag(word - 1));
    if r == 0 {
        return None;
    }
    *base = r;
    Some(r)
}

/// Decodes the reference words of one 2.x record, in order, into `out`; false if one
/// decodes to id 0 ([`decode_reference_word`]).
pub fn decode_reference_words(id: u32, words: impl Iterator<Item = u32>, mut out: impl FnMut(u32)) -> bool {
    let mut base = id;
    for w in words {
        match decode_reference_word(&mut base, w) {
            Some(r) => out(r),
            None => return false,
        }
    }
    true
}

/// A 2.x record's id that breaks the rule "the ids are 1..N, each once" (spec §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdDefect {
    /// 0, or more than the payload could hold records.
    BeyondAnyCount(u32),
    GivenTwice(u32),
    /// Above N, known once every record is read.
    AboveCount { id: u32, count: u64 },
}

impl std::fmt::Display for IdDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdDefect::BeyondAnyCount(id) => write!(f, "object id {id} is beyond any possible object count"),
            IdDefect::GivenTwice(id) => write!(f, "object id {id} is given twice"),
            IdDefect::AboveCount { id, count } => write!(f, "object id {id} is above the {count} objects of the image"),
        }
    }
}

/// Checks, record by record, that the ids a 2.x OBJECTS payload names are 1..N, each once:
/// a bit per possible id, their number bounded by the payload (a record takes two bytes
/// at least, tag and step), so the bitmap is at most a sixteenth of the payload.
pub struct RecordIds {
    bound: u64,
    seen: Vec<u64>,
    /// The highest id so far, with its record number and payload offset.
    highest: (u32, u64, usize),
}

impl RecordIds {
    /// For an OBJECTS payload of `payload_len` bytes.
    pub fn new(payload_len: usize) -> RecordIds {
        let bound = payload_len as u64 / 2;
        RecordIds { bound, seen: vec![0; (bound / 64 + 1) as usize], highest: (0, 0, 0) }
    }

    /// Record number `record` (from 1), at payload offset `at`, names `id`. An id given
    /// twice is counted as seen; an id beyond any count is not.
    pub fn record(&mut self, id: u32, record: u64, at: usize) -> std::result::Result<(), IdDefect> {
        if id == 0 || u64::from(id) > self.bound {
            return Err(IdDefect::BeyondAnyCount(id));
        }
        let (word, bit) = (id as usize / 64, id % 64);
        let twice = self.seen[word] & (1 << bit) != 0;
        self.seen[word] |= 1 << bit;
        if id > self.highest.0 {
            self.highest = (id, record, at);
        }
        if twice {
            return Err(IdDefect::GivenTwice(id));
        }
        Ok(())
    }

    /// After the last of `count` records: an id above `count`, with its record number and
    /// offset. With no id given twice, every id 1..=count was then named once.
    pub fn finish(&self, count: u64) -> std::result::Result<(), (IdDefect, u64, usize)> {
        let (id, record, at) = self.highest;
        if u64::from(id) > count {
            return Err((IdDefect::AboveCount { id, count }, record, at));
        }
        Ok(())
    }
}

impl<'a> ObjectIter<'a> {
    /// Payload offset of the next record.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn read_record(&mut self) -> Result<ObjectRecord<'a>> {
        let index = self.index;
        let kind = SectionKind::OBJECTS;
        let mut cur = Cursor { data: self.data, pos: self.pos };
        let at_pos = |p: usize| Location::record(kind, "object", index + 1, p as u64);
        if index >= MAX_OBJECTS {
            return Err(ImageError::limit(at_pos(cur.pos), "object count", index + 1, "MAX_OBJECTS", MAX_OBJECTS));
        }
        let tag_pos = cur.pos;
        let tag = cur.u8(|| at_pos(tag_pos), "tag")?;
        if tag & OBJECT_TAG_RESERVED != 0 {
            return Err(ImageError::malformed(at_pos(tag_pos), format!("reserved tag bits set in tag {tag:#04x}")));
        }
        let id = if self.named_ids {
            let p = cur.pos;
            let (step, used) = read_step(self.data, p).map_err(|e| match e {
                StepError::Truncated => ImageError::truncated(at_pos(p), "id step", 1, 0),
                StepError::TooLong => ImageError::malformed(at_pos(p), e.to_string()),
            })?;
            cur.pos += used;
            let id = id_after_step(self.previous_id, step);
            if id == 0 {
                return Err(ImageError::malformed(at_pos(p), "id step gives object id 0"));
            }
            id
        } else {
            (index + 1) as u32
        };
        let identity_hash = if tag & OBJECT_TAG_HASHED != 0 {
            let p = cur.pos;
            Some(cur.u32(|| at_pos(p), "identity hash")?)
        } else {
            None
        };
        let classes = self.classes;
        let named_ids = self.named_ids;
        let words_defect = |p: usize| ImageError::malformed(at_pos(p), "a reference word decodes to object id 0");
        let body = match tag & 0x0f {
            OBJECT_KIND_INSTANCE => {
                let p = cur.pos;
                let class = cur.u32(|| at_pos(p), "class index")?;
                let record = class_index(classes, class, at_pos(p))?;
                if record.name.starts_with('[') {
                    return Err(ImageError::malformed(at_pos(p), format!("INSTANCE of array class {}", record.name)));
                }
                let types = self.layouts.layout(class).unwrap_or(&[]);
                let bytes = self.layouts.record_bytes(class).unwrap_or(0);
                let p = cur.pos;
                let mut raw = cur.take(bytes, || at_pos(p), "field values")?;
                let mut values = Vec::with_capacity(types.len());
                for t in types {
                    let (v, rest) = raw.split_at(t.size());
                    values.push(t.read(v));
                    raw = rest;
                }
                if named_ids {
                    let mut base = id;
                    for v in values.iter_mut() {
                        if let FieldValue::Ref(o) = v {
                            o.0 = decode_reference_word(&mut base, o.0).ok_or_else(|| words_defect(p))?;
                        }
                    }
                }
                ObjectBody::Instance { class, values }
            }
            OBJECT_KIND_PRIM_ARRAY => {
                let p = cur.pos;
                let class = cur.u32(|| at_pos(p), "class index")?;
                let record = class_index(classes, class, at_pos(p))?;
                let elem = match record.name.as_bytes() {
                    [b'[', c] => PrimKind::from_descriptor_char(*c),
                    _ => None,
                }
                .ok_or_else(|| {
                    ImageError::malformed(at_pos(p), format!("PRIM_ARRAY of class {}, not a primitive array class", record.name))
                })?;
                let p = cur.pos;
                let length = cur.u32(|| at_pos(p), "array length")?;
                check_limit!(at_pos(p), "array length", length, MAX_ARRAY_LENGTH);
                let p = cur.pos;
                let data = cur.take(length as usize * elem.size(), || at_pos(p), "array elements")?;
                ObjectBody::PrimArray { class, elem, data }
            }
            OBJECT_KIND_REF_ARRAY => {
                let p = cur.pos;
                let class = cur.u32(|| at_pos(p), "class index")?;
                let record = class_index(classes, class, at_pos(p))?;
                if !(record.name.starts_with("[L") || record.name.starts_with("[[")) {
                    return Err(ImageError::malformed(
                        at_pos(p),
                        format!("REF_ARRAY of class {}, not a reference array class", record.name),
                    ));
                }
                let p = cur.pos;
                let length = cur.u32(|| at_pos(p), "array length")?;
                check_limit!(at_pos(p), "array length", length, MAX_ARRAY_LENGTH);
                let p = cur.pos;
                let raw = cur.take(length as usize * 4, || at_pos(p), "array elements")?;
                let words = raw.chunks_exact(4).map(LE::read_u32);
                let elements = if named_ids {
                    let mut elements = Vec::with_capacity(length as usize);
                    if !decode_reference_words(id, words, |r| elements.push(ObjectId(r))) {
                        return Err(words_defect(p));
                    }
                    elements
                } else {
                    words.map(ObjectId).collect()
                };
                ObjectBody::RefArray { class, elements }
            }
            OBJECT_KIND_STRING => {
                let p = cur.pos;
                let flags = cur.u8(|| at_pos(p), "string flags")?;
                if flags & !(STRING_FLAG_INTERNED | STRING_FLAG_UTF16) != 0 {
                    return Err(ImageError::malformed(at_pos(p), format!("reserved string flags set in {flags:#04x}")));
                }
                let p = cur.pos;
                let length = cur.u32(|| at_pos(p), "string length")?;
                check_limit!(at_pos(p), "string length", length, MAX_STRING_LENGTH);
                let utf16 = flags & STRING_FLAG_UTF16 != 0;
                let p = cur.pos;
                let chars = cur.take(length as usize * if utf16 { 2 } else { 1 }, || at_pos(p), "string chars")?;
                ObjectBody::String { interned: flags & STRING_FLAG_INTERNED != 0, utf16, chars }
            }
            OBJECT_KIND_SYMBOLIC => {
                let p = cur.pos;
                ObjectBody::Symbolic(cur.u32(|| at_pos(p), "symref index")?)
            }
            k => return Err(ImageError::malformed(at_pos(tag_pos), format!("unknown object kind {k}"))),
        };
        self.pos = cur.pos;
        self.index += 1;
        self.previous_id = id;
        Ok(ObjectRecord { id: ObjectId(id), identity_hash, body })
    }
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = Result<ObjectRecord<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let r = self.read_record();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// The types of the static fields of a class, in `fields` order.
pub fn static_field_types(class: &ClassRecord) -> impl Iterator<Item = FieldType> + '_ {
    class.fields.iter().filter(|f| f.is_static()).filter_map(|f| FieldType::from_descriptor(&f.descriptor))
}

/// Iterator over STATICS entries; stops after the first error.
pub struct StaticsIter<'a> {
    cur: Cursor<'a>,
    remaining: u32,
    index: u64,
    classes: &'a [ClassRecord],
    done: bool,
}

impl StaticsIter<'_> {
    fn read_entry(&mut self) -> Result<StaticsEntry> {
        let index = self.index;
        let at_pos = |p: usize| Location::record(SectionKind::STATICS, "entry", index, p as u64);
        let p = self.cur.pos;
        let class = self.cur.u32(|| at_pos(p), "class index")?;
        let record = class_index(self.classes, class, at_pos(p))?;
        let p = self.cur.pos;
        let n = self.cur.u32(|| at_pos(p), "value count")?;
        let types: Vec<FieldType> = static_field_types(record).collect();
        if n as usize != types.len() {
            return Err(ImageError::malformed(
                at_pos(p),
                format!("{n} static values for class {}, which has {} static fields", record.name, types.len()),
            ));
        }
        let mut values = Vec::with_capacity(types.len());
        for t in types {
            let p = self.cur.pos;
            values.push(t.read(self.cur.take(t.size(), || at_pos(p), "static value")?));
        }
        self.index += 1;
        Ok(StaticsEntry { class, values })
    }
}

impl Iterator for StaticsIter<'_> {
    type Item = Result<StaticsEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.remaining == 0 {
            self.done = true;
            if self.cur.pos != self.cur.data.len() {
                return Some(Err(ImageError::malformed(
                    Location::payload(SectionKind::STATICS, self.cur.pos as u64),
                    format!("{} trailing bytes after the last entry", self.cur.data.len() - self.cur.pos),
                )));
            }
            return None;
        }
        self.remaining -= 1;
        let r = self.read_entry();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

