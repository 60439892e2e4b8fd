//! Full verification of an image: every checksum, every record, every
//! cross-reference (spec/image-format.md §11). Collects all problems.

use std::collections::HashSet;

use crate::limits::MAX_ARRAY_DIMENSIONS;
use crate::model::*;
use crate::reader::{static_field_types, Image, RecordIds};

/// The outcome of [`verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// One line per problem; empty when the image is sound.
    pub problems: Vec<String>,
    /// Sections in the table.
    pub sections: u32,
    /// Classes decoded.
    pub classes: u32,
    /// Objects decoded.
    pub objects: u64,
}

impl VerifyReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Whether `d` is a well-formed field descriptor (JVMS §4.3.2).
pub fn is_field_descriptor(d: &str) -> bool {
    let b = d.as_bytes();
    let dims = b.iter().take_while(|&&c| c == b'[').count();
    if dims > MAX_ARRAY_DIMENSIONS {
        return false;
    }
    match &b[dims..] {
        [c] => PrimKind::from_descriptor_char(*c).is_some(),
        [b'L', name @ .., b';'] => is_class_name(name),
        _ => false,
    }
}

fn is_class_name(name: &[u8]) -> bool {
    !name.is_empty() && !name.iter().any(|&c| matches!(c, b'.' | b';' | b'[')) && !name.split(|&c| c == b'/').any(|p| p.is_empty())
}

/// Whether `d` is a well-formed method descriptor.
pub fn is_method_descriptor(d: &str) -> bool {
    let Some(rest) = d.strip_prefix('(') else { return false };
    let Some((params, ret)) = rest.split_once(')') else { return false };
    let mut p = params.as_bytes();
    while !p.is_empty() {
        let dims = p.iter().take_while(|&&c| c == b'[').count();
        let len = match p.get(dims) {
            Some(b'L') => match p[dims..].iter().position(|&c| c == b';') {
                Some(e) => dims + e + 1,
                None => return false,
            },
            Some(_) => dims + 1,
            None => return false,
        };
        if !is_field_descriptor(std::str::from_utf8(&p[..len]).unwrap_or("")) {
            return false;
        }
        p = &p[len..];
    }
    ret == "V" || is_field_descriptor(ret)
}

/// Whether a class name is a valid internal name or array descriptor.
fn is_class_or_array_name(name: &str) -> bool {
    if name.starts_with('[') {
        is_field_descriptor(name)
    } else {
        is_class_name(name.as_bytes())
    }
}

struct Checker {
    problems: Vec<String>,
    objects: u64,
}

impl Checker {
    fn push(&mut self, p: String) {
        self.problems.push(p);
    }
    fn object(&mut self, where_: &dyn Fn() -> String, what: &str, id: ObjectId, nullable: bool) {
        if id.0 as u64 > self.objects {
            self.push(format!("{}: {what} refers to object {}, beyond the {} objects", where_(), id.0, self.objects));
        } else if id.is_null() && !nullable {
            self.push(format!("{}: {what} is null", where_()));
        }
    }
    fn loader(&mut self, where_: &dyn Fn() -> String, l: LoaderRef) {
        if let LoaderRef::Object(id) = l {
            self.object(where_, "loader", id, false);
        }
    }
    fn value(&mut self, where_: &dyn Fn() -> String, what: &str, v: FieldValue) {
        match v {
            FieldValue::Ref(id) => self.object(where_, what, id, true),
            FieldValue::Boolean(b) if b > 1 => self.push(format!("{}: {what} is boolean {b}, not 0 or 1", where_())),
            _ => {}
        }
    }
}

