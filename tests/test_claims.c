/*
 * Tests of the claims index: strict parsing, the claims limits, dotted-path
 * lookup and the numeric and boolean views of each value.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "skr.h"
#include "tokens.h"

/* Length of a string literal, counting embedded NUL bytes. */
#define LIT(s) (s), (sizeof(s) - 1)

static skr_claims *parse_len(const char *json, size_t len, const skr_limits *limits)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_claims *claims = NULL;
	skr_status status = skr_claims_parse(json, len, limits, &diags, &claims);
	cr_assert_eq(status, SKR_OK, "parse of %.*s failed: %s", (int)len, json,
	             diags.count ? diags.items[0].message : "(no diagnostic)");
	cr_assert_not_null(claims);
	cr_assert_eq(diags.count, 0);
	skr_diags_free(&diags);
	return claims;
}

static skr_claims *parse(const char *json)
{
	return parse_len(json, strlen(json), NULL);
}

/* Parses input that must fail and checks the status, that no index was
 * returned and that the first diagnostic is an error with the given code.
 * Returns the first diagnostic's offset. */
static size_t expect_error_len(const char *json, size_t len, const skr_limits *limits,
                               const char *code)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_claims *claims = (skr_claims *)(uintptr_t)1; /* non-NULL: the parse must reset it */
	skr_status status = skr_claims_parse(json, len, limits, &diags, &claims);
	cr_assert_eq(status, SKR_E_CLAIMS, "input %.*s: status %d", (int)len, json, (int)status);
	cr_assert_null(claims);
	cr_assert_eq(diags.errors, 1, "input %.*s: %zu errors", (int)len, json, diags.errors);
	cr_assert_eq(diags.items[0].severity, SKR_SEV_ERROR);
	cr_assert_str_eq(diags.items[0].code, code, "input %.*s: code %s, message: %s", (int)len,
	                 json, diags.items[0].code, diags.items[0].message);
	cr_assert_not_null(diags.items[0].message);
	cr_assert_null(strchr(diags.items[0].message, '\n'));
	size_t offset = diags.items[0].offset;
	cr_assert_leq(offset, len);
	skr_diags_free(&diags);
	return offset;
}

static size_t expect_error(const char *json, const char *code)
{
	return expect_error_len(json, strlen(json), NULL, code);
}

/* Looks path up and requires it to resolve. */
static skr_value_view lookup(const skr_claims *claims, const char *path)
{
	skr_value_view view;
	memset(&view, 0xA5, sizeof view);
	cr_assert_eq(skr_claims_lookup(claims, path, strlen(path), &view), 1,
	             "path %s is missing", path);
	return view;
}

static int is_missing(const skr_claims *claims, const char *path)
{
	skr_value_view view;
	return skr_claims_lookup(claims, path, strlen(path), &view) == 0;
}

/* The internal value with its numeric and boolean views. */
static const skr_claim_value *find(const skr_claims *claims, const char *path)
{
	size_t len = strlen(path);
	const skr_claim_value *value =
		skr_claims_find(claims, skr_claim_id(path, len), path, (uint32_t)len);
	cr_assert_not_null(value, "path %s is missing", path);
	return value;
}

static void assert_string(skr_value_view view, const char *bytes, size_t len)
{
	cr_assert_eq(view.type, SKR_TYPE_STRING);
	cr_assert_eq(view.len, len);
	cr_assert_eq(memcmp(view.str, bytes, len), 0);
}

/* ---- dotted paths ------------------------------------------------------- */

Test(claims, nested_path_found)
{
	skr_claims *claims = parse("{\"a\": {\"b\": {\"c\": \"x\"}}, \"d\": 1}");
	assert_string(lookup(claims, "a.b.c"), "x", 1);
	cr_assert_eq(lookup(claims, "a.b").type, SKR_TYPE_OBJECT);
	cr_assert_eq(lookup(claims, "a").type, SKR_TYPE_OBJECT);
	cr_assert_eq(lookup(claims, "d").i, 1);
	cr_assert(is_missing(claims, "a.b.c.d"));
	cr_assert(is_missing(claims, "a.c"));
	cr_assert(is_missing(claims, "b"));
	cr_assert(is_missing(claims, "A.b.c"), "paths are case-sensitive");
	cr_assert_eq(claims->count, 4);
	skr_claims_free(claims);
}

Test(claims, dotted_name_not_reached)
{
	skr_claims *claims = parse("{\"a.b\": 1}");
	cr_assert(is_missing(claims, "a.b"));
	cr_assert(is_missing(claims, "a"));
	cr_assert_eq(claims->count, 0);
	skr_claims_free(claims);
}

Test(claims, nested_member_wins_over_dotted)
{
	skr_claims *claims = parse("{\"a.b\": 1, \"a\": {\"b\": 2}}");
	skr_value_view view = lookup(claims, "a.b");
	cr_assert_eq(view.type, SKR_TYPE_INT);
	cr_assert_eq(view.i, 2);
	skr_claims_free(claims);

	claims = parse("{\"a\": {\"b\": 2}, \"a.b\": 1}");
	view = lookup(claims, "a.b");
	cr_assert_eq(view.type, SKR_TYPE_INT);
	cr_assert_eq(view.i, 2);
	skr_claims_free(claims);
}

