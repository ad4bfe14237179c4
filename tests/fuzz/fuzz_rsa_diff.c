/*
 * libFuzzer target: the prepared-key RSA engine against BearSSL.
 *
 * Each input names a modulus, an exponent and a value. The target checks
 * that skr_rsa_fast_public (the AVX-512 IFMA path where the CPU has it),
 * its portable code and BearSSL's i31 and i62 public operations succeed
 * and fail together and agree on every output byte. It also
 * checks that skr_rsa_verify_digest agrees with a reference verification:
 * BearSSL's i31 operation, then a full comparison with the expected
 * encoding. With e = 1 the value can be the encoding itself, so the
 * accepting path is reached as well. A disagreement aborts.
 *
 * Input layout: 2 bytes of modulus length (1 to 512 bytes), 1 byte of
 * exponent length (1 to 8 bytes) and 1 flag byte, whose bit 0 replaces the
 * value with the expected encoding. The modulus, the exponent and the
 * value follow, and missing bytes read as zero. The modulus is forced odd
 * and at least 3.
 *
 * tests/fuzz/build.sh builds it with the other targets
 * (FUZZ_TARGETS=fuzz_rsa_diff for this one alone). It needs only four
 * library files, so it also builds on its own from the repository root:
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O2 \
 *     -fsanitize=fuzzer,address,undefined -Iinclude -Iruntime \
 *     tests/fuzz/fuzz_rsa_diff.c runtime/rsa_fast.c runtime/rsa_ifma.c \
 *     runtime/rsa_verify.c runtime/sha256.c -lbearssl -o fuzz_rsa_diff
 *   ./fuzz_rsa_diff -max_len=1100 -max_total_time=300 CORPUS_DIR
 */
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "rsa_fast.h"
#include "sha256.h"
#include "token.h"

/* The DigestInfo prefix of SHA-256 (RFC 8017 section 9.2, note 1). */
static const uint8_t sha256_prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                           0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                           0x01, 0x05, 0x00, 0x04, 0x20 };

/* Builds the RS256 encoding of digest into em (k >= 62 bytes). */
static void build_encoding(const uint8_t *digest, uint8_t *em, size_t k)
{
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - 51 - 3);
	em[k - 51 - 1] = 0x00;
	memcpy(em + k - 51, sha256_prefix, sizeof sha256_prefix);
	memcpy(em + k - 32, digest, 32);
}

/* Copies up to len bytes from the input at *at, zero-filling the rest. */
static void take(const uint8_t *data, size_t size, size_t *at, uint8_t *out, size_t len)
{
	size_t avail = *at < size ? size - *at : 0;
	size_t n = avail < len ? avail : len;
	if (n > 0)
		memcpy(out, data + *at, n);
	memset(out + n, 0, len - n);
	*at += len;
}

static void check(int condition)
{
	if (!condition)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t n_len = 1 + ((size_t)data[0] | (size_t)data[1] << 8) % SKR_MAX_RSA_BYTES;
	size_t e_len = 1 + data[2] % 8u;
	int use_encoding = data[3] & 1;
	size_t at = 4;

	uint8_t n[SKR_MAX_RSA_BYTES], e[8], x[SKR_MAX_RSA_BYTES];
	take(data, size, &at, n, n_len);
	take(data, size, &at, e, e_len);
	take(data, size, &at, x, n_len);
	n[n_len - 1] |= 1u;
	if (n[0] == 0)
		n[0] = 1;
	if (n_len == 1 && n[0] < 3)
		n[0] = 3;
	if (e[0] == 0)
		e[0] = 1;

	uint8_t digest[32];
	skr_sha256(data, size, digest);
	if (use_encoding && n_len >= 62)
		build_encoding(digest, x, n_len);

	skr_rsa_fast_key key;
	check(skr_rsa_fast_init(&key, n, n_len, e, e_len) == 1);
	br_rsa_public_key pk = { n, n_len, e, e_len };

	/* The public operation, byte for byte. */
	uint8_t ours[SKR_MAX_RSA_BYTES], i31[SKR_MAX_RSA_BYTES], i62[SKR_MAX_RSA_BYTES];
	int ok = skr_rsa_fast_public(&key, x, n_len, ours);
	memcpy(i31, x, n_len);
	uint32_t ok_i31 = br_rsa_i31_public(i31, n_len, &pk);
	check(ok == (int)ok_i31);
	if (ok)
		check(memcmp(ours, i31, n_len) == 0);
	uint8_t portable[SKR_MAX_RSA_BYTES];
	check(skr_rsa_fast_public_portable(&key, x, n_len, portable) == ok);
	if (ok)
		check(memcmp(ours, portable, n_len) == 0);
	br_rsa_public i62_public = br_rsa_i62_public_get();
	if (i62_public != 0) {
		memcpy(i62, x, n_len);
		uint32_t ok_i62 = i62_public(i62, n_len, &pk);
		check(ok == (int)ok_i62);
		if (ok)
			check(memcmp(ours, i62, n_len) == 0);
	}

	/* The verification decision. */
	int reference = 0;
	if (ok_i31 && n_len >= 62) {
		uint8_t em[SKR_MAX_RSA_BYTES];
		build_encoding(digest, em, n_len);
		reference = memcmp(i31, em, n_len) == 0;
	}
	check(skr_rsa_verify_digest(&key, SKR_ALG_RS256, digest, x, n_len) == reference);
	return 0;
}
