/*
 * The benchmark harness behind `skr bench`. It times calls in calibrated
 * rounds and measures each workload: evaluate only, the claims index, the
 * cold and warm release and the parts of a cold release. It also generates
 * workloads, runs the peers in the same run and writes the reports.
 *
 * Every figure is the median over rounds of the mean time of one call in
 * that round. A round repeats the call enough times to last at least
 * bench_config.round_ns, so the clock's resolution and the loop's overhead
 * are small against it.
 */
#ifndef SKR_BENCH_HARNESS_H
#define SKR_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "skr.h"

#define BENCH_ROUNDS_DEFAULT 11u
#define BENCH_ROUND_NS_DEFAULT 20e6
/* --quick: enough to check that every path runs, not to measure. */
#define BENCH_ROUNDS_QUICK 3u
#define BENCH_ROUND_NS_QUICK 1e6
#define BENCH_THREADS_MAX 256u

typedef struct bench_config {
	uint32_t rounds;     /* timed rounds per figure */
	double round_ns;     /* minimum duration of one round */
	uint32_t threads;    /* threads of the parallel evaluate-only run; 0 or 1 for none */
	int quick;
} bench_config;

void bench_config_init(bench_config *config, int quick);

/* Spread of one figure, in nanoseconds per call. */
typedef struct bench_stats {
	int valid;           /* 0 when the figure was not measured */
	double median;
	double p10;
	double p90;
	double min;
	double max;
	uint64_t calls;      /* calls per round */
	uint32_t rounds;
} bench_stats;

/* Runs the measured operation calls times. ctx is the operation's state. */
typedef void (*bench_loop)(void *ctx, uint64_t calls);

/* Monotonic clock in nanoseconds. */
double bench_now_ns(void);

/* Calibrates the number of calls per round, runs one untimed warm-up
 * round and config->rounds timed rounds, and fills out. */
void bench_measure(const bench_config *config, bench_loop loop, void *ctx, bench_stats *out);

/* Statistics of n per-call times (sorted in place). */
void bench_stats_from(double *per_call, uint32_t n, uint64_t calls, bench_stats *out);

/* ---- inputs and workloads ---- */

/* What the policies are decided on: a claims object, or a token with the
 * trust store that verifies it. */
typedef struct bench_input {
	char *claims_json;           /* the claims file, or the token's decoded payload */
	size_t claims_json_len;
	skr_claims *claims;          /* index built once from claims_json */
	char *issuer;                /* NUL-terminated */
	size_t issuer_len;
	char *token;                 /* NULL when deciding on a claims file */
	size_t token_len;
	skr_trust *trust;
	skr_verify_options options;  /* now, leeway, algorithms and limits of the token */
	skr_limits limits;           /* limits of claims parsing */
	/* Pieces of the token for the part timings and the peers; pointers
	 * into buffers this structure owns. */
	char *signing_input;
	size_t signing_input_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *rsa_n;              /* the verifying key, big-endian */
	size_t rsa_n_len;
	uint8_t *rsa_e;
	size_t rsa_e_len;
	const char *claims_path;     /* input files as given, for the Python peers; */
	const char *token_path;      /* NULL when there is none */
	const char *trust_path;
} bench_input;

void bench_input_free(bench_input *input);

/* Verifies token with trust, then fills input from what the verification
 * found: the claims index, the issuer, the payload, the signing input, the
 * signature and the key. Takes ownership of token and trust (freed by
 * bench_input_free, also on failure). On failure writes why into err and
 * returns the status. */
skr_status bench_input_from_token(bench_input *input, char *token, size_t token_len,
                                  skr_trust *trust, const skr_verify_options *options,
                                  char *err, size_t err_cap);

/* Fills input from claims JSON, taking ownership of json. issuer may be
 * NULL to use the claims' "iss". */
skr_status bench_input_from_claims(bench_input *input, char *json, size_t len,
                                   const skr_limits *limits, const char *issuer, char *err,
                                   size_t err_cap);

