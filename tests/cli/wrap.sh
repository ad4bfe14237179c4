#!/usr/bin/env bash
# Release envelope tests of the command line. Every released key is
# opened by OpenSSL's command line alone (RSA-OAEP with pkeyutl, then AES
# key wrap with padding with enc) and compared with the original key.
# OpenSSL also checks the signature of a signed response (openssl dgst).
# Then come skr unwrap, the denials, the rejections and the usage errors.
# Usage: tests/cli/wrap.sh PATH/TO/skr
# Prints "wrap: N passed, M failed" and exits 1 when a test failed.
set -uo pipefail

SKR="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/examples"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
finish() {
    printf 'wrap: %d passed, %d failed\n' "$passed" "$failed"
    [ "$failed" = 0 ]
    exit $?
}

for tool in openssl python3; do
    if ! command -v "$tool" >/dev/null; then
        printf 'wrap: skipped, %s is not installed\n' "$tool"
        finish
    fi
done

NOW=1850000000
POLICY=policies/cvm-guest.json
AUTHORITY_KEY=keys/test-authority-rsa2048.pem

# Prints one field of a response: key_hsm's ciphertext as hex ("ct"), the
# JWS signing input ("signing-input") or its signature as hex ("sig").
field() {
    python3 - "$1" "$2" <<'PY'
import base64, json, sys
def b64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
doc = json.load(open(sys.argv[1]))
jws = doc.get("value")
payload = json.loads(b64(jws.split(".")[1])) if jws else doc
want = sys.argv[2]
if want == "ct":
    hsm = json.loads(b64(payload["response"]["key"]["key"]["key_hsm"]))
    print(b64(hsm["ciphertext"]).hex())
elif want == "signing-input":
    sys.stdout.write(".".join(jws.split(".")[:2]))
elif want == "sig":
    print(b64(jws.split(".")[2]).hex())
PY
}

# Mints a token for claims whose x-ms-runtime.keys contains the public half
# of a workload key (a PEM private key), or the given keys JSON.
mint_for() {
    local workload="$1" out="$2" keys="${3:-}"
    python3 - "$workload" "$keys" >"$SCRATCH/claims.json" <<'PY'
import base64, json, subprocess, sys
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
claims = json.load(open("claims/cvm-guest-with-runtime-key.json"))
if sys.argv[2]:
    claims["x-ms-runtime"]["keys"] = json.loads(sys.argv[2])
else:
    text = subprocess.run(["openssl", "rsa", "-in", sys.argv[1], "-noout", "-modulus"],
                          capture_output=True, text=True, check=True).stdout
    n = bytes.fromhex(text.strip().split("=", 1)[1])
    claims["x-ms-runtime"]["keys"] = [{"kty": "RSA", "kid": "wrap-test", "key_ops": ["encrypt"],
                                       "e": "AQAB", "n": b64(n)}]
print(json.dumps(claims))
PY
    "$SKR" mint "$SCRATCH/claims.json" --key "$AUTHORITY_KEY" --kid wrap-test-authority \
        --trust-out "$SCRATCH/trust.json" >"$out" 2>/dev/null
}

