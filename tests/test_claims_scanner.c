/*
 * Differential tests of the claims scanner (skr_claims_parse) against the
 * jansson reference (skr_claims_parse_reference): a table of hard inputs,
 * nesting at jansson's maximum depth, a few hundred thousand generated and
 * mutated texts, and the real MAA payloads. claims_diff.h defines what
 * counts as the same result.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "claims_diff.h"
#include "skr.h"
#include "tokens.h"

/* Length of a string literal, counting embedded NUL bytes. */
#define LIT(s) (s), (sizeof(s) - 1)

typedef struct text_case {
	const char *json;
	size_t len;
} text_case;

/* Requires both parsers to return the same result on json under limits. */
static void assert_agree(const char *json, size_t len, const skr_limits *limits)
{
	char difference[512];
	int differs = claims_diff_parse(json, len, limits, NULL, NULL, difference,
	                                sizeof difference);
	cr_assert_eq(differs, 0, "input (%zu bytes) %.*s: %s", len, len > 300 ? 300 : (int)len, json,
	             difference);
}

/* The limit profiles every table input runs under: the defaults, then
 * limits small enough that the table crosses them. */
static size_t limit_profiles(skr_limits profiles[5], size_t len)
{
	for (size_t p = 0; p < 5; p++)
		skr_limits_init(&profiles[p]);
	profiles[1].claims_depth = 3;
	profiles[1].claims_members = 3;
	profiles[2].claims_depth = 1;
	profiles[2].claims_members = 0;
	profiles[3].claims_depth = 0;
	profiles[4].token_bytes = len > 0 ? len - 1 : 0;
	return 5;
}

static void assert_agree_all_limits(const char *json, size_t len)
{
	skr_limits profiles[5];
	size_t count = limit_profiles(profiles, len);
	assert_agree(json, len, NULL);
	for (size_t p = 0; p < count; p++)
		assert_agree(json, len, &profiles[p]);
}

/* Parses with the scanner and returns its status, and the first
 * diagnostic's code in *code (NULL on success). */
static skr_status scan_status(const char *json, size_t len, const skr_limits *limits,
                              const char **code)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_claims *claims = NULL;
	skr_status status = skr_claims_parse(json, len, limits, &diags, &claims);
	*code = diags.count ? diags.items[0].code : NULL;
	skr_claims_free(claims);
	skr_diags_free(&diags);
	return status;
}

/* ---- table of hard inputs ----------------------------------------------- */

static const text_case structure_cases[] = {
	{ LIT("{}") }, { LIT(" \t\r\n{ }\n") }, { LIT("{\"a\":1}") },
	{ LIT("{\"a\": {\"b\": {\"c\": \"x\"}}, \"d\": 1}") },
	{ LIT("{\"a.b\": 1, \"a\": {\"b\": 2}}") }, { LIT("{\"a\": {\"b\": 2}, \"a.b\": 1}") },
	{ LIT("{\"a.b\": {\"c\": 1}, \"x\": {\"y.z\": {\"w\": 1}}}") },
	{ LIT("{\"a\\u002eb\": 1, \"a\": {\"b\\u002ec\": {\"d\": 1}}}") },
	{ LIT("{\"arr\": [1, {\"k\": 2}, [3]], \"empty\": [], \"o\": {}}") },
	{ LIT("{\"\": 1, \"a\": {\"\": 2}, \"b\": {\"\": {\"\": 3}}}") },
	{ LIT("{\"iss\": \"x\"}") }, { LIT("{\"iss\": 1}") }, { LIT("{\"iss\": null}") },
	{ LIT("{\"iss\": {\"iss\": \"x\"}}") }, { LIT("{\"o\": {\"iss\": \"x\"}}") },
	{ LIT("{\"\\u0069ss\": \"escaped\"}") }, { LIT("{\"iss\": \"a\\u0000b\"}") },
	{ LIT("{\"iss.x\": \"x\"}") }, { LIT("{\"t\": true, \"f\": false, \"n\": null}") },
	{ LIT("{\"a\":1,}") }, { LIT("{,}") }, { LIT("{\"a\" 1}") }, { LIT("{\"a\":1 \"b\":2}") },
	{ LIT("{\"a\"::1}") }, { LIT("{\"a\":[1,]}") }, { LIT("{\"a\":[,1]}") }, { LIT("{\"a\":[1 2]}") },
	{ LIT("{\"a\":}") }, { LIT("{\"a\":1]") }, { LIT("{\"a\":[1}") }, { LIT("{\"a\":1}}") },
	{ LIT("{\"a\":1} x") }, { LIT("{\"a\":1}{}") }, { LIT("{\"a\":1}\0") }, { LIT("{'a':1}") },
	{ LIT("{\"a\":1 /* c */}") }, { LIT("{\"a\":1} // c") }, { LIT("{\"a\":tru}") },
	{ LIT("{\"a\":truex}") }, { LIT("{\"a\":nul}") }, { LIT("{\"a\":True}") },
	{ LIT("{\"a\":nulll}") }, { LIT("{\"a\":\"open") }, { LIT("{\"a\":1") }, { LIT("{\"a\"") },
	{ LIT("{\"a") }, { LIT("{") }, { LIT("") }, { LIT(" \n\t") }, { LIT("\xEF\xBB\xBF{}") },
	{ LIT("{}\xEF\xBB\xBF") }, { LIT("\xC3\xA9") }, { LIT("{\"a\":1}\xFF") }, { LIT("{\xFF}") },
	{ LIT("{\"a\":1\xFF}") }, { LIT("{\"a\":\xC3\xA9}") }, { LIT("{\"a\":1,\"b\"}") },
	{ LIT("{\"a\":[1,2,3],\"b\":[[[]]],\"c\":[{}]}") }, { LIT("{\"a\":[\"x\",{\"y\":[null]}]}") },
	{ LIT("{\"a\":1}\r\n") }, { LIT("{\"a\":\v1}") }, { LIT("{\"a\":\f1}") },
	{ LIT("{\"a\":\xC2\xA0" "1}") }, { LIT("[]") }, { LIT("[{\"a\":1}]") }, { LIT("1") },
	{ LIT("-1.5") }, { LIT("true") }, { LIT("false") }, { LIT("null") }, { LIT("\"x\"") },
	{ LIT("  \"{\\\"iss\\\": \\\"x\\\"}\"  ") }, { LIT("[1,{\"a\":1,\"a\":2}]") }, { LIT("[1") },
	{ LIT("\"\\ud800\"") }, { LIT("1 2") }, { LIT("[{\"\\u0000\":1}]") }, { LIT("1e400") },
	{ LIT("[[[[[[]]]]]]") }, { LIT("tru") }, { LIT("nan") },
};