Test(claims, dotted_subtree_skipped)
{
	skr_claims *claims = parse("{\"a.b\": {\"c\": 1}, \"x\": {\"y.z\": {\"w\": 1}}}");
	cr_assert(is_missing(claims, "a.b.c"));
	cr_assert(is_missing(claims, "x.y.z.w"));
	cr_assert(is_missing(claims, "x.y.z"));
	cr_assert_eq(lookup(claims, "x").type, SKR_TYPE_OBJECT);
	cr_assert_eq(claims->count, 1);
	skr_claims_free(claims);
}

Test(claims, intermediate_non_object_missing)
{
	skr_claims *claims = parse("{\"i\": 1, \"s\": \"x\", \"n\": null, \"t\": true, "
	                           "\"arr\": [{\"b\": 1}]}");
	cr_assert(is_missing(claims, "i.b"));
	cr_assert(is_missing(claims, "s.b"));
	cr_assert(is_missing(claims, "n.b"));
	cr_assert(is_missing(claims, "t.b"));
	cr_assert(is_missing(claims, "arr.b"));
	skr_claims_free(claims);
}

Test(claims, array_found_without_indexing)
{
	skr_claims *claims = parse("{\"arr\": [1, {\"k\": 2}, [3]], \"empty\": []}");
	cr_assert_eq(lookup(claims, "arr").type, SKR_TYPE_ARRAY);
	cr_assert_eq(lookup(claims, "empty").type, SKR_TYPE_ARRAY);
	cr_assert(is_missing(claims, "arr.0"));
	cr_assert(is_missing(claims, "arr.1"));
	cr_assert(is_missing(claims, "arr.1.k"));
	cr_assert(is_missing(claims, "arr.k"));
	cr_assert(is_missing(claims, "arr[0]"));
	cr_assert_eq(claims->count, 2);
	skr_claims_free(claims);
}

Test(claims, null_found_as_null)
{
	skr_claims *claims = parse("{\"n\": null, \"o\": {\"n\": null}}");
	skr_value_view view = lookup(claims, "n");
	cr_assert_eq(view.type, SKR_TYPE_NULL);
	cr_assert_null(view.str);
	cr_assert_eq(lookup(claims, "o.n").type, SKR_TYPE_NULL);
	const skr_claim_value *value = find(claims, "n");
	cr_assert_eq(value->num, SKR_NUM_NONE);
	cr_assert_eq(value->boolean, SKR_BOOL_NONE);
	skr_claims_free(claims);
}

Test(claims, empty_member_names)
{
	/* A path splits on '.', so "" names the empty top-level member and
	 * "a." the empty member inside "a". */
	skr_claims *claims = parse("{\"\": 1, \"a\": {\"\": 2}}");
	cr_assert_eq(lookup(claims, "").i, 1);
	cr_assert_eq(lookup(claims, "a.").i, 2);
	cr_assert(is_missing(claims, "."));
	skr_claims_free(claims);
}

Test(claims, empty_object)
{
	skr_claims *claims = parse(" {} ");
	cr_assert_eq(claims->count, 0);
	cr_assert_eq(claims->mask + 1, 8);
	cr_assert(is_missing(claims, ""));
	cr_assert(is_missing(claims, "a"));
	cr_assert_eq(skr_claims_issuer(claims, NULL, NULL), 0);
	skr_claims_free(claims);
}

/* ---- values and their views --------------------------------------------- */

Test(claims, number_values)
{
	skr_claims *claims = parse("{\"i\": 42, \"neg\": -7, \"z\": -0, \"d\": 1.5, "
	                           "\"one\": 1.0, \"e\": 1e2, \"nd\": -0.0}");
	skr_value_view view = lookup(claims, "i");
	cr_assert_eq(view.type, SKR_TYPE_INT);
	cr_assert_eq(view.i, 42);
	cr_assert_eq(lookup(claims, "neg").i, -7);

	view = lookup(claims, "z");
	cr_assert_eq(view.type, SKR_TYPE_INT, "-0 has no fraction or exponent");
	cr_assert_eq(view.i, 0);

	view = lookup(claims, "d");
	cr_assert_eq(view.type, SKR_TYPE_DOUBLE);
	cr_assert_eq(view.d, 1.5);
	view = lookup(claims, "one");
	cr_assert_eq(view.type, SKR_TYPE_DOUBLE, "1.0 has a fraction");
	cr_assert_eq(view.d, 1.0);
	view = lookup(claims, "e");
	cr_assert_eq(view.type, SKR_TYPE_DOUBLE, "1e2 has an exponent");
	cr_assert_eq(view.d, 100.0);
	view = lookup(claims, "nd");
	cr_assert_eq(view.type, SKR_TYPE_DOUBLE);
	cr_assert(view.d == 0.0 && signbit(view.d));

	const skr_claim_value *value = find(claims, "i");
	cr_assert_eq(value->num, SKR_NUM_INT);
	cr_assert_eq(value->n.i, 42);
	cr_assert_eq(value->boolean, SKR_BOOL_NONE);
	value = find(claims, "d");
	cr_assert_eq(value->num, SKR_NUM_DOUBLE);
	cr_assert_eq(value->n.d, 1.5);
	skr_claims_free(claims);
}

Test(claims, boolean_values)
{
	skr_claims *claims = parse("{\"t\": true, \"f\": false}");
	cr_assert_eq(lookup(claims, "t").type, SKR_TYPE_TRUE);
	cr_assert_eq(lookup(claims, "f").type, SKR_TYPE_FALSE);
	cr_assert_eq(find(claims, "t")->boolean, SKR_BOOL_TRUE);
	cr_assert_eq(find(claims, "f")->boolean, SKR_BOOL_FALSE);
	cr_assert_eq(find(claims, "t")->num, SKR_NUM_NONE);
	skr_claims_free(claims);
}

