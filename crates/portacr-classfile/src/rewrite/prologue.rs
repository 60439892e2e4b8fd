//! The resume prologue of one method (layout in the module documentation of
//! `rewrite`), and the patching of everything in its `Code` attribute that
//! holds a code offset.

use crate::bytecode::{self, switch_operands};
use crate::class_file::{ClassFile, CodeAttribute, MethodInfo};
use crate::frame_types::{declared_frames, initial_frame, method_frame_types_at, VType};
use crate::limits::{MAX_CODE_LENGTH, MAX_COPIED_CODE};
use crate::rewrite::frames::{decode_original, encode_table, entries_from_slots, TableFrame};
use crate::rewrite::pool::PoolBuilder;
use crate::rewrite::{method_token, values, ResumeHooks, ResumePoint, RewriteError, Step};

const ISTORE: u8 = 54;
const LSTORE: u8 = 55;
const FSTORE: u8 = 56;
const DSTORE: u8 = 57;
const ASTORE: u8 = 58;
const ALOAD_0: u8 = 42;
const POP: u8 = 87;
const DUP: u8 = 89;
const ICONST_0: u8 = 3;
const LCONST_0: u8 = 9;
const FCONST_0: u8 = 11;
const DCONST_0: u8 = 14;

/// Constant-pool indices of the runtime's methods.
struct Hooks {
    point: u16,
    int_value: u16,
    long_value: u16,
    float_value: u16,
    double_value: u16,
    reference_value: u16,
}

impl Hooks {
    fn resolve(hooks: &ResumeHooks, pool: &mut PoolBuilder) -> Result<Hooks, RewriteError> {
        let class = &hooks.class;
        Ok(Hooks {
            point: pool.method_ref(class, &hooks.point, "(I)I")?,
            int_value: pool.method_ref(class, &hooks.int_value, "()I")?,
            long_value: pool.method_ref(class, &hooks.long_value, "()J")?,
            float_value: pool.method_ref(class, &hooks.float_value, "()F")?,
            double_value: pool.method_ref(class, &hooks.double_value, "()D")?,
            reference_value: pool.method_ref(
                class,
                &hooks.reference_value,
                "()Ljava/lang/Object;",
            )?,
        })
    }
}

/// The code of one `case` of the prologue, ending in a `goto_w` whose
/// offset is filled in once the prologue's length is known.
struct Case {
    code: Vec<u8>,
    /// Original bci the case jumps to.
    target: u32,
    /// Types at `target`, for the StackMapTable.
    target_locals: Vec<VType>,
    target_stack: Vec<VType>,
    max_stack: usize,
    /// Original code copied into the case (objects under construction).
    copy: Option<CopiedCode>,
}

/// Original code `from..to` copied into a case at offset `at` of its code.
struct CopiedCode {
    at: usize,
    from: u32,
    to: u32,
}

/// Bytecode of one case, with the operand-stack height tracked for max_stack.
struct CaseWriter<'a> {
    code: Vec<u8>,
    height: usize,
    max_stack: usize,
    pool: &'a mut PoolBuilder,
    hooks: &'a Hooks,
}

