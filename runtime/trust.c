/*
 * Trust store loading: authority -> JWKS, with each JWK checked and either
 * kept or skipped (see the contract in skr.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "base64url.h"
#include "bytecode.h"
#include "token.h"

void skr_trust_options_init(skr_trust_options *options)
{
	options->min_rsa_bits = SKR_DEFAULT_MIN_RSA_BITS;
}

void skr_shown(const char *s, size_t len, char out[SKR_SHOWN_MAX + 4])
{
	size_t n = len < SKR_SHOWN_MAX ? len : SKR_SHOWN_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Loading state shared by the helpers below. */
typedef struct loader {
	skr_trust *trust;
	const skr_trust_options *options;
	skr_diags *diags;
	int nomem;
} loader;

static void *arena_copy(loader *ld, const void *bytes, size_t len)
{
	void *p = skr_arena_alloc(&ld->trust->arena, len == 0 ? 1 : len);
	if (p == NULL) {
		ld->nomem = 1;
		return NULL;
	}
	if (len > 0)
		memcpy(p, bytes, len);
	return p;
}

static char *arena_printf(loader *ld, const char *fmt, ...) SKR_PRINTF(2, 3);
static char *arena_printf(loader *ld, const char *fmt, ...)
{
	char text[320];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
	char *p = skr_arena_strndup(&ld->trust->arena, text, len);
	if (p == NULL)
		ld->nomem = 1;
	return p;
}

/* Reports an error that makes the whole store invalid. */
static skr_status store_error(loader *ld, const char *code, const char *fmt, ...)
	SKR_PRINTF(3, 4);
static skr_status store_error(loader *ld, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(ld->diags, NULL, SKR_SEV_ERROR, code, 0, 0, fmt, ap);
	va_end(ap);
	return SKR_E_TRUST;
}

/* The key being loaded, with the names its messages use. */
typedef struct key_input {
	const json_t *jwk;
	char authority[SKR_SHOWN_MAX + 4];
	char label[SKR_SHOWN_MAX + 16];  /* kid "..." or #index */
	uint8_t *n;                  /* decoded modulus and exponent (malloc) */
	size_t n_len;
	uint8_t *e;
	size_t e_len;
	int bad_kid;                 /* "kid" is present but not a string */
} key_input;

/* Marks a key skipped, with a warning naming the authority and the key. */
static void skip_key(loader *ld, key_input *in, skr_trust_key *key, const char *fmt, ...)
	SKR_PRINTF(4, 5);
static void skip_key(loader *ld, key_input *in, skr_trust_key *key, const char *fmt, ...)
{
	char why[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);

	key->skipped = arena_printf(ld, "%s", why);
	skr_diag_add(ld->diags, NULL, SKR_SEV_WARNING, "trust-key-skipped", 0, 0,
	             "skipping key %s of authority %s: %s", in->label, in->authority, why);
}

/* Strips leading zero bytes in place; returns the new length. */
static size_t strip_zeros(uint8_t **v, size_t len)
{
	while (len > 0 && (*v)[0] == 0) {
		(*v)++;
		len--;
	}
	return len;
}

/* Decodes a base64url JWK member into a malloc'd buffer. Returns 1 on
 * success; 0 (not a string, or no memory) or -1 (not valid base64url)
 * with *why set otherwise. */
static int decode_member(const json_t *value, uint8_t **out, size_t *out_len, const char **why)
{
	if (!json_is_string(value)) {
		*why = "is not a string";
		return 0;
	}
	const char *text = json_string_value(value);
	size_t len = json_string_length(value);
	uint8_t *buf = malloc(skr_base64_decoded_max(len));
	if (buf == NULL) {
		*why = "could not be decoded (out of memory)";
		return 0;
	}
	skr_b64_status st = skr_base64url_decode(text, len, buf, out_len, NULL);
	if (st != SKR_B64_OK) {
		free(buf);
		*why = skr_b64_status_text(st);
		return -1;
	}
	*out = buf;
	return 1;
}

/* Extracts the RSA key of the DER certificate in x5c[0]. Returns 1 on
 * success with in->n/in->e set (malloc), 0 with a reason in why. */
