/*
 * contracts.c — the contract service: a JSON file decoded (formats/terms.c)
 * and validated, and the drafts of the lifecycle propose -> accept ->
 * amend/terminate, each proposal accepted by the other party; contract get
 * and list. The kinds, the validation against SETTLEMENT.md "Numbers" and
 * the contract's state record are core/kinds/contracts.c and tables.c.
 */
#include <msgpack.h>

#include "log/log.h"

#define INVALID(...) corridor_diag_set(diag, CORRIDOR_E_INVALID, __VA_ARGS__)

int corridor_contract_parse_json(const char *json, size_t len, struct corridor_contract_terms *t,
				 struct corridor_diag *diag)
{
	int err = corridor_terms_json_decode(json, len, t, diag);
	return err ? err : corridor_contract_validate(t, diag);
}

/* ---- the public API ---- */

static int write_body(struct corridor_ledger *l, const struct corridor_signer *s, const char *kind,
		      const struct corridor_contract_terms *t, const char *contract, int32_t effective,
		      bool with_effective, uint64_t proposal, const char *idem, uint64_t *seq,
		      struct corridor_diag *diag)
{
	size_t cap = 16384;
	uint8_t *body = malloc(cap);
	struct corridor_mpbuf w;
	msgpack_packer pk;
	int err;
	if (!body)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (idem && (err = corridor_idem_check(idem, strlen(idem), diag)) != 0)
		goto out;
	corridor_mpbuf_init(&w, &pk, body, cap);
	size_t n = (contract ? 1u : 0u) + (with_effective ? 1u : 0u) + (t ? 1u : 0u) +
		   (proposal ? 1u : 0u);
	msgpack_pack_map(&pk, n);
	if (contract)
		corridor_mp_cstr(&pk, "contract"), corridor_mp_cstr(&pk, contract);
	if (with_effective)
		corridor_mp_cstr(&pk, "effective"), corridor_mp_date(&pk, effective);
	if (proposal)
		corridor_mp_cstr(&pk, "proposal"), msgpack_pack_uint64(&pk, proposal);
	if (t) {
		corridor_mp_cstr(&pk, "terms");
		corridor_terms_pack(&pk, t);
	}
	if (w.overflow) {
		err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the contract is too large for an entry");
		goto out;
	}
	err = corridor_append_one(l, s, kind, body, w.len, idem, seq, diag);
out:
	free(body);
	return err;
}

int corridor_contract_propose(struct corridor_ledger *l, const struct corridor_signer *s,
			      const struct corridor_contract_terms *t, const char *idem, uint64_t *seq,
			      struct corridor_diag *diag)
{
	int err = corridor_contract_validate(t, diag);
	return err ? err
		   : write_body(l, s, "contract.propose", t, NULL, 0, false, 0, idem, seq, diag);
}

int corridor_contract_amend(struct corridor_ledger *l, const struct corridor_signer *s,
			    const struct corridor_contract_terms *t, int32_t effective, const char *idem,
			    uint64_t *seq, struct corridor_diag *diag)
{
	int err = corridor_contract_validate(t, diag);
	return err ? err
		   : write_body(l, s, "contract.amend", t, t->id, effective, true, 0, idem, seq,
				diag);
}

int corridor_contract_terminate(struct corridor_ledger *l, const struct corridor_signer *s,
				const char *id, int32_t effective, const char *idem, uint64_t *seq,
				struct corridor_diag *diag)
{
	if (!corridor_party_id_valid(id))
		return INVALID("'%s' is not a contract id", id);
	return write_body(l, s, "contract.terminate", NULL, id, effective, true, 0, idem, seq, diag);
}

/* On a remote ledger, an acceptance names the proposal its author read:
 * entry `proposal`, verified as included in the log, is a proposal or an
 * amendment of contract `id`. (The server decides again at the seq it gives.) */
