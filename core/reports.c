/*
 * reports.c — meter vs meter and contract performance, from the state the
 * entries built (SETTLEMENT.md "Billable quantity"):
 *   - billing readings: by the contract's metering party on its billing meter,
 *     interval starting in the period, each at its latest correction (a
 *     correction to 0 removes it);
 *   - the other party (the buyer, or the seller when the buyer meters): the
 *     sum of its latest readings of exactly that interval over its meters;
 *   - they agree when |a - b| * 1000 <= tolerance * |billing reading|.
 * The terms used are the contract version in force on the period's first day.
 */
#include "ledger_internal.h"

#define SECONDS_PER_DAY 86400

struct reading {
	int64_t start_s, end_s, quantity;
};

struct collect {
	const struct corridor_contract_terms *t;
	const char *other;
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
	(*a)[(*n)++] = (struct reading){ d->start_s, d->end_s, d->quantity_milli };
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
	if (strcmp(d->recorder, c->other) == 0)
		return push(&c->others, &c->no, &c->capo, d);
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

/* Merges the two sorted sides into rows, one per distinct interval. */
static int merge(const struct collect *c, struct corridor_meter_report *out)
{
	size_t cap = c->nb + c->no, i = 0, j = 0;
	out->rows = calloc(cap ? cap : 1, sizeof *out->rows);
	if (!out->rows)
		return CORRIDOR_E_NOMEM;
	while (i < c->nb || j < c->no) {
		struct corridor_meter_row *r = &out->rows[out->count++];
		int cmp = i >= c->nb ? 1 : j >= c->no ? -1 : by_interval(&c->billing[i], &c->others[j]);
		const struct reading *at = cmp <= 0 ? &c->billing[i] : &c->others[j];
		r->start_s = at->start_s;
		r->end_s = at->end_s;
		if (cmp <= 0) {
			r->has_billing = true;
			r->billing_milli = c->billing[i++].quantity;
		}
		while (j < c->no && c->others[j].start_s == r->start_s &&
		       c->others[j].end_s == r->end_s) {
			r->has_other = true;
			if (__builtin_add_overflow(r->other_milli, c->others[j].quantity, &r->other_milli))
				return CORRIDOR_E_OVERFLOW;
			j++;
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

int corridor_report_meters(struct corridor_ledger *l, const char *contract, int32_t first_day,
			   struct corridor_meter_report *out, struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	struct corridor_contract *c = malloc(sizeof *c);
	memset(out, 0, sizeof *out);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err) {
		free(c);
		return err;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	err = corridor_contract_record(&kv.base, contract, c);
	if (!err && c->version_count == 0)
		err = CORRIDOR_E_NOTFOUND;
	if (!err && corridor_terms_in_force(c, first_day)->commodity == CORRIDOR_COMMODITY_TRANSIT) {
		char carried[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
		snprintf(carried, sizeof carried, "%s", corridor_terms_in_force(c, first_day)->carries);
		err = corridor_contract_record(&kv.base, carried, c);
		if (!err && c->version_count == 0)
			err = CORRIDOR_E_NOTFOUND;
	}
	if (err == CORRIDOR_E_NOTFOUND)
		corridor_diag_set(diag, err, "no accepted contract %s", contract);
	else if (err)
		corridor_diag_set(diag, err, "cannot read contract %s", contract);
	else if ((err = corridor_period_meters(&kv.base, c, first_day, out)) != 0)
		corridor_diag_set(diag, err, err == CORRIDOR_E_OVERFLOW ? "the report's totals overflow"
									  : "cannot read the readings of %s",
				  contract);
	if (!err)
		snprintf(out->contract, sizeof out->contract, "%s", contract);
	mdb_txn_abort(txn);
	free(c);
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

static int performance_one(struct corridor_ledger *l, const char *id, int32_t first_day,
			   struct corridor_performance *p, struct corridor_diag *diag)
{
	struct corridor_meter_report m;
	struct corridor_contract *c = malloc(sizeof *c);
	memset(p, 0, sizeof *p);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_contract_get(l, id, c, diag);
	if (!err && c->version_count == 0)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "contract %s is not accepted", id);
	if (!err)
		err = corridor_report_meters(l, id, first_day, &m, diag);
	if (err) {
		free(c);
		return err;
	}
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, first_day);
	snprintf(p->contract, sizeof p->contract, "%s", id);
	snprintf(p->unit, sizeof p->unit, "%s", t->unit);
	p->billable_milli = m.total_billing_milli;
	p->intervals = m.count - m.other_only;
	p->disputed = m.disputed;
	if ((p->has_min = t->has_min) && !err) {
		err = corridor_band_prorate(t->min_milli, t, first_day, &p->min_milli);
		if (!err && p->billable_milli < p->min_milli)
			p->shortfall_milli = p->min_milli - p->billable_milli;
	}
	if ((p->has_max = t->has_max) && !err) {
		err = corridor_band_prorate(t->max_milli, t, first_day, &p->max_milli);
		if (!err && p->billable_milli > p->max_milli)
			p->excess_milli = p->billable_milli - p->max_milli;
	}
	corridor_meter_report_release(&m);
	free(c);
	return err ? corridor_diag_set(diag, err, "the band of %s overflows", id) : CORRIDOR_OK;
}

struct perf_all {
	struct corridor_ledger *l;
	int32_t first_day;
	corridor_performance_fn fn;
	void *ctx;
	struct corridor_diag *diag;
	size_t count;
	char (*ids)[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
};

static int perf_collect(void *vctx, const struct corridor_contract *c)
{
	struct perf_all *a = vctx;
	if (c->version_count == 0)
		return CORRIDOR_OK;
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, a->first_day);
	int32_t last = a->first_day + (int32_t)corridor_month_days(a->first_day);
	if (t->start_day >= last || t->end_day <= a->first_day)
		return CORRIDOR_OK; /* the term does not overlap the period */
	void *n = realloc(a->ids, (a->count + 1) * sizeof *a->ids);
	if (!n)
		return CORRIDOR_E_NOMEM;
	a->ids = n;
	snprintf(a->ids[a->count++], sizeof a->ids[0], "%s", c->id);
	return CORRIDOR_OK;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

int corridor_report_performance(struct corridor_ledger *l, const char *contract, int32_t first_day,
				corridor_performance_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct corridor_performance p;
	if (contract) {
		int err = performance_one(l, contract, first_day, &p, diag);
		return err ? err : fn(ctx, &p);
	}
	struct perf_all a = { .l = l, .first_day = first_day, .fn = fn, .ctx = ctx, .diag = diag };
	int err = corridor_contract_list(l, NULL, perf_collect, &a, diag);
	if (!err && a.count)
		qsort(a.ids, a.count, sizeof *a.ids, by_id);
	for (size_t i = 0; !err && i < a.count; i++)
		if ((err = performance_one(l, a.ids[i], first_day, &p, diag)) == 0)
			err = fn(ctx, &p);
	free(a.ids);
	return err;
}
