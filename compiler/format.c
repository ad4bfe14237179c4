/*
 * Canonical formatting of policies: a JSON writer and a DSL writer over the
 * syntax tree, and skr_format, which parses, writes, and then checks that
 * the text it wrote compiles to the same program as its input.
 *
 * Both writers produce one text per tree: member order, indentation, quoting
 * and number spelling depend on the tree alone. So formatting is idempotent,
 * and converting to the other form and back gives the canonical text again,
 * less the DSL comments, which JSON cannot hold.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "format.h"

/* ---- output text -------------------------------------------------------- */

/* A growing text. After an allocation failure or a broken tree, writes are
 * dropped and finish_text reports the failure. */
typedef struct text_out {
	char *data;
	size_t len;
	size_t cap;
	int nomem;
	int broken;
} text_out;

static void put(text_out *t, const char *s, size_t n)
{
	if (t->nomem || t->broken || n == 0)
		return;
	if (n > t->cap - t->len) {
		size_t cap = t->cap ? t->cap : 4096;
		while (n > cap - t->len) {
			if (cap > SIZE_MAX / 2) {
				t->nomem = 1;
				return;
			}
			cap *= 2;
		}
		char *bigger = realloc(t->data, cap);
		if (!bigger) {
			t->nomem = 1;
			return;
		}
		t->data = bigger;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
}

static void put_str(text_out *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_char(text_out *t, char c)
{
	put(t, &c, 1);
}

static void put_spaces(text_out *t, unsigned n)
{
	static const char spaces[] = "                                ";
	while (n > 0) {
		unsigned chunk = n < sizeof spaces - 1 ? n : (unsigned)(sizeof spaces - 1);
		put(t, spaces, chunk);
		n -= chunk;
	}
}

/* Hands the text to out, or frees it and returns the failure. */
static skr_status finish_text(text_out *t, skr_buffer *out)
{
	out->data = NULL;
	out->len = 0;
	if (t->nomem || t->broken) {
		free(t->data);
		return t->nomem ? SKR_E_NOMEM : SKR_E_INTERNAL;
	}
	out->data = (uint8_t *)t->data;
	out->len = t->len;
	return SKR_OK;
}

/* ---- values ------------------------------------------------------------- */

/* Writes s as a JSON string literal, escaping only what JSON requires ('"',
 * '\' and U+0000 to U+001F) and U+007F, and keeping other UTF-8 as it is.
 * Bytes that are not UTF-8 mark the tree broken: the front ends never let
 * them through, and no JSON text could hold them. */
static void put_json_string(text_out *t, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;
	put_char(t, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t n = skr_utf8_sequence(p + i, len - i);
			if (n == 0) {
				t->broken = 1;
				return;
			}
			i += n;
			continue;
		}
		const char *escape = NULL;
		char code[8];
		switch (c) {
		case '"': escape = "\\\""; break;
		case '\\': escape = "\\\\"; break;
		case '\b': escape = "\\b"; break;
		case '\f': escape = "\\f"; break;
		case '\n': escape = "\\n"; break;
		case '\r': escape = "\\r"; break;
		case '\t': escape = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7F) {
				snprintf(code, sizeof code, "\\u%04x", c);
				escape = code;
			}
			break;
		}
		if (escape) {
			put(t, s + run, i - run);
			put_str(t, escape);
			run = i + 1;
		}
		i++;
	}
	put(t, s + run, len - run);
	put_char(t, '"');
}

/* Returns 1 when a number's source text is a JSON number of the value's
 * kind and exact value, so writing the text keeps the program the same. */
static int number_text_fits(const skr_ast_value *v)
{
	if (!v->str || v->len == 0)
		return 0;
	int is_int;
	int64_t i;
	double d;
	if (skr_parse_json_number(v->str, v->len, &is_int, &i, &d) != 0)
		return 0;
	if (v->kind == SKR_VALUE_INT)
		return is_int && i == v->i;
	return !is_int && memcmp(&d, &v->d, sizeof d) == 0;
}

