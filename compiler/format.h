/*
 * Formatter: writes a policy syntax tree back as canonical JSON or DSL
 * text. The public entry point is skr_format in skr.h; these writers are
 * the parts it is made of, for tests and tools inside the library.
 *
 * The writers trust the tree to satisfy the shape rules of compiler/ast.h
 * (a front end built it). They allocate the output with malloc and use no
 * other memory that outlives the call.
 */
#ifndef SKR_FORMAT_H
#define SKR_FORMAT_H

#include "ast.h"
#include "skr.h"
#include "util.h"

/* Writes policy as canonical JSON into out (ending in '\n'). Returns
 * SKR_OK, SKR_E_NOMEM, or SKR_E_INTERNAL for a tree that breaks the shape
 * rules (out is then empty). */
skr_status skr_format_json_text(const skr_ast_policy *policy, skr_buffer *out);

/* Writes policy as canonical DSL into out (ending in '\n'). Adjacent
 * entries whose conditions are structurally equal share one block. src is
 * the text the tree was parsed from, and the tree's comments are written
 * back next to the items they were beside in it. With src NULL the
 * comments are left out. Returns as skr_format_json_text does. */
skr_status skr_format_dsl_text(const skr_ast_policy *policy, const skr_source *src,
                               skr_buffer *out);

/* Returns 1 when two condition trees are structurally equal: the same
 * group kinds and children in the same order, the same claim paths and
 * operators, and values of the same kind written the same way. Equal
 * trees compile to the same instructions. */
int skr_ast_node_equal(const skr_ast_node *a, const skr_ast_node *b);

#endif
