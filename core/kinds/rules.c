/*
 * rules.c — every settlement rule (SETTLEMENT.md), in one place: the
 * billable quantity (meter against meter), the contract version and price in
 * force, the band prorated and its shortfall and excess, the fixing rate and
 * conversion, the invoice lines, prior-period adjustments and netting.
 * Settlement and the reports call these; nothing restates them.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

int corridor_rate_fixing(struct corridor_kv *kv, const char *source, const char *from,
			 const char *to, int32_t fixing_day, struct corridor_rate *out,
			 bool *inverse)
{
	for (int pass = 0; pass < 2; pass++)
		for (int32_t back = 0; back <= CORRIDOR_RATE_LOOKBACK_DAYS; back++) {
			int err = pass == 0 ? corridor_rate_get(kv, source, from, to,
								fixing_day - back, out)
					    : corridor_rate_get(kv, source, to, from,
								fixing_day - back, out);
			if (err == 0) {
				*inverse = pass == 1;
				return CORRIDOR_OK;
			}
			if (err != CORRIDOR_E_NOTFOUND)
				return err;
		}
	return CORRIDOR_E_NOTFOUND;
}

#define PRICES_MAX (CORRIDOR_CONTRACT_VERSIONS_MAX * CORRIDOR_PRICE_STEPS_MAX)
/* A month's energy lines: one per distinct price, and a price is in force for
 * a whole day, so at most 31; then one shortfall or excess line. */
_Static_assert(31u + 1u <= CORRIDOR_INVOICE_LINES_MAX, "an invoice's lines fit");


/* ---- small helpers ---- */

void corridor_period_text(int32_t first_day, char out[8])
{
	char d[11];
	corridor_date_format(first_day, d);
	memcpy(out, d, 7);
	out[7] = '\0';
}

bool corridor_period_parse(const msgpack_object *o, int32_t *first_day)
{
	char s[16], d[11];
	if (!corridor_mpo_str(o, s, sizeof s) || strlen(s) != 7)
		return false;
	memcpy(d, s, 7);
	memcpy(d + 7, "-01", 4);
	return corridor_date_parse(d, 10, first_day) == 0;
}

int32_t corridor_period_last_day(int32_t first_day)
{
	return first_day + (int32_t)corridor_month_days(first_day) - 1;
}

int32_t corridor_period_next(int32_t first_day)
{
	return first_day + (int32_t)corridor_month_days(first_day);
}

int32_t corridor_period_of(int32_t day)
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

int32_t corridor_first_unsettled_day(struct corridor_kv *kv, const struct corridor_contract *c)
{
	int32_t p = corridor_period_of(c->versions[0].terms.start_day);
	struct settled_rec s;
	for (unsigned i = 0; i < CORRIDOR_TERM_PERIODS_MAX; i++, p = corridor_period_next(p))
		if (corridor_settled_get(kv, c->id, p, &s) != 0 || !s.standing)
			break;
	return p;
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
	int64_t p0 = price_on(c, first);
	struct corridor_band band;
	if (!err)
		err = corridor_band_position(t, P, q, &band);
	if (!err && band.shortfall_milli > 0) {
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		*l = (struct corridor_invoice_line){ .kind = CORRIDOR_LINE_SHORTFALL,
						     .quantity_milli = band.shortfall_milli,
						     .price_micro = p0 };
		err = corridor_div_round((corridor_i128)band.shortfall_milli * p0 * t->shortfall_bp *
						 scale,
					 (corridor_i128)1000000000 * 10000, &l->amount_minor);
	}
	if (!err && band.excess_milli > 0) {
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		*l = (struct corridor_invoice_line){ .kind = CORRIDOR_LINE_EXCESS,
						     .quantity_milli = band.excess_milli,
						     .price_micro = p0 };
		err = corridor_div_round((corridor_i128)band.excess_milli * p0 * t->excess_bp * scale,
					 (corridor_i128)1000000000 * 10000, &l->amount_minor);
	}
	for (size_t i = 0; i < inv->line_count && !err; i++)
		if (__builtin_add_overflow(inv->subtotal_minor, inv->lines[i].amount_minor,
					   &inv->subtotal_minor))
			err = CORRIDOR_E_OVERFLOW;
	if (err)
		return corridor_diag_set(diag, err, "%s: an amount overflows", c->id);
	/* promised: at most a transit line, or energy lines by price and at most
	 * one of shortfall and excess; the subtotal is their sum */
	CORRIDOR_ASSERT(inv->line_count <= 31u + 1u); /* a price per day at most, and a band line */
	int64_t sum = 0;
	for (size_t i = 0; i < inv->line_count; i++)
		sum += inv->lines[i].amount_minor;
	CORRIDOR_ASSERT(sum == inv->subtotal_minor);
	return CORRIDOR_OK;
}

