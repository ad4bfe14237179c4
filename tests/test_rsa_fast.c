/*
 * The prepared-key RSA engine (rsa_fast.c) and the verification built on
 * it (rsa_verify.c), checked against BearSSL's own public operation: random
 * moduli and exponents, the example keys, minted signatures, the real MAA
 * tokens and hand-made encodings that must be rejected.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "rsa_fast.h"
#include "token.h"
#include "tokens.h"

/* ---- helpers ---- */

/* splitmix64: a fixed seed makes every run test the same numbers. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void random_bytes(uint64_t *state, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)next_random(state);
}

/* A key pair of examples/keys with its public half as byte strings. */
typedef struct example_key {
	skr_signing_key *signing;
	uint8_t n[SKR_MAX_RSA_BYTES];
	size_t n_len;
	uint8_t e[8];
	size_t e_len;
} example_key;

static void load_example_key(const char *name, example_key *key)
{
	key->signing = test_example_key(name);

	skr_buffer jwk = { 0 };
	cr_assert_eq(skr_signing_key_public_jwk(key->signing, NULL, SKR_ALG_RS256, &jwk), SKR_OK);
	json_t *root = json_loadb((const char *)jwk.data, jwk.len, 0, NULL);
	cr_assert_not_null(root);
	const char *n = json_string_value(json_object_get(root, "n"));
	const char *e = json_string_value(json_object_get(root, "e"));
	cr_assert_not_null(n);
	cr_assert_not_null(e);
	uint8_t scratch[SKR_MAX_RSA_BYTES + 3];
	cr_assert_eq(skr_base64url_decode(n, strlen(n), scratch, &key->n_len, NULL), SKR_B64_OK);
	memcpy(key->n, scratch, key->n_len);
	cr_assert_eq(skr_base64url_decode(e, strlen(e), scratch, &key->e_len, NULL), SKR_B64_OK);
	cr_assert_leq(key->e_len, sizeof key->e);
	memcpy(key->e, scratch, key->e_len);
	json_decref(root);
	skr_buffer_free(&jwk);
}

static const char *const example_key_files[] = {
	"test-authority-rsa2048.jwk.json",
	"test-other-authority-rsa2048.jwk.json",
	"test-weak-rsa1024.jwk.json",
};

/* The DER DigestInfo prefixes of RFC 8017 section 9.2, note 1, written
 * out here independently of rsa_verify.c. */
static const uint8_t sha256_prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                                           0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
                                           0x20 };
static const uint8_t sha384_prefix[19] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                                           0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
                                           0x30 };
static const uint8_t sha512_prefix[19] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                                           0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
                                           0x40 };

/* Builds the EMSA-PKCS1-v1_5 encoding of a digest into em (k bytes). */
static void build_encoding(skr_alg alg, const uint8_t *digest, uint8_t *em, size_t k)
{
	const uint8_t *prefix = sha512_prefix;
	size_t hash_len = 64;
	if (alg == SKR_ALG_RS256) {
		prefix = sha256_prefix;
		hash_len = 32;
	} else if (alg == SKR_ALG_RS384) {
		prefix = sha384_prefix;
		hash_len = 48;
	}
	size_t t_len = 19 + hash_len;
	cr_assert_geq(k, t_len + 11);
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - t_len - 3);
	em[k - t_len - 1] = 0x00;
	memcpy(em + k - t_len, prefix, 19);
	memcpy(em + k - hash_len, digest, hash_len);
}

/* The reference verification: BearSSL's i31 public operation and a full
 * comparison with the encoding built above. */
static int bearssl_verify(const br_rsa_public_key *pk, skr_alg alg, const uint8_t *digest,
                          const uint8_t *sig, size_t sig_len)
{
	size_t n_len = pk->nlen;
	const uint8_t *n = pk->n;
	while (n_len > 0 && n[0] == 0) {
		n++;
		n_len--;
	}
	if (sig_len != n_len || n_len > SKR_MAX_RSA_BYTES)
		return 0;
	uint8_t x[SKR_MAX_RSA_BYTES], em[SKR_MAX_RSA_BYTES];
	memcpy(x, sig, sig_len);
	if (!br_rsa_i31_public(x, sig_len, pk))
		return 0;
	build_encoding(alg, digest, em, sig_len);
	return memcmp(x, em, sig_len) == 0;
}

