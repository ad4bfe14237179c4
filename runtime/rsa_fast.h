/*
 * The RSA public operation (x^e mod n) with per-key precomputation.
 *
 * skr_rsa_fast_init converts a public key once, when the trust store
 * loads: the modulus and the exponent become little-endian limb arrays,
 * and the Montgomery constants n0inv and R^2 mod n are computed. After
 * that, skr_rsa_fast_public only reads the key, so one key may serve any
 * number of threads at once, and a public operation allocates nothing.
 *
 * Limbs are 64 bits wide with unsigned __int128 products where the
 * compiler has that type, and 32 bits wide with uint64_t products
 * otherwise. Defining SKR_RSA_LIMB32 for the whole build forces the 32-bit
 * limbs, so both forms can be tested on one machine. The key structure
 * depends on the choice, so every file of one build must agree on it.
 *
 * Nothing here is secret (a public operation reads a public key and a
 * signature), so the code may branch on values. It is still branch-free
 * where that costs nothing, such as the final subtraction of a Montgomery
 * product.
 */
#ifndef SKR_RSA_FAST_H
#define SKR_RSA_FAST_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SIZEOF_INT128__) && !defined(SKR_RSA_LIMB32)
typedef uint64_t skr_limb;
#define SKR_LIMB_BITS 64u
#else
typedef uint32_t skr_limb;
#define SKR_LIMB_BITS 32u
#endif

/* Largest modulus and largest public exponent, in bits. The trust store
 * accepts moduli of up to 4096 bits. */
#define SKR_RSA_FAST_MAX_BITS 4096u
#define SKR_RSA_FAST_MAX_LIMBS (SKR_RSA_FAST_MAX_BITS / SKR_LIMB_BITS)

/* A public key prepared for skr_rsa_fast_public. R is 2^(SKR_LIMB_BITS *
 * limbs). Every array holds limbs least significant first, and the limbs
 * above the used ones are zero. */
typedef struct skr_rsa_fast_key {
	skr_limb n[SKR_RSA_FAST_MAX_LIMBS];   /* the modulus, odd */
	skr_limb r2[SKR_RSA_FAST_MAX_LIMBS];  /* R^2 mod n */
	skr_limb e[SKR_RSA_FAST_MAX_LIMBS];   /* the public exponent, at least 1 */
	skr_limb n0inv;                       /* -n^-1 mod 2^SKR_LIMB_BITS */
	uint32_t limbs;                       /* limbs of each number (even), 0 before init */
	uint32_t n_bytes;                     /* bytes of the modulus without leading zeros */
	uint32_t n_bits;
	uint32_t e_bits;
} skr_rsa_fast_key;

/* Prepares key from a big-endian modulus and exponent (leading zero bytes
 * allowed). Returns 1 on success. Returns 0, with key->limbs set to 0, when
 * the modulus is even, below 3 or over SKR_RSA_FAST_MAX_BITS bits, or when
 * the exponent is zero or over SKR_RSA_FAST_MAX_BITS bits. It does not
 * check that n is an RSA modulus or that e suits it: the trust store
 * applies those rules before it calls this. */
int skr_rsa_fast_init(skr_rsa_fast_key *key, const uint8_t *n, size_t n_len,
                      const uint8_t *e, size_t e_len);

/* Computes x^e mod n into out. x is big-endian and exactly key->n_bytes
 * long, and out receives key->n_bytes bytes (it may be x itself). Returns
 * 1 on success, or 0 without writing out when the key was not prepared, x
 * has another length, or x is not below n. */
int skr_rsa_fast_public(const skr_rsa_fast_key *key, const uint8_t *x, size_t x_len,
                        uint8_t *out);

#endif