/* What a run collects. */

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
int corridor_invoice_compute(struct settle_run *run, const struct corridor_contract *c,
			   struct corridor_invoice *inv, bool *none)
{
	/* assumed: an accepted contract, a period that starts on a month's first day */
	CORRIDOR_ASSERT(c->version_count > 0 && corridor_month_start(run->P));
	struct corridor_kv *kv = run->kv;
	int32_t P = run->P, P_last = corridor_period_last_day(P);
	const struct corridor_contract_terms *t0 = &c->versions[0].terms;
	const struct corridor_contract_terms *tl = &c->versions[c->version_count - 1].terms;
	struct settled_rec s, cur;
	unsigned d1, d2;
	int err;
	*none = true;
	if (corridor_settled_get(kv, c->id, P, &cur) == 0 && cur.standing)
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
	int32_t p = corridor_period_of(t0->start_day);
	for (unsigned i = 0; active && p < P && i < CORRIDOR_TERM_PERIODS_MAX; i++, p = corridor_period_next(p))
		if (corridor_settled_get(kv, c->id, p, &s) != 0 || !s.standing) {
			char a[8], b[8];
			corridor_period_text(p, a);
			corridor_period_text(P, b);
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
	corridor_period_text(P, per); /* the reversals so far name the re-issue */
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
	p = corridor_period_of(t0->start_day);
	for (unsigned i = 0; p < P && i < CORRIDOR_TERM_PERIODS_MAX; i++, p = corridor_period_next(p)) {
		struct corridor_invoice now;
		if (corridor_settled_get(kv, c->id, p, &s) != 0 || !s.standing)
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
	/* promised: issued on the period's last day, due no earlier */
	CORRIDOR_ASSERT(inv->period_day == P && inv->issue_day == P_last && inv->due_day >= P_last);
	return CORRIDOR_OK;
}

/* ---- netting ---- */

/* SETTLEMENT.md "Netting" and the per-currency totals, from positions and the
 * invoices' totals; positions are sorted by currency, then party. */
int corridor_netting_compute(struct corridor_balance *ps, size_t n, struct corridor_batch *b)
{
	if (n)
		qsort(ps, n, sizeof *ps, corridor_positions_order);
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

int corridor_batch_total_add(struct corridor_batch *b, const char *cur, int64_t amount)
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


struct reading {
	int64_t start_s, end_s, quantity;
	uint64_t seq;           /* the entry that holds it */
	int64_t quantity_other; /* a billing reading's: the other party's, if used */
	uint64_t seq_other;     /* ... and the entry of its first reading */
	uint32_t meter;         /* the other party's: an index into collect.meters */
	bool used; /* another's: counted in a billing interval; a billing one's: has it */
};

/* Meters of the other party one meter report tells apart. */
#define OTHER_METERS_MAX 64u

struct collect {
	const struct corridor_contract_terms *t;
	const char *other;
	char meters[OTHER_METERS_MAX][CORRIDOR_METER_ID_BYTES_MAX + 1];
	uint32_t nmeters;
	int64_t from_s, to_s; /* [first instant, last instant) of the period */
	struct reading *billing, *others;
	size_t nb, no, capb, capo;
	int err;
};

static int push(struct reading **a, size_t *n, size_t *cap, const struct corridor_delivery *d)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct reading *r = realloc(*a, c * sizeof *r);
		if (!r)
			return CORRIDOR_E_NOMEM;
		*a = r;
		*cap = c;
	}
	(*a)[(*n)++] = (struct reading){ .start_s = d->start_s, .end_s = d->end_s,
					 .quantity = d->quantity_milli, .seq = d->seq };
	return CORRIDOR_OK;
}

/* The index of the other party's meter m. */
static int meter_index(struct collect *c, const char *m, uint32_t *out)
{
	for (uint32_t i = 0; i < c->nmeters; i++)
		if (!strcmp(c->meters[i], m))
			return *out = i, CORRIDOR_OK;
	if (c->nmeters >= OTHER_METERS_MAX)
		return CORRIDOR_E_LIMIT;
	snprintf(c->meters[c->nmeters], sizeof c->meters[0], "%s", m);
	*out = c->nmeters++;
	return CORRIDOR_OK;
}

static int collect_one(void *vctx, const struct corridor_delivery *d)
{
	struct collect *c = vctx;
	if (d->superseded_by || d->start_s < c->from_s || d->start_s >= c->to_s)
		return CORRIDOR_OK; /* only the latest reading counts, in the period */
	if (strcmp(d->recorder, c->t->metering_party) == 0 &&
	    strcmp(d->meter, c->t->billing_meter) == 0) {
		if (d->quantity_milli == 0 && d->supersedes)
			return CORRIDOR_OK; /* corrected to 0: removed */
		return push(&c->billing, &c->nb, &c->capb, d);
	}
	if (strcmp(d->recorder, c->other) == 0) {
		uint32_t m;
		int err = meter_index(c, d->meter, &m);
		if (!err && !(err = push(&c->others, &c->no, &c->capo, d)))
			c->others[c->no - 1].meter = m;
		return err;
	}
	return CORRIDOR_OK;
}

static int by_interval(const void *a, const void *b)
{
	const struct reading *x = a, *y = b;
	if (x->start_s != y->start_s)
		return x->start_s < y->start_s ? -1 : 1;
	return (x->end_s > y->end_s) - (x->end_s < y->end_s);
}

/* The version in force on a local day (the latest effective on or before it). */
const struct corridor_contract_terms *corridor_terms_in_force(const struct corridor_contract *c,
							     int32_t day)
{
	CORRIDOR_ASSERT(c->version_count > 0);
	const struct corridor_contract_terms *t = &c->versions[0].terms;
	for (size_t i = 1; i < c->version_count; i++)
		if (c->versions[i].effective_day <= day)
			t = &c->versions[i].terms;
	return t;
}

static enum corridor_meter_status judge(const struct corridor_meter_row *r, uint32_t tol)
{
	if (!r->has_other)
		return CORRIDOR_METER_BILLING_ONLY;
	if (!r->has_billing)
		return CORRIDOR_METER_OTHER_ONLY;
	corridor_i128 diff = (corridor_i128)r->billing_milli - r->other_milli;
	corridor_i128 bill = r->billing_milli < 0 ? -(corridor_i128)r->billing_milli
						  : (corridor_i128)r->billing_milli;
	if (diff < 0)
		diff = -diff;
	return diff * 1000 <= (corridor_i128)tol * bill ? CORRIDOR_METER_AGREE
							: CORRIDOR_METER_DISPUTED;
}

/* The other party's reading of billing interval b: the readings lying inside
 * it (others[lo..hi), sorted by interval), each meter's covering it exactly
 * — the same interval, or shorter ones end to end (a 15-minute side against
 * an hourly billing meter). false, with nothing used, if any meter's do not. */
static bool other_reading(struct collect *c, const struct reading *b, size_t lo, size_t hi,
			  int64_t *sum, uint64_t *first_seq, int *err)
{
	bool any = false;
	*sum = 0;
	*first_seq = 0;
	for (uint32_t m = 0; m < c->nmeters; m++) {
		int64_t at = b->start_s;
		bool seen = false;
		for (size_t k = lo; k < hi; k++) {
			const struct reading *o = &c->others[k];
			if (o->meter != m)
				continue;
			if (o->start_s != at || o->end_s > b->end_s)
				return false; /* a gap, an overlap, or beyond the interval */
			at = o->end_s;
			seen = true;
		}
		if (seen && at != b->end_s)
			return false;
		any |= seen;
	}
	for (size_t k = lo; any && k < hi; k++) {
		if (__builtin_add_overflow(*sum, c->others[k].quantity, sum)) {
			*err = CORRIDOR_E_OVERFLOW;
			return false;
		}
		if (!*first_seq)
			*first_seq = c->others[k].seq;
		c->others[k].used = true;
	}
	return any;
}

/* Rows in interval order: each billing interval with the other party's
 * reading of it, then the other party's readings no billing interval took. */
static int merge(struct collect *c, struct corridor_meter_report *out)
{
	size_t cap = c->nb + c->no, i = 0, j = 0, lo = 0;
	out->rows = calloc(cap ? cap : 1, sizeof *out->rows);
	if (!out->rows)
		return CORRIDOR_E_NOMEM;
	for (size_t b = 0; b < c->nb; b++) {
		const struct reading *r = &c->billing[b];
		int err = CORRIDOR_OK;
		while (lo < c->no && c->others[lo].start_s < r->start_s)
			lo++;
		size_t hi = lo;
		while (hi < c->no && c->others[hi].start_s < r->end_s)
			hi++;
		int64_t sum;
		uint64_t oseq;
		c->billing[b].used = other_reading(c, r, lo, hi, &sum, &oseq, &err);
		c->billing[b].quantity_other = sum;
		c->billing[b].seq_other = oseq;
		if (err)
			return err;
	}
	while (i < c->nb || j < c->no) {
		if (j < c->no && c->others[j].used) {
			j++;
			continue;
		}
		struct corridor_meter_row *r = &out->rows[out->count++];
		int cmp = i >= c->nb ? 1 : j >= c->no ? -1 : by_interval(&c->billing[i], &c->others[j]);
		const struct reading *at = cmp <= 0 ? &c->billing[i] : &c->others[j];
		r->start_s = at->start_s;
		r->end_s = at->end_s;
		if (cmp <= 0) {
			r->has_billing = true;
			r->billing_milli = c->billing[i].quantity;
			r->billing_seq = c->billing[i].seq;
			r->has_other = c->billing[i].used;
			r->other_milli = r->has_other ? c->billing[i].quantity_other : 0;
			r->other_seq = r->has_other ? c->billing[i].seq_other : 0;
			i++;
		} else {
			r->has_other = true;
			r->other_seq = c->others[j].seq;
			r->other_milli = c->others[j++].quantity;
		}
		r->status = judge(r, c->t->tolerance_permille);
		if (__builtin_add_overflow(out->total_billing_milli, r->billing_milli,
					   &out->total_billing_milli) ||
		    __builtin_add_overflow(out->total_other_milli, r->other_milli,
					   &out->total_other_milli))
			return CORRIDOR_E_OVERFLOW;
		out->agree += r->status == CORRIDOR_METER_AGREE;
		out->disputed += r->status == CORRIDOR_METER_DISPUTED;
		out->billing_only += r->status == CORRIDOR_METER_BILLING_ONLY;
		out->other_only += r->status == CORRIDOR_METER_OTHER_ONLY;
	}
	return CORRIDOR_OK;
}

int corridor_period_meters(struct corridor_kv *kv, const struct corridor_contract *c,
			   int32_t first_day, struct corridor_meter_report *out)
{
	struct collect col = { 0 };
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, first_day);
	int64_t off = (int64_t)t->utc_offset_min * 60;
	memset(out, 0, sizeof *out);
	col.t = t;
	col.other = strcmp(t->metering_party, t->buyer) == 0 ? t->seller : t->buyer;
	col.from_s = (int64_t)first_day * SECONDS_PER_DAY - off;
	col.to_s = ((int64_t)first_day + corridor_month_days(first_day)) * SECONDS_PER_DAY - off;
	int err = corridor_day_readings(kv, c->id, first_day, (int32_t)corridor_month_days(first_day),
					c->versions[0].terms.utc_offset_min, collect_one, &col);
	if (!err && col.nb) /* qsort wants a non-NULL base even for no elements */
		qsort(col.billing, col.nb, sizeof *col.billing, by_interval);
	if (!err && col.no)
		qsort(col.others, col.no, sizeof *col.others, by_interval);
	if (!err) {
		snprintf(out->contract, sizeof out->contract, "%s", c->id);
		snprintf(out->unit, sizeof out->unit, "%s", t->unit);
		snprintf(out->metering_party, sizeof out->metering_party, "%s", t->metering_party);
		snprintf(out->other_party, sizeof out->other_party, "%s", col.other);
		snprintf(out->billing_meter, sizeof out->billing_meter, "%s", t->billing_meter);
		out->tolerance_permille = t->tolerance_permille;
		err = merge(&col, out);
	}
	free(col.billing);
	free(col.others);
	if (err)
		corridor_meter_report_release(out);
	return err;
}

