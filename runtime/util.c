/*
 * Internal helpers: arena, diagnostics, UTF-8, JSON numbers, exact
 * int64/double comparison and claim ids.
 */
#include "util.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* ---- arena -------------------------------------------------------------- */

struct skr_arena_block {
	skr_arena_block *next;
	/* Data follows, aligned by the union below. */
	union {
		max_align_t align;
		unsigned char bytes[1];
	} data;
};

#define ARENA_BLOCK_MIN 4096u
#define ARENA_ALIGN (sizeof(max_align_t))

void skr_arena_init(skr_arena *arena)
{
	memset(arena, 0, sizeof *arena);
}

void skr_arena_free(skr_arena *arena)
{
	skr_arena_block *block = arena->head;
	while (block) {
		skr_arena_block *next = block->next;
		free(block);
		block = next;
	}
	memset(arena, 0, sizeof *arena);
}

void *skr_arena_alloc(skr_arena *arena, size_t size)
{
	size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (rounded < size)
		return NULL;
	if (!arena->head || arena->size - arena->used < rounded) {
		size_t capacity = ARENA_BLOCK_MIN;
		while (capacity < rounded) {
			if (capacity > SIZE_MAX / 2)
				return NULL;
			capacity *= 2;
		}
		/* Grow geometrically so many small allocations cost few blocks. */
		if (arena->size > capacity && arena->size <= SIZE_MAX / 2)
			capacity = arena->size * 2;
		skr_arena_block *block = malloc(offsetof(skr_arena_block, data) + capacity);
		if (!block)
			return NULL;
		block->next = arena->head;
		arena->head = block;
		arena->size = capacity;
		arena->used = 0;
	}
	void *p = arena->head->data.bytes + arena->used;
	arena->used += rounded;
	arena->total += rounded;
	return p;
}

