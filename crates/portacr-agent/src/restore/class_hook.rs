//! ClassFileLoadHook during a restore: a class captured as `Initialized`
//! gets a `<clinit>` that only calls `io.portacr.restore.Resume.statics`
//! (`portacr_classfile::rewrite::replace_clinit`), so initializing it in the
//! target sets its statics from the image instead of running the
//! program's initializer a second time.
//!
//! A class with frames in the image's thread also gets resume prologues
//! (`portacr_classfile::rewrite::add_resume_prologues`, points and values
//! from `resume_plan.rs`), on top of the `<clinit>` replacement when both
//! apply. Frame types come from the original bytes (the class file the
//! checkpoint typed the frames from: the digests are compared). Once the top
//! frame has resumed, most classes keep these prologues (spec/restore.md
//! §7.3); a class whose prologues re-enter monitors is retransformed and
//! this hook is asked again; it then adds nothing, so it gets its original
//! code back.
//!
//! Every application class of a restored JVM, loaded during the restore or
//! after it, retransformed or redefined, reads `System.nanoTime()` through
//! `io.portacr.restore.Clock` (`redirect_static_calls`, applied last, on
//! top of the rest): the program's clock continues from its checkpoint
//! value (spec/restore.md §5).
//!
//! The digest the restore compares with the image is computed on the
//! original bytes: the caller records them before asking here.

use portacr_classfile::rewrite::{
    add_resume_prologues, redirect_static_calls, replace_clinit, MethodName, ResumeHooks,
};

use super::RestoreState;
use crate::jvmti::{sys, Jvmti, JvmtiError};
use crate::{log_debug, log_error, log_warn};

/// The replacement class bytes for `name`, or `None` to keep the class as
/// loaded. A class that cannot be rewritten is recorded as a problem: the
/// Java side refuses the restore before initializing anything, because its
/// original `<clinit>` would run the program's code again.
pub fn rewrite_for_restore(state: &RestoreState, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let rewritten = rewrite_frames_and_clinit(state, name, bytes);
    match with_program_clock(name, rewritten.as_deref().unwrap_or(bytes)) {
        Some(redirected) => Some(redirected),
        None => rewritten,
    }
}

/// A retransformation or redefinition in a restored JVM (the classes given
/// their original code back after the resumption among them): the class
/// keeps reading the program's clock, nothing else is added. A class that
/// had kept its prologues loses them here (another agent retransforming it,
/// say): from now on only its obsolete frames run them.
pub fn rewrite_redefined(state: &RestoreState, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    if let Some(targets) = state.resume.as_ref() {
        targets.forget_kept(name);
    }
    with_program_clock(name, bytes)
}

/// The program's `System.nanoTime()` (spec/restore.md §5).
const RAW_CLOCK: MethodName<'static> = ("java/lang/System", "nanoTime", "()J");
const PROGRAM_CLOCK: MethodName<'static> = ("io/portacr/restore/Clock", "nanoTime", "()J");

/// Packages of classes that keep the raw clock even when a class loader
/// object defines them: the JDK's (platform loader) and portacr's own
/// (`Clock` itself reads the raw clock).
const RAW_CLOCK_PACKAGES: [&str; 10] = [
    "java/", "javax/", "jdk/", "sun/", "com/sun/", "org/ietf/", "org/w3c/", "org/xml/",
    "io/portacr/", "org/crac/",
];

/// `bytes` with `System.nanoTime()` pointed at `Clock.nanoTime()` when the
/// class is an application class that reads it, else `None`. A class that
/// cannot be redirected keeps the raw clock (a warning, not a refusal: the
/// program still runs correctly, its clock only jumps back across the
/// restore).
fn with_program_clock(name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    if RAW_CLOCK_PACKAGES.iter().any(|p| name.starts_with(p)) {
        return None;
    }
    match redirect_static_calls(bytes, RAW_CLOCK, PROGRAM_CLOCK) {
        Ok(redirected) if redirected.as_slice() != bytes => {
            log_debug!("restore: System.nanoTime() of {name} reads the program's clock");
            Some(redirected)
        }
        Ok(_) => None,
        Err(e) => {
            log_warn!("restore: System.nanoTime() of {name} keeps this JVM's clock: {e}");
            None
        }
    }
}

/// The resume prologues and the `<clinit>` replacement, when they apply.
fn rewrite_frames_and_clinit(state: &RestoreState, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let clinit = replace_clinit_of(state, name, bytes);
    let Some(targets) = state.resume.as_ref().filter(|t| t.wants(name)) else {
        return clinit;
    };
    let points = match targets.points_for(&state.image, name, bytes) {
        Ok(points) => points,
        Err(e) => {
            log_error!("restore: cannot resume frames of {name}: {e}");
            state.class_problem(format!("cannot resume a frame: {e}"));
            return clinit;
        }
    };
    let base = clinit.as_deref().unwrap_or(bytes);
    match add_resume_prologues(base, &points, &ResumeHooks::default()) {
        Ok(rewritten) => {
            log_debug!("restore: {} resume point(s) added to {name}", points.len());
            targets.record_shifts(name, bytes, &rewritten);
            Some(rewritten)
        }
        Err(e) => {
            log_error!("restore: cannot add resume prologues to {name}: {e}");
            state.class_problem(format!("{}: resume prologue cannot be added ({e})", name.replace('/', ".")));
            clinit
        }
    }
}

/// The class with its `<clinit>` replaced, or `None` when it keeps it.
fn replace_clinit_of(state: &RestoreState, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    if !state.replaces_clinit_of(name) {
        return None;
    }
    match replace_clinit(bytes, &ResumeHooks::default()) {
        Ok(rewritten) if rewritten.as_slice() != bytes => {
            log_debug!("restore: <clinit> of {name} replaced");
            Some(rewritten)
        }
        Ok(_) => None, // no <clinit>: nothing would run
        Err(e) => {
            log_error!("restore: cannot replace <clinit> of {name}: {e}");
            state.class_problem(format!("{}: <clinit> cannot be replaced ({e})", name.replace('/', ".")));
            None
        }
    }
}

/// Copies `bytes` into memory from JVMTI `Allocate`, which is what the JVM
/// takes ownership of as `new_class_data` (JVMTI spec, ClassFileLoadHook).
pub fn jvmti_copy(jvmti: &Jvmti, bytes: &[u8]) -> Result<(*mut u8, i32), JvmtiError> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| JvmtiError::new("Allocate", sys::JVMTI_ERROR_ILLEGAL_ARGUMENT))?;
    let env = jvmti.raw();
    let mut memory: *mut u8 = std::ptr::null_mut();
    // SAFETY: env is a live JVMTI environment; Allocate writes a pointer to
    // `len` writable bytes or fails.
    let code = unsafe {
        match (**env).Allocate {
            Some(allocate) => allocate(env, i64::from(len), &mut memory),
            None => sys::JVMTI_ERROR_NOT_AVAILABLE,
        }
    };
    if code != sys::JVMTI_ERROR_NONE || memory.is_null() {
        return Err(JvmtiError::new("Allocate", code));
    }
    // SAFETY: memory holds len bytes (just allocated), bytes has len bytes,
    // and the two do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), memory, bytes.len()) };
    Ok((memory, len))
}
