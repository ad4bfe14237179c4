/*
 * The input limits, each at its value and one past it: policy bytes,
 * condition nesting depth, authority entries, claim conditions, token
 * bytes, claims nesting depth and claims members. At the limit the input
 * is accepted. One past it, the input is rejected with an error whose
 * message names the limit and its value, and nothing crashes. Each limit is tested
 * at its default and at a value set through skr_limits, in both policy
 * syntaxes where the limit applies to policies.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "tokens.h"

/* ---- text building -------------------------------------------------------- */

typedef struct text {
	char *data;
	size_t len;
	size_t cap;
} text;

static void text_put(text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + len + 1)
			cap *= 2;
		t->data = realloc(t->data, cap);
		cr_assert_not_null(t->data, "out of memory");
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

static void text_puts(text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof buf);
	text_put(t, buf, (size_t)n);
}

/* Pads t with spaces and appends tail, so that t is exactly len bytes. */
static void text_pad(text *t, size_t len, const char *tail)
{
	size_t tail_len = strlen(tail);
	cr_assert_leq(t->len + tail_len, len, "the text is already %zu bytes", t->len + tail_len);
	while (t->len + tail_len < len)
		text_put(t, " ", 1);
	text_puts(t, tail);
}

static void text_free(text *t)
{
	free(t->data);
	t->data = NULL;
	t->len = t->cap = 0;
}

/* ---- checks --------------------------------------------------------------- */

/* The first error of diags, which must exist. */
static const skr_diag *first_error(const skr_diags *diags)
{
	for (size_t i = 0; i < diags->count; i++)
		if (diags->items[i].severity == SKR_SEV_ERROR)
			return &diags->items[i];
	cr_assert_fail("no error diagnostic");
	return NULL;
}

/* Checks that the first error names the limit (words) and its value. */
static void expect_limit_error(const skr_diags *diags, const char *words, unsigned long long value)
{
	const skr_diag *d = first_error(diags);
	char number[32];
	snprintf(number, sizeof number, "%llu", value);
	cr_expect_not_null(strstr(d->message, words), "\"%s\" does not say \"%s\"", d->message, words);
	cr_expect_not_null(strstr(d->message, number), "\"%s\" does not name the value %s",
	                   d->message, number);
}

/* Compiles a policy and expects success. */
static void expect_compiles(const text *policy, skr_syntax syntax, const skr_limits *limits)
{
	skr_diags diags;
	skr_buffer image = { NULL, 0 };
	skr_diags_init(&diags);
	skr_status status = skr_compile(policy->data, policy->len, syntax, limits, &diags, &image);
	cr_assert_eq(status, SKR_OK, "%zu-byte policy rejected: %s", policy->len,
	             diags.count ? diags.items[0].message : skr_status_name(status));
	skr_program *program = NULL;
	cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
	skr_program_free(program);
	skr_buffer_free(&image);
	skr_diags_free(&diags);
}

/* Compiles a policy and expects it rejected for a limit. */
static void expect_rejected(const text *policy, skr_syntax syntax, const skr_limits *limits,
                            const char *words, unsigned long long value)
{
	skr_diags diags;
	skr_buffer image = { NULL, 0 };
	skr_diags_init(&diags);
	skr_status status = skr_compile(policy->data, policy->len, syntax, limits, &diags, &image);
	cr_assert_eq(status, SKR_E_POLICY, "policy over a limit gave %s", skr_status_name(status));
	cr_assert_null(image.data);
	expect_limit_error(&diags, words, value);
	skr_diags_free(&diags);
}

static skr_limits default_limits(void)
{
	skr_limits limits;
	skr_limits_init(&limits);
	return limits;
}

/* ---- policy bytes ----------------------------------------------------------- */

#define SMALL_JSON_POLICY                                                               \
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://limits.skr.example\"," \
	"\"allOf\":[{\"claim\":\"a\",\"equals\":1}]}]"
#define SMALL_DSL_POLICY "version 1.0.0\nauthority \"https://limits.skr.example\" { a == 1 }\n"

