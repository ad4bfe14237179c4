/*
 * Attack suite: tokens built to get past verification, each of which must
 * be rejected with its own reason code. Tokens are minted here with the
 * test keys of examples/keys, and cut from the real MAA tokens.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "claims.h"
#include "token.h"
#include "tokens.h"

#define AUTH "https://test-authority.skr.example"
#define OTHER_AUTH "https://other-authority.skr.example"
#define KID "skr-test-authority-2048"
#define OTHER_KID "skr-test-other-authority-2048"
#define WEAK_KID "skr-test-weak-1024"
#define NBF 1700000000LL
#define EXP 1700003600LL
#define NOW 1700001000LL
#define MAA_ISSUER "https://sharedweu.weu.attest.azure.net"
#define MAA_WEAK_KID "wiFDMG11GDLqd14z3T/DUYh/ZmGaVfY0s29siGgYOJs="

/* ---- fixture ---- */

static skr_signing_key *main_key, *other_key, *weak_key;
static skr_trust *trust;

static json_t *public_of(const skr_signing_key *key, const char *kid)
{
	skr_buffer jwk = { 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key, kid, SKR_ALG_RS256, &jwk), SKR_OK);
	json_t *v = json_loadb((const char *)jwk.data, jwk.len, 0, NULL);
	skr_buffer_free(&jwk);
	return v;
}

/* The test authority has the main key and the 1024-bit key, which the
 * loader skips. The other authority has the other key. */
static void setup(void)
{
	main_key = test_example_key("test-authority-rsa2048.jwk.json");
	other_key = test_example_key("test-other-authority-rsa2048.jwk.json");
	weak_key = test_example_key("test-weak-rsa1024.jwk.json");
	json_t *store = json_pack("{s:{s:[oo]},s:{s:[o]}}", AUTH, "keys", public_of(main_key, KID),
	                          public_of(weak_key, WEAK_KID), OTHER_AUTH, "keys",
	                          public_of(other_key, OTHER_KID));
	char *text = json_dumps(store, JSON_COMPACT);
	cr_assert_eq(skr_trust_load(text, strlen(text), NULL, NULL, &trust), SKR_OK);
	free(text);
	json_decref(store);
}

static void teardown(void)
{
	skr_signing_key_free(main_key);
	skr_signing_key_free(other_key);
	skr_signing_key_free(weak_key);
	skr_trust_free(trust);
}

TestSuite(attacks, .init = setup, .fini = teardown);

/* ---- building tokens ---- */

static const char *const good_header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}";

static char claims_text[512];

/* Claims with the given iss and extra members (a JSON fragment, may be ""). */
static const char *claims_with(const char *iss, const char *extra)
{
	snprintf(claims_text, sizeof claims_text,
	         "{\"iss\":\"%s\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,"
	         "\"x-ms-attestation-type\":\"sevsnpvm\"%s%s}",
	         iss, NBF, NBF, EXP, extra[0] ? "," : "", extra);
	return claims_text;
}

/* Signs exact header and payload bytes; returns a NUL-terminated token. */
static char *sign_with(const skr_signing_key *key, skr_alg alg, const char *header,
                       const char *payload, size_t payload_len)
{
	skr_buffer out = { 0 };
	cr_assert_eq(skr_jws_sign_raw(skr_signing_key_private(key), alg, header, strlen(header),
	                              payload, payload_len, &out), SKR_OK);
	char *token = malloc(out.len + 1);
	memcpy(token, out.data, out.len);
	token[out.len] = '\0';
	skr_buffer_free(&out);
	return token;
}

static char *mint(const char *header, const char *payload)
{
	return sign_with(main_key, SKR_ALG_RS256, header, payload, strlen(payload));
}

static char *good_token(void)
{
	return mint(good_header, claims_with(AUTH, ""));
}

/* Replaces part (0 header, 1 payload, 2 signature) of a token with text. */
static char *replace_part(const char *token, int part, const char *text)
{
	const char *dot1 = strchr(token, '.');
	const char *dot2 = strchr(dot1 + 1, '.');
	const char *start[3] = { token, dot1 + 1, dot2 + 1 };
	const char *end[3] = { dot1, dot2, token + strlen(token) };
	size_t cap = strlen(token) + strlen(text) + 1;
	char *out = malloc(cap);
	out[0] = '\0';
	for (int p = 0; p < 3; p++) {
		if (p > 0)
			strcat(out, ".");
		if (p == part)
			strcat(out, text);
		else
			strncat(out, start[p], (size_t)(end[p] - start[p]));
	}
	return out;
}

static char *encode(const void *bytes, size_t len)
{
	char *text = malloc(skr_base64url_encoded_len(len) + 1);
	text[skr_base64url_encode(bytes, len, text)] = '\0';
	return text;
}

