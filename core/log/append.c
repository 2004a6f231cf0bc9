/*
 * append.c — the batch pipeline: local writes become statements, signed on
 * every core while the sequencer (submit.c) decides them.
 *
 * One write transaction per batch: each draft becomes a statement (origin,
 * kind, author, key, idempotency key — the author's or the kind's natural
 * identity — created now, a short lifetime, the body), built whole but for
 * its signature; helper threads on the other cores sign them while the
 * sequencer decides each in order at its seq (corridor_kind_process), waiting
 * for, or signing itself, the one it needs next; entries, tree, head and —
 * for an operator write — a freshly signed checkpoint commit together or not
 * at all. Statements signed here are not verified again; the key the
 * dispatcher names must be the signer's.
 */
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include <sodium.h>

#include "log.h"

/* Helper threads below this many entries cost more than they save. */
#define PARALLEL_SIGN_MIN 16u
/* A statement made here lives this long (or the ledger's maximum, if less):
 * long enough for any commit, short enough that a lost one cannot be
 * replayed later. */
#define LOCAL_STATEMENT_LIFETIME_US ((uint64_t)3600 * 1000000)

/* The batch pipeline's hand-over: every statement is built (all its fields,
 * no signature) before signing starts; anyone takes the next one to sign
 * (`next`) and marks it `done`; the sequencer waits for each in order. */
struct sign_pipe {
	const struct corridor_signer *signer;
	uint8_t **stmt;
	const size_t *content_len;
	size_t n;
	atomic_size_t next;
	atomic_bool stop;
	atomic_uchar *done;
	uint8_t *msgs; /* one signature message buffer per thread */
};

/* Signs one untaken statement. Returns false if none is left. */
static bool sign_one(struct sign_pipe *p, unsigned id)
{
	size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
	if (i >= p->n)
		return false;
	uint8_t *msg = p->msgs + (size_t)id * CORRIDOR_SIG_MSG_BYTES_MAX;
	(void)corridor_statement_finish(p->signer, p->stmt[i], p->content_len[i], msg);
	atomic_store_explicit(&p->done[i], 1, memory_order_release);
	return true;
}

static void sign_helper(void *ctx, unsigned id)
{
	struct sign_pipe *p = ctx;
	while (!atomic_load(&p->stop) && sign_one(p, id))
		;
}

/* The sequencer's wait for statement i: sign while it is not done. */
static void sign_ready(void *ctx, size_t i)
{
	struct sign_pipe *p = ctx;
	while (!atomic_load_explicit(&p->done[i], memory_order_acquire))
		if (!sign_one(p, 0))
			sched_yield();
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int corridor_dry_run_begin(struct corridor_ledger *l, struct corridor_dry_run *dr,
			   struct corridor_diag *diag)
{
	memset(dr, 0, sizeof *dr);
	int err = corridor_txn_begin(l, MDB_RDONLY, &dr->txn, diag);
	if (err)
		return err;
	if ((err = corridor_head_get(l, dr->txn, &dr->head, diag)) != 0) {
		corridor_txn_abort(l, dr->txn);
		return err;
	}
	corridor_kv_lmdb_init(&dr->under, l, dr->txn);
	corridor_kv_overlay_init(&dr->ov, &dr->under.base);
	dr->nc = (struct node_ctx){ .l = l, .txn = dr->txn };
	dr->st = (struct kind_state){ .kv = &dr->ov.base,
				      .operator_key_id = dr->head.operator_key_id,
				      .content_hash = corridor_stored_content_hash,
				      .content_ctx = &dr->nc,
				      .tree_root = corridor_stored_tree_root,
				      .tree_ctx = &dr->nc };
	memcpy(dr->st.origin, l->origin, strlen(l->origin) + 1);
	dr->st.lifetime_max_us = l->lifetime_max_us;
	return CORRIDOR_OK;
}

void corridor_dry_run_end(struct corridor_dry_run *dr)
{
	corridor_kv_overlay_release(&dr->ov);
	corridor_txn_abort(dr->nc.l, dr->txn);
}

void corridor_draft_idem(const struct draft *d,
			 char out[CORRIDOR_IDEM_BYTES_MAX + 1])
{
	if (d->idem)
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "%s", d->idem);
	else if (!corridor_natural_key(d->kind, d->body, d->body_len, out))
		corridor_random_key(out);
}

