#!/usr/bin/env bash
# Long fuzz runs measured in CPU time. Runs each named target, one after
# another, until its process has used MINUTES of CPU time (user + system,
# read from /proc every 10 s). Then it stops the target with SIGINT, which
# makes libFuzzer print its final statistics. Wall time does not count, so
# a run on a busy machine still gets its full share of work.
#
# Each target keeps its corpus in WORK/<target>/corpus, so a later run
# resumes from it, and is seeded as tests/fuzz/smoke.sh seeds it. One line
# per run is appended to WORK/summary.tsv: time, target, CPU seconds, wall
# seconds, exit code (72 is libFuzzer's exit after SIGINT), executions,
# coverage (cov and ft), corpus, peak RSS and whether the log shows a
# finding. Logs and reproducers stay in WORK/<target>/.
#
# Usage: tests/fuzz/campaign.sh MINUTES TARGET...
#   FUZZ_BUILD_DIR=DIR   targets built by tests/fuzz/build.sh (default build-fuzz)
#   FUZZ_WORK=DIR        corpora, logs and the summary (default fuzz-campaign in
#                        the repository, which git ignores)
#   FUZZ_NICE=N          niceness of the runs (default 19)
#   SKR_SHARED=DIR       the shared corpus, read in place (default ../shared)
set -uo pipefail

USAGE="usage: tests/fuzz/campaign.sh MINUTES TARGET...  (MINUTES: whole CPU minutes per target)"
[ $# -ge 2 ] || { echo "campaign: $USAGE" >&2; exit 2; }
MINUTES="$1"
shift
if ! [[ "$MINUTES" =~ ^[1-9][0-9]*$ ]]; then
    echo "campaign: invalid MINUTES '$MINUTES': give whole CPU minutes above 0; $USAGE" >&2
    exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
WORK="${FUZZ_WORK:-$ROOT/fuzz-campaign}"
SHARED="${SKR_SHARED:-$ROOT/../shared}"
TICKS="$(getconf CLK_TCK)"

# Every name is checked before the first run starts, so a typo in the last
# one does not end a campaign hours in.
for target in "$@"; do
    if [ ! -f "tests/fuzz/$target.c" ]; then
        known="$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//' | paste -sd ' ')"
        echo "campaign: fuzz target '$target' not found; the targets are: $known" >&2
        exit 2
    fi
    if [ ! -x "$BUILD/bin/$target" ]; then
        echo "campaign: $BUILD/bin/$target not built; run tests/fuzz/build.sh first" >&2
        exit 2
    fi
done
mkdir -p "$WORK"

# A run that this script started never outlives it: the fuzzer's own time
# limit is days, because the CPU budget is what stops it.
pid=""
trap '[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# The DER certificates of the real trust store, for fuzz_trust.
if [ -f "$SHARED/corpus/real/trust-sharedweu.json" ] && [ ! -d "$WORK/certificates" ]; then
    python3 tests/fuzz/certificates.py "$SHARED/corpus/real/trust-sharedweu.json" "$WORK/certificates"
fi

for target in "$@"; do
    bin="$BUILD/bin/$target"
    dir="$WORK/$target"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    run=$(find "$dir" -maxdepth 1 -name 'run-*.log' | wc -l)
    log="$dir/run-$run.log"

    seeds=()
    [ -d "tests/fuzz/corpus/$target" ] && seeds+=("tests/fuzz/corpus/$target")
    for d in "$SHARED/cases" "$SHARED/corpus/real"; do [ -d "$d" ] && seeds+=("$d"); done
    [ "$target" = fuzz_trust ] && [ -d "$WORK/certificates" ] && seeds+=("$WORK/certificates")
    flags=(-max_total_time=1000000 -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
           -artifact_prefix="$dir/artifacts/")
    case "$target" in
        fuzz_policy_json|fuzz_policy_dsl|fuzz_lint|fuzz_roundtrip) flags+=(-dict=tests/fuzz/policy.dict) ;;
        fuzz_claims|fuzz_trust) flags+=(-dict=tests/fuzz/json.dict) ;;
    esac

    start=$(date +%s)
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS=print_stacktrace=1 \
        nice -n "${FUZZ_NICE:-19}" "$bin" "${flags[@]}" "$dir/corpus" "${seeds[@]}" >"$log" 2>&1 &
    pid=$!
    cpu=0
    while kill -0 "$pid" 2>/dev/null; do
        # Sleeps in the background and waits, so a signal stops the run at once.
        sleep 10 &
        wait $!
        if [ -r "/proc/$pid/stat" ]; then
            # Fields 14 and 15 of /proc/PID/stat are user and system time in
            # clock ticks. The command name in field 2 has no spaces here.
            read -r -a fields <"/proc/$pid/stat"
            cpu=$(( (fields[13] + fields[14]) / TICKS ))
            [ "$cpu" -ge $((MINUTES * 60)) ] && kill -INT "$pid"
        fi
    done
    wait "$pid"
    rc=$?
    pid=""

    status="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")"
    corpus="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$status")"
    execs="$(grep -m1 '^stat::number_of_executed_units:' "$log" | awk '{print $2}')"
    rss="$(grep -m1 '^stat::peak_rss_mb:' "$log" | awk '{print $2}')"
    finding=no
    grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|fuzz check failed|deadly signal|ERROR: libFuzzer' "$log" && finding=yes
    printf '%s\t%s\trun-%s\tcpu_s=%s\twall_s=%s\trc=%s\texecs=%s\tcov=%s\tft=%s\tcorpus=%s\trss_mb=%s\tfinding=%s\n' \
        "$(date -u +%FT%TZ)" "$target" "$run" "$cpu" "$(( $(date +%s) - start ))" "$rc" \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "${rss:-?}" "$finding" \
        | tee -a "$WORK/summary.tsv"
done
