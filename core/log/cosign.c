/*
 * cosign.c — witness cosignatures (c2sp.org/tlog-cosignature, Ed25519, type
 * 0x04). A party with the auditor role checks that a stored checkpoint is
 * consistent with the last one it cosigned and adds its cosignature line to
 * the stored note; cosignatures live beside the log, not in it. Verification
 * checks every cosignature line of every stored checkpoint against the keys
 * the log records for that auditor.
 */
#include <time.h>

#include <sodium.h>

#include "log.h"

struct cosigner_keys {
	const char *buf;
	const struct corridor_note *note;
	size_t index;
	bool matched;
	int result;
};

static int try_key(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct cosigner_keys *c = ctx;
	struct key_record r;
	struct corridor_vkey vk, cv;
	if (corridor_key_record_decode(k, klen, v, vlen, &r) != 0)
		return CORRIDOR_E_STORAGE;
	memcpy(vk.name, r.name, sizeof vk.name);
	memcpy(vk.public_key, r.public_key, 32);
	vk.sigtype = CORRIDOR_SIGTYPE_ED25519;
	corridor_vkey_as_cosigner(&vk, &cv);
	int err = corridor_cosignature_verify(c->buf, c->note, c->index, &cv, NULL);
	if (err == CORRIDOR_E_KEY)
		return CORRIDOR_OK; /* another key of this party */
	c->matched = true;
	c->result = err;
	return 1; /* stop */
}

int corridor_cosignatures_check(const struct kind_state *st, const char *buf,
				const struct corridor_note *note, uint64_t size,
				struct corridor_diag *diag)
{
	for (size_t i = 0; i < note->sig_count; i++) {
		const struct corridor_note_sig *s = &note->sigs[i];
		char name[CORRIDOR_NAME_BYTES_MAX + 1];
		unsigned roles = 0;
		if (s->verified)
			continue; /* the operator's own signature */
		memcpy(name, buf + s->name_off, s->name_len);
		name[s->name_len] = '\0';
		if (corridor_party_roles(st->kv, name, &roles) != 0 || !(roles & CORRIDOR_ROLE_AUDITOR))
			return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						 "checkpoint %llu carries a signature by %s, which "
						 "is not an auditor of this ledger",
						 (unsigned long long)size, name);
		uint8_t prefix[CORRIDOR_NAME_BYTES_MAX + 1];
		memcpy(prefix, name, s->name_len);
		prefix[s->name_len] = 0;
		struct cosigner_keys c = { .buf = buf, .note = note, .index = i };
		int err = st->kv->scan(st->kv, STATE_KEYS, prefix, s->name_len + 1, try_key, &c);
		if (err < 0)
			return corridor_diag_set(diag, err, "cannot read the key index");
		if (!c.matched || c.result != 0)
			return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						 "checkpoint %llu: the cosignature by %s %s",
						 (unsigned long long)size, name,
						 c.matched ? "does not verify"
							   : "is by a key this ledger does not know");
	}
	return CORRIDOR_OK;
}

struct cosign_ctx {
	const struct corridor_signer *auditor;
	uint64_t size;
};

/* Reads a stored checkpoint note and its body. */
static int stored_checkpoint(struct corridor_ledger *l, MDB_txn *txn, uint64_t *size, MDB_val *note,
			     struct corridor_note *parsed, struct corridor_checkpoint *cp,
			     struct corridor_diag *diag)
{
	int err = corridor_checkpoint_read(l, txn, size, note, diag);
	if (err)
		return err;
	if (corridor_note_parse(note->mv_data, note->mv_size, parsed) != 0 ||
	    corridor_checkpoint_parse(note->mv_data, parsed->text_len, cp) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "stored checkpoint %llu is corrupt",
					 (unsigned long long)*size);
	return CORRIDOR_OK;
}

