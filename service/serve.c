/*
 * serve.c — `corridor serve`: the sequencer over HTTP (docs/SERVICE.md).
 * Uses only the public API (and the CLI's option helpers): statements signed
 * on the parties' machines arrive, are sequenced by corridor_submit with the
 * operator key this process holds, and are answered with receipts.
 *
 *   POST /v1/statements   one signed statement, or a msgpack array of bin,
 *                         queued, gathered with others into one transaction
 *                         by the batcher; ?dry_run=1 decides without writing
 *   GET  /v1/ledger       origin, size, statement lifetime (JSON)
 *   GET  /v1/proof/consistency?old=A&new=B   base64 hashes, one a line
 *   GET  /checkpoint      the latest signed checkpoint (text/plain)
 *   GET  /healthz         "ok"
 *   GET  /metrics         Prometheus text: requests by status, statements,
 *                         commit time, open connections, ledger size
 *
 * libmicrohttpd runs an epoll thread and a small pool; a POST's connection
 * is suspended while its statements wait in the queue, and resumed by the
 * batcher, whose thread then writes the receipts. One mutex keeps writes
 * (the batcher's transactions, dry runs) to one at a time; reads (signed
 * reads, key lookups, receipts) run beside them on LMDB's read snapshots.
 * SIGTERM or SIGINT: stop accepting, commit and answer what is queued,
 * exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "corridor/corridor.h"
#include "../cli/cli.h"
#include "views.h"

/* Limits (docs/SERVICE.md "Limits"). */
#define SERVE_BODY_BYTES_MAX ((size_t)8 << 20)
#define SERVE_STATEMENTS_MAX 1024u
#define SERVE_CONNECTIONS_MAX 256u
#define SERVE_CONNECTIONS_PER_ADDR_MAX 32u
#define SERVE_REQUEST_SECONDS_MAX 15u
#define SERVE_THREADS 8u
#define SERVE_URL_LOG_BYTES_MAX 200u
#define SERVE_GATHER_REQUESTS_MAX 256u /* requests gathered into one transaction */
#define SERVE_QUEUE_STATEMENTS_MAX 16384u /* statements waiting; beyond: 503 */
#define SERVE_RETRY_AFTER_S "1"
#define SERVE_LOG_LIMIT_DEFAULT 100u /* entries a /v1/log read returns by default */
#define SERVE_LOG_LIMIT_MAX 1000u
#define SERVE_PEM_BYTES_MAX 65536u /* a TLS certificate chain or key file */
#define SERVE_WITNESSES_MAX 8u      /* --witness URL+VKEY, at most */
#define SERVE_WITNESS_TIMEOUT_S 10L /* one add-checkpoint request */
#define SERVE_WITNESS_POLL_S 1      /* the witness thread looks for a new checkpoint */

/* A witness the service sends its checkpoints to (docs/AUDITING.md). */
struct witness_target {
	char url[512];             /* .../add-checkpoint */
	struct corridor_vkey vk;   /* as a cosigner (type 0x04) */
	uint64_t size;             /* the size it holds, as last heard */
};

/* A connection's clock: a request must be in (headers and body) within
 * SERVE_REQUEST_SECONDS_MAX of the connection's start or of its previous
 * request's end, however it trickles; libmicrohttpd's own timeout only
 * counts idle time. */
struct conn_slot {
	bool used;
	int fd;
	struct timespec since;
};

struct server {
	struct corridor_ledger *l;
	struct corridor_signer *op;
	pthread_mutex_t lock;
	pthread_mutex_t conns_lock;
	struct conn_slot conns[SERVE_CONNECTIONS_MAX];
	pthread_t reaper;
	bool stopping;
	/* the batcher's queue, under qlock */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct job *queue, *queue_tail;
	size_t queued, queued_requests;
	size_t queue_max; /* statements waiting, at most (--queue-max) */
	bool qstop;
	pthread_t batcher;
	const uint8_t **b_ptrs; /* the batcher's, CORRIDOR_BATCH_ENTRIES_MAX each */
	size_t *b_lens;
	uint8_t (*b_verified)[CORRIDOR_PUBLIC_KEY_BYTES];
	struct corridor_receipt *b_rs;
	/* metrics, under conns_lock */
	uint64_t by_status[600];
	uint64_t appended, duplicates, batches, batch_statements;
	double commit_seconds;
	unsigned open_conns;
	bool public_bundles; /* --public: entry bundles for anyone */
	/* witnesses, fed by their own thread: never in the way of a write */
	struct witness_target witnesses[SERVE_WITNESSES_MAX];
	size_t nwitnesses;
	pthread_t witnesser; /* also records the high-water mark */
	char published[4096]; /* --published: the latest checkpoint served, outside the ledger */
	uint64_t published_size;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	bool wstop;
	/* a witness holds a larger tree than this ledger's: restored from an
	 * older state; writes are refused (docs/AUDITING.md "After a restore") */
	_Atomic uint64_t behind_of;
};

/* One POST of statements, queued for the batcher. */
struct job {
	struct job *next;
	struct MHD_Connection *c;
	const uint8_t **ptrs; /* into the request's body */
	size_t *lens, n;
	uint8_t (*verified)[CORRIDOR_PUBLIC_KEY_BYTES]; /* the key each was checked with, or 0s */
	/* the answer, once done */
	bool done;
	int err;
	struct corridor_diag d;
	struct corridor_receipt *rs;
	size_t appended;
	unsigned status;
	char *answer;
	size_t answer_len;
};

struct request {
	uint8_t *body;
	size_t len;
	struct job *job;
	bool begun;     /* the handler has seen its headers */
	char query[CORRIDOR_HTTPSIG_TARGET_BYTES_MAX]; /* the raw query with its '?', or "" */
	bool query_too_long;
	bool too_large;
	unsigned status;
	struct timespec start;
	char what[SERVE_URL_LOG_BYTES_MAX]; /* method and path, escaped */
};

static enum MHD_Result reply(struct MHD_Connection *c, struct request *rq, unsigned status,
			     const char *type, const char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rq->status = status;
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"error": "..."}, the reason escaped as JSON. */
static enum MHD_Result reply_error(struct MHD_Connection *c, struct request *rq, unsigned status,
				   const char *why)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("{\"error\":", f);
	if (corridor_json_write_string(f, why, strlen(why)) != 0)
		fputs("\"\"", f);
	fputs("}\n", f);
	fclose(f);
	enum MHD_Result ret = reply(c, rq, status, "application/json", buf, len);
	free(buf);
	return ret;
}

/* 503 with Retry-After: not now, the same bytes later. */
static enum MHD_Result reply_busy(struct MHD_Connection *c, struct request *rq, const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", why);
	struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, body,
								  MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, SERVE_RETRY_AFTER_S);
	rq->status = MHD_HTTP_SERVICE_UNAVAILABLE;
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
	MHD_destroy_response(r);
	return ret;
}

/* The HTTP status of a refusal (docs/SERVICE.md "Status codes"). */
static unsigned status_of(int err)
{
	switch (err) {
	case CORRIDOR_E_MALFORMED:
	case CORRIDOR_E_NONCANONICAL:
	case CORRIDOR_E_INVALID:
		return MHD_HTTP_BAD_REQUEST;
	case CORRIDOR_E_SIGNATURE:
	case CORRIDOR_E_KEY:
		return MHD_HTTP_FORBIDDEN;
	case CORRIDOR_E_EXISTS:
		return MHD_HTTP_CONFLICT;
	case CORRIDOR_E_LIMIT:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	case CORRIDOR_E_REFUSED:
	case CORRIDOR_E_VERIFY:
	case CORRIDOR_E_OVERFLOW:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	default:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15u];
	}
	out[2 * n] = '\0';
}

