/*
 * receivables.c — the reports that set invoices against payments
 * (SETTLEMENT.md "Payments"): invoices with what is paid, open and overdue,
 * aging, unapplied credits; and the trial balance per party and currency.
 *
 * Application happens when a report is made, so a payment to an invoice
 * later reversed applies to its re-issue: a reference names an invoice id
 * with or without its "-r<n>" suffix, and applies to the standing invoice of
 * that contract and period.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "services.h"

#define REPORT_ROWS_MAX 10000000u

/* ---- invoices against payments ---- */

struct ilist {
	struct corridor_invoice *inv;
	size_t n;
	struct corridor_kv *kv;
};

static int ilist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct ilist *c = vctx;
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	(void)v;
	(void)vlen;
	if (klen == 0 || klen > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	if (c->n >= REPORT_ROWS_MAX)
		return CORRIDOR_E_LIMIT;
	memcpy(id, k, klen);
	id[klen] = '\0';
	void *n = realloc(c->inv, (c->n + 1) * sizeof *c->inv);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->inv = n;
	return corridor_invoice_record(c->kv, id, &c->inv[c->n++]);
}

static int by_inv_id(const void *a, const void *b)
{
	return strcmp(((const struct corridor_invoice_status *)a)->id,
		      ((const struct corridor_invoice_status *)b)->id);
}

static int by_party_currency(const void *a, const void *b)
{
	const struct corridor_aging_row *x = a, *y = b;
	int c = strcmp(x->party, y->party);
	return c ? c : strcmp(x->currency, y->currency);
}

static int by_credit(const void *a, const void *b)
{
	const struct corridor_balance *x = a, *y = b;
	int c = strcmp(x->party, y->party);
	return c ? c : strcmp(x->currency, y->currency);
}

struct report_invoices_args {
	const char *party;
	int32_t as_of;
	struct corridor_invoice_report *out;
};

