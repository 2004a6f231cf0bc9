/*
 * ledger.c — the LMDB environment: opening and creating a ledger, transactions
 * with map growth, the head record, Merkle node storage, reads and scans.
 *
 * Databases in the one environment (docs/FORMAT.md §Storage):
 *   meta         "format", "origin", "replica", "head"
 *   entries      be64(seq) -> canonical entry bytes
 *   nodes        be64(last leaf) || level(1) -> 32-byte hash of a complete subtree
 *                (keys grow in append order, so every node put is an MDB_APPEND)
 *   keys         be32(key id) || name -> public key || valid_from || valid_until
 *   checkpoints  be64(size) -> signed checkpoint note (with cosignatures)
 *
 * Never MDB_WRITEMAP: with it a full disk is a SIGBUS instead of an error.
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

/* ---- open / create ---- */

static int env_open(const char *dir, bool readonly, struct corridor_ledger **out,
		    struct corridor_diag *diag)
{
	struct corridor_ledger *l = calloc(1, sizeof *l);
	if (!l)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	pthread_rwlock_init(&l->maplock, NULL);
	int rc = mdb_env_create(&l->env);
	if (rc) {
		pthread_rwlock_destroy(&l->maplock);
		free(l);
		return corridor_lmdb_err(NULL, rc, "cannot create the LMDB environment", diag);
	}
	mdb_env_set_maxdbs(l->env, 5u + STATE_TABLES + 4u);
	/* CORRIDOR_MAP_BYTES sets the initial map of a new ledger (README); the
	 * map grows by doubling when full, and an existing ledger keeps its own. */
	size_t map_bytes = MAP_BYTES_INITIAL;
	const char *env_map = getenv("CORRIDOR_MAP_BYTES");
	uint64_t v;
	if (env_map && corridor_parse_u64(env_map, strlen(env_map), &v) == 0 && v >= 65536u &&
	    v <= MAP_BYTES_MAX)
		map_bytes = (size_t)v;
	mdb_env_set_mapsize(l->env, map_bytes);
	rc = mdb_env_open(l->env, dir, MDB_NOTLS | (readonly ? MDB_RDONLY : 0u), 0600);
	if (rc) {
		int err = corridor_lmdb_err(NULL, rc, "cannot open the ledger", diag);
		if (diag)
			snprintf(diag->text, sizeof diag->text, "cannot open the ledger in %s: %s",
				 dir, mdb_strerror(rc));
		mdb_env_close(l->env);
		pthread_rwlock_destroy(&l->maplock);
		free(l);
		return err;
	}
	int dead = 0;
	mdb_reader_check(l->env, &dead);
	l->readonly = readonly;
	MDB_txn *txn;
	unsigned dbi_flags = readonly ? 0u : MDB_CREATE;
	int err = corridor_txn_begin(l, readonly ? MDB_RDONLY : 0u, &txn, diag);
	if (err)
		goto out_close;
	const char *names[5] = { "meta", "entries", "nodes", "checkpoints", "cosigned" };
	MDB_dbi *dbis[5] = { &l->meta, &l->entries, &l->nodes, &l->checkpoints, &l->cosigned };
	for (unsigned t = 0; t < STATE_TABLES; t++) {
		rc = mdb_dbi_open(txn, corridor_state_table_names[t], dbi_flags, &l->state[t]);
		if (rc) {
			corridor_txn_abort(l, txn);
			err = corridor_lmdb_err(l, rc, "cannot open a table", diag);
			goto out_close;
		}
	}
	for (int i = 0; i < 5; i++) {
		rc = mdb_dbi_open(txn, names[i], dbi_flags, dbis[i]);
		if (rc) {
			corridor_txn_abort(l, txn);
			err = corridor_lmdb_err(l, rc, "cannot open a table", diag);
			goto out_close;
		}
	}
	rc = corridor_txn_commit(l, txn);
	if (rc) {
		err = corridor_lmdb_err(l, rc, "cannot open the tables", diag);
		goto out_close;
	}
	*out = l;
	return CORRIDOR_OK;
out_close:
	mdb_env_close(l->env);
	pthread_rwlock_destroy(&l->maplock);
	free(l);
	return err;
}

