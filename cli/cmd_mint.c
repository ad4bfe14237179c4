/*
 * skr mint: sign a claims file into a test token with an RSA private key,
 * and optionally pin the matching public key in a trust store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MINT_USAGE                                                                    \
	"usage: skr mint CLAIMS.json --key KEY [--kid KID | --no-kid] [--alg RS256|RS384|RS512] " \
	"[--trust-out TRUST.json]"
/* A private key file (JWK or PEM) of up to 4096 bits is a few KiB. */
#define KEY_FILE_MAX (1u << 20)

/* Defined in cmd_trust.c. */

typedef struct mint_args {
	const char *claims;
	const char *key;
	const char *kid;
	int no_kid;
	skr_alg alg;
	const char *trust_out;
} mint_args;

static int parse_args(int argc, char **argv, mint_args *a)
{
	memset(a, 0, sizeof *a);
	a->alg = SKR_ALG_RS256;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int has_value = i + 1 < argc;
		if (strcmp(arg, "--key") == 0 && has_value) {
			a->key = argv[++i];
		} else if (strcmp(arg, "--kid") == 0 && has_value) {
			a->kid = argv[++i];
		} else if (strcmp(arg, "--no-kid") == 0) {
			a->no_kid = 1;
		} else if (strcmp(arg, "--trust-out") == 0 && has_value) {
			a->trust_out = argv[++i];
		} else if (strcmp(arg, "--alg") == 0 && has_value) {
			const char *name = argv[++i];
			if (!skr_alg_parse(name, strlen(name), &a->alg)) {
				fprintf(stderr, "skr mint: unknown algorithm \"%s\"; use RS256, RS384 or RS512\n",
				        name);
				return -1;
			}
		} else if (arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "skr mint: unknown option or missing value: %s; " MINT_USAGE "\n", arg);
			return -1;
		} else if (!a->claims) {
			a->claims = arg;
		} else {
			fprintf(stderr, "skr mint: one claims file at a time; " MINT_USAGE "\n");
			return -1;
		}
	}
	if (!a->claims || !a->key) {
		fprintf(stderr, "skr mint: missing %s; " MINT_USAGE "\n", a->claims ? "--key" : "CLAIMS.json");
		return -1;
	}
	if (a->kid && a->no_kid) {
		fprintf(stderr, "skr mint: --kid and --no-kid exclude each other\n");
		return -1;
	}
	return 0;
}

/* Checks the claims as a verifier will and returns their issuer in iss
 * (malloc'd, NULL when there is none). Returns 0 or an exit code. */
static int check_claims(const mint_args *a, const char *text, size_t len, char **iss)
{
	*iss = NULL;
	skr_limits limits;
	skr_limits_init(&limits);
	skr_diags diags;
	skr_diags_init(&diags);
	skr_claims *claims = NULL;
	skr_status st = skr_claims_parse(text, len, &limits, &diags, &claims);
	cli_print_diags(&diags, a->claims, text, len);
	skr_diags_free(&diags);
	if (st != SKR_OK)
		return st == SKR_E_NOMEM ? SKR_EXIT_INTERNAL : SKR_EXIT_INVALID;

	const char *issuer;
	size_t issuer_len;
	if (skr_claims_issuer(claims, &issuer, &issuer_len)) {
		*iss = malloc(issuer_len + 1);
		if (*iss != NULL) {
			memcpy(*iss, issuer, issuer_len);
			(*iss)[issuer_len] = '\0';
		}
	}
	skr_claims_free(claims);
	if (*iss == NULL && a->trust_out) {
		fprintf(stderr, "skr mint: %s has no string \"iss\" claim, so --trust-out has no "
		        "authority to add the key to\n", a->claims);
		return SKR_EXIT_INVALID;
	}
	if (*iss == NULL)
		fprintf(stderr, "skr mint: warning: %s has no string \"iss\" claim; no trust store "
		        "will accept the token\n", a->claims);
	return 0;
}

