/*
 * Tests of the JSON policy front end (grammar/): valid policies and the
 * shape of their AST, one table row per error class with its code, line
 * and column, the limits, the golden diagnostics under
 * $SKR_TESTS_DIR/golden/json, and the published policies and decision
 * cases under $SKR_SHARED when that folder exists.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "tokens.h"

/* ---- helpers ------------------------------------------------------------ */

/* One parse and everything it produced. */
typedef struct parsed {
	skr_arena arena;
	skr_diags diags;
	skr_ast_policy *policy;
	skr_status status;
} parsed;

static void parse_with(parsed *p, const char *src, size_t len, const skr_limits *limits)
{
	skr_arena_init(&p->arena);
	skr_diags_init(&p->diags);
	p->policy = NULL;
	p->status = skr_parse_json_policy(src, len, limits, &p->arena, &p->diags, &p->policy);
}

static void parse_text(parsed *p, const char *src)
{
	parse_with(p, src, strlen(src), NULL);
}

static void parsed_free(parsed *p)
{
	skr_diags_free(&p->diags);
	skr_arena_free(&p->arena);
}

/* Returns the first diagnostic of the given severity, or NULL. */
static const skr_diag *first_of(const parsed *p, skr_severity severity)
{
	for (size_t i = 0; i < p->diags.count; i++) {
		if (p->diags.items[i].severity == severity)
			return &p->diags.items[i];
	}
	return NULL;
}

/* Reads a whole file; returns NULL when it cannot be read. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + used, 1, cap - used, f);
		used += n;
		if (used < cap)
			break;
		cap *= 2;
		char *grown = realloc(buf, cap);
		if (!grown) {
			free(buf);
			buf = NULL;
		}
		buf = grown;
	}
	fclose(f);
	if (buf)
		*len = used;
	return buf;
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	cr_assert_not_null(path);
	snprintf(path, n, "%s/%s", dir, name);
	return path;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);
	return value && *value ? value : fallback;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the file names in dir accepted by keep, sorted. Returns NULL when
 * dir cannot be opened. */
static char **list_files(const char *dir, int (*keep)(const char *), size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	size_t cap = 64, n = 0;
	char **names = malloc(cap * sizeof *names);
	cr_assert_not_null(names);
	struct dirent *entry;
	while ((entry = readdir(d)) != NULL) {
		if (!keep(entry->d_name))
			continue;
		if (n == cap) {
			cap *= 2;
			names = realloc(names, cap * sizeof *names);
			cr_assert_not_null(names);
		}
		names[n] = strdup(entry->d_name);
		cr_assert_not_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, compare_names);
	*count = n;
	return names;
}

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* ---- AST shape ---------------------------------------------------------- */

/* Text that describes an AST compactly, for table-driven comparisons:
 *   VERSION | AUTHORITY: NODE | AUTHORITY: NODE ...
 * where NODE is all(...) or any(...) with children joined by ", ", or a
 * claim condition "path op value" with a leading '~' for the long form.
 * Values: "string" (bytes outside printable ASCII as \xNN), i:INT,
 * d:DOUBLE (%g), true, false. */
typedef struct shape {
	char text[4096];
	size_t len;
} shape;

static void shape_put(shape *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->text + s->len, sizeof s->text - s->len, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof s->text - s->len, "shape text too long");
	s->len += (size_t)n;
}

static void shape_bytes(shape *s, const char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)bytes[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			shape_put(s, "%c", c);
		else
			shape_put(s, "\\x%02X", c);
	}
}

static const char *const operator_names[] = {
	"equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals", "exists",
};

static void shape_value(shape *s, const skr_ast_value *v)
{
	switch (v->kind) {
	case SKR_VALUE_STRING:
		shape_put(s, "\"");
		shape_bytes(s, v->str, v->len);
		shape_put(s, "\"");
		break;
	case SKR_VALUE_INT:
		shape_put(s, "i:%" PRId64, v->i);
		break;
	case SKR_VALUE_DOUBLE:
		shape_put(s, "d:%g", v->d);
		break;
	case SKR_VALUE_TRUE:
		shape_put(s, "true");
		break;
	case SKR_VALUE_FALSE:
		shape_put(s, "false");
		break;
	}
}

static void shape_node(shape *s, const skr_ast_node *node)
{
	if (node->kind == SKR_NODE_CLAIM) {
		if (node->long_form)
			shape_put(s, "~");
		shape_bytes(s, node->path, node->path_len);
		shape_put(s, " %s ", operator_names[node->op]);
		shape_value(s, &node->value);
		return;
	}
	shape_put(s, node->kind == SKR_NODE_ALL ? "all(" : "any(");
	for (uint32_t i = 0; i < node->child_count; i++) {
		if (i)
			shape_put(s, ", ");
		shape_node(s, node->children[i]);
	}
	shape_put(s, ")");
}

static void shape_policy(shape *s, const skr_ast_policy *policy)
{
	s->len = 0;
	s->text[0] = '\0';
	shape_put(s, "%s", policy->version == SKR_POLICY_VERSION_0_2 ? "0.2" : "1.0.0");
	for (uint32_t i = 0; i < policy->entry_count; i++) {
		const skr_ast_entry *entry = &policy->entries[i];
		shape_put(s, " | ");
		shape_bytes(s, entry->authority, entry->authority_len);
		shape_put(s, ": ");
		shape_node(s, entry->root);
	}
}

/* ---- valid policies ----------------------------------------------------- */

/* A valid policy: its text, the AST it gives and its claim conditions. */
typedef struct valid_case {
	const char *name;
	const char *src;
	size_t len;
	const char *shape;
	uint32_t conditions;
} valid_case;

#define SOURCE(s) s, sizeof(s) - 1
#define POLICY(group) "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[" group "]}]}"

