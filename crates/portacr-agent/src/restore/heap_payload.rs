//! The OBJECTS payload in memory during the heap rebuild, given back to the
//! system as the rebuild consumes it (spec/restore.md §4.4).
//!
//! Why: kept whole for the process's life, the decoded payload (0.7 × the
//! live heap) and the mapped image file stayed resident beside the rebuilt
//! heap and put the restore's peak RSS far above 1.5 × the live heap.
//!
//! - The payload is decoded into an anonymous mapping of its raw length; the
//!   file pages of each chunk are dropped once it is decoded.
//! - The scan at VMInit (object count, heap estimate) also writes the
//!   *reference stream*: for each instance with reference fields and each
//!   non-empty reference array, its id, its class index or length, and its
//!   reference values. Pass 1 sets primitive fields from OBJECTS; pass 2 reads
//!   only this stream, so OBJECTS can go as soon as pass 1 has read it.
//! - The stream is kept zstd-compressed per chunk of 4096 records (ids and
//!   neighbouring references compress 3-4×) and decoded into its place a
//!   window ahead of pass 2, so that it is not resident beside the complete
//!   heap at the end of pass 1 (the restore's peak).
//! - Java publishes how far each pass has read in a small control block; a
//!   thread here releases whole pages behind those marks (MADV_DONTNEED),
//!   decodes the stream ahead of pass 2, and gives everything back once the
//!   rebuild says it is done.
//!
//! Reference-stream record (little-endian u32 words; internal to one process,
//! not part of the image format): `id`, then `class index` (bit 31 clear) and
//! one word per reference slot of the image's instance layout, or
//! `0x8000_0000 | length` and `length` element words. A reference word is 0
//! for null, else `zigzag(ref - id) + 1`: references point mostly near the
//! object, so the words are small and the stream compresses 2× better.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use memmap2::{MmapMut, MmapOptions, UncheckedAdvice};
use portacr_image::{decode_reference_words, page_size, zigzag, FieldType};

/// Pseudo section kinds under which `Native.restoreSection` hands out the
/// reference stream and the control block (Payload.java uses the same).
pub const REFS_KIND: u32 = 100;
pub const CONTROL_KIND: u32 = 101;

/// Control block words. Java writes the first three with a volatile
/// compare-and-set; the others are written here.
pub const CONSUMED_OBJECTS: usize = 0;
pub const CONSUMED_REFS: usize = 1;
pub const DONE: usize = 2;
/// Objects in OBJECTS (the size of Java's table of objects by id).
pub const OBJECT_COUNT: usize = 3;
/// Bytes of the reference stream decoded so far (from its start).
pub const DECODED_REFS: usize = 4;
/// Non-zero when decoding the reference stream failed.
pub const FAILED: usize = 5;
/// 1 when OBJECTS records name their ids (format 2.x), 0 for 1.x.
pub const OBJECTS_NAME_IDS: usize = 6;
/// Number of reference-stream chunks; then `count + 1` byte offsets.
pub const REFS_CHUNKS: usize = 7;
/// Records of the reference stream per chunk (one unit of pass-2 work).
pub const REFS_CHUNK_RECORDS: u64 = 4096;
/// How far ahead of pass 2 the reference stream is decoded.
const REFS_WINDOW: u64 = 8 << 20;

/// An anonymous, not swap-reserved mapping of at least one byte.
pub fn anonymous(len: usize) -> std::io::Result<MmapMut> {
    MmapOptions::new().len(len.max(1)).no_reserve_swap().map_anon()
}

/// The memory the Java rebuild reads, alive for the process's life (a static).
pub struct HeapPayload {
    objects: MmapMut,
    objects_len: usize,
    /// The decoded reference stream, written only by the release thread,
    /// chunk by chunk ahead of Java's reads.
    refs: MmapMut,
    refs_len: usize,
    /// The reference stream's chunks, compressed; `chunk_starts[k]` is where
    /// chunk k goes in `refs` (and `chunk_starts[n]` its end). A frame is
    /// dropped once decoded.
    frames: std::sync::Mutex<Vec<Vec<u8>>>,
    frame_count: usize,
    chunk_starts: Vec<u64>,
    control: Box<[AtomicU64]>,
}

