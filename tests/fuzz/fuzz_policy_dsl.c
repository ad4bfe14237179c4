/*
 * Fuzz target: the DSL policy front end. Each input is policy text given to
 * skr_compile as DSL. A compiled policy must load and run on claims built
 * from its own paths and constants.
 */
#include <stdint.h>

#include "skr.h"
#include "support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	skr_program *program = NULL;
	fz_compile_checked((const char *)data, size, SKR_SYNTAX_DSL, NULL, NULL, NULL, &program);
	if (program)
		fz_exercise_program(program);
	skr_program_free(program);
	return 0;
}
