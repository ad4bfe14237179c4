/*
 * Releases: verify a token, evaluate the program on its claims, and write
 * the audit record of the decision.
 */
#include <stdio.h>
#include <string.h>

#include "sha256.h"
#include "program.h"
#include "token.h"

skr_status skr_release(const skr_trust *trust, const skr_program *program,
                       const char *token, size_t len, const skr_verify_options *options,
                       skr_trace *trace, skr_diags *diags, skr_token *verified,
                       skr_result *result)
{
	if (result == NULL || program == NULL)
		return SKR_E_USAGE;

	skr_token local;
	skr_token *t = verified;
	if (t == NULL) {
		skr_token_init(&local);
		t = &local;
	}

	skr_status st = skr_token_verify(trust, token, len, options, diags, t);
	if (st == SKR_OK) {
		/* The issuer comes from the verified claims, never from the caller. */
		st = skr_evaluate(program, t->claims, t->issuer, t->issuer_len, trace, result);
	} else {
		result->decision = SKR_DENY;
		result->entry = -1;
		result->reason = t->reason;
	}

	if (t == &local)
		skr_token_clear(&local);
	return st;
}

/* ---- audit records ---- */

/* Output that counts what it could not store, as snprintf does. */
typedef struct record_out {
	char *buf;
	size_t cap;
	size_t len;
} record_out;

static void put_bytes(record_out *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (out->len + 1 < out->cap)
			out->buf[out->len] = s[i];
		out->len++;
	}
}

static void put_text(record_out *out, const char *s)
{
	put_bytes(out, s, strlen(s));
}

/* Writes s as a JSON string. Quotes, backslashes and control bytes are
 * escaped, and other bytes are copied as they are, so valid UTF-8 stays
 * valid. */
static void put_json_string(record_out *out, const char *s, size_t n)
{
	put_bytes(out, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put_bytes(out, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put_bytes(out, esc, 6);
		} else {
			put_bytes(out, (const char *)&c, 1);
		}
	}
	put_bytes(out, "\"", 1);
}

static void put_hex(record_out *out, const uint8_t *v, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	put_bytes(out, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char pair[2] = { digits[v[i] >> 4], digits[v[i] & 15] };
		put_bytes(out, pair, 2);
	}
	put_bytes(out, "\"", 1);
}

static void put_sha256(record_out *out, const void *data, size_t len)
{
	uint8_t digest[32];
	skr_sha256(data, len, digest);
	put_hex(out, digest, sizeof digest);
}

size_t skr_audit_record(int64_t time, const char *token, size_t token_len,
                        const skr_token *verified, const skr_result *result,
                        const skr_program *program, const char *program_hash,
                        char *buf, size_t cap)
{
	record_out out = { buf, cap, 0 };
	char number[32];
	int rejected = verified == NULL || verified->failed != SKR_CHECK_COUNT || result == NULL;

	snprintf(number, sizeof number, "%lld", (long long)time);
	put_text(&out, "{\"time\":");
	put_text(&out, number);

	put_text(&out, ",\"issuer\":");
	if (verified != NULL && verified->issuer != NULL)
		put_json_string(&out, verified->issuer, verified->issuer_len);
	else
		put_text(&out, "null");

	put_text(&out, ",\"kid\":");
	if (verified != NULL && verified->kid != NULL)
		put_json_string(&out, verified->kid, verified->kid_len);
	else
		put_text(&out, "null");

	put_text(&out, ",\"token_sha256\":");
	put_sha256(&out, token != NULL ? token : "", token != NULL ? token_len : 0);

	put_text(&out, ",\"program\":");
	if (program_hash != NULL)
		put_json_string(&out, program_hash, strlen(program_hash));
	else if (program != NULL)
		put_sha256(&out, program->image, program->image_len);
	else
		put_text(&out, "null");

	const char *decision = rejected ? "token_rejected"
	                     : result->decision == SKR_RELEASE ? "release" : "deny";
	const char *reason = rejected ? (verified != NULL ? verified->reason : "token_not_verified")
	                              : result->reason;
	put_text(&out, ",\"decision\":");
	put_json_string(&out, decision, strlen(decision));
	put_text(&out, ",\"reason\":");
	put_json_string(&out, reason, strlen(reason));
	put_text(&out, "}\n");

	if (cap > 0)
		buf[out.len < cap ? out.len : cap - 1] = '\0';
	return out.len;
}
