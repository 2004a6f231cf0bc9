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

#include <msgpack.h>

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

static int fwrite_pk(void *data, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, (FILE *)data) == len ? 0 : -1;
}

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
	char path[EXPORT_PATH_BYTES];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path - 16)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the export path is too long");
	int err = make_parents(path, strlen(dir), diag);
	return err ? err : corridor_replace_file(path, data, len, 0644, diag);
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
	corridor_progress_fn progress; /* hears the entries written of the log's */
	void *progress_ctx;
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
			if (!err && level == 0 && bundle_partial && a->progress)
				a->progress(a->progress_ctx, (n + 1) * CORRIDOR_TILE_WIDTH - from, size - from);
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
	if (!err && a->progress)
		a->progress(a->progress_ctx, size - from, size - from);
	free(hashes);
	return err;
}

int corridor_tiles_export(struct corridor_ledger *l, const char *dir, bool entries,
			  struct corridor_tiles_stats *stats, struct corridor_diag *diag)
{
	return corridor_tiles_export_with(l, dir, entries, NULL, NULL, stats, diag);
}

int corridor_tiles_export_with(struct corridor_ledger *l, const char *dir, bool entries,
			       corridor_progress_fn progress, void *progress_ctx,
			       struct corridor_tiles_stats *stats, struct corridor_diag *diag)
{
	struct corridor_tiles_stats st = { 0 };
	struct export_args a = { .dir = dir, .entries = entries, .st = stats ? stats : &st,
				 .progress = progress, .progress_ctx = progress_ctx };
	memset(a.st, 0, sizeof *a.st);
	return corridor_ledger_read(l, export_fn, &a, diag);
}

/* ---- a replica fed from a tiles directory ---- */

/* dir/rel whole, at most max bytes (malloc'd), or NULL with errno. */
static uint8_t *read_file(const char *dir, const char *rel, size_t max, size_t *len)
{
	char path[EXPORT_PATH_BYTES];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
		return NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= max &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)st.st_size, f);
		if (*len != (size_t)st.st_size) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

#define BUNDLE_BYTES_MAX ((size_t)CORRIDOR_TILE_WIDTH * (2u + CORRIDOR_ENTRY_BYTES_MAX))

/* The archive (docs/FORMAT.md §8) of entries [first, size) from the
 * directory's bundles, with its checkpoint note, written to f. */
struct source {
	corridor_fetch_fn fetch;
	void *ctx;
	const char *where;
	/* hears fetched + verified entries of twice the new ones: the
	 * bundles are read first, then verified */
	corridor_progress_fn progress;
	void *progress_ctx;
	uint64_t new_entries;
};

static int archive_from_bundles(const struct source *src, const char *note, size_t note_len,
				const char *origin, uint64_t first, uint64_t size, FILE *f,
				struct corridor_diag *diag)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, f, fwrite_pk);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "checkpoint", 10);
	corridor_mp_pack_str(&pk, note, note_len);
	corridor_mp_pack_str(&pk, "first", 5);
	msgpack_pack_uint64(&pk, first);
	corridor_mp_pack_str(&pk, "format", 6);
	corridor_mp_pack_str(&pk, "corridor-archive", 16);
	corridor_mp_pack_str(&pk, "origin", 6);
	corridor_mp_pack_str(&pk, origin, strlen(origin));
	corridor_mp_pack_str(&pk, "size", 4);
	msgpack_pack_uint64(&pk, size);
	corridor_mp_pack_str(&pk, "version", 7);
	msgpack_pack_uint64(&pk, 1);
	for (uint64_t n = first / CORRIDOR_TILE_WIDTH; n * CORRIDOR_TILE_WIDTH < size; n++) {
		uint64_t lo = n * CORRIDOR_TILE_WIDTH;
		unsigned width = size - lo >= CORRIDOR_TILE_WIDTH ? CORRIDOR_TILE_WIDTH
								  : (unsigned)(size - lo);
		char rel[CORRIDOR_TILE_PATH_BYTES];
		size_t len = 0, at = 0;
		corridor_tile_path(CORRIDOR_TILE_ENTRIES, n, width, rel);
		uint8_t *b = NULL;
		int ferr = src->fetch(src->ctx, rel, BUNDLE_BYTES_MAX, &b, &len, diag);
		if (ferr == CORRIDOR_E_NOTFOUND)
			return corridor_diag_seq(diag, CORRIDOR_E_NOTFOUND, lo,
						 "%s has no entry bundle %s (tiles exported without "
						 "--entries, or bundles not served to this reader?)",
						 src->where, rel);
		if (ferr)
			return ferr;
		for (unsigned i = 0; i < width; i++) {
			size_t el = at + 2 <= len ? (size_t)b[at] << 8 | b[at + 1] : SIZE_MAX;
			if (el == SIZE_MAX || at + 2 + el > len) {
				free(b);
				return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, lo + i,
							 "entry bundle %s is cut short at entry %llu",
							 rel, (unsigned long long)(lo + i));
			}
			if (lo + i >= first) {
				msgpack_pack_bin(&pk, el);
				msgpack_pack_bin_body(&pk, b + at + 2, el);
			}
			at += 2 + el;
		}
		free(b);
		if (at != len)
			return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, lo + width - 1,
						 "entry bundle %s holds more than its %u entries", rel,
						 width);
		if (src->progress)
			src->progress(src->progress_ctx, lo + width - first, 2 * (size - first));
	}
	return ferror(f) ? corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write a temporary file")
			 : CORRIDOR_OK;
}

