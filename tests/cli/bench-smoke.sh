#!/usr/bin/env bash
# Smoke test of `skr bench`: runs --quick benches on the shipped examples
# and checks the shape of every output (the table, --json with its required
# members, --csv, --svg) and the usage errors. It never checks a timing.
# Usage: tests/cli/bench-smoke.sh PATH/TO/skr
set -uo pipefail

SKR="${1:?usage: tests/cli/bench-smoke.sh PATH/TO/skr}"
SKR="$(cd "$(dirname "$SKR")" && pwd)/$(basename "$SKR")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
# check NAME COMMAND...: passes when the command exits 0.
check() {
    local name="$1"; shift
    if "$@"; then pass; else fail "$name"; fi
}

POLICIES=(examples/policies/cvm-guest.json examples/policies/cvm-platform.json
          examples/policies/sgx-enclave.json)
CLAIMS=examples/claims/cvm-guest-compliant.json
# The example claims' nbf and exp bracket this time.
NOW=1850000000

if ! "$SKR" mint "$CLAIMS" --key examples/keys/test-authority-rsa2048.pem --kid smoke \
    --trust-out "$SCRATCH/trust.json" >"$SCRATCH/token.jwt" 2>"$SCRATCH/mint.err"; then
    fail "skr mint could not make the token: $(cat "$SCRATCH/mint.err")"
fi
TOKEN_ARGS=(--token "$SCRATCH/token.jwt" --trust "$SCRATCH/trust.json" --now "$NOW")

# --- the table ---------------------------------------------------------------
"$SKR" bench "${POLICIES[@]}" "${TOKEN_ARGS[@]}" --quick >"$SCRATCH/table.txt" 2>"$SCRATCH/table.err"
rc=$?
check "table: exit 0, got $rc: $(tail -n 3 "$SCRATCH/table.err")" test "$rc" = 0
check "table: header line" grep -q '^policy .*decision.*eval ns' "$SCRATCH/table.txt"
for policy in "${POLICIES[@]}"; do
    check "table: a row for $policy" grep -q "^$(basename "$policy") " "$SCRATCH/table.txt"
done
check "table: cold release parts" grep -q 'cold release .* = base64url ' "$SCRATCH/table.txt"
check "table: floor line" grep -q '^floor' "$SCRATCH/table.txt"

# --- JSON ----------------------------------------------------------------------
# check_json FILE MODE: MODE "token" expects cold figures, "claims" nulls.
check_json() {
    python3 - "$1" "$2" <<'PY'
import json, sys
path, mode = sys.argv[1], sys.argv[2]
report = json.load(open(path))
problems = []
def need(obj, keys, where):
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            problems.append("%s has no %s" % (where, key))
need(report, ["floor", "results", "peers"], "the report")
floor = report.get("floor")
if floor is not None:
    need(floor, ["rsa_verify_ns", "sha256_signing_input_ns"], "floor")
results = report.get("results") or []
if not results:
    problems.append("results is empty")
for r in results:
    need(r, ["policy", "instructions", "claim_loads", "longest_path", "bytecode_bytes",
             "eval_ns", "eval_ns_per_instruction", "index_ns", "cold_ns", "warm_ns",
             "cold_parts_ns"], "a result")
    if not isinstance(r.get("eval_ns"), (int, float)) or r["eval_ns"] <= 0:
        problems.append("%s: eval_ns is not a positive number" % r.get("policy"))
    if r.get("executed_instructions", 0) > r.get("predicted_instructions", 0):
        problems.append("%s: more instructions executed than the static bound" % r.get("policy"))
    if mode == "token":
        need(r.get("cold_parts_ns"), ["base64url", "signature", "index", "eval"],
             "cold_parts_ns of %s" % r.get("policy"))
        if not isinstance(r.get("cold_ns"), (int, float)):
            problems.append("%s: cold_ns is not a number" % r.get("policy"))
        for key in ("warm_ns", "release_ns", "batch_ns"):
            if not isinstance(r.get(key), (int, float)):
                problems.append("%s: %s is not a number" % (r.get("policy"), key))
        if r.get("warm_cached") is not True:
            problems.append("%s: the warm release was not served by the cache" % r.get("policy"))
        if r.get("batch_programs") != 8:
            problems.append("%s: batch_programs is not 8" % r.get("policy"))
    elif r.get("cold_ns") is not None or r.get("cold_parts_ns") is not None:
        problems.append("%s: cold figures without a token" % r.get("policy"))
for p in report.get("peers") or []:
    need(p, ["name", "what", "ns", "ratio_to_skr"], "a peer")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
PY
}

