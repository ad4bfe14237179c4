/*
 * Token layer tests: the strict base64 codecs, compact JWS parsing, and the
 * real MAA tokens verified with the real trust store.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"
#include "tokens.h"

/* ---- helpers ---- */

/* Reads iat and exp from a token's payload with jansson, independently of
 * the code under test. */
static void token_times(const char *token, long long *iat, long long *exp)
{
	const char *dot1 = strchr(token, '.');
	const char *dot2 = strchr(dot1 + 1, '.');
	size_t len = (size_t)(dot2 - dot1 - 1);
	uint8_t *payload = malloc(skr_base64_decoded_max(len));
	size_t plen = 0;
	cr_assert_eq(skr_base64url_decode(dot1 + 1, len, payload, &plen, NULL), SKR_B64_OK);
	json_t *claims = json_loadb((const char *)payload, plen, 0, NULL);
	cr_assert_not_null(claims);
	*iat = json_integer_value(json_object_get(claims, "iat"));
	*exp = json_integer_value(json_object_get(claims, "exp"));
	json_decref(claims);
	free(payload);
}

static skr_b64_status url_decode(const char *s, char *out, size_t *out_len, size_t *at)
{
	return skr_base64url_decode(s, strlen(s), (uint8_t *)out, out_len, at);
}

static skr_b64_status std_decode(const char *s, char *out, size_t *out_len, size_t *at)
{
	return skr_base64_decode(s, strlen(s), (uint8_t *)out, out_len, at);
}

/* ---- base64url ---- */

Test(base64url, rfc4648_vectors)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	static const char *const std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                   "Zm9vYmFy" };
	for (int i = 0; i < 7; i++) {
		char out[16], enc[16];
		size_t len = 0;
		cr_assert_eq(url_decode(url[i], out, &len, NULL), SKR_B64_OK, "url %s", url[i]);
		cr_assert_eq(len, strlen(plain[i]));
		cr_assert_eq(memcmp(out, plain[i], len), 0);
		cr_assert_eq(std_decode(std[i], out, &len, NULL), SKR_B64_OK, "std %s", std[i]);
		cr_assert_eq(len, strlen(plain[i]));
		cr_assert_eq(memcmp(out, plain[i], len), 0);

		size_t n = skr_base64url_encode((const uint8_t *)plain[i], strlen(plain[i]), enc);
		cr_assert_eq(n, strlen(url[i]));
		cr_assert_eq(n, skr_base64url_encoded_len(strlen(plain[i])));
		cr_assert_eq(memcmp(enc, url[i], n), 0);
		n = skr_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), enc);
		cr_assert_eq(n, strlen(std[i]));
		cr_assert_eq(memcmp(enc, std[i], n), 0);
	}
}

Test(base64url, url_alphabet_bytes)
{
	/* 0xfb 0xff 0xbf encodes to "-_-_" in base64url and "+/+/" in base64. */
	char out[8];
	size_t len = 0;
	cr_assert_eq(url_decode("-_-_", out, &len, NULL), SKR_B64_OK);
	cr_assert_eq(len, 3);
	cr_assert_eq((uint8_t)out[0], 0xfb);
	cr_assert_eq((uint8_t)out[1], 0xff);
	cr_assert_eq((uint8_t)out[2], 0xbf);
	cr_assert_eq(std_decode("+/+/", out, &len, NULL), SKR_B64_OK);
	cr_assert_eq((uint8_t)out[0], 0xfb);
}

Test(base64url, rejects_padding)
{
	char out[8];
	size_t len = 0, at = 99;
	cr_assert_eq(url_decode("Zg==", out, &len, &at), SKR_B64_BAD_CHAR);
	cr_assert_eq(at, 2);
	cr_assert_eq(url_decode("Zm8=", out, &len, &at), SKR_B64_BAD_CHAR);
	cr_assert_eq(at, 3);
}

Test(base64url, rejects_other_alphabet_and_whitespace)
{
	static const char *const bad[] = { "Zm+v", "Zm/v", "Zm9 v", "Zm9v\n", "\tZm9v", "Zm.v",
	                                   "Zm9v\r" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[8];
		size_t len = 0;
		cr_assert_eq(url_decode(bad[i], out, &len, NULL), SKR_B64_BAD_CHAR, "case %zu", i);
	}
	/* A NUL and a byte over 0x7f inside the input. */
	char out[8];
	size_t len = 0, at = 0;
	cr_assert_eq(skr_base64url_decode("Zm\0v", 4, (uint8_t *)out, &len, &at), SKR_B64_BAD_CHAR);
	cr_assert_eq(at, 2);
	cr_assert_eq(skr_base64url_decode("Zm\xc3\xa9", 4, (uint8_t *)out, &len, &at),
	             SKR_B64_BAD_CHAR);
}

