/*
 * Test files and tokens; see tokens.h.
 */
#include "tokens.h"

#include <criterion/criterion.h>

#include <stdarg.h>
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

char *test_read_example(const char *name, size_t *len)
{
	char path[1024];
	const char *root = getenv("SKR_ROOT");
	const char *candidates[] = { root && *root ? root : NULL, ".", ".." };
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		if (candidates[i] == NULL)
			continue;
		snprintf(path, sizeof path, "%s/examples/%s", candidates[i], name);
		char *text = test_slurp(path, len);
		if (text != NULL)
			return text;
	}
	const char *slash = strrchr(__FILE__, '/');
	snprintf(path, sizeof path, "%.*s/../examples/%s", slash ? (int)(slash - __FILE__) : 1,
	         slash ? __FILE__ : ".", name);
	char *text = test_slurp(path, len);
	cr_assert_not_null(text, "examples/%s not found; run from the repository root or set SKR_ROOT",
	                   name);
	return text;
}

void test_skip(const char *fmt, ...)
{
	char message[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof message, fmt, args);
	va_end(args);
	cr_log_info("%s", message);
	fprintf(stderr, "%s\n", message);
}

char *test_read_shared(const char *name, size_t *len)
{
	const char *shared = getenv("SKR_SHARED");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", shared && *shared ? shared : "../shared", name);
	char *text = test_slurp(path, len);
	if (text == NULL)
		test_skip("skipped: %s not found (set SKR_SHARED to the shared directory)", path);
	return text;
}

char *test_read_real(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "corpus/real/%s", name);
	return test_read_shared(path, len);
}

skr_signing_key *test_example_key(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "keys/%s", name);
	size_t len = 0;
	char *text = test_read_example(path, &len);
	skr_diags diags;
	skr_diags_init(&diags);
	skr_signing_key *key = NULL;
	skr_status st = skr_signing_key_load(text, len, &diags, &key);
	cr_assert_eq(st, SKR_OK, "examples/%s does not load: %s", path,
	             diags.count ? diags.items[0].message : skr_status_name(st));
	skr_diags_free(&diags);
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