static const text_case number_cases[] = {
	{ LIT("{\"n\":0}") }, { LIT("{\"n\":-0}") }, { LIT("{\"n\":-0.0}") }, { LIT("{\"n\":0.0}") },
	{ LIT("{\"n\":0e0}") }, { LIT("{\"n\":-0e-0}") }, { LIT("{\"n\":1E2}") }, { LIT("{\"n\":1e+2}") },
	{ LIT("{\"n\":1e-2}") }, { LIT("{\"n\":9223372036854775807}") },
	{ LIT("{\"n\":-9223372036854775808}") }, { LIT("{\"n\":9223372036854775808}") },
	{ LIT("{\"n\":-9223372036854775809}") }, { LIT("{\"n\":18446744073709551616}") },
	{ LIT("{\"n\":100000000000000000000000000000}") }, { LIT("{\"n\":1e400}") },
	{ LIT("{\"n\":-1e400}") }, { LIT("{\"n\":1e-400}") }, { LIT("{\"n\":-1e-400}") },
	{ LIT("{\"n\":4.9e-324}") }, { LIT("{\"n\":2.4703282292062327e-324}") },
	{ LIT("{\"n\":2.4703282292062328e-324}") }, { LIT("{\"n\":2.2250738585072011e-308}") },
	{ LIT("{\"n\":1.7976931348623157e308}") }, { LIT("{\"n\":1.7976931348623158e308}") },
	{ LIT("{\"n\":1.7976931348623159e308}") }, { LIT("{\"n\":1.8e308}") }, { LIT("{\"n\":0.1}") },
	{ LIT("{\"n\":123456789012345678901234567890.5}") }, { LIT("{\"n\":1.0000000000000002}") },
	{ LIT("{\"n\":9007199254740993.0}") }, { LIT("{\"n\":1e99999999999999999999}") },
	{ LIT("{\"n\":1e-99999999999999999999}") },
	{ LIT("{\"n\":0.00000000000000000000000000000000000000000000000000000000000000000000000001}") },
	{ LIT("{\"n\":1234567890123456789012345678901234567890123456789012345678901234567890.0}") },
	{ LIT("{\"n\":01}") }, { LIT("{\"n\":00}") }, { LIT("{\"n\":-01}") }, { LIT("{\"n\":1.}") },
	{ LIT("{\"n\":.5}") }, { LIT("{\"n\":+1}") }, { LIT("{\"n\":-}") }, { LIT("{\"n\":1e}") },
	{ LIT("{\"n\":1e+}") }, { LIT("{\"n\":1E-}") }, { LIT("{\"n\":0x10}") },
	{ LIT("{\"n\":Infinity}") }, { LIT("{\"n\":-Infinity}") }, { LIT("{\"n\":NaN}") },
	{ LIT("{\"n\":1.5e3.2}") }, { LIT("{\"n\":1-2}") }, { LIT("{\"n\":--1}") }, { LIT("{\"n\":1ee2}") },
	{ LIT("{\"n\":-") }, { LIT("{\"n\":1.") }, { LIT("{\"n\":1e") }, { LIT("{\"n\":12") },
	{ LIT("{\"s\":\"10\",\"t\":\"-1.5\",\"u\":\"1e400\",\"v\":\"01\",\"w\":\"1e-400\"}") },
	{ LIT("{\"s\":\"9223372036854775808\",\"t\":\" 1\",\"u\":\"+1\",\"v\":\"-0\"}") },
};

