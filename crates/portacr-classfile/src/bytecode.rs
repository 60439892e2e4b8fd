//! Instruction decoding: opcode names used by the analysis, instruction
//! lengths (wide, tableswitch/lookupswitch padding) and operand access.

use crate::error::ClassFileError;

// Opcodes the analysis refers to by name (JVMS 6.5).
pub const NOP: u8 = 0;
pub const ACONST_NULL: u8 = 1;
pub const LDC: u8 = 18;
pub const LDC_W: u8 = 19;
pub const LDC2_W: u8 = 20;
pub const ILOAD: u8 = 21;
pub const ALOAD: u8 = 25;
pub const ISTORE: u8 = 54;
pub const ASTORE: u8 = 58;
pub const IINC: u8 = 132;
pub const GOTO: u8 = 167;
pub const JSR: u8 = 168;
pub const RET: u8 = 169;
pub const TABLESWITCH: u8 = 170;
pub const LOOKUPSWITCH: u8 = 171;
pub const IRETURN: u8 = 172;
pub const RETURN: u8 = 177;
pub const GETSTATIC: u8 = 178;
pub const PUTSTATIC: u8 = 179;
pub const GETFIELD: u8 = 180;
pub const PUTFIELD: u8 = 181;
pub const INVOKEVIRTUAL: u8 = 182;
pub const INVOKESPECIAL: u8 = 183;
pub const INVOKESTATIC: u8 = 184;
pub const INVOKEINTERFACE: u8 = 185;
pub const INVOKEDYNAMIC: u8 = 186;
pub const NEW: u8 = 187;
pub const NEWARRAY: u8 = 188;
pub const ANEWARRAY: u8 = 189;
pub const ARRAYLENGTH: u8 = 190;
pub const ATHROW: u8 = 191;
pub const CHECKCAST: u8 = 192;
pub const INSTANCEOF: u8 = 193;
pub const MONITORENTER: u8 = 194;
pub const MONITOREXIT: u8 = 195;
pub const WIDE: u8 = 196;
pub const MULTIANEWARRAY: u8 = 197;
pub const IFNULL: u8 = 198;
pub const IFNONNULL: u8 = 199;
pub const GOTO_W: u8 = 200;
pub const JSR_W: u8 = 201;

/// True for the five invoke instructions.
pub fn is_invoke(opcode: u8) -> bool {
    (INVOKEVIRTUAL..=INVOKEDYNAMIC).contains(&opcode)
}

/// Operand readers over a method's code; every read is bounds-checked.
pub(crate) struct Operands<'a> {
    pub code: &'a [u8],
}

impl Operands<'_> {
    fn truncated(&self, at: usize) -> ClassFileError {
        ClassFileError::Malformed {
            what: "bytecode",
            detail: "instruction runs past the end of the code".into(),
            offset: at,
        }
    }
    pub fn u8(&self, at: usize) -> Result<u8, ClassFileError> {
        self.code.get(at).copied().ok_or_else(|| self.truncated(at))
    }
    pub fn u16(&self, at: usize) -> Result<u16, ClassFileError> {
        Ok(u16::from_be_bytes([self.u8(at)?, self.u8(at + 1)?]))
    }
    pub fn i16(&self, at: usize) -> Result<i16, ClassFileError> {
        Ok(self.u16(at)? as i16)
    }
    pub fn i32(&self, at: usize) -> Result<i32, ClassFileError> {
        Ok(i32::from_be_bytes([
            self.u8(at)?,
            self.u8(at + 1)?,
            self.u8(at + 2)?,
            self.u8(at + 3)?,
        ]))
    }
}

/// Length in bytes of the instruction at `bci`, operands and padding included.
pub fn instruction_length(code: &[u8], bci: usize) -> Result<usize, ClassFileError> {
    let ops = Operands { code };
    let opcode = ops.u8(bci)?;
    let length = match opcode {
        0..=15 | 26..=53 | 59..=131 | 133..=152 | 172..=177 | 190 | 191 | 194 | 195 => 1,
        16 | 18 | 21..=25 | 54..=58 | RET | NEWARRAY => 2,
        17
        | 19
        | 20
        | IINC
        | 153..=168
        | 178..=184
        | NEW
        | ANEWARRAY
        | CHECKCAST
        | INSTANCEOF
        | IFNULL
        | IFNONNULL => 3,
        MULTIANEWARRAY => 4,
        INVOKEINTERFACE | INVOKEDYNAMIC | GOTO_W | JSR_W => 5,
        WIDE => match ops.u8(bci + 1)? {
            IINC => 6,
            21..=25 | 54..=58 | RET => 4,
            other => {
                return Err(ClassFileError::malformed(
                    "bytecode",
                    bci,
                    format!("wide cannot modify opcode {other}"),
                ))
            }
        },
        TABLESWITCH => {
            let base = switch_operands(bci);
            let low = ops.i32(base + 4)? as i64;
            let high = ops.i32(base + 8)? as i64;
            if high < low {
                return Err(ClassFileError::malformed(
                    "bytecode",
                    bci,
                    "tableswitch high < low",
                ));
            }
            let entries = (high - low + 1) as usize;
            (base - bci) + 12 + entries.checked_mul(4).ok_or_else(|| too_long(bci))?
        }
        LOOKUPSWITCH => {
            let base = switch_operands(bci);
            let pairs = ops.i32(base + 4)?;
            if pairs < 0 {
                return Err(ClassFileError::malformed(
                    "bytecode",
                    bci,
                    "lookupswitch npairs < 0",
                ));
            }
            (base - bci)
                + 8
                + (pairs as usize)
                    .checked_mul(8)
                    .ok_or_else(|| too_long(bci))?
        }
        other => {
            return Err(ClassFileError::malformed(
                "bytecode",
                bci,
                format!("invalid opcode {other}"),
            ))
        }
    };
    if bci + length > code.len() {
        return Err(too_long(bci));
    }
    Ok(length)
}

#[cold]
fn too_long(bci: usize) -> ClassFileError {
    ClassFileError::malformed("bytecode", bci, "instruction runs past the end of the code")
}

/// Offset of the first 4-byte operand of a switch at `bci`: 0–3 padding
/// bytes make it a multiple of four from the start of the code.
pub(crate) fn switch_operands(bci: usize) -> usize {
    (bci + 4) & !3
}

/// Iterates over `(bci, opcode)` of every instruction, in code order.
pub fn instructions(code: &[u8]) -> impl Iterator<Item = Result<(u32, u8), ClassFileError>> + '_ {
    let mut bci = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || bci >= code.len() {
            return None;
        }
        match instruction_length(code, bci) {
            Ok(length) => {
                let item = (bci as u32, code[bci]);
                bci += length;
                Some(Ok(item))
            }
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}
