/*
 * verify.c — the streaming verifier and `corridor verify`.
 *
 * The verifier takes entries in seq order, a chunk at a time, as a pipeline:
 *   A. on any core: strict decode, content hash, leaf hash;
 *   B. in order, on the calling thread: dense seq, prev chain, non-decreasing
 *      time, the entry's kind and its author's key at that seq
 *      (corridor_kind_process), the Merkle tree (hooks see every completed
 *      node and every accepted entry);
 *   C. on any core, as soon as B accepted the entry: its signature.
 * The first failure by seq is reported. The same verifier checks a ledger,
 * an archive, and an archive being imported into a replica.
 */
#include <sched.h>
#include <stdatomic.h>

#include <sodium.h>

#include "log.h"

struct slot {
	const uint8_t *bytes;
	size_t len;
	struct corridor_entry e;
	uint8_t content_hash[CORRIDOR_HASH_BYTES];
	uint8_t leaf[CORRIDOR_HASH_BYTES];
	uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES];
	int err;
	struct corridor_diag d;
};

struct verifier {
	uint64_t first, next_seq;
	uint8_t tip[CORRIDOR_HASH_BYTES];
	uint64_t time_us;
	struct corridor_merkle_range range;
	struct corridor_kv_mem mem; /* the state, unless use_kv points elsewhere */
	struct kind_state st;
	/* content hashes of the entries seen, for attestations */
	uint8_t (*hashes)[CORRIDOR_HASH_BYTES];
	size_t hashes_cap;
	int (*before)(void *ctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES]);
	void *before_ctx;
	struct verifier_hooks h;
	/* every completed node, by level, when the tree is not kept elsewhere
	 * (corridor_verifier_use_tree): what tree_root reads */
	bool keep_nodes;
	uint8_t (*nodes[CORRIDOR_MERKLE_LEVELS_MAX])[CORRIDOR_HASH_BYTES];
	size_t nodes_count[CORRIDOR_MERKLE_LEVELS_MAX], nodes_cap[CORRIDOR_MERKLE_LEVELS_MAX];
	struct slot *slots;
	atomic_uchar *a_done; /* per slot: decoded */
	uint8_t *scratch;     /* one signature message per thread */
};

/* Below this many entries a chunk is checked by the calling thread alone. */
#define PIPELINE_MIN 32u

/* Content hashes of entries this verifier saw, else of the ones before it. */
static int seen_content_hash(void *ctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES])
{
	struct verifier *v = ctx;
	if (seq >= v->first && seq < v->next_seq) {
		memcpy(out, v->hashes[seq - v->first], CORRIDOR_HASH_BYTES);
		return CORRIDOR_OK;
	}
	if (seq < v->first && v->before)
		return v->before(v->before_ctx, seq, out);
	return CORRIDOR_E_NOTFOUND;
}

/* A node this verifier kept (corridor_merkle_get_fn). */
static int kept_node(void *ctx, unsigned level, uint64_t index, uint8_t out[CORRIDOR_HASH_BYTES])
{
	struct verifier *v = ctx;
	if (level >= CORRIDOR_MERKLE_LEVELS_MAX || index >= v->nodes_count[level])
		return CORRIDOR_E_NOTFOUND;
	memcpy(out, v->nodes[level][index], CORRIDOR_HASH_BYTES);
	return CORRIDOR_OK;
}

/* The root at `size` from the nodes kept: only a verifier that saw the log
 * from seq 0 has them all. */
static int kept_tree_root(void *ctx, uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES])
{
	struct verifier *v = ctx;
	if (!v->keep_nodes || v->first != 0 || size > v->range.size)
		return CORRIDOR_E_NOTFOUND;
	return corridor_merkle_root(kept_node, v, size, out);
}

static int keep_node(struct verifier *v, unsigned level, uint64_t index,
		     const uint8_t hash[CORRIDOR_HASH_BYTES])
{
	if (level >= CORRIDOR_MERKLE_LEVELS_MAX || index != v->nodes_count[level])
		return CORRIDOR_E_STORAGE; /* nodes complete in index order, level by level */
	if (v->nodes_count[level] == v->nodes_cap[level]) {
		size_t cap = v->nodes_cap[level] ? 2 * v->nodes_cap[level] : 1024;
		void *n = realloc(v->nodes[level], cap * CORRIDOR_HASH_BYTES);
		if (!n)
			return CORRIDOR_E_NOMEM;
		v->nodes[level] = n;
		v->nodes_cap[level] = cap;
	}
	memcpy(v->nodes[level][v->nodes_count[level]++], hash, CORRIDOR_HASH_BYTES);
	return CORRIDOR_OK;
}

