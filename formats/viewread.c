/*
 * viewread.c — the views read back (corridor/views.h): a client of
 * `corridor serve` decodes the JSON a view endpoint answers into the same
 * records the library gives locally, so the CLI prints tables and CSV from
 * them as it does from a ledger. Each decoder accepts exactly what
 * formats/views.c writes; anything else is CORRIDOR_E_MALFORMED.
 *
 * Amounts are written with their currency's decimals (corridor_money_format),
 * so a decoder learns them from the text and records them in `scales`.
 */
#include <string.h>

#include <jansson.h>

#include "formats.h"

#define VIEW_DOC_BYTES_MAX ((size_t)256 << 20)

typedef int (*record_fn)(void *ctx, json_t *o);

static int bad(struct corridor_diag *diag, const char *what)
{
	return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
				 "the server's answer is not a %s view as this release reads it",
				 what);
}

/* Each record of a list document: a JSON array, or one object a line. */
static int each_record(const char *doc, size_t len, record_fn fn, void *ctx, const char *what,
		       struct corridor_diag *diag)
{
	json_error_t je;
	size_t at = 0;
	if (len > VIEW_DOC_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the server's answer is too large");
	while (at < len && (doc[at] == ' ' || doc[at] == '\n' || doc[at] == '\r'))
		at++;
	if (at < len && doc[at] == '[') {
		json_t *a = json_loadb(doc + at, len - at, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_array(a)) {
			json_decref(a);
			return bad(diag, what);
		}
		int err = CORRIDOR_OK;
		for (size_t i = 0; i < json_array_size(a) && !err; i++)
			err = json_is_object(json_array_get(a, i)) ? fn(ctx, json_array_get(a, i))
								   : bad(diag, what);
		json_decref(a);
		return err;
	}
	while (at < len) {
		json_t *o = json_loadb(doc + at, len - at,
				       JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
		if (!json_is_object(o)) {
			json_decref(o);
			return bad(diag, what);
		}
		at += (size_t)je.position;
		int err = fn(ctx, o);
		json_decref(o);
		if (err)
			return err;
		while (at < len && (doc[at] == ' ' || doc[at] == '\n' || doc[at] == '\r'))
			at++;
	}
	return CORRIDOR_OK;
}

static bool jstr(json_t *o, const char *key, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));
	size_t n = s ? json_string_length(json_object_get(o, key)) : 0;
	if (!s || n >= cap || memchr(s, 0, n))
		return false;
	memcpy(out, s, n + 1);
	return true;
}

static bool ju64(json_t *o, const char *key, uint64_t *v)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return false;
	*v = (uint64_t)json_integer_value(x);
	return true;
}

/* A seq that may be none: null (written for "none") or a seq. */
static bool jseq_or_none(json_t *o, const char *key, uint64_t *v)
{
	json_t *x = json_object_get(o, key);
	if (json_is_null(x)) {
		*v = 0;
		return true;
	}
	return ju64(o, key, v) && *v > 0;
}

/* A decimal string at a fixed scale. */
static bool jdec(json_t *o, const char *key, unsigned scale, int64_t *v)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && corridor_decimal_parse(s, strlen(s), scale, INT64_MIN, INT64_MAX, v) == 0;
}

/* An amount: its decimals are those it is written with, recorded for cur. */
static bool jmoney(json_t *o, const char *key, const char *cur, struct corridor_scales *sc,
		   int64_t *v, unsigned *decimals)
{
	const char *s = json_string_value(json_object_get(o, key));
	const char *dot = s ? strchr(s, '.') : NULL;
	unsigned dec = dot ? (unsigned)strlen(dot + 1) : 0;
	if (!s || dec > CORRIDOR_CURRENCY_DECIMALS_MAX ||
	    corridor_decimal_parse(s, strlen(s), dec, INT64_MIN, INT64_MAX, v) != 0)
		return false;
	if (decimals)
		*decimals = dec;
	if (sc && cur && corridor_scales_decimals(sc, cur) != dec) {
		size_t i = 0;
		while (i < sc->count && strcmp(sc->code[i], cur))
			i++;
		if (i == sc->count && sc->count < CORRIDOR_CURRENCIES_MAX)
			snprintf(sc->code[sc->count++], sizeof sc->code[0], "%.3s", cur);
		if (i < sc->count)
			sc->decimals[i] = (unsigned char)dec;
	}
	return true;
}

