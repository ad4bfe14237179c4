/*
 * Wycheproof known-answer vectors: RSASSA-PKCS1-v1_5 with SHA-256 against
 * skr_rsa_verify, the JWS vectors at the signature layer, and the JWK
 * vectors against the trust store loader.
 *
 * Decisions for results other than "valid" and "invalid":
 *   - "acceptable" (tcId 8, MissingNull: a DigestInfo without the NULL
 *     parameters) must be rejected: skr accepts only the DER encoding that
 *     RFC 8017 specifies.
 *   - A "valid" vector of an algorithm skr does not implement (HS*, ES*,
 *     PS*) must be rejected, because the allow-list has only RS256, RS384
 *     and RS512.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"
#include "tokens.h"

#define WYCHEPROOF_AUTHORITY "https://wycheproof.skr.example"

/* Loads a vector file from the shared corpus, or logs a skip. */
static json_t *load_vectors(const char *name)
{
	const char *shared = getenv("SKR_SHARED");
	char path[1024];
	snprintf(path, sizeof path, "%s/corpus/wycheproof/%s", shared ? shared : "../shared", name);
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err);
	if (root == NULL)
		test_skip("skipped: %s not loaded: %s (set SKR_SHARED to the shared directory)",
		          path, err.text);
	return root;
}

/* Decodes hex into a malloc'd buffer. */
static uint8_t *from_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	cr_assert_eq(n % 2, 0, "odd hex length");
	uint8_t *out = malloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v = 0;
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return out;
}

/* Counts of one vector file, checked against its numberOfTests. */
typedef struct tally {
	unsigned valid, invalid, acceptable, unimplemented_valid;
} tally;

/* ---- RSASSA-PKCS1-v1_5 ---- */

static void run_rsa_pkcs1_file(const char *name)
{
	json_t *root = load_vectors(name);
	if (root == NULL)
		return;

	tally t = { 0 };
	size_t gi;
	json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		json_t *pub = json_object_get(group, "publicKey");
		cr_assert_str_eq(json_string_value(json_object_get(group, "sha")), "SHA-256");
		size_t n_len = 0, e_len = 0;
		uint8_t *n = from_hex(json_string_value(json_object_get(pub, "modulus")), &n_len);
		uint8_t *e = from_hex(json_string_value(json_object_get(pub, "publicExponent")), &e_len);
		uint8_t *np = n;
		while (n_len > 0 && np[0] == 0) {
			np++;
			n_len--;
		}
		br_rsa_public_key key = { np, n_len, e, e_len };

		size_t ti;
		json_t *test;
		json_array_foreach(json_object_get(group, "tests"), ti, test) {
			long long id = json_integer_value(json_object_get(test, "tcId"));
			const char *result = json_string_value(json_object_get(test, "result"));
			size_t msg_len = 0, sig_len = 0;
			uint8_t *msg = from_hex(json_string_value(json_object_get(test, "msg")), &msg_len);
			uint8_t *sig = from_hex(json_string_value(json_object_get(test, "sig")), &sig_len);
			int ok = skr_rsa_verify(&key, SKR_ALG_RS256, msg, msg_len, sig, sig_len);

			if (strcmp(result, "valid") == 0) {
				cr_assert_eq(ok, 1, "%s tcId %lld is valid but was rejected", name, id);
				t.valid++;
			} else if (strcmp(result, "invalid") == 0) {
				cr_assert_eq(ok, 0, "%s tcId %lld is invalid but was accepted", name, id);
				t.invalid++;
			} else {
				cr_assert_str_eq(result, "acceptable");
				cr_assert_eq(ok, 0, "%s tcId %lld (acceptable) must be rejected", name, id);
				t.acceptable++;
			}
			free(msg);
			free(sig);
		}
		free(n);
		free(e);
	}
	unsigned total = t.valid + t.invalid + t.acceptable;
	cr_assert_eq(total, (unsigned)json_integer_value(json_object_get(root, "numberOfTests")));
	cr_assert_gt(t.valid, 0);
	cr_assert_gt(t.invalid, 0);
	cr_log_info("%s: %u valid accepted, %u invalid and %u acceptable rejected", name, t.valid,
	            t.invalid, t.acceptable);
	json_decref(root);
}