static int key_from_x5c(const json_t *x5c, key_input *in, char *why, size_t why_cap)
{
	if (!json_is_array(x5c) || json_array_size(x5c) == 0) {
		snprintf(why, why_cap, "x5c is not a non-empty array");
		return 0;
	}
	const json_t *first = json_array_get(x5c, 0);
	if (!json_is_string(first)) {
		snprintf(why, why_cap, "x5c[0] is not a string");
		return 0;
	}

	const char *text = json_string_value(first);
	size_t len = json_string_length(first);
	uint8_t *der = malloc(skr_base64_decoded_max(len));
	if (der == NULL) {
		snprintf(why, why_cap, "out of memory decoding x5c[0]");
		return 0;
	}
	size_t der_len = 0;
	skr_b64_status st = skr_base64_decode(text, len, der, &der_len, NULL);
	if (st != SKR_B64_OK) {
		snprintf(why, why_cap, "x5c[0] is not valid base64: %s", skr_b64_status_text(st));
		free(der);
		return 0;
	}

	/* The decoder context is large (several KiB of buffers). */
	br_x509_decoder_context *dc = malloc(sizeof *dc);
	if (dc == NULL) {
		snprintf(why, why_cap, "out of memory decoding x5c[0]");
		free(der);
		return 0;
	}
	br_x509_decoder_init(dc, NULL, NULL);
	br_x509_decoder_push(dc, der, der_len);
	int ok = 0;
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(dc);
	if (pk == NULL) {
		snprintf(why, why_cap, "x5c[0] is not a certificate BearSSL can parse (error %d)",
		         br_x509_decoder_last_error(dc));
	} else if (pk->key_type != BR_KEYTYPE_RSA) {
		snprintf(why, why_cap, "the certificate in x5c[0] holds a non-RSA key");
	} else {
		in->n = malloc(pk->key.rsa.nlen);
		in->e = malloc(pk->key.rsa.elen);
		if (in->n == NULL || in->e == NULL) {
			snprintf(why, why_cap, "out of memory decoding x5c[0]");
		} else {
			memcpy(in->n, pk->key.rsa.n, pk->key.rsa.nlen);
			memcpy(in->e, pk->key.rsa.e, pk->key.rsa.elen);
			in->n_len = pk->key.rsa.nlen;
			in->e_len = pk->key.rsa.elen;
			ok = 1;
		}
	}
	free(dc);
	free(der);
	return ok;
}

/* Checks "use", "key_ops" and "alg". Returns 1 when they allow signature
 * verification, 0 with a reason in why. */
static int check_usage(const json_t *jwk, skr_trust_key *key, char *why, size_t why_cap)
{
	const json_t *use = json_object_get(jwk, "use");
	if (use != NULL && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)) {
		snprintf(why, why_cap, "use is not \"sig\"");
		return 0;
	}

	const json_t *ops = json_object_get(jwk, "key_ops");
	if (ops != NULL) {
		int verify = 0;
		size_t i;
		const json_t *op;
		if (!json_is_array(ops)) {
			snprintf(why, why_cap, "key_ops is not an array");
			return 0;
		}
		json_array_foreach(ops, i, op) {
			if (!json_is_string(op)) {
				snprintf(why, why_cap, "key_ops holds a value that is not a string");
				return 0;
			}
			if (strcmp(json_string_value(op), "verify") == 0)
				verify = 1;
		}
		if (!verify) {
			snprintf(why, why_cap, "key_ops does not include \"verify\"");
			return 0;
		}
	}

	const json_t *alg = json_object_get(jwk, "alg");
	if (alg != NULL) {
		skr_alg parsed;
		if (!json_is_string(alg)) {
			snprintf(why, why_cap, "alg is not a string");
			return 0;
		}
		if (!skr_alg_parse(json_string_value(alg), json_string_length(alg), &parsed)) {
			char name[SKR_SHOWN_MAX + 4];
			skr_shown(json_string_value(alg), json_string_length(alg), name);
			snprintf(why, why_cap, "alg \"%s\" is not an implemented signature algorithm "
			         "(RS256, RS384, RS512)", name);
			return 0;
		}
		key->alg = parsed;
	}
	return 1;
}

/* Reads the RSA key from n/e and/or x5c into in->n/in->e. Returns 1 on
 * success, 0 with a reason in why. */
