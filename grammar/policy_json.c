/*
 * JSON policy front end: checks the JSON tree built by json_lex.l and
 * json_parse.y against the policy language and turns it into the AST of
 * compiler/ast.h (skr_parse_json_policy).
 *
 * Every shape rule of the language is checked here: member names (ASCII
 * case-insensitive, no duplicates, no unknown ones), one group or one
 * operator per object, non-empty groups, value types, numeric ranges, the
 * version, the nesting depth and the size limits. Checking goes on after an
 * error so that one run reports every error it can. Parts of the tree that
 * a syntax error damaged are skipped quietly, because that error is already
 * reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "json_tree.h"

/* ---- diagnostics -------------------------------------------------------- */

void skr_json_report(skr_json_ctx *ctx, const char *code, size_t offset,
                     size_t length, const char *fmt, ...)
{
	if (ctx->stopped)
		return;
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(ctx->diags, &ctx->source, SKR_SEV_ERROR, code, offset, length,
	              fmt, ap);
	va_end(ap);
	ctx->errors++;
	if (ctx->errors == SKR_JSON_MAX_ERRORS) {
		skr_diag_add(ctx->diags, &ctx->source, SKR_SEV_ERROR, "json-too-many-errors",
		             offset, 0, "too many errors (%u); fix these and run the check again",
		             (unsigned)SKR_JSON_MAX_ERRORS);
		ctx->errors++;
		ctx->stopped = 1;
	}
}

static void warn(skr_json_ctx *ctx, const char *code, skr_json_loc at,
                 const char *fmt, ...) SKR_PRINTF(4, 5);

static void warn(skr_json_ctx *ctx, const char *code, skr_json_loc at,
                 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(ctx->diags, &ctx->source, SKR_SEV_WARNING, code, at.offset,
	              at.length, fmt, ap);
	va_end(ap);
}

/* Appends s to buf at *used when it fits in cap, leaving room for the
 * closing characters; returns 0 when it does not fit. */
static int append(char *buf, size_t *used, size_t cap, const char *s, size_t n)
{
	if (*used + n + 5 > cap)
		return 0;
	memcpy(buf + *used, s, n);
	*used += n;
	return 1;
}

const char *skr_json_quote(const char *bytes, size_t len, char *buf)
{
	const unsigned char *p = (const unsigned char *)bytes;
	const size_t cap = SKR_JSON_QUOTE_SIZE;
	const size_t max_chars = 64;
	size_t used = 0, chars = 0, i = 0;
	buf[used++] = '"';
	while (i < len) {
		char piece[8];
		size_t n = skr_utf8_sequence(p + i, len - i);
		const char *s = (const char *)p + i;
		if (n == 0) {
			snprintf(piece, sizeof piece, "\\x%02X", p[i]);
			s = piece;
			n = strlen(piece);
		} else if (p[i] == '"' || p[i] == '\\') {
			piece[0] = '\\';
			piece[1] = (char)p[i];
			s = piece;
			n = 2;
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			snprintf(piece, sizeof piece, "\\u%04X", p[i]);
			s = piece;
			n = strlen(piece);
		}
		if (chars == max_chars || !append(buf, &used, cap, s, n)) {
			memcpy(buf + used, "...", 3);
			used += 3;
			break;
		}
		size_t consumed = skr_utf8_sequence(p + i, len - i);
		i += consumed ? consumed : 1;
		chars++;
	}
	buf[used++] = '"';
	buf[used] = '\0';
	return buf;
}

/* ---- member names ------------------------------------------------------- */

/* Returns 1 for a value whose lexical or syntax error is already
 * reported: a syntax error left it out or invalid, or the string had a bad
 * escape, wrong quotes, invalid UTF-8 or no closing quote. Checks skip such
 * values rather than report the same mistake again. */
static int already_reported(const skr_json_value *v)
{
	return !v || v->kind == SKR_JSON_INVALID ||
	       (v->kind == SKR_JSON_STRING && (v->string_flags & SKR_JSON_STRING_DAMAGED));
}


/* Member names of the policy language; each object kind allows a subset. */
enum member_id {
	M_VERSION = 0,
	M_ANY_OF,
	M_ALL_OF,
	M_AUTHORITY,
	M_CLAIM,
	M_EQUALS,            /* M_EQUALS + skr_operator is that operator's member */
	M_NOT_EQUALS,
	M_LESS,
	M_LESS_OR_EQUALS,
	M_GREATER,
	M_GREATER_OR_EQUALS,
	M_EXISTS,
	M_CONDITION,
	M_VALUE,
	M_COUNT
};

static const char *const member_names[M_COUNT] = {
	"version", "anyOf", "allOf", "authority", "claim",
	"equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals",
	"exists", "condition", "value",
};

/* JSON member name of an operator: skr_operator follows the member order. */
static const char *operator_name(skr_operator op)
{
	return member_names[M_EQUALS + (int)op];
}

#define BIT(m) (1u << (m))
#define OPERATOR_BITS (BIT(M_EQUALS) | BIT(M_NOT_EQUALS) | BIT(M_LESS) |          \
                       BIT(M_LESS_OR_EQUALS) | BIT(M_GREATER) |                   \
                       BIT(M_GREATER_OR_EQUALS) | BIT(M_EXISTS))

/* One kind of object of the policy language. */
typedef struct object_place {
	const char *name;         /* for messages: "the policy", "an authority entry" */
	unsigned allowed;         /* members accepted here */
	unsigned suggested;       /* members offered by "did you mean" */
	const char *hint;         /* what the object takes, for an unknown member */
} object_place;

static const object_place PLACE_POLICY = {
	"the policy",
	BIT(M_VERSION) | BIT(M_ANY_OF) | BIT(M_ALL_OF),
	BIT(M_VERSION) | BIT(M_ANY_OF),
	"a policy has \"version\" and \"anyOf\", a list of authority entries",
};

static const object_place PLACE_AUTHORITY = {
	"an authority entry",
	BIT(M_AUTHORITY) | BIT(M_ALL_OF) | BIT(M_ANY_OF),
	BIT(M_AUTHORITY) | BIT(M_ALL_OF) | BIT(M_ANY_OF),
	"an authority entry has \"authority\" and one of \"allOf\" or \"anyOf\" holding its conditions",
};

