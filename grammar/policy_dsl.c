/*
 * DSL policy front end: the checks and tree building behind the grammar
 * actions of dsl_parse.y, and the entry point skr_parse_dsl_policy.
 *
 * Where the two languages share a rule (values, claim paths, versions,
 * limits), the checks are those of the JSON front end and report its
 * policy-* codes. Mistakes that only DSL text can hold get dsl-* codes.
 * Checking goes on after an error so that one run reports every error it
 * can. Lexemes that a lexical error damaged are skipped quietly, because
 * that error is already reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl.h"
#include "dsl_parse.h"

/* ---- diagnostics -------------------------------------------------------- */

void skr_dsl_report(skr_dsl_ctx *ctx, const char *code, size_t offset,
                    size_t length, const char *fmt, ...)
{
	if (ctx->stopped)
		return;
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(ctx->diags, &ctx->source, SKR_SEV_ERROR, code, offset, length, fmt, ap);
	va_end(ap);
	ctx->errors++;
	if (ctx->errors == SKR_DSL_MAX_ERRORS) {
		skr_diag_add(ctx->diags, &ctx->source, SKR_SEV_ERROR, "dsl-too-many-errors",
		             offset, 0, "too many errors (%u); fix these and run the check again",
		             (unsigned)SKR_DSL_MAX_ERRORS);
		ctx->errors++;
		ctx->stopped = 1;
	}
}

void skr_dsl_note(skr_dsl_ctx *ctx, size_t offset, size_t length, const char *fmt, ...)
{
	if (ctx->stopped)
		return;
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(ctx->diags, &ctx->source, SKR_SEV_NOTE, "dsl-note", offset, length, fmt, ap);
	va_end(ap);
}

static void warn(skr_dsl_ctx *ctx, const char *code, skr_dsl_loc at, const char *fmt, ...)
	SKR_PRINTF(4, 5);

static void warn(skr_dsl_ctx *ctx, const char *code, skr_dsl_loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(ctx->diags, &ctx->source, SKR_SEV_WARNING, code, at.offset, at.length,
	              fmt, ap);
	va_end(ap);
}

/* Appends n bytes to buf at *used when they fit, leaving room for "...\"";
 * returns 0 when they do not. */
static int append(char *buf, size_t *used, const char *s, size_t n)
{
	if (*used + n + 5 > SKR_DSL_QUOTE_SIZE)
		return 0;
	memcpy(buf + *used, s, n);
	*used += n;
	return 1;
}

const char *skr_dsl_quote(const char *bytes, size_t len, char *buf)
{
	const unsigned char *p = (const unsigned char *)bytes;
	const size_t max_chars = 64;
	size_t used = 0, chars = 0, i = 0;
	buf[used++] = '"';
	while (i < len) {
		char escaped[8];
		const char *piece = bytes + i;
		size_t sequence = skr_utf8_sequence(p + i, len - i);
		size_t n = sequence;
		if (sequence == 0) {
			snprintf(escaped, sizeof escaped, "\\x%02X", p[i]);
			piece = escaped;
			n = strlen(escaped);
		} else if (p[i] == '"' || p[i] == '\\') {
			escaped[0] = '\\';
			escaped[1] = (char)p[i];
			piece = escaped;
			n = 2;
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			snprintf(escaped, sizeof escaped, "\\u%04X", p[i]);
			piece = escaped;
			n = strlen(escaped);
		}
		if (chars == max_chars || !append(buf, &used, piece, n)) {
			memcpy(buf + used, "...", 3);
			used += 3;
			break;
		}
		i += sequence ? sequence : 1;
		chars++;
	}
	buf[used++] = '"';
	buf[used] = '\0';
	return buf;
}

/* ---- words -------------------------------------------------------------- */

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int skr_dsl_equals_ignoring_case(const char *bytes, size_t len, const char *word)
{
	if (strlen(word) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (ascii_lower(bytes[i]) != ascii_lower(word[i]))
			return 0;
	}
	return 1;
}

static const char *const keyword_list[] = {
	"version", "authority", "any", "all", "exists", "not", "true", "false",
};

#define KEYWORD_COUNT (sizeof keyword_list / sizeof keyword_list[0])

const char *skr_dsl_keyword_in_other_case(const char *bytes, size_t len)
{
	for (size_t k = 0; k < KEYWORD_COUNT; k++) {
		if (skr_dsl_equals_ignoring_case(bytes, len, keyword_list[k]) &&
		    memcmp(bytes, keyword_list[k], len) != 0)
			return keyword_list[k];
	}
	return NULL;
}

