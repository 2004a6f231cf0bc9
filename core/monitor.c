/*
 * monitor.c — following a log by its tiles (corridor/tiles.h,
 * docs/AUDITING.md "Following the log with corridor monitor").
 *
 * A monitor keeps what it verified: the last checkpoint, the right edge of
 * its tile tree (at each tile level the hashes of the partial tile, at most
 * 255 per level), and every leaf hash. A new checkpoint of size n after one
 * of size m is accepted only if the leaves of the mirror's level-0 tiles
 * from m on, appended to the compact range the edge gives, reach its root:
 * that proves the new tree extends the old one (RFC 6962 roots commit to
 * every leaf), without a consistency proof and without trusting any tile
 * above level 0 — those are each rebuilt from the level below and compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log.h"

#define STATE_MAGIC "corridor-monitor-state v1\n"
#define STATE_MAGIC_BYTES (sizeof STATE_MAGIC - 1)
#define MON_PATH_BYTES 4096u
#define TILE_BYTES (CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES)
#define LEVELS 8u /* tile levels a 64-bit tree size reaches (256^8 = 2^64) */

/* The right edge of the tile tree of `size` leaves: at level L the hashes
 * of the partial tile, count[L] = floor(size / 256^L) mod 256. */
struct edge {
	uint64_t size;
	unsigned count[LEVELS];
	uint8_t hashes[LEVELS][TILE_BYTES];
};

struct source {
	corridor_fetch_fn fetch;
	void *ctx;
	const char *where;
};

static uint64_t unit_of(unsigned level)
{
	return level >= LEVELS ? 0 : (uint64_t)1 << (8 * level);
}

static void edge_counts(struct edge *e)
{
	for (unsigned l = 0; l < LEVELS; l++)
		e->count[l] = (unsigned)(e->size / unit_of(l) % CORRIDOR_TILE_WIDTH);
}

/* The compact range of the edge's tree: its hashes pushed as complete
 * subtrees, the highest level first (merges never cross a level). */
static void range_from_edge(const struct edge *e, struct corridor_merkle_range *r)
{
	unsigned height[64];
	corridor_merkle_range_init(r);
	for (unsigned l = LEVELS; l-- > 0;)
		for (unsigned i = 0; i < e->count[l]; i++) {
			uint8_t node[CORRIDOR_HASH_BYTES];
			unsigned h = 8 * l;
			memcpy(node, e->hashes[l] + (size_t)i * CORRIDOR_HASH_BYTES, sizeof node);
			while (r->count > 0 && height[r->count - 1] == h) {
				corridor_merkle_node_hash(r->hashes[r->count - 1], node, node);
				r->count--;
				h++;
			}
			CORRIDOR_ASSERT(r->count < 64);
			memcpy(r->hashes[r->count], node, sizeof node);
			height[r->count++] = h;
		}
	r->size = e->size;
	CORRIDOR_ASSERT(r->count == (unsigned)__builtin_popcountll(e->size));
}

/* ---- the state directory ---- */

struct state {
	bool fresh; /* nothing verified yet */
	struct corridor_checkpoint cp;
	struct edge edge;
};

static int path_of(const char *dir, const char *name, char out[MON_PATH_BYTES],
		   struct corridor_diag *diag)
{
	if ((size_t)snprintf(out, MON_PATH_BYTES, "%s/%s", dir, name) >= MON_PATH_BYTES - 16)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the state path is too long");
	return CORRIDOR_OK;
}

