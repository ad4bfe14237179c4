/*
 * The release envelope: choose the workload's key from a verified token,
 * wrap the released key to it, write the response in the shape of Key
 * Vault's release response, and open such a response again.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "token.h"
#include "wrap.h"

/* The Key Vault REST API version whose release response skr follows. */
#define KV_API_VERSION "7.3"
#define DEFAULT_POLICY_CONTENT_TYPE "application/json; charset=utf-8"

void skr_envelope_options_init(skr_envelope_options *options)
{
	memset(options, 0, sizeof *options);
	options->enc = SKR_WRAP_CKM_RSA_AES_KEY_WRAP;
}

/* ---- the release key ---- */

static int is_string(const json_t *v, const char *text)
{
	return json_is_string(v) && strcmp(json_string_value(v), text) == 0;
}

/* An entry of x-ms-runtime.keys is the release key when it has kty RSA, a
 * non-empty kid, and is marked for encryption. */
static int is_release_key(const json_t *jwk)
{
	const json_t *kid = json_object_get(jwk, "kid");
	if (!json_is_object(jwk) || !is_string(json_object_get(jwk, "kty"), "RSA") ||
	    !json_is_string(kid) || json_string_length(kid) == 0)
		return 0;
	if (is_string(json_object_get(jwk, "use"), "enc") ||
	    is_string(json_object_get(jwk, "key_use"), "enc"))
		return 1;
	size_t i;
	const json_t *op;
	json_array_foreach(json_object_get(jwk, "key_ops"), i, op) {
		if (is_string(op, "encrypt"))
			return 1;
	}
	return 0;
}

/* Decodes a base64url member of a JWK. Returns the bytes (malloc'd), or
 * NULL with *problem set. */
static uint8_t *jwk_bytes(const json_t *jwk, const char *name, size_t *len,
                          const char **problem)
{
	const json_t *v = json_object_get(jwk, name);
	if (!json_is_string(v)) {
		*problem = strcmp(name, "n") == 0 ? "\"n\" is missing or not a string"
		                                  : "\"e\" is missing or not a string";
		return NULL;
	}
	uint8_t *bytes = malloc(skr_base64_decoded_max(json_string_length(v)) + 1);
	if (bytes == NULL) {
		*problem = "out of memory";
		return NULL;
	}
	if (skr_base64url_decode(json_string_value(v), json_string_length(v), bytes, len, NULL) !=
	    SKR_B64_OK) {
		*problem = strcmp(name, "n") == 0 ? "\"n\" is not valid base64url"
		                                  : "\"e\" is not valid base64url";
		free(bytes);
		return NULL;
	}
	return bytes;
}

/* Finds the release key in the verified token's payload. Returns SKR_OK
 * with *workload set (its kid set), SKR_OK with *workload NULL when the
 * token has no release key, SKR_E_TOKEN with a "release_key_invalid"
 * error when the release key is malformed, or SKR_E_NOMEM. */
static skr_status find_release_key(const char *token, size_t len,
                                   const skr_verify_options *options, skr_diags *diags,
                                   skr_key **workload)
{
	*workload = NULL;
	skr_jws jws;
	const char *reason = NULL;
	skr_token_check check;
	/* The token verified, so it parses again. The claims index drops
	 * array elements, so the payload is read once more as JSON. */
	skr_status st = skr_jws_parse(token, len, options, NULL, &jws, &reason, &check);
	json_t *claims = st == SKR_OK ? json_loadb(jws.payload, jws.payload_len,
	                                           JSON_REJECT_DUPLICATES, NULL)
	                              : NULL;
	skr_jws_free(&jws);
	if (claims == NULL)
		return st == SKR_E_NOMEM ? SKR_E_NOMEM : SKR_E_INTERNAL;

	const json_t *keys = json_object_get(json_object_get(claims, "x-ms-runtime"), "keys");
	const json_t *chosen = NULL;
	size_t i;
	const json_t *entry;
	json_array_foreach(keys, i, entry) {
		if (is_release_key(entry)) {
			chosen = entry;
			break;
		}
	}
	st = SKR_OK;
	if (chosen != NULL) {
		const char *kid = json_string_value(json_object_get(chosen, "kid"));
		const char *problem = NULL;
		size_t n_len = 0, e_len = 0;
		uint8_t *n = jwk_bytes(chosen, "n", &n_len, &problem);
		uint8_t *e = n != NULL ? jwk_bytes(chosen, "e", &e_len, &problem) : NULL;
		if (e != NULL)
			st = skr_key_rsa_public(n, n_len, e, e_len, &problem, workload);
		if (st == SKR_OK && *workload != NULL && skr_key_set_kid(*workload, kid) != 0)
			st = SKR_E_NOMEM;
		if (st == SKR_OK && *workload == NULL)
			st = SKR_E_USAGE;
		if (st == SKR_E_USAGE) {
			char shown[SKR_SHOWN_MAX + 4];
			skr_shown(kid, strlen(kid), shown);
			skr_diag_add(diags, NULL, SKR_SEV_ERROR, "release_key_invalid", 0, 0,
			             "the token's release key \"%s\" (x-ms-runtime.keys[%zu]) is not a "
			             "usable RSA key: %s", shown, i, problem);
			st = SKR_E_TOKEN;
		}
		if (st != SKR_OK) {
			skr_key_free(*workload);
			*workload = NULL;
		}
		free(n);
		free(e);
	}
	json_decref(claims);
	return st;
}

