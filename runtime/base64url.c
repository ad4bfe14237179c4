/*
 * Strict base64url and base64 codecs; see base64url.h for the rules.
 */
#include "base64url.h"

/* One table serves both alphabets. The low six bits are the digit value,
 * and the two flag bits mark the alphabets that accept the character. A
 * zero entry is a character that neither accepts. */
#define IN_URL 0x40u
#define IN_STD 0x80u
#define BOTH(v) ((v) | IN_URL | IN_STD)
#define URL(v) ((v) | IN_URL)
#define STD(v) ((v) | IN_STD)

static const uint8_t digit_table[256] = {
	['A'] = BOTH(0), ['B'] = BOTH(1), ['C'] = BOTH(2), ['D'] = BOTH(3), ['E'] = BOTH(4),
	['F'] = BOTH(5), ['G'] = BOTH(6), ['H'] = BOTH(7), ['I'] = BOTH(8), ['J'] = BOTH(9),
	['K'] = BOTH(10), ['L'] = BOTH(11), ['M'] = BOTH(12), ['N'] = BOTH(13),
	['O'] = BOTH(14), ['P'] = BOTH(15), ['Q'] = BOTH(16), ['R'] = BOTH(17),
	['S'] = BOTH(18), ['T'] = BOTH(19), ['U'] = BOTH(20), ['V'] = BOTH(21),
	['W'] = BOTH(22), ['X'] = BOTH(23), ['Y'] = BOTH(24), ['Z'] = BOTH(25),
	['a'] = BOTH(26), ['b'] = BOTH(27), ['c'] = BOTH(28), ['d'] = BOTH(29),
	['e'] = BOTH(30), ['f'] = BOTH(31), ['g'] = BOTH(32), ['h'] = BOTH(33),
	['i'] = BOTH(34), ['j'] = BOTH(35), ['k'] = BOTH(36), ['l'] = BOTH(37),
	['m'] = BOTH(38), ['n'] = BOTH(39), ['o'] = BOTH(40), ['p'] = BOTH(41),
	['q'] = BOTH(42), ['r'] = BOTH(43), ['s'] = BOTH(44), ['t'] = BOTH(45),
	['u'] = BOTH(46), ['v'] = BOTH(47), ['w'] = BOTH(48), ['x'] = BOTH(49),
	['y'] = BOTH(50), ['z'] = BOTH(51), ['0'] = BOTH(52), ['1'] = BOTH(53),
	['2'] = BOTH(54), ['3'] = BOTH(55), ['4'] = BOTH(56), ['5'] = BOTH(57),
	['6'] = BOTH(58), ['7'] = BOTH(59), ['8'] = BOTH(60), ['9'] = BOTH(61),
	['-'] = URL(62), ['_'] = URL(63), ['+'] = STD(62), ['/'] = STD(63),
};

static const char url_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Finds the first character of src[0..len) that the alphabet rejects.
 * Returns len when there is none. */
static size_t first_bad_char(const char *src, size_t len, unsigned alphabet)
{
	for (size_t i = 0; i < len; i++) {
		if ((digit_table[(unsigned char)src[i]] & alphabet) == 0)
			return i;
	}
	return len;
}

/* Decodes len unpadded characters of the alphabet (IN_URL or IN_STD). The
 * loop over whole groups of four has no branch per character: it ANDs the
 * table entries of all characters together, and the alphabet's flag
 * survives only when every character carries it. The result is checked
 * once, after the loop, and only a failed check scans again for the
 * offset of the first bad character. A trailing group of 2 or 3 digits
 * carries 1 or 2 bytes, and the bits of its last digit that no byte uses
 * must be zero. */