/* A policy of exactly len bytes: the small policy padded with blanks. */
static text padded_policy(skr_syntax syntax, size_t len)
{
	text t = { 0 };
	if (syntax == SKR_SYNTAX_JSON) {
		text_puts(&t, SMALL_JSON_POLICY);
		text_pad(&t, len, "}");
	} else {
		text_puts(&t, SMALL_DSL_POLICY);
		text_pad(&t, len, "\n");
	}
	return t;
}

static void check_policy_bytes(skr_syntax syntax, size_t limit)
{
	skr_limits limits = default_limits();
	limits.policy_bytes = limit;
	text at = padded_policy(syntax, limit);
	text past = padded_policy(syntax, limit + 1);
	expect_compiles(&at, syntax, &limits);
	expect_rejected(&past, syntax, &limits, "limit", limit);
	text_free(&at);
	text_free(&past);
}

Test(limits, policy_bytes_json)
{
	check_policy_bytes(SKR_SYNTAX_JSON, SKR_DEFAULT_POLICY_BYTES);
	check_policy_bytes(SKR_SYNTAX_JSON, 200);
}

Test(limits, policy_bytes_dsl)
{
	check_policy_bytes(SKR_SYNTAX_DSL, SKR_DEFAULT_POLICY_BYTES);
	check_policy_bytes(SKR_SYNTAX_DSL, 200);
}

Test(limits, policy_bytes_default_applies_without_limits)
{
	text past = padded_policy(SKR_SYNTAX_JSON, SKR_DEFAULT_POLICY_BYTES + 1);
	expect_rejected(&past, SKR_SYNTAX_JSON, NULL, "limit", SKR_DEFAULT_POLICY_BYTES);
	text_free(&past);
}

/* ---- depth ---------------------------------------------------------------- */

/* A policy whose deepest group is at depth (the authority entry's own
 * group is depth 1). */
static text nested_policy(skr_syntax syntax, unsigned depth)
{
	text t = { 0 };
	if (syntax == SKR_SYNTAX_JSON) {
		text_puts(&t, "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://limits.skr.example\","
		              "\"allOf\":[");
		for (unsigned d = 2; d <= depth; d++)
			text_puts(&t, d % 2 ? "{\"allOf\":[" : "{\"anyOf\":[");
		text_puts(&t, "{\"claim\":\"a\",\"equals\":1}");
		for (unsigned d = 2; d <= depth; d++)
			text_puts(&t, "]}");
		text_puts(&t, "]}]}");
	} else {
		text_puts(&t, "version 1.0.0\nauthority \"https://limits.skr.example\" {\n");
		for (unsigned d = 2; d <= depth; d++)
			text_puts(&t, d % 2 ? "all {\n" : "any {\n");
		text_puts(&t, "a == 1\n");
		for (unsigned d = 1; d <= depth; d++)
			text_puts(&t, "}\n");
	}
	return t;
}

static void check_depth(skr_syntax syntax, unsigned limit)
{
	skr_limits limits = default_limits();
	limits.depth = limit;
	text at = nested_policy(syntax, limit);
	text past = nested_policy(syntax, limit + 1);
	expect_compiles(&at, syntax, &limits);
	expect_rejected(&past, syntax, &limits, "depth limit", limit);
	text_free(&at);
	text_free(&past);
}

Test(limits, depth_json)
{
	check_depth(SKR_SYNTAX_JSON, SKR_DEFAULT_DEPTH);
	check_depth(SKR_SYNTAX_JSON, 3);
	check_depth(SKR_SYNTAX_JSON, 100);
}

Test(limits, depth_dsl)
{
	check_depth(SKR_SYNTAX_DSL, SKR_DEFAULT_DEPTH);
	check_depth(SKR_SYNTAX_DSL, 3);
	check_depth(SKR_SYNTAX_DSL, 100);
}

Test(limits, depth_far_past_the_limit)
{
	/* Deep enough to exhaust a recursive parser's stack if nesting were
	 * unbounded. */
	text json = nested_policy(SKR_SYNTAX_JSON, 30000);
	text dsl = nested_policy(SKR_SYNTAX_DSL, 30000);
	expect_rejected(&json, SKR_SYNTAX_JSON, NULL, "depth limit", SKR_DEFAULT_DEPTH);
	expect_rejected(&dsl, SKR_SYNTAX_DSL, NULL, "depth limit", SKR_DEFAULT_DEPTH);
	text_free(&json);
	text_free(&dsl);
}

