//! The thread re-entry, agent side (spec/restore.md §7): which frames of the
//! image's THREADS are resumed, where each method gets its resume point, and
//! the values each frame hands to `io.portacr.restore.Resume` in the order
//! its prologue takes them (`ResumePoint::consumed_values`).
//!
//! The structural checks (one thread, Java frames of application classes
//! only) run in `Agent_OnLoad` so that a refusal joins the other mismatches
//! in one line. The values are planned in the ClassFileLoadHook of each frame's
//! class, from the frame types of the very bytes being loaded (equal to the
//! checkpoint's: the digests are compared), cross-checked against the image's
//! typed values; a disagreement is a class problem that refuses the restore
//! before any program code runs.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use portacr_classfile::rewrite::{method_token, ResumePoint, ResumeValue, ValueKind};
use portacr_classfile::{frame_types_at, ClassFile};
use portacr_image::{
    ClassRecord, FrameKind, FrameRecord, Image, LoaderRef, ObjectBody, SymbolicRef, ThreadRecord,
    Value,
};

const ACC_STATIC: u16 = 0x0008;
const ACC_SYNCHRONIZED: u16 = 0x0020;

/// One frame to resume.
#[derive(Debug, Clone)]
pub struct FrameTarget {
    /// Internal name of the frame's class.
    pub class_name: String,
    pub record: FrameRecord,
    /// Local 0 of the frame above: the receiver of this frame's pending call
    /// when the call has one.
    pub callee_this: Option<Value>,
    /// Index of this frame's resume point among its method's points (frames
    /// of one method at one bci share a point: the bytecode fixes the types
    /// and the monitor depth there).
    pub point: usize,
}

/// What a frame hands to `Resume.Frame`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramePlan {
    pub token: i32,
    pub point: i32,
    /// int and float as 32-bit patterns, long, double bits; prologue order.
    pub primitives: Vec<i64>,
    /// Object ids, prologue order.
    pub references: Vec<u32>,
}

/// The captured thread, as the restore resumes it.
#[derive(Debug)]
pub struct ResumeTargets {
    pub thread_name: String,
    pub priority: i32,
    pub daemon: bool,
    /// Bottom (outermost) first.
    pub frames: Vec<FrameTarget>,
    /// The image's RESOURCES, registration order.
    pub resources: Vec<u32>,
    plans: Mutex<Vec<Option<FramePlan>>>,
    /// Set once the top frame has resumed: later loads and the
    /// retransformation back get the original code.
    resumed: AtomicBool,
    /// Class mirror ids of classes with a static synchronized frame
    /// (found by a scan of OBJECTS, only when such a frame exists).
    class_mirrors: OnceLock<HashMap<u32, u32>>,
    /// How far each rewritten method's original code moved (its prologue's
    /// length), by method token: frames resumed here keep running that
    /// version, so a later checkpoint sees their bci moved by this much.
    shifts: Mutex<HashMap<i32, u32>>,
    /// Internal names of the classes whose prologue version HotSpot would
    /// not compile: a prologue re-enters monitors (unbalanced locking), or
    /// it pushes a method over [`HUGE_METHOD_LIMIT`]. These go back to their
    /// original code after the resumption (spec/restore.md §7.3).
    uncompilable_classes: Mutex<HashSet<String>>,
    /// Tokens of the rewritten methods whose class keeps its prologues as
    /// the current version after the resumption: every frame of them, the
    /// resumed ones and those entered later, counts the prologue in its bci.
    kept_methods: Mutex<HashSet<i32>>,
}

/// HotSpot's `HugeMethodLimit`: with `DontCompileHugeMethods` (both
/// defaults on JDK 17–25) a method with more bytecode than this is never
/// compiled.
pub const HUGE_METHOD_LIMIT: u32 = 8000;

