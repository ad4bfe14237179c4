/*
 * Loading a program image: header, checksum and tables. The code itself is
 * checked by verify.c before the program is handed out.
 */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "util.h"

#define PROGRAM_ERROR(diags, offset, ...) \
	skr_diag_add((diags), NULL, SKR_SEV_ERROR, "program-invalid", (offset), 0, __VA_ARGS__)

void skr_program_free(skr_program *program)
{
	if (!program)
		return;
	free(program->image);
	free(program->authorities);
	free(program->claims);
	free(program->consts);
	free(program->entry_authority);
	free(program->entry_offset);
	free(program);
}

/* Resolves a string reference into the pool, or fails. */
static int pool_string(const skr_program *p, const uint8_t *strings, uint32_t strings_len,
                       uint32_t offset, uint32_t len, const char **text)
{
	if (offset > strings_len || len > strings_len - offset)
		return 0;
	*text = (const char *)strings + offset;
	(void)p;
	return 1;
}

static int is_bool_string(const char *s, uint32_t len, int *value)
{
	if (len == 4 && memcmp(s, "true", 4) == 0) {
		*value = 1;
		return 1;
	}
	if (len == 5 && memcmp(s, "false", 5) == 0) {
		*value = 0;
		return 1;
	}
	return 0;
}

/* Checks a constant record against its own text and value, so a program
 * cannot claim a class its string does not have. */
static int check_constant(skr_prog_const *k, const uint8_t *record)
{
	int is_int;
	int64_t i;
	double d;
	int boolean;
	if (record[3] != 0 || skr_rd32(record + 12) != 0)
		return 0;
	switch (k->kind) {
	case SKR_CONST_STR:
		return k->num == 0 && k->boolean == 0 &&
		       skr_parse_json_number(k->str, k->len, &is_int, &i, &d) != 0 &&
		       !is_bool_string(k->str, k->len, &boolean) && k->n.i == 0;
	case SKR_CONST_NUMSTR:
		if (k->boolean != 0 || skr_parse_json_number(k->str, k->len, &is_int, &i, &d) != 0)
			return 0;
		if (is_int)
			return k->num == SKR_NUM_INT && k->n.i == i;
		return k->num == SKR_NUM_DOUBLE && memcmp(&k->n.d, &d, sizeof d) == 0;
	case SKR_CONST_BOOLSTR:
		return k->num == 0 && is_bool_string(k->str, k->len, &boolean) &&
		       k->boolean == boolean && k->n.i == 0;
	case SKR_CONST_INT:
		return k->num == SKR_NUM_INT && k->boolean == 0 && k->len == 0;
	case SKR_CONST_DBL:
		return k->num == SKR_NUM_DOUBLE && k->boolean == 0 && k->len == 0 &&
		       isfinite(k->n.d);
	case SKR_CONST_BOOL:
		return k->num == 0 && k->boolean <= 1 && k->len == 0 && k->n.i == 0;
	default:
		return 0;
	}
}

static skr_status decode_tables(skr_program *p, skr_diags *diags)
{
	const uint8_t *img = p->image;
	uint32_t n_auth = skr_rd32(img + 16);
	uint32_t n_entries = skr_rd32(img + 20);
	uint32_t n_claims = skr_rd32(img + 24);
	uint32_t n_consts = skr_rd32(img + 28);
	uint32_t code_len = skr_rd32(img + 32);
	uint32_t strings_len = skr_rd32(img + 36);

	/* Section sizes in 64 bits so no sum can wrap. */
	uint64_t need = (uint64_t)SKR_HEADER_SIZE + (uint64_t)n_auth * SKR_AUTHORITY_RECORD +
	                (uint64_t)n_claims * SKR_CLAIM_RECORD +
	                (uint64_t)n_consts * SKR_CONST_RECORD + code_len + strings_len;
	if (need != p->image_len) {
		PROGRAM_ERROR(diags, 16, "section sizes add up to %llu bytes but the image has %zu",
		              (unsigned long long)need, p->image_len);
		return SKR_E_PROGRAM;
	}
	if (n_auth > UINT16_MAX + 1u || n_entries > UINT16_MAX + 1u || n_entries == 0) {
		PROGRAM_ERROR(diags, 16, "%u authorities and %u entries are outside the format's range",
		              n_auth, n_entries);
		return SKR_E_PROGRAM;
	}

	size_t pos = SKR_HEADER_SIZE;
	const uint8_t *auth_rec = img + pos;
	pos += (size_t)n_auth * SKR_AUTHORITY_RECORD;
	const uint8_t *claim_rec = img + pos;
	pos += (size_t)n_claims * SKR_CLAIM_RECORD;
	const uint8_t *const_rec = img + pos;
	pos += (size_t)n_consts * SKR_CONST_RECORD;
	p->code = img + pos;
	p->code_len = code_len;
	pos += code_len;
	const uint8_t *strings = img + pos;

	p->authority_count = n_auth;
	p->claim_count = n_claims;
	p->const_count = n_consts;
	p->entry_count = n_entries;
	p->authorities = calloc(n_auth ? n_auth : 1, sizeof *p->authorities);
	p->claims = calloc(n_claims ? n_claims : 1, sizeof *p->claims);
	p->consts = calloc(n_consts ? n_consts : 1, sizeof *p->consts);
	p->entry_authority = calloc(n_entries, sizeof *p->entry_authority);
	p->entry_offset = calloc(n_entries, sizeof *p->entry_offset);
	if (!p->authorities || !p->claims || !p->consts || !p->entry_authority || !p->entry_offset)
		return SKR_E_NOMEM;

	for (uint32_t i = 0; i < n_auth; i++) {
		const uint8_t *r = auth_rec + (size_t)i * SKR_AUTHORITY_RECORD;
		skr_prog_string *a = &p->authorities[i];
		a->len = skr_rd32(r + 4);
		if (!pool_string(p, strings, strings_len, skr_rd32(r), a->len, &a->text)) {
			PROGRAM_ERROR(diags, (size_t)(r - img), "authority %u points outside the string pool", i);
			return SKR_E_PROGRAM;
		}
		/* The stored form must already be normalised. */
		if (a->len == 0 || !skr_authority_is_normalized(a->text, a->len)) {
			PROGRAM_ERROR(diags, (size_t)(r - img), "authority %u is not in normalised form", i);
			return SKR_E_PROGRAM;
		}
	}
	for (uint32_t i = 0; i < n_claims; i++) {
		const uint8_t *r = claim_rec + (size_t)i * SKR_CLAIM_RECORD;
		skr_prog_claim *c = &p->claims[i];
		c->id = skr_rd64(r);
		c->len = skr_rd32(r + 12);
		if (!pool_string(p, strings, strings_len, skr_rd32(r + 8), c->len, &c->path)) {
			PROGRAM_ERROR(diags, (size_t)(r - img), "claim %u points outside the string pool", i);
			return SKR_E_PROGRAM;
		}
		if (skr_claim_id(c->path, c->len) != c->id) {
			PROGRAM_ERROR(diags, (size_t)(r - img), "claim %u: the id does not hash the path", i);
			return SKR_E_PROGRAM;
		}
	}
	for (uint32_t i = 0; i < n_consts; i++) {
		const uint8_t *r = const_rec + (size_t)i * SKR_CONST_RECORD;
		skr_prog_const *k = &p->consts[i];
		k->kind = r[0];
		k->num = r[1];
		k->boolean = r[2];
		k->len = skr_rd32(r + 8);
		uint64_t bits = skr_rd64(r + 16);
		memcpy(&k->n, &bits, sizeof bits);
		if (!pool_string(p, strings, strings_len, skr_rd32(r + 4), k->len, &k->str) ||
		    !check_constant(k, r)) {
			PROGRAM_ERROR(diags, (size_t)(r - img), "constant %u is malformed or of the wrong kind", i);
			return SKR_E_PROGRAM;
		}
	}
	return SKR_OK;
}

