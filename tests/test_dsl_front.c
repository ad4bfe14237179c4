/*
 * Tests of the DSL policy front end (grammar/dsl_*). Every policy of the
 * corpus $SKR_TESTS_DIR/dsl must compile to the same program image as the
 * JSON policy beside it. A table gives each error class with its code,
 * line and column. Further tests cover the limits, the tree details the
 * compiler does not see (spans, comments, shared roots) and the golden
 * diagnostics under $SKR_TESTS_DIR/golden/dsl.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "compiler.h"
#include "dsl.h"

/* ---- helpers ------------------------------------------------------------ */

/* One parse and everything it produced. */
typedef struct dsl_parse {
	skr_arena arena;
	skr_diags diags;
	skr_ast_policy *policy;
	skr_status status;
} dsl_parse;

static void parse_limited(dsl_parse *p, const char *src, size_t len, const skr_limits *limits)
{
	skr_arena_init(&p->arena);
	skr_diags_init(&p->diags);
	p->policy = NULL;
	p->status = skr_parse_dsl_policy(src, len, limits, &p->arena, &p->diags, &p->policy);
}

static void parse_string(dsl_parse *p, const char *src)
{
	parse_limited(p, src, strlen(src), NULL);
}

static void dsl_parse_free(dsl_parse *p)
{
	skr_diags_free(&p->diags);
	skr_arena_free(&p->arena);
}

/* Returns the first diagnostic of the given severity, or NULL. */
static const skr_diag *first_with(const dsl_parse *p, skr_severity severity)
{
	for (size_t i = 0; i < p->diags.count; i++) {
		if (p->diags.items[i].severity == severity)
			return &p->diags.items[i];
	}
	return NULL;
}

/* Reads a whole file; returns NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	while (buf) {
		used += fread(buf + used, 1, cap - used, f);
		if (used < cap)
			break;
		cap *= 2;
		char *grown = realloc(buf, cap);
		if (!grown)
			free(buf);
		buf = grown;
	}
	fclose(f);
	if (buf)
		*len = used;
	return buf;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	cr_assert_not_null(path);
	snprintf(path, n, "%s/%s", dir, name);
	return path;
}

static const char *tests_dir(void)
{
	const char *dir = getenv("SKR_TESTS_DIR");
	return dir && *dir ? dir : "tests";
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the names in dir that end with suffix, sorted. Returns NULL when
 * dir cannot be opened. */
