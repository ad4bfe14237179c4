/*
 * The policy linter: golden files, the registry of MAA claims, the check
 * API, and the known findings on the real policies and decision cases of
 * the shared corpus.
 *
 * Each golden input tests/lint/NAME.json has its diagnostics in NAME.out,
 * as `skr check tests/lint/NAME.json` prints them on standard error, and
 * SKR_UPDATE_GOLDEN=1 rewrites the .out files. The corpus lives in
 * SKR_SHARED (default ../shared), and its tests print a skip message and
 * pass when it is absent.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "lint.h"
#include "skr.h"
#include "tokens.h"

#define LINT_GOLDEN_DIR "tests/lint"
#define LINT_REGISTRY_FILE "data/maa-claims.json"

static const char *lint_shared_dir(void)
{
	const char *dir = getenv("SKR_SHARED");
	return dir && *dir ? dir : "../shared";
}

static char *lint_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *data = malloc(cap + 1);
	while (data) {
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
		size_t got = fread(data + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	if (data) {
		data[n] = '\0';
		*len = n;
	}
	return data;
}

/* Renders every diagnostic as skr check prints it, one after another. */
static char *render_all(const skr_diags *diags, const char *name, const char *src, size_t len)
{
	size_t cap = 1, used = 0;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	out[0] = '\0';
	for (size_t i = 0; i < diags->count; i++) {
		size_t need = skr_diag_render(&diags->items[i], name, src, len, NULL, 0);
		char *bigger = realloc(out, used + need + 2);
		cr_assert_not_null(bigger);
		out = bigger;
		skr_diag_render(&diags->items[i], name, src, len, out + used, need + 1);
		used += need;
		out[used++] = '\n';
		out[used] = '\0';
	}
	return out;
}

/* Warning codes in order, joined with ',' (notes and errors left out). */
static void warning_codes(const skr_diags *diags, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < diags->count; i++) {
		const skr_diag *d = &diags->items[i];
		if (d->severity != SKR_SEV_WARNING)
			continue;
		int w = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", d->code ? d->code : "?");
		if (w > 0 && (size_t)w < cap - used)
			used += (size_t)w;
	}
}

static const skr_diag *find_warning(const skr_diags *diags, const char *code)
{
	for (size_t i = 0; i < diags->count; i++) {
		const skr_diag *d = &diags->items[i];
		if (d->severity == SKR_SEV_WARNING && d->code && strcmp(d->code, code) == 0)
			return d;
	}
	return NULL;
}

static skr_status check_text(const char *text, skr_diags *diags)
{
	skr_diags_init(diags);
	return skr_check_policy(text, strlen(text), SKR_SYNTAX_JSON, NULL, diags);
}

static int has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return n >= s && strcmp(name + n - s, suffix) == 0;
}

/* ---- the registry ------------------------------------------------------- */

Test(lint_registry, embedded_copy_matches_file)
{
	size_t len = 0;
	char *file = lint_read_file(LINT_REGISTRY_FILE, &len);
	cr_assert_not_null(file, "cannot read %s (run the tests from the repository root)",
	                   LINT_REGISTRY_FILE);
	cr_expect_eq(len, skr_registry_json_len,
	             "compiler/registry_data.c is out of date; run tools/embed-registry.sh");
	cr_expect(len == skr_registry_json_len && memcmp(file, skr_registry_json, len) == 0,
	          "compiler/registry_data.c differs from %s; run tools/embed-registry.sh",
	          LINT_REGISTRY_FILE);
	free(file);
}

Test(lint_registry, builtin_registry_loads)
{
	char error[256];
	skr_registry *reg = NULL;
	skr_status status = skr_registry_load_builtin(&reg, error, sizeof error);
	cr_assert_eq(status, SKR_OK, "built-in registry: %s", error);
	cr_expect_eq(reg->type_count, 6);
	cr_expect_geq(reg->claim_count, 100);
	cr_expect_geq(skr_registry_type_index(reg, "azurevm", 7), 0);
	cr_expect_eq(skr_registry_type_index(reg, "AzureVM", 7), -1);
	cr_expect_str_eq(reg->isolation_claim.str, "x-ms-isolation-tee");
	cr_expect_str_eq(reg->compliance_claim.str, "x-ms-compliance-status");
	cr_expect_eq(reg->domain_count, 2);
	skr_registry_free(reg);
}