int corridor_draft_process(struct kind_state *st, const struct corridor_vkey *vk,
			   const struct draft *d, uint64_t seq, uint64_t time_us,
			   const uint8_t prev[CORRIDOR_HASH_BYTES], struct corridor_diag *diag)
{
	/* the version 2 entry its statement would be, without the signature */
	struct corridor_entry e = { .version = CORRIDOR_ENTRY_VERSION_2, .seq = seq,
				    .time_us = time_us, .key_id = vk->key_id, .body = d->body,
				    .body_len = d->body_len, .created_us = time_us,
				    .expires_us = time_us + LOCAL_STATEMENT_LIFETIME_US };
	uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES];
	memcpy(e.prev, prev, CORRIDOR_HASH_BYTES);
	snprintf(e.kind, sizeof e.kind, "%s", d->kind);
	snprintf(e.author, sizeof e.author, "%s", vk->name);
	snprintf(e.origin, sizeof e.origin, "%s", st->origin);
	corridor_draft_idem(d, e.idempotency_key);
	int err = corridor_kind_process(st, &e, pub, diag);
	if (err) {
		/* a draft is no entry: its refusal names no seq ("at seq N" would
		 * name an entry that was never written) */
		if (diag)
			diag->has_seq = false;
		return err == CORRIDOR_E_VERIFY ? CORRIDOR_E_REFUSED : err;
	}
	if (sodium_memcmp(pub, vk->public_key, CORRIDOR_PUBLIC_KEY_BYTES) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "key %08x of '%s' registered here is another key",
					 (unsigned)vk->key_id, vk->name);
	return CORRIDOR_OK;
}

/* A batch of drafts made statements by one signer: built whole but for their
 * signatures, then signed by the helpers and whoever waits for one. */
struct stmt_batch {
	struct corridor_statement *fields;
	struct corridor_receipt *receipts;
	uint8_t **stmt;
	size_t *clen, *len;
	uint8_t *arena;
	size_t arena_bytes;
	atomic_uchar *done;
	struct sign_pipe pipe;
	struct corridor_workers workers;
	unsigned helpers;
};

static void batch_release(struct stmt_batch *b)
{
	atomic_store(&b->pipe.stop, true);
	corridor_workers_join(&b->workers);
	if (b->arena)
		sodium_memzero(b->arena, b->arena_bytes);
	free(b->done);
	free(b->arena);
	free(b->len);
	free(b->clen);
	free(b->stmt);
	free(b->receipts);
	free(b->fields);
}

static int batch_build(struct stmt_batch *b, const struct corridor_signer *signer,
		       const char *origin, uint64_t lifetime_us, const struct draft *drafts,
		       size_t n, struct corridor_diag *diag)
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	uint64_t created_us = now_us();
	memset(b, 0, sizeof *b);
	CORRIDOR_ASSERT(n >= 1 && n <= CORRIDOR_BATCH_ENTRIES_MAX);
	atomic_init(&b->pipe.next, 0);
	atomic_init(&b->pipe.stop, false);
	/* One arena for the statements, then one signature message buffer per thread. */
	size_t fixed = strlen(vk->name) + strlen(origin) + CORRIDOR_IDEM_BYTES_MAX + 160u, total = 0;
	for (size_t i = 0; i < n; i++)
		total += drafts[i].body_len + strlen(drafts[i].kind) + fixed;
	b->helpers = n < PARALLEL_SIGN_MIN ? 0u : corridor_cores() - 1u;
	b->arena_bytes = total + ((size_t)b->helpers + 1) * CORRIDOR_SIG_MSG_BYTES_MAX;
	b->fields = calloc(n, sizeof *b->fields);
	b->receipts = calloc(n, sizeof *b->receipts);
	b->stmt = calloc(n, sizeof *b->stmt);
	b->clen = calloc(n, sizeof *b->clen);
	b->len = calloc(n, sizeof *b->len);
	b->arena = malloc(b->arena_bytes);
	b->done = calloc(n, sizeof *b->done);
	if (!b->fields || !b->receipts || !b->stmt || !b->clen || !b->len || !b->arena || !b->done)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory building a batch");
	b->pipe.signer = signer;
	b->pipe.stmt = b->stmt;
	b->pipe.content_len = b->clen;
	b->pipe.n = n;
	b->pipe.done = b->done;
	b->pipe.msgs = b->arena + total;
	/* Every statement whole but for its signature: cheap, in order. */
	uint8_t *p = b->arena;
	for (size_t i = 0; i < n; i++) {
		size_t cap = drafts[i].body_len + strlen(drafts[i].kind) + fixed;
		struct corridor_statement *f = &b->fields[i];
		struct corridor_diag d;
		corridor_diag_init(&d);
		f->version = CORRIDOR_STATEMENT_VERSION;
		snprintf(f->origin, sizeof f->origin, "%s", origin);
		snprintf(f->kind, sizeof f->kind, "%s", drafts[i].kind);
		snprintf(f->author, sizeof f->author, "%s", vk->name);
		f->key_id = vk->key_id;
		corridor_draft_idem(&drafts[i], f->idempotency_key);
		f->created_us = created_us;
		f->expires_us = created_us + lifetime_us;
		f->body = drafts[i].body;
		f->body_len = drafts[i].body_len;
		int err = corridor_statement_build(vk, origin, f->kind, f->idempotency_key,
						   f->created_us, f->expires_us, f->body,
						   f->body_len, p, cap, &b->clen[i], &d);
		if (err)
			return n == 1 ? corridor_diag_set(diag, err, "%s", d.text)
				      : corridor_diag_set(diag, err, "entry %zu of the batch: %s",
							  i + 1, d.text);
		f->content_len = b->clen[i];
		b->len[i] = b->clen[i] + CORRIDOR_STATEMENT_SIG_FIELD_BYTES;
		b->stmt[i] = p;
		p += cap;
	}
	/* Signing starts: whoever needs a statement next waits for it (sign_ready). */
	corridor_workers_start(&b->workers, b->helpers, sign_helper, &b->pipe);
	return CORRIDOR_OK;
}

