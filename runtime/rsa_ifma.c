/*
 * The RSA public operation with AVX-512 IFMA, where the CPU has it. The
 * vpmadd52luq and vpmadd52huq instructions multiply eight pairs of 52-bit
 * limbs at once and add the low or the high 52 bits of each product to a
 * 64-bit accumulator. The contract is in rsa_fast.h. rsa_fast.c calls
 * this path when skr_rsa_ifma_available reports that the CPU and the
 * operating system support it, and its portable code otherwise.
 *
 * Numbers are arrays of L limbs of 52 bits, least significant first, with
 * L a multiple of 8 and 52 * L >= n_bits + 2, so that 4n <= R = 2^(52 L).
 * amm() is an almost Montgomery multiplication in the word-by-word form of
 * Gueron and Krasnov, "Accelerating Big Integer Arithmetic Using Intel
 * IFMA Extensions" (ARITH 2016). For inputs below 2n it returns a * b *
 * R^-1 mod n plus a multiple of n, below 2n, in normalised 52-bit limbs.
 * The last step brings the result below n.
 */
#include <string.h>

#include "rsa_fast.h"

#if SKR_RSA_IFMA

#include <cpuid.h>
#include <immintrin.h>

#define MASK52 ((UINT64_C(1) << 52) - 1u)
#define LANES 8u
#define MAX_VECTORS (SKR_RSA_IFMA_MAX_LIMBS / LANES)

/* clang 18 and later also want "evex512" for 512-bit vectors when the
 * build's baseline has no AVX-512; older compilers do not know it. */
#if defined(__clang__) && __clang_major__ >= 18
#define IFMA __attribute__((target("avx512f,avx512ifma,evex512")))
#else
#define IFMA __attribute__((target("avx512f,avx512ifma")))
#endif

/* GCC unrolls the loops over vectors only with this pragma, while clang
 * does so once the count is fixed. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLL _Pragma("GCC unroll 16")
#else
#define UNROLL
#endif

/* ---- detection ---- */

static int os_saves_zmm(void)
{
	unsigned eax, ebx, ecx, edx;
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || (ecx & (1u << 27)) == 0)
		return 0;  /* no OSXSAVE */
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* SSE, AVX, the opmask registers and both halves of the ZMM state. */
	return (lo & 0xE6u) == 0xE6u;
}

int skr_rsa_ifma_available(void)
{
	static _Atomic int known;  /* 0 until checked, then 1 without, 2 with */
	int k = known;
	if (k != 0)
		return k == 2;
	unsigned eax, ebx, ecx, edx;
	int found = 0;
	if (__get_cpuid_max(0, NULL) >= 7) {
		__cpuid_count(7, 0, eax, ebx, ecx, edx);
		/* AVX512F is bit 16 and AVX512_IFMA bit 21 of EBX. */
		found = (ebx & (1u << 16)) != 0 && (ebx & (1u << 21)) != 0 && os_saves_zmm();
	}
	known = found ? 2 : 1;
	return found;
}

/* ---- conversions ---- */

/* Reads a big-endian byte string into L 52-bit limbs. */
static void load_be52(uint64_t *dst, size_t L, const uint8_t *src, size_t len)
{
	memset(dst, 0, L * sizeof *dst);
	for (size_t i = 0; i < len; i++) {
		size_t bit = 8 * i;
		uint64_t byte = src[len - 1 - i];
		dst[bit / 52] |= (byte << (bit % 52)) & MASK52;
		if (bit % 52 > 44)
			dst[bit / 52 + 1] |= byte >> (52 - bit % 52);
	}
}

/* Writes the low len bytes of L 52-bit limbs as a big-endian string. */
static void store_be52(uint8_t *dst, size_t len, const uint64_t *src)
{
	for (size_t i = 0; i < len; i++) {
		size_t bit = 8 * i;
		uint64_t v = src[bit / 52] >> (bit % 52);
		if (bit % 52 > 44)
			v |= src[bit / 52 + 1] << (52 - bit % 52);
		dst[len - 1 - i] = (uint8_t)v;
	}
}

