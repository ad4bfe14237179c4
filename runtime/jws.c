/*
 * Compact JWS parsing and token verification: the checks of skr.h's
 * skr_token_check, in that order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "claims.h"
#include "token.h"

static const struct {
	skr_alg alg;
	const char *name;
} alg_names[] = {
	{ SKR_ALG_RS256, "RS256" },
	{ SKR_ALG_RS384, "RS384" },
	{ SKR_ALG_RS512, "RS512" },
};

const char *skr_alg_name(skr_alg alg)
{
	for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++) {
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	}
	return "?";
}

int skr_alg_parse(const char *name, size_t len, skr_alg *alg)
{
	for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++) {
		if (strlen(alg_names[i].name) == len && memcmp(alg_names[i].name, name, len) == 0) {
			*alg = alg_names[i].alg;
			return 1;
		}
	}
	return 0;
}

void skr_verify_options_init(skr_verify_options *options, int64_t now)
{
	options->now = now;
	options->leeway = 0;
	options->algs = SKR_ALGS_DEFAULT;
	skr_limits_init(&options->limits);
}

const char *skr_token_check_name(skr_token_check check)
{
	switch (check) {
	case SKR_CHECK_FORM:
		return "compact form";
	case SKR_CHECK_HEADER:
		return "header";
	case SKR_CHECK_CLAIMS:
		return "claims";
	case SKR_CHECK_ISSUER:
		return "issuer";
	case SKR_CHECK_KEY:
		return "key";
	case SKR_CHECK_SIGNATURE:
		return "signature";
	case SKR_CHECK_LIFETIME:
		return "lifetime";
	case SKR_CHECK_COUNT:
		break;
	}
	return "?";
}

void skr_token_init(skr_token *token)
{
	memset(token, 0, sizeof *token);
	token->reason = "token_not_verified";
	token->failed = SKR_CHECK_FORM;
}

void skr_token_clear(skr_token *token)
{
	if (token == NULL)
		return;
	skr_claims_free(token->claims);
	free(token->issuer);
	skr_token_init(token);
}

/* A rejection in progress: the reason, the check and its message. */
typedef struct rejection {
	skr_diags *diags;
	const char *reason;
	skr_token_check check;
} rejection;

static skr_status reject(rejection *r, skr_token_check check, const char *reason,
                         size_t offset, size_t length, const char *fmt, ...) SKR_PRINTF(6, 7);
static skr_status reject(rejection *r, skr_token_check check, const char *reason,
                         size_t offset, size_t length, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(r->diags, NULL, SKR_SEV_ERROR, reason, offset, length, fmt, ap);
	va_end(ap);
	r->reason = reason;
	r->check = check;
	return SKR_E_TOKEN;
}

/* ---- compact form ---- */

static const char *const part_names[3] = { "header", "payload", "signature" };

/* Decodes one part, or rejects the token with the offset of the error. */
static skr_status decode_part(rejection *r, const char *token, size_t start, size_t end,
                              int part, uint8_t *dst, size_t *dst_len)
{
	size_t bad = 0;
	skr_b64_status st = skr_base64url_decode(token + start, end - start, dst, dst_len, &bad);
	if (st == SKR_B64_OK)
		return SKR_OK;

	size_t at = start + bad;
	if (st == SKR_B64_BAD_CHAR) {
		unsigned char c = (unsigned char)token[at];
		const char *what = c == '=' ? "padding '=' (JWS base64url has none)"
		                 : (c == ' ' || c == '\t' || c == '\r' || c == '\n') ? "whitespace"
		                 : "a character outside the base64url alphabet";
		return reject(r, SKR_CHECK_FORM, "token_base64url", at, 1,
		              "the %s part holds %s at byte %zu", part_names[part], what, at);
	}
	return reject(r, SKR_CHECK_FORM, "token_base64url", at, 0,
	              "the %s part is not canonical base64url: %s", part_names[part],
	              skr_b64_status_text(st));
}

