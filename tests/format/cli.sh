#!/usr/bin/env bash
# Command-line tests of skr fmt: output to standard output and to -o, the
# in-place rewrite (-w) and its atomicity, and the usage errors.
# Usage: tests/format/cli.sh PATH/TO/skr
set -uo pipefail

SKR="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CASES="$ROOT/tests/format"
SCRATCH="$(mktemp -d)"
trap 'chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }

# expect_exit WANT DESCRIPTION -- COMMAND...: runs the command, output to
# $SCRATCH/out and $SCRATCH/err, and checks its exit code.
expect_exit() {
    local want="$1" what="$2"
    shift 3
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
    local got=$?
    if [ "$got" = "$want" ]; then pass; else fail "$what: exit $got, expected $want"; sed 's/^/    /' "$SCRATCH/err" | head -n 5; fi
}

# same_file A B DESCRIPTION
same_file() {
    if cmp -s "$1" "$2"; then pass; else fail "$3"; diff "$1" "$2" | head -n 10; fi
}

# no_temp_files DIR DESCRIPTION: no temporary file of skr fmt is left in DIR.
no_temp_files() {
    local left
    left="$(find "$1" -maxdepth 1 -name '.*.skr-fmt-*' | wc -l)"
    if [ "$left" = 0 ]; then pass; else fail "$2: $left temporary file(s) left in $1"; fi
}

work="$SCRATCH/work"
mkdir -p "$work"

# --- standard output and -o --------------------------------------------------
expect_exit 0 "fmt JSON" -- "$SKR" fmt "$CASES/long-form.input.json"
same_file "$SCRATCH/out" "$CASES/long-form.expected.json" "fmt JSON: output differs from long-form.expected.json"

expect_exit 0 "fmt --to dsl" -- "$SKR" fmt --to dsl "$CASES/long-form.input.json"
same_file "$SCRATCH/out" "$CASES/long-form.expected.skr" "fmt --to dsl: output differs from long-form.expected.skr"

expect_exit 0 "fmt --to json from DSL" -- "$SKR" fmt --to json "$CASES/long-form.expected.skr"
same_file "$SCRATCH/out" "$CASES/long-form.expected.json" "fmt --to json: output differs from long-form.expected.json"

expect_exit 0 "fmt -o" -- "$SKR" fmt --to dsl -o "$work/out.skr" "$CASES/nested-groups.input.json"
same_file "$work/out.skr" "$CASES/nested-groups.expected.skr" "fmt -o: file differs from nested-groups.expected.skr"
if [ ! -s "$SCRATCH/out" ]; then pass; else fail "fmt -o also wrote to standard output"; fi

expect_exit 0 "fmt from standard input" -- "$SKR" fmt - <"$CASES/numbers.input.json"
same_file "$SCRATCH/out" "$CASES/numbers.expected.json" "fmt -: output differs from numbers.expected.json"

