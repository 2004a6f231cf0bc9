/*
 * tiles.c — the stored tree as c2sp.org/tlog-tiles (corridor/tiles.h).
 *
 * A hash of tile (l, n) at position i is the Merkle node of tree level 8 l
 * and index n 256 + i: the nodes table holds every complete subtree, so a
 * tile is 1..256 consecutive nodes of one level. Only trees the operator
 * signed are published: full tiles inside the latest signed checkpoint's
 * tree, partial tiles of the sizes of signed checkpoints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log.h"

#define TILE_BYTES (CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES)
#define EXPORT_PATH_BYTES 4096u

/* 256^k, or 0 past 2^64 (no such tile exists). */
static uint64_t pow256(unsigned k)
{
	return k >= 8 ? 0 : (uint64_t)1 << (8 * k);
}

/* Whether tile (level, index, width) is published. */
static int tile_exists(struct corridor_ledger *l, MDB_txn *txn, unsigned level, uint64_t index,
		       unsigned width, bool *yes, struct corridor_diag *diag)
{
	uint64_t latest = 0, unit = pow256(level);
	MDB_val note;
	*yes = false;
	int err = corridor_checkpoint_read(l, txn, &latest, &note, diag);
	if (err == CORRIDOR_E_NOTFOUND)
		return CORRIDOR_OK;
	if (err || unit == 0 || width == 0 || width > CORRIDOR_TILE_WIDTH)
		return err;
	/* the first entry past the tile's hashes: overflow means no such tile */
	if (index > (UINT64_MAX / unit - width) / CORRIDOR_TILE_WIDTH)
		return CORRIDOR_OK;
	uint64_t lo = (index * CORRIDOR_TILE_WIDTH + width) * unit;
	if (width == CORRIDOR_TILE_WIDTH) {
		*yes = lo <= latest;
		return CORRIDOR_OK;
	}
	/* a partial tile: a signed checkpoint of a size in [lo, lo + unit) */
	MDB_cursor *cur;
	uint8_t kb[8];
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v;
	corridor_be64_put(kb, lo);
	int rc = mdb_cursor_open(txn, l->checkpoints, &cur);
	if (rc)
		return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == 8)
		*yes = corridor_be64_get(k.mv_data) - lo < unit;
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND ? corridor_lmdb_err(l, rc, "cannot read checkpoints", diag)
					: CORRIDOR_OK;
}

static int tile_hashes(struct corridor_ledger *l, MDB_txn *txn, unsigned level, uint64_t index,
		       unsigned width, uint8_t *out, struct corridor_diag *diag)
{
	struct node_ctx nc = { .l = l, .txn = txn };
	for (unsigned i = 0; i < width; i++)
		if (corridor_node_get(&nc, 8 * level, index * CORRIDOR_TILE_WIDTH + i,
				      out + (size_t)i * CORRIDOR_HASH_BYTES) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_STORAGE,
						 "Merkle node (level %u, index %llu) is missing",
						 8 * level,
						 (unsigned long long)(index * CORRIDOR_TILE_WIDTH + i));
	return CORRIDOR_OK;
}

/* The bundle's bytes: entries index 256 .. + width, each after its length. */
static int bundle_bytes(struct corridor_ledger *l, MDB_txn *txn, uint64_t index, unsigned width,
			uint8_t **out, size_t *len, struct corridor_diag *diag)
{
	size_t cap = (size_t)width * 1024u, n = 0;
	uint8_t *buf = malloc(cap);
	MDB_cursor *cur;
	uint8_t kb[8];
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v;
	if (!buf)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int rc = mdb_cursor_open(txn, l->entries, &cur);
	if (rc) {
		free(buf);
		return corridor_lmdb_err(l, rc, "cannot open a cursor", diag);
	}
	uint64_t first = index * CORRIDOR_TILE_WIDTH;
	corridor_be64_put(kb, first);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	for (unsigned i = 0; i < width; i++, rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (rc || k.mv_size != 8 || corridor_be64_get(k.mv_data) != first + i ||
		    v.mv_size > 0xffffu) {
			mdb_cursor_close(cur);
			free(buf);
			return corridor_diag_seq(diag, CORRIDOR_E_STORAGE, first + i,
						 "entry %llu is missing",
						 (unsigned long long)(first + i));
		}
		if (n + 2 + v.mv_size > cap) {
			size_t ncap = 2 * cap + 2 + v.mv_size;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				mdb_cursor_close(cur);
				free(buf);
				return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		buf[n++] = (uint8_t)(v.mv_size >> 8);
		buf[n++] = (uint8_t)v.mv_size;
		memcpy(buf + n, v.mv_data, v.mv_size);
		n += v.mv_size;
	}
	mdb_cursor_close(cur);
	*out = buf;
	*len = n;
	return CORRIDOR_OK;
}

struct tile_args {
	int level;
	uint64_t index;
	unsigned width;
	uint8_t *hashes;
	uint8_t **bundle;
	size_t *bundle_len;
};

static int tile_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct tile_args *a = vctx;
	bool yes;
	unsigned level = a->level == CORRIDOR_TILE_ENTRIES ? 0u : (unsigned)a->level;
	int err = tile_exists(snap->l, snap->txn, level, a->index, a->width, &yes, diag);
	if (!err && !yes)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no such tile");
	if (err)
		return err;
	if (a->level == CORRIDOR_TILE_ENTRIES)
		return bundle_bytes(snap->l, snap->txn, a->index, a->width, a->bundle, a->bundle_len,
				    diag);
	return tile_hashes(snap->l, snap->txn, level, a->index, a->width, a->hashes, diag);
}

