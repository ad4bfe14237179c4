/*
 * Parser of the JSON policy front end (bison, pure, with byte-span
 * locations).
 *
 * Builds the JSON tree of json_tree.h while it parses. Containers are
 * opened and closed by grammar actions and values attached to the innermost
 * open container, so the tree keeps everything parsed before a syntax error
 * even when recovery gives up at the end of the input. Recovery happens
 * inside the innermost object or array (the `error` alternatives of member
 * and value), so errors after the first one are still found. A trailing
 * comma and a missing comma are grammar rules of their own, reported with
 * their own codes instead of as generic syntax errors.
 */

%define api.pure full
%define api.prefix {skr_json_}
%define api.token.prefix {TOK_}
%define api.location.type {skr_json_loc}
%define parse.error custom
%locations
%expect 0

%param {yyscan_t scanner}
%parse-param {skr_json_ctx *ctx}

%code requires {
#include "json_tree.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code provides {
int skr_json_lex(SKR_JSON_STYPE *lval, SKR_JSON_LTYPE *lloc, yyscan_t scanner);
}

%code {
#include <stdio.h>
#include <string.h>

/* A nonterminal spans from its first to its last symbol; an empty one is
 * an empty span right after the symbol before it. */
#define YYLLOC_DEFAULT(Current, Rhs, N)                                      \
	do {                                                                     \
		if (N) {                                                             \
			(Current).offset = YYRHSLOC(Rhs, 1).offset;                      \
			(Current).length = YYRHSLOC(Rhs, N).offset +                     \
			                   YYRHSLOC(Rhs, N).length - (Current).offset;   \
		} else {                                                             \
			(Current).offset = YYRHSLOC(Rhs, 0).offset +                     \
			                   YYRHSLOC(Rhs, 0).length;                      \
			(Current).length = 0;                                            \
		}                                                                    \
	} while (0)

/* Recovery never pops an opened container (every state inside one accepts
 * `error`), so the parser stack grows by a few symbols per nesting level;
 * the nesting check of open_container keeps it below this bound. */
#define YYMAXDEPTH (8 * SKR_JSON_HARD_MAX_DEPTH + 64)

static void yyerror(const SKR_JSON_LTYPE *loc, yyscan_t scanner,
                    skr_json_ctx *ctx, const char *message);
static int open_container(skr_json_ctx *ctx, skr_json_kind kind, skr_json_loc at);
static void close_container(skr_json_ctx *ctx, skr_json_loc at);
static void begin_member(skr_json_ctx *ctx, skr_json_value *name);
static void lose_member(skr_json_ctx *ctx);
static void add_value(skr_json_ctx *ctx, skr_json_value *value);
static skr_json_value *new_literal(skr_json_ctx *ctx, skr_json_kind kind,
                                   skr_json_loc at);
static void report_missing_comma(skr_json_ctx *ctx, skr_json_loc at,
                                 const char *where);
}

%union {
	skr_json_value *value;
}

%token <value> STRING "string"
%token <value> NUMBER "number"
%token <value> BAD "invalid value"
%token TRUE "true"
%token FALSE "false"
%token NULL "null"
%token INVALID "unexpected character"

%type <value> value member

%%

document
	: value
	;

value
	: STRING        { $$ = $1; add_value(ctx, $$); }
	| NUMBER        { $$ = $1; add_value(ctx, $$); }
	| BAD           { $$ = $1; add_value(ctx, $$); }
	| TRUE          { $$ = new_literal(ctx, SKR_JSON_TRUE, @1); add_value(ctx, $$); }
	| FALSE         { $$ = new_literal(ctx, SKR_JSON_FALSE, @1); add_value(ctx, $$); }
	| NULL          { $$ = new_literal(ctx, SKR_JSON_NULL, @1); add_value(ctx, $$); }
	| object        { $$ = NULL; }
	| array         { $$ = NULL; }
	| error         {
		$$ = new_literal(ctx, SKR_JSON_INVALID, @1);
		if ($$)
			$$->broken = 1;
		add_value(ctx, $$);
	}
	;

