/*
 * Test token minting: RSA private keys from JWK or PEM, and compact JWS
 * signing. `skr mint` and the tests use it, and a verifier never needs it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"

struct skr_signing_key {
	br_rsa_private_key sk;   /* CRT parts, pointing into mem */
	br_rsa_public_key pk;    /* n and e without leading zeros, pointing into mem */
	uint8_t *mem;
};

/* Largest size of one private key element (a prime or a CRT exponent)
 * for a 4096-bit key, plus the modulus and the exponent. */
#define PART_MAX (SKR_MAX_RSA_BYTES / 2 + 8)
#define KEY_MEM (5 * PART_MAX + SKR_MAX_RSA_BYTES + 8)

static skr_status key_error(skr_diags *diags, const char *fmt, ...) SKR_PRINTF(2, 3);
static skr_status key_error(skr_diags *diags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(diags, NULL, SKR_SEV_ERROR, "signing-key", 0, 0, fmt, ap);
	va_end(ap);
	return SKR_E_USAGE;
}

/* Appends len bytes (leading zeros stripped) to the key's memory. */
static uint8_t *put(uint8_t **cursor, const uint8_t *v, size_t *len)
{
	while (*len > 0 && v[0] == 0) {
		v++;
		(*len)--;
	}
	uint8_t *at = *cursor;
	memcpy(at, v, *len);
	*cursor += *len;
	return at;
}

/* Fills key from the parts of a private key; n may be NULL to have BearSSL
 * recompute it from p and q. Copies everything into key->mem. */
static skr_status assemble(skr_signing_key *key, const br_rsa_private_key *sk,
                           const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                           skr_diags *diags)
{
	uint8_t modulus[SKR_MAX_RSA_BYTES];
	if (n == NULL) {
		br_rsa_compute_modulus compute = br_rsa_compute_modulus_get_default();
		size_t need = compute(NULL, sk);
		if (need == 0 || need > sizeof modulus)
			return key_error(diags, "the private key's modulus cannot be computed "
			                        "(over %u bits, or invalid)", SKR_MAX_RSA_BITS);
		n_len = compute(modulus, sk);
		n = modulus;
	}

	size_t sizes[5] = { sk->plen, sk->qlen, sk->dplen, sk->dqlen, sk->iqlen };
	for (int i = 0; i < 5; i++) {
		if (sizes[i] > PART_MAX)
			return key_error(diags, "the private key is over %u bits", SKR_MAX_RSA_BITS);
	}
	if (n_len > SKR_MAX_RSA_BYTES + 1 || e_len > 8 || e_len == 0)
		return key_error(diags, "the key's modulus or public exponent has an unsupported size");

	key->mem = malloc(KEY_MEM);
	if (key->mem == NULL)
		return SKR_E_NOMEM;
	uint8_t *cursor = key->mem;
	key->sk.p = put(&cursor, sk->p, &sizes[0]);
	key->sk.plen = sizes[0];
	key->sk.q = put(&cursor, sk->q, &sizes[1]);
	key->sk.qlen = sizes[1];
	key->sk.dp = put(&cursor, sk->dp, &sizes[2]);
	key->sk.dplen = sizes[2];
	key->sk.dq = put(&cursor, sk->dq, &sizes[3]);
	key->sk.dqlen = sizes[3];
	key->sk.iq = put(&cursor, sk->iq, &sizes[4]);
	key->sk.iqlen = sizes[4];
	key->pk.n = put(&cursor, n, &n_len);
	key->pk.nlen = n_len;
	key->pk.e = put(&cursor, e, &e_len);
	key->pk.elen = e_len;
	key->sk.n_bitlen = skr_bignum_bits(key->pk.n, key->pk.nlen);
	return SKR_OK;
}

/* ---- JWK ---- */