/* Raises x (len bytes) to the private exponent with BearSSL. */
static void private_op(const example_key *key, uint8_t *x)
{
	br_rsa_private op = br_rsa_private_get_default();
	cr_assert_eq(op(x, skr_signing_key_private(key->signing)), 1u);
}

/* Compares skr_rsa_fast_public with BearSSL's i31 and default public
 * operations on one input: the same success and the same output. */
static void check_public_op(const skr_rsa_fast_key *fast, const br_rsa_public_key *pk,
                            const uint8_t *x, size_t len, const char *what)
{
	uint8_t ours[SKR_MAX_RSA_BYTES + 8], i31[SKR_MAX_RSA_BYTES + 8], dflt[SKR_MAX_RSA_BYTES + 8];
	memcpy(i31, x, len);
	memcpy(dflt, x, len);
	uint32_t ok_i31 = br_rsa_i31_public(i31, len, pk);
	uint32_t ok_default = br_rsa_public_get_default()(dflt, len, pk);
	int ok = skr_rsa_fast_public(fast, x, len, ours);
	/* Where the IFMA path serves the key, the portable code must agree
	 * with it. */
	uint8_t portable[SKR_MAX_RSA_BYTES + 8];
	int ok_portable = skr_rsa_fast_public_portable(fast, x, len, portable);
	cr_assert_eq(ok, ok_portable, "%s: skr returned %d, its portable code %d", what, ok,
	             ok_portable);
	if (ok)
		cr_assert_eq(memcmp(ours, portable, len), 0, "%s: the IFMA and portable results differ",
		             what);

	cr_assert_eq(ok, (int)ok_i31, "%s: skr returned %d, BearSSL i31 %u", what, ok, ok_i31);
	cr_assert_eq(ok, (int)ok_default, "%s: skr returned %d, BearSSL default %u", what, ok,
	             ok_default);
	if (ok) {
		cr_assert_eq(memcmp(ours, i31, len), 0, "%s: results differ from BearSSL i31", what);
		cr_assert_eq(memcmp(ours, dflt, len), 0, "%s: results differ from BearSSL default", what);
	}
}

/* ---- the engine ---- */

Test(rsa_fast, limb_width)
{
#if defined(__SIZEOF_INT128__) && !defined(SKR_RSA_LIMB32)
	cr_assert_eq(SKR_LIMB_BITS, 64u);
#else
	cr_assert_eq(SKR_LIMB_BITS, 32u);
#endif
	cr_assert_eq(sizeof(skr_limb) * 8u, SKR_LIMB_BITS);
#if SKR_RSA_IFMA
	int ifma = skr_rsa_ifma_available();
#else
	int ifma = 0;
#endif
	cr_log_info("rsa_fast: %u-bit limbs; the AVX-512 IFMA path is %s", SKR_LIMB_BITS,
	            ifma ? "in use" : "not available here");
}

Test(rsa_fast, random_moduli_match_bearssl)
{
	uint64_t rng = 0x736b722d72736131ull;
	static const size_t fixed_sizes[] = { 256, 384, 512, 255, 257, 128, 64, 8, 1 };
	unsigned cases = 0, rejected = 0;

	for (int round = 0; round < 400; round++) {
		uint8_t n[SKR_MAX_RSA_BYTES], e[16], x[SKR_MAX_RSA_BYTES];
		size_t n_len = round < 90 ? fixed_sizes[round % 9] : 1 + next_random(&rng) % 512;
		random_bytes(&rng, n, n_len);
		n[n_len - 1] |= 1u;
		/* Every fourth modulus has a short top byte, so bit lengths
		 * that are not multiples of 8 are covered. */
		if (round % 4 == 1)
			n[0] &= 0x0f;
		if (n[0] == 0)
			n[0] = 1;
		if (n_len == 1 && n[0] < 3)
			n[0] = 3;

		size_t e_len;
		switch (round % 4) {
		case 0:
			memcpy(e, "\x01\x00\x01", 3);
			e_len = 3;
			break;
		case 1:
			e[0] = 3;
			e_len = 1;
			break;
		default:
			e_len = 1 + next_random(&rng) % sizeof e;
			random_bytes(&rng, e, e_len);
			if (e[0] == 0)
				e[0] = 1;
		}

		skr_rsa_fast_key fast;
		cr_assert_eq(skr_rsa_fast_init(&fast, n, n_len, e, e_len), 1, "round %d", round);
		br_rsa_public_key pk = { n, n_len, e, e_len };

		for (int t = 0; t < 3; t++) {
			random_bytes(&rng, x, n_len);
			/* Half of the inputs are made smaller than n. */
			if (t == 0 && x[0] >= n[0])
				x[0] = (uint8_t)(n[0] - 1u);
			char what[64];
			snprintf(what, sizeof what, "round %d input %d (%zu bytes)", round, t, n_len);
			check_public_op(&fast, &pk, x, n_len, what);
			cases++;
			if (!skr_rsa_fast_public(&fast, x, n_len, x))
				rejected++;
		}
	}
	cr_assert_gt(rejected, 0);
	cr_assert_lt(rejected, cases);
	cr_log_info("rsa_fast: %u random moduli and inputs match BearSSL (%u inputs not below n)",
	            cases, rejected);
}

