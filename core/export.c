/*
 * export.c — the accounting journal export: gathers the invoices and
 * payments (with the days their reversals happened) and the fixings the
 * invoices used through the public reads, and hands them, as rows, to the
 * journal writer (formats/journal.c). The file appears whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

#define JOURNAL_CURRENCIES_MAX 256u
#define JOURNAL_ROWS_MAX ((size_t)1 << 26)

/* A reversal found in the log: what it reverses (a batch's or a payment's
 * seq) and the day it was logged. */
struct reversal {
	uint64_t target;
	int32_t day;
};

struct rows {
	struct corridor_ledger *l;
	struct corridor_journal_currency cur[JOURNAL_CURRENCIES_MAX];
	size_t ncur;
	struct corridor_journal_invoice *inv;
	size_t ninv, inv_cap;
	struct corridor_journal_payment *pay;
	size_t npay, pay_cap;
	struct corridor_journal_price *price;
	size_t nprice, price_cap;
	struct reversal *batch_rev, *pay_rev;
	size_t nbatch_rev, batch_rev_cap, npay_rev, pay_rev_cap;
};

static int32_t reversal_day(const struct reversal *r, size_t n, uint64_t target)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].target == target)
			return r[i].day;
	return -1;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return CORRIDOR_OK;
	if (n >= JOURNAL_ROWS_MAX)
		return CORRIDOR_E_LIMIT;
	size_t c = *cap ? *cap * 2 : 64;
	void *p = realloc(*v, c * size);
	if (!p)
		return CORRIDOR_E_NOMEM;
	*v = p;
	*cap = c;
	return CORRIDOR_OK;
}

static int add_currency(void *ctx, const char *code, unsigned decimals, uint64_t seq)
{
	struct rows *r = ctx;
	(void)seq;
	if (r->ncur >= JOURNAL_CURRENCIES_MAX)
		return CORRIDOR_E_LIMIT;
	snprintf(r->cur[r->ncur].code, sizeof r->cur[0].code, "%s", code);
	r->cur[r->ncur++].decimals = decimals;
	return 0;
}

/* The log's reversals: settlement.reverse {batch} and payment.reverse
 * {payment}, each with its day. */
static int find_reversal(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct rows *r = ctx;
	struct corridor_entry e;
	uint64_t target;
	(void)seq;
	if (corridor_entry_decode(bytes, len, &e, NULL) != 0)
		return CORRIDOR_E_STORAGE;
	bool batch = strcmp(e.kind, "settlement.reverse") == 0;
	if (!batch && strcmp(e.kind, "payment.reverse") != 0)
		return 0;
	if (corridor_msgpack_map_uint(e.body, e.body_len, batch ? "batch" : "payment", &target) != 0)
		return CORRIDOR_E_STORAGE;
	struct reversal **v = batch ? &r->batch_rev : &r->pay_rev;
	size_t *n = batch ? &r->nbatch_rev : &r->npay_rev;
	int err = grow((void **)v, batch ? &r->batch_rev_cap : &r->pay_rev_cap, *n, sizeof **v);
	if (err)
		return err;
	(*v)[(*n)++] = (struct reversal){ target, (int32_t)(e.time_us / 1000000u / 86400u) };
	return 0;
}

static int add_payment(void *ctx, const struct corridor_payment *p)
{
	struct rows *r = ctx;
	int err = grow((void **)&r->pay, &r->pay_cap, r->npay, sizeof *r->pay);
	if (err)
		return err;
	struct corridor_journal_payment *j = &r->pay[r->npay++];
	memset(j, 0, sizeof *j);
	j->seq = p->seq;
	snprintf(j->payer, sizeof j->payer, "%s", p->payer);
	snprintf(j->payee, sizeof j->payee, "%s", p->payee);
	snprintf(j->currency, sizeof j->currency, "%s", p->currency);
	snprintf(j->reference, sizeof j->reference, "%s", p->reference);
	j->amount_minor = p->amount_minor;
	j->value_day = p->value_day;
	j->reversed_day = p->reversed_by ? reversal_day(r->pay_rev, r->npay_rev, p->seq) : -1;
	if (p->reversed_by && j->reversed_day < 0)
		return CORRIDOR_E_STORAGE; /* a reversal the log does not hold */
	return 0;
}

struct batch_find {
	const char *id;
	uint64_t seq;
};

static int batch_of(void *ctx, const struct corridor_batch *b)
{
	struct batch_find *f = ctx;
	for (size_t i = 0; i < b->invoice_count; i++)
		if (strcmp(b->invoices[i].id, f->id) == 0)
			f->seq = b->seq;
	return 0;
}