object
	: '{' open_object '}'                  { close_container(ctx, @3); }
	| '{' open_object members '}'          { close_container(ctx, @4); }
	| '{' open_object members ',' '}'      {
		skr_json_report(ctx, "json-trailing-comma", @4.offset, @4.length,
		                "trailing comma before '}'; remove it");
		close_container(ctx, @5);
	}
	;

open_object
	: %empty        { if (!open_container(ctx, SKR_JSON_OBJECT, @0)) YYABORT; }
	;

members
	: member
	| members ',' member
	| members member    {
		if ($2)
			report_missing_comma(ctx, $2->span, "between two members; add one before this member");
	}
	;

member
	: STRING { begin_member(ctx, $1); } ':' value    { $$ = $1; }
	| error                                          { $$ = NULL; lose_member(ctx); }
	;

array
	: '[' open_array ']'                   { close_container(ctx, @3); }
	| '[' open_array elements ']'          { close_container(ctx, @4); }
	| '[' open_array elements ',' ']'      {
		skr_json_report(ctx, "json-trailing-comma", @4.offset, @4.length,
		                "trailing comma before ']'; remove it");
		close_container(ctx, @5);
	}
	;

open_array
	: %empty        { if (!open_container(ctx, SKR_JSON_ARRAY, @0)) YYABORT; }
	;

elements
	: value
	| elements ',' value
	| elements value    {
		/* An object or array element has no value node here, so its
		 * opening bracket is the span. */
		skr_json_loc at = { @2.offset, 1 };
		if ($2)
			at = $2->span;
		if (!$2 || !$2->broken)
			report_missing_comma(ctx, at, "between two array elements; add one before this element");
	}
	;

%%

/* ---- tree building ------------------------------------------------------ */

skr_json_value *skr_json_new_value(skr_json_ctx *ctx, skr_json_kind kind,
                                   skr_json_loc span)
{
	skr_json_value *node = skr_arena_alloc(ctx->arena, sizeof *node);
	if (!node) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		return NULL;
	}
	memset(node, 0, sizeof *node);
	node->kind = kind;
	node->span = span;
	return node;
}

static skr_json_value *new_literal(skr_json_ctx *ctx, skr_json_kind kind,
                                   skr_json_loc at)
{
	return skr_json_new_value(ctx, kind, at);
}

static skr_json_open *innermost(skr_json_ctx *ctx)
{
	return ctx->open_count ? &ctx->open[ctx->open_count - 1] : NULL;
}

/* Attaches a finished value (scalar, or container just opened) to the
 * innermost open container, or makes it the document's root. */
static void add_value(skr_json_ctx *ctx, skr_json_value *value)
{
	if (!value)
		return;
	skr_json_open *top = innermost(ctx);
	if (!top) {
		/* Text after the first value is a syntax error already reported. */
		if (!ctx->root)
			ctx->root = value;
		return;
	}
	skr_json_value *container = top->container;
	if (value->broken)
		container->broken = 1;
	if (container->kind == SKR_JSON_ARRAY) {
		if (container->last)
			container->last->next = value;
		else
			container->first = value;
		container->last = value;
		container->count++;
		return;
	}
	if (top->pending && !top->pending->value) {
		top->pending->value = value;
		top->pending = NULL;
	} else {
		container->broken = 1;
	}
}

/* Opens an object or array at the bracket `at`. Returns 0, after reporting
 * the error once, when the nesting is deeper than the front end allows. */
