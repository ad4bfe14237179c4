/*
 * The compiler: policy syntax tree to program image (layout in
 * vm/bytecode.h).
 *
 * Each authority entry becomes
 *     AUTH e a skip ; condition code ; RELEASE e
 * where the condition code is short-circuit jumping code: a failing allOf
 * member or a failing last anyOf member jumps straight to the next entry.
 * Comparisons are specialised by the class of the policy value, so the
 * interpreter never inspects the policy side's type. A LOAD is left out
 * when every path reaching it already holds that claim in the accumulator.
 *
 * Tables (authorities, claims, constants, strings) are deduplicated and
 * kept in first-use order, so the image depends only on the policy.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "bytecode.h"
#include "claims.h"
#include "compiler.h"
#include "util.h"

/* ---- growable byte and word arrays -------------------------------------- */

typedef struct bytes {
	uint8_t *data;
	size_t len;
	size_t cap;
	int failed;
} bytes;

/* Reserves n more bytes and returns where they start. Never returns NULL
 * for n == 0 unless an earlier allocation failed. */
static uint8_t *bytes_grow(bytes *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (n == 0 && !b->data) {
		b->data = malloc(256);
		if (!b->data) {
			b->failed = 1;
			return NULL;
		}
		b->cap = 256;
	}
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->failed = 1;
				return NULL;
			}
			cap *= 2;
		}
		uint8_t *data = realloc(b->data, cap);
		if (!data) {
			b->failed = 1;
			return NULL;
		}
		b->data = data;
		b->cap = cap;
	}
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

/* ---- interning ---------------------------------------------------------- *
 * One open-addressing table per kind of record maps a key (bytes plus a
 * tag) to the record's index, so deduplication stays linear in policy
 * size. */

typedef struct intern_key {
	const char *text;
	size_t len;
	uint64_t tag;      /* constant kind and value bits; 0 for plain strings */
	uint32_t index;
} intern_key;

typedef struct intern {
	intern_key *slots;
	uint32_t cap;      /* power of two */
	uint32_t count;
} intern;

static uint64_t intern_hash(const char *text, size_t len, uint64_t tag)
{
	return skr_claim_id(text, len) ^ (tag * 0x9E3779B97F4A7C15ull);
}

