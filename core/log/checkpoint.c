/*
 * checkpoint.c — signed checkpoints of the stored tree, and the inclusion and
 * consistency proofs under them (docs/FORMAT.md "Checkpoints", "Proofs").
 */
#include <errno.h>
#include <sys/stat.h>

#include <sodium.h>

#include "log.h"

/* ---- checkpoints ---- */

int corridor_checkpoint_sign_txn(struct corridor_ledger *l, MDB_txn *txn,
				 const struct ledger_head *head,
				 const struct corridor_signer *signer, struct corridor_diag *diag)
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	struct corridor_kv_lmdb kv;
	struct key_record rec;
	if (head->size == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the log is empty");
	corridor_kv_lmdb_init(&kv, l, txn);
	if (strcmp(vk->name, l->origin) != 0 || vk->key_id != head->operator_key_id ||
	    corridor_key_get(&kv.base, vk->name, vk->key_id, &rec) != 0 ||
	    sodium_memcmp(rec.public_key, vk->public_key, CORRIDOR_PUBLIC_KEY_BYTES) != 0 ||
	    head->size < rec.valid_from || head->size > rec.valid_until)
		return corridor_diag_set(diag, CORRIDOR_E_KEY,
					 "only the operator's current key (%s) signs checkpoints",
					 l->origin);
	uint8_t kb[8];
	corridor_be64_put(kb, head->size);
	MDB_val key = { .mv_size = 8, .mv_data = kb }, val;
	int rc = mdb_get(txn, l->checkpoints, &key, &val);
	if (rc == 0)
		return CORRIDOR_OK; /* this head is signed already */
	if (rc != MDB_NOTFOUND)
		return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
	struct corridor_checkpoint cp = { .size = head->size };
	memcpy(cp.origin, l->origin, strlen(l->origin) + 1);
	memcpy(cp.root, head->root, CORRIDOR_HASH_BYTES);
	char text[CORRIDOR_NAME_BYTES_MAX + 128];
	size_t tlen;
	char *note;
	size_t nlen;
	int err = corridor_checkpoint_format(&cp, text, sizeof text, &tlen);
	if (!err)
		err = corridor_note_sign(text, tlen, signer, &note, &nlen);
	if (err)
		return corridor_diag_set(diag, err, "cannot sign the checkpoint");
	val.mv_size = nlen;
	val.mv_data = note;
	rc = mdb_put(txn, l->checkpoints, &key, &val, 0);
	free(note);
	return rc ? corridor_lmdb_err(l, rc, "cannot store the checkpoint", diag) : CORRIDOR_OK;
}

struct cp_sign_ctx {
	const struct corridor_signer *signer;
	uint64_t size;
};

static int cp_sign_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx, struct corridor_diag *diag)
{
	struct cp_sign_ctx *c = vctx;
	struct ledger_head head;
	int err = corridor_head_get(l, txn, &head, diag);
	if (err)
		return err;
	c->size = head.size;
	return corridor_checkpoint_sign_txn(l, txn, &head, c->signer, diag);
}

int corridor_checkpoint_sign(struct corridor_ledger *l, const struct corridor_signer *operator_key,
			     uint64_t *size_out, struct corridor_diag *diag)
{
	struct cp_sign_ctx c = { .signer = operator_key };
	if (l->replica)
		return corridor_diag_set(diag, CORRIDOR_E_REPLICA,
					 "this ledger is a replica: its checkpoints come from archives");
	int err = corridor_ledger_write(l, cp_sign_fn, &c, diag);
	if (!err && size_out)
		*size_out = c.size;
	return err;
}