static int proposal_seen(struct corridor_ledger *l, const struct corridor_signer *s,
			 const char *id, uint64_t proposal, struct corridor_diag *diag)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct corridor_entry e;
	const char *cid = NULL;
	size_t clen = 0, tlen = 0;
	if (proposal == 0) /* the acceptor reads no contract state on a server */
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "with --server, name the proposal you accept: --proposal SEQ "
					 "(the seq its author's receipt names)");
	int err = corridor_ledger_entry_as(l, s, proposal, &bytes, &len, diag);
	if (err)
		return err;
	if ((err = corridor_entry_decode(bytes, len, &e, diag)) == 0) {
		/* a proposal names the contract in its terms; an amendment or a
		 * termination in its "contract" field */
		const uint8_t *terms = corridor_map_find(e.body, e.body_len, "terms", &tlen);
		bool kind_ok = !strcmp(e.kind, "contract.propose") ||
			       !strcmp(e.kind, "contract.amend") ||
			       !strcmp(e.kind, "contract.terminate");
		bool named = corridor_msgpack_map_str(e.body, e.body_len, "contract", &cid, &clen) == 0 ||
			     (terms && corridor_msgpack_map_str(terms, tlen, "id", &cid, &clen) == 0);
		if (!kind_ok || !named || clen != strlen(id) || memcmp(cid, id, clen) != 0)
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"entry %llu is not a proposal of contract %s",
						(unsigned long long)proposal, id);
	}
	free(bytes);
	return err;
}

int corridor_contract_accept(struct corridor_ledger *l, const struct corridor_signer *s,
			     const char *id, uint64_t proposal, const char *idem, uint64_t *seq,
			     struct corridor_diag *diag)
{
	if (!corridor_party_id_valid(id))
		return INVALID("'%s' is not a contract id", id);
	if (corridor_ledger_is_remote(l)) {
		int err = proposal_seen(l, s, id, proposal, diag);
		if (err)
			return err;
	}
	if (proposal == 0) {
		struct corridor_contract *c = malloc(sizeof *c);
		int err = c ? corridor_contract_get(l, id, c, diag) : CORRIDOR_E_NOMEM;
		if (!err && c->pending_count != 1)
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"contract %s has %zu pending proposals: name one with "
						"--proposal SEQ",
						id, c->pending_count);
		if (!err)
			proposal = c->pending[0].seq;
		free(c);
		if (err)
			return err;
	}
	return write_body(l, s, "contract.accept", NULL, id, 0, false, proposal, idem, seq, diag);
}

struct cget {
	const char *id;
	struct corridor_contract *out;
};

static int contract_get_fn(const struct corridor_snapshot *snap, void *vctx,
			   struct corridor_diag *diag)
{
	struct cget *c = vctx;
	int err = corridor_contract_record(snap->kv, c->id, c->out);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, err, "no contract %s", c->id);
	return err ? corridor_diag_set(diag, err, "the record of contract %s is corrupt", c->id) : 0;
}

int corridor_contract_get(struct corridor_ledger *l, const char *id, struct corridor_contract *out,
			  struct corridor_diag *diag)
{
	struct cget c = { .id = id, .out = out };
	return corridor_ledger_read(l, contract_get_fn, &c, diag);
}

struct clist_ctx {
	const char *party;
	corridor_contract_fn fn;
	void *ctx;
	struct corridor_contract *c;
};

static int clist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct clist_ctx *c = vctx;
	(void)k;
	(void)klen;
	if (corridor_contract_record_decode(v, vlen, c->c) != 0)
		return CORRIDOR_E_STORAGE;
	if (c->party) {
		/* the latest terms, or the proposal's parties while only proposed */
		bool mine = false;
		for (size_t i = 0; i < c->c->version_count && !mine; i++) {
			const struct corridor_contract_terms *t = &c->c->versions[i].terms;
			mine = !strcmp(t->seller, c->party) || !strcmp(t->buyer, c->party) ||
			       !strcmp(t->metering_party, c->party);
		}
		for (size_t i = 0; i < c->c->pending_count && !mine; i++)
			mine = !strcmp(c->c->pending[i].proposer, c->party);
		if (!mine)
			return CORRIDOR_OK;
	}
	return c->fn(c->ctx, c->c);
}

static int contract_list_fn(const struct corridor_snapshot *snap, void *vctx,
			    struct corridor_diag *diag)
{
	int err = snap->kv->scan(snap->kv, STATE_CONTRACTS, NULL, 0, clist_one, vctx);
	if (err > 0)
		return err;
	return err ? corridor_diag_set(diag, err, "cannot read the contracts") : CORRIDOR_OK;
}

int corridor_contract_list(struct corridor_ledger *l, const char *party, corridor_contract_fn fn,
			   void *ctx, struct corridor_diag *diag)
{
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	struct clist_ctx lc = { .party = party, .fn = fn, .ctx = ctx, .c = c };
	int err = corridor_ledger_read(l, contract_list_fn, &lc, diag);
	free(c);
	return err;
}
