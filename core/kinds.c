/*
 * kinds.c — entry kinds: their bodies, who may write them, and what they change.
 *
 * corridor_kind_process() is the one place that decides whether an entry is
 * acceptable apart from its signature; appends run it before they sign, and
 * every verification runs it again on what was stored, so the two can never
 * disagree. Kinds of this version:
 *
 *   genesis  {"key": bin32, "origin": str}  seq 0 only; author = origin = the
 *            operator; introduces the operator key, which signs seq 0 itself.
 *   memo     {"text": str}                  any key valid at that seq.
 */
#include <msgpack.h>

#include "ledger_internal.h"

/* ---- key registry in memory ---- */

static int mem_get(struct keyreg *r, uint32_t key_id, const char *name, struct key_record *out)
{
	struct keyreg_mem *m = (struct keyreg_mem *)r;
	for (size_t i = 0; i < m->count; i++)
		if (m->recs[i].key_id == key_id && strcmp(m->recs[i].name, name) == 0) {
			*out = m->recs[i];
			return CORRIDOR_OK;
		}
	return CORRIDOR_E_NOTFOUND;
}

static int mem_put(struct keyreg *r, const struct key_record *rec)
{
	struct keyreg_mem *m = (struct keyreg_mem *)r;
	for (size_t i = 0; i < m->count; i++)
		if (m->recs[i].key_id == rec->key_id && strcmp(m->recs[i].name, rec->name) == 0) {
			m->recs[i] = *rec;
			return CORRIDOR_OK;
		}
	if (m->count >= KEYS_MAX)
		return CORRIDOR_E_LIMIT;
	if (m->count == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct key_record *n = realloc(m->recs, cap * sizeof *n);
		if (!n)
			return CORRIDOR_E_NOMEM;
		m->recs = n;
		m->cap = cap;
	}
	m->recs[m->count++] = *rec;
	return CORRIDOR_OK;
}

void corridor_keyreg_mem_init(struct keyreg_mem *m)
{
	m->base.get = mem_get;
	m->base.put = mem_put;
	m->recs = NULL;
	m->count = m->cap = 0;
}

void corridor_keyreg_mem_release(struct keyreg_mem *m)
{
	free(m->recs);
	m->recs = NULL;
	m->count = m->cap = 0;
}

/* ---- key registry in LMDB: key = be32(key id) || name, value = pub || from || until ---- */

void corridor_key_record_encode(const struct key_record *r, uint8_t *key, size_t *key_len,
				uint8_t value[KEY_VALUE_BYTES])
{
	size_t n = strlen(r->name);
	corridor_be32_put(key, r->key_id);
	memcpy(key + 4, r->name, n);
	*key_len = 4 + n;
	memcpy(value, r->public_key, 32);
	corridor_be64_put(value + 32, r->valid_from);
	corridor_be64_put(value + 40, r->valid_until);
}

int corridor_key_record_decode(const uint8_t *key, size_t key_len, const uint8_t *value,
			       size_t value_len, struct key_record *out)
{
	if (key_len < 5 || key_len > 4 + CORRIDOR_NAME_BYTES_MAX || value_len != KEY_VALUE_BYTES)
		return CORRIDOR_E_MALFORMED;
	out->key_id = corridor_be32_get(key);
	memcpy(out->name, key + 4, key_len - 4);
	out->name[key_len - 4] = '\0';
	memcpy(out->public_key, value, 32);
	out->valid_from = corridor_be64_get(value + 32);
	out->valid_until = corridor_be64_get(value + 40);
	return CORRIDOR_OK;
}

static int lmdb_get(struct keyreg *r, uint32_t key_id, const char *name, struct key_record *out)
{
	struct keyreg_lmdb *k = (struct keyreg_lmdb *)r;
	uint8_t kb[4 + CORRIDOR_NAME_BYTES_MAX];
	size_t n = strlen(name);
	if (n > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	corridor_be32_put(kb, key_id);
	memcpy(kb + 4, name, n);
	MDB_val key = { .mv_size = 4 + n, .mv_data = kb }, val;
	int rc = mdb_get(k->txn, k->l->keys, &key, &val);
	if (rc == MDB_NOTFOUND)
		return CORRIDOR_E_NOTFOUND;
	if (rc)
		return corridor_lmdb_err(k->l, rc, "reading the key index", k->diag);
	if (corridor_key_record_decode(kb, 4 + n, val.mv_data, val.mv_size, out) != 0)
		return corridor_diag_set(k->diag, CORRIDOR_E_STORAGE, "key index record is corrupt");
	return CORRIDOR_OK;
}

static int lmdb_put(struct keyreg *r, const struct key_record *rec)
{
	struct keyreg_lmdb *k = (struct keyreg_lmdb *)r;
	uint8_t kb[4 + CORRIDOR_NAME_BYTES_MAX], vb[KEY_VALUE_BYTES];
	size_t klen;
	corridor_key_record_encode(rec, kb, &klen, vb);
	MDB_val key = { .mv_size = klen, .mv_data = kb }, val = { .mv_size = sizeof vb, .mv_data = vb };
	int rc = mdb_put(k->txn, k->l->keys, &key, &val, 0);
	return rc ? corridor_lmdb_err(k->l, rc, "writing the key index", k->diag) : CORRIDOR_OK;
}

void corridor_keyreg_lmdb_init(struct keyreg_lmdb *k, struct corridor_ledger *l, MDB_txn *txn,
			       struct corridor_diag *diag)
{
	k->base.get = lmdb_get;
	k->base.put = lmdb_put;
	k->l = l;
	k->txn = txn;
	k->diag = diag;
}

/* ---- bodies ---- */

size_t corridor_body_genesis(const char *origin, const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
			     uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 2);
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, CORRIDOR_PUBLIC_KEY_BYTES);
	msgpack_pack_bin_body(&pk, public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	corridor_mp_pack_str(&pk, "origin", 6);
	corridor_mp_pack_str(&pk, origin, strlen(origin));
	return w.overflow ? 0 : w.len;
}