static int remember_hash(struct verifier *v, const uint8_t hash[CORRIDOR_HASH_BYTES])
{
	size_t i = (size_t)(v->next_seq - v->first);
	if (i == v->hashes_cap) {
		size_t cap = v->hashes_cap ? 2 * v->hashes_cap : 4096;
		void *n = realloc(v->hashes, cap * CORRIDOR_HASH_BYTES);
		if (!n)
			return CORRIDOR_E_NOMEM;
		v->hashes = n;
		v->hashes_cap = cap;
	}
	memcpy(v->hashes[i], hash, CORRIDOR_HASH_BYTES);
	return CORRIDOR_OK;
}

int corridor_verifier_new(struct verifier **out, uint64_t first,
			  const uint8_t tip[CORRIDOR_HASH_BYTES], uint64_t time_us,
			  const struct corridor_merkle_range *range, const struct verifier_hooks *h)
{
	struct verifier *v = calloc(1, sizeof *v);
	if (!v)
		return CORRIDOR_E_NOMEM;
	v->slots = calloc(VERIFY_CHUNK_ENTRIES, sizeof *v->slots);
	v->a_done = calloc(VERIFY_CHUNK_ENTRIES, sizeof *v->a_done);
	v->scratch = malloc((size_t)corridor_cores() * CORRIDOR_SIG_MSG_BYTES_MAX);
	if (!v->slots || !v->a_done || !v->scratch) {
		corridor_verifier_free(v);
		return CORRIDOR_E_NOMEM;
	}
	v->first = v->next_seq = first;
	memcpy(v->tip, tip, CORRIDOR_HASH_BYTES);
	v->time_us = time_us;
	v->range = *range;
	corridor_kv_mem_init(&v->mem);
	v->st.kv = &v->mem.base;
	v->st.origin[0] = '\0';
	v->st.operator_key_id = 0;
	v->st.content_hash = seen_content_hash;
	v->st.content_ctx = v;
	v->st.tree_root = kept_tree_root;
	v->st.tree_ctx = v;
	v->keep_nodes = true;
	if (h)
		v->h = *h;
	*out = v;
	return CORRIDOR_OK;
}

void corridor_verifier_free(struct verifier *v)
{
	if (!v)
		return;
	for (unsigned i = 0; i < CORRIDOR_MERKLE_LEVELS_MAX; i++)
		free(v->nodes[i]);
	corridor_kv_mem_release(&v->mem);
	free(v->hashes);
	free(v->slots);
	free(v->a_done);
	free(v->scratch);
	free(v);
}

struct kind_state *corridor_verifier_state(struct verifier *v)
{
	return &v->st;
}

struct corridor_kv_mem *corridor_verifier_mem(struct verifier *v)
{
	return &v->mem;
}

void corridor_verifier_use_kv(struct verifier *v, struct corridor_kv *kv,
			      int (*fn)(void *ctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES]),
			      void *ctx)
{
	v->st.kv = kv;
	v->before = fn;
	v->before_ctx = ctx;
}

void corridor_verifier_use_tree(struct verifier *v,
				int (*fn)(void *ctx, uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES]),
				void *ctx)
{
	v->st.tree_root = fn;
	v->st.tree_ctx = ctx;
	v->keep_nodes = false;
}

const struct corridor_merkle_range *corridor_verifier_range(const struct verifier *v)
{
	return &v->range;
}

void corridor_verifier_tip(const struct verifier *v, uint8_t tip[CORRIDOR_HASH_BYTES],
			   uint64_t *time_us)
{
	memcpy(tip, v->tip, CORRIDOR_HASH_BYTES);
	*time_us = v->time_us;
}

