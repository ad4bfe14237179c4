/*
 * skr compile, skr check and skr disasm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The default output name: the input's name with its extension replaced
 * by .skrb (or .skrb appended when it has none). */
static char *default_output(const char *input)
{
	const char *slash = strrchr(input, '/');
	const char *dot = strrchr(input, '.');
	size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - input) : strlen(input);
	char *out = malloc(stem + 6);
	if (!out)
		return NULL;
	memcpy(out, input, stem);
	memcpy(out + stem, ".skrb", 6);
	return out;
}

/* Writes data to path through a temporary file in the same folder and a
 * rename, so a reader never sees a partial program. */
static int write_atomically(const char *path, const uint8_t *data, size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp)
		return -1;
	snprintf(tmp, n + 16, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	int ok = f && fwrite(data, 1, len, f) == len;
	if (f && fflush(f) != 0)
		ok = 0;
	if (f && fsync(fileno(f)) != 0)
		ok = 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "skr: cannot write %s: %s\n", path, strerror(errno));
		remove(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

int cli_cmd_compile(int argc, char **argv)
{
	const char *input = NULL, *output = NULL;
	skr_limits limits;
	skr_limits_init(&limits);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			output = argv[++i];
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (cli_set_limit(argv[++i], &limits) != 0)
				return SKR_EXIT_INVALID;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "skr compile: unknown option %s; usage: skr compile POLICY [-o OUT.skrb]\n", argv[i]);
			return SKR_EXIT_INVALID;
		} else if (!input) {
			input = argv[i];
		} else {
			fprintf(stderr, "skr compile: one policy at a time; usage: skr compile POLICY [-o OUT.skrb]\n");
			return SKR_EXIT_INVALID;
		}
	}
	if (!input) {
		fprintf(stderr, "skr compile: missing POLICY; usage: skr compile POLICY [-o OUT.skrb]\n");
		return SKR_EXIT_INVALID;
	}
	skr_buffer image = { NULL, 0 };
	int rc = cli_compile_file(input, &limits, &image, 1);
	if (rc != 0)
		return rc;
	char *owned = NULL;
	if (!output) {
		owned = default_output(input);
		output = owned;
	}
	if (!output || write_atomically(output, image.data, image.len) != 0)
		rc = SKR_EXIT_INVALID;
	free(owned);
	skr_buffer_free(&image);
	return rc;
}

int cli_cmd_check(int argc, char **argv)
{
	int werror = 0, files = 0, worst = 0;
	skr_limits limits;
	skr_limits_init(&limits);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--werror") == 0) {
			werror = 1;
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (cli_set_limit(argv[++i], &limits) != 0)
				return SKR_EXIT_INVALID;
			argv[i] = NULL;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "skr check: unknown option %s; usage: skr check [--werror] POLICY...\n", argv[i]);
			return SKR_EXIT_INVALID;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (!argv[i] || (argv[i][0] == '-' && argv[i][1] != '\0'))
			continue;
		files++;
		char *data;
		size_t len;
		if (cli_read_file(argv[i], limits.policy_bytes + 1, &data, &len) != 0) {
			worst = SKR_EXIT_INVALID;
			continue;
		}
		cli_input_kind kind = cli_input_kind_of(argv[i], data, len);
		skr_diags diags;
		skr_diags_init(&diags);
		skr_status status;
		if (kind == CLI_INPUT_PROGRAM) {
			/* A compiled program has no source to lint; loading it runs the
			 * verifier, which is the check that applies. */
			skr_program *program = NULL;
			status = skr_program_load(data, len, &diags, &program);
			skr_program_free(program);
			cli_print_diags(&diags, argv[i], NULL, 0);
		} else {
			status = skr_check_policy(data, len, kind == CLI_INPUT_JSON ? SKR_SYNTAX_JSON : SKR_SYNTAX_DSL,
			                          &limits, &diags);
			cli_print_diags(&diags, argv[i], data, len);
		}
		int rc = 0;
		if (status == SKR_E_NOMEM || status == SKR_E_INTERNAL)
			rc = SKR_EXIT_INTERNAL;
		else if (status != SKR_OK || (werror && diags.warnings > 0))
			rc = SKR_EXIT_INVALID;
		if (status == SKR_OK)
			printf("%s: %s, %zu warning%s\n", argv[i], rc ? "failed (--werror)" : "ok",
			       diags.warnings, diags.warnings == 1 ? "" : "s");
		if (rc > worst)
			worst = rc;
		skr_diags_free(&diags);
		free(data);
	}
	if (files == 0) {
		fprintf(stderr, "skr check: missing POLICY; usage: skr check [--werror] POLICY...\n");
		return SKR_EXIT_INVALID;
	}
	return worst;
}

int cli_cmd_disasm(int argc, char **argv)
{
	const char *input = NULL;
	skr_limits limits;
	skr_limits_init(&limits);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (cli_set_limit(argv[++i], &limits) != 0)
				return SKR_EXIT_INVALID;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "skr disasm: unknown option %s; usage: skr disasm PROGRAM.skrb\n", argv[i]);
			return SKR_EXIT_INVALID;
		} else if (!input) {
			input = argv[i];
		} else {
			fprintf(stderr, "skr disasm: one program at a time; usage: skr disasm PROGRAM.skrb\n");
			return SKR_EXIT_INVALID;
		}
	}
	if (!input) {
		fprintf(stderr, "skr disasm: missing PROGRAM; usage: skr disasm PROGRAM.skrb\n");
		return SKR_EXIT_INVALID;
	}
	skr_program *program = NULL;
	int rc = cli_load_program(input, &limits, &program);
	if (rc != 0)
		return rc;
	skr_buffer listing = { NULL, 0 };
	skr_status status = skr_program_disasm(program, &listing);
	if (status == SKR_OK)
		fwrite(listing.data, 1, listing.len, stdout);
	else
		fprintf(stderr, "skr disasm: %s\n", skr_status_name(status));
	skr_buffer_free(&listing);
	skr_program_free(program);
	return status == SKR_OK ? 0 : SKR_EXIT_INTERNAL;
}
