/*
 * journal.c — the accounting journal (docs/SETTLEMENT.md "Journal"): standing
 * invoices and payments as plain-text double-entry transactions that both
 * hledger and ledger-cli read, using only the syntax they share:
 *
 *   commodity CNY                       one block directive per currency,
 *       format 1000.00 CNY              with exactly its decimals (a bare
 *                                       `commodity JPY` for 0 decimals)
 *
 *   2026-03-31 (INV-G1-2026-03) invoice G1 2026-03  ; contract: G1
 *       parties:RU-GAZ     5649353.42 CNY
 *       parties:CN-BUY    -5649353.42 CNY
 *
 * Amounts are written at exactly the currency's decimals, no digit grouping,
 * the commodity after the number; no `@` prices (amounts are already in the
 * settlement currency). One account per party (`parties:<id>`), so each
 * account's balance per commodity is that party's `report balances` figure.
 * Invoices are dated on their issue date, payments on their value date;
 * reversed invoices and payments are left out (their postings were undone).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/internal.h"

#define JOURNAL_CURRENCIES_MAX 256u

struct jw {
	FILE *f;
	size_t ncur;
	char codes[JOURNAL_CURRENCIES_MAX][4];
	unsigned decimals[JOURNAL_CURRENCIES_MAX];
	struct corridor_payment *pays;
	size_t npays;
};

static unsigned decimals_of(const struct jw *w, const char *code)
{
	for (size_t i = 0; i < w->ncur; i++)
		if (strcmp(w->codes[i], code) == 0)
			return w->decimals[i];
	return 2;
}

static int add_currency(void *ctx, const char *code, unsigned decimals, uint64_t seq)
{
	struct jw *w = ctx;
	(void)seq;
	if (w->ncur >= JOURNAL_CURRENCIES_MAX)
		return CORRIDOR_E_LIMIT;
	snprintf(w->codes[w->ncur], sizeof w->codes[0], "%s", code);
	w->decimals[w->ncur++] = decimals;
	return 0;
}

static int keep_payment(void *ctx, const struct corridor_payment *p)
{
	struct jw *w = ctx;
	if (p->reversed_by)
		return 0;
	void *n = realloc(w->pays, (w->npays + 1) * sizeof *w->pays);
	if (!n)
		return CORRIDOR_E_NOMEM;
	w->pays = n;
	w->pays[w->npays++] = *p;
	return 0;
}

static void posting(struct jw *w, const char *party, int64_t minor, const char *cur)
{
	char a[48];
	corridor_money_format(minor, decimals_of(w, cur), a, sizeof a);
	fprintf(w->f, "    parties:%-24s  %20s %s\n", party, a, cur);
}

/* Payments with a value date before `day` (all if day is INT32_MAX) not yet written. */
static size_t payments_before(struct jw *w, size_t from, int32_t day)
{
	char date[11];
	for (; from < w->npays && w->pays[from].value_day < day; from++) {
		const struct corridor_payment *p = &w->pays[from];
		corridor_date_format(p->value_day, date);
		fprintf(w->f, "\n%s (PAY-%llu) payment %s to %s  ; reference: ", date,
			(unsigned long long)p->seq, p->payer, p->payee);
		/* a reference is free text: keep it on one line, without the comment mark */
		for (const char *c = p->reference; *c; c++)
			fputc(*c == ';' || *c == '\n' || *c == '\r' ? ' ' : *c, w->f);
		fputc('\n', w->f);
		posting(w, p->payer, p->amount_minor, p->currency);
		posting(w, p->payee, -p->amount_minor, p->currency);
	}
	return from;
}

struct jinv {
	struct jw *w;
	size_t next_pay;
};

static int write_invoice(void *ctx, const struct corridor_invoice *inv)
{
	struct jinv *j = ctx;
	char date[11], period[11];
	if (inv->reversed)
		return 0;
	j->next_pay = payments_before(j->w, j->next_pay, inv->issue_day + 1);
	corridor_date_format(inv->issue_day, date);
	corridor_date_format(inv->period_day, period);
	fprintf(j->w->f, "\n%s (%s) invoice %s %.7s  ; contract: %s\n", date, inv->id, inv->contract,
		period, inv->contract);
	posting(j->w, inv->seller, inv->total_minor, inv->settlement_currency);
	posting(j->w, inv->buyer, -inv->total_minor, inv->settlement_currency);
	return 0;
}

static int by_value_day(const void *a, const void *b)
{
	const struct corridor_payment *x = a, *y = b;
	if (x->value_day != y->value_day)
		return x->value_day < y->value_day ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int corridor_export_journal(struct corridor_ledger *l, const char *path,
			    struct corridor_diag *diag)
{
	struct jw *w = calloc(1, sizeof *w);
	if (!w)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_currency_list(l, add_currency, w, diag);
	if (!err)
		err = corridor_payment_list(l, NULL, keep_payment, w, diag);
	if (err) {
		free(w->pays);
		free(w);
		return err;
	}
	if (w->npays)
		qsort(w->pays, w->npays, sizeof *w->pays, by_value_day);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", path,
					strerror(errno));
		free(w->pays);
		free(w);
		return err;
	}
	w->f = fdopen(fd, "w");
	if (!w->f) {
		close(fd);
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s", path);
		goto out_unlink;
	}
	fprintf(w->f, "; Corridor accounting journal: invoices (issue date) and payments (value "
		      "date),\n; one account per party; balances equal `corridor report "
		      "balances`.\n\n");
	for (size_t i = 0; i < w->ncur; i++) {
		char sample[32];
		int64_t thousand = 1000;
		for (unsigned k = 0; k < w->decimals[i]; k++)
			thousand *= 10;
		corridor_money_format(thousand, w->decimals[i], sample, sizeof sample);
		/* hledger wants a decimal mark in a format, ledger-cli refuses "1000."; a
		 * currency without minor unit gets the bare block, its amounts show it */
		if (w->decimals[i])
			fprintf(w->f, "commodity %s\n    format %s %s\n", w->codes[i], sample,
				w->codes[i]);
		else
			fprintf(w->f, "commodity %s\n", w->codes[i]);
	}
	struct jinv j = { .w = w };
	err = corridor_invoice_list(l, write_invoice, &j, diag);
	if (!err)
		payments_before(w, j.next_pay, INT32_MAX);
	if (!err && (fflush(w->f) != 0 || ferror(w->f) || fsync(fileno(w->f)) != 0))
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s: %s", path,
					strerror(errno));
	if (fclose(w->f) != 0 && !err)
		err = corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write %s: %s", path,
					strerror(errno));
out_unlink:
	if (err)
		unlink(path);
	free(w->pays);
	free(w);
	return err;
}
