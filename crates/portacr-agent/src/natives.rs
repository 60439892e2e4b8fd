//! The JNI natives of `io.portacr.Native` (spec/contracts.md §9), bound with
//! `RegisterNatives` at VMInit.
//!
//! Each function only converts arguments and results and calls into
//! `capture/` or the agent state. [`guard`] catches panics and turns every
//! error into an `IllegalStateException` with a one-line message, so no
//! native can crash the JVM.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use jni::objects::{JByteArray, JClass, JObject, JString};
use jni::sys::{
    jboolean, jbyteArray, jint, jlong, jobject, jobjectArray, jstring, JNI_FALSE, JNI_TRUE,
};
use jni::{JNIEnv, NativeMethod};

use crate::agent::{agent, Agent};
use crate::capture::{classes, frame_types, threads, CaptureError};
use crate::log::LogLevel;
use crate::path_pattern::PatternContext;
use crate::platform;

/// Runs `body` with the agent; on error throws `IllegalStateException`
/// (unless a Java exception is already pending) and returns `fallback`.
fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    fallback: T,
    body: impl FnOnce(&'static Agent, &mut JNIEnv<'local>) -> Result<T, CaptureError>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(|| match agent() {
        Some(agent) => body(agent, env),
        None => Err(CaptureError::NotLoaded),
    }));
    let message = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(CaptureError::Jni(jni::errors::Error::JavaException))) => return fallback,
        Ok(Err(e)) => e.to_string(),
        Err(_) => "internal error in the portacr agent (panic)".to_owned(),
    };
    if !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new(
            "java/lang/IllegalStateException",
            message.replace('\n', " "),
        );
    }
    fallback
}

fn to_jboolean(value: bool) -> jboolean {
    if value {
        JNI_TRUE
    } else {
        JNI_FALSE
    }
}

fn new_jstring(env: &mut JNIEnv, text: Option<String>) -> Result<jstring, CaptureError> {
    match text {
        Some(text) => Ok(env.new_string(text)?.into_raw()),
        None => Ok(std::ptr::null_mut()),
    }
}

/// Configured means a destination was given *and* every native is bound:
/// registration stops at the first failure, so a half-registered class must
/// not report itself usable.
extern "system" fn is_configured(mut env: JNIEnv, _: JClass) -> jboolean {
    guard(&mut env, JNI_FALSE, |agent, _| {
        let registered = agent
            .natives_registered
            .load(std::sync::atomic::Ordering::Acquire);
        Ok(to_jboolean(
            agent.options.checkpoint_to.is_some() && registered,
        ))
    })
}

extern "system" fn keep_running(mut env: JNIEnv, _: JClass) -> jboolean {
    guard(&mut env, JNI_FALSE, |agent, _| {
        Ok(to_jboolean(agent.options.keep_running))
    })
}

extern "system" fn generation(mut env: JNIEnv, _: JClass) -> jint {
    guard(&mut env, 0, |agent, _| Ok(agent.generation.load(Ordering::SeqCst) as jint))
}

extern "system" fn boot_time_millis(mut env: JNIEnv, _: JClass) -> jlong {
    guard(&mut env, 0, |agent, _| Ok(agent.boot_time_ms))
}

extern "system" fn restore_time_millis(mut env: JNIEnv, _: JClass) -> jlong {
    guard(&mut env, 0, |agent, _| Ok(agent.restore_time_ms))
}

extern "system" fn cpu_features(mut env: JNIEnv, _: JClass) -> jlong {
    guard(&mut env, 0, |_, _| Ok(platform::cpu_features() as jlong))
}

extern "system" fn log(mut env: JNIEnv, _: JClass, level: jint, message: JString) {
    guard(&mut env, (), |_, env| {
        let level = LogLevel::from_number(level);
        if crate::log::enabled(level) && !message.is_null() {
            let text: String = env.get_string(&message)?.into();
            crate::log::write(level, format_args!("{text}"));
        }
        Ok(())
    })
}

extern "system" fn other_threads_error(mut env: JNIEnv, _: JClass) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |agent, env| {
        let message = threads::other_threads_error(agent, env)?;
        new_jstring(env, message)
    })
}