static const text_case string_cases[] = {
	{ LIT("{\"s\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}") },
	{ LIT("{\"s\":\"\\u00e9\\u4e2d\\ud83d\\ude00\\u0000\\u001f\\u007f\"}") },
	{ LIT("{\"s\":\"\\uD83D\\uDE00\\uDBFF\\uDFFF\"}") }, { LIT("{\"s\":\"\\ud800\"}") },
	{ LIT("{\"s\":\"\\udc00\"}") }, { LIT("{\"s\":\"\\ud800\\u0041\"}") },
	{ LIT("{\"s\":\"\\ud800\\ud800\"}") }, { LIT("{\"s\":\"\\ud800\\udbff\"}") },
	{ LIT("{\"s\":\"\\ud800\\u\"}") }, { LIT("{\"s\":\"\\ud800\\\"}") }, { LIT("{\"s\":\"\\ud800x\"}") },
	{ LIT("{\"s\":\"\\ud800\\uzzzz\"}") }, { LIT("{\"s\":\"\\u12\"}") }, { LIT("{\"s\":\"\\u12G4\"}") },
	{ LIT("{\"s\":\"\\x\"}") }, { LIT("{\"s\":\"\\'\"}") }, { LIT("{\"s\":\"\\U0041\"}") },
	{ LIT("{\"s\":\"\\\"}") }, { LIT("{\"s\":\"\\") }, { LIT("{\"s\":\"\\u00") },
	{ LIT("{\"s\":\"a\tb\"}") }, { LIT("{\"s\":\"a\nb\"}") }, { LIT("{\"s\":\"\x7F\"}") },
	{ LIT("{\"s\":\"\x1F\"}") }, { LIT("{\"s\":\"a\0b\"}") }, { LIT("{\"s\":\"\xC0\xAF\"}") },
	{ LIT("{\"s\":\"\xC1\xBF\"}") }, { LIT("{\"s\":\"\xE0\x80\xAF\"}") },
	{ LIT("{\"s\":\"\xED\xA0\x80\"}") }, { LIT("{\"s\":\"\xED\x9F\xBF\"}") },
	{ LIT("{\"s\":\"\xF4\x90\x80\x80\"}") }, { LIT("{\"s\":\"\xF4\x8F\xBF\xBF\"}") },
	{ LIT("{\"s\":\"\xF0\x8F\xBF\xBF\"}") }, { LIT("{\"s\":\"\xF0\x9F\x98\x80\"}") },
	{ LIT("{\"s\":\"\xEF\xBF\xBF\"}") }, { LIT("{\"s\":\"\xE2\x82\"}") }, { LIT("{\"s\":\"\x80\"}") },
	{ LIT("{\"s\":\"\xF5\x80\x80\x80\"}") }, { LIT("{\"s\":\"\xFF\"}") }, { LIT("{\"s\":\"\xC3\"") },
	{ LIT("{\"s\":\"abcdefgh\xC3\xA9ijklmnopqrstuvwxyz0123456789\\\"abcdefghijk\xE4\xB8\xAD\"}") },
	{ LIT("{\"s\":\"0123456789abcdef0123456789abcdef\x01\"}") },
	{ LIT("{\"s\":\"0123456789abcdef0123456789abcdef\\q\"}") },
	{ LIT("{\"s\":\"true\",\"t\":\"tru\\u0065\",\"f\":\"false\",\"x\":\"True\"}") },
	{ LIT("{\"\xC3\xA9\\u00e9\":{\"k\\\"q\":1}}") }, { LIT("{\"\\ud83d\\ude00\":1}") },
};

