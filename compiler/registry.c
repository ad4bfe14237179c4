/*
 * Loading and querying the registry of MAA claims (schema: data/README.md).
 * The JSON text is read once with jansson and copied into arena-owned
 * tables, so lookups need neither jansson nor allocation.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"

typedef struct loader {
	skr_registry *reg;
	char *error;
	size_t error_cap;
	int failed;
	int out_of_memory;
} loader;

static void fail(loader *ld, const char *fmt, ...) SKR_PRINTF(2, 3);

static void fail(loader *ld, const char *fmt, ...)
{
	if (ld->failed)
		return;
	ld->failed = 1;
	if (ld->error && ld->error_cap > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ld->error, ld->error_cap, fmt, ap);
		va_end(ap);
	}
}

static void *alloc_array(loader *ld, size_t count, size_t size)
{
	if (count == 0)
		return NULL;
	void *p = skr_arena_alloc(&ld->reg->arena, count * size);
	if (!p) {
		ld->out_of_memory = 1;
		fail(ld, "out of memory");
		return NULL;
	}
	memset(p, 0, count * size);
	return p;
}

static skr_reg_string copy_string(loader *ld, const char *s, size_t len)
{
	skr_reg_string out = { "", 0 };
	char *copy = skr_arena_strndup(&ld->reg->arena, s, len);
	if (!copy) {
		ld->out_of_memory = 1;
		fail(ld, "out of memory");
		return out;
	}
	out.str = copy;
	out.len = len;
	return out;
}

/* Copies a required string member of obj. where names obj in errors. */
static skr_reg_string required_string(loader *ld, json_t *obj, const char *key, const char *where)
{
	skr_reg_string out = { "", 0 };
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v)) {
		fail(ld, "%s: \"%s\" must be a string", where, key);
		return out;
	}
	return copy_string(ld, json_string_value(v), json_string_length(v));
}

/* Copies an array of strings. A missing member gives an empty list. */
static const skr_reg_string *string_list(loader *ld, json_t *v, uint32_t *count, const char *where)
{
	*count = 0;
	if (!v)
		return NULL;
	if (!json_is_array(v)) {
		fail(ld, "%s must be an array of strings", where);
		return NULL;
	}
	size_t n = json_array_size(v);
	skr_reg_string *out = alloc_array(ld, n, sizeof *out);
	for (size_t i = 0; i < n && out; i++) {
		json_t *item = json_array_get(v, i);
		if (!json_is_string(item)) {
			fail(ld, "%s must be an array of strings", where);
			return NULL;
		}
		out[i] = copy_string(ld, json_string_value(item), json_string_length(item));
	}
	*count = (uint32_t)n;
	return out;
}

/* "at" and "tee": "*" for every type, or an array of type names. */
static skr_type_set type_set(loader *ld, json_t *v, const char *where)
{
	if (!v)
		return 0;
	if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0)
		return ld->reg->all_types;
	if (!json_is_array(v)) {
		fail(ld, "%s must be \"*\" or an array of attestation types", where);
		return 0;
	}
	skr_type_set set = 0;
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		int t = json_is_string(item) ? skr_registry_type_index(ld->reg, json_string_value(item),
		                                                         json_string_length(item))
		                             : -1;
		if (t < 0) {
			fail(ld, "%s lists %s, which is not in \"attestation_types\"", where,
			     json_is_string(item) ? json_string_value(item) : "a value that is not a string");
			return 0;
		}
		set |= (skr_type_set)1 << t;
	}
	return set;
}

static int parse_claim_type(const char *s, skr_claim_type *out)
{
	static const struct {
		const char *name;
		skr_claim_type type;
	} names[] = {
		{ "string", SKR_CLAIM_STRING },   { "numeric-string", SKR_CLAIM_NUMERIC_STRING },
		{ "boolean", SKR_CLAIM_BOOLEAN }, { "integer", SKR_CLAIM_INTEGER },
		{ "number", SKR_CLAIM_NUMBER },   { "object", SKR_CLAIM_OBJECT },
		{ "array", SKR_CLAIM_ARRAY },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].type;
			return 1;
		}
	}
	return 0;
}

