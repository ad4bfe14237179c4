/*
 * Fuzz target: the policy checker and linter (skr_check_policy). The first
 * input byte picks the syntax (even: JSON, odd: DSL) and the rest is the
 * policy. skr_check_policy must accept exactly the policies skr_compile
 * accepts, report errors only for invalid ones, and never crash on the
 * warnings it computes.
 */
#include <stdint.h>

#include "skr.h"
#include "support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	skr_syntax syntax = (data[0] & 1) ? SKR_SYNTAX_DSL : SKR_SYNTAX_JSON;
	const char *src = (const char *)data + 1;
	size_t len = size - 1;

	skr_diags diags;
	skr_diags_init(&diags);
	skr_status checked = skr_check_policy(src, len, syntax, NULL, &diags);
	fz_check_diags(&diags, checked, src, len);
	skr_diags_free(&diags);
	FZ_CHECK(checked == SKR_OK || checked == SKR_E_POLICY || checked == SKR_E_NOMEM,
	         "skr_check_policy returned %s", skr_status_name(checked));

	skr_buffer image = { 0, 0 };
	skr_status compiled = skr_compile(src, len, syntax, NULL, NULL, &image);
	skr_buffer_free(&image);
	if (checked != SKR_E_NOMEM && compiled != SKR_E_NOMEM)
		FZ_CHECK((checked == SKR_OK) == (compiled == SKR_OK), "skr_check_policy %s, skr_compile %s",
		         skr_status_name(checked), skr_status_name(compiled));
	return 0;
}