static bool jdate(json_t *o, const char *key, int32_t *day)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && strlen(s) == 10 && corridor_date_parse(s, 10, day) == 0;
}

/* "YYYY-MM": its first day. */
static bool jperiod(json_t *o, const char *key, int32_t *day)
{
	const char *s = json_string_value(json_object_get(o, key));
	char d[11];
	if (!s || strlen(s) != 7)
		return false;
	snprintf(d, sizeof d, "%s-01", s);
	return corridor_date_parse(d, 10, day) == 0;
}

static bool jutc(json_t *o, const char *key, int64_t *secs)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && corridor_utc_parse(s, strlen(s), secs) == 0;
}

static bool jbool(json_t *o, const char *key, bool *v)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_boolean(x))
		return false;
	*v = json_is_true(x);
	return true;
}

static int name_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 1; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return 0;
}

/* ---- parties ---- */

struct list_ctx {
	union {
		corridor_party_fn party;
		corridor_contract_fn contract;
		corridor_delivery_fn delivery;
		corridor_currency_fn currency;
		corridor_rate_fn rate;
		corridor_invoice_fn invoice;
		corridor_batch_fn batch;
		corridor_payment_fn payment;
		corridor_balance_fn balance;
	} fn;
	void *ctx;
	struct corridor_scales *scales;
	struct corridor_diag *diag;
};

static int party_decode(json_t *o, struct corridor_party *p)
{
	json_t *roles = json_object_get(o, "roles"), *ibans = json_object_get(o, "ibans"),
	       *keys = json_object_get(o, "keys");
	memset(p, 0, sizeof *p);
	if (!jstr(o, "id", p->id, sizeof p->id) || !jstr(o, "name", p->name, sizeof p->name) ||
	    !jstr(o, "country", p->country, sizeof p->country) ||
	    !ju64(o, "registered_seq", &p->registered_seq) || !json_is_array(roles) ||
	    !json_is_array(ibans) || json_array_size(ibans) > CORRIDOR_PARTY_IBANS_MAX ||
	    !json_is_array(keys) || json_array_size(keys) > CORRIDOR_PARTY_KEYS_MAX)
		return CORRIDOR_E_MALFORMED;
	for (size_t i = 0; i < json_array_size(roles); i++) {
		const char *r = json_string_value(json_array_get(roles, i));
		unsigned bit = 0;
		while (bit < 7 && (!r || strcmp(r, corridor_role_names[bit])))
			bit++;
		if (bit == 7)
			return CORRIDOR_E_MALFORMED;
		p->roles |= 1u << bit;
	}
	for (size_t i = 0; i < json_array_size(ibans); i++) {
		const char *s = json_string_value(json_array_get(ibans, i));
		if (!s || strlen(s) >= sizeof p->ibans[0])
			return CORRIDOR_E_MALFORMED;
		snprintf(p->ibans[p->iban_count++], sizeof p->ibans[0], "%s", s);
	}
	for (size_t i = 0; i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		struct corridor_party_key *pk = &p->keys[p->key_count++];
		struct corridor_vkey vk;
		const char *v = json_string_value(json_object_get(k, "vkey"));
		json_t *until = json_object_get(k, "valid_until");
		if (!v || corridor_vkey_parse(v, strlen(v), &vk) != 0 ||
		    !ju64(k, "valid_from", &pk->valid_from) ||
		    (!json_is_null(until) && !ju64(k, "valid_until", &pk->valid_until)))
			return CORRIDOR_E_MALFORMED;
		if (json_is_null(until))
			pk->valid_until = UINT64_MAX;
		pk->key_id = vk.key_id;
		memcpy(pk->public_key, vk.public_key, sizeof pk->public_key);
	}
	return CORRIDOR_OK;
}

