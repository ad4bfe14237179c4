/*
 * skr trust: maintain and check trust store files.
 *
 *   skr trust add --authority URL --jwks FILE TRUST.json
 *   skr trust check [--min-rsa-bits BITS] TRUST.json
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define TRUST_USAGE                                                                         \
	"usage: skr trust add --authority URL --jwks FILE TRUST.json\n"                         \
	"       skr trust check [--min-rsa-bits BITS] TRUST.json"
/* Largest trust store or JWKS file read; real ones are a few KiB per key. */
#define TRUST_FILE_MAX (16u << 20)


/* Reads an existing trust store file into text, or sets text to NULL when
 * the file does not exist yet. Returns 0, or -1 after printing why. */
int cli_read_trust_file(const char *path, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	return cli_read_file(path, TRUST_FILE_MAX, text, len);
}

/* Syncs the folder that contains path, so a rename into it is durable. */
static int sync_folder(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int fd = open(dirname(copy), O_RDONLY);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Replaces path with text atomically: the text goes to a temporary file in
 * the same folder, which is synced and then renamed over path, so a reader
 * sees the old store or the new one and never a partial file. The file
 * keeps the mode of the store it replaces. Returns 0, or -1 after printing
 * why. */
int cli_write_trust_file(const char *path, const skr_buffer *text)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);

	int fd = mkstemp(tmp);
	int ok = fd >= 0;
	if (ok) {
		struct stat st;
		mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 0777) : 0644;
		ok = fchmod(fd, mode) == 0;
	}
	for (size_t done = 0; ok && done < text->len;) {
		ssize_t wrote = write(fd, text->data + done, text->len - done);
		if (wrote < 0 && errno == EINTR)
			continue;
		ok = wrote > 0;
		done += ok ? (size_t)wrote : 0;
	}
	if (ok)
		ok = fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok)
		ok = rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "skr: cannot write %s: %s\n", path, strerror(errno));
		snprintf(cli_last_error, sizeof cli_last_error, "cannot write %s: %s", path,
		         strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	} else if (sync_folder(path) != 0) {
		fprintf(stderr, "skr: warning: %s was written, but its folder could not be synced: %s\n",
		        path, strerror(errno));
	}
	free(tmp);
	return ok ? 0 : -1;
}

/* Prints the counts of a store that loads. */
static void print_summary(const char *path, const char *text, size_t len, uint32_t min_bits)
{
	skr_trust_options options;
	skr_trust_options_init(&options);
	options.min_rsa_bits = min_bits;
	skr_trust *trust = NULL;
	if (skr_trust_load(text, len, &options, NULL, &trust) != SKR_OK)
		return;
	skr_trust_summary sum;
	skr_trust_summarize(trust, &sum);
	printf("%s: %u authorit%s, %u key%s, %u usable\n", path, sum.authorities,
	       sum.authorities == 1 ? "y" : "ies", sum.keys, sum.keys == 1 ? "" : "s",
	       sum.usable_keys);
	skr_trust_free(trust);
}