/* Decodes a required base64url member of a private JWK into dst. */
static int jwk_part(const json_t *jwk, const char *name, uint8_t *dst, size_t cap,
                    size_t *len)
{
	const json_t *v = json_object_get(jwk, name);
	if (!json_is_string(v) || skr_base64_decoded_max(json_string_length(v)) > cap)
		return 0;
	return skr_base64url_decode(json_string_value(v), json_string_length(v), dst, len,
	                            NULL) == SKR_B64_OK && *len > 0;
}

static skr_status load_jwk(const char *text, size_t len, skr_diags *diags,
                           skr_signing_key *key)
{
	json_error_t err;
	json_t *jwk = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (jwk == NULL)
		return key_error(diags, "the key is not valid JSON: %s", err.text);

	skr_status st = SKR_OK;
	const json_t *kty = json_object_get(jwk, "kty");
	if (!json_is_object(jwk) || !json_is_string(kty) ||
	    strcmp(json_string_value(kty), "RSA") != 0) {
		st = key_error(diags, "the JWK is not an RSA key (kty \"RSA\")");
		goto done;
	}

	/* Sized for a 4096-bit key, with slack for the decoder's rounding up. */
	static const char *const names[] = { "p", "q", "dp", "dq", "qi", "n", "e" };
	uint8_t parts[7][SKR_MAX_RSA_BYTES + 4];
	size_t lens[7];
	for (int i = 0; i < 7; i++) {
		if (!jwk_part(jwk, names[i], parts[i], sizeof parts[i], &lens[i])) {
			st = key_error(diags, "the JWK has no valid \"%s\"; a private RSA JWK needs "
			                      "n, e, d, p, q, dp, dq and qi", names[i]);
			goto done;
		}
	}
	if (!json_is_string(json_object_get(jwk, "d"))) {
		st = key_error(diags, "the JWK has no \"d\", so it is not a private key");
		goto done;
	}

	br_rsa_private_key sk = {
		.n_bitlen = skr_bignum_bits(parts[5], lens[5]),
		.p = parts[0], .plen = lens[0], .q = parts[1], .qlen = lens[1],
		.dp = parts[2], .dplen = lens[2], .dq = parts[3], .dqlen = lens[3],
		.iq = parts[4], .iqlen = lens[4],
	};
	st = assemble(key, &sk, parts[5], lens[5], parts[6], lens[6], diags);

done:
	json_decref(jwk);
	return st;
}

/* ---- PEM ---- */

typedef struct der_bytes {
	uint8_t *data;
	size_t len;
	size_t cap;
	int failed;
} der_bytes;

static void der_append(void *ctx, const void *data, size_t len)
{
	der_bytes *der = ctx;
	if (der->failed)
		return;
	if (der->len + len > der->cap) {
		size_t cap = der->cap == 0 ? 4096 : der->cap * 2;
		while (cap < der->len + len)
			cap *= 2;
		uint8_t *grown = realloc(der->data, cap);
		if (grown == NULL) {
			der->failed = 1;
			return;
		}
		der->data = grown;
		der->cap = cap;
	}
	memcpy(der->data + der->len, data, len);
	der->len += len;
}

/* A DER reader for the two fields BearSSL's key decoder drops: the
 * modulus and the public exponent of an RSAPrivateKey. */
typedef struct der_cursor {
	const uint8_t *p;
	size_t len;
} der_cursor;

/* Reads one element with the given tag; returns 1 and its contents. */
static int der_read(der_cursor *in, uint8_t tag, der_cursor *out)
{
	if (in->len < 2 || in->p[0] != tag)
		return 0;
	size_t len = in->p[1];
	size_t head = 2;
	if (len & 0x80u) {
		size_t octets = len & 0x7fu;
		if (octets == 0 || octets > 4 || in->len < 2 + octets)
			return 0;
		len = 0;
		for (size_t i = 0; i < octets; i++)
			len = len << 8 | in->p[2 + i];
		head += octets;
	}
	if (len > in->len - head)
		return 0;
	out->p = in->p + head;
	out->len = len;
	in->p += head + len;
	in->len -= head + len;
	return 1;
}

