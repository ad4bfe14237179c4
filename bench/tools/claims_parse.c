/*
 * Times the claims scanner (skr_claims_parse) against the jansson reference
 * (skr_claims_parse_reference) on the payload of a real MAA token, and
 * prints the median nanoseconds per parse of each and their ratio.
 *
 * Build from the repository root (the build does not compile bench/tools/):
 *   gcc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude -Iruntime \
 *       bench/tools/claims_parse.c runtime/claims.c runtime/claims_reference.c runtime/util.c \
 *       -ljansson -lxxhash -lm -o claims-parse-bench
 * Run:
 *   ./claims-parse-bench [TOKEN.jwt | PAYLOAD.json]
 * The default input is maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt under
 * $SKR_SHARED/corpus/real (SKR_SHARED defaults to ../shared).
 *
 * Method: ROUNDS rounds of BATCH parses of each parser, interleaved, with
 * the index freed inside the loop. Each round gives one nanoseconds-per-
 * parse figure as wall time (CLOCK_MONOTONIC) and one as CPU time of this
 * thread (CLOCK_THREAD_CPUTIME_ID). CPU time leaves out the time the
 * scheduler gives to other processes on a busy machine. The program prints
 * the median round of each, and the ratio of the CPU-time medians.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "skr.h"

#define ROUNDS 31
#define BATCH 2000

typedef skr_status (*parse_fn)(const char *, size_t, const skr_limits *, skr_diags *,
                               skr_claims **);

static double now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;
	return (x > y) - (x < y);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return buf;
}

/* Decodes unpadded base64url into out, which may overlap the input from a
 * lower address. Returns the decoded length, or (size_t)-1 on a character
 * outside the alphabet. */
static size_t base64url_decode(const char *in, size_t len, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *at = memchr(alphabet, in[i], 64);
		if (!at || in[i] == '\0')
			return (size_t)-1;
		acc = (acc << 6) | (uint32_t)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)(acc >> bits);
		}
	}
	return n;
}

/* Loads the claims JSON: the payload of a compact JWS, or a JSON file. */
static char *load_claims(const char *path, size_t *len)
{
	char *file = read_file(path, len);
	if (!file)
		return NULL;
	size_t n = strlen(path);
	if (n < 4 || strcmp(path + n - 4, ".jwt") != 0)
		return file;
	char *first = memchr(file, '.', *len);
	char *second = first ? memchr(first + 1, '.', *len - (size_t)(first + 1 - file)) : NULL;
	if (!second) {
		free(file);
		return NULL;
	}
	size_t decoded = base64url_decode(first + 1, (size_t)(second - first - 1), file);
	if (decoded == (size_t)-1) {
		free(file);
		return NULL;
	}
	*len = decoded;
	return file;
}

/* Nanoseconds per parse of one batch, as wall time and as thread CPU time. */
typedef struct batch_time {
	double wall;
	double cpu;
} batch_time;

static batch_time time_batch(parse_fn parse, const char *json, size_t len)
{
	double wall_start = now_ns(CLOCK_MONOTONIC);
	double cpu_start = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (int i = 0; i < BATCH; i++) {
		skr_claims *claims = NULL;
		if (parse(json, len, NULL, NULL, &claims) != SKR_OK) {
			fprintf(stderr, "claims-parse-bench: the claims do not parse\n");
			exit(2);
		}
		skr_claims_free(claims);
	}
	batch_time t;
	t.cpu = (now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start) / BATCH;
	t.wall = (now_ns(CLOCK_MONOTONIC) - wall_start) / BATCH;
	return t;
}

static double median(double *values, int count)
{
	qsort(values, (size_t)count, sizeof values[0], compare_doubles);
	return values[count / 2];
}

int main(int argc, char **argv)
{
	char default_path[1024];
	const char *path = argv[1];
	if (argc < 2) {
		const char *shared = getenv("SKR_SHARED");
		snprintf(default_path, sizeof default_path,
		         "%s/corpus/real/maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt",
		         shared ? shared : "../shared");
		path = default_path;
	}
	size_t len = 0;
	char *json = load_claims(path, &len);
	if (!json) {
		fprintf(stderr, "claims-parse-bench: cannot read claims from %s\n", path);
		return 2;
	}

	/* One untimed batch of each warms the caches and the allocator. */
	time_batch(skr_claims_parse, json, len);
	time_batch(skr_claims_parse_reference, json, len);

	double scan_wall[ROUNDS], scan_cpu[ROUNDS], ref_wall[ROUNDS], ref_cpu[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		batch_time t = time_batch(skr_claims_parse, json, len);
		scan_wall[r] = t.wall;
		scan_cpu[r] = t.cpu;
		t = time_batch(skr_claims_parse_reference, json, len);
		ref_wall[r] = t.wall;
		ref_cpu[r] = t.cpu;
	}
	double scanner = median(scan_cpu, ROUNDS);
	double reference = median(ref_cpu, ROUNDS);

	printf("input: %s (%zu bytes of claims JSON)\n", path, len);
	printf("rounds: %d x %d parses of each, median round\n", ROUNDS, BATCH);
	printf("                                         cpu ns/parse   wall ns/parse\n");
	printf("scanner   (skr_claims_parse)            %12.0f   %13.0f\n", scanner,
	       median(scan_wall, ROUNDS));
	printf("reference (skr_claims_parse_reference)  %12.0f   %13.0f\n", reference,
	       median(ref_wall, ROUNDS));
	printf("ratio reference/scanner (cpu): %.1fx\n", reference / scanner);
	free(json);
	return 0;
}
