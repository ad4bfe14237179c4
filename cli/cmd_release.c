/*
 * skr release: verify an attestation token against a trust store, then
 * decide with a policy or program on its claims and, given a key, wrap it
 * to the workload's key in a release response.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define RELEASE_USAGE                                                                     \
	"usage: skr release POLICY|PROGRAM --token TOKEN.jwt --trust TRUST.json [--now EPOCH] " \
	"[--leeway SECONDS] [--alg RS256,RS384,RS512] [--min-rsa-bits BITS] [--explain] [--json] " \
	"[--key KEY [--enc ALG] (--sign-key KEY | --unsigned) [--key-id ID] [--out FILE]]"
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
	/* The release envelope, with --key. */
	const char *key;
	const char *sign_key;
	int unsigned_response;
	skr_wrap_alg enc;
	int enc_given;
	const char *key_id;
	const char *out;
	/* Stream of the decision: stdout, or stderr when the response goes
	 * to stdout. */
	FILE *report;
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

/* Checks the options of the release envelope against each other. */
static int check_envelope_args(const release_args *a)
{
	const char *problem = NULL;
	if (!a->key && (a->sign_key || a->unsigned_response || a->enc_given || a->key_id || a->out))
		problem = "--sign-key, --unsigned, --enc, --key-id and --out need --key KEY, the key to "
		          "release";
	else if (a->key && a->sign_key && a->unsigned_response)
		problem = "--sign-key and --unsigned exclude each other";
	else if (a->key && !a->sign_key && !a->unsigned_response)
		problem = "with --key, give --sign-key KEY to sign the release response, or --unsigned";
	if (problem == NULL)
		return 0;
	fprintf(stderr, "skr release: %s\n", problem);
	return -1;
}

static int parse_args(int argc, char **argv, release_args *a)
{
	memset(a, 0, sizeof *a);
	skr_limits_init(&a->limits);
	/* --json shapes every outcome, a usage error included, so it is found
	 * before any other argument is parsed. So is the stream of the
	 * decision, which leaves stdout to the response when it has no file. */
	int key_given = 0, out_given = 0;
	for (int i = 1; i < argc; i++) {
		a->json |= strcmp(argv[i], "--json") == 0;
		key_given |= strcmp(argv[i], "--key") == 0;
		out_given |= strcmp(argv[i], "--out") == 0;
	}
	a->report = key_given && !out_given ? stderr : stdout;
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
		} else if (strcmp(arg, "--key") == 0 && has_value) {
			a->key = argv[++i];
		} else if (strcmp(arg, "--sign-key") == 0 && has_value) {
			a->sign_key = argv[++i];
		} else if (strcmp(arg, "--unsigned") == 0) {
			a->unsigned_response = 1;
		} else if (strcmp(arg, "--key-id") == 0 && has_value) {
			a->key_id = argv[++i];
		} else if (strcmp(arg, "--out") == 0 && has_value) {
			a->out = argv[++i];
		} else if (strcmp(arg, "--enc") == 0 && has_value) {
			const char *name = argv[++i];
			if (!skr_wrap_alg_parse(name, strlen(name), &a->enc)) {
				fprintf(stderr, "skr release: unknown --enc %s; use CKM_RSA_AES_KEY_WRAP, "
				        "RSA_AES_KEY_WRAP_256 or RSA_AES_KEY_WRAP_384\n", name);
				return -1;
			}
			a->enc_given = 1;
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
	return check_envelope_args(a);
}

