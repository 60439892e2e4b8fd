#!/usr/bin/env bash
# Cross-build the agent for aarch64:
#
#   scripts/cross-build.sh     -> target/aarch64-unknown-linux-gnu/release/libportacr.so
#
# The rustup toolchain has no aarch64 standard library and none can be fetched
# here, so this uses Debian's toolchain (DESIGN.md §6): rustc-web's /usr/bin/rustc
# and /usr/bin/cargo, libstd-rust-web-dev:arm64 for the target's std, and
# gcc-aarch64-linux-gnu as linker (and as C compiler for zstd-sys). Install them
# with scripts/setup.sh.
#
# It shares <repo>/target with the host build without disturbing it: target
# artifacts go to target/aarch64-unknown-linux-gnu/, and the host-side build
# scripts it compiles (the agent's build.rs runs javac on the host, so the Java
# runtime embedded in both agents is the same) are keyed by the rustc version,
# which differs from rustup's. Cargo.lock is only read (--locked). A second run
# with nothing changed takes about a second.
#
# Extra arguments go to cargo (e.g. -v).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

TARGET=aarch64-unknown-linux-gnu
DEBIAN_RUSTC=/usr/bin/rustc
DEBIAN_CARGO=/usr/bin/cargo
LINKER=aarch64-linux-gnu-gcc

fail() {
    echo "cross-build.sh: error: $*" >&2
    exit 1
}

[ -x "$DEBIAN_RUSTC" ] || fail "$DEBIAN_RUSTC not found (Debian's rustc-web); run scripts/setup.sh"
[ -x "$DEBIAN_CARGO" ] || fail "$DEBIAN_CARGO not found (Debian's cargo, installed with rustc-web); run scripts/setup.sh"
command -v "$LINKER" >/dev/null 2>&1 || fail "$LINKER not found (gcc-aarch64-linux-gnu); run scripts/setup.sh"
sysroot="$("$DEBIAN_RUSTC" --print sysroot)"
[ -d "$sysroot/lib/rustlib/$TARGET/lib" ] ||
    fail "$DEBIAN_RUSTC has no $TARGET standard library (libstd-rust-web-dev:arm64); run scripts/setup.sh"

# RUSTC: Debian's cargo would otherwise run the first `rustc` on PATH, which is
# rustup's proxy. RUSTUP_TOOLCHAIN is cleared so that no rustup override leaks in.
# The linker is set here rather than in .cargo/config.toml so that a plain
# `cargo build` never sees it.
env -u RUSTUP_TOOLCHAIN \
    RUSTC="$DEBIAN_RUSTC" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="$LINKER" \
    CC_aarch64_unknown_linux_gnu="$LINKER" \
    "$DEBIAN_CARGO" build --release --locked --target "$TARGET" -p portacr-agent "$@"

agent="${CARGO_TARGET_DIR:-target}/$TARGET/release/libportacr.so"
[ -f "$agent" ] || fail "cargo succeeded but $agent is missing"
echo "cross-build: $agent"
