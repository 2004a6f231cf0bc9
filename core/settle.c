/*
 * settle.c — settlement batches (SETTLEMENT.md): invoices computed from a
 * read snapshot, written as one summary entry followed by one entry per
 * invoice in id order; their processing (the postings, what each contract
 * has settled, reversal); settle show.
 *
 * Bodies (canonical maps, string keys; amounts in minor units):
 *   settlement.batch   {count, digest, netting: [{amount, currency, from, to}],
 *                       period, totals: [{amount, currency}]}
 *   settlement.invoice {adjustments?: [{amount, delta, invoice, period}], buyer,
 *                       contract, currency, disputed, due, id, intervals, issued,
 *                       lines: [{amount, kind, price, quantity}], period,
 *                       rate?: {base, date, quote, rate, source}, seller,
 *                       settlement_currency, subtotal, total}
 *   settlement.reverse {batch, idempotency_key?, period, reason}
 * digest = SHA-256 over the invoice bodies, concatenated in id order; a batch's
 * invoices follow its summary; when the last one is in, digest, totals and
 * netting are recomputed from them and must give the summary's body exactly.
 *
 * State: STATE_SETTLED  contract || 0 || be32(period)  -> SETTLED_* record
 *        STATE_INVOICES id -> INVOICE_* record
 *        STATE_BATCHES  be32(period) || be64(seq) -> batch header; with a part
 *                       tag and name after it: 'I' id (its invoices), 'P'
 *                       party 0 currency -> position, 'T' currency -> total,
 *                       'A' contract 0 be32(period) -> adjustment delta;
 *                       OPEN_KEY -> be64(seq of the batch in progress, 0 none).
 */
#include <msgpack.h>
#include <sodium.h>

#include "ledger_internal.h"

#define SECONDS_PER_DAY 86400
#define BIAS 0x80000000u
#define BODY_CAP CORRIDOR_ENTRY_BYTES_MAX
#define PRICES_MAX (CORRIDOR_CONTRACT_VERSIONS_MAX * CORRIDOR_PRICE_STEPS_MAX)
#define POSITIONS_MAX 65536u
static const uint8_t OPEN_KEY[1] = { 0xff };

static const char *const LINE_KINDS[] = { "", "energy", "shortfall", "excess", "transit" };

/* ---- small helpers ---- */

static void period_text(int32_t first_day, char out[8])
{
	char d[11];
	corridor_date_format(first_day, d);
	memcpy(out, d, 7);
	out[7] = '\0';
}

static bool period_parse(const msgpack_object *o, int32_t *first_day)
{
	char s[16], d[11];
	if (!corridor_mpo_str(o, s, sizeof s) || strlen(s) != 7)
		return false;
	memcpy(d, s, 7);
	memcpy(d + 7, "-01", 4);
	return corridor_date_parse(d, 10, first_day) == 0;
}

static int32_t last_day(int32_t first_day)
{
	return first_day + (int32_t)corridor_month_days(first_day) - 1;
}

static int32_t next_period(int32_t first_day)
{
	return first_day + (int32_t)corridor_month_days(first_day);
}

static int32_t period_of(int32_t day)
{
	int32_t y;
	unsigned m, d;
	corridor_civil_from_days(day, &y, &m, &d);
	return day - (int32_t)(d - 1);
}

static int64_t pow10i(unsigned n)
{
	int64_t v = 1;
	while (n--)
		v *= 10;
	return v;
}

/* The one conversion of SETTLEMENT.md: direct total = round(x * r * 10^d2 /
 * (10^8 * 10^d1)); inverse total = round(x * 10^8 * 10^d2 / (r * 10^d1)). */
static int convert(int64_t x, int64_t r, bool inverse, unsigned d1, unsigned d2, int64_t *out)
{
	if (r <= 0)
		return CORRIDOR_E_INVALID;
	if (!inverse)
		return corridor_div_round((corridor_i128)x * r * pow10i(d2),
					  (corridor_i128)100000000 * pow10i(d1), out);
	return corridor_div_round((corridor_i128)x * 100000000 * pow10i(d2),
				  (corridor_i128)r * pow10i(d1), out);
}

static int64_t price_on(const struct corridor_contract *c, int32_t day)
{
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, day);
	int64_t p = t->prices[0].price_micro;
	for (size_t i = 1; i < t->price_count; i++)
		if (t->prices[i].from_day <= day)
			p = t->prices[i].price_micro;
	return p;
}

/* ---- state records ---- */

struct settled {
	bool standing;
	uint64_t batch;
	int64_t invoiced; /* subtotal invoiced for the period, adjustments included */
	int64_t rate_e8;  /* 0: no conversion */
	bool inverse;
	uint32_t open_adjustments; /* standing later batches adjusting this period */
	uint32_t reversals;
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
};
#define SETTLED_FIXED 34u

static int settled_get(struct corridor_kv *kv, const char *contract, int32_t period,
		       struct settled *s)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 13];
	const uint8_t *v;
	size_t vlen;
	memset(s, 0, sizeof *s);
	int err = kv->get(kv, STATE_SETTLED, k, corridor_period_key(contract, period, 0, k), &v,
			  &vlen);
	if (err)
		return err;
	if (vlen < SETTLED_FIXED + 1 || v[SETTLED_FIXED] > CORRIDOR_INVOICE_ID_BYTES_MAX ||
	    vlen != SETTLED_FIXED + 1u + v[SETTLED_FIXED])
		return CORRIDOR_E_STORAGE;
	s->standing = v[0];
	s->batch = corridor_be64_get(v + 1);
	s->invoiced = (int64_t)corridor_be64_get(v + 9);
	s->rate_e8 = (int64_t)corridor_be64_get(v + 17);
	s->inverse = v[25];
	s->open_adjustments = corridor_be32_get(v + 26);
	s->reversals = corridor_be32_get(v + 30);
	memcpy(s->id, v + SETTLED_FIXED + 1, v[SETTLED_FIXED]);
	s->id[v[SETTLED_FIXED]] = '\0';
	return CORRIDOR_OK;
}

static int settled_put(struct corridor_kv *kv, const char *contract, int32_t period,
		       const struct settled *s)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 13], v[SETTLED_FIXED + 1 + CORRIDOR_INVOICE_ID_BYTES_MAX];
	size_t n = strlen(s->id);
	v[0] = s->standing;
	corridor_be64_put(v + 1, s->batch);
	corridor_be64_put(v + 9, (uint64_t)s->invoiced);
	corridor_be64_put(v + 17, (uint64_t)s->rate_e8);
	v[25] = s->inverse;
	corridor_be32_put(v + 26, s->open_adjustments);
	corridor_be32_put(v + 30, s->reversals);
	v[SETTLED_FIXED] = (uint8_t)n;
	memcpy(v + SETTLED_FIXED + 1, s->id, n);
	return kv->put(kv, STATE_SETTLED, k, corridor_period_key(contract, period, 0, k), v,
		       SETTLED_FIXED + 1 + n);
}

int32_t corridor_first_unsettled_day(struct corridor_kv *kv, const struct corridor_contract *c)
{
	int32_t p = period_of(c->versions[0].terms.start_day);
	struct settled s;
	for (unsigned i = 0; i < CORRIDOR_TERM_PERIODS_MAX; i++, p = next_period(p))
		if (settled_get(kv, c->id, p, &s) != 0 || !s.standing)
			break;
	return p;
}

/* An invoice's record: what payments and reports need without its entry. */
struct inv_rec {
	uint64_t seq, batch;
	int32_t period, issue, due;
	int64_t total;
	bool reversed;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1], seller[CORRIDOR_PARTY_ID_BYTES_MAX + 1],
		buyer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], currency[4];
};
#define INVREC_FIXED 37u

static int invrec_get(struct corridor_kv *kv, const char *id, struct inv_rec *r)
{
	const uint8_t *v;
	size_t vlen, n = strlen(id);
	if (n == 0 || n > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	int err = kv->get(kv, STATE_INVOICES, (const uint8_t *)id, n, &v, &vlen);
	if (err)
		return err;
	memset(r, 0, sizeof *r);
	if (vlen < INVREC_FIXED)
		return CORRIDOR_E_STORAGE;
	r->seq = corridor_be64_get(v);
	r->batch = corridor_be64_get(v + 8);
	r->period = (int32_t)(corridor_be32_get(v + 16) ^ BIAS);
	r->issue = (int32_t)(corridor_be32_get(v + 20) ^ BIAS);
	r->due = (int32_t)(corridor_be32_get(v + 24) ^ BIAS);
	r->total = (int64_t)corridor_be64_get(v + 28);
	r->reversed = v[36];
	char *strs[4] = { r->contract, r->seller, r->buyer, r->currency };
	size_t caps[4] = { sizeof r->contract, sizeof r->seller, sizeof r->buyer, sizeof r->currency };
	size_t at = INVREC_FIXED;
	for (int i = 0; i < 4; i++) {
		if (at >= vlen || v[at] >= caps[i] || at + 1u + v[at] > vlen)
			return CORRIDOR_E_STORAGE;
		memcpy(strs[i], v + at + 1, v[at]);
		strs[i][v[at]] = '\0';
		at += 1u + v[at];
	}
	return at == vlen ? CORRIDOR_OK : CORRIDOR_E_STORAGE;
}

static int invrec_put(struct corridor_kv *kv, const char *id, const struct inv_rec *r)
{
	uint8_t v[INVREC_FIXED + 4 + 3 * CORRIDOR_PARTY_ID_BYTES_MAX + 3];
	corridor_be64_put(v, r->seq);
	corridor_be64_put(v + 8, r->batch);
	corridor_be32_put(v + 16, (uint32_t)r->period ^ BIAS);
	corridor_be32_put(v + 20, (uint32_t)r->issue ^ BIAS);
	corridor_be32_put(v + 24, (uint32_t)r->due ^ BIAS);
	corridor_be64_put(v + 28, (uint64_t)r->total);
	v[36] = r->reversed;
	size_t at = INVREC_FIXED;
	const char *strs[4] = { r->contract, r->seller, r->buyer, r->currency };
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(strs[i]);
		v[at] = (uint8_t)n;
		memcpy(v + at + 1, strs[i], n);
		at += 1 + n;
	}
	return kv->put(kv, STATE_INVOICES, (const uint8_t *)id, strlen(id), v, at);
}