/* Splits the token at its two dots and decodes the parts into jws->buf. */
static skr_status parse_form(rejection *r, const char *token, size_t len,
                             const skr_verify_options *options, const skr_verify_memory *mem,
                             skr_jws *jws,
                             const uint8_t **header, size_t *header_len)
{
	if (len > options->limits.token_bytes)
		return reject(r, SKR_CHECK_FORM, "token_too_large", 0, 0,
		              "the token is %zu bytes, over the token limit of %zu bytes",
		              len, options->limits.token_bytes);

	/* memchr scans many bytes per step, which matters for a token of
	 * several kilobytes. */
	size_t dots[2];
	size_t found = 0;
	size_t from = 0;
	while (from < len) {
		const char *dot = memchr(token + from, '.', len - from);
		if (dot == NULL)
			break;
		size_t i = (size_t)(dot - token);
		if (found == 2)
			return reject(r, SKR_CHECK_FORM, "token_malformed", i, 1,
			              "the token has more than three parts; a compact JWS is "
			              "header.payload.signature (JWE and JSON serializations are not accepted)");
		dots[found++] = i;
		from = i + 1;
	}
	if (found < 2)
		return reject(r, SKR_CHECK_FORM, "token_malformed", 0, len,
		              "the token has %zu part%s; a compact JWS is header.payload.signature",
		              found + 1, found == 0 ? "" : "s");

	size_t start[3] = { 0, dots[0] + 1, dots[1] + 1 };
	size_t end[3] = { dots[0], dots[1], len };
	size_t total = 0;
	for (int p = 0; p < 3; p++) {
		/* RFC 7515 allows an empty payload, which the claims check then
		 * rejects. An empty header or signature is never a JWS. */
		if (end[p] == start[p] && p != 1)
			return reject(r, SKR_CHECK_FORM, "token_malformed", start[p], 0,
			              "the %s part is empty", part_names[p]);
		total += skr_base64_decoded_max(end[p] - start[p]);
	}

	if (mem != NULL && mem->parts != NULL && total <= mem->parts_cap) {
		jws->buf = mem->parts;
	} else {
		jws->buf = malloc(total);
		if (jws->buf == NULL)
			return SKR_E_NOMEM;
		jws->owns_buf = 1;
	}

	uint8_t *dst[3];
	size_t dst_len[3];
	dst[0] = jws->buf;
	for (int p = 0; p < 3; p++) {
		skr_status st = decode_part(r, token, start[p], end[p], p, dst[p], &dst_len[p]);
		if (st != SKR_OK)
			return st;
		if (p < 2)
			dst[p + 1] = dst[p] + dst_len[p];
	}

	jws->signing_input = token;
	jws->signing_input_len = dots[1];
	*header = dst[0];
	*header_len = dst_len[0];
	jws->payload = (const char *)dst[1];
	jws->payload_len = dst_len[1];
	jws->signature = dst[2];
	jws->signature_len = dst_len[2];
	return SKR_OK;
}

/* ---- header ---- */

/* Reads "alg" and rejects algorithms outside the allow-list. */
static skr_status check_alg(rejection *r, const skr_claims *header,
                            const skr_verify_options *options, skr_jws *jws)
{
	skr_value_view alg;
	if (!skr_claims_lookup(header, "alg", 3, &alg))
		return reject(r, SKR_CHECK_HEADER, "token_header_invalid", 0, 0,
		              "the header has no \"alg\" member");
	if (alg.type != SKR_TYPE_STRING)
		return reject(r, SKR_CHECK_HEADER, "token_header_invalid", 0, 0,
		              "the header's \"alg\" is not a string");

	const char *name = alg.str;
	size_t len = alg.len;
	char text[SKR_SHOWN_MAX + 4];
	skr_shown(name, len, text);

	if (len == 4 && memcmp(name, "none", 4) == 0)
		return reject(r, SKR_CHECK_HEADER, "alg_not_allowed", 0, 0,
		              "alg \"none\" marks an unsigned token, which is never accepted");
	if (len >= 2 && name[0] == 'H' && name[1] == 'S')
		return reject(r, SKR_CHECK_HEADER, "alg_not_allowed", 0, 0,
		              "alg \"%s\" is an HMAC algorithm; trust stores hold public keys only",
		              text);

	skr_alg parsed;
	if (!skr_alg_parse(name, len, &parsed))
		return reject(r, SKR_CHECK_HEADER, "alg_not_allowed", 0, 0,
		              "alg \"%s\" is not implemented (RS256, RS384 and RS512 are)", text);
	if ((options->algs & (uint32_t)parsed) == 0) {
		char allowed[32] = "";
		for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++) {
			if (options->algs & (uint32_t)alg_names[i].alg) {
				if (allowed[0] != '\0')
					strcat(allowed, ", ");
				strcat(allowed, alg_names[i].name);
			}
		}
		return reject(r, SKR_CHECK_HEADER, "alg_not_allowed", 0, 0,
		              "alg \"%s\" is not in the allow-list (%s)", text,
		              allowed[0] != '\0' ? allowed : "empty");
	}
	jws->alg = parsed;
	return SKR_OK;
}