static int party_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_party *p = malloc(sizeof *p);
	int err = p ? party_decode(o, p) : CORRIDOR_E_NOMEM;
	if (err == CORRIDOR_E_MALFORMED)
		err = bad(c->diag, "party");
	else if (!err)
		err = c->fn.party(c->ctx, p);
	free(p);
	return err;
}

int corridor_parties_from_json(const char *doc, size_t len, corridor_party_fn fn, void *ctx,
			       struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.party = fn, .ctx = ctx, .diag = diag };
	return each_record(doc, len, party_one, &c, "party", diag);
}

/* ---- contracts ---- */

static int contract_decode(json_t *o, struct corridor_contract *c)
{
	static const char *const status[] = { "", "proposed", "active", "terminated" };
	json_t *versions = json_object_get(o, "versions"), *pending = json_object_get(o, "pending");
	char st[16];
	memset(c, 0, sizeof *c);
	if (!jstr(o, "id", c->id, sizeof c->id) || !jstr(o, "status", st, sizeof st) ||
	    !(c->status = (enum corridor_contract_status)name_of(status, 4, st)) ||
	    !ju64(o, "proposed_seq", &c->proposed_seq) || !json_is_array(versions) ||
	    json_array_size(versions) > CORRIDOR_CONTRACT_VERSIONS_MAX ||
	    !json_is_array(pending) || json_array_size(pending) > CORRIDOR_CONTRACT_PENDING_MAX)
		return CORRIDOR_E_MALFORMED;
	for (size_t i = 0; i < json_array_size(versions); i++) {
		json_t *v = json_array_get(versions, i);
		struct corridor_contract_version *cv = &c->versions[c->version_count++];
		char *terms = json_dumps(json_object_get(v, "terms"), JSON_COMPACT);
		int err = terms ? corridor_terms_json_decode(terms, strlen(terms), &cv->terms, NULL)
				: CORRIDOR_E_MALFORMED;
		free(terms);
		if (err || !ju64(v, "accepted_seq", &cv->accepted_seq) ||
		    !jdate(v, "effective", &cv->effective_day))
			return CORRIDOR_E_MALFORMED;
	}
	for (size_t i = 0; i < json_array_size(pending); i++) {
		json_t *p = json_array_get(pending, i);
		struct corridor_contract_pending *cp = &c->pending[c->pending_count++];
		if (!ju64(p, "seq", &cp->seq) || !jstr(p, "kind", cp->kind, sizeof cp->kind) ||
		    !jstr(p, "proposer", cp->proposer, sizeof cp->proposer) ||
		    !jdate(p, "effective", &cp->effective_day))
			return CORRIDOR_E_MALFORMED;
	}
	return CORRIDOR_OK;
}

static int contract_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_contract *k = malloc(sizeof *k);
	int err = k ? contract_decode(o, k) : CORRIDOR_E_NOMEM;
	if (err == CORRIDOR_E_MALFORMED)
		err = bad(c->diag, "contract");
	else if (!err)
		err = c->fn.contract(c->ctx, k);
	free(k);
	return err;
}

int corridor_contracts_from_json(const char *doc, size_t len, corridor_contract_fn fn, void *ctx,
				 struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.contract = fn, .ctx = ctx, .diag = diag };
	return each_record(doc, len, contract_one, &c, "contract", diag);
}

/* ---- deliveries, currencies, rates ---- */

static int delivery_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_delivery d = { 0 };
	char q[2];
	if (!ju64(o, "seq", &d.seq) || !jstr(o, "contract", d.contract, sizeof d.contract) ||
	    !jstr(o, "recorder", d.recorder, sizeof d.recorder) ||
	    !jstr(o, "meter", d.meter, sizeof d.meter) || !jutc(o, "start", &d.start_s) ||
	    !jutc(o, "end", &d.end_s) || !jdec(o, "quantity", 3, &d.quantity_milli) ||
	    !jstr(o, "quality", q, sizeof q) || !jseq_or_none(o, "supersedes", &d.supersedes) ||
	    !jseq_or_none(o, "superseded_by", &d.superseded_by))
		return bad(c->diag, "delivery");
	d.quality = q[0];
	return c->fn.delivery(c->ctx, &d);
}

