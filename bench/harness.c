/*
 * Timing and the measurements of one workload. The cold-release parts are
 * timed by calling the functions skr_token_verify calls (runtime/token.h
 * and runtime/base64url.h), because the token API has no hooks to time its
 * steps from inside.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64url.h"
#include "claims.h"
#include "harness.h"
#include "token.h"

/* Trace events allowed beyond the static bound of a program, as a margin. */
#define BENCH_TRACE_EVENTS_MIN 64u

void bench_config_init(bench_config *config, int quick)
{
	config->rounds = quick ? BENCH_ROUNDS_QUICK : BENCH_ROUNDS_DEFAULT;
	config->round_ns = quick ? BENCH_ROUND_NS_QUICK : BENCH_ROUND_NS_DEFAULT;
	config->threads = 0;
	config->quick = quick;
}

double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Value at quantile q of sorted values, interpolating between neighbours. */
static double quantile(const double *sorted, uint32_t n, double q)
{
	if (n == 1)
		return sorted[0];
	double position = q * (double)(n - 1);
	uint32_t below = (uint32_t)position;
	if (below + 1 >= n)
		return sorted[n - 1];
	double fraction = position - (double)below;
	return sorted[below] + (sorted[below + 1] - sorted[below]) * fraction;
}

void bench_stats_from(double *per_call, uint32_t n, uint64_t calls, bench_stats *out)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return;
	qsort(per_call, n, sizeof per_call[0], compare_double);
	out->valid = 1;
	out->median = quantile(per_call, n, 0.5);
	out->p10 = quantile(per_call, n, 0.1);
	out->p90 = quantile(per_call, n, 0.9);
	out->min = per_call[0];
	out->max = per_call[n - 1];
	out->calls = calls;
	out->rounds = n;
}

/* Finds a call count whose round lasts at least round_ns. Each step scales
 * the count by the time still missing, at most 100 times at once, and adds
 * a tenth so that the count does not settle just below the target. */
static uint64_t calibrate(const bench_config *config, bench_loop loop, void *ctx)
{
	uint64_t calls = 1;
	for (;;) {
		double start = bench_now_ns();
		loop(ctx, calls);
		double elapsed = bench_now_ns() - start;
		if (elapsed >= config->round_ns)
			return calls;
		double factor = elapsed > 0 ? config->round_ns / elapsed * 1.1 : 100.0;
		if (factor > 100.0)
			factor = 100.0;
		uint64_t next = (uint64_t)ceil((double)calls * factor);
		calls = next > calls ? next : calls + 1;
	}
}