void corridor_meter_report_release(struct corridor_meter_report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->count = 0;
}

/* A band prorated to the days of the term inside the period (SETTLEMENT.md). */
int corridor_band_prorate(int64_t q, const struct corridor_contract_terms *t, int32_t first_day,
			  int64_t *out)
{
	int32_t days = (int32_t)corridor_month_days(first_day), last = first_day + days;
	int32_t from = t->start_day > first_day ? t->start_day : first_day;
	int32_t to = t->end_day < last ? t->end_day : last;
	int32_t inside = to > from ? to - from : 0;
	if (inside == days) {
		*out = q;
		return CORRIDOR_OK;
	}
	return corridor_div_round((corridor_i128)q * inside, days, out);
}

int corridor_positions_add(struct corridor_balance **v, size_t *n, size_t max,
			  struct corridor_kv *kv, const char *party, const char *currency,
			  int64_t delta)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].party, party) && !strcmp((*v)[i].currency, currency))
			return __builtin_add_overflow((*v)[i].balance_minor, delta,
						      &(*v)[i].balance_minor)
				       ? CORRIDOR_E_OVERFLOW
				       : CORRIDOR_OK;
	if (*n >= max)
		return CORRIDOR_E_LIMIT;
	void *nv = realloc(*v, (*n + 1) * sizeof **v);
	if (!nv)
		return CORRIDOR_E_NOMEM;
	*v = nv;
	struct corridor_balance *b = &(*v)[(*n)++];
	memset(b, 0, sizeof *b);
	snprintf(b->party, sizeof b->party, "%s", party);
	snprintf(b->currency, sizeof b->currency, "%s", currency);
	if (!kv || corridor_currency_get(kv, currency, &b->decimals, NULL) != 0)
		b->decimals = 2;
	b->balance_minor = delta;
	return CORRIDOR_OK;
}