int corridor_checkpoint_read(struct corridor_ledger *l, MDB_txn *txn, uint64_t *size, MDB_val *note,
			   struct corridor_diag *diag)
{
	uint8_t kb[8];
	MDB_val key = { .mv_size = 8, .mv_data = kb };
	int rc;
	if (*size == 0) {
		MDB_cursor *cur;
		if ((rc = mdb_cursor_open(txn, l->checkpoints, &cur)) != 0)
			return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
		rc = mdb_cursor_get(cur, &key, note, MDB_LAST);
		mdb_cursor_close(cur);
	} else {
		corridor_be64_put(kb, *size);
		rc = mdb_get(txn, l->checkpoints, &key, note);
	}
	if (rc == MDB_NOTFOUND && *size)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no signed checkpoint of size %llu",
					 (unsigned long long)*size);
	if (rc == MDB_NOTFOUND)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					 "no signed checkpoint yet (the operator runs 'corridor "
					 "checkpoint sign')");
	if (rc)
		return corridor_lmdb_err(l, rc, "cannot read checkpoints", diag);
	if (key.mv_size != 8)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "checkpoint table is corrupt");
	*size = corridor_be64_get(key.mv_data);
	return CORRIDOR_OK;
}

struct checkpoint_get_args {
	uint64_t size;
	char **note;
	size_t *note_len;
};

static int checkpoint_get_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct checkpoint_get_args *args = vctx;
	uint64_t size = args->size;
	char **note = args->note;
	size_t *note_len = args->note_len;
	MDB_val v;
	int err;
	err = corridor_checkpoint_read(snap->l, snap->txn, &size, &v, diag);
	if (!err) {
		*note = malloc(v.mv_size + 1);
		if (!*note) {
			err = CORRIDOR_E_NOMEM;
		} else {
			memcpy(*note, v.mv_data, v.mv_size);
			(*note)[v.mv_size] = '\0';
			*note_len = v.mv_size;
		}
	}
	return err;
}

int corridor_checkpoint_get(struct corridor_ledger *l, uint64_t size, char **note, size_t *note_len,
			    struct corridor_diag *diag)
{
	struct checkpoint_get_args args = { .size = size, .note = note, .note_len = note_len };
	return corridor_ledger_read(l, checkpoint_get_fn, &args, diag);
}

struct prove_inclusion_args {
	uint64_t seq;
	FILE *out;
};

static int prove_inclusion_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct prove_inclusion_args *args = vctx;
	uint64_t seq = args->seq;
	FILE *out = args->out;
	MDB_val note;
	struct ledger_head head;
	uint64_t size = 0;
	uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
	size_t count;
	int err;
	struct node_ctx nc = { .l = snap->l, .txn = snap->txn };
	if ((err = corridor_head_get(snap->l, snap->txn, &head, diag)) != 0)
		goto out;
	if (seq >= head.size) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no entry %llu (the log has %llu)",
					(unsigned long long)seq, (unsigned long long)head.size);
		goto out;
	}
	if ((err = corridor_checkpoint_read(snap->l, snap->txn, &size, &note, diag)) != 0)
		goto out;
	if (size <= seq) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"no signed checkpoint contains entry %llu yet (latest size "
					"%llu): the operator runs 'corridor checkpoint sign'",
					(unsigned long long)seq, (unsigned long long)size);
		goto out;
	}
	err = corridor_merkle_prove_inclusion(corridor_node_get, &nc, seq, size, proof, &count);
	if (err) {
		err = corridor_diag_set(diag, CORRIDOR_E_STORAGE, "cannot build the proof");
		goto out;
	}
	err = corridor_tlog_proof_write(out, seq, (const uint8_t(*)[CORRIDOR_HASH_BYTES])proof,
					count, note.mv_data, note.mv_size);
	if (err)
		corridor_diag_set(diag, err, "cannot write the proof");
out:
	return err;
}

int corridor_prove_inclusion(struct corridor_ledger *l, uint64_t seq, FILE *out,
			     struct corridor_diag *diag)
{
	struct prove_inclusion_args args = { .seq = seq, .out = out };
	return corridor_ledger_read(l, prove_inclusion_fn, &args, diag);
}

struct consistency_args {
	uint64_t size1, *size2;
	uint8_t (*out)[CORRIDOR_HASH_BYTES];
	size_t *count;
};

