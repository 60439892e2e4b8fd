//! The image being written: `Native.begin`, `sectionBegin`, `sectionWrite`,
//! `sectionEnd`, `commit`, `abort`.
//!
//! The Java runtime encodes every section payload (contracts §7); this only
//! frames them through `portacr_image`'s writer into a temporary file in
//! the image directory, which `commit` fsyncs and renames to `image.pcr`.
//!
//! Compression and file writes run on a background thread, fed through a
//! bounded channel of 1 MiB batches, so the Java heap walk continues while
//! the previous bytes are compressed. Measured on a 2-core machine, 2.2 M
//! objects (128 MB of payload, zstd level 1): compressing and writing took
//! ~300 ms of a ~1280 ms checkpoint when done inline. Out-of-order calls are
//! refused at once; I/O errors of the writer thread are reported by the next
//! call (or by `commit`).

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portacr_image::layout::SECTION_FLAG_OPTIONAL;
use portacr_image::writer::{PendingImage, WriterOptions};
use portacr_image::SectionKind;

use super::CaptureError;
use crate::path_pattern::{PathPattern, PatternContext};
use crate::{log_info, log_warn};

/// Payload bytes gathered before they are handed to the writer thread.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight; bounds the memory the writer thread may lag behind.
const BATCHES_IN_FLIGHT: usize = 8;

enum WriterCommand {
    Begin(SectionKind, u32),
    /// A batch of payload; the writer thread hands the emptied buffer back
    /// for reuse, so that batches do not fault in fresh memory each time.
    Write(Vec<u8>),
    End,
    Commit,
}

/// What the writer thread reports when it ends.
struct WriterOutcome {
    /// `Some(final path)` after a commit; `None` when aborted.
    result: Result<Option<PathBuf>, String>,
    busy: Duration,
}

/// The writer thread of one image.
struct ImageWorker {
    commands: SyncSender<WriterCommand>,
    /// Emptied batch buffers coming back from the writer thread.
    spent: Receiver<Vec<u8>>,
    handle: JoinHandle<WriterOutcome>,
    /// The first error of the writer thread, for the next caller to see.
    error: Arc<Mutex<Option<String>>>,
}

impl ImageWorker {
    fn start(pending: PendingImage) -> Result<ImageWorker, CaptureError> {
        let (commands, receiver) = sync_channel(BATCHES_IN_FLIGHT);
        // Room for every batch there can be, so the writer thread never waits to return one.
        let (spent_sender, spent) = sync_channel(BATCHES_IN_FLIGHT + 2);
        let error = Arc::new(Mutex::new(None));
        let thread_error = Arc::clone(&error);
        let handle = std::thread::Builder::new()
            .name("portacr-image-writer".into())
            .spawn(move || run_writer(pending, receiver, spent_sender, thread_error))
            .map_err(|e| {
                CaptureError::State(format!("cannot start the image writer thread: {e}"))
            })?;
        Ok(ImageWorker {
            commands,
            spent,
            handle,
            error,
        })
    }

    fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn send(&self, command: WriterCommand) -> Result<(), CaptureError> {
        if let Some(e) = self.error() {
            return Err(CaptureError::State(e));
        }
        // The thread only hangs up after a failure, which error() reports.
        self.commands.send(command).map_err(|_| {
            CaptureError::State(
                self.error()
                    .unwrap_or_else(|| "the image writer thread ended".into()),
            )
        })
    }

    /// Ends the thread; with `commit`, the image is finished and renamed.
    fn finish(self, commit: bool) -> WriterOutcome {
        if commit {
            let _ = self.commands.send(WriterCommand::Commit);
        }
        drop(self.commands);
        self.handle.join().unwrap_or_else(|_| WriterOutcome {
            result: Err("the image writer thread panicked".into()),
            busy: Duration::ZERO,
        })
    }
}