/* Decodes the signature, flips one bit and re-encodes it. */
static char *flip_signature_bit(const char *token, size_t bit)
{
	const char *sig = strrchr(token, '.') + 1;
	uint8_t bytes[600];
	size_t len = 0;
	cr_assert_eq(skr_base64url_decode(sig, strlen(sig), bytes, &len, NULL), SKR_B64_OK);
	bytes[(bit / 8) % len] ^= (uint8_t)(1u << (bit % 8));
	char *text = encode(bytes, len);
	char *out = replace_part(token, 2, text);
	free(text);
	return out;
}

/* ---- verifying ---- */

typedef struct outcome {
	skr_status status;
	const char *reason;
	skr_token_check check;
} outcome;

static outcome verify_full(const skr_trust *store, const char *token, int64_t now, int64_t leeway,
                           uint32_t algs)
{
	skr_verify_options options;
	skr_verify_options_init(&options, now);
	options.leeway = leeway;
	options.algs = algs;
	skr_token verified;
	skr_token_init(&verified);
	skr_diags diags;
	skr_diags_init(&diags);
	outcome out;
	out.status = skr_token_verify(store, token, strlen(token), &options, &diags, &verified);
	out.reason = verified.reason;
	out.check = verified.failed;
	if (out.status == SKR_E_TOKEN) {
		/* Every rejection names its check in exactly one error whose code
		 * is the reason (claims errors may add their own first). */
		cr_assert_geq(diags.errors, 1);
		cr_assert_str_eq(diags.items[diags.count - 1].code, verified.reason);
		cr_assert_neq(diags.items[diags.count - 1].message[0], '\0');
		cr_assert_null(verified.claims);
		cr_assert_lt(verified.failed, SKR_CHECK_COUNT);
	} else if (out.status == SKR_OK) {
		cr_assert_not_null(verified.claims);
		cr_assert_eq(verified.failed, SKR_CHECK_COUNT);
	}
	skr_diags_free(&diags);
	skr_token_clear(&verified);
	return out;
}

static outcome verify_at(const char *token, int64_t now, int64_t leeway)
{
	return verify_full(trust, token, now, leeway, SKR_ALGS_DEFAULT);
}

#define expect_reason(token, expected)                                                  \
	do {                                                                                \
		outcome o_ = verify_at((token), NOW, 0);                                        \
		cr_assert_str_eq(o_.reason, (expected), "got %s for token %.60s...", o_.reason, (token)); \
		cr_assert_eq(o_.status, strcmp((expected), "token_valid") == 0 ? SKR_OK : SKR_E_TOKEN); \
	} while (0)

/* ---- minted tokens ---- */

Test(attacks, baseline_token_verifies)
{
	char *token = good_token();
	expect_reason(token, "token_valid");
	free(token);
}

Test(attacks, tampered_payload)
{
	char *token = good_token();
	const char *changed = claims_with(AUTH, "\"x-ms-compliance-status\":\"azure-compliant-cvm\"");
	char *other = encode((const uint8_t *)changed, strlen(changed));
	char *forged = replace_part(token, 1, other);
	expect_reason(forged, "signature_invalid");
	free(forged);
	free(other);

	/* The payload of a token from another authority, under this header. */
	char *foreign = sign_with(other_key, SKR_ALG_RS256, good_header, claims_text,
	                          strlen(claims_text));
	const char *dot1 = strchr(foreign, '.');
	char payload[1024] = "";
	strncat(payload, dot1 + 1, (size_t)(strchr(dot1 + 1, '.') - dot1 - 1));
	forged = replace_part(token, 1, payload);
	expect_reason(forged, "signature_invalid");
	free(forged);
	free(foreign);
	free(token);
}

Test(attacks, tampered_header)
{
	char *token = good_token();
	const char *headers[] = {
		"{\"alg\":\"RS256\",\"typ\":\"JWS\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"RS256\",\"kid\":\"" KID "\"}",
		"{\"kid\":\"" KID "\",\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char *h = encode((const uint8_t *)headers[i], strlen(headers[i]));
		char *forged = replace_part(token, 0, h);
		expect_reason(forged, "signature_invalid");
		free(forged);
		free(h);
	}
	free(token);
}

Test(attacks, flipped_signature_bits)
{
	char *token = good_token();
	size_t bits[] = { 0, 7, 8, 1000, 2040, 2047 };
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
		char *forged = flip_signature_bit(token, bits[i]);
		expect_reason(forged, "signature_invalid");
		free(forged);
	}
	free(token);
}