Test(lint_registry, claims_are_where_tokens_carry_them)
{
	skr_registry *reg = NULL;
	cr_assert_eq(skr_registry_load_builtin(&reg, NULL, 0), SKR_OK);
	skr_type_set snp = 1u << skr_registry_type_index(reg, "sevsnpvm", 8);
	skr_type_set guest = 1u << skr_registry_type_index(reg, "azurevm", 7);
	const skr_reg_claim *iso = skr_registry_member(reg, NULL, "x-ms-isolation-tee", 18);
	cr_assert_not_null(iso);
	cr_expect(iso->at == guest);

	const skr_reg_claim *debuggable = skr_registry_member(reg, NULL, "x-ms-sevsnpvm-is-debuggable", 27);
	cr_assert_not_null(debuggable);
	cr_expect(debuggable->at == snp);
	cr_expect(debuggable->tee & snp);
	cr_expect_eq(debuggable->type, SKR_CLAIM_BOOLEAN);
	cr_expect_eq(debuggable->debug_off, SKR_DEBUG_OFF_FALSE);

	/* Under the isolation claim only the claims guest tokens nest there
	 * are members. */
	cr_expect_not_null(skr_registry_member(reg, iso, "x-ms-compliance-status", 22));
	cr_expect_null(skr_registry_member(reg, iso, "x-ms-azurevm-vmid", 17));
	cr_expect_null(skr_registry_member(reg, iso, "x-ms-isolation-tee", 18));

	const skr_reg_claim *runtime = skr_registry_member(reg, NULL, "x-ms-runtime", 12);
	cr_assert_not_null(runtime);
	cr_expect(runtime->open);
	const skr_reg_claim *config = skr_registry_member(reg, runtime, "vm-configuration", 16);
	cr_assert_not_null(config);
	const skr_reg_claim *boot = skr_registry_member(reg, config, "secure-boot", 11);
	cr_assert_not_null(boot);
	cr_expect_eq(boot->type, SKR_CLAIM_BOOLEAN);
	skr_registry_free(reg);
}

Test(lint_registry, nearest_member_finds_misspellings)
{
	static const struct {
		const char *written;
		const char *meant;  /* NULL: nothing close */
	} cases[] = {
		{ "x_ms_isolation_tee", "x-ms-isolation-tee" },
		{ "X-MS-ATTESTATION-TYPE", "x-ms-attestation-type" },
		{ "x-ms-sevsnpvm-guest-svn", "x-ms-sevsnpvm-guestsvn" },
		{ "x-ms-sevsnpvm-familyid", "x-ms-sevsnpvm-familyId" },
		{ "tdx-mrtd", "tdx_mrtd" },
		{ "x-ms-compliance-stauts", "x-ms-compliance-status" },
		{ "my-application-flag", NULL },
		{ "iss", "iss" },
		{ "isz", NULL },
	};
	skr_registry *reg = NULL;
	cr_assert_eq(skr_registry_load_builtin(&reg, NULL, 0), SKR_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const skr_reg_claim *c = skr_registry_nearest_member(reg, NULL, cases[i].written,
		                                                     strlen(cases[i].written));
		if (!cases[i].meant)
			cr_expect_null(c, "%s: expected no suggestion, got %s", cases[i].written,
			               c ? c->name.str : "");
		else
			cr_expect(c && strcmp(c->name.str, cases[i].meant) == 0, "%s: expected %s, got %s",
			          cases[i].written, cases[i].meant, c ? c->name.str : "nothing");
	}
	skr_registry_free(reg);
}

