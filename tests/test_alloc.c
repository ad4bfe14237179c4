/*
 * The release path allocates nothing once the trust store, the programs,
 * the workspace and the cache exist. This file replaces the C library's
 * allocator for the whole test process: malloc, calloc, realloc, free and
 * the aligned forms, which glibc lets a program define. The replacement
 * forwards to glibc's and counts the calls that the current thread makes
 * while counting is on. Allocations made anywhere in the process, inside jansson,
 * BearSSL, xxHash or the C library itself, are counted alike.
 *
 * AddressSanitizer defines the allocator itself, so under it the test only
 * logs that it was skipped.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "tokens.h"

#if defined(__SANITIZE_ADDRESS__)
#define SKR_ALLOC_COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKR_ALLOC_COUNTING 0
#endif
#endif
#ifndef SKR_ALLOC_COUNTING
#define SKR_ALLOC_COUNTING 1
#endif

#if SKR_ALLOC_COUNTING

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local int counting;
static _Thread_local unsigned long allocations;

static void *counted(void *p)
{
	if (counting)
		allocations++;
	return p;
}

void *malloc(size_t size)
{
	return counted(__libc_malloc(size));
}

void *calloc(size_t count, size_t size)
{
	return counted(__libc_calloc(count, size));
}

void *realloc(void *p, size_t size)
{
	return counted(__libc_realloc(p, size));
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t alignment, size_t size);
void *memalign(size_t alignment, size_t size)
{
	return counted(__libc_memalign(alignment, size));
}

void *aligned_alloc(size_t alignment, size_t size)
{
	return counted(__libc_memalign(alignment, size));
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
	void *p = __libc_memalign(alignment, size);
	if (p == NULL)
		return 12; /* ENOMEM */
	*out = counted(p);
	return 0;
}

#define AUTHORITY "https://alloc.skr.example"
#define KID "alloc"
#define NOW 1700000000
#define POLICY                                                                       \
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"" AUTHORITY "\",\"allOf\":[" \
	"{\"claim\":\"tee.svn\",\"greaterOrEquals\":3}]}]}"

static void start_counting(void)
{
	allocations = 0;
	counting = 1;
}

static unsigned long stop_counting(void)
{
	counting = 0;
	return allocations;
}

/* The counter must see an allocation, or the other tests prove nothing. */
Test(alloc, the_counter_sees_allocations)
{
	start_counting();
	void *a = malloc(16);
	void *b = calloc(2, 16);
	char *c = strdup("counted inside the C library");
	unsigned long seen = stop_counting();
	free(a);
	free(b);
	free(c);
	cr_assert_eq(seen, 3, "the interposed allocator counted %lu of 3 allocations", seen);
}

typedef struct token_set {
	const char *name;
	skr_buffer token;
	skr_status status;
} token_set;

