/*
 * Support code for the libFuzzer targets; see support.h.
 */
#include "support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "claims.h"
#include "program.h"

#ifndef SKR_FUZZ_ROOT
#define SKR_FUZZ_ROOT "."
#endif

void fz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz check failed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

char *fz_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16;
	size_t n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
		char *grown = realloc(buf, cap + 1);
		if (!grown) {
			free(buf);
			buf = NULL;
		}
		buf = grown;
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *fz_read_repo_file(const char *relative, size_t *len)
{
	const char *root = getenv("SKR_ROOT");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root && *root ? root : SKR_FUZZ_ROOT, relative);
	char *text = fz_read_file(path, len);
	if (!text)
		fz_fail("%s not found; set SKR_ROOT to the repository", path);
	return text;
}

char *fz_read_shared_file(const char *relative, size_t *len)
{
	const char *shared = getenv("SKR_SHARED");
	char path[4096];
	if (shared && *shared)
		snprintf(path, sizeof path, "%s/%s", shared, relative);
	else
		snprintf(path, sizeof path, "%s/../shared/%s", SKR_FUZZ_ROOT, relative);
	return fz_read_file(path, len);
}

const char *const fz_all_operators_policy =
	"{\"version\":\"1.0.0\",\"anyOf\":["
	"{\"authority\":\"https://A.skr.example:8443/p/\",\"allOf\":["
	"{\"claim\":\"s\",\"equals\":\"text\"},{\"claim\":\"s\",\"notEquals\":\"other\"},"
	"{\"claim\":\"n\",\"equals\":\"10\"},{\"claim\":\"n\",\"notEquals\":\"1e2\"},"
	"{\"claim\":\"b\",\"equals\":\"true\"},{\"claim\":\"b\",\"notEquals\":\"false\"},"
	"{\"claim\":\"i\",\"equals\":3},{\"claim\":\"i\",\"notEquals\":-9223372036854775808},"
	"{\"claim\":\"d\",\"equals\":1.5},{\"claim\":\"d\",\"notEquals\":2e300},"
	"{\"claim\":\"t\",\"equals\":true},{\"claim\":\"t\",\"notEquals\":false},"
	"{\"anyOf\":[{\"claim\":\"i\",\"less\":4},{\"claim\":\"d\",\"less\":0.5},"
	"{\"allOf\":[{\"claim\":\"i\",\"lessOrEquals\":3},{\"claim\":\"d\",\"lessOrEquals\":1.5}]}]},"
	"{\"claim\":\"i\",\"greater\":2},{\"claim\":\"d\",\"greater\":-1.25},"
	"{\"claim\":\"i\",\"greaterOrEquals\":\"3\"},{\"claim\":\"d\",\"greaterOrEquals\":1.5},"
	"{\"claim\":\"a.b.c\",\"exists\":true},{\"claim\":\"a.missing\",\"exists\":false}]},"
	"{\"authority\":\"https://second.skr.example\",\"anyOf\":["
	"{\"claim\":\"x-ms-attestation-type\",\"condition\":\"equals\",\"value\":\"sevsnpvm\"},"
	"{\"claim\":\"x\",\"exists\":\"false\"}]},"
	"{\"authority\":\"not a url\",\"allOf\":[{\"claim\":\"s\",\"equals\":\"\"}]}]}";

/* ---- byte reader ---------------------------------------------------------- */

void fz_reader_init(fz_reader *r, const uint8_t *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
}

uint8_t fz_u8(fz_reader *r)
{
	return r->pos < r->len ? r->data[r->pos++] : 0;
}

uint16_t fz_u16(fz_reader *r)
{
	uint16_t lo = fz_u8(r);
	return (uint16_t)(lo | (fz_u8(r) << 8));
}

uint32_t fz_u32(fz_reader *r)
{
	uint32_t lo = fz_u16(r);
	return lo | ((uint32_t)fz_u16(r) << 16);
}

uint64_t fz_u64(fz_reader *r)
{
	uint64_t lo = fz_u32(r);
	return lo | ((uint64_t)fz_u32(r) << 32);
}

uint32_t fz_below(fz_reader *r, uint32_t n)
{
	if (n <= 256)
		return fz_u8(r) % n;
	if (n <= 65536)
		return fz_u16(r) % n;
	return fz_u32(r) % n;
}