int corridor_append_txn(struct corridor_ledger *l, MDB_txn *txn,
			const struct corridor_signer *signer, const struct draft *drafts, size_t n,
			bool genesis, uint64_t *seqs, size_t *appended, struct corridor_diag *diag)
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	struct stmt_batch b;
	uint64_t lifetime_us = LOCAL_STATEMENT_LIFETIME_US;
	uint64_t max_us = genesis ? CORRIDOR_STATEMENT_LIFETIME_MIN_S * 1000000ull : l->lifetime_max_us;
	if (lifetime_us > max_us)
		lifetime_us = max_us;
	*appended = 0;
	int err = batch_build(&b, signer, genesis ? vk->name : l->origin, lifetime_us, drafts, n,
			      diag);
	if (!err) {
		/* the sequencer decides each in order while the rest are signed */
		struct sequence_req req = { .op = signer, .genesis = genesis,
					    .stmts = (const uint8_t *const *)b.stmt, .lens = b.len,
					    .n = n, .signed_by = vk, .fields = b.fields,
					    .ready = sign_ready, .ready_ctx = &b.pipe,
					    .receipts = b.receipts };
		if ((err = corridor_sequence_txn(l, txn, &req, diag)) == 0) {
			for (size_t i = 0; i < n; i++)
				seqs[i] = b.receipts[i].seq;
			*appended = req.appended;
		}
	}
	batch_release(&b);
	return err;
}

/* A remote ledger's append: the statements are signed here and sent to its
 * sequencer, which answers with receipts the remote has checked. */
static int append_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
			 const struct draft *drafts, size_t n, bool dry_run, uint64_t *seqs,
			 size_t *appended, struct corridor_diag *diag)
{
	const struct corridor_remote *r = l->remote;
	struct stmt_batch b;
	int err = batch_build(&b, signer, l->origin, r->statement_lifetime_us, drafts, n, diag);
	if (!err) {
		for (size_t i = 0; i < n; i++)
			sign_ready(&b.pipe, i);
		size_t app = 0;
		err = r->submit(r->ctx, (const uint8_t *const *)b.stmt, b.len, n, dry_run,
				b.receipts, &app, diag);
		if (!err) {
			for (size_t i = 0; seqs && i < n; i++)
				seqs[i] = b.receipts[i].seq;
			if (appended)
				*appended = app;
		}
	}
	batch_release(&b);
	return err;
}

void corridor_count_fresh(const uint64_t *seqs, size_t n, size_t appended, const uint32_t *weights,
			  size_t *written, size_t *skipped)
{
	/* a batch's new entries end the log: any other seq (a duplicate's, or
	 * a write elsewhere meanwhile) is older than the first of them */
	uint64_t top = 0;
	for (size_t i = 0; i < n; i++)
		top = seqs[i] > top ? seqs[i] : top;
	for (size_t i = 0; i < n; i++) {
		bool fresh = appended && seqs[i] + appended > top;
		*(fresh ? written : skipped) += weights ? weights[i] : 1u;
	}
}

size_t corridor_remote_batch_max(const struct corridor_ledger *l)
{
	CORRIDOR_ASSERT(l->remote);
	return l->remote->batch_max < CORRIDOR_BATCH_ENTRIES_MAX ? l->remote->batch_max
								  : CORRIDOR_BATCH_ENTRIES_MAX;
}

