/*
 * The static cost model (longest paths through the bytecode) and the
 * replay that counts what one evaluation executed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gen_policy.h"
#include "skr.h"

/* Two entries. Entry 0 releases on x == 1, or on y present and z > 2;
 * entry 1 on x != "q". Its code, as skr disasm lists it:
 *   AUTH 0; LOAD x; EQ_INT_JT 1 -> RELEASE 0; LOAD y; EXISTS_JF -> AUTH 1;
 *   LOAD z; GT_INT_JF 2 -> AUTH 1; RELEASE 0;
 *   AUTH 1; LOAD x; NE_STR_JF "q" -> DENY; RELEASE 1;
 *   DENY */
static const char two_entries[] =
	"{\"version\": \"1.0.0\", \"anyOf\": ["
	" {\"authority\": \"https://a.example\", \"anyOf\": ["
	"   {\"claim\": \"x\", \"equals\": 1},"
	"   {\"allOf\": [{\"claim\": \"y\", \"exists\": true}, {\"claim\": \"z\", \"greater\": 2}]}]},"
	" {\"authority\": \"https://b.example\", \"allOf\": [{\"claim\": \"x\", \"notEquals\": \"q\"}]}]}";

static skr_program *load_policy(const char *text)
{
	skr_buffer image = { NULL, 0 };
	skr_program *program = NULL;
	cr_assert_eq(skr_compile(text, strlen(text), SKR_SYNTAX_AUTO, NULL, NULL, &image), SKR_OK);
	cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
	skr_buffer_free(&image);
	return program;
}

/* Evaluates program on claims (whose "iss" is the issuer) with a trace and
 * replays the trace. */
static skr_status run_cost(const skr_program *program, const char *claims_json,
                           skr_run_cost *run, skr_result *result)
{
	skr_claims *claims = NULL;
	cr_assert_eq(skr_claims_parse(claims_json, strlen(claims_json), NULL, NULL, &claims), SKR_OK);
	const char *issuer = NULL;
	size_t issuer_len = 0;
	cr_assert(skr_claims_issuer(claims, &issuer, &issuer_len));

	skr_trace_event events[64];
	skr_trace trace = { events, 64, 0, 0 };
	cr_assert_eq(skr_evaluate(program, claims, issuer, issuer_len, &trace, result), SKR_OK);
	skr_status status = skr_trace_cost(program, &trace, run);
	skr_claims_free(claims);
	return status;
}

Test(cost, static_figures_of_two_entries)
{
	skr_program *program = load_policy(two_entries);
	skr_cost cost;
	cr_assert_eq(skr_program_cost(program, &cost), SKR_OK);

	cr_expect_eq(cost.entries, 2);
	cr_expect_eq(cost.conditions, 4);
	/* Entry 0 fails at its last test (7), then entry 1 releases (4). */
	cr_expect_eq(cost.instructions, 11);
	cr_expect_eq(cost.claim_loads, 4);
	/* AUTH, LOAD x, EQ, LOAD y, EXISTS, LOAD z, GT, RELEASE. */
	cr_expect_eq(cost.longest_path, 8);
	cr_expect_eq(cost.code_bytes, 77);
	cr_expect_gt(cost.bytecode_bytes, cost.code_bytes);
	skr_program_free(program);
}

Test(cost, issuer_fixes_each_auth)
{
	skr_program *program = load_policy(two_entries);
	skr_cost cost;

	/* Entry 0 skipped (1), entry 1 entered: LOAD, NE, RELEASE or DENY. */
	cr_assert_eq(skr_program_cost_for_issuer(program, "https://b.example", 17, &cost), SKR_OK);
	cr_expect_eq(cost.instructions, 5);
	cr_expect_eq(cost.claim_loads, 1);

	/* Entry 0 fails at its last test (7), AUTH 1 skips, DENY. The case of
	 * the host does not matter, as for the interpreter. */
	cr_assert_eq(skr_program_cost_for_issuer(program, "https://A.example/", 18, &cost), SKR_OK);
	cr_expect_eq(cost.instructions, 9);
	cr_expect_eq(cost.claim_loads, 3);

	/* No entry matches: two skips and DENY. */
	cr_assert_eq(skr_program_cost_for_issuer(program, "https://c.example", 17, &cost), SKR_OK);
	cr_expect_eq(cost.instructions, 3);
	cr_expect_eq(cost.claim_loads, 0);
	/* Members that do not depend on the issuer stay as for any issuer. */
	cr_expect_eq(cost.longest_path, 8);
	cr_expect_eq(cost.conditions, 4);
	skr_program_free(program);
}

