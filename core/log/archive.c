/*
 * archive.c — export, offline verification and replica import of archives.
 *
 * An archive is a msgpack stream: one canonical header map with string keys
 *   checkpoint (str: the signed note), first (uint), format ("corridor-archive"),
 *   origin (str), size (uint), version (1)
 * followed by one shortest-form `bin` per entry holding its canonical bytes,
 * seqs first .. size-1 in order, and nothing after.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

#include "log.h"

#define ARCHIVE_FORMAT "corridor-archive"
#define ARCHIVE_VERSION 1u
#define ARCHIVE_HEADER_BYTES_MAX (CORRIDOR_NOTE_BYTES_MAX + 1024u)

/* ---- export ---- */

static int fwrite_cb(void *data, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, (FILE *)data) == len ? 0 : -1;
}

#define EXPORT_PROGRESS_EVERY 4096u /* entries between two progress reports */

struct export_args {
	uint64_t from;
	const char *path;
	corridor_progress_fn progress;
	void *pctx;
};

/* The archive of [from, latest signed checkpoint) from one snapshot. */
static int export_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	const struct export_args *a = vctx;
	struct corridor_ledger *l = snap->l;
	MDB_txn *txn = snap->txn;
	uint64_t from = a->from;
	const char *path = a->path;
	MDB_cursor *cur = NULL;
	MDB_val k, note, v;
	FILE *f = NULL;
	uint64_t size = 0;
	int rc, err;
	if ((err = corridor_checkpoint_read(l, txn, &size, &note, diag)) != 0)
		goto out_close;
	if ((rc = mdb_cursor_open(txn, l->entries, &cur)) != 0) {
		err = corridor_lmdb_err(l, rc, "cannot open a cursor", diag);
		goto out_close;
	}
	if (from > size) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"--from %llu is beyond the latest signed checkpoint (%llu)",
					(unsigned long long)from, (unsigned long long)size);
		goto out_close;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = corridor_diag_set(diag, errno == EEXIST ? CORRIDOR_E_EXISTS : CORRIDOR_E_IO,
					"cannot create %s: %s", path, strerror(errno));
		goto out_close;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot open %s", path);
		goto out_unlink;
	}
	msgpack_packer pk;
	msgpack_packer_init(&pk, f, fwrite_cb);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "checkpoint", 10);
	corridor_mp_pack_str(&pk, note.mv_data, note.mv_size);
	corridor_mp_pack_str(&pk, "first", 5);
	msgpack_pack_uint64(&pk, from);
	corridor_mp_pack_str(&pk, "format", 6);
	corridor_mp_pack_str(&pk, ARCHIVE_FORMAT, strlen(ARCHIVE_FORMAT));
	corridor_mp_pack_str(&pk, "origin", 6);
	corridor_mp_pack_str(&pk, l->origin, strlen(l->origin));
	corridor_mp_pack_str(&pk, "size", 4);
	msgpack_pack_uint64(&pk, size);
	corridor_mp_pack_str(&pk, "version", 7);
	msgpack_pack_uint64(&pk, ARCHIVE_VERSION);
	uint8_t kb[8];
	corridor_be64_put(kb, from);
	k.mv_size = 8;
	k.mv_data = kb;
	uint64_t seq = from;
	for (rc = from < size ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : MDB_NOTFOUND;
	     rc == 0 && seq < size; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), seq++) {
		if (k.mv_size != 8 || corridor_be64_get(k.mv_data) != seq) {
			err = corridor_diag_seq(diag, CORRIDOR_E_STORAGE, seq, "entry %llu is missing",
						(unsigned long long)seq);
			goto out_unlink;
		}
		msgpack_pack_bin(&pk, v.mv_size);
		msgpack_pack_bin_body(&pk, v.mv_data, v.mv_size);
		if (a->progress && ((seq - from + 1) % EXPORT_PROGRESS_EVERY == 0 || seq + 1 == size))
			a->progress(a->pctx, seq - from + 1, size - from);
	}
	if (seq != size) {
		err = corridor_diag_seq(diag, CORRIDOR_E_STORAGE, seq, "entry %llu is missing",
					(unsigned long long)seq);
		goto out_unlink;
	}
	if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		err = corridor_diag_set(diag, errno == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
					"cannot write %s: %s", path, strerror(errno));
		goto out_unlink;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s", path);
		goto out_unlink;
	}
	f = NULL;
	err = CORRIDOR_OK;
	goto out_close;
