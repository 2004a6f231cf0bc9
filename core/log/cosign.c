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
