/*
 * Internals of token verification: the trust store's layout, the JWS
 * compact parser and the RSA glue around rsa_fast.c and BearSSL. Nothing
 * here is public; tests include it to reach the layers one at a time.
 */
#ifndef SKR_TOKEN_H
#define SKR_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "rsa_fast.h"
#include "skr.h"
#include "util.h"

/* The largest modulus of a trust store key. rsa_fast.c and BearSSL's i31
 * and i62 engines handle moduli up to this size. */
#define SKR_MAX_RSA_BITS 4096u
#define SKR_MAX_RSA_BYTES (SKR_MAX_RSA_BITS / 8u)
/* Largest digest of an implemented algorithm (SHA-512). */
#define SKR_MAX_HASH_BYTES 64u

/* Maximum length of an outside value (kid, issuer, alg) echoed in a
 * diagnostic. */
#define SKR_SHOWN_MAX 64u

/* Copies s into out for a diagnostic. Control bytes become '?', and a
 * value longer than SKR_SHOWN_MAX bytes is cut and ends in "...". out has
 * room for SKR_SHOWN_MAX + 4 bytes and is always NUL-terminated. */
void skr_shown(const char *s, size_t len, char out[SKR_SHOWN_MAX + 4]);

/* ---- RSA glue (rsa_verify.c) ---- */

/* Hashes msg with the hash of alg into out: SHA-256 with skr_sha256 (the
 * x86 SHA extensions where present), SHA-384 and SHA-512 with BearSSL.
 * Returns the digest length, or 0 when alg is not a single implemented
 * algorithm. */
size_t skr_hash_for_alg(skr_alg alg, const void *msg, size_t len,
                        uint8_t out[SKR_MAX_HASH_BYTES]);

/* Compares two byte strings in time that depends only on len. Returns 1
 * when they are equal. */
int skr_ct_equal(const void *a, const void *b, size_t len);

/* Verifies an RSASSA-PKCS1-v1_5 signature given the digest of the signed
 * message (from skr_hash_for_alg with the same alg). The signature must be
 * exactly as long as the modulus and below it. It is raised to the public
 * exponent, and the result must equal the encoding 00 01 FF..FF 00
 * DigestInfo digest that this function builds, compared in constant time
 * over every byte. Returns 1 when the signature is valid, 0 otherwise (an
 * unprepared key included). Allocates nothing. The key's size and exponent
 * are not checked here because the trust store checks them. */
int skr_rsa_verify_digest(const skr_rsa_fast_key *key, skr_alg alg, const uint8_t *digest,
                          const uint8_t *sig, size_t sig_len);

/* Hashes msg with the hash of alg, then verifies as skr_rsa_verify_digest
 * does. */
int skr_rsa_verify_prepared(const skr_rsa_fast_key *key, skr_alg alg, const void *msg,
                            size_t msg_len, const uint8_t *sig, size_t sig_len);

/* Verifies as skr_rsa_verify_prepared does with a key that is prepared on
 * the stack for this one call, which costs a few microseconds more. For
 * keys outside a trust store (self-tests, test vectors). Returns 0 as well
 * when skr_rsa_fast_init rejects the key. */
int skr_rsa_verify(const br_rsa_public_key *key, skr_alg alg, const void *msg,
                   size_t msg_len, const uint8_t *sig, size_t sig_len);

/* Signs msg with RSASSA-PKCS1-v1_5 into sig, which must hold
 * (key->n_bitlen + 7) / 8 bytes. Returns 1 on success, 0 on failure. */
int skr_rsa_sign(const br_rsa_private_key *key, skr_alg alg, const void *msg,
                 size_t msg_len, uint8_t *sig);

/* Bit length of a big-endian unsigned integer (leading zeros ignored). */
uint32_t skr_bignum_bits(const uint8_t *v, size_t len);

/* ---- trust store (trust.c) ---- */

typedef struct skr_trust_key {
	const char *kid;            /* NULL when the JWK has no "kid" */
	size_t kid_len;
	br_rsa_public_key pub;      /* n and e without leading zeros; arena memory */
	skr_rsa_fast_key prepared;  /* n and e prepared for verification, read-only after load */
	uint32_t bits;
	uint32_t alg;               /* the JWK's "alg" as an skr_alg, 0 for any */
	const char *skipped;        /* NULL for a usable key, else why it was skipped */
} skr_trust_key;

