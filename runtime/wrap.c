/*
 * Key wrapping for releases: secret wiping, the random source, AES key
 * wrap with padding (RFC 5649), RSA-OAEP, and keys as JWK, PEM and DER.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"
#include "wrap.h"

/* ---- wiping and randomness ---- */

/* A volatile pointer makes every call an opaque store the compiler must
 * keep, even when the memory is freed right after. */
static void *(*volatile wipe_memset)(void *, int, size_t) = memset;

void skr_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		wipe_memset(p, 0, n);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
void skr_wipe_stack(void)
{
	uint8_t scratch[16384];
	skr_wipe(scratch, sizeof scratch);
}

int skr_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t got = getrandom(p, len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		p += got;
		len -= (size_t)got;
	}
	return 1;
}

/* ---- AES key wrap with padding (RFC 5649) ---- */

/* The first half of RFC 5649's alternative initial value. The second half
 * is the input length as a 32-bit big-endian integer. */
static const uint8_t kwp_aiv[4] = { 0xa6, 0x59, 0x59, 0xa6 };

size_t skr_kwp_wrapped_len(size_t len)
{
	return (len + 7u) / 8u * 8u + 8u;
}

static int aes_key_size_ok(size_t len)
{
	return len == 16 || len == 24 || len == 32;
}

/*
 * BearSSL exposes AES through modes only, so single blocks go through the
 * constant-time ct64 modes, which work on four blocks at once. The calls
 * below fill all four lanes: with one block, the cbcenc and cbcdec runs
 * leave three lanes of their working state unset, which is harmless but
 * makes valgrind report every result as uninitialised.
 */

/* Encrypts one block: CTR mode with the block as IV (12 bytes) and
 * big-endian counter (4 bytes) turns a zero block into E(block). */
static void aes_encrypt_block(const br_aes_ct64_ctr_keys *keys, uint8_t block[16])
{
	uint8_t out[16] = { 0 };
	uint32_t counter = (uint32_t)block[12] << 24 | (uint32_t)block[13] << 16 |
	                   (uint32_t)block[14] << 8 | block[15];
	br_aes_ct64_ctr_run(keys, block, counter, out, sizeof out);
	memcpy(block, out, sizeof out);
	skr_wipe(out, sizeof out);
}

/* Decrypts one block: CBC decryption with a zero IV of the block followed
 * by three zero blocks, keeping the first result. */
static void aes_decrypt_block(const br_aes_ct64_cbcdec_keys *keys, uint8_t block[16])
{
	uint8_t iv[16] = { 0 };
	uint8_t lanes[64] = { 0 };
	memcpy(lanes, block, 16);
	br_aes_ct64_cbcdec_run(keys, iv, lanes, sizeof lanes);
	memcpy(block, lanes, 16);
	skr_wipe(lanes, sizeof lanes);
	skr_wipe(iv, sizeof iv);
}

/* XORs the step counter t of RFC 3394 into the integrity register a. */
static void xor_counter(uint8_t a[8], uint64_t t)
{
	for (int i = 7; i >= 0; i--) {
		a[i] ^= (uint8_t)(t & 0xffu);
		t >>= 8;
	}
}

int skr_kwp_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t len,
                 uint8_t *out)
{
	if (!aes_key_size_ok(kek_len) || len == 0 || len > 0xffffffffu)
		return 0;

	size_t n = (len + 7u) / 8u;
	uint8_t a[8] = { kwp_aiv[0], kwp_aiv[1], kwp_aiv[2], kwp_aiv[3],
	                 (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
	                 (uint8_t)len };
	uint8_t block[16];
	br_aes_ct64_ctr_keys keys;
	br_aes_ct64_ctr_init(&keys, kek, kek_len);

	/* R[1..n] live in out after the first 8 bytes; the padding is zeros. */
	uint8_t *r = out + 8;
	memcpy(r, in, len);
	memset(r + len, 0, n * 8u - len);

	if (n == 1) {
		/* One padded block: a single AES encryption of AIV || P. */
		memcpy(block, a, 8);
		memcpy(block + 8, r, 8);
		aes_encrypt_block(&keys, block);
		memcpy(out, block, 16);
	} else {
		/* The wrapping process W of RFC 3394, with the AIV as its IV. */
		for (uint64_t j = 0; j < 6; j++) {
			for (size_t i = 1; i <= n; i++) {
				memcpy(block, a, 8);
				memcpy(block + 8, r + (i - 1) * 8u, 8);
				aes_encrypt_block(&keys, block);
				memcpy(a, block, 8);
				xor_counter(a, n * j + i);
				memcpy(r + (i - 1) * 8u, block + 8, 8);
			}
		}
		memcpy(out, a, 8);
	}

	skr_wipe(block, sizeof block);
	skr_wipe(a, sizeof a);
	skr_wipe(&keys, sizeof keys);
	return 1;
}

int skr_kwp_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t *out_len)
{
	if (!aes_key_size_ok(kek_len) || in_len < 16 || in_len % 8u != 0)
		return 0;

	size_t n = in_len / 8u - 1u;
	uint8_t a[8];
	uint8_t block[16];
	br_aes_ct64_cbcdec_keys keys;
	br_aes_ct64_cbcdec_init(&keys, kek, kek_len);

	if (n == 1) {
		memcpy(block, in, 16);
		aes_decrypt_block(&keys, block);
		memcpy(a, block, 8);
		memcpy(out, block + 8, 8);
	} else {
		/* The unwrapping process W^-1 of RFC 3394. */
		memcpy(a, in, 8);
		memcpy(out, in + 8, n * 8u);
		for (uint64_t j = 6; j-- > 0;) {
			for (size_t i = n; i >= 1; i--) {
				xor_counter(a, n * j + i);
				memcpy(block, a, 8);
				memcpy(block + 8, out + (i - 1) * 8u, 8);
				aes_decrypt_block(&keys, block);
				memcpy(a, block, 8);
				memcpy(out + (i - 1) * 8u, block + 8, 8);
			}
		}
	}

	/* Every check runs, so the time taken does not say which failed. */
	uint32_t bad = 0;
	for (int i = 0; i < 4; i++)
		bad |= (uint32_t)(a[i] ^ kwp_aiv[i]);
	size_t mli = (size_t)a[4] << 24 | (size_t)a[5] << 16 | (size_t)a[6] << 8 | a[7];
	bad |= (uint32_t)(mli <= 8u * (n - 1u) || mli > 8u * n);
	for (size_t i = 0; i < 8u * n; i++)
		bad |= (uint32_t)(i >= mli ? out[i] : 0);

	skr_wipe(block, sizeof block);
	skr_wipe(a, sizeof a);
	skr_wipe(&keys, sizeof keys);
	if (bad != 0) {
		skr_wipe(out, 8u * n);
		return 0;
	}
	*out_len = mli;
	return 1;
}

/* ---- RSA-OAEP with AES key wrap ---- */

