//! A thin safe layer over the raw JVMTI bindings in [`sys`].
//!
//! Every call returns `Result<_, JvmtiError>`; memory that JVMTI allocates
//! for its answers is owned by a [`JvmtiBuf`] and given back with
//! `Deallocate` on drop. Only the calls portacr uses are wrapped.
//!
//! JNI references returned by JVMTI (threads, classes, loaders) are JNI
//! *local* references of the calling thread: callers that loop over many of
//! them run the loop inside a JNI local frame (`JNIEnv::with_local_frame`).

#[allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    clippy::all
)]
pub mod sys;

use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::ptr;

use jni::objects::{JClass, JFieldID, JMethodID, JObject};
use jni::sys::{jboolean, jclass, jfieldID, jint, jlong, jmethodID, jobject, JavaVM, JNI_OK};

pub use sys::{jlocation, jthread, jvmtiCapabilities, jvmtiEventCallbacks, jvmtiFrameInfo};

/// A capability set with nothing in it.
pub fn no_capabilities() -> jvmtiCapabilities {
    // SAFETY: jvmtiCapabilities is a plain bitfield struct; all zero bits
    // mean "no capability" (jvmti.h).
    unsafe { std::mem::zeroed() }
}

/// A failed JVMTI call: which function, and the `jvmtiError` it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct JvmtiError {
    /// The JVMTI function, e.g. `"GetFrameCount"`.
    pub function: &'static str,
    /// The raw `jvmtiError` code.
    pub code: u32,
}

impl JvmtiError {
    #[cold]
    pub fn new(function: &'static str, code: u32) -> JvmtiError {
        JvmtiError { function, code }
    }

    /// The constant's name from jvmti.h, e.g. `JVMTI_ERROR_OPAQUE_FRAME`.
    pub fn name(&self) -> &'static str {
        error_name(self.code)
    }
}

impl fmt::Display for JvmtiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JVMTI {} failed: {} ({})",
            self.function,
            self.name(),
            self.code
        )
    }
}