# Opens a response with OpenSSL: splits the ciphertext after the OAEP block,
# decrypts the transfer key with pkeyutl, then unwraps with enc.
openssl_unwrap() {
    local response="$1" workload="$2" md="$3" out="$4"
    local bytes
    bytes=$(( $(openssl rsa -in "$workload" -noout -text 2>/dev/null |
                sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p') / 8 ))
    field "$response" ct | xxd -r -p >"$SCRATCH/ct.bin"
    head -c "$bytes" "$SCRATCH/ct.bin" >"$SCRATCH/oaep.bin"
    tail -c +"$((bytes + 1))" "$SCRATCH/ct.bin" >"$SCRATCH/kwp.bin"
    openssl pkeyutl -decrypt -inkey "$workload" -in "$SCRATCH/oaep.bin" -out "$SCRATCH/transfer.bin" \
        -pkeyopt rsa_padding_mode:oaep -pkeyopt "rsa_oaep_md:$md" -pkeyopt "rsa_mgf1_md:$md" ||
        return 1
    [ "$(wc -c <"$SCRATCH/transfer.bin")" = 32 ] || return 1
    openssl enc -d -id-aes256-wrap-pad -K "$(xxd -p -c 64 "$SCRATCH/transfer.bin")" -iv A65959A6 \
        -in "$SCRATCH/kwp.bin" -out "$out"
}

# The bytes a released key must open to: the raw bytes of an oct JWK, or
# the PKCS#8 DER that OpenSSL writes for an RSA key.
expected_material() {
    local key="$1" out="$2"
    case "$key" in
        *.jwk.json)
            python3 -c 'import base64, json, sys
k = json.load(open(sys.argv[1]))["k"]
sys.stdout.buffer.write(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)))' "$key" >"$out" ;;
        *) openssl pkcs8 -topk8 -nocrypt -in "$key" -outform DER -out "$out" ;;
    esac
}

# --- workload keys: the example key, and fresh 3072- and 4096-bit keys ----
cp keys/test-workload-rsa2048.pem "$SCRATCH/workload-2048.pem"
for bits in 3072 4096; do
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
        -out "$SCRATCH/workload-$bits.pem" 2>/dev/null
done
# A released RSA key given as PKCS#1 PEM, which skr sends as PKCS#8.
openssl rsa -in keys/test-release-rsa2048.pem -traditional -out "$SCRATCH/release-pkcs1.pem" 2>/dev/null
cp keys/test-release-rsa2048.pem "$SCRATCH/release-pkcs8.pem"
cp keys/test-release-aes256.jwk.json "$SCRATCH/release-aes256.jwk.json"

# The expected bytes of each released key, and the "k" of the oct key as
# skr unwrap prints it.
for key in release-aes256.jwk.json release-pkcs8.pem release-pkcs1.pem; do
    expected_material "$SCRATCH/$key" "$SCRATCH/$key.expected"
