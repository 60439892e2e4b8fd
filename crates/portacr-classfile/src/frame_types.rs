//! Frame-type inference: the types of every local variable slot and operand
//! stack slot before the instruction at a given bci.
//!
//! # Why
//!
//! `java.lang.LiveStackFrame` gives primitives as untyped 64-bit slots, and
//! classes carry no LocalVariableTable by default, so the types must come
//! from the bytecode.
//!
//! # How
//!
//! * Class files of version 50 and later: the `StackMapTable` gives the
//!   complete types at every branch target and handler. Between two frames
//!   control flows only by fall-through (the type checker, JVMS 4.10.1,
//!   requires a frame after every unconditional transfer), so a linear
//!   simulation from the nearest frame at or before `bci` (or from the
//!   method's initial frame) gives the types at `bci`. No merge is needed.
//! * Older class files without a `StackMapTable`: a data-flow analysis over
//!   the control-flow graph (worklist, type merge), as the old type-inference
//!   verifier did (JVMS 4.10.2). Merging two different reference types gives
//!   `java/lang/Object` (no class hierarchy is consulted: the slot is still
//!   known to be a reference, which is all capture needs). `jsr` pushes a
//!   `ReturnAddress` and enters the subroutine; `ret` ends the path, so code
//!   reached only by returning from a subroutine has no types and querying it
//!   is an error.
//!
//! # Slot convention
//!
//! `locals` has exactly `max_locals` entries and `stack` one entry per stack
//! slot, bottom first. A `long` or `double` takes two slots on both: the
//! first holds `Long`/`Double`, the second `Top`. (The StackMapTable counts a
//! long as ONE verification type; the expansion happens on decoding.)

use crate::bytecode::{self, Operands};
use crate::class_file::{ClassFile, CodeAttribute, MethodInfo, ACC_STATIC};
use crate::constant_pool::Constant;
use crate::descriptor::{field_type, MethodDescriptor};
use crate::error::ClassFileError;
use crate::limits::{MAX_DATAFLOW_VISITS_PER_INSTRUCTION, MAX_TYPED_SLOTS};
use crate::stack_map::{StackMapFrameKind, VerificationTypeInfo};

/// The verification type of one slot (JVMS 4.10.1.2), with the types of
/// references spelled out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VType {
    /// Unusable: never written, or the second slot of a long/double.
    Top,
    /// int, and also boolean, byte, char and short.
    Integer,
    Float,
    Long,
    Double,
    /// The `null` constant (its static type is not known).
    Null,
    /// Internal name (`java/lang/String`) or array descriptor (`[I`, `[Ljava/lang/Object;`).
    Reference(String),
    /// `this` in a constructor before the super/this constructor call.
    UninitializedThis,
    /// Result of the `new` at this bci, constructor not yet called.
    Uninitialized(u32),
    /// Pushed by `jsr`/`jsr_w` (class files before version 51): bci after the jsr.
    ReturnAddress(u32),
}

impl VType {
    /// Slots the value takes: 2 for long and double, else 1.
    pub fn size(&self) -> usize {
        if self.is_wide() {
            2
        } else {
            1
        }
    }

    /// long or double.
    pub fn is_wide(&self) -> bool {
        matches!(self, VType::Long | VType::Double)
    }

    /// A reference the application can see (`null` included, uninitialized not).
    pub fn is_reference(&self) -> bool {
        matches!(self, VType::Reference(_) | VType::Null)
    }

    /// The one-slot code of `Native.frameTypes` (spec/contracts.md §9).
    pub fn contract_code(&self) -> String {
        match self {
            VType::Top => "T".into(),
            VType::Integer => "I".into(),
            VType::Float => "F".into(),
            VType::Long => "J".into(),
            VType::Double => "D".into(),
            VType::Null => "N".into(),
            VType::Reference(_) => "R".into(),
            VType::UninitializedThis => "W".into(),
            VType::Uninitialized(bci) => format!("U{bci};"),
            VType::ReturnAddress(_) => "A".into(),
        }
    }
}

/// How the pending call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokeKind {
    Virtual,
    Special,
    Static,
    Interface,
    Dynamic,
}

/// The call about to be made by the invoke instruction at the queried bci.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCall {
    pub kind: InvokeKind,
    /// Internal name of the class or interface named by the instruction;
    /// `None` for invokedynamic.
    pub owner: Option<String>,
    pub name: String,
    pub descriptor: String,
    /// Operand stack slots the call consumes: the arguments (long/double
    /// count two) plus the receiver for non-static, non-dynamic calls. They
    /// are the top `arg_slots` entries of `FrameTypes::stack`.
    pub arg_slots: usize,
    /// Type of the returned value; `None` for void.
    pub returns: Option<VType>,
}

/// Types of a frame before the instruction at a bci executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameTypes {
    /// Exactly `max_locals` slots.
    pub locals: Vec<VType>,
    /// Operand stack slots, bottom first.
    pub stack: Vec<VType>,
    /// Set when the instruction at bci is an invoke.
    pub pending_call: Option<PendingCall>,
}

impl FrameTypes {
    /// The operand stack without the pending call's arguments: what stays in
    /// the frame while the callee runs.
    pub fn stack_without_call_arguments(&self) -> &[VType] {
        let consumed = self.pending_call.as_ref().map_or(0, |c| c.arg_slots);
        &self.stack[..self.stack.len().saturating_sub(consumed)]
    }

