//! How large a young generation a restoring JVM needs for an image
//! (spec/restore.md §6): shared by `portacr restore`, which adds the option,
//! and the agent, which advises it when a restore started by hand has none.

/// The young generation for the rebuild (spec/restore.md §6): every rebuilt
/// object survives, so with a young generation smaller than the image's heap
/// the collector copies each of them once or twice during the rebuild
/// (half of the rebuild's time under G1 with 1 GB of heap, 200 MB live).
/// `-XX:NewSize` of 1.25 × the heap estimate + 64 MiB lets the rebuild
/// allocate without a collection; it is a minimum, so G1 still grows the
/// young generation as it likes. Not added when the options size the young
/// generation themselves, choose a collector without one of this kind (ZGC,
/// Shenandoah, Epsilon), or the maximum heap leaves no room to copy the
/// objects out of the young generation later (1.5 × the estimate).
///
/// The heap estimate is [`heap_estimate`].
pub fn young_generation(options: &[String], objects_raw: u64, physical_memory: u64) -> Option<String> {
    const MB: u64 = 1 << 20;
    let sized = options.iter().any(|o| {
        ["-Xmn", "-XX:NewSize=", "-XX:MaxNewSize=", "-XX:NewRatio=", "-XX:G1NewSizePercent=", "-XX:G1MaxNewSizePercent="]
            .iter()
            .any(|p| o.starts_with(p))
            || ["-XX:+UseZGC", "-XX:+UseShenandoahGC", "-XX:+UseEpsilonGC"].contains(&o.as_str())
    });
    if sized || objects_raw == 0 {
        return None;
    }
    let estimate = heap_estimate(objects_raw);
    let young = (estimate.saturating_mul(5) / 4 + 64 * MB).div_ceil(MB) * MB;
    let max_heap = options
        .iter()
        .rev()
        .find_map(|o| o.strip_prefix("-Xmx").or_else(|| o.strip_prefix("-XX:MaxHeapSize=")).and_then(memory_size))
        // The JVM's default maximum heap: a quarter of physical memory.
        .unwrap_or(physical_memory / 4);
    if young.saturating_add(estimate.saturating_mul(3) / 2) > max_heap {
        return None;
    }
    Some(format!("-XX:NewSize={}m", young / MB))
}

/// The heap the image's objects take once rebuilt: 1.5 × the OBJECTS raw
/// length, known from the section table without decoding (measured 1.43 for
/// the restore benchmark's heap: object headers and alignment take more than
/// the image's records).
pub fn heap_estimate(objects_raw: u64) -> u64 {
    objects_raw.saturating_mul(3) / 2
}

/// A JVM memory size (`512m`, `2g`, `1048576`, `64k`) in bytes.
pub fn memory_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_lowercase()),
        _ => (text, 'b'),
    };
    let n: u64 = digits.parse().ok()?;
    let shift = match unit {
        'b' => 0,
        'k' => 10,
        'm' => 20,
        'g' => 30,
        't' => 40,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

/// Physical memory in bytes (0 when the system does not say).
pub fn physical_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    if pages > 0 && page > 0 { pages as u64 * page as u64 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    #[test]
    fn young_generation_fits_the_image_unless_the_options_choose() {
        let heap = |o: &[&str]| o.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // 140 MB raw: estimate 210 MB, young 1.25 x 210 + 64 = 327 MB.
        assert_eq!(young_generation(&heap(&["-Xmx1024m"]), 140 * MB, 0).as_deref(), Some("-XX:NewSize=327m"));
        assert_eq!(young_generation(&heap(&["-Xmx1g", "-Xmn100m"]), 140 * MB, 0), None);
        assert_eq!(young_generation(&heap(&["-Xmx1g", "-XX:NewRatio=3"]), 140 * MB, 0), None);
        assert_eq!(young_generation(&heap(&["-Xmx1g", "-XX:+UseZGC"]), 140 * MB, 0), None);
        // No room to copy the objects out later: 327 + 315 > 512.
        assert_eq!(young_generation(&heap(&["-Xmx512m"]), 140 * MB, 0), None);
        // The last -Xmx wins; without one, a quarter of physical memory.
        assert_eq!(young_generation(&heap(&["-Xmx4g", "-Xmx512m"]), 140 * MB, 0), None);
        assert!(young_generation(&heap(&[]), 140 * MB, 8192 * MB).is_some());
        assert_eq!(young_generation(&heap(&[]), 140 * MB, 1024 * MB), None);
        assert_eq!(young_generation(&heap(&["-Xmx1g"]), 0, 0), None);
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(memory_size("512m"), Some(512 * MB));
        assert_eq!(memory_size("2G"), Some(2048 * MB));
        assert_eq!(memory_size("4096"), Some(4096));
        assert_eq!(memory_size("1x"), None);
        assert_eq!(memory_size(""), None);
    }
}
