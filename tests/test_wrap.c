/*
 * Key release envelope tests. AES key wrap with padding is checked against
 * RFC 5649's vectors, then RSA-OAEP wrapping, key loading and the wiping
 * of lent buffers. The last tests cover the choice of the release key in a
 * token, and the release response against the shape of real Key Vault and
 * Managed HSM responses.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"
#include "wrap.h"
#include "tokens.h"

/* ---- helpers ---- */

static skr_key *load_key_text(const char *text)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	memcpy(copy, text, len + 1);
	skr_diags diags;
	skr_diags_init(&diags);
	skr_key *key = NULL;
	skr_status st = skr_key_load(copy, len, &diags, &key);
	cr_assert_eq(st, SKR_OK, "key did not load: %s",
	             diags.count ? diags.items[0].message : skr_status_name(st));
	skr_diags_free(&diags);
	free(copy);
	return key;
}

static skr_key *load_example_key(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "keys/%s", name);
	size_t len = 0;
	char *text = test_read_example(path, &len);
	skr_key *key = load_key_text(text);
	free(text);
	return key;
}

static void hex_decode(const char *hex, uint8_t *out, size_t *len)
{
	*len = 0;
	for (const char *p = hex; p[0] != '\0' && p[1] != '\0'; p += 2) {
		unsigned v;
		sscanf(p, "%2x", &v);
		out[(*len)++] = (uint8_t)v;
	}
}

static int all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++) {
		if (b[i] != 0)
			return 0;
	}
	return 1;
}

static const char *first_code(const skr_diags *diags)
{
	return diags->count > 0 ? diags->items[0].code : "(none)";
}

/* ---- AES key wrap with padding ---- */

/* RFC 5649 section 6: both examples use this 192-bit key-encryption key. */
static const char rfc5649_kek[] = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8";

static void check_kwp_vector(const char *key_hex, const char *wrapped_hex)
{
	uint8_t kek[24], key[64], expected[80], out[80], back[80];
	size_t kek_len, key_len, expected_len, back_len = 0;
	hex_decode(rfc5649_kek, kek, &kek_len);
	hex_decode(key_hex, key, &key_len);
	hex_decode(wrapped_hex, expected, &expected_len);

	cr_assert_eq(skr_kwp_wrapped_len(key_len), expected_len);
	cr_assert(skr_kwp_wrap(kek, kek_len, key, key_len, out));
	cr_assert_arr_eq(out, expected, expected_len, "wrapped bytes differ from RFC 5649");
	cr_assert(skr_kwp_unwrap(kek, kek_len, expected, expected_len, back, &back_len));
	cr_assert_eq(back_len, key_len);
	cr_assert_arr_eq(back, key, key_len);
}

