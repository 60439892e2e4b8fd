//! The Java half of portacr (`jdk.crac`, `io.portacr`), compiled by build.rs
//! and embedded in the library, is written to a private temporary directory
//! at load and appended to the boot class path.
//!
//! Private per process (`$TMPDIR/portacr-<pid>-<nanos>/`, mode 0700, created
//! with create-new semantics) rather than a shared cache: nobody else can
//! swap the jar under a running JVM, and nothing has to be trusted from an
//! earlier run. The directory is removed at VMDeath; a killed process leaves
//! a 0700 directory of ~60 KB behind.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The jar build.rs made from java-bindings/src.
pub static RUNTIME_JAR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/portacr-runtime.jar"));

pub const RUNTIME_JAR_NAME: &str = "portacr-runtime.jar";

/// The extracted jar; the directory is removed by [`ExtractedJar::remove`].
#[derive(Debug)]
pub struct ExtractedJar {
    dir: PathBuf,
    jar: PathBuf,
}

impl ExtractedJar {
    /// Writes the embedded jar into a new private directory under `parent`.
    pub fn extract(parent: &Path) -> io::Result<ExtractedJar> {
        let pid = std::process::id();
        let mut last_error = None;
        for attempt in 0..16u32 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let dir = parent.join(format!("portacr-{pid}-{nanos:09}{attempt}"));
            // create (not create_all): fails if it exists, so the directory is
            // ours and nobody else's.
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {
                    let jar = dir.join(RUNTIME_JAR_NAME);
                    let extracted = ExtractedJar { dir, jar };
                    if let Err(e) = fs::write(&extracted.jar, RUNTIME_JAR) {
                        extracted.remove();
                        return Err(e);
                    }
                    return Ok(extracted);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free directory name")))
    }

    pub fn jar_path(&self) -> &Path {
        &self.jar
    }

    /// Deletes the jar and its directory (errors ignored: this runs while
    /// the VM shuts down).
    pub fn remove(&self) {
        let _ = fs::remove_file(&self.jar);
        let _ = fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_jar_is_a_zip_with_native_class() {
        assert_eq!(&RUNTIME_JAR[..4], b"PK\x03\x04");
        let needle = b"io/portacr/Native.class";
        assert!(RUNTIME_JAR.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn extract_and_remove() {
        let parent = std::env::temp_dir();
        let a = ExtractedJar::extract(&parent).unwrap();
        let b = ExtractedJar::extract(&parent).unwrap();
        assert_ne!(a.jar_path(), b.jar_path());
        assert_eq!(fs::read(a.jar_path()).unwrap(), RUNTIME_JAR);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(a.jar_path().parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        a.remove();
        b.remove();
        assert!(!a.jar_path().exists());
        assert!(!a.jar_path().parent().unwrap().exists());
    }
}