static void load_debug_off(loader *ld, json_t *v, skr_reg_claim *claim, const char *where)
{
	if (!v)
		return;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		fail(ld, "%s: \"debug_off\" must be a non-empty array", where);
		return;
	}
	json_t *first = json_array_get(v, 0);
	if (json_is_boolean(first)) {
		if (json_array_size(v) != 1 || claim->type != SKR_CLAIM_BOOLEAN) {
			fail(ld, "%s: a boolean \"debug_off\" holds one value, on a boolean claim", where);
			return;
		}
		claim->debug_off = json_is_true(first) ? SKR_DEBUG_OFF_TRUE : SKR_DEBUG_OFF_FALSE;
		return;
	}
	char what[200];
	snprintf(what, sizeof what, "%s: \"debug_off\"", where);
	claim->debug_off_values = string_list(ld, v, &claim->debug_off_count, what);
	claim->debug_off = SKR_DEBUG_OFF_STRINGS;
}

static const skr_reg_claim *load_claims(loader *ld, json_t *obj, uint32_t *count, int top,
                                        const char *where);

/* Fills claim from its registry object. top is set for top-level claims,
 * which must list where they appear. */
static void load_claim(loader *ld, const char *name, json_t *v, int top, skr_reg_claim *claim)
{
	char where[160];
	snprintf(where, sizeof where, "claim %s", name);
	if (!json_is_object(v)) {
		fail(ld, "%s must be an object", where);
		return;
	}
	static const char *const known[] = { "type", "at", "tee", "open", "members", "values",
		                             "closed", "hex", "debug_off", "deprecated" };
	const char *key;
	json_t *member;
	json_object_foreach(v, key, member) {
		int ok = 0;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok)
			fail(ld, "%s: unknown member \"%s\"", where, key);
	}
	claim->name = copy_string(ld, name, strlen(name));
	json_t *type = json_object_get(v, "type");
	if (!json_is_string(type) || !parse_claim_type(json_string_value(type), &claim->type)) {
		fail(ld, "%s: \"type\" must be one of string, numeric-string, boolean, integer, number, object, array",
		     where);
		return;
	}
	claim->at = type_set(ld, json_object_get(v, "at"), where);
	claim->tee = type_set(ld, json_object_get(v, "tee"), where);
	if (top && claim->at == 0)
		fail(ld, "%s: a top-level claim needs \"at\"", where);
	claim->open = json_is_true(json_object_get(v, "open"));
	claim->closed = json_is_true(json_object_get(v, "closed"));
	json_t *members = json_object_get(v, "members");
	if ((members || claim->open) && claim->type != SKR_CLAIM_OBJECT)
		fail(ld, "%s: only an object claim has \"members\" or \"open\"", where);
	if (members)
		claim->members = load_claims(ld, members, &claim->member_count, 0, where);
	char what[200];
	snprintf(what, sizeof what, "%s: \"values\"", where);
	claim->values = string_list(ld, json_object_get(v, "values"), &claim->value_count, what);
	if (claim->closed && claim->value_count == 0)
		fail(ld, "%s: \"closed\" needs \"values\"", where);
	json_t *hex = json_object_get(v, "hex");
	if (hex) {
		if (!json_is_integer(hex) || json_integer_value(hex) <= 0 || json_integer_value(hex) > 4096 ||
		    claim->type != SKR_CLAIM_STRING)
			fail(ld, "%s: \"hex\" must be a positive digit count on a string claim", where);
		else
			claim->hex = (uint32_t)json_integer_value(hex);
	}
	load_debug_off(ld, json_object_get(v, "debug_off"), claim, where);
	json_t *deprecated = json_object_get(v, "deprecated");
	if (deprecated)
		claim->deprecated = required_string(ld, v, "deprecated", where);
}

static const skr_reg_claim *load_claims(loader *ld, json_t *obj, uint32_t *count, int top,
                                        const char *where)
{
	*count = 0;
	if (!json_is_object(obj)) {
		fail(ld, "%s: the claims must be an object", where);
		return NULL;
	}
	skr_reg_claim *claims = alloc_array(ld, json_object_size(obj), sizeof *claims);
	uint32_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!claims)
			break;
		load_claim(ld, key, v, top, &claims[n++]);
	}
	*count = n;
	return claims;
}

