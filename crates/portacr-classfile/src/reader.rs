//! A bounds-checked big-endian cursor over class-file bytes.

use crate::error::ClassFileError;

/// Reads big-endian values; every read checks the remaining length first.
#[derive(Clone)]
pub(crate) struct ByteReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        ByteReader { bytes, position: 0 }
    }

    /// Offset of the next byte to read, from the start of the slice.
    pub(crate) fn position(&self) -> usize {
        self.position
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn take(
        &mut self,
        what: &'static str,
        len: usize,
    ) -> Result<&'a [u8], ClassFileError> {
        if len > self.remaining() {
            return Err(ClassFileError::Truncated {
                what,
                offset: self.position,
                needed: len,
                available: self.remaining(),
            });
        }
        let slice = &self.bytes[self.position..self.position + len];
        self.position += len;
        Ok(slice)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, ClassFileError> {
        Ok(self.take(what, 1)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, ClassFileError> {
        let b = self.take(what, 2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, ClassFileError> {
        let b = self.take(what, 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, ClassFileError> {
        let hi = self.u32(what)? as u64;
        let lo = self.u32(what)? as u64;
        Ok(hi << 32 | lo)
    }

    /// Checks that `count` items of at least `min_item_size` bytes each can
    /// still be present, so a corrupt count fails before `Vec::with_capacity`.
    pub(crate) fn expect_items(
        &self,
        what: &'static str,
        count: usize,
        min_item_size: usize,
    ) -> Result<(), ClassFileError> {
        let needed = count.saturating_mul(min_item_size);
        if needed > self.remaining() {
            return Err(ClassFileError::Truncated {
                what,
                offset: self.position,
                needed,
                available: self.remaining(),
            });
        }
        Ok(())
    }
}
