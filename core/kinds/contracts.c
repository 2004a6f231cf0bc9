/*
 * contracts.c — contract.propose/accept/amend/terminate and the validation
 * of terms against SETTLEMENT.md "Numbers".
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

#define INVALID(...) corridor_diag_set(diag, CORRIDOR_E_INVALID, __VA_ARGS__)

static const char *const UNITS[] = { "kWh", "MWh", "GJ", "MMBtu", "m3", NULL };

/* ---- validation ---- */

static bool printable(const char *s, bool spaces)
{
	size_t n = strlen(s);
	if (n == 0 || !corridor_utf8_valid((const uint8_t *)s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20u || s[i] == 0x7f || (!spaces && s[i] == ' '))
			return false;
	return true;
}

int corridor_contract_validate(const struct corridor_contract_terms *t, struct corridor_diag *diag)
{
	bool transit = t->commodity == CORRIDOR_COMMODITY_TRANSIT;
	if (!corridor_party_id_valid(t->id))
		return INVALID("id: a contract id is 1-32 of A-Z, 0-9 and '-'");
	if (!corridor_party_id_valid(t->seller))
		return INVALID("seller: not a party id");
	if (!corridor_party_id_valid(t->buyer))
		return INVALID("buyer: not a party id");
	if (strcmp(t->seller, t->buyer) == 0)
		return INVALID("buyer: the buyer must be another party than the seller");
	if (t->commodity < CORRIDOR_COMMODITY_GAS || t->commodity > CORRIDOR_COMMODITY_TRANSIT)
		return INVALID("commodity: must be gas, power or transit");
	if (!printable(t->delivery_point, true) || strlen(t->delivery_point) > CORRIDOR_POINT_BYTES_MAX)
		return INVALID("delivery_point: 1-%u bytes of printable text", CORRIDOR_POINT_BYTES_MAX);
	bool unit_ok = false;
	for (size_t i = 0; UNITS[i] && !unit_ok; i++)
		unit_ok = strcmp(UNITS[i], t->unit) == 0;
	if (!unit_ok)
		return INVALID("unit: must be kWh, MWh, GJ, MMBtu or m3");
	if (t->end_day <= t->start_day)
		return INVALID("term: end must be after start");
	if (t->utc_offset_min < -14 * 60 || t->utc_offset_min > 14 * 60)
		return INVALID("utc_offset: between -14:00 and +14:00");
	if (t->price_count == 0 || t->price_count > CORRIDOR_PRICE_STEPS_MAX)
		return INVALID("prices: 1-%u steps", CORRIDOR_PRICE_STEPS_MAX);
	if (t->prices[0].from_day != t->start_day)
		return INVALID("prices: the first step must start on the term's start date");
	for (size_t i = 0; i < t->price_count; i++) {
		if (i > 0 && t->prices[i].from_day <= t->prices[i - 1].from_day)
			return INVALID("prices: step %zu does not start after the one before", i + 1);
		if (t->prices[i].from_day >= t->end_day)
			return INVALID("prices: step %zu starts after the term", i + 1);
		if (t->prices[i].price_micro < 0 ||
		    t->prices[i].price_micro >= CORRIDOR_PRICE_MICRO_LIMIT)
			return INVALID("prices: step %zu is outside 0 <= price < 10^6 with 6 decimals",
				       i + 1);
	}
	if (!corridor_currency_code_ok(t->currency))
		return INVALID("currency: an ISO 4217 code such as USD");
	if (!corridor_currency_code_ok(t->settlement_currency))
		return INVALID("settlement_currency: an ISO 4217 code such as CNY");
	if (strcmp(t->currency, t->settlement_currency) != 0 && !t->rate_source[0])
		return INVALID("rate_source: needed when the settlement currency differs");
	if (t->rate_source[0] && !corridor_party_id_valid(t->rate_source))
		return INVALID("rate_source: 1-32 of A-Z, 0-9 and '-' (e.g. PBOC)");
	if (t->payment_days > CORRIDOR_PAYMENT_DAYS_MAX)
		return INVALID("payment_days: 0-%u", CORRIDOR_PAYMENT_DAYS_MAX);
	if (t->tolerance_permille > CORRIDOR_PERMILLE_MAX)
		return INVALID("tolerance_permille: 0-%u", CORRIDOR_PERMILLE_MAX);
	if (t->has_min && (t->min_milli < 0 || t->min_milli >= CORRIDOR_QUANTITY_MILLI_LIMIT))
		return INVALID("min_quantity: 0 <= q < 10^12 with 3 decimals");
	if (t->has_max && (t->max_milli < 0 || t->max_milli >= CORRIDOR_QUANTITY_MILLI_LIMIT))
		return INVALID("max_quantity: 0 <= q < 10^12 with 3 decimals");
	if (t->has_max_rate && (t->max_rate_milli <= 0 || t->max_rate_milli >= CORRIDOR_QUANTITY_MILLI_LIMIT))
		return INVALID("max_rate: 0 < capacity per hour < 10^12 with 3 decimals");
	if (t->has_min && t->has_max && t->min_milli > t->max_milli)
		return INVALID("max_quantity: must not be below min_quantity");
	if (t->has_min && t->shortfall_bp > CORRIDOR_BASIS_POINTS_MAX)
		return INVALID("shortfall_share_bp: 0-%u", CORRIDOR_BASIS_POINTS_MAX);
	if (t->has_max && t->excess_bp > CORRIDOR_BASIS_POINTS_MAX)
		return INVALID("excess_premium_bp: 0-%u", CORRIDOR_BASIS_POINTS_MAX);
	if (!corridor_party_id_valid(t->metering_party))
		return INVALID("metering_party: not a party id");
	if (!printable(t->billing_meter, false) || strlen(t->billing_meter) > CORRIDOR_METER_ID_BYTES_MAX)
		return INVALID("billing_meter: 1-%u bytes without spaces", CORRIDOR_METER_ID_BYTES_MAX);
	if (transit) {
		if (!corridor_party_id_valid(t->carries) || strcmp(t->carries, t->id) == 0)
			return INVALID("carries: a transit contract names the supply contract it carries");
		if (t->has_min || t->has_max)
			return INVALID("min_quantity: no quantity bands apply to transit");
	} else if (t->carries[0]) {
		return INVALID("carries: only a transit contract carries another");
	}
	return CORRIDOR_OK;
}

/* ---- processing the kinds ---- */

/* "<kind>: <message>" as a refusal (the one formatter, kinds.c). */
#define refuse(e, diag, ...) corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, __VA_ARGS__)

/* Unpacks an entry body (canonical) for the contract kinds. */
struct cbody {
	msgpack_unpacked u;
	const msgpack_object *o;
};

static int cbody_open(struct cbody *b, const struct corridor_entry *e, struct corridor_diag *diag)
{
	msgpack_unpacked_init(&b->u);
	int err = corridor_body_map(e, &b->u, diag);
	if (err) {
		msgpack_unpacked_destroy(&b->u);
		return err;
	}
	b->o = &b->u.data;
	return CORRIDOR_OK;
}

static bool has_role(struct kind_state *st, const char *id, unsigned role)
{
	unsigned roles = 0;
	return corridor_party_roles(st->kv, id, &roles) == 0 && (roles & role);
}

/* Ledger-state checks of terms: registered parties in their roles, the
 * author one of the two, the carried contract. */
static int terms_in_ledger(struct kind_state *st, const struct corridor_entry *e,
			   const struct corridor_contract_terms *t, struct corridor_diag *diag)
{
	if (strcmp(e->author, t->seller) != 0 && strcmp(e->author, t->buyer) != 0)
		return refuse(e, diag, "only the seller %s or the buyer %s may propose contract %s",
			      t->seller, t->buyer, t->id);
	if (!has_role(st, t->seller, CORRIDOR_ROLE_SELLER))
		return refuse(e, diag, "seller %s is not a registered party with the seller role",
			      t->seller);
	if (!has_role(st, t->buyer, CORRIDOR_ROLE_BUYER))
		return refuse(e, diag, "buyer %s is not a registered party with the buyer role",
			      t->buyer);
	if (strcmp(t->metering_party, t->seller) != 0 && strcmp(t->metering_party, t->buyer) != 0 &&
	    !has_role(st, t->metering_party, CORRIDOR_ROLE_METER))
		return refuse(e, diag, "metering party %s is neither seller, buyer nor a party with "
				       "the meter role",
			      t->metering_party);
	unsigned decimals;
	if (corridor_currency_get(st->kv, t->currency, &decimals, NULL) != 0 ||
	    corridor_currency_get(st->kv, t->settlement_currency, &decimals, NULL) != 0)
		return refuse(e, diag, "currency %s or %s is not defined (currency define)",
			      t->currency, t->settlement_currency);
	if (t->commodity == CORRIDOR_COMMODITY_TRANSIT) {
		struct corridor_contract *s = malloc(sizeof *s);
		if (!s)
			return CORRIDOR_E_NOMEM;
		int rc = CORRIDOR_OK;
		if (corridor_contract_record(st->kv, t->carries, s) != 0 || s->version_count == 0) {
			free(s);
			return refuse(e, diag, "carries %s, which is not an accepted contract",
				      t->carries);
		}
		const struct corridor_contract_terms *sup = &s->versions[s->version_count - 1].terms;
		if (sup->commodity == CORRIDOR_COMMODITY_TRANSIT || strcmp(sup->unit, t->unit) != 0 ||
		    sup->utc_offset_min != t->utc_offset_min)
			rc = refuse(e, diag, "carries %s, a supply contract of another unit or offset",
				    t->carries);
		free(s);
		return rc;
	}
	return CORRIDOR_OK;
}

static int decode_terms_field(const struct cbody *b, const struct corridor_entry *e,
			      struct corridor_contract_terms *t, struct corridor_diag *diag)
{
	const msgpack_object *to = corridor_mpo_field(b->o, "terms");
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (!to || corridor_terms_decode(to, t) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq, "%s: terms do not decode",
					 e->kind);
	if (corridor_contract_validate(t, &d) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq, "%s: %s", e->kind, d.text);
	return CORRIDOR_OK;
}

static bool same_identity(const struct corridor_contract_terms *a, const struct corridor_contract_terms *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->seller, b->seller) == 0 &&
	       strcmp(a->buyer, b->buyer) == 0 && a->commodity == b->commodity &&
	       strcmp(a->carries, b->carries) == 0;
}

