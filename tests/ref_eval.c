/*
 * Reference evaluator: checks and evaluates a policy directly on its
 * jansson tree. It favours plain code over speed and shares nothing with
 * the product, so that a bug in one shows up as a disagreement.
 */
#include "ref_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Maximum group nesting below an authority entry. */
#define REF_MAX_DEPTH 32

static const char *const operator_names[REF_OP_COUNT] = {
	"equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals", "exists",
};

static const char *const kind_names[REF_KIND_COUNT] = {
	"null", "false", "true", "int", "double", "string", "num-str", "bool-str",
	"array", "object", "missing",
};

const char *ref_operator_name(ref_operator op)
{
	return op < REF_OP_COUNT ? operator_names[op] : "?";
}

const char *ref_kind_name(ref_kind kind)
{
	return kind < REF_KIND_COUNT ? kind_names[kind] : "?";
}

/* ------------------------------------------------------------------------
 * ASCII helpers that never depend on the locale.
 */
static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Compares a member name with a canonical name, ASCII case-insensitively. */
static int name_matches(const char *key, size_t key_len, const char *name)
{
	size_t name_len = strlen(name);
	if (key_len != name_len)
		return 0;
	for (size_t i = 0; i < key_len; i++) {
		if (to_lower(key[i]) != to_lower(name[i]))
			return 0;
	}
	return 1;
}

static int string_is(const json_t *value, const char *text)
{
	size_t len = strlen(text);
	return json_is_string(value) && json_string_length(value) == len &&
	       memcmp(json_string_value(value), text, len) == 0;
}

/* ------------------------------------------------------------------------
 * Numbers
 */
int ref_parse_number(const char *text, size_t len, ref_number *out)
{
	size_t i = 0;
	int negative = 0;
	int is_int = 1;

	if (i < len && text[i] == '-') {
		negative = 1;
		i++;
	}
	size_t int_start = i;
	if (i < len && text[i] == '0') {
		i++;
	} else if (i < len && text[i] >= '1' && text[i] <= '9') {
		while (i < len && is_digit(text[i]))
			i++;
	} else {
		return 0;
	}
	size_t int_end = i;

	if (i < len && text[i] == '.') {
		size_t digits = ++i;
		while (i < len && is_digit(text[i]))
			i++;
		if (i == digits)
			return 0;
		is_int = 0;
	}
	if (i < len && (text[i] == 'e' || text[i] == 'E')) {
		i++;
		if (i < len && (text[i] == '+' || text[i] == '-'))
			i++;
		size_t digits = i;
		while (i < len && is_digit(text[i]))
			i++;
		if (i == digits)
			return 0;
		is_int = 0;
	}
	if (i != len)
		return 0;

	if (is_int) {
		/* Accumulate as a negative number, whose range includes INT64_MIN. */
		int64_t value = 0;
		for (size_t k = int_start; k < int_end; k++) {
			int digit = text[k] - '0';
			if (value < INT64_MIN / 10 || (value == INT64_MIN / 10 && digit > -(INT64_MIN % 10)))
				return 0;
			value = value * 10 - digit;
		}
		if (!negative) {
			if (value == INT64_MIN)
				return 0;
			value = -value;
		}
		out->is_int = 1;
		out->i = value;
		out->d = 0.0;
		return 1;
	}

	/* The grammar is checked, so strtod reads exactly these bytes. glibc's
	 * strtod rounds correctly; underflow towards zero is not an error. */
	char small[64];
	char *copy = len < sizeof small ? small : malloc(len + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, text, len);
	copy[len] = '\0';
	char *end = NULL;
	double d = strtod(copy, &end);
	int consumed = end == copy + len;
	if (copy != small)
		free(copy);
	if (!consumed || isinf(d) || isnan(d))
		return 0;
	out->is_int = 0;
	out->i = 0;
	out->d = d;
	return 1;
}

/* Compares an int64 with a double exactly: the double's integral part is
 * compared as an int64 (exact, since it lies inside the int64 range there),
 * then its fraction breaks a tie. */