Test(cost, replay_counts_release_on_first_test)
{
	skr_program *program = load_policy(two_entries);
	skr_run_cost run;
	skr_result result;
	cr_assert_eq(run_cost(program, "{\"iss\": \"https://a.example\", \"x\": 1}", &run, &result),
	             SKR_OK);
	cr_expect_eq(result.decision, SKR_RELEASE);
	/* AUTH, LOAD x, EQ_INT_JT (true, jumps), RELEASE. */
	cr_expect_eq(run.instructions, 4);
	cr_expect_eq(run.claim_loads, 1);
	cr_expect_eq(run.conditions, 1);
	cr_expect_eq(run.entries, 1);
	skr_program_free(program);
}

Test(cost, replay_counts_longest_denial)
{
	skr_program *program = load_policy(two_entries);
	skr_run_cost run;
	skr_result result;
	cr_assert_eq(run_cost(program,
	                      "{\"iss\": \"https://a.example\", \"x\": 2, \"y\": null, \"z\": 1}",
	                      &run, &result),
	             SKR_OK);
	cr_expect_eq(result.decision, SKR_DENY);
	/* Entry 0 to its last test (7), AUTH 1 skipped, DENY: the bound for
	 * this issuer, reached. */
	cr_expect_eq(run.instructions, 9);
	cr_expect_eq(run.claim_loads, 3);
	cr_expect_eq(run.conditions, 3);
	cr_expect_eq(run.entries, 1);
	skr_program_free(program);
}

Test(cost, replay_counts_skipped_entries)
{
	skr_program *program = load_policy(two_entries);
	skr_run_cost run;
	skr_result result;
	cr_assert_eq(run_cost(program, "{\"iss\": \"https://b.example\", \"x\": \"p\"}", &run, &result),
	             SKR_OK);
	cr_expect_eq(result.decision, SKR_RELEASE);
	cr_expect_eq(run.instructions, 5);
	cr_expect_eq(run.claim_loads, 1);
	cr_expect_eq(run.conditions, 1);
	cr_expect_eq(run.entries, 1);
	skr_program_free(program);
}

Test(cost, replay_rejects_foreign_trace)
{
	skr_program *program = load_policy(two_entries);
	skr_program *other = load_policy(
		"{\"version\": \"1.0.0\", \"anyOf\": [{\"authority\": \"https://a.example\","
		" \"allOf\": [{\"claim\": \"x\", \"exists\": true}]}]}");
	skr_claims *claims = NULL;
	const char *json = "{\"iss\": \"https://a.example\", \"x\": 1}";
	cr_assert_eq(skr_claims_parse(json, strlen(json), NULL, NULL, &claims), SKR_OK);

	/* A trace of the other program: its one test is an exists, where this
	 * program's first test is an equals. */
	skr_trace_event events[16];
	skr_trace trace = { events, 16, 0, 0 };
	skr_result result;
	cr_assert_eq(skr_evaluate(other, claims, "https://a.example", 17, &trace, &result), SKR_OK);
	skr_run_cost run;
	cr_expect_eq(skr_trace_cost(program, &trace, &run), SKR_E_USAGE);

	/* A trace that lost events cannot be replayed. */
	skr_trace small = { events, 1, 0, 0 };
	cr_assert_eq(skr_evaluate(program, claims, "https://a.example", 17, &small, &result), SKR_OK);
	cr_assert_gt(small.dropped, 0);
	cr_expect_eq(skr_trace_cost(program, &small, &run), SKR_E_USAGE);

	/* A trace with events left over after the decision. */
	skr_trace longer = { events, 16, 0, 0 };
	cr_assert_eq(skr_evaluate(program, claims, "https://a.example", 17, &longer, &result), SKR_OK);
	longer.count++;
	events[longer.count - 1] = events[0];
	cr_expect_eq(skr_trace_cost(program, &longer, &run), SKR_E_USAGE);

	skr_claims_free(claims);
	skr_program_free(other);
	skr_program_free(program);
}

