/*
 * skr_compile: choose the front end, parse, check limits that need the
 * whole tree, and compile.
 */
#include <string.h>

#include "compiler.h"
#include "dsl.h"
#include "util.h"

static skr_syntax detect_syntax(const char *src, size_t len)
{
	size_t i = 0;
	/* A UTF-8 byte-order mark may precede either form. */
	if (len >= 3 && (unsigned char)src[0] == 0xEF && (unsigned char)src[1] == 0xBB &&
	    (unsigned char)src[2] == 0xBF)
		i = 3;
	while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r'))
		i++;
	/* A JSON string or array at the top level is a JSON document too, so
	 * that a policy encoded twice gets the JSON front end's message. */
	if (i < len && (src[i] == '{' || src[i] == '"' || src[i] == '['))
		return SKR_SYNTAX_JSON;
	return SKR_SYNTAX_DSL;
}

skr_status skr_parse_policy(const char *src, size_t len, skr_syntax syntax,
                            const skr_limits *limits, skr_arena *arena,
                            skr_diags *diags, skr_ast_policy **out)
{
	if (syntax == SKR_SYNTAX_AUTO)
		syntax = detect_syntax(src, len);
	if (syntax == SKR_SYNTAX_JSON)
		return skr_parse_json_policy(src, len, limits, arena, diags, out);
	return skr_parse_dsl_policy(src, len, limits, arena, diags, out);
}

skr_status skr_compile(const char *src, size_t len, skr_syntax syntax,
                       const skr_limits *limits, skr_diags *diags,
                       skr_buffer *out)
{
	if (!out || (!src && len))
		return SKR_E_USAGE;
	out->data = NULL;
	out->len = 0;
	skr_limits defaults;
	if (!limits) {
		skr_limits_init(&defaults);
		limits = &defaults;
	}
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	skr_status status = skr_parse_policy(src ? src : "", len, syntax, limits, &arena, diags, &policy);
	skr_source source = { src ? src : "", len };
	if (status == SKR_OK)
		status = skr_compile_ast(policy, &source, diags, out);
	skr_arena_free(&arena);
	return status;
}
