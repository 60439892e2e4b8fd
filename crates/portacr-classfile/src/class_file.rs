//! The class-file structure (JVMS 4.1): header, constant pool, fields,
//! methods and attributes.
//!
//! Every attribute keeps its raw bytes and its offset in the class file, and
//! `Code` keeps its bytecode and the offset of its first instruction, so the
//! rewriter (resume prologues) can patch methods without re-encoding what it
//! does not touch.

use crate::constant_pool::ConstantPool;
use crate::error::ClassFileError;
use crate::limits::MAX_CODE_LENGTH;
use crate::reader::ByteReader;
use crate::stack_map::StackMapFrame;

/// `ACC_STATIC` of fields and methods.
pub const ACC_STATIC: u16 = 0x0008;
/// `ACC_NATIVE` of methods.
pub const ACC_NATIVE: u16 = 0x0100;
/// `ACC_ABSTRACT` of classes and methods.
pub const ACC_ABSTRACT: u16 = 0x0400;

/// An attribute as found in the class file, not interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name_index: u16,
    pub name: String,
    /// Offset of the first byte of `info` in the class file.
    pub offset: usize,
    pub info: Vec<u8>,
}

/// One entry of a `Code` attribute's exception table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExceptionHandler {
    pub start_pc: u16,
    /// Exclusive.
    pub end_pc: u16,
    pub handler_pc: u16,
    /// Constant-pool index of the caught class; 0 catches everything (`finally`).
    pub catch_type: u16,
}

/// A parsed `Code` attribute (JVMS 4.7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeAttribute {
    pub max_stack: u16,
    pub max_locals: u16,
    pub code: Vec<u8>,
    /// Offset of `code[0]` in the class file.
    pub code_offset: usize,
    pub exception_table: Vec<ExceptionHandler>,
    /// The attributes of the Code attribute (StackMapTable, LineNumberTable, ...), raw.
    pub attributes: Vec<Attribute>,
}

impl CodeAttribute {
    /// `code_length`.
    pub fn code_length(&self) -> u32 {
        self.code.len() as u32
    }

    /// The raw `StackMapTable` attribute, if present.
    pub fn stack_map_table_attribute(&self) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == "StackMapTable")
    }

    /// The decoded `StackMapTable` entries, in class-file order (empty when
    /// the attribute is absent).
    pub fn stack_map_frames(&self) -> Result<Vec<StackMapFrame>, ClassFileError> {
        match self.stack_map_table_attribute() {
            Some(attribute) => StackMapFrame::parse_table(&attribute.info, attribute.offset),
            None => Ok(Vec::new()),
        }
    }

    fn parse(
        info: &[u8],
        info_offset: usize,
        pool: &ConstantPool,
    ) -> Result<CodeAttribute, ClassFileError> {
        let mut reader = ByteReader::new(info);
        let max_stack = reader.u16("Code max_stack")?;
        let max_locals = reader.u16("Code max_locals")?;
        let code_length = reader.u32("Code code_length")? as usize;
        if code_length == 0 || code_length > MAX_CODE_LENGTH {
            return Err(ClassFileError::malformed(
                "Code attribute",
                info_offset + 4,
                format!("code_length {code_length} outside 1..={MAX_CODE_LENGTH}"),
            ));
        }
        let code_offset = info_offset + reader.position();
        let code = reader.take("Code bytes", code_length)?.to_vec();
        let handler_count = reader.u16("exception_table_length")? as usize;
        reader.expect_items("exception table", handler_count, 8)?;
        let mut exception_table = Vec::with_capacity(handler_count);
        for _ in 0..handler_count {
            exception_table.push(ExceptionHandler {
                start_pc: reader.u16("exception start_pc")?,
                end_pc: reader.u16("exception end_pc")?,
                handler_pc: reader.u16("exception handler_pc")?,
                catch_type: reader.u16("exception catch_type")?,
            });
        }
        let attributes = parse_attributes(&mut reader, info_offset, pool)?;
        if !reader.is_empty() {
            return Err(ClassFileError::malformed(
                "Code attribute",
                info_offset + reader.position(),
                format!("{} bytes left after the attributes", reader.remaining()),
            ));
        }
        Ok(CodeAttribute {
            max_stack,
            max_locals,
            code,
            code_offset,
            exception_table,
            attributes,
        })
    }
}