Test(cost, null_arguments)
{
	skr_program *program = load_policy(two_entries);
	skr_cost cost;
	skr_run_cost run;
	skr_trace trace = { NULL, 0, 0, 0 };
	cr_expect_eq(skr_program_cost(NULL, &cost), SKR_E_USAGE);
	cr_expect_eq(skr_program_cost(program, NULL), SKR_E_USAGE);
	cr_expect_eq(skr_program_cost_for_issuer(program, NULL, 3, &cost), SKR_E_USAGE);
	cr_expect_eq(skr_trace_cost(NULL, &trace, &run), SKR_E_USAGE);
	cr_expect_eq(skr_trace_cost(program, NULL, &run), SKR_E_USAGE);
	cr_expect_eq(skr_trace_cost(program, &trace, NULL), SKR_E_USAGE);
	skr_program_free(program);
}

/* On generated policies and claims, the replayed count never exceeds the
 * bound for the claims' issuer, which never exceeds the bound for any
 * issuer. The longest entry path bounds each matched entry, and the run's
 * conditions are at most the program's. */
Test(cost, bounds_hold_on_generated_policies)
{
	gen_text policy, claims_text, issuer;
	gen_text_init(&policy);
	gen_text_init(&claims_text);
	gen_text_init(&issuer);
	gen_options options;
	gen_options_init(&options);
	options.policy_fault_percent = 0;
	options.claims_fault_percent = 0;
	skr_trace_event *events = calloc(4096, sizeof *events);
	cr_assert_not_null(events);
	unsigned checked = 0;

	for (uint64_t seed = 1; seed <= 400; seed++) {
		gen_policy_info info;
		cr_assert_eq(gen_policy(seed, &options, &policy, &info), 0);
		skr_buffer image = { NULL, 0 };
		if (skr_compile(policy.data, policy.len, SKR_SYNTAX_JSON, NULL, NULL, &image) != SKR_OK)
			continue;
		skr_program *program = NULL;
		cr_assert_eq(skr_program_load(image.data, image.len, NULL, &program), SKR_OK);
		skr_buffer_free(&image);
		skr_cost any;
		cr_assert_eq(skr_program_cost(program, &any), SKR_OK);

		for (uint32_t k = 0; k < 4; k++) {
			gen_claims_info claims_info;
			cr_assert_eq(gen_claims(seed, k, &options, &claims_text, &issuer, &claims_info), 0);
			skr_claims *claims = NULL;
			if (skr_claims_parse(claims_text.data, claims_text.len, NULL, NULL, &claims) != SKR_OK)
				continue;
			skr_trace trace = { events, 4096, 0, 0 };
			skr_result result;
			cr_assert_eq(skr_evaluate(program, claims, issuer.data, issuer.len, &trace, &result),
			             SKR_OK);
			skr_run_cost run;
			skr_cost mine;
			cr_assert_eq(skr_trace_cost(program, &trace, &run), SKR_OK, "seed %llu claims %u",
			             (unsigned long long)seed, k);
			cr_assert_eq(skr_program_cost_for_issuer(program, issuer.data, issuer.len, &mine),
			             SKR_OK);
			cr_expect_leq(run.instructions, mine.instructions, "seed %llu claims %u",
			              (unsigned long long)seed, k);
			cr_expect_leq(run.claim_loads, mine.claim_loads, "seed %llu claims %u",
			              (unsigned long long)seed, k);
			cr_expect_leq(mine.instructions, any.instructions, "seed %llu", (unsigned long long)seed);
			cr_expect_leq(mine.claim_loads, any.claim_loads, "seed %llu", (unsigned long long)seed);
			cr_expect_leq(run.conditions, any.conditions);
			/* Each entry's own run is bounded by longest_path; skipped
			 * entries cost one AUTH each, and DENY one more. */
			cr_expect_leq(run.instructions,
			              run.entries * any.longest_path + (any.entries - run.entries) + 1);
			skr_claims_free(claims);
			checked++;
		}
		skr_program_free(program);
	}
	cr_expect_gt(checked, 500, "only %u policy and claims pairs were checked", checked);
	free(events);
	gen_text_free(&policy);
	gen_text_free(&claims_text);
	gen_text_free(&issuer);
}
