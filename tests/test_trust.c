/*
 * Trust store tests: loading, each reason a key is skipped, the errors that
 * invalidate a store, and authority matching.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"
#include "tokens.h"

#define AUTHORITY "https://test-authority.skr.example"

/* ---- helpers ---- */

/* Parses examples/keys/NAME with jansson. */
static json_t *read_example_key(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "keys/%s", name);
	size_t len = 0;
	char *text = test_read_example(path, &len);
	json_t *key = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	cr_assert_not_null(key, "examples/%s is not JSON", path);
	free(text);
	return key;
}

/* The public test JWK, with the private members removed. */
static json_t *public_jwk(const char *name)
{
	json_t *jwk = read_example_key(name);
	static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi" };
	for (size_t i = 0; i < 6; i++)
		json_object_del(jwk, private_members[i]);
	return jwk;
}

/* Loads {AUTHORITY: {"keys": [jwk]}}; steals jwk. */
static skr_status load_one(json_t *jwk, uint32_t min_bits, skr_diags *diags, skr_trust **trust)
{
	json_t *store = json_pack("{s:{s:[o]}}", AUTHORITY, "keys", jwk);
	cr_assert_not_null(store);
	char *text = json_dumps(store, JSON_COMPACT);
	skr_trust_options options;
	skr_trust_options_init(&options);
	if (min_bits != 0)
		options.min_rsa_bits = min_bits;
	skr_status st = skr_trust_load(text, strlen(text), &options, diags, trust);
	free(text);
	json_decref(store);
	return st;
}

/* Expects the key to be skipped with a warning that contains why. */
static void expect_skipped(json_t *jwk, const char *why)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	cr_assert_eq(load_one(jwk, 0, &diags, &trust), SKR_OK);
	skr_trust_summary sum;
	skr_trust_summarize(trust, &sum);
	cr_assert_eq(sum.keys, 1);
	cr_assert_eq(sum.usable_keys, 0, "expected a skip for: %s", why);
	cr_assert_eq(diags.warnings, 1);
	cr_assert_str_eq(diags.items[0].code, "trust-key-skipped");
	cr_assert_not_null(strstr(diags.items[0].message, why), "message: %s",
	                   diags.items[0].message);
	cr_assert_not_null(strstr(diags.items[0].message, AUTHORITY));
	cr_assert_not_null(trust->authorities[0].keys[0].skipped);
	skr_trust_free(trust);
	skr_diags_free(&diags);
}

static const skr_trust_key *expect_usable(json_t *jwk, uint32_t min_bits, skr_trust **trust)
{
	skr_diags diags;
	skr_diags_init(&diags);
	cr_assert_eq(load_one(jwk, min_bits, &diags, trust), SKR_OK);
	cr_assert_eq(diags.count, 0, "unexpected: %s", diags.count ? diags.items[0].message : "");
	skr_diags_free(&diags);
	cr_assert_eq((*trust)->authority_count, 1);
	cr_assert_eq((*trust)->authorities[0].key_count, 1);
	const skr_trust_key *key = &(*trust)->authorities[0].keys[0];
	cr_assert_null(key->skipped);
	return key;
}

static skr_status load_text(const char *text, skr_diags *diags, skr_trust **trust)
{
	return skr_trust_load(text, strlen(text), NULL, diags, trust);
}

static void expect_invalid(const char *text, const char *code)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = (skr_trust *)&diags;  /* must be reset to NULL */
	cr_assert_eq(load_text(text, &diags, &trust), SKR_E_TRUST, "store %s", text);
	cr_assert_null(trust);
	cr_assert_geq(diags.errors, 1);
	int found = 0;
	for (size_t i = 0; i < diags.count; i++)
		found |= strcmp(diags.items[i].code, code) == 0;
	cr_assert(found, "expected %s for %s, got %s", code, text, diags.items[0].code);
	skr_diags_free(&diags);
}

/* Replaces member name of jwk with a string value. */
static json_t *with(json_t *jwk, const char *name, json_t *value)
{
	json_object_set_new(jwk, name, value);
	return jwk;
}

static json_t *without(json_t *jwk, const char *name)
{
	json_object_del(jwk, name);
	return jwk;
}

/* Returns the JWK with its modulus re-encoded after change rewrote its
 * bytes; change returns the new length. */
