/*
 * Evaluate-only throughput with several threads sharing one program and
 * one claims index, both read-only. Each round wakes every thread at once
 * and ends when the last one finishes, so the figure is wall time per
 * decision of all threads together: with perfect scaling it is the
 * single-thread figure divided by the thread count.
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
	uint64_t calls;
	unsigned sink;
} thread_state;

static void *run_thread(void *opaque)
{
	thread_state *t = opaque;
	round_control *control = t->control;
	const bench_input *in = t->workload->input;
	skr_result result = { SKR_DENY, -1, NULL };
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

		for (uint64_t i = 0; i < t->calls; i++)
			skr_evaluate(t->workload->program, in->claims, in->issuer, in->issuer_len, NULL,
			             &result);
		t->sink += (unsigned)result.decision;

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

int bench_run_threads(const bench_config *config, bench_result *result)
{
	uint32_t n = config->threads > BENCH_THREADS_MAX ? BENCH_THREADS_MAX : config->threads;
	uint32_t rounds = config->rounds > 0 ? config->rounds : 1;
	/* The single-thread calibration gives each thread a round of at least
	 * round_ns. */
	uint64_t calls = result->eval.calls > 0 ? result->eval.calls : 1;
	thread_state *threads = calloc(n, sizeof *threads);
	double *per_call = calloc(rounds, sizeof *per_call);
	round_control control;
	uint32_t started = 0;
	int rc = -1;

	memset(&control, 0, sizeof control);
	pthread_mutex_init(&control.lock, NULL);
	pthread_cond_init(&control.start, NULL);
	pthread_cond_init(&control.done, NULL);
	if (threads == NULL || per_call == NULL)
		goto done;

	for (started = 0; started < n; started++) {
		thread_state *t = &threads[started];
		t->control = &control;
		t->workload = result->workload;
		t->calls = calls;
		if (pthread_create(&t->thread, NULL, run_thread, t) != 0)
			break;
	}
	if (started == n) {
		run_round(&control, n);  /* warm-up */
		for (uint32_t r = 0; r < rounds; r++)
			per_call[r] = run_round(&control, n) / ((double)calls * n);
		bench_stats_from(per_call, rounds, calls * n, &result->eval_threads);
		result->threads = n;
		rc = 0;
	}

	pthread_mutex_lock(&control.lock);
	control.stop = 1;
	pthread_cond_broadcast(&control.start);
	pthread_mutex_unlock(&control.lock);
	for (uint32_t i = 0; i < started; i++)
		pthread_join(threads[i].thread, NULL);

done:
	pthread_cond_destroy(&control.done);
	pthread_cond_destroy(&control.start);
	pthread_mutex_destroy(&control.lock);
	free(threads);
	free(per_call);
	return rc;
}