static const text_case name_cases[] = {
	{ LIT("{\"a\\u0000\":1}") }, { LIT("{\"\\u0000\":1}") }, { LIT("{\"o\":{\"\\u0000\":1}}") },
	{ LIT("{\"o\":[{\"\\u0000\":1}]}") }, { LIT("{\"a.b\":{\"\\u0000\":1}}") },
	{ LIT("{\"\\u0000\\ud800\":1}") }, { LIT("{\"\\u0000\":}") },
	{ LIT("{\"a\\u0000\":1,\"a\\u0000\":2}") }, { LIT("{\"a\":1,\"a\\u0000\":2}") },
	{ LIT("{\"a\":1,\"a\":2}") }, { LIT("{\"a\":1,\"\\u0061\":2}") }, { LIT("{\"\\u0061\":1,\"a\":2}") },
	{ LIT("{\"o\":{\"b\":1,\"b\":1}}") }, { LIT("{\"arr\":[{\"b\":1,\"b\":2}]}") },
	{ LIT("{\"a.b\":{\"c\":1,\"c\":2}}") }, { LIT("{\"iss\":\"x\",\"iss\":\"x\"}") },
	{ LIT("{\"a\":1,\"a\":2") }, { LIT("{\"a\":1,\"a\"") }, { LIT("{\"a\":1,\"a\" 2}") },
	{ LIT("{\"a\":1,\"A\":2,\"o\":{\"a\":3}}") }, { LIT("{\"a\":{\"x\":1},\"b\":{\"x\":1}}") },
	{ LIT("{\"a\":{\"x\":1,\"y\":{\"x\":2}},\"x\":3}") },
	{ LIT("{\"\\ud83d\\ude00\":1,\"\xF0\x9F\x98\x80\":2}") },
	{ LIT("{\"\\/\":1,\"/\":2}") }, { LIT("{\"\\u00e9\":1,\"\xC3\xA9\":2}") },
	{ LIT("{\"m1\":1,\"m2\":1,\"m3\":1,\"m4\":1,\"m5\":1,\"m6\":1,\"m7\":1,\"m8\":1,\"m9\":1,"
	      "\"m10\":1,\"m11\":1,\"m12\":1,\"m13\":1,\"m14\":1,\"m15\":1,\"m16\":1,\"m17\":1,\"m7\":1}") },
	{ LIT("{\"a\":{\"b\":{\"c\":{\"d\":1,\"d\":2}}}}") },
	{ LIT("{\"a\":{\"b\":{\"c\":{\"d\":1}}},\"e\":1,\"f\":1,\"g\":1,\"g\":1}") },
	{ LIT("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":{\"f\":{\"g\":{\"h\":{}}}}}") },
	{ LIT("{\"a\":{\"b\":{\"c\":{\"d\":{}}}},\"e\":1,\"f\":2,\"g\":3}") },
	{ LIT("{\"a\":{\"b\":{\"c\":{\"d\":{}}}},\"e\":1,\"f\":2,\"g\":3,\"h\":1x}") },
	{ LIT("{\"a\":{\"b\":{\"c\":{\"d\":{}}}},\"e\":1,\"f\":2,\"g\":3,\"\\u0000\":1}") },
	{ LIT("[[[[[{\"a\":1,\"b\":2,\"c\":3,\"d\":4}]]]]]") },
};

static void assert_table_agrees(const text_case *cases, size_t count)
{
	for (size_t c = 0; c < count; c++)
		assert_agree_all_limits(cases[c].json, cases[c].len);
}

Test(claims_scanner, structure_table_agrees)
{
	assert_table_agrees(structure_cases, sizeof structure_cases / sizeof structure_cases[0]);
}

Test(claims_scanner, number_table_agrees)
{
	assert_table_agrees(number_cases, sizeof number_cases / sizeof number_cases[0]);
}

Test(claims_scanner, string_table_agrees)
{
	assert_table_agrees(string_cases, sizeof string_cases / sizeof string_cases[0]);
}

Test(claims_scanner, name_table_agrees)
{
	assert_table_agrees(name_cases, sizeof name_cases / sizeof name_cases[0]);
}

/* Every proper prefix of a valid document is invalid in the same way for
 * both parsers. */
Test(claims_scanner, truncations_agree)
{
	static const char doc[] =
		"{\"iss\": \"https://a.example\", \"n\": -12.5e-3, \"o\": {\"s\": \"\\u00e9\\ud83d\\ude00\\n\","
		" \"t\": true, \"a\": [1, {\"x\": null}, []], \"f\": false}, \"z\": 0}";
	for (size_t len = 0; len <= sizeof doc - 1; len++)
		assert_agree_all_limits(doc, len);
}

/* ---- differences and limits the scanner is held to ---------------------- */

Test(claims_scanner, raw_nul_after_number_rejected)
{
	/* jansson 2.14 skips this NUL byte and accepts the text. */
	static const text_case cases[] = {
		{ LIT("{\"a\":1\0}") }, { LIT("{\"a\":true\0}") }, { LIT("{\"a\":[1\0]}") },
		{ LIT("{\"a\":1.5\0,\"b\":2}") },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const char *code = NULL;
		cr_assert_eq(scan_status(cases[c].json, cases[c].len, NULL, &code), SKR_E_CLAIMS,
		             "case %zu", c);
		cr_assert_str_eq(code, "claims-json", "case %zu", c);
		assert_agree(cases[c].json, cases[c].len, NULL);
	}
}

/* Writes {"a": followed by depth - 1 containers opened with open into a new
 * buffer, then tail, then closes every container. */
static char *nested(unsigned depth, char open, const char *tail, size_t tail_len, size_t *len)
{
	size_t cap = 16 + (size_t)depth * 12 + tail_len;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n = 0;
	memcpy(buf, "{\"a\":", 5);
	n = 5;
	for (unsigned d = 1; d < depth; d++) {
		if (open == '{') {
			memcpy(buf + n, "{\"a\":", 5);
			n += 5;
		} else {
			buf[n++] = '[';
		}
	}
	memcpy(buf + n, tail, tail_len);
	n += tail_len;
	for (unsigned d = 1; d < depth; d++)
		buf[n++] = open == '{' ? '}' : ']';
	buf[n++] = '}';
	*len = n;
	return buf;
}

Test(claims_scanner, maximum_nesting_agrees)
{
	/* The first token of a value nested inside 2048 containers decides the
	 * reference's code, so every kind of token is tried there. */
	static const text_case tails[] = {
		{ LIT("") }, { LIT("1") }, { LIT("\"x\"") }, { LIT("1e400") }, { LIT("99999999999999999999") },
		{ LIT("\"\\ud800\"") }, { LIT("\"\\u0000\"") }, { LIT("\"a\tb\"") }, { LIT("\xFF") },
		{ LIT("1\xFF") }, { LIT("1.\xFF") }, { LIT("-\xFF") }, { LIT("tru\xFF") }, { LIT("x") },
		{ LIT("{}") }, { LIT("[]") }, { LIT("{\"b\":1}") }, { LIT("[1]") }, { LIT("-") }, { LIT("01") },
		{ LIT("1.") }, { LIT("\xC3\xA9") }, { LIT("\xE2\x82") }, { LIT("true") }, { LIT("nul") },
		{ LIT(",") }, { LIT("]") }, { LIT("}") }, { LIT(":") }, { LIT(" \n") }, { LIT("\"open") },
	};
	static const unsigned depths[] = { 2046, 2047, 2048, 2049, 2050 };
	skr_limits limits[4];
	for (size_t l = 0; l < 4; l++)
		skr_limits_init(&limits[l]);
	limits[1].claims_depth = 5000;
	limits[2].claims_depth = 2048;
	limits[3].claims_depth = 2049;
	limits[3].claims_members = 100;

	for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
		for (int kind = 0; kind < 2; kind++) {
			for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
				size_t len;
				char *json = nested(depths[d], kind ? '{' : '[', tails[t].json, tails[t].len, &len);
				/* The whole text, and the text cut right after the tail. */
				size_t cut = len - depths[d];
				for (size_t l = 0; l < 4; l++) {
					assert_agree(json, len, &limits[l]);
					assert_agree(json, cut, &limits[l]);
				}
				free(json);
			}
		}
	}
}