void bench_measure(const bench_config *config, bench_loop loop, void *ctx, bench_stats *out)
{
	uint32_t rounds = config->rounds > 0 ? config->rounds : 1;
	double *per_call = calloc(rounds, sizeof *per_call);
	if (per_call == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	uint64_t calls = calibrate(config, loop, ctx);
	loop(ctx, calls);
	for (uint32_t r = 0; r < rounds; r++) {
		double start = bench_now_ns();
		loop(ctx, calls);
		per_call[r] = (bench_now_ns() - start) / (double)calls;
	}
	bench_stats_from(per_call, rounds, calls, out);
	free(per_call);
}

/* ---- inputs ---- */

void bench_input_free(bench_input *input)
{
	if (input == NULL)
		return;
	free(input->claims_json);
	skr_claims_free(input->claims);
	free(input->issuer);
	free(input->token);
	skr_trust_free(input->trust);
	free(input->signing_input);
	free(input->signature);
	free(input->rsa_n);
	free(input->rsa_e);
	memset(input, 0, sizeof *input);
}

static uint8_t *copy_bytes(const void *src, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	if (copy != NULL && len > 0)
		memcpy(copy, src, len);
	return copy;
}

static char *copy_text(const char *src, size_t len)
{
	char *copy = malloc(len + 1);
	if (copy != NULL) {
		memcpy(copy, src, len);
		copy[len] = '\0';
	}
	return copy;
}

/* Copies the pieces of a verified token that the part timings and the
 * peers use: payload, signing input, signature and the key that verified. */
static skr_status keep_token_pieces(bench_input *input, const skr_token *verified, char *err,
                                    size_t err_cap)
{
	skr_jws jws;
	const char *reason = NULL;
	skr_token_check check = SKR_CHECK_FORM;
	skr_status status = skr_jws_parse(input->token, input->token_len, &input->options, NULL,
	                                  &jws, &reason, &check);
	if (status != SKR_OK) {
		snprintf(err, err_cap, "the token verified but does not parse again: %s",
		         reason ? reason : skr_status_name(status));
		skr_jws_free(&jws);
		return SKR_E_INTERNAL;
	}

	const skr_trust_authority *authority =
		skr_trust_find(input->trust, verified->issuer, verified->issuer_len);
	const skr_trust_key *key = NULL;
	if (authority != NULL && verified->kid != NULL)
		key = skr_trust_find_kid(authority, verified->kid, verified->kid_len);
	/* A key without a kid is found again the way the verification found
	 * it: by trying each usable key. */
	for (uint32_t i = 0; key == NULL && authority != NULL && i < authority->key_count; i++) {
		const skr_trust_key *k = &authority->keys[i];
		if (k->skipped == NULL &&
		    skr_rsa_verify(&k->pub, jws.alg, jws.signing_input, jws.signing_input_len,
		                   jws.signature, jws.signature_len))
			key = k;
	}
	if (key == NULL) {
		snprintf(err, err_cap, "the key that verified the token is not in the trust store");
		skr_jws_free(&jws);
		return SKR_E_INTERNAL;
	}

	input->claims_json = copy_text(jws.payload, jws.payload_len);
	input->claims_json_len = jws.payload_len;
	input->signing_input = copy_text(jws.signing_input, jws.signing_input_len);
	input->signing_input_len = jws.signing_input_len;
	input->signature = copy_bytes(jws.signature, jws.signature_len);
	input->signature_len = jws.signature_len;
	input->rsa_n = copy_bytes(key->pub.n, key->pub.nlen);
	input->rsa_n_len = key->pub.nlen;
	input->rsa_e = copy_bytes(key->pub.e, key->pub.elen);
	input->rsa_e_len = key->pub.elen;
	skr_jws_free(&jws);
	if (!input->claims_json || !input->signing_input || !input->signature || !input->rsa_n ||
	    !input->rsa_e) {
		snprintf(err, err_cap, "out of memory");
		return SKR_E_NOMEM;
	}
	return SKR_OK;
}

skr_status bench_input_from_token(bench_input *input, char *token, size_t token_len,
                                  skr_trust *trust, const skr_verify_options *options,
                                  char *err, size_t err_cap)
{
	memset(input, 0, sizeof *input);
	input->token = token;
	input->token_len = token_len;
	input->trust = trust;
	input->options = *options;
	input->limits = options->limits;

	skr_diags diags;
	skr_diags_init(&diags);
	skr_token verified;
	skr_token_init(&verified);
	skr_status status = skr_token_verify(trust, token, token_len, options, &diags, &verified);
	if (status != SKR_OK) {
		const char *message = diags.count > 0 && diags.items[0].message != NULL
			? diags.items[0].message : skr_status_name(status);
		snprintf(err, err_cap, "the token is rejected (%s): %s", verified.reason, message);
		goto done;
	}
	input->issuer = copy_text(verified.issuer, verified.issuer_len);
	input->issuer_len = verified.issuer_len;
	input->claims = verified.claims;
	verified.claims = NULL;
	if (input->issuer == NULL) {
		snprintf(err, err_cap, "out of memory");
		status = SKR_E_NOMEM;
		goto done;
	}
	status = keep_token_pieces(input, &verified, err, err_cap);

done:
	skr_token_clear(&verified);
	skr_diags_free(&diags);
	return status;
}

skr_status bench_input_from_claims(bench_input *input, char *json, size_t len,
                                   const skr_limits *limits, const char *issuer, char *err,
                                   size_t err_cap)
{
	memset(input, 0, sizeof *input);
	input->claims_json = json;
	input->claims_json_len = len;
	input->limits = *limits;
	skr_verify_options_init(&input->options, 0);
	input->options.limits = *limits;

	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_claims_parse(json, len, limits, &diags, &input->claims);
	if (status != SKR_OK) {
		snprintf(err, err_cap, "the claims are invalid: %s",
		         diags.count > 0 && diags.items[0].message ? diags.items[0].message
		                                                   : skr_status_name(status));
		skr_diags_free(&diags);
		return status;
	}
	skr_diags_free(&diags);

	const char *text = issuer;
	size_t text_len = issuer != NULL ? strlen(issuer) : 0;
	if (text == NULL && !skr_claims_issuer(input->claims, &text, &text_len)) {
		snprintf(err, err_cap, "the claims have no string \"iss\"; give the issuer with --issuer URL");
		return SKR_E_USAGE;
	}
	input->issuer = copy_text(text, text_len);
	input->issuer_len = text_len;
	if (input->issuer == NULL) {
		snprintf(err, err_cap, "out of memory");
		return SKR_E_NOMEM;
	}
	return SKR_OK;
}

void bench_workload_free(bench_workload *workload)
{
	if (workload == NULL)
		return;
	free(workload->name);
	free(workload->policy_json);
	skr_program_free(workload->program);
	if (workload->owns_input) {
		bench_input_free(workload->input);
		free(workload->input);
	}
	memset(workload, 0, sizeof *workload);
}

/* ---- the measured loops ----
 * Each loop folds its results into a sink that the caller reads, so the
 * compiler cannot drop the calls. */

typedef struct loop_context {
	const bench_workload *workload;
	const bench_input *input;
	uint8_t *buffer;          /* scratch for base64url */
	size_t buffer_len;
	unsigned sink;
	unsigned failures;        /* calls whose outcome differed from the first */
	skr_verify_memory mem;    /* reusable buffers, as a workspace lends them */
} loop_context;

static void loop_eval(void *opaque, uint64_t calls)
{
	loop_context *c = opaque;
	const bench_input *in = c->input;
	skr_result result = { SKR_DENY, -1, NULL };
	for (uint64_t i = 0; i < calls; i++)
		skr_evaluate(c->workload->program, in->claims, in->issuer, in->issuer_len, NULL, &result);
	c->sink += (unsigned)result.decision;
}

/* Builds the claims index as a release does: into one reusable index. */
static void loop_index(void *opaque, uint64_t calls)
{
	loop_context *c = opaque;
	const bench_input *in = c->input;
	for (uint64_t i = 0; i < calls; i++) {
		if (skr_claims_reparse(c->mem.payload, in->claims_json, in->claims_json_len, &in->limits,
		                       NULL) != SKR_OK)
			c->failures++;
	}
}

/* State of the release loops that use a workspace. */
typedef struct release_context {
	loop_context base;
	skr_workspace *ws;
	skr_cache *cache;
	const skr_program *programs[BENCH_BATCH_PROGRAMS];
	size_t count;
	uint64_t calls;
	uint64_t hits;
} release_context;

static void loop_release_batch(void *opaque, uint64_t calls)
{
	release_context *c = opaque;
	const bench_input *in = c->base.input;
	skr_result results[BENCH_BATCH_PROGRAMS];
	skr_release_info info;
	for (uint64_t i = 0; i < calls; i++) {
		if (skr_release_batch(in->trust, c->cache, c->ws, c->programs, c->count, in->token,
		                      in->token_len, &in->options, NULL, &info, results) != SKR_OK)
			c->base.failures++;
		c->hits += (uint64_t)info.cached;
	}
	c->calls += calls;
	c->base.sink += (unsigned)results[0].decision;
}

static void loop_release(void *opaque, uint64_t calls)
{
	loop_context *c = opaque;
	const bench_input *in = c->input;
	skr_result result = { SKR_DENY, -1, NULL };
	for (uint64_t i = 0; i < calls; i++) {
		if (skr_release(in->trust, c->workload->program, in->token, in->token_len, &in->options,
		                NULL, NULL, NULL, &result) != SKR_OK)
			c->failures++;
	}
	c->sink += (unsigned)result.decision;
}

/* Decodes the three base64url parts of the token, as the compact-form
 * check does, into one scratch buffer. */
static void loop_base64url(void *opaque, uint64_t calls)
{
	loop_context *c = opaque;
	const bench_input *in = c->input;
	const char *first = memchr(in->token, '.', in->token_len);
	const char *second = first ? memchr(first + 1, '.', in->token_len - (size_t)(first + 1 - in->token)) : NULL;
	if (second == NULL) {
		c->failures++;
		return;
	}
	size_t lengths[3] = { (size_t)(first - in->token), (size_t)(second - first - 1),
		              in->token_len - (size_t)(second + 1 - in->token) };
	const char *starts[3] = { in->token, first + 1, second + 1 };
	for (uint64_t i = 0; i < calls; i++) {
		size_t total = 0;
		for (int part = 0; part < 3; part++) {
			size_t decoded = 0;
			if (skr_base64url_decode(starts[part], lengths[part], c->buffer, &decoded, NULL) !=
			    SKR_B64_OK)
				c->failures++;
			total += decoded;
		}
		c->sink += (unsigned)total;
	}
}

static void loop_jws_parse(void *opaque, uint64_t calls)
{
	loop_context *c = opaque;
	const bench_input *in = c->input;
	for (uint64_t i = 0; i < calls; i++) {
		skr_jws jws;
		const char *reason = NULL;
		skr_token_check check;
		if (skr_jws_parse_in(in->token, in->token_len, &in->options, &c->mem, NULL, &jws, &reason,
		                     &check) != SKR_OK)
			c->failures++;
		c->sink += (unsigned)jws.payload_len;
		skr_jws_free(&jws);
	}
}

/* The RSA key prepared once, as the trust store prepares it when it
 * loads, so the signature loop times what a release does. */
typedef struct signature_context {
	loop_context base;
	skr_rsa_fast_key key;
	skr_alg alg;
} signature_context;

static void loop_signature(void *opaque, uint64_t calls)
{
	signature_context *c = opaque;
	const bench_input *in = c->base.input;
	for (uint64_t i = 0; i < calls; i++) {
		if (!skr_rsa_verify_prepared(&c->key, c->alg, in->signing_input, in->signing_input_len,
		                             in->signature, in->signature_len))
			c->base.failures++;
	}
}

static void loop_sha256(void *opaque, uint64_t calls)
{
	signature_context *c = opaque;
	const bench_input *in = c->base.input;
	uint8_t digest[SKR_MAX_HASH_BYTES];
	for (uint64_t i = 0; i < calls; i++) {
		skr_hash_for_alg(c->alg, in->signing_input, in->signing_input_len, digest);
		c->base.sink += digest[0];
	}
}

/* Decides once with a trace and replays it to count what ran. */
static skr_status count_executed(const bench_workload *workload, bench_result *result)
{
	const bench_input *in = workload->input;
	/* Every executed AUTH and test leaves one event, and a decision runs
	 * each at most once, so the static bound is enough room. */
	size_t capacity = (size_t)result->cost.instructions + BENCH_TRACE_EVENTS_MIN;
	skr_trace trace = { calloc(capacity, sizeof(skr_trace_event)), capacity, 0, 0 };
	if (trace.events == NULL)
		return SKR_E_NOMEM;
	skr_status status = skr_evaluate(workload->program, in->claims, in->issuer, in->issuer_len,
	                                 &trace, &result->decision);
	if (status == SKR_OK)
		status = skr_trace_cost(workload->program, &trace, &result->run);
	free(trace.events);
	return status;
}

static skr_status measure_token_parts(const bench_config *config, const bench_workload *workload,
                                      loop_context *base, bench_result *result, char *err,
                                      size_t err_cap)
{
	const bench_input *in = workload->input;
	loop_context c = *base;

	release_context r;
	memset(&r, 0, sizeof r);
	r.base = c;
	for (size_t i = 0; i < BENCH_BATCH_PROGRAMS; i++)
		r.programs[i] = workload->program;
	skr_cache *cache = NULL;
	if (skr_workspace_new(&in->options.limits, &r.ws) != SKR_OK ||
	    skr_cache_new(in->trust, NULL, &cache) != SKR_OK) {
		skr_workspace_free(r.ws);
		snprintf(err, err_cap, "out of memory");
		return SKR_E_NOMEM;
	}
	r.count = 1;
	bench_measure(config, loop_release_batch, &r, &result->cold);
	r.count = BENCH_BATCH_PROGRAMS;
	bench_measure(config, loop_release_batch, &r, &result->batch);
	r.count = 1;
	r.cache = cache;
	loop_release_batch(&r, 1);  /* puts the token in the cache */
	r.hits = 0;
	r.calls = 0;
	bench_measure(config, loop_release_batch, &r, &result->warm);
	result->warm_cached = r.calls > 0 && r.hits == r.calls;
	skr_cache_free(r.cache);
	skr_workspace_free(r.ws);
	c.failures += r.base.failures;
	bench_measure(config, loop_release, &c, &result->release);

	c.buffer_len = skr_base64_decoded_max(in->token_len);
	c.buffer = malloc(c.buffer_len);
	if (c.buffer == NULL) {
		snprintf(err, err_cap, "out of memory");
		return SKR_E_NOMEM;
	}
	bench_measure(config, loop_base64url, &c, &result->parts.base64url);
	free(c.buffer);
	c.buffer = NULL;
	bench_measure(config, loop_jws_parse, &c, &result->parts.jws_parse);

	signature_context s;
	memset(&s, 0, sizeof s);
	s.base = c;
	skr_rsa_fast_init(&s.key, in->rsa_n, in->rsa_n_len, in->rsa_e, in->rsa_e_len);
	s.alg = SKR_ALG_RS256;
	skr_jws jws;
	const char *reason = NULL;
	skr_token_check check;
	if (skr_jws_parse(in->token, in->token_len, &in->options, NULL, &jws, &reason, &check) ==
	    SKR_OK)
		s.alg = jws.alg;
	skr_jws_free(&jws);
	bench_measure(config, loop_signature, &s, &result->parts.signature);
	bench_measure(config, loop_sha256, &s, &result->parts.sha256);

	result->parts.index = result->index;
	result->parts.eval = result->eval;
	result->parts.header = result->parts.jws_parse;
	result->parts.header.median -= result->parts.base64url.median;
	result->parts.rest = result->cold.median - result->parts.jws_parse.median -
	                     result->parts.signature.median - result->index.median -
	                     result->eval.median;

	if (c.failures > 0 || s.base.failures > 0) {
		snprintf(err, err_cap, "%u timed calls failed where the first one succeeded",
		         c.failures + s.base.failures);
		return SKR_E_INTERNAL;
	}
	return SKR_OK;
}

skr_status bench_run_workload(const bench_config *config, const bench_workload *workload,
                              bench_result *result, char *err, size_t err_cap)
{
	memset(result, 0, sizeof *result);
	result->workload = workload;
	const bench_input *in = workload->input;

	skr_status status = skr_program_cost(workload->program, &result->cost);
	if (status == SKR_OK)
		status = skr_program_cost_for_issuer(workload->program, in->issuer, in->issuer_len,
		                                     &result->issuer_cost);
	if (status == SKR_OK)
		status = count_executed(workload, result);
	if (status != SKR_OK) {
		snprintf(err, err_cap, "cannot compute the cost of %s: %s", workload->name,
		         skr_status_name(status));
		return status;
	}

	loop_context c = { workload, in, NULL, 0, 0, 0, { NULL, 0, NULL, NULL } };
	c.mem.parts_cap = in->token_len;
	c.mem.parts = malloc(c.mem.parts_cap > 0 ? c.mem.parts_cap : 1);
	c.mem.header = skr_claims_new_reusable(512);
	c.mem.payload = skr_claims_new_reusable(in->claims_json_len);
	if (c.mem.parts == NULL || c.mem.header == NULL || c.mem.payload == NULL) {
		status = SKR_E_NOMEM;
		snprintf(err, err_cap, "out of memory");
		goto done;
	}
	bench_measure(config, loop_eval, &c, &result->eval);
	bench_measure(config, loop_index, &c, &result->index);
	if (c.failures > 0) {
		snprintf(err, err_cap, "building the claims index failed during the timing");
		status = SKR_E_INTERNAL;
		goto done;
	}
	if (in->token != NULL) {
		status = measure_token_parts(config, workload, &c, result, err, err_cap);
		if (status != SKR_OK)
			goto done;
	}
	if (config->threads > 1 && bench_run_threads(config, result) != 0) {
		snprintf(err, err_cap, "cannot start %u threads", config->threads);
		status = SKR_E_INTERNAL;
	}
done:
	free(c.mem.parts);
	skr_claims_free(c.mem.header);
	skr_claims_free(c.mem.payload);
	return status;
}

/* ---- peers: shared pieces ---- */

bench_peer *bench_peers_add(bench_peers *peers, const char *name, const char *version,
                            bench_work work, const char *what)
{
	if (peers->count >= BENCH_PEERS_MAX)
		return NULL;
	bench_peer *peer = &peers->items[peers->count++];
	memset(peer, 0, sizeof *peer);
	snprintf(peer->name, sizeof peer->name, "%s", name);
	snprintf(peer->version, sizeof peer->version, "%s", version ? version : "");
	snprintf(peer->what, sizeof peer->what, "%s", what);
	peer->work = work;
	peer->decision = -1;
	return peer;
}

void bench_peers_note(bench_peers *peers, const char *fmt, ...)
{
	if (peers->note_count >= sizeof peers->notes / sizeof peers->notes[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(peers->notes[peers->note_count++], sizeof peers->notes[0], fmt, ap);
	va_end(ap);
}

double bench_skr_ns_for(const bench_result *first, bench_work work)
{
	switch (work) {
	case BENCH_WORK_EVAL:
		return first->eval.valid ? first->eval.median : 0;
	case BENCH_WORK_INDEX_EVAL:
		return first->eval.valid && first->index.valid
			? first->index.median + first->eval.median : 0;
	case BENCH_WORK_COLD:
		return first->cold.valid ? first->cold.median : 0;
	case BENCH_WORK_VERIFY:
		return first->parts.signature.valid ? first->parts.signature.median : 0;
	}
	return 0;
}

const char *bench_work_name(bench_work work)
{
	switch (work) {
	case BENCH_WORK_EVAL:
		return "eval_ns";
	case BENCH_WORK_INDEX_EVAL:
		return "index_ns+eval_ns";
	case BENCH_WORK_COLD:
		return "cold_ns";
	case BENCH_WORK_VERIFY:
		return "cold_parts_ns.signature";
	}
	return "?";
}

#if !defined(SKR_BENCH_PEERS) || !SKR_BENCH_PEERS
int bench_c_peers_built(void)
{
	return 0;
}

void bench_c_peers_run(const bench_config *config, const bench_workload *workload,
                       bench_peers *peers)
{
	(void)config;
	(void)workload;
	bench_peers_note(peers, "C peers and the OpenSSL floor are not built in; build with "
	                        "-Dpeers=true (needs libssl-dev and libjwt-dev)");
}
#endif