/* Parses the header JSON with the strict claims scanner, under the claims
 * limits, and reads alg, crit and kid. jku, x5u, jwk and x5c are
 * deliberately ignored: a token never supplies its key. The scanner's
 * error goes into a local list and is repeated once, with the check's
 * reason, so the caller sees one error per rejection. */
static skr_status parse_header(rejection *r, const uint8_t *text, size_t len,
                               const skr_verify_options *options, const skr_verify_memory *mem,
                               skr_jws *jws)
{
	skr_diags local;
	skr_diags_init(&local);
	skr_diags *diags = r->diags != NULL ? &local : NULL;
	skr_status st;
	if (mem != NULL && mem->header != NULL) {
		jws->header = mem->header;
		st = skr_claims_reparse_document(jws->header, (const char *)text, len, &options->limits,
		                                 SKR_HEADER_DOCUMENT, diags);
	} else {
		st = skr_claims_parse_document((const char *)text, len, &options->limits,
		                               SKR_HEADER_DOCUMENT, diags, &jws->header);
		jws->owns_header = jws->header != NULL;
	}
	if (st != SKR_OK) {
		if (st == SKR_E_CLAIMS) {
			const skr_diag *d = local.count > 0 ? &local.items[0] : NULL;
			if (d != NULL && d->message != NULL) {
				st = reject(r, SKR_CHECK_HEADER, "token_header_invalid", 0, 0,
				            "the header is not a valid JSON object: %s, at byte %zu of the "
				            "decoded header", d->message, d->offset);
			} else {
				st = reject(r, SKR_CHECK_HEADER, "token_header_invalid", 0, 0,
				            "the header is not a valid JSON object");
			}
		}
		skr_diags_free(&local);
		return st;
	}
	skr_diags_free(&local);

	st = check_alg(r, jws->header, options, jws);
	if (st != SKR_OK)
		return st;

	if (skr_claims_lookup(jws->header, "crit", 4, NULL))
		return reject(r, SKR_CHECK_HEADER, "crit_not_supported", 0, 0,
		              "the header has a \"crit\" member; no critical extension is supported");

	skr_value_view kid;
	if (skr_claims_lookup(jws->header, "kid", 3, &kid)) {
		if (kid.type != SKR_TYPE_STRING)
			return reject(r, SKR_CHECK_HEADER, "token_header_invalid", 0, 0,
			              "the header's \"kid\" is not a string");
		/* The index keeps a NUL after every string. */
		jws->kid = kid.str;
		jws->kid_len = kid.len;
	}
	return SKR_OK;
}

skr_status skr_jws_parse(const char *token, size_t len, const skr_verify_options *options,
                         skr_diags *diags, skr_jws *jws, const char **reason,
                         skr_token_check *check)
{
	return skr_jws_parse_in(token, len, options, NULL, diags, jws, reason, check);
}

skr_status skr_jws_parse_in(const char *token, size_t len, const skr_verify_options *options,
                            const skr_verify_memory *mem, skr_diags *diags, skr_jws *jws,
                            const char **reason, skr_token_check *check)
{
	rejection r = { diags, NULL, SKR_CHECK_FORM };
	const uint8_t *header = NULL;
	size_t header_len = 0;

	memset(jws, 0, sizeof *jws);
	skr_status st = parse_form(&r, token, len, options, mem, jws, &header, &header_len);
	if (st == SKR_OK)
		st = parse_header(&r, header, header_len, options, mem, jws);
	if (st == SKR_E_TOKEN) {
		*reason = r.reason;
		*check = r.check;
	}
	return st;
}