static char **list_with_suffix(const char *dir, const char *suffix, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	size_t cap = 64, n = 0;
	char **names = malloc(cap * sizeof *names);
	cr_assert_not_null(names);
	struct dirent *entry;
	while ((entry = readdir(d)) != NULL) {
		if (!has_suffix(entry->d_name, suffix))
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
	qsort(names, n, sizeof *names, by_name);
	*count = n;
	return names;
}

static void free_list(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Byte offset of the first occurrence of needle in src. */
static size_t find_offset(const char *src, const char *needle)
{
	const char *at = strstr(src, needle);
	cr_assert_not_null(at, "\"%s\" not in the source", needle);
	return (size_t)(at - src);
}

/* ---- the corpus: DSL and JSON compile to the same image ----------------- */

/* Compiles a DSL policy through the front end and the compiler directly. */
static skr_status compile_dsl(const char *src, size_t len, skr_diags *diags, skr_buffer *image)
{
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	skr_status status = skr_parse_dsl_policy(src, len, NULL, &arena, diags, &policy);
	if (status == SKR_OK) {
		skr_source source = { src, len };
		status = skr_compile_ast(policy, &source, diags, image);
	}
	skr_arena_free(&arena);
	return status;
}

/* Returns the first error message of diags, for failure messages. */
static const char *first_error_message(const skr_diags *diags)
{
	for (size_t i = 0; i < diags->count; i++) {
		if (diags->items[i].severity == SKR_SEV_ERROR)
			return diags->items[i].message;
	}
	return "(no error)";
}

/* Checks that the two trees describe the same policy, beyond what the
 * image contains. */
static void expect_same_policy(const char *name, const skr_ast_policy *dsl,
                               const skr_ast_policy *json)
{
	cr_expect_eq(dsl->version, json->version, "%s: version", name);
	cr_expect_eq(dsl->entry_count, json->entry_count, "%s: entries", name);
	cr_expect_eq(dsl->condition_count, json->condition_count, "%s: conditions", name);
	for (uint32_t e = 0; e < dsl->entry_count && e < json->entry_count; e++) {
		const skr_ast_entry *a = &dsl->entries[e], *b = &json->entries[e];
		cr_expect(a->authority_len == b->authority_len &&
		          memcmp(a->authority, b->authority, a->authority_len) == 0,
		          "%s: authority of entry %u", name, (unsigned)e);
		cr_expect_eq(a->root->kind, b->root->kind, "%s: group of entry %u", name, (unsigned)e);
	}
}

/* Returns 1 when skr_compile sends DSL text to this front end. Until the
 * driver does, it rejects DSL text with the code "dsl-unsupported". */
static int compile_routes_dsl(void)
{
	const char *src = "version 1.0.0\nauthority \"https://a\" { x == 1 }\n";
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer image = { NULL, 0 };
	skr_compile(src, strlen(src), SKR_SYNTAX_DSL, NULL, &diags, &image);
	int routed = !(diags.count > 0 && strcmp(diags.items[0].code, "dsl-unsupported") == 0);
	skr_buffer_free(&image);
	skr_diags_free(&diags);
	return routed;
}

/* Compares one corpus pair: the images, the trees and the warnings. When
 * routed is set, the DSL text also goes through skr_compile. */
static void check_corpus_pair(const char *dir, const char *skr_name, int routed)
{
	char *skr_path = join_path(dir, skr_name);
	size_t stem = strlen(skr_path) - strlen(".skr");
	char *json_path = malloc(stem + sizeof ".json");
	cr_assert_not_null(json_path);
	memcpy(json_path, skr_path, stem);
	strcpy(json_path + stem, ".json");

	size_t dsl_len = 0, json_len = 0;
	char *dsl_text = slurp(skr_path, &dsl_len);
	char *json_text = slurp(json_path, &json_len);
	cr_assert_not_null(dsl_text, "cannot read %s", skr_path);
	cr_assert_not_null(json_text, "cannot read %s, the JSON form of %s", json_path, skr_name);

	skr_diags dsl_diags, json_diags;
	skr_diags_init(&dsl_diags);
	skr_diags_init(&json_diags);
	skr_buffer dsl_image = { NULL, 0 }, json_image = { NULL, 0 };
	skr_status dsl_status = compile_dsl(dsl_text, dsl_len, &dsl_diags, &dsl_image);
	skr_status json_status = skr_compile(json_text, json_len, SKR_SYNTAX_JSON, NULL,
	                                     &json_diags, &json_image);
	cr_expect_eq(dsl_status, SKR_OK, "%s: %s", skr_name, first_error_message(&dsl_diags));
	cr_expect_eq(json_status, SKR_OK, "%s (JSON form): %s", skr_name,
	             first_error_message(&json_diags));
	cr_expect_eq(dsl_diags.warnings, json_diags.warnings, "%s: warnings", skr_name);
	if (dsl_status == SKR_OK && json_status == SKR_OK) {
		cr_expect_eq(dsl_image.len, json_image.len, "%s: image sizes %zu and %zu", skr_name,
		             dsl_image.len, json_image.len);
		cr_expect(dsl_image.len == json_image.len &&
		          memcmp(dsl_image.data, json_image.data, dsl_image.len) == 0,
		          "%s: the DSL and JSON images differ", skr_name);
	}

	/* The same through skr_compile, the library's entry point. */
	skr_diags routed_diags;
	skr_diags_init(&routed_diags);
	skr_buffer routed_image = { NULL, 0 };
	if (routed) {
		skr_status routed_status = skr_compile(dsl_text, dsl_len, SKR_SYNTAX_DSL, NULL,
		                                       &routed_diags, &routed_image);
		cr_expect_eq(routed_status, SKR_OK, "%s through skr_compile: %s", skr_name,
		             first_error_message(&routed_diags));
		cr_expect(routed_image.len == json_image.len &&
		          memcmp(routed_image.data, json_image.data, routed_image.len) == 0,
		          "%s: skr_compile(SKR_SYNTAX_DSL) differs from the JSON image", skr_name);
	}

	dsl_parse d;
	parse_limited(&d, dsl_text, dsl_len, NULL);
	skr_arena json_arena;
	skr_arena_init(&json_arena);
	skr_ast_policy *json_policy = NULL;
	skr_parse_json_policy(json_text, json_len, NULL, &json_arena, NULL, &json_policy);
	if (d.policy && json_policy)
		expect_same_policy(skr_name, d.policy, json_policy);

	skr_arena_free(&json_arena);
	dsl_parse_free(&d);
	skr_buffer_free(&routed_image);
	skr_diags_free(&routed_diags);
	skr_buffer_free(&dsl_image);
	skr_buffer_free(&json_image);
	skr_diags_free(&dsl_diags);
	skr_diags_free(&json_diags);
	free(dsl_text);
	free(json_text);
	free(json_path);
	free(skr_path);
}

Test(dsl_front, corpus_matches_json)
{
	char *dir = join_path(tests_dir(), "dsl");
	size_t count = 0;
	char **names = list_with_suffix(dir, ".skr", &count);
	if (!names)
		free(dir);
	cr_assert_not_null(names, "cannot open the dsl folder (set SKR_TESTS_DIR to the tests folder)");
	cr_expect_geq(count, 15u, "the corpus covers every construct");
	int routed = compile_routes_dsl();
	if (!routed)
		cr_log_info("skr_compile does not route DSL text yet; the corpus is compiled through skr_parse_dsl_policy and skr_compile_ast only");
	for (size_t i = 0; i < count; i++)
		check_corpus_pair(dir, names[i], routed);
	free_list(names, count);
	free(dir);
}

/* ---- the tree ----------------------------------------------------------- */

Test(dsl_front, authorities_share_conditions)
{
	dsl_parse p;
	parse_string(&p, "version 1.0.0\n"
	                 "authority \"https://a\", \"https://b\",\n"
	                 "          \"https://c\" any { x == 1  y == 2 }\n");
	cr_assert_eq(p.status, SKR_OK, "%s", first_error_message(&p.diags));
	cr_assert_eq(p.policy->entry_count, 3u);
	cr_expect_eq(p.policy->condition_count, 6u, "conditions count once per entry");
	const char *expected[] = { "https://a", "https://b", "https://c" };
	for (uint32_t i = 0; i < 3; i++) {
		const skr_ast_entry *e = &p.policy->entries[i];
		cr_expect_eq(e->authority_len, strlen(expected[i]));
		cr_expect_eq(memcmp(e->authority, expected[i], e->authority_len), 0, "entry %u", (unsigned)i);
		cr_expect_eq(e->root, p.policy->entries[0].root, "entry %u shares the root", (unsigned)i);
	}
	cr_expect_eq(p.policy->entries[0].root->kind, SKR_NODE_ANY);
	cr_expect_eq(p.policy->entries[0].root->child_count, 2u);
	dsl_parse_free(&p);
}

Test(dsl_front, spans_point_into_text)
{
	const char *src = "version 1.0\n"
	                  "authority \"https://a\" {\n"
	                  "    x-ms-svn >= 3\n"
	                  "    not exists \"a b\"\n"
	                  "}\n";
	dsl_parse p;
	parse_string(&p, src);
	cr_assert_eq(p.status, SKR_OK, "%s", first_error_message(&p.diags));
	const skr_ast_policy *policy = p.policy;
	cr_expect_eq(policy->version, SKR_POLICY_VERSION_1_0_0, "1.0 is normalised");
	cr_expect_eq(policy->version_span.offset, find_offset(src, "1.0"));
	cr_expect_eq(policy->version_span.length, 3u);

	const skr_ast_entry *entry = &policy->entries[0];
	cr_expect_eq(entry->authority_span.offset, find_offset(src, "\"https://a\""));
	cr_expect_eq(entry->authority_span.length, strlen("\"https://a\""));
	cr_expect_eq(entry->span.offset, find_offset(src, "authority"));
	cr_expect_eq(entry->span.offset + entry->span.length, find_offset(src, "}\n") + 1);
	cr_expect_eq(entry->root->span.offset, find_offset(src, "{"));

	const skr_ast_node *compare = entry->root->children[0];
	cr_expect_eq(compare->span.offset, find_offset(src, "x-ms-svn"));
	cr_expect_eq(compare->span.length, strlen("x-ms-svn >= 3"));
	cr_expect_eq(compare->path_span.length, strlen("x-ms-svn"));
	cr_expect_eq(compare->op, SKR_OP_GREATER_OR_EQUALS);
	cr_expect_eq(compare->op_span.offset, find_offset(src, ">="));
	cr_expect_eq(compare->op_span.length, 2u);
	cr_expect_eq(compare->value.kind, SKR_VALUE_INT);
	cr_expect_eq(compare->value.i, 3);
	cr_expect_eq(compare->value.span.offset, find_offset(src, "3\n"));
	cr_expect_eq(compare->long_form, 0);

	const skr_ast_node *absent = entry->root->children[1];
	cr_expect_eq(absent->op, SKR_OP_EXISTS);
	cr_expect_eq(absent->value.kind, SKR_VALUE_FALSE);
	cr_expect_eq(absent->path_len, 3u);
	cr_expect_eq(memcmp(absent->path, "a b", 3), 0);
	cr_expect_eq(absent->path_span.offset, find_offset(src, "\"a b\""));
	cr_expect_eq(absent->op_span.offset, find_offset(src, "not"));
	cr_expect_eq(absent->op_span.length, strlen("not exists"));
	dsl_parse_free(&p);
}

Test(dsl_front, comments_kept)
{
	const char *src = "# first\n"
	                  "version 1.0.0 #second\r\n"
	                  "authority \"https://a\" { # third\n"
	                  "  x == \"#not\" #\n"
	                  "}\n"
	                  "# last";
	dsl_parse p;
	parse_string(&p, src);
	cr_assert_eq(p.status, SKR_OK, "%s", first_error_message(&p.diags));
	static const char *const texts[] = { " first", "second", " third", "", " last" };
	cr_assert_eq(p.policy->comment_count, 5u);
	for (uint32_t i = 0; i < 5; i++) {
		const skr_ast_comment *c = &p.policy->comments[i];
		cr_expect_eq(c->len, strlen(texts[i]), "comment %u length", (unsigned)i);
		cr_expect_eq(memcmp(c->text, texts[i], c->len), 0, "comment %u text", (unsigned)i);
		cr_expect_eq(src[c->span.offset], '#', "comment %u starts at its '#'", (unsigned)i);
		cr_expect_eq(c->span.length, c->len + 1, "comment %u span", (unsigned)i);
	}
	cr_expect_eq(p.policy->comments[1].span.offset, find_offset(src, "#second"),
	             "the CR of a CRLF line end is not part of the comment");
	dsl_parse_free(&p);
}

Test(dsl_front, legacy_version_warns)
{
	dsl_parse p;
	parse_string(&p, "version 0.2\nauthority \"https://a\" { x == 1 }\n");
	cr_assert_eq(p.status, SKR_OK);
	cr_expect_eq(p.policy->version, SKR_POLICY_VERSION_0_2);
	cr_expect_eq(p.diags.errors, 0u);
	cr_assert_eq(p.diags.warnings, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-legacy-version",
	                 "the JSON front end's code for the same warning");
	dsl_parse_free(&p);
}

Test(dsl_front, string_values_decoded)
{
	const char *src = "version 1.0.0\nauthority \"https://a\" {\n"
	                  "  a == \"x\\u0000y\"\n"
	                  "  b >= \"10\"\n"
	                  "}\n";
	dsl_parse p;
	parse_string(&p, src);
	cr_assert_eq(p.status, SKR_OK, "%s", first_error_message(&p.diags));
	const skr_ast_node *nul = p.policy->entries[0].root->children[0];
	cr_expect_eq(nul->value.kind, SKR_VALUE_STRING);
	cr_expect_eq(nul->value.len, 3u);
	cr_expect_eq(memcmp(nul->value.str, "x\0y", 3), 0);
	const skr_ast_node *numeric = p.policy->entries[0].root->children[1];
	cr_expect_eq(numeric->value.kind, SKR_VALUE_STRING, "a numeric string stays a string");
	dsl_parse_free(&p);
}

/* ---- one row per error class -------------------------------------------- */

/* An invalid policy and where its first error must point. Line and column
 * are 1-based; columns count code points. */
typedef struct dsl_error_case {
	const char *name;
	const char *src;
	size_t len;
	const char *code;
	uint32_t line;
	uint32_t column;
} dsl_error_case;

#define TEXT(s) s, sizeof(s) - 1
/* A policy whose block holds the given line 3; the block opens at 2:23. */
#define BLOCK(line) TEXT("version 1.0.0\nauthority \"https://a\" {\n" line "\n}\n")

static const dsl_error_case error_cases[] = {
	{ "single equals", BLOCK("    x = 1"), "dsl-unknown-operator", 3, 7 },
	{ "arrow for >=", BLOCK("    x => 1"), "dsl-unknown-operator", 3, 7 },
	{ "arrow for <=", BLOCK("    x =< 1"), "dsl-unknown-operator", 3, 7 },
	{ "unknown operator", BLOCK("    x >> 1"), "dsl-unknown-operator", 3, 7 },
	{ "operator word", BLOCK("    x gte 1"), "dsl-unknown-operator", 3, 7 },
	{ "anyOf group", BLOCK("    anyOf { x == 1 }"), "dsl-unknown-group", 3, 5 },
	{ "or group", BLOCK("    or { x == 1 }"), "dsl-unknown-group", 3, 5 },
	{ "allof group", BLOCK("    allof { x == 1 }"), "dsl-unknown-group", 3, 5 },
	{ "or between conditions", BLOCK("    x == 1 or y == 2"), "dsl-logic-word", 3, 12 },
	{ "double ampersand", BLOCK("    x == 1 && y == 2"), "dsl-logic-word", 3, 12 },
	{ "unterminated string", BLOCK("    x == \"abc"), "dsl-unterminated-string", 3, 10 },
	{ "bad escape", BLOCK("    x == \"a\\qb\""), "dsl-bad-escape", 3, 12 },
	{ "short unicode escape", BLOCK("    x == \"\\u12\""), "dsl-bad-escape", 3, 11 },
	{ "lone surrogate", BLOCK("    x == \"\\uDC00\""), "dsl-surrogate", 3, 11 },
	{ "control character", BLOCK("    x == \"a\tb\""), "dsl-control-char", 3, 12 },
	{ "single quotes", BLOCK("    x == 'a'"), "dsl-single-quote", 3, 10 },
	{ "typographic quotes", BLOCK("    x == \xE2\x80\x9C" "a\xE2\x80\x9D"), "dsl-smart-quote", 3, 10 },
	{ "invalid utf8 in string", BLOCK("    x == \"caf\xE9\""), "dsl-invalid-utf8", 3, 14 },
	{ "invalid utf8 in comment", BLOCK("    x == 1 # caf\xE9"), "dsl-invalid-utf8", 3, 17 },
	{ "bom inside", BLOCK("    \xEF\xBB\xBFx == 1"), "dsl-bom", 3, 5 },
	{ "nul byte", BLOCK("    x == 1 \0"), "dsl-encoding", 3, 12 },
	{ "non-breaking space", BLOCK("    x ==\xC2\xA0" "1"), "dsl-whitespace", 3, 9 },
	{ "non-ascii bare name", BLOCK("    caf\xC3\xA9 == 1"), "dsl-bare-name", 3, 5 },
	{ "stray character", BLOCK("    x == 1 $"), "dsl-syntax", 3, 12 },
	{ "missing value", BLOCK("    x =="), "dsl-syntax", 3, 9 },
	{ "missing operator", BLOCK("    x 1"), "dsl-syntax", 3, 7 },
	{ "exists without path", BLOCK("    exists"), "dsl-syntax", 3, 11 },
	{ "keyword as path", BLOCK("    version == 1"), "dsl-keyword-path", 3, 5 },
	{ "keyword case", BLOCK("    Exists x"), "dsl-keyword-case", 3, 5 },
	{ "misspelt keyword", BLOCK("    exsts x"), "dsl-unknown-keyword", 3, 5 },
	{ "not with comparison", BLOCK("    not x == 1"), "dsl-not", 3, 5 },
	{ "unquoted value", BLOCK("    x == sevsnpvm"), "dsl-unquoted", 3, 10 },
	{ "literal case", BLOCK("    x == False"), "dsl-literal", 3, 10 },
	{ "null value", BLOCK("    x == null"), "dsl-null", 3, 10 },
	{ "bad number", BLOCK("    x == 012"), "dsl-bad-number", 3, 10 },
	{ "plus sign", BLOCK("    x < +1"), "dsl-bad-number", 3, 9 },
	{ "integer range", BLOCK("    x < 9223372036854775808"), "policy-number-range", 3, 9 },
	{ "double range", BLOCK("    x < -1e309"), "policy-number-range", 3, 9 },
	{ "numeric string range", BLOCK("    x < \"1e999\""), "policy-number-range", 3, 9 },
	{ "ordering string", BLOCK("    x >= \"ten\""), "policy-ordering-value", 3, 10 },
	{ "ordering padded string", BLOCK("    x >= \" 1\""), "policy-ordering-value", 3, 10 },
	{ "ordering boolean", BLOCK("    x <= true"), "policy-ordering-value", 3, 10 },
	{ "empty path", BLOCK("    \"\" == 1"), "policy-claim-path", 3, 5 },
	{ "empty segment", BLOCK("    a..b == 1"), "policy-claim-path", 3, 5 },
	{ "trailing dot", BLOCK("    a. == 1"), "policy-claim-path", 3, 5 },
	{ "nul in path", BLOCK("    \"a\\u0000b\" == 1"), "policy-nul-name", 3, 5 },
	{ "empty block", BLOCK("    any { }"), "dsl-empty-block", 3, 9 },
	{ "version in block", BLOCK("    version 1.0.0"), "dsl-version-position", 3, 5 },
	{ "empty entry block", TEXT("version 1.0.0\nauthority \"https://a\" {\n}\n"),
	  "dsl-empty-block", 2, 23 },
	{ "missing brace at end", TEXT("version 1.0.0\nauthority \"https://a\" {\n  x == 1\n"),
	  "dsl-missing-brace", 3, 9 },
	{ "missing brace before authority",
	  TEXT("version 1.0.0\nauthority \"https://a\" {\n  x == 1\nauthority \"https://b\" { y == 1 }\n"),
	  "dsl-missing-brace", 4, 1 },
	{ "extra brace", TEXT("version 1.0.0\nauthority \"https://a\" { x == 1 }\n}\n"),
	  "dsl-extra-brace", 3, 1 },
	{ "brace on next line", TEXT("version 1.0.0\nauthority \"https://a\"\n{ x == 1 }\n"),
	  "dsl-syntax", 2, 22 },
	{ "missing authority", TEXT("version 1.0.0\nauthority { x == 1 }\n"),
	  "dsl-missing-authority", 2, 1 },
	{ "missing authority keyword", TEXT("version 1.0.0\n\"https://a\" { x == 1 }\n"),
	  "dsl-missing-authority", 2, 1 },
	{ "block without authority", TEXT("version 1.0.0\nany { x == 1 }\n"),
	  "dsl-missing-authority", 2, 1 },
	{ "unquoted authority", TEXT("version 1.0.0\nauthority https://a { x == 1 }\n"),
	  "dsl-unquoted", 2, 11 },
	{ "empty authority", TEXT("version 1.0.0\nauthority \"\" { x == 1 }\n"),
	  "policy-empty-authority", 2, 11 },
	{ "missing comma", TEXT("version 1.0.0\nauthority \"https://a\" \"https://b\" { x == 1 }\n"),
	  "dsl-missing-comma", 2, 23 },
	{ "trailing comma", TEXT("version 1.0.0\nauthority \"https://a\", { x == 1 }\n"),
	  "dsl-trailing-comma", 2, 22 },
	{ "condition outside", TEXT("version 1.0.0\nx == 1\nauthority \"https://a\" { x == 1 }\n"),
	  "dsl-outside-block", 2, 1 },
	{ "missing version", TEXT("authority \"https://a\" { x == 1 }\n"),
	  "dsl-missing-version", 1, 1 },
	{ "unsupported version", TEXT("version 1.1\nauthority \"https://a\" { x == 1 }\n"),
	  "policy-version", 1, 9 },
	{ "version without value", TEXT("version\nauthority \"https://a\" { x == 1 }\n"),
	  "dsl-syntax", 1, 8 },
	{ "duplicate version", TEXT("version 1.0.0\nversion 1.0.0\nauthority \"https://a\" { x == 1 }\n"),
	  "dsl-duplicate-version", 2, 1 },
	{ "version after block", TEXT("authority \"https://a\" { x == 1 }\nversion 1.0.0\n"),
	  "dsl-version-position", 2, 1 },
	{ "no authority", TEXT("version 1.0.0\n"), "dsl-no-authority", 1, 14 },
	{ "empty", TEXT(" \n\t\n"), "dsl-empty", 1, 1 },
	{ "comments only", TEXT("# nothing\n# here\n"), "dsl-empty", 1, 1 },
	{ "utf16", TEXT("\xFF\xFEv\0e\0r\0"), "dsl-encoding", 1, 1 },
};

Test(dsl_front, error_classes)
{
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const dsl_error_case *c = &error_cases[i];
		dsl_parse p;
		parse_limited(&p, c->src, c->len, NULL);
		cr_expect_eq(p.status, SKR_E_POLICY, "%s: status %d", c->name, (int)p.status);
		cr_expect_null(p.policy, "%s: no tree after errors", c->name);
		const skr_diag *d = first_with(&p, SKR_SEV_ERROR);
		cr_expect_not_null(d, "%s: no error reported", c->name);
		if (d) {
			cr_expect_str_eq(d->code, c->code, "%s: code (message: %s)", c->name, d->message);
			cr_expect_eq(d->line, c->line, "%s: line (message: %s)", c->name, d->message);
			cr_expect_eq(d->column, c->column, "%s: column (message: %s)", c->name, d->message);
			cr_expect_neq(d->message[0], '\0', "%s: empty message", c->name);
			cr_expect_null(strchr(d->message, '\n'), "%s: message has a newline", c->name);
		}
		dsl_parse_free(&p);
	}
}

Test(dsl_front, one_error_per_mistake)
{
	/* Each row contains exactly one mistake, so recovery must not add more. */
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const dsl_error_case *c = &error_cases[i];
		dsl_parse p;
		parse_limited(&p, c->src, c->len, NULL);
		cr_expect_eq(p.diags.errors, 1u, "%s: %zu errors, the first: %s", c->name,
		             p.diags.errors, first_error_message(&p.diags));
		dsl_parse_free(&p);
	}
}