/// A field or a method (`field_info` / `method_info`, JVMS 4.5 and 4.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    pub access_flags: u16,
    pub name_index: u16,
    pub descriptor_index: u16,
    pub name: String,
    pub descriptor: String,
    /// All attributes, `Code` included, raw.
    pub attributes: Vec<Attribute>,
    /// The parsed `Code` attribute of a method that has one.
    pub code: Option<CodeAttribute>,
}

/// A field of a class.
pub type FieldInfo = MemberInfo;
/// A method of a class.
pub type MethodInfo = MemberInfo;

impl MemberInfo {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn descriptor(&self) -> &str {
        &self.descriptor
    }
    pub fn access_flags(&self) -> u16 {
        self.access_flags
    }
    pub fn is_static(&self) -> bool {
        self.access_flags & ACC_STATIC != 0
    }
    /// The method's `Code`, or `None` for abstract and native methods (and fields).
    pub fn code(&self) -> Option<&CodeAttribute> {
        self.code.as_ref()
    }
    /// `max_locals` of the method's Code attribute.
    pub fn max_locals(&self) -> Option<u16> {
        self.code.as_ref().map(|c| c.max_locals)
    }
    /// `code_length` of the method's Code attribute.
    pub fn code_length(&self) -> Option<u32> {
        self.code.as_ref().map(|c| c.code_length())
    }
    /// The method's exception table (empty without Code).
    pub fn exception_table(&self) -> &[ExceptionHandler] {
        self.code
            .as_ref()
            .map(|c| &c.exception_table[..])
            .unwrap_or(&[])
    }

    fn parse(
        reader: &mut ByteReader<'_>,
        pool: &ConstantPool,
        is_method: bool,
    ) -> Result<MemberInfo, ClassFileError> {
        let access_flags = reader.u16("member access_flags")?;
        let name_index = reader.u16("member name_index")?;
        let descriptor_index = reader.u16("member descriptor_index")?;
        let name = pool.utf8(name_index)?.to_owned();
        let descriptor = pool.utf8(descriptor_index)?.to_owned();
        let attributes = parse_attributes(reader, 0, pool)?;
        let mut code = None;
        if is_method {
            for attribute in attributes.iter().filter(|a| a.name == "Code") {
                if code.is_some() {
                    return Err(ClassFileError::malformed(
                        "method",
                        attribute.offset,
                        format!("{name}{descriptor} has two Code attributes"),
                    ));
                }
                code = Some(CodeAttribute::parse(
                    &attribute.info,
                    attribute.offset,
                    pool,
                )?);
            }
        }
        Ok(MemberInfo {
            access_flags,
            name_index,
            descriptor_index,
            name,
            descriptor,
            attributes,
            code,
        })
    }
}

/// Reads `attributes_count` and the attributes. `base` is the class-file
/// offset of the reader's first byte, so stored offsets are absolute.
fn parse_attributes(
    reader: &mut ByteReader<'_>,
    base: usize,
    pool: &ConstantPool,
) -> Result<Vec<Attribute>, ClassFileError> {
    let count = reader.u16("attributes_count")? as usize;
    reader.expect_items("attributes", count, 6)?;
    let mut attributes = Vec::with_capacity(count);
    for _ in 0..count {
        let name_index = reader.u16("attribute_name_index")?;
        let name = pool.utf8(name_index)?.to_owned();
        let length = reader.u32("attribute_length")? as usize;
        let offset = base + reader.position();
        let info = reader.take("attribute info", length)?.to_vec();
        attributes.push(Attribute {
            name_index,
            name,
            offset,
            info,
        });
    }
    Ok(attributes)
}

/// A parsed class file.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFile {
    pub minor_version: u16,
    pub major_version: u16,
    pub constant_pool: ConstantPool,
    pub access_flags: u16,
    pub this_class_index: u16,
    /// 0 for `java/lang/Object` and `module-info`.
    pub super_class_index: u16,
    pub interface_indices: Vec<u16>,
    pub fields: Vec<FieldInfo>,
    pub methods: Vec<MethodInfo>,
    pub attributes: Vec<Attribute>,
    this_class: String,
    super_class: Option<String>,
    interfaces: Vec<String>,
}