int corridor_deliveries_from_json(const char *doc, size_t len, corridor_delivery_fn fn,
				  void *ctx, struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.delivery = fn, .ctx = ctx, .diag = diag };
	return each_record(doc, len, delivery_one, &c, "delivery", diag);
}

static int currency_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	char code[4];
	uint64_t dec, seq;
	if (!jstr(o, "code", code, sizeof code) || !ju64(o, "decimals", &dec) ||
	    dec > CORRIDOR_CURRENCY_DECIMALS_MAX || !ju64(o, "seq", &seq))
		return bad(c->diag, "currency");
	return c->fn.currency(c->ctx, code, (unsigned)dec, seq);
}

int corridor_currencies_from_json(const char *doc, size_t len, corridor_currency_fn fn,
				  void *ctx, struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.currency = fn, .ctx = ctx, .diag = diag };
	return each_record(doc, len, currency_one, &c, "currency", diag);
}

static bool rate_decode(json_t *o, struct corridor_rate *r)
{
	return jstr(o, "base", r->base, sizeof r->base) &&
	       jstr(o, "quote", r->quote, sizeof r->quote) && jdate(o, "date", &r->day) &&
	       jdec(o, "rate", 8, &r->rate_e8) && jstr(o, "source", r->source, sizeof r->source);
}

static int rate_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_rate r = { 0 };
	if (!rate_decode(o, &r) || !ju64(o, "seq", &r.seq) || !jseq_or_none(o, "corrects", &r.corrects))
		return bad(c->diag, "rate");
	return c->fn.rate(c->ctx, &r);
}

int corridor_rates_from_json(const char *doc, size_t len, corridor_rate_fn fn, void *ctx,
			     struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.rate = fn, .ctx = ctx, .diag = diag };
	return each_record(doc, len, rate_one, &c, "rate", diag);
}

/* ---- invoices, batches, payments ---- */

static int invoice_decode(json_t *o, struct corridor_scales *sc, struct corridor_invoice *v)
{
	static const char *const kinds[] = { "", "energy", "shortfall", "excess", "transit" };
	json_t *lines = json_object_get(o, "lines"), *adj = json_object_get(o, "adjustments"),
	       *rate = json_object_get(o, "rate");
	char kind[16];
	memset(v, 0, sizeof *v);
	if (!jstr(o, "id", v->id, sizeof v->id) || !ju64(o, "seq", &v->seq) ||
	    !jbool(o, "reversed", &v->reversed) || !jstr(o, "contract", v->contract, sizeof v->contract) ||
	    !jstr(o, "seller", v->seller, sizeof v->seller) ||
	    !jstr(o, "buyer", v->buyer, sizeof v->buyer) || !jperiod(o, "period", &v->period_day) ||
	    !jdate(o, "issued", &v->issue_day) || !jdate(o, "due", &v->due_day) ||
	    !jstr(o, "currency", v->currency, sizeof v->currency) ||
	    !jstr(o, "settlement_currency", v->settlement_currency,
		  sizeof v->settlement_currency) ||
	    !json_is_array(lines) || json_array_size(lines) > CORRIDOR_INVOICE_LINES_MAX ||
	    !json_is_array(adj) || json_array_size(adj) > CORRIDOR_INVOICE_ADJUSTMENTS_MAX ||
	    !jmoney(o, "subtotal", v->currency, sc, &v->subtotal_minor, NULL) ||
	    !ju64(o, "intervals", &v->intervals) || !ju64(o, "disputed", &v->disputed) ||
	    !jmoney(o, "total", v->settlement_currency, sc, &v->total_minor, NULL))
		return CORRIDOR_E_MALFORMED;
	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_t *l = json_array_get(lines, i);
		struct corridor_invoice_line *ln = &v->lines[v->line_count++];
		if (!jstr(l, "kind", kind, sizeof kind) ||
		    !(ln->kind = (enum corridor_line_kind)name_of(kinds, 5, kind)) ||
		    !jdec(l, "quantity", 3, &ln->quantity_milli) ||
		    !jdec(l, "price", 6, &ln->price_micro) ||
		    !jmoney(l, "amount", v->currency, sc, &ln->amount_minor, NULL))
			return CORRIDOR_E_MALFORMED;
	}
	for (size_t i = 0; i < json_array_size(adj); i++) {
		json_t *a = json_array_get(adj, i);
		struct corridor_invoice_adjustment *ad = &v->adjustments[v->adjustment_count++];
		if (!jperiod(a, "period", &ad->period_day) ||
		    !jstr(a, "invoice", ad->invoice, sizeof ad->invoice) ||
		    !jmoney(a, "delta", v->currency, sc, &ad->delta_minor, NULL) ||
		    !jmoney(a, "amount", v->settlement_currency, sc, &ad->amount_minor, NULL))
			return CORRIDOR_E_MALFORMED;
	}
	if (!json_is_null(rate)) {
		if (!json_is_object(rate) || !rate_decode(rate, &v->rate))
			return CORRIDOR_E_MALFORMED;
		v->converted = true;
	}
	return CORRIDOR_OK;
}

