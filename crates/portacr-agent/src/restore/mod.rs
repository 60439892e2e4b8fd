//! Restore, first half (spec/restore.md): open and check the image in
//! `Agent_OnLoad`, check it against this JVM at VMInit, replace the
//! `<clinit>` of classes that were initialized at checkpoint as they load,
//! and hand the decoded sections to the Java rebuild
//! (`io.portacr.Restore`, `io.portacr.restore.HeapRebuild`).
//!
//! Division of work: Rust does what needs no Java (file, checksums,
//! decompression, the compatibility gate, class-file rewriting); Java does
//! everything that creates objects, because Java code reading mapped memory
//! with Unsafe rebuilds a heap 3–25× faster than per-object JNI
//! (DESIGN.md §4).
//!
//! - `compat.rs`: the compatibility gate (every mismatch at once).
//! - `objects_scan.rs`: the object count and heap estimate of OBJECTS.
//! - `heap_payload.rs`: OBJECTS and the reference stream in memory, released as read.
//! - `class_hook.rs`: `<clinit>` replacement and resume prologues in ClassFileLoadHook.
//! - `resume_plan.rs`: the frames to resume and the values each one takes.

pub mod class_hook;
pub mod compat;
pub mod heap_payload;
pub mod objects_scan;
pub mod resume_natives;
pub mod resume_plan;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use portacr_image::{Image, ImageError, InitState, LoaderRef, SectionKind, CLASS_FLAG_ARRAY};

use crate::jvmti::Jvmti;
use crate::{log_debug, log_info};

/// The sections a restore reads. THREADS and RESOURCES are required by the
/// format too; the thread re-entry reads them.
pub const REQUIRED_SECTIONS: [SectionKind; 8] = SectionKind::ALL;

/// Everything the restore keeps between `Agent_OnLoad` and the end of the
/// rebuild. The small decoded payloads live inside `image` for the life of
/// the process, OBJECTS in `heap` (given back as the rebuild reads it,
/// spec/restore.md §4.4): Java reads them through direct ByteBuffers.
pub struct RestoreState {
    /// The `restoreFrom=` directory, as given.
    pub dir: PathBuf,
    pub image: Image,
    /// Generation of the image (the next checkpoint writes this + 1).
    pub image_generation: u32,
    /// Mismatches found at load; reported with the heap check at VMInit so
    /// that the user sees every problem in one line.
    pub load_mismatches: Vec<String>,
    /// Internal names of application classes captured as `Initialized`: their
    /// `<clinit>` is replaced while `classes_open`.
    initialized_app_classes: HashSet<String>,
    /// Cleared by `Native.restoreFinished`: later loads are the program's own.
    classes_open: AtomicBool,
    /// Classes whose `<clinit>` should have been replaced and could not be.
    class_problems: Mutex<Vec<String>>,
    /// When `Agent_OnLoad` started reading the image.
    pub started: Instant,
    /// The captured thread to resume; `None` when it cannot be (the reasons
    /// are in `load_mismatches`).
    pub resume: Option<resume_plan::ResumeTargets>,
    /// The thread decoding the heap sections while the JVM initializes
    /// (started by [`open`], joined at VMInit).
    early_decode: Mutex<Option<std::thread::JoinHandle<EarlyDecode>>>,
    /// OBJECTS and its reference stream, from VMInit on.
    heap: OnceLock<heap_payload::HeapPayload>,
}

/// What the decoding thread started at agent load produced: OBJECTS decoded
/// into its own mapping, or `None` when that failed (VMInit decodes again and
/// reports why).
struct EarlyDecode {
    took: std::time::Duration,
    objects: Option<memmap2::MmapMut>,
}

/// Decodes OBJECTS into a fresh anonymous mapping of its raw length.
fn decode_objects(image: &Image) -> Result<memmap2::MmapMut, ImageError> {
    let len = image.raw_length(SectionKind::OBJECTS).ok_or(ImageError::MissingSection(SectionKind::OBJECTS))?;
    let len = usize::try_from(len).map_err(|_| ImageError::MissingSection(SectionKind::OBJECTS))?;
    let mut map = heap_payload::anonymous(len).map_err(ImageError::Write)?;
    image.decode_into(SectionKind::OBJECTS, &mut map[..len])?;
    Ok(map)
}