/* The receipts of a batch as JSON: seq, hashes, the entry, an inclusion
 * proof under the latest checkpoint. Reads only: no lock (LMDB readers run
 * beside the writer; corridor_txn_begin keeps them from a map resize). */
static int receipts_json(struct server *sv, const struct corridor_receipt *rs, size_t n,
			 char **buf, size_t *blen)
{
	FILE *f = open_memstream(buf, blen);
	if (!f)
		return CORRIDOR_E_NOMEM;
	fputs("{\"receipts\":[", f);
	for (size_t i = 0; i < n; i++) {
		char lh[65], sh[65], *proof = NULL;
		size_t plen = 0;
		hex(rs[i].leaf_hash, 32, lh);
		hex(rs[i].statement_hash, 32, sh);
		fprintf(f, "%s{\"seq\":%llu,\"leaf_hash\":\"%s\",\"statement_hash\":\"%s\","
			   "\"duplicate\":%s,\"entry\":",
			i ? "," : "", (unsigned long long)rs[i].seq, lh, sh,
			rs[i].duplicate ? "true" : "false");
		/* the entry itself, so the client checks what it became */
		uint8_t *eb = NULL;
		size_t elen = 0;
		char *ehex = NULL;
		if (corridor_ledger_entry(sv->l, rs[i].seq, &eb, &elen) == 0 &&
		    (ehex = malloc(2 * elen + 1)) != NULL) {
			hex(eb, elen, ehex);
			fprintf(f, "\"%s\"", ehex);
		} else {
			fputs("null", f);
		}
		free(ehex);
		free(eb);
		fputs(",\"proof\":", f);
		FILE *pf = open_memstream(&proof, &plen);
		int perr = pf ? corridor_prove_inclusion(sv->l, rs[i].seq, pf, NULL) : CORRIDOR_E_NOMEM;
		if (pf)
			fclose(pf);
		if (perr || corridor_json_write_string(f, proof, plen) != 0)
			fputs("null", f);
		fputc('}', f);
		free(proof);
	}
	fputs("]}\n", f);
	return fclose(f) == 0 ? CORRIDOR_OK : CORRIDOR_E_NOMEM;
}

/* Sequences a job alone: its receipts or its refusal. Under sv->lock (the
 * writer's). */
static void job_run(struct server *sv, struct job *j)
{
	corridor_diag_init(&j->d);
	j->err = corridor_submit_verified(sv->l, sv->op, j->ptrs, j->lens,
					  (const uint8_t(*)[CORRIDOR_PUBLIC_KEY_BYTES])j->verified, j->n,
					  j->rs, &j->appended, &j->d);
}

/* The status a finished job gives: 201, 200 or the refusal's. Its receipts
 * are written by the connection's thread when it resumes (post_statements),
 * outside the writer's lock. */
static void job_answer(struct server *sv, struct job *j)
{
	(void)sv;
	j->status = j->err ? status_of(j->err) : j->appended ? MHD_HTTP_CREATED : MHD_HTTP_OK;
}

/* The batcher: the requests that arrived while the previous transaction
 * committed are sequenced in one write transaction, with one checkpoint, up
 * to SERVE_GATHER_REQUESTS_MAX requests and CORRIDOR_BATCH_ENTRIES_MAX
 * statements. If that batch is refused, each
 * request is sequenced on its own, so one request's refusal is its own. */
static void *batcher(void *arg)
{
	struct server *sv = arg;
	struct job *batch[SERVE_GATHER_REQUESTS_MAX];
	const uint8_t **ptrs = sv->b_ptrs;
	size_t *lens = sv->b_lens;
	struct corridor_receipt *rs = sv->b_rs;
	pthread_mutex_lock(&sv->qlock);
	for (;;) {
		while (!sv->queue && !sv->qstop)
			pthread_cond_wait(&sv->qcond, &sv->qlock);
		if (!sv->queue && sv->qstop)
			break;
		/* No waiting for more: what arrived while the last transaction
		 * committed is the next one (group commit), so a lone request
		 * waits one commit, and a busy server commits large batches. */
		size_t nj = 0, total = 0;
		while (sv->queue && nj < SERVE_GATHER_REQUESTS_MAX &&
		       total + sv->queue->n <= CORRIDOR_BATCH_ENTRIES_MAX) {
			struct job *j = sv->queue;
			sv->queue = j->next;
			if (!sv->queue)
				sv->queue_tail = NULL;
			sv->queued -= j->n;
			sv->queued_requests--;
			for (size_t i = 0; i < j->n; i++) {
				ptrs[total + i] = j->ptrs[i];
				lens[total + i] = j->lens[i];
				memcpy(sv->b_verified[total + i], j->verified[i], CORRIDOR_PUBLIC_KEY_BYTES);
			}
			total += j->n;
			batch[nj++] = j;
		}
		pthread_mutex_unlock(&sv->qlock);
		struct timespec t0, t1;
		struct corridor_diag d;
		size_t appended = 0;
		corridor_diag_init(&d);
		pthread_mutex_lock(&sv->lock);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int err = nj > 1 ? corridor_submit_verified(
					   sv->l, sv->op, ptrs, lens,
					   (const uint8_t(*)[CORRIDOR_PUBLIC_KEY_BYTES])sv->b_verified,
					   total, rs, &appended, &d)
				 : -1;
		for (size_t k = 0, at = 0; k < nj; at += batch[k++]->n) {
			struct job *j = batch[k];
			if (err == 0) { /* the gathered batch went in: each its share */
				memcpy(j->rs, rs + at, j->n * sizeof *rs);
				j->appended = 0;
				for (size_t i = 0; i < j->n; i++)
					j->appended += !j->rs[i].duplicate;
				j->err = 0;
			} else {
				job_run(sv, j);
			}
			job_answer(sv, j);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_unlock(&sv->lock);
		pthread_mutex_lock(&sv->conns_lock);
		for (size_t k = 0; k < nj; k++)
			if (!batch[k]->err) {
				sv->appended += batch[k]->appended;
				sv->duplicates += batch[k]->n - batch[k]->appended;
			}
		sv->batches++;
		sv->batch_statements += total;
		/* a new checkpoint for the high-water mark and the witnesses */
		pthread_mutex_lock(&sv->wlock);
		pthread_cond_signal(&sv->wcond);
		pthread_mutex_unlock(&sv->wlock);
		sv->commit_seconds += (double)(t1.tv_sec - t0.tv_sec) +
				      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		pthread_mutex_unlock(&sv->conns_lock);
		/* hand each answer back to its connection */
		pthread_mutex_lock(&sv->qlock);
		for (size_t k = 0; k < nj; k++) {
			batch[k]->done = true;
			MHD_resume_connection(batch[k]->c);
		}
	}
	pthread_mutex_unlock(&sv->qlock);
	return NULL;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->ptrs);
	free(j->lens);
	free(j->verified);
	free(j->rs);
	free(j->answer);
	free(j);
}

/* POST /v1/statements: split, queued for the batcher, the connection
 * suspended until its answer is ready; then answered. A dry run is decided
 * at once. */