/* Bytes of the AES-256 transfer key that RSA-OAEP carries. */
#define TRANSFER_KEY_BYTES 32u

static const struct {
	skr_wrap_alg alg;
	const char *name;
	const br_hash_class *hash;
} wrap_algs[] = {
	{ SKR_WRAP_CKM_RSA_AES_KEY_WRAP, "CKM_RSA_AES_KEY_WRAP", &br_sha1_vtable },
	{ SKR_WRAP_RSA_AES_KEY_WRAP_256, "RSA_AES_KEY_WRAP_256", &br_sha256_vtable },
	{ SKR_WRAP_RSA_AES_KEY_WRAP_384, "RSA_AES_KEY_WRAP_384", &br_sha384_vtable },
};

static const br_hash_class *oaep_hash(skr_wrap_alg alg)
{
	for (size_t i = 0; i < sizeof wrap_algs / sizeof wrap_algs[0]; i++) {
		if (wrap_algs[i].alg == alg)
			return wrap_algs[i].hash;
	}
	return NULL;
}

const char *skr_wrap_alg_name(skr_wrap_alg alg)
{
	for (size_t i = 0; i < sizeof wrap_algs / sizeof wrap_algs[0]; i++) {
		if (wrap_algs[i].alg == alg)
			return wrap_algs[i].name;
	}
	return "?";
}

int skr_wrap_alg_parse(const char *name, size_t len, skr_wrap_alg *alg)
{
	for (size_t i = 0; i < sizeof wrap_algs / sizeof wrap_algs[0]; i++) {
		if (strlen(wrap_algs[i].name) == len && memcmp(wrap_algs[i].name, name, len) == 0) {
			*alg = wrap_algs[i].alg;
			return 1;
		}
	}
	return 0;
}

size_t skr_wrapped_len(const skr_key *workload, size_t material_len)
{
	if (workload == NULL || workload->kind == SKR_KEY_OCT || material_len == 0 ||
	    material_len > 0xffffffffu)
		return 0;
	return workload->pub.nlen + skr_kwp_wrapped_len(material_len);
}

skr_status skr_wrap(const skr_key *workload, skr_wrap_alg alg, uint8_t *material,
                    size_t material_len, skr_diags *diags, uint8_t *out, size_t cap,
                    size_t *out_len)
{
	uint8_t transfer[TRANSFER_KEY_BYTES];
	uint8_t seed[32];
	br_hmac_drbg_context drbg;
	memset(&drbg, 0, sizeof drbg);
	skr_status st = SKR_OK;
	size_t need = skr_wrapped_len(workload, material_len);
	const br_hash_class *hash = oaep_hash(alg);

	if (out_len != NULL)
		*out_len = 0;
	if (need == 0 || hash == NULL || material == NULL || out == NULL || cap < need ||
	    out_len == NULL) {
		st = SKR_E_USAGE;
		goto done;
	}

	/* BearSSL's OAEP takes its seed from a PRNG object, so an HMAC-DRBG
	 * seeded from the system's random source serves it, and is wiped. */
	if (!skr_random(transfer, sizeof transfer) || !skr_random(seed, sizeof seed)) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "random-source", 0, 0,
		             "the system's random source (getrandom) failed: %s", strerror(errno));
		st = SKR_E_INTERNAL;
		goto done;
	}
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof seed);

	size_t k = workload->pub.nlen;
	br_rsa_oaep_encrypt encrypt = br_rsa_oaep_encrypt_get_default();
	if (encrypt(&drbg.vtable, hash, NULL, 0, &workload->pub, out, k, transfer,
	            sizeof transfer) != k ||
	    !skr_kwp_wrap(transfer, sizeof transfer, material, material_len, out + k)) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "wrap-failed", 0, 0,
		             "wrapping to the %u-bit RSA key failed", workload->priv.n_bitlen);
		st = SKR_E_INTERNAL;
		skr_wipe(out, need);
		goto done;
	}
	*out_len = need;

done:
	skr_wipe(transfer, sizeof transfer);
	skr_wipe(seed, sizeof seed);
	skr_wipe(&drbg, sizeof drbg);
	skr_wipe(material, material_len);
	skr_wipe_stack();
	return st;
}

int skr_unwrap(const skr_key *workload, skr_wrap_alg alg, const uint8_t *ct, size_t ct_len,
               uint8_t *out, size_t *out_len)
{
	const br_hash_class *hash = oaep_hash(alg);
	if (workload == NULL || workload->kind != SKR_KEY_RSA_PRIVATE || hash == NULL)
		return 0;
	size_t k = workload->pub.nlen;
	if (ct_len < k + 16u || (ct_len - k) % 8u != 0)
		return 0;

	uint8_t block[SKR_KEY_MAX_RSA_BITS / 8u];
	size_t transfer_len = k;
	memcpy(block, ct, k);
	br_rsa_oaep_decrypt decrypt = br_rsa_oaep_decrypt_get_default();
	int ok = decrypt(hash, NULL, 0, &workload->priv, block, &transfer_len) == 1 &&
	         transfer_len == TRANSFER_KEY_BYTES;
	if (ok)
		ok = skr_kwp_unwrap(block, TRANSFER_KEY_BYTES, ct + k, ct_len - k, out, out_len);
	skr_wipe(block, sizeof block);
	skr_wipe_stack();
	return ok;
}

/* ---- keys: memory and checks ---- */

static skr_status key_error(skr_diags *diags, const char *fmt, ...) SKR_PRINTF(2, 3);
static skr_status key_error(skr_diags *diags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(diags, NULL, SKR_SEV_ERROR, "key-invalid", 0, 0, fmt, ap);
	va_end(ap);
	return SKR_E_USAGE;
}

static skr_key *key_new(skr_key_kind kind)
{
	skr_key *key = calloc(1, sizeof *key);
	if (key == NULL)
		return NULL;
	key->kind = kind;
	key->parts = calloc(1, sizeof *key->parts);
	if (key->parts == NULL) {
		free(key);
		return NULL;
	}
	return key;
}

void skr_key_free(skr_key *key)
{
	if (key == NULL)
		return;
	if (key->parts != NULL)
		skr_wipe(key->parts, sizeof *key->parts);
	free(key->parts);
	free(key->kid);
	free(key->key_ops);
	skr_wipe(key, sizeof *key);
	free(key);
}

/* Removes the leading zero bytes of an integer part in its slot. */
static void strip_zeros(skr_key_parts *parts, int part)
{
	size_t skip = 0;
	while (skip < parts->len[part] && parts->slot[part][skip] == 0)
		skip++;
	memmove(parts->slot[part], parts->slot[part] + skip, parts->len[part] - skip);
	parts->len[part] -= skip;
}