static json_t *with_modulus_changed(json_t *jwk, size_t (*change)(uint8_t *n, size_t len))
{
	const char *n = json_string_value(json_object_get(jwk, "n"));
	uint8_t bytes[600];
	char text[900];
	size_t len = 0;
	cr_assert_eq(skr_base64url_decode(n, strlen(n), bytes, &len, NULL), SKR_B64_OK);
	len = change(bytes, len);
	text[skr_base64url_encode(bytes, len, text)] = '\0';
	return with(jwk, "n", json_string(text));
}

static size_t make_even(uint8_t *n, size_t len)
{
	n[len - 1] &= 0xfe;
	return len;
}

static size_t add_leading_zero(uint8_t *n, size_t len)
{
	memmove(n + 1, n, len);
	n[0] = 0;
	return len + 1;
}

/* ---- loading ---- */

Test(trust, example_store_loads)
{
	json_t *jwk = public_jwk("test-authority-rsa2048.jwk.json");
	skr_trust *trust = NULL;
	const skr_trust_key *key = expect_usable(jwk, 0, &trust);
	cr_assert_str_eq(key->kid, "skr-test-authority-2048");
	cr_assert_eq(key->bits, 2048);
	cr_assert_eq(key->alg, SKR_ALG_RS256);
	cr_assert_eq(key->pub.nlen, 256);
	cr_assert_eq(key->pub.elen, 3);
	skr_trust_free(trust);
}

Test(trust, real_store_skips_1024_bit_key)
{
	size_t len = 0;
	char *json = test_read_real("trust-sharedweu.json", &len);
	if (json == NULL)
		return;
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(json, len, NULL, &diags, &trust), SKR_OK);
	skr_trust_summary sum;
	skr_trust_summarize(trust, &sum);
	cr_assert_eq(sum.authorities, 1);
	cr_assert_eq(sum.keys, 2);
	cr_assert_eq(sum.usable_keys, 1);
	cr_assert_eq(diags.errors, 0);
	cr_assert_eq(diags.warnings, 1);
	cr_assert_not_null(strstr(diags.items[0].message, "wiFDMG11GDLqd14z3T/DUYh/ZmGaVfY0s29siGgYOJs="));
	cr_assert_not_null(strstr(diags.items[0].message, "1024 bits"));
	cr_assert_not_null(strstr(diags.items[0].message, "https://sharedweu.weu.attest.azure.net"));

	const skr_trust_authority *auth = skr_trust_find(trust, "https://sharedweu.weu.attest.azure.net",
	                                                 strlen("https://sharedweu.weu.attest.azure.net"));
	cr_assert_not_null(auth);
	const char *kid = "dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=";
	const skr_trust_key *key = skr_trust_find_kid(auth, kid, strlen(kid));
	cr_assert_not_null(key);
	cr_assert_null(key->skipped);
	cr_assert_eq(key->bits, 2048);
	skr_trust_free(trust);
	skr_diags_free(&diags);
	free(json);
}

Test(trust, real_jwks_loads_under_an_authority)
{
	size_t len = 0;
	char *jwks = test_read_real("maa-jwks-sharedweu-2023.json", &len);
	if (jwks == NULL)
		return;
	size_t cap = len + 128;
	char *store = malloc(cap);
	snprintf(store, cap, "{\"https://sharedweu.weu.attest.azure.net/\": %s}", jwks);
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	cr_assert_eq(load_text(store, &diags, &trust), SKR_OK);
	skr_trust_summary sum;
	skr_trust_summarize(trust, &sum);
	cr_assert_eq(sum.keys, 2);
	cr_assert_eq(sum.usable_keys, 1);
	cr_assert_eq(diags.warnings, 1);

	/* Allowing 1024-bit keys keeps both. */
	skr_trust_options options;
	skr_trust_options_init(&options);
	options.min_rsa_bits = 1024;
	skr_trust *lax = NULL;
	cr_assert_eq(skr_trust_load(store, strlen(store), &options, NULL, &lax), SKR_OK);
	skr_trust_summarize(lax, &sum);
	cr_assert_eq(sum.usable_keys, 2);
	skr_trust_free(lax);
	skr_trust_free(trust);
	skr_diags_free(&diags);
	free(store);
	free(jwks);
}

