/*
 * Tests of the formatter (skr_format, compiler/format.c): the golden cases
 * under $SKR_TESTS_DIR/format, round trips between the two forms on the
 * published policies under $SKR_SHARED (skipped with a message when that
 * folder is absent), and the writers' handling of hand-built trees.
 *
 * Every conversion is checked three ways: the text against the expected
 * file, the program compiled from it against the input's program, and a
 * second formatting against the first (idempotence).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "compiler.h"
#include "format.h"
#include "tokens.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);
	return value && *value ? value : fallback;
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	cr_assert_not_null(path);
	snprintf(path, n, "%s/%s", dir, name);
	return path;
}

/* Reads a whole file; returns NULL when it cannot be read. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *data = malloc(cap + 1);
	size_t got;
	while (data && (got = fread(data + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(data, cap * 2 + 1);
			if (!bigger) {
				free(data);
				data = NULL;
				break;
			}
			data = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (data) {
		data[n] = '\0';
		*len = n;
	}
	return data;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static const char *syntax_name(skr_syntax syntax)
{
	return syntax == SKR_SYNTAX_JSON ? "JSON" : "DSL";
}

static void log_diags(const skr_diags *diags, const char *name, const char *src, size_t len)
{
	char line[2048];
	for (size_t i = 0; i < diags->count; i++) {
		skr_diag_render(&diags->items[i], name, src, len, line, sizeof line);
		cr_log_error("%s", line);
	}
}

/* Formats text, asserting success; name is for failure messages. */
static skr_buffer format_ok(const char *name, const char *src, size_t len, skr_syntax from,
                            skr_syntax to)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer out = { NULL, 0 };
	skr_status status = skr_format(src, len, from, to, NULL, &diags, &out);
	if (status != SKR_OK)
		log_diags(&diags, name, src, len);
	cr_assert_eq(status, SKR_OK, "%s: formatting as %s failed: %s", name, syntax_name(to),
	             skr_status_name(status));
	cr_assert_gt(out.len, 0u);
	cr_assert_eq(out.data[out.len - 1], '\n', "%s: the output ends in a newline", name);
	skr_diags_free(&diags);
	return out;
}

static skr_buffer compile_ok(const char *name, const void *src, size_t len, skr_syntax syntax)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer image = { NULL, 0 };
	skr_status status = skr_compile(src, len, syntax, NULL, &diags, &image);
	if (status != SKR_OK)
		log_diags(&diags, name, src, len);
	cr_assert_eq(status, SKR_OK, "%s: compiling the %s text failed: %s", name,
	             syntax_name(syntax), skr_status_name(status));
	skr_diags_free(&diags);
	return image;
}

static int same_bytes(const skr_buffer *a, const void *b, size_t blen)
{
	return a->len == blen && memcmp(a->data, b, blen) == 0;
}

/* Asserts that text compiles to the program image. */
static void expect_program(const char *name, const char *what, const skr_buffer *text,
                           skr_syntax syntax, const skr_buffer *image)
{
	skr_buffer again = compile_ok(name, text->data, text->len, syntax);
	cr_expect(same_bytes(&again, image->data, image->len),
	          "%s: %s compiles to a program that differs from the input's", name, what);
	skr_buffer_free(&again);
}

/* Returns a copy of DSL text without its comments: comment-only lines are
 * removed, a comment at the end of a line is cut off with the blanks
 * before it, and blank lines left at the end are dropped. A '#' inside a
 * string is not a comment. */
static char *strip_comments(const char *text, size_t len)
{
	char *out = malloc(len + 1);
	cr_assert_not_null(out);
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		size_t start = n, end = i;
		int in_string = 0, comment = 0;
		while (end < len && text[end] != '\n') {
			char c = text[end];
			if (in_string && c == '\\' && end + 1 < len) {
				end += 2;
				continue;
			}
			if (c == '"')
				in_string = !in_string;
			if (c == '#' && !in_string) {
				comment = 1;
				break;
			}
			end++;
		}
		size_t keep = end;
		while (comment && keep > i && (text[keep - 1] == ' ' || text[keep - 1] == '\t'))
			keep--;
		memcpy(out + n, text + i, keep - i);
		n += keep - i;
		while (end < len && text[end] != '\n')
			end++;
		if (comment && n == start) {
			/* A comment-only line disappears, newline included. */
		} else if (end < len) {
			out[n++] = '\n';
		}
		i = end + 1;
	}
	while (n >= 2 && out[n - 1] == '\n' && out[n - 2] == '\n')
		n--;
	out[n] = '\0';
	return out;
}