static RESTORE: OnceLock<RestoreState> = OnceLock::new();

/// The restore under way, if this JVM was started with `restoreFrom=`.
pub fn state() -> Option<&'static RestoreState> {
    RESTORE.get()
}

/// Why a restore cannot proceed. One line, printed as `portacr: error: <this>`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    #[error("cannot restore {}: no such directory", dir.display())]
    NoDirectory { dir: PathBuf },
    #[error("cannot restore {}: {source}", dir.display())]
    Image { dir: PathBuf, source: ImageError },
    #[error("image {} cannot be restored in this JVM: {}", dir.display(), mismatches.join("; "))]
    Incompatible { dir: PathBuf, mismatches: Vec<String> },
    #[error("a restore was already started in this process")]
    Twice,
}

/// What this JVM is, as far as `Agent_OnLoad` can tell.
#[derive(Debug, Clone)]
pub struct TargetVm {
    /// `java.vm.specification.version` (17, 21, 25, …).
    pub java_spec_version: u32,
    pub arch: &'static str,
}

impl TargetVm {
    /// Reads the facts from JVMTI (the VM defines
    /// `java.vm.specification.version` before agents load).
    pub fn probe(jvmti: &Jvmti) -> TargetVm {
        let spec = system_property(jvmti, c"java.vm.specification.version")
            .and_then(|v| v.split('.').next_back().and_then(|s| s.parse().ok()))
            .unwrap_or(0);
        TargetVm { java_spec_version: spec, arch: crate::platform::arch() }
    }
}

/// JVMTI `GetSystemProperty`, or `None` when absent.
fn system_property(jvmti: &Jvmti, name: &std::ffi::CStr) -> Option<String> {
    let env = jvmti.raw();
    let mut value: *mut std::ffi::c_char = std::ptr::null_mut();
    // SAFETY: env is a live JVMTI environment; GetSystemProperty writes a
    // JVMTI-allocated NUL-terminated string (or fails and writes nothing).
    let code = unsafe {
        match (**env).GetSystemProperty {
            Some(f) => f(env, name.as_ptr(), &mut value),
            None => return None,
        }
    };
    if code != crate::jvmti::sys::JVMTI_ERROR_NONE || value.is_null() {
        return None;
    }
    // SAFETY: value is the NUL-terminated string JVMTI just returned.
    let text = unsafe { std::ffi::CStr::from_ptr(value) }.to_string_lossy().into_owned();
    // SAFETY: value was allocated by JVMTI and is freed exactly once here.
    unsafe {
        if let Some(dealloc) = (**env).Deallocate {
            dealloc(env, value.cast());
        }
    }
    Some(text)
}

