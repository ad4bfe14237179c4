/*
 * Internal helpers shared by every part of the library: an arena for
 * front-end and index data, diagnostics, and checked arithmetic.
 */
#ifndef SKR_UTIL_H
#define SKR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "skr.h"

#if defined(__GNUC__) || defined(__clang__)
#define SKR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SKR_LIKELY(x) __builtin_expect(!!(x), 1)
#define SKR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SKR_PRINTF(f, a)
#define SKR_LIKELY(x) (x)
#define SKR_UNLIKELY(x) (x)
#endif

/* Bump allocator. Blocks are freed all at once by skr_arena_free. Returns
 * NULL when malloc fails; memory is aligned for any scalar type. */
typedef struct skr_arena_block skr_arena_block;
typedef struct skr_arena {
	skr_arena_block *head;
	size_t used;       /* bytes used in head */
	size_t size;       /* capacity of head */
	size_t total;      /* bytes handed out in all, for limits and statistics */
} skr_arena;

void skr_arena_init(skr_arena *arena);
void skr_arena_free(skr_arena *arena);
void *skr_arena_alloc(skr_arena *arena, size_t size);
/* Forgets every allocation but keeps the memory for the next ones. The
 * blocks are merged into one block with room for as many bytes as were
 * handed out since the last reset, or reserve bytes when that is more. So
 * an arena that serves the same work again stops calling malloc. When the
 * merged block cannot be allocated, the arena is left empty and the next
 * skr_arena_alloc tries again. */
void skr_arena_reset(skr_arena *arena, size_t reserve);
/* Copies len bytes and appends a NUL that len does not count. */
char *skr_arena_strndup(skr_arena *arena, const char *s, size_t len);

/* Source text a diagnostic points into; line and column are computed from
 * it. A NULL text leaves line and column 0. */
typedef struct skr_source {
	const char *text;
	size_t len;
} skr_source;

/* Appends a diagnostic. Never fails: when memory runs out the diagnostic is
 * counted (errors/warnings) and diags->truncated is set. diags may be NULL. */
void skr_diag_add(skr_diags *diags, const skr_source *src, skr_severity severity,
                  const char *code, size_t offset, size_t length,
                  const char *fmt, ...) SKR_PRINTF(7, 8);
void skr_diag_vadd(skr_diags *diags, const skr_source *src, skr_severity severity,
                   const char *code, size_t offset, size_t length,
                   const char *fmt, va_list ap);

/* Computes the 1-based line and column (in code points) of a byte offset. */
void skr_source_position(const skr_source *src, size_t offset, uint32_t *line,
                         uint32_t *column);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes at s
 * are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
 * included). */
size_t skr_utf8_sequence(const unsigned char *s, size_t avail);

/* Parses a JSON number (RFC 8259 grammar, the whole of text) into an int64
 * when it has no fraction or exponent, or a double otherwise.
 * Returns 0 on success with *is_int set, or:
 *   1  text is not a JSON number,
 *   2  an integer outside int64,
 *   3  a double that overflows (1e400). Underflow to zero is not an error. */
int skr_parse_json_number(const char *text, size_t len, int *is_int,
                          int64_t *i, double *d);

/* Compares an int64 with a double exactly (no rounding of the integer):
 * returns -1, 0 or 1. d must not be NaN. */
int skr_compare_int_double(int64_t i, double d);

/* Writes the shortest "%.Ng" form of d (N from 15 to 17) that reads back
 * as the same double, so 0.9 prints as 0.9. Returns what snprintf
 * returns. */
int skr_format_double(double d, char *buf, size_t cap);

/* XXH3-64 of a claim path, the id stored in programs and claims indexes. */
uint64_t skr_claim_id(const char *path, size_t len);

#endif