Test(dsl_front, suggestions_in_messages)
{
	static const struct {
		const char *line;
		const char *message;
	} cases[] = {
		{ "    x = 1", "unknown operator '='; did you mean '=='?" },
		{ "    x => 1", "unknown operator '=>'; did you mean '>='?" },
		{ "    x =< 1", "unknown operator '=<'; did you mean '<='?" },
		{ "    anyOf { x == 1 }", "unknown group \"anyOf\"; did you mean 'any'?" },
		{ "    anyof { x == 1 }", "unknown group \"anyof\"; did you mean 'any'?" },
		{ "    or { x == 1 }", "unknown group \"or\"; did you mean 'any'?" },
		{ "    allof { x == 1 }", "unknown group \"allof\"; did you mean 'all'?" },
		{ "    x eq 1", "unknown operator 'eq'; did you mean '=='?" },
		{ "    exsts x", "unknown word \"exsts\"; did you mean 'exists'?" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char src[256];
		snprintf(src, sizeof src, "version 1.0.0\nauthority \"https://a\" {\n%s\n}\n", cases[i].line);
		dsl_parse p;
		parse_string(&p, src);
		cr_expect_eq(p.diags.errors, 1u, "%s", cases[i].line);
		if (p.diags.count > 0)
			cr_expect_str_eq(p.diags.items[0].message, cases[i].message, "%s", cases[i].line);
		dsl_parse_free(&p);
	}
}

Test(dsl_front, missing_brace_has_notes)
{
	/* The '}' on the last line is indented like the authority line, so the
	 * block that lacks its own '}' is probably the one of 'any'. */
	const char *src = "version 1.0.0\nauthority \"https://a\" {\n  any {\n    x == 1\n}\n";
	dsl_parse p;
	parse_string(&p, src);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.count, 3u);
	const skr_diag *error = &p.diags.items[0];
	cr_expect_str_eq(error->code, "dsl-missing-brace");
	cr_expect_eq(error->offset, strlen(src) - 1, "the error points at the end of the input");
	const skr_diag *open = &p.diags.items[1];
	cr_expect_eq(open->severity, SKR_SEV_NOTE, "the notes follow their error");
	cr_expect_eq(open->offset, find_offset(src, "{"), "a note points at the unclosed block");
	const skr_diag *suspect = &p.diags.items[2];
	cr_expect_eq(suspect->severity, SKR_SEV_NOTE);
	cr_expect_eq(suspect->offset, find_offset(src, "any {") + 4,
	             "a note points at the block the indentation suspects");
	dsl_parse_free(&p);

	/* Without a dedented '}' there is no second note. */
	parse_string(&p, "version 1.0.0\nauthority \"https://a\" {\n  any { x == 1 }\n");
	cr_expect_eq(p.diags.count, 2u);
	dsl_parse_free(&p);
}

