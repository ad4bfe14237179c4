#!/usr/bin/env bash
# Builds the library and tests/test_threads.c with clang's ThreadSanitizer
# and runs the many-threads release tests (16 threads sharing one program
# and one trust store, then also one verified-token cache). Any
# ThreadSanitizer report fails the run.
#
# Criterion 2.4 aborts at start under ThreadSanitizer ("Could not
# initialize inheritable arena": its arena mapping fails in the memory
# layout TSan reserves), so the test is built against a small stand-in for
# <criterion/criterion.h>, written into the build directory below. The
# stand-in runs each Test() in the same process and implements the
# assertion macros the test uses.
#
# Usage: tests/tsan.sh [BUILD_DIR]   (default build-tsan)
#   SKR_THREADS, SKR_THREAD_ROUNDS   passed on to the test
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/build-tsan}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT"

if ! command -v clang >/dev/null; then
    echo "tsan: clang not found; install clang (Debian: apt-get install clang)" >&2
    exit 2
fi

mkdir -p "$OUT/gen" "$OUT/obj" "$OUT/shim/criterion"
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

cat >"$OUT/shim/criterion/criterion.h" <<'SHIM_HEADER'
/* Stand-in for Criterion under ThreadSanitizer, written by tests/tsan.sh.
 * Test() registers a function that main() in shim_main.c runs; a failed
 * cr_assert ends the run, a failed cr_expect is counted. */
#ifndef SKR_TSAN_CRITERION_SHIM_H
#define SKR_TSAN_CRITERION_SHIM_H
#include <stdio.h>
#include <string.h>

void shim_register(const char *name, void (*fn)(void));
void shim_check(int ok, int fatal, const char *file, int line, const char *expr,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void shim_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define Test(suite, name, ...)                                                  \
	static void shim_test_##suite##_##name(void);                             \
	__attribute__((constructor)) static void shim_add_##suite##_##name(void) \
	{                                                                         \
		shim_register(#suite "::" #name, shim_test_##suite##_##name);          \
	}                                                                         \
	static void shim_test_##suite##_##name(void)

#define SHIM_CHECK(fatal, cond, ...) \
	shim_check(!!(cond), fatal, __FILE__, __LINE__, #cond, "" __VA_ARGS__)
#define cr_assert(cond, ...) SHIM_CHECK(1, cond, __VA_ARGS__)
#define cr_expect(cond, ...) SHIM_CHECK(0, cond, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) SHIM_CHECK(1, (a) == (b), __VA_ARGS__)
#define cr_expect_eq(a, b, ...) SHIM_CHECK(0, (a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) SHIM_CHECK(1, (a) != (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...) SHIM_CHECK(1, (a) > (b), __VA_ARGS__)
#define cr_expect_gt(a, b, ...) SHIM_CHECK(0, (a) > (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...) SHIM_CHECK(1, (a) <= (b), __VA_ARGS__)
#define cr_assert_null(p, ...) SHIM_CHECK(1, (p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...) SHIM_CHECK(1, (p) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) SHIM_CHECK(1, strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_assert_fail(...) SHIM_CHECK(1, 0, __VA_ARGS__)
#define cr_log_info(...) shim_info(__VA_ARGS__)
#endif
SHIM_HEADER

cat >"$OUT/shim/shim_main.c" <<'SHIM_MAIN'
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "criterion/criterion.h"

#define SHIM_MAX_TESTS 64

static struct {
	const char *name;
	void (*fn)(void);
} tests[SHIM_MAX_TESTS];
static int test_count;
static int failures;

void shim_register(const char *name, void (*fn)(void))
{
	if (test_count < SHIM_MAX_TESTS) {
		tests[test_count].name = name;
		tests[test_count].fn = fn;
		test_count++;
	}
}

void shim_check(int ok, int fatal, const char *file, int line, const char *expr,
                const char *fmt, ...)
{
	if (ok)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%d: check failed: %s: ", file, line, expr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
	if (fatal) {
		fprintf(stderr, "Tested: %d | Failing: 1 (stopped at the first failed assertion)\n",
		        test_count);
		exit(1);
	}
}

void shim_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int main(void)
{
	for (int i = 0; i < test_count; i++) {
		fprintf(stderr, "[RUN ] %s\n", tests[i].name);
		tests[i].fn();
	}
	fprintf(stderr, "Tested: %d | Failing: %d\n", test_count, failures);
	return failures ? 1 : 0;
}
SHIM_MAIN

SAN=(-fsanitize=thread -fno-omit-frame-pointer -g -O1)
STRICT=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wno-unused-parameter)
RELAXED=(-std=c11 -D_POSIX_C_SOURCE=200809L -w)
INCLUDES=(-I"$OUT/shim" -Iinclude -Iruntime -Ivm -Icompiler -Igrammar -Itests -I"$OUT/gen")
LIBS=(-ljansson -lxxhash -lbearssl -lm -lpthread)

objects=()
compile() {
    local src="$1"; shift
    local obj="$OUT/obj/${src//\//_}.o"
    clang "$@" "${SAN[@]}" "${INCLUDES[@]}" -c "$src" -o "$obj"
    objects+=("$obj")
}
for src in runtime/*.c vm/*.c compiler/*.c grammar/*.c; do
    [ -f "$src" ] && compile "$src" "${STRICT[@]}"
done
for src in "$OUT"/gen/*.c; do
    [ -f "$src" ] && compile "$src" "${RELAXED[@]}"
done
compile tests/test_threads.c "${STRICT[@]}"
compile tests/tokens.c "${STRICT[@]}"
compile "$OUT/shim/shim_main.c" "${STRICT[@]}"
clang "${SAN[@]}" "${objects[@]}" "${LIBS[@]}" -o "$OUT/skr-threads-tsan"

# halt_on_error ends the run at the first report, with exit code 66.
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
echo "tsan: running the threads test under ThreadSanitizer"
log="$OUT/tsan.log"
set +e
"$OUT/skr-threads-tsan" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if grep -q 'WARNING: ThreadSanitizer' "$log"; then
    echo "tsan: ThreadSanitizer reported a problem; see $log" >&2
    exit 1
fi
if ! grep -qE 'Tested: [1-9]' "$log"; then
    echo "tsan: no test ran" >&2
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "tsan: the threads test failed (exit $rc)" >&2
    exit 1
fi
echo "tsan: no reports"