out_unlink:
	if (f)
		fclose(f);
	f = NULL;
	unlink(path);
out_close:
	if (cur)
		mdb_cursor_close(cur);
	return err;
}

int corridor_archive_export(struct corridor_ledger *l, uint64_t from, const char *path,
			    struct corridor_diag *diag)
{
	return corridor_archive_export_with(l, from, path, NULL, NULL, diag);
}

int corridor_archive_export_with(struct corridor_ledger *l, uint64_t from, const char *path,
				 corridor_progress_fn progress, void *ctx, struct corridor_diag *diag)
{
	struct export_args a = { .from = from, .path = path, .progress = progress, .pctx = ctx };
	return corridor_ledger_read(l, export_fn, &a, diag);
}

/* ---- reading ----
 *
 * Archives are read with read(2) through one bounded buffer, never mapped: a
 * file truncated or rewritten while it is read is an ordinary error ("archive
 * truncated"), not a SIGBUS. Entries handed out stay in the buffer until the
 * caller releases them (archive_release), so a chunk can be fed at once. */

#define ARCHIVE_BUF_BYTES (8u << 20) /* the buffer of a large archive */
/* the smallest buffer: the header, or one largest entry and its bin header */
#define ARCHIVE_BUF_MIN (ARCHIVE_HEADER_BYTES_MAX + CORRIDOR_ENTRY_BYTES_MAX + 3u)

struct archive {
	int fd;
	uint8_t *buf;
	size_t cap;   /* the buffer's size: the file's, within [ARCHIVE_BUF_MIN, ARCHIVE_BUF_BYTES] */
	size_t keep;  /* buf[keep, pos): entries handed out and not released */
	size_t pos;   /* buf[pos, end): read, not yet consumed */
	size_t end;
	bool eof;
	size_t hlen;  /* the header's length: where the entries start in the file */
	uint64_t first, size, next;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	char *cp;     /* the checkpoint note (a copy) */
	size_t cp_len;
};

#define ARCHIVE_FULL 1 /* archive_next: release what was handed out, then ask again */

int corridor_header_str(const uint8_t *h, size_t hlen, const char *key, const char **s,
			size_t *n)
{
	size_t vlen;
	const uint8_t *v = corridor_map_find(h, hlen, key, &vlen);
	return v && corridor_mp_str(v, vlen, s, n) == 0 ? CORRIDOR_OK : CORRIDOR_E_MALFORMED;
}

int corridor_header_uint(const uint8_t *h, size_t hlen, const char *key, uint64_t *out)
{
	size_t vlen;
	const uint8_t *v = corridor_map_find(h, hlen, key, &vlen);
	return v && corridor_mp_uint(v, vlen, out) == 0 ? CORRIDOR_OK : CORRIDOR_E_MALFORMED;
}

static void archive_close(struct archive *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	free(a->buf);
	free(a->cp);
	a->buf = NULL;
	a->cp = NULL;
}

/* Makes buf[pos, pos + need) readable, unless the end of the file comes
 * first (then *got is less). ARCHIVE_FULL if that needs the room taken by
 * entries not yet released. */
static int archive_fill(struct archive *a, size_t need, size_t *got, struct corridor_diag *diag)
{
	CORRIDOR_ASSERT(need <= a->cap);
	while (a->end - a->pos < need && !a->eof) {
		if (a->cap - a->pos < need) {
			/* room only by moving what is unread to the front, which
			 * would move entries handed out: they must be released */
			if (a->keep != a->pos)
				return ARCHIVE_FULL;
			memmove(a->buf, a->buf + a->pos, a->end - a->pos);
			a->end -= a->pos;
			a->pos = a->keep = 0;
		}
		ssize_t n = read(a->fd, a->buf + a->end, a->cap - a->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read the archive: %s",
						 strerror(errno));
		if (n == 0)
			a->eof = true;
		a->end += (size_t)n;
	}
	*got = a->end - a->pos < need ? a->end - a->pos : need;
	return CORRIDOR_OK;
}

static void archive_release(struct archive *a)
{
	a->keep = a->pos;
}

/* Back to the first entry (a write transaction may run more than once). */
static int archive_rewind(struct archive *a, struct corridor_diag *diag)
{
	if (lseek(a->fd, (off_t)a->hlen, SEEK_SET) < 0)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read the archive: %s",
					 strerror(errno));
	a->keep = a->pos = a->end = 0;
	a->eof = false;
	a->next = a->first;
	return CORRIDOR_OK;
}