static const valid_case valid_cases[] = {
	{ "language example", SOURCE(
	  "{ \"version\": \"1.0.0\",\n"
	  "  \"anyOf\": [ { \"authority\": \"https://sharedeus.eus.attest.azure.net\",\n"
	  "    \"allOf\": [ { \"claim\": \"x-ms-attestation-type\", \"equals\": \"sevsnpvm\" },\n"
	  "      { \"anyOf\": [ { \"claim\": \"x-ms-sevsnpvm-guestsvn\", \"greaterOrEquals\": 3 },\n"
	  "                   { \"claim\": \"x-ms-sevsnpvm-hostdata\", \"exists\": true } ] } ] } ] }\n"),
	  "1.0.0 | https://sharedeus.eus.attest.azure.net: all(x-ms-attestation-type equals \"sevsnpvm\", "
	  "any(x-ms-sevsnpvm-guestsvn greaterOrEquals i:3, x-ms-sevsnpvm-hostdata exists true))", 3 },
	{ "member order and version 1.0", SOURCE(
	  "{\"anyOf\":[{\"allOf\":[{\"equals\":true,\"claim\":\"sdk-test\"}],\"authority\":\"https://mock/\"}],\"version\":\"1.0\"}"),
	  "1.0.0 | https://mock/: all(sdk-test equals true)", 1 },
	{ "member names ignore case", SOURCE(
	  "{\"VERSION\":\"1.0.0\",\"AnyOf\":[{\"Authority\":\"a\",\"anyof\":[{\"CLAIM\":\"c\",\"notequals\":\"x\"},"
	  "{\"Allof\":[{\"claim\":\"d\",\"LESSOREQUALS\":2}]}]}]}"),
	  "1.0.0 | a: any(c notEquals \"x\", all(d lessOrEquals i:2))", 2 },
	{ "long form", SOURCE(POLICY(
	  "{\"claim\":\"c\",\"condition\":\"Equals\",\"value\":\"false\"},"
	  "{\"value\":\"true\",\"Condition\":\"exists\",\"claim\":\"d\"},"
	  "{\"claim\":\"e\",\"condition\":\"greaterOrEquals\",\"value\":\"7\"}")),
	  "1.0.0 | a: all(~c equals \"false\", ~d exists true, ~e greaterOrEquals \"7\")", 3 },
	{ "exists values", SOURCE(POLICY(
	  "{\"claim\":\"a\",\"exists\":true},{\"claim\":\"b\",\"exists\":false},"
	  "{\"claim\":\"c\",\"exists\":\"true\"},{\"claim\":\"d\",\"exists\":\"false\"}")),
	  "1.0.0 | a: all(a exists true, b exists false, c exists true, d exists false)", 4 },
	{ "numbers", SOURCE(POLICY(
	  "{\"claim\":\"a\",\"less\":-5},{\"claim\":\"b\",\"greater\":2.5},{\"claim\":\"c\",\"lessOrEquals\":1e2},"
	  "{\"claim\":\"d\",\"greaterOrEquals\":\"10\"},{\"claim\":\"e\",\"equals\":-9223372036854775808},"
	  "{\"claim\":\"f\",\"equals\":9223372036854775807},{\"claim\":\"g\",\"notEquals\":1E-400},"
	  "{\"claim\":\"h\",\"less\":\"-0.5e1\"}")),
	  "1.0.0 | a: all(a less i:-5, b greater d:2.5, c lessOrEquals d:100, d greaterOrEquals \"10\", "
	  "e equals i:-9223372036854775808, f equals i:9223372036854775807, g notEquals d:0, h less \"-0.5e1\")", 8 },
	{ "escapes decoded", SOURCE(POLICY(
	  "{\"claim\":\"x-ms-attestation\\u002dtype\",\"equals\":\"\\uD83D\\uDE00\"},"
	  "{\"claim\":\"b\",\"equals\":\"a\\u0000b\"},"
	  "{\"claim\":\"c\",\"equals\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}")),
	  "1.0.0 | a: all(x-ms-attestation-type equals \"\\xF0\\x9F\\x98\\x80\", "
	  "b equals \"a\\x00b\", c equals \"\"\\x5C/\\x08\\x0C\\x0A\\x0D\\x09\")", 3 },
	{ "utf-8 text", SOURCE(POLICY("{\"claim\":\"caf\xC3\xA9\",\"equals\":\"\xE2\x82\xAC\"}")),
	  "1.0.0 | a: all(caf\\xC3\\xA9 equals \"\\xE2\\x82\\xAC\")", 1 },
	{ "byte-order mark and CRLF", SOURCE(
	  "\xEF\xBB\xBF{\r\n\t\"version\": \"1.0.0\",\r\n\t\"anyOf\": [{\"authority\": \"a\", \"anyOf\": [{\"claim\": \"c\", \"equals\": 1}]}]\r\n}\r\n"),
	  "1.0.0 | a: any(c equals i:1)", 1 },
	{ "legacy version", SOURCE(
	  "{\"version\":\"0.2\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":\"false\"}]}]}"),
	  "0.2 | a: all(c equals \"false\")", 1 },
	{ "repeated authority", SOURCE(
	  "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]},"
	  "{\"authority\":\"a\",\"anyOf\":[{\"claim\":\"d\",\"notEquals\":false},{\"claim\":\"e\",\"equals\":\"\"}]}]}"),
	  "1.0.0 | a: all(c equals i:1) | a: any(d notEquals false, e equals \"\")", 3 },
};

