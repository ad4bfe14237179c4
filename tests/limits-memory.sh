#!/usr/bin/env bash
# Measures the peak memory (maximum resident set size, from /usr/bin/time
# -v) and the wall time of the skr command on the largest inputs each
# reader accepts at the default limits, and on inputs just past a limit.
# The inputs are generated into a scratch directory:
#   JSON policy  1 MiB of distinct conditions; 4,096 authority entries
#   DSL policy   65,536 distinct conditions; the same with longer names,
#                which makes the largest program; one block of 4,096
#                authorities repeating 16 conditions (65,536 after expansion)
#   program      the compiled form of each of those, loaded by skr eval
#   claims       64 KiB with 8,192 members; 64 KiB nested 32 deep
#   token        a token of about 64 KiB, minted with the test key
#   trust store  16 MiB (the largest file skr release reads) of keys
# Prints one row per run: reader, input, size, skr's exit code, peak RSS,
# wall time and user CPU time. Exit codes 0-2 are expected (2 for the inputs past a limit);
# a crash or exit 3-4 on an input that should be accepted fails the run.
# Usage: tests/limits-memory.sh PATH/TO/skr
set -uo pipefail

SKR="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
KEY=examples/keys/test-authority-rsa2048.pem
AUTHORITY=https://limits.skr.example
NOW=1700000000

if [ ! -x /usr/bin/time ]; then
    echo "limits-memory: /usr/bin/time is missing (Debian: apt-get install time)" >&2
    exit 2
fi

failed=0
printf '%-12s %-44s %10s %5s %10s %8s %8s\n' reader input bytes exit "peak KiB" "wall s" "user s"

# measure READER NAME EXPECTED_EXIT INPUT_FILE SKR_ARGS...
measure() {
    local reader="$1" name="$2" expected="$3" input="$4"; shift 4
    local timing="$SCRATCH/time.txt"
    /usr/bin/time -v -o "$timing" "$SKR" "$@" >"$SCRATCH/out.txt" 2>"$SCRATCH/err.txt"
    local rc=$?
    local kib seconds user
    kib="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timing")"
    seconds="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$timing")"
    user="$(sed -n 's/.*User time (seconds): //p' "$timing")"
    printf '%-12s %-44s %10s %5s %10s %8s %8s\n' "$reader" "$name" "$(wc -c <"$input")" "$rc" \
        "${kib:-?}" "${seconds:-?}" "${user:-?}"
    if [ "$rc" != "$expected" ]; then
        failed=$((failed + 1))
        echo "      expected exit $expected; skr said:"
        head -n 3 "$SCRATCH/err.txt" | cut -c1-200 | sed 's/^/      /'
    fi
}

# ---- JSON policies --------------------------------------------------------
awk -v max=1048576 -v auth="$AUTHORITY" 'BEGIN {
    head = "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"" auth "\",\"anyOf\":["
    printf "%s", head; len = length(head)
    for (i = 0; ; i++) {
        c = sprintf("%s{\"claim\":\"c%06d\",\"equals\":\"v%06d\"}", i ? "," : "", i, i)
        if (len + length(c) + 4 > max) break
        printf "%s", c; len += length(c)
    }
    printf "]}]}"; len += 4
    while (len < max) { printf " "; len++ }
}' >"$SCRATCH/conditions.json"
measure "JSON policy" "1 MiB of distinct conditions" 0 "$SCRATCH/conditions.json" \
    compile "$SCRATCH/conditions.json" -o "$SCRATCH/conditions-json.skrb"

awk -v auth="$AUTHORITY" 'BEGIN {
    printf "{\"version\":\"1.0.0\",\"anyOf\":["
    for (i = 0; i < 4096; i++) {
        printf "%s{\"authority\":\"https://a%04d.skr.example\",\"allOf\":[", i ? "," : "", i
        for (k = 0; k < 3; k++)
            printf "%s{\"claim\":\"x-ms-isolation-tee.c%d\",\"equals\":\"value-%d-%d\"}", k ? "," : "", k, i, k
        printf "]}"
    }
    printf "]}"
}' >"$SCRATCH/authorities.json"
measure "JSON policy" "4,096 authority entries" 0 "$SCRATCH/authorities.json" \
    compile "$SCRATCH/authorities.json" -o "$SCRATCH/authorities.skrb"

{ cat "$SCRATCH/conditions.json"; printf ' '; } >"$SCRATCH/too-large.json"
measure "JSON policy" "1 MiB + 1 byte (rejected)" 2 "$SCRATCH/too-large.json" \
    compile "$SCRATCH/too-large.json" -o "$SCRATCH/too-large.skrb"

# ---- DSL policies ---------------------------------------------------------
awk -v auth="$AUTHORITY" 'BEGIN {
    printf "version 1.0.0\nauthority \"%s\" any {\n", auth
    for (i = 0; i < 65536; i++) printf "c%05d==\"%04x\"\n", i, i
    printf "}\n"
}' >"$SCRATCH/conditions.skr"
measure "DSL policy" "65,536 distinct conditions" 0 "$SCRATCH/conditions.skr" \
    compile "$SCRATCH/conditions.skr" -o "$SCRATCH/conditions-dsl.skrb"

# The largest program a policy within the limits makes: 65,536 conditions
# with 7-character claim names and distinct strings, written without
# separators so that the text stays under 1 MiB.
awk -v auth="$AUTHORITY" 'BEGIN {
    printf "version 1.0.0\nauthority \"%s\" any {\n", auth
    for (i = 0; i < 65536; i++) printf "c%06d==\"%04x\"", i, i
    printf "\n}\n"
}' >"$SCRATCH/largest-program.skr"
measure "DSL policy" "65,536 conditions, largest program" 0 "$SCRATCH/largest-program.skr" \
    compile "$SCRATCH/largest-program.skr" -o "$SCRATCH/largest-program.skrb"

