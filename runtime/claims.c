/*
 * Claims index built by a strict single-pass scanner (layout in claims.h).
 *
 * The scanner reads the claims JSON once. Each member name is decoded and
 * checked against the other names of its object as it is read. An indexed
 * member then gets its full dotted path, written after its parent's path
 * and hashed with skr_claim_id at once. Values are decoded straight into
 * the index's arena, and the slot table is filled at the end.
 *
 * It accepts and rejects what the reference parser (claims_reference.c,
 * jansson 2.14) does, and reports the same diagnostic code. The checks
 * therefore keep the reference's order. A syntax error anywhere comes
 * first, a duplicate name or U+0000 in a name included. A top level that
 * is not an object comes next, and the depth and member limits last. After
 * a limit is crossed the scanner stops indexing but keeps validating, and
 * reports the first limit crossed only when the whole text is valid.
 *
 * One difference is deliberate: jansson 2.14 skips a raw NUL byte that
 * directly follows a number or a literal, so it accepts {"a":1<NUL>}. The
 * scanner rejects a NUL byte outside a string, as RFC 8259 does.
 */
#include "claims.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* Maximum bytes of input quoted in a message. */
#define QUOTE_MAX 60

/* A value nested inside this many containers is rejected, whatever the
 * claims_depth limit. jansson 2.14 stops at the same point
 * (JSON_PARSER_MAX_DEPTH, which counts the value itself as a level), and
 * the scanner keeps that result. */
#define MAX_NESTING 2048u

/* Objects with fewer names than this are checked for duplicates by
 * comparing with each name. Larger ones get a hash set. */
#define LINEAR_NAMES 8u

/* Inline capacities of the scanner's work arrays. Deeper or larger
 * documents move an array to the heap. */
#define FRAMES_INLINE 32u
#define NAMES_INLINE 64u
#define NODES_INLINE 96u
#define SET_SLOTS_INLINE 256u

/* Arena chunks for strings and paths. The first one is 1.5 times the input
 * size plus STORE_FIRST_EXTRA bytes. Decoded strings are never longer than
 * their JSON text, and in the real MAA payloads the indexed strings and
 * paths take 0.6 to 1.1 times the input size. Later chunks are
 * STORE_NEXT_CHUNK bytes, or what one string or path needs when that is
 * more. */
#define STORE_FIRST_EXTRA 1024u
#define STORE_NEXT_CHUNK 4096u

#define NO_NODE UINT32_MAX

/* ---- shared with the reference parser ----------------------------------- */

int skr_claims_quote_length(const char *s, size_t len)
{
	if (len <= QUOTE_MAX)
		return (int)len;
	size_t cut = QUOTE_MAX;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return (int)cut;
}

const char *skr_claims_quote_ellipsis(size_t len)
{
	return len > QUOTE_MAX ? "..." : "";
}

skr_status skr_claims_check_input(const char **json, size_t len, const skr_limits **limits,
                                  skr_limits *defaults, const char *document, skr_diags *diags,
                                  skr_claims **out)
{
	if (!out)
		return SKR_E_USAGE;
	*out = NULL;
	if (!*json && len > 0)
		return SKR_E_USAGE;
	if (!*json)
		*json = "";
	if (!*limits) {
		skr_limits_init(defaults);
		*limits = defaults;
	}
	skr_source src = { *json, len };

	if (len > (*limits)->token_bytes) {
		skr_diag_add(diags, &src, SKR_SEV_ERROR, "claims-size", (*limits)->token_bytes, 0,
		             "%s is %zu bytes, over the token size limit of %zu bytes", document,
		             len, (*limits)->token_bytes);
		return SKR_E_CLAIMS;
	}
	/* Every path and string is shorter than the input, so this bound keeps
	 * the index's 32-bit lengths and counts exact. */
	if (len >= UINT32_MAX) {
		skr_diag_add(diags, &src, SKR_SEV_ERROR, "claims-size", 0, 0,
		             "%s is %zu bytes, more than the 4 GiB the claims index supports",
		             document, len);
		return SKR_E_CLAIMS;
	}
	/* RFC 8259 lets a parser skip a leading byte-order mark. Strict claims
	 * parsing rejects it, and names it instead of reporting an invalid token. */
	if (len >= 3 && memcmp(*json, "\xEF\xBB\xBF", 3) == 0) {
		skr_diag_add(diags, &src, SKR_SEV_ERROR, "claims-json", 0, 3,
		             "%s starts with a UTF-8 byte-order mark, which strict parsing rejects, so remove it",
		             document);
		return SKR_E_CLAIMS;
	}
	return SKR_OK;
}

skr_claims *skr_claims_new(void)
{
	skr_claims *claims = calloc(1, sizeof *claims);
	if (claims)
		skr_arena_init(&claims->arena);
	return claims;
}

void skr_claims_set_string_views(skr_claim_value *value)
{
	int is_int = 0;
	int64_t i = 0;
	double d = 0.0;
	if (skr_parse_json_number(value->str, value->len, &is_int, &i, &d) == 0) {
		if (is_int) {
			value->num = SKR_NUM_INT;
			value->n.i = i;
		} else {
			value->num = SKR_NUM_DOUBLE;
			value->n.d = d;
		}
	}

	if (value->len == 4 && memcmp(value->str, "true", 4) == 0)
		value->boolean = SKR_BOOL_TRUE;
	else if (value->len == 5 && memcmp(value->str, "false", 5) == 0)
		value->boolean = SKR_BOOL_FALSE;
}

/* The slot count is a power of two of at least twice the node count and
 * at least 8, so probes stay short and skr_claims_find always reaches an
 * empty slot. */
skr_status skr_claims_build_table(skr_claims *claims)
{
	uint32_t slot_count = 8;
	while (slot_count < 2 * (uint64_t)claims->count)
		slot_count *= 2;
	claims->slots = skr_arena_alloc(&claims->arena, (size_t)slot_count * sizeof *claims->slots);
	if (!claims->slots)
		return SKR_E_NOMEM;
	memset(claims->slots, 0, (size_t)slot_count * sizeof *claims->slots);
	claims->mask = slot_count - 1;

	for (uint32_t n = 0; n < claims->count; n++) {
		uint32_t i = (uint32_t)claims->nodes[n].id & claims->mask;
		while (claims->slots[i] != 0)
			i = (i + 1) & claims->mask;
		claims->slots[i] = n + 1;
	}
	return SKR_OK;
}

/* ---- scanner state ------------------------------------------------------ */

/* A member name of an open object, kept for the duplicate check. */
typedef struct scan_name {
	const char *bytes;   /* decoded name, in the input itself when it has no escapes */
	uint32_t len;
	uint32_t hash;       /* set once the object has a hash set */
} scan_name;