Test(dsl_front, many_errors_in_one_run)
{
	const char *src =
		"version 1.0.0\n"
		"authority \"https://a\" \"https://b\" {\n"
		"    x = 1\n"
		"    y == \"a\\qb\"\n"
		"    z >= \"ten\"\n"
		"    anyOf { w == 1 }\n"
		"    q ==\n"
		"}\n"
		"v == 2\n"
		"authority \"https://c\" {\n"
		"    any { }\n"
		"    u == 1 or t == 2\n"
		"}\n";
	static const struct {
		const char *code;
		uint32_t line;
		uint32_t column;
	} expected[] = {
		{ "dsl-missing-comma", 2, 23 },
		{ "dsl-unknown-operator", 3, 7 },
		{ "dsl-bad-escape", 4, 12 },
		{ "policy-ordering-value", 5, 10 },
		{ "dsl-unknown-group", 6, 5 },
		{ "dsl-syntax", 7, 9 },
		{ "dsl-outside-block", 9, 1 },
		{ "dsl-empty-block", 11, 9 },
		{ "dsl-logic-word", 12, 12 },
	};
	dsl_parse p;
	parse_string(&p, src);
	cr_expect_eq(p.status, SKR_E_POLICY);
	size_t n = sizeof expected / sizeof expected[0];
	cr_expect_eq(p.diags.count, n, "%zu diagnostics", p.diags.count);
	for (size_t i = 0; i < n && i < p.diags.count; i++) {
		const skr_diag *d = &p.diags.items[i];
		cr_expect_str_eq(d->code, expected[i].code, "diagnostic %zu: %s", i, d->message);
		cr_expect_eq(d->line, expected[i].line, "diagnostic %zu (%s): line", i, d->code);
		cr_expect_eq(d->column, expected[i].column, "diagnostic %zu (%s): column", i, d->code);
	}
	dsl_parse_free(&p);
}

