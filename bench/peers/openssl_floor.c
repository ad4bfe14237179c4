/*
 * The floor of a cold release: OpenSSL's RSA-2048 PKCS#1 v1.5 verification
 * with EVP_PKEY_verify (context set up once, the digest given) plus
 * OpenSSL's SHA-256 of the same signing input (digest context reused).
 * No verifier of this token can skip those two steps, so skr's cold path
 * is compared with their sum.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "peers.h"

/* Builds the input's RSA public key as an EVP_PKEY. */
static EVP_PKEY *public_key(const bench_input *input)
{
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = BN_bin2bn(input->rsa_n, (int)input->rsa_n_len, NULL);
	BIGNUM *e = BN_bin2bn(input->rsa_e, (int)input->rsa_e_len, NULL);
	OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

	if (n == NULL || e == NULL || builder == NULL || ctx == NULL ||
	    !OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e))
		goto done;
	params = OSSL_PARAM_BLD_to_param(builder);
	if (params == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;

done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(builder);
	BN_free(n);
	BN_free(e);
	return pkey;
}

char *peer_openssl_public_pem(const bench_input *input, size_t *len)
{
	EVP_PKEY *pkey = public_key(input);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	if (pkey != NULL && bio != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
		char *data = NULL;
		long n = BIO_get_mem_data(bio, &data);
		pem = n > 0 ? malloc((size_t)n + 1) : NULL;
		if (pem != NULL) {
			memcpy(pem, data, (size_t)n);
			pem[n] = '\0';
			*len = (size_t)n;
		}
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return pem;
}

typedef struct floor_context {
	const bench_input *input;
	EVP_PKEY_CTX *verify;
	EVP_MD_CTX *digest_ctx;
	EVP_MD *sha256;
	unsigned char digest[32];
	unsigned failures;
	unsigned sink;
} floor_context;

static void loop_verify(void *opaque, uint64_t calls)
{
	floor_context *c = opaque;
	for (uint64_t i = 0; i < calls; i++) {
		if (EVP_PKEY_verify(c->verify, c->input->signature, c->input->signature_len, c->digest,
		                    sizeof c->digest) != 1)
			c->failures++;
	}
}

static void loop_sha256(void *opaque, uint64_t calls)
{
	floor_context *c = opaque;
	unsigned char out[32];
	unsigned int out_len = 0;
	for (uint64_t i = 0; i < calls; i++) {
		if (EVP_DigestInit_ex2(c->digest_ctx, c->sha256, NULL) != 1 ||
		    EVP_DigestUpdate(c->digest_ctx, c->input->signing_input,
		                     c->input->signing_input_len) != 1 ||
		    EVP_DigestFinal_ex(c->digest_ctx, out, &out_len) != 1)
			c->failures++;
		c->sink += out[0];
	}
}

void peer_openssl_floor(const bench_config *config, const bench_input *input, bench_peers *peers)
{
	floor_context c;
	memset(&c, 0, sizeof c);
	c.input = input;
	EVP_PKEY *pkey = public_key(input);
	c.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	c.digest_ctx = EVP_MD_CTX_new();
	if (pkey == NULL || c.sha256 == NULL || c.digest_ctx == NULL) {
		bench_peers_note(peers, "OpenSSL floor skipped: the key or the digest could not be set up");
		goto done;
	}

	/* The digest the signature covers, computed once: the floor's verify
	 * is given the hash. */
	unsigned int digest_len = 0;
	if (EVP_Digest(input->signing_input, input->signing_input_len, c.digest, &digest_len,
	               c.sha256, NULL) != 1) {
		bench_peers_note(peers, "OpenSSL floor skipped: SHA-256 failed");
		goto done;
	}
	c.verify = EVP_PKEY_CTX_new(pkey, NULL);
	if (c.verify == NULL || EVP_PKEY_verify_init(c.verify) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(c.verify, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(c.verify, c.sha256) <= 0) {
		bench_peers_note(peers, "OpenSSL floor skipped: the verification context could not be set up");
		goto done;
	}
	if (EVP_PKEY_verify(c.verify, input->signature, input->signature_len, c.digest,
	                    sizeof c.digest) != 1) {
		bench_peers_note(peers, "OpenSSL floor skipped: OpenSSL does not verify the token's "
		                 "signature (the token is not RS256 with this key)");
		goto done;
	}

	bench_measure(config, loop_verify, &c, &peers->rsa_verify);
	bench_measure(config, loop_sha256, &c, &peers->sha256);
	if (c.failures > 0) {
		bench_peers_note(peers, "OpenSSL floor discarded: %u timed calls failed", c.failures);
		goto done;
	}
	peers->floor_valid = 1;
	snprintf(peers->floor_version, sizeof peers->floor_version, "%s",
	         OpenSSL_version(OPENSSL_VERSION));

done:
	EVP_PKEY_CTX_free(c.verify);
	EVP_MD_CTX_free(c.digest_ctx);
	EVP_MD_free(c.sha256);
	EVP_PKEY_free(pkey);
}
