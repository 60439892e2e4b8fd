//! The agent's process-wide state and what happens at load, VMInit,
//! ClassFileLoadHook and VMDeath. `entry.rs` calls in here; nothing here
//! sees a raw `extern` signature.

use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use jni::objects::{JClass, JObject};
use jni::sys::JavaVM;
use jni::JNIEnv;

use crate::capture::image_output::ImageOutput;
use crate::class_bytes::ClassBytesCache;
use crate::jvmti::{self, sys, Jvmti, JvmtiError};
use crate::options::{AgentOptions, OptionsError};
use crate::runtime_jar::ExtractedJar;
use crate::{log_debug, log_error, log_info, log_warn, platform};

/// Everything the agent knows, created once in `Agent_OnLoad`.
pub struct Agent {
    pub jvmti: Jvmti,
    pub options: AgentOptions,
    /// Epoch ms when the agent loaded (`%b`, `Native.bootTimeMillis`).
    pub boot_time_ms: i64,
    /// Epoch ms of the last restore; the boot time in generation 1.
    pub restore_time_ms: i64,
    /// Generation of the next checkpoint: 1 in a fresh JVM, one more after
    /// each committed checkpoint (a `keepRunning=true` process that
    /// checkpoints twice writes generations 1 and 2).
    pub generation: AtomicU32,
    pub class_bytes: ClassBytesCache,
    /// Set once every method of `io.portacr.Native` is registered.
    pub natives_registered: AtomicBool,
    pub runtime_jar: Mutex<Option<ExtractedJar>>,
    pub image: Mutex<ImageOutput>,
}

static AGENT: OnceLock<Agent> = OnceLock::new();

/// The agent, once `Agent_OnLoad` has succeeded.
pub fn agent() -> Option<&'static Agent> {
    AGENT.get()
}

/// Why the agent refused to load. Printed as `portacr: error: <this>`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error("agent option string is not valid UTF-8")]
    OptionsEncoding,
    #[error(transparent)]
    Restore(#[from] crate::restore::RestoreError),
    #[error("cannot open log file {}: {source}", path.display())]
    LogFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot get a JVMTI environment (GetEnv returned {0}); is this a HotSpot JVM 17 or newer?"
    )]
    JvmtiEnv(i32),
    #[error("{0}")]
    Jvmti(#[from] JvmtiError),
    #[error("this JVM lacks JVMTI capabilities portacr needs: {0}")]
    MissingCapabilities(String),
    #[error("cannot write the portacr runtime jar to {}: {source}", dir.display())]
    RuntimeJar {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("the agent is loaded twice")]
    LoadedTwice,
}

/// `Agent_OnLoad`: options, JVMTI environment, capabilities, runtime jar on
/// the boot class path, events.
///
/// # Safety
/// `vm` must be the `JavaVM` pointer the JVM passed to `Agent_OnLoad`.
pub unsafe fn on_load(vm: *mut JavaVM, options: Option<&CStr>) -> Result<(), LoadError> {
    let boot_time_ms = platform::now_millis();
    let text = match options {
        Some(c) => Some(c.to_str().map_err(|_| LoadError::OptionsEncoding)?),
        None => None,
    };
    let options = AgentOptions::parse(text)?;
    crate::log::configure(options.log_level, options.log_file.as_deref()).map_err(|source| {
        LoadError::LogFile {
            path: options.log_file.clone().unwrap_or_default(),
            source,
        }
    })?;

    // JVMTI 11 is the newest version every supported JDK (17..25) accepts.
    // SAFETY: vm is the live JavaVM (caller's contract).
    let jvmti =
        unsafe { Jvmti::from_vm(vm, sys::JVMTI_VERSION_11) }.map_err(LoadError::JvmtiEnv)?;
    add_capabilities(&jvmti, options.restore_from.is_some())?;

    // restoreFrom=: the image is opened and checked before any Java code
    // runs; the class hook needs its class table from the first class load.
    let mut generation = 1;
    if let Some(dir) = &options.restore_from {
        let target = crate::restore::TargetVm::probe(&jvmti);
        let state = crate::restore::open(dir, &target)?;
        generation = state.image_generation + 1;
    }

    let tmp = std::env::temp_dir();
    let jar =
        ExtractedJar::extract(&tmp).map_err(|source| LoadError::RuntimeJar { dir: tmp, source })?;
    // Appended now, not at VMInit: either way CDS stops sharing non-boot
    // classes (HotSpot warns once), but a live-phase append warns again on
    // every later attempt to load a shared class.
    jvmti.add_to_bootstrap_class_loader_search(&jar.jar_path().to_string_lossy())?;
    log_debug!("runtime jar {} on the boot class path", jar.jar_path().display());

    let agent = Agent {
        jvmti,
        options,
        boot_time_ms,
        // A restored JVM's restore time is its start (spec/restore.md §5).
        restore_time_ms: boot_time_ms,
        generation: AtomicU32::new(generation),
        class_bytes: ClassBytesCache::new(),
        natives_registered: AtomicBool::new(false),
        runtime_jar: Mutex::new(Some(jar)),
        image: Mutex::new(ImageOutput::default()),
    };
    if AGENT.set(agent).is_err() {
        return Err(LoadError::LoadedTwice);
    }
    crate::entry::enable_events(&jvmti)?;
    Ok(())
}