/// Verifies everything in `image`; never stops at the first problem.
pub fn verify(image: &Image) -> VerifyReport {
    let mut c = Checker { problems: Vec::new(), objects: 0 };
    for entry in image.sections() {
        if entry.kind.is_known() {
            if let Err(e) = image.payload(entry.kind) {
                c.push(e.to_string());
            }
        }
    }
    for kind in SectionKind::ALL {
        if image.section(kind).is_none() {
            c.push(format!("section {kind} is missing"));
        }
    }
    let note = |c: &mut Checker, r: crate::Result<()>| {
        if let Err(e) = r {
            if !matches!(e, crate::ImageError::MissingSection(_)) {
                c.push(e.to_string());
            }
        }
    };
    note(&mut c, image.platform().map(|_| ()));
    note(&mut c, image.launch().map(|_| ()));
    let classes = match image.classes() {
        Ok(cl) => Some(cl),
        Err(e) => {
            note(&mut c, Err(e));
            None
        }
    };
    let symrefs = match image.symrefs() {
        Ok(s) => Some(s),
        Err(e) => {
            note(&mut c, Err(e));
            None
        }
    };

    // Pass 1: decode every object, count them.
    let mut objects_ok = false;
    if classes.is_some() {
        match image.objects() {
            Ok(mut iter) => {
                objects_ok = true;
                // 2.x records name their ids: they must be 1..N, each once.
                let mut ids = image
                    .objects_name_ids()
                    .then(|| RecordIds::new(image.raw_length(SectionKind::OBJECTS).unwrap_or(0) as usize));
                loop {
                    let offset = iter.position();
                    let Some(r) = iter.next() else { break };
                    match r {
                        Ok(rec) => {
                            c.objects += 1;
                            if let Some(Err(e)) = ids.as_mut().map(|ids| ids.record(rec.id.0, c.objects, offset)) {
                                c.push(format!("section OBJECTS, object {} (at payload offset {offset:#x}): {e}", c.objects));
                                objects_ok = false;
                            }
                        }
                        Err(e) => {
                            c.push(e.to_string());
                            objects_ok = false;
                        }
                    }
                }
                if let (true, Some(Err((e, record, offset)))) = (objects_ok, ids.map(|ids| ids.finish(c.objects))) {
                    c.push(format!("section OBJECTS, object {record}: {e} (at payload offset {offset:#x})"));
                    objects_ok = false;
                }
            }
            Err(e) => note(&mut c, Err(e)),
        }
    }
    let n = c.objects;

    if let Some(classes) = classes {
        let class_count = classes.len();
        for (i, cl) in classes.iter().enumerate() {
            let w = || format!("section CLASSES, class {i} ({})", cl.name);
            if !is_class_or_array_name(&cl.name) {
                c.push(format!("{}: malformed class name", w()));
            }
            if cl.flags & !CLASS_FLAGS_DEFINED != 0 {
                c.push(format!("{}: reserved class flags {:#x} set", w(), cl.flags & !CLASS_FLAGS_DEFINED));
            }
            if (cl.flags & CLASS_FLAG_ARRAY != 0) != cl.name.starts_with('[') {
                c.push(format!("{}: CLASS_FLAG_ARRAY does not match the name", w()));
            }
            c.loader(&w, cl.loader);
            if let Some(s) = cl.super_class {
                if let Some(sc) = classes.get(s as usize) {
                    if sc.flags & CLASS_FLAG_INTERFACE != 0 || sc.name.starts_with('[') {
                        c.push(format!("{}: superclass {s} ({}) is an interface or array", w(), sc.name));
                    }
                }
            }
            for iface in &cl.interfaces {
                if !is_class_name(iface.as_bytes()) {
                    c.push(format!("{}: malformed interface name {iface:?}", w()));
                }
            }
            let mut names = HashSet::new();
            for (f, field) in cl.fields.iter().enumerate() {
                if !is_field_descriptor(&field.descriptor) {
                    c.push(format!("{}: field {f} ({}) has malformed descriptor {:?}", w(), field.name, field.descriptor));
                }
                if !names.insert((&field.name, &field.descriptor)) {
                    c.push(format!("{}: field {} {} declared twice", w(), field.name, field.descriptor));
                }
            }
        }
        if let Some(symrefs) = symrefs {
            for (i, s) in symrefs.iter().enumerate() {
                let w = || format!("section SYMREFS, symref {i}");
                match s {
                    SymbolicRef::ClassMirror { class } if *class as usize >= class_count => {
                        c.push(format!("{}: class index {class} out of range (0..{class_count})", w()))
                    }
                    SymbolicRef::PrimitiveClass { descriptor } if !b"ZBCSIFJDV".contains(descriptor) => {
                        c.push(format!("{}: {:?} is not a primitive descriptor", w(), *descriptor as char))
                    }
                    SymbolicRef::Loader(l) | SymbolicRef::UnnamedModule { loader: l } => c.loader(&w, *l),
                    _ => {}
                }
            }
        }

        // Pass 2: cross-references of objects.
        if objects_ok {
            if let Ok(mut iter) = image.objects() {
                let mut field_names: std::collections::HashMap<u32, Vec<String>> = Default::default();
                loop {
                    let offset = iter.position();
                    let Some(Ok(rec)) = iter.next() else { break };
                    let id = rec.id.0;
                    let w = || format!("section OBJECTS, object {id} (at payload offset {offset:#x})");
                    match &rec.body {
                        ObjectBody::Instance { values, class } => {
                            let fields = field_names.entry(*class).or_insert_with(|| instance_field_names(classes, *class));
                            for (k, v) in values.iter().enumerate() {
                                let name = fields.get(k).map(String::as_str).unwrap_or("?");
                                c.value(&w, &format!("field {name}"), *v);
                            }
                        }
                        ObjectBody::RefArray { elements, .. } => {
                            for (k, e) in elements.iter().enumerate() {
                                c.object(&w, &format!("element {k}"), *e, true);
                            }
                        }
                        ObjectBody::PrimArray { elem: PrimKind::Boolean, data, .. } => {
                            if let Some(k) = data.iter().position(|&b| b > 1) {
                                c.push(format!("{}: element {k} is boolean {}, not 0 or 1", w(), data[k]));
                            }
                        }
                        ObjectBody::String { utf16: false, .. } | ObjectBody::String { utf16: true, .. } => {}
                        ObjectBody::Symbolic(s) => {
                            if let Some(symrefs) = symrefs {
                                if *s as usize >= symrefs.len() {
                                    c.push(format!("{}: symref index {s} out of range (0..{})", w(), symrefs.len()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }

        match image.statics() {
            Ok(iter) => {
                let mut seen = HashSet::new();
                for (i, r) in iter.enumerate() {
                    match r {
                        Ok(entry) => {
                            let cl = &classes[entry.class as usize];
                            let w = || format!("section STATICS, entry {i} ({})", cl.name);
                            if !seen.insert(entry.class) {
                                c.push(format!("{}: class has a second entry", w()));
                            }
                            if cl.init_state != InitState::Initialized {
                                c.push(format!("{}: class is {:?}, not Initialized", w(), cl.init_state));
                            }
                            let names: Vec<&str> = cl.fields.iter().filter(|f| f.is_static()).map(|f| f.name.as_str()).collect();
                            debug_assert_eq!(static_field_types(cl).count(), entry.values.len());
                            for (k, v) in entry.values.iter().enumerate() {
                                c.value(&w, &format!("static {}", names.get(k).unwrap_or(&"?")), *v);
                            }
                        }
                        Err(e) => c.push(e.to_string()),
                    }
                }
            }
            Err(e) => note(&mut c, Err(e)),
        }

        match image.threads() {
            Ok(threads) => {
                for (t, th) in threads.iter().enumerate() {
                    let wt = || format!("section THREADS, thread {t} ({})", th.name);
                    c.object(&wt, "thread object", th.thread_object, false);
                    for (fi, f) in th.frames.iter().enumerate() {
                        let w = || format!("section THREADS, thread {t} ({}), frame {fi}", th.name);
                        match classes.get(f.class as usize) {
                            None => c.push(format!("{}: class index {} out of range (0..{class_count})", w(), f.class)),
                            Some(cl) if cl.name.starts_with('[') => {
                                c.push(format!("{}: frame class {} is an array class", w(), cl.name))
                            }
                            _ => {}
                        }
                        if !is_method_descriptor(&f.method_descriptor) {
                            c.push(format!("{}: malformed method descriptor {:?}", w(), f.method_descriptor));
                        }
                        for (what, slots) in [("local", &f.locals), ("operand", &f.operands)] {
                            for (k, v) in slots.iter().enumerate() {
                                if let Some(o) = v.object() {
                                    c.object(&w, &format!("{what} {k}"), o, !matches!(v, Value::UninitializedThis(_) | Value::Uninitialized { .. }));
                                }
                                if matches!(v, Value::Long(_) | Value::Double(_)) && slots.get(k + 1) != Some(&Value::Top) {
                                    c.push(format!("{}: {what} {k} is a two-slot value not followed by Top", w()));
                                }
                            }
                        }
                        for (k, m) in f.monitors.iter().enumerate() {
                            c.object(&w, &format!("monitor {k}"), m.object, false);
                            if m.count == 0 {
                                c.push(format!("{}: monitor {k} has count 0", w()));
                            }
                        }
                    }
                }
            }
            Err(e) => note(&mut c, Err(e)),
        }
    }

    match image.resources() {
        Ok(r) => {
            for (k, id) in r.resources.iter().enumerate() {
                let w = || "section RESOURCES".to_string();
                c.object(&w, &format!("resource {k}"), *id, false);
            }
        }
        Err(e) => note(&mut c, Err(e)),
    }

    // A damaged section is reported by every accessor that reads it: once is enough.
    let mut seen = HashSet::new();
    c.problems.retain(|p| seen.insert(p.clone()));
    VerifyReport {
        problems: c.problems,
        sections: image.sections().len() as u32,
        classes: classes.map_or(0, |c| c.len() as u32),
        objects: n,
    }
}

/// Names of the instance-layout fields of `class`, in record order.
pub fn instance_field_names(classes: &[ClassRecord], class: u32) -> Vec<String> {
    let mut chain = Vec::new();
    let mut cur = Some(class);
    while let Some(i) = cur {
        let Some(cl) = classes.get(i as usize) else { break };
        chain.push(cl);
        cur = cl.super_class.filter(|&s| s < i);
    }
    chain
        .iter()
        .rev()
        .flat_map(|cl| cl.fields.iter().filter(|f| !f.is_static()).map(|f| f.name.clone()))
        .collect()
}

