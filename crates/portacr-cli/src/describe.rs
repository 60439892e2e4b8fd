//! Shared descriptions: object summaries, times, uuids, slot values.

use portacr_image::*;

/// What the dump shows for one object id.
#[derive(Clone)]
pub struct ObjectSummary {
    pub class: String,
    pub string: Option<String>,
    pub symbolic: Option<String>,
}

/// Per-object summaries (index = id − 1) and per-class instance counts.
pub struct ObjectIndex {
    pub objects: Vec<ObjectSummary>,
    pub instances: Vec<u64>,
    pub by_kind: [u64; 5],
}

impl ObjectIndex {
    pub fn build(img: &Image) -> Result<ObjectIndex> {
        let classes = img.classes()?;
        let symrefs = img.symrefs().unwrap_or(&[]);
        let mut idx = ObjectIndex { objects: Vec::new(), instances: vec![0; classes.len()], by_kind: [0; 5] };
        for r in img.objects()? {
            let r = r?;
            let summary = match &r.body {
                ObjectBody::String { .. } => {
                    idx.by_kind[3] += 1;
                    ObjectSummary { class: "java/lang/String".into(), string: r.body.string_value(), symbolic: None }
                }
                ObjectBody::Symbolic(s) => {
                    idx.by_kind[4] += 1;
                    let d = symrefs.get(*s as usize).map(|s| symref(s, classes)).unwrap_or_else(|| format!("symref {s}?"));
                    ObjectSummary { class: "(symbolic)".into(), string: None, symbolic: Some(d) }
                }
                body => {
                    let k = match body {
                        ObjectBody::Instance { .. } => 0,
                        ObjectBody::PrimArray { .. } => 1,
                        _ => 2,
                    };
                    idx.by_kind[k] += 1;
                    let c = body.class().unwrap_or(0);
                    if let Some(n) = idx.instances.get_mut(c as usize) {
                        *n += 1;
                    }
                    let name = classes.get(c as usize).map(|c| c.name.clone()).unwrap_or_default();
                    ObjectSummary { class: name, string: None, symbolic: None }
                }
            };
            // By id: a 2.x image's records come in the walk's order, not by id.
            let at = r.id.0 as usize - 1;
            if at >= idx.objects.len() {
                idx.objects.resize(at + 1, ObjectSummary { class: String::new(), string: None, symbolic: None });
            }
            idx.objects[at] = summary;
        }
        Ok(idx)
    }

    pub fn get(&self, id: ObjectId) -> Option<&ObjectSummary> {
        (id.0 as usize).checked_sub(1).and_then(|i| self.objects.get(i))
    }

    /// `null`, `#3 "text…"`, `#7 java/util/HashMap`, `#9 <CurrentThread>`.
    pub fn short(&self, id: ObjectId) -> String {
        if id.is_null() {
            return "null".into();
        }
        match self.get(id) {
            None => format!("#{} <dangling>", id.0),
            Some(ObjectSummary { string: Some(s), .. }) => format!("#{} {}", id.0, quote_truncated(s, 40)),
            Some(ObjectSummary { symbolic: Some(s), .. }) => format!("#{} <{s}>", id.0),
            Some(o) => format!("#{} {}", id.0, o.class),
        }
    }
}

pub fn quote_truncated(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    format!("{out:?}")
}

pub fn loader(l: &LoaderRef) -> String {
    match l {
        LoaderRef::Boot => "boot".into(),
        LoaderRef::Platform => "platform".into(),
        LoaderRef::App => "app".into(),
        LoaderRef::Object(o) => format!("object #{}", o.0),
    }
}

pub fn symref(s: &SymbolicRef, classes: &[ClassRecord]) -> String {
    match s {
        SymbolicRef::ClassMirror { class } => {
            format!("class {}", classes.get(*class as usize).map_or("?", |c| c.name.as_str()))
        }
        SymbolicRef::PrimitiveClass { descriptor } => format!("primitive class {}", *descriptor as char),
        SymbolicRef::StaticValue { class_name, field } => format!("static {class_name}.{field}"),
        SymbolicRef::StaticArrayElement { class_name, field, index } => format!("static {class_name}.{field}[{index}]"),
        SymbolicRef::Loader(l) => format!("{} class loader", loader(l)),
        SymbolicRef::Module { name } => format!("module {name}"),
        SymbolicRef::UnnamedModule { loader: l } => format!("unnamed module of {} loader", loader(l)),
        SymbolicRef::CurrentThread => "current thread".into(),
        SymbolicRef::ThreadGroup { name } => format!("thread group {name}"),
    }
}

pub fn flag_names(flags: u32) -> Vec<&'static str> {
    [
        (CLASS_FLAG_APPLICATION, "application"),
        (CLASS_FLAG_ARRAY, "array"),
        (CLASS_FLAG_INTERFACE, "interface"),
        (CLASS_FLAG_ENUM, "enum"),
        (CLASS_FLAG_RECORD, "record"),
        (CLASS_FLAG_HIDDEN, "hidden"),
        (CLASS_FLAG_HAS_STATICS, "has-statics"),
    ]
    .iter()
    .filter(|(b, _)| flags & b != 0)
    .map(|(_, n)| *n)
    .collect()
}

pub fn uuid(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Epoch milliseconds as ISO-8601 UTC (`2025-11-23T10:15:00.123Z`).
pub fn iso_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil-from-days (proleptic Gregorian), after H. Hinnant's public-domain algorithm description.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z", sod / 3600, sod / 60 % 60, sod % 60)
}

pub fn float(bits: u32) -> String {
    format!("{} (0x{bits:08x})", f32::from_bits(bits))
}

pub fn double(bits: u64) -> String {
    format!("{} (0x{bits:016x})", f64::from_bits(bits))
}

/// A slot as `type value`.
pub fn slot(v: &Value, idx: &ObjectIndex) -> String {
    match v {
        Value::Top => "top".into(),
        Value::Int(i) => format!("int {i}"),
        Value::Float(b) => format!("float {}", float(*b)),
        Value::Long(l) => format!("long {l}"),
        Value::Double(b) => format!("double {}", double(*b)),
        Value::Ref(o) => format!("ref {}", idx.short(*o)),
        Value::Uninitialized { new_bci, object } => format!("uninitialized(new@{new_bci}) {}", idx.short(*object)),
        Value::UninitializedThis(o) => format!("uninitializedThis {}", idx.short(*o)),
        Value::ReturnAddress(a) => format!("returnAddress {a}"),
        Value::Raw(r) => format!("raw 0x{r:016x}"),
    }
}