/* The public view of an invoice record (payments.c, reports). */
int corridor_invoice_record(struct corridor_kv *kv, const char *id, struct corridor_invoice *out)
{
	struct inv_rec r;
	int err = invrec_get(kv, id, &r);
	if (err)
		return err;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	memcpy(out->contract, r.contract, sizeof r.contract);
	memcpy(out->seller, r.seller, sizeof r.seller);
	memcpy(out->buyer, r.buyer, sizeof r.buyer);
	memcpy(out->settlement_currency, r.currency, sizeof r.currency);
	out->period_day = r.period;
	out->issue_day = r.issue;
	out->due_day = r.due;
	out->total_minor = r.total;
	out->seq = r.seq;
	out->reversed = r.reversed;
	return CORRIDOR_OK;
}

/* batch keys */
static size_t batch_key(int32_t period, uint64_t seq, char tag, const char *name, size_t nlen,
			uint8_t *out)
{
	corridor_be32_put(out, (uint32_t)period ^ BIAS);
	corridor_be64_put(out + 4, seq);
	if (!tag)
		return 12;
	out[12] = (uint8_t)tag;
	memcpy(out + 13, name, nlen);
	return 13 + nlen;
}
#define BATCH_KEY_MAX (13u + CORRIDOR_INVOICE_ID_BYTES_MAX + 8u)

struct batch_hdr {
	bool reversed;
	uint32_t count, seen;
	char last_id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	crypto_hash_sha256_state hs;
	const uint8_t *body; /* the summary's body */
	size_t body_len;
};
#define HDR_FIXED (1u + 4u + 4u + 1u + CORRIDOR_INVOICE_ID_BYTES_MAX + sizeof(crypto_hash_sha256_state))

static int hdr_get(struct corridor_kv *kv, int32_t period, uint64_t seq, struct batch_hdr *h)
{
	uint8_t k[12];
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_BATCHES, k, batch_key(period, seq, 0, NULL, 0, k), &v, &vlen);
	if (err)
		return err;
	if (vlen < HDR_FIXED || v[9] > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	h->reversed = v[0];
	h->count = corridor_be32_get(v + 1);
	h->seen = corridor_be32_get(v + 5);
	memcpy(h->last_id, v + 10, v[9]);
	h->last_id[v[9]] = '\0';
	memcpy(&h->hs, v + 10 + CORRIDOR_INVOICE_ID_BYTES_MAX, sizeof h->hs);
	h->body = v + HDR_FIXED;
	h->body_len = vlen - HDR_FIXED;
	return CORRIDOR_OK;
}

static int hdr_put(struct corridor_kv *kv, int32_t period, uint64_t seq, const struct batch_hdr *h)
{
	uint8_t k[12];
	size_t vlen = HDR_FIXED + h->body_len;
	uint8_t *v = calloc(1, vlen);
	if (!v)
		return CORRIDOR_E_NOMEM;
	v[0] = h->reversed;
	corridor_be32_put(v + 1, h->count);
	corridor_be32_put(v + 5, h->seen);
	v[9] = (uint8_t)strlen(h->last_id);
	memcpy(v + 10, h->last_id, v[9]);
	memcpy(v + 10 + CORRIDOR_INVOICE_ID_BYTES_MAX, &h->hs, sizeof h->hs);
	memcpy(v + HDR_FIXED, h->body, h->body_len);
	int err = kv->put(kv, STATE_BATCHES, k, batch_key(period, seq, 0, NULL, 0, k), v, vlen);
	free(v);
	return err;
}

static int open_get(struct corridor_kv *kv, uint64_t *seq)
{
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_BATCHES, OPEN_KEY, 1, &v, &vlen);
	*seq = 0;
	if (err == CORRIDOR_E_NOTFOUND)
		return CORRIDOR_OK;
	if (err)
		return err;
	if (vlen != 12)
		return CORRIDOR_E_STORAGE;
	*seq = corridor_be64_get(v + 4);
	return CORRIDOR_OK;
}

static int open_put(struct corridor_kv *kv, int32_t period, uint64_t seq)
{
	uint8_t v[12];
	batch_key(period, seq, 0, NULL, 0, v);
	return kv->put(kv, STATE_BATCHES, OPEN_KEY, 1, v, 12);
}

static int open_period(struct corridor_kv *kv, int32_t *period)
{
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_BATCHES, OPEN_KEY, 1, &v, &vlen);
	if (err || vlen != 12)
		return err ? err : CORRIDOR_E_STORAGE;
	*period = (int32_t)(corridor_be32_get(v) ^ BIAS);
	return CORRIDOR_OK;
}

static int part_add(struct corridor_kv *kv, int32_t period, uint64_t seq, char tag,
		    const char *name, size_t nlen, int64_t delta)
{
	uint8_t k[BATCH_KEY_MAX], v[8];
	const uint8_t *old;
	size_t olen, klen = batch_key(period, seq, tag, name, nlen, k);
	int64_t cur = 0;
	int err = kv->get(kv, STATE_BATCHES, k, klen, &old, &olen);
	if (err == 0 && olen == 8)
		cur = (int64_t)corridor_be64_get(old);
	else if (err != CORRIDOR_E_NOTFOUND)
		return err ? err : CORRIDOR_E_STORAGE;
	if (__builtin_add_overflow(cur, delta, &cur))
		return CORRIDOR_E_OVERFLOW;
	corridor_be64_put(v, (uint64_t)cur);
	return kv->put(kv, STATE_BATCHES, k, klen, v, 8);
}

int corridor_balance_add(struct corridor_kv *kv, const char *party, const char *currency,
			 int64_t delta)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 5], v[8];
	const uint8_t *old;
	size_t olen, n = strlen(party);
	int64_t cur = 0;
	memcpy(k, party, n);
	k[n] = 0;
	memcpy(k + n + 1, currency, 3);
	int err = kv->get(kv, STATE_BALANCES, k, n + 4, &old, &olen);
	if (err == 0 && olen == 8)
		cur = (int64_t)corridor_be64_get(old);
	else if (err != CORRIDOR_E_NOTFOUND)
		return err ? err : CORRIDOR_E_STORAGE;
	if (__builtin_add_overflow(cur, delta, &cur))
		return CORRIDOR_E_OVERFLOW;
	corridor_be64_put(v, (uint64_t)cur);
	return kv->put(kv, STATE_BALANCES, k, n + 4, v, 8);
}

/* ---- bodies ---- */

static void pperiod(msgpack_packer *pk, int32_t day)
{
	char p[8];
	period_text(day, p);
	corridor_mp_cstr(pk, p);
}

size_t corridor_invoice_body(const struct corridor_invoice *inv, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 14u + (inv->adjustment_count ? 1u : 0u) + (inv->converted ? 1u : 0u));
	if (inv->adjustment_count) {
		corridor_mp_cstr(&pk, "adjustments");
		msgpack_pack_array(&pk, inv->adjustment_count);
		for (size_t i = 0; i < inv->adjustment_count; i++) {
			const struct corridor_invoice_adjustment *a = &inv->adjustments[i];
			msgpack_pack_map(&pk, 4);
			corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, a->amount_minor);
			corridor_mp_cstr(&pk, "delta"), msgpack_pack_int64(&pk, a->delta_minor);
			corridor_mp_cstr(&pk, "invoice"), corridor_mp_cstr(&pk, a->invoice);
			corridor_mp_cstr(&pk, "period"), pperiod(&pk, a->period_day);
		}
	}
	corridor_mp_cstr(&pk, "buyer"), corridor_mp_cstr(&pk, inv->buyer);
	corridor_mp_cstr(&pk, "contract"), corridor_mp_cstr(&pk, inv->contract);
	corridor_mp_cstr(&pk, "currency"), corridor_mp_cstr(&pk, inv->currency);
	corridor_mp_cstr(&pk, "disputed"), msgpack_pack_uint64(&pk, inv->disputed);
	corridor_mp_cstr(&pk, "due"), corridor_mp_date(&pk, inv->due_day);
	corridor_mp_cstr(&pk, "id"), corridor_mp_cstr(&pk, inv->id);
	corridor_mp_cstr(&pk, "intervals"), msgpack_pack_uint64(&pk, inv->intervals);
	corridor_mp_cstr(&pk, "issued"), corridor_mp_date(&pk, inv->issue_day);
	corridor_mp_cstr(&pk, "lines");
	msgpack_pack_array(&pk, inv->line_count);
	for (size_t i = 0; i < inv->line_count; i++) {
		const struct corridor_invoice_line *l = &inv->lines[i];
		msgpack_pack_map(&pk, 4);
		corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, l->amount_minor);
		corridor_mp_cstr(&pk, "kind"), corridor_mp_cstr(&pk, LINE_KINDS[l->kind]);
		corridor_mp_cstr(&pk, "price"), msgpack_pack_int64(&pk, l->price_micro);
		corridor_mp_cstr(&pk, "quantity"), msgpack_pack_int64(&pk, l->quantity_milli);
	}
	corridor_mp_cstr(&pk, "period"), pperiod(&pk, inv->period_day);
	if (inv->converted) {
		corridor_mp_cstr(&pk, "rate");
		msgpack_pack_map(&pk, 5);
		corridor_mp_cstr(&pk, "base"), corridor_mp_cstr(&pk, inv->rate.base);
		corridor_mp_cstr(&pk, "date"), corridor_mp_date(&pk, inv->rate.day);
		corridor_mp_cstr(&pk, "quote"), corridor_mp_cstr(&pk, inv->rate.quote);
		corridor_mp_cstr(&pk, "rate"), msgpack_pack_int64(&pk, inv->rate.rate_e8);
		corridor_mp_cstr(&pk, "source"), corridor_mp_cstr(&pk, inv->rate.source);
	}
	corridor_mp_cstr(&pk, "seller"), corridor_mp_cstr(&pk, inv->seller);
	corridor_mp_cstr(&pk, "settlement_currency"), corridor_mp_cstr(&pk, inv->settlement_currency);
	corridor_mp_cstr(&pk, "subtotal"), msgpack_pack_int64(&pk, inv->subtotal_minor);
	corridor_mp_cstr(&pk, "total"), msgpack_pack_int64(&pk, inv->total_minor);
	return w.overflow ? 0 : w.len;
}