Test(dsl_front, errors_in_source_order)
{
	/* The missing version is found after the parse, the rest during it. */
	dsl_parse p;
	parse_string(&p, "authority \"https://a\" {\n  x = 1\n}\n");
	cr_assert_eq(p.diags.count, 2u);
	cr_expect_str_eq(p.diags.items[0].code, "dsl-missing-version");
	cr_expect_str_eq(p.diags.items[1].code, "dsl-unknown-operator");
	dsl_parse_free(&p);
}

/* ---- limits ------------------------------------------------------------- */

/* Builds a policy whose only entry nests `groups` blocks around one claim
 * condition (the entry's own block counts as the first). */
static char *nested_dsl(unsigned groups)
{
	size_t cap = 128 + (size_t)groups * 8;
	char *src = malloc(cap);
	cr_assert_not_null(src);
	size_t n = (size_t)snprintf(src, cap, "version 1.0.0\nauthority \"https://a\" {");
	for (unsigned i = 1; i < groups; i++)
		n += (size_t)snprintf(src + n, cap - n, "any {");
	n += (size_t)snprintf(src + n, cap - n, "x == 1");
	for (unsigned i = 0; i < groups; i++)
		n += (size_t)snprintf(src + n, cap - n, "}");
	snprintf(src + n, cap - n, "\n");
	return src;
}

