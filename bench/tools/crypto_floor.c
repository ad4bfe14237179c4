/*
 * The cryptographic floor of a cold release, measured in one run.
 *
 * A cold release verifies one RS256 signature: it hashes the signing input
 * and raises the signature to the public exponent. This program measures,
 * on the real MAA token maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt and
 * the sharedweu key that signed it:
 *
 *   - OpenSSL's EVP_PKEY_verify (RSA-2048, PKCS#1 v1.5, a key context made
 *     once and reused, the SHA-256 digest given) and OpenSSL's SHA-256 of
 *     the signing input with a reused digest context: their sum is the
 *     floor;
 *   - BearSSL 0.6: br_rsa_public_get_default() and a full comparison with
 *     the expected encoding, and br_sha256;
 *   - skr: skr_rsa_verify_digest with the key prepared once, skr_sha256,
 *     and skr_base64url_decode of the token's three parts.
 *
 * Each figure is the median of ROUNDS samples (default 501), and each
 * sample times a batch of calls. The rounds interleave the routines, so
 * load from other processes falls on all of them alike.
 *
 * Build and run from the repository root (needs libssl-dev):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude -Iruntime \
 *     bench/tools/crypto_floor.c runtime/rsa_fast.c runtime/rsa_ifma.c \
 *     runtime/rsa_verify.c runtime/sha256.c runtime/base64url.c -lbearssl -ljansson -lcrypto \
 *     -o crypto_floor
 *   ./crypto_floor [ROUNDS]
 * The corpus is read from $SKR_SHARED/corpus/real (default ../shared).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64url.h"
#include "rsa_fast.h"
#include "sha256.h"
#include "token.h"

#define TOKEN_FILE "maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt"
#define TRUST_FILE "trust-sharedweu.json"

/* ---- setup ---- */

static void die(const char *what)
{
	fprintf(stderr, "crypto_floor: %s\n", what);
	exit(1);
}

static char *read_corpus_file(const char *name, size_t *len)
{
	const char *shared = getenv("SKR_SHARED");
	char path[1024];
	snprintf(path, sizeof path, "%s/corpus/real/%s", shared ? shared : "../shared", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "crypto_floor: cannot open %s (set SKR_SHARED to the shared "
		        "directory)\n", path);
		exit(1);
	}
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap + 1);
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
	}
	fclose(f);
	if (buf == NULL)
		die("out of memory");
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The token's parts and the key that signed it. */
typedef struct fixture {
	char *token;
	size_t token_len;
	size_t dots[2];
	char kid[128];
	uint8_t *signature;
	size_t signature_len;
	uint8_t *cert;              /* DER of the key's x5c[0] */
	size_t cert_len;
	uint8_t n[SKR_MAX_RSA_BYTES];
	size_t n_len;
	uint8_t e[16];
	size_t e_len;
} fixture;

static uint8_t *decode_part(const char *text, size_t len, size_t *out_len)
{
	uint8_t *out = malloc(skr_base64_decoded_max(len));
	if (out == NULL || skr_base64url_decode(text, len, out, out_len, NULL) != SKR_B64_OK)
		die("the token is not valid base64url");
	return out;
}

static void load_token(fixture *fx)
{
	fx->token = read_corpus_file(TOKEN_FILE, &fx->token_len);
	const char *first = memchr(fx->token, '.', fx->token_len);
	const char *second = first ? memchr(first + 1, '.', fx->token_len - (size_t)(first + 1 - fx->token)) : NULL;
	if (second == NULL)
		die("the token is not a compact JWS");
	fx->dots[0] = (size_t)(first - fx->token);
	fx->dots[1] = (size_t)(second - fx->token);

	size_t header_len = 0;
	uint8_t *header = decode_part(fx->token, fx->dots[0], &header_len);
	json_t *json = json_loadb((const char *)header, header_len, 0, NULL);
	const char *kid = json_string_value(json_object_get(json, "kid"));
	const char *alg = json_string_value(json_object_get(json, "alg"));
	if (kid == NULL || alg == NULL || strcmp(alg, "RS256") != 0 || strlen(kid) >= sizeof fx->kid)
		die("the token's header has no kid or is not RS256");
	strcpy(fx->kid, kid);
	json_decref(json);
	free(header);

	fx->signature = decode_part(fx->token + fx->dots[1] + 1, fx->token_len - fx->dots[1] - 1,
	                            &fx->signature_len);
}

