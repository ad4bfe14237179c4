/*
 * Test tokens; see tokens.h.
 */
#include "tokens.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = size >= 0 ? malloc((size_t)size + 1) : NULL;
	if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
		free(data);
		data = NULL;
	}
	fclose(f);
	if (data) {
		data[size] = '\0';
		*len = (size_t)size;
	}
	return data;
}

skr_signing_key *test_example_key(const char *name)
{
	const char *root = getenv("SKR_ROOT");
	char path[1024];
	size_t len = 0;
	snprintf(path, sizeof path, "%s/examples/keys/%s", root && *root ? root : ".", name);
	char *text = test_slurp(path, &len);
	cr_assert_not_null(text, "%s not found; run from the repository root or set SKR_ROOT", path);
	skr_signing_key *key = NULL;
	cr_assert_eq(skr_signing_key_load(text, len, NULL, &key), SKR_OK, "%s does not load", path);
	free(text);
	return key;
}

skr_buffer test_mint(const skr_signing_key *key, const char *kid, const char *claims)
{
	skr_buffer token = { NULL, 0 };
	cr_assert_eq(skr_token_mint(key, SKR_ALG_RS256, kid, claims, strlen(claims), &token), SKR_OK,
	             "minting %s", claims);
	return token;
}

skr_trust *test_trust_for(const skr_signing_key *key, const char *authority, const char *kid)
{
	skr_buffer jwk = { NULL, 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key, kid, SKR_ALG_RS256, &jwk), SKR_OK);
	char store[4096];
	int len = snprintf(store, sizeof store, "{\"%s\":{\"keys\":[%.*s]}}", authority,
	                   (int)jwk.len, (const char *)jwk.data);
	cr_assert(len > 0 && (size_t)len < sizeof store);
	skr_buffer_free(&jwk);
	skr_trust *trust = NULL;
	cr_assert_eq(skr_trust_load(store, (size_t)len, NULL, NULL, &trust), SKR_OK);
	return trust;
}

skr_program *test_program(const char *policy)
{
	skr_buffer image = { NULL, 0 };
	cr_assert_eq(skr_compile(policy, strlen(policy), SKR_SYNTAX_JSON, NULL, NULL, &image), SKR_OK,
	             "compiling %s", policy);
	skr_program *program = NULL;
	cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
	skr_buffer_free(&image);
	return program;
}
