/*
 * Tables generated from the opcode list, the image checksum and authority
 * normalisation.
 */
#include <string.h>

#include "bytecode.h"

#define SKR_X_INFO(name, format, konst, op, sense, test) \
	[SKR_OPC_##name] = { #name, format, konst, op, sense, SKR_FMT_SIZE(format) },
const skr_opcode_info skr_opcode_table[SKR_OPC_COUNT] = {
	SKR_OPCODES(SKR_X_INFO)
};
#undef SKR_X_INFO

uint32_t skr_image_checksum(const uint8_t *image, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < len; i++) {
		/* The checksum field itself (bytes 12..15) counts as zero. */
		uint8_t byte = (i >= 12 && i < 16) ? 0 : image[i];
		crc ^= byte;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_scheme_char(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Finds the case-insensitive ranges of text, taken as it is. */
static void find_fold_ranges(skr_authority_view *view, const char *text, size_t len)
{
	view->text = text;
	view->len = len;
	view->ranges_known = 1;
	view->fold_from = view->fold_to = view->scheme_len = 0;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://". */
	size_t i = 0;
	if (len == 0 || !is_alpha(text[0]))
		return;
	while (i < len && is_scheme_char(text[i]))
		i++;
	if (len - i < 3 || text[i] != ':' || text[i + 1] != '/' || text[i + 2] != '/')
		return;
	view->scheme_len = i;
	size_t start = i + 3;
	size_t end = start;
	while (end < len && text[end] != '/' && text[end] != '?' && text[end] != '#')
		end++;
	/* Userinfo before the last '@' is compared exactly, and so is what
	 * follows the host: a port is digits, and anything else there is not a
	 * host, so folding its case could only match more issuers. An IPv6
	 * host keeps its brackets. */
	size_t host = start;
	for (size_t j = start; j < end; j++) {
		if (text[j] == '@')
			host = j + 1;
	}
	size_t host_end = host;
	if (host_end < end && text[host_end] == '[') {
		while (host_end < end && text[host_end] != ']')
			host_end++;
		if (host_end < end)
			host_end++;
	} else {
		while (host_end < end && text[host_end] != ':')
			host_end++;
	}
	view->fold_from = host;
	view->fold_to = host_end;
}

static void ensure_fold_ranges(skr_authority_view *view)
{
	if (!view->ranges_known)
		find_fold_ranges(view, view->text, view->len);
}

static int folds(const skr_authority_view *view, size_t i);

int skr_authority_is_normalized(const char *text, size_t len)
{
	skr_authority_view view;
	find_fold_ranges(&view, text, len);
	for (size_t i = 0; i < len; i++) {
		if (folds(&view, i) && text[i] >= 'A' && text[i] <= 'Z')
			return 0;
	}
	return 1;
}

static int folds(const skr_authority_view *view, size_t i)
{
	return i < view->scheme_len || (i >= view->fold_from && i < view->fold_to);
}

void skr_authority_normalize(skr_authority_view *view, char *out)
{
	ensure_fold_ranges(view);
	for (size_t i = 0; i < view->len; i++)
		out[i] = folds(view, i) ? to_lower(view->text[i]) : view->text[i];
}

int skr_authority_matches_folded(const char *normalized, size_t len, skr_authority_view *view)
{
	size_t i = 0;
	while (view->text[i] == normalized[i])
		i++;
	/* A difference that is not one of letter case can never match. */
	if (to_lower(view->text[i]) != normalized[i])
		return 0;
	ensure_fold_ranges(view);
	for (; i < len; i++) {
		char c = view->text[i];
		if (folds(view, i))
			c = to_lower(c);
		if (c != normalized[i])
			return 0;
	}
	return 1;
}