/* ---- golden cases ------------------------------------------------------- */

/* Compares a formatted text with an expected file, or rewrites the file
 * when SKR_UPDATE_GOLDEN=1. */
static void expect_golden(const char *path, const skr_buffer *text)
{
	const char *update = getenv("SKR_UPDATE_GOLDEN");
	if (update && strcmp(update, "1") == 0) {
		write_file(path, text->data, text->len);
		return;
	}
	size_t len;
	char *expected = read_file(path, &len);
	cr_expect_not_null(expected, "%s is missing (SKR_UPDATE_GOLDEN=1 writes it)", path);
	if (!expected)
		return;
	cr_expect(same_bytes(text, expected, len), "the output differs from %s:\n%.*s", path,
	          (int)text->len, (const char *)text->data);
	free(expected);
}

/* Runs one golden case: NAME.input.json or NAME.input.skr, formatted as
 * JSON (NAME.expected.json) and as DSL (NAME.expected.skr). */
static void run_golden_case(const char *dir, const char *file)
{
	const char *dot = strstr(file, ".input.");
	skr_syntax from = strcmp(dot, ".input.json") == 0 ? SKR_SYNTAX_JSON : SKR_SYNTAX_DSL;
	char *input_path = path_join(dir, file);
	size_t len;
	char *input = read_file(input_path, &len);
	cr_assert_not_null(input, "cannot read %s", input_path);
	skr_buffer image = compile_ok(file, input, len, from);

	skr_buffer json = format_ok(file, input, len, from, SKR_SYNTAX_JSON);
	skr_buffer dsl = format_ok(file, input, len, from, SKR_SYNTAX_DSL);
	char stem[256];
	snprintf(stem, sizeof stem, "%s/%.*s", dir, (int)(dot - file), file);
	char expected_path[300];
	snprintf(expected_path, sizeof expected_path, "%s.expected.json", stem);
	expect_golden(expected_path, &json);
	snprintf(expected_path, sizeof expected_path, "%s.expected.skr", stem);
	expect_golden(expected_path, &dsl);

	expect_program(file, "the canonical JSON", &json, SKR_SYNTAX_JSON, &image);
	expect_program(file, "the canonical DSL", &dsl, SKR_SYNTAX_DSL, &image);

	/* Idempotence, and the round trips through the other form. */
	skr_buffer json_again = format_ok(file, (char *)json.data, json.len, SKR_SYNTAX_JSON,
	                                  SKR_SYNTAX_JSON);
	cr_expect(same_bytes(&json_again, json.data, json.len),
	          "%s: formatting the canonical JSON changes it", file);
	skr_buffer dsl_again = format_ok(file, (char *)dsl.data, dsl.len, SKR_SYNTAX_DSL,
	                                 SKR_SYNTAX_DSL);
	cr_expect(same_bytes(&dsl_again, dsl.data, dsl.len),
	          "%s: formatting the canonical DSL changes it:\n%.*s", file, (int)dsl_again.len,
	          (const char *)dsl_again.data);
	skr_buffer json_from_dsl = format_ok(file, (char *)dsl.data, dsl.len, SKR_SYNTAX_DSL,
	                                     SKR_SYNTAX_JSON);
	cr_expect(same_bytes(&json_from_dsl, json.data, json.len),
	          "%s: DSL -> JSON differs from the canonical JSON", file);
	skr_buffer dsl_from_json = format_ok(file, (char *)json.data, json.len, SKR_SYNTAX_JSON,
	                                     SKR_SYNTAX_DSL);
	char *bare = strip_comments((const char *)dsl.data, dsl.len);
	cr_expect(same_bytes(&dsl_from_json, bare, strlen(bare)),
	          "%s: DSL -> JSON -> DSL is not the canonical DSL less its comments:\n%.*s", file,
	          (int)dsl_from_json.len, (const char *)dsl_from_json.data);

	free(bare);
	skr_buffer_free(&dsl_from_json);
	skr_buffer_free(&json_from_dsl);
	skr_buffer_free(&dsl_again);
	skr_buffer_free(&json_again);
	skr_buffer_free(&dsl);
	skr_buffer_free(&json);
	skr_buffer_free(&image);
	free(input);
	free(input_path);
}