static int prove_consistency_fn(const struct corridor_snapshot *snap, void *vctx,
				struct corridor_diag *diag)
{
	struct consistency_args *a = vctx;
	struct ledger_head head;
	struct node_ctx nc = { .l = snap->l, .txn = snap->txn };
	int err = corridor_head_get(snap->l, snap->txn, &head, diag);
	if (err)
		return err;
	if (*a->size2 == 0) {
		MDB_val note;
		if ((err = corridor_checkpoint_read(snap->l, snap->txn, a->size2, &note, diag)) != 0)
			return err;
	}
	if (a->size1 == 0 || a->size1 > *a->size2 || *a->size2 > head.size)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "sizes must satisfy 0 < old (%llu) <= new (%llu) <= tree size "
					 "(%llu)",
					 (unsigned long long)a->size1, (unsigned long long)*a->size2,
					 (unsigned long long)head.size);
	err = corridor_merkle_prove_consistency(corridor_node_get, &nc, a->size1, *a->size2, a->out,
						a->count);
	return err ? corridor_diag_set(diag, CORRIDOR_E_STORAGE, "cannot build the proof") : 0;
}

int corridor_prove_consistency(struct corridor_ledger *l, uint64_t size1, uint64_t *size2,
			       uint8_t (*out)[CORRIDOR_HASH_BYTES], size_t *count,
			       struct corridor_diag *diag)
{
	struct consistency_args a = { .size1 = size1, .size2 = size2, .out = out, .count = count };
	return corridor_ledger_read(l, prove_consistency_fn, &a, diag);
}

/* ---- what the ledger published, against what it holds ---- */

struct held_args {
	const struct corridor_checkpoint *cp;
};

static int held_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	const struct held_args *a = vctx;
	struct ledger_head head;
	struct node_ctx nc = { .l = snap->l, .txn = snap->txn };
	uint8_t root[CORRIDOR_HASH_BYTES];
	int err = corridor_head_get(snap->l, snap->txn, &head, diag);
	if (err)
		return err;
	if (a->cp->size > head.size)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "this ledger holds %llu entries, behind the checkpoint of "
					 "size %llu it published",
					 (unsigned long long)head.size,
					 (unsigned long long)a->cp->size);
	if ((err = corridor_merkle_root(corridor_node_get, &nc, a->cp->size, root)) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "cannot read the Merkle tree");
	if (sodium_memcmp(root, a->cp->root, CORRIDOR_HASH_BYTES) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, a->cp->size - 1,
					 "this ledger's tree of size %llu is not the one it published "
					 "(another history)",
					 (unsigned long long)a->cp->size);
	return CORRIDOR_OK;
}

int corridor_checkpoint_held(struct corridor_ledger *l, const char *note, size_t len,
			     const struct corridor_vkey *vkey, struct corridor_diag *diag)
{
	struct corridor_note parsed;
	struct corridor_checkpoint cp;
	if ((vkey ? corridor_note_open(note, len, vkey, 1, &parsed)
		  : corridor_note_parse(note, len, &parsed)) != 0 ||
	    corridor_checkpoint_parse(note, parsed.text_len, &cp) != 0 ||
	    strcmp(cp.origin, l->origin) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					 "not a checkpoint of %s signed by its operator key",
					 l->origin);
	if (cp.size == 0)
		return CORRIDOR_OK;
	struct held_args a = { .cp = &cp };
	return corridor_ledger_read(l, held_fn, &a, diag);
}

int corridor_published_save(const char *path, const char *note, size_t len,
			    struct corridor_diag *diag)
{
	return corridor_replace_file(path, note, len, 0644, diag);
}

int corridor_published_check(struct corridor_ledger *l, const char *path, uint64_t *size_out,
			     struct corridor_diag *diag)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	*size_out = 0;
	if (stat(path, &st) != 0 && errno == ENOENT)
		return CORRIDOR_OK; /* nothing published yet */
	int err = corridor_read_file(path, CORRIDOR_NOTE_BYTES_MAX, &buf, &len, diag);
	if (err)
		return err;
	struct corridor_note parsed;
	struct corridor_checkpoint cp;
	if (corridor_note_parse((const char *)buf, len, &parsed) == 0 &&
	    corridor_checkpoint_parse((const char *)buf, parsed.text_len, &cp) == 0)
		*size_out = cp.size;
	err = corridor_checkpoint_held(l, (const char *)buf, len, NULL, diag);
	free(buf);
	return err;
}