/// The capabilities portacr needs, and no more: every capability is a
/// promise HotSpot keeps for the whole run, and some change compiled code.
///
/// Left out on purpose:
/// - breakpoints, single step, field watches, frame pops, method entry/exit
///   events: they keep methods interpreted or deoptimize them;
/// - `can_access_local_variables`: C2 then keeps every local alive
///   (`ciEnv::should_retain_local_variables`, ~10 % on a CPU-bound
///   program); compiled frames are made readable through the escape barrier
///   instead (`capture/threads.rs`);
/// - `can_retransform_classes` / `can_redefine_classes` in a fresh JVM: only
///   a restore retransforms (its resumed classes back to their original
///   code). Held, they make HotSpot record evol-method dependencies in every
///   compilation (`can_hotswap_or_post_breakpoint`). A restoring JVM takes
///   them at load, where they must be taken for the compiler to record
///   those dependencies from the start;
/// - owned-monitor, monitor, bytecode, constant-pool and line-number
///   queries: nothing calls them (frames and monitors are read with
///   `LiveStackFrame`, class bytes come from ClassFileLoadHook). They are
///   available in the live phase, should a later version need them.
///
/// Kept: `can_tag_objects` (loader tags, the escape barrier of
/// `FollowReferences`), `can_generate_all_class_hook_events` (class bytes
/// and digests), `can_suspend` and `can_maintain_original_method_order`
/// (onload-only, no effect on compiled code).
fn add_capabilities(jvmti: &Jvmti, restoring: bool) -> Result<(), LoadError> {
    let potential = jvmti.potential_capabilities()?;
    let mut wanted = jvmti::no_capabilities();
    let mut missing: Vec<&str> = Vec::new();
    // Each capability: the getter names it (and reports availability), the
    // setter requests it.
    macro_rules! request {
        ($($get:ident / $set:ident),* $(,)?) => {$(
            if potential.$get() == 0 {
                missing.push(stringify!($get));
            }
            wanted.$set(1);
        )*};
    }
    request!(
        can_suspend / set_can_suspend,
        can_tag_objects / set_can_tag_objects,
        can_generate_all_class_hook_events / set_can_generate_all_class_hook_events,
        can_maintain_original_method_order / set_can_maintain_original_method_order,
    );
    if restoring {
        request!(
            can_retransform_classes / set_can_retransform_classes,
            can_redefine_classes / set_can_redefine_classes,
        );
    }
    if !missing.is_empty() {
        return Err(LoadError::MissingCapabilities(missing.join(", ")));
    }
    jvmti.add_capabilities(&wanted)?;
    Ok(())
}

/// VMInit: open `java.lang` and export `jdk.internal.misc` of `java.base` to
/// the boot loader's unnamed module (where the runtime jar's classes live),
/// and register the natives of `io.portacr.Native`. A failure leaves the
/// application running with checkpoints reported as not configured.
pub fn on_vm_init(env: &mut JNIEnv) {
    let Some(agent) = agent() else { return };
    let restore = crate::restore::state();
    // Restoring, the runtime comes first: the rebuild's warm-up then runs on
    // another core while this thread waits for OBJECTS to be decoded and scans
    // it (spec/restore.md §4.4).
    let mut prepared = None;
    if restore.is_some() {
        let result = prepare_runtime(agent, env);
        if result.is_ok() {
            start_rebuild_warmup(env);
        }
        prepared = Some(result);
    }
    if let Some(state) = restore {
        // Before the main class loads: a refused restore runs no program code.
        let max_heap = max_heap(env);
        if let Err(e) = state.check_at_vm_init(max_heap) {
            refuse_start(env, &e.to_string());
        }
        advise_young_generation(env, state, max_heap);
    }
    match prepared.unwrap_or_else(|| prepare_runtime(agent, env)) {
        Ok(()) => {
            agent.natives_registered.store(true, Ordering::Release);
            if restore.is_none() {
                start_early_capture_warmup_if_configured(agent, env);
            }
            log_info!(
                "agent ready (checkpointTo={})",
                agent
                    .options
                    .checkpoint_to
                    .as_ref()
                    .map_or("<none>", |p| p.source())
            );
        }
        Err(e) => {
            if env.exception_check().unwrap_or(false) {
                let _ = env.exception_describe();
                let _ = env.exception_clear();
            }
            log_error!("checkpoint/restore is not available: {e}");
        }
    }
}

