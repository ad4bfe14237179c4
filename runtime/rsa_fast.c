/*
 * Montgomery arithmetic for the RSA public operation. The contract is in
 * rsa_fast.h.
 *
 * Numbers are arrays of nl limbs, least significant first. A Montgomery
 * product of a and b (both below n) is a * b * R^-1 mod n with R =
 * 2^(SKR_LIMB_BITS * nl). A public operation with e = 65537 is sixteen
 * Montgomery squarings and two Montgomery multiplications.
 */
#include <string.h>

#include "rsa_fast.h"

#if SKR_LIMB_BITS == 64
__extension__ typedef unsigned __int128 skr_dlimb;
#else
typedef uint64_t skr_dlimb;
#endif

#define LIMB_BYTES (SKR_LIMB_BITS / 8u)

/* The Montgomery products are inlined into the exponentiation loop, where
 * the compiler can keep the accumulators in registers. */
#if defined(__GNUC__) || defined(__clang__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

/* ---- conversions ---- */

/* Reads a big-endian byte string of len <= nl * LIMB_BYTES bytes into nl
 * limbs. */
static void load_be(skr_limb *dst, size_t nl, const uint8_t *src, size_t len)
{
	memset(dst, 0, nl * sizeof *dst);
	for (size_t i = 0; i < len; i++)
		dst[i / LIMB_BYTES] |= (skr_limb)src[len - 1 - i] << (8u * (i % LIMB_BYTES));
}

/* Writes the low len bytes of an nl-limb number as a big-endian string. */
static void store_be(uint8_t *dst, size_t len, const skr_limb *src)
{
	for (size_t i = 0; i < len; i++)
		dst[len - 1 - i] = (uint8_t)(src[i / LIMB_BYTES] >> (8u * (i % LIMB_BYTES)));
}

