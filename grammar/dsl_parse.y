/*
 * Parser of the DSL policy front end (bison, pure, with byte-span
 * locations). The language is described in docs/DSL.md.
 *
 * Grammar actions build AST nodes bottom-up through the helpers of
 * policy_dsl.c, which also run the checks of each construct. Line ends are
 * tokens because they separate conditions. Conditions also end by
 * themselves, so several may share a line, with or without ';'.
 *
 * Error recovery works line by line. Inside a block, an error skips to the
 * end of the line, to the '}' that closes the block, or into a block that
 * opens later on the line; at the top level, to the end of the line or
 * into the next authority block. Every state inside a block
 * accepts `error`, so recovery never pops a block that open_block pushed,
 * and the block stack of the context stays in step with the parser's.
 * Constructs that are wrong but unambiguous (a missing comma between
 * authorities, a condition outside any block, a group written `anyOf {`)
 * are grammar rules of their own with their own codes.
 */

%define api.pure full
%define api.prefix {skr_dsl_}
%define api.token.prefix {DSL_}
%define api.location.type {skr_dsl_loc}
%define parse.error custom
/* Reduce only where the lookahead allows it, so that an error is found in
 * the state where it happens: the actions of error rules (a keyword used as
 * a claim path) then never run on a wrong lookahead, and the expected
 * tokens of the message are those of that state. */
%define lr.default-reduction consistent
%locations
%expect 0

%param {yyscan_t scanner}
%parse-param {skr_dsl_ctx *ctx}