/* Reads origin and replica flag; CORRIDOR_E_NOTFOUND if never initialised. */
static int load_meta_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct corridor_ledger *l = snap->l;
	MDB_val v;
	(void)vctx;
	int rc = corridor_meta_get(l, snap->txn, "format", &v);
	if (rc == MDB_NOTFOUND)
		return CORRIDOR_E_NOTFOUND;
	if (rc || v.mv_size != strlen(LEDGER_FORMAT) || memcmp(v.mv_data, LEDGER_FORMAT, v.mv_size))
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "not a Corridor ledger of a format this version reads");
	rc = corridor_meta_get(l, snap->txn, "origin", &v);
	if (rc || v.mv_size == 0 || v.mv_size > CORRIDOR_NAME_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "the ledger has no valid origin");
	memcpy(l->origin, v.mv_data, v.mv_size);
	l->origin[v.mv_size] = '\0';
	l->replica = corridor_meta_get(l, snap->txn, "replica", &v) == 0;
	/* the genesis's statement lifetime; ledgers from before 0.2.0 have the
	 * default */
	l->lifetime_max_us = CORRIDOR_STATEMENT_LIFETIME_US;
	rc = corridor_meta_get(l, snap->txn, LEDGER_META_LIFETIME, &v);
	if (rc == 0 && v.mv_size == 8)
		l->lifetime_max_us = corridor_be64_get(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "the ledger's statement lifetime record is damaged");
	return CORRIDOR_OK;
}

static int load_meta(struct corridor_ledger *l, struct corridor_diag *diag)
{
	return corridor_ledger_read(l, load_meta_fn, NULL, diag);
}

#define TABLES_STALE 1 /* tables_current: read-only, and the tables are older */

/* The derived tables' layout: 1 for a ledger written before it was recorded. */
static int tables_version_fn(const struct corridor_snapshot *snap, void *vctx,
			     struct corridor_diag *diag)
{
	uint32_t *ver = vctx;
	MDB_val v;
	int rc = corridor_meta_get(snap->l, snap->txn, "tables", &v);
	*ver = 1;
	if (rc == 0 && v.mv_size == 4)
		*ver = corridor_be32_get(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "the ledger's tables record is damaged");
	return CORRIDOR_OK;
}

static int tables_rebuild_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx,
			     struct corridor_diag *diag)
{
	(void)vctx;
	return corridor_tables_rebuild_txn(l, txn, diag);
}

/* Entries are forever, derived tables are not: a ledger whose tables have
 * an older layout gets them rebuilt from its entries (verified on the way)
 * at its first open, in one transaction; a read-only open does it through
 * a writable one first (the entries, and so the ledger, do not change). A
 * directory it cannot write is refused: its tables would be misread. */
static int tables_current(struct corridor_ledger *l, bool readonly, struct corridor_diag *diag)
{
	uint32_t ver = 0;
	int err = corridor_ledger_read(l, tables_version_fn, &ver, diag);
	if (err || ver == LEDGER_TABLES_VERSION)
		return err;
	if (ver > LEDGER_TABLES_VERSION)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "the ledger's tables have layout %u, from a later release "
					 "(this one reads %u)",
					 (unsigned)ver, LEDGER_TABLES_VERSION);
	if (readonly)
		return TABLES_STALE;
	return corridor_ledger_write(l, tables_rebuild_fn, NULL, diag);
}

int corridor_ledger_open(const char *dir, unsigned flags, struct corridor_ledger **out,
			 struct corridor_diag *diag)
{
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "ledger path too long");
	if (stat(path, &st) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					 "no ledger in %s (create one with 'corridor init')", dir);
	struct corridor_ledger *l;
	int err = env_open(dir, (flags & CORRIDOR_OPEN_READONLY) != 0, &l, diag);
	if (err)
		return err;
	err = load_meta(l, diag);
	if (err == CORRIDOR_E_NOTFOUND)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"%s holds no initialised ledger (create one with 'corridor "
					"init')",
					dir);
	if (!err)
		err = tables_current(l, (flags & CORRIDOR_OPEN_READONLY) != 0, diag);
	if (err == TABLES_STALE) {
		struct corridor_ledger *w;
		corridor_ledger_close(l);
		err = corridor_ledger_open(dir, 0, &w, diag);
		if (err)
			return corridor_diag_set(diag, err,
						 "the ledger's tables are of an earlier release and "
						 "are rebuilt from the entries at a writable open, "
						 "which failed: %.200s",
						 diag ? diag->text : "");
		corridor_ledger_close(w);
		return corridor_ledger_open(dir, flags, out, diag);
	}
	if (err) {
		corridor_ledger_close(l);
		return err;
	}
	*out = l;
	return CORRIDOR_OK;
}

