/*
 * Policy syntax tree, shared by the JSON and DSL front ends and consumed by
 * the compiler, the linter and the formatter. A front end hands over a tree
 * that already satisfies the shape rules of the policy language: one
 * operator per condition, non-empty groups, valid values, a known version.
 * The compiler relies on that and only checks what needs the whole policy.
 *
 * All memory belongs to the arena passed to the front end. Strings are
 * decoded (escapes resolved), may hold NUL bytes, and carry their length;
 * a NUL follows each one for convenience but is not part of it.
 */
#ifndef SKR_AST_H
#define SKR_AST_H

#include <stddef.h>
#include <stdint.h>

#include "skr.h"
#include "util.h"

/* Byte span in the source text. */
typedef struct skr_span {
	size_t offset;
	size_t length;
} skr_span;

typedef enum skr_policy_version {
	SKR_POLICY_VERSION_1_0_0 = 0,  /* "1.0.0", and "1.0" normalised to it */
	SKR_POLICY_VERSION_0_2 = 1     /* legacy tooling; accepted with a warning */
} skr_policy_version;

typedef enum skr_value_kind {
	SKR_VALUE_STRING = 0,
	SKR_VALUE_INT,
	SKR_VALUE_DOUBLE,
	SKR_VALUE_TRUE,
	SKR_VALUE_FALSE
} skr_value_kind;

typedef struct skr_ast_value {
	skr_value_kind kind;
	const char *str;      /* STRING: decoded bytes; INT/DOUBLE: the source text of the number */
	size_t len;
	int64_t i;            /* INT */
	double d;             /* DOUBLE */
	skr_span span;
} skr_ast_value;

typedef enum skr_node_kind {
	SKR_NODE_ALL = 0,     /* allOf: every child holds */
	SKR_NODE_ANY,         /* anyOf: at least one child holds */
	SKR_NODE_CLAIM        /* one claim condition */
} skr_node_kind;

typedef struct skr_ast_node skr_ast_node;
struct skr_ast_node {
	skr_node_kind kind;
	skr_span span;              /* the whole condition or group */
	/* ALL / ANY */
	skr_ast_node **children;
	uint32_t child_count;       /* >= 1 */
	/* CLAIM */
	const char *path;           /* decoded dotted path */
	size_t path_len;
	skr_span path_span;
	skr_operator op;
	skr_span op_span;
	skr_ast_value value;        /* for exists: TRUE or FALSE (a "true"/"false" string is converted) */
	int long_form;              /* written as {"claim", "condition", "value"} */
};

typedef struct skr_ast_entry {
	const char *authority;      /* decoded, as written */
	size_t authority_len;
	skr_span authority_span;
	skr_span span;
	skr_ast_node *root;         /* kind ALL or ANY */
} skr_ast_entry;

/* A source comment (DSL only), kept so the formatter can write it back. */
typedef struct skr_ast_comment {
	skr_span span;
	const char *text;           /* after '#', without the line end */
	size_t len;
} skr_ast_comment;

typedef struct skr_ast_policy {
	skr_policy_version version;
	skr_span version_span;
	skr_ast_entry *entries;
	uint32_t entry_count;       /* >= 1 */
	uint32_t condition_count;   /* claim conditions in all entries */
	skr_ast_comment *comments;
	uint32_t comment_count;
} skr_ast_policy;

/* Parses a JSON policy. On success returns SKR_OK with *out set (memory in
 * arena). On failure returns SKR_E_POLICY with every error found in diags
 * (as many as recovery allows), or SKR_E_NOMEM. Warnings (a legacy version)
 * are added on success too. name is not needed here: diagnostics carry
 * offsets and positions, and the caller renders them. */
skr_status skr_parse_json_policy(const char *src, size_t len,
                                 const skr_limits *limits, skr_arena *arena,
                                 skr_diags *diags, skr_ast_policy **out);

#endif