/* Levenshtein distance ignoring ASCII case, for words of up to 31 bytes;
 * longer words get a distance larger than any suggestion allows. */
static size_t edit_distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen > 31 || blen > 31)
		return 32;
	size_t row[32];
	for (size_t j = 0; j <= blen; j++)
		row[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t above = row[j];
			size_t best = diagonal + (ascii_lower(a[i - 1]) != ascii_lower(b[j - 1]));
			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[blen];
}

/* Returns the word of list[0..count) nearest to bytes, or NULL when none
 * is within one edit (words of up to four letters) or two (longer ones). */
static const char *nearest_word(const char *bytes, size_t len, const char *const *list,
                                size_t count)
{
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;
	if (len < 2)
		return NULL;
	for (size_t k = 0; k < count; k++) {
		size_t allowed = strlen(list[k]) <= 4 ? 1 : 2;
		size_t distance = edit_distance(bytes, len, list[k]);
		if (distance <= allowed && distance < best_distance) {
			best = list[k];
			best_distance = distance;
		}
	}
	return best;
}

const char *skr_dsl_nearest_keyword(const char *bytes, size_t len)
{
	return nearest_word(bytes, len, keyword_list, KEYWORD_COUNT);
}

/* ---- version ------------------------------------------------------------ */

static const char *const accepted_versions = "accepted versions are 1.0.0, 1.0 and 0.2";

void skr_dsl_version(skr_dsl_ctx *ctx, const skr_dsl_lexeme *value, skr_dsl_loc loc,
                     skr_dsl_loc line)
{
	char shown[SKR_DSL_QUOTE_SIZE];
	if (ctx->version_seen) {
		uint32_t first_line, first_column;
		skr_source_position(&ctx->source, ctx->version_loc.offset, &first_line, &first_column);
		skr_dsl_report(ctx, "dsl-duplicate-version", line.offset, line.length,
		               "second version line, after the one at line %u; remove one of them",
		               (unsigned)first_line);
		return;
	}
	ctx->version_seen = 1;
	ctx->version_loc = loc;
	if (ctx->authority_lines > 0)
		skr_dsl_report(ctx, "dsl-version-position", line.offset, line.length,
		               "the version line comes after an authority block; move it to the top of the policy");
	if (value->flags & SKR_DSL_DAMAGED)
		return;
	if ((value->len == 5 && memcmp(value->text, "1.0.0", 5) == 0) ||
	    (value->len == 3 && memcmp(value->text, "1.0", 3) == 0)) {
		ctx->version = SKR_POLICY_VERSION_1_0_0;
		return;
	}
	if (value->len == 3 && memcmp(value->text, "0.2", 3) == 0) {
		ctx->version = SKR_POLICY_VERSION_0_2;
		warn(ctx, "policy-legacy-version", loc,
		     "version 0.2 comes from legacy tooling; it is accepted, but write 1.0.0");
		return;
	}
	skr_dsl_report(ctx, "policy-version", loc.offset, loc.length,
	               "unsupported version %s; %s", skr_dsl_quote(value->text, value->len, shown),
	               accepted_versions);
}

/* ---- blocks ------------------------------------------------------------- */

static size_t line_indent(const skr_dsl_ctx *ctx, size_t offset, size_t *first);

/* Reports the missing '}' that an authority line inside a block reveals:
 * authority blocks do not nest, so the innermost open block was never
 * closed. */
static void report_nested_authority(skr_dsl_ctx *ctx)
{
	skr_dsl_block *open = &ctx->blocks[ctx->block_count - 1];
	if (open->unclosed_reported)
		return;
	uint32_t line, column;
	skr_source_position(&ctx->source, open->brace, &line, &column);
	skr_dsl_report(ctx, "dsl-missing-brace", ctx->authority_loc.offset,
	               ctx->authority_loc.length,
	               "missing '}' before this authority line: the block opened at line %u, column %u is not closed",
	               (unsigned)line, (unsigned)column);
	skr_dsl_note(ctx, open->brace, 1, "the block without its '}' opens here");
	skr_dsl_note_suspect(ctx, open);
	for (size_t i = 0; i < ctx->block_count; i++)
		ctx->blocks[i].unclosed_reported = 1;
}

/* Returns the indentation (blanks before the first other byte) of the
 * line holding offset, and sets *first to the offset of that byte. */
static size_t line_indent(const skr_dsl_ctx *ctx, size_t offset, size_t *first)
{
	size_t start = offset;
	while (start > 0 && ctx->src[start - 1] != '\n')
		start--;
	size_t i = start;
	while (i < ctx->len && (ctx->src[i] == ' ' || ctx->src[i] == '\t'))
		i++;
	*first = i;
	return i - start;
}

