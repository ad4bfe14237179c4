/*
 * Fuzz target: formatting and translation (skr_format). Each input is a
 * policy in either syntax (recognised as skr_compile's SKR_SYNTAX_AUTO
 * does). When it compiles, these texts must compile to the same bytes:
 * the policy formatted in its own syntax, formatted as JSON, formatted as
 * DSL, and its JSON form translated to DSL and back to JSON. Formatting
 * must also be a fixpoint: formatting a formatted text changes nothing,
 * and the JSON -> DSL -> JSON translation gives the JSON form back. When
 * the policy does not compile, skr_format must reject it too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skr.h"
#include "support.h"

static skr_limits roomy;  /* formatted text may be longer than the input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	skr_limits_init(&roomy);
	roomy.policy_bytes = 64u << 20;
	return 0;
}

/* Formats src and checks the status and diagnostics. */
static skr_status format_checked(const char *src, size_t len, skr_syntax from, skr_syntax to,
                                 skr_buffer *out)
{
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_format(src, len, from, to, &roomy, &diags, out);
	fz_check_diags(&diags, status, src, len);
	if (status == SKR_E_INTERNAL)
		fz_fail("skr_format reports that its output compiles differently: %s",
		        diags.count ? diags.items[diags.count - 1].message : "");
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_POLICY || status == SKR_E_NOMEM,
	         "skr_format returned %s", skr_status_name(status));
	if (status == SKR_OK)
		FZ_CHECK(out->len > 0 && out->data[out->len - 1] == '\n',
		         "formatted text does not end in a newline");
	return status;
}

/* Compiles text and compares the program with expected. */
static void same_program(const skr_buffer *text, skr_syntax syntax, const skr_buffer *expected,
                         const char *what)
{
	skr_buffer image = { NULL, 0 };
	skr_diags diags;
	skr_diags_init(&diags);
	skr_status status = skr_compile((const char *)text->data, text->len, syntax, &roomy, &diags,
	                                &image);
	if (status != SKR_OK)
		fz_fail("%s does not compile (%s):\n%.*s", what,
		        diags.count ? diags.items[0].message : skr_status_name(status), (int)text->len,
		        (const char *)text->data);
	FZ_CHECK(image.len == expected->len && memcmp(image.data, expected->data, image.len) == 0,
	         "%s compiles to another program:\n%.*s", what, (int)text->len,
	         (const char *)text->data);
	skr_diags_free(&diags);
	skr_buffer_free(&image);
}

static void same_text(const skr_buffer *a, const skr_buffer *b, const char *what)
{
	FZ_CHECK(a->len == b->len && memcmp(a->data, b->data, a->len) == 0,
	         "%s differs:\n--- first\n%.*s--- second\n%.*s", what, (int)a->len,
	         (const char *)a->data, (int)b->len, (const char *)b->data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	skr_buffer program = { NULL, 0 };
	skr_buffer own = { NULL, 0 };
	skr_buffer json = { NULL, 0 };
	skr_buffer dsl = { NULL, 0 };
	skr_buffer again = { NULL, 0 };
	skr_buffer dsl_of_json = { NULL, 0 };
	skr_buffer json_of_dsl = { NULL, 0 };

	skr_status compiled = skr_compile(src, size, SKR_SYNTAX_AUTO, NULL, NULL, &program);
	skr_status formatted = format_checked(src, size, SKR_SYNTAX_AUTO, SKR_SYNTAX_AUTO, &own);
	if (compiled == SKR_E_NOMEM || formatted == SKR_E_NOMEM)
		goto done;
	FZ_CHECK((compiled == SKR_OK) == (formatted == SKR_OK), "skr_compile %s, skr_format %s",
	         skr_status_name(compiled), skr_status_name(formatted));
	if (compiled != SKR_OK)
		goto done;

	same_program(&own, SKR_SYNTAX_AUTO, &program, "the formatted policy");
	if (format_checked((const char *)own.data, own.len, SKR_SYNTAX_AUTO, SKR_SYNTAX_AUTO,
	                   &again) == SKR_OK)
		same_text(&own, &again, "formatting the formatted policy");

	if (format_checked(src, size, SKR_SYNTAX_AUTO, SKR_SYNTAX_JSON, &json) != SKR_OK)
		fz_fail("a policy that compiles does not format as JSON");
	same_program(&json, SKR_SYNTAX_JSON, &program, "the JSON form");
	if (format_checked(src, size, SKR_SYNTAX_AUTO, SKR_SYNTAX_DSL, &dsl) != SKR_OK)
		fz_fail("a policy that compiles does not format as DSL");
	same_program(&dsl, SKR_SYNTAX_DSL, &program, "the DSL form");

	if (format_checked((const char *)json.data, json.len, SKR_SYNTAX_JSON, SKR_SYNTAX_DSL,
	                   &dsl_of_json) != SKR_OK)
		fz_fail("the JSON form does not translate to DSL");
	same_program(&dsl_of_json, SKR_SYNTAX_DSL, &program, "the DSL of the JSON form");
	if (format_checked((const char *)dsl_of_json.data, dsl_of_json.len, SKR_SYNTAX_DSL,
	                   SKR_SYNTAX_JSON, &json_of_dsl) != SKR_OK)
		fz_fail("the DSL of the JSON form does not translate back to JSON");
	same_program(&json_of_dsl, SKR_SYNTAX_JSON, &program, "JSON -> DSL -> JSON");
	same_text(&json, &json_of_dsl, "JSON -> DSL -> JSON");

done:
	skr_buffer_free(&program);
	skr_buffer_free(&own);
	skr_buffer_free(&json);
	skr_buffer_free(&dsl);
	skr_buffer_free(&again);
	skr_buffer_free(&dsl_of_json);
	skr_buffer_free(&json_of_dsl);
	return 0;
}