Test(base64url, rejects_length_4k_plus_1)
{
	char out[8];
	size_t len = 0, at = 0;
	cr_assert_eq(url_decode("Z", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(url_decode("Zm9vY", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(at, 5);
}

Test(base64url, rejects_nonzero_unused_bits)
{
	char out[8];
	size_t len = 0, at = 0;
	/* "Zg" is "f"; "Zh" sets one of the four unused bits. */
	cr_assert_eq(url_decode("Zh", out, &len, &at), SKR_B64_NONCANONICAL);
	cr_assert_eq(at, 1);
	/* "Zm8" is "fo"; "Zm9" sets one of the two unused bits. */
	cr_assert_eq(url_decode("Zm9", out, &len, &at), SKR_B64_NONCANONICAL);
	cr_assert_eq(std_decode("Zh==", out, &len, &at), SKR_B64_NONCANONICAL);
	cr_assert_eq(std_decode("Zm9=", out, &len, &at), SKR_B64_NONCANONICAL);
}

Test(base64url, every_short_string_has_one_encoding)
{
	/* Exhaustive over all 2- and 3-digit inputs: decoding succeeds exactly
	 * when re-encoding gives the input back. */
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned accepted = 0;
	for (int a = 0; a < 64; a++) {
		for (int b = 0; b < 64; b++) {
			for (int c = -1; c < 64; c++) {
				char in[3] = { digits[a], digits[b], c < 0 ? 0 : digits[c] };
				size_t n = c < 0 ? 2 : 3;
				uint8_t out[4];
				char again[4];
				size_t len = 0;
				skr_b64_status st = skr_base64url_decode(in, n, out, &len, NULL);
				if (st == SKR_B64_OK) {
					accepted++;
					cr_assert_eq(skr_base64url_encode(out, len, again), n);
					cr_assert_eq(memcmp(again, in, n), 0);
				} else {
					cr_assert_eq(st, SKR_B64_NONCANONICAL);
				}
			}
		}
	}
	/* 256 one-byte strings and 65536 two-byte strings. */
	cr_assert_eq(accepted, 256u + 65536u);
}

Test(base64url, round_trip_lengths)
{
	uint8_t data[64], back[80];
	char text[100];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof data; len++) {
		size_t n = skr_base64url_encode(data, len, text), out = 0;
		cr_assert_eq(skr_base64url_decode(text, n, back, &out, NULL), SKR_B64_OK);
		cr_assert_eq(out, len);
		cr_assert_eq(memcmp(back, data, len), 0);
		n = skr_base64_encode(data, len, text);
		cr_assert_eq(n % 4, 0);
		cr_assert_eq(skr_base64_decode(text, n, back, &out, NULL), SKR_B64_OK);
		cr_assert_eq(out, len);
		cr_assert_eq(memcmp(back, data, len), 0);
	}
}

Test(base64, rejects_bad_padding_and_length)
{
	char out[16];
	size_t len = 0, at = 0;
	cr_assert_eq(std_decode("Zg", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(std_decode("Zm9vYg=", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(std_decode("Z===", out, &len, &at), SKR_B64_BAD_PADDING);
	cr_assert_eq(std_decode("Zg=a", out, &len, &at), SKR_B64_BAD_PADDING);
	cr_assert_eq(std_decode("Zg==Zm9v", out, &len, &at), SKR_B64_BAD_PADDING);
	cr_assert_eq(at, 2);
	cr_assert_eq(std_decode("Zm-v", out, &len, &at), SKR_B64_BAD_CHAR);
	cr_assert_eq(std_decode("Zm9v\n", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(std_decode("Zm9\nv", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(std_decode("Zm 9v", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(std_decode("Zm 9vY===", out, &len, &at), SKR_B64_BAD_LENGTH);
	cr_assert_eq(std_decode("Zm 9", out, &len, &at), SKR_B64_BAD_CHAR);
}

/* ---- compact JWS parsing ---- */

/* Builds header.payload.signature from raw JSON texts and a fixed fake
 * signature; the parser does not verify signatures. */
static char *compact(const char *header, const char *payload, const char *signature)
{
	size_t h = strlen(header), p = strlen(payload);
	char *text = malloc(skr_base64url_encoded_len(h) + skr_base64url_encoded_len(p) +
	                    strlen(signature) + 3);
	size_t n = skr_base64url_encode((const uint8_t *)header, h, text);
	text[n++] = '.';
	n += skr_base64url_encode((const uint8_t *)payload, p, text + n);
	text[n++] = '.';
	strcpy(text + n, signature);
	return text;
}

typedef struct parse_outcome {
	skr_status status;
	const char *reason;
	skr_token_check check;
	skr_jws jws;
} parse_outcome;

static parse_outcome parse_with(const char *token, const skr_verify_options *options)
{
	parse_outcome out = { .reason = "", .check = SKR_CHECK_COUNT };
	skr_diags diags;
	skr_diags_init(&diags);
	out.status = skr_jws_parse(token, strlen(token), options, &diags, &out.jws, &out.reason,
	                           &out.check);
	if (out.status == SKR_E_TOKEN) {
		cr_assert_eq(diags.errors, 1, "one error per rejection");
		cr_assert_str_eq(diags.items[0].code, out.reason);
	}
	skr_diags_free(&diags);
	return out;
}

static parse_outcome parse(const char *token)
{
	skr_verify_options options;
	skr_verify_options_init(&options, 0);
	return parse_with(token, &options);
}

static void expect_rejected(const char *token, const char *reason, skr_token_check check)
{
	parse_outcome out = parse(token);
	cr_assert_eq(out.status, SKR_E_TOKEN, "token %s", token);
	cr_assert_str_eq(out.reason, reason, "token %s", token);
	cr_assert_eq(out.check, check, "token %s", token);
	skr_jws_free(&out.jws);
}

static void expect_header_rejected(const char *header, const char *reason)
{
	char *token = compact(header, "{}", "c2ln");
	expect_rejected(token, reason, SKR_CHECK_HEADER);
	free(token);
}

Test(jws, parses_three_parts)
{
	char *token = compact("{\"alg\":\"RS256\",\"kid\":\"k1\"}", "{\"iss\":\"x\"}", "c2ln");
	parse_outcome out = parse(token);
	cr_assert_eq(out.status, SKR_OK);
	cr_assert_eq(out.jws.alg, SKR_ALG_RS256);
	cr_assert_str_eq(out.jws.kid, "k1");
	cr_assert_eq(out.jws.payload_len, strlen("{\"iss\":\"x\"}"));
	cr_assert_eq(memcmp(out.jws.payload, "{\"iss\":\"x\"}", out.jws.payload_len), 0);
	cr_assert_eq(out.jws.signature_len, 3);
	cr_assert_eq(memcmp(out.jws.signature, "sig", 3), 0);
	cr_assert_eq(out.jws.signing_input_len, (size_t)(strrchr(token, '.') - token));
	skr_jws_free(&out.jws);
	free(token);
}

Test(jws, rejects_wrong_part_counts)
{
	expect_rejected("", "token_malformed", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9", "token_malformed", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30", "token_malformed", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.c2ln", "token_malformed", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.c2ln.c2ln", "token_malformed",
	                SKR_CHECK_FORM);
}

Test(jws, rejects_empty_parts)
{
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.", "token_malformed", SKR_CHECK_FORM);
	expect_rejected(".e30.c2ln", "token_malformed", SKR_CHECK_FORM);
	expect_rejected("..", "token_malformed", SKR_CHECK_FORM);

	/* An empty payload is a JWS; the claims check rejects it later. */
	parse_outcome out = parse("eyJhbGciOiJSUzI1NiJ9..c2ln");
	cr_assert_eq(out.status, SKR_OK);
	cr_assert_eq(out.jws.payload_len, 0);
	skr_jws_free(&out.jws);
}

Test(jws, rejects_bad_base64url)
{
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", "token_base64url", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.c2ln=", "token_base64url", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9 .e30.c2ln", "token_base64url", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n", "token_base64url", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.c2l+", "token_base64url", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e31.c2ln", "token_base64url", SKR_CHECK_FORM);
	expect_rejected("eyJhbGciOiJSUzI1NiJ9.e30.c", "token_base64url", SKR_CHECK_FORM);
}

Test(jws, rejects_oversized_token)
{
	skr_verify_options options;
	skr_verify_options_init(&options, 0);
	options.limits.token_bytes = 16;
	parse_outcome out = parse_with("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", &options);
	cr_assert_eq(out.status, SKR_E_TOKEN);
	cr_assert_str_eq(out.reason, "token_too_large");
	skr_jws_free(&out.jws);
}

Test(jws, rejects_invalid_header_json)
{
	expect_header_rejected("not json", "token_header_invalid");
	expect_header_rejected("[\"RS256\"]", "token_header_invalid");
	expect_header_rejected("\"RS256\"", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"alg\":\"RS256\"}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"x\":{\"a\":1,\"a\":2}}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"x\":\"\xff\"}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"x\":\"\\ud800\"}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"x\":{\"\\u0000\":1}}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"x\":\"a\tb\"}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\"} x", "token_header_invalid");
	expect_header_rejected("\xef\xbb\xbf{\"alg\":\"RS256\"}", "token_header_invalid");
	expect_header_rejected("{}", "token_header_invalid");
	expect_header_rejected("{\"alg\":256}", "token_header_invalid");
	expect_header_rejected("{\"alg\":\"RS256\",\"kid\":7}", "token_header_invalid");
}

/* RFC 8259 allows an escaped NUL in a string. It reaches no decision: a
 * kid that contains one names no key, and an alg that contains one names no
 * algorithm. */
Test(jws, escaped_nul_in_header_strings)
{
	char *token = compact("{\"alg\":\"RS256\",\"x\":\"\\u0000\",\"kid\":\"a\\u0000b\"}", "{}", "c2ln");
	parse_outcome out = parse(token);
	cr_assert_eq(out.status, SKR_OK);
	cr_assert_eq(out.jws.kid_len, 3);
	cr_assert_eq(memcmp(out.jws.kid, "a\0b", 4), 0);
	skr_jws_free(&out.jws);
	free(token);
	expect_header_rejected("{\"alg\":\"RS256\\u0000\"}", "alg_not_allowed");
}

Test(jws, rejects_deep_header)
{
	char header[256] = "{\"alg\":\"RS256\",\"x\":";
	for (int i = 0; i < 40; i++)
		strcat(header, "[");
	for (int i = 0; i < 40; i++)
		strcat(header, "]");
	strcat(header, "}");
	expect_header_rejected(header, "token_header_invalid");
}

Test(jws, rejects_disallowed_algs)
{
	expect_header_rejected("{\"alg\":\"none\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"None\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"HS256\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"HS512\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"ES256\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"PS256\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"rs256\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"RS256 \"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"\"}", "alg_not_allowed");
	/* Implemented but not in the default allow-list. */
	expect_header_rejected("{\"alg\":\"RS384\"}", "alg_not_allowed");
	expect_header_rejected("{\"alg\":\"RS512\"}", "alg_not_allowed");
}

Test(jws, allow_list_enables_rs384_rs512)
{
	skr_verify_options options;
	skr_verify_options_init(&options, 0);
	options.algs = SKR_ALGS_ALL;
	char *t384 = compact("{\"alg\":\"RS384\"}", "{}", "c2ln");
	char *t512 = compact("{\"alg\":\"RS512\"}", "{}", "c2ln");
	parse_outcome a = parse_with(t384, &options);
	parse_outcome b = parse_with(t512, &options);
	cr_assert_eq(a.status, SKR_OK);
	cr_assert_eq(a.jws.alg, SKR_ALG_RS384);
	cr_assert_eq(b.status, SKR_OK);
	cr_assert_eq(b.jws.alg, SKR_ALG_RS512);
	skr_jws_free(&a.jws);
	skr_jws_free(&b.jws);

	/* An allow-list without RS256 rejects RS256. */
	options.algs = SKR_ALG_RS512;
	char *t256 = compact("{\"alg\":\"RS256\"}", "{}", "c2ln");
	parse_outcome c = parse_with(t256, &options);
	cr_assert_eq(c.status, SKR_E_TOKEN);
	cr_assert_str_eq(c.reason, "alg_not_allowed");
	skr_jws_free(&c.jws);
	free(t256);
	free(t384);
	free(t512);
}

Test(jws, rejects_crit)
{
	expect_header_rejected("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", "crit_not_supported");
	expect_header_rejected("{\"alg\":\"RS256\",\"crit\":[]}", "crit_not_supported");
	expect_header_rejected("{\"alg\":\"RS256\",\"crit\":null}", "crit_not_supported");
	expect_header_rejected("{\"alg\":\"RS256\",\"b64\":false,\"crit\":[\"b64\"]}",
	                       "crit_not_supported");
}

Test(jws, ignores_key_location_members)
{
	/* jku, x5u, jwk and x5c are never fetched or trusted; they neither
	 * reject the token nor supply a key. */
	char *token = compact("{\"alg\":\"RS256\",\"jku\":\"https://evil.example/keys\","
	                      "\"x5u\":\"https://evil.example/cert\","
	                      "\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	                      "\"x5c\":[\"AAAA\"],\"typ\":\"JWT\"}",
	                      "{}", "c2ln");
	parse_outcome out = parse(token);
	cr_assert_eq(out.status, SKR_OK);
	cr_assert_null(out.jws.kid);
	skr_jws_free(&out.jws);
	free(token);
}

/* ---- the real MAA tokens ---- */

static skr_trust *load_real_trust(void)
{
	size_t len = 0;
	char *json = test_read_real("trust-sharedweu.json", &len);
	if (json == NULL)
		return NULL;
	skr_trust *trust = NULL;
	skr_diags diags;
	skr_diags_init(&diags);
	cr_assert_eq(skr_trust_load(json, len, NULL, &diags, &trust), SKR_OK);
	skr_diags_free(&diags);
	free(json);
	return trust;
}

static void check_real_token(const char *name)
{
	skr_trust *trust = load_real_trust();
	size_t len = 0;
	char *token = test_read_real(name, &len);
	if (trust == NULL || token == NULL) {
		skr_trust_free(trust);
		free(token);
		return;
	}
	long long iat = 0, exp = 0;
	token_times(token, &iat, &exp);
	cr_assert_gt(exp, iat);

	skr_verify_options options;
	long long inside[] = { iat, iat + 1, (iat + exp) / 2, exp - 1 };
	for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
		skr_verify_options_init(&options, inside[i]);
		skr_token verified;
		skr_token_init(&verified);
		skr_diags diags;
		skr_diags_init(&diags);
		skr_status st = skr_token_verify(trust, token, len, &options, &diags, &verified);
		cr_assert_eq(st, SKR_OK, "%s at %lld: %s", name, inside[i],
		             diags.count ? diags.items[0].message : "");
		cr_assert_str_eq(verified.reason, "token_valid");
		cr_assert_eq(verified.failed, SKR_CHECK_COUNT);
		cr_assert_str_eq(verified.issuer, "https://sharedweu.weu.attest.azure.net");
		cr_assert_str_eq(verified.kid, "dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=");
		cr_assert_eq(verified.alg, SKR_ALG_RS256);

		skr_value_view v;
		cr_assert(skr_claims_lookup(verified.claims, "x-ms-isolation-tee.x-ms-attestation-type",
		                            strlen("x-ms-isolation-tee.x-ms-attestation-type"), &v));
		cr_assert_eq(v.type, SKR_TYPE_STRING);
		cr_assert_eq(v.len, 8);
		cr_assert_eq(memcmp(v.str, "sevsnpvm", 8), 0);
		skr_token_clear(&verified);
		skr_diags_free(&diags);
	}

	long long outside[] = { exp, exp + 1, exp + 86400 };
	for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
		skr_verify_options_init(&options, outside[i]);
		skr_token verified;
		skr_token_init(&verified);
		cr_assert_eq(skr_token_verify(trust, token, len, &options, NULL, &verified), SKR_E_TOKEN);
		cr_assert_str_eq(verified.reason, "token_expired");
		cr_assert_eq(verified.failed, SKR_CHECK_LIFETIME);
		cr_assert_null(verified.claims);
		skr_token_clear(&verified);
	}
	skr_trust_free(trust);
	free(token);
}

Test(real_tokens, sevsnp_2022_12_verifies)
{
	check_real_token("maa-cvm-sevsnp-azurevm-sharedweu-2022-12.jwt");
}

Test(real_tokens, sevsnp_2023_03_verifies)
{
	check_real_token("maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt");
}

Test(real_tokens, leeway_extends_validity)
{
	skr_trust *trust = load_real_trust();
	size_t len = 0;
	char *token = test_read_real("maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt", &len);
	if (trust == NULL || token == NULL) {
		skr_trust_free(trust);
		free(token);
		return;
	}
	long long iat = 0, exp = 0;
	token_times(token, &iat, &exp);

	skr_verify_options options;
	skr_verify_options_init(&options, exp + 59);
	options.leeway = 60;
	skr_token verified;
	skr_token_init(&verified);
	cr_assert_eq(skr_token_verify(trust, token, len, &options, NULL, &verified), SKR_OK);
	options.now = exp + 60;
	cr_assert_eq(skr_token_verify(trust, token, len, &options, NULL, &verified), SKR_E_TOKEN);
	cr_assert_str_eq(verified.reason, "token_expired");
	options.leeway = -1;
	cr_assert_eq(skr_token_verify(trust, token, len, &options, NULL, &verified), SKR_E_USAGE);
	skr_token_clear(&verified);
	skr_trust_free(trust);
	free(token);
}

/* ---- minting ---- */

/* The RFC 7638 thumbprint of the test authority key, computed with Python's
 * hashlib over {"e":...,"kty":"RSA","n":...}. */
#define TEST_KEY_THUMBPRINT "Asj65aNKoaHOzdekipJ-Kv_nTiaWAigVt5l_in_gXDM"

Test(mint, key_formats_agree)
{
	static const char *const files[] = { "test-authority-rsa2048.jwk.json",
	                                     "test-authority-rsa2048.pem",
	                                     "test-authority-rsa2048.pkcs1.pem" };
	for (size_t i = 0; i < 3; i++) {
		skr_signing_key *key = test_example_key(files[i]);
		char thumbprint[44];
		skr_signing_key_thumbprint(key, thumbprint);
		cr_assert_str_eq(thumbprint, TEST_KEY_THUMBPRINT, "%s", files[i]);
		cr_assert_eq(skr_signing_key_bits(key), 2048);
		skr_signing_key_free(key);
	}
}

Test(mint, rejects_non_keys)
{
	static const char *const texts[] = {
		"", "{}", "{\"kty\":\"EC\"}", "not a key",
		"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		skr_signing_key *key = (skr_signing_key *)texts;
		skr_diags diags;
		skr_diags_init(&diags);
		cr_assert_eq(skr_signing_key_load(texts[i], strlen(texts[i]), &diags, &key), SKR_E_USAGE,
		             "case %zu", i);
		cr_assert_null(key);
		cr_assert_eq(diags.errors, 1, "case %zu", i);
		skr_diags_free(&diags);
	}
}

Test(mint, rejects_mismatched_jwk_parts)
{
	/* The test key's JWK with the other key's modulus fails the self-test. */
	size_t a_len = 0, b_len = 0;
	char *a = test_read_example("keys/test-authority-rsa2048.jwk.json", &a_len);
	char *b = test_read_example("keys/test-other-authority-rsa2048.jwk.json", &b_len);
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	json_object_set(ja, "n", json_object_get(jb, "n"));
	char *mixed = json_dumps(ja, 0);
	skr_signing_key *key = NULL;
	skr_diags diags;
	skr_diags_init(&diags);
	cr_assert_eq(skr_signing_key_load(mixed, strlen(mixed), &diags, &key), SKR_E_USAGE);
	cr_assert_not_null(strstr(diags.items[0].message, "test signature"));
	skr_diags_free(&diags);
	free(mixed);
	json_decref(ja);
	json_decref(jb);
	free(a);
	free(b);
}

/* A trust store holding key's public JWK under authority. */
static skr_trust *trust_of(const skr_signing_key *key, const char *authority, const char *kid)
{
	skr_buffer jwk = { 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key, kid, SKR_ALG_RS256, &jwk), SKR_OK);
	size_t cap = jwk.len + strlen(authority) + 32;
	char *store = malloc(cap);
	snprintf(store, cap, "{\"%s\":{\"keys\":[%.*s]}}", authority, (int)jwk.len, (char *)jwk.data);
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(store, strlen(store), NULL, NULL, &trust), SKR_OK, "%s", store);
	free(store);
	skr_buffer_free(&jwk);
	return trust;
}

Test(mint, minted_token_verifies)
{
	skr_signing_key *key = test_example_key("test-authority-rsa2048.pem");
	skr_trust *trust = trust_of(key, "https://mint.skr.example", "k1");
	const char *claims = "{\"iss\":\"https://mint.skr.example\",\"exp\":2000000000,\"n\":1}";
	skr_buffer token = { 0 };
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, "k1", claims, strlen(claims), &token), SKR_OK);

	skr_verify_options options;
	skr_verify_options_init(&options, 1900000000);
	skr_token verified;
	skr_token_init(&verified);
	cr_assert_eq(skr_token_verify(trust, (const char *)token.data, token.len, &options, NULL,
	                              &verified), SKR_OK);
	cr_assert_str_eq(verified.kid, "k1");

	/* The header is exactly {"alg":"RS256","typ":"JWT","kid":"k1"}. */
	skr_jws jws;
	const char *reason;
	skr_token_check check;
	cr_assert_eq(skr_jws_parse((const char *)token.data, token.len, &options, NULL, &jws, &reason,
	                           &check), SKR_OK);
	cr_assert_eq(jws.payload_len, strlen(claims));
	cr_assert_eq(memcmp(jws.payload, claims, jws.payload_len), 0);
	skr_jws_free(&jws);
	char header[64];
	size_t header_len = 0;
	const char *dot = memchr(token.data, '.', token.len);
	cr_assert_eq(skr_base64url_decode((const char *)token.data, (size_t)(dot - (char *)token.data),
	                                  (uint8_t *)header, &header_len, NULL), SKR_B64_OK);
	header[header_len] = '\0';
	cr_assert_str_eq(header, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}");

	skr_token_clear(&verified);
	skr_buffer_free(&token);

	/* Without a kid, and with RS512 while the store's JWK names RS256. */
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, NULL, claims, strlen(claims), &token), SKR_OK);
	cr_assert_eq(skr_token_verify(trust, (const char *)token.data, token.len, &options, NULL,
	                              &verified), SKR_OK);
	skr_buffer_free(&token);
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS512, "k1", claims, strlen(claims), &token), SKR_OK);
	options.algs = SKR_ALGS_ALL;
	cr_assert_eq(skr_token_verify(trust, (const char *)token.data, token.len, &options, NULL,
	                              &verified), SKR_E_TOKEN);
	cr_assert_str_eq(verified.reason, "key_alg_mismatch");
	skr_token_clear(&verified);
	skr_buffer_free(&token);

	cr_assert_eq(skr_token_mint(key, (skr_alg)0, NULL, claims, strlen(claims), &token), SKR_E_USAGE);
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, "\xff", claims, strlen(claims), &token),
	             SKR_E_USAGE);
	skr_trust_free(trust);
	skr_signing_key_free(key);
}

