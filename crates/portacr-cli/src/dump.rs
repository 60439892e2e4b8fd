//! `dump-info`: text and JSON renderings (JSON schema: spec/image-format.md §12).

use std::fmt::Write;

use anyhow::Result;
use portacr_image::reader::static_field_types;
use portacr_image::*;
use serde_json::{json, Value as J};

use crate::describe::*;

fn codec(c: u32) -> String {
    match c {
        0 => "stored".into(),
        1 => "zstd".into(),
        n => format!("codec {n}"),
    }
}

fn statics_counts(img: &Image) -> Result<Vec<Option<usize>>> {
    let classes = img.classes()?;
    let mut counts = vec![None; classes.len()];
    for e in img.statics()? {
        let e = e?;
        counts[e.class as usize] = Some(e.values.len());
    }
    Ok(counts)
}

pub fn text(img: &Image) -> Result<String> {
    let mut o = String::new();
    let h = img.header();
    writeln!(o, "format {}.{}, flags {:#x}, {} sections", h.format_major, h.format_minor, h.flags, img.sections().len())?;
    for s in img.sections() {
        writeln!(
            o,
            "  {:<10} {:>6} chunks {:>12} stored {:>12} raw  {}{}",
            s.kind.to_string(),
            s.chunk_count,
            s.stored_length,
            s.raw_length,
            codec(s.codec),
            if s.is_optional() { " optional" } else { "" }
        )?;
    }
    let p = img.platform()?;
    writeln!(o, "\nsource platform")?;
    writeln!(o, "  os/arch        {} {}", p.os, p.arch)?;
    writeln!(o, "  jvm            {} {} {} (Java {})", p.jvm_vendor, p.jvm_name, p.jvm_version, p.java_spec_version)?;
    writeln!(o, "  gc             {}, heap initial {} max {} bytes", p.gc, p.initial_heap, p.max_heap)?;
    writeln!(o, "  oops           compressed {}, compact headers {}", p.compressed_oops, p.compact_headers)?;
    writeln!(o, "  cpus           {}, features {:#x}", p.cpu_count, p.cpu_features)?;
    writeln!(o, "  pid            {} on {}", p.pid, p.hostname)?;
    writeln!(o, "  boot time      {}", iso_ms(p.boot_time_ms))?;
    writeln!(o, "  restore time   {}", iso_ms(p.restore_time_ms))?;
    writeln!(o, "  checkpoint     {} (nanoTime {})", iso_ms(p.checkpoint_time_ms), p.nano_time)?;
    writeln!(o, "  generation     {}", p.generation)?;
    writeln!(o, "  uuid           {}", uuid(&p.uuid))?;
    let l = img.launch()?;
    writeln!(o, "\nlaunch")?;
    writeln!(o, "  java           {} (home {})", l.java_binary, l.java_home)?;
    writeln!(o, "  class path     {}", l.class_path)?;
    if let Some(m) = &l.module_path {
        writeln!(o, "  module path    {m}")?;
    }
    writeln!(o, "  main class     {}", l.main_class)?;
    writeln!(o, "  arguments      {:?}", l.arguments)?;
    writeln!(o, "  jvm options    {:?}", l.jvm_options)?;
    writeln!(o, "  working dir    {}", l.working_dir)?;
    for (k, v) in &l.system_properties {
        writeln!(o, "  property       {k}={v}")?;
    }
    let classes = img.classes()?;
    let idx = ObjectIndex::build(img)?;
    let statics = statics_counts(img)?;
    let symrefs = img.symrefs()?;
    let threads = img.threads()?;
    let resources = img.resources()?;
    writeln!(o, "\ncounts")?;
    writeln!(o, "  classes {}, objects {} (instances {}, primitive arrays {}, reference arrays {}, strings {}, symbolic {}), symrefs {}, threads {}, resources {}",
        classes.len(), idx.objects.len(), idx.by_kind[0], idx.by_kind[1], idx.by_kind[2], idx.by_kind[3], idx.by_kind[4],
        symrefs.len(), threads.len(), resources.resources.len())?;
    for s in img.sections() {
        writeln!(o, "  {:<10} {} raw bytes", s.kind.to_string(), s.raw_length)?;
    }
    writeln!(o, "\nclasses")?;
    for (i, c) in classes.iter().enumerate() {
        let sup = c.super_class.map_or("-".to_string(), |s| s.to_string());
        let st = statics[i].map_or(String::new(), |n| format!(", {n} statics"));
        writeln!(
            o,
            "  {i:>5} {} [{}] loader {}, super {sup}, {:?}, {} instances{st}",
            c.name,
            flag_names(c.flags).join(","),
            loader(&c.loader),
            c.init_state,
            idx.instances[i]
        )?;
    }
    writeln!(o, "\nsymbolic refs")?;
    for (i, s) in symrefs.iter().enumerate() {
        writeln!(o, "  {i:>5} {}", symref(s, classes))?;
    }
    writeln!(o, "\nresources")?;
    for r in &resources.resources {
        writeln!(o, "  {}", idx.short(*r))?;
    }
    writeln!(o, "\nthreads")?;
    for t in threads {
        writeln!(
            o,
            "  \"{}\" {} daemon={} priority={} state={:#x}",
            t.name,
            idx.short(t.thread_object),
            t.daemon,
            t.priority,
            t.state
        )?;
        for (fi, f) in t.frames.iter().enumerate() {
            let cname = classes.get(f.class as usize).map_or("?", |c| c.name.as_str());
            writeln!(o, "    frame {fi}: {cname}.{}{} bci {} ({:?})", f.method_name, f.method_descriptor, f.bci, f.kind)?;
            for (k, v) in f.locals.iter().enumerate() {
                writeln!(o, "      local {k:<3} {}", slot(v, &idx))?;
            }
            for (k, v) in f.operands.iter().enumerate() {
                writeln!(o, "      stack {k:<3} {}", slot(v, &idx))?;
            }
            for m in &f.monitors {
                writeln!(o, "      monitor   {} ×{}", idx.short(m.object), m.count)?;
            }
        }
    }
    Ok(o)
}