Test(trust, x5c_and_matching_n_e_agree)
{
	size_t len = 0;
	char *json = test_read_real("trust-sharedweu.json", &len);
	if (json == NULL)
		return;
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(json, len, NULL, NULL, &trust), SKR_OK);
	const skr_trust_key *cert_key = &trust->authorities[0].keys[0];

	/* The same JWK with n and e taken from its certificate stays usable. */
	json_t *root = json_loadb(json, len, 0, NULL);
	json_t *jwk = json_deep_copy(json_array_get(
		json_object_get(json_object_get(root, "https://sharedweu.weu.attest.azure.net"), "keys"), 0));
	char n[700], e[16];
	n[skr_base64url_encode(cert_key->pub.n, cert_key->pub.nlen, n)] = '\0';
	e[skr_base64url_encode(cert_key->pub.e, cert_key->pub.elen, e)] = '\0';
	with(jwk, "n", json_string(n));
	with(jwk, "e", json_string(e));
	skr_trust *both = NULL;
	const skr_trust_key *key = expect_usable(json_deep_copy(jwk), 0, &both);
	cr_assert_eq(key->pub.nlen, cert_key->pub.nlen);
	cr_assert_eq(memcmp(key->pub.n, cert_key->pub.n, key->pub.nlen), 0);
	skr_trust_free(both);

	/* With the test key's n/e instead, the two forms disagree. */
	json_t *other = public_jwk("test-authority-rsa2048.jwk.json");
	with(jwk, "n", json_incref(json_object_get(other, "n")));
	expect_skipped(jwk, "different keys");
	json_decref(other);
	json_decref(root);
	skr_trust_free(trust);
	free(json);
}

Test(trust, leading_zero_in_n_is_ignored)
{
	json_t *jwk = with_modulus_changed(public_jwk("test-authority-rsa2048.jwk.json"),
	                                   add_leading_zero);
	skr_trust *trust = NULL;
	const skr_trust_key *key = expect_usable(jwk, 0, &trust);
	cr_assert_eq(key->bits, 2048);
	cr_assert_eq(key->pub.nlen, 256);
	skr_trust_free(trust);
}

Test(trust, jwk_alg_restricts_key)
{
	json_t *jwk = with(public_jwk("test-authority-rsa2048.jwk.json"), "alg", json_string("RS512"));
	skr_trust *trust = NULL;
	const skr_trust_key *key = expect_usable(jwk, 0, &trust);
	cr_assert_eq(key->alg, SKR_ALG_RS512);
	skr_trust_free(trust);

	jwk = without(public_jwk("test-authority-rsa2048.jwk.json"), "alg");
	key = expect_usable(jwk, 0, &trust);
	cr_assert_eq(key->alg, 0);
	skr_trust_free(trust);
}

Test(trust, optional_members_accepted)
{
	skr_trust *trust = NULL;
	json_t *jwk = with(public_jwk("test-authority-rsa2048.jwk.json"), "key_ops",
	                   json_pack("[ss]", "sign", "verify"));
	expect_usable(jwk, 0, &trust);
	skr_trust_free(trust);

	jwk = without(without(public_jwk("test-authority-rsa2048.jwk.json"), "use"), "kid");
	const skr_trust_key *key = expect_usable(jwk, 0, &trust);
	cr_assert_null(key->kid);
	skr_trust_free(trust);

	/* e = 3 is odd and over 1, so it serves. */
	jwk = with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("Aw"));
	expect_usable(jwk, 0, &trust);
	skr_trust_free(trust);
}

/* ---- skip reasons ---- */

Test(trust_skip, wrong_use)
{
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "use", json_string("enc")),
	               "use is not \"sig\"");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "use", json_integer(1)),
	               "use is not \"sig\"");
}

Test(trust_skip, key_ops_without_verify)
{
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "key_ops",
	                    json_pack("[s]", "sign")), "key_ops does not include \"verify\"");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "key_ops", json_array()),
	               "key_ops does not include \"verify\"");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "key_ops",
	                    json_string("verify")), "key_ops is not an array");
}

Test(trust_skip, unimplemented_alg)
{
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "alg", json_string("PS256")),
	               "alg \"PS256\" is not an implemented");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "alg", json_string("RSA1_5")),
	               "alg \"RSA1_5\"");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "alg", json_string("none")),
	               "alg \"none\"");
}

Test(trust_skip, non_rsa_kty)
{
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "kty", json_string("EC")),
	               "kty \"EC\" is not RSA");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "kty", json_string("oct")),
	               "kty \"oct\"");
	expect_skipped(without(public_jwk("test-authority-rsa2048.jwk.json"), "kty"),
	               "kty is missing");
}

Test(trust_skip, bad_exponents)
{
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("Ag")),
	               "exponent is even");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("AQ")),
	               "exponent is 1");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("AAE")),
	               "exponent is 1");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("AA")),
	               "exponent is zero");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("AQAA")),
	               "exponent is even");
}

