//! The class-file bytes seen by ClassFileLoadHook, kept to type frames
//! (`Native.frameTypes`) and to record class digests (`Native.classDigest`).
//!
//! Classes are keyed by (defining loader, internal name): several loaders
//! may define classes of the same name. A loader is identified by a JVMTI
//! tag the agent puts on it the first time it defines a class; tags follow
//! the object through GC, die with it, and are never reused (a counter), so a
//! new loader can never inherit the entries of a collected one. Entries of
//! collected loaders stay in the map (a bounded leak: their bytes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// Identity of a class loader: its JVMTI tag. Boot-loader classes are not
/// cached (their bytes are in the JDK's modules image).
pub type LoaderTag = i64;

/// The bytes of one class as it was loaded, and their SHA-256, computed
/// when first asked for: the hook runs inside every class load, so it only
/// copies; most digests are needed once, at a checkpoint.
#[derive(Debug)]
pub struct ClassBytes {
    pub bytes: Box<[u8]>,
    sha256: OnceLock<[u8; 32]>,
}

impl ClassBytes {
    pub fn new(bytes: &[u8]) -> ClassBytes {
        ClassBytes {
            bytes: bytes.into(),
            sha256: OnceLock::new(),
        }
    }

    pub fn sha256(&self) -> [u8; 32] {
        *self
            .sha256
            .get_or_init(|| Sha256::digest(&self.bytes).into())
    }
}

#[derive(Debug)]
pub struct ClassBytesCache {
    classes: Mutex<HashMap<(LoaderTag, String), Arc<ClassBytes>>>,
    next_loader_tag: AtomicI64,
    tagging: Mutex<()>,
}

impl Default for ClassBytesCache {
    fn default() -> Self {
        ClassBytesCache::new()
    }
}

impl ClassBytesCache {
    pub fn new() -> ClassBytesCache {
        ClassBytesCache {
            classes: Mutex::default(),
            next_loader_tag: AtomicI64::new(1),
            tagging: Mutex::new(()),
        }
    }

    /// A fresh, never-used tag for a loader seen for the first time.
    pub fn new_loader_tag(&self) -> LoaderTag {
        self.next_loader_tag.fetch_add(1, Ordering::Relaxed)
    }

    /// Held while a loader gets its first tag.
    pub fn tagging_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.tagging.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records the bytes a loader defined `name` from (a redefinition by the
    /// same loader replaces them).
    pub fn insert(&self, loader: LoaderTag, name: &str, bytes: &[u8]) {
        let entry = Arc::new(ClassBytes::new(bytes));
        let mut classes = self.classes.lock().unwrap_or_else(|p| p.into_inner());
        classes.insert((loader, name.to_owned()), entry);
    }

    pub fn get(&self, loader: LoaderTag, name: &str) -> Option<Arc<ClassBytes>> {
        let classes = self.classes.lock().unwrap_or_else(|p| p.into_inner());
        classes.get(&(loader, name.to_owned())).cloned()
    }

    pub fn len(&self) -> usize {
        self.classes.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_different_loaders() {
        let cache = ClassBytesCache::new();
        let a = cache.new_loader_tag();
        let b = cache.new_loader_tag();
        assert_ne!(a, b);
        assert_ne!(a, 0, "tag 0 means untagged in JVMTI");
        cache.insert(a, "demo/Main", b"one");
        cache.insert(b, "demo/Main", b"two");
        assert_eq!(&*cache.get(a, "demo/Main").unwrap().bytes, b"one");
        assert_eq!(&*cache.get(b, "demo/Main").unwrap().bytes, b"two");
        assert!(cache.get(a, "demo/Other").is_none());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn digest_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let digest = ClassBytes::new(b"abc").sha256();
        assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(digest[28..], [0xf2, 0x00, 0x15, 0xad]);
    }
}