Test(attacks, truncated_parts)
{
	char *token = good_token();
	size_t len = strlen(token);

	/* 342 signature characters; 341 is a length no bytes encode to. */
	token[len - 1] = '\0';
	expect_reason(token, "token_base64url");
	/* 340 characters decode to 255 bytes, one short of the modulus. */
	token[len - 2] = '\0';
	expect_reason(token, "signature_invalid");

	/* No signature, then no signature part at all. */
	*(strrchr(token, '.') + 1) = '\0';
	expect_reason(token, "token_malformed");
	*strrchr(token, '.') = '\0';
	expect_reason(token, "token_malformed");
	free(token);

	/* A payload without its first group of four characters is no longer
	 * JSON, and the claims check runs before the signature check. */
	token = good_token();
	char *payload = strchr(token, '.') + 1;
	memmove(payload, payload + 4, strlen(payload + 4) + 1);
	expect_reason(token, "claims_invalid");
	free(token);

	/* A signature of the right length from a shorter key. */
	token = good_token();
	char *weak = sign_with(weak_key, SKR_ALG_RS256, good_header, claims_text, strlen(claims_text));
	char *forged = replace_part(token, 2, strrchr(weak, '.') + 1);
	expect_reason(forged, "signature_invalid");
	free(forged);
	free(weak);
	free(token);
}

Test(attacks, padded_and_noncanonical_base64url)
{
	char *token = good_token();
	size_t len = strlen(token);
	char *padded = malloc(len + 3);
	snprintf(padded, len + 3, "%s==", token);
	expect_reason(padded, "token_base64url");
	free(padded);

	/* Padding on the header part. */
	const char *dot1 = strchr(token, '.');
	char header[256] = "";
	strncat(header, token, (size_t)(dot1 - token));
	strcat(header, "=");
	char *forged = replace_part(token, 0, header);
	expect_reason(forged, "token_base64url");
	free(forged);

	/* 342 characters end in a group of two, whose second digit carries 4
	 * unused bits. Setting one keeps the bytes but changes the text. */
	char *noncanonical = strdup(token);
	char *last = noncanonical + len - 1;
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int v = (int)(strchr(digits, *last) - digits);
	*last = digits[v ^ 1];
	expect_reason(noncanonical, "token_base64url");
	free(noncanonical);

	/* Whitespace and standard-alphabet characters. */
	char *spaced = malloc(len + 2);
	snprintf(spaced, len + 2, "%s\n", token);
	expect_reason(spaced, "token_base64url");
	memcpy(spaced, token, len + 1);
	spaced[len - 5] = '+';
	expect_reason(spaced, "token_base64url");
	free(spaced);
	free(token);
}

Test(attacks, alg_none)
{
	const char *payload = claims_with(AUTH, "");
	char *h = encode((const uint8_t *)"{\"alg\":\"none\"}", 14);
	char *p = encode((const uint8_t *)payload, strlen(payload));
	char token[2048];
	snprintf(token, sizeof token, "%s.%s.", h, p);
	expect_reason(token, "token_malformed");
	snprintf(token, sizeof token, "%s.%s.c2ln", h, p);
	expect_reason(token, "alg_not_allowed");
	free(h);
	free(p);

	char *signed_none = mint("{\"alg\":\"none\",\"kid\":\"" KID "\"}", payload);
	expect_reason(signed_none, "alg_not_allowed");
	free(signed_none);
}

Test(attacks, hs256_with_public_key_as_secret)
{
	/* The classic confusion: an HMAC keyed with the RSA public key. */
	const char *header = "{\"alg\":\"HS256\",\"kid\":\"" KID "\"}";
	const char *payload = claims_with(AUTH, "");
	char *h = encode((const uint8_t *)header, strlen(header));
	char *p = encode((const uint8_t *)payload, strlen(payload));
	char input[2048];
	snprintf(input, sizeof input, "%s.%s", h, p);

	const br_rsa_public_key *pub = &trust->authorities[0].keys[0].pub;
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t mac[32];
	br_hmac_key_init(&kc, &br_sha256_vtable, pub->n, pub->nlen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, input, strlen(input));
	br_hmac_out(&hc, mac);
	char *m = encode(mac, sizeof mac);
	char token[2200];
	snprintf(token, sizeof token, "%s.%s", input, m);
	expect_reason(token, "alg_not_allowed");
	free(m);
	free(h);
	free(p);
}

Test(attacks, unknown_and_disabled_algs)
{
	const char *payload = claims_with(AUTH, "");
	const char *headers[] = {
		"{\"alg\":\"RS1024\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"ES256\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"PS256\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"rs256\",\"kid\":\"" KID "\"}",
		"{\"alg\":[\"RS256\"],\"kid\":\"" KID "\"}",
	};
	const char *reasons[] = { "alg_not_allowed", "alg_not_allowed", "alg_not_allowed",
	                          "alg_not_allowed", "token_header_invalid" };
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char *token = mint(headers[i], payload);
		expect_reason(token, reasons[i]);
		free(token);
	}

	/* RS384 signed correctly is outside the default allow-list. When it is
	 * allowed, the key whose JWK names RS256 rejects it. */
	char *rs384 = sign_with(main_key, SKR_ALG_RS384, "{\"alg\":\"RS384\",\"kid\":\"" KID "\"}",
	                        payload, strlen(payload));
	expect_reason(rs384, "alg_not_allowed");
	outcome o = verify_full(trust, rs384, NOW, 0, SKR_ALGS_ALL);
	cr_assert_str_eq(o.reason, "key_alg_mismatch");
	free(rs384);

	/* A token whose header names RS256 but that is signed with RS512. */
	char *mixed = sign_with(main_key, SKR_ALG_RS512, good_header, payload, strlen(payload));
	expect_reason(mixed, "signature_invalid");
	free(mixed);
}

