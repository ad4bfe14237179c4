/*
 * Differential comparison of the claims scanner (skr_claims_parse) with the
 * jansson reference (skr_claims_parse_reference), shared by the Criterion
 * tests and the libFuzzer target in tests/fuzz.
 *
 * The two must accept the same texts. When both reject, the first
 * diagnostic must have the same code (the positions and words may differ).
 * When both accept, the indexes must be identical: the same nodes in the
 * same order with the same ids, paths, types, strings, numeric and boolean
 * views, the same slot table and the same "iss".
 *
 * The one allowed difference: jansson 2.14 skips a raw NUL byte right after
 * a number or literal and may accept such a text, while the scanner rejects
 * every raw NUL byte. A raw NUL is never valid JSON, so for a text containing
 * one the scanner must reject and the reference is not consulted.
 */
#ifndef SKR_CLAIMS_DIFF_H
#define SKR_CLAIMS_DIFF_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "skr.h"

/* Writes a description of a difference into difference and returns 1. */
static inline int claims_diff_note(char *difference, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(difference, cap, fmt, ap);
	va_end(ap);
	return 1;
}

static inline int claims_diff_values(const skr_claim_value *a, const skr_claim_value *b,
                                     const char *path, char *difference, size_t cap)
{
	if (a->type != b->type || a->num != b->num || a->boolean != b->boolean)
		return claims_diff_note(difference, cap, "%s: type/num/boolean %d/%d/%d, reference %d/%d/%d",
		                        path, a->type, a->num, a->boolean, b->type, b->num, b->boolean);
	if (a->len != b->len || (a->str == NULL) != (b->str == NULL))
		return claims_diff_note(difference, cap, "%s: string length %u, reference %u", path,
		                        (unsigned)a->len, (unsigned)b->len);
	if (a->str && (memcmp(a->str, b->str, a->len) != 0 || a->str[a->len] != '\0'))
		return claims_diff_note(difference, cap, "%s: string bytes differ", path);
	if (a->num == SKR_NUM_INT && a->n.i != b->n.i)
		return claims_diff_note(difference, cap, "%s: integer %lld, reference %lld", path,
		                        (long long)a->n.i, (long long)b->n.i);
	/* Bit for bit, so -0.0 and 0.0 differ. */
	if (a->num == SKR_NUM_DOUBLE && memcmp(&a->n.d, &b->n.d, sizeof a->n.d) != 0)
		return claims_diff_note(difference, cap, "%s: double %.17g, reference %.17g", path, a->n.d,
		                        b->n.d);
	return 0;
}

/* Compares the scanner's index a with the reference's index b. Returns 0
 * when they are identical. */
static inline int claims_diff_indexes(const skr_claims *a, const skr_claims *b, char *difference,
                                      size_t cap)
{
	if (a->count != b->count)
		return claims_diff_note(difference, cap, "%u nodes, reference %u", a->count, b->count);
	if (a->mask != b->mask)
		return claims_diff_note(difference, cap, "slot mask %u, reference %u", a->mask, b->mask);
	if (memcmp(a->slots, b->slots, ((size_t)a->mask + 1) * sizeof *a->slots) != 0)
		return claims_diff_note(difference, cap, "slot tables differ");
	for (uint32_t n = 0; n < a->count; n++) {
		const skr_claim_node *x = &a->nodes[n];
		const skr_claim_node *y = &b->nodes[n];
		if (x->path_len != y->path_len || memcmp(x->path, y->path, x->path_len) != 0 ||
		    x->path[x->path_len] != '\0')
			return claims_diff_note(difference, cap, "node %u: path %.*s, reference %.*s", n,
			                        (int)x->path_len, x->path, (int)y->path_len, y->path);
		if (x->id != y->id || x->id != skr_claim_id(x->path, x->path_len))
			return claims_diff_note(difference, cap, "node %u (%s): id differs", n, x->path);
		if (claims_diff_values(&x->value, &y->value, x->path, difference, cap))
			return 1;
	}
	if ((a->iss == NULL) != (b->iss == NULL) ||
	    (a->iss && a->iss - a->nodes != b->iss - b->nodes))
		return claims_diff_note(difference, cap, "iss differs");
	return 0;
}

/* Runs both parsers on json with limits (NULL for the defaults) and
 * compares their results as the header comment describes. Returns 0 when
 * they agree, else 1 with a description in difference. When status is not NULL
 * it receives the scanner's status, and code the code of its first
 * diagnostic (static storage, or NULL on success). */
static inline int claims_diff_parse(const char *json, size_t len, const skr_limits *limits,
                                    skr_status *status, const char **code, char *difference,
                                    size_t cap)
{
	skr_diags scan_diags;
	skr_diags ref_diags;
	skr_diags_init(&scan_diags);
	skr_diags_init(&ref_diags);
	skr_claims *scanned = NULL;
	skr_claims *reference = NULL;
	int differs = 0;

	skr_status scan_status = skr_claims_parse(json, len, limits, &scan_diags, &scanned);
	if (status)
		*status = scan_status;
	if (code)
		*code = scan_diags.count ? scan_diags.items[0].code : NULL;
	if (scan_status != SKR_OK && (scan_diags.errors != 1 || scan_diags.count != 1)) {
		differs = claims_diff_note(difference, cap, "scanner gave %zu diagnostics for one error",
		                           scan_diags.count);
		goto done;
	}
	if (scan_status != SKR_OK && (scan_diags.items[0].offset > len ||
	                              scan_diags.items[0].length > len - scan_diags.items[0].offset)) {
		differs = claims_diff_note(difference, cap, "scanner error spans bytes %zu+%zu of %zu",
		                           scan_diags.items[0].offset, scan_diags.items[0].length, len);
		goto done;
	}
	if (len > 0 && memchr(json, '\0', len) != NULL) {
		if (scan_status == SKR_OK)
			differs = claims_diff_note(difference, cap, "scanner accepted a raw NUL byte");
		goto done;
	}

	skr_status ref_status = skr_claims_parse_reference(json, len, limits, &ref_diags, &reference);
	if (scan_status != ref_status) {
		differs = claims_diff_note(difference, cap, "status %s (%s), reference %s (%s)",
		                           skr_status_name(scan_status),
		                           scan_diags.count ? scan_diags.items[0].message : "-",
		                           skr_status_name(ref_status),
		                           ref_diags.count ? ref_diags.items[0].message : "-");
		goto done;
	}
	if (scan_status != SKR_OK) {
		if (ref_diags.count == 0 || strcmp(scan_diags.items[0].code, ref_diags.items[0].code) != 0)
			differs = claims_diff_note(difference, cap, "code %s (%s), reference %s (%s)",
			                           scan_diags.items[0].code, scan_diags.items[0].message,
			                           ref_diags.count ? ref_diags.items[0].code : "-",
			                           ref_diags.count ? ref_diags.items[0].message : "-");
		goto done;
	}
	differs = claims_diff_indexes(scanned, reference, difference, cap);

done:
	skr_claims_free(scanned);
	skr_claims_free(reference);
	skr_diags_free(&scan_diags);
	skr_diags_free(&ref_diags);
	return differs;
}

#endif
