//! One pass over the OBJECTS payload that only skips records (no values
//! are decoded, nothing is allocated): the object count and an estimate of
//! the heap the objects take in a JVM, for the `-Xmx` check.
//!
//! The estimate assumes a 16-byte header and 4-byte references
//! (compressed oops), every object rounded up to 8 bytes. It is a gate, not
//! a promise: a JVM with uncompressed oops needs more, one with compact
//! headers less; spec/restore.md §3 says why that is good enough.

use portacr_image::{id_after_step, read_step, ClassRecord, ImageError, Layouts, Location, PrimKind, RecordIds, SectionKind};

use super::heap_payload::RefsWriter;

/// What [`scan`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObjectCounts {
    pub objects: u64,
    /// Estimated bytes the objects take in a JVM heap.
    pub estimated_heap_bytes: u64,
}

const HEADER: u64 = 16;
/// A String object without its value array (header, value, hash, coder, flags).
const STRING_OBJECT: u64 = 24;

/// The little-endian u32 at `at`; the caller checked the 4 bytes exist.
fn read_u32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn align8(n: u64) -> u64 {
    (n + 7) & !7
}

/// Counts the records of an OBJECTS payload and estimates their heap size;
/// with `refs`, also writes the reference stream of pass 2 (heap_payload.rs).
/// `named_ids`: format 2.x records (spec/image-format.md §7), whose ids are
/// checked here to be 1..N, each once, before any Java code relies on them.
pub fn scan(
    data: &[u8],
    classes: &[ClassRecord],
    layouts: &Layouts,
    mut refs: Option<&mut RefsWriter>,
    named_ids: bool,
) -> Result<ObjectCounts, ImageError> {
    let mut pos = 0usize;
    let mut counts = ObjectCounts::default();
    let mut ids = named_ids.then(|| RecordIds::new(data.len()));
    let mut previous_id = 0u32;
    let mut words: Vec<u32> = Vec::new();
    let defect = |object: u64, at: usize, message: String| ImageError::Malformed {
        at: Location::record(SectionKind::OBJECTS, "object", object, at as u64),
        message,
    };
    let take = |pos: &mut usize, n: usize, object: u64| -> Result<usize, ImageError> {
        let start = *pos;
        match start.checked_add(n) {
            Some(end) if end <= data.len() => {
                *pos = end;
                Ok(start)
            }
            _ => Err(defect(object, start, format!("truncated: {n} bytes needed, {} left", data.len() - start))),
        }
    };
    while pos < data.len() {
        let record = counts.objects + 1;
        let tag = data[pos];
        pos += 1;
        // The object's id (the record's number in 1.x); messages name the record (spec §11).
        let object = match ids.as_mut() {
            Some(ids) => {
                let (step, used) = read_step(data, pos).map_err(|e| defect(record, pos, e.to_string()))?;
                let id = id_after_step(previous_id, step);
                ids.record(id, record, pos).map_err(|e| defect(record, pos, e.to_string()))?;
                pos += used;
                previous_id = id;
                id as u64
            }
            None => record,
        };
        if tag & 0x80 != 0 {
            take(&mut pos, 4, record)?;
        }
        let class_of = |pos: &mut usize| -> Result<&ClassRecord, ImageError> {
            let at = take(pos, 4, record)?;
            let index = read_u32(data, at);
            classes
                .get(index as usize)
                .ok_or_else(|| defect(record, at, format!("class index {index} out of range (0..{})", classes.len())))
        };
        let heap = match tag & 0x0f {
            1 => {
                let at = pos;
                class_of(&mut pos)?;
                let index = read_u32(data, at);
                let bytes = layouts
                    .record_bytes(index)
                    .ok_or_else(|| defect(record, at, format!("no layout for class {index}")))?;
                let values = take(&mut pos, bytes, record)?;
                if let (Some(refs), Some(layout)) = (refs.as_deref_mut(), layouts.layout(index)) {
                    let words = named_ids.then_some(&mut words);
                    if !refs.instance(object, index, layout, &data[values..values + bytes], words).map_err(ImageError::Write)? {
                        return Err(defect(record, values, "a reference word decodes to object id 0".into()));
                    }
                }
                align8(HEADER + bytes as u64)
            }
            2 => {
                let class = class_of(&mut pos)?;
                let elem = match class.name.as_bytes() {
                    [b'[', c] => PrimKind::from_descriptor_char(*c),
                    _ => None,
                }
                .ok_or_else(|| defect(record, pos, format!("PRIM_ARRAY of class {}", class.name)))?;
                let at = take(&mut pos, 4, record)?;
                let length = read_u32(data, at) as usize;
                let bytes = length
                    .checked_mul(elem.size())
                    .ok_or_else(|| defect(record, at, format!("array length {length} too large")))?;
                take(&mut pos, bytes, record)?;
                align8(HEADER + bytes as u64)
            }
            3 => {
                class_of(&mut pos)?;
                let at = take(&mut pos, 4, record)?;
                let length = read_u32(data, at) as usize;
                let elements = take(&mut pos, length * 4, record)?;
                if let Some(refs) = refs.as_deref_mut() {
                    let words = named_ids.then_some(&mut words);
                    if !refs.array(object, length as u32, &data[elements..elements + length * 4], words).map_err(ImageError::Write)? {
                        return Err(defect(record, elements, "a reference word decodes to object id 0".into()));
                    }
                }
                align8(HEADER + 4 * length as u64)
            }
            4 => {
                let at = take(&mut pos, 1, record)?;
                let utf16 = data[at] & 2 != 0;
                let at = take(&mut pos, 4, record)?;
                let length = read_u32(data, at) as usize;
                let bytes = if utf16 { length * 2 } else { length };
                take(&mut pos, bytes, record)?;
                STRING_OBJECT + align8(HEADER + bytes as u64)
            }
            5 => {
                take(&mut pos, 4, record)?;
                0
            }
            kind => return Err(defect(record, pos - 1, format!("unknown object kind {kind}"))),
        };
        counts.objects += 1;
        counts.estimated_heap_bytes += heap;
    }
    if let Some(Err((e, record, at))) = ids.map(|ids| ids.finish(counts.objects)) {
        return Err(defect(record, at, e.to_string()));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_record_is_a_defect() {
        let classes: Vec<ClassRecord> = Vec::new();
        let layouts = Layouts::default();
        // A STRING whose length says 10 bytes but 2 follow.
        let data = [4u8, 0, 10, 0, 0, 0, b'a', b'b'];
        let e = scan(&data, &classes, &layouts, None, false).unwrap_err().to_string();
        assert!(e.contains("object 1") && e.contains("truncated"), "{e}");
        let ok = [4u8, 0, 2, 0, 0, 0, b'a', b'b', 5, 0, 0, 0, 0];
        let counts = scan(&ok, &classes, &layouts, None, false).unwrap();
        assert_eq!(counts.objects, 2);
        assert_eq!(counts.estimated_heap_bytes, STRING_OBJECT + 24);
    }

    #[test]
    fn format_2_ids_are_checked_before_the_rebuild() {
        let classes: Vec<ClassRecord> = Vec::new();
        let layouts = Layouts::default();
        // SYMBOLIC records (tag 5, step, symref index): ids 1, then 1 again (step zigzag(-1) = 1).
        let twice = [5u8, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 0];
        let e = scan(&twice, &classes, &layouts, None, true).unwrap_err().to_string();
        assert!(e.contains("object 2") && e.contains("object id 1 is given twice"), "{e}");
        // One record naming id 2 (step zigzag(1) = 2).
        let above = [5u8, 2, 0, 0, 0, 0];
        let e = scan(&above, &classes, &layouts, None, true).unwrap_err().to_string();
        assert!(e.contains("object 1") && e.contains("object id 2 is above the 1 objects"), "{e}");
        let ok = [5u8, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0];
        assert_eq!(scan(&ok, &classes, &layouts, None, true).unwrap().objects, 2);
    }
}