/* Points the BearSSL views of an RSA key at its parts. */
static void set_views(skr_key *key)
{
	skr_key_parts *parts = key->parts;
	key->pub.n = parts->slot[SKR_PART_N];
	key->pub.nlen = parts->len[SKR_PART_N];
	key->pub.e = parts->slot[SKR_PART_E];
	key->pub.elen = parts->len[SKR_PART_E];
	key->priv.n_bitlen = skr_bignum_bits(key->pub.n, key->pub.nlen);
	key->priv.p = parts->slot[SKR_PART_P];
	key->priv.plen = parts->len[SKR_PART_P];
	key->priv.q = parts->slot[SKR_PART_Q];
	key->priv.qlen = parts->len[SKR_PART_Q];
	key->priv.dp = parts->slot[SKR_PART_DP];
	key->priv.dplen = parts->len[SKR_PART_DP];
	key->priv.dq = parts->slot[SKR_PART_DQ];
	key->priv.dqlen = parts->len[SKR_PART_DQ];
	key->priv.iq = parts->slot[SKR_PART_QI];
	key->priv.iqlen = parts->len[SKR_PART_QI];
}

/* Checks the public half of an RSA key. Returns NULL, or what is wrong. */
static const char *check_public(const skr_key *key)
{
	uint32_t bits = skr_bignum_bits(key->pub.n, key->pub.nlen);
	if (bits < SKR_KEY_MIN_RSA_BITS)
		return "the modulus is under 2048 bits";
	if (bits > SKR_KEY_MAX_RSA_BITS)
		return "the modulus is over 4096 bits";
	if ((key->pub.n[key->pub.nlen - 1] & 1u) == 0)
		return "the modulus is even";
	if (key->pub.elen == 0 || (key->pub.e[key->pub.elen - 1] & 1u) == 0 ||
	    (key->pub.elen == 1 && key->pub.e[0] == 1))
		return "the public exponent is even, 0 or 1";
	if (key->pub.elen > 8)
		return "the public exponent is over 64 bits";
	return NULL;
}

/* Compares two big-endian integers without leading zeros and returns -1,
 * 0 or 1. */
static int compare_integers(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	if (a_len != b_len)
		return a_len < b_len ? -1 : 1;
	int c = memcmp(a, b, a_len);
	return c < 0 ? -1 : c > 0;
}

/* Checks that the private parts belong to the public half: n = p * q, a
 * test value comes back from encryption followed by the CRT decryption,
 * and from encryption followed by exponentiation with d. Returns NULL, or
 * what is wrong. */
static const char *check_private(const skr_key *key)
{
	const skr_key_parts *parts = key->parts;
	size_t k = key->pub.nlen;
	const int crt[] = { SKR_PART_P, SKR_PART_Q, SKR_PART_DP, SKR_PART_DQ, SKR_PART_QI };
	for (size_t i = 0; i < sizeof crt / sizeof crt[0]; i++) {
		if (parts->len[crt[i]] == 0 || parts->len[crt[i]] > k)
			return "a CRT part (p, q, dp, dq or qi) is zero or larger than the modulus";
	}
	if (parts->len[SKR_PART_D] == 0 ||
	    compare_integers(parts->slot[SKR_PART_D], parts->len[SKR_PART_D], key->pub.n, k) >= 0)
		return "the private exponent d is zero or not below the modulus";

	uint8_t product[SKR_KEY_MAX_RSA_BITS / 8u + 8u];
	/* NOTE: the i31 routine of the Debian build of BearSSL 0.6 returns 0
	 * for 4096-bit keys (measured), so the i15 one computes the product. */
	br_rsa_compute_modulus modulus = br_rsa_i15_compute_modulus;
	size_t product_len = modulus(NULL, &key->priv);
	if (product_len == 0 || product_len > sizeof product || modulus(product, &key->priv) == 0 ||
	    compare_integers(product, product_len, key->pub.n, k) != 0)
		return "the modulus is not p * q";

	uint8_t m[SKR_KEY_MAX_RSA_BITS / 8u], c[sizeof m], x[sizeof m];
	m[0] = 0;
	for (size_t i = 1; i < k; i++)
		m[i] = (uint8_t)(0x5au ^ i);
	br_rsa_public public_op = br_rsa_public_get_default();
	br_rsa_private private_op = br_rsa_private_get_default();
	/* Raising to d is a public-key operation with d as the exponent. */
	br_rsa_public_key with_d = { key->pub.n, k, (unsigned char *)parts->slot[SKR_PART_D],
	                             parts->len[SKR_PART_D] };
	const char *problem = NULL;

	memcpy(c, m, k);
	if (!public_op(c, k, &key->pub)) {
		problem = "the public key does not work with BearSSL's RSA engine";
		goto done;
	}
	memcpy(x, c, k);
	if (!private_op(x, &key->priv) || memcmp(x, m, k) != 0) {
		problem = "the CRT parts (p, q, dp, dq, qi) do not belong to the modulus and exponent";
		goto done;
	}
	memcpy(x, c, k);
	if (!public_op(x, k, &with_d) || memcmp(x, m, k) != 0)
		problem = "the private exponent d does not belong to the modulus and exponent";

done:
	skr_wipe(x, sizeof x);
	skr_wipe(&with_d, sizeof with_d);
	skr_wipe_stack();
	return problem;
}

/* Checks a loaded key of any kind. Returns SKR_OK or a key error. */
static skr_status check_key(skr_key *key, skr_diags *diags)
{
	if (key->kind == SKR_KEY_OCT) {
		size_t len = key->parts->len[SKR_PART_K];
		if (len < SKR_KEY_MIN_OCT_BYTES || len > SKR_KEY_MAX_OCT_BYTES)
			return key_error(diags, "the symmetric key has %zu bytes; skr releases keys of "
			                        "%u to %u bytes", len, SKR_KEY_MIN_OCT_BYTES,
			                 SKR_KEY_MAX_OCT_BYTES);
		return SKR_OK;
	}
	strip_zeros(key->parts, SKR_PART_N);
	strip_zeros(key->parts, SKR_PART_E);
	if (key->kind == SKR_KEY_RSA_PRIVATE) {
		const int secret[] = { SKR_PART_D, SKR_PART_P, SKR_PART_Q, SKR_PART_DP, SKR_PART_DQ,
		                       SKR_PART_QI };
		for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
			strip_zeros(key->parts, secret[i]);
	}
	set_views(key);
	if (key->pub.nlen == 0)
		return key_error(diags, "the RSA modulus is zero");
	const char *problem = check_public(key);
	if (problem == NULL && key->kind == SKR_KEY_RSA_PRIVATE)
		problem = check_private(key);
	if (problem != NULL)
		return key_error(diags, "the RSA key is not usable: %s", problem);
	return SKR_OK;
}

