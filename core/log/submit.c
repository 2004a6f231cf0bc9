/*
 * submit.c — sequencing signed statements (docs/FORMAT.md 2a, 2b): the
 * sequencer's write path for statements signed elsewhere.
 *
 * In one write transaction, for each statement in order: it is decoded
 * strictly; a statement whose (author, kind, idempotency key) is already in
 * the log with the same kind and body is answered with the original receipt
 * (before its lifetime is looked at: a retry signed anew is the same
 * statement), with another body it stops the batch (CORRIDOR_E_EXISTS);
 * otherwise it becomes the version 2 entry at the next seq, and the one
 * dispatcher (corridor_kind_process) decides it there, exactly as verify
 * will: origin, lifetime at the log's time, the author's key at that seq,
 * roles and the kind's rules. Its signature is checked with the key the
 * dispatcher names (unless the caller signed it in this process). The
 * entries, tree, head and a checkpoint signed by the operator commit
 * together, or nothing does.
 */
#include <sys/time.h>

#include <sodium.h>

#include "log.h"

struct submitted {
	struct corridor_statement st;
	bool duplicate;
	size_t twin; /* an earlier statement of this batch it repeats, or SIZE_MAX */
};

static uint64_t clock_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* The receipt of the entry at `seq`, which holds a statement of this key. */
static int receipt_of(struct corridor_ledger *l, MDB_txn *txn, uint64_t seq,
		      const struct submitted *s, struct corridor_receipt *r,
		      struct corridor_diag *diag)
{
	struct corridor_entry e;
	const uint8_t *stored;
	size_t len;
	if (corridor_entry_in(l, txn, seq, &e, &stored, &len) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE,
					 "the idempotency index names a missing entry %llu",
					 (unsigned long long)seq);
	/* A version 1 original carried its key in its body: the same write
	 * has that body without it. */
	const uint8_t *body = e.body;
	size_t body_len = e.body_len;
	uint8_t *stripped = NULL;
	if (e.version == CORRIDOR_ENTRY_VERSION_1 && (stripped = malloc(e.body_len)) != NULL) {
		size_t n = corridor_map_without(e.body, e.body_len, "idempotency_key", stripped,
						e.body_len);
		if (n > 0) {
			body = stripped;
			body_len = n;
		}
	}
	bool same = strcmp(e.kind, s->st.kind) == 0 && body_len == s->st.body_len &&
		    memcmp(body, s->st.body, body_len) == 0;
	free(stripped);
	if (!same)
		return corridor_diag_set(diag, CORRIDOR_E_EXISTS,
					 "idempotency key '%s' of %s for %s was used at seq %llu for "
					 "another body: nothing was written",
					 s->st.idempotency_key, s->st.author, s->st.kind,
					 (unsigned long long)seq);
	memset(r, 0, sizeof *r);
	r->seq = seq;
	r->duplicate = true;
	corridor_merkle_leaf_hash(stored, len, r->leaf_hash);
	if (e.version == CORRIDOR_ENTRY_VERSION_2) {
		struct corridor_statement orig;
		if (corridor_statement_decode(e.statement, e.statement_len, &orig, NULL) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "entry %llu is corrupt",
						 (unsigned long long)seq);
		corridor_statement_hash(e.statement, &orig, r->statement_hash);
	}
	return CORRIDOR_OK;
}

struct key_now_args {
	const struct corridor_statement *st;
	struct key_record *rec;
};

static int key_now_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct key_now_args *a = vctx;
	int err = corridor_key_get(snap->kv, a->st->author, a->st->key_id, a->rec);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "key %08x of '%s' is not registered in this ledger",
					 (unsigned)a->st->key_id, a->st->author);
	return err;
}

/* The first statement of a batch with each (author, kind, idempotency key),
 * found in expected constant time: an open-addressing table of indices
 * into s, keyed by a hash of the triple (a batch holds up to
 * CORRIDOR_BATCH_ENTRIES_MAX statements; comparing each with every earlier
 * one was quadratic). */
struct first_table {
	size_t *slot; /* index + 1, 0 empty */
	size_t mask;
};

static uint64_t triple_hash(const struct corridor_statement *st)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	const char *parts[3] = { st->author, st->kind, st->idempotency_key };
	for (int p = 0; p < 3; p++) {
		for (const unsigned char *q = (const unsigned char *)parts[p]; *q; q++)
			h = (h ^ *q) * 1099511628211u;
		h = (h ^ 0xffu) * 1099511628211u; /* a separator no text byte is */
	}
	return h;
}