Test(kwp, rfc5649_vector_20_octets)
{
	check_kwp_vector("c37b7e6492584340bed12207808941155068f738",
	                 "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
}

Test(kwp, rfc5649_vector_7_octets)
{
	check_kwp_vector("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f");
}

Test(kwp, any_changed_byte_fails)
{
	uint8_t kek[32], key[45], wrapped[56], back[56];
	size_t back_len;
	for (size_t i = 0; i < sizeof kek; i++)
		kek[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 13 + 5);
	cr_assert(skr_kwp_wrap(kek, sizeof kek, key, sizeof key, wrapped));
	for (size_t i = 0; i < sizeof wrapped; i++) {
		wrapped[i] ^= 0x01;
		cr_assert_not(skr_kwp_unwrap(kek, sizeof kek, wrapped, sizeof wrapped, back, &back_len),
		              "a change of byte %zu went unnoticed", i);
		wrapped[i] ^= 0x01;
	}
	kek[0] ^= 1;
	cr_assert_not(skr_kwp_unwrap(kek, sizeof kek, wrapped, sizeof wrapped, back, &back_len));
}

Test(kwp, every_length_round_trips)
{
	uint8_t kek[32] = { 1, 2, 3 };
	uint8_t key[70], wrapped[88], back[88];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (size_t len = 1; len <= sizeof key; len++) {
		size_t back_len = 0;
		cr_assert_eq(skr_kwp_wrapped_len(len), (len + 7) / 8 * 8 + 8);
		cr_assert(skr_kwp_wrap(kek, sizeof kek, key, len, wrapped));
		cr_assert(skr_kwp_unwrap(kek, sizeof kek, wrapped, skr_kwp_wrapped_len(len), back,
		                         &back_len), "length %zu", len);
		cr_assert_eq(back_len, len);
		cr_assert_arr_eq(back, key, len);
	}
	cr_assert_not(skr_kwp_wrap(kek, 31, key, 8, wrapped), "a 31-byte KEK is not AES");
	cr_assert_not(skr_kwp_wrap(kek, 32, key, 0, wrapped), "nothing to wrap");
	size_t back_len;
	cr_assert_not(skr_kwp_unwrap(kek, 32, wrapped, 12, back, &back_len));
	cr_assert_not(skr_kwp_unwrap(kek, 32, wrapped, 8, back, &back_len));
}

/* ---- RSA-OAEP wrapping ---- */

static const skr_wrap_alg all_encs[] = { SKR_WRAP_CKM_RSA_AES_KEY_WRAP,
	                                     SKR_WRAP_RSA_AES_KEY_WRAP_256,
	                                     SKR_WRAP_RSA_AES_KEY_WRAP_384 };

Test(wrap, alg_names)
{
	const char *names[] = { "CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256",
		                    "RSA_AES_KEY_WRAP_384" };
	for (size_t i = 0; i < 3; i++) {
		skr_wrap_alg alg;
		cr_assert_str_eq(skr_wrap_alg_name(all_encs[i]), names[i]);
		cr_assert(skr_wrap_alg_parse(names[i], strlen(names[i]), &alg));
		cr_assert_eq(alg, all_encs[i]);
	}
	skr_wrap_alg alg;
	cr_assert_not(skr_wrap_alg_parse("RSA_AES_KEY_WRAP_512", 20, &alg));
	cr_assert_not(skr_wrap_alg_parse("ckm_rsa_aes_key_wrap", 20, &alg));
	cr_assert_str_eq(skr_wrap_alg_name((skr_wrap_alg)9), "?");
}

Test(wrap, each_enc_round_trips)
{
	skr_key *workload = load_example_key("test-workload-rsa2048.pem");
	for (size_t a = 0; a < 3; a++) {
		uint8_t material[100], original[100], ct[512], back[512];
		for (size_t i = 0; i < sizeof material; i++)
			original[i] = material[i] = (uint8_t)(i + 3 * a);
		size_t ct_len = 0, back_len = 0;
		cr_assert_eq(skr_wrapped_len(workload, sizeof material), 256 + 112);
		cr_assert_eq(skr_wrap(workload, all_encs[a], material, sizeof material, NULL, ct,
		                      sizeof ct, &ct_len), SKR_OK);
		cr_assert_eq(ct_len, 256 + 112);
		cr_assert(skr_unwrap(workload, all_encs[a], ct, ct_len, back, &back_len));
		cr_assert_eq(back_len, sizeof original);
		cr_assert_arr_eq(back, original, sizeof original);
		/* The OAEP hash is part of the algorithm: another one fails. */
		cr_assert_not(skr_unwrap(workload, all_encs[(a + 1) % 3], ct, ct_len, back, &back_len));
	}
	skr_key_free(workload);
}

Test(wrap, two_wraps_differ)
{
	skr_key *workload = load_example_key("test-workload-rsa2048.pem");
	uint8_t m1[32] = { 7 }, m2[32] = { 7 }, ct1[512], ct2[512];
	size_t l1, l2;
	cr_assert_eq(skr_wrap(workload, SKR_WRAP_RSA_AES_KEY_WRAP_256, m1, 32, NULL, ct1, 512, &l1),
	             SKR_OK);
	cr_assert_eq(skr_wrap(workload, SKR_WRAP_RSA_AES_KEY_WRAP_256, m2, 32, NULL, ct2, 512, &l2),
	             SKR_OK);
	cr_assert_eq(l1, l2);
	/* Fresh transfer keys and OAEP seeds change both halves. */
	cr_assert_neq(memcmp(ct1, ct2, 256), 0);
	cr_assert_neq(memcmp(ct1 + 256, ct2 + 256, l1 - 256), 0);
	skr_key_free(workload);
}

Test(wrap, wrong_workload_key_fails)
{
	skr_key *workload = load_example_key("test-workload-rsa2048.pem");
	skr_key *other = load_example_key("test-release-rsa2048.pem");
	uint8_t material[40] = { 1, 2, 3 }, ct[512], back[512];
	size_t ct_len, back_len;
	cr_assert_eq(skr_wrap(workload, SKR_WRAP_CKM_RSA_AES_KEY_WRAP, material, 40, NULL, ct, 512,
	                      &ct_len), SKR_OK);
	cr_assert_not(skr_unwrap(other, SKR_WRAP_CKM_RSA_AES_KEY_WRAP, ct, ct_len, back, &back_len));
	skr_key_free(workload);
	skr_key_free(other);
}

/* ---- lent buffers ---- */

Test(wrap_lent, wrap_wipes_material)
{
	skr_key *workload = load_example_key("test-workload-rsa2048.pem");
	uint8_t material[300], ct[1024];
	size_t ct_len;

	memset(material, 0x5c, sizeof material);
	cr_assert_eq(skr_wrap(workload, SKR_WRAP_RSA_AES_KEY_WRAP_384, material, sizeof material,
	                      NULL, ct, sizeof ct, &ct_len), SKR_OK);
	cr_assert(all_zero(material, sizeof material), "the material survived a wrap");

	/* A failed call (the output is too small) wipes it too. */
	memset(material, 0x5c, sizeof material);
	cr_assert_eq(skr_wrap(workload, SKR_WRAP_RSA_AES_KEY_WRAP_384, material, sizeof material,
	                      NULL, ct, 100, &ct_len), SKR_E_USAGE);
	cr_assert(all_zero(material, sizeof material), "the material survived a failed wrap");
	skr_key_free(workload);
}

Test(wrap_lent, key_load_wipes_text)
{
	const char *names[] = { "keys/test-workload-rsa2048.pem", "keys/test-workload-rsa2048.jwk.json",
		                    "keys/test-release-aes256.jwk.json", "keys/test-weak-rsa1024.jwk.json" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t len = 0;
		char *text = test_read_example(names[i], &len);
		skr_key *key = NULL;
		skr_status st = skr_key_load(text, len, NULL, &key);
		/* The 1024-bit key is refused, and its text is wiped all the same. */
		cr_assert_eq(st, i == 3 ? SKR_E_USAGE : SKR_OK, "%s", names[i]);
		cr_assert(all_zero(text, len), "%s: the key text survived skr_key_load", names[i]);
		skr_key_free(key);
		free(text);
	}
	char garbage[] = "not a key at all";
	skr_key *key = NULL;
	cr_assert_eq(skr_key_load(garbage, sizeof garbage - 1, NULL, &key), SKR_E_USAGE);
	cr_assert(all_zero(garbage, sizeof garbage - 1));
}

Test(wrap_lent, key_oct_wipes_bytes)
{
	uint8_t bytes[32];
	memset(bytes, 0x77, sizeof bytes);
	skr_key *key = NULL;
	cr_assert_eq(skr_key_oct(bytes, sizeof bytes, "lent", &key), SKR_OK);
	cr_assert(all_zero(bytes, sizeof bytes));
	uint8_t material[32];
	size_t len = 0;
	cr_assert_eq(skr_key_material(key, material, sizeof material, &len), SKR_OK);
	cr_assert_eq(len, 32);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(material[i], 0x77);
	skr_key_free(key);

	memset(bytes, 0x77, sizeof bytes);
	cr_assert_eq(skr_key_oct(bytes, 8, "short", &key), SKR_E_USAGE);
	cr_assert(all_zero(bytes, 8), "a refused key is wiped too");
}

/* ---- keys ---- */

/* The DER inside a PEM file, decoded independently of the code under test. */
static uint8_t *pem_der(const char *text, size_t *len)
{
	const char *begin = strstr(text, "-----\n");
	const char *end = strstr(text, "\n-----END");
	cr_assert(begin && end);
	char *b64 = malloc((size_t)(end - begin) + 1);
	size_t n = 0;
	for (const char *p = begin + 6; p < end; p++) {
		if (*p != '\n' && *p != '\r')
			b64[n++] = *p;
	}
	uint8_t *der = malloc(skr_base64_decoded_max(n));
	cr_assert_eq(skr_base64_decode(b64, n, der, len, NULL), SKR_B64_OK);
	free(b64);
	return der;
}

Test(wrap_key, pkcs8_material_matches_pem)
{
	size_t len = 0, der_len = 0;
	char *text = test_read_example("keys/test-workload-rsa2048.pem", &len);
	uint8_t *der = pem_der(text, &der_len);
	free(text);

	const char *forms[] = { "test-workload-rsa2048.pem", "test-workload-rsa2048.jwk.json" };
	for (size_t i = 0; i < 2; i++) {
		skr_key *key = load_example_key(forms[i]);
		cr_assert_eq(skr_key_kind_of(key), SKR_KEY_RSA_PRIVATE);
		cr_assert_eq(skr_key_bits(key), 2048);
		size_t need = 0;
		cr_assert_eq(skr_key_material(key, NULL, 0, &need), SKR_OK);
		cr_assert_eq(need, der_len, "%s: PKCS#8 of %zu bytes, the PEM has %zu", forms[i], need,
		             der_len);
		uint8_t *material = malloc(need);
		cr_assert_eq(skr_key_material(key, material, need, &need), SKR_OK);
		cr_assert_arr_eq(material, der, der_len, "%s: PKCS#8 differs from the PEM", forms[i]);
		free(material);
		skr_key_free(key);
	}
	free(der);
}

Test(wrap_key, jwk_kid_and_key_ops)
{
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	cr_assert_eq(skr_key_kind_of(key), SKR_KEY_OCT);
	cr_assert_eq(skr_key_bits(key), 256);
	cr_assert_str_eq(skr_key_kid(key), "skr-test-release-aes256");
	cr_assert_str_eq(key->key_ops, "[\"encrypt\",\"decrypt\",\"wrapKey\",\"unwrapKey\"]");
	char thumbprint[44];
	cr_assert_eq(skr_key_thumbprint(key, thumbprint), SKR_E_USAGE, "an oct key has none");
	skr_key_free(key);

	key = load_example_key("test-workload-rsa2048.public.jwk.json");
	cr_assert_eq(skr_key_kind_of(key), SKR_KEY_RSA_PUBLIC);
	cr_assert_eq(skr_key_thumbprint(key, thumbprint), SKR_OK);
	cr_assert_eq(strlen(thumbprint), 43);
	size_t len;
	cr_assert_eq(skr_key_material(key, NULL, 0, &len), SKR_E_USAGE, "a public key has none");
	skr_key_free(key);
}

Test(wrap_key, export_round_trips)
{
	const char *names[] = { "test-release-rsa2048.pem", "test-release-aes256.jwk.json",
		                    "test-service-rsa2048.public.pem" };
	for (size_t i = 0; i < 3; i++) {
		skr_key *key = load_example_key(names[i]);
		size_t len = 0;
		cr_assert_eq(skr_key_export(key, NULL, 0, &len), SKR_OK);
		char *text = malloc(len + 1);
		size_t got = 0;
		cr_assert_eq(skr_key_export(key, text, len - 1, &got), SKR_OK);
		cr_assert_eq(got, len, "a short buffer still learns the size");
		cr_assert_eq(skr_key_export(key, text, len, &got), SKR_OK);
		text[len] = '\0';
		cr_assert_eq(text[len - 1], '\n');
		skr_key *again = load_key_text(text);
		cr_assert_eq(skr_key_kind_of(again), skr_key_kind_of(key));
		if (skr_key_kind_of(key) != SKR_KEY_RSA_PUBLIC) {
			uint8_t a[4096], b[4096];
			size_t a_len, b_len;
			skr_key_material(key, a, sizeof a, &a_len);
			skr_key_material(again, b, sizeof b, &b_len);
			cr_assert_eq(a_len, b_len);
			cr_assert_arr_eq(a, b, a_len, "%s", names[i]);
		} else {
			char t1[44], t2[44];
			skr_key_thumbprint(key, t1);
			skr_key_thumbprint(again, t2);
			cr_assert_str_eq(t1, t2);
		}
		if (skr_key_kind_of(key) == SKR_KEY_OCT)
			cr_assert_str_eq(skr_key_kid(again), "skr-test-release-aes256");
		skr_key_free(again);
		skr_key_free(key);
		free(text);
	}
}

/* Replaces the value of a member of a JWK text (a string member). */
static char *with_member(const char *jwk_text, const char *name, const char *value)
{
	json_t *jwk = json_loads(jwk_text, 0, NULL);
	cr_assert_not_null(jwk);
	if (value == NULL)
		json_object_del(jwk, name);
	else
		json_object_set_new(jwk, name, json_string(value));
	char *text = json_dumps(jwk, JSON_COMPACT);
	json_decref(jwk);
	return text;
}

static void expect_rejected(const char *label, char *text)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_key *key = NULL;
	skr_status st = skr_key_load(text, strlen(text), &diags, &key);
	cr_assert_eq(st, SKR_E_USAGE, "%s: loaded", label);
	cr_assert_null(key);
	cr_assert_str_eq(first_code(&diags), "key-invalid", "%s", label);
	cr_log_info("%s: %s", label, diags.items[0].message);
	skr_diags_free(&diags);
}

