/*
 * Disassembler: a listing of a verified program, one instruction per line,
 * with claim paths, constants and jump targets written out.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "program.h"
#include "util.h"

typedef struct text {
	char *data;
	size_t len;
	size_t cap;
	int failed;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->cap - t->len < n + 1) {
		size_t cap = t->cap ? t->cap : 1024;
		while (cap - t->len < n + 1)
			cap *= 2;
		char *data = realloc(t->data, cap);
		if (!data) {
			t->failed = 1;
			return;
		}
		t->data = data;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

static void putf(text *t, const char *fmt, ...) SKR_PRINTF(2, 3);
static void putf(text *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put(t, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Writes bytes as a JSON string literal, escaping what a terminal should
 * not see raw. */
static void put_quoted(text *t, const char *s, size_t len)
{
	put(t, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			char esc[2] = { '\\', (char)ch };
			put(t, esc, 2);
		} else if (ch < 0x20 || ch == 0x7F) {
			putf(t, "\\u%04x", ch);
		} else {
			put(t, (const char *)&s[i], 1);
		}
	}
	put(t, "\"", 1);
}

static void put_const(text *t, const skr_prog_const *k)
{
	switch (k->kind) {
	case SKR_CONST_STR:
	case SKR_CONST_NUMSTR:
	case SKR_CONST_BOOLSTR:
		put_quoted(t, k->str, k->len);
		break;
	case SKR_CONST_INT:
		putf(t, "%" PRId64, k->n.i);
		break;
	case SKR_CONST_DBL: {
		char number[40];
		skr_format_double(k->n.d, number, sizeof number);
		putf(t, "%s", number);
		break;
	}
	default:
		put(t, k->boolean ? "true" : "false", k->boolean ? 4 : 5);
		break;
	}
}

static void put_instruction(text *t, const skr_program *p, uint32_t pc)
{
	const uint8_t *ins = p->code + pc;
	const skr_opcode_info *info = &skr_opcode_table[ins[0]];
	if (info->format == SKR_FMT_NONE) {
		putf(t, "  %04x  %s\n", pc, info->name);
		return;
	}
	putf(t, "  %04x  %-14s", pc, info->name);
	switch (info->format) {
	case SKR_FMT_EAJ: {
		const skr_prog_string *a = &p->authorities[skr_rd16(ins + 3)];
		putf(t, "entry %u, else -> %04x  ", skr_rd16(ins + 1), pc + 9 + skr_rd32(ins + 5));
		put_quoted(t, a->text, a->len);
		break;
	}
	case SKR_FMT_C: {
		const skr_prog_claim *c = &p->claims[skr_rd32(ins + 1)];
		put_quoted(t, c->path, c->len);
		break;
	}
	case SKR_FMT_E:
		putf(t, "entry %u", skr_rd16(ins + 1));
		break;
	case SKR_FMT_J:
		putf(t, "-> %04x", pc + 5 + skr_rd32(ins + 1));
		break;
	case SKR_FMT_KJ:
		put_const(t, &p->consts[skr_rd32(ins + 1)]);
		putf(t, "  -> %04x", pc + 9 + skr_rd32(ins + 5));
		break;
	default:
		break;
	}
	put(t, "\n", 1);
}

skr_status skr_program_disasm(const skr_program *program, skr_buffer *out)
{
	if (!program || !out)
		return SKR_E_USAGE;
	text t = { NULL, 0, 0, 0 };
	putf(&t, "; skr program, format %u, %zu bytes, checksum %08x\n", SKR_BYTECODE_VERSION,
	     program->image_len, program->checksum);
	putf(&t, "; %u entries, %u authorities, %u claims, %u constants, %u bytes of code\n",
	     program->entry_count, program->authority_count, program->claim_count,
	     program->const_count, program->code_len);
	putf(&t, "; tests fall through when their result is the opposite of the jump: _JF jumps when false, _JT when true\n");
	uint32_t pc = 0;
	while (pc < program->code_len) {
		uint8_t opc = program->code[pc];
		if (opc == SKR_OPC_AUTH)
			putf(&t, "\nentry %u:\n", skr_rd16(program->code + pc + 1));
		put_instruction(&t, program, pc);
		pc += skr_opcode_table[opc].size;
	}
	if (t.failed) {
		free(t.data);
		return SKR_E_NOMEM;
	}
	out->data = (uint8_t *)t.data;
	out->len = t.len;
	return SKR_OK;
}
