/*
 * client/client.h — the client of `corridor serve` (docs/SERVICE.md "Remote
 * mode"). It sends statements signed on this machine and trusts nothing it
 * gets back: every receipt's entry must wrap the statement sent, its leaf
 * must be included under the checkpoint it names, that checkpoint must be
 * signed by the operator's key and consistent with the last checkpoint this
 * client saw of that ledger (kept in a state file), so a server that
 * rewrites history is caught by its own clients.
 *
 * Uses only the public API (and libcurl, jansson). Not part of libcorridor.
 */
#ifndef CORRIDOR_CLIENT_H
#define CORRIDOR_CLIENT_H

#include "corridor/corridor.h"

/* Limits on what the client accepts and how long it waits. */
#define CORRIDOR_CLIENT_ANSWER_BYTES_MAX ((size_t)64 << 20) /* one response body */
#define CORRIDOR_CLIENT_RETRIES_MAX 5u        /* the same bytes again, after a lost answer */
#define CORRIDOR_CLIENT_RETRY_AFTER_MAX_S 30u /* the longest Retry-After it honours */
#define CORRIDOR_CLIENT_CONNECT_TIMEOUT_S 10L
#define CORRIDOR_CLIENT_TIMEOUT_S 120L /* one whole request */
#define CORRIDOR_CLIENT_BATCH_MAX 1024u /* statements per request: the server's limit */

struct corridor_client_options {
	const char *url;         /* http(s)://host:port, no path */
	const char *server_vkey; /* the operator's verifier key (C2SP note key) */
	const char *cacert;      /* CA file for https (NULL: the system's) */
	const char *state_dir;   /* NULL: $CORRIDOR_STATE, $XDG_STATE_HOME/corridor or
				  * ~/.local/state/corridor */
};

struct corridor_client;

/* Connects: fetches the ledger's description and its latest checkpoint,
 * checks the checkpoint's signature with the operator's key and its
 * consistency with the one this client saw last, and records it. Errors:
 * CORRIDOR_E_INVALID (an option), CORRIDOR_E_IO (the server or the state
 * directory), CORRIDOR_E_VERIFY (a checkpoint that is not signed by the key,
 * or not consistent with what was seen before), CORRIDOR_E_NOMEM. */
int corridor_client_open(const struct corridor_client_options *o, struct corridor_client **out,
			 struct corridor_diag *diag);
/* A signed read (RFC 9421, corridor/httpsig.h) by `reader`'s key: GET
 * path + query ("" or "?..."); on 200 the body (malloc'd, NUL-terminated).
 * What the server shows is what `reader` may see (docs/SERVICE.md "Who sees
 * what"). Errors: CORRIDOR_E_KEY (401: not a current key, or outside its
 * window), CORRIDOR_E_REFUSED (403), CORRIDOR_E_NOTFOUND, CORRIDOR_E_IO. */
int corridor_client_get(struct corridor_client *c, const struct corridor_signer *reader,
			const char *path, const char *query, char **body, size_t *len,
			struct corridor_diag *diag);
/* Where a reader's verified replica of this server's ledger lives by
 * default: beside the state file, <state dir>/<origin>.replica. */
int corridor_client_replica_path(const struct corridor_client *c, char *out, size_t size);
/* The transport a remote ledger handle (corridor_ledger_open_remote) uses. */
const struct corridor_remote *corridor_client_remote(const struct corridor_client *c);
void corridor_client_free(struct corridor_client *c);

/* A mirror of the log's tiles over HTTP (a static web server, or corridor
 * serve): the fetcher corridor_tiles_import_from takes. With a reader, each
 * request is signed (RFC 9421), as corridor serve asks for entry bundles.
 * The body of a 200 (gzip decoded); CORRIDOR_E_NOTFOUND for a 404. */
struct corridor_mirror;
int corridor_mirror_open(const char *url, const char *cacert, const struct corridor_signer *reader,
			 struct corridor_mirror **out, struct corridor_diag *diag);
int corridor_mirror_fetch(void *mirror, const char *rel, size_t max, uint8_t **data, size_t *len,
			  struct corridor_diag *diag);
void corridor_mirror_free(struct corridor_mirror *m);

/* One POST (a witness's add-checkpoint): its status and body (malloc'd,
 * NUL-terminated), within timeout_s. Errors: CORRIDOR_E_IO (no answer),
 * CORRIDOR_E_NOMEM. */
int corridor_http_post(const char *url, const char *cacert, const char *body, size_t len,
		       long timeout_s, long *status, char **answer, size_t *answer_len,
		       struct corridor_diag *diag);

#endif
