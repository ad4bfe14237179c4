/*
 * skr_release_batch with a workspace and the verified-token cache. Every
 * result must be the one skr_release returns for the same token, whether it
 * came from the cache or not. A hit needs the exact token bytes, verified
 * under the same options, and exp and nbf are checked again on every hit.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "tokens.h"

#define AUTHORITY "https://cache.skr.example"
#define KID "cache"
#define NOW 1700000000

#define POLICY_SVN                                                                   \
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"" AUTHORITY "\",\"allOf\":[" \
	"{\"claim\":\"tee.svn\",\"greaterOrEquals\":3}]}]}"
#define POLICY_DEBUG                                                                 \
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"" AUTHORITY "\",\"allOf\":[" \
	"{\"claim\":\"debug\",\"equals\":false}]}]}"

typedef struct fixture {
	skr_signing_key *key;
	skr_trust *trust;
	const skr_program *programs[2];
	skr_workspace *ws;
	skr_cache *cache;
} fixture;

static fixture setup(uint32_t entries, uint32_t entry_bytes)
{
	fixture f;
	f.key = test_example_key("test-authority-rsa2048.pem");
	f.trust = test_trust_for(f.key, AUTHORITY, KID);
	f.programs[0] = test_program(POLICY_SVN);
	f.programs[1] = test_program(POLICY_DEBUG);
	cr_assert_eq(skr_workspace_new(NULL, &f.ws), SKR_OK);
	skr_cache_options options;
	skr_cache_options_init(&options);
	if (entries)
		options.entries = entries;
	if (entry_bytes)
		options.entry_bytes = entry_bytes;
	cr_assert_eq(skr_cache_new(f.trust, &options, &f.cache), SKR_OK);
	return f;
}

static void teardown(fixture *f)
{
	skr_cache_free(f->cache);
	skr_workspace_free(f->ws);
	skr_program_free((skr_program *)f->programs[0]);
	skr_program_free((skr_program *)f->programs[1]);
	skr_trust_free(f->trust);
	skr_signing_key_free(f->key);
}

static skr_buffer mint_claims(const fixture *f, int svn, const char *debug, long exp, long nbf)
{
	char claims[512];
	snprintf(claims, sizeof claims,
	         "{\"iss\":\"" AUTHORITY "\",\"exp\":%ld,\"nbf\":%ld,\"tee\":{\"svn\":%d},"
	         "\"debug\":%s}", exp, nbf, svn, debug);
	return test_mint(f->key, KID, claims);
}

typedef struct outcome {
	skr_status status;
	skr_result results[2];
} outcome;

/* Decides each program with skr_release, the result to match. */
static outcome expected(const fixture *f, const char *token, size_t len,
                        const skr_verify_options *options)
{
	outcome out;
	for (int i = 0; i < 2; i++)
		out.status = skr_release(f->trust, f->programs[i], token, len, options, NULL, NULL, NULL,
		                         &out.results[i]);
	return out;
}

static outcome batch(const fixture *f, skr_cache *cache, const char *token, size_t len,
                     const skr_verify_options *options, skr_release_info *info)
{
	outcome out;
	out.status = skr_release_batch(f->trust, cache, f->ws, f->programs, 2, token, len, options,
	                               NULL, info, out.results);
	return out;
}

static void assert_same(const outcome *got, const outcome *want, const char *what)
{
	cr_assert_eq(got->status, want->status, "%s: status %s, expected %s", what,
	             skr_status_name(got->status), skr_status_name(want->status));
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(got->results[i].decision, want->results[i].decision, "%s: program %d", what,
		             i);
		cr_assert_eq(got->results[i].entry, want->results[i].entry, "%s: program %d", what, i);
		cr_assert_str_eq(got->results[i].reason, want->results[i].reason, "%s: program %d", what,
		                 i);
	}
}

