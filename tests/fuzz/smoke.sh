#!/usr/bin/env bash
# Fuzz smoke run: builds the targets (tests/fuzz/build.sh) and runs each
# for SECONDS (default 30) on its seed corpus tests/fuzz/corpus/<target>/,
# plus, when the shared corpus sits beside the repository, ../shared/cases
# and ../shared/corpus/real (read in place) and the certificates of the real
# trust store (decoded into the scratch directory, for fuzz_trust). New
# inputs go to a scratch corpus, never into the repository.
#
# Prints per target the executions, coverage (libFuzzer's cov:), corpus size
# and peak RSS, then "fuzz: N passed, M failed". A target fails on any
# crash, leak, sanitizer report, failed check or timeout; its reproducer is
# kept and its path printed.
#
# Usage: tests/fuzz/smoke.sh [SECONDS] [BUILD_DIR]
#   FUZZ_TARGETS="fuzz_a fuzz_b"  run a subset
#   FUZZ_BUILD=0                  reuse the targets already in BUILD_DIR/bin
#   FUZZ_WORK=DIR                 keep logs, corpora and reproducers in DIR
#   FUZZ_NICE=N                   niceness of the runs (default 10)
#   SKR_SHARED=DIR                the shared corpus (default ../shared)
set -uo pipefail

SECONDS_PER_TARGET="${1:-30}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${2:-$ROOT/build-fuzz}"
SHARED="${SKR_SHARED:-$ROOT/../shared}"
cd "$ROOT"

if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz: invalid SECONDS '$SECONDS_PER_TARGET': give whole seconds above 0" >&2
    exit 2
fi
# Names are checked before the build, which takes a while.
for target in ${FUZZ_TARGETS:-}; do
    if [ ! -f "tests/fuzz/$target.c" ]; then
        known="$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//' | paste -sd ' ')"
        echo "fuzz: fuzz target '$target' in FUZZ_TARGETS not found; the targets are: $known" >&2
        exit 2
    fi
done

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
    bash tests/fuzz/build.sh "$OUT" || { echo "fuzz: 0 passed, 1 failed (build)"; exit 1; }
fi
OUT="$(cd "$OUT" && pwd)"

if [ -n "${FUZZ_WORK:-}" ]; then
    WORK="$FUZZ_WORK"
    mkdir -p "$WORK"
else
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
fi

# Seed directories from the shared corpus, read where they are.
shared_seeds=()
for dir in "$SHARED/cases" "$SHARED/corpus/real"; do
    [ -d "$dir" ] && shared_seeds+=("$dir")
done
if [ ${#shared_seeds[@]} -eq 0 ]; then
    echo "fuzz: $SHARED not found; seeding from tests/fuzz/corpus only"
fi

# The DER certificates of the real trust store, for fuzz_trust.
cert_seeds=()
if [ -f "$SHARED/corpus/real/trust-sharedweu.json" ] && command -v python3 >/dev/null; then
    python3 tests/fuzz/certificates.py "$SHARED/corpus/real/trust-sharedweu.json" "$WORK/certificates"
    cert_seeds+=("$WORK/certificates")
fi

dict_for() {
    case "$1" in
        fuzz_policy_json|fuzz_policy_dsl|fuzz_lint|fuzz_roundtrip) echo tests/fuzz/policy.dict ;;
        fuzz_claims|fuzz_trust) echo tests/fuzz/json.dict ;;
        *) echo "" ;;
    esac
}

# Prints the value of a libFuzzer final statistic.
stat_of() { grep -m1 "^stat::$2:" "$1" | awk '{print $2}'; }

if [ -n "${FUZZ_TARGETS:-}" ]; then
    targets=($FUZZ_TARGETS)
else
    targets=()
    for bin in "$OUT"/bin/fuzz_*; do [ -x "$bin" ] && targets+=("$(basename "$bin")"); done
fi

passed=0
failed=0
printf '%-22s %10s %7s %7s %14s %8s\n' target executions exec/s cov corpus "rss MB"
for target in "${targets[@]}"; do
    bin="$OUT/bin/$target"
    log="$WORK/$target.log"
    corpus="$WORK/$target/corpus"
    mkdir -p "$corpus" "$WORK/$target/artifacts"
    if [ ! -x "$bin" ]; then
        echo "FAIL  $target: $bin not built"
        failed=$((failed + 1))
        continue
    fi
    seeds=()
    [ -d "tests/fuzz/corpus/$target" ] && seeds+=("tests/fuzz/corpus/$target")
    seeds+=("${shared_seeds[@]}")
    [ "$target" = fuzz_trust ] && seeds+=("${cert_seeds[@]}")
    flags=(-max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=10
           -rss_limit_mb=2048 -artifact_prefix="$WORK/$target/artifacts/")
    dict="$(dict_for "$target")"
    [ -n "$dict" ] && flags+=(-dict="$dict")

    timer=()
    [ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$WORK/$target.time")
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="print_stacktrace=1" \
        "${timer[@]}" nice -n "${FUZZ_NICE:-10}" "$bin" "${flags[@]}" "$corpus" "${seeds[@]}" \
        >"$log" 2>&1
    rc=$?

    status_line="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")"
    corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$status_line")"
    execs="$(stat_of "$log" number_of_executed_units)"
    rate="$(stat_of "$log" average_exec_per_sec)"
    rss="$(stat_of "$log" peak_rss_mb)"
    if [ -f "$WORK/$target.time" ]; then
        kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/$target.time")"
        [ -n "$kb" ] && rss="$((kb / 1024))"
    fi
    printf '%-22s %10s %7s %7s %14s %8s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${corp:-?}" "${rss:-?}"

    if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|fuzz check failed|deadly signal|ERROR: libFuzzer' "$log"; then
        failed=$((failed + 1))
        echo "FAIL  $target (exit $rc); log $log"
        grep -m3 -E 'ERROR:|runtime error:|fuzz check failed|SUMMARY:' "$log" | sed 's/^/      /'
        for artifact in "$WORK/$target/artifacts/"*; do
            [ -f "$artifact" ] && echo "      reproducer: $artifact"
        done
        [ -z "${FUZZ_WORK:-}" ] && trap - EXIT && echo "      (scratch kept in $WORK)"
    else
        passed=$((passed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