static int read_rsa_key(key_input *in, char *why, size_t why_cap)
{
	const json_t *jn = json_object_get(in->jwk, "n");
	const json_t *je = json_object_get(in->jwk, "e");
	const json_t *x5c = json_object_get(in->jwk, "x5c");
	const char *bad;

	if ((jn == NULL) != (je == NULL)) {
		snprintf(why, why_cap, "it has %s without %s", jn ? "n" : "e", jn ? "e" : "n");
		return 0;
	}
	if (jn == NULL && x5c == NULL) {
		snprintf(why, why_cap, "it has neither n/e nor x5c");
		return 0;
	}
	if (jn != NULL) {
		const json_t *members[2] = { jn, je };
		uint8_t **dst[2] = { &in->n, &in->e };
		size_t *dst_len[2] = { &in->n_len, &in->e_len };
		for (int i = 0; i < 2; i++) {
			int got = decode_member(members[i], dst[i], dst_len[i], &bad);
			if (got != 1) {
				snprintf(why, why_cap, "%s %s%s", i == 0 ? "n" : "e",
				         got < 0 ? "is not valid base64url: " : "", bad);
				return 0;
			}
		}
	}
	if (x5c == NULL)
		return 1;

	key_input cert = { 0 };
	if (!key_from_x5c(x5c, &cert, why, why_cap))
		return 0;
	if (in->n == NULL) {
		in->n = cert.n;
		in->n_len = cert.n_len;
		in->e = cert.e;
		in->e_len = cert.e_len;
		return 1;
	}

	/* Both forms given: they must name the same key. */
	uint8_t *a = in->n, *b = cert.n, *c = in->e, *d = cert.e;
	size_t an = strip_zeros(&a, in->n_len), bn = strip_zeros(&b, cert.n_len);
	size_t cn = strip_zeros(&c, in->e_len), dn = strip_zeros(&d, cert.e_len);
	int same = an == bn && cn == dn && memcmp(a, b, an) == 0 && memcmp(c, d, cn) == 0;
	free(cert.n);
	free(cert.e);
	if (!same) {
		snprintf(why, why_cap, "n/e and the certificate in x5c[0] hold different keys");
		return 0;
	}
	return 1;
}

/* Odd primes up to 353. A modulus built by the flawed Infineon generator
 * (ROCA, CVE-2017-15361) is, modulo each of them, a power of 65537; the
 * generator used at least these primes for every key of 992 bits or more.
 * A random modulus passes all 70 tests with a probability near 2^-83. */
static const uint16_t roca_primes[] = {
	3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
	79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
	173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263,
	269, 271, 277, 281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353,
};

/* Returns 1 when n has the ROCA fingerprint. */
static int has_roca_fingerprint(const uint8_t *n, size_t n_len)
{
	for (size_t i = 0; i < sizeof roca_primes / sizeof roca_primes[0]; i++) {
		uint32_t p = roca_primes[i];
		uint32_t r = 0;
		for (size_t j = 0; j < n_len; j++)
			r = (r * 256u + n[j]) % p;

		/* Walk the powers of 65537 modulo p until they cycle back to 1. */
		uint32_t g = 65537u % p, x = 1;
		int member = 0;
		do {
			if (x == r) {
				member = 1;
				break;
			}
			x = x * g % p;
		} while (x != 1);
		if (!member)
			return 0;
	}
	return 1;
}

/* Checks the modulus and the exponent. Returns 1 when the key may serve. */
static int check_rsa_numbers(loader *ld, const uint8_t *n, size_t n_len, const uint8_t *e,
                             size_t e_len, uint32_t bits, char *why, size_t why_cap)
{
	if (n_len == 0 || (n[n_len - 1] & 1u) == 0) {
		snprintf(why, why_cap, "the modulus is even or zero");
		return 0;
	}
	if (bits < ld->options->min_rsa_bits) {
		snprintf(why, why_cap, "RSA key of %u bits is under the minimum of %u bits",
		         bits, ld->options->min_rsa_bits);
		return 0;
	}
	if (bits > SKR_MAX_RSA_BITS) {
		snprintf(why, why_cap, "RSA key of %u bits is over the maximum of %u bits",
		         bits, SKR_MAX_RSA_BITS);
		return 0;
	}
	if (has_roca_fingerprint(n, n_len)) {
		snprintf(why, why_cap, "the modulus has the ROCA fingerprint (CVE-2017-15361), so "
		         "its factors may be recoverable");
		return 0;
	}
	if (e_len == 0 || (e_len == 1 && e[0] == 1)) {
		snprintf(why, why_cap, "the public exponent is %s", e_len == 0 ? "zero" : "1");
		return 0;
	}
	if ((e[e_len - 1] & 1u) == 0) {
		snprintf(why, why_cap, "the public exponent is even");
		return 0;
	}
	return 1;
}