Test(cache, batch_matches_one_release_per_program)
{
	fixture f = setup(0, 0);
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_buffer tokens[4] = {
		mint_claims(&f, 4, "true", NOW + 3600, NOW - 60),
		mint_claims(&f, 2, "false", NOW + 3600, NOW - 60),
		mint_claims(&f, 1, "true", NOW + 3600, NOW - 60),
		mint_claims(&f, 4, "false", NOW - 1, NOW - 60),
	};
	const char *names[4] = { "svn only", "debug only", "neither", "expired" };
	for (int t = 0; t < 4; t++) {
		const char *token = (const char *)tokens[t].data;
		size_t len = tokens[t].len;
		outcome want = expected(&f, token, len, &options);
		skr_release_info info;
		/* The tokens cover each program releasing alone, both, and none. */
		cr_assert_eq(want.results[0].decision, t == 0 ? SKR_RELEASE : SKR_DENY, "%s", names[t]);
		cr_assert_eq(want.results[1].decision, t == 1 ? SKR_RELEASE : SKR_DENY, "%s", names[t]);

		outcome got = batch(&f, NULL, token, len, &options, &info);
		assert_same(&got, &want, names[t]);
		cr_assert_eq(info.cached, 0);

		got = batch(&f, f.cache, token, len, &options, &info);
		assert_same(&got, &want, names[t]);
		cr_assert_eq(info.cached, 0, "%s: the first sight of a token is a miss", names[t]);

		got = batch(&f, f.cache, token, len, &options, &info);
		assert_same(&got, &want, names[t]);
		if (want.status == SKR_OK) {
			cr_assert_eq(info.cached, 1, "%s: a verified token is cached", names[t]);
			cr_assert_str_eq(info.reason, "token_valid");
			cr_assert_eq(info.failed, SKR_CHECK_COUNT);
			cr_assert_eq(info.issuer_len, strlen(AUTHORITY));
			cr_assert_eq(memcmp(info.issuer, AUTHORITY, info.issuer_len), 0);
			cr_assert_str_eq(info.kid, KID);
			cr_assert_eq(info.alg, (uint32_t)SKR_ALG_RS256);
		} else {
			cr_assert_eq(info.cached, 0, "%s: a rejected token is never cached", names[t]);
			cr_assert_str_eq(info.reason, "token_expired");
		}
	}
	for (int t = 0; t < 4; t++)
		skr_buffer_free(&tokens[t]);
	teardown(&f);
}

/* A token that differs from a cached one in a single byte, at the start,
 * in the middle or at the end, must be verified anew. The result is the
 * one skr_release returns for it, never the cached token's release. */
Test(cache, single_byte_changes_always_miss)
{
	fixture f = setup(0, 0);
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_buffer cached = mint_claims(&f, 9, "false", NOW + 3600, NOW - 60);
	const char *token = (const char *)cached.data;
	size_t len = cached.len;
	skr_release_info info;

	outcome first = batch(&f, f.cache, token, len, &options, &info);
	cr_assert_eq(first.status, SKR_OK);
	cr_assert_eq(first.results[0].decision, SKR_RELEASE);
	cr_assert_eq(first.results[1].decision, SKR_RELEASE);
	outcome again = batch(&f, f.cache, token, len, &options, &info);
	cr_assert_eq(info.cached, 1);
	assert_same(&again, &first, "the cached token");

	char *changed = malloc(len + 2);
	cr_assert_not_null(changed);
	const size_t positions[] = { 0, len / 2, len - 1 };
	const char replacements[] = { 'A', 'B', 'e', 'f', 'Q', 'w', '0', '9', '-', '_', '.', '=', ' ',
	                              '\0', '\x80' };
	unsigned checked = 0;
	for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
		for (size_t r = 0; r < sizeof replacements; r++) {
			size_t at = positions[p];
			if (token[at] == replacements[r])
				continue;
			memcpy(changed, token, len);
			changed[at] = replacements[r];
			char what[64];
			snprintf(what, sizeof what, "byte %zu set to 0x%02x", at,
			         (unsigned)(unsigned char)replacements[r]);
			outcome want = expected(&f, changed, len, &options);
			outcome got = batch(&f, f.cache, changed, len, &options, &info);
			assert_same(&got, &want, what);
			cr_assert_eq(info.cached, 0, "%s: answered from the cache", what);
			/* Canonical base64url gives each byte one meaning, so any
			 * change alters the signing input or the signature. */
			cr_assert_eq(want.status, SKR_E_TOKEN, "%s", what);
			checked++;
		}
	}
	cr_assert_geq(checked, 40);

	/* One byte fewer, and one byte more. */
	outcome want = expected(&f, token, len - 1, &options);
	outcome got = batch(&f, f.cache, token, len - 1, &options, &info);
	assert_same(&got, &want, "the last byte removed");
	cr_assert_eq(info.cached, 0);
	cr_assert_eq(want.status, SKR_E_TOKEN);
	memcpy(changed, token, len);
	changed[len] = 'A';
	want = expected(&f, changed, len + 1, &options);
	got = batch(&f, f.cache, changed, len + 1, &options, &info);
	assert_same(&got, &want, "a byte appended");
	cr_assert_eq(info.cached, 0);
	cr_assert_eq(want.status, SKR_E_TOKEN);

	/* The original is still a cache hit. */
	got = batch(&f, f.cache, token, len, &options, &info);
	cr_assert_eq(info.cached, 1);
	assert_same(&got, &first, "the cached token afterwards");
	free(changed);
	skr_buffer_free(&cached);
	teardown(&f);
}

