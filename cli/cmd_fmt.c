/*
 * skr fmt: canonical formatting of a policy, and conversion between the
 * JSON and DSL forms.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define FMT_USAGE "usage: skr fmt [--to json|dsl] [-o FILE | -w] POLICY"

/* The temporary file of a -w or -o write in progress, removed by the
 * signal handler so an interrupted run leaves nothing behind. */
static char pending_temp[PATH_MAX + 32];
static volatile sig_atomic_t temp_exists;

static void remove_temp_and_die(int sig)
{
	if (temp_exists)
		unlink(pending_temp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define HANDLED_SIGNALS (sizeof handled_signals / sizeof handled_signals[0])

static void catch_signals(struct sigaction *saved)
{
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_handler = remove_temp_and_die;
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < HANDLED_SIGNALS; i++)
		sigaction(handled_signals[i], &action, &saved[i]);
}

static void restore_signals(const struct sigaction *saved)
{
	for (size_t i = 0; i < HANDLED_SIGNALS; i++)
		sigaction(handled_signals[i], &saved[i], NULL);
}

/* Writes all of data to fd; returns 0 or -1 with errno set. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Flushes the folder that contains path, so a rename in it survives a crash.
 * Failure is ignored: some file systems cannot sync a folder, and the
 * rename has already happened. */
static void sync_folder(const char *path)
{
	const char *slash = strrchr(path, '/');
	char folder[PATH_MAX];
	if (!slash)
		snprintf(folder, sizeof folder, ".");
	else if (slash == path)
		snprintf(folder, sizeof folder, "/");
	else
		snprintf(folder, sizeof folder, "%.*s", (int)(slash - path), path);
	int fd = open(folder, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Replaces the file at path with data atomically: a temporary file in the
 * same folder is written, synced to disk and renamed over path. Readers see
 * the old file or the new one, never a mix. After a failure, SIGINT, SIGTERM
 * or SIGHUP, path is as it was and the temporary file is gone. mode is the
 * permission bits of the new file. Returns 0, or prints why and returns -1. */
static int replace_file(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	int n = snprintf(pending_temp, sizeof pending_temp, "%.*s.%s.skr-fmt-XXXXXX", dir_len, path,
	                 base);
	if (n < 0 || (size_t)n >= sizeof pending_temp) {
		fprintf(stderr, "skr fmt: cannot write %s: the path is too long\n", path);
		return -1;
	}
	struct sigaction saved[HANDLED_SIGNALS];
	catch_signals(saved);
	int fd = mkstemp(pending_temp);
	if (fd < 0) {
		fprintf(stderr, "skr fmt: cannot write %s: cannot create a temporary file beside it: %s\n",
		        path, strerror(errno));
		restore_signals(saved);
		return -1;
	}
	temp_exists = 1;
	const char *step = "cannot write the temporary file";
	int ok = write_all(fd, data, len) == 0;
	if (ok && !(ok = fchmod(fd, mode) == 0))
		step = "cannot set the temporary file's permissions";
	if (ok && !(ok = fsync(fd) == 0))
		step = "cannot sync the temporary file to disk";
	int saved_errno = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		saved_errno = errno;
		step = "cannot close the temporary file";
	}
	if (ok && !(ok = rename(pending_temp, path) == 0)) {
		saved_errno = errno;
		step = "cannot rename the temporary file over it";
	}
	if (!ok) {
		unlink(pending_temp);
		fprintf(stderr, "skr fmt: cannot write %s: %s: %s; the file is unchanged\n", path, step,
		        strerror(saved_errno));
	}
	temp_exists = 0;
	restore_signals(saved);
	if (ok)
		sync_folder(path);
	return ok ? 0 : -1;
}

/* Writes the output to standard output. Returns an exit code. */
static int write_stdout(const skr_buffer *text)
{
	if (fwrite(text->data, 1, text->len, stdout) != text->len || fflush(stdout) != 0) {
		fprintf(stderr, "skr fmt: cannot write standard output: %s\n", strerror(errno));
		return SKR_EXIT_INVALID;
	}
	return 0;
}

/* Writes the output to a new or existing file given with -o; an existing
 * file keeps its permissions. Returns an exit code. */
static int write_output_file(const char *path, const skr_buffer *text)
{
	struct stat st;
	mode_t mode = 0644;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "skr fmt: cannot write %s: not a regular file\n", path);
			return SKR_EXIT_INVALID;
		}
		mode = st.st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	return replace_file(path, text->data, text->len, mode) == 0 ? 0 : SKR_EXIT_INVALID;
}

/* Rewrites the input file in place (-w), keeping its permissions. The file
 * is left untouched when it is already canonical. A symbolic link is
 * rejected, because the rename would replace the link with a file. Returns
 * an exit code. */
static int rewrite_input(const char *path, const char *data, size_t len, const skr_buffer *text)
{
	if (text->len == len && memcmp(text->data, data, len) == 0)
		return 0;
	struct stat st;
	if (lstat(path, &st) != 0) {
		fprintf(stderr, "skr fmt: cannot rewrite %s: %s\n", path, strerror(errno));
		return SKR_EXIT_INVALID;
	}
	if (S_ISLNK(st.st_mode)) {
		fprintf(stderr, "skr fmt: cannot rewrite %s: it is a symbolic link; run skr fmt -w on the file it points to\n",
		        path);
		return SKR_EXIT_INVALID;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "skr fmt: cannot rewrite %s: not a regular file\n", path);
		return SKR_EXIT_INVALID;
	}
	return replace_file(path, text->data, text->len, st.st_mode & 07777) == 0
	       ? 0 : SKR_EXIT_INVALID;
}

