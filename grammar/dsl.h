/*
 * DSL policy front end: the terse policy language of docs/DSL.md, parsed
 * into the same syntax tree (compiler/ast.h) as the JSON form, so that both
 * compile to the same program.
 */
#ifndef SKR_DSL_H
#define SKR_DSL_H

#include <stddef.h>

#include "ast.h"
#include "skr.h"
#include "util.h"

/* Parses a DSL policy. limits may be NULL for the defaults. On success
 * returns SKR_OK with *out set; the tree, its strings and its comments live
 * in arena. On failure *out is NULL and the status is one of:
 *   SKR_E_POLICY  the text is invalid; diags contains every error that recovery
 *                 found, in source order, each note right after its error
 *   SKR_E_NOMEM   an allocation failed
 *   SKR_E_USAGE   out or arena is NULL, or src is NULL with a nonzero len
 * Warnings (a legacy version) are added on success too. diags may be NULL.
 *
 * One `authority` line that lists several authorities becomes one entry
 * per authority, in order, and those entries share one root node. Spans
 * point into src. */
skr_status skr_parse_dsl_policy(const char *src, size_t len, const skr_limits *limits,
                                skr_arena *arena, skr_diags *diags, skr_ast_policy **out);

#endif
