/*
 * SHA-256 known answers (FIPS 180-4 and its example messages) for the
 * routine that skr_sha256 picks on this CPU, and equality with BearSSL's
 * portable routine.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void to_hex(const uint8_t digest[SKR_SHA256_SIZE], char out[2 * SKR_SHA256_SIZE + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < SKR_SHA256_SIZE; i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[2 * SKR_SHA256_SIZE] = '\0';
}

/* Checks both routines against one known answer. */
static void expect_hash(const void *msg, size_t len, const char *hex, const char *name)
{
	uint8_t digest[SKR_SHA256_SIZE];
	char text[2 * SKR_SHA256_SIZE + 1];

	skr_sha256(msg, len, digest);
	to_hex(digest, text);
	cr_assert_str_eq(text, hex, "%s with %s", name, skr_sha256_engine());

	skr_sha256_portable(msg, len, digest);
	to_hex(digest, text);
	cr_assert_str_eq(text, hex, "%s with the portable routine", name);
}

Test(sha256, engine_named)
{
	const char *engine = skr_sha256_engine();
	cr_assert(strcmp(engine, "x86 SHA extensions") == 0 ||
	          strcmp(engine, "portable (BearSSL)") == 0, "%s", engine);
	cr_log_info("sha256: skr_sha256 uses %s", engine);
}

Test(sha256, fips_180_vectors)
{
	expect_hash("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	            "the empty message");
	expect_hash(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	            "NULL with length 0");
	expect_hash("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	            "\"abc\"");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	expect_hash(m448, strlen(m448),
	            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	            "the 448-bit message");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	                   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	expect_hash(m896, strlen(m896),
	            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	            "the 896-bit message");
}

Test(sha256, million_a)
{
	size_t len = 1000000;
	char *msg = malloc(len);
	cr_assert_not_null(msg);
	memset(msg, 'a', len);
	expect_hash(msg, len, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	            "a million 'a'");
	free(msg);
}

Test(sha256, padding_boundaries)
{
	/* 55 bytes is the longest message whose padding fits one block, 56
	 * the shortest that needs a second; 64 and 119/120 repeat that with
	 * a whole block before. The expected digests come from Python's
	 * hashlib. */
	static const struct {
		size_t len;
		const char *hex;
	} cases[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
	};
	char msg[128];
	memset(msg, 'a', sizeof msg);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "%zu times 'a'", cases[i].len);
		expect_hash(msg, cases[i].len, cases[i].hex, name);
	}
}

Test(sha256, matches_portable_on_random_lengths)
{
	size_t cap = 10000 + 16;
	uint8_t *buf = malloc(cap);
	cr_assert_not_null(buf);
	uint64_t x = 0x5348412d323536ull;
	for (size_t i = 0; i < cap; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}

	/* Every length from 0 to 10,000, each at a varying misalignment. */
	for (size_t len = 0; len <= 10000; len++) {
		size_t offset = len % 16;
		uint8_t fast[SKR_SHA256_SIZE], portable[SKR_SHA256_SIZE];
		skr_sha256(buf + offset, len, fast);
		skr_sha256_portable(buf + offset, len, portable);
		cr_assert_eq(memcmp(fast, portable, SKR_SHA256_SIZE), 0, "length %zu offset %zu", len,
		             offset);
	}
	free(buf);
}