"$SKR" bench "${POLICIES[@]}" "${TOKEN_ARGS[@]}" --quick --json >"$SCRATCH/token.json" 2>/dev/null
rc=$?
check "json with a token: exit 0, got $rc" test "$rc" = 0
check "json with a token: shape" check_json "$SCRATCH/token.json" token

"$SKR" bench "${POLICIES[@]}" --claims "$CLAIMS" --quick --json >"$SCRATCH/claims.json" 2>/dev/null
rc=$?
check "json with claims: exit 0, got $rc" test "$rc" = 0
check "json with claims: shape" check_json "$SCRATCH/claims.json" claims

# A generated policy of N conditions that all hold runs AUTH, a LOAD and a
# test per condition, and RELEASE.
"$SKR" bench --generate conditions=1,10 --quick --json >"$SCRATCH/generated.json" 2>/dev/null
rc=$?
check "generated: exit 0, got $rc" test "$rc" = 0
check "generated: shape" check_json "$SCRATCH/generated.json" claims
check "generated: 2N+2 instructions executed" python3 -c '
import json, sys
results = json.load(open(sys.argv[1]))["results"]
sys.exit(0 if [r["executed_instructions"] for r in results] == [4, 22] else 1)' "$SCRATCH/generated.json"

# --threads 2 reports evaluation, cold and warm releases on one and two
# threads.
"$SKR" bench "${POLICIES[0]}" "${TOKEN_ARGS[@]}" --quick --threads 2 --json \
    >"$SCRATCH/threads.json" 2>/dev/null
rc=$?
check "threads: exit 0, got $rc" test "$rc" = 0
check "threads: scaling for 1 and 2 threads" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
scaling = r["threads"]["scaling"]
ok = [s["threads"] for s in scaling] == [1, 2]
for s in scaling:
    for kind in ("eval", "cold", "warm"):
        ok = ok and s[kind + "_ns_wall"] > 0 and s[kind + "_per_second"] > 0
        ok = ok and s[kind + "_linear_share"] > 0
sys.exit(0 if ok else 1)' "$SCRATCH/threads.json"
"$SKR" bench "${POLICIES[0]}" "${TOKEN_ARGS[@]}" --quick --threads 2 >"$SCRATCH/threads.txt" 2>/dev/null
check "threads: table of throughput" grep -q '^    2 threads  eval .*cold .*warm ' "$SCRATCH/threads.txt"
check "table: warm line" grep -q 'warm release .* (every call a cache hit)' "$SCRATCH/table.txt"

# --- CSV -----------------------------------------------------------------------
"$SKR" bench "${POLICIES[@]}" "${TOKEN_ARGS[@]}" --quick --csv >"$SCRATCH/out.csv" 2>/dev/null
rc=$?
check "csv: exit 0, got $rc" test "$rc" = 0
check "csv: header" grep -q '^kind,name,what,decision,instructions,' "$SCRATCH/out.csv"
check "csv: every row as wide as the header" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
sys.exit(0 if len(rows) >= 4 and all(len(r) == len(rows[0]) for r in rows) else 1)' "$SCRATCH/out.csv"

# --- SVG -----------------------------------------------------------------------
"$SKR" bench "${POLICIES[@]}" "${TOKEN_ARGS[@]}" --quick --svg "$SCRATCH/chart.svg" >/dev/null 2>&1
rc=$?
check "svg: exit 0, got $rc" test "$rc" = 0
check "svg: well-formed XML with bars" python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
sys.exit(0 if len(doc.getElementsByTagName("rect")) >= 4 else 1)' "$SCRATCH/chart.svg"

# --- usage errors exit 2 ---------------------------------------------------------
expect_usage_error() {
    local name="$1"; shift
    "$SKR" bench "$@" >/dev/null 2>&1
    local rc=$?
    if [ "$rc" = 2 ]; then pass; else fail "$name: expected exit 2, got $rc"; fi
}
expect_usage_error "no policy" --claims "$CLAIMS"
expect_usage_error "no claims and no token" "${POLICIES[0]}"
expect_usage_error "claims and token together" "${POLICIES[0]}" --claims "$CLAIMS" "${TOKEN_ARGS[@]}"
expect_usage_error "unknown --generate kind" --generate rules=10
expect_usage_error "zero --generate size" --generate conditions=0
expect_usage_error "unknown option" "${POLICIES[0]}" --claims "$CLAIMS" --fast
expect_usage_error "token not yet valid" "${POLICIES[0]}" --token "$SCRATCH/token.jwt" \
    --trust "$SCRATCH/trust.json" --now 1000
expect_usage_error "invalid policy" examples/policies/broken-trailing-comma.json --claims "$CLAIMS"

printf 'bench: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