void skr_arena_reset(skr_arena *arena, size_t reserve)
{
	size_t need = arena->total > reserve ? arena->total : reserve;
	if (arena->head != NULL && arena->head->next == NULL && arena->size >= need) {
		arena->used = 0;
		arena->total = 0;
		return;
	}
	skr_arena_free(arena);
	if (need == 0 || need > SIZE_MAX / 2)
		return;
	/* A quarter more than the last use, so that a slightly larger input
	 * does not start a new block. */
	size_t capacity = need + need / 4;
	capacity = (capacity + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	skr_arena_block *block = malloc(offsetof(skr_arena_block, data) + capacity);
	if (!block)
		return;
	block->next = NULL;
	arena->head = block;
	arena->size = capacity;
}

char *skr_arena_strndup(skr_arena *arena, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *copy = skr_arena_alloc(arena, len + 1);
	if (!copy)
		return NULL;
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/* ---- status names and limits -------------------------------------------- */

const char *skr_version(void)
{
	return SKR_VERSION_STRING;
}

uint32_t skr_bytecode_version(void)
{
	return SKR_BYTECODE_VERSION;
}

const char *skr_status_name(skr_status status)
{
	switch (status) {
	case SKR_OK: return "ok";
	case SKR_E_USAGE: return "invalid_input";
	case SKR_E_POLICY: return "invalid_policy";
	case SKR_E_PROGRAM: return "invalid_program";
	case SKR_E_CLAIMS: return "invalid_claims";
	case SKR_E_TOKEN: return "token_rejected";
	case SKR_E_TRUST: return "invalid_trust_store";
	case SKR_E_NOMEM: return "out_of_memory";
	case SKR_E_INTERNAL: return "internal_error";
	}
	return "unknown_status";
}

void skr_limits_init(skr_limits *limits)
{
	limits->policy_bytes = SKR_DEFAULT_POLICY_BYTES;
	limits->depth = SKR_DEFAULT_DEPTH;
	limits->authorities = SKR_DEFAULT_AUTHORITIES;
	limits->conditions = SKR_DEFAULT_CONDITIONS;
	limits->token_bytes = SKR_DEFAULT_TOKEN_BYTES;
	limits->claims_depth = SKR_DEFAULT_CLAIMS_DEPTH;
	limits->claims_members = SKR_DEFAULT_CLAIMS_MEMBERS;
}

void skr_buffer_free(skr_buffer *buffer)
{
	if (!buffer)
		return;
	free(buffer->data);
	buffer->data = NULL;
	buffer->len = 0;
}

/* ---- UTF-8 -------------------------------------------------------------- */

size_t skr_utf8_sequence(const unsigned char *s, size_t avail)
{
	if (avail == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2; min = 0x80; cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3; min = 0x800; cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4; min = 0x10000; cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* ---- diagnostics -------------------------------------------------------- */

void skr_diags_init(skr_diags *diags)
{
	memset(diags, 0, sizeof *diags);
}

void skr_diags_free(skr_diags *diags)
{
	if (!diags)
		return;
	for (size_t i = 0; i < diags->count; i++)
		free(diags->items[i].message);
	free(diags->items);
	memset(diags, 0, sizeof *diags);
}

void skr_source_position(const skr_source *src, size_t offset, uint32_t *line,
                         uint32_t *column)
{
	*line = 0;
	*column = 0;
	if (!src || !src->text)
		return;
	if (offset > src->len)
		offset = src->len;
	uint32_t l = 1, c = 1;
	const unsigned char *p = (const unsigned char *)src->text;
	for (size_t i = 0; i < offset; i++) {
		if (p[i] == '\n') {
			l++;
			c = 1;
		} else if ((p[i] & 0xC0) != 0x80) {
			/* Count code points: continuation bytes do not start a column. */
			c++;
		}
	}
	*line = l;
	*column = c;
}

void skr_diag_vadd(skr_diags *diags, const skr_source *src, skr_severity severity,
                   const char *code, size_t offset, size_t length,
                   const char *fmt, va_list ap)
{
	if (!diags)
		return;
	if (severity == SKR_SEV_ERROR)
		diags->errors++;
	else if (severity == SKR_SEV_WARNING)
		diags->warnings++;

	char *message = NULL;
	va_list copy;
	va_copy(copy, ap);
	int needed = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (needed >= 0) {
		message = malloc((size_t)needed + 1);
		if (message)
			vsnprintf(message, (size_t)needed + 1, fmt, ap);
	}
	if (!message) {
		diags->truncated = 1;
		return;
	}
	/* A message is one line: a control character from quoted input (a
	 * parser's error text, say) becomes a space, so nothing a document
	 * holds can break the rendering or forge another line. */
	for (char *c = message; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7F)
			*c = ' ';
	}
	if (diags->count == diags->capacity) {
		size_t capacity = diags->capacity ? diags->capacity * 2 : 8;
		skr_diag *items = realloc(diags->items, capacity * sizeof *items);
		if (!items) {
			free(message);
			diags->truncated = 1;
			return;
		}
		diags->items = items;
		diags->capacity = capacity;
	}
	skr_diag *d = &diags->items[diags->count++];
	d->severity = severity;
	d->code = code;
	d->offset = offset;
	d->length = length;
	d->message = message;
	skr_source_position(src, offset, &d->line, &d->column);
}

void skr_diag_add(skr_diags *diags, const skr_source *src, skr_severity severity,
                  const char *code, size_t offset, size_t length,
                  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(diags, src, severity, code, offset, length, fmt, ap);
	va_end(ap);
}

/* Appends to buf as snprintf would, tracking the total length needed. */
typedef struct render_out {
	char *buf;
	size_t cap;
	size_t len;
} render_out;

static void render_bytes(render_out *out, const char *s, size_t n)
{
	if (out->len < out->cap) {
		size_t room = out->cap - out->len;
		size_t copy = n < room ? n : room;
		memcpy(out->buf + out->len, s, copy);
	}
	out->len += n;
}

static void render_str(render_out *out, const char *s)
{
	render_bytes(out, s, strlen(s));
}

static const char *severity_word(skr_severity severity)
{
	switch (severity) {
	case SKR_SEV_ERROR: return "error";
	case SKR_SEV_WARNING: return "warning";
	case SKR_SEV_NOTE: return "note";
	}
	return "error";
}

/* Writes the source line holding the diagnostic and a caret line under its
 * span. Tabs are repeated in the caret line so the caret lines up. Bytes
 * that are not printable (control characters, invalid UTF-8) are shown as
 * '?' so the terminal shows exactly one column for each. */
static void render_source_line(render_out *out, const skr_diag *diag,
                               const char *src, size_t src_len)
{
	size_t offset = diag->offset <= src_len ? diag->offset : src_len;
	size_t start = offset;
	while (start > 0 && src[start - 1] != '\n')
		start--;
	size_t end = offset;
	while (end < src_len && src[end] != '\n' && src[end] != '\r')
		end++;
	/* Cap very long lines (a minified policy) to a window around the span. */
	const size_t window = 160;
	size_t shown_start = start;
	if (offset - start > window / 2)
		shown_start = offset - window / 2;
	while (shown_start > start && ((unsigned char)src[shown_start] & 0xC0) == 0x80)
		shown_start--;
	size_t shown_end = end;
	if (shown_end - shown_start > window)
		shown_end = shown_start + window;
	while (shown_end < end && ((unsigned char)src[shown_end] & 0xC0) == 0x80)
		shown_end++;

	render_str(out, "    ");
	if (shown_start > start)
		render_str(out, "...");
	const unsigned char *p = (const unsigned char *)src;
	size_t i = shown_start;
	while (i < shown_end) {
		size_t n = skr_utf8_sequence(p + i, shown_end - i);
		if (n == 1 && p[i] != '\t' && (p[i] < 0x20 || p[i] == 0x7F))
			n = 0;
		if (n == 0) {
			render_bytes(out, "?", 1);
			i++;
		} else {
			render_bytes(out, src + i, n);
			i += n;
		}
	}
	if (shown_end < end)
		render_str(out, "...");
	render_str(out, "\n    ");
	if (shown_start > start)
		render_str(out, "   ");
	for (i = shown_start; i < offset && i < shown_end; i++) {
		if (p[i] == '\t')
			render_bytes(out, "\t", 1);
		else if ((p[i] & 0xC0) != 0x80)
			render_bytes(out, " ", 1);
	}
	render_bytes(out, "^", 1);
	size_t span_end = diag->offset + diag->length;
	if (span_end > shown_end)
		span_end = shown_end;
	for (i = offset + 1; i < span_end; i++) {
		if ((p[i] & 0xC0) != 0x80 && p[i] != '\n')
			render_bytes(out, "~", 1);
	}
	/* Lines past the first of a multi-line span are not underlined. */
}

size_t skr_diag_render(const skr_diag *diag, const char *name,
                       const char *src, size_t src_len, char *buf, size_t cap)
{
	render_out out = { buf, cap, 0 };
	char position[48];
	render_str(&out, name ? name : "<input>");
	if (diag->line > 0) {
		snprintf(position, sizeof position, ":%u:%u", (unsigned)diag->line,
		         (unsigned)diag->column);
		render_str(&out, position);
	}
	render_str(&out, ": ");
	render_str(&out, severity_word(diag->severity));
	render_str(&out, ": ");
	render_str(&out, diag->message ? diag->message : "");
	if (diag->code) {
		render_str(&out, " [");
		render_str(&out, diag->code);
		render_str(&out, "]");
	}
	if (src && diag->line > 0) {
		render_str(&out, "\n");
		render_source_line(&out, diag, src, src_len);
	}
	if (cap > 0)
		buf[out.len < cap ? out.len : cap - 1] = '\0';
	return out.len;
}

/* ---- JSON numbers ------------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Checks the RFC 8259 number grammar:
 *   number = [ "-" ] int [ frac ] [ exp ]
 *   int    = "0" / ( digit1-9 *DIGIT )
 * and reports whether a fraction or exponent was present. */
static int json_number_grammar(const char *s, size_t len, int *has_frac_or_exp)
{
	size_t i = 0;
	*has_frac_or_exp = 0;
	if (i < len && s[i] == '-')
		i++;
	if (i >= len)
		return 0;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < len && is_digit(s[i]))
			i++;
	} else {
		return 0;
	}
	if (i < len && s[i] == '.') {
		*has_frac_or_exp = 1;
		i++;
		if (i >= len || !is_digit(s[i]))
			return 0;
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		*has_frac_or_exp = 1;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !is_digit(s[i]))
			return 0;
		while (i < len && is_digit(s[i]))
			i++;
	}
	return i == len;
}