/* Converts 64-bit limbs (nl of them) to L 52-bit limbs. */
static void from_limbs64(uint64_t *dst, size_t L, const uint64_t *src, size_t nl)
{
	memset(dst, 0, L * sizeof *dst);
	for (size_t bit = 0; bit < 64 * nl; bit += 52) {
		size_t i = bit / 64, s = bit % 64;
		uint64_t v = src[i] >> s;
		if (s > 12 && i + 1 < nl)
			v |= src[i + 1] << (64 - s);
		if (bit / 52 < L)
			dst[bit / 52] = v & MASK52;
	}
}

/* ---- arithmetic ---- */

/* r = a * b * R^-1 mod n, plus a multiple of n, below 2n (see the top of
 * the file). r may alias a or b. V is L / 8. */
IFMA static inline __attribute__((always_inline)) void
amm_v(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *n, uint64_t k0, size_t V)
{
	__m512i acc[MAX_VECTORS], av[MAX_VECTORS], nv[MAX_VECTORS];
	const __m512i zero = _mm512_setzero_si512();
	const size_t L = V * LANES;
	const uint64_t n0 = n[0];

	UNROLL
	for (size_t v = 0; v < V; v++) {
		acc[v] = zero;
		av[v] = _mm512_loadu_si512((const void *)(a + v * LANES));
		nv[v] = _mm512_loadu_si512((const void *)(n + v * LANES));
	}
	for (size_t i = 0; i < L; i++) {
		__m512i bi = _mm512_set1_epi64((long long)b[i]);
		__m512i hi[MAX_VECTORS];
		UNROLL
		for (size_t v = 0; v < V; v++) {
			acc[v] = _mm512_madd52lo_epu64(acc[v], av[v], bi);
			hi[v] = _mm512_madd52hi_epu64(zero, av[v], bi);
		}
		uint64_t low = (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(acc[0]));
		uint64_t m = (low * k0) & MASK52;
		/* The low limb becomes a multiple of 2^52; what is above carries
		 * into the next limb. */
		uint64_t carry = (low + ((n0 * m) & MASK52)) >> 52;
		__m512i mv = _mm512_set1_epi64((long long)m);
		UNROLL
		for (size_t v = 0; v < V; v++) {
			acc[v] = _mm512_madd52lo_epu64(acc[v], nv[v], mv);
			hi[v] = _mm512_madd52hi_epu64(hi[v], nv[v], mv);
		}
		/* Divide by 2^52: drop limb 0, move every limb down one place,
		 * and add the high halves, which belong one place up. */
		UNROLL
		for (size_t v = 0; v + 1 < V; v++)
			acc[v] = _mm512_add_epi64(_mm512_alignr_epi64(acc[v + 1], acc[v], 1), hi[v]);
		acc[V - 1] = _mm512_add_epi64(_mm512_alignr_epi64(zero, acc[V - 1], 1), hi[V - 1]);
		acc[0] = _mm512_mask_add_epi64(acc[0], 1, acc[0], _mm512_set1_epi64((long long)carry));
	}

	/* Every limb is below 2L * 2^53 < 2^62: normalise to 52 bits. */
	uint64_t t[SKR_RSA_IFMA_MAX_LIMBS];
	UNROLL
	for (size_t v = 0; v < V; v++)
		_mm512_storeu_si512((void *)(t + v * LANES), acc[v]);
	uint64_t carry = 0;
	for (size_t j = 0; j < L; j++) {
		uint64_t s = t[j] + carry;
		r[j] = s & MASK52;
		carry = s >> 52;
	}
}

/* amm_v with the vector count fixed, so that the compiler unrolls the
 * loops over vectors and keeps the accumulators in registers. */
#define AMM_FIXED(count)                                                                 \
	IFMA static void amm_##count(uint64_t *r, const uint64_t *a, const uint64_t *b,     \
	                             const uint64_t *n, uint64_t k0)                        \
	{                                                                                   \
		amm_v(r, a, b, n, k0, count);                                                   \
	}