static bool same_triple(const struct corridor_statement *a, const struct corridor_statement *b)
{
	return !strcmp(a->author, b->author) && !strcmp(a->kind, b->kind) &&
	       !strcmp(a->idempotency_key, b->idempotency_key);
}

/* The index of the first statement with i's triple, or i itself (then
 * recorded as the first). */
static size_t first_of(struct first_table *t, const struct submitted *s, size_t i)
{
	for (size_t k = (size_t)triple_hash(&s[i].st) & t->mask;; k = (k + 1) & t->mask) {
		if (!t->slot[k]) {
			t->slot[k] = i + 1;
			return i;
		}
		if (same_triple(&s[t->slot[k] - 1].st, &s[i].st))
			return t->slot[k] - 1;
	}
}

int corridor_sequence_txn(struct corridor_ledger *l, MDB_txn *txn, struct sequence_req *c,
			  struct corridor_diag *diag)
{
	struct first_table firsts = { 0 };
	struct ledger_head head;
	struct corridor_merkle_range range;
	struct node_ctx nc = { .l = l, .txn = txn };
	struct corridor_kv_lmdb kv;
	struct kind_state st;
	uint8_t *entry = NULL;
	int err;
	CORRIDOR_ASSERT(c->n >= 1 && c->n <= CORRIDOR_BATCH_ENTRIES_MAX);
	c->appended = 0;
	if (l->replica)
		return corridor_diag_set(diag, CORRIDOR_E_REPLICA,
					 "this ledger is a replica: it takes archives only, no local "
					 "writes");
	if ((err = corridor_head_get(l, txn, &head, diag)) != 0)
		return err;
	if (c->genesis != (head.size == 0))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 c->genesis ? "the ledger already has a genesis"
						    : "the ledger has no genesis entry");
	if (c->op_required) {
		const struct corridor_vkey *ovk = corridor_signer_vkey(c->op);
		if (ovk->key_id != head.operator_key_id || strcmp(ovk->name, l->origin) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						 "only the current operator key sequences statements "
						 "(it signs the checkpoint of each batch)");
	}
	if (head.size > UINT64_MAX - c->n)
		return corridor_diag_set(diag, CORRIDOR_E_OVERFLOW, "the log is full");
	struct submitted *s = calloc(c->n, sizeof *s);
	entry = malloc(CORRIDOR_ENTRY_BYTES_MAX);
	for (firsts.mask = 1; firsts.mask < 2 * c->n; firsts.mask <<= 1) {
	}
	firsts.slot = calloc(firsts.mask, sizeof *firsts.slot);
	firsts.mask--;
	if (!s || !entry || !firsts.slot) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	/* 1. Decode, and answer retries before anything is judged. */
	for (size_t i = 0; i < c->n; i++) {
		struct corridor_diag d;
		corridor_diag_init(&d);
		s[i].twin = SIZE_MAX;
		if (c->fields)
			s[i].st = c->fields[i];
		else if ((err = corridor_statement_decode(c->stmts[i], c->lens[i], &s[i].st, &d)) != 0) {
			err = corridor_diag_set(diag, err, "statement %zu: %s", i + 1, d.text);
			goto out_free;
		}
		uint64_t at;
		int found = corridor_idem_lookup(&kv.base, s[i].st.author, s[i].st.kind,
						 s[i].st.idempotency_key,
						 strlen(s[i].st.idempotency_key), &at);
		if (found == 0) {
			if ((err = receipt_of(l, txn, at, &s[i], &c->receipts[i], diag)) != 0)
				goto out_free;
			s[i].duplicate = true;
			continue;
		}
		if (found != CORRIDOR_E_NOTFOUND) {
			err = corridor_diag_set(diag, found == CORRIDOR_E_LIMIT ? CORRIDOR_E_INVALID
										 : found,
						"statement %zu: its idempotency key cannot be looked up",
						i + 1);
			goto out_free;
		}
		/* an earlier statement of this batch with the same triple (not one
		 * already in the log: those answered above) is its twin */
		size_t j = first_of(&firsts, s, i);
		if (j != i) {
			const struct corridor_statement *a = &s[j].st, *b = &s[i].st;
			if (a->body_len != b->body_len || memcmp(a->body, b->body, a->body_len) != 0) {
				err = corridor_diag_set(diag, CORRIDOR_E_EXISTS,
							"statements %zu and %zu share idempotency key "
							"'%s' with other bodies: nothing was written",
							j + 1, i + 1, b->idempotency_key);
				goto out_free;
			}
			s[i].twin = j;
		}
	}
	/* 2. Sequence the new ones, each decided at its own seq. */
	if ((err = corridor_merkle_range_load(&range, corridor_node_get, &nc, head.size)) != 0) {
		err = corridor_diag_set(diag, err, "cannot load the Merkle tree");
		goto out_free;
	}
	st.kv = &kv.base;
	memcpy(st.origin, c->genesis ? "" : l->origin, c->genesis ? 1 : strlen(l->origin) + 1);
	st.lifetime_max_us = c->genesis ? 0 : l->lifetime_max_us;
	st.operator_key_id = head.operator_key_id;
	st.content_hash = corridor_stored_content_hash;
	st.content_ctx = &nc;
	st.tree_root = corridor_stored_tree_root;
	st.tree_ctx = &nc;
	uint64_t time_us = clock_us();
	if (time_us < head.time_us) /* the log's time never goes backwards */
		time_us = head.time_us;
	for (size_t i = 0; i < c->n; i++) {
		if (s[i].duplicate)
			continue;
		if (s[i].twin != SIZE_MAX) {
			c->receipts[i] = c->receipts[s[i].twin];
			c->receipts[i].duplicate = true;
			continue;
		}
		if (c->ready)
			c->ready(c->ready_ctx, i);
		uint64_t seq = head.size;
		size_t len = corridor_entry_encode_v2(seq, head.tip, time_us, c->stmts[i],
						      c->lens[i], entry, CORRIDOR_ENTRY_BYTES_MAX);
		struct corridor_entry e;
		uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], kb[8];
		if (len == 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						"statement %zu: its entry would exceed %u bytes", i + 1,
						CORRIDOR_ENTRY_BYTES_MAX);
			goto out_free;
		}
		if (c->fields) {
			/* made here from known fields: the entry is what they say, no
			 * second decoding (the statement was built by the codec) */
			const struct corridor_statement *f = &c->fields[i];
			memset(&e, 0, sizeof e);
			e.version = CORRIDOR_ENTRY_VERSION_2;
			e.seq = seq;
			memcpy(e.prev, head.tip, CORRIDOR_HASH_BYTES);
			e.time_us = time_us;
			memcpy(e.kind, f->kind, sizeof e.kind);
			memcpy(e.author, f->author, sizeof e.author);
			e.key_id = f->key_id;
			e.body = f->body;
			e.body_len = f->body_len;
			e.content_len = len;
			e.statement = entry + (len - c->lens[i]);
			e.statement_len = c->lens[i];
			e.statement_content_len = f->content_len;
			memcpy(e.origin, f->origin, sizeof e.origin);
			memcpy(e.idempotency_key, f->idempotency_key, sizeof e.idempotency_key);
			e.created_us = f->created_us;
			e.expires_us = f->expires_us;
			CORRIDOR_ASSERT(memcmp(e.statement, c->stmts[i], c->lens[i]) == 0);
		} else {
			CORRIDOR_ASSERT(corridor_entry_decode(entry, len, &e, NULL) == 0);
		}
		if ((err = corridor_kind_process(&st, &e, pub, diag)) != 0) {
			if (diag)
				diag->has_seq = false; /* nothing was written at that seq */
			err = err == CORRIDOR_E_VERIFY ? CORRIDOR_E_REFUSED : err;
			goto out_free;
		}
		if (c->signed_by) {
			/* signed here, by this key: it must be the one registered */
			if (sodium_memcmp(pub, c->signed_by->public_key, CORRIDOR_PUBLIC_KEY_BYTES)) {
				err = corridor_diag_set(diag, CORRIDOR_E_KEY,
							"key %08x of '%s' registered here is another "
							"key",
							(unsigned)e.key_id, e.author);
				goto out_free;
			}
		} else if (!(c->verified &&
			     sodium_memcmp(pub, c->verified[i], CORRIDOR_PUBLIC_KEY_BYTES) == 0) &&
			   corridor_entry_check_sig(entry, &e, pub) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_SIGNATURE,
						"statement %zu: the signature does not verify with "
						"key %08x of '%s'",
						i + 1, (unsigned)e.key_id, e.author);
			goto out_free;
		}
		corridor_be64_put(kb, seq);
		MDB_val key = { .mv_size = 8, .mv_data = kb }, val = { .mv_size = len, .mv_data = entry };
		int rc = mdb_put(txn, l->entries, &key, &val, MDB_APPEND);
		if (rc) {
			err = corridor_lmdb_err(l, rc, "cannot store an entry", diag);
			goto out_free;
		}
		struct corridor_receipt *r = &c->receipts[i];
		memset(r, 0, sizeof *r);
		r->seq = seq;
		corridor_merkle_leaf_hash(entry, len, r->leaf_hash);
		corridor_statement_hash(c->stmts[i], &s[i].st, r->statement_hash);
		if ((err = corridor_merkle_range_append(&range, r->leaf_hash, corridor_node_put,
							&nc)) != 0) {
			corridor_diag_set(diag, err, "cannot store the Merkle tree");
			goto out_free;
		}
		corridor_entry_content_hash(entry, &e, head.tip);
		head.size++;
		c->appended++;
	}
	if (c->appended == 0) {
		err = CORRIDOR_OK;
		goto out_free;
	}
	head.time_us = time_us;
	head.operator_key_id = st.operator_key_id;
	corridor_merkle_range_root(&range, head.root);
	if ((err = corridor_head_put(l, txn, &head, diag)) != 0)
		goto out_free;
	if (c->genesis && (err = corridor_ledger_founded_txn(l, txn, &st, diag)) != 0)
		goto out_free;
	/* A batch sequenced with the current operator key signs the new head in
	 * the same transaction (after an operator key rotation, the new key
	 * signs next). */
	if (c->op) {
		const struct corridor_vkey *ovk = corridor_signer_vkey(c->op);
		if (ovk->key_id == head.operator_key_id && strcmp(ovk->name, l->origin) == 0)
			err = corridor_checkpoint_sign_txn(l, txn, &head, c->op, diag);
	}