/* Writes the shortest spelling of d that reads back as the same double:
 * plain decimals ("100.0", "0.001") for decimal exponents from -5 to 16,
 * else exponent form ("1.5e-300"). A plain spelling always has a fraction,
 * so it reads back as a double and not as an integer. */
static void put_double(text_out *t, double d)
{
	char buf[400];
	int digits = 1;
	for (; digits < 17; digits++) {
		snprintf(buf, sizeof buf, "%.*e", digits - 1, d);
		double back = strtod(buf, NULL);
		if (memcmp(&back, &d, sizeof d) == 0)
			break;
	}
	snprintf(buf, sizeof buf, "%.*e", digits - 1, d);
	const char *e = strchr(buf, 'e');
	int exponent = e ? atoi(e + 1) : 0;
	if (exponent >= -5 && exponent < 17) {
		int decimals = digits - 1 - exponent;
		snprintf(buf, sizeof buf, "%.*f", decimals < 1 ? 1 : decimals, d);
	}
	put_str(t, buf);
}

/* Writes a number as its source text when that text fits, else spelled
 * from the value. The front ends keep the text, so the fallback only
 * serves trees built by other means. */
static void put_number(text_out *t, const skr_ast_value *v)
{
	if (number_text_fits(v)) {
		put(t, v->str, v->len);
	} else if (v->kind == SKR_VALUE_INT) {
		char buf[32];
		snprintf(buf, sizeof buf, "%" PRId64, v->i);
		put_str(t, buf);
	} else {
		put_double(t, v->d);
	}
}

/* ---- structural equality ------------------------------------------------ */

static int bytes_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Compares two values of claim conditions. Numbers compare by the text
 * they are written with, so equal values spelled differently (1e2 and
 * 100.0) are not equal and a merged block writes every number as it was
 * written. Numbers whose text is unusable compare by value. */
static int values_equal(const skr_ast_value *a, const skr_ast_value *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case SKR_VALUE_STRING:
		return bytes_equal(a->str, a->len, b->str, b->len);
	case SKR_VALUE_INT:
	case SKR_VALUE_DOUBLE: {
		int a_text = number_text_fits(a), b_text = number_text_fits(b);
		if (a_text && b_text)
			return bytes_equal(a->str, a->len, b->str, b->len);
		if (a_text || b_text)
			return 0;
		if (a->kind == SKR_VALUE_INT)
			return a->i == b->i;
		return memcmp(&a->d, &b->d, sizeof a->d) == 0;
	}
	case SKR_VALUE_TRUE:
	case SKR_VALUE_FALSE:
		return 1;
	}
	return 0;
}

int skr_ast_node_equal(const skr_ast_node *a, const skr_ast_node *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->kind != b->kind)
		return 0;
	if (a->kind == SKR_NODE_CLAIM)
		return a->op == b->op && bytes_equal(a->path, a->path_len, b->path, b->path_len) &&
		       values_equal(&a->value, &b->value);
	if (a->child_count != b->child_count)
		return 0;
	for (uint32_t i = 0; i < a->child_count; i++) {
		if (!skr_ast_node_equal(a->children[i], b->children[i]))
			return 0;
	}
	return 1;
}

/* ---- JSON --------------------------------------------------------------- */

static void json_condition(text_out *t, const skr_ast_node *node, unsigned indent);

/* Writes the value of a claim condition in JSON. */
static void json_value(text_out *t, const skr_ast_value *v)
{
	switch (v->kind) {
	case SKR_VALUE_STRING:
		put_json_string(t, v->str, v->len);
		return;
	case SKR_VALUE_INT:
	case SKR_VALUE_DOUBLE:
		put_number(t, v);
		return;
	case SKR_VALUE_TRUE:
		put_str(t, "true");
		return;
	case SKR_VALUE_FALSE:
		put_str(t, "false");
		return;
	}
	t->broken = 1;
}

