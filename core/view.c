/*
 * view.c — a reader's view (docs/FORMAT.md §8a): the entries one party may
 * see, each with its inclusion proof under one signed checkpoint, written by
 * the service for a reader not entitled to the whole archive, and verified
 * offline with msgpack, SHA-256 and Ed25519 alone.
 *
 *   header  canonical map: checkpoint (str), format ("corridor-view"),
 *           origin (str), reader (str), size (uint), version (1)
 *   items   until the end of the file, seqs increasing in [0, size):
 *           [seq uint, entry bin, path [bin 32, ...]]
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

#include "log/log.h"

#define VIEW_FORMAT "corridor-view"
#define VIEW_VERSION 1u
/* a view file is read whole: a reader's part of a ledger, bounded */
#define VIEW_FILE_BYTES_MAX ((size_t)1 << 30)

/* ---- export ---- */

static int fwrite_cb(void *data, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, (FILE *)data) == len ? 0 : -1;
}

struct view_args {
	const char *reader, *path;
	size_t *count;
};

static int view_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	const struct view_args *a = vctx;
	struct corridor_ledger *l = snap->l;
	struct node_ctx nc = { .l = l, .txn = snap->txn };
	MDB_cursor *cur = NULL;
	MDB_val k, v, note;
	FILE *f = NULL;
	uint64_t size = 0;
	uint8_t (*proof)[CORRIDOR_HASH_BYTES] = malloc(CORRIDOR_PROOF_HASHES_MAX * sizeof *proof);
	int rc, err;
	*a->count = 0;
	if (!proof)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if ((err = corridor_checkpoint_read(l, snap->txn, &size, &note, diag)) != 0)
		goto out_close;
	if ((rc = mdb_cursor_open(snap->txn, l->entries, &cur)) != 0) {
		err = corridor_lmdb_err(l, rc, "cannot open a cursor", diag);
		goto out_close;
	}
	int fd = open(a->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "wb"))) {
		if (fd >= 0)
			close(fd);
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", a->path,
					strerror(errno));
		goto out_close;
	}
	msgpack_packer pk;
	msgpack_packer_init(&pk, f, fwrite_cb);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "checkpoint", 10);
	corridor_mp_pack_str(&pk, note.mv_data, note.mv_size);
	corridor_mp_pack_str(&pk, "format", 6);
	corridor_mp_pack_str(&pk, VIEW_FORMAT, strlen(VIEW_FORMAT));
	corridor_mp_pack_str(&pk, "origin", 6);
	corridor_mp_pack_str(&pk, l->origin, strlen(l->origin));
	corridor_mp_pack_str(&pk, "reader", 6);
	corridor_mp_pack_str(&pk, a->reader, strlen(a->reader));
	corridor_mp_pack_str(&pk, "size", 4);
	msgpack_pack_uint64(&pk, size);
	corridor_mp_pack_str(&pk, "version", 7);
	msgpack_pack_uint64(&pk, VIEW_VERSION);
	uint8_t kb[8];
	corridor_be64_put(kb, 0);
	k.mv_size = 8;
	k.mv_data = kb;
	uint64_t seq = 0;
	for (rc = size ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : MDB_NOTFOUND;
	     rc == 0 && seq < size; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), seq++) {
		bool may = false;
		size_t count = 0;
		if (k.mv_size != 8 || corridor_be64_get(k.mv_data) != seq) {
			err = corridor_diag_seq(diag, CORRIDOR_E_STORAGE, seq, "entry %llu is missing",
						(unsigned long long)seq);
			goto out_unlink;
		}
		if ((err = corridor_entry_visible(l, a->reader, v.mv_data, v.mv_size, &may, diag)) != 0)
			goto out_unlink;
		if (!may)
			continue;
		if (corridor_merkle_prove_inclusion(corridor_node_get, &nc, seq, size, proof,
						    &count) != 0) {
			err = corridor_diag_seq(diag, CORRIDOR_E_STORAGE, seq,
						"cannot prove entry %llu", (unsigned long long)seq);
			goto out_unlink;
		}
		msgpack_pack_array(&pk, 3);
		msgpack_pack_uint64(&pk, seq);
		msgpack_pack_bin(&pk, v.mv_size);
		msgpack_pack_bin_body(&pk, v.mv_data, v.mv_size);
		msgpack_pack_array(&pk, count);
		for (size_t i = 0; i < count; i++) {
			msgpack_pack_bin(&pk, CORRIDOR_HASH_BYTES);
			msgpack_pack_bin_body(&pk, proof[i], CORRIDOR_HASH_BYTES);
		}
		(*a->count)++;
	}
	if (ferror(f) || fflush(f) != 0) {
		err = corridor_diag_set(diag, errno == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
					"cannot write %s: %s", a->path, strerror(errno));
		goto out_unlink;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s", a->path);
		goto out_unlink;
	}
	f = NULL;
	err = CORRIDOR_OK;
	goto out_close;
