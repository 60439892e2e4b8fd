//! The compatibility gate: the image against this JVM, field by field, every
//! mismatch collected (wasmtime's `serialization.rs` check, STYLE.md).
//!
//! `SourcePlatform` is destructured without `..`, so a field added to the
//! image forces a decision here. The decisions are in spec/restore.md §3.

use portacr_image::{ClassRecord, LoaderRef, SourcePlatform};

use super::objects_scan::ObjectCounts;
use super::TargetVm;

/// Java feature versions portacr is built and tested for, as the source of an
/// image and as the target of a restore. Any of them restores into any other.
pub const SUPPORTED_JAVA: std::ops::RangeInclusive<u32> = 17..=25;

/// At most this many class names in one mismatch; the rest are counted.
const MAX_NAMES: usize = 8;

/// Checks the source platform against this JVM.
pub fn check_platform(p: &SourcePlatform, target: &TargetVm) -> Vec<String> {
    let SourcePlatform {
        // Recorded, any value restores: the image is Java-semantic (no
        // addresses, offsets, word sizes or machine code).
        os: _,
        arch: _,
        jvm_vendor: _,
        jvm_name: _,
        jvm_version: _,
        gc: _,
        max_heap: _,
        initial_heap: _,
        compressed_oops: _,
        compact_headers: _,
        cpu_count: _,
        cpu_features: _,
        pid: _,
        hostname: _,
        uuid: _,
        // Process facts the restored program sees (restore.md §5).
        boot_time_ms: _,
        restore_time_ms: _,
        checkpoint_time_ms: _,
        nano_time: _,
        // Checked below.
        java_spec_version,
        generation,
    } = p;
    let mut mismatches = Vec::new();
    if !SUPPORTED_JAVA.contains(java_spec_version) {
        mismatches.push(format!(
            "the image was written by Java {java_spec_version}, portacr restores images of Java {}..={}",
            SUPPORTED_JAVA.start(),
            SUPPORTED_JAVA.end()
        ));
    }
    if !SUPPORTED_JAVA.contains(&target.java_spec_version) {
        mismatches.push(format!(
            "this JVM is Java {}, portacr restores into Java {}..={}",
            target.java_spec_version,
            SUPPORTED_JAVA.start(),
            SUPPORTED_JAVA.end()
        ));
    }
    if *generation == 0 || *generation == u32::MAX {
        mismatches.push(format!("the image's generation {generation} is not a checkpoint generation"));
    }
    mismatches
}

/// Classes this version cannot bring back: classes of custom class loaders
/// (not loadable by name yet). Hidden classes (lambdas: no name to load by)
/// are not refused here: most are only in the table because they were
/// loaded (a lambda cached by its call site); the rebuild refuses the
/// restore, naming the class, when an object, static or frame needs one.
pub fn check_classes(classes: &[ClassRecord]) -> Vec<String> {
    let custom: Vec<&str> = classes
        .iter()
        .filter(|c| matches!(c.loader, LoaderRef::Object(_)))
        .map(|c| c.name.as_str())
        .collect();
    let mut mismatches = Vec::new();
    if !custom.is_empty() {
        mismatches.push(format!(
            "classes of custom class loaders cannot be restored yet: {}",
            name_list(&custom)
        ));
    }
    mismatches
}

/// The heap this JVM needs for the image: the live-data estimate, plus
/// room for the rebuild's own id table (one reference a record) and a
/// quarter for the collector to work in, plus the JDK's own baseline.
pub fn heap_needed(counts: &ObjectCounts) -> u64 {
    let live = counts.estimated_heap_bytes;
    live + live / 4 + counts.objects * 4 + BASELINE_HEAP
}

/// What a JVM's heap holds before the program: the JDK's own objects, the
/// restore runtime's tables for classes and symbols.
pub const BASELINE_HEAP: u64 = 16 << 20;