static int is_golden_input(const char *name)
{
	const char *dot = strstr(name, ".input.");
	return dot && (strcmp(dot, ".input.json") == 0 || strcmp(dot, ".input.skr") == 0);
}

Test(format, golden_cases)
{
	const char *tests = env_or("SKR_TESTS_DIR", "tests");
	char *dir = path_join(tests, "format");
	DIR *listing = opendir(dir);
	cr_assert_not_null(listing, "cannot open %s (set SKR_TESTS_DIR to the tests folder)", dir);
	size_t cases = 0, dsl_inputs = 0;
	struct dirent *entry;
	while ((entry = readdir(listing))) {
		if (!is_golden_input(entry->d_name))
			continue;
		run_golden_case(dir, entry->d_name);
		cases++;
		dsl_inputs += strstr(entry->d_name, ".input.skr") != NULL;
	}
	closedir(listing);
	cr_log_info("format: %zu golden cases, %zu of them DSL", cases, dsl_inputs);
	cr_expect_geq(cases, 12u, "at least 12 golden cases in %s", dir);
	cr_expect_geq(dsl_inputs, 3u, "at least 3 DSL inputs in %s", dir);
	free(dir);
}

/* ---- the published policies --------------------------------------------- */

/* Checks one published JSON policy; returns 0 when it does not compile
 * (and is skipped), 1 when it was checked. */
static int round_trip_policy(const char *path, const char *name, size_t *dsl_size,
                             size_t *json_size)
{
	size_t len;
	char *json = read_file(path, &len);
	cr_assert_not_null(json, "cannot read %s", path);
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer image = { NULL, 0 };
	skr_status status = skr_compile(json, len, SKR_SYNTAX_JSON, NULL, &diags, &image);
	skr_diags_free(&diags);
	if (status != SKR_OK) {
		cr_log_info("format: %s skipped: it does not compile (%s)", name,
		            skr_status_name(status));
		free(json);
		return 0;
	}
	skr_buffer canonical = format_ok(name, json, len, SKR_SYNTAX_JSON, SKR_SYNTAX_JSON);
	skr_buffer dsl = format_ok(name, json, len, SKR_SYNTAX_JSON, SKR_SYNTAX_DSL);
	skr_buffer back = format_ok(name, (char *)dsl.data, dsl.len, SKR_SYNTAX_DSL, SKR_SYNTAX_JSON);
	expect_program(name, "JSON -> DSL -> JSON", &back, SKR_SYNTAX_JSON, &image);
	expect_program(name, "JSON -> DSL", &dsl, SKR_SYNTAX_DSL, &image);
	cr_expect(same_bytes(&back, canonical.data, canonical.len),
	          "%s: JSON -> DSL -> JSON differs from the canonical JSON", name);

	skr_buffer json_again = format_ok(name, (char *)canonical.data, canonical.len,
	                                  SKR_SYNTAX_JSON, SKR_SYNTAX_JSON);
	cr_expect(same_bytes(&json_again, canonical.data, canonical.len),
	          "%s: formatting the canonical JSON changes it", name);
	skr_buffer dsl_again = format_ok(name, (char *)dsl.data, dsl.len, SKR_SYNTAX_DSL,
	                                 SKR_SYNTAX_DSL);
	cr_expect(same_bytes(&dsl_again, dsl.data, dsl.len),
	          "%s: formatting the canonical DSL changes it", name);
	skr_buffer dsl_back = format_ok(name, (char *)back.data, back.len, SKR_SYNTAX_JSON,
	                                SKR_SYNTAX_DSL);
	cr_expect(same_bytes(&dsl_back, dsl.data, dsl.len),
	          "%s: DSL -> JSON -> DSL differs from the canonical DSL", name);

	if (strcmp(name, "cvm-skr-policy-2026-03.json") == 0) {
		*dsl_size = dsl.len;
		*json_size = len;
		size_t shown = 0;
		for (int lines = 0; shown < dsl.len && lines < 15; shown++)
			lines += dsl.data[shown] == '\n';
		fprintf(stderr, "format: %s: JSON %zu bytes as published (%zu canonical), DSL %zu bytes; "
		        "the first 15 lines of the DSL:\n%.*s", name, len, canonical.len, dsl.len,
		        (int)shown, (const char *)dsl.data);
	}
	skr_buffer_free(&dsl_back);
	skr_buffer_free(&dsl_again);
	skr_buffer_free(&json_again);
	skr_buffer_free(&back);
	skr_buffer_free(&dsl);
	skr_buffer_free(&canonical);
	skr_buffer_free(&image);
	free(json);
	return 1;
}