static void decode_one(struct slot *s)
{
	corridor_diag_init(&s->d);
	s->err = corridor_entry_decode(s->bytes, s->len, &s->e, &s->d);
	if (s->err)
		return;
	corridor_entry_content_hash(s->bytes, &s->e, s->content_hash);
	corridor_merkle_leaf_hash(s->bytes, s->len, s->leaf);
}

static void check_sig(struct verifier *v, struct slot *s, unsigned id)
{
	uint8_t *msg = v->scratch + (size_t)id * CORRIDOR_SIG_MSG_BYTES_MAX;
	size_t n = corridor_entry_signed_message(s->bytes, &s->e, msg);
	if (crypto_sign_verify_detached(s->e.sig, msg, n, s->pub) != 0) {
		s->err = CORRIDOR_E_VERIFY;
		corridor_diag_seq(&s->d, CORRIDOR_E_VERIFY, s->e.seq,
				  "signature does not verify with key %08x of '%s'",
				  (unsigned)s->e.key_id, s->e.author);
	}
}

/* The chunk pipeline: (A) decode and hash, on any core; (B) accept in seq
 * order, on the calling thread only; (C) check the signature of an accepted
 * entry, on any core. Work moves through atomics; nobody waits while there is
 * work it may take. */
struct vpipe {
	struct verifier *v;
	size_t n;
	atomic_size_t a_next;   /* next entry to decode */
	atomic_uchar *a_done;   /* decoded */
	atomic_size_t accepted; /* entries [0, accepted) passed step B */
	atomic_size_t c_next;   /* next accepted entry whose signature to check */
	atomic_bool b_over;     /* step B has finished (accepted is final) */
};

/* Takes one task, signatures first. False if none is available now. */
static bool vpipe_task(struct vpipe *p, unsigned id)
{
	size_t c = atomic_load(&p->c_next);
	while (c < atomic_load_explicit(&p->accepted, memory_order_acquire)) {
		if (atomic_compare_exchange_weak(&p->c_next, &c, c + 1)) {
			check_sig(p->v, &p->v->slots[c], id);
			return true;
		}
	}
	size_t a = atomic_load(&p->a_next);
	while (a < p->n) {
		if (atomic_compare_exchange_weak(&p->a_next, &a, a + 1)) {
			decode_one(&p->v->slots[a]);
			atomic_store_explicit(&p->a_done[a], 1, memory_order_release);
			return true;
		}
	}
	return false;
}

static void vpipe_helper(void *ctx, unsigned id)
{
	struct vpipe *p = ctx;
	for (;;) {
		if (vpipe_task(p, id))
			continue;
		if (atomic_load(&p->b_over) &&
		    atomic_load(&p->c_next) >= atomic_load(&p->accepted))
			return;
		sched_yield();
	}
}

struct node_hook_ctx {
	struct verifier *v;
	struct corridor_diag *diag;
};

static int node_hook(void *ctx, unsigned level, uint64_t index, const uint8_t hash[CORRIDOR_HASH_BYTES])
{
	struct node_hook_ctx *c = ctx;
	int err = c->v->keep_nodes ? keep_node(c->v, level, index, hash) : CORRIDOR_OK;
	if (err)
		return corridor_diag_set(c->diag, err, "cannot keep the Merkle tree's nodes");
	return c->v->h.node ? c->v->h.node(c->v->h.ctx, level, index, hash, c->diag) : CORRIDOR_OK;
}

static void attach_seq(struct corridor_diag *d, uint64_t seq)
{
	if (d && !d->has_seq) {
		d->has_seq = true;
		d->seq = seq;
	}
}