/* ---- balances ---- */

int corridor_positions_order(const void *a, const void *b)
{
	const struct corridor_balance *x = a, *y = b;
	int c = strcmp(x->currency, y->currency);
	return c ? c : strcmp(x->party, y->party);
}

/* The id without a re-issue suffix "-r<n>". */
size_t corridor_invoice_base_len(const char *id)
{
	size_t n = strlen(id), i = n;
	while (i > 0 && id[i - 1] >= '0' && id[i - 1] <= '9')
		i--;
	if (i < n && i >= 2 && id[i - 1] == 'r' && id[i - 2] == '-')
		return i - 2;
	return n;
}

int corridor_band_position(const struct corridor_contract_terms *t, int32_t first_day,
			   int64_t billable_milli, struct corridor_band *out)
{
	int err = CORRIDOR_OK;
	memset(out, 0, sizeof *out);
	if ((out->has_min = t->has_min) &&
	    (err = corridor_band_prorate(t->min_milli, t, first_day, &out->min_milli)) == 0 &&
	    billable_milli < out->min_milli)
		out->shortfall_milli = out->min_milli - billable_milli;
	if (!err && (out->has_max = t->has_max) &&
	    (err = corridor_band_prorate(t->max_milli, t, first_day, &out->max_milli)) == 0 &&
	    billable_milli > out->max_milli)
		out->excess_milli = billable_milli - out->max_milli;
	CORRIDOR_ASSERT(err || (out->shortfall_milli >= 0 && out->excess_milli >= 0));
	CORRIDOR_ASSERT(err || !(out->shortfall_milli > 0 && out->excess_milli > 0));
	return err;
}
