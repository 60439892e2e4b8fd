//! Thread checks before a checkpoint: are other application threads alive
//! (`Native.otherThreadsError`), and forcing compiled frames of the
//! checkpointing thread to materialize their locals
//! (`Native.rematerializeFrames`).

use jni::objects::{JMethodID, JObject};
use jni::JNIEnv;

use super::{internal_name, CaptureError};
use crate::agent::Agent;
use crate::jvmti::sys;

/// Local references one thread's inspection creates (thread group chain,
/// method class, ...); the JVM grows frames as needed, this only avoids
/// `-Xcheck:jni` capacity warnings.
const LOCAL_REFS_PER_THREAD: i32 = 32;

/// Which threads count as the application's.
///
/// A thread is an application thread when its thread group is `main` (the
/// child of the top group `system`) or a descendant of it: the JVM starts
/// `main` there and threads inherit their creator's group. JVM service
/// threads (Reference Handler, Finalizer, Signal Dispatcher, Attach
/// Listener, Notification Thread) live directly in `system`, and the JDK's
/// helper threads (Common-Cleaner, ...) in `InnocuousThreadGroup`, another
/// child of `system`; both are ignored. `DestroyJavaVM`, which sits in
/// `main` without Java frames once `main` has returned, is ignored too.
pub fn is_application_group_chain(chain: &[String]) -> bool {
    // chain: the thread's group first, the top group last.
    let n = chain.len();
    n >= 2 && chain[n - 1] == "system" && chain[n - 2] == "main"
}

/// `RUNNABLE`, `BLOCKED`, `WAITING (parked)`, `TIMED_WAITING (sleeping)`, ...:
/// the `Thread.State` name of JVMTI state bits, with the reason in brackets.
pub fn describe_thread_state(state: u32) -> String {
    if state & sys::JVMTI_THREAD_STATE_TERMINATED != 0 {
        return "TERMINATED".into();
    }
    if state & sys::JVMTI_THREAD_STATE_ALIVE == 0 {
        return "NEW".into();
    }
    let base = if state & sys::JVMTI_THREAD_STATE_BLOCKED_ON_MONITOR_ENTER != 0 {
        "BLOCKED"
    } else if state & sys::JVMTI_THREAD_STATE_WAITING_INDEFINITELY != 0 {
        "WAITING"
    } else if state & sys::JVMTI_THREAD_STATE_WAITING_WITH_TIMEOUT != 0 {
        "TIMED_WAITING"
    } else {
        "RUNNABLE"
    };
    let details: Vec<&str> = [
        (sys::JVMTI_THREAD_STATE_SLEEPING, "sleeping"),
        (sys::JVMTI_THREAD_STATE_IN_OBJECT_WAIT, "in Object.wait"),
        (sys::JVMTI_THREAD_STATE_PARKED, "parked"),
        (sys::JVMTI_THREAD_STATE_SUSPENDED, "suspended"),
        (sys::JVMTI_THREAD_STATE_INTERRUPTED, "interrupted"),
        (sys::JVMTI_THREAD_STATE_IN_NATIVE, "in native"),
    ]
    .iter()
    .filter(|(bit, _)| state & bit != 0)
    .map(|(_, name)| *name)
    .collect();
    if details.is_empty() {
        base.into()
    } else {
        format!("{base} ({})", details.join(", "))
    }
}

/// One line naming every live application thread other than the caller,
/// or `None` when there is none.
pub fn other_threads_error(
    agent: &Agent,
    env: &mut JNIEnv,
) -> Result<Option<String>, CaptureError> {
    let threads = env.with_local_frame(
        LOCAL_REFS_PER_THREAD,
        |env| -> Result<Vec<String>, CaptureError> {
            let current = agent.jvmti.current_thread()?;
            let all = agent.jvmti.all_threads()?;
            // GetAllThreads made one local reference per thread at once.
            env.ensure_local_capacity(all.len() as i32 + LOCAL_REFS_PER_THREAD)?;
            let mut others = Vec::new();
            for thread in all.objects() {
                if env.is_same_object(&thread, &current)? {
                    continue;
                }
                if let Some(description) = env.with_local_frame(LOCAL_REFS_PER_THREAD, |env| {
                    describe_if_application(agent, env, &thread)
                })? {
                    others.push(description);
                }
            }
            Ok(others)
        },
    )?;
    if threads.is_empty() {
        return Ok(None);
    }
    let noun = if threads.len() == 1 {
        "thread is"
    } else {
        "threads are"
    };
    Ok(Some(format!(
        "{} other application {noun} alive: {}",
        threads.len(),
        threads.join("; ")
    )))
}

fn describe_if_application(
    agent: &Agent,
    _env: &mut JNIEnv,
    thread: &JObject,
) -> Result<Option<String>, CaptureError> {
    let jvmti = &agent.jvmti;
    let state = match jvmti.thread_state(thread) {
        Ok(state) => state,
        Err(e)
            if e.code == sys::JVMTI_ERROR_THREAD_NOT_ALIVE
                || e.code == sys::JVMTI_ERROR_INVALID_THREAD =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e.into()),
    };
    if state & sys::JVMTI_THREAD_STATE_ALIVE == 0 {
        return Ok(None);
    }
    let info = jvmti.thread_info(thread)?;
    if info.thread_group.is_null() {
        return Ok(None); // terminated while we looked
    }
    let mut chain = Vec::new();
    let mut group = info.thread_group;
    while !group.is_null() && chain.len() < 1024 {
        let group_info = jvmti.thread_group_info(&group)?;
        chain.push(group_info.name);
        group = group_info.parent;
    }
    if !is_application_group_chain(&chain) {
        return Ok(None);
    }
    let top = jvmti.stack_trace(Some(thread), 0, 1)?;
    let Some(frame) = top.first() else {
        if info.name == "DestroyJavaVM" {
            return Ok(None);
        }
        return Ok(Some(format!(
            "\"{}\" {} with no Java frames",
            info.name,
            describe_thread_state(state)
        )));
    };
    Ok(Some(format!(
        "\"{}\" {} at {}",
        info.name,
        describe_thread_state(state),
        // SAFETY: a method id GetStackTrace just returned.
        describe_frame(
            agent,
            unsafe { JMethodID::from_raw(frame.method) },
            frame.location
        )?
    )))
}