void skr_dsl_note_suspect(skr_dsl_ctx *ctx, const skr_dsl_block *open)
{
	if (open->suspect_open == SIZE_MAX)
		return;
	uint32_t line, column;
	skr_source_position(&ctx->source, open->suspect_close, &line, &column);
	skr_dsl_note(ctx, open->suspect_open, 1,
	             "this block may be the one without its '}': the '}' at line %u that closes it is indented like an outer block",
	             (unsigned)line);
}

int skr_dsl_open_block(skr_dsl_ctx *ctx, skr_dsl_loc brace, int authority)
{
	if (authority && ctx->block_count > 0)
		report_nested_authority(ctx);
	uint32_t depth = 1;
	if (!authority && ctx->block_count > 0)
		depth = ctx->blocks[ctx->block_count - 1].depth + 1;
	if (depth == ctx->depth_limit + 1) {
		skr_dsl_report(ctx, "policy-depth", brace.offset, 1,
		               "conditions nest %u deep here, over the depth limit of %u; flatten the groups or raise the limit",
		               (unsigned)depth, (unsigned)ctx->depth_limit);
	}
	if (depth > SKR_DSL_HARD_MAX_DEPTH) {
		ctx->stopped = 1;
		return 0;
	}
	if (ctx->block_count == ctx->block_capacity) {
		size_t capacity = ctx->block_capacity ? ctx->block_capacity * 2 : 16;
		skr_dsl_block *grown = skr_arena_alloc(ctx->arena, capacity * sizeof *grown);
		if (!grown) {
			ctx->nomem = 1;
			ctx->stopped = 1;
			return 0;
		}
		if (ctx->block_count)
			memcpy(grown, ctx->blocks, ctx->block_count * sizeof *grown);
		ctx->blocks = grown;
		ctx->block_capacity = capacity;
	}
	skr_dsl_block *block = &ctx->blocks[ctx->block_count++];
	memset(block, 0, sizeof *block);
	block->brace = brace.offset;
	block->depth = depth;
	block->suspect_open = SIZE_MAX;
	block->suspect_close = SIZE_MAX;
	block->authority = authority;
	if (authority) {
		block->outer_conditions = ctx->block_conditions;
		ctx->block_conditions = 0;
	}
	return 1;
}

void skr_dsl_close_block(skr_dsl_ctx *ctx, skr_dsl_loc brace)
{
	if (ctx->block_count == 0)
		return;
	skr_dsl_block *block = &ctx->blocks[--ctx->block_count];
	/* Remember a '}' that starts its line left of its block's line. */
	size_t open_first, close_first;
	size_t open_indent = line_indent(ctx, block->brace, &open_first);
	size_t close_indent = line_indent(ctx, brace.offset, &close_first);
	if (ctx->block_count > 0 && close_first == brace.offset && close_indent < open_indent) {
		skr_dsl_block *parent = &ctx->blocks[ctx->block_count - 1];
		if (parent->suspect_open == SIZE_MAX) {
			parent->suspect_open = block->brace;
			parent->suspect_close = brace.offset;
		}
	}
	if (block->authority) {
		ctx->closed_conditions = ctx->block_conditions;
		ctx->block_conditions = block->outer_conditions;
	}
}

/* ---- lists -------------------------------------------------------------- */

void skr_dsl_list_append(skr_dsl_ctx *ctx, skr_dsl_list *list, skr_ast_node *node)
{
	if (!node) {
		list->broken = 1;
		return;
	}
	skr_dsl_child *child = skr_arena_alloc(ctx->arena, sizeof *child);
	if (!child) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		list->broken = 1;
		return;
	}
	child->node = node;
	child->next = NULL;
	if (list->tail)
		list->tail->next = child;
	else
		list->head = child;
	list->tail = child;
	list->count++;
}

void skr_dsl_authorities_append(skr_dsl_ctx *ctx, skr_dsl_authorities *list,
                                const skr_dsl_lexeme *name, skr_dsl_loc loc)
{
	skr_dsl_authority *item = skr_arena_alloc(ctx->arena, sizeof *item);
	if (!item) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		return;
	}
	item->name = *name;
	item->loc = loc;
	item->next = NULL;
	if (list->tail)
		list->tail->next = item;
	else
		list->head = item;
	list->tail = item;
	list->count++;
}

/* ---- claim conditions --------------------------------------------------- */

