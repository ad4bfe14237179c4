#!/usr/bin/env bash
# The demo: compile the example policies, decide them on example claims,
# then mint signed tokens and release, deny and reject with them.
# Usage: examples/demo.sh PATH/TO/skr (./zigw build demo passes it).
set -uo pipefail

SKR="${1:?usage: examples/demo.sh PATH/TO/skr}"
SKR="$(cd "$(dirname "$SKR")" && pwd)/$(basename "$SKR")"
cd "$(dirname "${BASH_SOURCE[0]}")"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

step() { printf '\n== %s\n' "$*"; }
FAILED=0
# Runs one skr command and prints its exit code. Exit codes 0 to 3 are
# decisions and rejections the demo means to show; anything else fails it.
show() {
    printf '$ skr %s\n' "$*"
    "$SKR" "$@"
    local rc=$?
    printf '(exit %d)\n' "$rc"
    if [ "$rc" -gt 3 ]; then FAILED=1; fi
}

step "version"
show --version

step "compile every example policy (broken-trailing-comma.json fails on purpose)"
for policy in policies/*.json; do
    name="$(basename "$policy" .json)"
    show compile "$policy" -o "$OUT/$name.skrb"
done

step "the compiled guest policy"
show disasm "$OUT/cvm-guest.skrb"

step "decisions"
show eval "$OUT/cvm-guest.skrb" --claims claims/cvm-guest-compliant.json
show eval "$OUT/cvm-guest.skrb" --claims claims/cvm-guest-debuggable.json
show eval policies/cvm-platform.json --claims claims/cvm-platform-tdx.json
show eval policies/cvm-platform.json --claims claims/cvm-guest-compliant.json
show eval policies/sgx-enclave.json --claims claims/sgx-enclave.json
show eval policies/sgx-enclave.json --claims claims/sgx-enclave.json --issuer https://other.example.test

step "why was the debuggable guest denied?"
show eval "$OUT/cvm-guest.skrb" --claims claims/cvm-guest-debuggable.json --explain

step "the same decision for a script"
show eval "$OUT/cvm-guest.skrb" --claims claims/cvm-guest-compliant.json --json

# The main job: a workload presents a signed attestation token. The demo
# signs the example claims with the test authority key in keys/ (never use
# it in production) and pins that key in a trust store of its own.
NOW=1850000000
step "mint attestation tokens with the test authority key"
for name in cvm-guest-compliant cvm-guest-debuggable; do
    printf '$ skr mint claims/%s.json --key keys/test-authority-rsa2048.pem --kid demo-authority --trust-out TRUST.json > %s.jwt\n' "$name" "$name"
    if ! "$SKR" mint "claims/$name.json" --key keys/test-authority-rsa2048.pem --kid demo-authority \
        --trust-out "$OUT/trust.json" >"$OUT/$name.jwt"; then
        FAILED=1
    fi
done
# A forged token: the debuggable guest edits its payload to claim it is
# not debuggable, and keeps the authority's signature.
python3 - "$OUT/cvm-guest-debuggable.jwt" >"$OUT/forged.jwt" <<'FORGE'
import base64, re, sys
header, payload, signature = open(sys.argv[1]).read().strip().split(".")
claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
claims, edits = re.subn(rb'("x-ms-sevsnpvm-is-debuggable"\s*:\s*)true', rb"\1false", claims)
assert edits == 1, "the demo claims changed; update the forged edit"
forged = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
print(".".join([header, forged, signature]))
FORGE

step "release: a compliant guest"
show release "$OUT/cvm-guest.skrb" --token "$OUT/cvm-guest-compliant.jwt" --trust "$OUT/trust.json" --now $NOW
step "deny: a debuggable guest, explained"
show release "$OUT/cvm-guest.skrb" --token "$OUT/cvm-guest-debuggable.jwt" --trust "$OUT/trust.json" --now $NOW --explain
step "reject: a forged token, explained"
show release "$OUT/cvm-guest.skrb" --token "$OUT/forged.jwt" --trust "$OUT/trust.json" --now $NOW --explain
step "reject: the compliant token after it expired"
show release "$OUT/cvm-guest.skrb" --token "$OUT/cvm-guest-compliant.jwt" --trust "$OUT/trust.json" --now 2200000000 --json
# The release itself: the key leaves wrapped to the workload's RSA key,
# which the token carries under x-ms-runtime.keys, and the response is
# signed with a test service key. The workload then opens it.
step "release a key wrapped to the workload's key, then unwrap it"
printf '$ skr mint claims/cvm-guest-with-runtime-key.json ... > cvm-guest-with-runtime-key.jwt\n'
if ! "$SKR" mint claims/cvm-guest-with-runtime-key.json --key keys/test-authority-rsa2048.pem \
    --kid demo-authority --trust-out "$OUT/trust.json" >"$OUT/cvm-guest-with-runtime-key.jwt"; then
    FAILED=1
fi
show release policies/cvm-guest.json --token "$OUT/cvm-guest-with-runtime-key.jwt" \
    --trust "$OUT/trust.json" --now $NOW --key keys/test-release-aes256.jwk.json \
    --sign-key keys/test-service-rsa2048.pem --out "$OUT/response.json"
show unwrap --key keys/test-workload-rsa2048.pem --service-key keys/test-service-rsa2048.public.pem \
    "$OUT/response.json"
exit "$FAILED"