/* One program with what it is decided on. */
typedef struct bench_workload {
	char *name;
	char *policy_json;         /* the policy as JSON, for the peers; NULL for a program file */
	size_t policy_json_len;
	skr_program *program;
	bench_input *input;        /* shared between workloads unless owns_input */
	int owns_input;
} bench_workload;

void bench_workload_free(bench_workload *workload);

/* ---- generated workloads (workloads.c) ---- */

typedef enum bench_gen_kind {
	BENCH_GEN_CONDITIONS = 0,  /* one entry, N conditions on N claims, all hold */
	BENCH_GEN_AUTHORITIES,     /* N entries of 3 conditions; only the last one matches */
	BENCH_GEN_CLAIMS           /* 3 conditions on claims of N members */
} bench_gen_kind;

#define BENCH_GEN_SIZES_MAX 32u

/* A parsed --generate KIND=N[,N...] argument. */
typedef struct bench_gen_spec {
	bench_gen_kind kind;
	uint32_t sizes[BENCH_GEN_SIZES_MAX];
	uint32_t count;
} bench_gen_spec;

/* Parses KIND=N[,N...]. Returns 0, or -1 with the problem in err. */
int bench_gen_parse(const char *text, bench_gen_spec *spec, char *err, size_t err_cap);

/* Limits under which every generated workload compiles and its claims
 * parse: the defaults with room for large texts and claims. */
void bench_gen_limits(skr_limits *limits);

/* Builds the workload of one kind and size: the policy compiled, the
 * claims indexed. Returns SKR_OK or the failing status with err set. */
skr_status bench_gen_workload(bench_gen_kind kind, uint32_t size, bench_workload *out,
                              char *err, size_t err_cap);

/* ---- measuring one workload (harness.c) ---- */

/* Parts of a cold release, each timed alone with the functions the
 * verification calls. */
typedef struct bench_cold_parts {
	bench_stats base64url;   /* decoding the three parts, nothing else */
	bench_stats header;      /* skr_jws_parse (form, base64url, header JSON) less base64url */
	bench_stats jws_parse;
	bench_stats signature;   /* SHA-256 of the signing input and the RSA verification */
	bench_stats sha256;      /* the SHA-256 alone */
	bench_stats index;       /* building the claims index from the payload */
	bench_stats eval;        /* evaluating on the built index */
	double rest;             /* cold less the parts: issuer and kid look-up, lifetime,
	                            allocations; derived, not measured */
} bench_cold_parts;

/* Programs in the batch figure: a workload asking for this many keys. */
#define BENCH_BATCH_PROGRAMS 8u
/* Thread counts of the scaling figures: 1 to N when N is at most this,
 * otherwise powers of two and N. */
#define BENCH_SCALING_MAX 24u

/* What each thread does in a scaling run. */
typedef enum bench_thread_work {
	BENCH_THREADS_EVAL = 0,   /* skr_evaluate on the shared claims index */
	BENCH_THREADS_COLD,       /* skr_release_batch in its own workspace, no cache */
	BENCH_THREADS_WARM,       /* skr_release_batch through one shared cache */
	BENCH_THREADS_KINDS
} bench_thread_work;

/* Wall time per decision of all threads together, per thread count. */
typedef struct bench_scaling {
	uint32_t count;                          /* thread counts measured */
	uint32_t threads[BENCH_SCALING_MAX];
	bench_stats wall[BENCH_THREADS_KINDS][BENCH_SCALING_MAX];
} bench_scaling;

typedef struct bench_result {
	const bench_workload *workload;
	skr_result decision;
	skr_cost cost;            /* static, for any issuer */
	skr_cost issuer_cost;     /* static, for the workload's issuer */
	skr_run_cost run;         /* what the measured decision executed */
	bench_stats eval;
	bench_stats index;
	bench_stats cold;         /* skr_release_batch of the one program, workspace, no cache */
	bench_stats warm;         /* the same through a verified-token cache that contains it */
	int warm_cached;          /* 1 when every warm call was a cache hit */
	bench_stats release;      /* skr_release, which allocates the claims index each time */
	bench_stats batch;        /* skr_release_batch of BENCH_BATCH_PROGRAMS programs, no
	                             cache: time per batch */
	bench_cold_parts parts;
	uint32_t threads;
	bench_stats eval_threads; /* wall time per decision with all threads running */
	bench_scaling scaling;    /* with --threads N, each kind at each count */
} bench_result;