    /// The string `Native.frameTypes` returns (spec/contracts.md §9):
    /// `L:<slots>|S:<slots>|C:<n>`, `C:-1` when no call is pending.
    /// Uninitialized slots are written `U<bci>;` so that the digits end.
    pub fn contract_encoding(&self) -> String {
        let mut out = String::from("L:");
        self.locals
            .iter()
            .for_each(|t| out.push_str(&t.contract_code()));
        out.push_str("|S:");
        self.stack
            .iter()
            .for_each(|t| out.push_str(&t.contract_code()));
        match &self.pending_call {
            Some(call) => out.push_str(&format!("|C:{}", call.arg_slots)),
            None => out.push_str("|C:-1"),
        }
        out
    }
}

/// Types before one instruction, as computed for a whole method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionTypes {
    pub bci: u32,
    pub opcode: u8,
    pub types: FrameTypes,
    /// At a StackMapTable frame that the previous instruction falls through
    /// to: the types the simulation had reached before the declared frame
    /// replaced them. They must be assignable to the declared ones; tests
    /// use this to check the simulation against javac's frames.
    pub simulated_before_frame: Option<FrameTypes>,
}

/// Types before the instruction at `bci` of the method `name` + `descriptor`.
pub fn frame_types_at(
    class: &ClassFile,
    name: &str,
    descriptor: &str,
    bci: u32,
) -> Result<FrameTypes, ClassFileError> {
    let method = class.method(name, descriptor)?;
    method_frame_types_at(class, method, bci)
}

/// Types before the instruction at `bci` of `method` (one of `class.methods()`).
pub fn method_frame_types_at(
    class: &ClassFile,
    method: &MethodInfo,
    bci: u32,
) -> Result<FrameTypes, ClassFileError> {
    let analysis = MethodAnalysis::new(class, method)?;
    let state = if analysis.uses_dataflow() {
        let states = analysis.dataflow()?;
        states.get(bci as usize).cloned().flatten().ok_or_else(|| {
            analysis.error(
                bci,
                "not the start of an instruction reachable without `ret`",
            )
        })?
    } else {
        analysis.linear_state_at(bci)?
    };
    analysis.finish(state, bci)
}

/// Types before every instruction of `method`, in code order.
pub fn method_instruction_types(
    class: &ClassFile,
    method: &MethodInfo,
) -> Result<Vec<InstructionTypes>, ClassFileError> {
    let analysis = MethodAnalysis::new(class, method)?;
    let count = analysis.instruction_count()?;
    analysis.check_budget(count)?;
    let mut out = Vec::with_capacity(count);
    if analysis.uses_dataflow() {
        let states = analysis.dataflow()?;
        for item in bytecode::instructions(&analysis.code.code) {
            let (bci, opcode) = item?;
            if let Some(state) = states[bci as usize].clone() {
                out.push(InstructionTypes {
                    bci,
                    opcode,
                    types: analysis.finish(state, bci)?,
                    simulated_before_frame: None,
                });
            }
        }
        return Ok(out);
    }
    let frames = analysis.declared_states()?;
    let mut next_frame = frames.iter().peekable();
    let mut state = Some(analysis.initial_state()?);
    for item in bytecode::instructions(&analysis.code.code) {
        let (bci, opcode) = item?;
        let mut simulated_before_frame = None;
        if let Some((_, declared)) = next_frame.next_if(|(offset, _)| *offset == bci) {
            // At bci 0 the "simulated" state is the method's initial frame,
            // which must be assignable to a frame declared there too.
            if let Some(simulated) = state.take() {
                simulated_before_frame = Some(analysis.finish(simulated, bci)?);
            }
            state = Some(declared.clone());
        }
        if let Some((offset, _)) = next_frame.peek() {
            if *offset < bci {
                return Err(analysis.error(
                    *offset,
                    "StackMapTable frame not at an instruction boundary",
                ));
            }
        }
        let current = state.take().ok_or_else(|| {
            analysis.error(
                bci,
                "code after an unconditional transfer has no StackMapTable frame",
            )
        })?;
        let mut after = current.clone();
        let flow = analysis.step(&mut after, bci)?;
        out.push(InstructionTypes {
            bci,
            opcode,
            types: analysis.finish(current, bci)?,
            simulated_before_frame,
        });
        state = flow.falls_through.then_some(after);
    }
    if let Some((offset, _)) = next_frame.next() {
        return Err(analysis.error(*offset, "StackMapTable frame beyond the last instruction"));
    }
    Ok(out)
}

/// The StackMapTable of `method` as complete slot-indexed frames:
/// `(bci, types)` in bci order, `pending_call` left `None`.
pub fn declared_frames(
    class: &ClassFile,
    method: &MethodInfo,
) -> Result<Vec<(u32, FrameTypes)>, ClassFileError> {
    let analysis = MethodAnalysis::new(class, method)?;
    Ok(analysis
        .declared_states()?
        .into_iter()
        .map(|(bci, s)| {
            (
                bci,
                FrameTypes {
                    locals: s.locals,
                    stack: s.stack,
                    pending_call: None,
                },
            )
        })
        .collect())
}

/// The types at method entry: `this` (`UninitializedThis` in a constructor
/// of any class but `java/lang/Object`), then the parameters, then `Top`.
pub fn initial_frame(class: &ClassFile, method: &MethodInfo) -> Result<FrameTypes, ClassFileError> {
    let analysis = MethodAnalysis::new(class, method)?;
    analysis.finish(analysis.initial_state()?, 0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    locals: Vec<VType>,
    stack: Vec<VType>,
}

struct Flow {
    /// The next instruction can be reached by falling through.
    falls_through: bool,
    /// Branch and switch targets (not exception handlers).
    targets: Vec<u32>,
    /// `jsr` target: entered with the ReturnAddress already pushed.
    subroutine: Option<u32>,
}

impl Flow {
    fn next() -> Flow {
        Flow {
            falls_through: true,
            targets: Vec::new(),
            subroutine: None,
        }
    }
    fn end() -> Flow {
        Flow {
            falls_through: false,
            targets: Vec::new(),
            subroutine: None,
        }
    }
}

struct MethodAnalysis<'a> {
    class: &'a ClassFile,
    method: &'a MethodInfo,
    code: &'a CodeAttribute,
    label: String,
}

