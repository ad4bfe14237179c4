/*
 * Inputs that made a fuzz target fail, kept in
 * tests/fuzz/regressions/<target>/NAME, each run through the API its
 * target calls. The first line of NAME.expect contains the expected result:
 * the status name ("ok", "invalid_trust_store", ...) and, optionally, the
 * code of the first error. Every input must give that result without crashing
 * (the sanitizer build turns memory errors and undefined behaviour into
 * crashes), and every diagnostic must be one line with a code and a span
 * inside the input.
 *
 * Inputs of fuzz_lint start with one byte that picks the syntax (even:
 * JSON, odd: DSL), as in the fuzz target. An input is added here together
 * with the fix of what it found.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "tokens.h"

#define NOW 1680180000

typedef struct expectation {
	char status[64];
	char code[128];  /* empty when the expectation names no code */
} expectation;

/* The repository root: SKR_ROOT, or the working directory (the suite runs
 * from the repository root). */
static const char *root(void)
{
	const char *dir = getenv("SKR_ROOT");
	return dir && *dir ? dir : ".";
}

static void read_expectation(const char *input_path, expectation *e)
{
	char path[2048];
	size_t len = 0;
	snprintf(path, sizeof path, "%s.expect", input_path);
	char *text = test_slurp(path, &len);
	cr_assert_not_null(text, "%s is missing; write the expected status there", path);
	e->status[0] = '\0';
	e->code[0] = '\0';
	int fields = sscanf(text, "%63s %127s", e->status, e->code);
	cr_assert_geq(fields, 1, "%s does not name a status", path);
	free(text);
}

/* Checks the result: status, first error code, and well-formed
 * diagnostics whose spans lie inside src (when src is not NULL). */
static void check_answer(const char *name, const expectation *e, skr_status status,
                         const skr_diags *diags, const char *src, size_t src_len)
{
	cr_expect_str_eq(skr_status_name(status), e->status, "%s: status", name);
	const skr_diag *first = NULL;
	for (size_t i = 0; i < diags->count; i++) {
		const skr_diag *d = &diags->items[i];
		cr_expect(d->code != NULL || d->severity == SKR_SEV_NOTE, "%s: diagnostic %zu has no code",
		          name, i);
		cr_expect(d->message != NULL && d->message[0] != '\0', "%s: diagnostic %zu has no message",
		          name, i);
		if (d->message)
			cr_expect_null(strchr(d->message, '\n'), "%s: diagnostic %s has a newline: %s", name,
			               d->code ? d->code : "(note)", d->message);
		if (src)
			cr_expect(d->offset <= src_len && d->length <= src_len - d->offset,
			          "%s: diagnostic %s spans bytes %zu+%zu of %zu", name,
			          d->code ? d->code : "(note)", d->offset, d->length, src_len);
		if (!first && d->severity == SKR_SEV_ERROR)
			first = d;
	}
	if (status != SKR_OK)
		cr_expect_not_null(first, "%s: %s without an error", name, skr_status_name(status));
	if (e->code[0] && first)
		cr_expect_str_eq(first->code, e->code, "%s: first error code", name);
}

typedef void (*regression_fn)(const char *name, const char *input, size_t len,
                              const expectation *e);

/* Runs fn on every input of tests/fuzz/regressions/target. */
static void run_regressions(const char *target, regression_fn fn)
{
	char dir_path[1024];
	snprintf(dir_path, sizeof dir_path, "%s/tests/fuzz/regressions/%s", root(), target);
	DIR *dir = opendir(dir_path);
	if (!dir) {
		cr_log_info("%s: no regression inputs", target);
		return;
	}
	size_t ran = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		const char *name = entry->d_name;
		size_t name_len = strlen(name);
		if (name[0] == '.' || (name_len > 7 && strcmp(name + name_len - 7, ".expect") == 0))
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir_path, name);
		expectation e;
		read_expectation(path, &e);
		size_t len = 0;
		char *input = test_slurp(path, &len);
		cr_assert_not_null(input, "%s cannot be read", path);
		fn(name, input, len, &e);
		free(input);
		ran++;
	}
	closedir(dir);
	cr_log_info("%s: %zu regression inputs", target, ran);
}

/* ---- per target ------------------------------------------------------------ */