typedef struct numeric_case {
	const char *json;   /* the string value as written in JSON */
	int num;            /* expected SKR_NUM_* */
	int64_t i;
	double d;
} numeric_case;

Test(claims, numeric_string_views)
{
	static const numeric_case cases[] = {
		{ "\"10\"", SKR_NUM_INT, 10, 0 },
		{ "\"-1.5\"", SKR_NUM_DOUBLE, 0, -1.5 },
		{ "\"1e2\"", SKR_NUM_DOUBLE, 0, 100.0 },
		{ "\"0\"", SKR_NUM_INT, 0, 0 },
		{ "\"-0\"", SKR_NUM_INT, 0, 0 },
		{ "\"9223372036854775807\"", SKR_NUM_INT, INT64_MAX, 0 },
		{ "\"-9223372036854775808\"", SKR_NUM_INT, INT64_MIN, 0 },
		{ "\"1e-400\"", SKR_NUM_DOUBLE, 0, 0.0 },
		{ "\"+1\"", SKR_NUM_NONE, 0, 0 },
		{ "\" 1\"", SKR_NUM_NONE, 0, 0 },
		{ "\"1 \"", SKR_NUM_NONE, 0, 0 },
		{ "\"0x10\"", SKR_NUM_NONE, 0, 0 },
		{ "\"01\"", SKR_NUM_NONE, 0, 0 },
		{ "\"1.\"", SKR_NUM_NONE, 0, 0 },
		{ "\".5\"", SKR_NUM_NONE, 0, 0 },
		{ "\"1e400\"", SKR_NUM_NONE, 0, 0 },
		{ "\"99999999999999999999\"", SKR_NUM_NONE, 0, 0 },
		{ "\"9223372036854775808\"", SKR_NUM_NONE, 0, 0 },
		{ "\"NaN\"", SKR_NUM_NONE, 0, 0 },
		{ "\"\"", SKR_NUM_NONE, 0, 0 },
		{ "\"1\\u0000\"", SKR_NUM_NONE, 0, 0 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char json[128];
		snprintf(json, sizeof json, "{\"v\": %s}", cases[c].json);
		skr_claims *claims = parse(json);
		const skr_claim_value *value = find(claims, "v");
		cr_assert_eq(value->type, SKR_TYPE_STRING, "case %s", cases[c].json);
		cr_assert_eq(value->num, cases[c].num, "case %s: num %d", cases[c].json, value->num);
		if (cases[c].num == SKR_NUM_INT)
			cr_assert_eq(value->n.i, cases[c].i, "case %s", cases[c].json);
		if (cases[c].num == SKR_NUM_DOUBLE)
			cr_assert_eq(value->n.d, cases[c].d, "case %s", cases[c].json);
		cr_assert_eq(value->boolean, SKR_BOOL_NONE, "case %s", cases[c].json);
		skr_claims_free(claims);
	}
}

Test(claims, boolean_string_views)
{
	static const struct {
		const char *json;
		int boolean;
	} cases[] = {
		{ "\"true\"", SKR_BOOL_TRUE },
		{ "\"false\"", SKR_BOOL_FALSE },
		{ "\"tru\\u0065\"", SKR_BOOL_TRUE },
		{ "\"True\"", SKR_BOOL_NONE },
		{ "\"TRUE\"", SKR_BOOL_NONE },
		{ "\"true \"", SKR_BOOL_NONE },
		{ "\" false\"", SKR_BOOL_NONE },
		{ "\"true\\u0000\"", SKR_BOOL_NONE },
		{ "\"1\"", SKR_BOOL_NONE },
		{ "\"yes\"", SKR_BOOL_NONE },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char json[64];
		snprintf(json, sizeof json, "{\"v\": %s}", cases[c].json);
		skr_claims *claims = parse(json);
		const skr_claim_value *value = find(claims, "v");
		cr_assert_eq(value->type, SKR_TYPE_STRING, "case %s", cases[c].json);
		cr_assert_eq(value->boolean, cases[c].boolean, "case %s: boolean %d", cases[c].json,
		             value->boolean);
		skr_claims_free(claims);
	}
}

Test(claims, escaped_names_decoded)
{
	skr_claims *claims = parse("{\"x-ms-attestation\\u002dtype\": \"sevsnpvm\", "
	                           "\"t\\u00e9e\": {\"k\\\"q\": 1}}");
	assert_string(lookup(claims, "x-ms-attestation-type"), "sevsnpvm", 8);
	cr_assert(is_missing(claims, "x-ms-attestation\\u002dtype"));
	cr_assert_eq(lookup(claims, "t\xC3\xA9" "e.k\"q").i, 1);
	skr_claims_free(claims);
}

Test(claims, escaped_strings_decoded)
{
	skr_claims *claims = parse("{\"a\": \"\\u00e9\\n\\/\", \"emoji\": \"\\ud83d\\ude00\", "
	                           "\"raw\": \"\xC3\xA9\"}");
	assert_string(lookup(claims, "a"), "\xC3\xA9\n/", 4);
	assert_string(lookup(claims, "emoji"), "\xF0\x9F\x98\x80", 4);
	assert_string(lookup(claims, "raw"), "\xC3\xA9", 2);
	skr_claims_free(claims);
}

Test(claims, nul_in_string_kept)
{
	skr_claims *claims = parse("{\"v\": \"x\\u0000y\", \"z\": \"\\u0000\", \"e\": \"\"}");
	skr_value_view view = lookup(claims, "v");
	assert_string(view, "x\0y", 3);
	assert_string(lookup(claims, "z"), "\0", 1);
	view = lookup(claims, "e");
	cr_assert_eq(view.type, SKR_TYPE_STRING);
	cr_assert_eq(view.len, 0);
	cr_assert_not_null(view.str);
	skr_claims_free(claims);
}

/* ---- strict parsing ------------------------------------------------------ */

Test(claims, nul_in_name_rejected)
{
	size_t offset = expect_error("{\"a\\u0000\": 1}", "claims-nul-name");
	cr_assert_eq(offset, 1, "the span starts at the member name");
	expect_error("{\"o\": {\"\\u0000\": 1}}", "claims-nul-name");
	expect_error("{\"o\": [{\"\\u0000\": 1}]}", "claims-nul-name");
	expect_error("{\"a.b\": {\"\\u0000\": 1}}", "claims-nul-name");
}

Test(claims, duplicate_members_rejected)
{
	size_t offset = expect_error("{\"a\": 1, \"a\": 2}", "claims-json");
	cr_assert_eq(offset, 9, "the span starts at the second name");
	expect_error("{\"o\": {\"b\": 1, \"b\": 1}}", "claims-json");
	expect_error("{\"o\": {\"p\": {\"b\": null, \"c\": 0, \"b\": null}}}", "claims-json");
	expect_error("{\"a\": 1, \"\\u0061\": 2}", "claims-json");
	expect_error("{\"arr\": [{\"b\": 1, \"b\": 2}]}", "claims-json");
	expect_error("{\"a.b\": {\"c\": 1, \"c\": 2}}", "claims-json");
	expect_error("{\"iss\": \"x\", \"iss\": \"x\"}", "claims-json");

	skr_claims *claims = parse("{\"a\": 1, \"A\": 2, \"o\": {\"a\": 3}}");
	cr_assert_eq(lookup(claims, "A").i, 2, "names that differ in case are distinct");
	skr_claims_free(claims);
}

Test(claims, invalid_utf8_rejected)
{
	static const struct {
		const char *json;
		size_t len;
		size_t offset;   /* first byte of the invalid sequence */
	} cases[] = {
		{ LIT("{\"a\": \"\xFF\"}"), 7 },
		{ LIT("{\"a\": \"ab\x80\"}"), 9 },
		{ LIT("{\"a\": \"\xC0\xAF\"}"), 7 },           /* overlong '/' */
		{ LIT("{\"a\": \"\xED\xA0\x80\"}"), 7 },       /* encoded surrogate */
		{ LIT("{\"a\": \"\xF4\x90\x80\x80\"}"), 7 },   /* past U+10FFFF */
		{ LIT("{\"a\": \"\xE2\x82\"}"), 7 },           /* truncated */
		{ LIT("{\"\xC3\": 1}"), 2 },                   /* in a name */
		{ LIT("{\"o\": [\"ok\", \"\xFE\"]}"), 14 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t offset = expect_error_len(cases[c].json, cases[c].len, NULL, "claims-json");
		cr_assert_eq(offset, cases[c].offset, "case %zu: offset %zu", c, offset);
	}
}

Test(claims, unpaired_surrogates_rejected)
{
	expect_error("{\"a\": \"\\ud800\"}", "claims-json");
	expect_error("{\"a\": \"\\udc00\"}", "claims-json");
	expect_error("{\"a\": \"\\udbff\\u0041\"}", "claims-json");
	expect_error("{\"a\": \"\\ud800\\ud800\"}", "claims-json");
	expect_error("{\"a\": \"\\ud800x\"}", "claims-json");
	expect_error("{\"\\udfff\": 1}", "claims-json");

	skr_claims *claims = parse("{\"a\": \"\\uD83D\\uDE00\"}");
	assert_string(lookup(claims, "a"), "\xF0\x9F\x98\x80", 4);
	skr_claims_free(claims);
}

Test(claims, int64_bounds_exact)
{
	skr_claims *claims = parse("{\"max\": 9223372036854775807, \"min\": -9223372036854775808}");
	skr_value_view view = lookup(claims, "max");
	cr_assert_eq(view.type, SKR_TYPE_INT);
	cr_assert_eq(view.i, INT64_MAX);
	view = lookup(claims, "min");
	cr_assert_eq(view.type, SKR_TYPE_INT);
	cr_assert_eq(view.i, INT64_MIN);
	skr_claims_free(claims);

	size_t offset = expect_error("{\"a\": 9223372036854775808}", "claims-json");
	cr_assert_eq(offset, 6, "the span starts at the number");
	expect_error("{\"a\": -9223372036854775809}", "claims-json");
	expect_error("{\"a\": 99999999999999999999999999999999999999999999999999999999999999999"
	             "99999999999999999999999999999999999999999999999999999999999999999999999999"
	             "9999999999999999999999999999999999999999999999999999999999999999999999999}",
	             "claims-json");
}

Test(claims, double_overflow_rejected)
{
	size_t offset = expect_error("{\"a\": 1e400}", "claims-json");
	cr_assert_eq(offset, 6);
	expect_error("{\"a\": -1e400}", "claims-json");
	expect_error("{\"a\": 1.8e308}", "claims-json");
	expect_error("{\"o\": {\"a\": [1e99999]}}", "claims-json");
}

Test(claims, double_underflow_accepted)
{
	skr_claims *claims = parse("{\"u\": 1e-400, \"nu\": -1e-400, \"max\": 1.7976931348623157e308, "
	                           "\"sub\": 4.9e-324}");
	skr_value_view view = lookup(claims, "u");
	cr_assert_eq(view.type, SKR_TYPE_DOUBLE);
	cr_assert(view.d == 0.0 && !signbit(view.d));
	view = lookup(claims, "nu");
	cr_assert_eq(view.type, SKR_TYPE_DOUBLE);
	cr_assert(view.d == 0.0 && signbit(view.d));
	cr_assert_eq(lookup(claims, "max").d, 1.7976931348623157e308);
	cr_assert_gt(lookup(claims, "sub").d, 0.0, "subnormals keep their value");
	skr_claims_free(claims);
}

Test(claims, invalid_json_rejected)
{
	expect_error("{\"a\": 1,}", "claims-json");
	expect_error("{\"a\": 1} x", "claims-json");
	expect_error("{\"a\": 1}{}", "claims-json");
	expect_error("{'a': 1}", "claims-json");
	expect_error("{\"a\": 1 /* c */}", "claims-json");
	expect_error("{\"a\": NaN}", "claims-json");
	expect_error("{\"a\": 01}", "claims-json");
	expect_error("{\"a\": \"\\x\"}", "claims-json");
	expect_error("{\"a\": \"tab\there\"}", "claims-json");
	expect_error("{\"a\": \"open", "claims-json");
	expect_error("{\"a\": 1", "claims-json");
	expect_error("", "claims-json");
	expect_error(" \n\t", "claims-json");
	expect_error_len(LIT("{\"a\": 1}\0"), NULL, "claims-json");
}

Test(claims, byte_order_mark_rejected)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse(LIT("\xEF\xBB\xBF{}"), NULL, &diags, &claims), SKR_E_CLAIMS);
	cr_assert_null(claims);
	cr_assert_eq(diags.count, 1);
	cr_assert_str_eq(diags.items[0].code, "claims-json");
	cr_assert_eq(diags.items[0].offset, 0);
	cr_assert_eq(diags.items[0].length, 3);
	cr_assert_not_null(strstr(diags.items[0].message, "byte-order mark"), "message: %s",
	                   diags.items[0].message);
	skr_diags_free(&diags);
}

