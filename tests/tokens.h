/*
 * Test tokens: the example keys, tokens minted with them, and a trust
 * store and programs to verify and decide them. Each helper fails the
 * running test (cr_assert) when a step does not succeed.
 */
#ifndef SKR_TEST_TOKENS_H
#define SKR_TEST_TOKENS_H

#include <stddef.h>

#include "skr.h"

/* Reads a whole file, NUL-terminated; NULL when it cannot be read. */
char *test_slurp(const char *path, size_t *len);

/* Loads examples/keys/NAME from SKR_ROOT or the working directory (the
 * suite runs from the repository root). */
skr_signing_key *test_example_key(const char *name);

/* Mints an RS256 token with kid over the claims JSON. */
skr_buffer test_mint(const skr_signing_key *key, const char *kid, const char *claims);

/* Loads a trust store in which authority has the public key of key under
 * kid. */
skr_trust *test_trust_for(const skr_signing_key *key, const char *authority, const char *kid);

/* Compiles a JSON policy and loads its program. */
skr_program *test_program(const char *policy);

#endif
