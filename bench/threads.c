/*
 * Throughput with several threads. Every thread shares the program, the
 * trust store and, for evaluate only, one claims index, all read-only.
 * For releases each thread has its own workspace, and the warm run shares
 * one verified-token cache that contains the token. Each round wakes every
 * thread at once and ends when the last one finishes, so a figure is wall
 * time per decision of all threads together: with perfect scaling it is
 * the one-thread figure divided by the thread count.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef struct round_control {
	pthread_mutex_t lock;
	pthread_cond_t start;      /* signalled when round grows or stop is set */
	pthread_cond_t done;       /* signalled when running drops to 0 */
	uint32_t round;
	uint32_t running;
	int stop;
} round_control;

typedef struct thread_state {
	pthread_t thread;
	round_control *control;
	const bench_workload *workload;
	bench_thread_work work;
	skr_workspace *ws;
	skr_cache *cache;
	uint64_t calls;
	unsigned failures;
	unsigned sink;
} thread_state;

static void run_calls(thread_state *t)
{
	const bench_input *in = t->workload->input;
	const skr_program *programs[1] = { t->workload->program };
	skr_result result = { SKR_DENY, -1, NULL };
	skr_release_info info;

	switch (t->work) {
	case BENCH_THREADS_EVAL:
		for (uint64_t i = 0; i < t->calls; i++)
			skr_evaluate(t->workload->program, in->claims, in->issuer, in->issuer_len, NULL,
			             &result);
		break;
	case BENCH_THREADS_COLD:
	case BENCH_THREADS_WARM:
		for (uint64_t i = 0; i < t->calls; i++) {
			if (skr_release_batch(in->trust, t->cache, t->ws, programs, 1, in->token,
			                      in->token_len, &in->options, NULL, &info, &result) != SKR_OK ||
			    (t->work == BENCH_THREADS_WARM && !info.cached))
				t->failures++;
		}
		break;
	default:
		break;
	}
	t->sink += (unsigned)result.decision;
}

static void *run_thread(void *opaque)
{
	thread_state *t = opaque;
	round_control *control = t->control;
	uint32_t seen = 0;

	for (;;) {
		pthread_mutex_lock(&control->lock);
		while (control->round == seen && !control->stop)
			pthread_cond_wait(&control->start, &control->lock);
		if (control->stop) {
			pthread_mutex_unlock(&control->lock);
			return NULL;
		}
		seen = control->round;
		pthread_mutex_unlock(&control->lock);

		run_calls(t);

		pthread_mutex_lock(&control->lock);
		if (--control->running == 0)
			pthread_cond_signal(&control->done);
		pthread_mutex_unlock(&control->lock);
	}
}

/* Runs one round on n started threads; returns its wall time in ns. */
static double run_round(round_control *control, uint32_t n)
{
	pthread_mutex_lock(&control->lock);
	control->running = n;
	control->round++;
	double begin = bench_now_ns();
	pthread_cond_broadcast(&control->start);
	while (control->running > 0)
		pthread_cond_wait(&control->done, &control->lock);
	double elapsed = bench_now_ns() - begin;
	pthread_mutex_unlock(&control->lock);
	return elapsed;
}

/* The thread counts to measure up to n: all of them when they fit,
 * otherwise powers of two and n itself. */
static uint32_t scaling_counts(uint32_t n, uint32_t *counts)
{
	uint32_t count = 0;
	if (n <= BENCH_SCALING_MAX) {
		for (uint32_t t = 1; t <= n; t++)
			counts[count++] = t;
		return count;
	}
	for (uint32_t t = 1; t < n && count < BENCH_SCALING_MAX - 1; t *= 2)
		counts[count++] = t;
	counts[count++] = n;
	return count;
}

/* Measures one kind of work on n threads: a warm-up round, then the
 * configured rounds. Returns 0, or -1 when a thread could not start. */