Test(attacks, rs384_rs512_with_unrestricted_key)
{
	/* A store whose JWK has no alg serves every allowed algorithm. */
	json_t *jwk = public_of(main_key, KID);
	json_object_del(jwk, "alg");
	json_t *store = json_pack("{s:{s:[o]}}", AUTH, "keys", jwk);
	char *text = json_dumps(store, JSON_COMPACT);
	skr_trust *open = NULL;
	cr_assert_eq(skr_trust_load(text, strlen(text), NULL, NULL, &open), SKR_OK);
	const char *payload = claims_with(AUTH, "");
	char *t384 = sign_with(main_key, SKR_ALG_RS384, "{\"alg\":\"RS384\",\"kid\":\"" KID "\"}",
	                       payload, strlen(payload));
	char *t512 = sign_with(main_key, SKR_ALG_RS512, "{\"alg\":\"RS512\"}", payload,
	                       strlen(payload));
	cr_assert_str_eq(verify_full(open, t384, NOW, 0, SKR_ALGS_ALL).reason, "token_valid");
	cr_assert_str_eq(verify_full(open, t512, NOW, 0, SKR_ALGS_ALL).reason, "token_valid");
	cr_assert_str_eq(verify_full(open, t512, NOW, 0, SKR_ALGS_DEFAULT).reason, "alg_not_allowed");
	free(t384);
	free(t512);
	free(text);
	json_decref(store);
	skr_trust_free(open);
}

Test(attacks, crit_header)
{
	char *token = mint("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"crit\":[\"exp\"],\"exp\":1}",
	                   claims_with(AUTH, ""));
	expect_reason(token, "crit_not_supported");
	free(token);
}

Test(attacks, header_supplied_keys_are_ignored)
{
	/* An attacker's own key in jwk/x5c/jku does not make its signature
	 * valid: the token is signed with the other key, which the header
	 * offers, but the trust store decides. */
	json_t *offered = public_of(other_key, KID);
	char *offered_text = json_dumps(offered, JSON_COMPACT);
	char header[2048];
	snprintf(header, sizeof header,
	         "{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"jwk\":%s,\"jku\":\"https://evil.example/k\","
	         "\"x5u\":\"https://evil.example/c\"}", offered_text);
	const char *payload = claims_with(AUTH, "");
	char *token = sign_with(other_key, SKR_ALG_RS256, header, payload, strlen(payload));
	expect_reason(token, "signature_invalid");
	free(token);
	free(offered_text);
	json_decref(offered);
}

Test(attacks, unknown_kid)
{
	char *token = mint("{\"alg\":\"RS256\",\"kid\":\"no-such-key\"}", claims_with(AUTH, ""));
	expect_reason(token, "kid_unknown");
	free(token);
	token = mint("{\"alg\":\"RS256\",\"kid\":\"skr-test-authority-2048 \"}", claims_with(AUTH, ""));
	expect_reason(token, "kid_unknown");
	free(token);
	token = mint("{\"alg\":\"RS256\",\"kid\":\"\"}", claims_with(AUTH, ""));
	expect_reason(token, "kid_unknown");
	free(token);
}

Test(attacks, untrusted_and_missing_issuer)
{
	char *token = mint(good_header, claims_with("https://evil.skr.example", ""));
	expect_reason(token, "issuer_untrusted");
	free(token);
	token = mint(good_header, claims_with("https://test-authority.skr.example.evil.example", ""));
	expect_reason(token, "issuer_untrusted");
	free(token);
	token = mint(good_header, claims_with("https://test-authority.skr.example/path", ""));
	expect_reason(token, "issuer_untrusted");
	free(token);

	token = mint(good_header, "{\"exp\":1700003600}");
	expect_reason(token, "issuer_missing");
	free(token);
	token = mint(good_header, "{\"iss\":7,\"exp\":1700003600}");
	expect_reason(token, "issuer_missing");
	free(token);
	token = mint(good_header, "{\"x\":{\"iss\":\"" AUTH "\"},\"exp\":1700003600}");
	expect_reason(token, "issuer_missing");
	free(token);
}

Test(attacks, issuer_spellings_that_match)
{
	const char *spellings[] = { "https://test-authority.skr.example/",
	                            "HTTPS://Test-Authority.SKR.example" };
	for (size_t i = 0; i < 2; i++) {
		char *token = mint(good_header, claims_with(spellings[i], ""));
		skr_verify_options options;
		skr_verify_options_init(&options, NOW);
		skr_token verified;
		skr_token_init(&verified);
		cr_assert_eq(skr_token_verify(trust, token, strlen(token), &options, NULL, &verified),
		             SKR_OK);
		/* The verified issuer is the token's own spelling. */
		cr_assert_str_eq(verified.issuer, spellings[i]);
		cr_assert_str_eq(verified.authority, AUTH);
		skr_token_clear(&verified);
		free(token);
	}
}

