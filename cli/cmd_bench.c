/*
 * skr bench: measure what policies cost to evaluate and to release, with
 * the peers a user would otherwise pick measured in the same run. The
 * measuring lives in bench/; this file reads the arguments and inputs and
 * picks the report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "harness.h"

#define BENCH_USAGE                                                                          \
	"usage: skr bench POLICY... (--claims CLAIMS.json [--issuer URL] | --token TOKEN.jwt "     \
	"--trust TRUST.json [--now EPOCH] [--leeway SECONDS]) [--generate KIND=N[,N...]] "       \
	"[--json | --csv] [--svg FILE] [--threads N] [--quick] [--rounds N] [--round-ms MS] "    \
	"[--no-peers] [--peers-python] [--python PATH] [--limit NAME=VALUE]"
#define BENCH_TRUST_FILE_MAX (16u << 20)
#define BENCH_WORKLOADS_MAX 1024u
#define BENCH_ROUNDS_MAX 1000u
/* Path of the script that `skr bench --peers-python` runs, relative to the
 * working directory; --peers-python-script sets another. */
#define BENCH_PYTHON_SCRIPT "bench/peers/python_peers.py"

typedef enum { OUTPUT_TABLE, OUTPUT_JSON, OUTPUT_CSV } output_kind;

typedef struct bench_args {
	const char *policies[BENCH_WORKLOADS_MAX];
	size_t policy_count;
	bench_gen_spec generate[8];
	size_t generate_count;
	const char *claims;
	const char *issuer;
	const char *token;
	const char *trust;
	const char *svg;
	const char *python;
	const char *python_script;
	int64_t now;
	int64_t leeway;
	output_kind output;
	int peers;
	int peers_python;
	bench_config config;
	skr_limits limits;
} bench_args;

void cli_print_cost(FILE *out, const skr_cost *cost)
{
	fprintf(out, "cost: %u authority entries, %u conditions, %u bytes of code, %u bytes in all\n",
	        cost->entries, cost->conditions, cost->code_bytes, cost->bytecode_bytes);
	fprintf(out, "worst case of one decision: %u instructions, %u claim loads; longest path "
	        "through one entry: %u instructions\n", cost->instructions, cost->claim_loads,
	        cost->longest_path);
}

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

/* Parses a whole number in [low, high]. */
static int parse_count(const char *text, int64_t low, int64_t high, int64_t *out)
{
	return parse_int64(text, out) == 0 && *out >= low && *out <= high ? 0 : -1;
}

