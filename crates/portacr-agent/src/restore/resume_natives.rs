//! The bodies of `Native.restoreThread` and `Native.restoreResumed`
//! (spec/contracts.md §9); `natives.rs` binds them and turns errors into
//! `IllegalStateException`.

use jni::objects::{JClass, JObject, JObjectArray};
use jni::sys::{jclass, jobject};
use jni::JNIEnv;

use super::resume_plan::ResumeTargets;
use crate::agent::Agent;
use crate::capture::CaptureError;
use crate::jvmti::{sys, JvmtiError};
use crate::log_info;

fn targets() -> Result<&'static ResumeTargets, CaptureError> {
    let state = crate::restore::state()
        .ok_or_else(|| CaptureError::State("this JVM was not started with restoreFrom=".into()))?;
    state
        .resume
        .as_ref()
        .ok_or_else(|| CaptureError::State("the image's thread cannot be resumed".into()))
}

/// `Object[] restoreThread()`: `{ String name, int[] {priority, daemon},
/// String[] classNames, String[] methodNames, String[] descriptors,
/// int[] tokens, int[] points, long[][] primitives, int[][] references,
/// int[] resources }`, frames bottom first.
pub fn restore_thread(env: &mut JNIEnv) -> Result<jobject, CaptureError> {
    let targets = targets()?;
    let plans = targets.plans().map_err(CaptureError::State)?;
    let n = plans.len() as i32;
    let result = env.new_object_array(10, "java/lang/Object", JObject::null())?;
    let name = env.new_string(&targets.thread_name)?;
    env.set_object_array_element(&result, 0, name)?;
    let facts = int_array(env, &[targets.priority, i32::from(targets.daemon)])?;
    env.set_object_array_element(&result, 1, facts)?;
    let frames = &targets.frames;
    let classes = strings(env, plans.len(), &|i| {
        frames[i].class_name.replace('/', ".")
    })?;
    env.set_object_array_element(&result, 2, classes)?;
    let methods = strings(env, plans.len(), &|i| frames[i].record.method_name.clone())?;
    env.set_object_array_element(&result, 3, methods)?;
    let descriptors = strings(env, plans.len(), &|i| {
        frames[i].record.method_descriptor.clone()
    })?;
    env.set_object_array_element(&result, 4, descriptors)?;
    let tokens: Vec<i32> = plans.iter().map(|p| p.token).collect();
    let tokens = int_array(env, &tokens)?;
    env.set_object_array_element(&result, 5, tokens)?;
    let points: Vec<i32> = plans.iter().map(|p| p.point).collect();
    let points = int_array(env, &points)?;
    env.set_object_array_element(&result, 6, points)?;
    let primitives = env.new_object_array(n, "[J", JObject::null())?;
    let references = env.new_object_array(n, "[I", JObject::null())?;
    for (i, plan) in plans.iter().enumerate() {
        // Two local references a frame: freed at once, or a deep stack
        // overflows the 32 a native may hold without asking (-Xcheck:jni warns).
        let longs = env.new_long_array(plan.primitives.len() as i32)?;
        env.set_long_array_region(&longs, 0, &plan.primitives)?;
        env.set_object_array_element(&primitives, i as i32, &longs)?;
        env.delete_local_ref(longs)?;
        let ids: Vec<i32> = plan.references.iter().map(|id| *id as i32).collect();
        let ids = int_array(env, &ids)?;
        env.set_object_array_element(&references, i as i32, &ids)?;
        env.delete_local_ref(ids)?;
    }
    env.set_object_array_element(&result, 7, primitives)?;
    env.set_object_array_element(&result, 8, references)?;
    let resources: Vec<i32> = targets.resources.iter().map(|id| *id as i32).collect();
    let resources = int_array(env, &resources)?;
    env.set_object_array_element(&result, 9, resources)?;
    Ok(result.into_raw())
}

fn strings<'local>(
    env: &mut JNIEnv<'local>,
    n: usize,
    f: &dyn Fn(usize) -> String,
) -> Result<JObjectArray<'local>, CaptureError> {
    let array = env.new_object_array(n as i32, "java/lang/String", JObject::null())?;
    for i in 0..n {
        let s = env.new_string(f(i))?;
        env.set_object_array_element(&array, i as i32, &s)?;
        env.delete_local_ref(s)?;
    }
    Ok(array)
}

fn int_array<'local>(
    env: &mut JNIEnv<'local>,
    values: &[i32],
) -> Result<JObject<'local>, CaptureError> {
    let array = env.new_int_array(values.len() as i32)?;
    env.set_int_array_region(&array, 0, values)?;
    Ok(array.into())
}