Test(claims, non_object_top_level_rejected)
{
	static const char *const inputs[] = {
		"\"{\\\"iss\\\": \\\"x\\\"}\"", "[]", "[{\"a\": 1}]", "1", "-1.5", "true", "false",
		"null", "  \"x\"  ",
	};
	for (size_t c = 0; c < sizeof inputs / sizeof inputs[0]; c++)
		expect_error(inputs[c], "claims-not-object");
	cr_assert_eq(expect_error("  [1]", "claims-not-object"), 2);
}

Test(claims, parse_argument_errors)
{
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse("{}", 2, NULL, NULL, NULL), SKR_E_USAGE);
	cr_assert_eq(skr_claims_parse(NULL, 2, NULL, NULL, &claims), SKR_E_USAGE);
	cr_assert_null(claims);
	cr_assert_eq(skr_claims_parse(NULL, 0, NULL, NULL, &claims), SKR_E_CLAIMS, "no input is empty");
	cr_assert_null(claims);

	/* diags may be NULL. */
	cr_assert_eq(skr_claims_parse("{\"a\": 1, \"a\": 1}", 16, NULL, NULL, &claims), SKR_E_CLAIMS);
	cr_assert_eq(skr_claims_parse("{\"a\": 1}", 8, NULL, NULL, &claims), SKR_OK);
	skr_claims_free(claims);
	skr_claims_free(NULL);
}

