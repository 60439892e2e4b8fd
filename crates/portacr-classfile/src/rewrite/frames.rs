//! Rebuilding a method's `StackMapTable` after a prologue of `shift` bytes
//! was put in front of its code.
//!
//! The original frames are patched, not recomputed: every offset moves by
//! `shift` (only the first frame's `offset_delta` is absolute, so only it
//! changes), and `Uninitialized(offset)` types move with the `new` they name.
//! New frames (prologue labels, the original code start, resume targets) are
//! full frames. A compact original frame (same, chop, append, same-locals-1)
//! is only meaningful against its predecessor's locals, so it keeps its kind
//! when the frame now before it has the same locals as its original
//! predecessor, and is written as a full frame otherwise.

use crate::frame_types::VType;
use crate::rewrite::pool::PoolBuilder;
use crate::rewrite::RewriteError;
use crate::stack_map::{StackMapFrame, StackMapFrameKind, VerificationTypeInfo};

/// One frame of the table being built, with absolute offset and the
/// complete locals (verification-type entries: a long is one entry).
#[derive(Debug, Clone)]
pub(crate) struct TableFrame {
    pub offset: u32,
    pub locals: Vec<VerificationTypeInfo>,
    pub stack: Vec<VerificationTypeInfo>,
    /// For frames of the original table: their kind and the locals of the
    /// frame that preceded them there.
    pub original: Option<(StackMapFrameKind, Vec<VerificationTypeInfo>)>,
}

/// Slot types (long = two slots) to verification-type entries; trailing
/// `Top` locals are dropped (the verifier pads locals with Top).
pub(crate) fn entries_from_slots(
    slots: &[VType],
    pool: &mut PoolBuilder,
    shift: u32,
    trim_top: bool,
) -> Result<Vec<VerificationTypeInfo>, RewriteError> {
    let mut entries = Vec::with_capacity(slots.len());
    let mut index = 0;
    while index < slots.len() {
        let slot = &slots[index];
        entries.push(match slot {
            VType::Top => VerificationTypeInfo::Top,
            VType::Integer => VerificationTypeInfo::Integer,
            VType::Float => VerificationTypeInfo::Float,
            VType::Long => VerificationTypeInfo::Long,
            VType::Double => VerificationTypeInfo::Double,
            VType::Null => VerificationTypeInfo::Null,
            VType::UninitializedThis => VerificationTypeInfo::UninitializedThis,
            VType::Reference(name) => VerificationTypeInfo::Object(pool.class(name)?),
            VType::Uninitialized(bci) => VerificationTypeInfo::Uninitialized(
                u16::try_from(bci.saturating_add(shift)).map_err(|_| RewriteError::Malformed {
                    detail: format!("uninitialized offset {bci} beyond the code"),
                })?,
            ),
            VType::ReturnAddress(_) => {
                return Err(RewriteError::Malformed {
                    detail: "a returnAddress cannot appear in a StackMapTable".into(),
                })
            }
        });
        index += slot.size();
    }
    if trim_top {
        while entries.last() == Some(&VerificationTypeInfo::Top) {
            entries.pop();
        }
    }
    Ok(entries)
}

fn shift_type(
    info: VerificationTypeInfo,
    shift: u32,
) -> Result<VerificationTypeInfo, RewriteError> {
    Ok(match info {
        VerificationTypeInfo::Uninitialized(offset) => VerificationTypeInfo::Uninitialized(
            u16::try_from(offset as u32 + shift).map_err(|_| RewriteError::Malformed {
                detail: format!("uninitialized offset {offset} beyond the code"),
            })?,
        ),
        other => other,
    })
}

fn shift_types(
    infos: &[VerificationTypeInfo],
    shift: u32,
) -> Result<Vec<VerificationTypeInfo>, RewriteError> {
    infos.iter().map(|i| shift_type(*i, shift)).collect()
}

/// The original table as absolute, complete frames, shifted by `shift`.
/// `initial` is the method's implicit initial frame (entries).
pub(crate) fn decode_original(
    frames: &[StackMapFrame],
    initial: &[VerificationTypeInfo],
    shift: u32,
) -> Result<Vec<TableFrame>, RewriteError> {
    let mut out = Vec::with_capacity(frames.len());
    let mut locals = initial.to_vec();
    let mut offset: Option<u32> = None;
    for frame in frames {
        let at = match offset {
            None => frame.offset_delta as u32,
            Some(previous) => previous.saturating_add(frame.offset_delta as u32 + 1),
        };
        offset = Some(at);
        let before = locals.clone();
        let (kind, stack) = match &frame.kind {
            StackMapFrameKind::Same => (StackMapFrameKind::Same, Vec::new()),
            StackMapFrameKind::SameLocals1StackItem(item) => {
                let item = shift_type(*item, shift)?;
                (StackMapFrameKind::SameLocals1StackItem(item), vec![item])
            }
            StackMapFrameKind::Chop(k) => {
                let k = *k as usize;
                if k > locals.len() {
                    return Err(RewriteError::Malformed {
                        detail: format!("StackMapTable chops {k} of {} locals", locals.len()),
                    });
                }
                locals.truncate(locals.len() - k);
                (StackMapFrameKind::Chop(k as u8), Vec::new())
            }
            StackMapFrameKind::Append(more) => {
                let more = shift_types(more, shift)?;
                locals.extend(more.iter().copied());
                (StackMapFrameKind::Append(more), Vec::new())
            }
            StackMapFrameKind::Full {
                locals: full,
                stack,
            } => {
                locals = shift_types(full, shift)?;
                let stack = shift_types(stack, shift)?;
                (
                    StackMapFrameKind::Full {
                        locals: locals.clone(),
                        stack: stack.clone(),
                    },
                    stack,
                )
            }
        };
        out.push(TableFrame {
            offset: at.saturating_add(shift),
            locals: locals.clone(),
            stack,
            original: Some((kind, before)),
        });
    }
    Ok(out)
}