/* Writes `"allOf": [ ... ]` or `"anyOf": [ ... ]` for a group whose
 * member starts at column indent; its conditions go two columns deeper. */
static void json_group(text_out *t, const skr_ast_node *group, unsigned indent)
{
	if ((group->kind != SKR_NODE_ALL && group->kind != SKR_NODE_ANY) ||
	    group->child_count == 0) {
		t->broken = 1;
		return;
	}
	put_str(t, group->kind == SKR_NODE_ALL ? "\"allOf\": [\n" : "\"anyOf\": [\n");
	for (uint32_t i = 0; i < group->child_count; i++) {
		json_condition(t, group->children[i], indent + 2);
		put_str(t, i + 1 < group->child_count ? ",\n" : "\n");
	}
	put_spaces(t, indent);
	put_char(t, ']');
}

/* Writes one condition at column indent: a claim condition on one line,
 * a nested group as an object spread over lines. */
static void json_condition(text_out *t, const skr_ast_node *node, unsigned indent)
{
	put_spaces(t, indent);
	if (node->kind != SKR_NODE_CLAIM) {
		put_str(t, "{\n");
		put_spaces(t, indent + 2);
		json_group(t, node, indent + 2);
		put_char(t, '\n');
		put_spaces(t, indent);
		put_char(t, '}');
		return;
	}
	put_str(t, "{ \"claim\": ");
	put_json_string(t, node->path, node->path_len);
	put_str(t, ", \"");
	put_str(t, skr_operator_name(node->op));
	put_str(t, "\": ");
	json_value(t, &node->value);
	put_str(t, " }");
}

skr_status skr_format_json_text(const skr_ast_policy *policy, skr_buffer *out)
{
	if (!policy || !out)
		return SKR_E_USAGE;
	out->data = NULL;
	out->len = 0;
	if (policy->entry_count == 0 || !policy->entries)
		return SKR_E_INTERNAL;
	text_out t = { 0 };
	put_str(&t, "{\n  \"version\": \"1.0.0\",\n  \"anyOf\": [\n");
	for (uint32_t i = 0; i < policy->entry_count; i++) {
		const skr_ast_entry *entry = &policy->entries[i];
		if (!entry->root) {
			t.broken = 1;
			break;
		}
		put_str(&t, "    {\n      \"authority\": ");
		put_json_string(&t, entry->authority, entry->authority_len);
		put_str(&t, ",\n      ");
		json_group(&t, entry->root, 6);
		put_str(&t, i + 1 < policy->entry_count ? "\n    },\n" : "\n    }\n");
	}
	put_str(&t, "  ]\n}\n");
	return finish_text(&t, out);
}

/* ---- DSL ---------------------------------------------------------------- */

#define DSL_INDENT 4u

static const char *dsl_operator(skr_operator op)
{
	switch (op) {
	case SKR_OP_EQUALS: return "==";
	case SKR_OP_NOT_EQUALS: return "!=";
	case SKR_OP_LESS: return "<";
	case SKR_OP_LESS_OR_EQUALS: return "<=";
	case SKR_OP_GREATER: return ">";
	case SKR_OP_GREATER_OR_EQUALS: return ">=";
	case SKR_OP_EXISTS: break;
	}
	return NULL;
}

/* The keywords of the DSL scanner (grammar/dsl_lex.l), which a bare claim
 * path may not be. A keyword missing here cannot change a policy: the
 * formatted text would not parse, and skr_format's check would fail. */
static const char *const dsl_keywords[] = {
	"version", "authority", "any", "all", "exists", "not", "true", "false",
};

static int is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Returns 1 when a claim path may be written without quotes, as a NAME
 * token: an ASCII letter or '_' first, then letters, digits, '-', '_' and
 * single dots between non-empty segments, and not exactly a keyword. */
