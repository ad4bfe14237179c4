/*
 * Helpers shared by the subcommands: reading files, telling inputs apart,
 * printing diagnostics and JSON strings, and loading programs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char cli_last_error[512];

static void remember_error(const char *fmt, const char *a, const char *b)
{
	snprintf(cli_last_error, sizeof cli_last_error, fmt, a, b);
}

int cli_read_file(const char *path, size_t max_bytes, char **data, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "skr: cannot read %s: %s\n", path, strerror(errno));
		remember_error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int rc = 0;
	while (buf) {
		if (n == cap) {
			if (max_bytes && cap > max_bytes)
				break;
			char *bigger = realloc(buf, cap * 2 + 1);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (!buf) {
		fprintf(stderr, "skr: cannot read %s: out of memory\n", path);
		rc = -1;
	} else if (ferror(f)) {
		fprintf(stderr, "skr: cannot read %s: %s\n", path, strerror(errno));
		rc = -1;
	} else if (max_bytes && n > max_bytes) {
		fprintf(stderr, "skr: cannot read %s: the file is over the limit of %zu bytes\n",
		        path, max_bytes);
		rc = -1;
	}
	if (f != stdin)
		fclose(f);
	if (rc != 0) {
		remember_error("cannot read %s: %s", path, "the file is unreadable or over the size limit");
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

void cli_print_diags(const skr_diags *diags, const char *name, const char *src, size_t len)
{
	char small[1024];
	int first_error = 1;
	for (size_t i = 0; i < diags->count; i++) {
		const skr_diag *d = &diags->items[i];
		if (d->severity == SKR_SEV_ERROR && first_error) {
			first_error = 0;
			if (d->line > 0)
				snprintf(cli_last_error, sizeof cli_last_error, "%s:%u:%u: %s", name,
				         (unsigned)d->line, (unsigned)d->column, d->message ? d->message : "");
			else
				snprintf(cli_last_error, sizeof cli_last_error, "%s: %s", name,
				         d->message ? d->message : "");
		}
		size_t need = skr_diag_render(d, name, src, len, small, sizeof small);
		if (need < sizeof small) {
			fprintf(stderr, "%s\n", small);
			continue;
		}
		char *big = malloc(need + 1);
		if (!big) {
			fprintf(stderr, "%s\n", small);
			continue;
		}
		skr_diag_render(d, name, src, len, big, need + 1);
		fprintf(stderr, "%s\n", big);
		free(big);
	}
	if (diags->truncated)
		fprintf(stderr, "skr: some diagnostics were lost because memory ran out\n");
}

void cli_json_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c == 0x7F)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

cli_input_kind cli_input_kind_of(const char *path, const char *data, size_t len)
{
	if (has_suffix(path, ".json") || has_suffix(path, ".jsonc"))
		return CLI_INPUT_JSON;
	if (has_suffix(path, ".skr"))
		return CLI_INPUT_DSL;
	if (has_suffix(path, ".skrb"))
		return CLI_INPUT_PROGRAM;
	if (len >= 4 && memcmp(data, "SKRB", 4) == 0)
		return CLI_INPUT_PROGRAM;
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
		i++;
	return i < len && data[i] == '{' ? CLI_INPUT_JSON : CLI_INPUT_DSL;
}

static int exit_for_status(skr_status status)
{
	switch (status) {
	case SKR_OK: return 0;
	case SKR_E_NOMEM:
	case SKR_E_INTERNAL: return SKR_EXIT_INTERNAL;
	default: return SKR_EXIT_INVALID;
	}
}

int cli_compile_file(const char *path, const skr_limits *limits, skr_buffer *image,
                     int print_warnings)
{
	char *data;
	size_t len;
	if (cli_read_file(path, limits->policy_bytes + 1, &data, &len) != 0)
		return SKR_EXIT_INVALID;
	cli_input_kind kind = cli_input_kind_of(path, data, len);
	if (kind == CLI_INPUT_PROGRAM) {
		fprintf(stderr, "skr: %s is already a compiled program\n", path);
		free(data);
		return SKR_EXIT_INVALID;
	}
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_compile(data, len,
	                                kind == CLI_INPUT_JSON ? SKR_SYNTAX_JSON : SKR_SYNTAX_DSL,
	                                limits, &diags, image);
	if (status != SKR_OK || print_warnings)
		cli_print_diags(&diags, path, data, len);
	if (status != SKR_OK && diags.errors == 0)
		fprintf(stderr, "skr: cannot compile %s: %s\n", path, skr_status_name(status));
	skr_diags_free(&diags);
	free(data);
	return exit_for_status(status);
}

int cli_load_program(const char *path, const skr_limits *limits, skr_program **program)
{
	char *data;
	size_t len;
	/* A compiled program takes about four times the bytes of its policy
	 * text, so a program of a policy at the size limit must still load. */
	if (cli_read_file(path, limits->policy_bytes * 16 + 65536, &data, &len) != 0)
		return SKR_EXIT_INVALID;
	skr_buffer image = { NULL, 0 };
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status;
	if (cli_input_kind_of(path, data, len) == CLI_INPUT_PROGRAM) {
		status = skr_program_load(data, len, &diags, program);
		if (status != SKR_OK)
			cli_print_diags(&diags, path, NULL, 0);
		free(data);
	} else {
		free(data);
		skr_diags_free(&diags);
		int rc = cli_compile_file(path, limits, &image, 0);
		if (rc != 0)
			return rc;
		skr_diags_init(&diags);
		status = skr_program_load(image.data, image.len, &diags, program);
		if (status != SKR_OK)
			cli_print_diags(&diags, path, NULL, 0);
		skr_buffer_free(&image);
	}
	skr_diags_free(&diags);
	if (status != SKR_OK && status != SKR_E_PROGRAM)
		fprintf(stderr, "skr: cannot load %s: %s\n", path, skr_status_name(status));
	return exit_for_status(status);
}

static const struct {
	const char *name;
	size_t offset;
	int is_size;
} limit_names[] = {
	{ "policy-bytes", offsetof(skr_limits, policy_bytes), 1 },
	{ "depth", offsetof(skr_limits, depth), 0 },
	{ "authorities", offsetof(skr_limits, authorities), 0 },
	{ "conditions", offsetof(skr_limits, conditions), 0 },
	{ "token-bytes", offsetof(skr_limits, token_bytes), 1 },
	{ "claims-depth", offsetof(skr_limits, claims_depth), 0 },
	{ "claims-members", offsetof(skr_limits, claims_members), 0 },
};

int cli_set_limit(const char *setting, skr_limits *limits)
{
	const char *eq = strchr(setting, '=');
	size_t name_len = eq ? (size_t)(eq - setting) : 0;
	for (size_t i = 0; eq && i < sizeof limit_names / sizeof limit_names[0]; i++) {
		if (strlen(limit_names[i].name) != name_len ||
		    strncmp(limit_names[i].name, setting, name_len) != 0)
			continue;
		char *end;
		errno = 0;
		unsigned long long value = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || value == 0 ||
		    (!limit_names[i].is_size && value > UINT32_MAX)) {
			fprintf(stderr, "skr: invalid value in --limit %s; give a positive whole number\n", setting);
			return -1;
		}
		char *field = (char *)limits + limit_names[i].offset;
		if (limit_names[i].is_size)
			*(size_t *)(void *)field = (size_t)value;
		else
			*(uint32_t *)(void *)field = (uint32_t)value;
		return 0;
	}
	fprintf(stderr, "skr: unknown limit in --limit %s; the limits are policy-bytes, depth, "
	        "authorities, conditions, token-bytes, claims-depth and claims-members\n", setting);
	return -1;
}