Test(attacks, key_of_another_authority)
{
	const char *payload = claims_with(AUTH, "");
	/* Signed by the other authority's key and naming it: not a key of AUTH. */
	char *token = sign_with(other_key, SKR_ALG_RS256,
	                        "{\"alg\":\"RS256\",\"kid\":\"" OTHER_KID "\"}", payload, strlen(payload));
	expect_reason(token, "kid_unknown");
	free(token);
	/* Naming AUTH's key: the signature does not verify with it. */
	token = sign_with(other_key, SKR_ALG_RS256, good_header, payload, strlen(payload));
	expect_reason(token, "signature_invalid");
	free(token);
	/* No kid: every usable key of AUTH is tried, and none verifies. */
	token = sign_with(other_key, SKR_ALG_RS256, "{\"alg\":\"RS256\"}", payload, strlen(payload));
	expect_reason(token, "signature_invalid");
	free(token);
	/* The main key's token, claiming the other authority. */
	token = mint(good_header, claims_with(OTHER_AUTH, ""));
	expect_reason(token, "kid_unknown");
	free(token);
	token = mint("{\"alg\":\"RS256\"}", claims_with(OTHER_AUTH, ""));
	expect_reason(token, "signature_invalid");
	free(token);
}

Test(attacks, no_kid_tries_usable_keys)
{
	char *token = mint("{\"alg\":\"RS256\"}", claims_with(AUTH, ""));
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_token verified;
	skr_token_init(&verified);
	cr_assert_eq(skr_token_verify(trust, token, strlen(token), &options, NULL, &verified), SKR_OK);
	cr_assert_str_eq(verified.kid, KID);
	skr_token_clear(&verified);
	free(token);
}

Test(attacks, weak_1024_bit_key)
{
	const char *payload = claims_with(AUTH, "");
	char *token = sign_with(weak_key, SKR_ALG_RS256,
	                        "{\"alg\":\"RS256\",\"kid\":\"" WEAK_KID "\"}", payload, strlen(payload));
	expect_reason(token, "key_skipped");
	free(token);
	/* Without a kid, the skipped key is never tried. */
	token = sign_with(weak_key, SKR_ALG_RS256, "{\"alg\":\"RS256\"}", payload, strlen(payload));
	expect_reason(token, "signature_invalid");
	free(token);
}

Test(attacks, lifetime_edges)
{
	char *token = good_token();
	cr_assert_str_eq(verify_at(token, EXP - 1, 0).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, EXP, 0).reason, "token_expired");
	cr_assert_str_eq(verify_at(token, EXP + 1, 0).reason, "token_expired");
	cr_assert_str_eq(verify_at(token, NBF, 0).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, NBF - 1, 0).reason, "token_not_yet_valid");

	/* With 60 s of leeway: nbf - 60 <= now < exp + 60. */
	cr_assert_str_eq(verify_at(token, EXP + 59, 60).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, EXP + 60, 60).reason, "token_expired");
	cr_assert_str_eq(verify_at(token, NBF - 60, 60).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, NBF - 61, 60).reason, "token_not_yet_valid");
	cr_assert_eq(verify_at(token, NOW, -1).status, SKR_E_USAGE);

	/* Extreme clocks saturate instead of overflowing. */
	cr_assert_str_eq(verify_at(token, INT64_MAX, INT64_MAX).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, INT64_MAX, 0).reason, "token_expired");
	cr_assert_str_eq(verify_at(token, INT64_MIN, 0).reason, "token_not_yet_valid");
	free(token);
}

Test(attacks, fractional_and_odd_times)
{
	char *token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":1700003600.5,\"nbf\":1699999999.5}");
	cr_assert_str_eq(verify_at(token, 1700003600, 0).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, 1700003601, 0).reason, "token_expired");
	cr_assert_str_eq(verify_at(token, 1700000000, 0).reason, "token_valid");
	cr_assert_str_eq(verify_at(token, 1699999999, 0).reason, "token_not_yet_valid");
	free(token);

	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":1e300}");
	expect_reason(token, "token_valid");
	free(token);
	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":1700003600e0}");
	expect_reason(token, "token_valid");
	free(token);
}

Test(attacks, missing_or_invalid_times)
{
	char *token = mint(good_header, "{\"iss\":\"" AUTH "\"}");
	expect_reason(token, "exp_missing");
	free(token);
	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":\"1700003600\"}");
	expect_reason(token, "exp_invalid");
	free(token);
	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":null}");
	expect_reason(token, "exp_invalid");
	free(token);
	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":1700003600,\"nbf\":\"0\"}");
	expect_reason(token, "nbf_invalid");
	free(token);
	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":1e400}");
	expect_reason(token, "claims_invalid");
	free(token);
	token = mint(good_header, "{\"iss\":\"" AUTH "\",\"exp\":99999999999999999999}");
	expect_reason(token, "claims_invalid");
	free(token);
}