/* Loads one JWK into key: usable, or skipped with a warning. Returns
 * SKR_OK or SKR_E_NOMEM; a bad key is never an error of the store. */
static skr_status load_key(loader *ld, key_input *in, skr_trust_key *key)
{
	char why[240];
	const json_t *jwk = in->jwk;

	if (!json_is_object(jwk)) {
		skip_key(ld, in, key, "it is not a JSON object");
		return ld->nomem ? SKR_E_NOMEM : SKR_OK;
	}

	if (in->bad_kid) {
		skip_key(ld, in, key, "its kid is not a string");
		goto done;
	}
	const json_t *kty = json_object_get(jwk, "kty");
	if (!json_is_string(kty)) {
		skip_key(ld, in, key, "kty is missing or not a string");
		goto done;
	}
	if (strcmp(json_string_value(kty), "RSA") != 0) {
		char name[SKR_SHOWN_MAX + 4];
		skr_shown(json_string_value(kty), json_string_length(kty), name);
		skip_key(ld, in, key, "kty \"%s\" is not RSA, the only key type implemented", name);
		goto done;
	}
	if (!check_usage(jwk, key, why, sizeof why) || !read_rsa_key(in, why, sizeof why)) {
		skip_key(ld, in, key, "%s", why);
		goto done;
	}

	uint8_t *n = in->n, *e = in->e;
	size_t n_len = strip_zeros(&n, in->n_len);
	size_t e_len = strip_zeros(&e, in->e_len);
	key->bits = skr_bignum_bits(n, n_len);
	if (!check_rsa_numbers(ld, n, n_len, e, e_len, key->bits, why, sizeof why)) {
		skip_key(ld, in, key, "%s", why);
		goto done;
	}
	/* Computes the Montgomery constants once, so no verification recomputes them. */
	if (!skr_rsa_fast_init(&key->prepared, n, n_len, e, e_len)) {
		skip_key(ld, in, key, "the public exponent is over %u bits or the modulus is below 3, "
		         "which skr's RSA code does not take", SKR_RSA_FAST_MAX_BITS);
		goto done;
	}
	key->pub.n = arena_copy(ld, n, n_len);
	key->pub.nlen = n_len;
	key->pub.e = arena_copy(ld, e, e_len);
	key->pub.elen = e_len;

done:
	free(in->n);
	free(in->e);
	in->n = in->e = NULL;
	return ld->nomem ? SKR_E_NOMEM : SKR_OK;
}

/* Reads the "kid" of a JWK (when it is a string) and fails the store when
 * an earlier key of the authority has the same one. */
static skr_status read_kid(loader *ld, const skr_trust_authority *auth, key_input *in,
                           skr_trust_key *key, size_t index)
{
	const json_t *kid = json_is_object(in->jwk) ? json_object_get(in->jwk, "kid") : NULL;

	if (!json_is_string(kid)) {
		snprintf(in->label, sizeof in->label, "#%zu", index);
		in->bad_kid = kid != NULL;
		return SKR_OK;
	}

	const char *text = json_string_value(kid);
	size_t len = json_string_length(kid);
	char name[SKR_SHOWN_MAX + 4];
	skr_shown(text, len, name);
	snprintf(in->label, sizeof in->label, "\"%s\"", name);

	if (skr_trust_find_kid(auth, text, len) != NULL)
		return store_error(ld, "trust-duplicate-kid",
		                   "authority %s has two keys with kid %s; a kid must select one key",
		                   in->authority, in->label);

	key->kid = skr_arena_strndup(&ld->trust->arena, text, len);
	if (key->kid == NULL)
		ld->nomem = 1;
	key->kid_len = len;
	return ld->nomem ? SKR_E_NOMEM : SKR_OK;
}

/* Finds the authority whose normalised name is normalized (len bytes) in
 * the slot table, or returns the empty slot where it would go. */
static uint32_t *authority_slot(const skr_trust *trust, const char *normalized, size_t len)
{
	uint32_t i = (uint32_t)XXH3_64bits(normalized, len) & trust->slot_mask;
	for (;;) {
		uint32_t *slot = &trust->slots[i];
		if (*slot == 0)
			return slot;
		const skr_trust_authority *auth = &trust->authorities[*slot - 1];
		if (auth->normalized_len == len && memcmp(auth->normalized, normalized, len) == 0)
			return slot;
		i = (i + 1) & trust->slot_mask;
	}
}

