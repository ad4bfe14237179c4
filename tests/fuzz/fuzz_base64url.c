/*
 * Fuzz target: the strict base64url and base64 codecs (runtime/base64url.h).
 * Each input is decoded with both alphabets; a successful decoding must fit
 * the size bound and encode back to exactly the input, because each byte
 * string has one accepted encoding. The input is also encoded with both
 * alphabets, and the encodings must decode back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "support.h"

typedef skr_b64_status (*decode_fn)(const char *, size_t, uint8_t *, size_t *, size_t *);
typedef size_t (*encode_fn)(const uint8_t *, size_t, char *);

/* Decodes text; on success re-encodes and compares with the text. */
static void decode_checked(const char *text, size_t len, decode_fn decode, encode_fn encode,
                           const char *name)
{
	size_t cap = skr_base64_decoded_max(len);
	uint8_t *out = malloc(cap);
	char *again = malloc(len + 4);
	if (!out || !again)
		goto done;
	size_t out_len = 0;
	size_t err_offset = (size_t)-1;
	skr_b64_status status = decode(text, len, out, &out_len, &err_offset);
	FZ_CHECK(skr_b64_status_text(status) != NULL, "%s: no text for status %d", name, (int)status);
	if (status != SKR_B64_OK) {
		FZ_CHECK(err_offset <= len, "%s: error offset %zu in %zu bytes", name, err_offset, len);
		goto done;
	}
	FZ_CHECK(out_len <= cap, "%s: decoded %zu bytes, bound %zu", name, out_len, cap);
	size_t again_len = encode(out, out_len, again);
	FZ_CHECK(again_len == len && memcmp(again, text, len) == 0,
	         "%s: %zu characters decode to bytes that encode to %zu other characters", name,
	         len, again_len);
done:
	free(out);
	free(again);
}

/* Encodes bytes and decodes them back. */
static void encode_checked(const uint8_t *data, size_t len, decode_fn decode, encode_fn encode,
                           size_t encoded_cap, const char *name)
{
	char *text = malloc(encoded_cap + 1);
	uint8_t *back = malloc(len + 3);
	if (!text || !back)
		goto done;
	size_t text_len = encode(data, len, text);
	FZ_CHECK(text_len <= encoded_cap, "%s: %zu characters, bound %zu", name, text_len,
	         encoded_cap);
	size_t back_len = 0;
	FZ_CHECK(decode(text, text_len, back, &back_len, NULL) == SKR_B64_OK,
	         "%s: an encoding of %zu bytes does not decode", name, len);
	FZ_CHECK(back_len == len && memcmp(back, data, len) == 0, "%s: round trip of %zu bytes differs",
	         name, len);
done:
	free(text);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	decode_checked(text, size, skr_base64url_decode, skr_base64url_encode, "base64url");
	decode_checked(text, size, skr_base64_decode, skr_base64_encode, "base64");
	encode_checked(data, size, skr_base64url_decode, skr_base64url_encode,
	               skr_base64url_encoded_len(size), "base64url");
	encode_checked(data, size, skr_base64_decode, skr_base64_encode, (size + 2) / 3 * 4,
	               "base64");
	return 0;
}