/* An open object or array. */
typedef struct scan_frame {
	uint32_t node;        /* node whose value this container is, or NO_NODE */
	uint32_t first_name;  /* index in the scanner's names of this object's first name */
	uint32_t set_start;   /* first slot of this object's hash set in the scanner's set slots */
	uint32_t set_mask;    /* slot count - 1 of the hash set, or 0 while the object has none */
	uint8_t is_object;
	uint8_t indexed;      /* members of this object get nodes */
} scan_frame;

typedef enum scan_limit {
	LIMIT_NONE = 0,
	LIMIT_DEPTH,
	LIMIT_MEMBERS
} scan_limit;

typedef struct scanner {
	const char *text;
	size_t len;
	size_t pos;
	skr_source src;
	const skr_limits *limits;
	skr_diags *diags;
	const char *document;     /* the input's name in messages: "claims JSON" or "header JSON" */
	skr_claims *claims;       /* the index being built, whose arena owns every string and path */
	skr_status status;        /* SKR_E_CLAIMS or SKR_E_NOMEM once an error is reported */

	char *store;              /* free space for strings and paths in the current arena chunk */
	size_t store_free;
	size_t store_chunk;       /* size of the next chunk */

	skr_claim_node *nodes;    /* moved into the arena, with the exact count, at the end */
	uint32_t node_count;
	uint32_t node_cap;
	uint32_t iss_node;        /* the top-level "iss" member, or NO_NODE */

	scan_name *names;         /* names of every open object, innermost last */
	uint32_t name_count;
	uint32_t name_cap;
	uint64_t hash_seed;

	/* Hash sets of the open objects that have one, innermost last. Names are
	 * only added to the innermost object, so its set is always the last and
	 * can grow in place. A slot contains a name index + 1, or 0 when empty. */
	uint32_t *set_slots;
	uint32_t set_used;
	uint32_t set_cap;

	scan_frame *frames;       /* open containers, innermost (frames[depth - 1]) last */
	uint32_t depth;
	uint32_t frame_cap;

	uint64_t members;         /* members seen so far, in every object */
	int indexing;             /* 0 once a limit is crossed, because the index will not be used */
	scan_limit limit;         /* the first limit crossed, reported if the text is valid */
	size_t limit_offset;
	size_t limit_length;

	scan_frame frames_inline[FRAMES_INLINE];
	scan_name names_inline[NAMES_INLINE];
	skr_claim_node nodes_inline[NODES_INLINE];
	uint32_t set_slots_inline[SET_SLOTS_INLINE];
} scanner;

/* Doubles the capacity of a work array that starts in inline storage,
 * moving it to the heap. Returns the new array, or NULL when memory runs
 * out (the old array is then left as it was). */
static void *grow_array(void *items, const void *inline_items, uint32_t *cap, size_t item_size)
{
	uint64_t grown = (uint64_t)*cap * 2;
	if (grown > UINT32_MAX || grown > SIZE_MAX / item_size)
		return NULL;
	void *moved;
	if (items == inline_items) {
		moved = malloc((size_t)grown * item_size);
		if (moved)
			memcpy(moved, items, (size_t)*cap * item_size);
	} else {
		moved = realloc(items, (size_t)grown * item_size);
	}
	if (moved)
		*cap = (uint32_t)grown;
	return moved;
}

/* ---- diagnostics -------------------------------------------------------- */

static int fail(scanner *s, const char *code, size_t offset, size_t length,
                const char *fmt, ...) SKR_PRINTF(5, 6);

/* Adds an error and returns -1, which every scanning function passes up. */
static int fail(scanner *s, const char *code, size_t offset, size_t length,
                const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(s->diags, &s->src, SKR_SEV_ERROR, code, offset, length, fmt, ap);
	va_end(ap);
	s->status = SKR_E_CLAIMS;
	return -1;
}

static int fail_nomem(scanner *s)
{
	skr_diag_add(s->diags, &s->src, SKR_SEV_ERROR, "out-of-memory", s->pos, 0,
	             "out of memory while building the claims index");
	s->status = SKR_E_NOMEM;
	return -1;
}

static int fail_utf8(scanner *s, size_t at)
{
	return fail(s, "claims-json", at, 1,
	            "invalid UTF-8 in the %s: the sequence starting with byte 0x%02X is not valid",
	            s->document, (unsigned char)s->text[at]);
}

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Reports the input at s->pos where `expected` should stand: the end of
 * the input, invalid UTF-8, or the character found (a whole word when it
 * starts with a letter, so "nan" is quoted whole). */
static int fail_unexpected(scanner *s, const char *expected)
{
	size_t at = s->pos;
	if (at >= s->len)
		return fail(s, "claims-json", s->len, 0, "%s ends early: expected %s", s->document,
		            expected);

	const unsigned char *t = (const unsigned char *)s->text;
	unsigned char c = t[at];
	size_t n = 1;
	if (c >= 0x80) {
		n = skr_utf8_sequence(t + at, s->len - at);
		if (n == 0)
			return fail_utf8(s, at);
	} else if (c < 0x20 || c == 0x7F) {
		return fail(s, "claims-json", at, 1, "invalid %s: expected %s, found byte 0x%02X",
		            s->document, expected, c);
	} else if (is_letter(c)) {
		while (at + n < s->len && n < QUOTE_MAX && is_letter(t[at + n]))
			n++;
	}
	return fail(s, "claims-json", at, n, "invalid %s: expected %s, found '%.*s'",
	            s->document, expected, (int)n, s->text + at);
}

/* Remembers the first depth or member limit crossed. Nothing after it
 * needs indexing, because the claims will be rejected. */
static void cross_limit(scanner *s, scan_limit limit, size_t offset, size_t length)
{
	if (s->limit == LIMIT_NONE) {
		s->limit = limit;
		s->limit_offset = offset;
		s->limit_length = length;
	}
	s->indexing = 0;
}

static int fail_limit(scanner *s)
{
	if (s->limit == LIMIT_DEPTH)
		return fail(s, "claims-depth", s->limit_offset, s->limit_length,
		            "%s nests deeper than the claims depth limit of %" PRIu32 " levels",
		            s->document, s->limits->claims_depth);
	return fail(s, "claims-members", s->limit_offset, s->limit_length,
	            "%s contains more than %" PRIu32 " object members, the claims member limit",
	            s->document, s->limits->claims_members);
}

/* ---- strings ------------------------------------------------------------ */

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull

/* Flags (bit 7 of each byte) the bytes of w that need a closer look inside
 * a string: a control character, '"', '\\' or a byte of a multi-byte UTF-8
 * sequence. A borrow can only flag a byte above one that is flagged
 * already, so the result is 0 exactly when no byte needs a look, and the
 * lowest flagged byte is always a real one. */
static inline uint64_t special_bytes(uint64_t w)
{
	uint64_t quote = w ^ (BYTES_01 * '"');
	uint64_t backslash = w ^ (BYTES_01 * '\\');
	uint64_t flags = ((w - BYTES_01 * 0x20) & ~w) | ((quote - BYTES_01) & ~quote) |
	                 ((backslash - BYTES_01) & ~backslash) | w;
	return flags & BYTES_80;
}