%code requires {
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "util.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* Location of a token or grammar symbol: a byte span of the source. */
typedef struct skr_dsl_loc {
	size_t offset;
	size_t length;
} skr_dsl_loc;

/* Set on a lexeme whose lexical error is already reported (bad escape,
 * wrong quotes, unknown operator, ...); checks skip it quietly. */
#define SKR_DSL_DAMAGED 0x1u
/* Set on a STRING that contains U+0000. */
#define SKR_DSL_HAS_NUL 0x2u
/* Set on every STRING, to tell a quoted word from a bare one. */
#define SKR_DSL_QUOTED 0x4u

/* Semantic value of a token. */
typedef struct skr_dsl_lexeme {
	const char *text;     /* NAME, URL, NUMBER: source text; STRING: decoded bytes */
	size_t len;
	unsigned flags;       /* SKR_DSL_* */
	skr_operator op;      /* OP */
	int number_status;    /* NUMBER: result of skr_parse_json_number */
	int is_int;
	int64_t i;
	double d;
} skr_dsl_lexeme;

/* A claim path as written: a bare name, a quoted string, or a keyword
 * that needed quotes (already reported, so damaged). */
typedef struct skr_dsl_path {
	skr_dsl_lexeme lexeme;
	skr_dsl_loc loc;
	int quoted;
} skr_dsl_path;

/* The value of a comparison, with the kind of token it was written as. */
typedef enum skr_dsl_value_kind {
	SKR_DSL_VALUE_STRING = 0,
	SKR_DSL_VALUE_NUMBER,
	SKR_DSL_VALUE_TRUE,
	SKR_DSL_VALUE_FALSE,
	SKR_DSL_VALUE_BAD        /* already reported */
} skr_dsl_value_kind;

typedef struct skr_dsl_value {
	skr_dsl_value_kind kind;
	skr_dsl_lexeme lexeme;
	skr_dsl_loc loc;
} skr_dsl_value;

/* The conditions of one block, in order. broken is set when a condition
 * was lost to an error, so an apparently empty block is not reported. */
typedef struct skr_dsl_child {
	skr_ast_node *node;
	struct skr_dsl_child *next;
} skr_dsl_child;

typedef struct skr_dsl_list {
	skr_dsl_child *head;
	skr_dsl_child *tail;
	uint32_t count;
	int broken;
} skr_dsl_list;

/* The authorities of one `authority` line, in order. */
typedef struct skr_dsl_authority {
	skr_dsl_lexeme name;
	skr_dsl_loc loc;
	struct skr_dsl_authority *next;
} skr_dsl_authority;

typedef struct skr_dsl_authorities {
	skr_dsl_authority *head;
	skr_dsl_authority *tail;
	uint32_t count;
} skr_dsl_authorities;

/* One block that the parser has opened and not yet closed. */
typedef struct skr_dsl_block {
	size_t brace;              /* offset of its '{' */
	uint32_t depth;            /* 1 for an authority's own block */
	int unclosed_reported;     /* its missing '}' is already reported */
	int authority;             /* the block of an authority line */
	uint64_t outer_conditions; /* authority blocks: block_conditions of the enclosing one */
	/* A block inside this one whose '}' starts a line indented less than
	 * the line of its '{': that '}' probably belongs to this block, and
	 * the inner block is the one without its own. SIZE_MAX when none. */
	size_t suspect_open;       /* offset of the inner block's '{' */
	size_t suspect_close;      /* offset of the '}' that closed it */
} skr_dsl_block;

/* Errors per parse before the front end stops with one last error saying so. */
#define SKR_DSL_MAX_ERRORS 100u

/* Nesting depth past which parsing stops, whatever the depth limit. The
 * parser stack grows by a few states per block and the compiler recurses
 * once per group, so this bounds both. NOTE: a depth limit above this
 * value is capped to it. */
#define SKR_DSL_HARD_MAX_DEPTH 2048u

/* State shared by the scanner, the parser and the checks. */
typedef struct skr_dsl_ctx {
	const char *src;
	size_t len;
	skr_source source;          /* for line and column of diagnostics */
	skr_arena *arena;
	skr_diags *diags;
	const skr_limits *limits;
	uint32_t depth_limit;       /* limits->depth capped at SKR_DSL_HARD_MAX_DEPTH */

	size_t errors;              /* errors this parse added */
	int stopped;                /* too many errors or too deep: parse no further */
	int nomem;                  /* an arena allocation failed */

	/* Scanner state. */
	size_t pos;                 /* byte offset of the next token */
	size_t last_token_end;      /* end of the last token returned, for end-of-line errors */
	size_t invalid_utf8_end;    /* end of the last invalid byte reported, to report runs once */
	int last_kind;              /* kind of the last token returned, 0 before the first */
	int previous_kind;          /* kind of the token before it */
	skr_dsl_lexeme previous;    /* value of that token when it was a NAME */
	skr_dsl_loc previous_loc;   /* and its span */
	skr_dsl_lexeme current;     /* value of the last token when it was a NAME */
	skr_dsl_loc current_loc;
	unsigned current_flags;     /* SKR_DSL_* flags of the last token */
	skr_dsl_loc authority_loc;  /* the last 'authority' keyword */
	uint32_t authority_lines;   /* 'authority' keywords and top-level blocks seen */
	int version_syntax_error;   /* a syntax error right after 'version' */
	size_t first_token;         /* offset of the first token, SIZE_MAX when none */

	/* Blocks open now, innermost last. */
	skr_dsl_block *blocks;
	size_t block_count;
	size_t block_capacity;

	/* Contents of the policy parsed so far. */
	int version_seen;
	skr_policy_version version;
	skr_dsl_loc version_loc;
	skr_ast_entry *entries;
	uint32_t entry_count;
	uint32_t entry_capacity;
	uint64_t authorities_seen;  /* authority entries after expansion, for the limit */
	uint64_t conditions;        /* claim conditions after expansion, closed blocks */
	uint64_t block_conditions;  /* claim conditions in the open authority block */
	uint64_t closed_conditions; /* claim conditions of the authority block closed last */
	skr_ast_comment *comments;
	uint32_t comment_count;
	uint32_t comment_capacity;
} skr_dsl_ctx;
}

