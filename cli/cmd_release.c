/*
 * skr release: verify an attestation token against a trust store, then
 * decide with a policy or program on its claims.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

#define RELEASE_USAGE                                                                     \
	"usage: skr release POLICY|PROGRAM --token TOKEN.jwt --trust TRUST.json [--now EPOCH] " \
	"[--leeway SECONDS] [--alg RS256,RS384,RS512] [--min-rsa-bits BITS] [--explain] [--json]"
#define TRACE_CAPACITY 65536
/* Maximum size of a trust store file. Real stores list a few keys per
 * authority and stay far below it. */
#define TRUST_FILE_MAX (16u << 20)
/* Slack for whitespace around a token in its file (a final newline). */
#define TOKEN_FILE_SLACK 4096u

typedef struct release_args {
	const char *policy;
	const char *token;
	const char *trust;
	int64_t now;
	int64_t leeway;
	uint32_t algs;
	uint32_t min_rsa_bits;
	int explain;
	int json;
	skr_limits limits;
} release_args;

/* Parses a decimal int64 (optionally negative) that fills the whole text. */
static int parse_int64(const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Parses a comma-separated list of algorithm names into skr_alg bits. */
static int parse_algs(const char *text, uint32_t *algs)
{
	*algs = 0;
	const char *p = text;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		skr_alg alg;
		if (!skr_alg_parse(p, len, &alg)) {
			fprintf(stderr, "skr release: unknown algorithm \"%.*s\" in --alg; the implemented "
			        "ones are RS256, RS384 and RS512\n", (int)len, p);
			return -1;
		}
		*algs |= (uint32_t)alg;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse_args(int argc, char **argv, release_args *a)
{
	memset(a, 0, sizeof *a);
	skr_limits_init(&a->limits);
	/* --json shapes every outcome, a usage error included, so it is found
	 * before any other argument is parsed. */
	for (int i = 1; i < argc; i++)
		a->json |= strcmp(argv[i], "--json") == 0;
	a->now = (int64_t)time(NULL);
	a->algs = SKR_ALGS_DEFAULT;
	a->min_rsa_bits = SKR_DEFAULT_MIN_RSA_BITS;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int has_value = i + 1 < argc;
		if (strcmp(arg, "--token") == 0 && has_value) {
			a->token = argv[++i];
		} else if (strcmp(arg, "--trust") == 0 && has_value) {
			a->trust = argv[++i];
		} else if (strcmp(arg, "--now") == 0 && has_value) {
			if (parse_int64(argv[++i], &a->now) != 0) {
				fprintf(stderr, "skr release: invalid --now %s; give seconds since the Unix "
				        "epoch\n", argv[i]);
				return -1;
			}
		} else if (strcmp(arg, "--leeway") == 0 && has_value) {
			if (parse_int64(argv[++i], &a->leeway) != 0 || a->leeway < 0) {
				fprintf(stderr, "skr release: invalid --leeway %s; give a number of seconds, "
				        "0 or more\n", argv[i]);
				return -1;
			}
		} else if (strcmp(arg, "--alg") == 0 && has_value) {
			if (parse_algs(argv[++i], &a->algs) != 0)
				return -1;
		} else if (strcmp(arg, "--min-rsa-bits") == 0 && has_value) {
			int64_t bits;
			if (parse_int64(argv[++i], &bits) != 0 || bits < 512 || bits > 4096) {
				fprintf(stderr, "skr release: invalid --min-rsa-bits %s; give a size from 512 "
				        "to 4096 bits\n", argv[i]);
				return -1;
			}
			a->min_rsa_bits = (uint32_t)bits;
		} else if (strcmp(arg, "--explain") == 0) {
			a->explain = 1;
		} else if (strcmp(arg, "--json") == 0) {
			a->json = 1;
		} else if (strcmp(arg, "--limit") == 0 && has_value) {
			if (cli_set_limit(argv[++i], &a->limits) != 0)
				return -1;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "skr release: unknown option or missing value: %s; " RELEASE_USAGE "\n",
			        arg);
			return -1;
		} else if (!a->policy) {
			a->policy = arg;
		} else {
			fprintf(stderr, "skr release: one policy at a time; " RELEASE_USAGE "\n");
			return -1;
		}
	}
	const char *missing = NULL;
	if (!a->policy)
		missing = "POLICY";
	else if (!a->token)
		missing = "--token";
	else if (!a->trust)
		missing = "--trust";
	if (missing) {
		fprintf(stderr, "skr release: missing %s; " RELEASE_USAGE "\n", missing);
		return -1;
	}
	return 0;
}