Test(claims_scanner, maximum_nesting_codes)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.claims_depth = 5000;
	const char *code = NULL;
	size_t len;

	/* 2047 arrays inside the object: a value inside them is level 2049. */
	char *json = nested(2048, '[', LIT("1"), &len);
	cr_assert_eq(scan_status(json, len, &limits, &code), SKR_E_CLAIMS);
	cr_assert_str_eq(code, "claims-depth");
	free(json);

	json = nested(2048, '[', LIT(""), &len);
	cr_assert_eq(scan_status(json, len, &limits, &code), SKR_OK);
	free(json);

	json = nested(2048, '[', LIT("1e400"), &len);
	cr_assert_eq(scan_status(json, len, &limits, &code), SKR_E_CLAIMS);
	cr_assert_str_eq(code, "claims-json", "the token's own error comes first");
	free(json);
}

/* Writes an object of count members "mNNNNN": N, with the last name
 * repeating the first when duplicate is set. */
static char *many_members(unsigned count, int duplicate, size_t *len)
{
	size_t cap = 32 + (size_t)count * 24;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n = 0;
	buf[n++] = '{';
	for (unsigned m = 0; m < count; m++) {
		unsigned name = duplicate && m + 1 == count ? 0 : m;
		n += (size_t)snprintf(buf + n, cap - n, "%s\"m%05u\":%u", m ? "," : "", name, m);
	}
	buf[n++] = '}';
	*len = n;
	return buf;
}

Test(claims_scanner, large_object_members_agree)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.token_bytes = 1u << 20;

	size_t len;
	char *json = many_members(SKR_DEFAULT_CLAIMS_MEMBERS, 0, &len);
	assert_agree(json, len, &limits);
	free(json);

	json = many_members(SKR_DEFAULT_CLAIMS_MEMBERS, 1, &len);
	const char *code = NULL;
	cr_assert_eq(scan_status(json, len, &limits, &code), SKR_E_CLAIMS);
	cr_assert_str_eq(code, "claims-json", "the duplicate in the last member is found");
	assert_agree(json, len, &limits);
	free(json);

	/* Past the member limit, a later duplicate still decides the code. */
	json = many_members(SKR_DEFAULT_CLAIMS_MEMBERS + 100, 1, &len);
	cr_assert_eq(scan_status(json, len, &limits, &code), SKR_E_CLAIMS);
	cr_assert_str_eq(code, "claims-json");
	assert_agree(json, len, &limits);
	free(json);
}

Test(claims_scanner, large_object_every_member)
{
	/* 16,384 members in one object, past the table of eight names that
	 * are compared one by one, so the hash set of names does the work:
	 * every member is found, and a duplicate of the first name in last
	 * place is caught. How the time grows with size is measured by
	 * bench/tools/claims_parse.c, never asserted here. */
	skr_limits limits;
	skr_limits_init(&limits);
	limits.token_bytes = 1u << 20;
	limits.claims_members = 1u << 20;
	size_t len;
	char *json = many_members(16384, 0, &len);
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse(json, len, &limits, NULL, &claims), SKR_OK);
	for (unsigned m = 0; m < 16384; m += 997) {
		char name[16];
		snprintf(name, sizeof name, "m%05u", m);
		skr_value_view value;
		cr_assert(skr_claims_lookup(claims, name, strlen(name), &value), "%s is missing", name);
		cr_assert_eq(value.i, (int64_t)m);
	}
	skr_claims_free(claims);
	free(json);

	json = many_members(16384, 1, &len);
	claims = NULL;
	cr_assert_eq(skr_claims_parse(json, len, &limits, NULL, &claims), SKR_E_CLAIMS);
	cr_assert_null(claims);
	free(json);
}

