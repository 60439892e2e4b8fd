//! Class-file rewriting for restore: resume prologues and `<clinit>`
//! replacement.
//!
//! # Resume prologues
//!
//! A thread stack is rebuilt by re-entry (spec/semantics.md §2.1): the
//! restore runtime calls the bottom frame's method, and every method with a
//! frame in the image starts with a prologue that asks the runtime whether
//! this call is a resumption and, if so, rebuilds the frame and jumps to the
//! saved bci, which is the pending invoke, so the call is re-made and the
//! callee resumes the same way. [`add_resume_prologues`] writes it:
//!
//! ```text
//!        ldc_w   <method token>               ; method_token(class, name, descriptor)
//!        invokestatic Resume.point(I)I        ; -1: a normal call
//!        tableswitch 0..n-1 → case_k, default → L_original
//! case_k:                                     ; one per ResumePoint of the method
//!        nop…                                 ; (case 0 only) pads the prologue to 4n bytes
//!        Resume.i()I / j()J / f()F / d()D / a()+checkcast ; x*store slot   (each local, slot order)
//!        Resume.a(); monitorenter             ; × monitors
//!        Resume.*() [checkcast]               ; each kept operand, bottom first
//!          (aload_0 for uninitializedThis; new X / dup for an object under construction)
//!        Resume.a(); checkcast <receiver>     ; the pending call's receiver, if it has one
//!        iconst_0 / lconst_0 / fconst_0 / dconst_0 / aconst_null ; its other arguments
//!        [copy of original code bci..end]     ; only with objects under construction (below)
//!        goto_w  L_original + bci             ; (+ end after a copy)
//! L_original:                                 ; the original code, unchanged
//! ```
//!
//! The values a resumption consumes ([`ResumePoint::consumed_values`] lists
//! them for one point), in order, are therefore: one per local
//! slot that is not `Top` (long/double one value), then one `a()` per
//! monitor, then one per operand of `stack_without_call_arguments()`, then
//! one `a()` for the pending call's receiver (none for a static call, none
//! when the receiver is `uninitializedThis`). A `Null`-typed slot consumes an
//! `a()` too (and stores `null`). `UninitializedThis` (slot 0 of a
//! constructor before its super/this call) consumes nothing: the prologue
//! leaves slot 0 alone and pushes it with `aload_0`. The callee's arguments
//! other than the receiver are placeholders: the callee's own prologue
//! overwrites its locals. An operand that is an object under construction
//! (below) consumes nothing.
//!
//! Patching, not recomputing (async-profiler's BytecodeRewriter): the
//! prologue's length is a multiple of 4, so the original code moves by a
//! multiple of 4 and its relative branches and switch padding stay valid.
//! Exception table, LineNumberTable, LocalVariableTable and
//! LocalVariableTypeTable offsets move by the prologue's length;
//! StackMapTable frames move too (see `frames.rs`) and full frames are added
//! at each prologue label, at the original code start and at each resume
//! target. Other attributes of `Code` may hold code offsets the rewriter does
//! not know (`RuntimeVisibleTypeAnnotations` and
//! `RuntimeInvisibleTypeAnnotations` do), so every other `Code` attribute is
//! dropped; the JVM does not need them to run the method.
//!
//! # Objects under construction
//!
//! At `new X(a, f())` the frame waits in `f` with `Uninitialized(new)` twice
//! on its stack, and the verifier ties that type to the `new` instruction
//! that made the object: a prologue cannot push the original object. It
//! makes its own instead: for each object under construction on the saved
//! stack it executes `new X` (and `dup` for javac's second copy), pushes the
//! other operands and the call's arguments as usual, and then runs its own
//! copy of the original code from the saved bci up to the instruction after
//! which no object under construction is left (the outermost constructor
//! call), before jumping to the original code there. The copy re-makes the
//! pending call like the original would, runs the rest of the argument
//! evaluation and the constructor, and carries the original's exception
//! handlers and line numbers. The code copied must run straight through (no
//! branch, switch, return or throw: `new X(f(), c ? 1 : 2)` is refused with
//! [`RewriteError::Unsupported`]) and be at most 4096 bytes. The object
//! under construction is a fresh allocation and takes no value from the
//! runtime: an uninitialized object cannot have been stored anywhere, so
//! nothing else could refer to the image's one.
//!
//! # Refused
//!
//! `jsr`/`ret` anywhere in the method; an object under construction whose
//! constructor call is not reached straight from the saved bci; a resume
//! bci at `invokedynamic` (the bootstrap-linked call site would be re-made
//! with placeholder arguments, which a lambda capture or string
//! concatenation would observe); a constructor resumed after its super/this
//! constructor call (`this` is initialized there, and only a constructor
//! call can make it so); uninitialized values or return addresses in
//! locals. Each is a [`RewriteError`] naming the method and bci.
//!
//! Why constructors after `super()` are refused: the frame's `this` is an
//! object of the image that other objects may already refer to, but a
//! prologue can only get an initialized `this` by calling a superclass
//! constructor on the object the caller has just allocated with `new`, so
//! the caller would continue with a different object than the heap's (and
//! the superclass constructor would run twice). Making it work needs the
//! runtime's help (re-entering the constructor on the image object through
//! JNI, which does not check initialization, and skipping the superclass
//! constructors); that is not done.
//!
//! Not checked here: a reference type the class cannot access (a non-public
//! class of another package, reached through a public method's return type)
//! makes the prologue's `checkcast` fail with `IllegalAccessError` when that
//! point is resumed. While a class carries prologues, its methods with a
//! resume point that re-acquires monitors run interpreted (the JIT refuses
//! unbalanced locking), so the agent retransforms such a class back after
//! the restore; other classes keep their prologues, which are inert once the
//! resumption is over (spec/restore.md §7.3).
//!
//! # `<clinit>` replacement
//!
//! [`replace_clinit`] makes the static initializer
//! `ldc ThisClass; invokestatic Resume.statics(Ljava/lang/Class;)V; return`:
//! the runtime sets the static fields from the image, and the original body
//! is dropped.