static const object_place PLACE_CONDITION = {
	"a condition",
	BIT(M_CLAIM) | OPERATOR_BITS | BIT(M_CONDITION) | BIT(M_VALUE) |
		BIT(M_ALL_OF) | BIT(M_ANY_OF),
	BIT(M_CLAIM) | OPERATOR_BITS | BIT(M_CONDITION) | BIT(M_VALUE) |
		BIT(M_ALL_OF) | BIT(M_ANY_OF),
	"a condition has \"claim\" and one operator (equals, notEquals, less, lessOrEquals, greater, greaterOrEquals, exists), or one of \"allOf\" or \"anyOf\"",
};

/* Names other tools use for members of a condition or an authority entry. */
static const struct {
	const char *alias;
	enum member_id member;
} member_aliases[] = {
	{ "eq", M_EQUALS }, { "equal", M_EQUALS },
	{ "ne", M_NOT_EQUALS }, { "neq", M_NOT_EQUALS }, { "notEqual", M_NOT_EQUALS },
	{ "lt", M_LESS }, { "lessThan", M_LESS },
	{ "le", M_LESS_OR_EQUALS }, { "lte", M_LESS_OR_EQUALS },
	{ "lessThanOrEqual", M_LESS_OR_EQUALS }, { "lessThanOrEquals", M_LESS_OR_EQUALS },
	{ "gt", M_GREATER }, { "greaterThan", M_GREATER },
	{ "ge", M_GREATER_OR_EQUALS }, { "gte", M_GREATER_OR_EQUALS },
	{ "greaterThanOrEqual", M_GREATER_OR_EQUALS },
	{ "greaterThanOrEquals", M_GREATER_OR_EQUALS },
	{ "claimType", M_CLAIM }, { "claimName", M_CLAIM }, { "path", M_CLAIM },
	{ "claimCondition", M_CONDITION }, { "operator", M_CONDITION },
	{ "issuer", M_AUTHORITY }, { "iss", M_AUTHORITY },
};

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int equals_ignoring_case(const char *a, size_t len, const char *b)
{
	size_t n = strlen(b);
	if (len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	}
	return 1;
}

/* Returns the member id a name spells ignoring ASCII case, or -1. */
static int lookup_member(const char *name, size_t len)
{
	for (int m = 0; m < M_COUNT; m++) {
		if (equals_ignoring_case(name, len, member_names[m]))
			return m;
	}
	return -1;
}

/* Levenshtein distance ignoring ASCII case, for names of up to 63 bytes;
 * longer names get a distance larger than any suggestion allows. */
static size_t edit_distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen > 63 || blen > 63)
		return 64;
	size_t row[64];
	for (size_t j = 0; j <= blen; j++)
		row[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t above = row[j];
			size_t cost = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1;
			size_t best = diagonal + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[blen];
}

/* Returns the member a misspelled name most likely means, or NULL: a known
 * alias, else the nearest allowed name within a third of its length. */
static const char *suggest_member(const char *name, size_t len, unsigned suggested)
{
	for (size_t k = 0; k < sizeof member_aliases / sizeof member_aliases[0]; k++) {
		if (BIT(member_aliases[k].member) & suggested &&
		    equals_ignoring_case(name, len, member_aliases[k].alias))
			return member_names[member_aliases[k].member];
	}
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;
	for (int m = 0; m < M_COUNT; m++) {
		if (!(BIT(m) & suggested))
			continue;
		size_t distance = edit_distance(name, len, member_names[m]);
		size_t allowed = strlen(member_names[m]) / 3;
		if (allowed < 1)
			allowed = 1;
		if (distance <= allowed && distance < best_distance) {
			best = member_names[m];
			best_distance = distance;
		}
	}
	return best;
}

/* The members of one object, by id; NULL where absent. */
typedef struct object_members {
	skr_json_member *slot[M_COUNT];
	/* Set when a missing member is better left unreported: a syntax error
	 * may have lost it, or an unknown member is probably it misspelled. */
	int quiet_missing;
} object_members;

static void report_unknown_member(skr_json_ctx *ctx, const skr_json_value *name,
                                  const object_place *place)
{
	char shown[SKR_JSON_QUOTE_SIZE];
	skr_json_quote(name->str, name->len, shown);
	const char *suggestion = suggest_member(name->str, name->len, place->suggested);
	if (suggestion)
		skr_json_report(ctx, "policy-unknown-member", name->span.offset,
		                name->span.length, "unknown member %s; did you mean \"%s\"?",
		                shown, suggestion);
	else
		skr_json_report(ctx, "policy-unknown-member", name->span.offset,
		                name->span.length, "unknown member %s in %s; %s", shown,
		                place->name, place->hint);
}

static void report_duplicate_member(skr_json_ctx *ctx, const skr_json_value *name,
                                    const skr_json_value *first)
{
	char shown[SKR_JSON_QUOTE_SIZE];
	char first_shown[SKR_JSON_QUOTE_SIZE];
	uint32_t line, column;
	skr_source_position(&ctx->source, first->span.offset, &line, &column);
	skr_json_report(ctx, "policy-duplicate-member", name->span.offset,
	                name->span.length,
	                "duplicate member %s, the same as %s at line %u, column %u (member names ignore case); remove one of them",
	                skr_json_quote(name->str, name->len, shown),
	                skr_json_quote(first->str, first->len, first_shown),
	                (unsigned)line, (unsigned)column);
}

/* Sorts the members of obj into slots by id, reporting names that hold
 * U+0000, unknown names and duplicates. */