static int intern_grow(intern *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 64;
	intern_key *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return 0;
	for (uint32_t i = 0; i < t->cap; i++) {
		intern_key *k = &t->slots[i];
		if (!k->text)
			continue;
		uint32_t j = (uint32_t)intern_hash(k->text, k->len, k->tag) & (cap - 1);
		while (slots[j].text)
			j = (j + 1) & (cap - 1);
		slots[j] = *k;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 1;
}

/* Returns the index of the key, inserting it as `next` when new. *found
 * is 1 when the key was already present and 0 when it was inserted. Returns -1 when memory runs out. text must outlive t and be
 * non-NULL (use "" for the empty string). */
static int64_t intern_find(intern *t, const char *text, size_t len, uint64_t tag,
                           uint32_t next, int *found)
{
	if ((t->count + 1) * 2 > t->cap && !intern_grow(t))
		return -1;
	uint32_t i = (uint32_t)intern_hash(text, len, tag) & (t->cap - 1);
	while (t->slots[i].text) {
		intern_key *k = &t->slots[i];
		if (k->tag == tag && k->len == len && memcmp(k->text, text, len) == 0) {
			*found = 1;
			return k->index;
		}
		i = (i + 1) & (t->cap - 1);
	}
	t->slots[i] = (intern_key){ text, len, tag, next };
	t->count++;
	*found = 0;
	return next;
}

static void intern_free(intern *t)
{
	free(t->slots);
}

/* ---- compiler state ----------------------------------------------------- */

typedef struct label {
	int32_t known;     /* claim every jump here carries in acc: -1 unknown, -2 no jump yet */
	int32_t patches;   /* head of the patch list (index into patch array), -1 none */
	uint32_t target;
	int placed;
} label;

typedef struct patch {
	uint32_t at;       /* code offset of the 4-byte jump operand */
	uint32_t from;     /* code offset where the jump is measured from */
	int32_t next;
} patch;

typedef struct compiler {
	const skr_ast_policy *policy;
	const skr_source *src;
	skr_diags *diags;
	skr_status status;

	bytes authorities;   /* records, 8 bytes each */
	bytes claims;        /* records, 16 bytes each */
	bytes consts;        /* records, 24 bytes each */
	bytes code;
	bytes strings;
	uint32_t authority_count, claim_count, const_count;
	intern string_index, authority_index, claim_index, const_index;

	label *labels;
	uint32_t label_count, label_cap;
	patch *patches;
	uint32_t patch_count, patch_cap;

	int32_t known;       /* claim held in acc at the current point, -1 unknown */
	int reachable;       /* the current point can be reached by falling through */
	skr_arena scratch;   /* normalised authority texts */
} compiler;

static void fail(compiler *c, skr_status status)
{
	if (c->status == SKR_OK)
		c->status = status;
}

static uint32_t add_string(compiler *c, const char *text, size_t len)
{
	int found;
	if (len > UINT32_MAX) {
		fail(c, SKR_E_POLICY);
		return 0;
	}
	int64_t at = intern_find(&c->string_index, text ? text : "", len, 0,
	                         (uint32_t)c->strings.len, &found);
	if (at < 0) {
		fail(c, SKR_E_NOMEM);
		return 0;
	}
	if (!found) {
		uint8_t *p = bytes_grow(&c->strings, len);
		if (!p) {
			fail(c, SKR_E_NOMEM);
			return 0;
		}
		if (len)
			memcpy(p, text, len);
	}
	return (uint32_t)at;
}

static uint32_t add_authority(compiler *c, const skr_ast_entry *entry)
{
	skr_authority_view view;
	skr_authority_view_init(&view, entry->authority, entry->authority_len);
	if (view.len == 0) {
		skr_diag_add(c->diags, c->src, SKR_SEV_ERROR, "policy-empty-authority",
		             entry->authority_span.offset, entry->authority_span.length,
		             "the authority is empty once its trailing '/' is removed; give the attestation service's URL");
		fail(c, SKR_E_POLICY);
		return 0;
	}
	char *normalized = skr_arena_alloc(&c->scratch, view.len + 1);
	if (!normalized) {
		fail(c, SKR_E_NOMEM);
		return 0;
	}
	skr_authority_normalize(&view, normalized);
	int found;
	int64_t index = intern_find(&c->authority_index, normalized, view.len, 0,
	                            c->authority_count, &found);
	if (index < 0) {
		fail(c, SKR_E_NOMEM);
		return 0;
	}
	if (!found) {
		uint32_t offset = add_string(c, normalized, view.len);
		uint8_t *r = bytes_grow(&c->authorities, SKR_AUTHORITY_RECORD);
		if (!r) {
			fail(c, SKR_E_NOMEM);
			return 0;
		}
		skr_wr32(r, offset);
		skr_wr32(r + 4, (uint32_t)view.len);
		c->authority_count++;
	}
	return (uint32_t)index;
}

static uint32_t add_claim(compiler *c, const char *path, size_t len)
{
	int found;
	int64_t index = intern_find(&c->claim_index, path, len, 0, c->claim_count, &found);
	if (index < 0) {
		fail(c, SKR_E_NOMEM);
		return 0;
	}
	if (!found) {
		uint32_t offset = add_string(c, path, len);
		uint8_t *r = bytes_grow(&c->claims, SKR_CLAIM_RECORD);
		if (!r) {
			fail(c, SKR_E_NOMEM);
			return 0;
		}
		skr_wr64(r, skr_claim_id(path, len));
		skr_wr32(r + 8, offset);
		skr_wr32(r + 12, (uint32_t)len);
		c->claim_count++;
	}
	return (uint32_t)index;
}

/* A constant as the compiler classifies it. */
typedef struct constant {
	uint8_t kind;
	uint8_t num;
	uint8_t boolean;
	const char *str;
	size_t len;
	uint64_t bits;
} constant;

static uint32_t add_const(compiler *c, const constant *k)
{
	int found;
	/* The tag folds kind, views and value bits; the text disambiguates the rest. */
	uint64_t tag = ((uint64_t)k->kind << 56) ^ ((uint64_t)k->num << 48) ^
	               ((uint64_t)k->boolean << 40) ^ k->bits ^ 1;
	int64_t index = intern_find(&c->const_index, k->str ? k->str : "", k->len, tag,
	                            c->const_count, &found);
	if (index < 0) {
		fail(c, SKR_E_NOMEM);
		return 0;
	}
	/* Distinct constants may share a tag by XOR; confirm on the record. */
	if (found) {
		const uint8_t *r = c->consts.data + (size_t)index * SKR_CONST_RECORD;
		if (r[0] == k->kind && r[1] == k->num && r[2] == k->boolean && skr_rd64(r + 16) == k->bits)
			return (uint32_t)index;
		/* A tag collision between different constants: store a new record
		 * without indexing it. Rare, and correctness does not depend on
		 * deduplication. */
		index = c->const_count;
	}
	uint32_t offset = k->len ? add_string(c, k->str, k->len) : 0;
	uint8_t *r = bytes_grow(&c->consts, SKR_CONST_RECORD);
	if (!r) {
		fail(c, SKR_E_NOMEM);
		return 0;
	}
	memset(r, 0, SKR_CONST_RECORD);
	r[0] = k->kind;
	r[1] = k->num;
	r[2] = k->boolean;
	skr_wr32(r + 4, offset);
	skr_wr32(r + 8, (uint32_t)k->len);
	skr_wr64(r + 16, k->bits);
	c->const_count++;
	return (uint32_t)index;
}

/* ---- code emission ------------------------------------------------------ */

static uint32_t new_label(compiler *c)
{
	if (c->label_count == c->label_cap) {
		uint32_t cap = c->label_cap ? c->label_cap * 2 : 64;
		label *labels = realloc(c->labels, cap * sizeof *labels);
		if (!labels) {
			fail(c, SKR_E_NOMEM);
			return 0;
		}
		c->labels = labels;
		c->label_cap = cap;
	}
	c->labels[c->label_count] = (label){ -2, -1, 0, 0 };
	return c->label_count++;
}

/* Records a jump operand at `at` (measured from `from`) to label l, and
 * merges the accumulator state the jump carries. */
static void jump_to(compiler *c, uint32_t l, uint32_t at, uint32_t from)
{
	if (c->status != SKR_OK)
		return;
	if (c->patch_count == c->patch_cap) {
		uint32_t cap = c->patch_cap ? c->patch_cap * 2 : 128;
		patch *patches = realloc(c->patches, cap * sizeof *patches);
		if (!patches) {
			fail(c, SKR_E_NOMEM);
			return;
		}
		c->patches = patches;
		c->patch_cap = cap;
	}
	label *target = &c->labels[l];
	c->patches[c->patch_count] = (patch){ at, from, target->patches };
	target->patches = (int32_t)c->patch_count++;
	if (target->known == -2)
		target->known = c->known;
	else if (target->known != c->known)
		target->known = -1;
}

static void place_label(compiler *c, uint32_t l)
{
	if (c->status != SKR_OK)
		return;
	label *target = &c->labels[l];
	target->placed = 1;
	target->target = (uint32_t)c->code.len;
	if (target->known != -2) {
		if (!c->reachable)
			c->known = target->known;
		else if (c->known != target->known)
			c->known = -1;
		c->reachable = 1;
	}
}

static uint8_t *emit(compiler *c, skr_opcode opcode)
{
	uint8_t size = skr_opcode_table[opcode].size;
	uint8_t *p = bytes_grow(&c->code, size);
	if (!p) {
		fail(c, SKR_E_NOMEM);
		return NULL;
	}
	p[0] = (uint8_t)opcode;
	memset(p + 1, 0, size - 1u);
	return p;
}

static void emit_load(compiler *c, uint32_t claim)
{
	if (c->known == (int32_t)claim)
		return;
	uint8_t *p = emit(c, SKR_OPC_LOAD);
	if (!p)
		return;
	skr_wr32(p + 1, claim);
	c->known = (int32_t)claim;
}

/* ---- specialisation ----------------------------------------------------- */

static int is_bool_text(const char *s, size_t len, uint8_t *value)
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

/* Sets k to the number a numeric value holds; returns 0 for a value that
 * is not a number or numeric string. */
static int numeric_constant(const skr_ast_value *v, constant *k)
{
	int is_int;
	int64_t i;
	double d;
	switch (v->kind) {
	case SKR_VALUE_INT:
		i = v->i;
		is_int = 1;
		break;
	case SKR_VALUE_DOUBLE:
		d = v->d;
		is_int = 0;
		break;
	case SKR_VALUE_STRING:
		if (skr_parse_json_number(v->str, v->len, &is_int, &i, &d) != 0)
			return 0;
		break;
	default:
		return 0;
	}
	if (is_int) {
		k->kind = SKR_CONST_INT;
		k->num = SKR_NUM_INT;
		memcpy(&k->bits, &i, sizeof i);
	} else {
		k->kind = SKR_CONST_DBL;
		k->num = SKR_NUM_DOUBLE;
		memcpy(&k->bits, &d, sizeof d);
	}
	return 1;
}

/* Chooses the test base opcode (the _JF form) and the constant for an
 * equality condition. */
static skr_opcode equality_test(const skr_ast_value *v, constant *k, int negate)
{
	memset(k, 0, sizeof *k);
	skr_opcode base;
	switch (v->kind) {
	case SKR_VALUE_STRING: {
		constant number;
		memset(&number, 0, sizeof number);
		k->str = v->str;
		k->len = v->len;
		if (numeric_constant(v, &number)) {
			k->kind = SKR_CONST_NUMSTR;
			k->num = number.num;
			k->bits = number.bits;
			base = negate ? SKR_OPC_NE_NUMSTR_JF : SKR_OPC_EQ_NUMSTR_JF;
		} else if (is_bool_text(v->str, v->len, &k->boolean)) {
			k->kind = SKR_CONST_BOOLSTR;
			base = negate ? SKR_OPC_NE_BOOLSTR_JF : SKR_OPC_EQ_BOOLSTR_JF;
		} else {
			k->kind = SKR_CONST_STR;
			base = negate ? SKR_OPC_NE_STR_JF : SKR_OPC_EQ_STR_JF;
		}
		break;
	}
	case SKR_VALUE_INT:
	case SKR_VALUE_DOUBLE:
		numeric_constant(v, k);
		if (k->kind == SKR_CONST_INT)
			base = negate ? SKR_OPC_NE_INT_JF : SKR_OPC_EQ_INT_JF;
		else
			base = negate ? SKR_OPC_NE_DBL_JF : SKR_OPC_EQ_DBL_JF;
		break;
	default:
		k->kind = SKR_CONST_BOOL;
		k->boolean = v->kind == SKR_VALUE_TRUE;
		base = negate ? SKR_OPC_NE_BOOL_JF : SKR_OPC_EQ_BOOL_JF;
		break;
	}
	return base;
}

static skr_opcode ordering_test(skr_operator op, int is_int)
{
	switch (op) {
	case SKR_OP_LESS: return is_int ? SKR_OPC_LT_INT_JF : SKR_OPC_LT_DBL_JF;
	case SKR_OP_LESS_OR_EQUALS: return is_int ? SKR_OPC_LE_INT_JF : SKR_OPC_LE_DBL_JF;
	case SKR_OP_GREATER: return is_int ? SKR_OPC_GT_INT_JF : SKR_OPC_GT_DBL_JF;
	default: return is_int ? SKR_OPC_GE_INT_JF : SKR_OPC_GE_DBL_JF;
	}
}

/* The _JT form of every test directly follows its _JF form. */
static skr_opcode with_sense(skr_opcode base_jf, int jump_when)
{
	return (skr_opcode)(base_jf + (jump_when ? 1 : 0));
}

static void gen_claim(compiler *c, const skr_ast_node *n, uint32_t target, int jump_when)
{
	uint32_t claim = add_claim(c, n->path, n->path_len);
	emit_load(c, claim);

	constant k;
	memset(&k, 0, sizeof k);
	skr_opcode base;
	int has_const = 1;
	switch (n->op) {
	case SKR_OP_EXISTS:
		base = n->value.kind == SKR_VALUE_FALSE ? SKR_OPC_NOT_EXISTS_JF : SKR_OPC_EXISTS_JF;
		has_const = 0;
		break;
	case SKR_OP_EQUALS:
	case SKR_OP_NOT_EQUALS:
		base = equality_test(&n->value, &k, n->op == SKR_OP_NOT_EQUALS);
		break;
	default:
		if (!numeric_constant(&n->value, &k)) {
			/* The front ends reject this; reaching it is a front-end bug. */
			skr_diag_add(c->diags, c->src, SKR_SEV_ERROR, "compiler-internal",
			             n->span.offset, n->span.length,
			             "ordering operator with a non-numeric value reached the compiler");
			fail(c, SKR_E_INTERNAL);
			return;
		}
		base = ordering_test(n->op, k.kind == SKR_CONST_INT);
		break;
	}
	uint32_t index = has_const ? add_const(c, &k) : 0;
	skr_opcode opcode = with_sense(base, jump_when);
	uint8_t *p = emit(c, opcode);
	if (!p)
		return;
	uint32_t start = (uint32_t)(p - c->code.data);
	uint32_t size = skr_opcode_table[opcode].size;
	if (has_const)
		skr_wr32(p + 1, index);
	jump_to(c, target, start + size - 4, start + size);
}

/* Emits code that jumps to target when the node's result equals jump_when
 * and falls through otherwise. */
static void gen_node(compiler *c, const skr_ast_node *n, uint32_t target, int jump_when)
{
	if (c->status != SKR_OK)
		return;
	if (n->kind == SKR_NODE_CLAIM) {
		gen_claim(c, n, target, jump_when);
		return;
	}
	/* allOf fails as soon as one member fails; anyOf holds as soon as one holds. */
	int short_circuit = n->kind == SKR_NODE_ALL ? 0 : 1;
	uint32_t last = n->child_count - 1;
	if (jump_when == short_circuit) {
		for (uint32_t i = 0; i < n->child_count; i++)
			gen_node(c, n->children[i], target, jump_when);
		return;
	}
	uint32_t skip = new_label(c);
	for (uint32_t i = 0; i < last; i++)
		gen_node(c, n->children[i], skip, short_circuit);
	gen_node(c, n->children[last], target, jump_when);
	place_label(c, skip);
}

static void gen_entry(compiler *c, uint32_t e, const skr_ast_entry *entry)
{
	uint32_t authority = add_authority(c, entry);
	if (c->status != SKR_OK)
		return;
	uint32_t next = new_label(c);
	uint8_t *p = emit(c, SKR_OPC_AUTH);
	if (!p)
		return;
	uint32_t start = (uint32_t)(p - c->code.data);
	skr_wr16(p + 1, (uint16_t)e);
	skr_wr16(p + 3, (uint16_t)authority);
	c->known = -1;
	c->reachable = 1;
	jump_to(c, next, start + 5, start + 9);
	gen_node(c, entry->root, next, 0);
	p = emit(c, SKR_OPC_RELEASE);
	if (!p)
		return;
	skr_wr16(p + 1, (uint16_t)e);
	c->reachable = 0;
	place_label(c, next);
}

static void resolve_jumps(compiler *c)
{
	for (uint32_t l = 0; l < c->label_count && c->status == SKR_OK; l++) {
		const label *target = &c->labels[l];
		for (int32_t i = target->patches; i >= 0; i = c->patches[i].next) {
			const patch *jump = &c->patches[i];
			if (!target->placed || target->target < jump->from) {
				fail(c, SKR_E_INTERNAL);
				return;
			}
			skr_wr32(c->code.data + jump->at, target->target - jump->from);
		}
	}
}

/* ---- image -------------------------------------------------------------- */

static skr_status write_image(compiler *c, skr_buffer *out)
{
	size_t total = SKR_HEADER_SIZE + c->authorities.len + c->claims.len + c->consts.len +
	               c->code.len + c->strings.len;
	if (total > UINT32_MAX || c->code.len > UINT32_MAX || c->strings.len > UINT32_MAX) {
		skr_diag_add(c->diags, NULL, SKR_SEV_ERROR, "policy-limit", 0, 0,
		             "the compiled program would be %zu bytes, more than the format's 4 GiB", total);
		return SKR_E_POLICY;
	}
	uint8_t *image = calloc(total, 1);
	if (!image)
		return SKR_E_NOMEM;
	memcpy(image, SKR_MAGIC, 4);
	skr_wr16(image + 4, SKR_BYTECODE_VERSION);
	skr_wr32(image + 8, (uint32_t)total);
	skr_wr32(image + 16, c->authority_count);
	skr_wr32(image + 20, c->policy->entry_count);
	skr_wr32(image + 24, c->claim_count);
	skr_wr32(image + 28, c->const_count);
	skr_wr32(image + 32, (uint32_t)c->code.len);
	skr_wr32(image + 36, (uint32_t)c->strings.len);
	size_t pos = SKR_HEADER_SIZE;
	const bytes *sections[] = { &c->authorities, &c->claims, &c->consts, &c->code, &c->strings };
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		if (sections[i]->len)
			memcpy(image + pos, sections[i]->data, sections[i]->len);
		pos += sections[i]->len;
	}
	skr_wr32(image + 12, skr_image_checksum(image, total));
	out->data = image;
	out->len = total;
	return SKR_OK;
}