/* Copies the message of a header rejection into out. The header is
 * parsed into a fresh index, or into a reusable one as a workspace does. */
static void header_error(const char *token, int reusable, char *out, size_t cap)
{
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_verify_memory mem = { 0 };
	if (reusable)
		mem.header = skr_claims_new_reusable(256);
	skr_diags diags;
	skr_diags_init(&diags);
	skr_jws jws;
	const char *reason = NULL;
	skr_token_check check = SKR_CHECK_COUNT;
	skr_status st = skr_jws_parse_in(token, strlen(token), &options, reusable ? &mem : NULL,
	                                 &diags, &jws, &reason, &check);
	cr_assert_eq(st, SKR_E_TOKEN);
	cr_assert_str_eq(reason, "token_header_invalid");
	cr_assert_geq(diags.count, 1);
	snprintf(out, cap, "%s", diags.items[diags.count - 1].message);
	skr_diags_free(&diags);
	skr_claims_free(mem.header);
}

Test(attacks, header_errors_name_the_header)
{
	static const char *const headers[] = {
		"{\"alg\":\"RS256\",\"alg\":\"none\"}",
		"{\"alg\":\"RS256\",\"kid\":01}",
		"\"{\\\"alg\\\":\\\"RS256\\\"}\"",
	};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char *token = mint(headers[i], claims_with(AUTH, ""));
		for (int reusable = 0; reusable < 2; reusable++) {
			char message[512];
			header_error(token, reusable, message, sizeof message);
			cr_assert_not_null(strstr(message, "header JSON"), "%s", message);
			cr_assert_null(strstr(message, "claims"), "%s", message);
		}
		free(token);
	}
}

Test(attacks, duplicate_members)
{
	char *token = mint("{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"" KID "\"}", claims_with(AUTH, ""));
	expect_reason(token, "token_header_invalid");
	free(token);
	token = mint("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"kid\":\"other\"}", claims_with(AUTH, ""));
	expect_reason(token, "token_header_invalid");
	free(token);

	token = mint(good_header, claims_with(AUTH, "\"iss\":\"https://evil.skr.example\""));
	expect_reason(token, "claims_invalid");
	free(token);
	token = mint(good_header, claims_with(AUTH, "\"exp\":99999999999"));
	expect_reason(token, "claims_invalid");
	free(token);
	token = mint(good_header, claims_with(AUTH, "\"x-ms-runtime\":{\"a\":1,\"a\":2}"));
	expect_reason(token, "claims_invalid");
	free(token);
	/* Escapes decode before the comparison. */
	token = mint(good_header, claims_with(AUTH, "\"\\u0069ss\":\"https://evil.skr.example\""));
	expect_reason(token, "claims_invalid");
	free(token);
}

Test(attacks, invalid_payload_json)
{
	const char *payloads[] = {
		"", "[]", "\"" AUTH "\"", "{\"iss\":\"" AUTH "\",\"exp\":1700003600,}",
		"{\"iss\":\"" AUTH "\",\"exp\":1700003600,\"x\":\"\xc0\xaf\"}",
		"{\"iss\":\"" AUTH "\",\"exp\":1700003600,\"x\":\"\\ud800\"}",
		"{\"iss\":\"" AUTH "\",\"exp\":1700003600,\"x\":\"\\udc00\\ud800\"}",
		"{\"iss\":\"" AUTH "\",\"exp\":1700003600} {}",
		"{\"iss\":\"" AUTH "\",\"exp\":1700003600 /* c */}",
		"\xef\xbb\xbf{\"iss\":\"" AUTH "\",\"exp\":1700003600}",
	};
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		char *token = mint(good_header, payloads[i]);
		outcome o = verify_at(token, NOW, 0);
		cr_assert_str_eq(o.reason, "claims_invalid", "payload %zu", i);
		cr_assert_eq(o.check, SKR_CHECK_CLAIMS);
		free(token);
	}
}

Test(attacks, oversized_token)
{
	/* A 70 KiB claim pushes the token past the 64 KiB default. */
	size_t pad = 70 * 1024;
	char *payload = malloc(pad + 256);
	int n = snprintf(payload, 256, "{\"iss\":\"%s\",\"exp\":%lld,\"pad\":\"", AUTH, EXP);
	memset(payload + n, 'a', pad);
	strcpy(payload + n + pad, "\"}");
	char *token = mint(good_header, payload);
	outcome o = verify_at(token, NOW, 0);
	cr_assert_str_eq(o.reason, "token_too_large");
	cr_assert_eq(o.check, SKR_CHECK_FORM);

	/* A raised limit lets the same token through. */
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	options.limits.token_bytes = 1 << 20;
	skr_token verified;
	skr_token_init(&verified);
	cr_assert_eq(skr_token_verify(trust, token, strlen(token), &options, NULL, &verified), SKR_OK);
	skr_token_clear(&verified);
	free(token);
	free(payload);
}