impl<'a> MethodAnalysis<'a> {
    fn new(class: &'a ClassFile, method: &'a MethodInfo) -> Result<Self, ClassFileError> {
        let label = format!(
            "{}.{}{}",
            class.this_class(),
            method.name,
            method.descriptor
        );
        let code = method.code().ok_or_else(|| ClassFileError::NoCode {
            method: label.clone(),
        })?;
        Ok(MethodAnalysis {
            class,
            method,
            code,
            label,
        })
    }

    #[cold]
    fn error(&self, bci: u32, detail: impl Into<String>) -> ClassFileError {
        ClassFileError::analysis(&self.label, bci, detail)
    }

    fn uses_dataflow(&self) -> bool {
        self.class.major_version < 50 && self.code.stack_map_table_attribute().is_none()
    }

    fn max_locals(&self) -> usize {
        self.code.max_locals as usize
    }

    /// Refuses an analysis that would hold more than `MAX_TYPED_SLOTS` slot types.
    fn check_budget(&self, states: usize) -> Result<(), ClassFileError> {
        let per_state = self.max_locals() + self.code.max_stack as usize;
        if states.saturating_mul(per_state) > MAX_TYPED_SLOTS {
            return Err(self.error(
                0,
                format!("{states} states of {per_state} slots exceed the limit of {MAX_TYPED_SLOTS} slot types"),
            ));
        }
        Ok(())
    }

    fn instruction_count(&self) -> Result<usize, ClassFileError> {
        let mut count = 0;
        for item in bytecode::instructions(&self.code.code) {
            item?;
            count += 1;
        }
        Ok(count)
    }

    fn initial_entries(&self) -> Result<Vec<VType>, ClassFileError> {
        let descriptor = MethodDescriptor::parse(&self.method.descriptor)?;
        let mut entries = Vec::with_capacity(descriptor.parameters.len() + 1);
        if self.method.access_flags & ACC_STATIC == 0 {
            if self.method.name == "<init>" && self.class.this_class() != "java/lang/Object" {
                entries.push(VType::UninitializedThis);
            } else {
                entries.push(VType::Reference(self.class.this_class().to_owned()));
            }
        }
        entries.extend(descriptor.parameters);
        Ok(entries)
    }

    fn initial_state(&self) -> Result<State, ClassFileError> {
        let locals = self.slots_from_entries(&self.initial_entries()?, 0, "method parameters")?;
        Ok(State {
            locals,
            stack: Vec::new(),
        })
    }

    /// Expands verification-type entries to slots and pads to max_locals.
    fn slots_from_entries(
        &self,
        entries: &[VType],
        bci: u32,
        what: &str,
    ) -> Result<Vec<VType>, ClassFileError> {
        let mut slots = expand(entries);
        if slots.len() > self.max_locals() {
            return Err(self.error(
                bci,
                format!(
                    "{what} take {} slots, max_locals is {}",
                    slots.len(),
                    self.max_locals()
                ),
            ));
        }
        slots.resize(self.max_locals(), VType::Top);
        Ok(slots)
    }

    fn verification_type(&self, info: VerificationTypeInfo) -> Result<VType, ClassFileError> {
        Ok(match info {
            VerificationTypeInfo::Top => VType::Top,
            VerificationTypeInfo::Integer => VType::Integer,
            VerificationTypeInfo::Float => VType::Float,
            VerificationTypeInfo::Long => VType::Long,
            VerificationTypeInfo::Double => VType::Double,
            VerificationTypeInfo::Null => VType::Null,
            VerificationTypeInfo::UninitializedThis => VType::UninitializedThis,
            VerificationTypeInfo::Object(index) => {
                VType::Reference(self.class.constant_pool.class_name(index)?.to_owned())
            }
            VerificationTypeInfo::Uninitialized(offset) => VType::Uninitialized(offset as u32),
        })
    }

    fn verification_types(
        &self,
        infos: &[VerificationTypeInfo],
    ) -> Result<Vec<VType>, ClassFileError> {
        infos.iter().map(|i| self.verification_type(*i)).collect()
    }

    /// The StackMapTable as `(bci, state)`, states slot-indexed.
    fn declared_states(&self) -> Result<Vec<(u32, State)>, ClassFileError> {
        let frames = self.code.stack_map_frames()?;
        self.check_budget(frames.len() + 1)?;
        let mut entries = self.initial_entries()?;
        let mut result = Vec::with_capacity(frames.len());
        let mut offset: Option<u32> = None;
        for frame in &frames {
            let bci = match offset {
                None => frame.offset_delta as u32,
                Some(previous) => previous + frame.offset_delta as u32 + 1,
            };
            offset = Some(bci);
            if bci >= self.code.code_length() {
                return Err(self.error(bci, "StackMapTable frame beyond the end of the code"));
            }
            let stack_entries = match &frame.kind {
                StackMapFrameKind::Same => Vec::new(),
                StackMapFrameKind::SameLocals1StackItem(item) => {
                    vec![self.verification_type(*item)?]
                }
                StackMapFrameKind::Chop(k) => {
                    let k = *k as usize;
                    if k > entries.len() {
                        return Err(
                            self.error(bci, format!("chop {k} of {} locals", entries.len()))
                        );
                    }
                    entries.truncate(entries.len() - k);
                    Vec::new()
                }
                StackMapFrameKind::Append(more) => {
                    entries.extend(self.verification_types(more)?);
                    Vec::new()
                }
                StackMapFrameKind::Full { locals, stack } => {
                    entries = self.verification_types(locals)?;
                    self.verification_types(stack)?
                }
            };
            let locals = self.slots_from_entries(&entries, bci, "StackMapTable locals")?;
            let stack = expand(&stack_entries);
            if stack.len() > self.code.max_stack as usize {
                return Err(self.error(bci, "StackMapTable stack exceeds max_stack"));
            }
            result.push((bci, State { locals, stack }));
        }
        Ok(result)
    }