out_unlink:
	if (f)
		fclose(f);
	f = NULL;
	unlink(a->path);
out_close:
	if (cur)
		mdb_cursor_close(cur);
	free(proof);
	return err;
}

int corridor_view_export(struct corridor_ledger *l, const char *reader, const char *path,
			 size_t *count, struct corridor_diag *diag)
{
	size_t n = 0;
	struct view_args a = { .reader = reader, .path = path, .count = count ? count : &n };
	return corridor_ledger_read(l, view_fn, &a, diag);
}

/* ---- verification ---- */

static int slurp(const char *path, uint8_t **buf, size_t *len, struct corridor_diag *diag)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*buf = NULL;
	if (fd < 0)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot open %s: %s", path,
					 strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > VIEW_FILE_BYTES_MAX) {
		close(fd);
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "%s is not a view (empty, or over 1 GiB)", path);
	}
	*len = (size_t)st.st_size;
	if (!(*buf = malloc(*len))) {
		close(fd);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	size_t got = 0;
	while (got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			free(*buf);
			*buf = NULL;
			return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read %s", path);
		}
		got += (size_t)n;
	}
	close(fd);
	return CORRIDOR_OK;
}

/* One item: [seq, entry, path], canonical. */
static int item_decode(const uint8_t *p, size_t len, uint64_t *seq, const uint8_t **entry,
		       size_t *entry_len, uint8_t (*path)[CORRIDOR_HASH_BYTES], size_t *count)
{
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	int err = CORRIDOR_E_MALFORMED;
	if (msgpack_unpack_next(&u, (const char *)p, len, NULL) != MSGPACK_UNPACK_SUCCESS)
		goto out;
	const msgpack_object *o = &u.data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3)
		goto out;
	const msgpack_object *a = o->via.array.ptr;
	if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[1].type != MSGPACK_OBJECT_BIN ||
	    a[2].type != MSGPACK_OBJECT_ARRAY || a[2].via.array.size > CORRIDOR_PROOF_HASHES_MAX)
		goto out;
	*seq = a[0].via.u64;
	*entry = (const uint8_t *)a[1].via.bin.ptr;
	*entry_len = a[1].via.bin.size;
	*count = a[2].via.array.size;
	for (size_t i = 0; i < *count; i++) {
		const msgpack_object *h = &a[2].via.array.ptr[i];
		if (h->type != MSGPACK_OBJECT_BIN || h->via.bin.size != CORRIDOR_HASH_BYTES)
			goto out;
		memcpy(path[i], h->via.bin.ptr, CORRIDOR_HASH_BYTES);
	}
	err = CORRIDOR_OK;
out:
	msgpack_unpacked_destroy(&u);
	return err;
}

/* The key `e` is signed with, valid at its seq, from the public entries seen. */
static int author_key(struct kind_state *st, const struct corridor_entry *e,
		      uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	struct key_record rec;
	if (corridor_key_get(st->kv, e->author, e->key_id, &rec) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "entry %llu: key %08x of '%s' is not in the view's key "
					 "history",
					 (unsigned long long)e->seq, (unsigned)e->key_id, e->author);
	if (e->seq < rec.valid_from || e->seq > rec.valid_until)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "entry %llu: key %08x of '%s' is not valid at that seq",
					 (unsigned long long)e->seq, (unsigned)e->key_id, e->author);
	memcpy(pub, rec.public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	return CORRIDOR_OK;
}