awk 'BEGIN {
    printf "version 1.0.0\nauthority"
    for (i = 0; i < 4096; i++) printf "%s \"https://a%04d.skr.example\"", i ? "," : "", i
    printf " {\n"
    for (k = 0; k < 16; k++) printf "    x-ms-isolation-tee.c%02d == \"value-%02d\"\n", k, k
    printf "}\n"
}' >"$SCRATCH/expansion.skr"
measure "DSL policy" "4,096 authorities x 16 conditions" 0 "$SCRATCH/expansion.skr" \
    compile "$SCRATCH/expansion.skr" -o "$SCRATCH/expansion.skrb"

awk -v auth="$AUTHORITY" 'BEGIN {
    printf "version 1.0.0\nauthority \"%s\" any {\n", auth
    for (i = 0; i <= 65536; i++) printf "c%05d==\"%04x\"\n", i, i
    printf "}\n"
}' >"$SCRATCH/too-many.skr"
measure "DSL policy" "65,537 conditions (rejected)" 2 "$SCRATCH/too-many.skr" \
    compile "$SCRATCH/too-many.skr" -o "$SCRATCH/too-many.skrb"

# ---- programs, loaded and run by skr eval ----------------------------------
# Claims that meet no condition, so that every condition runs.
printf '{"iss":"%s"}' "$AUTHORITY" >"$SCRATCH/small-claims.json"
for program in conditions-json conditions-dsl largest-program expansion; do
    [ -f "$SCRATCH/$program.skrb" ] || continue
    measure "program" "$program.skrb" 1 "$SCRATCH/$program.skrb" \
        eval "$SCRATCH/$program.skrb" --claims "$SCRATCH/small-claims.json"
done

# ---- claims ---------------------------------------------------------------
# 8,192 members in all: "iss", then objects of 64 two-character members.
awk -v auth="$AUTHORITY" 'BEGIN {
    a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    printf "{\"iss\":\"%s\"", auth; left = 8191
    for (o = 0; left > 0; o++) {
        printf ",\"o%d\":{", o; left--
        n = left < 64 ? left : 64
        for (i = 0; i < n; i++) printf "%s\"%s\":%d", i ? "," : "", substr(a, i + 1, 1), i
        printf "}"; left -= n
    }
    printf "}"
}' >"$SCRATCH/members.json"
measure "claims" "8,192 members" 1 "$SCRATCH/members.json" \
    eval examples/policies/cvm-guest.json --claims "$SCRATCH/members.json" --issuer "$AUTHORITY"

# Nests of 31 arrays below the top-level object (depth 32), to 64 KiB.
awk -v auth="$AUTHORITY" 'BEGIN {
    nest = ""; close_ = ""
    for (d = 0; d < 31; d++) { nest = nest "["; close_ = close_ "]" }
    printf "{\"iss\":\"%s\"", auth; len = 12 + length(auth)
    for (i = 0; len + 80 < 65536; i++) {
        m = sprintf(",\"n%d\":%s1%s", i, nest, close_)
        printf "%s", m; len += length(m)
    }
    printf "}"
}' >"$SCRATCH/deep.json"
measure "claims" "64 KiB of 32-deep nests" 1 "$SCRATCH/deep.json" \
    eval examples/policies/cvm-guest.json --claims "$SCRATCH/deep.json" --issuer "$AUTHORITY"

# ---- tokens ---------------------------------------------------------------
# About 48 KiB of claims, which base64url makes a token just under 64 KiB.
awk -v auth="$AUTHORITY" 'BEGIN {
    printf "{\"iss\":\"%s\",\"exp\":2000000000", auth; len = 40 + length(auth)
    for (i = 0; len + 40 < 48800; i++) {
        m = sprintf(",\"m%d\":\"%d\"", i, i)
        printf "%s", m; len += length(m)
    }
    printf "}"
}' >"$SCRATCH/token-claims.json"
"$SKR" mint "$SCRATCH/token-claims.json" --key "$KEY" --kid limits \
    --trust-out "$SCRATCH/trust.json" >"$SCRATCH/token.jwt" 2>"$SCRATCH/err.txt" ||
    { echo "limits-memory: skr mint failed: $(head -n1 "$SCRATCH/err.txt")"; failed=$((failed + 1)); }
tr -d '\n' <"$SCRATCH/token.jwt" >"$SCRATCH/token-bare.jwt"
measure "token" "$(wc -c <"$SCRATCH/token-bare.jwt")-byte token" 1 "$SCRATCH/token-bare.jwt" \
    release examples/policies/cvm-guest.json --token "$SCRATCH/token-bare.jwt" \
    --trust "$SCRATCH/trust.json" --now "$NOW"

# ---- trust store ----------------------------------------------------------
# The test key under as many authorities as fit in 16 MiB.
jwk="$(tr -d '\n' <examples/keys/test-authority-rsa2048.public.jwk.json)"
awk -v jwk="$jwk" -v max=16777216 'BEGIN {
    printf "{"; len = 2
    for (i = 0; ; i++) {
        m = sprintf("%s\"https://a%06d.skr.example\":{\"keys\":[%s]}", i ? "," : "", i, jwk)
        if (len + length(m) > max) break
        printf "%s", m; len += length(m)
    }
    printf "}"
}' >"$SCRATCH/big-trust.json"
measure "trust store" "16 MiB, one key per authority" 3 "$SCRATCH/big-trust.json" \
    release examples/policies/cvm-guest.json --token "$SCRATCH/token-bare.jwt" \
    --trust "$SCRATCH/big-trust.json" --now "$NOW"

echo "limits-memory: $failed unexpected exit codes"
[ "$failed" = 0 ]
