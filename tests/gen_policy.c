/*
 * Generator of random policies and claim sets. A policy is first built as
 * a small tree, then written with random member order, member-name case,
 * escapes and whitespace. A fault, when one is drawn, is written at one
 * node of the tree. Claim sets are written directly.
 */
#include "gen_policy.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NODES 200
#define MAX_CHILDREN 4
#define MAX_ENTRIES 4
#define MAX_GROUP_DEPTH 4     /* the authority entry's own group is depth 1 */
#define MAX_CLAIMS_DEPTH 3    /* object nesting below the claims' top level */
#define MAX_PATH 64
#define MAX_AUTHORITY 128

/* ------------------------------------------------------------------------
 * Text buffer
 */
void gen_text_init(gen_text *text)
{
	text->data = NULL;
	text->len = 0;
	text->cap = 0;
	text->failed = 0;
}

void gen_text_free(gen_text *text)
{
	free(text->data);
	gen_text_init(text);
}

static void text_reset(gen_text *text)
{
	text->len = 0;
	text->failed = 0;
	if (text->data != NULL)
		text->data[0] = '\0';
}

static void put_bytes(gen_text *text, const char *bytes, size_t len)
{
	if (text->failed)
		return;
	if (text->len + len + 1 > text->cap) {
		size_t cap = text->cap ? text->cap : 256;
		while (cap < text->len + len + 1)
			cap *= 2;
		char *grown = realloc(text->data, cap);
		if (grown == NULL) {
			text->failed = 1;
			return;
		}
		text->data = grown;
		text->cap = cap;
	}
	memcpy(text->data + text->len, bytes, len);
	text->len += len;
	text->data[text->len] = '\0';
}

static void put(gen_text *text, const char *s)
{
	put_bytes(text, s, strlen(s));
}

static void put_char(gen_text *text, char c)
{
	put_bytes(text, &c, 1);
}

void gen_options_init(gen_options *options)
{
	options->policy_fault_percent = 4;
	options->claims_fault_percent = 2;
}

/* ------------------------------------------------------------------------
 * Random numbers: SplitMix64, which is enough for test data and gives the
 * same sequence on every platform.
 */
typedef struct rng {
	uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
	r->state = seed ^ (stream * 0xd1b54a32d192ed03u);
	rng_next(r);
}

/* Uniform in [0, n); the modulo bias is negligible for the small n used. */
static uint32_t below(rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

static int chance(rng *r, unsigned percent)
{
	return below(r, 100) < percent;
}

#define PICK(r, table) ((table)[below((r), (uint32_t)(sizeof(table) / sizeof((table)[0])))])

static void shuffle(rng *r, int *items, uint32_t count)
{
	for (uint32_t i = count; i > 1; i--) {
		uint32_t j = below(r, i);
		int t = items[i - 1];
		items[i - 1] = items[j];
		items[j] = t;
	}
}

/* Streams of the seed, so that the policy and each claim set draw
 * independent sequences. */
enum { STREAM_ISSUER = 1, STREAM_POLICY = 2, STREAM_CLAIMS = 3 };

/* ------------------------------------------------------------------------
 * Vocabulary
 */

/* A byte string that may hold NUL; len is the byte count. */
typedef struct bytes {
	const char *s;
	size_t len;
} bytes;

#define B(literal) {literal, sizeof(literal) - 1}

static const char *const issuers[] = {
	"https://sharedweu.weu.attest.azure.net",
	"https://sharedeus2.eus2.attest.azure.net/",
	"https://Mock-Attest.example.net:8443/tenant/Path",
	"http://127.0.0.1/x",
	"urn:skr:test-Issuer",
};

/* Member names of claims objects, and the segments of claim paths. */
static const char *const names[] = {"a", "b", "tee", "x-ms-svn"};
/* Member names holding a '.', which no dotted path reaches. */
static const char *const dotted_names[] = {"a.b", "tee.x-ms-svn", "tee.a", "b.a"};

static const char *const small_ints[] = {"0", "1", "3", "5", "10", "100"};
static const char *const ints[] = {
	"0", "-0", "1", "-1", "2", "3", "5", "10", "100",
	"9223372036854775807", "9223372036854775806",
	"-9223372036854775808", "-9223372036854775807",
	"9007199254740992", "9007199254740993", "9007199254740991", "9007199254740994",
	"-9007199254740993", "-9007199254740992", "9200000000000000000",
};
static const char *const doubles[] = {
	"0.0", "-0.0", "0e0", "1.0", "1e0", "10e-1", "1.5", "15e-1", "0.15E1", "0.1", "1e-1",
	"2.0", "2.5", "3.0", "0.3e1", "5e0", "1e1", "1E1", "10.0", "1e2", "1E+2", "100.0",
	"-1.5", "9007199254740992.0", "9007199254740993.0", "9.007199254740993e15",
	"9007199254740994.0", "-9007199254740993.0", "9.2e18", "9200000000000000000.0",
	"9.223372036854775807e18", "9223372036854775808.0", "-9.223372036854775808e18",
	"1e19", "1e-300", "1e-400",
};
/* Strings that look numeric but are not JSON numbers within range. */
static const bytes non_numeric[] = {
	B("+1"), B(" 1"), B("1 "), B("0x10"), B("01"), B("1."), B(".5"), B("-"), B("1e"),
	B("Infinity"), B("NaN"), B("9223372036854775808"), B("-9223372036854775809"),
	B("1e400"), B("1_000"), B("10\0"), B("\xd9\xa1"), B("1,5"),
};
static const bytes near_booleans[] = {B("True"), B("FALSE"), B("true "), B("yes"), B("1")};
static const bytes plain_strings[] = {
	B("sevsnpvm"), B("SEVSNPVM"), B("azure-compliant-cvm"), B(""), B("a\0b"), B("a"),
	B("\xc3\xa9"), B("\xf0\x9f\x98\x80"), B("x-ms-svn"), B("null"),
	B("https://sharedweu.weu.attest.azure.net"),
};
static const char *const array_literals[] = {"[]", "[1]", "[\"a\",true]", "[{\"b\":1}]", "[null]"};

static const char *const operator_names[] = {
	"equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals", "exists",
};
enum { OP_EQUALS, OP_NOT_EQUALS, OP_LESS, OP_LESS_OR_EQUALS, OP_GREATER,
       OP_GREATER_OR_EQUALS, OP_EXISTS, OP_COUNT };

/* ------------------------------------------------------------------------
 * Writing JSON text
 */
static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static void put_u_escape(rng *r, gen_text *out, unsigned code)
{
	const char *hex = chance(r, 50) ? hex_lower : hex_upper;
	char buf[6] = {'\\', 'u', hex[(code >> 12) & 15], hex[(code >> 8) & 15],
	               hex[(code >> 4) & 15], hex[code & 15]};
	put_bytes(out, buf, sizeof buf);
}

/* Length of the UTF-8 sequence starting with lead; the generator's own
 * strings are valid UTF-8. */
static size_t utf8_length(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead >= 0xf0)
		return 4;
	if (lead >= 0xe0)
		return 3;
	return 2;
}