static int is_json_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

Test(format, real_policies_round_trip)
{
	const char *shared = env_or("SKR_SHARED", "../shared");
	char *dir = path_join(shared, "corpus/real");
	DIR *listing = opendir(dir);
	if (!listing) {
		test_skip("format: skipped: %s not found (set SKR_SHARED)", dir);
		free(dir);
		return;
	}
	size_t checked = 0, dsl_size = 0, json_size = 0;
	struct dirent *entry;
	while ((entry = readdir(listing))) {
		/* kms-*.json are CCF KMS policies, another grammar. */
		if (!is_json_name(entry->d_name) || strncmp(entry->d_name, "kms-", 4) == 0)
			continue;
		char *path = path_join(dir, entry->d_name);
		checked += (size_t)round_trip_policy(path, entry->d_name, &dsl_size, &json_size);
		free(path);
	}
	closedir(listing);
	cr_log_info("format: %zu published policies round-tripped", checked);
	cr_expect_geq(checked, 10u, "at least 10 published policies compile and round-trip");
	cr_expect_gt(dsl_size, 0u, "cvm-skr-policy-2026-03.json was checked");
	cr_expect_leq(dsl_size * 4, json_size,
	              "the DSL of the CVM policy (%zu bytes) is at most a quarter of its JSON (%zu bytes)",
	              dsl_size, json_size);
	free(dir);
}

/* ---- skr_format's contract ---------------------------------------------- */

Test(format, usage_errors)
{
	skr_buffer out = { (uint8_t *)"x", 1 };
	cr_expect_eq(skr_format("{}", 2, SKR_SYNTAX_JSON, SKR_SYNTAX_JSON, NULL, NULL, NULL),
	             SKR_E_USAGE);
	cr_expect_eq(skr_format(NULL, 3, SKR_SYNTAX_JSON, SKR_SYNTAX_JSON, NULL, NULL, &out),
	             SKR_E_USAGE);
	cr_expect_null(out.data);
	cr_expect_eq(skr_format("{}", 2, (skr_syntax)7, SKR_SYNTAX_JSON, NULL, NULL, &out),
	             SKR_E_USAGE);
	cr_expect_eq(skr_format("{}", 2, SKR_SYNTAX_JSON, (skr_syntax)-1, NULL, NULL, &out),
	             SKR_E_USAGE);
}

Test(format, invalid_policy_leaves_output_empty)
{
	const char *src = "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"a\", \"allOf\": []}],}";
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer out = { NULL, 0 };
	skr_status status = skr_format(src, strlen(src), SKR_SYNTAX_AUTO, SKR_SYNTAX_DSL, NULL,
	                               &diags, &out);
	cr_expect_eq(status, SKR_E_POLICY);
	cr_expect_null(out.data);
	cr_expect_eq(out.len, 0u);
	cr_expect_geq(diags.errors, 2u, "the empty array and the trailing comma are both reported");
	skr_diags_free(&diags);
}