Test(lint_registry, name_distance)
{
	static const struct {
		const char *a, *b;
		size_t cap, expected;
	} cases[] = {
		{ "abc", "abc", 2, 0 },   { "a_b", "A-B", 2, 0 }, { "abc", "abd", 2, 1 },
		{ "abc", "ab", 2, 1 },    { "abc", "xyz", 2, 3 }, { "", "ab", 5, 2 },
		{ "kitten", "sitting", 5, 3 }, { "kitten", "sitting", 2, 3 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t d = skr_name_distance(cases[i].a, strlen(cases[i].a), cases[i].b, strlen(cases[i].b),
		                             cases[i].cap);
		cr_expect_eq(d, cases[i].expected, "%s / %s (cap %zu): %zu", cases[i].a, cases[i].b,
		             cases[i].cap, d);
	}
}

Test(lint_registry, domains_and_regions)
{
	skr_registry *reg = NULL;
	cr_assert_eq(skr_registry_load_builtin(&reg, NULL, 0), SKR_OK);
	const char *host = "sharedweu.weu.attest.azure.net";
	const skr_reg_domain *d = skr_registry_domain(reg, host, strlen(host));
	cr_assert_not_null(d);
	cr_expect_str_eq(d->suffix.str, "attest.azure.net");
	cr_expect_geq(skr_registry_region(d->regions, "weu", 3), 0);
	cr_expect_eq(skr_registry_region(d->regions, "weu2", 4), -1);
	int near = skr_registry_nearest_region(d->regions, "wuss", 4);
	cr_assert_geq(near, 0);
	cr_expect_str_eq(d->regions->codes[near].str, "wus");

	host = "SHAREDUGV.UGV.ATTEST.AZURE.US";
	d = skr_registry_domain(reg, host, strlen(host));
	cr_assert_not_null(d);
	cr_expect_geq(skr_registry_region(d->regions, "ugv", 3), 0);

	static const char *const not_maa[] = { "attest.azure.net", "evilattest.azure.net",
		                                "sharedweu.weu.attest.azure.net.example.com",
		                                "attest.example.test" };
	for (size_t i = 0; i < sizeof not_maa / sizeof not_maa[0]; i++)
		cr_expect_null(skr_registry_domain(reg, not_maa[i], strlen(not_maa[i])), "%s", not_maa[i]);
	skr_registry_free(reg);
}

Test(lint_registry, schema_errors_are_named)
{
	static const struct {
		const char *json;
		const char *error;
	} cases[] = {
		{ "[]", "must be a JSON object" },
		{ "{\"a\": 1, \"a\": 2}", "invalid JSON" },
		{ "{}", "attestation_types" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"text\", \"at\": \"*\"}}}",
		  "claim k: \"type\" must be one of" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"string\", \"at\": [\"u\"]}}}",
		  "lists u, which is not in \"attestation_types\"" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"string\"}}}",
		  "a top-level claim needs \"at\"" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"string\", \"at\": \"*\","
		  " \"colour\": 1}}}",
		  "claim k: unknown member \"colour\"" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"boolean\", \"at\": \"*\","
		  " \"hex\": 64}}}",
		  "\"hex\" must be a positive digit count on a string claim" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"string\", \"at\": \"*\"}},"
		  " \"providers\": {\"shared_prefix\": \"s\", \"region_sets\": {\"p\": {\"r\": \"R\"}},"
		  " \"domains\": [{\"suffix\": \"x.test\", \"regions\": \"q\"}]}}",
		  "domain x.test must name one of \"region_sets\"" },
		{ "{\"attestation_types\": {\"t\": \"\"}, \"type_claim\": \"k\", \"isolation_claim\": \"i\","
		  " \"compliance_claim\": \"c\", \"claims\": {\"k\": {\"type\": \"string\", \"at\": \"*\"}},"
		  " \"providers\": {\"shared_prefix\": \"s\", \"region_sets\": {\"p\": {\"r\": \"R\"}},"
		  " \"domains\": [{\"suffix\": \"x.test\", \"regions\": \"p\"}]}}",
		  "\"isolation_claim\" must name an object claim" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char error[256];
		skr_registry *reg = NULL;
		skr_status status = skr_registry_load(cases[i].json, strlen(cases[i].json), &reg, error,
		                                      sizeof error);
		cr_expect_eq(status, SKR_E_INTERNAL, "case %zu loaded", i);
		cr_expect_null(reg);
		cr_expect(strstr(error, cases[i].error) != NULL, "case %zu: expected \"%s\" in \"%s\"", i,
		          cases[i].error, error);
	}
}

/* ---- golden files ------------------------------------------------------- */

Test(lint_golden, every_input_matches_its_output)
{
	DIR *dir = opendir(LINT_GOLDEN_DIR);
	cr_assert_not_null(dir, "cannot open %s (run the tests from the repository root)", LINT_GOLDEN_DIR);
	int update = getenv("SKR_UPDATE_GOLDEN") && strcmp(getenv("SKR_UPDATE_GOLDEN"), "1") == 0;
	size_t files = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		if (!has_suffix(ent->d_name, ".json"))
			continue;
		char input[1024], output[1024];
		snprintf(input, sizeof input, "%s/%s", LINT_GOLDEN_DIR, ent->d_name);
		snprintf(output, sizeof output, "%s/%.*s.out", LINT_GOLDEN_DIR,
		         (int)(strlen(ent->d_name) - 5), ent->d_name);
		size_t len = 0;
		char *src = lint_read_file(input, &len);
		cr_assert_not_null(src, "cannot read %s", input);
		skr_diags diags;
		skr_diags_init(&diags);
		skr_status status = skr_check_policy(src, len, SKR_SYNTAX_JSON, NULL, &diags);
		cr_expect_eq(status, SKR_OK, "%s: %s", input, skr_status_name(status));
		cr_expect_eq(diags.errors, 0, "%s has errors", input);
		char *actual = render_all(&diags, input, src, len);
		if (update) {
			FILE *f = fopen(output, "wb");
			cr_assert_not_null(f, "cannot write %s", output);
			fputs(actual, f);
			fclose(f);
		} else {
			size_t expected_len = 0;
			char *expected = lint_read_file(output, &expected_len);
			cr_expect_not_null(expected, "%s has no expected output %s", input, output);
			if (expected)
				cr_expect_str_eq(actual, expected, "%s: diagnostics differ from %s", input, output);
			free(expected);
		}
		free(actual);
		skr_diags_free(&diags);
		free(src);
		files++;
	}
	closedir(dir);
	cr_expect_geq(files, 10, "only %zu golden inputs in %s", files, LINT_GOLDEN_DIR);
}

Test(lint_golden, every_rule_is_pinned)
{
	static const char *const codes[] = {
		"lint-unknown-claim",      "lint-wrong-place",        "lint-value-case",
		"lint-unknown-value",      "lint-value-format",       "lint-string-for-boolean",
		"lint-string-for-number",  "lint-ordering-on-string", "lint-type-mismatch",
		"lint-contradiction",      "lint-duplicate",          "lint-redundant-entry",
		"lint-authority-region",   "lint-unknown-region",     "lint-no-debug-or-compliance-check",
	};
	DIR *dir = opendir(LINT_GOLDEN_DIR);
	cr_assert_not_null(dir);
	int found[sizeof codes / sizeof codes[0]] = { 0 };
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		if (!has_suffix(ent->d_name, ".out"))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", LINT_GOLDEN_DIR, ent->d_name);
		size_t len;
		char *text = lint_read_file(path, &len);
		cr_assert_not_null(text);
		for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
			char tag[64];
			snprintf(tag, sizeof tag, "[%s]", codes[i]);
			found[i] |= strstr(text, tag) != NULL;
		}
		free(text);
	}
	closedir(dir);
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		cr_expect(found[i], "no golden output shows %s", codes[i]);
}