static int open_container(skr_json_ctx *ctx, skr_json_kind kind, skr_json_loc at)
{
	if (ctx->open_count >= ctx->max_json_depth) {
		if (ctx->max_json_depth == SKR_JSON_HARD_MAX_DEPTH)
			skr_json_report(ctx, "policy-depth", at.offset, at.length,
			                "JSON nesting is deeper than %u levels, the most a policy may use; flatten the conditions",
			                (unsigned)ctx->max_json_depth);
		else
			skr_json_report(ctx, "policy-depth", at.offset, at.length,
			                "JSON nesting is deeper than %u levels, more than a policy with the condition depth limit of %u can need; flatten the conditions or raise the depth limit",
			                (unsigned)ctx->max_json_depth, (unsigned)ctx->limits->depth);
		ctx->stopped = 1;
		return 0;
	}
	if (ctx->open_count == ctx->open_capacity) {
		size_t capacity = ctx->open_capacity ? ctx->open_capacity * 2 : 16;
		skr_json_open *open = skr_arena_alloc(ctx->arena, capacity * sizeof *open);
		if (!open) {
			ctx->nomem = 1;
			ctx->stopped = 1;
			return 0;
		}
		if (ctx->open_count)
			memcpy(open, ctx->open, ctx->open_count * sizeof *open);
		ctx->open = open;
		ctx->open_capacity = capacity;
	}
	skr_json_value *container = skr_json_new_value(ctx, kind, at);
	if (!container)
		return 0;
	add_value(ctx, container);
	ctx->open[ctx->open_count].container = container;
	ctx->open[ctx->open_count].pending = NULL;
	ctx->open_count++;
	return 1;
}

/* Closes the innermost container at the bracket `at`. */
static void close_container(skr_json_ctx *ctx, skr_json_loc at)
{
	skr_json_open *top = innermost(ctx);
	if (!top)
		return;
	skr_json_value *container = top->container;
	if (top->pending && !top->pending->value)
		container->broken = 1;
	container->span.length = at.offset + at.length - container->span.offset;
	ctx->open_count--;
}

/* Starts a member of the innermost object; its value comes next. */
static void begin_member(skr_json_ctx *ctx, skr_json_value *name)
{
	skr_json_open *top = innermost(ctx);
	if (!top || top->container->kind != SKR_JSON_OBJECT || !name)
		return;
	skr_json_value *object = top->container;
	if (top->pending && !top->pending->value)
		object->broken = 1;
	skr_json_member *member = skr_arena_alloc(ctx->arena, sizeof *member);
	if (!member) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		return;
	}
	member->name = name;
	member->value = NULL;
	member->next = NULL;
	if (object->last_member)
		object->last_member->next = member;
	else
		object->first_member = member;
	object->last_member = member;
	object->count++;
	top->pending = member;
}

/* Marks the innermost object as having lost a member to recovery. */
static void lose_member(skr_json_ctx *ctx)
{
	skr_json_open *top = innermost(ctx);
	if (top)
		top->container->broken = 1;
}

/* Reports a missing comma before the token at `at`, unless only
 * whitespace separates it from an unterminated string: that string's
 * error already explains it, since its closing quote and comma are
 * probably the ones missing. */
static void report_missing_comma(skr_json_ctx *ctx, skr_json_loc at,
                                 const char *where)
{
	size_t end = ctx->unterminated_end;
	if (end && end <= at.offset) {
		size_t i = end;
		while (i < at.offset && (ctx->src[i] == ' ' || ctx->src[i] == '\t' ||
		                         ctx->src[i] == '\r' || ctx->src[i] == '\n'))
			i++;
		if (i == at.offset)
			return;
	}
	skr_json_report(ctx, "json-missing-comma", at.offset, at.length,
	                "missing ',' %s", where);
}

/* ---- syntax errors ------------------------------------------------------ */

static int is_value_start(yysymbol_kind_t kind)
{
	switch (kind) {
	case YYSYMBOL_STRING:
	case YYSYMBOL_NUMBER:
	case YYSYMBOL_BAD:
	case YYSYMBOL_TRUE:
	case YYSYMBOL_FALSE:
	case YYSYMBOL_NULL:
		return 1;
	default:
		return kind == YYTRANSLATE('{') || kind == YYTRANSLATE('[');
	}
}