Test(format, auto_keeps_input_form)
{
	const char *src = " \n{\"anyOf\": [{\"allOf\": [{\"claim\": \"a\", \"exists\": true}], "
	                  "\"authority\": \"https://x.example.test\"}], \"version\": \"1.0\"}";
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer out = { NULL, 0 };
	cr_assert_eq(skr_format(src, strlen(src), SKR_SYNTAX_AUTO, SKR_SYNTAX_AUTO, NULL, &diags,
	                        &out), SKR_OK);
	const char *expected = "{\n"
	                       "  \"version\": \"1.0.0\",\n"
	                       "  \"anyOf\": [\n"
	                       "    {\n"
	                       "      \"authority\": \"https://x.example.test\",\n"
	                       "      \"allOf\": [\n"
	                       "        { \"claim\": \"a\", \"exists\": true }\n"
	                       "      ]\n"
	                       "    }\n"
	                       "  ]\n"
	                       "}\n";
	cr_expect(same_bytes(&out, expected, strlen(expected)), "got:\n%.*s", (int)out.len,
	          (const char *)out.data);
	cr_expect_eq(diags.count, 0u, "version 1.0 is normalised without a warning");
	skr_buffer_free(&out);
	skr_diags_free(&diags);
}

Test(format, legacy_version_warns_and_normalises)
{
	const char *src = "{\"version\": \"0.2\", \"anyOf\": [{\"authority\": \"a\", "
	                  "\"anyOf\": [{\"claim\": \"c\", \"equals\": 1}]}]}";
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer out = { NULL, 0 };
	cr_assert_eq(skr_format(src, strlen(src), SKR_SYNTAX_JSON, SKR_SYNTAX_JSON, NULL, &diags,
	                        &out), SKR_OK);
	cr_expect_eq(diags.warnings, 1u);
	cr_expect_not_null(strstr((const char *)out.data, "\"version\": \"1.0.0\""));
	skr_buffer_free(&out);
	skr_diags_free(&diags);
}

Test(format, dsl_comments_dropped_in_json_warn)
{
	const char *src = "# release to SEV-SNP VMs\n"
	                  "version 1.0.0\n"
	                  "\n"
	                  "authority \"https://x.example.test\" {\n"
	                  "    x-ms-attestation-type == \"sevsnpvm\"  # the TEE\n"
	                  "}\n";
	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer out = { NULL, 0 };
	skr_status status = skr_format(src, strlen(src), SKR_SYNTAX_DSL, SKR_SYNTAX_JSON, NULL,
	                               &diags, &out);
	if (status != SKR_OK)
		log_diags(&diags, "inline", src, strlen(src));
	cr_assert_eq(status, SKR_OK);
	cr_expect_eq(diags.warnings, 1u);
	cr_expect_str_eq(diags.items[0].code, "fmt-comments-dropped");
	cr_expect_eq(diags.items[0].line, 1u);
	cr_expect_not_null(strstr(diags.items[0].message, "2 comments"));
	skr_buffer_free(&out);
	skr_diags_free(&diags);
}

/* ---- the writers on hand-built trees ------------------------------------ */

static skr_ast_node claim_node(const char *path, skr_operator op, skr_ast_value value)
{
	skr_ast_node node;
	memset(&node, 0, sizeof node);
	node.kind = SKR_NODE_CLAIM;
	node.path = path;
	node.path_len = strlen(path);
	node.op = op;
	node.value = value;
	return node;
}

static skr_ast_value double_value(double d, const char *text)
{
	skr_ast_value v;
	memset(&v, 0, sizeof v);
	v.kind = SKR_VALUE_DOUBLE;
	v.d = d;
	v.str = text;
	v.len = text ? strlen(text) : 0;
	return v;
}

static skr_ast_value int_value(int64_t i, const char *text)
{
	skr_ast_value v;
	memset(&v, 0, sizeof v);
	v.kind = SKR_VALUE_INT;
	v.i = i;
	v.str = text;
	v.len = text ? strlen(text) : 0;
	return v;
}