Test(rsa_fast, long_exponent_matches_bearssl)
{
	uint64_t rng = 42;
	uint8_t n[256], e[SKR_RSA_FAST_MAX_BITS / 8], x[256];
	random_bytes(&rng, n, sizeof n);
	n[0] |= 0x80;
	n[255] |= 1;
	random_bytes(&rng, e, sizeof e);
	e[0] |= 0x80;
	random_bytes(&rng, x, sizeof x);
	x[0] &= 0x7f;

	skr_rsa_fast_key fast;
	cr_assert_eq(skr_rsa_fast_init(&fast, n, sizeof n, e, sizeof e), 1);
	cr_assert_eq(fast.e_bits, SKR_RSA_FAST_MAX_BITS);
	br_rsa_public_key pk = { n, sizeof n, e, sizeof e };
	check_public_op(&fast, &pk, x, sizeof x, "4096-bit exponent");

	/* Even exponents take the other final step. */
	e[sizeof e - 1] &= 0xfe;
	cr_assert_eq(skr_rsa_fast_init(&fast, n, sizeof n, e, sizeof e), 1);
	check_public_op(&fast, &pk, x, sizeof x, "even 4096-bit exponent");
	uint8_t two[1] = { 2 }, one[1] = { 1 };
	br_rsa_public_key pk_two = { n, sizeof n, two, 1 }, pk_one = { n, sizeof n, one, 1 };
	cr_assert_eq(skr_rsa_fast_init(&fast, n, sizeof n, two, 1), 1);
	check_public_op(&fast, &pk_two, x, sizeof x, "e = 2");
	cr_assert_eq(skr_rsa_fast_init(&fast, n, sizeof n, one, 1), 1);
	check_public_op(&fast, &pk_one, x, sizeof x, "e = 1");
}

Test(rsa_fast, montgomery_constants)
{
	uint64_t rng = 7;
	for (int round = 0; round < 40; round++) {
		uint8_t n[SKR_MAX_RSA_BYTES];
		size_t n_len = 1 + next_random(&rng) % sizeof n;
		random_bytes(&rng, n, n_len);
		n[0] |= 0x80;
		n[n_len - 1] |= 1u;
		if (n_len == 1)
			n[0] |= 3u;
		uint8_t e[3] = { 1, 0, 1 };
		skr_rsa_fast_key fast;
		cr_assert_eq(skr_rsa_fast_init(&fast, n, n_len, e, sizeof e), 1);

		/* n0inv * n = -1 modulo one limb. */
		cr_assert_eq((skr_limb)(fast.n0inv * fast.n[0]), (skr_limb)-1, "round %d", round);

		/* R^2 mod n, with R = 2^(limb bits * limbs), equals 2^(2W) mod n
		 * as BearSSL computes it: 2 raised to the exponent 2W. */
		uint32_t w2 = 2u * fast.limbs * SKR_LIMB_BITS;
		uint8_t exponent[2] = { (uint8_t)(w2 >> 8), (uint8_t)w2 };
		uint8_t x[SKR_MAX_RSA_BYTES] = { 0 };
		x[n_len - 1] = 2;
		br_rsa_public_key pk = { n, n_len, exponent, 2 };
		cr_assert_eq(br_rsa_i31_public(x, n_len, &pk), 1u);

		uint8_t r2[SKR_MAX_RSA_BYTES];
		for (size_t i = 0; i < n_len; i++) {
			size_t bit = 8u * (n_len - 1 - i);
			r2[i] = (uint8_t)(fast.r2[bit / SKR_LIMB_BITS] >> (bit % SKR_LIMB_BITS));
		}
		cr_assert_eq(memcmp(r2, x, n_len), 0, "round %d: R^2 mod n differs (%zu bytes)", round,
		             n_len);
	}
}