%code provides {
int skr_dsl_lex(SKR_DSL_STYPE *lval, SKR_DSL_LTYPE *lloc, yyscan_t scanner);

/* Helpers of policy_dsl.c, called by the grammar actions and the scanner. */

/* Adds an error to ctx->diags and counts it. Once SKR_DSL_MAX_ERRORS are
 * reported it adds one "too many errors" error, sets ctx->stopped and
 * ignores later calls. */
void skr_dsl_report(skr_dsl_ctx *ctx, const char *code, size_t offset,
                    size_t length, const char *fmt, ...) SKR_PRINTF(5, 6);

/* Adds a note that explains the error reported just before it. */
void skr_dsl_note(skr_dsl_ctx *ctx, size_t offset, size_t length,
                  const char *fmt, ...) SKR_PRINTF(4, 5);

/* Writes bytes into buf (SKR_DSL_QUOTE_SIZE bytes) as a double-quoted,
 * printable string for a message, cut with "..." past 64 characters.
 * Returns buf. */
#define SKR_DSL_QUOTE_SIZE 200u
const char *skr_dsl_quote(const char *bytes, size_t len, char *buf);

/* Returns 1 when bytes equal word ignoring ASCII case. */
int skr_dsl_equals_ignoring_case(const char *bytes, size_t len, const char *word);

/* Returns the keyword that bytes spell in another letter case, or NULL. */
const char *skr_dsl_keyword_in_other_case(const char *bytes, size_t len);

/* Returns the keyword that bytes most likely misspell, or NULL when none
 * is within one edit (keywords of up to four letters) or two (longer ones). */
const char *skr_dsl_nearest_keyword(const char *bytes, size_t len);

/* Records the version line. */
void skr_dsl_version(skr_dsl_ctx *ctx, const skr_dsl_lexeme *value, skr_dsl_loc loc,
                     skr_dsl_loc line);

/* Pushes a block opened at brace. Returns 0 when parsing must stop (too
 * deep, or out of memory). */
int skr_dsl_open_block(skr_dsl_ctx *ctx, skr_dsl_loc brace, int authority);
void skr_dsl_close_block(skr_dsl_ctx *ctx, skr_dsl_loc brace);

/* Adds the note about a block that the indentation suggests is the one
 * without its '}', when the open block has such a suspect. */
void skr_dsl_note_suspect(skr_dsl_ctx *ctx, const skr_dsl_block *open);

/* Builds a claim condition; returns NULL after an error. */
skr_ast_node *skr_dsl_compare(skr_dsl_ctx *ctx, const skr_dsl_path *path,
                              const skr_dsl_lexeme *op, skr_dsl_loc op_loc,
                              const skr_dsl_value *value, skr_dsl_loc span);
skr_ast_node *skr_dsl_exists(skr_dsl_ctx *ctx, const skr_dsl_path *path, int exists,
                             skr_dsl_loc op_loc, skr_dsl_loc span);

/* Builds an allOf or anyOf group of the block's conditions; returns NULL
 * after an error. body is the span of the braces. */
skr_ast_node *skr_dsl_group(skr_dsl_ctx *ctx, skr_node_kind kind,
                            const skr_dsl_list *list, skr_dsl_loc body,
                            skr_dsl_loc span);

/* Adds one entry per authority, each with root as its condition. */
void skr_dsl_entries(skr_dsl_ctx *ctx, const skr_dsl_authorities *authorities,
                     skr_ast_node *root, skr_dsl_loc span);

/* Reports a misspelt group keyword (anyOf, or, allof, ...). */
void skr_dsl_unknown_group(skr_dsl_ctx *ctx, const skr_dsl_lexeme *word, skr_dsl_loc loc);

/* Reports a bare word or URL where a value belongs. */
void skr_dsl_unquoted_value(skr_dsl_ctx *ctx, const skr_dsl_lexeme *word, skr_dsl_loc loc);

/* List helpers; the list owns nothing, cells live in the arena. */
void skr_dsl_list_append(skr_dsl_ctx *ctx, skr_dsl_list *list, skr_ast_node *node);
void skr_dsl_authorities_append(skr_dsl_ctx *ctx, skr_dsl_authorities *list,
                                const skr_dsl_lexeme *name, skr_dsl_loc loc);

/* Scans and parses ctx->src, reporting every lexical and syntax error it
 * finds. Returns SKR_OK, or SKR_E_NOMEM when the scanner or the parser ran
 * out of memory. Defined in dsl_lex.l. */
skr_status skr_dsl_parse_text(skr_dsl_ctx *ctx);
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

/* Lists are left-recursive, so the stack grows only with block nesting,
 * by a few states per block; open_block stops the parse past
 * SKR_DSL_HARD_MAX_DEPTH blocks. */
#define YYMAXDEPTH (8 * SKR_DSL_HARD_MAX_DEPTH + 64)

static void yyerror(const SKR_DSL_LTYPE *loc, yyscan_t scanner,
                    skr_dsl_ctx *ctx, const char *message);
static skr_dsl_list empty_list(void);
static skr_dsl_loc span_of(skr_dsl_loc first, skr_dsl_loc last);
}