Test(alloc, releases_allocate_nothing)
{
	skr_signing_key *key = test_example_key("test-authority-rsa2048.pem");
	skr_signing_key *other = test_example_key("test-other-authority-rsa2048.jwk.json");
	skr_trust *trust = test_trust_for(key, AUTHORITY, KID);
	const skr_program *programs[2] = { test_program(POLICY), test_program(POLICY) };
	skr_workspace *ws = NULL;
	cr_assert_eq(skr_workspace_new(NULL, &ws), SKR_OK);
	skr_cache *cache = NULL;
	cr_assert_eq(skr_cache_new(trust, NULL, &cache), SKR_OK);

	const char *claims = "{\"iss\":\"" AUTHORITY "\",\"exp\":1800000000,\"tee\":{\"svn\":4}}";
	token_set tokens[] = {
		{ "release", test_mint(key, KID, claims), SKR_OK },
		{ "deny", test_mint(key, KID, "{\"iss\":\"" AUTHORITY "\",\"exp\":1800000000,"
		                              "\"tee\":{\"svn\":1}}"), SKR_OK },
		{ "expired", test_mint(key, KID, "{\"iss\":\"" AUTHORITY "\",\"exp\":1600000000}"),
		  SKR_E_TOKEN },
		{ "another key", test_mint(other, KID, claims), SKR_E_TOKEN },
		{ "unknown issuer", test_mint(key, KID, "{\"iss\":\"https://x.example\",\"exp\":1800000000}"),
		  SKR_E_TOKEN },
		{ "not a token", { (unsigned char *)strdup("eyJhbGciOiJub25lIn0.e30."), 24 },
		  SKR_E_TOKEN },
	};
	size_t count = sizeof tokens / sizeof tokens[0];
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_result results[2];

	/* From the first release on: cold without a cache, then misses that
	 * insert and hits. */
	for (skr_cache *c = NULL;; c = cache) {
		for (int round = 0; round < 3; round++) {
			for (size_t i = 0; i < count; i++) {
				skr_release_info info;
				start_counting();
				skr_status st = skr_release_batch(trust, c, ws, programs, 2,
				                                  (const char *)tokens[i].token.data,
				                                  tokens[i].token.len, &options, NULL, &info,
				                                  results);
				unsigned long seen = stop_counting();
				cr_assert_eq(st, tokens[i].status, "%s: %s", tokens[i].name, info.reason);
				cr_assert_eq(seen, 0, "%s %s, round %d: %lu allocations", tokens[i].name,
				             c != NULL ? "with the cache" : "without a cache", round, seen);
				if (c != NULL && round > 0 && st == SKR_OK)
					cr_assert_eq(info.cached, 1, "%s", tokens[i].name);
			}
		}
		if (c == cache)
			break;
	}

	/* Controls on the same path: a diagnostic list receives an allocated
	 * message, and skr_release builds its index on the heap. */
	skr_diags diags;
	skr_diags_init(&diags);
	start_counting();
	skr_status st = skr_release_batch(trust, NULL, ws, programs, 2,
	                                  (const char *)tokens[2].token.data, tokens[2].token.len,
	                                  &options, &diags, NULL, results);
	unsigned long seen = stop_counting();
	cr_assert_eq(st, SKR_E_TOKEN);
	cr_assert_gt(seen, 0, "a rejection with a diagnostic list allocates its message");
	skr_diags_free(&diags);
	start_counting();
	st = skr_release(trust, programs[0], (const char *)tokens[0].token.data, tokens[0].token.len,
	                 &options, NULL, NULL, NULL, results);
	seen = stop_counting();
	cr_assert_eq(st, SKR_OK);
	cr_assert_gt(seen, 0, "skr_release allocates its claims index");

	skr_cache_stats stats;
	skr_cache_stats_get(cache, &stats);
	cr_assert_eq(stats.inserts, 2);
	for (size_t i = 0; i < count; i++)
		skr_buffer_free(&tokens[i].token);
	skr_cache_free(cache);
	skr_workspace_free(ws);
	skr_program_free((skr_program *)programs[0]);
	skr_program_free((skr_program *)programs[1]);
	skr_trust_free(trust);
	skr_signing_key_free(key);
	skr_signing_key_free(other);
}

/* The real MAA token of the reference workload, from the shared corpus. */
Test(alloc, real_maa_release_allocates_nothing)
{
	const char *root = getenv("SKR_SHARED");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", root && *root ? root : "../shared");
	char path[1200];
	size_t token_len = 0, trust_len = 0, policy_len = 0;
	snprintf(path, sizeof path, "%s/corpus/real/maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt", dir);
	char *token = test_slurp(path, &token_len);
	snprintf(path, sizeof path, "%s/corpus/real/trust-sharedweu.json", dir);
	char *store = test_slurp(path, &trust_len);
	snprintf(path, sizeof path, "%s/bench/cvm-3.json", dir);
	char *policy = test_slurp(path, &policy_len);
	if (token == NULL || store == NULL || policy == NULL) {
		test_skip("alloc: skipped: the real MAA token, trust store or cvm-3 policy under %s "
		          "was not found", dir);
		free(token);
		free(store);
		free(policy);
		return;
	}
	while (token_len > 0 && (token[token_len - 1] == '\n' || token[token_len - 1] == '\r'))
		token_len--;

	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(store, trust_len, NULL, NULL, &trust), SKR_OK);
	const skr_program *programs[1] = { test_program(policy) };
	skr_workspace *ws = NULL;
	cr_assert_eq(skr_workspace_new(NULL, &ws), SKR_OK);
	skr_cache *cache = NULL;
	cr_assert_eq(skr_cache_new(trust, NULL, &cache), SKR_OK);
	skr_verify_options options;
	skr_verify_options_init(&options, 1680180000);
	skr_result result;

	for (int round = 0; round < 4; round++) {
		skr_release_info info;
		skr_cache *c = round < 2 ? NULL : cache;
		start_counting();
		skr_status st = skr_release_batch(trust, c, ws, programs, 1, token, token_len, &options,
		                                  NULL, &info, &result);
		unsigned long seen = stop_counting();
		cr_assert_eq(st, SKR_OK, "%s", info.reason);
		cr_assert_eq(result.decision, SKR_RELEASE);
		cr_assert_eq(info.cached, round == 3);
		cr_assert_eq(seen, 0, "round %d: %lu allocations", round, seen);
	}
	skr_cache_free(cache);
	skr_workspace_free(ws);
	skr_program_free((skr_program *)programs[0]);
	skr_trust_free(trust);
	free(token);
	free(store);
	free(policy);
}

#else

Test(alloc, releases_allocate_nothing)
{
	test_skip("alloc: skipped: AddressSanitizer supplies the allocator, so the counting "
	          "allocator cannot replace it");
}

#endif