int corridor_tile_read(struct corridor_ledger *l, unsigned level, uint64_t index, unsigned width,
		       uint8_t out[CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES],
		       struct corridor_diag *diag)
{
	if (level >= CORRIDOR_TILE_LEVELS || width == 0 || width > CORRIDOR_TILE_WIDTH)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no such tile");
	struct tile_args a = { .level = (int)level, .index = index, .width = width, .hashes = out };
	return corridor_ledger_read(l, tile_fn, &a, diag);
}

int corridor_bundle_read(struct corridor_ledger *l, uint64_t index, unsigned width, uint8_t **out,
			 size_t *len, struct corridor_diag *diag)
{
	*out = NULL;
	*len = 0;
	if (width == 0 || width > CORRIDOR_TILE_WIDTH)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no such tile");
	struct tile_args a = { .level = CORRIDOR_TILE_ENTRIES, .index = index, .width = width,
			       .bundle = out, .bundle_len = len };
	return corridor_ledger_read(l, tile_fn, &a, diag);
}

/* ---- export ---- */

/* Makes every directory of path's parent (below dir, which exists). */
static int make_parents(char *path, size_t dir_len, struct corridor_diag *diag)
{
	for (char *p = path + dir_len + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		int rc = mkdir(path, 0755);
		int e = errno;
		*p = '/';
		if (rc != 0 && e != EEXIST)
			return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create a directory in %s: %s",
						 path, strerror(e));
	}
	return CORRIDOR_OK;
}

/* dir/rel, written whole to a temporary file and renamed into place. */
static int put_file(const char *dir, const char *rel, const uint8_t *data, size_t len,
		    struct corridor_diag *diag)
{
	char path[EXPORT_PATH_BYTES], tmp[EXPORT_PATH_BYTES + 16];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= sizeof tmp)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the export path is too long");
	int err = make_parents(tmp, strlen(dir), diag);
	if (err)
		return err;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", tmp,
					 strerror(errno));
	bool ok = true;
	for (size_t at = 0; ok && at < len;) {
		ssize_t w = write(fd, data + at, len - at);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		at += ok ? (size_t)w : 0;
	}
	int e = errno;
	ok = ok && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		e = ok ? errno : e;
		unlink(tmp);
		return corridor_diag_set(diag, e == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
					 "cannot write %s: %s", path, strerror(e));
	}
	return CORRIDOR_OK;
}

/* The size and root of the checkpoint an earlier export left in dir, 0 if
 * none; refused if it is not of this log. */
static int exported_size(struct corridor_ledger *l, MDB_txn *txn, const char *dir, uint64_t *size,
			 struct corridor_diag *diag)
{
	char path[EXPORT_PATH_BYTES], buf[CORRIDOR_NOTE_BYTES_MAX + 1];
	struct corridor_checkpoint cp;
	*size = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/checkpoint", dir) >= sizeof path)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the export path is too long");
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? CORRIDOR_OK
				       : corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read %s: %s", path,
							   strerror(errno));
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	uint8_t root[CORRIDOR_HASH_BYTES];
	struct node_ctx nc = { .l = l, .txn = txn };
	const char *blank = strstr(buf, "\n\n"); /* the note's text ends there */
	if (!blank || corridor_checkpoint_parse(buf, (size_t)(blank - buf) + 1, &cp) != 0 ||
	    strcmp(cp.origin, l->origin) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "%s holds a checkpoint that is not of %s: export into an "
					 "empty directory",
					 path, l->origin);
	struct ledger_head head;
	int err = corridor_head_get(l, txn, &head, diag);
	if (err)
		return err;
	if (cp.size > head.size || corridor_merkle_root(corridor_node_get, &nc, cp.size, root) != 0 ||
	    memcmp(root, cp.root, CORRIDOR_HASH_BYTES) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "%s holds a checkpoint of size %llu that is not this log's "
					 "tree at that size",
					 path, (unsigned long long)cp.size);
	*size = cp.size;
	return CORRIDOR_OK;
}

struct export_args {
	const char *dir;
	bool entries;
	struct corridor_tiles_stats *st;
};

