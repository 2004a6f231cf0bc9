/*
 * append.c — the batch pipeline, checkpoints and proofs over the stored tree.
 *
 * One write transaction per batch: inside it, entries are built one after
 * another (seq, prev = content hash of the previous entry, time) and checked
 * by corridor_kind_process; helper threads on the other cores sign each one as
 * soon as it is built; the main thread then stores them in order with their
 * Merkle nodes, signing what the helpers have not taken, and finishes with the
 * new head and — for an operator write — a freshly signed checkpoint. All of
 * it commits together or not at all.
 */
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include <sodium.h>

#include "log.h"

/* Helper threads below this many entries cost more than they save. */
#define PARALLEL_SIGN_MIN 16u

struct built {
	uint8_t *content; /* canonical map of keys 0-7 */
	size_t content_len;
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES];
};

/* The batch pipeline's hand-over: the main thread builds entries in order and
 * publishes `built`; anyone takes the next built entry to sign (`next`) and
 * marks it `done`; the main thread stores entries in order as they are done. */
struct sign_pipe {
	const struct corridor_signer *signer;
	struct built *b;
	size_t n;
	atomic_size_t built;
	atomic_size_t next;
	atomic_bool stop;
	atomic_uchar *done;
	uint8_t *msgs; /* one signature message buffer per thread */
};

/* Signs one built, untaken entry. Returns false if none is available now. */
static bool sign_one(struct sign_pipe *p, unsigned id)
{
	size_t i = atomic_load_explicit(&p->next, memory_order_relaxed);
	while (i < atomic_load_explicit(&p->built, memory_order_acquire)) {
		if (atomic_compare_exchange_weak(&p->next, &i, i + 1)) {
			uint8_t *msg = p->msgs + (size_t)id * CORRIDOR_SIG_MSG_BYTES_MAX;
			size_t len = corridor_entry_sig_message(p->b[i].content, p->b[i].content_len,
								msg);
			corridor_signer_sign(p->signer, msg, len, p->b[i].sig);
			atomic_store_explicit(&p->done[i], 1, memory_order_release);
			return true;
		}
	}
	return false;
}

static void sign_helper(void *ctx, unsigned id)
{
	struct sign_pipe *p = ctx;
	while (!atomic_load(&p->stop) && atomic_load(&p->next) < p->n)
		if (!sign_one(p, id))
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
		mdb_txn_abort(dr->txn);
		return err;
	}
	corridor_kv_lmdb_init(&dr->under, l, dr->txn);
	corridor_kv_overlay_init(&dr->ov, &dr->under.base);
	dr->nc = (struct node_ctx){ .l = l, .txn = dr->txn };
	dr->st = (struct kind_state){ .kv = &dr->ov.base,
				      .operator_key_id = dr->head.operator_key_id,
				      .content_hash = corridor_stored_content_hash,
				      .content_ctx = &dr->nc };
	memcpy(dr->st.origin, l->origin, strlen(l->origin) + 1);
	return CORRIDOR_OK;
}

void corridor_dry_run_end(struct corridor_dry_run *dr)
{
	corridor_kv_overlay_release(&dr->ov);
	mdb_txn_abort(dr->txn);
}

int corridor_draft_process(struct kind_state *st, const struct corridor_vkey *vk,
			   const struct draft *d, uint64_t seq, uint64_t time_us,
			   const uint8_t prev[CORRIDOR_HASH_BYTES], struct corridor_diag *diag)
{
	struct corridor_entry e = { .version = CORRIDOR_ENTRY_VERSION, .seq = seq,
				    .time_us = time_us, .key_id = vk->key_id, .body = d->body,
				    .body_len = d->body_len };
	uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES];
	memcpy(e.prev, prev, CORRIDOR_HASH_BYTES);
	snprintf(e.kind, sizeof e.kind, "%s", d->kind);
	snprintf(e.author, sizeof e.author, "%s", vk->name);
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