/* ---- the check API ------------------------------------------------------ */

Test(lint_api, invalid_policy_gets_errors_and_no_lint)
{
	skr_diags diags;
	skr_status status = check_text("{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": "
	                               "\"https://sharedeus2.weu2.attest.azure.net\", \"allOf\": []}]}",
	                               &diags);
	cr_expect_eq(status, SKR_E_POLICY);
	cr_expect_gt(diags.errors, 0);
	cr_expect_null(find_warning(&diags, "lint-authority-region"));
	skr_diags_free(&diags);
}

Test(lint_api, works_without_diags)
{
	const char *text = "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"https://a.example\","
	                   " \"allOf\": [{\"claim\": \"x\", \"equals\": 1}]}]}";
	cr_expect_eq(skr_check_policy(text, strlen(text), SKR_SYNTAX_AUTO, NULL, NULL), SKR_OK);
	cr_expect_eq(skr_check_policy(NULL, 5, SKR_SYNTAX_JSON, NULL, NULL), SKR_E_USAGE);
}

Test(lint_api, warnings_keep_the_program_and_the_decision)
{
	const char *text = "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": "
	                   "\"https://sharedeus2.eus2.attest.azure.net\", \"allOf\": ["
	                   "{\"claim\": \"x-ms-sevsnpvm-is-debuggable\", \"equals\": \"false\"},"
	                   "{\"claim\": \"x-ms-sevsnpvm-vmpl\", \"equals\": \"0\"}]}]}";
	skr_buffer before = { NULL, 0 }, after = { NULL, 0 };
	cr_assert_eq(skr_compile(text, strlen(text), SKR_SYNTAX_JSON, NULL, NULL, &before), SKR_OK);
	skr_diags diags;
	cr_assert_eq(check_text(text, &diags), SKR_OK);
	cr_expect_eq(diags.warnings, 2);
	cr_assert_eq(skr_compile(text, strlen(text), SKR_SYNTAX_JSON, NULL, NULL, &after), SKR_OK);
	cr_expect_eq(before.len, after.len);
	cr_expect(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);

	/* The string values still compare as the boolean and the number. */
	skr_program *program = NULL;
	cr_assert_eq(skr_program_load(after.data, after.len, NULL, &program), SKR_OK);
	const char *claims_json = "{\"iss\": \"https://sharedeus2.eus2.attest.azure.net\","
	                          " \"x-ms-sevsnpvm-is-debuggable\": false, \"x-ms-sevsnpvm-vmpl\": 0}";
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse(claims_json, strlen(claims_json), NULL, NULL, &claims), SKR_OK);
	skr_result result;
	const char *issuer = "https://sharedeus2.eus2.attest.azure.net";
	cr_assert_eq(skr_evaluate(program, claims, issuer, strlen(issuer), NULL, &result), SKR_OK);
	cr_expect_eq(result.decision, SKR_RELEASE);
	skr_claims_free(claims);
	skr_program_free(program);
	skr_buffer_free(&before);
	skr_buffer_free(&after);
	skr_diags_free(&diags);
}