int corridor_import_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
			   const struct draft *drafts, const unsigned *lines,
			   const uint32_t *weights, size_t n,
			   size_t batch, corridor_committed_fn committed, void *ctx,
			   size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	size_t max = corridor_remote_batch_max(l);
	if (batch == 0 || batch > max)
		batch = max;
	uint64_t *seqs = calloc(batch, sizeof *seqs);
	int err = seqs ? CORRIDOR_OK : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	/* Each batch's check sees the ledger as it is, not the batches before
	 * it: a conflict between two batches of one file is refused when the
	 * second commits, the first staying written. */
	for (int commit = 0; commit < 2 && !err; commit++) {
		for (size_t at = 0; at < n && !err;) {
			size_t k = n - at < batch ? n - at : batch, appended = 0;
			struct corridor_diag d;
			corridor_diag_init(&d);
			err = commit ? corridor_append(l, signer, drafts + at, k, seqs, &appended, &d)
				     : append_remote(l, signer, drafts + at, k, true, NULL, NULL, &d);
			if (err) {
				if (lines[at] == lines[at + k - 1])
					corridor_diag_set(diag, err, "line %u: %s", lines[at], d.text);
				else
					corridor_diag_set(diag, err, "lines %u-%u: %s", lines[at],
							  lines[at + k - 1], d.text);
				break;
			}
			if (commit) {
				corridor_count_fresh(seqs, k, appended, weights ? weights + at : NULL,
						     written, skipped);
				if (committed && appended)
					committed(ctx, seqs[0], seqs[k - 1]);
			}
			at += k;
		}
	}
	free(seqs);
	return err;
}

int corridor_append_check_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
				 const struct draft *drafts, size_t n, struct corridor_diag *diag)
{
	CORRIDOR_ASSERT(l->remote);
	return append_remote(l, signer, drafts, n, true, NULL, NULL, diag);
}

struct append_ctx {
	const struct corridor_signer *signer;
	const struct draft *drafts;
	size_t n;
	uint64_t *seqs;
	size_t appended;
};

static int append_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx, struct corridor_diag *diag)
{
	struct append_ctx *c = vctx;
	return corridor_append_txn(l, txn, c->signer, c->drafts, c->n, false, c->seqs, &c->appended,
				   diag);
}

int corridor_append(struct corridor_ledger *l, const struct corridor_signer *signer,
		    const struct draft *drafts, size_t n, uint64_t *seqs, size_t *appended,
		    struct corridor_diag *diag)
{
	if (l->remote)
		return append_remote(l, signer, drafts, n, false, seqs, appended, diag);
	struct append_ctx c = { .signer = signer, .drafts = drafts, .n = n, .seqs = seqs };
	int err = corridor_ledger_write(l, append_fn, &c, diag);
	if (appended)
		*appended = err ? 0 : c.appended;
	return err;
}

int corridor_append_one(struct corridor_ledger *l, const struct corridor_signer *signer,
			const char *kind, const uint8_t *body, size_t body_len, const char *idem,
			uint64_t *seq, struct corridor_diag *diag)
{
	struct draft d = { .kind = kind, .body = body, .body_len = body_len, .idem = idem };
	uint64_t s = 0;
	int err = corridor_append(l, signer, &d, 1, &s, NULL, diag);
	if (!err && seq)
		*seq = s;
	return err;
}

int corridor_memo_append(struct corridor_ledger *l, const struct corridor_signer *signer,
			 const char *const *texts, const size_t *lens, size_t count,
			 size_t batch_entries, corridor_committed_fn committed, void *ctx,
			 struct corridor_diag *diag)
{
	struct corridor_diag d;
	if (batch_entries == 0 || batch_entries > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "batch size must be 1..%u",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	if (count > CORRIDOR_MEMO_LINES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u memos",
					 CORRIDOR_MEMO_LINES_MAX);
	/* Validate everything before the first batch: bad input writes nothing. */
	for (size_t i = 0; i < count; i++)
		if (corridor_memo_check(texts[i], lens[i], &d) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo %zu: %s", i + 1,
						 d.text);
	struct draft *drafts = calloc(batch_entries, sizeof *drafts);
	uint64_t *seqs = calloc(batch_entries, sizeof *seqs);
	uint8_t *bodies = malloc(batch_entries * (CORRIDOR_MEMO_TEXT_BYTES_MAX + 16u));
	int err = CORRIDOR_OK;
	if (!drafts || !seqs || !bodies) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	for (size_t at = 0; at < count; at += batch_entries) {
		size_t n = count - at < batch_entries ? count - at : batch_entries, appended;
		uint8_t *p = bodies;
		for (size_t i = 0; i < n; i++) {
			size_t blen = corridor_body_memo(texts[at + i], lens[at + i], p,
							 CORRIDOR_MEMO_TEXT_BYTES_MAX + 16u);
			CORRIDOR_ASSERT(blen > 0);
			drafts[i] = (struct draft){ .kind = "memo", .body = p, .body_len = blen };
			p += blen;
		}
		if ((err = corridor_append(l, signer, drafts, n, seqs, &appended, diag)) != 0)
			goto out_free;
		CORRIDOR_ASSERT(appended == n); /* memos without idempotency keys are all new */
		if (committed)
			committed(ctx, seqs[0], seqs[n - 1]);
	}
out_free:
	free(bodies);
	free(seqs);
	free(drafts);
	return err;
}
