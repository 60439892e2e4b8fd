//! Java class-file parsing and frame-type inference for portacr.
//!
//! At checkpoint, `java.lang.LiveStackFrame` gives a frame's primitive slots
//! as untyped 64-bit values; this crate tells which slot holds an int, a
//! float, a long, a double, a reference or nothing, from the class's own
//! bytecode. At restore, the same parser is the base of the method rewriter
//! (resume prologues), so it keeps offsets and raw attributes.
//!
//! # Reading a class
//!
//! [`ClassFile::parse`] reads the whole structure (JVMS 4): constant pool,
//! fields and methods in class-file order, every attribute raw with its
//! offset, and each method's `Code` (bytecode, exception table, attributes).
//! It never panics on bad input and checks every length against the
//! remaining bytes before allocating from it. Accessors:
//! [`ClassFile::this_class`], [`ClassFile::super_class`],
//! [`ClassFile::interfaces`], [`ClassFile::fields`], [`ClassFile::methods`],
//! [`ClassFile::find_method`]; per method [`MemberInfo::max_locals`],
//! [`MemberInfo::code_length`], [`MemberInfo::exception_table`],
//! [`CodeAttribute::stack_map_frames`].
//!
//! # Typing a frame
//!
//! [`frame_types_at`] (or [`method_frame_types_at`]) gives a [`FrameTypes`]:
//! the [`VType`] of every local slot (`max_locals` of them) and operand stack
//! slot **before** the instruction at `bci` executes, and, when that
//! instruction is an invoke, the [`PendingCall`] whose `arg_slots` top stack
//! slots are the call's arguments (receiver included).
//! [`method_instruction_types`] types every instruction of a method in one
//! pass. Long and double take two slots, the second `Top`, in locals and on
//! the stack alike. See [`frame_types`] for the algorithm (StackMapTable +
//! linear simulation; data-flow analysis for class files before version 50).
//!
//! ```no_run
//! # fn demo(bytes: &[u8]) -> Result<(), portacr_classfile::ClassFileError> {
//! use portacr_classfile::{frame_types_at, ClassFile, VType};
//! let class = ClassFile::parse(bytes)?;
//! let types = frame_types_at(&class, "main", "([Ljava/lang/String;)V", 12)?;
//! let kept = types.stack_without_call_arguments();
//! assert!(types.locals[0] == VType::Reference("[Ljava/lang/String;".into()));
//! # let _ = kept; Ok(()) }
//! ```

//!
//! # Rewriting for restore
//!
//! [`add_resume_prologues`] gives the methods that have frames in an image a
//! resume prologue (one [`ResumePoint`] per frame; the prologue calls the
//! runtime class named by [`ResumeHooks`], `io.portacr.restore.Resume` by
//! default, and identifies itself with [`method_token`]);
//! [`replace_clinit`] makes `<clinit>` hand the static fields to the runtime.
//! Both copy every byte they do not have to change and fail with a
//! [`RewriteError`] naming the method and bci of what they refuse. See
//! [`rewrite`] for the prologue's layout, the order in which it consumes
//! values, and what is refused.

pub mod bytecode;
mod class_file;
mod constant_pool;
pub mod descriptor;
mod error;
pub mod frame_types;
pub mod limits;
mod reader;
pub mod rewrite;
pub mod stack_map;

pub use class_file::{
    Attribute, ClassFile, CodeAttribute, ExceptionHandler, FieldInfo, MemberInfo, MethodInfo,
    ACC_ABSTRACT, ACC_NATIVE, ACC_STATIC,
};
pub use constant_pool::{Constant, ConstantPool, MemberRef};
pub use descriptor::MethodDescriptor;
pub use error::ClassFileError;
pub use frame_types::{
    declared_frames, frame_types_at, initial_frame, method_frame_types_at,
    method_instruction_types, FrameTypes, InstructionTypes, InvokeKind, PendingCall, VType,
};
pub use rewrite::{
    add_resume_prologues, method_token, redirect_static_calls, replace_clinit, ResumeHooks, ResumePoint, ResumeValue,
    RewriteError, ValueKind,
};
pub use stack_map::{StackMapFrame, StackMapFrameKind, VerificationTypeInfo};
