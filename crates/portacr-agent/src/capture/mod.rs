//! Checkpoint-side logic behind the natives of `io.portacr.Native`: thread
//! checks, class queries, frame typing and image output. The Java runtime
//! drives the capture; these modules answer its questions.

pub mod classes;
pub mod frame_types;
pub mod image_output;
pub mod string_table;
pub mod threads;

use crate::jvmti::JvmtiError;

/// Why a native failed; becomes the message of the `IllegalStateException`
/// it throws.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error("the portacr agent is not loaded")]
    NotLoaded,
    #[error("{0}")]
    Jvmti(#[from] JvmtiError),
    /// A JNI call failed; `JavaException` means an exception is pending and
    /// is left to propagate.
    #[error("JNI: {0}")]
    Jni(#[from] jni::errors::Error),
    #[error("{0}")]
    Image(#[from] portacr_image::ImageError),
    #[error("{0}")]
    State(String),
}

/// `Lfoo/Bar;` → `foo/Bar`; array and primitive signatures stay as they are
/// (contracts §1 names arrays by descriptor).
pub fn internal_name(signature: &str) -> &str {
    signature
        .strip_prefix('L')
        .and_then(|s| s.strip_suffix(';'))
        .unwrap_or(signature)
}

#[cfg(test)]
mod tests {
    #[test]
    fn internal_names() {
        assert_eq!(
            super::internal_name("Ljava/lang/String;"),
            "java/lang/String"
        );
        assert_eq!(super::internal_name("[I"), "[I");
        assert_eq!(
            super::internal_name("[Ljava/lang/String;"),
            "[Ljava/lang/String;"
        );
        assert_eq!(super::internal_name("I"), "I");
    }
}