size_t fz_remaining(const fz_reader *r)
{
	return r->len - r->pos;
}

/* ---- diagnostics ---------------------------------------------------------- */

void fz_check_diags(const skr_diags *diags, skr_status status, const char *src, size_t src_len)
{
	size_t errors = 0;
	for (size_t i = 0; i < diags->count; i++) {
		const skr_diag *d = &diags->items[i];
		FZ_CHECK(d->code != NULL || d->severity == SKR_SEV_NOTE, "diagnostic %zu has no code", i);
		const char *code = d->code ? d->code : "(note)";
		FZ_CHECK(d->message != NULL, "diagnostic %zu (%s) has no message", i, code);
		FZ_CHECK(strchr(d->message, '\n') == NULL, "diagnostic %s has a newline in \"%s\"",
		         code, d->message);
		if (d->severity == SKR_SEV_ERROR)
			errors++;
		if (src) {
			FZ_CHECK(d->offset <= src_len && d->length <= src_len - d->offset,
			         "diagnostic %s (\"%s\") spans bytes %zu+%zu of a %zu-byte input", code,
			         d->message, d->offset, d->length, src_len);
		}
		char small[64];
		size_t need = skr_diag_render(d, "input", src, src_len, small, sizeof small);
		char *full = malloc(need + 1);
		FZ_CHECK(full != NULL, "out of memory");
		size_t again = skr_diag_render(d, "input", src, src_len, full, need + 1);
		FZ_CHECK(again == need && strlen(full) == need,
		         "skr_diag_render of %s needs %zu bytes, then wrote %zu (%zu)", code, need,
		         strlen(full), again);
		free(full);
	}
	if (!diags->truncated)
		FZ_CHECK(errors == diags->errors, "diags counts %zu errors, the list holds %zu",
		         diags->errors, errors);
	if (status != SKR_OK && status != SKR_E_NOMEM)
		FZ_CHECK(diags->errors > 0, "status %s without an error diagnostic",
		         skr_status_name(status));
	if (status == SKR_OK)
		FZ_CHECK(diags->errors == 0, "status ok with %zu error diagnostics (first: %s)",
		         diags->errors, diags->count ? diags->items[0].message : "");
}

/* ---- programs ------------------------------------------------------------- */

/* The JSON value of constant k, in its own type (variant 0) or in its
 * other view: a numeric string as a number, "true"/"false" as a boolean, a
 * number moved by one (variant 1). Returns NULL when jansson cannot hold
 * it (a string that is not UTF-8). */
static json_t *constant_value(const skr_prog_const *k, unsigned variant)
{
	switch (k->kind) {
	case SKR_CONST_STR:
		return json_stringn(k->str, k->len);
	case SKR_CONST_NUMSTR:
		if (variant & 1)
			return k->num == SKR_NUM_INT ? json_integer(k->n.i) : json_real(k->n.d);
		return json_stringn(k->str, k->len);
	case SKR_CONST_BOOLSTR:
		if (variant & 1)
			return json_boolean(k->boolean);
		return json_stringn(k->str, k->len);
	case SKR_CONST_INT:
		if ((variant & 1) && k->n.i < INT64_MAX)
			return json_integer(k->n.i + 1);
		return json_integer(k->n.i);
	case SKR_CONST_DBL:
		return json_real(k->n.d);
	case SKR_CONST_BOOL:
		return json_boolean((variant & 1) ? !k->boolean : k->boolean);
	default:
		return NULL;
	}
}

/* Sets the dotted path in root to value (stolen), creating objects on the
 * way. A path that runs into a value that is not an object is left out. */
static void set_path(json_t *root, const char *path, size_t len, json_t *value)
{
	json_t *node = root;
	size_t start = 0;
	for (;;) {
		const char *dot = memchr(path + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - path) : len;
		json_t *child = json_object_getn(node, path + start, end - start);
		if (!dot) {
			if (child == NULL)
				json_object_setn_new(node, path + start, end - start, value);
			else
				json_decref(value);
			return;
		}
		if (child == NULL) {
			child = json_object();
			if (json_object_setn_new(node, path + start, end - start, child) != 0) {
				json_decref(value);
				return;
			}
		} else if (!json_is_object(child)) {
			json_decref(value);
			return;
		}
		node = child;
		start = end + 1;
	}
}