/// `VM.stringtable -verbose` run straight through the JDK's diagnostic
/// command object (`com.sun.management.internal.DiagnosticCommandImpl`, same
/// names on 17, 21 and 25; JNI ignores that the method is private), not
/// through the platform MBean server, whose first use in a JVM costs 60 ms on
/// JDK 17 and 150 ms on JDK 25 and registers every platform MBean in a
/// program that may never use JMX. Null when that object or command is
/// unavailable (the caller then goes through the MBean server).
extern "system" fn string_table_dump(mut env: JNIEnv, _: JClass) -> jstring {
    let run = |env: &mut JNIEnv| -> Result<jstring, jni::errors::Error> {
        let class = env.find_class("com/sun/management/internal/DiagnosticCommandImpl")?;
        let mbean = env
            .call_static_method(&class, "getDiagnosticCommandMBean", "()Lcom/sun/management/DiagnosticCommandMBean;", &[])?
            .l()?;
        if mbean.is_null() {
            return Ok(std::ptr::null_mut());
        }
        let command = env.new_string("VM.stringtable -verbose")?;
        let out = env
            .call_method(&mbean, "executeDiagnosticCommand", "(Ljava/lang/String;)Ljava/lang/String;", &[(&command).into()])?
            .l()?;
        Ok(out.into_raw())
    };
    guard(&mut env, std::ptr::null_mut(), |_, env| match run(env) {
        Ok(dump) => Ok(dump),
        Err(e) => {
            if env.exception_check().unwrap_or(false) {
                let _ = env.exception_clear();
            }
            crate::log_debug!("VM.stringtable through the diagnostic command object failed ({e}); using the MBean server");
            Ok(std::ptr::null_mut())
        }
    })
}

/// The strings of a `VM.stringtable -verbose` listing
/// ([`crate::capture::string_table`]), or null if it does not parse.
extern "system" fn parse_string_table(mut env: JNIEnv, _: JClass, dump: JString) -> jobjectArray {
    guard(&mut env, std::ptr::null_mut(), |_, env| {
        if dump.is_null() {
            return Ok(std::ptr::null_mut());
        }
        let text: String = env.get_string(&dump)?.into();
        let Some(strings) = crate::capture::string_table::parse_listing(&text) else {
            return Ok(std::ptr::null_mut());
        };
        let array = env.new_object_array(strings.len() as i32, "java/lang/String", JObject::null())?;
        let raw_env = env.get_raw();
        for (i, units) in strings.iter().enumerate() {
            // SAFETY: raw_env is this thread's live JNIEnv; NewString copies
            // exactly units.len() UTF-16 units from the live slice.
            let string = unsafe {
                let new_string = (**raw_env)
                    .NewString
                    .ok_or_else(|| CaptureError::State("JNI has no NewString".into()))?;
                new_string(raw_env, units.as_ptr(), units.len() as i32)
            };
            if string.is_null() {
                return Err(CaptureError::Jni(jni::errors::Error::JavaException));
            }
            // SAFETY: a local reference NewString just returned.
            let string = unsafe { JObject::from_raw(string) };
            env.set_object_array_element(&array, i as i32, &string)?;
            env.delete_local_ref(string)?;
        }
        Ok(array.into_raw())
    })
}

extern "system" fn random_uuid(mut env: JNIEnv, _: JClass) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |_, env| new_jstring(env, crate::platform::random_uuid_v4()))
}

/// Zeroed, unreserved memory for the capture's direct id table (gigabytes
/// of address space, touched only where the heap has objects), in
/// transparent huge pages (spec/semantics.md §4). 0 if it cannot be mapped:
/// the capture uses a hash table then.
extern "system" fn map_table_memory(_env: JNIEnv, _: JClass, bytes: jlong) -> jlong {
    crate::platform::map_huge_zeroed(bytes.max(0) as usize).map_or(0, |address| address as jlong)
}

/// Unmaps memory [`map_table_memory`] gave.
extern "system" fn unmap_table_memory(_env: JNIEnv, _: JClass, address: jlong, bytes: jlong) {
    crate::platform::unmap(address as usize, bytes.max(0) as usize);
}

extern "system" fn rematerialize_frames(mut env: JNIEnv, _: JClass) {
    guard(&mut env, (), |agent, env| {
        threads::rematerialize_frames(agent, env)
    })
}

extern "system" fn loaded_classes(mut env: JNIEnv, _: JClass) -> jobjectArray {
    guard(&mut env, std::ptr::null_mut(), |agent, env| {
        Ok(classes::loaded_classes(agent, env)?.into_raw())
    })
}

