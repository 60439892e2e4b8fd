#!/bin/sh
# Runs the jdk.crac semantics tests without the agent (mode a): the test
# doubles of java-bindings/test/support (a pure-Java io.portacr.Native and
# ImageCapture) go first on -Xbootclasspath/a, ahead of the real classes.
# Also runs the API without any agent and from the compile-time API jar.
#
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 java-bindings/test/run.sh
#
# Exits non-zero if any check fails. With PORTACR_AGENT=/path/libportacr.so it
# also runs mode b: SemanticsTest and `FacadeTest any` under the real agent
# (checkpointTo=a temporary directory, keepRunning=true); the fake-only checks
# are skipped there.
set -u
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
java="$JAVA_HOME/bin/java"
javac="$JAVA_HOME/bin/javac"
here=$(cd "$(dirname "$0")" && pwd)
bindings=$(dirname "$here")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

step() {
    echo "== $*"
}
fail() {
    echo "FAIL $*"
    status=1
}

"$java" -version 2>&1 | head -1
step "compile runtime classes, test doubles and tests"
find "$bindings/src" -name '*.java' > "$work/runtime.src"
"$javac" --release 17 -encoding UTF-8 -nowarn -d "$work/runtime" @"$work/runtime.src" || exit 1
rm -rf "$work/runtime/jdk/internal" "$work/runtime/sun" # compile-time stubs, as the agent's jar leaves them out
find "$here/support" -name '*.java' > "$work/support.src"
"$javac" --release 17 -encoding UTF-8 -cp "$work/runtime" -d "$work/support" @"$work/support.src" || exit 1
"$javac" --release 17 -encoding UTF-8 -cp "$work/support:$work/runtime" -d "$work/tests" "$here"/semantics/*.java || exit 1
fakeboot="-Xbootclasspath/a:$work/support:$work/runtime"

step "semantics with the fake agent"
"$java" $fakeboot -cp "$work/tests" SemanticsTest || fail "SemanticsTest (exit $?)"

step "facade-style reflective use with the fake agent"
"$java" $fakeboot -cp "$work/tests" FacadeTest success || fail "FacadeTest success (exit $?)"

step "process ends after a checkpoint without keepRunning"
"$java" $fakeboot -Dportacr.fake.keepRunning=false -cp "$work/tests" ExitAfterCheckpoint > "$work/exit.out" 2>&1
code=$?
cat "$work/exit.out"; echo
before=$status
[ $code -eq 0 ] || fail "exit-after-checkpoint: status $code, expected 0"
grep -q "beforeCheckpoint ran" "$work/exit.out" || fail "exit-after-checkpoint: resource not notified"
grep -q "unflushed tail" "$work/exit.out" || fail "exit-after-checkpoint: System.out not flushed before exit"
if grep -q "SHOULD NOT" "$work/exit.out"; then fail "exit-after-checkpoint: ran code it must not"; fi
if [ $status -eq $before ]; then echo "PASS exit-after-checkpoint"; fi

step "CRaCMXBean as a platform MXBean (service file + export, as the agent provides them)"
mkdir -p "$work/services/META-INF/services"
echo jdk.crac.management.CRaCPlatformProvider > "$work/services/META-INF/services/sun.management.spi.PlatformMBeanProvider"
"$java" "-Xbootclasspath/a:$work/support:$work/runtime:$work/services" \
    --add-exports java.management/sun.management.spi=ALL-UNNAMED \
    -cp "$work/tests" PlatformMXBeanTest || fail "PlatformMXBeanTest (exit $?)"
"$java" "-Xbootclasspath/a:$work/support:$work/runtime:$work/services" \
    --add-exports java.management/sun.management.spi=ALL-UNNAMED \
    -cp "$work/tests" SemanticsTest > "$work/sem2.out" || { cat "$work/sem2.out"; fail "SemanticsTest with the platform provider (exit $?)"; }

step "no agent: natives unregistered"
"$java" "-Xbootclasspath/a:$work/runtime" -cp "$work/tests" NotConfiguredTest || fail "NotConfiguredTest on boot class path (exit $?)"
"$java" "-Xbootclasspath/a:$work/runtime" -cp "$work/tests" FacadeTest not-configured || fail "FacadeTest not-configured (exit $?)"

step "compile-time API jar"
JAVA_HOME="$JAVA_HOME" "$bindings/build-api-jar.sh" "$work/api/portacr-crac-api.jar" || exit 1
"$javac" --release 17 -encoding UTF-8 -cp "$work/api/portacr-crac-api.jar" -d "$work/apitests" "$here/semantics/NotConfiguredTest.java" \
    || fail "NotConfiguredTest does not compile against the API jar alone"
"$java" -cp "$work/api/portacr-crac-api.jar:$work/apitests" NotConfiguredTest || fail "NotConfiguredTest with the API jar (exit $?)"

if [ -n "${PORTACR_AGENT:-}" ]; then
    step "mode b: real agent $PORTACR_AGENT"
    agent="-agentpath:$PORTACR_AGENT=checkpointTo=$work/images/%g,keepRunning=true"
    "$java" "$agent" -cp "$work/tests" SemanticsTest || fail "SemanticsTest under the agent (exit $?)"
    "$java" "$agent" -cp "$work/tests" FacadeTest any || fail "FacadeTest under the agent (exit $?)"
fi

if [ $status -eq 0 ]; then
    echo "ALL PASSED ($JAVA_HOME)"
else
    echo "SOME CHECKS FAILED ($JAVA_HOME)"
fi
exit $status
