/*
 * Randomized differential test: generated policies and claim sets are
 * decided by the product (compile, load, parse claims, evaluate) and by the
 * reference evaluator, and every decision and released entry must agree.
 * Invalid policies and claim sets, which the generator makes on purpose,
 * must be rejected by both sides.
 *
 * SKR_DIFF_PAIRS sets the number of policy / claim-set pairs (default
 * 200000) and SKR_DIFF_SEED the first policy seed. Each policy is compiled
 * once and decided on CLAIMS_PER_POLICY claim sets, so a failure reported
 * for seed S is reproduced by SKR_DIFF_SEED=S SKR_DIFF_PAIRS=8.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_policy.h"
#include "ref_eval.h"
#include "skr.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)
#define DEFAULT_PAIRS 200000u
#define DEFAULT_SEED 0x736b72u
#define CLAIMS_PER_POLICY 8u
#define MAX_REPORTS_PER_KIND 3u
/* Below this many pairs an empty coverage cell is expected and not an
 * error, so that a failure can be reproduced with a handful of pairs. */
#define MIN_PAIRS_FOR_COVERAGE 20000u

/* Kinds of disagreement, counted and reported apart so that a frequent
 * one does not hide the others. */
typedef enum disagreement {
	DISAGREE_POLICY = 0,    /* validity of a policy */
	DISAGREE_PROGRAM,       /* skr_program_load rejects what skr_compile made */
	DISAGREE_CLAIMS,        /* validity of a claim set */
	DISAGREE_EVALUATE,      /* skr_evaluate returned an error */
	DISAGREE_DECISION,      /* decision or released entry */
	DISAGREE_GENERATOR,     /* the reference accepts input made invalid on purpose */
	DISAGREE_COUNT
} disagreement;

static const char *const disagreement_names[DISAGREE_COUNT] = {
	"policy validity", "program load", "claims validity", "evaluate error", "decision",
	"generator fault accepted by the reference",
};

typedef struct diff_run {
	uint64_t pairs;
	uint64_t policies;
	uint64_t policies_rejected;   /* invalid policies both sides rejected */
	uint64_t claims_rejected;     /* invalid claim sets both sides rejected */
	uint64_t releases;
	uint64_t denials;
	uint64_t disagreements;
	uint64_t by_kind[DISAGREE_COUNT];
	ref_coverage coverage;
	/* the pair being checked, for reports */
	uint64_t seed;
	uint32_t claims_index;
	const gen_text *policy;
	const gen_text *claims;
	const gen_text *issuer;
} diff_run;

static uint64_t env_u64(const char *name, uint64_t fallback)
{
	const char *text = getenv(name);
	if (text == NULL || *text == '\0')
		return fallback;
	char *end = NULL;
	unsigned long long value = strtoull(text, &end, 0);
	cr_assert(end != NULL && *end == '\0', "%s=%s is not a number", name, text);
	return value;
}

static void print_bytes(const char *label, const gen_text *text)
{
	fprintf(stderr, "  %s (%zu bytes): ", label, text->len);
	fwrite(text->data, 1, text->len, stderr);
	fputc('\n', stderr);
}

static void print_diags(const char *label, const skr_diags *diags)
{
	for (size_t i = 0; i < diags->count && i < 3; i++)
		fprintf(stderr, "  %s diagnostic: %s (%s at byte %zu)\n", label,
		        diags->items[i].message, diags->items[i].code, diags->items[i].offset);
}

/* Names what the reference made of an input: the jansson error when it
 * failed to load, else the generator's fault, else "valid". */
static const char *reference_reason(const json_t *loaded, const json_error_t *error,
                                    const char *fault)
{
	if (loaded == NULL)
		return error->text;
	if (fault != NULL)
		return fault;
	return "valid";
}

static const char *decision_name(int decision)
{
	if (decision == 0)
		return "release";
	if (decision == 1)
		return "deny";
	return "invalid";
}

/* Reports one disagreement with everything needed to reproduce it. */
static void report(diff_run *run, disagreement kind, const char *message, const skr_diags *diags)
{
	run->disagreements++;
	if (++run->by_kind[kind] > MAX_REPORTS_PER_KIND)
		return;
	fprintf(stderr, "differential: %s\n  seed %llu, claim set %u "
	                "(reproduce with SKR_DIFF_SEED=%llu SKR_DIFF_PAIRS=%u)\n",
	        message, (unsigned long long)run->seed, run->claims_index,
	        (unsigned long long)run->seed, CLAIMS_PER_POLICY);
	print_bytes("policy", run->policy);
	if (run->claims != NULL) {
		print_bytes("claims", run->claims);
		print_bytes("issuer", run->issuer);
	}
	if (diags != NULL)
		print_diags("product", diags);
}