Test(wrap_key, bad_keys_are_refused)
{
	size_t len;
	char *jwk = test_read_example("keys/test-workload-rsa2048.jwk.json", &len);
	json_t *parsed = json_loads(jwk, 0, NULL);
	const char *dp = json_string_value(json_object_get(parsed, "dp"));
	const char *q = json_string_value(json_object_get(parsed, "q"));
	char other_dp[600];
	snprintf(other_dp, sizeof other_dp, "%s", dp);
	other_dp[5] = other_dp[5] == 'A' ? 'B' : 'A';

	struct {
		const char *label;
		char *text;
	} cases[] = {
		{ "no p", with_member(jwk, "p", NULL) },
		{ "no e", with_member(jwk, "e", NULL) },
		{ "dp changed", with_member(jwk, "dp", other_dp) },
		{ "p replaced by q", with_member(jwk, "p", q) },
		{ "d changed", with_member(jwk, "d", "AQAB") },
		{ "d padded base64", with_member(jwk, "d", "AQ==") },
		{ "kty EC", with_member(jwk, "kty", "EC") },
		{ "oth", with_member(jwk, "oth", "x") },
		{ "escaped name", strdup("{\"kty\":\"oct\",\"\\u006b\":\"AAAAAAAAAAAAAAAAAAAAAA\"}") },
		{ "duplicate k", strdup("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\","
		                        "\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}") },
		{ "oct of 8 bytes", strdup("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAA\"}") },
		{ "oct without k", strdup("{\"kty\":\"oct\"}") },
		{ "trailing comma", strdup("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\",}") },
		{ "text after the object", strdup("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"} x") },
		{ "encrypted PEM", strdup("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBAA==\n"
		                          "-----END ENCRYPTED PRIVATE KEY-----\n") },
		{ "certificate only", strdup("-----BEGIN CERTIFICATE-----\nMIIBAA==\n"
		                             "-----END CERTIFICATE-----\n") },
		{ "bad DER", strdup("-----BEGIN PRIVATE KEY-----\nMIIBAA==\n-----END PRIVATE KEY-----\n") },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expect_rejected(cases[i].label, cases[i].text);
		free(cases[i].text);
	}
	json_decref(parsed);
	free(jwk);

	char *weak = test_read_example("keys/test-weak-rsa1024.jwk.json", &len);
	expect_rejected("1024-bit key", weak);
	free(weak);
}

/* ---- tokens with runtime keys ---- */

#define TEST_ISSUER "https://test-authority.skr.example"
#define TEST_NOW 1800000000

static const char test_policy[] =
	"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"" TEST_ISSUER "\","
	"\"allOf\":[{\"claim\":\"x-ms-attestation-type\",\"equals\":\"sevsnpvm\"}]}]}";

typedef struct fixture {
	skr_trust *trust;
	skr_program *program;
	skr_signing_key *authority;
	skr_key *workload;          /* private half of the runtime key */
	json_t *workload_jwk;       /* public JWK, as a token carries it */
	skr_verify_options options;
} fixture;

static void fixture_init(fixture *f)
{
	size_t len = 0;
	char *trust = test_read_example("keys/test-trust.json", &len);
	cr_assert_eq(skr_trust_load(trust, len, NULL, NULL, &f->trust), SKR_OK);
	free(trust);

	skr_buffer image = { 0 };
	cr_assert_eq(skr_compile(test_policy, strlen(test_policy), SKR_SYNTAX_JSON, NULL, NULL,
	                         &image), SKR_OK);
	cr_assert_eq(skr_program_load(image.data, image.len, NULL, &f->program), SKR_OK);
	skr_buffer_free(&image);

	char *pem = test_read_example("keys/test-authority-rsa2048.pem", &len);
	cr_assert_eq(skr_signing_key_load(pem, len, NULL, &f->authority), SKR_OK);
	free(pem);

	f->workload = load_example_key("test-workload-rsa2048.pem");
	char *jwk = test_read_example("keys/test-workload-rsa2048.public.jwk.json", &len);
	f->workload_jwk = json_loads(jwk, 0, NULL);
	free(jwk);
	skr_verify_options_init(&f->options, TEST_NOW);
}

static void fixture_free(fixture *f)
{
	skr_trust_free(f->trust);
	skr_program_free(f->program);
	skr_signing_key_free(f->authority);
	skr_key_free(f->workload);
	json_decref(f->workload_jwk);
}

/* Mints a token for the test authority whose x-ms-runtime is runtime
 * (stolen reference; NULL for none). */
static char *mint(const fixture *f, json_t *runtime)
{
	json_t *claims = json_pack("{s:s,s:i,s:i,s:s}", "iss", TEST_ISSUER, "exp", 2100000000,
	                           "nbf", 1700000000, "x-ms-attestation-type", "sevsnpvm");
	if (runtime != NULL)
		json_object_set_new(claims, "x-ms-runtime", runtime);
	char *payload = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	skr_buffer token = { 0 };
	cr_assert_eq(skr_token_mint(f->authority, SKR_ALG_RS256, "skr-test-authority-2048", payload,
	                            strlen(payload), &token), SKR_OK);
	free(payload);
	char *text = malloc(token.len + 1);
	memcpy(text, token.data, token.len);
	text[token.len] = '\0';
	skr_buffer_free(&token);
	return text;
}

/* The workload's public JWK with one member changed (value NULL deletes). */
static json_t *workload_jwk_with(const fixture *f, const char *name, json_t *value)
{
	json_t *jwk = json_deep_copy(f->workload_jwk);
	if (value == NULL)
		json_object_del(jwk, name);
	else
		json_object_set_new(jwk, name, value);
	return jwk;
}

static json_t *runtime_with_keys(json_t *keys)
{
	return json_pack("{s:o}", "keys", keys);
}

typedef struct outcome {
	skr_status status;
	skr_result result;
	char *response;
	size_t len;
	char first_code[64];
} outcome;

/* Runs a release with an envelope: a size query, then the real call. */
static outcome release_with(const fixture *f, const char *token, const skr_key *key,
                            const skr_envelope_options *options)
{
	outcome o;
	memset(&o, 0, sizeof o);
	skr_diags diags;
	skr_diags_init(&diags);
	size_t need = 0;
	o.status = skr_release_envelope(f->trust, f->program, token, strlen(token), &f->options,
	                                key, options, NULL, &diags, NULL, &o.result, NULL, 0,
	                                &need);
	snprintf(o.first_code, sizeof o.first_code, "%s", first_code(&diags));
	skr_diags_free(&diags);
	if (o.status != SKR_OK || o.result.decision != SKR_RELEASE) {
		cr_assert_eq(need, 0, "nothing is released, so nothing is needed");
		return o;
	}
	o.response = malloc(need + 1);
	skr_diags_init(&diags);
	o.status = skr_release_envelope(f->trust, f->program, token, strlen(token), &f->options,
	                                key, options, NULL, &diags, NULL, &o.result,
	                                (uint8_t *)o.response, need, &o.len);
	cr_assert_eq(o.status, SKR_OK, "%s", first_code(&diags));
	cr_assert_eq(o.len, need, "the written response is as long as measured");
	o.response[o.len] = '\0';
	skr_diags_free(&diags);
	return o;
}

static skr_envelope_options policy_options(void)
{
	skr_envelope_options options;
	skr_envelope_options_init(&options);
	options.policy = test_policy;
	options.policy_len = strlen(test_policy);
	return options;
}

/* Decodes a base64url JSON string member into a JSON value. */
static json_t *decode_b64_json(const char *text)
{
	size_t len = strlen(text), out_len = 0;
	uint8_t *raw = malloc(skr_base64_decoded_max(len) + 1);
	cr_assert_eq(skr_base64url_decode(text, len, raw, &out_len, NULL), SKR_B64_OK);
	json_t *v = json_loadb((const char *)raw, out_len, 0, NULL);
	free(raw);
	cr_assert_not_null(v);
	return v;
}

/* The payload object of a response, signed or not. */
static json_t *payload_of_response(const char *response)
{
	json_t *doc = json_loads(response, JSON_REJECT_DUPLICATES, NULL);
	cr_assert_not_null(doc, "the response is not JSON");
	json_t *value = json_object_get(doc, "value");
	if (value == NULL)
		return doc;
	const char *jws = json_string_value(value);
	const char *dot1 = strchr(jws, '.');
	const char *dot2 = strchr(dot1 + 1, '.');
	char *middle = strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	json_t *payload = decode_b64_json(middle);
	free(middle);
	json_decref(doc);
	return payload;
}

static const char *key_hsm_kid(const char *response)
{
	static char kid[128];
	json_t *payload = payload_of_response(response);
	json_t *jwk = json_object_get(json_object_get(json_object_get(payload, "response"), "key"),
	                              "key");
	json_t *hsm = decode_b64_json(json_string_value(json_object_get(jwk, "key_hsm")));
	snprintf(kid, sizeof kid, "%s",
	         json_string_value(json_object_get(json_object_get(hsm, "header"), "kid")));
	json_decref(hsm);
	json_decref(payload);
	return kid;
}

Test(release_key, unsuitable_keys_deny)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_envelope_options options = policy_options();

	json_t *ec = json_pack("{s:s,s:s,s:[s],s:s,s:s,s:s}", "kty", "EC", "kid", "ec-key",
	                       "key_ops", "encrypt", "crv", "P-256", "x", "AA", "y", "AA");
	struct {
		const char *label;
		json_t *runtime;
	} cases[] = {
		{ "no x-ms-runtime", NULL },
		{ "no keys", json_pack("{s:s}", "other", "x") },
		{ "keys not an array", json_pack("{s:{}}", "keys") },
		{ "empty keys", runtime_with_keys(json_array()) },
		{ "not RSA", runtime_with_keys(json_pack("[o]", ec)) },
		{ "no kid", runtime_with_keys(json_pack("[o]", workload_jwk_with(&f, "kid", NULL))) },
		{ "empty kid", runtime_with_keys(json_pack(
			               "[o]", workload_jwk_with(&f, "kid", json_string("")))) },
		{ "kid not a string", runtime_with_keys(json_pack(
			                      "[o]", workload_jwk_with(&f, "kid", json_integer(1)))) },
		{ "not for encryption", runtime_with_keys(json_pack(
			                        "[o]", workload_jwk_with(&f, "key_ops", json_pack("[s]", "sign"))))
		},
		{ "use sig", runtime_with_keys(json_pack(
			             "[o]", json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", "x", "use",
			                              "sig", "n", "AQAB", "e", "AQAB"))) },
		{ "kty lower case", runtime_with_keys(json_pack(
			                    "[o]", workload_jwk_with(&f, "kty", json_string("rsa")))) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *token = mint(&f, cases[i].runtime);
		outcome o = release_with(&f, token, key, &options);
		cr_assert_eq(o.status, SKR_OK, "%s: status %s", cases[i].label, skr_status_name(o.status));
		cr_assert_eq(o.result.decision, SKR_DENY, "%s", cases[i].label);
		cr_assert_str_eq(o.result.reason, "no_release_key", "%s", cases[i].label);
		cr_assert_eq(o.result.entry, -1);
		free(token);
	}
	skr_key_free(key);
	fixture_free(&f);
}

