#!/usr/bin/env bash
# Writes compiler/registry_data.c, the copy of data/maa-claims.json that the
# library embeds, so that skr lints policies without the repository around.
# Run it after every change to data/maa-claims.json. The test
# lint_registry::embedded_copy_matches_file fails while the two differ.
# Usage: tools/embed-registry.sh [REGISTRY.json [OUTPUT.c]]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INPUT="${1:-$ROOT/data/maa-claims.json}"
OUTPUT="${2:-$ROOT/compiler/registry_data.c}"

# The C string keeps the file byte for byte, so only printable ASCII,
# tabs and line feeds are allowed in it.
if LC_ALL=C grep -q '[^[:print:][:space:]]' "$INPUT" || LC_ALL=C grep -q $'\r' "$INPUT"; then
    echo "embed-registry: $INPUT contains bytes other than printable ASCII, tabs and line feeds; write other characters as JSON \\u escapes" >&2
    exit 1
fi
if [ -n "$(tail -c1 "$INPUT")" ]; then
    echo "embed-registry: $INPUT must end with a line feed" >&2
    exit 1
fi

tmp="$(mktemp "$OUTPUT.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
{
    printf '/*\n'
    printf ' * The registry of MAA claims, embedded in the library. GENERATED from\n'
    printf ' * data/maa-claims.json by tools/embed-registry.sh. Edit the JSON file and\n'
    printf ' * run the script instead of editing this file.\n'
    printf ' */\n'
    printf '#include <stddef.h>\n\n#include "lint.h"\n\n'
    printf 'const char skr_registry_json[] =\n'
    # Backslashes and quotes are escaped, '?' too (so no trigraph forms), and
    # tabs become \t.
    LC_ALL=C sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/\t/\\t/g' \
        -e 's/^/\t"/' -e 's/$/\\n"/' "$INPUT"
    printf '\t;\n\n'
    printf 'const size_t skr_registry_json_len = sizeof skr_registry_json - 1;\n'
} >"$tmp"
mv "$tmp" "$OUTPUT"
trap - EXIT
