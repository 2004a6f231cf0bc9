/*
 * diff.c — one ledger against another (docs/DELIVERIES.md "report diff"): a party's
 * private books against the shared ledger, or two parties' ledgers.
 *
 * Contracts are matched by id and compared version by version (effective
 * day and every term) and by status. Readings are matched by contract, meter
 * and interval start, each side at its latest correction, and compared by
 * end, quantity, quality and recorder. Rates, invoices and payments are
 * turned into (key, named values) items and merged the same way. Both sides
 * are walked in key order, so each row is reported once and the output is
 * the same on every run.
 */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

/* Contracts one side may hold in a diff. */
#define DIFF_CONTRACTS_MAX 100000u

typedef char contract_id[CORRIDOR_PARTY_ID_BYTES_MAX + 1];

struct ids {
	contract_id *v;
	size_t n, cap;
	int err;
};

static int collect_id(void *vctx, const struct corridor_contract *c)
{
	struct ids *ids = vctx;
	if (ids->n == ids->cap) {
		if (ids->cap >= DIFF_CONTRACTS_MAX) {
			ids->err = CORRIDOR_E_LIMIT;
			return 1;
		}
		size_t cap = ids->cap ? 2 * ids->cap : 64;
		contract_id *v = realloc(ids->v, cap * sizeof *v);
		if (!v) {
			ids->err = CORRIDOR_E_NOMEM;
			return 1;
		}
		ids->v = v;
		ids->cap = cap;
	}
	memcpy(ids->v[ids->n++], c->id, sizeof(contract_id));
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const contract_id *)a, *(const contract_id *)b);
}

/* What a diff covers: everything, or one contract (and one of its months). */
struct scope {
	const char *contract; /* NULL: every contract */
	int32_t period_day;   /* < 0: every month */
};

static int list_ids(struct corridor_ledger *l, const struct scope *sc, struct ids *ids,
		    struct corridor_diag *diag)
{
	if (sc->contract) { /* the one contract, if this side has it */
		struct corridor_contract *c = malloc(sizeof *c);
		if (!c)
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		int gerr = corridor_contract_get(l, sc->contract, c, NULL);
		int err = gerr == CORRIDOR_OK ? (collect_id(ids, c), ids->err) : CORRIDOR_OK;
		free(c);
		if (gerr && gerr != CORRIDOR_E_NOTFOUND)
			return corridor_diag_set(diag, gerr, "cannot read contract %s", sc->contract);
		return err ? corridor_diag_set(diag, err, "out of memory") : CORRIDOR_OK;
	}
	int err = corridor_contract_list(l, NULL, collect_id, ids, diag);
	if (ids->err)
		return corridor_diag_set(diag, ids->err, ids->err == CORRIDOR_E_LIMIT ?
							 "more than %u contracts" : "out of memory",
					 DIFF_CONTRACTS_MAX);
	if (err)
		return err;
	if (ids->n)
		qsort(ids->v, ids->n, sizeof *ids->v, cmp_id);
	return CORRIDOR_OK;
}

/* Appends name to the comma-separated list, once. */
static void add_field(char *fields, const char *name)
{
	size_t nl = strlen(name), have = strlen(fields);
	for (const char *p = fields; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == nl && memcmp(p, name, nl) == 0)
			return;
		p += len + (comma ? 1 : 0);
	}
	size_t need = have + (have ? 1 : 0) + nl + 1;
	CORRIDOR_ASSERT(need <= CORRIDOR_DIFF_FIELDS_BYTES_MAX);
	if (have)
		fields[have++] = ',';
	memcpy(fields + have, name, nl + 1);
}