AMM_FIXED(1)
AMM_FIXED(2)
AMM_FIXED(3)
AMM_FIXED(4)
AMM_FIXED(5)
AMM_FIXED(6)
AMM_FIXED(7)
AMM_FIXED(8)
AMM_FIXED(9)
AMM_FIXED(10)

typedef void (*amm_fn)(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *n,
                       uint64_t k0);
static const amm_fn amm_for[MAX_VECTORS + 1] = {
	NULL, amm_1, amm_2, amm_3, amm_4, amm_5, amm_6, amm_7, amm_8, amm_9, amm_10,
};

/* Returns 1 when a >= b. */
static int at_least(const uint64_t *a, const uint64_t *b, size_t L)
{
	for (size_t j = L; j-- > 0;) {
		if (a[j] != b[j])
			return a[j] > b[j];
	}
	return 1;
}

static void subtract(uint64_t *a, const uint64_t *b, size_t L)
{
	uint64_t borrow = 0;
	for (size_t j = 0; j < L; j++) {
		uint64_t d = a[j] - b[j] - borrow;
		borrow = d >> 63;
		a[j] = d & MASK52;
	}
}

static int exponent_bit(const skr_rsa_fast_key *key, uint32_t i)
{
	return (int)((key->e[i / SKR_LIMB_BITS] >> (i % SKR_LIMB_BITS)) & 1u);
}

int skr_rsa_ifma_public(const skr_rsa_fast_key *key, const uint8_t *x, size_t x_len, uint8_t *out)
{
	size_t L = key->ifma_limbs;
	if (L == 0 || x_len != key->n_bytes)
		return 0;
	size_t V = L / LANES;
	uint64_t v[SKR_RSA_IFMA_MAX_LIMBS], xr[SKR_RSA_IFMA_MAX_LIMBS], r[SKR_RSA_IFMA_MAX_LIMBS];
	load_be52(v, L, x, x_len);
	if (at_least(v, key->ifma_n, L))
		return 0;

	amm_fn amm = amm_for[V];
	/* x R mod n, then left to right over the bits of e. */
	amm(xr, v, key->ifma_rr, key->ifma_n, key->ifma_k0);
	memcpy(r, xr, L * sizeof *r);
	for (uint32_t i = key->e_bits - 1; i-- > 0;) {
		amm(r, r, r, key->ifma_n, key->ifma_k0);
		if (exponent_bit(key, i))
			amm(r, r, xr, key->ifma_n, key->ifma_k0);
	}
	/* Leave Montgomery form; the result is at most n. */
	uint64_t one[SKR_RSA_IFMA_MAX_LIMBS] = { 1 };
	amm(r, r, one, key->ifma_n, key->ifma_k0);
	if (at_least(r, key->ifma_n, L))
		subtract(r, key->ifma_n, L);
	store_be52(out, x_len, r);
	return 1;
}

/* Computes -n^-1 mod 2^52 for odd n by Newton's iteration. */
static uint64_t negated_inverse52(uint64_t n0)
{
	uint64_t inv = n0;
	for (int i = 0; i < 6; i++)
		inv *= 2u - n0 * inv;
	return (0u - inv) & MASK52;
}

void skr_rsa_ifma_prepare(skr_rsa_fast_key *key, const uint64_t *rr64, size_t rr_limbs)
{
	key->ifma_limbs = 0;
	size_t L = (key->n_bits + 2u + 51u) / 52u;
	L = (L + LANES - 1) / LANES * LANES;
	if (L > SKR_RSA_IFMA_MAX_LIMBS || !skr_rsa_ifma_available())
		return;
	from_limbs64(key->ifma_n, L, (const uint64_t *)key->n, key->limbs);
	from_limbs64(key->ifma_rr, L, rr64, rr_limbs);
	key->ifma_k0 = negated_inverse52(key->ifma_n[0]);
	key->ifma_limbs = (uint32_t)L;
}

#endif
