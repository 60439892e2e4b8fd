#!/usr/bin/env bash
# The demo: checkpoint a running Java program and look inside the image.
#
#   scripts/demo.sh [--jdk 17|21|25]
#
# 1. scripts/setup.sh, cargo build --release
# 2. compile tests/apps/demo (a map, a counter, a recursion 3 frames deep that
#    calls jdk.crac.Core.checkpointRestore()) against the CRaC API jar
# 3. run it on a stock JVM with -agentpath:target/release/libportacr.so=checkpointTo=…
# 4. portacr verify and portacr dump-info on the image it wrote
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

jdk=17
while [ $# -gt 0 ]; do
    case "$1" in
        --jdk) jdk="${2:?--jdk needs 17, 21 or 25}"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

printf '\nThe image is %s. Restoring it comes with the next release (see README.md, "Limits").\n' "$image"
