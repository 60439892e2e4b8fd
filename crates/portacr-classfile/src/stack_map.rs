//! The `StackMapTable` attribute (JVMS 4.7.4), decoded but not interpreted:
//! frames keep their kind and `offset_delta`, and verification types keep
//! constant-pool indices, so a rewriter can shift offsets and re-encode the
//! table without losing anything.

use crate::error::ClassFileError;
use crate::reader::ByteReader;

/// `verification_type_info` as stored: one entry per type, long and double
/// count ONE entry here (but two local/stack slots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationTypeInfo {
    Top,
    Integer,
    Float,
    Double,
    Long,
    Null,
    UninitializedThis,
    /// Constant-pool index of a `CONSTANT_Class`.
    Object(u16),
    /// Offset of the `new` instruction that created the object.
    Uninitialized(u16),
}

/// The frame kinds of JVMS 4.7.4, by `frame_type` range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackMapFrameKind {
    /// 0..=63 and 251 (`same_frame_extended`).
    Same,
    /// 64..=127 and 247 (`..._extended`).
    SameLocals1StackItem(VerificationTypeInfo),
    /// 248..=250: the last `k` locals (1..=3 entries) are absent.
    Chop(u8),
    /// 252..=254: `k` (1..=3) more locals.
    Append(Vec<VerificationTypeInfo>),
    /// 255.
    Full {
        locals: Vec<VerificationTypeInfo>,
        stack: Vec<VerificationTypeInfo>,
    },
}

/// One entry of a `StackMapTable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackMapFrame {
    /// The raw `frame_type` byte (tells the compact from the extended forms).
    pub frame_type: u8,
    pub offset_delta: u16,
    pub kind: StackMapFrameKind,
}

impl StackMapFrame {
    /// Decodes a whole `StackMapTable` attribute body. `offset` is the
    /// class-file offset of `info`, for error messages.
    pub fn parse_table(info: &[u8], offset: usize) -> Result<Vec<StackMapFrame>, ClassFileError> {
        let mut reader = ByteReader::new(info);
        let count = reader.u16("number_of_entries")? as usize;
        reader.expect_items("StackMapTable entries", count, 1)?;
        let mut frames = Vec::with_capacity(count);
        for _ in 0..count {
            let frame_offset = offset + reader.position();
            let frame_type = reader.u8("frame_type")?;
            let (offset_delta, kind) = match frame_type {
                0..=63 => (frame_type as u16, StackMapFrameKind::Same),
                64..=127 => (
                    frame_type as u16 - 64,
                    StackMapFrameKind::SameLocals1StackItem(parse_type(&mut reader)?),
                ),
                247 => {
                    let delta = reader.u16("offset_delta")?;
                    (
                        delta,
                        StackMapFrameKind::SameLocals1StackItem(parse_type(&mut reader)?),
                    )
                }
                248..=250 => (
                    reader.u16("offset_delta")?,
                    StackMapFrameKind::Chop(251 - frame_type),
                ),
                251 => (reader.u16("offset_delta")?, StackMapFrameKind::Same),
                252..=254 => {
                    let delta = reader.u16("offset_delta")?;
                    let count = (frame_type - 251) as usize;
                    let mut locals = Vec::with_capacity(count);
                    for _ in 0..count {
                        locals.push(parse_type(&mut reader)?);
                    }
                    (delta, StackMapFrameKind::Append(locals))
                }
                255 => {
                    let delta = reader.u16("offset_delta")?;
                    let locals = parse_types(&mut reader)?;
                    let stack = parse_types(&mut reader)?;
                    (delta, StackMapFrameKind::Full { locals, stack })
                }
                128..=246 => {
                    return Err(ClassFileError::malformed(
                        "StackMapTable",
                        frame_offset,
                        format!("reserved frame_type {frame_type}"),
                    ))
                }
            };
            frames.push(StackMapFrame {
                frame_type,
                offset_delta,
                kind,
            });
        }
        if !reader.is_empty() {
            return Err(ClassFileError::malformed(
                "StackMapTable",
                offset + reader.position(),
                format!("{} bytes after the last frame", reader.remaining()),
            ));
        }
        Ok(frames)
    }
}

fn parse_types(reader: &mut ByteReader<'_>) -> Result<Vec<VerificationTypeInfo>, ClassFileError> {
    let count = reader.u16("verification type count")? as usize;
    reader.expect_items("verification types", count, 1)?;
    let mut types = Vec::with_capacity(count);
    for _ in 0..count {
        types.push(parse_type(reader)?);
    }
    Ok(types)
}

fn parse_type(reader: &mut ByteReader<'_>) -> Result<VerificationTypeInfo, ClassFileError> {
    let offset = reader.position();
    Ok(match reader.u8("verification type tag")? {
        0 => VerificationTypeInfo::Top,
        1 => VerificationTypeInfo::Integer,
        2 => VerificationTypeInfo::Float,
        3 => VerificationTypeInfo::Double,
        4 => VerificationTypeInfo::Long,
        5 => VerificationTypeInfo::Null,
        6 => VerificationTypeInfo::UninitializedThis,
        7 => VerificationTypeInfo::Object(reader.u16("Object_variable_info")?),
        8 => VerificationTypeInfo::Uninitialized(reader.u16("Uninitialized_variable_info")?),
        tag => {
            return Err(ClassFileError::malformed(
                "StackMapTable",
                offset,
                format!("unknown verification type tag {tag}"),
            ))
        }
    })
}