static int compare_int_double(int64_t i, double d)
{
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	double whole = trunc(d);
	int64_t whole_int = (int64_t)whole;
	if (i < whole_int)
		return -1;
	if (i > whole_int)
		return 1;
	double fraction = d - whole;
	if (fraction > 0.0)
		return -1;
	if (fraction < 0.0)
		return 1;
	return 0;
}

int ref_compare_numbers(const ref_number *a, const ref_number *b)
{
	if (a->is_int && b->is_int)
		return (a->i > b->i) - (a->i < b->i);
	if (!a->is_int && !b->is_int)
		return (a->d > b->d) - (a->d < b->d);
	if (a->is_int)
		return compare_int_double(a->i, b->d);
	return -compare_int_double(b->i, a->d);
}

/* ------------------------------------------------------------------------
 * Values
 */
typedef struct ref_value {
	ref_kind kind;
	int has_number;     /* numbers and numeric strings */
	ref_number number;
	int boolean;        /* -1 for none; 0 or 1 for booleans and "false"/"true" */
	const char *str;    /* strings: bytes, not NUL-terminated as far as len goes */
	size_t len;
} ref_value;

static void classify(const json_t *json, ref_value *out)
{
	memset(out, 0, sizeof *out);
	out->boolean = -1;

	switch (json_typeof(json)) {
	case JSON_NULL:
		out->kind = REF_KIND_NULL;
		break;
	case JSON_FALSE:
		out->kind = REF_KIND_FALSE;
		out->boolean = 0;
		break;
	case JSON_TRUE:
		out->kind = REF_KIND_TRUE;
		out->boolean = 1;
		break;
	case JSON_INTEGER:
		out->kind = REF_KIND_INT;
		out->has_number = 1;
		out->number.is_int = 1;
		out->number.i = (int64_t)json_integer_value(json);
		break;
	case JSON_REAL:
		out->kind = REF_KIND_DOUBLE;
		out->has_number = 1;
		out->number.d = json_real_value(json);
		break;
	case JSON_STRING:
		out->str = json_string_value(json);
		out->len = json_string_length(json);
		if (string_is(json, "true") || string_is(json, "false")) {
			out->kind = REF_KIND_BOOL_STRING;
			out->boolean = out->len == 4;
		} else if (ref_parse_number(out->str, out->len, &out->number)) {
			out->kind = REF_KIND_NUMERIC_STRING;
			out->has_number = 1;
		} else {
			out->kind = REF_KIND_STRING;
		}
		break;
	case JSON_ARRAY:
		out->kind = REF_KIND_ARRAY;
		break;
	case JSON_OBJECT:
		out->kind = REF_KIND_OBJECT;
		break;
	}
}

static int is_number_kind(ref_kind kind)
{
	return kind == REF_KIND_INT || kind == REF_KIND_DOUBLE;
}

static int is_boolean_kind(ref_kind kind)
{
	return kind == REF_KIND_FALSE || kind == REF_KIND_TRUE;
}

static int is_string_kind(ref_kind kind)
{
	return kind == REF_KIND_STRING || kind == REF_KIND_NUMERIC_STRING ||
	       kind == REF_KIND_BOOL_STRING;
}

/* Applies the comparability rules of equals / notEquals. Returns 1 and
 * sets *equal when the pair is comparable, 0 when it is not. */
