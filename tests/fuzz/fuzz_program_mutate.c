/*
 * Fuzz target: the verifier on mutants of valid programs. Seed programs
 * are compiled once from policies that use every opcode, every constant
 * kind and several authorities, and from the example policies. The input
 * picks a seed and then a sequence of edits (byte writes, 32-bit writes of
 * boundary values, bit flips, insertions, deletions, block copies). The
 * length field (unless the second input byte is odd) and the checksum are
 * then rewritten so that the mutant reaches the verifier. The verifier must
 * reject a mutant cleanly or accept one that then runs without incident.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "skr.h"
#include "support.h"

#define MAX_SEEDS 16
#define MAX_IMAGE (1u << 16)

/* The shared all-operators policy, then a DSL policy with a block of two
 * authorities and nested groups. */
static const char *const seed_dsl =
	"version 1.0.0\n"
	"authority \"https://one.skr.example\", \"https://two.skr.example\" {\n"
	"    x-ms-compliance-status == \"azure-compliant-cvm\"\n"
	"    any {\n"
	"        x-ms-sevsnpvm-guestsvn >= 3\n"
	"        not exists x-ms-sevsnpvm-hostdata\n"
	"        all { a.b == 1; a.c != \"x\" }\n"
	"    }\n"
	"}\n";

static const char *const seed_files[] = {
	"examples/policies/cvm-guest.json",
	"examples/policies/cvm-platform.json",
	"examples/policies/sgx-enclave.json",
};

static skr_buffer seeds[MAX_SEEDS];
static size_t seed_count;

static void add_seed(const char *src, size_t len)
{
	if (seed_count == MAX_SEEDS)
		return;
	skr_buffer image = { NULL, 0 };
	if (fz_compile_checked(src, len, SKR_SYNTAX_AUTO, NULL, NULL, &image, NULL) != SKR_OK)
		fz_fail("seed policy does not compile: %.60s", src);
	seeds[seed_count++] = image;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	add_seed(fz_all_operators_policy, strlen(fz_all_operators_policy));
	add_seed(seed_dsl, strlen(seed_dsl));
	for (size_t i = 0; i < sizeof seed_files / sizeof seed_files[0]; i++) {
		size_t len = 0;
		char *text = fz_read_repo_file(seed_files[i], &len);
		add_seed(text, len);
		free(text);
	}
	return 0;
}

/* Values that sit on the edges of counts, offsets and lengths. */
static uint32_t boundary_value(fz_reader *r, size_t len)
{
	static const uint32_t table[] = {
		0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 23, 24, 47, 48, 0x7f, 0x80, 0xff, 0x100, 0xfffe, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffe, 0xffffffff,
	};
	uint32_t pick = fz_u8(r);
	if (pick < sizeof table / sizeof table[0])
		return table[pick];
	if (pick < 64)
		return (uint32_t)len - (pick - 32);
	return fz_u32(r);
}

/* Applies one edit chosen by the input to image (of *len bytes, room for
 * MAX_IMAGE). */
static void edit(fz_reader *r, uint8_t *image, size_t *len)
{
	uint8_t op = fz_u8(r) % 7;
	size_t at = *len ? fz_below(r, (uint32_t)*len) : 0;
	switch (op) {
	case 0:
		if (*len)
			image[at] = fz_u8(r);
		break;
	case 1:
		if (*len >= 4) {
			at = at > *len - 4 ? *len - 4 : at;
			skr_wr32(image + at, boundary_value(r, *len));
		}
		break;
	case 2:
		if (*len)
			image[at] ^= (uint8_t)(1u << (fz_u8(r) & 7));
		break;
	case 3: {
		size_t n = 1 + fz_u8(r) % 16;
		if (*len + n > MAX_IMAGE)
			break;
		memmove(image + at + n, image + at, *len - at);
		for (size_t i = 0; i < n; i++)
			image[at + i] = fz_u8(r);
		*len += n;
		break;
	}
	case 4: {
		size_t n = 1 + fz_u8(r) % 16;
		if (n > *len - at)
			n = *len - at;
		memmove(image + at, image + at + n, *len - at - n);
		*len -= n;
		break;
	}
	case 5: {
		size_t from = *len ? fz_below(r, (uint32_t)*len) : 0;
		size_t n = 1 + fz_u8(r) % 32;
		if (n > *len - from)
			n = *len - from;
		if (n > *len - at)
			n = *len - at;
		memmove(image + at, image + from, n);
		break;
	}
	default:
		if (*len)
			*len = at;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_reader r;
	fz_reader_init(&r, data, size);
	const skr_buffer *seed = &seeds[fz_u8(&r) % seed_count];
	uint8_t flags = fz_u8(&r);

	uint8_t *image = malloc(MAX_IMAGE);
	if (!image)
		return 0;
	size_t len = seed->len;
	memcpy(image, seed->data, len);
	unsigned edits = 0;
	while (fz_remaining(&r) > 0 && edits++ < 64)
		edit(&r, image, &len);
	if (len >= 12 && !(flags & 1))
		skr_wr32(image + 8, (uint32_t)len);
	if (len >= 16)
		skr_wr32(image + 12, skr_image_checksum(image, len));

	skr_diags diags;
	skr_program *program = NULL;
	skr_diags_init(&diags);
	skr_status status = skr_program_load(image, len, &diags, &program);
	fz_check_diags(&diags, status, NULL, 0);
	skr_diags_free(&diags);
	FZ_CHECK(status == SKR_OK || status == SKR_E_PROGRAM || status == SKR_E_NOMEM,
	         "skr_program_load returned %s", skr_status_name(status));
	if (program)
		fz_exercise_program(program);
	skr_program_free(program);
	free(image);
	return 0;
}