int corridor_stored_content_hash(void *vctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES])
{
	struct node_ctx *c = vctx;
	uint8_t kb[8];
	struct corridor_entry e;
	corridor_be64_put(kb, seq);
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v;
	if (mdb_get(c->txn, c->l->entries, &k, &v) != 0 ||
	    corridor_entry_decode(v.mv_data, v.mv_size, &e, NULL) != 0)
		return CORRIDOR_E_NOTFOUND;
	corridor_entry_content_hash(v.mv_data, &e, out);
	return CORRIDOR_OK;
}

/* Idempotent retries: a draft whose (author, kind, idempotency key) is known
 * with the same body is answered with the existing seq and not written; with
 * another body it is refused. Drafts of the same batch count too. */
static int dedup(struct corridor_ledger *l, MDB_txn *txn, const char *author,
		 const struct draft *drafts, size_t n, uint64_t *seqs, bool *skip, size_t *twin,
		 struct corridor_diag *diag)
{
	struct corridor_kv_lmdb kv;
	const char **idem = calloc(n, sizeof *idem);
	size_t *ilen = calloc(n, sizeof *ilen);
	int err = CORRIDOR_OK;
	if (!idem || !ilen) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	/* Each draft's key, read once. */
	for (size_t i = 0; i < n; i++)
		if (corridor_msgpack_map_str(drafts[i].body, drafts[i].body_len, "idempotency_key",
					     &idem[i], &ilen[i]) != 0)
			idem[i] = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		skip[i] = false;
		twin[i] = SIZE_MAX;
		if (!idem[i])
			continue;
		uint64_t at;
		int found = corridor_idem_lookup(&kv.base, author, drafts[i].kind, idem[i], ilen[i], &at);
		if (found == CORRIDOR_E_LIMIT) {
			err = corridor_diag_set(diag, CORRIDOR_E_INVALID, "idempotency key too long");
			break;
		}
		if (found == 0) {
			uint8_t kb[8];
			struct corridor_entry e;
			corridor_be64_put(kb, at);
			MDB_val k = { .mv_size = 8, .mv_data = kb }, ev;
			if (mdb_get(txn, l->entries, &k, &ev) != 0 ||
			    corridor_entry_decode(ev.mv_data, ev.mv_size, &e, NULL) != 0) {
				err = corridor_diag_set(diag, CORRIDOR_E_STORAGE,
							"idempotency index names a missing entry");
				break;
			}
			if (e.body_len != drafts[i].body_len ||
			    memcmp(e.body, drafts[i].body, e.body_len) != 0) {
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"idempotency key '%.*s' was used at seq %llu "
							"for a different %s: nothing was written",
							(int)ilen[i], idem[i], (unsigned long long)at,
							drafts[i].kind);
				break;
			}
			seqs[i] = at;
			skip[i] = true;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (skip[j] || !idem[j] || ilen[j] != ilen[i] ||
			    memcmp(idem[j], idem[i], ilen[i]) != 0 ||
			    strcmp(drafts[j].kind, drafts[i].kind) != 0)
				continue;
			if (drafts[j].body_len != drafts[i].body_len ||
			    memcmp(drafts[j].body, drafts[i].body, drafts[i].body_len) != 0) {
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"idempotency key '%.*s' is given twice with "
							"different contents: nothing was written",
							(int)ilen[i], idem[i]);
				break;
			}
			skip[i] = true;
			twin[i] = j; /* takes draft j's seq once it is known */
			break;
		}
	}
out_free:
	free(idem);
	free(ilen);
	return err;
}

