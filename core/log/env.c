/*
 * env.c — the LMDB environment every other part of the log goes through:
 * transactions begun with map growth and reader slots handled, the one
 * write path (corridor_ledger_write: run, commit, grow the map and rerun on
 * MDB_MAP_FULL) and the one read path (corridor_ledger_read), LMDB errors
 * mapped, the head record, Merkle nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"

const char *const corridor_state_table_names[STATE_TABLES] = {
	"keys",     "parties",  "idem",	   "contracts", "proposals",
	"deliveries", "days",	  "periods",	   "currencies", "rates",
	"settled",  "invoices", "batches", "payments",  "balances"
};

int corridor_lmdb_err(struct corridor_ledger *l, int rc, const char *what,
		      struct corridor_diag *diag)
{
	if (rc == MDB_MAP_FULL) {
		if (l)
			l->map_full = true;
		return corridor_diag_set(diag, CORRIDOR_E_FULL, "%s: the ledger map is full", what);
	}
	if (rc == ENOSPC || rc == EDQUOT)
		return corridor_diag_set(diag, CORRIDOR_E_FULL,
					 "%s: no space left on the device; this transaction wrote "
					 "nothing",
					 what);
	if (rc == EFBIG)
		return corridor_diag_set(diag, CORRIDOR_E_FULL,
					 "%s: the file size limit is reached; this transaction wrote "
					 "nothing",
					 what);
	if (rc == ENOMEM)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "%s: out of memory", what);
	if (rc == EACCES || rc == EROFS)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "%s: %s", what, mdb_strerror(rc));
	return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "%s: %s", what, mdb_strerror(rc));
}

int corridor_txn_begin(struct corridor_ledger *l, unsigned flags, MDB_txn **txn,
		       struct corridor_diag *diag)
{
	int rc = 0;
	if (l->remote) /* every read and write of the store starts here */
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "this needs the ledger itself, and %s is on another "
					 "machine: run it where the ledger is (or on a replica)",
					 l->origin);
	pthread_rwlock_rdlock(&l->maplock);
	for (unsigned i = 0; i < TXN_BEGIN_RETRIES_MAX; i++) {
		rc = mdb_txn_begin(l->env, NULL, flags, txn);
		if (rc == MDB_MAP_RESIZED) { /* another process grew the map */
			pthread_rwlock_unlock(&l->maplock);
			pthread_rwlock_wrlock(&l->maplock);
			mdb_env_set_mapsize(l->env, 0);
			pthread_rwlock_unlock(&l->maplock);
			pthread_rwlock_rdlock(&l->maplock);
			continue;
		}
		if (rc == MDB_READERS_FULL) { /* clear slots of dead processes */
			int dead = 0;
			mdb_reader_check(l->env, &dead);
			if (dead > 0)
				continue;
		}
		break;
	}
	if (rc)
		pthread_rwlock_unlock(&l->maplock);
	return rc ? corridor_lmdb_err(l, rc, "cannot begin a transaction", diag) : CORRIDOR_OK;
}

void corridor_txn_abort(struct corridor_ledger *l, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&l->maplock);
}

int corridor_txn_commit(struct corridor_ledger *l, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);
	pthread_rwlock_unlock(&l->maplock);
	return rc;
}

/* LMDB reports a short write as EIO: find out whether the disk or the file
 * size limit is the reason, so the user is told what to fix. */