static size_t batch_body(const struct corridor_batch *b, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 5);
	corridor_mp_cstr(&pk, "count"), msgpack_pack_uint64(&pk, b->invoice_count);
	corridor_mp_cstr(&pk, "digest");
	msgpack_pack_bin(&pk, CORRIDOR_HASH_BYTES);
	msgpack_pack_bin_body(&pk, b->digest, CORRIDOR_HASH_BYTES);
	corridor_mp_cstr(&pk, "netting");
	msgpack_pack_array(&pk, b->netting_count);
	for (size_t i = 0; i < b->netting_count; i++) {
		const struct corridor_netting *n = &b->netting[i];
		msgpack_pack_map(&pk, 4);
		corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, n->amount_minor);
		corridor_mp_cstr(&pk, "currency"), corridor_mp_cstr(&pk, n->currency);
		corridor_mp_cstr(&pk, "from"), corridor_mp_cstr(&pk, n->from);
		corridor_mp_cstr(&pk, "to"), corridor_mp_cstr(&pk, n->to);
	}
	corridor_mp_cstr(&pk, "period"), pperiod(&pk, b->period_day);
	corridor_mp_cstr(&pk, "totals");
	msgpack_pack_array(&pk, b->total_count);
	for (size_t i = 0; i < b->total_count; i++) {
		msgpack_pack_map(&pk, 2);
		corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, b->totals[i].amount_minor);
		corridor_mp_cstr(&pk, "currency"), corridor_mp_cstr(&pk, b->totals[i].currency);
	}
	return w.overflow ? 0 : w.len;
}

static bool obj_i64(const msgpack_object *m, const char *k, int64_t *out)
{
	return corridor_mpo_int(corridor_mpo_field(m, k), out);
}

static bool obj_u64(const msgpack_object *m, const char *k, uint64_t *out)
{
	return corridor_mpo_uint(corridor_mpo_field(m, k), UINT64_MAX, out);
}

/* Decodes an invoice body (already canonical). */
static int invoice_decode(const msgpack_object *o, struct corridor_invoice *inv)
{
	static const char *const allowed[] = { "adjustments", "buyer", "contract", "currency",
					       "disputed", "due", "id", "intervals", "issued",
					       "lines", "period", "rate", "seller",
					       "settlement_currency", "subtotal", "total", NULL };
	memset(inv, 0, sizeof *inv);
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "buyer"), inv->buyer, sizeof inv->buyer) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "seller"), inv->seller, sizeof inv->seller) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "contract"), inv->contract, sizeof inv->contract) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "currency"), inv->currency, sizeof inv->currency) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "settlement_currency"), inv->settlement_currency,
			      sizeof inv->settlement_currency) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "id"), inv->id, sizeof inv->id) ||
	    !obj_u64(o, "disputed", &inv->disputed) || !obj_u64(o, "intervals", &inv->intervals) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "due"), &inv->due_day) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "issued"), &inv->issue_day) ||
	    !period_parse(corridor_mpo_field(o, "period"), &inv->period_day) ||
	    !obj_i64(o, "subtotal", &inv->subtotal_minor) || !obj_i64(o, "total", &inv->total_minor))
		return CORRIDOR_E_VERIFY;
	const msgpack_object *lines = corridor_mpo_field(o, "lines");
	if (!lines || lines->type != MSGPACK_OBJECT_ARRAY ||
	    lines->via.array.size > CORRIDOR_INVOICE_LINES_MAX)
		return CORRIDOR_E_VERIFY;
	for (uint32_t i = 0; i < lines->via.array.size; i++) {
		static const char *const la[] = { "amount", "kind", "price", "quantity", NULL };
		const msgpack_object *m = &lines->via.array.ptr[i];
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		char kind[16];
		if (m->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(m, la) ||
		    !obj_i64(m, "amount", &l->amount_minor) || !obj_i64(m, "price", &l->price_micro) ||
		    !obj_i64(m, "quantity", &l->quantity_milli) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "kind"), kind, sizeof kind))
			return CORRIDOR_E_VERIFY;
		for (unsigned k = CORRIDOR_LINE_ENERGY; k <= CORRIDOR_LINE_TRANSIT; k++)
			if (strcmp(kind, LINE_KINDS[k]) == 0)
				l->kind = (enum corridor_line_kind)k;
		if (!l->kind)
			return CORRIDOR_E_VERIFY;
	}
	const msgpack_object *adj = corridor_mpo_field(o, "adjustments");
	if (adj) {
		if (adj->type != MSGPACK_OBJECT_ARRAY || adj->via.array.size == 0 ||
		    adj->via.array.size > CORRIDOR_INVOICE_ADJUSTMENTS_MAX)
			return CORRIDOR_E_VERIFY;
		for (uint32_t i = 0; i < adj->via.array.size; i++) {
			static const char *const aa[] = { "amount", "delta", "invoice", "period", NULL };
			const msgpack_object *m = &adj->via.array.ptr[i];
			struct corridor_invoice_adjustment *a =
				&inv->adjustments[inv->adjustment_count++];
			if (m->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(m, aa) ||
			    !obj_i64(m, "amount", &a->amount_minor) ||
			    !obj_i64(m, "delta", &a->delta_minor) ||
			    !corridor_mpo_str(corridor_mpo_field(m, "invoice"), a->invoice,
					      sizeof a->invoice) ||
			    !period_parse(corridor_mpo_field(m, "period"), &a->period_day))
				return CORRIDOR_E_VERIFY;
		}
	}
	const msgpack_object *rate = corridor_mpo_field(o, "rate");
	if (rate) {
		static const char *const ra[] = { "base", "date", "quote", "rate", "source", NULL };
		inv->converted = true;
		if (rate->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(rate, ra) ||
		    !corridor_mpo_str(corridor_mpo_field(rate, "base"), inv->rate.base,
				      sizeof inv->rate.base) ||
		    !corridor_mpo_str(corridor_mpo_field(rate, "quote"), inv->rate.quote,
				      sizeof inv->rate.quote) ||
		    !corridor_mpo_str(corridor_mpo_field(rate, "source"), inv->rate.source,
				      sizeof inv->rate.source) ||
		    !corridor_mpo_date(corridor_mpo_field(rate, "date"), &inv->rate.day) ||
		    !obj_i64(rate, "rate", &inv->rate.rate_e8))
			return CORRIDOR_E_VERIFY;
	}
	return CORRIDOR_OK;
}

/* ---- computing an invoice ---- */

struct price_group {
	int64_t price, quantity;
};

static int by_price(const void *a, const void *b)
{
	const struct price_group *x = a, *y = b;
	return (x->price > y->price) - (x->price < y->price);
}

/* Lines 1-4 of SETTLEMENT.md for contract c in period P, and the subtotal. */
static int period_lines(struct corridor_kv *kv, const struct corridor_contract *c, int32_t P,
			unsigned d, struct corridor_invoice *inv, struct corridor_diag *diag)
{
	int32_t first = c->versions[0].terms.start_day > P ? c->versions[0].terms.start_day : P;
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, first);
	struct corridor_meter_report m;
	int64_t scale = pow10i(d);
	int err;
	inv->line_count = 0;
	inv->subtotal_minor = 0;
	if (t->commodity == CORRIDOR_COMMODITY_TRANSIT) {
		struct corridor_contract *s = malloc(sizeof *s);
		if (!s)
			return CORRIDOR_E_NOMEM;
		err = corridor_contract_record(kv, t->carries, s);
		if (!err && s->version_count == 0)
			err = CORRIDOR_E_NOTFOUND;
		if (!err)
			err = corridor_period_meters(kv, s, P, &m);
		free(s);
		if (err)
			return corridor_diag_set(diag, err, "%s: cannot read the readings of %s", c->id,
						 t->carries);
		int64_t fee = price_on(c, first);
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		*l = (struct corridor_invoice_line){ .kind = CORRIDOR_LINE_TRANSIT,
						     .quantity_milli = m.total_billing_milli,
						     .price_micro = fee };
		err = corridor_div_round((corridor_i128)m.total_billing_milli * fee * scale,
					 (corridor_i128)1000000000, &l->amount_minor);
		inv->subtotal_minor = l->amount_minor;
		inv->intervals = m.count - m.other_only;
		inv->disputed = m.disputed;
		corridor_meter_report_release(&m);
		return err ? corridor_diag_set(diag, err, "%s: the transit line overflows", c->id)
			   : CORRIDOR_OK;
	}
	if ((err = corridor_period_meters(kv, c, P, &m)) != 0)
		return corridor_diag_set(diag, err, "%s: cannot read the readings", c->id);
	struct price_group groups[PRICES_MAX];
	size_t ng = 0;
	int64_t q = 0, off = (int64_t)t->utc_offset_min * 60;
	for (size_t i = 0; i < m.count && !err; i++) {
		const struct corridor_meter_row *r = &m.rows[i];
		if (!r->has_billing)
			continue;
		int64_t local = r->start_s + off;
		int32_t day = (int32_t)(local / SECONDS_PER_DAY - (local % SECONDS_PER_DAY < 0));
		int64_t p = price_on(c, day);
		size_t g = 0;
		while (g < ng && groups[g].price != p)
			g++;
		if (g == ng) {
			CORRIDOR_ASSERT(ng < PRICES_MAX);
			groups[ng++] = (struct price_group){ p, 0 };
		}
		if (__builtin_add_overflow(groups[g].quantity, r->billing_milli, &groups[g].quantity) ||
		    __builtin_add_overflow(q, r->billing_milli, &q))
			err = CORRIDOR_E_OVERFLOW;
	}
	inv->intervals = m.count - m.other_only;
	inv->disputed = m.disputed;
	corridor_meter_report_release(&m);
	if (err)
		return corridor_diag_set(diag, err, "%s: the billable quantity overflows", c->id);
	if (ng)
		qsort(groups, ng, sizeof groups[0], by_price);
	for (size_t g = 0; g < ng && !err; g++) {
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		*l = (struct corridor_invoice_line){ .kind = CORRIDOR_LINE_ENERGY,
						     .quantity_milli = groups[g].quantity,
						     .price_micro = groups[g].price };
		err = corridor_div_round((corridor_i128)l->quantity_milli * l->price_micro * scale,
					 (corridor_i128)1000000000, &l->amount_minor);
	}
	int64_t p0 = price_on(c, first), band;
	if (!err && t->has_min && (err = corridor_band_prorate(t->min_milli, t, P, &band)) == 0 && q < band) {
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		*l = (struct corridor_invoice_line){ .kind = CORRIDOR_LINE_SHORTFALL,
						     .quantity_milli = band - q, .price_micro = p0 };
		err = corridor_div_round((corridor_i128)(band - q) * p0 * t->shortfall_bp * scale,
					 (corridor_i128)1000000000 * 10000, &l->amount_minor);
	}
	if (!err && t->has_max && (err = corridor_band_prorate(t->max_milli, t, P, &band)) == 0 && q > band) {
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		*l = (struct corridor_invoice_line){ .kind = CORRIDOR_LINE_EXCESS,
						     .quantity_milli = q - band, .price_micro = p0 };
		err = corridor_div_round((corridor_i128)(q - band) * p0 * t->excess_bp * scale,
					 (corridor_i128)1000000000 * 10000, &l->amount_minor);
	}
	for (size_t i = 0; i < inv->line_count && !err; i++)
		if (__builtin_add_overflow(inv->subtotal_minor, inv->lines[i].amount_minor,
					   &inv->subtotal_minor))
			err = CORRIDOR_E_OVERFLOW;
	return err ? corridor_diag_set(diag, err, "%s: an amount overflows", c->id) : CORRIDOR_OK;
}