static void collect_members(skr_json_ctx *ctx, const skr_json_value *obj,
                            const object_place *place, object_members *out)
{
	memset(out, 0, sizeof *out);
	out->quiet_missing = obj->broken;
	for (skr_json_member *m = obj->first_member; m; m = m->next) {
		const skr_json_value *name = m->name;
		/* A member without a value lies where a syntax error struck; its
		 * name may be a value the error misplaced, so it is not checked. */
		if (!m->value)
			continue;
		if (name->string_flags & SKR_JSON_STRING_HAS_NUL) {
			skr_json_report(ctx, "policy-nul-name", name->span.offset, name->span.length,
			                "member name holds U+0000 (\\u0000), which member names may not contain; remove it");
			out->quiet_missing = 1;
			continue;
		}
		int id = lookup_member(name->str, name->len);
		if (id < 0 || !(BIT(id) & place->allowed)) {
			if (!already_reported(name))
				report_unknown_member(ctx, name, place);
			out->quiet_missing = 1;
			continue;
		}
		if (out->slot[id]) {
			report_duplicate_member(ctx, name, out->slot[id]->name);
			continue;
		}
		out->slot[id] = m;
	}
}

/* ---- values ------------------------------------------------------------- */

static const char *kind_phrase(skr_json_kind kind)
{
	switch (kind) {
	case SKR_JSON_NULL: return "null";
	case SKR_JSON_FALSE: return "false";
	case SKR_JSON_TRUE: return "true";
	case SKR_JSON_NUMBER: return "a number";
	case SKR_JSON_STRING: return "a string";
	case SKR_JSON_ARRAY: return "an array";
	case SKR_JSON_OBJECT: return "an object";
	case SKR_JSON_INVALID: break;
	}
	return "an invalid value";
}

/* Describes a value for a message: the text of a string or a number, the
 * kind of anything else. buf has room for SKR_JSON_QUOTE_SIZE bytes. */
static const char *describe_value(const skr_json_ctx *ctx, const skr_json_value *v,
                                  char *buf)
{
	if (v->kind == SKR_JSON_STRING)
		return skr_json_quote(v->str, v->len, buf);
	if (v->kind == SKR_JSON_NUMBER) {
		int shown = v->span.length < 40 ? (int)v->span.length : 40;
		snprintf(buf, SKR_JSON_QUOTE_SIZE, "%.*s", shown, ctx->src + v->span.offset);
		return buf;
	}
	return kind_phrase(v->kind);
}

static skr_span to_span(skr_json_loc at)
{
	skr_span span = { at.offset, at.length };
	return span;
}

/* Span of an object's opening brace, where errors about missing members
 * point. */
static skr_json_loc opening_of(const skr_json_value *v)
{
	skr_json_loc at = { v->span.offset, 1 };
	return at;
}

/* State of one policy check. */
typedef struct policy_checker {
	skr_json_ctx *ctx;
	const skr_limits *limits;
	uint32_t entries;            /* authority entries seen */
	uint32_t conditions;         /* claim conditions seen */
} policy_checker;

static void *checker_alloc(policy_checker *pc, size_t size)
{
	void *p = skr_arena_alloc(pc->ctx->arena, size ? size : 1);
	if (!p)
		pc->ctx->nomem = 1;
	else
		memset(p, 0, size ? size : 1);
	return p;
}

/* Reports a number outside int64 or the double range. Returns 1 when the
 * number is in range. text is the number as written. */
static int check_number_range(policy_checker *pc, int status, const char *text,
                              size_t len, skr_json_loc at)
{
	char shown[SKR_JSON_QUOTE_SIZE];
	if (status == 2) {
		skr_json_report(pc->ctx, "policy-number-range", at.offset, at.length,
		                "integer %s is outside the 64-bit range (-9223372036854775808 to 9223372036854775807); use a value in that range",
		                skr_json_quote(text, len, shown));
		return 0;
	}
	if (status == 3) {
		skr_json_report(pc->ctx, "policy-number-range", at.offset, at.length,
		                "number %s is too large for a double (about 1.8e308 at most); use a smaller value",
		                skr_json_quote(text, len, shown));
		return 0;
	}
	return 1;
}

/* Checks an ordering operator's string value: it must be a JSON number in
 * range. It stays a string in the AST; the compiler converts it. */
static int check_numeric_string(policy_checker *pc, skr_operator op,
                                const skr_json_value *v)
{
	int is_int;
	int64_t i;
	double d;
	int status = skr_parse_json_number(v->str, v->len, &is_int, &i, &d);
	if (status == 0)
		return 1;
	if (status == 1) {
		char shown[SKR_JSON_QUOTE_SIZE];
		skr_json_report(pc->ctx, "policy-ordering-value", v->span.offset, v->span.length,
		                "\"%s\" compares numbers, but %s is not a number; write a number such as 3 or a numeric string such as \"3\"",
		                operator_name(op), skr_json_quote(v->str, v->len, shown));
		return 0;
	}
	return check_number_range(pc, status, v->str, v->len, v->span);
}

/* Fills out from the value of an `exists` operator: true, false, "true" or
 * "false", stored as TRUE or FALSE. */
static int convert_exists_value(policy_checker *pc, const skr_json_value *v,
                                skr_ast_value *out)
{
	int truth = -1;
	if (v->kind == SKR_JSON_TRUE || v->kind == SKR_JSON_FALSE)
		truth = v->kind == SKR_JSON_TRUE;
	else if (v->kind == SKR_JSON_STRING && v->len == 4 && memcmp(v->str, "true", 4) == 0)
		truth = 1;
	else if (v->kind == SKR_JSON_STRING && v->len == 5 && memcmp(v->str, "false", 5) == 0)
		truth = 0;
	if (truth < 0) {
		char shown[SKR_JSON_QUOTE_SIZE];
		skr_json_report(pc->ctx, "policy-exists-value", v->span.offset, v->span.length,
		                "\"exists\" takes true or false, but the value is %s; write true to require the claim or false to require its absence",
		                describe_value(pc->ctx, v, shown));
		return 0;
	}
	out->kind = truth ? SKR_VALUE_TRUE : SKR_VALUE_FALSE;
	return 1;
}