static void terms_diff(const struct corridor_contract_terms *a,
		       const struct corridor_contract_terms *b, char *fields)
{
#define STR(f)                                   \
	if (strcmp(a->f, b->f) != 0)             \
	add_field(fields, #f)
#define NUM(f)                                   \
	if (a->f != b->f)                        \
	add_field(fields, #f)
	STR(seller);
	STR(buyer);
	NUM(commodity);
	STR(carries);
	STR(delivery_point);
	STR(unit);
	NUM(start_day);
	NUM(end_day);
	NUM(utc_offset_min);
	bool prices = a->price_count != b->price_count;
	for (size_t i = 0; !prices && i < a->price_count; i++)
		prices = a->prices[i].from_day != b->prices[i].from_day ||
			 a->prices[i].price_micro != b->prices[i].price_micro;
	if (prices)
		add_field(fields, "prices");
	STR(currency);
	STR(settlement_currency);
	STR(rate_source);
	NUM(payment_days);
	if (a->has_min != b->has_min || (a->has_min && a->min_milli != b->min_milli))
		add_field(fields, "min");
	if (a->has_max != b->has_max || (a->has_max && a->max_milli != b->max_milli))
		add_field(fields, "max");
	NUM(shortfall_bp);
	NUM(excess_bp);
	NUM(tolerance_permille);
	STR(metering_party);
	STR(billing_meter);
#undef STR
#undef NUM
}

static void contract_diff(const struct corridor_contract *a, const struct corridor_contract *b,
			  char *fields)
{
	if (a->status != b->status)
		add_field(fields, "status");
	if (a->version_count != b->version_count)
		add_field(fields, "versions");
	size_t n = a->version_count < b->version_count ? a->version_count : b->version_count;
	for (size_t i = 0; i < n; i++) {
		if (a->versions[i].effective_day != b->versions[i].effective_day)
			add_field(fields, "effective");
		terms_diff(&a->versions[i].terms, &b->versions[i].terms, fields);
	}
}

/* ---- readings ---- */

struct reading {
	uint64_t seq;
	int64_t start_s, end_s, quantity_milli;
	char quality;
	char meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
	char recorder[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
};

struct readings {
	struct reading *v;
	size_t n, cap;
	int err;
};

static int collect_reading(void *vctx, const struct corridor_delivery *d)
{
	struct readings *rs = vctx;
	if (d->superseded_by)
		return 0; /* only the latest correction counts */
	if (rs->n == rs->cap) {
		if (rs->cap >= CORRIDOR_DIFF_READINGS_MAX) {
			rs->err = CORRIDOR_E_LIMIT;
			return 1;
		}
		size_t cap = rs->cap ? 2 * rs->cap : 256;
		if (cap > CORRIDOR_DIFF_READINGS_MAX)
			cap = CORRIDOR_DIFF_READINGS_MAX;
		struct reading *v = realloc(rs->v, cap * sizeof *v);
		if (!v) {
			rs->err = CORRIDOR_E_NOMEM;
			return 1;
		}
		rs->v = v;
		rs->cap = cap;
	}
	struct reading *r = &rs->v[rs->n++];
	r->seq = d->seq;
	r->start_s = d->start_s;
	r->end_s = d->end_s;
	r->quantity_milli = d->quantity_milli;
	r->quality = d->quality;
	memcpy(r->meter, d->meter, sizeof r->meter);
	memcpy(r->recorder, d->recorder, sizeof r->recorder);
	return 0;
}

/* Key order: meter, start; then recorder and seq so duplicates pair stably. */
static int cmp_key(const struct reading *a, const struct reading *b)
{
	int c = strcmp(a->meter, b->meter);
	if (c)
		return c;
	return (a->start_s > b->start_s) - (a->start_s < b->start_s);
}

static int cmp_reading(const void *va, const void *vb)
{
	const struct reading *a = va, *b = vb;
	int c = cmp_key(a, b);
	if (c)
		return c;
	c = strcmp(a->recorder, b->recorder);
	if (c)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int list_readings(struct corridor_ledger *l, const char *contract, int32_t period_day,
			 struct readings *rs, struct corridor_diag *diag)
{
	rs->n = 0;
	rs->err = 0;
	/* month by month over every term the contract has had (a day either
	 * side for a change of offset): through the contract's day index, so a
	 * contract costs its own readings, not a scan of everyone's */
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_contract_get(l, contract, c, diag);
	int32_t from = INT32_MAX, to = INT32_MIN;
	for (size_t v = 0; !err && v < c->version_count; v++) {
		const struct corridor_contract_terms *t = &c->versions[v].terms;
		from = t->start_day < from ? t->start_day : from;
		to = t->end_day > to ? t->end_day : to;
	}
	free(c);
	if (!err && period_day >= 0) /* one month */
		err = corridor_delivery_list(l, contract, period_day, collect_reading, rs, diag);
	else if (!err && from < to) {
		int32_t y;
		unsigned m, d;
		corridor_civil_from_days(from - 1, &y, &m, &d);
		for (int32_t month = from - 1 - (int32_t)(d - 1); !err && !rs->err && month <= to;
		     month += (int32_t)corridor_month_days(month))
			err = corridor_delivery_list(l, contract, month, collect_reading, rs, diag);
	}
	if (rs->err)
		return corridor_diag_set(diag, rs->err,
					 rs->err == CORRIDOR_E_LIMIT ?
						 "contract %s has more than %u readings" :
						 "out of memory listing the readings of %s",
					 contract, CORRIDOR_DIFF_READINGS_MAX);
	if (err == CORRIDOR_E_NOTFOUND)
		return CORRIDOR_OK; /* the contract is not on this side */
	if (err)
		return err;
	if (rs->n)
		qsort(rs->v, rs->n, sizeof *rs->v, cmp_reading);
	return CORRIDOR_OK;
}

struct emit {
	corridor_diff_fn fn;
	void *ctx;
	struct corridor_diff_totals *totals;
};

static int emit(struct emit *e, struct corridor_diff_row *row)
{
	if (row->status == CORRIDOR_DIFF_MATCH && row->fields[0])
		row->status = CORRIDOR_DIFF_DIFFER;
	e->totals->count[row->kind - 1][row->status - 1]++;
	return e->fn(e->ctx, row);
}

static int diff_readings(const char *contract, const struct readings *a,
			 const struct readings *b, struct emit *e)
{
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		const struct reading *x = i < a->n ? &a->v[i] : NULL;
		const struct reading *y = j < b->n ? &b->v[j] : NULL;
		int c = !x ? 1 : !y ? -1 : cmp_key(x, y);
		const struct reading *k = c <= 0 ? x : y;
		struct corridor_diff_row row = { .kind = CORRIDOR_DIFF_DELIVERY };
		char start[21];
		corridor_utc_format(k->start_s, start);
		snprintf(row.key, sizeof row.key, "%s/%s/%s", contract, k->meter, start);
		if (c < 0) {
			row.status = CORRIDOR_DIFF_OURS_ONLY;
			row.ours_seq = x->seq;
			i++;
		} else if (c > 0) {
			row.status = CORRIDOR_DIFF_THEIRS_ONLY;
			row.theirs_seq = y->seq;
			j++;
		} else {
			row.status = CORRIDOR_DIFF_MATCH;
			row.ours_seq = x->seq;
			row.theirs_seq = y->seq;
			if (x->end_s != y->end_s)
				add_field(row.fields, "end");
			if (x->quantity_milli != y->quantity_milli)
				add_field(row.fields, "quantity");
			if (x->quality != y->quality)
				add_field(row.fields, "quality");
			if (strcmp(x->recorder, y->recorder) != 0)
				add_field(row.fields, "recorder");
			i++;
			j++;
		}
		int err = emit(e, &row);
		if (err)
			return err;
	}
	return CORRIDOR_OK;
}


/* ---- rates, invoices, payments: keyed items with named values ---- */

#define ITEM_VALUES 8u
#define ITEM_VALUE_BYTES 48u
#define DIFF_ITEMS_MAX 10000000u

struct item {
	char key[CORRIDOR_DIFF_KEY_BYTES_MAX];
	uint64_t seq;
	char val[ITEM_VALUES][ITEM_VALUE_BYTES];
};

struct items {
	struct item *v;
	size_t n, cap;
	int err;
};

static struct item *item_new(struct items *it)
{
	if (it->n == it->cap) {
		if (it->cap >= DIFF_ITEMS_MAX) {
			it->err = CORRIDOR_E_LIMIT;
			return NULL;
		}
		size_t cap = it->cap ? 2 * it->cap : 256;
		struct item *v = realloc(it->v, cap * sizeof *v);
		if (!v) {
			it->err = CORRIDOR_E_NOMEM;
			return NULL;
		}
		it->v = v;
		it->cap = cap;
	}
	struct item *x = &it->v[it->n++];
	memset(x, 0, sizeof *x);
	return x;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static const char *const RATE_VALUES[] = { "rate", NULL };
static const char *const INVOICE_VALUES[] = { "contract", "seller", "buyer", "currency",
					      "total",	  "due",    "status", NULL };
static const char *const PAYMENT_VALUES[] = { "payee", "currency", "amount", "status", NULL };

static int rate_item(void *ctx, const struct corridor_rate *r)
{
	struct item *x = item_new(ctx);
	char date[11];
	if (!x)
		return 1;
	corridor_date_format(r->day, date);
	snprintf(x->key, sizeof x->key, "%s/%s/%s/%s", r->source, r->base, r->quote, date);
	x->seq = r->seq;
	corridor_decimal_format(r->rate_e8, 8, x->val[0], ITEM_VALUE_BYTES);
	return 0;
}

static int invoice_item(void *ctx, const struct corridor_invoice *v)
{
	struct item *x = item_new(ctx);
	if (!x)
		return 1;
	snprintf(x->key, sizeof x->key, "%s", v->id);
	x->seq = v->seq;
	snprintf(x->val[0], ITEM_VALUE_BYTES, "%s", v->contract);
	snprintf(x->val[1], ITEM_VALUE_BYTES, "%s", v->seller);
	snprintf(x->val[2], ITEM_VALUE_BYTES, "%s", v->buyer);
	snprintf(x->val[3], ITEM_VALUE_BYTES, "%s", v->settlement_currency);
	snprintf(x->val[4], ITEM_VALUE_BYTES, "%lld", (long long)v->total_minor);
	corridor_date_format(v->due_day, x->val[5]);
	snprintf(x->val[6], ITEM_VALUE_BYTES, "%s", v->reversed ? "reversed" : "standing");
	return 0;
}

static int payment_item(void *ctx, const struct corridor_payment *p)
{
	struct item *x = item_new(ctx);
	char date[11];
	if (!x)
		return 1;
	corridor_date_format(p->value_day, date);
	snprintf(x->key, sizeof x->key, "%.100s/%s/%s", p->reference, p->payer, date);
	x->seq = p->seq;
	snprintf(x->val[0], ITEM_VALUE_BYTES, "%s", p->payee);
	snprintf(x->val[1], ITEM_VALUE_BYTES, "%s", p->currency);
	snprintf(x->val[2], ITEM_VALUE_BYTES, "%lld", (long long)p->amount_minor);
	snprintf(x->val[3], ITEM_VALUE_BYTES, "%s", p->reversed_by ? "reversed" : "standing");
	return 0;
}

/* Sorts by key (then seq) and numbers equal keys "#2", "#3"... in seq order. */
static int items_finish(struct items *it, struct corridor_diag *diag)
{
	if (it->err)
		return corridor_diag_set(diag, it->err, it->err == CORRIDOR_E_LIMIT
								? "more than %u rows to compare"
								: "out of memory",
					 DIFF_ITEMS_MAX);
	if (it->n)
		qsort(it->v, it->n, sizeof *it->v, cmp_item);
	for (size_t i = 1, k = 1; i < it->n; i++) {
		if (strncmp(it->v[i].key, it->v[i - k].key, sizeof it->v[i].key) != 0) {
			k = 1;
			continue;
		}
		size_t len = strlen(it->v[i].key);
		snprintf(it->v[i].key + (len > sizeof it->v[i].key - 12 ? sizeof it->v[i].key - 12 : len),
			 12, "#%zu", ++k);
	}
	return CORRIDOR_OK;
}

static int diff_items(enum corridor_diff_kind kind, const char *const *names, struct items *a,
		      struct items *b, struct emit *e)
{
	size_t i = 0, j = 0;
	/* re-sort: numbering may have changed the order of equal prefixes */
	if (a->n)
		qsort(a->v, a->n, sizeof *a->v, cmp_item);
	if (b->n)
		qsort(b->v, b->n, sizeof *b->v, cmp_item);
	while (i < a->n || j < b->n) {
		const struct item *x = i < a->n ? &a->v[i] : NULL, *y = j < b->n ? &b->v[j] : NULL;
		int c = !x ? 1 : !y ? -1 : strcmp(x->key, y->key);
		struct corridor_diff_row row = { .kind = kind };
		snprintf(row.key, sizeof row.key, "%s", c <= 0 ? x->key : y->key);
		if (c < 0) {
			row.status = CORRIDOR_DIFF_OURS_ONLY;
			row.ours_seq = x->seq;
			i++;
		} else if (c > 0) {
			row.status = CORRIDOR_DIFF_THEIRS_ONLY;
			row.theirs_seq = y->seq;
			j++;
		} else {
			row.status = CORRIDOR_DIFF_MATCH;
			row.ours_seq = x->seq;
			row.theirs_seq = y->seq;
			for (size_t k = 0; names[k]; k++)
				if (strcmp(x->val[k], y->val[k]) != 0)
					add_field(row.fields, names[k]);
			i++;
			j++;
		}
		int err = emit(e, &row);
		if (err)
			return err;
	}
	return CORRIDOR_OK;
}

/* An invoice of the scope (its contract, and its period if one is named). */
struct scoped_items {
	struct items *it;
	const struct scope *sc;
};

static int scoped_invoice_item(void *ctx, const struct corridor_invoice *v)
{
	const struct scoped_items *si = ctx;
	if (si->sc->contract && (strcmp(v->contract, si->sc->contract) != 0 ||
				 (si->sc->period_day >= 0 && v->period_day != si->sc->period_day)))
		return 0;
	return invoice_item(si->it, v);
}

static int diff_money(struct corridor_ledger *ours, struct corridor_ledger *theirs,
		      const struct scope *sc, struct emit *e, struct corridor_diag *diag)
{
	struct items a = { 0 }, b = { 0 };
	int err = CORRIDOR_OK;
	for (int kind = CORRIDOR_DIFF_RATE; !err && kind <= CORRIDOR_DIFF_PAYMENT; kind++) {
		/* rates and payments are no contract's: a scoped diff leaves them out */
		if (sc->contract && kind != CORRIDOR_DIFF_INVOICE)
			continue;
		a.n = b.n = 0;
		a.err = b.err = 0;
		struct corridor_ledger *side[2] = { ours, theirs };
		struct items *it[2] = { &a, &b };
		for (int s = 0; s < 2 && !err; s++) {
			struct scoped_items si = { .it = it[s], .sc = sc };
			if (kind == CORRIDOR_DIFF_RATE)
				err = corridor_rate_list(side[s], NULL, NULL, INT32_MIN, INT32_MAX,
							 rate_item, it[s], diag);
			else if (kind == CORRIDOR_DIFF_INVOICE)
				err = corridor_invoice_list(side[s], scoped_invoice_item, &si, diag);
			else
				err = corridor_payment_list(side[s], NULL, payment_item, it[s], diag);
			if (err == 1 || !err)
				err = items_finish(it[s], diag);
		}
		if (!err)
			err = diff_items((enum corridor_diff_kind)kind,
					 kind == CORRIDOR_DIFF_RATE	 ? RATE_VALUES
					 : kind == CORRIDOR_DIFF_INVOICE ? INVOICE_VALUES
									 : PAYMENT_VALUES,
					 &a, &b, e);
	}
	free(a.v);
	free(b.v);
	return err;
}

int corridor_report_diff(struct corridor_ledger *ours, struct corridor_ledger *theirs,
			 corridor_diff_fn fn, void *ctx, struct corridor_diff_totals *totals,
			 struct corridor_diag *diag)
{
	return corridor_report_diff_of(ours, theirs, NULL, -1, fn, ctx, totals, diag);
}

int corridor_report_diff_of(struct corridor_ledger *ours, struct corridor_ledger *theirs,
			    const char *contract, int32_t period_day, corridor_diff_fn fn,
			    void *ctx, struct corridor_diff_totals *totals,
			    struct corridor_diag *diag)
{
	const struct scope sc = { .contract = contract, .period_day = contract ? period_day : -1 };
	struct ids a = { 0 }, b = { 0 };
	struct readings ra = { 0 }, rb = { 0 };
	struct corridor_contract *ca = malloc(sizeof *ca), *cb = malloc(sizeof *cb);
	struct emit e = { .fn = fn, .ctx = ctx, .totals = totals };
	memset(totals, 0, sizeof *totals);
	int err = CORRIDOR_OK;
	if (!ca || !cb) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	if (period_day >= 0 && (!contract || !corridor_month_start(period_day))) {
		err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
					"a diff of one month names its contract and the month's "
					"first day");
		goto out_free;
	}
	if ((err = list_ids(ours, &sc, &a, diag)) != 0 || (err = list_ids(theirs, &sc, &b, diag)) != 0)
		goto out_free;
	/* Contracts, by id. */
	size_t i = 0, j = 0;
	while (i < a.n || j < b.n) {
		int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i], b.v[j]);
		struct corridor_diff_row row = { .kind = CORRIDOR_DIFF_CONTRACT };
		snprintf(row.key, sizeof row.key, "%s", c <= 0 ? a.v[i] : b.v[j]);
		if (c <= 0 && (err = corridor_contract_get(ours, a.v[i], ca, diag)) != 0)
			goto out_free;
		if (c >= 0 && (err = corridor_contract_get(theirs, b.v[j], cb, diag)) != 0)
			goto out_free;
		if (c < 0) {
			row.status = CORRIDOR_DIFF_OURS_ONLY;
			row.ours_seq = ca->proposed_seq;
			i++;
		} else if (c > 0) {
			row.status = CORRIDOR_DIFF_THEIRS_ONLY;
			row.theirs_seq = cb->proposed_seq;
			j++;
		} else {
			row.status = CORRIDOR_DIFF_MATCH;
			row.ours_seq = ca->proposed_seq;
			row.theirs_seq = cb->proposed_seq;
			contract_diff(ca, cb, row.fields);
			i++;
			j++;
		}
		if ((err = emit(&e, &row)) != 0)
			goto out_free;
	}
	/* Readings, contract by contract, over the union of the ids. */
	i = j = 0;
	while (i < a.n || j < b.n) {
		int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i], b.v[j]);
		const char *id = c <= 0 ? a.v[i] : b.v[j];
		ra.n = rb.n = 0;
		if (c <= 0 && (err = list_readings(ours, id, sc.period_day, &ra, diag)) != 0)
			goto out_free;
		if (c >= 0 && (err = list_readings(theirs, id, sc.period_day, &rb, diag)) != 0)
			goto out_free;
		if ((err = diff_readings(id, &ra, &rb, &e)) != 0)
			goto out_free;
		i += c <= 0;
		j += c >= 0;
	}
	err = diff_money(ours, theirs, &sc, &e, diag);
out_free:
	free(ra.v);
	free(rb.v);
	free(a.v);
	free(b.v);
	free(ca);
	free(cb);
	return err;
}