impl CaseWriter<'_> {
    fn op(&mut self, opcode: u8, pushes: usize, pops: usize) {
        self.code.push(opcode);
        self.height += pushes;
        self.max_stack = self.max_stack.max(self.height);
        self.height -= pops;
    }

    fn call(&mut self, method: u16, pushes: usize) {
        self.op(bytecode::INVOKESTATIC, pushes, 0);
        self.code.extend_from_slice(&method.to_be_bytes());
    }

    /// Pushes the next saved value of type `t` (consuming one runtime value).
    fn saved_value(&mut self, t: &VType) -> Result<(), RewriteError> {
        match t {
            VType::Integer => self.call(self.hooks.int_value, 1),
            VType::Float => self.call(self.hooks.float_value, 1),
            VType::Long => self.call(self.hooks.long_value, 2),
            VType::Double => self.call(self.hooks.double_value, 2),
            VType::Reference(name) => {
                self.call(self.hooks.reference_value, 1);
                if name != "java/lang/Object" {
                    let class = self.pool.class(name)?;
                    self.op(bytecode::CHECKCAST, 0, 0);
                    self.code.extend_from_slice(&class.to_be_bytes());
                }
            }
            VType::Null => {
                // The slot's static type is "null": only null fits it.
                self.call(self.hooks.reference_value, 1);
                self.op(POP, 0, 1);
                self.op(bytecode::ACONST_NULL, 1, 0);
            }
            VType::UninitializedThis => self.op(ALOAD_0, 1, 0),
            other => {
                return Err(RewriteError::Malformed {
                    detail: format!("no saved value can have type {other:?}"),
                })
            }
        }
        Ok(())
    }

    /// Pushes a placeholder of type `t` (an argument the callee overwrites).
    fn placeholder(&mut self, t: &VType) -> Result<(), RewriteError> {
        match t {
            VType::Integer => self.op(ICONST_0, 1, 0),
            VType::Float => self.op(FCONST_0, 1, 0),
            VType::Long => self.op(LCONST_0, 2, 0),
            VType::Double => self.op(DCONST_0, 2, 0),
            VType::Reference(_) | VType::Null => self.op(bytecode::ACONST_NULL, 1, 0),
            VType::UninitializedThis => self.op(ALOAD_0, 1, 0),
            other => {
                return Err(RewriteError::Malformed {
                    detail: format!("no placeholder argument of type {other:?}"),
                })
            }
        }
        Ok(())
    }

    fn store(&mut self, t: &VType, slot: usize) {
        let opcode = match t {
            VType::Integer => ISTORE,
            VType::Long => LSTORE,
            VType::Float => FSTORE,
            VType::Double => DSTORE,
            _ => ASTORE,
        };
        self.height -= t.size();
        if slot <= 255 {
            self.code.extend_from_slice(&[opcode, slot as u8]);
        } else {
            // More than 256 locals: `wide` gives a 16-bit index.
            self.code.push(bytecode::WIDE);
            self.code.push(opcode);
            self.code.extend_from_slice(&(slot as u16).to_be_bytes());
        }
    }
}

