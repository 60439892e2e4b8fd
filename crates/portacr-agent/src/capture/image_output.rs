//! The image being written: `Native.begin`, `sectionBegin`, `sectionWrite`,
//! `sectionEnd`, `commit`, `abort`.
//!
//! The Java runtime encodes every section payload (contracts §7); this only
//! frames them through `portacr_image`'s writer into a temporary file in
//! the image directory, which `commit` fsyncs and renames to `image.pcr`.
//! Compression runs on the calling thread, inside `sectionWrite`.

use std::path::PathBuf;

use portacr_image::layout::SECTION_FLAG_OPTIONAL;
use portacr_image::writer::{PendingImage, WriterOptions};
use portacr_image::SectionKind;

use super::CaptureError;
use crate::log_warn;
use crate::path_pattern::{PathPattern, PatternContext};

/// At most one image at a time; checkpoints are serialized by the Java side.
#[derive(Default)]
pub struct ImageOutput {
    pending: Option<PendingImage>,
    dir: Option<PathBuf>,
    /// Reused buffer for `sectionWrite` payloads copied out of Java arrays.
    pub scratch: Vec<i8>,
}

impl ImageOutput {
    /// Expands the pattern, creates the directory and the temporary file.
    /// An image left open by an earlier failed checkpoint is discarded.
    pub fn begin(
        &mut self,
        pattern: &PathPattern,
        context: &PatternContext,
        zstd_level: i32,
    ) -> Result<PathBuf, CaptureError> {
        if self.pending.is_some() {
            log_warn!("discarding an unfinished image of an earlier checkpoint");
            self.abort();
        }
        let dir = PathBuf::from(pattern.expand(context));
        let pending = PendingImage::create(&dir, WriterOptions { zstd_level }).map_err(|e| {
            CaptureError::State(format!("cannot create image in {}: {e}", dir.display()))
        })?;
        self.pending = Some(pending);
        self.dir = Some(dir.clone());
        Ok(dir)
    }

    fn pending(&mut self) -> Result<&mut PendingImage, CaptureError> {
        self.pending.as_mut().ok_or_else(|| CaptureError::State("no image is being written (call begin first)".into()))
    }

    /// Starts a section; kinds this version does not define are written as
    /// optional so that readers skip them.
    pub fn section_begin(&mut self, kind: i32) -> Result<(), CaptureError> {
        let kind = u32::try_from(kind).map_err(|_| CaptureError::State(format!("bad section kind {kind}")))?;
        let kind = SectionKind(kind);
        let flags = if SectionKind::ALL.contains(&kind) { 0 } else { SECTION_FLAG_OPTIONAL };
        Ok(self.pending()?.writer().begin_section(kind, flags)?)
    }

    pub fn section_write(&mut self, bytes: &[u8]) -> Result<(), CaptureError> {
        Ok(self.pending()?.writer().write_raw(bytes)?)
    }

    /// Writes the scratch buffer's first `len` bytes to the open section.
    pub fn section_write_scratch(&mut self, len: usize) -> Result<(), CaptureError> {
        let scratch = std::mem::take(&mut self.scratch);
        // SAFETY: i8 and u8 have the same size and alignment; every bit
        // pattern is valid for both.
        let bytes = unsafe { std::slice::from_raw_parts(scratch.as_ptr().cast::<u8>(), len.min(scratch.len())) };
        let result = self.section_write(bytes);
        self.scratch = scratch;
        result
    }

    pub fn section_end(&mut self) -> Result<(), CaptureError> {
        Ok(self.pending()?.writer().end_raw_section()?)
    }

    /// Finishes, fsyncs and renames the image; returns its directory.
    pub fn commit(&mut self) -> Result<PathBuf, CaptureError> {
        let pending =
            self.pending.take().ok_or_else(|| CaptureError::State("no image is being written (call begin first)".into()))?;
        let dir = self.dir.take().unwrap_or_default();
        pending.commit()?;
        Ok(dir)
    }

    /// Deletes the temporary file, if any. Safe in every state.
    pub fn abort(&mut self) {
        if let Some(pending) = self.pending.take() {
            pending.abort();
        }
        self.dir = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> PatternContext {
        PatternContext {
            arch: "x86_64".into(),
            cpu_features: 1,
            uuid: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            checkpoint_time_ms: 1_757_427_431_000,
            boot_time_ms: 1_757_427_430_000,
            restore_time_ms: 1_757_427_430_000,
            pid: 7,
            cpu_count: 2,
            max_heap_bytes: 1 << 30,
            generation: 1,
        }
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("portacr-image-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn begin_write_commit_gives_a_readable_image() {
        let root = scratch_dir("commit");
        let pattern = PathPattern::parse(&format!("{}/img_%a_%03g_%m", root.display())).unwrap();
        let mut output = ImageOutput::default();
        let dir = output.begin(&pattern, &context(), 1).unwrap();
        assert_eq!(dir, root.join("img_x86_64_001_1G"));
        output.section_begin(8).unwrap();
        output.section_write(&[0u8; 8]).unwrap(); // ResourceList with no resources: u64 count 0
        output.section_end().unwrap();
        assert_eq!(output.commit().unwrap(), dir);
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, vec![std::ffi::OsString::from("image.pcr")]);
        let bytes = std::fs::read(dir.join("image.pcr")).unwrap();
        assert!(bytes.len() > 8);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn abort_leaves_no_file_and_calls_out_of_order_fail() {
        let root = scratch_dir("abort");
        let pattern = PathPattern::parse(&format!("{}/img", root.display())).unwrap();
        let mut output = ImageOutput::default();
        output.abort(); // nothing begun: harmless
        assert!(output.section_begin(1).is_err());
        assert!(output.commit().is_err());
        output.begin(&pattern, &context(), 3).unwrap();
        assert!(output.section_write(b"x").is_err(), "write without an open section");
        output.section_begin(1).unwrap();
        output.section_write(b"payload").unwrap();
        output.abort();
        assert_eq!(std::fs::read_dir(root.join("img")).unwrap().count(), 0);
        assert!(output.section_end().is_err());
        let _ = std::fs::remove_dir_all(&root);
    }
}