/* Decides one claim set with both sides and compares. */
static void check_claims(diff_run *run, const skr_program *program, const json_t *policy,
                         const gen_text *claims_text, const gen_text *issuer,
                         const gen_claims_info *info)
{
	skr_diags diags;
	skr_claims *claims = NULL;
	json_error_t error;
	char message[256];

	skr_diags_init(&diags);
	json_t *ref_claims = json_loadb(claims_text->data, claims_text->len, LOAD_FLAGS, &error);
	int ref_accepts = ref_claims != NULL && json_is_object(ref_claims);
	skr_status parsed = skr_claims_parse(claims_text->data, claims_text->len, NULL, &diags,
	                                     &claims);

	if (info->invalid && ref_accepts) {
		snprintf(message, sizeof message, "reference accepts claims made invalid on purpose (%s)",
		         info->fault);
		report(run, DISAGREE_GENERATOR, message, NULL);
	}
	if (ref_accepts != (parsed == SKR_OK)) {
		snprintf(message, sizeof message, "claims: product %s (%s), reference %s (%s)",
		         parsed == SKR_OK ? "accepts" : "rejects", skr_status_name(parsed),
		         ref_accepts ? "accepts" : "rejects",
		         reference_reason(ref_claims, &error, info->fault));
		report(run, DISAGREE_CLAIMS, message, &diags);
		goto done;
	}
	if (!ref_accepts) {
		run->claims_rejected++;
		goto done;
	}

	skr_result result;
	int ref_entry = -1;
	skr_status evaluated = skr_evaluate(program, claims, issuer->data, issuer->len, NULL, &result);
	int ref_decision = ref_evaluate_counted(policy, ref_claims, issuer->data, issuer->len,
	                                        &ref_entry, &run->coverage);
	if (evaluated != SKR_OK) {
		snprintf(message, sizeof message, "skr_evaluate failed: %s", skr_status_name(evaluated));
		report(run, DISAGREE_EVALUATE, message, &diags);
		goto done;
	}

	int product_decision = result.decision == SKR_RELEASE ? 0 : 1;
	if (product_decision != ref_decision || result.entry != ref_entry) {
		snprintf(message, sizeof message,
		         "decision: product %s entry %d (%s), reference %s entry %d",
		         decision_name(product_decision), (int)result.entry,
		         result.reason != NULL ? result.reason : "no reason",
		         decision_name(ref_decision), ref_entry);
		report(run, DISAGREE_DECISION, message, NULL);
	}
	if (ref_decision == 0)
		run->releases++;
	else
		run->denials++;

done:
	run->pairs++;
	skr_claims_free(claims);
	json_decref(ref_claims);
	skr_diags_free(&diags);
}

/* Compiles and loads one policy, checks that both sides agree on its
 * validity, and decides its claim sets. */
static void check_policy(diff_run *run, uint64_t seed, uint64_t pairs_target, gen_text *policy_text,
                         gen_text *claims_text, gen_text *issuer)
{
	gen_policy_info info;
	skr_diags diags;
	skr_buffer image = {NULL, 0};
	skr_program *program = NULL;
	json_error_t error;
	char message[256];

	cr_assert_eq(gen_policy(seed, NULL, policy_text, &info), 0, "out of memory");
	run->seed = seed;
	run->claims_index = 0;
	run->policy = policy_text;
	run->claims = NULL;
	run->policies++;
	skr_diags_init(&diags);

	/* jansson does not skip a byte-order mark; the product does. */
	size_t skip = info.bom ? 3 : 0;
	json_t *policy = json_loadb(policy_text->data + skip, policy_text->len - skip, LOAD_FLAGS, &error);
	int ref_accepts = policy != NULL && ref_policy_check(policy) == 0;
	skr_status compiled = skr_compile(policy_text->data, policy_text->len, SKR_SYNTAX_JSON, NULL,
	                                  &diags, &image);
	skr_status loaded = SKR_E_POLICY;
	if (compiled == SKR_OK) {
		loaded = skr_program_load(image.data, image.len, &diags, &program);
		if (loaded != SKR_OK)
			report(run, DISAGREE_PROGRAM, "skr_program_load rejects the image skr_compile made",
			       &diags);
	}

	if (info.invalid && ref_accepts) {
		snprintf(message, sizeof message, "reference accepts a policy made invalid on purpose (%s)",
		         info.fault);
		report(run, DISAGREE_GENERATOR, message, NULL);
	}
	if (ref_accepts != (compiled == SKR_OK)) {
		snprintf(message, sizeof message, "policy: product %s (%s), reference %s (%s)",
		         compiled == SKR_OK ? "accepts" : "rejects", skr_status_name(compiled),
		         ref_accepts ? "accepts" : "rejects", reference_reason(policy, &error, info.fault));
		report(run, DISAGREE_POLICY, message, &diags);
		run->pairs++;
		goto done;
	}
	if (!ref_accepts) {
		run->policies_rejected++;
		run->pairs++;
		goto done;
	}
	if (loaded != SKR_OK) {
		run->pairs++;
		goto done;
	}

	for (uint32_t k = 0; k < CLAIMS_PER_POLICY && run->pairs < pairs_target; k++) {
		gen_claims_info claims_info;
		cr_assert_eq(gen_claims(seed, k, NULL, claims_text, issuer, &claims_info), 0,
		             "out of memory");
		run->claims_index = k;
		run->claims = claims_text;
		run->issuer = issuer;
		check_claims(run, program, policy, claims_text, issuer, &claims_info);
	}

done:
	skr_diags_free(&diags);
	skr_program_free(program);
	skr_buffer_free(&image);
	json_decref(policy);
}