skr_status skr_key_rsa_public(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                              const char **problem, skr_key **out)
{
	*out = NULL;
	*problem = NULL;
	while (n_len > 0 && n[0] == 0) {
		n++;
		n_len--;
	}
	while (e_len > 0 && e[0] == 0) {
		e++;
		e_len--;
	}
	if (n_len == 0 || n_len > SKR_KEY_MAX_RSA_BITS / 8u || e_len == 0 || e_len > 8) {
		*problem = n_len > SKR_KEY_MAX_RSA_BITS / 8u ? "the modulus is over 4096 bits"
		         : e_len > 8 ? "the public exponent is over 64 bits"
		                     : "the modulus or the public exponent is zero";
		return SKR_E_USAGE;
	}
	skr_key *key = key_new(SKR_KEY_RSA_PUBLIC);
	if (key == NULL)
		return SKR_E_NOMEM;
	memcpy(key->parts->slot[SKR_PART_N], n, n_len);
	key->parts->len[SKR_PART_N] = n_len;
	memcpy(key->parts->slot[SKR_PART_E], e, e_len);
	key->parts->len[SKR_PART_E] = e_len;
	set_views(key);
	*problem = check_public(key);
	if (*problem != NULL) {
		skr_key_free(key);
		return SKR_E_USAGE;
	}
	*out = key;
	return SKR_OK;
}

int skr_key_set_kid(skr_key *key, const char *kid)
{
	char *copy = NULL;
	if (kid != NULL) {
		size_t len = strlen(kid);
		copy = malloc(len + 1);
		if (copy == NULL)
			return -1;
		memcpy(copy, kid, len + 1);
	}
	free(key->kid);
	key->kid = copy;
	return 0;
}

/* ---- DER ---- */

typedef struct der_cursor {
	const uint8_t *p;
	size_t len;
} der_cursor;

/* Reads one element with the given tag into out and moves past it. The
 * length must be in DER's shortest form. Returns 1, or 0. */
static int der_read(der_cursor *in, uint8_t tag, der_cursor *out)
{
	if (in->len < 2 || in->p[0] != tag)
		return 0;
	size_t len = in->p[1];
	size_t head = 2;
	if (len & 0x80u) {
		size_t octets = len & 0x7fu;
		if (octets == 0 || octets > 3 || in->len < 2 + octets || in->p[2] == 0)
			return 0;
		len = 0;
		for (size_t i = 0; i < octets; i++)
			len = len << 8 | in->p[2 + i];
		if (len < 0x80)
			return 0;
		head += octets;
	}
	if (len > in->len - head)
		return 0;
	out->p = in->p + head;
	out->len = len;
	in->p += head + len;
	in->len -= head + len;
	return 1;
}

/* Reads a non-negative INTEGER in its shortest form into a part slot,
 * without its leading zero byte. Returns 1, or 0. */
static int der_integer(der_cursor *in, skr_key_parts *parts, int part)
{
	der_cursor v;
	if (!der_read(in, 0x02, &v) || v.len == 0 || (v.p[0] & 0x80u) != 0)
		return 0;
	if (v.len > 1 && v.p[0] == 0 && (v.p[1] & 0x80u) == 0)
		return 0;
	if (v.p[0] == 0) {
		v.p++;
		v.len--;
	}
	if (v.len > SKR_KEY_PART_MAX)
		return 0;
	memcpy(parts->slot[part], v.p, v.len);
	parts->len[part] = v.len;
	return 1;
}

/* Reads an INTEGER that must equal the small value expected. */
static int der_small(der_cursor *in, uint8_t expected)
{
	der_cursor v;
	return der_read(in, 0x02, &v) && v.len == 1 && v.p[0] == expected;
}

/* DER of the AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1)
 * with NULL parameters, as PKCS#8 and SubjectPublicKeyInfo carry it. */
static const uint8_t rsa_algorithm[15] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	                                       0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };

/* Checks an AlgorithmIdentifier for rsaEncryption, whose NULL parameters
 * may be absent. */
static int der_rsa_algorithm(der_cursor *in)
{
	der_cursor alg, oid, null;
	if (!der_read(in, 0x30, &alg) || !der_read(&alg, 0x06, &oid) || oid.len != 9 ||
	    memcmp(oid.p, rsa_algorithm + 4, 9) != 0)
		return 0;
	if (alg.len == 0)
		return 1;
	return der_read(&alg, 0x05, &null) && null.len == 0 && alg.len == 0;
}

/* RSAPrivateKey (PKCS#1): version 0 and the eight integers. */
static int parse_pkcs1_private(const uint8_t *der, size_t len, skr_key_parts *parts)
{
	der_cursor in = { der, len }, seq;
	if (!der_read(&in, 0x30, &seq) || in.len != 0 || !der_small(&seq, 0))
		return 0;
	for (int part = SKR_PART_N; part <= SKR_PART_QI; part++) {
		if (!der_integer(&seq, parts, part))
			return 0;
	}
	return seq.len == 0;
}

/* PrivateKeyInfo (PKCS#8, RFC 5208) of an RSA key. Attributes and the
 * public key of RFC 5958 may follow, and are ignored. */
static int parse_pkcs8_private(const uint8_t *der, size_t len, skr_key_parts *parts)
{
	der_cursor in = { der, len }, seq, octets;
	if (!der_read(&in, 0x30, &seq) || in.len != 0)
		return 0;
	der_cursor version;
	if (!der_read(&seq, 0x02, &version) || version.len != 1 || version.p[0] > 1 ||
	    !der_rsa_algorithm(&seq) || !der_read(&seq, 0x04, &octets))
		return 0;
	return parse_pkcs1_private(octets.p, octets.len, parts);
}

/* RSAPublicKey (PKCS#1): the modulus and the exponent. */
static int parse_pkcs1_public(const uint8_t *der, size_t len, skr_key_parts *parts)
{
	der_cursor in = { der, len }, seq;
	return der_read(&in, 0x30, &seq) && in.len == 0 && der_integer(&seq, parts, SKR_PART_N) &&
	       der_integer(&seq, parts, SKR_PART_E) && seq.len == 0;
}

/* SubjectPublicKeyInfo of an RSA key. */
static int parse_spki(const uint8_t *der, size_t len, skr_key_parts *parts)
{
	der_cursor in = { der, len }, seq, bits;
	if (!der_read(&in, 0x30, &seq) || in.len != 0 || !der_rsa_algorithm(&seq) ||
	    !der_read(&seq, 0x03, &bits) || seq.len != 0 || bits.len < 1 || bits.p[0] != 0)
		return 0;
	return parse_pkcs1_public(bits.p + 1, bits.len - 1, parts);
}

skr_status skr_key_from_pkcs8(const uint8_t *der, size_t len, skr_diags *diags,
                              skr_key **out)
{
	*out = NULL;
	skr_key *key = key_new(SKR_KEY_RSA_PRIVATE);
	if (key == NULL)
		return SKR_E_NOMEM;
	skr_status st = parse_pkcs8_private(der, len, key->parts)
	                    ? check_key(key, diags)
	                    : key_error(diags, "the key material is not a PKCS#8 RSA private key");
	if (st != SKR_OK) {
		skr_key_free(key);
		return st;
	}
	*out = key;
	return SKR_OK;
}