/* Options of one run. */
typedef struct fmt_options {
	const char *input;
	const char *output;        /* -o FILE; NULL or "-" for standard output */
	int in_place;              /* -w */
	skr_syntax to;             /* --to; SKR_SYNTAX_AUTO for the input's own form */
	skr_limits limits;
} fmt_options;

#if defined(__GNUC__) || defined(__clang__)
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif

/* Prints a usage error and the usage line. Returns the exit code. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "skr fmt: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "; " FMT_USAGE "\n");
	va_end(ap);
	return SKR_EXIT_INVALID;
}

static int takes_value(const char *arg)
{
	return strcmp(arg, "--to") == 0 || strcmp(arg, "-o") == 0 || strcmp(arg, "--limit") == 0;
}

/* Parses the command line into opts. Returns 0, or an exit code after
 * printing the problem. */
static int parse_arguments(int argc, char **argv, fmt_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->to = SKR_SYNTAX_AUTO;
	skr_limits_init(&opts->limits);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--to") == 0 && i + 1 < argc) {
			const char *form = argv[++i];
			if (strcmp(form, "json") == 0)
				opts->to = SKR_SYNTAX_JSON;
			else if (strcmp(form, "dsl") == 0)
				opts->to = SKR_SYNTAX_DSL;
			else
				return usage_error("invalid --to value \"%s\"; give json or dsl", form);
		} else if (strcmp(arg, "-o") == 0 && i + 1 < argc) {
			opts->output = argv[++i];
		} else if (strcmp(arg, "-w") == 0) {
			opts->in_place = 1;
		} else if (strcmp(arg, "--limit") == 0 && i + 1 < argc) {
			if (cli_set_limit(argv[++i], &opts->limits) != 0)
				return SKR_EXIT_INVALID;
		} else if (takes_value(arg)) {
			return usage_error("missing value after %s", arg);
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return usage_error("unknown option %s", arg);
		} else if (!opts->input) {
			opts->input = arg;
		} else {
			return usage_error("one policy at a time");
		}
	}
	if (!opts->input)
		return usage_error("missing POLICY");
	if (opts->in_place && opts->output)
		return usage_error("-w rewrites the input and -o writes another file; give one of them");
	if (opts->in_place && strcmp(opts->input, "-") == 0)
		return usage_error("-w needs a file; standard input cannot be rewritten");
	return 0;
}

static const char *form_name(skr_syntax syntax)
{
	return syntax == SKR_SYNTAX_JSON ? "JSON" : "DSL";
}

int cli_cmd_fmt(int argc, char **argv)
{
	fmt_options opts;
	int rc = parse_arguments(argc, argv, &opts);
	if (rc != 0)
		return rc;
	char *data;
	size_t len;
	if (cli_read_file(opts.input, opts.limits.policy_bytes + 1, &data, &len) != 0)
		return SKR_EXIT_INVALID;
	cli_input_kind kind = cli_input_kind_of(opts.input, data, len);
	if (kind == CLI_INPUT_PROGRAM) {
		fprintf(stderr, "skr fmt: %s is a compiled program; format the policy it was compiled from\n",
		        opts.input);
		free(data);
		return SKR_EXIT_INVALID;
	}
	skr_syntax from = kind == CLI_INPUT_JSON ? SKR_SYNTAX_JSON : SKR_SYNTAX_DSL;
	skr_syntax to = opts.to == SKR_SYNTAX_AUTO ? from : opts.to;
	/* -w keeps a file in its own form, so its extension stays true. */
	if (opts.in_place && to != from) {
		fprintf(stderr, "skr fmt: -w rewrites %s as %s, its own form; to convert it to %s, use --to %s -o FILE\n",
		        opts.input, form_name(from), form_name(to), to == SKR_SYNTAX_JSON ? "json" : "dsl");
		free(data);
		return SKR_EXIT_INVALID;
	}

	skr_diags diags;
	skr_diags_init(&diags);
	skr_buffer text = { NULL, 0 };
	skr_status status = skr_format(data, len, from, to, &opts.limits, &diags, &text);
	cli_print_diags(&diags, opts.input, data, len);
	if (status == SKR_OK) {
		if (opts.in_place)
			rc = rewrite_input(opts.input, data, len, &text);
		else if (opts.output && strcmp(opts.output, "-") != 0)
			rc = write_output_file(opts.output, &text);
		else
			rc = write_stdout(&text);
	} else if (status == SKR_E_NOMEM || status == SKR_E_INTERNAL) {
		if (diags.errors == 0)
			fprintf(stderr, "skr fmt: cannot format %s: %s\n", opts.input, skr_status_name(status));
		rc = SKR_EXIT_INTERNAL;
	} else {
		if (diags.errors == 0)
			fprintf(stderr, "skr fmt: cannot format %s: %s\n", opts.input, skr_status_name(status));
		rc = SKR_EXIT_INVALID;
	}
	skr_buffer_free(&text);
	skr_diags_free(&diags);
	free(data);
	return rc;
}
