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
#include "log/log.h"


struct report_meters_args {
	const char *contract;
	int32_t first_day;
	struct corridor_meter_report *out;
};

static int report_meters_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct report_meters_args *args = vctx;
	const char *contract = args->contract;
	int32_t first_day = args->first_day;
	struct corridor_meter_report *out = args->out;
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_contract_record(snap->kv, contract, c);
	if (!err && c->version_count == 0)
		err = CORRIDOR_E_NOTFOUND;
	if (!err && corridor_terms_in_force(c, first_day)->commodity == CORRIDOR_COMMODITY_TRANSIT) {
		char carried[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
		snprintf(carried, sizeof carried, "%s", corridor_terms_in_force(c, first_day)->carries);
		err = corridor_contract_record(snap->kv, carried, c);
		if (!err && c->version_count == 0)
			err = CORRIDOR_E_NOTFOUND;
	}
	if (err == CORRIDOR_E_NOTFOUND)
		corridor_diag_set(diag, err, "no accepted contract %s", contract);
	else if (err)
		corridor_diag_set(diag, err, "cannot read contract %s", contract);
	else if ((err = corridor_period_meters(snap->kv, c, first_day, out)) != 0)
		corridor_diag_set(diag, err, err == CORRIDOR_E_OVERFLOW ? "the report's totals overflow"
									  : "cannot read the readings of %s",
				  contract);
	if (!err)
		snprintf(out->contract, sizeof out->contract, "%s", contract);
	free(c);
	return err;
}

int corridor_report_meters(struct corridor_ledger *l, const char *contract, int32_t first_day,
			   struct corridor_meter_report *out, struct corridor_diag *diag)
{
	memset(out, 0, sizeof *out);
	struct report_meters_args args = { .contract = contract, .first_day = first_day, .out = out };
	return corridor_ledger_read(l, report_meters_fn, &args, diag);
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
	struct corridor_band band;
	if (!err && (err = corridor_band_position(t, first_day, p->billable_milli, &band)) == 0) {
		p->has_min = band.has_min;
		p->has_max = band.has_max;
		p->min_milli = band.min_milli;
		p->max_milli = band.max_milli;
		p->shortfall_milli = band.shortfall_milli;
		p->excess_milli = band.excess_milli;
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

/* ---- performance over a span of months, totalled per group ---- */

#define SPAN_MONTHS_MAX 1200u /* a century of months */
#define SPAN_CONTRACTS_MAX 100000u

struct span_acc {
	struct corridor_performance *p; /* one per contract, by id */
	size_t n, cap;
	bool overflow;
};

static bool add_i64(int64_t *a, int64_t b)
{
	return !__builtin_add_overflow(*a, b, a);
}

static int span_one(void *vctx, const struct corridor_performance *p)
{
	struct span_acc *a = vctx;
	size_t i = 0;
	while (i < a->n && strcmp(a->p[i].contract, p->contract) != 0)
		i++;
	if (i == a->n) {
		if (a->n >= SPAN_CONTRACTS_MAX)
			return CORRIDOR_E_LIMIT;
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 16;
			void *n = realloc(a->p, cap * sizeof *a->p);
			if (!n)
				return CORRIDOR_E_NOMEM;
			a->p = n;
			a->cap = cap;
		}
		a->p[a->n] = *p;
		a->p[a->n].min_milli = a->p[a->n].max_milli = 0;
		a->p[a->n].billable_milli = a->p[a->n].shortfall_milli = a->p[a->n].excess_milli = 0;
		a->p[a->n].intervals = a->p[a->n].disputed = 0;
		a->p[a->n].has_min = a->p[a->n].has_max = false;
		a->n++;
	}
	struct corridor_performance *t = &a->p[i];
	t->has_min |= p->has_min;
	t->has_max |= p->has_max;
	if (!add_i64(&t->min_milli, p->has_min ? p->min_milli : 0) ||
	    !add_i64(&t->max_milli, p->has_max ? p->max_milli : 0) ||
	    !add_i64(&t->billable_milli, p->billable_milli) ||
	    !add_i64(&t->shortfall_milli, p->shortfall_milli) ||
	    !add_i64(&t->excess_milli, p->excess_milli))
		a->overflow = true;
	t->intervals += p->intervals;
	t->disputed += p->disputed;
	return CORRIDOR_OK;
}

static int perf_by_id(const void *a, const void *b)
{
	return strcmp(((const struct corridor_performance *)a)->contract,
		      ((const struct corridor_performance *)b)->contract);
}

/* The first day of the month after the one that starts on `day`. */
static int32_t next_month(int32_t day)
{
	return day + (int32_t)corridor_month_days(day);
}

int32_t corridor_group_end(int32_t first_day, int32_t end_day, enum corridor_grouping grouping)
{
	int32_t y, g1;
	unsigned m, d;
	if (grouping == CORRIDOR_GROUP_ALL || first_day >= end_day)
		return end_day;
	corridor_civil_from_days(first_day, &y, &m, &d);
	g1 = first_day - (int32_t)(d - 1); /* the month's first day */
	do {
		g1 = next_month(g1);
		corridor_civil_from_days(g1, &y, &m, &d);
	} while (g1 < end_day && grouping != CORRIDOR_GROUP_MONTH &&
		 !(grouping == CORRIDOR_GROUP_QUARTER && (m - 1) % 3 == 0) &&
		 !(grouping == CORRIDOR_GROUP_YEAR && m == 1));
	return g1 < end_day ? g1 : end_day;
}

int corridor_report_performance_span(struct corridor_ledger *l, const char *contract,
				     int32_t first_day, int32_t end_day,
				     enum corridor_grouping grouping,
				     corridor_performance_span_fn fn, void *ctx,
				     struct corridor_diag *diag)
{
	int32_t y;
	unsigned m, d, months = 0;
	corridor_civil_from_days(first_day, &y, &m, &d);
	if (d != 1 || end_day <= first_day)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "performance is by month: a period of whole months");
	for (int32_t day = first_day; day < end_day; day = next_month(day))
		if (++months > SPAN_MONTHS_MAX)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u months",
						 SPAN_MONTHS_MAX);
	corridor_civil_from_days(end_day, &y, &m, &d);
	if (d != 1)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "performance is by month: a period of whole months");
	int err = CORRIDOR_OK;
	for (int32_t g0 = first_day; g0 < end_day && !err;) {
		/* the group: a month, the quarter or year it starts, or all */
		int32_t g1 = corridor_group_end(g0, end_day, grouping);
		struct span_acc a = { 0 };
		for (int32_t mday = g0; mday < g1 && !err; mday = next_month(mday))
			err = corridor_report_performance(l, contract, mday, span_one, &a, diag);
		if (!err && a.overflow)
			err = corridor_diag_set(diag, CORRIDOR_E_OVERFLOW,
						"the period's totals overflow");
		if (!err && a.n)
			qsort(a.p, a.n, sizeof *a.p, perf_by_id);
		for (size_t i = 0; !err && i < a.n; i++)
			err = fn(ctx, g0, g1, &a.p[i]);
		free(a.p);
		g0 = g1;
	}
	return err;
}
