/*
 * Generated workloads: policies and claims of growing size, built in
 * memory and decided like the policies on the command line.
 *
 *   conditions=N   one authority entry whose allOf lists N claim
 *                  conditions on N claims bench.c0 ... bench.c<N-1>. The
 *                  operators cycle through equals (string, integer,
 *                  boolean), greaterOrEquals and exists, every condition
 *                  holds, so a decision runs all N: AUTH, then a LOAD and a
 *                  test per condition, then RELEASE.
 *   authorities=N  N authority entries https://a<i>.bench.example, each
 *                  with the three conditions of the reference workload's
 *                  shape; the claims' issuer is the last one, so a decision
 *                  skips N-1 entries and runs the last.
 *   claims=N       the three-condition policy on claims of N members (5 at
 *                  least): "iss", "bench" and the three it tests, and
 *                  fillers of every JSON type.
 *                  The index grows with N; the evaluation should not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define GEN_ISSUER "https://bench.example"

typedef struct gen_buffer {
	char *data;
	size_t len;
	size_t cap;
	int failed;
} gen_buffer;

static void put(gen_buffer *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void put(gen_buffer *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->data != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *data = realloc(b->data, cap);
		if (data == NULL) {
			b->failed = 1;
			return;
		}
		b->data = data;
		b->cap = cap;
	}
}

static const struct {
	const char *name;
	bench_gen_kind kind;
} kind_names[] = {
	{ "conditions", BENCH_GEN_CONDITIONS },
	{ "authorities", BENCH_GEN_AUTHORITIES },
	{ "claims", BENCH_GEN_CLAIMS },
};

static const char *kind_name(bench_gen_kind kind)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
		if (kind_names[i].kind == kind)
			return kind_names[i].name;
	}
	return "?";
}

/* Largest size of each kind: the default limits of 65,536 conditions and
 * 4,096 authority entries, and a claims count that keeps the JSON near
 * 10 MiB. */
static uint32_t max_size(bench_gen_kind kind)
{
	switch (kind) {
	case BENCH_GEN_CONDITIONS:
		return SKR_DEFAULT_CONDITIONS;
	case BENCH_GEN_AUTHORITIES:
		return SKR_DEFAULT_AUTHORITIES;
	case BENCH_GEN_CLAIMS:
		return 500000;
	}
	return 0;
}