/* Loads one authority and its JWKS into auth. */
static skr_status load_authority(loader *ld, const char *name, size_t name_len,
                                 const json_t *jwks, skr_trust_authority *auth)
{
	char shown_name[SKR_SHOWN_MAX + 4];
	skr_shown(name, name_len, shown_name);

	if (name_len == 0)
		return store_error(ld, "trust-authority", "an authority name is empty");

	skr_authority_view view;
	skr_authority_view_init(&view, name, name_len);
	char *normalized = skr_arena_alloc(&ld->trust->arena, view.len + 1);
	if (normalized == NULL)
		return SKR_E_NOMEM;
	skr_authority_normalize(&view, normalized);
	normalized[view.len] = '\0';

	/* The slot table finds an earlier authority with the same normalised
	 * name in constant time, so a large store loads in linear time. */
	uint32_t *slot = authority_slot(ld->trust, normalized, view.len);
	if (*slot != 0) {
		const skr_trust_authority *other = &ld->trust->authorities[*slot - 1];
		char other_name[SKR_SHOWN_MAX + 4];
		skr_shown(other->name, other->name_len, other_name);
		return store_error(ld, "trust-duplicate-authority",
		                   "authorities %s and %s match the same issuer; keep one",
		                   other_name, shown_name);
	}
	*slot = (uint32_t)(auth - ld->trust->authorities) + 1;

	auth->name = skr_arena_strndup(&ld->trust->arena, name, name_len);
	if (auth->name == NULL)
		ld->nomem = 1;
	auth->name_len = name_len;
	auth->normalized = normalized;
	auth->normalized_len = view.len;

	const json_t *keys = json_is_object(jwks) ? json_object_get(jwks, "keys") : NULL;
	if (!json_is_array(keys))
		return store_error(ld, "trust-jwks",
		                   "authority %s is not mapped to a JWKS object with a \"keys\" array",
		                   shown_name);

	size_t count = json_array_size(keys);
	if (count > UINT32_MAX / 2)
		return store_error(ld, "trust-jwks", "authority %s has too many keys", shown_name);
	auth->keys = skr_arena_alloc(&ld->trust->arena, (count == 0 ? 1 : count) * sizeof *auth->keys);
	if (auth->keys == NULL || ld->nomem)
		return SKR_E_NOMEM;
	if (count == 0)
		skr_diag_add(ld->diags, NULL, SKR_SEV_WARNING, "trust-no-keys", 0, 0,
		             "authority %s has no keys, so no token from it can verify", shown_name);

	for (size_t i = 0; i < count; i++) {
		skr_trust_key *key = &auth->keys[i];
		key_input in = { .jwk = json_array_get(keys, i) };
		memset(key, 0, sizeof *key);
		memcpy(in.authority, shown_name, sizeof shown_name);

		skr_status st = read_kid(ld, auth, &in, key, i);
		if (st != SKR_OK)
			return st;
		st = load_key(ld, &in, key);
		if (st != SKR_OK)
			return st;
		auth->key_count++;
	}
	return SKR_OK;
}

static _Atomic uint64_t next_trust_id;