static enum MHD_Result post_statements(struct server *sv, struct MHD_Connection *c,
				       struct request *rq, bool dry_run)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (rq->job) { /* resumed: the batcher has answered */
		struct job *j = rq->job;
		if (!j->done)
			return MHD_NO; /* cannot happen: resumed only when done */
		/* the receipts, with proofs under the latest checkpoint (the batch's
		 * or a later one), read from the committed log */
		if (!j->err && !j->answer &&
		    receipts_json(sv, j->rs, j->n, &j->answer, &j->answer_len) != 0) {
			j->err = CORRIDOR_E_NOMEM;
			j->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		}
		return j->err ? reply_error(c, rq, j->status,
					   j->d.text[0] ? j->d.text : corridor_strerror(j->err))
			      : reply(c, rq, j->status, "application/json", j->answer,
				      j->answer_len);
	}
	struct job *j = calloc(1, sizeof *j);
	if (!j || !(j->ptrs = calloc(SERVE_STATEMENTS_MAX, sizeof *j->ptrs)) ||
	    !(j->lens = calloc(SERVE_STATEMENTS_MAX, sizeof *j->lens)) ||
	    !(j->rs = calloc(SERVE_STATEMENTS_MAX, sizeof *j->rs)) ||
	    !(j->verified = calloc(SERVE_STATEMENTS_MAX, sizeof *j->verified))) {
		job_free(j);
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	}
	rq->job = j;
	j->c = c;
	int err = corridor_statements_split(rq->body, rq->len, j->ptrs, j->lens,
					    SERVE_STATEMENTS_MAX, &j->n, &d);
	if (err)
		return reply_error(c, rq, status_of(err), d.text);
	if (dry_run) {
		pthread_mutex_lock(&sv->lock);
		err = corridor_submit_dry_run(sv->l, j->ptrs, j->lens, j->n, j->rs, &j->appended, &d);
		pthread_mutex_unlock(&sv->lock);
		if (err)
			return reply_error(c, rq, status_of(err), d.text[0] ? d.text : corridor_strerror(err));
		/* what would happen: the seqs, nothing signed */
		char *buf = NULL;
		size_t blen = 0;
		FILE *f = open_memstream(&buf, &blen);
		if (!f)
			return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
		fprintf(f, "{\"dry_run\":true,\"new\":%zu,\"seqs\":[", j->appended);
		for (size_t i = 0; i < j->n; i++)
			fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)j->rs[i].seq);
		fputs("]}\n", f);
		fclose(f);
		enum MHD_Result ret = reply(c, rq, MHD_HTTP_OK, "application/json", buf, blen);
		free(buf);
		return ret;
	}
	if (sv->behind_of)
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "this ledger does not extend a checkpoint it published (a witness "
				   "holds it): writes are refused until it is restored");
	/* Signatures are checked here, on the server's threads, before the
	 * write: the author's current key looked up under the lock, the
	 * signature checked outside it. What cannot be looked up yet (a key
	 * registered in the same batch) the sequencer checks at its seq. */
	struct corridor_statement *st = malloc(sizeof *st);
	bool *have = calloc(j->n, sizeof *have);
	if (!st || !have) {
		free(st);
		free(have);
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	}
	for (size_t i = 0; i < j->n; i++)
		have[i] = corridor_statement_key_now(sv->l, j->ptrs[i], j->lens[i], st, j->verified[i],
						     NULL) == 0;
	for (size_t i = 0; i < j->n; i++) {
		if (!have[i] || corridor_statement_decode(j->ptrs[i], j->lens[i], st, NULL) != 0)
			continue;
		if (corridor_statement_check_sig(j->ptrs[i], st, j->verified[i]) != 0) {
			char msg[160];
			snprintf(msg, sizeof msg,
				 "statement %zu: the signature does not verify with key %08x of its "
				 "author",
				 i + 1, (unsigned)st->key_id);
			free(st);
			free(have);
			return reply_error(c, rq, MHD_HTTP_FORBIDDEN, msg);
		}
	}
	free(st);
	free(have);
	pthread_mutex_lock(&sv->qlock);
	if (sv->qstop || sv->queued + j->n > sv->queue_max) {
		bool stopping = sv->qstop;
		pthread_mutex_unlock(&sv->qlock);
		return reply_busy(c, rq, stopping ? "the server is stopping"
						  : "the queue is full: send the same bytes again later");
	}
	if (sv->queue_tail)
		sv->queue_tail->next = j;
	else
		sv->queue = j;
	sv->queue_tail = j;
	sv->queued += j->n;
	sv->queued_requests++;
	MHD_suspend_connection(c);
	pthread_cond_signal(&sv->qcond);
	pthread_mutex_unlock(&sv->qlock);
	return MHD_YES;
}

/* What a client needs before it signs: the origin, the statement lifetime,
 * the size. */
static enum MHD_Result get_ledger(struct server *sv, struct MHD_Connection *c, struct request *rq)
{
	struct corridor_head h;
	char buf[CORRIDOR_NAME_BYTES_MAX * 2 + 160];
	int err = corridor_ledger_head(sv->l, &h);
	if (err)
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, corridor_strerror(err));
	int n = snprintf(buf, sizeof buf,
			 "{\"origin\":\"%s\",\"size\":%llu,\"statement_lifetime_s\":%llu}\n",
			 corridor_ledger_origin(sv->l), (unsigned long long)h.size,
			 (unsigned long long)(corridor_ledger_statement_lifetime_us(sv->l) / 1000000u));
	return reply(c, rq, MHD_HTTP_OK, "application/json", buf, (size_t)n);
}

/* A consistency proof between two signed tree sizes: one base64 hash a line,
 * as c2sp.org/tlog-witness sends them. */
static enum MHD_Result get_consistency(struct server *sv, struct MHD_Connection *c,
				       struct request *rq)
{
	const char *o = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "old");
	const char *nw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "new");
	uint64_t size1 = 0, size2 = 0;
	char *end;
	if (!o || !nw || !*o || !*nw)
		return reply_error(c, rq, MHD_HTTP_BAD_REQUEST, "give old=SIZE&new=SIZE");
	errno = 0;
	size1 = strtoull(o, &end, 10);
	bool ok = !errno && *end == '\0' && o[0] != '-';
	size2 = strtoull(nw, &end, 10);
	if (!ok || errno || *end != '\0' || nw[0] == '-')
		return reply_error(c, rq, MHD_HTTP_BAD_REQUEST, "old and new are tree sizes");
	uint8_t (*proof)[CORRIDOR_HASH_BYTES] = malloc(CORRIDOR_PROOF_HASHES_MAX * CORRIDOR_HASH_BYTES);
	size_t count = 0;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (!proof)
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	int err = corridor_prove_consistency(sv->l, size1, &size2, proof, &count, &d);
	enum MHD_Result ret;
	if (err) {
		ret = reply_error(c, rq, err == CORRIDOR_E_INVALID ? MHD_HTTP_BAD_REQUEST
								   : status_of(err), d.text);
	} else {
		char buf[CORRIDOR_PROOF_HASHES_MAX * 48];
		size_t n = 0;
		for (size_t i = 0; i < count; i++) {
			corridor_base64(proof[i], CORRIDOR_HASH_BYTES, buf + n);
			n += strlen(buf + n);
			buf[n++] = '\n';
		}
		ret = reply(c, rq, MHD_HTTP_OK, "text/plain; charset=utf-8", buf, n);
	}
	free(proof);
	return ret;
}

static enum MHD_Result get_checkpoint(struct server *sv, struct MHD_Connection *c,
				      struct request *rq)
{
	char *note = NULL;
	size_t len = 0;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_checkpoint_served(sv->l, &note, &len, &d);
	if (err)
		return reply_error(c, rq, status_of(err), d.text);
	enum MHD_Result ret = reply(c, rq, MHD_HTTP_OK, "text/plain; charset=utf-8", note, len);
	free(note);
	return ret;
}