Test(claims, lookup_argument_errors)
{
	skr_claims *claims = parse("{\"a\": 1}");
	cr_assert_eq(skr_claims_lookup(NULL, "a", 1, NULL), 0);
	cr_assert_eq(skr_claims_lookup(claims, NULL, 1, NULL), 0);
	cr_assert_eq(skr_claims_lookup(claims, "a", 1, NULL), 1, "value may be NULL");
	cr_assert_eq(skr_claims_lookup(claims, "ab", 1, NULL), 1, "only len bytes count");
	cr_assert_eq(skr_claims_lookup(claims, "a\0", 2, NULL), 0);
	skr_claims_free(claims);
}

/* ---- limits ------------------------------------------------------------- */

/* Writes {"a":{"a":...{"a":1}...}} with depth objects into buf. */
static size_t nested_objects(char *buf, size_t cap, unsigned depth)
{
	size_t n = 0;
	for (unsigned d = 0; d < depth; d++) {
		cr_assert_lt(n + 5, cap);
		memcpy(buf + n, d + 1 < depth ? "{\"a\":" : "{}", d + 1 < depth ? 5 : 2);
		n += d + 1 < depth ? 5 : 2;
	}
	for (unsigned d = 1; d < depth; d++) {
		cr_assert_lt(n, cap);
		buf[n++] = '}';
	}
	return n;
}

