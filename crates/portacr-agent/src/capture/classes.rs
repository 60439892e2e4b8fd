//! Class queries for the class table: loaded classes, declared fields in
//! JVMTI order, status, modifiers, and the digest of the bytes seen at load.

use jni::objects::{JClass, JObject, JObjectArray};
use jni::JNIEnv;

use super::{internal_name, CaptureError};
use crate::agent::{loader_tag, Agent};

/// Local references besides the ones JVMTI hands out in bulk.
const SPARE_LOCAL_REFS: i32 = 16;

/// Every loaded class (`GetLoadedClasses`) as a `Class[]`.
pub fn loaded_classes<'local>(
    agent: &Agent,
    env: &mut JNIEnv<'local>,
) -> Result<JObjectArray<'local>, CaptureError> {
    env.with_local_frame_returning_local(SPARE_LOCAL_REFS, |env| -> Result<JObject, CaptureError> {
        let classes = agent.jvmti.loaded_classes()?;
        // GetLoadedClasses made one local reference per class at once; say
        // so before the next JNI call so -Xcheck:jni does not warn.
        env.ensure_local_capacity(classes.len() as i32 + SPARE_LOCAL_REFS)?;
        let array =
            env.new_object_array(classes.len() as i32, "java/lang/Class", JObject::null())?;
        for (index, class) in classes.objects().enumerate() {
            env.set_object_array_element(&array, index as i32, &class)?;
            env.delete_local_ref(class)?;
        }
        Ok(array.into())
    })
    .map(JObjectArray::from)
}

/// `{ String[] names, String[] descriptors, int[] accessFlags }` of the
/// fields a class declares, statics included, in `GetClassFields` order
/// (the order the image's instance layout follows, contracts §3).
pub fn declared_fields<'local>(
    agent: &Agent,
    env: &mut JNIEnv<'local>,
    class: &JClass,
) -> Result<JObjectArray<'local>, CaptureError> {
    let fields = agent.jvmti.class_fields(class)?;
    let mut names = Vec::with_capacity(fields.len());
    let mut descriptors = Vec::with_capacity(fields.len());
    let mut flags = Vec::with_capacity(fields.len());
    for field in fields.field_ids() {
        let (name, descriptor) = agent.jvmti.field_name(class, field)?;
        names.push(name);
        descriptors.push(descriptor);
        flags.push(agent.jvmti.field_modifiers(class, field)?);
    }
    env.with_local_frame_returning_local(SPARE_LOCAL_REFS, |env| -> Result<JObject, CaptureError> {
        let names = string_array(env, &names)?;
        let descriptors = string_array(env, &descriptors)?;
        let access_flags = env.new_int_array(flags.len() as i32)?;
        env.set_int_array_region(&access_flags, 0, &flags)?;
        let result = env.new_object_array(3, "java/lang/Object", JObject::null())?;
        env.set_object_array_element(&result, 0, names)?;
        env.set_object_array_element(&result, 1, descriptors)?;
        env.set_object_array_element(&result, 2, access_flags)?;
        Ok(result.into())
    })
    .map(JObjectArray::from)
}

fn string_array<'local>(
    env: &mut JNIEnv<'local>,
    values: &[String],
) -> Result<JObjectArray<'local>, CaptureError> {
    let array = env.new_object_array(values.len() as i32, "java/lang/String", JObject::null())?;
    for (index, value) in values.iter().enumerate() {
        let text = env.new_string(value)?;
        env.set_object_array_element(&array, index as i32, &text)?;
        env.delete_local_ref(text)?;
    }
    Ok(array)
}

pub fn class_status(agent: &Agent, class: &JClass) -> Result<i32, CaptureError> {
    Ok(agent.jvmti.class_status(class)?)
}

pub fn class_modifiers(agent: &Agent, class: &JClass) -> Result<i32, CaptureError> {
    Ok(agent.jvmti.class_modifiers(class)?)
}

/// The internal name of a class (`demo/Main`, `[I`).
pub fn class_name(agent: &Agent, class: &JClass) -> Result<String, CaptureError> {
    Ok(internal_name(&agent.jvmti.class_signature(class)?).to_owned())
}

/// The tag of the class's defining loader in the class-bytes cache, `None`
/// for the boot loader or a loader that never defined a class we saw.
pub fn defining_loader_tag(
    agent: &Agent,
    env: &mut JNIEnv,
    class: &JClass,
) -> Result<Option<i64>, CaptureError> {
    let loader = agent.jvmti.class_loader(class)?;
    let tag = loader_tag(agent, &loader, false);
    if !loader.is_null() {
        env.delete_local_ref(loader)?;
    }
    Ok(tag?)
}

/// SHA-256 of the bytes the class was defined from, if ClassFileLoadHook
/// saw them.
pub fn class_digest(
    agent: &Agent,
    env: &mut JNIEnv,
    class: &JClass,
) -> Result<Option<[u8; 32]>, CaptureError> {
    let Some(tag) = defining_loader_tag(agent, env, class)? else {
        return Ok(None);
    };
    let name = class_name(agent, class)?;
    Ok(agent.class_bytes.get(tag, &name).map(|c| c.sha256()))
}
