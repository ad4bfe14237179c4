/*
 * Internal JSON tree of the JSON policy front end, with byte spans.
 *
 * The flex scanner (json_lex.l) and the bison parser (json_parse.y) build
 * this tree from policy text. policy_json.c then checks it against the
 * policy language and turns it into the AST of compiler/ast.h. The tree keeps what
 * a plain JSON library drops: the span of every value and member name, the
 * order and spelling of duplicate members, and which containers lost parts
 * to syntax error recovery.
 *
 * All nodes and decoded strings live in the arena of the parse context.
 */
#ifndef SKR_JSON_TREE_H
#define SKR_JSON_TREE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "skr.h"
#include "util.h"

/* Location of a token or a grammar symbol: a byte span of the source. The
 * parser uses it as its location type, so line and column are computed only
 * when a diagnostic is added. */
typedef struct skr_json_loc {
	size_t offset;
	size_t length;
} skr_json_loc;

typedef enum skr_json_kind {
	SKR_JSON_NULL = 0,
	SKR_JSON_FALSE,
	SKR_JSON_TRUE,
	SKR_JSON_NUMBER,
	SKR_JSON_STRING,
	SKR_JSON_ARRAY,
	SKR_JSON_OBJECT,
	SKR_JSON_INVALID   /* a value already reported as an error (bad number, syntax error) */
} skr_json_kind;

/* Set on a STRING that contains U+0000, which a member name may not. */
#define SKR_JSON_STRING_HAS_NUL 0x1u
/* Set on a STRING that had a lexical error (bad escape, invalid UTF-8, single
 * quotes, ...). The error is already reported, and the decoded text is only
 * a best effort. */
#define SKR_JSON_STRING_DAMAGED 0x2u

typedef struct skr_json_value skr_json_value;
typedef struct skr_json_member skr_json_member;

struct skr_json_member {
	skr_json_value *name;     /* a STRING node */
	skr_json_value *value;    /* NULL when a syntax error cut the member short */
	skr_json_member *next;
};

struct skr_json_value {
	skr_json_kind kind;
	skr_json_loc span;        /* for containers, from the opening to the closing bracket */
	int broken;               /* a syntax error lost part of this container */

	/* STRING: decoded bytes with a NUL after them that len does not count. */
	const char *str;
	size_t len;
	unsigned string_flags;    /* SKR_JSON_STRING_* */

	/* NUMBER: the result of skr_parse_json_number on the source text:
	 * 0 in range, 2 an integer outside int64, 3 a double that overflows. */
	int number_status;
	int is_int;
	int64_t i;
	double d;

	/* ARRAY: elements linked through next. OBJECT: members in source order. */
	skr_json_value *first;
	skr_json_value *last;
	skr_json_member *first_member;
	skr_json_member *last_member;
	uint32_t count;           /* elements or members */
	skr_json_value *next;     /* next element of the enclosing array */
};

/* One container that the parser has opened and not yet closed. */
typedef struct skr_json_open {
	skr_json_value *container;
	skr_json_member *pending;  /* OBJECT: the member whose value comes next */
} skr_json_open;

/* Errors per parse before the front end stops with one last error saying so. */
#define SKR_JSON_MAX_ERRORS 100u

/* Maximum JSON nesting whatever the depth limit. The parser allows
 * 2 * depth + 8 levels, and the checks after the parse recurse once per
 * group, so this bounds their stack use. NOTE: a depth limit above 1020 is
 * therefore capped by this bound. */
#define SKR_JSON_HARD_MAX_DEPTH 2048u

/* State shared by the scanner, the parser and the policy checks. */
typedef struct skr_json_ctx {
	const char *src;
	size_t len;
	skr_source source;         /* for line and column of diagnostics */
	skr_arena *arena;
	skr_diags *diags;
	const skr_limits *limits;

	size_t errors;             /* errors this parse added */
	int stopped;               /* too many errors, or nesting too deep: parse no further */
	int nomem;                 /* an arena allocation failed */

	/* Scanner state. */
	size_t pos;                /* byte offset of the next token */
	size_t last_token_end;     /* end of the last token returned, for end-of-input errors */
	size_t invalid_utf8_end;   /* end of the last invalid byte reported, to report runs once */
	size_t unterminated_end;   /* end of the last unterminated string, 0 if none */

	/* Tree builder state: the open containers, innermost last. */
	skr_json_open *open;
	size_t open_count;
	size_t open_capacity;
	uint32_t max_json_depth;
	skr_json_value *root;
} skr_json_ctx;

/* Adds an error to ctx->diags and counts it. Once SKR_JSON_MAX_ERRORS are
 * reported it adds one "too many errors" error, sets ctx->stopped and
 * ignores later calls. Defined in policy_json.c. */
void skr_json_report(skr_json_ctx *ctx, const char *code, size_t offset,
                     size_t length, const char *fmt, ...) SKR_PRINTF(5, 6);

/* Writes bytes into buf (SKR_JSON_QUOTE_SIZE bytes) as a double-quoted,
 * printable string for a message: quotes, backslashes, control characters
 * and invalid UTF-8 are escaped, and text past 64 characters or past the
 * buffer is cut with "...". Returns buf. Defined in policy_json.c. */
#define SKR_JSON_QUOTE_SIZE 200u
const char *skr_json_quote(const char *bytes, size_t len, char *buf);

/* Allocates a zeroed node in the arena; sets ctx->nomem and returns NULL
 * when the arena cannot grow. Defined in json_parse.y. */
skr_json_value *skr_json_new_value(skr_json_ctx *ctx, skr_json_kind kind,
                                   skr_json_loc span);

/* Scans and parses ctx->src into ctx->root, reporting every lexical and
 * syntax error it finds. ctx must have src, len, source, arena, diags,
 * limits and max_json_depth set and the rest zeroed. Returns SKR_OK, or
 * SKR_E_NOMEM when the scanner, the parser or the arena ran out of memory.
 * The tree may be partial or NULL after errors. Defined in json_lex.l. */
skr_status skr_json_parse_text(skr_json_ctx *ctx);

#endif