done
OCT_K="$(sed -n 's/.*"k": *"\([^"]*\)".*/\1/p' "$SCRATCH/release-aes256.jwk.json")"

# --- every enc, released key and workload key, opened by OpenSSL ----------
for bits in 2048 3072 4096; do
    workload="$SCRATCH/workload-$bits.pem"
    mint_for "$workload" "$SCRATCH/token-$bits.jwt" || fail "mint for a $bits-bit workload key"
    for enc in CKM_RSA_AES_KEY_WRAP:sha1 RSA_AES_KEY_WRAP_256:sha256 RSA_AES_KEY_WRAP_384:sha384; do
        md="${enc#*:}"
        enc="${enc%%:*}"
        for key in release-aes256.jwk.json release-pkcs8.pem release-pkcs1.pem; do
            what="$bits-bit workload, $enc, $key"
            response="$SCRATCH/response.json"
            rm -f "$response"
            "$SKR" release "$POLICY" --token "$SCRATCH/token-$bits.jwt" --trust "$SCRATCH/trust.json" \
                --now $NOW --key "$SCRATCH/$key" --enc "$enc" --unsigned --out "$response" >/dev/null
            rc=$?
            if [ "$rc" != 0 ]; then fail "$what: release exited $rc"; continue; fi
            if grep -q "\"request\":{[^}]*\"enc\":\"$enc\"" "$response"; then pass; else fail "$what: request.enc"; fi
            if openssl_unwrap "$response" "$workload" "$md" "$SCRATCH/opened.bin" &&
                cmp -s "$SCRATCH/opened.bin" "$SCRATCH/$key.expected"; then
                pass
            else
                fail "$what: OpenSSL did not open the response to the original key"
            fi
            # skr unwrap opens it too.
            "$SKR" unwrap --key "$workload" "$response" >"$SCRATCH/unwrapped" 2>"$SCRATCH/err"
            rc=$?
            case "$key" in
                *.jwk.json)
                    got="$(sed -n 's/.*"k":"\([^"]*\)".*/\1/p' "$SCRATCH/unwrapped")"
                    want="$OCT_K"
                    ;;
                *)
                    got="$(openssl pkcs8 -topk8 -nocrypt -in "$SCRATCH/unwrapped" -outform DER 2>/dev/null | xxd -p | tr -d '\n')"
                    want="$(xxd -p "$SCRATCH/$key.expected" | tr -d '\n')"
                    ;;
            esac
            if [ "$rc" = 0 ] && [ -n "$got" ] && [ "$got" = "$want" ]; then pass; else fail "$what: skr unwrap (exit $rc)"; fi
        done
    done
done

TOKEN="$SCRATCH/token-2048.jwt"
TRUST="$SCRATCH/trust.json"
WORKLOAD=keys/test-workload-rsa2048.pem
release() { "$SKR" release "$POLICY" --token "$TOKEN" --trust "$TRUST" --now $NOW "$@"; }

# --- a signed response: OpenSSL checks the RS256 signature ----------------
release --key keys/test-release-aes256.jwk.json --sign-key keys/test-service-rsa2048.pem \
    >"$SCRATCH/signed.json" 2>"$SCRATCH/decision.txt"
rc=$?
if [ "$rc" = 0 ]; then pass; else fail "signed release exited $rc"; fi
field "$SCRATCH/signed.json" signing-input >"$SCRATCH/signing-input"
field "$SCRATCH/signed.json" sig | xxd -r -p >"$SCRATCH/sig.bin"
if openssl dgst -sha256 -verify keys/test-service-rsa2048.public.pem -signature "$SCRATCH/sig.bin" \
    "$SCRATCH/signing-input" >/dev/null 2>&1; then
    pass
else
    fail "OpenSSL did not verify the response's signature with the service key"
fi
# Without --out, the response alone is on stdout and the decision on stderr.
if grep -q '^release: entry 0' "$SCRATCH/decision.txt" && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$SCRATCH/signed.json"; then
    pass
else
    fail "without --out, stdout should hold the response and stderr the decision"
fi
"$SKR" unwrap --key "$WORKLOAD" --service-key keys/test-service-rsa2048.public.pem "$SCRATCH/signed.json" \
    --out "$SCRATCH/opened.jwk" 2>"$SCRATCH/err"
rc=$?
mode="$(stat -c %a "$SCRATCH/opened.jwk" 2>/dev/null)"
if [ "$rc" = 0 ] && [ "$mode" = 600 ] && [ ! -s "$SCRATCH/err" ]; then pass; else fail "unwrap --service-key --out: exit $rc, mode $mode"; fi
"$SKR" unwrap --key "$WORKLOAD" "$SCRATCH/signed.json" >/dev/null 2>"$SCRATCH/err"
rc=$?
if [ "$rc" = 0 ] && grep -q 'signature was not checked' "$SCRATCH/err"; then pass; else fail "unwrap of a signed response without --service-key should warn (exit $rc)"; fi

# --- responses that must not open: exit 2 --------------------------------
expect_unwrap_2() {
    local what="$1"; shift
    "$SKR" unwrap "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ ! -s "$SCRATCH/out" ]; then pass; else fail "$what: unwrap exited $rc"; fi
}
expect_unwrap_2 "wrong workload key" --key keys/test-release-rsa2048.pem "$SCRATCH/signed.json"
expect_unwrap_2 "wrong service key" --key "$WORKLOAD" --service-key keys/test-authority-rsa2048.public.pem \
    "$SCRATCH/signed.json"
python3 - "$SCRATCH/signed.json" >"$SCRATCH/tampered.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
h, p, s = doc["value"].split(".")
i = len(p) // 2
p = p[:i] + ("A" if p[i] != "A" else "B") + p[i + 1:]
print(json.dumps({"value": ".".join([h, p, s])}))
PY
expect_unwrap_2 "tampered signed payload" --key "$WORKLOAD" --service-key keys/test-service-rsa2048.public.pem \
    "$SCRATCH/tampered.json"
release --key keys/test-release-aes256.jwk.json --unsigned --out "$SCRATCH/unsigned.json" >/dev/null
python3 - "$SCRATCH/unsigned.json" >"$SCRATCH/tampered.json" <<'PY'
import base64, json, sys
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
doc = json.load(open(sys.argv[1]))
key = doc["response"]["key"]["key"]
hsm = json.loads(b64d(key["key_hsm"]))
ct = bytearray(b64d(hsm["ciphertext"]))
ct[-3] ^= 0x40
hsm["ciphertext"] = b64e(bytes(ct))
key["key_hsm"] = b64e(json.dumps(hsm).encode())
print(json.dumps(doc))
PY
expect_unwrap_2 "tampered ciphertext" --key "$WORKLOAD" "$SCRATCH/tampered.json"
expect_unwrap_2 "unsigned response with --service-key" --key "$WORKLOAD" \
    --service-key keys/test-service-rsa2048.public.pem "$SCRATCH/unsigned.json"
expect_unwrap_2 "a public workload key" --key keys/test-workload-rsa2048.public.jwk.json "$SCRATCH/unsigned.json"

# --- decisions: deny, no release key, malformed release key ---------------
expect_release() {
    local what="$1" want_rc="$2" want_code="$3"; shift 3
    rm -f "$SCRATCH/r.json"
    "$SKR" release "$POLICY" --trust "$TRUST" --now $NOW --json --out "$SCRATCH/r.json" "$@" \
        >"$SCRATCH/decision.json" 2>"$SCRATCH/err"
    local rc=$?
    local code
    code="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"]["code"])' \
        "$SCRATCH/decision.json" 2>/dev/null)"
    if [ "$rc" = "$want_rc" ] && [ "$code" = "$want_code" ]; then pass; else fail "$what: exit $rc, code '$code', expected exit $want_rc, code $want_code"; fi
    if [ "$want_rc" = 0 ] || [ ! -e "$SCRATCH/r.json" ]; then pass; else fail "$what: a response was written"; fi
}
KEY_ARGS=(--key keys/test-release-aes256.jwk.json --unsigned)
expect_release "release" 0 released --token "$TOKEN" "${KEY_ARGS[@]}"