static void load_types(loader *ld, json_t *root)
{
	skr_registry *reg = ld->reg;
	json_t *types = json_object_get(root, "attestation_types");
	if (!json_is_object(types) || json_object_size(types) == 0 ||
	    json_object_size(types) > SKR_REGISTRY_MAX_TYPES) {
		fail(ld, "\"attestation_types\" must be an object with 1 to %u members",
		     SKR_REGISTRY_MAX_TYPES);
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(types, key, v) {
		reg->types[reg->type_count] = copy_string(ld, key, strlen(key));
		reg->all_types |= (skr_type_set)1 << reg->type_count;
		reg->type_count++;
	}
	reg->policy_defined_types = type_set(ld, json_object_get(root, "policy_defined_types"),
	                                     "\"policy_defined_types\"");
}

static int compare_strings(const void *a, const void *b)
{
	const skr_reg_string *x = a, *y = b;
	return strcmp(x->str, y->str);
}

static void load_region_set(loader *ld, const char *name, json_t *v, skr_reg_region_set *set)
{
	set->name = copy_string(ld, name, strlen(name));
	if (!json_is_object(v) || json_object_size(v) == 0) {
		fail(ld, "region set %s must be a non-empty object", name);
		return;
	}
	size_t n = json_object_size(v);
	/* Codes and titles are sorted together, so they go through one array
	 * of pairs first. */
	skr_reg_string *pairs = alloc_array(ld, 2 * n, sizeof *pairs);
	skr_reg_string *codes = alloc_array(ld, n, sizeof *codes);
	skr_reg_string *titles = alloc_array(ld, n, sizeof *titles);
	if (!pairs || !codes || !titles)
		return;
	size_t i = 0;
	const char *key;
	json_t *title;
	json_object_foreach(v, key, title) {
		if (!json_is_string(title)) {
			fail(ld, "region %s in %s must map to its name", key, name);
			return;
		}
		pairs[2 * i] = copy_string(ld, key, strlen(key));
		pairs[2 * i + 1] = copy_string(ld, json_string_value(title), json_string_length(title));
		i++;
	}
	qsort(pairs, n, 2 * sizeof *pairs, compare_strings);
	for (i = 0; i < n; i++) {
		codes[i] = pairs[2 * i];
		titles[i] = pairs[2 * i + 1];
	}
	set->codes = codes;
	set->titles = titles;
	set->count = (uint32_t)n;
}

static void load_providers(loader *ld, json_t *root)
{
	skr_registry *reg = ld->reg;
	json_t *providers = json_object_get(root, "providers");
	if (!json_is_object(providers)) {
		fail(ld, "\"providers\" must be an object");
		return;
	}
	reg->shared_prefix = required_string(ld, providers, "shared_prefix", "\"providers\"");
	reg->environment_labels = string_list(ld, json_object_get(providers, "environment_labels"),
	                                      &reg->environment_label_count,
	                                      "\"providers\".\"environment_labels\"");
	json_t *sets = json_object_get(providers, "region_sets");
	if (!json_is_object(sets) || json_object_size(sets) == 0) {
		fail(ld, "\"providers\".\"region_sets\" must be a non-empty object");
		return;
	}
	skr_reg_region_set *region_sets = alloc_array(ld, json_object_size(sets), sizeof *region_sets);
	const char *key;
	json_t *v;
	json_object_foreach(sets, key, v) {
		if (!region_sets)
			return;
		load_region_set(ld, key, v, &region_sets[reg->region_set_count++]);
	}
	reg->region_sets = region_sets;

	json_t *domains = json_object_get(providers, "domains");
	if (!json_is_array(domains) || json_array_size(domains) == 0) {
		fail(ld, "\"providers\".\"domains\" must be a non-empty array");
		return;
	}
	skr_reg_domain *out = alloc_array(ld, json_array_size(domains), sizeof *out);
	size_t i;
	json_array_foreach(domains, i, v) {
		if (!out)
			return;
		out[i].suffix = required_string(ld, v, "suffix", "a domain");
		json_t *set = json_object_get(v, "regions");
		for (uint32_t s = 0; json_is_string(set) && s < reg->region_set_count; s++) {
			if (strcmp(region_sets[s].name.str, json_string_value(set)) == 0)
				out[i].regions = &region_sets[s];
		}
		if (!out[i].regions)
			fail(ld, "domain %s must name one of \"region_sets\" in \"regions\"", out[i].suffix.str);
	}
	reg->domains = out;
	reg->domain_count = (uint32_t)json_array_size(domains);
}

/* Checks that the names the linter relies on are claims of the right kind. */
static void check_special_claims(loader *ld)
{
	skr_registry *reg = ld->reg;
	const skr_reg_claim *type = skr_registry_member(reg, NULL, reg->type_claim.str, reg->type_claim.len);
	const skr_reg_claim *iso = skr_registry_member(reg, NULL, reg->isolation_claim.str,
	                                               reg->isolation_claim.len);
	const skr_reg_claim *comp = skr_registry_member(reg, NULL, reg->compliance_claim.str,
	                                                reg->compliance_claim.len);
	if (!type || type->type != SKR_CLAIM_STRING)
		fail(ld, "\"type_claim\" must name a string claim");
	if (!iso || iso->type != SKR_CLAIM_OBJECT || iso->members || iso->open)
		fail(ld, "\"isolation_claim\" must name an object claim without members of its own");
	if (!comp || comp->type != SKR_CLAIM_STRING)
		fail(ld, "\"compliance_claim\" must name a string claim");
}

skr_status skr_registry_load(const char *json, size_t len, skr_registry **out,
                             char *error, size_t error_cap)
{
	if (!out || !json)
		return SKR_E_USAGE;
	*out = NULL;
	if (error && error_cap > 0)
		error[0] = '\0';
	skr_registry *reg = calloc(1, sizeof *reg);
	if (!reg)
		return SKR_E_NOMEM;
	skr_arena_init(&reg->arena);
	loader ld = { reg, error, error_cap, 0, 0 };
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fail(&ld, "invalid JSON at line %d: %s", jerr.line, jerr.text);
	} else if (!json_is_object(root)) {
		fail(&ld, "the registry must be a JSON object");
	} else {
		load_types(&ld, root);
		reg->type_claim = required_string(&ld, root, "type_claim", "the registry");
		reg->isolation_claim = required_string(&ld, root, "isolation_claim", "the registry");
		reg->compliance_claim = required_string(&ld, root, "compliance_claim", "the registry");
		if (!ld.failed)
			reg->claims = load_claims(&ld, json_object_get(root, "claims"), &reg->claim_count, 1,
			                          "\"claims\"");
		if (!ld.failed)
			load_providers(&ld, root);
		if (!ld.failed)
			check_special_claims(&ld);
	}
	json_decref(root);
	if (ld.failed) {
		skr_registry_free(reg);
		return ld.out_of_memory ? SKR_E_NOMEM : SKR_E_INTERNAL;
	}
	*out = reg;
	return SKR_OK;
}