/// Starts `io.portacr.restore.RebuildWarmup` (a Java thread that compiles the
/// heap rebuild on images of its own); a failure only means a colder rebuild.
fn start_rebuild_warmup(env: &mut JNIEnv) {
    if let Err(e) = env.call_static_method("io/portacr/restore/RebuildWarmup", "start", "()V", &[]) {
        if env.exception_check().unwrap_or(false) {
            let _ = env.exception_clear();
        }
        log_debug!("restore: the rebuild warm-up did not start: {e}");
    }
}

/// Starts `io.portacr.capture.CaptureWarmup`'s early warm-up when this JVM
/// may checkpoint (`checkpointTo`) and `warmupAfter` is not `never`: a daemon
/// thread of the `system` group that compiles the heap walk `warmupAfter`
/// from now, so that a later checkpoint's pause does not (spec/agent-options.md,
/// `warmupAfter`). Called at VMInit, or when a restored thread has resumed; a
/// failure only means the checkpoint warms up itself.
pub fn start_early_capture_warmup_if_configured(agent: &Agent, env: &mut JNIEnv) {
    if agent.options.checkpoint_to.is_none() {
        return;
    }
    let Some(delay) = agent.options.warmup_after else { return };
    let millis = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    if let Err(e) = env.call_static_method(
        "io/portacr/capture/CaptureWarmup",
        "startEarly",
        "(J)V",
        &[jni::objects::JValue::Long(millis)],
    ) {
        if env.exception_check().unwrap_or(false) {
            let _ = env.exception_clear();
        }
        log_debug!("the early capture warm-up did not start: {e}");
    }
}

/// This JVM's maximum heap, `Runtime.maxMemory()` (0 if it cannot be read,
/// which fails the heap check with a message naming 0).
fn max_heap(env: &mut JNIEnv) -> u64 {
    let read = |env: &mut JNIEnv| -> Result<i64, jni::errors::Error> {
        let runtime = env
            .call_static_method("java/lang/Runtime", "getRuntime", "()Ljava/lang/Runtime;", &[])?
            .l()?;
        env.call_method(&runtime, "maxMemory", "()J", &[])?.j()
    };
    match read(env) {
        Ok(bytes) => bytes.max(0) as u64,
        Err(_) => {
            let _ = env.exception_clear();
            0
        }
    }
}

/// A restore started by hand whose options leave the young generation to
/// the collector's default: every rebuilt object survives, so a young
/// generation smaller than the image's objects makes collections copy them
/// during the rebuild (slower, and up to twice the memory: spec/restore.md
/// §6). Says which option `portacr restore` would have added, when the
/// objects are larger than a default young generation would hold (G1's
/// smallest, 5 % of the maximum heap, and at least 32 MiB).
fn advise_young_generation(env: &mut JNIEnv, state: &crate::restore::RestoreState, max_heap: u64) {
    use portacr_image::heap_sizing;
    let objects_raw = state.image.raw_length(portacr_image::SectionKind::OBJECTS).unwrap_or(0);
    let estimate = heap_sizing::heap_estimate(objects_raw);
    if estimate < (32u64 << 20).max(max_heap / 20) {
        return;
    }
    let Some(mut options) = runtime_arguments(env) else { return };
    // The rule reads the maximum heap from the options: give it this JVM's.
    options.push(format!("-XX:MaxHeapSize={max_heap}"));
    if let Some(option) = heap_sizing::young_generation(&options, objects_raw, heap_sizing::physical_memory()) {
        log_warn!(
            "no option sizes the young generation, so collections will copy the image's objects (about {}) during the rebuild, which is slower and takes more memory; add {} (as `portacr restore` does)",
            crate::restore::compat::human(estimate),
            option
        );
    }
}

