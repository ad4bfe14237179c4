/*
 * Support code shared by the libFuzzer targets in tests/fuzz: reading the
 * repository's example files, a byte reader for structure-aware targets,
 * and the checks every target applies to what the library returns. A
 * failed check prints what was wrong and calls abort(), which libFuzzer
 * records as a crash with the input that caused it.
 */
#ifndef SKR_FUZZ_SUPPORT_H
#define SKR_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "skr.h"

/* Prints a message to stderr and aborts. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Aborts with a message naming the condition when cond is false. */
#define FZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fz_fail(__VA_ARGS__); \
	} while (0)

/* Reads a whole file into a malloc'd buffer with a NUL after len bytes.
 * Returns NULL when the file cannot be read. */
char *fz_read_file(const char *path, size_t *len);

/* Reads a file of the repository (relative path, "examples/keys/...") from
 * SKR_ROOT, else from the checkout the target was built in. Aborts when it
 * is missing: the targets need these files. */
char *fz_read_repo_file(const char *relative, size_t *len);

/* Reads a file of the shared corpus (relative to SKR_SHARED, default the
 * ../shared beside the checkout). Returns NULL when it is absent. */
char *fz_read_shared_file(const char *relative, size_t *len);

/* A JSON policy that uses every operator with every kind of value, both
 * group kinds, nesting, exists in both senses, the long form, and three
 * authorities (one with case, port, path and a trailing '/', one not a
 * URL). Its claims are s, n, b, i, d, t, a.b.c, a.missing, x and
 * x-ms-attestation-type. */
extern const char *const fz_all_operators_policy;

/* Sequential reader over the fuzzer's input. Reads past the end return 0,
 * so every input decodes to some structure. */
typedef struct fz_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
} fz_reader;

void fz_reader_init(fz_reader *r, const uint8_t *data, size_t len);
uint8_t fz_u8(fz_reader *r);
uint16_t fz_u16(fz_reader *r);
uint32_t fz_u32(fz_reader *r);
uint64_t fz_u64(fz_reader *r);
/* A value in [0, n); n must be > 0. */
uint32_t fz_below(fz_reader *r, uint32_t n);
size_t fz_remaining(const fz_reader *r);

/* Checks the diagnostics a call left against its status: a failure has at
 * least one error, every diagnostic but a note has a code, every one has a
 * one-line message, and
 * spans lie inside the input (src, src_len) when src is not NULL. Renders
 * each diagnostic to exercise skr_diag_render. */
void fz_check_diags(const skr_diags *diags, skr_status status, const char *src, size_t src_len);

/* Evaluates an accepted program on claims sets built from its own claim
 * paths and constants, for each of its authorities and a foreign issuer,
 * with and without a trace, and checks that every result is well formed
 * and that evaluation is repeatable. Also lists the program with
 * skr_program_disasm. Aborts on any inconsistency. */
void fz_exercise_program(const skr_program *program);

/* Compiles src with skr_compile and checks the outcome: the status is one
 * a policy can cause, the diagnostics fit it, a second compilation gives
 * the same bytes, and skr_program_load accepts the image. kept (when not
 * NULL) receives the diagnostics, which the caller frees. On SKR_OK,
 * *program (when program is not NULL) receives the loaded program, which
 * the caller frees, and image (when not NULL) the bytes. */
skr_status fz_compile_checked(const char *src, size_t len, skr_syntax syntax,
                              const skr_limits *limits, skr_diags *kept, skr_buffer *image,
                              skr_program **program);

/* Whether every error in diags comes from a rule that the product applies
 * and the reference evaluator (tests/ref_eval.c) does not: an empty
 * authority, an empty claim path or path segment, and a claim path holding
 * U+0000. A policy rejected only for those is no disagreement. */
int fz_only_product_rules(const skr_diags *diags);

/* Builds the claims JSON fz_exercise_program uses for variant k (0..3):
 * every claim path of the program set to one of the program's constants,
 * plus "iss". Returns a malloc'd text (free with free) or NULL when the
 * program has no claims and k > 0. */
char *fz_program_claims_json(const skr_program *program, unsigned k, size_t *len);

#endif
