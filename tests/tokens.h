/*
 * Test inputs: files of examples/ and the shared directory, the example
 * keys, tokens minted with them, and the trust stores and programs that
 * decide them. A failed step fails the running test (cr_assert), except in
 * the readers that return NULL for a missing file.
 */
#ifndef SKR_TEST_TOKENS_H
#define SKR_TEST_TOKENS_H

#include <stddef.h>

#include "skr.h"

/* Reads a whole file, NUL-terminated; NULL when it cannot be read. */
char *test_slurp(const char *path, size_t *len);

/* Reads examples/NAME from SKR_ROOT, the working directory, its parent, or
 * next to this source file. Fails the test when none of them has it. */
char *test_read_example(const char *name, size_t *len);

/* Reads NAME below the shared directory (SKR_SHARED, default ../shared).
 * A missing file is reported with test_skip and gives NULL, because suites
 * that read ../shared must pass without it. */
char *test_read_shared(const char *name, size_t *len);

/* Reads corpus/real/NAME, the real published corpus, as test_read_shared
 * reads its files. */
char *test_read_real(const char *name, size_t *len);

/* Reports a check that cannot run here, such as one that reads a missing
 * ../shared, with printf-style arguments. The line goes to the runner's
 * log and to stderr, which the runner shows without --verbose. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads the signing key examples/keys/NAME. */
skr_signing_key *test_example_key(const char *name);

/* Mints an RS256 token with kid over the claims JSON. */
skr_buffer test_mint(const skr_signing_key *key, const char *kid, const char *claims);

/* Loads a trust store in which authority has the public key of key under
 * kid. */
skr_trust *test_trust_for(const skr_signing_key *key, const char *authority, const char *kid);

/* Compiles a JSON policy and loads its program. */
skr_program *test_program(const char *policy);

#endif