/* Measures one workload. Returns SKR_OK or a status with err set. */
skr_status bench_run_workload(const bench_config *config, const bench_workload *workload,
                              bench_result *result, char *err, size_t err_cap);

/* Runs the evaluate-only loop, and for a token the cold and warm release
 * loops, of result's workload on 1 to config->threads threads at once, and
 * fills result->scaling and result->eval_threads (threads.c). Returns 0,
 * or -1 when a thread or its workspace could not start. */
int bench_run_threads(const bench_config *config, bench_result *result);

/* ---- peers ---- */

/* The work a peer does, and so the skr figure it is compared with. */
typedef enum bench_work {
	BENCH_WORK_EVAL = 0,     /* decide on claims already parsed: eval_ns */
	BENCH_WORK_INDEX_EVAL,   /* parse the claims JSON, then decide: index_ns + eval_ns */
	BENCH_WORK_COLD,         /* verify the token, then decide: cold_ns */
	BENCH_WORK_VERIFY        /* verify the signature only: the signature part */
} bench_work;

#define BENCH_PEERS_MAX 24u

typedef struct bench_peer {
	char name[48];
	char version[48];
	char what[240];
	bench_work work;
	bench_stats stats;
	int decision;            /* 1 release, 0 deny, -1 none (verification only) */
} bench_peer;

typedef struct bench_peers {
	bench_peer items[BENCH_PEERS_MAX];
	size_t count;
	int floor_valid;         /* the OpenSSL floor was measured */
	bench_stats rsa_verify;  /* EVP_PKEY_verify, RSA-2048 PKCS#1 v1.5, context reused */
	bench_stats sha256;      /* SHA-256 of the signing input, context reused */
	char floor_version[64];
	char notes[8][200];      /* peers that could not run, and why */
	size_t note_count;
} bench_peers;

/* Appends a peer; returns NULL when the list is full. */
bench_peer *bench_peers_add(bench_peers *peers, const char *name, const char *version,
                            bench_work work, const char *what);
void bench_peers_note(bench_peers *peers, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Whether the C peers were compiled in (a build with -Dpeers=true). */
int bench_c_peers_built(void);

/* Measures the C peers (the hand-written evaluator, libjwt, the OpenSSL
 * floor) on the workload. A no-op that notes why in a build without them. */
void bench_c_peers_run(const bench_config *config, const bench_workload *workload,
                       bench_peers *peers);

/* Runs the Python peers script (python.c) on the workload and adds what it
 * reports. python is the interpreter to run. Problems become notes. */
void bench_python_peers_run(const bench_config *config, const bench_workload *workload,
                            const char *python, const char *script, bench_peers *peers);

/* The skr figure a peer's work compares with, from the first result;
 * 0 when skr did not measure it. */
double bench_skr_ns_for(const bench_result *first, bench_work work);
const char *bench_work_name(bench_work work);

/* ---- reports (report.c, svg.c) ---- */

typedef struct bench_machine {
	char cpu[128];
	long cores;
	double memory_gib;
	double load_before[3];
	double load_after[3];
	char compiler[64];
	int optimized;           /* this code was compiled with optimization */
} bench_machine;

void bench_machine_read(bench_machine *machine);
/* Reads the load averages of /proc/loadavg; zeros when unreadable. */
void bench_load_average(double load[3]);

typedef struct bench_report {
	const bench_config *config;
	const bench_result *results;
	size_t count;
	const bench_peers *peers;
	const bench_machine *machine;
} bench_report;

void bench_report_table(FILE *out, const bench_report *report);
void bench_report_csv(FILE *out, const bench_report *report);
void bench_report_json(FILE *out, const bench_report *report);
/* Writes a bar chart as SVG. Returns 0, or -1 on a write error. */
int bench_report_svg(FILE *out, const bench_report *report);

#endif
