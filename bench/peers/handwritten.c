/*
 * A release-policy evaluator as a competent C developer would write it with
 * jansson and no compiler: the policy stays a JSON tree, each decision
 * walks it, and each claim path is looked up member by member in the
 * parsed claims. It follows the evaluation rules of docs/SEMANTICS.md.
 * Member names of the policy match without case. A missing claim fails
 * every operator but exists: false. Numbers and numeric strings compare as
 * numbers, and booleans and "true"/"false" as booleans. An authority
 * matches with one trailing '/' ignored and its scheme and host compared
 * without case.
 *
 * NOTE: an int64 and a double are compared as doubles here, which can
 * round integers above 2^53; skr compares them exactly. No workload of the
 * benchmark holds such numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "peers.h"

/* Member of a policy object, matched without case as the policy language
 * allows; the exact spelling is tried first because real policies use it. */
static const json_t *member(const json_t *object, const char *name)
{
	const json_t *value = json_object_get(object, name);
	if (value != NULL)
		return value;
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)object, key, v) {
		if (strcasecmp(key, name) == 0)
			return v;
	}
	return NULL;
}

/* Follows a dotted path through objects only. */
static const json_t *lookup(const json_t *claims, const char *path, size_t len)
{
	const json_t *node = claims;
	size_t start = 0;
	while (start <= len) {
		const char *dot = memchr(path + start, '.', len - start);
		size_t end = dot != NULL ? (size_t)(dot - path) : len;
		if (!json_is_object(node))
			return NULL;
		node = json_object_getn(node, path + start, end - start);
		if (node == NULL)
			return NULL;
		start = end + 1;
	}
	return node;
}

/* Parses a string that is a JSON number. */
static int numeric_string(const json_t *s, double *out)
{
	const char *text = json_string_value(s);
	size_t len = json_string_length(s);
	size_t i = 0;
	if (i < len && text[i] == '-')
		i++;
	if (i == len || !isdigit((unsigned char)text[i]))
		return 0;
	if (text[i] == '0')
		i++;
	else
		while (i < len && isdigit((unsigned char)text[i]))
			i++;
	if (i < len && text[i] == '.') {
		i++;
		if (i == len || !isdigit((unsigned char)text[i]))
			return 0;
		while (i < len && isdigit((unsigned char)text[i]))
			i++;
	}
	if (i < len && (text[i] == 'e' || text[i] == 'E')) {
		i++;
		if (i < len && (text[i] == '+' || text[i] == '-'))
			i++;
		if (i == len || !isdigit((unsigned char)text[i]))
			return 0;
		while (i < len && isdigit((unsigned char)text[i]))
			i++;
	}
	if (i != len)
		return 0;
	errno = 0;
	*out = strtod(text, NULL);
	return errno != ERANGE;
}

/* Numeric view of a number or numeric string. */
static int as_number(const json_t *v, double *out)
{
	if (json_is_integer(v)) {
		*out = (double)json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		*out = json_real_value(v);
		return 1;
	}
	return json_is_string(v) && numeric_string(v, out);
}