/* ---- the response ---- */

/* What the response is built from. */
typedef struct envelope_ctx {
	const skr_key *key;
	const skr_key *workload;
	const skr_envelope_options *options;
	const char *key_id;        /* the released key's kid in the response */
	char thumbprint[44];       /* of the released RSA key, when it has no kid */
	size_t material_len;
	size_t ciphertext_len;
} envelope_ctx;

/* Returns a malloc'd NUL-terminated base64url encoding of v. */
static char *base64url_string(const void *v, size_t len)
{
	char *s = malloc(skr_base64url_encoded_len(len) + 1);
	if (s != NULL)
		s[skr_base64url_encode(v, len, s)] = '\0';
	return s;
}

/* Sets member name of obj to a new value. A NULL value (a failed
 * allocation) sets *failed. */
static void set(json_t *obj, const char *name, json_t *value, int *failed)
{
	if (value == NULL || json_object_set_new(obj, name, value) != 0)
		*failed = 1;
}

/* The key's operations in the response: its JWK's "key_ops", or every
 * operation its type allows. */
static json_t *key_ops_of(const skr_key *key)
{
	if (key->key_ops != NULL)
		return json_loads(key->key_ops, 0, NULL);
	if (key->kind == SKR_KEY_OCT)
		return json_pack("[ssss]", "encrypt", "decrypt", "wrapKey", "unwrapKey");
	return json_pack("[ssssss]", "encrypt", "decrypt", "sign", "verify", "wrapKey",
	                 "unwrapKey");
}

/* Builds key_hsm: base64url of {"schema_version", "header", "ciphertext"}. */
static char *key_hsm_of(const envelope_ctx *ctx, const char *ciphertext)
{
	json_t *hsm = json_object();
	json_t *header = json_object();
	int failed = hsm == NULL || header == NULL;
	if (!failed) {
		set(header, "kid", json_string(skr_key_kid(ctx->workload)), &failed);
		set(header, "alg", json_string("dir"), &failed);
		set(header, "enc", json_string(skr_wrap_alg_name(ctx->options->enc)), &failed);
		set(hsm, "schema_version", json_string("1.0"), &failed);
		set(hsm, "header", header, &failed);
		header = NULL;
		set(hsm, "ciphertext", json_string(ciphertext), &failed);
	}
	json_decref(header);
	char *text = failed ? NULL : json_dumps(hsm, JSON_COMPACT);
	json_decref(hsm);
	char *encoded = text != NULL ? base64url_string(text, strlen(text)) : NULL;
	free(text);
	return encoded;
}

/* Builds the response payload with the base64url ciphertext given. Returns
 * the compact JSON text (malloc'd), or NULL when memory runs out. */