/* Writes one claim condition holding value as JSON and returns the
 * value's text (malloc'd). */
static char *json_value_text(skr_ast_value value)
{
	skr_ast_node node = claim_node("n", SKR_OP_EQUALS, value);
	skr_ast_node *children[] = { &node };
	skr_ast_node root;
	memset(&root, 0, sizeof root);
	root.kind = SKR_NODE_ALL;
	root.children = children;
	root.child_count = 1;
	skr_ast_entry entry;
	memset(&entry, 0, sizeof entry);
	entry.authority = "a";
	entry.authority_len = 1;
	entry.root = &root;
	skr_ast_policy policy;
	memset(&policy, 0, sizeof policy);
	policy.entries = &entry;
	policy.entry_count = 1;
	skr_buffer out = { NULL, 0 };
	cr_assert_eq(skr_format_json_text(&policy, &out), SKR_OK);
	const char *key = "\"equals\": ";
	char *at = strstr((char *)out.data, key);
	cr_assert_not_null(at);
	at += strlen(key);
	size_t n = (size_t)(strstr(at, " }") - at);
	char *text = malloc(n + 1);
	memcpy(text, at, n);
	text[n] = '\0';
	skr_buffer_free(&out);
	return text;
}

Test(format, numbers_without_source_text)
{
	static const struct {
		skr_ast_value value;
		const char *expected;
	} cases[] = {
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 0.1, { 0, 0 } }, "0.1" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 100.0, { 0, 0 } }, "100.0" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, -0.0, { 0, 0 } }, "-0.0" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 1e300, { 0, 0 } }, "1e+300" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 123456.789, { 0, 0 } }, "123456.789" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 0.000015, { 0, 0 } }, "0.000015" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 1e-6, { 0, 0 } }, "1e-06" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 1e16, { 0, 0 } }, "10000000000000000.0" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 1e17, { 0, 0 } }, "1e+17" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 1.7976931348623157e308, { 0, 0 } },
		  "1.7976931348623157e+308" },
		{ { SKR_VALUE_DOUBLE, NULL, 0, 0, 5e-324, { 0, 0 } }, "5e-324" },
		{ { SKR_VALUE_INT, NULL, 0, INT64_MIN, 0, { 0, 0 } }, "-9223372036854775808" },
		{ { SKR_VALUE_INT, NULL, 0, INT64_MAX, 0, { 0, 0 } }, "9223372036854775807" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = json_value_text(cases[i].value);
		cr_expect_str_eq(text, cases[i].expected, "case %zu", i);
		free(text);
	}
}

Test(format, number_text_checked_against_value)
{
	/* Source text that is not a JSON number, or gives another value or
	 * type, is not trusted: the value is spelled instead. Text that fits
	 * is kept as written. */
	char *text = json_value_text(int_value(12, "+12"));
	cr_expect_str_eq(text, "12");
	free(text);
	text = json_value_text(int_value(7, "8"));
	cr_expect_str_eq(text, "7");
	free(text);
	text = json_value_text(double_value(2.5, "2.50"));
	cr_expect_str_eq(text, "2.50");
	free(text);
	text = json_value_text(double_value(3.0, "3"));
	cr_expect_str_eq(text, "3.0", "an integer text for a double would change its type");
	free(text);
}