/* Finds the token's kid in the trust store and decodes its certificate,
 * then its RSA key with BearSSL's X.509 decoder. */
static void load_key(fixture *fx)
{
	size_t len = 0;
	char *text = read_corpus_file(TRUST_FILE, &len);
	json_t *store = json_loadb(text, len, 0, NULL);
	if (!json_is_object(store))
		die("the trust store is not a JSON object");

	const char *authority;
	json_t *jwks;
	const char *x5c = NULL;
	json_object_foreach(store, authority, jwks) {
		size_t i;
		json_t *jwk;
		json_array_foreach(json_object_get(jwks, "keys"), i, jwk) {
			const char *kid = json_string_value(json_object_get(jwk, "kid"));
			if (kid != NULL && strcmp(kid, fx->kid) == 0)
				x5c = json_string_value(json_array_get(json_object_get(jwk, "x5c"), 0));
		}
	}
	if (x5c == NULL)
		die("the trust store has no certificate for the token's kid");

	fx->cert = malloc(skr_base64_decoded_max(strlen(x5c)));
	if (fx->cert == NULL ||
	    skr_base64_decode(x5c, strlen(x5c), fx->cert, &fx->cert_len, NULL) != SKR_B64_OK)
		die("x5c[0] is not valid base64");
	json_decref(store);
	free(text);

	br_x509_decoder_context *dc = malloc(sizeof *dc);
	if (dc == NULL)
		die("out of memory");
	br_x509_decoder_init(dc, NULL, NULL);
	br_x509_decoder_push(dc, fx->cert, fx->cert_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(dc);
	if (pk == NULL || pk->key_type != BR_KEYTYPE_RSA || pk->key.rsa.nlen > sizeof fx->n ||
	    pk->key.rsa.elen > sizeof fx->e)
		die("x5c[0] does not hold an RSA key of at most 4096 bits");
	fx->n_len = pk->key.rsa.nlen;
	memcpy(fx->n, pk->key.rsa.n, fx->n_len);
	fx->e_len = pk->key.rsa.elen;
	memcpy(fx->e, pk->key.rsa.e, fx->e_len);
	free(dc);
}

/* ---- measured routines ---- */

/* Everything a routine may need, set up before timing starts. */
typedef struct context {
	const fixture *fx;
	const char *signing_input;
	size_t signing_input_len;
	uint8_t digest[32];
	EVP_PKEY_CTX *openssl_verify;
	EVP_MD_CTX *openssl_md_ctx;
	const EVP_MD *openssl_sha256;
	br_rsa_public_key bearssl_key;
	skr_rsa_fast_key skr_key;
	uint8_t *decoded;
	int failures;
} context;

static void openssl_verify(context *c)
{
	if (EVP_PKEY_verify(c->openssl_verify, c->fx->signature, c->fx->signature_len, c->digest,
	                    sizeof c->digest) != 1)
		c->failures++;
}

static void openssl_sha256(context *c)
{
	uint8_t out[32];
	unsigned out_len = 0;
	if (EVP_DigestInit_ex(c->openssl_md_ctx, c->openssl_sha256, NULL) != 1 ||
	    EVP_DigestUpdate(c->openssl_md_ctx, c->signing_input, c->signing_input_len) != 1 ||
	    EVP_DigestFinal_ex(c->openssl_md_ctx, out, &out_len) != 1 ||
	    memcmp(out, c->digest, sizeof out) != 0)
		c->failures++;
}

/* The RS256 encoding of c->digest for a k-byte modulus. */
static void expected_encoding(const context *c, uint8_t *em, size_t k)
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	                                    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	                                    0x01, 0x05, 0x00, 0x04, 0x20 };
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - 51 - 3);
	em[k - 52] = 0x00;
	memcpy(em + k - 51, prefix, sizeof prefix);
	memcpy(em + k - 32, c->digest, 32);
}