skr_status skr_registry_load_builtin(skr_registry **out, char *error, size_t error_cap)
{
	return skr_registry_load(skr_registry_json, skr_registry_json_len, out, error, error_cap);
}

void skr_registry_free(skr_registry *registry)
{
	if (!registry)
		return;
	skr_arena_free(&registry->arena);
	free(registry);
}

int skr_registry_type_index(const skr_registry *registry, const char *name, size_t len)
{
	for (uint32_t i = 0; i < registry->type_count; i++) {
		if (registry->types[i].len == len && memcmp(registry->types[i].str, name, len) == 0)
			return (int)i;
	}
	return -1;
}

static int is_isolation(const skr_registry *registry, const skr_reg_claim *claim)
{
	return claim && claim->name.len == registry->isolation_claim.len &&
	       memcmp(claim->name.str, registry->isolation_claim.str, claim->name.len) == 0;
}

/* The candidate members of parent, and whether one of them qualifies. */
static void member_table(const skr_registry *registry, const skr_reg_claim *parent,
                         const skr_reg_claim **table, uint32_t *count, int *nested)
{
	*nested = is_isolation(registry, parent);
	if (!parent || *nested) {
		*table = registry->claims;
		*count = registry->claim_count;
	} else {
		*table = parent->members;
		*count = parent->member_count;
	}
}