Test(cache, exp_and_nbf_are_checked_on_every_hit)
{
	fixture f = setup(0, 0);
	skr_buffer minted = mint_claims(&f, 5, "false", NOW + 100, NOW - 100);
	const char *token = (const char *)minted.data;
	size_t len = minted.len;
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_release_info info;

	outcome got = batch(&f, f.cache, token, len, &options, &info);
	cr_assert_eq(got.status, SKR_OK);
	got = batch(&f, f.cache, token, len, &options, &info);
	cr_assert_eq(info.cached, 1);
	cr_assert_eq(got.results[0].decision, SKR_RELEASE);

	const struct {
		int64_t now;
		int64_t leeway;
		const char *reason;
	} times[] = {
		{ NOW + 99, 0, NULL },
		{ NOW + 100, 0, "token_expired" },
		{ NOW + 5000, 0, "token_expired" },
		{ NOW + 100, 1, NULL },
		{ NOW - 100, 0, NULL },
		{ NOW - 101, 0, "token_not_yet_valid" },
		{ NOW - 101, 1, NULL },
		{ NOW, 0, NULL },
	};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		skr_verify_options at;
		skr_verify_options_init(&at, times[i].now);
		at.leeway = times[i].leeway;
		outcome want = expected(&f, token, len, &at);
		skr_diags diags;
		skr_diags_init(&diags);
		got.status = skr_release_batch(f.trust, f.cache, f.ws, f.programs, 2, token, len, &at,
		                               &diags, &info, got.results);
		assert_same(&got, &want, "a hit at another time");
		cr_assert_eq(info.cached, 1, "case %zu", i);
		if (times[i].reason) {
			cr_assert_eq(got.status, SKR_E_TOKEN);
			cr_assert_str_eq(info.reason, times[i].reason);
			cr_assert_eq(info.failed, SKR_CHECK_LIFETIME);
			cr_assert_eq(diags.errors, 1);
			cr_assert_str_eq(diags.items[0].code, times[i].reason);
		} else {
			cr_assert_eq(got.status, SKR_OK, "case %zu", i);
			cr_assert_eq(diags.count, 0);
		}
		skr_diags_free(&diags);
	}
	skr_buffer_free(&minted);
	teardown(&f);
}

/* A hit needs the options the token was verified under: an algorithm the
 * caller still allows and the same limits. Otherwise the token is verified
 * again, and rejected as it would be without a cache. */
Test(cache, hits_only_under_the_same_options)
{
	fixture f = setup(0, 0);
	skr_buffer minted = mint_claims(&f, 5, "false", NOW + 100, NOW - 100);
	const char *token = (const char *)minted.data;
	size_t len = minted.len;
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_release_info info;
	batch(&f, f.cache, token, len, &options, &info);
	batch(&f, f.cache, token, len, &options, &info);
	cr_assert_eq(info.cached, 1);

	skr_verify_options other = options;
	other.algs = SKR_ALG_RS384;
	outcome got = batch(&f, f.cache, token, len, &other, &info);
	cr_assert_eq(got.status, SKR_E_TOKEN);
	cr_assert_eq(info.cached, 0);
	cr_assert_str_eq(info.reason, "alg_not_allowed");

	other = options;
	/* The header has three members and the payload six. */
	other.limits.claims_members = 5;
	got = batch(&f, f.cache, token, len, &other, &info);
	cr_assert_eq(got.status, SKR_E_TOKEN);
	cr_assert_eq(info.cached, 0);
	cr_assert_str_eq(info.reason, "claims_invalid");

	other = options;
	other.limits.token_bytes = len - 1;
	got = batch(&f, f.cache, token, len, &other, &info);
	cr_assert_eq(got.status, SKR_E_TOKEN);
	cr_assert_eq(info.cached, 0);
	cr_assert_str_eq(info.reason, "token_too_large");

	other = options;
	other.algs = SKR_ALGS_ALL;
	got = batch(&f, f.cache, token, len, &other, &info);
	cr_assert_eq(got.status, SKR_OK);
	cr_assert_eq(info.cached, 1, "a wider allow-list still allows RS256");
	skr_buffer_free(&minted);
	teardown(&f);
}

Test(cache, serves_only_its_trust_store)
{
	fixture f = setup(0, 0);
	skr_buffer minted = mint_claims(&f, 5, "false", NOW + 100, NOW - 100);
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_result results[2];
	cr_assert_eq(skr_release_batch(f.trust, f.cache, f.ws, f.programs, 2,
	                               (const char *)minted.data, minted.len, &options, NULL, NULL,
	                               results), SKR_OK);

	/* The same document loaded again is another store. */
	skr_trust *again = test_trust_for(f.key, AUTHORITY, KID);
	cr_assert_eq(skr_release_batch(again, f.cache, f.ws, f.programs, 2,
	                               (const char *)minted.data, minted.len, &options, NULL, NULL,
	                               results), SKR_E_USAGE);
	cr_assert_eq(skr_release_batch(again, NULL, f.ws, f.programs, 2, (const char *)minted.data,
	                               minted.len, &options, NULL, NULL, results), SKR_OK);
	skr_trust_free(again);
	skr_buffer_free(&minted);
	teardown(&f);
}