/* Prints a failure in the requested form and returns its exit code. */
static int fail(const release_args *a, int code, const char *decision, const char *reason)
{
	if (a->json)
		cli_print_failure_json(a->report ? a->report : stdout, decision, reason,
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
static void print_checks_text(FILE *out, const skr_token *verified, const char *message)
{
	fprintf(out, "token checks:\n");
	for (int c = 0; c < SKR_CHECK_COUNT; c++) {
		const char *name = skr_token_check_name((skr_token_check)c);
		if (c < (int)verified->failed)
			fprintf(out, "  passed   %s\n", name);
		else if (c == (int)verified->failed)
			fprintf(out, "  FAILED   %s: %s: %s\n", name, verified->reason, message);
		else
			fprintf(out, "  not run  %s\n", name);
	}
	if (verified->issuer != NULL) {
		fprintf(out, "issuer: ");
		fwrite(verified->issuer, 1, verified->issuer_len, out);
		fprintf(out, "\n");
	}
	if (verified->kid != NULL)
		fprintf(out, "key: %s (%s)\n", verified->kid, skr_alg_name((skr_alg)verified->alg));
}

static void print_checks_json(FILE *out, const skr_token *verified, const char *message)
{
	fputc('[', out);
	for (int c = 0; c < SKR_CHECK_COUNT && c <= (int)verified->failed; c++) {
		const char *name = skr_token_check_name((skr_token_check)c);
		if (c > 0)
			fputc(',', out);
		fputs("{\"check\":", out);
		cli_json_string(out, name, strlen(name));
		if (c < (int)verified->failed) {
			fputs(",\"passed\":true}", out);
			continue;
		}
		fputs(",\"passed\":false,\"code\":", out);
		cli_json_string(out, verified->reason, strlen(verified->reason));
		fputs(",\"message\":", out);
		cli_json_string(out, message, strlen(message));
		fputc('}', out);
	}
	fputc(']', out);
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
	FILE *out = a->report;
	if (a->json) {
		fputs("{\"decision\":\"token_rejected\",\"authority\":null,\"reason\":{\"code\":", out);
		cli_json_string(out, verified->reason, strlen(verified->reason));
		fputs(",\"message\":", out);
		cli_json_string(out, message, strlen(message));
		fputc('}', out);
		if (a->explain) {
			fputs(",\"trace\":", out);
			print_checks_json(out, verified, message);
		}
		fputs("}\n", out);
		return SKR_EXIT_TOKEN;
	}
	if (a->explain)
		print_checks_text(out, verified, message);
	fprintf(out, "token rejected: %s: %s\n", verified->reason, message);
	return SKR_EXIT_TOKEN;
}

/* Reports a verified token whose release key is malformed: a rejected
 * token (exit 3), found after the seven checks passed. */
static int report_release_key_invalid(const release_args *a, const skr_token *verified,
                                      const skr_diags *diags)
{
	const char *message = "the token's release key is not a usable RSA key";
	for (size_t i = 0; i < diags->count; i++) {
		if (strcmp(diags->items[i].code, "release_key_invalid") == 0)
			message = diags->items[i].message;
	}
	FILE *out = a->report;
	if (a->json) {
		fputs("{\"decision\":\"token_rejected\",\"authority\":null,\"reason\":{\"code\":"
		      "\"release_key_invalid\",\"message\":", out);
		cli_json_string(out, message, strlen(message));
		fputs("}}\n", out);
		return SKR_EXIT_TOKEN;
	}
	if (a->explain)
		print_checks_text(out, verified, "");
	fprintf(out, "token rejected: release_key_invalid: %s\n", message);
	return SKR_EXIT_TOKEN;
}

/* ---- the release envelope ---- */

/* Loads the key file of an option. The file's text is wiped once loaded.
 * Returns 0, or an exit code. */
static int load_key_file(const release_args *a, const char *option, const char *path,
                         skr_key **key)
{
	char *text;
	size_t len;
	if (cli_read_secret_file(path, &text, &len) != 0)
		return fail(a, SKR_EXIT_INVALID, "invalid_input", "file_unreadable");

	skr_diags diags;
	skr_diags_init(&diags);
	skr_status st = skr_key_load(text, len, &diags, key);
	cli_free_secret(text, len);
	int rc = 0;
	if (st == SKR_OK && skr_key_kind_of(*key) == SKR_KEY_RSA_PUBLIC) {
		fprintf(stderr, "skr release: %s %s is a public key; give the private key\n", option,
		        path);
		snprintf(cli_last_error, sizeof cli_last_error, "%s %s is a public key", option, path);
		rc = fail(a, SKR_EXIT_INVALID, "invalid_input", "key_invalid");
	} else if (st == SKR_OK && strcmp(option, "--sign-key") == 0 &&
	           skr_key_kind_of(*key) != SKR_KEY_RSA_PRIVATE) {
		fprintf(stderr, "skr release: --sign-key %s is not an RSA private key\n", path);
		snprintf(cli_last_error, sizeof cli_last_error, "--sign-key %s is not an RSA private key",
		         path);
		rc = fail(a, SKR_EXIT_INVALID, "invalid_input", "key_invalid");
	} else if (st != SKR_OK) {
		/* No source text: a key file's lines must never be printed. */
		cli_print_diags(&diags, path, NULL, 0);
		snprintf(cli_last_error, sizeof cli_last_error, "%s %s is not a usable key: %s", option,
		         path, diags.count > 0 ? diags.items[0].message : skr_status_name(st));
		rc = st == SKR_E_NOMEM ? fail(a, SKR_EXIT_INTERNAL, "internal_error", "internal_error")
		                       : fail(a, SKR_EXIT_INVALID, "invalid_input", "key_invalid");
	}
	if (rc != 0) {
		skr_key_free(*key);
		*key = NULL;
	}
	skr_diags_free(&diags);
	return rc;
}

/* Reads the text of the policy that grants the release, for the
 * response's "release_policy": a JSON policy as written, and a DSL policy
 * converted to canonical JSON, since the services carry JSON there. A
 * compiled program has no text. Returns 0, or an exit code. */
static int read_policy_text(const release_args *a, skr_buffer *policy)
{
	char *text;
	size_t len;
	if (cli_read_file(a->policy, a->limits.policy_bytes, &text, &len) != 0)
		return fail(a, SKR_EXIT_INVALID, "invalid_input", "file_unreadable");

	int rc = 0;
	cli_input_kind kind = cli_input_kind_of(a->policy, text, len);
	if (kind == CLI_INPUT_PROGRAM) {
		fprintf(stderr, "skr release: %s is a compiled program; --key needs the policy text "
		        "(JSON or DSL), which the response carries\n", a->policy);
		snprintf(cli_last_error, sizeof cli_last_error,
		         "%s is a compiled program; --key needs the policy text", a->policy);
		rc = fail(a, SKR_EXIT_INVALID, "invalid_input", "usage");
	} else if (kind == CLI_INPUT_JSON) {
		policy->data = (uint8_t *)text;
		policy->len = len;
		return 0;
	} else {
		skr_diags diags;
		skr_diags_init(&diags);
		skr_status st = skr_format(text, len, SKR_SYNTAX_DSL, SKR_SYNTAX_JSON, &a->limits,
		                           &diags, policy);
		if (st != SKR_OK) {
			cli_print_diags(&diags, a->policy, text, len);
			rc = fail(a, SKR_EXIT_INTERNAL, "internal_error", "internal_error");
		}
		skr_diags_free(&diags);
	}
	free(text);
	return rc;
}

/* Writes the response and a line end to --out, or to stdout. Returns 0,
 * or an exit code. */
static int write_response(const release_args *a, const uint8_t *data, size_t len)
{
	if (a->out == NULL) {
		if (fwrite(data, 1, len, stdout) != len || fputc('\n', stdout) == EOF ||
		    fflush(stdout) != 0) {
			fprintf(stderr, "skr release: cannot write the response to stdout: %s\n",
			        strerror(errno));
			return SKR_EXIT_INTERNAL;
		}
		return 0;
	}
	int fd = open(a->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0;
	for (size_t done = 0; ok && done < len;) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		done += ok ? (size_t)n : 0;
	}
	ok = ok && write(fd, "\n", 1) == 1;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "skr release: cannot write %s: %s\n", a->out, strerror(errno));
		snprintf(cli_last_error, sizeof cli_last_error, "cannot write %s: %s", a->out,
		         strerror(errno));
		return fail(a, SKR_EXIT_INVALID, "invalid_input", "file_unwritable");
	}
	return 0;
}