/// `Agent_OnLoad` with `restoreFrom=DIR`: opens the image, checks its header,
/// section table and the metadata the class hook needs, and collects the
/// compatibility mismatches (reported at VMInit with the heap check).
///
/// Cost decision (spec/restore.md §3): the full `verify` is not run. The
/// header and table crcs are checked on open, every section's crc when it is
/// decoded, and the Java rebuild bounds-checks every read and range-checks
/// every id, so a damaged image fails cleanly without paying a second pass
/// over OBJECTS.
pub fn open(dir: &Path, target: &TargetVm) -> Result<&'static RestoreState, RestoreError> {
    let started = Instant::now();
    if !dir.is_dir() {
        return Err(RestoreError::NoDirectory { dir: dir.to_path_buf() });
    }
    let image_err = |source| RestoreError::Image { dir: dir.to_path_buf(), source };
    let image = Image::open(dir).map_err(image_err)?;
    for kind in REQUIRED_SECTIONS {
        if image.section(kind).is_none() {
            return Err(image_err(ImageError::MissingSection(kind)));
        }
    }
    let platform = image.platform().map_err(image_err)?;
    image.launch().map_err(image_err)?;
    let classes = image.classes().map_err(image_err)?;
    image.layouts().map_err(image_err)?;

    let mut mismatches = compat::check_platform(platform, target);
    mismatches.extend(compat::check_classes(classes));
    let resume = match resume_plan::ResumeTargets::plan(&image, classes) {
        Ok(targets) => Some(targets),
        Err(problems) => {
            mismatches.extend(problems);
            None
        }
    };
    let initialized_app_classes = classes
        .iter()
        .filter(|c| {
            c.loader == LoaderRef::App
                && c.init_state == InitState::Initialized
                && c.flags & CLASS_FLAG_ARRAY == 0
        })
        .map(|c| c.name.clone())
        .collect();
    let image_generation = platform.generation;
    let class_count = classes.len();
    let state = RestoreState {
        dir: dir.to_path_buf(),
        image_generation,
        load_mismatches: mismatches,
        initialized_app_classes,
        classes_open: AtomicBool::new(true),
        class_problems: Mutex::new(Vec::new()),
        started,
        resume,
        image,
        early_decode: Mutex::new(None),
        heap: OnceLock::new(),
    };
    RESTORE.set(state).map_err(|_| RestoreError::Twice)?;
    let state = RESTORE.get().ok_or(RestoreError::Twice)?;
    // Decompressing OBJECTS (190-320 ms for a 200 MB heap) does not need the
    // JVM: start it now, on a second thread, while the JVM creates its heap and
    // loads its first classes (about 50 ms from Agent_OnLoad to VMInit). The
    // payloads are cached in `image`; errors are ignored here because VMInit
    // asks again and reports them.
    let decoding = std::thread::Builder::new().name("portacr-decode".into()).spawn(move || {
        let started = Instant::now();
        let objects = decode_objects(&state.image).ok();
        let _ = state.image.payload(SectionKind::STATICS);
        let _ = state.image.symrefs();
        EarlyDecode { took: started.elapsed(), objects }
    });
    if let Ok(handle) = decoding {
        *state.early_decode.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
    }
    log_debug!(
        "restore: image {} opened and checked in {:.1} ms ({} classes)",
        dir.display(),
        started.elapsed().as_secs_f64() * 1e3,
        class_count
    );
    Ok(state)
}