Test(claims, depth_limit_custom)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.claims_depth = 3;

	skr_claims *claims = parse_len(LIT("{\"a\": {\"b\": {}}}"), &limits);
	cr_assert_eq(lookup(claims, "a.b").type, SKR_TYPE_OBJECT);
	skr_claims_free(claims);
	size_t offset = expect_error_len(LIT("{\"a\": {\"b\": {\"c\": {}}}}"), &limits, "claims-depth");
	cr_assert_eq(offset, 18, "the span is the first container past the limit");

	/* Arrays count as levels. */
	skr_claims_free(parse_len(LIT("{\"a\": [[1]]}"), &limits));
	expect_error_len(LIT("{\"a\": [[[1]]]}"), &limits, "claims-depth");
	expect_error_len(LIT("{\"a.b\": [{\"c\": []}]}"), &limits, "claims-depth");

	/* Brackets and quotes inside strings are text. */
	skr_claims_free(parse_len(LIT("{\"a\": \"{{[[\\\"{{\", \"b\\\"{[\": {}}"), &limits));

	limits.claims_depth = 1;
	skr_claims_free(parse_len(LIT("{\"a\": 1}"), &limits));
	expect_error_len(LIT("{\"a\": {}}"), &limits, "claims-depth");
	limits.claims_depth = 0;
	expect_error_len(LIT("{}"), &limits, "claims-depth");
}

Test(claims, depth_limit_default)
{
	char buf[256];
	size_t len = nested_objects(buf, sizeof buf, SKR_DEFAULT_CLAIMS_DEPTH);
	skr_claims *claims = parse_len(buf, len, NULL);
	cr_assert_eq(claims->count, SKR_DEFAULT_CLAIMS_DEPTH - 1);
	skr_claims_free(claims);

	len = nested_objects(buf, sizeof buf, SKR_DEFAULT_CLAIMS_DEPTH + 1);
	expect_error_len(buf, len, NULL, "claims-depth");
}

Test(claims, depth_past_jansson_maximum)
{
	/* jansson stops at 2048 levels whatever claims_depth is set to. */
	skr_limits limits;
	skr_limits_init(&limits);
	limits.claims_depth = 5000;
	static char buf[2 * 2100 + 16];
	size_t n = 0;
	buf[n++] = '{';
	memcpy(buf + n, "\"a\":", 4);
	n += 4;
	for (int d = 0; d < 2047; d++)
		buf[n++] = '[';
	for (int d = 0; d < 2047; d++)
		buf[n++] = ']';
	buf[n++] = '}';
	skr_claims_free(parse_len(buf, n, &limits));

	n = 5;
	for (int d = 0; d < 2048; d++)
		buf[n++] = '[';
	for (int d = 0; d < 2048; d++)
		buf[n++] = ']';
	buf[n++] = '}';
	expect_error_len(buf, n, &limits, "claims-depth");
	limits.claims_depth = 100;
	size_t offset = expect_error_len(buf, n, &limits, "claims-depth");
	cr_assert_eq(offset, 5 + 99, "the first container past depth 100");
}

Test(claims, member_limit_custom)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.claims_members = 3;

	skr_claims_free(parse_len(LIT("{\"a\": 1, \"b\": 2, \"c\": 3}"), &limits));
	size_t offset = expect_error_len(LIT("{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}"), &limits,
	                                 "claims-members");
	cr_assert_eq(offset, 25, "the span is the first member past the limit");

	/* Members count in all objects, indexed or not. */
	skr_claims_free(parse_len(LIT("{\"a\": {\"b\": {\"c\": 1}}}"), &limits));
	expect_error_len(LIT("{\"a\": [{\"b\": 1}, {\"c\": 1}], \"d\": 1}"), &limits, "claims-members");
	expect_error_len(LIT("{\"a.b\": {\"c\": 1, \"d\": 1, \"e\": 1}}"), &limits, "claims-members");

	/* Colons inside strings are text. */
	limits.claims_members = 1;
	skr_claims_free(parse_len(LIT("{\"a:b\": \"x:y:\\\":z\"}"), &limits));

	limits.claims_members = 0;
	skr_claims_free(parse_len(LIT("{}"), &limits));
	expect_error_len(LIT("{\"a\": 1}"), &limits, "claims-members");
}

/* Writes an object of count members "mNNNNN": N into a new buffer. */
static char *many_members(unsigned count, size_t *len)
{
	size_t cap = 32 + (size_t)count * 24;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n = 0;
	buf[n++] = '{';
	for (unsigned m = 0; m < count; m++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\"m%05u\":%u", m ? "," : "", m, m);
	buf[n++] = '}';
	*len = n;
	return buf;
}

Test(claims, member_limit_default)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.token_bytes = 1u << 20;

	size_t len;
	char *json = many_members(SKR_DEFAULT_CLAIMS_MEMBERS, &len);
	skr_claims *claims = parse_len(json, len, &limits);
	cr_assert_eq(claims->count, SKR_DEFAULT_CLAIMS_MEMBERS);
	skr_claims_free(claims);
	free(json);

	json = many_members(SKR_DEFAULT_CLAIMS_MEMBERS + 1, &len);
	expect_error_len(json, len, &limits, "claims-members");
	free(json);
}

Test(claims, size_limit)
{
	static const char json[] = "{\"a\": \"0123456789\"}";
	size_t len = sizeof json - 1;
	skr_limits limits;
	skr_limits_init(&limits);

	limits.token_bytes = len;
	skr_claims_free(parse_len(json, len, &limits));
	limits.token_bytes = len - 1;
	size_t offset = expect_error_len(json, len, &limits, "claims-size");
	cr_assert_eq(offset, len - 1, "the span starts at the first byte past the limit");
}

