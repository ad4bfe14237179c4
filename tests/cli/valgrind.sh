#!/usr/bin/env bash
# Runs the skr command lines of the golden runs (tests/cli/golden/*.args),
# and a few more that reach minting, token verification, release, fmt and
# check, under valgrind's memcheck. Every invalid read or write, use of
# uninitialised memory, and leak of any kind (still reachable included)
# counts as a failure. skr's own exit codes (0-4) do not.
#
# valgrind 3.19 does not decode AVX-512, so build skr for a CPU without it:
#   ./zigw build -Dcpu=x86_64_v3 --prefix /tmp/skr-v3
#   tests/cli/valgrind.sh /tmp/skr-v3/bin/skr
# Usage: tests/cli/valgrind.sh PATH/TO/skr
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ] || [ -d "$1" ]; then
    echo "valgrind: ${1:-no program given}: not an executable file; usage: tests/cli/valgrind.sh PATH/TO/skr" >&2
    echo "valgrind: build one first: ./zigw build -Dcpu=x86_64_v3 --prefix /tmp/skr-v3" >&2
    exit 2
fi
SKR="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SKR_SHARED:-$ROOT/../shared}"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

if ! command -v valgrind >/dev/null; then
    echo "valgrind: not installed (Debian: apt-get install valgrind)" >&2
    exit 2
fi

VALGRIND=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all
          --errors-for-leak-kinds=all --error-exitcode=99 --track-origins=yes --quiet)
passed=0
failed=0

# run NAME ARGS...: runs skr ARGS under memcheck; exit 99 means memcheck
# found an error, and anything memcheck printed is shown.
run() {
    local name="$1"; shift
    local log="$SCRATCH/$(tr -c 'A-Za-z0-9_.-' '_' <<<"$name").log"
    "${VALGRIND[@]}" --log-file="$log" "$SKR" "$@" >/dev/null 2>"$log.stderr"
    local rc=$?
    if [ "$rc" = 99 ] || [ -s "$log" ]; then
        failed=$((failed + 1))
        echo "FAIL  $name (exit $rc)"
        head -n 40 "$log" | sed 's/^/      /'
        if grep -q 'unhandled instruction\|Illegal opcode' "$log"; then
            echo "      valgrind cannot decode this build's instructions; build skr with -Dcpu=x86_64_v3"
        fi
    elif [ "$rc" -gt 4 ]; then
        failed=$((failed + 1))
        echo "FAIL  $name: skr exited $rc under valgrind"
        tail -n 5 "$log.stderr" | sed 's/^/      /'
    else
        passed=$((passed + 1))
    fi
}

for args_file in tests/cli/golden/*.args; do
    [ -f "$args_file" ] || continue
    read -r -a args <"$args_file"
    run "$args_file" "${args[@]}"
done

# Beyond the golden runs: mint a token, release and deny with it, reject a
# token of another key, compile and run a program, format and check.
key=examples/keys/test-authority-rsa2048.pem
claims=examples/claims/cvm-guest-compliant.json
"$SKR" mint "$claims" --key "$key" --kid demo --trust-out "$SCRATCH/trust.json" \
    >"$SCRATCH/token.jwt" 2>/dev/null
"$SKR" mint "$claims" --key examples/keys/test-other-authority-rsa2048.jwk.json --kid demo \
    >"$SCRATCH/forged.jwt" 2>/dev/null
run "mint" mint "$claims" --key "$key" --kid demo --trust-out "$SCRATCH/trust-2.json"
run "release" release examples/policies/cvm-guest.json --token "$SCRATCH/token.jwt" \
    --trust "$SCRATCH/trust.json" --now 1750000000 --explain --json
run "release denied" release examples/policies/sgx-enclave.json --token "$SCRATCH/token.jwt" \
    --trust "$SCRATCH/trust.json" --now 1750000000 --explain
run "release forged" release examples/policies/cvm-guest.json --token "$SCRATCH/forged.jwt" \
    --trust "$SCRATCH/trust.json" --now 1750000000 --explain --json
run "release expired" release examples/policies/cvm-guest.json --token "$SCRATCH/token.jwt" \
    --trust "$SCRATCH/trust.json" --now 2200000000
run "compile" compile examples/policies/cvm-platform.json -o "$SCRATCH/platform.skrb"
run "eval program" eval "$SCRATCH/platform.skrb" --claims examples/claims/cvm-platform-tdx.json --explain
run "fmt to dsl" fmt --to dsl examples/policies/cvm-guest.json
run "fmt dsl" fmt tests/dsl/comments.skr
run "check dsl" check tests/dsl/multi-authority.skr

if [ -f "$SHARED/corpus/real/trust-sharedweu.json" ]; then
    real="$SHARED/corpus/real"
    run "release real token" release tests/cli/real-tokens/guest-sevsnp-release.json \
        --token "$real/maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt" \
        --trust "$real/trust-sharedweu.json" --now 1680180000 --explain --json
else
    echo "skipped: the real token run ($SHARED not found)"
fi

echo "valgrind: $passed passed, $failed failed"
[ "$failed" = 0 ]
