/*
 * skr: secure key release decisions.
 *
 * Public API. Conventions that hold for every function below:
 *   - The library never prints. Its only global mutable state is two atomic
 *     counters that number trust stores and workspaces, and the results of
 *     CPU feature checks.
 *   - Every fallible function returns an skr_status; SKR_OK is 0.
 *   - Diagnostics go to a caller-owned skr_diags list (may be NULL when the
 *     caller does not want them). The list owns its message strings.
 *   - Objects returned through an out-parameter are owned by the caller and
 *     released with the matching *_free function, which accepts NULL.
 *   - A loaded skr_program and a built skr_claims index are read-only after
 *     construction, so any number of threads may evaluate with them at once.
 *   - skr_evaluate allocates nothing and takes no locks.
 */
#ifndef SKR_H
#define SKR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SKR_VERSION_MAJOR 0
#define SKR_VERSION_MINOR 1
#define SKR_VERSION_PATCH 0
#define SKR_VERSION_STRING "0.1.0"

/* Version of the compiled program format (.skrb). A program whose header
 * names another version is rejected by skr_program_load. */
#define SKR_BYTECODE_VERSION 1

/* Version strings of the linked library, for callers that load it
 * dynamically and want to check it against the header they built with. */
const char *skr_version(void);
uint32_t skr_bytecode_version(void);

typedef enum skr_status {
	SKR_OK = 0,
	SKR_E_USAGE,    /* invalid argument from the caller (NULL pointer, bad option) */
	SKR_E_POLICY,   /* policy text invalid; the diagnostics say where and why */
	SKR_E_PROGRAM,  /* compiled program invalid: checksum, version or verifier */
	SKR_E_CLAIMS,   /* claims JSON invalid or over a limit */
	SKR_E_TOKEN,    /* attestation token rejected */
	SKR_E_TRUST,    /* trust store invalid */
	SKR_E_NOMEM,    /* an allocation failed */
	SKR_E_INTERNAL  /* a broken invariant; a bug in skr */
} skr_status;

/* Stable lower-case name of a status ("ok", "invalid_policy", ...). */
const char *skr_status_name(skr_status status);

/* ------------------------------------------------------------------------
 * Limits
 *
 * Every reader of outside bytes enforces these. Exceeding one is an error
 * that names the limit and its value. skr_limits_init sets the defaults.
 */
typedef struct skr_limits {
	size_t policy_bytes;      /* policy text size, default 1 MiB */
	uint32_t depth;           /* condition nesting depth, default 32 */
	uint32_t authorities;     /* authority entries per policy, default 4096 */
	uint32_t conditions;      /* claim conditions per policy, default 65536 */
	size_t token_bytes;       /* compact token size, also the claims JSON size, default 64 KiB */
	uint32_t claims_depth;    /* nesting of claims JSON, default 32 */
	uint32_t claims_members;  /* object members in all of a claims JSON, default 8192 */
} skr_limits;

#define SKR_DEFAULT_POLICY_BYTES (1u << 20)
#define SKR_DEFAULT_DEPTH 32u
#define SKR_DEFAULT_AUTHORITIES 4096u
#define SKR_DEFAULT_CONDITIONS 65536u
#define SKR_DEFAULT_TOKEN_BYTES (64u << 10)
#define SKR_DEFAULT_CLAIMS_DEPTH 32u
#define SKR_DEFAULT_CLAIMS_MEMBERS 8192u

void skr_limits_init(skr_limits *limits);

/* ------------------------------------------------------------------------
 * Diagnostics
 *
 * A diagnostic points at a byte span of the input it is about (policy text,
 * claims JSON, program bytes). line and column are 1-based and count
 * characters (UTF-8 code points); both are 0 when the input has no lines
 * (a compiled program), and the message then names the byte offset.
 */
typedef enum skr_severity {
	SKR_SEV_ERROR = 0,
	SKR_SEV_WARNING = 1,
	SKR_SEV_NOTE = 2
} skr_severity;

typedef struct skr_diag {
	skr_severity severity;
	const char *code;    /* stable identifier such as "json-trailing-comma", static storage */
	size_t offset;       /* first byte of the span */
	size_t length;       /* bytes in the span; 0 points between two bytes */
	uint32_t line;
	uint32_t column;
	char *message;       /* owned by the list; one sentence, no position, no newline */
} skr_diag;

typedef struct skr_diags {
	skr_diag *items;
	size_t count;
	size_t capacity;
	size_t errors;       /* items with SKR_SEV_ERROR */
	size_t warnings;     /* items with SKR_SEV_WARNING */
	int truncated;       /* set when an allocation failed and a diagnostic was lost */
} skr_diags;

void skr_diags_init(skr_diags *diags);
void skr_diags_free(skr_diags *diags);

/* Renders one diagnostic as
 *     NAME:LINE:COL: error: MESSAGE
 *      LINE OF SOURCE
 *          ^~~~
 * into buf (always NUL-terminated when cap > 0). NAME is the input's name
 * as the user knows it; src is the input the diagnostic points into (NULL
 * to render the first line only). Returns the length the full rendering
 * needs, as snprintf does, so a caller can retry with a larger buffer. */