impl HeapPayload {
    pub fn new(
        objects: MmapMut,
        objects_len: usize,
        object_count: u64,
        named_ids: bool,
        refs: RefsWriter,
    ) -> std::io::Result<HeapPayload> {
        let RefsWriter { len, mut chunk_starts, frames, .. } = refs;
        chunk_starts.push(len as u64);
        let mut words = vec![0u64; REFS_CHUNKS + 1 + chunk_starts.len()];
        words[OBJECT_COUNT] = object_count;
        words[OBJECTS_NAME_IDS] = named_ids as u64;
        words[REFS_CHUNKS] = frames.len() as u64;
        words[REFS_CHUNKS + 1..].copy_from_slice(&chunk_starts);
        let control = words.into_iter().map(AtomicU64::new).collect();
        let frame_count = frames.len();
        Ok(HeapPayload {
            objects,
            objects_len,
            refs: anonymous(len)?,
            refs_len: len,
            frames: std::sync::Mutex::new(frames),
            frame_count,
            chunk_starts,
            control,
        })
    }

    /// Address and length of the OBJECTS payload, the reference stream or the
    /// control block, for a direct ByteBuffer.
    pub fn region(&self, kind: u32) -> Option<(*mut u8, usize)> {
        match kind {
            REFS_KIND => Some((self.refs.as_ptr().cast_mut(), self.refs_len)),
            // The atomics are the only view Rust has of these words; Java
            // writes them with a volatile compare-and-set.
            CONTROL_KIND => Some((self.control.as_ptr() as *mut u8, self.control.len() * 8)),
            k if k == portacr_image::SectionKind::OBJECTS.0 => Some((self.objects.as_ptr().cast_mut(), self.objects_len)),
            _ => None,
        }
    }

    /// Releases pages behind Java's read marks and decodes the reference
    /// stream ahead of pass 2 until the rebuild is done, then gives
    /// everything back. Runs on its own thread and needs no call from Java:
    /// polls every millisecond, every 50 µs while the stream is being read.
    pub fn serve_rebuild(&'static self) {
        let mut objects_released = 0usize;
        let mut refs_released = 0usize;
        let mut next_frame = 0usize;
        let mut decompressor = match zstd::bulk::Decompressor::new() {
            Ok(d) => d,
            Err(_) => {
                self.mark_failed();
                return;
            }
        };
        // Where this thread's time goes, for the debug log (spec/restore.md §4.4).
        let (mut releasing, mut decoding) = (Duration::ZERO, Duration::ZERO);
        let mut first_decode: Option<Instant> = None;
        loop {
            if self.control[DONE].load(Ordering::Acquire) != 0 {
                release(&self.objects, &mut objects_released, self.objects.len());
                release(&self.refs, &mut refs_released, self.refs.len());
                crate::log_debug!(
                    "restore: rebuild helper: releasing {:.1} ms, decoding {:.1} ms, first decode to done {:.1} ms",
                    releasing.as_secs_f64() * 1e3,
                    decoding.as_secs_f64() * 1e3,
                    first_decode.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e3)
                );
                return;
            }
            let objects_mark = self.control[CONSUMED_OBJECTS].load(Ordering::Acquire) as usize;
            let refs_mark = self.control[CONSUMED_REFS].load(Ordering::Acquire);
            let started = Instant::now();
            release(&self.objects, &mut objects_released, objects_mark.min(self.objects_len));
            release(&self.refs, &mut refs_released, (refs_mark as usize).min(self.refs_len));
            releasing += started.elapsed();
            let started = Instant::now();
            // Decoding starts near the end of pass 1, when what is left of
            // OBJECTS (given back as it is read) is less than four windows:
            // the end of pass 1 is the restore's peak, and the first window
            // is then ready when pass 2 starts instead of decoded while it
            // waits (25-60 ms at 200 MB once the rebuild ran compiled code).
            // The chunk at the mark is always decoded, however long: the
            // thread filling it waits for nothing else.
            let pass_2 = objects_mark.saturating_add(4 * REFS_WINDOW as usize) >= self.objects_len;
            while pass_2
                && next_frame < self.frame_count
                && self.chunk_starts[next_frame] < refs_mark.saturating_add(REFS_WINDOW)
            {
                if !self.decode_frame(&mut decompressor, next_frame) {
                    self.mark_failed();
                    return;
                }
                next_frame += 1;
                self.control[DECODED_REFS].store(self.chunk_starts[next_frame], Ordering::Release);
            }
            decoding += started.elapsed();
            if pass_2 && first_decode.is_none() {
                first_decode = Some(started);
            }
            let reading = pass_2 && next_frame < self.frame_count;
            std::thread::sleep(if reading { Duration::from_micros(50) } else { Duration::from_millis(1) });
        }
    }

    /// Tells the rebuild that this thread gave up: Java's waits for the
    /// reference stream end with a RestoreFailedException.
    pub fn mark_failed(&self) {
        self.control[FAILED].store(1, Ordering::Release);
    }

    /// Decodes chunk `k` of the reference stream into its place.
    fn decode_frame(&self, decompressor: &mut zstd::bulk::Decompressor, k: usize) -> bool {
        let (start, end) = (self.chunk_starts[k] as usize, self.chunk_starts[k + 1] as usize);
        if end > self.refs.len() || start > end {
            return false;
        }
        // SAFETY: [start, end) lies inside the mapping; nothing else reads or
        // writes it now: Java reads a chunk only after DECODED_REFS passed
        // its end, which is stored after this write.
        let target = unsafe { std::slice::from_raw_parts_mut(self.refs.as_ptr().cast_mut().add(start), end - start) };
        let frame = std::mem::take(&mut self.frames.lock().unwrap_or_else(|p| p.into_inner())[k]);
        matches!(decompressor.decompress_to_buffer(&frame, target), Ok(n) if n == end - start)
    }
}