/* Bytes of DER an encoded header needs for a content of len bytes. */
static size_t der_header_size(size_t len)
{
	if (len < 0x80)
		return 2;
	if (len < 0x100)
		return 3;
	return len < 0x10000 ? 4 : 5;
}

static uint8_t *der_put_header(uint8_t *p, uint8_t tag, size_t len)
{
	*p++ = tag;
	if (len < 0x80) {
		*p++ = (uint8_t)len;
		return p;
	}
	size_t octets = der_header_size(len) - 2;
	*p++ = (uint8_t)(0x80u | octets);
	for (size_t i = octets; i-- > 0;)
		*p++ = (uint8_t)(len >> (8 * i));
	return p;
}

/* Content bytes of an INTEGER holding v (no leading zeros): a zero byte is
 * added when the top bit is set, and zero itself is one byte. */
static size_t der_integer_content(const uint8_t *v, size_t len)
{
	return len == 0 ? 1 : len + ((v[0] & 0x80u) != 0);
}

static uint8_t *der_put_integer(uint8_t *p, const uint8_t *v, size_t len)
{
	size_t content = der_integer_content(v, len);
	p = der_put_header(p, 0x02, content);
	if (content > len)
		*p++ = 0;
	memcpy(p, v, len);
	return p + len;
}

/* Sizes of the nested PKCS#8 structure of an RSA private key. */
typedef struct pkcs8_sizes {
	size_t rsa_content;   /* the RSAPrivateKey SEQUENCE's contents */
	size_t rsa;           /* the whole RSAPrivateKey */
	size_t content;       /* the PrivateKeyInfo SEQUENCE's contents */
	size_t total;
} pkcs8_sizes;

static pkcs8_sizes pkcs8_measure(const skr_key_parts *parts)
{
	pkcs8_sizes s;
	s.rsa_content = 3;  /* version 0 */
	for (int part = SKR_PART_N; part <= SKR_PART_QI; part++) {
		size_t c = der_integer_content(parts->slot[part], parts->len[part]);
		s.rsa_content += der_header_size(c) + c;
	}
	s.rsa = der_header_size(s.rsa_content) + s.rsa_content;
	s.content = 3 + sizeof rsa_algorithm + der_header_size(s.rsa) + s.rsa;
	s.total = der_header_size(s.content) + s.content;
	return s;
}

/* Writes the PKCS#8 DER of an RSA private key; out has pkcs8_measure's
 * total bytes. */
static void pkcs8_write(const skr_key_parts *parts, uint8_t *out)
{
	pkcs8_sizes s = pkcs8_measure(parts);
	static const uint8_t zero = 0;
	uint8_t *p = der_put_header(out, 0x30, s.content);
	p = der_put_integer(p, &zero, 0);
	memcpy(p, rsa_algorithm, sizeof rsa_algorithm);
	p += sizeof rsa_algorithm;
	p = der_put_header(p, 0x04, s.rsa);
	p = der_put_header(p, 0x30, s.rsa_content);
	p = der_put_integer(p, &zero, 0);
	for (int part = SKR_PART_N; part <= SKR_PART_QI; part++)
		p = der_put_integer(p, parts->slot[part], parts->len[part]);
}

/* SubjectPublicKeyInfo DER size and writer, for exporting public keys. */
static size_t spki_measure(const skr_key_parts *parts, size_t *rsa_content, size_t *content)
{
	*rsa_content = 0;
	for (int part = SKR_PART_N; part <= SKR_PART_E; part++) {
		size_t c = der_integer_content(parts->slot[part], parts->len[part]);
		*rsa_content += der_header_size(c) + c;
	}
	size_t rsa = der_header_size(*rsa_content) + *rsa_content;
	size_t bits = 1 + rsa;
	*content = sizeof rsa_algorithm + der_header_size(bits) + bits;
	return der_header_size(*content) + *content;
}

static void spki_write(const skr_key_parts *parts, uint8_t *out)
{
	size_t rsa_content, content;
	spki_measure(parts, &rsa_content, &content);
	size_t rsa = der_header_size(rsa_content) + rsa_content;
	uint8_t *p = der_put_header(out, 0x30, content);
	memcpy(p, rsa_algorithm, sizeof rsa_algorithm);
	p += sizeof rsa_algorithm;
	p = der_put_header(p, 0x03, 1 + rsa);
	*p++ = 0;
	p = der_put_header(p, 0x30, rsa_content);
	for (int part = SKR_PART_N; part <= SKR_PART_E; part++)
		p = der_put_integer(p, parts->slot[part], parts->len[part]);
}

/* ---- PEM ---- */

/* Largest DER a key PEM block may hold: a 4096-bit PKCS#8 key is about
 * 2.4 KB, so this leaves room for attributes. */
#define PEM_DER_MAX 8192u

typedef enum pem_kind {
	PEM_NONE = 0,
	PEM_PKCS8,
	PEM_PKCS1_PRIVATE,
	PEM_SPKI,
	PEM_PKCS1_PUBLIC,
	PEM_ENCRYPTED
} pem_kind;

typedef struct pem_sink {
	uint8_t *buf;
	size_t len;
	int overflow;
} pem_sink;

static void pem_append(void *ctx, const void *data, size_t len)
{
	pem_sink *sink = ctx;
	if (sink->overflow || len > PEM_DER_MAX - sink->len) {
		sink->overflow = 1;
		return;
	}
	memcpy(sink->buf + sink->len, data, len);
	sink->len += len;
}

static pem_kind pem_kind_of(const char *name)
{
	static const struct {
		const char *name;
		pem_kind kind;
	} names[] = {
		{ "PRIVATE KEY", PEM_PKCS8 },
		{ "RSA PRIVATE KEY", PEM_PKCS1_PRIVATE },
		{ "PUBLIC KEY", PEM_SPKI },
		{ "RSA PUBLIC KEY", PEM_PKCS1_PUBLIC },
		{ "ENCRYPTED PRIVATE KEY", PEM_ENCRYPTED },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i].name) == 0)
			return names[i].kind;
	}
	return PEM_NONE;
}

/* Decodes the first key block of a PEM text into sink (PEM_DER_MAX
 * bytes). Returns the block's kind, or PEM_NONE with an error in diags. */
