/*
 * parties.c — party identity: ids, countries, IBANs and roles; registering a
 * party; reading parties and their keys back.
 */
#include <msgpack.h>
#include <stdio.h>

#include "log/log.h"

/* ---- registering ---- */

static int request_check(const struct corridor_party_request *r, struct corridor_diag *diag)
{
	if (!r->id || !corridor_party_id_valid(r->id))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "party id '%s' is not valid: 1-32 of A-Z, 0-9 and '-'",
					 r->id ? r->id : "");
	size_t nl = r->name ? strlen(r->name) : 0;
	if (nl == 0 || nl > CORRIDOR_PARTY_NAME_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the party name must be 1-%u bytes",
					 CORRIDOR_PARTY_NAME_BYTES_MAX);
	if (!r->country || !corridor_country_valid(r->country))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "country '%s' is not an ISO 3166-1 alpha-2 code",
					 r->country ? r->country : "");
	if ((r->roles & ~CORRIDOR_ROLES_ASSIGNABLE) || r->roles == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "a party needs at least one role");
	if (strcmp(r->key.name, r->id) != 0 || r->key.sigtype != CORRIDOR_SIGTYPE_ED25519)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the key is named '%s': a party's key must be named by "
					 "its id '%s'",
					 r->key.name, r->id);
	if (r->iban_count > CORRIDOR_PARTY_IBANS_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "at most %u IBANs",
					 CORRIDOR_PARTY_IBANS_MAX);
	for (size_t i = 0; i < r->iban_count; i++) {
		if (!corridor_iban_valid(r->ibans[i]))
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "IBAN '%s' is not valid (upper case, no spaces, "
						 "check digits)",
						 r->ibans[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->ibans[i], r->ibans[j]) == 0)
				return corridor_diag_set(diag, CORRIDOR_E_INVALID,
							 "IBAN %s is given twice", r->ibans[i]);
	}
	return CORRIDOR_OK;
}

int corridor_party_register(struct corridor_ledger *l, const struct corridor_signer *op,
			    const struct corridor_party_request *req, const char *idem, uint64_t *seq,
			    struct corridor_diag *diag)
{
	uint8_t body[4096];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	int err = request_check(req, diag);
	if (err)
		return err;
	if (idem && (err = corridor_idem_check(idem, strlen(idem), diag)) != 0)
		return err;
	corridor_mpbuf_init(&w, &pk, body, sizeof body);
	msgpack_pack_map(&pk, 5u + (req->iban_count ? 1u : 0u) + (idem ? 1u : 0u));
	corridor_mp_pack_str(&pk, "country", 7);
	corridor_mp_pack_str(&pk, req->country, 2);
	if (req->iban_count) {
		corridor_mp_pack_str(&pk, "ibans", 5);
		msgpack_pack_array(&pk, req->iban_count);
		for (size_t i = 0; i < req->iban_count; i++)
			corridor_mp_pack_str(&pk, req->ibans[i], strlen(req->ibans[i]));
	}
	corridor_mp_pack_str(&pk, "id", 2);
	corridor_mp_pack_str(&pk, req->id, strlen(req->id));
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, 32);
	msgpack_pack_bin_body(&pk, req->key.public_key, 32);
	corridor_mp_pack_str(&pk, "name", 4);
	corridor_mp_pack_str(&pk, req->name, strlen(req->name));
	corridor_mp_pack_str(&pk, "roles", 5);
	msgpack_pack_array(&pk, (size_t)__builtin_popcount(req->roles));
	for (int r = 0; r < 6; r++)
		if (req->roles & (1u << r))
			corridor_mp_pack_str(&pk, corridor_role_names[r], strlen(corridor_role_names[r]));
	if (w.overflow)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the party is too large to record");
	return corridor_append_one(l, op, "party.register", body, w.len, seq, diag);
}

/* ---- reading ---- */

struct key_collect {
	struct corridor_party *p;
};

static int collect_key(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct key_collect *c = ctx;
	struct key_record r;
	if (corridor_key_record_decode(k, klen, v, vlen, &r) != 0)
		return CORRIDOR_E_STORAGE;
	if (c->p->key_count >= CORRIDOR_PARTY_KEYS_MAX)
		return CORRIDOR_OK;
	/* keep them ordered by valid_from */
	size_t i = c->p->key_count++;
	while (i > 0 && c->p->keys[i - 1].valid_from > r.valid_from) {
		c->p->keys[i] = c->p->keys[i - 1];
		i--;
	}
	c->p->keys[i] = (struct corridor_party_key){ .key_id = r.key_id,
						     .valid_from = r.valid_from,
						     .valid_until = r.valid_until };
	memcpy(c->p->keys[i].public_key, r.public_key, 32);
	return CORRIDOR_OK;
}