static int add_invoice(void *ctx, const struct corridor_invoice *v)
{
	struct rows *r = ctx;
	int err = grow((void **)&r->inv, &r->inv_cap, r->ninv, sizeof *r->inv);
	/* the fixing it used, from the invoice as written */
	struct corridor_invoice *full = err ? NULL : malloc(sizeof *full);
	struct corridor_diag fd;
	corridor_diag_init(&fd);
	if (!err && !full)
		err = CORRIDOR_E_NOMEM;
	if (!err)
		err = corridor_invoice_get(r->l, v->id, full, &fd);
	if (!err && full->converted &&
	    !(err = grow((void **)&r->price, &r->price_cap, r->nprice, sizeof *r->price))) {
		struct corridor_journal_price *p = &r->price[r->nprice++];
		memset(p, 0, sizeof *p);
		p->day = full->rate.day;
		snprintf(p->base, sizeof p->base, "%s", full->rate.base);
		snprintf(p->quote, sizeof p->quote, "%s", full->rate.quote);
		p->rate_e8 = full->rate.rate_e8;
	}
	free(full);
	int32_t reversed_day = -1;
	if (!err && v->reversed) { /* its batch, and the day that batch was reversed */
		struct batch_find f = { .id = v->id };
		struct corridor_diag d;
		corridor_diag_init(&d);
		err = corridor_settle_show(r->l, v->period_day, batch_of, &f, &d);
		reversed_day = reversal_day(r->batch_rev, r->nbatch_rev, f.seq);
		if (!err && reversed_day < 0)
			err = CORRIDOR_E_STORAGE;
	}
	if (err)
		return err;
	struct corridor_journal_invoice *j = &r->inv[r->ninv++];
	memset(j, 0, sizeof *j);
	snprintf(j->id, sizeof j->id, "%s", v->id);
	snprintf(j->contract, sizeof j->contract, "%s", v->contract);
	snprintf(j->seller, sizeof j->seller, "%s", v->seller);
	snprintf(j->buyer, sizeof j->buyer, "%s", v->buyer);
	snprintf(j->currency, sizeof j->currency, "%s", v->settlement_currency);
	j->period_day = v->period_day;
	j->issue_day = v->issue_day;
	j->total_minor = v->total_minor;
	j->reversed_day = reversed_day;
	return 0;
}

static int by_value_day(const void *a, const void *b)
{
	const struct corridor_journal_payment *x = a, *y = b;
	if (x->value_day != y->value_day)
		return x->value_day < y->value_day ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int corridor_export_journal(struct corridor_ledger *l, const char *path,
			    struct corridor_diag *diag)
{
	return corridor_export_journal_of(l, NULL, path, diag);
}

int corridor_export_journal_of(struct corridor_ledger *l, const char *party, const char *path,
			       struct corridor_diag *diag)
{
	struct rows *r = calloc(1, sizeof *r);
	if (!r)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	r->l = l;
	int err = CORRIDOR_OK;
	if (party) {
		struct corridor_party *p = malloc(sizeof *p);
		err = !p ? corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory")
			 : corridor_party_get(l, party, p, diag);
		free(p);
		if (err == CORRIDOR_E_NOTFOUND)
			err = corridor_diag_set(diag, err, "no party %s", party);
	}
	if (!err)
		err = corridor_currency_list(l, add_currency, r, diag);
	if (!err && (err = corridor_ledger_scan(l, 0, 0, find_reversal, r)) != 0)
		err = corridor_diag_set(diag, err, "cannot read the log's reversals");
	if (!err)
		err = corridor_payment_list(l, NULL, add_payment, r, diag);
	if (!err)
		err = corridor_invoice_list(l, add_invoice, r, diag);
	if (err)
		goto out_free;
	if (r->npay)
		qsort(r->pay, r->npay, sizeof *r->pay, by_value_day);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", path,
					strerror(errno));
		goto out_free;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s", path);
		goto out_unlink;
	}
	const struct corridor_journal j = {
		.currencies = r->cur, .ncurrencies = r->ncur,
		.invoices = r->inv, .ninvoices = r->ninv,
		.payments = r->pay, .npayments = r->npay,
		.prices = r->price, .nprices = r->nprice,
		.party = party,
	};
	err = corridor_journal_write(f, &j);
	if (err == CORRIDOR_E_NOMEM || err == CORRIDOR_E_LIMIT)
		err = corridor_diag_set(diag, err, "%s", err == CORRIDOR_E_LIMIT
								 ? "more accounts than a journal holds"
								 : "out of memory");
	else if (!err && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
		err = CORRIDOR_E_IO;
	if (err == CORRIDOR_E_IO)
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s: %s", path,
					strerror(errno));
	if (fclose(f) != 0 && !err)
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s: %s", path,
					strerror(errno));
out_unlink:
	if (err)
		unlink(path);
out_free:
	free(r->inv);
	free(r->pay);
	free(r->price);
	free(r->batch_rev);
	free(r->pay_rev);
	free(r);
	return err;
}