Test(rsa_fast, init_rejects_bad_keys)
{
	uint8_t n[SKR_MAX_RSA_BYTES + 1];
	memset(n, 0xff, sizeof n);
	uint8_t e3[1] = { 3 }, zero[2] = { 0, 0 };
	uint8_t long_e[SKR_MAX_RSA_BYTES + 1];
	memset(long_e, 0x01, sizeof long_e);
	skr_rsa_fast_key fast;

	uint8_t even[2] = { 0x80, 0x02 };
	cr_assert_eq(skr_rsa_fast_init(&fast, even, 2, e3, 1), 0, "even modulus");
	cr_assert_eq(fast.limbs, 0u);
	uint8_t one[2] = { 0, 1 };
	cr_assert_eq(skr_rsa_fast_init(&fast, one, 2, e3, 1), 0, "modulus 1");
	cr_assert_eq(skr_rsa_fast_init(&fast, zero, 2, e3, 1), 0, "modulus 0");
	cr_assert_eq(skr_rsa_fast_init(&fast, n, 0, e3, 1), 0, "empty modulus");
	cr_assert_eq(skr_rsa_fast_init(&fast, n, sizeof n, e3, 1), 0, "4104-bit modulus");
	cr_assert_eq(skr_rsa_fast_init(&fast, n, 256, zero, 2), 0, "zero exponent");
	cr_assert_eq(skr_rsa_fast_init(&fast, n, 256, long_e, sizeof long_e), 0, "long exponent");
	cr_assert_eq(skr_rsa_fast_init(&fast, n, 256, NULL, 0), 0, "no exponent");

	/* Leading zero bytes do not count toward the sizes. */
	uint8_t padded[SKR_MAX_RSA_BYTES + 2] = { 0, 0 };
	memset(padded + 2, 0xff, SKR_MAX_RSA_BYTES);
	long_e[0] = 0;
	cr_assert_eq(skr_rsa_fast_init(&fast, padded, sizeof padded, long_e, sizeof long_e), 1);
	cr_assert_eq(fast.n_bytes, SKR_MAX_RSA_BYTES);
	cr_assert_eq(fast.n_bits, SKR_MAX_RSA_BITS);
	cr_assert_eq(fast.limbs, SKR_RSA_FAST_MAX_LIMBS);

	/* An unprepared key computes nothing. */
	skr_rsa_fast_key empty;
	memset(&empty, 0, sizeof empty);
	uint8_t out[4];
	cr_assert_eq(skr_rsa_fast_public(&empty, (const uint8_t *)"", 0, out), 0);
}

Test(rsa_fast, rejects_values_not_below_n)
{
	example_key key;
	load_example_key("test-authority-rsa2048.jwk.json", &key);
	skr_rsa_fast_key fast;
	cr_assert_eq(skr_rsa_fast_init(&fast, key.n, key.n_len, key.e, key.e_len), 1);
	br_rsa_public_key pk = { key.n, key.n_len, key.e, key.e_len };
	uint8_t x[SKR_MAX_RSA_BYTES], out[SKR_MAX_RSA_BYTES];

	memcpy(x, key.n, key.n_len);
	check_public_op(&fast, &pk, x, key.n_len, "x = n");
	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len, out), 0, "x = n");

	x[key.n_len - 1] += 1;
	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len, out), 0, "x = n + 1");
	memset(x, 0xff, key.n_len);
	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len, out), 0, "x = 2^k - 1");

	memcpy(x, key.n, key.n_len);
	x[key.n_len - 1] -= 1;
	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len, out), 1, "x = n - 1");
	check_public_op(&fast, &pk, x, key.n_len, "x = n - 1");
	memset(x, 0, key.n_len);
	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len, out), 1, "x = 0");
	check_public_op(&fast, &pk, x, key.n_len, "x = 0");

	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len - 1, out), 0, "one byte short");
	cr_assert_eq(skr_rsa_fast_public(&fast, x, key.n_len + 1, out), 0, "one byte long");
	skr_signing_key_free(key.signing);
}

/* ---- verification ---- */