Test(wycheproof, rsa_pkcs1_2048_sha256)
{
	run_rsa_pkcs1_file("rsa_signature_2048_sha256_test.json");
}

Test(wycheproof, rsa_pkcs1_3072_sha256)
{
	run_rsa_pkcs1_file("rsa_signature_3072_sha256_test.json");
}

Test(wycheproof, rsa_pkcs1_4096_sha256)
{
	run_rsa_pkcs1_file("rsa_signature_4096_sha256_test.json");
}

/* ---- JWS and JWK ---- */

/* Loads a trust store that maps one authority to jwks. Returns NULL when
 * the store as a whole is invalid (duplicate kids, for one). */
static skr_trust *trust_for(const json_t *jwks)
{
	json_t *store = json_pack("{s:O}", WYCHEPROOF_AUTHORITY, jwks);
	char *text = json_dumps(store, JSON_COMPACT);
	skr_trust *trust = NULL;
	skr_status st = skr_trust_load(text, strlen(text), NULL, NULL, &trust);
	cr_assert(st == SKR_OK || st == SKR_E_TRUST, "status %d", st);
	free(text);
	json_decref(store);
	return trust;
}

/* Verifies a compact JWS at the signature layer: the compact form, the
 * header, the key the kid selects (or any usable key without a kid) and
 * the signature. The payloads of these vectors are not claims, so the
 * claims and lifetime checks are left out. Returns 1 when accepted. */
static int jws_accepts(const skr_trust *trust, const json_t *jws_value)
{
	if (trust == NULL || !json_is_string(jws_value))
		return 0;  /* an invalid store, or a JSON serialization */

	skr_verify_options options;
	skr_verify_options_init(&options, 0);
	options.algs = SKR_ALGS_ALL;
	skr_jws jws;
	const char *reason = NULL;
	skr_token_check check;
	const char *text = json_string_value(jws_value);
	int accepted = 0;
	if (skr_jws_parse(text, strlen(text), &options, NULL, &jws, &reason, &check) != SKR_OK)
		goto done;

	const skr_trust_authority *auth = &trust->authorities[0];
	for (uint32_t i = 0; i < auth->key_count && !accepted; i++) {
		const skr_trust_key *key = &auth->keys[i];
		if (jws.kid != NULL &&
		    (key->kid == NULL || key->kid_len != jws.kid_len || memcmp(key->kid, jws.kid, jws.kid_len)))
			continue;
		if (key->skipped != NULL || (key->alg != 0 && key->alg != (uint32_t)jws.alg))
			continue;
		accepted = skr_rsa_verify(&key->pub, jws.alg, jws.signing_input, jws.signing_input_len,
		                          jws.signature, jws.signature_len);
	}
done:
	skr_jws_free(&jws);
	return accepted;
}

/* The public JWK of a group (or its private one for symmetric keys), and
 * whether skr implements its algorithm. */
static const json_t *group_key(const json_t *group, int *implemented)
{
	const json_t *key = json_object_get(group, "public");
	if (key == NULL)
		key = json_object_get(group, "private");
	const json_t *first = json_object_get(key, "keys") ? json_array_get(json_object_get(key, "keys"), 0)
	                                                   : key;
	const char *kty = json_string_value(json_object_get(first, "kty"));
	const char *alg = json_string_value(json_object_get(first, "alg"));
	skr_alg parsed;
	*implemented = kty != NULL && strcmp(kty, "RSA") == 0 && alg != NULL &&
	               skr_alg_parse(alg, strlen(alg), &parsed);
	return key;
}