static skr_b64_status decode_digits(const char *src, size_t len, unsigned alphabet,
                                    uint8_t *dst, size_t *dst_len, size_t *err_offset)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t full = len / 4 * 4;
	size_t out = 0;
	unsigned flags = alphabet;

	for (size_t i = 0; i < full; i += 4) {
		unsigned a = digit_table[s[i]], b = digit_table[s[i + 1]];
		unsigned c = digit_table[s[i + 2]], d = digit_table[s[i + 3]];
		flags &= a & b & c & d;
		uint32_t v = (uint32_t)(a & 0x3f) << 18 | (uint32_t)(b & 0x3f) << 12 |
		             (uint32_t)(c & 0x3f) << 6 | (uint32_t)(d & 0x3f);
		dst[out] = (uint8_t)(v >> 16);
		dst[out + 1] = (uint8_t)(v >> 8);
		dst[out + 2] = (uint8_t)v;
		out += 3;
	}
	for (size_t i = full; i < len; i++)
		flags &= digit_table[s[i]];
	if ((flags & alphabet) == 0) {
		if (err_offset != NULL)
			*err_offset = first_bad_char(src, len, alphabet);
		return SKR_B64_BAD_CHAR;
	}

	size_t rest = len - full;
	if (rest == 1) {
		if (err_offset != NULL)
			*err_offset = len;
		return SKR_B64_BAD_LENGTH;
	}
	if (rest >= 2) {
		uint32_t v = (uint32_t)(digit_table[s[full]] & 0x3f) << 18 |
		             (uint32_t)(digit_table[s[full + 1]] & 0x3f) << 12;
		if (rest == 3)
			v |= (uint32_t)(digit_table[s[full + 2]] & 0x3f) << 6;
		/* 2 digits carry 12 bits for one byte, 3 digits 18 bits for two. */
		uint32_t unused = rest == 2 ? (v & 0xffffu) : (v & 0xffu);
		if (unused != 0) {
			if (err_offset != NULL)
				*err_offset = len - 1;
			return SKR_B64_NONCANONICAL;
		}
		dst[out++] = (uint8_t)(v >> 16);
		if (rest == 3)
			dst[out++] = (uint8_t)(v >> 8);
	}
	*dst_len = out;
	return SKR_B64_OK;
}

skr_b64_status skr_base64url_decode(const char *src, size_t len, uint8_t *dst,
                                    size_t *dst_len, size_t *err_offset)
{
	return decode_digits(src, len, IN_URL, dst, dst_len, err_offset);
}

skr_b64_status skr_base64_decode(const char *src, size_t len, uint8_t *dst,
                                 size_t *dst_len, size_t *err_offset)
{
	if (len % 4 != 0) {
		if (err_offset != NULL)
			*err_offset = len;
		return SKR_B64_BAD_LENGTH;
	}

	/* One or two '=' may end the input, and any other '=' is misplaced. */
	size_t data = len;
	while (data > 0 && len - data < 2 && src[data - 1] == '=')
		data--;

	size_t at = 0;
	skr_b64_status st = decode_digits(src, data, IN_STD, dst, dst_len, &at);
	if (st != SKR_B64_OK && err_offset != NULL)
		*err_offset = at;
	if (st == SKR_B64_BAD_CHAR && src[at] == '=')
		return SKR_B64_BAD_PADDING;
	return st;
}

static size_t encode_with(const char *digits, const uint8_t *src, size_t len,
                          char *dst, int pad)
{
	size_t out = 0;
	size_t i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[out++] = digits[v >> 18];
		dst[out++] = digits[(v >> 12) & 0x3f];
		dst[out++] = digits[(v >> 6) & 0x3f];
		dst[out++] = digits[v & 0x3f];
	}
	if (i < len) {
		uint32_t v = (uint32_t)src[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		dst[out++] = digits[v >> 18];
		dst[out++] = digits[(v >> 12) & 0x3f];
		if (i + 1 < len)
			dst[out++] = digits[(v >> 6) & 0x3f];
		else if (pad)
			dst[out++] = '=';
		if (pad)
			dst[out++] = '=';
	}
	return out;
}

size_t skr_base64url_encode(const uint8_t *src, size_t len, char *dst)
{
	return encode_with(url_digits, src, len, dst, 0);
}

size_t skr_base64_encode(const uint8_t *src, size_t len, char *dst)
{
	return encode_with(std_digits, src, len, dst, 1);
}

const char *skr_b64_status_text(skr_b64_status status)
{
	switch (status) {
	case SKR_B64_OK:
		return "valid";
	case SKR_B64_BAD_CHAR:
		return "a character outside the alphabet";
	case SKR_B64_BAD_LENGTH:
		return "a length that no byte string encodes to";
	case SKR_B64_BAD_PADDING:
		return "misplaced padding";
	case SKR_B64_NONCANONICAL:
		return "non-zero unused bits in the last character (not the canonical encoding)";
	}
	return "an unknown error";
}