static int state_load(const char *dir, struct state *s, struct corridor_diag *diag)
{
	char path[MON_PATH_BYTES];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	memset(s, 0, sizeof *s);
	s->fresh = true;
	int err = path_of(dir, "state", path, diag);
	if (err)
		return err;
	if (stat(path, &st) != 0 && errno == ENOENT)
		return CORRIDOR_OK;
	if ((err = corridor_read_file(path, CORRIDOR_MONITOR_STATE_BYTES_MAX, &buf, &len, diag)))
		return err;
	size_t at = STATE_MAGIC_BYTES;
	err = CORRIDOR_E_STORAGE;
	if (len < at + 8 + 4 || memcmp(buf, STATE_MAGIC, STATE_MAGIC_BYTES) != 0)
		goto out_free;
	s->edge.size = corridor_be64_get(buf + at);
	at += 8;
	edge_counts(&s->edge);
	for (unsigned l = 0; l < LEVELS; l++) {
		size_t n = (size_t)s->edge.count[l] * CORRIDOR_HASH_BYTES;
		if (len - at < n + 4)
			goto out_free;
		memcpy(s->edge.hashes[l], buf + at, n);
		at += n;
	}
	size_t note_len = corridor_be32_get(buf + at);
	at += 4;
	const char *note = (const char *)buf + at;
	const char *blank = note_len == len - at ? strstr(note, "\n\n") : NULL;
	if (!blank || corridor_checkpoint_parse(note, (size_t)(blank - note) + 1, &s->cp) != 0 ||
	    s->cp.size != s->edge.size)
		goto out_free;
	/* the edge must give the root it was recorded with */
	struct corridor_merkle_range r;
	uint8_t root[CORRIDOR_HASH_BYTES];
	range_from_edge(&s->edge, &r);
	corridor_merkle_range_root(&r, root);
	if (memcmp(root, s->cp.root, sizeof root) != 0)
		goto out_free;
	s->fresh = false;
	err = CORRIDOR_OK;
out_free:
	free(buf);
	return err ? corridor_diag_set(diag, err,
				       "%s is damaged: not a monitor's state (start again with an "
				       "empty --state directory)",
				       path)
		   : CORRIDOR_OK;
}

static int state_save(const char *dir, const struct edge *e, const char *note, size_t note_len,
		      struct corridor_diag *diag)
{
	char path[MON_PATH_BYTES];
	size_t cap = STATE_MAGIC_BYTES + 8 + LEVELS * TILE_BYTES + 4 + note_len, at = 0;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	memcpy(buf, STATE_MAGIC, STATE_MAGIC_BYTES);
	at = STATE_MAGIC_BYTES;
	corridor_be64_put(buf + at, e->size);
	at += 8;
	for (unsigned l = 0; l < LEVELS; l++) {
		size_t n = (size_t)e->count[l] * CORRIDOR_HASH_BYTES;
		memcpy(buf + at, e->hashes[l], n);
		at += n;
	}
	corridor_be32_put(buf + at, (uint32_t)note_len);
	at += 4;
	memcpy(buf + at, note, note_len);
	at += note_len;
	int err = path_of(dir, "state", path, diag);
	if (!err)
		err = corridor_replace_file(path, buf, at, 0600, diag);
	free(buf);
	/* a copy for people and other tools: the last checkpoint verified */
	if (!err && !(err = path_of(dir, "checkpoint", path, diag)))
		err = corridor_replace_file(path, note, note_len, 0644, diag);
	return err;
}

static int leaves_open(const char *dir, int *fd, struct corridor_diag *diag)
{
	char path[MON_PATH_BYTES];
	int err = path_of(dir, "leaves", path, diag);
	if (err)
		return err;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return *fd >= 0 ? CORRIDOR_OK
			: corridor_diag_set(diag, CORRIDOR_E_IO, "cannot open %s: %s", path,
					    strerror(errno));
}

