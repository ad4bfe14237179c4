/*
 * The verifier: proves the properties the interpreter relies on, for any
 * input bytes. It accepts a program only after checking every instruction:
 *   - the code starts with AUTH 0, entries are numbered 0, 1, 2, ... in
 *     order, and their count matches the header;
 *   - every opcode is known and its operands fit in the code;
 *   - authority, claim and constant indexes are in range, and a constant
 *     has the kind its opcode needs;
 *   - RELEASE names the entry it belongs to;
 *   - every jump goes forward to an instruction boundary no further than
 *     the end of its entry, and AUTH's skip lands exactly there;
 *   - no entry falls through into the next one: its last instruction is
 *     RELEASE or JMP;
 *   - the code ends with DENY, which appears nowhere else.
 */
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "util.h"

#define VERIFY_ERROR(diags, pc, ...) \
	skr_diag_add((diags), NULL, SKR_SEV_ERROR, "program-verify", (pc), 0, __VA_ARGS__)

typedef struct verifier {
	skr_program *program;
	skr_diags *diags;
	uint8_t *is_start;      /* 1 at the first byte of each instruction */
	uint32_t *region_end;   /* for each entry, the offset of the next AUTH or DENY */
	uint32_t entries;       /* AUTH instructions seen */
	uint32_t deny_at;
} verifier;

/* Pass 1: decode every instruction, check operands that need no layout
 * knowledge, and record where each entry starts. */
static skr_status decode_pass(verifier *v)
{
	const skr_program *p = v->program;
	const uint8_t *code = p->code;
	uint32_t pc = 0;
	int deny_seen = 0;
	while (pc < p->code_len) {
		if (deny_seen) {
			VERIFY_ERROR(v->diags, pc, "instruction after the final DENY at code offset %u", pc);
			return SKR_E_PROGRAM;
		}
		uint8_t opc = code[pc];
		if (opc >= SKR_OPC_COUNT) {
			VERIFY_ERROR(v->diags, pc, "unknown opcode 0x%02x at code offset %u", opc, pc);
			return SKR_E_PROGRAM;
		}
		const skr_opcode_info *info = &skr_opcode_table[opc];
		if (info->size > p->code_len - pc) {
			VERIFY_ERROR(v->diags, pc, "%s at code offset %u runs past the end of the code",
			             info->name, pc);
			return SKR_E_PROGRAM;
		}
		if (pc == 0 && opc != SKR_OPC_AUTH) {
			VERIFY_ERROR(v->diags, pc, "code must start with AUTH, found %s", info->name);
			return SKR_E_PROGRAM;
		}
		v->is_start[pc] = 1;
		const uint8_t *ops = code + pc + 1;
		switch (info->format) {
		case SKR_FMT_EAJ: {
			uint16_t entry = skr_rd16(ops);
			uint16_t authority = skr_rd16(ops + 2);
			if (entry != v->entries || v->entries >= p->entry_count) {
				VERIFY_ERROR(v->diags, pc, "AUTH at code offset %u has entry %u, expected %u of %u",
				             pc, entry, v->entries, p->entry_count);
				return SKR_E_PROGRAM;
			}
			if (authority >= p->authority_count) {
				VERIFY_ERROR(v->diags, pc, "AUTH at code offset %u names authority %u of %u",
				             pc, authority, p->authority_count);
				return SKR_E_PROGRAM;
			}
			p->entry_authority[entry] = authority;
			p->entry_offset[entry] = pc;
			if (entry > 0)
				v->region_end[entry - 1] = pc;
			v->entries++;
			break;
		}
		case SKR_FMT_C:
			if (skr_rd32(ops) >= p->claim_count) {
				VERIFY_ERROR(v->diags, pc, "LOAD at code offset %u names claim %u of %u",
				             pc, skr_rd32(ops), p->claim_count);
				return SKR_E_PROGRAM;
			}
			break;
		case SKR_FMT_E:
			if (skr_rd16(ops) + 1u != v->entries) {
				VERIFY_ERROR(v->diags, pc, "RELEASE at code offset %u names entry %u inside entry %u",
				             pc, skr_rd16(ops), v->entries - 1);
				return SKR_E_PROGRAM;
			}
			break;
		case SKR_FMT_KJ: {
			uint32_t k = skr_rd32(ops);
			if (k >= p->const_count || p->consts[k].kind != info->konst) {
				VERIFY_ERROR(v->diags, pc, "%s at code offset %u needs a constant of kind %u; constant %u is not one",
				             info->name, pc, info->konst, k);
				return SKR_E_PROGRAM;
			}
			break;
		}
		default:
			break;
		}
		if (opc == SKR_OPC_DENY) {
			deny_seen = 1;
			v->deny_at = pc;
		}
		pc += info->size;
	}
	if (!deny_seen) {
		VERIFY_ERROR(v->diags, p->code_len, "code does not end with DENY");
		return SKR_E_PROGRAM;
	}
	if (v->entries != p->entry_count) {
		VERIFY_ERROR(v->diags, 0, "code holds %u entries but the header says %u",
		             v->entries, p->entry_count);
		return SKR_E_PROGRAM;
	}
	v->region_end[v->entries - 1] = v->deny_at;
	return SKR_OK;
}

