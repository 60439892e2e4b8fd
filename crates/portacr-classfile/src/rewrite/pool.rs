//! Appending to a constant pool without disturbing it.
//!
//! The existing pool is copied byte for byte (so every index the class uses,
//! and every Utf8 the parser decoded lossily, stays exactly as it was); new
//! entries are appended after it and reused when an equal entry exists.

use std::collections::HashMap;

use crate::constant_pool::{Constant, ConstantPool};
use crate::rewrite::RewriteError;

/// The largest `constant_pool_count` (a `u2`).
const MAX_POOL_COUNT: usize = 65535;

pub(crate) struct PoolBuilder {
    /// `constant_pool_count` so far.
    count: usize,
    /// Encoded entries appended after the original pool.
    appended: Vec<u8>,
    utf8s: HashMap<String, u16>,
    classes: HashMap<String, u16>,
    name_and_types: HashMap<(u16, u16), u16>,
    method_refs: HashMap<(u16, u16), u16>,
    integers: HashMap<i32, u16>,
}

impl PoolBuilder {
    pub(crate) fn new(pool: &ConstantPool) -> PoolBuilder {
        let mut builder = PoolBuilder {
            count: pool.count(),
            appended: Vec::new(),
            utf8s: HashMap::new(),
            classes: HashMap::new(),
            name_and_types: HashMap::new(),
            method_refs: HashMap::new(),
            integers: HashMap::new(),
        };
        for (index, constant) in pool.entries().iter().enumerate() {
            let index = index as u16;
            match constant {
                Constant::Utf8(s) => {
                    builder.utf8s.entry(s.clone()).or_insert(index);
                }
                Constant::Integer(v) => {
                    builder.integers.entry(*v).or_insert(index);
                }
                Constant::NameAndType {
                    name_index,
                    descriptor_index,
                } => {
                    builder
                        .name_and_types
                        .entry((*name_index, *descriptor_index))
                        .or_insert(index);
                }
                Constant::MethodRef {
                    class_index,
                    name_and_type_index,
                } => {
                    builder
                        .method_refs
                        .entry((*class_index, *name_and_type_index))
                        .or_insert(index);
                }
                _ => {}
            }
        }
        // Classes are keyed by name, which needs the Utf8 map complete first.
        for (index, constant) in pool.entries().iter().enumerate() {
            if let Constant::Class { name_index } = constant {
                if let Ok(name) = pool.utf8(*name_index) {
                    builder
                        .classes
                        .entry(name.to_owned())
                        .or_insert(index as u16);
                }
            }
        }
        builder
    }

    /// The new `constant_pool_count`.
    pub(crate) fn count(&self) -> u16 {
        self.count as u16
    }

    /// The encoded entries to write after the original pool's bytes.
    pub(crate) fn appended(&self) -> &[u8] {
        &self.appended
    }

    fn append(&mut self, encoded: &[u8]) -> Result<u16, RewriteError> {
        if self.count + 1 > MAX_POOL_COUNT {
            return Err(RewriteError::ConstantPoolFull);
        }
        let index = self.count as u16;
        self.count += 1;
        self.appended.extend_from_slice(encoded);
        Ok(index)
    }

    pub(crate) fn utf8(&mut self, text: &str) -> Result<u16, RewriteError> {
        if let Some(&index) = self.utf8s.get(text) {
            return Ok(index);
        }
        let bytes = encode_modified_utf8(text);
        if bytes.len() > u16::MAX as usize {
            return Err(RewriteError::ConstantPoolFull);
        }
        let mut encoded = vec![1];
        encoded.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        encoded.extend_from_slice(&bytes);
        let index = self.append(&encoded)?;
        self.utf8s.insert(text.to_owned(), index);
        Ok(index)
    }

    /// A `CONSTANT_Class` for an internal name or array descriptor.
    pub(crate) fn class(&mut self, name: &str) -> Result<u16, RewriteError> {
        if let Some(&index) = self.classes.get(name) {
            return Ok(index);
        }
        let name_index = self.utf8(name)?;
        let mut encoded = vec![7];
        encoded.extend_from_slice(&name_index.to_be_bytes());
        let index = self.append(&encoded)?;
        self.classes.insert(name.to_owned(), index);
        Ok(index)
    }

