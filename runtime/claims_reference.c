/*
 * Reference claims parser: parses a claims JSON object with jansson, checks
 * the claims limits, and indexes every value a dotted path reaches (layout
 * in claims.h). skr_claims_parse (claims.c) must return the same result
 * from one pass over the bytes, and the differential tests and the fuzz
 * target compare the two. The jansson tree lives only while
 * skr_claims_parse_reference runs, and the index owns copies of every path
 * and string.
 */
#include "claims.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/*
 * JSON_REJECT_DUPLICATES: a duplicate member name anywhere rejects the
 *   claims, and jansson compares names after decoding escapes.
 * JSON_ALLOW_NUL: string values may contain U+0000. jansson 2.14 still
 *   rejects U+0000 in member names (json_error_null_byte_in_key).
 * JSON_DECODE_ANY: a scalar top level parses, so the error message can name
 *   its type instead of jansson's "'[' or '{' expected".
 * Without JSON_DISABLE_EOF_CHECK, text after the top-level value is an error.
 */
#define CLAIMS_JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

/* Counts gathered by the first walk, so the second can allocate once. */
typedef struct index_size {
	size_t nodes;
	size_t path_bytes;  /* sum of path lengths plus one NUL per path */
} index_size;

/* ---- diagnostics -------------------------------------------------------- */

/* Finds the token jansson quotes at the end of its error text
 * ("... near 'TOKEN'"). jansson copies the token from the input, ending at
 * the error position, so a match there gives its start. Returns 0 when the
 * text quotes no token or the quote does not match the input (jansson
 * truncates long error texts). */
static int quoted_token_start(const json_error_t *error, const skr_source *src,
                              size_t pos, size_t *start)
{
	const char *near = strstr(error->text, " near '");
	if (!near)
		return 0;
	const char *token = near + strlen(" near '");
	size_t token_len = strlen(token);
	if (token_len < 2 || token[token_len - 1] != '\'')
		return 0;
	token_len--;
	if (token_len > pos || memcmp(src->text + pos - token_len, token, token_len) != 0)
		return 0;
	*start = pos - token_len;
	return 1;
}

/* Returns the start of the number that ends at pos. jansson reports a
 * numeric overflow just past the number, sometimes without quoting it. */
static size_t number_start(const skr_source *src, size_t pos)
{
	size_t start = pos;
	while (start > 0 && strchr("0123456789+-.eE", src->text[start - 1]) != NULL)
		start--;
	return start;
}

static int number_has_fraction_or_exponent(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			return 1;
	return 0;
}

static int is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

static void report_depth(skr_diags *diags, const skr_source *src, size_t offset,
                         const skr_limits *limits)
{
	skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-depth", offset, 1,
	             "claims JSON nests deeper than the claims depth limit of %" PRIu32 " levels",
	             limits->claims_depth);
}

/* ---- limits ------------------------------------------------------------- */

/* Returns the offset of the quote that closes the JSON string opening at
 * open, or len when there is none. A quote inside a valid string follows an
 * odd run of backslashes. memchr skips the long hex and base64 strings of
 * attestation claims faster than a byte loop. */
static size_t closing_quote(const char *text, size_t len, size_t open)
{
	size_t from = open + 1;
	while (from < len) {
		const char *quote = memchr(text + from, '"', len - from);
		if (!quote)
			break;
		size_t at = (size_t)(quote - text);
		size_t backslashes = 0;
		while (at - backslashes > open + 1 && text[at - backslashes - 1] == '\\')
			backslashes++;
		if (backslashes % 2 == 0)
			return at;
		from = at + 1;
	}
	return len;
}

/* Checks the depth and member limits on text that jansson accepted, so the
 * error can point at the container or member that crosses the limit. In
 * valid JSON every '{' or '[' outside a string opens a container and every
 * ':' outside a string follows a member name, so one pass over the bytes
 * counts both exactly. The top-level object is depth 1. Returns 0 when
 * both limits hold. */
static int check_limits(const skr_source *src, const skr_limits *limits, skr_diags *diags)
{
	const char *text = src->text;
	uint32_t depth = 0;
	uint64_t members = 0;
	size_t string_start = 0;
	size_t string_end = 0;

	for (size_t i = 0; i < src->len; i++) {
		char c = text[i];
		if (c == '"') {
			string_start = i;
			i = closing_quote(text, src->len, i);
			string_end = i + 1;
		} else if (c == '{' || c == '[') {
			depth++;
			if (depth > limits->claims_depth) {
				report_depth(diags, src, i, limits);
				return -1;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ':') {
			members++;
			if (members > limits->claims_members) {
				skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-members", string_start,
				             string_end - string_start,
				             "claims JSON contains more than %" PRIu32
				             " object members, the claims member limit",
				             limits->claims_members);
				return -1;
			}
		}
	}
	return 0;
}

/* ---- parse errors ------------------------------------------------------- */

/* Turns a jansson parse error into one diagnostic and returns the status. */
static skr_status report_json_error(const json_error_t *error, const skr_source *src,
                                    const skr_limits *limits, skr_diags *diags)
{
	size_t pos = error->position < 0 ? 0 : (size_t)error->position;
	if (pos > src->len)
		pos = src->len;
	size_t start = pos;
	int has_token = quoted_token_start(error, src, pos, &start);
	const char *token = src->text + start;
	size_t token_len = pos - start;

	/* jansson's own words without the " near ..." part. The span shows the token. */
	const char *near = strstr(error->text, " near ");
	int what_len = near ? (int)(near - error->text) : (int)strlen(error->text);

	switch (json_error_code(error)) {
	case json_error_out_of_memory:
		skr_diag_add(diags, src, SKR_SEV_ERROR, "out-of-memory", pos, 0,
		             "out of memory while parsing the claims JSON");
		return SKR_E_NOMEM;

	case json_error_stack_overflow: {
		/* The text before the error has been lexed, so the limit scan can
		 * find where it first crosses a lower claims depth limit. */
		skr_source prefix = { src->text, pos };
		if (check_limits(&prefix, limits, diags) == 0)
			skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-depth", start, token_len,
			             "claims JSON nests deeper than %d levels, the maximum jansson parses",
			             JSON_PARSER_MAX_DEPTH);
		return SKR_E_CLAIMS;
	}

	case json_error_invalid_utf8:
		/* jansson's position is the first byte of the invalid sequence. */
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", pos, pos < src->len ? 1 : 0,
		             "invalid UTF-8 in the claims JSON: the sequence starting with byte 0x%02X is not valid",
		             pos < src->len ? (unsigned char)src->text[pos] : 0u);
		return SKR_E_CLAIMS;

	case json_error_null_byte_in_key:
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-nul-name", start, token_len,
		             "member name %.*s%s contains U+0000, which claims JSON does not allow in names",
		             skr_claims_quote_length(token, token_len), token, skr_claims_quote_ellipsis(token_len));
		return SKR_E_CLAIMS;

	case json_error_duplicate_key:
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", start, token_len,
		             "duplicate member name %.*s%s in the claims JSON",
		             skr_claims_quote_length(token, token_len), token, skr_claims_quote_ellipsis(token_len));
		return SKR_E_CLAIMS;

	case json_error_numeric_overflow:
		start = number_start(src, pos);
		token = src->text + start;
		token_len = pos - start;
		if (number_has_fraction_or_exponent(token, token_len))
			skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", start, token_len,
			             "number %.*s%s in the claims JSON overflows a double",
			             skr_claims_quote_length(token, token_len), token, skr_claims_quote_ellipsis(token_len));
		else
			skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", start, token_len,
			             "integer %.*s%s in the claims JSON is outside the int64 range",
			             skr_claims_quote_length(token, token_len), token, skr_claims_quote_ellipsis(token_len));
		return SKR_E_CLAIMS;

	case json_error_premature_end_of_input:
		if (is_blank(src->text, src->len))
			skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", 0, 0,
			             "claims JSON is empty, but it must be an object");
		else
			skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", pos, 0,
			             "claims JSON ends early: %.*s", what_len, error->text);
		return SKR_E_CLAIMS;

	case json_error_end_of_input_expected:
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", start, token_len,
		             "unexpected text after the end of the claims JSON object");
		return SKR_E_CLAIMS;

	default:
		break;
	}

	/* jansson reports unpaired surrogates as invalid_syntax and words them
	 * "invalid Unicode '\uD800'" (2.14). Only the message depends on it. */
	if (strncmp(error->text, "invalid Unicode", strlen("invalid Unicode")) == 0 && has_token)
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", start, token_len,
		             "unpaired UTF-16 surrogate escape in the claims JSON string %.*s%s",
		             skr_claims_quote_length(token, token_len), token, skr_claims_quote_ellipsis(token_len));
	else if (strncmp(error->text, "control character", strlen("control character")) == 0)
		/* jansson stops at the raw control character inside the string. */
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", pos, pos < src->len ? 1 : 0,
		             "invalid claims JSON: %.*s in a string must be written as an escape",
		             what_len, error->text);
	else
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-json", start, token_len,
		             "invalid claims JSON: %.*s", what_len, error->text);
	return SKR_E_CLAIMS;
}