static int compare_for_equality(const ref_value *a, const ref_value *b, int *equal)
{
	if ((is_number_kind(a->kind) && b->has_number) ||
	    (is_number_kind(b->kind) && a->has_number)) {
		*equal = ref_compare_numbers(&a->number, &b->number) == 0;
		return 1;
	}
	if ((is_boolean_kind(a->kind) && b->boolean >= 0) ||
	    (is_boolean_kind(b->kind) && a->boolean >= 0)) {
		*equal = a->boolean == b->boolean;
		return 1;
	}
	if (is_string_kind(a->kind) && is_string_kind(b->kind)) {
		*equal = a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Authority matching
 */

/* Byte ranges of a URL that compare case-insensitively: [0, scheme_end)
 * and [host_start, host_end). All zero when the text is not a URL. */
typedef struct url_ranges {
	size_t scheme_end;
	size_t host_start;
	size_t host_end;
} url_ranges;

static int is_scheme_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* Finds the scheme and the host of "scheme://[userinfo@]host[:port][/...]".
 * An IPv6 host keeps its brackets. */
static url_ranges find_url_ranges(const char *s, size_t len)
{
	url_ranges ranges = {0, 0, 0};
	size_t i = 0;

	if (len == 0 || !is_alpha(s[0]))
		return ranges;
	while (i < len && is_scheme_char(s[i]))
		i++;
	if (i + 3 > len || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
		return ranges;

	size_t authority = i + 3;
	size_t authority_end = authority;
	while (authority_end < len && s[authority_end] != '/' && s[authority_end] != '?' &&
	       s[authority_end] != '#')
		authority_end++;

	size_t host = authority;
	for (size_t k = authority; k < authority_end; k++) {
		if (s[k] == '@')
			host = k + 1;
	}
	size_t host_end = host;
	if (host < authority_end && s[host] == '[') {
		while (host_end < authority_end && s[host_end] != ']')
			host_end++;
		if (host_end < authority_end)
			host_end++;
	} else {
		while (host_end < authority_end && s[host_end] != ':')
			host_end++;
	}

	ranges.scheme_end = i;
	ranges.host_start = host;
	ranges.host_end = host_end;
	return ranges;
}

static char fold_at(const char *s, const url_ranges *ranges, size_t k)
{
	int fold = k < ranges->scheme_end || (k >= ranges->host_start && k < ranges->host_end);
	return fold ? to_lower(s[k]) : s[k];
}

int ref_authority_matches(const char *a, size_t a_len, const char *b, size_t b_len)
{
	if (a_len > 0 && a[a_len - 1] == '/')
		a_len--;
	if (b_len > 0 && b[b_len - 1] == '/')
		b_len--;
	if (a_len != b_len)
		return 0;

	/* Folding changes letters only, so two texts whose folded forms are
	 * equal have their ':', '/', '@' and brackets at the same places. */
	url_ranges a_ranges = find_url_ranges(a, a_len);
	url_ranges b_ranges = find_url_ranges(b, b_len);
	for (size_t k = 0; k < a_len; k++) {
		if (fold_at(a, &a_ranges, k) != fold_at(b, &b_ranges, k))
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------------
 * Policy shape
 */

/* Member names of the three object kinds, canonical spelling. */
enum { TOP_VERSION, TOP_ANY_OF, TOP_COUNT };
static const char *const top_names[TOP_COUNT] = {"version", "anyOf"};

enum { ENTRY_AUTHORITY, ENTRY_ALL_OF, ENTRY_ANY_OF, ENTRY_COUNT };
static const char *const entry_names[ENTRY_COUNT] = {"authority", "allOf", "anyOf"};

/* The first REF_OP_COUNT members are the operators, in ref_operator order. */
enum {
	COND_CONDITION = REF_OP_COUNT,
	COND_VALUE,
	COND_CLAIM,
	COND_ALL_OF,
	COND_ANY_OF,
	COND_COUNT
};
static const char *const condition_names[COND_COUNT] = {
	"equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals", "exists",
	"condition", "value", "claim", "allOf", "anyOf",
};

/* Sorts the members of obj by canonical name into found[0, count).
 * Returns 0, or -1 when obj is not an object, a member is unknown, or two
 * members differ only in case. */
static int collect_members(const json_t *obj, const char *const *names, size_t count,
                           const json_t **found)
{
	for (size_t n = 0; n < count; n++)
		found[n] = NULL;
	if (!json_is_object(obj))
		return -1;

	/* jansson has no const iteration; the object is only read. */
	json_t *mutable_obj = (json_t *)obj;
	for (void *it = json_object_iter(mutable_obj); it != NULL;
	     it = json_object_iter_next(mutable_obj, it)) {
		const char *key = json_object_iter_key(it);
		size_t key_len = json_object_iter_key_len(it);
		size_t n = 0;
		while (n < count && !name_matches(key, key_len, names[n]))
			n++;
		if (n == count || found[n] != NULL)
			return -1;
		found[n] = json_object_iter_value(it);
	}
	return 0;
}

static int is_policy_value(const json_t *value)
{
	return json_is_string(value) || json_is_integer(value) || json_is_real(value) ||
	       json_is_boolean(value);
}

static int is_numeric_value(const json_t *value)
{
	ref_number number;
	if (json_is_integer(value) || json_is_real(value))
		return 1;
	return json_is_string(value) &&
	       ref_parse_number(json_string_value(value), json_string_length(value), &number);
}

static int is_exists_value(const json_t *value)
{
	return json_is_boolean(value) || string_is(value, "true") || string_is(value, "false");
}

/* A claim condition, short or long form, or a group. */
typedef struct ref_condition {
	int is_group;
	int group_any;           /* anyOf rather than allOf */
	const json_t *children;  /* group: a JSON array */
	const json_t *path;      /* claim: a JSON string */
	ref_operator op;
	const json_t *value;
} ref_condition;

/* Reads the operator a long form names. The reference takes the operator
 * name ASCII case-insensitively, like a member name. */
static int long_form_operator(const json_t *name, ref_operator *op)
{
	if (!json_is_string(name))
		return -1;
	for (int n = 0; n < REF_OP_COUNT; n++) {
		if (name_matches(json_string_value(name), json_string_length(name), operator_names[n])) {
			*op = (ref_operator)n;
			return 0;
		}
	}
	return -1;
}

/* Reads the shape of one condition, without checking its value or its
 * children. Returns 0, or -1 when the shape is invalid. */
static int read_condition(const json_t *node, ref_condition *out)
{
	const json_t *m[COND_COUNT];

	memset(out, 0, sizeof *out);
	if (collect_members(node, condition_names, COND_COUNT, m) != 0)
		return -1;

	int operators = 0;
	for (int n = 0; n < REF_OP_COUNT; n++) {
		if (m[n] != NULL) {
			operators++;
			out->op = (ref_operator)n;
			out->value = m[n];
		}
	}
	int groups = (m[COND_ALL_OF] != NULL) + (m[COND_ANY_OF] != NULL);

	if (m[COND_CLAIM] == NULL) {
		if (groups != 1 || operators != 0 || m[COND_CONDITION] != NULL || m[COND_VALUE] != NULL)
			return -1;
		out->is_group = 1;
		out->group_any = m[COND_ANY_OF] != NULL;
		out->children = out->group_any ? m[COND_ANY_OF] : m[COND_ALL_OF];
		return 0;
	}

	if (groups != 0 || !json_is_string(m[COND_CLAIM]))
		return -1;
	out->path = m[COND_CLAIM];
	if (m[COND_CONDITION] != NULL || m[COND_VALUE] != NULL) {
		if (operators != 0 || m[COND_CONDITION] == NULL || m[COND_VALUE] == NULL)
			return -1;
		if (long_form_operator(m[COND_CONDITION], &out->op) != 0)
			return -1;
		out->value = m[COND_VALUE];
		return 0;
	}
	return operators == 1 ? 0 : -1;
}

static int check_group(const json_t *children, int depth);

static int check_condition(const json_t *node, int depth)
{
	ref_condition cond;

	if (read_condition(node, &cond) != 0)
		return -1;
	if (cond.is_group)
		return check_group(cond.children, depth + 1);

	if (!is_policy_value(cond.value))
		return -1;
	if (cond.op >= REF_OP_LESS && cond.op <= REF_OP_GREATER_OR_EQUALS &&
	    !is_numeric_value(cond.value))
		return -1;
	if (cond.op == REF_OP_EXISTS && !is_exists_value(cond.value))
		return -1;
	return 0;
}

/* Checks a group's array; depth counts the group itself. */
static int check_group(const json_t *children, int depth)
{
	if (depth > REF_MAX_DEPTH || !json_is_array(children) || json_array_size(children) == 0)
		return -1;
	for (size_t i = 0; i < json_array_size(children); i++) {
		if (check_condition(json_array_get(children, i), depth) != 0)
			return -1;
	}
	return 0;
}

static int check_entry(const json_t *entry)
{
	const json_t *m[ENTRY_COUNT];

	if (collect_members(entry, entry_names, ENTRY_COUNT, m) != 0)
		return -1;
	if (!json_is_string(m[ENTRY_AUTHORITY]))
		return -1;
	if ((m[ENTRY_ALL_OF] != NULL) == (m[ENTRY_ANY_OF] != NULL))
		return -1;
	return check_group(m[ENTRY_ALL_OF] != NULL ? m[ENTRY_ALL_OF] : m[ENTRY_ANY_OF], 1);
}

int ref_policy_check(const json_t *policy)
{
	const json_t *m[TOP_COUNT];

	if (collect_members(policy, top_names, TOP_COUNT, m) != 0)
		return -1;
	const json_t *version = m[TOP_VERSION];
	if (!string_is(version, "1.0.0") && !string_is(version, "1.0") && !string_is(version, "0.2"))
		return -1;

	const json_t *entries = m[TOP_ANY_OF];
	if (!json_is_array(entries) || json_array_size(entries) == 0)
		return -1;
	for (size_t i = 0; i < json_array_size(entries); i++) {
		if (check_entry(json_array_get(entries, i)) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Evaluation. Every function below runs on a policy ref_policy_check
 * accepted, so shape errors cannot occur.
 */

/* Resolves a dotted path by descending through objects only. Sets
 * *segments, and sets *dotted when an object on the way contains a member
 * named like the rest of the path (a name with a '.', which the path never
 * reaches). Returns NULL when the path is missing. */
static const json_t *resolve_path(const json_t *claims, const char *path, size_t len,
                                  int *segments, int *dotted)
{
	const json_t *node = claims;
	size_t start = 0;

	*segments = 0;
	*dotted = 0;
	for (;;) {
		const char *dot = memchr(path + start, '.', len - start);
		size_t end = dot != NULL ? (size_t)(dot - path) : len;

		(*segments)++;
		if (!json_is_object(node))
			return NULL;
		if (dot != NULL && json_object_getn(node, path + start, len - start) != NULL)
			*dotted = 1;
		node = json_object_getn(node, path + start, end - start);
		if (node == NULL || dot == NULL)
			return node;
		start = end + 1;
	}
}

static int is_int64_edge(const ref_value *v)
{
	return v->has_number && v->number.is_int &&
	       (v->number.i <= INT64_MIN + 1 || v->number.i >= INT64_MAX - 1);
}

static int is_near_2_pow_53(const ref_value *v)
{
	const double two53 = 9007199254740992.0;
	if (!v->has_number)
		return 0;
	if (v->number.is_int) {
		if (v->number.i == INT64_MIN)
			return 0;
		int64_t m = v->number.i < 0 ? -v->number.i : v->number.i;
		return m >= 9007199254740990 && m <= 9007199254740994;
	}
	return fabs(fabs(v->number.d) - two53) <= 2.0;
}

static int is_near_2_pow_63(const ref_value *v)
{
	return v->has_number && !v->number.is_int && fabs(v->number.d) >= 9.2e18 &&
	       fabs(v->number.d) <= 9.3e18;
}

static void count_condition(ref_coverage *coverage, ref_operator op, const ref_value *claim,
                            const ref_value *expected, int segments, int dotted)
{
	if (coverage == NULL)
		return;
	coverage->conditions[op][claim->kind]++;
	coverage->values[op][expected->kind]++;
	coverage->nested_paths += segments >= 2;
	coverage->missing_paths += claim->kind == REF_KIND_MISSING;
	coverage->dotted_member_names += dotted != 0;
	coverage->int64_edges += is_int64_edge(claim) || is_int64_edge(expected);
	coverage->near_2_pow_53 += is_near_2_pow_53(claim) || is_near_2_pow_53(expected);
	coverage->near_2_pow_63 += is_near_2_pow_63(claim) || is_near_2_pow_63(expected);
}

/* Applies one operator to a resolved (or missing) claim. */
static int apply_operator(ref_operator op, const ref_value *claim, const ref_value *expected)
{
	int equal = 0;

	if (op == REF_OP_EXISTS)
		return (claim->kind != REF_KIND_MISSING) == (expected->boolean == 1);
	if (claim->kind == REF_KIND_MISSING)
		return 0;

	switch (op) {
	case REF_OP_EQUALS:
		return compare_for_equality(claim, expected, &equal) && equal;
	case REF_OP_NOT_EQUALS:
		return compare_for_equality(claim, expected, &equal) && !equal;
	default:
		break;
	}

	if (!claim->has_number)
		return 0;
	int order = ref_compare_numbers(&claim->number, &expected->number);
	switch (op) {
	case REF_OP_LESS:
		return order < 0;
	case REF_OP_LESS_OR_EQUALS:
		return order <= 0;
	case REF_OP_GREATER:
		return order > 0;
	case REF_OP_GREATER_OR_EQUALS:
		return order >= 0;
	default:
		return 0;
	}
}

static int eval_group(const json_t *children, int any, const json_t *claims,
                      ref_coverage *coverage);

static int eval_condition(const json_t *node, const json_t *claims, ref_coverage *coverage)
{
	ref_condition cond;
	ref_value claim;
	ref_value expected;
	int segments = 0;
	int dotted = 0;

	read_condition(node, &cond);
	if (cond.is_group)
		return eval_group(cond.children, cond.group_any, claims, coverage);

	const json_t *found = resolve_path(claims, json_string_value(cond.path),
	                                   json_string_length(cond.path), &segments, &dotted);
	if (found != NULL) {
		classify(found, &claim);
	} else {
		memset(&claim, 0, sizeof claim);
		claim.kind = REF_KIND_MISSING;
		claim.boolean = -1;
	}
	classify(cond.value, &expected);

	count_condition(coverage, cond.op, &claim, &expected, segments, dotted);
	return apply_operator(cond.op, &claim, &expected);
}

static int eval_group(const json_t *children, int any, const json_t *claims,
                      ref_coverage *coverage)
{
	for (size_t i = 0; i < json_array_size(children); i++) {
		int holds = eval_condition(json_array_get(children, i), claims, coverage);
		if (any && holds)
			return 1;
		if (!any && !holds)
			return 0;
	}
	return !any;
}

int ref_evaluate_counted(const json_t *policy, const json_t *claims, const char *issuer,
                         size_t issuer_len, int *entry, ref_coverage *coverage)
{
	const json_t *top[TOP_COUNT];
	const json_t *m[ENTRY_COUNT];

	if (entry != NULL)
		*entry = -1;
	if (ref_policy_check(policy) != 0 || !json_is_object(claims))
		return -1;

	collect_members(policy, top_names, TOP_COUNT, top);
	const json_t *entries = top[TOP_ANY_OF];
	for (size_t i = 0; i < json_array_size(entries); i++) {
		collect_members(json_array_get(entries, i), entry_names, ENTRY_COUNT, m);
		const json_t *authority = m[ENTRY_AUTHORITY];
		if (!ref_authority_matches(json_string_value(authority), json_string_length(authority),
		                           issuer, issuer_len)) {
			if (coverage != NULL)
				coverage->entries_skipped++;
			continue;
		}
		int any = m[ENTRY_ANY_OF] != NULL;
		if (eval_group(any ? m[ENTRY_ANY_OF] : m[ENTRY_ALL_OF], any, claims, coverage)) {
			if (entry != NULL)
				*entry = (int)i;
			return 0;
		}
	}
	return 1;
}

int ref_evaluate(const json_t *policy, const json_t *claims, const char *issuer,
                 size_t issuer_len, int *entry)
{
	return ref_evaluate_counted(policy, claims, issuer, issuer_len, entry, NULL);
}
