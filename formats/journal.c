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
 *
 * A writer over the rows it is given (core/export.c gathers them); it reads
 * no ledger.
 */
#include <stdio.h>
#include <string.h>

#include "formats.h"

static unsigned decimals_of(const struct corridor_journal *j, const char *code)
{
	for (size_t i = 0; i < j->ncurrencies; i++)
		if (strcmp(j->currencies[i].code, code) == 0)
			return j->currencies[i].decimals;
	return 2;
}

static void posting(FILE *f, const struct corridor_journal *j, const char *party, int64_t minor,
		    const char *cur)
{
	char a[48];
	corridor_money_format(minor, decimals_of(j, cur), a, sizeof a);
	fprintf(f, "    parties:%-24s  %20s %s\n", party, a, cur);
}

/* Payments with a value date before `day` (all if day is INT32_MAX) not yet written. */
static size_t payments_before(FILE *f, const struct corridor_journal *j, size_t from, int32_t day)
{
	char date[11];
	for (; from < j->npayments && j->payments[from].value_day < day; from++) {
		const struct corridor_journal_payment *p = &j->payments[from];
		corridor_date_format(p->value_day, date);
		fprintf(f, "\n%s (PAY-%llu) payment %s to %s  ; reference: ", date,
			(unsigned long long)p->seq, p->payer, p->payee);
		/* a reference is free text: keep it on one line, without the comment mark */
		for (const char *c = p->reference; *c; c++)
			fputc(*c == ';' || *c == '\n' || *c == '\r' ? ' ' : *c, f);
		fputc('\n', f);
		posting(f, j, p->payer, p->amount_minor, p->currency);
		posting(f, j, p->payee, -p->amount_minor, p->currency);
	}
	return from;
}

int corridor_journal_write(FILE *f, const struct corridor_journal *j)
{
	fprintf(f, "; Corridor accounting journal: invoices (issue date) and payments (value "
		   "date),\n; one account per party; balances equal `corridor report "
		   "balances`.\n\n");
	for (size_t i = 0; i < j->ncurrencies; i++) {
		const struct corridor_journal_currency *c = &j->currencies[i];
		char sample[32];
		int64_t thousand = 1000;
		CORRIDOR_ASSERT(c->decimals <= CORRIDOR_CURRENCY_DECIMALS_MAX);
		for (unsigned k = 0; k < c->decimals; k++)
			thousand *= 10;
		corridor_money_format(thousand, c->decimals, sample, sizeof sample);
		/* hledger wants a decimal mark in a format, ledger-cli refuses "1000."; a
		 * currency without minor unit gets the bare block, its amounts show it */
		if (c->decimals)
			fprintf(f, "commodity %s\n    format %s %s\n", c->code, sample, c->code);
		else
			fprintf(f, "commodity %s\n", c->code);
	}
	size_t next_pay = 0;
	for (size_t i = 0; i < j->ninvoices; i++) {
		const struct corridor_journal_invoice *inv = &j->invoices[i];
		char date[11], period[11];
		next_pay = payments_before(f, j, next_pay, inv->issue_day + 1);
		corridor_date_format(inv->issue_day, date);
		corridor_date_format(inv->period_day, period);
		fprintf(f, "\n%s (%s) invoice %s %.7s  ; contract: %s\n", date, inv->id,
			inv->contract, period, inv->contract);
		posting(f, j, inv->seller, inv->total_minor, inv->currency);
		posting(f, j, inv->buyer, -inv->total_minor, inv->currency);
	}
	payments_before(f, j, next_pay, INT32_MAX);
	return ferror(f) ? CORRIDOR_E_IO : CORRIDOR_OK;
}
