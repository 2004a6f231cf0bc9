/*
 * journal.c — the accounting journal (docs/SETTLEMENT.md "Journal"):
 * invoices and payments as plain-text double-entry transactions that
 * hledger and ledger-cli both read in their strict modes, in the syntax
 * they share:
 *
 *   commodity CNY                       one block directive per currency,
 *       format 1000.00 CNY              at exactly its decimals (a bare
 *                                       `commodity JPY` for 0 decimals)
 *   tag contract                        the tags, and every account,
 *   account parties:RU-GAZ              declared (with its type, on a
 *                                       comment line, in a party's books)
 *   P 2026-03-31 USD 7.11504791 CNY     each fixing a settlement used
 *
 *   2026-03-31 (INV-G1-2026-03) invoice G1 2026-03  ; contract: G1
 *       parties:RU-GAZ     5649353.42 CNY
 *       parties:CN-BUY    -5649353.42 CNY
 *
 * Two views. The clearing view (party NULL): one account per party
 * (`parties:<id>`), so each account's balance is that party's `report
 * balances` figure. A party's books: receivables and payables per
 * counterparty, revenue and expenses per contract, cash where it paid or was
 * paid. Amounts are in the settlement currency at exactly its decimals, no
 * digit grouping, the commodity after the number, no `@` prices. Invoices
 * are dated on their issue date, payments on their value date; a reversal is
 * a transaction of its own, dated the day it happened, undoing the postings.
 * Transactions are in date order.
 *
 * A writer over the rows it is given (core/export.c gathers them); it reads
 * no ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define ACCOUNT_BYTES_MAX 96u

static unsigned decimals_of(const struct corridor_journal *j, const char *code)
{
	for (size_t i = 0; i < j->ncurrencies; i++)
		if (strcmp(j->currencies[i].code, code) == 0)
			return j->currencies[i].decimals;
	return 2;
}

/* ---- the postings of one transaction: (account, amount) pairs ---- */

struct leg {
	char account[ACCOUNT_BYTES_MAX];
	char type; /* hledger's account type: A L R X, or 0 (the clearing view) */
	int64_t minor;
};

/* The two legs of invoice v (sign -1: its reversal) in the journal's view;
 * false if the party's books do not hold it. */
static bool invoice_legs(const struct corridor_journal *j, const struct corridor_journal_invoice *v,
			 int64_t sign, struct leg out[2])
{
	int64_t t = sign * v->total_minor;
	if (!j->party) {
		out[0] = (struct leg){ .minor = t };
		out[1] = (struct leg){ .minor = -t };
		snprintf(out[0].account, ACCOUNT_BYTES_MAX, "parties:%s", v->seller);
		snprintf(out[1].account, ACCOUNT_BYTES_MAX, "parties:%s", v->buyer);
		return true;
	}
	if (strcmp(j->party, v->seller) == 0) {
		out[0] = (struct leg){ .type = 'A', .minor = t };
		out[1] = (struct leg){ .type = 'R', .minor = -t };
		snprintf(out[0].account, ACCOUNT_BYTES_MAX, "assets:receivables:%s", v->buyer);
		snprintf(out[1].account, ACCOUNT_BYTES_MAX, "revenues:%s", v->contract);
		return true;
	}
	if (strcmp(j->party, v->buyer) == 0) {
		out[0] = (struct leg){ .type = 'X', .minor = t };
		out[1] = (struct leg){ .type = 'L', .minor = -t };
		snprintf(out[0].account, ACCOUNT_BYTES_MAX, "expenses:%s", v->contract);
		snprintf(out[1].account, ACCOUNT_BYTES_MAX, "liabilities:payables:%s", v->seller);
		return true;
	}
	return false;
}