Test(format, structural_equality)
{
	skr_ast_value s1 = { SKR_VALUE_STRING, "v", 1, 0, 0, { 0, 0 } };
	skr_ast_value s2 = { SKR_VALUE_STRING, "v", 1, 0, 0, { 5, 1 } };
	skr_ast_value s3 = { SKR_VALUE_STRING, "w", 1, 0, 0, { 0, 0 } };
	skr_ast_node a = claim_node("x", SKR_OP_EQUALS, s1);
	skr_ast_node b = claim_node("x", SKR_OP_EQUALS, s2);
	skr_ast_node c = claim_node("x", SKR_OP_EQUALS, s3);
	skr_ast_node d = claim_node("x", SKR_OP_NOT_EQUALS, s1);
	skr_ast_node e = claim_node("y", SKR_OP_EQUALS, s1);
	cr_expect(skr_ast_node_equal(&a, &b), "spans do not matter");
	cr_expect(!skr_ast_node_equal(&a, &c), "values differ");
	cr_expect(!skr_ast_node_equal(&a, &d), "operators differ");
	cr_expect(!skr_ast_node_equal(&a, &e), "paths differ");

	skr_ast_node one = claim_node("n", SKR_OP_GREATER, int_value(1, "1"));
	skr_ast_node one_double = claim_node("n", SKR_OP_GREATER, double_value(1.0, "1.0"));
	skr_ast_node hundred = claim_node("n", SKR_OP_GREATER, double_value(100.0, "1e2"));
	skr_ast_node hundred_too = claim_node("n", SKR_OP_GREATER, double_value(100.0, "100.0"));
	cr_expect(!skr_ast_node_equal(&one, &one_double), "an int and a double differ");
	cr_expect(!skr_ast_node_equal(&hundred, &hundred_too), "spellings differ");

	skr_ast_node *ab[] = { &a, &e };
	skr_ast_node *ba[] = { &e, &a };
	skr_ast_node all_ab = { .kind = SKR_NODE_ALL, .children = ab, .child_count = 2 };
	skr_ast_node all_ba = { .kind = SKR_NODE_ALL, .children = ba, .child_count = 2 };
	skr_ast_node any_ab = { .kind = SKR_NODE_ANY, .children = ab, .child_count = 2 };
	skr_ast_node all_a = { .kind = SKR_NODE_ALL, .children = ab, .child_count = 1 };
	cr_expect(skr_ast_node_equal(&all_ab, &all_ab));
	cr_expect(!skr_ast_node_equal(&all_ab, &all_ba), "child order matters");
	cr_expect(!skr_ast_node_equal(&all_ab, &any_ab), "group kinds differ");
	cr_expect(!skr_ast_node_equal(&all_ab, &all_a), "child counts differ");
}

/* ---- generated policies ------------------------------------------------- */

#include "gen_policy.h"

/* Random valid policies of every shape the generator makes (long forms,
 * case variants, escapes, every value type, nesting to depth 4): each
 * converts both ways with the same program (skr_format checks that
 * itself), and both canonical texts are fixed points. */
Test(format, generated_policies_round_trip)
{
	gen_text policy;
	gen_text_init(&policy);
	size_t checked = 0;
	for (uint64_t seed = 1; seed <= 1500; seed++) {
		gen_policy_info info;
		cr_assert_eq(gen_policy(seed, NULL, &policy, &info), 0);
		if (info.invalid)
			continue;
		char name[64];
		snprintf(name, sizeof name, "generated policy %llu", (unsigned long long)seed);
		skr_buffer json = format_ok(name, policy.data, policy.len, SKR_SYNTAX_JSON,
		                            SKR_SYNTAX_JSON);
		skr_buffer dsl = format_ok(name, policy.data, policy.len, SKR_SYNTAX_JSON,
		                           SKR_SYNTAX_DSL);
		skr_buffer json_again = format_ok(name, (char *)json.data, json.len, SKR_SYNTAX_JSON,
		                                  SKR_SYNTAX_JSON);
		skr_buffer dsl_again = format_ok(name, (char *)dsl.data, dsl.len, SKR_SYNTAX_DSL,
		                                 SKR_SYNTAX_DSL);
		skr_buffer json_from_dsl = format_ok(name, (char *)dsl.data, dsl.len, SKR_SYNTAX_DSL,
		                                     SKR_SYNTAX_JSON);
		cr_expect(same_bytes(&json_again, json.data, json.len),
		          "%s: formatting the canonical JSON changes it", name);
		cr_expect(same_bytes(&dsl_again, dsl.data, dsl.len),
		          "%s: formatting the canonical DSL changes it", name);
		cr_expect(same_bytes(&json_from_dsl, json.data, json.len),
		          "%s: DSL -> JSON differs from the canonical JSON", name);
		skr_buffer_free(&json_from_dsl);
		skr_buffer_free(&dsl_again);
		skr_buffer_free(&json_again);
		skr_buffer_free(&dsl);
		skr_buffer_free(&json);
		checked++;
	}
	gen_text_free(&policy);
	cr_log_info("format: %zu generated policies round-tripped", checked);
	cr_expect_geq(checked, 1000u);
}

