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

/* The AVX-512 IFMA path (rsa_ifma.c) exists for x86-64 builds by GCC or
 * clang with 64-bit limbs, and runs where the CPU and the operating system
 * support it. Defining SKR_NO_IFMA leaves it out. */
#if defined(__x86_64__) && SKR_LIMB_BITS == 64 && (defined(__GNUC__) || defined(__clang__)) && \
	!defined(SKR_NO_IFMA)
#define SKR_RSA_IFMA 1
#else
#define SKR_RSA_IFMA 0
#endif
/* 52-bit limbs of the IFMA path: 52 * 80 = 4160 >= 4096 + 2. */
#define SKR_RSA_IFMA_MAX_LIMBS 80u

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
#if SKR_RSA_IFMA
	uint32_t ifma_limbs;                  /* 52-bit limbs, a multiple of 8; 0 when the
	                                         IFMA path does not serve this key */
	uint64_t ifma_k0;                     /* -n^-1 mod 2^52 */
	uint64_t ifma_n[SKR_RSA_IFMA_MAX_LIMBS];   /* n in 52-bit limbs */
	uint64_t ifma_rr[SKR_RSA_IFMA_MAX_LIMBS];  /* 2^(104 ifma_limbs) mod n */
#endif
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

/* Computes x^e mod n as skr_rsa_fast_public does, always with the
 * portable code, so that tests can hold the two paths to each other. */
int skr_rsa_fast_public_portable(const skr_rsa_fast_key *key, const uint8_t *x, size_t x_len,
                                 uint8_t *out);

#if SKR_RSA_IFMA
/* Whether the CPU has AVX-512F and AVX-512 IFMA and the operating system
 * saves the ZMM registers. Checked once. */
int skr_rsa_ifma_available(void);

/* 52-bit limbs the IFMA path uses for a modulus of n_bits bits. */
static inline uint32_t skr_rsa_ifma_limbs(uint32_t n_bits)
{
	uint32_t limbs = (n_bits + 2u + 51u) / 52u;
	return (limbs + 7u) / 8u * 8u;
}

/* Completes key for the IFMA path, given rr = 2^(104 skr_rsa_ifma_limbs)
 * mod n in rr_limbs 64-bit limbs. Leaves key->ifma_limbs 0 when the CPU
 * lacks IFMA. Called by skr_rsa_fast_init. */
void skr_rsa_ifma_prepare(skr_rsa_fast_key *key, const uint64_t *rr, size_t rr_limbs);

/* Computes x^e mod n with IFMA, under the contract of skr_rsa_fast_public.
 * Returns 0 as well when key->ifma_limbs is 0. */
int skr_rsa_ifma_public(const skr_rsa_fast_key *key, const uint8_t *x, size_t x_len,
                        uint8_t *out);
#endif

#endif
