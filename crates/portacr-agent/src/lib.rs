//! The portacr JVMTI agent: `libportacr.so`, loaded with `-agentpath`.
//!
//! `entry` holds the JVM's entry points (Agent_OnLoad and JVMTI events) and
//! `natives` the JNI methods of `io.portacr.Native`; both only convert and
//! call into the plain Rust of the other modules.

pub mod jvmti;
pub mod log;
pub mod options;
pub mod path_pattern;
