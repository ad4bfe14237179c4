/*
 * Fuzz target: the product against the reference evaluator
 * (tests/ref_eval.c). The first input byte picks how a policy and claims
 * are made from the rest:
 *   even  the next 8 bytes seed tests/gen_policy.c, which writes a policy
 *         and four claim sets;
 *   odd   the bytes drive a small generator here, which picks names,
 *         operators, values and authorities from tables of edge cases
 *         (escapes, case, numeric and boolean strings, int64 and double
 *         bounds), so coverage guidance can steer it.
 * Both sides must agree on whether the policy and each claims set are
 * valid, and on the decision and the entry that released. Any disagreement
 * aborts with the policy, claims and issuer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gen_policy.h"
#include "ref_eval.h"
#include "skr.h"
#include "support.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)
#define CLAIM_SETS 4
#define MAX_GROUP_DEPTH 5
#define MAX_CLAIMS_DEPTH 4

/* Claim names as JSON string literals, escapes included. */
static const char *const names[] = {
	"\"a\"", "\"b\"", "\"c\"", "\"x-ms-attestation-type\"", "\"x-ms-attestation\\u002dtype\"",
	"\"a.b\"", "\"b.c\"", "\"a.b.c\"", "\"A\"", "\"a\\u002eb\"", "\"\\u00e9\"", "\"\"",
};

/* Values as JSON text. */
static const char *const values[] = {
	"\"sevsnpvm\"", "\"\"", "\"10\"", "\"1e2\"", "\"-0\"", "\"01\"", "\"+1\"", "\" 1\"", "\"0x10\"",
	"\"true\"", "\"false\"", "\"True\"", "\"a\\u0000b\"", "\"\\u00e9\"", "\"e\\u0301\"",
	"\"1e400\"", "\"9223372036854775808\"", "0", "-0", "1", "10", "1.0", "1e2", "0.5", "-1.25",
	"-0.0", "9223372036854775807", "-9223372036854775808", "9223372036854775806",
	"9007199254740993", "9007199254740992.0", "9.2233720368547758e18", "1e308", "-1e-320",
	"2.5e-308", "true", "false", "null", "[]", "{}", "[1]", "{\"b\":1}", "\"sevsnpvm \"",
};

static const char *const authorities[] = {
	"https://attest.example.test", "https://Attest.Example.Test/",
	"https://attest.example.test//", "HTTPS://attest.example.test",
	"https://attest.example.test:443", "https://attest.example.test/Path",
	"https://attest.example.test/path", "attest.example.test", "Attest.example.test", "/",
	"https://user@Attest.example.test", "https://attest.example.test\\u002f",
};

static const char *const operators[] = {
	"equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals", "exists",
};

static const char *const exists_values[] = {
	"true", "false", "\"true\"", "\"false\"", "1", "\"yes\"",
};

static const char *const versions[] = { "1.0.0", "1.0", "0.2", "2.0", "1.0.0 " };

#define PICK(r, table) (table[fz_below((r), sizeof(table) / sizeof(table)[0])])

static void put(gen_text *t, const char *s)
{
	size_t len = strlen(s);
	if (t->failed)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		while (cap < t->len + len + 1)
			cap *= 2;
		char *grown = realloc(t->data, cap);
		if (!grown) {
			t->failed = 1;
			return;
		}
		t->data = grown;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, len + 1);
	t->len += len;
}

static void put_condition(fz_reader *r, gen_text *t, unsigned depth);

/* Writes "allOf": [...] or "anyOf": [...] with 1-3 conditions (rarely 0). */
static void put_group(fz_reader *r, gen_text *t, unsigned depth)
{
	put(t, fz_u8(r) & 1 ? "\"anyOf\":[" : "\"allOf\":[");
	unsigned count = fz_below(r, 16) == 0 ? 0 : 1 + fz_below(r, 3);
	for (unsigned i = 0; i < count; i++) {
		if (i)
			put(t, ",");
		put_condition(r, t, depth);
	}
	put(t, "]");
}