Test(claims_scanner, decimal_comma_locale)
{
	/* A locale whose decimal point is ',' stops strtod at the '.', so the
	 * scanner retries with the locale's decimal point as jansson does. */
	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
		test_skip("skipped: the de_DE.UTF-8 locale is not installed");
		return;
	}
	static const char json[] = "{\"a\": 1.5, \"b\": -2.25e1}";
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse(json, sizeof json - 1, NULL, NULL, &claims), SKR_OK);
	skr_value_view view;
	cr_assert_eq(skr_claims_lookup(claims, "a", 1, &view), 1);
	cr_assert_eq(view.d, 1.5);
	cr_assert_eq(skr_claims_lookup(claims, "b", 1, &view), 1);
	cr_assert_eq(view.d, -22.5);
	skr_claims_free(claims);
	assert_agree(json, sizeof json - 1, NULL);
	assert_agree(LIT("{\"c\": 1.8e308}"), NULL);
	setlocale(LC_NUMERIC, "C");
}

/* ---- generated and mutated texts ---------------------------------------- */

typedef struct rng {
	uint64_t state;
} rng;

/* splitmix64: a fixed seed gives the same texts on every machine. */
static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

typedef struct text {
	char *data;
	size_t len;
	size_t cap;
} text;

static void put_bytes(text *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + n)
			cap *= 2;
		t->data = realloc(t->data, cap);
		cr_assert_not_null(t->data);
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
}

static void put(text *t, const char *s)
{
	put_bytes(t, s, strlen(s));
}

static const char *pick(rng *r, const char *const *items, size_t count)
{
	return items[rng_below(r, (uint32_t)count)];
}

#define PICK(r, items) pick((r), (items), sizeof(items) / sizeof(items)[0])

static void put_blank(rng *r, text *t)
{
	static const char *const blanks[] = { " ", "\n", "\t", "\r\n", "  " };
	if (rng_below(r, 4) == 0)
		put(t, PICK(r, blanks));
}

static const char *const member_names[] = {
	"a", "b", "c", "iss", "exp", "nbf", "x-ms-attestation-type", "x-ms-isolation-tee", "x-ms-runtime",
	"keys", "a.b", "x.y", "", "A", "\\u0061", "\\u0062", "\\u0069ss", "\\u00e9", "\xC3\xA9",
	"k\\\"q", "\\ud83d\\ude00", "\xF0\x9F\x98\x80", "a\\u002eb", "\\/", "/", "vm-configuration",
	"secure-boot", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11",
};

static const char *const string_pieces[] = {
	"", "x", "sevsnpvm", "azure-compliant-cvm", "https://sharedweu.weu.attest.azure.net", "10", "-1.5",
	"1e2", "1e400", "01", "true", "false", "True", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f",
	"\\r", "\\u0041", "\\u00e9", "\\u4e2d", "\\u0000", "\\ud83d\\ude00", "\\uDBFF\\uDFFF", "\xC3\xA9",
	"\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "0123456789abcdef0123456789abcdef", "AQAB", "\x7F",
	"9223372036854775807", "9223372036854775808", "-0", "1e-400",
};

/* Rare pieces that make a string invalid. */
static const char *const bad_string_pieces[] = {
	"\\ud800", "\\udc00", "\\ud800\\u0041", "\\x", "\\u12", "\t", "\x01", "\xFF", "\xC0\xAF",
	"\xED\xA0\x80", "\xE2\x82", "\x80",
};

static const char *const number_texts[] = {
	"0", "-0", "1", "-1", "42", "0.5", "-0.0", "1e2", "1E+2", "1e-2", "2.5e-3", "1.7976931348623157e308",
	"4.9e-324", "1e-400", "-1e-400", "9223372036854775807", "-9223372036854775808", "1680202174",
	"0.1", "3.141592653589793", "2.2250738585072011e-308", "123456789012345678901234567890.5",
};

/* Rare number texts that break the grammar or the int64 and double ranges. */
static const char *const bad_number_texts[] = {
	"01", "1.", ".5", "+1", "-", "1e", "0x1", "1e+", "1e400", "-1e400", "1.8e308", "1E400",
	"9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
};

static void gen_value(rng *r, text *t, unsigned depth);

static void gen_string(rng *r, text *t)
{
	put(t, "\"");
	unsigned pieces = rng_below(r, 4);
	for (unsigned p = 0; p < pieces; p++)
		put(t, rng_below(r, 60) == 0 ? PICK(r, bad_string_pieces) : PICK(r, string_pieces));
	put(t, "\"");
}

