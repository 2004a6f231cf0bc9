/*
 * state.c — the derived state (keys, parties, idempotency keys) as key-value
 * tables, with two implementations of one interface: LMDB tables inside a
 * write transaction (appends, replica imports) and an in-memory hash map
 * (verification of ledgers and archives). Kind processing is written once
 * against the interface; `corridor verify` rebuilds the tables in memory and
 * compares them with LMDB table by table.
 */
#include <sodium.h>

#include "log.h"

/* ---- memory: one open-addressing hash map per table ---- */

static uint64_t hash_key(unsigned table, const uint8_t *key, size_t klen)
{
	uint8_t h[crypto_shorthash_BYTES];
	static const uint8_t k[crypto_shorthash_KEYBYTES] = "corridor/state/";
	uint8_t buf[4 + CORRIDOR_KV_KEY_BYTES_MAX];
	CORRIDOR_ASSERT(klen <= CORRIDOR_KV_KEY_BYTES_MAX);
	buf[0] = (uint8_t)table;
	memcpy(buf + 1, key, klen);
	crypto_shorthash(h, buf, klen + 1, k);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

static struct kv_slot *mem_find(struct corridor_kv_mem_table *t, const uint8_t *key, size_t klen,
				uint64_t h)
{
	if (t->cap == 0)
		return NULL;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct kv_slot *s = &t->slots[i];
		if (!s->key)
			return s;
		if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
			return s;
	}
}

static int mem_grow(struct corridor_kv_mem_table *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	struct kv_slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return CORRIDOR_E_NOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct kv_slot *s = &t->slots[i];
		if (!s->key)
			continue;
		size_t j = s->hash & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return CORRIDOR_OK;
}

static int mem_kv_get(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		      const uint8_t **val, size_t *vlen)
{
	struct corridor_kv_mem *m = (struct corridor_kv_mem *)kv;
	CORRIDOR_ASSERT(table < STATE_TABLES);
	struct kv_slot *s = mem_find(&m->tables[table], key, klen, hash_key(table, key, klen));
	if (!s || !s->key)
		return CORRIDOR_E_NOTFOUND;
	*val = s->val;
	*vlen = s->vlen;
	return CORRIDOR_OK;
}

static int mem_kv_put(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		      const uint8_t *val, size_t vlen)
{
	struct corridor_kv_mem *m = (struct corridor_kv_mem *)kv;
	struct corridor_kv_mem_table *t = &m->tables[table];
	uint64_t h = hash_key(table, key, klen);
	if (klen > CORRIDOR_KV_KEY_BYTES_MAX)
		return CORRIDOR_E_LIMIT;
	if (2 * (t->count + 1) > t->cap && mem_grow(t) != 0)
		return CORRIDOR_E_NOMEM;
	struct kv_slot *s = mem_find(t, key, klen, h);
	uint8_t *v = malloc(vlen ? vlen : 1);
	if (!v)
		return CORRIDOR_E_NOMEM;
	memcpy(v, val, vlen);
	if (!s->key) {
		if (!(s->key = malloc(klen ? klen : 1))) {
			free(v);
			return CORRIDOR_E_NOMEM;
		}
		memcpy(s->key, key, klen);
		s->klen = klen;
		s->hash = h;
		t->count++;
	} else {
		free(s->val);
	}
	s->val = v;
	s->vlen = vlen;
	return CORRIDOR_OK;
}

static int mem_kv_scan(struct corridor_kv *kv, unsigned table, const uint8_t *prefix, size_t plen,
		       corridor_kv_scan_fn fn, void *ctx)
{
	/* Linear: used for the keys of one party, a small table. Unordered. */
	struct corridor_kv_mem *m = (struct corridor_kv_mem *)kv;
	struct corridor_kv_mem_table *t = &m->tables[table];
	for (size_t i = 0; i < t->cap; i++) {
		struct kv_slot *s = &t->slots[i];
		if (!s->key || (plen && (s->klen < plen || memcmp(s->key, prefix, plen) != 0)))
			continue;
		int err = fn(ctx, s->key, s->klen, s->val, s->vlen);
		if (err)
			return err;
	}
	return CORRIDOR_OK;
}