/* Bit length of an nl-limb number (0 for zero). */
static uint32_t bit_length(const skr_limb *v, size_t nl)
{
	size_t i = nl;
	while (i > 0 && v[i - 1] == 0)
		i--;
	if (i == 0)
		return 0;
	uint32_t bits = (uint32_t)(i - 1) * SKR_LIMB_BITS;
	for (skr_limb top = v[i - 1]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* ---- limb arithmetic ---- */

/* Returns 1 when a < b. */
static int less_than(const skr_limb *a, const skr_limb *b, size_t nl)
{
	for (size_t i = nl; i-- > 0;) {
		if (a[i] != b[i])
			return a[i] < b[i];
	}
	return 0;
}

/* Computes d = a - b mod R. Returns the borrow (0 or 1). */
INLINE skr_limb sub_limbs(skr_limb *d, const skr_limb *a, const skr_limb *b, size_t nl)
{
	skr_limb borrow = 0;
	for (size_t i = 0; i < nl; i++) {
		skr_dlimb diff = (skr_dlimb)a[i] - b[i] - borrow;
		d[i] = (skr_limb)diff;
		borrow = (skr_limb)(diff >> SKR_LIMB_BITS) & 1u;
	}
	return borrow;
}

/* Stores into r the value hi * R + v, minus n when that is at least n.
 * The caller guarantees hi * R + v < 2n and hi <= 1, so the result is
 * below n. The choice is a mask rather than a branch. */
INLINE void reduce_once(skr_limb *r, const skr_limb *v, skr_limb hi, const skr_limb *n,
                        size_t nl)
{
	skr_limb d[SKR_RSA_FAST_MAX_LIMBS];
	skr_limb borrow = sub_limbs(d, v, n, nl);
	skr_limb take_d = (skr_limb)0 - (hi | (borrow ^ 1u));
	for (size_t i = 0; i < nl; i++)
		r[i] = (d[i] & take_d) | (v[i] & ~take_d);
}

/* A column accumulator of product scanning: three limbs, the low two as
 * one double limb. A column sums at most 2nl + 1 double-limb products and
 * the carry of the column before, which is below (2nl + 2) * 2^(2 *
 * SKR_LIMB_BITS). With nl <= SKR_RSA_FAST_MAX_LIMBS that fits in three
 * limbs with room to spare. */
typedef struct acc3 {
	skr_dlimb low;
	skr_limb high;
} acc3;

/* acc += x * y. */
INLINE void acc_mac(acc3 *acc, skr_limb x, skr_limb y)
{
	skr_dlimb p = (skr_dlimb)x * y;
	acc->low += p;
	acc->high += acc->low < p;
}

/* acc += other. */
INLINE void acc_add(acc3 *acc, const acc3 *other)
{
	acc->low += other->low;
	acc->high += other->high + (acc->low < other->low);
}

/* acc *= 2, for the cross products of a square, whose sum leaves the top
 * bit of the accumulator clear. */
INLINE void acc_double(acc3 *acc)
{
	acc->high = (acc->high << 1) | (skr_limb)(acc->low >> (2u * SKR_LIMB_BITS - 1u));
	acc->low <<= 1;
}

/* Returns the low limb of acc and shifts acc down by one limb. */
INLINE skr_limb acc_shift(acc3 *acc)
{
	skr_limb low = (skr_limb)acc->low;
	acc->low = (acc->low >> SKR_LIMB_BITS) | ((skr_dlimb)acc->high << SKR_LIMB_BITS);
	acc->high = 0;
	return low;
}

/*
 * Montgomery multiplication by product scanning with the reduction
 * interleaved: the "finely integrated product scanning" (FIPS) method of
 * Koc, Acar and Kaliski, "Analyzing and Comparing Montgomery
 * Multiplication Algorithms", IEEE Micro, 1996. Column k of a * b + m * n
 * is summed, and for k < nl the limb m[k] is chosen so that the column's
 * low limb becomes zero. Columns nl..2nl-2 and the final carry are the
 * result, which is below 2n.
 *
 * Columns go in pairs (nl is even): columns k and k + 1 share the loads of
 * a[j] and m[j], and their two accumulators are independent carry chains.
 * That halves the loop overhead per product and keeps two chains of
 * additions in flight.
 *
 * r may alias a or b: the pair of columns k, k + 1 >= nl writes r[k - nl]
 * and r[k + 1 - nl], and later columns read no limb below k - nl + 2.
 */
INLINE void mont_mul(skr_limb *r, const skr_limb *a, const skr_limb *b,
                     const skr_rsa_fast_key *key, size_t nl)
{
	const skr_limb *n = key->n;
	skr_limb m[SKR_RSA_FAST_MAX_LIMBS];
	acc3 acc = { 0, 0 };

	for (size_t k = 0; k < nl; k += 2) {
		acc3 next = { 0, 0 };
		for (size_t j = 0; j < k; j++) {
			acc_mac(&acc, a[j], b[k - j]);
			acc_mac(&next, a[j], b[k + 1 - j]);
			acc_mac(&acc, m[j], n[k - j]);
			acc_mac(&next, m[j], n[k + 1 - j]);
		}
		acc_mac(&acc, a[k], b[0]);
		m[k] = (skr_limb)acc.low * key->n0inv;
		acc_mac(&acc, m[k], n[0]);
		acc_shift(&acc);

		acc_add(&acc, &next);
		acc_mac(&acc, a[k], b[1]);
		acc_mac(&acc, a[k + 1], b[0]);
		acc_mac(&acc, m[k], n[1]);
		m[k + 1] = (skr_limb)acc.low * key->n0inv;
		acc_mac(&acc, m[k + 1], n[0]);
		acc_shift(&acc);
	}
	for (size_t k = nl; k < 2 * nl - 2; k += 2) {
		acc3 next = { 0, 0 };
		size_t lo = k - nl + 1;
		acc_mac(&acc, a[lo], b[k - lo]);
		acc_mac(&acc, m[lo], n[k - lo]);
		for (size_t j = lo + 1; j < nl; j++) {
			acc_mac(&acc, a[j], b[k - j]);
			acc_mac(&next, a[j], b[k + 1 - j]);
			acc_mac(&acc, m[j], n[k - j]);
			acc_mac(&next, m[j], n[k + 1 - j]);
		}
		r[k - nl] = acc_shift(&acc);
		acc_add(&acc, &next);
		r[k + 1 - nl] = acc_shift(&acc);
	}
	/* The last column, 2nl - 2, has one product of each kind. */
	acc_mac(&acc, a[nl - 1], b[nl - 1]);
	acc_mac(&acc, m[nl - 1], n[nl - 1]);
	r[nl - 2] = acc_shift(&acc);
	r[nl - 1] = acc_shift(&acc);
	reduce_once(r, r, (skr_limb)acc.low, n, nl);
}

/* Montgomery squaring, as mont_mul with b = a, except that each cross
 * product a[i] * a[j] (i < j) of a column is computed once and doubled,
 * which saves nearly half of the products of a * a. */
INLINE void mont_sqr(skr_limb *r, const skr_limb *a, const skr_rsa_fast_key *key, size_t nl)
{
	const skr_limb *n = key->n;
	skr_limb m[SKR_RSA_FAST_MAX_LIMBS];
	acc3 acc = { 0, 0 };

	for (size_t k = 0; k < nl; k += 2) {
		acc3 cross = { 0, 0 }, cross_next = { 0, 0 }, next = { 0, 0 };
		size_t half = k / 2;
		for (size_t j = 0; j < half; j++) {
			acc_mac(&cross, a[j], a[k - j]);
			acc_mac(&cross_next, a[j], a[k + 1 - j]);
		}
		acc_mac(&cross_next, a[half], a[half + 1]);
		acc_double(&cross);
		acc_double(&cross_next);
		acc_mac(&cross, a[half], a[half]);
		for (size_t j = 0; j < k; j++) {
			acc_mac(&acc, m[j], n[k - j]);
			acc_mac(&next, m[j], n[k + 1 - j]);
		}
		acc_add(&acc, &cross);
		m[k] = (skr_limb)acc.low * key->n0inv;
		acc_mac(&acc, m[k], n[0]);
		acc_shift(&acc);

		acc_add(&acc, &next);
		acc_add(&acc, &cross_next);
		acc_mac(&acc, m[k], n[1]);
		m[k + 1] = (skr_limb)acc.low * key->n0inv;
		acc_mac(&acc, m[k + 1], n[0]);
		acc_shift(&acc);
	}
	for (size_t k = nl; k < 2 * nl - 2; k += 2) {
		acc3 cross = { 0, 0 }, cross_next = { 0, 0 }, next = { 0, 0 };
		/* Column k pairs j with k - j for lo <= j < k / 2. Column k + 1
		 * pairs j with k + 1 - j for lo + 1 <= j <= k / 2. */
		size_t lo = k - nl + 1, half = k / 2;
		acc_mac(&cross, a[lo], a[k - lo]);
		for (size_t j = lo + 1; j < half; j++) {
			acc_mac(&cross, a[j], a[k - j]);
			acc_mac(&cross_next, a[j], a[k + 1 - j]);
		}
		acc_mac(&cross_next, a[half], a[half + 1]);
		acc_double(&cross);
		acc_double(&cross_next);
		acc_mac(&cross, a[half], a[half]);
		acc_mac(&acc, m[lo], n[k - lo]);
		for (size_t j = lo + 1; j < nl; j++) {
			acc_mac(&acc, m[j], n[k - j]);
			acc_mac(&next, m[j], n[k + 1 - j]);
		}
		acc_add(&acc, &cross);
		r[k - nl] = acc_shift(&acc);
		acc_add(&acc, &next);
		acc_add(&acc, &cross_next);
		r[k + 1 - nl] = acc_shift(&acc);
	}
	acc_mac(&acc, a[nl - 1], a[nl - 1]);
	acc_mac(&acc, m[nl - 1], n[nl - 1]);
	r[nl - 2] = acc_shift(&acc);
	r[nl - 1] = acc_shift(&acc);
	reduce_once(r, r, (skr_limb)acc.low, n, nl);
}

/* ---- exponentiation ---- */

static int exponent_bit(const skr_rsa_fast_key *key, uint32_t i)
{
	return (int)((key->e[i / SKR_LIMB_BITS] >> (i % SKR_LIMB_BITS)) & 1u);
}

/* r = x^e mod n for x < n, left to right over the bits of e. The
 * accumulator stays in Montgomery form (times R) until the last step,
 * which multiplies by the plain x (or by 1 when e is even) and so leaves
 * Montgomery form without a separate conversion. */
static void mod_pow(skr_limb *r, const skr_limb *x, const skr_rsa_fast_key *key, size_t nl)
{
	if (key->e_bits == 1) {
		memcpy(r, x, nl * sizeof *r);
		return;
	}

	skr_limb x_mont[SKR_RSA_FAST_MAX_LIMBS];
	mont_mul(x_mont, x, key->r2, key, nl);
	memcpy(r, x_mont, nl * sizeof *r);
	for (uint32_t i = key->e_bits - 2; i >= 1; i--) {
		mont_sqr(r, r, key, nl);
		if (exponent_bit(key, i))
			mont_mul(r, r, x_mont, key, nl);
	}
	mont_sqr(r, r, key, nl);

	if (exponent_bit(key, 0)) {
		mont_mul(r, r, x, key, nl);
	} else {
		skr_limb one[SKR_RSA_FAST_MAX_LIMBS] = { 1 };
		mont_mul(r, r, one, key, nl);
	}
}

/* ---- key preparation ---- */

/* Computes -n[0]^-1 mod 2^SKR_LIMB_BITS for odd n[0] by Newton's
 * iteration: an inverse correct to k bits becomes correct to 2k bits,
 * and n[0] itself is its own inverse to 3 bits. */
static skr_limb negated_inverse(skr_limb n0)
{
	skr_limb inv = n0;
	for (int i = 0; i < 5; i++)
		inv *= (skr_limb)2 - n0 * inv;
	return (skr_limb)0 - inv;
}

/* Doubles v < n modulo n. */
static void double_mod(skr_limb *v, const skr_limb *n, size_t nl)
{
	skr_limb shifted_out = 0;
	for (size_t i = 0; i < nl; i++) {
		skr_limb w = v[i];
		v[i] = (w << 1) | shifted_out;
		shifted_out = w >> (SKR_LIMB_BITS - 1u);
	}
	reduce_once(v, v, shifted_out, n, nl);
}

/* Computes R^2 mod n into key->r2. key->n, n0inv, limbs and n_bits must
 * be set before. With W = SKR_LIMB_BITS * limbs = a * 2^s (a odd), doubling
 * 2^(n_bits - 1) gives 2^(W + a) mod n, the Montgomery form of 2^a, and s
 * Montgomery squarings turn it into the Montgomery form of 2^(a * 2^s) =
 * 2^W, which is R * R mod n. */
static void compute_r2(skr_rsa_fast_key *key)
{
	size_t nl = key->limbs;
	uint32_t w = (uint32_t)nl * SKR_LIMB_BITS;
	uint32_t a = w, s = 0;
	while ((a & 1u) == 0) {
		a >>= 1;
		s++;
	}

	skr_limb *v = key->r2;
	memset(v, 0, sizeof key->r2);
	uint32_t top = key->n_bits - 1u;
	v[top / SKR_LIMB_BITS] = (skr_limb)1 << (top % SKR_LIMB_BITS);
	for (uint32_t i = top; i < w + a; i++)
		double_mod(v, key->n, nl);
	for (uint32_t i = 0; i < s; i++)
		mont_sqr(v, v, key, nl);
}

/* Strips leading zero bytes. */
static const uint8_t *strip_zeros(const uint8_t *v, size_t *len)
{
	while (*len > 0 && v[0] == 0) {
		v++;
		(*len)--;
	}
	return v;
}

int skr_rsa_fast_init(skr_rsa_fast_key *key, const uint8_t *n, size_t n_len,
                      const uint8_t *e, size_t e_len)
{
	memset(key, 0, sizeof *key);
	if (n == NULL || e == NULL)
		return 0;
	n = strip_zeros(n, &n_len);
	e = strip_zeros(e, &e_len);
	if (n_len == 0 || n_len > SKR_RSA_FAST_MAX_BITS / 8u || (n[n_len - 1] & 1u) == 0)
		return 0;
	if (e_len == 0 || e_len > SKR_RSA_FAST_MAX_BITS / 8u)
		return 0;

	/* The limb count is rounded up to even for the paired columns of
	 * mont_mul and mont_sqr. An extra zero limb only makes R larger. */
	size_t nl = (n_len + LIMB_BYTES - 1u) / LIMB_BYTES;
	nl += nl & 1u;
	load_be(key->n, nl, n, n_len);
	load_be(key->e, SKR_RSA_FAST_MAX_LIMBS, e, e_len);
	key->n_bits = bit_length(key->n, nl);
	key->e_bits = bit_length(key->e, SKR_RSA_FAST_MAX_LIMBS);
	if (key->n_bits < 2u) {
		memset(key, 0, sizeof *key);
		return 0;
	}
	key->n_bytes = (uint32_t)n_len;
	key->limbs = (uint32_t)nl;
	key->n0inv = negated_inverse(key->n[0]);
	compute_r2(key);
#if SKR_RSA_IFMA
	if (skr_rsa_ifma_available()) {
		/* The IFMA path needs 2^T mod n with T = 104 L (its R is
		 * 2^(52 L)). With W = 64 * limbs, a Montgomery product of R^2 =
		 * 2^(2W) and x = 2^(T - W) mod n is 2^T mod n, and x takes a few
		 * doublings from the top bit of n, or none when T - W < n_bits. */
		uint32_t target = 2u * 52u * skr_rsa_ifma_limbs(key->n_bits);
		uint32_t w = (uint32_t)nl * SKR_LIMB_BITS;
		uint32_t shift = target - w;
		skr_limb x[SKR_RSA_FAST_MAX_LIMBS] = { 0 };
		uint32_t start = shift < key->n_bits ? shift : key->n_bits - 1u;
		x[start / SKR_LIMB_BITS] = (skr_limb)1 << (start % SKR_LIMB_BITS);
		for (uint32_t i = start; i < shift; i++)
			double_mod(x, key->n, nl);
		skr_limb rr[SKR_RSA_FAST_MAX_LIMBS];
		mont_mul(rr, key->r2, x, key, nl);
		skr_rsa_ifma_prepare(key, rr, nl);
	}
#endif
	return 1;
}

int skr_rsa_fast_public(const skr_rsa_fast_key *key, const uint8_t *x, size_t x_len,
                        uint8_t *out)
{
#if SKR_RSA_IFMA
	if (key != NULL && key->ifma_limbs != 0 && x != NULL && out != NULL)
		return skr_rsa_ifma_public(key, x, x_len, out);
#endif
	return skr_rsa_fast_public_portable(key, x, x_len, out);
}

int skr_rsa_fast_public_portable(const skr_rsa_fast_key *key, const uint8_t *x, size_t x_len,
                                 uint8_t *out)
{
	if (key == NULL || key->limbs == 0 || x == NULL || out == NULL || x_len != key->n_bytes)
		return 0;

	size_t nl = key->limbs;
	skr_limb v[SKR_RSA_FAST_MAX_LIMBS];
	load_be(v, nl, x, x_len);
	if (!less_than(v, key->n, nl))
		return 0;

	skr_limb r[SKR_RSA_FAST_MAX_LIMBS];
	mod_pow(r, v, key, nl);
	store_be(out, x_len, r);
	return 1;
}