/* Step 2 for slot i. */
static int accept_one(struct verifier *v, struct slot *s, uint64_t seq, struct corridor_diag *d)
{
	int err;
	if (s->err)
		return corridor_diag_seq(d, CORRIDOR_E_VERIFY, seq, "entry %llu does not decode: %s",
					 (unsigned long long)seq, s->d.text);
	if (s->e.seq != seq)
		return corridor_diag_seq(d, CORRIDOR_E_VERIFY, seq,
					 "entry stored at seq %llu says seq %llu",
					 (unsigned long long)seq, (unsigned long long)s->e.seq);
	if (sodium_memcmp(s->e.prev, v->tip, CORRIDOR_HASH_BYTES) != 0)
		return corridor_diag_seq(d, CORRIDOR_E_VERIFY, seq,
					 "prev does not match the content hash of entry %llu",
					 (unsigned long long)seq - 1);
	if (s->e.time_us < v->time_us)
		return corridor_diag_seq(d, CORRIDOR_E_VERIFY, seq, "time goes backwards");
	if ((err = corridor_kind_process(&v->st, &s->e, s->pub, d)) != 0) {
		attach_seq(d, seq);
		return CORRIDOR_E_VERIFY;
	}
	memcpy(v->tip, s->content_hash, CORRIDOR_HASH_BYTES);
	v->time_us = s->e.time_us;
	if ((err = remember_hash(v, s->content_hash)) != 0)
		return corridor_diag_seq(d, err, seq, "out of memory");
	struct node_hook_ctx nh = { .v = v, .diag = d };
	err = corridor_merkle_range_append(&v->range, s->leaf,
					   v->h.node || v->keep_nodes ? node_hook : NULL, &nh);
	if (err) {
		if (d && !d->text[0])
			corridor_diag_set(d, err, "Merkle tree at entry %llu: %s",
					  (unsigned long long)seq, corridor_strerror(err));
		attach_seq(d, seq);
		return err;
	}
	if (v->h.entry &&
	    (err = v->h.entry(v->h.ctx, seq, s->bytes, s->len, &v->range, &v->st, d)) != 0) {
		attach_seq(d, seq);
		return err;
	}
	return CORRIDOR_OK;
}

int corridor_verifier_feed(struct verifier *v, const uint8_t *const *bytes, const size_t *lens,
			   size_t n, struct corridor_diag *diag)
{
	struct corridor_diag seq_diag;
	struct corridor_workers workers = { .count = 0 };
	struct vpipe p = { .v = v, .n = n, .a_done = v->a_done };
	CORRIDOR_ASSERT(n <= VERIFY_CHUNK_ENTRIES);
	for (size_t i = 0; i < n; i++) {
		v->slots[i].bytes = bytes[i];
		v->slots[i].len = lens[i];
		atomic_init(&v->a_done[i], 0);
	}
	atomic_init(&p.a_next, 0);
	atomic_init(&p.accepted, 0);
	atomic_init(&p.c_next, 0);
	atomic_init(&p.b_over, false);
	if (n >= PIPELINE_MIN)
		corridor_workers_start(&workers, corridor_cores() - 1u, vpipe_helper, &p);
	size_t ok = 0;
	int seq_err = CORRIDOR_OK;
	corridor_diag_init(&seq_diag);
	while (ok < n) {
		if (!atomic_load_explicit(&v->a_done[ok], memory_order_acquire)) {
			if (!vpipe_task(&p, 0))
				sched_yield();
			continue;
		}
		seq_err = accept_one(v, &v->slots[ok], v->next_seq, &seq_diag);
		if (seq_err)
			break;
		v->next_seq++;
		ok++;
		atomic_store_explicit(&p.accepted, ok, memory_order_release);
	}
	atomic_store(&p.b_over, true);
	while (vpipe_task(&p, 0) || atomic_load(&p.c_next) < ok) {
		/* finish the signatures of accepted entries (and stray decodes) */
	}
	corridor_workers_join(&workers);
	for (size_t i = 0; i < ok; i++)
		if (v->slots[i].err) {
			if (diag)
				*diag = v->slots[i].d;
			return CORRIDOR_E_VERIFY;
		}
	if (seq_err) {
		if (diag)
			*diag = seq_diag;
		return seq_err == CORRIDOR_E_NOMEM || seq_err == CORRIDOR_E_STORAGE ||
				       seq_err == CORRIDOR_E_FULL
			       ? seq_err
			       : CORRIDOR_E_VERIFY;
	}
	return CORRIDOR_OK;
}

