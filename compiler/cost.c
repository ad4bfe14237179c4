/*
 * Static cost of a program (longest paths through its bytecode) and the
 * measured cost of one evaluation (its path replayed from a trace).
 *
 * Both walks rely on what skr_program_load proved (see vm/program.h): every
 * opcode is known, jumps land on instruction boundaries ahead of them and
 * inside their entry, and the code ends with DENY.
 */
#include <stdlib.h>
#include <string.h>

#include "program.h"

/* Longest-path tables, indexed by code offset; only instruction starts are
 * filled. */
typedef struct cost_tables {
	uint32_t *instructions;  /* most instructions from here to the end of the decision */
	uint32_t *loads;         /* most LOADs from here to the end of the decision */
} cost_tables;

/* Jump target of the instruction at pc, whose operands end with a u32
 * forward offset counted from the end of the instruction. */
static uint32_t jump_target(const uint8_t *code, uint32_t pc, uint8_t size)
{
	return pc + size + skr_rd32(code + pc + size - 4);
}

/* Fills the start of each instruction into starts (in code order) and
 * returns their number. */
static uint32_t list_instructions(const skr_program *program, uint32_t *starts)
{
	uint32_t n = 0;
	for (uint32_t pc = 0; pc < program->code_len; pc += skr_opcode_table[program->code[pc]].size)
		starts[n++] = pc;
	return n;
}

/* How an AUTH instruction may leave: 1 into its entry, 2 over it, 3 either. */
enum { WAY_ENTER = 1, WAY_SKIP = 2, WAY_BOTH = 3 };

/* Longest paths from every instruction to the end of the decision, in one
 * pass from the last instruction back to the first: the successors of an
 * instruction lie ahead of it, so their values are final when it is
 * reached. auth_ways gives each entry's ways out of its AUTH. */
static void longest_paths(const skr_program *program, const uint32_t *starts, uint32_t n,
                          const uint8_t *auth_ways, cost_tables *t)
{
	const uint8_t *code = program->code;
	for (uint32_t k = n; k-- > 0;) {
		uint32_t pc = starts[k];
		const skr_opcode_info *info = &skr_opcode_table[code[pc]];
		uint32_t best_instructions = 0;
		uint32_t best_loads = 0;
		uint32_t next[2];
		int ways = 0;

		switch (code[pc]) {
		case SKR_OPC_RELEASE:
		case SKR_OPC_DENY:
			break;
		case SKR_OPC_AUTH: {
			uint8_t way = auth_ways[skr_rd16(code + pc + 1)];
			if (way & WAY_ENTER)
				next[ways++] = pc + info->size;
			if (way & WAY_SKIP)
				next[ways++] = jump_target(code, pc, info->size);
			break;
		}
		case SKR_OPC_LOAD:
			next[ways++] = pc + info->size;
			break;
		case SKR_OPC_JMP:
			next[ways++] = jump_target(code, pc, info->size);
			break;
		default:
			/* A test falls through or jumps; either may happen. */
			next[ways++] = pc + info->size;
			next[ways++] = jump_target(code, pc, info->size);
			break;
		}
		for (int w = 0; w < ways; w++) {
			if (t->instructions[next[w]] > best_instructions)
				best_instructions = t->instructions[next[w]];
			if (t->loads[next[w]] > best_loads)
				best_loads = t->loads[next[w]];
		}
		t->instructions[pc] = 1 + best_instructions;
		t->loads[pc] = (code[pc] == SKR_OPC_LOAD) + best_loads;
	}
}

/* Longest path inside each entry, from its AUTH (entered) to its RELEASE or
 * to the next entry's AUTH, which is not counted. Reuses the tables, so it
 * runs after the whole-program figures have been read. */
static uint32_t longest_entry_path(const skr_program *program, const uint32_t *starts,
                                   uint32_t n, cost_tables *t)
{
	const uint8_t *code = program->code;
	uint32_t longest = 0;
	uint32_t region_end = program->code_len - 1;  /* the final DENY */

	for (uint32_t k = n; k-- > 0;) {
		uint32_t pc = starts[k];
		const skr_opcode_info *info = &skr_opcode_table[code[pc]];
		uint32_t best = 0;

		if (code[pc] == SKR_OPC_DENY) {
			t->instructions[pc] = 0;
			continue;
		}
		if (code[pc] == SKR_OPC_AUTH) {
			uint32_t inside = t->instructions[pc + info->size];
			if (1 + inside > longest)
				longest = 1 + inside;
			/* The entry ahead of this one is a region end for the walk
			 * of the entry before. */
			t->instructions[pc] = 0;
			region_end = pc;
			continue;
		}
		uint32_t next[2];
		int ways = 0;
		if (code[pc] == SKR_OPC_LOAD) {
			next[ways++] = pc + info->size;
		} else if (code[pc] == SKR_OPC_JMP) {
			next[ways++] = jump_target(code, pc, info->size);
		} else if (code[pc] != SKR_OPC_RELEASE) {
			next[ways++] = pc + info->size;
			next[ways++] = jump_target(code, pc, info->size);
		}
		for (int w = 0; w < ways; w++) {
			uint32_t v = next[w] >= region_end ? 0 : t->instructions[next[w]];
			if (v > best)
				best = v;
		}
		t->instructions[pc] = 1 + best;
	}
	return longest;
}