skr_status skr_trust_load(const char *json, size_t len, const skr_trust_options *options,
                          skr_diags *diags, skr_trust **out)
{
	if (out == NULL)
		return SKR_E_USAGE;
	*out = NULL;
	if (json == NULL)
		return SKR_E_USAGE;

	skr_trust_options defaults;
	if (options == NULL) {
		skr_trust_options_init(&defaults);
		options = &defaults;
	}

	/* jansson 2.14 ignores a NUL byte right after a number or literal, and
	 * strict JSON has no raw NUL anywhere, so reject one first. */
	const char *nul = memchr(json, '\0', len);
	if (nul != NULL) {
		skr_source src = { json, len };
		skr_diag_add(diags, &src, SKR_SEV_ERROR, "trust-json", (size_t)(nul - json), 1,
		             "invalid trust store JSON: a raw NUL byte; JSON text never contains one");
		return SKR_E_TRUST;
	}
	json_error_t err;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		skr_source src = { json, len };
		size_t at = err.position > 0 && (size_t)err.position <= len ? (size_t)err.position : 0;
		skr_diag_add(diags, &src, SKR_SEV_ERROR, "trust-json", at, 0,
		             "invalid trust store JSON: %s", err.text);
		return SKR_E_TRUST;
	}

	skr_status st = SKR_OK;
	skr_trust *trust = calloc(1, sizeof *trust);
	if (trust == NULL) {
		json_decref(root);
		return SKR_E_NOMEM;
	}
	skr_arena_init(&trust->arena);
	trust->id = atomic_fetch_add(&next_trust_id, 1) + 1;
	loader ld = { .trust = trust, .options = options, .diags = diags };

	if (!json_is_object(root)) {
		st = store_error(&ld, "trust-shape",
		                 "a trust store is a JSON object mapping each authority to a JWKS");
		goto done;
	}

	size_t count = json_object_size(root);
	if (count > UINT32_MAX / 2) {
		st = store_error(&ld, "trust-shape", "the trust store has too many authorities");
		goto done;
	}
	trust->authorities = skr_arena_alloc(&trust->arena,
	                                     (count == 0 ? 1 : count) * sizeof *trust->authorities);
	uint32_t slot_count = 8;
	while (slot_count < 2 * (uint64_t)count)
		slot_count *= 2;
	trust->slots = skr_arena_alloc(&trust->arena, slot_count * sizeof *trust->slots);
	if (trust->authorities == NULL || trust->slots == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	memset(trust->slots, 0, slot_count * sizeof *trust->slots);
	trust->slot_mask = slot_count - 1;
	if (count == 0)
		skr_diag_add(diags, NULL, SKR_SEV_WARNING, "trust-empty", 0, 0,
		             "the trust store names no authority, so no token can verify");

	const char *name;
	size_t name_len;
	json_t *jwks;
	json_object_keylen_foreach(root, name, name_len, jwks) {
		skr_trust_authority *auth = &trust->authorities[trust->authority_count];
		memset(auth, 0, sizeof *auth);
		st = load_authority(&ld, name, name_len, jwks, auth);
		if (st != SKR_OK)
			goto done;
		trust->authority_count++;
	}

done:
	json_decref(root);
	if (st == SKR_OK && ld.nomem)
		st = SKR_E_NOMEM;
	if (st != SKR_OK) {
		skr_trust_free(trust);
		return st;
	}
	*out = trust;
	return SKR_OK;
}

void skr_trust_free(skr_trust *trust)
{
	if (trust == NULL)
		return;
	skr_arena_free(&trust->arena);
	free(trust);
}

void skr_trust_summarize(const skr_trust *trust, skr_trust_summary *summary)
{
	memset(summary, 0, sizeof *summary);
	if (trust == NULL)
		return;
	summary->authorities = trust->authority_count;
	for (uint32_t i = 0; i < trust->authority_count; i++) {
		const skr_trust_authority *auth = &trust->authorities[i];
		summary->keys += auth->key_count;
		for (uint32_t k = 0; k < auth->key_count; k++) {
			if (auth->keys[k].skipped == NULL)
				summary->usable_keys++;
		}
	}
}

const skr_trust_authority *skr_trust_find(const skr_trust *trust, const char *issuer,
                                          size_t len)
{
	skr_authority_view view;
	skr_authority_view_init(&view, issuer, len);
	/* Issuers of normal length are normalised on the stack and looked up
	 * in the slot table. A longer one is compared with each authority. */
	char normalized[512];
	if (view.len <= sizeof normalized) {
		skr_authority_normalize(&view, normalized);
		uint32_t slot = *authority_slot(trust, normalized, view.len);
		return slot != 0 ? &trust->authorities[slot - 1] : NULL;
	}
	for (uint32_t i = 0; i < trust->authority_count; i++) {
		const skr_trust_authority *auth = &trust->authorities[i];
		if (skr_authority_matches(auth->normalized, auth->normalized_len, &view))
			return auth;
	}
	return NULL;
}

const skr_trust_key *skr_trust_find_kid(const skr_trust_authority *authority,
                                        const char *kid, size_t len)
{
	for (uint32_t i = 0; i < authority->key_count; i++) {
		const skr_trust_key *key = &authority->keys[i];
		if (key->kid != NULL && key->kid_len == len && memcmp(key->kid, kid, len) == 0)
			return key;
	}
	return NULL;
}

/* ---- editing store documents ---- */