/* Offset in a little-endian load of the first byte special_bytes flagged,
 * or 0 where that cannot be computed cheaply (the byte loop then steps). */
static inline size_t first_special(uint64_t flags)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(flags) / 8;
#else
	(void)flags;
	return 0;
#endif
}

/* What scan_string learned about a string. */
typedef struct string_scan {
	size_t end;        /* offset of the closing quote */
	uint8_t escaped;   /* contains at least one backslash escape */
	uint8_t nul;       /* contains \u0000 */
} string_scan;

/* Value of the four hex digits at s, or -1 when one is not a hex digit. */
static int32_t hex4(const unsigned char *s)
{
	int32_t value = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		int32_t digit;
		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

static int fail_string_end(scanner *s, size_t open)
{
	return fail(s, "claims-json", s->len, 0,
	            "%s ends early: the string starting at byte %zu has no closing quote", s->document,
	            open);
}

/* Checks the escape whose backslash is at *at and moves *at past it. A
 * high surrogate escape must be followed by a low one, and the pair counts
 * as one escape here. */
static int scan_escape(scanner *s, size_t open, size_t *at, string_scan *out)
{
	const unsigned char *t = (const unsigned char *)s->text;
	size_t p = *at;
	if (p + 1 >= s->len)
		return fail_string_end(s, open);
	out->escaped = 1;
	switch (t[p + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		*at = p + 2;
		return 0;
	case 'u':
		break;
	default:
		return fail(s, "claims-json", p, 2, "invalid escape \\%c in a %s string",
		            t[p + 1] >= 0x20 && t[p + 1] < 0x7F ? t[p + 1] : '?', s->document);
	}

	if (s->len - p < 6)
		return fail_string_end(s, open);
	int32_t unit = hex4(t + p + 2);
	if (unit < 0)
		return fail(s, "claims-json", p, 6,
		            "invalid \\u escape in a %s string: \\u takes four hex digits", s->document);
	if (unit == 0)
		out->nul = 1;
	if (unit >= 0xDC00 && unit <= 0xDFFF)
		return fail(s, "claims-json", p, 6,
		            "unpaired UTF-16 surrogate escape %.6s in a %s string", s->text + p, s->document);
	if (unit < 0xD800 || unit > 0xDBFF) {
		*at = p + 6;
		return 0;
	}

	/* A high surrogate: the next escape must be a low one. */
	if (s->len - p >= 12 && t[p + 6] == '\\' && t[p + 7] == 'u') {
		int32_t low = hex4(t + p + 8);
		if (low < 0)
			return fail(s, "claims-json", p + 6, 6,
			            "invalid \\u escape in a %s string: \\u takes four hex digits",
			            s->document);
		if (low >= 0xDC00 && low <= 0xDFFF) {
			*at = p + 12;
			return 0;
		}
	}
	return fail(s, "claims-json", p, 6,
	            "unpaired UTF-16 surrogate escape %.6s in a %s string", s->text + p, s->document);
}

/* Validates the string whose opening quote is at s->pos: escapes,
 * surrogate pairs, UTF-8, no raw control characters. Does not move s->pos.
 * Runs of plain ASCII are skipped 8 bytes at a time. */
static int scan_string(scanner *s, string_scan *out)
{
	const unsigned char *t = (const unsigned char *)s->text;
	size_t len = s->len;
	size_t open = s->pos;
	size_t p = open + 1;
	out->escaped = 0;
	out->nul = 0;

	for (;;) {
		while (len - p >= 8) {
			uint64_t w;
			memcpy(&w, t + p, 8);
			uint64_t flags = special_bytes(w);
			if (flags != 0) {
				p += first_special(flags);
				break;
			}
			p += 8;
		}
		if (p >= len)
			return fail_string_end(s, open);

		unsigned char c = t[p];
		if (c == '"') {
			out->end = p;
			return 0;
		}
		if (c == '\\') {
			if (scan_escape(s, open, &p, out) != 0)
				return -1;
		} else if (c < 0x20) {
			return fail(s, "claims-json", p, 1,
			            "invalid %s: control character 0x%02X in a string must be written as an escape",
			            s->document, c);
		} else if (c >= 0x80) {
			size_t n = skr_utf8_sequence(t + p, len - p);
			if (n == 0)
				return fail_utf8(s, p);
			p += n;
		} else {
			p++;
		}
	}
}

/* Writes code point cp as UTF-8 and returns the byte count. */
static size_t encode_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the escapes of a string body that scan_string accepted into out,
 * which has room for n bytes: no escape decodes to more bytes than its
 * text. Returns the decoded length. */
static size_t decode_string(const char *raw, size_t n, char *out)
{
	const unsigned char *t = (const unsigned char *)raw;
	size_t i = 0;
	size_t o = 0;
	while (i < n) {
		const char *backslash = memchr(raw + i, '\\', n - i);
		size_t run = backslash ? (size_t)(backslash - raw) - i : n - i;
		memcpy(out + o, raw + i, run);
		o += run;
		i += run;
		if (i >= n)
			break;

		char escape = raw[i + 1];
		i += 2;
		switch (escape) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			uint32_t cp = (uint32_t)hex4(t + i);
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t low = (uint32_t)hex4(t + i + 2);
				i += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
			}
			o += encode_utf8(cp, out + o);
			break;
		}
		default: /* '"', '\\' and '/' stand for themselves */
			out[o++] = escape;
			break;
		}
	}
	return o;
}

/* Returns size bytes of contiguous room for strings and paths in the
 * index's arena, or NULL when memory runs out. store_commit takes what was
 * used. */
static char *store_reserve(scanner *s, size_t size)
{
	if (s->store_free >= size)
		return s->store;
	size_t chunk = s->store_chunk > size ? s->store_chunk : size;
	char *block = skr_arena_alloc(&s->claims->arena, chunk);
	if (!block)
		return NULL;
	s->store = block;
	s->store_free = chunk;
	s->store_chunk = STORE_NEXT_CHUNK;
	return block;
}

static void store_commit(scanner *s, size_t used)
{
	s->store += used;
	s->store_free -= used;
}

/* Copies the string that scan_string accepted (opening quote at open) into
 * the arena, decoded, with a NUL that *out_len does not count. Returns
 * NULL when memory runs out. */
static char *store_string(scanner *s, size_t open, const string_scan *scanned, uint32_t *out_len)
{
	size_t raw_len = scanned->end - open - 1;
	char *copy = store_reserve(s, raw_len + 1);
	if (!copy)
		return NULL;
	size_t n = raw_len;
	if (scanned->escaped)
		n = decode_string(s->text + open + 1, raw_len, copy);
	else
		memcpy(copy, s->text + open + 1, raw_len);
	copy[n] = '\0';
	store_commit(s, n + 1);
	*out_len = (uint32_t)n;
	return copy;
}

