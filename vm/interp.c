/*
 * The interpreter. It allocates nothing, keeps no global state and writes
 * only to the caller's result and trace, so many threads may run one
 * program at once.
 */
#include <string.h>

#include "claims.h"
#include "program.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(SKR_NO_COMPUTED_GOTO)
#define SKR_COMPUTED_GOTO 1
#else
#define SKR_COMPUTED_GOTO 0
#endif

/* ---- test predicates -------------------------------------------------------
 * Each takes the accumulator (NULL when the claim is missing) and the
 * constant, and implements one row of the comparison rules of the policy
 * language: a pair that is not comparable makes equals and notEquals both
 * false. */

#define NOT_COMPARABLE 2

static inline int bytes_equal(const skr_claim_value *v, const skr_prog_const *k)
{
	return v->len == k->len && memcmp(v->str, k->str, k->len) == 0;
}

/* Compares the numeric view of v with the constant's number: -1, 0, 1, or
 * NOT_COMPARABLE when v has no numeric view. */
static inline int compare_number(const skr_claim_value *v, const skr_prog_const *k)
{
	if (!v || v->num == SKR_NUM_NONE)
		return NOT_COMPARABLE;
	if (v->num == SKR_NUM_INT) {
		if (k->num == SKR_NUM_INT)
			return (v->n.i > k->n.i) - (v->n.i < k->n.i);
		return skr_compare_int_double(v->n.i, k->n.d);
	}
	if (k->num == SKR_NUM_INT)
		return -skr_compare_int_double(k->n.i, v->n.d);
	return (v->n.d > k->n.d) - (v->n.d < k->n.d);
}

static inline int is_number(const skr_claim_value *v)
{
	return v->type == SKR_TYPE_INT || v->type == SKR_TYPE_DOUBLE;
}

static inline int is_boolean(const skr_claim_value *v)
{
	return v->type == SKR_TYPE_TRUE || v->type == SKR_TYPE_FALSE;
}

/* Equality of a comparable pair: 1 equal, 0 not equal, NOT_COMPARABLE. */
static inline int eq_str(const skr_claim_value *v, const skr_prog_const *k)
{
	if (!v || v->type != SKR_TYPE_STRING)
		return NOT_COMPARABLE;
	return bytes_equal(v, k);
}

static inline int eq_numstr(const skr_claim_value *v, const skr_prog_const *k)
{
	if (!v)
		return NOT_COMPARABLE;
	if (v->type == SKR_TYPE_STRING)
		return bytes_equal(v, k);
	if (is_number(v))
		return compare_number(v, k) == 0;
	return NOT_COMPARABLE;
}

static inline int eq_boolstr(const skr_claim_value *v, const skr_prog_const *k)
{
	if (!v)
		return NOT_COMPARABLE;
	if (v->type == SKR_TYPE_STRING)
		return bytes_equal(v, k);
	if (is_boolean(v))
		return (v->boolean == SKR_BOOL_TRUE) == (k->boolean == 1);
	return NOT_COMPARABLE;
}

static inline int eq_number(const skr_claim_value *v, const skr_prog_const *k)
{
	int c = compare_number(v, k);
	return c == NOT_COMPARABLE ? NOT_COMPARABLE : c == 0;
}

static inline int eq_bool(const skr_claim_value *v, const skr_prog_const *k)
{
	if (!v || v->boolean == SKR_BOOL_NONE)
		return NOT_COMPARABLE;
	return (v->boolean == SKR_BOOL_TRUE) == (k->boolean == 1);
}

#define EQUALITY_TESTS(X) \
	X(STR, eq_str) X(NUMSTR, eq_numstr) X(BOOLSTR, eq_boolstr) \
	X(INT, eq_number) X(DBL, eq_number) X(BOOL, eq_bool)
#define DEFINE_EQUALITY(suffix, fn)                                                         \
	static inline int vm_test_EQ_##suffix(const skr_claim_value *v, const skr_prog_const *k) \
	{                                                                                    \
		return fn(v, k) == 1;                                                        \
	}                                                                                    \
	static inline int vm_test_NE_##suffix(const skr_claim_value *v, const skr_prog_const *k) \
	{                                                                                    \
		return fn(v, k) == 0;                                                        \
	}
EQUALITY_TESTS(DEFINE_EQUALITY)
#undef DEFINE_EQUALITY

#define ORDERING_TESTS(X) \
	X(LT, c == -1) X(LE, c == -1 || c == 0) X(GT, c == 1) X(GE, c == 0 || c == 1)
#define DEFINE_ORDERING(name, expr)                                                          \
	static inline int vm_test_##name##_INT(const skr_claim_value *v, const skr_prog_const *k) \
	{                                                                                     \
		int c = compare_number(v, k);                                                 \
		return expr;                                                                  \
	}                                                                                     \
	static inline int vm_test_##name##_DBL(const skr_claim_value *v, const skr_prog_const *k) \
	{                                                                                     \
		int c = compare_number(v, k);                                                 \
		return expr;                                                                  \
	}