int corridor_append_txn(struct corridor_ledger *l, MDB_txn *txn,
			const struct corridor_signer *signer, const struct draft *all_drafts,
			size_t n_all, bool genesis, uint64_t *seqs, size_t *appended,
			struct corridor_diag *diag)
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	struct ledger_head head;
	struct corridor_merkle_range range;
	struct node_ctx nc = { .l = l, .txn = txn };
	struct corridor_kv_lmdb kv;
	struct node_ctx cc = { .l = l, .txn = txn };
	struct kind_state st;
	int err;

	CORRIDOR_ASSERT(n_all >= 1 && n_all <= CORRIDOR_BATCH_ENTRIES_MAX);
	*appended = 0;
	if (l->replica)
		return corridor_diag_set(diag, CORRIDOR_E_REPLICA,
					 "this ledger is a replica: it takes archives only, no local "
					 "writes");
	if ((err = corridor_head_get(l, txn, &head, diag)) != 0)
		return err;
	if (genesis != (head.size == 0))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 genesis ? "the ledger already has a genesis"
						 : "the ledger has no genesis entry");
	if (head.size > UINT64_MAX - n_all)
		return corridor_diag_set(diag, CORRIDOR_E_OVERFLOW, "the log is full");

	/* 0. Retries of idempotent writes are answered, not written again. */
	bool *skip = calloc(n_all, sizeof *skip);
	struct draft *drafts = calloc(n_all, sizeof *drafts);
	size_t *index = calloc(n_all, sizeof *index), *twin = calloc(n_all, sizeof *twin);
	if (!skip || !drafts || !index || !twin) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory building a batch");
		goto out_early;
	}
	if ((err = dedup(l, txn, vk->name, all_drafts, n_all, seqs, skip, twin, diag)) != 0)
		goto out_early;
	size_t n = 0;
	for (size_t i = 0; i < n_all; i++)
		if (!skip[i]) {
			index[n] = i;
			drafts[n++] = all_drafts[i];
		}
	for (size_t k = 0; k < n; k++)
		seqs[index[k]] = head.size + k;
	for (size_t i = 0; i < n_all; i++) /* in-batch repeats take their twin's seq */
		if (skip[i] && twin[i] != SIZE_MAX)
			seqs[i] = seqs[twin[i]];
	if (n == 0) {
		err = CORRIDOR_OK;
		goto out_early;
	}
	if ((err = corridor_merkle_range_load(&range, corridor_node_get, &nc, head.size)) != 0) {
		err = corridor_diag_set(diag, err, "cannot load the Merkle tree");
		goto out_early;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	st.kv = &kv.base;
	memcpy(st.origin, genesis ? "" : l->origin, genesis ? 1 : strlen(l->origin) + 1);
	st.operator_key_id = head.operator_key_id;
	st.content_hash = corridor_stored_content_hash;
	st.content_ctx = &cc;

	uint64_t time_us = now_us();
	if (time_us < head.time_us) /* entry times never go backwards */
		time_us = head.time_us;

	/* One arena: contents, then one signature message buffer per thread. */
	size_t author_len = strlen(vk->name), total = 0;
	for (size_t i = 0; i < n; i++)
		total += drafts[i].body_len + strlen(drafts[i].kind) + author_len + 128u;
	unsigned helpers = n < PARALLEL_SIGN_MIN ? 0u : corridor_cores() - 1u;
	size_t scratch = ((size_t)helpers + 1) * CORRIDOR_SIG_MSG_BYTES_MAX;
	struct built *b = calloc(n, sizeof *b);
	uint8_t *arena = malloc(total + scratch);
	uint8_t *full = malloc(CORRIDOR_ENTRY_BYTES_MAX);
	atomic_uchar *done = calloc(n, sizeof *done);
	struct sign_pipe pipe = { .signer = signer, .b = b, .n = n, .done = done };
	struct corridor_workers workers = { .count = 0 };
	atomic_init(&pipe.built, 0);
	atomic_init(&pipe.next, 0);
	atomic_init(&pipe.stop, false);
	if (!b || !arena || !full || !done) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory building a batch");
		goto out_free;
	}
	pipe.msgs = arena + total;
	corridor_workers_start(&workers, helpers, sign_helper, &pipe);

	/* 1. Build contents one after another: each prev is the previous content hash. */
	uint8_t *p = arena;
	for (size_t i = 0; i < n; i++) {
		uint64_t seq = head.size + i;
		size_t cap = drafts[i].body_len + strlen(drafts[i].kind) + author_len + 128u;
		b[i].content = p;
		b[i].content_len = corridor_entry_encode_content(
			seq, head.tip, time_us, drafts[i].kind, vk->name, vk->key_id,
			drafts[i].body, drafts[i].body_len, p, cap);
		CORRIDOR_ASSERT(b[i].content_len > 0);
		if (b[i].content_len + 3 + CORRIDOR_SIGNATURE_BYTES > CORRIDOR_ENTRY_BYTES_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						"entry %zu of the batch would exceed %u bytes", i + 1,
						CORRIDOR_ENTRY_BYTES_MAX);
			goto out_free;
		}
		p += cap;
		if ((err = corridor_draft_process(&st, vk, &drafts[i], seq, time_us, head.tip,
						  diag)) != 0)
			goto out_free;
		corridor_content_hash(b[i].content, b[i].content_len, head.tip);
		/* 2. Publish it: helpers sign while the next one is built. */
		atomic_store_explicit(&pipe.built, i + 1, memory_order_release);
	}

	/* 3. Store entries and Merkle nodes in order, signing whatever is left. */
	for (size_t i = 0; i < n; i++) {
		uint8_t kb[8], leaf[CORRIDOR_HASH_BYTES];
		while (!atomic_load_explicit(&done[i], memory_order_acquire))
			if (!sign_one(&pipe, 0))
				sched_yield();
		size_t len = corridor_entry_seal(b[i].content, b[i].content_len, b[i].sig, full,
						 CORRIDOR_ENTRY_BYTES_MAX);
		CORRIDOR_ASSERT(len > 0);
		corridor_be64_put(kb, head.size + i);
		MDB_val key = { .mv_size = 8, .mv_data = kb }, val = { .mv_size = len, .mv_data = full };
		int rc = mdb_put(txn, l->entries, &key, &val, MDB_APPEND);
		if (rc) {
			err = corridor_lmdb_err(l, rc, "cannot store an entry", diag);
			goto out_free;
		}
		corridor_merkle_leaf_hash(full, len, leaf);
		if ((err = corridor_merkle_range_append(&range, leaf, corridor_node_put, &nc)) != 0) {
			corridor_diag_set(diag, err, "cannot store the Merkle tree: %s",
					  corridor_strerror(err));
			goto out_free;
		}
	}
	head.size += n;
	head.time_us = time_us;
	head.operator_key_id = st.operator_key_id;
	corridor_merkle_range_root(&range, head.root);
	if ((err = corridor_head_put(l, txn, &head, diag)) != 0)
		goto out_free;
	if (genesis)
		memcpy(l->origin, st.origin, strlen(st.origin) + 1);
	/* 4. A write by the current operator key signs the new head in the same
	 * transaction (after an operator key rotation, the new key signs next). */
	if (vk->key_id == head.operator_key_id && strcmp(vk->name, l->origin) == 0)
		err = corridor_checkpoint_sign_txn(l, txn, &head, signer, diag);
	if (!err)
		*appended = n;
