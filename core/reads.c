/*
 * reads.c — who may see what (docs/SERVICE.md "Who sees what"): the rule the
 * service applies to every signed read. Contract terms, prices and
 * quantities are confidential between the parties of a contract.
 *
 *   everything         the operator, auditors, settlement parties
 *   public kinds       genesis, party.register, key.*, currency.define,
 *                      rate.record, rate.correct: every registered party
 *   its own            every entry the reader authored
 *   contract.*         the contract's seller, buyer and metering party (of
 *                      any of its versions)
 *   delivery.*         the same, for the reading's contract (a correction:
 *                      the contract of the reading it corrects)
 *   settlement.invoice its seller and buyer
 *   settlement.batch   the parties of its netting lines
 *   settlement.reverse whoever may see the batch it reverses
 *   payment.*          the payer and the payee (a reversal: of its payment)
 *   attest             also the author of the entry attested
 *   memo               its author only
 */
#include <msgpack.h>

#include "log/log.h"

#define FOLLOW_MAX 64u /* corrections of corrections, reversals: links followed */

int corridor_reader_sees_all(struct corridor_ledger *l, const char *reader, bool *all,
			     struct corridor_diag *diag)
{
	struct corridor_party *p = malloc(sizeof *p);
	if (!p)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_party_get(l, reader, p, diag);
	if (!err)
		*all = (p->roles & (CORRIDOR_ROLE_OPERATOR | CORRIDOR_ROLE_AUDITOR |
				    CORRIDOR_ROLE_SETTLEMENT)) != 0;
	free(p);
	return err;
}

static bool str_is(const uint8_t *body, size_t len, const char *key, const char *want)
{
	const char *s;
	size_t n;
	return corridor_msgpack_map_str(body, len, key, &s, &n) == 0 && n == strlen(want) &&
	       memcmp(s, want, n) == 0;
}

