/*
 * Fuzz target: trust store loading (skr_trust_load), certificates, and
 * trust document updates. An input that starts with 0x30 (a DER SEQUENCE)
 * is a certificate: it is wrapped as x5c[0] of a JWK in a one-key store,
 * which must load, with the key kept or skipped. Any other input is trust
 * store JSON: when it loads, its summary must be consistent and a token of
 * the test key must verify or be rejected cleanly against it; it is also
 * updated with the test key's JWKS, and used as the JWKS of an update of
 * the test store. An updated document must load. A store holding a raw
 * NUL byte must be invalid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "skr.h"
#include "support.h"

#define NOW 1680180000
#define TEST_AUTHORITY "https://test-authority.skr.example"
#define TEST_KID "skr-test-authority-2048"
#define CLAIMS "{\"iss\":\"" TEST_AUTHORITY "\",\"exp\":2000000000}"

static char *test_store;
static size_t test_store_len;
static char *test_jwks;
static skr_buffer minted;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	size_t len = 0;
	char *text = fz_read_repo_file("examples/keys/test-authority-rsa2048.pem", &len);
	skr_signing_key *key = NULL;
	if (skr_signing_key_load(text, len, NULL, &key) != SKR_OK)
		fz_fail("the test key does not load");
	free(text);
	if (skr_token_mint(key, SKR_ALG_RS256, TEST_KID, CLAIMS, strlen(CLAIMS), &minted) != SKR_OK)
		fz_fail("minting failed");
	skr_buffer jwk = { NULL, 0 };
	if (skr_signing_key_public_jwk(key, TEST_KID, SKR_ALG_RS256, &jwk) != SKR_OK)
		fz_fail("the public JWK failed");
	test_jwks = malloc(jwk.len + 16);
	FZ_CHECK(test_jwks != NULL, "out of memory");
	snprintf(test_jwks, jwk.len + 16, "{\"keys\":[%.*s]}", (int)jwk.len, (const char *)jwk.data);
	skr_buffer_free(&jwk);
	skr_signing_key_free(key);
	test_store = fz_read_repo_file("examples/keys/test-trust.json", &test_store_len);
	return 0;
}

/* Loads a store and checks the outcome. Returns the store or NULL. */
static skr_trust *load_checked(const char *json, size_t len, skr_status *status_out)
{
	skr_diags diags;
	skr_trust *trust = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_trust_load(json, len, NULL, &diags, &trust);
	fz_check_diags(&diags, status, json, len);
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_TRUST || status == SKR_E_NOMEM,
	         "skr_trust_load returned %s", skr_status_name(status));
	FZ_CHECK((status == SKR_OK) == (trust != NULL), "status %s with store %p",
	         skr_status_name(status), (void *)trust);
	if (trust) {
		skr_trust_summary summary;
		skr_trust_summarize(trust, &summary);
		FZ_CHECK(summary.usable_keys <= summary.keys, "%u usable keys of %u",
		         summary.usable_keys, summary.keys);
	}
	*status_out = status;
	return trust;
}

/* Verifies the minted token against a store; any outcome but a crash or
 * an inconsistent answer is fine. */
static void verify_minted(const skr_trust *trust)
{
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_token verified;
	skr_token_init(&verified);
	skr_status status = skr_token_verify(trust, (const char *)minted.data, minted.len, &options,
	                                     NULL, &verified);
	FZ_CHECK(status == SKR_OK || status == SKR_E_TOKEN || status == SKR_E_NOMEM,
	         "skr_token_verify returned %s", skr_status_name(status));
	if (status == SKR_OK)
		FZ_CHECK(verified.kid == NULL || strcmp(verified.kid, TEST_KID) == 0,
		         "the token verified with key %s", verified.kid);
	skr_token_clear(&verified);
}

/* Runs one document update and loads what it returns. */
static void update_checked(const char *store, size_t store_len, const char *jwks, size_t jwks_len,
                           int merge)
{
	skr_buffer out = { NULL, 0 };
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_trust_document_update(store, store_len, TEST_AUTHORITY,
	                                              strlen(TEST_AUTHORITY), jwks, jwks_len, merge,
	                                              &diags, &out);
	fz_check_diags(&diags, status, NULL, 0);
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_TRUST || status == SKR_E_NOMEM,
	         "skr_trust_document_update returned %s", skr_status_name(status));
	if (status == SKR_OK) {
		FZ_CHECK(out.len > 0 && out.data[out.len - 1] == '\n', "the document does not end in a newline");
		skr_status loaded;
		skr_trust *trust = load_checked((const char *)out.data, out.len, &loaded);
		FZ_CHECK(loaded == SKR_OK, "an updated document does not load: %.*s", (int)out.len,
		         (const char *)out.data);
		verify_minted(trust);
		skr_trust_free(trust);
	}
	skr_buffer_free(&out);
}

/* Wraps DER bytes as the x5c of a one-key store and loads it. */
static void load_certificate(const uint8_t *der, size_t len)
{
	size_t b64_len = (len + 2) / 3 * 4;
	size_t cap = b64_len + 128;
	char *store = malloc(cap);
	if (!store)
		return;
	int head = snprintf(store, cap, "{\"" TEST_AUTHORITY "\":{\"keys\":[{\"kty\":\"RSA\","
	                                "\"kid\":\"c\",\"x5c\":[\"");
	size_t n = (size_t)head + skr_base64_encode(der, len, store + head);
	n += (size_t)snprintf(store + n, cap - n, "\"]}]}}");
	skr_status status;
	skr_trust *trust = load_checked(store, n, &status);
	FZ_CHECK(status == SKR_OK || status == SKR_E_NOMEM,
	         "a store with one certificate key is invalid, not the key skipped");
	if (trust) {
		skr_trust_summary summary;
		skr_trust_summarize(trust, &summary);
		FZ_CHECK(summary.keys == 1 && summary.usable_keys <= 1, "%u keys, %u usable",
		         summary.keys, summary.usable_keys);
		verify_minted(trust);
	}
	skr_trust_free(trust);
	free(store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 0x30) {
		load_certificate(data, size);
		return 0;
	}
	const char *json = (const char *)data;
	skr_status status;
	skr_trust *trust = load_checked(json, size, &status);
	/* A raw NUL byte is never valid JSON, wherever it sits. */
	if (memchr(json, 0, size))
		FZ_CHECK(status != SKR_OK, "a trust store holding a raw NUL byte loaded");
	if (trust)
		verify_minted(trust);
	skr_trust_free(trust);
	update_checked(json, size, test_jwks, strlen(test_jwks), (int)(size & 1));
	update_checked(test_store, test_store_len, json, size, (int)(size & 1));
	return 0;
}
