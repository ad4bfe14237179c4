/*
 * Shared pieces of the skr command line: exit codes, file reading, input
 * kind detection and diagnostics output. Only the CLI prints.
 */
#ifndef SKR_CLI_H
#define SKR_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "skr.h"

/* Exit codes, the same for every subcommand. */
enum {
	SKR_EXIT_RELEASE = 0,   /* released, or success for commands that decide nothing */
	SKR_EXIT_DENY = 1,
	SKR_EXIT_INVALID = 2,   /* invalid policy, program, trust store or usage */
	SKR_EXIT_TOKEN = 3,     /* token rejected; for eval, invalid claims */
	SKR_EXIT_INTERNAL = 4
};

/* The first error the helpers below printed, for --json output. */
extern char cli_last_error[512];

/* Reads a whole file ("-" is standard input) into a malloc'd buffer with a
 * NUL after the data. Returns 0, or prints "skr: cannot read PATH: REASON"
 * to stderr and returns -1. max_bytes caps the size (0 for no cap); a
 * larger file is reported as over that limit. */
int cli_read_file(const char *path, size_t max_bytes, char **data, size_t *len);

/* Prints every diagnostic to stderr, rendered with the source line and a
 * caret. name is the input's path; src/len the bytes the diagnostics point
 * into (NULL when they have no lines). */
void cli_print_diags(const skr_diags *diags, const char *name, const char *src, size_t len);

/* Writes s as a JSON string literal (quotes included) to out. */
void cli_json_string(FILE *out, const char *s, size_t len);

/* Kind of a policy-or-program input, from its extension or its content. */
typedef enum { CLI_INPUT_JSON, CLI_INPUT_DSL, CLI_INPUT_PROGRAM } cli_input_kind;
cli_input_kind cli_input_kind_of(const char *path, const char *data, size_t len);

/* Loads a policy (compiling it) or a compiled program from path. On
 * failure prints the diagnostics and returns SKR_EXIT_INVALID (or
 * SKR_EXIT_INTERNAL); returns 0 with *program set otherwise. */
int cli_load_program(const char *path, const skr_limits *limits, skr_program **program);

/* Compiles a policy file into image, printing diagnostics (warnings too
 * when print_warnings is set). Returns an exit code. */
int cli_compile_file(const char *path, const skr_limits *limits, skr_buffer *image,
                     int print_warnings);

/* Applies one "--limit NAME=VALUE" setting. Returns 0, or prints the
 * problem and returns -1. */
int cli_set_limit(const char *setting, skr_limits *limits);

/* Decision output (explain.c). The trace may be NULL. With json, one
 * object {"decision", "authority", "reason": {"code", "message"}} and
 * "trace" when a trace is given. */
void cli_print_decision(FILE *out, const skr_program *program, const skr_result *result,
                        const skr_trace *trace, int json);
/* Issuer the next cli_print_decision reports in --json output ("issuer"
 * member); the text must outlive that call. */
void cli_set_decision_issuer(const char *issuer, size_t len);
void cli_print_trace_text(FILE *out, const skr_trace *trace);
void cli_print_trace_json(FILE *out, const skr_trace *trace);
void cli_print_value_json(FILE *out, const skr_value_view *value);
/* Plain-words message for a decision reason code. */
const char *cli_reason_message(const char *reason);
/* The --json object of an outcome that is not a decision: decision is
 * "invalid_policy", "invalid_input", "token_rejected" or "internal_error". */
void cli_print_failure_json(FILE *out, const char *decision, const char *code,
                            const char *message);

/* Trust store files (cmd_trust.c). Reading a missing file gives an empty
 * store; writing goes through a temporary file, fsync and rename. Both
 * return 0, or print the problem and return -1. */
int cli_read_trust_file(const char *path, char **text, size_t *len);
int cli_write_trust_file(const char *path, const skr_buffer *text);

/* Subcommands: argv[0] is the subcommand name. Each returns an exit code. */
int cli_cmd_compile(int argc, char **argv);
int cli_cmd_check(int argc, char **argv);
int cli_cmd_disasm(int argc, char **argv);
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_release(int argc, char **argv);
int cli_cmd_mint(int argc, char **argv);
int cli_cmd_trust(int argc, char **argv);
int cli_cmd_fmt(int argc, char **argv);
int cli_cmd_unwrap(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);

/* Prints a program's static cost (cmd_bench.c), for disasm --cost and check. */
void cli_print_cost(FILE *out, const skr_cost *cost);

/* Reads a secret key file with read(2) into one fixed buffer, so no copy
 * is left in stdio or realloc'd memory; free it with cli_free_secret,
 * which wipes it. Returns 0, or prints the problem and returns -1. */
int cli_read_secret_file(const char *path, char **data, size_t *len);
void cli_free_secret(char *data, size_t len);

#endif