out_free:
	free(firsts.slot);
	free(s);
	free(entry);
	return err;
}

static int submit_txn(struct corridor_ledger *l, MDB_txn *txn, void *vctx,
		      struct corridor_diag *diag)
{
	return corridor_sequence_txn(l, txn, vctx, diag);
}

int corridor_submit(struct corridor_ledger *l, const struct corridor_signer *op,
		    const uint8_t *const *stmts, const size_t *lens, size_t n,
		    struct corridor_receipt *receipts, size_t *appended, struct corridor_diag *diag)
{
	return corridor_submit_verified(l, op, stmts, lens, NULL, n, receipts, appended, diag);
}

int corridor_statement_key_now(struct corridor_ledger *l, const uint8_t *stmt, size_t len,
			       struct corridor_statement *st,
			       uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
			       struct corridor_diag *diag)
{
	struct key_record rec;
	int err = corridor_statement_decode(stmt, len, st, diag);
	if (err)
		return err;
	struct key_now_args a = { .st = st, .rec = &rec };
	if ((err = corridor_ledger_read(l, key_now_fn, &a, diag)) != 0)
		return err;
	if (rec.valid_until != UINT64_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "key %08x of '%s' was rotated or revoked", (unsigned)st->key_id,
					 st->author);
	memcpy(public_key, rec.public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	return CORRIDOR_OK;
}

int corridor_submit_verified(struct corridor_ledger *l, const struct corridor_signer *op,
			     const uint8_t *const *stmts, const size_t *lens,
			     const uint8_t (*verified)[CORRIDOR_PUBLIC_KEY_BYTES], size_t n,
			     struct corridor_receipt *receipts, size_t *appended,
			     struct corridor_diag *diag)
{
	if (n == 0 || n > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "1-%u statements per batch",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	if (l->readonly)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the ledger was opened read-only: it takes no writes");
	struct sequence_req c = { .op = op, .op_required = true, .stmts = stmts, .lens = lens,
				  .n = n, .verified = verified, .receipts = receipts };
	int err = corridor_ledger_write(l, submit_txn, &c, diag);
	if (appended)
		*appended = err ? 0 : c.appended;
	return err;
}

int corridor_submit_dry_run(struct corridor_ledger *l, const uint8_t *const *stmts,
			    const size_t *lens, size_t n, struct corridor_receipt *receipts,
			    size_t *appended, struct corridor_diag *diag)
{
	MDB_txn *txn;
	if (n == 0 || n > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "1-%u statements per batch",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	int err = corridor_txn_begin(l, 0, &txn, diag);
	if (err)
		return err;
	/* decided as corridor_submit would, then abandoned: no checkpoint */
	struct sequence_req c = { .stmts = stmts, .lens = lens, .n = n, .receipts = receipts };
	err = corridor_sequence_txn(l, txn, &c, diag);
	corridor_txn_abort(l, txn);
	if (appended)
		*appended = err ? 0 : c.appended;
	return err;
}