static void gen_number(rng *r, text *t)
{
	if (rng_below(r, 40) == 0) {
		put(t, PICK(r, bad_number_texts));
		return;
	}
	if (rng_below(r, 3) != 0) {
		put(t, PICK(r, number_texts));
		return;
	}
	/* A random well-formed number. */
	char buf[96];
	size_t n = 0;
	if (rng_below(r, 3) == 0)
		buf[n++] = '-';
	unsigned digits = 1 + rng_below(r, 22);
	buf[n++] = (char)('1' + rng_below(r, 9));
	for (unsigned d = 1; d < digits; d++)
		buf[n++] = (char)('0' + rng_below(r, 10));
	if (rng_below(r, 2) == 0) {
		buf[n++] = '.';
		unsigned fraction = 1 + rng_below(r, 20);
		for (unsigned d = 0; d < fraction; d++)
			buf[n++] = (char)('0' + rng_below(r, 10));
	}
	if (rng_below(r, 2) == 0)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "e%s%u", rng_below(r, 2) ? "-" : "",
		                      rng_below(r, 400));
	put_bytes(t, buf, n);
}

static void gen_object(rng *r, text *t, unsigned depth)
{
	static const size_t name_count = sizeof member_names / sizeof member_names[0];
	unsigned members = rng_below(r, depth == 0 ? 10 : 6);
	unsigned char used[sizeof member_names / sizeof member_names[0]] = { 0 };
	put(t, "{");
	for (unsigned m = 0; m < members; m++) {
		if (m)
			put(t, ",");
		put_blank(r, t);
		size_t name = rng_below(r, (uint32_t)name_count);
		/* Mostly distinct names, so most texts get past the duplicate check. */
		for (unsigned tries = 0; used[name] && tries < 4 && rng_below(r, 20) != 0; tries++)
			name = rng_below(r, (uint32_t)name_count);
		used[name] = 1;
		put(t, "\"");
		put(t, rng_below(r, 300) == 0 ? "n\\u0000" : member_names[name]);
		put(t, "\"");
		put_blank(r, t);
		put(t, ":");
		put_blank(r, t);
		gen_value(r, t, depth + 1);
		put_blank(r, t);
	}
	put(t, "}");
}

static void gen_array(rng *r, text *t, unsigned depth)
{
	unsigned elements = rng_below(r, 4);
	put(t, "[");
	for (unsigned e = 0; e < elements; e++) {
		if (e)
			put(t, ",");
		put_blank(r, t);
		gen_value(r, t, depth + 1);
		put_blank(r, t);
	}
	put(t, "]");
}

static void gen_value(rng *r, text *t, unsigned depth)
{
	static const char *const literals[] = { "true", "false", "null" };
	switch (rng_below(r, depth > 6 ? 6 : 10)) {
	case 0:
	case 1:
		gen_string(r, t);
		break;
	case 2:
	case 3:
		gen_number(r, t);
		break;
	case 4:
	case 5:
		put(t, PICK(r, literals));
		break;
	case 6:
	case 7:
	case 8:
		gen_object(r, t, depth);
		break;
	default:
		gen_array(r, t, depth);
		break;
	}
}

/* Bytes that mutations insert: structure, string and number syntax, and
 * bytes that break UTF-8. */
static const char mutation_bytes[] = "{}[],:\"\\0-e.u 1\xFF\xC3\x80\t";

static void mutate(rng *r, text *t)
{
	unsigned count = 1 + rng_below(r, 3);
	for (unsigned c = 0; c < count && t->len > 0; c++) {
		size_t at = rng_below(r, (uint32_t)t->len);
		switch (rng_below(r, 5)) {
		case 0: /* replace a byte */
			t->data[at] = mutation_bytes[rng_below(r, sizeof mutation_bytes - 1)];
			break;
		case 1: /* insert a byte */
			put_bytes(t, " ", 1);
			memmove(t->data + at + 1, t->data + at, t->len - at - 1);
			t->data[at] = mutation_bytes[rng_below(r, sizeof mutation_bytes - 1)];
			break;
		case 2: /* delete a byte */
			memmove(t->data + at, t->data + at + 1, t->len - at - 1);
			t->len--;
			break;
		case 3: { /* repeat a span */
			size_t span = 1 + rng_below(r, 16);
			if (span > t->len - at)
				span = t->len - at;
			char copy[16];
			memcpy(copy, t->data + at, span);
			put_bytes(t, copy, span);
			break;
		}
		default: /* truncate */
			t->len = at;
			break;
		}
	}
}

/* Random limits small enough for generated texts to cross them. */
static void random_limits(rng *r, skr_limits *limits, size_t len)
{
	skr_limits_init(limits);
	limits->claims_depth = rng_below(r, 6);
	limits->claims_members = rng_below(r, 16);
	if (rng_below(r, 4) == 0)
		limits->token_bytes = len > 4 ? len - rng_below(r, 4) : len;
}

/* Texts the generated test runs, unless SKR_CLAIMS_DIFF_CASES sets another
 * count. Measured on one AMD EPYC core with gcc 12: about 4 s of CPU time
 * at -O0, and about 7 s at -O1 with ASan and UBSan. */
#define GENERATED_CASES 300000u

