//! The constant pool (JVMS 4.4).
//!
//! Entries keep their raw indices so a rewriter can later append entries and
//! re-serialize the pool; strings are decoded from modified UTF-8 once.

use crate::error::ClassFileError;
use crate::reader::ByteReader;

/// One constant-pool entry (JVMS 4.4, Table 4.4-B).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Constant {
    /// Index 0, and the index following a `Long` or `Double` (JVMS 4.4.5).
    Unusable,
    Utf8(String),
    Integer(i32),
    /// Raw IEEE-754 bits.
    Float(u32),
    Long(i64),
    /// Raw IEEE-754 bits.
    Double(u64),
    Class {
        name_index: u16,
    },
    String {
        string_index: u16,
    },
    FieldRef {
        class_index: u16,
        name_and_type_index: u16,
    },
    MethodRef {
        class_index: u16,
        name_and_type_index: u16,
    },
    InterfaceMethodRef {
        class_index: u16,
        name_and_type_index: u16,
    },
    NameAndType {
        name_index: u16,
        descriptor_index: u16,
    },
    MethodHandle {
        reference_kind: u8,
        reference_index: u16,
    },
    MethodType {
        descriptor_index: u16,
    },
    /// `CONSTANT_Dynamic` (condy, Java 11+).
    Dynamic {
        bootstrap_method_attr_index: u16,
        name_and_type_index: u16,
    },
    InvokeDynamic {
        bootstrap_method_attr_index: u16,
        name_and_type_index: u16,
    },
    Module {
        name_index: u16,
    },
    Package {
        name_index: u16,
    },
}

impl Constant {
    fn kind_name(&self) -> &'static str {
        match self {
            Constant::Unusable => "unusable slot",
            Constant::Utf8(_) => "Utf8",
            Constant::Integer(_) => "Integer",
            Constant::Float(_) => "Float",
            Constant::Long(_) => "Long",
            Constant::Double(_) => "Double",
            Constant::Class { .. } => "Class",
            Constant::String { .. } => "String",
            Constant::FieldRef { .. } => "Fieldref",
            Constant::MethodRef { .. } => "Methodref",
            Constant::InterfaceMethodRef { .. } => "InterfaceMethodref",
            Constant::NameAndType { .. } => "NameAndType",
            Constant::MethodHandle { .. } => "MethodHandle",
            Constant::MethodType { .. } => "MethodType",
            Constant::Dynamic { .. } => "Dynamic",
            Constant::InvokeDynamic { .. } => "InvokeDynamic",
            Constant::Module { .. } => "Module",
            Constant::Package { .. } => "Package",
        }
    }
}

/// A field or method reference resolved to strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberRef<'a> {
    /// Internal name of the owner class, or an array descriptor.
    pub owner: &'a str,
    pub name: &'a str,
    pub descriptor: &'a str,
}

/// The constant pool, indexed 1..count as in the class file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConstantPool {
    entries: Vec<Constant>,
}