static int parse_option(bench_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	const char *value = *i + 1 < argc ? argv[*i + 1] : NULL;
	int64_t n;
	char err[256];

	if (strcmp(arg, "--json") == 0 || strcmp(arg, "--csv") == 0) {
		output_kind kind = arg[2] == 'j' ? OUTPUT_JSON : OUTPUT_CSV;
		if (a->output != OUTPUT_TABLE && a->output != kind) {
			fprintf(stderr, "skr bench: --json and --csv exclude each other\n");
			return -1;
		}
		a->output = kind;
		return 0;
	}
	if (strcmp(arg, "--quick") == 0) {
		bench_config_init(&a->config, 1);
		return 0;
	}
	if (strcmp(arg, "--no-peers") == 0) {
		a->peers = 0;
		return 0;
	}
	if (strcmp(arg, "--peers-python") == 0) {
		a->peers_python = 1;
		return 0;
	}
	if (value == NULL) {
		fprintf(stderr, "skr bench: unknown option or missing value: %s; " BENCH_USAGE "\n", arg);
		return -1;
	}
	(*i)++;
	if (strcmp(arg, "--claims") == 0) {
		a->claims = value;
	} else if (strcmp(arg, "--issuer") == 0) {
		a->issuer = value;
	} else if (strcmp(arg, "--token") == 0) {
		a->token = value;
	} else if (strcmp(arg, "--trust") == 0) {
		a->trust = value;
	} else if (strcmp(arg, "--svg") == 0) {
		a->svg = value;
	} else if (strcmp(arg, "--python") == 0) {
		a->python = value;
	} else if (strcmp(arg, "--peers-python-script") == 0) {
		a->python_script = value;
	} else if (strcmp(arg, "--now") == 0) {
		if (parse_int64(value, &a->now) != 0) {
			fprintf(stderr, "skr bench: invalid --now %s; give seconds since the Unix epoch\n", value);
			return -1;
		}
	} else if (strcmp(arg, "--leeway") == 0) {
		if (parse_count(value, 0, INT32_MAX, &a->leeway) != 0) {
			fprintf(stderr, "skr bench: invalid --leeway %s; give a number of seconds, 0 or more\n",
			        value);
			return -1;
		}
	} else if (strcmp(arg, "--threads") == 0) {
		if (parse_count(value, 1, BENCH_THREADS_MAX, &n) != 0) {
			fprintf(stderr, "skr bench: invalid --threads %s; give a count from 1 to %u\n", value,
			        BENCH_THREADS_MAX);
			return -1;
		}
		a->config.threads = (uint32_t)n;
	} else if (strcmp(arg, "--rounds") == 0) {
		if (parse_count(value, 1, BENCH_ROUNDS_MAX, &n) != 0) {
			fprintf(stderr, "skr bench: invalid --rounds %s; give a count from 1 to %u\n", value,
			        BENCH_ROUNDS_MAX);
			return -1;
		}
		a->config.rounds = (uint32_t)n;
	} else if (strcmp(arg, "--round-ms") == 0) {
		if (parse_count(value, 1, 60000, &n) != 0) {
			fprintf(stderr, "skr bench: invalid --round-ms %s; give milliseconds from 1 to 60000\n",
			        value);
			return -1;
		}
		a->config.round_ns = (double)n * 1e6;
	} else if (strcmp(arg, "--generate") == 0) {
		if (a->generate_count == sizeof a->generate / sizeof a->generate[0]) {
			fprintf(stderr, "skr bench: too many --generate options; at most %zu\n",
			        sizeof a->generate / sizeof a->generate[0]);
			return -1;
		}
		if (bench_gen_parse(value, &a->generate[a->generate_count], err, sizeof err) != 0) {
			fprintf(stderr, "skr bench: %s\n", err);
			return -1;
		}
		a->generate_count++;
	} else if (strcmp(arg, "--limit") == 0) {
		if (cli_set_limit(value, &a->limits) != 0)
			return -1;
	} else {
		fprintf(stderr, "skr bench: unknown option: %s; " BENCH_USAGE "\n", arg);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, bench_args *a)
{
	memset(a, 0, sizeof *a);
	bench_config_init(&a->config, 0);
	skr_limits_init(&a->limits);
	a->now = (int64_t)time(NULL);
	a->peers = 1;
	a->python = "python3";
	a->python_script = BENCH_PYTHON_SCRIPT;

	/* --quick sets rounds and round time, which --rounds and --round-ms
	 * then override, whatever the order on the command line. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			bench_config_init(&a->config, 1);
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] == '-' && arg[1] != '\0') {
			if (strcmp(arg, "--quick") == 0)
				continue;
			if (parse_option(a, argc, argv, &i) != 0)
				return -1;
		} else if (a->policy_count < BENCH_WORKLOADS_MAX) {
			a->policies[a->policy_count++] = arg;
		} else {
			fprintf(stderr, "skr bench: too many policies; at most %u\n", BENCH_WORKLOADS_MAX);
			return -1;
		}
	}

	if (a->policy_count == 0 && a->generate_count == 0) {
		fprintf(stderr, "skr bench: give at least one POLICY or --generate; " BENCH_USAGE "\n");
		return -1;
	}
	if (a->policy_count > 0) {
		int by_claims = a->claims != NULL;
		int by_token = a->token != NULL || a->trust != NULL;
		if (by_claims == by_token || (by_token && (a->token == NULL || a->trust == NULL))) {
			fprintf(stderr, "skr bench: decide the policies on --claims FILE, or on --token FILE "
			        "with --trust FILE; " BENCH_USAGE "\n");
			return -1;
		}
	}
	return 0;
}

/* Reads the token file, without the whitespace around the token. */
static int read_token(const bench_args *a, char **token, size_t *len)
{
	char *text;
	size_t n;
	if (cli_read_file(a->token, a->limits.token_bytes + 4096, &text, &n) != 0)
		return -1;
	size_t start = 0;
	while (start < n && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' ||
	                     text[start] == '\t'))
		start++;
	while (n > start && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r' ||
	                     text[n - 1] == '\t'))
		n--;
	memmove(text, text + start, n - start);
	text[n - start] = '\0';
	*token = text;
	*len = n - start;
	return 0;
}

