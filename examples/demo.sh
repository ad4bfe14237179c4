#!/usr/bin/env bash
# The demo: compile the example policies and decide them on example claims.
# Usage: examples/demo.sh PATH/TO/skr (./zigw build demo passes it).
set -uo pipefail

SKR="${1:?usage: examples/demo.sh PATH/TO/skr}"
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

step "compile every example policy"
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
exit "$FAILED"