/// `java.lang.Thread.sleep(J)V native`, `demo.Main.run()V bci 12`.
fn describe_frame(agent: &Agent, method: JMethodID, location: i64) -> Result<String, CaptureError> {
    let (name, descriptor) = agent.jvmti.method_name(method)?;
    let class = agent.jvmti.method_declaring_class(method)?;
    let class_name = internal_name(&agent.jvmti.class_signature(&class)?).replace('/', ".");
    let position = if location < 0 {
        "native".to_owned()
    } else {
        format!("bci {location}")
    };
    Ok(format!("{class_name}.{name}{descriptor} {position}"))
}

/// System property that makes [`rematerialize_frames`] do nothing when it
/// is `true`: a test switch only, so that a test can show that a
/// scalar-replaced object in a compiled frame really reads as null without
/// the barrier (`tests/scalar_frames.rs`). Never set in normal use.
pub const SKIP_REMATERIALIZATION_PROPERTY: &str = "portacr.test.skipRematerialization";

/// Makes the compiled frames of the calling thread readable as interpreted
/// ones: scalar-replaced objects are reallocated and eliminated locks
/// relocked, so that `LiveStackFrame` afterwards reads the objects and
/// monitors an interpreted frame would hold (DESIGN.md §4,
/// spec/semantics.md §2.1).
///
/// This used to call JVMTI `GetLocalObject` on every slot of every frame,
/// which needs `can_access_local_variables`; that capability makes C2 keep
/// every local alive in all compiled code and cost ~10 % on a CPU-bound
/// program. HotSpot's escape barrier over all threads
/// ([`Jvmti::revert_escape_analysis`](crate::jvmti::Jvmti::revert_escape_analysis))
/// does the same rematerialization with only `can_tag_objects`. Dead locals
/// of compiled frames then read as null/0, which the program never observes.
pub fn rematerialize_frames(agent: &Agent, env: &mut JNIEnv) -> Result<(), CaptureError> {
    if skip_requested(env)? {
        crate::log_warn!(
            "{SKIP_REMATERIALIZATION_PROPERTY}=true: compiled frames are read without the escape barrier"
        );
        return Ok(());
    }
    agent.jvmti.revert_escape_analysis()?;
    Ok(())
}

fn skip_requested(env: &mut JNIEnv) -> Result<bool, CaptureError> {
    env.with_local_frame(4, |env| -> Result<bool, CaptureError> {
        let key = env.new_string(SKIP_REMATERIALIZATION_PROPERTY)?;
        let value = env
            .call_static_method(
                "java/lang/System",
                "getProperty",
                "(Ljava/lang/String;)Ljava/lang/String;",
                &[(&key).into()],
            )?
            .l()?;
        if value.is_null() {
            return Ok(false);
        }
        let value: String = env.get_string(&value.into())?.into();
        Ok(value == "true")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn application_groups() {
        assert!(is_application_group_chain(&chain(&["main", "system"])));
        assert!(is_application_group_chain(&chain(&[
            "workers", "main", "system"
        ])));
        assert!(!is_application_group_chain(&chain(&["system"])));
        assert!(!is_application_group_chain(&chain(&[
            "InnocuousThreadGroup",
            "system"
        ])));
        assert!(!is_application_group_chain(&chain(&[
            "main",
            "InnocuousThreadGroup",
            "system"
        ])));
        assert!(!is_application_group_chain(&chain(&[])));
    }

    #[test]
    fn states() {
        let alive = sys::JVMTI_THREAD_STATE_ALIVE;
        assert_eq!(describe_thread_state(0), "NEW");
        assert_eq!(
            describe_thread_state(sys::JVMTI_THREAD_STATE_TERMINATED),
            "TERMINATED"
        );
        assert_eq!(
            describe_thread_state(alive | sys::JVMTI_THREAD_STATE_RUNNABLE),
            "RUNNABLE"
        );
        assert_eq!(
            describe_thread_state(
                alive | sys::JVMTI_THREAD_STATE_RUNNABLE | sys::JVMTI_THREAD_STATE_IN_NATIVE
            ),
            "RUNNABLE (in native)"
        );
        assert_eq!(
            describe_thread_state(alive | sys::JVMTI_THREAD_STATE_BLOCKED_ON_MONITOR_ENTER),
            "BLOCKED"
        );
        let sleeping = alive
            | sys::JVMTI_THREAD_STATE_WAITING
            | sys::JVMTI_THREAD_STATE_WAITING_WITH_TIMEOUT
            | sys::JVMTI_THREAD_STATE_SLEEPING;
        assert_eq!(describe_thread_state(sleeping), "TIMED_WAITING (sleeping)");
        let parked = alive
            | sys::JVMTI_THREAD_STATE_WAITING
            | sys::JVMTI_THREAD_STATE_WAITING_INDEFINITELY
            | sys::JVMTI_THREAD_STATE_PARKED;
        assert_eq!(describe_thread_state(parked), "WAITING (parked)");
    }
}