/* Fills out from a number node, copying its source text. */
static int convert_number(policy_checker *pc, const skr_json_value *v,
                          skr_ast_value *out)
{
	const char *text = pc->ctx->src + v->span.offset;
	if (!check_number_range(pc, v->number_status, text, v->span.length, v->span))
		return 0;
	out->str = skr_arena_strndup(pc->ctx->arena, text, v->span.length);
	if (!out->str) {
		pc->ctx->nomem = 1;
		return 0;
	}
	out->len = v->span.length;
	out->kind = v->is_int ? SKR_VALUE_INT : SKR_VALUE_DOUBLE;
	out->i = v->i;
	out->d = v->d;
	return 1;
}

static int is_ordering(skr_operator op)
{
	return op == SKR_OP_LESS || op == SKR_OP_LESS_OR_EQUALS ||
	       op == SKR_OP_GREATER || op == SKR_OP_GREATER_OR_EQUALS;
}

/* Checks the value of operator op and fills out. Returns 0 after reporting
 * an error, or quietly for a value a lexical or syntax error already
 * covers. */
static int convert_value(policy_checker *pc, skr_operator op,
                         const skr_json_value *v, skr_ast_value *out)
{
	if (already_reported(v))
		return 0;
	out->span = to_span(v->span);
	if (v->kind == SKR_JSON_NULL || v->kind == SKR_JSON_ARRAY ||
	    v->kind == SKR_JSON_OBJECT) {
		skr_json_report(pc->ctx, "policy-value-type", v->span.offset,
		                v->kind == SKR_JSON_NULL ? v->span.length : 1,
		                "the value of \"%s\" is %s; compare with %s", operator_name(op),
		                kind_phrase(v->kind),
		                op == SKR_OP_EXISTS ? "true or false"
		                : is_ordering(op) ? "a number" : "a string, number, true or false");
		return 0;
	}
	if (op == SKR_OP_EXISTS)
		return convert_exists_value(pc, v, out);
	if (is_ordering(op) && (v->kind == SKR_JSON_TRUE || v->kind == SKR_JSON_FALSE)) {
		skr_json_report(pc->ctx, "policy-ordering-value", v->span.offset, v->span.length,
		                "\"%s\" compares numbers, but the value is %s; write a number such as 3",
		                operator_name(op), kind_phrase(v->kind));
		return 0;
	}
	switch (v->kind) {
	case SKR_JSON_TRUE:
		out->kind = SKR_VALUE_TRUE;
		return 1;
	case SKR_JSON_FALSE:
		out->kind = SKR_VALUE_FALSE;
		return 1;
	case SKR_JSON_NUMBER:
		return convert_number(pc, v, out);
	default:
		break;
	}
	if (is_ordering(op) && !check_numeric_string(pc, op, v))
		return 0;
	out->kind = SKR_VALUE_STRING;
	out->str = v->str;
	out->len = v->len;
	return 1;
}

/* ---- claim conditions --------------------------------------------------- */

/* Checks the claim path of a claim condition and stores it in node. */
static int convert_claim_path(policy_checker *pc, const skr_json_member *claim,
                              skr_ast_node *node)
{
	const skr_json_value *v = claim->value;
	char shown[SKR_JSON_QUOTE_SIZE];
	if (already_reported(v))
		return 0;
	if (v->kind != SKR_JSON_STRING) {
		skr_json_report(pc->ctx, "policy-value-type", v->span.offset, v->span.length,
		                "\"claim\" is %s; write the claim's dotted path as a string, such as \"x-ms-attestation-type\"",
		                kind_phrase(v->kind));
		return 0;
	}
	if (v->string_flags & SKR_JSON_STRING_HAS_NUL) {
		skr_json_report(pc->ctx, "policy-nul-name", v->span.offset, v->span.length,
		                "claim path holds U+0000 (\\u0000), which member names may not contain; remove it");
		return 0;
	}
	if (v->len == 0) {
		skr_json_report(pc->ctx, "policy-claim-path", v->span.offset, v->span.length,
		                "empty claim path; name the claim to test, such as \"x-ms-attestation-type\"");
		return 0;
	}
	for (size_t i = 0; i <= v->len; i++) {
		int boundary = i == v->len || v->str[i] == '.';
		int empty = boundary && (i == 0 || v->str[i - 1] == '.');
		if (empty) {
			skr_json_report(pc->ctx, "policy-claim-path", v->span.offset, v->span.length,
			                "claim path %s has an empty segment; remove the extra '.' (segments are member names joined by '.')",
			                skr_json_quote(v->str, v->len, shown));
			return 0;
		}
	}
	node->path = v->str;
	node->path_len = v->len;
	node->path_span = to_span(v->span);
	return 1;
}

/* Resolves the long form {"claim", "condition", "value"} into an operator
 * and a value. */
static int convert_long_form(policy_checker *pc, const object_members *m,
                             skr_ast_node *node)
{
	const skr_json_member *condition = m->slot[M_CONDITION];
	const skr_json_member *value = m->slot[M_VALUE];
	char shown[SKR_JSON_QUOTE_SIZE];
	node->long_form = 1;
	if (!condition) {
		if (!m->quiet_missing)
			skr_json_report(pc->ctx, "policy-missing-member", value->name->span.offset,
			                value->name->span.length,
			                "\"value\" without \"condition\"; add \"condition\" naming the operator, such as \"condition\": \"equals\"");
		return 0;
	}
	const skr_json_value *name = condition->value;
	if (already_reported(name))
		return 0;
	if (name->kind != SKR_JSON_STRING) {
		skr_json_report(pc->ctx, "policy-value-type", name->span.offset, name->span.length,
		                "\"condition\" is %s; write the operator's name as a string, such as \"equals\"",
		                kind_phrase(name->kind));
		return 0;
	}
	int id = lookup_member(name->str, name->len);
	if (id < M_EQUALS || id > M_EXISTS) {
		const char *suggestion = suggest_member(name->str, name->len, OPERATOR_BITS);
		skr_json_quote(name->str, name->len, shown);
		if (suggestion)
			skr_json_report(pc->ctx, "policy-unknown-condition", name->span.offset,
			                name->span.length, "unknown condition %s; did you mean \"%s\"?",
			                shown, suggestion);
		else
			skr_json_report(pc->ctx, "policy-unknown-condition", name->span.offset,
			                name->span.length,
			                "unknown condition %s; use equals, notEquals, less, lessOrEquals, greater, greaterOrEquals or exists",
			                shown);
		return 0;
	}
	node->op = (skr_operator)(id - M_EQUALS);
	node->op_span = to_span(name->span);
	if (!value) {
		if (!m->quiet_missing)
			skr_json_report(pc->ctx, "policy-missing-member", condition->name->span.offset,
			                condition->name->span.length,
			                "\"condition\" without \"value\"; add the value to compare the claim with");
		return 0;
	}
	return convert_value(pc, node->op, value->value, &node->value);
}