    /// Linear simulation from the nearest declared frame at or before `bci`.
    fn linear_state_at(&self, bci: u32) -> Result<State, ClassFileError> {
        if bci >= self.code.code_length() {
            return Err(self.error(
                bci,
                format!("bci past code_length {}", self.code.code_length()),
            ));
        }
        let frames = self.declared_states()?;
        let (mut position, mut state) = match frames.iter().rev().find(|(offset, _)| *offset <= bci)
        {
            Some((offset, state)) => (*offset, state.clone()),
            None => (0, self.initial_state()?),
        };
        loop {
            if position == bci {
                return Ok(state);
            }
            if position > bci {
                return Err(self.error(bci, "not the start of an instruction"));
            }
            let length = bytecode::instruction_length(&self.code.code, position as usize)?;
            let flow = self.step(&mut state, position)?;
            if !flow.falls_through {
                return Err(self.error(
                    bci,
                    format!(
                        "no StackMapTable frame after the unconditional transfer at bci {position}"
                    ),
                ));
            }
            position += length as u32;
        }
    }

    /// Worklist data-flow analysis for class files without StackMapTable.
    /// Returns the state before each instruction, indexed by bci.
    fn dataflow(&self) -> Result<Vec<Option<State>>, ClassFileError> {
        let code = &self.code.code;
        self.check_budget(self.instruction_count()?)?;
        let mut boundaries = vec![false; code.len()];
        for item in bytecode::instructions(code) {
            boundaries[item?.0 as usize] = true;
        }
        let mut states: Vec<Option<State>> = vec![None; code.len()];
        let mut visits = vec![0usize; code.len()];
        let mut worklist = vec![0u32];
        let mut queued = vec![false; code.len()];
        queued[0] = true;
        states[0] = Some(self.initial_state()?);
        while let Some(bci) = worklist.pop() {
            let index = bci as usize;
            queued[index] = false;
            visits[index] += 1;
            if visits[index] > MAX_DATAFLOW_VISITS_PER_INSTRUCTION {
                return Err(self.error(bci, "data-flow analysis does not converge"));
            }
            let before = states[index]
                .clone()
                .expect("worklist holds only reached bcis");
            let mut after = before.clone();
            let flow = self.step(&mut after, bci)?;
            let length = bytecode::instruction_length(code, index)? as u32;
            let mut successors: Vec<(u32, State)> = Vec::new();
            if flow.falls_through {
                successors.push((bci + length, after.clone()));
            }
            for target in &flow.targets {
                successors.push((*target, after.clone()));
            }
            if let Some(target) = flow.subroutine {
                successors.push((target, after.clone()));
            }
            for handler in &self.code.exception_table {
                if (handler.start_pc as u32..handler.end_pc as u32).contains(&bci) {
                    let caught = self.catch_type(handler.catch_type)?;
                    for locals in [&before.locals, &after.locals] {
                        successors.push((
                            handler.handler_pc as u32,
                            State {
                                locals: locals.clone(),
                                stack: vec![caught.clone()],
                            },
                        ));
                    }
                }
            }
            for (target, incoming) in successors {
                let slot = target as usize;
                if slot >= code.len() || !boundaries[slot] {
                    return Err(self.error(
                        bci,
                        format!("control flows to {target}, not an instruction"),
                    ));
                }
                let merged = match &states[slot] {
                    None => incoming,
                    Some(existing) => merge_states(existing, &incoming).ok_or_else(|| {
                        self.error(target, "operand stacks of different heights meet")
                    })?,
                };
                if states[slot].as_ref() != Some(&merged) {
                    states[slot] = Some(merged);
                    if !queued[slot] {
                        queued[slot] = true;
                        worklist.push(target);
                    }
                }
            }
        }
        Ok(states)
    }

    fn catch_type(&self, index: u16) -> Result<VType, ClassFileError> {
        Ok(VType::Reference(if index == 0 {
            "java/lang/Throwable".to_owned()
        } else {
            self.class.constant_pool.class_name(index)?.to_owned()
        }))
    }

    /// Turns a state at `bci` into the public form, with the pending call.
    fn finish(&self, state: State, bci: u32) -> Result<FrameTypes, ClassFileError> {
        let pending_call = self.pending_call(bci, state.stack.len())?;
        Ok(FrameTypes {
            locals: state.locals,
            stack: state.stack,
            pending_call,
        })
    }