void corridor_ledger_close(struct corridor_ledger *l)
{
	if (!l)
		return;
	if (l->env)
		mdb_env_close(l->env);
	pthread_rwlock_destroy(&l->maplock);
	free(l);
}

int corridor_ledger_open_remote(const struct corridor_remote *remote, struct corridor_ledger **out,
				struct corridor_diag *diag)
{
	if (!remote || !remote->submit ||
	    !corridor_key_name_valid(remote->origin, strlen(remote->origin)) ||
	    remote->statement_lifetime_us == 0 || remote->batch_max == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "not a usable remote ledger");
	struct corridor_ledger *l = calloc(1, sizeof *l);
	if (!l)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	pthread_rwlock_init(&l->maplock, NULL);
	l->remote = remote;
	memcpy(l->origin, remote->origin, strlen(remote->origin) + 1);
	l->lifetime_max_us = remote->statement_lifetime_us;
	*out = l;
	return CORRIDOR_OK;
}

int corridor_ledger_entry_as(struct corridor_ledger *l, const struct corridor_signer *reader,
			     uint64_t seq, uint8_t **out, size_t *out_len, struct corridor_diag *diag)
{
	if (!l->remote)
		return corridor_ledger_entry(l, seq, out, out_len);
	if (!l->remote->entry)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "this server's client reads no entries");
	return l->remote->entry(l->remote->ctx, reader, seq, out, out_len, diag);
}

bool corridor_ledger_is_remote(const struct corridor_ledger *l)
{
	return l->remote != NULL;
}

const char *corridor_ledger_origin(const struct corridor_ledger *l)
{
	return l->origin;
}

uint64_t corridor_ledger_statement_lifetime_us(const struct corridor_ledger *l)
{
	return l->lifetime_max_us;
}

bool corridor_ledger_is_replica(const struct corridor_ledger *l)
{
	return l->replica;
}

/* Opens dir for a new ledger: refuses one that is initialised. */
static int create_env(const char *dir, struct corridor_ledger **out, struct corridor_diag *diag)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", dir,
					 strerror(errno));
	struct corridor_ledger *l;
	int err = env_open(dir, false, &l, diag);
	if (err)
		return err;
	err = load_meta(l, NULL);
	if (err == CORRIDOR_OK) {
		corridor_ledger_close(l);
		return corridor_diag_set(diag, CORRIDOR_E_EXISTS,
					 "%s already holds a ledger: refusing to initialise over it",
					 dir);
	}
	*out = l;
	return CORRIDOR_OK;
}

struct init_ctx {
	const struct corridor_signer *op;
	uint64_t lifetime_s; /* 0: the default */
};

static int init_meta_txn(struct corridor_ledger *l, MDB_txn *txn, const char *origin,
			 bool replica, struct corridor_diag *diag)
{
	MDB_val v;
	if (corridor_meta_get(l, txn, "format", &v) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_EXISTS,
					 "the directory already holds a ledger");
	int rc = corridor_meta_put(l, txn, "format", LEDGER_FORMAT, strlen(LEDGER_FORMAT));
	if (!rc)
		rc = corridor_meta_put(l, txn, "origin", origin, strlen(origin));
	if (!rc && replica)
		rc = corridor_meta_put(l, txn, "replica", "1", 1);
	uint8_t ver[4];
	corridor_be32_put(ver, LEDGER_TABLES_VERSION);
	if (!rc)
		rc = corridor_meta_put(l, txn, "tables", ver, sizeof ver);
	return rc ? corridor_lmdb_err(l, rc, "cannot write the ledger's metadata", diag)
		  : CORRIDOR_OK;
}