Test(claims_scanner, generated_texts_agree)
{
	unsigned cases = GENERATED_CASES;
	const char *override = getenv("SKR_CLAIMS_DIFF_CASES");
	if (override && atoi(override) > 0)
		cases = (unsigned)atoi(override);

	rng r = { 20240917u };
	text t = { NULL, 0, 0 };
	/* Outcomes by the first diagnostic's code, "ok" for accepted texts. */
	static const char *const outcomes[] = { "ok", "claims-json", "claims-nul-name", "claims-depth",
	                                        "claims-members", "claims-not-object", "claims-size" };
	unsigned counts[sizeof outcomes / sizeof outcomes[0]] = { 0 };
	char difference[512];
	for (unsigned c = 0; c < cases; c++) {
		t.len = 0;
		if (rng_below(&r, 50) == 0)
			gen_value(&r, &t, 0);
		else
			gen_object(&r, &t, 0);
		if (rng_below(&r, 3) == 0)
			mutate(&r, &t);

		skr_limits limits;
		const skr_limits *chosen = NULL;
		if (rng_below(&r, 5) == 0) {
			random_limits(&r, &limits, t.len);
			chosen = &limits;
		}
		const char *code = NULL;
		int differs = claims_diff_parse(t.data, t.len, chosen, NULL, &code, difference,
		                                sizeof difference);
		cr_assert_eq(differs, 0, "case %u, input (%zu bytes) %.*s: %s", c, t.len,
		             t.len > 400 ? 400 : (int)t.len, t.data, difference);
		for (size_t o = 0; o < sizeof outcomes / sizeof outcomes[0]; o++)
			if (strcmp(code ? code : "ok", outcomes[o]) == 0)
				counts[o]++;
	}
	free(t.data);
	cr_log_info("%u generated texts: ok %u, claims-json %u, claims-nul-name %u, claims-depth %u, "
	            "claims-members %u, claims-not-object %u, claims-size %u",
	            cases, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6]);
	/* Acceptance and each way of rejecting must be common enough for the
	 * comparison to prove something. */
	cr_assert_gt(counts[0], cases / 5);
	for (size_t o = 1; o < sizeof outcomes / sizeof outcomes[0]; o++)
		cr_assert_gt(counts[o], cases / 1000, "%s: %u", outcomes[o], counts[o]);
}

/* ---- real MAA payloads -------------------------------------------------- */

/* Decodes unpadded base64url into a malloc'd buffer, or returns NULL. */
static unsigned char *base64url_decode(const char *in, size_t len, size_t *out_len)
{
	unsigned char *out = malloc(len / 4 * 3 + 3);
	cr_assert_not_null(out);
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *at = memchr(alphabet, in[i], 64);
		if (!at || in[i] == '\0') {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	*out_len = n;
	return out;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static int has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name);
	size_t s = strlen(suffix);
	return n >= s && strcmp(name + n - s, suffix) == 0;
}

/* Compares the parsers on a real payload under the default limits, then
 * under limits the payload crosses, and requires the scanner to accept it
 * under the defaults. */
static void assert_payload_agrees(const char *name, const char *json, size_t len)
{
	const char *code = NULL;
	cr_assert_eq(scan_status(json, len, NULL, &code), SKR_OK, "%s: %s", name, code);
	assert_agree(json, len, NULL);
	skr_limits profiles[5];
	size_t count = limit_profiles(profiles, len);
	for (size_t p = 0; p < count; p++)
		assert_agree(json, len, &profiles[p]);
}

Test(claims_scanner, real_payloads_agree)
{
	const char *shared = getenv("SKR_SHARED");
	char dir_path[1024];
	snprintf(dir_path, sizeof dir_path, "%s/corpus/real", shared ? shared : "../shared");
	DIR *dir = opendir(dir_path);
	if (!dir) {
		test_skip("skipped: %s not found (set SKR_SHARED to the shared directory)", dir_path);
		return;
	}

	unsigned compared = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		const char *name = entry->d_name;
		int is_token = has_suffix(name, ".jwt");
		int is_payload = strstr(name, "payload") != NULL && has_suffix(name, ".json");
		if (!is_token && !is_payload)
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir_path, name);
		size_t len = 0;
		char *file = read_file(path, &len);
		cr_assert_not_null(file, "cannot read %s", path);
		if (is_payload) {
			assert_payload_agrees(name, file, len);
		} else {
			char *first = memchr(file, '.', len);
			cr_assert_not_null(first, "%s is not a compact JWS", name);
			char *second = memchr(first + 1, '.', len - (size_t)(first + 1 - file));
			cr_assert_not_null(second, "%s is not a compact JWS", name);
			size_t payload_len = 0;
			unsigned char *payload =
				base64url_decode(first + 1, (size_t)(second - first - 1), &payload_len);
			cr_assert_not_null(payload, "%s: the payload is not base64url", name);
			assert_payload_agrees(name, (const char *)payload, payload_len);
			free(payload);
		}
		free(file);
		compared++;
	}
	closedir(dir);
	cr_log_info("compared %u real payloads", compared);
	cr_assert_geq(compared, 1, "no token or payload in %s", dir_path);
}