/* Returns the operator members of a claim condition in source order. */
static size_t operator_members(const skr_json_value *obj, const object_members *m,
                               const skr_json_member **found, size_t cap)
{
	size_t n = 0;
	for (const skr_json_member *it = obj->first_member; it && n < cap; it = it->next) {
		for (int id = M_EQUALS; id <= M_VALUE; id++) {
			if (m->slot[id] == it && id != M_VALUE) {
				found[n++] = it;
				break;
			}
		}
	}
	return n;
}

static void report_missing_claim(policy_checker *pc, const skr_json_value *obj,
                                 size_t operators)
{
	skr_json_loc at = opening_of(obj);
	if (operators)
		skr_json_report(pc->ctx, "policy-missing-member", at.offset, at.length,
		                "claim condition without \"claim\"; add the path of the claim to test");
	else
		skr_json_report(pc->ctx, "policy-missing-member", at.offset, at.length,
		                "condition without \"claim\" and operator, or \"allOf\"/\"anyOf\"; write {\"claim\": ..., \"equals\": ...} or a group");
}

/* Counts a claim condition against the conditions limit. */
static void count_condition(policy_checker *pc, const skr_json_value *obj)
{
	pc->conditions++;
	if (pc->conditions == (uint64_t)pc->limits->conditions + 1) {
		skr_json_loc at = opening_of(obj);
		skr_json_report(pc->ctx, "policy-limit", at.offset, at.length,
		                "more than %u claim conditions, over the limit of %u; split the policy or raise the limit",
		                (unsigned)pc->limits->conditions, (unsigned)pc->limits->conditions);
	}
}

/* Converts a claim condition: "claim" and one operator, in the short or the
 * long form. */
static skr_ast_node *convert_claim_condition(policy_checker *pc,
                                             const skr_json_value *obj,
                                             const object_members *m)
{
	const skr_json_member *ops[M_COUNT];
	size_t n = operator_members(obj, m, ops, M_COUNT);
	int long_form = m->slot[M_CONDITION] || m->slot[M_VALUE];
	count_condition(pc, obj);

	skr_ast_node *node = checker_alloc(pc, sizeof *node);
	if (!node)
		return NULL;
	node->kind = SKR_NODE_CLAIM;
	node->span = to_span(obj->span);

	int ok = 1;
	if (!m->slot[M_CLAIM]) {
		if (!m->quiet_missing)
			report_missing_claim(pc, obj, n + (m->slot[M_VALUE] ? 1 : 0));
		ok = 0;
	} else if (!convert_claim_path(pc, m->slot[M_CLAIM], node)) {
		ok = 0;
	}

	if (n == 0 && !m->slot[M_VALUE]) {
		if (m->slot[M_CLAIM] && !m->quiet_missing) {
			const skr_json_value *name = m->slot[M_CLAIM]->name;
			skr_json_report(pc->ctx, "policy-no-operator", name->span.offset,
			                name->span.length,
			                "claim condition without an operator; add one of equals, notEquals, less, lessOrEquals, greater, greaterOrEquals or exists");
		}
		return NULL;
	}
	if (n > 1) {
		char first[SKR_JSON_QUOTE_SIZE], second[SKR_JSON_QUOTE_SIZE];
		const skr_json_value *name = ops[1]->name;
		skr_json_report(pc->ctx, "policy-two-operators", name->span.offset, name->span.length,
		                "two operators, %s and %s, in one claim condition; write one condition per operator inside \"allOf\" or \"anyOf\"",
		                skr_json_quote(ops[0]->name->str, ops[0]->name->len, first),
		                skr_json_quote(name->str, name->len, second));
		return NULL;
	}
	if (long_form) {
		if (!convert_long_form(pc, m, node))
			return NULL;
	} else {
		int id = lookup_member(ops[0]->name->str, ops[0]->name->len);
		node->op = (skr_operator)(id - M_EQUALS);
		node->op_span = to_span(ops[0]->name->span);
		if (!convert_value(pc, node->op, ops[0]->value, &node->value))
			return NULL;
	}
	return ok ? node : NULL;
}

/* ---- groups ------------------------------------------------------------- */

static skr_ast_node *convert_condition(policy_checker *pc, const skr_json_value *v,
                                       uint32_t depth);

/* Converts the group held by member (an "allOf" or "anyOf"), which sits at
 * nesting depth `depth` (an authority entry's own group is depth 1). span is
 * the group's span in the AST. */
static skr_ast_node *convert_group(policy_checker *pc, const skr_json_member *member,
                                   uint32_t depth, skr_json_loc span)
{
	const skr_json_value *name = member->name;
	int all = lookup_member(name->str, name->len) == M_ALL_OF;
	const char *canonical = all ? "allOf" : "anyOf";
	if (depth > pc->limits->depth) {
		skr_json_report(pc->ctx, "policy-depth", name->span.offset, name->span.length,
		                "conditions nest %u deep here, over the depth limit of %u; flatten the groups or raise the limit",
		                (unsigned)depth, (unsigned)pc->limits->depth);
		return NULL;
	}
	const skr_json_value *list = member->value;
	if (already_reported(list))
		return NULL;
	if (list->kind != SKR_JSON_ARRAY) {
		skr_json_report(pc->ctx, "policy-value-type", list->span.offset,
		                list->kind == SKR_JSON_OBJECT ? 1 : list->span.length,
		                "\"%s\" is %s; write an array of conditions, such as [{\"claim\": ..., \"equals\": ...}]",
		                canonical, kind_phrase(list->kind));
		return NULL;
	}
	if (list->count == 0) {
		if (!list->broken)
			skr_json_report(pc->ctx, "policy-empty-array", list->span.offset, list->span.length,
			                "empty \"%s\"; a group needs at least one condition (an empty one would %s)",
			                canonical, all ? "always hold" : "never hold");
		return NULL;
	}

	skr_ast_node *node = checker_alloc(pc, sizeof *node);
	skr_ast_node **children = checker_alloc(pc, list->count * sizeof *children);
	if (!node || !children)
		return NULL;
	int ok = 1;
	uint32_t n = 0;
	for (const skr_json_value *item = list->first; item; item = item->next) {
		children[n] = convert_condition(pc, item, depth);
		ok &= children[n] != NULL;
		n++;
	}
	node->kind = all ? SKR_NODE_ALL : SKR_NODE_ANY;
	node->span = to_span(span);
	node->children = children;
	node->child_count = n;
	return ok ? node : NULL;
}