Test(lint_api, notes_follow_their_warning)
{
	const char *text = "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"https://a.example\","
	                   " \"allOf\": [{\"claim\": \"x\", \"less\": 2}, {\"claim\": \"x\", \"greater\": 5}]}]}";
	skr_diags diags;
	cr_assert_eq(check_text(text, &diags), SKR_OK);
	cr_assert_eq(diags.count, 2);
	cr_expect_eq(diags.warnings, 1);
	cr_expect_str_eq(diags.items[0].code, "lint-contradiction");
	cr_expect_eq(diags.items[1].severity, SKR_SEV_NOTE);
	cr_expect_lt(diags.items[1].offset, diags.items[0].offset);
	skr_diags_free(&diags);
}

/* Writes a policy with one entry of count conditions on one claim. */
static char *big_policy(size_t count, const char *condition_fmt)
{
	size_t cap = 256 + count * 96;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	size_t n = (size_t)snprintf(text, cap,
	                            "{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"https://a.example\", \"allOf\": [");
	for (size_t i = 0; i < count; i++) {
		n += (size_t)snprintf(text + n, cap - n, "%s", i ? ", " : "");
		n += (size_t)snprintf(text + n, cap - n, condition_fmt, i);
	}
	snprintf(text + n, cap - n, "]}]}");
	return text;
}

Test(lint_api, large_groups_finish)
{
	/* 20000 conditions on one claim: contradictions are found by sorting,
	 * not by comparing every pair. */
	char *text = big_policy(20000, "{\"claim\": \"x\", \"greaterOrEquals\": %zu}");
	skr_diags diags;
	cr_assert_eq(check_text(text, &diags), SKR_OK);
	cr_expect_eq(diags.warnings, 0);
	skr_diags_free(&diags);
	free(text);

	/* 20000 equal conditions: every one after the first is a duplicate. */
	text = big_policy(20000, "{\"claim\": \"x\", \"equals\": 1}");
	cr_assert_eq(check_text(text, &diags), SKR_OK);
	cr_expect_eq(diags.warnings, 19999);
	skr_diags_free(&diags);
	free(text);
}

Test(lint_api, many_entries_for_one_authority_finish)
{
	/* 4000 different entries for one authority make 8 million pairs to
	 * compare; the comparison budget bounds the work. */
	size_t count = 4000, cap = 256 + count * 160;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	size_t n = (size_t)snprintf(text, cap, "{\"version\": \"1.0.0\", \"anyOf\": [");
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "%s{\"authority\": \"https://a.example\", \"anyOf\": [{\"claim\": \"c%zu\", \"exists\": true}]}",
		                      i ? ", " : "", i);
	snprintf(text + n, cap - n, "]}");
	skr_diags diags;
	cr_assert_eq(check_text(text, &diags), SKR_OK);
	cr_expect_eq(diags.warnings, 0);
	skr_diags_free(&diags);
	free(text);
}