Test(trust_skip, small_modulus)
{
	expect_skipped(public_jwk("test-weak-rsa1024.jwk.json"),
	               "RSA key of 1024 bits is under the minimum of 2048 bits");

	skr_trust *trust = NULL;
	const skr_trust_key *key = expect_usable(public_jwk("test-weak-rsa1024.jwk.json"), 1024, &trust);
	cr_assert_eq(key->bits, 1024);
	skr_trust_free(trust);
}

Test(trust_skip, even_modulus)
{
	expect_skipped(with_modulus_changed(public_jwk("test-authority-rsa2048.jwk.json"), make_even),
	               "modulus is even");
}

Test(trust_skip, bad_base64url_members)
{
	json_t *jwk = public_jwk("test-authority-rsa2048.jwk.json");
	char n[800];
	snprintf(n, sizeof n, "%s==", json_string_value(json_object_get(jwk, "n")));
	expect_skipped(with(jwk, "n", json_string(n)),
	               "n is not valid base64url: a character outside the alphabet");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("AQAC")),
	               "exponent is even");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "e", json_string("AQB")),
	               "e is not valid base64url: non-zero unused bits");
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "n", json_integer(5)),
	               "n is not a string");
}

Test(trust_skip, missing_key_material)
{
	expect_skipped(without(public_jwk("test-authority-rsa2048.jwk.json"), "e"),
	               "it has n without e");
	expect_skipped(without(public_jwk("test-authority-rsa2048.jwk.json"), "n"),
	               "it has e without n");
	expect_skipped(without(without(public_jwk("test-authority-rsa2048.jwk.json"), "n"), "e"),
	               "neither n/e nor x5c");
}

Test(trust_skip, unparseable_certificate)
{
	json_t *base = without(without(public_jwk("test-authority-rsa2048.jwk.json"), "n"), "e");
	expect_skipped(with(json_deep_copy(base), "x5c", json_pack("[s]", "AAAA")),
	               "x5c[0] is not a certificate");
	expect_skipped(with(json_deep_copy(base), "x5c", json_pack("[s]", "MIIB-not-base64")),
	               "x5c[0] is not valid base64");
	expect_skipped(with(json_deep_copy(base), "x5c", json_array()), "x5c is not a non-empty array");
	expect_skipped(with(json_deep_copy(base), "x5c", json_pack("[i]", 1)), "x5c[0] is not a string");
	expect_skipped(with(base, "x5c", json_string("AAAA")), "x5c is not a non-empty array");
}

Test(trust_skip, kid_not_a_string)
{
	expect_skipped(with(public_jwk("test-authority-rsa2048.jwk.json"), "kid", json_integer(7)),
	               "its kid is not a string");
}

Test(trust_skip, key_not_an_object)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	cr_assert_eq(load_text("{\"" AUTHORITY "\": {\"keys\": [5, \"x\", null]}}", &diags, &trust),
	             SKR_OK);
	skr_trust_summary sum;
	skr_trust_summarize(trust, &sum);
	cr_assert_eq(sum.keys, 3);
	cr_assert_eq(sum.usable_keys, 0);
	cr_assert_eq(diags.warnings, 3);
	cr_assert_not_null(strstr(diags.items[1].message, "key #1"));
	skr_trust_free(trust);
	skr_diags_free(&diags);
}

/* ---- invalid stores ---- */

Test(trust_invalid, duplicate_kid)
{
	json_t *a = public_jwk("test-authority-rsa2048.jwk.json");
	json_t *b = public_jwk("test-other-authority-rsa2048.jwk.json");
	json_object_set_new(b, "kid", json_string("skr-test-authority-2048"));
	json_t *store = json_pack("{s:{s:[oo]}}", AUTHORITY, "keys", a, b);
	char *text = json_dumps(store, JSON_COMPACT);
	expect_invalid(text, "trust-duplicate-kid");
	free(text);

	/* A skipped key keeps its kid. */
	json_object_set_new(json_array_get(json_object_get(json_object_get(store, AUTHORITY), "keys"), 0),
	                    "use", json_string("enc"));
	text = json_dumps(store, JSON_COMPACT);
	expect_invalid(text, "trust-duplicate-kid");
	free(text);
	json_decref(store);
}

