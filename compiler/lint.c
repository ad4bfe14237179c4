/*
 * skr check: the policy linter (rules and codes in docs/LINT.md).
 *
 * Two kinds of rules run over the syntax tree:
 *   - registry rules compare claim names, places, types and values with the
 *     registry of MAA claims, and only run for entries whose authority is an
 *     MAA provider (a host under one of the registry's domains),
 *   - logic rules (contradictions, duplicates, redundant entries) need no
 *     registry and run for every entry.
 * Every finding is a warning. The linter never changes the tree, so the
 * program and every decision stay as they were.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "lint.h"

/* Steps allowed to the structural comparisons of one policy. Comparing
 * groups is quadratic in their size, so a policy built to be slow to
 * compare makes the linter skip the rest of those findings, not hang. */
#define LINT_COMPARE_BUDGET 4000000u

/* Maximum bytes of policy text quoted in a message. */
#define LINT_SHOW_MAX 80

typedef struct lint_ctx {
	const skr_ast_policy *policy;
	const skr_source *src;
	const skr_registry *reg;
	size_t *line_starts;     /* offset of the first byte of each line, for "line N" in messages */
	size_t line_count;
	skr_diags out;           /* findings without positions; hand_over sorts them and fills
	                            line and column in one pass over the text */
	skr_arena scratch;
	size_t budget;
	int nomem;
} lint_ctx;

/* ---- messages ----------------------------------------------------------- */

/* Copies bytes for a message: control characters become '?', and text
 * longer than LINT_SHOW_MAX is cut (at a character boundary) with "...". */
