/*
 * A loaded program: the verified image decoded into native tables. The
 * interpreter relies on what skr_program_load proved (see verify.c): every
 * opcode is known, every operand is in range, every jump lands on an
 * instruction boundary ahead of it inside its entry, and the code ends with
 * DENY. It performs no checks of its own.
 */
#ifndef SKR_PROGRAM_H
#define SKR_PROGRAM_H

#include <stdint.h>

#include "bytecode.h"
#include "skr.h"

typedef struct skr_prog_string {
	const char *text;
	uint32_t len;
} skr_prog_string;

typedef struct skr_prog_claim {
	uint64_t id;
	const char *path;
	uint32_t len;
} skr_prog_claim;

typedef struct skr_prog_const {
	uint8_t kind;        /* SKR_CONST_* */
	uint8_t num;         /* SKR_NUM_* */
	uint8_t boolean;     /* 0 or 1 */
	uint32_t len;
	const char *str;
	union {
		int64_t i;
		double d;
	} n;
} skr_prog_const;

struct skr_program {
	uint8_t *image;              /* owned copy of the verified image */
	size_t image_len;
	uint32_t checksum;
	const uint8_t *code;
	uint32_t code_len;
	skr_prog_string *authorities;
	uint32_t authority_count;
	skr_prog_claim *claims;
	uint32_t claim_count;
	skr_prog_const *consts;
	uint32_t const_count;
	uint16_t *entry_authority;   /* authority index of each entry */
	uint32_t *entry_offset;      /* code offset of each entry's AUTH */
	uint32_t entry_count;
};

/* Checks the code of a decoded program. Returns SKR_OK or SKR_E_PROGRAM
 * with a diagnostic naming the code offset. Fills entry_authority and
 * entry_offset (allocated by the caller with entry_count elements). */
skr_status skr_verify_code(struct skr_program *program, skr_diags *diags);

#endif