/* A party of the contract `id` (any version), or not. */
static int contract_party(struct corridor_ledger *l, const char *id, size_t idlen,
			  const char *reader, bool *yes)
{
	char cid[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	struct corridor_contract *c = malloc(sizeof *c);
	int err = CORRIDOR_OK;
	*yes = false;
	if (!c)
		return CORRIDOR_E_NOMEM;
	if (idlen == 0 || idlen >= sizeof cid)
		goto out;
	memcpy(cid, id, idlen);
	cid[idlen] = '\0';
	err = corridor_contract_get(l, cid, c, NULL);
	if (err == CORRIDOR_E_NOTFOUND) /* proposed and not recorded: only its author */
		err = CORRIDOR_OK;
	else if (!err)
		for (size_t i = 0; i < c->version_count && !*yes; i++) {
			const struct corridor_contract_terms *t = &c->versions[i].terms;
			*yes = !strcmp(t->seller, reader) || !strcmp(t->buyer, reader) ||
			       !strcmp(t->metering_party, reader);
		}
out:
	free(c);
	return err;
}

static int entry_at(struct corridor_ledger *l, uint64_t seq, uint8_t **bytes, size_t *len,
		    struct corridor_entry *e)
{
	int err = corridor_ledger_entry(l, seq, bytes, len);
	if (!err && corridor_entry_decode(*bytes, *len, e, NULL) != 0) {
		free(*bytes);
		*bytes = NULL;
		err = CORRIDOR_E_STORAGE;
	}
	return err;
}

bool corridor_kind_public(const char *kind)
{
	static const char *const public_kinds[] = { "genesis",	      "party.register", "key.add",
						    "key.rotate",     "key.revoke",     "currency.define",
						    "rate.record",    "rate.correct",   NULL };
	for (size_t i = 0; public_kinds[i]; i++)
		if (!strcmp(kind, public_kinds[i]))
			return true;
	return false;
}

static int visible(struct corridor_ledger *l, const char *reader, const struct corridor_entry *e,
		   unsigned depth, bool *yes)
{
	const char *s;
	size_t n;
	uint64_t link;
	*yes = !strcmp(e->author, reader);
	if (*yes)
		return CORRIDOR_OK;
	if (corridor_kind_public(e->kind))
		return *yes = true, CORRIDOR_OK;
	if (depth >= FOLLOW_MAX)
		return CORRIDOR_OK;
	/* the entry another one refers to decides */
	const char *via = !strcmp(e->kind, "delivery.correct")	 ? "supersedes"
			  : !strcmp(e->kind, "payment.reverse")	 ? "payment"
			  : !strcmp(e->kind, "settlement.reverse") ? "batch"
			  : !strcmp(e->kind, "attest")		 ? "seq"
								 : NULL;
	if (via) {
		uint8_t *bytes = NULL;
		size_t len;
		struct corridor_entry t;
		if (corridor_msgpack_map_uint(e->body, e->body_len, via, &link) != 0 || link >= e->seq)
			return CORRIDOR_OK;
		int err = entry_at(l, link, &bytes, &len, &t);
		if (!err) {
			/* an attestation shows to the attested entry's author */
			if (!strcmp(e->kind, "attest"))
				*yes = !strcmp(t.author, reader);
			else
				err = visible(l, reader, &t, depth + 1, yes);
		}
		free(bytes);
		return err;
	}
	if (!strncmp(e->kind, "contract.", 9) || !strncmp(e->kind, "delivery.", 9)) {
		if (corridor_msgpack_map_str(e->body, e->body_len, "contract", &s, &n) == 0)
			return contract_party(l, s, n, reader, yes);
		/* a proposal names its parties in its terms */
		size_t tlen;
		const uint8_t *terms = corridor_map_find(e->body, e->body_len, "terms", &tlen);
		*yes = terms && (str_is(terms, tlen, "seller", reader) ||
				 str_is(terms, tlen, "buyer", reader) ||
				 str_is(terms, tlen, "metering_party", reader));
		return CORRIDOR_OK;
	}
	if (!strcmp(e->kind, "settlement.invoice")) {
		*yes = str_is(e->body, e->body_len, "seller", reader) ||
		       str_is(e->body, e->body_len, "buyer", reader);
		return CORRIDOR_OK;
	}
	if (!strncmp(e->kind, "payment.", 8)) {
		*yes = str_is(e->body, e->body_len, "payer", reader) ||
		       str_is(e->body, e->body_len, "payee", reader);
		return CORRIDOR_OK;
	}
	if (!strcmp(e->kind, "settlement.batch")) {
		size_t nlen;
		const uint8_t *net = corridor_map_find(e->body, e->body_len, "netting", &nlen);
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		if (net && msgpack_unpack_next(&u, (const char *)net, nlen, NULL) ==
				   MSGPACK_UNPACK_SUCCESS &&
		    u.data.type == MSGPACK_OBJECT_ARRAY)
			for (uint32_t i = 0; i < u.data.via.array.size && !*yes; i++) {
				const msgpack_object *line = &u.data.via.array.ptr[i];
				if (line->type != MSGPACK_OBJECT_MAP)
					continue;
				for (uint32_t k = 0; k < line->via.map.size; k++) {
					const msgpack_object_kv *kv = &line->via.map.ptr[k];
					if (kv->key.type == MSGPACK_OBJECT_STR &&
					    kv->val.type == MSGPACK_OBJECT_STR &&
					    ((kv->key.via.str.size == 4 &&
					      !memcmp(kv->key.via.str.ptr, "from", 4)) ||
					     (kv->key.via.str.size == 2 &&
					      !memcmp(kv->key.via.str.ptr, "to", 2))) &&
					    kv->val.via.str.size == strlen(reader) &&
					    !memcmp(kv->val.via.str.ptr, reader, strlen(reader)))
						*yes = true;
				}
			}
		msgpack_unpacked_destroy(&u);
	}
	return CORRIDOR_OK; /* memos and anything else: the author's */
}

int corridor_entry_visible(struct corridor_ledger *l, const char *reader, const uint8_t *bytes,
			   size_t len, bool *yes, struct corridor_diag *diag)
{
	struct corridor_entry e;
	int err = corridor_entry_decode(bytes, len, &e, diag);
	if (!err && (err = visible(l, reader, &e, 0, yes)) != 0)
		corridor_diag_set(diag, err, "cannot decide who may see entry %llu",
				  (unsigned long long)e.seq);
	return err;
}

int corridor_entry_concerns(struct corridor_ledger *l, const char *party, const uint8_t *bytes,
			    size_t len, bool *yes, struct corridor_diag *diag)
{
	struct corridor_entry e;
	*yes = false;
	int err = corridor_entry_decode(bytes, len, &e, diag);
	if (err)
		return err;
	if (!strcmp(e.author, party))
		return *yes = true, CORRIDOR_OK;
	if (corridor_kind_public(e.kind)) {
		*yes = str_is(e.body, e.body_len, !strcmp(e.kind, "party.register") ? "id" : "party",
			      party);
		return CORRIDOR_OK;
	}
	if (!l) /* an entry of the party's own view: one it may see */
		return *yes = true, CORRIDOR_OK;
	if ((err = visible(l, party, &e, 0, yes)) != 0)
		corridor_diag_set(diag, err, "cannot decide whom entry %llu concerns",
				  (unsigned long long)e.seq);
	return err;
}

int corridor_reader_sees_contract(struct corridor_ledger *l, const char *reader, const char *id,
				  bool *yes, struct corridor_diag *diag)
{
	bool all = false;
	*yes = false;
	int err = corridor_reader_sees_all(l, reader, &all, diag);
	if (err)
		return err;
	if (all) {
		struct corridor_contract *c = malloc(sizeof *c);
		if (!c)
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		err = corridor_contract_get(l, id, c, diag);
		free(c);
		*yes = err == CORRIDOR_OK;
		return err;
	}
	err = contract_party(l, id, strlen(id), reader, yes);
	if (err)
		corridor_diag_set(diag, err, "cannot read contract %s", id);
	return err;
}

bool corridor_invoice_visible(const struct corridor_invoice *v, const char *reader)
{
	return !strcmp(v->seller, reader) || !strcmp(v->buyer, reader);
}

bool corridor_payment_visible(const struct corridor_payment *p, const char *reader)
{
	return !strcmp(p->payer, reader) || !strcmp(p->payee, reader);
}

bool corridor_netting_visible(const struct corridor_netting *n, const char *reader)
{
	return !strcmp(n->from, reader) || !strcmp(n->to, reader);
}

int corridor_batch_for_reader(const struct corridor_batch *b, const char *reader,
			      struct corridor_batch *out)
{
	memset(out, 0, sizeof *out);
	out->period_day = b->period_day;
	out->seq = b->seq;
	out->reversed = b->reversed;
	memcpy(out->digest, b->digest, sizeof out->digest);
	out->invoices = b->invoice_count ? malloc(b->invoice_count * sizeof *out->invoices) : NULL;
	out->netting = b->netting_count ? malloc(b->netting_count * sizeof *out->netting) : NULL;
	if ((b->invoice_count && !out->invoices) || (b->netting_count && !out->netting)) {
		corridor_batch_release(out);
		return CORRIDOR_E_NOMEM;
	}
	for (size_t i = 0; i < b->invoice_count; i++)
		if (corridor_invoice_visible(&b->invoices[i], reader))
			out->invoices[out->invoice_count++] = b->invoices[i];
	for (size_t i = 0; i < b->netting_count; i++)
		if (corridor_netting_visible(&b->netting[i], reader))
			out->netting[out->netting_count++] = b->netting[i];
	return CORRIDOR_OK;
}