/* Pass 2: check every jump against the entry it sits in, and that no entry
 * falls through into the next. */
static skr_status jump_pass(verifier *v)
{
	const skr_program *p = v->program;
	const uint8_t *code = p->code;
	uint32_t entry = 0;
	uint32_t pc = 0;
	uint8_t last = SKR_OPC_AUTH;
	while (pc < v->deny_at) {
		uint8_t opc = code[pc];
		const skr_opcode_info *info = &skr_opcode_table[opc];
		if (opc == SKR_OPC_AUTH) {
			entry = skr_rd16(code + pc + 1);
		}
		uint32_t end = pc + info->size;
		uint64_t target = 0;
		int jumps = 1;
		switch (info->format) {
		case SKR_FMT_EAJ: target = (uint64_t)end + skr_rd32(code + pc + 5); break;
		case SKR_FMT_J: target = (uint64_t)end + skr_rd32(code + pc + 1); break;
		case SKR_FMT_KJ: target = (uint64_t)end + skr_rd32(code + pc + 5); break;
		default: jumps = 0; break;
		}
		if (jumps) {
			uint32_t limit = v->region_end[entry];
			if (target > limit || !v->is_start[target]) {
				VERIFY_ERROR(v->diags, pc, "%s at code offset %u jumps to %llu, outside its entry or between instructions",
				             info->name, pc, (unsigned long long)target);
				return SKR_E_PROGRAM;
			}
			if (opc == SKR_OPC_AUTH && target != limit) {
				VERIFY_ERROR(v->diags, pc, "AUTH at code offset %u skips to %llu, not to the end of its entry at %u",
				             pc, (unsigned long long)target, limit);
				return SKR_E_PROGRAM;
			}
		}
		if (end == v->region_end[entry] && opc != SKR_OPC_RELEASE && opc != SKR_OPC_JMP) {
			VERIFY_ERROR(v->diags, pc, "entry %u ends with %s at code offset %u and would fall through; it must end with RELEASE or JMP",
			             entry, info->name, pc);
			return SKR_E_PROGRAM;
		}
		last = opc;
		pc = end;
	}
	(void)last;
	return SKR_OK;
}

skr_status skr_verify_code(skr_program *program, skr_diags *diags)
{
	verifier v = { program, diags, NULL, NULL, 0, 0 };
	v.is_start = calloc((size_t)program->code_len + 1, 1);
	v.region_end = calloc(program->entry_count, sizeof *v.region_end);
	skr_status status = SKR_E_NOMEM;
	if (!v.is_start || !v.region_end)
		goto done;
	status = decode_pass(&v);
	if (status == SKR_OK)
		status = jump_pass(&v);
done:
	free(v.is_start);
	free(v.region_end);
	return status;
}