/// First element of the `long[]` in which a restored JVM records, before it
/// checkpoints again, the frames still running a rewritten method version:
/// `{ MAGIC, n, n × (method token, bci as recorded, shift) }`
/// (`io.portacr.restore.ThreadResume`). "portacr!" in ASCII.
pub const SHIFT_RECORD_MAGIC: i64 = 0x706f_7274_6163_7221;

/// The shift record of an image written by a restored JVM: (token, bci) →
/// shift. Empty when there is none.
fn shift_record(image: &Image) -> Result<HashMap<(i32, u32), u32>, String> {
    let mut found = HashMap::new();
    for record in image.objects().map_err(|e| e.to_string())? {
        let record = record.map_err(|e| e.to_string())?;
        let ObjectBody::PrimArray { data, .. } = record.body else {
            continue;
        };
        let longs: Vec<i64> = data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        if longs.len() < 2 || longs[0] != SHIFT_RECORD_MAGIC || data.len() % 8 != 0 {
            continue;
        }
        let n = usize::try_from(longs[1]).unwrap_or(usize::MAX);
        if n > (longs.len() - 2) / 3 {
            return Err("the record of rewritten frames in the image is damaged".into());
        }
        for k in 0..n {
            let (token, bci, shift) = (longs[2 + 3 * k], longs[3 + 3 * k], longs[4 + 3 * k]);
            found.insert((token as i32, bci as u32), shift as u32);
        }
        break;
    }
    Ok(found)
}

/// Whether a frame belongs to the restore machinery of a previous restore:
/// an image written by a restored program has `io.portacr.Restore.main`,
/// `io.portacr.restore.*` and the reflective call into `main` below the
/// program's own frames. The next restore makes them anew.
fn is_restore_machinery(class: &str, kind: FrameKind) -> bool {
    kind == FrameKind::Hidden
        || class.starts_with("io/portacr/")
        || class.starts_with("jdk/internal/reflect/")
        || class.starts_with("java/lang/reflect/")
        || class.starts_with("java/lang/invoke/")
}

fn java_name(internal: &str) -> String {
    internal.replace('/', ".")
}

fn describe(class: &str, frame: &FrameRecord) -> String {
    format!(
        "{}.{}{} at bci {}",
        java_name(class),
        frame.method_name,
        frame.method_descriptor,
        frame.bci
    )
}