/* Prints a failure in the requested form and returns its exit code. */
static int fail(const release_args *a, int code, const char *decision, const char *reason)
{
	if (a->json)
		cli_print_failure_json(stdout, decision, reason,
		                       cli_last_error[0] ? cli_last_error : reason);
	return code;
}

/* Reads the token file. An oversized file is a rejected token, not an
 * unreadable file, so its size is checked before it is read. Whitespace
 * around the token (a final newline) is dropped; whitespace inside is left
 * for the verifier to reject. Returns 0, or an exit code. */
static int read_token(const release_args *a, char **text, size_t *len, size_t *start)
{
	size_t max = a->limits.token_bytes + TOKEN_FILE_SLACK;
	struct stat st;
	if (strcmp(a->token, "-") != 0 && stat(a->token, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > max) {
		fprintf(stderr, "skr release: %s is %lld bytes, over the token limit of %zu bytes\n",
		        a->token, (long long)st.st_size, a->limits.token_bytes);
		snprintf(cli_last_error, sizeof cli_last_error,
		         "the token is over the token limit of %zu bytes", a->limits.token_bytes);
		return fail(a, SKR_EXIT_TOKEN, "token_rejected", "token_too_large");
	}
	if (cli_read_file(a->token, max, text, len) != 0)
		return fail(a, SKR_EXIT_INVALID, "invalid_input", "file_unreadable");

	size_t begin = 0, end = *len;
	while (begin < end && strchr(" \t\r\n", (*text)[begin]) != NULL)
		begin++;
	while (end > begin && strchr(" \t\r\n", (*text)[end - 1]) != NULL)
		end--;
	*start = begin;
	*len = end - begin;
	return 0;
}

/* Loads the trust store file; prints its warnings only when explaining. */
static int load_trust(const release_args *a, skr_trust **trust)
{
	char *text;
	size_t len;
	if (cli_read_file(a->trust, TRUST_FILE_MAX, &text, &len) != 0)
		return fail(a, SKR_EXIT_INVALID, "invalid_input", "file_unreadable");

	skr_trust_options options;
	skr_trust_options_init(&options);
	options.min_rsa_bits = a->min_rsa_bits;
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status st = skr_trust_load(text, len, &options, &diags, trust);
	int rc = 0;
	if (st != SKR_OK || a->explain)
		cli_print_diags(&diags, a->trust, text, len);
	if (st == SKR_E_TRUST || st == SKR_E_USAGE)
		rc = fail(a, SKR_EXIT_INVALID, "invalid_input", "trust_invalid");
	else if (st != SKR_OK)
		rc = fail(a, SKR_EXIT_INTERNAL, "internal_error", "internal_error");
	skr_diags_free(&diags);
	free(text);
	return rc;
}

/* The message of the error that rejected the token. */
static const char *rejection_message(const skr_diags *diags, const skr_token *verified)
{
	for (size_t i = diags->count; i-- > 0;) {
		const skr_diag *d = &diags->items[i];
		if (d->severity == SKR_SEV_ERROR && strcmp(d->code, verified->reason) == 0)
			return d->message;
	}
	return verified->reason;
}

/* Prints the token checks for --explain: each check that passed, the one
 * that failed with its message, and the ones that did not run. */
static void print_checks_text(const skr_token *verified, const char *message)
{
	printf("token checks:\n");
	for (int c = 0; c < SKR_CHECK_COUNT; c++) {
		const char *name = skr_token_check_name((skr_token_check)c);
		if (c < (int)verified->failed)
			printf("  passed   %s\n", name);
		else if (c == (int)verified->failed)
			printf("  FAILED   %s: %s: %s\n", name, verified->reason, message);
		else
			printf("  not run  %s\n", name);
	}
	if (verified->issuer != NULL) {
		printf("issuer: ");
		fwrite(verified->issuer, 1, verified->issuer_len, stdout);
		printf("\n");
	}
	if (verified->kid != NULL)
		printf("key: %s (%s)\n", verified->kid, skr_alg_name((skr_alg)verified->alg));
}

static void print_checks_json(const skr_token *verified, const char *message)
{
	fputc('[', stdout);
	for (int c = 0; c < SKR_CHECK_COUNT && c <= (int)verified->failed; c++) {
		const char *name = skr_token_check_name((skr_token_check)c);
		if (c > 0)
			fputc(',', stdout);
		fputs("{\"check\":", stdout);
		cli_json_string(stdout, name, strlen(name));
		if (c < (int)verified->failed) {
			fputs(",\"passed\":true}", stdout);
			continue;
		}
		fputs(",\"passed\":false,\"code\":", stdout);
		cli_json_string(stdout, verified->reason, strlen(verified->reason));
		fputs(",\"message\":", stdout);
		cli_json_string(stdout, message, strlen(message));
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

/* Reports a rejected token and returns exit code 3. */
static int report_rejection(const release_args *a, const skr_token *verified,
                            const skr_diags *diags, const char *token_name)
{
	const char *message = rejection_message(diags, verified);

	/* The claims parser's own errors point into the decoded payload. */
	if (verified->failed == SKR_CHECK_CLAIMS && a->explain) {
		skr_diags claims_errors = *diags;
		claims_errors.count = diags->count > 0 ? diags->count - 1 : 0;
		char name[1100];
		snprintf(name, sizeof name, "%s (decoded payload)", token_name);
		cli_print_diags(&claims_errors, name, NULL, 0);
	}
	if (a->json) {
		fputs("{\"decision\":\"token_rejected\",\"authority\":null,\"reason\":{\"code\":", stdout);
		cli_json_string(stdout, verified->reason, strlen(verified->reason));
		fputs(",\"message\":", stdout);
		cli_json_string(stdout, message, strlen(message));
		fputc('}', stdout);
		if (a->explain) {
			fputs(",\"trace\":", stdout);
			print_checks_json(verified, message);
		}
		fputs("}\n", stdout);
		return SKR_EXIT_TOKEN;
	}
	if (a->explain)
		print_checks_text(verified, message);
	printf("token rejected: %s: %s\n", verified->reason, message);
	return SKR_EXIT_TOKEN;
}

int cli_cmd_release(int argc, char **argv)
{
	release_args a;
	if (parse_args(argc, argv, &a) != 0) {
		snprintf(cli_last_error, sizeof cli_last_error, "invalid arguments; %s", RELEASE_USAGE);
		return fail(&a, SKR_EXIT_INVALID, "invalid_input", "usage");
	}

	/* Arguments and files first, then the trust store, the policy and the
	 * token, so the first failure in that order decides the exit code. */
	FILE *policy_file = fopen(a.policy, "rb");
	if (policy_file == NULL) {
		fprintf(stderr, "skr: cannot read %s: %s\n", a.policy, strerror(errno));
		snprintf(cli_last_error, sizeof cli_last_error, "cannot read %s: %s", a.policy,
		         strerror(errno));
		return fail(&a, SKR_EXIT_INVALID, "invalid_input", "file_unreadable");
	}
	fclose(policy_file);

	char *token_text = NULL;
	size_t token_len = 0, token_start = 0;
	int rc = read_token(&a, &token_text, &token_len, &token_start);
	if (rc != 0)
		return rc;

	skr_trust *trust = NULL;
	skr_program *program = NULL;
	skr_trace trace = { NULL, 0, 0, 0 };
	skr_diags diags;
	skr_diags_init(&diags);
	skr_token verified;
	skr_token_init(&verified);

	rc = load_trust(&a, &trust);
	if (rc != 0)
		goto done;
	rc = cli_load_program(a.policy, &a.limits, &program);
	if (rc != 0) {
		rc = fail(&a, rc, rc == SKR_EXIT_INTERNAL ? "internal_error" : "invalid_policy",
		          rc == SKR_EXIT_INTERNAL ? "internal_error" : "invalid_policy");
		goto done;
	}

	skr_verify_options options;
	skr_verify_options_init(&options, a.now);
	options.leeway = a.leeway;
	options.algs = a.algs;
	options.limits = a.limits;
	if (a.explain) {
		trace.events = calloc(TRACE_CAPACITY, sizeof *trace.events);
		trace.capacity = trace.events ? TRACE_CAPACITY : 0;
	}

	skr_result result;
	skr_status st = skr_release(trust, program, token_text + token_start, token_len, &options,
	                            a.explain ? &trace : NULL, &diags, &verified, &result);
	if (st == SKR_E_TOKEN) {
		rc = report_rejection(&a, &verified, &diags, a.token);
	} else if (st != SKR_OK) {
		fprintf(stderr, "skr release: %s\n", skr_status_name(st));
		snprintf(cli_last_error, sizeof cli_last_error, "verification failed: %s",
		         skr_status_name(st));
		rc = fail(&a, SKR_EXIT_INTERNAL, "internal_error", "internal_error");
	} else {
		if (a.explain && !a.json)
			print_checks_text(&verified, "");
		cli_print_decision(stdout, program, &result, a.explain ? &trace : NULL, a.json);
		rc = result.decision == SKR_RELEASE ? SKR_EXIT_RELEASE : SKR_EXIT_DENY;
	}

done:
	free(trace.events);
	skr_token_clear(&verified);
	skr_diags_free(&diags);
	skr_program_free(program);
	skr_trust_free(trust);
	free(token_text);
	return rc;
}
