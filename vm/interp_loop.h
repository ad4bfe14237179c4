/*
 * Body of the interpreter, included twice by interp.c inside a function:
 * with VM_TRACING 1 in run_traced, and with VM_TRACING 0 (the hot path, no
 * trace code at all) in skr_evaluate itself. Clang does not inline a
 * function that takes the address of its labels, even when told to, so the
 * hot loop is written into its caller to save a call on every decision. The function
 * around it provides program, claims, issuer (an skr_authority_view *),
 * trace and result, and VM_RETURN leaves it.
 *
 * The program was verified at load (see program.h), so opcodes, operands
 * and jump targets are used without checks here.
 */
{
	const uint8_t *code = program->code;
	const uint8_t *pc = code;
	const skr_claim_value *acc = NULL;
	int matched = 0;
#if VM_TRACING
	uint32_t entry = 0;
	uint32_t acc_claim = 0;
#else
	(void)trace;
#endif

#if SKR_COMPUTED_GOTO
#define VM_LABEL_ADDRESS(name, format, konst, op, sense, test) &&L_##name,
	static const void *const labels[SKR_OPC_COUNT] = { SKR_OPCODES(VM_LABEL_ADDRESS) };
#undef VM_LABEL_ADDRESS
#define VM_CASE(name) L_##name:
#define VM_NEXT() goto *labels[*pc]
	VM_NEXT();
#else
#define VM_CASE(name) case SKR_OPC_##name:
#define VM_NEXT() continue
	for (;;) switch (*pc) {
#endif

	VM_CASE(AUTH) {
		uint16_t a = skr_rd16(pc + 3);
		const skr_prog_string *authority = &program->authorities[a];
		if (!skr_authority_matches(authority->text, authority->len, issuer)) {
#if VM_TRACING
			vm_trace_entry(trace, SKR_TRACE_SKIPPED, skr_rd16(pc + 1), authority);
#endif
			pc += 9 + skr_rd32(pc + 5);
			VM_NEXT();
		}
#if VM_TRACING
		entry = skr_rd16(pc + 1);
		vm_trace_entry(trace, SKR_TRACE_ENTRY, entry, authority);
#endif
		matched = 1;
		acc = NULL;
		pc += 9;
		VM_NEXT();
	}

	VM_CASE(LOAD) {
		const skr_prog_claim *claim = &program->claims[skr_rd32(pc + 1)];
		acc = skr_claims_find(claims, claim->id, claim->path, claim->len);
#if VM_TRACING
		acc_claim = skr_rd32(pc + 1);
#endif
		pc += 5;
		VM_NEXT();
	}

	VM_CASE(RELEASE) {
		result->decision = SKR_RELEASE;
		result->entry = skr_rd16(pc + 1);
		result->reason = "released";
		VM_RETURN;
	}

	VM_CASE(DENY) {
		result->decision = SKR_DENY;
		result->entry = -1;
		result->reason = matched ? "conditions_not_met" : "no_matching_authority";
		VM_RETURN;
	}

	VM_CASE(JMP) {
		pc += 5 + skr_rd32(pc + 1);
		VM_NEXT();
	}

/* One body per test opcode: evaluate the predicate on acc and the
 * constant, then jump when the result equals the opcode's sense. The jump
 * offset is always the last operand. */
#if VM_TRACING
#define VM_TRACE_TEST(opcode, k, held) \
	vm_trace_condition(trace, entry, &program->claims[acc_claim], opcode, k, acc, held)
#else
#define VM_TRACE_TEST(opcode, k, held) ((void)0)
#endif
#define VM_TEST(name, format, konst, op, sense, test)                       \
	VM_CASE(name) {                                                     \
		const skr_prog_const *k = (format) == SKR_FMT_KJ             \
			? &program->consts[skr_rd32(pc + 1)] : NULL;         \
		int held = vm_test_##test(acc, k);                           \
		VM_TRACE_TEST(SKR_OPC_##name, k, held);                      \
		pc += SKR_FMT_SIZE(format);                                  \
		if (held == (sense))                                         \
			pc += skr_rd32(pc - 4);                              \
		VM_NEXT();                                                   \
	}
	SKR_TEST_OPCODES(VM_TEST)
#undef VM_TEST
#undef VM_TRACE_TEST

#if !SKR_COMPUTED_GOTO
	}
#endif
#undef VM_CASE
#undef VM_NEXT
}