%union {
	skr_dsl_lexeme lexeme;
	skr_dsl_path path;
	skr_dsl_value value;
	skr_dsl_list list;
	skr_dsl_authorities authorities;
	skr_ast_node *node;
	int kind;
}

%token <lexeme> NAME "name"
%token <lexeme> STRING "string"
%token <lexeme> URL "unquoted URL"
%token <lexeme> NUMBER "number"
%token <lexeme> OP "operator"
%token VERSION "'version'"
%token AUTHORITY "'authority'"
%token ANY "'any'"
%token ALL "'all'"
%token EXISTS "'exists'"
%token NOT "'not'"
%token TRUE "'true'"
%token FALSE "'false'"
%token NEWLINE "end of line"
%token INVALID "unexpected character"

%type <node> condition group item
%type <list> items group_body authority_body
%type <authorities> authorities
%type <path> path
%type <value> value
%type <lexeme> authority_name version_value
%type <kind> group_kind

%%

policy
	: top_items
	;

top_items
	: %empty
	| top_items separator
	| top_items top_item
	| top_items error separator         { yyerrok; }
	| top_items error authority_body    { yyerrok; }
	;

separator
	: NEWLINE
	| ';'
	;

top_item
	: VERSION version_value  {
		skr_dsl_version(ctx, &$2, @2, @$);
	}
	| authority_block
	| condition              {
		skr_dsl_report(ctx, "dsl-outside-block", @1.offset, @1.length,
		               "condition outside any authority block; move it into a block such as authority \"https://...\" { ... }");
	}
	| group                  {
		/* Point at 'any' or 'all', or at a bare block's '{'. */
		size_t length = ctx->src[@1.offset] == '{' ? 1 : 3;
		ctx->authority_lines++;
		skr_dsl_report(ctx, "dsl-missing-authority", @1.offset, length,
		               "block without 'authority'; start it with authority and the attestation service URL, such as authority \"https://sharedeus.eus.attest.azure.net\" {");
	}
	| authorities group_kind group_body  {
		ctx->authority_lines++;
		skr_dsl_report(ctx, "dsl-missing-authority", @1.offset, @1.length,
		               "authority URL without the keyword 'authority'; write authority before it");
	}
	;

version_value
	: NUMBER    { $$ = $1; }
	| STRING    { $$ = $1; }
	;

authority_block
	: AUTHORITY authorities group_kind authority_body {
		skr_node_kind kind = $3 ? SKR_NODE_ANY : SKR_NODE_ALL;
		skr_dsl_loc start = $3 ? @3 : @4;
		skr_ast_node *root = skr_dsl_group(ctx, kind, &$4, @4, span_of(start, @4));
		skr_dsl_entries(ctx, &$2, root, @$);
	}
	| AUTHORITY authorities ',' group_kind authority_body {
		skr_dsl_report(ctx, "dsl-trailing-comma", @3.offset, @3.length,
		               "trailing ',' after the last authority; remove it or add another authority after it");
	}
	| AUTHORITY group_kind authority_body {
		skr_dsl_report(ctx, "dsl-missing-authority", @1.offset, @1.length,
		               "'authority' without a URL; write the attestation service URL in double quotes, such as authority \"https://sharedeus.eus.attest.azure.net\" {");
	}
	| AUTHORITY error authority_body    { yyerrok; }
	;