/* Returns the member of two that comes later in the source. */
static const skr_json_member *later_member(const skr_json_member *a,
                                           const skr_json_member *b)
{
	return a->name->span.offset > b->name->span.offset ? a : b;
}

static void report_both_groups(policy_checker *pc, const object_members *m)
{
	const skr_json_value *name = later_member(m->slot[M_ALL_OF], m->slot[M_ANY_OF])->name;
	skr_json_report(pc->ctx, "policy-both-groups", name->span.offset, name->span.length,
	                "an object has either \"allOf\" or \"anyOf\", not both; nest one inside the other as a condition");
}

/* Returns the first member in source order that makes obj a claim condition. */
static const skr_json_member *first_claim_member(const skr_json_value *obj,
                                                 const object_members *m)
{
	for (const skr_json_member *it = obj->first_member; it; it = it->next) {
		for (int id = M_CLAIM; id <= M_VALUE; id++) {
			if (m->slot[id] == it)
				return it;
		}
	}
	return NULL;
}

/* Converts one element of an "allOf" or "anyOf" at nesting depth `depth`:
 * a nested group (one level deeper) or a claim condition. */
static skr_ast_node *convert_condition(policy_checker *pc, const skr_json_value *v,
                                       uint32_t depth)
{
	if (already_reported(v))
		return NULL;
	if (v->kind != SKR_JSON_OBJECT) {
		skr_json_report(pc->ctx, "policy-value-type", v->span.offset,
		                v->kind == SKR_JSON_ARRAY ? 1 : v->span.length,
		                "a condition is %s here; write an object: {\"claim\": ..., \"equals\": ...} or {\"allOf\": [...]}",
		                kind_phrase(v->kind));
		return NULL;
	}
	object_members m;
	collect_members(pc->ctx, v, &PLACE_CONDITION, &m);
	const skr_json_member *all = m.slot[M_ALL_OF];
	const skr_json_member *any = m.slot[M_ANY_OF];
	if (!all && !any)
		return convert_claim_condition(pc, v, &m);

	int ok = 1;
	if (all && any) {
		report_both_groups(pc, &m);
		ok = 0;
	}
	const skr_json_member *claim_member = first_claim_member(v, &m);
	if (claim_member) {
		const skr_json_value *name = claim_member->name;
		skr_json_report(pc->ctx, "policy-mixed-condition", name->span.offset, name->span.length,
		                "a condition is either a group (\"allOf\"/\"anyOf\") or a claim condition, not both; move %s into a condition of its own",
		                claim_member == m.slot[M_CLAIM] ? "the claim and its operator" : "this member");
		ok = 0;
	}
	skr_ast_node *node = convert_group(pc, all ? all : any, depth + 1, v->span);
	if (all && any)
		convert_group(pc, any, depth + 1, v->span);
	return ok ? node : NULL;
}

/* ---- authority entries -------------------------------------------------- */

/* Checks the "authority" member of an entry and stores it. */
static int convert_authority(policy_checker *pc, const skr_json_value *obj,
                             const object_members *m, skr_ast_entry *entry)
{
	const skr_json_member *member = m->slot[M_AUTHORITY];
	if (!member) {
		if (!m->quiet_missing) {
			skr_json_loc at = opening_of(obj);
			skr_json_report(pc->ctx, "policy-missing-member", at.offset, at.length,
			                "authority entry without \"authority\"; add the attestation service URL, such as \"https://sharedeus.eus.attest.azure.net\"");
		}
		return 0;
	}
	const skr_json_value *v = member->value;
	if (already_reported(v))
		return 0;
	if (v->kind != SKR_JSON_STRING) {
		skr_json_report(pc->ctx, "policy-value-type", v->span.offset,
		                v->kind == SKR_JSON_OBJECT || v->kind == SKR_JSON_ARRAY ? 1 : v->span.length,
		                "\"authority\" is %s; write the attestation service URL as a string",
		                kind_phrase(v->kind));
		return 0;
	}
	if (v->len == 0) {
		skr_json_report(pc->ctx, "policy-empty-authority", v->span.offset, v->span.length,
		                "empty \"authority\"; write the attestation service URL, such as \"https://sharedeus.eus.attest.azure.net\"");
		return 0;
	}
	entry->authority = v->str;
	entry->authority_len = v->len;
	entry->authority_span = to_span(v->span);
	return 1;
}

/* Span of a group member from its name to the end of its value. */
static skr_json_loc member_span(const skr_json_member *member)
{
	skr_json_loc at = member->name->span;
	if (member->value)
		at.length = member->value->span.offset + member->value->span.length - at.offset;
	return at;
}

