#!/usr/bin/env bash
# The demo: checkpoint a running Java program, look inside the image, and
# continue the program on another JDK (and on aarch64 under qemu, if set up).
#
#   scripts/demo.sh [--jdk 17|21|25]
#
# 1. scripts/setup.sh, cargo build --release
# 2. compile tests/apps/demo (a map, a counter, a recursion 3 frames deep that
#    calls jdk.crac.Core.checkpointRestore()) against the CRaC API jar
# 3. run it on a stock JVM with -agentpath:target/release/libportacr.so=checkpointTo=…
# 4. portacr verify and portacr dump-info on the image it wrote
# 5. portacr restore on JDK 25 (on 17 when the demo ran on 25), then on an
#    aarch64 JDK 25 under qemu when scripts/cross-build.sh has built the agent
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

jdk=17
while [ $# -gt 0 ]; do
    case "$1" in
        --jdk) jdk="${2:?--jdk needs 17, 21 or 25}"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: error: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "setup (JDKs, cached in .cache/)"
scripts/setup.sh >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh
var="PORTACR_JDK$jdk"
java="${!var:?no JDK $jdk; run scripts/setup.sh}"
javac="$(dirname "$PORTACR_JDK17")/javac"

step "build the agent and the CLI"
cargo build --release --quiet
agent="$REPO/target/release/libportacr.so"
cli="$REPO/target/release/portacr"

work="$REPO/target/demo"
rm -rf "$work"
mkdir -p "$work/classes"

step "compile tests/apps/demo against the CRaC API jar"
JAVA_HOME="$(dirname "$(dirname "$javac")")" java-bindings/build-api-jar.sh "$work/crac-api.jar" >/dev/null
show "$javac" --release 17 -cp "$work/crac-api.jar" -d "$work/classes" tests/apps/demo/Main.java

step "run it on JDK $jdk with the agent; it checkpoints 3 frames deep and exits"
# The application class path holds only the app: the agent supplies jdk.crac.
show "$java" "-agentpath:$agent=checkpointTo=$work/img_%a_%g" -cp "$work/classes" demo.Main
image="$(ls -d "$work"/img_* | head -n1)"

step "the image"
show ls -l "$image"
show "$cli" verify "$image"
show "$cli" dump-info "$image"

other=25
[ "$jdk" = 25 ] && other=17
var="PORTACR_JDK$other"
step "restore it on JDK $other: the program continues after checkpointRestore()"
show "$cli" restore "$image" --java "${!var}"

arm_agent="$REPO/target/aarch64-unknown-linux-gnu/release/libportacr.so"
if [ -n "${PORTACR_JDK25_AARCH64:-}" ] && [ -f "$arm_agent" ] && command -v qemu-aarch64 >/dev/null; then
    step "restore it on aarch64 JDK 25 under qemu"
    launcher="$work/java-aarch64"
    printf '#!/bin/sh\nexec qemu-aarch64 %s "$@"\n' "$PORTACR_JDK25_AARCH64" > "$launcher"
    chmod +x "$launcher"
    PORTACR_AGENT="$arm_agent" show "$cli" restore "$image" --java "$launcher"
else
    printf '\n(aarch64 restore skipped: run scripts/setup.sh and scripts/cross-build.sh to see it)\n'
fi