/* Tile or bundle (level, index, width) into the directory. */
static int put_tile(struct corridor_ledger *l, MDB_txn *txn, const struct export_args *a,
		    int level, uint64_t index, unsigned width, uint8_t *hashes,
		    struct corridor_diag *diag)
{
	char rel[CORRIDOR_TILE_PATH_BYTES];
	corridor_tile_path(level, index, width, rel);
	if (level == CORRIDOR_TILE_ENTRIES) {
		uint8_t *b = NULL;
		size_t len = 0;
		int err = bundle_bytes(l, txn, index, width, &b, &len, diag);
		if (!err)
			err = put_file(a->dir, rel, b, len, diag);
		free(b);
		a->st->bundles += !err;
		return err;
	}
	int err = tile_hashes(l, txn, (unsigned)level, index, width, hashes, diag);
	if (!err)
		err = put_file(a->dir, rel, hashes, (size_t)width * CORRIDOR_HASH_BYTES, diag);
	a->st->tiles += !err;
	return err;
}

/* Every full tile of tree `size` not in the tree `from`, and the partial
 * tiles of `size` (its partial entry bundle too, with `bundle_partial`). */
static int put_tree(struct corridor_ledger *l, MDB_txn *txn, const struct export_args *a,
		    uint64_t from, uint64_t size, bool bundle_partial, uint8_t *hashes,
		    struct corridor_diag *diag)
{
	int err = CORRIDOR_OK;
	for (unsigned level = 0; level < CORRIDOR_TILE_LEVELS && !err; level++) {
		uint64_t unit = pow256(level);
		if (unit == 0 || size / unit == 0)
			break;
		uint64_t full_then = from / unit / CORRIDOR_TILE_WIDTH,
			 full_now = size / unit / CORRIDOR_TILE_WIDTH;
		unsigned width = (unsigned)(size / unit % CORRIDOR_TILE_WIDTH);
		for (uint64_t n = full_then; n < full_now && !err; n++) {
			err = put_tile(l, txn, a, (int)level, n, CORRIDOR_TILE_WIDTH, hashes, diag);
			if (!err && level == 0 && a->entries)
				err = put_tile(l, txn, a, CORRIDOR_TILE_ENTRIES, n, CORRIDOR_TILE_WIDTH,
					       hashes, diag);
		}
		if (!err && width) {
			err = put_tile(l, txn, a, (int)level, full_now, width, hashes, diag);
			if (!err && level == 0 && a->entries && bundle_partial)
				err = put_tile(l, txn, a, CORRIDOR_TILE_ENTRIES, full_now, width, hashes,
					       diag);
		}
	}
	return err;
}

static int export_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	const struct export_args *a = vctx;
	struct corridor_ledger *l = snap->l;
	uint64_t size = 0, from = 0;
	MDB_val note;
	uint8_t *hashes = malloc(TILE_BYTES);
	if (!hashes)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_checkpoint_read(l, snap->txn, &size, &note, diag);
	if (!err && mkdir(a->dir, 0755) != 0 && errno != EEXIST)
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", a->dir,
					strerror(errno));
	if (!err)
		err = exported_size(l, snap->txn, a->dir, &from, diag);
	a->st->from_size = from;
	a->st->size = size;
	/* the partial hash tiles of every checkpoint signed since (a client
	 * holding that checkpoint may ask for them), then the full tiles and
	 * the partial ones of the latest, its partial entry bundle included;
	 * older partial bundles are not kept (the full one, or the latest
	 * partial, holds their entries) */
	MDB_cursor *cur = NULL;
	uint8_t kb[8];
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v;
	int rc = err ? 0 : mdb_cursor_open(snap->txn, l->checkpoints, &cur);
	if (rc)
		err = corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
	corridor_be64_put(kb, from + 1);
	for (rc = err ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     !err && rc == 0 && k.mv_size == 8 && corridor_be64_get(k.mv_data) < size;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		err = put_tree(l, snap->txn, a, corridor_be64_get(k.mv_data),
			       corridor_be64_get(k.mv_data), false, hashes, diag);
	if (cur)
		mdb_cursor_close(cur);
	if (!err && size > from)
		err = put_tree(l, snap->txn, a, from, size, true, hashes, diag);
	if (!err && size != from)
		err = put_file(a->dir, "checkpoint", note.mv_data, note.mv_size, diag);
	free(hashes);
	return err;
}

int corridor_tiles_export(struct corridor_ledger *l, const char *dir, bool entries,
			  struct corridor_tiles_stats *stats, struct corridor_diag *diag)
{
	struct corridor_tiles_stats st = { 0 };
	struct export_args a = { .dir = dir, .entries = entries, .st = stats ? stats : &st };
	memset(a.st, 0, sizeof *a.st);
	return corridor_ledger_read(l, export_fn, &a, diag);
}