out_free:
	atomic_store(&pipe.stop, true);
	corridor_workers_join(&workers);
	free(done);
	if (arena)
		sodium_memzero(arena, total + scratch);
	free(full);
	free(arena);
	free(b);
out_early:
	free(skip);
	free(drafts);
	free(index);
	free(twin);
	return err;
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
	struct append_ctx c = { .signer = signer, .drafts = drafts, .n = n, .seqs = seqs };
	int err = corridor_ledger_write(l, append_fn, &c, diag);
	if (appended)
		*appended = err ? 0 : c.appended;
	return err;
}

int corridor_append_one(struct corridor_ledger *l, const struct corridor_signer *signer,
			const char *kind, const uint8_t *body, size_t body_len, uint64_t *seq,
			struct corridor_diag *diag)
{
	struct draft d = { .kind = kind, .body = body, .body_len = body_len };
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
			size_t blen = corridor_body_memo(texts[at + i], lens[at + i], NULL, p,
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

/* ---- checkpoints ---- */

int corridor_checkpoint_sign_txn(struct corridor_ledger *l, MDB_txn *txn,
				 const struct ledger_head *head,
				 const struct corridor_signer *signer, struct corridor_diag *diag)
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	struct corridor_kv_lmdb kv;
	struct key_record rec;
	if (head->size == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the log is empty");
	corridor_kv_lmdb_init(&kv, l, txn);
	if (strcmp(vk->name, l->origin) != 0 || vk->key_id != head->operator_key_id ||
	    corridor_key_get(&kv.base, vk->name, vk->key_id, &rec) != 0 ||
	    sodium_memcmp(rec.public_key, vk->public_key, CORRIDOR_PUBLIC_KEY_BYTES) != 0 ||
	    head->size < rec.valid_from || head->size > rec.valid_until)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "only the operator's current key (%s) signs checkpoints",
					 l->origin);
	uint8_t kb[8];
	corridor_be64_put(kb, head->size);
	MDB_val key = { .mv_size = 8, .mv_data = kb }, val;
	int rc = mdb_get(txn, l->checkpoints, &key, &val);
	if (rc == 0)
		return CORRIDOR_OK; /* this head is signed already */
	if (rc != MDB_NOTFOUND)
		return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
	struct corridor_checkpoint cp = { .size = head->size };
	memcpy(cp.origin, l->origin, strlen(l->origin) + 1);
	memcpy(cp.root, head->root, CORRIDOR_HASH_BYTES);
	char text[CORRIDOR_NAME_BYTES_MAX + 128];
	size_t tlen;
	char *note;
	size_t nlen;
	int err = corridor_checkpoint_format(&cp, text, sizeof text, &tlen);
	if (!err)
		err = corridor_note_sign(text, tlen, signer, &note, &nlen);
	if (err)
		return corridor_diag_set(diag, err, "cannot sign the checkpoint");
	val.mv_size = nlen;
	val.mv_data = note;
	rc = mdb_put(txn, l->checkpoints, &key, &val, 0);
	free(note);
	return rc ? corridor_lmdb_err(l, rc, "cannot store the checkpoint", diag) : CORRIDOR_OK;
}

struct cp_sign_ctx {
	const struct corridor_signer *signer;
	uint64_t size;
};

static int cp_sign_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx, struct corridor_diag *diag)
{
	struct cp_sign_ctx *c = vctx;
	struct ledger_head head;
	int err = corridor_head_get(l, txn, &head, diag);
	if (err)
		return err;
	c->size = head.size;
	return corridor_checkpoint_sign_txn(l, txn, &head, c->signer, diag);
}