Test(dsl_front, depth_limit_default)
{
	dsl_parse p;
	char *at_limit = nested_dsl(SKR_DEFAULT_DEPTH);
	parse_string(&p, at_limit);
	cr_expect_eq(p.status, SKR_OK, "%u nested blocks are allowed", SKR_DEFAULT_DEPTH);
	dsl_parse_free(&p);

	char *over = nested_dsl(SKR_DEFAULT_DEPTH + 1);
	parse_string(&p, over);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-depth");
	cr_expect_neq(strstr(p.diags.items[0].message, "32"), NULL, "names the limit's value");
	dsl_parse_free(&p);
	free(at_limit);
	free(over);
}

Test(dsl_front, depth_limit_set)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.depth = 2;
	char *src = nested_dsl(3);
	dsl_parse p;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-depth");
	dsl_parse_free(&p);
	free(src);
}

Test(dsl_front, nesting_bounded)
{
	/* A mebibyte of '{' must give one error, not exhaust the stack. */
	size_t len = SKR_DEFAULT_POLICY_BYTES;
	char *src = malloc(len);
	cr_assert_not_null(src);
	memset(src, '{', len);
	memcpy(src, "version 1.0.0\nauthority \"a\" ", 28);
	skr_limits limits;
	skr_limits_init(&limits);
	limits.depth = UINT32_MAX;
	dsl_parse p;
	parse_limited(&p, src, len, &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_expect_eq(p.diags.errors, 1u, "first: %s", first_error_message(&p.diags));
	cr_expect_str_eq(p.diags.items[0].code, "policy-depth");
	dsl_parse_free(&p);
	free(src);
}

Test(dsl_front, size_limit_checked_first)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.policy_bytes = 16;
	const char *src = "version 1.0.0 # and a long comment\n";
	dsl_parse p;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.count, 1u, "nothing is scanned past the size check");
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	char expected[128];
	snprintf(expected, sizeof expected, "policy is %zu bytes, over the limit of 16 bytes", strlen(src));
	cr_expect_str_eq(p.diags.items[0].message, expected);
	dsl_parse_free(&p);
}