Test(release_key, malformed_key_rejects)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_envelope_options options = policy_options();

	size_t len;
	char *weak_text = test_read_example("keys/test-weak-rsa1024.jwk.json", &len);
	json_t *weak = json_loads(weak_text, 0, NULL);
	free(weak_text);
	struct {
		const char *label;
		json_t *jwk;
	} cases[] = {
		{ "no n", workload_jwk_with(&f, "n", NULL) },
		{ "no e", workload_jwk_with(&f, "e", NULL) },
		{ "n not a string", workload_jwk_with(&f, "n", json_integer(5)) },
		{ "n bad base64url", workload_jwk_with(&f, "n", json_string("AQAB+/==")) },
		{ "1024-bit modulus", workload_jwk_with(&f, "n", json_incref(json_object_get(weak, "n"))) },
		{ "even exponent", workload_jwk_with(&f, "e", json_string("AQAC")) },
		{ "exponent 1", workload_jwk_with(&f, "e", json_string("AQ")) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *token = mint(&f, runtime_with_keys(json_pack("[o]", cases[i].jwk)));
		outcome o = release_with(&f, token, key, &options);
		cr_assert_eq(o.status, SKR_E_TOKEN, "%s: status %s", cases[i].label,
		             skr_status_name(o.status));
		cr_assert_eq(o.result.decision, SKR_DENY);
		cr_assert_str_eq(o.result.reason, "release_key_invalid", "%s", cases[i].label);
		cr_assert_str_eq(o.first_code, "release_key_invalid", "%s", cases[i].label);
		free(token);
	}
	json_decref(weak);
	skr_key_free(key);
	fixture_free(&f);
}