Test(rsa_verify, random_signatures_match_bearssl)
{
	uint64_t rng = 99;
	unsigned pairs = 0;
	for (size_t f = 0; f < sizeof example_key_files / sizeof example_key_files[0]; f++) {
		example_key key;
		load_example_key(example_key_files[f], &key);
		skr_rsa_fast_key fast;
		cr_assert_eq(skr_rsa_fast_init(&fast, key.n, key.n_len, key.e, key.e_len), 1);
		br_rsa_public_key pk = { key.n, key.n_len, key.e, key.e_len };

		for (int i = 0; i < 100; i++) {
			uint8_t sig[SKR_MAX_RSA_BYTES], digest[SKR_MAX_HASH_BYTES];
			random_bytes(&rng, sig, key.n_len);
			random_bytes(&rng, digest, sizeof digest);
			check_public_op(&fast, &pk, sig, key.n_len, example_key_files[f]);
			int ours = skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, sig, key.n_len);
			int theirs = bearssl_verify(&pk, SKR_ALG_RS256, digest, sig, key.n_len);
			cr_assert_eq(ours, theirs, "%s signature %d", example_key_files[f], i);
			cr_assert_eq(ours, 0);
			pairs++;
		}
		skr_signing_key_free(key.signing);
	}
	cr_log_info("rsa_verify: %u random key/signature pairs rejected by skr and BearSSL", pairs);
}

Test(rsa_verify, minted_signatures_match_bearssl)
{
	static const skr_alg algs[] = { SKR_ALG_RS256, SKR_ALG_RS384, SKR_ALG_RS512 };
	uint64_t rng = 5;
	unsigned accepted = 0, rejected = 0;

	for (size_t f = 0; f < sizeof example_key_files / sizeof example_key_files[0]; f++) {
		example_key key;
		load_example_key(example_key_files[f], &key);
		skr_rsa_fast_key fast;
		cr_assert_eq(skr_rsa_fast_init(&fast, key.n, key.n_len, key.e, key.e_len), 1);
		br_rsa_public_key pk = { key.n, key.n_len, key.e, key.e_len };

		for (int i = 0; i < 30; i++) {
			skr_alg alg = algs[i % 3];
			uint8_t msg[600], sig[SKR_MAX_RSA_BYTES], digest[SKR_MAX_HASH_BYTES];
			size_t msg_len = next_random(&rng) % sizeof msg;
			random_bytes(&rng, msg, msg_len);
			cr_assert_eq(skr_rsa_sign(skr_signing_key_private(key.signing), alg, msg, msg_len,
			                          sig), 1);
			cr_assert_neq(skr_hash_for_alg(alg, msg, msg_len, digest), 0u);

			cr_assert_eq(skr_rsa_verify_prepared(&fast, alg, msg, msg_len, sig, key.n_len), 1,
			             "%s message %d", example_key_files[f], i);
			cr_assert_eq(skr_rsa_verify(&pk, alg, msg, msg_len, sig, key.n_len), 1);
			cr_assert_eq(bearssl_verify(&pk, alg, digest, sig, key.n_len), 1);
			accepted++;

			/* One flipped bit, in the signature or in the message. */
			size_t bit = next_random(&rng) % (8u * key.n_len);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_assert_eq(skr_rsa_verify_prepared(&fast, alg, msg, msg_len, sig, key.n_len),
			             bearssl_verify(&pk, alg, digest, sig, key.n_len));
			cr_assert_eq(skr_rsa_verify_prepared(&fast, alg, msg, msg_len, sig, key.n_len), 0);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (msg_len > 0) {
				msg[msg_len / 2] ^= 0x20;
				cr_assert_eq(skr_rsa_verify_prepared(&fast, alg, msg, msg_len, sig, key.n_len),
				             0);
			}
			/* The right signature for another algorithm. */
			skr_alg other = algs[(i + 1) % 3];
			cr_assert_eq(skr_rsa_verify_prepared(&fast, other, msg, msg_len, sig, key.n_len), 0);
			rejected += 2;
		}
		skr_signing_key_free(key.signing);
	}
	cr_log_info("rsa_verify: %u minted signatures accepted and %u altered ones rejected by "
	            "skr and BearSSL", accepted, rejected);
}

/* Signs the encoding em (k bytes) with the raw private operation, so the
 * signature is valid for em whatever em holds. */
static void sign_raw(const example_key *key, const uint8_t *em, uint8_t *sig)
{
	memcpy(sig, em, key->n_len);
	private_op(key, sig);
}