fn run_writer(
    mut pending: PendingImage,
    commands: Receiver<WriterCommand>,
    spent: SyncSender<Vec<u8>>,
    error: Arc<Mutex<Option<String>>>,
) -> WriterOutcome {
    let mut busy = Duration::ZERO;
    let mut failure: Option<String> = None;
    for command in commands.iter() {
        if failure.is_some() {
            continue; // drain until the caller hangs up
        }
        let start = Instant::now();
        let writer = pending.writer();
        let step = match command {
            WriterCommand::Begin(kind, flags) => writer.begin_section(kind, flags),
            WriterCommand::Write(mut bytes) => {
                let written = writer.write_raw(&bytes);
                bytes.clear();
                // A full channel or a caller gone only means one allocation more.
                let _ = spent.try_send(bytes);
                written
            }
            WriterCommand::End => writer.end_raw_section(),
            WriterCommand::Commit => {
                let result = pending.commit().map(Some).map_err(|e| e.to_string());
                busy += start.elapsed();
                return WriterOutcome { result, busy };
            }
        };
        busy += start.elapsed();
        if let Err(e) = step {
            let message = e.to_string();
            *error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message.clone());
            failure = Some(message);
        }
    }
    // Hung up without a commit: dropping `pending` deletes the temporary file.
    drop(pending);
    WriterOutcome {
        result: failure.map_or(Ok(None), Err),
        busy,
    }
}

/// Threads that compress the image's chunks: the writer thread and, on a
/// machine with more than one core, helpers (up to 4 in all). The heap walk
/// takes one core; compressing on one other could not keep up with it once
/// the walk's ids came from a direct table (spec/semantics.md §4): the
/// checkpoint waited ~100 ms for the writer at 200 MB and ~0.4-0.5 s at 1 GB.
fn compression_threads() -> usize {
    (crate::platform::cpu_count() as usize).clamp(1, 4)
}