/* The same for payment p. */
static bool payment_legs(const struct corridor_journal *j, const struct corridor_journal_payment *p,
			 int64_t sign, struct leg out[2])
{
	int64_t a = sign * p->amount_minor;
	if (!j->party) {
		out[0] = (struct leg){ .minor = a };
		out[1] = (struct leg){ .minor = -a };
		snprintf(out[0].account, ACCOUNT_BYTES_MAX, "parties:%s", p->payer);
		snprintf(out[1].account, ACCOUNT_BYTES_MAX, "parties:%s", p->payee);
		return true;
	}
	if (strcmp(j->party, p->payee) == 0) {
		out[0] = (struct leg){ .type = 'A', .minor = a };
		out[1] = (struct leg){ .type = 'A', .minor = -a };
		snprintf(out[0].account, ACCOUNT_BYTES_MAX, "assets:cash");
		snprintf(out[1].account, ACCOUNT_BYTES_MAX, "assets:receivables:%s", p->payer);
		return true;
	}
	if (strcmp(j->party, p->payer) == 0) {
		out[0] = (struct leg){ .type = 'L', .minor = a };
		out[1] = (struct leg){ .type = 'A', .minor = -a };
		snprintf(out[0].account, ACCOUNT_BYTES_MAX, "liabilities:payables:%s", p->payee);
		snprintf(out[1].account, ACCOUNT_BYTES_MAX, "assets:cash");
		return true;
	}
	return false;
}

/* ---- the transactions, in date order ---- */

enum event_kind { EV_PAYMENT, EV_INVOICE, EV_PAYMENT_REVERSAL, EV_INVOICE_REVERSAL };

struct event {
	int32_t day;
	enum event_kind kind;
	size_t index;
};

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

static void posting(FILE *f, const struct corridor_journal *j, const struct leg *l, const char *cur)
{
	char a[48];
	corridor_money_format(l->minor, decimals_of(j, cur), a, sizeof a);
	fprintf(f, "    %-40s  %20s %s\n", l->account, a, cur);
}

/* A reference is free text: on one line, without the comment mark. */
static void one_line(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void write_event(FILE *f, const struct corridor_journal *j, const struct event *e)
{
	struct leg legs[2];
	char date[11], period[11];
	corridor_date_format(e->day, date);
	if (e->kind == EV_INVOICE || e->kind == EV_INVOICE_REVERSAL) {
		const struct corridor_journal_invoice *v = &j->invoices[e->index];
		bool rev = e->kind == EV_INVOICE_REVERSAL;
		if (!invoice_legs(j, v, rev ? -1 : 1, legs))
			return;
		corridor_date_format(v->period_day, period);
		fprintf(f, "\n%s (%s) %sinvoice %s %.7s  ; contract: %s\n", date, v->id,
			rev ? "reversal of " : "", v->contract, period, v->contract);
		posting(f, j, &legs[0], v->currency);
		posting(f, j, &legs[1], v->currency);
		return;
	}
	const struct corridor_journal_payment *p = &j->payments[e->index];
	bool rev = e->kind == EV_PAYMENT_REVERSAL;
	if (!payment_legs(j, p, rev ? -1 : 1, legs))
		return;
	fprintf(f, "\n%s (PAY-%llu) %spayment %s to %s  ; reference: ", date,
		(unsigned long long)p->seq, rev ? "reversal of " : "", p->payer, p->payee);
	one_line(f, p->reference);
	fputc('\n', f);
	posting(f, j, &legs[0], p->currency);
	posting(f, j, &legs[1], p->currency);
}

/* ---- declarations ---- */

struct accounts {
	struct leg *a; /* account and type; minor unused */
	size_t n, cap;
};

static int account_add(struct accounts *s, const struct leg *l)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i].account, l->account) == 0)
			return CORRIDOR_OK;
	if (s->n == s->cap) {
		if (s->cap >= CORRIDOR_JOURNAL_ACCOUNTS_MAX)
			return CORRIDOR_E_LIMIT;
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct leg *n = realloc(s->a, cap * sizeof *n);
		if (!n)
			return CORRIDOR_E_NOMEM;
		s->a = n;
		s->cap = cap;
	}
	s->a[s->n++] = *l;
	return CORRIDOR_OK;
}

static int account_cmp(const void *a, const void *b)
{
	return strcmp(((const struct leg *)a)->account, ((const struct leg *)b)->account);
}

/* Every account a posting of the journal names, declared (with its type
 * in a party's books), so strict readers accept the file. */