size_t corridor_body_memo(const char *text, size_t len, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 1);
	corridor_mp_pack_str(&pk, "text", 4);
	corridor_mp_pack_str(&pk, text, len);
	return w.overflow ? 0 : w.len;
}

int corridor_memo_check(const char *text, size_t len, struct corridor_diag *diag)
{
	if (len == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo text is empty");
	if (len > CORRIDOR_MEMO_TEXT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "memo text is %zu bytes, more than %u", len,
					 CORRIDOR_MEMO_TEXT_BYTES_MAX);
	if (!corridor_utf8_valid((const uint8_t *)text, len))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo text is not valid UTF-8");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20u && c != '\t') || c == 0x7fu)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "memo text has a control character at byte %zu",
						 i + 1);
	}
	return CORRIDOR_OK;
}

int corridor_mp_uint(const uint8_t *v, size_t len, uint64_t *out)
{
	if (len == 1 && v[0] <= 0x7fu) {
		*out = v[0];
		return CORRIDOR_OK;
	}
	unsigned n = len == 2 && v[0] == 0xccu ? 1u : len == 3 && v[0] == 0xcdu ? 2u
		   : len == 5 && v[0] == 0xceu ? 4u : len == 9 && v[0] == 0xcfu ? 8u : 0u;
	if (n == 0)
		return CORRIDOR_E_MALFORMED;
	uint64_t x = 0;
	for (unsigned i = 1; i <= n; i++)
		x = (x << 8) | v[i];
	*out = x;
	return CORRIDOR_OK;
}

/* ---- processing ---- */

static int body_pairs(const struct corridor_entry *e, size_t want, struct corridor_diag *diag)
{
	struct corridor_mpscan scan;
	if (corridor_mpscan(e->body, e->body_len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, NULL) != 0 ||
	    scan.children != 2 * want)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "%s body must have exactly %zu field(s)", e->kind, want);
	return CORRIDOR_OK;
}

static int process_genesis(struct kind_state *st, const struct corridor_entry *e,
			   uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	const uint8_t *v, *key;
	const char *origin;
	size_t vlen, klen, olen;
	int err;
	if (e->seq != 0 || st->origin[0] != '\0')
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis is only allowed at seq 0");
	if ((err = body_pairs(e, 2, diag)) != 0)
		return err;
	if (!(v = corridor_map_find(e->body, e->body_len, "key", &vlen)) ||
	    corridor_mp_bin(v, vlen, &key, &klen) || klen != CORRIDOR_PUBLIC_KEY_BYTES ||
	    !(v = corridor_map_find(e->body, e->body_len, "origin", &vlen)) ||
	    corridor_mp_str(v, vlen, &origin, &olen) || !corridor_key_name_valid(origin, olen))
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis body needs key (32 bytes) and a valid origin");
	if (strlen(e->author) != olen || memcmp(e->author, origin, olen) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis author must be the origin");
	if (corridor_key_id(origin, olen, CORRIDOR_SIGTYPE_ED25519, key) != e->key_id)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis key id does not match its key and origin");
	struct key_record rec = { .key_id = e->key_id, .valid_from = 0, .valid_until = UINT64_MAX };
	memcpy(rec.name, origin, olen);
	rec.name[olen] = '\0';
	memcpy(rec.public_key, key, CORRIDOR_PUBLIC_KEY_BYTES);
	if ((err = st->keys->put(st->keys, &rec)) != 0)
		return corridor_diag_seq(diag, err, e->seq, "cannot record the operator key");
	memcpy(st->origin, rec.name, olen + 1);
	st->operator_key_id = e->key_id;
	memcpy(pub, key, CORRIDOR_PUBLIC_KEY_BYTES);
	return CORRIDOR_OK;
}

/* The author's key must be registered and valid at e->seq. */
static int author_key(struct kind_state *st, const struct corridor_entry *e,
		      uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	struct key_record rec;
	int err = st->keys->get(st->keys, e->key_id, e->author, &rec);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' is not registered in this ledger",
					 (unsigned)e->key_id, e->author);
	if (err)
		return err;
	if (e->seq < rec.valid_from || e->seq > rec.valid_until)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' is not valid at seq %llu",
					 (unsigned)e->key_id, e->author, (unsigned long long)e->seq);
	memcpy(pub, rec.public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	return CORRIDOR_OK;
}

int corridor_kind_process(struct kind_state *st, const struct corridor_entry *e,
			  uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	if (strcmp(e->kind, "genesis") == 0)
		return process_genesis(st, e, public_key, diag);
	if (st->origin[0] == '\0')
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "the log does not start with a genesis entry");
	if (strcmp(e->kind, "memo") == 0) {
		const uint8_t *v;
		const char *text;
		size_t vlen, tlen;
		struct corridor_diag d;
		int err = body_pairs(e, 1, diag);
		if (err)
			return err;
		if (!(v = corridor_map_find(e->body, e->body_len, "text", &vlen)) ||
		    corridor_mp_str(v, vlen, &text, &tlen))
			return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
						 "memo body needs a text");
		if (corridor_memo_check(text, tlen, &d) != 0)
			return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq, "%s", d.text);
		return author_key(st, e, public_key, diag);
	}
	return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq, "unknown entry kind '%s'",
				 e->kind);
}