static skr_status check_header(const uint8_t *bytes, size_t len, skr_diags *diags)
{
	if (len < SKR_HEADER_SIZE || memcmp(bytes, SKR_MAGIC, 4) != 0) {
		if (len >= 4 && memcmp(bytes, SKR_MAGIC, 4) == 0)
			PROGRAM_ERROR(diags, 0, "program is truncated: %zu bytes, shorter than the %u-byte header",
			              len, SKR_HEADER_SIZE);
		else
			PROGRAM_ERROR(diags, 0, "not a compiled skr program (the magic \"SKRB\" is missing)");
		return SKR_E_PROGRAM;
	}
	uint16_t version = skr_rd16(bytes + 4);
	if (version != SKR_BYTECODE_VERSION) {
		PROGRAM_ERROR(diags, 4, "program format version %u is not supported; this skr reads version %u, so recompile the policy",
		              version, SKR_BYTECODE_VERSION);
		return SKR_E_PROGRAM;
	}
	uint32_t stated = skr_rd32(bytes + 8);
	if (stated != len) {
		PROGRAM_ERROR(diags, 8, "program length is %zu bytes but its header says %u; the file is truncated or padded",
		              len, stated);
		return SKR_E_PROGRAM;
	}
	uint32_t checksum = skr_image_checksum(bytes, len);
	if (checksum != skr_rd32(bytes + 12)) {
		PROGRAM_ERROR(diags, 12, "program checksum mismatch (stored %08x, computed %08x); the file is damaged, so recompile the policy",
		              skr_rd32(bytes + 12), checksum);
		return SKR_E_PROGRAM;
	}
	if (skr_rd16(bytes + 6) != 0 || skr_rd64(bytes + 40) != 0) {
		PROGRAM_ERROR(diags, 6, "program header has unknown flags or reserved bytes set");
		return SKR_E_PROGRAM;
	}
	return SKR_OK;
}

skr_status skr_program_load(const void *bytes, size_t len, skr_diags *diags,
                            skr_program **out)
{
	if (!out || (!bytes && len))
		return SKR_E_USAGE;
	*out = NULL;
	if (len > UINT32_MAX) {
		PROGRAM_ERROR(diags, 0, "program is %zu bytes, larger than the format allows", len);
		return SKR_E_PROGRAM;
	}
	skr_status status = check_header(bytes, len, diags);
	if (status != SKR_OK)
		return status;

	skr_program *p = calloc(1, sizeof *p);
	if (!p)
		return SKR_E_NOMEM;
	p->image = malloc(len);
	if (!p->image) {
		free(p);
		return SKR_E_NOMEM;
	}
	memcpy(p->image, bytes, len);
	p->image_len = len;
	p->checksum = skr_rd32(p->image + 12);

	status = decode_tables(p, diags);
	if (status == SKR_OK)
		status = skr_verify_code(p, diags);
	if (status != SKR_OK) {
		skr_program_free(p);
		return status;
	}
	*out = p;
	return SKR_OK;
}

uint32_t skr_program_entries(const skr_program *program)
{
	return program ? program->entry_count : 0;
}

int skr_program_entry_authority(const skr_program *program, uint32_t entry,
                                const char **text, size_t *len)
{
	if (!program || entry >= program->entry_count)
		return 0;
	const skr_prog_string *a = &program->authorities[program->entry_authority[entry]];
	*text = a->text;
	*len = a->len;
	return 1;
}