    fn pending_call(&self, bci: u32, depth: usize) -> Result<Option<PendingCall>, ClassFileError> {
        let ops = Operands {
            code: &self.code.code,
        };
        let opcode = ops.u8(bci as usize)?;
        if !bytecode::is_invoke(opcode) {
            return Ok(None);
        }
        let index = ops.u16(bci as usize + 1)?;
        let pool = &self.class.constant_pool;
        let (kind, owner, name, descriptor) = if opcode == bytecode::INVOKEDYNAMIC {
            let (name, descriptor) = pool.dynamic_name_and_type(index)?;
            (InvokeKind::Dynamic, None, name, descriptor)
        } else {
            let member = pool.member_ref(index)?;
            let kind = match opcode {
                bytecode::INVOKEVIRTUAL => InvokeKind::Virtual,
                bytecode::INVOKESPECIAL => InvokeKind::Special,
                bytecode::INVOKESTATIC => InvokeKind::Static,
                _ => InvokeKind::Interface,
            };
            (
                kind,
                Some(member.owner.to_owned()),
                member.name,
                member.descriptor,
            )
        };
        let parsed = MethodDescriptor::parse(descriptor)?;
        let receiver = !matches!(kind, InvokeKind::Static | InvokeKind::Dynamic);
        let arg_slots = parsed.parameter_slots() + receiver as usize;
        if arg_slots > depth {
            return Err(self.error(
                bci,
                format!("call takes {arg_slots} slots, stack has {depth}"),
            ));
        }
        Ok(Some(PendingCall {
            kind,
            owner,
            name: name.to_owned(),
            descriptor: descriptor.to_owned(),
            arg_slots,
            returns: parsed.returns,
        }))
    }

    fn branch_target(&self, bci: u32, offset: i32) -> Result<u32, ClassFileError> {
        let target = bci as i64 + offset as i64;
        if target < 0 || target >= self.code.code_length() as i64 {
            return Err(self.error(bci, format!("branch to {target}, outside the code")));
        }
        Ok(target as u32)
    }

