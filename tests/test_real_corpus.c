/*
 * Real published policies, read from the shared corpus beside the
 * repository (SKR_SHARED, default ../shared): each compiles or fails as the
 * policy language says, and a compiled real policy survives mutation.
 * Every test here prints that it was skipped and passes when the corpus is
 * absent.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "skr.h"
#include "tokens.h"

static const char *shared_dir(void)
{
	const char *dir = getenv("SKR_SHARED");
	return dir && *dir ? dir : "../shared";
}

static int is_real_policy(const char *name)
{
	if (strncmp(name, "kms-", 4) == 0)
		return 0;
	return fnmatch("*policy*.json", name, 0) == 0 || fnmatch("*policy*.jsonc", name, 0) == 0 ||
	       fnmatch("docs-skr-examples-*.json", name, 0) == 0;
}

/* The policies that must fail, with the diagnostic code they must fail on. */
static const char *expected_error(const char *name)
{
	if (strcmp(name, "docs-concept-skr-policy-with-comments.jsonc") == 0)
		return "json-comment";
	if (strcmp(name, "docs-skr-examples-cvm-2-toplevel-allOf.json") == 0)
		return "policy-top-level-allof";
	return NULL;
}

static int has_error(const skr_diags *diags, const char *code)
{
	for (size_t i = 0; i < diags->count; i++) {
		if (diags->items[i].severity == SKR_SEV_ERROR && diags->items[i].code &&
		    strcmp(diags->items[i].code, code) == 0)
			return 1;
	}
	return 0;
}

Test(real_corpus, every_policy_compiles_or_fails_as_specified)
{
	char folder[4096];
	snprintf(folder, sizeof folder, "%s/corpus/real", shared_dir());
	DIR *dir = opendir(folder);
	if (!dir) {
		test_skip("skipped: %s not found", folder);
		return;
	}
	struct dirent *entry;
	int checked = 0;
	while ((entry = readdir(dir)) != NULL) {
		if (!is_real_policy(entry->d_name))
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
		size_t len;
		char *text = test_slurp(path, &len);
		cr_assert_not_null(text, "cannot read %s", path);
		skr_diags diags;
		skr_diags_init(&diags);
		skr_buffer image = { NULL, 0 };
		skr_status status = skr_compile(text, len, SKR_SYNTAX_JSON, NULL, &diags, &image);
		const char *error = expected_error(entry->d_name);
		if (error) {
			cr_expect_eq(status, SKR_E_POLICY, "%s must be rejected", entry->d_name);
			cr_expect(has_error(&diags, error), "%s must fail with %s", entry->d_name, error);
		} else {
			cr_expect_eq(status, SKR_OK, "%s must compile: %s", entry->d_name,
			             diags.count ? diags.items[0].message : "(no diagnostic)");
			skr_program *program = NULL;
			skr_diags load;
			skr_diags_init(&load);
			cr_expect_eq(skr_program_load(image.data, image.len, &load, &program), SKR_OK,
			             "%s must load", entry->d_name);
			skr_program_free(program);
			skr_diags_free(&load);
		}
		checked++;
		skr_buffer_free(&image);
		skr_diags_free(&diags);
		free(text);
	}
	closedir(dir);
	cr_log_info("real policies checked: %d", checked);
	cr_assert_geq(checked, 15, "expected the real corpus to hold at least 15 policies");
}

/* Claims of every shared decision case that has a claims.json. */
typedef struct claims_set {
	skr_claims *items[64];
	const char *issuers[64];
	size_t issuer_lens[64];
	int count;
} claims_set;

static void load_case_claims(claims_set *set)
{
	char folder[4096];
	snprintf(folder, sizeof folder, "%s/cases", shared_dir());
	DIR *dir = opendir(folder);
	set->count = 0;
	if (!dir)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL && set->count < 64) {
		if (entry->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s/claims.json", folder, entry->d_name);
		size_t len;
		char *text = test_slurp(path, &len);
		if (!text)
			continue;
		skr_claims *claims = NULL;
		if (skr_claims_parse(text, len, NULL, NULL, &claims) == SKR_OK) {
			set->items[set->count] = claims;
			if (!skr_claims_issuer(claims, &set->issuers[set->count], &set->issuer_lens[set->count])) {
				set->issuers[set->count] = "";
				set->issuer_lens[set->count] = 0;
			}
			set->count++;
		}
		free(text);
	}
	closedir(dir);
}

/* Every single-bit flip of a compiled real policy, with the checksum
 * recomputed so the verifier is reached, is either rejected or runs on
 * every shared claims case without incident. */
Test(real_corpus, checksum_fixed_mutants_are_rejected_or_run)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/corpus/real/cvm-skr-policy-2026-03.json", shared_dir());
	size_t len;
	char *text = test_slurp(path, &len);
	if (!text) {
		test_skip("skipped: %s not found", path);
		return;
	}
	skr_buffer image = { NULL, 0 };
	cr_assert_eq(skr_compile(text, len, SKR_SYNTAX_JSON, NULL, NULL, &image), SKR_OK);
	claims_set set;
	load_case_claims(&set);
	cr_assert_gt(set.count, 0);

	uint8_t *copy = malloc(image.len);
	size_t rejected = 0, accepted = 0;
	for (size_t i = 0; i < image.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, image.data, image.len);
			copy[i] ^= (uint8_t)(1u << bit);
			skr_wr32(copy + 12, skr_image_checksum(copy, image.len));
			skr_program *program = NULL;
			skr_diags diags;
			skr_diags_init(&diags);
			if (skr_program_load(copy, image.len, &diags, &program) != SKR_OK) {
				cr_assert_gt(diags.errors, 0);
				rejected++;
			} else {
				accepted++;
				for (int c = 0; c < set.count; c++) {
					skr_result result;
					cr_assert_eq(skr_evaluate(program, set.items[c], set.issuers[c],
					                          set.issuer_lens[c], NULL, &result), SKR_OK);
				}
			}
			skr_program_free(program);
			skr_diags_free(&diags);
		}
	}
	fprintf(stderr, "real_corpus: %zu-byte program of cvm-skr-policy-2026-03.json: %zu "
	        "checksum-fixed bit flips rejected by the verifier, %zu accepted and run on %d claims cases\n",
	        image.len, rejected, accepted, set.count);
	for (int c = 0; c < set.count; c++)
		skr_claims_free(set.items[c]);
	free(copy);
	skr_buffer_free(&image);
	free(text);
}
