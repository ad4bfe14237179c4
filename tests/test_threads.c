/*
 * Many threads deciding releases at once with one shared program and one
 * shared trust store, on tokens minted with the test key: released,
 * denied, expired, signed with another key, and from an authority the
 * store does not contain. Each thread compares every result with the one a
 * single thread got first, so a data race that changes a decision fails
 * the test. A second run decides with skr_release_batch, a workspace per
 * thread and one small cache that all threads share, so that entries are
 * evicted and their memory reused while other threads read the cache.
 * tests/tsan.sh runs these tests under ThreadSanitizer to catch races that
 * do not change a decision.
 *
 * SKR_THREADS sets the number of threads (default 16) and
 * SKR_THREAD_ROUNDS the rounds over the token set per thread (default 40).
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "tokens.h"

#define AUTHORITY "https://threads.skr.example"
#define KID "threads"
#define NOW 1700000000
#define DEFAULT_THREADS 16
#define DEFAULT_ROUNDS 40
#define MAX_THREADS 256

#define POLICY                                                                           \
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"" AUTHORITY "\",\"allOf\":["     \
	"{\"claim\":\"x-ms-isolation-tee.x-ms-attestation-type\",\"equals\":\"sevsnpvm\"}," \
	"{\"anyOf\":[{\"claim\":\"x-ms-isolation-tee.x-ms-sevsnpvm-guestsvn\","             \
	"\"greaterOrEquals\":3},{\"claim\":\"debug\",\"equals\":\"false\"}]}]}]}"

/* One token of the shared set and the result a single thread got. */
typedef struct token_case {
	const char *name;
	skr_buffer token;
	skr_status status;
	skr_decision decision;
	int32_t entry;
	const char *reason;
} token_case;

/* CASE_SVN tokens differ in the guest SVN, one per value from 0, so that
 * they outnumber the cache's entries. */
enum { CASE_RELEASE, CASE_RELEASE_DEBUG_OFF, CASE_DENY, CASE_EXPIRED, CASE_OTHER_KEY,
       CASE_FOREIGN_ISSUER, CASE_SVN, CASE_COUNT = CASE_SVN + 10 };

typedef struct shared_state {
	const skr_program *program;
	const skr_trust *trust;
	skr_cache *cache;         /* set for the batch run */
	token_case cases[CASE_COUNT];
	unsigned rounds;
} shared_state;

typedef struct worker {
	const shared_state *shared;
	skr_workspace *ws;        /* the thread's own, for the batch run */
	unsigned index;
	unsigned decisions;
	unsigned mismatches;
	char first_mismatch[256];
} worker;

static unsigned env_unsigned(const char *name, unsigned fallback, unsigned max)
{
	const char *text = getenv(name);
	if (!text || !*text)
		return fallback;
	char *end = NULL;
	unsigned long value = strtoul(text, &end, 10);
	cr_assert(end && *end == '\0' && value > 0 && value <= max, "%s=%s is not a number in 1..%u",
	          name, text, max);
	return (unsigned)value;
}

static skr_buffer mint(const skr_signing_key *key, const char *claims)
{
	return test_mint(key, KID, claims);
}

#define CLAIMS(iss, exp, tee, svn, debug)                                             \
	"{\"iss\":\"" iss "\",\"exp\":" exp ",\"nbf\":1600000000,\"x-ms-isolation-tee\":" \
	"{\"x-ms-attestation-type\":\"" tee "\",\"x-ms-sevsnpvm-guestsvn\":" svn "},"      \
	"\"debug\":" debug "}"

static void make_cases(shared_state *s, const skr_signing_key *key, const skr_signing_key *other)
{
	token_case *c = s->cases;
	c[CASE_RELEASE] = (token_case){ .name = "release",
		.token = mint(key, CLAIMS(AUTHORITY, "2000000000", "sevsnpvm", "4", "true")) };
	c[CASE_RELEASE_DEBUG_OFF] = (token_case){ .name = "release with debugging off",
		.token = mint(key, CLAIMS(AUTHORITY "/", "2000000000", "sevsnpvm", "1", "false")) };
	c[CASE_DENY] = (token_case){ .name = "deny",
		.token = mint(key, CLAIMS(AUTHORITY, "2000000000", "sevsnpvm", "2", "true")) };
	c[CASE_EXPIRED] = (token_case){ .name = "expired",
		.token = mint(key, CLAIMS(AUTHORITY, "1650000000", "sevsnpvm", "4", "true")) };
	c[CASE_OTHER_KEY] = (token_case){ .name = "signed with another key",
		.token = mint(other, CLAIMS(AUTHORITY, "2000000000", "sevsnpvm", "4", "true")) };
	c[CASE_FOREIGN_ISSUER] = (token_case){ .name = "foreign issuer",
		.token = mint(key, CLAIMS("https://foreign.skr.example", "2000000000", "sevsnpvm", "4",
		                          "true")) };
	for (unsigned k = CASE_SVN; k < CASE_COUNT; k++) {
		char claims[256];
		snprintf(claims, sizeof claims,
		         CLAIMS(AUTHORITY, "2000000000", "sevsnpvm", "%u", "true"), k - CASE_SVN);
		c[k] = (token_case){ .name = "one of the SVN tokens", .token = mint(key, claims) };
	}
}