static int init_txn(struct corridor_ledger *l, MDB_txn *txn, void *vctx, struct corridor_diag *diag)
{
	struct init_ctx *c = vctx;
	const struct corridor_vkey *vk = corridor_signer_vkey(c->op);
	int err = init_meta_txn(l, txn, vk->name, false, diag);
	if (err)
		return err;
	memcpy(l->origin, vk->name, strlen(vk->name) + 1);
	uint8_t body[CORRIDOR_NAME_BYTES_MAX + 64];
	size_t blen = corridor_body_genesis(vk->name, vk->public_key, c->lifetime_s, body,
					    sizeof body);
	CORRIDOR_ASSERT(blen > 0);
	struct draft d = { .kind = "genesis", .body = body, .body_len = blen };
	uint64_t seq;
	size_t appended;
	return corridor_append_txn(l, txn, c->op, &d, 1, true, &seq, &appended, diag);
}

int corridor_ledger_create(const char *dir, const struct corridor_signer *operator_key,
			   struct corridor_ledger **out, struct corridor_diag *diag)
{
	return corridor_ledger_create_with(dir, operator_key, NULL, out, diag);
}

int corridor_ledger_create_with(const char *dir, const struct corridor_signer *operator_key,
				const struct corridor_ledger_settings *settings,
				struct corridor_ledger **out, struct corridor_diag *diag)
{
	struct corridor_ledger *l;
	uint64_t lifetime_s = settings ? settings->statement_lifetime_max_s : 0;
	if (lifetime_s && (lifetime_s < CORRIDOR_STATEMENT_LIFETIME_MIN_S ||
			   lifetime_s > CORRIDOR_STATEMENT_LIFETIME_MAX_S))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "a statement lifetime is %u seconds to %u days",
					 CORRIDOR_STATEMENT_LIFETIME_MIN_S,
					 CORRIDOR_STATEMENT_LIFETIME_MAX_S / 86400u);
	int err = create_env(dir, &l, diag);
	if (err)
		return err;
	struct init_ctx c = { .op = operator_key, .lifetime_s = lifetime_s };
	err = corridor_ledger_write(l, init_txn, &c, diag);
	if (err) {
		corridor_ledger_close(l);
		if (err != CORRIDOR_E_EXISTS)
			corridor_env_discard(dir);
		return err;
	}
	*out = l;
	return CORRIDOR_OK;
}

void corridor_env_discard(const char *dir)
{
	char path[PATH_MAX];
	const char *files[2] = { "data.mdb", "lock.mdb" };
	for (int i = 0; i < 2; i++) {
		int n = snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (n > 0 && (size_t)n < sizeof path)
			unlink(path);
	}
	rmdir(dir); /* only if it is now empty */
}

int corridor_replica_create(const char *dir, struct corridor_ledger **out, struct corridor_diag *diag)
{
	return create_env(dir, out, diag);
}

int corridor_replica_init_txn(struct corridor_ledger *l, MDB_txn *txn, const char *origin,
			      struct corridor_diag *diag)
{
	int err = init_meta_txn(l, txn, origin, true, diag);
	if (err)
		return err;
	memcpy(l->origin, origin, strlen(origin) + 1);
	l->replica = true;
	return CORRIDOR_OK;
}

/* ---- reads ---- */

struct ledger_head_args {
	struct corridor_head *out;
};

static int ledger_head_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct ledger_head_args *args = vctx;
	(void)diag;
	struct corridor_head *out = args->out;
	struct ledger_head h;
	int err;
	err = corridor_head_get(snap->l, snap->txn, &h, NULL);
	if (err)
		return err;
	out->size = h.size;
	memcpy(out->root, h.root, CORRIDOR_HASH_BYTES);
	return CORRIDOR_OK;
}

int corridor_ledger_head(struct corridor_ledger *l, struct corridor_head *out)
{
	struct ledger_head_args args = { .out = out };
	return corridor_ledger_read(l, ledger_head_fn, &args, NULL);
}

struct ledger_entry_args {
	uint64_t seq;
	uint8_t **out;
	size_t *out_len;
};