static skr_span to_span(skr_dsl_loc loc)
{
	skr_span span = { loc.offset, loc.length };
	return span;
}

static skr_ast_node *new_node(skr_dsl_ctx *ctx, skr_node_kind kind, skr_dsl_loc span)
{
	skr_ast_node *node = skr_arena_alloc(ctx->arena, sizeof *node);
	if (!node) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		return NULL;
	}
	memset(node, 0, sizeof *node);
	node->kind = kind;
	node->span = to_span(span);
	return node;
}

/* Counts a claim condition against the conditions limit; the count of the
 * open authority block is multiplied by its authorities when it closes. */
static void count_condition(skr_dsl_ctx *ctx, skr_dsl_loc span)
{
	ctx->block_conditions++;
	uint64_t limit = ctx->limits->conditions;
	if (ctx->conditions + ctx->block_conditions == limit + 1)
		skr_dsl_report(ctx, "policy-limit", span.offset, span.length,
		               "more than %u claim conditions, over the limit of %u; split the policy or raise the limit",
		               (unsigned)limit, (unsigned)limit);
}

/* Checks a claim path: not empty, no empty segment, no U+0000. */
static int check_path(skr_dsl_ctx *ctx, const skr_dsl_path *path)
{
	const skr_dsl_lexeme *p = &path->lexeme;
	char shown[SKR_DSL_QUOTE_SIZE];
	if (p->flags & SKR_DSL_DAMAGED)
		return 0;
	if (p->flags & SKR_DSL_HAS_NUL) {
		skr_dsl_report(ctx, "policy-nul-name", path->loc.offset, path->loc.length,
		               "claim path holds U+0000 (\\u0000), which member names may not contain; remove it");
		return 0;
	}
	if (p->len == 0) {
		skr_dsl_report(ctx, "policy-claim-path", path->loc.offset, path->loc.length,
		               "empty claim path; name the claim to test, such as x-ms-attestation-type");
		return 0;
	}
	for (size_t i = 0; i <= p->len; i++) {
		int boundary = i == p->len || p->text[i] == '.';
		if (boundary && (i == 0 || p->text[i - 1] == '.')) {
			skr_dsl_report(ctx, "policy-claim-path", path->loc.offset, path->loc.length,
			               "claim path %s has an empty segment; remove the extra '.' (segments are member names joined by '.')",
			               skr_dsl_quote(p->text, p->len, shown));
			return 0;
		}
	}
	return 1;
}

static const char *const operator_texts[] = { "==", "!=", "<", "<=", ">", ">=", "exists" };

static int is_ordering(skr_operator op)
{
	return op == SKR_OP_LESS || op == SKR_OP_LESS_OR_EQUALS ||
	       op == SKR_OP_GREATER || op == SKR_OP_GREATER_OR_EQUALS;
}

/* Reports a number outside int64 or the double range; returns 1 when the
 * number is in range. */
static int check_number_range(skr_dsl_ctx *ctx, int status, const char *text, size_t len,
                              skr_dsl_loc at)
{
	char shown[SKR_DSL_QUOTE_SIZE];
	if (status == 2) {
		skr_dsl_report(ctx, "policy-number-range", at.offset, at.length,
		               "integer %s is outside the 64-bit range (-9223372036854775808 to 9223372036854775807); use a value in that range",
		               skr_dsl_quote(text, len, shown));
		return 0;
	}
	if (status == 3) {
		skr_dsl_report(ctx, "policy-number-range", at.offset, at.length,
		               "number %s is too large for a double (about 1.8e308 at most); use a smaller value",
		               skr_dsl_quote(text, len, shown));
		return 0;
	}
	return 1;
}

/* Fills out from a NUMBER value, copying its source text. */
static int convert_number(skr_dsl_ctx *ctx, const skr_dsl_value *v, skr_ast_value *out)
{
	const skr_dsl_lexeme *n = &v->lexeme;
	char shown[SKR_DSL_QUOTE_SIZE];
	if (n->number_status == 1) {
		skr_dsl_report(ctx, "dsl-bad-number", v->loc.offset, v->loc.length,
		               "invalid number %s; numbers are written as in JSON: decimal, with no leading '+', no leading zeros and digits on both sides of '.'",
		               skr_dsl_quote(n->text, n->len, shown));
		return 0;
	}
	if (!check_number_range(ctx, n->number_status, n->text, n->len, v->loc))
		return 0;
	out->str = skr_arena_strndup(ctx->arena, n->text, n->len);
	if (!out->str) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		return 0;
	}
	out->len = n->len;
	out->kind = n->is_int ? SKR_VALUE_INT : SKR_VALUE_DOUBLE;
	out->i = n->i;
	out->d = n->d;
	return 1;
}