python3 - >"$SCRATCH/debuggable.json" <<'PY'
import json
claims = json.load(open("claims/cvm-guest-with-runtime-key.json"))
claims["x-ms-isolation-tee"]["x-ms-sevsnpvm-is-debuggable"] = True
print(json.dumps(claims))
PY
"$SKR" mint "$SCRATCH/debuggable.json" --key "$AUTHORITY_KEY" --kid wrap-test-authority >"$SCRATCH/debuggable.jwt"
expect_release "debuggable guest" 1 conditions_not_met --token "$SCRATCH/debuggable.jwt" "${KEY_ARGS[@]}"

for case in \
    "no runtime keys|[]" \
    "not RSA|[{\"kty\":\"EC\",\"kid\":\"ec\",\"key_ops\":[\"encrypt\"],\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]" \
    "no kid|[{\"kty\":\"RSA\",\"key_ops\":[\"encrypt\"],\"e\":\"AQAB\",\"n\":\"AQAB\"}]" \
    "not for encryption|[{\"kty\":\"RSA\",\"kid\":\"k\",\"key_ops\":[\"sign\"],\"use\":\"sig\",\"e\":\"AQAB\",\"n\":\"AQAB\"}]"; do
    what="${case%%|*}"
    mint_for "" "$SCRATCH/case.jwt" "${case#*|}" || fail "$what: mint"
    expect_release "$what" 1 no_release_key --token "$SCRATCH/case.jwt" "${KEY_ARGS[@]}"