int corridor_checkpoint_sign(struct corridor_ledger *l, const struct corridor_signer *operator_key,
			     uint64_t *size_out, struct corridor_diag *diag)
{
	struct cp_sign_ctx c = { .signer = operator_key };
	if (l->replica)
		return corridor_diag_set(diag, CORRIDOR_E_REPLICA,
					 "this ledger is a replica: its checkpoints come from archives");
	int err = corridor_ledger_write(l, cp_sign_fn, &c, diag);
	if (!err && size_out)
		*size_out = c.size;
	return err;
}

int corridor_checkpoint_read(struct corridor_ledger *l, MDB_txn *txn, uint64_t *size, MDB_val *note,
			   struct corridor_diag *diag)
{
	uint8_t kb[8];
	MDB_val key = { .mv_size = 8, .mv_data = kb };
	int rc;
	if (*size == 0) {
		MDB_cursor *cur;
		if ((rc = mdb_cursor_open(txn, l->checkpoints, &cur)) != 0)
			return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
		rc = mdb_cursor_get(cur, &key, note, MDB_LAST);
		mdb_cursor_close(cur);
	} else {
		corridor_be64_put(kb, *size);
		rc = mdb_get(txn, l->checkpoints, &key, note);
	}
	if (rc == MDB_NOTFOUND && *size)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no signed checkpoint of size %llu",
					 (unsigned long long)*size);
	if (rc == MDB_NOTFOUND)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					 "no signed checkpoint yet (the operator runs 'corridor "
					 "checkpoint sign')");
	if (rc)
		return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
	if (key.mv_size != 8)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "checkpoint table is corrupt");
	*size = corridor_be64_get(key.mv_data);
	return CORRIDOR_OK;
}

struct checkpoint_get_args {
	uint64_t size;
	char **note;
	size_t *note_len;
};

static int checkpoint_get_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct checkpoint_get_args *args = vctx;
	uint64_t size = args->size;
	char **note = args->note;
	size_t *note_len = args->note_len;
	MDB_val v;
	int err;
	err = corridor_checkpoint_read(snap->l, snap->txn, &size, &v, diag);
	if (!err) {
		*note = malloc(v.mv_size + 1);
		if (!*note) {
			err = CORRIDOR_E_NOMEM;
		} else {
			memcpy(*note, v.mv_data, v.mv_size);
			(*note)[v.mv_size] = '\0';
			*note_len = v.mv_size;
		}
	}
	return err;
}