static int archive_open(const char *path, struct archive *a, struct corridor_diag *diag)
{
	struct stat st;
	struct corridor_mpscan scan;
	memset(a, 0, sizeof *a);
	a->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0)
		return corridor_diag_set(diag, CORRIDOR_E_IO,
					 "cannot open %s: %s", path, strerror(errno));
	if (fstat(a->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		archive_close(a);
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "%s is not an archive (empty)",
					 path);
	}
	a->cap = (uint64_t)st.st_size < ARCHIVE_BUF_MIN   ? ARCHIVE_BUF_MIN
		 : (uint64_t)st.st_size > ARCHIVE_BUF_BYTES ? ARCHIVE_BUF_BYTES
							    : (size_t)st.st_size;
	if (!(a->buf = malloc(a->cap))) {
		archive_close(a);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	size_t hlen = 0, got = 0;
	const char *s, *cp;
	size_t n;
	uint64_t version;
	int err = archive_fill(a, ARCHIVE_HEADER_BYTES_MAX, &got, diag);
	if (!err)
		err = corridor_mpscan_prefix(a->buf, got, 2, &scan, &hlen, diag);
	if (!err)
		err = corridor_msgpack_check_canonical(a->buf, hlen, 2, diag);
	if (err) {
		char why[CORRIDOR_DIAG_BYTES_MAX];
		snprintf(why, sizeof why, "%s", diag ? diag->text : "");
		archive_close(a);
		return corridor_diag_set(diag, err == CORRIDOR_E_IO ? err : CORRIDOR_E_MALFORMED,
					 "archive header: %s", why);
	}
	const uint8_t *h = a->buf;
	if (h[0] != 0x86u || corridor_header_str(h, hlen, "format", &s, &n) ||
	    n != strlen(ARCHIVE_FORMAT) || memcmp(s, ARCHIVE_FORMAT, n) != 0 ||
	    corridor_header_uint(h, hlen, "version", &version) || version != ARCHIVE_VERSION ||
	    corridor_header_uint(h, hlen, "first", &a->first) ||
	    corridor_header_uint(h, hlen, "size", &a->size) || a->first > a->size ||
	    corridor_header_str(h, hlen, "checkpoint", &cp, &a->cp_len) ||
	    corridor_header_str(h, hlen, "origin", &s, &n) || !corridor_key_name_valid(s, n)) {
		archive_close(a);
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "%s is not a Corridor archive of version %u (header fields)",
					 path, ARCHIVE_VERSION);
	}
	memcpy(a->origin, s, n);
	a->origin[n] = '\0';
	if (!(a->cp = malloc(a->cp_len ? a->cp_len : 1))) {
		archive_close(a);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	memcpy(a->cp, cp, a->cp_len);
	a->hlen = hlen;
	a->pos = a->keep = hlen;
	a->next = a->first;
	return CORRIDOR_OK;
}

/* The next entry's bytes (valid until archive_release and the next call that
 * needs room), CORRIDOR_E_NOTFOUND after the last one, or ARCHIVE_FULL. */
static int archive_next(struct archive *a, const uint8_t **bytes, size_t *len,
			struct corridor_diag *diag)
{
	size_t got;
	int err;
	if (a->next == a->size) {
		if ((err = archive_fill(a, 1, &got, diag)) != 0)
			return err;
		if (got)
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "archive has bytes after its last entry");
		return CORRIDOR_E_NOTFOUND;
	}
	if ((err = archive_fill(a, 3, &got, diag)) != 0)
		return err;
	const uint8_t *p = a->buf + a->pos;
	size_t hdr, n;
	if (got >= 2 && p[0] == 0xc4u) {
		hdr = 2;
		n = p[1];
	} else if (got >= 3 && p[0] == 0xc5u) {
		hdr = 3;
		n = (size_t)p[1] << 8 | p[2];
		if (n < 256)
			return corridor_diag_seq(diag, CORRIDOR_E_NONCANONICAL, a->next,
						 "archive entry %llu: bin16 for a short entry",
						 (unsigned long long)a->next);
	} else {
		return corridor_diag_seq(diag, CORRIDOR_E_MALFORMED, a->next,
					 "archive truncated or malformed at entry %llu",
					 (unsigned long long)a->next);
	}
	if ((err = archive_fill(a, hdr + n, &got, diag)) != 0)
		return err;
	if (got < hdr + n)
		return corridor_diag_seq(diag, CORRIDOR_E_MALFORMED, a->next,
					 "archive truncated inside entry %llu",
					 (unsigned long long)a->next);
	*bytes = a->buf + a->pos + hdr;
	*len = n;
	a->pos += hdr + n;
	a->next++;
	return CORRIDOR_OK;
}