static unsigned utf8_decode(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0];
	unsigned code = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		code = (code << 6) | (s[i] & 0x3f);
	return code;
}

/* Writes a JSON string holding value, escaping each character that needs
 * it and, with escape_percent chance, any other character as well. */
static void put_string(rng *r, gen_text *out, const char *value, size_t len,
                       unsigned escape_percent)
{
	const unsigned char *s = (const unsigned char *)value;

	put_char(out, '"');
	for (size_t i = 0; i < len;) {
		size_t n = utf8_length(s[i]);
		if (n > len - i)
			n = len - i;
		int escape = chance(r, escape_percent);

		if (n > 1) {
			unsigned code = utf8_decode(s + i, n);
			if (!escape) {
				put_bytes(out, value + i, n);
			} else if (code >= 0x10000) {
				code -= 0x10000;
				put_u_escape(r, out, 0xd800 + (code >> 10));
				put_u_escape(r, out, 0xdc00 + (code & 0x3ff));
			} else {
				put_u_escape(r, out, code);
			}
		} else if (s[i] == '"' || s[i] == '\\') {
			put_char(out, '\\');
			put_char(out, (char)s[i]);
		} else if (s[i] == '\n' && !escape) {
			put(out, "\\n");
		} else if (s[i] == '\t' && !escape) {
			put(out, "\\t");
		} else if (s[i] < 0x20) {
			put_u_escape(r, out, s[i]);
		} else if (s[i] == '/' && escape && chance(r, 50)) {
			put(out, "\\/");
		} else if (escape) {
			put_u_escape(r, out, s[i]);
		} else {
			put_char(out, (char)s[i]);
		}
		i += n;
	}
	put_char(out, '"');
}

static void put_cstring(rng *r, gen_text *out, const char *value, unsigned escape_percent)
{
	put_string(r, out, value, strlen(value), escape_percent);
}

/* Writes optional whitespace between tokens. */
static void put_space(rng *r, gen_text *out)
{
	static const char *const spaces[] = {" ", "\n  ", "\r\n", "\t", "  "};
	if (chance(r, 25))
		put(out, PICK(r, spaces));
}

/* Writes a policy member name: usually canonical, sometimes in another
 * case, sometimes with escapes, since names match case-insensitively
 * after escapes are decoded. */
static void put_key(rng *r, gen_text *out, const char *canonical)
{
	char name[64];
	size_t len = strlen(canonical);
	uint32_t style = below(r, 100);

	memcpy(name, canonical, len + 1);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		/* -1 keeps the canonical case, 0 lowers and 1 raises it. */
		int upper = -1;
		if (style >= 95)
			upper = (int)below(r, 2);
		else if (style >= 88)
			upper = 1;
		else if (style >= 80)
			upper = 0;
		if (upper == 1 && c >= 'a' && c <= 'z')
			name[i] = (char)(c - 'a' + 'A');
		else if (upper == 0 && c >= 'A' && c <= 'Z')
			name[i] = (char)(c - 'A' + 'a');
	}
	put_space(r, out);
	put_string(r, out, name, len, 3);
	put_space(r, out);
	put_char(out, ':');
	put_space(r, out);
}

static void put_separator(rng *r, gen_text *out, int *first)
{
	if (!*first) {
		put_space(r, out);
		put_char(out, ',');
	}
	*first = 0;
}

/* ------------------------------------------------------------------------
 * Values
 */
typedef enum value_type {
	VALUE_STRING = 0,  /* s/len: decoded bytes */
	VALUE_NUMBER,      /* s: the number's JSON text */
	VALUE_TRUE,
	VALUE_FALSE,
	VALUE_LITERAL      /* s: any JSON text written as is (null, arrays, objects) */
} value_type;

typedef struct policy_value {
	value_type type;
	const char *s;
	size_t len;
} policy_value;

static policy_value make_string(bytes b)
{
	policy_value v = {VALUE_STRING, b.s, b.len};
	return v;
}

static policy_value make_cstring(const char *s)
{
	policy_value v = {VALUE_STRING, s, strlen(s)};
	return v;
}

static policy_value make_number(const char *text)
{
	policy_value v = {VALUE_NUMBER, text, strlen(text)};
	return v;
}

static policy_value make_literal(const char *text)
{
	policy_value v = {VALUE_LITERAL, text, strlen(text)};
	return v;
}

static policy_value make_boolean(int truth)
{
	policy_value v = {truth ? VALUE_TRUE : VALUE_FALSE, NULL, 0};
	return v;
}