/* ---- authorities ------------------------------------------------------------ */

/* A policy with count authority entries (the DSL writes them as one block
 * listing every authority, which expands to one entry each). */
static text authorities_policy(skr_syntax syntax, unsigned count)
{
	text t = { 0 };
	if (syntax == SKR_SYNTAX_JSON) {
		text_puts(&t, "{\"version\":\"1.0.0\",\"anyOf\":[");
		for (unsigned i = 0; i < count; i++)
			text_printf(&t, "%s{\"authority\":\"https://a%u.skr.example\",\"allOf\":[{\"claim\":"
			                "\"a\",\"equals\":1}]}", i ? "," : "", i);
		text_puts(&t, "]}");
	} else {
		text_puts(&t, "version 1.0.0\nauthority");
		for (unsigned i = 0; i < count; i++)
			text_printf(&t, "%s \"https://a%u.skr.example\"", i ? "," : "", i);
		text_puts(&t, " {\n    a == 1\n}\n");
	}
	return t;
}

static void check_authorities(skr_syntax syntax, unsigned limit)
{
	skr_limits limits = default_limits();
	limits.authorities = limit;
	text at = authorities_policy(syntax, limit);
	text past = authorities_policy(syntax, limit + 1);
	expect_compiles(&at, syntax, &limits);
	expect_rejected(&past, syntax, &limits, "authority entries", limit);
	text_free(&at);
	text_free(&past);
}

Test(limits, authorities_json)
{
	check_authorities(SKR_SYNTAX_JSON, SKR_DEFAULT_AUTHORITIES);
	check_authorities(SKR_SYNTAX_JSON, 2);
}

Test(limits, authorities_dsl)
{
	check_authorities(SKR_SYNTAX_DSL, SKR_DEFAULT_AUTHORITIES);
	check_authorities(SKR_SYNTAX_DSL, 2);
}

Test(limits, authorities_dsl_separate_blocks)
{
	/* Blocks of one authority each count the same as one block of many. */
	text past = { 0 };
	text_puts(&past, "version 1.0.0\n");
	for (unsigned i = 0; i <= SKR_DEFAULT_AUTHORITIES; i++)
		text_printf(&past, "authority \"https://a%u.skr.example\" { a == 1 }\n", i);
	expect_rejected(&past, SKR_SYNTAX_DSL, NULL, "authority entries", SKR_DEFAULT_AUTHORITIES);
	text_free(&past);
}

/* ---- conditions ------------------------------------------------------------- */

/* A policy with count claim conditions in one authority entry. */
static text conditions_policy(skr_syntax syntax, unsigned count)
{
	text t = { 0 };
	if (syntax == SKR_SYNTAX_JSON) {
		text_puts(&t, "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://limits.skr.example\","
		              "\"anyOf\":[");
		for (unsigned i = 0; i < count; i++)
			text_printf(&t, "%s{\"claim\":\"c\",\"equals\":%u}", i ? "," : "", i);
		text_puts(&t, "]}]}");
	} else {
		text_puts(&t, "version 1.0.0\nauthority \"https://limits.skr.example\" any {\n");
		for (unsigned i = 0; i < count; i++)
			text_printf(&t, "c == %u\n", i);
		text_puts(&t, "}\n");
	}
	return t;
}

static void check_conditions(skr_syntax syntax, unsigned limit, size_t policy_bytes)
{
	skr_limits limits = default_limits();
	limits.conditions = limit;
	limits.policy_bytes = policy_bytes;
	text at = conditions_policy(syntax, limit);
	text past = conditions_policy(syntax, limit + 1);
	expect_compiles(&at, syntax, &limits);
	expect_rejected(&past, syntax, &limits, "claim conditions", limit);
	text_free(&at);
	text_free(&past);
}

Test(limits, conditions_json)
{
	/* 65,536 conditions in JSON take about 2 MiB, so the size limit is
	 * raised to let the conditions limit decide. */
	check_conditions(SKR_SYNTAX_JSON, SKR_DEFAULT_CONDITIONS, 4u << 20);
	check_conditions(SKR_SYNTAX_JSON, 5, SKR_DEFAULT_POLICY_BYTES);
}