static enum MHD_Result get_metrics(struct server *sv, struct MHD_Connection *c,
				   struct request *rq)
{
	struct corridor_head h = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int herr = corridor_ledger_head(sv->l, &h);
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	pthread_mutex_lock(&sv->conns_lock);
	fputs("# TYPE corridor_requests_total counter\n", f);
	for (unsigned s = 100; s < 600; s++)
		if (sv->by_status[s])
			fprintf(f, "corridor_requests_total{status=\"%u\"} %llu\n", s,
				(unsigned long long)sv->by_status[s]);
	fprintf(f, "# TYPE corridor_statements_appended_total counter\n"
		   "corridor_statements_appended_total %llu\n"
		   "# TYPE corridor_statements_duplicate_total counter\n"
		   "corridor_statements_duplicate_total %llu\n"
		   "# TYPE corridor_commit_seconds summary\n"
		   "corridor_commit_seconds_sum %.6f\ncorridor_commit_seconds_count %llu\n"
		   "# TYPE corridor_connections_open gauge\ncorridor_connections_open %u\n"
		   "# TYPE corridor_batch_statements summary\n"
		   "corridor_batch_statements_sum %llu\ncorridor_batch_statements_count %llu\n",
		(unsigned long long)sv->appended, (unsigned long long)sv->duplicates,
		sv->commit_seconds, (unsigned long long)sv->batches, sv->open_conns,
		(unsigned long long)sv->batch_statements, (unsigned long long)sv->batches);
	pthread_mutex_unlock(&sv->conns_lock);
	pthread_mutex_lock(&sv->qlock);
	fprintf(f, "# TYPE corridor_queue_statements gauge\ncorridor_queue_statements %zu\n",
		sv->queued);
	pthread_mutex_unlock(&sv->qlock);
	if (!herr)
		fprintf(f, "# TYPE corridor_ledger_entries gauge\ncorridor_ledger_entries %llu\n",
			(unsigned long long)h.size);
	fclose(f);
	enum MHD_Result ret = reply(c, rq, MHD_HTTP_OK, "text/plain; version=0.0.4", buf, len);
	free(buf);
	return ret;
}

/* The request record, made as soon as the URI is in: it keeps the raw
 * query, which a signed read covers exactly as sent. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct request *rq = calloc(1, sizeof *rq);
	if (!rq)
		return NULL;
	const char *q = strchr(uri, '?');
	if (q && strlen(q) >= sizeof rq->query)
		rq->query_too_long = true;
	else if (q)
		memcpy(rq->query, q, strlen(q) + 1);
	return rq;
}

/* A signed read (RFC 9421, corridor/httpsig.h) by a registered party's
 * current key, within its window: the reader's id in `reader`; or false, with
 * the 401 answered in *r. */
static bool authenticate(struct server *sv, struct MHD_Connection *c, struct request *rq,
			 const char *method, const char *url,
			 char reader[CORRIDOR_NAME_BYTES_MAX + 1], enum MHD_Result *r)
{
	struct corridor_httpsig h;
	struct corridor_diag d;
	corridor_diag_init(&d);
	const char *in = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Signature-Input");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Signature");
	if (rq->query_too_long) {
		*r = reply_error(c, rq, MHD_HTTP_URI_TOO_LONG, "the query is too long");
		return false;
	}
	if (corridor_httpsig_parse(in, sig, &h, &d) != 0) {
		*r = reply_error(c, rq, MHD_HTTP_UNAUTHORIZED, d.text);
		return false;
	}
	struct corridor_party *p = malloc(sizeof *p);
	const struct corridor_party_key *key = NULL;
	int err = p ? corridor_party_get(sv->l, h.keyid_name, p, NULL) : CORRIDOR_E_NOMEM;
	for (size_t i = 0; !err && i < p->key_count; i++)
		if (p->keys[i].key_id == h.keyid && p->keys[i].valid_until == UINT64_MAX)
			key = &p->keys[i];
	if (!key) {
		free(p);
		char esc[CORRIDOR_NAME_BYTES_MAX * 4 + 1];
		corridor_escape(h.keyid_name, strlen(h.keyid_name), esc, sizeof esc);
		snprintf(d.text, sizeof d.text, "key %08x of '%.200s' is not a current key of a party here",
			 (unsigned)h.keyid, esc);
		*r = reply_error(c, rq, MHD_HTTP_UNAUTHORIZED, d.text);
		return false;
	}
	err = corridor_httpsig_verify(&h, method, url, rq->query, key->public_key,
				      (int64_t)time(NULL), &d);
	free(p);
	if (err) {
		*r = reply_error(c, rq, MHD_HTTP_UNAUTHORIZED, d.text);
		return false;
	}
	snprintf(reader, CORRIDOR_NAME_BYTES_MAX + 1, "%s", h.keyid_name);
	return true;
}

/* A query argument as an unsigned number, or `dflt` if absent; false if bad. */
static bool arg_u64(struct MHD_Connection *c, const char *name, uint64_t dflt, uint64_t *v)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	*v = dflt;
	return !s || cli_u64(s, v);
}

/* A query argument of the request (serve_arg_fn). */
static const char *query_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* GET /v1/entries/SEQ: as `corridor entry SEQ` prints it, to a reader who
 * may see it (403 otherwise). */
static enum MHD_Result get_entry(struct server *sv, struct MHD_Connection *c, struct request *rq,
				 const char *seq_s, const char *reader)
{
	uint64_t seq;
	uint8_t *bytes = NULL;
	size_t len = 0, blen = 0;
	char *buf = NULL;
	bool may = false, all = false;
	struct corridor_diag d;
	corridor_diag_init(&d);
	char num[24];
	size_t nlen = strcspn(seq_s, "/");
	bool receipt = strcmp(seq_s + nlen, "/receipt") == 0;
	if (nlen >= sizeof num || (seq_s[nlen] && !receipt))
		return reply_error(c, rq, MHD_HTTP_NOT_FOUND,
				   "/v1/entries/SEQ or /v1/entries/SEQ/receipt");
	memcpy(num, seq_s, nlen);
	num[nlen] = '\0';
	if (!cli_u64(num, &seq))
		return reply_error(c, rq, MHD_HTTP_BAD_REQUEST, "/v1/entries/SEQ: SEQ is a number");
	int err = corridor_ledger_entry(sv->l, seq, &bytes, &len);
	if (!err && (err = corridor_reader_sees_all(sv->l, reader, &all, &d)) == 0 && !all)
		err = corridor_entry_visible(sv->l, reader, bytes, len, &may, &d);
	if (!err && (all || may) && receipt) {
		/* the entry's bytes with an inclusion proof under the latest
		 * checkpoint: what a client verifies before it signs over it */
		struct corridor_receipt r = { .seq = seq };
		struct corridor_entry e;
		struct corridor_statement st;
		corridor_merkle_leaf_hash(bytes, len, r.leaf_hash);
		if (corridor_entry_decode(bytes, len, &e, NULL) == 0 &&
		    e.version == CORRIDOR_ENTRY_VERSION_2 &&
		    corridor_statement_decode(e.statement, e.statement_len, &st, NULL) == 0)
			corridor_statement_hash(e.statement, &st, r.statement_hash);
		err = receipts_json(sv, &r, 1, &buf, &blen);
	}
	enum MHD_Result ret;
	if (err == CORRIDOR_E_NOTFOUND)
		ret = reply_error(c, rq, MHD_HTTP_NOT_FOUND, "no such entry");
	else if (err)
		ret = reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, corridor_strerror(err));
	else if (!all && !may)
		ret = reply_error(c, rq, MHD_HTTP_FORBIDDEN, "this entry is not yours to read");
	else if (receipt)
		ret = reply(c, rq, MHD_HTTP_OK, "application/json", buf, blen);
	else {
		FILE *f = open_memstream(&buf, &blen);
		err = f ? corridor_entry_json(f, bytes, len, NULL) : CORRIDOR_E_NOMEM;
		if (f)
			fclose(f);
		ret = err ? reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, corridor_strerror(err))
			  : reply(c, rq, MHD_HTTP_OK, "application/json", buf, blen);
	}
	free(buf);
	free(bytes);
	return ret;
}