authorities
	: authority_name {
		$$.head = $$.tail = NULL;
		$$.count = 0;
		skr_dsl_authorities_append(ctx, &$$, &$1, @1);
	}
	| authorities ',' authority_name {
		$$ = $1;
		skr_dsl_authorities_append(ctx, &$$, &$3, @3);
	}
	| authorities authority_name {
		skr_dsl_report(ctx, "dsl-missing-comma", @2.offset, @2.length,
		               "missing ',' between two authorities; add one before this authority");
		$$ = $1;
		skr_dsl_authorities_append(ctx, &$$, &$2, @2);
	}
	;

authority_name
	: STRING    { $$ = $1; }
	| URL       {
		char shown[SKR_DSL_QUOTE_SIZE];
		skr_dsl_report(ctx, "dsl-unquoted", @1.offset, @1.length,
		               "unquoted authority URL; write it in double quotes: %s",
		               skr_dsl_quote($1.text, $1.len, shown));
		$$ = $1;
		$$.flags |= SKR_DSL_DAMAGED;
	}
	;

group_kind
	: %empty    { $$ = 0; }
	| ANY       { $$ = 1; }
	| ALL       { $$ = 0; }
	;

authority_body
	: '{' open_authority items '}'          { $$ = $3; skr_dsl_close_block(ctx, @4); }
	| '{' open_authority items error '}'    { $$ = $3; $$.broken = 1; skr_dsl_close_block(ctx, @5); yyerrok; }
	;

open_authority
	: %empty {
		if (!skr_dsl_open_block(ctx, @0, 1))
			YYABORT;
	}
	;

group_body
	: '{' open_group items '}'              { $$ = $3; skr_dsl_close_block(ctx, @4); }
	| '{' open_group items error '}'        { $$ = $3; $$.broken = 1; skr_dsl_close_block(ctx, @5); yyerrok; }
	;

open_group
	: %empty {
		if (!skr_dsl_open_block(ctx, @0, 0))
			YYABORT;
	}
	;

items
	: %empty                         { $$ = empty_list(); }
	| items separator                { $$ = $1; }
	| items item                     { $$ = $1; skr_dsl_list_append(ctx, &$$, $2); }
	| items error separator          { $$ = $1; $$.broken = 1; yyerrok; }
	| items error group_body         { $$ = $1; $$.broken = 1; yyerrok; }
	;

item
	: condition                      { $$ = $1; }
	| group                          { $$ = $1; }
	| authority_block                { $$ = NULL; }
	| VERSION version_value          {
		skr_dsl_report(ctx, "dsl-version-position", @1.offset, @$.length,
		               "the version line belongs at the top of the policy, outside any block; move it there");
		$$ = NULL;
	}
	;

group
	: ANY group_body                 { $$ = skr_dsl_group(ctx, SKR_NODE_ANY, &$2, @2, @$); }
	| ALL group_body                 { $$ = skr_dsl_group(ctx, SKR_NODE_ALL, &$2, @2, @$); }
	| group_body                     { $$ = skr_dsl_group(ctx, SKR_NODE_ALL, &$1, @1, @$); }
	| NAME group_body                { skr_dsl_unknown_group(ctx, &$1, @1); $$ = NULL; }
	| ANY error group_body           { $$ = NULL; yyerrok; }
	| ALL error group_body           { $$ = NULL; yyerrok; }
	;

condition
	: path OP value                  { $$ = skr_dsl_compare(ctx, &$1, &$2, @2, &$3, @$); }
	| EXISTS path                    { $$ = skr_dsl_exists(ctx, &$2, 1, @1, @$); }
	| NOT EXISTS path                { $$ = skr_dsl_exists(ctx, &$3, 0, span_of(@1, @2), @$); }
	| NOT path OP value              {
		skr_dsl_report(ctx, "dsl-not", @1.offset, @1.length,
		               "'not' applies only to 'exists'; write the opposite comparison instead (== becomes !=, < becomes >=)");
		$$ = NULL;
	}
	;

path
	: NAME       { $$.lexeme = $1; $$.loc = @1; $$.quoted = 0; }
	| STRING     { $$.lexeme = $1; $$.loc = @1; $$.quoted = 1; }
	| keyword    {
		const char *word = ctx->src + @1.offset;
		int n = (int)@1.length;
		skr_dsl_report(ctx, "dsl-keyword-path", @1.offset, @1.length,
		               "'%.*s' is a keyword; to test a claim of that name, write it in double quotes: \"%.*s\"",
		               n, word, n, word);
		memset(&$$, 0, sizeof $$);
		$$.loc = @1;
		$$.lexeme.flags = SKR_DSL_DAMAGED;
	}
	;