/* Shared body of the two cost functions. auth_ways NULL means every AUTH
 * may go either way. */
static skr_status compute_cost(const skr_program *program, const uint8_t *auth_ways,
                               skr_cost *cost)
{
	skr_status status = SKR_E_NOMEM;
	cost_tables t = { NULL, NULL };
	uint8_t *both = NULL;
	uint32_t *starts = calloc(program->code_len, sizeof *starts);

	t.instructions = calloc(program->code_len, sizeof *t.instructions);
	t.loads = calloc(program->code_len, sizeof *t.loads);
	if (auth_ways == NULL) {
		both = malloc(program->entry_count > 0 ? program->entry_count : 1);
		if (both != NULL)
			memset(both, WAY_BOTH, program->entry_count);
		auth_ways = both;
	}
	if (starts == NULL || t.instructions == NULL || t.loads == NULL || auth_ways == NULL)
		goto done;

	memset(cost, 0, sizeof *cost);
	uint32_t n = list_instructions(program, starts);
	for (uint32_t k = 0; k < n; k++)
		cost->conditions += skr_opcode_table[program->code[starts[k]]].sense != SKR_SENSE_NONE;
	cost->entries = program->entry_count;
	cost->code_bytes = program->code_len;
	cost->bytecode_bytes = (uint32_t)program->image_len;

	longest_paths(program, starts, n, auth_ways, &t);
	cost->instructions = t.instructions[0];
	cost->claim_loads = t.loads[0];
	cost->longest_path = longest_entry_path(program, starts, n, &t);
	status = SKR_OK;

done:
	free(starts);
	free(t.instructions);
	free(t.loads);
	free(both);
	return status;
}

skr_status skr_program_cost(const skr_program *program, skr_cost *cost)
{
	if (program == NULL || cost == NULL)
		return SKR_E_USAGE;
	return compute_cost(program, NULL, cost);
}

skr_status skr_program_cost_for_issuer(const skr_program *program, const char *issuer,
                                       size_t issuer_len, skr_cost *cost)
{
	if (program == NULL || cost == NULL || (issuer == NULL && issuer_len > 0))
		return SKR_E_USAGE;

	uint8_t *ways = malloc(program->entry_count > 0 ? program->entry_count : 1);
	if (ways == NULL)
		return SKR_E_NOMEM;
	/* The same match the interpreter makes at each AUTH. */
	skr_authority_view view;
	skr_authority_view_init(&view, issuer != NULL ? issuer : "", issuer_len);
	for (uint32_t e = 0; e < program->entry_count; e++) {
		const skr_prog_string *a = &program->authorities[program->entry_authority[e]];
		ways[e] = skr_authority_matches(a->text, a->len, &view) ? WAY_ENTER : WAY_SKIP;
	}
	skr_status status = compute_cost(program, ways, cost);
	free(ways);
	return status;
}

skr_status skr_trace_cost(const skr_program *program, const skr_trace *trace,
                          skr_run_cost *out)
{
	if (program == NULL || trace == NULL || out == NULL || trace->dropped > 0 ||
	    (trace->count > 0 && trace->events == NULL))
		return SKR_E_USAGE;

	const uint8_t *code = program->code;
	size_t next_event = 0;
	uint32_t pc = 0;
	memset(out, 0, sizeof *out);

	for (;;) {
		uint8_t opc = code[pc];
		const skr_opcode_info *info = &skr_opcode_table[opc];
		out->instructions++;

		if (opc == SKR_OPC_RELEASE || opc == SKR_OPC_DENY)
			break;
		if (opc == SKR_OPC_LOAD) {
			out->claim_loads++;
			pc += info->size;
			continue;
		}
		if (opc == SKR_OPC_JMP) {
			pc = jump_target(code, pc, info->size);
			continue;
		}

		/* AUTH and the tests each left one event. */
		if (next_event >= trace->count)
			return SKR_E_USAGE;
		const skr_trace_event *event = &trace->events[next_event++];
		if (opc == SKR_OPC_AUTH) {
			if (event->entry != skr_rd16(code + pc + 1) || event->kind == SKR_TRACE_CONDITION)
				return SKR_E_USAGE;
			if (event->kind == SKR_TRACE_ENTRY) {
				out->entries++;
				pc += info->size;
			} else {
				pc = jump_target(code, pc, info->size);
			}
			continue;
		}
		if (event->kind != SKR_TRACE_CONDITION || (skr_operator)info->op != event->op)
			return SKR_E_USAGE;
		out->conditions++;
		int held = event->held != 0;
		pc = held == info->sense ? jump_target(code, pc, info->size) : pc + info->size;
	}
	return next_event == trace->count ? SKR_OK : SKR_E_USAGE;
}