static int leaves_io(int fd, bool write_, uint64_t seq, void *buf, size_t n,
		     struct corridor_diag *diag)
{
	uint8_t *p = buf;
	off_t off = (off_t)(seq * CORRIDOR_HASH_BYTES);
	for (size_t at = 0; at < n;) {
		ssize_t k = write_ ? pwrite(fd, p + at, n - at, off + (off_t)at)
				   : pread(fd, p + at, n - at, off + (off_t)at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return corridor_diag_set(diag,
						 k < 0 && errno == ENOSPC ? CORRIDOR_E_FULL
						 : k == 0		  ? CORRIDOR_E_STORAGE
									  : CORRIDOR_E_IO,
						 "cannot %s the monitor's leaf hashes: %s",
						 write_ ? "write" : "read",
						 k == 0 ? "the file is cut short" : strerror(errno));
		at += (size_t)k;
	}
	return CORRIDOR_OK;
}

int corridor_monitor_leaves(const char *state_dir, uint64_t first, size_t count, uint8_t *out,
			    struct corridor_diag *diag)
{
	struct state *s = malloc(sizeof *s);
	int fd = -1;
	if (!s)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = state_load(state_dir, s, diag);
	if (!err && (first > s->edge.size || count > s->edge.size - first))
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"entries %llu.. are beyond the tree the monitor verified",
					(unsigned long long)first);
	if (!err && count > 0 && !(err = leaves_open(state_dir, &fd, diag)))
		err = leaves_io(fd, false, first, out, count * CORRIDOR_HASH_BYTES, diag);
	if (fd >= 0)
		close(fd);
	free(s);
	return err;
}

/* ---- the walk over the new tiles ---- */

struct walk {
	const struct source *src;
	struct edge *edge; /* grows from the old edge to the new one */
	uint8_t *tile;     /* a fetched tile */
	size_t tiles;
	struct corridor_diag *diag;
};

static int fetch_tile(struct walk *w, unsigned level, uint64_t index, unsigned width,
		      struct corridor_diag *diag)
{
	char rel[CORRIDOR_TILE_PATH_BYTES];
	uint8_t *data = NULL;
	size_t len = 0;
	corridor_tile_path((int)level, index, width, rel);
	int err = w->src->fetch(w->src->ctx, rel, TILE_BYTES, &data, &len, diag);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY,
					 index * CORRIDOR_TILE_WIDTH * unit_of(level),
					 "%s has no tile %s, which its checkpoint needs", w->src->where,
					 rel);
	if (err)
		return err;
	if (len != (size_t)width * CORRIDOR_HASH_BYTES) {
		free(data);
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY,
					 index * CORRIDOR_TILE_WIDTH * unit_of(level),
					 "the mirror's tile %s has %zu bytes, not %u hashes", rel, len,
					 width);
	}
	memcpy(w->tile, data, len);
	free(data);
	w->tiles++;
	return CORRIDOR_OK;
}

/* A tile above level 0, against the hashes rebuilt from the level below. */
static int check_tile(struct walk *w, unsigned level, uint64_t index, unsigned width,
		      struct corridor_diag *diag)
{
	int err = fetch_tile(w, level, index, width, diag);
	if (err)
		return err;
	for (unsigned i = 0; i < width; i++)
		if (memcmp(w->tile + (size_t)i * CORRIDOR_HASH_BYTES,
			   w->edge->hashes[level] + (size_t)i * CORRIDOR_HASH_BYTES,
			   CORRIDOR_HASH_BYTES) != 0) {
			char rel[CORRIDOR_TILE_PATH_BYTES];
			uint64_t seq = (index * CORRIDOR_TILE_WIDTH + i) * unit_of(level);
			corridor_tile_path((int)level, index, width, rel);
			return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
						 "forged tile: the mirror's %s and its level-0 "
						 "tiles disagree on the entries from seq %llu",
						 rel, (unsigned long long)seq);
		}
	return CORRIDOR_OK;
}

/* Every node a leaf append completes: a node of level 8 L is hash
 * (index mod 256) of tile (L, index / 256). */
