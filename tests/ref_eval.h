/*
 * Reference evaluator for release policies: a plain tree walk over the
 * jansson form of a JSON policy and of a claims object. It is written from
 * the product's evaluation rules and shares no code with the compiler, the
 * VM or the claims index. The differential test checks the product against
 * it.
 *
 * Load the policy and the claims with JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL (and JSON_DECODE_ANY to see a policy encoded as a string)
 * so that strings keep their NUL bytes and duplicate members are rejected
 * by jansson, as the product rejects them. jansson itself rejects integers
 * outside int64 and numbers that overflow a double.
 */
#ifndef SKR_TEST_REF_EVAL_H
#define SKR_TEST_REF_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Operators in the order of the JSON grammar (the product's skr_operator
 * uses the same order). */
typedef enum ref_operator {
	REF_OP_EQUALS = 0,
	REF_OP_NOT_EQUALS,
	REF_OP_LESS,
	REF_OP_LESS_OR_EQUALS,
	REF_OP_GREATER,
	REF_OP_GREATER_OR_EQUALS,
	REF_OP_EXISTS,
	REF_OP_COUNT
} ref_operator;

/* Kind of a claim (or policy) value as the comparison rules see it. */
typedef enum ref_kind {
	REF_KIND_NULL = 0,
	REF_KIND_FALSE,
	REF_KIND_TRUE,
	REF_KIND_INT,
	REF_KIND_DOUBLE,
	REF_KIND_STRING,          /* neither numeric nor "true"/"false" */
	REF_KIND_NUMERIC_STRING,  /* a JSON number within int64 / double range */
	REF_KIND_BOOL_STRING,     /* exactly "true" or "false" */
	REF_KIND_ARRAY,
	REF_KIND_OBJECT,
	REF_KIND_MISSING,         /* the claim path did not resolve */
	REF_KIND_COUNT
} ref_kind;

/* Counts of what evaluations exercised, summed over calls. Only conditions
 * that were evaluated count: an allOf stops at its first false condition
 * and an anyOf at its first true one, and the walk stops at the first
 * authority entry that releases. */
typedef struct ref_coverage {
	uint64_t conditions[REF_OP_COUNT][REF_KIND_COUNT];  /* by claim kind */
	uint64_t values[REF_OP_COUNT][REF_KIND_COUNT];      /* by policy value kind */
	uint64_t nested_paths;         /* paths of two or more segments */
	uint64_t missing_paths;
	uint64_t dotted_member_names;  /* a member named like the rest of the path was passed over */
	uint64_t int64_edges;          /* INT64_MIN, INT64_MIN + 1, INT64_MAX - 1 or INT64_MAX involved */
	uint64_t near_2_pow_53;        /* a number within 2 of +-2^53 involved */
	uint64_t near_2_pow_63;        /* a double of magnitude in [9.2e18, 9.3e18] involved */
	uint64_t entries_skipped;      /* authority entries whose authority did not match */
} ref_coverage;

/* A JSON number: an int64 when written without fraction or exponent, a
 * double otherwise. */
typedef struct ref_number {
	int is_int;
	int64_t i;
	double d;
} ref_number;

/* Parses text[0, len) as a JSON number (RFC 8259 grammar, the whole text).
 * Returns 1 and fills out when it is one within range, 0 when it is not a
 * number, is an integer outside int64, or overflows a double. */
int ref_parse_number(const char *text, size_t len, ref_number *out);

/* Compares two numbers exactly, without rounding an int64 through a
 * double. Returns -1, 0 or 1. Neither may be NaN. */
int ref_compare_numbers(const ref_number *a, const ref_number *b);

/* Returns 1 when the authority a and the issuer b match, 0 otherwise. One
 * trailing '/' is stripped from each. When both are URLs (scheme "://"
 * authority ...), the scheme and the host compare ASCII case-insensitively
 * and every other byte exactly. Other texts compare byte for byte. */
int ref_authority_matches(const char *a, size_t a_len, const char *b, size_t b_len);

/* Checks the shape and values of a policy. Returns 0 when the reference
 * considers it valid, -1 otherwise. It checks the version and the member
 * names (ASCII case-insensitive, no two differing only in case, no unknown
 * ones). It also checks non-empty groups, one operator per condition, the
 * long form and the value types per operator. Groups nest at most 32 deep,
 * counting the authority entry's own group as depth 1. */
int ref_policy_check(const json_t *policy);

/* Decides a release. Returns 0 on release and sets *entry to the index of
 * the first authority entry (in policy order) that matches the issuer and
 * whose condition holds. Returns 1 on a denial with *entry -1, and -1 when
 * ref_policy_check rejects the policy or claims is not an object. entry may
 * be NULL. */
int ref_evaluate(const json_t *policy, const json_t *claims, const char *issuer,
                 size_t issuer_len, int *entry);

/* ref_evaluate, adding what the evaluation exercised to coverage (which
 * may be NULL). */
int ref_evaluate_counted(const json_t *policy, const json_t *claims,
                         const char *issuer, size_t issuer_len, int *entry,
                         ref_coverage *coverage);

/* JSON member name of an operator, and a short name of a kind. */
const char *ref_operator_name(ref_operator op);
const char *ref_kind_name(ref_kind kind);

#endif