static pem_kind pem_decode(const char *text, size_t len, pem_sink *sink, skr_diags *diags)
{
	br_pem_decoder_context pc;
	br_pem_decoder_init(&pc);
	pem_kind kind = PEM_NONE, found = PEM_NONE;
	const char *p = text;
	size_t left = len;
	int newline_pushed = 0;

	while (found == PEM_NONE) {
		if (left == 0) {
			/* BearSSL reports the END line only after a line end. */
			if (newline_pushed)
				break;
			p = "\n";
			left = 1;
			newline_pushed = 1;
		}
		size_t used = br_pem_decoder_push(&pc, p, left);
		p += used;
		left -= used;
		int event = br_pem_decoder_event(&pc);
		if (event == BR_PEM_BEGIN_OBJ) {
			kind = pem_kind_of(br_pem_decoder_name(&pc));
			int collect = kind != PEM_NONE && kind != PEM_ENCRYPTED;
			br_pem_decoder_setdest(&pc, collect ? pem_append : NULL, collect ? sink : NULL);
		} else if (event == BR_PEM_END_OBJ) {
			found = kind;
		} else if (event == BR_PEM_ERROR) {
			key_error(diags, "the PEM text is malformed (a PEM block with headers, as "
			                 "encrypted keys have, is not supported)");
			skr_wipe(&pc, sizeof pc);
			return PEM_NONE;
		}
	}
	skr_wipe(&pc, sizeof pc);

	if (found == PEM_ENCRYPTED) {
		key_error(diags, "the key is encrypted; decrypt it first (openssl pkey -in KEY -out "
		                 "PLAIN.pem)");
		return PEM_NONE;
	}
	if (sink->overflow) {
		key_error(diags, "the PEM key block is over %u bytes", PEM_DER_MAX);
		return PEM_NONE;
	}
	if (found == PEM_NONE)
		key_error(diags, "the text is neither a JWK nor PEM with a \"PRIVATE KEY\", \"RSA "
		                 "PRIVATE KEY\", \"PUBLIC KEY\" or \"RSA PUBLIC KEY\" block");
	return found;
}

static skr_status load_pem(const char *text, size_t len, skr_diags *diags, skr_key **out)
{
	uint8_t der[PEM_DER_MAX];
	pem_sink sink = { der, 0, 0 };
	pem_kind kind = pem_decode(text, len, &sink, diags);
	skr_status st = SKR_OK;
	skr_key *key = NULL;

	if (kind == PEM_NONE) {
		st = SKR_E_USAGE;
		goto done;
	}
	int private_key = kind == PEM_PKCS8 || kind == PEM_PKCS1_PRIVATE;
	key = key_new(private_key ? SKR_KEY_RSA_PRIVATE : SKR_KEY_RSA_PUBLIC);
	if (key == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	int parsed = kind == PEM_PKCS8           ? parse_pkcs8_private(der, sink.len, key->parts)
	           : kind == PEM_PKCS1_PRIVATE   ? parse_pkcs1_private(der, sink.len, key->parts)
	           : kind == PEM_SPKI            ? parse_spki(der, sink.len, key->parts)
	                                         : parse_pkcs1_public(der, sink.len, key->parts);
	if (!parsed) {
		st = key_error(diags, "the PEM block is not a DER RSA key of its kind (PKCS#8, "
		                      "PKCS#1 or SubjectPublicKeyInfo with rsaEncryption)");
		goto done;
	}
	*out = key;
	key = NULL;

done:
	skr_key_free(key);
	skr_wipe(der, sizeof der);
	return st;
}

/* ---- JWK ---- */

/* A JWK's secret members are decoded from the caller's text in place; no
 * other copy of them is made. The text is first scanned for its top-level
 * members, and a copy in which every string outside the public members is
 * replaced by 'A's goes to jansson, which checks the JSON strictly
 * (duplicates included) and reads the public members. */

#define JWK_MEMBERS_MAX 64u
#define JWK_DEPTH_MAX 8

typedef struct jwk_member {
	const char *name;
	size_t name_len;
	size_t value;        /* offset of the value's first byte in the text */
	size_t value_len;    /* for a string: its contents, quotes excluded */
	int is_string;
} jwk_member;

typedef struct jwk_scan {
	const char *text;
	char *copy;          /* same bytes, with strings redacted */
	size_t len;
	size_t pos;
	jwk_member members[JWK_MEMBERS_MAX];
	size_t count;
} jwk_scan;

/* Top-level members whose strings stay readable; the strings of all other
 * members (k, d, p, q, dp, dq, qi, oth and any unknown) are redacted. */
static int jwk_public_member(const char *name, size_t len)
{
	static const char *const names[] = { "kty", "kid", "use", "key_use", "alg", "key_ops",
		                                 "n", "e", "ext", "x5c", "x5t", "x5t#S256", "x5u" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	}
	return 0;
}

static void scan_space(jwk_scan *s)
{
	while (s->pos < s->len && strchr(" \t\r\n", s->text[s->pos]) != NULL && s->text[s->pos])
		s->pos++;
}

/* Moves past a string; sets its content span. Returns 1, or 0. */
static int scan_string(jwk_scan *s, size_t *start, size_t *end, int redact)
{
	if (s->pos >= s->len || s->text[s->pos] != '"')
		return 0;
	*start = ++s->pos;
	while (s->pos < s->len && s->text[s->pos] != '"') {
		if (s->text[s->pos] == '\\')
			s->pos++;
		s->pos++;
	}
	if (s->pos >= s->len)
		return 0;
	*end = s->pos++;
	if (redact)
		memset(s->copy + *start, 'A', *end - *start);
	return 1;
}

static int scan_value(jwk_scan *s, int depth, int redact)
{
	if (depth > JWK_DEPTH_MAX)
		return 0;
	scan_space(s);
	if (s->pos >= s->len)
		return 0;
	size_t start, end;
	char c = s->text[s->pos];
	if (c == '"')
		return scan_string(s, &start, &end, redact);
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		s->pos++;
		scan_space(s);
		if (s->pos < s->len && s->text[s->pos] == close) {
			s->pos++;
			return 1;
		}
		for (;;) {
			if (c == '{') {
				scan_space(s);
				if (!scan_string(s, &start, &end, 0))
					return 0;
				scan_space(s);
				if (s->pos >= s->len || s->text[s->pos++] != ':')
					return 0;
			}
			if (!scan_value(s, depth + 1, redact))
				return 0;
			scan_space(s);
			if (s->pos >= s->len)
				return 0;
			char next = s->text[s->pos++];
			if (next == close)
				return 1;
			if (next != ',')
				return 0;
		}
	}
	/* A number or a literal: jansson checks its spelling later. */
	start = s->pos;
	while (s->pos < s->len && strchr("+-.0123456789Eaeflnrstu", s->text[s->pos]) != NULL &&
	       s->text[s->pos] != '\0')
		s->pos++;
	return s->pos > start;
}

/* Scans the top-level object, records its members and redacts the copy.
 * Returns NULL, or what is wrong. */
