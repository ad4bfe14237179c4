/*
 * skr eval: decide on an already-verified claims object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define EVAL_USAGE "usage: skr eval POLICY|PROGRAM --claims CLAIMS.json [--issuer URL] [--explain] [--json]"
#define TRACE_CAPACITY 65536

typedef struct eval_args {
	const char *policy;
	const char *claims;
	const char *issuer;
	int explain;
	int json;
	skr_limits limits;
} eval_args;

static int parse_args(int argc, char **argv, eval_args *a)
{
	memset(a, 0, sizeof *a);
	skr_limits_init(&a->limits);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int has_value = i + 1 < argc;
		if (strcmp(arg, "--claims") == 0 && has_value) {
			a->claims = argv[++i];
		} else if (strcmp(arg, "--issuer") == 0 && has_value) {
			a->issuer = argv[++i];
		} else if (strcmp(arg, "--explain") == 0) {
			a->explain = 1;
		} else if (strcmp(arg, "--json") == 0) {
			a->json = 1;
		} else if (strcmp(arg, "--limit") == 0 && has_value) {
			if (cli_set_limit(argv[++i], &a->limits) != 0)
				return -1;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "skr eval: unknown option or missing value: %s; " EVAL_USAGE "\n", arg);
			snprintf(cli_last_error, sizeof cli_last_error, "unknown option or missing value: %s; %s",
			         arg, EVAL_USAGE);
			return -1;
		} else if (!a->policy) {
			a->policy = arg;
		} else {
			fprintf(stderr, "skr eval: one policy at a time; " EVAL_USAGE "\n");
			snprintf(cli_last_error, sizeof cli_last_error, "one policy at a time; %s", EVAL_USAGE);
			return -1;
		}
	}
	if (!a->policy || !a->claims) {
		fprintf(stderr, "skr eval: missing %s; " EVAL_USAGE "\n", a->policy ? "--claims" : "POLICY");
		snprintf(cli_last_error, sizeof cli_last_error, "missing %s; %s",
		         a->policy ? "--claims" : "POLICY", EVAL_USAGE);
		return -1;
	}
	return 0;
}

/* Prints a failure in the requested form and returns its exit code. */
static int fail(const eval_args *a, int code, const char *decision, const char *reason)
{
	if (a->json)
		cli_print_failure_json(stdout, decision, reason,
		                       cli_last_error[0] ? cli_last_error : reason);
	return code;
}

int cli_cmd_eval(int argc, char **argv)
{
	eval_args a;
	if (parse_args(argc, argv, &a) != 0)
		return fail(&a, SKR_EXIT_INVALID, "invalid_input", "usage");

	/* Arguments and files first, then the policy, then the claims. */
	char *claims_text;
	size_t claims_len;
	if (cli_read_file(a.claims, a.limits.token_bytes + 1, &claims_text, &claims_len) != 0)
		return fail(&a, SKR_EXIT_INVALID, "invalid_input", "file_unreadable");

	skr_program *program = NULL;
	int rc = cli_load_program(a.policy, &a.limits, &program);
	if (rc != 0) {
		free(claims_text);
		return fail(&a, rc, rc == SKR_EXIT_INTERNAL ? "internal_error" : "invalid_policy",
		            rc == SKR_EXIT_INTERNAL ? "internal_error" : "invalid_policy");
	}

	skr_diags diags;
	skr_diags_init(&diags);
	skr_claims *claims = NULL;
	skr_status status = skr_claims_parse(claims_text, claims_len, &a.limits, &diags, &claims);
	if (status != SKR_OK) {
		cli_print_diags(&diags, a.claims, claims_text, claims_len);
		rc = status == SKR_E_NOMEM || status == SKR_E_INTERNAL ? SKR_EXIT_INTERNAL : SKR_EXIT_TOKEN;
		rc = fail(&a, rc, rc == SKR_EXIT_TOKEN ? "token_rejected" : "internal_error",
		          rc == SKR_EXIT_TOKEN ? "claims_invalid" : "internal_error");
		goto done;
	}

	const char *issuer = a.issuer;
	size_t issuer_len = issuer ? strlen(issuer) : 0;
	if (!issuer && !skr_claims_issuer(claims, &issuer, &issuer_len)) {
		fprintf(stderr, "skr eval: %s has no string \"iss\" claim; give the issuer with --issuer URL\n", a.claims);
		snprintf(cli_last_error, sizeof cli_last_error, "%s has no string \"iss\" claim and no --issuer was given", a.claims);
		rc = fail(&a, SKR_EXIT_INVALID, "invalid_input", "issuer_missing");
		goto done;
	}

	skr_trace trace = { NULL, 0, 0, 0 };
	if (a.explain) {
		trace.events = calloc(TRACE_CAPACITY, sizeof *trace.events);
		trace.capacity = trace.events ? TRACE_CAPACITY : 0;
	}
	skr_result result;
	status = skr_evaluate(program, claims, issuer, issuer_len, a.explain ? &trace : NULL, &result);
	if (status != SKR_OK) {
		fprintf(stderr, "skr eval: evaluation failed: %s\n", skr_status_name(status));
		rc = fail(&a, SKR_EXIT_INTERNAL, "internal_error", "internal_error");
	} else {
		if (a.explain && !a.json) {
			printf("issuer: ");
			fwrite(issuer, 1, issuer_len, stdout);
			printf("\n");
		}
		cli_set_decision_issuer(issuer, issuer_len);
		cli_print_decision(stdout, program, &result, a.explain ? &trace : NULL, a.json);
		rc = result.decision == SKR_RELEASE ? SKR_EXIT_RELEASE : SKR_EXIT_DENY;
	}
	free(trace.events);
done:
	skr_claims_free(claims);
	skr_diags_free(&diags);
	skr_program_free(program);
	free(claims_text);
	return rc;
}