int corridor_checkpoint_check(const struct kind_state *st, const char *note, size_t note_len,
			      uint64_t size, const uint8_t root[CORRIDOR_HASH_BYTES],
			      struct corridor_diag *diag)
{
	struct key_record rec;
	struct corridor_vkey vk;
	struct corridor_checkpoint cp;
	struct corridor_note *parsed = malloc(sizeof *parsed);
	int err;
	if (!parsed)
		return CORRIDOR_E_NOMEM;
	if (corridor_key_get(st->kv, st->origin, st->operator_key_id, &rec) != 0 ||
	    size < rec.valid_from || size > rec.valid_until) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"checkpoint %llu: no operator key is valid at that size",
					(unsigned long long)size);
		goto out_free;
	}
	memcpy(vk.name, rec.name, sizeof vk.name);
	vk.key_id = rec.key_id;
	vk.sigtype = CORRIDOR_SIGTYPE_ED25519;
	memcpy(vk.public_key, rec.public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	err = corridor_note_open(note, note_len, &vk, 1, parsed);
	if (err) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"checkpoint %llu: the operator's signature %s",
					(unsigned long long)size,
					err == CORRIDOR_E_KEY ? "is missing" : "does not verify");
		goto out_free;
	}
	if (corridor_checkpoint_parse(note, parsed->text_len, &cp) != 0 ||
	    strcmp(cp.origin, st->origin) != 0 || cp.size != size ||
	    sodium_memcmp(cp.root, root, CORRIDOR_HASH_BYTES) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"checkpoint %llu: its origin, size or root does not match "
					"the log",
					(unsigned long long)size);
		goto out_free;
	}
	err = corridor_cosignatures_check(st, note, parsed, size, diag);
out_free:
	free(parsed);
	return err;
}

/* ---- corridor verify on a ledger ---- */

struct lv_ctx {
	struct corridor_ledger *l;
	MDB_txn *txn;
	MDB_cursor *nodes; /* walked in key order = the order nodes complete */
	MDB_cursor *cps;
	int cp_rc; /* 0 while cp_key/cp_val hold the next stored checkpoint */
	MDB_val cp_key, cp_val;
	uint64_t nodes_seen;
};

static int lv_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[CORRIDOR_HASH_BYTES],
		   struct corridor_diag *diag)
{
	struct lv_ctx *c = ctx;
	uint8_t want[NODE_KEY_BYTES];
	MDB_val k, v;
	corridor_node_key(level, index, want);
	int rc = mdb_cursor_get(c->nodes, &k, &v, c->nodes_seen++ ? MDB_NEXT : MDB_FIRST);
	if (rc != 0 || k.mv_size != NODE_KEY_BYTES || memcmp(k.mv_data, want, NODE_KEY_BYTES) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					 "stored Merkle node (level %u, index %llu) is missing", level,
					 (unsigned long long)index);
	if (v.mv_size != CORRIDOR_HASH_BYTES || sodium_memcmp(v.mv_data, hash, CORRIDOR_HASH_BYTES) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					 "stored Merkle node (level %u, index %llu) differs from the "
					 "recomputation",
					 level, (unsigned long long)index);
	return CORRIDOR_OK;
}

static int lv_entry(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len,
		    const struct corridor_merkle_range *range, const struct kind_state *st,
		    struct corridor_diag *diag)
{
	struct lv_ctx *c = ctx;
	(void)seq;
	(void)bytes;
	(void)len;
	if (c->cp_rc != 0 || corridor_be64_get(c->cp_key.mv_data) != range->size)
		return CORRIDOR_OK;
	uint8_t root[CORRIDOR_HASH_BYTES];
	corridor_merkle_range_root(range, root);
	int err = corridor_checkpoint_check(st, c->cp_val.mv_data, c->cp_val.mv_size, range->size,
					    root, diag);
	if (err)
		return err;
	c->cp_rc = mdb_cursor_get(c->cps, &c->cp_key, &c->cp_val, MDB_NEXT);
	if (c->cp_rc == 0 && c->cp_key.mv_size != 8)
		return corridor_diag_set(diag, CORRIDOR_E_VERIFY, "checkpoint table is corrupt");
	return CORRIDOR_OK;
}

struct verify_args {
	corridor_progress_fn progress;
	void *pctx;
};

/* Every entry under the cursor, in seq order and dense from 0, fed to the
 * verifier in chunks; *fed counts them. */