/// Encodes `frames` (sorted by offset, offsets distinct) as a
/// `StackMapTable` attribute body.
pub(crate) fn encode_table(
    frames: &[TableFrame],
    initial: &[VerificationTypeInfo],
) -> Result<Vec<u8>, RewriteError> {
    let count = u16::try_from(frames.len()).map_err(|_| RewriteError::Malformed {
        detail: "more than 65535 StackMapTable frames".into(),
    })?;
    let mut out = count.to_be_bytes().to_vec();
    let mut previous_locals: &[VerificationTypeInfo] = initial;
    let mut previous_offset: Option<u32> = None;
    for frame in frames {
        let delta =
            match previous_offset {
                None => frame.offset,
                Some(previous) => frame.offset.checked_sub(previous + 1).ok_or_else(|| {
                    RewriteError::Malformed {
                        detail: format!("StackMapTable frames out of order at {}", frame.offset),
                    }
                })?,
            };
        let delta = u16::try_from(delta).map_err(|_| RewriteError::Malformed {
            detail: format!("StackMapTable offset {} beyond the code", frame.offset),
        })?;
        previous_offset = Some(frame.offset);
        let kind = match &frame.original {
            Some((kind, before)) if before.as_slice() == previous_locals => kind.clone(),
            _ => StackMapFrameKind::Full {
                locals: frame.locals.clone(),
                stack: frame.stack.clone(),
            },
        };
        encode_frame(&mut out, delta, &kind)?;
        previous_locals = &frame.locals;
    }
    Ok(out)
}

fn encode_frame(
    out: &mut Vec<u8>,
    delta: u16,
    kind: &StackMapFrameKind,
) -> Result<(), RewriteError> {
    match kind {
        StackMapFrameKind::Same if delta < 64 => out.push(delta as u8),
        StackMapFrameKind::Same => {
            out.push(251);
            out.extend_from_slice(&delta.to_be_bytes());
        }
        StackMapFrameKind::SameLocals1StackItem(item) if delta < 64 => {
            out.push(64 + delta as u8);
            encode_type(out, *item);
        }
        StackMapFrameKind::SameLocals1StackItem(item) => {
            out.push(247);
            out.extend_from_slice(&delta.to_be_bytes());
            encode_type(out, *item);
        }
        StackMapFrameKind::Chop(k) => {
            out.push(251 - k);
            out.extend_from_slice(&delta.to_be_bytes());
        }
        StackMapFrameKind::Append(more) => {
            out.push(251 + more.len() as u8);
            out.extend_from_slice(&delta.to_be_bytes());
            more.iter().for_each(|t| encode_type(out, *t));
        }
        StackMapFrameKind::Full { locals, stack } => {
            out.push(255);
            out.extend_from_slice(&delta.to_be_bytes());
            for list in [locals, stack] {
                let n = u16::try_from(list.len()).map_err(|_| RewriteError::Malformed {
                    detail: "more than 65535 verification types in a frame".into(),
                })?;
                out.extend_from_slice(&n.to_be_bytes());
                list.iter().for_each(|t| encode_type(out, *t));
            }
        }
    }
    Ok(())
}

fn encode_type(out: &mut Vec<u8>, info: VerificationTypeInfo) {
    match info {
        VerificationTypeInfo::Top => out.push(0),
        VerificationTypeInfo::Integer => out.push(1),
        VerificationTypeInfo::Float => out.push(2),
        VerificationTypeInfo::Double => out.push(3),
        VerificationTypeInfo::Long => out.push(4),
        VerificationTypeInfo::Null => out.push(5),
        VerificationTypeInfo::UninitializedThis => out.push(6),
        VerificationTypeInfo::Object(index) => {
            out.push(7);
            out.extend_from_slice(&index.to_be_bytes());
        }
        VerificationTypeInfo::Uninitialized(offset) => {
            out.push(8);
            out.extend_from_slice(&offset.to_be_bytes());
        }
    }
}