Test(attacks, over_deep_and_over_wide_tokens)
{
	char payload[512];
	int n = snprintf(payload, sizeof payload, "{\"iss\":\"%s\",\"exp\":%lld,\"deep\":", AUTH, EXP);
	for (int i = 0; i < 40; i++)
		payload[n++] = '[';
	for (int i = 0; i < 40; i++)
		payload[n++] = ']';
	strcpy(payload + n, "}");
	char *token = mint(good_header, payload);
	expect_reason(token, "claims_invalid");
	free(token);

	char header[512];
	n = snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"x\":", KID);
	for (int i = 0; i < 40; i++)
		n += snprintf(header + n, sizeof header - (size_t)n, "{\"a\":");
	header[n++] = '1';
	for (int i = 0; i < 40; i++)
		header[n++] = '}';
	strcpy(header + n, "}");
	token = mint(header, claims_with(AUTH, ""));
	expect_reason(token, "token_header_invalid");
	free(token);

	/* More members than the default 8,192 in all; the token limit is
	 * raised so that the member limit is the one reached. */
	size_t cap = 9000 * 16 + 256;
	char *wide = malloc(cap);
	size_t w = (size_t)snprintf(wide, cap, "{\"iss\":\"%s\",\"exp\":%lld", AUTH, EXP);
	for (int i = 0; i < 9000; i++)
		w += (size_t)snprintf(wide + w, cap - w, ",\"m%d\":1", i);
	strcpy(wide + w, "}");
	token = mint(good_header, wide);
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	options.limits.token_bytes = 1 << 20;
	skr_token verified;
	skr_token_init(&verified);
	cr_assert_eq(skr_token_verify(trust, token, strlen(token), &options, NULL, &verified),
	             SKR_E_TOKEN);
	cr_assert_str_eq(verified.reason, "claims_invalid");
	free(token);
	free(wide);

	/* A lowered member limit rejects a small token the same way. */
	token = good_token();
	skr_verify_options_init(&options, NOW);
	options.limits.claims_members = 4;
	cr_assert_eq(skr_token_verify(trust, token, strlen(token), &options, NULL, &verified),
	             SKR_E_TOKEN);
	cr_assert_str_eq(verified.reason, "claims_invalid");
	options.limits.claims_members = 5;
	cr_assert_eq(skr_token_verify(trust, token, strlen(token), &options, NULL, &verified), SKR_OK);
	skr_token_clear(&verified);
	free(token);
}

Test(attacks, json_serializations_rejected)
{
	char *token = good_token();
	char json[4096];
	const char *dot1 = strchr(token, '.');
	const char *dot2 = strchr(dot1 + 1, '.');
	snprintf(json, sizeof json, "{\"protected\":\"%.*s\",\"payload\":\"%.*s\",\"signature\":\"%s\"}",
	         (int)(dot1 - token), token, (int)(dot2 - dot1 - 1), dot1 + 1, dot2 + 1);
	expect_reason(json, "token_malformed");
	free(token);
}

/* ---- the real MAA tokens ---- */

TestSuite(attacks_real, .init = setup, .fini = teardown);

static skr_trust *real_trust(void)
{
	size_t len = 0;
	char *json = test_read_real("trust-sharedweu.json", &len);
	if (json == NULL)
		return NULL;
	skr_trust *store = NULL;
	cr_assert_eq(skr_trust_load(json, len, NULL, NULL, &store), SKR_OK);
	free(json);
	return store;
}

static char *real_token(void)
{
	size_t len = 0;
	return test_read_real("maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt", &len);
}

/* Inside the 2023-03 token's lifetime (iat 1680173374, exp 1680202174). */
#define REAL_NOW 1680180000LL