/// Rewrites `method` with a prologue for `points`; returns the new body of
/// its `Code` attribute.
pub(crate) fn rewrite_method(
    class: &ClassFile,
    method: &MethodInfo,
    points: &[&ResumePoint],
    hooks: &ResumeHooks,
    pool: &mut PoolBuilder,
) -> Result<Vec<u8>, RewriteError> {
    let label = format!(
        "{}.{}{}",
        class.this_class(),
        method.name,
        method.descriptor
    );
    let code = method.code().ok_or_else(|| crate::ClassFileError::NoCode {
        method: label.clone(),
    })?;
    let mut boundaries = vec![false; code.code.len()];
    for item in bytecode::instructions(&code.code) {
        let (bci, opcode) = item?;
        boundaries[bci as usize] = true;
        let is_wide_ret =
            opcode == bytecode::WIDE && code.code.get(bci as usize + 1) == Some(&bytecode::RET);
        if matches!(opcode, bytecode::JSR | bytecode::JSR_W | bytecode::RET) || is_wide_ret {
            return Err(RewriteError::Unsupported {
                method: label,
                bci,
                reason: "the method uses jsr/ret subroutines".into(),
            });
        }
    }
    let resolved = Hooks::resolve(hooks, pool)?;
    let declared = declared_frames(class, method)?;
    let mut cases = Vec::with_capacity(points.len());
    for point in points {
        let case = build_case(
            class,
            method,
            code,
            &boundaries,
            point,
            &label,
            pool,
            &resolved,
        )?;
        if let Some((_, frame)) = declared.iter().find(|(bci, _)| *bci == case.target) {
            if frame.locals != case.target_locals || frame.stack != case.target_stack {
                return Err(RewriteError::FrameMismatch {
                    method: label,
                    bci: point.bci,
                    detail: format!(
                        "the StackMapTable frame at bci {} declares other types",
                        case.target
                    ),
                });
            }
        }
        cases.push(case);
    }

    // Layout: header (token, point call, tableswitch), the cases, nops in
    // front of case 0 so that the prologue's length is a multiple of 4.
    let token = pool.integer(method_token(
        class.this_class(),
        &method.name,
        &method.descriptor,
    ))?;
    let switch_at = 6;
    let table_at = switch_operands(switch_at);
    let header_length = table_at + 12 + 4 * cases.len();
    let cases_length: usize = cases.iter().map(|c| c.code.len()).sum();
    let padding = (4 - (header_length + cases_length) % 4) % 4;
    let prologue_length = header_length + cases_length + padding;
    let new_length = prologue_length + code.code.len();
    if new_length > MAX_CODE_LENGTH {
        return Err(RewriteError::CodeTooLong {
            method: label,
            length: new_length,
        });
    }
    let shift = prologue_length as u32;

    let mut prologue = Vec::with_capacity(prologue_length);
    prologue.push(bytecode::LDC_W);
    prologue.extend_from_slice(&token.to_be_bytes());
    prologue.push(bytecode::INVOKESTATIC);
    prologue.extend_from_slice(&resolved.point.to_be_bytes());
    prologue.push(bytecode::TABLESWITCH);
    prologue.resize(table_at, 0);
    let relative = |to: usize| ((to as i64) - switch_at as i64) as i32;
    prologue.extend_from_slice(&relative(prologue_length).to_be_bytes());
    prologue.extend_from_slice(&0i32.to_be_bytes());
    prologue.extend_from_slice(&(cases.len() as i32 - 1).to_be_bytes());
    let mut case_starts = Vec::with_capacity(cases.len());
    let mut start = header_length;
    for (k, case) in cases.iter().enumerate() {
        case_starts.push(start);
        start += case.code.len() + if k == 0 { padding } else { 0 };
    }
    for &case_start in &case_starts {
        prologue.extend_from_slice(&relative(case_start).to_be_bytes());
    }
    for (k, case) in cases.iter().enumerate() {
        if k == 0 {
            prologue.resize(prologue.len() + padding, bytecode::NOP);
        }
        let goto_at = prologue.len() + case.code.len() - 5;
        prologue.extend_from_slice(&case.code);
        let offset = (prologue_length + case.target as usize) as i64 - goto_at as i64;
        prologue[goto_at + 1..goto_at + 5].copy_from_slice(&(offset as i32).to_be_bytes());
    }
    debug_assert_eq!(prologue.len(), prologue_length);
    // Where each case's copy of original code sits: `(offset, from, to)`.
    let copies: Vec<(u32, u32, u32)> = cases
        .iter()
        .zip(&case_starts)
        .enumerate()
        .filter_map(|(k, (case, start))| {
            let copy = case.copy.as_ref()?;
            let code_start = start + if k == 0 { padding } else { 0 };
            Some(((code_start + copy.at) as u32, copy.from, copy.to))
        })
        .collect();

    let mut new_code = prologue;
    new_code.extend_from_slice(&code.code);
    let max_stack = cases
        .iter()
        .map(|c| c.max_stack)
        .chain([code.max_stack as usize, 1])
        .max()
        .unwrap_or(1);
    let max_stack = u16::try_from(max_stack).map_err(|_| RewriteError::CodeTooLong {
        method: label.clone(),
        length: new_length,
    })?;

    let mut attributes: Vec<(u16, Vec<u8>)> = Vec::new();
    for attribute in &code.attributes {
        match attribute.name.as_str() {
            "LineNumberTable" => {
                let mut table = shift_table(&attribute.info, 4, shift, &label, "LineNumberTable")?;
                copy_line_numbers(&attribute.info, &mut table, &copies, &label)?;
                attributes.push((attribute.name_index, table));
            }
            "LocalVariableTable" | "LocalVariableTypeTable" => attributes.push((
                attribute.name_index,
                shift_table(&attribute.info, 10, shift, &label, "LocalVariableTable")?,
            )),
            // Rebuilt below; anything else may hold offsets we do not know.
            _ => {}
        }
    }
    if class.major_version >= 50 {
        let table = stack_map_table(class, method, code, &cases, &case_starts, shift, pool)?;
        attributes.push((pool.utf8("StackMapTable")?, table));
    }

    let mut info = Vec::with_capacity(new_code.len() + 64);
    info.extend_from_slice(&max_stack.to_be_bytes());
    info.extend_from_slice(&code.max_locals.to_be_bytes());
    info.extend_from_slice(&(new_code.len() as u32).to_be_bytes());
    info.extend_from_slice(&new_code);
    // new_length <= 65535 was checked, so every pc below fits a u2.
    let mut handlers: Vec<[u16; 4]> = code
        .exception_table
        .iter()
        .map(|h| {
            [
                (h.start_pc as u32 + shift) as u16,
                (h.end_pc as u32 + shift) as u16,
                (h.handler_pc as u32 + shift) as u16,
                h.catch_type,
            ]
        })
        .collect();
    // A copy is covered by the handlers that cover the code it copies, in
    // the same order; nothing else covers the prologue, so appending keeps
    // the first-match order of every pc.
    for &(at, from, to) in &copies {
        for h in &code.exception_table {
            let start = (h.start_pc as u32).max(from);
            let end = (h.end_pc as u32).min(to);
            if start < end {
                handlers.push([
                    (at + start - from) as u16,
                    (at + end - from) as u16,
                    (h.handler_pc as u32 + shift) as u16,
                    h.catch_type,
                ]);
            }
        }
    }
    let handler_count = u16::try_from(handlers.len()).map_err(|_| RewriteError::CodeTooLong {
        method: label.clone(),
        length: new_length,
    })?;
    info.extend_from_slice(&handler_count.to_be_bytes());
    for handler in handlers {
        for value in handler {
            info.extend_from_slice(&value.to_be_bytes());
        }
    }
    info.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
    for (name_index, body) in attributes {
        info.extend_from_slice(&name_index.to_be_bytes());
        info.extend_from_slice(&(body.len() as u32).to_be_bytes());
        info.extend_from_slice(&body);
    }
    Ok(info)
}

