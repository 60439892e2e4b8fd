//! `Native.frameTypes`: the verifier types of a frame's locals and operand
//! stack at a bci, from the class's own bytecode (portacr-classfile).
//!
//! Bytes come from the ClassFileLoadHook cache for classes a loader object
//! defined; boot classes were never seen there, so their class file is read
//! from the JDK (`Class.getResourceAsStream`, which serves `.class` files of
//! every module unconditionally) and cached under loader tag 0.

use std::sync::Arc;

use jni::objects::{JByteArray, JClass, JValue};
use jni::JNIEnv;

use super::classes::{class_name, defining_loader_tag};
use super::CaptureError;
use crate::agent::Agent;
use crate::class_bytes::ClassBytes;
use crate::log_debug;

/// Cache key of classes read from the JDK (no loader object).
const JDK_CLASSES_TAG: i64 = 0;

/// The types before the instruction at `bci` in the contract format
/// `L:<slots>|S:<slots>|C:<n>` (contracts §9), or `None` when the class
/// bytes are not available or the method cannot be typed.
pub fn frame_types(
    agent: &Agent,
    env: &mut JNIEnv,
    class: &JClass,
    method_name: &str,
    method_descriptor: &str,
    bci: i32,
) -> Result<Option<String>, CaptureError> {
    let Ok(bci) = u32::try_from(bci) else {
        return Ok(None);
    };
    let name = class_name(agent, class)?;
    let Some(bytes) = class_bytes(agent, env, class, &name)? else {
        log_debug!("frameTypes: no class bytes for {name}");
        return Ok(None);
    };
    Ok(
        encode_frame_types(&bytes.bytes, method_name, method_descriptor, bci)
            .map_err(|e| {
                log_debug!("frameTypes: {name}.{method_name}{method_descriptor} bci {bci}: {e}")
            })
            .ok(),
    )
}

/// Types a frame from class-file bytes. Kept apart from JNI so it can be
/// tested on class files alone.
pub fn encode_frame_types(
    class_file: &[u8],
    method_name: &str,
    method_descriptor: &str,
    bci: u32,
) -> Result<String, portacr_classfile::ClassFileError> {
    let class = portacr_classfile::ClassFile::parse(class_file)?;
    let types = portacr_classfile::frame_types_at(&class, method_name, method_descriptor, bci)?;
    Ok(types.contract_encoding())
}

fn class_bytes(
    agent: &Agent,
    env: &mut JNIEnv,
    class: &JClass,
    name: &str,
) -> Result<Option<Arc<ClassBytes>>, CaptureError> {
    if let Some(tag) = defining_loader_tag(agent, env, class)? {
        if let Some(bytes) = agent.class_bytes.get(tag, name) {
            return Ok(Some(bytes));
        }
    }
    if let Some(bytes) = agent.class_bytes.get(JDK_CLASSES_TAG, name) {
        return Ok(Some(bytes));
    }
    let Some(bytes) = read_class_resource(env, class, name)? else {
        return Ok(None);
    };
    agent.class_bytes.insert(JDK_CLASSES_TAG, name, &bytes);
    Ok(agent.class_bytes.get(JDK_CLASSES_TAG, name))
}

/// `class.getResourceAsStream("/" + name + ".class").readAllBytes()`; any
/// Java exception on the way is cleared and means "not available".
fn read_class_resource(
    env: &mut JNIEnv,
    class: &JClass,
    name: &str,
) -> Result<Option<Vec<u8>>, CaptureError> {
    if name.starts_with('[') {
        return Ok(None);
    }
    let result = env.with_local_frame(8, |env| -> Result<Option<Vec<u8>>, jni::errors::Error> {
        let path = env.new_string(format!("/{name}.class"))?;
        let stream = env
            .call_method(
                class,
                "getResourceAsStream",
                "(Ljava/lang/String;)Ljava/io/InputStream;",
                &[JValue::Object(&path)],
            )?
            .l()?;
        if stream.is_null() {
            return Ok(None);
        }
        let bytes: JByteArray = env
            .call_method(&stream, "readAllBytes", "()[B", &[])?
            .l()?
            .into();
        let bytes = env.convert_byte_array(&bytes)?;
        if env.call_method(&stream, "close", "()V", &[]).is_err() {
            env.exception_clear()?; // the bytes are read; a failed close does not matter
        }
        Ok(Some(bytes))
    });
    match result {
        Ok(bytes) => Ok(bytes),
        Err(jni::errors::Error::JavaException) => {
            let _ = env.exception_clear();
            log_debug!("frameTypes: reading {name}.class threw; frame left untyped");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}
