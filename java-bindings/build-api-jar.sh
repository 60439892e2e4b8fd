#!/bin/sh
# Builds the compile-time API jar: the jdk.crac / jdk.crac.management API that
# applications compile against (and may ship on their class path).
#
#   java-bindings/build-api-jar.sh OUT.jar        (JDK from $JAVA_HOME, else the javac on PATH)
#
# It is made from the same sources as the runtime jar the agent embeds: without
# the agent, io.portacr.Native's methods are not registered, and
# Core.checkpointRestore() then notifies the resources and throws the
# "checkpoint/restore is not configured" CheckpointException. With the agent,
# its boot-class-path copy of these classes wins over the jar's.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.jar" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
case "$1" in
    /*) out=$1 ;;
    *) out=$(pwd)/$1 ;;
esac
if [ -n "${JAVA_HOME:-}" ]; then
    javac="$JAVA_HOME/bin/javac"
    jar="$JAVA_HOME/bin/jar"
else
    javac=javac
    jar=jar
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$here/src" -name '*.java' > "$work/sources"
"$javac" --release 17 -encoding UTF-8 -nowarn -d "$work/classes" @"$work/sources"
# The compile-time stub of the JDK's sun.management.spi (see
# src/jdk/crac/management/compile-stubs) is not part of the API.
rm -rf "$work/classes/sun"
mkdir -p "$(dirname "$out")"
rm -f "$out"
"$jar" --create --file "$out" -C "$work/classes" .
echo "$out"