Test(mint, public_jwk_shape)
{
	skr_signing_key *key = test_example_key("test-authority-rsa2048.jwk.json");
	skr_buffer jwk = { 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key, "kid \"quoted\"", SKR_ALG_RS256, &jwk), SKR_OK);
	json_t *v = json_loadb((const char *)jwk.data, jwk.len, JSON_REJECT_DUPLICATES, NULL);
	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "kid")), "kid \"quoted\"");
	cr_assert_str_eq(json_string_value(json_object_get(v, "kty")), "RSA");
	cr_assert_str_eq(json_string_value(json_object_get(v, "use")), "sig");
	cr_assert_str_eq(json_string_value(json_object_get(v, "e")), "AQAB");
	cr_assert_null(json_object_get(v, "d"));
	cr_assert_null(json_object_get(v, "p"));
	json_decref(v);
	skr_buffer_free(&jwk);
	skr_signing_key_free(key);
}

/* ---- release and audit ---- */

static skr_program *compile_policy(const char *policy)
{
	skr_buffer image = { 0 };
	skr_diags diags;
	skr_diags_init(&diags);
	cr_assert_eq(skr_compile(policy, strlen(policy), SKR_SYNTAX_JSON, NULL, &diags, &image), SKR_OK,
	             "%s", diags.count ? diags.items[0].message : "");
	skr_program *program = NULL;
	cr_assert_eq(skr_program_load(image.data, image.len, &diags, &program), SKR_OK);
	skr_buffer_free(&image);
	skr_diags_free(&diags);
	return program;
}

