//! Streaming image writer (spec/image-format.md §1–§5).
//!
//! Sections are written one after the other as their bytes arrive; the
//! section table goes last and the header, written as zeros at first, is
//! patched by [`ImageWriter::finish`]. A file whose writer died half-way
//! therefore has a zero magic and is never mistaken for an image.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::JoinHandle;

use serde::Serialize;

use crate::error::{ImageError, Result};
use crate::layout::*;
use crate::limits::{CHUNK_RAW_SIZE, MAX_SECTIONS};
use crate::model::{FieldValue, ObjectBody, ObjectId, SectionKind, *};

/// Writer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// zstd level for codec 1; 0 writes sections stored (codec 0).
    pub zstd_level: i32,
    /// Threads that compress chunks, the writing thread included: 1 compresses
    /// each chunk on the writing thread; more start helper threads, and the
    /// chunks are still written in order, byte for byte the same file.
    pub compression_threads: usize,
}

impl WriterOptions {
    /// The given zstd level, compressed on the writing thread alone.
    pub fn level(zstd_level: i32) -> WriterOptions {
        WriterOptions { zstd_level, compression_threads: 1 }
    }
}

impl Default for WriterOptions {
    fn default() -> Self {
        // Level 1 beat level 3 on heap data (DESIGN.md §1, `compress=`).
        WriterOptions::level(1)
    }
}

/// A zstd compressor with the writer's settings for `level` (non-zero).
fn compressor_for(level: i32) -> Result<zstd::bulk::Compressor<'static>> {
    let mut compressor = zstd::bulk::Compressor::new(level).map_err(ImageError::write)?;
    if level == 1 {
        for parameter in LEVEL_1_MATCH_FINDER {
            compressor.set_parameter(parameter).map_err(ImageError::write)?;
        }
    }
    Ok(compressor)
}

/// A chunk handed to a helper thread, and where its frame goes.
struct CompressJob {
    raw: Vec<u8>,
    done: SyncSender<CompressedChunk>,
}

/// A compressed chunk: the raw buffer comes back for reuse.
struct CompressedChunk {
    raw: Vec<u8>,
    frame: std::io::Result<Vec<u8>>,
}

/// A chunk being compressed, in file order.
struct InFlight {
    raw_len: usize,
    result: Receiver<CompressedChunk>,
}

/// Helper threads compressing chunks ([`WriterOptions::compression_threads`]).
/// The writing thread queues each full chunk, writes frames in chunk order,
/// and compresses queued chunks itself while the frame it must write next
/// is not ready.
struct Helpers {
    jobs: Option<Sender<CompressJob>>,
    queue: Arc<Mutex<Receiver<CompressJob>>>,
    threads: Vec<JoinHandle<()>>,
    in_flight: VecDeque<InFlight>,
    /// Raw buffers back from finished chunks.
    spare: Vec<Vec<u8>>,
    /// Chunks in flight at most before the writing thread waits for the oldest.
    max_in_flight: usize,
}

impl Helpers {
    fn start(level: i32, threads: usize) -> Result<Helpers> {
        let (jobs, receiver) = mpsc::channel::<CompressJob>();
        let queue = Arc::new(Mutex::new(receiver));
        let mut helpers = Helpers {
            jobs: Some(jobs),
            queue,
            threads: Vec::new(),
            in_flight: VecDeque::new(),
            spare: Vec::new(),
            max_in_flight: 2 * threads + 2,
        };
        for i in 1..threads {
            let mut compressor = compressor_for(level)?;
            let queue = Arc::clone(&helpers.queue);
            let thread = std::thread::Builder::new()
                .name(format!("portacr-compress-{i}"))
                .spawn(move || loop {
                    // The lock is held while waiting for a job: the writing thread
                    // only ever tries it.
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(job) = job else { return };
                    let frame = compressor.compress(&job.raw);
                    let _ = job.done.send(CompressedChunk { raw: job.raw, frame });
                })
                .map_err(ImageError::write)?;
            helpers.threads.push(thread);
        }
        Ok(helpers)
    }