static int report_invoices_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct report_invoices_args *args = vctx;
	const char *party = args->party;
	int32_t as_of = args->as_of;
	struct corridor_invoice_report *out = args->out;
	struct ilist il = { 0 };
	struct corridor_payment_rows pl = { 0 };
	memset(out, 0, sizeof *out);
	int err;
	il.kv = snap->kv;
	err = snap->kv->scan(snap->kv, STATE_INVOICES, NULL, 0, ilist_one, &il);
	if (!err)
		err = corridor_payments_all(snap->kv, &pl);
	struct corridor_invoice_status *st = NULL;
	size_t ns = 0;
	if (!err)
		st = calloc(il.n ? il.n : 1, sizeof *st);
	if (!err && !st)
		err = CORRIDOR_E_NOMEM;
	for (size_t i = 0; !err && i < il.n; i++) {
		const struct corridor_invoice *v = &il.inv[i];
		if (v->reversed || v->issue_day > as_of)
			continue;
		struct corridor_invoice_status *s = &st[ns++];
		snprintf(s->id, sizeof s->id, "%s", v->id);
		snprintf(s->contract, sizeof s->contract, "%s", v->contract);
		bool owed = v->total_minor >= 0;
		snprintf(s->debtor, sizeof s->debtor, "%s", owed ? v->buyer : v->seller);
		snprintf(s->creditor, sizeof s->creditor, "%s", owed ? v->seller : v->buyer);
		memcpy(s->currency, v->settlement_currency, 4);
		if (corridor_currency_get(snap->kv, s->currency, &s->decimals, NULL) != 0)
			s->decimals = 2;
		s->amount_minor = owed ? v->total_minor : -v->total_minor;
		s->open_minor = s->amount_minor;
		s->due_day = v->due_day;
		/* nothing owed (a transit month with nothing carried): settled when issued */
		s->paid_day = s->amount_minor == 0 ? v->issue_day : -1;
	}
	if (ns)
		qsort(st, ns, sizeof *st, by_inv_id);
	/* payments in seq order, each to the standing invoice its reference names */
	for (size_t i = 0; !err && i < pl.n; i++) {
		const struct corridor_payment *p = &pl.p[i];
		if (p->reversed_by || p->value_day > as_of)
			continue;
		size_t bl = corridor_invoice_base_len(p->reference);
		struct corridor_invoice_status *to = NULL;
		/* the invoices whose id starts with the reference's base are
		 * contiguous in id order: the first of them, by bisection */
		size_t lo = 0, hi = ns;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strncmp(st[mid].id, p->reference, bl) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < ns && !to && !strncmp(st[k].id, p->reference, bl); k++)
			if (corridor_invoice_base_len(st[k].id) == bl &&
			    !strcmp(st[k].currency, p->currency))
				to = &st[k];
		int64_t applied = 0;
		if (to) {
			applied = p->amount_minor < to->open_minor ? p->amount_minor : to->open_minor;
			to->paid_minor += applied;
			to->open_minor -= applied;
			if (to->open_minor == 0 && applied > 0)
				to->paid_day = p->value_day;
		}
		if (p->amount_minor > applied)
			err = corridor_positions_add(&out->credits, &out->credit_count, REPORT_ROWS_MAX,
						    snap->kv, p->payer, p->currency,
						    p->amount_minor - applied);
	}
	/* days overdue, aging, the party filter */
	for (size_t i = 0; !err && i < ns; i++) {
		struct corridor_invoice_status *s = &st[i];
		int64_t ref = s->open_minor == 0 && s->paid_day >= 0 ? s->paid_day : as_of;
		s->days_overdue = ref > s->due_day ? ref - s->due_day : 0;
		if (party && strcmp(party, s->debtor) && strcmp(party, s->creditor))
			continue;
		out->invoices = out->invoices ? out->invoices : calloc(ns, sizeof *out->invoices);
		if (!out->invoices) {
			err = CORRIDOR_E_NOMEM;
			break;
		}
		out->invoices[out->count++] = *s;
		if (s->open_minor == 0)
			continue;
		int64_t late = as_of - s->due_day;
		unsigned bucket = late <= 0 ? CORRIDOR_AGING_CURRENT
				  : late <= 30 ? CORRIDOR_AGING_1_30
				  : late <= 60 ? CORRIDOR_AGING_31_60
				  : late <= 90 ? CORRIDOR_AGING_61_90
					       : CORRIDOR_AGING_OVER_90;
		struct corridor_aging_row *a = NULL;
		for (size_t k = 0; k < out->aging_count && !a; k++)
			if (!strcmp(out->aging[k].party, s->debtor) &&
			    !strcmp(out->aging[k].currency, s->currency))
				a = &out->aging[k];
		if (!a) {
			void *n = realloc(out->aging, (out->aging_count + 1) * sizeof *out->aging);
			if (!n) {
				err = CORRIDOR_E_NOMEM;
				break;
			}
			out->aging = n;
			a = &out->aging[out->aging_count++];
			memset(a, 0, sizeof *a);
			memcpy(a->party, s->debtor, sizeof a->party);
			memcpy(a->currency, s->currency, 4);
			a->decimals = s->decimals;
		}
		if (__builtin_add_overflow(a->bucket_minor[bucket], s->open_minor,
					   &a->bucket_minor[bucket]) ||
		    __builtin_add_overflow(a->open_minor, s->open_minor, &a->open_minor))
			err = CORRIDOR_E_OVERFLOW;
	}
	free(st);
	free(il.inv);
	free(pl.p);
	if (party && !err) {
		size_t k = 0;
		for (size_t i = 0; i < out->credit_count; i++)
			if (!strcmp(out->credits[i].party, party))
				out->credits[k++] = out->credits[i];
		out->credit_count = k;
	}
	if (out->aging_count)
		qsort(out->aging, out->aging_count, sizeof *out->aging, by_party_currency);
	if (out->credit_count)
		qsort(out->credits, out->credit_count, sizeof *out->credits, by_credit);
	if (err) {
		corridor_invoice_report_release(out);
		return corridor_diag_set(diag, err, "cannot make the invoice report");
	}
	return CORRIDOR_OK;
}

int corridor_report_invoices(struct corridor_ledger *l, const char *party, int32_t as_of,
			     struct corridor_invoice_report *out, struct corridor_diag *diag)
{
	memset(out, 0, sizeof *out);
	struct report_invoices_args args = { .party = party, .as_of = as_of, .out = out };
	return corridor_ledger_read(l, report_invoices_fn, &args, diag);
}