impl RestoreState {
    /// VMInit: decodes OBJECTS and STATICS (so the Java rebuild starts on
    /// memory), estimates the live data and checks it against this JVM's
    /// maximum heap, and reports every mismatch at once.
    pub fn check_at_vm_init(&self, max_heap: u64) -> Result<(), RestoreError> {
        let image_err = |source| RestoreError::Image { dir: self.dir.clone(), source };
        let decode = Instant::now();
        let early = self.early_decode.lock().unwrap_or_else(|p| p.into_inner()).take();
        // A panic there leaves the payload undecoded: it is decoded below.
        let early = early.and_then(|handle| handle.join().ok());
        let early_took = early.as_ref().map(|e| e.took);
        self.image.payload(SectionKind::STATICS).map_err(image_err)?;
        self.image.symrefs().map_err(image_err)?;
        let objects = match early.and_then(|e| e.objects) {
            Some(map) => map,
            None => decode_objects(&self.image).map_err(image_err)?,
        };
        let objects_len = self.image.raw_length(SectionKind::OBJECTS).unwrap_or(0) as usize;
        let decoded = decode.elapsed();
        let scan = Instant::now();
        let classes = self.image.classes().map_err(image_err)?;
        let layouts = self.image.layouts().map_err(image_err)?;
        let mut refs = heap_payload::RefsWriter::new(classes.len()).map_err(|e| image_err(ImageError::Write(e)))?;
        let counts = match objects_scan::scan(&objects[..objects_len], classes, layouts, Some(&mut refs), self.image.objects_name_ids()) {
            Ok(c) => c,
            Err(mine) => {
                // The image crate's reader names the defect in the format's
                // terms; use its message when it finds one.
                let theirs = self.image.objects().map_err(image_err)?.find_map(|r| r.err());
                return Err(match theirs {
                    Some(e) => image_err(e),
                    None => RestoreError::Image { dir: self.dir.clone(), source: mine },
                });
            }
        };
        let (refs_raw, refs_compressed) = refs.finish().map_err(|e| image_err(ImageError::Write(e)))?;
        let heap = heap_payload::HeapPayload::new(objects, objects_len, counts.objects, self.image.objects_name_ids(), refs)
            .map_err(|e| image_err(ImageError::Write(e)))?;
        let _ = self.heap.set(heap);
        if let Some(heap) = self.static_heap() {
            // Gives pages back behind the rebuild's read marks and decodes
            // the reference stream ahead of pass 2; ends when the rebuild
            // says it is done. Without it the rebuild would wait forever:
            // a failed start is an error.
            std::thread::Builder::new()
                .name("portacr-rebuild-memory".into())
                .spawn(move || {
                    // A panic here must not leave the rebuild waiting for a
                    // decode that never comes: it fails the restore instead.
                    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| heap.serve_rebuild()));
                    if served.is_err() {
                        heap.mark_failed();
                    }
                })
                .map_err(|e| image_err(ImageError::Write(e)))?;
        }
        log_debug!("restore: reference stream of pass 2: {} bytes, {} compressed", refs_raw, refs_compressed);
        log_info!(
            "restore: OBJECTS {} bytes decoded in {:.1} ms (waited for {:.1} ms at VMInit), {} objects scanned in {:.1} ms, live data estimate {} bytes",
            objects_len,
            early_took.unwrap_or(decoded).max(decoded).as_secs_f64() * 1e3,
            decoded.as_secs_f64() * 1e3,
            counts.objects,
            scan.elapsed().as_secs_f64() * 1e3,
            counts.estimated_heap_bytes
        );
        let mut mismatches = self.load_mismatches.clone();
        if let Some(m) = compat::check_heap(&counts, max_heap) {
            mismatches.push(m);
        }
        if mismatches.is_empty() {
            Ok(())
        } else {
            Err(RestoreError::Incompatible { dir: self.dir.clone(), mismatches })
        }
    }

    /// Whether the class `name`, being loaded by a class loader object, gets
    /// its `<clinit>` replaced.
    pub fn replaces_clinit_of(&self, name: &str) -> bool {
        self.classes_open.load(Ordering::Acquire) && self.initialized_app_classes.contains(name)
    }

    /// Records a class whose `<clinit>` could not be replaced.
    pub fn class_problem(&self, problem: String) {
        self.class_problems.lock().unwrap_or_else(|p| p.into_inner()).push(problem);
    }

    /// Every class problem so far, as one line, or `None`.
    pub fn class_problems(&self) -> Option<String> {
        let problems = self.class_problems.lock().unwrap_or_else(|p| p.into_inner());
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    /// Ends the class phase: later class loads are the program's own.
    pub fn finish(&self) {
        self.classes_open.store(false, Ordering::Release);
        log_info!("restore: finished {:.1} ms after the agent loaded", self.started.elapsed().as_secs_f64() * 1e3);
    }

    /// The decoded payload of a section (crc checked), alive as long as the
    /// process.
    pub fn payload(&'static self, kind: SectionKind) -> Result<&'static [u8], ImageError> {
        self.image.payload(kind)
    }

    /// Address and length of the memory Java reads for section `kind`:
    /// OBJECTS, the reference stream and the control block from the heap
    /// payload (given back as they are read, so Rust keeps no slice of
    /// them), every other section from the image.
    pub fn section_memory(&'static self, kind: SectionKind) -> Result<(*mut u8, usize), ImageError> {
        if let Some(region) = self.heap.get().and_then(|heap| heap.region(kind.0)) {
            return Ok(region);
        }
        if kind == SectionKind::OBJECTS || kind.0 == heap_payload::REFS_KIND || kind.0 == heap_payload::CONTROL_KIND {
            // Only before VMInit's check, which Java never runs before.
            return Err(ImageError::MissingSection(kind));
        }
        let payload = self.image.payload(kind)?;
        Ok((payload.as_ptr().cast_mut(), payload.len()))
    }

    /// This state as the static it is (the release thread outlives any borrow).
    fn static_heap(&self) -> Option<&'static heap_payload::HeapPayload> {
        state().filter(|s| std::ptr::eq(*s, self)).and_then(|s| s.heap.get())
    }
}