    /// Queues a copy of a full chunk.
    fn queue(&mut self, raw: &[u8]) -> Result<()> {
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(raw);
        let (done, result) = mpsc::sync_channel(1);
        self.in_flight.push_back(InFlight { raw_len: raw.len(), result });
        let jobs = self.jobs.as_ref().ok_or(ImageError::WriterState("compression helpers stopped"))?;
        jobs.send(CompressJob { raw: copy, done })
            .map_err(|_| ImageError::WriterState("compression helper threads ended"))
    }

    /// A compressed chunk's frame, with its raw length; its buffer is kept for reuse.
    fn finished(&mut self, raw_len: usize, chunk: CompressedChunk) -> Result<(usize, Vec<u8>)> {
        self.spare.push(chunk.raw);
        chunk.frame.map(|f| (raw_len, f)).map_err(ImageError::write)
    }

    /// The oldest chunk's frame, compressing queued chunks on this thread
    /// while it is not ready.
    fn next_frame(&mut self, compressor: &mut zstd::bulk::Compressor<'static>) -> Result<Option<(usize, Vec<u8>)>> {
        let Some(front) = self.in_flight.pop_front() else { return Ok(None) };
        loop {
            match front.result.try_recv() {
                Ok(chunk) => return self.finished(front.raw_len, chunk).map(Some),
                Err(TryRecvError::Disconnected) => {
                    return Err(ImageError::WriterState("a compression helper thread ended"))
                }
                Err(TryRecvError::Empty) => {}
            }
            // Help: a queued chunk, if the queue is free to take one from (also
            // after a helper panicked holding it, so that no queued chunk waits
            // for helpers that are gone).
            let job = match self.queue.try_lock() {
                Ok(receiver) => receiver.try_recv().ok(),
                Err(TryLockError::Poisoned(p)) => p.into_inner().try_recv().ok(),
                Err(TryLockError::WouldBlock) => None,
            };
            match job {
                Some(job) => {
                    let frame = compressor.compress(&job.raw);
                    let _ = job.done.send(CompressedChunk { raw: job.raw, frame });
                }
                None => {
                    // Every queued chunk is taken: a helper is compressing this one.
                    let chunk = front
                        .result
                        .recv()
                        .map_err(|_| ImageError::WriterState("a compression helper thread ended"))?;
                    return self.finished(front.raw_len, chunk).map(Some);
                }
            }
        }
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        // Closing the queue ends the helpers once it is empty.
        self.jobs = None;
        self.in_flight.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// What the writer changes in zstd's level 1 (the default, `compress=1`):
/// the double-fast match finder on small tables (hash log 13, chain log 11)
/// with 5-byte minimum matches, instead of level 1's fast one. Measured on
/// HeapBench's OBJECTS payload (714 MB, 1 MiB chunks, zstd 1.5.7): 4.4 %
/// smaller than plain level 1 (0.414 vs 0.433 of the payload) for 19 % more
/// CPU (1.52 vs 1.28 s), where plain level 3 gives the same size for ~55 %
/// more; it took the image from 0.306 to 0.292 of a 1 GB live heap. Any
/// zstd decoder reads the frames; other levels are zstd's own.
const LEVEL_1_MATCH_FINDER: [zstd::zstd_safe::CParameter; 4] = [
    zstd::zstd_safe::CParameter::Strategy(zstd::zstd_safe::Strategy::ZSTD_dfast),
    zstd::zstd_safe::CParameter::HashLog(13),
    zstd::zstd_safe::CParameter::ChainLog(11),
    zstd::zstd_safe::CParameter::MinMatch(5),
];

/// A section being written.
struct OpenSection {
    entry: SectionEntry,
    /// Raw bytes not yet compressed (less than one chunk).
    pending: Vec<u8>,
    raw_crc: crc32fast::Hasher,
}

/// Writes one image to `W`.
pub struct ImageWriter<W: Write + Seek> {
    out: W,
    options: WriterOptions,
    chunk_raw_size: usize,
    /// File offset of the next byte written.
    position: u64,
    sections: Vec<SectionEntry>,
    open: Option<OpenSection>,
    compressor: Option<zstd::bulk::Compressor<'static>>,
    /// Helper threads when [`WriterOptions::compression_threads`] > 1.
    helpers: Option<Helpers>,
    failed: bool,
    /// The header's major version: [`FORMAT_MAJOR`], or 1 for a 1.x image made by tests.
    format_major: u16,
}

impl<W: Write + Seek> ImageWriter<W> {
    /// Starts an image at the current start of `out` (offset 0).
    pub fn new(mut out: W, options: WriterOptions) -> Result<Self> {
        out.seek(SeekFrom::Start(0)).map_err(ImageError::write)?;
        out.write_all(&[0u8; HEADER_SIZE]).map_err(ImageError::write)?;
        let compressor = if options.zstd_level != 0 { Some(compressor_for(options.zstd_level)?) } else { None };
        let helpers = if options.zstd_level != 0 && options.compression_threads > 1 {
            Some(Helpers::start(options.zstd_level, options.compression_threads)?)
        } else {
            None
        };
        Ok(ImageWriter {
            out,
            options,
            chunk_raw_size: CHUNK_RAW_SIZE,
            position: HEADER_SIZE as u64,
            sections: Vec::new(),
            open: None,
            compressor,
            helpers,
            failed: false,
            format_major: FORMAT_MAJOR,
        })
    }

    /// Makes the file a format 1.0 image, whose OBJECTS payload the caller wrote in the 1.x
    /// form ([`ObjectsEncoder::v1`]): tests of the reading of old images.
    pub fn write_format_1(&mut self) {
        self.format_major = 1;
    }

    /// Changes the raw size of chunks (tests use small chunks to exercise
    /// chunk boundaries). Must be 1..=`MAX_CHUNK_RAW_SIZE`.
    pub fn set_chunk_raw_size(&mut self, size: usize) -> Result<()> {
        if size == 0 || size > crate::limits::MAX_CHUNK_RAW_SIZE as usize {
            return Err(ImageError::WriterState("chunk raw size out of 1..=MAX_CHUNK_RAW_SIZE"));
        }
        self.chunk_raw_size = size;
        Ok(())
    }

    /// The options this writer was made with.
    pub fn options(&self) -> WriterOptions {
        self.options
    }

    /// Writes a whole bincode section (spec §6).
    pub fn write_bincode_section<T: Serialize>(&mut self, kind: SectionKind, value: &T) -> Result<()> {
        let bytes = bincode::serde::encode_to_vec(value, bincode_config())
            .map_err(|e| ImageError::Encode { section: kind, message: e.to_string() })?;
        self.begin_raw_section(kind)?;
        self.write_raw(&bytes)?;
        self.end_raw_section()
    }

    /// Starts a raw section of a kind this version defines.
    pub fn begin_raw_section(&mut self, kind: SectionKind) -> Result<()> {
        self.begin_section(kind, 0)
    }

    /// Starts a section with explicit flags (`SECTION_FLAG_OPTIONAL` for
    /// kinds older readers may skip).
    pub fn begin_section(&mut self, kind: SectionKind, flags: u32) -> Result<()> {
        self.check_usable()?;
        if self.open.is_some() {
            return Err(ImageError::WriterState("begin_raw_section while another section is open"));
        }
        if flags & !SECTION_FLAG_OPTIONAL != 0 {
            return Err(ImageError::WriterState("reserved section flag bits set"));
        }
        if self.sections.iter().any(|s| s.kind == kind) {
            return Err(ImageError::WriterState("section kind written twice"));
        }
        if self.sections.len() >= MAX_SECTIONS as usize {
            return Err(ImageError::WriterState("more than MAX_SECTIONS sections"));
        }
        let codec = if self.compressor.is_some() { CODEC_ZSTD_CHUNKS } else { CODEC_STORED };
        self.open = Some(OpenSection {
            entry: SectionEntry {
                kind,
                flags,
                codec,
                chunk_count: 0,
                offset: self.position,
                stored_length: 0,
                raw_length: 0,
                raw_crc32: 0,
            },
            pending: Vec::new(),
            raw_crc: crc32fast::Hasher::new(),
        });
        Ok(())
    }

    /// Appends raw payload bytes to the open section. Any sizes; chunk
    /// boundaries do not depend on call boundaries.
    pub fn write_raw(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.check_usable()?;
        let Some(mut open) = self.open.take() else {
            return Err(ImageError::WriterState("write_raw without an open section"));
        };
        open.raw_crc.update(bytes);
        open.entry.raw_length += bytes.len() as u64;
        let result = (|| {
            if open.entry.codec == CODEC_STORED {
                self.emit(bytes)?;
                open.entry.stored_length += bytes.len() as u64;
                return Ok(());
            }
            while !bytes.is_empty() {
                let room = self.chunk_raw_size - open.pending.len();
                let take = room.min(bytes.len());
                if take == self.chunk_raw_size {
                    // A whole chunk straight from the caller's buffer.
                    self.emit_chunk(&mut open.entry, &bytes[..take])?;
                } else {
                    open.pending.extend_from_slice(&bytes[..take]);
                    if open.pending.len() == self.chunk_raw_size {
                        let chunk = std::mem::take(&mut open.pending);
                        self.emit_chunk(&mut open.entry, &chunk)?;
                        open.pending = chunk;
                        open.pending.clear();
                    }
                }
                bytes = &bytes[take..];
            }
            Ok(())
        })();
        self.open = Some(open);
        self.note(result)
    }

    /// Ends the open section.
    pub fn end_raw_section(&mut self) -> Result<()> {
        self.check_usable()?;
        let Some(mut open) = self.open.take() else {
            return Err(ImageError::WriterState("end_raw_section without an open section"));
        };
        if !open.pending.is_empty() {
            let chunk = std::mem::take(&mut open.pending);
            let r = self.emit_chunk(&mut open.entry, &chunk);
            self.note(r)?;
        }
        let r = self.write_frames(&mut open.entry, 0);
        self.note(r)?;
        open.entry.raw_crc32 = open.raw_crc.finalize();
        self.sections.push(open.entry);
        Ok(())
    }

    /// Writes the section table and the header; returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.check_usable()?;
        if self.open.is_some() {
            return Err(ImageError::WriterState("finish with a section still open"));
        }
        let mut table = vec![0u8; self.sections.len() * SECTION_ENTRY_SIZE];
        for (entry, b) in self.sections.iter().zip(table.chunks_exact_mut(SECTION_ENTRY_SIZE)) {
            entry.encode(b);
        }
        let section_table_offset = self.position;
        self.emit(&table)?;
        let header = FileHeader {
            format_major: self.format_major,
            format_minor: FORMAT_MINOR,
            flags: 0,
            section_count: self.sections.len() as u32,
            section_table_offset,
            file_length: self.position,
            section_table_crc32: crc32fast::hash(&table),
        };
        self.out.seek(SeekFrom::Start(0)).map_err(ImageError::write)?;
        self.out.write_all(&header.encode()).map_err(ImageError::write)?;
        self.out.seek(SeekFrom::Start(self.position)).map_err(ImageError::write)?;
        self.out.flush().map_err(ImageError::write)?;
        Ok(self.out)
    }

    fn check_usable(&self) -> Result<()> {
        if self.failed {
            Err(ImageError::WriterState("writer used after a failed write"))
        } else {
            Ok(())
        }
    }

    fn note(&mut self, r: Result<()>) -> Result<()> {
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(ImageError::write)?;
        self.position += bytes.len() as u64;
        Ok(())
    }

    fn emit_chunk(&mut self, entry: &mut SectionEntry, raw: &[u8]) -> Result<()> {
        if let Some(helpers) = self.helpers.as_mut() {
            helpers.queue(raw)?;
            let keep = helpers.max_in_flight;
            return self.write_frames(entry, keep);
        }
        let Some(compressor) = self.compressor.as_mut() else {
            return Err(ImageError::WriterState("zstd chunk without a compressor"));
        };
        let frame = compressor.compress(raw).map_err(ImageError::write)?;
        self.emit_frame(entry, raw.len(), &frame)
    }

    /// With helper threads: writes the frames of the oldest chunks in flight
    /// until at most `keep` remain (0 at the end of a section).
    fn write_frames(&mut self, entry: &mut SectionEntry, keep: usize) -> Result<()> {
        loop {
            let (Some(helpers), Some(compressor)) = (self.helpers.as_mut(), self.compressor.as_mut()) else {
                return Ok(());
            };
            if helpers.in_flight.len() <= keep {
                return Ok(());
            }
            let Some((raw_len, frame)) = helpers.next_frame(compressor)? else { return Ok(()) };
            self.emit_frame(entry, raw_len, &frame)?;
        }
    }

    fn emit_frame(&mut self, entry: &mut SectionEntry, raw_len: usize, frame: &[u8]) -> Result<()> {
        let mut head = [0u8; CHUNK_HEADER_SIZE];
        head[0..4].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        head[4..8].copy_from_slice(&(raw_len as u32).to_le_bytes());
        head[8..12].copy_from_slice(&crc32fast::hash(frame).to_le_bytes());
        self.emit(&head)?;
        self.emit(frame)?;
        entry.chunk_count += 1;
        entry.stored_length += (CHUNK_HEADER_SIZE + frame.len()) as u64;
        Ok(())
    }
}

/// The file name of the image inside an image directory.
pub const IMAGE_FILE_NAME: &str = "image.pcr";

/// An image being written to a temporary file in its directory; renamed to
/// `DIR/image.pcr` by [`PendingImage::commit`], deleted if dropped before.
pub struct PendingImage {
    dir: PathBuf,
    temp_path: PathBuf,
    writer: Option<ImageWriter<File>>,
}

impl PendingImage {
    /// Creates `dir` if absent and a temporary file in it.
    pub fn create(dir: &Path, options: WriterOptions) -> Result<PendingImage> {
        fs::create_dir_all(dir).map_err(ImageError::write)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let temp_path = dir.join(format!(".{IMAGE_FILE_NAME}.{}.{nanos}.tmp", std::process::id()));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .map_err(ImageError::write)?;
        let mut pending = PendingImage { dir: dir.to_path_buf(), temp_path, writer: None };
        // If this fails, dropping `pending` removes the file.
        pending.writer = Some(ImageWriter::new(file, options)?);
        Ok(pending)
    }