static int on_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[CORRIDOR_HASH_BYTES])
{
	struct walk *w = ctx;
	unsigned l = level / 8;
	if (level % 8 != 0 || l >= LEVELS)
		return CORRIDOR_OK;
	struct edge *e = w->edge;
	CORRIDOR_ASSERT(index % CORRIDOR_TILE_WIDTH == e->count[l]);
	memcpy(e->hashes[l] + (size_t)e->count[l] * CORRIDOR_HASH_BYTES, hash, CORRIDOR_HASH_BYTES);
	if (++e->count[l] < CORRIDOR_TILE_WIDTH)
		return CORRIDOR_OK;
	e->count[l] = 0; /* a full tile: checked, then the next one starts */
	return l == 0 ? CORRIDOR_OK
		      : check_tile(w, l, index / CORRIDOR_TILE_WIDTH, CORRIDOR_TILE_WIDTH, w->diag);
}

/* Where the root does not match: the first leaf below the old size that the
 * mirror's tiles give otherwise than the monitor verified (a rewritten
 * history), or else the new part (a forged tile). */
static int diagnose(struct walk *w, int fd, uint64_t m, uint64_t n, struct corridor_diag *diag)
{
	uint8_t *mine = malloc(TILE_BYTES);
	for (uint64_t k = 0; mine && (k + 1) * CORRIDOR_TILE_WIDTH <= m; k++) {
		struct corridor_diag scratch;
		corridor_diag_init(&scratch);
		if (fetch_tile(w, 0, k, CORRIDOR_TILE_WIDTH, &scratch) != 0 ||
		    leaves_io(fd, false, k * CORRIDOR_TILE_WIDTH, mine, TILE_BYTES, &scratch) != 0)
			break;
		for (unsigned i = 0; i < CORRIDOR_TILE_WIDTH; i++)
			if (memcmp(mine + (size_t)i * CORRIDOR_HASH_BYTES,
				   w->tile + (size_t)i * CORRIDOR_HASH_BYTES, CORRIDOR_HASH_BYTES)) {
				uint64_t seq = k * CORRIDOR_TILE_WIDTH + i;
				free(mine);
				return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
							 "rewritten history: the mirror's tree of size "
							 "%llu has another entry at seq %llu than the "
							 "tree of size %llu verified before",
							 (unsigned long long)n, (unsigned long long)seq,
							 (unsigned long long)m);
			}
	}
	free(mine);
	return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, m,
				 "the mirror's level-0 tiles from seq %llu do not give the root of "
				 "its checkpoint of size %llu: a forged tile, or a checkpoint that "
				 "does not extend the tree of size %llu verified before",
				 (unsigned long long)m, (unsigned long long)n, (unsigned long long)m);
}

/* Leaves [m, n) from the mirror's level-0 tiles onto the edge (and the
 * leaves file), each completed tile above level 0 checked, then the root. */
