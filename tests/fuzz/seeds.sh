#!/usr/bin/env bash
# Rewrites the seed corpora tests/fuzz/corpus/<target>/ from the project's
# own inputs: examples/, tests/cases/, tests/dsl/, tests/golden/ and
# tests/cli/data/. Programs and tokens are made with the skr command given
# (compiled policies, and example claims minted with the test key). The
# output depends only on those inputs, so rerunning it changes nothing
# unless they changed.
# Usage: tests/fuzz/seeds.sh PATH/TO/skr
set -euo pipefail

SKR="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CORPUS=tests/fuzz/corpus
KEY=examples/keys/test-authority-rsa2048.pem
KID=skr-test-authority-2048
TEST_AUTHORITY=https://test-authority.skr.example

# The seed's name: its path with '/' turned into '-'.
seed_name() { printf '%s' "${1//\//-}"; }

# copy TARGET [PREFIX_BYTE_OCTAL] FILE...: one seed per file, optionally
# after one mode byte.
copy() {
    local target="$1" prefix="$2"; shift 2
    mkdir -p "$CORPUS/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        local out="$CORPUS/$target/$(seed_name "$f")"
        if [ -n "$prefix" ]; then
            { printf "\\$prefix"; cat "$f"; } >"$out"
        else
            cp "$f" "$out"
        fi
    done
}

rm -rf "$CORPUS"
json_policies=(examples/policies/*.json tests/cases/*/policy.json tests/dsl/*.json tests/golden/json/*.json)
dsl_policies=(tests/dsl/*.skr tests/golden/dsl/*.skr)
claims=(examples/claims/*.json tests/cases/*/claims.json tests/cli/data/*.json)

copy fuzz_policy_json "" "${json_policies[@]}"
copy fuzz_policy_dsl "" "${dsl_policies[@]}"
copy fuzz_roundtrip "" examples/policies/*.json tests/dsl/*.json tests/dsl/*.skr
copy fuzz_lint 000 examples/policies/*.json tests/dsl/*.json
copy fuzz_lint 001 tests/dsl/*.skr
copy fuzz_claims "" "${claims[@]}"
copy fuzz_trust "" examples/keys/test-trust.json
copy fuzz_token 001 examples/claims/*.json

# Programs compiled from the example and DSL test policies.
mkdir -p "$CORPUS/fuzz_program_load"
for f in examples/policies/cvm-guest.json examples/policies/cvm-platform.json \
         examples/policies/sgx-enclave.json tests/dsl/*.skr; do
    "$SKR" compile "$f" -o "$CORPUS/fuzz_program_load/$(seed_name "$f").skrb" >/dev/null 2>&1 || true
done

# Edit scripts for the mutation target: a seed program and a few edits.
mkdir -p "$CORPUS/fuzz_program_mutate"
for seed in 0 1 2 3 4; do
    printf "\\$(printf '%03o' "$seed")\\000" >"$CORPUS/fuzz_program_mutate/seed-$seed-unchanged"
    printf "\\$(printf '%03o' "$seed")\\000\\001\\060\\000\\005" \
        >"$CORPUS/fuzz_program_mutate/seed-$seed-word-write"
    printf "\\$(printf '%03o' "$seed")\\001\\002\\100\\000\\003" \
        >"$CORPUS/fuzz_program_mutate/seed-$seed-bit-flip-length-kept"
done

# Tokens: each example claims file with its iss replaced by the test
# authority, minted with the test key.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$CORPUS/fuzz_base64url"
for f in examples/claims/*.json; do
    name="$(seed_name "$f")"
    sed "s|\"iss\": *\"[^\"]*\"|\"iss\": \"$TEST_AUTHORITY\"|" "$f" >"$scratch/claims.json"
    "$SKR" mint "$scratch/claims.json" --key "$KEY" --kid "$KID" >"$scratch/token" 2>/dev/null
    tr -d '\n' <"$scratch/token" >"$CORPUS/fuzz_token/$name.jwt"
    cut -d. -f1 "$CORPUS/fuzz_token/$name.jwt" | tr -d '\n' >"$CORPUS/fuzz_base64url/$name.header"
    cut -d. -f2 "$CORPUS/fuzz_token/$name.jwt" | tr -d '\n' >"$CORPUS/fuzz_base64url/$name.payload"
    cut -d. -f3 "$CORPUS/fuzz_token/$name.jwt" | tr -d '\n' >"$CORPUS/fuzz_base64url/$name.signature"
done
printf '\002{"alg":"RS256","typ":"JWT","kid":"%s"}' "$KID" >"$CORPUS/fuzz_token/header-test-key"
printf '\002{"alg":"RS256","kid":"%s","crit":["exp"]}' "$KID" >"$CORPUS/fuzz_token/header-crit"
printf '\003\000\020\001A' >"$CORPUS/fuzz_token/edit-minted"
printf '\003\001\040\000B' >"$CORPUS/fuzz_token/edit-real"

# Trust stores: the test store, and the test key's public JWK as a JWKS.
{ printf '{"keys":['; cat examples/keys/test-authority-rsa2048.public.jwk.json; printf ']}'; } \
    >"$CORPUS/fuzz_trust/test-authority-jwks.json"
cp examples/keys/test-authority-rsa2048.public.jwk.json "$CORPUS/fuzz_trust/"

# Differential: both generator modes.
mkdir -p "$CORPUS/fuzz_differential"
for i in 0 1 2 3; do
    printf "\\000\\$(printf '%03o' "$i")\\000\\000\\000\\000\\000\\000\\000" \
        >"$CORPUS/fuzz_differential/seeded-$i"
    printf "\\001\\$(printf '%03o' "$i")\\002\\003\\004\\005\\006\\007\\010\\011\\012\\013" \
        >"$CORPUS/fuzz_differential/bytes-$i"
done

for dir in "$CORPUS"/*/; do
    printf '%s: %s seeds\n' "$(basename "$dir")" "$(ls "$dir" | wc -l)"
done