fn require_class<'a>(class: &'a JClass) -> Result<&'a JClass<'a>, CaptureError> {
    if class.is_null() {
        Err(CaptureError::State("class argument is null".into()))
    } else {
        Ok(class)
    }
}

extern "system" fn declared_fields(mut env: JNIEnv, _: JClass, class: JClass) -> jobjectArray {
    guard(&mut env, std::ptr::null_mut(), |agent, env| {
        Ok(classes::declared_fields(agent, env, require_class(&class)?)?.into_raw())
    })
}

extern "system" fn class_status(mut env: JNIEnv, _: JClass, class: JClass) -> jint {
    guard(&mut env, 0, |agent, _| {
        classes::class_status(agent, require_class(&class)?)
    })
}

extern "system" fn class_modifiers(mut env: JNIEnv, _: JClass, class: JClass) -> jint {
    guard(&mut env, 0, |agent, _| {
        classes::class_modifiers(agent, require_class(&class)?)
    })
}

extern "system" fn class_digest(mut env: JNIEnv, _: JClass, class: JClass) -> jbyteArray {
    guard(
        &mut env,
        std::ptr::null_mut(),
        |agent, env| match classes::class_digest(agent, env, require_class(&class)?)? {
            Some(digest) => Ok(env.byte_array_from_slice(&digest)?.into_raw()),
            None => Ok(std::ptr::null_mut()),
        },
    )
}

extern "system" fn frame_types(
    mut env: JNIEnv,
    _: JClass,
    class: JClass,
    method_name: JString,
    method_descriptor: JString,
    bci: jint,
) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |agent, env| {
        if method_name.is_null() || method_descriptor.is_null() {
            return Err(CaptureError::State(
                "method name and descriptor must not be null".into(),
            ));
        }
        let name: String = env.get_string(&method_name)?.into();
        let descriptor: String = env.get_string(&method_descriptor)?.into();
        let types =
            frame_types::frame_types(agent, env, require_class(&class)?, &name, &descriptor, bci)?;
        new_jstring(env, types)
    })
}

extern "system" fn begin(
    mut env: JNIEnv,
    _: JClass,
    checkpoint_time_ms: jlong,
    uuid: JString,
    max_heap: jlong,
) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |agent, env| {
        let Some(pattern) = agent.options.checkpoint_to.as_ref() else {
            return new_jstring(
                env,
                Some("checkpoint/restore is not configured (no checkpointTo= agent option)".into()),
            );
        };
        let uuid: String = if uuid.is_null() {
            String::new()
        } else {
            env.get_string(&uuid)?.into()
        };
        let context = PatternContext {
            arch: platform::arch().to_owned(),
            cpu_features: platform::cpu_features(),
            uuid,
            checkpoint_time_ms,
            boot_time_ms: agent.boot_time_ms,
            restore_time_ms: agent.restore_time_ms,
            pid: std::process::id(),
            cpu_count: platform::cpu_count(),
            max_heap_bytes: max_heap.max(0) as u64,
            generation: agent.generation.load(Ordering::SeqCst),
        };
        let mut image = agent.image.lock().unwrap_or_else(|p| p.into_inner());
        let error = image
            .begin(pattern, &context, agent.options.compression_level)
            .err()
            .map(|e| e.to_string());
        new_jstring(env, error)
    })
}

extern "system" fn section_begin(mut env: JNIEnv, _: JClass, kind: jint) {
    guard(&mut env, (), |agent, _| {
        agent
            .image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .section_begin(kind)
    })
}

