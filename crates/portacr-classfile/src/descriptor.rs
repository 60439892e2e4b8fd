//! Field and method descriptors (JVMS 4.3) mapped to verification types.

use crate::error::ClassFileError;
use crate::frame_types::VType;
use crate::limits::MAX_ARRAY_DIMENSIONS;

/// The verification type of a value of this field descriptor: boolean,
/// byte, char and short are `Integer` in the JVM.
pub fn field_type(descriptor: &str) -> Result<VType, ClassFileError> {
    match parse_field(descriptor.as_bytes(), 0) {
        Some((vtype, end)) if end == descriptor.len() => Ok(vtype),
        _ => Err(bad(descriptor)),
    }
}

/// A parsed method descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDescriptor {
    /// One entry per parameter (a long is ONE entry here).
    pub parameters: Vec<VType>,
    /// `None` for `void`.
    pub returns: Option<VType>,
}

impl MethodDescriptor {
    pub fn parse(descriptor: &str) -> Result<MethodDescriptor, ClassFileError> {
        let bytes = descriptor.as_bytes();
        if bytes.first() != Some(&b'(') {
            return Err(bad(descriptor));
        }
        let mut position = 1;
        let mut parameters = Vec::new();
        loop {
            match bytes.get(position) {
                Some(b')') => break,
                Some(_) => {
                    let (vtype, end) =
                        parse_field(bytes, position).ok_or_else(|| bad(descriptor))?;
                    parameters.push(vtype);
                    position = end;
                }
                None => return Err(bad(descriptor)),
            }
        }
        position += 1;
        let returns = if bytes.get(position) == Some(&b'V') && position + 1 == bytes.len() {
            None
        } else {
            match parse_field(bytes, position) {
                Some((vtype, end)) if end == bytes.len() => Some(vtype),
                _ => return Err(bad(descriptor)),
            }
        };
        Ok(MethodDescriptor {
            parameters,
            returns,
        })
    }

    /// Slots the parameters take (long and double count two), receiver excluded.
    pub fn parameter_slots(&self) -> usize {
        self.parameters.iter().map(VType::size).sum()
    }
}

#[cold]
fn bad(descriptor: &str) -> ClassFileError {
    ClassFileError::BadDescriptor {
        descriptor: descriptor.to_owned(),
    }
}

/// Parses one field type starting at `start`; returns it and the end offset.
fn parse_field(bytes: &[u8], start: usize) -> Option<(VType, usize)> {
    let mut position = start;
    while bytes.get(position) == Some(&b'[') {
        position += 1;
    }
    let dimensions = position - start;
    if dimensions > MAX_ARRAY_DIMENSIONS {
        return None;
    }
    let end = match *bytes.get(position)? {
        b'B' | b'C' | b'I' | b'S' | b'Z' | b'F' | b'J' | b'D' => position + 1,
        b'L' => {
            let semicolon = bytes[position..].iter().position(|&b| b == b';')? + position;
            if semicolon == position + 1 {
                return None;
            }
            semicolon + 1
        }
        _ => return None,
    };
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    let vtype = if dimensions > 0 {
        VType::Reference(text.to_owned())
    } else {
        match bytes[position] {
            b'F' => VType::Float,
            b'J' => VType::Long,
            b'D' => VType::Double,
            b'L' => VType::Reference(text[1..text.len() - 1].to_owned()),
            _ => VType::Integer,
        }
    };
    Some((vtype, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_descriptors() {
        let d = MethodDescriptor::parse("(IJ[Ljava/lang/String;D)Ljava/lang/Object;").unwrap();
        assert_eq!(
            d.parameters,
            vec![
                VType::Integer,
                VType::Long,
                VType::Reference("[Ljava/lang/String;".into()),
                VType::Double
            ]
        );
        assert_eq!(d.parameter_slots(), 6);
        assert_eq!(d.returns, Some(VType::Reference("java/lang/Object".into())));
        assert_eq!(MethodDescriptor::parse("()V").unwrap().returns, None);
        for bad in [
            "",
            "(",
            "()",
            "(V)V",
            "(L;)V",
            "(Ljava/lang/String)V",
            "()VV",
            "(I)[V",
            "I",
        ] {
            assert!(MethodDescriptor::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(field_type("Z").unwrap(), VType::Integer);
        assert_eq!(field_type("[[J").unwrap(), VType::Reference("[[J".into()));
        assert!(field_type("JJ").is_err());
    }
}