/* Feeds every entry of the archive to the verifier, a chunk at a time. */
static int archive_feed(struct archive *a, struct verifier *v, corridor_progress_fn progress,
			void *pctx, struct corridor_diag *diag)
{
	const uint8_t **ptrs = malloc(VERIFY_CHUNK_ENTRIES * sizeof *ptrs);
	size_t *lens = malloc(VERIFY_CHUNK_ENTRIES * sizeof *lens);
	int err = CORRIDOR_OK;
	if (!ptrs || !lens) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	bool done = false;
	while (!done) {
		size_t n = 0;
		while (n < VERIFY_CHUNK_ENTRIES) {
			err = archive_next(a, &ptrs[n], &lens[n], diag);
			if (err == ARCHIVE_FULL && n > 0) {
				err = CORRIDOR_OK; /* the buffer holds a chunk: feed it */
				break;
			}
			if (err == CORRIDOR_E_NOTFOUND) {
				err = CORRIDOR_OK;
				done = true;
				break;
			}
			if (err)
				break;
			n++;
		}
		CORRIDOR_ASSERT(err != ARCHIVE_FULL);
		int ferr = corridor_verifier_feed(v, ptrs, lens, n, diag);
		archive_release(a);
		if (ferr || err) {
			err = ferr ? ferr : err;
			break;
		}
		if (progress)
			progress(pctx, a->next - a->first, a->size - a->first);
	}
out_free:
	free(ptrs);
	free(lens);
	return err;
}

/* The auditor's verifier key must be one of the operator's keys in the log:
 * from it, the log's own chain of operator key rotations (each signed by the
 * key before) leads to the key that signs the checkpoint. */
static int check_pinned(const struct kind_state *st, const struct corridor_vkey *vkey,
			struct corridor_diag *diag)
{
	struct key_record rec;
	if (!vkey)
		return CORRIDOR_OK;
	if (strcmp(vkey->name, st->origin) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "the verifier key is named '%s', the ledger's origin is '%s'",
					 vkey->name, st->origin);
	if (vkey->sigtype != CORRIDOR_SIGTYPE_ED25519 ||
	    corridor_key_get(st->kv, vkey->name, vkey->key_id, &rec) != 0 ||
	    sodium_memcmp(rec.public_key, vkey->public_key, 32) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "the verifier key is not one of the operator keys this log "
					 "records");
	return CORRIDOR_OK;
}

int corridor_archive_verify(const char *path, const struct corridor_vkey *vkey,
			    corridor_progress_fn progress, void *pctx, struct corridor_diag *diag)
{
	struct archive a;
	struct verifier *v = NULL;
	struct corridor_merkle_range empty;
	const uint8_t zero[CORRIDOR_HASH_BYTES] = { 0 };
	int err = archive_open(path, &a, diag);
	if (err)
		return err;
	if (a.first != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
					"archive starts at seq %llu: a partial archive only extends "
					"a replica that holds the entries before it ('corridor "
					"import')",
					(unsigned long long)a.first);
		goto out_close;
	}
	corridor_merkle_range_init(&empty);
	if ((err = corridor_verifier_new(&v, 0, zero, 0, &empty, NULL)) != 0) {
		corridor_diag_set(diag, err, "out of memory");
		goto out_close;
	}
	if ((err = archive_feed(&a, v, progress, pctx, diag)) != 0)
		goto out_close;
	const struct kind_state *st = corridor_verifier_state(v);
	uint8_t root[CORRIDOR_HASH_BYTES];
	corridor_merkle_range_root(corridor_verifier_range(v), root);
	if (strcmp(st->origin, a.origin) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"archive header origin does not match its genesis entry");
		goto out_close;
	}
	if ((err = check_pinned(st, vkey, diag)) != 0)
		goto out_close;
	err = corridor_checkpoint_check(st, a.cp, a.cp_len, a.size, root, diag);
out_close:
	corridor_verifier_free(v);
	archive_close(&a);
	return err;
}

/* ---- import into a replica ---- */

struct import_ctx {
	struct archive *a;
	const struct corridor_vkey *vkey;
	corridor_progress_fn progress;
	void *pctx;
	bool fresh;
	uint64_t size;
	MDB_txn *txn;
	struct corridor_ledger *l;
};