/* Only the price schedule differs? */
static bool price_only(const struct corridor_contract_terms *a, const struct corridor_contract_terms *b)
{
	struct corridor_contract_terms x = *a, y = *b;
	x.price_count = y.price_count = 0;
	memset(x.prices, 0, sizeof x.prices);
	memset(y.prices, 0, sizeof y.prices);
	return memcmp(&x, &y, sizeof x) == 0;
}

/* The key of a stored proposal body: contract id || 0 || be64(seq). */
static size_t proposal_key(const char *id, uint64_t seq, uint8_t key[CORRIDOR_PARTY_ID_BYTES_MAX + 10])
{
	size_t kl = strlen(id);
	memcpy(key, id, kl);
	key[kl] = 0;
	corridor_be64_put(key + kl + 1, seq);
	return kl + 9;
}

static void add_pending(struct corridor_contract *c, const struct corridor_entry *e, int32_t effective)
{
	struct corridor_contract_pending *np = &c->pending[c->pending_count++];
	*np = (struct corridor_contract_pending){ .seq = e->seq, .effective_day = effective };
	snprintf(np->kind, sizeof np->kind, "%.23s", e->kind);
	snprintf(np->proposer, sizeof np->proposer, "%.32s", e->author);
}

/* Records the contract and keeps the proposal's body until it is accepted. */
static int store_proposal(struct kind_state *st, const struct corridor_contract *c,
			  const struct corridor_entry *e)
{
	uint8_t key[CORRIDOR_PARTY_ID_BYTES_MAX + 10];
	int err = corridor_contract_record_put(st->kv, c);
	return err ? err
		   : st->kv->put(st->kv, STATE_PROPOSALS, key, proposal_key(c->id, e->seq, key),
				 e->body, e->body_len);
}