/* ---- the shared corpus -------------------------------------------------- */

static int check_file(const char *path, skr_diags *diags, char **src_out, size_t *len_out)
{
	size_t len = 0;
	char *src = lint_read_file(path, &len);
	if (!src)
		return -1;
	skr_diags_init(diags);
	skr_status status = skr_check_policy(src, len, SKR_SYNTAX_JSON, NULL, diags);
	if (src_out) {
		*src_out = src;
		*len_out = len;
	} else {
		free(src);
	}
	return (int)status;
}

Test(lint_corpus, real_policies_show_only_known_findings)
{
	/* Every warning here was judged a true finding, for the reason in the
	 * comment beside it. */
	static const struct {
		const char *file;
		const char *codes;
	} expected[] = {
		{ "blog-cvm-release-policy.json", "" },
		{ "cvm-datadisk-skr-policy.json", "" },
		{ "cvm-skr-app-readme-policy-azure.json", "" },
		/* "false" for the boolean x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable */
		{ "cvm-skr-app-readme-policy-azurelocal.json", "lint-string-for-boolean" },
		{ "cvm-skr-policy-2022-10.json", "" },
		{ "cvm-skr-policy-2023-11-before-size-reduction.json", "" },
		/* the second sharedfrs entry (sevsnpvm only) adds nothing to the first */
		{ "cvm-skr-policy-2026-03.json", "lint-redundant-entry" },
		/* a mock issuer, so only the logic rules apply */
		{ "mhsm-sdk-test-policy-as-returned.json", "" },
		{ "mhsm-sdk-test-policy-as-submitted.json", "" },
		/* version 0.2; hostdata masked as "aaa7***7cc09d", which no token
		 * holds; "false" for a boolean */
		{ "sidecar-importkey-policy-v0.2-2023.json",
		  "policy-legacy-version,lint-value-format,lint-string-for-boolean" },
		{ "docs-skr-examples-aci-1.json", "" },
		/* sharedeus2.weu2: no such provider */
		{ "docs-skr-examples-cvm-1.json", "lint-authority-region" },
		/* SGX entries on mrsigner alone release to debug enclaves too */
		{ "docs-skr-examples-sgx-1.json", "lint-no-debug-or-compliance-check" },
		/* and their mrenclave is 45 characters with non-hex letters */
		{ "docs-skr-examples-sgx-2.json", "lint-no-debug-or-compliance-check,lint-value-format" },
		{ "docs-skr-examples-sgx-3.json", "lint-no-debug-or-compliance-check,lint-value-format" },
	};
	char folder[1024];
	snprintf(folder, sizeof folder, "%s/corpus/real", lint_shared_dir());
	DIR *dir = opendir(folder);
	if (!dir) {
		test_skip("skipped: %s not found", folder);
		return;
	}
	closedir(dir);
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", folder, expected[i].file);
		skr_diags diags;
		int status = check_file(path, &diags, NULL, NULL);
		cr_expect_eq(status, SKR_OK, "%s: status %d", path, status);
		char codes[512];
		warning_codes(&diags, codes, sizeof codes);
		cr_expect_str_eq(codes, expected[i].codes, "%s", expected[i].file);
		skr_diags_free(&diags);
	}
}

