/*
 * internal.h — what core/ shares beyond base/ and formats/: the parallel
 * helpers. Not part of the API.
 */
#ifndef CORRIDOR_INTERNAL_H
#define CORRIDOR_INTERNAL_H

#include "../base/base.h"
#include "../formats/formats.h"

/* ---- parallel for (core/parallel.c) ---- */

/* Calls fn(ctx, worker, begin, end) on up to `threads` workers over [0, n),
 * the calling thread being worker 0. threads 0 = one per online core.
 * Returns the number of workers used. */
typedef void (*corridor_range_fn)(void *ctx, unsigned worker, size_t begin, size_t end);
unsigned corridor_parallel_for(size_t n, unsigned threads, corridor_range_fn fn, void *ctx);
unsigned corridor_cores(void);

/* Helper threads that run fn(ctx, id) with ids 1..count while the caller
 * (id 0) works too; used by pipelines whose stages hand work over through
 * atomics. Returns how many started (possibly fewer: the caller must be able
 * to finish alone). */
#include <pthread.h>
struct corridor_worker_arg {
	void (*fn)(void *ctx, unsigned id);
	void *ctx;
	unsigned id;
};
struct corridor_workers {
	unsigned count;
	pthread_t threads[CORRIDOR_THREADS_MAX];
	struct corridor_worker_arg args[CORRIDOR_THREADS_MAX];
};
unsigned corridor_workers_start(struct corridor_workers *w, unsigned count,
				void (*fn)(void *ctx, unsigned id), void *ctx);
void corridor_workers_join(struct corridor_workers *w);

#endif