struct log_read {
	struct server *sv;
	const char *reader;
	bool all, lines; /* lines: format=jsonl, else a JSON array */
	size_t n;
	FILE *f;
	int err;
};

static int log_read_one(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct log_read *lr = vctx;
	bool may = lr->all;
	(void)seq;
	if (!may && (lr->err = corridor_entry_visible(lr->sv->l, lr->reader, bytes, len, &may,
						      NULL)) != 0)
		return lr->err;
	if (may && !lr->lines && lr->n)
		fputc(',', lr->f);
	lr->n += may;
	if (may && (lr->err = corridor_entry_json(lr->f, bytes, len, NULL)) != 0)
		return lr->err;
	return 0;
}

/* GET /v1/log?from=SEQ&limit=N[&format=jsonl]: what the reader may see of
 * that range, as `corridor log --format json` prints it (an array), or one
 * JSON object a line (--format jsonl). */
static enum MHD_Result get_log(struct server *sv, struct MHD_Connection *c, struct request *rq,
			       const char *reader)
{
	uint64_t from, limit;
	char *buf = NULL;
	size_t blen = 0;
	if (!arg_u64(c, "from", 0, &from) || !arg_u64(c, "limit", SERVE_LOG_LIMIT_DEFAULT, &limit) ||
	    limit == 0 || limit > SERVE_LOG_LIMIT_MAX)
		return reply_error(c, rq, MHD_HTTP_BAD_REQUEST,
				   "from=SEQ and limit=1..1000 (default 100)");
	const char *format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
	struct log_read lr = { .sv = sv, .reader = reader, .f = open_memstream(&buf, &blen),
			       .lines = format && strcmp(format, "jsonl") == 0 };
	if (!lr.f)
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	if (!lr.lines)
		fputc('[', lr.f);
	int err = corridor_reader_sees_all(sv->l, reader, &lr.all, NULL);
	if (!err)
		err = corridor_ledger_scan(sv->l, from, limit, log_read_one, &lr);
	if (!lr.lines)
		fputs("]\n", lr.f);
	fclose(lr.f);
	enum MHD_Result ret = err ? reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
						corridor_strerror(lr.err ? lr.err : err))
				  : reply(c, rq, MHD_HTTP_OK,
					  lr.lines ? "application/x-ndjson" : "application/json", buf,
					  blen);
	free(buf);
	return ret;
}

/* GET /v1/archive?from=SEQ: the archive `export --format archive` writes,
 * for readers entitled to everything; to any other reader, its view
 * (docs/FORMAT.md §8a): the entries it may see from seq 0, each with its
 * inclusion proof under the latest signed checkpoint. */
static enum MHD_Result get_archive(struct server *sv, struct MHD_Connection *c,
				   struct request *rq, const char *reader)
{
	uint64_t from;
	bool all = false;
	size_t count = 0;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (!arg_u64(c, "from", 0, &from))
		return reply_error(c, rq, MHD_HTTP_BAD_REQUEST, "from=SEQ");
	char dir[] = "/tmp/corridor-archive-XXXXXX", path[sizeof dir + 16];
	if (!mkdtemp(dir))
		return reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "no temporary space");
	snprintf(path, sizeof path, "%s/archive", dir);
	int err = corridor_reader_sees_all(sv->l, reader, &all, &d);
	if (!err)
		err = all ? corridor_archive_export(sv->l, from, path, &d)
			  : corridor_view_export(sv->l, reader, path, &count, &d);
	enum MHD_Result ret;
	int fd = -1;
	if (err)
		ret = reply_error(c, rq, err == CORRIDOR_E_NOTFOUND ? MHD_HTTP_NOT_FOUND
								     : MHD_HTTP_SERVICE_UNAVAILABLE,
				  d.text[0] ? d.text : corridor_strerror(err));
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		ret = reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot read the archive");
	else {
		struct stat st;
		struct MHD_Response *r = fstat(fd, &st) == 0
						 ? MHD_create_response_from_fd((uint64_t)st.st_size, fd)
						 : NULL;
		if (!r) {
			close(fd);
			ret = MHD_NO;
		} else { /* the response owns fd now */
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
						"application/octet-stream");
			MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
			rq->status = MHD_HTTP_OK;
			ret = MHD_queue_response(c, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
		}
	}
	unlink(path); /* an open fd keeps the bytes until sent */
	rmdir(dir);
	return ret;
}

/* One add-checkpoint to witness t for the checkpoint of `size` (its note);
 * a 409 teaches the size the witness holds, and is answered once more. */
static void witness_send(struct server *sv, struct witness_target *t, uint64_t size,
			 const char *note, size_t note_len)
{
	for (int attempt = 0; attempt < 2 && t->size < size; attempt++) {
		uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
		size_t np = 0, cap = 64 + CORRIDOR_PROOF_HASHES_MAX * 48 + note_len, at;
		uint64_t to = size;
		struct corridor_diag d;
		corridor_diag_init(&d);
		if (t->size > 0 && corridor_prove_consistency(sv->l, t->size, &to, proof, &np, &d) != 0) {
			fprintf(stderr, "serve: witness %s: no proof from %llu: %s\n", t->url,
				(unsigned long long)t->size, d.text);
			return;
		}
		char *body = malloc(cap), *ans = NULL;
		if (!body)
			return;
		at = (size_t)snprintf(body, cap, "old %llu\n", (unsigned long long)t->size);
		for (size_t i = 0; i < np; i++) {
			corridor_base64(proof[i], CORRIDOR_HASH_BYTES, body + at);
			at += strlen(body + at);
			body[at++] = '\n';
		}
		body[at++] = '\n';
		memcpy(body + at, note, note_len);
		at += note_len;
		long status = 0;
		size_t alen = 0;
		int err = cli_http_post(t->url, body, at, SERVE_WITNESS_TIMEOUT_S, &status, &ans, &alen,
					&d);
		free(body);
		if (err) {
			fprintf(stderr, "serve: witness %s: %s\n", t->url, d.text);
			return;
		}
		if (status == 409) {
			uint64_t held;
			size_t nl = strcspn(ans, "\n");
			if (corridor_parse_u64(ans, nl, &held) == 0)
				t->size = held;
			free(ans);
			if (t->size > size) { /* it cosigned a tree this ledger does not have */
				if (sv->behind_of < t->size)
					sv->behind_of = t->size;
				fprintf(stderr,
					"serve: witness %s cosigned a checkpoint of size %llu, beyond "
					"this ledger's %llu: the ledger is behind what it published "
					"(restored from a backup?); writes are refused (docs/AUDITING.md "
					"\"After a restore\")\n",
					t->url, (unsigned long long)t->size, (unsigned long long)size);
				return;
			}
			continue;
		}
		if (status == 200) {
			/* each line it sent that is its cosignature of this checkpoint;
			 * lines of types it cannot verify are left out */
			size_t kept = 0;
			for (char *line = ans; *line;) {
				size_t ll = strcspn(line, "\n");
				bool added = false;
				if (line[ll] == '\n') {
					pthread_mutex_lock(&sv->lock);
					if (corridor_checkpoint_add_cosignature(sv->l, size, line, ll + 1,
										&t->vk, &added, NULL) == 0)
						kept++;
					pthread_mutex_unlock(&sv->lock);
					line += ll + 1;
				} else {
					break;
				}
			}
			if (kept)
				t->size = size;
			else
				fprintf(stderr, "serve: witness %s: no cosignature it sent verifies\n",
					t->url);
		} else {
			char why[256];
			corridor_escape(ans, strcspn(ans, "\n"), why, sizeof why);
			fprintf(stderr, "serve: witness %s refused checkpoint %llu: %ld %s\n", t->url,
				(unsigned long long)size, status, why);
			/* 422 from the size it holds: it cosigned a tree this ledger does
			 * not extend (another history since a restore): no more writes */
			if (status == 422 && t->size > 0 && sv->behind_of < t->size)
				sv->behind_of = t->size;
		}
		free(ans);
		return;
	}
}