static void bearssl_verify(context *c)
{
	size_t k = c->fx->signature_len;
	uint8_t x[SKR_MAX_RSA_BYTES], em[SKR_MAX_RSA_BYTES];
	memcpy(x, c->fx->signature, k);
	expected_encoding(c, em, k);
	if (!br_rsa_public_get_default()(x, k, &c->bearssl_key) || !skr_ct_equal(x, em, k))
		c->failures++;
}

static void bearssl_sha256(context *c)
{
	uint8_t out[32];
	skr_sha256_portable(c->signing_input, c->signing_input_len, out);
	if (memcmp(out, c->digest, sizeof out) != 0)
		c->failures++;
}

static void skr_verify(context *c)
{
	if (!skr_rsa_verify_digest(&c->skr_key, SKR_ALG_RS256, c->digest, c->fx->signature,
	                           c->fx->signature_len))
		c->failures++;
}

/* The public operation alone with the portable code, which serves keys
 * where the CPU lacks AVX-512 IFMA; the rows above use IFMA where it has
 * it. */
static void skr_portable_op(context *c)
{
	uint8_t x[SKR_MAX_RSA_BYTES];
	if (!skr_rsa_fast_public_portable(&c->skr_key, c->fx->signature,
	                                  c->fx->signature_len, x))
		c->failures++;
}

static void skr_hash(context *c)
{
	uint8_t out[32];
	skr_sha256(c->signing_input, c->signing_input_len, out);
	if (memcmp(out, c->digest, sizeof out) != 0)
		c->failures++;
}

static void skr_hash_and_verify(context *c)
{
	if (!skr_rsa_verify_prepared(&c->skr_key, SKR_ALG_RS256, c->signing_input,
	                             c->signing_input_len, c->fx->signature, c->fx->signature_len))
		c->failures++;
}

static void skr_decode(context *c)
{
	const fixture *fx = c->fx;
	size_t start[3] = { 0, fx->dots[0] + 1, fx->dots[1] + 1 };
	size_t end[3] = { fx->dots[0], fx->dots[1], fx->token_len };
	uint8_t *out = c->decoded;
	for (int p = 0; p < 3; p++) {
		size_t len = 0;
		if (skr_base64url_decode(fx->token + start[p], end[p] - start[p], out, &len, NULL) !=
		    SKR_B64_OK)
			c->failures++;
		out += len;
	}
}

static void skr_prepare(context *c)
{
	skr_rsa_fast_key key;
	if (!skr_rsa_fast_init(&key, c->fx->n, c->fx->n_len, c->fx->e, c->fx->e_len))
		c->failures++;
}

/* ---- timing ---- */