/* Checks the value of an ordering operator given as a string: it must be a
 * JSON number in range. It stays a string in the AST, as in the JSON
 * form; the compiler converts it. */
static int check_numeric_string(skr_dsl_ctx *ctx, skr_operator op, const skr_dsl_value *v)
{
	int is_int;
	int64_t i;
	double d;
	const skr_dsl_lexeme *s = &v->lexeme;
	int status = skr_parse_json_number(s->text, s->len, &is_int, &i, &d);
	if (status == 1) {
		char shown[SKR_DSL_QUOTE_SIZE];
		skr_dsl_report(ctx, "policy-ordering-value", v->loc.offset, v->loc.length,
		               "'%s' compares numbers, but %s is not a number; write a number such as 3 or a numeric string such as \"3\"",
		               operator_texts[op], skr_dsl_quote(s->text, s->len, shown));
		return 0;
	}
	return check_number_range(ctx, status, s->text, s->len, v->loc);
}

/* Checks the value of operator op and fills out; returns 0 after an error. */
static int convert_value(skr_dsl_ctx *ctx, skr_operator op, const skr_dsl_value *v,
                         skr_ast_value *out)
{
	out->span = to_span(v->loc);
	switch (v->kind) {
	case SKR_DSL_VALUE_BAD:
		return 0;
	case SKR_DSL_VALUE_TRUE:
	case SKR_DSL_VALUE_FALSE:
		if (is_ordering(op)) {
			skr_dsl_report(ctx, "policy-ordering-value", v->loc.offset, v->loc.length,
			               "'%s' compares numbers, but the value is %s; write a number such as 3",
			               operator_texts[op], v->kind == SKR_DSL_VALUE_TRUE ? "true" : "false");
			return 0;
		}
		out->kind = v->kind == SKR_DSL_VALUE_TRUE ? SKR_VALUE_TRUE : SKR_VALUE_FALSE;
		return 1;
	case SKR_DSL_VALUE_NUMBER:
		return convert_number(ctx, v, out);
	case SKR_DSL_VALUE_STRING:
		break;
	}
	if (v->lexeme.flags & SKR_DSL_DAMAGED)
		return 0;
	if (is_ordering(op) && !check_numeric_string(ctx, op, v))
		return 0;
	out->kind = SKR_VALUE_STRING;
	out->str = v->lexeme.text;
	out->len = v->lexeme.len;
	return 1;
}

skr_ast_node *skr_dsl_compare(skr_dsl_ctx *ctx, const skr_dsl_path *path,
                              const skr_dsl_lexeme *op, skr_dsl_loc op_loc,
                              const skr_dsl_value *value, skr_dsl_loc span)
{
	count_condition(ctx, span);
	int ok = check_path(ctx, path);
	skr_ast_value converted;
	memset(&converted, 0, sizeof converted);
	if (op->flags & SKR_DSL_DAMAGED)
		ok = 0;
	else if (!convert_value(ctx, op->op, value, &converted))
		ok = 0;
	if (!ok)
		return NULL;
	skr_ast_node *node = new_node(ctx, SKR_NODE_CLAIM, span);
	if (!node)
		return NULL;
	node->path = path->lexeme.text;
	node->path_len = path->lexeme.len;
	node->path_span = to_span(path->loc);
	node->op = op->op;
	node->op_span = to_span(op_loc);
	node->value = converted;
	return node;
}

skr_ast_node *skr_dsl_exists(skr_dsl_ctx *ctx, const skr_dsl_path *path, int exists,
                             skr_dsl_loc op_loc, skr_dsl_loc span)
{
	count_condition(ctx, span);
	if (!check_path(ctx, path))
		return NULL;
	skr_ast_node *node = new_node(ctx, SKR_NODE_CLAIM, span);
	if (!node)
		return NULL;
	node->path = path->lexeme.text;
	node->path_len = path->lexeme.len;
	node->path_span = to_span(path->loc);
	node->op = SKR_OP_EXISTS;
	node->op_span = to_span(op_loc);
	/* No value is written; the keywords stand for it. */
	node->value.kind = exists ? SKR_VALUE_TRUE : SKR_VALUE_FALSE;
	node->value.span = to_span(op_loc);
	return node;
}

/* ---- groups and entries ------------------------------------------------- */