int bench_gen_parse(const char *text, bench_gen_spec *spec, char *err, size_t err_cap)
{
	memset(spec, 0, sizeof *spec);
	const char *eq = strchr(text, '=');
	size_t name_len = eq ? (size_t)(eq - text) : strlen(text);
	size_t k = 0;
	for (; k < sizeof kind_names / sizeof kind_names[0]; k++) {
		if (strlen(kind_names[k].name) == name_len &&
		    strncmp(kind_names[k].name, text, name_len) == 0)
			break;
	}
	if (eq == NULL || k == sizeof kind_names / sizeof kind_names[0]) {
		snprintf(err, err_cap, "invalid --generate %s; write conditions=N, authorities=N or "
		         "claims=N, with N a list such as 1,10,100", text);
		return -1;
	}
	spec->kind = kind_names[k].kind;

	const char *p = eq + 1;
	for (;;) {
		char *end;
		errno = 0;
		unsigned long value = strtoul(p, &end, 10);
		if (errno != 0 || end == p || value == 0 || value > max_size(spec->kind) ||
		    (*end != ',' && *end != '\0') || *p == '-' || *p == '+') {
			snprintf(err, err_cap, "invalid size in --generate %s; give whole numbers from 1 to %u",
			         text, max_size(spec->kind));
			return -1;
		}
		if (spec->count == BENCH_GEN_SIZES_MAX) {
			snprintf(err, err_cap, "too many sizes in --generate %s; at most %u", text,
			         BENCH_GEN_SIZES_MAX);
			return -1;
		}
		spec->sizes[spec->count++] = (uint32_t)value;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

void bench_gen_limits(skr_limits *limits)
{
	skr_limits_init(limits);
	limits->policy_bytes = 64u << 20;
	limits->token_bytes = 64u << 20;
	limits->claims_members = 1u << 21;
}

/* Condition i of the conditions workload, and its claim's value. */
static void put_condition(gen_buffer *policy, uint32_t i)
{
	switch (i % 5) {
	case 0:
		put(policy, "{\"claim\": \"bench.c%u\", \"equals\": \"value-%u\"}", i, i);
		break;
	case 1:
		put(policy, "{\"claim\": \"bench.c%u\", \"equals\": %u}", i, i);
		break;
	case 2:
		put(policy, "{\"claim\": \"bench.c%u\", \"equals\": true}", i);
		break;
	case 3:
		put(policy, "{\"claim\": \"bench.c%u\", \"greaterOrEquals\": %u}", i, i);
		break;
	default:
		put(policy, "{\"claim\": \"bench.c%u\", \"exists\": true}", i);
		break;
	}
}

static void put_claim_value(gen_buffer *claims, uint32_t i)
{
	switch (i % 5) {
	case 0:
		put(claims, "\"c%u\": \"value-%u\"", i, i);
		break;
	case 1:
		put(claims, "\"c%u\": %u", i, i);
		break;
	case 2:
		put(claims, "\"c%u\": true", i);
		break;
	case 3:
		put(claims, "\"c%u\": %u", i, i + 1);
		break;
	default:
		put(claims, "\"c%u\": {\"nested\": [1, 2]}", i);
		break;
	}
}

static void generate_conditions(uint32_t n, gen_buffer *policy, gen_buffer *claims)
{
	put(policy, "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"%s\", \"allOf\": [\n",
	    GEN_ISSUER);
	put(claims, "{\"iss\": \"%s\", \"bench\": {", GEN_ISSUER);
	for (uint32_t i = 0; i < n; i++) {
		put(policy, "%s", i ? ",\n" : "");
		put_condition(policy, i);
		put(claims, "%s", i ? ", " : "");
		put_claim_value(claims, i);
	}
	put(policy, "]}]}\n");
	put(claims, "}}\n");
}

/* The three conditions of the reference workload's shape, on claims the
 * generated claims hold. */
static void put_three_conditions(gen_buffer *policy)
{
	put(policy, "{\"claim\": \"bench.c0\", \"equals\": \"value-0\"}, "
	            "{\"claim\": \"bench.c1\", \"equals\": 1}, "
	            "{\"claim\": \"bench.c2\", \"equals\": true}");
}

static void generate_authorities(uint32_t n, gen_buffer *policy, gen_buffer *claims)
{
	put(policy, "{\"version\": \"1.0.0\", \"anyOf\": [\n");
	for (uint32_t i = 0; i < n; i++) {
		put(policy, "%s{\"authority\": \"https://a%u.bench.example\", \"allOf\": [", i ? ",\n" : "", i);
		put_three_conditions(policy);
		put(policy, "]}");
	}
	put(policy, "]}\n");
	put(claims, "{\"iss\": \"https://a%u.bench.example\", \"bench\": {\"c0\": \"value-0\", "
	            "\"c1\": 1, \"c2\": true}}\n", n - 1);
}

static void generate_claims(uint32_t n, gen_buffer *policy, gen_buffer *claims)
{
	put(policy, "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"%s\", \"allOf\": [",
	    GEN_ISSUER);
	put_three_conditions(policy);
	put(policy, "]}]}\n");

	/* "iss", "bench" and its three members come first; the fillers make up
	 * the rest of the N members. */
	put(claims, "{\"iss\": \"%s\", \"bench\": {\"c0\": \"value-0\", \"c1\": 1, \"c2\": true}",
	    GEN_ISSUER);
	for (uint32_t i = 5; i < n; i++) {
		switch (i % 4) {
		case 0:
			put(claims, ", \"filler-%u\": \"text of filler %u\"", i, i);
			break;
		case 1:
			put(claims, ", \"filler-%u\": %u", i, i);
			break;
		case 2:
			put(claims, ", \"filler-%u\": false", i);
			break;
		default:
			put(claims, ", \"filler-%u\": 1.5", i);
			break;
		}
	}
	put(claims, "}\n");
}

skr_status bench_gen_workload(bench_gen_kind kind, uint32_t size, bench_workload *out,
                              char *err, size_t err_cap)
{
	gen_buffer policy = { NULL, 0, 0, 0 };
	gen_buffer claims = { NULL, 0, 0, 0 };
	skr_buffer image = { NULL, 0 };
	skr_diags diags;
	skr_status status = SKR_E_NOMEM;
	skr_limits limits;

	memset(out, 0, sizeof *out);
	skr_diags_init(&diags);
	bench_gen_limits(&limits);

	switch (kind) {
	case BENCH_GEN_CONDITIONS:
		generate_conditions(size, &policy, &claims);
		break;
	case BENCH_GEN_AUTHORITIES:
		generate_authorities(size, &policy, &claims);
		break;
	case BENCH_GEN_CLAIMS:
		generate_claims(size, &policy, &claims);
		break;
	}
	if (policy.failed || claims.failed) {
		snprintf(err, err_cap, "out of memory");
		goto fail;
	}

	char name[64];
	snprintf(name, sizeof name, "generated %s=%u", kind_name(kind), size);
	out->name = malloc(strlen(name) + 1);
	out->input = calloc(1, sizeof *out->input);
	out->owns_input = 1;
	if (out->name == NULL || out->input == NULL) {
		snprintf(err, err_cap, "out of memory");
		goto fail;
	}
	memcpy(out->name, name, strlen(name) + 1);

	status = skr_compile(policy.data, policy.len, SKR_SYNTAX_JSON, &limits, &diags, &image);
	if (status == SKR_OK)
		status = skr_program_load(image.data, image.len, &diags, &out->program);
	if (status != SKR_OK) {
		snprintf(err, err_cap, "the generated policy %s does not compile: %s", name,
		         diags.count > 0 && diags.items[0].message ? diags.items[0].message
		                                                   : skr_status_name(status));
		goto fail;
	}
	status = bench_input_from_claims(out->input, claims.data, claims.len, &limits, NULL, err,
	                                 err_cap);
	claims.data = NULL;  /* owned by the input now, also on failure */
	if (status != SKR_OK)
		goto fail;
	out->policy_json = policy.data;
	out->policy_json_len = policy.len;
	skr_buffer_free(&image);
	skr_diags_free(&diags);
	return SKR_OK;

fail:
	free(policy.data);
	free(claims.data);
	skr_buffer_free(&image);
	skr_diags_free(&diags);
	bench_workload_free(out);
	return status == SKR_OK ? SKR_E_INTERNAL : status;
}