keyword
	: VERSION | AUTHORITY | ANY | ALL | EXISTS | NOT | TRUE | FALSE
	;

value
	: STRING     { $$.kind = SKR_DSL_VALUE_STRING; $$.lexeme = $1; $$.loc = @1; }
	| NUMBER     { $$.kind = SKR_DSL_VALUE_NUMBER; $$.lexeme = $1; $$.loc = @1; }
	| TRUE       { memset(&$$, 0, sizeof $$); $$.kind = SKR_DSL_VALUE_TRUE; $$.loc = @1; }
	| FALSE      { memset(&$$, 0, sizeof $$); $$.kind = SKR_DSL_VALUE_FALSE; $$.loc = @1; }
	| NAME       {
		skr_dsl_unquoted_value(ctx, &$1, @1);
		$$.kind = SKR_DSL_VALUE_BAD; $$.lexeme = $1; $$.loc = @1;
	}
	| URL        {
		skr_dsl_unquoted_value(ctx, &$1, @1);
		$$.kind = SKR_DSL_VALUE_BAD; $$.lexeme = $1; $$.loc = @1;
	}
	;

%%

static skr_dsl_list empty_list(void)
{
	skr_dsl_list list = { NULL, NULL, 0, 0 };
	return list;
}

static skr_dsl_loc span_of(skr_dsl_loc first, skr_dsl_loc last)
{
	skr_dsl_loc span = { first.offset, last.offset + last.length - first.offset };
	return span;
}

/* ---- syntax errors ------------------------------------------------------ */

static int expects(const yysymbol_kind_t *expected, int count, yysymbol_kind_t kind)
{
	for (int i = 0; i < count; i++) {
		if (expected[i] == kind)
			return 1;
	}
	return 0;
}

/* Describes the unexpected token from its source text. */
static void describe_token(skr_dsl_ctx *ctx, yysymbol_kind_t kind, skr_dsl_loc at,
                           char *buf, size_t cap)
{
	char shown[SKR_DSL_QUOTE_SIZE];
	const char *text = ctx->src + at.offset;
	size_t len = at.length;
	switch (kind) {
	case YYSYMBOL_YYEOF:
		snprintf(buf, cap, "end of input");
		break;
	case YYSYMBOL_NEWLINE:
		snprintf(buf, cap, "end of line");
		break;
	case YYSYMBOL_STRING:
		snprintf(buf, cap, "string %s", skr_dsl_quote(text, len, shown));
		break;
	case YYSYMBOL_NAME:
		snprintf(buf, cap, "name %s", skr_dsl_quote(text, len, shown));
		break;
	case YYSYMBOL_URL:
		snprintf(buf, cap, "unquoted URL %s", skr_dsl_quote(text, len, shown));
		break;
	case YYSYMBOL_NUMBER:
		snprintf(buf, cap, "number %.*s", (int)(len < 40 ? len : 40), text);
		break;
	case YYSYMBOL_OP:
		snprintf(buf, cap, "operator '%.*s'", (int)(len < 8 ? len : 8), text);
		break;
	case YYSYMBOL_INVALID:
		snprintf(buf, cap, "character %s", skr_dsl_quote(text, len, shown));
		break;
	default:
		snprintf(buf, cap, "%s", yysymbol_name(kind));
		break;
	}
}

/* Describes in words what the parser expected. The error rules and keyword
 * paths make the raw list of expected tokens long and misleading, so the
 * phrase is chosen from the kind of place the parser is in, which the
 * expected tokens and the token before the unexpected one tell apart. */