static uint64_t print_coverage_row(const char *label, const uint64_t *cells)
{
	uint64_t empty = 0;
	fprintf(stderr, "%-16s", label);
	for (int k = 0; k < REF_KIND_COUNT; k++) {
		fprintf(stderr, " %9llu", (unsigned long long)cells[k]);
		empty += cells[k] == 0;
	}
	fputc('\n', stderr);
	return empty;
}

/* Prints the coverage tables and returns how many operator x claim kind
 * cells are empty. */
static uint64_t print_coverage(const diff_run *run, double seconds)
{
	const ref_coverage *c = &run->coverage;
	uint64_t empty = 0;

	fprintf(stderr, "\ndifferential: %llu pairs from %llu policies in %.1f s; "
	                "%llu releases, %llu denials; %llu invalid policies and %llu invalid "
	                "claim sets rejected by both; %llu disagreements\n",
	        (unsigned long long)run->pairs, (unsigned long long)run->policies, seconds,
	        (unsigned long long)run->releases, (unsigned long long)run->denials,
	        (unsigned long long)run->policies_rejected, (unsigned long long)run->claims_rejected,
	        (unsigned long long)run->disagreements);
	for (int kind = 0; kind < DISAGREE_COUNT; kind++) {
		if (run->by_kind[kind] != 0)
			fprintf(stderr, "  %llu disagreements on %s\n",
			        (unsigned long long)run->by_kind[kind], disagreement_names[kind]);
	}

	fprintf(stderr, "\nconditions evaluated, by operator and claim kind:\n%-16s", "");
	for (int k = 0; k < REF_KIND_COUNT; k++)
		fprintf(stderr, " %9s", ref_kind_name((ref_kind)k));
	fputc('\n', stderr);
	for (int op = 0; op < REF_OP_COUNT; op++)
		empty += print_coverage_row(ref_operator_name((ref_operator)op), c->conditions[op]);

	fprintf(stderr, "\nconditions evaluated, by operator and policy value kind:\n%-16s", "");
	for (int k = 0; k < REF_KIND_COUNT; k++)
		fprintf(stderr, " %9s", ref_kind_name((ref_kind)k));
	fputc('\n', stderr);
	for (int op = 0; op < REF_OP_COUNT; op++)
		print_coverage_row(ref_operator_name((ref_operator)op), c->values[op]);

	fprintf(stderr, "\nnested paths %llu, missing paths %llu, dotted member names passed %llu, "
	                "int64 edge values %llu, near 2^53 %llu, doubles near 2^63 %llu, "
	                "entries skipped by authority %llu\n\n",
	        (unsigned long long)c->nested_paths, (unsigned long long)c->missing_paths,
	        (unsigned long long)c->dotted_member_names, (unsigned long long)c->int64_edges,
	        (unsigned long long)c->near_2_pow_53, (unsigned long long)c->near_2_pow_63,
	        (unsigned long long)c->entries_skipped);
	return empty;
}

Test(differential, product_matches_reference, .timeout = 900)
{
	uint64_t pairs_target = env_u64("SKR_DIFF_PAIRS", DEFAULT_PAIRS);
	uint64_t seed = env_u64("SKR_DIFF_SEED", DEFAULT_SEED);
	gen_text policy_text;
	gen_text claims_text;
	gen_text issuer;
	diff_run run;
	struct timespec start;
	struct timespec end;

	memset(&run, 0, sizeof run);
	gen_text_init(&policy_text);
	gen_text_init(&claims_text);
	gen_text_init(&issuer);
	clock_gettime(CLOCK_MONOTONIC, &start);

	while (run.pairs < pairs_target)
		check_policy(&run, seed++, pairs_target, &policy_text, &claims_text, &issuer);

	clock_gettime(CLOCK_MONOTONIC, &end);
	double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	uint64_t empty = print_coverage(&run, seconds);
	gen_text_free(&policy_text);
	gen_text_free(&claims_text);
	gen_text_free(&issuer);

	cr_expect_eq(run.disagreements, 0, "%llu disagreements between the product and the reference",
	             (unsigned long long)run.disagreements);
	if (run.pairs < MIN_PAIRS_FOR_COVERAGE)
		return;
	cr_expect_eq(empty, 0, "%llu operator x claim kind cells were never evaluated",
	             (unsigned long long)empty);
	cr_expect_gt(run.releases, 0, "no pair released");
	cr_expect_gt(run.denials, 0, "no pair was denied");
}