/* Finds the member of a store document whose name matches authority as an
 * issuer would; returns its name or NULL. */
static const char *find_member(json_t *root, const char *authority, size_t len)
{
	skr_authority_view view;
	skr_authority_view_init(&view, authority, len);
	const char *name;
	size_t name_len;
	json_t *value;
	json_object_keylen_foreach(root, name, name_len, value) {
		skr_authority_view other;
		skr_authority_view_init(&other, name, name_len);
		char *normalized = malloc(other.len + 1);
		if (normalized == NULL)
			return NULL;
		skr_authority_normalize(&other, normalized);
		int same = skr_authority_matches(normalized, other.len, &view);
		free(normalized);
		if (same)
			return name;
	}
	return NULL;
}

/* Returns 1 when two JWKs name the same key: the same kid, or, when the new
 * one has no kid, the same modulus. */
static int same_key(const json_t *old_key, const json_t *new_key)
{
	const json_t *new_kid = json_object_get(new_key, "kid");
	if (new_kid != NULL)
		return json_equal(json_object_get(old_key, "kid"), (json_t *)new_kid);
	const json_t *n = json_object_get(new_key, "n");
	return n != NULL && json_equal(json_object_get(old_key, "n"), (json_t *)n);
}

/* Merges the keys of jwks into the authority's JWKS in root. */
static int merge_keys(json_t *root, const char *member, json_t *jwks)
{
	json_t *existing = json_object_get(root, member);
	json_t *keys = json_object_get(existing, "keys");
	if (!json_is_array(keys))
		return -1;
	size_t i;
	json_t *key;
	json_array_foreach(json_object_get(jwks, "keys"), i, key) {
		for (size_t k = json_array_size(keys); k-- > 0;) {
			if (same_key(json_array_get(keys, k), key))
				json_array_remove(keys, k);
		}
		if (json_array_append(keys, key) != 0)
			return -1;
	}
	return 0;
}

skr_status skr_trust_document_update(const char *store, size_t store_len, const char *authority,
                                     size_t authority_len, const char *jwks, size_t jwks_len,
                                     int merge, skr_diags *diags, skr_buffer *out)
{
	if (out == NULL || authority == NULL || jwks == NULL || authority_len == 0)
		return SKR_E_USAGE;
	out->data = NULL;
	out->len = 0;
	if (memchr(authority, '\0', authority_len) != NULL)
		return SKR_E_USAGE;

	json_error_t err;
	json_t *root = store != NULL && store_len > 0
	             ? json_loadb(store, store_len, JSON_REJECT_DUPLICATES, &err) : json_object();
	json_t *keys = json_loadb(jwks, jwks_len, JSON_REJECT_DUPLICATES, &err);
	char *name = NULL, *text = NULL;
	skr_status st = SKR_OK;

	if (!json_is_object(root)) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "trust-json", 0, 0,
		             "the trust store is not a JSON object%s%s",
		             root == NULL ? ": " : "", root == NULL ? err.text : "");
		st = SKR_E_TRUST;
		goto done;
	}
	if (!json_is_object(keys) || !json_is_array(json_object_get(keys, "keys"))) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "trust-jwks", 0, 0,
		             "the JWKS is not a JSON object with a \"keys\" array%s%s",
		             keys == NULL ? ": " : "", keys == NULL ? err.text : "");
		st = SKR_E_TRUST;
		goto done;
	}

	const char *member = find_member(root, authority, authority_len);
	name = member != NULL ? strdup(member) : strndup(authority, authority_len);
	if (name == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	int failed = merge && member != NULL ? merge_keys(root, name, keys)
	                                     : json_object_set(root, name, keys);
	if (failed) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "trust-jwks", 0, 0,
		             "the keys of %s could not be updated; its entry is not a JWKS", name);
		st = SKR_E_TRUST;
		goto done;
	}

	text = json_dumps(root, JSON_INDENT(2));
	if (text == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	skr_trust *check = NULL;
	st = skr_trust_load(text, strlen(text), NULL, diags, &check);
	skr_trust_free(check);
	if (st != SKR_OK)
		goto done;

	size_t len = strlen(text);
	out->data = malloc(len + 1);
	if (out->data == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	memcpy(out->data, text, len);
	out->data[len] = '\n';
	out->len = len + 1;

done:
	free(text);
	free(name);
	json_decref(keys);
	json_decref(root);
	return st;
}