/* The keys and texts of a release with an envelope. */
typedef struct envelope_inputs {
	skr_key *key;
	skr_key *service;
	skr_buffer policy;
} envelope_inputs;

/* Decides and, on a release, writes the response. The decision is
 * reported as without --key, to a->report. Returns the exit code. */
static int release_with_envelope(const release_args *a, const envelope_inputs *in,
                                 const skr_trust *trust, const skr_program *program,
                                 const char *token, size_t token_len,
                                 const skr_verify_options *options, skr_trace *trace)
{
	skr_envelope_options envelope;
	skr_envelope_options_init(&envelope);
	envelope.enc = a->enc;
	envelope.key_id = a->key_id;
	envelope.policy = (const char *)in->policy.data;
	envelope.policy_len = in->policy.len;
	envelope.service_key = in->service;

	skr_diags diags;
	skr_diags_init(&diags);
	skr_token verified;
	skr_token_init(&verified);
	skr_result result;
	size_t need = 0;
	uint8_t *response = NULL;
	int rc;

	skr_status st = skr_release_envelope(trust, program, token, token_len, options, in->key,
	                                     &envelope, trace, &diags, &verified, &result, NULL, 0,
	                                     &need);
	if (st == SKR_OK && result.decision == SKR_RELEASE) {
		/* The first call measured the response; this one writes it. */
		response = malloc(need);
		skr_result again;
		size_t len = 0;
		st = response == NULL ? SKR_E_NOMEM
		                      : skr_release_envelope(trust, program, token, token_len, options,
		                                             in->key, &envelope, NULL, &diags, NULL,
		                                             &again, response, need, &len);
		if (st == SKR_OK && (again.decision != SKR_RELEASE || len != need))
			st = SKR_E_INTERNAL;
	}

	if (st == SKR_E_TOKEN && strcmp(result.reason, "release_key_invalid") == 0) {
		rc = report_release_key_invalid(a, &verified, &diags);
	} else if (st == SKR_E_TOKEN) {
		rc = report_rejection(a, &verified, &diags, a->token);
	} else if (st != SKR_OK) {
		cli_print_diags(&diags, a->token, NULL, 0);
		fprintf(stderr, "skr release: the release response failed: %s\n", skr_status_name(st));
		snprintf(cli_last_error, sizeof cli_last_error, "the release response failed: %s",
		         skr_status_name(st));
		rc = st == SKR_E_USAGE ? fail(a, SKR_EXIT_INVALID, "invalid_input", "usage")
		                       : fail(a, SKR_EXIT_INTERNAL, "internal_error", "internal_error");
	} else {
		rc = result.decision == SKR_RELEASE ? write_response(a, response, need) : 0;
		if (rc == 0) {
			if (a->explain && !a->json)
				print_checks_text(a->report, &verified, "");
			cli_print_decision(a->report, program, &result, trace, a->json);
			rc = result.decision == SKR_RELEASE ? SKR_EXIT_RELEASE : SKR_EXIT_DENY;
		}
	}

	free(response);
	skr_token_clear(&verified);
	skr_diags_free(&diags);
	return rc;
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

	envelope_inputs in = { NULL, NULL, { NULL, 0 } };
	skr_trust *trust = NULL;
	skr_program *program = NULL;
	skr_trace trace = { NULL, 0, 0, 0 };
	skr_diags diags;
	skr_diags_init(&diags);
	skr_token verified;
	skr_token_init(&verified);

	if (a.key != NULL) {
		rc = load_key_file(&a, "--key", a.key, &in.key);
		if (rc == 0 && a.sign_key != NULL)
			rc = load_key_file(&a, "--sign-key", a.sign_key, &in.service);
		if (rc != 0)
			goto done;
	}
	rc = load_trust(&a, &trust);
	if (rc != 0)
		goto done;
	rc = cli_load_program(a.policy, &a.limits, &program);
	if (rc != 0) {
		rc = fail(&a, rc, rc == SKR_EXIT_INTERNAL ? "internal_error" : "invalid_policy",
		          rc == SKR_EXIT_INTERNAL ? "internal_error" : "invalid_policy");
		goto done;
	}
	if (a.key != NULL) {
		rc = read_policy_text(&a, &in.policy);
		if (rc != 0)
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

	if (a.key != NULL) {
		rc = release_with_envelope(&a, &in, trust, program, token_text + token_start, token_len,
		                           &options, a.explain ? &trace : NULL);
		goto done;
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
			print_checks_text(a.report, &verified, "");
		cli_print_decision(a.report, program, &result, a.explain ? &trace : NULL, a.json);
		rc = result.decision == SKR_RELEASE ? SKR_EXIT_RELEASE : SKR_EXIT_DENY;
	}

done:
	free(trace.events);
	skr_token_clear(&verified);
	skr_diags_free(&diags);
	skr_program_free(program);
	skr_trust_free(trust);
	skr_key_free(in.key);
	skr_key_free(in.service);
	skr_buffer_free(&in.policy);
	free(token_text);
	return rc;
}