static char *payload_of(const envelope_ctx *ctx, const char *ciphertext)
{
	const skr_key *key = ctx->key;
	const char *enc = skr_wrap_alg_name(ctx->options->enc);
	int failed = 0;
	json_t *root = json_object();
	json_t *request = json_object();
	json_t *response = json_object();
	json_t *key_bundle = json_object();
	json_t *jwk = json_object();
	json_t *attributes = json_object();
	json_t *policy = json_object();
	failed = !root || !request || !response || !key_bundle || !jwk || !attributes || !policy;
	char *key_hsm = key_hsm_of(ctx, ciphertext);
	char *n = key->kind == SKR_KEY_OCT ? NULL : base64url_string(key->pub.n, key->pub.nlen);
	char *e = key->kind == SKR_KEY_OCT ? NULL : base64url_string(key->pub.e, key->pub.elen);
	char *data = base64url_string(ctx->options->policy, ctx->options->policy_len);
	failed |= key_hsm == NULL || data == NULL || (key->kind != SKR_KEY_OCT && (!n || !e));

	if (!failed) {
		set(request, "api-version", json_string(KV_API_VERSION), &failed);
		set(request, "enc", json_string(enc), &failed);
		set(request, "kid", json_string(ctx->key_id), &failed);

		set(jwk, "kid", json_string(ctx->key_id), &failed);
		set(jwk, "kty", json_string(key->kind == SKR_KEY_OCT ? "oct" : "RSA"), &failed);
		set(jwk, "key_ops", key_ops_of(key), &failed);
		if (key->kind != SKR_KEY_OCT) {
			set(jwk, "n", json_string(n), &failed);
			set(jwk, "e", json_string(e), &failed);
		}
		set(jwk, "key_hsm", json_string(key_hsm), &failed);

		/* Key Vault releases only enabled, exportable keys, so a release
		 * implies both. The other attributes have no source here. */
		set(attributes, "enabled", json_true(), &failed);
		set(attributes, "exportable", json_true(), &failed);

		const char *type = ctx->options->policy_content_type;
		set(policy, "contentType", json_string(type ? type : DEFAULT_POLICY_CONTENT_TYPE),
		    &failed);
		set(policy, "data", json_string(data), &failed);

		set(key_bundle, "key", jwk, &failed);
		set(key_bundle, "attributes", attributes, &failed);
		set(key_bundle, "release_policy", policy, &failed);
		set(response, "key", key_bundle, &failed);
		set(root, "request", request, &failed);
		set(root, "response", response, &failed);
		jwk = attributes = policy = key_bundle = request = response = NULL;
	}
	json_decref(jwk);
	json_decref(attributes);
	json_decref(policy);
	json_decref(key_bundle);
	json_decref(request);
	json_decref(response);
	char *text = failed ? NULL : json_dumps(root, JSON_COMPACT);
	json_decref(root);
	free(key_hsm);
	free(n);
	free(e);
	free(data);
	return text;
}

/* The JWS header of a signed response: the service key's public half is
 * in "jwk" so a reader can tell which key signed, but a reader verifies
 * with a key it already trusts. */
static char *jws_header_of(const skr_key *service)
{
	char thumbprint[44];
	skr_key_thumbprint(service, thumbprint);
	char *n = base64url_string(service->pub.n, service->pub.nlen);
	char *e = base64url_string(service->pub.e, service->pub.elen);
	json_t *header = n && e ? json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "alg", "RS256", "kid",
	                                    thumbprint, "typ", "JWT", "jwk", "kty", "RSA", "n", n,
	                                    "e", e)
	                        : NULL;
	free(n);
	free(e);
	char *text = header != NULL ? json_dumps(header, JSON_COMPACT) : NULL;
	json_decref(header);
	return text;
}

#define VALUE_PREFIX "{\"value\":\""
#define VALUE_SUFFIX "\"}"

/* Size of the final response for a payload of payload_len bytes. */
static size_t response_len(const envelope_ctx *ctx, size_t payload_len, size_t header_len)
{
	const skr_key *service = ctx->options->service_key;
	if (service == NULL)
		return payload_len;
	return strlen(VALUE_PREFIX) + skr_base64url_encoded_len(header_len) + 1 +
	       skr_base64url_encoded_len(payload_len) + 1 +
	       skr_base64url_encoded_len(service->pub.nlen) + strlen(VALUE_SUFFIX);
}