    pub(crate) fn method_ref(
        &mut self,
        owner: &str,
        name: &str,
        descriptor: &str,
    ) -> Result<u16, RewriteError> {
        let class_index = self.class(owner)?;
        let name_index = self.utf8(name)?;
        let descriptor_index = self.utf8(descriptor)?;
        let name_and_type = match self.name_and_types.get(&(name_index, descriptor_index)) {
            Some(&index) => index,
            None => {
                let mut encoded = vec![12];
                encoded.extend_from_slice(&name_index.to_be_bytes());
                encoded.extend_from_slice(&descriptor_index.to_be_bytes());
                let index = self.append(&encoded)?;
                self.name_and_types
                    .insert((name_index, descriptor_index), index);
                index
            }
        };
        if let Some(&index) = self.method_refs.get(&(class_index, name_and_type)) {
            return Ok(index);
        }
        let mut encoded = vec![10];
        encoded.extend_from_slice(&class_index.to_be_bytes());
        encoded.extend_from_slice(&name_and_type.to_be_bytes());
        let index = self.append(&encoded)?;
        self.method_refs.insert((class_index, name_and_type), index);
        Ok(index)
    }

    pub(crate) fn integer(&mut self, value: i32) -> Result<u16, RewriteError> {
        if let Some(&index) = self.integers.get(&value) {
            return Ok(index);
        }
        let mut encoded = vec![3];
        encoded.extend_from_slice(&value.to_be_bytes());
        let index = self.append(&encoded)?;
        self.integers.insert(value, index);
        Ok(index)
    }
}

/// Modified UTF-8 (JVMS 4.4.7): NUL as `C0 80`, characters outside the BMP
/// as two 3-byte surrogates.
pub(crate) fn encode_modified_utf8(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for unit in text.encode_utf16() {
        match unit {
            0x0001..=0x007F => out.push(unit as u8),
            0x0000 | 0x0080..=0x07FF => {
                out.push(0xC0 | (unit >> 6) as u8);
                out.push(0x80 | (unit & 0x3F) as u8);
            }
            _ => {
                out.push(0xE0 | (unit >> 12) as u8);
                out.push(0x80 | ((unit >> 6) & 0x3F) as u8);
                out.push(0x80 | (unit & 0x3F) as u8);
            }
        }
    }
    out
}

/// Where the constant pool's entries lie: the byte offset of each entry's
/// tag by pool index (index 0 and the second slot of a long/double hold 0),
/// and the offset of the first byte after the pool (the class's
/// `access_flags`), found by walking the entries' encoded sizes (JVMS 4.4).
pub(crate) struct PoolLayout {
    pub entry_offsets: Vec<usize>,
    pub end: usize,
}

pub(crate) fn constant_pool_layout(bytes: &[u8]) -> Result<PoolLayout, RewriteError> {
    let truncated = || RewriteError::Malformed {
        detail: "constant pool runs past the end of the class file".into(),
    };
    let read_u16 = |at: usize| -> Result<usize, RewriteError> {
        match bytes.get(at..at + 2) {
            Some(b) => Ok(u16::from_be_bytes([b[0], b[1]]) as usize),
            None => Err(truncated()),
        }
    };
    let count = read_u16(8)?;
    let mut entry_offsets = vec![0; count];
    let mut at = 10;
    let mut index = 1;
    while index < count {
        entry_offsets[index] = at;
        let tag = *bytes.get(at).ok_or_else(truncated)?;
        let (size, slots) = match tag {
            1 => (3 + read_u16(at + 1)?, 1),
            3 | 4 => (5, 1),
            5 | 6 => (9, 2),
            7 | 8 | 16 | 19 | 20 => (3, 1),
            9..=12 | 17 | 18 => (5, 1),
            15 => (4, 1),
            other => {
                return Err(RewriteError::Malformed {
                    detail: format!("constant pool tag {other} at offset {at:#x}"),
                })
            }
        };
        at += size;
        index += slots;
    }
    if at > bytes.len() {
        return Err(truncated());
    }
    Ok(PoolLayout { entry_offsets, end: at })
}

/// Offset of the first byte after the constant pool (the class's
/// `access_flags`).
pub(crate) fn constant_pool_end(bytes: &[u8]) -> Result<usize, RewriteError> {
    Ok(constant_pool_layout(bytes)?.end)
}

#[cfg(test)]
mod tests {
    use super::encode_modified_utf8;

    #[test]
    fn modified_utf8() {
        assert_eq!(encode_modified_utf8("a\0b"), b"a\xC0\x80b");
        assert_eq!(encode_modified_utf8("é"), b"\xC3\xA9");
        assert_eq!(
            encode_modified_utf8("\u{1F600}"),
            b"\xED\xA0\xBD\xED\xB8\x80"
        );
    }
}