/* What a run collects. */
struct run {
	struct corridor_kv *kv;
	int32_t P;
	struct corridor_batch *b;
	size_t cap;
	struct corridor_diag *diag;
};

static int missing_add(struct corridor_batch *b, const char *source, const char *base,
		       const char *quote, int32_t day)
{
	for (size_t i = 0; i < b->missing_count; i++)
		if (!strcmp(b->missing[i].source, source) && !strcmp(b->missing[i].base, base) &&
		    !strcmp(b->missing[i].quote, quote) && b->missing[i].day == day)
			return CORRIDOR_OK;
	struct corridor_rate *n = realloc(b->missing, (b->missing_count + 1) * sizeof *n);
	if (!n)
		return CORRIDOR_E_NOMEM;
	b->missing = n;
	struct corridor_rate *r = &n[b->missing_count++];
	memset(r, 0, sizeof *r);
	snprintf(r->source, sizeof r->source, "%s", source);
	snprintf(r->base, sizeof r->base, "%s", base);
	snprintf(r->quote, sizeof r->quote, "%s", quote);
	r->day = day;
	return CORRIDOR_OK;
}

/* The invoice of contract c for run->P, or *none if c has nothing for P. */
static int invoice_compute(struct run *run, const struct corridor_contract *c,
			   struct corridor_invoice *inv, bool *none)
{
	struct corridor_kv *kv = run->kv;
	int32_t P = run->P, P_last = last_day(P);
	const struct corridor_contract_terms *t0 = &c->versions[0].terms;
	const struct corridor_contract_terms *tl = &c->versions[c->version_count - 1].terms;
	struct settled s, cur;
	unsigned d1, d2;
	int err;
	*none = true;
	if (settled_get(kv, c->id, P, &cur) == 0 && cur.standing)
		return CORRIDOR_OK; /* settled for P already */
	bool active = t0->start_day <= P_last && corridor_terms_in_force(c, P_last)->end_day > P &&
		      corridor_terms_in_force(c, P)->end_day > P;
	int32_t first = t0->start_day > P ? t0->start_day : P;
	const struct corridor_contract_terms *t = active ? corridor_terms_in_force(c, first) : tl;
	if (t0->start_day > P_last)
		return CORRIDOR_OK; /* starts later */
	memset(inv, 0, sizeof *inv);
	if (corridor_currency_get(kv, t->currency, &d1, NULL) != 0 ||
	    corridor_currency_get(kv, t->settlement_currency, &d2, NULL) != 0)
		return corridor_diag_set(run->diag, CORRIDOR_E_REFUSED,
					 "%s: currency %s or %s is not defined", c->id, t->currency,
					 t->settlement_currency);
	/* periods of a contract are settled in order */
	int32_t p = period_of(t0->start_day);
	for (unsigned i = 0; active && p < P && i < CORRIDOR_TERM_PERIODS_MAX; i++, p = next_period(p))
		if (settled_get(kv, c->id, p, &s) != 0 || !s.standing) {
			char a[8], b[8];
			period_text(p, a);
			period_text(P, b);
			return corridor_diag_set(run->diag, CORRIDOR_E_REFUSED,
						 "%s: %s is not settled; periods are settled in order, "
						 "settle %s before %s",
						 c->id, a, a, b);
		}
	snprintf(inv->contract, sizeof inv->contract, "%s", c->id);
	snprintf(inv->seller, sizeof inv->seller, "%s", t->seller);
	snprintf(inv->buyer, sizeof inv->buyer, "%s", t->buyer);
	memcpy(inv->currency, t->currency, 4);
	memcpy(inv->settlement_currency, t->settlement_currency, 4);
	inv->period_day = P;
	inv->issue_day = P_last;
	inv->due_day = P_last + (int32_t)t->payment_days;
	char per[8];
	period_text(P, per); /* the reversals so far name the re-issue */
	if (cur.reversals)
		snprintf(inv->id, sizeof inv->id, "INV-%s-%s-r%u", c->id, per, cur.reversals);
	else
		snprintf(inv->id, sizeof inv->id, "INV-%s-%s", c->id, per);
	if (active && (err = period_lines(kv, c, P, d1, inv, run->diag)) != 0)
		return err;
	int64_t total = 0;
	if (strcmp(t->currency, t->settlement_currency) == 0) {
		total = inv->subtotal_minor;
	} else if (active) {
		bool inverse;
		err = corridor_rate_fixing(kv, t->rate_source, t->currency, t->settlement_currency,
					   P_last, &inv->rate, &inverse);
		if (err == CORRIDOR_E_NOTFOUND)
			return missing_add(run->b, t->rate_source, t->currency, t->settlement_currency,
					   P_last);
		if (err)
			return corridor_diag_set(run->diag, err, "cannot read the rates");
		inv->converted = true;
		if ((err = convert(inv->subtotal_minor, inv->rate.rate_e8, inverse, d1, d2, &total)))
			return corridor_diag_set(run->diag, err, "%s: the converted total overflows",
						 c->id);
	}
	/* prior-period adjustments */
	p = period_of(t0->start_day);
	for (unsigned i = 0; p < P && i < CORRIDOR_TERM_PERIODS_MAX; i++, p = next_period(p)) {
		struct corridor_invoice now;
		if (settled_get(kv, c->id, p, &s) != 0 || !s.standing)
			continue;
		memset(&now, 0, sizeof now);
		if ((err = period_lines(kv, c, p, d1, &now, run->diag)) != 0)
			return err;
		int64_t delta, amount;
		if (__builtin_sub_overflow(now.subtotal_minor, s.invoiced, &delta))
			return corridor_diag_set(run->diag, CORRIDOR_E_OVERFLOW,
						 "%s: an adjustment overflows", c->id);
		if (delta == 0)
			continue;
		if (inv->adjustment_count >= CORRIDOR_INVOICE_ADJUSTMENTS_MAX)
			return corridor_diag_set(run->diag, CORRIDOR_E_LIMIT,
						 "%s: more than %u adjusted periods", c->id,
						 CORRIDOR_INVOICE_ADJUSTMENTS_MAX);
		amount = delta;
		if (s.rate_e8 && (err = convert(delta, s.rate_e8, s.inverse, d1, d2, &amount)) != 0)
			return corridor_diag_set(run->diag, err, "%s: an adjustment overflows", c->id);
		struct corridor_invoice_adjustment *a = &inv->adjustments[inv->adjustment_count++];
		a->period_day = p;
		snprintf(a->invoice, sizeof a->invoice, "%s", s.id);
		a->delta_minor = delta;
		a->amount_minor = amount;
		if (__builtin_add_overflow(total, amount, &total))
			return corridor_diag_set(run->diag, CORRIDOR_E_OVERFLOW,
						 "%s: the total overflows", c->id);
	}
	if (!active && inv->adjustment_count == 0)
		return CORRIDOR_OK;
	inv->total_minor = total;
	*none = false;
	return CORRIDOR_OK;
}

/* ---- netting ---- */

/* SETTLEMENT.md "Netting" and the per-currency totals, from positions and the
 * invoices' totals; positions are sorted by currency, then party. */
static int netting_compute(struct corridor_balance *ps, size_t n, struct corridor_batch *b)
{
	if (n)
		qsort(ps, n, sizeof *ps, corridor_balance_order);
	b->netting_count = 0;
	free(b->netting);
	b->netting = calloc(n ? n : 1, sizeof *b->netting);
	if (!b->netting)
		return CORRIDOR_E_NOMEM;
	for (size_t lo = 0; lo < n;) {
		size_t hi = lo;
		while (hi < n && !strcmp(ps[hi].currency, ps[lo].currency))
			hi++;
		for (size_t guard = 0; guard < hi - lo; guard++) {
			size_t payer = SIZE_MAX, payee = SIZE_MAX;
			for (size_t i = lo; i < hi; i++) {
				/* largest debt / claim; ties go to the smaller id (sorted) */
				if (ps[i].balance_minor < 0 && (payer == SIZE_MAX || ps[i].balance_minor < ps[payer].balance_minor))
					payer = i;
				if (ps[i].balance_minor > 0 && (payee == SIZE_MAX || ps[i].balance_minor > ps[payee].balance_minor))
					payee = i;
			}
			if (payer == SIZE_MAX || payee == SIZE_MAX)
				break;
			int64_t amt = -ps[payer].balance_minor < ps[payee].balance_minor ? -ps[payer].balance_minor
									   : ps[payee].balance_minor;
			struct corridor_netting *nt = &b->netting[b->netting_count++];
			memcpy(nt->currency, ps[lo].currency, 4);
			memcpy(nt->from, ps[payer].party, sizeof nt->from);
			memcpy(nt->to, ps[payee].party, sizeof nt->to);
			nt->amount_minor = amt;
			ps[payer].balance_minor += amt;
			ps[payee].balance_minor -= amt;
		}
		for (size_t i = lo; i < hi; i++)
			CORRIDOR_ASSERT(ps[i].balance_minor == 0); /* postings sum to zero per currency */
		lo = hi;
	}
	return CORRIDOR_OK;
}

static int total_add(struct corridor_batch *b, const char *cur, int64_t amount)
{
	size_t i = 0;
	while (i < b->total_count && strcmp(b->totals[i].currency, cur) < 0)
		i++;
	if (i == b->total_count || strcmp(b->totals[i].currency, cur) != 0) {
		if (b->total_count >= CORRIDOR_BATCH_CURRENCIES_MAX)
			return CORRIDOR_E_LIMIT;
		memmove(&b->totals[i + 1], &b->totals[i], (b->total_count - i) * sizeof b->totals[0]);
		memset(&b->totals[i], 0, sizeof b->totals[i]);
		memcpy(b->totals[i].currency, cur, 4);
		b->total_count++;
	}
	return __builtin_add_overflow(b->totals[i].amount_minor, amount, &b->totals[i].amount_minor)
		       ? CORRIDOR_E_OVERFLOW
		       : CORRIDOR_OK;
}