static void show(char *buf, size_t cap, const char *s, size_t len)
{
	size_t n = 0, i = 0;
	while (i < len && n + 8 < cap && i < LINT_SHOW_MAX) {
		size_t seq = skr_utf8_sequence((const unsigned char *)s + i, len - i);
		if (seq <= 1) {
			unsigned char c = (unsigned char)s[i];
			buf[n++] = (seq == 0 || c < 0x20 || c == 0x7F) ? '?' : (char)c;
			i++;
			continue;
		}
		if (n + seq + 8 >= cap)
			break;
		memcpy(buf + n, s + i, seq);
		n += seq;
		i += seq;
	}
	if (i < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

typedef struct shown {
	char text[LINT_SHOW_MAX * 4 + 16];
} shown;

static shown show_bytes(const char *s, size_t len)
{
	shown out;
	show(out.text, sizeof out.text, s, len);
	return out;
}

static const char *op_symbol(skr_operator op)
{
	switch (op) {
	case SKR_OP_EQUALS: return "==";
	case SKR_OP_NOT_EQUALS: return "!=";
	case SKR_OP_LESS: return "<";
	case SKR_OP_LESS_OR_EQUALS: return "<=";
	case SKR_OP_GREATER: return ">";
	case SKR_OP_GREATER_OR_EQUALS: return ">=";
	case SKR_OP_EXISTS: return "exists";
	}
	return "?";
}

/* Appends text to out, cutting it at the end of the buffer. */
static void append(shown *out, size_t *used, const char *text)
{
	size_t n = strlen(text), room = sizeof out->text - 1 - *used;
	if (n > room)
		n = room;
	memcpy(out->text + *used, text, n);
	*used += n;
	out->text[*used] = '\0';
}

/* A value as the DSL writes it: strings quoted, numbers as written. */
static shown show_value(const skr_ast_value *v)
{
	shown out;
	size_t used = 0;
	switch (v->kind) {
	case SKR_VALUE_STRING: {
		shown inner = show_bytes(v->str, v->len);
		append(&out, &used, "\"");
		append(&out, &used, inner.text);
		append(&out, &used, "\"");
		break;
	}
	case SKR_VALUE_INT:
	case SKR_VALUE_DOUBLE:
		show(out.text, sizeof out.text, v->str, v->len);
		break;
	case SKR_VALUE_TRUE:
		snprintf(out.text, sizeof out.text, "true");
		break;
	case SKR_VALUE_FALSE:
		snprintf(out.text, sizeof out.text, "false");
		break;
	}
	return out;
}

/* A claim condition as the DSL writes it: "x-ms-sgx-svn > 5". */
static shown show_condition(const skr_ast_node *n)
{
	shown out, path = show_bytes(n->path, n->path_len);
	size_t used = 0;
	if (n->op == SKR_OP_EXISTS) {
		append(&out, &used, n->value.kind == SKR_VALUE_FALSE ? "not exists " : "exists ");
		append(&out, &used, path.text);
	} else {
		shown value = show_value(&n->value);
		append(&out, &used, path.text);
		append(&out, &used, " ");
		append(&out, &used, op_symbol(n->op));
		append(&out, &used, " ");
		append(&out, &used, value.text);
	}
	return out;
}

static void report(lint_ctx *ctx, skr_severity severity, const char *code, skr_span span,
                   const char *fmt, ...) SKR_PRINTF(5, 6);

static void report(lint_ctx *ctx, skr_severity severity, const char *code, skr_span span,
                   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(&ctx->out, NULL, severity, code, span.offset, span.length, fmt, ap);
	va_end(ap);
}

/* Indexes the line starts of the text, so that line_of is a binary search
 * instead of a scan from the start for every message. */
static void index_lines(lint_ctx *ctx)
{
	if (!ctx->src || !ctx->src->text)
		return;
	size_t count = 1;
	for (size_t i = 0; i < ctx->src->len; i++)
		count += ctx->src->text[i] == '\n';
	ctx->line_starts = skr_arena_alloc(&ctx->scratch, count * sizeof *ctx->line_starts);
	if (!ctx->line_starts) {
		ctx->nomem = 1;
		return;
	}
	ctx->line_starts[0] = 0;
	ctx->line_count = 1;
	for (size_t i = 0; i < ctx->src->len; i++) {
		if (ctx->src->text[i] == '\n')
			ctx->line_starts[ctx->line_count++] = i + 1;
	}
}

/* The 1-based line of a byte offset (0 when the text is unknown). */
static uint32_t line_of(const lint_ctx *ctx, size_t offset)
{
	size_t lo = 0, hi = ctx->line_count;
	if (hi == 0)
		return 0;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ctx->line_starts[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return (uint32_t)(lo + 1);
}

/* Names the types of a set for a message: "sevsnpvm" or "tdxvm". */
static shown show_types(const skr_registry *reg, skr_type_set set)
{
	shown out;
	size_t n = 0;
	out.text[0] = '\0';
	for (uint32_t t = 0; t < reg->type_count; t++) {
		if (!(set & ((skr_type_set)1 << t)))
			continue;
		int w = snprintf(out.text + n, sizeof out.text - n, "%s\"%s\"", n ? " or " : "",
		                 reg->types[t].str);
		if (w < 0 || (size_t)w >= sizeof out.text - n)
			break;
		n += (size_t)w;
	}
	return out;
}

/* ---- values ------------------------------------------------------------- */

typedef struct number {
	int is_int;
	int64_t i;
	double d;
} number;

/* The numeric value of a number or of a numeric string. */
static int value_number(const skr_ast_value *v, number *out)
{
	if (v->kind == SKR_VALUE_INT) {
		out->is_int = 1;
		out->i = v->i;
		return 1;
	}
	if (v->kind == SKR_VALUE_DOUBLE) {
		out->is_int = 0;
		out->d = v->d;
		return 1;
	}
	if (v->kind != SKR_VALUE_STRING || memchr(v->str, '\0', v->len))
		return 0;
	return skr_parse_json_number(v->str, v->len, &out->is_int, &out->i, &out->d) == 0;
}

static int compare_numbers(number a, number b)
{
	if (a.is_int && b.is_int)
		return a.i < b.i ? -1 : a.i > b.i;
	if (a.is_int)
		return skr_compare_int_double(a.i, b.d);
	if (b.is_int)
		return -skr_compare_int_double(b.i, a.d);
	return a.d < b.d ? -1 : a.d > b.d;
}

static int is_boolean_string(const skr_ast_value *v, int *truth)
{
	if (v->kind != SKR_VALUE_STRING)
		return 0;
	if (v->len == 4 && memcmp(v->str, "true", 4) == 0) {
		*truth = 1;
		return 1;
	}
	if (v->len == 5 && memcmp(v->str, "false", 5) == 0) {
		*truth = 0;
		return 1;
	}
	return 0;
}

static int is_number_kind(const skr_ast_value *v)
{
	return v->kind == SKR_VALUE_INT || v->kind == SKR_VALUE_DOUBLE;
}

static int is_boolean_kind(const skr_ast_value *v)
{
	return v->kind == SKR_VALUE_TRUE || v->kind == SKR_VALUE_FALSE;
}

/* Whether two values are the same literal: equal strings, numerically
 * equal numbers, or the same boolean. */
static int same_value(const skr_ast_value *a, const skr_ast_value *b)
{
	if (a->kind == SKR_VALUE_STRING || b->kind == SKR_VALUE_STRING)
		return a->kind == b->kind && a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	if (is_number_kind(a) && is_number_kind(b)) {
		number x, y;
		value_number(a, &x);
		value_number(b, &y);
		return compare_numbers(x, y) == 0;
	}
	return a->kind == b->kind;
}

/* Whether one claim value can satisfy both "equals a" and "equals b" under
 * the comparison rules of the policy language (numeric strings compare as
 * numbers with numbers, "true"/"false" as booleans with booleans). */
static int equals_compatible(const skr_ast_value *a, const skr_ast_value *b)
{
	if (same_value(a, b))
		return 1;
	number x, y;
	if (value_number(a, &x) && value_number(b, &y))
		return compare_numbers(x, y) == 0;
	int ta, tb;
	if (is_boolean_kind(a) && is_boolean_string(b, &tb))
		return (a->kind == SKR_VALUE_TRUE) == tb;
	if (is_boolean_kind(b) && is_boolean_string(a, &ta))
		return (b->kind == SKR_VALUE_TRUE) == ta;
	return 0;
}

static int is_ordering(skr_operator op)
{
	return op == SKR_OP_LESS || op == SKR_OP_LESS_OR_EQUALS || op == SKR_OP_GREATER ||
	       op == SKR_OP_GREATER_OR_EQUALS;
}

static int is_not_exists(const skr_ast_node *n)
{
	return n->op == SKR_OP_EXISTS && n->value.kind == SKR_VALUE_FALSE;
}

/* ---- claim paths -------------------------------------------------------- */

#define LINT_MAX_SEGMENTS 64

typedef struct segment {
	const char *str;
	size_t len;
} segment;

/* Splits a dotted path. Returns the number of segments, or 0 when there
 * are more than max (such paths are left alone). */
static size_t split_path(const char *path, size_t len, segment *out, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || path[i] == '.') {
			if (n == max)
				return 0;
			out[n].str = path + start;
			out[n].len = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* What a claim path names in the registry. */
typedef struct resolved {
	const skr_reg_claim *top;    /* the top-level claim, NULL when unknown */
	const skr_reg_claim *nested; /* under the isolation claim: the claim it names */
	const skr_reg_claim *claim;  /* the claim the whole path names, NULL when not listed */
	size_t unknown_at;           /* segment that is not listed, or the segment count when all are */
	int scalar_at;               /* segment that descends into a claim that is not an object */
	int open;                    /* the path goes on inside an object whose members are free */
} resolved;

static int is_isolation(const skr_registry *reg, const skr_reg_claim *claim)
{
	return claim && claim->name.len == reg->isolation_claim.len &&
	       memcmp(claim->name.str, reg->isolation_claim.str, claim->name.len) == 0;
}

static void resolve_path(const skr_registry *reg, const segment *seg, size_t count, resolved *r)
{
	memset(r, 0, sizeof *r);
	r->unknown_at = count;
	r->scalar_at = -1;
	const skr_reg_claim *parent = NULL;
	for (size_t k = 0; k < count; k++) {
		if (parent && parent->type != SKR_CLAIM_OBJECT) {
			/* claim is then the claim that the path wrongly descends into. */
			r->scalar_at = (int)k;
			r->claim = parent;
			return;
		}
		const skr_reg_claim *c = skr_registry_member(reg, parent, seg[k].str, seg[k].len);
		if (!c) {
			if (parent && parent->open) {
				r->open = 1;
				return;
			}
			r->unknown_at = k;
			return;
		}
		if (k == 0)
			r->top = c;
		if (k == 1 && is_isolation(reg, parent))
			r->nested = c;
		parent = c;
	}
	r->claim = parent;
}

/* Builds "did you mean" text for a path with unknown segments: each one is
 * replaced by its nearest listed name. Returns 0 when some segment has no
 * near name. */
static int suggest_path(const skr_registry *reg, const segment *seg, size_t count, char *buf,
                        size_t cap)
{
	const skr_reg_claim *parent = NULL;
	size_t n = 0;
	for (size_t k = 0; k < count; k++) {
		if (parent && parent->type != SKR_CLAIM_OBJECT)
			return 0;
		const skr_reg_claim *c = skr_registry_member(reg, parent, seg[k].str, seg[k].len);
		if (!c && parent && parent->open) {
			/* The rest is free text inside an open object: keep it. */
			for (size_t j = k; j < count; j++) {
				if (n + seg[j].len + 2 >= cap)
					return 0;
				if (j > k || n > 0)
					buf[n++] = '.';
				memcpy(buf + n, seg[j].str, seg[j].len);
				n += seg[j].len;
			}
			break;
		}
		if (!c)
			c = skr_registry_nearest_member(reg, parent, seg[k].str, seg[k].len);
		if (!c || n + c->name.len + 2 >= cap)
			return 0;
		if (k > 0)
			buf[n++] = '.';
		memcpy(buf + n, c->name.str, c->name.len);
		n += c->name.len;
		parent = c;
	}
	buf[n] = '\0';
	return 1;
}

/* ---- attestation types an entry requires ---------------------------------- */

enum { OUTER_TYPE = 0, INNER_TYPE = 1 };

/* Whether n's path is the type claim (outer) or the type claim under the
 * isolation claim (inner). */
static int is_type_path(const skr_registry *reg, const skr_ast_node *n, int which)
{
	const skr_reg_string *t = &reg->type_claim, *iso = &reg->isolation_claim;
	if (which == OUTER_TYPE)
		return n->path_len == t->len && memcmp(n->path, t->str, t->len) == 0;
	return n->path_len == iso->len + 1 + t->len && memcmp(n->path, iso->str, iso->len) == 0 &&
	       n->path[iso->len] == '.' && memcmp(n->path + iso->len + 1, t->str, t->len) == 0;
}

/* The attestation types for which a condition can hold, judged by its
 * conditions on the type claim alone (every other condition allows every
 * type). */
static skr_type_set type_constraint(const skr_registry *reg, const skr_ast_node *n, int which)
{
	skr_type_set set;
	switch (n->kind) {
	case SKR_NODE_ALL:
		set = reg->all_types;
		for (uint32_t i = 0; i < n->child_count; i++)
			set &= type_constraint(reg, n->children[i], which);
		return set;
	case SKR_NODE_ANY:
		set = 0;
		for (uint32_t i = 0; i < n->child_count; i++)
			set |= type_constraint(reg, n->children[i], which);
		return set;
	case SKR_NODE_CLAIM:
		break;
	}
	if (!is_type_path(reg, n, which))
		return reg->all_types;
	int t = n->value.kind == SKR_VALUE_STRING ? skr_registry_type_index(reg, n->value.str, n->value.len) : -1;
	skr_type_set bit = t >= 0 ? (skr_type_set)1 << t : 0;
	switch (n->op) {
	case SKR_OP_EQUALS:
		return bit;
	case SKR_OP_NOT_EQUALS:
		return reg->all_types & ~bit;
	case SKR_OP_EXISTS:
		/* Every MAA token names its type, so only "exists" can hold. */
		return n->value.kind == SKR_VALUE_TRUE ? reg->all_types : 0;
	default:
		/* Type names are not numbers, so an ordering never holds. */
		return 0;
	}
}

typedef struct type_context {
	skr_type_set outer;  /* types the token can have */
	skr_type_set inner;  /* types its isolation claim can name */
} type_context;

/* ---- registry rules on one condition ------------------------------------ */

static const char *type_word(skr_claim_type t)
{
	switch (t) {
	case SKR_CLAIM_STRING: return "a string";
	case SKR_CLAIM_NUMERIC_STRING: return "a string holding a number";
	case SKR_CLAIM_BOOLEAN: return "a boolean";
	case SKR_CLAIM_INTEGER: return "an integer";
	case SKR_CLAIM_NUMBER: return "a number";
	case SKR_CLAIM_OBJECT: return "an object";
	case SKR_CLAIM_ARRAY: return "an array";
	}
	return "a value";
}

static void lint_unknown_claim(lint_ctx *ctx, const skr_ast_node *n, const segment *seg,
                               size_t count, const resolved *r)
{
	shown path = show_bytes(n->path, n->path_len);
	char suggestion[512];
	if (r->scalar_at >= 0) {
		size_t k = (size_t)r->scalar_at;
		shown parent = show_bytes(n->path, (size_t)(seg[k - 1].str + seg[k - 1].len - n->path));
		report(ctx, SKR_SEV_WARNING, "lint-unknown-claim", n->path_span,
		       "claim \"%s\" is never found: \"%s\" is %s, not an object", path.text, parent.text,
		       type_word(r->claim ? r->claim->type : SKR_CLAIM_STRING));
		return;
	}
	if (suggest_path(ctx->reg, seg, count, suggestion, sizeof suggestion)) {
		shown hint = show_bytes(suggestion, strlen(suggestion));
		report(ctx, SKR_SEV_WARNING, "lint-unknown-claim", n->path_span,
		       "\"%s\" is not a known MAA claim; did you mean \"%s\"?", path.text, hint.text);
		return;
	}
	report(ctx, SKR_SEV_WARNING, "lint-unknown-claim", n->path_span,
	       "\"%s\" is not a known MAA claim, and no known claim is close to it", path.text);
}

/* Finds conditions on claims that tokens of the required types never
 * carry at that place. Returns 1 after reporting one. */
static int lint_place(lint_ctx *ctx, const skr_ast_node *n, const resolved *r, type_context tc)
{
	const skr_registry *reg = ctx->reg;
	shown path = show_bytes(n->path, n->path_len);
	int outer_known = tc.outer != 0 && tc.outer != reg->all_types;
	int inner_known = tc.inner != 0 && tc.inner != reg->all_types;
	if (!is_isolation(reg, r->top)) {
		if (!outer_known || (r->top->at & tc.outer))
			return 0;
		shown types = show_types(reg, tc.outer);
		const skr_reg_claim *iso = skr_registry_member(reg, NULL, reg->isolation_claim.str,
		                                               reg->isolation_claim.len);
		if (r->top->tee && iso && (iso->at & tc.outer)) {
			report(ctx, SKR_SEV_WARNING, "lint-wrong-place", n->path_span,
			       "this entry requires tokens of type %s, which carry \"%s\" only under \"%s\", so this condition never holds; did you mean \"%s.%s\"?",
			       types.text, r->top->name.str, reg->isolation_claim.str, reg->isolation_claim.str,
			       path.text);
		} else {
			report(ctx, SKR_SEV_WARNING, "lint-wrong-place", n->path_span,
			       "this entry requires tokens of type %s, which never carry \"%s\", so this condition never holds",
			       types.text, r->top->name.str);
		}
		return 1;
	}
	if (!r->nested)
		return 0;
	if (outer_known && !(r->top->at & tc.outer)) {
		shown types = show_types(reg, tc.outer);
		if (r->nested->at & tc.outer) {
			size_t skip = reg->isolation_claim.len + 1;
			shown rest = show_bytes(n->path + skip, n->path_len - skip);
			report(ctx, SKR_SEV_WARNING, "lint-wrong-place", n->path_span,
			       "this entry requires tokens of type %s, which carry \"%s\" at the top level, not under \"%s\", so this condition never holds; did you mean \"%s\"?",
			       types.text, r->nested->name.str, reg->isolation_claim.str, rest.text);
		} else {
			report(ctx, SKR_SEV_WARNING, "lint-wrong-place", n->path_span,
			       "this entry requires tokens of type %s, which have no \"%s\", so this condition never holds",
			       types.text, reg->isolation_claim.str);
		}
		return 1;
	}
	if (inner_known && !(r->nested->tee & tc.inner)) {
		shown types = show_types(reg, tc.inner);
		report(ctx, SKR_SEV_WARNING, "lint-wrong-place", n->path_span,
		       "this entry requires \"%s.%s\" to be %s, and the \"%s\" of such tokens never holds \"%s\", so this condition never holds",
		       reg->isolation_claim.str, reg->type_claim.str, types.text, reg->isolation_claim.str,
		       r->nested->name.str);
		return 1;
	}
	return 0;
}

/* Type rules: the value's JSON type against the registry's type. */
static void lint_types(lint_ctx *ctx, const skr_ast_node *n, const skr_reg_claim *c)
{
	const skr_ast_value *v = &n->value;
	shown path = show_bytes(n->path, n->path_len);
	shown value = show_value(v);
	const char *never = n->op == SKR_OP_NOT_EQUALS ? "this condition never holds (notEquals is false when the two cannot be compared)"
	                                                : "this condition never holds";
	int truth;
	number num;
	switch (c->type) {
	case SKR_CLAIM_BOOLEAN:
		if (is_ordering(n->op)) {
			report(ctx, SKR_SEV_WARNING, "lint-type-mismatch", n->op_span,
			       "\"%s\" is a boolean and \"%s\" compares numbers, so %s", path.text,
			       skr_operator_name(n->op), never);
		} else if (is_boolean_string(v, &truth)) {
			report(ctx, SKR_SEV_WARNING, "lint-string-for-boolean", v->span,
			       "\"%s\" is a boolean; the string %s compares as %s, but write %s without quotes to say what is meant",
			       path.text, value.text, truth ? "true" : "false", truth ? "true" : "false");
		} else if (!is_boolean_kind(v)) {
			report(ctx, SKR_SEV_WARNING, "lint-type-mismatch", v->span,
			       "\"%s\" is a boolean and %s can never be compared with a boolean, so %s", path.text,
			       value.text, never);
		}
		return;
	case SKR_CLAIM_INTEGER:
	case SKR_CLAIM_NUMBER:
		if (v->kind == SKR_VALUE_STRING && value_number(v, &num)) {
			shown digits = show_bytes(v->str, v->len);
			report(ctx, SKR_SEV_WARNING, "lint-string-for-number", v->span,
			       "\"%s\" is a number; the string %s compares as the number %s, but write %s without quotes to say what is meant",
			       path.text, value.text, digits.text, digits.text);
		} else if (!is_number_kind(v)) {
			report(ctx, SKR_SEV_WARNING, "lint-type-mismatch", v->span,
			       "\"%s\" is a number and %s can never be compared with a number, so %s", path.text,
			       value.text, never);
		}
		return;
	case SKR_CLAIM_STRING:
		if (is_ordering(n->op)) {
			report(ctx, SKR_SEV_WARNING, "lint-ordering-on-string", n->op_span,
			       "\"%s\" is a string that never holds a number, and \"%s\" compares numbers, so this condition never holds",
			       path.text, skr_operator_name(n->op));
		} else if (v->kind != SKR_VALUE_STRING) {
			report(ctx, SKR_SEV_WARNING, "lint-type-mismatch", v->span,
			       "\"%s\" is a string that never holds a number or a boolean, and %s is not a string, so %s",
			       path.text, value.text, never);
		}
		return;
	case SKR_CLAIM_NUMERIC_STRING:
		if (is_boolean_kind(v))
			report(ctx, SKR_SEV_WARNING, "lint-type-mismatch", v->span,
			       "\"%s\" is a string holding a number, which never compares with a boolean, so %s",
			       path.text, never);
		return;
	case SKR_CLAIM_OBJECT:
	case SKR_CLAIM_ARRAY:
		report(ctx, SKR_SEV_WARNING, "lint-type-mismatch", n->op_span,
		       "\"%s\" is %s, which only \"exists\" can test, so %s", path.text, type_word(c->type),
		       never);
		return;
	}
}

static int equal_ignoring_case(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

static int is_hex(const char *s, size_t len, int *upper)
{
	*upper = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'F')
			*upper = 1;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

/* Value rules for a string compared with equals or notEquals. */
static void lint_string_value(lint_ctx *ctx, const skr_ast_node *n, const skr_reg_claim *c)
{
	const skr_ast_value *v = &n->value;
	shown path = show_bytes(n->path, n->path_len);
	shown value = show_value(v);
	const char *outcome = n->op == SKR_OP_EQUALS ? "this condition never holds"
	                                             : "this condition holds for every token that has the claim";
	if (c->value_count > 0) {
		const skr_reg_string *folded = NULL;
		for (uint32_t i = 0; i < c->value_count; i++) {
			const skr_reg_string *known = &c->values[i];
			if (known->len != v->len)
				continue;
			if (memcmp(known->str, v->str, v->len) == 0)
				return;
			if (equal_ignoring_case(known->str, v->str, v->len))
				folded = known;
		}
		if (folded) {
			report(ctx, SKR_SEV_WARNING, "lint-value-case", v->span,
			       "%s differs from \"%s\", the value MAA writes for \"%s\", only by case; strings compare case-sensitively, so %s",
			       value.text, folded->str, path.text, outcome);
			return;
		}
		if (c->closed) {
			const skr_reg_string *near = NULL;
			size_t best = 3;
			char list[256];
			size_t used = 0;
			list[0] = '\0';
			for (uint32_t i = 0; i < c->value_count; i++) {
				const skr_reg_string *known = &c->values[i];
				size_t d = skr_name_distance(v->str, v->len, known->str, known->len, 2);
				if (d < best) {
					best = d;
					near = known;
				}
				int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", known->str);
				if (w > 0 && (size_t)w < sizeof list - used)
					used += (size_t)w;
			}
			if (near)
				report(ctx, SKR_SEV_WARNING, "lint-unknown-value", v->span,
				       "MAA never writes %s for \"%s\" (it writes %s), so %s; did you mean \"%s\"?",
				       value.text, path.text, list, outcome, near->str);
			else
				report(ctx, SKR_SEV_WARNING, "lint-unknown-value", v->span,
				       "MAA never writes %s for \"%s\" (it writes %s), so %s", value.text, path.text,
				       list, outcome);
			return;
		}
	}
	if (c->hex > 0) {
		int upper;
		int hex = is_hex(v->str, v->len, &upper);
		if (hex && v->len == c->hex && upper) {
			report(ctx, SKR_SEV_WARNING, "lint-value-case", v->span,
			       "MAA writes \"%s\" in lower-case hex and strings compare case-sensitively, so %s; write the digits in lower case",
			       path.text, outcome);
		} else if (!hex || v->len != c->hex) {
			report(ctx, SKR_SEV_WARNING, "lint-value-format", v->span,
			       "\"%s\" holds %u lower-case hex digits, and %s (%zu characters%s) is not such a value, so %s",
			       path.text, (unsigned)c->hex, value.text, v->len, hex ? "" : ", not all hex digits",
			       outcome);
		}
	}
}

/* Registry rules for one claim condition. */
static void lint_condition(lint_ctx *ctx, const skr_ast_node *n, type_context tc)
{
	const skr_registry *reg = ctx->reg;
	segment seg[LINT_MAX_SEGMENTS];
	size_t count = split_path(n->path, n->path_len, seg, LINT_MAX_SEGMENTS);
	if (count == 0)
		return;
	resolved r;
	resolve_path(reg, seg, count, &r);

	if (r.unknown_at < count || r.scalar_at >= 0) {
		/* Tokens whose claims the provider's policy chooses may carry any
		 * name, so an entry that requires only such types is left alone. */
		int policy_defined = tc.outer != 0 && tc.outer != reg->all_types &&
		                     (tc.outer & ~reg->policy_defined_types) == 0;
		if (!policy_defined)
			lint_unknown_claim(ctx, n, seg, count, &r);
		return;
	}
	if (is_not_exists(n))
		return;
	if (lint_place(ctx, n, &r, tc))
		return;
	if (!r.claim)
		return;
	if (n->op != SKR_OP_EXISTS)
		lint_types(ctx, n, r.claim);
	if ((n->op == SKR_OP_EQUALS || n->op == SKR_OP_NOT_EQUALS) && n->value.kind == SKR_VALUE_STRING &&
	    (r.claim->type == SKR_CLAIM_STRING || r.claim->type == SKR_CLAIM_NUMERIC_STRING))
		lint_string_value(ctx, n, r.claim);
}

static void lint_registry_rules(lint_ctx *ctx, const skr_ast_node *n, type_context tc)
{
	switch (n->kind) {
	case SKR_NODE_ALL:
		tc.outer &= type_constraint(ctx->reg, n, OUTER_TYPE);
		tc.inner &= type_constraint(ctx->reg, n, INNER_TYPE);
		/* fall through */
	case SKR_NODE_ANY:
		for (uint32_t i = 0; i < n->child_count; i++)
			lint_registry_rules(ctx, n->children[i], tc);
		return;
	case SKR_NODE_CLAIM:
		lint_condition(ctx, n, tc);
		return;
	}
}

/* ---- debugging and compliance checks ------------------------------------ */

/* Whether condition n, holding, shows that debugging is off or checks the
 * compliance status. */
static int checks_debug_or_compliance(const skr_registry *reg, const skr_ast_node *n)
{
	segment seg[LINT_MAX_SEGMENTS];
	size_t count = split_path(n->path, n->path_len, seg, LINT_MAX_SEGMENTS);
	resolved r;
	resolve_path(reg, seg, count, &r);
	const skr_reg_claim *c = r.scalar_at < 0 ? r.claim : NULL;
	if (!c || !(count == 1 || (count == 2 && r.nested)))
		return 0;
	if (c->name.len == reg->compliance_claim.len &&
	    memcmp(c->name.str, reg->compliance_claim.str, c->name.len) == 0)
		return n->op == SKR_OP_EQUALS;
	const skr_ast_value *v = &n->value;
	int truth = 0;
	int is_bool = is_boolean_kind(v) || is_boolean_string(v, &truth);
	if (is_boolean_kind(v))
		truth = v->kind == SKR_VALUE_TRUE;
	switch (c->debug_off) {
	case SKR_DEBUG_OFF_NONE:
		return 0;
	case SKR_DEBUG_OFF_FALSE:
	case SKR_DEBUG_OFF_TRUE: {
		int off = c->debug_off == SKR_DEBUG_OFF_TRUE;
		if (!is_bool)
			return 0;
		return (n->op == SKR_OP_EQUALS && truth == off) || (n->op == SKR_OP_NOT_EQUALS && truth != off);
	}
	case SKR_DEBUG_OFF_STRINGS:
		if (n->op != SKR_OP_EQUALS || v->kind != SKR_VALUE_STRING)
			return 0;
		for (uint32_t i = 0; i < c->debug_off_count; i++) {
			if (c->debug_off_values[i].len == v->len &&
			    memcmp(c->debug_off_values[i].str, v->str, v->len) == 0)
				return 1;
		}
		return 0;
	}
	return 0;
}

/* Whether every way condition n can hold passes such a check. */
static int entry_checked(const skr_registry *reg, const skr_ast_node *n)
{
	switch (n->kind) {
	case SKR_NODE_ALL:
		for (uint32_t i = 0; i < n->child_count; i++) {
			if (entry_checked(reg, n->children[i]))
				return 1;
		}
		return 0;
	case SKR_NODE_ANY:
		for (uint32_t i = 0; i < n->child_count; i++) {
			if (!entry_checked(reg, n->children[i]))
				return 0;
		}
		return 1;
	case SKR_NODE_CLAIM:
		return checks_debug_or_compliance(reg, n);
	}
	return 0;
}

/* The types whose tokens carry a debug claim or the compliance claim. */
static skr_type_set checkable_types(const skr_registry *reg)
{
	skr_type_set set = 0;
	const skr_reg_claim *iso = skr_registry_member(reg, NULL, reg->isolation_claim.str,
	                                               reg->isolation_claim.len);
	for (uint32_t i = 0; i < reg->claim_count; i++) {
		const skr_reg_claim *c = &reg->claims[i];
		int relevant = c->debug_off != SKR_DEBUG_OFF_NONE ||
		               (c->name.len == reg->compliance_claim.len &&
		                memcmp(c->name.str, reg->compliance_claim.str, c->name.len) == 0);
		if (!relevant)
			continue;
		set |= c->at;
		if (c->tee && iso)
			set |= iso->at;
	}
	return set;
}

/* The types whose tokens carry every claim that n reads (all types when
 * n reads only claims that every token carries). It only picks a claim to
 * suggest, because the rules trust no type that a policy does not require. */
static skr_type_set read_types(const skr_registry *reg, const skr_ast_node *n)
{
	if (n->kind != SKR_NODE_CLAIM) {
		skr_type_set set = reg->all_types;
		for (uint32_t i = 0; i < n->child_count; i++)
			set &= read_types(reg, n->children[i]);
		return set;
	}
	segment seg[LINT_MAX_SEGMENTS];
	size_t count = split_path(n->path, n->path_len, seg, LINT_MAX_SEGMENTS);
	if (count == 0 || is_not_exists(n))
		return reg->all_types;
	const skr_reg_claim *top = skr_registry_member(reg, NULL, seg[0].str, seg[0].len);
	return top ? top->at : reg->all_types;
}

/* A condition to suggest for an entry that requires types (all types when
 * it requires none). */
static void suggest_check(const skr_registry *reg, skr_type_set types, char *buf, size_t cap)
{
	const skr_reg_claim *iso = skr_registry_member(reg, NULL, reg->isolation_claim.str,
	                                               reg->isolation_claim.len);
	const skr_reg_claim *comp = skr_registry_member(reg, NULL, reg->compliance_claim.str,
	                                                reg->compliance_claim.len);
	const skr_reg_claim *debug = NULL;
	for (uint32_t i = 0; i < reg->claim_count && !debug; i++) {
		if (reg->claims[i].debug_off != SKR_DEBUG_OFF_NONE && (reg->claims[i].at & types) &&
		    !reg->claims[i].deprecated.len)
			debug = &reg->claims[i];
	}
	if (comp && iso && (types & iso->at) && !(types & comp->at)) {
		snprintf(buf, cap, "\"%s.%s\"", reg->isolation_claim.str, comp->name.str);
	} else if (comp && (types & comp->at) && debug) {
		snprintf(buf, cap, "\"%s\" or \"%s\"", comp->name.str, debug->name.str);
	} else if (debug) {
		snprintf(buf, cap, "\"%s\"", debug->name.str);
	} else {
		snprintf(buf, cap, "\"%s\"", reg->compliance_claim.str);
	}
}

/* ---- logic rules: contradictions ---------------------------------------- */

/* Collects the claim conditions of an allOf, with those of allOf groups
 * nested directly in it (they must all hold together too). */
static void collect_conjuncts(const skr_ast_node *n, const skr_ast_node **out, size_t *count)
{
	for (uint32_t i = 0; i < n->child_count; i++) {
		const skr_ast_node *c = n->children[i];
		if (c->kind == SKR_NODE_CLAIM)
			out[(*count)++] = c;
		else if (c->kind == SKR_NODE_ALL)
			collect_conjuncts(c, out, count);
	}
}

static size_t count_conjuncts(const skr_ast_node *n)
{
	size_t count = 0;
	for (uint32_t i = 0; i < n->child_count; i++) {
		const skr_ast_node *c = n->children[i];
		if (c->kind == SKR_NODE_CLAIM)
			count++;
		else if (c->kind == SKR_NODE_ALL)
			count += count_conjuncts(c);
	}
	return count;
}

/* Orders conditions by path, then by position in the text. */
static int compare_by_path(const void *pa, const void *pb)
{
	const skr_ast_node *a = *(const skr_ast_node *const *)pa;
	const skr_ast_node *b = *(const skr_ast_node *const *)pb;
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);
	if (c != 0)
		return c;
	if (a->path_len != b->path_len)
		return a->path_len < b->path_len ? -1 : 1;
	return a->span.offset < b->span.offset ? -1 : a->span.offset > b->span.offset;
}

static void report_contradiction(lint_ctx *ctx, const skr_ast_node *first,
                                 const skr_ast_node *second)
{
	if (first->span.offset > second->span.offset) {
		const skr_ast_node *t = first;
		first = second;
		second = t;
	}
	shown a = show_condition(second), b = show_condition(first);
	report(ctx, SKR_SEV_WARNING, "lint-contradiction", second->span,
	       "%s can never hold together with %s (line %u) in the same allOf, so that allOf never holds",
	       a.text, b.text, (unsigned)line_of(ctx, first->span.offset));
	report(ctx, SKR_SEV_NOTE, "lint-note", first->span, "the other condition is here");
}

typedef struct bound {
	const skr_ast_node *node;
	number value;
	int inclusive;
} bound;

/* Returns 1 when the interval between lower and upper is empty. */
static int bounds_empty(const bound *lower, const bound *upper)
{
	if (!lower->node || !upper->node)
		return 0;
	int c = compare_numbers(lower->value, upper->value);
	return c > 0 || (c == 0 && !(lower->inclusive && upper->inclusive));
}

/* Tightens b with a new bound. low is set when b is the lower bound. */
static void tighten(bound *b, const skr_ast_node *n, number value, int inclusive, int low)
{
	if (b->node) {
		int c = compare_numbers(value, b->value);
		int tighter = low ? c > 0 : c < 0;
		if (!tighter && !(c == 0 && b->inclusive && !inclusive))
			return;
	}
	b->node = n;
	b->value = value;
	b->inclusive = inclusive;
}

/* Looks for one contradiction among conditions on the same path (in text
 * order) and reports it. */
static void lint_path_group(lint_ctx *ctx, const skr_ast_node **group, size_t count)
{
	const skr_ast_node *not_exists = NULL, *other = NULL, *first_equals = NULL;
	const skr_ast_node *ordering = NULL, *non_numeric_equals = NULL;
	bound lower = { NULL, { 0, 0, 0 }, 0 }, upper = { NULL, { 0, 0, 0 }, 0 };
	for (size_t i = 0; i < count; i++) {
		const skr_ast_node *n = group[i];
		number v;
		if (is_not_exists(n)) {
			if (!not_exists)
				not_exists = n;
		} else if (!other) {
			other = n;
		}
		if (not_exists && other) {
			report_contradiction(ctx, not_exists, other);
			return;
		}
		if (n->op == SKR_OP_EQUALS) {
			if (first_equals && !equals_compatible(&first_equals->value, &n->value)) {
				report_contradiction(ctx, first_equals, n);
				return;
			}
			if (!first_equals)
				first_equals = n;
		}
		if (n->op == SKR_OP_NOT_EQUALS || n->op == SKR_OP_EQUALS) {
			for (size_t j = 0; j < i && ctx->budget > 0; j++, ctx->budget--) {
				const skr_ast_node *m = group[j];
				int opposite = (m->op == SKR_OP_EQUALS && n->op == SKR_OP_NOT_EQUALS) ||
				               (m->op == SKR_OP_NOT_EQUALS && n->op == SKR_OP_EQUALS);
				if (opposite && same_value(&m->value, &n->value)) {
					report_contradiction(ctx, m, n);
					return;
				}
			}
		}
		int numeric = value_number(&n->value, &v);
		if (is_ordering(n->op) && !ordering)
			ordering = n;
		if (n->op == SKR_OP_EQUALS && !numeric && !non_numeric_equals)
			non_numeric_equals = n;
		if (ordering && non_numeric_equals) {
			report_contradiction(ctx, ordering, non_numeric_equals);
			return;
		}
		if (!numeric)
			continue;
		if (n->op == SKR_OP_GREATER || n->op == SKR_OP_GREATER_OR_EQUALS || n->op == SKR_OP_EQUALS)
			tighten(&lower, n, v, n->op != SKR_OP_GREATER, 1);
		if (n->op == SKR_OP_LESS || n->op == SKR_OP_LESS_OR_EQUALS || n->op == SKR_OP_EQUALS)
			tighten(&upper, n, v, n->op != SKR_OP_LESS, 0);
		if (bounds_empty(&lower, &upper)) {
			report_contradiction(ctx, lower.node == n ? upper.node : lower.node, n);
			return;
		}
	}
}

static void lint_contradictions(lint_ctx *ctx, const skr_ast_node *all)
{
	size_t count = count_conjuncts(all);
	if (count < 2)
		return;
	const skr_ast_node **items = skr_arena_alloc(&ctx->scratch, count * sizeof *items);
	if (!items) {
		ctx->nomem = 1;
		return;
	}
	size_t n = 0;
	collect_conjuncts(all, items, &n);
	qsort(items, n, sizeof *items, compare_by_path);
	for (size_t start = 0; start < n;) {
		size_t end = start + 1;
		while (end < n && items[end]->path_len == items[start]->path_len &&
		       memcmp(items[end]->path, items[start]->path, items[start]->path_len) == 0)
			end++;
		if (end - start > 1)
			lint_path_group(ctx, items + start, end - start);
		start = end;
	}
}

/* ---- logic rules: duplicates and redundant entries ------------------------ */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* A hash that equal conditions share (groups hash their children in any
 * order). */
static uint64_t node_hash(const skr_ast_node *n)
{
	if (n->kind != SKR_NODE_CLAIM) {
		uint64_t sum = (uint64_t)n->kind + 0x9e3779b97f4a7c15ULL;
		for (uint32_t i = 0; i < n->child_count; i++)
			sum += mix(node_hash(n->children[i]));
		return mix(sum);
	}
	uint64_t h = skr_claim_id(n->path, n->path_len) ^ ((uint64_t)n->op << 56);
	const skr_ast_value *v = &n->value;
	number num;
	if (v->kind == SKR_VALUE_STRING) {
		h ^= mix(skr_claim_id(v->str, v->len));
	} else if (value_number(v, &num)) {
		/* Numerically equal numbers hash alike: an integral double hashes
		 * as the integer. */
		double d = num.is_int ? (double)num.i : num.d;
		/* Convert only inside the int64 range: a cast of a larger double
		 * is undefined behaviour. */
		if (d >= -9.2e18 && d <= 9.2e18 && (double)(int64_t)d == d)
			h ^= mix((uint64_t)(int64_t)d + 1);
		else
			h ^= mix(0x5555);
	} else {
		h ^= mix(v->kind == SKR_VALUE_TRUE ? 2 : 3);
	}
	return mix(h);
}

static int nodes_equal(lint_ctx *ctx, const skr_ast_node *a, const skr_ast_node *b);

/* Every child of a equals some child of b. */
static int children_covered(lint_ctx *ctx, const skr_ast_node *a, const skr_ast_node *b)
{
	for (uint32_t i = 0; i < a->child_count; i++) {
		int found = 0;
		for (uint32_t j = 0; j < b->child_count && !found; j++)
			found = nodes_equal(ctx, a->children[i], b->children[j]);
		if (!found)
			return 0;
	}
	return 1;
}

/* Whether two conditions are the same: equal claim conditions, or groups
 * of one kind with the same set of conditions (order and repeats do not
 * change what a group means). Returns 0 once the budget is spent. */
static int nodes_equal(lint_ctx *ctx, const skr_ast_node *a, const skr_ast_node *b)
{
	if (ctx->budget == 0)
		return 0;
	ctx->budget--;
	if (a->kind != b->kind)
		return 0;
	if (a->kind == SKR_NODE_CLAIM) {
		return a->op == b->op && a->path_len == b->path_len &&
		       memcmp(a->path, b->path, a->path_len) == 0 && same_value(&a->value, &b->value);
	}
	return children_covered(ctx, a, b) && children_covered(ctx, b, a);
}

/* Whether a holding always makes b hold, judged from the structure of the
 * two conditions: a sound test that may miss implications. */
static int implies(lint_ctx *ctx, const skr_ast_node *a, const skr_ast_node *b)
{
	if (ctx->budget == 0)
		return 0;
	ctx->budget--;
	if (nodes_equal(ctx, a, b))
		return 1;
	if (b->kind == SKR_NODE_ALL) {
		for (uint32_t i = 0; i < b->child_count; i++) {
			if (!implies(ctx, a, b->children[i]))
				return 0;
		}
		return 1;
	}
	if (a->kind == SKR_NODE_ANY) {
		for (uint32_t i = 0; i < a->child_count; i++) {
			if (!implies(ctx, a->children[i], b))
				return 0;
		}
		return 1;
	}
	if (a->kind == SKR_NODE_ALL) {
		for (uint32_t i = 0; i < a->child_count; i++) {
			if (implies(ctx, a->children[i], b))
				return 1;
		}
	}
	if (b->kind == SKR_NODE_ANY) {
		for (uint32_t i = 0; i < b->child_count; i++) {
			if (implies(ctx, a, b->children[i]))
				return 1;
		}
	}
	/* A condition can only be true when its claim is present, so it implies
	 * "exists". */
	return a->kind == SKR_NODE_CLAIM && b->kind == SKR_NODE_CLAIM && b->op == SKR_OP_EXISTS &&
	       b->value.kind == SKR_VALUE_TRUE && !is_not_exists(a) && a->path_len == b->path_len &&
	       memcmp(a->path, b->path, a->path_len) == 0;
}

typedef struct hashed_child {
	uint64_t hash;
	const skr_ast_node *node;
} hashed_child;

static int compare_hashed(const void *pa, const void *pb)
{
	const hashed_child *a = pa, *b = pb;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->node->span.offset < b->node->span.offset ? -1 : a->node->span.offset > b->node->span.offset;
}

static void lint_duplicates(lint_ctx *ctx, const skr_ast_node *group)
{
	if (group->child_count < 2)
		return;
	hashed_child *items = skr_arena_alloc(&ctx->scratch, group->child_count * sizeof *items);
	if (!items) {
		ctx->nomem = 1;
		return;
	}
	for (uint32_t i = 0; i < group->child_count; i++) {
		items[i].hash = node_hash(group->children[i]);
		items[i].node = group->children[i];
	}
	qsort(items, group->child_count, sizeof *items, compare_hashed);
	const char *kind = group->kind == SKR_NODE_ALL ? "allOf" : "anyOf";
	for (uint32_t i = 1; i < group->child_count; i++) {
		/* Find the nearest earlier item of the same hash that it equals.
		 * Within one hash, sorting keeps the order of the text. */
		for (uint32_t j = i; j-- > 0 && items[j].hash == items[i].hash;) {
			if (!nodes_equal(ctx, items[j].node, items[i].node))
				continue;
			const skr_ast_node *first = items[j].node, *again = items[i].node;
			if (again->kind == SKR_NODE_CLAIM) {
				shown text = show_condition(again);
				report(ctx, SKR_SEV_WARNING, "lint-duplicate", again->span,
				       "%s repeats the condition at line %u of this %s; remove one", text.text,
				       (unsigned)line_of(ctx, first->span.offset), kind);
			} else {
				report(ctx, SKR_SEV_WARNING, "lint-duplicate", again->span,
				       "this group repeats the one at line %u of the same %s; remove one",
				       (unsigned)line_of(ctx, first->span.offset), kind);
			}
			report(ctx, SKR_SEV_NOTE, "lint-note", first->span, "the same condition is here");
			break;
		}
	}
}

static void lint_logic_rules(lint_ctx *ctx, const skr_ast_node *n)
{
	if (n->kind == SKR_NODE_CLAIM)
		return;
	lint_duplicates(ctx, n);
	if (n->kind == SKR_NODE_ALL)
		lint_contradictions(ctx, n);
	for (uint32_t i = 0; i < n->child_count; i++)
		lint_logic_rules(ctx, n->children[i]);
}

/* The authority as issuers are matched: one trailing '/' dropped, and the
 * scheme and host of a URL in lower case. */
static char *authority_key(lint_ctx *ctx, const skr_ast_entry *e, size_t *len)
{
	size_t n = e->authority_len;
	if (n > 0 && e->authority[n - 1] == '/')
		n--;
	char *key = skr_arena_strndup(&ctx->scratch, e->authority, n);
	if (!key) {
		ctx->nomem = 1;
		return NULL;
	}
	const char *scheme_end = NULL;
	for (size_t i = 0; i + 2 < n; i++) {
		if (key[i] == ':' && key[i + 1] == '/' && key[i + 2] == '/') {
			scheme_end = key + i;
			break;
		}
	}
	if (scheme_end) {
		size_t host_end = (size_t)(scheme_end - key) + 3;
		while (host_end < n && key[host_end] != '/')
			host_end++;
		for (size_t i = 0; i < host_end; i++) {
			if (key[i] >= 'A' && key[i] <= 'Z')
				key[i] = (char)(key[i] - 'A' + 'a');
		}
	}
	*len = n;
	return key;
}

static void lint_redundant_entries(lint_ctx *ctx)
{
	const skr_ast_policy *p = ctx->policy;
	size_t *lens = skr_arena_alloc(&ctx->scratch, p->entry_count * sizeof *lens);
	char **keys = skr_arena_alloc(&ctx->scratch, p->entry_count * sizeof *keys);
	char *reported = skr_arena_alloc(&ctx->scratch, p->entry_count);
	if (!lens || !keys || !reported) {
		ctx->nomem = 1;
		return;
	}
	memset(reported, 0, p->entry_count);
	for (uint32_t i = 0; i < p->entry_count; i++) {
		keys[i] = authority_key(ctx, &p->entries[i], &lens[i]);
		if (!keys[i])
			return;
	}
	for (uint32_t j = 1; j < p->entry_count; j++) {
		const skr_ast_entry *later = &p->entries[j];
		for (uint32_t i = 0; i < j && !reported[j]; i++) {
			const skr_ast_entry *earlier = &p->entries[i];
			if (reported[i] || lens[i] != lens[j] || memcmp(keys[i], keys[j], lens[i]) != 0)
				continue;
			unsigned line = (unsigned)line_of(ctx, earlier->authority_span.offset);
			if (nodes_equal(ctx, earlier->root, later->root)) {
				report(ctx, SKR_SEV_WARNING, "lint-redundant-entry", later->authority_span,
				       "this entry repeats the entry at line %u (same authority, same conditions); remove one",
				       line);
				reported[j] = 1;
			} else if (implies(ctx, later->root, earlier->root)) {
				report(ctx, SKR_SEV_WARNING, "lint-redundant-entry", later->authority_span,
				       "the entry for the same authority at line %u releases whenever this entry does, because these conditions imply its conditions; this entry changes no decision",
				       line);
				reported[j] = 1;
			} else if (implies(ctx, earlier->root, later->root)) {
				report(ctx, SKR_SEV_WARNING, "lint-redundant-entry", earlier->authority_span,
				       "the entry for the same authority at line %u releases whenever this entry does, because these conditions imply its conditions; this entry changes no decision",
				       (unsigned)line_of(ctx, later->authority_span.offset));
				reported[i] = 1;
			} else {
				continue;
			}
			report(ctx, SKR_SEV_NOTE, "lint-note", reported[j] ? earlier->authority_span : later->authority_span,
			       "the other entry is here");
		}
	}
}

/* ---- authorities ---------------------------------------------------------- */

/* A host name split into the labels in front of an MAA domain. */
typedef struct provider_name {
	const skr_reg_domain *domain;
	char instance[64];
	char region[64];
	const char *environment;     /* "test" for MAA's test instances, else NULL */
	size_t label_count;          /* labels in front of the domain and environment */
} provider_name;

static void lower_copy(char *dst, size_t cap, const char *s, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	dst[n] = '\0';
}

/* Finds the host of an authority URL and splits it. Returns 0 when the
 * authority is not a URL under an MAA domain. */
static int parse_provider(const skr_registry *reg, const skr_ast_entry *e, provider_name *out)
{
	memset(out, 0, sizeof *out);
	const char *a = e->authority;
	size_t n = e->authority_len, start = 0;
	for (size_t i = 0; i + 2 < n; i++) {
		if (a[i] == ':' && a[i + 1] == '/' && a[i + 2] == '/') {
			start = i + 3;
			break;
		}
	}
	if (start == 0)
		return 0;
	size_t end = start;
	while (end < n && a[end] != '/' && a[end] != ':' && a[end] != '?' && a[end] != '#')
		end++;
	const char *host = a + start;
	size_t host_len = end - start;
	out->domain = skr_registry_domain(reg, host, host_len);
	if (!out->domain)
		return 0;
	size_t front = host_len - out->domain->suffix.len - 1;
	segment labels[8];
	size_t count = split_path(host, front, labels, 8);
	if (count == 0)
		count = 9;
	if (count == 3) {
		for (uint32_t i = 0; i < reg->environment_label_count; i++) {
			const skr_reg_string *env = &reg->environment_labels[i];
			if (labels[2].len == env->len && equal_ignoring_case(labels[2].str, env->str, env->len)) {
				out->environment = env->str;
				count = 2;
			}
		}
	}
	out->label_count = count;
	if (count == 2) {
		lower_copy(out->instance, sizeof out->instance, labels[0].str, labels[0].len);
		lower_copy(out->region, sizeof out->region, labels[1].str, labels[1].len);
	}
	return 1;
}

/* The URL of the shared provider of region code. */
static shown shared_url(const skr_registry *reg, const provider_name *p, const char *code)
{
	shown out;
	snprintf(out.text, sizeof out.text, "https://%s%s.%s%s%s.%s", reg->shared_prefix.str, code, code,
	         p->environment ? "." : "", p->environment ? p->environment : "", p->domain->suffix.str);
	return out;
}

/* Checks an authority under an MAA domain against the naming of providers.
 * Returns 1 when the authority is an MAA provider (so the registry rules
 * apply to its entry). */
static int lint_authority(lint_ctx *ctx, const skr_ast_entry *e)
{
	const skr_registry *reg = ctx->reg;
	provider_name p;
	if (!parse_provider(reg, e, &p))
		return 0;
	shown authority = show_bytes(e->authority, e->authority_len);
	const skr_reg_region_set *set = p.domain->regions;
	if (p.label_count != 2) {
		report(ctx, SKR_SEV_WARNING, "lint-authority-region", e->authority_span,
		       "\"%s\" does not follow the naming of MAA providers, https://INSTANCE.REGION.%s",
		       authority.text, p.domain->suffix.str);
		return 1;
	}
	int region = skr_registry_region(set, p.region, strlen(p.region));
	int shared = -1;
	size_t prefix = reg->shared_prefix.len;
	if (strncmp(p.instance, reg->shared_prefix.str, prefix) == 0)
		shared = skr_registry_region(set, p.instance + prefix, strlen(p.instance + prefix));
	if (shared >= 0 && shared != region) {
		shown url = shared_url(reg, &p, set->codes[shared].str);
		if (region >= 0)
			report(ctx, SKR_SEV_WARNING, "lint-authority-region", e->authority_span,
			       "instance \"%s\" is the shared provider of %s, but the region label says \"%s\" (%s); no such provider exists, and the shared provider of %s is %s",
			       p.instance, set->titles[shared].str, p.region, set->titles[region].str,
			       set->titles[shared].str, url.text);
		else
			report(ctx, SKR_SEV_WARNING, "lint-authority-region", e->authority_span,
			       "instance \"%s\" is the shared provider of %s, but the region label says \"%s\", which is no MAA region; the shared provider of %s is %s",
			       p.instance, set->titles[shared].str, p.region, set->titles[shared].str, url.text);
		return 1;
	}
	if (region < 0) {
		int near = skr_registry_nearest_region(set, p.region, strlen(p.region));
		if (near >= 0)
			report(ctx, SKR_SEV_WARNING, "lint-unknown-region", e->authority_span,
			       "\"%s\" is not a region code of MAA providers under %s; did you mean \"%s\" (%s)?",
			       p.region, p.domain->suffix.str, set->codes[near].str, set->titles[near].str);
		else
			report(ctx, SKR_SEV_WARNING, "lint-unknown-region", e->authority_span,
			       "\"%s\" is not a region code of MAA providers under %s", p.region,
			       p.domain->suffix.str);
	}
	return 1;
}

/* ---- driver --------------------------------------------------------------- */

typedef struct diag_group {
	size_t offset;  /* of the warning */
	size_t first;   /* index of the warning in ctx->out */
	size_t count;   /* the warning and the notes after it */
	int dropped;    /* a repeat of an earlier group, left out */
} diag_group;

static int compare_groups(const void *pa, const void *pb)
{
	const diag_group *a = pa, *b = pb;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

static int compare_offsets(const void *pa, const void *pb)
{
	const skr_diag *a = *(const skr_diag *const *)pa, *b = *(const skr_diag *const *)pb;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* Fills line and column of diagnostics as skr_source_position does, in
 * one pass over the text (one call per diagnostic would scan the text
 * again for each). */
static void fill_positions(const skr_source *src, skr_diag *items, size_t count)
{
	if (!src || !src->text || count == 0)
		return;
	skr_diag **order = malloc(count * sizeof *order);
	if (!order) {
		for (size_t i = 0; i < count; i++)
			skr_source_position(src, items[i].offset, &items[i].line, &items[i].column);
		return;
	}
	for (size_t i = 0; i < count; i++)
		order[i] = &items[i];
	qsort(order, count, sizeof *order, compare_offsets);
	const unsigned char *p = (const unsigned char *)src->text;
	uint32_t line = 1, column = 1;
	size_t at = 0;
	for (size_t i = 0; i < count; i++) {
		size_t target = order[i]->offset < src->len ? order[i]->offset : src->len;
		for (; at < target; at++) {
			if (p[at] == '\n') {
				line++;
				column = 1;
			} else if ((p[at] & 0xC0) != 0x80) {
				column++;
			}
		}
		order[i]->line = line;
		order[i]->column = column;
	}
	free(order);
}

/* Moves the findings into diags in the order of their positions, each
 * warning followed by its notes. When memory runs out the findings are
 * counted but dropped, as skr_diag_add does. */
/* Whether two groups (a warning and its notes) say the same at the same
 * place. */
static int same_group(const skr_diag *items, const diag_group *a, const diag_group *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t k = 0; k < a->count; k++) {
		const skr_diag *x = &items[a->first + k];
		const skr_diag *y = &items[b->first + k];
		if (x->severity != y->severity || x->offset != y->offset || x->length != y->length ||
		    strcmp(x->code, y->code) != 0 || strcmp(x->message, y->message) != 0)
			return 0;
	}
	return 1;
}

static void hand_over(lint_ctx *ctx, skr_diags *diags)
{
	skr_diags *out = &ctx->out;
	if (!diags || out->count == 0) {
		if (diags) {
			diags->warnings += out->warnings;
			diags->truncated |= out->truncated;
		}
		skr_diags_free(out);
		return;
	}
	diag_group *groups = malloc(out->count * sizeof *groups);
	size_t need = diags->count + out->count;
	if (groups && need > diags->capacity) {
		skr_diag *items = realloc(diags->items, need * sizeof *items);
		if (items) {
			diags->items = items;
			diags->capacity = need;
		} else {
			free(groups);
			groups = NULL;
		}
	}
	if (!groups) {
		diags->truncated = 1;
		diags->warnings += out->warnings;
		skr_diags_free(out);
		return;
	}
	fill_positions(ctx->src, out->items, out->count);
	size_t group_count = 0;
	for (size_t i = 0; i < out->count; i++) {
		if (out->items[i].severity == SKR_SEV_NOTE && group_count > 0) {
			groups[group_count - 1].count++;
			continue;
		}
		groups[group_count].offset = out->items[i].offset;
		groups[group_count].first = i;
		groups[group_count].count = 1;
		groups[group_count].dropped = 0;
		group_count++;
	}
	qsort(groups, group_count, sizeof *groups, compare_groups);
	/* One DSL block listing several authorities becomes several entries
	 * that share their conditions, so a rule can fire once per entry at the
	 * same place with the same words: such repeats are reported once. */
	size_t dropped_warnings = 0;
	size_t same_offset_from = 0;  /* first group in groups[] at the current offset */
	for (size_t g = 0; g < group_count; g++) {
		if (g > 0 && groups[g].offset != groups[g - 1].offset)
			same_offset_from = g;
		int repeat = 0;
		for (size_t h = same_offset_from; h < g && !repeat; h++)
			repeat = !groups[h].dropped && same_group(out->items, &groups[h], &groups[g]);
		groups[g].dropped = repeat;
		if (repeat) {
			for (size_t k = 0; k < groups[g].count; k++) {
				skr_diag *d = &out->items[groups[g].first + k];
				dropped_warnings += d->severity == SKR_SEV_WARNING;
				free(d->message);
			}
			continue;
		}
		for (size_t k = 0; k < groups[g].count; k++)
			diags->items[diags->count++] = out->items[groups[g].first + k];
	}
	diags->warnings += out->warnings - dropped_warnings;
	diags->errors += out->errors;
	diags->truncated |= out->truncated;
	free(groups);
	free(out->items);
	memset(out, 0, sizeof *out);
}

skr_status skr_lint_policy_with(const skr_ast_policy *policy, const skr_source *src,
                                const skr_registry *registry, skr_diags *diags)
{
	if (!policy || !registry)
		return SKR_E_USAGE;
	lint_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.policy = policy;
	ctx.src = src;
	ctx.reg = registry;
	ctx.budget = LINT_COMPARE_BUDGET;
	skr_arena_init(&ctx.scratch);
	index_lines(&ctx);

	skr_type_set checkable = checkable_types(registry);
	const skr_ast_entry *unchecked = NULL;
	skr_type_set unchecked_types = 0;
	uint32_t unchecked_count = 0;
	for (uint32_t i = 0; i < policy->entry_count; i++) {
		const skr_ast_entry *e = &policy->entries[i];
		if (lint_authority(&ctx, e)) {
			type_context all = { registry->all_types, registry->all_types };
			lint_registry_rules(&ctx, e->root, all);
			skr_type_set types = type_constraint(registry, e->root, OUTER_TYPE);
			if ((types == 0 || (types & checkable)) && !entry_checked(registry, e->root)) {
				if (!unchecked) {
					unchecked = e;
					unchecked_types = types ? types : registry->all_types;
					skr_type_set read = read_types(registry, e->root) & unchecked_types;
					if (read)
						unchecked_types = read;
				}
				unchecked_count++;
			}
		}
		lint_logic_rules(&ctx, e->root);
	}
	lint_redundant_entries(&ctx);
	if (unchecked) {
		char suggestion[256];
		suggest_check(registry, unchecked_types, suggestion, sizeof suggestion);
		char more[80] = "";
		if (unchecked_count == 2)
			snprintf(more, sizeof more, " (1 more entry of this policy checks neither)");
		else if (unchecked_count > 2)
			snprintf(more, sizeof more, " (%u more entries of this policy check neither)",
			         unchecked_count - 1);
		report(&ctx, SKR_SEV_WARNING, "lint-no-debug-or-compliance-check", unchecked->authority_span,
		       "this entry checks neither that debugging is off nor the compliance status, so a debuggable or non-compliant environment gets the key; add a condition on %s%s",
		       suggestion, more);
	}
	hand_over(&ctx, diags);
	skr_arena_free(&ctx.scratch);
	return ctx.nomem ? SKR_E_NOMEM : SKR_OK;
}

skr_status skr_lint_policy(const skr_ast_policy *policy, const skr_source *src, skr_diags *diags)
{
	skr_registry *registry = NULL;
	skr_status status = skr_registry_load_builtin(&registry, NULL, 0);
	if (status != SKR_OK)
		return status;
	status = skr_lint_policy_with(policy, src, registry, diags);
	skr_registry_free(registry);
	return status;
}

skr_status skr_check_policy(const char *src, size_t len, skr_syntax syntax,
                            const skr_limits *limits, skr_diags *diags)
{
	if (!src && len)
		return SKR_E_USAGE;
	skr_limits defaults;
	if (!limits) {
		skr_limits_init(&defaults);
		limits = &defaults;
	}
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	skr_source source = { src ? src : "", len };
	skr_buffer image = { NULL, 0 };
	skr_status status = skr_parse_policy(source.text, len, syntax, limits, &arena, diags, &policy);
	/* Compiling finds the errors that need the whole policy (limits), as
	 * skr compile does. The image itself is thrown away. */
	if (status == SKR_OK)
		status = skr_compile_ast(policy, &source, diags, &image);
	if (status == SKR_OK)
		status = skr_lint_policy(policy, &source, diags);
	skr_buffer_free(&image);
	skr_arena_free(&arena);
	return status;
}