void skr_jws_free(skr_jws *jws)
{
	if (jws->owns_buf)
		free(jws->buf);
	if (jws->owns_header)
		skr_claims_free(jws->header);
	memset(jws, 0, sizeof *jws);
}

/* ---- verification ---- */

/* Finds the trust store authority of the token's "iss". */
static skr_status check_issuer(rejection *r, const skr_trust *trust, const skr_claims *claims,
                               skr_token *out, const skr_trust_authority **authority)
{
	skr_value_view iss;
	if (!skr_claims_lookup(claims, "iss", 3, &iss))
		return reject(r, SKR_CHECK_ISSUER, "issuer_missing", 0, 0,
		              "the claims have no \"iss\", so no authority can be chosen");
	if (iss.type != SKR_TYPE_STRING)
		return reject(r, SKR_CHECK_ISSUER, "issuer_missing", 0, 0,
		              "the claims' \"iss\" is not a string");

	/* Borrowed from the claims, which keep a NUL after every string.
	 * skr_token_verify copies it. */
	out->issuer = (char *)iss.str;
	out->issuer_len = iss.len;

	*authority = skr_trust_find(trust, iss.str, iss.len);
	if (*authority == NULL) {
		char text[SKR_SHOWN_MAX + 4];
		skr_shown(iss.str, iss.len, text);
		return reject(r, SKR_CHECK_ISSUER, "issuer_untrusted", 0, 0,
		              "issuer \"%s\" is not an authority of the trust store", text);
	}
	out->authority = (*authority)->name;
	out->authority_len = (*authority)->name_len;
	return SKR_OK;
}

/* Selects the key named by the header's kid, when there is one. */
static skr_status check_key(rejection *r, const skr_trust_authority *authority,
                            const skr_jws *jws, skr_token *out, const skr_trust_key **key)
{
	char auth[SKR_SHOWN_MAX + 4];
	skr_shown(authority->name, authority->name_len, auth);
	*key = NULL;

	if (jws->kid == NULL) {
		/* Without a kid, every usable key of the authority is tried. */
		for (uint32_t i = 0; i < authority->key_count; i++) {
			const skr_trust_key *k = &authority->keys[i];
			if (k->skipped == NULL && (k->alg == 0 || k->alg == (uint32_t)jws->alg))
				return SKR_OK;
		}
		return reject(r, SKR_CHECK_KEY, "no_usable_key", 0, 0,
		              "the token has no kid and authority %s has no usable key for %s",
		              auth, skr_alg_name(jws->alg));
	}

	char kid[SKR_SHOWN_MAX + 4];
	skr_shown(jws->kid, jws->kid_len, kid);
	const skr_trust_key *k = skr_trust_find_kid(authority, jws->kid, jws->kid_len);
	if (k == NULL)
		return reject(r, SKR_CHECK_KEY, "kid_unknown", 0, 0,
		              "authority %s has no key with kid \"%s\"", auth, kid);
	out->kid = k->kid;
	out->kid_len = k->kid_len;
	if (k->skipped != NULL)
		return reject(r, SKR_CHECK_KEY, "key_skipped", 0, 0,
		              "key \"%s\" of authority %s was skipped when the trust store loaded: %s",
		              kid, auth, k->skipped);
	if (k->alg != 0 && k->alg != (uint32_t)jws->alg)
		return reject(r, SKR_CHECK_KEY, "key_alg_mismatch", 0, 0,
		              "key \"%s\" is restricted to %s, but the token uses %s", kid,
		              skr_alg_name((skr_alg)k->alg), skr_alg_name(jws->alg));
	*key = k;
	return SKR_OK;
}

/* Verifies the signature with the selected key, or with each usable key
 * of the authority when the token has no kid. The signing input is hashed
 * once for all of them. */