static const char *describe_expected(const skr_dsl_ctx *ctx, const yysymbol_kind_t *expected,
                                     int count)
{
	int prev = ctx->previous_kind;
	int brace = expects(expected, count, YYTRANSLATE('{'));
	if (expects(expected, count, YYSYMBOL_NUMBER))
		return expects(expected, count, YYSYMBOL_TRUE)
		       ? "a value: a string in double quotes, a number, true or false"
		       : "a version such as 1.0.0";
	if (expects(expected, count, YYTRANSLATE('}')))
		return "a condition or '}'";
	if (expects(expected, count, YYSYMBOL_YYEOF))
		return "'version', 'authority' or the end of the input";
	if ((prev == DSL_ANY || prev == DSL_ALL) && brace)
		return "'{'";
	if (prev == DSL_NOT)
		return "'exists'";
	if (expects(expected, count, YYSYMBOL_OP) && !expects(expected, count, YYSYMBOL_STRING))
		return "an operator: ==, !=, <, <=, >, >=";
	if (expects(expected, count, YYTRANSLATE(',')))
		return "',' or '{'";
	if (expects(expected, count, YYSYMBOL_URL))
		return "the attestation service URL in double quotes";
	if (expects(expected, count, YYSYMBOL_NAME))
		return "a claim path";
	return brace ? "'{'" : "something else";
}

/* Operator names other languages use, and the DSL operator each means. */
static const char *operator_for_word(const char *text, size_t len)
{
	static const struct {
		const char *word;
		const char *op;
	} words[] = {
		{ "eq", "==" }, { "equals", "==" }, { "is", "==" },
		{ "ne", "!=" }, { "neq", "!=" }, { "notequals", "!=" },
		{ "lt", "<" }, { "less", "<" },
		{ "le", "<=" }, { "lte", "<=" }, { "lessorequals", "<=" },
		{ "gt", ">" }, { "greater", ">" },
		{ "ge", ">=" }, { "gte", ">=" }, { "greaterorequals", ">=" },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (skr_dsl_equals_ignoring_case(text, len, words[i].word))
			return words[i].op;
	}
	return NULL;
}

/* Reports an unclosed block at the end of the input: an error at the end
 * and a note at the block's '{'. */
static void report_unclosed(skr_dsl_ctx *ctx, skr_dsl_loc at)
{
	skr_dsl_block *block = &ctx->blocks[ctx->block_count - 1];
	if (block->unclosed_reported)
		return;
	size_t open = 0;
	for (size_t i = 0; i < ctx->block_count; i++) {
		open += !ctx->blocks[i].unclosed_reported;
		ctx->blocks[i].unclosed_reported = 1;
	}
	uint32_t line, column;
	skr_source_position(&ctx->source, block->brace, &line, &column);
	if (open > 1)
		skr_dsl_report(ctx, "dsl-missing-brace", at.offset, at.length,
		               "missing '}': the input ends inside %zu blocks, the innermost opened at line %u, column %u",
		               open, (unsigned)line, (unsigned)column);
	else
		skr_dsl_report(ctx, "dsl-missing-brace", at.offset, at.length,
		               "missing '}': the input ends inside the block opened at line %u, column %u",
		               (unsigned)line, (unsigned)column);
	skr_dsl_note(ctx, block->brace, 1, "the block without its '}' opens here");
	skr_dsl_note_suspect(ctx, block);
}

/* Reports the mistakes that two words in a row reveal, where the first
 * word was taken for a claim path: a keyword in the wrong case, 'and' or
 * 'or' between conditions, or an operator spelt as a word. Returns 1 when
 * it reported one. */