/* Finds n and e in a PKCS#1 RSAPrivateKey, or in the one a PKCS#8
 * PrivateKeyInfo wraps. */
static int der_public_parts(const uint8_t *der, size_t len, int pkcs8, der_cursor *n,
                            der_cursor *e)
{
	der_cursor in = { der, len }, seq, field;
	if (!der_read(&in, 0x30, &seq))
		return 0;
	if (pkcs8) {
		der_cursor octets;
		if (!der_read(&seq, 0x02, &field) || !der_read(&seq, 0x30, &field) ||
		    !der_read(&seq, 0x04, &octets))
			return 0;
		in = octets;
		if (!der_read(&in, 0x30, &seq))
			return 0;
	}
	return der_read(&seq, 0x02, &field) && der_read(&seq, 0x02, n) && der_read(&seq, 0x02, e);
}

/* Collects the DER of the first private key block of a PEM text. */
static skr_status pem_private_key(const char *text, size_t len, skr_diags *diags,
                                  der_bytes *der, int *pkcs8)
{
	br_pem_decoder_context pc;
	br_pem_decoder_init(&pc);
	int inside = 0, done = 0;
	const char *p = text;
	size_t left = len;
	/* The decoder needs a line end after the END line to report it. */
	int newline_pushed = 0;

	while (!done) {
		if (left == 0) {
			if (newline_pushed)
				break;
			p = "\n";
			left = 1;
			newline_pushed = 1;
		}
		size_t used = br_pem_decoder_push(&pc, p, left);
		p += used;
		left -= used;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ: {
			const char *name = br_pem_decoder_name(&pc);
			int rsa = strcmp(name, "RSA PRIVATE KEY") == 0;
			int any = strcmp(name, "PRIVATE KEY") == 0;
			inside = rsa || any;
			*pkcs8 = any;
			br_pem_decoder_setdest(&pc, inside ? der_append : NULL, inside ? der : NULL);
			break;
		}
		case BR_PEM_END_OBJ:
			done = inside;
			break;
		case BR_PEM_ERROR:
			return key_error(diags, "the PEM text is malformed");
		default:
			break;
		}
	}
	if (der->failed)
		return SKR_E_NOMEM;
	if (!done)
		return key_error(diags, "no \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" PEM block found");
	return SKR_OK;
}

static skr_status load_pem(const char *text, size_t len, skr_diags *diags,
                           skr_signing_key *key)
{
	der_bytes der = { 0 };
	int pkcs8 = 0;
	skr_status st = pem_private_key(text, len, diags, &der, &pkcs8);
	if (st != SKR_OK) {
		free(der.data);
		return st;
	}

	br_skey_decoder_context *dc = malloc(sizeof *dc);
	if (dc == NULL) {
		free(der.data);
		return SKR_E_NOMEM;
	}
	br_skey_decoder_init(dc);
	br_skey_decoder_push(dc, der.data, der.len);
	const br_rsa_private_key *sk = br_skey_decoder_get_rsa(dc);
	der_cursor n, e;
	if (sk == NULL)
		st = key_error(diags, "the PEM block is not an RSA private key BearSSL can decode "
		                      "(error %d)", br_skey_decoder_last_error(dc));
	else if (!der_public_parts(der.data, der.len, pkcs8, &n, &e))
		st = key_error(diags, "the PEM block's modulus and public exponent cannot be read");
	else
		st = assemble(key, sk, n.p, n.len, e.p, e.len, diags);
	free(dc);
	free(der.data);
	return st;
}

/* ---- loading ---- */

/* Signs and verifies a fixed message, so a key whose parts do not belong
 * together is caught when it loads rather than by every verifier. */