    /// Applies the instruction at `bci` to `state` (JVMS 6.5).
    fn step(&self, state: &mut State, bci: u32) -> Result<Flow, ClassFileError> {
        let ops = Operands {
            code: &self.code.code,
        };
        let at = bci as usize;
        let opcode = ops.u8(at)?;
        let mut frame = Machine {
            analysis: self,
            state,
            bci,
        };
        use VType::*;
        match opcode {
            bytecode::NOP => {}
            bytecode::ACONST_NULL => frame.push(Null)?,
            2..=8 | 16 | 17 => frame.push(Integer)?, // iconst_*, bipush, sipush
            9 | 10 => frame.push(Long)?,
            11..=13 => frame.push(Float)?,
            14 | 15 => frame.push(Double)?,
            bytecode::LDC => frame.ldc(ops.u8(at + 1)? as u16)?,
            bytecode::LDC_W | bytecode::LDC2_W => frame.ldc(ops.u16(at + 1)?)?,
            21..=25 => frame.load(opcode - 21, ops.u8(at + 1)? as usize)?,
            26..=45 => frame.load((opcode - 26) / 4, ((opcode - 26) % 4) as usize)?,
            46..=53 => {
                // iaload .. saload
                frame.pop_kind(&Integer)?;
                let array = frame.pop_value()?;
                let element = match opcode {
                    46 | 51 | 52 | 53 => Integer,
                    47 => Long,
                    48 => Float,
                    49 => Double,
                    _ => frame.component_of(&array)?,
                };
                frame.push(element)?;
            }
            54..=58 => frame.store(opcode - 54, ops.u8(at + 1)? as usize)?,
            59..=78 => frame.store((opcode - 59) / 4, ((opcode - 59) % 4) as usize)?,
            79..=86 => {
                // iastore .. sastore: value, index, arrayref
                frame.pop_value()?;
                frame.pop_kind(&Integer)?;
                frame.pop_value()?;
            }
            87 => frame.pop_slots(1)?,
            88 => frame.pop_slots(2)?,
            89 => frame.dup(1, 0)?,
            90 => frame.dup(1, 1)?,
            91 => frame.dup(1, 2)?,
            92 => frame.dup(2, 0)?,
            93 => frame.dup(2, 1)?,
            94 => frame.dup(2, 2)?,
            95 => {
                let n = frame.state.stack.len();
                if n < 2 {
                    return Err(self.error(bci, "swap on a stack of fewer than two slots"));
                }
                frame.state.stack.swap(n - 1, n - 2);
            }
            96..=115 => {
                // add, sub, mul, div, rem for int, long, float, double
                let kind = [Integer, Long, Float, Double][((opcode - 96) % 4) as usize].clone();
                frame.pop_kind(&kind)?;
                frame.pop_kind(&kind)?;
                frame.push(kind)?;
            }
            116..=119 => {
                let kind = [Integer, Long, Float, Double][(opcode - 116) as usize].clone();
                frame.pop_kind(&kind)?;
                frame.push(kind)?;
            }
            120..=125 => {
                // shifts: int shift distance, then the value
                frame.pop_kind(&Integer)?;
                let kind = if opcode % 2 == 0 { Integer } else { Long };
                frame.pop_kind(&kind)?;
                frame.push(kind)?;
            }
            126..=131 => {
                let kind = if opcode % 2 == 0 { Integer } else { Long };
                frame.pop_kind(&kind)?;
                frame.pop_kind(&kind)?;
                frame.push(kind)?;
            }
            bytecode::IINC => {
                let index = ops.u8(at + 1)? as usize;
                frame.check_local(index, &Integer)?;
            }
            133..=147 => {
                let (from, to) = match opcode {
                    133 => (Integer, Long),
                    134 => (Integer, Float),
                    135 => (Integer, Double),
                    136 => (Long, Integer),
                    137 => (Long, Float),
                    138 => (Long, Double),
                    139 => (Float, Integer),
                    140 => (Float, Long),
                    141 => (Float, Double),
                    142 => (Double, Integer),
                    143 => (Double, Long),
                    144 => (Double, Float),
                    _ => (Integer, Integer), // i2b, i2c, i2s
                };
                frame.pop_kind(&from)?;
                frame.push(to)?;
            }
            148..=152 => {
                let kind = [Long, Float, Float, Double, Double][(opcode - 148) as usize].clone();
                frame.pop_kind(&kind)?;
                frame.pop_kind(&kind)?;
                frame.push(Integer)?;
            }
            153..=166 | bytecode::IFNULL | bytecode::IFNONNULL => {
                let operands = match opcode {
                    153..=158 | bytecode::IFNULL | bytecode::IFNONNULL => 1,
                    _ => 2,
                };
                frame.pop_slots(operands)?;
                let target = self.branch_target(bci, ops.i16(at + 1)? as i32)?;
                return Ok(Flow {
                    falls_through: true,
                    targets: vec![target],
                    subroutine: None,
                });
            }
            bytecode::GOTO | bytecode::GOTO_W => {
                let offset = if opcode == bytecode::GOTO {
                    ops.i16(at + 1)? as i32
                } else {
                    ops.i32(at + 1)?
                };
                let target = self.branch_target(bci, offset)?;
                return Ok(Flow {
                    falls_through: false,
                    targets: vec![target],
                    subroutine: None,
                });
            }
            bytecode::JSR | bytecode::JSR_W => {
                let (offset, length) = if opcode == bytecode::JSR {
                    (ops.i16(at + 1)? as i32, 3)
                } else {
                    (ops.i32(at + 1)?, 5)
                };
                let target = self.branch_target(bci, offset)?;
                frame.push(ReturnAddress(bci + length))?;
                return Ok(Flow {
                    falls_through: false,
                    targets: Vec::new(),
                    subroutine: Some(target),
                });
            }
            bytecode::RET => {
                // The return target depends on which jsr entered the
                // subroutine; this analysis does not track that (see module docs).
                return Ok(Flow::end());
            }
            bytecode::TABLESWITCH | bytecode::LOOKUPSWITCH => {
                frame.pop_kind(&Integer)?;
                let base = bytecode::switch_operands(at);
                let mut targets = vec![self.branch_target(bci, ops.i32(base)?)?];
                if opcode == bytecode::TABLESWITCH {
                    let low = ops.i32(base + 4)? as i64;
                    let high = ops.i32(base + 8)? as i64;
                    if high < low || high - low >= self.code.code.len() as i64 {
                        return Err(self.error(bci, "tableswitch bounds do not fit in the code"));
                    }
                    for i in 0..(high - low + 1) as usize {
                        targets.push(self.branch_target(bci, ops.i32(base + 12 + 4 * i)?)?);
                    }
                } else {
                    let pairs = ops.i32(base + 4)?;
                    if pairs < 0 || pairs as usize > self.code.code.len() {
                        return Err(self.error(bci, "lookupswitch npairs does not fit in the code"));
                    }
                    for i in 0..pairs as usize {
                        targets.push(self.branch_target(bci, ops.i32(base + 12 + 8 * i)?)?);
                    }
                }
                return Ok(Flow {
                    falls_through: false,
                    targets,
                    subroutine: None,
                });
            }
            bytecode::IRETURN..=bytecode::RETURN | bytecode::ATHROW => return Ok(Flow::end()),
            bytecode::GETSTATIC..=bytecode::PUTFIELD => {
                let member = self.class.constant_pool.member_ref(ops.u16(at + 1)?)?;
                let value = field_type(member.descriptor)?;
                match opcode {
                    bytecode::GETSTATIC => frame.push(value)?,
                    bytecode::PUTSTATIC => frame.pop_kind(&value)?,
                    bytecode::GETFIELD => {
                        frame.pop_value()?;
                        frame.push(value)?;
                    }
                    _ => {
                        frame.pop_kind(&value)?;
                        frame.pop_value()?;
                    }
                }
            }
            bytecode::INVOKEVIRTUAL..=bytecode::INVOKEDYNAMIC => {
                let call = self
                    .pending_call(bci, frame.state.stack.len())?
                    .expect("opcode is an invoke");
                let depth = frame.state.stack.len();
                let receiver = frame.state.stack.get(depth - call.arg_slots).cloned();
                frame.pop_slots(call.arg_slots)?;
                if call.kind == InvokeKind::Special && call.name == "<init>" {
                    match receiver {
                        Some(UninitializedThis) => {
                            frame
                                .initialize(&UninitializedThis, self.class.this_class().to_owned());
                        }
                        Some(Uninitialized(new_bci)) => {
                            let created = self.class_created_at(new_bci)?;
                            frame.initialize(&Uninitialized(new_bci), created);
                        }
                        _ => return Err(self.error(bci, "<init> called on an initialized value")),
                    }
                }
                if let Some(returned) = call.returns {
                    frame.push(returned)?;
                }
            }
            bytecode::NEW => frame.push(Uninitialized(bci))?,
            bytecode::NEWARRAY => {
                frame.pop_kind(&Integer)?;
                let descriptor = match ops.u8(at + 1)? {
                    4 => "[Z",
                    5 => "[C",
                    6 => "[F",
                    7 => "[D",
                    8 => "[B",
                    9 => "[S",
                    10 => "[I",
                    11 => "[J",
                    other => {
                        return Err(self.error(bci, format!("newarray of unknown type {other}")))
                    }
                };
                frame.push(Reference(descriptor.to_owned()))?;
            }
            bytecode::ANEWARRAY => {
                frame.pop_kind(&Integer)?;
                let element = self.class.constant_pool.class_name(ops.u16(at + 1)?)?;
                let descriptor = if element.starts_with('[') {
                    format!("[{element}")
                } else {
                    format!("[L{element};")
                };
                frame.push(Reference(descriptor))?;
            }
            bytecode::ARRAYLENGTH => {
                frame.pop_value()?;
                frame.push(Integer)?;
            }
            bytecode::CHECKCAST => {
                frame.pop_value()?;
                let class = self.class.constant_pool.class_name(ops.u16(at + 1)?)?;
                frame.push(Reference(class.to_owned()))?;
            }
            bytecode::INSTANCEOF => {
                frame.pop_value()?;
                frame.push(Integer)?;
            }
            bytecode::MONITORENTER | bytecode::MONITOREXIT => frame.pop_slots(1)?,
            bytecode::WIDE => {
                let modified = ops.u8(at + 1)?;
                let index = ops.u16(at + 2)? as usize;
                match modified {
                    21..=25 => frame.load(modified - 21, index)?,
                    54..=58 => frame.store(modified - 54, index)?,
                    bytecode::IINC => frame.check_local(index, &Integer)?,
                    bytecode::RET => return Ok(Flow::end()),
                    other => {
                        return Err(self.error(bci, format!("wide cannot modify opcode {other}")))
                    }
                }
            }
            bytecode::MULTIANEWARRAY => {
                let class = self.class.constant_pool.class_name(ops.u16(at + 1)?)?;
                let dimensions = ops.u8(at + 3)? as usize;
                if dimensions == 0 {
                    return Err(self.error(bci, "multianewarray with 0 dimensions"));
                }
                for _ in 0..dimensions {
                    frame.pop_kind(&Integer)?;
                }
                frame.push(Reference(class.to_owned()))?;
            }
            other => return Err(self.error(bci, format!("invalid opcode {other}"))),
        }
        Ok(Flow::next())
    }

