/*
 * chain.c — the operator key chain for offline audits. An auditor trusts one
 * operator verifier key; after rotations, checkpoints are signed by newer keys.
 * The chain document carries every operator key.rotate entry with its
 * inclusion proof in the audited checkpoint:
 *
 *   corridor-operator-keys/v1
 *   size <tree size>
 *   (for each rotation, in seq order:)
 *   entry <base64 canonical entry bytes>
 *   <base64 proof hash>        zero or more, RFC 9162 inclusion path
 *   <empty line>
 *
 * Following it: each entry must decode canonically, be a key.rotate whose
 * author is the origin and whose key id is the current key's, verify with the
 * current key, lie below the checkpoint's size with seqs increasing, and be
 * included in the checkpoint's tree; its body's key becomes the current key.
 */
#include <stdio.h>

#include <sodium.h>

#include "log.h"

static const char CHAIN_MAGIC[] = "corridor-operator-keys/v1";
#define CHAIN_LINE_BYTES_MAX 100000u

struct chain_ctx {
	struct corridor_ledger *l;
	MDB_txn *txn;
	uint64_t size;
	FILE *out;
	int err;
};

static int chain_entry(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct chain_ctx *c = vctx;
	struct corridor_entry e;
	if (seq >= c->size)
		return 1; /* past the checkpoint: stop */
	if (corridor_entry_decode(bytes, len, &e, NULL) != 0)
		return CORRIDOR_E_STORAGE;
	if (strcmp(e.kind, "key.rotate") != 0 || strcmp(e.author, c->l->origin) != 0)
		return CORRIDOR_OK;
	uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
	size_t count;
	struct node_ctx nc = { .l = c->l, .txn = c->txn };
	if (corridor_merkle_prove_inclusion(corridor_node_get, &nc, seq, c->size, proof, &count) != 0)
		return CORRIDOR_E_STORAGE;
	char *b64 = malloc(corridor_base64_len(len));
	if (!b64)
		return CORRIDOR_E_NOMEM;
	corridor_base64(bytes, len, b64);
	fprintf(c->out, "entry %s\n", b64);
	free(b64);
	for (size_t i = 0; i < count; i++) {
		char h[64];
		corridor_base64(proof[i], CORRIDOR_HASH_BYTES, h);
		fprintf(c->out, "%s\n", h);
	}
	fputc('\n', c->out);
	return ferror(c->out) ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static int chain_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct chain_ctx *c = vctx;
	MDB_cursor *cur;
	MDB_val k, v;
	int err = CORRIDOR_OK;
	c->txn = snap->txn;
	int rc = mdb_cursor_open(snap->txn, snap->l->entries, &cur);
	if (rc)
		return corridor_lmdb_err(snap->l, rc, "cannot read the log", diag);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		err = chain_entry(c, corridor_be64_get(k.mv_data), v.mv_data, v.mv_size);
	mdb_cursor_close(cur);
	return err;
}

int corridor_prove_operator_keys(struct corridor_ledger *l, uint64_t size, FILE *out,
				 struct corridor_diag *diag)
{
	char *note;
	size_t nlen;
	int err = corridor_checkpoint_get(l, size, &note, &nlen, diag);
	if (err)
		return err;
	struct corridor_note parsed;
	struct corridor_checkpoint cp;
	err = corridor_note_parse(note, nlen, &parsed) || corridor_checkpoint_parse(note, parsed.text_len, &cp)
		      ? CORRIDOR_E_STORAGE
		      : CORRIDOR_OK;
	free(note);
	if (err)
		return corridor_diag_set(diag, err, "the stored checkpoint is corrupt");
	fprintf(out, "%s\nsize %llu\n", CHAIN_MAGIC, (unsigned long long)cp.size);
	/* One read snapshot: the entries, proofs and nodes are one state. */
	struct chain_ctx c = { .l = l, .size = cp.size, .out = out };
	err = corridor_ledger_read(l, chain_fn, &c, diag);
	if (err == 1)
		err = CORRIDOR_OK;
	return err ? corridor_diag_set(diag, err, "cannot write the key chain") : CORRIDOR_OK;
}

static const char *line_at(const char **p, const char *end, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return NULL;
	const char *line = *p;
	*len = (size_t)(nl - line);
	*p = nl + 1;
	return line;
}