static int dsl_bare_path(const char *path, size_t len)
{
	if (len == 0)
		return 0;
	unsigned char first = (unsigned char)path[0];
	if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_'))
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c == '.') {
			if (i + 1 == len || path[i - 1] == '.')
				return 0;
		} else if (!is_name_char(c)) {
			return 0;
		}
	}
	for (size_t k = 0; k < sizeof dsl_keywords / sizeof dsl_keywords[0]; k++) {
		if (bytes_equal(path, len, dsl_keywords[k], strlen(dsl_keywords[k])))
			return 0;
	}
	return 1;
}

/* Writes a DSL string literal; DSL strings take the JSON escapes. */
static void put_dsl_string(text_out *t, const char *s, size_t len)
{
	put_json_string(t, s, len);
}

static void dsl_value(text_out *t, const skr_ast_value *v)
{
	json_value(t, v);
}

/* ---- DSL comments ------------------------------------------------------- */

/* The DSL writer: the text, and the comments of the source still to be
 * written. The next_comment cursor only moves forward, and the end of the
 * text writes what is left, so each comment is written once, in source
 * order. */
typedef struct dsl_writer {
	text_out t;
	const skr_ast_policy *policy;
	const skr_source *src;       /* NULL: comments are left out */
	size_t *line_starts;         /* offset of the first byte of each source line */
	size_t line_count;
	uint32_t next_comment;       /* index of the first comment not yet written */
} dsl_writer;

/* Indexes the start of every line of the source, for line lookups. */
static int index_lines(dsl_writer *w)
{
	const char *s = w->src->text;
	size_t len = w->src->len, count = 1;
	for (size_t i = 0; i < len; i++)
		count += s[i] == '\n';
	w->line_starts = malloc(count * sizeof *w->line_starts);
	if (!w->line_starts)
		return 0;
	w->line_starts[0] = 0;
	w->line_count = 1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			w->line_starts[w->line_count++] = i + 1;
	}
	return 1;
}

