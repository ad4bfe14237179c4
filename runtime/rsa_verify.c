/*
 * RSASSA-PKCS1-v1_5 (RS256, RS384, RS512): verification with the prepared
 * keys of rsa_fast.c, signing and the SHA-384 and SHA-512 hashes with
 * BearSSL.
 */
#include <string.h>

#include "sha256.h"
#include "token.h"

/* Hash function of each algorithm, its DigestInfo OID (for signing with
 * BearSSL) and the DER prefix of its DigestInfo, which RFC 8017 section
 * 9.2 (note 1) lists: SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }. */
typedef struct alg_hash {
	skr_alg alg;
	const br_hash_class *hash;
	const unsigned char *oid;
	size_t len;
	uint8_t prefix[19];
} alg_hash;

static const alg_hash *hash_of(skr_alg alg)
{
	static const alg_hash table[] = {
		{ SKR_ALG_RS256, &br_sha256_vtable, BR_HASH_OID_SHA256, br_sha256_SIZE,
		  { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		    0x02, 0x01, 0x05, 0x00, 0x04, 0x20 } },
		{ SKR_ALG_RS384, &br_sha384_vtable, BR_HASH_OID_SHA384, br_sha384_SIZE,
		  { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		    0x02, 0x02, 0x05, 0x00, 0x04, 0x30 } },
		{ SKR_ALG_RS512, &br_sha512_vtable, BR_HASH_OID_SHA512, br_sha512_SIZE,
		  { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		    0x02, 0x03, 0x05, 0x00, 0x04, 0x40 } },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].alg == alg)
			return &table[i];
	}
	return NULL;
}

size_t skr_hash_for_alg(skr_alg alg, const void *msg, size_t len,
                        uint8_t out[SKR_MAX_HASH_BYTES])
{
	const alg_hash *h = hash_of(alg);
	if (h == NULL)
		return 0;

	if (alg == SKR_ALG_RS256) {
		skr_sha256(msg, len, out);
		return h->len;
	}
	br_hash_compat_context ctx;
	h->hash->init(&ctx.vtable);
	h->hash->update(&ctx.vtable, msg, len);
	h->hash->out(&ctx.vtable, out);
	return h->len;
}

int skr_ct_equal(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a;
	const uint8_t *y = b;
	uint32_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (uint32_t)(x[i] ^ y[i]);
	/* Maps 0 to 1 and 1..255 to 0 without a data-dependent branch. */
	return (int)(1u & ((diff - 1u) >> 8));
}

uint32_t skr_bignum_bits(const uint8_t *v, size_t len)
{
	size_t i = 0;
	while (i < len && v[i] == 0)
		i++;
	if (i == len)
		return 0;

	uint32_t bits = (uint32_t)(len - i - 1) * 8u;
	for (unsigned top = v[i]; top != 0; top >>= 1)
		bits++;
	return bits;
}

int skr_rsa_verify_digest(const skr_rsa_fast_key *key, skr_alg alg, const uint8_t *digest,
                          const uint8_t *sig, size_t sig_len)
{
	const alg_hash *h = hash_of(alg);
	if (h == NULL || key == NULL || key->limbs == 0 || digest == NULL || sig == NULL)
		return 0;

	/* skr_rsa_fast_public checks the length too. Checking it here keeps
	 * the rule visible. */
	size_t k = key->n_bytes;
	size_t t_len = sizeof h->prefix + h->len;
	if (key->n_bits > SKR_MAX_RSA_BITS || sig_len != k || k < t_len + 11u)
		return 0;

	/* Encode and compare (RFC 8017 section 8.2.2): rebuild the one valid
	 * encoded message 00 01 FF..FF 00 DigestInfo and compare all of it,
	 * rather than parse what the signature decrypts to. BearSSL 0.6's
	 * pkcs1_vrfy parses, and accepts a DigestInfo whose NULL parameters are
	 * missing; this comparison accepts exactly one encoding. */
	uint8_t expected[SKR_MAX_RSA_BYTES];
	expected[0] = 0x00;
	expected[1] = 0x01;
	memset(expected + 2, 0xff, k - t_len - 3);
	expected[k - t_len - 1] = 0x00;
	memcpy(expected + k - t_len, h->prefix, sizeof h->prefix);
	memcpy(expected + k - h->len, digest, h->len);

	/* The public operation fails when the signature is not below n. */
	uint8_t em[SKR_MAX_RSA_BYTES];
	if (!skr_rsa_fast_public(key, sig, sig_len, em))
		return 0;
	return skr_ct_equal(expected, em, k);
}

int skr_rsa_verify_prepared(const skr_rsa_fast_key *key, skr_alg alg, const void *msg,
                            size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t digest[SKR_MAX_HASH_BYTES];
	if (skr_hash_for_alg(alg, msg, msg_len, digest) == 0)
		return 0;
	return skr_rsa_verify_digest(key, alg, digest, sig, sig_len);
}

int skr_rsa_verify(const br_rsa_public_key *key, skr_alg alg, const void *msg,
                   size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	if (key == NULL)
		return 0;
	skr_rsa_fast_key prepared;
	if (!skr_rsa_fast_init(&prepared, key->n, key->nlen, key->e, key->elen))
		return 0;
	return skr_rsa_verify_prepared(&prepared, alg, msg, msg_len, sig, sig_len);
}

int skr_rsa_sign(const br_rsa_private_key *key, skr_alg alg, const void *msg,
                 size_t msg_len, uint8_t *sig)
{
	const alg_hash *h = hash_of(alg);
	if (h == NULL || key == NULL || sig == NULL)
		return 0;

	uint8_t digest[SKR_MAX_HASH_BYTES];
	skr_hash_for_alg(alg, msg, msg_len, digest);

	br_rsa_pkcs1_sign sign = br_rsa_pkcs1_sign_get_default();
	return sign(h->oid, digest, h->len, key, sig) == 1;
}