/* ---- numbers ------------------------------------------------------------ */

/* What lex_number learned about the number starting at an offset. */
typedef struct number_scan {
	size_t end;         /* first offset past the number, or where the grammar broke */
	uint8_t valid;      /* the text matches the RFC 8259 number grammar */
	uint8_t is_real;    /* it has a fraction or an exponent */
} number_scan;

/* Matches number = [ "-" ] int [ frac ] [ exp ], int = "0" / digit1-9 *DIGIT,
 * stopping at the first byte that does not fit, as jansson's lexer does. */
static void lex_number(const unsigned char *t, size_t len, size_t p, number_scan *out)
{
	size_t i = p;
	out->valid = 0;
	out->is_real = 0;
	if (t[i] == '-')
		i++;
	if (i < len && t[i] == '0') {
		i++;
		if (i < len && is_digit(t[i])) {
			out->end = i;
			return;
		}
	} else if (i < len && is_digit(t[i])) {
		while (i < len && is_digit(t[i]))
			i++;
	} else {
		out->end = i;
		return;
	}
	if (i < len && t[i] == '.') {
		out->is_real = 1;
		i++;
		if (i >= len || !is_digit(t[i])) {
			out->end = i;
			return;
		}
		while (i < len && is_digit(t[i]))
			i++;
	}
	if (i < len && (t[i] == 'e' || t[i] == 'E')) {
		out->is_real = 1;
		i++;
		if (i < len && (t[i] == '+' || t[i] == '-'))
			i++;
		if (i >= len || !is_digit(t[i])) {
			out->end = i;
			return;
		}
		while (i < len && is_digit(t[i]))
			i++;
	}
	out->end = i;
	out->valid = 1;
}

/* Converts integer text that lex_number accepted. Returns 0, or -1 when it
 * is outside int64. */
static int integer_value(const char *t, size_t n, int64_t *out)
{
	size_t i = 0;
	int negative = t[0] == '-';
	if (negative)
		i = 1;
	/* Up to 18 digits cannot leave int64 (10^18 - 1 < 2^63). */
	if (n - i <= 18) {
		int64_t v = 0;
		for (; i < n; i++)
			v = v * 10 + (t[i] - '0');
		*out = negative ? -v : v;
		return 0;
	}
	/* Accumulate negatively so INT64_MIN is reached without overflow. */
	int64_t v = 0;
	for (; i < n; i++) {
		int digit = t[i] - '0';
		if (v < (INT64_MIN + digit) / 10)
			return -1;
		v = v * 10 - digit;
	}
	if (!negative) {
		if (v == INT64_MIN)
			return -1;
		v = -v;
	}
	*out = v;
	return 0;
}

/* Runs strtod on n bytes of number text, with the '.' replaced by the
 * decimal point of the C library's current locale (as jansson does) when
 * point is not NULL. Returns 0, or -1 when the copy cannot be allocated. */
static int run_strtod(const char *t, size_t n, const char *point, double *out, int *range_error)
{
	size_t point_len = point ? strlen(point) : 1;
	size_t size = n + point_len;
	char small[64];
	char *copy = size <= sizeof small ? small : malloc(size);
	if (!copy)
		return -1;

	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.' && point) {
			memcpy(copy + o, point, point_len);
			o += point_len;
		} else {
			copy[o++] = t[i];
		}
	}
	copy[o] = '\0';

	char *end = NULL;
	errno = 0;
	*out = strtod(copy, &end);
	*range_error = errno == ERANGE;
	int complete = end == copy + o;
	if (copy != small)
		free(copy);
	return complete ? 0 : 1;
}

/* Converts number text with a fraction or exponent that lex_number
 * accepted, with strtod as jansson does, so the double is the same.
 * Returns 0, -1 when it overflows a double (underflow to a subnormal or
 * zero is accepted), or -2 when memory runs out. */
static int real_value(const char *t, size_t n, double *out)
{
	int range_error = 0;
	int rc = run_strtod(t, n, NULL, out, &range_error);
	if (rc == 1)
		/* strtod stopped at the '.': the locale's decimal point differs. */
		rc = run_strtod(t, n, localeconv()->decimal_point, out, &range_error);
	if (rc < 0)
		return -2;
	if (range_error && (*out == HUGE_VAL || *out == -HUGE_VAL))
		return -1;
	return 0;
}

/* ---- names and duplicates ----------------------------------------------- */

static uint32_t name_hash(const scanner *s, const char *bytes, uint32_t len)
{
	return (uint32_t)XXH3_64bits_withSeed(bytes, len, s->hash_seed);
}

/* Gives the innermost object a hash set over its names, sized for at least
 * min_count names at half load, in place of the set it may have. Returns
 * 0, or -1 when memory runs out. */
static int build_name_set(scanner *s, scan_frame *frame, uint32_t min_count)
{
	uint32_t slot_count = 32;
	while (slot_count < 2 * (uint64_t)min_count)
		slot_count *= 2;
	int had_set = frame->set_mask != 0;
	uint32_t start = had_set ? frame->set_start : s->set_used;
	while ((uint64_t)start + slot_count > s->set_cap) {
		uint32_t *grown = grow_array(s->set_slots, s->set_slots_inline, &s->set_cap,
		                             sizeof *grown);
		if (!grown)
			return -1;
		s->set_slots = grown;
	}
	uint32_t *set = s->set_slots + start;
	memset(set, 0, (size_t)slot_count * sizeof *set);
	uint32_t mask = slot_count - 1;
	for (uint32_t n = frame->first_name; n < s->name_count; n++) {
		scan_name *name = &s->names[n];
		if (!had_set)
			name->hash = name_hash(s, name->bytes, name->len);
		uint32_t i = name->hash & mask;
		while (set[i] != 0)
			i = (i + 1) & mask;
		set[i] = n + 1;
	}
	frame->set_start = start;
	frame->set_mask = mask;
	s->set_used = start + slot_count;
	return 0;
}

/* Adds a name to the innermost object. Returns 1 when the object has it
 * already, 0 when it was added, -1 when memory runs out. */
static int add_name(scanner *s, scan_frame *frame, const char *bytes, uint32_t len)
{
	uint32_t count = s->name_count - frame->first_name;
	uint32_t hash = 0;
	uint32_t slot = 0;

	if (frame->set_mask == 0 && count < LINEAR_NAMES) {
		for (uint32_t n = frame->first_name; n < s->name_count; n++)
			if (s->names[n].len == len && memcmp(s->names[n].bytes, bytes, len) == 0)
				return 1;
	} else {
		if (frame->set_mask == 0 && build_name_set(s, frame, count + 1) != 0)
			return -1;
		const uint32_t *set = s->set_slots + frame->set_start;
		hash = name_hash(s, bytes, len);
		for (slot = hash & frame->set_mask; set[slot] != 0; slot = (slot + 1) & frame->set_mask) {
			const scan_name *other = &s->names[set[slot] - 1];
			if (other->hash == hash && other->len == len && memcmp(other->bytes, bytes, len) == 0)
				return 1;
		}
	}

	if (s->name_count == s->name_cap) {
		scan_name *grown = grow_array(s->names, s->names_inline, &s->name_cap, sizeof *grown);
		if (!grown)
			return -1;
		s->names = grown;
	}
	scan_name *name = &s->names[s->name_count];
	name->bytes = bytes;
	name->len = len;
	name->hash = hash;
	s->name_count++;

	if (frame->set_mask != 0) {
		s->set_slots[frame->set_start + slot] = s->name_count;
		if (2 * (uint64_t)(count + 1) > frame->set_mask + 1 &&
		    build_name_set(s, frame, 2 * (count + 1)) != 0)
			return -1;
	}
	return 0;
}