static int declare_accounts(FILE *f, const struct corridor_journal *j)
{
	struct accounts s = { 0 };
	struct leg legs[2];
	int err = CORRIDOR_OK;
	for (size_t i = 0; i < j->ninvoices && !err; i++)
		if (invoice_legs(j, &j->invoices[i], 1, legs) &&
		    !(err = account_add(&s, &legs[0])))
			err = account_add(&s, &legs[1]);
	for (size_t i = 0; i < j->npayments && !err; i++)
		if (payment_legs(j, &j->payments[i], 1, legs) &&
		    !(err = account_add(&s, &legs[0])))
			err = account_add(&s, &legs[1]);
	if (!err && s.n) {
		static const char *const TYPE[] = { ['A'] = "Asset", ['L'] = "Liability",
						    ['R'] = "Revenue", ['X'] = "Expense" };
		qsort(s.a, s.n, sizeof *s.a, account_cmp);
		for (size_t i = 0; i < s.n; i++) {
			/* the type on a comment line of its own: ledger-cli reads the
			 * rest of the directive's line as the name */
			fprintf(f, "account %s\n", s.a[i].account);
			if (s.a[i].type)
				fprintf(f, "    ; type: %s\n", TYPE[(unsigned char)s.a[i].type]);
		}
	}
	free(s.a);
	return err;
}

static int price_cmp(const void *a, const void *b)
{
	const struct corridor_journal_price *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	int c = strcmp(x->base, y->base);
	return c ? c : strcmp(x->quote, y->quote);
}

int corridor_journal_write(FILE *f, const struct corridor_journal *j)
{
	if (j->party)
		fprintf(f, "; Corridor accounting journal: the books of %s — receivables, payables,\n"
			   "; revenue and expenses from its invoices (issue date), cash from its\n"
			   "; payments (value date); a reversal undoes on the day it happened.\n\n",
			j->party);
	else
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
	/* the tags the transactions carry, declared for ledger-cli --pedantic */
	fprintf(f, "tag contract\ntag reference\n");
	int err = declare_accounts(f, j);
	if (err)
		return err;
	struct corridor_journal_price *pr = NULL;
	if (j->nprices) {
		if (!(pr = malloc(j->nprices * sizeof *pr)))
			return CORRIDOR_E_NOMEM;
		memcpy(pr, j->prices, j->nprices * sizeof *pr);
		qsort(pr, j->nprices, sizeof *pr, price_cmp);
	}
	for (size_t i = 0; i < j->nprices; i++) {
		char date[11], rate[40];
		if (i && !price_cmp(&pr[i], &pr[i - 1]) && pr[i].rate_e8 == pr[i - 1].rate_e8)
			continue; /* the same fixing, used by several invoices */
		corridor_date_format(pr[i].day, date);
		corridor_decimal_format(pr[i].rate_e8, 8, rate, sizeof rate);
		fprintf(f, "P %s %s %s %s\n", date, pr[i].base, rate, pr[i].quote);
	}
	free(pr);
	size_t n = 0, cap = 2 * (j->ninvoices + j->npayments);
	struct event *ev = malloc((cap ? cap : 1) * sizeof *ev);
	if (!ev)
		return CORRIDOR_E_NOMEM;
	for (size_t i = 0; i < j->ninvoices; i++) {
		ev[n++] = (struct event){ j->invoices[i].issue_day, EV_INVOICE, i };
		if (j->invoices[i].reversed_day >= 0)
			ev[n++] = (struct event){ j->invoices[i].reversed_day, EV_INVOICE_REVERSAL, i };
	}
	for (size_t i = 0; i < j->npayments; i++) {
		ev[n++] = (struct event){ j->payments[i].value_day, EV_PAYMENT, i };
		if (j->payments[i].reversed_day >= 0)
			ev[n++] = (struct event){ j->payments[i].reversed_day, EV_PAYMENT_REVERSAL, i };
	}
	qsort(ev, n, sizeof *ev, event_cmp);
	for (size_t i = 0; i < n; i++)
		write_event(f, j, &ev[i]);
	free(ev);
	return ferror(f) ? CORRIDOR_E_IO : CORRIDOR_OK;
}