static int ledger_entry_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct ledger_entry_args *args = vctx;
	(void)diag;
	uint64_t seq = args->seq;
	uint8_t **out = args->out;
	size_t *out_len = args->out_len;
	uint8_t kb[8];
	int err;
	corridor_be64_put(kb, seq);
	MDB_val key = { .mv_size = 8, .mv_data = kb }, val;
	int rc = mdb_get(snap->txn, snap->l->entries, &key, &val);
	if (rc == MDB_NOTFOUND) {
		err = CORRIDOR_E_NOTFOUND;
	} else if (rc) {
		err = corridor_lmdb_err(snap->l, rc, "cannot read an entry", NULL);
	} else if (!(*out = malloc(val.mv_size ? val.mv_size : 1))) {
		err = CORRIDOR_E_NOMEM;
	} else {
		memcpy(*out, val.mv_data, val.mv_size);
		*out_len = val.mv_size;
		err = CORRIDOR_OK;
	}
	return err;
}

int corridor_ledger_entry(struct corridor_ledger *l, uint64_t seq, uint8_t **out, size_t *out_len)
{
	struct ledger_entry_args args = { .seq = seq, .out = out, .out_len = out_len };
	return corridor_ledger_read(l, ledger_entry_fn, &args, NULL);
}

struct ledger_scan_args {
	uint64_t from;
	uint64_t limit;
	corridor_entry_fn fn;
	void *ctx;
};

static int ledger_scan_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct ledger_scan_args *args = vctx;
	(void)diag;
	uint64_t from = args->from;
	uint64_t limit = args->limit;
	corridor_entry_fn fn = args->fn;
	void *ctx = args->ctx;
	MDB_cursor *cur;
	uint8_t kb[8];
	int err;
	int rc = mdb_cursor_open(snap->txn, snap->l->entries, &cur);
	if (rc)
		return corridor_lmdb_err(snap->l, rc, "cannot open a cursor", NULL);
	corridor_be64_put(kb, from);
	MDB_val key = { .mv_size = 8, .mv_data = kb }, val;
	uint64_t done = 0;
	err = CORRIDOR_OK;
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		if (limit && done >= limit)
			break;
		if (key.mv_size != 8) {
			err = CORRIDOR_E_STORAGE;
			break;
		}
		err = fn(ctx, corridor_be64_get(key.mv_data), val.mv_data, val.mv_size);
		if (err)
			break;
		done++;
	}
	if (!err && rc && rc != MDB_NOTFOUND)
		err = corridor_lmdb_err(snap->l, rc, "cannot read the log", NULL);
	mdb_cursor_close(cur);
	return err;
}

int corridor_ledger_scan(struct corridor_ledger *l, uint64_t from, uint64_t limit,
			 corridor_entry_fn fn, void *ctx)
{
	struct ledger_scan_args args = { .from = from, .limit = limit, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, ledger_scan_fn, &args, NULL);
}

int corridor_ledger_backup(struct corridor_ledger *l, const char *dir, struct corridor_diag *diag)
{
	if (l->remote)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "a backup is made where the ledger is");
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "backup path too long");
	if (stat(path, &st) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_EXISTS,
					 "%s already holds a ledger: a backup goes into a new directory",
					 dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", dir,
					 strerror(errno));
	/* The copy is as private as the ledger: LMDB creates it 0644 (less the
	 * umask), so it is created here first with the ledger's own mode. */
	struct stat lst;
	char src[PATH_MAX];
	mode_t mode = 0600;
	const char *from = NULL;
	if (mdb_env_get_path(l->env, &from) == 0 && from &&
	    snprintf(src, sizeof src, "%s/data.mdb", from) < (int)sizeof src &&
	    stat(src, &lst) == 0)
		mode = lst.st_mode & 0777;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", path,
					 strerror(errno));
	(void)fchmod(fd, mode); /* the umask may have taken bits away: exactly the ledger's */
	int rc = mdb_env_copyfd2(l->env, fd, MDB_CP_COMPACT);
	if (!rc && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && !rc)
		rc = errno;
	if (rc) {
		unlink(path); /* no half-written copy left behind */
		return corridor_lmdb_err(l, rc, "cannot write the backup", diag);
	}
	return CORRIDOR_OK;
}