/* Appends the node of an indexed member: its path is the parent's path, a
 * '.', and the name (just the name at the top level). */
static int add_node(scanner *s, const scan_frame *frame, const char *name, uint32_t name_len,
                    uint32_t *index)
{
	const char *prefix = NULL;
	uint32_t prefix_len = 0;
	if (frame->node != NO_NODE) {
		prefix = s->nodes[frame->node].path;
		prefix_len = s->nodes[frame->node].path_len;
	}
	size_t path_len = prefix ? (size_t)prefix_len + 1 + name_len : name_len;
	char *path = store_reserve(s, path_len + 1);
	if (!path)
		return fail_nomem(s);
	if (prefix) {
		memcpy(path, prefix, prefix_len);
		path[prefix_len] = '.';
		memcpy(path + prefix_len + 1, name, name_len);
	} else {
		memcpy(path, name, name_len);
	}
	path[path_len] = '\0';
	store_commit(s, path_len + 1);

	if (s->node_count == s->node_cap) {
		skr_claim_node *grown = grow_array(s->nodes, s->nodes_inline, &s->node_cap, sizeof *grown);
		if (!grown)
			return fail_nomem(s);
		s->nodes = grown;
	}
	skr_claim_node *node = &s->nodes[s->node_count];
	node->id = skr_claim_id(path, path_len);
	node->path = path;
	node->path_len = (uint32_t)path_len;
	memset(&node->value, 0, sizeof node->value);
	*index = s->node_count++;
	return 0;
}

/* ---- values ------------------------------------------------------------- */

/* Opens the object or array at s->pos, the value of node target (or of no
 * node). The top-level object is depth 1. */
static int open_container(scanner *s, uint32_t target, int is_object)
{
	s->depth++;
	if (s->depth > s->limits->claims_depth)
		cross_limit(s, LIMIT_DEPTH, s->pos, 1);
	if (s->depth > s->frame_cap) {
		scan_frame *grown = grow_array(s->frames, s->frames_inline, &s->frame_cap, sizeof *grown);
		if (!grown)
			return fail_nomem(s);
		s->frames = grown;
	}
	scan_frame *frame = &s->frames[s->depth - 1];
	frame->node = target;
	frame->first_name = s->name_count;
	frame->set_start = 0;
	frame->set_mask = 0;
	frame->is_object = (uint8_t)is_object;
	frame->indexed = is_object && s->indexing && (s->depth == 1 || target != NO_NODE);
	if (target != NO_NODE)
		s->nodes[target].value.type = is_object ? SKR_TYPE_OBJECT : SKR_TYPE_ARRAY;
	s->pos++;
	return 0;
}

static void close_container(scanner *s)
{
	scan_frame *frame = &s->frames[s->depth - 1];
	if (frame->set_mask != 0)
		s->set_used = frame->set_start;
	s->name_count = frame->first_name;
	s->depth--;
	s->pos++;
}

static int scan_string_value(scanner *s, uint32_t target)
{
	size_t open = s->pos;
	string_scan scanned;
	if (scan_string(s, &scanned) != 0)
		return -1;
	if (target != NO_NODE) {
		skr_claim_value *value = &s->nodes[target].value;
		uint32_t len = 0;
		const char *str = store_string(s, open, &scanned, &len);
		if (!str)
			return fail_nomem(s);
		value->type = SKR_TYPE_STRING;
		value->str = str;
		value->len = len;
		skr_claims_set_string_views(value);
	}
	s->pos = scanned.end + 1;
	return 0;
}

/* Reports a number that breaks the grammar, quoting the run of bytes that
 * can belong to a number. */
static int fail_number_syntax(scanner *s)
{
	size_t end = s->pos + 1;
	while (end < s->len && end - s->pos < QUOTE_MAX &&
	       (is_digit((unsigned char)s->text[end]) || strchr("+-.eE", s->text[end]) != NULL))
		end++;
	return fail(s, "claims-json", s->pos, end - s->pos,
	            "invalid number %.*s in the %s: JSON numbers have no leading zeros, "
	            "no '+', and digits on both sides of '.' and after 'e'",
	            (int)(end - s->pos), s->text + s->pos, s->document);
}

/* Converts the number lex_number accepted at s->pos. A value outside int64
 * or a double overflow is an error even where nothing is indexed. */
static int number_value(scanner *s, const number_scan *scanned, skr_claim_value *value)
{
	const char *t = s->text + s->pos;
	size_t n = scanned->end - s->pos;
	if (!scanned->is_real) {
		int64_t i = 0;
		if (integer_value(t, n, &i) != 0)
			return fail(s, "claims-json", s->pos, n,
			            "integer %.*s%s in the %s is outside the int64 range",
			            skr_claims_quote_length(t, n), t, skr_claims_quote_ellipsis(n), s->document);
		if (value) {
			value->type = SKR_TYPE_INT;
			value->num = SKR_NUM_INT;
			value->n.i = i;
		}
		return 0;
	}

	double d = 0.0;
	int rc = real_value(t, n, &d);
	if (rc == -2)
		return fail_nomem(s);
	if (rc != 0)
		return fail(s, "claims-json", s->pos, n, "number %.*s%s in the %s overflows a double",
		            skr_claims_quote_length(t, n), t, skr_claims_quote_ellipsis(n), s->document);
	if (value) {
		value->type = SKR_TYPE_DOUBLE;
		value->num = SKR_NUM_DOUBLE;
		value->n.d = d;
	}
	return 0;
}

static int scan_number_value(scanner *s, uint32_t target)
{
	number_scan scanned;
	lex_number((const unsigned char *)s->text, s->len, s->pos, &scanned);
	if (!scanned.valid)
		return fail_number_syntax(s);
	skr_claim_value *value = target != NO_NODE ? &s->nodes[target].value : NULL;
	if (number_value(s, &scanned, value) != 0)
		return -1;
	s->pos = scanned.end;
	return 0;
}

