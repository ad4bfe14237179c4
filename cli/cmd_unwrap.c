/*
 * skr unwrap: open a release response with the workload's private key and
 * print the released key, as a JWK for a symmetric key and as PEM (PKCS#8)
 * for an RSA key. Also home of the reader for key files, which never
 * leaves a copy of a key behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define UNWRAP_USAGE \
	"usage: skr unwrap --key WORKLOAD_KEY [--service-key KEY] [--out FILE] RESPONSE"
/* A 4096-bit private key is under 4 KiB as PEM or JWK. */
#define SECRET_FILE_MAX (64u << 10)
/* A response for a 4096-bit key wrapped to a 4096-bit workload key is
 * about 12 KiB. */
#define RESPONSE_FILE_MAX (1u << 20)

/* Sets n bytes to zero through a volatile function pointer, so the store
 * is kept even though the memory is freed next. */
static void *(*volatile wipe_memset)(void *, int, size_t) = memset;


/* Reads a key file ("-" is standard input) into one buffer of fixed size
 * with plain read(2): no stdio buffer and no realloc leave copies of the
 * key in freed memory. Release it with cli_free_secret. Returns 0, or
 * prints the problem and returns -1. */
int cli_read_secret_file(const char *path, char **data, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "skr: cannot read %s: %s\n", path, strerror(errno));
		snprintf(cli_last_error, sizeof cli_last_error, "cannot read %s: %s", path,
		         strerror(errno));
		return -1;
	}
	char *buf = malloc(SECRET_FILE_MAX + 1);
	size_t n = 0;
	const char *problem = buf == NULL ? "out of memory" : NULL;
	while (problem == NULL) {
		ssize_t got = read(fd, buf + n, SECRET_FILE_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			problem = strerror(errno);
		else if (got == 0)
			break;
		else if ((n += (size_t)got) > SECRET_FILE_MAX)
			problem = "the file is over 64 KiB, too large for a key";
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (problem != NULL) {
		fprintf(stderr, "skr: cannot read %s: %s\n", path, problem);
		snprintf(cli_last_error, sizeof cli_last_error, "cannot read %s: %s", path, problem);
		cli_free_secret(buf, n);
		return -1;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

void cli_free_secret(char *data, size_t len)
{
	if (data != NULL)
		wipe_memset(data, 0, len + 1 <= SECRET_FILE_MAX + 1 ? len + 1 : SECRET_FILE_MAX + 1);
	free(data);
}

typedef struct unwrap_args {
	const char *key;
	const char *service_key;
	const char *out;
	const char *response;
} unwrap_args;

static int parse_args(int argc, char **argv, unwrap_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int has_value = i + 1 < argc;
		if (strcmp(arg, "--key") == 0 && has_value) {
			a->key = argv[++i];
		} else if (strcmp(arg, "--service-key") == 0 && has_value) {
			a->service_key = argv[++i];
		} else if (strcmp(arg, "--out") == 0 && has_value) {
			a->out = argv[++i];
		} else if (arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "skr unwrap: unknown option or missing value: %s; " UNWRAP_USAGE "\n",
			        arg);
			return -1;
		} else if (a->response == NULL) {
			a->response = arg;
		} else {
			fprintf(stderr, "skr unwrap: one response at a time; " UNWRAP_USAGE "\n");
			return -1;
		}
	}
	if (a->key == NULL || a->response == NULL) {
		fprintf(stderr, "skr unwrap: missing %s; " UNWRAP_USAGE "\n",
		        a->key == NULL ? "--key" : "RESPONSE");
		return -1;
	}
	return 0;
}

/* Loads the RSA key file of an option. With private_only, a public key
 * is rejected. Returns 0, or an exit code. */
static int load_key(const char *option, const char *path, int private_only, skr_key **key)
{
	char *text;
	size_t len;
	if (cli_read_secret_file(path, &text, &len) != 0)
		return SKR_EXIT_INVALID;
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status st = skr_key_load(text, len, &diags, key);
	cli_free_secret(text, len);
	int rc = 0;
	if (st != SKR_OK) {
		/* No source text: a key file's lines must never be printed. */
		cli_print_diags(&diags, path, NULL, 0);
		rc = st == SKR_E_NOMEM ? SKR_EXIT_INTERNAL : SKR_EXIT_INVALID;
	} else if (skr_key_kind_of(*key) == SKR_KEY_OCT ||
	           (private_only && skr_key_kind_of(*key) != SKR_KEY_RSA_PRIVATE)) {
		fprintf(stderr, "skr unwrap: %s %s is not an RSA %skey\n", option, path,
		        private_only ? "private " : "");
		skr_key_free(*key);
		*key = NULL;
		rc = SKR_EXIT_INVALID;
	}
	skr_diags_free(&diags);
	return rc;
}

/* Writes the released key to --out (created with mode 0600) or stdout,
 * with write(2) so that no stdio buffer keeps a copy. */
static int write_key(const unwrap_args *a, const char *text, size_t len)
{
	const char *name = a->out != NULL ? a->out : "stdout";
	int fd = a->out != NULL ? open(a->out, O_WRONLY | O_CREAT | O_TRUNC, 0600) : STDOUT_FILENO;
	int ok = fd >= 0;
	for (size_t done = 0; ok && done < len;) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		done += ok ? (size_t)n : 0;
	}
	if (fd >= 0 && fd != STDOUT_FILENO && close(fd) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "skr unwrap: cannot write %s: %s\n", name, strerror(errno));
		return SKR_EXIT_INVALID;
	}
	return 0;
}

int cli_cmd_unwrap(int argc, char **argv)
{
	unwrap_args a;
	if (parse_args(argc, argv, &a) != 0)
		return SKR_EXIT_INVALID;

	skr_key *workload = NULL, *service = NULL, *released = NULL;
	char *response = NULL, *text = NULL;
	size_t response_len = 0, text_len = 0;
	skr_diags diags;
	skr_diags_init(&diags);

	int rc = load_key("--key", a.key, 1, &workload);
	if (rc == 0 && a.service_key != NULL)
		rc = load_key("--service-key", a.service_key, 0, &service);
	if (rc == 0 && cli_read_file(a.response, RESPONSE_FILE_MAX, &response, &response_len) != 0)
		rc = SKR_EXIT_INVALID;
	if (rc != 0)
		goto done;

	skr_envelope_signature signature;
	skr_status st = skr_envelope_open(response, response_len, workload, service, &diags,
	                                  &released, &signature);
	if (st != SKR_OK) {
		cli_print_diags(&diags, a.response, NULL, 0);
		rc = st == SKR_E_TOKEN || st == SKR_E_USAGE ? SKR_EXIT_INVALID : SKR_EXIT_INTERNAL;
		goto done;
	}
	if (signature == SKR_ENVELOPE_SIGNATURE_UNCHECKED)
		fprintf(stderr, "skr unwrap: warning: the response is signed, but its signature was not "
		        "checked; give --service-key KEY to check it\n");

	skr_key_export(released, NULL, 0, &text_len);
	text = malloc(text_len);
	if (text == NULL || skr_key_export(released, text, text_len, &text_len) != SKR_OK) {
		fprintf(stderr, "skr unwrap: out of memory\n");
		rc = SKR_EXIT_INTERNAL;
		goto done;
	}
	rc = write_key(&a, text, text_len);

done:
	if (text != NULL)
		wipe_memset(text, 0, text_len);
	free(text);
	free(response);
	skr_key_free(released);
	skr_key_free(service);
	skr_key_free(workload);
	skr_diags_free(&diags);
	return rc;
}
