#!/usr/bin/env bash
# Builds the library, the skr command and the test suite with clang's
# AddressSanitizer and UndefinedBehaviorSanitizer (which Zig's toolchain
# lacks for ASan), then runs the Criterion suite and the command-line tests
# under them. Any sanitizer report fails the run.
# Usage: tests/sanitize.sh [BUILD_DIR]   (default build-asan)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/build-asan}"
cd "$ROOT"

if ! command -v clang >/dev/null; then
    echo "sanitize: clang is missing; installing it" >&2
    sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
fi

mkdir -p "$OUT/gen"
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

SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
# The zig build runs the interpreter with computed goto; this build runs
# its switch fallback, so both dispatch forms are tested.
STRICT=(-std=c11 -D_POSIX_C_SOURCE=200809L -DSKR_NO_COMPUTED_GOTO -Wall -Wextra -Werror -Wno-unused-parameter)
RELAXED=(-std=c11 -D_POSIX_C_SOURCE=200809L -w)
INCLUDES=(-Iinclude -Iruntime -Ivm -Icompiler -Igrammar -Icli -Ibench -Itests -I"$OUT/gen")
LIBS=(-ljansson -lxxhash -lbearssl -lm -lpthread)

objects=()
compile() {
    local src="$1"; shift
    local obj="$OUT/obj/${src//\//_}.o"
    mkdir -p "$OUT/obj"
    clang "$@" "${SAN[@]}" "${INCLUDES[@]}" -c "$src" -o "$obj"
    objects+=("$obj")
}
for src in runtime/*.c vm/*.c compiler/*.c grammar/*.c; do
    [ -f "$src" ] && compile "$src" "${STRICT[@]}"
done
for src in "$OUT"/gen/*.c; do
    [ -f "$src" ] && compile "$src" "${RELAXED[@]}"
done
lib_objects=("${objects[@]}")

objects=()
for src in cli/*.c bench/*.c; do compile "$src" "${STRICT[@]}"; done
clang "${SAN[@]}" "${objects[@]}" "${lib_objects[@]}" "${LIBS[@]}" -o "$OUT/skr"

objects=()
for src in tests/*.c; do compile "$src" "${STRICT[@]}"; done
clang "${SAN[@]}" "${objects[@]}" "${lib_objects[@]}" "${LIBS[@]}" -lcriterion -o "$OUT/skr-tests"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Criterion 2.4's runner itself leaks 48 bytes when a test with a longer
# .timeout runs before one with a shorter one; that leak is not ours.
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
echo "sanitize: running the test suite under ASan and UBSan"
"$OUT/skr-tests" --jobs 2 --short-filename
echo "sanitize: running the command-line tests under ASan and UBSan"
bash tests/cli/run.sh "$OUT/skr"