/* Matches the literal true, false or null at s->pos. */
static int scan_literal(scanner *s, uint32_t target)
{
	static const struct {
		const char *word;
		size_t len;
		uint8_t type;
		uint8_t boolean;
	} literals[] = {
		{ "true", 4, SKR_TYPE_TRUE, SKR_BOOL_TRUE },
		{ "false", 5, SKR_TYPE_FALSE, SKR_BOOL_FALSE },
		{ "null", 4, SKR_TYPE_NULL, SKR_BOOL_NONE },
	};
	for (size_t l = 0; l < sizeof literals / sizeof literals[0]; l++) {
		if (s->len - s->pos < literals[l].len ||
		    memcmp(s->text + s->pos, literals[l].word, literals[l].len) != 0)
			continue;
		if (target != NO_NODE) {
			s->nodes[target].value.type = literals[l].type;
			s->nodes[target].value.boolean = literals[l].boolean;
		}
		s->pos += literals[l].len;
		return 0;
	}
	return fail_unexpected(s, "a value");
}

/* ---- document ----------------------------------------------------------- */

/* What the scanner expects next. */
typedef enum scan_state {
	EXPECT_VALUE,
	EXPECT_MEMBER,
	AFTER_VALUE
} scan_state;

static inline void skip_blank(scanner *s)
{
	while (s->pos < s->len) {
		char c = s->text[s->pos];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			return;
		s->pos++;
	}
}

/* Scans the value at s->pos, the value of node target (or of no node),
 * and sets *state to what follows it. An object or array is only opened
 * here: its contents are scanned by later steps. */
static int scan_value(scanner *s, uint32_t target, scan_state *state)
{
	if (s->pos >= s->len)
		return fail_unexpected(s, "a value");
	*state = AFTER_VALUE;
	switch (s->text[s->pos]) {
	case '{':
		if (open_container(s, target, 1) != 0)
			return -1;
		skip_blank(s);
		if (s->pos < s->len && s->text[s->pos] == '}')
			close_container(s);
		else
			*state = EXPECT_MEMBER;
		return 0;
	case '[':
		if (open_container(s, target, 0) != 0)
			return -1;
		skip_blank(s);
		if (s->pos < s->len && s->text[s->pos] == ']')
			close_container(s);
		else
			*state = EXPECT_VALUE;
		return 0;
	case '"':
		return scan_string_value(s, target);
	case 't':
	case 'f':
	case 'n':
		return scan_literal(s, target);
	default:
		if (s->text[s->pos] == '-' || is_digit((unsigned char)s->text[s->pos]))
			return scan_number_value(s, target);
		return fail_unexpected(s, "a value");
	}
}

/* Scans a member name and the ':' after it. Sets *target to the member's
 * new node when it is indexed, else to NO_NODE. */
static int scan_member(scanner *s, uint32_t *target)
{
	scan_frame *frame = &s->frames[s->depth - 1];
	if (s->pos >= s->len || s->text[s->pos] != '"')
		return fail_unexpected(s, "a member name in double quotes");

	size_t open = s->pos;
	string_scan scanned;
	if (scan_string(s, &scanned) != 0)
		return -1;
	size_t token_len = scanned.end + 1 - open;
	const char *token = s->text + open;

	const char *name = s->text + open + 1;
	uint32_t name_len = (uint32_t)(scanned.end - open - 1);
	if (scanned.escaped) {
		name = store_string(s, open, &scanned, &name_len);
		if (!name)
			return fail_nomem(s);
	}
	if (scanned.nul)
		return fail(s, "claims-nul-name", open, token_len,
		            "member name %.*s%s contains U+0000, which %s does not allow in names",
		            skr_claims_quote_length(token, token_len), token,
		            skr_claims_quote_ellipsis(token_len), s->document);

	int seen = add_name(s, frame, name, name_len);
	if (seen < 0)
		return fail_nomem(s);
	if (seen)
		return fail(s, "claims-json", open, token_len, "duplicate member name %.*s%s in the %s",
		            skr_claims_quote_length(token, token_len), token,
		            skr_claims_quote_ellipsis(token_len), s->document);

	s->members++;
	if (s->members > s->limits->claims_members)
		cross_limit(s, LIMIT_MEMBERS, open, token_len);

	/* A dotted path never reaches a member whose name contains a '.', nor
	 * anything below it. */
	*target = NO_NODE;
	if (frame->indexed && s->indexing && memchr(name, '.', name_len) == NULL) {
		if (add_node(s, frame, name, name_len, target) != 0)
			return -1;
		if (s->depth == 1 && name_len == 3 && memcmp(name, "iss", 3) == 0)
			s->iss_node = *target;
	}

	s->pos = scanned.end + 1;
	skip_blank(s);
	if (s->pos >= s->len || s->text[s->pos] != ':')
		return fail_unexpected(s, "':' after the member name");
	s->pos++;
	return 0;
}

/* Handles what follows a value inside a container: ',' or its end. */
static int scan_after_value(scanner *s, scan_state *state)
{
	const scan_frame *frame = &s->frames[s->depth - 1];
	if (s->pos < s->len && s->text[s->pos] == ',') {
		s->pos++;
		*state = frame->is_object ? EXPECT_MEMBER : EXPECT_VALUE;
		return 0;
	}
	if (s->pos < s->len && s->text[s->pos] == (frame->is_object ? '}' : ']')) {
		close_container(s);
		*state = AFTER_VALUE;
		return 0;
	}
	if (frame->is_object)
		return fail_unexpected(s, "',' or '}' after a member");
	return fail_unexpected(s, "',' or ']' after an array element");
}

static int fail_nesting(scanner *s)
{
	if (s->limit != LIMIT_NONE)
		return fail_limit(s);
	return fail(s, "claims-depth", s->pos, s->pos < s->len ? 1 : 0,
	            "%s nests deeper than %u levels, the maximum the claims parser supports",
	            s->document, MAX_NESTING);
}

/* Rejects a value nested inside MAX_NESTING containers with the code the
 * reference gives. jansson lexes the value's first token before it checks
 * the depth. An error inside that token (a bad string, a number that
 * overflows, invalid UTF-8 where the lexer stops reading) is therefore a
 * claims-json error, and so is the end of the input inside an array.
 * Anything else is a depth error. */
static int fail_past_max_nesting(scanner *s)
{
	const unsigned char *t = (const unsigned char *)s->text;
	const scan_frame *frame = &s->frames[s->depth - 1];
	if (s->pos >= s->len)
		return frame->is_object ? fail_nesting(s) : fail_unexpected(s, "a value or ']'");

	unsigned char c = t[s->pos];
	size_t stop = s->pos;   /* the byte where jansson stops reading the token */
	if (c == '"') {
		string_scan scanned;
		if (scan_string(s, &scanned) != 0)
			return -1;
		return fail_nesting(s);
	}
	if (c == '-' || is_digit(c)) {
		number_scan scanned;
		lex_number(t, s->len, s->pos, &scanned);
		stop = scanned.end;
		if (stop < s->len && t[stop] >= 0x80 && skr_utf8_sequence(t + stop, s->len - stop) == 0)
			return fail_utf8(s, stop);
		if (scanned.valid && number_value(s, &scanned, NULL) != 0)
			return -1;
		return fail_nesting(s);
	}
	if (is_letter(c)) {
		while (stop < s->len && is_letter(t[stop]))
			stop++;
	}
	if (stop < s->len && t[stop] >= 0x80 && skr_utf8_sequence(t + stop, s->len - stop) == 0)
		return fail_utf8(s, stop);
	return fail_nesting(s);
}