char *fz_program_claims_json(const skr_program *program, unsigned k, size_t *len)
{
	if (program->claim_count == 0 && k > 0)
		return NULL;
	json_t *root = json_object();
	for (uint32_t c = 0; c < program->claim_count; c++) {
		const skr_prog_claim *claim = &program->claims[c];
		json_t *value;
		if (k == 3 && c % 2 == 1)
			continue;  /* leave every other claim missing */
		if (program->const_count == 0)
			value = (k & 1) ? json_null() : json_true();
		else
			value = constant_value(&program->consts[(c + k) % program->const_count], k);
		if (value)
			set_path(root, claim->path, claim->len, value);
	}
	if (program->authority_count > 0 && !json_object_get(root, "iss")) {
		const skr_prog_string *a = &program->authorities[k % program->authority_count];
		json_t *iss = json_stringn(a->text, a->len);
		if (iss)
			json_object_set_new(root, "iss", iss);
	}
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (text)
		*len = strlen(text);
	return text;
}

/* Checks one evaluation result against the program. */
static void check_result(const skr_program *program, const skr_result *result)
{
	if (result->decision == SKR_RELEASE) {
		FZ_CHECK(result->entry >= 0 && (uint32_t)result->entry < program->entry_count,
		         "released by entry %d of %u", (int)result->entry, program->entry_count);
		FZ_CHECK(result->reason && strcmp(result->reason, "released") == 0,
		         "release with reason %s", result->reason ? result->reason : "(null)");
	} else {
		FZ_CHECK(result->decision == SKR_DENY, "decision %d", (int)result->decision);
		FZ_CHECK(result->entry == -1, "denial names entry %d", (int)result->entry);
		FZ_CHECK(result->reason && (strcmp(result->reason, "conditions_not_met") == 0 ||
		                            strcmp(result->reason, "no_matching_authority") == 0),
		         "denial with reason %s", result->reason ? result->reason : "(null)");
	}
}

/* Decides claims for issuer three ways (plain, traced with room, traced
 * without room) and checks that the results agree. */
static void evaluate_checked(const skr_program *program, const skr_claims *claims,
                             const char *issuer, size_t issuer_len)
{
	skr_result first;
	skr_result again;
	skr_trace_event events[16];
	skr_trace trace = { events, 16, 0, 0 };
	skr_trace no_room = { NULL, 0, 0, 0 };

	FZ_CHECK(skr_evaluate(program, claims, issuer, issuer_len, NULL, &first) == SKR_OK,
	         "skr_evaluate failed");
	check_result(program, &first);
	FZ_CHECK(skr_evaluate(program, claims, issuer, issuer_len, &trace, &again) == SKR_OK,
	         "traced skr_evaluate failed");
	FZ_CHECK(again.decision == first.decision && again.entry == first.entry,
	         "tracing changed the decision");
	FZ_CHECK(trace.count <= trace.capacity, "trace holds %zu events in room for %zu",
	         trace.count, trace.capacity);
	for (size_t i = 0; i < trace.count; i++)
		FZ_CHECK(events[i].entry < program->entry_count, "trace event %zu names entry %u", i,
		         events[i].entry);
	FZ_CHECK(skr_evaluate(program, claims, issuer, issuer_len, &no_room, &again) == SKR_OK,
	         "skr_evaluate with a full trace failed");
	FZ_CHECK(again.decision == first.decision && again.entry == first.entry,
	         "a full trace changed the decision");
	FZ_CHECK(no_room.count == 0 && no_room.dropped == trace.count + trace.dropped,
	         "a trace without room kept %zu and dropped %zu events, expected 0 and %zu",
	         no_room.count, no_room.dropped, trace.count + trace.dropped);
}

