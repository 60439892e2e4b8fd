//! ClassFileLoadHook during a restore: a class captured as `Initialized`
//! gets a `<clinit>` that only calls `io.portacr.restore.Resume.statics`
//! (`portacr_classfile::rewrite::replace_clinit`), so initializing it in the
//! target sets its statics from the image instead of running the
//! program's initializer a second time.
//!
//! The digest the restore compares with the image is computed on the
//! original bytes: the caller records them before asking here.

use portacr_classfile::rewrite::{replace_clinit, ResumeHooks};

use super::RestoreState;
use crate::jvmti::{sys, Jvmti, JvmtiError};
use crate::{log_debug, log_error};

/// The replacement class bytes for `name`, or `None` to keep the class as
/// loaded. A class that cannot be rewritten is recorded as a problem: the
/// Java side refuses the restore before initializing anything, because its
/// original `<clinit>` would run the program's code again.
pub fn rewrite_for_restore(state: &RestoreState, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
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