/* Scans the top-level value and everything in it. */
static int scan_document(scanner *s)
{
	scan_state state = EXPECT_VALUE;
	uint32_t target = NO_NODE;
	for (;;) {
		skip_blank(s);
		switch (state) {
		case EXPECT_VALUE:
			if (s->depth == MAX_NESTING)
				return fail_past_max_nesting(s);
			if (scan_value(s, target, &state) != 0)
				return -1;
			target = NO_NODE;
			break;
		case EXPECT_MEMBER:
			if (scan_member(s, &target) != 0)
				return -1;
			state = EXPECT_VALUE;
			break;
		case AFTER_VALUE:
			if (s->depth == 0)
				return 0;
			if (scan_after_value(s, &state) != 0)
				return -1;
			break;
		}
	}
}

static int fail_not_object(scanner *s, size_t start)
{
	size_t end = s->len;
	while (end > start && strchr(" \t\n\r", s->text[end - 1]) != NULL)
		end--;
	const char *type;
	switch (s->text[start]) {
	case '"':
		return fail(s, "claims-not-object", start, end - start,
		            "%s must be an object, not a string, which usually means it was JSON-encoded twice",
		            s->document);
	case '[': type = "an array"; break;
	case 't':
	case 'f': type = "a boolean"; break;
	case 'n': type = "null"; break;
	default: type = "a number"; break;
	}
	return fail(s, "claims-not-object", start, end - start,
	            "%s must be an object, not %s", s->document, type);
}

/* Moves the nodes into the index's arena with their exact count and builds
 * the slot table. */
static int finish_index(scanner *s)
{
	skr_claims *claims = s->claims;
	if (claims->keep != NULL) {
		claims->nodes = s->nodes;
	} else if (s->node_count > 0) {
		claims->nodes = skr_arena_alloc(&claims->arena, (size_t)s->node_count * sizeof *claims->nodes);
		if (!claims->nodes)
			return fail_nomem(s);
		memcpy(claims->nodes, s->nodes, (size_t)s->node_count * sizeof *claims->nodes);
	}
	claims->count = s->node_count;
	if (s->iss_node != NO_NODE && claims->nodes[s->iss_node].value.type == SKR_TYPE_STRING)
		claims->iss = &claims->nodes[s->iss_node];
	if (skr_claims_build_table(claims) != SKR_OK)
		return fail_nomem(s);
	return 0;
}

static int scan_claims(scanner *s)
{
	skip_blank(s);
	if (s->pos >= s->len)
		return fail(s, "claims-json", 0, 0, "%s is empty, but it must be an object",
		            s->document);
	size_t start = s->pos;
	if (scan_document(s) != 0)
		return -1;
	skip_blank(s);
	if (s->pos < s->len)
		return fail(s, "claims-json", s->pos, 1,
		            "unexpected text after the end of the top-level %s value", s->document);
	if (s->text[start] != '{')
		return fail_not_object(s, start);
	if (s->limit != LIMIT_NONE)
		return fail_limit(s);
	return finish_index(s);
}

/* Work memory of a reusable index: the scanner's arrays, grown to the
 * largest input seen so far. The index's nodes stay in the node array, so
 * a reused index never copies them. */
typedef struct skr_claims_keep {
	skr_claim_node *nodes;
	uint32_t node_cap;
	scan_name *names;
	uint32_t name_cap;
	uint32_t *set_slots;
	uint32_t set_cap;
	scan_frame *frames;
	uint32_t frame_cap;
	size_t reserve;      /* arena bytes kept from the start */
} skr_claims_keep;

static void scanner_init(scanner *s, const char *json, size_t len, const skr_limits *limits,
                         const char *document, skr_diags *diags)
{
	/* The inline arrays need no initialisation, so only the fields before
	 * them are cleared. */
	memset(s, 0, offsetof(scanner, frames_inline));
	s->text = json;
	s->len = len;
	s->src.text = json;
	s->src.len = len;
	s->limits = limits;
	s->diags = diags;
	s->document = document;
	s->status = SKR_OK;
	s->store_chunk = len + len / 2 + STORE_FIRST_EXTRA;
	s->nodes = s->nodes_inline;
	s->node_cap = NODES_INLINE;
	s->iss_node = NO_NODE;
	s->names = s->names_inline;
	s->name_cap = NAMES_INLINE;
	/* The seed only spreads names that a sender chose to collide in the
	 * duplicate check, and any value gives the same result. The stack
	 * address differs between processes where addresses are randomised. */
	s->hash_seed = (uint64_t)(uintptr_t)s;
	s->set_slots = s->set_slots_inline;
	s->set_cap = SET_SLOTS_INLINE;
	s->frames = s->frames_inline;
	s->frame_cap = FRAMES_INLINE;
	s->indexing = 1;
}

/* Hands a reusable index's work arrays to the scanner. They are never
 * smaller than the inline ones, and grow with realloc. */
static void scanner_use_keep(scanner *s, skr_claims_keep *keep)
{
	s->nodes = keep->nodes;
	s->node_cap = keep->node_cap;
	s->names = keep->names;
	s->name_cap = keep->name_cap;
	s->set_slots = keep->set_slots;
	s->set_cap = keep->set_cap;
	s->frames = keep->frames;
	s->frame_cap = keep->frame_cap;
}

/* Takes the work arrays back after a parse, grown or not. */
static void scanner_return_keep(scanner *s, skr_claims_keep *keep)
{
	keep->nodes = s->nodes;
	keep->node_cap = s->node_cap;
	keep->names = s->names;
	keep->name_cap = s->name_cap;
	keep->set_slots = s->set_slots;
	keep->set_cap = s->set_cap;
	keep->frames = s->frames;
	keep->frame_cap = s->frame_cap;
}

static void scanner_release(scanner *s)
{
	if (s->set_slots != s->set_slots_inline)
		free(s->set_slots);
	if (s->frames != s->frames_inline)
		free(s->frames);
	if (s->names != s->names_inline)
		free(s->names);
	if (s->nodes != s->nodes_inline)
		free(s->nodes);
}

/* ---- public API --------------------------------------------------------- */

skr_status skr_claims_parse(const char *json, size_t len, const skr_limits *limits,
                            skr_diags *diags, skr_claims **out)
{
	return skr_claims_parse_document(json, len, limits, SKR_CLAIMS_DOCUMENT, diags, out);
}