static int walk_tree(struct walk *w, int fd, uint64_t n, const uint8_t root[CORRIDOR_HASH_BYTES],
		     struct corridor_diag *diag)
{
	struct edge *e = w->edge;
	const uint64_t m = e->size;
	struct corridor_merkle_range r;
	uint8_t *old0 = malloc(TILE_BYTES);
	if (!old0)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	memcpy(old0, e->hashes[0], TILE_BYTES);
	range_from_edge(e, &r);
	int err = CORRIDOR_OK;
	for (uint64_t k = m / CORRIDOR_TILE_WIDTH; !err && k * CORRIDOR_TILE_WIDTH < n; k++) {
		uint64_t lo = k * CORRIDOR_TILE_WIDTH;
		unsigned width = n - lo >= CORRIDOR_TILE_WIDTH ? CORRIDOR_TILE_WIDTH
							       : (unsigned)(n - lo);
		if ((err = fetch_tile(w, 0, k, width, diag)) != 0)
			break;
		unsigned i = 0;
		for (; lo + i < m; i++) /* the part verified before */
			if (memcmp(w->tile + (size_t)i * CORRIDOR_HASH_BYTES,
				   old0 + (size_t)i * CORRIDOR_HASH_BYTES, CORRIDOR_HASH_BYTES)) {
				err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, lo + i,
							"rewritten history: the mirror's tree of size "
							"%llu has another entry at seq %llu than the "
							"tree of size %llu verified before",
							(unsigned long long)n,
							(unsigned long long)(lo + i),
							(unsigned long long)m);
				break;
			}
		if (err)
			break;
		unsigned first = i;
		/* the mirror's tile is overwritten by the checks on_node makes */
		uint8_t leaves[TILE_BYTES];
		memcpy(leaves, w->tile, (size_t)width * CORRIDOR_HASH_BYTES);
		for (; !err && i < width; i++)
			err = corridor_merkle_range_append(&r, leaves + (size_t)i * CORRIDOR_HASH_BYTES,
							   on_node, w);
		if (!err && width > first)
			err = leaves_io(fd, true, lo + first, leaves + (size_t)first * CORRIDOR_HASH_BYTES,
					(size_t)(width - first) * CORRIDOR_HASH_BYTES, diag);
	}
	free(old0);
	e->size = r.size;
	if (err)
		return err;
	/* the partial tiles above level 0 that this tree changed */
	for (unsigned l = 1; !err && l < LEVELS && n / unit_of(l) > 0; l++)
		if (e->count[l] > 0 && n / unit_of(l) != m / unit_of(l))
			err = check_tile(w, l, n / unit_of(l) / CORRIDOR_TILE_WIDTH, e->count[l], diag);
	uint8_t got[CORRIDOR_HASH_BYTES];
	corridor_merkle_range_root(&r, got);
	if (!err && memcmp(got, root, sizeof got) != 0)
		err = diagnose(w, fd, m, n, diag);
	return err;
}

/* ---- one run ---- */

/* The fetcher with the run's checkpoint fixed, so that the replica's
 * import reads the same tree the walk checks. */
struct pinned {
	const struct source *src;
	const char *note;
	size_t note_len;
};

static int pinned_fetch(void *ctx, const char *rel, size_t max, uint8_t **data, size_t *len,
			struct corridor_diag *diag)
{
	const struct pinned *p = ctx;
	if (strcmp(rel, "checkpoint") != 0)
		return p->src->fetch(p->src->ctx, rel, max, data, len, diag);
	if (!(*data = malloc(p->note_len + 1)))
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	memcpy(*data, p->note, p->note_len);
	*len = p->note_len;
	return CORRIDOR_OK;
}

int corridor_monitor_run(const char *state_dir, corridor_fetch_fn fetch, void *ctx,
			 const char *where, const struct corridor_vkey *vkey,
			 struct corridor_monitor_result *r, struct corridor_diag *diag)
{
	return corridor_monitor_run_with(state_dir, fetch, ctx, where, vkey, NULL, NULL, r, diag);
}