done
WEAK_N="$(python3 -c 'import json; print(json.load(open("keys/test-weak-rsa1024.jwk.json"))["n"])')"
for case in \
    "1024-bit release key|[{\"kty\":\"RSA\",\"kid\":\"weak\",\"use\":\"enc\",\"e\":\"AQAB\",\"n\":\"$WEAK_N\"}]" \
    "release key without n|[{\"kty\":\"RSA\",\"kid\":\"no-n\",\"use\":\"enc\",\"e\":\"AQAB\"}]" \
    "release key with bad base64url|[{\"kty\":\"RSA\",\"kid\":\"bad\",\"key_use\":\"enc\",\"e\":\"AQAB\",\"n\":\"a+b/\"}]"; do
    what="${case%%|*}"
    mint_for "" "$SCRATCH/case.jwt" "${case#*|}" || fail "$what: mint"
    expect_release "$what" 3 release_key_invalid --token "$SCRATCH/case.jwt" "${KEY_ARGS[@]}"
done

# Without --key, the same token still decides only, as before.
"$SKR" release "$POLICY" --token "$TOKEN" --trust "$TRUST" --now $NOW >"$SCRATCH/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^release: entry 0' "$SCRATCH/out"; then pass; else fail "release without --key: exit $rc"; fi

# --- usage errors: exit 2, nothing written --------------------------------
expect_usage() {
    local what="$1"; shift
    rm -f "$SCRATCH/r.json"
    "$SKR" release "$POLICY" --token "$TOKEN" --trust "$TRUST" --now $NOW "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ ! -e "$SCRATCH/r.json" ]; then pass; else fail "$what: exit $rc"; fi
}
expect_usage "neither --sign-key nor --unsigned" --key keys/test-release-aes256.jwk.json --out "$SCRATCH/r.json"
expect_usage "both --sign-key and --unsigned" --key keys/test-release-aes256.jwk.json --unsigned \
    --sign-key keys/test-service-rsa2048.pem --out "$SCRATCH/r.json"
expect_usage "--unsigned without --key" --unsigned
expect_usage "unknown --enc" --key keys/test-release-aes256.jwk.json --unsigned --enc RSA_OAEP --out "$SCRATCH/r.json"
expect_usage "public key to release" --key keys/test-workload-rsa2048.public.jwk.json --unsigned --out "$SCRATCH/r.json"
expect_usage "public service key" --key keys/test-release-aes256.jwk.json \
    --sign-key keys/test-service-rsa2048.public.pem --out "$SCRATCH/r.json"
expect_usage "missing key file" --key "$SCRATCH/none.pem" --unsigned --out "$SCRATCH/r.json"
"$SKR" compile "$POLICY" -o "$SCRATCH/policy.skrb" >/dev/null 2>&1
"$SKR" release "$SCRATCH/policy.skrb" --token "$TOKEN" --trust "$TRUST" --now $NOW \
    "${KEY_ARGS[@]}" --out "$SCRATCH/r.json" >/dev/null 2>&1
rc=$?
if [ "$rc" = 2 ] && [ ! -e "$SCRATCH/r.json" ]; then pass; else fail "--key with a compiled program: exit $rc"; fi

# A key file's text never reaches the diagnostics.
printf '{"kty":"oct","k":"c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3Qtc2hvdw","k":"x"}' >"$SCRATCH/dup.jwk"
"$SKR" release "$POLICY" --token "$TOKEN" --trust "$TRUST" --now $NOW --key "$SCRATCH/dup.jwk" \
    --unsigned --out "$SCRATCH/r.json" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
if [ "$rc" = 2 ] && ! grep -q 'c2VjcmV0' "$SCRATCH/out" "$SCRATCH/err"; then pass; else fail "an invalid key file: exit $rc, or its secret was printed"; fi

finish