static const char *json_type_phrase(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "an object";
	}
}

static void report_not_object(const json_t *root, const skr_source *src, skr_diags *diags)
{
	size_t start = 0;
	size_t end = src->len;
	while (start < end && is_blank(src->text + start, 1))
		start++;
	while (end > start && is_blank(src->text + end - 1, 1))
		end--;
	if (json_is_string(root))
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-not-object", start, end - start,
		             "claims JSON must be an object, not a string, which usually means it was JSON-encoded twice");
	else
		skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-not-object", start, end - start,
		             "claims JSON must be an object, not %s", json_type_phrase(root));
}

/* ---- index -------------------------------------------------------------- */

/* Counts the nodes and path bytes below object, whose own path is path_len
 * bytes long (indexed) or not reachable at all (!indexed), and rejects
 * member names containing U+0000 anywhere in the tree. Returns 0 on success. */
static int measure(json_t *object, size_t path_len, int nested, int indexed,
                   index_size *size, const skr_source *src, skr_diags *diags)
{
	if (json_is_array(object)) {
		size_t index;
		json_t *element;
		json_array_foreach(object, index, element) {
			if ((json_is_object(element) || json_is_array(element)) &&
			    measure(element, 0, 0, 0, size, src, diags) != 0)
				return -1;
		}
		return 0;
	}

	for (void *it = json_object_iter(object); it; it = json_object_iter_next(object, it)) {
		const char *name = json_object_iter_key(it);
		size_t name_len = json_object_iter_key_len(it);
		json_t *value = json_object_iter_value(it);

		/* NOTE: jansson 2.14 already rejects such names while parsing
		 * (json_error_null_byte_in_key, reported with its position). This
		 * check keeps the rule if a later jansson accepts them, and reports
		 * offset 0 because the tree has no positions. */
		if (memchr(name, '\0', name_len) != NULL) {
			skr_diag_add(diags, src, SKR_SEV_ERROR, "claims-nul-name", 0, 0,
			             "a member name in the claims JSON contains U+0000, which claims JSON does not allow in names");
			return -1;
		}

		int child_indexed = indexed && memchr(name, '.', name_len) == NULL;
		size_t child_len = nested ? path_len + 1 + name_len : name_len;
		if (child_indexed) {
			size->nodes++;
			size->path_bytes += child_len + 1;
		}
		if ((json_is_object(value) || json_is_array(value)) &&
		    measure(value, child_len, 1, child_indexed, size, src, diags) != 0)
			return -1;
	}
	return 0;
}