static int feed_log(struct corridor_ledger *l, MDB_cursor *cur, struct verifier *v,
		    const uint8_t **ptrs, size_t *lens, uint64_t total, corridor_progress_fn progress,
		    void *pctx, uint64_t *fed, struct corridor_diag *diag)
{
	uint64_t expect = 0;
	MDB_val k, val;
	int err = CORRIDOR_OK;
	int rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST);
	while (rc == 0 && !err) {
		size_t n = 0;
		for (; rc == 0 && n < VERIFY_CHUNK_ENTRIES;
		     rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT), n++) {
			if (k.mv_size != 8 || corridor_be64_get(k.mv_data) != expect + n) {
				err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, expect + n,
							"entry %llu is missing: the seq is not dense",
							(unsigned long long)(expect + n));
				break;
			}
			ptrs[n] = val.mv_data;
			lens[n] = val.mv_size;
		}
		int ferr = corridor_verifier_feed(v, ptrs, lens, n, diag);
		if (ferr)
			return ferr;
		expect += n;
		if (progress)
			progress(pctx, expect, total);
	}
	*fed = expect;
	if (!err && rc != MDB_NOTFOUND)
		err = corridor_lmdb_err(l, rc, "cannot read the log", diag);
	return err;
}

/* Every entry of one snapshot replayed, then the stored head, tree,
 * checkpoints and derived state compared with what the replay gave. */
static int verify_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	const struct verify_args *a = vctx;
	struct corridor_ledger *l = snap->l;
	MDB_txn *txn = snap->txn;
	corridor_progress_fn progress = a->progress;
	void *pctx = a->pctx;
	MDB_cursor *cur = NULL;
	struct ledger_head head;
	struct verifier *v = NULL;
	struct corridor_merkle_range empty;
	const uint8_t zero[CORRIDOR_HASH_BYTES] = { 0 };
	const uint8_t **ptrs = NULL;
	size_t *lens = NULL;
	struct lv_ctx c = { .l = l };
	int rc, err;
	c.txn = txn;
	corridor_merkle_range_init(&empty);
	struct verifier_hooks hooks = { .node = lv_node, .entry = lv_entry, .ctx = &c };
	if ((err = corridor_head_get(l, txn, &head, diag)) != 0)
		goto out_free;
	ptrs = malloc(VERIFY_CHUNK_ENTRIES * sizeof *ptrs);
	lens = malloc(VERIFY_CHUNK_ENTRIES * sizeof *lens);
	if (!ptrs || !lens || corridor_verifier_new(&v, 0, zero, 0, &empty, &hooks) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	/* earlier trees' roots from the stored nodes, each compared with the
	 * recomputation (lv_node) before any later entry is decided */
	struct node_ctx tree = { .l = l, .txn = txn };
	corridor_verifier_use_tree(v, corridor_stored_tree_root, &tree);
	if ((rc = mdb_cursor_open(txn, l->checkpoints, &c.cps)) != 0 ||
	    (rc = mdb_cursor_open(txn, l->nodes, &c.nodes)) != 0 ||
	    (rc = mdb_cursor_open(txn, l->entries, &cur)) != 0) {
		err = corridor_lmdb_err(l, rc, "cannot open cursors", diag);
		goto out_free;
	}
	c.cp_rc = mdb_cursor_get(c.cps, &c.cp_key, &c.cp_val, MDB_FIRST);
	if (c.cp_rc == 0 && c.cp_key.mv_size != 8) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY, "checkpoint table is corrupt");
		goto out_free;
	}
	uint64_t expect = 0;
	if ((err = feed_log(l, cur, v, ptrs, lens, head.size, progress, pctx, &expect, diag)) != 0)
		goto out_free;
	/* Derived state against the recomputation. */
	uint8_t root[CORRIDOR_HASH_BYTES], tip[CORRIDOR_HASH_BYTES];
	uint64_t time_us;
	corridor_merkle_range_root(corridor_verifier_range(v), root);
	corridor_verifier_tip(v, tip, &time_us);
	const struct kind_state *st = corridor_verifier_state(v);
	if (expect != head.size || sodium_memcmp(root, head.root, 32) != 0 ||
	    sodium_memcmp(tip, head.tip, 32) != 0 || time_us != head.time_us ||
	    st->operator_key_id != head.operator_key_id) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"the stored head (size %llu) does not match the %llu entries",
					(unsigned long long)head.size, (unsigned long long)expect);
		goto out_free;
	}
	if (strcmp(st->origin, l->origin) != 0 || st->lifetime_max_us != l->lifetime_max_us) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"the stored origin or statement lifetime does not match the "
					"genesis entry");
		goto out_free;
	}
	MDB_stat ms;
	uint64_t want_nodes = 2 * expect - (uint64_t)__builtin_popcountll(expect);
	if ((rc = mdb_stat(txn, l->nodes, &ms)) != 0 || ms.ms_entries != want_nodes ||
	    c.nodes_seen != want_nodes) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"the Merkle table holds %zu nodes, the tree has %llu",
					rc ? (size_t)0 : ms.ms_entries, (unsigned long long)want_nodes);
		goto out_free;
	}
	if (c.cp_rc == 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"a stored checkpoint (size %llu) is beyond the log",
					(unsigned long long)corridor_be64_get(c.cp_key.mv_data));
		goto out_free;
	}
	err = corridor_kv_compare(l, txn, corridor_verifier_mem(v), diag);