/// Integers beyond ±(2^53 − 1) become strings (spec §12).
fn int(v: i128) -> J {
    const MAX: i128 = (1 << 53) - 1;
    if (-MAX..=MAX).contains(&v) {
        J::from(v as i64)
    } else {
        J::from(v.to_string())
    }
}

fn fbits(bits: u32) -> J {
    let f = f32::from_bits(bits);
    json!({"bits": format!("0x{bits:08x}"), "value": fnum(f as f64, f.is_finite())})
}

fn dbits(bits: u64) -> J {
    let d = f64::from_bits(bits);
    json!({"bits": format!("0x{bits:016x}"), "value": fnum(d, d.is_finite())})
}

fn fnum(v: f64, finite: bool) -> J {
    if finite {
        json!(v)
    } else if v.is_nan() {
        json!("NaN")
    } else if v > 0.0 {
        json!("Infinity")
    } else {
        json!("-Infinity")
    }
}

fn obj(id: ObjectId, idx: &ObjectIndex) -> J {
    if id.is_null() {
        return J::Null;
    }
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(id.0));
    match idx.get(id) {
        None => {
            m.insert("class".into(), J::Null);
            m.insert("dangling".into(), json!(true));
        }
        Some(s) => {
            m.insert("class".into(), json!(s.class));
            if let Some(t) = &s.string {
                m.insert("string".into(), json!(t));
            }
            if let Some(t) = &s.symbolic {
                m.insert("symbolic".into(), json!(t));
            }
        }
    }
    J::Object(m)
}

fn time(ms: i64) -> J {
    json!({"ms": int(ms as i128), "iso": iso_ms(ms)})
}

fn slot_json(v: &Value, idx: &ObjectIndex) -> J {
    match v {
        Value::Top => json!({"type": "top"}),
        Value::Int(i) => json!({"type": "int", "value": i}),
        Value::Float(b) => {
            let mut j = fbits(*b);
            j["type"] = json!("float");
            j
        }
        Value::Long(l) => json!({"type": "long", "value": int(*l as i128)}),
        Value::Double(b) => {
            let mut j = dbits(*b);
            j["type"] = json!("double");
            j
        }
        Value::Ref(o) => json!({"type": "ref", "ref": obj(*o, idx)}),
        Value::Uninitialized { new_bci, object } => json!({"type": "uninitialized", "new_bci": new_bci, "ref": obj(*object, idx)}),
        Value::UninitializedThis(o) => json!({"type": "uninitialized_this", "ref": obj(*o, idx)}),
        Value::ReturnAddress(a) => json!({"type": "return_address", "value": a}),
        Value::Raw(r) => json!({"type": "raw", "bits": format!("0x{r:016x}")}),
    }
}

fn loader_json(l: &LoaderRef, idx: &ObjectIndex) -> J {
    match l {
        LoaderRef::Object(o) => json!({"object": obj(*o, idx)}),
        other => json!(loader(other)),
    }
}

