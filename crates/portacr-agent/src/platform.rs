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
