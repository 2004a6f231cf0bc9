/*
 * views.h — the service's JSON views of the reading commands
 * (docs/SERVICE.md "Reads"): each answered with the bytes the CLI prints
 * for `--format json`, written by the same library calls (corridor/views.h),
 * narrowed to what the signed reader may see.
 */
#ifndef CORRIDOR_SERVICE_VIEWS_H
#define CORRIDOR_SERVICE_VIEWS_H

#include <pthread.h>

#include "corridor/corridor.h"

/* A query argument by name, or NULL. */
typedef const char *(*serve_arg_fn)(void *ctx, const char *name);

struct serve_view {
	unsigned status;   /* an HTTP status */
	const char *type;  /* the body's media type */
	char *body;        /* malloc'd: the document, or {"error": ...} */
	size_t len;
};

/* Whether `path` is one of the views (GET /v1/parties, /v1/contracts, ...). */
bool serve_view_path(const char *path);
/* Answers GET `path` for `reader` (authenticated), taking `lock` (if not
 * NULL) around its use of the ledger. */
void serve_view_answer(struct corridor_ledger *l, pthread_mutex_t *lock, const char *path,
		       serve_arg_fn arg, void *arg_ctx, const char *reader,
		       struct serve_view *out);

#endif