typedef struct routine {
	const char *name;
	void (*run)(context *c);
	int batch;                  /* calls per sample */
	double *samples;            /* ns per call */
	double median;
} routine;

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void print_machine(void)
{
	char model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f != NULL) {
		char line[512];
		while (fgets(line, sizeof line, f) != NULL) {
			const char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				snprintf(model, sizeof model, "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	printf("cpu: %s\n", model);
#if defined(__clang__)
	printf("compiler: %s\n", __VERSION__);
#elif defined(__GNUC__)
	printf("compiler: gcc %s\n", __VERSION__);
#endif
	printf("openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("skr: %u-bit limbs, SHA-256 with %s\n", SKR_LIMB_BITS, skr_sha256_engine());
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 501;
	if (rounds < 1)
		die("usage: crypto_floor [ROUNDS]");

	fixture fx;
	memset(&fx, 0, sizeof fx);
	load_token(&fx);
	load_key(&fx);

	context c;
	memset(&c, 0, sizeof c);
	c.fx = &fx;
	c.signing_input = fx.token;
	c.signing_input_len = fx.dots[1];
	skr_sha256_portable(c.signing_input, c.signing_input_len, c.digest);
	c.decoded = malloc(skr_base64_decoded_max(fx.token_len));
	c.bearssl_key = (br_rsa_public_key){ fx.n, fx.n_len, fx.e, fx.e_len };
	if (c.decoded == NULL || !skr_rsa_fast_init(&c.skr_key, fx.n, fx.n_len, fx.e, fx.e_len))
		die("the key could not be prepared");

	const uint8_t *der = fx.cert;
	X509 *cert = d2i_X509(NULL, &der, (long)fx.cert_len);
	EVP_PKEY *pkey = cert != NULL ? X509_get0_pubkey(cert) : NULL;
	if (pkey == NULL)
		die("OpenSSL cannot read the certificate");
	c.openssl_verify = EVP_PKEY_CTX_new(pkey, NULL);
	if (c.openssl_verify == NULL || EVP_PKEY_verify_init(c.openssl_verify) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c.openssl_verify, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c.openssl_verify, EVP_sha256()) != 1)
		die("OpenSSL's verification context could not be set up");
	c.openssl_md_ctx = EVP_MD_CTX_new();
	c.openssl_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (c.openssl_md_ctx == NULL || c.openssl_sha256 == NULL)
		die("OpenSSL's SHA-256 could not be set up");

	routine routines[] = {
		{ "openssl EVP_PKEY_verify", openssl_verify, 8, NULL, 0 },
		{ "openssl SHA-256", openssl_sha256, 32, NULL, 0 },
		{ "bearssl public op + compare", bearssl_verify, 1, NULL, 0 },
		{ "bearssl SHA-256 (br_sha256)", bearssl_sha256, 8, NULL, 0 },
		{ "skr_rsa_verify_digest", skr_verify, 8, NULL, 0 },
		{ "skr_sha256", skr_hash, 32, NULL, 0 },
		{ "skr_rsa_verify_prepared", skr_hash_and_verify, 8, NULL, 0 },
		{ "skr_base64url_decode (3 parts)", skr_decode, 32, NULL, 0 },
		{ "skr_rsa_fast_init (once per key)", skr_prepare, 4, NULL, 0 },
		/* Last, so that the indices the summary below uses stay. */
		{ "skr_rsa_fast_public_portable", skr_portable_op, 8, NULL, 0 },
	};
	size_t count = sizeof routines / sizeof routines[0];
	for (size_t r = 0; r < count; r++) {
		routines[r].samples = malloc((size_t)rounds * sizeof(double));
		if (routines[r].samples == NULL)
			die("out of memory");
		routines[r].run(&c);  /* warm the caches */
	}

	for (int i = 0; i < rounds; i++) {
		for (size_t r = 0; r < count; r++) {
			double start = now_ns();
			for (int b = 0; b < routines[r].batch; b++)
				routines[r].run(&c);
			routines[r].samples[i] = (now_ns() - start) / routines[r].batch;
		}
	}
	if (c.failures != 0)
		die("a routine failed to verify or hash the real token");

	print_machine();
	printf("token: %s, %zu bytes, signing input %zu bytes, RSA-%zu, e of %zu bytes\n",
	       TOKEN_FILE, fx.token_len, c.signing_input_len, fx.n_len * 8, fx.e_len);
	printf("median of %d rounds:\n", rounds);
	for (size_t r = 0; r < count; r++) {
		qsort(routines[r].samples, (size_t)rounds, sizeof(double), compare_doubles);
		routines[r].median = routines[r].samples[rounds / 2];
		printf("  %-34s %10.0f ns\n", routines[r].name, routines[r].median);
	}

	double floor_ns = routines[0].median + routines[1].median;
	double bearssl_ns = routines[2].median + routines[3].median;
	double skr_ns = routines[4].median + routines[5].median;
	printf("floor (openssl verify + SHA-256):  %10.0f ns\n", floor_ns);
	printf("bearssl verify + SHA-256:          %10.0f ns  %.2fx the floor\n", bearssl_ns,
	       bearssl_ns / floor_ns);
	printf("skr verify + SHA-256:              %10.0f ns  %.2fx the floor\n", skr_ns,
	       skr_ns / floor_ns);
	printf("skr verify alone vs openssl's:     %.2fx; skr SHA-256 vs openssl's: %.2fx\n",
	       routines[4].median / routines[0].median, routines[5].median / routines[1].median);
	printf("base64url decode: %.0f MB/s\n",
	       (double)fx.token_len / routines[7].median * 1e3);

	for (size_t r = 0; r < count; r++)
		free(routines[r].samples);
	EVP_MD_free((EVP_MD *)c.openssl_sha256);
	EVP_MD_CTX_free(c.openssl_md_ctx);
	EVP_PKEY_CTX_free(c.openssl_verify);
	X509_free(cert);
	free(c.decoded);
	free(fx.cert);
	free(fx.signature);
	free(fx.token);
	return 0;
}