static const char *scan_jwk(jwk_scan *s)
{
	scan_space(s);
	if (s->pos >= s->len || s->text[s->pos++] != '{')
		return "the JWK is not a JSON object";
	scan_space(s);
	if (s->pos < s->len && s->text[s->pos] == '}') {
		s->pos++;
	} else {
		for (;;) {
			size_t start, end;
			scan_space(s);
			if (!scan_string(s, &start, &end, 0))
				return "the JWK is not valid JSON";
			/* Raw names must be the decoded names, or a secret could
			 * hide behind an escaped name and reach jansson unredacted. */
			if (memchr(s->text + start, '\\', end - start) != NULL)
				return "a JWK member name contains an escape; write member names plainly";
			if (s->count == JWK_MEMBERS_MAX)
				return "the JWK has over 64 members";
			jwk_member *m = &s->members[s->count++];
			m->name = s->text + start;
			m->name_len = end - start;
			scan_space(s);
			if (s->pos >= s->len || s->text[s->pos++] != ':')
				return "the JWK is not valid JSON";
			scan_space(s);
			m->is_string = s->pos < s->len && s->text[s->pos] == '"';
			m->value = s->pos + (size_t)m->is_string;
			if (!scan_value(s, 1, !jwk_public_member(m->name, m->name_len)))
				return "the JWK is not valid JSON";
			m->value_len = m->is_string ? s->pos - 1 - m->value : s->pos - m->value;
			scan_space(s);
			if (s->pos >= s->len)
				return "the JWK is not valid JSON";
			char next = s->text[s->pos++];
			if (next == '}')
				break;
			if (next != ',')
				return "the JWK is not valid JSON";
		}
	}
	scan_space(s);
	return s->pos == s->len ? NULL : "the JWK has text after its closing brace";
}

static const jwk_member *jwk_find(const jwk_scan *s, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < s->count; i++) {
		if (s->members[i].name_len == len && memcmp(s->members[i].name, name, len) == 0)
			return &s->members[i];
	}
	return NULL;
}

/* Decodes a base64url member of the original text into a part slot. */
static skr_status jwk_part(const jwk_scan *s, const char *name, skr_key_parts *parts, int part,
                           skr_diags *diags)
{
	const jwk_member *m = jwk_find(s, name);
	if (m == NULL)
		return key_error(diags, "the JWK has no \"%s\"", name);
	if (!m->is_string)
		return key_error(diags, "the JWK's \"%s\" is not a string", name);
	if (skr_base64_decoded_max(m->value_len) > SKR_KEY_PART_MAX)
		return key_error(diags, "the JWK's \"%s\" is over %u bytes", name, SKR_KEY_PART_MAX);
	size_t err = 0;
	skr_b64_status b = skr_base64url_decode(s->text + m->value, m->value_len,
	                                        parts->slot[part], &parts->len[part], &err);
	if (b != SKR_B64_OK)
		return key_error(diags, "the JWK's \"%s\" is not valid base64url: %s at character %zu",
		                 name, skr_b64_status_text(b), err);
	return SKR_OK;
}

/* Reads kid and key_ops from the parsed, redacted JWK. */
static skr_status jwk_public_fields(const json_t *jwk, skr_key *key, skr_diags *diags)
{
	const json_t *kid = json_object_get(jwk, "kid");
	if (kid != NULL && !json_is_string(kid))
		return key_error(diags, "the JWK's \"kid\" is not a string");
	if (kid != NULL && skr_key_set_kid(key, json_string_value(kid)) != 0)
		return SKR_E_NOMEM;

	const json_t *ops = json_object_get(jwk, "key_ops");
	if (ops == NULL)
		return SKR_OK;
	size_t i;
	const json_t *op;
	int strings = json_is_array(ops);
	json_array_foreach(ops, i, op)
		strings &= json_is_string(op);
	if (!strings)
		return key_error(diags, "the JWK's \"key_ops\" is not an array of strings");
	key->key_ops = json_dumps(ops, JSON_COMPACT);
	return key->key_ops != NULL ? SKR_OK : SKR_E_NOMEM;
}

