/*
 * Internals of key wrapping: the key type behind skr_key, secret wiping,
 * the system's random source, AES key wrap with padding (RFC 5649) and
 * RSA-OAEP. Nothing here is public; envelope.c and the tests use it.
 */
#ifndef SKR_WRAP_H
#define SKR_WRAP_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "skr.h"

/* Size of each key part slot: the largest modulus, with room for a prime
 * of an unbalanced key and for an oct key. */
#define SKR_KEY_PART_MAX SKR_KEY_MAX_OCT_BYTES

/* Parts of a key, in their order in a PKCS#1 RSAPrivateKey. */
enum {
	SKR_PART_N = 0,
	SKR_PART_E,
	SKR_PART_D,
	SKR_PART_P,
	SKR_PART_Q,
	SKR_PART_DP,
	SKR_PART_DQ,
	SKR_PART_QI,
	SKR_PART_K,   /* the bytes of an oct key */
	SKR_PART_COUNT
};

/* Big-endian unsigned integers without leading zero bytes (or the bytes of
 * an oct key), each in its own fixed slot of one allocation. The whole
 * allocation is wiped when the key is freed. */
typedef struct skr_key_parts {
	uint8_t slot[SKR_PART_COUNT][SKR_KEY_PART_MAX];
	size_t len[SKR_PART_COUNT];
} skr_key_parts;

struct skr_key {
	skr_key_kind kind;
	skr_key_parts *parts;      /* secret, wiped by skr_key_free */
	br_rsa_public_key pub;     /* RSA keys: views of n and e in parts */
	br_rsa_private_key priv;   /* RSA private keys: views of p, q, dp, dq, qi */
	char *kid;                 /* NUL-terminated, or NULL (not secret) */
	char *key_ops;             /* the JWK's "key_ops" as compact JSON, or NULL */
};

/* Sets n bytes to zero through a volatile function pointer, so the
 * compiler cannot drop the store as dead. */
void skr_wipe(void *p, size_t n);

/* Overwrites the next 16 KiB of stack below the caller with zeros, where
 * BearSSL's private-key routines keep their intermediate values. Best
 * effort: it relies on those routines having run from the same caller. */
void skr_wipe_stack(void);

/* Fills buf with bytes of the system's random source (getrandom). Returns
 * 1, or 0 when the source fails. */
int skr_random(void *buf, size_t len);

/* ---- AES key wrap with padding (RFC 5649) ---- */

/* Output size of wrapping len bytes: len rounded up to 8, plus 8. */
size_t skr_kwp_wrapped_len(size_t len);

/* Wraps len (>= 1) bytes of in with an AES key of 16, 24 or 32 bytes into
 * out, which has skr_kwp_wrapped_len(len) bytes and may not overlap in.
 * Returns 1, or 0 for a bad key size or an empty input. */
int skr_kwp_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t len,
                 uint8_t *out);

/* Unwraps in (a multiple of 8 bytes, at least 16) into out, which needs
 * in_len - 8 bytes, and sets *out_len. Checks the integrity value, the
 * length indicator and the zero padding. Returns 1, or 0 on any failure,
 * and then out is wiped. */
int skr_kwp_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t *out_len);

/* ---- RSA-OAEP with AES key wrap ---- */

/* Opens a ciphertext made by skr_wrap with the workload's RSA private key
 * into out, which needs ct_len bytes, and sets *out_len. Returns 1, or 0
 * when the ciphertext does not open (wrong key, changed bytes). */
int skr_unwrap(const skr_key *workload, skr_wrap_alg alg, const uint8_t *ct, size_t ct_len,
               uint8_t *out, size_t *out_len);

/* ---- keys ---- */

/* Makes an RSA public key from its modulus and exponent (big-endian).
 * Returns SKR_OK, SKR_E_NOMEM, or SKR_E_USAGE with *problem set to a
 * static description of what is wrong (too small, even exponent, ...). */
skr_status skr_key_rsa_public(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                              const char **problem, skr_key **out);

/* Makes an RSA private key from PKCS#8 DER, checked as skr_key_load
 * checks keys. Returns SKR_OK, SKR_E_NOMEM, or SKR_E_USAGE with an error
 * in diags. */
skr_status skr_key_from_pkcs8(const uint8_t *der, size_t len, skr_diags *diags,
                              skr_key **out);

/* Replaces the key's kid with a copy of kid (may be NULL). Returns 0, or
 * -1 when memory runs out. */
int skr_key_set_kid(skr_key *key, const char *kid);

#endif
