/*
 * The compiled program format (.skrb) and its opcode table.
 *
 * All integers are little-endian; nothing in the image depends on the
 * machine that wrote it. Layout, in this order, with no gaps:
 *
 *   header       48 bytes
 *     0   magic          "SKRB"
 *     4   u16 version    SKR_BYTECODE_VERSION
 *     6   u16 flags      0 (no flags are defined; others are rejected)
 *     8   u32 length     total image length in bytes, header included
 *     12  u32 checksum   CRC-32C of the image with this field read as 0
 *     16  u32 authorities  number of authority records
 *     20  u32 entries      number of authority entries (AUTH instructions)
 *     24  u32 claims       number of claim records
 *     28  u32 constants    number of constant records
 *     32  u32 code_len     bytes of code
 *     36  u32 strings_len  bytes of the string pool
 *     40  8 bytes reserved, 0
 *   authorities  8 bytes each:  u32 offset, u32 length of the authority in
 *                the string pool, normalised (one trailing '/' removed,
 *                scheme and host of a URL in lower case)
 *   claims       16 bytes each: u64 XXH3-64 id of the path, u32 offset,
 *                u32 length of the dotted path in the string pool
 *   constants    24 bytes each: u8 kind (SKR_CONST_*), u8 number kind
 *                (SKR_NUM_* of claims.h, for INT, DBL and NUMSTR), u8
 *                boolean (0/1, for BOOL and BOOLSTR), u8 0, u32 offset,
 *                u32 length of the string (STR, NUMSTR, BOOLSTR; else 0),
 *                u32 0, u64 value (int64, or IEEE-754 double bits)
 *   code         code_len bytes of instructions
 *   strings      strings_len bytes; strings are not NUL-terminated
 *
 * Every string is referenced by offset and length and must lie inside the
 * pool. Ids, number values and string classes are redundant with the
 * strings, and the verifier recomputes each one: a program whose id does
 * not hash its path, or whose constant kind does not fit its text, is
 * rejected.
 *
 * Code is a sequence of authority entries followed by one DENY:
 *
 *   AUTH e a skip      entry e (0, 1, 2, ... in order) for authority a
 *     ...              LOAD and test instructions, forward jumps
 *     RELEASE e
 *   AUTH e+1 ...       <- skip and every failing jump of entry e land here
 *   ...
 *   DENY
 *
 * An instruction is one opcode byte followed by its operands:
 *   E  u16 entry index      A  u16 authority index
 *   C  u32 claim index      K  u32 constant index
 *   J  u32 forward jump, in bytes from the end of the instruction
 * Jumps only go forward, so every program terminates, and they stay inside
 * their entry (landing on the next AUTH or the final DENY at the latest).
 *
 * The interpreter keeps one register, the accumulator: the claim value the
 * last LOAD found, or "missing". AUTH resets it to missing. Test
 * instructions read it, never change it, and jump when their result equals
 * the opcode's sense: the _JF forms jump when the test is false, the _JT
 * forms when it is true; otherwise execution falls through.
 */
#ifndef SKR_BYTECODE_H
#define SKR_BYTECODE_H

#include <stdint.h>
#include <string.h>

#include "skr.h"

#define SKR_MAGIC "SKRB"
#define SKR_HEADER_SIZE 48u
#define SKR_AUTHORITY_RECORD 8u
#define SKR_CLAIM_RECORD 16u
#define SKR_CONST_RECORD 24u

/* Constant kinds. The comparison semantics of SPEC section 3 depend on the
 * policy value's class, so the class is fixed at compile time. */
enum {
	SKR_CONST_STR = 1,      /* a string that is neither numeric nor "true"/"false" */
	SKR_CONST_NUMSTR = 2,   /* a numeric string: compares as bytes with strings, as a number with numbers */
	SKR_CONST_BOOLSTR = 3,  /* "true" or "false": as bytes with strings, as a boolean with booleans */
	SKR_CONST_INT = 4,      /* an int64 */
	SKR_CONST_DBL = 5,      /* a finite double */
	SKR_CONST_BOOL = 6      /* true or false */
};

/* Operand layouts. */
enum {
	SKR_FMT_NONE = 0,  /* no operands */
	SKR_FMT_EAJ,       /* AUTH: E A J, 8 bytes */
	SKR_FMT_C,         /* LOAD: C, 4 bytes */
	SKR_FMT_E,         /* RELEASE: E, 2 bytes */
	SKR_FMT_J,         /* jump: J, 4 bytes */
	SKR_FMT_KJ         /* test with a constant: K J, 8 bytes */
};

/* Whether an opcode is a test and when it jumps. */
enum {
	SKR_SENSE_NONE = -1,  /* not a test */
	SKR_SENSE_FALSE = 0,  /* jump when the test is false */
	SKR_SENSE_TRUE = 1    /* jump when the test is true */
};