static const char *pick_number_text(rng *r)
{
	uint32_t k = below(r, 100);
	if (k < 40)
		return PICK(r, small_ints);
	if (k < 70)
		return PICK(r, ints);
	return PICK(r, doubles);
}

/* A number, or a string holding a number. */
static policy_value pick_numeric(rng *r)
{
	const char *text = pick_number_text(r);
	return chance(r, 65) ? make_number(text) : make_cstring(text);
}

/* A policy value for an equals / notEquals condition. */
static policy_value pick_comparison_value(rng *r)
{
	uint32_t k = below(r, 100);
	if (k < 35)
		return pick_numeric(r);
	if (k < 45)
		return make_string(PICK(r, non_numeric));
	if (k < 65)
		return make_string(PICK(r, plain_strings));
	if (k < 75)
		return make_cstring(chance(r, 50) ? "true" : "false");
	if (k < 80)
		return make_string(PICK(r, near_booleans));
	return make_boolean(chance(r, 50));
}

static policy_value pick_exists_value(rng *r)
{
	if (chance(r, 70))
		return make_boolean(chance(r, 50));
	return make_cstring(chance(r, 50) ? "true" : "false");
}

static void put_value(rng *r, gen_text *out, const policy_value *v)
{
	switch (v->type) {
	case VALUE_STRING:
		put_string(r, out, v->s, v->len, 4);
		break;
	case VALUE_NUMBER:
	case VALUE_LITERAL:
		put_bytes(out, v->s, v->len);
		break;
	case VALUE_TRUE:
		put(out, "true");
		break;
	case VALUE_FALSE:
		put(out, "false");
		break;
	}
}

/* ------------------------------------------------------------------------
 * Authorities
 */

/* Finds the host of "scheme://host[:port][/path]": [*start, *end).
 * Returns 0 when text is not of that form. */
static int find_host(const char *text, size_t *start, size_t *end)
{
	const char *sep = strstr(text, "://");
	if (sep == NULL)
		return 0;
	size_t i = (size_t)(sep - text) + 3;
	*start = i;
	while (text[i] != '\0' && text[i] != '/' && text[i] != ':')
		i++;
	*end = i;
	return 1;
}