Test(rsa_verify, rejects_other_encodings)
{
	example_key key;
	load_example_key("test-authority-rsa2048.jwk.json", &key);
	skr_rsa_fast_key fast;
	cr_assert_eq(skr_rsa_fast_init(&fast, key.n, key.n_len, key.e, key.e_len), 1);
	br_rsa_public_key pk = { key.n, key.n_len, key.e, key.e_len };
	size_t k = key.n_len;

	const char *msg = "header.payload";
	uint8_t digest[SKR_MAX_HASH_BYTES];
	skr_hash_for_alg(SKR_ALG_RS256, msg, strlen(msg), digest);
	uint8_t good[SKR_MAX_RSA_BYTES], em[SKR_MAX_RSA_BYTES], sig[SKR_MAX_RSA_BYTES];
	build_encoding(SKR_ALG_RS256, digest, good, k);

	/* The encoding itself verifies. */
	sign_raw(&key, good, sig);
	cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, sig, k), 1);
	cr_assert_eq(bearssl_verify(&pk, SKR_ALG_RS256, digest, sig, k), 1);

	/* Each variant changes the encoding in one place. */
	struct {
		const char *name;
		size_t at;
		uint8_t value;
	} variants[] = {
		{ "first byte 01", 0, 0x01 },
		{ "block type 02", 1, 0x02 },
		{ "block type 00", 1, 0x00 },
		{ "padding byte FE", 2, 0xfe },
		{ "last padding byte 00", k - 51 - 2, 0x00 },
		{ "separator FF", k - 51 - 1, 0xff },
		{ "DigestInfo length", k - 51 + 1, 0x32 },
		{ "hash OID SHA-384", k - 51 + 14, 0x02 },
		{ "NULL parameters", k - 51 + 15, 0x04 },
		{ "digest length", k - 51 + 18, 0x21 },
		{ "last digest byte", k - 1, (uint8_t)(digest[31] ^ 1u) },
	};
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		memcpy(em, good, k);
		em[variants[i].at] = variants[i].value;
		cr_assert_neq(memcmp(em, good, k), 0, "%s", variants[i].name);
		sign_raw(&key, em, sig);
		cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, sig, k), 0, "%s",
		             variants[i].name);
		cr_assert_eq(bearssl_verify(&pk, SKR_ALG_RS256, digest, sig, k), 0, "%s",
		             variants[i].name);
	}

	/* A DigestInfo without the NULL parameters (accepted by BearSSL 0.6's
	 * br_rsa_pkcs1_vrfy) and one with a shorter padding. */
	static const uint8_t missing_null[17] = { 0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86,
	                                          0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04,
	                                          0x20 };
	memset(em, 0xff, k);
	em[0] = 0x00;
	em[1] = 0x01;
	em[k - 49 - 1] = 0x00;
	memcpy(em + k - 49, missing_null, sizeof missing_null);
	memcpy(em + k - 32, digest, 32);
	sign_raw(&key, em, sig);
	cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, sig, k), 0, "MissingNull");
	uint8_t recovered[32];
	cr_assert_eq(br_rsa_i31_pkcs1_vrfy(sig, k, BR_HASH_OID_SHA256, 32, &pk, recovered), 1u,
	             "BearSSL's parsing verifier accepts the MissingNull form");

	memmove(good + 2, good + 3, k - 3);
	good[k - 1] = 0x00;
	sign_raw(&key, good, sig);
	cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, sig, k), 0, "shifted");

	/* A valid signature plus n raises to the same value but is not below
	 * n, so it is rejected. */
	build_encoding(SKR_ALG_RS256, digest, good, k);
	sign_raw(&key, good, sig);
	uint8_t bigger[SKR_MAX_RSA_BYTES];
	unsigned carry = 0;
	for (size_t i = k; i-- > 0;) {
		unsigned sum = (unsigned)sig[i] + key.n[i] + carry;
		bigger[i] = (uint8_t)sum;
		carry = sum >> 8;
	}
	if (carry == 0) {
		cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, bigger, k), 0,
		             "signature + n");
		cr_assert_eq(bearssl_verify(&pk, SKR_ALG_RS256, digest, bigger, k), 0);
	}

	/* A leading zero byte makes the signature longer than the modulus. */
	uint8_t longer[SKR_MAX_RSA_BYTES + 1] = { 0 };
	memcpy(longer + 1, sig, k);
	cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, longer, k + 1), 0);
	cr_assert_eq(skr_rsa_verify_digest(&fast, SKR_ALG_RS256, digest, sig, k), 1);
	skr_signing_key_free(key.signing);
}