/* Fills the string value and its numeric and boolean views. */
static skr_status set_string(skr_arena *arena, json_t *json, skr_claim_value *value)
{
	size_t len = json_string_length(json);
	char *copy = skr_arena_strndup(arena, json_string_value(json), len);
	if (!copy)
		return SKR_E_NOMEM;
	value->type = SKR_TYPE_STRING;
	value->str = copy;
	value->len = (uint32_t)len; /* below 4 GiB: skr_claims_parse checks the input size */

	skr_claims_set_string_views(value);
	return SKR_OK;
}

static skr_status set_value(skr_arena *arena, json_t *json, skr_claim_value *value)
{
	memset(value, 0, sizeof *value);
	switch (json_typeof(json)) {
	case JSON_OBJECT:
		value->type = SKR_TYPE_OBJECT;
		break;
	case JSON_ARRAY:
		value->type = SKR_TYPE_ARRAY;
		break;
	case JSON_STRING:
		return set_string(arena, json, value);
	case JSON_INTEGER:
		value->type = SKR_TYPE_INT;
		value->num = SKR_NUM_INT;
		value->n.i = (int64_t)json_integer_value(json);
		break;
	case JSON_REAL:
		value->type = SKR_TYPE_DOUBLE;
		value->num = SKR_NUM_DOUBLE;
		value->n.d = json_real_value(json);
		break;
	case JSON_TRUE:
		value->type = SKR_TYPE_TRUE;
		value->boolean = SKR_BOOL_TRUE;
		break;
	case JSON_FALSE:
		value->type = SKR_TYPE_FALSE;
		value->boolean = SKR_BOOL_FALSE;
		break;
	case JSON_NULL:
		value->type = SKR_TYPE_NULL;
		break;
	}
	return SKR_OK;
}

