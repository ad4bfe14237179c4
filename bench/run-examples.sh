#!/usr/bin/env bash
# Runs `skr bench` on the shipped example policies, decided on a token that
# it mints from examples/claims/cvm-guest-compliant.json with the test
# authority key, and prints the table. `./zigw build bench` runs it; more
# arguments go to skr bench (--quick, --json, --svg FILE, --peers-python).
# Usage: bench/run-examples.sh PATH/TO/skr [SKR BENCH OPTIONS...]
set -euo pipefail

SKR="${1:?usage: bench/run-examples.sh PATH/TO/skr [OPTIONS...]}"
shift
SKR="$(cd "$(dirname "$SKR")" && pwd)/$(basename "$SKR")"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

"$SKR" mint examples/claims/cvm-guest-compliant.json --key examples/keys/test-authority-rsa2048.pem \
    --kid bench-authority --trust-out "$OUT/trust.json" >"$OUT/token.jwt"

# The claims' nbf and exp bracket this time, so the bench does not depend
# on the clock.
NOW=1850000000
"$SKR" bench examples/policies/cvm-guest.json examples/policies/cvm-platform.json \
    examples/policies/sgx-enclave.json --token "$OUT/token.jwt" --trust "$OUT/trust.json" \
    --now "$NOW" "$@"