static int invoice_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_invoice *v = malloc(sizeof *v);
	int err = v ? invoice_decode(o, c->scales, v) : CORRIDOR_E_NOMEM;
	if (err == CORRIDOR_E_MALFORMED)
		err = bad(c->diag, "invoice");
	else if (!err)
		err = c->fn.invoice(c->ctx, v);
	free(v);
	return err;
}

int corridor_invoices_from_json(const char *doc, size_t len, struct corridor_scales *scales,
				corridor_invoice_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.invoice = fn, .ctx = ctx, .scales = scales, .diag = diag };
	return each_record(doc, len, invoice_one, &c, "invoice", diag);
}

static int batch_decode(json_t *o, struct corridor_scales *sc, struct corridor_batch *b)
{
	json_t *inv = json_object_get(o, "invoices"), *tot = json_object_get(o, "totals"),
	       *net = json_object_get(o, "netting");
	const char *dg = json_string_value(json_object_get(o, "digest"));
	memset(b, 0, sizeof *b);
	if (!jperiod(o, "period", &b->period_day) || !ju64(o, "seq", &b->seq) ||
	    !jbool(o, "reversed", &b->reversed) || !dg || strlen(dg) != 2 * CORRIDOR_HASH_BYTES ||
	    !json_is_array(inv) || json_array_size(inv) > CORRIDOR_BATCH_INVOICES_MAX ||
	    !json_is_array(tot) || json_array_size(tot) > CORRIDOR_BATCH_CURRENCIES_MAX ||
	    !json_is_array(net) || json_array_size(net) > CORRIDOR_NETTING_MAX)
		return CORRIDOR_E_MALFORMED;
	for (size_t i = 0; i < CORRIDOR_HASH_BYTES; i++) {
		unsigned x;
		if (sscanf(dg + 2 * i, "%2x", &x) != 1)
			return CORRIDOR_E_MALFORMED;
		b->digest[i] = (uint8_t)x;
	}
	/* computed_at: null, or absent from an earlier release's document */
	json_t *at = json_object_get(o, "computed_at");
	if (at && !json_is_null(at)) {
		const char *rt = json_string_value(json_object_get(at, "root"));
		if (!ju64(at, "size", &b->computed_size) || b->computed_size == 0 || !rt ||
		    strlen(rt) != 2 * CORRIDOR_HASH_BYTES)
			return CORRIDOR_E_MALFORMED;
		for (size_t i = 0; i < CORRIDOR_HASH_BYTES; i++) {
			unsigned x;
			if (sscanf(rt + 2 * i, "%2x", &x) != 1)
				return CORRIDOR_E_MALFORMED;
			b->computed_root[i] = (uint8_t)x;
		}
	}
	b->invoices = calloc(json_array_size(inv) + 1, sizeof *b->invoices);
	b->netting = calloc(json_array_size(net) + 1, sizeof *b->netting);
	if (!b->invoices || !b->netting)
		return CORRIDOR_E_NOMEM;
	for (size_t i = 0; i < json_array_size(inv); i++) {
		int err = invoice_decode(json_array_get(inv, i), sc, &b->invoices[b->invoice_count]);
		if (err)
			return err;
		b->invoice_count++;
	}
	for (size_t i = 0; i < json_array_size(tot); i++) {
		json_t *t = json_array_get(tot, i);
		struct corridor_currency_total *ct = &b->totals[b->total_count++];
		if (!jstr(t, "currency", ct->currency, sizeof ct->currency) ||
		    !jmoney(t, "amount", ct->currency, sc, &ct->amount_minor, NULL))
			return CORRIDOR_E_MALFORMED;
	}
	for (size_t i = 0; i < json_array_size(net); i++) {
		json_t *t = json_array_get(net, i);
		struct corridor_netting *n = &b->netting[b->netting_count++];
		if (!jstr(t, "currency", n->currency, sizeof n->currency) ||
		    !jstr(t, "from", n->from, sizeof n->from) || !jstr(t, "to", n->to, sizeof n->to) ||
		    !jmoney(t, "amount", n->currency, sc, &n->amount_minor, NULL))
			return CORRIDOR_E_MALFORMED;
	}
	return CORRIDOR_OK;
}