/* Wraps the key and writes the response into out (need bytes). */
static skr_status write_response(const envelope_ctx *ctx, const char *header, skr_diags *diags,
                                 uint8_t *out, size_t need)
{
	skr_status st = SKR_OK;
	uint8_t *material = malloc(ctx->material_len);
	uint8_t *ciphertext = malloc(ctx->ciphertext_len);
	char *encoded = NULL, *payload = NULL;
	skr_buffer jws = { NULL, 0 };
	size_t len = 0;
	if (material == NULL || ciphertext == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	/* skr_wrap wipes the material on every path. */
	skr_key_material(ctx->key, material, ctx->material_len, &len);
	st = skr_wrap(ctx->workload, ctx->options->enc, material, ctx->material_len, diags,
	              ciphertext, ctx->ciphertext_len, &len);
	if (st != SKR_OK)
		goto done;
	encoded = base64url_string(ciphertext, len);
	payload = encoded != NULL ? payload_of(ctx, encoded) : NULL;
	if (payload == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}

	const skr_key *service = ctx->options->service_key;
	if (service == NULL) {
		len = strlen(payload);
		if (len == need)
			memcpy(out, payload, len);
	} else {
		st = skr_jws_sign_raw(&service->priv, SKR_ALG_RS256, header, strlen(header), payload,
		                      strlen(payload), &jws);
		if (st != SKR_OK)
			goto done;
		len = strlen(VALUE_PREFIX) + jws.len + strlen(VALUE_SUFFIX);
		if (len == need) {
			memcpy(out, VALUE_PREFIX, strlen(VALUE_PREFIX));
			memcpy(out + strlen(VALUE_PREFIX), jws.data, jws.len);
			memcpy(out + strlen(VALUE_PREFIX) + jws.len, VALUE_SUFFIX, strlen(VALUE_SUFFIX));
		}
	}
	if (len != need) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "internal", 0, 0,
		             "the response has %zu bytes, not the %zu bytes measured", len, need);
		st = SKR_E_INTERNAL;
	}

done:
	if (material != NULL)
		skr_wipe(material, ctx->material_len);
	free(material);
	free(ciphertext);
	free(encoded);
	free(payload);
	skr_buffer_free(&jws);
	skr_wipe_stack();
	return st;
}

/* Returns 1 when s is NULL or valid UTF-8 that jansson takes as a string. */
static int utf8_ok(const char *s)
{
	json_t *v = s != NULL ? json_string(s) : NULL;
	json_decref(v);
	return s == NULL || v != NULL;
}

/* Checks the arguments of skr_release_envelope that do not need the
 * token. Returns SKR_OK or SKR_E_USAGE with an error in diags. */
static skr_status check_envelope_args(const skr_key *key, const skr_envelope_options *o,
                                      skr_diags *diags)
{
	const char *problem = NULL;
	if (key->kind == SKR_KEY_RSA_PUBLIC)
		problem = "the key to release is a public key; give the private key";
	else if (o->policy == NULL)
		problem = "the release response needs the policy text that granted the release";
	else if (key->kind == SKR_KEY_OCT && o->key_id == NULL && key->kid == NULL)
		problem = "the symmetric key to release has no kid; give one";
	else if (o->service_key != NULL && o->service_key->kind != SKR_KEY_RSA_PRIVATE)
		problem = "the service key that signs responses must be an RSA private key";
	else if (strcmp(skr_wrap_alg_name(o->enc), "?") == 0)
		problem = "unknown wrapping algorithm";
	else if (!utf8_ok(o->key_id) || !utf8_ok(o->policy_content_type))
		problem = "the key id or the policy content type is not valid UTF-8";
	if (problem == NULL)
		return SKR_OK;
	skr_diag_add(diags, NULL, SKR_SEV_ERROR, "envelope-usage", 0, 0, "%s", problem);
	return SKR_E_USAGE;
}

