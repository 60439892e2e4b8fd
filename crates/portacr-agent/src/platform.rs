//! Facts about this machine and process that the image and the
//! `checkpointTo` placeholders record.

use std::time::{SystemTime, UNIX_EPOCH};

/// `x86_64` or `aarch64`, the names `%a` prints and PLATFORM records.
pub fn arch() -> &'static str {
    std::env::consts::ARCH
}

/// Epoch milliseconds now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// CPUs this process may use (affinity and cgroup quota), as `%c` prints.
pub fn cpu_count() -> u32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1)
}

/// CPU feature bits, printed as hex by `%f`.
///
/// x86_64: bits 0..=31 are CPUID leaf 1 ECX (SSE3, SSSE3, SSE4.1/4.2, POPCNT,
/// AES, AVX, F16C, RDRAND, ...), bits 32..=63 are CPUID leaf 7 sub-leaf 0
/// EBX (BMI1, AVX2, BMI2, ERMS, AVX-512F, SHA, ...). Leaf 1 EDX is left out
/// on purpose: every x86_64 CPU sets the same bits there (the x86-64 baseline
/// of FPU, CMOV, MMX, SSE, SSE2, ...), so it would not tell two machines apart.
///
/// aarch64: `getauxval(AT_HWCAP)` (the kernel's HWCAP_* bits: FP, ASIMD, AES,
/// PMULL, SHA1, SHA2, CRC32, ATOMICS, ...).
pub fn cpu_features() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__cpuid, __cpuid_count};
        // SAFETY: CPUID exists on every x86_64 CPU; leaf 7 is only read when
        // leaf 0 reports it. (The intrinsics became safe fns in Rust 1.89.)
        #[allow(unused_unsafe)]
        let (leaf1, leaf7_ebx) = unsafe {
            let max_leaf = __cpuid(0).eax;
            let leaf1 = __cpuid(1);
            let leaf7_ebx = if max_leaf >= 7 {
                __cpuid_count(7, 0).ebx
            } else {
                0
            };
            (leaf1, leaf7_ebx)
        };
        u64::from(leaf1.ecx) | (u64::from(leaf7_ebx) << 32)
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: getauxval has no preconditions; unknown types give 0.
        unsafe { libc::getauxval(libc::AT_HWCAP) as u64 }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_plausible() {
        assert!(matches!(arch(), "x86_64" | "aarch64"));
        assert!(cpu_count() >= 1);
        assert!(now_millis() > 1_700_000_000_000);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_features_have_sse3() {
        // SSE3 (leaf 1 ECX bit 0) is present on every x86_64 CPU made since 2005.
        assert_eq!(cpu_features() & 1, 1, "{:x}", cpu_features());
    }
}

/// A random (version 4, RFC 9562) UUID in its canonical form
/// `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`, from the kernel's random source
/// (`getrandom`); `None` if that fails. The image's UUID (`%u`): made here
/// rather than by `java.util.UUID.randomUUID()`, whose first call in a JVM
/// initializes the JDK's security providers for `SecureRandom` (measured: 45 ms
/// of a checkpoint's preparation on JDK 17).
pub fn random_uuid_v4() -> Option<String> {
    let mut bytes = [0u8; 16];
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `bytes`.
        let n = unsafe {
            libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0)
        };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return None;
        }
        filled += n as usize;
    }
    Some(format_uuid_v4(bytes))
}

/// Sets the version (4) and variant (`10`) bits of 16 random bytes and
/// formats them canonically, lower-case.
fn format_uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = |range: std::ops::Range<usize>| b[range].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!("{}-{}-{}-{}-{}", hex(0..4), hex(4..6), hex(6..8), hex(8..10), hex(10..16))
}

#[cfg(test)]
mod uuid_tests {
    use super::*;

    #[test]
    fn uuid_v4_layout() {
        assert_eq!(format_uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(format_uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        let a = random_uuid_v4().expect("getrandom works here");
        let b = random_uuid_v4().expect("getrandom works here");
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }
}

/// `bytes` of zeroed anonymous memory, not reserved (only the pages touched
/// cost memory) and marked for transparent huge pages where the kernel
/// offers them (`madvise(MADV_HUGEPAGE)`; without them the memory is still
/// usable); None if it cannot be mapped.
pub fn map_huge_zeroed(bytes: usize) -> Option<usize> {
    if bytes == 0 {
        return None;
    }
    // SAFETY: an anonymous private mapping at an address the kernel chooses
    // aliases nothing; the result is checked before use.
    let address = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if address == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: advice on the mapping just made; failure only means no huge pages.
    unsafe { libc::madvise(address, bytes, libc::MADV_HUGEPAGE) };
    Some(address as usize)
}

/// Unmaps memory [`map_huge_zeroed`] returned (same length).
pub fn unmap(address: usize, bytes: usize) {
    if address != 0 && bytes != 0 {
        // SAFETY: the caller passes a mapping of map_huge_zeroed, unmapped once.
        unsafe { libc::munmap(address as *mut libc::c_void, bytes) };
    }
}