void corridor_invoice_report_release(struct corridor_invoice_report *r)
{
	free(r->invoices);
	free(r->aging);
	free(r->credits);
	memset(r, 0, sizeof *r);
}

struct balances {
	struct corridor_balance *b;
	size_t n;
};

struct bal_check {
	struct balances *bs;
	size_t matched;
	bool differ;
};

static int bal_compare(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct bal_check *c = vctx;
	int64_t stored;
	if (vlen != 8 || klen < 5)
		return CORRIDOR_E_STORAGE;
	stored = (int64_t)corridor_be64_get(v);
	for (size_t i = 0; i < c->bs->n; i++) {
		size_t pl = strlen(c->bs->b[i].party);
		if (pl + 4 == klen && !memcmp(k, c->bs->b[i].party, pl) &&
		    !memcmp(k + pl + 1, c->bs->b[i].currency, 3)) {
			c->matched++;
			c->differ |= stored != c->bs->b[i].balance_minor;
			return CORRIDOR_OK;
		}
	}
	c->differ |= stored != 0;
	return CORRIDOR_OK;
}

struct report_balances_args {
	int32_t as_of;
	corridor_balance_fn fn;
	void *ctx;
};

static int report_balances_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct report_balances_args *args = vctx;
	int32_t as_of = args->as_of;
	corridor_balance_fn fn = args->fn;
	void *ctx = args->ctx;
	struct ilist il = { 0 };
	struct corridor_payment_rows pl = { 0 };
	struct balances bs = { 0 };
	int err;
	il.kv = snap->kv;
	err = snap->kv->scan(snap->kv, STATE_INVOICES, NULL, 0, ilist_one, &il);
	if (!err)
		err = corridor_payments_all(snap->kv, &pl);
	for (size_t i = 0; !err && i < il.n; i++) {
		const struct corridor_invoice *v = &il.inv[i];
		if (v->reversed || (as_of >= 0 && v->issue_day > as_of))
			continue;
		if (!(err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, v->seller, v->settlement_currency, v->total_minor)))
			err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, v->buyer, v->settlement_currency, -v->total_minor);
	}
	for (size_t i = 0; !err && i < pl.n; i++) {
		const struct corridor_payment *p = &pl.p[i];
		if (p->reversed_by || (as_of >= 0 && p->value_day > as_of))
			continue;
		if (!(err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, p->payer, p->currency, p->amount_minor)))
			err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, p->payee, p->currency, -p->amount_minor);
	}
	if (!err && as_of < 0) {
		/* everything: the index kept with every entry must agree */
		struct bal_check bc = { .bs = &bs };
		err = snap->kv->scan(snap->kv, STATE_BALANCES, NULL, 0, bal_compare, &bc);
		if (!err && bc.differ)
			err = corridor_diag_set(diag, CORRIDOR_E_STORAGE,
						"the balance index disagrees with the entries");
	}
	free(il.inv);
	free(pl.p);
	if (bs.n)
		qsort(bs.b, bs.n, sizeof *bs.b, corridor_positions_order);
	/* every currency sums to zero */
	for (size_t lo = 0; !err && lo < bs.n;) {
		size_t hi = lo;
		corridor_i128 sum = 0;
		while (hi < bs.n && !strcmp(bs.b[hi].currency, bs.b[lo].currency))
			sum += bs.b[hi++].balance_minor;
		CORRIDOR_ASSERT(sum == 0);
		lo = hi;
	}
	for (size_t i = 0; !err && i < bs.n; i++)
		err = fn(ctx, &bs.b[i]);
	free(bs.b);
	if (err < 0 && diag && !diag->text[0])
		corridor_diag_set(diag, err, "cannot make the balances");
	return err;
}

int corridor_report_balances(struct corridor_ledger *l, int32_t as_of, corridor_balance_fn fn,
			     void *ctx, struct corridor_diag *diag)
{
	struct report_balances_args args = { .as_of = as_of, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, report_balances_fn, &args, diag);
}