static int cosign_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx, struct corridor_diag *diag)
{
	struct cosign_ctx *c = vctx;
	const struct corridor_vkey *vk = corridor_signer_vkey(c->auditor);
	struct corridor_kv_lmdb kv;
	struct ledger_head head;
	struct key_record rec;
	unsigned roles = 0;
	MDB_val note;
	struct corridor_checkpoint cp;
	int err;
	struct corridor_note *parsed = malloc(sizeof *parsed);
	char *out = malloc(CORRIDOR_NOTE_BYTES_MAX + 512u);
	if (!parsed || !out) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	if ((err = corridor_head_get(l, txn, &head, diag)) != 0)
		goto out_free;
	/* A registered auditor, signing with a key valid now. */
	if (corridor_key_get(&kv.base, vk->name, vk->key_id, &rec) != 0 ||
	    sodium_memcmp(rec.public_key, vk->public_key, 32) != 0 || head.size < rec.valid_from ||
	    head.size > rec.valid_until) {
		err = corridor_diag_set(diag, CORRIDOR_E_KEY,
					"key %08x of '%s' is not a valid key of a party here",
					(unsigned)vk->key_id, vk->name);
		goto out_free;
	}
	if (corridor_party_roles(&kv.base, vk->name, &roles) != 0 ||
	    !(roles & CORRIDOR_ROLE_AUDITOR)) {
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					"%s does not hold the auditor role: only auditors cosign",
					vk->name);
		goto out_free;
	}
	uint64_t size = c->size;
	if ((err = stored_checkpoint(l, txn, &size, &note, parsed, &cp, diag)) != 0)
		goto out_free;
	c->size = size;
	/* Consistent with the last checkpoint this auditor cosigned? */
	MDB_val ak = { .mv_size = strlen(vk->name), .mv_data = (void *)(uintptr_t)vk->name }, av;
	int rc = mdb_get(txn, l->cosigned, &ak, &av);
	uint64_t last = rc == 0 && av.mv_size == 8 ? corridor_be64_get(av.mv_data) : 0;
	if (rc && rc != MDB_NOTFOUND) {
		err = corridor_lmdb_err(l, rc, "cannot read cosignatures", diag);
		goto out_free;
	}
	if (size < last) {
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					"%s cosigned size %llu already: it does not cosign the older "
					"size %llu",
					vk->name, (unsigned long long)last, (unsigned long long)size);
		goto out_free;
	}
	if (last > 0 && last < size) {
		MDB_val old_note;
		struct corridor_checkpoint old;
		struct corridor_note *op = malloc(sizeof *op);
		uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
		size_t count;
		struct node_ctx nc = { .l = l, .txn = txn };
		uint64_t ls = last;
		err = op ? stored_checkpoint(l, txn, &ls, &old_note, op, &old, diag) : CORRIDOR_E_NOMEM;
		free(op);
		if (!err &&
		    (corridor_merkle_prove_consistency(corridor_node_get, &nc, last, size, proof,
						       &count) != 0 ||
		     corridor_merkle_verify_consistency(last, size, old.root, 32, cp.root, 32,
							(const uint8_t(*)[CORRIDOR_HASH_BYTES])proof,
							count) != 0))
			err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						"checkpoint %llu is not consistent with %llu, the last "
						"one %s cosigned",
						(unsigned long long)size, (unsigned long long)last,
						vk->name);
		if (err)
			goto out_free;
	}
	/* Already cosigned by this key? Then there is nothing to add. */
	struct corridor_vkey cv;
	corridor_vkey_as_cosigner(vk, &cv);
	for (size_t i = 0; i < parsed->sig_count; i++)
		if (corridor_cosignature_verify(note.mv_data, parsed, i, &cv, NULL) == 0) {
			err = CORRIDOR_OK;
			goto out_free;
		}
	size_t line_len;
	if ((err = corridor_cosignature_line(note.mv_data, parsed->text_len, c->auditor,
					     (uint64_t)time(NULL), out + note.mv_size, 512,
					     &line_len)) != 0) {
		corridor_diag_set(diag, err, "cannot build the cosignature");
		goto out_free;
	}
	memcpy(out, note.mv_data, note.mv_size);
	size_t total = note.mv_size + line_len;
	if (total > CORRIDOR_NOTE_BYTES_MAX) {
		err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the checkpoint has too many signatures");
		goto out_free;
	}
	uint8_t kb[8], sb[8];
	corridor_be64_put(kb, size);
	corridor_be64_put(sb, size);
	MDB_val k = { .mv_size = 8, .mv_data = kb }, v = { .mv_size = total, .mv_data = out };
	MDB_val sv = { .mv_size = 8, .mv_data = sb };
	if ((rc = mdb_put(txn, l->checkpoints, &k, &v, 0)) != 0 ||
	    (rc = mdb_put(txn, l->cosigned, &ak, &sv, 0)) != 0)
		err = corridor_lmdb_err(l, rc, "cannot store the cosignature", diag);
out_free:
	free(parsed);
	free(out);
	return err;
}

int corridor_checkpoint_cosign(struct corridor_ledger *l, const struct corridor_signer *auditor,
			       uint64_t size, uint64_t *size_out, struct corridor_diag *diag)
{
	struct cosign_ctx c = { .auditor = auditor, .size = size };
	if (l->replica)
		return corridor_diag_set(diag, CORRIDOR_E_REPLICA,
					 "this ledger is a replica: cosign the operator's ledger");
	int err = corridor_ledger_write(l, cosign_fn, &c, diag);
	if (!err && size_out)
		*size_out = c.size;
	return err;
}

/* ---- witnesses' cosignatures, kept beside the checkpoint ----
 *
 * Not in the checkpoints table: a stored checkpoint carries only the
 * operator's signature and auditors' cosignatures, which `verify` checks
 * against the log's parties. Witnesses are not parties; their lines for the
 * latest checkpoint they cosigned are kept in the meta record below
 * (be64 size || lines) and served with that checkpoint. */