/* Decodes a party record (value of the parties table) and loads its keys. */
static int party_decode(struct corridor_kv *kv, const uint8_t *v, size_t vlen,
			struct corridor_party *out)
{
	const char *s;
	size_t n, ilen;
	memset(out, 0, sizeof *out);
	if (vlen <= 8)
		return CORRIDOR_E_STORAGE;
	out->registered_seq = corridor_be64_get(v);
	const uint8_t *m = v + 8;
	size_t mlen = vlen - 8;
	if (corridor_msgpack_map_str(m, mlen, "id", &s, &n) || n > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(out->id, s, n);
	if (corridor_msgpack_map_str(m, mlen, "name", &s, &n) || n > CORRIDOR_PARTY_NAME_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(out->name, s, n);
	if (corridor_msgpack_map_str(m, mlen, "country", &s, &n) == 0 && n == 2)
		memcpy(out->country, s, 2);
	if (corridor_party_roles(kv, out->id, &out->roles) != 0)
		return CORRIDOR_E_STORAGE;
	const uint8_t *iv = corridor_map_find(m, mlen, "ibans", &ilen);
	if (iv) {
		struct corridor_mpscan scan;
		if (corridor_mpscan(iv, ilen, 2, &scan, NULL) != 0)
			return CORRIDOR_E_STORAGE;
		for (size_t i = 0; i < scan.children && i < CORRIDOR_PARTY_IBANS_MAX; i++) {
			if (corridor_mp_str(iv + scan.child_off[i],
					    scan.child_off[i + 1] - scan.child_off[i], &s, &n) ||
			    n >= sizeof out->ibans[0])
				return CORRIDOR_E_STORAGE;
			memcpy(out->ibans[i], s, n);
			out->iban_count++;
		}
	}
	uint8_t prefix[CORRIDOR_NAME_BYTES_MAX + 1];
	size_t plen = strlen(out->id);
	memcpy(prefix, out->id, plen);
	prefix[plen] = 0;
	struct key_collect c = { .p = out };
	return kv->scan(kv, STATE_KEYS, prefix, plen + 1, collect_key, &c);
}

int corridor_party_get(struct corridor_ledger *l, const char *id, struct corridor_party *out,
		       struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	const uint8_t *v;
	size_t vlen;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	err = kv.base.get(&kv.base, STATE_PARTIES, (const uint8_t *)id, strlen(id), &v, &vlen);
	if (err == CORRIDOR_E_NOTFOUND)
		err = corridor_diag_set(diag, err, "no party %s", id);
	else if (!err && (err = party_decode(&kv.base, v, vlen, out)) != 0)
		err = corridor_diag_set(diag, err, "the record of party %s is corrupt", id);
	mdb_txn_abort(txn);
	return err;
}

struct list_ctx {
	struct corridor_kv *kv;
	corridor_party_fn fn;
	void *ctx;
	const char *skip;
	struct corridor_party *p;
};

static int list_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct list_ctx *c = vctx;
	if (c->skip && strlen(c->skip) == klen && memcmp(c->skip, k, klen) == 0)
		return CORRIDOR_OK;
	int err = party_decode(c->kv, v, vlen, c->p);
	return err ? err : c->fn(c->ctx, c->p);
}

int corridor_party_list(struct corridor_ledger *l, corridor_party_fn fn, void *ctx,
			struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	const uint8_t *v;
	size_t vlen;
	struct corridor_party *p = malloc(sizeof *p);
	if (!p)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err) {
		free(p);
		return err;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	struct list_ctx c = { .kv = &kv.base, .fn = fn, .ctx = ctx, .skip = l->origin, .p = p };
	/* The operator first, then the parties in id order. */
	err = kv.base.get(&kv.base, STATE_PARTIES, (const uint8_t *)l->origin, strlen(l->origin), &v,
			  &vlen);
	if (!err)
		err = party_decode(&kv.base, v, vlen, p);
	if (!err)
		err = fn(ctx, p);
	if (!err)
		err = kv.base.scan(&kv.base, STATE_PARTIES, NULL, 0, list_one, &c);
	mdb_txn_abort(txn);
	free(p);
	if (err > 0)
		return err;
	return err ? corridor_diag_set(diag, err, "cannot read the parties") : CORRIDOR_OK;
}