/* Loads the trust store of --trust. Returns an exit code. */
static int load_trust(const bench_args *a, skr_trust **trust)
{
	char *text;
	size_t len;
	if (cli_read_file(a->trust, BENCH_TRUST_FILE_MAX, &text, &len) != 0)
		return SKR_EXIT_INVALID;
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_trust_load(text, len, NULL, &diags, trust);
	if (status != SKR_OK)
		cli_print_diags(&diags, a->trust, text, len);
	skr_diags_free(&diags);
	free(text);
	if (status == SKR_OK)
		return 0;
	return status == SKR_E_NOMEM ? SKR_EXIT_INTERNAL : SKR_EXIT_INVALID;
}

/* Builds the shared input of the policies on the command line from the
 * claims, or from the token and the trust store, whose ownership passes
 * to input. Returns an exit code. */
static int load_input(const bench_args *a, skr_trust *trust, bench_input *input)
{
	char err[512];
	skr_status status;
	if (a->claims != NULL) {
		char *json;
		size_t len;
		if (cli_read_file(a->claims, a->limits.token_bytes + 1, &json, &len) != 0)
			return SKR_EXIT_INVALID;
		status = bench_input_from_claims(input, json, len, &a->limits, a->issuer, err, sizeof err);
		input->claims_path = a->claims;
	} else {
		char *token;
		size_t token_len;
		if (read_token(a, &token, &token_len) != 0) {
			skr_trust_free(trust);
			return SKR_EXIT_INVALID;
		}
		skr_verify_options options;
		skr_verify_options_init(&options, a->now);
		options.leeway = a->leeway;
		options.limits = a->limits;
		status = bench_input_from_token(input, token, token_len, trust, &options, err, sizeof err);
		input->token_path = a->token;
		input->trust_path = a->trust;
	}
	if (status != SKR_OK) {
		fprintf(stderr, "skr bench: %s: %s\n", a->claims ? a->claims : a->token, err);
		if (a->token != NULL)
			fprintf(stderr, "skr bench: a bench decides on a token that verifies; for an old "
			        "token, give the time it was valid with --now EPOCH\n");
		return status == SKR_E_NOMEM || status == SKR_E_INTERNAL ? SKR_EXIT_INTERNAL
		                                                          : SKR_EXIT_INVALID;
	}
	return 0;
}

/* The policy as JSON text for the peers: the file itself for JSON, the DSL
 * converted with skr_format, NULL for a compiled program. */
static char *policy_json_of(const char *path, const skr_limits *limits, size_t *len)
{
	char *text;
	size_t n;
	if (cli_read_file(path, limits->policy_bytes + 1, &text, &n) != 0)
		return NULL;
	cli_input_kind kind = cli_input_kind_of(path, text, n);
	if (kind == CLI_INPUT_JSON) {
		*len = n;
		return text;
	}
	char *json = NULL;
	if (kind == CLI_INPUT_DSL) {
		skr_buffer out = { NULL, 0 };
		if (skr_format(text, n, SKR_SYNTAX_DSL, SKR_SYNTAX_JSON, limits, NULL, &out) == SKR_OK) {
			json = malloc(out.len + 1);
			if (json != NULL) {
				memcpy(json, out.data, out.len);
				json[out.len] = '\0';
				*len = out.len;
			}
		}
		skr_buffer_free(&out);
	}
	free(text);
	return json;
}