impl ClassFile {
    /// Parses class-file bytes. Never panics; every length is checked
    /// against the remaining input before anything is allocated from it.
    pub fn parse(bytes: &[u8]) -> Result<ClassFile, ClassFileError> {
        let mut reader = ByteReader::new(bytes);
        let magic = reader.u32("magic")?;
        if magic != 0xCAFE_BABE {
            return Err(ClassFileError::BadMagic { found: magic });
        }
        let minor_version = reader.u16("minor_version")?;
        let major_version = reader.u16("major_version")?;
        let constant_pool = ConstantPool::parse(&mut reader)?;
        let access_flags = reader.u16("access_flags")?;
        let this_class_index = reader.u16("this_class")?;
        let super_class_index = reader.u16("super_class")?;
        let this_class = constant_pool.class_name(this_class_index)?.to_owned();
        let super_class = match super_class_index {
            0 => None,
            index => Some(constant_pool.class_name(index)?.to_owned()),
        };
        let interface_count = reader.u16("interfaces_count")? as usize;
        reader.expect_items("interfaces", interface_count, 2)?;
        let mut interface_indices = Vec::with_capacity(interface_count);
        let mut interfaces = Vec::with_capacity(interface_count);
        for _ in 0..interface_count {
            let index = reader.u16("interface")?;
            interfaces.push(constant_pool.class_name(index)?.to_owned());
            interface_indices.push(index);
        }
        let fields = parse_members(&mut reader, &constant_pool, false)?;
        let methods = parse_members(&mut reader, &constant_pool, true)?;
        let attributes = parse_attributes(&mut reader, 0, &constant_pool)?;
        if !reader.is_empty() {
            return Err(ClassFileError::malformed(
                "class file",
                reader.position(),
                format!("{} bytes after the last attribute", reader.remaining()),
            ));
        }
        Ok(ClassFile {
            minor_version,
            major_version,
            constant_pool,
            access_flags,
            this_class_index,
            super_class_index,
            interface_indices,
            fields,
            methods,
            attributes,
            this_class,
            super_class,
            interfaces,
        })
    }

    /// Internal name of this class (`java/util/HashMap`).
    pub fn this_class(&self) -> &str {
        &self.this_class
    }

    /// Internal name of the superclass; `None` for `java/lang/Object` and modules.
    pub fn super_class(&self) -> Option<&str> {
        self.super_class.as_deref()
    }

    /// Internal names of the direct superinterfaces, in class-file order.
    pub fn interfaces(&self) -> &[String] {
        &self.interfaces
    }

    /// Declared fields, statics included, in class-file order.
    pub fn fields(&self) -> &[FieldInfo] {
        &self.fields
    }

    /// Declared methods, in class-file order.
    pub fn methods(&self) -> &[MethodInfo] {
        &self.methods
    }

    /// The method with this exact name and descriptor.
    pub fn find_method(&self, name: &str, descriptor: &str) -> Option<&MethodInfo> {
        self.methods
            .iter()
            .find(|m| m.name == name && m.descriptor == descriptor)
    }

    /// Like [`ClassFile::find_method`], with an error naming the method.
    pub fn method(&self, name: &str, descriptor: &str) -> Result<&MethodInfo, ClassFileError> {
        self.find_method(name, descriptor)
            .ok_or_else(|| ClassFileError::MethodNotFound {
                class: self.this_class.clone(),
                name: name.to_owned(),
                descriptor: descriptor.to_owned(),
            })
    }
}

fn parse_members(
    reader: &mut ByteReader<'_>,
    pool: &ConstantPool,
    is_method: bool,
) -> Result<Vec<MemberInfo>, ClassFileError> {
    let count = reader.u16(if is_method {
        "methods_count"
    } else {
        "fields_count"
    })? as usize;
    reader.expect_items(if is_method { "methods" } else { "fields" }, count, 8)?;
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        members.push(MemberInfo::parse(reader, pool, is_method)?);
    }
    Ok(members)
}