const skr_reg_claim *skr_registry_member(const skr_registry *registry, const skr_reg_claim *parent,
                                         const char *name, size_t len)
{
	const skr_reg_claim *table;
	uint32_t count;
	int nested;
	member_table(registry, parent, &table, &count, &nested);
	for (uint32_t i = 0; i < count; i++) {
		const skr_reg_claim *c = &table[i];
		if (nested && c->tee == 0)
			continue;
		if (c->name.len == len && memcmp(c->name.str, name, len) == 0)
			return c;
	}
	return NULL;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Folds the differences a misspelled claim name usually has: case, and
 * '_' written for '-'. */
static unsigned char fold(unsigned char c)
{
	return c == '_' ? '-' : lower(c);
}

size_t skr_name_distance(const char *a, size_t alen, const char *b, size_t blen, size_t cap)
{
	if ((alen > blen ? alen - blen : blen - alen) > cap)
		return cap + 1;
	if (blen > 256)
		return cap + 1;
	/* One row of the Levenshtein table at a time. */
	size_t row[257];
	for (size_t j = 0; j <= blen; j++)
		row[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		size_t best = row[0];
		for (size_t j = 1; j <= blen; j++) {
			size_t above = row[j];
			size_t cost = fold((unsigned char)a[i - 1]) == fold((unsigned char)b[j - 1]) ? 0 : 1;
			size_t v = diagonal + cost;
			if (above + 1 < v)
				v = above + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diagonal = above;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[blen] > cap ? cap + 1 : row[blen];
}

/* Edits allowed between a misspelling and the name it is taken for. */
static size_t distance_cap(size_t len)
{
	if (len < 4)
		return 0;
	if (len < 10)
		return 1;
	if (len < 20)
		return 2;
	return 3;
}

const skr_reg_claim *skr_registry_nearest_member(const skr_registry *registry,
                                                 const skr_reg_claim *parent,
                                                 const char *name, size_t len)
{
	const skr_reg_claim *table;
	uint32_t count;
	int nested;
	member_table(registry, parent, &table, &count, &nested);
	const skr_reg_claim *best = NULL;
	size_t best_distance = distance_cap(len) + 1;
	for (uint32_t i = 0; i < count; i++) {
		const skr_reg_claim *c = &table[i];
		if (nested && c->tee == 0)
			continue;
		size_t d = skr_name_distance(name, len, c->name.str, c->name.len, distance_cap(len));
		if (d < best_distance) {
			best = c;
			best_distance = d;
		}
	}
	return best;
}

static int ends_with_label(const char *host, size_t len, const skr_reg_string *suffix)
{
	if (len <= suffix->len + 1 || host[len - suffix->len - 1] != '.')
		return 0;
	const char *tail = host + len - suffix->len;
	for (size_t i = 0; i < suffix->len; i++) {
		if (lower((unsigned char)tail[i]) != lower((unsigned char)suffix->str[i]))
			return 0;
	}
	return 1;
}

const skr_reg_domain *skr_registry_domain(const skr_registry *registry, const char *host,
                                          size_t len)
{
	const skr_reg_domain *best = NULL;
	for (uint32_t i = 0; i < registry->domain_count; i++) {
		const skr_reg_domain *d = &registry->domains[i];
		if (ends_with_label(host, len, &d->suffix) && (!best || d->suffix.len > best->suffix.len))
			best = d;
	}
	return best;
}

int skr_registry_region(const skr_reg_region_set *set, const char *code, size_t len)
{
	for (uint32_t i = 0; i < set->count; i++) {
		if (set->codes[i].len == len && memcmp(set->codes[i].str, code, len) == 0)
			return (int)i;
	}
	return -1;
}

int skr_registry_nearest_region(const skr_reg_region_set *set, const char *code, size_t len)
{
	int best = -1;
	/* Region codes are short, so one edit is the most that still points at
	 * a single region. */
	size_t best_distance = 2;
	for (uint32_t i = 0; i < set->count; i++) {
		size_t d = skr_name_distance(code, len, set->codes[i].str, set->codes[i].len, 1);
		if (d < best_distance) {
			best = (int)i;
			best_distance = d;
		}
	}
	return best;
}