static void change_case(char *s, size_t from, size_t to, int upper)
{
	for (size_t i = from; i < to; i++) {
		if (upper && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		else if (!upper && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
}

/* Writes into out (MAX_AUTHORITY bytes) a variant of base. The variant is
 * exact, or has a change that matching ignores (a trailing '/', the case of
 * the scheme or the host), or a change that it does not ignore (the case
 * of the path, a port, a second trailing '/'). */
static void authority_variant(rng *r, const char *base, char *out)
{
	size_t len = strlen(base);
	size_t host_start = 0;
	size_t host_end = 0;
	int is_url = find_host(base, &host_start, &host_end);

	memcpy(out, base, len + 1);
	switch (below(r, 10)) {
	case 0:
	case 1:
	case 2:
		break;
	case 3:
		if (len > 0 && out[len - 1] == '/')
			out[len - 1] = '\0';
		else
			memcpy(out + len, "/", 2);
		break;
	case 4:
		if (is_url)
			change_case(out, host_start, host_end, 1);
		else
			change_case(out, 0, len, 1);
		break;
	case 5:
		if (is_url)
			change_case(out, 0, host_start - 3, 1);
		else
			change_case(out, 0, len, 0);
		break;
	case 6:
		if (len > 0 && out[len - 1] == '/')
			memcpy(out + len, "/", 2);
		else
			memcpy(out + len, "//", 3);
		break;
	case 7:
		change_case(out, is_url ? host_end : 0, len, chance(r, 50));
		break;
	case 8:
		if (is_url && base[host_end] != ':') {
			memcpy(out + host_end, ":443", 4);
			memcpy(out + host_end + 4, base + host_end, len - host_end + 1);
		}
		break;
	default: {
		const char *other = PICK(r, issuers);
		memcpy(out, other, strlen(other) + 1);
		break;
	}
	}
}

/* The issuer a policy seed is built around; its claim sets use it too. */
static const char *primary_issuer(uint64_t seed)
{
	rng r;
	rng_seed(&r, seed, STREAM_ISSUER);
	return PICK(&r, issuers);
}

/* ------------------------------------------------------------------------
 * Policy faults. Each breaks one rule that makes a policy invalid.
 */
typedef enum fault {
	FAULT_NONE = 0,
	/* at one claim condition */
	FAULT_ORDER_STRING,
	FAULT_ORDER_BOOLEAN,
	FAULT_EXISTS_NUMBER,
	FAULT_EXISTS_STRING,
	FAULT_VALUE_NULL,
	FAULT_VALUE_ARRAY,
	FAULT_VALUE_OBJECT,
	FAULT_TWO_OPERATORS,
	FAULT_UNKNOWN_MEMBER,
	FAULT_CASE_DUPLICATE,
	FAULT_EXACT_DUPLICATE,
	FAULT_NO_CLAIM,
	FAULT_NO_OPERATOR,
	FAULT_CLAIM_NOT_STRING,
	FAULT_LONG_FORM_UNKNOWN_OPERATOR,
	FAULT_LONG_FORM_AND_OPERATOR,
	FAULT_LONG_FORM_NO_VALUE,
	FAULT_INT_OUT_OF_RANGE,
	FAULT_DOUBLE_OVERFLOW,
	FAULT_NUL_IN_NAME,
	FAULT_INVALID_UTF8,
	/* at one group (an authority entry's own group included) */
	FAULT_EMPTY_GROUP,
	FAULT_BOTH_GROUPS,
	FAULT_GROUP_NOT_ARRAY,
	/* at one authority entry */
	FAULT_NO_AUTHORITY,
	FAULT_AUTHORITY_NOT_STRING,
	FAULT_ENTRY_NO_GROUP,
	FAULT_ENTRY_CLAIM_MEMBER,
	/* at the top level */
	FAULT_NO_VERSION,
	FAULT_UNKNOWN_VERSION,
	FAULT_VERSION_NUMBER,
	FAULT_TOP_ALL_OF,
	FAULT_EMPTY_ANY_OF,
	FAULT_UNKNOWN_TOP_MEMBER,
	FAULT_ENCODED_TWICE,
	FAULT_TRAILING_COMMA,
	FAULT_COMMENT,
	FAULT_SINGLE_QUOTES,
	FAULT_BOM_INSIDE,
	FAULT_COUNT
} fault;

#define FAULT_FIRST_CONDITION FAULT_ORDER_STRING
#define FAULT_FIRST_GROUP FAULT_EMPTY_GROUP
#define FAULT_FIRST_ENTRY FAULT_NO_AUTHORITY
#define FAULT_FIRST_TOP FAULT_NO_VERSION

static const char *const fault_names[FAULT_COUNT] = {
	NULL,
	"ordering operator with a non-numeric string",
	"ordering operator with a boolean",
	"exists with a number",
	"exists with a string other than true/false",
	"null value",
	"array value",
	"object value",
	"two operators",
	"unknown member in a condition",
	"members differing only in case",
	"duplicate member",
	"condition without claim",
	"condition without operator",
	"claim that is not a string",
	"long form naming an unknown operator",
	"long form with an operator member",
	"long form without value",
	"integer outside int64",
	"number overflowing a double",
	"member name holding U+0000",
	"invalid UTF-8",
	"empty group",
	"group with both allOf and anyOf",
	"group that is not an array",
	"authority entry without authority",
	"authority that is not a string",
	"authority entry without a group",
	"authority entry with a claim member",
	"missing version",
	"unknown version",
	"version that is a number",
	"top-level allOf",
	"empty top-level anyOf",
	"unknown top-level member",
	"policy encoded twice",
	"trailing comma",
	"comment",
	"single quotes",
	"byte-order mark after the start",
};

/* ------------------------------------------------------------------------
 * Policy tree
 */
typedef enum node_kind { NODE_ALL = 0, NODE_ANY, NODE_CLAIM } node_kind;

typedef struct node {
	node_kind kind;
	uint16_t children[MAX_CHILDREN];
	uint32_t child_count;
	char path[MAX_PATH];
	size_t path_len;
	int op;
	int long_form;
	policy_value value;
} node;

typedef struct entry {
	char authority[MAX_AUTHORITY];
	uint16_t root;
} entry;

typedef struct policy_gen {
	rng r;
	gen_text *out;
	node nodes[MAX_NODES];
	uint32_t node_count;
	uint32_t condition_count;
	uint32_t group_count;
	entry entries[MAX_ENTRIES];
	uint32_t entry_count;
	fault fault;
	uint32_t fault_target;  /* index among the conditions, groups or entries */
	uint32_t condition_seen;
	uint32_t group_seen;
} policy_gen;

/* Builds a claim path of one to three segments from the vocabulary. */
static void pick_path(rng *r, char *path, size_t *len)
{
	uint32_t k = below(r, 100);
	uint32_t segments = 1;
	if (k >= 85)
		segments = 3;
	else if (k >= 50)
		segments = 2;

	*len = 0;
	if (chance(r, 3)) {
		const char *special = chance(r, 50) ? "iss" : "A";
		*len = strlen(special);
		memcpy(path, special, *len + 1);
		return;
	}
	for (uint32_t i = 0; i < segments; i++) {
		const char *name = PICK(r, names);
		size_t n = strlen(name);
		if (i > 0)
			path[(*len)++] = '.';
		memcpy(path + *len, name, n);
		*len += n;
	}
	path[*len] = '\0';
}

static void build_claim(policy_gen *g, node *n)
{
	n->kind = NODE_CLAIM;
	pick_path(&g->r, n->path, &n->path_len);
	n->op = (int)below(&g->r, OP_COUNT);
	n->long_form = chance(&g->r, 15);
	if (n->op == OP_EXISTS)
		n->value = pick_exists_value(&g->r);
	else if (n->op == OP_EQUALS || n->op == OP_NOT_EQUALS)
		n->value = pick_comparison_value(&g->r);
	else
		n->value = pick_numeric(&g->r);
	g->condition_count++;
}

/* Builds a group at depth with one or more children. The pool check keeps
 * room for at least the first child of every group. */
static uint16_t build_group(policy_gen *g, uint32_t depth)
{
	uint16_t index = (uint16_t)g->node_count++;
	uint32_t planned = 1 + below(&g->r, depth == 1 ? 4 : 3);

	g->nodes[index].kind = chance(&g->r, 50) ? NODE_ALL : NODE_ANY;
	g->nodes[index].child_count = 0;
	g->group_count++;
	for (uint32_t i = 0; i < planned && g->node_count < MAX_NODES; i++) {
		uint16_t child;
		if (depth < MAX_GROUP_DEPTH && g->node_count + 8 < MAX_NODES && chance(&g->r, 25)) {
			child = build_group(g, depth + 1);
		} else {
			child = (uint16_t)g->node_count++;
			build_claim(g, &g->nodes[child]);
		}
		g->nodes[index].children[g->nodes[index].child_count++] = child;
	}
	return index;
}

static void build_policy(policy_gen *g, uint64_t seed)
{
	const char *primary = primary_issuer(seed);

	uint32_t planned = 1 + below(&g->r, MAX_ENTRIES);
	for (uint32_t i = 0; i < planned && g->node_count + 8 < MAX_NODES; i++) {
		entry *e = &g->entries[g->entry_count++];
		authority_variant(&g->r, primary, e->authority);
		e->root = build_group(g, 1);
	}
}

static void pick_fault(policy_gen *g, const gen_options *options)
{
	g->fault = FAULT_NONE;
	if (!chance(&g->r, options->policy_fault_percent))
		return;
	g->fault = (fault)(1 + below(&g->r, FAULT_COUNT - 1));
	if (g->fault < FAULT_FIRST_GROUP)
		g->fault_target = below(&g->r, g->condition_count);
	else if (g->fault < FAULT_FIRST_ENTRY)
		g->fault_target = below(&g->r, g->group_count);
	else if (g->fault < FAULT_FIRST_TOP)
		g->fault_target = below(&g->r, g->entry_count);
	else
		g->fault_target = 0;
}

/* ------------------------------------------------------------------------
 * Writing the policy
 */
static void write_group_member(policy_gen *g, const node *n, const char *key, int fault_here);
static void write_condition(policy_gen *g, const node *n);

/* Writes a claim condition's operator and value members (short or long
 * form), applying a fault aimed at this condition. */
static void write_claim_members(policy_gen *g, const node *n, fault f, int *first)
{
	rng *r = &g->r;
	gen_text *out = g->out;
	policy_value v = n->value;
	int op = n->op;

	switch (f) {
	case FAULT_ORDER_STRING:
		op = OP_LESS + (int)below(r, 4);
		v = make_string(PICK(r, non_numeric));
		break;
	case FAULT_ORDER_BOOLEAN:
		op = OP_LESS + (int)below(r, 4);
		v = make_boolean(chance(r, 50));
		break;
	case FAULT_EXISTS_NUMBER:
		op = OP_EXISTS;
		v = make_number(PICK(r, small_ints));
		break;
	case FAULT_EXISTS_STRING:
		op = OP_EXISTS;
		v = make_string(PICK(r, near_booleans));
		break;
	case FAULT_VALUE_NULL:
		v = make_literal("null");
		break;
	case FAULT_VALUE_ARRAY:
		v = make_literal(PICK(r, array_literals));
		break;
	case FAULT_VALUE_OBJECT:
		v = make_literal(chance(r, 50) ? "{}" : "{\"a\":1}");
		break;
	case FAULT_INT_OUT_OF_RANGE:
		v = make_number(chance(r, 50) ? "9223372036854775808" : "-9223372036854775809");
		break;
	case FAULT_DOUBLE_OVERFLOW:
		v = make_number(chance(r, 50) ? "1e400" : "-1.8e308");
		break;
	default:
		break;
	}

	if (f == FAULT_NO_OPERATOR)
		return;
	if (n->long_form || f == FAULT_LONG_FORM_UNKNOWN_OPERATOR || f == FAULT_LONG_FORM_AND_OPERATOR ||
	    f == FAULT_LONG_FORM_NO_VALUE) {
		/* The operator name in "condition" keeps its canonical spelling. */
		put_separator(r, out, first);
		put_key(r, out, "condition");
		put_cstring(r, out, f == FAULT_LONG_FORM_UNKNOWN_OPERATOR ? "equal" : operator_names[op], 0);
		if (f != FAULT_LONG_FORM_NO_VALUE) {
			put_separator(r, out, first);
			put_key(r, out, "value");
			put_value(r, out, &v);
		}
		if (f == FAULT_LONG_FORM_AND_OPERATOR || f == FAULT_TWO_OPERATORS) {
			put_separator(r, out, first);
			put_key(r, out, operator_names[op]);
			put_value(r, out, &v);
		}
		return;
	}
	put_separator(r, out, first);
	put_key(r, out, operator_names[op]);
	put_value(r, out, &v);
	if (f == FAULT_TWO_OPERATORS) {
		put_separator(r, out, first);
		put_key(r, out, operator_names[(op + 1 + (int)below(r, OP_COUNT - 1)) % OP_COUNT]);
		put_value(r, out, &v);
	}
}

/* Writes the "claim" member, applying a fault aimed at it. */
static void write_claim_path(policy_gen *g, const node *n, fault f, int *first)
{
	rng *r = &g->r;
	gen_text *out = g->out;

	if (f == FAULT_NO_CLAIM)
		return;
	put_separator(r, out, first);
	if (f == FAULT_NUL_IN_NAME) {
		put(out, "\"claim\\u0000\":");
	} else {
		put_key(r, out, "claim");
	}
	if (f == FAULT_CLAIM_NOT_STRING) {
		put(out, "5");
	} else if (f == FAULT_INVALID_UTF8) {
		put_char(out, '"');
		put_bytes(out, n->path, n->path_len);
		put(out, "\xc3\x28\"");
	} else {
		put_string(r, out, n->path, n->path_len, 3);
	}
	if (f == FAULT_CASE_DUPLICATE || f == FAULT_EXACT_DUPLICATE) {
		put_separator(r, out, first);
		put_key(r, out, f == FAULT_CASE_DUPLICATE ? "Claim" : "claim");
		put_string(r, out, n->path, n->path_len, 0);
	}
	if (f == FAULT_UNKNOWN_MEMBER) {
		put_separator(r, out, first);
		put_key(r, out, chance(r, 50) ? "claims" : "equal");
		put(out, "\"x\"");
	}
}

static void write_claim_condition(policy_gen *g, const node *n)
{
	uint32_t index = g->condition_seen++;
	fault f = FAULT_NONE;
	int first = 1;

	if (g->fault >= FAULT_FIRST_CONDITION && g->fault < FAULT_FIRST_GROUP &&
	    g->fault_target == index)
		f = g->fault;

	put_char(g->out, '{');
	if (chance(&g->r, 70)) {
		write_claim_path(g, n, f, &first);
		write_claim_members(g, n, f, &first);
	} else {
		write_claim_members(g, n, f, &first);
		write_claim_path(g, n, f, &first);
	}
	put_space(&g->r, g->out);
	put_char(g->out, '}');
}

/* Writes "allOf"/"anyOf": [children], applying a group fault when this
 * group is its target. */
static void write_group_member(policy_gen *g, const node *n, const char *key, int fault_here)
{
	rng *r = &g->r;
	gen_text *out = g->out;
	fault f = fault_here ? g->fault : FAULT_NONE;

	put_key(r, out, key);
	if (f == FAULT_GROUP_NOT_ARRAY) {
		write_condition(g, &g->nodes[n->children[0]]);
		return;
	}
	put_char(out, '[');
	for (uint32_t i = 0; i < n->child_count && f != FAULT_EMPTY_GROUP; i++) {
		if (i > 0)
			put_char(out, ',');
		put_space(r, out);
		write_condition(g, &g->nodes[n->children[i]]);
	}
	put_space(r, out);
	put_char(out, ']');
	if (f == FAULT_BOTH_GROUPS) {
		put_char(out, ',');
		put_key(r, out, n->kind == NODE_ALL ? "anyOf" : "allOf");
		put(out, "[{\"claim\":\"a\",\"exists\":true}]");
	}
}

static int group_fault_here(policy_gen *g)
{
	uint32_t index = g->group_seen++;
	return g->fault >= FAULT_FIRST_GROUP && g->fault < FAULT_FIRST_ENTRY && g->fault_target == index;
}

static void write_condition(policy_gen *g, const node *n)
{
	if (n->kind == NODE_CLAIM) {
		write_claim_condition(g, n);
		return;
	}
	int fault_here = group_fault_here(g);
	put_char(g->out, '{');
	write_group_member(g, n, n->kind == NODE_ALL ? "allOf" : "anyOf", fault_here);
	put_char(g->out, '}');
}

enum { ENTRY_AUTHORITY, ENTRY_GROUP, ENTRY_EXTRA, ENTRY_MEMBERS };

static void write_entry(policy_gen *g, uint32_t index)
{
	rng *r = &g->r;
	gen_text *out = g->out;
	const entry *e = &g->entries[index];
	const node *root = &g->nodes[e->root];
	fault f = FAULT_NONE;
	int order[ENTRY_MEMBERS] = {ENTRY_AUTHORITY, ENTRY_GROUP, ENTRY_EXTRA};
	int first = 1;

	if (g->fault >= FAULT_FIRST_ENTRY && g->fault < FAULT_FIRST_TOP && g->fault_target == index)
		f = g->fault;
	shuffle(r, order, ENTRY_MEMBERS);

	put_char(out, '{');
	for (int m = 0; m < ENTRY_MEMBERS; m++) {
		switch (order[m]) {
		case ENTRY_AUTHORITY:
			if (f == FAULT_NO_AUTHORITY)
				break;
			put_separator(r, out, &first);
			put_key(r, out, "authority");
			if (f == FAULT_AUTHORITY_NOT_STRING)
				put(out, chance(r, 50) ? "1" : "[\"https://a.example\"]");
			else
				put_cstring(r, out, e->authority, 3);
			break;
		case ENTRY_GROUP: {
			/* The root group is counted even when it is left out, so the
			 * group numbering does not depend on the fault. */
			int fault_here = group_fault_here(g);
			if (f == FAULT_ENTRY_NO_GROUP)
				break;
			put_separator(r, out, &first);
			write_group_member(g, root, root->kind == NODE_ALL ? "allOf" : "anyOf", fault_here);
			break;
		}
		case ENTRY_EXTRA:
			if (f != FAULT_ENTRY_CLAIM_MEMBER)
				break;
			put_separator(r, out, &first);
			put_key(r, out, "claim");
			put(out, "\"a\"");
			break;
		}
	}
	put_space(r, out);
	put_char(out, '}');
}

enum { TOP_VERSION, TOP_ANY_OF, TOP_EXTRA, TOP_MEMBERS };

static void write_version(policy_gen *g)
{
	static const char *const versions[] = {"1.0.0", "1.0.0", "1.0.0", "1.0", "0.2"};
	static const char *const unknown_versions[] = {"2.0", "1.0.1", "1", "1.0.0 ", "v1.0.0", ""};
	rng *r = &g->r;

	put_key(r, g->out, "version");
	switch (g->fault) {
	case FAULT_UNKNOWN_VERSION:
		put_cstring(r, g->out, PICK(r, unknown_versions), 0);
		break;
	case FAULT_VERSION_NUMBER:
		put(g->out, chance(r, 50) ? "1.0" : "1");
		break;
	case FAULT_SINGLE_QUOTES:
		put(g->out, "'1.0.0'");
		break;
	default:
		put_cstring(r, g->out, PICK(r, versions), 3);
		break;
	}
}

static void write_entries(policy_gen *g)
{
	rng *r = &g->r;
	gen_text *out = g->out;

	put_key(r, out, g->fault == FAULT_TOP_ALL_OF ? "allOf" : "anyOf");
	put_char(out, '[');
	for (uint32_t i = 0; i < g->entry_count && g->fault != FAULT_EMPTY_ANY_OF; i++) {
		if (i > 0)
			put_char(out, ',');
		put_space(r, out);
		write_entry(g, i);
	}
	if (g->fault == FAULT_TRAILING_COMMA)
		put_char(out, ',');
	put_space(r, out);
	put_char(out, ']');
}

static void write_policy(policy_gen *g)
{
	rng *r = &g->r;
	gen_text *out = g->out;
	int order[TOP_MEMBERS] = {TOP_VERSION, TOP_ANY_OF, TOP_EXTRA};
	int first = 1;

	shuffle(r, order, TOP_MEMBERS);
	put_char(out, '{');
	if (g->fault == FAULT_COMMENT)
		put(out, chance(r, 50) ? "// release policy\n" : "/* release policy */");
	if (g->fault == FAULT_BOM_INSIDE)
		put(out, "\xef\xbb\xbf");
	for (int m = 0; m < TOP_MEMBERS; m++) {
		switch (order[m]) {
		case TOP_VERSION:
			if (g->fault == FAULT_NO_VERSION)
				break;
			put_separator(r, out, &first);
			write_version(g);
			break;
		case TOP_ANY_OF:
			put_separator(r, out, &first);
			write_entries(g);
			break;
		case TOP_EXTRA:
			if (g->fault != FAULT_UNKNOWN_TOP_MEMBER)
				break;
			put_separator(r, out, &first);
			put_key(r, out, chance(r, 50) ? "name" : "anyof_");
			put(out, "\"x\"");
			break;
		}
	}
	put_space(r, out);
	put_char(out, '}');
}

int gen_policy(uint64_t seed, const gen_options *options, gen_text *policy,
               gen_policy_info *info)
{
	gen_options defaults;
	policy_gen *g = calloc(1, sizeof *g);

	if (options == NULL) {
		gen_options_init(&defaults);
		options = &defaults;
	}
	memset(info, 0, sizeof *info);
	text_reset(policy);
	if (g == NULL)
		return -1;

	rng_seed(&g->r, seed, STREAM_POLICY);
	build_policy(g, seed);
	pick_fault(g, options);

	gen_text body;
	gen_text_init(&body);
	g->out = g->fault == FAULT_ENCODED_TWICE ? &body : policy;
	info->bom = g->fault == FAULT_NONE && chance(&g->r, 3);
	if (info->bom)
		put(policy, "\xef\xbb\xbf");
	write_policy(g);
	if (g->fault == FAULT_ENCODED_TWICE) {
		put_string(&g->r, policy, body.data, body.len, 0);
		policy->failed |= body.failed;
	}
	gen_text_free(&body);

	info->invalid = g->fault != FAULT_NONE;
	info->fault = fault_names[g->fault];
	info->entries = g->entry_count;
	info->conditions = g->condition_count;
	free(g);
	return policy->failed ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Claims
 */
typedef enum claims_fault {
	CLAIMS_FAULT_NONE = 0,
	CLAIMS_FAULT_DUPLICATE,
	CLAIMS_FAULT_DUPLICATE_ESCAPED,
	CLAIMS_FAULT_NUL_IN_NAME,
	CLAIMS_FAULT_INT_OUT_OF_RANGE,
	CLAIMS_FAULT_DOUBLE_OVERFLOW,
	CLAIMS_FAULT_INVALID_UTF8,
	CLAIMS_FAULT_LONE_SURROGATE,
	CLAIMS_FAULT_TRAILING_COMMA,
	CLAIMS_FAULT_TOP_LEVEL_ARRAY,
	CLAIMS_FAULT_CONTROL_CHARACTER,
	CLAIMS_FAULT_BAD_ESCAPE,
	CLAIMS_FAULT_COUNT
} claims_fault;

static const char *const claims_fault_names[CLAIMS_FAULT_COUNT] = {
	NULL,
	"duplicate member",
	"duplicate member written with an escape",
	"member name holding U+0000",
	"integer outside int64",
	"number overflowing a double",
	"invalid UTF-8",
	"unpaired surrogate escape",
	"trailing comma",
	"top-level array",
	"unescaped control character",
	"invalid escape",
};

typedef struct claims_gen {
	rng r;
	gen_text *out;
} claims_gen;

static void write_claims_object(claims_gen *g, uint32_t depth);

/* Writes a claim value that is not a nested object with members. */
static void write_claim_leaf(claims_gen *g)
{
	rng *r = &g->r;
	gen_text *out = g->out;
	uint32_t k = below(r, 100);
	policy_value v;

	if (k < 6)
		v = make_literal("null");
	else if (k < 13)
		v = make_boolean(1);
	else if (k < 20)
		v = make_boolean(0);
	else if (k < 36)
		v = make_number(chance(r, 50) ? PICK(r, small_ints) : PICK(r, ints));
	else if (k < 48)
		v = make_number(PICK(r, doubles));
	else if (k < 58)
		v = make_cstring(pick_number_text(r));
	else if (k < 65)
		v = make_cstring(chance(r, 50) ? "true" : "false");
	else if (k < 71)
		v = make_string(PICK(r, non_numeric));
	else if (k < 83)
		v = make_string(PICK(r, plain_strings));
	else if (k < 87)
		v = make_string(PICK(r, near_booleans));
	else if (k < 95)
		v = make_literal(PICK(r, array_literals));
	else
		v = make_literal("{}");
	put_value(r, out, &v);
}

static void write_claim_value(claims_gen *g, uint32_t depth)
{
	unsigned object_percent = depth == 0 ? 35 : 25;
	if (depth < MAX_CLAIMS_DEPTH && chance(&g->r, object_percent))
		write_claims_object(g, depth + 1);
	else
		write_claim_leaf(g);
}

/* Member kinds of a claims object, drawn before they are shuffled. */
enum { MEMBER_ISS = -1, MEMBER_FAULT = -2 };
#define NAME_COUNT ((int)(sizeof names / sizeof names[0]))
#define DOTTED_COUNT ((int)(sizeof dotted_names / sizeof dotted_names[0]))

/* Picks distinct members of a claims object: indices into names, then
 * NAME_COUNT + an index into dotted_names. Returns their count. */
static uint32_t pick_members(rng *r, int *members, uint32_t min)
{
	int pool[NAME_COUNT];
	uint32_t count = 0;

	for (int i = 0; i < NAME_COUNT; i++)
		pool[i] = i;
	shuffle(r, pool, NAME_COUNT);
	uint32_t planned = min + below(r, (uint32_t)NAME_COUNT + 1 - min);
	for (uint32_t i = 0; i < planned; i++)
		members[count++] = pool[i];
	if (chance(r, 25))
		members[count++] = NAME_COUNT + (int)below(r, DOTTED_COUNT);
	return count;
}

static const char *member_name(int member)
{
	return member < NAME_COUNT ? names[member] : dotted_names[member - NAME_COUNT];
}

static void write_claims_object(claims_gen *g, uint32_t depth)
{
	int members[NAME_COUNT + 1];
	uint32_t count = pick_members(&g->r, members, 0);
	int first = 1;

	put_char(g->out, '{');
	for (uint32_t i = 0; i < count; i++) {
		put_separator(&g->r, g->out, &first);
		put_space(&g->r, g->out);
		put_cstring(&g->r, g->out, member_name(members[i]), 3);
		put_char(g->out, ':');
		write_claim_value(g, depth);
	}
	put_space(&g->r, g->out);
	put_char(g->out, '}');
}

static void write_claims_fault(claims_gen *g, claims_fault f, const char *issuer, int *first)
{
	rng *r = &g->r;
	gen_text *out = g->out;

	put_separator(r, out, first);
	switch (f) {
	case CLAIMS_FAULT_DUPLICATE:
		put(out, "\"iss\":");
		put_cstring(r, out, issuer, 0);
		break;
	case CLAIMS_FAULT_DUPLICATE_ESCAPED:
		put(out, "\"\\u0069ss\":\"x\"");
		break;
	case CLAIMS_FAULT_NUL_IN_NAME:
		put(out, "\"a\\u0000\":1");
		break;
	case CLAIMS_FAULT_INT_OUT_OF_RANGE:
		put(out, chance(r, 50) ? "\"n\":9223372036854775808" : "\"n\":-9223372036854775809");
		break;
	case CLAIMS_FAULT_DOUBLE_OVERFLOW:
		put(out, chance(r, 50) ? "\"n\":1e400" : "\"n\":-2e308");
		break;
	case CLAIMS_FAULT_INVALID_UTF8:
		put(out, chance(r, 50) ? "\"s\":\"\xff\"" : "\"s\":\"\xed\xa0\x80\"");
		break;
	case CLAIMS_FAULT_LONE_SURROGATE:
		put(out, chance(r, 50) ? "\"s\":\"\\ud800\"" : "\"s\":\"\\udc00x\"");
		break;
	case CLAIMS_FAULT_CONTROL_CHARACTER:
		put(out, "\"s\":\"a\x01\"");
		break;
	case CLAIMS_FAULT_BAD_ESCAPE:
		put(out, "\"s\":\"\\x41\"");
		break;
	default:
		put(out, "\"z\":0");
		break;
	}
}

/* Writes the claims' top-level object, with the fault among its members. */
static void write_claims_top(claims_gen *g, claims_fault f, const char *issuer)
{
	rng *r = &g->r;
	gen_text *out = g->out;
	int members[NAME_COUNT + 3];
	uint32_t count = pick_members(r, members, 1);
	int first = 1;

	members[count++] = MEMBER_ISS;
	if (f != CLAIMS_FAULT_NONE && f != CLAIMS_FAULT_TRAILING_COMMA &&
	    f != CLAIMS_FAULT_TOP_LEVEL_ARRAY)
		members[count++] = MEMBER_FAULT;
	shuffle(r, members, count);

	put_char(out, '{');
	for (uint32_t i = 0; i < count; i++) {
		if (members[i] == MEMBER_FAULT) {
			write_claims_fault(g, f, issuer, &first);
			continue;
		}
		put_separator(r, out, &first);
		put_space(r, out);
		if (members[i] == MEMBER_ISS) {
			put_cstring(r, out, "iss", 3);
			put_char(out, ':');
			put_cstring(r, out, issuer, 3);
			continue;
		}
		put_cstring(r, out, member_name(members[i]), 3);
		put_char(out, ':');
		write_claim_value(g, 0);
	}
	if (f == CLAIMS_FAULT_TRAILING_COMMA)
		put_char(out, ',');
	put_space(r, out);
	put_char(out, '}');
}

int gen_claims(uint64_t seed, uint32_t index, const gen_options *options, gen_text *claims,
               gen_text *issuer, gen_claims_info *info)
{
	gen_options defaults;
	claims_gen g;
	char issuer_text[MAX_AUTHORITY];

	if (options == NULL) {
		gen_options_init(&defaults);
		options = &defaults;
	}
	memset(info, 0, sizeof *info);
	text_reset(claims);
	text_reset(issuer);
	rng_seed(&g.r, seed ^ ((uint64_t)index << 32), STREAM_CLAIMS + ((uint64_t)index << 8));
	g.out = claims;

	/* Mostly the policy's issuer as listed, sometimes a variant of it or
	 * another issuer. */
	const char *chosen = primary_issuer(seed);
	uint32_t k = below(&g.r, 100);
	if (k >= 90)
		chosen = PICK(&g.r, issuers);
	if (k >= 75 && k < 90)
		authority_variant(&g.r, chosen, issuer_text);
	else
		memcpy(issuer_text, chosen, strlen(chosen) + 1);
	put(issuer, issuer_text);

	claims_fault f = CLAIMS_FAULT_NONE;
	if (chance(&g.r, options->claims_fault_percent))
		f = (claims_fault)(1 + below(&g.r, CLAIMS_FAULT_COUNT - 1));

	if (f == CLAIMS_FAULT_TOP_LEVEL_ARRAY)
		put_char(claims, '[');
	write_claims_top(&g, f, issuer_text);
	if (f == CLAIMS_FAULT_TOP_LEVEL_ARRAY)
		put_char(claims, ']');

	info->invalid = f != CLAIMS_FAULT_NONE;
	info->fault = claims_fault_names[f];
	return claims->failed || issuer->failed ? -1 : 0;
}
