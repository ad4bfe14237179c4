/*
 * Strict base64 codecs (RFC 4648).
 *
 * base64url (section 5) is the alphabet of JWS and JWK: no padding, no
 * whitespace, and only the canonical encoding of each byte string, so a
 * length of 4k+1 and non-zero unused bits in the last character are errors.
 * Standard base64 (section 4) is the alphabet of the JWK "x5c" member: the
 * input is padded to a multiple of four with '=', and the same canonical
 * rules apply. Each byte string thus has exactly one accepted encoding, so
 * two different tokens can never decode to the same signed bytes.
 */
#ifndef SKR_BASE64URL_H
#define SKR_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

typedef enum skr_b64_status {
	SKR_B64_OK = 0,
	SKR_B64_BAD_CHAR,      /* a byte outside the alphabet ('=' in base64url included) */
	SKR_B64_BAD_LENGTH,    /* 4k+1 characters, or standard base64 not a multiple of 4 */
	SKR_B64_BAD_PADDING,   /* '=' other than one or two at the very end */
	SKR_B64_NONCANONICAL   /* non-zero unused bits in the last character */
} skr_b64_status;

/* Upper bound of the decoded size of len encoded characters. */
static inline size_t skr_base64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

/* Characters of the base64url encoding of len bytes (no padding). */
static inline size_t skr_base64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

/* Decodes base64url without padding. dst must have room for
 * skr_base64_decoded_max(len) bytes, and *dst_len receives the decoded
 * size. On an error, *err_offset (when not NULL) receives the offset of the
 * offending character (len for a bad length), and the contents of dst are
 * unspecified. */
skr_b64_status skr_base64url_decode(const char *src, size_t len, uint8_t *dst,
                                    size_t *dst_len, size_t *err_offset);

/* Decodes padded standard base64, with the same contract as above. */
skr_b64_status skr_base64_decode(const char *src, size_t len, uint8_t *dst,
                                 size_t *dst_len, size_t *err_offset);

/* Encodes len bytes as base64url without padding into dst, which must have
 * room for skr_base64url_encoded_len(len) characters. No NUL is appended.
 * Returns the number of characters written. */
size_t skr_base64url_encode(const uint8_t *src, size_t len, char *dst);

/* Encodes len bytes as padded standard base64 into dst, which must have
 * room for (len + 2) / 3 * 4 characters. No NUL is appended. Returns the
 * number of characters written. */
size_t skr_base64_encode(const uint8_t *src, size_t len, char *dst);

/* Stable lower-case description of a decoding status, for diagnostics. */
const char *skr_b64_status_text(skr_b64_status status);

#endif