typedef struct skr_trust_authority {
	const char *name;           /* as written in the store */
	size_t name_len;
	const char *normalized;     /* one trailing '/' removed, scheme and host folded */
	size_t normalized_len;
	skr_trust_key *keys;
	uint32_t key_count;
} skr_trust_authority;

struct skr_trust {
	uint64_t id;                /* unique in the process, so that a cache can tell
	                               a new store at a freed store's address */
	skr_trust_authority *authorities;
	uint32_t authority_count;
	uint32_t *slots;            /* open addressing over the normalised names: index + 1,
	                               0 when empty; at most half full */
	uint32_t slot_mask;         /* slot count - 1 */
	skr_arena arena;            /* owns every array and string above */
};

/* Finds the authority that matches issuer under the rules of policy
 * authorities (one trailing '/' ignored, scheme and host compared without
 * case). Returns NULL when none does. */
const skr_trust_authority *skr_trust_find(const skr_trust *trust, const char *issuer,
                                          size_t len);

/* Finds the key with this kid under an authority, or NULL. */
const skr_trust_key *skr_trust_find_kid(const skr_trust_authority *authority,
                                        const char *kid, size_t len);

/* ---- compact JWS (jws.c) ---- */

/* Memory a verification may use instead of allocating: a workspace's
 * buffers (cache.c). Any member may be NULL, and then that part is
 * allocated for the one verification. */
typedef struct skr_verify_memory {
	uint8_t *parts;             /* room for the three decoded parts */
	size_t parts_cap;
	skr_claims *header;         /* reusable indexes (skr_claims_new_reusable) */
	skr_claims *payload;
} skr_verify_memory;

/* A parsed, not yet verified compact JWS. */
typedef struct skr_jws {
	const char *signing_input;  /* "header.payload" inside the token */
	size_t signing_input_len;
	uint8_t *buf;               /* the three decoded parts */
	int owns_buf;               /* buf was allocated for this token */
	skr_claims *header;         /* index of the header JSON */
	int owns_header;
	const char *payload;        /* decoded payload (claims JSON) */
	size_t payload_len;
	const uint8_t *signature;
	size_t signature_len;
	skr_alg alg;
	const char *kid;            /* the header's "kid" inside header, NUL-terminated, or NULL */
	size_t kid_len;
} skr_jws;

/* Splits and decodes a compact JWS and checks its header. A rejection
 * returns SKR_E_TOKEN, sets *reason and *check (the stable code and the
 * check that failed) and adds an error to diags whose offsets are byte
 * offsets into the token. Otherwise returns SKR_OK with jws filled. The
 * caller frees jws with skr_jws_free in every case. */
skr_status skr_jws_parse(const char *token, size_t len, const skr_verify_options *options,
                         skr_diags *diags, skr_jws *jws, const char **reason,
                         skr_token_check *check);
/* The same, with the decoded parts and the header index in mem where it
 * has room. jws then points into mem until mem is used again. */
skr_status skr_jws_parse_in(const char *token, size_t len, const skr_verify_options *options,
                            const skr_verify_memory *mem, skr_diags *diags, skr_jws *jws,
                            const char **reason, skr_token_check *check);
void skr_jws_free(skr_jws *jws);

/* Verifies as skr_token_verify does, with the memory of mem where it has
 * room (mem may be NULL). out is reset first and is not cleared after:
 * its issuer points into *claims, and *claims is mem->payload or, without
 * one, an index the caller frees (also after a rejection). */
skr_status skr_token_verify_in(const skr_trust *trust, const char *token, size_t len,
                               const skr_verify_options *options, const skr_verify_memory *mem,
                               skr_diags *diags, skr_token *out, skr_claims **claims);

/* Checks the lifetime of a token verified earlier, as a verification
 * does. Returns SKR_OK, or SKR_E_TOKEN with *reason set and an error in
 * diags. */
skr_status skr_token_check_lifetime(const skr_claims *claims, const skr_verify_options *options,
                                    skr_diags *diags, const char **reason);

/* ---- minting (minting.c) ---- */

/* The private half of a signing key, for skr_jws_sign_raw. */
const br_rsa_private_key *skr_signing_key_private(const skr_signing_key *key);

/* Signs a header and a payload, both given as exact bytes, into a compact
 * JWS. Tests use it to build tokens with odd headers. */
skr_status skr_jws_sign_raw(const br_rsa_private_key *key, skr_alg alg, const char *header,
                            size_t header_len, const char *payload, size_t payload_len,
                            skr_buffer *out);

#endif