Test(wycheproof, json_web_signature_rs)
{
	json_t *root = load_vectors("json_web_signature_test.json");
	if (root == NULL)
		return;

	tally t = { 0 };
	unsigned rs_tests = 0;
	size_t gi;
	json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		int implemented = 0;
		const json_t *key = group_key(group, &implemented);
		json_t *jwks = json_object_get(key, "keys") ? json_incref((json_t *)key)
		                                            : json_pack("{s:[O]}", "keys", key);
		skr_trust *trust = trust_for(jwks);

		size_t ti;
		json_t *test;
		json_array_foreach(json_object_get(group, "tests"), ti, test) {
			long long id = json_integer_value(json_object_get(test, "tcId"));
			const char *result = json_string_value(json_object_get(test, "result"));
			int ok = jws_accepts(trust, json_object_get(test, "jws"));
			if (!implemented) {
				cr_assert_eq(ok, 0, "tcId %lld of an unimplemented algorithm was accepted", id);
				t.unimplemented_valid += strcmp(result, "valid") == 0;
				continue;
			}
			rs_tests++;
			if (strcmp(result, "valid") == 0) {
				cr_assert_eq(ok, 1, "tcId %lld (%s) is valid but was rejected", id,
				             json_string_value(json_object_get(group, "comment")));
				t.valid++;
			} else {
				cr_assert_str_eq(result, "invalid");
				cr_assert_eq(ok, 0, "tcId %lld is invalid but was accepted", id);
				t.invalid++;
			}
		}
		skr_trust_free(trust);
		json_decref(jwks);
	}
	/* rs256 (226), RS256_2048 (5), RS384 (4), RS512 (4), RFC 7520 RS256 (2). */
	cr_assert_eq(rs_tests, 241);
	cr_assert_eq(t.valid, 16);
	cr_assert_eq(t.invalid, 225);
	cr_log_info("json_web_signature: %u RS valid accepted, %u RS invalid rejected, "
	            "%u valid vectors of unimplemented algorithms rejected",
	            t.valid, t.invalid, t.unimplemented_valid);
	json_decref(root);
}

Test(wycheproof, json_web_key)
{
	json_t *root = load_vectors("json_web_key_test.json");
	if (root == NULL)
		return;

	unsigned accepted = 0, rejected = 0;
	size_t gi;
	json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		int implemented = 0;
		const json_t *jwks = group_key(group, &implemented);
		skr_trust *trust = trust_for(jwks);

		size_t ti;
		json_t *test;
		json_array_foreach(json_object_get(group, "tests"), ti, test) {
			long long id = json_integer_value(json_object_get(test, "tcId"));
			const char *result = json_string_value(json_object_get(test, "result"));
			int ok = jws_accepts(trust, json_object_get(test, "jws"));
			int expected = implemented && strcmp(result, "valid") == 0;
			cr_assert_eq(ok, expected, "tcId %lld (%s, %s): accepted %d", id,
			             json_string_value(json_object_get(group, "comment")), result, ok);
			accepted += ok;
			rejected += !ok;
		}

		/* The RS256 vectors that must fail do so because the loader
		 * skipped their key, not by accident of the signature. */
		const char *comment = json_string_value(json_object_get(group, "comment"));
		if (implemented && trust != NULL &&
		    (strcmp(comment, "jws_rsa_roca_key") == 0 || strcmp(comment, "keysize_too_small") == 0 ||
		     strcmp(comment, "exponentOne") == 0))
			cr_assert_not_null(trust->authorities[0].keys[0].skipped, "group %s", comment);
		const json_t *first = json_array_get(json_object_get(jwks, "keys"), 0);
		const char *use = json_string_value(json_object_get(first, "use"));
		if (trust != NULL && use != NULL && strcmp(use, "enc") == 0)
			cr_assert_not_null(trust->authorities[0].keys[0].skipped, "group %s", comment);
		skr_trust_free(trust);
	}
	cr_assert_eq(accepted, 1);  /* tcId 5 */
	cr_assert_eq(rejected, 25);
	json_decref(root);
}
