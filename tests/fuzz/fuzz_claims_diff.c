/*
 * libFuzzer target: runs the claims scanner (skr_claims_parse) and the
 * jansson reference (skr_claims_parse_reference) on each input, under the
 * default limits and two tighter profiles, and aborts on any disagreement
 * (tests/claims_diff.h defines what must agree). The normal build compiles
 * the .c files directly in tests only, so this folder stays out of it.
 *
 * Build and run from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_POSIX_C_SOURCE=200809L \
 *       -Iinclude -Iruntime -Itests tests/fuzz/fuzz_claims_diff.c runtime/claims.c \
 *       runtime/claims_reference.c runtime/util.c -ljansson -lxxhash -lm -o fuzz-claims-diff
 *   ./fuzz-claims-diff -max_len=8192 -max_total_time=300 CORPUS_DIR
 * -max_len=8192 leaves room for nesting past 2048 levels, where jansson
 * stops.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "claims.h"
#include "claims_diff.h"
#include "skr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compare(const char *json, size_t len, const skr_limits *limits, const char *profile)
{
	char difference[512];
	if (claims_diff_parse(json, len, limits, NULL, NULL, difference, sizeof difference) != 0) {
		fprintf(stderr, "claims scanner and reference disagree (%s limits): %s\n", profile,
		        difference);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	compare(json, size, NULL, "default");

	skr_limits tight;
	skr_limits_init(&tight);
	tight.claims_depth = 4;
	tight.claims_members = 8;
	tight.token_bytes = size > 16 ? size - 1 : size;
	compare(json, size, &tight, "tight");

	/* A depth limit past jansson's 2048 levels, so that maximum decides. */
	skr_limits deep;
	skr_limits_init(&deep);
	deep.claims_depth = 5000;
	compare(json, size, &deep, "deep");
	return 0;
}