static void compiler_free(compiler *c)
{
	free(c->authorities.data);
	free(c->claims.data);
	free(c->consts.data);
	free(c->code.data);
	free(c->strings.data);
	intern_free(&c->string_index);
	intern_free(&c->authority_index);
	intern_free(&c->claim_index);
	intern_free(&c->const_index);
	free(c->labels);
	free(c->patches);
	skr_arena_free(&c->scratch);
}

skr_status skr_compile_ast(const skr_ast_policy *policy, const skr_source *src,
                           skr_diags *diags, skr_buffer *out)
{
	if (policy->entry_count == 0 || policy->entry_count > UINT16_MAX + 1u) {
		skr_diag_add(diags, src, SKR_SEV_ERROR, "policy-limit", 0, 0,
		             "a program holds 1 to %u authority entries; this policy has %u",
		             UINT16_MAX + 1u, policy->entry_count);
		return SKR_E_POLICY;
	}
	compiler c;
	memset(&c, 0, sizeof c);
	c.policy = policy;
	c.src = src;
	c.diags = diags;
	c.status = SKR_OK;
	skr_arena_init(&c.scratch);

	for (uint32_t e = 0; e < policy->entry_count && c.status == SKR_OK; e++)
		gen_entry(&c, e, &policy->entries[e]);
	emit(&c, SKR_OPC_DENY);
	if (c.authority_count > UINT16_MAX + 1u)
		fail(&c, SKR_E_POLICY);
	resolve_jumps(&c);
	int failed = c.code.failed || c.strings.failed || c.claims.failed ||
	             c.consts.failed || c.authorities.failed;
	skr_status status = c.status;
	if (status == SKR_OK && failed)
		status = SKR_E_NOMEM;
	if (status == SKR_OK)
		status = write_image(&c, out);
	compiler_free(&c);
	return status;
}