/// Names of the `jvmtiError` codes (jvmti.h).
pub fn error_name(code: u32) -> &'static str {
    use sys::*;
    match code {
        JVMTI_ERROR_NONE => "JVMTI_ERROR_NONE",
        JVMTI_ERROR_INVALID_THREAD => "JVMTI_ERROR_INVALID_THREAD",
        JVMTI_ERROR_INVALID_THREAD_GROUP => "JVMTI_ERROR_INVALID_THREAD_GROUP",
        JVMTI_ERROR_INVALID_PRIORITY => "JVMTI_ERROR_INVALID_PRIORITY",
        JVMTI_ERROR_THREAD_NOT_SUSPENDED => "JVMTI_ERROR_THREAD_NOT_SUSPENDED",
        JVMTI_ERROR_THREAD_SUSPENDED => "JVMTI_ERROR_THREAD_SUSPENDED",
        JVMTI_ERROR_THREAD_NOT_ALIVE => "JVMTI_ERROR_THREAD_NOT_ALIVE",
        JVMTI_ERROR_INVALID_OBJECT => "JVMTI_ERROR_INVALID_OBJECT",
        JVMTI_ERROR_INVALID_CLASS => "JVMTI_ERROR_INVALID_CLASS",
        JVMTI_ERROR_CLASS_NOT_PREPARED => "JVMTI_ERROR_CLASS_NOT_PREPARED",
        JVMTI_ERROR_INVALID_METHODID => "JVMTI_ERROR_INVALID_METHODID",
        JVMTI_ERROR_INVALID_LOCATION => "JVMTI_ERROR_INVALID_LOCATION",
        JVMTI_ERROR_INVALID_FIELDID => "JVMTI_ERROR_INVALID_FIELDID",
        JVMTI_ERROR_INVALID_MODULE => "JVMTI_ERROR_INVALID_MODULE",
        JVMTI_ERROR_NO_MORE_FRAMES => "JVMTI_ERROR_NO_MORE_FRAMES",
        JVMTI_ERROR_OPAQUE_FRAME => "JVMTI_ERROR_OPAQUE_FRAME",
        JVMTI_ERROR_TYPE_MISMATCH => "JVMTI_ERROR_TYPE_MISMATCH",
        JVMTI_ERROR_INVALID_SLOT => "JVMTI_ERROR_INVALID_SLOT",
        JVMTI_ERROR_DUPLICATE => "JVMTI_ERROR_DUPLICATE",
        JVMTI_ERROR_NOT_FOUND => "JVMTI_ERROR_NOT_FOUND",
        JVMTI_ERROR_INVALID_MONITOR => "JVMTI_ERROR_INVALID_MONITOR",
        JVMTI_ERROR_NOT_MONITOR_OWNER => "JVMTI_ERROR_NOT_MONITOR_OWNER",
        JVMTI_ERROR_INTERRUPT => "JVMTI_ERROR_INTERRUPT",
        JVMTI_ERROR_INVALID_CLASS_FORMAT => "JVMTI_ERROR_INVALID_CLASS_FORMAT",
        JVMTI_ERROR_CIRCULAR_CLASS_DEFINITION => "JVMTI_ERROR_CIRCULAR_CLASS_DEFINITION",
        JVMTI_ERROR_FAILS_VERIFICATION => "JVMTI_ERROR_FAILS_VERIFICATION",
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_METHOD_ADDED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_METHOD_ADDED"
        }
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_SCHEMA_CHANGED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_SCHEMA_CHANGED"
        }
        JVMTI_ERROR_INVALID_TYPESTATE => "JVMTI_ERROR_INVALID_TYPESTATE",
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_HIERARCHY_CHANGED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_HIERARCHY_CHANGED"
        }
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_METHOD_DELETED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_METHOD_DELETED"
        }
        JVMTI_ERROR_UNSUPPORTED_VERSION => "JVMTI_ERROR_UNSUPPORTED_VERSION",
        JVMTI_ERROR_NAMES_DONT_MATCH => "JVMTI_ERROR_NAMES_DONT_MATCH",
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_CLASS_MODIFIERS_CHANGED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_CLASS_MODIFIERS_CHANGED"
        }
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_METHOD_MODIFIERS_CHANGED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_METHOD_MODIFIERS_CHANGED"
        }
        JVMTI_ERROR_UNSUPPORTED_REDEFINITION_CLASS_ATTRIBUTE_CHANGED => {
            "JVMTI_ERROR_UNSUPPORTED_REDEFINITION_CLASS_ATTRIBUTE_CHANGED"
        }
        JVMTI_ERROR_UNSUPPORTED_OPERATION => "JVMTI_ERROR_UNSUPPORTED_OPERATION",
        JVMTI_ERROR_UNMODIFIABLE_CLASS => "JVMTI_ERROR_UNMODIFIABLE_CLASS",
        JVMTI_ERROR_UNMODIFIABLE_MODULE => "JVMTI_ERROR_UNMODIFIABLE_MODULE",
        JVMTI_ERROR_NOT_AVAILABLE => "JVMTI_ERROR_NOT_AVAILABLE",
        JVMTI_ERROR_MUST_POSSESS_CAPABILITY => "JVMTI_ERROR_MUST_POSSESS_CAPABILITY",
        JVMTI_ERROR_NULL_POINTER => "JVMTI_ERROR_NULL_POINTER",
        JVMTI_ERROR_ABSENT_INFORMATION => "JVMTI_ERROR_ABSENT_INFORMATION",
        JVMTI_ERROR_INVALID_EVENT_TYPE => "JVMTI_ERROR_INVALID_EVENT_TYPE",
        JVMTI_ERROR_ILLEGAL_ARGUMENT => "JVMTI_ERROR_ILLEGAL_ARGUMENT",
        JVMTI_ERROR_NATIVE_METHOD => "JVMTI_ERROR_NATIVE_METHOD",
        JVMTI_ERROR_CLASS_LOADER_UNSUPPORTED => "JVMTI_ERROR_CLASS_LOADER_UNSUPPORTED",
        JVMTI_ERROR_OUT_OF_MEMORY => "JVMTI_ERROR_OUT_OF_MEMORY",
        JVMTI_ERROR_ACCESS_DENIED => "JVMTI_ERROR_ACCESS_DENIED",
        JVMTI_ERROR_WRONG_PHASE => "JVMTI_ERROR_WRONG_PHASE",
        JVMTI_ERROR_INTERNAL => "JVMTI_ERROR_INTERNAL",
        JVMTI_ERROR_UNATTACHED_THREAD => "JVMTI_ERROR_UNATTACHED_THREAD",
        JVMTI_ERROR_INVALID_ENVIRONMENT => "JVMTI_ERROR_INVALID_ENVIRONMENT",
        _ => "JVMTI_ERROR_(unknown)",
    }
}