/// Gives back the whole pages of `map` from `released` up to `mark`.
fn release(map: &MmapMut, released: &mut usize, mark: usize) {
    let page = page_size();
    let end = if mark >= map.len() { map.len().div_ceil(page) * page } else { mark / page * page };
    if end > *released {
        let len = end.min(map.len().div_ceil(page) * page) - *released;
        // SAFETY: Java has read everything below `mark` and reads no further
        // below it (the marks only grow, written after the reads with a
        // volatile compare-and-set); Rust no longer reads these mappings.
        // After MADV_DONTNEED an anonymous page reads as zeros, never faults.
        let _ = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, *released, len.min(map.len() - *released)) };
        *released = end;
    }
}

/// 0 for null, else `zigzag(reference - id) + 1` (never 0: ids are below
/// 2³¹, so the difference is never -2³¹). HeapRebuild.java decodes it.
fn encode_reference(id: u32, reference: u32) -> u32 {
    if reference == 0 {
        return 0;
    }
    zigzag(reference.wrapping_sub(id)).wrapping_add(1)
}

/// Builds the reference stream during the scan of OBJECTS, compressed chunk
/// by chunk.
pub struct RefsWriter {
    /// The raw bytes of the chunk being written.
    current: Vec<u8>,
    len: usize,
    records: u64,
    chunk_starts: Vec<u64>,
    frames: Vec<Vec<u8>>,
    compressor: zstd::bulk::Compressor<'static>,
    /// Per class index: the byte positions of the reference slots in an
    /// instance record's values, computed on first use.
    ref_slots: Vec<Option<Box<[u32]>>>,
}

impl RefsWriter {
    pub fn new(classes: usize) -> std::io::Result<RefsWriter> {
        Ok(RefsWriter {
            current: Vec::with_capacity(1 << 16),
            len: 0,
            records: 0,
            chunk_starts: Vec::new(),
            frames: Vec::new(),
            // Level 1: 300+ MB/s here, on the path to VMInit's end.
            compressor: zstd::bulk::Compressor::new(1)?,
            ref_slots: vec![None; classes],
        })
    }

    /// Starts a record, and a chunk every REFS_CHUNK_RECORDS records.
    fn begin(&mut self, id: u64, header: u32) -> std::io::Result<()> {
        if self.records % REFS_CHUNK_RECORDS == 0 {
            self.flush()?;
            self.chunk_starts.push(self.len as u64);
        }
        self.records += 1;
        self.word(id as u32);
        self.word(header);
        Ok(())
    }

    fn word(&mut self, value: u32) {
        self.current.extend_from_slice(&value.to_le_bytes());
        self.len += 4;
    }