for dsl_input in "$CASES"/*.input.skr; do
    [ -f "$dsl_input" ] || continue
    expected="${dsl_input%.input.skr}.expected.skr"
    expect_exit 0 "fmt $(basename "$dsl_input")" -- "$SKR" fmt "$dsl_input"
    same_file "$SCRATCH/out" "$expected" "fmt $(basename "$dsl_input"): output differs from $(basename "$expected")"
done

# --- -w -----------------------------------------------------------------------
cp "$CASES/member-case.input.json" "$work/policy.json"
chmod 640 "$work/policy.json"
expect_exit 0 "fmt -w" -- "$SKR" fmt -w "$work/policy.json"
same_file "$work/policy.json" "$CASES/member-case.expected.json" "fmt -w: file differs from member-case.expected.json"
if [ "$(stat -c %a "$work/policy.json")" = 640 ]; then pass; else fail "fmt -w: permissions changed to $(stat -c %a "$work/policy.json")"; fi
if [ ! -s "$SCRATCH/out" ]; then pass; else fail "fmt -w also wrote to standard output"; fi
no_temp_files "$work" "fmt -w"

inode="$(stat -c %i "$work/policy.json")"
expect_exit 0 "fmt -w on a canonical file" -- "$SKR" fmt -w "$work/policy.json"
if [ "$(stat -c %i "$work/policy.json")" = "$inode" ]; then pass; else fail "fmt -w rewrote a file that was already canonical"; fi

cp "$CASES/long-form.input.json" "$work/same.json"
expect_exit 0 "fmt -w --to json on JSON" -- "$SKR" fmt -w --to json "$work/same.json"
same_file "$work/same.json" "$CASES/long-form.expected.json" "fmt -w --to json: file differs from long-form.expected.json"

# Invalid input: nothing is written, and no temporary file is left.
printf '{"version": "1.0.0", "anyOf": [{"authority": "a", "allOf": [],}]}\n' >"$work/broken.json"
cp "$work/broken.json" "$work/broken.orig"
expect_exit 2 "fmt -w on invalid input" -- "$SKR" fmt -w "$work/broken.json"
same_file "$work/broken.json" "$work/broken.orig" "fmt -w changed an invalid input"
no_temp_files "$work" "fmt -w on invalid input"
if grep -q 'broken.json:1:.*error' "$SCRATCH/err"; then pass; else fail "fmt on invalid input: no file:line:col error on stderr"; fi

# A write that fails: the temporary file's name (the input's name with a
# dot and ".skr-fmt-XXXXXX" around it) is over the 255-byte name limit, so
# it cannot be created, even by root. The input stays as it was.
long_name="$work/$(printf 'p%.0s' $(seq 1 240)).json"
cp "$CASES/member-case.input.json" "$long_name"
expect_exit 2 "fmt -w when the temporary file cannot be created" -- "$SKR" fmt -w "$long_name"
same_file "$long_name" "$CASES/member-case.input.json" "fmt -w changed the input although the write failed"
no_temp_files "$work" "fmt -w with a failed write"

# A folder without write permission (skipped as root, who may write anyway).
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$SCRATCH/locked"
    cp "$CASES/member-case.input.json" "$SCRATCH/locked/policy.json"
    chmod 555 "$SCRATCH/locked"
    expect_exit 2 "fmt -w in a read-only folder" -- "$SKR" fmt -w "$SCRATCH/locked/policy.json"
    same_file "$SCRATCH/locked/policy.json" "$CASES/member-case.input.json" "fmt -w changed a file in a read-only folder"
    chmod 755 "$SCRATCH/locked"
else
    echo "fmt cli: read-only folder test skipped: running as root"
fi

cp "$CASES/long-form.input.json" "$work/convert.json"
expect_exit 2 "fmt -w --to dsl on JSON" -- "$SKR" fmt -w --to dsl "$work/convert.json"
same_file "$work/convert.json" "$CASES/long-form.input.json" "fmt -w --to dsl changed the input"

ln -s "$work/convert.json" "$work/link.json"
expect_exit 2 "fmt -w on a symbolic link" -- "$SKR" fmt -w "$work/link.json"
same_file "$work/convert.json" "$CASES/long-form.input.json" "fmt -w through a link changed its target"

# --- usage --------------------------------------------------------------------
expect_exit 2 "fmt without POLICY" -- "$SKR" fmt
expect_exit 2 "fmt --to xml" -- "$SKR" fmt --to xml "$CASES/long-form.input.json"
expect_exit 2 "fmt with an unknown option" -- "$SKR" fmt --check "$CASES/long-form.input.json"
expect_exit 2 "fmt with two policies" -- "$SKR" fmt "$CASES/long-form.input.json" "$CASES/numbers.input.json"
expect_exit 2 "fmt -w -o" -- "$SKR" fmt -w -o "$work/x.json" "$work/policy.json"
expect_exit 2 "fmt -w on standard input" -- "$SKR" fmt -w -
expect_exit 2 "fmt on a missing file" -- "$SKR" fmt "$work/missing.json"
expect_exit 2 "fmt -o into a missing folder" -- "$SKR" fmt -o "$work/missing/out.json" "$CASES/long-form.input.json"
printf 'SKRB\001\000\000\000' >"$work/program.skrb"
expect_exit 2 "fmt on a compiled program" -- "$SKR" fmt "$work/program.skrb"

printf 'fmt cli: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