/* Loads the policies and generates the workloads. Returns an exit code. */
static int load_workloads(const bench_args *a, bench_input *input, bench_workload *workloads,
                          size_t *count)
{
	*count = 0;
	for (size_t i = 0; i < a->policy_count; i++) {
		bench_workload *w = &workloads[*count];
		memset(w, 0, sizeof *w);
		int rc = cli_load_program(a->policies[i], &a->limits, &w->program);
		if (rc != 0)
			return rc;
		(*count)++;
		w->input = input;
		w->name = malloc(strlen(a->policies[i]) + 1);
		if (w->name == NULL)
			return SKR_EXIT_INTERNAL;
		memcpy(w->name, a->policies[i], strlen(a->policies[i]) + 1);
		/* Only the first policy meets the peers. */
		if (i == 0)
			w->policy_json = policy_json_of(a->policies[i], &a->limits, &w->policy_json_len);
	}
	for (size_t g = 0; g < a->generate_count; g++) {
		for (uint32_t k = 0; k < a->generate[g].count; k++) {
			if (*count == BENCH_WORKLOADS_MAX) {
				fprintf(stderr, "skr bench: too many workloads; at most %u\n", BENCH_WORKLOADS_MAX);
				return SKR_EXIT_INVALID;
			}
			char err[512];
			skr_status status = bench_gen_workload(a->generate[g].kind, a->generate[g].sizes[k],
			                                       &workloads[*count], err, sizeof err);
			if (status != SKR_OK) {
				fprintf(stderr, "skr bench: %s\n", err);
				return SKR_EXIT_INTERNAL;
			}
			(*count)++;
		}
	}
	return 0;
}

static int write_svg(const char *path, const bench_report *report)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "skr bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = bench_report_svg(f, report);
	if (fclose(f) != 0 || rc != 0) {
		fprintf(stderr, "skr bench: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* Measures every workload and the peers, then writes the reports. */
static int run(const bench_args *a, bench_workload *workloads, size_t count)
{
	bench_result *results = calloc(count, sizeof *results);
	bench_peers *peers = calloc(1, sizeof *peers);
	bench_machine machine;
	int rc = 0;
	if (results == NULL || peers == NULL) {
		free(results);
		free(peers);
		return SKR_EXIT_INTERNAL;
	}
	bench_machine_read(&machine);

	for (size_t i = 0; i < count; i++) {
		char err[512];
		fprintf(stderr, "skr bench: measuring %s (%zu of %zu)\n", workloads[i].name, i + 1, count);
		skr_status status = bench_run_workload(&a->config, &workloads[i], &results[i], err,
		                                       sizeof err);
		if (status != SKR_OK) {
			fprintf(stderr, "skr bench: %s: %s\n", workloads[i].name, err);
			rc = status == SKR_E_USAGE ? SKR_EXIT_INVALID : SKR_EXIT_INTERNAL;
			goto done;
		}
	}
	if (a->peers) {
		fprintf(stderr, "skr bench: measuring the peers on %s\n", workloads[0].name);
		bench_c_peers_run(&a->config, &workloads[0], peers);
		if (a->peers_python)
			bench_python_peers_run(&a->config, &workloads[0], a->python, a->python_script, peers);
	}
	bench_load_average(machine.load_after);

	bench_report report = { &a->config, results, count, peers, &machine };
	if (a->output == OUTPUT_JSON)
		bench_report_json(stdout, &report);
	else if (a->output == OUTPUT_CSV)
		bench_report_csv(stdout, &report);
	else
		bench_report_table(stdout, &report);
	if (a->svg != NULL && write_svg(a->svg, &report) != 0)
		rc = SKR_EXIT_INVALID;

done:
	free(results);
	free(peers);
	return rc;
}

int cli_cmd_bench(int argc, char **argv)
{
	bench_args *a = calloc(1, sizeof *a);
	if (a == NULL)
		return SKR_EXIT_INTERNAL;
	if (parse_args(argc, argv, a) != 0) {
		free(a);
		return SKR_EXIT_INVALID;
	}

	bench_input input;
	memset(&input, 0, sizeof input);
	size_t capacity = a->policy_count;
	for (size_t g = 0; g < a->generate_count; g++)
		capacity += a->generate[g].count;
	bench_workload *workloads = calloc(capacity, sizeof *workloads);
	size_t count = 0;
	int rc = workloads == NULL ? SKR_EXIT_INTERNAL : 0;

	/* The trust store, then the policies, then the token or the claims,
	 * as every command checks its inputs. */
	skr_trust *trust = NULL;
	if (rc == 0 && a->trust != NULL)
		rc = load_trust(a, &trust);
	if (rc == 0)
		rc = load_workloads(a, &input, workloads, &count);
	if (rc == 0 && a->policy_count > 0) {
		rc = load_input(a, trust, &input);
		trust = NULL;
	}
	skr_trust_free(trust);
	if (rc == 0)
		rc = run(a, workloads, count);

	for (size_t i = 0; i < count; i++)
		bench_workload_free(&workloads[i]);
	free(workloads);
	bench_input_free(&input);
	free(a);
	return rc;
}
