#!/usr/bin/env bash
# Command-line tests: the decision cases in tests/cases, the golden runs in
# tests/cli/golden, and, when ../shared is present, the shared decision
# cases and the program mutation test on real policies.
# Usage: tests/cli/run.sh PATH/TO/skr
set -uo pipefail

SKR="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SKR_SHARED:-$ROOT/../shared}"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }

exit_code_of() {
    case "$1" in
        RELEASE) echo 0 ;; DENY) echo 1 ;; REJECT_POLICY) echo 2 ;; REJECT_TOKEN) echo 3 ;;
        *) echo "unknown answer $1" >&2; echo 99 ;;
    esac
}

# --- Criterion exits 1 when a test logs a warning, even when every test
# passed, so skip messages must be logged as information.
if grep -l 'cr_log_warn' tests/*.c 2>/dev/null; then
    fail "the files above use cr_log_warn; log skip messages with cr_log_info"
else
    pass
fi

# --- decision cases, from text and from a compiled program -----------------
for dir in tests/cases/*/; do
    [ -f "$dir/expect" ] || continue
    answer="$(head -n1 "$dir/expect" | tr -d '\r' | awk '{print $1}')"
    want="$(exit_code_of "$answer")"
    issuer_args=()
    issuer="$(grep -m1 '^issuer=' "$dir/expect" | cut -d= -f2- || true)"
    [ -n "$issuer" ] && issuer_args=(--issuer "$issuer")
    policy="$(ls "$dir"/policy.* | head -n1)"

    "$SKR" eval "$policy" --claims "$dir/claims.json" "${issuer_args[@]}" >/dev/null 2>&1
    got=$?
    if [ "$got" = "$want" ]; then pass; else fail "$dir: expected $answer (exit $want), eval gave exit $got"; fi

    program="$SCRATCH/case.skrb"
    rm -f "$program"
    "$SKR" compile "$policy" -o "$program" >/dev/null 2>&1
    got=$?
    if [ "$answer" = REJECT_POLICY ]; then
        if [ "$got" = 2 ]; then pass; else fail "$dir: compile should exit 2, gave $got"; fi
        continue
    fi
    "$SKR" eval "$program" --claims "$dir/claims.json" "${issuer_args[@]}" >/dev/null 2>&1
    got=$?
    if [ "$got" = "$want" ]; then pass; else fail "$dir: expected $answer from the program, gave exit $got"; fi
done

# --- golden runs: each NAME.args holds one command line (skr is implied),
# run from the repository root; NAME.out holds the expected output and exit
# code, with standard error first (stdout is flushed at exit). SKR_UPDATE_GOLDEN=1
# rewrites the .out files.
for args_file in tests/cli/golden/*.args; do
    [ -f "$args_file" ] || continue
    expected="${args_file%.args}.out"
    read -r -a args <"$args_file"
    actual="$("$SKR" "${args[@]}" 2>&1; echo "exit $?")"
    if [ "${SKR_UPDATE_GOLDEN:-0}" = 1 ]; then
        printf '%s\n' "$actual" >"$expected"
        pass
    elif [ "$actual" = "$(cat "$expected" 2>/dev/null)" ]; then
        pass
    else
        fail "$args_file: output differs from $expected"
        diff <(printf '%s\n' "$actual") "$expected" | head -n 20
    fi
done

# --- skr fmt, including -w leaving the file as it was on failure -------------
if bash tests/format/cli.sh "$SKR" >"$SCRATCH/fmt.log" 2>&1; then
    pass
else
    fail "tests/format/cli.sh"
    tail -n 20 "$SCRATCH/fmt.log"
fi

# --- the editor grammar colours the DSL corpus --------------------------------
if python3 tests/test_editor_grammar.py >"$SCRATCH/grammar.log" 2>&1; then
    pass
    tail -n 1 "$SCRATCH/grammar.log"
else
    fail "tests/test_editor_grammar.py"
    cat "$SCRATCH/grammar.log"
fi

# --- skr bench: the shape of its output, never its speed ----------------------
if bash tests/cli/bench-smoke.sh "$SKR" >"$SCRATCH/bench.log" 2>&1; then
    pass
    tail -n 1 "$SCRATCH/bench.log"
else
    fail "tests/cli/bench-smoke.sh"
    grep -E 'FAIL|failed' "$SCRATCH/bench.log" | head -n 20
fi

# --- key release envelopes, opened with OpenSSL alone -------------------------
if command -v openssl >/dev/null && command -v xxd >/dev/null; then
    if bash tests/cli/wrap.sh "$SKR" >"$SCRATCH/wrap.log" 2>&1; then
        pass
        tail -n 1 "$SCRATCH/wrap.log"
    else
        fail "tests/cli/wrap.sh"
        grep -E 'FAIL|failed' "$SCRATCH/wrap.log" | head -n 20
    fi
else
    echo "skipped: key release envelope tests (openssl or xxd not installed)"
fi

# --- shared cases and real policies -----------------------------------------
if [ -d "$SHARED/cases" ] && [ -x "$(command -v python3)" ]; then
    for mode in "" --via-program; do
        log="$SCRATCH/run-cases.log"
        python3 "$SHARED/tools/run-cases" $mode "$SKR" "$SHARED/cases" >"$log" 2>&1
        last="$(tail -n1 "$log")"
        echo "shared cases ${mode:-from text}: $last"
        if grep -q '^0 failed\|, 0 failed$' <<<"$last"; then pass; else fail "shared cases ${mode}"; cat "$log"; fi
    done
    python3 tests/cli/mutate.py "$SKR" "$SHARED" && pass || fail "program mutation test"

    # The published sharedweu guest tokens, at a time inside their validity.
    real="$SHARED/corpus/real"
    for token_now in maa-cvm-sevsnp-azurevm-sharedweu-2022-12.jwt:1671836518 \
                     maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt:1680180000; do
        token="${token_now%%:*}"
        now="${token_now##*:}"
        for expect in release:0 deny:1; do
            policy="tests/cli/real-tokens/guest-sevsnp-${expect%%:*}.json"
            "$SKR" release "$policy" --token "$real/$token" --trust "$real/trust-sharedweu.json" \
                --now "$now" >/dev/null 2>&1
            got=$?
            if [ "$got" = "${expect##*:}" ]; then pass; else fail "$token with $policy: exit $got"; fi
        done
    done
else
    echo "skipped: shared decision cases and real-policy mutation test ($SHARED not found)"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
