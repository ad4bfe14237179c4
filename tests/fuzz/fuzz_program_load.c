/*
 * Fuzz target: the program loader and verifier on arbitrary bytes. Each
 * input is loaded twice: as it is, and with the header's length and
 * checksum fields rewritten to fit it, so that random bytes get past the
 * checksum and reach the table decoder and the verifier. Every accepted
 * program is then listed and run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "skr.h"
#include "support.h"

/* Loads an image and checks the outcome; runs an accepted program. */
static void load_checked(const uint8_t *image, size_t len)
{
	skr_diags diags;
	skr_program *program = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_program_load(image, len, &diags, &program);
	fz_check_diags(&diags, status, NULL, 0);
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_PROGRAM || status == SKR_E_NOMEM,
	         "skr_program_load returned %s", skr_status_name(status));
	if (status != SKR_OK) {
		FZ_CHECK(program == NULL, "a rejected program was returned");
		return;
	}
	FZ_CHECK(len >= SKR_HEADER_SIZE && memcmp(image, SKR_MAGIC, 4) == 0,
	         "accepted a %zu-byte image without a header", len);
	FZ_CHECK(skr_rd32(image + 8) == len, "accepted an image whose length field is %u, not %zu",
	         skr_rd32(image + 8), len);
	FZ_CHECK(skr_rd32(image + 12) == skr_image_checksum(image, len),
	         "accepted an image with a wrong checksum");
	fz_exercise_program(program);
	skr_program_free(program);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load_checked(data, size);
	if (size < 16)
		return 0;
	uint8_t *fixed = malloc(size);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	skr_wr32(fixed + 8, (uint32_t)size);
	skr_wr32(fixed + 12, skr_image_checksum(fixed, size));
	load_checked(fixed, size);
	free(fixed);
	return 0;
}