Test(limits, conditions_dsl)
{
	/* The DSL form fits the default size limit. */
	check_conditions(SKR_SYNTAX_DSL, SKR_DEFAULT_CONDITIONS, SKR_DEFAULT_POLICY_BYTES);
	check_conditions(SKR_SYNTAX_DSL, 5, SKR_DEFAULT_POLICY_BYTES);
}

Test(limits, conditions_repeated_across_authorities)
{
	/* A block listing two authorities counts its conditions twice. */
	skr_limits limits = default_limits();
	limits.conditions = 4;
	text at = { 0 };
	text past = { 0 };
	text_puts(&at, "version 1.0.0\nauthority \"https://a.skr.example\", \"https://b.skr.example\" "
	               "{ a == 1; b == 2 }\n");
	text_puts(&past, "version 1.0.0\nauthority \"https://a.skr.example\", \"https://b.skr.example\" "
	                 "{ a == 1; b == 2; c == 3 }\n");
	expect_compiles(&at, SKR_SYNTAX_DSL, &limits);
	expect_rejected(&past, SKR_SYNTAX_DSL, &limits, "claim conditions", 4);
	text_free(&at);
	text_free(&past);
}

/* ---- claims depth ----------------------------------------------------------- */

/* Claims JSON nested depth levels deep (the top-level object is level 1),
 * through objects or, below the top level, arrays. */
static text nested_claims(unsigned depth, int arrays)
{
	text t = { 0 };
	text_puts(&t, "{\"iss\":\"https://limits.skr.example\",\"n\":");
	for (unsigned d = 2; d <= depth; d++)
		text_puts(&t, arrays ? "[" : "{\"n\":");
	text_puts(&t, "1");
	for (unsigned d = 2; d <= depth; d++)
		text_puts(&t, arrays ? "]" : "}");
	text_puts(&t, "}");
	return t;
}

static void expect_claims(const text *claims, const skr_limits *limits, const char *words,
                          unsigned long long value)
{
	skr_diags diags;
	skr_claims *parsed = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_claims_parse(claims->data, claims->len, limits, &diags, &parsed);
	if (words == NULL) {
		cr_assert_eq(status, SKR_OK, "claims rejected: %s",
		             diags.count ? diags.items[0].message : skr_status_name(status));
		cr_assert_not_null(parsed);
	} else {
		cr_assert_eq(status, SKR_E_CLAIMS, "claims over a limit gave %s", skr_status_name(status));
		cr_assert_null(parsed);
		expect_limit_error(&diags, words, value);
	}
	skr_claims_free(parsed);
	skr_diags_free(&diags);
}

static void check_claims_depth(unsigned limit, int arrays)
{
	skr_limits limits = default_limits();
	limits.claims_depth = limit;
	text at = nested_claims(limit, arrays);
	text past = nested_claims(limit + 1, arrays);
	expect_claims(&at, &limits, NULL, 0);
	expect_claims(&past, &limits, "depth limit", limit);
	text_free(&at);
	text_free(&past);
}

Test(limits, claims_depth_objects)
{
	check_claims_depth(SKR_DEFAULT_CLAIMS_DEPTH, 0);
	check_claims_depth(2, 0);
}

Test(limits, claims_depth_arrays)
{
	check_claims_depth(SKR_DEFAULT_CLAIMS_DEPTH, 1);
	check_claims_depth(2, 1);
}

Test(limits, claims_depth_far_past_the_limit)
{
	text deep = nested_claims(20000, 1);
	expect_claims(&deep, NULL, "depth limit", SKR_DEFAULT_CLAIMS_DEPTH);
	text_free(&deep);
}

/* ---- claims members ----------------------------------------------------------- */

/* Claims JSON with count object members in all: "iss", then two-letter
 * members, in nested objects of at most 4,000 members each so that names
 * stay unique within an object and the text stays under 64 KiB. */