Test(json_front, valid_policies_shape)
{
	for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
		const valid_case *c = &valid_cases[i];
		parsed p;
		parse_with(&p, c->src, c->len, NULL);
		cr_expect_eq(p.status, SKR_OK, "%s: status %d, first message: %s", c->name,
		             (int)p.status, p.diags.count ? p.diags.items[0].message : "(none)");
		cr_expect_eq(p.diags.errors, 0u, "%s: errors reported", c->name);
		if (p.policy) {
			shape s;
			shape_policy(&s, p.policy);
			cr_expect_str_eq(s.text, c->shape, "%s: AST differs", c->name);
			cr_expect_eq(p.policy->condition_count, c->conditions, "%s: condition count",
			             c->name);
			cr_expect_eq(p.policy->comment_count, 0u, "%s: JSON has no comments", c->name);
		}
		parsed_free(&p);
	}
}

Test(json_front, legacy_version_warns)
{
	parsed p;
	parse_text(&p, "{\"version\":\"0.2\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}");
	cr_assert_eq(p.status, SKR_OK);
	cr_expect_eq(p.diags.warnings, 1u);
	const skr_diag *w = first_of(&p, SKR_SEV_WARNING);
	cr_assert_not_null(w);
	cr_expect_str_eq(w->code, "policy-legacy-version");
	cr_expect_eq(w->line, 1u);
	cr_expect_eq(w->column, 12u);
	cr_expect_eq(p.policy->version, SKR_POLICY_VERSION_0_2);
	parsed_free(&p);
}

Test(json_front, version_1_0_is_silent)
{
	parsed p;
	parse_text(&p, "{\"version\":\"1.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}");
	cr_assert_eq(p.status, SKR_OK);
	cr_expect_eq(p.diags.count, 0u);
	cr_expect_eq(p.policy->version, SKR_POLICY_VERSION_1_0_0);
	parsed_free(&p);
}

/* Byte offset of the first occurrence of needle in src. */
static size_t offset_of(const char *src, const char *needle)
{
	const char *at = strstr(src, needle);
	cr_assert_not_null(at, "\"%s\" not in the test source", needle);
	return (size_t)(at - src);
}

Test(json_front, spans_point_at_tokens)
{
	const char *src =
		"{\"version\": \"1.0.0\",\n"
		" \"anyOf\": [{\"authority\": \"https://a.example\",\n"
		"   \"anyOf\": [{\"claim\": \"x.y\", \"lessOrEquals\": 12},\n"
		"             {\"allOf\": [{\"claim\": \"z\", \"condition\": \"exists\", \"value\": false}]}]}]}";
	parsed p;
	parse_text(&p, src);
	cr_assert_eq(p.status, SKR_OK);
	const skr_ast_policy *policy = p.policy;
	cr_expect_eq(policy->version_span.offset, offset_of(src, "\"1.0.0\""));
	cr_expect_eq(policy->version_span.length, 7u);
	cr_assert_eq(policy->entry_count, 1u);

	const skr_ast_entry *entry = &policy->entries[0];
	cr_expect_eq(entry->authority_span.offset, offset_of(src, "\"https://a.example\""));
	cr_expect_eq(entry->authority_span.length, strlen("\"https://a.example\""));
	cr_expect_eq(entry->span.offset, offset_of(src, "{\"authority\""));
	cr_expect_eq(entry->span.offset + entry->span.length, strlen(src) - 2,
	             "the entry ends at its closing brace");

	const skr_ast_node *root = entry->root;
	cr_assert_eq(root->kind, SKR_NODE_ANY);
	cr_assert_eq(root->child_count, 2u);
	cr_expect_eq(root->span.offset, offset_of(src, "\"anyOf\": [{\"claim\""),
	             "an entry's group spans from its member name");

	const skr_ast_node *claim = root->children[0];
	cr_assert_eq(claim->kind, SKR_NODE_CLAIM);
	cr_expect_eq(claim->span.offset, offset_of(src, "{\"claim\": \"x.y\""));
	cr_expect_eq(claim->path_span.offset, offset_of(src, "\"x.y\""));
	cr_expect_eq(claim->path_span.length, 5u);
	cr_expect_eq(claim->op, SKR_OP_LESS_OR_EQUALS);
	cr_expect_eq(claim->op_span.offset, offset_of(src, "\"lessOrEquals\""));
	cr_expect_eq(claim->op_span.length, strlen("\"lessOrEquals\""));
	cr_expect_eq(claim->value.kind, SKR_VALUE_INT);
	cr_expect_eq(claim->value.i, 12);
	cr_expect_eq(claim->value.span.offset, offset_of(src, "12}"));
	cr_expect_eq(claim->value.span.length, 2u);
	cr_expect_eq(claim->value.len, 2u);
	cr_expect_eq(memcmp(claim->value.str, "12", 2), 0, "numbers keep their source text");
	cr_expect_eq(claim->long_form, 0);

	const skr_ast_node *group = root->children[1];
	cr_assert_eq(group->kind, SKR_NODE_ALL);
	cr_expect_eq(group->span.offset, offset_of(src, "{\"allOf\""));
	cr_assert_eq(group->child_count, 1u);
	const skr_ast_node *long_form = group->children[0];
	cr_expect_eq(long_form->long_form, 1);
	cr_expect_eq(long_form->op, SKR_OP_EXISTS);
	cr_expect_eq(long_form->op_span.offset, offset_of(src, "\"exists\""),
	             "the long form's operator span is the condition's value");
	cr_expect_eq(long_form->value.kind, SKR_VALUE_FALSE);
	cr_expect_eq(long_form->path_len, 1u);
	cr_expect_eq(long_form->path[1], '\0', "paths are NUL-terminated");
	cr_expect_eq(policy->condition_count, 2u);
	parsed_free(&p);
}

Test(json_front, nul_in_value_kept)
{
	parsed p;
	parse_text(&p, POLICY("{\"claim\":\"c\",\"equals\":\"\\u0000\"}"));
	cr_assert_eq(p.status, SKR_OK);
	const skr_ast_node *claim = p.policy->entries[0].root->children[0];
	cr_expect_eq(claim->value.kind, SKR_VALUE_STRING);
	cr_expect_eq(claim->value.len, 1u);
	cr_expect_eq(claim->value.str[0], '\0');
	parsed_free(&p);
}