/// This JVM's options (`jdk.internal.misc.VM.getRuntimeArguments`: the
/// command line's and JAVA_TOOL_OPTIONS's); None if they cannot be read.
fn runtime_arguments(env: &mut JNIEnv) -> Option<Vec<String>> {
    let read = |env: &mut JNIEnv| -> Result<Vec<String>, jni::errors::Error> {
        let array = env.call_static_method("jdk/internal/misc/VM", "getRuntimeArguments", "()[Ljava/lang/String;", &[])?.l()?;
        let array = jni::objects::JObjectArray::from(array);
        let n = env.get_array_length(&array)?;
        let mut out = Vec::with_capacity(n.max(0) as usize);
        for i in 0..n {
            // One local reference at a time (-Xcheck:jni counts them).
            let element = jni::objects::JString::from(env.get_object_array_element(&array, i)?);
            let text: String = env.get_string(&element)?.into();
            env.delete_local_ref(element)?;
            out.push(text);
        }
        env.delete_local_ref(array)?;
        Ok(out)
    };
    match read(env) {
        Ok(options) => Some(options),
        Err(_) => {
            let _ = env.exception_clear();
            None
        }
    }
}

/// Prints one line and ends the JVM with status 1 from VMInit, before any
/// program class is loaded. `System.exit` runs the JDK's shutdown (no
/// program hook exists yet); if it cannot be called the process exits.
fn refuse_start(env: &mut JNIEnv, message: &str) -> ! {
    eprintln!("portacr: error: {}", message.replace('\n', " "));
    let _ = env.call_static_method("java/lang/System", "exit", "(I)V", &[jni::objects::JValue::Int(1)]);
    std::process::exit(1);
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    #[error("JNI: {0}")]
    Jni(#[from] jni::errors::Error),
    #[error("{0}")]
    Jvmti(#[from] JvmtiError),
    #[error("cannot register native {0}")]
    Register(String),
}

fn prepare_runtime(agent: &Agent, env: &mut JNIEnv) -> Result<(), InitError> {
    let native_class = env.find_class("io/portacr/Native")?;
    let boot_unnamed = module_of(env, &native_class)?;
    let object_class = env.find_class("java/lang/Object")?;
    let java_base = module_of(env, &object_class)?;
    agent
        .jvmti
        .add_module_opens(&java_base, c"java.lang", &boot_unnamed)?;
    agent
        .jvmti
        .add_module_exports(&java_base, c"jdk.internal.misc", &boot_unnamed)?;
    // The runtime jar's service file names jdk.crac.management.CRaCPlatformProvider
    // (build.rs); its superclass's package must be accessible before
    // ManagementFactory first loads providers.
    if let Err(e) = export_mxbean_spi(agent, env, &boot_unnamed) {
        if env.exception_check().unwrap_or(false) {
            let _ = env.exception_clear();
        }
        log_error!("cannot export java.management/sun.management.spi, platform MXBean lookups will fail: {e}");
    }
    crate::natives::register(env, &native_class)?;
    let jar = agent
        .runtime_jar
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|jar| jar.jar_path().to_string_lossy().into_owned());
    if let Some(jar) = jar {
        match give_boot_loader_the_runtime_jar(env, &jar) {
            Ok(true) => log_debug!("the boot loader's class path had been left empty by the CDS archive; it is {jar} now"),
            Ok(false) => {}
            Err(e) => {
                if env.exception_check().unwrap_or(false) {
                    let _ = env.exception_clear();
                }
                log_debug!("the boot loader's class path was not checked: {e}");
            }
        }
    }
    Ok(())
}

/// JDK 17 with its default CDS archive takes the boot loader's Java object
/// (`ClassLoaders.BOOT_LOADER`) from the archived module graph, made when
/// nothing was appended to the boot class path: its class path
/// (`BuiltinClassLoader.ucp`) is null although the VM loads the runtime
/// jar's classes, so lookups of resources through the boot loader miss the
/// jar, among them `ServiceLoader`'s search for the jar's
/// `PlatformMBeanProvider` (`ManagementFactory.getPlatformMXBean(CRaCMXBean.class)`
/// then fails). This gives it the class path `-Xbootclasspath/a:JAR` gives
/// it. Only a null class path is set; `Ok(false)` when there was nothing to do.
fn give_boot_loader_the_runtime_jar(env: &mut JNIEnv, jar: &str) -> Result<bool, jni::errors::Error> {
    use jni::objects::JValue;
    use jni::signature::ReturnType;
    let loaders = env.find_class("jdk/internal/loader/ClassLoaders")?;
    let boot = env
        .get_static_field(&loaders, "BOOT_LOADER", "Ljdk/internal/loader/ClassLoaders$BootClassLoader;")?
        .l()?;
    if boot.is_null() {
        return Ok(false);
    }
    let builtin = env.find_class("jdk/internal/loader/BuiltinClassLoader")?;
    let ucp = env.get_field_id(&builtin, "ucp", "Ljdk/internal/loader/URLClassPath;")?;
    // `ucp` is a field of BuiltinClassLoader, the boot loader's superclass.
    let current = env.get_field_unchecked(&boot, ucp, ReturnType::Object)?.l()?;
    if !current.is_null() {
        return Ok(false);
    }
    let path = env.new_string(jar)?;
    let class_path = env.new_object(
        "jdk/internal/loader/URLClassPath",
        "(Ljava/lang/String;Z)V",
        &[JValue::Object(&path), JValue::Bool(1)],
    )?;
    env.set_field_unchecked(&boot, ucp, JValue::Object(&class_path))?;
    Ok(true)
}

fn export_mxbean_spi(agent: &Agent, env: &mut JNIEnv, boot_unnamed: &JObject) -> Result<(), InitError> {
    // An interface: FindClass initializes what it finds, and ManagementFactory must
    // not start looking for providers before the export below.
    let management_class = env.find_class("java/lang/management/PlatformManagedObject")?;
    let java_management = module_of(env, &management_class)?;
    agent
        .jvmti
        .add_module_exports(&java_management, c"sun.management.spi", boot_unnamed)?;
    Ok(())
}

fn module_of<'local>(
    env: &mut JNIEnv<'local>,
    class: &JClass,
) -> Result<JObject<'local>, jni::errors::Error> {
    env.call_method(class, "getModule", "()Ljava/lang/Module;", &[])?
        .l()
}

