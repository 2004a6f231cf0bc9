/*
 * export.c — the accounting journal export: gathers the standing invoices
 * and payments through the public reads and hands them, as rows, to the
 * journal writer (formats/journal.c). The file appears whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

#define JOURNAL_CURRENCIES_MAX 256u
#define JOURNAL_ROWS_MAX ((size_t)1 << 26)

struct rows {
	struct corridor_journal_currency cur[JOURNAL_CURRENCIES_MAX];
	size_t ncur;
	struct corridor_journal_invoice *inv;
	size_t ninv, inv_cap;
	struct corridor_journal_payment *pay;
	size_t npay, pay_cap;
};

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

static int add_payment(void *ctx, const struct corridor_payment *p)
{
	struct rows *r = ctx;
	if (p->reversed_by)
		return 0;
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
	return 0;
}

static int add_invoice(void *ctx, const struct corridor_invoice *v)
{
	struct rows *r = ctx;
	if (v->reversed)
		return 0;
	int err = grow((void **)&r->inv, &r->inv_cap, r->ninv, sizeof *r->inv);
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
	struct rows *r = calloc(1, sizeof *r);
	if (!r)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_currency_list(l, add_currency, r, diag);
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
	};
	err = corridor_journal_write(f, &j);
	if (!err && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
		err = CORRIDOR_E_IO;
	if (err)
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
	free(r);
	return err;
}