int corridor_operator_chain_follow(const char *doc, size_t len, const struct corridor_vkey *trusted,
				   uint64_t size, const uint8_t root[CORRIDOR_HASH_BYTES],
				   struct corridor_vkey *keys, size_t keys_max, size_t *count,
				   struct corridor_diag *diag)
{
	const char *p = doc, *end = doc + len, *line;
	size_t ll;
	uint64_t dsize, last_seq = 0;
	bool any = false;
	int err = CORRIDOR_OK;
	if (keys_max < 1)
		return CORRIDOR_E_LIMIT;
	keys[0] = *trusted;
	*count = 1;
	if (!(line = line_at(&p, end, &ll)) || ll != sizeof CHAIN_MAGIC - 1 ||
	    memcmp(line, CHAIN_MAGIC, ll) != 0 || !(line = line_at(&p, end, &ll)) || ll < 6 ||
	    memcmp(line, "size ", 5) != 0 || corridor_parse_u64(line + 5, ll - 5, &dsize) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "not an operator key chain");
	if (dsize != size)
		return corridor_diag_set(diag, CORRIDOR_E_VERIFY,
					 "the key chain is for size %llu, the checkpoint is %llu",
					 (unsigned long long)dsize, (unsigned long long)size);
	uint8_t *entry = malloc(CORRIDOR_ENTRY_BYTES_MAX);
	uint8_t (*proof)[CORRIDOR_HASH_BYTES] = malloc(CORRIDOR_PROOF_HASHES_MAX * CORRIDOR_HASH_BYTES);
	if (!entry || !proof) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	while (p < end) {
		size_t elen, np = 0;
		struct corridor_entry e;
		if (!(line = line_at(&p, end, &ll)) || ll < 7 || memcmp(line, "entry ", 6) != 0 ||
		    corridor_unbase64(line + 6, ll - 6, entry, CORRIDOR_ENTRY_BYTES_MAX, &elen) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "key chain: bad entry line");
			goto out_free;
		}
		for (;;) {
			size_t got;
			if (!(line = line_at(&p, end, &ll))) {
				err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "key chain truncated");
				goto out_free;
			}
			if (ll == 0)
				break;
			if (np >= CORRIDOR_PROOF_HASHES_MAX ||
			    corridor_unbase64(line, ll, proof[np], CORRIDOR_HASH_BYTES, &got) != 0 ||
			    got != CORRIDOR_HASH_BYTES) {
				err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							"key chain: bad proof hash");
				goto out_free;
			}
			np++;
		}
		const struct corridor_vkey *cur = &keys[*count - 1];
		uint8_t leaf[CORRIDOR_HASH_BYTES], newkey[CORRIDOR_PUBLIC_KEY_BYTES];
		const uint8_t *kb;
		size_t kv, klen;
		const uint8_t *kval;
		if (corridor_entry_decode(entry, elen, &e, NULL) != 0 ||
		    strcmp(e.kind, "key.rotate") != 0 || strcmp(e.author, cur->name) != 0 ||
		    e.key_id != cur->key_id || (any && e.seq <= last_seq) || e.seq >= size ||
		    corridor_entry_check_sig(entry, &e, cur->public_key) != 0 ||
		    !(kval = corridor_map_find(e.body, e.body_len, "key", &kv)) ||
		    corridor_mp_bin(kval, kv, &kb, &klen) != 0 || klen != 32) {
			err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						"key chain link %zu is not a rotation signed by %s+%08x",
						*count, cur->name, (unsigned)cur->key_id);
			goto out_free;
		}
		corridor_merkle_leaf_hash(entry, elen, leaf);
		if (corridor_merkle_verify_inclusion(e.seq, size, leaf,
						     (const uint8_t(*)[CORRIDOR_HASH_BYTES])proof, np,
						     root, CORRIDOR_HASH_BYTES) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_VERIFY,
						"key chain link %zu (seq %llu) is not in the checkpoint",
						*count, (unsigned long long)e.seq);
			goto out_free;
		}
		if (*count >= keys_max) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "key chain too long");
			goto out_free;
		}
		memcpy(newkey, kb, 32);
		struct corridor_vkey *next = &keys[(*count)++];
		*next = *cur;
		memcpy(next->public_key, newkey, 32);
		next->key_id = corridor_key_id(next->name, strlen(next->name), CORRIDOR_SIGTYPE_ED25519,
					       newkey);
		last_seq = e.seq;
		any = true;
	}
out_free:
	free(entry);
	free(proof);
	return err;
}