impl ConstantPool {
    pub(crate) fn parse(reader: &mut ByteReader<'_>) -> Result<ConstantPool, ClassFileError> {
        let count = reader.u16("constant_pool_count")? as usize;
        if count == 0 {
            return Err(ClassFileError::malformed(
                "constant pool",
                reader.position() - 2,
                "constant_pool_count is 0",
            ));
        }
        // Every entry takes at least 3 bytes (tag + u2).
        reader.expect_items("constant pool", count - 1, 3)?;
        let mut entries = Vec::with_capacity(count);
        entries.push(Constant::Unusable);
        while entries.len() < count {
            let offset = reader.position();
            let tag = reader.u8("constant tag")?;
            let constant = match tag {
                1 => {
                    let len = reader.u16("Utf8 length")? as usize;
                    let bytes = reader.take("Utf8 bytes", len)?;
                    Constant::Utf8(decode_modified_utf8(bytes))
                }
                3 => Constant::Integer(reader.u32("Integer")? as i32),
                4 => Constant::Float(reader.u32("Float")?),
                5 => Constant::Long(reader.u64("Long")? as i64),
                6 => Constant::Double(reader.u64("Double")?),
                7 => Constant::Class {
                    name_index: reader.u16("Class")?,
                },
                8 => Constant::String {
                    string_index: reader.u16("String")?,
                },
                9..=11 => {
                    let class_index = reader.u16("member ref")?;
                    let name_and_type_index = reader.u16("member ref")?;
                    match tag {
                        9 => Constant::FieldRef {
                            class_index,
                            name_and_type_index,
                        },
                        10 => Constant::MethodRef {
                            class_index,
                            name_and_type_index,
                        },
                        _ => Constant::InterfaceMethodRef {
                            class_index,
                            name_and_type_index,
                        },
                    }
                }
                12 => Constant::NameAndType {
                    name_index: reader.u16("NameAndType")?,
                    descriptor_index: reader.u16("NameAndType")?,
                },
                15 => Constant::MethodHandle {
                    reference_kind: reader.u8("MethodHandle")?,
                    reference_index: reader.u16("MethodHandle")?,
                },
                16 => Constant::MethodType {
                    descriptor_index: reader.u16("MethodType")?,
                },
                17 | 18 => {
                    let bootstrap_method_attr_index = reader.u16("dynamic constant")?;
                    let name_and_type_index = reader.u16("dynamic constant")?;
                    if tag == 17 {
                        Constant::Dynamic {
                            bootstrap_method_attr_index,
                            name_and_type_index,
                        }
                    } else {
                        Constant::InvokeDynamic {
                            bootstrap_method_attr_index,
                            name_and_type_index,
                        }
                    }
                }
                19 => Constant::Module {
                    name_index: reader.u16("Module")?,
                },
                20 => Constant::Package {
                    name_index: reader.u16("Package")?,
                },
                other => {
                    return Err(ClassFileError::malformed(
                        "constant pool",
                        offset,
                        format!("unknown tag {other} for entry {}", entries.len()),
                    ))
                }
            };
            let wide = matches!(constant, Constant::Long(_) | Constant::Double(_));
            entries.push(constant);
            if wide {
                // JVMS 4.4.5: the next index is valid but unusable.
                if entries.len() >= count {
                    return Err(ClassFileError::malformed(
                        "constant pool",
                        offset,
                        "8-byte constant in the last slot",
                    ));
                }
                entries.push(Constant::Unusable);
            }
        }
        Ok(ConstantPool { entries })
    }

    /// `constant_pool_count`: one more than the largest valid index.
    pub fn count(&self) -> usize {
        self.entries.len()
    }

    /// The entry at `index`, or an error if it is out of range.
    pub fn get(&self, index: u16) -> Result<&Constant, ClassFileError> {
        match self.entries.get(index as usize) {
            Some(Constant::Unusable) | None => Err(ClassFileError::BadConstant {
                index,
                expected: "a usable entry",
                found: if (index as usize) < self.entries.len() {
                    "an unusable slot".into()
                } else {
                    format!("an index past the end (count {})", self.entries.len())
                },
            }),
            Some(c) => Ok(c),
        }
    }

    #[cold]
    fn wrong_kind(&self, index: u16, expected: &'static str) -> ClassFileError {
        let found = match self.get(index) {
            Ok(c) => c.kind_name().to_owned(),
            Err(ClassFileError::BadConstant { found, .. }) => found,
            Err(e) => e.to_string(),
        };
        ClassFileError::BadConstant {
            index,
            expected,
            found,
        }
    }

    /// The string of a `CONSTANT_Utf8` entry.
    pub fn utf8(&self, index: u16) -> Result<&str, ClassFileError> {
        match self.get(index) {
            Ok(Constant::Utf8(s)) => Ok(s),
            _ => Err(self.wrong_kind(index, "Utf8")),
        }
    }

    /// The name of a `CONSTANT_Class` entry: an internal name or array descriptor.
    pub fn class_name(&self, index: u16) -> Result<&str, ClassFileError> {
        match self.get(index) {
            Ok(Constant::Class { name_index }) => self.utf8(*name_index),
            _ => Err(self.wrong_kind(index, "Class")),
        }
    }