/* Decides one token with skr_release. */
static void decide(const shared_state *s, const token_case *c, skr_status *status,
                   skr_result *result)
{
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	*status = skr_release(s->trust, s->program, (const char *)c->token.data, c->token.len,
	                      &options, NULL, NULL, NULL, result);
}

/* Decides one token the long way: skr_token_verify, then skr_evaluate on
 * the verified claims with a trace in the thread's own buffer. */
static void decide_in_steps(const shared_state *s, const token_case *c, skr_status *status,
                            skr_result *result)
{
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_token verified;
	skr_token_init(&verified);
	*status = skr_token_verify(s->trust, (const char *)c->token.data, c->token.len, &options,
	                           NULL, &verified);
	if (*status == SKR_OK) {
		skr_trace_event events[8];
		skr_trace trace = { events, 8, 0, 0 };
		skr_evaluate(s->program, verified.claims, verified.issuer, verified.issuer_len, &trace,
		             result);
	} else {
		result->decision = SKR_DENY;
		result->entry = -1;
		result->reason = verified.reason;
	}
	skr_token_clear(&verified);
}

/* Decides one token with skr_release_batch in the thread's workspace,
 * through the shared cache or without it. */
static void decide_in_batch(const shared_state *s, skr_workspace *ws, skr_cache *cache,
                            const token_case *c, skr_status *status, skr_result *result)
{
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	const skr_program *programs[2] = { s->program, s->program };
	skr_result results[2];
	*status = skr_release_batch(s->trust, cache, ws, programs, 2, (const char *)c->token.data,
	                            c->token.len, &options, NULL, NULL, results);
	*result = results[0];
	if (results[1].decision != results[0].decision || results[1].entry != results[0].entry)
		result->reason = "the two programs of a batch disagree";
}

static int same_result(const token_case *c, skr_status status, const skr_result *result)
{
	return status == c->status && result->decision == c->decision && result->entry == c->entry &&
	       strcmp(result->reason, c->reason) == 0;
}

static void *run_worker(void *arg)
{
	worker *w = arg;
	const shared_state *s = w->shared;
	for (unsigned round = 0; round < s->rounds; round++) {
		for (unsigned k = 0; k < CASE_COUNT; k++) {
			/* Threads start at different tokens so that different checks
			 * run at the same moment. */
			const token_case *c = &s->cases[(k + w->index) % CASE_COUNT];
			skr_status status;
			skr_result result;
			if (s->cache != NULL)
				decide_in_batch(s, w->ws, (round + k) % 4 ? s->cache : NULL, c, &status,
				                &result);
			else if ((round + w->index) % 2)
				decide(s, c, &status, &result);
			else
				decide_in_steps(s, c, &status, &result);
			w->decisions++;
			if (!same_result(c, status, &result) && w->mismatches++ == 0)
				snprintf(w->first_mismatch, sizeof w->first_mismatch,
				         "%s: %s/%s/%d, expected %s/%s/%d", c->name, skr_status_name(status),
				         result.reason, (int)result.entry, skr_status_name(c->status),
				         c->reason, (int)c->entry);
		}
	}
	return NULL;
}

