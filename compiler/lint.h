/*
 * Policy linter and the registry of MAA claims it checks policies against.
 *
 * The linter reads a checked syntax tree and appends warnings (with notes
 * that point at a related condition) to a diagnostics list. It never
 * changes the tree, the program or a decision. The rules and their codes
 * are listed in docs/LINT.md.
 *
 * The registry describes the tokens of Microsoft Azure Attestation: claim
 * names with their JSON types, where each claim appears for each
 * attestation type, well-known values, the claims that show debugging is off,
 * the compliance claim, and the naming of MAA providers. Its source is
 * data/maa-claims.json; the library embeds a copy (registry_data.c, written
 * by tools/embed-registry.sh) so it works without the repository.
 */
#ifndef SKR_LINT_H
#define SKR_LINT_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "skr.h"
#include "util.h"

/* The embedded copy of data/maa-claims.json (not NUL-terminated). */
extern const char skr_registry_json[];
extern const size_t skr_registry_json_len;

/* Set of attestation types: bit i stands for type i of the registry. */
typedef uint32_t skr_type_set;

/* Maximum number of attestation types a registry may list. */
#define SKR_REGISTRY_MAX_TYPES 32u

typedef enum skr_claim_type {
	SKR_CLAIM_STRING = 0,
	SKR_CLAIM_NUMERIC_STRING,  /* a string that contains a JSON number ("1.0", "10") */
	SKR_CLAIM_BOOLEAN,
	SKR_CLAIM_INTEGER,
	SKR_CLAIM_NUMBER,
	SKR_CLAIM_OBJECT,
	SKR_CLAIM_ARRAY
} skr_claim_type;

/* What a debug-off condition compares the claim with. */
typedef enum skr_debug_off {
	SKR_DEBUG_OFF_NONE = 0,    /* the claim does not tell whether debugging is on */
	SKR_DEBUG_OFF_FALSE,       /* debugging is off when the claim is false */
	SKR_DEBUG_OFF_TRUE,        /* debugging is off when the claim is true */
	SKR_DEBUG_OFF_STRINGS      /* debugging is off for the strings in debug_off_values */
} skr_debug_off;

/* A string of the registry: bytes and length, NUL-terminated as well. */
typedef struct skr_reg_string {
	const char *str;
	size_t len;
} skr_reg_string;

/* One claim, or one member of an object claim. */
typedef struct skr_reg_claim skr_reg_claim;
struct skr_reg_claim {
	skr_reg_string name;
	skr_claim_type type;
	skr_type_set at;               /* top-level claims: tokens of these types carry it at the top level */
	skr_type_set tee;              /* tokens of these types (inner x-ms-attestation-type) carry it
	                                  under the isolation claim of a guest token */
	int open;                      /* object: members not listed here may appear too */
	const skr_reg_claim *members;  /* object: known members */
	uint32_t member_count;
	const skr_reg_string *values;  /* well-known string values */
	uint32_t value_count;
	int closed;                    /* values lists every value MAA writes */
	uint32_t hex;                  /* lower-case hex digits in the value, or 0 when it is no digest */
	skr_debug_off debug_off;
	const skr_reg_string *debug_off_values;
	uint32_t debug_off_count;
	skr_reg_string deprecated;     /* the recommended name when this one is deprecated, else empty */
};

/* A set of region codes, such as those of the public cloud. */
typedef struct skr_reg_region_set {
	skr_reg_string name;
	const skr_reg_string *codes;   /* sorted by code */
	const skr_reg_string *titles;  /* "West Europe", parallel to codes */
	uint32_t count;
} skr_reg_region_set;

/* A DNS domain under which MAA providers live, and its regions. */
typedef struct skr_reg_domain {
	skr_reg_string suffix;         /* "attest.azure.net" */
	const skr_reg_region_set *regions;
} skr_reg_domain;

typedef struct skr_registry {
	skr_arena arena;
	skr_reg_string types[SKR_REGISTRY_MAX_TYPES];
	uint32_t type_count;
	skr_type_set all_types;
	skr_type_set policy_defined_types;  /* types whose claims the provider's policy chooses */
	skr_reg_string type_claim;          /* "x-ms-attestation-type" */
	skr_reg_string isolation_claim;     /* "x-ms-isolation-tee" */
	skr_reg_string compliance_claim;    /* "x-ms-compliance-status" */
	const skr_reg_claim *claims;        /* top-level claims */
	uint32_t claim_count;
	skr_reg_string shared_prefix;       /* instance names of shared providers start with it */
	const skr_reg_string *environment_labels;
	uint32_t environment_label_count;
	const skr_reg_domain *domains;
	uint32_t domain_count;
	const skr_reg_region_set *region_sets;
	uint32_t region_set_count;
} skr_registry;

/* Loads a registry from its JSON text. On SKR_OK *out is set and owned by
 * the caller (skr_registry_free). On SKR_E_INTERNAL the text does not
 * follow the schema in data/README.md and error (when error_cap > 0)
 * names the first problem. SKR_E_NOMEM when memory runs out. */
skr_status skr_registry_load(const char *json, size_t len, skr_registry **out,
                             char *error, size_t error_cap);

/* Loads the registry embedded in the library. */
skr_status skr_registry_load_builtin(skr_registry **out, char *error, size_t error_cap);

void skr_registry_free(skr_registry *registry);

/* Index of an attestation type name, or -1 when the registry does not list it. */
int skr_registry_type_index(const skr_registry *registry, const char *name, size_t len);

/* Looks name up among the members of parent: the top-level claims when
 * parent is NULL, the claims that guest tokens nest under the isolation
 * claim when parent is that claim, else parent's listed members. Returns
 * NULL when name is not listed there. Names compare exactly. */
const skr_reg_claim *skr_registry_member(const skr_registry *registry, const skr_reg_claim *parent,
                                         const char *name, size_t len);

/* The listed member of parent (as in skr_registry_member) that name most
 * likely misspells: equal after folding case and '_' to '-', or within a
 * small edit distance. Returns NULL when nothing is close. */
const skr_reg_claim *skr_registry_nearest_member(const skr_registry *registry,
                                                 const skr_reg_claim *parent,
                                                 const char *name, size_t len);

/* The domain whose suffix host ends with (after a '.'), longest suffix
 * first; host compares ASCII case-insensitively. Returns NULL when host is
 * not under a domain of MAA providers. */
const skr_reg_domain *skr_registry_domain(const skr_registry *registry, const char *host,
                                          size_t len);

/* Index of a region code in set (exact, lower case), or -1. */
int skr_registry_region(const skr_reg_region_set *set, const char *code, size_t len);

/* Index of the region code in set that code most likely misspells, or -1. */
int skr_registry_nearest_region(const skr_reg_region_set *set, const char *code, size_t len);

/* Edit distance between two byte strings after folding ASCII case and '_'
 * to '-', capped at cap + 1 (callers only ask whether it is small). */
size_t skr_name_distance(const char *a, size_t alen, const char *b, size_t blen, size_t cap);

/* Lints a parsed policy. src is the policy text the tree's spans point
 * into. Appends warnings and notes to diags. Returns SKR_OK, SKR_E_NOMEM,
 * or SKR_E_INTERNAL when the embedded registry cannot be loaded (a broken
 * build). */
skr_status skr_lint_policy(const skr_ast_policy *policy, const skr_source *src,
                           skr_diags *diags);

/* As skr_lint_policy, with a registry the caller loaded (tests use it to
 * lint against data/maa-claims.json itself). */
skr_status skr_lint_policy_with(const skr_ast_policy *policy, const skr_source *src,
                                const skr_registry *registry, skr_diags *diags);

#endif