void fz_exercise_program(const skr_program *program)
{
	uint32_t entries = skr_program_entries(program);
	FZ_CHECK(entries == program->entry_count, "skr_program_entries %u, decoded %u", entries,
	         program->entry_count);
	for (uint32_t e = 0; e < entries; e++) {
		const char *text = NULL;
		size_t len = 0;
		FZ_CHECK(skr_program_entry_authority(program, e, &text, &len) && text != NULL,
		         "entry %u has no authority", e);
	}

	skr_buffer listing = { NULL, 0 };
	FZ_CHECK(skr_program_disasm(program, &listing) == SKR_OK, "skr_program_disasm failed");
	skr_buffer_free(&listing);

	for (unsigned k = 0; k < 4; k++) {
		size_t json_len = 0;
		char *json = fz_program_claims_json(program, k, &json_len);
		if (!json)
			continue;
		skr_claims *claims = NULL;
		skr_diags diags;
		skr_diags_init(&diags);
		skr_status parsed = skr_claims_parse(json, json_len, NULL, &diags, &claims);
		fz_check_diags(&diags, parsed, json, json_len);
		skr_diags_free(&diags);
		if (parsed == SKR_OK) {
			uint32_t issuers = program->authority_count < 4 ? program->authority_count : 4;
			for (uint32_t a = 0; a < issuers; a++) {
				const skr_prog_string *auth = &program->authorities[a];
				evaluate_checked(program, claims, auth->text, auth->len);
				char slashed[512];
				if (auth->len + 1 < sizeof slashed) {
					memcpy(slashed, auth->text, auth->len);
					slashed[auth->len] = '/';
					evaluate_checked(program, claims, slashed, auth->len + 1);
				}
			}
			evaluate_checked(program, claims, "https://foreign.skr.example", 27);
			evaluate_checked(program, claims, "", 0);
		}
		skr_claims_free(claims);
		free(json);
	}
}

/* ---- compiling -------------------------------------------------------------- */

skr_status fz_compile_checked(const char *src, size_t len, skr_syntax syntax,
                              const skr_limits *limits, skr_diags *kept, skr_buffer *image,
                              skr_program **program)
{
	skr_diags diags;
	skr_buffer first = { NULL, 0 };
	skr_buffer second = { NULL, 0 };

	if (program)
		*program = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_compile(src, len, syntax, limits, &diags, &first);
	fz_check_diags(&diags, status, src, len);
	FZ_CHECK(status == SKR_OK || status == SKR_E_POLICY || status == SKR_E_NOMEM,
	         "skr_compile returned %s", skr_status_name(status));
	if (kept)
		*kept = diags;
	else
		skr_diags_free(&diags);
	if (status != SKR_OK) {
		FZ_CHECK(first.data == NULL && first.len == 0, "a failed compilation left output");
		return status;
	}

	FZ_CHECK(skr_compile(src, len, syntax, limits, NULL, &second) == SKR_OK,
	         "a second compilation failed");
	FZ_CHECK(second.len == first.len && memcmp(second.data, first.data, first.len) == 0,
	         "two compilations of one policy differ");
	skr_buffer_free(&second);

	skr_program *loaded = NULL;
	skr_diags_init(&diags);
	skr_status load = skr_program_load(first.data, first.len, &diags, &loaded);
	if (load != SKR_OK)
		fz_fail("skr_program_load rejects a compiled policy: %s",
		        diags.count ? diags.items[0].message : skr_status_name(load));
	skr_diags_free(&diags);

	if (program)
		*program = loaded;
	else
		skr_program_free(loaded);
	if (image)
		*image = first;
	else
		skr_buffer_free(&first);
	return SKR_OK;
}

/* Error codes of rules the product applies and the reference evaluator
 * does not, so a policy rejected only for them is not a disagreement. */
static const char *const product_only_rules[] = {
	"policy-empty-authority",  /* an authority that is empty once a trailing '/' is removed */
	"policy-claim-path",       /* an empty claim path, or one with an empty segment */
	"policy-nul-name",         /* a claim path holding U+0000 (jansson rejects it in member names) */
};

int fz_only_product_rules(const skr_diags *diags)
{
	if (diags->errors == 0)
		return 0;
	for (size_t i = 0; i < diags->count; i++) {
		const skr_diag *d = &diags->items[i];
		if (d->severity != SKR_SEV_ERROR)
			continue;
		int known = 0;
		for (size_t k = 0; k < sizeof product_only_rules / sizeof product_only_rules[0]; k++)
			known |= d->code && strcmp(d->code, product_only_rules[k]) == 0;
		if (!known)
			return 0;
	}
	return 1;
}