static void run_threads(int with_cache)
{
	unsigned threads = env_unsigned("SKR_THREADS", DEFAULT_THREADS, MAX_THREADS);
	shared_state s;
	memset(&s, 0, sizeof s);
	s.rounds = env_unsigned("SKR_THREAD_ROUNDS", DEFAULT_ROUNDS, 1000000);

	skr_signing_key *key = test_example_key("test-authority-rsa2048.pem");
	skr_signing_key *other = test_example_key("test-other-authority-rsa2048.jwk.json");
	skr_buffer jwk = { NULL, 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key, KID, SKR_ALG_RS256, &jwk), SKR_OK);
	char store[4096];
	int store_len = snprintf(store, sizeof store, "{\"" AUTHORITY "\":{\"keys\":[%.*s]}}",
	                         (int)jwk.len, (const char *)jwk.data);
	cr_assert(store_len > 0 && (size_t)store_len < sizeof store);
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(store, (size_t)store_len, NULL, NULL, &trust), SKR_OK);
	skr_buffer image = { NULL, 0 };
	skr_program *program = NULL;
	cr_assert_eq(skr_compile(POLICY, strlen(POLICY), SKR_SYNTAX_JSON, NULL, NULL, &image), SKR_OK);
	cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
	s.program = program;
	s.trust = trust;
	make_cases(&s, key, other);

	/* The results of one thread, which the workers must reproduce. */
	for (unsigned k = 0; k < CASE_COUNT; k++) {
		token_case *c = &s.cases[k];
		skr_result result;
		decide(&s, c, &c->status, &result);
		c->decision = result.decision;
		c->entry = result.entry;
		c->reason = result.reason;
	}
	cr_assert_eq(s.cases[CASE_RELEASE].status, SKR_OK);
	cr_assert_eq(s.cases[CASE_RELEASE].decision, SKR_RELEASE);
	cr_assert_eq(s.cases[CASE_RELEASE].entry, 0);
	cr_assert_eq(s.cases[CASE_RELEASE_DEBUG_OFF].decision, SKR_RELEASE);
	cr_assert_eq(s.cases[CASE_DENY].status, SKR_OK);
	cr_assert_eq(s.cases[CASE_DENY].decision, SKR_DENY);
	cr_assert_str_eq(s.cases[CASE_DENY].reason, "conditions_not_met");
	cr_assert_eq(s.cases[CASE_EXPIRED].status, SKR_E_TOKEN);
	cr_assert_str_eq(s.cases[CASE_EXPIRED].reason, "token_expired");
	cr_assert_eq(s.cases[CASE_OTHER_KEY].status, SKR_E_TOKEN);
	cr_assert_str_eq(s.cases[CASE_OTHER_KEY].reason, "signature_invalid");
	cr_assert_eq(s.cases[CASE_FOREIGN_ISSUER].status, SKR_E_TOKEN);
	cr_assert_eq(s.cases[CASE_FOREIGN_ISSUER].decision, SKR_DENY);

	if (with_cache) {
		/* Four entries for the twelve tokens that verify, so that every
		 * round evicts. */
		skr_cache_options options;
		skr_cache_options_init(&options);
		options.entries = 4;
		cr_assert_eq(skr_cache_new(trust, &options, &s.cache), SKR_OK);
	}

	pthread_t ids[MAX_THREADS];
	worker *workers = calloc(threads, sizeof *workers);
	cr_assert_not_null(workers);
	for (unsigned t = 0; t < threads; t++) {
		workers[t].shared = &s;
		if (with_cache)
			cr_assert_eq(skr_workspace_new(NULL, &workers[t].ws), SKR_OK);
		workers[t].index = t;
		cr_assert_eq(pthread_create(&ids[t], NULL, run_worker, &workers[t]), 0);
	}
	unsigned decisions = 0;
	for (unsigned t = 0; t < threads; t++) {
		cr_assert_eq(pthread_join(ids[t], NULL), 0);
		decisions += workers[t].decisions;
		cr_expect_eq(workers[t].mismatches, 0, "thread %u: %u wrong answers, first %s", t,
		             workers[t].mismatches, workers[t].first_mismatch);
	}
	cr_expect_eq(decisions, threads * s.rounds * CASE_COUNT);
	uint64_t hits = 0;
	for (unsigned t = 0; t < threads; t++) {
		skr_workspace_stats ws;
		skr_workspace_stats_get(workers[t].ws, &ws);
		hits += ws.hits;
		skr_workspace_free(workers[t].ws);
	}
	if (with_cache) {
		skr_cache_stats stats;
		skr_cache_stats_get(s.cache, &stats);
		cr_log_info("threads: %u threads made %u decisions with a shared cache: %llu hits, "
		            "%llu inserts, %llu evictions, %llu inserts skipped", threads, decisions,
		            (unsigned long long)hits, (unsigned long long)stats.inserts,
		            (unsigned long long)stats.evictions, (unsigned long long)stats.busy);
		cr_expect_gt(hits, 0);
		cr_expect_gt(stats.evictions, 0);
		skr_cache_free(s.cache);
	} else {
		cr_log_info("threads: %u threads made %u decisions", threads, decisions);
	}

	free(workers);
	for (unsigned k = 0; k < CASE_COUNT; k++)
		skr_buffer_free(&s.cases[k].token);
	skr_program_free(program);
	skr_buffer_free(&image);
	skr_trust_free(trust);
	skr_buffer_free(&jwk);
	skr_signing_key_free(key);
	skr_signing_key_free(other);
}

Test(threads, releases_share_program_and_trust)
{
	run_threads(0);
}

Test(threads, batches_share_a_cache)
{
	run_threads(1);
}