#define DISK_NEARLY_FULL_BYTES ((uint64_t)4 << 20)
static int commit_error(struct corridor_ledger *l, int rc, struct corridor_diag *diag)
{
	const char *dir = NULL;
	struct statvfs vfs;
	struct rlimit rl;
	struct stat st;
	char path[PATH_MAX];
	if (rc != EIO && rc != ENOSPC && rc != EFBIG)
		return corridor_lmdb_err(l, rc, "cannot commit", diag);
	if (mdb_env_get_path(l->env, &dir) == 0 && dir && statvfs(dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < DISK_NEARLY_FULL_BYTES)
		return corridor_lmdb_err(l, ENOSPC, "cannot commit", diag);
	if (dir && getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    snprintf(path, sizeof path, "%s/data.mdb", dir) > 0 && stat(path, &st) == 0 &&
	    (uint64_t)st.st_size + DISK_NEARLY_FULL_BYTES >= (uint64_t)rl.rlim_cur)
		return corridor_lmdb_err(l, EFBIG, "cannot commit", diag);
	return corridor_lmdb_err(l, rc, "cannot commit", diag);
}

static int grow_map(struct corridor_ledger *l, struct corridor_diag *diag)
{
	MDB_envinfo info;
	mdb_env_info(l->env, &info);
	if (info.me_mapsize >= MAP_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_FULL, "the ledger reached its %zu GiB limit",
					 MAP_BYTES_MAX >> 30);
	size_t next = info.me_mapsize * 2;
	if (next > MAP_BYTES_MAX)
		next = MAP_BYTES_MAX;
	pthread_rwlock_wrlock(&l->maplock); /* no transaction of this process open */
	int rc = mdb_env_set_mapsize(l->env, next);
	pthread_rwlock_unlock(&l->maplock);
	return rc ? corridor_lmdb_err(l, rc, "cannot grow the map", diag) : CORRIDOR_OK;
}

int corridor_ledger_write(struct corridor_ledger *l, corridor_write_fn fn, void *ctx,
			  struct corridor_diag *diag)
{
	int err = CORRIDOR_E_FULL;
	if (l->readonly)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the ledger was opened read-only: it takes no writes");
	for (unsigned attempt = 0; attempt < WRITE_RETRIES_MAX; attempt++) {
		MDB_txn *txn;
		l->map_full = false;
		err = corridor_txn_begin(l, 0, &txn, diag);
		if (err)
			return err;
		err = fn(l, txn, ctx, diag);
		if (err) {
			corridor_txn_abort(l, txn);
		} else {
			int rc = corridor_txn_commit(l, txn);
			err = rc ? commit_error(l, rc, diag) : CORRIDOR_OK;
		}
		if (!(err == CORRIDOR_E_FULL && l->map_full))
			return err;
		if ((err = grow_map(l, diag)) != 0)
			return err;
	}
	return corridor_diag_set(diag, CORRIDOR_E_FULL, "the map stayed full after growing it");
}

/* ---- the derived state in LMDB, through the kv interface ---- */

/* ---- LMDB ---- */

static int lmdb_kv_get(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		       const uint8_t **val, size_t *vlen)
{
	struct corridor_kv_lmdb *k = (struct corridor_kv_lmdb *)kv;
	MDB_val mk = { .mv_size = klen, .mv_data = (void *)(uintptr_t)key }, mv;
	CORRIDOR_ASSERT(table < STATE_TABLES);
	int rc = mdb_get(k->txn, k->l->state[table], &mk, &mv);
	if (rc == MDB_NOTFOUND)
		return CORRIDOR_E_NOTFOUND;
	if (rc)
		return corridor_lmdb_err(k->l, rc, "cannot read the state", NULL);
	*val = mv.mv_data;
	*vlen = mv.mv_size;
	return CORRIDOR_OK;
}

static int lmdb_kv_put(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		       const uint8_t *val, size_t vlen)
{
	struct corridor_kv_lmdb *k = (struct corridor_kv_lmdb *)kv;
	MDB_val mk = { .mv_size = klen, .mv_data = (void *)(uintptr_t)key };
	MDB_val mv = { .mv_size = vlen, .mv_data = (void *)(uintptr_t)val };
	CORRIDOR_ASSERT(table < STATE_TABLES);
	int rc = mdb_put(k->txn, k->l->state[table], &mk, &mv, 0);
	return rc ? corridor_lmdb_err(k->l, rc, "cannot write the state", NULL) : CORRIDOR_OK;
}

static int lmdb_kv_scan(struct corridor_kv *kv, unsigned table, const uint8_t *prefix, size_t plen,
			corridor_kv_scan_fn fn, void *ctx)
{
	struct corridor_kv_lmdb *k = (struct corridor_kv_lmdb *)kv;
	MDB_cursor *cur;
	MDB_val mk = { .mv_size = plen, .mv_data = (void *)(uintptr_t)prefix }, mv;
	int rc = mdb_cursor_open(k->txn, k->l->state[table], &cur);
	if (rc)
		return corridor_lmdb_err(k->l, rc, "cannot read the state", NULL);
	int err = CORRIDOR_OK;
	for (rc = mdb_cursor_get(cur, &mk, &mv, plen ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
		if (plen && (mk.mv_size < plen || memcmp(mk.mv_data, prefix, plen) != 0))
			break;
		if ((err = fn(ctx, mk.mv_data, mk.mv_size, mv.mv_data, mv.mv_size)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (!err && rc && rc != MDB_NOTFOUND)
		err = corridor_lmdb_err(k->l, rc, "cannot read the state", NULL);
	return err;
}

void corridor_kv_lmdb_init(struct corridor_kv_lmdb *k, struct corridor_ledger *l, MDB_txn *txn)
{
	k->base.get = lmdb_kv_get;
	k->base.put = lmdb_kv_put;
	k->base.scan = lmdb_kv_scan;
	k->l = l;
	k->txn = txn;
}

int corridor_ledger_read(struct corridor_ledger *l, corridor_read_fn fn, void *ctx,
			 struct corridor_diag *diag)
{
	struct corridor_kv_lmdb kv;
	MDB_txn *txn;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	const struct corridor_snapshot snap = { .l = l, .txn = txn, .kv = &kv.base };
	err = fn(&snap, ctx, diag);
	corridor_txn_abort(l, txn);
	if (err < 0 && diag && !diag->text[0])
		corridor_diag_set(diag, err, "cannot read the ledger: %s", corridor_strerror(err));
	return err;
}

struct state_scan {
	unsigned table;
	const uint8_t *prefix;
	size_t plen;
	corridor_kv_scan_fn fn;
	void *ctx;
};

static int state_scan_fn(const struct corridor_snapshot *snap, void *vctx,
			 struct corridor_diag *diag)
{
	struct state_scan *c = vctx;
	(void)diag;
	return snap->kv->scan(snap->kv, c->table, c->prefix, c->plen, c->fn, c->ctx);
}

int corridor_state_scan(struct corridor_ledger *l, unsigned table, const uint8_t *prefix,
			size_t plen, corridor_kv_scan_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct state_scan c = { .table = table, .prefix = prefix, .plen = plen, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, state_scan_fn, &c, diag);
}

int corridor_entry_in(struct corridor_ledger *l, MDB_txn *txn, uint64_t seq,
		      struct corridor_entry *e, const uint8_t **bytes, size_t *len)
{
	uint8_t kb[8];
	corridor_be64_put(kb, seq);
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v;
	int rc = mdb_get(txn, l->entries, &k, &v);
	if (rc == MDB_NOTFOUND)
		return CORRIDOR_E_NOTFOUND;
	if (rc != 0 || corridor_entry_decode(v.mv_data, v.mv_size, e, NULL) != 0 || e->seq != seq)
		return CORRIDOR_E_STORAGE;
	if (bytes)
		*bytes = v.mv_data;
	if (len)
		*len = v.mv_size;
	return CORRIDOR_OK;
}

/* ---- meta and head ---- */

int corridor_meta_get(struct corridor_ledger *l, MDB_txn *txn, const char *name, MDB_val *val)
{
	MDB_val key = { .mv_size = strlen(name), .mv_data = (void *)name };
	return mdb_get(txn, l->meta, &key, val);
}

int corridor_meta_put(struct corridor_ledger *l, MDB_txn *txn, const char *name, const void *data,
		    size_t len)
{
	MDB_val key = { .mv_size = strlen(name), .mv_data = (void *)name };
	MDB_val val = { .mv_size = len, .mv_data = (void *)data };
	return mdb_put(txn, l->meta, &key, &val, 0);
}

int corridor_head_get(struct corridor_ledger *l, MDB_txn *txn, struct ledger_head *h,
		      struct corridor_diag *diag)
{
	MDB_val v;
	int rc = corridor_meta_get(l, txn, "head", &v);
	if (rc == MDB_NOTFOUND) {
		memset(h, 0, sizeof *h);
		int err = corridor_merkle_root(corridor_node_get, NULL, 0, h->root);
		CORRIDOR_ASSERT(err == 0);
		return CORRIDOR_OK;
	}
	if (rc)
		return corridor_lmdb_err(l, rc, "cannot read the head", diag);
	if (v.mv_size != HEAD_BYTES)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "the head record is corrupt");
	const uint8_t *p = v.mv_data;
	h->size = corridor_be64_get(p);
	memcpy(h->root, p + 8, 32);
	memcpy(h->tip, p + 40, 32);
	h->time_us = corridor_be64_get(p + 72);
	h->operator_key_id = corridor_be32_get(p + 80);
	return CORRIDOR_OK;
}

int corridor_head_put(struct corridor_ledger *l, MDB_txn *txn, const struct ledger_head *h,
		      struct corridor_diag *diag)
{
	uint8_t p[HEAD_BYTES];
	corridor_be64_put(p, h->size);
	memcpy(p + 8, h->root, 32);
	memcpy(p + 40, h->tip, 32);
	corridor_be64_put(p + 72, h->time_us);
	corridor_be32_put(p + 80, h->operator_key_id);
	int rc = corridor_meta_put(l, txn, "head", p, sizeof p);
	return rc ? corridor_lmdb_err(l, rc, "cannot write the head", diag) : CORRIDOR_OK;
}

/* ---- Merkle nodes ---- */

void corridor_node_key(unsigned level, uint64_t index, uint8_t key[NODE_KEY_BYTES])
{
	/* The subtree (level, index) is complete when its last leaf is appended. */
	CORRIDOR_ASSERT(level < 64 && index <= (UINT64_MAX >> level));
	uint64_t last = ((index + 1) << level) - 1;
	corridor_be64_put(key, last);
	key[8] = (uint8_t)level;
}

int corridor_node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[CORRIDOR_HASH_BYTES])
{
	struct node_ctx *c = ctx;
	uint8_t kb[NODE_KEY_BYTES];
	CORRIDOR_ASSERT(c != NULL);
	corridor_node_key(level, index, kb);
	MDB_val key = { .mv_size = sizeof kb, .mv_data = kb }, val;
	int rc = mdb_get(c->txn, c->l->nodes, &key, &val);
	if (rc == MDB_NOTFOUND)
		return CORRIDOR_E_STORAGE; /* a complete subtree must be stored */
	if (rc)
		return corridor_lmdb_err(c->l, rc, "cannot read a Merkle node", NULL);
	if (val.mv_size != CORRIDOR_HASH_BYTES)
		return CORRIDOR_E_STORAGE;
	memcpy(out, val.mv_data, CORRIDOR_HASH_BYTES);
	return CORRIDOR_OK;
}

int corridor_node_put(void *ctx, unsigned level, uint64_t index,
		      const uint8_t hash[CORRIDOR_HASH_BYTES])
{
	struct node_ctx *c = ctx;
	uint8_t kb[NODE_KEY_BYTES];
	corridor_node_key(level, index, kb);
	MDB_val key = { .mv_size = sizeof kb, .mv_data = kb };
	MDB_val val = { .mv_size = CORRIDOR_HASH_BYTES, .mv_data = (void *)hash };
	int rc = mdb_put(c->txn, c->l->nodes, &key, &val, MDB_APPEND);
	return rc ? corridor_lmdb_err(c->l, rc, "cannot write a Merkle node", NULL) : CORRIDOR_OK;
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

int corridor_ledger_founded_txn(struct corridor_ledger *l, MDB_txn *txn,
				const struct kind_state *st, struct corridor_diag *diag)
{
	uint8_t v[8];
	memcpy(l->origin, st->origin, strlen(st->origin) + 1);
	l->lifetime_max_us = st->lifetime_max_us;
	corridor_be64_put(v, st->lifetime_max_us);
	int rc = corridor_meta_put(l, txn, LEDGER_META_LIFETIME, v, sizeof v);
	return rc ? corridor_lmdb_err(l, rc, "cannot write the ledger's metadata", diag)
		  : CORRIDOR_OK;
}

int corridor_stored_tree_root(void *vctx, uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES])
{
	/* a node is stored once complete, so any node found is final; a tree
	 * larger than what is stored misses one */
	return corridor_merkle_root(corridor_node_get, vctx, size, out) ? CORRIDOR_E_NOTFOUND
									: CORRIDOR_OK;
}