void corridor_batch_release(struct corridor_batch *b)
{
	free(b->invoices);
	free(b->netting);
	free(b->missing);
	free(b->unsettled);
	for (size_t i = 0; i < b->body_count; i++)
		free(b->bodies[i]);
	free(b->bodies);
	free(b->body_lens);
	memset(b, 0, sizeof *b);
}

/* ---- processing ---- */

static int process_batch(struct kind_state *st, const struct corridor_entry *e,
			 const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "count", "digest", "netting", "period", "totals",
					       NULL };
	uint64_t count, open;
	int32_t P;
	if (!corridor_mpo_fields_only(o, allowed) || !obj_u64(o, "count", &count) ||
	    !period_parse(corridor_mpo_field(o, "period"), &P) || !corridor_mpo_field(o, "digest") ||
	    !corridor_mpo_field(o, "netting") || !corridor_mpo_field(o, "totals"))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs count, digest, netting, period, totals");
	if (count == 0 || count > CORRIDOR_BATCH_INVOICES_MAX)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "count must be 1..%u",
			    CORRIDOR_BATCH_INVOICES_MAX);
	int err = open_get(st->kv, &open);
	if (err)
		return err;
	if (open)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "batch %llu is not complete",
			    (unsigned long long)open);
	struct batch_hdr h = { .count = (uint32_t)count, .body = e->body, .body_len = e->body_len };
	crypto_hash_sha256_init(&h.hs);
	if ((err = hdr_put(st->kv, P, e->seq, &h)) != 0)
		return err;
	return open_put(st->kv, P, e->seq);
}

/* The last invoice of a batch is in: its summary must be what they give. */
static int batch_close(struct kind_state *st, const struct corridor_entry *e, int32_t P,
		       uint64_t bseq, struct batch_hdr *h, struct corridor_diag *diag);

struct part_scan {
	struct corridor_balance *ps;
	size_t n;
	struct corridor_batch *b;
	int err;
};

static int part_collect(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct part_scan *c = vctx;
	if (klen < 13 || vlen != 8)
		return CORRIDOR_OK;
	const char *name = (const char *)k + 13;
	size_t nlen = klen - 13;
	int64_t amount = (int64_t)corridor_be64_get(v);
	if (k[12] == 'P') {
		const char *z = memchr(name, 0, nlen);
		char party[CORRIDOR_PARTY_ID_BYTES_MAX + 1], cur[4];
		if (!z || (size_t)(z - name) > CORRIDOR_PARTY_ID_BYTES_MAX || nlen != (size_t)(z - name) + 4)
			return CORRIDOR_E_STORAGE;
		memcpy(party, name, (size_t)(z - name));
		party[z - name] = '\0';
		memcpy(cur, z + 1, 3);
		cur[3] = '\0';
		return corridor_balances_add(&c->ps, &c->n, POSITIONS_MAX, NULL, party, cur, amount);
	}
	if (k[12] == 'T') {
		char cur[4];
		if (nlen != 3)
			return CORRIDOR_E_STORAGE;
		memcpy(cur, name, 3);
		cur[3] = '\0';
		return total_add(c->b, cur, amount);
	}
	return CORRIDOR_OK;
}

static int batch_close(struct kind_state *st, const struct corridor_entry *e, int32_t P,
		       uint64_t bseq, struct batch_hdr *h, struct corridor_diag *diag)
{
	struct corridor_batch b = { .period_day = P, .invoice_count = h->count };
	struct part_scan ps = { .b = &b };
	uint8_t prefix[12];
	crypto_hash_sha256_final(&h->hs, b.digest);
	int err = st->kv->scan(st->kv, STATE_BATCHES, prefix, batch_key(P, bseq, 0, NULL, 0, prefix),
			       part_collect, &ps);
	if (!err)
		err = netting_compute(ps.ps, ps.n, &b);
	free(ps.ps);
	uint8_t *body = err ? NULL : malloc(BODY_CAP);
	size_t len = body ? batch_body(&b, body, BODY_CAP) : 0;
	bool same = len && len == h->body_len && !memcmp(body, h->body, len);
	free(body);
	corridor_batch_release(&b);
	if (err)
		return err == CORRIDOR_E_STORAGE || err == CORRIDOR_E_NOMEM
			       ? err
			       : corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "the batch's postings overflow");
	if (!same)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			    "batch %llu: its summary (digest, totals or netting) is not what its "
			    "invoices give",
			    (unsigned long long)bseq);
	return open_put(st->kv, P, 0);
}

/* A settlement.invoice is accepted only if it is exactly the invoice the
 * rules give from the state at its seq: the same computation a run makes,
 * re-encoded and compared byte for byte. So verify re-derives every invoice
 * line, rate, adjustment and total from the deliveries, rates and contracts. */
static int process_invoice(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	struct corridor_invoice *inv = malloc(sizeof *inv), *calc = malloc(sizeof *calc);
	struct corridor_contract *c = malloc(sizeof *c);
	uint8_t *body = malloc(BODY_CAP);
	struct corridor_batch scratch = { 0 };
	struct batch_hdr h;
	struct settled s;
	uint64_t bseq;
	int32_t bP = 0;
	bool none = true;
	int err = (!inv || !calc || !c || !body) ? CORRIDOR_E_NOMEM : CORRIDOR_OK;
	if (err)
		goto out;
	if (invoice_decode(o, inv) != 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "malformed invoice body");
		goto out;
	}
	if ((err = open_get(st->kv, &bseq)) != 0)
		goto out;
	if (!bseq || (err = open_period(st->kv, &bP)) != 0 || (err = hdr_get(st->kv, bP, bseq, &h)) != 0) {
		err = err ? err : corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "no batch is open for invoice %s", inv->id);
		goto out;
	}
	if (bP != inv->period_day || h.seen >= h.count ||
	    (h.last_id[0] && strcmp(h.last_id, inv->id) >= 0)) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			   "invoice %s does not belong to batch %llu (period, count or id order)",
			   inv->id, (unsigned long long)bseq);
		goto out;
	}
	if (corridor_contract_record(st->kv, inv->contract, c) != 0 || c->version_count == 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s is not an accepted contract", inv->contract);
		goto out;
	}
	struct corridor_diag cd;
	corridor_diag_init(&cd);
	struct run run = { .kv = st->kv, .P = inv->period_day, .b = &scratch, .diag = &cd };
	if ((err = invoice_compute(&run, c, calc, &none)) != 0) {
		err = corridor_entry_bad(e, diag, err == CORRIDOR_E_NOMEM || err == CORRIDOR_E_STORAGE
					    ? err
					    : CORRIDOR_E_REFUSED,
			   "invoice %s: %s", inv->id, cd.text);
		goto out;
	}
	if (scratch.missing_count || none) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "invoice %s: %s", inv->id,
			   scratch.missing_count ? "a rate it needs is not recorded"
						 : "its contract has nothing to settle for the period");
		goto out;
	}
	size_t len = corridor_invoice_body(calc, body, BODY_CAP);
	if (len != e->body_len || memcmp(body, e->body, len) != 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			   "invoice %s is not what the ledger gives: recomputed subtotal %lld, "
			   "total %lld; the entry says %lld, %lld",
			   inv->id, (long long)calc->subtotal_minor, (long long)calc->total_minor,
			   (long long)inv->subtotal_minor, (long long)inv->total_minor);
		goto out;
	}
	/* effects: what it settled, the adjusted periods, postings, the batch */
	int32_t P = calc->period_day;
	for (size_t i = 0; i < calc->adjustment_count && !err; i++) {
		struct corridor_invoice_adjustment *a = &calc->adjustments[i];
		struct settled ps;
		uint8_t ak[CORRIDOR_PARTY_ID_BYTES_MAX + 13];
		size_t aklen = corridor_period_key(calc->contract, a->period_day, 0, ak);
		if ((err = settled_get(st->kv, calc->contract, a->period_day, &ps)) != 0)
			break;
		ps.open_adjustments++;
		if (__builtin_add_overflow(ps.invoiced, a->delta_minor, &ps.invoiced))
			err = CORRIDOR_E_OVERFLOW;
		if (!err)
			err = settled_put(st->kv, calc->contract, a->period_day, &ps);
		if (!err)
			err = part_add(st->kv, P, bseq, 'A', (const char *)ak, aklen, a->delta_minor);
	}
	if (err)
		goto out;
	settled_get(st->kv, calc->contract, P, &s); /* keeps the reversal count */
	s.standing = true;
	s.batch = bseq;
	s.invoiced = calc->subtotal_minor;
	s.rate_e8 = calc->converted ? calc->rate.rate_e8 : 0;
	s.inverse = calc->converted && strcmp(calc->rate.base, calc->currency) != 0;
	s.open_adjustments = 0;
	snprintf(s.id, sizeof s.id, "%s", calc->id);
	struct inv_rec r = { .seq = e->seq, .batch = bseq, .period = P, .issue = calc->issue_day,
			     .due = calc->due_day, .total = calc->total_minor };
	memcpy(r.contract, calc->contract, sizeof r.contract);
	memcpy(r.seller, calc->seller, sizeof r.seller);
	memcpy(r.buyer, calc->buyer, sizeof r.buyer);
	memcpy(r.currency, calc->settlement_currency, 4);
	char pk[2 * CORRIDOR_PARTY_ID_BYTES_MAX + 8];
	size_t sl = strlen(calc->seller), bl = strlen(calc->buyer);
	if ((err = settled_put(st->kv, calc->contract, P, &s)) ||
	    (err = invrec_put(st->kv, calc->id, &r)) ||
	    (err = part_add(st->kv, P, bseq, 'I', calc->id, strlen(calc->id), 0)) ||
	    (err = corridor_balance_add(st->kv, calc->seller, r.currency, calc->total_minor)) ||
	    (err = corridor_balance_add(st->kv, calc->buyer, r.currency, -calc->total_minor)))
		goto out;
	memcpy(pk, calc->seller, sl);
	pk[sl] = 0;
	memcpy(pk + sl + 1, r.currency, 3);
	if ((err = part_add(st->kv, P, bseq, 'P', pk, sl + 4, calc->total_minor)) != 0)
		goto out;
	memcpy(pk, calc->buyer, bl);
	pk[bl] = 0;
	memcpy(pk + bl + 1, r.currency, 3);
	if ((err = part_add(st->kv, P, bseq, 'P', pk, bl + 4, -calc->total_minor)) ||
	    (err = part_add(st->kv, P, bseq, 'T', r.currency, 3, calc->total_minor)))
		goto out;
	/* the batch header last: its body pointer is into the kv's value */
	if ((err = hdr_get(st->kv, bP, bseq, &h)) != 0)
		goto out;
	crypto_hash_sha256_update(&h.hs, e->body, e->body_len);
	h.seen++;
	snprintf(h.last_id, sizeof h.last_id, "%s", calc->id);
	uint8_t *copy = malloc(h.body_len ? h.body_len : 1);
	if (!copy) {
		err = CORRIDOR_E_NOMEM;
		goto out;
	}
	memcpy(copy, h.body, h.body_len);
	h.body = copy;
	err = hdr_put(st->kv, P, bseq, &h);
	if (!err && h.seen == h.count)
		err = batch_close(st, e, P, bseq, &h, diag);
	free(copy);