    /// A reference of object `id` as the stream stores it.
    fn reference(&mut self, id: u64, reference: u32) {
        self.word(encode_reference(id as u32, reference));
    }

    /// Compresses the chunk written so far.
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.current.is_empty() {
            let frame = self.compressor.compress(&self.current)?;
            self.frames.push(frame);
            self.current.clear();
        }
        Ok(())
    }

    /// The instance `id` of class `class` whose values are `values`. With `words` (a
    /// scratch vector), the references are a 2.x record's reference words, decoded here;
    /// false if one decodes to id 0 (nothing is written then).
    pub fn instance(
        &mut self,
        id: u64,
        class: u32,
        layout: &[FieldType],
        values: &[u8],
        words: Option<&mut Vec<u32>>,
    ) -> std::io::Result<bool> {
        let Some(slot) = self.ref_slots.get_mut(class as usize) else { return Ok(true) };
        // Taken out and put back (no copy) so that `begin` may borrow self.
        let slots = slot.take().unwrap_or_else(|| {
            let mut at = 0u32;
            let mut slots = Vec::new();
            for t in layout {
                if matches!(t, FieldType::Ref) {
                    slots.push(at);
                }
                at += t.size() as u32;
            }
            slots.into_boxed_slice()
        });
        let read = |at: u32| {
            let at = at as usize;
            u32::from_le_bytes([values[at], values[at + 1], values[at + 2], values[at + 3]])
        };
        let written = if slots.is_empty() { Ok(true) } else { self.references(id, class, slots.iter().map(|&at| read(at)), words) };
        self.ref_slots[class as usize] = Some(slots);
        written
    }

    /// The reference array `id` whose elements are `elements` (4 bytes each); with `words`,
    /// as [`RefsWriter::instance`].
    pub fn array(&mut self, id: u64, length: u32, elements: &[u8], words: Option<&mut Vec<u32>>) -> std::io::Result<bool> {
        if length == 0 {
            return Ok(true);
        }
        let raw = elements.chunks_exact(4).map(|e| u32::from_le_bytes([e[0], e[1], e[2], e[3]]));
        self.references(id, 0x8000_0000 | length, raw, words)
    }

    /// The record of object `id` with `header` and the references `raw`: ids, or with
    /// `words` a 2.x record's reference words, decoded into it first; false, and nothing
    /// written, if one decodes to id 0.
    fn references(
        &mut self,
        id: u64,
        header: u32,
        raw: impl Iterator<Item = u32>,
        words: Option<&mut Vec<u32>>,
    ) -> std::io::Result<bool> {
        match words {
            Some(ids) => {
                ids.clear();
                if !decode_reference_words(id as u32, raw, |r| ids.push(r)) {
                    return Ok(false);
                }
                self.begin(id, header)?;
                for &r in ids.iter() {
                    self.reference(id, r);
                }
            }
            None => {
                self.begin(id, header)?;
                for r in raw {
                    self.reference(id, r);
                }
            }
        }
        Ok(true)
    }

    /// Compresses the last chunk; returns the stream's raw and compressed bytes.
    pub fn finish(&mut self) -> std::io::Result<(usize, usize)> {
        self.flush()?;
        Ok((self.len, self.frames.iter().map(Vec::len).sum()))
    }
}

#[cfg(test)]
mod tests {
    use super::encode_reference;

    /// The Java decoding of HeapRebuild.decodeReference, for the round trip.
    fn decode(id: u32, word: u32) -> u32 {
        if word == 0 {
            return 0;
        }
        let z = word - 1;
        let d = ((z >> 1) as i32) ^ -((z & 1) as i32);
        id.wrapping_add(d as u32)
    }

    #[test]
    fn references_round_trip() {
        for (id, reference) in [(1, 0), (1, 1), (1, 2), (5, 1), (100, 7), (7, 100), (0x7FFF_FFF0, 1), (1, 0x7FFF_FFF0)] {
            let word = encode_reference(id, reference);
            assert_eq!(word == 0, reference == 0, "{id} {reference}");
            assert_eq!(decode(id, word), reference, "{id} {reference}");
        }
        assert_eq!(encode_reference(10, 11), 3);
        assert_eq!(encode_reference(10, 9), 2);
    }
}
