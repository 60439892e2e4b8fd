//! Errors of class-file parsing and frame-type inference.
//!
//! Every parse error names what was being read and the byte offset in the
//! class file; every analysis error names the method and the bci.

use thiserror::Error;

/// Everything that can go wrong reading a class file or typing its frames.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClassFileError {
    /// The input ended before a structure was complete.
    #[error("class file truncated while reading {what}: needed {needed} bytes at offset {offset:#x}, {available} available")]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// The first four bytes are not 0xCAFEBABE.
    #[error("not a class file: magic is {found:#010x}, expected 0xcafebabe")]
    BadMagic { found: u32 },
    /// A structure is present but its contents break the class-file format.
    #[error("malformed {what}: {detail} (at offset {offset:#x})")]
    Malformed {
        what: &'static str,
        detail: String,
        offset: usize,
    },
    /// A constant-pool index is out of range or names the wrong kind of entry.
    #[error("constant pool index {index}: expected {expected}, found {found}")]
    BadConstant {
        index: u16,
        expected: &'static str,
        found: String,
    },
    /// A descriptor does not follow the JVMS 4.3 grammar.
    #[error("malformed descriptor {descriptor:?}")]
    BadDescriptor { descriptor: String },
    /// No method with that name and descriptor is declared by the class.
    #[error("method {class}.{name}{descriptor} not found")]
    MethodNotFound {
        class: String,
        name: String,
        descriptor: String,
    },
    /// The method is abstract or native.
    #[error("method {method} has no Code attribute")]
    NoCode { method: String },
    /// The bytecode or its StackMapTable cannot be analysed at this bci.
    #[error("{method}: {detail} (at bci {bci})")]
    Analysis {
        method: String,
        bci: u32,
        detail: String,
    },
}

impl ClassFileError {
    #[cold]
    pub(crate) fn malformed(what: &'static str, offset: usize, detail: impl Into<String>) -> Self {
        ClassFileError::Malformed {
            what,
            detail: detail.into(),
            offset,
        }
    }

    #[cold]
    pub(crate) fn analysis(method: &str, bci: u32, detail: impl Into<String>) -> Self {
        ClassFileError::Analysis {
            method: method.to_owned(),
            bci,
            detail: detail.into(),
        }
    }
}