/* The mirror's hash tiles of tree `size` not in tree `from`, each against
 * the replica's own (rebuilt from the verified entries). */
static int check_tiles(struct corridor_ledger *r, const struct source *src, uint64_t from,
		       uint64_t size, struct corridor_diag *diag)
{
	uint8_t *mine = malloc(TILE_BYTES);
	int err = mine ? CORRIDOR_OK : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (unsigned level = 0; !err && level < CORRIDOR_TILE_LEVELS; level++) {
		uint64_t unit = pow256(level);
		if (unit == 0 || size / unit == 0)
			break;
		uint64_t n0 = from / unit / CORRIDOR_TILE_WIDTH, n1 = size / unit / CORRIDOR_TILE_WIDTH;
		unsigned width = (unsigned)(size / unit % CORRIDOR_TILE_WIDTH);
		for (uint64_t n = n0; !err && n <= n1; n++) {
			unsigned w = n < n1 ? CORRIDOR_TILE_WIDTH : width;
			char rel[CORRIDOR_TILE_PATH_BYTES];
			size_t len = 0;
			if (w == 0)
				break;
			corridor_tile_path((int)level, n, w, rel);
			uint8_t *t = NULL;
			int ferr = src->fetch(src->ctx, rel, TILE_BYTES, &t, &len, diag);
			if (ferr == CORRIDOR_E_NOTFOUND)
				err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
							"%s has no tile %s of tree size %llu", src->where,
							rel, (unsigned long long)size);
			else if (ferr)
				err = ferr;
			else if ((err = corridor_tile_read(r, level, n, w, mine, diag)) == 0 &&
				 (len != (size_t)w * CORRIDOR_HASH_BYTES || memcmp(t, mine, len) != 0))
				err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY,
							n * CORRIDOR_TILE_WIDTH * unit,
							"the mirror's tile %s is not this log's tree "
							"(entries from %llu)",
							rel,
							(unsigned long long)(n * CORRIDOR_TILE_WIDTH * unit));
			free(t);
		}
	}
	free(mine);
	return err;
}

/* A directory as a source. */
int corridor_tiles_dir_fetch(void *ctx, const char *rel, size_t max, uint8_t **data, size_t *len,
		     struct corridor_diag *diag)
{
	*data = read_file(ctx, rel, max, len);
	if (*data)
		return CORRIDOR_OK;
	return errno == ENOENT ? CORRIDOR_E_NOTFOUND
			       : corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read %s/%s: %s",
						   (const char *)ctx, rel, strerror(errno));
}

int corridor_tiles_import(const char *replica, const char *dir, const struct corridor_vkey *vkey,
			  uint64_t *size_out, struct corridor_diag *diag)
{
	return corridor_tiles_import_from(replica, corridor_tiles_dir_fetch, (void *)(uintptr_t)dir, dir, vkey,
					  size_out, diag);
}

static int import_from(const struct source *src, const char *replica,
		       const struct corridor_vkey *vkey, bool restore, uint64_t *size_out,
		       struct corridor_diag *diag);

int corridor_tiles_import_from(const char *replica, corridor_fetch_fn fetch, void *ctx,
			       const char *where, const struct corridor_vkey *vkey,
			       uint64_t *size_out, struct corridor_diag *diag)
{
	return corridor_tiles_import_with(replica, fetch, ctx, where, vkey, NULL, NULL, size_out,
					  diag);
}

