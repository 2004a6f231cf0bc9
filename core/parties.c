/*
 * parties.c — the party service: party.register drafts, reading parties and
 * their keys back. What makes an id, a country, an IBAN or a role valid is
 * core/kinds/parties.c and roles.c.
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
	msgpack_pack_map(&pk, 5u + (req->iban_count ? 1u : 0u));
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
	return corridor_append_one(l, op, "party.register", body, w.len, idem, seq, diag);
}

struct pget {
	const char *id;
	struct corridor_party *out;
};

static int party_get_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct pget *c = vctx;
	const uint8_t *v;
	size_t vlen;
	int err = snap->kv->get(snap->kv, STATE_PARTIES, (const uint8_t *)c->id, strlen(c->id), &v,
				&vlen);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, err, "no party %s", c->id);
	if (!err && (err = corridor_party_record_decode(snap->kv, v, vlen, c->out)) != 0)
		return corridor_diag_set(diag, err, "the record of party %s is corrupt", c->id);
	return err;
}

int corridor_party_get(struct corridor_ledger *l, const char *id, struct corridor_party *out,
		       struct corridor_diag *diag)
{
	struct pget c = { .id = id, .out = out };
	return corridor_ledger_read(l, party_get_fn, &c, diag);
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
	int err = corridor_party_record_decode(c->kv, v, vlen, c->p);
	return err ? err : c->fn(c->ctx, c->p);
}

static int party_list_fn(const struct corridor_snapshot *snap, void *vctx,
			 struct corridor_diag *diag)
{
	struct list_ctx *c = vctx;
	struct corridor_ledger *l = snap->l;
	const uint8_t *v;
	size_t vlen;
	c->kv = snap->kv;
	/* The operator first, then the parties in id order. */
	int err = snap->kv->get(snap->kv, STATE_PARTIES, (const uint8_t *)l->origin,
				strlen(l->origin), &v, &vlen);
	if (!err)
		err = corridor_party_record_decode(snap->kv, v, vlen, c->p);
	if (!err)
		err = c->fn(c->ctx, c->p);
	if (!err)
		err = snap->kv->scan(snap->kv, STATE_PARTIES, NULL, 0, list_one, c);
	if (err > 0)
		return err;
	return err ? corridor_diag_set(diag, err, "cannot read the parties") : CORRIDOR_OK;
}

int corridor_party_list(struct corridor_ledger *l, corridor_party_fn fn, void *ctx,
			struct corridor_diag *diag)
{
	struct corridor_party *p = malloc(sizeof *p);
	if (!p)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	struct list_ctx c = { .fn = fn, .ctx = ctx, .skip = l->origin, .p = p };
	int err = corridor_ledger_read(l, party_list_fn, &c, diag);
	free(p);
	return err;
}