Test(cache, evicts_and_stays_correct)
{
	fixture f = setup(4, 0);
	enum { TOKENS = 24 };
	skr_buffer tokens[TOKENS];
	for (int i = 0; i < TOKENS; i++)
		tokens[i] = mint_claims(&f, i, i % 2 ? "false" : "true", NOW + 100, NOW - 100);
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	unsigned hits = 0;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < TOKENS; i++) {
			/* Rounds 2 and 3 ask for the first four tokens often, so that
			 * the clock keeps them. */
			int k = round >= 2 && i % 2 ? i % 4 : i;
			const char *token = (const char *)tokens[k].data;
			outcome want = expected(&f, token, tokens[k].len, &options);
			skr_release_info info;
			outcome got = batch(&f, f.cache, token, tokens[k].len, &options, &info);
			assert_same(&got, &want, "a token of the eviction set");
			hits += (unsigned)info.cached;
		}
	}
	skr_cache_stats stats;
	skr_cache_stats_get(f.cache, &stats);
	cr_assert_eq(stats.capacity, 4);
	cr_assert_leq(stats.entries, 4);
	cr_assert_geq(stats.inserts, TOKENS);
	cr_assert_gt(stats.evictions, 0);
	cr_assert_gt(hits, 0);
	skr_workspace_stats ws;
	skr_workspace_stats_get(f.ws, &ws);
	cr_assert_eq(ws.hits, hits);
	cr_assert_eq(ws.hits + ws.misses, 4 * TOKENS);
	for (int i = 0; i < TOKENS; i++)
		skr_buffer_free(&tokens[i]);
	teardown(&f);
}

Test(cache, tokens_larger_than_an_entry_are_verified_every_time)
{
	fixture f = setup(0, 1024);
	char claims[4096];
	char padding[2001];
	memset(padding, 'p', 2000);
	padding[2000] = '\0';
	snprintf(claims, sizeof claims,
	         "{\"iss\":\"" AUTHORITY "\",\"exp\":%ld,\"tee\":{\"svn\":7},\"pad\":\"%s\"}",
	         (long)NOW + 100, padding);
	skr_buffer minted = test_mint(f.key, KID, claims);
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	for (int i = 0; i < 3; i++) {
		skr_release_info info;
		outcome got = batch(&f, f.cache, (const char *)minted.data, minted.len, &options, &info);
		cr_assert_eq(got.status, SKR_OK);
		cr_assert_eq(got.results[0].decision, SKR_RELEASE);
		cr_assert_eq(info.cached, 0);
	}
	skr_cache_stats stats;
	skr_cache_stats_get(f.cache, &stats);
	cr_assert_eq(stats.too_large, 3);
	cr_assert_eq(stats.inserts, 0);
	skr_buffer_free(&minted);
	teardown(&f);
}

Test(cache, usage_errors)
{
	fixture f = setup(0, 0);
	skr_cache_options options;
	skr_cache_options_init(&options);
	skr_cache *cache = NULL;
	options.entries = 0;
	cr_assert_eq(skr_cache_new(f.trust, &options, &cache), SKR_E_USAGE);
	skr_cache_options_init(&options);
	options.entry_bytes = 100;
	cr_assert_eq(skr_cache_new(f.trust, &options, &cache), SKR_E_USAGE);
	cr_assert_eq(skr_cache_new(NULL, NULL, &cache), SKR_E_USAGE);
	cr_assert_null(cache);

	skr_verify_options verify;
	skr_verify_options_init(&verify, NOW);
	skr_result results[2];
	const skr_program *missing[2] = { f.programs[0], NULL };
	cr_assert_eq(skr_release_batch(f.trust, f.cache, f.ws, missing, 2, "a.b.c", 5, &verify, NULL,
	                               NULL, results), SKR_E_USAGE);
	cr_assert_eq(skr_release_batch(f.trust, f.cache, NULL, f.programs, 2, "a.b.c", 5, &verify,
	                               NULL, NULL, results), SKR_E_USAGE);
	verify.leeway = -1;
	cr_assert_eq(skr_release_batch(f.trust, f.cache, f.ws, f.programs, 2, "a.b.c", 5, &verify,
	                               NULL, NULL, results), SKR_E_USAGE);
	skr_verify_options_init(&verify, NOW);
	/* No programs: the token is still verified, and its verdict returned. */
	skr_release_info info;
	cr_assert_eq(skr_release_batch(f.trust, f.cache, f.ws, NULL, 0, "a.b.c", 5, &verify, NULL,
	                               &info, NULL), SKR_E_TOKEN);
	cr_assert_eq(info.failed, SKR_CHECK_FORM);
	teardown(&f);
}