Test(release_key, first_suitable_entry_wins)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_envelope_options options = policy_options();

	/* A signing key first, then two suitable keys: the first suitable one
	 * is used, marked by "key_ops", "use" or "key_use". */
	const char *markers[][2] = { { "key_ops", NULL }, { "use", "enc" }, { "key_use", "enc" } };
	for (size_t m = 0; m < 3; m++) {
		json_t *first = workload_jwk_with(&f, "key_ops", json_pack("[s]", "sign"));
		json_object_set_new(first, "kid", json_string("signing"));
		json_t *chosen = workload_jwk_with(&f, "key_ops", NULL);
		if (markers[m][1] == NULL)
			json_object_set_new(chosen, "key_ops", json_pack("[ss]", "verify", "encrypt"));
		else
			json_object_set_new(chosen, markers[m][0], json_string(markers[m][1]));
		json_object_set_new(chosen, "kid", json_string("chosen"));
		json_t *later = workload_jwk_with(&f, "kid", json_string("later"));
		char *token = mint(&f, runtime_with_keys(json_pack("[ooo]", first, chosen, later)));
		outcome o = release_with(&f, token, key, &options);
		cr_assert_eq(o.status, SKR_OK);
		cr_assert_eq(o.result.decision, SKR_RELEASE, "marker %s", markers[m][0]);
		cr_assert_str_eq(key_hsm_kid(o.response), "chosen", "marker %s", markers[m][0]);
		free(o.response);
		free(token);
	}
	skr_key_free(key);
	fixture_free(&f);
}

/* ---- the release response ---- */

static char *release_for(const fixture *f, const skr_key *key,
                         const skr_envelope_options *options)
{
	char *token = mint(f, runtime_with_keys(json_pack("[O]", f->workload_jwk)));
	outcome o = release_with(f, token, key, options);
	free(token);
	cr_assert_eq(o.status, SKR_OK);
	cr_assert_eq(o.result.decision, SKR_RELEASE, "reason %s", o.result.reason);
	return o.response;
}

static skr_key *open_response(const fixture *f, const char *response, const skr_key *service,
                              skr_envelope_signature *signature_kind)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_key *released = NULL;
	skr_status st = skr_envelope_open(response, strlen(response), f->workload, service, &diags,
	                                  &released, signature_kind);
	cr_assert_eq(st, SKR_OK, "open: %s", diags.count ? diags.items[0].message : "?");
	skr_diags_free(&diags);
	return released;
}

static void assert_same_material(const skr_key *a, const skr_key *b)
{
	uint8_t ma[4096], mb[4096];
	size_t la = 0, lb = 0;
	cr_assert_eq(skr_key_material(a, ma, sizeof ma, &la), SKR_OK);
	cr_assert_eq(skr_key_material(b, mb, sizeof mb, &lb), SKR_OK);
	cr_assert_eq(la, lb);
	cr_assert_arr_eq(ma, mb, la);
}