/// At most one image at a time; checkpoints are serialized by the Java side.
#[derive(Default)]
pub struct ImageOutput {
    worker: Option<ImageWorker>,
    dir: Option<PathBuf>,
    section_open: bool,
    /// Payload not yet handed to the writer thread.
    batch: Vec<u8>,
    raw_bytes: u64,
    /// Time the caller waited for the writer thread (back pressure).
    waited: Duration,
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
        if self.worker.is_some() {
            log_warn!("discarding an unfinished image of an earlier checkpoint");
            self.abort();
        }
        let dir = PathBuf::from(pattern.expand(context));
        let pending = PendingImage::create(&dir, WriterOptions { zstd_level, compression_threads: compression_threads() }).map_err(|e| {
            CaptureError::State(format!("cannot create image in {}: {e}", dir.display()))
        })?;
        self.worker = Some(ImageWorker::start(pending)?);
        self.dir = Some(dir.clone());
        self.section_open = false;
        self.batch.clear();
        self.raw_bytes = 0;
        self.waited = Duration::ZERO;
        Ok(dir)
    }

    fn worker(&self) -> Result<&ImageWorker, CaptureError> {
        self.worker.as_ref().ok_or_else(|| {
            CaptureError::State("no image is being written (call begin first)".into())
        })
    }

    fn send(&mut self, command: WriterCommand) -> Result<(), CaptureError> {
        let start = Instant::now();
        let result = self.worker()?.send(command);
        self.waited += start.elapsed();
        result
    }

    fn flush_batch(&mut self) -> Result<(), CaptureError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let reused = self.worker()?.spent.try_recv().ok();
        let next = reused.unwrap_or_else(|| Vec::with_capacity(BATCH_BYTES));
        let batch = std::mem::replace(&mut self.batch, next);
        self.send(WriterCommand::Write(batch))
    }

    /// Starts a section; kinds this version does not define are written as
    /// optional so that readers skip them.
    pub fn section_begin(&mut self, kind: i32) -> Result<(), CaptureError> {
        self.worker()?;
        if self.section_open {
            return Err(CaptureError::State(
                "sectionBegin while another section is open".into(),
            ));
        }
        let kind = u32::try_from(kind)
            .map_err(|_| CaptureError::State(format!("bad section kind {kind}")))?;
        let kind = SectionKind(kind);
        let flags = if SectionKind::ALL.contains(&kind) {
            0
        } else {
            SECTION_FLAG_OPTIONAL
        };
        self.send(WriterCommand::Begin(kind, flags))?;
        self.section_open = true;
        Ok(())
    }

    pub fn section_write(&mut self, bytes: &[u8]) -> Result<(), CaptureError> {
        self.worker()?;
        if !self.section_open {
            return Err(CaptureError::State(
                "sectionWrite without an open section".into(),
            ));
        }
        self.raw_bytes += bytes.len() as u64;
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.batch.capacity() == 0 {
                self.batch.reserve_exact(BATCH_BYTES);
            }
            let take = (BATCH_BYTES - self.batch.len()).min(rest.len());
            self.batch.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.batch.len() >= BATCH_BYTES {
                self.flush_batch()?;
            }
        }
        Ok(())
    }

    /// Appends `len` bytes to the open section, written straight into the
    /// batch by `fill(offset, destination)` (offset: bytes of this call
    /// already filled). `fill` must initialize all of `destination` when it
    /// returns `Ok`. One copy out of the Java array, where copying into a
    /// scratch buffer first made two (714 MB each at 1 GB).
    pub fn section_write_with(
        &mut self,
        len: usize,
        mut fill: impl FnMut(usize, &mut [std::mem::MaybeUninit<u8>]) -> Result<(), CaptureError>,
    ) -> Result<(), CaptureError> {
        self.worker()?;
        if !self.section_open {
            return Err(CaptureError::State(
                "sectionWrite without an open section".into(),
            ));
        }
        let mut done = 0;
        while done < len {
            if self.batch.capacity() < BATCH_BYTES {
                self.batch.reserve_exact(BATCH_BYTES - self.batch.len());
            }
            let start = self.batch.len();
            let take = (BATCH_BYTES - start).min(len - done);
            fill(done, &mut self.batch.spare_capacity_mut()[..take])?;
            // SAFETY: `fill` returned Ok, so it initialized the `take` bytes after
            // `start`, which are within the capacity reserved above.
            unsafe { self.batch.set_len(start + take) };
            done += take;
            self.raw_bytes += take as u64;
            if self.batch.len() >= BATCH_BYTES {
                self.flush_batch()?;
            }
        }
        Ok(())
    }

    pub fn section_end(&mut self) -> Result<(), CaptureError> {
        self.worker()?;
        if !self.section_open {
            return Err(CaptureError::State(
                "sectionEnd without an open section".into(),
            ));
        }
        self.flush_batch()?;
        self.send(WriterCommand::End)?;
        self.section_open = false;
        Ok(())
    }

    /// Waits for the writer thread, which finishes, fsyncs and renames the
    /// image; returns the image directory.
    pub fn commit(&mut self) -> Result<PathBuf, CaptureError> {
        self.worker()?;
        if self.section_open {
            self.abort();
            return Err(CaptureError::State(
                "commit with a section still open; image discarded".into(),
            ));
        }
        let worker = self.worker.take().expect("checked above");
        let dir = self.dir.take().unwrap_or_default();
        let start = Instant::now();
        let outcome = worker.finish(true);
        let waited = self.waited + start.elapsed();
        match outcome.result {
            Ok(Some(path)) => {
                let stored = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                log_info!(
                    "image: {} payload bytes, {stored} in the file; writer thread busy {} ms, checkpoint waited for it {} ms",
                    self.raw_bytes,
                    outcome.busy.as_millis(),
                    waited.as_millis()
                );
                Ok(dir)
            }
            Ok(None) => Err(CaptureError::State(
                "the image writer thread ended without writing the image".into(),
            )),
            Err(e) => Err(CaptureError::State(e)),
        }
    }

    /// Deletes the temporary file, if any. Safe in every state.
    pub fn abort(&mut self) {
        if let Some(worker) = self.worker.take() {
            let _ = worker.finish(false);
        }
        self.dir = None;
        self.section_open = false;
        self.batch = Vec::new();
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
        let dir = std::env::temp_dir().join(format!(
            "portacr-image-output-{}-{name}",
            std::process::id()
        ));
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
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
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
        assert!(
            output.section_write(b"x").is_err(),
            "write without an open section"
        );
        output.section_begin(1).unwrap();
        output.section_write(b"payload").unwrap();
        output.abort();
        assert_eq!(std::fs::read_dir(root.join("img")).unwrap().count(), 0);
        assert!(output.section_end().is_err());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn payload_across_many_batches_reads_back_exactly() {
        let root = scratch_dir("batches");
        let pattern = PathPattern::parse(&format!("{}/img", root.display())).unwrap();
        let mut output = ImageOutput::default();
        output.begin(&pattern, &context(), 1).unwrap();
        // An unknown kind is written as an optional section.
        let payload: Vec<u8> = (0..(3 * BATCH_BYTES + 12_345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        output.section_begin(99).unwrap();
        for piece in payload.chunks(100_003) {
            output.section_write(piece).unwrap();
        }
        output.section_end().unwrap();
        let dir = output.commit().unwrap();
        let image = portacr_image::Image::open(&dir.join("image.pcr")).unwrap();
        assert_eq!(image.payload(SectionKind(99)).unwrap(), &payload[..]);
        assert_eq!(
            image.section(SectionKind(99)).unwrap().flags & SECTION_FLAG_OPTIONAL,
            SECTION_FLAG_OPTIONAL
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn bytes_filled_in_place_across_batches_read_back_exactly() {
        let root = scratch_dir("in-place");
        let pattern = PathPattern::parse(&format!("{}/img", root.display())).unwrap();
        let mut output = ImageOutput::default();
        output.begin(&pattern, &context(), 1).unwrap();
        let payload: Vec<u8> = (0..(5 * BATCH_BYTES / 2 + 777))
            .map(|i| (i * 13 % 241) as u8)
            .collect();
        output.section_begin(99).unwrap();
        // Pieces larger than a batch, as SectionWriter's 2 MiB chunks are.
        for (n, piece) in payload.chunks(BATCH_BYTES + BATCH_BYTES / 3).enumerate() {
            let mut calls = 0;
            output
                .section_write_with(piece.len(), |filled, destination| {
                    calls += 1;
                    for (d, s) in destination.iter_mut().zip(&piece[filled..]) {
                        d.write(*s);
                    }
                    Ok(())
                })
                .unwrap();
            assert!(calls >= 1, "piece {n}");
        }
        // A failing fill appends nothing.
        let failed = output.section_write_with(10, |_, _| Err(CaptureError::State("no".into())));
        assert!(failed.is_err());
        output.section_end().unwrap();
        let dir = output.commit().unwrap();
        let image = portacr_image::Image::open(&dir.join("image.pcr")).unwrap();
        assert_eq!(image.payload(SectionKind(99)).unwrap(), &payload[..]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn writer_thread_errors_reach_the_caller() {
        let root = scratch_dir("dup");
        let pattern = PathPattern::parse(&format!("{}/img", root.display())).unwrap();
        let mut output = ImageOutput::default();
        output.begin(&pattern, &context(), 1).unwrap();
        for _ in 0..2 {
            // The second RESOURCES section is refused by the writer thread.
            let _ = output
                .section_begin(8)
                .and_then(|_| output.section_write(&[0u8; 8]))
                .and_then(|_| output.section_end());
        }
        let err = output.commit().unwrap_err();
        assert!(
            err.to_string().contains("section kind written twice"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_dir(root.join("img")).unwrap().count(),
            0,
            "temporary file removed"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