int skr_parse_json_number(const char *text, size_t len, int *is_int,
                          int64_t *i, double *d)
{
	int frac;
	if (!json_number_grammar(text, len, &frac))
		return 1;
	/* The grammar guarantees plain ASCII digits, so a bounded copy suffices
	 * for strtod; very long numbers are still valid JSON and go through a
	 * heap copy. */
	char small[64];
	char *copy = small;
	if (len >= sizeof small) {
		copy = malloc(len + 1);
		if (!copy)
			return 1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	int rc = 0;
	if (!frac) {
		/* Accumulate negatively so INT64_MIN is reached without overflow. */
		const char *p = copy;
		int negative = 0;
		if (*p == '-') {
			negative = 1;
			p++;
		}
		int64_t v = 0;
		for (; *p; p++) {
			int digit = *p - '0';
			if (v < (INT64_MIN + digit) / 10) {
				rc = 2;
				break;
			}
			v = v * 10 - digit;
		}
		if (rc == 0) {
			if (!negative) {
				if (v == INT64_MIN)
					rc = 2;
				else
					v = -v;
			}
		}
		if (rc == 0) {
			*is_int = 1;
			*i = v;
			*d = (double)v;
		}
	} else {
		errno = 0;
		char *end = NULL;
		double v = strtod(copy, &end);
		if (end != copy + len) {
			/* strtod follows the program's locale. Under one with a
			 * decimal comma it stops at the '.', so retry with the
			 * locale's decimal point in its place. */
			const char *point = localeconv()->decimal_point;
			char *dot = strchr(copy, '.');
			if (dot && point && point[0] && !point[1]) {
				*dot = point[0];
				v = strtod(copy, &end);
				*dot = '.';
			}
		}
		if (isinf(v)) {
			rc = 3;
		} else {
			/* ERANGE with a finite result is underflow, which JSON allows. */
			*is_int = 0;
			*d = v;
			*i = 0;
		}
	}
	if (copy != small)
		free(copy);
	return rc;
}

int skr_compare_int_double(int64_t i, double d)
{
	/* 2^63 is exactly representable; every double at or above it exceeds
	 * any int64, and every double below -2^63 is below any int64. */
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	double t = trunc(d);
	int64_t ti = (int64_t)t; /* exact: |t| < 2^63 and t is integral */
	if (i < ti)
		return -1;
	if (i > ti)
		return 1;
	/* Same integer part: the fraction decides. */
	if (d > t)
		return -1;
	if (d < t)
		return 1;
	return 0;
}

int skr_format_double(double d, char *buf, size_t cap)
{
	int n = 0;
	for (int digits = 15; digits <= 17; digits++) {
		n = snprintf(buf, cap, "%.*g", digits, d);
		if (n < 0 || (size_t)n >= cap || strtod(buf, NULL) == d)
			break;
	}
	return n;
}

uint64_t skr_claim_id(const char *path, size_t len)
{
	return XXH3_64bits(path, len);
}