Test(trust_invalid, same_kid_under_two_authorities_is_fine)
{
	json_t *a = public_jwk("test-authority-rsa2048.jwk.json");
	json_t *b = public_jwk("test-other-authority-rsa2048.jwk.json");
	json_object_set_new(b, "kid", json_string("skr-test-authority-2048"));
	json_t *store = json_pack("{s:{s:[o]},s:{s:[o]}}", AUTHORITY, "keys", a,
	                          "https://other.skr.example", "keys", b);
	char *text = json_dumps(store, JSON_COMPACT);
	skr_trust *trust = NULL;
	cr_assert_eq(load_text(text, NULL, &trust), SKR_OK);
	skr_trust_free(trust);
	free(text);
	json_decref(store);
}

Test(trust_invalid, authorities_that_match_one_issuer)
{
	expect_invalid("{\"https://A.example/\": {\"keys\": []}, \"https://a.example\": {\"keys\": []}}",
	               "trust-duplicate-authority");
	expect_invalid("{\"HTTPS://a.example\": {\"keys\": []}, \"https://a.EXAMPLE/\": {\"keys\": []}}",
	               "trust-duplicate-authority");
}

Test(trust_invalid, duplicate_members)
{
	expect_invalid("{\"https://a.example\": {\"keys\": []}, \"https://a.example\": {\"keys\": []}}",
	               "trust-json");
	expect_invalid("{\"https://a.example\": {\"keys\": [], \"keys\": []}}", "trust-json");
	expect_invalid("{\"https://a.example\": {\"keys\": [{\"kty\": \"RSA\", \"kty\": \"RSA\"}]}}",
	               "trust-json");
}

Test(trust_invalid, wrong_shapes)
{
	expect_invalid("[]", "trust-shape");
	expect_invalid("\"https://a.example\"", "trust-json");
	expect_invalid("{\"https://a.example\": []}", "trust-jwks");
	expect_invalid("{\"https://a.example\": {}}", "trust-jwks");
	expect_invalid("{\"https://a.example\": {\"keys\": {}}}", "trust-jwks");
	expect_invalid("{\"\": {\"keys\": []}}", "trust-authority");
}

Test(trust_invalid, malformed_json_points_at_error)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	cr_assert_eq(load_text("{\n  \"https://a.example\": {\"keys\": [],}\n}", &diags, &trust),
	             SKR_E_TRUST);
	cr_assert_eq(diags.errors, 1);
	cr_assert_str_eq(diags.items[0].code, "trust-json");
	cr_assert_eq(diags.items[0].line, 2);
	skr_diags_free(&diags);

	cr_assert_eq(load_text("{\"https://a.example\": {\"keys\": [\"\\u0000\"]}}", NULL, &trust),
	             SKR_E_TRUST);
	cr_assert_eq(load_text("{\"https://a.example\": {\"keys\": [\"\xff\"]}}", NULL, &trust),
	             SKR_E_TRUST);
}

Test(trust, empty_store_warns)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	cr_assert_eq(load_text("{}", &diags, &trust), SKR_OK);
	cr_assert_eq(diags.warnings, 1);
	cr_assert_str_eq(diags.items[0].code, "trust-empty");
	skr_trust_free(trust);
	skr_diags_free(&diags);
}

Test(trust, rejects_null_arguments)
{
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(NULL, 0, NULL, NULL, &trust), SKR_E_USAGE);
	cr_assert_eq(skr_trust_load("{}", 2, NULL, NULL, NULL), SKR_E_USAGE);
	skr_trust_free(NULL);
}

/* ---- authority matching ---- */

Test(trust, authority_matching_rules)
{
	skr_trust *trust = NULL;
	cr_assert_eq(load_text("{\"https://Shared.Example/Path/\": {\"keys\": []},"
	                       " \"plain-Name\": {\"keys\": []}}", NULL, &trust), SKR_OK);
	static const struct {
		const char *issuer;
		int found;
	} cases[] = {
		{ "https://shared.example/Path", 1 },
		{ "https://shared.example/Path/", 1 },
		{ "HTTPS://SHARED.EXAMPLE/Path", 1 },
		{ "https://shared.example/path", 0 },     /* the path is case-sensitive */
		{ "https://shared.example/Path//", 0 },   /* only one '/' is stripped */
		{ "https://shared.example:443/Path", 0 }, /* no default port is added */
		{ "http://shared.example/Path", 0 },
		{ "https://shared.example", 0 },
		{ "plain-Name", 1 },
		{ "plain-Name/", 1 },
		{ "plain-name", 0 },                      /* not a URL: exact */
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const skr_trust_authority *auth = skr_trust_find(trust, cases[i].issuer,
		                                                 strlen(cases[i].issuer));
		cr_assert_eq(auth != NULL, cases[i].found, "issuer %s", cases[i].issuer);
	}
	skr_trust_free(trust);
}