/* Adds a node for every indexed member of object, whose own path is
 * parent_path (nested) or the root (!nested). Paths are written one after
 * another into the block at *path_store, each followed by a NUL that
 * path_len does not count. */
static skr_status add_members(skr_claims *claims, json_t *object, const char *parent_path,
                              size_t parent_len, int nested, char **path_store)
{
	for (void *it = json_object_iter(object); it; it = json_object_iter_next(object, it)) {
		const char *name = json_object_iter_key(it);
		size_t name_len = json_object_iter_key_len(it);
		json_t *json = json_object_iter_value(it);

		/* A dotted path never reaches this member or anything below it. */
		if (memchr(name, '.', name_len) != NULL)
			continue;

		char *path = *path_store;
		size_t len = 0;
		if (nested) {
			memcpy(path, parent_path, parent_len);
			path[parent_len] = '.';
			len = parent_len + 1;
		}
		memcpy(path + len, name, name_len);
		len += name_len;
		path[len] = '\0';
		*path_store = path + len + 1;

		skr_claim_node *node = &claims->nodes[claims->count++];
		node->id = skr_claim_id(path, len);
		node->path = path;
		node->path_len = (uint32_t)len;
		skr_status status = set_value(&claims->arena, json, &node->value);
		if (status != SKR_OK)
			return status;
		/* Only the top-level member has the path "iss": nested paths contain a '.'. */
		if (len == 3 && memcmp(path, "iss", 3) == 0 &&
		    node->value.type == SKR_TYPE_STRING)
			claims->iss = node;

		if (json_is_object(json)) {
			status = add_members(claims, json, path, len, 1, path_store);
			if (status != SKR_OK)
				return status;
		}
	}
	return SKR_OK;
}

/* Builds the index of a parsed claims object into claims. */
static skr_status build_index(skr_claims *claims, json_t *root, const index_size *size)
{
	if (size->nodes > 0) {
		claims->nodes = skr_arena_alloc(&claims->arena, size->nodes * sizeof *claims->nodes);
		char *path_store = skr_arena_alloc(&claims->arena, size->path_bytes);
		if (!claims->nodes || !path_store)
			return SKR_E_NOMEM;
		skr_status status = add_members(claims, root, NULL, 0, 0, &path_store);
		if (status != SKR_OK)
			return status;
	}

	return skr_claims_build_table(claims);
}

/* ---- entry point -------------------------------------------------------- */

skr_status skr_claims_parse_reference(const char *json, size_t len, const skr_limits *limits,
                                      skr_diags *diags, skr_claims **out)
{
	skr_limits defaults;
	skr_status checked = skr_claims_check_input(&json, len, &limits, &defaults, SKR_CLAIMS_DOCUMENT, diags,
	                                            out);
	if (checked != SKR_OK)
		return checked;
	skr_source src = { json, len };

	json_error_t error;
	json_t *root = json_loadb(json, len, CLAIMS_JSON_FLAGS, &error);
	if (!root)
		return report_json_error(&error, &src, limits, diags);

	skr_status status = SKR_E_CLAIMS;
	skr_claims *claims = NULL;
	index_size size = { 0, 0 };

	if (!json_is_object(root)) {
		report_not_object(root, &src, diags);
		goto done;
	}
	if (check_limits(&src, limits, diags) != 0)
		goto done;
	if (measure(root, 0, 0, 1, &size, &src, diags) != 0)
		goto done;

	claims = skr_claims_new();
	if (!claims) {
		status = SKR_E_NOMEM;
		goto done;
	}
	status = build_index(claims, root, &size);

done:
	json_decref(root);
	if (status == SKR_E_NOMEM)
		skr_diag_add(diags, &src, SKR_SEV_ERROR, "out-of-memory", 0, 0,
		             "out of memory while building the claims index");
	if (status != SKR_OK) {
		skr_claims_free(claims);
		return status;
	}
	*out = claims;
	return SKR_OK;
}