static text members_claims(unsigned count)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	text t = { 0 };
	text_puts(&t, "{\"iss\":\"https://limits.skr.example\"");
	unsigned left = count - 1;
	for (unsigned object = 0; left > 0; object++) {
		/* The member holding the nested object counts too. */
		text_printf(&t, ",\"o%u\":{", object);
		left--;
		unsigned in_object = left < 4000 ? left : 4000;
		for (unsigned i = 0; i < in_object; i++)
			text_printf(&t, "%s\"%c%c\":0", i ? "," : "", alphabet[i / 64], alphabet[i % 64]);
		text_puts(&t, "}");
		left -= in_object;
	}
	text_puts(&t, "}");
	return t;
}

static void check_claims_members(unsigned limit)
{
	skr_limits limits = default_limits();
	limits.claims_members = limit;
	text at = members_claims(limit);
	text past = members_claims(limit + 1);
	cr_assert_leq(past.len, SKR_DEFAULT_TOKEN_BYTES, "the claims must fit the size limit");
	expect_claims(&at, &limits, NULL, 0);
	expect_claims(&past, &limits, "member", limit);
	text_free(&at);
	text_free(&past);
}

Test(limits, claims_members)
{
	check_claims_members(SKR_DEFAULT_CLAIMS_MEMBERS);
	check_claims_members(3);
}

Test(limits, claims_bytes)
{
	/* Claims JSON is held to the token size limit. */
	skr_limits limits = default_limits();
	limits.token_bytes = 100;
	text at = { 0 };
	text past = { 0 };
	text_puts(&at, "{\"iss\":\"https://limits.skr.example\",\"s\":\"");
	text_pad(&at, 100, "\"}");
	text_puts(&past, "{\"iss\":\"https://limits.skr.example\",\"s\":\"");
	text_pad(&past, 101, "\"}");
	expect_claims(&at, &limits, NULL, 0);
	expect_claims(&past, &limits, "limit", 100);
	text_free(&at);
	text_free(&past);
}

/* ---- token bytes ------------------------------------------------------------ */

#define TOKEN_AUTHORITY "https://limits.skr.example"
#define TOKEN_KID "limits"
#define TOKEN_NOW 1700000000

/* Mints a token of exactly len bytes by padding a string claim. The
 * signature and header parts have fixed lengths, so the payload length is
 * solved for. len must be reachable: no base64url text has 4k+1
 * characters. */
static skr_buffer token_of_length(const skr_signing_key *key, size_t len)
{
	const char *head = "{\"iss\":\"" TOKEN_AUTHORITY "\",\"exp\":2000000000,\"pad\":\"";
	const char *tail = "\"}";
	skr_buffer token = { NULL, 0 };
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, TOKEN_KID, "{}", 2, &token), SKR_OK);
	size_t fixed = token.len - 3;  /* "{}" encodes to 3 characters */
	skr_buffer_free(&token);
	cr_assert_gt(len, fixed);
	size_t encoded = len - fixed;
	cr_assert_neq(encoded % 4, 1, "no payload encodes to %zu characters", encoded);
	size_t payload_len = encoded / 4 * 3 + (encoded % 4 ? encoded % 4 - 1 : 0);

	text payload = { 0 };
	text_puts(&payload, head);
	text_pad(&payload, payload_len, tail);
	for (size_t i = strlen(head); i < payload_len - strlen(tail); i++)
		payload.data[i] = 'x';
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, TOKEN_KID, payload.data, payload.len, &token),
	             SKR_OK);
	text_free(&payload);
	cr_assert_eq(token.len, len, "minted %zu bytes, wanted %zu", token.len, len);
	return token;
}

static skr_trust *trust_of(const skr_signing_key *key)
{
	skr_buffer jwk = { NULL, 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key, TOKEN_KID, SKR_ALG_RS256, &jwk), SKR_OK);
	text store = { 0 };
	text_puts(&store, "{\"" TOKEN_AUTHORITY "\":{\"keys\":[");
	text_put(&store, (const char *)jwk.data, jwk.len);
	text_puts(&store, "]}}");
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(store.data, store.len, NULL, NULL, &trust), SKR_OK);
	text_free(&store);
	skr_buffer_free(&jwk);
	return trust;
}

