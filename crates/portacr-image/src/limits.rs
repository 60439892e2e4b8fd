//! Named limits of the image format (spec/image-format.md §10).
//!
//! The reader checks every length against these *before* allocating for it,
//! so a corrupt length can never make it allocate hugely.

/// Sections in one image (`section_count`).
pub const MAX_SECTIONS: u32 = 64;
/// Raw (decoded) size of any section.
pub const MAX_SECTION_RAW_SIZE: u64 = 1 << 40;
/// Raw size of a bincode (metadata) section; also the bincode decode limit.
pub const MAX_METADATA_SECTION_RAW_SIZE: usize = 1 << 30;
/// Raw size of the chunks the reference writer produces (all but the last).
pub const CHUNK_RAW_SIZE: usize = 1 << 20;
/// Raw size of one chunk a reader accepts.
pub const MAX_CHUNK_RAW_SIZE: u32 = 1 << 22;
/// Chunks in one section.
pub const MAX_CHUNKS: u32 = 1 << 20;
/// Entries in CLASSES.
pub const MAX_CLASSES: usize = 1 << 20;
/// Declared fields of one class (class-file limit: fields_count is u16).
pub const MAX_FIELDS_PER_CLASS: usize = 65_535;
/// Direct interfaces of one class (class-file limit).
pub const MAX_INTERFACES_PER_CLASS: usize = 65_535;
/// Values in one instance layout (all non-static fields of a superclass chain).
pub const MAX_INSTANCE_FIELDS: usize = 65_535;
/// Sum of the lengths of all instance layouts the reader keeps in memory.
pub const MAX_LAYOUT_TOTAL: usize = 1 << 24;
/// Records in OBJECTS (ids are u32 and 0 is null).
pub const MAX_OBJECTS: u64 = u32::MAX as u64;
/// Length of a primitive or reference array (Java maximum).
pub const MAX_ARRAY_LENGTH: u32 = i32::MAX as u32;
/// Length of a string in chars (Java maximum).
pub const MAX_STRING_LENGTH: u32 = i32::MAX as u32;
/// Entries in SYMREFS.
pub const MAX_SYMREFS: usize = 1 << 24;
/// Entries in THREADS.
pub const MAX_THREADS: usize = 65_536;
/// Frames of one thread.
pub const MAX_FRAME_DEPTH: usize = 65_536;
/// Locals or operands of one frame (max_locals / max_stack are u16).
pub const MAX_FRAME_SLOTS: usize = 65_535;
/// Monitors held by one frame.
pub const MAX_MONITORS_PER_FRAME: usize = 65_535;
/// Entries in RESOURCES.
pub const MAX_RESOURCES: usize = 1 << 24;
/// Byte length of any bincode string.
pub const MAX_METADATA_STRING: usize = 1 << 24;
/// Length of any other bincode list (arguments, options, properties).
pub const MAX_METADATA_LIST: usize = 1 << 24;
/// Array dimensions in a descriptor (JVM limit).
pub const MAX_ARRAY_DIMENSIONS: usize = 255;

/// The largest single allocation the reader makes for a file of `file_len`
/// bytes: a decoded section grows chunk by chunk (a `Vec` at most doubles
/// past what was decoded, and nothing is decoded unless its crc matched), and
/// bincode strings and lists are bounded by the bytes left in the payload.
/// Used by the mutation test's counting allocator.
pub fn max_single_allocation(raw_total: u64) -> u64 {
    4 * MAX_CHUNK_RAW_SIZE as u64 + 4 * raw_total
}