static int trust_add(int argc, char **argv)
{
	const char *authority = NULL, *jwks_path = NULL, *store_path = NULL;
	for (int i = 1; i < argc; i++) {
		int has_value = i + 1 < argc;
		if (strcmp(argv[i], "--authority") == 0 && has_value) {
			authority = argv[++i];
		} else if (strcmp(argv[i], "--jwks") == 0 && has_value) {
			jwks_path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "skr trust add: unknown option or missing value: %s\n" TRUST_USAGE "\n",
			        argv[i]);
			return SKR_EXIT_INVALID;
		} else if (store_path == NULL) {
			store_path = argv[i];
		} else {
			fprintf(stderr, "skr trust add: one trust store at a time\n" TRUST_USAGE "\n");
			return SKR_EXIT_INVALID;
		}
	}
	if (authority == NULL || jwks_path == NULL || store_path == NULL || authority[0] == '\0') {
		fprintf(stderr, "skr trust add: missing %s\n" TRUST_USAGE "\n",
		        authority == NULL || authority[0] == '\0' ? "--authority"
		        : jwks_path == NULL ? "--jwks" : "TRUST.json");
		return SKR_EXIT_INVALID;
	}

	char *jwks = NULL, *store = NULL;
	size_t jwks_len = 0, store_len = 0;
	if (cli_read_file(jwks_path, TRUST_FILE_MAX, &jwks, &jwks_len) != 0)
		return SKR_EXIT_INVALID;
	if (cli_read_trust_file(store_path, &store, &store_len) != 0) {
		free(jwks);
		return SKR_EXIT_INVALID;
	}

	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer updated = { 0 };
	skr_status st = skr_trust_document_update(store, store_len, authority, strlen(authority), jwks,
	                                          jwks_len, 0, &diags, &updated);
	/* The diagnostics may be about the JWKS or the resulting store. */
	cli_print_diags(&diags, "skr trust add", NULL, 0);
	int rc = SKR_EXIT_RELEASE;
	if (st == SKR_E_NOMEM || st == SKR_E_INTERNAL)
		rc = SKR_EXIT_INTERNAL;
	else if (st != SKR_OK)
		rc = SKR_EXIT_INVALID;
	else if (cli_write_trust_file(store_path, &updated) != 0)
		rc = SKR_EXIT_INVALID;
	else
		print_summary(store_path, (const char *)updated.data, updated.len,
		              SKR_DEFAULT_MIN_RSA_BITS);

	skr_buffer_free(&updated);
	skr_diags_free(&diags);
	free(store);
	free(jwks);
	return rc;
}

static int trust_check(int argc, char **argv)
{
	const char *path = NULL;
	uint32_t min_bits = SKR_DEFAULT_MIN_RSA_BITS;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--min-rsa-bits") == 0 && i + 1 < argc) {
			char *end;
			long bits = strtol(argv[++i], &end, 10);
			if (*end != '\0' || bits < 512 || bits > 4096) {
				fprintf(stderr, "skr trust check: invalid --min-rsa-bits %s; give a size from "
				        "512 to 4096 bits\n", argv[i]);
				return SKR_EXIT_INVALID;
			}
			min_bits = (uint32_t)bits;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "skr trust check: unknown option or missing value: %s\n"
			        TRUST_USAGE "\n", argv[i]);
			return SKR_EXIT_INVALID;
		} else if (path == NULL) {
			path = argv[i];
		} else {
			fprintf(stderr, "skr trust check: one trust store at a time\n" TRUST_USAGE "\n");
			return SKR_EXIT_INVALID;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "skr trust check: missing TRUST.json\n" TRUST_USAGE "\n");
		return SKR_EXIT_INVALID;
	}

	char *text;
	size_t len;
	if (cli_read_file(path, TRUST_FILE_MAX, &text, &len) != 0)
		return SKR_EXIT_INVALID;
	skr_trust_options options;
	skr_trust_options_init(&options);
	options.min_rsa_bits = min_bits;
	skr_diags diags;
	skr_diags_init(&diags);
	skr_trust *trust = NULL;
	skr_status st = skr_trust_load(text, len, &options, &diags, &trust);
	cli_print_diags(&diags, path, text, len);
	skr_trust_free(trust);
	int rc = st == SKR_OK ? SKR_EXIT_RELEASE
	       : st == SKR_E_TRUST ? SKR_EXIT_INVALID : SKR_EXIT_INTERNAL;
	if (st == SKR_OK)
		print_summary(path, text, len, min_bits);
	skr_diags_free(&diags);
	free(text);
	return rc;
}

int cli_cmd_trust(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return trust_add(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return trust_check(argc - 1, argv + 1);
	fprintf(stderr, "skr trust: %s\n" TRUST_USAGE "\n",
	        argc >= 2 ? "unknown subcommand" : "missing subcommand");
	return SKR_EXIT_INVALID;
}