/*
 * The opcode table. Every other table (enum, names, operand layouts,
 * constant kinds, verifier rules, disassembler, interpreter labels) is
 * generated from it. Columns: name, operand layout, constant kind the
 * operand must have (0 for none), operator (for tests, as the policy wrote
 * it), jump sense, and the test the opcode performs (NONE for control
 * opcodes; the two jump senses of one test share it).
 *
 * Tests (acc is the accumulator; "num" is the numeric view of a number or
 * numeric string, "bool" the boolean view of a boolean or "true"/"false"):
 *   EQ_STR      acc is a string with the constant's bytes
 *   EQ_NUMSTR   acc a string: same bytes; acc a number: numerically equal
 *   EQ_BOOLSTR  acc a string: same bytes; acc a boolean: same truth value
 *   EQ_INT/DBL  acc has a num, numerically equal (int64 vs double exact)
 *   EQ_BOOL     acc has a bool, same truth value
 *   NE_*        the pair is comparable as for EQ_*, and not equal
 *   LT/LE/GT/GE_INT/DBL  acc has a num, ordered against the constant
 *   EXISTS      acc is present (any value, null included)
 *   NOT_EXISTS  acc is missing
 * A missing acc makes every test false except NOT_EXISTS.
 */
#define SKR_TEST_PAIR(X, base, format, konst, op) \
	X(base##_JF, format, konst, op, SKR_SENSE_FALSE, base) \
	X(base##_JT, format, konst, op, SKR_SENSE_TRUE, base)

#define SKR_CONTROL_OPCODES(X) \
	X(AUTH,    SKR_FMT_EAJ,  0, SKR_OP_EQUALS, SKR_SENSE_NONE, NONE) \
	X(LOAD,    SKR_FMT_C,    0, SKR_OP_EQUALS, SKR_SENSE_NONE, NONE) \
	X(RELEASE, SKR_FMT_E,    0, SKR_OP_EQUALS, SKR_SENSE_NONE, NONE) \
	X(DENY,    SKR_FMT_NONE, 0, SKR_OP_EQUALS, SKR_SENSE_NONE, NONE) \
	X(JMP,     SKR_FMT_J,    0, SKR_OP_EQUALS, SKR_SENSE_NONE, NONE)

#define SKR_TEST_OPCODES(X) \
	SKR_TEST_PAIR(X, EQ_STR,     SKR_FMT_KJ, SKR_CONST_STR,     SKR_OP_EQUALS) \
	SKR_TEST_PAIR(X, EQ_NUMSTR,  SKR_FMT_KJ, SKR_CONST_NUMSTR,  SKR_OP_EQUALS) \
	SKR_TEST_PAIR(X, EQ_BOOLSTR, SKR_FMT_KJ, SKR_CONST_BOOLSTR, SKR_OP_EQUALS) \
	SKR_TEST_PAIR(X, EQ_INT,     SKR_FMT_KJ, SKR_CONST_INT,     SKR_OP_EQUALS) \
	SKR_TEST_PAIR(X, EQ_DBL,     SKR_FMT_KJ, SKR_CONST_DBL,     SKR_OP_EQUALS) \
	SKR_TEST_PAIR(X, EQ_BOOL,    SKR_FMT_KJ, SKR_CONST_BOOL,    SKR_OP_EQUALS) \
	SKR_TEST_PAIR(X, NE_STR,     SKR_FMT_KJ, SKR_CONST_STR,     SKR_OP_NOT_EQUALS) \
	SKR_TEST_PAIR(X, NE_NUMSTR,  SKR_FMT_KJ, SKR_CONST_NUMSTR,  SKR_OP_NOT_EQUALS) \
	SKR_TEST_PAIR(X, NE_BOOLSTR, SKR_FMT_KJ, SKR_CONST_BOOLSTR, SKR_OP_NOT_EQUALS) \
	SKR_TEST_PAIR(X, NE_INT,     SKR_FMT_KJ, SKR_CONST_INT,     SKR_OP_NOT_EQUALS) \
	SKR_TEST_PAIR(X, NE_DBL,     SKR_FMT_KJ, SKR_CONST_DBL,     SKR_OP_NOT_EQUALS) \
	SKR_TEST_PAIR(X, NE_BOOL,    SKR_FMT_KJ, SKR_CONST_BOOL,    SKR_OP_NOT_EQUALS) \
	SKR_TEST_PAIR(X, LT_INT,     SKR_FMT_KJ, SKR_CONST_INT,     SKR_OP_LESS) \
	SKR_TEST_PAIR(X, LT_DBL,     SKR_FMT_KJ, SKR_CONST_DBL,     SKR_OP_LESS) \
	SKR_TEST_PAIR(X, LE_INT,     SKR_FMT_KJ, SKR_CONST_INT,     SKR_OP_LESS_OR_EQUALS) \
	SKR_TEST_PAIR(X, LE_DBL,     SKR_FMT_KJ, SKR_CONST_DBL,     SKR_OP_LESS_OR_EQUALS) \
	SKR_TEST_PAIR(X, GT_INT,     SKR_FMT_KJ, SKR_CONST_INT,     SKR_OP_GREATER) \
	SKR_TEST_PAIR(X, GT_DBL,     SKR_FMT_KJ, SKR_CONST_DBL,     SKR_OP_GREATER) \
	SKR_TEST_PAIR(X, GE_INT,     SKR_FMT_KJ, SKR_CONST_INT,     SKR_OP_GREATER_OR_EQUALS) \
	SKR_TEST_PAIR(X, GE_DBL,     SKR_FMT_KJ, SKR_CONST_DBL,     SKR_OP_GREATER_OR_EQUALS) \
	SKR_TEST_PAIR(X, EXISTS,     SKR_FMT_J,  0,                 SKR_OP_EXISTS) \
	SKR_TEST_PAIR(X, NOT_EXISTS, SKR_FMT_J,  0,                 SKR_OP_EXISTS)

#define SKR_OPCODES(X) SKR_CONTROL_OPCODES(X) SKR_TEST_OPCODES(X)

typedef enum skr_opcode {
#define SKR_X_ENUM(name, format, konst, op, sense, test) SKR_OPC_##name,
	SKR_OPCODES(SKR_X_ENUM)
#undef SKR_X_ENUM
	SKR_OPC_COUNT
} skr_opcode;

typedef struct skr_opcode_info {
	const char *name;
	uint8_t format;
	uint8_t konst;       /* required constant kind, 0 for none */
	uint8_t op;          /* skr_operator, for tests */
	int8_t sense;        /* SKR_SENSE_* */
	uint8_t size;        /* whole instruction in bytes, opcode included */
} skr_opcode_info;

/* Indexed by opcode; defined in vm/opcodes.c from SKR_OPCODES. */
extern const skr_opcode_info skr_opcode_table[SKR_OPC_COUNT];

/* Instruction size for an operand layout, opcode byte included. */
#define SKR_FMT_SIZE(format) \
	((format) == SKR_FMT_EAJ ? 9 : (format) == SKR_FMT_C ? 5 : \
	 (format) == SKR_FMT_E ? 3 : (format) == SKR_FMT_J ? 5 : \
	 (format) == SKR_FMT_KJ ? 9 : 1)

/* Little-endian access that needs no alignment. */
static inline uint16_t skr_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t skr_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t skr_rd64(const uint8_t *p)
{
	return (uint64_t)skr_rd32(p) | ((uint64_t)skr_rd32(p + 4) << 32);
}

static inline void skr_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void skr_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void skr_wr64(uint8_t *p, uint64_t v)
{
	skr_wr32(p, (uint32_t)v);
	skr_wr32(p + 4, (uint32_t)(v >> 32));
}

/* CRC-32C (Castagnoli) of an image with the checksum field read as zero.
 * A CRC detects every single-bit error and every burst up to 32 bits. */
uint32_t skr_image_checksum(const uint8_t *image, size_t len);

/* Authority normalisation shared by the compiler and the interpreter: one
 * trailing '/' removed; for a URL (scheme "://" ...), the scheme and the
 * host (with its port, after any userinfo) in lower case. */
typedef struct skr_authority_view {
	const char *text;
	size_t len;        /* after the trailing '/' is removed */
	size_t fold_from;  /* bytes [fold_from, fold_to) compare case-insensitively, */
	size_t fold_to;    /* and so do the scheme bytes [0, scheme_len) */
	size_t scheme_len;
	int ranges_known;  /* the three fields above are computed on first need */
} skr_authority_view;

static inline void skr_authority_view_init(skr_authority_view *view, const char *text, size_t len)
{
	if (len > 0 && text[len - 1] == '/')
		len--;
	view->text = text;
	view->len = len;
	view->ranges_known = 0;
}

/* Whether text is already in normalised form, apart from the trailing '/'
 * rule (a normalised authority may still end in '/' when the policy wrote
 * two). */
int skr_authority_is_normalized(const char *text, size_t len);
/* Writes the normalised form of view into out (view->len bytes). */
void skr_authority_normalize(skr_authority_view *view, char *out);
/* Whether an authority and a view of the same length whose bytes differ
 * still match, because they differ only in letters that fold to lower case. */
int skr_authority_matches_folded(const char *normalized, size_t len, skr_authority_view *view);
/* Compares a normalised authority with a view. The view's fold ranges are
 * computed only when the bytes differ by case, so the usual issuer, already
 * in lower case, costs one length check and one memcmp per authority,
 * inline in the caller. */
static inline int skr_authority_matches(const char *normalized, size_t len,
                                        skr_authority_view *view)
{
	if (len != view->len)
		return 0;
	/* Equal bytes match: the stored form is normalised, so equal text has
	 * nothing left to fold. */
	if (memcmp(view->text, normalized, len) == 0)
		return 1;
	return skr_authority_matches_folded(normalized, len, view);
}

#endif