static void put_condition(fz_reader *r, gen_text *t, unsigned depth)
{
	uint8_t shape = fz_u8(r);
	if (depth < MAX_GROUP_DEPTH && shape % 4 == 0) {
		put(t, "{");
		put_group(r, t, depth + 1);
		put(t, "}");
		return;
	}
	unsigned op = fz_below(r, 7);
	const char *value = op == 6 ? PICK(r, exists_values) : PICK(r, values);
	put(t, "{\"claim\":");
	put(t, PICK(r, names));
	if (shape % 8 == 1) {
		put(t, ",\"condition\":\"");
		put(t, operators[op]);
		put(t, "\",\"value\":");
	} else {
		put(t, ",\"");
		put(t, operators[op]);
		put(t, "\":");
	}
	put(t, value);
	put(t, "}");
}

/* Writes a policy with 1-4 authority entries. */
static void make_policy(fz_reader *r, gen_text *t)
{
	put(t, "{\"version\":\"");
	put(t, fz_below(r, 8) == 0 ? PICK(r, versions) : "1.0.0");
	put(t, "\",\"anyOf\":[");
	unsigned entries = 1 + fz_below(r, 4);
	for (unsigned e = 0; e < entries; e++) {
		if (e)
			put(t, ",");
		put(t, "{\"authority\":\"");
		put(t, PICK(r, authorities));
		put(t, "\",");
		put_group(r, t, 1);
		put(t, "}");
	}
	put(t, "]}");
}

static void put_claims_object(fz_reader *r, gen_text *t, unsigned depth)
{
	put(t, "{");
	unsigned count = fz_below(r, 5);
	for (unsigned i = 0; i < count; i++) {
		if (i)
			put(t, ",");
		put(t, PICK(r, names));
		put(t, ":");
		if (depth < MAX_CLAIMS_DEPTH && fz_below(r, 3) == 0)
			put_claims_object(r, t, depth + 1);
		else
			put(t, PICK(r, values));
	}
	put(t, "}");
}

/* Writes a claims object with "iss" set to issuer (JSON string text). */
static void make_claims(fz_reader *r, gen_text *t, const char *issuer)
{
	put(t, "{\"iss\":\"");
	put(t, issuer);
	put(t, "\"");
	if (fz_below(r, 4) != 0) {
		/* the members of a nested object, spliced after "iss" */
		gen_text inner;
		gen_text_init(&inner);
		put_claims_object(r, &inner, 1);
		if (inner.data && inner.len > 2) {
			put(t, ",");
			inner.data[inner.len - 1] = '\0';
			put(t, inner.data + 1);
		}
		gen_text_free(&inner);
	}
	put(t, "}");
}

/* Decodes the JSON escapes of an issuer literal from the table, by
 * parsing it with jansson. */
static char *issuer_text(const char *literal, size_t *len)
{
	char quoted[256];
	snprintf(quoted, sizeof quoted, "\"%s\"", literal);
	json_t *s = json_loads(quoted, JSON_DECODE_ANY, NULL);
	char *out = NULL;
	if (s && json_is_string(s)) {
		*len = json_string_length(s);
		out = malloc(*len + 1);
		if (out)
			memcpy(out, json_string_value(s), *len + 1);
	}
	json_decref(s);
	return out;
}