/// Memory JVMTI allocated for an answer (an array of `len` elements), given
/// back with `Deallocate` when dropped.
pub struct JvmtiBuf<T> {
    env: *mut sys::jvmtiEnv,
    ptr: *mut T,
    len: usize,
}

impl<T> JvmtiBuf<T> {
    /// # Safety
    /// `ptr` must be null or memory JVMTI allocated in `env` holding `len`
    /// initialized elements of `T`.
    unsafe fn from_raw(env: *mut sys::jvmtiEnv, ptr: *mut T, len: jint) -> JvmtiBuf<T> {
        JvmtiBuf {
            env,
            ptr,
            len: if ptr.is_null() {
                0
            } else {
                len.max(0) as usize
            },
        }
    }

    pub fn as_slice(&self) -> &[T] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: from_raw's contract: ptr holds len initialized elements
        // and lives until Deallocate in drop.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl JvmtiBuf<jobject> {
    /// The references as `JObject`s (threads, classes).
    pub fn objects<'local>(&self) -> impl Iterator<Item = JObject<'local>> + '_ {
        // SAFETY: JVMTI filled the buffer with local references it created.
        self.as_slice()
            .iter()
            .map(|&raw| unsafe { JObject::from_raw(raw) })
    }
}

impl JvmtiBuf<jfieldID> {
    /// The field ids as `JFieldID`s.
    pub fn field_ids(&self) -> impl Iterator<Item = JFieldID> + '_ {
        // SAFETY: JVMTI filled the buffer with valid field ids.
        self.as_slice()
            .iter()
            .map(|&raw| unsafe { JFieldID::from_raw(raw) })
    }
}

/// The raw thread argument of JVMTI: null means the calling thread.
fn thread_or_current(thread: Option<&JObject>) -> jthread {
    thread.map_or(ptr::null_mut(), |t| t.as_raw())
}

impl<T> std::ops::Deref for JvmtiBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> Drop for JvmtiBuf<T> {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: ptr was allocated by this JVMTI environment and is not
            // used after this point. A Deallocate failure cannot be handled
            // usefully in drop and is ignored.
            unsafe { deallocate(self.env, self.ptr.cast()) };
        }
    }
}

/// Gives back one JVMTI allocation.
///
/// # Safety
/// `mem` must be null or memory allocated by `env`, not used afterwards.
unsafe fn deallocate(env: *mut sys::jvmtiEnv, mem: *mut u8) {
    if mem.is_null() {
        return;
    }
    // SAFETY: env is a live JVMTI environment (caller's contract); the
    // function table of a live environment is never null.
    unsafe {
        if let Some(f) = (**env).Deallocate {
            f(env, mem);
        }
    }
}

