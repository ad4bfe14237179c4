#!/usr/bin/env bash
# Builds every libFuzzer target tests/fuzz/fuzz_*.c with clang's
# -fsanitize=fuzzer,address,undefined. The library sources (and the flex
# and bison output, generated here as tests/sanitize.sh does) are compiled
# once with fuzzer instrumentation and linked into each target, together
# with the fuzz support code (tests/fuzz/support.c) and the test helpers
# tests/gen_policy.c and tests/ref_eval.c.
# Usage: tests/fuzz/build.sh [BUILD_DIR]   (default build-fuzz)
# The targets land in BUILD_DIR/bin. CC overrides the compiler (a clang
# with libFuzzer, 14 or later); FUZZ_TARGETS="fuzz_a fuzz_b" builds a subset.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/build-fuzz}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CC="${CC:-clang}"
cd "$ROOT"

if ! command -v "$CC" >/dev/null; then
    echo "fuzz build: $CC not found; install clang (Debian: apt-get install clang)" >&2
    exit 2
fi

mkdir -p "$OUT/gen" "$OUT/obj" "$OUT/bin"
for y in grammar/*.y; do
    [ -f "$y" ] || continue
    stem="$(basename "$y" .y)"
    bison -Wall -Werror --output="$OUT/gen/$stem.c" --header="$OUT/gen/$stem.h" "$y"
done
for l in grammar/*.l; do
    [ -f "$l" ] || continue
    stem="$(basename "$l" .l)"
    flex --outfile="$OUT/gen/$stem.c" --header-file="$OUT/gen/$stem.h" "$l"
done

# The library gets coverage instrumentation without libFuzzer's main;
# -fno-sanitize-recover makes every UBSan report abort, so the fuzzer
# records it as a crash.
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
STRICT=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wno-unused-parameter)
RELAXED=(-std=c11 -D_POSIX_C_SOURCE=200809L -w)
INCLUDES=(-Iinclude -Iruntime -Ivm -Icompiler -Igrammar -Itests -Itests/fuzz -I"$OUT/gen")
LIBS=(-ljansson -lxxhash -lbearssl -lm -lpthread)
# The targets find examples/ and, beside the repository, ../shared from here.
ROOT_DEFINE=(-DSKR_FUZZ_ROOT="\"$ROOT\"")

objects=()
compile() {
    local src="$1"; shift
    local obj="$OUT/obj/${src//\//_}.o"
    "$CC" "$@" -fsanitize=fuzzer-no-link "${SAN[@]}" "${INCLUDES[@]}" -c "$src" -o "$obj"
    objects+=("$obj")
}

for src in runtime/*.c vm/*.c compiler/*.c grammar/*.c; do
    [ -f "$src" ] && compile "$src" "${STRICT[@]}"
done
for src in "$OUT"/gen/*.c; do
    [ -f "$src" ] && compile "$src" "${RELAXED[@]}"
done
for src in tests/gen_policy.c tests/ref_eval.c; do
    compile "$src" "${STRICT[@]}"
done
compile tests/fuzz/support.c "${STRICT[@]}" "${ROOT_DEFINE[@]}"
shared_objects=("${objects[@]}")

targets=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
    for name in $FUZZ_TARGETS; do targets+=("tests/fuzz/$name.c"); done
else
    for src in tests/fuzz/fuzz_*.c; do [ -f "$src" ] && targets+=("$src"); done
fi

built=0
for src in "${targets[@]}"; do
    name="$(basename "$src" .c)"
    obj="$OUT/obj/$name.o"
    "$CC" "${STRICT[@]}" "${ROOT_DEFINE[@]}" -fsanitize=fuzzer "${SAN[@]}" "${INCLUDES[@]}" \
        -c "$src" -o "$obj"
    "$CC" -fsanitize=fuzzer "${SAN[@]}" "$obj" "${shared_objects[@]}" "${LIBS[@]}" \
        -o "$OUT/bin/$name"
    built=$((built + 1))
done
echo "fuzz build: $built targets in $OUT/bin"
