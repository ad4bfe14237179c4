/*
 * Fuzz target: the JSON policy front end. Each input is policy text given
 * to skr_compile as JSON. A compiled policy must load, run on claims built
 * from its own paths and constants, and decide as the reference evaluator
 * (tests/ref_eval.c) decides; the reference must also agree on whether the
 * policy is valid, apart from the rules only the product applies
 * (fz_only_product_rules).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "program.h"
#include "ref_eval.h"
#include "skr.h"
#include "support.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

/* Decides the claims of each variant with the product and the reference,
 * for every authority of the program and a foreign issuer. */
static void compare_decisions(const skr_program *program, const json_t *policy)
{
	for (unsigned k = 0; k < 4; k++) {
		size_t len = 0;
		char *text = fz_program_claims_json(program, k, &len);
		if (!text)
			continue;
		skr_claims *claims = NULL;
		json_t *ref_claims = json_loadb(text, len, LOAD_FLAGS, NULL);
		if (skr_claims_parse(text, len, NULL, NULL, &claims) != SKR_OK || !ref_claims) {
			skr_claims_free(claims);
			json_decref(ref_claims);
			free(text);
			continue;
		}
		uint32_t issuers = program->authority_count < 4 ? program->authority_count : 4;
		for (uint32_t a = 0; a <= issuers; a++) {
			const char *issuer = "https://foreign.skr.example";
			size_t issuer_len = strlen(issuer);
			if (a < issuers) {
				issuer = program->authorities[a].text;
				issuer_len = program->authorities[a].len;
			}
			skr_result result;
			int ref_entry = -1;
			FZ_CHECK(skr_evaluate(program, claims, issuer, issuer_len, NULL, &result) == SKR_OK,
			         "skr_evaluate failed");
			int ref = ref_evaluate(policy, ref_claims, issuer, issuer_len, &ref_entry);
			int product = result.decision == SKR_RELEASE ? 0 : 1;
			FZ_CHECK(ref == product && ref_entry == result.entry,
			         "decision on claims %s for issuer %.*s: product %d entry %d, reference %d "
			         "entry %d", text, (int)issuer_len, issuer, product, (int)result.entry, ref,
			         ref_entry);
		}
		skr_claims_free(claims);
		json_decref(ref_claims);
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	skr_program *program = NULL;
	skr_diags diags;
	skr_status status = fz_compile_checked(src, size, SKR_SYNTAX_JSON, NULL, &diags, NULL, &program);
	int product_only = fz_only_product_rules(&diags);
	skr_diags_free(&diags);
	if (status == SKR_E_NOMEM)
		return 0;

	/* jansson 2.14 skips a raw NUL byte that follows a number or a literal
	 * ("false\0}"), so it cannot judge text holding one. Strict JSON never
	 * contains a raw NUL, and the product must reject it. */
	if (memchr(src, 0, size) != NULL) {
		FZ_CHECK(status != SKR_OK, "accepted a policy holding a raw NUL byte");
		skr_program_free(program);
		return 0;
	}

	/* jansson does not skip a byte-order mark; the product does. */
	size_t skip = size >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	json_error_t error;
	json_t *policy = json_loadb(src + skip, size - skip, LOAD_FLAGS, &error);
	int ref_accepts = policy && ref_policy_check(policy) == 0;
	FZ_CHECK(ref_accepts == (status == SKR_OK) || (ref_accepts && product_only),
	         "policy: product %s, reference %s (%s)",
	         status == SKR_OK ? "accepts" : "rejects", ref_accepts ? "accepts" : "rejects",
	         policy ? "checked" : error.text);

	if (program) {
		fz_exercise_program(program);
		compare_decisions(program, policy);
	}
	skr_program_free(program);
	json_decref(policy);
	return 0;
}