Test(claims, size_limit_default)
{
	/* {"a":"xxx...x"} padded to exactly the default token size. */
	size_t len = SKR_DEFAULT_TOKEN_BYTES;
	char *json = malloc(len + 1);
	cr_assert_not_null(json);
	memcpy(json, "{\"a\":\"", 6);
	memset(json + 6, 'x', len - 8);
	memcpy(json + len - 2, "\"}", 2);
	json[len] = ' ';

	skr_claims *claims = parse_len(json, len, NULL);
	cr_assert_eq(lookup(claims, "a").len, len - 8);
	skr_claims_free(claims);
	expect_error_len(json, len + 1, NULL, "claims-size");
	free(json);
}

/* Returns the first diagnostic's message of a parse that must fail. The
 * caller frees diags. */
static const char *error_message(const char *json, const skr_limits *limits, skr_diags *diags)
{
	skr_claims *claims = NULL;
	skr_diags_init(diags);
	cr_assert_eq(skr_claims_parse(json, strlen(json), limits, diags, &claims), SKR_E_CLAIMS);
	cr_assert_geq(diags->count, 1);
	return diags->items[0].message;
}

Test(claims, limit_messages_name_value)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.claims_depth = 2;
	limits.claims_members = 2;
	limits.token_bytes = 30;
	skr_diags diags;

	const char *message = error_message("{\"a\": {\"b\": {}}}", &limits, &diags);
	cr_assert_not_null(strstr(message, "depth limit of 2"), "message: %s", message);
	skr_diags_free(&diags);

	message = error_message("{\"a\": 1, \"b\": 2, \"c\": 3}", &limits, &diags);
	cr_assert_not_null(strstr(message, "member limit"), "message: %s", message);
	cr_assert_not_null(strstr(message, " 2 "), "message: %s", message);
	skr_diags_free(&diags);

	message = error_message("{\"a\": \"0123456789012345678901234\"}", &limits, &diags);
	cr_assert_not_null(strstr(message, "size limit of 30 bytes"), "message: %s", message);
	skr_diags_free(&diags);
}

/* ---- issuer and index ---------------------------------------------------- */

Test(claims, issuer_found)
{
	skr_claims *claims = parse("{\"o\": {\"iss\": \"inner\"}, \"iss\": \"https://a.example/\"}");
	const char *text = NULL;
	size_t len = 0;
	cr_assert_eq(skr_claims_issuer(claims, &text, &len), 1);
	cr_assert_eq(len, strlen("https://a.example/"));
	cr_assert_eq(memcmp(text, "https://a.example/", len), 0);
	skr_claims_free(claims);
}

Test(claims, issuer_absent_or_not_string)
{
	static const char *const inputs[] = {
		"{}", "{\"iss\": 1}", "{\"iss\": null}", "{\"iss\": [\"x\"]}", "{\"iss\": {\"x\": 1}}",
		"{\"o\": {\"iss\": \"x\"}}", "{\"iss.x\": \"x\"}",
	};
	for (size_t c = 0; c < sizeof inputs / sizeof inputs[0]; c++) {
		skr_claims *claims = parse(inputs[c]);
		const char *text = "unchanged";
		cr_assert_eq(skr_claims_issuer(claims, &text, NULL), 0, "input %s", inputs[c]);
		cr_assert_str_eq(text, "unchanged");
		skr_claims_free(claims);
	}
	cr_assert_eq(skr_claims_issuer(NULL, NULL, NULL), 0);
}

Test(claims, issuer_with_nul)
{
	skr_claims *claims = parse("{\"iss\": \"a\\u0000b\"}");
	const char *text = NULL;
	size_t len = 0;
	cr_assert_eq(skr_claims_issuer(claims, &text, &len), 1);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(text, "a\0b", 3), 0);
	skr_claims_free(claims);
}

/* Checks the table invariants skr_claims_find relies on. */
static void assert_table_valid(const skr_claims *claims)
{
	uint32_t slot_count = claims->mask + 1;
	cr_assert_eq(slot_count & claims->mask, 0, "slot count %u is a power of two", slot_count);
	cr_assert_geq(slot_count, 8);
	cr_assert_geq(slot_count, 2 * (uint64_t)claims->count);
	uint32_t used = 0;
	for (uint32_t s = 0; s < slot_count; s++) {
		if (claims->slots[s] == 0)
			continue;
		used++;
		cr_assert_leq(claims->slots[s], claims->count);
	}
	cr_assert_eq(used, claims->count);
	for (uint32_t n = 0; n < claims->count; n++) {
		const skr_claim_node *node = &claims->nodes[n];
		cr_assert_eq(node->id, skr_claim_id(node->path, node->path_len));
		cr_assert_eq(node->path[node->path_len], '\0');
		cr_assert_eq(skr_claims_find(claims, node->id, node->path, node->path_len), &node->value);
	}
}

Test(claims, many_members_all_found)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.token_bytes = 1u << 20;

	size_t len;
	char *json = many_members(5000, &len);
	skr_claims *claims = parse_len(json, len, &limits);
	free(json);
	cr_assert_eq(claims->count, 5000);
	assert_table_valid(claims);
	for (unsigned m = 0; m < 5000; m++) {
		char path[16];
		snprintf(path, sizeof path, "m%05u", m);
		skr_value_view view = lookup(claims, path);
		cr_assert_eq(view.type, SKR_TYPE_INT);
		cr_assert_eq(view.i, m);
	}
	cr_assert(is_missing(claims, "m05000"));
	cr_assert(is_missing(claims, "m"));
	skr_claims_free(claims);
}

