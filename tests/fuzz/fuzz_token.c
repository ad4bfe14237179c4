/*
 * Fuzz target: compact JWS parsing and verification (skr_token_verify and
 * skr_release). The trust stores are examples/keys/test-trust.json and,
 * when the shared corpus is present, the real trust-sharedweu.json. The
 * first input byte picks a mode:
 *   1  the rest is a payload, signed with the test key under a fixed
 *      header, so the claims checks run on a valid signature;
 *   2  the rest is a header, signed with the test key over fixed claims,
 *      so the header checks run on a valid signature (a header holding a
 *      raw NUL byte must be rejected);
 *   3  the rest edits a valid token (the minted one, or the real MAA token
 *      when present): any token that differs from the original must be
 *      rejected;
 *   any other byte: the whole input is a token, verified against both
 *      stores (so token files serve as seeds as they are).
 * Every outcome is checked for a consistent reason, check and
 * diagnostics, and skr_release must agree with skr_token_verify. So must
 * skr_release_batch in one reused workspace, without a cache and twice
 * through a cache of the store, which must never serve a token that does
 * not verify. In mode 3 the cache contains the unedited token first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "support.h"
#include "token.h"

#define NOW 1680180000
#define TEST_AUTHORITY "https://test-authority.skr.example"
#define TEST_KID "skr-test-authority-2048"
#define FIXED_CLAIMS \
	"{\"iss\":\"" TEST_AUTHORITY "\",\"exp\":2000000000,\"nbf\":1600000000,\"s\":\"text\"," \
	"\"i\":3,\"d\":1.5,\"t\":true,\"a\":{\"b\":{\"c\":null}}}"
#define MAX_TOKEN 8192

static skr_signing_key *test_key;
static skr_trust *test_trust;
static skr_trust *real_trust;
static skr_program *program;
static skr_buffer minted;       /* a valid token of the test store */
static char *real_token;        /* a valid token of the real store, or NULL */
static size_t real_token_len;
static skr_workspace *workspace;
static skr_cache *test_cache;
static skr_cache *real_cache;

static skr_trust *load_trust(const char *text, size_t len, const char *name)
{
	skr_trust *trust = NULL;
	skr_diags diags;
	skr_diags_init(&diags);
	if (skr_trust_load(text, len, NULL, &diags, &trust) != SKR_OK)
		fz_fail("%s does not load: %s", name, diags.count ? diags.items[0].message : "");
	skr_diags_free(&diags);
	return trust;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	size_t len = 0;
	char *text = fz_read_repo_file("examples/keys/test-authority-rsa2048.pem", &len);
	if (skr_signing_key_load(text, len, NULL, &test_key) != SKR_OK)
		fz_fail("the test key does not load");
	free(text);
	text = fz_read_repo_file("examples/keys/test-trust.json", &len);
	test_trust = load_trust(text, len, "examples/keys/test-trust.json");
	free(text);
	if (skr_token_mint(test_key, SKR_ALG_RS256, TEST_KID, FIXED_CLAIMS, strlen(FIXED_CLAIMS),
	                   &minted) != SKR_OK)
		fz_fail("minting the fixed token failed");

	text = fz_read_shared_file("corpus/real/trust-sharedweu.json", &len);
	if (text) {
		real_trust = load_trust(text, len, "trust-sharedweu.json");
		free(text);
		real_token = fz_read_shared_file("corpus/real/maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt",
		                                 &real_token_len);
		while (real_token && real_token_len > 0 &&
		       (real_token[real_token_len - 1] == '\n' || real_token[real_token_len - 1] == '\r'))
			real_token_len--;
	} else {
		fprintf(stderr, "fuzz_token: the shared corpus is absent; using the test store only\n");
	}

	if (skr_workspace_new(NULL, &workspace) != SKR_OK ||
	    skr_cache_new(test_trust, NULL, &test_cache) != SKR_OK ||
	    (real_trust && skr_cache_new(real_trust, NULL, &real_cache) != SKR_OK))
		fz_fail("cannot make the workspace and the caches");

	const char *src = fz_all_operators_policy;
	if (fz_compile_checked(src, strlen(src), SKR_SYNTAX_JSON, NULL, NULL, NULL, &program) != SKR_OK)
		fz_fail("the all-operators policy does not compile");
	return 0;
}