/// VMDeath: remove the extracted runtime jar and any half-written image.
pub fn on_vm_death() {
    let Some(agent) = agent() else { return };
    if let Some(jar) = agent
        .runtime_jar
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    {
        jar.remove();
    }
    agent
        .image
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .abort();
}

/// ClassFileLoadHook: keep the bytes of classes that a class loader object
/// defines. Boot classes (loader null) are skipped: their bytes are in the
/// JDK. Redefinitions and retransformations are not recorded: the bytes that
/// matter are those the class was first defined from (its digest), and our
/// own retransformations at restore must not replace them. Outside a
/// restore the class is never modified.
///
/// During a restore the class may come back rewritten (its `<clinit>`
/// replaced, `restore/class_hook.rs`); the bytes recorded, and so the
/// digest, stay the original ones.
pub fn on_class_file_load(
    loader: &JObject,
    name: Option<&CStr>,
    bytes: &[u8],
    redefining: bool,
) -> Option<Vec<u8>> {
    if loader.is_null() {
        return None;
    }
    let agent = agent()?;
    let name = match name {
        Some(name) => jvmti::decode_modified_utf8(name.to_bytes()),
        // Lookup.defineClass and ClassLoader.defineClass(null, ...) may pass
        // no name; take it from the class file.
        None => match portacr_classfile::ClassFile::parse(bytes) {
            Ok(class) => class.this_class().to_owned(),
            Err(e) => {
                log_debug!("class without a name not recorded: {e}");
                return None;
            }
        },
    };
    let state = crate::restore::state();
    if redefining {
        // A restored program's classes keep reading its clock when
        // retransformed (the restore's own retransformation back included).
        return crate::restore::class_hook::rewrite_redefined(state?, &name, bytes);
    }
    record_class(agent, loader, &name, bytes);
    crate::restore::class_hook::rewrite_for_restore(state?, &name, bytes)
}

fn record_class(agent: &Agent, loader: &JObject, name: &str, bytes: &[u8]) {
    match loader_tag(agent, loader, true) {
        Ok(Some(tag)) => agent.class_bytes.insert(tag, name, bytes),
        Ok(None) => {}
        Err(e) => log_debug!("class {name} not recorded: {e}"),
    }
}

/// The tag naming a loader in the class-bytes cache; with `assign`, a fresh
/// tag is put on a loader that has none.
pub fn loader_tag(
    agent: &Agent,
    loader: &JObject,
    assign: bool,
) -> Result<Option<i64>, JvmtiError> {
    if loader.is_null() {
        return Ok(None);
    }
    let tag = agent.jvmti.tag(loader)?;
    if tag != 0 {
        return Ok(Some(tag));
    }
    if !assign {
        return Ok(None);
    }
    // Two threads may meet the same new loader at once (parallel-capable
    // loaders); serialize the slow path so that exactly one tag is set.
    let _guard = agent.class_bytes.tagging_lock();
    let tag = agent.jvmti.tag(loader)?;
    if tag != 0 {
        return Ok(Some(tag));
    }
    let fresh = agent.class_bytes.new_loader_tag();
    agent.jvmti.set_tag(loader, fresh)?;
    Ok(Some(fresh))
}