/* Each new checkpoint recorded as the high-water mark, then sent to every
 * witness behind it; a mark that cannot be written is said once per size. */
static void publish(struct server *sv, const char *note, size_t len, uint64_t size)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (size <= sv->published_size)
		return;
	if (corridor_published_save(sv->published, note, len, &d) != 0)
		fprintf(stderr, "serve: cannot record the high-water mark: %s\n", d.text);
	sv->published_size = size; /* tried: again with the next checkpoint */
}

/* The witness thread: each new checkpoint to every witness behind it. */
static void *witnesser(void *arg)
{
	struct server *sv = arg;
	for (;;) {
		pthread_mutex_lock(&sv->wlock);
		if (!sv->wstop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += SERVE_WITNESS_POLL_S;
			pthread_cond_timedwait(&sv->wcond, &sv->wlock, &until);
		}
		bool stop = sv->wstop;
		pthread_mutex_unlock(&sv->wlock);
		char *note = NULL;
		size_t len = 0;
		struct corridor_checkpoint cp;
		const char *blank;
		if (corridor_checkpoint_get(sv->l, 0, &note, &len, NULL) == 0 &&
		    (blank = strstr(note, "\n\n")) != NULL &&
		    corridor_checkpoint_parse(note, (size_t)(blank - note) + 1, &cp) == 0) {
			publish(sv, note, len, cp.size); /* at the stop too: the last batch's */
			for (size_t i = 0; !stop && i < sv->nwitnesses; i++)
				if (sv->witnesses[i].size < cp.size)
					witness_send(sv, &sv->witnesses[i], cp.size, note, len);
		}
		free(note);
		if (stop)
			break;
	}
	return NULL;
}

/* gzip of data (RFC 1952), in a malloc'd buffer; false if zlib fails. */
static bool gzip_bytes(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return false;
	uLong cap = deflateBound(&z, (uLong)len) + 32u;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = (size_t)z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return false;
	}
	return true;
}

/* GET /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>] (c2sp.org/tlog-
 * tiles): immutable, cached long. Hash tiles are public; an entry bundle
 * carries contents, so it is a signed read by a reader entitled to
 * everything, unless the service runs with --public; it is gzipped when the
 * client accepts it. */
static enum MHD_Result get_tile(struct server *sv, struct MHD_Connection *c, struct request *rq,
				const char *method, const char *url)
{
	int level;
	uint64_t index;
	unsigned width;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (corridor_tile_path_parse(url + 1, &level, &index, &width) != 0)
		return reply_error(c, rq, MHD_HTTP_NOT_FOUND,
				   "no such tile: /tile/<L>/<N>[.p/<W>] or /tile/entries/<N>[.p/<W>]");
	uint8_t *body = NULL, *gz = NULL;
	size_t len = 0, gz_len = 0;
	int err;
	bool gzip = false;
	if (level != CORRIDOR_TILE_ENTRIES) {
		body = malloc(CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES);
		err = body ? corridor_tile_read(sv->l, (unsigned)level, index, width, body, &d)
			   : CORRIDOR_E_NOMEM;
		len = (size_t)width * CORRIDOR_HASH_BYTES;
	} else {
		if (!sv->public_bundles) {
			char reader[CORRIDOR_NAME_BYTES_MAX + 1];
			enum MHD_Result r;
			bool all = false;
			if (!authenticate(sv, c, rq, method, url, reader, &r))
				return r;
			if ((err = corridor_reader_sees_all(sv->l, reader, &all, &d)) != 0 || !all)
				return err ? reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
							 corridor_strerror(err))
					   : reply_error(c, rq, MHD_HTTP_FORBIDDEN,
							 "entry bundles are for readers entitled to "
							 "everything (operator, auditors, settlement); "
							 "hash tiles and checkpoints are public");
		}
		err = corridor_bundle_read(sv->l, index, width, &body, &len, &d);
		const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_ACCEPT_ENCODING);
		gzip = !err && ae && strstr(ae, "gzip") && gzip_bytes(body, len, &gz, &gz_len);
	}
	if (err) {
		free(body);
		return reply_error(c, rq, err == CORRIDOR_E_NOTFOUND ? MHD_HTTP_NOT_FOUND
								     : MHD_HTTP_SERVICE_UNAVAILABLE,
				   err == CORRIDOR_E_NOTFOUND ? "no such tile" : corridor_strerror(err));
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(
		gzip ? gz_len : len, gzip ? gz : body, MHD_RESPMEM_MUST_COPY);
	free(body);
	free(gz);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				level == CORRIDOR_TILE_ENTRIES && !sv->public_bundles
					? "private, max-age=31536000, immutable"
					: "public, max-age=31536000, immutable");
	if (level == CORRIDOR_TILE_ENTRIES)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	rq->status = MHD_HTTP_OK;
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	struct server *sv = cls;
	struct request *rq = *con_cls;
	(void)version;
	if (!rq) /* made when the URI arrived (on_uri) */
		return MHD_NO;
	if (!rq->begun) { /* the headers are in: a request begins */
		rq->begun = true;
		clock_gettime(CLOCK_MONOTONIC, &rq->start);
		char path[SERVE_URL_LOG_BYTES_MAX / 2], verb[24];
		corridor_escape(url, strlen(url), path, sizeof path);
		corridor_escape(method, strlen(method), verb, sizeof verb);
		snprintf(rq->what, sizeof rq->what, "%s %s", verb, path);
		return MHD_YES;
	}
	if (*upload_len) { /* a piece of the body */
		if (rq->too_large || *upload_len > SERVE_BODY_BYTES_MAX - rq->len) {
			rq->too_large = true;
		} else {
			uint8_t *nb = realloc(rq->body, rq->len + *upload_len);
			if (!nb)
				return MHD_NO;
			memcpy(nb + rq->len, upload, *upload_len);
			rq->body = nb;
			rq->len += *upload_len;
		}
		*upload_len = 0;
		return MHD_YES;
	}
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0,
	     get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	if (strcmp(url, "/v1/statements") == 0) {
		if (!post)
			return reply_error(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "POST statements here");
		if (rq->too_large)
			return reply_error(c, rq, MHD_HTTP_CONTENT_TOO_LARGE,
					   "the body is larger than 8 MiB");
		const char *dry = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dry_run");
		return post_statements(sv, c, rq, dry && strcmp(dry, "1") == 0);
	}
	if (strcmp(url, "/v1/ledger") == 0 && get)
		return get_ledger(sv, c, rq);
	if (strncmp(url, "/v1/entries/", 12) == 0 || strcmp(url, "/v1/log") == 0 ||
	    strcmp(url, "/v1/archive") == 0) {
		if (!get)
			return reply_error(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "GET it");
		char reader[CORRIDOR_NAME_BYTES_MAX + 1];
		enum MHD_Result r;
		if (!authenticate(sv, c, rq, method, url, reader, &r))
			return r;
		if (url[4] == 'e')
			return get_entry(sv, c, rq, url + 12, reader);
		return url[4] == 'l' ? get_log(sv, c, rq, reader) : get_archive(sv, c, rq, reader);
	}
	if (serve_view_path(url)) {
		if (!get)
			return reply_error(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "GET it");
		char reader[CORRIDOR_NAME_BYTES_MAX + 1];
		enum MHD_Result r;
		if (!authenticate(sv, c, rq, method, url, reader, &r))
			return r;
		struct serve_view v;
		serve_view_answer(sv->l, NULL, url, query_arg, c, reader, &v);
		r = v.body ? reply(c, rq, v.status, v.type, v.body, v.len) : MHD_NO;
		free(v.body);
		return r;
	}
	if (strcmp(url, "/v1/proof/consistency") == 0 && get)
		return get_consistency(sv, c, rq);
	if (strcmp(url, "/checkpoint") == 0 && get)
		return get_checkpoint(sv, c, rq);
	if (strncmp(url, "/tile/", 6) == 0 && get)
		return get_tile(sv, c, rq, method, url);
	if (strcmp(url, "/metrics") == 0 && get)
		return get_metrics(sv, c, rq);
	if (strcmp(url, "/healthz") == 0 && get)
		return reply(c, rq, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
	return reply_error(c, rq, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct server *sv = cls;
	pthread_mutex_lock(&sv->conns_lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		for (size_t i = 0; ci && i < SERVE_CONNECTIONS_MAX; i++)
			if (!sv->conns[i].used) {
				sv->conns[i].used = true;
				sv->conns[i].fd = ci->connect_fd;
				clock_gettime(CLOCK_MONOTONIC, &sv->conns[i].since);
				*socket_context = &sv->conns[i];
				sv->open_conns++;
				break;
			}
	} else if (*socket_context) {
		((struct conn_slot *)*socket_context)->used = false;
		sv->open_conns--;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&sv->conns_lock);
}

/* Once a second: a connection whose request is not in within the limit is
 * shut down (libmicrohttpd then sees it end and cleans it up). Slots are
 * freed by the CLOSED notification under the same lock; should a closed
 * fd be reused by a new connection before that notification runs, the new
 * one could be cut instead, a window of one notification, not a second. */
static void *reaper(void *arg)
{
	struct server *sv = arg;
	for (;;) {
		struct timespec now, tick = { .tv_sec = 1 };
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&sv->conns_lock);
		if (sv->stopping) {
			pthread_mutex_unlock(&sv->conns_lock);
			return NULL;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < SERVE_CONNECTIONS_MAX; i++) {
			struct conn_slot *cs = &sv->conns[i];
			if (cs->used && now.tv_sec - cs->since.tv_sec > (time_t)SERVE_REQUEST_SECONDS_MAX) {
				shutdown(cs->fd, SHUT_RDWR);
				cs->since = now; /* once is enough */
				fprintf(stderr, "serve: a connection took more than %u s for one "
						"request: cut off\n",
					SERVE_REQUEST_SECONDS_MAX);
			}
		}
		pthread_mutex_unlock(&sv->conns_lock);
	}
}