out:
	if (err == CORRIDOR_E_OVERFLOW)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "an amount overflows");
	corridor_batch_release(&scratch);
	free(inv);
	free(calc);
	free(c);
	free(body);
	return err;
}

struct rev_scan {
	struct corridor_kv *kv;
	int32_t P;
	uint64_t latest;      /* standing batch with the highest seq */
	char (*ids)[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	size_t nids;
	struct {
		char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
		int32_t period;
		int64_t delta;
	} *adj;
	size_t nadj;
};

static int latest_batch(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct rev_scan *c = vctx;
	if (klen == 12 && vlen >= HDR_FIXED && !v[0]) {
		uint64_t seq = corridor_be64_get(k + 4);
		if (seq > c->latest)
			c->latest = seq;
	}
	return CORRIDOR_OK;
}

static int batch_parts(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct rev_scan *c = vctx;
	(void)v;
	if (klen < 14)
		return CORRIDOR_OK;
	const char *name = (const char *)k + 13;
	size_t nlen = klen - 13;
	if (k[12] == 'I') {
		if (nlen > CORRIDOR_INVOICE_ID_BYTES_MAX)
			return CORRIDOR_E_STORAGE;
		void *n = realloc(c->ids, (c->nids + 1) * sizeof *c->ids);
		if (!n)
			return CORRIDOR_E_NOMEM;
		c->ids = n;
		memcpy(c->ids[c->nids], name, nlen);
		c->ids[c->nids++][nlen] = '\0';
	} else if (k[12] == 'A') {
		const char *z = memchr(name, 0, nlen);
		if (!z || (size_t)(z - name) > CORRIDOR_PARTY_ID_BYTES_MAX ||
		    nlen != (size_t)(z - name) + 5 || vlen != 8)
			return CORRIDOR_E_STORAGE;
		void *n = realloc(c->adj, (c->nadj + 1) * sizeof *c->adj);
		if (!n)
			return CORRIDOR_E_NOMEM;
		c->adj = n;
		memcpy(c->adj[c->nadj].contract, name, (size_t)(z - name));
		c->adj[c->nadj].contract[z - name] = '\0';
		c->adj[c->nadj].period = (int32_t)(corridor_be32_get((const uint8_t *)z + 1) ^ BIAS);
		c->adj[c->nadj++].delta = (int64_t)corridor_be64_get(v);
	}
	return CORRIDOR_OK;
}

static int process_reverse(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "batch", "idempotency_key", "period", "reason",
					       NULL };
	uint64_t bseq, open;
	int32_t P;
	char reason[CORRIDOR_REASON_BYTES_MAX + 1], per[8];
	struct batch_hdr h;
	struct rev_scan rs = { .kv = st->kv };
	if (!corridor_mpo_fields_only(o, allowed) || !obj_u64(o, "batch", &bseq) ||
	    !period_parse(corridor_mpo_field(o, "period"), &P) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "reason"), reason, sizeof reason) || !reason[0])
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs batch, period and reason");
	period_text(P, per);
	int err = open_get(st->kv, &open);
	if (err)
		return err;
	if (open == bseq && open)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "batch %llu is not complete",
			    (unsigned long long)bseq);
	if (hdr_get(st->kv, P, bseq, &h) != 0 || h.reversed)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%llu is not a standing batch of %s",
			    (unsigned long long)bseq, per);
	uint8_t prefix[12];
	corridor_be32_put(prefix, (uint32_t)P ^ BIAS);
	if ((err = st->kv->scan(st->kv, STATE_BATCHES, prefix, 4, latest_batch, &rs)) != 0)
		return err;
	if (rs.latest != bseq)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "batch %llu is not the latest batch of %s (%llu is): reverse that first",
			    (unsigned long long)bseq, per, (unsigned long long)rs.latest);
	err = st->kv->scan(st->kv, STATE_BATCHES, prefix, batch_key(P, bseq, 0, NULL, 0, prefix),
			   batch_parts, &rs);
	for (size_t i = 0; !err && i < rs.nids; i++) {
		struct inv_rec r;
		struct settled s;
		if ((err = invrec_get(st->kv, rs.ids[i], &r)) != 0 ||
		    (err = settled_get(st->kv, r.contract, r.period, &s)) != 0)
			break;
		if (s.open_adjustments) {
			err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
				   "a later batch holds an adjustment for %s: reverse that batch "
				   "first",
				   rs.ids[i]);
			break;
		}
		s.standing = false;
		s.reversals++;
		r.reversed = true;
		if ((err = settled_put(st->kv, r.contract, r.period, &s)) ||
		    (err = invrec_put(st->kv, rs.ids[i], &r)) ||
		    (err = corridor_balance_add(st->kv, r.seller, r.currency, -r.total)) ||
		    (err = corridor_balance_add(st->kv, r.buyer, r.currency, r.total)))
			break;
	}
	for (size_t i = 0; !err && i < rs.nadj; i++) {
		struct settled s;
		if ((err = settled_get(st->kv, rs.adj[i].contract, rs.adj[i].period, &s)) != 0)
			break;
		s.invoiced -= rs.adj[i].delta;
		CORRIDOR_ASSERT(s.open_adjustments > 0);
		s.open_adjustments--;
		err = settled_put(st->kv, rs.adj[i].contract, rs.adj[i].period, &s);
	}
	free(rs.ids);
	free(rs.adj);
	if (err)
		return err == CORRIDOR_E_OVERFLOW ? corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "overflow") : err;
	if ((err = hdr_get(st->kv, P, bseq, &h)) != 0)
		return err;
	uint8_t *copy = malloc(h.body_len ? h.body_len : 1);
	if (!copy)
		return CORRIDOR_E_NOMEM;
	memcpy(copy, h.body, h.body_len);
	h.body = copy;
	h.reversed = true;
	err = hdr_put(st->kv, P, bseq, &h);
	free(copy);
	return err;
}