skr_status skr_claims_parse_document(const char *json, size_t len, const skr_limits *limits,
                                     const char *document, skr_diags *diags, skr_claims **out)
{
	skr_limits defaults;
	skr_status checked =
		skr_claims_check_input(&json, len, &limits, &defaults, document, diags, out);
	if (checked != SKR_OK)
		return checked;

	scanner s;
	scanner_init(&s, json, len, limits, document, diags);
	s.claims = skr_claims_new();
	if (!s.claims)
		fail_nomem(&s);
	else
		scan_claims(&s);
	scanner_release(&s);

	if (s.status != SKR_OK) {
		skr_claims_free(s.claims);
		return s.status;
	}
	*out = s.claims;
	return SKR_OK;
}

/* Slot table of an empty index, for a reusable index after a failed parse. */
static uint32_t empty_slots[1];

static void clear_index(skr_claims *claims)
{
	claims->nodes = NULL;
	claims->count = 0;
	claims->slots = empty_slots;
	claims->mask = 0;
	claims->iss = NULL;
}

static void keep_free(skr_claims_keep *keep)
{
	if (!keep)
		return;
	free(keep->nodes);
	free(keep->names);
	free(keep->set_slots);
	free(keep->frames);
	free(keep);
}

skr_claims *skr_claims_new_reusable(size_t reserve_bytes)
{
	skr_claims *claims = skr_claims_new();
	skr_claims_keep *keep = calloc(1, sizeof *keep);
	if (!claims || !keep)
		goto fail;
	claims->keep = keep;
	/* The work arrays start at twice the inline capacities, which covers
	 * the real MAA payloads, so the scanner never uses its inline arrays
	 * with a reusable index. */
	keep->node_cap = 2 * NODES_INLINE;
	keep->name_cap = 2 * NAMES_INLINE;
	keep->set_cap = 2 * SET_SLOTS_INLINE;
	keep->frame_cap = 2 * FRAMES_INLINE;
	keep->nodes = malloc(keep->node_cap * sizeof *keep->nodes);
	keep->names = malloc(keep->name_cap * sizeof *keep->names);
	keep->set_slots = malloc(keep->set_cap * sizeof *keep->set_slots);
	keep->frames = malloc(keep->frame_cap * sizeof *keep->frames);
	if (!keep->nodes || !keep->names || !keep->set_slots || !keep->frames)
		goto fail;
	/* The strings and paths of a payload take at most about twice its
	 * size (see STORE_FIRST_EXTRA), and the slot table a little more. */
	keep->reserve = reserve_bytes * 2 + STORE_FIRST_EXTRA + 2 * SET_SLOTS_INLINE * sizeof(uint32_t);
	skr_arena_reset(&claims->arena, keep->reserve);
	if (!claims->arena.head)
		goto fail;
	clear_index(claims);
	return claims;
fail:
	if (claims) {
		claims->keep = keep;
		skr_claims_free(claims);
	} else {
		keep_free(keep);
	}
	return NULL;
}

skr_status skr_claims_reparse(skr_claims *claims, const char *json, size_t len,
                              const skr_limits *limits, skr_diags *diags)
{
	return skr_claims_reparse_document(claims, json, len, limits, SKR_CLAIMS_DOCUMENT, diags);
}

skr_status skr_claims_reparse_document(skr_claims *claims, const char *json, size_t len,
                                       const skr_limits *limits, const char *document,
                                       skr_diags *diags)
{
	if (!claims || !claims->keep)
		return SKR_E_USAGE;
	clear_index(claims);
	skr_arena_reset(&claims->arena, claims->keep->reserve);

	skr_limits defaults;
	skr_claims *unused;
	skr_status checked =
		skr_claims_check_input(&json, len, &limits, &defaults, document, diags, &unused);
	if (checked != SKR_OK)
		return checked;

	scanner s;
	scanner_init(&s, json, len, limits, document, diags);
	scanner_use_keep(&s, claims->keep);
	s.claims = claims;
	scan_claims(&s);
	scanner_return_keep(&s, claims->keep);
	if (s.status != SKR_OK) {
		clear_index(claims);
		return s.status;
	}
	return SKR_OK;
}

size_t skr_claims_copy_size(const skr_claims *claims)
{
	size_t size = (size_t)claims->count * sizeof *claims->nodes +
	              ((size_t)claims->mask + 1) * sizeof *claims->slots;
	for (uint32_t i = 0; i < claims->count; i++) {
		const skr_claim_node *node = &claims->nodes[i];
		size += (size_t)node->path_len + 1;
		if (node->value.str)
			size += (size_t)node->value.len + 1;
	}
	return size;
}

/* Copies n bytes and a NUL to *at, and returns the copy. */
static const char *copy_text(char **at, const char *text, size_t n)
{
	char *copy = *at;
	if (n > 0)
		memcpy(copy, text, n);
	copy[n] = '\0';
	*at += n + 1;
	return copy;
}

void skr_claims_copy(const skr_claims *claims, skr_claims *dst, void *mem)
{
	memset(dst, 0, sizeof *dst);
	skr_claim_node *nodes = mem;
	uint32_t *slots = (uint32_t *)(nodes + claims->count);
	size_t slot_count = (size_t)claims->mask + 1;
	char *text = (char *)(slots + slot_count);

	memcpy(slots, claims->slots, slot_count * sizeof *slots);
	for (uint32_t i = 0; i < claims->count; i++) {
		const skr_claim_node *from = &claims->nodes[i];
		nodes[i] = *from;
		nodes[i].path = copy_text(&text, from->path, from->path_len);
		if (from->value.str)
			nodes[i].value.str = copy_text(&text, from->value.str, from->value.len);
	}
	dst->nodes = nodes;
	dst->count = claims->count;
	dst->slots = slots;
	dst->mask = claims->mask;
	if (claims->iss)
		dst->iss = nodes + (claims->iss - claims->nodes);
}

void skr_claims_free(skr_claims *claims)
{
	if (!claims)
		return;
	skr_arena_free(&claims->arena);
	keep_free(claims->keep);
	free(claims);
}

int skr_claims_issuer(const skr_claims *claims, const char **text, size_t *len)
{
	if (!claims || !claims->iss)
		return 0;
	if (text)
		*text = claims->iss->value.str;
	if (len)
		*len = claims->iss->value.len;
	return 1;
}

int skr_claims_lookup(const skr_claims *claims, const char *path, size_t len,
                      skr_value_view *value)
{
	if (!claims || (!path && len > 0) || len > UINT32_MAX)
		return 0;
	if (!path)
		path = "";

	const skr_claim_value *found =
		skr_claims_find(claims, skr_claim_id(path, len), path, (uint32_t)len);
	if (!found)
		return 0;
	if (value) {
		value->type = (skr_type)found->type;
		value->str = found->str;
		value->len = found->len;
		value->i = found->type == SKR_TYPE_INT ? found->n.i : 0;
		value->d = found->type == SKR_TYPE_DOUBLE ? found->n.d : 0.0;
	}
	return 1;
}