/* Converts one authority entry into entry; returns 0 after errors. */
static int convert_entry(policy_checker *pc, const skr_json_value *v,
                         skr_ast_entry *entry)
{
	if (already_reported(v))
		return 0;
	if (v->kind != SKR_JSON_OBJECT) {
		skr_json_report(pc->ctx, "policy-value-type", v->span.offset,
		                v->kind == SKR_JSON_ARRAY ? 1 : v->span.length,
		                "an authority entry is %s here; write an object with \"authority\" and \"allOf\" or \"anyOf\"",
		                kind_phrase(v->kind));
		return 0;
	}
	object_members m;
	collect_members(pc->ctx, v, &PLACE_AUTHORITY, &m);
	int ok = convert_authority(pc, v, &m, entry);
	entry->span = to_span(v->span);

	const skr_json_member *all = m.slot[M_ALL_OF];
	const skr_json_member *any = m.slot[M_ANY_OF];
	if (!all && !any) {
		if (!m.quiet_missing) {
			skr_json_loc at = opening_of(v);
			skr_json_report(pc->ctx, "policy-missing-member", at.offset, at.length,
			                "authority entry without \"allOf\" or \"anyOf\"; add one holding the conditions a token must meet");
		}
		return 0;
	}
	if (all && any) {
		/* Check the "anyOf" too, so its errors are found in this run. */
		report_both_groups(pc, &m);
		ok = 0;
		convert_group(pc, any, 1, member_span(any));
	}
	const skr_json_member *group = all ? all : any;
	entry->root = convert_group(pc, group, 1, member_span(group));
	return ok && entry->root;
}

/* Converts the authority entries of member (the top-level "anyOf", or the
 * misplaced top-level "allOf" when keep is 0, which is only checked). */
static int convert_entries(policy_checker *pc, const skr_json_member *member,
                           int keep, skr_ast_policy *policy)
{
	const skr_json_value *list = member->value;
	const char *name = keep ? "anyOf" : "allOf";
	if (already_reported(list))
		return 0;
	if (list->kind != SKR_JSON_ARRAY) {
		skr_json_report(pc->ctx, "policy-value-type", list->span.offset,
		                list->kind == SKR_JSON_OBJECT ? 1 : list->span.length,
		                "the top-level \"%s\" is %s; write an array of authority entries", name,
		                kind_phrase(list->kind));
		return 0;
	}
	if (list->count == 0) {
		if (!list->broken)
			skr_json_report(pc->ctx, "policy-empty-array", list->span.offset, list->span.length,
			                "empty \"%s\"; a policy needs at least one authority entry (with none, no key could ever be released)",
			                name);
		return 0;
	}
	skr_ast_entry *entries = checker_alloc(pc, list->count * sizeof *entries);
	if (!entries)
		return 0;
	int ok = 1;
	uint32_t n = 0;
	for (const skr_json_value *item = list->first; item; item = item->next) {
		ok &= convert_entry(pc, item, &entries[n]);
		n++;
		if (!keep)
			continue;
		pc->entries++;
		if (pc->entries == (uint64_t)pc->limits->authorities + 1) {
			skr_json_loc at = opening_of(item);
			skr_json_report(pc->ctx, "policy-limit", at.offset, at.length,
			                "more than %u authority entries, over the limit of %u; split the policy or raise the limit",
			                (unsigned)pc->limits->authorities, (unsigned)pc->limits->authorities);
			ok = 0;
		}
	}
	if (keep) {
		policy->entries = entries;
		policy->entry_count = n;
	}
	return ok;
}

/* ---- the policy object -------------------------------------------------- */

static int convert_version(policy_checker *pc, const skr_json_value *obj,
                           const object_members *m, skr_ast_policy *policy)
{
	const char *accepted = "accepted versions are \"1.0.0\", \"1.0\" and \"0.2\"";
	const skr_json_member *member = m->slot[M_VERSION];
	if (!member) {
		if (!m->quiet_missing) {
			skr_json_loc at = opening_of(obj);
			skr_json_report(pc->ctx, "policy-missing-member", at.offset, at.length,
			                "missing \"version\"; %s", accepted);
		}
		return 0;
	}
	const skr_json_value *v = member->value;
	if (already_reported(v))
		return 0;
	char shown[SKR_JSON_QUOTE_SIZE];
	if (v->kind != SKR_JSON_STRING) {
		skr_json_report(pc->ctx, "policy-version", v->span.offset, v->span.length,
		                "\"version\" is %s, but it must be a string; %s", kind_phrase(v->kind),
		                accepted);
		return 0;
	}
	policy->version_span = to_span(v->span);
	if ((v->len == 5 && memcmp(v->str, "1.0.0", 5) == 0) ||
	    (v->len == 3 && memcmp(v->str, "1.0", 3) == 0)) {
		policy->version = SKR_POLICY_VERSION_1_0_0;
		return 1;
	}
	if (v->len == 3 && memcmp(v->str, "0.2", 3) == 0) {
		policy->version = SKR_POLICY_VERSION_0_2;
		warn(pc->ctx, "policy-legacy-version", v->span,
		     "version \"0.2\" comes from legacy tooling; it is accepted, but write \"1.0.0\"");
		return 1;
	}
	skr_json_report(pc->ctx, "policy-version", v->span.offset, v->span.length,
	                "unsupported version %s; %s", skr_json_quote(v->str, v->len, shown),
	                accepted);
	return 0;
}

/* Reports a document that is not a JSON object. */
static void report_not_object(policy_checker *pc, const skr_json_value *root)
{
	if (root->kind == SKR_JSON_STRING) {
		size_t i = 0;
		while (i < root->len && (root->str[i] == ' ' || root->str[i] == '\t' ||
		                         root->str[i] == '\n' || root->str[i] == '\r'))
			i++;
		if (i < root->len && root->str[i] == '{') {
			skr_json_report(pc->ctx, "policy-encoded-twice", root->span.offset, 1,
			                "the document is a JSON string holding a policy: the policy was encoded twice; pass the inner JSON object itself");
			return;
		}
	}
	skr_json_report(pc->ctx, "policy-value-type", root->span.offset,
	                root->kind == SKR_JSON_ARRAY ? 1 : root->span.length,
	                "the document is %s; a policy is a JSON object with \"version\" and \"anyOf\"",
	                kind_phrase(root->kind));
}