static int self_test(const skr_signing_key *key)
{
	static const char msg[] = "skr signing key self-test";
	uint8_t sig[SKR_MAX_RSA_BYTES];
	size_t sig_len = (key->sk.n_bitlen + 7u) / 8u;
	if (sig_len > sizeof sig || !skr_rsa_sign(&key->sk, SKR_ALG_RS256, msg, sizeof msg - 1, sig))
		return 0;
	return skr_rsa_verify(&key->pk, SKR_ALG_RS256, msg, sizeof msg - 1, sig, sig_len);
}

skr_status skr_signing_key_load(const char *text, size_t len, skr_diags *diags,
                                skr_signing_key **out)
{
	if (out == NULL)
		return SKR_E_USAGE;
	*out = NULL;
	if (text == NULL)
		return SKR_E_USAGE;

	skr_signing_key *key = calloc(1, sizeof *key);
	if (key == NULL)
		return SKR_E_NOMEM;

	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	skr_status st = i < len && text[i] == '{' ? load_jwk(text, len, diags, key)
	                                          : load_pem(text, len, diags, key);
	if (st == SKR_OK && key->sk.n_bitlen > SKR_MAX_RSA_BITS)
		st = key_error(diags, "the key is over %u bits", SKR_MAX_RSA_BITS);
	if (st == SKR_OK && !self_test(key))
		st = key_error(diags, "the key's parts do not form a working RSA key "
		                      "(a test signature did not verify)");
	if (st != SKR_OK) {
		skr_signing_key_free(key);
		return st;
	}
	*out = key;
	return SKR_OK;
}

void skr_signing_key_free(skr_signing_key *key)
{
	if (key == NULL)
		return;
	if (key->mem != NULL) {
		/* The memory contains private key material. */
		volatile uint8_t *p = key->mem;
		for (size_t i = 0; i < KEY_MEM; i++)
			p[i] = 0;
	}
	free(key->mem);
	free(key);
}

uint32_t skr_signing_key_bits(const skr_signing_key *key)
{
	return key->sk.n_bitlen;
}

/* ---- public forms ---- */

/* Returns a malloc'd NUL-terminated base64url encoding of v. */
static char *b64url_string(const uint8_t *v, size_t len)
{
	char *s = malloc(skr_base64url_encoded_len(len) + 1);
	if (s != NULL)
		s[skr_base64url_encode(v, len, s)] = '\0';
	return s;
}

/* Moves a jansson dump into a buffer. Returns SKR_E_NOMEM when the
 * object or its dump is NULL. */
static skr_status dump_into(json_t *obj, skr_buffer *out)
{
	char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (text == NULL)
		return SKR_E_NOMEM;
	out->data = (uint8_t *)text;
	out->len = strlen(text);
	return SKR_OK;
}

skr_status skr_signing_key_public_jwk(const skr_signing_key *key, const char *kid,
                                      skr_alg alg, skr_buffer *out)
{
	out->data = NULL;
	out->len = 0;
	char *n = b64url_string(key->pk.n, key->pk.nlen);
	char *e = b64url_string(key->pk.e, key->pk.elen);
	json_t *jwk = json_object();
	int failed = n == NULL || e == NULL || jwk == NULL;

	json_t *kid_value = kid != NULL ? json_string(kid) : NULL;
	if (kid != NULL && kid_value == NULL) {
		free(n);
		free(e);
		json_decref(jwk);
		return SKR_E_USAGE;  /* the kid is not valid UTF-8 */
	}

	if (!failed) {
		failed |= json_object_set_new(jwk, "kty", json_string("RSA"));
		if (kid_value != NULL)
			failed |= json_object_set_new(jwk, "kid", kid_value);
		failed |= json_object_set_new(jwk, "use", json_string("sig"));
		failed |= json_object_set_new(jwk, "alg", json_string(skr_alg_name(alg)));
		failed |= json_object_set_new(jwk, "n", json_string(n));
		failed |= json_object_set_new(jwk, "e", json_string(e));
	} else {
		json_decref(kid_value);
	}
	free(n);
	free(e);
	if (failed) {
		json_decref(jwk);
		return SKR_E_NOMEM;
	}
	return dump_into(jwk, out);
}