static skr_status check_signature(rejection *r, const skr_trust_authority *authority,
                                  const skr_jws *jws, const skr_trust_key *key, skr_token *out)
{
	char auth[SKR_SHOWN_MAX + 4];
	skr_shown(authority->name, authority->name_len, auth);
	uint8_t digest[SKR_MAX_HASH_BYTES];
	skr_hash_for_alg(jws->alg, jws->signing_input, jws->signing_input_len, digest);

	if (key != NULL) {
		if (skr_rsa_verify_digest(&key->prepared, jws->alg, digest, jws->signature,
		                          jws->signature_len))
			return SKR_OK;
		char kid[SKR_SHOWN_MAX + 4];
		skr_shown(key->kid, key->kid_len, kid);
		return reject(r, SKR_CHECK_SIGNATURE, "signature_invalid", 0, 0,
		              "the %s signature does not verify with key \"%s\" of authority %s",
		              skr_alg_name(jws->alg), kid, auth);
	}

	uint32_t tried = 0;
	for (uint32_t i = 0; i < authority->key_count; i++) {
		const skr_trust_key *k = &authority->keys[i];
		if (k->skipped != NULL || (k->alg != 0 && k->alg != (uint32_t)jws->alg))
			continue;
		tried++;
		if (skr_rsa_verify_digest(&k->prepared, jws->alg, digest, jws->signature,
		                          jws->signature_len)) {
			out->kid = k->kid;
			out->kid_len = k->kid_len;
			return SKR_OK;
		}
	}
	return reject(r, SKR_CHECK_SIGNATURE, "signature_invalid", 0, 0,
	              "the %s signature does not verify with any of the %u usable keys of "
	              "authority %s (the token has no kid)", skr_alg_name(jws->alg), tried, auth);
}