/// The `-Xmx` rule (spec/restore.md §3): refuse when this JVM's maximum heap
/// is below [`heap_needed`].
pub fn check_heap(counts: &ObjectCounts, max_heap: u64) -> Option<String> {
    let needed = heap_needed(counts);
    (max_heap < needed).then(|| {
        format!(
            "the image holds about {} of live data ({} objects), which needs a maximum heap of at least {}; this JVM has -Xmx {}",
            human(counts.estimated_heap_bytes),
            counts.objects,
            human(needed),
            human(max_heap)
        )
    })
}

/// Bytes in the largest unit that keeps one decimal: `512.0M`, `1.5G`.
pub fn human(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return format!("{:.1}{unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes}B")
}

fn name_list(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(MAX_NAMES).map(|n| n.replace('/', ".")).collect();
    let mut text = shown.join(", ");
    if names.len() > MAX_NAMES {
        text.push_str(&format!(" and {} more", names.len() - MAX_NAMES));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use portacr_image::CLASS_FLAG_HIDDEN;

    fn platform(java: u32) -> SourcePlatform {
        SourcePlatform {
            os: "linux".into(),
            arch: "aarch64".into(),
            jvm_vendor: "v".into(),
            jvm_name: "n".into(),
            jvm_version: "x".into(),
            java_spec_version: java,
            gc: "G1".into(),
            max_heap: 1 << 40,
            initial_heap: 1,
            compressed_oops: false,
            compact_headers: true,
            cpu_count: 64,
            cpu_features: !0,
            pid: 1,
            boot_time_ms: 0,
            restore_time_ms: 0,
            checkpoint_time_ms: 0,
            nano_time: 0,
            generation: 1,
            uuid: [0; 16],
            hostname: "h".into(),
        }
    }

    fn target(java: u32) -> TargetVm {
        TargetVm { java_spec_version: java, arch: "x86_64" }
    }

    #[test]
    fn any_supported_java_any_arch_restores() {
        for from in [17, 21, 25] {
            for to in [17, 21, 25] {
                assert!(check_platform(&platform(from), &target(to)).is_empty(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn every_mismatch_is_reported() {
        let mut p = platform(11);
        p.generation = 0;
        let m = check_platform(&p, &target(26));
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].contains("Java 11"), "{m:?}");
        assert!(m[1].contains("this JVM is Java 26"), "{m:?}");
        assert!(m[2].contains("generation 0"), "{m:?}");
    }

    #[test]
    fn heap_rule_names_both_sizes() {
        let counts = ObjectCounts { objects: 1_000_000, estimated_heap_bytes: 100 << 20 };
        let needed = heap_needed(&counts);
        assert_eq!(needed, (100 << 20) + (25 << 20) + 4_000_000 + (16 << 20));
        assert!(check_heap(&counts, needed).is_none());
        let m = check_heap(&counts, 64 << 20).unwrap();
        assert!(m.contains("100.0M of live data"), "{m}");
        assert!(m.contains("-Xmx 64.0M"), "{m}");
        assert!(m.contains(&human(needed)), "{m}");
    }

    #[test]
    fn custom_loaders_are_named_hidden_classes_left_to_the_rebuild() {
        let class = |name: &str, loader, flags| ClassRecord {
            name: name.into(),
            loader,
            flags,
            access_flags: 0,
            digest: None,
            super_class: None,
            interfaces: vec![],
            fields: vec![],
            init_state: portacr_image::InitState::Initialized,
        };
        let classes = [
            class("java/lang/Object", LoaderRef::Boot, 0),
            class("demo/Plugin", LoaderRef::Object(portacr_image::ObjectId(3)), 1),
            class("demo/Main$$Lambda/0x1", LoaderRef::App, 1 | CLASS_FLAG_HIDDEN),
        ];
        let m = check_classes(&classes);
        assert_eq!(m.len(), 1);
        assert!(m[0].ends_with("demo.Plugin"), "{m:?}");
    }
}