Test(envelope, round_trips_every_enc_and_key)
{
	fixture f;
	fixture_init(&f);
	skr_key *service = load_example_key("test-service-rsa2048.pem");
	skr_key *service_public = load_example_key("test-service-rsa2048.public.pem");
	const char *keys[] = { "test-release-aes256.jwk.json", "test-release-rsa2048.pem" };
	for (size_t k = 0; k < 2; k++) {
		skr_key *key = load_example_key(keys[k]);
		for (size_t a = 0; a < 3; a++) {
			for (int signed_response = 0; signed_response < 2; signed_response++) {
				skr_envelope_options options = policy_options();
				options.enc = all_encs[a];
				options.service_key = signed_response ? service : NULL;
				char *response = release_for(&f, key, &options);
				skr_envelope_signature signature_kind;
				skr_key *released = open_response(&f, response,
				                                  signed_response ? service_public : NULL, &signature_kind);
				cr_assert_eq(signature_kind, signed_response ? SKR_ENVELOPE_SIGNATURE_VERIFIED
				                                  : SKR_ENVELOPE_UNSIGNED);
				assert_same_material(key, released);
				cr_assert_eq(skr_key_kind_of(released), skr_key_kind_of(key));
				if (skr_key_kind_of(key) == SKR_KEY_OCT) {
					cr_assert_str_eq(skr_key_kid(released), "skr-test-release-aes256");
				} else {
					char thumbprint[44];
					skr_key_thumbprint(key, thumbprint);
					cr_assert_str_eq(skr_key_kid(released), thumbprint,
					                 "an RSA key without a kid is named by its thumbprint");
				}
				if (signed_response) {
					skr_key *unchecked = open_response(&f, response, NULL, &signature_kind);
					cr_assert_eq(signature_kind, SKR_ENVELOPE_SIGNATURE_UNCHECKED);
					skr_key_free(unchecked);
				}
				skr_key_free(released);
				free(response);
			}
		}
		skr_key_free(key);
	}
	skr_key_free(service);
	skr_key_free(service_public);
	fixture_free(&f);
}

Test(envelope, size_query_writes_nothing)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_envelope_options options = policy_options();
	char *token = mint(&f, runtime_with_keys(json_pack("[O]", f.workload_jwk)));
	skr_result result;
	size_t need = 0, again = 0;
	cr_assert_eq(skr_release_envelope(f.trust, f.program, token, strlen(token), &f.options, key,
	                                  &options, NULL, NULL, NULL, &result, NULL, 0, &need),
	             SKR_OK);
	cr_assert_eq(result.decision, SKR_RELEASE);
	cr_assert_gt(need, 0);
	uint8_t *buf = malloc(need);
	memset(buf, 0xee, need);
	cr_assert_eq(skr_release_envelope(f.trust, f.program, token, strlen(token), &f.options, key,
	                                  &options, NULL, NULL, NULL, &result, buf, need - 1, &again),
	             SKR_OK);
	cr_assert_eq(again, need);
	for (size_t i = 0; i < need; i++)
		cr_assert_eq(buf[i], 0xee, "byte %zu was written into a buffer that is too small", i);
	free(buf);
	free(token);
	skr_key_free(key);
	fixture_free(&f);
}

Test(envelope, denial_and_usage)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_envelope_options options = policy_options();

	json_t *claims = json_pack("{s:s,s:i,s:s,s:{s:[O]}}", "iss", TEST_ISSUER, "exp", 2100000000,
	                           "x-ms-attestation-type", "sgx", "x-ms-runtime", "keys",
	                           f.workload_jwk);
	char *payload = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	skr_buffer token = { 0 };
	cr_assert_eq(skr_token_mint(f.authority, SKR_ALG_RS256, "skr-test-authority-2048", payload,
	                            strlen(payload), &token), SKR_OK);
	char *text = strndup((const char *)token.data, token.len);
	outcome o = release_with(&f, text, key, &options);
	cr_assert_eq(o.status, SKR_OK);
	cr_assert_eq(o.result.decision, SKR_DENY);
	cr_assert_str_eq(o.result.reason, "conditions_not_met");

	/* Usage errors come before the token is looked at. */
	skr_result result;
	size_t need = 7;
	skr_envelope_options no_policy = options;
	no_policy.policy = NULL;
	cr_assert_eq(skr_release_envelope(f.trust, f.program, text, strlen(text), &f.options, key,
	                                  &no_policy, NULL, NULL, NULL, &result, NULL, 0, &need),
	             SKR_E_USAGE);
	cr_assert_eq(need, 0);
	cr_assert_eq(skr_release_envelope(f.trust, f.program, text, strlen(text), &f.options,
	                                  f.workload, &options, NULL, NULL, NULL, &result, NULL, 0,
	                                  &need),
	             SKR_OK, "an RSA private key may be released");
	skr_key *public_key = load_example_key("test-workload-rsa2048.public.jwk.json");
	cr_assert_eq(skr_release_envelope(f.trust, f.program, text, strlen(text), &f.options,
	                                  public_key, &options, NULL, NULL, NULL, &result, NULL, 0,
	                                  &need),
	             SKR_E_USAGE, "a public key is not a key to release");
	skr_envelope_options public_service = options;
	public_service.service_key = public_key;
	cr_assert_eq(skr_release_envelope(f.trust, f.program, text, strlen(text), &f.options, key,
	                                  &public_service, NULL, NULL, NULL, &result, NULL, 0, &need),
	             SKR_E_USAGE, "a public key cannot sign");
	uint8_t bytes[16] = { 1 };
	skr_key *nameless = NULL;
	cr_assert_eq(skr_key_oct(bytes, sizeof bytes, NULL, &nameless), SKR_OK);
	cr_assert_eq(skr_release_envelope(f.trust, f.program, text, strlen(text), &f.options,
	                                  nameless, &options, NULL, NULL, NULL, &result, NULL, 0,
	                                  &need),
	             SKR_E_USAGE, "an oct key needs a kid");
	skr_key_free(nameless);
	skr_key_free(public_key);
	skr_buffer_free(&token);
	free(text);
	free(payload);
	skr_key_free(key);
	fixture_free(&f);
}

/* Opens a response expecting a failure with the given diagnostic code. */
static void expect_open_failure(const fixture *f, const char *label, const char *response,
                                const skr_key *workload, const skr_key *service,
                                const char *code)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_key *released = NULL;
	skr_status st = skr_envelope_open(response, strlen(response), workload ? workload : f->workload,
	                                  service, &diags, &released, NULL);
	cr_assert_eq(st, SKR_E_TOKEN, "%s: opened (status %s)", label, skr_status_name(st));
	cr_assert_null(released);
	cr_assert_str_eq(first_code(&diags), code, "%s", label);
	skr_diags_free(&diags);
}

/* Re-encodes a payload object as an unsigned response text. */
static char *dump(json_t *payload)
{
	char *text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	return text;
}