mod calls;
mod frames;
mod pool;
mod prologue;

use std::ops::Range;

use thiserror::Error;

pub use calls::{redirect_static_calls, MethodName};

use crate::class_file::ClassFile;
use crate::error::ClassFileError;
use crate::frame_types::{FrameTypes, InvokeKind, VType};
use pool::{constant_pool_end, PoolBuilder};

/// Where one frame of the image resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    pub method_name: String,
    pub method_descriptor: String,
    /// The saved bci: the pending invoke.
    pub bci: u32,
    /// The types before the instruction at `bci` (from [`crate::frame_types_at`]).
    pub frame: FrameTypes,
    /// How many `monitorenter` to redo; the objects come from `Resume.a()`.
    /// The monitor of a `synchronized` method is not counted: the re-entry
    /// call acquires it.
    pub monitors: u32,
}

/// The kind of a value a resumption takes, and so which `Resume` method
/// gives it: `i()`, `j()`, `f()`, `d()` or `a()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// int, and boolean, byte, char, short.
    Int,
    Long,
    Float,
    Double,
    /// Any reference, also a slot typed `null`.
    Reference,
}

impl ValueKind {
    fn of(vtype: &VType) -> Option<ValueKind> {
        match vtype {
            VType::Integer => Some(ValueKind::Int),
            VType::Long => Some(ValueKind::Long),
            VType::Float => Some(ValueKind::Float),
            VType::Double => Some(ValueKind::Double),
            VType::Reference(_) | VType::Null => Some(ValueKind::Reference),
            _ => None,
        }
    }
}

/// One value a resumption takes from the runtime, in the order the prologue
/// takes them ([`ResumePoint::consumed_values`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeValue {
    /// The saved value of local `slot` (the first slot of a long/double).
    Local { slot: u16, kind: ValueKind },
    /// The object of the `n`th monitor to re-enter (0-based, in the order
    /// they were entered; a monitor held twice appears twice).
    Monitor(u32),
    /// The saved operand at stack slot `index` (0 = bottom).
    Operand { index: u16, kind: ValueKind },
    /// The pending call's receiver: the callee frame's `this`.
    Receiver,
}