static int unknown_field(const struct corridor_entry *e, struct corridor_diag *diag)
{
	return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq, "%s: unknown field", e->kind);
}

static int process_propose(struct kind_state *st, const struct corridor_entry *e,
			   const struct cbody *b, struct corridor_contract *c,
			   struct corridor_contract_terms *t, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "idempotency_key", "terms", NULL };
	int err;
	if (!corridor_mpo_fields_only(b->o, allowed))
		return unknown_field(e, diag);
	if ((err = decode_terms_field(b, e, t, diag)) || (err = terms_in_ledger(st, e, t, diag)))
		return err;
	if (corridor_contract_record(st->kv, t->id, c) == 0)
		return refuse(e, diag, "contract %s exists already", t->id);
	memset(c, 0, sizeof *c);
	memcpy(c->id, t->id, sizeof c->id);
	c->status = CORRIDOR_CONTRACT_PROPOSED;
	c->proposed_seq = e->seq;
	add_pending(c, e, t->start_day);
	return store_proposal(st, c, e);
}

/* The other party accepts a pending proposal: a new version, or the end. */
static int process_accept(struct kind_state *st, const struct corridor_entry *e,
			  const struct cbody *b, struct corridor_contract *c,
			  struct corridor_contract_terms *t, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "contract", "idempotency_key", "proposal", NULL };
	const struct corridor_contract_terms *cur =
		c->version_count ? &c->versions[c->version_count - 1].terms : NULL;
	uint64_t pseq;
	int err;
	if (!corridor_mpo_fields_only(b->o, allowed) ||
	    !corridor_mpo_uint(corridor_mpo_field(b->o, "proposal"), UINT64_MAX, &pseq))
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "%s: needs contract and proposal", e->kind);
	size_t k = 0;
	while (k < c->pending_count && c->pending[k].seq != pseq)
		k++;
	if (k == c->pending_count)
		return refuse(e, diag, "contract %s has no pending proposal at seq %llu", c->id,
			      (unsigned long long)pseq);
	struct corridor_contract_pending pend = c->pending[k];
	const struct corridor_contract_terms *ref = cur;
	if (strcmp(pend.kind, "contract.terminate") != 0) {
		/* the proposal's terms, kept since it was made */
		uint8_t key[CORRIDOR_PARTY_ID_BYTES_MAX + 10];
		const uint8_t *pb;
		size_t pblen;
		struct cbody pbd;
		if (st->kv->get(st->kv, STATE_PROPOSALS, key, proposal_key(c->id, pseq, key), &pb,
				&pblen) != 0)
			return corridor_diag_seq(diag, CORRIDOR_E_STORAGE, e->seq,
						 "proposal %llu of %s is not stored",
						 (unsigned long long)pseq, c->id);
		struct corridor_entry pe = { .seq = pseq, .body = pb, .body_len = pblen };
		snprintf(pe.kind, sizeof pe.kind, "%s", pend.kind);
		if ((err = cbody_open(&pbd, &pe, diag)) != 0)
			return err;
		err = decode_terms_field(&pbd, &pe, t, diag);
		msgpack_unpacked_destroy(&pbd.u);
		if (err)
			return err;
		ref = t;
	}
	CORRIDOR_ASSERT(ref != NULL); /* a termination needs an accepted version */
	if (strcmp(e->author, ref->seller) != 0 && strcmp(e->author, ref->buyer) != 0)
		return refuse(e, diag, "only the parties of contract %s may accept", c->id);
	if (strcmp(e->author, pend.proposer) == 0)
		return refuse(e, diag, "%s proposed it: the other party accepts", e->author);
	if (c->version_count >= CORRIDOR_CONTRACT_VERSIONS_MAX)
		return refuse(e, diag, "contract %s has %u versions, the most one contract has", c->id,
			      CORRIDOR_CONTRACT_VERSIONS_MAX);
	struct corridor_contract_version *nv = &c->versions[c->version_count];
	nv->accepted_seq = e->seq;
	nv->effective_day = pend.effective_day;
	nv->terms = *ref;
	if (strcmp(pend.kind, "contract.terminate") == 0) {
		nv->terms.end_day = pend.effective_day;
		c->status = CORRIDOR_CONTRACT_TERMINATED;
	} else if (c->status == CORRIDOR_CONTRACT_PROPOSED) {
		c->status = CORRIDOR_CONTRACT_ACTIVE;
	}
	c->version_count++;
	/* The other pending proposals lapse: they were made against the terms
	 * this acceptance just replaced. */
	c->pending_count = 0;
	return corridor_contract_record_put(st->kv, c);
}