int corridor_monitor_run_with(const char *state_dir, corridor_fetch_fn fetch, void *ctx,
			      const char *where, const struct corridor_vkey *vkey,
			      corridor_progress_fn progress, void *progress_ctx,
			      struct corridor_monitor_result *r, struct corridor_diag *diag)
{
	const struct source src = { .fetch = fetch, .ctx = ctx, .where = where };
	struct corridor_note note;
	struct corridor_checkpoint cp;
	char replica[MON_PATH_BYTES];
	uint8_t *nb = NULL;
	size_t note_len = 0;
	int fd = -1, err;
	memset(r, 0, sizeof *r);
	if (!vkey)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "a monitor needs the log's key");
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", state_dir,
					 strerror(errno));
	struct state *s = malloc(sizeof *s);
	struct walk w = { .src = &src, .tile = malloc(TILE_BYTES) };
	if (!s || !w.tile) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	if ((err = state_load(state_dir, s, diag)) || (err = path_of(state_dir, "replica", replica, diag)))
		goto out_free;
	/* the checkpoint: fetched once, signed by the log's key */
	err = fetch(ctx, "checkpoint", CORRIDOR_NOTE_BYTES_MAX, &nb, &note_len, diag);
	if (err == CORRIDOR_E_NOTFOUND)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "%s has no checkpoint", where);
	if (err)
		goto out_free;
	char *text = realloc(nb, note_len + 1);
	if (!text) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	nb = (uint8_t *)text;
	text[note_len] = '\0';
	if (corridor_note_open(text, note_len, vkey, 1, &note) != 0 ||
	    corridor_checkpoint_parse(text, note.text_len, &cp) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"%s: its checkpoint is not a checkpoint signed by the key %s",
					where, vkey->name);
		goto out_free;
	}
	if (strcmp(cp.origin, vkey->name) != 0 || (!s->fresh && strcmp(cp.origin, s->cp.origin))) {
		err = corridor_diag_set(diag, CORRIDOR_E_KEY,
					"%s is the log of another origin than the one this monitor "
					"follows",
					where);
		goto out_free;
	}
	snprintf(r->origin, sizeof r->origin, "%s", cp.origin);
	r->from_size = s->edge.size;
	r->size = cp.size;
	memcpy(r->root, cp.root, CORRIDOR_HASH_BYTES);
	if (cp.size < s->edge.size) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"the mirror's checkpoint (size %llu) is behind the tree of size "
					"%llu verified before: a log never shrinks",
					(unsigned long long)cp.size, (unsigned long long)s->edge.size);
		goto out_free;
	}
	if (cp.size == s->edge.size && !s->fresh &&
	    memcmp(cp.root, s->cp.root, CORRIDOR_HASH_BYTES) != 0) {
		err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, cp.size ? cp.size - 1 : 0,
					"split view: the mirror's checkpoint of size %llu has another "
					"root than the one of that size verified before",
					(unsigned long long)cp.size);
		goto out_free;
	}
	/* the entries, where this reader may have them: verified into the
	 * replica as import verifies them */
	const struct pinned pin = { .src = &src, .note = text, .note_len = note_len };
	uint64_t got = 0;
	struct corridor_diag sub;
	corridor_diag_init(&sub);
	err = corridor_tiles_import_with(replica, pinned_fetch, (void *)(uintptr_t)&pin, where, vkey,
					 progress, progress_ctx, &got, &sub);
	if (err == CORRIDOR_E_NOTFOUND || err == CORRIDOR_E_REFUSED) {
		snprintf(r->no_entries, sizeof r->no_entries, "%s", sub.text);
		err = CORRIDOR_OK;
	} else if (err) {
		*diag = sub;
		goto out_free;
	} else {
		r->entries = true;
	}
	struct corridor_ledger *rl = NULL;
	struct corridor_head h = { 0 };
	if (corridor_ledger_open(replica, CORRIDOR_OPEN_READONLY, &rl, NULL) == 0) {
		if (corridor_ledger_head(rl, &h) == 0)
			r->replica_size = h.size;
		corridor_ledger_close(rl);
	}
	/* the tree: every new tile, and an extension of the last verified */
	if ((err = leaves_open(state_dir, &fd, diag)))
		goto out_free;
	if (ftruncate(fd, (off_t)(s->edge.size * CORRIDOR_HASH_BYTES)) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot trim the leaf hashes: %s",
					strerror(errno));
		goto out_free;
	}
	w.edge = &s->edge;
	w.diag = diag;
	if (cp.size > s->edge.size &&
	    (err = walk_tree(&w, fd, cp.size, cp.root, diag)) != 0)
		goto out_free;
	r->tiles = w.tiles;
	if (fsync(fd) != 0) {
		err = corridor_diag_set(diag, errno == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
					"cannot write the leaf hashes: %s", strerror(errno));
		goto out_free;
	}
	err = state_save(state_dir, &s->edge, text, note_len, diag);
out_free:
	if (fd >= 0)
		close(fd);
	free(nb);
	free(w.tile);
	free(s);
	return err;
}