/* Verifies a token against one store, checks the outcome, and checks that
 * skr_release agrees. Returns the status of skr_token_verify. */
static skr_status verify_checked(const skr_trust *trust, const char *token, size_t len)
{
	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_diags diags;
	skr_token verified;
	skr_diags_init(&diags);
	skr_token_init(&verified);
	skr_status status = skr_token_verify(trust, token, len, &options, &diags, &verified);
	fz_check_diags(&diags, status, NULL, 0);
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_TOKEN || status == SKR_E_NOMEM,
	         "skr_token_verify returned %s", skr_status_name(status));
	FZ_CHECK(verified.reason != NULL, "no reason");
	if (status == SKR_OK) {
		FZ_CHECK(verified.failed == SKR_CHECK_COUNT && verified.claims != NULL &&
		         strcmp(verified.reason, "token_valid") == 0,
		         "verified token with check %d, reason %s", (int)verified.failed, verified.reason);
		FZ_CHECK(verified.issuer != NULL && verified.authority != NULL, "no issuer");
	} else if (status == SKR_E_TOKEN) {
		FZ_CHECK(verified.failed < SKR_CHECK_COUNT && verified.claims == NULL &&
		         strcmp(verified.reason, "token_valid") != 0,
		         "rejected token with check %d, reason %s", (int)verified.failed, verified.reason);
	}

	skr_token released;
	skr_result result;
	skr_token_init(&released);
	skr_status release = skr_release(trust, program, token, len, &options, NULL, NULL, &released,
	                                 &result);
	FZ_CHECK(release == status, "skr_release returned %s, skr_token_verify %s",
	         skr_status_name(release), skr_status_name(status));
	FZ_CHECK(strcmp(released.reason, verified.reason) == 0, "reasons differ: %s and %s",
	         released.reason, verified.reason);
	if (status == SKR_OK) {
		skr_result direct;
		FZ_CHECK(skr_evaluate(program, verified.claims, verified.issuer, verified.issuer_len, NULL,
		                      &direct) == SKR_OK, "skr_evaluate failed");
		FZ_CHECK(direct.decision == result.decision && direct.entry == result.entry,
		         "skr_release decided otherwise than skr_evaluate");
	} else if (status == SKR_E_TOKEN) {
		FZ_CHECK(result.decision == SKR_DENY && result.entry == -1 &&
		         strcmp(result.reason, verified.reason) == 0,
		         "a rejected token's result is %d/%d/%s", (int)result.decision, (int)result.entry,
		         result.reason);
	}
	/* The batch path, with and without the cache, decides the same. */
	skr_cache *cache = trust == test_trust ? test_cache : real_cache;
	const skr_program *programs[2] = { program, program };
	skr_cache_stats before, after;
	skr_cache_stats_get(cache, &before);
	for (int pass = 0; pass < 3; pass++) {
		skr_release_info info;
		skr_result results[2];
		skr_status batch = skr_release_batch(trust, pass ? cache : NULL, workspace, programs, 2,
		                                     token, len, &options, NULL, &info, results);
		FZ_CHECK(batch == status, "skr_release_batch (pass %d) returned %s, skr_token_verify %s",
		         pass, skr_status_name(batch), skr_status_name(status));
		if (status != SKR_OK && status != SKR_E_TOKEN)
			break;
		FZ_CHECK(strcmp(info.reason, verified.reason) == 0 && info.failed == verified.failed,
		         "batch pass %d: reason %s, skr_token_verify %s", pass, info.reason,
		         verified.reason);
		FZ_CHECK(status == SKR_OK || !info.cached, "the cache answered for a rejected token");
		for (int i = 0; i < 2; i++)
			FZ_CHECK(results[i].decision == result.decision && results[i].entry == result.entry &&
			         strcmp(results[i].reason, result.reason) == 0,
			         "batch pass %d decided %d/%d/%s, skr_release %d/%d/%s", pass,
			         (int)results[i].decision, (int)results[i].entry, results[i].reason,
			         (int)result.decision, (int)result.entry, result.reason);
		if (status == SKR_OK) {
			FZ_CHECK(info.issuer_len == verified.issuer_len &&
			         memcmp(info.issuer, verified.issuer, info.issuer_len) == 0,
			         "batch pass %d: another issuer", pass);
			skr_cache_stats_get(cache, &after);
			FZ_CHECK(pass != 2 || info.cached || after.too_large > before.too_large ||
			         after.busy > before.busy,
			         "a verified token was not served by the cache the second time");
		}
	}

	char record[1024];
	size_t need = skr_audit_record(NOW, token, len, &verified, status == SKR_OK ? &result : NULL,
	                               program, NULL, record, sizeof record);
	FZ_CHECK(need < sizeof record ? strlen(record) == need : strlen(record) == sizeof record - 1,
	         "audit record of %zu bytes, %zu written", need, strlen(record));
	skr_token_clear(&released);
	skr_token_clear(&verified);
	return status;
}