/// The case of one resume point (see the module documentation of `rewrite`).
#[allow(clippy::too_many_arguments)]
fn build_case(
    class: &ClassFile,
    method: &MethodInfo,
    code: &CodeAttribute,
    boundaries: &[bool],
    point: &ResumePoint,
    label: &str,
    pool: &mut PoolBuilder,
    hooks: &Hooks,
) -> Result<Case, RewriteError> {
    let bci = point.bci;
    let frame = &point.frame;
    let mismatch = |detail: String| RewriteError::FrameMismatch {
        method: label.to_owned(),
        bci,
        detail,
    };
    let unsupported = |reason: String| RewriteError::Unsupported {
        method: label.to_owned(),
        bci,
        reason,
    };
    if !boundaries.get(bci as usize).copied().unwrap_or(false) {
        return Err(mismatch("not the start of an instruction".into()));
    }
    if frame.locals.len() != code.max_locals as usize {
        return Err(mismatch(format!(
            "{} local slots, max_locals is {}",
            frame.locals.len(),
            code.max_locals
        )));
    }
    // The types must be the ones this crate infers: the prologue and the
    // StackMapTable frame it adds are built from them, and a disagreement
    // would only show up later as a VerifyError when the class is loaded.
    let inferred = method_frame_types_at(class, method, bci)?;
    if inferred.locals != frame.locals || inferred.stack != frame.stack {
        return Err(mismatch(format!(
            "the types given are not the types inferred from the bytecode ({})",
            inferred.contract_encoding()
        )));
    }
    let opcode = code.code[bci as usize];
    if opcode == bytecode::INVOKEDYNAMIC {
        return Err(unsupported(
            "the pending call is an invokedynamic: its call site would be re-made with placeholder arguments".into(),
        ));
    }
    if bytecode::is_invoke(opcode) != frame.pending_call.is_some() {
        return Err(mismatch(
            "the pending call does not match the instruction".into(),
        ));
    }
    let constructor = method.name == "<init>" && class.this_class() != "java/lang/Object";
    for (slot, t) in values(&frame.locals) {
        match t {
            VType::Uninitialized(new_bci) => {
                return Err(unsupported(format!(
                    "local {slot} holds the uninitialized result of the new at {new_bci}"
                )))
            }
            VType::ReturnAddress(_) => {
                return Err(unsupported(format!("local {slot} holds a return address")))
            }
            VType::UninitializedThis if slot != 0 || !constructor => {
                return Err(unsupported(format!(
                    "local {slot} holds uninitializedThis outside slot 0 of a constructor"
                )))
            }
            _ => {}
        }
    }
    if constructor && frame.locals.first() != Some(&VType::UninitializedThis) {
        return Err(unsupported(
            "a constructor resumed after its super/this constructor call: only a constructor call can make `this` initialized".into(),
        ));
    }
    let arguments = frame.pending_call.as_ref().map_or(0, |c| c.arg_slots);
    if arguments > frame.stack.len() {
        return Err(mismatch(
            "the call takes more slots than the stack has".into(),
        ));
    }
    if let Some(bad) = frame
        .stack
        .iter()
        .find(|t| matches!(t, VType::ReturnAddress(_)))
    {
        return Err(unsupported(format!("the operand stack holds {bad:?}")));
    }
    if frame.stack.contains(&VType::UninitializedThis)
        && frame.locals.first() != Some(&VType::UninitializedThis)
    {
        return Err(unsupported(
            "uninitializedThis on the stack but not in local 0".into(),
        ));
    }
    let under_construction = frame
        .stack
        .iter()
        .any(|t| matches!(t, VType::Uninitialized(_)));

    let mut writer = CaseWriter {
        code: Vec::new(),
        height: 0,
        max_stack: 0,
        pool,
        hooks,
    };
    for step in point.steps() {
        match step {
            Step::Store { slot, vtype } => {
                writer.saved_value(vtype)?;
                writer.store(vtype, slot);
            }
            Step::Monitor(_) => {
                writer.call(hooks.reference_value, 1);
                writer.op(bytecode::MONITORENTER, 0, 1);
            }
            Step::Push { index, vtype } | Step::Receiver { index, vtype } => match vtype {
                VType::Top => return Err(mismatch("a Top slot on the operand stack".into())),
                VType::Uninitialized(new_bci) => {
                    // javac's `new X; dup`: the first copy is a fresh
                    // object, the second a dup of it.
                    let below = index.checked_sub(1).map(|i| &frame.stack[i]);
                    let above_twice = frame.stack[..index].iter().filter(|t| *t == vtype).count();
                    if below == Some(vtype) && above_twice == 1 {
                        writer.op(DUP, 1, 0);
                    } else if above_twice == 0 {
                        let new_at = *new_bci as usize;
                        if !boundaries.get(new_at).copied().unwrap_or(false)
                            || code.code[new_at] != bytecode::NEW
                        {
                            return Err(mismatch(format!(
                                "uninitialized slot names bci {new_bci}, which is not a new"
                            )));
                        }
                        writer.op(bytecode::NEW, 1, 0);
                        writer
                            .code
                            .extend_from_slice(&code.code[new_at + 1..new_at + 3]);
                    } else {
                        return Err(unsupported(format!(
                            "the object under construction of the new at {new_bci} is on the stack other than as `new; dup`"
                        )));
                    }
                }
                _ => writer.saved_value(vtype)?,
            },
            Step::Placeholder(vtype) => writer.placeholder(vtype)?,
        }
    }
    let (target, target_locals, target_stack, copy) = if under_construction {
        // The frame's stack holds objects whose constructor has not run: the
        // verifier ties their type to the `new` that made them, so the
        // prologue makes its own (`new X; dup` above) and runs its own copy
        // of the original code from the pending call up to the point where
        // no such object is left, then joins the original code there.
        let end = constructed_end(class, method, code, bci, &unsupported)?;
        let at_end = method_frame_types_at(class, method, end)?;
        let at = writer.code.len();
        writer
            .code
            .extend_from_slice(&code.code[bci as usize..end as usize]);
        let copy = CopiedCode {
            at,
            from: bci,
            to: end,
        };
        (end, at_end.locals, at_end.stack, Some(copy))
    } else {
        (bci, frame.locals.clone(), frame.stack.clone(), None)
    };
    writer.code.push(bytecode::GOTO_W);
    writer.code.extend_from_slice(&[0; 4]);
    Ok(Case {
        code: writer.code,
        target,
        target_locals,
        target_stack,
        max_stack: writer.max_stack.max(2),
        copy,
    })
}