Test(dsl_front, authority_limit_after_expansion)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.authorities = 2;
	const char *src = "version 1.0.0\nauthority \"https://a\", \"https://b\", \"https://c\" { x == 1 }\n";
	dsl_parse p;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	cr_expect_neq(strstr(p.diags.items[0].message, "authority entries"), NULL);
	cr_expect_eq(p.diags.items[0].offset, find_offset(src, "\"https://c\""),
	             "points at the first authority over the limit");
	dsl_parse_free(&p);

	limits.authorities = 3;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_OK, "three entries fit a limit of three");
	dsl_parse_free(&p);
}

Test(dsl_front, condition_limit_in_block)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.conditions = 3;
	const char *src = "version 1.0.0\nauthority \"https://a\" { a == 1  b == 1  any { c == 1  d == 1 } }\n";
	dsl_parse p;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	cr_expect_eq(p.diags.items[0].offset, find_offset(src, "d == 1"));
	dsl_parse_free(&p);
}

Test(dsl_front, condition_limit_after_expansion)
{
	skr_limits limits;
	skr_limits_init(&limits);
	limits.conditions = 5;
	const char *src = "version 1.0.0\nauthority \"https://a\", \"https://b\", \"https://c\" { a == 1  b == 1 }\n";
	dsl_parse p;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_assert_eq(p.diags.errors, 1u);
	cr_expect_str_eq(p.diags.items[0].code, "policy-limit");
	cr_expect_eq(p.diags.items[0].offset, find_offset(src, "\"https://c\""),
	             "the third copy of the block goes over the limit");
	dsl_parse_free(&p);

	limits.conditions = 6;
	parse_limited(&p, src, strlen(src), &limits);
	cr_expect_eq(p.status, SKR_OK, "six conditions fit a limit of six");
	cr_expect_eq(p.policy->condition_count, 6u);
	dsl_parse_free(&p);
}