int corridor_checkpoint_get(struct corridor_ledger *l, uint64_t size, char **note, size_t *note_len,
			    struct corridor_diag *diag)
{
	struct checkpoint_get_args args = { .size = size, .note = note, .note_len = note_len };
	return corridor_ledger_read(l, checkpoint_get_fn, &args, diag);
}

struct prove_inclusion_args {
	uint64_t seq;
	FILE *out;
};

static int prove_inclusion_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct prove_inclusion_args *args = vctx;
	uint64_t seq = args->seq;
	FILE *out = args->out;
	MDB_val note;
	struct ledger_head head;
	uint64_t size = 0;
	uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
	size_t count;
	int err;
	struct node_ctx nc = { .l = snap->l, .txn = snap->txn };
	if ((err = corridor_head_get(snap->l, snap->txn, &head, diag)) != 0)
		goto out;
	if (seq >= head.size) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no entry %llu (the log has %llu)",
					(unsigned long long)seq, (unsigned long long)head.size);
		goto out;
	}
	if ((err = corridor_checkpoint_read(snap->l, snap->txn, &size, &note, diag)) != 0)
		goto out;
	if (size <= seq) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"no signed checkpoint contains entry %llu yet (latest size "
					"%llu): the operator runs 'corridor checkpoint sign'",
					(unsigned long long)seq, (unsigned long long)size);
		goto out;
	}
	err = corridor_merkle_prove_inclusion(corridor_node_get, &nc, seq, size, proof, &count);
	if (err) {
		err = corridor_diag_set(diag, CORRIDOR_E_STORAGE, "cannot build the proof");
		goto out;
	}
	err = corridor_tlog_proof_write(out, seq, (const uint8_t(*)[CORRIDOR_HASH_BYTES])proof,
					count, note.mv_data, note.mv_size);
	if (err)
		corridor_diag_set(diag, err, "cannot write the proof");
out:
	return err;
}

int corridor_prove_inclusion(struct corridor_ledger *l, uint64_t seq, FILE *out,
			     struct corridor_diag *diag)
{
	struct prove_inclusion_args args = { .seq = seq, .out = out };
	return corridor_ledger_read(l, prove_inclusion_fn, &args, diag);
}

struct consistency_args {
	uint64_t size1, *size2;
	uint8_t (*out)[CORRIDOR_HASH_BYTES];
	size_t *count;
};

static int prove_consistency_fn(const struct corridor_snapshot *snap, void *vctx,
				struct corridor_diag *diag)
{
	struct consistency_args *a = vctx;
	struct ledger_head head;
	struct node_ctx nc = { .l = snap->l, .txn = snap->txn };
	int err = corridor_head_get(snap->l, snap->txn, &head, diag);
	if (err)
		return err;
	if (*a->size2 == 0) {
		MDB_val note;
		if ((err = corridor_checkpoint_read(snap->l, snap->txn, a->size2, &note, diag)) != 0)
			return err;
	}
	if (a->size1 == 0 || a->size1 > *a->size2 || *a->size2 > head.size)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "sizes must satisfy 0 < old (%llu) <= new (%llu) <= tree size "
					 "(%llu)",
					 (unsigned long long)a->size1, (unsigned long long)*a->size2,
					 (unsigned long long)head.size);
	err = corridor_merkle_prove_consistency(corridor_node_get, &nc, a->size1, *a->size2, a->out,
						a->count);
	return err ? corridor_diag_set(diag, CORRIDOR_E_STORAGE, "cannot build the proof") : 0;
}

int corridor_prove_consistency(struct corridor_ledger *l, uint64_t size1, uint64_t *size2,
			       uint8_t (*out)[CORRIDOR_HASH_BYTES], size_t *count,
			       struct corridor_diag *diag)
{
	struct consistency_args a = { .size1 = size1, .size2 = size2, .out = out, .count = count };
	return corridor_ledger_read(l, prove_consistency_fn, &a, diag);
}