pub fn json(img: &Image, objects: &[u32]) -> Result<J> {
    let h = img.header();
    let sections: Vec<J> = img
        .sections()
        .iter()
        .map(|s| {
            json!({"kind": s.kind.0, "name": s.kind.name().unwrap_or("unknown"), "optional": s.is_optional(),
                   "codec": codec(s.codec), "chunks": s.chunk_count, "offset": int(s.offset as i128),
                   "stored_length": int(s.stored_length as i128), "raw_length": int(s.raw_length as i128),
                   "raw_crc32": format!("0x{:08x}", s.raw_crc32)})
        })
        .collect();
    let p = img.platform()?;
    let platform = json!({
        "os": p.os, "arch": p.arch, "jvm_vendor": p.jvm_vendor, "jvm_name": p.jvm_name,
        "jvm_version": p.jvm_version, "java_spec_version": p.java_spec_version, "gc": p.gc,
        "max_heap": int(p.max_heap as i128), "initial_heap": int(p.initial_heap as i128),
        "compressed_oops": p.compressed_oops, "compact_headers": p.compact_headers,
        "cpu_count": p.cpu_count, "cpu_features": format!("{:#x}", p.cpu_features), "pid": p.pid,
        "boot_time": time(p.boot_time_ms), "restore_time": time(p.restore_time_ms),
        "checkpoint_time": time(p.checkpoint_time_ms), "nano_time": int(p.nano_time as i128),
        "generation": p.generation, "uuid": uuid(&p.uuid), "hostname": p.hostname,
    });
    let l = img.launch()?;
    let launch = json!({
        "java_home": l.java_home, "java_binary": l.java_binary, "class_path": l.class_path,
        "module_path": l.module_path, "main_class": l.main_class, "arguments": l.arguments,
        "jvm_options": l.jvm_options, "system_properties": l.system_properties, "working_dir": l.working_dir,
    });
    let classes = img.classes()?;
    let idx = ObjectIndex::build(img)?;
    let statics = statics_counts(img)?;
    let symrefs = img.symrefs()?;
    let threads = img.threads()?;
    let resources = img.resources()?;
    let class_list: Vec<J> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "index": i, "name": c.name, "loader": loader_json(&c.loader, &idx), "flags": c.flags,
                "flag_names": flag_names(c.flags), "access_flags": c.access_flags,
                "digest": c.digest.map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>()),
                "super_class": c.super_class, "interfaces": c.interfaces,
                "fields": c.fields.iter().map(|f| json!({"name": f.name, "descriptor": f.descriptor,
                    "access_flags": f.access_flags, "static": f.is_static()})).collect::<Vec<_>>(),
                "init_state": format!("{:?}", c.init_state), "instances": int(idx.instances[i] as i128),
                "statics": statics[i], "static_field_count": static_field_types(c).count(),
            })
        })
        .collect();
    let symref_list: Vec<J> = symrefs
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"index": i, "description": symref(s, classes), "ref": serde_json::to_value(s).unwrap_or(J::Null)}))
        .collect();
    let thread_list: Vec<J> = threads
        .iter()
        .map(|t| {
            json!({
                "name": t.name, "thread_object": obj(t.thread_object, &idx), "daemon": t.daemon,
                "priority": t.priority, "state": t.state,
                "frames": t.frames.iter().map(|f| json!({
                    "class_index": f.class,
                    "class": classes.get(f.class as usize).map(|c| c.name.as_str()),
                    "method": f.method_name, "descriptor": f.method_descriptor,
                    "access_flags": f.method_access_flags, "bci": f.bci, "kind": format!("{:?}", f.kind),
                    "locals": f.locals.iter().map(|v| slot_json(v, &idx)).collect::<Vec<_>>(),
                    "operands": f.operands.iter().map(|v| slot_json(v, &idx)).collect::<Vec<_>>(),
                    "monitors": f.monitors.iter().map(|m| json!({"object": obj(m.object, &idx), "count": m.count})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let statics_list = statics_json(img, classes, &idx)?;
    let object_list = objects_json(img, classes, &idx, objects)?;
    Ok(json!({
        "format": {"major": h.format_major, "minor": h.format_minor, "flags": h.flags, "file_length": int(h.file_length as i128)},
        "sections": sections,
        "platform": platform,
        "launch": launch,
        "counts": {
            "classes": classes.len(), "objects": idx.objects.len(), "symrefs": symrefs.len(),
            "threads": threads.len(), "resources": resources.resources.len(),
            "statics": statics.iter().filter(|s| s.is_some()).count(),
            "objects_by_kind": {"instance": idx.by_kind[0], "prim_array": idx.by_kind[1],
                "ref_array": idx.by_kind[2], "string": idx.by_kind[3], "symbolic": idx.by_kind[4]},
        },
        "classes": class_list,
        "symrefs": symref_list,
        "resources": resources.resources.iter().map(|r| obj(*r, &idx)).collect::<Vec<_>>(),
        "threads": thread_list,
        "statics": statics_list,
        "objects": object_list,
    }))
}

/// One field or array value, exact (spec §12): integers as numbers (longs
/// beyond 2^53 as strings), floats and doubles with their raw bits.
fn value_json(v: &FieldValue, idx: &ObjectIndex) -> J {
    match *v {
        FieldValue::Boolean(b) => json!(b),
        FieldValue::Byte(b) => json!(b),
        FieldValue::Char(c) => json!(c),
        FieldValue::Short(x) => json!(x),
        FieldValue::Int(x) => json!(x),
        FieldValue::Float(bits) => fbits(bits),
        FieldValue::Long(x) => int(x as i128),
        FieldValue::Double(bits) => dbits(bits),
        FieldValue::Ref(o) => obj(o, idx),
    }
}

fn named_values<'f>(fields: impl Iterator<Item = &'f FieldRecord>, values: &[FieldValue], idx: &ObjectIndex) -> Vec<J> {
    fields
        .zip(values)
        .map(|(f, v)| json!({"name": f.name, "descriptor": f.descriptor, "value": value_json(v, idx)}))
        .collect()
}

/// Every STATICS entry with its field names.
fn statics_json(img: &Image, classes: &[ClassRecord], idx: &ObjectIndex) -> Result<Vec<J>> {
    let mut list = Vec::new();
    for e in img.statics()? {
        let e = e?;
        let class = &classes[e.class as usize];
        let fields = class.fields.iter().filter(|f| f.is_static());
        list.push(json!({"class_index": e.class, "class": class.name, "fields": named_values(fields, &e.values, idx)}));
    }
    Ok(list)
}

/// The instance fields of `class` in instance-layout order (spec §7.1):
/// superclasses first.
fn instance_fields(classes: &[ClassRecord], class: u32) -> Vec<&FieldRecord> {
    let mut chain = Vec::new();
    let mut at = Some(class);
    while let Some(c) = at {
        let Some(record) = classes.get(c as usize) else { break };
        chain.push(record);
        at = record.super_class;
    }
    chain.iter().rev().flat_map(|c| c.fields.iter().filter(|f| !f.is_static())).collect()
}

fn prim_elements(elem: PrimKind, data: &[u8]) -> Vec<J> {
    data.chunks_exact(elem.size())
        .map(|b| match elem {
            PrimKind::Boolean => json!(b[0]),
            PrimKind::Byte => json!(b[0] as i8),
            PrimKind::Char => json!(u16::from_le_bytes([b[0], b[1]])),
            PrimKind::Short => json!(i16::from_le_bytes([b[0], b[1]])),
            PrimKind::Int => json!(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            PrimKind::Float => fbits(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            PrimKind::Long => int(i64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i128),
            PrimKind::Double => dbits(u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
        })
        .collect()
}

/// The records of the objects asked for with `--object ID`, in the order asked.
fn objects_json(img: &Image, classes: &[ClassRecord], idx: &ObjectIndex, wanted: &[u32]) -> Result<Vec<J>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: std::collections::HashMap<u32, J> = std::collections::HashMap::new();
    for r in img.objects()? {
        let r = r?;
        if !wanted.contains(&r.id.0) {
            continue;
        }
        let mut o = serde_json::Map::new();
        o.insert("id".into(), json!(r.id.0));
        o.insert("identity_hash".into(), json!(r.identity_hash));
        match &r.body {
            ObjectBody::Instance { class, values } => {
                o.insert("kind".into(), json!("instance"));
                o.insert("class".into(), json!(classes[*class as usize].name));
                let fields = instance_fields(classes, *class);
                o.insert("fields".into(), J::from(named_values(fields.into_iter(), values, idx)));
            }
            ObjectBody::PrimArray { class, elem, data } => {
                o.insert("kind".into(), json!("prim_array"));
                o.insert("class".into(), json!(classes[*class as usize].name));
                o.insert("elements".into(), J::from(prim_elements(*elem, data)));
            }
            ObjectBody::RefArray { class, elements } => {
                o.insert("kind".into(), json!("ref_array"));
                o.insert("class".into(), json!(classes[*class as usize].name));
                o.insert("elements".into(), J::from(elements.iter().map(|e| obj(*e, idx)).collect::<Vec<_>>()));
            }
            ObjectBody::String { interned, utf16, .. } => {
                o.insert("kind".into(), json!("string"));
                o.insert("class".into(), json!("java/lang/String"));
                o.insert("interned".into(), json!(interned));
                o.insert("utf16".into(), json!(utf16));
                o.insert("string".into(), json!(r.body.string_value()));
            }
            ObjectBody::Symbolic(s) => {
                o.insert("kind".into(), json!("symbolic"));
                o.insert("symref".into(), json!(s));
                o.insert("symbolic".into(), obj(r.id, idx)["symbolic"].clone());
            }
        }
        found.insert(r.id.0, J::Object(o));
    }
    wanted
        .iter()
        .map(|id| found.remove(id).or_else(|| None).ok_or_else(|| anyhow::anyhow!("--object {id}: no such object (ids are 1..={})", idx.objects.len())))
        .collect()
}