/* Converts the whole tree; returns NULL after errors. */
static skr_ast_policy *convert_policy(policy_checker *pc, const skr_json_value *root)
{
	if (!root || root->kind == SKR_JSON_INVALID)
		return NULL;
	if (root->kind != SKR_JSON_OBJECT) {
		report_not_object(pc, root);
		return NULL;
	}
	skr_ast_policy *policy = checker_alloc(pc, sizeof *policy);
	if (!policy)
		return NULL;
	object_members m;
	collect_members(pc->ctx, root, &PLACE_POLICY, &m);
	int ok = convert_version(pc, root, &m, policy);

	const skr_json_member *all = m.slot[M_ALL_OF];
	if (all) {
		skr_json_report(pc->ctx, "policy-top-level-allof", all->name->span.offset,
		                all->name->span.length,
		                "a policy's top level is an \"anyOf\" over authorities, not \"allOf\"; rename it to \"anyOf\"");
		convert_entries(pc, all, 0, policy);
		ok = 0;
	}
	const skr_json_member *any = m.slot[M_ANY_OF];
	if (any) {
		ok &= convert_entries(pc, any, 1, policy);
	} else if (!all && !m.quiet_missing) {
		skr_json_loc at = opening_of(root);
		skr_json_report(pc->ctx, "policy-missing-member", at.offset, at.length,
		                "missing \"anyOf\"; list the policy's authority entries in \"anyOf\"");
		ok = 0;
	}
	policy->condition_count = pc->conditions;
	return ok ? policy : NULL;
}

/* ---- entry point -------------------------------------------------------- */

/* Reports input that is not UTF-8 at all: UTF-16 or UTF-32, recognized by
 * a byte-order mark or by NUL bytes among the first four bytes. Returns 1
 * when it reported an error. */
static int report_wrong_encoding(skr_json_ctx *ctx)
{
	const unsigned char *p = (const unsigned char *)ctx->src;
	size_t len = ctx->len;
	if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
		skr_json_report(ctx, "json-encoding", 0, 2,
		                "the policy is UTF-16 (it starts with the byte-order mark %02X %02X); save it as UTF-8",
		                p[0], p[1]);
		return 1;
	}
	for (size_t i = 0; i < len && i < 4; i++) {
		if (p[i] == 0) {
			skr_json_report(ctx, "json-encoding", i, 1,
			                "the policy has NUL bytes among its first characters, as UTF-16 or UTF-32 text does; save it as UTF-8");
			return 1;
		}
	}
	return 0;
}

/* Returns 1 when the text contains nothing but a byte-order mark and JSON
 * whitespace. */
static int is_blank(const char *src, size_t len)
{
	size_t i = len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	for (; i < len; i++) {
		if (src[i] != ' ' && src[i] != '\t' && src[i] != '\n' && src[i] != '\r')
			return 0;
	}
	return 1;
}

/* Sorts diagnostics [from, to) by offset, keeping the order of equal
 * offsets. The lexer, the parser's reductions and the checks report out of
 * source order, but users read errors top to bottom. An insertion sort is
 * enough because a parse adds at most SKR_JSON_MAX_ERRORS errors and one
 * warning. */
static void sort_diags(skr_diags *diags, size_t from, size_t to)
{
	for (size_t i = from + 1; i < to; i++) {
		skr_diag item = diags->items[i];
		size_t j = i;
		while (j > from && diags->items[j - 1].offset > item.offset) {
			diags->items[j] = diags->items[j - 1];
			j--;
		}
		diags->items[j] = item;
	}
}

/* Checks the text before any scanning: size, encoding and emptiness.
 * Returns 0 after reporting an error that makes parsing pointless. */
static int precheck_text(skr_json_ctx *ctx)
{
	/* The flex scanner takes an int length, so longer texts are rejected
	 * whatever the limit. */
	size_t max = ctx->limits->policy_bytes;
	if (max > (size_t)INT32_MAX - 2)
		max = (size_t)INT32_MAX - 2;
	if (ctx->len > max) {
		skr_json_report(ctx, "policy-limit", 0, 0,
		                "policy is %zu bytes, over the limit of %zu bytes", ctx->len, max);
		return 0;
	}
	if (report_wrong_encoding(ctx))
		return 0;
	if (is_blank(ctx->src, ctx->len)) {
		skr_json_report(ctx, "json-empty", 0, 0,
		                "the policy is empty; write a JSON object with \"version\" and \"anyOf\"");
		return 0;
	}
	return 1;
}

static uint32_t json_depth_bound(const skr_limits *limits)
{
	uint64_t bound = 2 * (uint64_t)limits->depth + 8;
	return bound > SKR_JSON_HARD_MAX_DEPTH ? SKR_JSON_HARD_MAX_DEPTH : (uint32_t)bound;
}

skr_status skr_parse_json_policy(const char *src, size_t len,
                                 const skr_limits *limits, skr_arena *arena,
                                 skr_diags *diags, skr_ast_policy **out)
{
	if (out)
		*out = NULL;
	if (!out || !arena || (!src && len))
		return SKR_E_USAGE;
	skr_limits defaults;
	if (!limits) {
		skr_limits_init(&defaults);
		limits = &defaults;
	}
	if (!src)
		src = "";

	skr_json_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.src = src;
	ctx.len = len;
	ctx.source.text = src;
	ctx.source.len = len;
	ctx.arena = arena;
	ctx.diags = diags;
	ctx.limits = limits;
	ctx.max_json_depth = json_depth_bound(limits);
	size_t first_diag = diags ? diags->count : 0;

	skr_ast_policy *policy = NULL;
	if (precheck_text(&ctx)) {
		skr_status status = skr_json_parse_text(&ctx);
		if (status != SKR_OK)
			return status;
		if (!ctx.stopped) {
			policy_checker pc = { &ctx, limits, 0, 0 };
			policy = convert_policy(&pc, ctx.root);
		}
		if (ctx.nomem)
			return SKR_E_NOMEM;
	}

	if (diags) {
		size_t end = diags->count;
		/* The "too many errors" error stays last. */
		if (ctx.errors > SKR_JSON_MAX_ERRORS && end > first_diag)
			end--;
		sort_diags(diags, first_diag, end);
	}
	if (ctx.errors)
		return SKR_E_POLICY;
	if (!policy)
		return SKR_E_INTERNAL;
	*out = policy;
	return SKR_OK;
}