/// The bci after the instruction, at or after `bci`, that leaves no object
/// under construction on the stack (the outermost constructor call). The
/// code up to there must run straight through: no branch, switch, return or
/// throw, so that a copy of it needs no relocation and no frames.
fn constructed_end(
    class: &ClassFile,
    method: &MethodInfo,
    code: &CodeAttribute,
    bci: u32,
    unsupported: &dyn Fn(String) -> RewriteError,
) -> Result<u32, RewriteError> {
    let mut at = bci as usize;
    loop {
        let opcode = code.code[at];
        let transfers = matches!(opcode, 153..=171 | 172..=177 | bytecode::ATHROW | 198..=201);
        if transfers {
            return Err(unsupported(format!(
                "an object under construction is on the stack and the code before its constructor call branches (opcode {opcode} at bci {at})"
            )));
        }
        let next = at + bytecode::instruction_length(&code.code, at)?;
        if next >= code.code.len() {
            return Err(unsupported(
                "the code ends before the constructor call".into(),
            ));
        }
        if next - bci as usize > MAX_COPIED_CODE {
            return Err(unsupported(format!(
                "the constructor call is more than {MAX_COPIED_CODE} bytes after the resume bci"
            )));
        }
        let types = method_frame_types_at(class, method, next as u32)?;
        let pending = |t: &VType| matches!(t, VType::Uninitialized(_));
        if !types.stack.iter().any(pending) && !types.locals.iter().any(pending) {
            return Ok(next as u32);
        }
        at = next;
    }
}