/* ---- one row per error class -------------------------------------------- */

/* An invalid policy and where its first error must point. Line and column
 * are 1-based; columns count code points. */
typedef struct error_case {
	const char *name;
	const char *src;
	size_t len;
	const char *code;
	uint32_t line;
	uint32_t column;
} error_case;

/* The group of one authority entry; its first condition starts at column 55. */
#define COND(c) POLICY(c)

static const error_case error_cases[] = {
	{ "comment", SOURCE(COND("{\"claim\":\"c\",\"equals\":1}") " // note"),
	  "json-comment", 1, 84 },
	{ "block comment", SOURCE("{\n/* c */ \"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "json-comment", 2, 1 },
	{ "trailing comma array", SOURCE(COND("{\"claim\":\"c\",\"equals\":1},")),
	  "json-trailing-comma", 1, 79 },
	{ "trailing comma object", SOURCE(COND("{\"claim\":\"c\",\"equals\":1,}")),
	  "json-trailing-comma", 1, 78 },
	{ "single quote", SOURCE(COND("{'claim':\"c\",\"equals\":1}")),
	  "json-single-quote", 1, 56 },
	{ "smart quote", SOURCE(COND("{\xE2" "\x80" "\x9C" "claim\xE2" "\x80" "\x9D" ":\"c\",\"equals\":1}")),
	  "json-smart-quote", 1, 56 },
	{ "bad escape", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"a\\qb\"}")),
	  "json-bad-escape", 1, 79 },
	{ "short unicode escape", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"\\u12\"}")),
	  "json-bad-escape", 1, 78 },
	{ "lone low surrogate", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"\\uDC00\"}")),
	  "json-surrogate", 1, 78 },
	{ "lone high surrogate", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"\\uD800x\"}")),
	  "json-surrogate", 1, 78 },
	{ "invalid utf8 in string", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"caf\xE9" "\"}")),
	  "json-invalid-utf8", 1, 81 },
	{ "invalid utf8 outside", SOURCE(COND("{\"claim\":\"c\",\"equals\":1}") "\xFF"),
	  "json-invalid-utf8", 1, 83 },
	{ "overlong utf8", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"\xC0" "\xAF" "\"}")),
	  "json-invalid-utf8", 1, 78 },
	{ "control char", SOURCE(COND("{\"claim\":\"c\",\"equals\":\"a\tb\"}")),
	  "json-control-char", 1, 79 },
	{ "bom inside", SOURCE("{\n  \xEF" "\xBB" "\xBF" "\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "json-bom", 2, 3 },
	{ "nul byte", SOURCE(COND("{\"claim\":\"c\",\"equals\":1}") "\n\0"),
	  "json-encoding", 2, 1 },
	{ "non-breaking space", SOURCE(COND("{\"claim\":\"c\",\"equals\":1}") "\xC2" "\xA0"),
	  "json-whitespace", 1, 83 },
	{ "leading zero", SOURCE(COND("{\"claim\":\"c\",\"less\":012}")),
	  "json-bad-number", 1, 75 },
	{ "plus sign", SOURCE(COND("{\"claim\":\"c\",\"less\":+1}")),
	  "json-bad-number", 1, 75 },
	{ "hex number", SOURCE(COND("{\"claim\":\"c\",\"less\":0x10}")),
	  "json-bad-number", 1, 75 },
	{ "infinity", SOURCE(COND("{\"claim\":\"c\",\"less\":-Infinity}")),
	  "json-bad-number", 1, 75 },
	{ "literal case", SOURCE(COND("{\"claim\":\"c\",\"equals\":TRUE}")),
	  "json-literal", 1, 77 },
	{ "unquoted word", SOURCE(COND("{claim:\"c\",\"equals\":1}")),
	  "json-unquoted", 1, 56 },
	{ "unterminated string", SOURCE("{\"version\":\"1.0.0,\n\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "json-unterminated-string", 1, 12 },
	{ "missing comma", SOURCE(COND("{\"claim\":\"c\" \"equals\":1}")),
	  "json-missing-comma", 1, 68 },
	{ "missing colon", SOURCE(COND("{\"claim\" \"c\",\"equals\":1}")),
	  "json-syntax", 1, 64 },
	{ "stray colon", SOURCE(COND("{\"claim\":\"c\",\"equals\":1:}")),
	  "json-syntax", 1, 78 },
	{ "unclosed", SOURCE("{\"version\":\"1.0.0\""),
	  "json-syntax", 1, 19 },
	{ "empty", SOURCE("  \n "),
	  "json-empty", 1, 1 },
	{ "duplicate member", SOURCE(COND("{\"claim\":\"c\",\"equals\":1,\"Claim\":\"d\"}")),
	  "policy-duplicate-member", 1, 79 },
	{ "duplicate version", SOURCE("{\"version\":\"1.0.0\",\n\"VERSION\":\"1.0.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "policy-duplicate-member", 2, 1 },
	{ "unknown member", SOURCE(COND("{\"claim\":\"c\",\"equal\":1}")),
	  "policy-unknown-member", 1, 68 },
	{ "both groups", SOURCE(COND("{\"allOf\":[{\"claim\":\"c\",\"equals\":1}],\"anyOf\":[{\"claim\":\"c\",\"equals\":1}]}")),
	  "policy-both-groups", 1, 91 },
	{ "two operators", SOURCE(COND("{\"claim\":\"c\",\"less\":1,\"greater\":0}")),
	  "policy-two-operators", 1, 77 },
	{ "no operator", SOURCE(COND("{\"claim\":\"c\"}")),
	  "policy-no-operator", 1, 56 },
	{ "empty group", SOURCE(COND("{\"anyOf\":[]}")),
	  "policy-empty-array", 1, 64 },
	{ "empty authorities", SOURCE("{\"version\":\"1.0.0\",\"anyOf\":[]}"),
	  "policy-empty-array", 1, 28 },
	{ "top level allOf", SOURCE("{\"version\":\"1.0.0\",\"allOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "policy-top-level-allof", 1, 20 },
	{ "null value", SOURCE(COND("{\"claim\":\"c\",\"equals\":null}")),
	  "policy-value-type", 1, 77 },
	{ "object value", SOURCE(COND("{\"claim\":\"c\",\"notEquals\":{}}")),
	  "policy-value-type", 1, 80 },
	{ "array value", SOURCE(COND("{\"claim\":\"c\",\"equals\":[1]}")),
	  "policy-value-type", 1, 77 },
	{ "authority number", SOURCE("{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":7,\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "policy-value-type", 1, 42 },
	{ "ordering string", SOURCE(COND("{\"claim\":\"c\",\"greater\":\"ten\"}")),
	  "policy-ordering-value", 1, 78 },
	{ "ordering padded string", SOURCE(COND("{\"claim\":\"c\",\"greater\":\" 1\"}")),
	  "policy-ordering-value", 1, 78 },
	{ "ordering boolean", SOURCE(COND("{\"claim\":\"c\",\"lessOrEquals\":true}")),
	  "policy-ordering-value", 1, 83 },
	{ "exists number", SOURCE(COND("{\"claim\":\"c\",\"exists\":1}")),
	  "policy-exists-value", 1, 77 },
	{ "exists string", SOURCE(COND("{\"claim\":\"c\",\"exists\":\"True\"}")),
	  "policy-exists-value", 1, 77 },
	{ "encoded twice", SOURCE("\"{\\\"version\\\":\\\"1.0.0\\\"}\""),
	  "policy-encoded-twice", 1, 1 },
	{ "unsupported version", SOURCE("{\"version\":\"1.0.1\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "policy-version", 1, 12 },
	{ "missing version", SOURCE("{\"anyOf\":[{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "policy-missing-member", 1, 1 },
	{ "missing claim", SOURCE(COND("{\"equals\":1}")),
	  "policy-missing-member", 1, 55 },
	{ "long form no value", SOURCE(COND("{\"claim\":\"c\",\"condition\":\"equals\"}")),
	  "policy-missing-member", 1, 68 },
	{ "long form unknown", SOURCE(COND("{\"claim\":\"c\",\"condition\":\"bigger\",\"value\":1}")),
	  "policy-unknown-condition", 1, 80 },
	{ "integer range", SOURCE(COND("{\"claim\":\"c\",\"less\":-9223372036854775809}")),
	  "policy-number-range", 1, 75 },
	{ "double range", SOURCE(COND("{\"claim\":\"c\",\"less\":-1e309}")),
	  "policy-number-range", 1, 75 },
	{ "nul member name", SOURCE(COND("{\"claim\":\"c\",\"equals\":1,\"x\\u0000\":1}")),
	  "policy-nul-name", 1, 79 },
	{ "nul claim path", SOURCE(COND("{\"claim\":\"a\\u0000b\",\"equals\":1}")),
	  "policy-nul-name", 1, 64 },
	{ "empty authority", SOURCE("{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}]}"),
	  "policy-empty-authority", 1, 42 },
	{ "claim trailing dot", SOURCE(COND("{\"claim\":\"a.\",\"equals\":1}")),
	  "policy-claim-path", 1, 64 },
	{ "mixed condition", SOURCE(COND("{\"anyOf\":[{\"claim\":\"c\",\"equals\":1}],\"claim\":\"c\",\"equals\":1}")),
	  "policy-mixed-condition", 1, 91 },
};

Test(json_front, error_classes)
{
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const error_case *c = &error_cases[i];
		parsed p;
		parse_with(&p, c->src, c->len, NULL);
		cr_expect_eq(p.status, SKR_E_POLICY, "%s: status %d", c->name, (int)p.status);
		cr_expect_null(p.policy, "%s: no AST after errors", c->name);
		const skr_diag *d = first_of(&p, SKR_SEV_ERROR);
		cr_expect_not_null(d, "%s: no error reported", c->name);
		if (d) {
			cr_expect_str_eq(d->code, c->code, "%s: code (message: %s)", c->name, d->message);
			cr_expect_eq(d->line, c->line, "%s: line", c->name);
			cr_expect_eq(d->column, c->column, "%s: column", c->name);
			cr_expect_neq(d->message[0], '\0', "%s: empty message", c->name);
			cr_expect_null(strchr(d->message, '\n'), "%s: message has a newline", c->name);
		}
		parsed_free(&p);
	}
}

Test(json_front, one_error_per_mistake)
{
	/* Each row contains exactly one mistake, so recovery must not add more. */
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const error_case *c = &error_cases[i];
		parsed p;
		parse_with(&p, c->src, c->len, NULL);
		cr_expect_eq(p.diags.errors, 1u, "%s: %zu errors, the first: %s", c->name,
		             p.diags.errors, p.diags.count ? p.diags.items[0].message : "(none)");
		parsed_free(&p);
	}
}

Test(json_front, utf16_rejected)
{
	static const char le[] = "\xFF\xFE{\0\"\0v\0\"\0:\0 \0}\0";
	static const char be[] = "\0{\0\"\0v\0\"\0:\0 \0}";
	parsed p;
	parse_with(&p, le, sizeof le - 1, NULL);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_expect_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "json-encoding");
	cr_expect_neq(strstr(p.diags.items[0].message, "UTF-8"), NULL);
	parsed_free(&p);

	parse_with(&p, be, sizeof be - 1, NULL);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_expect_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "json-encoding");
	parsed_free(&p);
}

Test(json_front, suggestion_in_message)
{
	parsed p;
	parse_text(&p, COND("{\"claim\":\"c\",\"equal\":1}"));
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].message, "unknown member \"equal\"; did you mean \"equals\"?");
	parsed_free(&p);

	parse_text(&p, COND("{\"claim\":\"c\",\"gte\":1}"));
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].message,
	                 "unknown member \"gte\"; did you mean \"greaterOrEquals\"?");
	parsed_free(&p);

	parse_text(&p, "{\"version\":\"1.0.0\",\"anyOff\":[]}");
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].message, "unknown member \"anyOff\"; did you mean \"anyOf\"?");
	parsed_free(&p);
}

Test(json_front, many_errors_in_one_run)
{
	const char *src =
		"{\"version\":\"1.0.0\",\"anyOf\":[\n"
		"  {\"authority\":'a', \"allOf\":[{\"claim\":\"c\",\"equals\":1,}]},\n"
		"  {\"authority\":\"b\", \"allOf\":[{\"claim\":\"c\" \"equals\":1}]},  // note\n"
		"  {\"authority\":\"c\", \"allOf\":[{\"claim\":\"c\",\"equals\":}]},\n"
		"  {\"authority\":\"d\", \"allOf\":[{\"claim\":\"c\",\"less\":\"x\"},{\"anyOf\":[]}]}\n"
		"]}";
	static const struct {
		const char *code;
		uint32_t line;
		uint32_t column;
	} expected[] = {
		{ "json-single-quote", 2, 16 },
		{ "json-trailing-comma", 2, 53 },
		{ "json-missing-comma", 3, 43 },
		{ "json-comment", 3, 59 },
		{ "json-syntax", 4, 52 },
		{ "policy-ordering-value", 5, 50 },
		{ "policy-empty-array", 5, 64 },
	};
	parsed p;
	parse_text(&p, src);
	cr_expect_eq(p.status, SKR_E_POLICY);
	size_t n = sizeof expected / sizeof expected[0];
	cr_expect_eq(p.diags.count, n, "%zu diagnostics", p.diags.count);
	for (size_t i = 0; i < n && i < p.diags.count; i++) {
		const skr_diag *d = &p.diags.items[i];
		cr_expect_str_eq(d->code, expected[i].code, "diagnostic %zu: %s", i, d->message);
		cr_expect_eq(d->line, expected[i].line, "diagnostic %zu (%s): line", i, d->code);
		cr_expect_eq(d->column, expected[i].column, "diagnostic %zu (%s): column", i, d->code);
	}
	parsed_free(&p);
}

Test(json_front, errors_in_source_order)
{
	/* A missing comma is found when its member is reduced, after errors
	 * inside that member; the list still reads top to bottom. */
	parsed p;
	parse_text(&p, COND("{\"claim\":\"c\" \"equals\":'x'}"));
	cr_assert_eq(p.diags.count, 2u);
	cr_expect(p.diags.items[0].offset < p.diags.items[1].offset);
	cr_expect_str_eq(p.diags.items[0].code, "json-missing-comma");
	cr_expect_str_eq(p.diags.items[1].code, "json-single-quote");
	parsed_free(&p);
}

/* ---- limits ------------------------------------------------------------- */

/* Builds a policy whose only entry nests `groups` groups around one claim
 * condition (the entry's own group counts as the first). */
static char *nested_policy(unsigned groups)
{
	size_t cap = 128 + (size_t)groups * 32;
	char *src = malloc(cap);
	cr_assert_not_null(src);
	size_t n = (size_t)snprintf(src, cap, "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"a\",\"allOf\":[");
	for (unsigned i = 1; i < groups; i++)
		n += (size_t)snprintf(src + n, cap - n, "{\"anyOf\":[");
	n += (size_t)snprintf(src + n, cap - n, "{\"claim\":\"c\",\"equals\":1}");
	for (unsigned i = 1; i < groups; i++)
		n += (size_t)snprintf(src + n, cap - n, "]}");
	snprintf(src + n, cap - n, "]}]}");
	return src;
}

Test(json_front, depth_limit_default)
{
	parsed p;
	char *at_limit = nested_policy(SKR_DEFAULT_DEPTH);
	parse_text(&p, at_limit);
	cr_expect_eq(p.status, SKR_OK, "%u nested groups are allowed", SKR_DEFAULT_DEPTH);
	parsed_free(&p);

	char *over = nested_policy(SKR_DEFAULT_DEPTH + 1);
	parse_text(&p, over);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-depth");
	cr_expect_neq(strstr(p.diags.items[0].message, "32"), NULL, "names the limit's value");
	parsed_free(&p);
	free(at_limit);
	free(over);
}

Test(json_front, depth_limit_set)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.depth = 2;
	char *src = nested_policy(3);
	parsed p;
	parse_with(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-depth");
	parsed_free(&p);
	free(src);
}

Test(json_front, json_nesting_bounded)
{
	/* A mebibyte of '[' must give one error, not exhaust the stack. */
	size_t len = SKR_DEFAULT_POLICY_BYTES;
	char *src = malloc(len);
	cr_assert_not_null(src);
	memset(src, '[', len);
	parsed p;
	parse_with(&p, src, len, NULL);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_expect_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-depth");
	cr_expect_eq(p.diags.items[0].offset, 2 * SKR_DEFAULT_DEPTH + 8,
	             "stops at the first bracket past 2 * depth + 8 levels");
	parsed_free(&p);
	free(src);
}

Test(json_front, size_limit_checked_first)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.policy_bytes = 16;
	const char *src = "{\"version\": // 20 bytes and a comment\n}";
	parsed p;
	parse_with(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.count, 1u, "nothing is scanned past the size check");
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	char expected[128];
	snprintf(expected, sizeof expected, "policy is %zu bytes, over the limit of 16 bytes", strlen(src));
	cr_expect_str_eq(p.diags.items[0].message, expected);
	parsed_free(&p);
}

Test(json_front, authority_limit)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.authorities = 2;
	const char *entry = "{\"authority\":\"a\",\"allOf\":[{\"claim\":\"c\",\"equals\":1}]}";
	char src[512];
	snprintf(src, sizeof src, "{\"version\":\"1.0.0\",\"anyOf\":[%s,%s,%s]}", entry, entry, entry);
	parsed p;
	parse_with(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	cr_expect_neq(strstr(p.diags.items[0].message, "authority entries"), NULL);
	cr_expect_eq(p.diags.items[0].offset, 28 + 2 * (strlen(entry) + 1),
	             "points at the first entry over the limit");
	parsed_free(&p);

	limits.authorities = 3;
	parse_with(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_OK, "three entries fit a limit of three");
	parsed_free(&p);
}

Test(json_front, condition_limit)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.conditions = 3;
	const char *src = COND("{\"claim\":\"a\",\"equals\":1},{\"claim\":\"b\",\"equals\":1},"
	                       "{\"anyOf\":[{\"claim\":\"c\",\"equals\":1},{\"claim\":\"d\",\"equals\":1}]}");
	parsed p;
	parse_with(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	cr_expect_eq(p.diags.items[0].offset, offset_of(src, "{\"claim\":\"d\""));
	parsed_free(&p);
}

Test(json_front, error_count_capped)
{
	size_t count = 500;
	size_t cap = count * 8 + 64;
	char *src = malloc(cap);
	cr_assert_not_null(src);
	size_t n = (size_t)snprintf(src, cap, "{");
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(src + n, cap - n, "// x\n");
	snprintf(src + n, cap - n, "}");
	parsed p;
	parse_text(&p, src);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_expect_eq(p.diags.count, 101u, "100 errors and the note that stops the run");
	cr_expect_str_eq(p.diags.items[p.diags.count - 1].code, "json-too-many-errors");
	parsed_free(&p);
	free(src);
}

/* ---- API contract ------------------------------------------------------- */

Test(json_front, invalid_arguments)
{
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	cr_expect_eq(skr_parse_json_policy("{}", 2, NULL, NULL, NULL, &policy), SKR_E_USAGE);
	cr_expect_eq(skr_parse_json_policy("{}", 2, NULL, &arena, NULL, NULL), SKR_E_USAGE);
	cr_expect_eq(skr_parse_json_policy(NULL, 2, NULL, &arena, NULL, &policy), SKR_E_USAGE);
	cr_expect_eq(skr_parse_json_policy(NULL, 0, NULL, &arena, NULL, &policy), SKR_E_POLICY,
	             "no text is an empty policy");
	skr_arena_free(&arena);
}

Test(json_front, diagnostics_optional)
{
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = (skr_ast_policy *)&arena;
	const char *bad = "{\"version\":\"9\",\"anyOf\":[]}";
	cr_expect_eq(skr_parse_json_policy(bad, strlen(bad), NULL, &arena, NULL, &policy), SKR_E_POLICY);
	cr_expect_null(policy, "the output is cleared on failure");
	const char *good = POLICY("{\"claim\":\"c\",\"equals\":1}");
	cr_expect_eq(skr_parse_json_policy(good, strlen(good), NULL, &arena, NULL, &policy), SKR_OK);
	cr_expect_not_null(policy);
	skr_arena_free(&arena);
}

Test(json_front, diagnostics_appended)
{
	/* Diagnostics already in the list stay first and keep their order. */
	skr_diags diags;
	skr_diags_init(&diags);
	skr_diag_add(&diags, NULL, SKR_SEV_ERROR, "earlier", 500, 0, "from another input");
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	const char *bad = "{\"version\":\"9\",\"anyOf\":[]}";
	cr_expect_eq(skr_parse_json_policy(bad, strlen(bad), NULL, &arena, &diags, &policy), SKR_E_POLICY);
	cr_assert_eq(diags.count, 3u);
	cr_expect_str_eq(diags.items[0].code, "earlier");
	cr_expect_str_eq(diags.items[1].code, "policy-version");
	cr_expect_str_eq(diags.items[2].code, "policy-empty-array");
	skr_arena_free(&arena);
	skr_diags_free(&diags);
}

/* ---- golden diagnostics ------------------------------------------------- */

static int is_golden_input(const char *name)
{
	return ends_with(name, ".json");
}

/* Renders every diagnostic of one parse, each followed by a newline. */
static char *render_all(const parsed *p, const char *name, const char *src, size_t len)
{
	size_t cap = 1024, used = 0;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	out[0] = '\0';
	for (size_t i = 0; i < p->diags.count; i++) {
		size_t need = skr_diag_render(&p->diags.items[i], name, src, len, NULL, 0);
		while (used + need + 2 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		skr_diag_render(&p->diags.items[i], name, src, len, out + used, cap - used);
		used += need;
		out[used++] = '\n';
		out[used] = '\0';
	}
	return out;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

Test(json_front, golden_diagnostics)
{
	const char *tests = env_or("SKR_TESTS_DIR", "tests");
	char *dir = path_join(tests, "golden/json");
	int update = getenv("SKR_UPDATE_GOLDEN") && strcmp(getenv("SKR_UPDATE_GOLDEN"), "1") == 0;
	size_t count = 0;
	char **names = list_files(dir, is_golden_input, &count);
	cr_assert_not_null(names, "cannot open %s (set SKR_TESTS_DIR to the tests folder)", dir);
	cr_expect_geq(count, 30u, "at least 30 golden inputs");

	for (size_t i = 0; i < count; i++) {
		char *input = path_join(dir, names[i]);
		size_t expected_path_len = strlen(input) + sizeof ".expected";
		char *expected_path = malloc(expected_path_len);
		cr_assert_not_null(expected_path);
		snprintf(expected_path, expected_path_len, "%s.expected", input);

		size_t len = 0;
		char *src = read_file(input, &len);
		cr_assert_not_null(src, "cannot read %s", input);
		parsed p;
		parse_with(&p, src, len, NULL);
		char *actual = render_all(&p, names[i], src, len);

		if (update) {
			write_file(expected_path, actual);
		} else {
			size_t expected_len = 0;
			char *expected = read_file(expected_path, &expected_len);
			cr_expect_not_null(expected, "%s is missing; run with SKR_UPDATE_GOLDEN=1", expected_path);
			if (expected) {
				int same = expected_len == strlen(actual) && memcmp(expected, actual, expected_len) == 0;
				cr_expect(same, "%s: diagnostics differ\n--- expected\n%.*s--- actual\n%s", names[i],
				          (int)expected_len, expected, actual);
				free(expected);
			}
		}
		free(actual);
		parsed_free(&p);
		free(src);
		free(expected_path);
		free(input);
	}
	free_names(names, count);
	free(dir);
}

/* ---- published policies and decision cases ------------------------------ */

static int is_published_policy(const char *name)
{
	if (strncmp(name, "kms-", 4) == 0)
		return 0;
	if (strncmp(name, "docs-skr-examples-", 18) == 0 && ends_with(name, ".json"))
		return 1;
	return strstr(name, "policy") && (ends_with(name, ".json") || ends_with(name, ".jsonc"));
}

/* Line of the first "//" comment: the first " //" in the text (a URL's
 * "://" is not a comment). */
static uint32_t first_comment_line(const char *src)
{
	const char *at = strstr(src, " //");
	cr_assert_not_null(at, "no comment in the commented policy");
	uint32_t line = 1;
	for (const char *p = src; p < at; p++)
		line += *p == '\n';
	return line;
}

Test(json_front, published_policies)
{
	const char *shared = env_or("SKR_SHARED", "../shared");
	char *dir = path_join(shared, "corpus/real");
	size_t count = 0;
	char **names = list_files(dir, is_published_policy, &count);
	if (!names) {
		test_skip("skipped: %s not found (set SKR_SHARED)", dir);
		free(dir);
		return;
	}
	cr_expect_geq(count, 10u, "the published policies are there");
	for (size_t i = 0; i < count; i++) {
		char *path = path_join(dir, names[i]);
		size_t len = 0;
		char *src = read_file(path, &len);
		cr_assert_not_null(src, "cannot read %s", path);
		parsed p;
		parse_with(&p, src, len, NULL);
		const skr_diag *error = first_of(&p, SKR_SEV_ERROR);

		if (strcmp(names[i], "docs-concept-skr-policy-with-comments.jsonc") == 0) {
			cr_expect_eq(p.status, SKR_E_POLICY, "%s must fail", names[i]);
			cr_expect_not_null(error, "%s: no error", names[i]);
			if (error) {
				char *text = strndup(src, len);
				cr_expect_str_eq(error->code, "json-comment", "%s", names[i]);
				cr_expect_eq(error->line, first_comment_line(text), "%s: line of the first comment",
				             names[i]);
				free(text);
			}
		} else if (strcmp(names[i], "docs-skr-examples-cvm-2-toplevel-allOf.json") == 0) {
			cr_expect_eq(p.status, SKR_E_POLICY, "%s must fail", names[i]);
			cr_expect_not_null(error, "%s: no error", names[i]);
			if (error)
				cr_expect_str_eq(error->code, "policy-top-level-allof", "%s", names[i]);
		} else {
			cr_expect_eq(p.status, SKR_OK, "%s: %s", names[i],
			             error ? error->message : "(no message)");
			cr_expect_not_null(p.policy, "%s: no AST", names[i]);
		}
		parsed_free(&p);
		free(src);
		free(path);
	}
	free_names(names, count);
	free(dir);
}

static int is_case_folder(const char *name)
{
	return name[0] != '.';
}

Test(json_front, decision_case_policies)
{
	const char *shared = env_or("SKR_SHARED", "../shared");
	char *dir = path_join(shared, "cases");
	size_t count = 0;
	char **names = list_files(dir, is_case_folder, &count);
	if (!names) {
		test_skip("skipped: %s not found (set SKR_SHARED)", dir);
		free(dir);
		return;
	}
	size_t checked = 0;
	for (size_t i = 0; i < count; i++) {
		char *folder = path_join(dir, names[i]);
		char *policy_path = path_join(folder, "policy.json");
		char *expect_path = path_join(folder, "expect");
		size_t len = 0, expect_len = 0;
		char *src = read_file(policy_path, &len);
		char *expect = read_file(expect_path, &expect_len);
		if (src && expect) {
			int reject = expect_len >= 13 && memcmp(expect, "REJECT_POLICY", 13) == 0;
			parsed p;
			parse_with(&p, src, len, NULL);
			const skr_diag *error = first_of(&p, SKR_SEV_ERROR);
			if (reject)
				cr_expect_eq(p.status, SKR_E_POLICY, "%s: the policy must be rejected", names[i]);
			else
				cr_expect_eq(p.status, SKR_OK, "%s: %s", names[i],
				             error ? error->message : "(no message)");
			parsed_free(&p);
			checked++;
		}
		free(src);
		free(expect);
		free(expect_path);
		free(policy_path);
		free(folder);
	}
	cr_expect_gt(checked, 0u, "no case with a policy.json in %s", dir);
	free_names(names, count);
	free(dir);
}