static int64_t add_saturating(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* Compares a time t with a numeric claim: -1, 0 or 1. */
static int compare_time(int64_t t, const skr_value_view *v)
{
	if (v->type == SKR_TYPE_INT)
		return t < v->i ? -1 : t > v->i;
	return skr_compare_int_double(t, v->d);
}

static void format_time(const skr_value_view *v, char out[32])
{
	if (v->type == SKR_TYPE_INT)
		snprintf(out, 32, "%lld", (long long)v->i);
	else
		snprintf(out, 32, "%.17g", v->d);
}

/* Checks nbf - leeway <= now < exp + leeway, rearranged so that no claim
 * value is rounded: now - leeway < exp and now + leeway >= nbf. */
static skr_status check_lifetime(rejection *r, const skr_claims *claims,
                                 const skr_verify_options *options)
{
	skr_value_view exp, nbf;
	char text[32];

	if (!skr_claims_lookup(claims, "exp", 3, &exp))
		return reject(r, SKR_CHECK_LIFETIME, "exp_missing", 0, 0,
		              "the claims have no \"exp\"; a token without an expiry is never accepted");
	if (exp.type != SKR_TYPE_INT && exp.type != SKR_TYPE_DOUBLE)
		return reject(r, SKR_CHECK_LIFETIME, "exp_invalid", 0, 0,
		              "the claims' \"exp\" is not a number");
	int has_nbf = skr_claims_lookup(claims, "nbf", 3, &nbf);
	if (has_nbf && nbf.type != SKR_TYPE_INT && nbf.type != SKR_TYPE_DOUBLE)
		return reject(r, SKR_CHECK_LIFETIME, "nbf_invalid", 0, 0,
		              "the claims' \"nbf\" is not a number");

	int64_t earliest = add_saturating(options->now, -options->leeway);
	if (compare_time(earliest, &exp) >= 0) {
		format_time(&exp, text);
		return reject(r, SKR_CHECK_LIFETIME, "token_expired", 0, 0,
		              "the token expired at %s, and the time is %lld with %lld s of leeway",
		              text, (long long)options->now, (long long)options->leeway);
	}
	int64_t latest = add_saturating(options->now, options->leeway);
	if (has_nbf && compare_time(latest, &nbf) < 0) {
		format_time(&nbf, text);
		return reject(r, SKR_CHECK_LIFETIME, "token_not_yet_valid", 0, 0,
		              "the token is not valid before %s, and the time is %lld with %lld s of "
		              "leeway", text, (long long)options->now, (long long)options->leeway);
	}
	return SKR_OK;
}

skr_status skr_token_check_lifetime(const skr_claims *claims, const skr_verify_options *options,
                                    skr_diags *diags, const char **reason)
{
	rejection r = { diags, NULL, SKR_CHECK_LIFETIME };
	skr_status st = check_lifetime(&r, claims, options);
	*reason = r.reason;
	return st;
}

/* Runs the checks after the compact form and the header. */
static skr_status verify_parsed(rejection *r, const skr_trust *trust, const skr_jws *jws,
                                const skr_verify_options *options, const skr_verify_memory *mem,
                                skr_token *out, skr_claims **claims)
{
	size_t before = r->diags != NULL ? r->diags->count : 0;
	skr_status st;
	if (mem != NULL && mem->payload != NULL) {
		*claims = mem->payload;
		st = skr_claims_reparse(*claims, jws->payload, jws->payload_len, &options->limits,
		                        r->diags);
	} else {
		st = skr_claims_parse(jws->payload, jws->payload_len, &options->limits, r->diags,
		                      claims);
	}
	if (st == SKR_E_NOMEM)
		return st;
	if (st != SKR_OK) {
		/* Repeat the parser's first error, whose offset is into the
		 * decoded payload rather than the token. */
		for (size_t i = before; r->diags != NULL && i < r->diags->count; i++) {
			const skr_diag *d = &r->diags->items[i];
			if (d->severity != SKR_SEV_ERROR || d->message == NULL)
				continue;
			char first[256];
			snprintf(first, sizeof first, "%s", d->message);
			return reject(r, SKR_CHECK_CLAIMS, "claims_invalid", 0, 0,
			              "the payload is not a valid claims object: %s, at byte %zu of the "
			              "decoded payload", first, d->offset);
		}
		return reject(r, SKR_CHECK_CLAIMS, "claims_invalid", 0, 0,
		              "the payload is not a valid claims object");
	}

	const skr_trust_authority *authority = NULL;
	const skr_trust_key *key = NULL;
	st = check_issuer(r, trust, *claims, out, &authority);
	if (st == SKR_OK)
		st = check_key(r, authority, jws, out, &key);
	if (st == SKR_OK)
		st = check_signature(r, authority, jws, key, out);
	if (st == SKR_OK)
		st = check_lifetime(r, *claims, options);
	return st;
}

skr_status skr_token_verify_in(const skr_trust *trust, const char *token, size_t len,
                               const skr_verify_options *options, const skr_verify_memory *mem,
                               skr_diags *diags, skr_token *out, skr_claims **claims)
{
	*claims = NULL;
	skr_token_init(out);
	if (trust == NULL || token == NULL || options == NULL || options->leeway < 0)
		return SKR_E_USAGE;

	rejection r = { diags, NULL, SKR_CHECK_FORM };
	skr_jws jws;
	skr_status st = skr_jws_parse_in(token, len, options, mem, diags, &jws, &r.reason, &r.check);
	if (st == SKR_OK) {
		out->alg = (uint32_t)jws.alg;
		st = verify_parsed(&r, trust, &jws, options, mem, out, claims);
	}
	skr_jws_free(&jws);

	if (st == SKR_OK) {
		out->reason = "token_valid";
		out->failed = SKR_CHECK_COUNT;
	} else if (st == SKR_E_TOKEN) {
		out->reason = r.reason;
		out->failed = r.check;
	} else {
		out->reason = "internal_error";
	}
	return st;
}

skr_status skr_token_verify(const skr_trust *trust, const char *token, size_t len,
                            const skr_verify_options *options, skr_diags *diags,
                            skr_token *out)
{
	if (out == NULL)
		return SKR_E_USAGE;
	skr_token_clear(out);

	skr_claims *claims = NULL;
	skr_status st = skr_token_verify_in(trust, token, len, options, NULL, diags, out, &claims);
	/* The issuer points into the claims until it is copied. */
	if (out->issuer != NULL) {
		char *copy = malloc(out->issuer_len + 1);
		if (copy == NULL) {
			out->issuer = NULL;
			skr_claims_free(claims);
			skr_token_clear(out);
			out->reason = "internal_error";
			return SKR_E_NOMEM;
		}
		memcpy(copy, out->issuer, out->issuer_len);
		copy[out->issuer_len] = '\0';
		out->issuer = copy;
	}
	if (st == SKR_OK)
		out->claims = claims;
	else
		skr_claims_free(claims);
	return st;
}