/// Copies a table of `u2 count` + `count` entries of `entry_size` bytes whose
/// first `u2` is a start_pc, adding `shift` to each start_pc.
fn shift_table(
    info: &[u8],
    entry_size: usize,
    shift: u32,
    label: &str,
    what: &str,
) -> Result<Vec<u8>, RewriteError> {
    let malformed = || RewriteError::Malformed {
        detail: format!("{label}: {what} length does not match its entry count"),
    };
    let count = match info {
        [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]) as usize,
        _ => return Err(malformed()),
    };
    if info.len() != 2 + count * entry_size {
        return Err(malformed());
    }
    let mut out = info.to_vec();
    for entry in 0..count {
        let at = 2 + entry * entry_size;
        let start = u16::from_be_bytes([out[at], out[at + 1]]) as u32 + shift;
        let start = u16::try_from(start).map_err(|_| malformed())?;
        out[at..at + 2].copy_from_slice(&start.to_be_bytes());
    }
    Ok(out)
}

/// Adds to the shifted LineNumberTable `table` the lines of each copy of
/// original code, so that a stack trace through a copy names the source
/// line of the code it copies.
fn copy_line_numbers(
    original: &[u8],
    table: &mut Vec<u8>,
    copies: &[(u32, u32, u32)],
    label: &str,
) -> Result<(), RewriteError> {
    if copies.is_empty() {
        return Ok(());
    }
    let entries: Vec<(u32, u16)> = original[2..]
        .chunks_exact(4)
        .map(|e| {
            (
                u16::from_be_bytes([e[0], e[1]]) as u32,
                u16::from_be_bytes([e[2], e[3]]),
            )
        })
        .collect();
    let mut added = Vec::new();
    for &(at, from, to) in copies {
        // The line in force at `from`, then every line starting inside.
        if let Some(&(_, line)) = entries
            .iter()
            .filter(|(pc, _)| *pc <= from)
            .max_by_key(|(pc, _)| *pc)
        {
            added.push((at, line));
        }
        for &(pc, line) in entries.iter().filter(|(pc, _)| from < *pc && *pc < to) {
            added.push((at + pc - from, line));
        }
    }
    let count =
        u16::try_from(entries.len() + added.len()).map_err(|_| RewriteError::Malformed {
            detail: format!("{label}: more than 65535 line numbers"),
        })?;
    table[..2].copy_from_slice(&count.to_be_bytes());
    for (pc, line) in added {
        table.extend_from_slice(&(pc as u16).to_be_bytes());
        table.extend_from_slice(&line.to_be_bytes());
    }
    Ok(())
}

/// The new StackMapTable: the original frames moved by `shift`, plus a full
/// frame at each case start, at the original code start and at each target.
fn stack_map_table(
    class: &ClassFile,
    method: &MethodInfo,
    code: &CodeAttribute,
    cases: &[Case],
    case_starts: &[usize],
    shift: u32,
    pool: &mut PoolBuilder,
) -> Result<Vec<u8>, RewriteError> {
    let initial = initial_frame(class, method)?;
    let initial_entries = entries_from_slots(&initial.locals, pool, 0, true)?;
    let mut frames = decode_original(&code.stack_map_frames()?, &initial_entries, shift)?;
    let mut added: Vec<TableFrame> = Vec::new();
    let entry_frame = |offset: u32| TableFrame {
        offset,
        locals: initial_entries.clone(),
        stack: Vec::new(),
        original: None,
    };
    for &start in case_starts {
        added.push(entry_frame(start as u32));
    }
    added.push(entry_frame(shift));
    for case in cases {
        added.push(TableFrame {
            offset: shift + case.target,
            locals: entries_from_slots(&case.target_locals, pool, shift, true)?,
            stack: entries_from_slots(&case.target_stack, pool, shift, false)?,
            original: None,
        });
    }
    for frame in added {
        // A frame the original table declares at the same offset wins: it
        // was checked equal to the resume point's types, and the original
        // code start keeps the frame javac put there (a loop at bci 0).
        if let Some(existing) = frames.iter().find(|f| f.offset == frame.offset) {
            if existing.original.is_none()
                && (existing.locals != frame.locals || existing.stack != frame.stack)
            {
                return Err(RewriteError::FrameMismatch {
                    method: format!(
                        "{}.{}{}",
                        class.this_class(),
                        method.name,
                        method.descriptor
                    ),
                    bci: frame.offset.saturating_sub(shift),
                    detail: "two resume points give this bci different types".into(),
                });
            }
            continue;
        }
        frames.push(frame);
    }
    frames.sort_by_key(|f| f.offset);
    encode_table(&frames, &initial_entries)
}