out_free:
	if (cur)
		mdb_cursor_close(cur);
	if (c.cps)
		mdb_cursor_close(c.cps);
	if (c.nodes)
		mdb_cursor_close(c.nodes);
	corridor_verifier_free(v);
	free(ptrs);
	free(lens);
	return err;
}

int corridor_ledger_verify(struct corridor_ledger *l, corridor_progress_fn progress, void *pctx,
			   struct corridor_diag *diag)
{
	struct verify_args a = { .progress = progress, .pctx = pctx };
	return corridor_ledger_read(l, verify_fn, &a, diag);
}

/* ---- derived tables of an older layout: rebuilt from the entries ---- */

int corridor_tables_rebuild_txn(struct corridor_ledger *l, MDB_txn *txn, struct corridor_diag *diag)
{
	struct ledger_head head;
	struct verifier *v = NULL;
	struct corridor_merkle_range empty;
	const uint8_t zero[CORRIDOR_HASH_BYTES] = { 0 };
	const uint8_t **ptrs = malloc(VERIFY_CHUNK_ENTRIES * sizeof *ptrs);
	size_t *lens = malloc(VERIFY_CHUNK_ENTRIES * sizeof *lens);
	MDB_cursor *cur = NULL;
	int rc, err;
	if (!ptrs || !lens) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	if ((err = corridor_head_get(l, txn, &head, diag)) != 0)
		goto out_free;
	for (unsigned t = 0; t < STATE_TABLES; t++)
		if ((rc = mdb_drop(txn, l->state[t], 0)) != 0) {
			err = corridor_lmdb_err(l, rc, "cannot empty a derived table", diag);
			goto out_free;
		}
	corridor_merkle_range_init(&empty);
	if (corridor_verifier_new(&v, 0, zero, 0, &empty, NULL) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	/* the kinds write into the ledger's own (emptied) tables */
	struct node_ctx nc = { .l = l, .txn = txn };
	struct corridor_kv_lmdb kv;
	corridor_kv_lmdb_init(&kv, l, txn);
	corridor_verifier_use_kv(v, &kv.base, corridor_stored_content_hash, &nc);
	corridor_verifier_use_tree(v, corridor_stored_tree_root, &nc);
	if ((rc = mdb_cursor_open(txn, l->entries, &cur)) != 0) {
		err = corridor_lmdb_err(l, rc, "cannot read the log", diag);
		goto out_free;
	}
	uint64_t expect = 0;
	if ((err = feed_log(l, cur, v, ptrs, lens, head.size, NULL, NULL, &expect, diag)) != 0)
		goto out_free;
	uint8_t root[CORRIDOR_HASH_BYTES];
	corridor_merkle_range_root(corridor_verifier_range(v), root);
	if (expect != head.size || sodium_memcmp(root, head.root, 32) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"rebuilding the tables: the stored head (size %llu) does "
					"not match the %llu entries",
					(unsigned long long)head.size, (unsigned long long)expect);
		goto out_free;
	}
	uint8_t ver[4];
	corridor_be32_put(ver, LEDGER_TABLES_VERSION);
	if ((rc = corridor_meta_put(l, txn, "tables", ver, sizeof ver)) != 0)
		err = corridor_lmdb_err(l, rc, "cannot record the tables' layout", diag);
out_free:
	if (cur)
		mdb_cursor_close(cur);
	corridor_verifier_free(v);
	free(ptrs);
	free(lens);
	return err;
}
