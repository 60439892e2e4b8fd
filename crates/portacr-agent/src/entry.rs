//! The JVM's entry points into the agent: `Agent_OnLoad` and the JVMTI event
//! callbacks. Each only catches unwinds, converts its arguments and calls
//! the plain Rust in `agent.rs`; no panic crosses into the JVM. (The JNI
//! natives of `io.portacr.Native` are in `natives.rs`.)

use std::ffi::{c_char, c_uchar, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::sys::{jclass, jint, jobject, JNIEnv, JavaVM, JNI_ERR, JNI_OK};

use crate::agent;
use crate::jvmti::sys::{self, jthread, jvmtiEnv};
use crate::jvmti::{Jvmti, JvmtiError};

/// Loads the agent. On any problem prints one line and makes the JVM
/// refuse to start: a misconfigured checkpoint must not go unnoticed.
///
/// # Safety
/// Called by the JVM with a live `JavaVM` and a NUL-terminated option string
/// or null.
#[no_mangle]
pub unsafe extern "system" fn Agent_OnLoad(
    vm: *mut JavaVM,
    options: *mut c_char,
    _reserved: *mut c_void,
) -> jint {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: options is null or NUL-terminated (JVM contract).
        let options = (!options.is_null()).then(|| unsafe { CStr::from_ptr(options) });
        // SAFETY: vm is the live JavaVM given to Agent_OnLoad.
        unsafe { agent::on_load(vm, options) }
    }));
    match result {
        Ok(Ok(())) => JNI_OK,
        Ok(Err(e)) => {
            eprintln!("portacr: error: {e}");
            JNI_ERR
        }
        Err(_) => {
            eprintln!("portacr: error: internal error while loading the agent");
            JNI_ERR
        }
    }
}

/// Installs the callbacks below and enables VMInit, VMDeath and
/// ClassFileLoadHook.
pub(crate) fn enable_events(jvmti: &Jvmti) -> Result<(), JvmtiError> {
    // SAFETY: all-zero is "no callback" for every event (jvmti.h).
    let mut callbacks: sys::jvmtiEventCallbacks = unsafe { std::mem::zeroed() };
    callbacks.VMInit = Some(on_vm_init);
    callbacks.VMDeath = Some(on_vm_death);
    callbacks.ClassFileLoadHook = Some(on_class_file_load_hook);
    jvmti.set_event_callbacks(&callbacks)?;
    jvmti.set_event_enabled(sys::JVMTI_EVENT_VM_INIT, true)?;
    jvmti.set_event_enabled(sys::JVMTI_EVENT_VM_DEATH, true)?;
    jvmti.set_event_enabled(sys::JVMTI_EVENT_CLASS_FILE_LOAD_HOOK, true)?;
    Ok(())
}

unsafe extern "C" fn on_vm_init(_jvmti: *mut jvmtiEnv, jni: *mut JNIEnv, _thread: jthread) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the JNIEnv of the thread posting VMInit, valid during the callback.
        if let Ok(mut env) = unsafe { jni::JNIEnv::from_raw(jni) } {
            agent::on_vm_init(&mut env);
        }
    }));
}

unsafe extern "C" fn on_vm_death(_jvmti: *mut jvmtiEnv, _jni: *mut JNIEnv) {
    let _ = catch_unwind(agent::on_vm_death);
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_class_file_load_hook(
    _jvmti: *mut jvmtiEnv,
    _jni: *mut JNIEnv,
    class_being_redefined: jclass,
    loader: jobject,
    name: *const c_char,
    _protection_domain: jobject,
    class_data_len: jint,
    class_data: *const c_uchar,
    new_class_data_len: *mut jint,
    new_class_data: *mut *mut c_uchar,
) {
    if loader.is_null() || class_data.is_null() || class_data_len <= 0 {
        return;
    }
    let _ = catch_unwind(|| {
        // SAFETY: the JVM passes class_data_len readable bytes at class_data
        // and a NUL-terminated name or null, valid during the callback.
        let (bytes, name) = unsafe {
            (
                std::slice::from_raw_parts(class_data, class_data_len as usize),
                (!name.is_null()).then(|| CStr::from_ptr(name)),
            )
        };
        // SAFETY: the loader is a live local reference for the callback's duration.
        let loader = unsafe { jni::objects::JObject::from_raw(loader) };
        let Some(rewritten) =
            agent::on_class_file_load(&loader, name, bytes, !class_being_redefined.is_null())
        else {
            return;
        };
        let Some(agent) = agent::agent() else { return };
        if new_class_data.is_null() || new_class_data_len.is_null() {
            return;
        }
        match crate::restore::class_hook::jvmti_copy(&agent.jvmti, &rewritten) {
            // SAFETY: both out-pointers are non-null and valid during the
            // callback (JVMTI spec); the JVM frees the JVMTI-allocated bytes.
            Ok((data, len)) => unsafe {
                *new_class_data = data;
                *new_class_data_len = len;
            },
            Err(e) => crate::log_error!("restore: cannot hand a rewritten class to the JVM: {e}"),
        }
    });
}
