/*
 * Claims index: every value of a claims JSON object that a dotted path can
 * reach, keyed by the XXH3-64 id of its full path. The interpreter looks
 * claims up by the id the compiler stored and confirms the full path, so a
 * hash collision can never answer for another claim.
 *
 * Only members whose names hold no '.' are indexed, along with the values
 * below them: a dotted path never reaches a member whose own name contains
 * a '.', so {"a.b": 1} leaves "a.b" missing and {"a": {"b": 1}} answers it.
 * Arrays are indexed as values but their elements are not (no indexing).
 *
 * skr_claims_parse builds the index with a single-pass scanner (claims.c).
 * claims_reference.c keeps the jansson parser it replaced, for testing.
 */
#ifndef SKR_CLAIMS_H
#define SKR_CLAIMS_H

#include <stdint.h>
#include <string.h>

#include "skr.h"
#include "util.h"

/* Numeric view of a value: numbers, and strings that are JSON numbers
 * within int64 / double range ("10", "1e2"; not "+1", " 1", "0x10"). */
enum { SKR_NUM_NONE = 0, SKR_NUM_INT = 1, SKR_NUM_DOUBLE = 2 };
/* Boolean view: booleans, and the exact strings "true" and "false". */
enum { SKR_BOOL_NONE = 0, SKR_BOOL_FALSE = 1, SKR_BOOL_TRUE = 2 };

typedef struct skr_claim_value {
	uint8_t type;        /* skr_type */
	uint8_t num;         /* SKR_NUM_* */
	uint8_t boolean;     /* SKR_BOOL_* */
	uint32_t len;        /* string length in bytes */
	const char *str;     /* decoded string bytes (type STRING), else NULL */
	union {
		int64_t i;   /* num == SKR_NUM_INT */
		double d;    /* num == SKR_NUM_DOUBLE */
	} n;
} skr_claim_value;

typedef struct skr_claim_node {
	uint64_t id;         /* skr_claim_id(path, path_len) */
	const char *path;    /* full dotted path from the root */
	uint32_t path_len;
	skr_claim_value value;
} skr_claim_node;

struct skr_claims {
	skr_claim_node *nodes;
	uint32_t count;
	uint32_t *slots;     /* open addressing: node index + 1, 0 when empty */
	uint32_t mask;       /* slot count - 1; the slot count is a power of two > count */
	const skr_claim_node *iss;  /* top-level "iss" when it is a string */
	skr_arena arena;     /* owns slots and every string, and nodes unless keep does */
	struct skr_claims_keep *keep;  /* work memory kept between parses of a
	                                  reusable index (claims.c); NULL otherwise */
};

/* Finds the value at a path given its id. Returns NULL when missing. */
static inline const skr_claim_value *
skr_claims_find(const skr_claims *claims, uint64_t id, const char *path, uint32_t len)
{
	uint32_t i = (uint32_t)id & claims->mask;
	for (;;) {
		uint32_t slot = claims->slots[i];
		if (slot == 0)
			return NULL;
		const skr_claim_node *node = &claims->nodes[slot - 1];
		if (node->id == id && node->path_len == len && memcmp(node->path, path, len) == 0)
			return &node->value;
		i = (i + 1) & claims->mask;
	}
}

/* ---- reusable indexes: the release path's claims, which allocate nothing
 * once they have seen their largest input ---------------------------------- */

/* Allocates an empty index for skr_claims_reparse, with work memory
 * reserved for a payload of about reserve_bytes. Returns NULL when memory
 * runs out. skr_claims_free releases it. */
skr_claims *skr_claims_new_reusable(size_t reserve_bytes);

/* Parses json into a reusable index, replacing what it held, with the
 * contract of skr_claims_parse. The index keeps its memory between parses
 * and allocates only for an input that needs more room than every earlier
 * one. On failure it is left empty (no claims). Returns SKR_E_USAGE for an
 * index that skr_claims_new_reusable did not make. */
skr_status skr_claims_reparse(skr_claims *claims, const char *json, size_t len,
                              const skr_limits *limits, skr_diags *diags);

/* Names of the parsed text in error messages. A token's header is JSON
 * with the grammar and limits of its claims, so one scanner reads both and
 * only this name differs. */
#define SKR_CLAIMS_DOCUMENT "claims JSON"
#define SKR_HEADER_DOCUMENT "header JSON"

/* Parse as skr_claims_parse and skr_claims_reparse do. Every message names
 * the input document, one of the names above. */
skr_status skr_claims_parse_document(const char *json, size_t len, const skr_limits *limits,
                                     const char *document, skr_diags *diags, skr_claims **out);
skr_status skr_claims_reparse_document(skr_claims *claims, const char *json, size_t len,
                                       const skr_limits *limits, const char *document,
                                       skr_diags *diags);

/* Bytes that skr_claims_copy needs for claims. */
size_t skr_claims_copy_size(const skr_claims *claims);

/* Copies claims into mem, skr_claims_copy_size bytes aligned for any
 * scalar, as the index *dst whose nodes, slot table and strings all live
 * in mem. dst owns nothing and is never passed to skr_claims_free or
 * skr_claims_reparse. */
void skr_claims_copy(const skr_claims *claims, skr_claims *dst, void *mem);

/* ---- internal, not part of the public API: shared by the scanner
 * (claims.c) and the reference parser (claims_reference.c) ---------------- */

/* Parses claims JSON with jansson 2.14 and indexes it by walking the tree.
 * It has the contract of skr_claims_parse and returns the same result,
 * except that jansson skips a raw NUL byte right after a number or literal.
 * The differential tests and the fuzz target hold the scanner to it. It is
 * much slower than skr_claims_parse (docs/CLAIMS.md has numbers), and
 * nothing on the release path calls it. */
skr_status skr_claims_parse_reference(const char *json, size_t len, const skr_limits *limits,
                                      skr_diags *diags, skr_claims **out);

/* Checks what both parsers check before reading any JSON: the arguments,
 * the size limit and a leading byte-order mark, naming the input document
 * in a message. Resets *out, replaces a
 * NULL *json (with len 0) by "" and a NULL *limits by *defaults. Returns
 * SKR_OK when parsing may go on, else the status to return, with an error
 * added to diags for a rejected input. */
skr_status skr_claims_check_input(const char **json, size_t len, const skr_limits **limits,
                                  skr_limits *defaults, const char *document, skr_diags *diags,
                                  skr_claims **out);

/* Allocates an empty index with an initialised arena, or returns NULL. */
skr_claims *skr_claims_new(void);

/* Fills the numeric and boolean views of a string value from its str and
 * len (see SKR_NUM_* and SKR_BOOL_*). */
void skr_claims_set_string_views(skr_claim_value *value);

/* Builds the open-addressing table over claims->nodes[0..count). Returns
 * SKR_E_NOMEM when the arena cannot grow. */
skr_status skr_claims_build_table(skr_claims *claims);

/* Number of bytes of len at s that a message quotes: at most 60, cut back
 * to the start of a UTF-8 sequence so the message stays valid UTF-8. */
int skr_claims_quote_length(const char *s, size_t len);
/* "..." when a quote of len bytes is cut, else "". */
const char *skr_claims_quote_ellipsis(size_t len);

#endif