Test(envelope, changed_responses_fail)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-rsa2048.pem");
	skr_key *service = load_example_key("test-service-rsa2048.pem");
	skr_key *other = load_example_key("test-release-rsa2048.pem");
	skr_envelope_options options = policy_options();
	char *unsigned_response = release_for(&f, key, &options);
	options.service_key = service;
	char *signed_response = release_for(&f, key, &options);

	expect_open_failure(&f, "wrong workload key", unsigned_response, other, NULL,
	                    "envelope-unwrap-failed");
	expect_open_failure(&f, "wrong service key", signed_response, NULL, f.workload,
	                    "envelope-signature-invalid");
	expect_open_failure(&f, "unsigned with a service key", unsigned_response, NULL, service,
	                    "envelope-unsigned");
	expect_open_failure(&f, "not JSON", "{\"value\":", NULL, NULL, "envelope-malformed");
	expect_open_failure(&f, "two parts", "{\"value\":\"a.b\"}", NULL, NULL, "envelope-malformed");

	/* A changed signed payload: the signature fails with the service key. */
	char *changed = strdup(signed_response);
	char *dot = strchr(changed, '.');
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	expect_open_failure(&f, "changed signed payload", changed, NULL, service,
	                    "envelope-signature-invalid");
	free(changed);

	/* Each byte of the ciphertext matters. */
	json_t *payload = json_loads(unsigned_response, 0, NULL);
	json_t *jwk = json_object_get(json_object_get(json_object_get(payload, "response"), "key"),
	                              "key");
	json_t *hsm = decode_b64_json(json_string_value(json_object_get(jwk, "key_hsm")));
	const char *ct = json_string_value(json_object_get(hsm, "ciphertext"));
	size_t ct_len = strlen(ct);
	size_t positions[] = { 3, 200, 341, 345, 400, ct_len - 2 };
	for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
		char *flipped = strdup(ct);
		flipped[positions[i]] = flipped[positions[i]] == 'A' ? 'B' : 'A';
		json_t *hsm2 = json_deep_copy(hsm);
		json_object_set_new(hsm2, "ciphertext", json_string(flipped));
		char *hsm_text = json_dumps(hsm2, JSON_COMPACT);
		char *encoded = malloc(skr_base64url_encoded_len(strlen(hsm_text)) + 1);
		encoded[skr_base64url_encode((uint8_t *)hsm_text, strlen(hsm_text), encoded)] = '\0';
		json_t *payload2 = json_deep_copy(payload);
		json_object_set_new(json_object_get(json_object_get(json_object_get(payload2, "response"),
		                                                    "key"), "key"),
		                    "key_hsm", json_string(encoded));
		char *text = dump(payload2);
		expect_open_failure(&f, "changed ciphertext", text, NULL, NULL, "envelope-unwrap-failed");
		free(text);
		free(encoded);
		free(hsm_text);
		json_decref(hsm2);
		free(flipped);
	}

	/* The RSA key's public half must match the opened key. */
	json_t *payload3 = json_deep_copy(payload);
	json_t *jwk3 = json_object_get(json_object_get(json_object_get(payload3, "response"), "key"),
	                               "key");
	json_object_set_new(jwk3, "e", json_string("AQAD"));
	char *text = dump(payload3);
	expect_open_failure(&f, "changed e", text, NULL, NULL, "envelope-key-mismatch");
	free(text);

	json_t *payload4 = json_deep_copy(payload);
	json_object_set_new(json_object_get(payload4, "request"), "enc",
	                    json_string("RSA_AES_KEY_WRAP_256"));
	text = dump(payload4);
	expect_open_failure(&f, "request enc differs", text, NULL, NULL, "envelope-malformed");
	free(text);

	json_decref(hsm);
	json_decref(payload);
	free(unsigned_response);
	free(signed_response);
	skr_key_free(other);
	skr_key_free(service);
	skr_key_free(key);
	fixture_free(&f);
}

Test(envelope, signed_header_names_service_key)
{
	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_key *service = load_example_key("test-service-rsa2048.pem");
	skr_envelope_options options = policy_options();
	options.service_key = service;
	char *response = release_for(&f, key, &options);

	json_t *doc = json_loads(response, 0, NULL);
	const char *jws = json_string_value(json_object_get(doc, "value"));
	char *header_text = strndup(jws, (size_t)(strchr(jws, '.') - jws));
	json_t *header = decode_b64_json(header_text);
	char thumbprint[44];
	skr_key_thumbprint(service, thumbprint);
	cr_assert_str_eq(json_string_value(json_object_get(header, "alg")), "RS256");
	cr_assert_str_eq(json_string_value(json_object_get(header, "kid")), thumbprint);
	cr_assert_str_eq(json_string_value(json_object_get(header, "typ")), "JWT");
	json_t *jwk = json_object_get(header, "jwk");
	char n[400];
	n[skr_base64url_encode(service->pub.n, service->pub.nlen, n)] = '\0';
	cr_assert_str_eq(json_string_value(json_object_get(jwk, "n")), n);
	cr_assert_str_eq(json_string_value(json_object_get(jwk, "e")), "AQAB");
	cr_assert_null(json_object_get(jwk, "d"), "the header carries the public half only");

	json_decref(header);
	free(header_text);
	json_decref(doc);
	free(response);
	skr_key_free(service);
	skr_key_free(key);
	fixture_free(&f);
}

/* ---- shape of the real responses ---- */

/* Collects "path type" lines of every member under v, descending through
 * objects, and through base64url strings that hold JSON objects (key_hsm,
 * named path/key_hsm{}). Arrays are leaves. */
static void collect_paths(const json_t *v, const char *path, json_t *out)
{
	const char *key;
	json_t *member;
	json_object_foreach((json_t *)v, key, member) {
		char child[512];
		snprintf(child, sizeof child, "%s%s%s", path, *path ? "." : "", key);
		const char *type = json_is_object(member) ? "object"
		                 : json_is_array(member)  ? "array"
		                 : json_is_string(member) ? "string"
		                 : json_is_boolean(member) ? "boolean"
		                 : json_is_number(member) ? "number"
		                                          : "null";
		json_object_set_new(out, child, json_string(type));
		if (json_is_object(member))
			collect_paths(member, child, out);
		if (strcmp(key, "key_hsm") == 0 && json_is_string(member)) {
			json_t *inner = decode_b64_json(json_string_value(member));
			char inner_path[520];
			snprintf(inner_path, sizeof inner_path, "%s{}", child);
			collect_paths(inner, inner_path, out);
			json_decref(inner);
		}
	}
}

/* Members of the real responses that skr leaves out because it has no
 * source for them: a key store's bookkeeping, which skr does not keep. */
static int left_out(const char *path)
{
	static const char *const paths[] = {
		"response.key.attributes.created", "response.key.attributes.updated",
		"response.key.attributes.recoveryLevel", "response.key.attributes.recoverableDays",
		"response.key.release_policy.immutable",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (strcmp(path, paths[i]) == 0)
			return 1;
	}
	return 0;
}

