/*
 * The C peers of `skr bench`, compiled only with -Dpeers=true: what a
 * developer would write without skr, measured on the same workload.
 */
#ifndef SKR_BENCH_PEERS_H
#define SKR_BENCH_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness.h"

/* The hand-written evaluator (handwritten.c): walks the policy JSON and
 * looks each claim path up in the claims JSON, one member name at a time.
 * Returns 1 to release, 0 to deny. */
int peer_handwritten_decide(const json_t *policy, const json_t *claims, const char *issuer,
                            size_t issuer_len);

/* The OpenSSL floor (openssl_floor.c). Fills peers->rsa_verify and
 * peers->sha256 and sets floor_valid; notes why when it cannot. */
void peer_openssl_floor(const bench_config *config, const bench_input *input, bench_peers *peers);

/* Writes the input's RSA key as a PEM public key (SubjectPublicKeyInfo)
 * into a malloc'd, NUL-terminated buffer. Returns NULL on failure. */
char *peer_openssl_public_pem(const bench_input *input, size_t *len);

/* libjwt (libjwt_peer.c): decode and verify, check the lifetime, then the
 * hand-written evaluation. Adds one peer, or a note. */
void peer_libjwt(const bench_config *config, const bench_workload *workload, bench_peers *peers);

#endif