Test(attacks_real, tampering_the_real_token)
{
	skr_trust *store = real_trust();
	char *token = real_token();
	if (store == NULL || token == NULL) {
		skr_trust_free(store);
		free(token);
		return;
	}
	cr_assert_str_eq(verify_full(store, token, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason, "token_valid");

	/* One flipped bit of the signature. */
	char *forged = flip_signature_bit(token, 1234);
	cr_assert_str_eq(verify_full(store, forged, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason,
	                 "signature_invalid");
	free(forged);

	/* A changed claim: the payload re-encoded with the attestation type
	 * switched, under the original header and signature. */
	const char *dot1 = strchr(token, '.');
	const char *dot2 = strchr(dot1 + 1, '.');
	size_t plen = (size_t)(dot2 - dot1 - 1);
	uint8_t *payload = malloc(skr_base64_decoded_max(plen) + 1);
	size_t dlen = 0;
	cr_assert_eq(skr_base64url_decode(dot1 + 1, plen, payload, &dlen, NULL), SKR_B64_OK);
	payload[dlen] = '\0';
	char *at = strstr((char *)payload, "\"sevsnpvm\"");
	cr_assert_not_null(at);
	memcpy(at, "\"sevsnpvN\"", 10);
	char *p = encode(payload, dlen);
	forged = replace_part(token, 1, p);
	cr_assert_str_eq(verify_full(store, forged, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason,
	                 "signature_invalid");
	free(forged);
	free(p);
	free(payload);

	/* Headers an attacker would try, over the real payload and signature. */
	const char *headers[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS256\",\"kid\":\"dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=\"}",
		"{\"alg\":\"RS256\",\"kid\":\"" MAA_WEAK_KID "\"}",
		"{\"alg\":\"RS256\",\"kid\":\"dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=\",\"crit\":[\"x\"]}",
		"{\"alg\":\"RS256\",\"kid\":\"unknown\"}",
	};
	const char *reasons[] = { "alg_not_allowed", "alg_not_allowed", "key_skipped",
	                          "crit_not_supported", "kid_unknown" };
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char *h = encode((const uint8_t *)headers[i], strlen(headers[i]));
		forged = replace_part(token, 0, h);
		cr_assert_str_eq(verify_full(store, forged, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason,
		                 reasons[i], "header %s", headers[i]);
		free(forged);
		free(h);
	}

	/* Padding and whitespace around the real token. */
	size_t len = strlen(token);
	char *padded = malloc(len + 3);
	snprintf(padded, len + 3, "%s=", token);
	cr_assert_str_eq(verify_full(store, padded, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason,
	                 "token_base64url");
	snprintf(padded, len + 3, " %s", token);
	cr_assert_str_eq(verify_full(store, padded, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason,
	                 "token_base64url");
	free(padded);

	/* Expired after exp, and unknown to a store without its authority. */
	cr_assert_str_eq(verify_full(store, token, 1680202174LL, 0, SKR_ALGS_DEFAULT).reason,
	                 "token_expired");
	cr_assert_str_eq(verify_full(trust, token, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason,
	                 "issuer_untrusted");
	free(token);
	skr_trust_free(store);
}

Test(attacks_real, weak_key_allowed_only_by_option)
{
	/* With 1024-bit keys allowed, the MAA store keeps its second key, yet
	 * the real token still verifies only with its own key. */
	size_t len = 0;
	char *json = test_read_real("trust-sharedweu.json", &len);
	char *token = real_token();
	if (json == NULL || token == NULL) {
		free(json);
		free(token);
		return;
	}
	skr_trust_options options;
	skr_trust_options_init(&options);
	options.min_rsa_bits = 1024;
	skr_trust *store = NULL;
	cr_assert_eq(skr_trust_load(json, len, &options, NULL, &store), SKR_OK);
	skr_trust_summary sum;
	skr_trust_summarize(store, &sum);
	cr_assert_eq(sum.usable_keys, 2);
	cr_assert_str_eq(verify_full(store, token, REAL_NOW, 0, SKR_ALGS_DEFAULT).reason, "token_valid");
	skr_trust_free(store);
	free(json);
	free(token);
}

Test(attacks, random_mutations_never_verify)
{
	/* Canonical base64url means any changed, inserted or deleted byte
	 * changes the signed bytes or breaks the encoding, so no mutation of a
	 * valid token may verify. A fixed seed keeps the run repeatable. */
	char *token = good_token();
	size_t len = strlen(token);
	char *work = malloc(len + 2);
	uint32_t state = 0x5eed1234u;
	unsigned rejected = 0;
	for (int round = 0; round < 1500; round++) {
		state = state * 1664525u + 1013904223u;
		size_t at = (state >> 8) % len;
		state = state * 1664525u + 1013904223u;
		char byte = (char)(state >> 24);
		int kind = round % 3;
		memcpy(work, token, len + 1);
		if (kind == 0) {
			if (work[at] == byte)
				byte ^= 1;
			work[at] = byte;
		} else if (kind == 1) {
			memmove(work + at, work + at + 1, len - at);
		} else {
			memmove(work + at + 1, work + at, len - at + 1);
			work[at] = byte;
		}
		/* A NUL inside would end the C string early, so the length is
		 * tracked. */
		size_t work_len = len;
		if (kind == 1)
			work_len = len - 1;
		else if (kind == 2)
			work_len = len + 1;
		skr_verify_options options;
		skr_verify_options_init(&options, NOW);
		skr_token verified;
		skr_token_init(&verified);
		skr_status st = skr_token_verify(trust, work, work_len, &options, NULL, &verified);
		cr_assert_eq(st, SKR_E_TOKEN, "round %d (kind %d at %zu) was not rejected", round, kind, at);
		skr_token_clear(&verified);
		rejected++;
	}
	cr_assert_eq(rejected, 1500);
	free(work);
	free(token);
}