int corridor_tiles_import_with(const char *replica, corridor_fetch_fn fetch, void *ctx,
			       const char *where, const struct corridor_vkey *vkey,
			       corridor_progress_fn progress, void *progress_ctx,
			       uint64_t *size_out, struct corridor_diag *diag)
{
	struct source src = { .fetch = fetch, .ctx = ctx, .where = where, .progress = progress,
			      .progress_ctx = progress_ctx };
	return import_from(&src, replica, vkey, false, size_out, diag);
}

int corridor_tiles_restore_from(const char *ledger, corridor_fetch_fn fetch, void *ctx,
				const char *where, const struct corridor_vkey *vkey,
				uint64_t *size_out, struct corridor_diag *diag)
{
	struct source src = { .fetch = fetch, .ctx = ctx, .where = where };
	return import_from(&src, ledger, vkey, true, size_out, diag);
}

/* The verifying half of a tiles import's progress: after the fetched half. */
static void verified_progress(void *ctx, uint64_t done, uint64_t total)
{
	const struct source *src = ctx;
	(void)total;
	src->progress(src->progress_ctx, src->new_entries + done, 2 * src->new_entries);
}

static int import_from(const struct source *srcp, const char *replica,
		       const struct corridor_vkey *vkey, bool restore, uint64_t *size_out,
		       struct corridor_diag *diag)
{
	size_t note_len = 0;
	struct corridor_checkpoint cp;
	struct corridor_ledger *r = NULL;
	struct corridor_head h = { 0 };
	struct source src = *srcp;
	corridor_fetch_fn fetch = src.fetch;
	void *ctx = src.ctx;
	const char *where = src.where;
	*size_out = 0;
	uint8_t *nb = NULL;
	int ferr = fetch(ctx, "checkpoint", CORRIDOR_NOTE_BYTES_MAX, &nb, &note_len, diag);
	if (ferr)
		return ferr == CORRIDOR_E_NOTFOUND
			       ? corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "%s has no checkpoint",
						   where)
			       : ferr;
	char *note = realloc(nb, note_len + 1);
	if (!note) {
		free(nb);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	note[note_len] = '\0';
	const char *blank = strstr(note, "\n\n");
	if (!blank || corridor_checkpoint_parse(note, (size_t)(blank - note) + 1, &cp) != 0) {
		free(note);
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "%s: its checkpoint is not a "
					 "checkpoint", where);
	}
	if (corridor_ledger_open(replica, CORRIDOR_OPEN_READONLY, &r, NULL) == 0) {
		int herr = corridor_ledger_head(r, &h);
		corridor_ledger_close(r);
		r = NULL;
		if (herr) {
			free(note);
			return corridor_diag_set(diag, herr, "cannot read the replica in %s", replica);
		}
	}
	if (cp.size < h.size) {
		free(note);
		return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					 "the mirror's checkpoint (size %llu) is behind the replica "
					 "(%llu): a log never shrinks",
					 (unsigned long long)cp.size, (unsigned long long)h.size);
	}
	if (cp.size == h.size && h.size > 0) { /* nothing new: the same tree, or a split view */
		free(note);
		*size_out = h.size;
		if (memcmp(cp.root, h.root, CORRIDOR_HASH_BYTES) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						 "split view: the mirror's checkpoint of size %llu has "
						 "another root than the replica's tree of that size",
						 (unsigned long long)h.size);
		return CORRIDOR_OK;
	}
	char tmp[EXPORT_PATH_BYTES];
	const char *t = getenv("TMPDIR");
	snprintf(tmp, sizeof tmp, "%s/corridor-tiles-XXXXXX", t && *t ? t : "/tmp");
	int fd = mkstemp(tmp), err;
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(note);
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create a temporary file");
	}
	src.new_entries = cp.size - h.size;
	err = archive_from_bundles(&src, note, note_len, cp.origin, h.size, cp.size, f, diag);
	if (fclose(f) != 0 && !err)
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write a temporary file");
	/* every entry verified as an archive import verifies it, the tree's root
	 * against the checkpoint, the checkpoint against the replica's last */
	if (!err)
		err = restore ? corridor_archive_restore(replica, tmp, vkey, size_out, diag)
			      : corridor_archive_import_with(replica, tmp, vkey,
							     src.progress ? verified_progress : NULL,
							     &src, size_out, diag);
	unlink(tmp);
	free(note);
	if (err)
		return err;
	if ((err = corridor_ledger_open(replica, CORRIDOR_OPEN_READONLY, &r, diag)) != 0)
		return err;
	err = check_tiles(r, &src, h.size, cp.size, diag);
	corridor_ledger_close(r);
	return err;
}