int corridor_settle_process(struct kind_state *st, const struct corridor_entry *e,
			    struct corridor_diag *diag)
{
	msgpack_unpacked u;
	int err;
	msgpack_unpacked_init(&u);
	err = corridor_body_map(e, &u, diag);
	if (!err && strcmp(e->kind, "settlement.batch") == 0)
		err = process_batch(st, e, &u.data, diag);
	else if (!err && strcmp(e->kind, "settlement.invoice") == 0)
		err = process_invoice(st, e, &u.data, diag);
	else if (!err)
		err = process_reverse(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
}

/* ---- the run ---- */

struct id_list {
	char (*ids)[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	size_t n;
};

static int id_collect(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct id_list *c = vctx;
	(void)v;
	(void)vlen;
	if (klen == 0 || klen > CORRIDOR_PARTY_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	void *n = realloc(c->ids, (c->n + 1) * sizeof *c->ids);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->ids = n;
	memcpy(c->ids[c->n], k, klen);
	c->ids[c->n++][klen] = '\0';
	return CORRIDOR_OK;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int by_invoice_id(const void *a, const void *b)
{
	return strcmp(((const struct corridor_invoice *)a)->id,
		      ((const struct corridor_invoice *)b)->id);
}

static int unsettled_add(struct corridor_batch *b, const char *contract, const char *why)
{
	if (b->unsettled_count >= CORRIDOR_BATCH_INVOICES_MAX)
		return CORRIDOR_E_LIMIT;
	void *n = realloc(b->unsettled, (b->unsettled_count + 1) * sizeof *b->unsettled);
	if (!n)
		return CORRIDOR_E_NOMEM;
	b->unsettled = n;
	struct corridor_unsettled *u = &b->unsettled[b->unsettled_count++];
	size_t idlen = strlen(contract);
	if (!strncmp(why, contract, idlen) && !strncmp(why + idlen, ": ", 2))
		why += idlen + 2; /* the computation's messages name the contract: it is there already */
	snprintf(u->contract, sizeof u->contract, "%s", contract);
	snprintf(u->why, sizeof u->why, "%s", why);
	return CORRIDOR_OK;
}

static bool is_unsettled(const struct corridor_batch *b, const char *contract)
{
	for (size_t i = 0; i < b->unsettled_count; i++)
		if (!strcmp(b->unsettled[i].contract, contract))
			return true;
	return false;
}

/* Computes the batch of period P from the state in kv (of one contract, or
 * of every one); no invoices -> NOTFOUND. A contract whose own computation
 * fails is left out and listed in b->unsettled, and so is a transit contract
 * carrying one; storage and memory errors stop the run, and so do missing
 * rates (every one listed). */
static int batch_compute(struct corridor_kv *kv, int32_t P, const char *only,
			 struct corridor_batch *b, struct corridor_diag *diag)
{
	char (*carries)[CORRIDOR_PARTY_ID_BYTES_MAX + 1] = NULL;
	struct id_list ids = { 0 };
	struct corridor_contract *c = malloc(sizeof *c);
	struct corridor_balance *ps = NULL;
	size_t nps = 0;
	char per[8];
	period_text(P, per);
	memset(b, 0, sizeof *b);
	b->period_day = P;
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	struct run run = { .kv = kv, .P = P, .b = b, .diag = diag };
	int err = kv->scan(kv, STATE_CONTRACTS, NULL, 0, id_collect, &ids);
	if (err)
		corridor_diag_set(diag, err, "cannot read the contracts");
	if (!err && ids.n)
		qsort(ids.ids, ids.n, sizeof *ids.ids, by_str);
	for (size_t i = 0; !err && i < ids.n; i++) {
		bool none;
		if ((err = corridor_contract_record(kv, ids.ids[i], c)) != 0) {
			corridor_diag_set(diag, err, "cannot read contract %s", ids.ids[i]);
			break;
		}
		if (c->version_count == 0 || (only && strcmp(only, c->id) != 0))
			continue;
		if (b->invoice_count == run.cap) {
			size_t cap = run.cap ? 2 * run.cap : 16;
			void *n = realloc(b->invoices, cap * sizeof *b->invoices);
			void *m = n ? realloc(carries, cap * sizeof *carries) : NULL;
			if (n)
				b->invoices = n;
			if (m)
				carries = m;
			if (!n || !m) {
				err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
				break;
			}
			run.cap = cap;
		}
		struct corridor_diag cd;
		corridor_diag_init(&cd);
		run.diag = &cd;
		err = invoice_compute(&run, c, &b->invoices[b->invoice_count], &none);
		run.diag = diag;
		if (err == CORRIDOR_E_NOMEM || err == CORRIDOR_E_STORAGE || err == CORRIDOR_E_IO) {
			corridor_diag_set(diag, err, "%s", cd.text);
			break;
		}
		if (err) { /* this contract's own failure: the others go on */
			if ((err = unsettled_add(b, c->id, cd.text[0] ? cd.text : corridor_strerror(err))))
				corridor_diag_set(diag, err, "too many unsettled contracts");
			if (err)
				break;
			continue;
		}
		snprintf(carries[b->invoice_count], sizeof carries[0], "%s",
			 c->versions[c->version_count - 1].terms.carries);
		if (!none && b->invoice_count >= CORRIDOR_BATCH_INVOICES_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u invoices in a batch",
						CORRIDOR_BATCH_INVOICES_MAX);
			break;
		}
		if (!none)
			b->invoice_count++;
	}
	free(c);
	free(ids.ids);
	/* a transit contract carrying an unsettled one waits with it */
	for (bool again = true; !err && again;) {
		again = false;
		for (size_t i = 0; !err && i < b->invoice_count; i++) {
			if (!carries[i][0] || !is_unsettled(b, carries[i]))
				continue;
			char why[CORRIDOR_DIAG_BYTES_MAX];
			snprintf(why, sizeof why, "it carries %s, which is left unsettled", carries[i]);
			if ((err = unsettled_add(b, b->invoices[i].contract, why)) != 0) {
				corridor_diag_set(diag, err, "too many unsettled contracts");
				break;
			}
			memmove(&b->invoices[i], &b->invoices[i + 1],
				(b->invoice_count - i - 1) * sizeof *b->invoices);
			memmove(&carries[i], &carries[i + 1], (b->invoice_count - i - 1) * sizeof *carries);
			b->invoice_count--;
			i--;
			again = true;
		}
	}
	free(carries);
	if (!err && b->missing_count) {
		char list[CORRIDOR_DIAG_BYTES_MAX] = "", date[11];
		size_t at = 0;
		for (size_t i = 0; i < b->missing_count && at < sizeof list; i++) {
			corridor_date_format(b->missing[i].day, date);
			int n = snprintf(list + at, sizeof list - at, "%s%s %s/%s %s", i ? ", " : "",
					 b->missing[i].source, b->missing[i].base, b->missing[i].quote,
					 date);
			at += n > 0 ? (size_t)n : 0;
		}
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "%zu rate%s missing for %s: %s", b->missing_count,
					 b->missing_count == 1 ? "" : "s", per, list);
	}
	if (!err && b->invoice_count == 0 && b->unsettled_count)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "nothing settled for %s: %zu contract%s left unsettled (first: "
					 "%s)",
					 per, b->unsettled_count, b->unsettled_count == 1 ? "" : "s",
					 b->unsettled[0].why);
	if (!err && b->invoice_count == 0)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					 "nothing left to settle for %s: every active contract is "
					 "settled for it",
					 per);
	if (err)
		return err;
	qsort(b->invoices, b->invoice_count, sizeof *b->invoices, by_invoice_id);
	/* bodies, digest, postings, netting */
	b->body_count = 0;
	b->bodies = calloc(b->invoice_count + 1, sizeof *b->bodies);
	b->body_lens = calloc(b->invoice_count + 1, sizeof *b->body_lens);
	if (!b->bodies || !b->body_lens)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	b->body_count = b->invoice_count + 1;
	crypto_hash_sha256_state hs;
	crypto_hash_sha256_init(&hs);
	for (size_t i = 0; i < b->invoice_count && !err; i++) {
		struct corridor_invoice *inv = &b->invoices[i];
		uint8_t *body = malloc(BODY_CAP);
		size_t len = body ? corridor_invoice_body(inv, body, BODY_CAP) : 0;
		b->bodies[i + 1] = body;
		b->body_lens[i + 1] = len;
		if (!body)
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		if (!len)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "invoice %s is over 64 KiB",
						 inv->id);
		crypto_hash_sha256_update(&hs, body, len);
		if ((err = corridor_balances_add(&ps, &nps, POSITIONS_MAX, NULL, inv->seller, inv->settlement_currency,
					inv->total_minor)) ||
		    (err = corridor_balances_add(&ps, &nps, POSITIONS_MAX, NULL, inv->buyer, inv->settlement_currency,
					-inv->total_minor)) ||
		    (err = total_add(b, inv->settlement_currency, inv->total_minor)))
			corridor_diag_set(diag, err, "the batch's positions overflow");
	}
	crypto_hash_sha256_final(&hs, b->digest);
	if (!err && (err = netting_compute(ps, nps, b)) != 0)
		corridor_diag_set(diag, err, "out of memory");
	free(ps);
	if (err)
		return err;
	b->bodies[0] = malloc(BODY_CAP);
	if (!b->bodies[0])
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if ((b->body_lens[0] = batch_body(b, b->bodies[0], BODY_CAP)) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the batch summary is over 64 KiB");
	return CORRIDOR_OK;
}

/* The derived inputs of a batch against the signed entries they come from
 * (inputs.c): for each invoice, the readings of its period (the carried
 * contract's, for transit) and of every earlier period it adjusts or that
 * holds a reading written after that period was settled, and the rate it
 * converts at. A writer signs only what it verified. */
static int period_readings_verify(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
				  const struct corridor_contract *c, int32_t p,
				  struct corridor_diag *diag)
{
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, p);
	const char *who = c->id;
	struct corridor_contract *carried = NULL;
	int32_t offset = c->versions[0].terms.utc_offset_min;
	int err = CORRIDOR_OK;
	if (t->commodity == CORRIDOR_COMMODITY_TRANSIT) {
		if (!(carried = malloc(sizeof *carried)))
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		if (corridor_contract_record(kv, t->carries, carried) != 0 ||
		    carried->version_count == 0) {
			free(carried);
			return CORRIDOR_OK; /* nothing carried: no readings to check */
		}
		who = carried->id;
		offset = carried->versions[0].terms.utc_offset_min;
	}
	err = corridor_readings_verify(l, txn, kv, who, p, last_day(p) - p + 1, offset, diag);
	free(carried);
	return err;
}

struct newer_scan {
	uint64_t after;
	bool found;
};

static int newer_one(void *vctx, const struct corridor_delivery *d)
{
	struct newer_scan *n = vctx;
	n->found |= d->seq > n->after;
	return CORRIDOR_OK;
}

int corridor_settle_inputs_check(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
				 const struct corridor_batch *b, struct corridor_diag *diag)
{
	struct corridor_contract *c = malloc(sizeof *c);
	int err = c ? CORRIDOR_OK : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; !err && i < b->invoice_count; i++) {
		const struct corridor_invoice *inv = &b->invoices[i];
		if ((err = corridor_contract_record(kv, inv->contract, c)) != 0) {
			corridor_diag_set(diag, err, "cannot read contract %s", inv->contract);
			break;
		}
		if (inv->converted && (err = corridor_rate_verify(l, txn, kv, &inv->rate, diag)) != 0)
			break;
		if ((err = period_readings_verify(l, txn, kv, c, inv->period_day, diag)) != 0)
			break;
		int32_t p = period_of(c->versions[0].terms.start_day);
		for (unsigned k = 0; !err && p < inv->period_day && k < CORRIDOR_TERM_PERIODS_MAX;
		     k++, p = next_period(p)) {
			struct settled s;
			bool adjusted = false;
			for (size_t a = 0; a < inv->adjustment_count; a++)
				adjusted |= inv->adjustments[a].period_day == p;
			if (!adjusted && settled_get(kv, c->id, p, &s) == 0) {
				struct newer_scan ns = { .after = s.batch };
				const struct corridor_contract_terms *t = corridor_terms_in_force(c, p);
				const char *who = t->commodity == CORRIDOR_COMMODITY_TRANSIT ? t->carries
											     : c->id;
				err = corridor_day_readings(kv, who, p, last_day(p) - p + 1,
							    c->versions[0].terms.utc_offset_min,
							    newer_one, &ns);
				if (err) {
					corridor_diag_set(diag, err, "cannot read the readings of %s", who);
					break;
				}
				adjusted = ns.found;
			}
			if (adjusted)
				err = period_readings_verify(l, txn, kv, c, p, diag);
		}
	}
	free(c);
	return err;
}

#define SETTLE_ATTEMPTS_MAX 3 /* runs that lose a race compute again, this often */

int corridor_settle_run_contract(struct corridor_ledger *l, const struct corridor_signer *signer,
				 int32_t period_day, const char *contract, bool dry_run,
				 struct corridor_batch *out, struct corridor_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (!corridor_month_start(period_day))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "a period starts on a month's first day");
	const char *who = corridor_signer_vkey(signer)->name;
	int err = CORRIDOR_OK;
	for (unsigned attempt = 0; attempt < SETTLE_ATTEMPTS_MAX; attempt++) {
		MDB_txn *txn;
		struct corridor_kv_lmdb kv;
		uint64_t open;
		unsigned roles = 0;
		corridor_batch_release(out);
		if ((err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag)) != 0)
			return err;
		corridor_kv_lmdb_init(&kv, l, txn);
		/* who may settle comes first: a party without the role learns that,
		 * whatever state the period is in */
		if (corridor_party_roles(&kv.base, who, &roles) != 0 ||
		    !(roles & CORRIDOR_ROLE_SETTLEMENT))
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"%s holds no settlement role: only a settlement party "
						"settles",
						who);
		if (!err && (err = open_get(&kv.base, &open)) == 0 && open)
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED, "batch %llu is not complete",
						(unsigned long long)open);
		if (!err)
			err = batch_compute(&kv.base, period_day, contract, out, diag);
		/* a dry run signs nothing; what is signed is checked first */
		if (!err && !dry_run)
			err = corridor_settle_inputs_check(l, txn, &kv.base, out, diag);
		mdb_txn_abort(txn);
		if (err || dry_run)
			return err;
		struct draft *drafts = calloc(out->body_count, sizeof *drafts);
		uint64_t *seqs = calloc(out->body_count, sizeof *seqs);
		size_t appended = 0;
		if (!drafts || !seqs) {
			free(drafts);
			free(seqs);
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		}
		drafts[0] = (struct draft){ "settlement.batch", out->bodies[0], out->body_lens[0] };
		for (size_t i = 1; i < out->body_count; i++)
			drafts[i] = (struct draft){ "settlement.invoice", out->bodies[i],
						    out->body_lens[i] };
		err = corridor_append(l, signer, drafts, out->body_count, seqs, &appended, diag);
		if (!err) {
			out->seq = seqs[0];
			for (size_t i = 0; i < out->invoice_count; i++)
				out->invoices[i].seq = seqs[i + 1];
		}
		free(drafts);
		free(seqs);
		/* Refused at write time: the state moved since the snapshot (another
		 * run settled the period, a reading or rate landed). Compute again. */
		if (err != CORRIDOR_E_REFUSED && err != CORRIDOR_E_VERIFY)
			return err;
	}
	return err;
}