    /// Name and descriptor of a `CONSTANT_NameAndType` entry.
    pub fn name_and_type(&self, index: u16) -> Result<(&str, &str), ClassFileError> {
        match self.get(index) {
            Ok(Constant::NameAndType {
                name_index,
                descriptor_index,
            }) => Ok((self.utf8(*name_index)?, self.utf8(*descriptor_index)?)),
            _ => Err(self.wrong_kind(index, "NameAndType")),
        }
    }

    /// A `Fieldref`, `Methodref` or `InterfaceMethodref` resolved to strings.
    pub fn member_ref(&self, index: u16) -> Result<MemberRef<'_>, ClassFileError> {
        match self.get(index) {
            Ok(
                Constant::FieldRef {
                    class_index,
                    name_and_type_index,
                }
                | Constant::MethodRef {
                    class_index,
                    name_and_type_index,
                }
                | Constant::InterfaceMethodRef {
                    class_index,
                    name_and_type_index,
                },
            ) => {
                let owner = self.class_name(*class_index)?;
                let (name, descriptor) = self.name_and_type(*name_and_type_index)?;
                Ok(MemberRef {
                    owner,
                    name,
                    descriptor,
                })
            }
            _ => Err(self.wrong_kind(index, "Fieldref, Methodref or InterfaceMethodref")),
        }
    }

    /// Name and descriptor of a `Dynamic` or `InvokeDynamic` entry.
    pub fn dynamic_name_and_type(&self, index: u16) -> Result<(&str, &str), ClassFileError> {
        match self.get(index) {
            Ok(
                Constant::Dynamic {
                    name_and_type_index,
                    ..
                }
                | Constant::InvokeDynamic {
                    name_and_type_index,
                    ..
                },
            ) => self.name_and_type(*name_and_type_index),
            _ => Err(self.wrong_kind(index, "Dynamic or InvokeDynamic")),
        }
    }

    /// All entries, index 0 (unusable) included.
    pub fn entries(&self) -> &[Constant] {
        &self.entries
    }
}

/// Decodes modified UTF-8 (JVMS 4.4.7): NUL as `C0 80`, supplementary
/// characters as two encoded surrogates. Malformed sequences and unpaired
/// surrogates become U+FFFD rather than failing: names with them cannot
/// match anything anyway, and a parser must not reject a class the JVM loads.
fn decode_modified_utf8(bytes: &[u8]) -> String {
    if bytes.iter().all(|&b| b != 0 && b < 0x80) {
        // Fast path: plain ASCII without NUL means the same in both encodings.
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b0 = bytes[i] as u32;
        let continuation = |k: usize| {
            bytes
                .get(i + k)
                .map(|&b| b as u32)
                .filter(|b| b & 0xC0 == 0x80)
        };
        if b0 & 0x80 == 0 {
            units.push(b0 as u16);
            i += 1;
        } else if b0 & 0xE0 == 0xC0 {
            match continuation(1) {
                Some(b1) => {
                    units.push((((b0 & 0x1F) << 6) | (b1 & 0x3F)) as u16);
                    i += 2;
                }
                None => {
                    units.push(0xFFFD);
                    i += 1;
                }
            }
        } else if b0 & 0xF0 == 0xE0 {
            match (continuation(1), continuation(2)) {
                (Some(b1), Some(b2)) => {
                    units.push((((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F)) as u16);
                    i += 3;
                }
                _ => {
                    units.push(0xFFFD);
                    i += 1;
                }
            }
        } else {
            units.push(0xFFFD);
            i += 1;
        }
    }
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::decode_modified_utf8;

    #[test]
    fn modified_utf8_nul_and_supplementary() {
        assert_eq!(decode_modified_utf8(b"a\xC0\x80b"), "a\0b");
        // U+1F600 as surrogates D83D DE00, each in 3 bytes.
        assert_eq!(
            decode_modified_utf8(b"\xED\xA0\xBD\xED\xB8\x80"),
            "\u{1F600}"
        );
        assert_eq!(decode_modified_utf8(b"\xC3\xA9"), "é");
        assert_eq!(decode_modified_utf8(b"\xFF"), "\u{FFFD}");
    }
}