int corridor_view_verify(const char *path, const struct corridor_vkey *vkey,
			 corridor_view_entry_fn fn, void *ctx, struct corridor_view_info *info,
			 struct corridor_diag *diag)
{
	uint8_t *buf = NULL;
	size_t len = 0, hlen = 0;
	struct corridor_mpscan scan;
	struct corridor_kv_mem mem;
	struct kind_state st = { 0 };
	struct corridor_checkpoint cp;
	struct corridor_note *note = malloc(sizeof *note);
	uint8_t (*proof)[CORRIDOR_HASH_BYTES] = malloc(CORRIDOR_PROOF_HASHES_MAX * sizeof *proof);
	uint8_t *msg = malloc(CORRIDOR_SIG_MSG_BYTES_MAX);
	const char *s, *cpn;
	size_t n, cpn_len;
	uint64_t version;
	int err;
	memset(info, 0, sizeof *info);
	corridor_kv_mem_init(&mem);
	st.kv = &mem.base;
	if (!note || !proof || !msg) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	if ((err = slurp(path, &buf, &len, diag)) != 0)
		goto out_free;
	struct corridor_diag hd;
	corridor_diag_init(&hd);
	if (corridor_mpscan_prefix(buf, len, 2, &scan, &hlen, &hd) != 0 ||
	    corridor_msgpack_check_canonical(buf, hlen, 2, &hd) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "view header: %s", hd.text);
		goto out_free;
	}
	if (buf[0] != 0x86u || corridor_header_str(buf, hlen, "format", &s, &n) || n != strlen(VIEW_FORMAT) ||
	    memcmp(s, VIEW_FORMAT, n) != 0 || corridor_header_uint(buf, hlen, "version", &version) ||
	    version != VIEW_VERSION || corridor_header_uint(buf, hlen, "size", &info->size) ||
	    corridor_header_str(buf, hlen, "checkpoint", &cpn, &cpn_len) ||
	    corridor_header_str(buf, hlen, "reader", &s, &n) || !corridor_key_name_valid(s, n)) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					"%s is not a Corridor view of version %u (header fields)",
					path, VIEW_VERSION);
		goto out_free;
	}
	memcpy(info->reader, s, n);
	info->reader[n] = '\0';
	if (corridor_header_str(buf, hlen, "origin", &s, &n) || !corridor_key_name_valid(s, n)) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "view header: origin");
		goto out_free;
	}
	memcpy(info->origin, s, n);
	info->origin[n] = '\0';
	/* the checkpoint: signed by the verifier key, for this origin and size */
	if (!vkey || strcmp(vkey->name, info->origin) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_KEY,
					"the verifier key must be the operator's of '%s'", info->origin);
		goto out_free;
	}
	if (corridor_note_open(cpn, cpn_len, vkey, 1, note) != 0 ||
	    corridor_checkpoint_parse(cpn, note->text_len, &cp) != 0 ||
	    strcmp(cp.origin, info->origin) != 0 || cp.size != info->size) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"the view's checkpoint is not signed by the verifier key, or "
					"not for its origin and size");
		goto out_free;
	}
	memcpy(info->root, cp.root, CORRIDOR_HASH_BYTES);
	/* the items: each included under that root; public kinds replayed so
	 * that every author's key is known at every seq */
	uint64_t next = 0;
	for (size_t at = hlen; at < len;) {
		size_t ilen = 0, count = 0, elen;
		uint64_t seq;
		const uint8_t *eb;
		struct corridor_entry e;
		uint8_t leaf[CORRIDOR_HASH_BYTES], pub[CORRIDOR_PUBLIC_KEY_BYTES];
		if (corridor_mpscan_prefix(buf + at, len - at, 3, &scan, &ilen, NULL) != 0 ||
		    corridor_msgpack_check_canonical(buf + at, ilen, 3, NULL) != 0 ||
		    item_decode(buf + at, ilen, &seq, &eb, &elen, proof, &count) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						"view item %zu (at byte %zu) is malformed",
						info->count + 1, at);
			goto out_free;
		}
		at += ilen;
		if (seq < next || seq >= info->size) {
			err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
						"view item seq %llu out of order or beyond its size",
						(unsigned long long)seq);
			goto out_free;
		}
		next = seq + 1;
		if ((err = corridor_entry_decode(eb, elen, &e, diag)) != 0)
			goto out_free;
		if (e.seq != seq) {
			err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
						"view item %llu holds entry %llu",
						(unsigned long long)seq, (unsigned long long)e.seq);
			goto out_free;
		}
		corridor_merkle_leaf_hash(eb, elen, leaf);
		if (corridor_merkle_verify_inclusion(seq, info->size, leaf,
						     (const uint8_t (*)[CORRIDOR_HASH_BYTES])proof,
						     count, info->root, CORRIDOR_HASH_BYTES) != 0) {
			err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
						"entry %llu is not included in the checkpoint's tree",
						(unsigned long long)seq);
			goto out_free;
		}
		if (corridor_kind_public(e.kind)) {
			if ((err = corridor_kind_process(&st, &e, pub, diag)) != 0) {
				err = CORRIDOR_E_VERIFY;
				goto out_free;
			}
			info->public_count++;
		} else if ((err = author_key(&st, &e, pub, diag)) != 0) {
			goto out_free;
		}
		size_t mlen = corridor_entry_signed_message(eb, &e, msg);
		if (crypto_sign_verify_detached(e.sig, msg, mlen, pub) != 0) {
			err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
						"entry %llu: the signature does not verify with key "
						"%08x of '%s'",
						(unsigned long long)seq, (unsigned)e.key_id, e.author);
			goto out_free;
		}
		info->count++;
		if (fn && (err = fn(ctx, seq, eb, elen)) != 0)
			goto out_free;
	}
	if (strcmp(st.origin, info->origin) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					"the view does not start with this origin's genesis entry");
		goto out_free;
	}
	err = CORRIDOR_OK;
out_free:
	corridor_kv_mem_release(&mem);
	free(buf);
	free(note);
	free(proof);
	free(msg);
	return err;
}