/// `void restoreResumed(Class<?>[] rewritten)`: the top frame has resumed;
/// no more prologues. Of the given classes, those whose prologue version
/// HotSpot would not compile (a prologue re-enters monitors, or makes a
/// method too long) are retransformed so that the hook, asked again, gives them
/// their original code (their running frames finish in the rewritten
/// versions); the others keep the version with prologues, so that the
/// resumed frames run the current version, which HotSpot compiles
/// (`ResumeTargets::keeps_prologues`, spec/restore.md §7.3).
pub fn restore_resumed(
    agent: &Agent,
    env: &mut JNIEnv,
    rewritten: &JObjectArray,
) -> Result<(), CaptureError> {
    let targets = targets()?;
    targets.mark_resumed();
    if rewritten.is_null() {
        return Ok(());
    }
    let jvmti = &agent.jvmti;
    let count = env.get_array_length(rewritten)?;
    let mut back = Vec::with_capacity(count as usize);
    let mut kept = 0usize;
    for i in 0..count {
        let class = JClass::from(env.get_object_array_element(rewritten, i)?);
        if class.is_null() {
            continue;
        }
        let signature = jvmti.class_signature(&class)?;
        let name = crate::capture::internal_name(&signature);
        if targets.keeps_prologues(name) {
            targets.mark_kept(name);
            kept += 1;
            env.delete_local_ref(class)?;
        } else {
            back.push(class);
        }
    }
    if !back.is_empty() {
        let raw: Vec<jclass> = back.iter().map(|c| c.as_raw()).collect();
        let jvmti = jvmti.raw();
        // SAFETY: jvmti is the agent's live environment (it holds
        // can_retransform_classes); `raw` holds `raw.len()` live local
        // references to classes, alive while `back` is.
        let code = unsafe {
            match (**jvmti).RetransformClasses {
                Some(retransform) => retransform(jvmti, raw.len() as i32, raw.as_ptr()),
                None => sys::JVMTI_ERROR_NOT_AVAILABLE,
            }
        };
        if code != sys::JVMTI_ERROR_NONE {
            return Err(JvmtiError::new("RetransformClasses", code).into());
        }
    }
    log_info!(
        "restore: {kept} class(es) keep their resume prologues (resumed frames run compiled), {} given their original code back (prologue version not compilable: monitors re-entered or method too long)",
        back.len()
    );
    Ok(())
}

/// `long[] restoreObsoleteFrames()`: for each frame of the calling thread
/// that runs a method version this restore rewrote — an obsolete one
/// (resumed before its class was retransformed back), or the current one of
/// a class that kept its prologues — `{ method token, bci, shift }`; the bci
/// counts the prologue, `bci - shift` is the original code's. Empty in a JVM
/// that resumed nothing.
pub fn obsolete_frames(agent: &Agent, env: &mut JNIEnv) -> Result<jobject, CaptureError> {
    let mut triples: Vec<i64> = Vec::new();
    if let Some(targets) = crate::restore::state().and_then(|s| s.resume.as_ref()) {
        let jvmti = &agent.jvmti;
        for frame in jvmti.stack_trace(None, 0, 65536)? {
            let mut obsolete: jni::sys::jboolean = 0;
            let raw = jvmti.raw();
            // SAFETY: raw is the agent's live JVMTI environment; frame.method
            // is a method id JVMTI just returned for a live frame.
            let code = unsafe {
                match (**raw).IsMethodObsolete {
                    Some(f) => f(raw, frame.method, &mut obsolete),
                    None => sys::JVMTI_ERROR_NOT_AVAILABLE,
                }
            };
            if code != sys::JVMTI_ERROR_NONE {
                return Err(JvmtiError::new("IsMethodObsolete", code).into());
            }
            // SAFETY: a method id of a live frame, from GetStackTrace.
            let method = unsafe { jni::objects::JMethodID::from_raw(frame.method) };
            let (name, descriptor) = jvmti.method_name(method)?;
            let class = jvmti.method_declaring_class(method)?;
            let signature = jvmti.class_signature(&class)?;
            let class_name = crate::capture::internal_name(&signature).to_owned();
            env.delete_local_ref(class)?;
            let token = portacr_classfile::rewrite::method_token(&class_name, &name, &descriptor);
            if obsolete == 0 && !targets.runs_prologue_version(token) {
                continue;
            }
            if let Some(shift) = targets.shift_of(token) {
                triples.extend([i64::from(token), frame.location, i64::from(shift)]);
            }
        }
    }
    let array = env.new_long_array(triples.len() as i32)?;
    env.set_long_array_region(&array, 0, &triples)?;
    Ok(array.into_raw())
}