/* An amendment or a termination, proposed by a party of an active contract. */
static int process_change(struct kind_state *st, const struct corridor_entry *e,
			  const struct cbody *b, struct corridor_contract *c,
			  struct corridor_contract_terms *t, struct corridor_diag *diag)
{
	static const char *const amend_fields[] = { "contract", "effective", "idempotency_key",
						    "terms", NULL };
	static const char *const end_fields[] = { "contract", "effective", "idempotency_key", NULL };
	bool amend = strcmp(e->kind, "contract.amend") == 0;
	const struct corridor_contract_terms *cur = &c->versions[c->version_count - 1].terms;
	char eff[16];
	int32_t effective;
	int err;
	if (c->status != CORRIDOR_CONTRACT_ACTIVE)
		return refuse(e, diag, "contract %s is not active (accepted and not terminated)", c->id);
	if (strcmp(e->author, cur->seller) != 0 && strcmp(e->author, cur->buyer) != 0)
		return refuse(e, diag, "only the seller or the buyer of %s may %s it", c->id,
			      e->kind + strlen("contract."));
	if (!corridor_mpo_fields_only(b->o, amend ? amend_fields : end_fields))
		return unknown_field(e, diag);
	if (!corridor_mpo_str(corridor_mpo_field(b->o, "effective"), eff, sizeof eff) ||
	    corridor_date_parse(eff, strlen(eff), &effective) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "%s: needs an effective date", e->kind);
	int32_t floor_day = corridor_first_unsettled_day(st->kv, c);
	if (c->versions[c->version_count - 1].effective_day > floor_day)
		floor_day = c->versions[c->version_count - 1].effective_day;
	if (effective < floor_day || effective >= cur->end_day)
		return refuse(e, diag, "effective %s is outside the contract's open part of the term",
			      eff);
	if (amend) {
		if ((err = decode_terms_field(b, e, t, diag)) != 0)
			return err;
		if (!same_identity(t, cur))
			return refuse(e, diag, "an amendment keeps the id, parties, commodity and "
					       "carried contract");
		if ((err = terms_in_ledger(st, e, t, diag)) != 0)
			return err;
		if (!price_only(t, cur) && !corridor_month_start(effective))
			return refuse(e, diag, "terms other than prices change from the first day of "
					       "a period only, not %s",
				      eff);
	} else if (!corridor_month_start(effective) || effective <= cur->start_day) {
		return refuse(e, diag, "a termination takes effect on the first day of a later "
				       "period, not %s",
			      eff);
	}
	if (c->pending_count >= CORRIDOR_CONTRACT_PENDING_MAX)
		return refuse(e, diag, "contract %s has %u pending proposals already", c->id,
			      CORRIDOR_CONTRACT_PENDING_MAX);
	add_pending(c, e, effective);
	return store_proposal(st, c, e);
}