/* Boolean view of a boolean or of "true"/"false". */
static int as_boolean(const json_t *v, int *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 1;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (len == 4 && memcmp(s, "true", 4) == 0) {
			*out = 1;
			return 1;
		}
		if (len == 5 && memcmp(s, "false", 5) == 0) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

/* Equality of a claim and a policy value: 1 equal, 0 not, -1 when the
 * pair is not comparable. */
static int equality(const json_t *claim, const json_t *expected)
{
	int both_numbers = json_is_number(claim) || json_is_number(expected);
	double a, b;
	if (both_numbers) {
		if (as_number(claim, &a) && as_number(expected, &b))
			return a == b;
		return -1;
	}
	int both_booleans = json_is_boolean(claim) || json_is_boolean(expected);
	int x, y;
	if (both_booleans) {
		if (as_boolean(claim, &x) && as_boolean(expected, &y))
			return x == y;
		return -1;
	}
	if (json_is_string(claim) && json_is_string(expected))
		return json_string_length(claim) == json_string_length(expected) &&
		       memcmp(json_string_value(claim), json_string_value(expected),
		              json_string_length(claim)) == 0;
	return -1;
}

/* Compares a numeric claim with the policy's number: -1, 0, 1, or 2 when
 * either has no numeric view. */
static int ordering(const json_t *claim, const json_t *expected)
{
	double a, b;
	if (!as_number(claim, &a) || !as_number(expected, &b))
		return 2;
	return (a > b) - (a < b);
}

static int condition_holds(const json_t *condition, const json_t *claims);

static int claim_condition(const json_t *condition, const json_t *path, const json_t *claims)
{
	const json_t *claim = lookup(claims, json_string_value(path), json_string_length(path));
	const char *op = NULL;
	const json_t *expected = NULL;

	/* The long form names the operator in "condition". */
	const json_t *long_op = member(condition, "condition");
	if (long_op != NULL) {
		op = json_string_value(long_op);
		expected = member(condition, "value");
	} else {
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)condition, key, v) {
			if (strcasecmp(key, "claim") != 0) {
				op = key;
				expected = v;
				break;
			}
		}
	}
	if (op == NULL || expected == NULL)
		return 0;

	if (strcasecmp(op, "exists") == 0) {
		int want = 1;
		as_boolean(expected, &want);
		return (claim != NULL) == want;
	}
	if (claim == NULL)
		return 0;
	if (strcasecmp(op, "equals") == 0)
		return equality(claim, expected) == 1;
	if (strcasecmp(op, "notEquals") == 0)
		return equality(claim, expected) == 0;
	int c = ordering(claim, expected);
	if (c == 2)
		return 0;
	if (strcasecmp(op, "less") == 0)
		return c < 0;
	if (strcasecmp(op, "lessOrEquals") == 0)
		return c <= 0;
	if (strcasecmp(op, "greater") == 0)
		return c > 0;
	if (strcasecmp(op, "greaterOrEquals") == 0)
		return c >= 0;
	return 0;
}

static int group_holds(const json_t *items, int all, const json_t *claims)
{
	size_t i;
	const json_t *item;
	json_array_foreach((json_t *)items, i, item) {
		int held = condition_holds(item, claims);
		if (all && !held)
			return 0;
		if (!all && held)
			return 1;
	}
	return all;
}

static int condition_holds(const json_t *condition, const json_t *claims)
{
	const json_t *path = member(condition, "claim");
	if (path != NULL)
		return claim_condition(condition, path, claims);
	const json_t *all = member(condition, "allOf");
	if (all != NULL)
		return group_holds(all, 1, claims);
	const json_t *any = member(condition, "anyOf");
	return any != NULL && group_holds(any, 0, claims);
}

/* Length of the scheme and host of a URL ("https://host"), 0 when text is
 * not one. */
static size_t scheme_and_host(const char *text, size_t len)
{
	const char *sep = len >= 3 ? strstr(text, "://") : NULL;
	if (sep == NULL || (size_t)(sep - text) >= len)
		return 0;
	size_t i = (size_t)(sep - text) + 3;
	while (i < len && text[i] != '/')
		i++;
	return i;
}

static int authority_matches(const char *authority, size_t a_len, const char *issuer,
                             size_t i_len)
{
	if (a_len > 0 && authority[a_len - 1] == '/')
		a_len--;
	if (i_len > 0 && issuer[i_len - 1] == '/')
		i_len--;
	if (a_len != i_len)
		return 0;
	size_t folded = scheme_and_host(authority, a_len);
	return strncasecmp(authority, issuer, folded) == 0 &&
	       memcmp(authority + folded, issuer + folded, a_len - folded) == 0;
}

int peer_handwritten_decide(const json_t *policy, const json_t *claims, const char *issuer,
                            size_t issuer_len)
{
	size_t i;
	const json_t *entry;
	json_array_foreach(member(policy, "anyOf"), i, entry) {
		const json_t *authority = member(entry, "authority");
		if (!json_is_string(authority) ||
		    !authority_matches(json_string_value(authority), json_string_length(authority),
		                       issuer, issuer_len))
			continue;
		const json_t *all = member(entry, "allOf");
		int held = all != NULL ? group_holds(all, 1, claims)
		                       : group_holds(member(entry, "anyOf"), 0, claims);
		if (held)
			return 1;
	}
	return 0;
}