/* One access-log line per request: method, path (escaped), status, ms. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct server *sv = cls;
	struct request *rq = *con_cls;
	const union MHD_ConnectionInfo *sc =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (sc && sc->socket_context) { /* the next request's clock starts now */
		pthread_mutex_lock(&sv->conns_lock);
		clock_gettime(CLOCK_MONOTONIC, &((struct conn_slot *)sc->socket_context)->since);
		pthread_mutex_unlock(&sv->conns_lock);
	}
	if (!rq)
		return;
	pthread_mutex_lock(&sv->conns_lock);
	if (rq->status < 600)
		sv->by_status[rq->status]++;
	pthread_mutex_unlock(&sv->conns_lock);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "-";
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
			  addr, sizeof addr);
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long ms = (end.tv_sec - rq->start.tv_sec) * 1000L +
		  (end.tv_nsec - rq->start.tv_nsec) / 1000000L;
	fprintf(stderr, "serve: %s %s %u %zu bytes %ld ms%s\n", addr, rq->what, rq->status, rq->len, ms,
		why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (cut off)");
	job_free(rq->job);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}


/* A PEM file for TLS, whole, NUL-terminated (malloc'd), or NULL. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(SERVE_PEM_BYTES_MAX + 1) : NULL;
	size_t n = buf ? fread(buf, 1, SERVE_PEM_BYTES_MAX + 1, f) : 0;
	if (f)
		fclose(f);
	if (!buf || n == 0 || n > SERVE_PEM_BYTES_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int cmd_serve(int argc, char **argv)
{
	const char *listen = NULL, *key = NULL, *pass_file = NULL, *ledger = NULL, *qmax = NULL,
		   *tls_cert = NULL, *tls_key = NULL, *published = NULL;
	const char *witness_args[SERVE_WITNESSES_MAX];
	size_t nwitness_args = 0;
	bool public_bundles = false, insecure = false;
	const struct cli_opt opts[] = {
		{ "listen", &listen, NULL, NULL, NULL, 0 },
		{ "tls-cert", &tls_cert, NULL, NULL, NULL, 0 },
		{ "tls-key", &tls_key, NULL, NULL, NULL, 0 },
		{ "queue-max", &qmax, NULL, NULL, NULL, 0 },
		{ "operator-key", &key, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "insecure-http", NULL, &insecure, NULL, NULL, 0 },
		{ "public", NULL, &public_bundles, NULL, NULL, 0 },
		{ "witness", NULL, NULL, witness_args, &nwitness_args, SERVE_WITNESSES_MAX },
		{ "published", &published, NULL, NULL, NULL, 0 },
	};
	size_t np;
	const char *pos[1];
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0, &np, "serve"))
		return EXIT_USAGE;
	struct sockaddr_in sa;
	if (!listen || !cli_parse_listen(listen, &sa))
		return cli_usage("--listen ADDR:PORT, an IPv4 address and a port (0: any free one)");
	if (!key)
		return cli_usage("--operator-key FILE: the operator's key signs each batch's checkpoint");
	if (!tls_cert != !tls_key)
		return cli_usage("--tls-cert and --tls-key go together");
	if (ntohl(sa.sin_addr.s_addr) >> 24 != 127 && !insecure && !tls_cert)
		return cli_usage("plain HTTP is for loopback only: give --tls-cert and --tls-key "
				 "(or --insecure-http, if you know)");
	char *cert_pem = NULL, *key_pem = NULL;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL } };
	struct server sv = { .queue_max = SERVE_QUEUE_STATEMENTS_MAX,
			     .public_bundles = public_bundles };
	/* URL+VKEY: the URL up to the first '+', the witness's verifier key after */
	for (size_t i = 0; i < nwitness_args; i++) {
		const char *plus = strchr(witness_args[i], '+');
		struct corridor_vkey vk;
		if (!plus || (size_t)(plus - witness_args[i]) + 16 >= sizeof sv.witnesses[0].url ||
		    (strncmp(witness_args[i], "http://", 7) && strncmp(witness_args[i], "https://", 8)))
			return cli_usage("--witness URL+VKEY: the witness's URL, '+', its verifier key");
		int vrc = cli_vkey(plus + 1, &vk);
		if (vrc)
			return vrc;
		struct witness_target *t = &sv.witnesses[sv.nwitnesses++];
		int ul = (int)(plus - witness_args[i]);
		while (ul > 0 && witness_args[i][ul - 1] == '/')
			ul--;
		snprintf(t->url, sizeof t->url, "%.*s/add-checkpoint", ul, witness_args[i]);
		if (vk.sigtype == CORRIDOR_SIGTYPE_COSIGNATURE)
			t->vk = vk;
		else
			corridor_vkey_as_cosigner(&vk, &t->vk);
	}
	uint64_t q;
	if (qmax && (!cli_u64(qmax, &q) || q < 1 || q > SERVE_QUEUE_STATEMENTS_MAX))
		return cli_usage("--queue-max: 1..%u statements waiting", SERVE_QUEUE_STATEMENTS_MAX);
	if (qmax)
		sv.queue_max = (size_t)q;
	if (cli_server.url) {
		fprintf(stderr, "corridor: serve runs where the ledger is: no --server\n");
		return EXIT_USAGE;
	}
	/* the high-water mark: beside the ledger's directory by default, so that
	 * restoring the directory from a backup leaves it */
	const char *ldir = cli_ledger_dir(ledger);
	size_t ll = strlen(ldir);
	while (ll > 1 && ldir[ll - 1] == '/')
		ll--;
	if ((size_t)snprintf(sv.published, sizeof sv.published, "%s", published ? published : "") >=
		    sizeof sv.published ||
	    (!published && (size_t)snprintf(sv.published, sizeof sv.published, "%.*s.published",
					    (int)ll, ldir) >= sizeof sv.published))
		return cli_usage("--published: the path is too long");
	int rc = cli_open(ledger, &sv.l);
	if (rc)
		return rc;
	if ((rc = cli_signer(key, pass_file, &sv.op)) != 0) {
		corridor_ledger_close(sv.l);
		return rc;
	}
	{
		struct corridor_diag pd;
		corridor_diag_init(&pd);
		int perr = corridor_published_check(sv.l, sv.published, &sv.published_size, &pd);
		if (perr) {
			fprintf(stderr,
				"corridor: refusing to start: %s (the high-water mark in %s; "
				"docs/AUDITING.md \"After a restore\")\n",
				pd.text, cli_safe(sv.published));
			corridor_signer_free(sv.op);
			corridor_ledger_close(sv.l);
			return perr == CORRIDOR_E_REFUSED || perr == CORRIDOR_E_VERIFY ? EXIT_REFUSED
										    : EXIT_STORAGE;
		}
	}
	pthread_mutex_init(&sv.lock, NULL);
	pthread_mutex_init(&sv.conns_lock, NULL);
	pthread_mutex_init(&sv.qlock, NULL);
	pthread_cond_init(&sv.qcond, NULL);
	pthread_mutex_init(&sv.wlock, NULL);
	pthread_cond_init(&sv.wcond, NULL);
	sv.b_ptrs = calloc(CORRIDOR_BATCH_ENTRIES_MAX, sizeof *sv.b_ptrs);
	sv.b_lens = calloc(CORRIDOR_BATCH_ENTRIES_MAX, sizeof *sv.b_lens);
	sv.b_rs = calloc(CORRIDOR_BATCH_ENTRIES_MAX, sizeof *sv.b_rs);
	sv.b_verified = calloc(CORRIDOR_BATCH_ENTRIES_MAX, sizeof *sv.b_verified);
	if (!sv.b_ptrs || !sv.b_lens || !sv.b_rs || !sv.b_verified) {
		fprintf(stderr, "corridor: out of memory\n");
		rc = EXIT_STORAGE;
		goto out_close;
	}
	/* TLS (GnuTLS, through libmicrohttpd): the certificate and key in memory */
	if (tls_cert) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			fprintf(stderr, "corridor: this libmicrohttpd has no TLS\n");
			rc = EXIT_USAGE;
			goto out_close;
		}
		if (!(cert_pem = read_pem(tls_cert)) || !(key_pem = read_pem(tls_key))) {
			fprintf(stderr, "corridor: cannot read %s or %s (PEM files up to %u bytes)\n",
				cli_safe(tls_cert), cli_safe(tls_key), SERVE_PEM_BYTES_MAX);
			rc = EXIT_STORAGE;
			goto out_close;
		}
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, cert_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key_pem };
		tls[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	/* After a restore from backup the ledger may be behind what it published:
	 * ask the witnesses first (one round; a witness down cannot tell) */
	if (sv.nwitnesses) {
		char *wn = NULL;
		size_t wl = 0;
		struct corridor_checkpoint wcp;
		const char *blank;
		if (corridor_checkpoint_get(sv.l, 0, &wn, &wl, NULL) == 0 &&
		    (blank = strstr(wn, "\n\n")) != NULL &&
		    corridor_checkpoint_parse(wn, (size_t)(blank - wn) + 1, &wcp) == 0)
			for (size_t i = 0; i < sv.nwitnesses; i++)
				witness_send(&sv, &sv.witnesses[i], wcp.size, wn, wl);
		free(wn);
		if (sv.behind_of) {
			fprintf(stderr, "corridor: refusing to start: a witness cosigned a checkpoint "
					"of size %llu that this ledger does not extend: it is behind "
					"what it published (docs/AUDITING.md \"After a restore\")\n",
				(unsigned long long)sv.behind_of);
			rc = EXIT_REFUSED;
			goto out_close;
		}
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server's threads inherit it */
	struct MHD_Daemon *dmn = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			MHD_ALLOW_SUSPEND_RESUME | (tls_cert ? MHD_USE_TLS : 0),
		0, NULL, NULL,
		handle, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)SERVE_CONNECTIONS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)SERVE_CONNECTIONS_PER_ADDR_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)SERVE_REQUEST_SECONDS_MAX, MHD_OPTION_NOTIFY_COMPLETED, completed, &sv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &sv, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
		&sv, MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!dmn) {
		fprintf(stderr, "corridor: cannot listen on %s: %s\n", cli_safe(listen),
			strerror(errno));
		rc = EXIT_STORAGE;
		goto out_close;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(dmn, MHD_DAEMON_INFO_BIND_PORT);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	bool reaping = pthread_create(&sv.reaper, NULL, reaper, &sv) == 0;
	if (pthread_create(&sv.batcher, NULL, batcher, &sv) != 0) {
		fprintf(stderr, "corridor: cannot start the batcher thread\n");
		MHD_stop_daemon(dmn);
		rc = EXIT_STORAGE;
		goto out_close;
	}
	bool witnessing = pthread_create(&sv.witnesser, NULL, witnesser, &sv) == 0;
	fprintf(stderr, "listening on %s://%s:%u\n", tls_cert ? "https" : "http", host,
		di ? (unsigned)di->port : 0u);
	fflush(stderr);
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "serve: %s: finishing what is in flight\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	MHD_quiesce_daemon(dmn);
	/* what was accepted is committed and answered; nothing new is queued */
	pthread_mutex_lock(&sv.qlock);
	sv.qstop = true;
	pthread_cond_signal(&sv.qcond);
	pthread_mutex_unlock(&sv.qlock);
	pthread_join(sv.batcher, NULL);
	MHD_stop_daemon(dmn);
	pthread_mutex_lock(&sv.conns_lock);
	sv.stopping = true;
	pthread_mutex_unlock(&sv.conns_lock);
	if (reaping)
		pthread_join(sv.reaper, NULL);
	if (witnessing) {
		pthread_mutex_lock(&sv.wlock);
		sv.wstop = true;
		pthread_cond_signal(&sv.wcond);
		pthread_mutex_unlock(&sv.wlock);
		pthread_join(sv.witnesser, NULL);
	}
	rc = EXIT_OK;
out_close:
	pthread_mutex_destroy(&sv.lock);
	pthread_mutex_destroy(&sv.conns_lock);
	pthread_mutex_destroy(&sv.qlock);
	pthread_cond_destroy(&sv.qcond);
	pthread_mutex_destroy(&sv.wlock);
	pthread_cond_destroy(&sv.wcond);
	free(sv.b_ptrs);
	free(sv.b_lens);
	free(sv.b_rs);
	free(sv.b_verified);
	corridor_signer_free(sv.op);
	corridor_ledger_close(sv.l);
	if (key_pem) {
		memset(key_pem, 0, strlen(key_pem));
		free(key_pem);
	}
	free(cert_pem);
	return rc;
}
