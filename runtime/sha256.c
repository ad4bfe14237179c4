/*
 * SHA-256 with the x86 SHA extensions when present. The contract is in
 * sha256.h.
 */
#include <string.h>

#include <bearssl.h>

#include "sha256.h"

void skr_sha256_portable(const void *data, size_t len, uint8_t out[SKR_SHA256_SIZE])
{
	br_sha256_context ctx;
	br_sha256_init(&ctx);
	if (len > 0)
		br_sha256_update(&ctx, data, len);
	br_sha256_out(&ctx, out);
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes. */
static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 section 5.3.3: the initial hash value. */
static const uint32_t initial_state[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Four rounds on the message words w (W[4g..4g+3]). sha256rnds2 runs two
 * rounds on the state in the registers ABEF and CDGH, and it takes W + K
 * of these rounds from the low two lanes of its third operand. After two
 * rounds the old ABEF is the new CDGH, so the registers swap roles. */
#define FOUR_ROUNDS(abef, cdgh, w, g)                                                         \
	do {                                                                                  \
		__m128i wk_ = _mm_add_epi32((w), _mm_loadu_si128(                             \
			(const __m128i *)(const void *)&round_constants[4 * (g)]));           \
		(cdgh) = _mm_sha256rnds2_epu32((cdgh), (abef), wk_);                          \
		(abef) = _mm_sha256rnds2_epu32((abef), (cdgh), _mm_shuffle_epi32(wk_, 0x0e)); \
	} while (0)

/* The message schedule for W[t..t+3] from the four groups before it:
 * sha256msg1 adds sigma0 of the following words to w0, the aligned W[t-7]
 * words are added in, and sha256msg2 adds sigma1 of W[t-2] and W[t-1]. */
#define NEXT_WORDS(w0, w1, w2, w3) \
	_mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), \
	                                   _mm_alignr_epi8((w3), (w2), 4)), (w3))

/* Runs the compression function on each 64-byte block of data. */
__attribute__((target("sha,sse4.1")))
static void compress_x86(uint32_t state[8], const uint8_t *data, size_t blocks)
{
	const __m128i big_endian = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

	/* state[] contains A..H in order, and the instructions take ABEF and
	 * CDGH, most significant lane first. */
	__m128i abcd = _mm_loadu_si128((const __m128i *)(const void *)&state[0]);
	__m128i efgh = _mm_loadu_si128((const __m128i *)(const void *)&state[4]);
	__m128i badc = _mm_shuffle_epi32(abcd, 0xb1);
	__m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b);
	__m128i abef = _mm_alignr_epi8(badc, hgfe, 8);
	__m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xf0);

	for (size_t b = 0; b < blocks; b++, data += 64) {
		__m128i saved_abef = abef;
		__m128i saved_cdgh = cdgh;
		__m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)data),
		                              big_endian);
		__m128i w1 = _mm_shuffle_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(data + 16)), big_endian);
		__m128i w2 = _mm_shuffle_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(data + 32)), big_endian);
		__m128i w3 = _mm_shuffle_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(data + 48)), big_endian);

		FOUR_ROUNDS(abef, cdgh, w0, 0);
		FOUR_ROUNDS(abef, cdgh, w1, 1);
		FOUR_ROUNDS(abef, cdgh, w2, 2);
		FOUR_ROUNDS(abef, cdgh, w3, 3);
		for (int g = 4; g < 16; g += 4) {
			w0 = NEXT_WORDS(w0, w1, w2, w3);
			FOUR_ROUNDS(abef, cdgh, w0, g);
			w1 = NEXT_WORDS(w1, w2, w3, w0);
			FOUR_ROUNDS(abef, cdgh, w1, g + 1);
			w2 = NEXT_WORDS(w2, w3, w0, w1);
			FOUR_ROUNDS(abef, cdgh, w2, g + 2);
			w3 = NEXT_WORDS(w3, w0, w1, w2);
			FOUR_ROUNDS(abef, cdgh, w3, g + 3);
		}

		abef = _mm_add_epi32(abef, saved_abef);
		cdgh = _mm_add_epi32(cdgh, saved_cdgh);
	}

	__m128i feba = _mm_shuffle_epi32(abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	abcd = _mm_blend_epi16(feba, dchg, 0xf0);
	efgh = _mm_alignr_epi8(dchg, feba, 8);
	_mm_storeu_si128((__m128i *)(void *)&state[0], abcd);
	_mm_storeu_si128((__m128i *)(void *)&state[4], efgh);
}

/* Hashes with compress_x86: the whole blocks straight from data, then the
 * rest with the padding of FIPS 180-4 section 5.1.1 in one or two blocks. */
static void sha256_x86(const void *data, size_t len, uint8_t out[SKR_SHA256_SIZE])
{
	uint32_t state[8];
	memcpy(state, initial_state, sizeof state);

	size_t whole = len / 64;
	if (whole > 0)
		compress_x86(state, data, whole);

	uint8_t tail[128] = { 0 };
	size_t rest = len - whole * 64;
	if (rest > 0)
		memcpy(tail, (const uint8_t *)data + whole * 64, rest);
	tail[rest] = 0x80;
	size_t tail_len = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8u;
	for (int i = 0; i < 8; i++)
		tail[tail_len - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
	compress_x86(state, tail, tail_len / 64);

	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(state[i] >> 24);
		out[4 * i + 1] = (uint8_t)(state[i] >> 16);
		out[4 * i + 2] = (uint8_t)(state[i] >> 8);
		out[4 * i + 3] = (uint8_t)state[i];
	}
}

/* 0 until the first check, then 1 without the extensions, 2 with them. */
static atomic_int x86_support;

/* Returns 1 when the CPU has the SHA extensions and SSE4.1 (with the
 * SSSE3 it implies), the instruction sets compress_x86 uses. */
static int has_sha_extensions(void)
{
	int known = atomic_load_explicit(&x86_support, memory_order_relaxed);
	if (known != 0)
		return known == 2;

	unsigned eax, ebx, ecx, edx;
	int found = 0;
	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 19)) != 0 &&
	    (ecx & (1u << 9)) != 0 && __get_cpuid_max(0, NULL) >= 7) {
		__cpuid_count(7, 0, eax, ebx, ecx, edx);
		found = (ebx & (1u << 29)) != 0;
	}
	atomic_store_explicit(&x86_support, found ? 2 : 1, memory_order_relaxed);
	return found;
}

void skr_sha256(const void *data, size_t len, uint8_t out[SKR_SHA256_SIZE])
{
	if (has_sha_extensions())
		sha256_x86(data, len, out);
	else
		skr_sha256_portable(data, len, out);
}

const char *skr_sha256_engine(void)
{
	return has_sha_extensions() ? "x86 SHA extensions" : "portable (BearSSL)";
}

#else

void skr_sha256(const void *data, size_t len, uint8_t out[SKR_SHA256_SIZE])
{
	skr_sha256_portable(data, len, out);
}

const char *skr_sha256_engine(void)
{
	return "portable (BearSSL)";
}

#endif