static int report_after_word(skr_dsl_ctx *ctx, yysymbol_kind_t got, skr_dsl_loc at)
{
	const skr_dsl_lexeme *word = &ctx->previous;
	skr_dsl_loc word_loc = ctx->previous_loc;
	char shown[SKR_DSL_QUOTE_SIZE];
	if (skr_dsl_keyword_in_other_case(word->text, word->len)) {
		skr_dsl_report(ctx, "dsl-keyword-case", word_loc.offset, word_loc.length,
		               "%s is not a keyword; keywords are lower case: %s",
		               skr_dsl_quote(word->text, word->len, shown),
		               skr_dsl_keyword_in_other_case(word->text, word->len));
		return 1;
	}
	if (skr_dsl_equals_ignoring_case(word->text, word->len, "or")) {
		skr_dsl_report(ctx, "dsl-logic-word", word_loc.offset, word_loc.length,
		               "'%.*s' does not join conditions; put the alternatives in a block: any { ... }",
		               (int)word->len, word->text);
		return 1;
	}
	if (skr_dsl_equals_ignoring_case(word->text, word->len, "and")) {
		skr_dsl_report(ctx, "dsl-logic-word", word_loc.offset, word_loc.length,
		               "'%.*s' does not join conditions; the conditions of a block must all hold already, so remove it",
		               (int)word->len, word->text);
		return 1;
	}
	if (got == YYSYMBOL_NAME) {
		const char *op = operator_for_word(ctx->src + at.offset, at.length);
		if (op) {
			skr_dsl_report(ctx, "dsl-unknown-operator", at.offset, at.length,
			               "unknown operator '%.*s'; did you mean '%s'?", (int)at.length,
			               ctx->src + at.offset, op);
			return 1;
		}
	}
	const char *keyword = skr_dsl_nearest_keyword(word->text, word->len);
	if (keyword && got != YYSYMBOL_NEWLINE) {
		skr_dsl_report(ctx, "dsl-unknown-keyword", word_loc.offset, word_loc.length,
		               "unknown word %s; did you mean '%s'?",
		               skr_dsl_quote(word->text, word->len, shown), keyword);
		return 1;
	}
	return 0;
}

/* Reports the errors that have a better message than "unexpected X":
 * returns 1 when it reported one. */
static int report_special(skr_dsl_ctx *ctx, yysymbol_kind_t got, skr_dsl_loc at,
                          const yysymbol_kind_t *expected, int count)
{
	if (got == YYSYMBOL_YYEOF && ctx->block_count > 0) {
		report_unclosed(ctx, at);
		return 1;
	}
	if (got == YYTRANSLATE('}') && ctx->block_count == 0) {
		skr_dsl_report(ctx, "dsl-extra-brace", at.offset, at.length,
		               "'}' without a block to close; remove it");
		return 1;
	}
	if (ctx->previous_kind == DSL_NAME && expects(expected, count, YYSYMBOL_OP) &&
	    report_after_word(ctx, got, at))
		return 1;
	int prev = ctx->previous_kind;
	if (got == YYSYMBOL_NEWLINE && expects(expected, count, YYTRANSLATE('{')) &&
	    (prev == DSL_STRING || prev == DSL_URL || prev == DSL_ANY || prev == DSL_ALL)) {
		skr_dsl_report(ctx, "dsl-syntax", at.offset, at.length,
		               "the line ends before '{'; a block's '{' goes on the same line as its header");
		return 1;
	}
	return 0;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 skr_dsl_ctx *ctx)
{
	(void)scanner;
	if (ctx->stopped)
		return 0;
	yysymbol_kind_t expected[64];
	int count = yypcontext_expected_tokens(yyctx, expected, 64);
	if (count < 0)
		count = 0;
	yysymbol_kind_t got = yypcontext_token(yyctx);
	skr_dsl_loc at = *yypcontext_location(yyctx);
	if (ctx->previous_kind == DSL_VERSION)
		ctx->version_syntax_error = 1;
	/* A token whose own lexical error is reported (an unknown operator, a
	 * string in single quotes) is not reported again. */
	if (got != YYSYMBOL_YYEOF && (ctx->current_flags & SKR_DSL_DAMAGED))
		return 0;
	if (report_special(ctx, got, at, expected, count))
		return 0;

	char token_text[SKR_DSL_QUOTE_SIZE + 32];
	describe_token(ctx, got, at, token_text, sizeof token_text);
	skr_dsl_report(ctx, "dsl-syntax", at.offset, at.length, "unexpected %s; expected %s",
	               token_text, describe_expected(ctx, expected, count));
	return 0;
}

/* Bison calls this only when its stack cannot grow. */
static void yyerror(const SKR_DSL_LTYPE *loc, yyscan_t scanner,
                    skr_dsl_ctx *ctx, const char *message)
{
	(void)loc;
	(void)scanner;
	(void)message;
	ctx->nomem = 1;
	ctx->stopped = 1;
}