size_t skr_diag_render(const skr_diag *diag, const char *name,
                       const char *src, size_t src_len, char *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Buffers returned by the library; free with skr_buffer_free.
 */
typedef struct skr_buffer {
	uint8_t *data;
	size_t len;
} skr_buffer;

void skr_buffer_free(skr_buffer *buffer);

/* ------------------------------------------------------------------------
 * Compiling policies
 */
typedef enum skr_syntax {
	SKR_SYNTAX_AUTO = 0,  /* '{' as the first non-blank character means JSON, else DSL */
	SKR_SYNTAX_JSON = 1,
	SKR_SYNTAX_DSL = 2
} skr_syntax;

/* Compiles policy text into a program image (the bytes of a .skrb file).
 * limits may be NULL for the defaults. Errors and warnings (a legacy
 * version, for instance) are appended to diags. On SKR_OK, out holds the
 * image; on any other status out is left empty. The output depends only on
 * the policy's meaning and the format version, never on the machine. */
skr_status skr_compile(const char *src, size_t len, skr_syntax syntax,
                       const skr_limits *limits, skr_diags *diags,
                       skr_buffer *out);

/* ------------------------------------------------------------------------
 * Programs
 */
typedef struct skr_program skr_program;

/* Checks and loads a program image: the magic, the format version, the
 * length, the checksum, and then every opcode, operand, constant, claim
 * name and jump target (the verifier). The bytes are copied, so the caller
 * may free them after the call. On failure *out is NULL and diags holds an
 * error naming the byte offset. */
skr_status skr_program_load(const void *bytes, size_t len, skr_diags *diags,
                            skr_program **out);
void skr_program_free(skr_program *program);

/* Number of authority entries, and the authority text of entry i as
 * written in the policy (without a trailing '/' normalisation). */
uint32_t skr_program_entries(const skr_program *program);
int skr_program_entry_authority(const skr_program *program, uint32_t entry,
                                const char **text, size_t *len);

/* Human-readable listing of the bytecode with claim names and constants. */
skr_status skr_program_disasm(const skr_program *program, skr_buffer *text);

/* ------------------------------------------------------------------------
 * Claims
 *
 * A claims index is built from a JSON object (the payload of a verified
 * token, or a claims file). Parsing is strict RFC 8259: duplicate member
 * names anywhere, invalid UTF-8, unpaired surrogate escapes, a member name
 * holding U+0000, an integer outside int64 or a number that overflows a
 * double are errors, and so is exceeding the claims limits.
 */
typedef struct skr_claims skr_claims;

skr_status skr_claims_parse(const char *json, size_t len,
                            const skr_limits *limits, skr_diags *diags,
                            skr_claims **out);
void skr_claims_free(skr_claims *claims);

/* The top-level "iss" member when it is a string: returns 1 and sets text
 * and len; returns 0 otherwise. */
int skr_claims_issuer(const skr_claims *claims, const char **text, size_t *len);

/* JSON value types of claims, as the evaluator distinguishes them. */
typedef enum skr_type {
	SKR_TYPE_NULL = 0,
	SKR_TYPE_FALSE,
	SKR_TYPE_TRUE,
	SKR_TYPE_INT,     /* a number without fraction or exponent, within int64 */
	SKR_TYPE_DOUBLE,  /* a number with a fraction or an exponent */
	SKR_TYPE_STRING,
	SKR_TYPE_ARRAY,
	SKR_TYPE_OBJECT
} skr_type;

/* A read-only view of one JSON value. str/len are set for strings (bytes
 * after escapes are decoded; may hold NUL bytes and is not NUL-terminated). */
typedef struct skr_value_view {
	skr_type type;
	const char *str;
	size_t len;
	int64_t i;
	double d;
} skr_value_view;

/* Looks a dotted claim path up the way a policy does: returns 1 and fills
 * value when the path resolves, 0 when it is missing. */
int skr_claims_lookup(const skr_claims *claims, const char *path, size_t len,
                      skr_value_view *value);

/* ------------------------------------------------------------------------
 * Evaluating
 */
typedef enum skr_decision {
	SKR_RELEASE = 0,
	SKR_DENY = 1
} skr_decision;

/* Operators of claim conditions, in the order of the JSON grammar. */
typedef enum skr_operator {
	SKR_OP_EQUALS = 0,
	SKR_OP_NOT_EQUALS,
	SKR_OP_LESS,
	SKR_OP_LESS_OR_EQUALS,
	SKR_OP_GREATER,
	SKR_OP_GREATER_OR_EQUALS,
	SKR_OP_EXISTS
} skr_operator;

/* JSON member name of an operator ("equals", "lessOrEquals", ...). */
const char *skr_operator_name(skr_operator op);

typedef struct skr_result {
	skr_decision decision;
	int32_t entry;        /* authority entry that released, -1 on a denial */
	const char *reason;   /* stable reason code, static storage: "released",
	                         "conditions_not_met", "no_matching_authority" */
} skr_result;

typedef enum skr_trace_kind {
	SKR_TRACE_ENTRY = 0,    /* an authority entry whose authority matched the issuer */
	SKR_TRACE_SKIPPED,      /* an authority entry whose authority did not match */
	SKR_TRACE_CONDITION     /* one claim condition that was evaluated */
} skr_trace_kind;

/* One step of an evaluation. Pointers refer into the program and the
 * claims index and stay valid while both live. */
typedef struct skr_trace_event {
	skr_trace_kind kind;
	uint32_t entry;
	const char *path;         /* claim path (CONDITION) or authority (ENTRY, SKIPPED) */
	size_t path_len;
	skr_operator op;
	skr_value_view expected;  /* the policy's value; for exists, TRUE or FALSE */
	int found;                /* the claim path resolved */
	skr_value_view value;     /* the claim's value when found */
	int held;                 /* the condition held */
} skr_trace_event;

/* Caller-owned trace buffer. Events past capacity are counted in dropped. */
typedef struct skr_trace {
	skr_trace_event *events;
	size_t capacity;
	size_t count;
	size_t dropped;
} skr_trace;

/* Decides a release: the policy releases when any authority entry whose
 * authority matches issuer has its condition hold. issuer is compared after
 * one trailing '/' is stripped from both sides, with the scheme and host of
 * a URL compared case-insensitively and everything else exactly. trace may
 * be NULL; tracing costs nothing when it is. Allocates nothing. Returns
 * SKR_E_USAGE on NULL arguments and SKR_OK otherwise. */
skr_status skr_evaluate(const skr_program *program, const skr_claims *claims,
                        const char *issuer, size_t issuer_len,
                        skr_trace *trace, skr_result *result);

/* --- tokens and trust --- */

/* ------------------------------------------------------------------------
 * Trust store
 *
 * A trust store pins the signing keys of the attestation authorities whose
 * tokens skr accepts. Its JSON is an object that maps each authority to a
 * JWKS: {"https://x.attest.azure.net": {"keys": [JWK, ...]}}. A JWK gives an
 * RSA key as "n"/"e" or as "x5c"[0] (a standard base64 DER certificate;
 * only its public key is used, and its dates and chain are not checked).
 *
 * Loading is strict: invalid JSON, a duplicate member anywhere, a value of
 * the wrong shape, two authorities that match the same issuer, and two keys
 * with the same "kid" under one authority make the store invalid. A single
 * key that cannot serve is skipped instead, with a warning that names the
 * authority and the kid. These keys are skipped:
 *   - RSA under min_rsa_bits or over 4096 bits, an even modulus, or a
 *     modulus with the ROCA fingerprint (CVE-2017-15361);
 *   - an even public exponent, or 0 or 1;
 *   - "use" other than "sig", "key_ops" without "verify", or an "alg"
 *     other than RS256, RS384 and RS512;
 *   - a "kty" other than RSA, or a "kid" that is not a string;
 *   - an unparseable certificate, or "n"/"e" that disagree with it.
 * The rest of the store stays usable, and a token whose kid names a skipped
 * key is rejected with the reason "key_skipped".
 *
 * A loaded store is read-only, so any number of threads may verify tokens
 * with it at once.
 */
typedef struct skr_trust skr_trust;

#define SKR_DEFAULT_MIN_RSA_BITS 2048u

typedef struct skr_trust_options {
	uint32_t min_rsa_bits;  /* smallest RSA modulus kept, default 2048 */
} skr_trust_options;

void skr_trust_options_init(skr_trust_options *options);

/* Loads a trust store from JSON text. options may be NULL for the
 * defaults. Returns:
 *   SKR_OK       *out is set, and diags may have warnings for skipped keys
 *   SKR_E_TRUST  the store is invalid: *out is NULL and diags has an error
 *   SKR_E_NOMEM, or SKR_E_USAGE for NULL arguments */
skr_status skr_trust_load(const char *json, size_t len, const skr_trust_options *options,
                          skr_diags *diags, skr_trust **out);
void skr_trust_free(skr_trust *trust);

/* Rewrites a trust store document with the keys of one authority changed,
 * for tools that maintain stores. store is the JSON text, or NULL (or
 * empty) for a new store. jwks is a JWKS object {"keys": [...]}.
 *   merge 0: the authority's JWKS becomes jwks.
 *   merge 1: each key of jwks replaces the authority's key with the same
 *            kid (or the same "n" when it has no kid), or is appended.
 * An existing member that matches authority as an issuer would (one
 * trailing '/', case of scheme and host) is the one changed, and it keeps
 * its spelling. The result is loaded with skr_trust_load before it is
 * returned, so its warnings reach diags and an invalid result is never
 * returned. Returns SKR_OK with the indented JSON text (ending in '\n')
 * in out, SKR_E_TRUST with an error in diags, SKR_E_NOMEM or SKR_E_USAGE. */
skr_status skr_trust_document_update(const char *store, size_t store_len, const char *authority,
                                     size_t authority_len, const char *jwks, size_t jwks_len,
                                     int merge, skr_diags *diags, skr_buffer *out);

/* Counts of a loaded store: authorities, keys in all, and keys kept. */
typedef struct skr_trust_summary {
	uint32_t authorities;
	uint32_t keys;
	uint32_t usable_keys;
} skr_trust_summary;

void skr_trust_summarize(const skr_trust *trust, skr_trust_summary *summary);

/* ------------------------------------------------------------------------
 * Tokens
 *
 * skr verifies compact JWS tokens (RFC 7515) signed with RSASSA-PKCS1-v1_5.
 * The header is parsed strictly and must name an allowed "alg"; "none",
 * HMAC algorithms, unknown algorithms and any "crit" member are rejected.
 * The header members "jku", "x5u", "jwk" and "x5c" are ignored: keys come
 * from the trust store only, never from the token.
 */

/* Signature algorithms; the values are bits of an allow-list. */
typedef enum skr_alg {
	SKR_ALG_RS256 = 1u << 0,
	SKR_ALG_RS384 = 1u << 1,
	SKR_ALG_RS512 = 1u << 2
} skr_alg;

#define SKR_ALGS_DEFAULT ((uint32_t)SKR_ALG_RS256)
#define SKR_ALGS_ALL ((uint32_t)(SKR_ALG_RS256 | SKR_ALG_RS384 | SKR_ALG_RS512))

/* JOSE name of an algorithm ("RS256"), or "?" for a value that is not one. */
const char *skr_alg_name(skr_alg alg);

/* Parses a JOSE algorithm name. Returns 1 and sets *alg when skr
 * implements it, 0 otherwise (the name is compared exactly). */
int skr_alg_parse(const char *name, size_t len, skr_alg *alg);

typedef struct skr_verify_options {
	int64_t now;        /* seconds since the Unix epoch */
	int64_t leeway;     /* seconds of clock skew allowed on exp and nbf, >= 0 */
	uint32_t algs;      /* allowed algorithms, skr_alg bits */
	skr_limits limits;  /* token size and claims limits */
} skr_verify_options;

/* Sets the defaults: leeway 0, RS256 only, default limits, and now. The
 * library never reads the clock; the caller passes the time. */
void skr_verify_options_init(skr_verify_options *options, int64_t now);

/* The checks of a verification, in the order they run. A token rejected
 * at check c passed every check before c. */
typedef enum skr_token_check {
	SKR_CHECK_FORM = 0,     /* size limit, three parts, canonical base64url */
	SKR_CHECK_HEADER,       /* header JSON, "alg" allowed, no "crit" */
	SKR_CHECK_CLAIMS,       /* payload JSON within the claims limits */
	SKR_CHECK_ISSUER,       /* "iss" names an authority of the trust store */
	SKR_CHECK_KEY,          /* "kid" selects a usable key of that authority */
	SKR_CHECK_SIGNATURE,    /* the signature verifies with that key */
	SKR_CHECK_LIFETIME,     /* nbf - leeway <= now < exp + leeway */
	SKR_CHECK_COUNT
} skr_token_check;

/* Short lower-case description of a check ("signature"), static storage. */
const char *skr_token_check_name(skr_token_check check);

/* What a verification found. Initialise with skr_token_init and release
 * with skr_token_clear; both accept a token in any state they left. */
typedef struct skr_token {
	const char *reason;        /* "token_valid", or the stable code of the
	                              rejection ("signature_invalid", ...);
	                              static storage */
	skr_token_check failed;    /* the check that rejected, SKR_CHECK_COUNT
	                              when the token verified */
	skr_claims *claims;        /* verified claims, owned; NULL unless verified */
	char *issuer;              /* the token's "iss", owned and NUL-terminated
	                              (issuer_len counts the bytes); NULL when
	                              the token was rejected before it was read */
	size_t issuer_len;
	const char *authority;     /* the trust store's spelling of the matched
	                              authority, NUL-terminated; points into
	                              the trust store */
	size_t authority_len;
	const char *kid;           /* kid of the key that verified, or of the
	                              key a "kid" header named, NUL-terminated;
	                              points into the trust store; NULL when
	                              there is none */
	size_t kid_len;
	uint32_t alg;              /* the header's algorithm (skr_alg), 0 when unknown */
} skr_token;

void skr_token_init(skr_token *token);
void skr_token_clear(skr_token *token);

/* Verifies a compact JWS against the trust store and fills out, which must
 * have been initialised and whose earlier contents are cleared. Returns:
 *   SKR_OK        the token verified, and out->claims is its claims index
 *   SKR_E_TOKEN   the token was rejected: out->reason and out->failed tell
 *                 why, and diags gets an error whose code is the reason
 *   SKR_E_NOMEM, SKR_E_USAGE (NULL arguments or a negative leeway)
 * The reason and the diagnostics are for the operator. A service answers
 * the workload with the decision alone, so it never learns which check
 * failed. */
skr_status skr_token_verify(const skr_trust *trust, const char *token, size_t len,
                            const skr_verify_options *options, skr_diags *diags,
                            skr_token *out);

/* ------------------------------------------------------------------------
 * Releases
 */

/* Verifies a token and, when it verifies, evaluates the program on its
 * claims with the verified "iss" as the issuer. verified may be NULL; when
 * given (initialised), it receives what the verification found, which the
 * caller clears. trace may be NULL. Returns:
 *   SKR_OK        result holds the decision (release or deny)
 *   SKR_E_TOKEN   the token was rejected: result->decision is SKR_DENY,
 *                 result->entry -1 and result->reason the token's reason
 *   SKR_E_NOMEM, SKR_E_USAGE */
skr_status skr_release(const skr_trust *trust, const skr_program *program,
                       const char *token, size_t len, const skr_verify_options *options,
                       skr_trace *trace, skr_diags *diags, skr_token *verified,
                       skr_result *result);

/* Writes one audit record as a JSON object followed by '\n' into buf
 * (always NUL-terminated when cap > 0):
 *   {"time":T,"issuer":S|null,"kid":S|null,"token_sha256":HEX,
 *    "program":HEX|null,"decision":"release"|"deny"|"token_rejected",
 *    "reason":CODE}
 * time is the verification time in seconds since the epoch. verified is
 * the token after skr_release or skr_token_verify; result is NULL when the
 * token was rejected. program_hash is a hexadecimal digest the caller
 * chooses, of the policy text for example. When it is NULL and program is
 * given, the record contains the SHA-256 of the program image. The token itself is
 * never copied into the record. Returns the length of the full record, as
 * snprintf does, so a caller can retry with a larger buffer. */
size_t skr_audit_record(int64_t time, const char *token, size_t token_len,
                        const skr_token *verified, const skr_result *result,
                        const skr_program *program, const char *program_hash,
                        char *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Releases at scale
 *
 * A service that decides many releases gives each thread an skr_workspace
 * and may share one skr_cache per trust store between all its threads.
 * skr_release_batch then allocates nothing once the trust store, the
 * programs, the workspace and the cache exist. The workspace keeps the
 * decoded token and its claims index, and grows only for a token larger
 * than every earlier one. The cache's memory is allocated when it is made.
 * A rejection with a diagnostics list allocates its message.
 */

/* Per-thread memory of releases. A workspace serves one thread at a time,
 * and any number of workspaces may share a cache, a trust store and
 * programs. */
typedef struct skr_workspace skr_workspace;

/* Allocates a workspace with room for the decoded parts of the largest
 * token that limits allow (NULL for the defaults) and for the claims index
 * of a typical MAA token. Returns SKR_OK, SKR_E_NOMEM or SKR_E_USAGE. */
skr_status skr_workspace_new(const skr_limits *limits, skr_workspace **out);
void skr_workspace_free(skr_workspace *workspace);

/* Verified-token cache of one trust store. A hit needs the same token
 * bytes, compared in full after a keyed hash matches. The token must have
 * been verified under the same limits and with an algorithm the caller
 * still allows. exp and nbf are checked again on every hit against the
 * caller's time. Entries are
 * evicted by a clock policy within each set of four, and an evicted entry's
 * memory is reused once no thread can still be reading it. Lookups take
 * no lock; inserting takes the cache's lock if it is free and otherwise
 * skips the insert. */
typedef struct skr_cache skr_cache;

typedef struct skr_cache_options {
	uint32_t entries;      /* tokens kept, rounded up to four times a power of two;
	                          default 1024 */
	uint32_t entry_bytes;  /* room for one token and its claims index; a token that
	                          needs more is verified every time; default 32 KiB */
} skr_cache_options;

void skr_cache_options_init(skr_cache_options *options);

/* Allocates a cache for tokens verified with trust, all of its memory at
 * once: about entries x 1.25 x entry_bytes. The cache serves only that
 * trust store, and must be freed before it. Returns SKR_OK,
 * SKR_E_NOMEM or SKR_E_USAGE (NULL arguments, entries 0 or over 2^24,
 * entry_bytes under 1 KiB or over 1 MiB). */
skr_status skr_cache_new(const skr_trust *trust, const skr_cache_options *options,
                         skr_cache **out);
/* Frees the cache. No thread may be using it. */
void skr_cache_free(skr_cache *cache);

typedef struct skr_cache_stats {
	uint64_t inserts;      /* tokens added */
	uint64_t evictions;    /* tokens removed to make room */
	uint64_t too_large;    /* verified tokens not added because they need more
	                          than entry_bytes */
	uint64_t busy;         /* inserts skipped: the lock was taken, or no memory
	                          was free yet */
	uint32_t entries;      /* tokens in the cache now */
	uint32_t capacity;
} skr_cache_stats;

/* Reads the counters. Safe while other threads use the cache. */
void skr_cache_stats_get(skr_cache *cache, skr_cache_stats *stats);

/* What a release found out about its token. The pointers stay valid until
 * the workspace is used again (issuer) or while the trust store lives
 * (authority, kid). */
typedef struct skr_release_info {
	const char *reason;        /* "token_valid" or the token's rejection reason */
	skr_token_check failed;    /* SKR_CHECK_COUNT when the token verified */
	const char *issuer;        /* the token's "iss", verified only when failed is
	                              SKR_CHECK_COUNT, and NULL when the token was
	                              rejected before its claims were read */
	size_t issuer_len;
	const char *authority;
	size_t authority_len;
	const char *kid;
	size_t kid_len;
	uint32_t alg;
	int cached;                /* 1 when the token came from the cache */
} skr_release_info;

/* Decides one token against count programs, as for a workload that
 * requests all its keys. The token is verified (or found in the cache) once and
 * its claims are indexed once. results[i] receives the decision of
 * programs[i], with the verified "iss" as the issuer. cache, diags and
 * info may be NULL. Returns:
 *   SKR_OK        results contain the decisions (release or deny)
 *   SKR_E_TOKEN   the token was rejected: every result is a denial with
 *                 entry -1 and the token's reason
 *   SKR_E_NOMEM, or SKR_E_USAGE for NULL arguments, a negative leeway, or
 *   a cache made for another trust store. */
skr_status skr_release_batch(const skr_trust *trust, skr_cache *cache, skr_workspace *workspace,
                             const skr_program *const *programs, size_t count,
                             const char *token, size_t len, const skr_verify_options *options,
                             skr_diags *diags, skr_release_info *info, skr_result *results);

/* Counters of one workspace's releases with a cache. */
typedef struct skr_workspace_stats {
	uint64_t hits;
	uint64_t misses;
} skr_workspace_stats;

void skr_workspace_stats_get(const skr_workspace *workspace, skr_workspace_stats *stats);

/* ------------------------------------------------------------------------
 * Minting test tokens
 *
 * Test tooling: signs claims with a private RSA key so that tests and demos
 * can produce tokens that a trust store holding the public key accepts.
 */
typedef struct skr_signing_key skr_signing_key;

/* Loads an RSA private key from a JWK (with "n", "e", "d", "p", "q", "dp",
 * "dq" and "qi") or a PEM block ("RSA PRIVATE KEY", PKCS#1, or "PRIVATE
 * KEY", PKCS#8). The key is checked by signing and verifying a test
 * message. Returns SKR_OK with *out set, or SKR_E_USAGE with an error in
 * diags when the text is not such a key. */
skr_status skr_signing_key_load(const char *text, size_t len, skr_diags *diags,
                                skr_signing_key **out);
void skr_signing_key_free(skr_signing_key *key);

/* Size of the key's modulus in bits. */
uint32_t skr_signing_key_bits(const skr_signing_key *key);

/* Writes the public half as a JWK object {"kty":"RSA","kid":...,"use":
 * "sig","alg":...,"n":...,"e":...} into out. kid may be NULL for none. */
skr_status skr_signing_key_public_jwk(const skr_signing_key *key, const char *kid,
                                      skr_alg alg, skr_buffer *out);

/* Writes the RFC 7638 thumbprint of the public key (base64url of the
 * SHA-256 of its canonical JWK, 43 characters) and a NUL into out. */
void skr_signing_key_thumbprint(const skr_signing_key *key, char out[44]);

/* Signs payload (the claims JSON, used byte for byte) into a compact JWS
 * with the header {"alg":ALG,"typ":"JWT","kid":KID}; kid may be NULL to
 * leave it out. out receives the token text (not NUL-terminated). */
skr_status skr_token_mint(const skr_signing_key *key, skr_alg alg, const char *kid,
                          const char *payload, size_t payload_len, skr_buffer *out);

/* --- end of tokens and trust --- */

/* --- cost and benchmarks --- */

/* ------------------------------------------------------------------------
 * Cost
 *
 * The static cost of a program, computed from its bytecode alone. Jumps
 * only go forward, so the code is a directed acyclic graph and its longest
 * path bounds what one decision can execute. The walk does not reason about
 * values: it takes both ways out of every test, even where two tests on one
 * claim cannot both hold. The figures are therefore upper bounds, and a
 * measured run executes at most as many instructions.
 */
typedef struct skr_cost {
	uint32_t entries;         /* authority entries */
	uint32_t conditions;      /* test instructions in the code */
	uint32_t instructions;    /* maximum instructions one decision executes, the final
	                             RELEASE or DENY included */
	uint32_t claim_loads;     /* maximum LOAD instructions one decision executes */
	uint32_t longest_path;    /* maximum instructions inside one authority entry, from
	                             its AUTH to its RELEASE or to the next entry */
	uint32_t code_bytes;      /* bytes of code */
	uint32_t bytecode_bytes;  /* bytes of the whole program image, header included */
} skr_cost;

/* Computes the static cost of a program for any issuer: every AUTH may
 * match or not. Allocates scratch memory, two words per code byte, and
 * frees it before returning. Returns SKR_OK, SKR_E_NOMEM, or SKR_E_USAGE
 * for NULL arguments. */
skr_status skr_program_cost(const skr_program *program, skr_cost *cost);

/* Computes the static cost of a program for one issuer: each AUTH takes
 * the way that issuer's match decides, so instructions and claim_loads
 * bound a decision on claims with that issuer. The other members are as
 * skr_program_cost sets them. Same returns as skr_program_cost. */
skr_status skr_program_cost_for_issuer(const skr_program *program, const char *issuer,
                                       size_t issuer_len, skr_cost *cost);

/* Instructions that one evaluation executed. */
typedef struct skr_run_cost {
	uint32_t instructions;  /* every executed instruction, the final RELEASE or DENY included */
	uint32_t claim_loads;   /* executed LOAD instructions */
	uint32_t conditions;    /* executed test instructions */
	uint32_t entries;       /* executed AUTH instructions whose authority matched */
} skr_run_cost;

/* Replays the path of one evaluation through the bytecode, led by its
 * trace: each AUTH takes the way its ENTRY or SKIPPED event took, and each
 * test the way its CONDITION event took. The trace records AUTH and test
 * instructions only, so the replay is what counts LOAD, JMP, RELEASE and
 * DENY. trace must come from skr_evaluate with this program and must not
 * have dropped events. Returns SKR_OK; SKR_E_USAGE for NULL arguments, a
 * trace with dropped events, or a trace that does not fit the program. */
skr_status skr_trace_cost(const skr_program *program, const skr_trace *trace,
                          skr_run_cost *out);

/* --- end of cost and benchmarks --- */

/* --- key release envelope --- */

/* ------------------------------------------------------------------------
 * Key release envelope
 *
 * A release hands the key over wrapped to the workload's own RSA key, the
 * way Azure Key Vault and Managed HSM do, so that only the attested
 * workload can open it. The workload's key is the first entry of the
 * verified token's top-level "x-ms-runtime"."keys" array with "kty" "RSA",
 * a non-empty "kid", and "use" or "key_use" "enc" or "key_ops" holding
 * "encrypt".
 *
 * Wrapping (the "enc" algorithms): a fresh AES-256 transfer key from the
 * system's random source is encrypted with RSA-OAEP to the workload's key,
 * and the key material is wrapped with that transfer key by AES key wrap
 * with padding (RFC 5649). The ciphertext is the OAEP block followed by
 * the wrapped material. The material is the PKCS#8 DER of an RSA private
 * key, or the raw bytes of a symmetric ("oct") key.
 *
 * Secrets: the library wipes every copy of a secret it makes (transfer
 * key, key material, AES key schedule) before it frees or leaves it, with
 * a wipe that the compiler cannot drop. A function that takes a secret in
 * a writable buffer the caller lends wipes that buffer before it returns,
 * on every path, and its contract states it.
 */

/* A key in memory: a symmetric key, or an RSA private or public key. Keys
 * are read-only after loading, so threads may share one. */
typedef struct skr_key skr_key;

typedef enum skr_key_kind {
	SKR_KEY_OCT = 0,       /* symmetric key: raw bytes ("kty" "oct") */
	SKR_KEY_RSA_PRIVATE,   /* RSA private key with its CRT parts */
	SKR_KEY_RSA_PUBLIC     /* RSA public key: modulus and exponent */
} skr_key_kind;

/* Sizes skr_key_load accepts. */
#define SKR_KEY_MIN_RSA_BITS 2048u
#define SKR_KEY_MAX_RSA_BITS 4096u
#define SKR_KEY_MIN_OCT_BYTES 16u
#define SKR_KEY_MAX_OCT_BYTES 1024u

/* Loads a key from text, which is one of:
 *   - a JWK: "oct" with "k", or "RSA" with "n" and "e" (a public key) plus
 *     "d", "p", "q", "dp", "dq" and "qi" (a private key). "kid" and
 *     "key_ops" are kept, and multi-prime keys ("oth") are rejected.
 *   - PEM: "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1), "PUBLIC KEY"
 *     (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1), the first such
 *     block of the text. Encrypted keys are rejected.
 * RSA keys must have SKR_KEY_MIN_RSA_BITS to SKR_KEY_MAX_RSA_BITS bits and
 * an odd public exponent above 1. A private key is checked in full: the
 * modulus is p * q, and a test value survives encryption followed by a
 * CRT decryption and by exponentiation with "d". Symmetric keys have
 * SKR_KEY_MIN_OCT_BYTES to SKR_KEY_MAX_OCT_BYTES bytes.
 *
 * text is lent: the function sets all len bytes of it to zero before it
 * returns, on every path, because it may hold a private key. A JWK's
 * secret members are decoded straight from text; no other copy of them is
 * made. Returns SKR_OK with *out set, SKR_E_USAGE with an error in diags
 * (code "key-invalid") when the text is not a usable key, or SKR_E_NOMEM. */
skr_status skr_key_load(char *text, size_t len, skr_diags *diags, skr_key **out);

/* Makes a symmetric key from raw bytes. bytes is lent and set to zero
 * before the function returns, on every path. kid may be NULL. Returns
 * SKR_OK, SKR_E_USAGE for a size outside the limits or a kid that is not
 * valid UTF-8, or SKR_E_NOMEM. */
skr_status skr_key_oct(uint8_t *bytes, size_t len, const char *kid, skr_key **out);

/* Wipes and frees a key; accepts NULL. */
void skr_key_free(skr_key *key);

skr_key_kind skr_key_kind_of(const skr_key *key);

/* Modulus size in bits of an RSA key, 8 times the length of an oct key. */
uint32_t skr_key_bits(const skr_key *key);

/* The key's "kid" (NUL-terminated), or NULL when it has none. */
const char *skr_key_kid(const skr_key *key);

/* Writes the RFC 7638 thumbprint of an RSA key's public half (base64url of
 * the SHA-256 of its canonical JWK, 43 characters) and a NUL into out.
 * Returns SKR_E_USAGE for an oct key, whose thumbprint would be a hash of
 * the secret. */
skr_status skr_key_thumbprint(const skr_key *key, char out[44]);

/* Writes the key material: the PKCS#8 DER of an RSA private key, or the
 * bytes of an oct key. Sets *len to the size the material needs and
 * writes it only when cap is at least that (out may be NULL to ask for
 * the size). The caller owns the secret it receives and should wipe it.
 * Returns SKR_OK, or SKR_E_USAGE for a public key. */
skr_status skr_key_material(const skr_key *key, uint8_t *out, size_t cap, size_t *len);

/* Writes the key as text: PEM "PRIVATE KEY" (PKCS#8) for an RSA private
 * key, PEM "PUBLIC KEY" for an RSA public key, and a JWK
 * {"kty":"oct","kid":...,"k":...} for an oct key. Each form ends in '\n'.
 * Same size contract as skr_key_material; out is not NUL-terminated. */
skr_status skr_key_export(const skr_key *key, char *out, size_t cap, size_t *len);

/* Wrapping algorithms, by their Key Vault "enc" names. */
typedef enum skr_wrap_alg {
	SKR_WRAP_CKM_RSA_AES_KEY_WRAP = 0,  /* "CKM_RSA_AES_KEY_WRAP": OAEP with SHA-1 */
	SKR_WRAP_RSA_AES_KEY_WRAP_256,      /* "RSA_AES_KEY_WRAP_256": OAEP with SHA-256 */
	SKR_WRAP_RSA_AES_KEY_WRAP_384       /* "RSA_AES_KEY_WRAP_384": OAEP with SHA-384 */
} skr_wrap_alg;

/* "enc" name of an algorithm, or "?" for a value that is not one. */
const char *skr_wrap_alg_name(skr_wrap_alg alg);

/* Parses an "enc" name (compared exactly). Returns 1 and sets *alg, or 0. */
int skr_wrap_alg_parse(const char *name, size_t len, skr_wrap_alg *alg);

/* Size of the ciphertext that wraps material_len bytes to an RSA key: the
 * modulus size plus the RFC 5649 output (material_len rounded up to a
 * multiple of 8, plus 8). Returns 0 for an oct key or no material. */
size_t skr_wrapped_len(const skr_key *workload, size_t material_len);

/* Wraps key material to the workload's RSA key (public or private; only
 * the public half is used) into out, which needs skr_wrapped_len bytes.
 * material is lent and set to zero before the function returns, on every
 * path. Returns SKR_OK with *out_len set; SKR_E_USAGE for an oct key, no
 * material or a short out (nothing is written then, and material is still
 * wiped); SKR_E_INTERNAL with an error in diags when the system's random
 * source fails. */
skr_status skr_wrap(const skr_key *workload, skr_wrap_alg alg, uint8_t *material,
                    size_t material_len, skr_diags *diags, uint8_t *out, size_t cap,
                    size_t *out_len);

/* Options of the release response: the key's id, the policy text and the
 * signing key. */
typedef struct skr_envelope_options {
	skr_wrap_alg enc;                /* default SKR_WRAP_CKM_RSA_AES_KEY_WRAP */
	const char *key_id;              /* the released key's "kid" in the response; NULL
	                                    for the key's own kid, or for an RSA key without
	                                    one its thumbprint (an oct key needs a kid) */
	const char *policy;              /* the policy text that granted the release, for
	                                    "release_policy"."data"; required */
	size_t policy_len;
	const char *policy_content_type; /* NULL for "application/json; charset=utf-8" */
	const skr_key *service_key;      /* RSA private key that signs the response (RS256);
	                                    NULL for an unsigned response */
} skr_envelope_options;

void skr_envelope_options_init(skr_envelope_options *options);

/* Decides a release as skr_release does and, when the policy releases,
 * wraps key to the token's release key and writes the release response:
 *   signed:   {"value":"<compact JWS>"} whose payload is the object below,
 *             with the header {"alg":"RS256","kid":THUMBPRINT,"typ":"JWT",
 *             "jwk":{"kty":"RSA","n":...,"e":...}} of the service key;
 *   unsigned: the payload object itself,
 *     {"request":{"api-version":"7.3","enc":ENC,"kid":KEY_ID},
 *      "response":{"key":{"key":{"kid":KEY_ID,"kty":"RSA"|"oct",
 *        "key_ops":[...],"n":...,"e":...,"key_hsm":KEY_HSM},
 *        "attributes":{"enabled":true,"exportable":true},
 *        "release_policy":{"contentType":...,"data":POLICY}}}}
 * where KEY_HSM is the base64url of {"schema_version":"1.0","header":
 * {"kid":RELEASE_KEY_KID,"alg":"dir","enc":ENC},"ciphertext":...}, n and e
 * appear for RSA keys only, and POLICY is the base64url of the policy text.
 *
 * Size query: *out_len receives the size of the response (0 when nothing
 * is released). The key is wrapped and the response written only when out
 * is not NULL and cap is at least that size, and otherwise nothing is
 * written. So a caller asks with out NULL, then calls again with a buffer,
 * and each call verifies the token again. The response is not
 * NUL-terminated.
 *
 * Returns:
 *   SKR_OK        result contains the decision. A release whose token has no
 *                 release key is a denial with the reason "no_release_key".
 *   SKR_E_TOKEN   the token was rejected (result->reason is the token's
 *                 reason), or its release key is malformed: an RSA entry
 *                 without valid "n" and "e", a modulus that is even or
 *                 outside 2048 to 4096 bits, or an exponent that is even, 1
 *                 or over 64 bits (result->reason "release_key_invalid",
 *                 with an error of that code in diags)
 *   SKR_E_USAGE   NULL arguments, a key that is an RSA public key, no policy
 *                 text, an oct key without a kid, a service key that is not
 *                 an RSA private key, or a key_id or content type that is not
 *                 valid UTF-8
 *   SKR_E_NOMEM, or SKR_E_INTERNAL when the random source fails.
 * verified and trace are as for skr_release. */
skr_status skr_release_envelope(const skr_trust *trust, const skr_program *program,
                                const char *token, size_t len,
                                const skr_verify_options *options, const skr_key *key,
                                const skr_envelope_options *envelope, skr_trace *trace,
                                skr_diags *diags, skr_token *verified, skr_result *result,
                                uint8_t *out, size_t cap, size_t *out_len);

/* How an opened response was signed. */
typedef enum skr_envelope_signature {
	SKR_ENVELOPE_UNSIGNED = 0,       /* the payload object alone */
	SKR_ENVELOPE_SIGNATURE_UNCHECKED,/* a JWS, opened without a service key */
	SKR_ENVELOPE_SIGNATURE_VERIFIED  /* a JWS whose RS256 signature verified */
} skr_envelope_signature;

/* Opens a release response: {"value":JWS}, a bare compact JWS, or an
 * unsigned payload object. With service_key (an RSA key, public or
 * private), the response must be a JWS that its public half verifies. The
 * "jwk" of the JWS header is never trusted. The workload key must be the
 * RSA private key the response was wrapped to. The opened material must
 * match the response: an RSA key's "n" and "e", and the "kty". On SKR_OK,
 * *released is the key (free with skr_key_free) with the response's kid,
 * and *signature (may be NULL) tells how the response was signed.
 * Returns SKR_E_TOKEN with an error in diags for a response that is
 * malformed, fails its signature, does not open with this workload key
 * or was changed; SKR_E_USAGE for a workload key that is not an RSA
 * private key; SKR_E_NOMEM. */
skr_status skr_envelope_open(const char *response, size_t len, const skr_key *workload,
                             const skr_key *service_key, skr_diags *diags,
                             skr_key **released, skr_envelope_signature *signature);

/* --- end of key release envelope --- */

/* --- formatting --- */

/* ------------------------------------------------------------------------
 * Formatting
 *
 * Writes a policy in canonical form, as JSON or as DSL, from text of either
 * form. The canonical JSON has its members in the order version, anyOf;
 * authority, then its allOf or anyOf; claim, then the operator; the version
 * "1.0.0" (a legacy "0.2" and "1.0" become "1.0.0"); the short form of every
 * claim condition; 2-space indentation with each claim condition on one
 * line. The canonical DSL has 4-space indentation, quotes a claim path only
 * when it is not a bare dotted name, and writes adjacent authority entries
 * with structurally equal conditions as one block listing their
 * authorities. Strings keep their characters: only what the syntax
 * requires is escaped. Numbers keep their source spelling. The output ends
 * in '\n'.
 */

/* Formats the policy text src as `to` (SKR_SYNTAX_AUTO: the input's own
 * form). from says how to read src (SKR_SYNTAX_AUTO: '{' as the first
 * non-blank character means JSON, else DSL). limits may be NULL for the
 * defaults. When a DSL text is written as DSL, its comments are kept beside
 * the item they preceded, or at the end of the line they ended; when it is
 * written as JSON, they are dropped with a warning.
 *
 * Before returning, the output is compiled and compared with the program of
 * the input, so the formatted policy always compiles to the same bytes; the
 * output may exceed limits->policy_bytes when it is longer than the input.
 *
 * Returns SKR_OK with the text in out (the caller frees it with
 * skr_buffer_free; warnings, such as for a legacy version, may be in
 * diags); SKR_E_POLICY when the policy is invalid, with every error found
 * in diags; SKR_E_NOMEM; SKR_E_USAGE for a NULL out, NULL src with a
 * nonzero len, or an unknown syntax; or SKR_E_INTERNAL, with an error in
 * diags, when the formatted text would not compile to the same program (a
 * bug in skr). On any status but SKR_OK, out is left empty. */
skr_status skr_format(const char *src, size_t len, skr_syntax from, skr_syntax to,
                      const skr_limits *limits, skr_diags *diags, skr_buffer *out);

/* --- end of formatting --- */

/* --- linting --- */

/* ------------------------------------------------------------------------
 * Checking policies
 */

/* Parses and compiles policy text as skr_compile does, without keeping the
 * program, and lints it: appends to diags the errors skr_compile would
 * report and, for a valid policy, warnings about likely mistakes (claims
 * that are not in the registry of MAA claims built into the library, claims
 * read where tokens of the required attestation type do not carry them,
 * values of the wrong type or case, conditions that can never hold
 * together, duplicates, redundant entries, MAA authorities whose names do
 * not fit the naming of MAA providers, entries that check neither debugging
 * nor compliance). Each warning has a stable code ("lint-unknown-claim",
 * ...) and may be followed by a note that points at a related condition.
 * Linting never changes what skr_compile produces or what a policy
 * decides. limits may be NULL for the defaults; diags may be NULL.
 * Returns SKR_OK for a valid policy (with or without warnings),
 * SKR_E_POLICY for an invalid one, SKR_E_NOMEM, SKR_E_USAGE, or
 * SKR_E_INTERNAL when the built-in registry cannot be read (a broken
 * build). */
skr_status skr_check_policy(const char *src, size_t len, skr_syntax syntax,
                            const skr_limits *limits, skr_diags *diags);

/* --- end of linting --- */

#ifdef __cplusplus
}
#endif

#endif