int corridor_contract_process(struct kind_state *st, const struct corridor_entry *e,
			      struct corridor_diag *diag)
{
	struct cbody b;
	char id[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int err = cbody_open(&b, e, diag);
	if (err)
		return err;
	struct corridor_contract *c = calloc(1, sizeof *c);
	struct corridor_contract_terms *t = calloc(1, sizeof *t);
	if (!c || !t) {
		err = CORRIDOR_E_NOMEM;
	} else if (strcmp(e->kind, "contract.propose") == 0) {
		err = process_propose(st, e, &b, c, t, diag);
	} else if (!corridor_mpo_str(corridor_mpo_field(b.o, "contract"), id, sizeof id)) {
		err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq, "%s: needs a contract id",
					e->kind);
	} else if (corridor_contract_record(st->kv, id, c) != 0) {
		err = refuse(e, diag, "there is no contract %s", id);
	} else if (strcmp(e->kind, "contract.accept") == 0) {
		err = process_accept(st, e, &b, c, t, diag);
	} else if (c->version_count == 0) {
		err = refuse(e, diag, "contract %s is not accepted yet", id);
	} else {
		err = process_change(st, e, &b, c, t, diag);
	}
	msgpack_unpacked_destroy(&b.u);
	free(c);
	free(t);
	return err;
}