Test(rsa_verify, real_tokens_match_bearssl)
{
	size_t store_len = 0;
	char *store = test_read_real("trust-sharedweu.json", &store_len);
	if (store == NULL)
		return;
	skr_trust *trust = NULL;
	skr_trust_options options;
	skr_trust_options_init(&options);
	options.min_rsa_bits = 1024;
	cr_assert_eq(skr_trust_load(store, store_len, &options, NULL, &trust), SKR_OK);

	static const char *const tokens[] = {
		"maa-cvm-sevsnp-azurevm-sharedweu-2023-03.jwt",
		"maa-cvm-sevsnp-azurevm-sharedweu-2022-12.jwt",
		"maa-sgx-sharedeus-2023-09.jwt",
		"maa-trustedlaunch-azurevm-sharedeus2-2022-04.jwt",
		"mhsm-release-target-mock-token-2022-05.jwt",
	};
	unsigned pairs = 0, accepted = 0;
	for (size_t t = 0; t < sizeof tokens / sizeof tokens[0]; t++) {
		size_t len = 0;
		char *token = test_read_real(tokens[t], &len);
		if (token == NULL)
			continue;
		while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
			len--;

		skr_verify_options verify;
		skr_verify_options_init(&verify, 0);
		skr_jws jws;
		const char *reason;
		skr_token_check check;
		skr_status st = skr_jws_parse(token, len, &verify, NULL, &jws, &reason, &check);
		if (st == SKR_OK) {
			uint8_t digest[SKR_MAX_HASH_BYTES];
			skr_hash_for_alg(jws.alg, jws.signing_input, jws.signing_input_len, digest);
			/* Every usable key of the store against this signature. */
			for (uint32_t a = 0; a < trust->authority_count; a++) {
				const skr_trust_authority *auth = &trust->authorities[a];
				for (uint32_t i = 0; i < auth->key_count; i++) {
					const skr_trust_key *key = &auth->keys[i];
					if (key->skipped != NULL)
						continue;
					int ours = skr_rsa_verify_digest(&key->prepared, jws.alg, digest,
					                                 jws.signature, jws.signature_len);
					int theirs = bearssl_verify(&key->pub, jws.alg, digest, jws.signature,
					                            jws.signature_len);
					cr_assert_eq(ours, theirs, "%s with key %u", tokens[t], i);
					pairs++;
					accepted += (unsigned)ours;
				}
			}
		}
		skr_jws_free(&jws);
		free(token);
	}
	cr_assert_geq(accepted, 1u, "the 2023-03 token verifies with its sharedweu key");
	cr_log_info("rsa_verify: %u real token/key pairs agree with BearSSL, %u accepted", pairs,
	            accepted);
	skr_trust_free(trust);
	free(store);
}

/* ---- threads ---- */

typedef struct shared_check {
	const skr_rsa_fast_key *key;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *digest;
	int failures;
} shared_check;

static void *verify_many(void *arg)
{
	shared_check *check = arg;
	for (int i = 0; i < 50; i++) {
		if (skr_rsa_verify_digest(check->key, SKR_ALG_RS256, check->digest, check->sig,
		                          check->sig_len) != 1)
			check->failures++;
	}
	return NULL;
}

Test(rsa_verify, one_key_shared_by_threads)
{
	example_key key;
	load_example_key("test-authority-rsa2048.jwk.json", &key);
	skr_rsa_fast_key fast;
	cr_assert_eq(skr_rsa_fast_init(&fast, key.n, key.n_len, key.e, key.e_len), 1);
	const char *msg = "shared";
	uint8_t sig[SKR_MAX_RSA_BYTES], digest[SKR_MAX_HASH_BYTES];
	cr_assert_eq(skr_rsa_sign(skr_signing_key_private(key.signing), SKR_ALG_RS256, msg,
	                          strlen(msg), sig), 1);
	skr_hash_for_alg(SKR_ALG_RS256, msg, strlen(msg), digest);

	pthread_t threads[4];
	shared_check checks[4];
	for (int i = 0; i < 4; i++) {
		checks[i] = (shared_check){ &fast, sig, key.n_len, digest, 0 };
		cr_assert_eq(pthread_create(&threads[i], NULL, verify_many, &checks[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(pthread_join(threads[i], NULL), 0);
		cr_assert_eq(checks[i].failures, 0, "thread %d", i);
	}
	skr_signing_key_free(key.signing);
}