static int import_node(void *ctx, unsigned level, uint64_t index,
		       const uint8_t hash[CORRIDOR_HASH_BYTES], struct corridor_diag *diag)
{
	struct import_ctx *c = ctx;
	struct node_ctx nc = { .l = c->l, .txn = c->txn };
	int err = corridor_node_put(&nc, level, index, hash);
	return err ? corridor_diag_set(diag, err, "cannot store a Merkle node") : CORRIDOR_OK;
}

static int import_entry(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len,
			const struct corridor_merkle_range *range, const struct kind_state *st,
			struct corridor_diag *diag)
{
	struct import_ctx *c = ctx;
	uint8_t kb[8];
	(void)range;
	(void)st;
	corridor_be64_put(kb, seq);
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v = { .mv_size = len, .mv_data = (void *)bytes };
	int rc = mdb_put(c->txn, c->l->entries, &k, &v, MDB_APPEND);
	return rc ? corridor_lmdb_err(c->l, rc, "cannot store an entry", diag) : CORRIDOR_OK;
}

static int import_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx, struct corridor_diag *diag)
{
	struct import_ctx *c = vctx;
	struct ledger_head head;
	struct corridor_merkle_range range;
	struct node_ctx nc = { .l = l, .txn = txn };
	struct verifier *v = NULL;
	struct archive *a = c->a;
	int err;
	c->txn = txn;
	c->l = l;
	if ((err = corridor_head_get(l, txn, &head, diag)) != 0)
		return err;
	if (c->fresh) {
		if ((err = corridor_replica_init_txn(l, txn, a->origin, diag)) != 0)
			return err;
	} else if (strcmp(l->origin, a->origin) != 0) {
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the archive is of origin '%s', this replica of '%s'",
					 a->origin, l->origin);
	}
	if (a->first != head.size)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the archive starts at seq %llu but the replica holds %llu "
					 "entries",
					 (unsigned long long)a->first, (unsigned long long)head.size);
	if ((err = corridor_merkle_range_load(&range, corridor_node_get, &nc, head.size)) != 0)
		return corridor_diag_set(diag, err, "cannot load the replica's Merkle tree");
	struct verifier_hooks hooks = { .node = import_node, .entry = import_entry, .ctx = c };
	if ((err = corridor_verifier_new(&v, head.size, head.tip, head.time_us, &range, &hooks)) != 0)
		return corridor_diag_set(diag, err, "out of memory");
	/* The replica's own tables take the state: nothing to load or copy. */
	struct corridor_kv_lmdb kv;
	corridor_kv_lmdb_init(&kv, l, txn);
	corridor_verifier_use_kv(v, &kv.base, corridor_stored_content_hash, &nc);
	corridor_verifier_use_tree(v, corridor_stored_tree_root, &nc);
	struct kind_state *st = corridor_verifier_state(v);
	if (!c->fresh) {
		memcpy(st->origin, l->origin, strlen(l->origin) + 1);
		st->lifetime_max_us = l->lifetime_max_us;
		st->operator_key_id = head.operator_key_id;
	}
	/* Rewind to the first entry (the header was parsed at open). */
	if ((err = archive_rewind(a, diag)) != 0 ||
	    (err = archive_feed(a, v, c->progress, c->pctx, diag)) != 0)
		goto out_free;
	uint8_t root[CORRIDOR_HASH_BYTES];
	corridor_merkle_range_root(corridor_verifier_range(v), root);
	if ((err = check_pinned(st, c->vkey, diag)) != 0 ||
	    (err = corridor_checkpoint_check(st, a->cp, a->cp_len, a->size, root, diag)) != 0 ||
	    (c->fresh && (err = corridor_ledger_founded_txn(l, txn, st, diag)) != 0))
		goto out_free;
	/* The new checkpoint must be consistent with the replica's latest one. */
	MDB_cursor *cur;
	MDB_val k, note;
	int rc = mdb_cursor_open(txn, l->checkpoints, &cur);
	if (rc) {
		err = corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
		goto out_free;
	}
	rc = mdb_cursor_get(cur, &k, &note, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == 0) {
		struct corridor_note parsed;
		struct corridor_checkpoint old;
		uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
		size_t count;
		if (corridor_note_parse(note.mv_data, note.mv_size, &parsed) != 0 ||
		    corridor_checkpoint_parse(note.mv_data, parsed.text_len, &old) != 0 ||
		    old.size > a->size ||
		    corridor_merkle_prove_consistency(corridor_node_get, &nc, old.size, a->size,
						      proof, &count) != 0 ||
		    corridor_merkle_verify_consistency(
			    old.size, a->size, old.root, 32, root, 32,
			    (const uint8_t(*)[CORRIDOR_HASH_BYTES])proof, count) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						"the archive's checkpoint is not consistent with the "
						"replica's checkpoint");
			goto out_free;
		}
	}
	/* Store the head and the checkpoint. */
	head.size = a->size;
	memcpy(head.root, root, CORRIDOR_HASH_BYTES);
	corridor_verifier_tip(v, head.tip, &head.time_us);
	head.operator_key_id = st->operator_key_id;
	if ((err = corridor_head_put(l, txn, &head, diag)) != 0)
		goto out_free;
	uint8_t kb[8];
	corridor_be64_put(kb, a->size);
	k.mv_size = 8;
	k.mv_data = kb;
	note.mv_size = a->cp_len;
	note.mv_data = (void *)a->cp;
	if (a->size > 0 && (rc = mdb_put(txn, l->checkpoints, &k, &note, 0)) != 0) {
		err = corridor_lmdb_err(l, rc, "cannot store the checkpoint", diag);
		goto out_free;
	}
	c->size = a->size;
	err = CORRIDOR_OK;
