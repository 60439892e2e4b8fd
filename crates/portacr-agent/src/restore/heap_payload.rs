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
//! - Java publishes how far each pass has read in a small control block; a
//!   thread here releases whole pages behind those marks (MADV_DONTNEED), and
//!   everything once the rebuild says it is done.
//!
//! Reference-stream record (little-endian u32 words; internal to one process,
//! not part of the image format): `id`, then `class index` (bit 31 clear) and
//! one word per reference slot of the image's instance layout, or
//! `0x8000_0000 | length` and `length` element words.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use memmap2::{MmapMut, MmapOptions, UncheckedAdvice};
use portacr_image::{page_size, FieldType};

/// Pseudo section kinds under which `Native.restoreSection` hands out the
/// reference stream and the control block (Payload.java uses the same).
pub const REFS_KIND: u32 = 100;
pub const CONTROL_KIND: u32 = 101;

/// Control block words. Java writes the first three with a volatile
/// compare-and-set; the chunk index is written here before Java starts.
pub const CONSUMED_OBJECTS: usize = 0;
pub const CONSUMED_REFS: usize = 1;
pub const DONE: usize = 2;
/// Objects in OBJECTS (the size of Java's table of objects by id).
pub const OBJECT_COUNT: usize = 3;
/// Number of reference-stream chunks; then `count + 1` byte offsets.
pub const REFS_CHUNKS: usize = 4;
/// Records of the reference stream per chunk (one unit of pass-2 work).
pub const REFS_CHUNK_RECORDS: u64 = 4096;

/// An anonymous, not swap-reserved mapping of at least one byte.
pub fn anonymous(len: usize) -> std::io::Result<MmapMut> {
    MmapOptions::new().len(len.max(1)).no_reserve_swap().map_anon()
}

/// The memory the Java rebuild reads, alive for the process's life (a static).
pub struct HeapPayload {
    objects: MmapMut,
    objects_len: usize,
    refs: MmapMut,
    refs_len: usize,
    control: Box<[AtomicU64]>,
}

impl HeapPayload {
    pub fn new(objects: MmapMut, objects_len: usize, object_count: u64, refs: RefsWriter) -> HeapPayload {
        let RefsWriter { buf, len, chunk_starts, .. } = refs;
        let mut words = vec![0u64; REFS_CHUNKS + 1 + chunk_starts.len() + 1];
        words[OBJECT_COUNT] = object_count;
        words[REFS_CHUNKS] = chunk_starts.len() as u64;
        for (i, start) in chunk_starts.iter().chain(std::iter::once(&(len as u64))).enumerate() {
            words[REFS_CHUNKS + 1 + i] = *start;
        }
        let control = words.into_iter().map(AtomicU64::new).collect();
        HeapPayload { objects, objects_len, refs: buf, refs_len: len, control }
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

    /// Releases pages behind Java's read marks until the rebuild is done, then
    /// everything. Runs on its own thread; a 1 ms poll costs nothing next to
    /// the rebuild and needs no call from Java.
    pub fn release_behind_readers(&'static self) {
        let mut objects_released = 0usize;
        let mut refs_released = 0usize;
        loop {
            let done = self.control[DONE].load(Ordering::Acquire) != 0;
            if done {
                release(&self.objects, &mut objects_released, self.objects.len());
                release(&self.refs, &mut refs_released, self.refs.len());
                return;
            }
            let objects_mark = self.control[CONSUMED_OBJECTS].load(Ordering::Acquire) as usize;
            let refs_mark = self.control[CONSUMED_REFS].load(Ordering::Acquire) as usize;
            release(&self.objects, &mut objects_released, objects_mark.min(self.objects_len));
            release(&self.refs, &mut refs_released, refs_mark.min(self.refs_len));
            std::thread::sleep(Duration::from_millis(1));
        }
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

fn put_word(buf: &mut [u8], len: &mut usize, value: u32) {
    buf[*len..*len + 4].copy_from_slice(&value.to_le_bytes());
    *len += 4;
}

/// Builds the reference stream during the scan of OBJECTS.
pub struct RefsWriter {
    buf: MmapMut,
    len: usize,
    records: u64,
    chunk_starts: Vec<u64>,
    /// Per class index: the byte positions of the reference slots in an
    /// instance record's values, computed on first use.
    ref_slots: Vec<Option<Box<[u32]>>>,
}

impl RefsWriter {
    /// A writer for the references of an OBJECTS payload of `payload_len`
    /// bytes. A record of the stream is at most 3 bytes longer than the
    /// OBJECTS record it comes from, which is at least 5 bytes long, so 1.6 ×
    /// the payload always suffices (the mapping is only address space until
    /// written).
    pub fn new(payload_len: usize, classes: usize) -> std::io::Result<RefsWriter> {
        let capacity = payload_len + payload_len / 5 * 3 + 64;
        Ok(RefsWriter { buf: anonymous(capacity)?, len: 0, records: 0, chunk_starts: Vec::new(), ref_slots: vec![None; classes] })
    }

    fn word(&mut self, value: u32) {
        put_word(&mut self.buf, &mut self.len, value);
    }

    fn begin(&mut self, id: u64, header: u32) {
        if self.records % REFS_CHUNK_RECORDS == 0 {
            self.chunk_starts.push(self.len as u64);
        }
        self.records += 1;
        self.word(id as u32);
        self.word(header);
    }

    /// The instance `id` of class `class` whose values are `values`.
    pub fn instance(&mut self, id: u64, class: u32, layout: &[FieldType], values: &[u8]) {
        let Some(slot) = self.ref_slots.get_mut(class as usize) else { return };
        let slots = slot.get_or_insert_with(|| {
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
        if slots.is_empty() {
            return;
        }
        if self.records % REFS_CHUNK_RECORDS == 0 {
            self.chunk_starts.push(self.len as u64);
        }
        self.records += 1;
        put_word(&mut self.buf, &mut self.len, id as u32);
        put_word(&mut self.buf, &mut self.len, class);
        for &at in slots.iter() {
            let at = at as usize;
            put_word(&mut self.buf, &mut self.len, u32::from_le_bytes([values[at], values[at + 1], values[at + 2], values[at + 3]]));
        }
    }

    /// The reference array `id` whose elements are `elements` (4 bytes each).
    pub fn array(&mut self, id: u64, length: u32, elements: &[u8]) {
        if length == 0 {
            return;
        }
        self.begin(id, 0x8000_0000 | length);
        self.buf[self.len..self.len + elements.len()].copy_from_slice(elements);
        self.len += elements.len();
    }

    pub fn len(&self) -> usize {
        self.len
    }
}