static int batch_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_batch b;
	int err = batch_decode(o, c->scales, &b);
	if (err == CORRIDOR_E_MALFORMED)
		err = bad(c->diag, "settlement");
	else if (!err)
		err = c->fn.batch(c->ctx, &b);
	free(b.invoices); /* what batch_decode allocated */
	free(b.netting);
	return err;
}

int corridor_batches_from_json(const char *doc, size_t len, struct corridor_scales *scales,
			       corridor_batch_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.batch = fn, .ctx = ctx, .scales = scales, .diag = diag };
	return each_record(doc, len, batch_one, &c, "settlement", diag);
}

static int payment_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_payment p = { 0 };
	if (!ju64(o, "seq", &p.seq) || !jstr(o, "payer", p.payer, sizeof p.payer) ||
	    !jstr(o, "payee", p.payee, sizeof p.payee) ||
	    !jstr(o, "currency", p.currency, sizeof p.currency) ||
	    !jmoney(o, "amount", p.currency, c->scales, &p.amount_minor, NULL) ||
	    !jdate(o, "value_date", &p.value_day) ||
	    !jstr(o, "reference", p.reference, sizeof p.reference) ||
	    !jseq_or_none(o, "reversed_by", &p.reversed_by))
		return bad(c->diag, "payment");
	return c->fn.payment(c->ctx, &p);
}

int corridor_payments_from_json(const char *doc, size_t len, struct corridor_scales *scales,
				corridor_payment_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.payment = fn, .ctx = ctx, .scales = scales, .diag = diag };
	return each_record(doc, len, payment_one, &c, "payment", diag);
}

/* ---- reports ---- */