    /// The class named by the `new` instruction at `new_bci`.
    fn class_created_at(&self, new_bci: u32) -> Result<String, ClassFileError> {
        let ops = Operands {
            code: &self.code.code,
        };
        if ops.u8(new_bci as usize)? != bytecode::NEW {
            return Err(self.error(new_bci, "uninitialized type does not point at a `new`"));
        }
        Ok(self
            .class
            .constant_pool
            .class_name(ops.u16(new_bci as usize + 1)?)?
            .to_owned())
    }
}

/// Mutations of one state by one instruction.
struct Machine<'s, 'a> {
    analysis: &'s MethodAnalysis<'a>,
    state: &'s mut State,
    bci: u32,
}

impl Machine<'_, '_> {
    #[cold]
    fn error(&self, detail: impl Into<String>) -> ClassFileError {
        self.analysis.error(self.bci, detail)
    }

    fn push(&mut self, value: VType) -> Result<(), ClassFileError> {
        let wide = value.is_wide();
        self.state.stack.push(value);
        if wide {
            self.state.stack.push(VType::Top);
        }
        if self.state.stack.len() > self.analysis.code.max_stack as usize {
            return Err(self.error(format!(
                "operand stack exceeds max_stack {}",
                self.analysis.code.max_stack
            )));
        }
        Ok(())
    }

    fn pop_slots(&mut self, count: usize) -> Result<(), ClassFileError> {
        let depth = self.state.stack.len();
        if count > depth {
            return Err(self.error(format!("pops {count} slots from a stack of {depth}")));
        }
        self.state.stack.truncate(depth - count);
        Ok(())
    }

    /// Pops one value: a long or double takes its two slots.
    fn pop_value(&mut self) -> Result<VType, ClassFileError> {
        let top = self
            .state
            .stack
            .pop()
            .ok_or_else(|| self.error("pop from an empty stack"))?;
        if top != VType::Top {
            return Ok(top);
        }
        match self.state.stack.pop() {
            Some(wide) if wide.is_wide() => Ok(wide),
            _ => Err(self.error("top of the stack is half of a value")),
        }
    }

    /// Pops a value that must be of `kind` (references: any reference-like type).
    fn pop_kind(&mut self, kind: &VType) -> Result<(), ClassFileError> {
        let value = self.pop_value()?;
        let fits = match kind {
            VType::Reference(_) => !matches!(
                value,
                VType::Integer | VType::Float | VType::Long | VType::Double | VType::Top
            ),
            VType::Integer => value == VType::Integer,
            other => &value == other,
        };
        if fits {
            Ok(())
        } else {
            Err(self.error(format!("expected {kind:?} on the stack, found {value:?}")))
        }
    }

    /// Duplicates the top `count` slots and inserts them `below` slots deeper.
    fn dup(&mut self, count: usize, below: usize) -> Result<(), ClassFileError> {
        let depth = self.state.stack.len();
        if count + below > depth {
            return Err(self.error("dup below the bottom of the stack"));
        }
        let copied: Vec<VType> = self.state.stack[depth - count..].to_vec();
        let at = depth - count - below;
        self.state.stack.splice(at..at, copied);
        if self.state.stack.len() > self.analysis.code.max_stack as usize {
            return Err(self.error("operand stack exceeds max_stack"));
        }
        Ok(())
    }