skr_ast_node *skr_dsl_group(skr_dsl_ctx *ctx, skr_node_kind kind, const skr_dsl_list *list,
                            skr_dsl_loc body, skr_dsl_loc span)
{
	int all = kind == SKR_NODE_ALL;
	if (list->count == 0 && !list->broken) {
		skr_dsl_report(ctx, "dsl-empty-block", body.offset, body.length,
		               "empty block; a block needs at least one condition (an empty %s block would %s)",
		               all ? "all" : "any", all ? "always hold" : "never hold");
		return NULL;
	}
	if (list->broken)
		return NULL;
	skr_ast_node *node = new_node(ctx, kind, span);
	skr_ast_node **children = skr_arena_alloc(ctx->arena, list->count * sizeof *children);
	if (!node || !children) {
		ctx->nomem = 1;
		ctx->stopped = 1;
		return NULL;
	}
	uint32_t n = 0;
	for (const skr_dsl_child *child = list->head; child; child = child->next)
		children[n++] = child->node;
	node->children = children;
	node->child_count = n;
	return node;
}

static int add_entry(skr_dsl_ctx *ctx, const skr_ast_entry *entry)
{
	if (ctx->entry_count == ctx->entry_capacity) {
		uint32_t capacity = ctx->entry_capacity ? ctx->entry_capacity * 2 : 8;
		skr_ast_entry *grown = skr_arena_alloc(ctx->arena, capacity * sizeof *grown);
		if (!grown) {
			ctx->nomem = 1;
			ctx->stopped = 1;
			return 0;
		}
		if (ctx->entry_count)
			memcpy(grown, ctx->entries, ctx->entry_count * sizeof *grown);
		ctx->entries = grown;
		ctx->entry_capacity = capacity;
	}
	ctx->entries[ctx->entry_count++] = *entry;
	return 1;
}

/* Counts the block's conditions once per authority, and reports the
 * authority whose copy of them goes over the conditions limit. The first
 * copy was counted condition by condition while it was parsed, and an
 * error there is not repeated. */
static void count_expansion(skr_dsl_ctx *ctx, const skr_dsl_authorities *authorities)
{
	uint64_t per_entry = ctx->closed_conditions;
	uint64_t limit = ctx->limits->conditions;
	uint64_t total = ctx->conditions + per_entry;
	const skr_dsl_authority *a = authorities->head ? authorities->head->next : NULL;
	for (; a; a = a->next) {
		uint64_t next = total + per_entry;
		if (total <= limit && next > limit)
			skr_dsl_report(ctx, "policy-limit", a->loc.offset, a->loc.length,
			               "more than %u claim conditions once the block is repeated for this authority, over the limit of %u; split the policy or raise the limit",
			               (unsigned)limit, (unsigned)limit);
		total = next;
	}
	ctx->conditions = total;
}

void skr_dsl_entries(skr_dsl_ctx *ctx, const skr_dsl_authorities *authorities,
                     skr_ast_node *root, skr_dsl_loc span)
{
	uint64_t limit = ctx->limits->authorities;
	count_expansion(ctx, authorities);
	for (const skr_dsl_authority *a = authorities->head; a; a = a->next) {
		ctx->authorities_seen++;
		if (ctx->authorities_seen == limit + 1)
			skr_dsl_report(ctx, "policy-limit", a->loc.offset, a->loc.length,
			               "more than %u authority entries, over the limit of %u; split the policy or raise the limit",
			               (unsigned)limit, (unsigned)limit);
		if (a->name.flags & SKR_DSL_DAMAGED)
			continue;
		if (a->name.len == 0) {
			skr_dsl_report(ctx, "policy-empty-authority", a->loc.offset, a->loc.length,
			               "empty authority; write the attestation service URL, such as \"https://sharedeus.eus.attest.azure.net\"");
			continue;
		}
		skr_ast_entry entry;
		memset(&entry, 0, sizeof entry);
		entry.authority = a->name.text;
		entry.authority_len = a->name.len;
		entry.authority_span = to_span(a->loc);
		entry.span = to_span(span);
		entry.root = root;
		if (!add_entry(ctx, &entry))
			return;
	}
}

/* ---- misplaced words ---------------------------------------------------- */