/* Describes the unexpected token from its source text. */
static void describe_token(skr_json_ctx *ctx, yysymbol_kind_t kind,
                           skr_json_loc at, char *buf, size_t cap)
{
	char shown[SKR_JSON_QUOTE_SIZE];
	const char *text = ctx->src + at.offset;
	size_t len = at.length;
	switch (kind) {
	case YYSYMBOL_YYEOF:
		snprintf(buf, cap, "end of input");
		break;
	case YYSYMBOL_STRING:
		/* Show the string's text without its quotes. */
		if (len >= 2 && (text[len - 1] == '"' || text[len - 1] == '\''))
			len--;
		snprintf(buf, cap, "string %s", skr_json_quote(text + 1, len - 1, shown));
		break;
	case YYSYMBOL_INVALID:
		snprintf(buf, cap, "character %s", skr_json_quote(text, len, shown));
		break;
	case YYSYMBOL_NUMBER:
	case YYSYMBOL_BAD:
		snprintf(buf, cap, "number %.*s", (int)(len < 40 ? len : 40), text);
		break;
	default:
		snprintf(buf, cap, "%s", yysymbol_name(kind));
		break;
	}
}

/* Lists what the parser expected in words. The missing-comma rules make a
 * value or member name acceptable wherever ',' is, so values are left out
 * of the list when ',' is in it. */
static void describe_expected(const yysymbol_kind_t *expected, int count,
                              char *buf, size_t cap)
{
	int comma = 0, values = 0, string = 0, number = 0;
	for (int i = 0; i < count; i++) {
		comma |= expected[i] == YYTRANSLATE(',');
		values |= is_value_start(expected[i]);
		string |= expected[i] == YYSYMBOL_STRING;
		number |= expected[i] == YYSYMBOL_NUMBER;
	}
	const char *words[8];
	int n = 0;
	if (!comma && values)
		words[n++] = number ? "a value" : string ? "a member name in double quotes" : "a value";
	for (int i = 0; i < count && n < 8; i++) {
		if (is_value_start(expected[i]))
			continue;
		words[n++] = expected[i] == YYSYMBOL_YYEOF ? "end of input" : yysymbol_name(expected[i]);
	}
	buf[0] = '\0';
	size_t used = 0;
	for (int i = 0; i < n && used < cap; i++) {
		const char *joint = i == 0 ? "" : i == n - 1 ? " or " : ", ";
		int w = snprintf(buf + used, cap - used, "%s%s", joint, words[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 skr_json_ctx *ctx)
{
	(void)scanner;
	if (ctx->stopped)
		return 0;
	yysymbol_kind_t expected[16];
	int count = yypcontext_expected_tokens(yyctx, expected, 16);
	if (count < 0)
		count = 0;
	yysymbol_kind_t got = yypcontext_token(yyctx);
	skr_json_loc at = *yypcontext_location(yyctx);

	char token_text[SKR_JSON_QUOTE_SIZE + 32];
	char expected_text[256];
	describe_token(ctx, got, at, token_text, sizeof token_text);
	describe_expected(expected, count, expected_text, sizeof expected_text);

	if (count == 1 && expected[0] == YYSYMBOL_YYEOF)
		skr_json_report(ctx, "json-syntax", at.offset, at.length,
		                "unexpected %s after the end of the JSON value; remove it", token_text);
	else if (got == YYSYMBOL_YYEOF)
		skr_json_report(ctx, "json-syntax", at.offset, at.length,
		                "the JSON text ends too early; expected %s", expected_text);
	else
		skr_json_report(ctx, "json-syntax", at.offset, at.length,
		                "unexpected %s; expected %s", token_text, expected_text);
	return 0;
}

/* Bison calls this only when its stack cannot grow. */
static void yyerror(const SKR_JSON_LTYPE *loc, yyscan_t scanner,
                    skr_json_ctx *ctx, const char *message)
{
	(void)loc;
	(void)scanner;
	(void)message;
	ctx->nomem = 1;
	ctx->stopped = 1;
}