/// One step of a prologue case; [`ResumePoint::consumed_values`] and the
/// prologue writer both follow this list, so they cannot disagree.
pub(crate) enum Step<'a> {
    /// Take the saved value of this type and store it in `slot`.
    Store { slot: usize, vtype: &'a VType },
    /// Take an object and `monitorenter` it.
    Monitor(u32),
    /// Push the saved operand at stack slot `index`: `aload_0` for
    /// `uninitializedThis`, a fresh `new` (or `dup` of the one just below)
    /// for an object under construction.
    Push { index: usize, vtype: &'a VType },
    /// Push the callee's receiver, at stack slot `index` (same rules).
    Receiver { index: usize, vtype: &'a VType },
    /// Push a placeholder argument the callee overwrites.
    Placeholder(&'a VType),
}

/// `(index, type)` of each value of a slot list, skipping the second slot of
/// long/double; a lone `Top` is reported as `Top`.
pub(crate) fn values(slots: &[VType]) -> Vec<(usize, &VType)> {
    let mut out = Vec::with_capacity(slots.len());
    let mut index = 0;
    while index < slots.len() {
        out.push((index, &slots[index]));
        index += slots[index].size();
    }
    out
}

impl ResumePoint {
    pub(crate) fn steps(&self) -> Vec<Step<'_>> {
        let frame = &self.frame;
        let mut steps = Vec::new();
        for (slot, vtype) in values(&frame.locals) {
            if !matches!(vtype, VType::Top | VType::UninitializedThis) {
                steps.push(Step::Store { slot, vtype });
            }
        }
        steps.extend((0..self.monitors).map(Step::Monitor));
        let call = frame.pending_call.as_ref();
        let kept = frame
            .stack
            .len()
            .saturating_sub(call.map_or(0, |c| c.arg_slots));
        for (index, vtype) in values(&frame.stack[..kept]) {
            steps.push(Step::Push { index, vtype });
        }
        let receiver =
            call.is_some_and(|c| !matches!(c.kind, InvokeKind::Static | InvokeKind::Dynamic));
        for (n, (index, vtype)) in values(&frame.stack[kept..]).into_iter().enumerate() {
            steps.push(if n == 0 && receiver {
                Step::Receiver {
                    index: kept + index,
                    vtype,
                }
            } else {
                Step::Placeholder(vtype)
            });
        }
        steps
    }

    /// The values the prologue takes from the runtime when this point is
    /// resumed, in order: what the restore code must hand to
    /// `io.portacr.restore.Resume` for this frame (primitives and
    /// references are two lists, each in this order). Slots holding
    /// `uninitializedThis` or an object under construction take nothing.
    pub fn consumed_values(&self) -> Vec<ResumeValue> {
        self.steps()
            .into_iter()
            .filter_map(|step| match step {
                Step::Store { slot, vtype } => Some(ResumeValue::Local {
                    slot: slot as u16,
                    kind: ValueKind::of(vtype)?,
                }),
                Step::Monitor(n) => Some(ResumeValue::Monitor(n)),
                Step::Push { index, vtype } => Some(ResumeValue::Operand {
                    index: index as u16,
                    kind: ValueKind::of(vtype)?,
                }),
                Step::Receiver { vtype, .. } => ValueKind::of(vtype).map(|_| ResumeValue::Receiver),
                Step::Placeholder(_) => None,
            })
            .collect()
    }
}

/// The runtime class the prologues call, and its methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeHooks {
    /// Internal name, `io/portacr/restore/Resume` by default.
    pub class: String,
    /// `static int point(int methodToken)`: the index of the resume point
    /// among this method's points, or -1 for a normal call.
    pub point: String,
    /// `static int i()`.
    pub int_value: String,
    /// `static long j()`.
    pub long_value: String,
    /// `static float f()`.
    pub float_value: String,
    /// `static double d()`.
    pub double_value: String,
    /// `static Object a()`.
    pub reference_value: String,
    /// `static void statics(Class<?>)`.
    pub statics: String,
}

impl Default for ResumeHooks {
    fn default() -> Self {
        ResumeHooks {
            class: "io/portacr/restore/Resume".into(),
            point: "point".into(),
            int_value: "i".into(),
            long_value: "j".into(),
            float_value: "f".into(),
            double_value: "d".into(),
            reference_value: "a".into(),
            statics: "statics".into(),
        }
    }
}

/// Why a class could not be rewritten. The input is never modified; a caller
/// keeps the original bytes and reports the reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RewriteError {
    #[error(transparent)]
    ClassFile(#[from] ClassFileError),
    /// A construct this rewriter refuses (see the module documentation).
    #[error("{method}: cannot resume at bci {bci}: {reason}")]
    Unsupported {
        method: String,
        bci: u32,
        reason: String,
    },
    /// The resume point's types disagree with the method (wrong slot count,
    /// a StackMapTable frame at the bci that differs, …).
    #[error("{method}: resume point at bci {bci} does not fit the method: {detail}")]
    FrameMismatch {
        method: String,
        bci: u32,
        detail: String,
    },
    /// The prologue would make the code longer than the JVM allows.
    #[error("{method}: code would be {length} bytes with the prologue (the limit is 65535)")]
    CodeTooLong { method: String, length: usize },
    /// No room for the new constant-pool entries (65535 at most).
    #[error("constant pool full: no room for the rewriter's entries")]
    ConstantPoolFull,
    /// The class-file structure is inconsistent in a way parsing did not catch.
    #[error("malformed class file: {detail}")]
    Malformed { detail: String },
}

/// The token a method's prologue passes to `Resume.point`: FNV-1a (32 bit)
/// of the UTF-8 bytes of `class + "." + name + descriptor`, top bit cleared.
/// The Java runtime computes the same (`Resume.token`).
pub fn method_token(class: &str, name: &str, descriptor: &str) -> i32 {
    let mut hash: u32 = 0x811C_9DC5;
    for part in [class, ".", name, descriptor] {
        for byte in part.bytes() {
            hash ^= byte as u32;
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    (hash & 0x7FFF_FFFF) as i32
}

/// Adds a resume prologue to every method named by `points` (several points
/// of one method share one prologue; `Resume.point` returns the index among
/// that method's points, in the order given). Methods without points are
/// untouched; every byte outside the rewritten `Code` attributes and the end
/// of the constant pool stays as it was.
pub fn add_resume_prologues(
    class_bytes: &[u8],
    points: &[ResumePoint],
    hooks: &ResumeHooks,
) -> Result<Vec<u8>, RewriteError> {
    let class = ClassFile::parse(class_bytes)?;
    let mut pool = PoolBuilder::new(&class.constant_pool);
    let mut methods: Vec<(usize, Vec<&ResumePoint>)> = Vec::new();
    for point in points {
        let index = class
            .methods()
            .iter()
            .position(|m| m.name == point.method_name && m.descriptor == point.method_descriptor)
            .ok_or_else(|| ClassFileError::MethodNotFound {
                class: class.this_class().to_owned(),
                name: point.method_name.clone(),
                descriptor: point.method_descriptor.clone(),
            })?;
        match methods.iter_mut().find(|(i, _)| *i == index) {
            Some((_, list)) => list.push(point),
            None => methods.push((index, vec![point])),
        }
    }
    let mut splices = Vec::with_capacity(methods.len());
    for (index, method_points) in &methods {
        let method = &class.methods()[*index];
        let code_info = prologue::rewrite_method(&class, method, method_points, hooks, &mut pool)?;
        splices.push(code_splice(method, code_info, &mut pool)?);
    }
    assemble(class_bytes, &pool, splices)
}

/// Replaces the body of `<clinit>` with a call to `Resume.statics(ThisClass)`.
/// A class without `<clinit>` is returned unchanged.
pub fn replace_clinit(class_bytes: &[u8], hooks: &ResumeHooks) -> Result<Vec<u8>, RewriteError> {
    let class = ClassFile::parse(class_bytes)?;
    let Some(method) = class.find_method("<clinit>", "()V") else {
        return Ok(class_bytes.to_vec());
    };
    if class.major_version < 49 {
        // `ldc` of a Class constant needs class-file version 49 (JVMS 4.4.1).
        return Err(RewriteError::Unsupported {
            method: format!("{}.<clinit>()V", class.this_class()),
            bci: 0,
            reason: format!(
                "class-file version {} cannot load its own Class with ldc",
                class.major_version
            ),
        });
    }
    let mut pool = PoolBuilder::new(&class.constant_pool);
    let this_index = pool.class(class.this_class())?;
    let statics = pool.method_ref(&hooks.class, &hooks.statics, "(Ljava/lang/Class;)V")?;
    let mut code = vec![crate::bytecode::LDC_W];
    code.extend_from_slice(&this_index.to_be_bytes());
    code.push(crate::bytecode::INVOKESTATIC);
    code.extend_from_slice(&statics.to_be_bytes());
    code.push(crate::bytecode::RETURN);
    let mut info = Vec::with_capacity(12 + code.len() + 4);
    info.extend_from_slice(&1u16.to_be_bytes()); // max_stack
    info.extend_from_slice(&0u16.to_be_bytes()); // max_locals
    info.extend_from_slice(&(code.len() as u32).to_be_bytes());
    info.extend_from_slice(&code);
    info.extend_from_slice(&0u16.to_be_bytes()); // exception_table_length
    info.extend_from_slice(&0u16.to_be_bytes()); // attributes_count
    let splice = code_splice(method, info, &mut pool)?;
    assemble(class_bytes, &pool, vec![splice])
}

/// The byte range of `method`'s Code attribute (header included) and its
/// replacement.
fn code_splice(
    method: &crate::MethodInfo,
    info: Vec<u8>,
    pool: &mut PoolBuilder,
) -> Result<(Range<usize>, Vec<u8>), RewriteError> {
    let attribute = method
        .attributes
        .iter()
        .find(|a| a.name == "Code")
        .ok_or_else(|| ClassFileError::NoCode {
            method: format!("{}{}", method.name, method.descriptor),
        })?;
    let length = u32::try_from(info.len()).map_err(|_| RewriteError::Malformed {
        detail: "Code attribute over 4 GiB".into(),
    })?;
    let mut replacement = Vec::with_capacity(6 + info.len());
    replacement.extend_from_slice(&pool.utf8("Code")?.to_be_bytes());
    replacement.extend_from_slice(&length.to_be_bytes());
    replacement.extend_from_slice(&info);
    Ok((
        attribute.offset - 6..attribute.offset + attribute.info.len(),
        replacement,
    ))
}

/// The new class file: the original bytes with the appended constant-pool
/// entries and the Code attributes replaced.
fn assemble(
    original: &[u8],
    pool: &PoolBuilder,
    mut splices: Vec<(Range<usize>, Vec<u8>)>,
) -> Result<Vec<u8>, RewriteError> {
    let pool_end = constant_pool_end(original)?;
    splices.sort_by_key(|(range, _)| range.start);
    let mut out = Vec::with_capacity(original.len() + pool.appended().len() + 256);
    out.extend_from_slice(&original[..8]);
    out.extend_from_slice(&pool.count().to_be_bytes());
    out.extend_from_slice(&original[10..pool_end]);
    out.extend_from_slice(pool.appended());
    let mut at = pool_end;
    for (range, replacement) in splices {
        if range.start < at || range.end > original.len() {
            return Err(RewriteError::Malformed {
                detail: "Code attributes overlap".into(),
            });
        }
        out.extend_from_slice(&original[at..range.start]);
        out.extend_from_slice(&replacement);
        at = range.end;
    }
    out.extend_from_slice(&original[at..]);
    Ok(out)
}