void skr_dsl_unknown_group(skr_dsl_ctx *ctx, const skr_dsl_lexeme *word, skr_dsl_loc loc)
{
	static const char *const any_words[] = { "anyof", "any_of", "any-of", "or", "oneof", "some" };
	static const char *const all_words[] = { "allof", "all_of", "all-of", "and", "every" };
	static const char *const groups[] = { "any", "all" };
	char shown[SKR_DSL_QUOTE_SIZE];
	const char *suggestion = NULL;
	if (word->flags & SKR_DSL_DAMAGED)
		return;
	for (size_t i = 0; i < sizeof any_words / sizeof any_words[0]; i++) {
		if (skr_dsl_equals_ignoring_case(word->text, word->len, any_words[i]))
			suggestion = "any";
	}
	for (size_t i = 0; i < sizeof all_words / sizeof all_words[0]; i++) {
		if (skr_dsl_equals_ignoring_case(word->text, word->len, all_words[i]))
			suggestion = "all";
	}
	if (!suggestion)
		suggestion = nearest_word(word->text, word->len, groups, 2);
	skr_dsl_quote(word->text, word->len, shown);
	if (suggestion)
		skr_dsl_report(ctx, "dsl-unknown-group", loc.offset, loc.length,
		               "unknown group %s; did you mean '%s'?", shown, suggestion);
	else
		skr_dsl_report(ctx, "dsl-unknown-group", loc.offset, loc.length,
		               "unknown group %s; a group is written any { ... } or all { ... }", shown);
}

void skr_dsl_unquoted_value(skr_dsl_ctx *ctx, const skr_dsl_lexeme *word, skr_dsl_loc loc)
{
	char shown[SKR_DSL_QUOTE_SIZE];
	if (word->flags & SKR_DSL_DAMAGED)
		return;
	const char *literal = skr_dsl_keyword_in_other_case(word->text, word->len);
	if (literal && (strcmp(literal, "true") == 0 || strcmp(literal, "false") == 0)) {
		skr_dsl_report(ctx, "dsl-literal", loc.offset, loc.length,
		               "%s is not a literal; write it in lower case: %s",
		               skr_dsl_quote(word->text, word->len, shown), literal);
		return;
	}
	if (skr_dsl_equals_ignoring_case(word->text, word->len, "null") ||
	    skr_dsl_equals_ignoring_case(word->text, word->len, "nil") ||
	    skr_dsl_equals_ignoring_case(word->text, word->len, "none")) {
		skr_dsl_report(ctx, "dsl-null", loc.offset, loc.length,
		               "a policy cannot compare with %.*s; to require that a claim is absent, write: not exists PATH",
		               (int)word->len, word->text);
		return;
	}
	skr_dsl_quote(word->text, word->len, shown);
	skr_dsl_report(ctx, "dsl-unquoted", loc.offset, loc.length,
	               "unquoted value; write strings in double quotes: %s", shown);
}

/* ---- entry point -------------------------------------------------------- */

/* Reports input that is not UTF-8 at all: UTF-16 or UTF-32, recognized by
 * a byte-order mark or by NUL bytes among the first four bytes. Returns 1
 * when it reported an error. */
static int report_wrong_encoding(skr_dsl_ctx *ctx)
{
	const unsigned char *p = (const unsigned char *)ctx->src;
	if (ctx->len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
		skr_dsl_report(ctx, "dsl-encoding", 0, 2,
		               "the policy is UTF-16 (it starts with the byte-order mark %02X %02X); save it as UTF-8",
		               p[0], p[1]);
		return 1;
	}
	for (size_t i = 0; i < ctx->len && i < 4; i++) {
		if (p[i] == 0) {
			skr_dsl_report(ctx, "dsl-encoding", i, 1,
			               "the policy has NUL bytes among its first characters, as UTF-16 or UTF-32 text does; save it as UTF-8");
			return 1;
		}
	}
	return 0;
}

/* Checks the text before any scanning: size and encoding. Returns 0 after
 * reporting an error that makes parsing pointless. */
static int precheck_text(skr_dsl_ctx *ctx)
{
	/* The scanner takes an int length; a larger text is over any limit. */
	size_t max = ctx->limits->policy_bytes;
	if (max > (size_t)INT32_MAX - 2)
		max = (size_t)INT32_MAX - 2;
	if (ctx->len > max) {
		skr_dsl_report(ctx, "policy-limit", 0, 0,
		               "policy is %zu bytes, over the limit of %zu bytes", ctx->len, max);
		return 0;
	}
	return !report_wrong_encoding(ctx);
}

/* Reports what only the whole text shows: no tokens at all, a missing
 * version line, no authority block. */