skr_status skr_release_envelope(const skr_trust *trust, const skr_program *program,
                                const char *token, size_t len,
                                const skr_verify_options *options, const skr_key *key,
                                const skr_envelope_options *envelope, skr_trace *trace,
                                skr_diags *diags, skr_token *verified, skr_result *result,
                                uint8_t *out, size_t cap, size_t *out_len)
{
	if (out_len == NULL || key == NULL || envelope == NULL || result == NULL || token == NULL ||
	    options == NULL)
		return SKR_E_USAGE;
	*out_len = 0;
	skr_status st = check_envelope_args(key, envelope, diags);
	if (st != SKR_OK)
		return st;

	st = skr_release(trust, program, token, len, options, trace, diags, verified, result);
	if (st != SKR_OK || result->decision != SKR_RELEASE)
		return st;

	envelope_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.key = key;
	ctx.options = envelope;
	skr_key *workload = NULL;
	st = find_release_key(token, len, options, diags, &workload);
	if (st != SKR_OK || workload == NULL) {
		result->decision = SKR_DENY;
		result->entry = -1;
		result->reason = st == SKR_E_TOKEN ? "release_key_invalid" : "no_release_key";
		return st;
	}
	ctx.workload = workload;

	ctx.key_id = envelope->key_id != NULL ? envelope->key_id : key->kid;
	if (ctx.key_id == NULL) {
		skr_key_thumbprint(key, ctx.thumbprint);
		ctx.key_id = ctx.thumbprint;
	}
	skr_key_material(key, NULL, 0, &ctx.material_len);
	ctx.ciphertext_len = skr_wrapped_len(workload, ctx.material_len);

	/* Measure with a stand-in ciphertext of the same length: every part of
	 * the response has a length that does not depend on the random bytes. */
	char *header = envelope->service_key != NULL ? jws_header_of(envelope->service_key) : NULL;
	char *stand_in = malloc(skr_base64url_encoded_len(ctx.ciphertext_len) + 1);
	char *payload = NULL;
	if (stand_in != NULL) {
		memset(stand_in, 'A', skr_base64url_encoded_len(ctx.ciphertext_len));
		stand_in[skr_base64url_encoded_len(ctx.ciphertext_len)] = '\0';
		payload = payload_of(&ctx, stand_in);
	}
	if (payload == NULL || (envelope->service_key != NULL && header == NULL)) {
		st = SKR_E_NOMEM;
		goto done;
	}
	size_t need = response_len(&ctx, strlen(payload), header ? strlen(header) : 0);
	*out_len = need;
	if (out != NULL && cap >= need)
		st = write_response(&ctx, header, diags, out, need);

done:
	free(header);
	free(stand_in);
	free(payload);
	skr_key_free(workload);
	return st;
}

/* ---- opening a response ---- */

static skr_status open_error(skr_diags *diags, const char *code, const char *fmt, ...)
	SKR_PRINTF(3, 4);
static skr_status open_error(skr_diags *diags, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	skr_diag_vadd(diags, NULL, SKR_SEV_ERROR, code, 0, 0, fmt, ap);
	va_end(ap);
	return SKR_E_TOKEN;
}

/* Decodes base64url text into a malloc'd buffer. Returns NULL when the
 * text is not valid or memory runs out. */
static uint8_t *decode_b64url(const char *text, size_t len, size_t *out_len)
{
	uint8_t *bytes = malloc(skr_base64_decoded_max(len) + 1);
	if (bytes != NULL && skr_base64url_decode(text, len, bytes, out_len, NULL) != SKR_B64_OK) {
		free(bytes);
		bytes = NULL;
	}
	return bytes;
}

/* Parses base64url text that contains a JSON object. */
static json_t *decode_json(const char *text, size_t len)
{
	size_t raw_len = 0;
	uint8_t *raw = decode_b64url(text, len, &raw_len);
	json_t *v = raw != NULL ? json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES,
	                                     NULL)
	                        : NULL;
	free(raw);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* Splits a compact JWS, checks its header and, with a service key, its
 * signature. Returns SKR_OK with *payload set, or an error. */
static skr_status open_jws(const char *text, size_t len, const skr_key *service_key,
                           skr_diags *diags, json_t **payload)
{
	const char *dot1 = memchr(text, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - text)) != NULL)
		return open_error(diags, "envelope-malformed",
		                  "the response's \"value\" is not a compact JWS of three parts");

	json_t *header = decode_json(text, (size_t)(dot1 - text));
	int rs256 = header != NULL && is_string(json_object_get(header, "alg"), "RS256");
	int crit = header != NULL && json_object_get(header, "crit") != NULL;
	json_decref(header);
	if (!rs256 || crit)
		return open_error(diags, "envelope-malformed",
		                  "the response's JWS header is invalid, has a \"crit\" member or "
		                  "an \"alg\" other than RS256");

	if (service_key != NULL) {
		size_t sig_len = 0;
		const char *sig_text = dot2 + 1;
		uint8_t *sig = decode_b64url(sig_text, len - (size_t)(sig_text - text), &sig_len);
		int ok = sig != NULL && skr_rsa_verify(&service_key->pub, SKR_ALG_RS256, text,
		                                       (size_t)(dot2 - text), sig, sig_len);
		free(sig);
		if (!ok)
			return open_error(diags, "envelope-signature-invalid",
			                  "the response's signature does not verify with the service key");
	}

	*payload = decode_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (*payload == NULL)
		return open_error(diags, "envelope-malformed",
		                  "the response's JWS payload is not a base64url JSON object");
	return SKR_OK;
}