void corridor_kv_mem_init(struct corridor_kv_mem *m)
{
	memset(m, 0, sizeof *m);
	m->base.get = mem_kv_get;
	m->base.put = mem_kv_put;
	m->base.scan = mem_kv_scan;
}

void corridor_kv_mem_release(struct corridor_kv_mem *m)
{
	for (unsigned t = 0; t < STATE_TABLES; t++) {
		for (size_t i = 0; i < m->tables[t].cap; i++) {
			free(m->tables[t].slots[i].key);
			free(m->tables[t].slots[i].val);
		}
		free(m->tables[t].slots);
		m->tables[t].slots = NULL;
		m->tables[t].cap = m->tables[t].count = 0;
	}
}

/* Every record of every table in LMDB equals the recomputed one, and no table
 * holds more or fewer records than the recomputation. */
int corridor_kv_compare(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv_mem *m,
			struct corridor_diag *diag)
{
	for (unsigned t = 0; t < STATE_TABLES; t++) {
		MDB_cursor *cur;
		MDB_val k, v;
		size_t stored = 0;
		int rc = mdb_cursor_open(txn, l->state[t], &cur), err = CORRIDOR_OK;
		if (rc)
			return corridor_lmdb_err(l, rc, "cannot read the state", diag);
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			const uint8_t *mv;
			size_t mlen;
			stored++;
			if (m->base.get(&m->base, t, k.mv_data, k.mv_size, &mv, &mlen) != 0 ||
			    mlen != v.mv_size || memcmp(mv, v.mv_data, mlen) != 0)
				err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
							"the %s index holds a record the entries do "
							"not produce",
							corridor_state_table_names[t]);
		}
		mdb_cursor_close(cur);
		if (err)
			return err;
		if (stored != m->tables[t].count)
			return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						 "the %s index holds %zu records, the entries "
						 "produce %zu",
						 corridor_state_table_names[t], stored,
						 m->tables[t].count);
	}
	return CORRIDOR_OK;
}

/* ---- overlay: writes stay in memory, reads fall through (dry runs) ---- */

static int ov_get(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		  const uint8_t **val, size_t *vlen)
{
	struct corridor_kv_overlay *o = (struct corridor_kv_overlay *)kv;
	int err = o->top.base.get(&o->top.base, table, key, klen, val, vlen);
	if (err != CORRIDOR_E_NOTFOUND)
		return err;
	return o->under->get(o->under, table, key, klen, val, vlen);
}

static int ov_put(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		  const uint8_t *val, size_t vlen)
{
	struct corridor_kv_overlay *o = (struct corridor_kv_overlay *)kv;
	return o->top.base.put(&o->top.base, table, key, klen, val, vlen);
}

struct ov_scan_ctx {
	struct corridor_kv_overlay *o;
	unsigned table;
	corridor_kv_scan_fn fn;
	void *ctx;
};

static int ov_under_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct ov_scan_ctx *c = vctx;
	const uint8_t *tv;
	size_t tl;
	if (c->o->top.base.get(&c->o->top.base, c->table, k, klen, &tv, &tl) == 0)
		return CORRIDOR_OK; /* shadowed by the overlay, seen there */
	return c->fn(c->ctx, k, klen, v, vlen);
}

static int ov_scan(struct corridor_kv *kv, unsigned table, const uint8_t *prefix, size_t plen,
		   corridor_kv_scan_fn fn, void *ctx)
{
	struct corridor_kv_overlay *o = (struct corridor_kv_overlay *)kv;
	struct ov_scan_ctx c = { .o = o, .table = table, .fn = fn, .ctx = ctx };
	int err = o->top.base.scan(&o->top.base, table, prefix, plen, fn, ctx);
	return err ? err : o->under->scan(o->under, table, prefix, plen, ov_under_one, &c);
}

void corridor_kv_overlay_init(struct corridor_kv_overlay *o, struct corridor_kv *under)
{
	corridor_kv_mem_init(&o->top);
	o->base.get = ov_get;
	o->base.put = ov_put;
	o->base.scan = ov_scan;
	o->under = under;
}

void corridor_kv_overlay_release(struct corridor_kv_overlay *o)
{
	corridor_kv_mem_release(&o->top);
}