/// Takes ownership of a JVMTI-allocated modified-UTF-8 string and converts
/// it. Null gives an empty string.
///
/// # Safety
/// `s` must be null or a NUL-terminated string allocated by `env`.
unsafe fn take_string(env: *mut sys::jvmtiEnv, s: *mut c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: s is NUL-terminated (caller's contract).
    let text = decode_modified_utf8(unsafe { CStr::from_ptr(s) }.to_bytes());
    // SAFETY: s came from this environment and is not used afterwards.
    unsafe { deallocate(env, s.cast()) };
    text
}

/// JVMTI and JNI strings are modified UTF-8 (CESU-8 with NUL as C0 80).
pub fn decode_modified_utf8(bytes: &[u8]) -> String {
    match cesu8::from_java_cesu8(bytes) {
        Ok(text) => text.into_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Thread facts from `GetThreadInfo`. The group and the context loader are
/// JNI local references of the calling thread.
#[derive(Debug)]
pub struct ThreadInfo<'local> {
    pub name: String,
    pub priority: i32,
    pub is_daemon: bool,
    pub thread_group: JObject<'local>,
    pub context_class_loader: JObject<'local>,
}

/// Thread group facts from `GetThreadGroupInfo`; `parent` is a JNI local
/// reference (null for the top group, "system").
#[derive(Debug)]
pub struct ThreadGroupInfo<'local> {
    pub parent: JObject<'local>,
    pub name: String,
    pub max_priority: i32,
    pub is_daemon: bool,
}

/// A JVMTI environment. The pointer stays valid for the life of the VM and
/// JVMTI functions may be called from any thread attached to it, so the
/// handle is freely copied and shared.
#[derive(Debug, Clone, Copy)]
pub struct Jvmti {
    env: *mut sys::jvmtiEnv,
}

// SAFETY: a jvmtiEnv is usable from every thread (JVMTI spec, "Environments").
unsafe impl Send for Jvmti {}
// SAFETY: as above; the environment has no thread affinity.
unsafe impl Sync for Jvmti {}

/// Calls a JVMTI function through the environment's function table and
/// turns its `jvmtiError` into a `Result`.
macro_rules! jvmti_call {
    ($self:ident, $name:ident $(, $arg:expr)* $(,)?) => {{
        let env = $self.env;
        // SAFETY (for the callers of this macro): env is a live JVMTI
        // environment whose function table is filled for the JVM's version;
        // a missing entry is reported as an error, not called.
        let code = match unsafe { (**env).$name } {
            Some(f) => unsafe { f(env $(, $arg)*) },
            None => sys::JVMTI_ERROR_NOT_AVAILABLE,
        };
        if code == sys::JVMTI_ERROR_NONE {
            Ok(())
        } else {
            Err(JvmtiError::new(stringify!($name), code))
        }
    }};
}

impl Jvmti {
    /// Gets a JVMTI environment of `version` (e.g. `JVMTI_VERSION_11`) from
    /// the VM.
    ///
    /// # Safety
    /// `vm` must be the live `JavaVM` pointer given to `Agent_OnLoad`.
    pub unsafe fn from_vm(vm: *mut JavaVM, version: u32) -> Result<Jvmti, jint> {
        let mut env: *mut std::ffi::c_void = ptr::null_mut();
        // SAFETY: vm is live (caller's contract); GetEnv writes env or fails.
        let result = unsafe {
            match (**vm).GetEnv {
                Some(get_env) => get_env(vm, &mut env, version as jint),
                None => jni::sys::JNI_ERR,
            }
        };
        if result != JNI_OK || env.is_null() {
            return Err(result);
        }
        Ok(Jvmti { env: env.cast() })
    }

    pub fn raw(&self) -> *mut sys::jvmtiEnv {
        self.env
    }

    pub fn potential_capabilities(&self) -> Result<jvmtiCapabilities, JvmtiError> {
        let mut caps = no_capabilities();
        jvmti_call!(self, GetPotentialCapabilities, &mut caps)?;
        Ok(caps)
    }

    pub fn add_capabilities(&self, caps: &jvmtiCapabilities) -> Result<(), JvmtiError> {
        jvmti_call!(self, AddCapabilities, caps)
    }

    pub fn set_event_callbacks(&self, callbacks: &jvmtiEventCallbacks) -> Result<(), JvmtiError> {
        let size = std::mem::size_of::<jvmtiEventCallbacks>() as jint;
        jvmti_call!(self, SetEventCallbacks, callbacks, size)
    }

    /// Enables or disables an event for all threads.
    pub fn set_event_enabled(
        &self,
        event: sys::jvmtiEvent,
        enabled: bool,
    ) -> Result<(), JvmtiError> {
        let mode = if enabled {
            sys::JVMTI_ENABLE
        } else {
            sys::JVMTI_DISABLE
        };
        jvmti_call!(
            self,
            SetEventNotificationMode,
            mode,
            event,
            ptr::null_mut::<jni::sys::_jobject>()
        )
    }

    pub fn add_to_bootstrap_class_loader_search(&self, path: &str) -> Result<(), JvmtiError> {
        let path = CString::new(path).map_err(|_| {
            JvmtiError::new(
                "AddToBootstrapClassLoaderSearch",
                sys::JVMTI_ERROR_ILLEGAL_ARGUMENT,
            )
        })?;
        jvmti_call!(self, AddToBootstrapClassLoaderSearch, path.as_ptr())
    }

    pub fn add_module_opens(
        &self,
        module: &JObject,
        package: &CStr,
        to_module: &JObject,
    ) -> Result<(), JvmtiError> {
        jvmti_call!(
            self,
            AddModuleOpens,
            module.as_raw(),
            package.as_ptr(),
            to_module.as_raw()
        )
    }

    pub fn add_module_exports(
        &self,
        module: &JObject,
        package: &CStr,
        to_module: &JObject,
    ) -> Result<(), JvmtiError> {
        jvmti_call!(
            self,
            AddModuleExports,
            module.as_raw(),
            package.as_ptr(),
            to_module.as_raw()
        )
    }

    /// All live threads, as JNI local references.
    pub fn all_threads(&self) -> Result<JvmtiBuf<jthread>, JvmtiError> {
        let mut count: jint = 0;
        let mut threads: *mut jthread = ptr::null_mut();
        jvmti_call!(self, GetAllThreads, &mut count, &mut threads)?;
        // SAFETY: JVMTI allocated `count` thread references at `threads`.
        Ok(unsafe { JvmtiBuf::from_raw(self.env, threads, count) })
    }

    pub fn thread_info<'local>(&self, thread: &JObject) -> Result<ThreadInfo<'local>, JvmtiError> {
        let mut info = std::mem::MaybeUninit::<sys::jvmtiThreadInfo>::zeroed();
        jvmti_call!(self, GetThreadInfo, thread.as_raw(), info.as_mut_ptr())?;
        // SAFETY: GetThreadInfo succeeded and filled every field.
        let info = unsafe { info.assume_init() };
        Ok(ThreadInfo {
            // SAFETY: info.name was allocated by this environment.
            name: unsafe { take_string(self.env, info.name) },
            priority: info.priority,
            is_daemon: info.is_daemon != 0,
            // SAFETY: local references GetThreadInfo just created (or null).
            thread_group: unsafe { JObject::from_raw(info.thread_group) },
            // SAFETY: as above.
            context_class_loader: unsafe { JObject::from_raw(info.context_class_loader) },
        })
    }

    pub fn thread_group_info<'local>(
        &self,
        group: &JObject,
    ) -> Result<ThreadGroupInfo<'local>, JvmtiError> {
        let mut info = std::mem::MaybeUninit::<sys::jvmtiThreadGroupInfo>::zeroed();
        jvmti_call!(self, GetThreadGroupInfo, group.as_raw(), info.as_mut_ptr())?;
        // SAFETY: GetThreadGroupInfo succeeded and filled every field.
        let info = unsafe { info.assume_init() };
        Ok(ThreadGroupInfo {
            // SAFETY: a local reference GetThreadGroupInfo just created (or null).
            parent: unsafe { JObject::from_raw(info.parent) },
            // SAFETY: info.name was allocated by this environment.
            name: unsafe { take_string(self.env, info.name) },
            max_priority: info.max_priority,
            is_daemon: info.is_daemon != 0,
        })
    }

    /// The calling thread, as a JNI local reference.
    pub fn current_thread<'local>(&self) -> Result<JObject<'local>, JvmtiError> {
        let mut thread: jthread = ptr::null_mut();
        jvmti_call!(self, GetCurrentThread, &mut thread)?;
        // SAFETY: a local reference GetCurrentThread just created.
        Ok(unsafe { JObject::from_raw(thread) })
    }

    /// JVMTI thread state bits (`JVMTI_THREAD_STATE_*`).
    pub fn thread_state(&self, thread: &JObject) -> Result<u32, JvmtiError> {
        let mut state: jint = 0;
        jvmti_call!(self, GetThreadState, thread.as_raw(), &mut state)?;
        Ok(state as u32)
    }

    /// Number of frames of a thread; `None` means the current thread.
    pub fn frame_count(&self, thread: Option<&JObject>) -> Result<i32, JvmtiError> {
        let mut count: jint = 0;
        jvmti_call!(self, GetFrameCount, thread_or_current(thread), &mut count)?;
        Ok(count)
    }

    /// Method and bci of the frame at `depth` (0 = top).
    pub fn frame_location(
        &self,
        thread: Option<&JObject>,
        depth: i32,
    ) -> Result<(JMethodID, jlocation), JvmtiError> {
        let mut method: jmethodID = ptr::null_mut();
        let mut location: jlocation = 0;
        jvmti_call!(
            self,
            GetFrameLocation,
            thread_or_current(thread),
            depth,
            &mut method,
            &mut location
        )?;
        // SAFETY: a method id JVMTI just returned.
        Ok((unsafe { JMethodID::from_raw(method) }, location))
    }

    /// Up to `max` frames starting at `start_depth`, top first.
    pub fn stack_trace(
        &self,
        thread: Option<&JObject>,
        start_depth: i32,
        max: usize,
    ) -> Result<Vec<jvmtiFrameInfo>, JvmtiError> {
        let mut frames: Vec<jvmtiFrameInfo> = Vec::with_capacity(max);
        let mut count: jint = 0;
        jvmti_call!(
            self,
            GetStackTrace,
            thread_or_current(thread),
            start_depth,
            max as jint,
            frames.as_mut_ptr(),
            &mut count
        )?;
        // SAFETY: GetStackTrace wrote `count` (<= max) frames into the buffer.
        unsafe { frames.set_len((count.max(0) as usize).min(max)) };
        Ok(frames)
    }

    pub fn max_locals(&self, method: JMethodID) -> Result<i32, JvmtiError> {
        let mut max: jint = 0;
        jvmti_call!(self, GetMaxLocals, method.into_raw(), &mut max)?;
        Ok(max)
    }

    /// Reverts escape-analysis optimizations in the compiled frames of every
    /// thread: scalar-replaced objects are reallocated and eliminated locks
    /// relocked, and the frames' values are kept as JVMTI deferred updates
    /// that `javaVFrame::locals/expressions/monitors` (and so
    /// `LiveStackFrame`) read.
    ///
    /// How: `FollowReferences` from the heap roots with no heap filter puts
    /// up HotSpot's `EscapeBarrier` over all threads before it walks
    /// (`JvmtiTagMap::follow_references`, checked in the sources of JDK 17,
    /// 21 and 25); the walk itself is stopped at the first root. Unlike
    /// `GetLocalObject` this needs only `can_tag_objects`, which does not
    /// make C2 keep dead locals alive; C2 still records which safepoints
    /// have non-escaping objects in scope because `can_tag_objects` sets
    /// `JvmtiExport::can_walk_any_space` (escape.cpp, "Annotate at
    /// safepoints").
    pub fn revert_escape_analysis(&self) -> Result<(), JvmtiError> {
        /// Answers the first reference reported (a root) with "abort": the
        /// barrier has done its work before the walk starts.
        unsafe extern "C" fn abort_walk(
            _kind: sys::jvmtiHeapReferenceKind,
            _info: *const sys::jvmtiHeapReferenceInfo,
            _class_tag: jlong,
            _referrer_class_tag: jlong,
            _size: jlong,
            _tag: *mut jlong,
            _referrer_tag: *mut jlong,
            _length: jint,
            _user_data: *mut std::ffi::c_void,
        ) -> jint {
            sys::JVMTI_VISIT_ABORT as jint
        }
        // SAFETY: all-zero is "no callback" for every member (jvmti.h).
        let mut callbacks: sys::jvmtiHeapCallbacks = unsafe { std::mem::zeroed() };
        callbacks.heap_reference_callback = Some(abort_walk);
        jvmti_call!(
            self,
            FollowReferences,
            0, // no heap filter: JVMTI_HEAP_FILTER_UNTAGGED would skip the barrier
            ptr::null_mut(),
            ptr::null_mut(), // from the roots: an initial object would skip it too
            &callbacks,
            ptr::null()
        )
    }

    /// A method's name and descriptor.
    pub fn method_name(&self, method: JMethodID) -> Result<(String, String), JvmtiError> {
        let mut name: *mut c_char = ptr::null_mut();
        let mut signature: *mut c_char = ptr::null_mut();
        jvmti_call!(
            self,
            GetMethodName,
            method.into_raw(),
            &mut name,
            &mut signature,
            ptr::null_mut::<*mut c_char>()
        )?;
        // SAFETY: both strings were allocated by this environment.
        Ok(unsafe {
            (
                take_string(self.env, name),
                take_string(self.env, signature),
            )
        })
    }

    pub fn method_declaring_class<'local>(
        &self,
        method: JMethodID,
    ) -> Result<JClass<'local>, JvmtiError> {
        let mut class: jclass = ptr::null_mut();
        jvmti_call!(self, GetMethodDeclaringClass, method.into_raw(), &mut class)?;
        // SAFETY: a local reference JVMTI just created.
        Ok(unsafe { JClass::from_raw(class) })
    }

    pub fn is_method_native(&self, method: JMethodID) -> Result<bool, JvmtiError> {
        let mut native: jboolean = 0;
        jvmti_call!(self, IsMethodNative, method.into_raw(), &mut native)?;
        Ok(native != 0)
    }

    /// A class's JVM type signature, e.g. `Ljava/lang/String;` or `[I`.
    pub fn class_signature(&self, class: &JClass) -> Result<String, JvmtiError> {
        let mut signature: *mut c_char = ptr::null_mut();
        jvmti_call!(
            self,
            GetClassSignature,
            class.as_raw(),
            &mut signature,
            ptr::null_mut::<*mut c_char>()
        )?;
        // SAFETY: the string was allocated by this environment.
        Ok(unsafe { take_string(self.env, signature) })
    }

    /// All loaded classes, as JNI local references.
    pub fn loaded_classes(&self) -> Result<JvmtiBuf<jclass>, JvmtiError> {
        let mut count: jint = 0;
        let mut classes: *mut jclass = ptr::null_mut();
        jvmti_call!(self, GetLoadedClasses, &mut count, &mut classes)?;
        // SAFETY: JVMTI allocated `count` class references at `classes`.
        Ok(unsafe { JvmtiBuf::from_raw(self.env, classes, count) })
    }

    pub fn class_fields(&self, class: &JClass) -> Result<JvmtiBuf<jfieldID>, JvmtiError> {
        let mut count: jint = 0;
        let mut fields: *mut jfieldID = ptr::null_mut();
        jvmti_call!(
            self,
            GetClassFields,
            class.as_raw(),
            &mut count,
            &mut fields
        )?;
        // SAFETY: JVMTI allocated `count` field ids at `fields`.
        Ok(unsafe { JvmtiBuf::from_raw(self.env, fields, count) })
    }

    /// A field's name and descriptor.
    pub fn field_name(
        &self,
        class: &JClass,
        field: JFieldID,
    ) -> Result<(String, String), JvmtiError> {
        let mut name: *mut c_char = ptr::null_mut();
        let mut signature: *mut c_char = ptr::null_mut();
        jvmti_call!(
            self,
            GetFieldName,
            class.as_raw(),
            field.into_raw(),
            &mut name,
            &mut signature,
            ptr::null_mut::<*mut c_char>()
        )?;
        // SAFETY: both strings were allocated by this environment.
        Ok(unsafe {
            (
                take_string(self.env, name),
                take_string(self.env, signature),
            )
        })
    }

    pub fn field_modifiers(&self, class: &JClass, field: JFieldID) -> Result<i32, JvmtiError> {
        let mut modifiers: jint = 0;
        jvmti_call!(
            self,
            GetFieldModifiers,
            class.as_raw(),
            field.into_raw(),
            &mut modifiers
        )?;
        Ok(modifiers)
    }

    pub fn class_status(&self, class: &JClass) -> Result<i32, JvmtiError> {
        let mut status: jint = 0;
        jvmti_call!(self, GetClassStatus, class.as_raw(), &mut status)?;
        Ok(status)
    }

    pub fn class_modifiers(&self, class: &JClass) -> Result<i32, JvmtiError> {
        let mut modifiers: jint = 0;
        jvmti_call!(self, GetClassModifiers, class.as_raw(), &mut modifiers)?;
        Ok(modifiers)
    }

    /// The defining loader of a class, a JNI local reference; null for the
    /// boot loader.
    pub fn class_loader<'local>(&self, class: &JClass) -> Result<JObject<'local>, JvmtiError> {
        let mut loader: jobject = ptr::null_mut();
        jvmti_call!(self, GetClassLoader, class.as_raw(), &mut loader)?;
        // SAFETY: a local reference GetClassLoader just created (or null).
        Ok(unsafe { JObject::from_raw(loader) })
    }

    pub fn tag(&self, object: &JObject) -> Result<i64, JvmtiError> {
        let mut tag: jlong = 0;
        jvmti_call!(self, GetTag, object.as_raw(), &mut tag)?;
        Ok(tag)
    }

    pub fn set_tag(&self, object: &JObject, tag: i64) -> Result<(), JvmtiError> {
        jvmti_call!(self, SetTag, object.as_raw(), tag)
    }

    pub fn phase(&self) -> Result<u32, JvmtiError> {
        let mut phase: sys::jvmtiPhase = 0;
        jvmti_call!(self, GetPhase, &mut phase)?;
        Ok(phase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_names_function_and_code() {
        let err = JvmtiError::new("GetFrameCount", sys::JVMTI_ERROR_THREAD_NOT_ALIVE);
        assert_eq!(
            err.to_string(),
            "JVMTI GetFrameCount failed: JVMTI_ERROR_THREAD_NOT_ALIVE (15)"
        );
        assert_eq!(error_name(9999), "JVMTI_ERROR_(unknown)");
    }

    #[test]
    fn modified_utf8_decoding() {
        assert_eq!(
            decode_modified_utf8(b"java/lang/String"),
            "java/lang/String"
        );
        // NUL is C0 80 in modified UTF-8.
        assert_eq!(decode_modified_utf8(&[b'a', 0xC0, 0x80, b'b']), "a\0b");
        // U+1F600 as a surrogate pair, each encoded in 3 bytes.
        assert_eq!(
            decode_modified_utf8(&[0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]),
            "\u{1F600}"
        );
    }

    #[test]
    fn capabilities_bitfields_are_lsb_first() {
        // can_tag_objects is the first bit of the first word: the same on
        // x86_64 and aarch64 (both pack C bitfields from the LSB).
        let mut caps = no_capabilities();
        caps.set_can_tag_objects(1);
        // SAFETY: jvmtiCapabilities is plain old data of 16 bytes.
        let bytes: [u8; 16] = unsafe { std::mem::transmute(caps) };
        assert_eq!(bytes[0], 1);
        assert_eq!(std::mem::size_of::<jvmtiCapabilities>(), 16);
    }
}