#define RELEASE_POLICY                                                                        \
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://mint.skr.example\","          \
	"\"allOf\":[{\"claim\":\"tee\",\"equals\":\"sevsnpvm\"}]}]}"

Test(release, verifies_then_decides)
{
	skr_signing_key *key = test_example_key("test-authority-rsa2048.jwk.json");
	skr_trust *trust = trust_of(key, "https://MINT.skr.example/", "k1");
	skr_program *program = compile_policy(RELEASE_POLICY);
	skr_verify_options options;
	skr_verify_options_init(&options, 1900000000);

	static const struct {
		const char *claims;
		skr_status status;
		skr_decision decision;
		const char *reason;
	} cases[] = {
		{ "{\"iss\":\"https://mint.skr.example\",\"exp\":2000000000,\"tee\":\"sevsnpvm\"}",
		  SKR_OK, SKR_RELEASE, "released" },
		{ "{\"iss\":\"https://mint.skr.example\",\"exp\":2000000000,\"tee\":\"sgx\"}",
		  SKR_OK, SKR_DENY, "conditions_not_met" },
		{ "{\"iss\":\"https://mint.skr.example\",\"exp\":1800000000,\"tee\":\"sevsnpvm\"}",
		  SKR_E_TOKEN, SKR_DENY, "token_expired" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		skr_buffer token = { 0 };
		cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, "k1", cases[i].claims,
		                            strlen(cases[i].claims), &token), SKR_OK);
		skr_result result;
		skr_token verified;
		skr_token_init(&verified);
		skr_status st = skr_release(trust, program, (const char *)token.data, token.len, &options,
		                            NULL, NULL, &verified, &result);
		cr_assert_eq(st, cases[i].status, "case %zu", i);
		cr_assert_eq(result.decision, cases[i].decision, "case %zu", i);
		cr_assert_str_eq(result.reason, cases[i].reason, "case %zu", i);

		/* The audit record of the same release. */
		char record[1024];
		size_t need = skr_audit_record(1900000000, (const char *)token.data, token.len, &verified,
		                               st == SKR_OK ? &result : NULL, program, NULL, record,
		                               sizeof record);
		cr_assert_lt(need, sizeof record);
		cr_assert_eq(strlen(record), need);
		cr_assert_eq(record[need - 1], '\n');
		json_t *v = json_loads(record, JSON_REJECT_DUPLICATES, NULL);
		cr_assert_not_null(v, "%s", record);
		cr_assert_eq(json_integer_value(json_object_get(v, "time")), 1900000000);
		cr_assert_str_eq(json_string_value(json_object_get(v, "issuer")), "https://mint.skr.example");
		cr_assert_str_eq(json_string_value(json_object_get(v, "kid")), "k1");
		cr_assert_eq(strlen(json_string_value(json_object_get(v, "token_sha256"))), 64);
		cr_assert_eq(strlen(json_string_value(json_object_get(v, "program"))), 64);
		const char *decision = st != SKR_OK ? "token_rejected"
		                     : cases[i].decision == SKR_RELEASE ? "release" : "deny";
		cr_assert_str_eq(json_string_value(json_object_get(v, "decision")), decision);
		cr_assert_str_eq(json_string_value(json_object_get(v, "reason")), cases[i].reason);
		json_decref(v);
		skr_token_clear(&verified);

		/* Without the verified out-parameter the decision is the same. */
		cr_assert_eq(skr_release(trust, program, (const char *)token.data, token.len, &options,
		                         NULL, NULL, NULL, &result), cases[i].status);
		cr_assert_str_eq(result.reason, cases[i].reason);
		skr_buffer_free(&token);
	}
	skr_program_free(program);
	skr_trust_free(trust);
	skr_signing_key_free(key);
}