extern "system" fn section_write(
    mut env: JNIEnv,
    _: JClass,
    buf: JByteArray,
    off: jint,
    len: jint,
) {
    guard(&mut env, (), |agent, env| {
        if buf.is_null() {
            return Err(CaptureError::State("sectionWrite: buffer is null".into()));
        }
        if off < 0 || len < 0 {
            return Err(CaptureError::State(format!(
                "sectionWrite: bad range off={off} len={len}"
            )));
        }
        if len == 0 {
            // The capture warm-up's discarding writer hands over nothing this way, with no
            // image open, so that its flush runs the same branches as the real walk's.
            return Ok(());
        }
        let mut image = agent.image.lock().unwrap_or_else(|p| p.into_inner());
        // Copy (GetByteArrayRegion) instead of pinning the array: compression
        // and file I/O must not run inside a JNI critical region. The bytes
        // go straight into the writer's batch. A bad range makes the JVM
        // throw ArrayIndexOutOfBoundsException.
        let raw_env = env.get_raw();
        let array = buf.as_raw();
        image.section_write_with(len as usize, |filled, destination| {
            // SAFETY: raw_env is this thread's live JNIEnv (the call is on it),
            // array a live local reference; GetByteArrayRegion writes exactly
            // destination.len() bytes at its pointer, or none and throws.
            unsafe {
                let region = (**raw_env)
                    .GetByteArrayRegion
                    .ok_or_else(|| CaptureError::State("JNI has no GetByteArrayRegion".into()))?;
                region(
                    raw_env,
                    array,
                    off.saturating_add(filled as jint),
                    destination.len() as jint,
                    destination.as_mut_ptr().cast(),
                );
            }
            if env.exception_check()? {
                return Err(CaptureError::Jni(jni::errors::Error::JavaException));
            }
            Ok(())
        })
    })
}

extern "system" fn section_end(mut env: JNIEnv, _: JClass) {
    guard(&mut env, (), |agent, _| {
        agent
            .image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .section_end()
    })
}

extern "system" fn commit(mut env: JNIEnv, _: JClass) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |agent, env| {
        let dir = agent
            .image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .commit()?;
        agent.generation.fetch_add(1, Ordering::SeqCst);
        new_jstring(env, Some(dir.to_string_lossy().into_owned()))
    })
}

extern "system" fn abort(mut env: JNIEnv, _: JClass) {
    guard(&mut env, (), |agent, _| {
        agent
            .image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort();
        Ok(())
    })
}

// ---- restore (spec/restore.md) ----

fn restore_state() -> Result<&'static crate::restore::RestoreState, CaptureError> {
    crate::restore::state()
        .ok_or_else(|| CaptureError::State("this JVM was not started with restoreFrom=".into()))
}

extern "system" fn restore_from(mut env: JNIEnv, _: JClass) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |_, env| {
        let dir = crate::restore::state().map(|s| s.dir.to_string_lossy().into_owned());
        new_jstring(env, dir)
    })
}

extern "system" fn restore_section(mut env: JNIEnv, _: JClass, kind: jint) -> jobject {
    guard(&mut env, std::ptr::null_mut(), |_, env| {
        let state = restore_state()?;
        let (address, len) = state.section_memory(portacr_image::SectionKind(kind as u32))?;
        // SAFETY: the memory lives inside the restore state, which is never
        // dropped (a static), so it outlives every buffer over it. The Java
        // rebuild only reads it, but for the control block (spec/restore.md §4).
        let buffer = unsafe { env.new_direct_byte_buffer(address, len) }?;
        Ok(buffer.into_raw())
    })
}

extern "system" fn restore_class_problems(mut env: JNIEnv, _: JClass) -> jstring {
    guard(&mut env, std::ptr::null_mut(), |_, env| {
        let problems = restore_state()?.class_problems();
        new_jstring(env, problems)
    })
}

extern "system" fn restore_finished(mut env: JNIEnv, _: JClass) {
    guard(&mut env, (), |_, _| {
        restore_state()?.finish();
        Ok(())
    })
}

extern "system" fn restore_thread(mut env: JNIEnv, _: JClass) -> jobject {
    guard(&mut env, std::ptr::null_mut(), |_, env| crate::restore::resume_natives::restore_thread(env))
}

extern "system" fn restore_resumed(mut env: JNIEnv, _: JClass, rewritten: jni::objects::JObjectArray) {
    guard(&mut env, (), |agent, env| {
        crate::restore::resume_natives::restore_resumed(agent, env, &rewritten)?;
        // A restored program may checkpoint again (generation 2): its capture code is
        // compiled in the background from now on, as in a fresh JVM from VMInit.
        crate::agent::start_early_capture_warmup_if_configured(agent, env);
        Ok(())
    })
}

extern "system" fn restore_obsolete_frames(mut env: JNIEnv, _: JClass) -> jobject {
    guard(&mut env, std::ptr::null_mut(), |agent, env| crate::restore::resume_natives::obsolete_frames(agent, env))
}

