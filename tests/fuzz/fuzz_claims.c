/*
 * Fuzz target: the claims parser and index (skr_claims_parse), checked
 * against jansson. Each input is claims JSON. jansson, loaded with
 * duplicate members rejected and NUL bytes allowed in strings, applies the
 * same strict RFC 8259 rules except the claims limits, so the two must
 * agree on validity whenever the input is within the depth and member
 * limits (and the product must reject it otherwise). For accepted claims,
 * every path of member names without a '.' must look up to exactly the
 * value jansson holds, "iss" must match, and the all-operators policy
 * must decide as the reference evaluator does. Input with a raw NUL byte
 * must be rejected. One reusable index (skr_claims_reparse), which keeps
 * its memory across inputs as a workspace's does, must give the same
 * status and the same index, and so must a copy of it (skr_claims_copy,
 * as the verified-token cache makes).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "claims.h"
#include "ref_eval.h"
#include "skr.h"
#include "support.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
#define PATH_MAX_BYTES 512

static skr_program *policy_program;
static json_t *policy_json;
static skr_claims *reusable;

/* Checks that two indexes hold the same nodes in the same order and that
 * every node of one is found in the other. */
static void compare_indexes(const skr_claims *a, const skr_claims *b, const char *what)
{
	FZ_CHECK(a->count == b->count, "%s: %u nodes, the one-shot index %u", what, b->count,
	         a->count);
	FZ_CHECK((a->iss == NULL) == (b->iss == NULL), "%s: iss differs", what);
	for (uint32_t i = 0; i < a->count; i++) {
		const skr_claim_node *x = &a->nodes[i], *y = &b->nodes[i];
		FZ_CHECK(x->id == y->id && x->path_len == y->path_len &&
		         memcmp(x->path, y->path, x->path_len) == 0, "%s: node %u has another path",
		         what, i);
		FZ_CHECK(x->value.type == y->value.type && x->value.num == y->value.num &&
		         x->value.boolean == y->value.boolean && x->value.len == y->value.len,
		         "%s: node %u has another value", what, i);
		if (x->value.str)
			FZ_CHECK(y->value.str && memcmp(x->value.str, y->value.str, x->value.len) == 0,
			         "%s: node %u has another string", what, i);
		if (x->value.num == SKR_NUM_INT)
			FZ_CHECK(x->value.n.i == y->value.n.i, "%s: node %u has another number", what, i);
		const skr_claim_value *found = skr_claims_find(b, x->id, x->path, x->path_len);
		FZ_CHECK(found == &y->value, "%s: node %u is not found by its path", what, i);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	reusable = skr_claims_new_reusable(256);
	if (!reusable)
		fz_fail("cannot make a reusable claims index");
	const char *src = fz_all_operators_policy;
	skr_status status = fz_compile_checked(src, strlen(src), SKR_SYNTAX_JSON, NULL, NULL, NULL,
	                                       &policy_program);
	if (status != SKR_OK)
		fz_fail("the all-operators policy does not compile");
	policy_json = json_loads(src, 0, NULL);
	FZ_CHECK(policy_json != NULL, "jansson cannot read the all-operators policy");
	return 0;
}

/* Depth (the top-level container is 1) and member count of a value. */
static void measure(const json_t *v, uint32_t depth, uint32_t *max_depth, uint64_t *members)
{
	if (json_is_object(v)) {
		if (depth > *max_depth)
			*max_depth = depth;
		const char *key;
		json_t *child;
		json_object_foreach((json_t *)v, key, child) {
			(*members)++;
			measure(child, depth + 1, max_depth, members);
		}
	} else if (json_is_array(v)) {
		if (depth > *max_depth)
			*max_depth = depth;
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
			measure(child, depth + 1, max_depth, members);
	}
}

/* Checks that the product's view of one value is jansson's. */
static void compare_value(const json_t *v, const skr_value_view *view, const char *path,
                          size_t path_len)
{
	skr_type want;
	switch (json_typeof(v)) {
	case JSON_OBJECT: want = SKR_TYPE_OBJECT; break;
	case JSON_ARRAY: want = SKR_TYPE_ARRAY; break;
	case JSON_STRING: want = SKR_TYPE_STRING; break;
	case JSON_INTEGER: want = SKR_TYPE_INT; break;
	case JSON_REAL: want = SKR_TYPE_DOUBLE; break;
	case JSON_TRUE: want = SKR_TYPE_TRUE; break;
	case JSON_FALSE: want = SKR_TYPE_FALSE; break;
	default: want = SKR_TYPE_NULL; break;
	}
	FZ_CHECK(view->type == want, "path %.*s: type %d, jansson's %d", (int)path_len, path,
	         (int)view->type, (int)want);
	if (want == SKR_TYPE_STRING) {
		size_t len = json_string_length(v);
		FZ_CHECK(view->len == len && memcmp(view->str, json_string_value(v), len) == 0,
		         "path %.*s: string of %zu bytes differs from jansson's %zu", (int)path_len,
		         path, view->len, len);
	} else if (want == SKR_TYPE_INT) {
		FZ_CHECK(view->i == json_integer_value(v), "path %.*s: %lld, jansson %lld",
		         (int)path_len, path, (long long)view->i, (long long)json_integer_value(v));
	} else if (want == SKR_TYPE_DOUBLE) {
		double d = json_real_value(v);
		FZ_CHECK(memcmp(&view->d, &d, sizeof d) == 0, "path %.*s: %.17g, jansson %.17g",
		         (int)path_len, path, view->d, d);
	}
}

/* Looks up every path of dot-free, non-empty member names below v. */
static void compare_paths(const skr_claims *claims, const json_t *object, char *path,
                          size_t path_len)
{
	const char *key;
	json_t *child;
	json_object_foreach((json_t *)object, key, child) {
		size_t key_len = strlen(key);
		if (key_len == 0 || memchr(key, '.', key_len))
			continue;
		size_t len = path_len ? path_len + 1 + key_len : key_len;
		if (len > PATH_MAX_BYTES)
			continue;
		if (path_len)
			path[path_len] = '.';
		memcpy(path + (path_len ? path_len + 1 : 0), key, key_len);
		skr_value_view view;
		FZ_CHECK(skr_claims_lookup(claims, path, len, &view) == 1, "path %.*s is missing",
		         (int)len, path);
		compare_value(child, &view, path, len);
		if (json_is_object(child))
			compare_paths(claims, child, path, len);
	}
}

/* Decides the all-operators policy on the claims with both evaluators. */
static void compare_decisions(const skr_claims *claims, const json_t *ref_claims)
{
	static const char *const issuers[] = {
		"https://a.skr.example:8443/p", "https://second.skr.example/", "not a url",
	};
	for (size_t k = 0; k < sizeof issuers / sizeof issuers[0]; k++) {
		size_t len = strlen(issuers[k]);
		skr_result result;
		int ref_entry = -1;
		FZ_CHECK(skr_evaluate(policy_program, claims, issuers[k], len, NULL, &result) == SKR_OK,
		         "skr_evaluate failed");
		int ref = ref_evaluate(policy_json, ref_claims, issuers[k], len, &ref_entry);
		int product = result.decision == SKR_RELEASE ? 0 : 1;
		FZ_CHECK(ref == product && ref_entry == result.entry,
		         "issuer %s: product %d entry %d, reference %d entry %d", issuers[k], product,
		         (int)result.entry, ref, ref_entry);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	skr_diags diags;
	skr_claims *claims = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_claims_parse(text, size, NULL, &diags, &claims);
	fz_check_diags(&diags, status, text, size);
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_CLAIMS || status == SKR_E_NOMEM,
	         "skr_claims_parse returned %s", skr_status_name(status));
	if (status == SKR_E_NOMEM)
		return 0;

	skr_status again = skr_claims_reparse(reusable, text, size, NULL, NULL);
	FZ_CHECK(again == status, "skr_claims_reparse returned %s, skr_claims_parse %s",
	         skr_status_name(again), skr_status_name(status));
	if (status == SKR_OK) {
		compare_indexes(claims, reusable, "the reused index");
		size_t bytes = skr_claims_copy_size(reusable);
		void *memory = malloc(bytes > 0 ? bytes : 1);
		FZ_CHECK(memory != NULL, "out of memory");
		skr_claims copy;
		skr_claims_copy(reusable, &copy, memory);
		compare_indexes(claims, &copy, "the copied index");
		free(memory);
	} else {
		FZ_CHECK(reusable->count == 0, "a failed reparse left %u nodes", reusable->count);
	}

	/* A raw NUL byte is never valid JSON, but jansson 2.14 skips one that
	 * follows a number or a literal ("1\0}"), so it cannot judge those. */
	if (memchr(text, 0, size)) {
		FZ_CHECK(status != SKR_OK, "accepted claims holding a raw NUL byte");
		return 0;
	}
	json_error_t error;
	json_t *ref = json_loadb(text, size, LOAD_FLAGS, &error);
	int ref_accepts = ref && json_is_object(ref);
	if (ref_accepts) {
		uint32_t depth = 0;
		uint64_t members = 0;
		measure(ref, 1, &depth, &members);
		if (depth > SKR_DEFAULT_CLAIMS_DEPTH || members > SKR_DEFAULT_CLAIMS_MEMBERS) {
			FZ_CHECK(status != SKR_OK, "accepted claims of depth %u with %llu members", depth,
			         (unsigned long long)members);
			ref_accepts = -1;
		}
	}
	if (ref_accepts >= 0)
		FZ_CHECK(ref_accepts == (status == SKR_OK), "claims: product %s, jansson %s (%s)",
		         status == SKR_OK ? "accepts" : "rejects", ref_accepts ? "accepts" : "rejects",
		         ref ? "not an object" : error.text);

	if (status == SKR_OK) {
		char path[PATH_MAX_BYTES];
		compare_paths(claims, ref, path, 0);
		const char *issuer = NULL;
		size_t issuer_len = 0;
		json_t *iss = json_object_get(ref, "iss");
		int has = skr_claims_issuer(claims, &issuer, &issuer_len);
		FZ_CHECK(has == json_is_string(iss), "issuer: product %d, jansson %d", has,
		         json_is_string(iss));
		if (has)
			FZ_CHECK(issuer_len == json_string_length(iss) &&
			         memcmp(issuer, json_string_value(iss), issuer_len) == 0,
			         "issuer text differs from jansson's");
		compare_decisions(claims, ref);
	}
	skr_claims_free(claims);
	json_decref(ref);
	return 0;
}