Test(envelope, shape_matches_real_responses)
{
	size_t kv_len = 0, mhsm_len = 0;
	char *kv = test_read_shared("corpus/real/kv-premium-release-response-2022-12.json", &kv_len);
	char *mhsm = test_read_shared("corpus/real/mhsm-release-response-value-2022-05.jws", &mhsm_len);
	if (kv == NULL || mhsm == NULL) {
		free(kv);
		free(mhsm);
		return;
	}
	/* The Managed HSM file contains the JWS alone; wrap it as the service does. */
	char *mhsm_response = malloc(mhsm_len + 16);
	while (mhsm_len > 0 && strchr(" \r\n\t", mhsm[mhsm_len - 1]) != NULL)
		mhsm[--mhsm_len] = '\0';
	snprintf(mhsm_response, mhsm_len + 16, "{\"value\":\"%s\"}", mhsm);

	json_t *kv_paths = json_object(), *mhsm_paths = json_object(), *skr_paths = json_object();
	json_t *p = payload_of_response(kv);
	collect_paths(p, "", kv_paths);
	json_decref(p);
	p = payload_of_response(mhsm_response);
	collect_paths(p, "", mhsm_paths);
	json_decref(p);

	fixture f;
	fixture_init(&f);
	skr_key *key = load_example_key("test-release-rsa2048.pem");
	skr_key *service = load_example_key("test-service-rsa2048.pem");
	skr_envelope_options options = policy_options();
	options.service_key = service;
	char *response = release_for(&f, key, &options);
	p = payload_of_response(response);
	collect_paths(p, "", skr_paths);
	json_decref(p);

	const char *path;
	json_t *type;
	size_t common = 0, present = 0;
	json_object_foreach(kv_paths, path, type) {
		json_t *other = json_object_get(mhsm_paths, path);
		if (other == NULL || !json_equal(type, other))
			continue;
		common++;
		if (left_out(path)) {
			cr_log_info("common member %s (%s): left out, skr has no source for it", path,
			            json_string_value(type));
			continue;
		}
		json_t *ours = json_object_get(skr_paths, path);
		cr_assert_not_null(ours, "skr's response lacks %s (%s)", path, json_string_value(type));
		cr_assert(json_equal(ours, type), "skr's %s is %s, the real responses have %s", path,
		          json_string_value(ours), json_string_value(type));
		cr_log_info("common member %s (%s): present", path, json_string_value(type));
		present++;
	}
	cr_log_info("%zu members common to both real responses, %zu present in skr's", common,
	            present);
	cr_assert_geq(common, 20, "the real responses share fewer members than expected");

	/* The members the task names, whether or not both services have them. */
	const char *required[] = { "request.enc", "response.key.key.kid", "response.key.key.kty",
		                       "response.key.key.key_ops", "response.key.key.n",
		                       "response.key.key.e", "response.key.key.key_hsm",
		                       "response.key.key.key_hsm{}.schema_version",
		                       "response.key.key.key_hsm{}.header.kid",
		                       "response.key.key.key_hsm{}.header.alg",
		                       "response.key.key.key_hsm{}.header.enc",
		                       "response.key.key.key_hsm{}.ciphertext",
		                       "response.key.release_policy.contentType",
		                       "response.key.release_policy.data" };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		cr_assert_not_null(json_object_get(skr_paths, required[i]), "missing %s", required[i]);

	/* The policy data is the policy text that granted the release. */
	p = payload_of_response(response);
	const char *data = json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(p, "response"), "key"),
		                "release_policy"), "data"));
	uint8_t decoded[1024];
	size_t decoded_len = 0;
	cr_assert_eq(skr_base64url_decode(data, strlen(data), decoded, &decoded_len, NULL),
	             SKR_B64_OK);
	cr_assert_eq(decoded_len, strlen(test_policy));
	cr_assert_arr_eq(decoded, test_policy, decoded_len);
	json_decref(p);

	free(response);
	skr_key_free(service);
	skr_key_free(key);
	fixture_free(&f);
	json_decref(kv_paths);
	json_decref(mhsm_paths);
	json_decref(skr_paths);
	free(mhsm_response);
	free(kv);
	free(mhsm);
}

/* The real MAA token's TpmEphemeralEncryptionKey is its release key. */
Test(envelope, real_maa_token_wraps_to_tpm_key)
{
	size_t token_len = 0, trust_len = 0, policy_len = 0;
	char *token = test_read_shared("corpus/real/maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt",
	                          &token_len);
	char *trust_text = test_read_shared("corpus/real/trust-sharedweu.json", &trust_len);
	char *policy = test_read_shared("bench/cvm-3.json", &policy_len);
	if (token == NULL || trust_text == NULL || policy == NULL) {
		free(token);
		free(trust_text);
		free(policy);
		return;
	}
	while (token_len > 0 && strchr(" \r\n\t", token[token_len - 1]) != NULL)
		token_len--;

	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(trust_text, trust_len, NULL, NULL, &trust), SKR_OK);
	skr_buffer image = { 0 };
	skr_program *program = NULL;
	cr_assert_eq(skr_compile(policy, policy_len, SKR_SYNTAX_JSON, NULL, NULL, &image), SKR_OK);
	cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
	skr_buffer_free(&image);
	skr_verify_options options;
	skr_verify_options_init(&options, 1680180000);

	skr_key *key = load_example_key("test-release-aes256.jwk.json");
	skr_envelope_options envelope;
	skr_envelope_options_init(&envelope);
	envelope.policy = policy;
	envelope.policy_len = policy_len;
	skr_result result;
	size_t need = 0;
	cr_assert_eq(skr_release_envelope(trust, program, token, token_len, &options, key, &envelope,
	                                  NULL, NULL, NULL, &result, NULL, 0, &need), SKR_OK);
	cr_assert_eq(result.decision, SKR_RELEASE, "reason %s", result.reason);
	char *response = malloc(need + 1);
	size_t len = 0;
	cr_assert_eq(skr_release_envelope(trust, program, token, token_len, &options, key, &envelope,
	                                  NULL, NULL, NULL, &result, (uint8_t *)response, need, &len),
	             SKR_OK);
	response[len] = '\0';
	cr_assert_str_eq(key_hsm_kid(response), "TpmEphemeralEncryptionKey");

	json_t *payload = payload_of_response(response);
	json_t *jwk = json_object_get(json_object_get(json_object_get(payload, "response"), "key"),
	                              "key");
	json_t *hsm = decode_b64_json(json_string_value(json_object_get(jwk, "key_hsm")));
	const char *ct = json_string_value(json_object_get(hsm, "ciphertext"));
	cr_assert_eq(strlen(ct), skr_base64url_encoded_len(256 + 40),
	             "a 2048-bit OAEP block and 32 bytes wrapped into 40");
	json_decref(hsm);
	json_decref(payload);

	free(response);
	skr_key_free(key);
	skr_program_free(program);
	skr_trust_free(trust);
	free(token);
	free(trust_text);
	free(policy);
}