static skr_status load_jwk(const char *text, size_t len, skr_diags *diags, skr_key **out)
{
	jwk_scan *s = calloc(1, sizeof *s);
	char *copy = malloc(len + 1);
	json_t *jwk = NULL;
	skr_key *key = NULL;
	skr_status st = SKR_OK;
	if (s == NULL || copy == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	memcpy(copy, text, len);
	s->text = text;
	s->copy = copy;
	s->len = len;

	const char *problem = scan_jwk(s);
	if (problem != NULL) {
		st = key_error(diags, "%s", problem);
		goto done;
	}
	json_error_t err;
	jwk = json_loadb(copy, len, JSON_REJECT_DUPLICATES, &err);
	if (jwk == NULL) {
		/* The message names a position, never the redacted content. */
		st = key_error(diags, "the JWK is not valid JSON: %s (line %d, column %d)", err.text,
		               err.line, err.column);
		goto done;
	}

	const json_t *kty = json_object_get(jwk, "kty");
	const char *type = json_is_string(kty) ? json_string_value(kty) : "";
	if (strcmp(type, "oct") == 0) {
		key = key_new(SKR_KEY_OCT);
		st = key == NULL ? SKR_E_NOMEM : jwk_part(s, "k", key->parts, SKR_PART_K, diags);
	} else if (strcmp(type, "RSA") == 0) {
		int private_key = jwk_find(s, "d") != NULL;
		static const char *const crt[] = { "p", "q", "dp", "dq", "qi" };
		if (jwk_find(s, "oth") != NULL) {
			st = key_error(diags, "multi-prime RSA keys (\"oth\") are not supported");
			goto done;
		}
		for (size_t i = 0; !private_key && i < sizeof crt / sizeof crt[0]; i++) {
			if (jwk_find(s, crt[i]) != NULL) {
				st = key_error(diags, "the JWK has \"%s\" but no \"d\"; a private RSA JWK "
				                      "needs n, e, d, p, q, dp, dq and qi", crt[i]);
				goto done;
			}
		}
		key = key_new(private_key ? SKR_KEY_RSA_PRIVATE : SKR_KEY_RSA_PUBLIC);
		if (key == NULL) {
			st = SKR_E_NOMEM;
			goto done;
		}
		static const char *const names[] = { "n", "e", "d", "p", "q", "dp", "dq", "qi" };
		int count = private_key ? 8 : 2;
		for (int i = 0; i < count && st == SKR_OK; i++)
			st = jwk_part(s, names[i], key->parts, SKR_PART_N + i, diags);
	} else {
		st = key_error(diags, "the JWK's \"kty\" is not \"RSA\" or \"oct\"");
		goto done;
	}
	if (st == SKR_OK)
		st = jwk_public_fields(jwk, key, diags);
	if (st == SKR_OK) {
		*out = key;
		key = NULL;
	}

done:
	json_decref(jwk);
	skr_key_free(key);
	if (copy != NULL)
		skr_wipe(copy, len);
	free(copy);
	if (s != NULL)
		skr_wipe(s, sizeof *s);
	free(s);
	return st;
}

/* ---- loading ---- */

skr_status skr_key_load(char *text, size_t len, skr_diags *diags, skr_key **out)
{
	if (out == NULL || text == NULL) {
		skr_wipe(text, len);
		return SKR_E_USAGE;
	}
	*out = NULL;

	size_t i = 0;
	while (i < len && strchr(" \t\r\n", text[i]) != NULL && text[i] != '\0')
		i++;
	skr_key *key = NULL;
	skr_status st = i < len && text[i] == '{' ? load_jwk(text, len, diags, &key)
	                                          : load_pem(text, len, diags, &key);
	skr_wipe(text, len);
	if (st == SKR_OK)
		st = check_key(key, diags);
	if (st != SKR_OK) {
		skr_key_free(key);
		return st;
	}
	*out = key;
	return SKR_OK;
}

skr_status skr_key_oct(uint8_t *bytes, size_t len, const char *kid, skr_key **out)
{
	skr_status st = SKR_OK;
	skr_key *key = NULL;
	if (out == NULL || bytes == NULL || len < SKR_KEY_MIN_OCT_BYTES ||
	    len > SKR_KEY_MAX_OCT_BYTES) {
		st = SKR_E_USAGE;
		goto done;
	}
	*out = NULL;
	if (kid != NULL) {
		json_t *check = json_string(kid);
		if (check == NULL) {
			st = SKR_E_USAGE;  /* not valid UTF-8 */
			goto done;
		}
		json_decref(check);
	}
	key = key_new(SKR_KEY_OCT);
	if (key == NULL || skr_key_set_kid(key, kid) != 0) {
		st = SKR_E_NOMEM;
		goto done;
	}
	memcpy(key->parts->slot[SKR_PART_K], bytes, len);
	key->parts->len[SKR_PART_K] = len;
	*out = key;
	key = NULL;

done:
	skr_key_free(key);
	skr_wipe(bytes, len);
	return st;
}

skr_key_kind skr_key_kind_of(const skr_key *key)
{
	return key->kind;
}

uint32_t skr_key_bits(const skr_key *key)
{
	if (key->kind == SKR_KEY_OCT)
		return (uint32_t)key->parts->len[SKR_PART_K] * 8u;
	return key->priv.n_bitlen;
}

const char *skr_key_kid(const skr_key *key)
{
	return key->kid;
}

skr_status skr_key_thumbprint(const skr_key *key, char out[44])
{
	if (key == NULL || key->kind == SKR_KEY_OCT)
		return SKR_E_USAGE;
	/* RFC 7638: the required members in lexical order, no whitespace. */
	char digits[SKR_KEY_MAX_RSA_BITS / 8u / 3u * 4u + 8u];
	uint8_t digest[32];
	br_sha256_context ctx;
	br_sha256_init(&ctx);
	br_sha256_update(&ctx, "{\"e\":\"", 6);
	br_sha256_update(&ctx, digits, skr_base64url_encode(key->pub.e, key->pub.elen, digits));
	br_sha256_update(&ctx, "\",\"kty\":\"RSA\",\"n\":\"", 19);
	br_sha256_update(&ctx, digits, skr_base64url_encode(key->pub.n, key->pub.nlen, digits));
	br_sha256_update(&ctx, "\"}", 2);
	br_sha256_out(&ctx, digest);
	out[skr_base64url_encode(digest, sizeof digest, out)] = '\0';
	return SKR_OK;
}

/* ---- material and export ---- */

/* Largest PKCS#8 DER of a key that passed check_key: nine integers of at
 * most the modulus size, plus headers. */
#define PKCS8_MAX (9u * (SKR_KEY_MAX_RSA_BITS / 8u + 5u) + 64u)

skr_status skr_key_material(const skr_key *key, uint8_t *out, size_t cap, size_t *len)
{
	if (key == NULL || len == NULL || key->kind == SKR_KEY_RSA_PUBLIC)
		return SKR_E_USAGE;
	if (key->kind == SKR_KEY_OCT) {
		*len = key->parts->len[SKR_PART_K];
		if (out != NULL && cap >= *len)
			memcpy(out, key->parts->slot[SKR_PART_K], *len);
		return SKR_OK;
	}
	*len = pkcs8_measure(key->parts).total;
	if (out != NULL && cap >= *len)
		pkcs8_write(key->parts, out);
	return SKR_OK;
}

/* Text output that writes only when the whole text fits (see export). */
typedef struct text_out {
	char *buf;
	size_t len;
} text_out;

static void put(text_out *t, const char *s, size_t n)
{
	if (t->buf != NULL)
		memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void put_str(text_out *t, const char *s)
{
	put(t, s, strlen(s));
}

/* Writes DER as a PEM block with 64-character lines. */
static void put_pem(text_out *t, const char *label, const uint8_t *der, size_t len)
{
	put_str(t, "-----BEGIN ");
	put_str(t, label);
	put_str(t, "-----\n");
	for (size_t i = 0; i < len; i += 48) {
		char line[64];
		size_t chunk = len - i < 48 ? len - i : 48;
		put(t, line, skr_base64_encode(der + i, chunk, line));
		put_str(t, "\n");
		skr_wipe(line, sizeof line);
	}
	put_str(t, "-----END ");
	put_str(t, label);
	put_str(t, "-----\n");
}

/* Writes s as a JSON string: quotes, backslashes and control bytes are
 * escaped, other bytes copied. */
static void put_json_string(text_out *t, const char *s)
{
	put_str(t, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(t, esc, 2);
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(t, esc, 6);
		} else {
			put(t, (const char *)&c, 1);
		}
	}
	put_str(t, "\"");
}

static void put_oct_jwk(text_out *t, const skr_key *key)
{
	const skr_key_parts *parts = key->parts;
	char k[SKR_KEY_MAX_OCT_BYTES / 3u * 4u + 8u];
	size_t k_len = skr_base64url_encode(parts->slot[SKR_PART_K], parts->len[SKR_PART_K], k);
	put_str(t, "{\"kty\":\"oct\"");
	if (key->kid != NULL) {
		put_str(t, ",\"kid\":");
		put_json_string(t, key->kid);
	}
	put_str(t, ",\"k\":\"");
	put(t, k, k_len);
	put_str(t, "\"}\n");
	skr_wipe(k, sizeof k);
}

/* Writes the export into t; buf NULL only measures. */
static void export_into(const skr_key *key, text_out *t)
{
	uint8_t der[PKCS8_MAX];
	if (key->kind == SKR_KEY_OCT) {
		put_oct_jwk(t, key);
	} else if (key->kind == SKR_KEY_RSA_PRIVATE) {
		size_t len = pkcs8_measure(key->parts).total;
		pkcs8_write(key->parts, der);
		put_pem(t, "PRIVATE KEY", der, len);
	} else {
		size_t rsa_content, content;
		size_t len = spki_measure(key->parts, &rsa_content, &content);
		spki_write(key->parts, der);
		put_pem(t, "PUBLIC KEY", der, len);
	}
	skr_wipe(der, sizeof der);
}

skr_status skr_key_export(const skr_key *key, char *out, size_t cap, size_t *len)
{
	if (key == NULL || len == NULL)
		return SKR_E_USAGE;
	text_out measure = { NULL, 0 };
	export_into(key, &measure);
	*len = measure.len;
	if (out != NULL && cap >= measure.len) {
		text_out t = { out, 0 };
		export_into(key, &t);
	}
	return SKR_OK;
}
