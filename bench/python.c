/*
 * The Python peers: bench/peers/python_peers.py runs as a child process
 * on the first workload and prints one JSON object, which is read here.
 * Its figures include the call from Python into each engine, because that
 * is how a Python service would use them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

/* Largest report the script may print. */
#define PYTHON_OUTPUT_MAX (1u << 20)

/* Writes data to a new temporary file whose name goes into path. */
static int write_temporary(const char *data, size_t len, char *path, size_t cap)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, cap, "%s/skr-bench-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		done += (size_t)n;
	}
	if (close(fd) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* Runs argv with its standard output into a malloc'd buffer. Returns the
 * exit status, or -1 when the child could not run. */
static int run_child(char *const argv[], char **output, size_t *output_len)
{
	int pipe_fds[2];
	if (pipe(pipe_fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pipe_fds[1], STDOUT_FILENO);
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipe_fds[1]);

	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	while (buf != NULL) {
		if (len == cap) {
			if (cap >= PYTHON_OUTPUT_MAX)
				break;
			char *bigger = realloc(buf, cap * 2 + 1);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(pipe_fds[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pipe_fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (buf == NULL)
		return -1;
	buf[len] = '\0';
	*output = buf;
	*output_len = len;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bench_work work_of(const char *name)
{
	if (strcmp(name, "cold") == 0)
		return BENCH_WORK_COLD;
	if (strcmp(name, "index_eval") == 0)
		return BENCH_WORK_INDEX_EVAL;
	if (strcmp(name, "verify") == 0)
		return BENCH_WORK_VERIFY;
	return BENCH_WORK_EVAL;
}

static const char *string_member(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(object, key));
	return s != NULL ? s : "";
}

static double number_member(const json_t *object, const char *key)
{
	return json_number_value(json_object_get(object, key));
}

/* Adds the peers of the script's report. */
static void read_report(const char *text, size_t len, bench_peers *peers)
{
	json_error_t error;
	json_t *root = json_loadb(text, len, 0, &error);
	if (root == NULL || !json_is_object(root)) {
		bench_peers_note(peers, "the Python peers printed no JSON object: %s", error.text);
		json_decref(root);
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(root, "peers"), i, item) {
		double ns = number_member(item, "ns");
		if (!(ns > 0))
			continue;
		bench_peer *peer = bench_peers_add(peers, string_member(item, "name"),
		                                   string_member(item, "version"),
		                                   work_of(string_member(item, "work")),
		                                   string_member(item, "what"));
		if (peer == NULL)
			break;
		peer->stats.valid = 1;
		peer->stats.median = ns;
		peer->stats.p10 = number_member(item, "p10");
		peer->stats.p90 = number_member(item, "p90");
		peer->stats.min = number_member(item, "min");
		peer->stats.max = number_member(item, "max");
		peer->stats.rounds = (uint32_t)json_integer_value(json_object_get(item, "rounds"));
		peer->stats.calls = (uint64_t)json_integer_value(json_object_get(item, "calls"));
		const char *decision = string_member(item, "decision");
		peer->decision = strcmp(decision, "release") == 0 ? 1 : strcmp(decision, "deny") == 0 ? 0 : -1;
	}
	json_array_foreach(json_object_get(root, "notes"), i, item) {
		if (json_is_string(item))
			bench_peers_note(peers, "%s", json_string_value(item));
	}
	json_decref(root);
}

void bench_python_peers_run(const bench_config *config, const bench_workload *workload,
                            const char *python, const char *script, bench_peers *peers)
{
	const bench_input *in = workload->input;
	if (workload->policy_json == NULL) {
		bench_peers_note(peers, "Python peers skipped: %s is a compiled program, and the peers "
		                 "need the policy text", workload->name);
		return;
	}
	char policy_path[4096], claims_path[4096];
	if (write_temporary(workload->policy_json, workload->policy_json_len, policy_path,
	                    sizeof policy_path) != 0) {
		bench_peers_note(peers, "Python peers skipped: cannot write a temporary file: %s",
		                 strerror(errno));
		return;
	}
	if (write_temporary(in->claims_json, in->claims_json_len, claims_path, sizeof claims_path) != 0) {
		bench_peers_note(peers, "Python peers skipped: cannot write a temporary file: %s",
		                 strerror(errno));
		unlink(policy_path);
		return;
	}

	char rounds[16], round_ms[32], now[32];
	snprintf(rounds, sizeof rounds, "%u", config->rounds);
	snprintf(round_ms, sizeof round_ms, "%.3f", config->round_ns / 1e6);
	snprintf(now, sizeof now, "%lld", (long long)in->options.now);
	char *argv[24];
	int argc = 0;
	argv[argc++] = (char *)python;
	argv[argc++] = (char *)script;
	argv[argc++] = "--policy";
	argv[argc++] = policy_path;
	argv[argc++] = "--claims";
	argv[argc++] = claims_path;
	argv[argc++] = "--issuer";
	argv[argc++] = in->issuer;
	argv[argc++] = "--rounds";
	argv[argc++] = rounds;
	argv[argc++] = "--round-ms";
	argv[argc++] = round_ms;
	if (in->token_path != NULL && in->trust_path != NULL) {
		argv[argc++] = "--token";
		argv[argc++] = (char *)in->token_path;
		argv[argc++] = "--trust";
		argv[argc++] = (char *)in->trust_path;
		argv[argc++] = "--now";
		argv[argc++] = now;
	}
	argv[argc] = NULL;

	char *output = NULL;
	size_t output_len = 0;
	int status = run_child(argv, &output, &output_len);
	unlink(policy_path);
	unlink(claims_path);
	if (status != 0) {
		bench_peers_note(peers, "Python peers failed: %s %s exited with status %d", python,
		                 script, status);
	} else {
		read_report(output, output_len, peers);
	}
	free(output);
}
