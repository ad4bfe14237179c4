/*
 * SHA-256 (FIPS 180-4) of a whole message in one call.
 *
 * On x86 processors with the SHA extensions (CPUID leaf 7, EBX bit 29)
 * and SSE4.1, the compression function runs on the sha256rnds2,
 * sha256msg1 and sha256msg2 instructions. Everywhere else BearSSL's
 * portable br_sha256 routine hashes. The check runs once per process, and
 * its result is cached in an atomic variable, so every function here may
 * be called from any number of threads.
 */
#ifndef SKR_SHA256_H
#define SKR_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SKR_SHA256_SIZE 32u

/* Hashes len bytes of data into out with the fastest routine this CPU
 * supports. data may be NULL when len is 0. */
void skr_sha256(const void *data, size_t len, uint8_t out[SKR_SHA256_SIZE]);

/* Hashes with BearSSL's portable routine on every CPU. Tests compare it
 * with skr_sha256. */
void skr_sha256_portable(const void *data, size_t len, uint8_t out[SKR_SHA256_SIZE]);

/* Names the routine that skr_sha256 uses on this CPU: "x86 SHA extensions"
 * or "portable (BearSSL)". */
const char *skr_sha256_engine(void);

#endif