/* Reads the response text into its payload object and reports how it
 * was signed. */
static skr_status read_response(const char *response, size_t len, const skr_key *service_key,
                                skr_diags *diags, json_t **payload,
                                skr_envelope_signature *signature)
{
	while (len > 0 && strchr(" \t\r\n", response[0]) != NULL && response[0] != '\0') {
		response++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", response[len - 1]) != NULL && response[len - 1] != '\0')
		len--;

	*payload = NULL;
	*signature = SKR_ENVELOPE_SIGNATURE_UNCHECKED;
	if (len == 0 || response[0] != '{')
		return open_jws(response, len, service_key, diags, payload);

	json_error_t err;
	json_t *doc = json_loadb(response, len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return open_error(diags, "envelope-malformed", "the response is not a JSON object: %s",
		                  err.text);
	}
	const json_t *value = json_object_get(doc, "value");
	skr_status st = SKR_OK;
	if (json_is_string(value)) {
		st = open_jws(json_string_value(value), json_string_length(value), service_key, diags,
		              payload);
	} else if (service_key != NULL) {
		st = open_error(diags, "envelope-unsigned",
		                "the response is not signed, so it cannot be checked with the "
		                "service key");
	} else {
		*signature = SKR_ENVELOPE_UNSIGNED;
		*payload = json_incref(doc);
	}
	json_decref(doc);
	if (st == SKR_OK && service_key != NULL)
		*signature = SKR_ENVELOPE_SIGNATURE_VERIFIED;
	return st;
}

/* The parts of a payload that opening needs. */
typedef struct opened_fields {
	const json_t *jwk;        /* response.key.key */
	const char *kty;
	skr_wrap_alg enc;
	uint8_t *ciphertext;      /* decoded, malloc'd */
	size_t ciphertext_len;
} opened_fields;

static skr_status read_fields(const json_t *payload, skr_diags *diags, opened_fields *f)
{
	f->jwk = json_object_get(json_object_get(json_object_get(payload, "response"), "key"),
	                         "key");
	const json_t *kty = json_object_get(f->jwk, "kty");
	const json_t *key_hsm = json_object_get(f->jwk, "key_hsm");
	if (!json_is_string(kty) || !json_is_string(key_hsm))
		return open_error(diags, "envelope-malformed",
		                  "the response has no string \"kty\" and \"key_hsm\" under "
		                  "response.key.key");
	f->kty = json_string_value(kty);

	json_t *hsm = decode_json(json_string_value(key_hsm), json_string_length(key_hsm));
	const json_t *header = json_object_get(hsm, "header");
	const json_t *enc = json_object_get(header, "enc");
	const json_t *ciphertext = json_object_get(hsm, "ciphertext");
	const json_t *request_enc = json_object_get(json_object_get(payload, "request"), "enc");
	skr_status st = SKR_OK;
	if (hsm == NULL || !is_string(json_object_get(hsm, "schema_version"), "1.0") ||
	    !is_string(json_object_get(header, "alg"), "dir") || !json_is_string(enc) ||
	    !json_is_string(ciphertext)) {
		st = open_error(diags, "envelope-malformed",
		                "key_hsm is not base64url of {\"schema_version\": \"1.0\", \"header\": "
		                "{\"alg\": \"dir\", \"enc\"}, \"ciphertext\"}");
	} else if (!skr_wrap_alg_parse(json_string_value(enc), json_string_length(enc), &f->enc)) {
		st = open_error(diags, "envelope-malformed", "key_hsm names an unknown \"enc\"");
	} else if (request_enc != NULL && !is_string(request_enc, json_string_value(enc))) {
		st = open_error(diags, "envelope-malformed",
		                "the request's \"enc\" differs from the one in key_hsm");
	} else {
		f->ciphertext = decode_b64url(json_string_value(ciphertext),
		                              json_string_length(ciphertext), &f->ciphertext_len);
		if (f->ciphertext == NULL)
			st = open_error(diags, "envelope-malformed",
			                "key_hsm's \"ciphertext\" is not valid base64url");
	}
	json_decref(hsm);
	return st;
}

/* Compares an RSA key's public half with the response's "n" and "e". */
static int public_parts_match(const skr_key *key, const json_t *jwk)
{
	const char *problem = NULL;
	size_t n_len = 0, e_len = 0;
	uint8_t *n = jwk_bytes(jwk, "n", &n_len, &problem);
	uint8_t *e = n != NULL ? jwk_bytes(jwk, "e", &e_len, &problem) : NULL;
	int match = e != NULL;
	if (match) {
		const uint8_t *np = n, *ep = e;
		while (n_len > 0 && *np == 0) {
			np++;
			n_len--;
		}
		while (e_len > 0 && *ep == 0) {
			ep++;
			e_len--;
		}
		match = n_len == key->pub.nlen && memcmp(np, key->pub.n, n_len) == 0 &&
		        e_len == key->pub.elen && memcmp(ep, key->pub.e, e_len) == 0;
	}
	free(n);
	free(e);
	return match;
}

/* Makes the released key from the unwrapped material. material is lent
 * and wiped. */
static skr_status released_key(const opened_fields *f, uint8_t *material, size_t len,
                               skr_diags *diags, skr_key **out)
{
	const json_t *kid = json_object_get(f->jwk, "kid");
	const char *kid_text = json_is_string(kid) ? json_string_value(kid) : NULL;
	skr_status st;
	if (strcmp(f->kty, "oct") == 0 || strcmp(f->kty, "oct-HSM") == 0) {
		st = skr_key_oct(material, len, kid_text, out);
		if (st == SKR_E_USAGE)
			st = open_error(diags, "envelope-key-invalid",
			                "the opened symmetric key has %zu bytes, outside %u to %u", len,
			                SKR_KEY_MIN_OCT_BYTES, SKR_KEY_MAX_OCT_BYTES);
		return st;
	}
	if (strcmp(f->kty, "RSA") != 0 && strcmp(f->kty, "RSA-HSM") != 0) {
		skr_wipe(material, len);
		return open_error(diags, "envelope-malformed", "the response's \"kty\" is not RSA or oct");
	}
	st = skr_key_from_pkcs8(material, len, diags, out);
	skr_wipe(material, len);
	if (st == SKR_E_USAGE)
		return open_error(diags, "envelope-key-invalid",
		                  "the opened material is not a usable PKCS#8 RSA private key");
	if (st == SKR_OK && !public_parts_match(*out, f->jwk)) {
		skr_key_free(*out);
		*out = NULL;
		return open_error(diags, "envelope-key-mismatch",
		                  "the opened RSA key does not match the response's \"n\" and \"e\"");
	}
	if (st == SKR_OK && skr_key_set_kid(*out, kid_text) != 0) {
		skr_key_free(*out);
		*out = NULL;
		st = SKR_E_NOMEM;
	}
	return st;
}

skr_status skr_envelope_open(const char *response, size_t len, const skr_key *workload,
                             const skr_key *service_key, skr_diags *diags,
                             skr_key **released, skr_envelope_signature *signature)
{
	if (released == NULL || response == NULL || workload == NULL)
		return SKR_E_USAGE;
	*released = NULL;
	if (workload->kind != SKR_KEY_RSA_PRIVATE ||
	    (service_key != NULL && service_key->kind == SKR_KEY_OCT)) {
		skr_diag_add(diags, NULL, SKR_SEV_ERROR, "envelope-usage", 0, 0,
		             "the workload key must be an RSA private key, and the service key an "
		             "RSA key");
		return SKR_E_USAGE;
	}

	json_t *payload = NULL;
	skr_envelope_signature signature_kind;
	opened_fields f;
	memset(&f, 0, sizeof f);
	uint8_t *material = NULL;
	skr_status st = read_response(response, len, service_key, diags, &payload, &signature_kind);
	if (st == SKR_OK)
		st = read_fields(payload, diags, &f);
	if (st != SKR_OK)
		goto done;

	material = malloc(f.ciphertext_len);
	size_t material_len = 0;
	if (material == NULL) {
		st = SKR_E_NOMEM;
		goto done;
	}
	if (!skr_unwrap(workload, f.enc, f.ciphertext, f.ciphertext_len, material, &material_len)) {
		st = open_error(diags, "envelope-unwrap-failed",
		                "the response does not open with this key: it was wrapped to another "
		                "key, or its ciphertext was changed");
		goto done;
	}
	st = released_key(&f, material, material_len, diags, released);
	if (st == SKR_OK && signature != NULL)
		*signature = signature_kind;

done:
	if (material != NULL)
		skr_wipe(material, f.ciphertext_len);
	free(material);
	free(f.ciphertext);
	json_decref(payload);
	return st;
}