int corridor_settle_run(struct corridor_ledger *l, const struct corridor_signer *signer,
			int32_t period_day, bool dry_run, struct corridor_batch *out,
			struct corridor_diag *diag)
{
	return corridor_settle_run_contract(l, signer, period_day, NULL, dry_run, out, diag);
}

/* ---- show and reverse ---- */

static int read_entry_body(struct corridor_ledger *l, MDB_txn *txn, uint64_t seq,
			   msgpack_unpacked *u)
{
	uint8_t kb[8];
	struct corridor_entry e;
	size_t off = 0;
	corridor_be64_put(kb, seq);
	MDB_val k = { .mv_size = 8, .mv_data = kb }, ev;
	if (mdb_get(txn, l->entries, &k, &ev) != 0 ||
	    corridor_entry_decode(ev.mv_data, ev.mv_size, &e, NULL) != 0 ||
	    msgpack_unpack_next(u, (const char *)e.body, e.body_len, &off) != MSGPACK_UNPACK_SUCCESS)
		return CORRIDOR_E_STORAGE;
	return CORRIDOR_OK;
}

static int invoice_load(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
			const char *id, struct corridor_invoice *out)
{
	struct inv_rec r;
	msgpack_unpacked u;
	int err = invrec_get(kv, id, &r);
	if (err)
		return err;
	msgpack_unpacked_init(&u);
	err = read_entry_body(l, txn, r.seq, &u);
	if (!err)
		err = invoice_decode(&u.data, out) ? CORRIDOR_E_STORAGE : CORRIDOR_OK;
	msgpack_unpacked_destroy(&u);
	out->seq = r.seq;
	out->reversed = r.reversed;
	return err;
}

int corridor_invoice_get(struct corridor_ledger *l, const char *id, struct corridor_invoice *out,
			 struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	err = invoice_load(l, txn, &kv.base, id, out);
	mdb_txn_abort(txn);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, err, "no invoice %s", id);
	return err ? corridor_diag_set(diag, err, "cannot read invoice %s", id) : CORRIDOR_OK;
}

struct inv_all {
	struct corridor_kv *kv;
	struct corridor_invoice *inv;
	size_t n;
};

static int inv_all_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct inv_all *c = vctx;
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	(void)v;
	(void)vlen;
	if (klen == 0 || klen > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(id, k, klen);
	id[klen] = '\0';
	void *n = realloc(c->inv, (c->n + 1) * sizeof *c->inv);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->inv = n;
	return corridor_invoice_record(c->kv, id, &c->inv[c->n++]);
}

static int by_issue_seq(const void *a, const void *b)
{
	const struct corridor_invoice *x = a, *y = b;
	if (x->issue_day != y->issue_day)
		return x->issue_day < y->issue_day ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int corridor_invoice_list(struct corridor_ledger *l, corridor_invoice_fn fn, void *ctx,
			  struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	struct inv_all c = { .kv = &kv.base };
	err = kv.base.scan(&kv.base, STATE_INVOICES, NULL, 0, inv_all_one, &c);
	mdb_txn_abort(txn);
	if (err) {
		free(c.inv);
		return corridor_diag_set(diag, err, "cannot read the invoices");
	}
	if (c.n)
		qsort(c.inv, c.n, sizeof *c.inv, by_issue_seq);
	for (size_t i = 0; !err && i < c.n; i++)
		err = fn(ctx, &c.inv[i]);
	free(c.inv);
	return err;
}

struct show_scan {
	uint64_t *seqs;
	size_t n;
};

static int show_batches(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct show_scan *c = vctx;
	(void)v;
	(void)vlen;
	if (klen != 12)
		return CORRIDOR_OK;
	void *n = realloc(c->seqs, (c->n + 1) * sizeof *c->seqs);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->seqs = n;
	c->seqs[c->n++] = corridor_be64_get(k + 4);
	return CORRIDOR_OK;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int batch_load(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv, int32_t P,
		      uint64_t seq, struct corridor_batch *b)
{
	struct batch_hdr h;
	struct rev_scan rs = { .kv = kv };
	msgpack_unpacked u;
	uint8_t prefix[12];
	memset(b, 0, sizeof *b);
	b->period_day = P;
	b->seq = seq;
	int err = hdr_get(kv, P, seq, &h);
	if (err)
		return err;
	b->reversed = h.reversed;
	err = kv->scan(kv, STATE_BATCHES, prefix, batch_key(P, seq, 0, NULL, 0, prefix), batch_parts,
		       &rs);
	if (!err && rs.nids) {
		qsort(rs.ids, rs.nids, sizeof *rs.ids, by_str);
		b->invoices = calloc(rs.nids, sizeof *b->invoices);
		if (!b->invoices)
			err = CORRIDOR_E_NOMEM;
	}
	for (size_t i = 0; !err && i < rs.nids; i++)
		if ((err = invoice_load(l, txn, kv, rs.ids[i], &b->invoices[i])) == 0)
			b->invoice_count++;
	free(rs.ids);
	free(rs.adj);
	if (err)
		return err;
	/* totals and netting from the summary entry */
	msgpack_unpacked_init(&u);
	err = read_entry_body(l, txn, seq, &u);
	const msgpack_object *nt = err ? NULL : corridor_mpo_field(&u.data, "netting");
	const msgpack_object *tt = err ? NULL : corridor_mpo_field(&u.data, "totals");
	const msgpack_object *dg = err ? NULL : corridor_mpo_field(&u.data, "digest");
	if (!err && (!nt || nt->type != MSGPACK_OBJECT_ARRAY || !tt ||
		     tt->type != MSGPACK_OBJECT_ARRAY || tt->via.array.size > CORRIDOR_BATCH_CURRENCIES_MAX ||
		     !dg || dg->type != MSGPACK_OBJECT_BIN || dg->via.bin.size != CORRIDOR_HASH_BYTES))
		err = CORRIDOR_E_STORAGE;
	if (!err) {
		memcpy(b->digest, dg->via.bin.ptr, CORRIDOR_HASH_BYTES);
		b->netting = calloc(nt->via.array.size ? nt->via.array.size : 1, sizeof *b->netting);
		if (!b->netting)
			err = CORRIDOR_E_NOMEM;
	}
	for (uint32_t i = 0; !err && nt && i < nt->via.array.size; i++) {
		const msgpack_object *m = &nt->via.array.ptr[i];
		struct corridor_netting *n = &b->netting[b->netting_count++];
		if (!obj_i64(m, "amount", &n->amount_minor) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "currency"), n->currency, sizeof n->currency) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "from"), n->from, sizeof n->from) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "to"), n->to, sizeof n->to))
			err = CORRIDOR_E_STORAGE;
	}
	for (uint32_t i = 0; !err && tt && i < tt->via.array.size; i++) {
		const msgpack_object *m = &tt->via.array.ptr[i];
		struct corridor_currency_total *t = &b->totals[b->total_count++];
		if (!obj_i64(m, "amount", &t->amount_minor) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "currency"), t->currency, sizeof t->currency))
			err = CORRIDOR_E_STORAGE;
	}
	msgpack_unpacked_destroy(&u);
	return err;
}

int corridor_settle_show(struct corridor_ledger *l, int32_t P, corridor_batch_fn fn, void *ctx,
			 struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	struct show_scan ss = { 0 };
	uint8_t prefix[4];
	char per[8];
	period_text(P, per);
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	corridor_be32_put(prefix, (uint32_t)P ^ BIAS);
	err = kv.base.scan(&kv.base, STATE_BATCHES, prefix, 4, show_batches, &ss);
	if (!err && ss.n == 0)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no batch for %s", per);
	else if (err)
		corridor_diag_set(diag, err, "cannot read the batches");
	if (ss.n)
		qsort(ss.seqs, ss.n, sizeof *ss.seqs, by_u64);
	for (size_t i = 0; !err && i < ss.n; i++) {
		struct corridor_batch b;
		err = batch_load(l, txn, &kv.base, P, ss.seqs[i], &b);
		if (err)
			corridor_diag_set(diag, err, "cannot read batch %llu",
					  (unsigned long long)ss.seqs[i]);
		else
			err = fn(ctx, &b);
		corridor_batch_release(&b);
	}
	mdb_txn_abort(txn);
	free(ss.seqs);
	return err;
}

int corridor_settle_reverse(struct corridor_ledger *l, const struct corridor_signer *s,
			    int32_t P, const char *reason, const char *idem, uint64_t *seq,
			    struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	struct rev_scan rs = { 0 };
	uint8_t prefix[4], buf[CORRIDOR_REASON_BYTES_MAX + CORRIDOR_IDEM_BYTES_MAX + 128];
	char per[8];
	period_text(P, per);
	if (!reason || !reason[0] || strlen(reason) > CORRIDOR_REASON_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--reason: 1-%u bytes",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	corridor_be32_put(prefix, (uint32_t)P ^ BIAS);
	err = kv.base.scan(&kv.base, STATE_BATCHES, prefix, 4, latest_batch, &rs);
	mdb_txn_abort(txn);
	if (err)
		return corridor_diag_set(diag, err, "cannot read the batches");
	if (!rs.latest)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no standing batch for %s", per);
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, sizeof buf);
	msgpack_pack_map(&pk, idem ? 4 : 3);
	corridor_mp_cstr(&pk, "batch"), msgpack_pack_uint64(&pk, rs.latest);
	if (idem)
		corridor_mp_cstr(&pk, "idempotency_key"), corridor_mp_cstr(&pk, idem);
	corridor_mp_cstr(&pk, "period"), corridor_mp_cstr(&pk, per);
	corridor_mp_cstr(&pk, "reason"), corridor_mp_cstr(&pk, reason);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, s, "settlement.reverse", buf, w.len, seq, diag);
}