/// Every native of `io.portacr.Native` with its JNI descriptor. A method
/// missing here, or declared differently in Java, fails registration.
fn native_methods() -> Vec<NativeMethod> {
    let m = |name: &str, sig: &str, fn_ptr: *mut c_void| NativeMethod {
        name: name.into(),
        sig: sig.into(),
        fn_ptr,
    };
    vec![
        m("isConfigured", "()Z", is_configured as *mut c_void),
        m("keepRunning", "()Z", keep_running as *mut c_void),
        m("generation", "()I", generation as *mut c_void),
        m("bootTimeMillis", "()J", boot_time_millis as *mut c_void),
        m(
            "restoreTimeMillis",
            "()J",
            restore_time_millis as *mut c_void,
        ),
        m("cpuFeatures", "()J", cpu_features as *mut c_void),
        m("randomUuid", "()Ljava/lang/String;", random_uuid as *mut c_void),
        m("mapTableMemory", "(J)J", map_table_memory as *mut c_void),
        m("unmapTableMemory", "(JJ)V", unmap_table_memory as *mut c_void),
        m("stringTableDump", "()Ljava/lang/String;", string_table_dump as *mut c_void),
        m("parseStringTable", "(Ljava/lang/String;)[Ljava/lang/String;", parse_string_table as *mut c_void),
        m("log", "(ILjava/lang/String;)V", log as *mut c_void),
        m(
            "otherThreadsError",
            "()Ljava/lang/String;",
            other_threads_error as *mut c_void,
        ),
        m(
            "rematerializeFrames",
            "()V",
            rematerialize_frames as *mut c_void,
        ),
        m(
            "loadedClasses",
            "()[Ljava/lang/Class;",
            loaded_classes as *mut c_void,
        ),
        m(
            "declaredFields",
            "(Ljava/lang/Class;)[Ljava/lang/Object;",
            declared_fields as *mut c_void,
        ),
        m(
            "classStatus",
            "(Ljava/lang/Class;)I",
            class_status as *mut c_void,
        ),
        m(
            "classModifiers",
            "(Ljava/lang/Class;)I",
            class_modifiers as *mut c_void,
        ),
        m(
            "classDigest",
            "(Ljava/lang/Class;)[B",
            class_digest as *mut c_void,
        ),
        m(
            "frameTypes",
            "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/String;I)Ljava/lang/String;",
            frame_types as *mut c_void,
        ),
        m(
            "begin",
            "(JLjava/lang/String;J)Ljava/lang/String;",
            begin as *mut c_void,
        ),
        m("sectionBegin", "(I)V", section_begin as *mut c_void),
        m("sectionWrite", "([BII)V", section_write as *mut c_void),
        m("sectionEnd", "()V", section_end as *mut c_void),
        m("commit", "()Ljava/lang/String;", commit as *mut c_void),
        m("abort", "()V", abort as *mut c_void),
        m("restoreFrom", "()Ljava/lang/String;", restore_from as *mut c_void),
        m(
            "restoreSection",
            "(I)Ljava/nio/ByteBuffer;",
            restore_section as *mut c_void,
        ),
        m(
            "restoreClassProblems",
            "()Ljava/lang/String;",
            restore_class_problems as *mut c_void,
        ),
        m("restoreFinished", "()V", restore_finished as *mut c_void),
        m("restoreThread", "()[Ljava/lang/Object;", restore_thread as *mut c_void),
        m("restoreResumed", "([Ljava/lang/Class;)V", restore_resumed as *mut c_void),
        m("restoreObsoleteFrames", "()[J", restore_obsolete_frames as *mut c_void),
    ]
}

/// Registers all natives one by one, so that the error names the method
/// that is missing or declared differently.
pub fn register(env: &mut JNIEnv, class: &JClass) -> Result<(), crate::agent::InitError> {
    for method in native_methods() {
        let name = method.name.to_string_lossy().into_owned();
        let sig = method.sig.to_string_lossy().into_owned();
        if env.register_native_methods(class, &[method]).is_err() {
            // RegisterNatives throws NoSuchMethodError; the message says more.
            if env.exception_check().unwrap_or(false) {
                let _ = env.exception_clear();
            }
            return Err(crate::agent::InitError::Register(format!(
                "io.portacr.Native.{name}{sig}"
            )));
        }
    }
    Ok(())
}