static void compile_input(const char *name, const char *input, size_t len, const expectation *e,
                          skr_syntax syntax)
{
	skr_diags diags;
	skr_buffer image = { NULL, 0 };
	skr_diags_init(&diags);
	skr_status status = skr_compile(input, len, syntax, NULL, &diags, &image);
	check_answer(name, e, status, &diags, input, len);
	if (status == SKR_OK) {
		skr_program *program = NULL;
		cr_expect_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK,
		             "%s: the compiled program does not load", name);
		skr_program_free(program);
	}
	skr_buffer_free(&image);
	skr_diags_free(&diags);
}

static void policy_json(const char *name, const char *input, size_t len, const expectation *e)
{
	compile_input(name, input, len, e, SKR_SYNTAX_JSON);
}

static void policy_dsl(const char *name, const char *input, size_t len, const expectation *e)
{
	compile_input(name, input, len, e, SKR_SYNTAX_DSL);
}

static void lint(const char *name, const char *input, size_t len, const expectation *e)
{
	cr_assert_gt(len, 0, "%s: a lint input starts with its syntax byte", name);
	skr_syntax syntax = (input[0] & 1) ? SKR_SYNTAX_DSL : SKR_SYNTAX_JSON;
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_check_policy(input + 1, len - 1, syntax, NULL, &diags);
	check_answer(name, e, status, &diags, input + 1, len - 1);
	skr_diags_free(&diags);
}

static void roundtrip(const char *name, const char *input, size_t len, const expectation *e)
{
	skr_diags diags;
	skr_buffer out = { NULL, 0 };
	skr_diags_init(&diags);
	skr_status status = skr_format(input, len, SKR_SYNTAX_AUTO, SKR_SYNTAX_AUTO, NULL, &diags,
	                               &out);
	check_answer(name, e, status, &diags, input, len);
	skr_buffer_free(&out);
	skr_diags_free(&diags);
}

static void claims(const char *name, const char *input, size_t len, const expectation *e)
{
	skr_diags diags;
	skr_claims *parsed = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_claims_parse(input, len, NULL, &diags, &parsed);
	check_answer(name, e, status, &diags, input, len);
	skr_claims_free(parsed);
	skr_diags_free(&diags);
}

static void trust(const char *name, const char *input, size_t len, const expectation *e)
{
	skr_diags diags;
	skr_trust *store = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_trust_load(input, len, NULL, &diags, &store);
	check_answer(name, e, status, &diags, input, len);
	skr_trust_free(store);
	skr_diags_free(&diags);
}

static void token(const char *name, const char *input, size_t len, const expectation *e)
{
	char path[1024];
	size_t store_len = 0;
	snprintf(path, sizeof path, "%s/examples/keys/test-trust.json", root());
	char *store_text = test_slurp(path, &store_len);
	cr_assert_not_null(store_text, "%s not found", path);
	skr_trust *store = NULL;
	cr_assert_eq(skr_trust_load(store_text, store_len, NULL, NULL, &store), SKR_OK);
	free(store_text);

	skr_verify_options options;
	skr_verify_options_init(&options, NOW);
	skr_diags diags;
	skr_token verified;
	skr_diags_init(&diags);
	skr_token_init(&verified);
	skr_status status = skr_token_verify(store, input, len, &options, &diags, &verified);
	check_answer(name, e, status, &diags, NULL, 0);
	skr_token_clear(&verified);
	skr_diags_free(&diags);
	skr_trust_free(store);
}

static void program_load(const char *name, const char *input, size_t len, const expectation *e)
{
	skr_diags diags;
	skr_program *program = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_program_load(input, len, &diags, &program);
	check_answer(name, e, status, &diags, NULL, 0);
	skr_program_free(program);
	skr_diags_free(&diags);
}

Test(fuzz_regressions, policy_json)
{
	run_regressions("fuzz_policy_json", policy_json);
}

Test(fuzz_regressions, policy_dsl)
{
	run_regressions("fuzz_policy_dsl", policy_dsl);
}

Test(fuzz_regressions, lint)
{
	run_regressions("fuzz_lint", lint);
}

Test(fuzz_regressions, roundtrip)
{
	run_regressions("fuzz_roundtrip", roundtrip);
}

Test(fuzz_regressions, claims)
{
	run_regressions("fuzz_claims", claims);
}

Test(fuzz_regressions, trust)
{
	run_regressions("fuzz_trust", trust);
}

Test(fuzz_regressions, token)
{
	run_regressions("fuzz_token", token);
}

Test(fuzz_regressions, program_load)
{
	run_regressions("fuzz_program_load", program_load);
}
