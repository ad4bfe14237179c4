/*
 * Compiler entry points used inside the library.
 */
#ifndef SKR_COMPILER_H
#define SKR_COMPILER_H

#include "ast.h"
#include "skr.h"

/* Compiles a checked syntax tree into a program image. Deterministic: the
 * image depends only on the tree. src is the policy text the tree's spans
 * point into, for diagnostics (may be NULL). */
skr_status skr_compile_ast(const skr_ast_policy *policy, const skr_source *src,
                           skr_diags *diags, skr_buffer *out);

/* Parses policy text of either syntax into a tree in arena. */
skr_status skr_parse_policy(const char *src, size_t len, skr_syntax syntax,
                            const skr_limits *limits, skr_arena *arena,
                            skr_diags *diags, skr_ast_policy **out);

#endif