Test(lint_corpus, real_findings_point_at_the_mistake)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/corpus/real/docs-skr-examples-cvm-1.json", lint_shared_dir());
	skr_diags diags;
	if (check_file(path, &diags, NULL, NULL) < 0) {
		test_skip("skipped: %s not found", path);
		return;
	}
	const skr_diag *d = find_warning(&diags, "lint-authority-region");
	cr_assert_not_null(d);
	cr_expect_eq(d->line, 18);
	cr_expect(strstr(d->message, "https://sharedeus2.eus2.attest.azure.net") != NULL, "%s", d->message);
	skr_diags_free(&diags);

	/* The official CVM policy lists sharedfrs twice; the second entry
	 * allows only sevsnpvm, so the first releases whenever it does. */
	snprintf(path, sizeof path, "%s/corpus/real/cvm-skr-policy-2026-03.json", lint_shared_dir());
	cr_assert_geq(check_file(path, &diags, NULL, NULL), 0);
	d = find_warning(&diags, "lint-redundant-entry");
	cr_assert_not_null(d);
	cr_expect_eq(d->line, 1197);
	cr_expect_eq(diags.warnings, 1);
	skr_diags_free(&diags);
}

Test(lint_corpus, decision_cases_get_their_warnings)
{
	char folder[1024];
	snprintf(folder, sizeof folder, "%s/cases", lint_shared_dir());
	DIR *dir = opendir(folder);
	if (!dir) {
		test_skip("skipped: %s not found", folder);
		return;
	}
	closedir(dir);
	char path[2048];
	skr_diags diags;

	snprintf(path, sizeof path, "%s/B13-underscore-vs-hyphen/policy.json", folder);
	cr_assert_eq(check_file(path, &diags, NULL, NULL), SKR_OK);
	const skr_diag *d = find_warning(&diags, "lint-unknown-claim");
	cr_assert_not_null(d, "B13: no lint-unknown-claim");
	cr_expect(strstr(d->message, "did you mean \"x-ms-isolation-tee.x-ms-attestation-type\"") != NULL,
	          "B13: %s", d->message);
	skr_diags_free(&diags);

	/* B12's policy requires platform tokens (sevsnpvm or tdxvm), which do
	 * carry these claims at the top level. The case denies because its
	 * claims come from a guest token, and tokens are no input of a linter. */
	snprintf(path, sizeof path, "%s/B12-top-level-claims-vs-guest-token/policy.json", folder);
	cr_assert_eq(check_file(path, &diags, NULL, NULL), SKR_OK);
	cr_expect_null(find_warning(&diags, "lint-wrong-place"));
	cr_expect_eq(diags.warnings, 0);
	skr_diags_free(&diags);

	snprintf(path, sizeof path, "%s/B10-authority-typo/policy.json", folder);
	cr_assert_eq(check_file(path, &diags, NULL, NULL), SKR_OK);
	d = find_warning(&diags, "lint-authority-region");
	cr_assert_not_null(d, "B10: no lint-authority-region");
	cr_expect(strstr(d->message, "sharedeus2") != NULL, "B10: %s", d->message);
	cr_expect_eq(diags.warnings, 1);
	skr_diags_free(&diags);

	snprintf(path, sizeof path, "%s/B6-string-values-vs-bool-and-number/policy.json", folder);
	cr_assert_eq(check_file(path, &diags, NULL, NULL), SKR_OK);
	char codes[512];
	warning_codes(&diags, codes, sizeof codes);
	cr_expect_str_eq(codes, "lint-string-for-boolean,lint-string-for-number");
	skr_diags_free(&diags);
}