static void check_token_bytes(const skr_signing_key *key, const skr_trust *trust, size_t limit)
{
	skr_verify_options options;
	skr_verify_options_init(&options, TOKEN_NOW);
	options.limits.token_bytes = limit;
	/* A length of 4k+1 base64url characters is impossible, so when the
	 * limit would need one, the token at the limit is one byte shorter. */
	skr_buffer at = { NULL, 0 };
	skr_buffer past = { NULL, 0 };
	skr_token verified;
	skr_diags diags;
	skr_token_init(&verified);
	skr_diags_init(&diags);

	skr_buffer probe = { NULL, 0 };
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, TOKEN_KID, "{}", 2, &probe), SKR_OK);
	size_t fixed = probe.len - 3;
	skr_buffer_free(&probe);
	size_t at_len = (limit - fixed) % 4 == 1 ? limit - 1 : limit;
	size_t past_len = (limit + 1 - fixed) % 4 == 1 ? limit + 2 : limit + 1;
	at = token_of_length(key, at_len);
	past = token_of_length(key, past_len);

	cr_assert_eq(skr_token_verify(trust, (const char *)at.data, at.len, &options, &diags,
	                              &verified), SKR_OK, "a %zu-byte token was rejected: %s",
	             at.len, verified.reason);
	cr_assert_eq(skr_token_verify(trust, (const char *)past.data, past.len, &options, &diags,
	                              &verified), SKR_E_TOKEN);
	cr_expect_eq(verified.failed, SKR_CHECK_FORM);
	expect_limit_error(&diags, "limit", limit);

	skr_token_clear(&verified);
	skr_diags_free(&diags);
	skr_buffer_free(&at);
	skr_buffer_free(&past);
}

Test(limits, token_bytes)
{
	size_t len = 0;
	char *pem = test_read_example("keys/test-authority-rsa2048.pem", &len);
	skr_signing_key *key = NULL;
	cr_assert_eq(skr_signing_key_load(pem, len, NULL, &key), SKR_OK);
	free(pem);
	skr_trust *trust = trust_of(key);

	check_token_bytes(key, trust, SKR_DEFAULT_TOKEN_BYTES);
	check_token_bytes(key, trust, 1000);

	skr_trust_free(trust);
	skr_signing_key_free(key);
}

Test(limits, token_claims_limits_apply)
{
	/* A verified signature does not lift the claims limits: a token whose
	 * payload nests one level too deep is rejected at the claims check. */
	size_t len = 0;
	char *pem = test_read_example("keys/test-authority-rsa2048.pem", &len);
	skr_signing_key *key = NULL;
	cr_assert_eq(skr_signing_key_load(pem, len, NULL, &key), SKR_OK);
	free(pem);
	skr_trust *trust = trust_of(key);

	text deep = { 0 };
	text_puts(&deep, "{\"iss\":\"" TOKEN_AUTHORITY "\",\"exp\":2000000000,\"n\":");
	for (unsigned d = 2; d <= SKR_DEFAULT_CLAIMS_DEPTH + 1; d++)
		text_puts(&deep, "[");
	for (unsigned d = 2; d <= SKR_DEFAULT_CLAIMS_DEPTH + 1; d++)
		text_puts(&deep, "]");
	text_puts(&deep, "}");
	skr_buffer token = { NULL, 0 };
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, TOKEN_KID, deep.data, deep.len, &token),
	             SKR_OK);

	skr_verify_options options;
	skr_verify_options_init(&options, TOKEN_NOW);
	skr_token verified;
	skr_diags diags;
	skr_token_init(&verified);
	skr_diags_init(&diags);
	cr_assert_eq(skr_token_verify(trust, (const char *)token.data, token.len, &options, &diags,
	                              &verified), SKR_E_TOKEN);
	cr_expect_eq(verified.failed, SKR_CHECK_CLAIMS);
	expect_limit_error(&diags, "depth limit", SKR_DEFAULT_CLAIMS_DEPTH);

	skr_token_clear(&verified);
	skr_diags_free(&diags);
	skr_buffer_free(&token);
	text_free(&deep);
	skr_trust_free(trust);
	skr_signing_key_free(key);
}