#define WITNESSED_META "witness_cosignatures"

struct witnessed_ctx {
	uint64_t size;
	const char *line;
	size_t len;
	const struct corridor_vkey *cosigner;
	bool added;
};

static int witnessed_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx,
			struct corridor_diag *diag)
{
	struct witnessed_ctx *c = vctx;
	struct corridor_note *parsed = malloc(sizeof *parsed), *both = malloc(sizeof *both);
	char *out = malloc(2 * CORRIDOR_NOTE_BYTES_MAX + 8);
	struct corridor_checkpoint cp;
	MDB_val note, was;
	uint64_t size = c->size;
	int err;
	c->added = false;
	if (!parsed || !both || !out) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	if ((err = stored_checkpoint(l, txn, &size, &note, parsed, &cp, diag)) != 0)
		goto out_free;
	/* the lines kept so far for this size (older sizes are dropped) */
	size_t kept = 0;
	int rc = corridor_meta_get(l, txn, WITNESSED_META, &was);
	if (rc == 0 && was.mv_size >= 8) {
		uint64_t ws = corridor_be64_get(was.mv_data);
		if (ws > size)
			goto out_free; /* a newer checkpoint is witnessed already */
		if (ws == size)
			kept = was.mv_size - 8;
	}
	/* the note with its signatures, then the kept lines, then the new one */
	size_t total = note.mv_size + kept + c->len;
	if (total > CORRIDOR_NOTE_BYTES_MAX) {
		err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the checkpoint has too many signatures");
		goto out_free;
	}
	memcpy(out, note.mv_data, note.mv_size);
	if (kept)
		memcpy(out + note.mv_size, (const uint8_t *)was.mv_data + 8, kept);
	if (corridor_note_parse(out, note.mv_size + kept, both) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_STORAGE, "the witness record is corrupt");
		goto out_free;
	}
	for (size_t i = 0; i < both->sig_count; i++)
		if (corridor_cosignature_verify(out, both, i, c->cosigner, NULL) == 0)
			goto out_free; /* that witness's line is there */
	memcpy(out + note.mv_size + kept, c->line, c->len);
	if (corridor_note_parse(out, total, both) != 0 ||
	    corridor_cosignature_verify(out, both, both->sig_count - 1, c->cosigner, NULL) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_SIGNATURE,
					"not a cosignature of checkpoint %llu by %s",
					(unsigned long long)size, c->cosigner->name);
		goto out_free;
	}
	/* the record: be64 size, then the witnesses' lines */
	uint8_t *rec = (uint8_t *)out + total; /* after the note in the same buffer */
	corridor_be64_put(rec, size);
	memcpy(rec + 8, out + note.mv_size, kept + c->len);
	if ((rc = corridor_meta_put(l, txn, WITNESSED_META, rec, 8 + kept + c->len)) != 0)
		err = corridor_lmdb_err(l, rc, "cannot store the cosignature", diag);
	c->added = !err;
out_free:
	free(parsed);
	free(both);
	free(out);
	return err;
}

int corridor_checkpoint_add_cosignature(struct corridor_ledger *l, uint64_t size,
					const char *line, size_t len,
					const struct corridor_vkey *cosigner, bool *added,
					struct corridor_diag *diag)
{
	struct witnessed_ctx c = { .size = size, .line = line, .len = len, .cosigner = cosigner };
	if (added)
		*added = false;
	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len) != line + len - 1)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "one signature line");
	int err = corridor_ledger_write(l, witnessed_fn, &c, diag);
	if (added)
		*added = c.added;
	return err;
}

struct served_ctx {
	char **note;
	size_t *len;
};

static int served_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct served_ctx *c = vctx;
	uint64_t size = 0;
	MDB_val note, was;
	int err = corridor_checkpoint_read(snap->l, snap->txn, &size, &note, diag);
	if (err)
		return err;
	size_t extra = 0;
	if (corridor_meta_get(snap->l, snap->txn, WITNESSED_META, &was) == 0 && was.mv_size >= 8 &&
	    corridor_be64_get(was.mv_data) == size)
		extra = was.mv_size - 8;
	if (!(*c->note = malloc(note.mv_size + extra + 1)))
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	memcpy(*c->note, note.mv_data, note.mv_size);
	if (extra)
		memcpy(*c->note + note.mv_size, (const uint8_t *)was.mv_data + 8, extra);
	*c->len = note.mv_size + extra;
	(*c->note)[*c->len] = '\0';
	return CORRIDOR_OK;
}

int corridor_checkpoint_served(struct corridor_ledger *l, char **note, size_t *len,
			       struct corridor_diag *diag)
{
	struct served_ctx c = { .note = note, .len = len };
	*note = NULL;
	*len = 0;
	return corridor_ledger_read(l, served_fn, &c, diag);
}