void skr_signing_key_thumbprint(const skr_signing_key *key, char out[44])
{
	/* RFC 7638: the required members in lexical order, no whitespace. */
	br_sha256_context ctx;
	char digits[SKR_MAX_RSA_BYTES / 3 * 4 + 8];
	uint8_t digest[32];

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, "{\"e\":\"", 6);
	br_sha256_update(&ctx, digits, skr_base64url_encode(key->pk.e, key->pk.elen, digits));
	br_sha256_update(&ctx, "\",\"kty\":\"RSA\",\"n\":\"", 19);
	br_sha256_update(&ctx, digits, skr_base64url_encode(key->pk.n, key->pk.nlen, digits));
	br_sha256_update(&ctx, "\"}", 2);
	br_sha256_out(&ctx, digest);
	out[skr_base64url_encode(digest, sizeof digest, out)] = '\0';
}

/* ---- signing ---- */

skr_status skr_jws_sign_raw(const br_rsa_private_key *key, skr_alg alg, const char *header,
                            size_t header_len, const char *payload, size_t payload_len,
                            skr_buffer *out)
{
	out->data = NULL;
	out->len = 0;
	size_t sig_len = (key->n_bitlen + 7u) / 8u;
	if (sig_len > SKR_MAX_RSA_BYTES)
		return SKR_E_USAGE;

	size_t h = skr_base64url_encoded_len(header_len);
	size_t p = skr_base64url_encoded_len(payload_len);
	size_t total = h + 1 + p + 1 + skr_base64url_encoded_len(sig_len);
	char *text = malloc(total);
	if (text == NULL)
		return SKR_E_NOMEM;

	skr_base64url_encode((const uint8_t *)header, header_len, text);
	text[h] = '.';
	skr_base64url_encode((const uint8_t *)payload, payload_len, text + h + 1);
	text[h + 1 + p] = '.';

	uint8_t sig[SKR_MAX_RSA_BYTES];
	if (!skr_rsa_sign(key, alg, text, h + 1 + p, sig)) {
		free(text);
		return SKR_E_USAGE;
	}
	skr_base64url_encode(sig, sig_len, text + h + 1 + p + 1);
	out->data = (uint8_t *)text;
	out->len = total;
	return SKR_OK;
}

skr_status skr_token_mint(const skr_signing_key *key, skr_alg alg, const char *kid,
                          const char *payload, size_t payload_len, skr_buffer *out)
{
	if (out == NULL)
		return SKR_E_USAGE;
	out->data = NULL;
	out->len = 0;
	if (key == NULL || payload == NULL || strcmp(skr_alg_name(alg), "?") == 0)
		return SKR_E_USAGE;

	json_t *kid_value = kid != NULL ? json_string(kid) : NULL;
	if (kid != NULL && kid_value == NULL)
		return SKR_E_USAGE;  /* the kid is not valid UTF-8 */

	json_t *header = json_object();
	int failed = header == NULL;
	if (!failed) {
		failed |= json_object_set_new(header, "alg", json_string(skr_alg_name(alg)));
		failed |= json_object_set_new(header, "typ", json_string("JWT"));
		if (kid_value != NULL)
			failed |= json_object_set_new(header, "kid", kid_value);
	} else {
		json_decref(kid_value);
	}
	skr_buffer text = { 0 };
	if (failed) {
		json_decref(header);
		return SKR_E_NOMEM;
	}
	skr_status st = dump_into(header, &text);
	if (st != SKR_OK)
		return st;
	st = skr_jws_sign_raw(&key->sk, alg, (const char *)text.data, text.len, payload,
	                      payload_len, out);
	skr_buffer_free(&text);
	return st;
}

const br_rsa_private_key *skr_signing_key_private(const skr_signing_key *key)
{
	return &key->sk;
}