/* Verifies a token against every store. */
static void verify_all(const char *token, size_t len)
{
	verify_checked(test_trust, token, len);
	if (real_trust)
		verify_checked(real_trust, token, len);
}

/* Edits a copy of a valid token and checks that a changed token fails. */
static void edit_token(fz_reader *r, const char *original, size_t original_len,
                       const skr_trust *trust)
{
	char *token = malloc(MAX_TOKEN);
	if (!token || original_len > MAX_TOKEN)
		goto done;
	size_t len = original_len;
	memcpy(token, original, len);
	verify_checked(trust, original, original_len);
	for (unsigned edits = 0; fz_remaining(r) >= 2 && edits < 16; edits++) {
		uint8_t op = fz_u8(r) % 3;
		size_t at = len ? fz_below(r, (uint32_t)len) : 0;
		if (op == 0 && len) {
			token[at] = (char)fz_u8(r);
		} else if (op == 1 && len < MAX_TOKEN) {
			memmove(token + at + 1, token + at, len - at);
			token[at] = (char)fz_u8(r);
			len++;
		} else if (len) {
			memmove(token + at, token + at + 1, len - at - 1);
			len--;
		}
	}
	skr_status status = verify_checked(trust, token, len);
	int same = len == original_len && memcmp(token, original, len) == 0;
	FZ_CHECK(same == (status == SKR_OK), "an edited token %s: %.*s",
	         same ? "was rejected" : "verified", (int)len, token);
done:
	free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *rest = (const char *)data + 1;
	size_t rest_len = size - 1;
	skr_buffer token = { NULL, 0 };
	fz_reader r;

	switch (data[0]) {
	case 1: {
		if (skr_token_mint(test_key, SKR_ALG_RS256, TEST_KID, rest, rest_len, &token) != SKR_OK)
			break;
		skr_claims *claims = NULL;
		int valid = skr_claims_parse(rest, rest_len, NULL, NULL, &claims) == SKR_OK;
		skr_claims_free(claims);
		skr_token verified;
		skr_verify_options options;
		skr_verify_options_init(&options, NOW);
		skr_token_init(&verified);
		skr_status status = skr_token_verify(test_trust, (const char *)token.data, token.len,
		                                     &options, NULL, &verified);
		if (!valid)
			FZ_CHECK(status == SKR_E_TOKEN && verified.failed == SKR_CHECK_CLAIMS,
			         "invalid claims were not rejected at the claims check (%s)", verified.reason);
		else if (status == SKR_E_TOKEN)
			FZ_CHECK(verified.failed > SKR_CHECK_CLAIMS, "valid claims rejected at check %d (%s)",
			         (int)verified.failed, verified.reason);
		skr_token_clear(&verified);
		verify_all((const char *)token.data, token.len);
		break;
	}
	case 2: {
		const br_rsa_private_key *key = skr_signing_key_private(test_key);
		if (skr_jws_sign_raw(key, SKR_ALG_RS256, rest, rest_len, FIXED_CLAIMS,
		                     strlen(FIXED_CLAIMS), &token) != SKR_OK)
			break;
		/* A raw NUL byte is never valid JSON, wherever it sits. */
		if (memchr(rest, 0, rest_len))
			FZ_CHECK(verify_checked(test_trust, (const char *)token.data, token.len) != SKR_OK,
			         "a header holding a raw NUL byte was accepted");
		verify_all((const char *)token.data, token.len);
		break;
	}
	case 3:
		fz_reader_init(&r, data + 1, size - 1);
		if (real_token && (fz_u8(&r) & 1))
			edit_token(&r, real_token, real_token_len, real_trust);
		else
			edit_token(&r, (const char *)minted.data, minted.len, test_trust);
		break;
	default:
		verify_all((const char *)data, size);
		break;
	}
	skr_buffer_free(&token);
	return 0;
}
