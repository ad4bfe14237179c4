/*
 * Random JSON release policies and claim sets for the differential test
 * (and for fuzz targets): deterministic for a given seed, on any machine.
 *
 * Policies have 1-4 authority entries built around one issuer. An entry
 * lists it exactly, with a trailing '/' toggled, with the scheme or host in
 * another case, or in a variant that does not match. Groups nest up to
 * depth 4, all seven operators appear in the short and the long form, and
 * values are of every type. Claim sets
 * draw member names from the same small vocabulary so that paths often
 * resolve. A small share of policies and claim sets breaks one rule on
 * purpose, and the info structures name the rule.
 */
#ifndef SKR_TEST_GEN_POLICY_H
#define SKR_TEST_GEN_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer. data is NUL-terminated after len bytes, but the
 * text may hold NUL bytes of its own only where a fault puts them. failed
 * is set when an allocation failed; the text is then incomplete. */
typedef struct gen_text {
	char *data;
	size_t len;
	size_t cap;
	int failed;
} gen_text;

void gen_text_init(gen_text *text);
void gen_text_free(gen_text *text);

typedef struct gen_options {
	unsigned policy_fault_percent;  /* policies that break one rule; default 4 */
	unsigned claims_fault_percent;  /* claim sets that break one rule; default 2 */
} gen_options;

void gen_options_init(gen_options *options);

typedef struct gen_policy_info {
	int invalid;          /* the policy breaks a rule on purpose */
	const char *fault;    /* which one, static text; NULL when valid */
	int bom;              /* the text starts with a UTF-8 byte-order mark */
	uint32_t entries;     /* authority entries written */
	uint32_t conditions;  /* claim conditions written */
} gen_policy_info;

typedef struct gen_claims_info {
	int invalid;          /* the claims JSON breaks a rule on purpose */
	const char *fault;    /* which one, static text; NULL when valid */
} gen_claims_info;

/* Generates the policy of seed into policy (replacing its contents).
 * options may be NULL for the defaults. Returns 0, or -1 when an
 * allocation failed. */
int gen_policy(uint64_t seed, const gen_options *options, gen_text *policy,
               gen_policy_info *info);

/* Generates claim set index for the policy of seed: a JSON object into
 * claims, and into issuer the issuer to decide it for, which is also the
 * claims' "iss". Returns 0, or -1 when an allocation failed. */
int gen_claims(uint64_t seed, uint32_t index, const gen_options *options, gen_text *claims,
               gen_text *issuer, gen_claims_info *info);

#endif
