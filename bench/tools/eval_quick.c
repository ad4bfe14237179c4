/*
 * Quick evaluate-only measurement: the cost of one skr_evaluate call on an
 * already-built claims index.
 *
 * Usage: skr-eval-quick POLICY.json CLAIMS.json [ISSUER]
 * Prints the median over 15 timed rounds, each calibrated to run at least
 * 50 ms, and the spread (min and max round). Build with
 * -Doptimize=ReleaseFast for meaningful figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skr.h"

#define ROUNDS 15

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: skr-eval-quick POLICY.json CLAIMS.json [ISSUER]\n");
		return 2;
	}
	size_t policy_len, claims_len;
	char *policy_text = read_all(argv[1], &policy_len);
	char *claims_text = read_all(argv[2], &claims_len);
	if (!policy_text || !claims_text) {
		fprintf(stderr, "skr-eval-quick: cannot read the inputs\n");
		return 2;
	}
	skr_buffer image = { NULL, 0 };
	skr_program *program = NULL;
	skr_claims *claims = NULL;
	if (skr_compile(policy_text, policy_len, SKR_SYNTAX_AUTO, NULL, NULL, &image) != SKR_OK ||
	    skr_program_load(image.data, image.len, NULL, &program) != SKR_OK ||
	    skr_claims_parse(claims_text, claims_len, NULL, NULL, &claims) != SKR_OK) {
		fprintf(stderr, "skr-eval-quick: the policy or the claims are invalid (run skr eval for details)\n");
		return 2;
	}
	const char *issuer;
	size_t issuer_len;
	if (argc > 3) {
		issuer = argv[3];
		issuer_len = strlen(issuer);
	} else if (!skr_claims_issuer(claims, &issuer, &issuer_len)) {
		fprintf(stderr, "skr-eval-quick: the claims have no iss; pass ISSUER\n");
		return 2;
	}

	skr_result result;
	skr_evaluate(program, claims, issuer, issuer_len, NULL, &result);

	/* Calibrate: double the iteration count until one round takes 50 ms. */
	long iterations = 1000;
	for (;;) {
		double start = now_ns();
		for (long i = 0; i < iterations; i++)
			skr_evaluate(program, claims, issuer, issuer_len, NULL, &result);
		if (now_ns() - start > 50e6)
			break;
		iterations *= 2;
	}
	double per_call[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double start = now_ns();
		for (long i = 0; i < iterations; i++)
			skr_evaluate(program, claims, issuer, issuer_len, NULL, &result);
		per_call[r] = (now_ns() - start) / (double)iterations;
	}
	qsort(per_call, ROUNDS, sizeof per_call[0], compare_double);
	printf("%s: %s, %zu-byte program; evaluate only: median %.1f ns per decision "
	       "(min %.1f, max %.1f; %d rounds of %ld calls)\n",
	       argv[1], result.decision == SKR_RELEASE ? "release" : "deny", image.len,
	       per_call[ROUNDS / 2], per_call[0], per_call[ROUNDS - 1], ROUNDS, iterations);
	skr_claims_free(claims);
	skr_program_free(program);
	skr_buffer_free(&image);
	free(policy_text);
	free(claims_text);
	return 0;
}
