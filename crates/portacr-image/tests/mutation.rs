//! Randomized mutation test (stable Rust, no cargo-fuzz): truncations, bit
//! flips, byte overwrites and absurd lengths spliced into valid images. The
//! reader and verify must only ever return Ok or an error — never panic — and
//! no single allocation may exceed the bound derived from limits.rs.
//! 100,000 cases in release (`cargo test --release`), fewer in debug builds.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use portacr_image::*;

/// Records the largest single allocation made by this test binary.
struct CountingAllocator;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only records sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ABSURD: [u64; 8] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_fff0, 0xffff_ffff, 1 << 40, u64::MAX];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        if b.is_empty() {
            break;
        }
        match rng.below(5) {
            0 => b.truncate(rng.below(b.len())),
            1 => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            2 => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            3 => {
                // Splice an absurd length, 4 or 8 bytes wide.
                let v = ABSURD[rng.below(ABSURD.len())];
                let width = if rng.below(2) == 0 { 4 } else { 8 };
                let i = rng.below(b.len());
                let end = (i + width).min(b.len());
                b[i..end].copy_from_slice(&v.to_le_bytes()[..end - i]);
            }
            _ => {
                // Insert or delete a few bytes in the middle.
                let i = rng.below(b.len());
                if rng.below(2) == 0 {
                    let n = 1 + rng.below(8);
                    b.splice(i..i, std::iter::repeat_n(rng.next() as u8, n));
                } else {
                    let n = (1 + rng.below(8)).min(b.len() - i);
                    b.drain(i..i + n);
                }
            }
        }
    }
    b
}

/// Also mutate *below* the checksums: change a payload and fix every crc,
/// so that the record decoders (not only the crc checks) see the damage.
fn mutate_payload(rng: &mut Rng, parts: &Parts) -> Vec<u8> {
    let mut p = parts.clone();
    let target = rng.below(2);
    let bytes = if target == 0 { &mut p.objects } else { &mut p.statics };
    let mutated = mutate(rng, bytes);
    *bytes = mutated;
    build(&p, 1, 64)
}

fn exercise(bytes: &[u8]) {
    if let Ok(img) = Image::from_bytes(bytes) {
        let report = verify(&img);
        std::hint::black_box(report);
        if let Ok(objects) = img.objects() {
            for r in objects {
                if let Ok(rec) = r {
                    std::hint::black_box(rec.body.string_value());
                }
            }
        }
    }
}

#[test]
fn mutations_never_panic_or_allocate_hugely() {
    let cases: u64 = if cfg!(debug_assertions) { 20_000 } else { 100_000 };
    let parts = sample_parts();
    let bases = [golden_zstd(), golden_stored()];
    let raw_total: u64 = {
        let img = Image::from_bytes(&bases[0]).unwrap();
        img.sections().iter().map(|s| s.raw_length).sum()
    };
    let bound = limits::max_single_allocation(raw_total.max(bases[0].len() as u64)) as usize;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut errors = 0u64;
    for case in 0..cases {
        let bytes = if case % 10 == 9 {
            mutate_payload(&mut rng, &parts)
        } else {
            mutate(&mut rng, &bases[(case % 2) as usize])
        };
        LARGEST.store(0, Ordering::Relaxed);
        let outcome = catch_unwind(AssertUnwindSafe(|| exercise(&bytes)));
        if outcome.is_err() {
            let path = std::env::temp_dir().join(format!("portacr-mutation-panic-{case}.pcr"));
            std::fs::write(&path, &bytes).unwrap();
            panic!("case {case}: reader panicked; input saved to {}", path.display());
        }
        let largest = LARGEST.load(Ordering::Relaxed);
        if largest > bound {
            let path = std::env::temp_dir().join(format!("portacr-mutation-alloc-{case}.pcr"));
            std::fs::write(&path, &bytes).unwrap();
            panic!("case {case}: allocation of {largest} bytes exceeds bound {bound}; input saved to {}", path.display());
        }
        if Image::from_bytes(&bytes).is_err() {
            errors += 1;
        }
    }
    // The mutations must mostly be caught by the reader itself.
    assert!(errors > cases / 2, "only {errors} of {cases} mutated images were refused on open");
}