Test(release, issuer_is_the_verified_one)
{
	/* A token of an authority the policy does not name is denied, even
	 * though the trust store accepts it. */
	skr_signing_key *key = test_example_key("test-authority-rsa2048.jwk.json");
	skr_trust *trust = trust_of(key, "https://elsewhere.skr.example", "k1");
	skr_program *program = compile_policy(RELEASE_POLICY);
	skr_verify_options options;
	skr_verify_options_init(&options, 1900000000);
	const char *claims = "{\"iss\":\"https://elsewhere.skr.example\",\"exp\":2000000000,"
	                     "\"tee\":\"sevsnpvm\"}";
	skr_buffer token = { 0 };
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, "k1", claims, strlen(claims), &token), SKR_OK);
	skr_result result;
	cr_assert_eq(skr_release(trust, program, (const char *)token.data, token.len, &options, NULL,
	                         NULL, NULL, &result), SKR_OK);
	cr_assert_eq(result.decision, SKR_DENY);
	cr_assert_str_eq(result.reason, "no_matching_authority");
	skr_buffer_free(&token);
	skr_program_free(program);
	skr_trust_free(trust);
	skr_signing_key_free(key);
}

Test(release, audit_record_escapes_and_truncates)
{
	skr_token verified;
	skr_token_init(&verified);
	verified.reason = "issuer_untrusted";
	verified.failed = SKR_CHECK_ISSUER;
	verified.issuer = strdup("https://evil\"\n.example");
	verified.issuer_len = strlen(verified.issuer);
	char record[512];
	size_t need = skr_audit_record(5, "a.b.c", 5, &verified, NULL, NULL, "abc123", record,
	                               sizeof record);
	cr_assert_eq(strlen(record), need);
	cr_assert_not_null(strstr(record, "\"issuer\":\"https://evil\\\"\\u000a.example\""));
	cr_assert_not_null(strstr(record, "\"kid\":null"));
	cr_assert_not_null(strstr(record, "\"program\":\"abc123\""));
	cr_assert_not_null(strstr(record, "\"decision\":\"token_rejected\",\"reason\":\"issuer_untrusted\""));
	json_t *v = json_loads(record, 0, NULL);
	cr_assert_not_null(v);
	json_decref(v);

	/* A short buffer gets a NUL-terminated prefix, and the full length is
	 * returned. */
	char small[16];
	cr_assert_eq(skr_audit_record(5, "a.b.c", 5, &verified, NULL, NULL, "abc123", small,
	                              sizeof small), need);
	cr_assert_eq(strlen(small), sizeof small - 1);
	cr_assert_eq(memcmp(small, record, sizeof small - 1), 0);
	skr_token_clear(&verified);
}
