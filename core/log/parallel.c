/* parallel.c — a fork-join "parallel for" over contiguous ranges. */
#include <pthread.h>
#include <unistd.h>

#include "log.h"

struct worker {
	pthread_t thread;
	corridor_range_fn fn;
	void *ctx;
	unsigned id;
	size_t begin, end;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->fn(w->ctx, w->id, w->begin, w->end);
	return NULL;
}

unsigned corridor_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	if ((unsigned long)n > CORRIDOR_THREADS_MAX)
		return CORRIDOR_THREADS_MAX;
	return (unsigned)n;
}

unsigned corridor_parallel_for(size_t n, unsigned threads, corridor_range_fn fn, void *ctx)
{
	struct worker workers[CORRIDOR_THREADS_MAX];
	if (threads == 0)
		threads = corridor_cores();
	if (threads > CORRIDOR_THREADS_MAX)
		threads = CORRIDOR_THREADS_MAX;
	if ((size_t)threads > n)
		threads = n == 0 ? 1 : (unsigned)n;
	size_t per = n / threads, extra = n % threads, at = 0;
	for (unsigned i = 0; i < threads; i++) {
		size_t len = per + (i < extra ? 1u : 0u);
		workers[i] = (struct worker){ .fn = fn, .ctx = ctx, .id = i, .begin = at,
					      .end = at + len };
		at += len;
	}
	CORRIDOR_ASSERT(at == n);
	unsigned started = 1;
	for (unsigned i = 1; i < threads; i++) {
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
			/* No thread: do that share here instead. */
			fn(ctx, i, workers[i].begin, workers[i].end);
			workers[i].fn = NULL;
			continue;
		}
		started++;
	}
	fn(ctx, 0, workers[0].begin, workers[0].end);
	for (unsigned i = 1; i < threads; i++)
		if (workers[i].fn)
			pthread_join(workers[i].thread, NULL);
	return started;
}

static void *helper_main(void *arg)
{
	struct corridor_worker_arg *a = arg;
	a->fn(a->ctx, a->id);
	return NULL;
}

unsigned corridor_workers_start(struct corridor_workers *w, unsigned count,
				void (*fn)(void *ctx, unsigned id), void *ctx)
{
	if (count > CORRIDOR_THREADS_MAX - 1)
		count = CORRIDOR_THREADS_MAX - 1;
	w->count = 0;
	for (unsigned i = 0; i < count; i++) {
		struct corridor_worker_arg *a = &w->args[w->count];
		*a = (struct corridor_worker_arg){ .fn = fn, .ctx = ctx, .id = w->count + 1 };
		if (pthread_create(&w->threads[w->count], NULL, helper_main, a) != 0)
			break; /* fewer helpers: the caller's loop does the rest */
		w->count++;
	}
	return w->count;
}

void corridor_workers_join(struct corridor_workers *w)
{
	for (unsigned i = 0; i < w->count; i++)
		pthread_join(w->threads[i], NULL);
	w->count = 0;
}