    /// `kind` 0..=4: i, l, f, d, a.
    fn load(&mut self, kind: u8, index: usize) -> Result<(), ClassFileError> {
        let value = match kind {
            0 => VType::Integer,
            1 => VType::Long,
            2 => VType::Float,
            3 => VType::Double,
            _ => {
                let value = self.state.locals.get(index).cloned().ok_or_else(|| {
                    self.error(format!("aload of local {index} beyond max_locals"))
                })?;
                if matches!(
                    value,
                    VType::Integer | VType::Float | VType::Long | VType::Double | VType::Top
                ) {
                    return Err(self.error(format!("aload of local {index} holding {value:?}")));
                }
                value
            }
        };
        if kind < 4 {
            self.check_local(index, &value)?;
        }
        self.push(value)
    }

    fn check_local(&self, index: usize, kind: &VType) -> Result<(), ClassFileError> {
        match self.state.locals.get(index) {
            Some(found) if found == kind => Ok(()),
            found => Err(self.error(format!("local {index} expected {kind:?}, holds {found:?}"))),
        }
    }

    /// `kind` 0..=4: i, l, f, d, a.
    fn store(&mut self, kind: u8, index: usize) -> Result<(), ClassFileError> {
        let value = match kind {
            0 => VType::Integer,
            1 => VType::Long,
            2 => VType::Float,
            3 => VType::Double,
            _ => VType::Reference(String::new()),
        };
        let value = if kind == 4 {
            let stored = self.pop_value()?;
            if matches!(
                stored,
                VType::Integer | VType::Float | VType::Long | VType::Double
            ) {
                return Err(self.error(format!("astore of {stored:?}")));
            }
            stored
        } else {
            self.pop_kind(&value)?;
            value
        };
        let size = value.size();
        let locals = &mut self.state.locals;
        if index + size > locals.len() {
            return Err(self.analysis.error(
                self.bci,
                format!("store to local {index} beyond max_locals"),
            ));
        }
        // Overwriting the second half of a long/double kills the whole value.
        if index > 0 && locals[index - 1].is_wide() {
            locals[index - 1] = VType::Top;
        }
        // Overwriting the first half of one leaves its second half unusable.
        if size == 1 && locals[index].is_wide() && index + 1 < locals.len() {
            locals[index + 1] = VType::Top;
        }
        locals[index] = value;
        if size == 2 {
            locals[index + 1] = VType::Top;
        }
        Ok(())
    }

    /// The element type loaded by `aaload` from an array of type `array`.
    fn component_of(&self, array: &VType) -> Result<VType, ClassFileError> {
        match array {
            VType::Null => Ok(VType::Null),
            VType::Reference(descriptor)
                if descriptor.starts_with("[L") || descriptor.starts_with("[[") =>
            {
                field_type(&descriptor[1..])
            }
            other => Err(self.error(format!("aaload from {other:?}"))),
        }
    }

    /// `ldc`, `ldc_w`, `ldc2_w` of the constant at `index`.
    fn ldc(&mut self, index: u16) -> Result<(), ClassFileError> {
        let pool = &self.analysis.class.constant_pool;
        let value = match pool.get(index)? {
            Constant::Integer(_) => VType::Integer,
            Constant::Float(_) => VType::Float,
            Constant::Long(_) => VType::Long,
            Constant::Double(_) => VType::Double,
            Constant::String { .. } => VType::Reference("java/lang/String".into()),
            Constant::Class { .. } => VType::Reference("java/lang/Class".into()),
            Constant::MethodType { .. } => VType::Reference("java/lang/invoke/MethodType".into()),
            Constant::MethodHandle { .. } => {
                VType::Reference("java/lang/invoke/MethodHandle".into())
            }
            Constant::Dynamic { .. } => field_type(pool.dynamic_name_and_type(index)?.1)?,
            other => return Err(self.error(format!("ldc of a {other:?} constant"))),
        };
        self.push(value)
    }

    /// After `<init>`: every copy of the uninitialized value becomes `class`.
    fn initialize(&mut self, uninitialized: &VType, class: String) {
        let initialized = VType::Reference(class);
        for slot in self
            .state
            .locals
            .iter_mut()
            .chain(self.state.stack.iter_mut())
        {
            if slot == uninitialized {
                *slot = initialized.clone();
            }
        }
    }
}

fn expand(entries: &[VType]) -> Vec<VType> {
    let mut slots = Vec::with_capacity(entries.len() * 2);
    for entry in entries {
        slots.push(entry.clone());
        if entry.is_wide() {
            slots.push(VType::Top);
        }
    }
    slots
}

/// Merge for the data-flow analysis; `None` when stack heights differ.
fn merge_states(a: &State, b: &State) -> Option<State> {
    if a.stack.len() != b.stack.len() || a.locals.len() != b.locals.len() {
        return None;
    }
    let merge_all = |x: &[VType], y: &[VType]| -> Vec<VType> {
        let mut merged: Vec<VType> = x.iter().zip(y).map(|(p, q)| merge_types(p, q)).collect();
        // A long/double whose second half was lost is lost as a whole.
        for i in 0..merged.len() {
            if merged[i].is_wide() && merged.get(i + 1) != Some(&VType::Top) {
                merged[i] = VType::Top;
            }
        }
        merged
    };
    Some(State {
        locals: merge_all(&a.locals, &b.locals),
        stack: merge_all(&a.stack, &b.stack),
    })
}

fn merge_types(a: &VType, b: &VType) -> VType {
    match (a, b) {
        _ if a == b => a.clone(),
        (VType::Null, VType::Reference(_)) => b.clone(),
        (VType::Reference(_), VType::Null) => a.clone(),
        // No class hierarchy here: the slot stays a reference.
        (VType::Reference(_), VType::Reference(_)) => VType::Reference("java/lang/Object".into()),
        _ => VType::Top,
    }
}