static json_t *object_doc(const char *doc, size_t len)
{
	json_error_t je;
	json_t *o = len > VIEW_DOC_BYTES_MAX ? NULL
					     : json_loadb(doc, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An optional quantity: a decimal string, or null. */
static bool jqty_opt(json_t *o, const char *key, bool *has, int64_t *v)
{
	*has = !json_is_null(json_object_get(o, key));
	*v = 0;
	return !*has || jdec(o, key, 3, v);
}

int corridor_meter_report_from_json(const char *doc, size_t len,
				    struct corridor_meter_report *r, struct corridor_diag *diag)
{
	static const char *const status[] = { "", "agree", "disputed", "billing-only",
					      "other-only" };
	json_t *o = object_doc(doc, len), *rows = o ? json_object_get(o, "intervals") : NULL,
	       *tot = o ? json_object_get(o, "totals") : NULL;
	uint64_t tol = 0, n[4];
	char st[16];
	memset(r, 0, sizeof *r);
	int err = CORRIDOR_E_MALFORMED;
	if (!o || !jstr(o, "contract", r->contract, sizeof r->contract) ||
	    !jstr(o, "unit", r->unit, sizeof r->unit) ||
	    !jstr(o, "metering_party", r->metering_party, sizeof r->metering_party) ||
	    !jstr(o, "other_party", r->other_party, sizeof r->other_party) ||
	    !jstr(o, "billing_meter", r->billing_meter, sizeof r->billing_meter) ||
	    !ju64(o, "tolerance_permille", &tol) || tol > UINT32_MAX || !json_is_array(rows) ||
	    !json_is_object(tot) || !jdec(tot, "billing", 3, &r->total_billing_milli) ||
	    !jdec(tot, "other", 3, &r->total_other_milli) || !ju64(tot, "agree", &n[0]) ||
	    !ju64(tot, "disputed", &n[1]) || !ju64(tot, "billing_only", &n[2]) ||
	    !ju64(tot, "other_only", &n[3]))
		goto out;
	r->tolerance_permille = (uint32_t)tol;
	r->agree = (size_t)n[0];
	r->disputed = (size_t)n[1];
	r->billing_only = (size_t)n[2];
	r->other_only = (size_t)n[3];
	if (!(r->rows = calloc(json_array_size(rows) + 1, sizeof *r->rows))) {
		err = CORRIDOR_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *w = json_array_get(rows, i);
		struct corridor_meter_row *m = &r->rows[r->count++];
		if (!jutc(w, "start", &m->start_s) || !jutc(w, "end", &m->end_s) ||
		    !jqty_opt(w, "billing", &m->has_billing, &m->billing_milli) ||
		    !jqty_opt(w, "other", &m->has_other, &m->other_milli) ||
		    !jstr(w, "status", st, sizeof st) ||
		    !(m->status = (enum corridor_meter_status)name_of(status, 5, st)) ||
		    /* the seqs: absent in a document of an earlier release */
		    (json_object_get(w, "billing_seq") &&
		     !jseq_or_none(w, "billing_seq", &m->billing_seq)) ||
		    (json_object_get(w, "other_seq") && !jseq_or_none(w, "other_seq", &m->other_seq)))
			goto out;
	}
	err = CORRIDOR_OK;
out:
	json_decref(o);
	if (err) {
		free(r->rows);
		memset(r, 0, sizeof *r);
		return err == CORRIDOR_E_NOMEM ? corridor_diag_set(diag, err, "out of memory")
					       : bad(diag, "meter report");
	}
	return CORRIDOR_OK;
}

int corridor_performance_from_json(const char *doc, size_t len, corridor_performance_fn fn,
				   void *ctx, struct corridor_diag *diag)
{
	json_t *o = object_doc(doc, len), *rows = o ? json_object_get(o, "contracts") : NULL;
	int err = json_is_array(rows) ? CORRIDOR_OK : bad(diag, "performance");
	for (size_t i = 0; !err && i < json_array_size(rows); i++) {
		json_t *w = json_array_get(rows, i);
		struct corridor_performance p = { 0 };
		uint64_t iv, dp;
		if (!jstr(w, "contract", p.contract, sizeof p.contract) ||
		    !jstr(w, "unit", p.unit, sizeof p.unit) ||
		    !jqty_opt(w, "min", &p.has_min, &p.min_milli) ||
		    !jqty_opt(w, "max", &p.has_max, &p.max_milli) ||
		    !jdec(w, "billable", 3, &p.billable_milli) ||
		    !jdec(w, "shortfall", 3, &p.shortfall_milli) ||
		    !jdec(w, "excess", 3, &p.excess_milli) || !ju64(w, "intervals", &iv) ||
		    !ju64(w, "disputed", &dp)) {
			err = bad(diag, "performance");
			break;
		}
		p.intervals = (size_t)iv;
		p.disputed = (size_t)dp;
		err = fn(ctx, &p);
	}
	json_decref(o);
	return err;
}

static bool balance_decode(json_t *o, const char *key, struct corridor_balance *b)
{
	memset(b, 0, sizeof *b);
	return jstr(o, "party", b->party, sizeof b->party) &&
	       jstr(o, "currency", b->currency, sizeof b->currency) &&
	       jmoney(o, key, b->currency, NULL, &b->balance_minor, &b->decimals);
}

int corridor_invoice_report_from_json(const char *doc, size_t len,
				      struct corridor_invoice_report *r, int32_t *as_of_day,
				      struct corridor_diag *diag)
{
	static const char *const buckets[CORRIDOR_AGING_BUCKETS] = { "current", "1-30", "31-60",
								     "61-90", "over-90" };
	json_t *o = object_doc(doc, len), *inv = o ? json_object_get(o, "invoices") : NULL,
	       *aging = o ? json_object_get(o, "aging") : NULL,
	       *un = o ? json_object_get(o, "unapplied") : NULL;
	int err = CORRIDOR_E_MALFORMED;
	memset(r, 0, sizeof *r);
	if (!o || !jdate(o, "as_of", as_of_day) || !json_is_array(inv) || !json_is_array(aging) ||
	    !json_is_array(un))
		goto out;
	r->invoices = calloc(json_array_size(inv) + 1, sizeof *r->invoices);
	r->aging = calloc(json_array_size(aging) + 1, sizeof *r->aging);
	r->credits = calloc(json_array_size(un) + 1, sizeof *r->credits);
	if (!r->invoices || !r->aging || !r->credits) {
		err = CORRIDOR_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(inv); i++) {
		json_t *w = json_array_get(inv, i);
		struct corridor_invoice_status *s = &r->invoices[r->count++];
		json_t *late = json_object_get(w, "days_overdue");
		if (!jstr(w, "invoice", s->id, sizeof s->id) ||
		    !jstr(w, "contract", s->contract, sizeof s->contract) ||
		    !jstr(w, "debtor", s->debtor, sizeof s->debtor) ||
		    !jstr(w, "creditor", s->creditor, sizeof s->creditor) ||
		    !jstr(w, "currency", s->currency, sizeof s->currency) ||
		    !jmoney(w, "amount", NULL, NULL, &s->amount_minor, &s->decimals) ||
		    !jmoney(w, "paid", NULL, NULL, &s->paid_minor, NULL) ||
		    !jmoney(w, "open", NULL, NULL, &s->open_minor, NULL) ||
		    !jdate(w, "due", &s->due_day) || !json_is_integer(late))
			goto out;
		s->days_overdue = (int64_t)json_integer_value(late);
		s->paid_day = -1;
	}
	for (size_t i = 0; i < json_array_size(aging); i++) {
		json_t *w = json_array_get(aging, i);
		struct corridor_aging_row *g = &r->aging[r->aging_count++];
		if (!jstr(w, "party", g->party, sizeof g->party) ||
		    !jstr(w, "currency", g->currency, sizeof g->currency) ||
		    !jmoney(w, "open", NULL, NULL, &g->open_minor, &g->decimals))
			goto out;
		for (int k = 0; k < CORRIDOR_AGING_BUCKETS; k++)
			if (!jmoney(w, buckets[k], NULL, NULL, &g->bucket_minor[k], NULL))
				goto out;
	}
	for (size_t i = 0; i < json_array_size(un); i++)
		if (!balance_decode(json_array_get(un, i), "amount", &r->credits[r->credit_count++]))
			goto out;
	err = CORRIDOR_OK;
out:
	json_decref(o);
	if (err) {
		free(r->invoices);
		free(r->aging);
		free(r->credits);
		memset(r, 0, sizeof *r);
		return err == CORRIDOR_E_NOMEM ? corridor_diag_set(diag, err, "out of memory")
					       : bad(diag, "receivables");
	}
	return CORRIDOR_OK;
}

static int balance_one(void *vctx, json_t *o)
{
	struct list_ctx *c = vctx;
	struct corridor_balance b;
	if (!balance_decode(o, "balance", &b))
		return bad(c->diag, "balance");
	return c->fn.balance(c->ctx, &b);
}

int corridor_balances_from_json(const char *doc, size_t len, corridor_balance_fn fn, void *ctx,
				struct corridor_diag *diag)
{
	struct list_ctx c = { .fn.balance = fn, .ctx = ctx, .diag = diag };
	return each_record(doc, len, balance_one, &c, "balance", diag);
}
