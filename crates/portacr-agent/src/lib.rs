//! The portacr JVMTI agent: `libportacr.so`, loaded with `-agentpath`.
//!
//! `entry` holds the JVM's entry points (Agent_OnLoad and JVMTI events) and
//! `natives` the JNI methods of `io.portacr.Native`; both only convert and
//! call into the plain Rust of the other modules: `agent` (state, load,
//! VMInit, class-file hook), `capture` (what the Java runtime asks during a
//! checkpoint), `restore` (image checks, class hook and sections for the
//! Java rebuild), `options` / `path_pattern` / `log` (configuration).

pub mod agent;
pub mod capture;
pub mod class_bytes;
pub mod entry;
pub mod jvmti;
pub mod log;
pub mod natives;
pub mod options;
pub mod path_pattern;
pub mod platform;
pub mod restore;
pub mod runtime_jar;