/* 0-based source line of a byte offset. */
static size_t line_of(const dsl_writer *w, size_t offset)
{
	size_t lo = 0, hi = w->line_count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->line_starts[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static const skr_ast_comment *pending_comment(const dsl_writer *w)
{
	if (!w->src || w->next_comment >= w->policy->comment_count)
		return NULL;
	return &w->policy->comments[w->next_comment];
}

/* Returns 1 when something other than blanks precedes the comment on its
 * source line, which makes it a comment at the end of that line. */
static int ends_a_line(const dsl_writer *w, const skr_ast_comment *c)
{
	size_t start = w->line_starts[line_of(w, c->span.offset)];
	for (size_t i = start; i < c->span.offset && i < w->src->len; i++) {
		if (w->src->text[i] != ' ' && w->src->text[i] != '\t')
			return 1;
	}
	return 0;
}

/* Writes '#' and the comment's text without trailing blanks. */
static void put_comment(dsl_writer *w, const skr_ast_comment *c)
{
	size_t len = c->len;
	while (len > 0 && (c->text[len - 1] == ' ' || c->text[len - 1] == '\t' ||
	                   c->text[len - 1] == '\r'))
		len--;
	put_char(&w->t, '#');
	put(&w->t, c->text, len);
}

/* Writes, each on a line of its own at column indent, the pending comments
 * that start before offset. */
static void flush_comments(dsl_writer *w, size_t offset, unsigned indent)
{
	const skr_ast_comment *c;
	while ((c = pending_comment(w)) && c->span.offset < offset) {
		put_spaces(&w->t, indent);
		put_comment(w, c);
		put_char(&w->t, '\n');
		w->next_comment++;
	}
}

/* Offset of the last byte of a span. */
static size_t last_byte(skr_span span)
{
	return span.length ? span.offset + span.length - 1 : span.offset;
}

/* Ends an output line whose source item ends at offset anchor. The pending
 * comment joins the line when it follows anchor on the same source line and
 * starts before limit, so a comment stays at the end of its line. */
static void end_line(dsl_writer *w, size_t anchor, size_t limit)
{
	const skr_ast_comment *c = pending_comment(w);
	if (c && c->span.offset >= anchor && c->span.offset < limit &&
	    line_of(w, c->span.offset) == line_of(w, anchor) && ends_a_line(w, c)) {
		put_str(&w->t, "  ");
		put_comment(w, c);
		w->next_comment++;
	}
	put_char(&w->t, '\n');
}

/* ---- DSL conditions ----------------------------------------------------- */

static void dsl_path(text_out *t, const skr_ast_node *node)
{
	if (dsl_bare_path(node->path, node->path_len))
		put(t, node->path, node->path_len);
	else
		put_dsl_string(t, node->path, node->path_len);
}

static void dsl_claim(text_out *t, const skr_ast_node *node)
{
	if (node->op == SKR_OP_EXISTS) {
		if (node->value.kind != SKR_VALUE_TRUE && node->value.kind != SKR_VALUE_FALSE) {
			t->broken = 1;
			return;
		}
		put_str(t, node->value.kind == SKR_VALUE_TRUE ? "exists " : "not exists ");
		dsl_path(t, node);
		return;
	}
	const char *op = dsl_operator(node->op);
	if (!op) {
		t->broken = 1;
		return;
	}
	dsl_path(t, node);
	put_char(t, ' ');
	put_str(t, op);
	put_char(t, ' ');
	dsl_value(t, &node->value);
}

static void dsl_condition(dsl_writer *w, const skr_ast_node *node, unsigned indent,
                          size_t next);

/* Writes the conditions of a group one level deeper than indent, then the
 * comments before the group's closing brace (the last byte of span), then
 * the brace. */
static void dsl_group_body(dsl_writer *w, const skr_ast_node *group, skr_span span,
                           unsigned indent)
{
	if ((group->kind != SKR_NODE_ALL && group->kind != SKR_NODE_ANY) ||
	    group->child_count == 0) {
		w->t.broken = 1;
		return;
	}
	size_t close = last_byte(span);
	for (uint32_t i = 0; i < group->child_count; i++) {
		size_t next = i + 1 < group->child_count ? group->children[i + 1]->span.offset : close;
		dsl_condition(w, group->children[i], indent + DSL_INDENT, next);
	}
	flush_comments(w, close, indent + DSL_INDENT);
	put_spaces(&w->t, indent);
	put_char(&w->t, '}');
	end_line(w, close, SIZE_MAX);
}

/* Offset of a group's first condition, the end of the region where a
 * comment still belongs to the group's opening line. */
static size_t first_child_offset(const skr_ast_node *group)
{
	return group->child_count ? group->children[0]->span.offset : SIZE_MAX;
}

/* Writes one condition at column indent. next is the source offset of what
 * follows it (the next condition or the closing brace): a comment after
 * that belongs to a later line. */
static void dsl_condition(dsl_writer *w, const skr_ast_node *node, unsigned indent,
                          size_t next)
{
	flush_comments(w, node->span.offset, indent);
	put_spaces(&w->t, indent);
	if (node->kind == SKR_NODE_CLAIM) {
		dsl_claim(&w->t, node);
		end_line(w, last_byte(node->span), next);
		return;
	}
	put_str(&w->t, node->kind == SKR_NODE_ANY ? "any {" : "all {");
	end_line(w, node->span.offset, first_child_offset(node));
	dsl_group_body(w, node, node->span, indent);
}

/* ---- DSL blocks --------------------------------------------------------- */

/* Number of entries from first on whose conditions equal first's, which
 * share one block. Only adjacent entries merge, so the order of entries,
 * and with it the program, stays as it was. */
static uint32_t block_length(const skr_ast_policy *policy, uint32_t first)
{
	uint32_t n = 1;
	while (first + n < policy->entry_count &&
	       skr_ast_node_equal(policy->entries[first].root, policy->entries[first + n].root))
		n++;
	return n;
}

/* Returns 1 when two source offsets lie on one line (0 without a source). */
static int same_line(const dsl_writer *w, size_t a, size_t b)
{
	return w->src && line_of(w, a) == line_of(w, b);
}

/* Writes the block of entries [first, first + n): the authorities, one per
 * line and aligned under the first, then the conditions of the first
 * entry. */
static void dsl_block(dsl_writer *w, uint32_t first, uint32_t n)
{
	const skr_ast_entry *entries = w->policy->entries + first;
	const skr_ast_node *root = entries[0].root;
	if (!root) {
		w->t.broken = 1;
		return;
	}
	flush_comments(w, entries[0].span.offset, 0);
	put_str(&w->t, "authority ");
	for (uint32_t i = 0; i + 1 < n; i++) {
		size_t end = last_byte(entries[i].authority_span);
		put_dsl_string(&w->t, entries[i].authority, entries[i].authority_len);
		put_char(&w->t, ',');
		/* A comment after this authority stays on its line unless the next
		 * authority shares that line, and then it moves down with it. */
		if (same_line(w, end, entries[i + 1].authority_span.offset))
			put_char(&w->t, '\n');
		else
			end_line(w, end, entries[i + 1].authority_span.offset);
		put_spaces(&w->t, (unsigned)strlen("authority "));
	}
	put_dsl_string(&w->t, entries[n - 1].authority, entries[n - 1].authority_len);
	put_str(&w->t, root->kind == SKR_NODE_ANY ? " any {" : " {");
	end_line(w, last_byte(entries[n - 1].authority_span), first_child_offset(root));
	/* The closing brace gathers the comments up to the end of the last
	 * merged entry, so the comments of entries merged away are kept. */
	dsl_group_body(w, root, entries[n - 1].span, 0);
}

skr_status skr_format_dsl_text(const skr_ast_policy *policy, const skr_source *src,
                               skr_buffer *out)
{
	if (!policy || !out)
		return SKR_E_USAGE;
	out->data = NULL;
	out->len = 0;
	if (policy->entry_count == 0 || !policy->entries)
		return SKR_E_INTERNAL;
	dsl_writer w;
	memset(&w, 0, sizeof w);
	w.policy = policy;
	if (src && src->text && policy->comment_count > 0) {
		w.src = src;
		if (!index_lines(&w))
			return SKR_E_NOMEM;
	}

	flush_comments(&w, policy->version_span.offset, 0);
	put_str(&w.t, "version 1.0.0");
	if (policy->version_span.length > 0)
		end_line(&w, last_byte(policy->version_span), policy->entries[0].span.offset);
	else
		put_char(&w.t, '\n');
	for (uint32_t i = 0; i < policy->entry_count;) {
		uint32_t n = block_length(policy, i);
		put_char(&w.t, '\n');
		dsl_block(&w, i, n);
		i += n;
	}
	if (pending_comment(&w)) {
		put_char(&w.t, '\n');
		flush_comments(&w, SIZE_MAX, 0);
	}
	free(w.line_starts);
	return finish_text(&w.t, out);
}

/* ---- skr_format ------------------------------------------------------- */

/* The syntax skr_parse_policy picks for SKR_SYNTAX_AUTO: '{', '"' or '['
 * as the first non-blank character after an optional byte-order mark
 * means JSON. Resolved here so the output form and the parse agree. */
static skr_syntax resolve_syntax(const char *src, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r'))
		i++;
	if (i < len && (src[i] == '{' || src[i] == '"' || src[i] == '['))
		return SKR_SYNTAX_JSON;
	return SKR_SYNTAX_DSL;
}

static int valid_syntax(skr_syntax syntax)
{
	return syntax == SKR_SYNTAX_AUTO || syntax == SKR_SYNTAX_JSON || syntax == SKR_SYNTAX_DSL;
}

/* Compiles the formatted text and compares the program with the input's.
 * Returns SKR_OK when they are byte-identical, SKR_E_INTERNAL with an error
 * in diags when they are not (a bug in a writer or a front end). */
static skr_status check_output(const skr_buffer *image, const skr_buffer *text, skr_syntax to,
                               const skr_limits *limits, skr_diags *diags)
{
	/* The output may be longer than the input (a block of many authorities
	 * becomes one JSON entry each), so only its size limit is lifted. */
	skr_limits relaxed = *limits;
	if (relaxed.policy_bytes < text->len)
		relaxed.policy_bytes = text->len;
	skr_diags scratch;
	skr_diags_init(&scratch);
	skr_buffer again = { NULL, 0 };
	skr_status status = skr_compile((const char *)text->data, text->len, to, &relaxed, &scratch,
	                                &again);
	int same = status == SKR_OK && again.len == image->len &&
	           memcmp(again.data, image->data, image->len) == 0;
	skr_buffer_free(&again);
	skr_diags_free(&scratch);
	if (status == SKR_E_NOMEM)
		return SKR_E_NOMEM;
	if (same)
		return SKR_OK;
	skr_diag_add(diags, NULL, SKR_SEV_ERROR, "fmt-check", 0, 0,
	             "the formatted %s text %s; this is a bug in skr, so no output is given",
	             to == SKR_SYNTAX_JSON ? "JSON" : "DSL",
	             status == SKR_OK ? "compiles to a different program than the input"
	                              : "does not compile");
	return SKR_E_INTERNAL;
}

skr_status skr_format(const char *src, size_t len, skr_syntax from, skr_syntax to,
                      const skr_limits *limits, skr_diags *diags, skr_buffer *out)
{
	if (!out)
		return SKR_E_USAGE;
	out->data = NULL;
	out->len = 0;
	if ((!src && len) || !valid_syntax(from) || !valid_syntax(to))
		return SKR_E_USAGE;
	if (!src)
		src = "";
	skr_limits defaults;
	if (!limits) {
		skr_limits_init(&defaults);
		limits = &defaults;
	}
	if (from == SKR_SYNTAX_AUTO)
		from = resolve_syntax(src, len);
	if (to == SKR_SYNTAX_AUTO)
		to = from;

	size_t errors_before = diags ? diags->errors : 0;
	skr_arena arena;
	skr_arena_init(&arena);
	skr_source source = { src, len };
	skr_buffer image = { NULL, 0 };
	skr_buffer text = { NULL, 0 };
	skr_ast_policy *policy = NULL;
	skr_status status = skr_parse_policy(src, len, from, limits, &arena, diags, &policy);
	if (status != SKR_OK)
		goto done;
	status = skr_compile_ast(policy, &source, diags, &image);
	if (status != SKR_OK)
		goto done;
	if (to == SKR_SYNTAX_JSON) {
		status = skr_format_json_text(policy, &text);
		if (status == SKR_OK && policy->comment_count > 0) {
			const skr_ast_comment *first = &policy->comments[0];
			skr_diag_add(diags, &source, SKR_SEV_WARNING, "fmt-comments-dropped",
			             first->span.offset, first->span.length,
			             "JSON has no comments, so the %u comment%s of the DSL text %s left out",
			             (unsigned)policy->comment_count, policy->comment_count == 1 ? "" : "s",
			             policy->comment_count == 1 ? "is" : "are");
		}
	} else {
		status = skr_format_dsl_text(policy, &source, &text);
	}
	if (status == SKR_OK)
		status = check_output(&image, &text, to, limits, diags);
	if (status != SKR_OK)
		skr_buffer_free(&text);

done:
	if (status == SKR_E_INTERNAL && (!diags || diags->errors == errors_before))
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "fmt-internal", 0, 0,
		             "the policy tree breaks a rule the formatter relies on; this is a bug in skr");
	skr_buffer_free(&image);
	skr_arena_free(&arena);
	*out = text;
	return status;
}