static void check_policy(skr_dsl_ctx *ctx)
{
	if (ctx->first_token == SIZE_MAX) {
		if (ctx->errors == 0)
			skr_dsl_report(ctx, "dsl-empty", 0, 0,
			               "the policy is empty; write a version line (version 1.0.0) and an authority block");
		return;
	}
	/* A version line with a syntax error is already reported. */
	if (!ctx->version_seen && !ctx->version_syntax_error)
		skr_dsl_report(ctx, "dsl-missing-version", ctx->first_token, 0,
		               "missing version line; start the policy with: version 1.0.0 (%s)",
		               accepted_versions);
	if (ctx->authority_lines == 0)
		skr_dsl_report(ctx, "dsl-no-authority", ctx->last_token_end, 0,
		               "the policy has no authority block; add one: authority \"https://...\" { conditions }");
}

/* Sorts the diagnostics [from, to) by offset, stably, keeping each note
 * right after the error before it. Users read errors top to bottom, but
 * the whole-policy checks report after the parse. The lists are short: at
 * most SKR_DSL_MAX_ERRORS errors, their notes and a few warnings. */
static void sort_diags(skr_diags *diags, size_t from, size_t to)
{
	size_t n = to - from;
	if (n < 2)
		return;
	skr_diag *sorted = malloc(n * sizeof *sorted);
	size_t *heads = malloc(n * sizeof *heads);
	if (!sorted || !heads) {
		free(sorted);
		free(heads);
		return;
	}
	/* A unit is a diagnostic and the notes that follow it. */
	size_t units = 0;
	for (size_t i = from; i < to; i++) {
		if (diags->items[i].severity != SKR_SEV_NOTE || units == 0)
			heads[units++] = i;
	}
	for (size_t i = 1; i < units; i++) {
		size_t head = heads[i];
		size_t j = i;
		while (j > 0 && diags->items[heads[j - 1]].offset > diags->items[head].offset) {
			heads[j] = heads[j - 1];
			j--;
		}
		heads[j] = head;
	}
	size_t used = 0;
	for (size_t u = 0; u < units; u++) {
		size_t i = heads[u];
		do {
			sorted[used++] = diags->items[i++];
		} while (i < to && diags->items[i].severity == SKR_SEV_NOTE);
	}
	memcpy(diags->items + from, sorted, n * sizeof *sorted);
	free(sorted);
	free(heads);
}

/* Builds the policy from what the parse collected. */
static skr_ast_policy *build_policy(skr_dsl_ctx *ctx)
{
	skr_ast_policy *policy = skr_arena_alloc(ctx->arena, sizeof *policy);
	if (!policy) {
		ctx->nomem = 1;
		return NULL;
	}
	memset(policy, 0, sizeof *policy);
	policy->version = ctx->version;
	policy->version_span = to_span(ctx->version_loc);
	policy->entries = ctx->entries;
	policy->entry_count = ctx->entry_count;
	policy->condition_count = (uint32_t)ctx->conditions;
	policy->comments = ctx->comments;
	policy->comment_count = ctx->comment_count;
	return policy;
}

skr_status skr_parse_dsl_policy(const char *src, size_t len, const skr_limits *limits,
                                skr_arena *arena, skr_diags *diags, skr_ast_policy **out)
{
	if (!out || !arena || (!src && len))
		return SKR_E_USAGE;
	*out = NULL;
	skr_limits defaults;
	if (!limits) {
		skr_limits_init(&defaults);
		limits = &defaults;
	}
	if (!src)
		src = "";

	skr_dsl_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.src = src;
	ctx.len = len;
	ctx.source.text = src;
	ctx.source.len = len;
	ctx.arena = arena;
	ctx.diags = diags;
	ctx.limits = limits;
	ctx.depth_limit = limits->depth < SKR_DSL_HARD_MAX_DEPTH ? limits->depth
	                                                         : SKR_DSL_HARD_MAX_DEPTH;
	ctx.first_token = SIZE_MAX;
	size_t first_diag = diags ? diags->count : 0;

	if (precheck_text(&ctx)) {
		skr_status status = skr_dsl_parse_text(&ctx);
		if (status != SKR_OK)
			return status;
		if (ctx.nomem)
			return SKR_E_NOMEM;
		if (!ctx.stopped)
			check_policy(&ctx);
	}

	if (diags) {
		size_t end = diags->count;
		/* The "too many errors" error stays last. */
		if (ctx.errors > SKR_DSL_MAX_ERRORS && end > first_diag)
			end--;
		sort_diags(diags, first_diag, end);
	}
	if (ctx.errors)
		return SKR_E_POLICY;
	skr_ast_policy *policy = build_policy(&ctx);
	if (!policy)
		return SKR_E_NOMEM;
	if (policy->entry_count == 0)
		return SKR_E_INTERNAL;
	*out = policy;
	return SKR_OK;
}