static int measure(const bench_config *config, const bench_result *result,
                   bench_thread_work work, uint64_t calls, uint32_t n, skr_cache *cache,
                   thread_state *threads, bench_stats *out)
{
	uint32_t rounds = config->rounds > 0 ? config->rounds : 1;
	double *per_call = calloc(rounds, sizeof *per_call);
	round_control control;
	uint32_t started = 0;
	int rc = -1;

	memset(&control, 0, sizeof control);
	pthread_mutex_init(&control.lock, NULL);
	pthread_cond_init(&control.start, NULL);
	pthread_cond_init(&control.done, NULL);
	if (per_call == NULL)
		goto done;

	for (started = 0; started < n; started++) {
		thread_state *t = &threads[started];
		t->control = &control;
		t->workload = result->workload;
		t->work = work;
		t->cache = work == BENCH_THREADS_WARM ? cache : NULL;
		t->calls = calls;
		t->failures = 0;
		if (pthread_create(&t->thread, NULL, run_thread, t) != 0)
			break;
	}
	if (started == n) {
		run_round(&control, n);  /* warm-up, which also fills the cache */
		for (uint32_t r = 0; r < rounds; r++)
			per_call[r] = run_round(&control, n) / ((double)calls * n);
		bench_stats_from(per_call, rounds, calls * n, out);
		rc = 0;
	}

	pthread_mutex_lock(&control.lock);
	control.stop = 1;
	pthread_cond_broadcast(&control.start);
	pthread_mutex_unlock(&control.lock);
	for (uint32_t i = 0; i < started; i++)
		pthread_join(threads[i].thread, NULL);
	for (uint32_t i = 0; i < started && work != BENCH_THREADS_EVAL; i++) {
		/* The warm-up round's first call per thread may miss. */
		if (threads[i].failures > (work == BENCH_THREADS_WARM ? 1u : 0u))
			rc = -1;
	}

done:
	pthread_cond_destroy(&control.done);
	pthread_cond_destroy(&control.start);
	pthread_mutex_destroy(&control.lock);
	free(per_call);
	return rc;
}

int bench_run_threads(const bench_config *config, bench_result *result)
{
	uint32_t n = config->threads > BENCH_THREADS_MAX ? BENCH_THREADS_MAX : config->threads;
	const bench_input *in = result->workload->input;
	thread_state *threads = calloc(n, sizeof *threads);
	skr_cache *cache = NULL;
	int rc = -1;
	if (threads == NULL)
		return -1;
	if (in->token != NULL) {
		if (skr_cache_new(in->trust, NULL, &cache) != SKR_OK)
			goto done;
		for (uint32_t i = 0; i < n; i++) {
			if (skr_workspace_new(&in->options.limits, &threads[i].ws) != SKR_OK)
				goto done;
		}
	}

	bench_scaling *scaling = &result->scaling;
	scaling->count = scaling_counts(n, scaling->threads);
	/* The single-thread calibration gives each thread a round of at
	 * least round_ns. */
	const bench_stats *single[BENCH_THREADS_KINDS] = { &result->eval, &result->cold, &result->warm };
	for (uint32_t k = 0; k < BENCH_THREADS_KINDS; k++) {
		if (k != BENCH_THREADS_EVAL && in->token == NULL)
			continue;
		uint64_t calls = single[k]->calls > 0 ? single[k]->calls : 1;
		for (uint32_t c = 0; c < scaling->count; c++) {
			if (measure(config, result, (bench_thread_work)k, calls, scaling->threads[c], cache,
			            threads, &scaling->wall[k][c]) != 0)
				goto done;
		}
	}
	result->eval_threads = scaling->wall[BENCH_THREADS_EVAL][scaling->count - 1];
	result->threads = n;
	rc = 0;

done:
	for (uint32_t i = 0; i < n; i++)
		skr_workspace_free(threads[i].ws);
	skr_cache_free(cache);
	free(threads);
	return rc;
}