Test(dsl_front, error_count_capped)
{
	size_t count = 500;
	size_t cap = count * 16 + 64;
	char *src = malloc(cap);
	cr_assert_not_null(src);
	size_t n = (size_t)snprintf(src, cap, "version 1.0.0\nauthority \"https://a\" {\n");
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(src + n, cap - n, "  x = 1\n");
	snprintf(src + n, cap - n, "}\n");
	dsl_parse p;
	parse_string(&p, src);
	cr_expect_eq(p.status, SKR_E_POLICY);
	cr_expect_eq(p.diags.count, 101u, "100 errors and the one that stops the run");
	cr_expect_str_eq(p.diags.items[p.diags.count - 1].code, "dsl-too-many-errors");
	dsl_parse_free(&p);
	free(src);
}

/* ---- API contract ------------------------------------------------------- */

Test(dsl_front, invalid_arguments)
{
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	cr_expect_eq(skr_parse_dsl_policy("x", 1, NULL, NULL, NULL, &policy), SKR_E_USAGE);
	cr_expect_eq(skr_parse_dsl_policy("x", 1, NULL, &arena, NULL, NULL), SKR_E_USAGE);
	cr_expect_eq(skr_parse_dsl_policy(NULL, 1, NULL, &arena, NULL, &policy), SKR_E_USAGE);
	cr_expect_eq(skr_parse_dsl_policy(NULL, 0, NULL, &arena, NULL, &policy), SKR_E_POLICY,
	             "no text is an empty policy");
	skr_arena_free(&arena);
}

Test(dsl_front, diagnostics_optional)
{
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = (skr_ast_policy *)&arena;
	const char *bad = "version 9\nauthority \"a\" { }";
	cr_expect_eq(skr_parse_dsl_policy(bad, strlen(bad), NULL, &arena, NULL, &policy), SKR_E_POLICY);
	cr_expect_null(policy, "the output is cleared on failure");
	const char *good = "version 1.0.0\nauthority \"a\" { x == 1 }";
	cr_expect_eq(skr_parse_dsl_policy(good, strlen(good), NULL, &arena, NULL, &policy), SKR_OK);
	cr_expect_not_null(policy);
	skr_arena_free(&arena);
}

Test(dsl_front, diagnostics_appended)
{
	/* Diagnostics already in the list stay first and keep their order. */
	skr_diags diags;
	skr_diags_init(&diags);
	skr_diag_add(&diags, NULL, SKR_SEV_ERROR, "earlier", 500, 0, "from another input");
	skr_arena arena;
	skr_arena_init(&arena);
	skr_ast_policy *policy = NULL;
	const char *bad = "version 9\nauthority \"a\" { }";
	cr_expect_eq(skr_parse_dsl_policy(bad, strlen(bad), NULL, &arena, &diags, &policy), SKR_E_POLICY);
	cr_assert_eq(diags.count, 3u);
	cr_expect_str_eq(diags.items[0].code, "earlier");
	cr_expect_str_eq(diags.items[1].code, "policy-version");
	cr_expect_str_eq(diags.items[2].code, "dsl-empty-block");
	skr_arena_free(&arena);
	skr_diags_free(&diags);
}

/* ---- golden diagnostics ------------------------------------------------- */

/* Renders every diagnostic of one parse, each followed by a newline. */
static char *render_diags(const dsl_parse *p, const char *name, const char *src, size_t len)
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

static void overwrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

Test(dsl_front, golden_diagnostics)
{
	char *dir = join_path(tests_dir(), "golden/dsl");
	const char *update_env = getenv("SKR_UPDATE_GOLDEN");
	int update = update_env && strcmp(update_env, "1") == 0;
	size_t count = 0;
	char **names = list_with_suffix(dir, ".skr", &count);
	if (!names)
		free(dir);
	cr_assert_not_null(names, "cannot open the golden/dsl folder (set SKR_TESTS_DIR to the tests folder)");
	cr_expect_geq(count, 30u, "at least 30 golden inputs");

	for (size_t i = 0; i < count; i++) {
		char *input = join_path(dir, names[i]);
		size_t expected_path_len = strlen(input) + sizeof ".expected";
		char *expected_path = malloc(expected_path_len);
		cr_assert_not_null(expected_path);
		snprintf(expected_path, expected_path_len, "%s.expected", input);

		size_t len = 0;
		char *src = slurp(input, &len);
		cr_assert_not_null(src, "cannot read %s", input);
		dsl_parse p;
		parse_limited(&p, src, len, NULL);
		char *actual = render_diags(&p, names[i], src, len);
		cr_expect(p.diags.count > 0, "%s: a golden input must produce a diagnostic", names[i]);

		if (update) {
			overwrite(expected_path, actual);
		} else {
			size_t expected_len = 0;
			char *expected = slurp(expected_path, &expected_len);
			cr_expect_not_null(expected, "%s is missing; run with SKR_UPDATE_GOLDEN=1", expected_path);
			if (expected) {
				int same = expected_len == strlen(actual) && memcmp(expected, actual, expected_len) == 0;
				cr_expect(same, "%s: diagnostics differ\n--- expected\n%.*s--- actual\n%s", names[i],
				          (int)expected_len, expected, actual);
				free(expected);
			}
		}
		free(actual);
		dsl_parse_free(&p);
		free(src);
		free(expected_path);
		free(input);
	}
	free_list(names, count);
	free(dir);
}