impl ResumeTargets {
    /// Reads THREADS and RESOURCES and checks that the thread can be resumed.
    /// Every reason it cannot is returned, one string each.
    pub fn plan(image: &Image, classes: &[ClassRecord]) -> Result<ResumeTargets, Vec<String>> {
        let threads: &[ThreadRecord] = image.threads().map_err(|e| vec![e.to_string()])?;
        let resources = image.resources().map_err(|e| vec![e.to_string()])?;
        let thread = match threads {
            [one] => one,
            _ => {
                return Err(vec![format!(
                    "the image holds {} threads; only one can be resumed",
                    threads.len()
                )])
            }
        };
        let class_name = |index: u32| classes.get(index as usize).map(|c| c.name.as_str());
        let starts_in_restore = thread
            .frames
            .first()
            .is_some_and(|f| class_name(f.class) == Some("io/portacr/Restore"));
        let skip = if starts_in_restore {
            thread
                .frames
                .iter()
                .take_while(|f| is_restore_machinery(class_name(f.class).unwrap_or(""), f.kind))
                .count()
        } else {
            0
        };
        let mut problems = Vec::new();
        let mut kept: Vec<FrameRecord> = thread.frames[skip..].to_vec();
        if starts_in_restore {
            // Frames the previous restore resumed ran the rewritten version of
            // their method to the end: their bci counts the prologue.
            let shifts = shift_record(image).map_err(|e| vec![e])?;
            for frame in &mut kept {
                let Some(class) = class_name(frame.class) else {
                    continue;
                };
                let token = method_token(class, &frame.method_name, &frame.method_descriptor);
                if let Some(shift) = shifts.get(&(token, frame.bci)) {
                    frame.bci -= shift;
                }
            }
        }
        let kept = &kept[..];
        if kept.is_empty() {
            problems.push(format!("thread {:?} has no frame to resume", thread.name));
        }
        let mut points: HashMap<(String, String, String), Vec<u32>> = HashMap::new();
        let mut frames = Vec::with_capacity(kept.len());
        for (i, frame) in kept.iter().enumerate() {
            let Some(class) = classes.get(frame.class as usize) else {
                problems.push(format!(
                    "frame {i} names class index {} out of range",
                    frame.class
                ));
                continue;
            };
            let here = describe(&class.name, frame);
            match frame.kind {
                FrameKind::Java => {}
                FrameKind::Native => problems.push(format!("native method {here} is on the stack; it cannot be resumed")),
                FrameKind::Hidden => problems.push(format!(
                    "{here} is a lambda, method-handle or reflection frame; resuming such frames is not supported"
                )),
            }
            if class.loader != LoaderRef::App {
                // Boot and platform classes are loaded before the agent can
                // add a prologue; retransforming JDK methods is not done.
                problems.push(format!(
                    "{here} is a frame of a JDK or custom-loader class; only frames of application classes are resumed"
                ));
            }
            let key = (
                class.name.clone(),
                frame.method_name.clone(),
                frame.method_descriptor.clone(),
            );
            let bcis = points.entry(key).or_default();
            let point = match bcis.iter().position(|b| *b == frame.bci) {
                Some(p) => p,
                None => {
                    bcis.push(frame.bci);
                    bcis.len() - 1
                }
            };
            frames.push(FrameTarget {
                class_name: class.name.clone(),
                record: frame.clone(),
                callee_this: kept
                    .get(i + 1)
                    .and_then(|above| above.locals.first().cloned()),
                point,
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let count = frames.len();
        Ok(ResumeTargets {
            thread_name: thread.name.clone(),
            priority: thread.priority,
            daemon: thread.daemon,
            frames,
            resources: resources.resources.iter().map(|id| id.0).collect(),
            plans: Mutex::new(vec![None; count]),
            resumed: AtomicBool::new(false),
            class_mirrors: OnceLock::new(),
            shifts: Mutex::new(HashMap::new()),
            uncompilable_classes: Mutex::new(HashSet::new()),
            kept_methods: Mutex::new(HashSet::new()),
        })
    }

    /// Whether class `name` has frames and still gets prologues.
    pub fn wants(&self, name: &str) -> bool {
        !self.resumed.load(Ordering::Acquire) && self.frames.iter().any(|f| f.class_name == name)
    }

    /// The resume points of class `name`, computed from its (original)
    /// bytes, and the plan of every frame of that class, stored for
    /// [`ResumeTargets::plans`]. The points come in point-index order per
    /// method, as `add_resume_prologues` numbers them.
    pub fn points_for(
        &self,
        image: &Image,
        name: &str,
        original: &[u8],
    ) -> Result<Vec<ResumePoint>, String> {
        let class = ClassFile::parse(original).map_err(|e| format!("{}: {e}", java_name(name)))?;
        let mut points: Vec<(String, String, usize, ResumePoint)> = Vec::new();
        let mut plans = Vec::new();
        for (index, target) in self
            .frames
            .iter()
            .enumerate()
            .filter(|(_, f)| f.class_name == name)
        {
            let frame = &target.record;
            let here = describe(name, frame);
            let types = frame_types_at(
                &class,
                &frame.method_name,
                &frame.method_descriptor,
                frame.bci,
            )
            .map_err(|e| format!("{here}: {e}"))?;
            match &types.pending_call {
                Some(_) => {}
                None => return Err(format!("{here}: the instruction there is not a call")),
            }
            let monitors = self.monitor_objects(image, target)?;
            if !monitors.is_empty() {
                lock(&self.uncompilable_classes).insert(name.to_owned());
            }
            let point = ResumePoint {
                method_name: frame.method_name.clone(),
                method_descriptor: frame.method_descriptor.clone(),
                bci: frame.bci,
                frame: types,
                monitors: monitors.len() as u32,
            };
            let plan =
                plan_values(target, &point, &monitors).map_err(|e| format!("{here}: {e}"))?;
            plans.push((index, plan));
            let same = |p: &&(String, String, usize, ResumePoint)| {
                p.0 == frame.method_name && p.1 == frame.method_descriptor && p.2 == target.point
            };
            match points.iter().find(same) {
                Some(existing) if existing.3 != point => {
                    return Err(format!(
                        "{here}: two frames at this bci disagree on their types or monitors"
                    ));
                }
                Some(_) => {}
                None => points.push((
                    frame.method_name.clone(),
                    frame.method_descriptor.clone(),
                    target.point,
                    point,
                )),
            }
        }
        let mut stored = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        for (index, plan) in plans {
            stored[index] = Some(plan);
        }
        points.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        Ok(points.into_iter().map(|p| p.3).collect())
    }

    /// The monitors the prologue re-enters, in entry order, a monitor held
    /// twice listed twice. A synchronized method's own monitor is left out:
    /// the re-entry call acquires it.
    fn monitor_objects(&self, image: &Image, target: &FrameTarget) -> Result<Vec<u32>, String> {
        let frame = &target.record;
        let mut objects: Vec<u32> = Vec::new();
        for m in &frame.monitors {
            objects.extend(std::iter::repeat_n(m.object.0, m.count as usize));
        }
        if frame.method_access_flags & ACC_SYNCHRONIZED != 0 {
            let lock = if frame.method_access_flags & ACC_STATIC != 0 {
                self.class_mirror(image, frame.class)?
            } else {
                match frame.locals.first() {
                    Some(Value::Ref(id)) => Some(id.0),
                    _ => None,
                }
            };
            match lock.and_then(|id| objects.iter().position(|o| *o == id)) {
                Some(at) => {
                    objects.remove(at);
                }
                None => {
                    return Err(format!(
                        "{}: synchronized method whose monitor is not among the frame's monitors",
                        describe(&target.class_name, frame)
                    ))
                }
            }
        }
        Ok(objects)
    }

    /// The object id of the `java.lang.Class` of class index `class`, if the
    /// image holds it.
    fn class_mirror(&self, image: &Image, class: u32) -> Result<Option<u32>, String> {
        if let Some(map) = self.class_mirrors.get() {
            return Ok(map.get(&class).copied());
        }
        let symrefs = image.symrefs().map_err(|e| e.to_string())?;
        let mut map = HashMap::new();
        for record in image.objects().map_err(|e| e.to_string())? {
            let record = record.map_err(|e| e.to_string())?;
            if let ObjectBody::Symbolic(index) = record.body {
                if let Some(SymbolicRef::ClassMirror { class }) = symrefs.get(index as usize) {
                    map.insert(*class, record.id.0);
                }
            }
        }
        let found = map.get(&class).copied();
        let _ = self.class_mirrors.set(map);
        Ok(found)
    }

    /// Every frame's plan, bottom first; an error names a frame whose class
    /// was never loaded through the hook.
    pub fn plans(&self) -> Result<Vec<FramePlan>, String> {
        let stored = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        stored
            .iter()
            .zip(&self.frames)
            .map(|(plan, target)| {
                plan.clone().ok_or_else(|| {
                    format!("{} was not given a resume prologue (its class was not loaded during the restore)",
                        describe(&target.class_name, &target.record))
                })
            })
            .collect()
    }

    /// Records how far `add_resume_prologues` moved the original code of
    /// each method of `original` it rewrote in `rewritten`.
    pub fn record_shifts(&self, name: &str, original: &[u8], rewritten: &[u8]) {
        let (Ok(before), Ok(after)) = (ClassFile::parse(original), ClassFile::parse(rewritten))
        else {
            return;
        };
        let mut shifts = lock(&self.shifts);
        for target in self.frames.iter().filter(|f| f.class_name == name) {
            let frame = &target.record;
            let length = |class: &ClassFile| {
                class
                    .find_method(&frame.method_name, &frame.method_descriptor)
                    .and_then(|m| m.code_length())
            };
            if let (Some(old), Some(new)) = (length(&before), length(&after)) {
                let token = method_token(name, &frame.method_name, &frame.method_descriptor);
                shifts.insert(token, new.saturating_sub(old));
                if new > HUGE_METHOD_LIMIT && old <= HUGE_METHOD_LIMIT {
                    lock(&self.uncompilable_classes).insert(name.to_owned());
                }
            }
        }
    }

    /// The shift of a rewritten method, by token.
    pub fn shift_of(&self, token: i32) -> Option<u32> {
        lock(&self.shifts).get(&token).copied()
    }

    /// Whether the resumption leaves class `name` with its prologues as
    /// the current version. It does unless a prologue of the class re-enters
    /// monitors: frames resumed in a method version that is no longer
    /// current (obsolete, or EMCP after a retransformation) stay interpreted
    /// until they return, since HotSpot never compiles an old method version
    /// (`Dependencies::check_evol_method`), so a resumed loop would never be
    /// compiled; the prologue left in place costs one static field check a
    /// call. A prologue that re-enters monitors makes its method's locking
    /// unbalanced, which neither C1 nor C2 compiles, and one that makes a
    /// method longer than [`HUGE_METHOD_LIMIT`] bytes keeps it from being
    /// compiled too, so such a class is better off with its original code
    /// for the calls made afresh.
    pub fn keeps_prologues(&self, name: &str) -> bool {
        !lock(&self.uncompilable_classes).contains(name)
    }

    /// Records that class `name` keeps its prologues (its rewritten methods
    /// run them from now on, see [`ResumeTargets::runs_prologue_version`]).
    pub fn mark_kept(&self, name: &str) {
        lock(&self.kept_methods).extend(self.method_tokens_of(name));
    }

    /// Class `name` is being redefined or retransformed: its methods' current
    /// version will be without prologues.
    pub fn forget_kept(&self, name: &str) {
        let mut kept = lock(&self.kept_methods);
        for token in self.method_tokens_of(name) {
            kept.remove(&token);
        }
    }

    /// The tokens of the methods of class `name` that have frames (and so
    /// prologues).
    fn method_tokens_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = i32> + 'a {
        self.frames
            .iter()
            .filter(move |f| f.class_name == name)
            .map(move |f| method_token(name, &f.record.method_name, &f.record.method_descriptor))
    }

    /// Whether every frame of the method `token` runs the version with the
    /// prologue, because its class kept it (a frame of a class given its
    /// original code back runs it only if JVMTI calls its method obsolete).
    pub fn runs_prologue_version(&self, token: i32) -> bool {
        lock(&self.kept_methods).contains(&token)
    }

    /// The top frame has resumed: no more prologues.
    pub fn mark_resumed(&self) {
        self.resumed.store(true, Ordering::Release);
    }

    /// Internal names of the classes that got prologues.
    pub fn rewritten_classes(&self) -> Vec<String> {
        let mut names: Vec<String> = self.frames.iter().map(|f| f.class_name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The data behind a mutex, also after a panic elsewhere (the sets only
/// grow; a half-done insert leaves nothing inconsistent).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The values of one frame, in the order `point`'s prologue takes them.
fn plan_values(
    target: &FrameTarget,
    point: &ResumePoint,
    monitors: &[u32],
) -> Result<FramePlan, String> {
    let frame = &target.record;
    let mut plan = FramePlan {
        token: method_token(
            &target.class_name,
            &frame.method_name,
            &frame.method_descriptor,
        ),
        point: target.point as i32,
        primitives: Vec::new(),
        references: Vec::new(),
    };
    for value in point.consumed_values() {
        match value {
            ResumeValue::Local { slot, kind } => {
                let saved = wide_raw(&frame.locals, slot as usize, kind);
                take(&mut plan, saved, kind).map_err(|e| format!("local {slot}: {e}"))?;
            }
            ResumeValue::Monitor(n) => match monitors.get(n as usize) {
                Some(id) => plan.references.push(*id),
                None => return Err(format!("monitor {n} missing")),
            },
            ResumeValue::Operand { index, kind } => {
                let saved = wide_raw(&frame.operands, index as usize, kind);
                take(&mut plan, saved, kind).map_err(|e| format!("operand {index}: {e}"))?;
            }
            ResumeValue::Receiver => match &target.callee_this {
                Some(Value::Ref(id)) if !id.is_null() => plan.references.push(id.0),
                other => {
                    return Err(format!(
                        "the receiver of the pending call is not known (the frame above has {other:?} in slot 0)"
                    ))
                }
            },
        }
    }
    Ok(plan)
}

/// The saved value at `slot`. An untyped frame keeps each slot's raw bits,
/// and a long or double's 64 bits are in the second slot of the pair
/// (spec/semantics.md §2.1, `FrameCapture`): take that one.
fn wide_raw(slots: &[Value], slot: usize, kind: ValueKind) -> Option<&Value> {
    match (kind, slots.get(slot)) {
        (ValueKind::Long | ValueKind::Double, Some(Value::Raw(_))) => slots.get(slot + 1),
        (_, saved) => saved,
    }
}

/// Appends one saved value of the kind the bytecode says, or says why the
/// image's value does not fit.
fn take(plan: &mut FramePlan, saved: Option<&Value>, kind: ValueKind) -> Result<(), String> {
    let bits = match (kind, saved) {
        (ValueKind::Reference, Some(Value::Ref(id))) => {
            plan.references.push(id.0);
            return Ok(());
        }
        (ValueKind::Int, Some(Value::Int(v))) => i64::from(*v),
        (ValueKind::Float, Some(Value::Float(v))) => i64::from(*v),
        (ValueKind::Long, Some(Value::Long(v))) => *v,
        (ValueKind::Double, Some(Value::Double(v))) => *v as i64,
        // A frame the capture could not type keeps raw slot bits; the
        // bytecode's type says how to read them.
        (ValueKind::Int | ValueKind::Float, Some(Value::Raw(v))) => i64::from(*v as u32),
        (ValueKind::Long | ValueKind::Double, Some(Value::Raw(v))) => *v as i64,
        (kind, saved) => {
            return Err(format!(
                "the image has {saved:?} where the class file says {kind:?}"
            ))
        }
    };
    plan.primitives.push(bits);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use portacr_classfile::{FrameTypes, InvokeKind, PendingCall, VType};
    use portacr_image::{MonitorRecord, ObjectId};

    fn target(locals: Vec<Value>, operands: Vec<Value>, callee_this: Option<Value>) -> FrameTarget {
        FrameTarget {
            class_name: "demo/Main".into(),
            record: FrameRecord {
                class: 1,
                method_name: "run".into(),
                method_descriptor: "(IJ)V".into(),
                method_access_flags: 0,
                bci: 7,
                locals,
                operands,
                monitors: vec![MonitorRecord {
                    object: ObjectId(9),
                    count: 2,
                }],
                kind: FrameKind::Java,
            },
            callee_this,
            point: 1,
        }
    }

    /// `this.run(int, long)` waiting in `helper.call(x)`, with a double under the call.
    fn point() -> ResumePoint {
        ResumePoint {
            method_name: "run".into(),
            method_descriptor: "(IJ)V".into(),
            bci: 7,
            frame: FrameTypes {
                locals: vec![
                    VType::Reference("demo/Main".into()),
                    VType::Integer,
                    VType::Long,
                    VType::Top,
                    VType::Float,
                ],
                stack: vec![
                    VType::Double,
                    VType::Top,
                    VType::Reference("demo/Helper".into()),
                    VType::Integer,
                ],
                pending_call: Some(PendingCall {
                    kind: InvokeKind::Virtual,
                    owner: Some("demo/Helper".into()),
                    name: "call".into(),
                    descriptor: "(I)V".into(),
                    arg_slots: 2,
                    returns: None,
                }),
            },
            monitors: 2,
        }
    }

    #[test]
    fn values_follow_the_prologue_order() {
        let t = target(
            vec![
                Value::Ref(ObjectId(3)),
                Value::Int(-5),
                Value::Long(1 << 40),
                Value::Top,
                Value::Float(0x7fc0_1234),
            ],
            vec![Value::Double(0x8000_0000_0000_0000), Value::Top],
            Some(Value::Ref(ObjectId(4))),
        );
        let plan = plan_values(&t, &point(), &[9, 9]).unwrap();
        assert_eq!(plan.token, method_token("demo/Main", "run", "(IJ)V"));
        assert_eq!(plan.point, 1);
        // locals 1, 2, 4, then the operand; floats and ints as 32-bit patterns.
        assert_eq!(
            plan.primitives,
            vec![-5, 1 << 40, 0x7fc0_1234, 0x8000_0000_0000_0000u64 as i64]
        );
        // local 0, the monitor twice, the callee's receiver.
        assert_eq!(plan.references, vec![3, 9, 9, 4]);
    }

    #[test]
    fn untyped_long_is_read_from_the_second_slot() {
        let t = target(
            vec![
                Value::Ref(ObjectId(3)),
                Value::Raw(7),
                Value::Raw(0),
                Value::Raw(300),
                Value::Raw(0x4000_0000),
            ],
            vec![Value::Raw(0), Value::Raw(0x4009_21fb_5444_2d18)],
            Some(Value::Ref(ObjectId(4))),
        );
        let plan = plan_values(&t, &point(), &[9, 9]).unwrap();
        assert_eq!(
            plan.primitives,
            vec![7, 300, 0x4000_0000, 0x4009_21fb_5444_2d18]
        );
    }

    #[test]
    fn disagreeing_types_are_refused() {
        let t = target(
            vec![
                Value::Ref(ObjectId(3)),
                Value::Float(1),
                Value::Long(0),
                Value::Top,
                Value::Float(0),
            ],
            vec![Value::Double(0), Value::Top],
            Some(Value::Ref(ObjectId(4))),
        );
        let e = plan_values(&t, &point(), &[9, 9]).unwrap_err();
        assert!(
            e.starts_with("local 1: the image has Some(Float(1)) where the class file says Int"),
            "{e}"
        );
        let no_receiver = target(
            vec![
                Value::Ref(ObjectId(3)),
                Value::Int(0),
                Value::Long(0),
                Value::Top,
                Value::Float(0),
            ],
            vec![Value::Double(0), Value::Top],
            Some(Value::Ref(ObjectId(0))),
        );
        let e = plan_values(&no_receiver, &point(), &[9, 9]).unwrap_err();
        assert!(
            e.contains("receiver of the pending call is not known"),
            "{e}"
        );
        let e = plan_values(&no_receiver, &point(), &[9]).unwrap_err();
        assert!(e.contains("monitor 1 missing"), "{e}");
    }

    #[test]
    fn restore_machinery_is_recognized() {
        assert!(is_restore_machinery("io/portacr/Restore", FrameKind::Java));
        assert!(is_restore_machinery(
            "jdk/internal/reflect/NativeMethodAccessorImpl",
            FrameKind::Native
        ));
        assert!(is_restore_machinery("demo/Main$$Lambda", FrameKind::Hidden));
        assert!(!is_restore_machinery("demo/Main", FrameKind::Java));
        assert!(!is_restore_machinery(
            "java/util/ArrayList",
            FrameKind::Java
        ));
    }
}