    /// The writer, to add sections.
    pub fn writer(&mut self) -> &mut ImageWriter<File> {
        self.writer.as_mut().expect("PendingImage writer present until commit")
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// Finishes the image, fsyncs it, renames it to `DIR/image.pcr` and
    /// fsyncs the directory. Returns the final path.
    pub fn commit(mut self) -> Result<PathBuf> {
        let writer = self.writer.take().ok_or(ImageError::WriterState("commit twice"))?;
        let file = writer.finish()?;
        file.sync_all().map_err(ImageError::write)?;
        drop(file);
        let final_path = self.dir.join(IMAGE_FILE_NAME);
        fs::rename(&self.temp_path, &final_path).map_err(ImageError::write)?;
        // The rename is durable only once the directory is synced.
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(ImageError::write)?;
        self.temp_path = PathBuf::new();
        Ok(final_path)
    }

    /// Deletes the temporary file (also what dropping does).
    pub fn abort(self) {}
}

impl Drop for PendingImage {
    fn drop(&mut self) {
        if !self.temp_path.as_os_str().is_empty() {
            self.writer = None;
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

/// Writes `dir/image.pcr` atomically with the default options (zstd level 1):
/// `f` adds the sections to a writer on a temporary file in `dir` (created if
/// absent), which is then fsynced and renamed, and `dir` fsynced; on any
/// error the temporary file is removed.
pub fn write_image_dir(dir: &Path, f: impl FnOnce(&mut ImageWriter<File>) -> Result<()>) -> Result<PathBuf> {
    write_image_dir_with(dir, WriterOptions::default(), f)
}

/// [`write_image_dir`] with explicit options.
pub fn write_image_dir_with(
    dir: &Path,
    options: WriterOptions,
    f: impl FnOnce(&mut ImageWriter<File>) -> Result<()>,
) -> Result<PathBuf> {
    let mut pending = PendingImage::create(dir, options)?;
    f(pending.writer())?;
    pending.commit()
}

/// Encodes an OBJECTS payload (spec §7) record by record, in format 2.x (or 1.x with
/// [`ObjectsEncoder::v1`]). The production encoder is the Java heap walker; this one serves
/// tests, golden images and benchmarks.
#[derive(Debug, Default, Clone)]
pub struct ObjectsEncoder {
    bytes: Vec<u8>,
    count: u32,
    previous_id: u32,
    v1: bool,
}

impl ObjectsEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// An encoder of the 1.x form: ids implied by the order, plain references.
    pub fn v1() -> Self {
        ObjectsEncoder { v1: true, ..Self::default() }
    }

    /// Appends a record with the next id (the number of records so far plus one); returns
    /// it. Values are written as given: the caller is responsible for matching the class
    /// layout.
    pub fn push(&mut self, identity_hash: Option<u32>, body: &ObjectBody<'_>) -> ObjectId {
        let id = ObjectId(self.count + 1);
        self.push_with_id(id, identity_hash, body);
        id
    }

    /// Appends the record of object `id` (format 2.x: records in any order; a 1.x encoder
    /// ignores `id`, its records being numbered in order).
    pub fn push_with_id(&mut self, id: ObjectId, identity_hash: Option<u32>, body: &ObjectBody<'_>) {
        let kind = match body {
            ObjectBody::Instance { .. } => OBJECT_KIND_INSTANCE,
            ObjectBody::PrimArray { .. } => OBJECT_KIND_PRIM_ARRAY,
            ObjectBody::RefArray { .. } => OBJECT_KIND_REF_ARRAY,
            ObjectBody::String { .. } => OBJECT_KIND_STRING,
            ObjectBody::Symbolic(_) => OBJECT_KIND_SYMBOLIC,
        };
        let v1 = self.v1;
        let b = &mut self.bytes;
        b.push(if identity_hash.is_some() { kind | OBJECT_TAG_HASHED } else { kind });
        if !v1 {
            let mut step = crate::reader::step_to(self.previous_id, id.0);
            while step >= 0x80 {
                b.push((step as u8 & 0x7f) | 0x80);
                step >>= 7;
            }
            b.push(step as u8);
        }
        if let Some(h) = identity_hash {
            b.extend_from_slice(&h.to_le_bytes());
        }
        // Reference words (spec §7): relative to the previous non-null reference.
        let mut base = id.0;
        let mut word = |r: ObjectId| -> u32 {
            if v1 || r.0 == 0 {
                return r.0;
            }
            let w = crate::reader::zigzag(r.0.wrapping_sub(base)).wrapping_add(1);
            base = r.0;
            w
        };
        match body {
            ObjectBody::Instance { class, values } => {
                b.extend_from_slice(&class.to_le_bytes());
                for v in values {
                    match v {
                        FieldValue::Ref(r) => b.extend_from_slice(&word(*r).to_le_bytes()),
                        v => v.encode(b),
                    }
                }
            }
            ObjectBody::PrimArray { class, elem, data } => {
                b.extend_from_slice(&class.to_le_bytes());
                b.extend_from_slice(&((data.len() / elem.size()) as u32).to_le_bytes());
                b.extend_from_slice(data);
            }
            ObjectBody::RefArray { class, elements } => {
                b.extend_from_slice(&class.to_le_bytes());
                b.extend_from_slice(&(elements.len() as u32).to_le_bytes());
                for e in elements {
                    b.extend_from_slice(&word(*e).to_le_bytes());
                }
            }
            ObjectBody::String { interned, utf16, chars } => {
                let flags = (*interned as u8) * STRING_FLAG_INTERNED | (*utf16 as u8) * STRING_FLAG_UTF16;
                b.push(flags);
                let len = if *utf16 { chars.len() / 2 } else { chars.len() };
                b.extend_from_slice(&(len as u32).to_le_bytes());
                b.extend_from_slice(chars);
            }
            ObjectBody::Symbolic(index) => b.extend_from_slice(&index.to_le_bytes()),
        }
        self.previous_id = id.0;
        self.count += 1;
    }

    /// Appends raw bytes (for building deliberately defective payloads).
    pub fn push_raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Number of records pushed.
    pub fn len(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The payload.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Encodes a STATICS payload (spec §8).
#[derive(Debug, Default, Clone)]
pub struct StaticsEncoder {
    entries: Vec<u8>,
    count: u32,
}

impl StaticsEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the static values of class `class`, in field order.
    pub fn push(&mut self, class: u32, values: &[FieldValue]) {
        self.entries.extend_from_slice(&class.to_le_bytes());
        self.entries.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in values {
            v.encode(&mut self.entries);
        }
        self.count += 1;
    }

    /// The payload: count, then the entries.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.entries.len());
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.entries);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// OBJECTS-like records (spec/contracts.md §4): instances with ascending ids and
    /// timestamps, their name strings, int arrays of small random numbers, and short lists.
    fn heap_like_payload() -> Vec<u8> {
        let mut state: u32 = 12345;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut out = Vec::new();
        let mut id: u32 = 1;
        while out.len() < CHUNK_RAW_SIZE * 4 {
            out.push(1);
            out.extend_from_slice(&7u32.to_le_bytes());
            for field in [id + 1, id] {
                out.extend_from_slice(&field.to_le_bytes());
            }
            let stamp = 1_700_000_000_000u64 + u64::from(id) * 1000 + u64::from(random() % 1000);
            out.extend_from_slice(&stamp.to_le_bytes());
            out.extend_from_slice(&(f64::from(random() % 100_000) / 100.0).to_bits().to_le_bytes());
            for field in [id + 2, id + 3] {
                out.extend_from_slice(&field.to_le_bytes());
            }
            let name = format!("item-{id}");
            out.extend_from_slice(&[4, 0]);
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            let n = 8 + id % 16;
            out.push(2);
            out.extend_from_slice(&3u32.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            for _ in 0..n {
                out.extend_from_slice(&(random() % 10_000).to_le_bytes());
            }
            out.push(1);
            out.extend_from_slice(&9u32.to_le_bytes());
            for _ in 0..2 {
                out.extend_from_slice(&(random() % 7 + 1).to_le_bytes());
            }
            id += 4;
        }
        out
    }

    #[test]
    fn default_level_writes_less_than_plain_zstd_level_1() {
        let payload = heap_like_payload();
        let mut w = ImageWriter::new(Cursor::new(Vec::new()), WriterOptions::default()).unwrap();
        w.begin_raw_section(SectionKind::OBJECTS).unwrap();
        w.write_raw(&payload).unwrap();
        w.end_raw_section().unwrap();
        let tuned = w.sections[0].stored_length as usize;
        let plain: usize = payload
            .chunks(CHUNK_RAW_SIZE)
            .map(|chunk| CHUNK_HEADER_SIZE + zstd::bulk::compress(chunk, 1).unwrap().len())
            .sum();
        // zstd 1.5.7: 0.486 vs 0.496 of the payload.
        assert!(
            (tuned as f64) < plain as f64 * 0.99,
            "default level {tuned} bytes, plain level 1 {plain} bytes"
        );
        let image = crate::Image::from_bytes(&w.finish().unwrap().into_inner()).unwrap();
        assert_eq!(image.payload(SectionKind::OBJECTS).unwrap(), &payload[..]);
    }

    /// Helper threads change who compresses, not what is written: the same
    /// bytes as one thread, whatever the calls' sizes, with several sections,
    /// a partial last chunk and a stored section between.
    #[test]
    fn compression_threads_write_the_same_file() {
        let payload = heap_like_payload();
        let write = |threads: usize, step: usize| {
            let options = WriterOptions { zstd_level: 1, compression_threads: threads };
            let mut w = ImageWriter::new(Cursor::new(Vec::new()), options).unwrap();
            w.set_chunk_raw_size(64 << 10).unwrap();
            w.begin_raw_section(SectionKind::OBJECTS).unwrap();
            for piece in payload.chunks(step) {
                w.write_raw(piece).unwrap();
            }
            w.end_raw_section().unwrap();
            w.begin_raw_section(SectionKind::STATICS).unwrap();
            w.write_raw(&payload[..100_000]).unwrap();
            w.end_raw_section().unwrap();
            w.finish().unwrap().into_inner()
        };
        let one = write(1, 1 << 20);
        for (threads, step) in [(2, 1 << 20), (3, 4093), (4, 64 << 10)] {
            assert!(write(threads, step) == one, "{threads} threads, writes of {step} bytes");
        }
        let image = crate::Image::from_bytes(&one).unwrap();
        assert_eq!(image.payload(SectionKind::OBJECTS).unwrap(), &payload[..]);
    }
}