/* Returns a copy of canonical DSL text with numbered comments added: one
 * at the end of some lines and one on a line of its own before some lines,
 * driven by seed. Lines that end in ',' continue an authority list, so no
 * comment line follows them. *count receives the number of comments. */
static char *add_comments(const char *text, size_t len, uint64_t seed, unsigned *count)
{
	size_t cap = len * 4 + 4096;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	size_t n = 0;
	unsigned number = 0;
	uint64_t state = seed * 6364136223846793005u + 1442695040888963407u;
	int after_comma = 0;
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && text[end] != '\n')
			end++;
		state = state * 6364136223846793005u + 1442695040888963407u;
		unsigned roll = (unsigned)(state >> 33);
		if (!after_comma && roll % 3 == 0 && n + 64 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%*s# own ~%u~\n", (int)(roll % 9), "",
			                      ++number);
		memcpy(out + n, text + i, end - i);
		n += end - i;
		if (roll % 5 < 2 && end > i && n + 64 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%*s# end ~%u~", 1 + (int)(roll % 3), "",
			                      ++number);
		after_comma = end > i && text[end - 1] == ',';
		out[n++] = '\n';
		i = end + 1;
	}
	if (n + 64 < cap)
		n += (size_t)snprintf(out + n, cap - n, "# last ~%u~\n", ++number);
	out[n] = '\0';
	*count = number;
	return out;
}

/* Comments added anywhere in canonical DSL survive formatting: each one
 * exactly once and in source order, the result is a fixed point, and less
 * its comments it is the canonical text again. */
Test(format, comments_kept_in_order)
{
	gen_text policy;
	gen_text_init(&policy);
	size_t checked = 0;
	for (uint64_t seed = 1; seed <= 400; seed++) {
		gen_policy_info info;
		cr_assert_eq(gen_policy(seed, NULL, &policy, &info), 0);
		if (info.invalid)
			continue;
		char name[64];
		snprintf(name, sizeof name, "generated policy %llu", (unsigned long long)seed);
		skr_buffer dsl = format_ok(name, policy.data, policy.len, SKR_SYNTAX_JSON,
		                           SKR_SYNTAX_DSL);
		unsigned count;
		char *commented = add_comments((const char *)dsl.data, dsl.len, seed, &count);
		skr_buffer formatted = format_ok(name, commented, strlen(commented), SKR_SYNTAX_DSL,
		                                 SKR_SYNTAX_DSL);
		char *text = malloc(formatted.len + 1);
		memcpy(text, formatted.data, formatted.len);
		text[formatted.len] = '\0';

		const char *at = text;
		for (unsigned k = 1; k <= count; k++) {
			char needle[32];
			snprintf(needle, sizeof needle, " ~%u~\n", k);
			const char *found = strstr(at, needle);
			cr_assert_not_null(found, "%s: comment %u is missing or out of order:\n%s", name, k,
			                   text);
			at = found + 1;
		}
		skr_buffer again = format_ok(name, text, formatted.len, SKR_SYNTAX_DSL, SKR_SYNTAX_DSL);
		cr_expect(same_bytes(&again, formatted.data, formatted.len),
		          "%s: formatting commented DSL twice changes it:\n%s", name, text);
		char *bare = strip_comments(text, formatted.len);
		cr_expect(same_bytes(&dsl, bare, strlen(bare)),
		          "%s: without its comments the output is not the canonical DSL:\n%s", name,
		          text);
		free(bare);
		skr_buffer_free(&again);
		free(text);
		skr_buffer_free(&formatted);
		free(commented);
		skr_buffer_free(&dsl);
		checked++;
	}
	gen_text_free(&policy);
	cr_expect_geq(checked, 300u);
}