/* Adds the key's public JWK to the trust store file under iss. */
static int write_trust(const mint_args *a, const skr_signing_key *key, const char *kid,
                       const char *iss)
{
	skr_buffer jwk = { 0 };
	if (skr_signing_key_public_jwk(key, kid, a->alg, &jwk) != SKR_OK)
		return SKR_EXIT_INTERNAL;
	size_t jwks_len = jwk.len + 16;
	char *jwks = malloc(jwks_len);
	if (jwks == NULL) {
		skr_buffer_free(&jwk);
		return SKR_EXIT_INTERNAL;
	}
	jwks_len = (size_t)snprintf(jwks, jwks_len, "{\"keys\":[%.*s]}", (int)jwk.len,
	                            (const char *)jwk.data);
	skr_buffer_free(&jwk);

	char *store = NULL;
	size_t store_len = 0;
	if (cli_read_trust_file(a->trust_out, &store, &store_len) != 0) {
		free(jwks);
		return SKR_EXIT_INVALID;
	}
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer updated = { 0 };
	skr_status st = skr_trust_document_update(store, store_len, iss, strlen(iss), jwks, jwks_len,
	                                          1, &diags, &updated);
	cli_print_diags(&diags, "skr mint --trust-out", NULL, 0);
	int rc = 0;
	if (st != SKR_OK)
		rc = st == SKR_E_NOMEM ? SKR_EXIT_INTERNAL : SKR_EXIT_INVALID;
	else if (cli_write_trust_file(a->trust_out, &updated) != 0)
		rc = SKR_EXIT_INVALID;
	else
		fprintf(stderr, "skr mint: added key %s for %s to %s\n", kid ? kid : "(no kid)", iss,
		        a->trust_out);
	skr_buffer_free(&updated);
	skr_diags_free(&diags);
	free(store);
	free(jwks);
	return rc;
}

/* Frees a buffer that held private key material, clearing it first. */
static void free_secret(char *text, size_t len)
{
	if (text == NULL)
		return;
	volatile char *p = text;
	for (size_t i = 0; i < len; i++)
		p[i] = 0;
	free(text);
}

int cli_cmd_mint(int argc, char **argv)
{
	mint_args a;
	if (parse_args(argc, argv, &a) != 0)
		return SKR_EXIT_INVALID;

	skr_limits limits;
	skr_limits_init(&limits);
	char *claims = NULL, *key_text = NULL, *iss = NULL;
	size_t claims_len = 0, key_len = 0;
	skr_signing_key *key = NULL;
	skr_buffer token = { 0 };
	int rc = SKR_EXIT_INVALID;

	if (cli_read_file(a.claims, limits.token_bytes, &claims, &claims_len) != 0 ||
	    cli_read_file(a.key, KEY_FILE_MAX, &key_text, &key_len) != 0)
		goto done;
	/* The payload is the file's bytes without trailing whitespace. */
	while (claims_len > 0 && strchr(" \t\r\n", claims[claims_len - 1]) != NULL)
		claims_len--;
	rc = check_claims(&a, claims, claims_len, &iss);
	if (rc != 0)
		goto done;

	skr_diags diags;
	skr_diags_init(&diags);
	skr_status st = skr_signing_key_load(key_text, key_len, &diags, &key);
	cli_print_diags(&diags, a.key, NULL, 0);
	skr_diags_free(&diags);
	if (st != SKR_OK) {
		rc = st == SKR_E_NOMEM ? SKR_EXIT_INTERNAL : SKR_EXIT_INVALID;
		goto done;
	}

	/* Without --kid the key is named by its RFC 7638 thumbprint. */
	char thumbprint[44];
	const char *kid = a.kid;
	if (kid == NULL && !a.no_kid) {
		skr_signing_key_thumbprint(key, thumbprint);
		kid = thumbprint;
	}
	st = skr_token_mint(key, a.alg, kid, claims, claims_len, &token);
	if (st != SKR_OK) {
		fprintf(stderr, "skr mint: signing failed: %s%s\n", skr_status_name(st),
		        st == SKR_E_USAGE ? " (is the kid valid UTF-8?)" : "");
		rc = st == SKR_E_USAGE ? SKR_EXIT_INVALID : SKR_EXIT_INTERNAL;
		goto done;
	}
	if (a.trust_out) {
		rc = write_trust(&a, key, kid, iss);
		if (rc != 0)
			goto done;
	}
	fwrite(token.data, 1, token.len, stdout);
	fputc('\n', stdout);
	rc = SKR_EXIT_RELEASE;

done:
	skr_buffer_free(&token);
	skr_signing_key_free(key);
	free(iss);
	free_secret(key_text, key_len);
	free(claims);
	return rc;
}