ORDERING_TESTS(DEFINE_ORDERING)
#undef DEFINE_ORDERING

static inline int vm_test_EXISTS(const skr_claim_value *v, const skr_prog_const *k)
{
	(void)k;
	return v != NULL;
}

static inline int vm_test_NOT_EXISTS(const skr_claim_value *v, const skr_prog_const *k)
{
	(void)k;
	return v == NULL;
}

/* ---- tracing ------------------------------------------------------------ */

static skr_trace_event *trace_next(skr_trace *trace)
{
	if (trace->count >= trace->capacity) {
		trace->dropped++;
		return NULL;
	}
	skr_trace_event *event = &trace->events[trace->count++];
	memset(event, 0, sizeof *event);
	return event;
}

static void vm_trace_entry(skr_trace *trace, skr_trace_kind kind, uint32_t entry,
                           const skr_prog_string *authority)
{
	skr_trace_event *event = trace_next(trace);
	if (!event)
		return;
	event->kind = kind;
	event->entry = entry;
	event->path = authority->text;
	event->path_len = authority->len;
}

static void view_of_claim(const skr_claim_value *v, skr_value_view *out)
{
	out->type = (skr_type)v->type;
	out->str = v->str;
	out->len = v->len;
	out->i = v->type == SKR_TYPE_INT ? v->n.i : 0;
	out->d = v->type == SKR_TYPE_DOUBLE ? v->n.d : 0.0;
}

static void view_of_const(skr_opcode opcode, const skr_prog_const *k, skr_value_view *out)
{
	if (!k) {
		out->type = (opcode == SKR_OPC_EXISTS_JF || opcode == SKR_OPC_EXISTS_JT)
			? SKR_TYPE_TRUE : SKR_TYPE_FALSE;
		return;
	}
	switch (k->kind) {
	case SKR_CONST_STR:
	case SKR_CONST_NUMSTR:
	case SKR_CONST_BOOLSTR:
		out->type = SKR_TYPE_STRING;
		out->str = k->str;
		out->len = k->len;
		break;
	case SKR_CONST_INT:
		out->type = SKR_TYPE_INT;
		out->i = k->n.i;
		break;
	case SKR_CONST_DBL:
		out->type = SKR_TYPE_DOUBLE;
		out->d = k->n.d;
		break;
	default:
		out->type = k->boolean ? SKR_TYPE_TRUE : SKR_TYPE_FALSE;
		break;
	}
}

static void vm_trace_condition(skr_trace *trace, uint32_t entry, const skr_prog_claim *claim,
                               skr_opcode opcode, const skr_prog_const *k,
                               const skr_claim_value *acc, int held)
{
	skr_trace_event *event = trace_next(trace);
	if (!event)
		return;
	event->kind = SKR_TRACE_CONDITION;
	event->entry = entry;
	event->path = claim->path;
	event->path_len = claim->len;
	event->op = (skr_operator)skr_opcode_table[opcode].op;
	view_of_const(opcode, k, &event->expected);
	event->found = acc != NULL;
	if (acc)
		view_of_claim(acc, &event->value);
	event->held = held;
}

/* ---- the two instantiations of the loop --------------------------------- */

static void run_traced(const skr_program *program, const skr_claims *claims,
                       skr_authority_view *issuer, skr_trace *trace, skr_result *result)
#define VM_TRACING 1
#define VM_RETURN return
#include "interp_loop.h"
#undef VM_TRACING
#undef VM_RETURN

skr_status skr_evaluate(const skr_program *program, const skr_claims *claims,
                        const char *issuer_text, size_t issuer_len,
                        skr_trace *trace, skr_result *result)
{
	if (!program || !claims || !result || (!issuer_text && issuer_len))
		return SKR_E_USAGE;
	skr_authority_view view;
	skr_authority_view *issuer = &view;
	skr_authority_view_init(issuer, issuer_text ? issuer_text : "", issuer_len);
	if (trace) {
		trace->count = 0;
		trace->dropped = 0;
		run_traced(program, claims, issuer, trace, result);
		return SKR_OK;
	}
#define VM_TRACING 0
#define VM_RETURN return SKR_OK
#include "interp_loop.h"
#undef VM_TRACING
#undef VM_RETURN
}

const char *skr_operator_name(skr_operator op)
{
	switch (op) {
	case SKR_OP_EQUALS: return "equals";
	case SKR_OP_NOT_EQUALS: return "notEquals";
	case SKR_OP_LESS: return "less";
	case SKR_OP_LESS_OR_EQUALS: return "lessOrEquals";
	case SKR_OP_GREATER: return "greater";
	case SKR_OP_GREATER_OR_EQUALS: return "greaterOrEquals";
	case SKR_OP_EXISTS: return "exists";
	}
	return "unknown";
}