out_free:
	corridor_verifier_free(v);
	return err;
}

/* Into a replica, or (restore) into the operator's own ledger. */
static int import_into(const char *dir, const char *path, const struct corridor_vkey *vkey,
		       bool restore, corridor_progress_fn progress, void *pctx, uint64_t *size_out,
		       struct corridor_diag *diag)
{
	struct archive a;
	struct corridor_ledger *l = NULL;
	if (restore && !vkey)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "a restore needs the operator's verifier key");
	int err = archive_open(path, &a, diag);
	if (err)
		return err;
	struct import_ctx c = { .a = &a, .vkey = vkey, .progress = progress, .pctx = pctx };
	err = corridor_ledger_open(dir, 0, &l, NULL);
	if (err == CORRIDOR_E_NOTFOUND && restore) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"%s holds no ledger to restore (a replica is built "
					"without --restore)",
					dir);
		goto out_close;
	} else if (err == CORRIDOR_E_NOTFOUND) {
		if (a.first != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"%s holds no replica: start it from a full archive "
						"(this one starts at seq %llu)",
						dir, (unsigned long long)a.first);
			goto out_close;
		}
		if ((err = corridor_replica_create(dir, &l, diag)) != 0)
			goto out_close;
		c.fresh = true;
	} else if (err) {
		err = corridor_ledger_open(dir, 0, &l, diag); /* again, for the message */
		if (!err)
			corridor_ledger_close(l);
		l = NULL;
		err = err ? err : CORRIDOR_E_STORAGE;
		goto out_close;
	} else if (!corridor_ledger_is_replica(l) && !restore) {
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					"%s holds a ledger that is not a replica: archives are "
					"imported into replicas only (--restore takes back into "
					"the operator's ledger the entries it published)",
					dir);
		goto out_close;
	} else if (corridor_ledger_is_replica(l) && restore) {
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					"%s holds a replica: it is brought up to date without "
					"--restore",
					dir);
		goto out_close;
	}
	err = corridor_ledger_write(l, import_fn, &c, diag);
	if (!err && size_out)
		*size_out = c.size;
out_close:
	corridor_ledger_close(l);
	if (err && c.fresh)
		corridor_env_discard(dir); /* a failed first import leaves no empty replica */
	archive_close(&a);
	return err;
}

int corridor_archive_import(const char *dir, const char *path, const struct corridor_vkey *vkey,
			    uint64_t *size_out, struct corridor_diag *diag)
{
	return import_into(dir, path, vkey, false, NULL, NULL, size_out, diag);
}

int corridor_archive_import_with(const char *dir, const char *path,
				 const struct corridor_vkey *vkey, corridor_progress_fn progress,
				 void *ctx, uint64_t *size_out, struct corridor_diag *diag)
{
	return import_into(dir, path, vkey, false, progress, ctx, size_out, diag);
}

int corridor_archive_restore(const char *dir, const char *path, const struct corridor_vkey *vkey,
			     uint64_t *size_out, struct corridor_diag *diag)
{
	return import_into(dir, path, vkey, true, NULL, NULL, size_out, diag);
}
