/*
 * skr: the command line. Dispatches to one subcommand; every subcommand
 * uses the exit codes of cli.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} command;

static const command commands[] = {
	{ "compile", cli_cmd_compile, "compile POLICY [-o OUT.skrb]" },
	{ "check", cli_cmd_check, "check POLICY..." },
	{ "disasm", cli_cmd_disasm, "disasm PROGRAM.skrb|POLICY" },
	{ "fmt", cli_cmd_fmt, "fmt [--to json|dsl] [-o FILE | -w] POLICY" },
	{ "eval", cli_cmd_eval,
	  "eval POLICY|PROGRAM --claims CLAIMS.json [--issuer URL] [--explain] [--json]" },
	{ "release", cli_cmd_release,
	  "release POLICY|PROGRAM --token TOKEN.jwt --trust TRUST.json [--now EPOCH] [--leeway SECONDS]\n"
	  "            [--alg RS256,RS384,RS512] [--min-rsa-bits BITS] [--explain] [--json]\n"
	  "            [--key KEY [--enc ALG] (--sign-key KEY | --unsigned) [--key-id ID] [--out FILE]]" },
	{ "unwrap", cli_cmd_unwrap,
	  "unwrap --key WORKLOAD_KEY [--service-key KEY] [--out FILE] RESPONSE" },
	{ "bench", cli_cmd_bench,
	  "bench POLICY... (--claims F | --token F --trust F [--now EPOCH]) [--json|--csv] [--svg F]\n"
	  "            [--threads N] [--quick] [--rounds N] [--round-ms MS] [--generate KIND=N,...]\n"
	  "            [--peers-python]" },
	{ "mint", cli_cmd_mint,
	  "mint CLAIMS.json --key KEY [--kid KID | --no-kid] [--alg RS256|RS384|RS512]\n"
	  "            [--trust-out TRUST.json]" },
	{ "trust", cli_cmd_trust,
	  "trust add --authority URL --jwks FILE TRUST.json\n  skr trust check [--min-rsa-bits BITS] TRUST.json" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: skr COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  skr %s\n", commands[i].usage);
	fprintf(out, "\n  skr --version\n\n"
	        "Every command takes --limit NAME=VALUE to change a limit (policy-bytes, depth,\n"
	        "authorities, conditions, token-bytes, claims-depth, claims-members).\n"
	        "Exit codes: 0 released or success, 1 denied, 2 invalid policy, program, trust\n"
	        "store or usage, 3 token rejected (for eval: invalid claims), 4 internal error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SKR_EXIT_INVALID;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("skr %s (bytecode format %u)\n", skr_version(), skr_bytecode_version());
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		for (int j = 2; j < argc; j++) {
			if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
				printf("usage: skr %s\n", commands[i].usage);
				return 0;
			}
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "skr: unknown command \"%s\"; run \"skr --help\" for the list\n", argv[1]);
	return SKR_EXIT_INVALID;
}