/* Compares both sides on one policy and its claims sets. */
static void compare(const gen_text *policy_text, gen_text *const claims_texts[CLAIM_SETS],
                    char *const issuers[CLAIM_SETS], const size_t issuer_lens[CLAIM_SETS])
{
	size_t skip = policy_text->len >= 3 && memcmp(policy_text->data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	json_error_t error;
	json_t *policy = json_loadb(policy_text->data + skip, policy_text->len - skip, LOAD_FLAGS,
	                           &error);
	int ref_accepts = policy && ref_policy_check(policy) == 0;
	skr_program *program = NULL;
	skr_diags diags;
	skr_status status = fz_compile_checked(policy_text->data, policy_text->len, SKR_SYNTAX_JSON,
	                                       NULL, &diags, NULL, &program);
	int product_only = fz_only_product_rules(&diags);
	skr_diags_free(&diags);
	if (status == SKR_E_NOMEM)
		goto done;
	/* jansson 2.14 skips a raw NUL byte after a number or a literal, so it
	 * cannot judge text holding one, and the product must reject it. */
	if (memchr(policy_text->data, 0, policy_text->len) != NULL) {
		FZ_CHECK(status != SKR_OK, "accepted a policy holding a raw NUL byte");
		goto done;
	}
	FZ_CHECK(ref_accepts == (status == SKR_OK) || (ref_accepts && product_only),
	         "policy: product %s, reference %s (%s): %s",
	         status == SKR_OK ? "accepts" : "rejects", ref_accepts ? "accepts" : "rejects",
	         policy ? "checked" : error.text, policy_text->data);
	if (!program)
		goto done;

	for (unsigned k = 0; k < CLAIM_SETS; k++) {
		const gen_text *text = claims_texts[k];
		if (text->failed || !issuers[k])
			continue;
		skr_claims *claims = NULL;
		skr_status parsed = skr_claims_parse(text->data, text->len, NULL, NULL, &claims);
		if (memchr(text->data, 0, text->len) != NULL) {
			FZ_CHECK(parsed != SKR_OK, "accepted claims holding a raw NUL byte");
			skr_claims_free(claims);
			continue;
		}
		json_t *ref_claims = json_loadb(text->data, text->len, LOAD_FLAGS, &error);
		int ref_claims_ok = ref_claims && json_is_object(ref_claims);
		FZ_CHECK(ref_claims_ok == (parsed == SKR_OK), "claims: product %s, jansson %s: %s",
		         parsed == SKR_OK ? "accepts" : "rejects", ref_claims_ok ? "accepts" : "rejects",
		         text->data);
		if (parsed == SKR_OK) {
			skr_result result;
			int ref_entry = -1;
			FZ_CHECK(skr_evaluate(program, claims, issuers[k], issuer_lens[k], NULL, &result) ==
			         SKR_OK, "skr_evaluate failed");
			int ref = ref_evaluate(policy, ref_claims, issuers[k], issuer_lens[k], &ref_entry);
			int product = result.decision == SKR_RELEASE ? 0 : 1;
			FZ_CHECK(ref == product && ref_entry == result.entry,
			         "decision: product %d entry %d, reference %d entry %d\npolicy: %s\n"
			         "claims: %s\nissuer: %.*s", product, (int)result.entry, ref, ref_entry,
			         policy_text->data, text->data, (int)issuer_lens[k], issuers[k]);
		}
		skr_claims_free(claims);
		json_decref(ref_claims);
	}
done:
	skr_program_free(program);
	json_decref(policy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_reader r;
	fz_reader_init(&r, data, size);
	gen_text policy;
	gen_text claims[CLAIM_SETS];
	gen_text issuers[CLAIM_SETS];
	gen_text *claims_ptr[CLAIM_SETS];
	char *issuer_ptr[CLAIM_SETS];
	size_t issuer_lens[CLAIM_SETS];

	gen_text_init(&policy);
	for (unsigned k = 0; k < CLAIM_SETS; k++) {
		gen_text_init(&claims[k]);
		gen_text_init(&issuers[k]);
		claims_ptr[k] = &claims[k];
		issuer_ptr[k] = NULL;
		issuer_lens[k] = 0;
	}

	if ((fz_u8(&r) & 1) == 0) {
		uint64_t seed = fz_u64(&r);
		gen_policy_info info;
		if (gen_policy(seed, NULL, &policy, &info) != 0)
			goto done;
		for (unsigned k = 0; k < CLAIM_SETS; k++) {
			gen_claims_info claims_info;
			if (gen_claims(seed, k, NULL, &claims[k], &issuers[k], &claims_info) != 0)
				goto done;
			issuer_lens[k] = issuers[k].len;
			issuer_ptr[k] = malloc(issuers[k].len + 1);
			if (issuer_ptr[k])
				memcpy(issuer_ptr[k], issuers[k].data, issuers[k].len + 1);
		}
	} else {
		make_policy(&r, &policy);
		for (unsigned k = 0; k < CLAIM_SETS; k++) {
			const char *literal = PICK(&r, authorities);
			issuer_ptr[k] = issuer_text(literal, &issuer_lens[k]);
			make_claims(&r, &claims[k], literal);
		}
	}
	if (!policy.failed)
		compare(&policy, claims_ptr, issuer_ptr, issuer_lens);
done:
	gen_text_free(&policy);
	for (unsigned k = 0; k < CLAIM_SETS; k++) {
		gen_text_free(&claims[k]);
		gen_text_free(&issuers[k]);
		free(issuer_ptr[k]);
	}
	return 0;
}