Test(claims, nested_table_valid)
{
	skr_claims *claims = parse("{\"a\": {\"b\": {\"c\": 1, \"d\": [1]}, \"e\": \"s\"}, \"f\": null}");
	cr_assert_eq(claims->count, 6);
	assert_table_valid(claims);
	skr_claims_free(claims);
}

/* ---- real MAA tokens ----------------------------------------------------- */

/* Decodes unpadded base64url into a malloc'd buffer. Returns NULL when text
 * contains a character outside the alphabet or has an impossible length. */
static unsigned char *base64url_decode(const char *text, size_t len, size_t *out_len)
{
	if (len % 4 == 1)
		return NULL;
	unsigned char *out = malloc(len / 4 * 3 + 3);
	if (!out)
		return NULL;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	*out_len = n;
	return out;
}

/* Reads a file of the shared corpus, or returns NULL and logs a skip when
 * the file is absent. */
static char *read_corpus(const char *name, size_t *len)
{
	const char *shared = getenv("SKR_SHARED");
	char path[1024];
	snprintf(path, sizeof path, "%s/corpus/real/%s", shared ? shared : "../shared", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		test_skip("skipped: %s not found (set SKR_SHARED to the shared directory)", path);
		return NULL;
	}
	char *buf = malloc(1 << 20);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* Parses the payload (middle part) of a compact JWS from the corpus. */
static skr_claims *parse_token_payload(const char *name)
{
	size_t len;
	char *token = read_corpus(name, &len);
	if (!token)
		return NULL;
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
		len--;
	char *first = memchr(token, '.', len);
	cr_assert_not_null(first, "%s is not a compact JWS", name);
	char *second = memchr(first + 1, '.', len - (size_t)(first + 1 - token));
	cr_assert_not_null(second, "%s is not a compact JWS", name);

	size_t payload_len;
	unsigned char *payload = base64url_decode(first + 1, (size_t)(second - first - 1), &payload_len);
	cr_assert_not_null(payload, "%s: payload is not base64url", name);
	skr_claims *claims = parse_len((const char *)payload, payload_len, NULL);
	free(payload);
	free(token);
	return claims;
}

Test(claims, maa_cvm_token_2023)
{
	skr_claims *claims = parse_token_payload("maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt");
	if (!claims)
		return;
	assert_string(lookup(claims, "x-ms-isolation-tee.x-ms-attestation-type"), "sevsnpvm", 8);
	cr_assert_eq(lookup(claims, "x-ms-isolation-tee.x-ms-runtime.vm-configuration.secure-boot").type,
	             SKR_TYPE_TRUE);
	assert_string(lookup(claims, "x-ms-attestation-type"), "azurevm", 7);
	cr_assert_eq(lookup(claims, "x-ms-isolation-tee.x-ms-sevsnpvm-guestsvn").i, 4);
	cr_assert_eq(lookup(claims, "x-ms-isolation-tee.x-ms-runtime.keys").type, SKR_TYPE_ARRAY);
	cr_assert_eq(lookup(claims, "exp").i, 1680202174);
	cr_assert(is_missing(claims, "x-ms-sevsnpvm-guestsvn"));

	const char *iss = NULL;
	size_t iss_len = 0;
	cr_assert_eq(skr_claims_issuer(claims, &iss, &iss_len), 1);
	cr_assert_eq(iss_len, strlen("https://sharedweu.weu.attest.azure.net"));
	cr_assert_eq(memcmp(iss, "https://sharedweu.weu.attest.azure.net", iss_len), 0);
	assert_table_valid(claims);
	skr_claims_free(claims);
}

Test(claims, maa_cvm_token_2022)
{
	skr_claims *claims = parse_token_payload("maa-cvm-sevsnp-azurevm-sharedweu-2022-12.jwt");
	if (!claims)
		return;
	assert_string(lookup(claims, "x-ms-isolation-tee.x-ms-attestation-type"), "sevsnpvm", 8);
	assert_table_valid(claims);
	skr_claims_free(claims);
}

Test(claims, maa_other_tokens_parse)
{
	static const char *const names[] = {
		"maa-trustedlaunch-azurevm-sharedeus2-2022-04.jwt",
		"maa-sgx-sharedeus-2023-09.jwt",
	};
	for (size_t c = 0; c < sizeof names / sizeof names[0]; c++) {
		skr_claims *claims = parse_token_payload(names[c]);
		if (!claims)
			return;
		cr_assert_eq(skr_claims_issuer(claims, NULL, NULL), 1, "%s has an issuer", names[c]);
		assert_table_valid(claims);
		skr_claims_free(claims);
	}
}

Test(claims, maa_sample_payloads_parse)
{
	static const char *const names[] = {
		"maa-docs-sevsnp-sample-payload.json",
		"maa-azurevm-guest-sample-payload.json",
	};
	for (size_t c = 0; c < sizeof names / sizeof names[0]; c++) {
		size_t len;
		char *json = read_corpus(names[c], &len);
		if (!json)
			return;
		skr_claims *claims = parse_len(json, len, NULL);
		free(json);
		cr_assert_eq(skr_claims_issuer(claims, NULL, NULL), 1, "%s has an issuer", names[c]);
		assert_table_valid(claims);
		skr_claims_free(claims);
	}
}
