/* cmd_money.c — corridor currency | rate | settle | payment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const LINE_KIND[] = { "", "energy", "shortfall", "excess", "transit" };

/* Opens the ledger and the signer together; on failure nothing stays open. */
static int open_signed(const char *ledger, const char *key, const char *pass_file,
		       struct corridor_ledger **l, struct corridor_signer **s)
{
	int rc = cli_open(ledger, l);
	if (!rc && (rc = cli_signer(key, pass_file, s)) != 0)
		corridor_ledger_close(*l);
	return rc;
}

static bool parse_date(const char *s, int32_t *day)
{
	return s && strlen(s) == 10 && corridor_date_parse(s, 10, day) == 0;
}

/* ---- currency ---- */

struct cdef {
	const char *code, *idem;
	unsigned decimals;
};

static int do_currency(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		       uint64_t *seq, struct corridor_diag *d)
{
	struct cdef *c = vctx;
	return corridor_currency_define(l, s, c->code, c->decimals, c->idem, seq, d);
}

static const struct cli_col CURRENCY_COLS[] = { { "CODE", 4, false }, { "DECIMALS", 8, true },
					       { "", 0, false } };

static int print_currency(void *ctx, const char *code, unsigned decimals, uint64_t seq)
{
	struct cli_list *list = ctx;
	const enum cli_format *f = &list->f;
	if (*f == CLI_JSON || *f == CLI_JSONL) {
		cli_list_item(list);
		int err = corridor_currency_json(stdout, code, decimals, seq);
		cli_list_item_end(list);
		return err ? err : ferror(stdout) ? CORRIDOR_E_IO : CORRIDOR_OK;
	} else if (*f == CLI_CSV)
		printf("%s,%u,%llu\r\n", code, decimals, (unsigned long long)seq);
	else {
		char dec[12];
		snprintf(dec, sizeof dec, "%u", decimals);
		const char *cells[] = { code, dec, seq ? "defined" : "predefined" };
		cli_table_row(CURRENCY_COLS, 3, cells);
	}
	return 0;
}

int cmd_currency(int argc, char **argv)
{
	const char *key = NULL, *code = NULL, *dec = NULL, *idem = NULL, *pass_file = NULL,
		   *ledger = NULL, *format = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "code", &code, NULL, NULL, NULL, 0 },
		{ "decimals", &dec, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 7, pos, 1, 1, &np, "currency"))
		return EXIT_USAGE;
	if (strcmp(pos[0], "list") == 0) {
		enum cli_format f;
		struct corridor_ledger *l;
		struct corridor_diag d;
		corridor_diag_init(&d);
		if (cli_list_format(format, true, &f) != EXIT_OK)
			return EXIT_USAGE;
		struct cli_list list = { .f = f };
		struct cli_doc doc;
		int rc = cli_open_view(ledger, f, "/v1/currencies", "", &l, &doc);
		if (rc || (!l && !doc.body))
			return rc;
		if (f == CLI_CSV)
			printf("code,decimals,seq\r\n");
		else if (f == CLI_TABLE)
			cli_table_head(CURRENCY_COLS, 3);
		if (doc.body)
			return cli_view_fail(corridor_currencies_from_json(doc.body, doc.len,
									   print_currency, &list, &d),
					     &d, &doc);
		cli_list_open(&list);
		int err = corridor_currency_list(l, print_currency, &list, &d);
		if (!err)
			cli_list_close(&list);
		corridor_ledger_close(l);
		return err ? cli_fail(err, &d) : EXIT_OK;
	}
	if (strcmp(pos[0], "define") != 0)
		return cli_usage("usage: %s", cli_usage_line());
	uint64_t n;
	if (!code || !dec || !cli_u64(dec, &n) || n > CORRIDOR_CURRENCY_DECIMALS_MAX)
		return cli_usage("--code CODE and --decimals 0..%u are required",
				 CORRIDOR_CURRENCY_DECIMALS_MAX);
	struct cdef c = { .code = code, .idem = idem, .decimals = (unsigned)n };
	return cli_write(ledger, key, pass_file, do_currency, &c);
}

/* ---- rate ---- */

struct rrec {
	struct corridor_rate r;
	bool correct;
	const char *idem;
};

static int do_rate(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		   uint64_t *seq, struct corridor_diag *d)
{
	struct rrec *c = vctx;
	return corridor_rate_record(l, s, &c->r, c->correct, c->idem, seq, d);
}

static const struct cli_col RATE_COLS[] = { { "PAIR", 7, false },  { "DATE", 10, false },
					   { "RATE", 18, true },  { "SOURCE", 12, false },
					   { "SEQ", 8, true },	  { "", 0, false } };

static int print_rate(void *ctx, const struct corridor_rate *r)
{
	struct cli_list *list = ctx;
	const enum cli_format *f = &list->f;
	char date[11], rate[32];
	corridor_date_format(r->day, date);
	corridor_decimal_format(r->rate_e8, 8, rate, sizeof rate);
	if (*f == CLI_CSV) {
		printf("%s,%s,%s,%s,", r->base, r->quote, date, rate);
		cli_csv_str(r->source);
		printf(",%llu,", (unsigned long long)r->seq);
		cli_csv_seq(r->corrects);
		fputs("\r\n", stdout);
	} else if (*f == CLI_JSON || *f == CLI_JSONL) {
		cli_list_item(list);
		int err = corridor_rate_json(stdout, r);
		cli_list_item_end(list);
		if (err)
			return err;
	} else {
		char pair[8], seq[24], g[CLI_NUM_BYTES];
		snprintf(pair, sizeof pair, "%s/%s", r->base, r->quote);
		snprintf(seq, sizeof seq, "%llu", (unsigned long long)r->seq);
		const char *cells[] = { pair, date, cli_grouped(rate, g), r->source, seq,
					r->corrects ? "(correction)" : "" };
		cli_table_row(RATE_COLS, 6, cells);
	}
	return 0;
}

int cmd_rate(int argc, char **argv)
{
	const char *key = NULL, *base = NULL, *quote = NULL, *date = NULL, *rate = NULL,
		   *source = NULL, *idem = NULL, *pass_file = NULL, *ledger = NULL, *format = NULL,
		   *pair = NULL, *from = NULL, *to = NULL;
	bool correct = false;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "base", &base, NULL, NULL, NULL, 0 },
		{ "quote", &quote, NULL, NULL, NULL, 0 },
		{ "date", &date, NULL, NULL, NULL, 0 },
		{ "rate", &rate, NULL, NULL, NULL, 0 },
		{ "source", &source, NULL, NULL, NULL, 0 },
		{ "correct", NULL, &correct, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "pair", &pair, NULL, NULL, NULL, 0 },
		{ "from", &from, NULL, NULL, NULL, 0 },
		{ "to", &to, NULL, NULL, NULL, 0 },
	};
	const char *pos[2];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 2, &np, "rate"))
		return EXIT_USAGE;
	if (strcmp(pos[0], "list") == 0) {
		enum cli_format f;
		char b[4] = "", q[4] = "";
		int32_t lo = INT32_MIN, hi = INT32_MAX;
		if (cli_list_format(format, true, &f) != EXIT_OK)
			return EXIT_USAGE;
		struct cli_list list = { .f = f };
		if (pair && (strlen(pair) != 7 || pair[3] != '/'))
			return cli_usage("--pair is BASE/QUOTE, e.g. USD/CNY");
		if (pair) {
			memcpy(b, pair, 3);
			memcpy(q, pair + 4, 3);
		}
		if ((from && !parse_date(from, &lo)) || (to && !parse_date(to, &hi)))
			return cli_usage("--from and --to are dates YYYY-MM-DD");
		struct corridor_ledger *l;
		struct corridor_diag d;
		corridor_diag_init(&d);
		char query[256] = "";
		cli_query_add(query, sizeof query, "pair", pair);
		cli_query_add(query, sizeof query, "from", from);
		cli_query_add(query, sizeof query, "to", to);
		struct cli_doc doc;
		int rc = cli_open_view(ledger, f, "/v1/rates", query, &l, &doc);
		if (rc || (!l && !doc.body))
			return rc;
		if (f == CLI_CSV)
			printf("base,quote,date,rate,source,seq,corrects\r\n");
		else if (f == CLI_TABLE)
			cli_table_head(RATE_COLS, 6);
		if (doc.body)
			return cli_view_fail(corridor_rates_from_json(doc.body, doc.len, print_rate, &list,
								      &d),
					     &d, &doc);
		cli_list_open(&list);
		int err = corridor_rate_list(l, pair ? b : NULL, pair ? q : NULL, lo, hi, print_rate,
					     &list, &d);
		if (!err)
			cli_list_close(&list);
		corridor_ledger_close(l);
		return err ? cli_fail(err, &d) : EXIT_OK;
	}
	if (strcmp(pos[0], "import") == 0) {
		if (np != 2)
			return cli_usage("usage: corridor rate import --key FILE rates.csv");
		char *buf;
		size_t len, written = 0, skipped = 0;
		struct corridor_ledger *l;
		struct corridor_signer *s;
		struct corridor_diag d;
		corridor_diag_init(&d);
		int rc = cli_import_open(pos[1], CORRIDOR_IMPORT_BYTES_MAX, CORRIDOR_IMPORT_RATES,
					 ledger, key, pass_file, &buf, &len, &l, &s);
		if (rc)
			return rc;
		int err = corridor_rate_import(l, s, buf, len, &written, &skipped, &d);
		corridor_signer_free(s);
		corridor_ledger_close(l);
		free(buf);
		if (err) {
			fprintf(stderr, "corridor: %s: %s%s\n", pos[1], d.text,
				written ? "" : "; nothing was written");
			return cli_exit_code(err);
		}
		printf("imported %zu rates, %zu already there\n", written, skipped);
		return EXIT_OK;
	}
	if (strcmp(pos[0], "record") != 0 || np != 1)
		return cli_usage("usage: %s", cli_usage_line());
	struct rrec c = { .correct = correct, .idem = idem };
	if (!base || !quote || !source || !parse_date(date, &c.r.day))
		return cli_usage("--base, --quote, --date YYYY-MM-DD, --rate and --source are required");
	if (!rate || corridor_decimal_parse(rate, strlen(rate), 8, 1, CORRIDOR_RATE_LIMIT - 1,
					    &c.r.rate_e8) != 0)
		return cli_usage("--rate: a decimal above 0 and below 1000000, at most 8 decimals");
	snprintf(c.r.base, sizeof c.r.base, "%.3s", base);
	snprintf(c.r.quote, sizeof c.r.quote, "%.3s", quote);
	if (strlen(base) != 3 || strlen(quote) != 3)
		return cli_usage("--base and --quote are ISO 4217 codes such as USD");
	if (strlen(source) > CORRIDOR_SOURCE_BYTES_MAX)
		return cli_usage("--source: at most %u bytes", CORRIDOR_SOURCE_BYTES_MAX);
	snprintf(c.r.source, sizeof c.r.source, "%s", source);
	return cli_write(ledger, key, pass_file, do_rate, &c);
}

/* ---- settle ---- */

/* The currencies' decimals, read once per process for everything it prints
 * (a read transaction per printed amount otherwise). */
static struct corridor_scales g_scales;
static bool g_scales_loaded;

static const struct corridor_scales *scales(struct corridor_ledger *l)
{
	if (!l) /* a server's view: the decimals its amounts were written with */
		return &g_scales;
	if (!g_scales_loaded) {
		struct corridor_diag diag;
		corridor_diag_init(&diag);
		g_scales_loaded = true;
		if (corridor_currency_scales(l, &g_scales, &diag) < 0)
			g_scales.count = 0;
	}
	return &g_scales;
}

static void money(struct corridor_ledger *l, const char *cur, int64_t v, char out[40])
{
	corridor_money_format(v, corridor_scales_decimals(scales(l), cur), out, 40);
}

/* The share (shortfall) or premium (excess) a line's amount applies, in
 * basis points, from the terms in force on the period's first day; 0 if the
 * line has none or the terms are not at hand (a view). *unit: the contract's. */
static unsigned line_factor_bp(const struct corridor_contract *c, const struct corridor_invoice *v,
			       const struct corridor_invoice_line *ln)
{
	if (!c || c->version_count == 0)
		return 0;
	const struct corridor_contract_terms *t = &c->versions[0].terms;
	for (size_t i = 0; i < c->version_count; i++)
		if (c->versions[i].effective_day <= v->period_day)
			t = &c->versions[i].terms;
	return ln->kind == CORRIDOR_LINE_SHORTFALL ? t->shortfall_bp
	       : ln->kind == CORRIDOR_LINE_EXCESS  ? t->excess_bp
						   : 0u;
}

/* An invoice as a table whose lines multiply out: quantity x price (x the
 * share or premium) = amount. */
static void print_invoice_table(struct corridor_ledger *l, const struct corridor_invoice *v)
{
	char per[11], due[11], a[40], q[32], p[32], hq[40] = "QUANTITY", hp[48] = "PRICE";
	struct corridor_contract *c = l ? malloc(sizeof *c) : NULL;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (!l && (c = malloc(sizeof *c)) != NULL && cli_view_contract(v->contract, c) != 0) {
		free(c); /* a view: the terms as the reader's view shows them */
		c = NULL;
	}
	if (l && c && corridor_contract_get(l, v->contract, c, &d) != 0) {
		free(c);
		c = NULL;
	}
	if (c && c->version_count) {
		const char *unit = c->versions[c->version_count - 1].terms.unit;
		snprintf(hq, sizeof hq, "QUANTITY (%s)", unit);
		snprintf(hp, sizeof hp, "PRICE (%s/%s)", v->currency, unit);
	}
	const struct cli_col cols[] = { { "", 0, false },	  { "LINE", 10, false },
					{ hq, 18, true },	  { hp, 18, true },
					{ "SHARE", 8, true },	  { "AMOUNT", 22, true },
					{ "CUR", 0, false } };
	corridor_date_format(v->period_day, per);
	corridor_date_format(v->due_day, due);
	printf("%s%s  %s -> %s  contract %s  period %.7s  due %s  seq %llu\n", cli_safe(v->id),
	       v->reversed ? " (reversed)" : "", cli_safe(v->seller), cli_safe(v->buyer),
	       cli_safe(v->contract), per, due, (unsigned long long)v->seq);
	cli_table_head(cols, 7);
	for (size_t i = 0; i < v->line_count; i++) {
		const struct corridor_invoice_line *ln = &v->lines[i];
		char gq[CLI_NUM_BYTES], gp[CLI_NUM_BYTES], ga[CLI_NUM_BYTES], share[16] = "";
		corridor_decimal_format(ln->quantity_milli, 3, q, sizeof q);
		corridor_decimal_format(ln->price_micro, 6, p, sizeof p);
		money(l, v->currency, ln->amount_minor, a);
		unsigned bp = line_factor_bp(c, v, ln);
		if (bp)
			snprintf(share, sizeof share, "%u.%02u%%", bp / 100, bp % 100);
		const char *cells[] = { "", LINE_KIND[ln->kind], cli_grouped(q, gq), cli_grouped(p, gp),
					share, cli_grouped(a, ga), v->currency };
		cli_table_row(cols, 7, cells);
	}
	char ga[CLI_NUM_BYTES], note[64];
	money(l, v->currency, v->subtotal_minor, a);
	snprintf(note, sizeof note, "%s  (%llu intervals, %llu disputed)", v->currency,
		 (unsigned long long)v->intervals, (unsigned long long)v->disputed);
	const char *sub[] = { "", "subtotal", "", "", "", cli_grouped(a, ga), note };
	cli_table_row(cols, 7, sub);
	if (v->converted) {
		char r[32], dd[11];
		corridor_decimal_format(v->rate.rate_e8, 8, r, sizeof r);
		corridor_date_format(v->rate.day, dd);
		printf("  rate %s/%s %s of %s (%s)\n", v->rate.base, v->rate.quote, r, dd,
		       cli_safe(v->rate.source));
	}
	for (size_t i = 0; i < v->adjustment_count; i++) {
		const struct corridor_invoice_adjustment *ad = &v->adjustments[i];
		char pd[11], dl[40], gd[CLI_NUM_BYTES], what[160];
		corridor_date_format(ad->period_day, pd);
		money(l, v->currency, ad->delta_minor, dl);
		money(l, v->settlement_currency, ad->amount_minor, a);
		snprintf(what, sizeof what, "%s  (%.7s, %s: %s %s at its rate)", v->settlement_currency,
			 pd, ad->invoice, cli_grouped(dl, gd), v->currency);
		const char *adj[] = { "", "adjustment", "", "", "", cli_grouped(a, ga), what };
		cli_table_row(cols, 7, adj);
	}
	money(l, v->settlement_currency, v->total_minor, a);
	const char *tot[] = { "", "total", "", "", "", cli_grouped(a, ga), v->settlement_currency };
	cli_table_row(cols, 7, tot);
	free(c);
}

static void print_invoice_json(struct corridor_ledger *l, const struct corridor_invoice *v)
{
	if (corridor_invoice_json(stdout, scales(l), v) != 0)
		fprintf(stderr, "corridor: cannot write to stdout\n");
}

static int keep_invoice(void *ctx, const struct corridor_invoice *v)
{
	memcpy(ctx, v, sizeof *v);
	return 0;
}

static void print_invoice_csv(struct corridor_ledger *l, const struct corridor_invoice *v)
{
	char per[11], due[11], a[40], q[32], p[32];
	corridor_date_format(v->period_day, per);
	corridor_date_format(v->due_day, due);
	for (size_t i = 0; i < v->line_count; i++) {
		const struct corridor_invoice_line *ln = &v->lines[i];
		corridor_decimal_format(ln->quantity_milli, 3, q, sizeof q);
		corridor_decimal_format(ln->price_micro, 6, p, sizeof p);
		money(l, v->currency, ln->amount_minor, a);
		printf("%s,%s,%.7s,%s,%s,%s,%s,%s,%s,%s,\r\n", v->id, v->contract, per, v->seller,
		       v->buyer, LINE_KIND[ln->kind], q, p, a, v->currency);
	}
	for (size_t i = 0; i < v->adjustment_count; i++) {
		char pd[11];
		corridor_date_format(v->adjustments[i].period_day, pd);
		money(l, v->settlement_currency, v->adjustments[i].amount_minor, a);
		printf("%s,%s,%.7s,%s,%s,adjustment %.7s,,,%s,%s,\r\n", v->id, v->contract, per,
		       v->seller, v->buyer, pd, a, v->settlement_currency);
	}
	money(l, v->currency, v->subtotal_minor, a);
	printf("%s,%s,%.7s,%s,%s,subtotal,,,%s,%s,\r\n", v->id, v->contract, per, v->seller,
	       v->buyer, a, v->currency);
	money(l, v->settlement_currency, v->total_minor, a);
	printf("%s,%s,%.7s,%s,%s,total,,,%s,%s,\r\n", v->id, v->contract, per, v->seller, v->buyer,
	       a, v->settlement_currency);
}

struct bprint {
	struct corridor_ledger *l;
	enum cli_format f;
	bool dry_run;
	size_t shown;
};

static int print_batch(void *ctx, const struct corridor_batch *b)
{
	struct bprint *c = ctx;
	char per[11], a[40], hex[2 * CORRIDOR_HASH_BYTES + 1];
	corridor_date_format(b->period_day, per);
	for (size_t i = 0; i < CORRIDOR_HASH_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", b->digest[i]);
	if (c->f == CLI_JSON) {
		fputs(c->shown ? "," : "", stdout);
		int err = corridor_batch_json(stdout, scales(c->l), b, c->dry_run);
		if (err)
			return err;
	} else if (c->f == CLI_CSV) {
		if (!c->shown)
			printf("invoice,contract,period,seller,buyer,line,quantity,price,amount,"
			       "currency,why\r\n");
		for (size_t i = 0; i < b->invoice_count; i++)
			print_invoice_csv(c->l, &b->invoices[i]);
	} else {
		printf("%sbatch %.7s%s%s: %zu invoice%s, digest %s\n", c->shown ? "\n" : "", per,
		       c->dry_run ? " (dry run, nothing written)" : "",
		       b->reversed ? " (reversed)" : "", b->invoice_count,
		       b->invoice_count == 1 ? "" : "s", hex);
		if (b->seq)
			printf("summary entry %llu\n", (unsigned long long)b->seq);
		if (b->computed_size) {
			char root[2 * CORRIDOR_HASH_BYTES + 1];
			for (size_t i = 0; i < CORRIDOR_HASH_BYTES; i++)
				snprintf(root + 2 * i, 3, "%02x", b->computed_root[i]);
			printf("computed at tree size %llu, root %s\n",
			       (unsigned long long)b->computed_size, root);
		}
		for (size_t i = 0; i < b->invoice_count; i++)
			print_invoice_table(c->l, &b->invoices[i]);
		printf("totals:");
		for (size_t i = 0; i < b->total_count; i++) {
			money(c->l, b->totals[i].currency, b->totals[i].amount_minor, a);
			printf(" %s %s", a, b->totals[i].currency);
		}
		printf("\nnetting:\n");
		for (size_t i = 0; i < b->netting_count; i++) {
			const struct corridor_netting *n = &b->netting[i];
			money(c->l, n->currency, n->amount_minor, a);
			printf("  %s: %s pays %s %s\n", n->currency, n->from, n->to, a);
		}
	}
	c->shown++;
	return 0;
}

/* The contracts a run left unsettled: in the table (stderr too, so it is
 * seen), as an "unsettled" list in JSON, as rows of line "unsettled" in CSV. */
static void print_unsettled(const struct corridor_batch *b, enum cli_format f)
{
	for (size_t i = 0; i < b->unsettled_count; i++) {
		const struct corridor_unsettled *u = &b->unsettled[i];
		if (f == CLI_JSON) {
			printf("%s{\"contract\":\"%s\",\"why\":", i ? "," : "", u->contract);
			cli_json_str(u->why);
			printf("}");
		} else if (f == CLI_CSV) {
			printf(",%s,,,,unsettled,,,,,", u->contract);
			cli_csv_str(u->why);
			printf("\r\n");
		} else {
			printf("unsettled: %s: %s\n", u->contract, cli_safe(u->why));
		}
	}
}

static const char SETTLE_PROGRESS[] = "settle run: contracts";

static int settle_run(const char *ledger, const char *key, const char *pass_file,
		      const char *period, const char *contract, const char *replica, bool dry_run,
		      enum cli_format f)
{
	int32_t first;
	if (!cli_period(period, &first))
		return cli_usage("--period YYYY-MM is required");
	struct corridor_ledger *l;
	struct corridor_signer *s;
	struct corridor_diag d;
	struct corridor_batch b;
	corridor_diag_init(&d);
	struct corridor_ledger *remote = NULL;
	int rc, err;
	if (cli_server.url) {
		/* computed from a verified replica, written to the server */
		uint64_t size;
		if (!replica)
			return cli_usage("with --server, settle run computes from a verified replica: "
					 "give --replica DIR");
		if (dry_run)
			return cli_usage("with --server, run the dry run on the replica itself");
		if ((rc = cli_replica_sync(key, pass_file, replica, &size)) != 0 ||
		    (rc = open_signed(NULL, key, pass_file, &remote, &s)) != 0)
			return rc;
		corridor_diag_init(&d);
		if ((err = corridor_ledger_open(replica, CORRIDOR_OPEN_READONLY, &l, &d)) != 0) {
			corridor_ledger_close(remote);
			corridor_signer_free(s);
			return cli_fail(err, &d);
		}
		err = corridor_settle_run_from_with(l, remote, s, first, contract, cli_progress,
						    (void *)SETTLE_PROGRESS, &b, &d);
		corridor_ledger_close(remote);
	} else {
		if ((rc = open_signed(ledger, key, pass_file, &l, &s)) != 0)
			return rc;
		err = corridor_settle_run_with(l, s, first, contract, dry_run, cli_progress,
					       (void *)SETTLE_PROGRESS, &b, &d);
	}
	cli_progress_end(SETTLE_PROGRESS);
	/* A machine format always prints its document: a batch, or an empty one
	 * (no invoices) when nothing is left or nothing could be settled. */
	bool empty = err == CORRIDOR_E_NOTFOUND || (err && b.unsettled_count);
	if (!err || empty) {
		struct bprint c = { .l = l, .f = f, .dry_run = dry_run };
		if (f == CLI_JSON)
			printf("{\"batches\":[");
		if (!err)
			print_batch(&c, &b);
		else if (f == CLI_CSV)
			printf("invoice,contract,period,seller,buyer,line,quantity,price,amount,"
			       "currency,why\r\n");
		if (f == CLI_JSON)
			printf("],\"unsettled\":[");
		print_unsettled(&b, f);
		if (f == CLI_JSON)
			printf("]}\n");
	}
	if (err && b.missing_count) {
		for (size_t i = 0; i < b.missing_count; i++) {
			char date[11];
			corridor_date_format(b.missing[i].day, date);
			fprintf(stderr, "corridor: missing rate: %s %s/%s %s (or the inverse pair, up "
					"to %d days before)\n",
				b.missing[i].source, b.missing[i].base, b.missing[i].quote, date,
				CORRIDOR_RATE_LOOKBACK_DAYS);
		}
	}
	size_t unsettled = b.unsettled_count;
	corridor_batch_release(&b);
	corridor_signer_free(s);
	corridor_ledger_close(l);
	if (err == CORRIDOR_E_NOTFOUND) {
		if (f == CLI_TABLE)
			printf("%s\n", d.text); /* nothing left: not a failure */
		return EXIT_OK;
	}
	if (err)
		return cli_fail(err, &d);
	if (unsettled) { /* written, but not everything: scripts notice */
		fprintf(stderr, "corridor: %zu contract%s left unsettled for %.7s\n", unsettled,
			unsettled == 1 ? "" : "s", period);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

struct srev {
	int32_t period;
	const char *reason, *idem, *replica;
};

static int do_settle_reverse(struct corridor_ledger *l, const struct corridor_signer *s,
			     void *vctx, uint64_t *seq, struct corridor_diag *d)
{
	struct srev *c = vctx;
	if (!c->replica)
		return corridor_settle_reverse(l, s, c->period, c->reason, c->idem, seq, d);
	/* with --server: the batch as the verified replica holds it */
	struct corridor_ledger *r;
	int err = corridor_ledger_open(c->replica, CORRIDOR_OPEN_READONLY, &r, d);
	if (err)
		return err;
	err = corridor_settle_reverse_from(r, l, s, c->period, c->reason, c->idem, seq, d);
	corridor_ledger_close(r);
	return err;
}

int cmd_settle(int argc, char **argv)
{
	const char *key = NULL, *period = NULL, *format = NULL, *pass_file = NULL, *ledger = NULL,
		   *reason = NULL, *idem = NULL, *contract = NULL, *replica = NULL;
	bool dry_run = false;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "replica", &replica, NULL, NULL, NULL, 0 },
		{ "period", &period, NULL, NULL, NULL, 0 },
		{ "contract", &contract, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "dry-run", NULL, &dry_run, NULL, NULL, 0 },
		{ "reason", &reason, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[2];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 2, &np, "settle"))
		return EXIT_USAGE;
	enum cli_format f;
	if (cli_format(format, true, &f) != EXIT_OK)
		return EXIT_USAGE;
	if (strcmp(pos[0], "run") == 0 && np == 1)
		return settle_run(ledger, key, pass_file, period, contract, replica, dry_run, f);
	if (strcmp(pos[0], "reverse") == 0 && np == 1) {
		struct srev c = { .reason = reason, .idem = idem };
		if (!cli_period(period, &c.period))
			return cli_usage("--period YYYY-MM is required");
		if (!reason)
			return cli_usage("--reason TEXT is required");
		if (cli_server.url) {
			uint64_t size;
			int rc;
			if (!replica)
				return cli_usage("with --server, settle reverse finds the batch in a "
						 "verified replica: give --replica DIR");
			if ((rc = cli_replica_sync(key, pass_file, replica, &size)) != 0)
				return rc;
			c.replica = replica;
		}
		return cli_write(ledger, key, pass_file, do_settle_reverse, &c);
	}
	if (strcmp(pos[0], "show") != 0 || np != 2)
		return cli_usage("usage: %s", cli_usage_line());
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	char vpath[CLI_VIEW_PATH_BYTES];
	int32_t first;
	cli_view_path(vpath, cli_period(pos[1], &first) ? "/v1/settlements/" : "/v1/invoices/",
		      pos[1]);
	struct cli_doc doc;
	int rc = cli_open_view(ledger, f, vpath, "", &l, &doc);
	if (rc || (!l && !doc.body))
		return rc;
	int err;
	struct bprint c = { .l = l, .f = f };
	if (f == CLI_JSON)
		printf("[");
	if (cli_period(pos[1], &first)) {
		err = l ? corridor_settle_show(l, first, print_batch, &c, &d)
			: corridor_batches_from_json(doc.body, doc.len, &g_scales, print_batch, &c,
						     &d);
	} else {
		struct corridor_invoice *v = malloc(sizeof *v);
		err = !v  ? CORRIDOR_E_NOMEM
		      : l ? corridor_invoice_get(l, pos[1], v, &d)
			  : corridor_invoices_from_json(doc.body, doc.len, &g_scales, keep_invoice, v,
							&d);
		if (!err && f == CLI_JSON)
			print_invoice_json(l, v);
		else if (!err && f == CLI_CSV) {
			printf("invoice,contract,period,seller,buyer,line,quantity,price,amount,"
			       "currency,why\r\n");
			print_invoice_csv(l, v);
		} else if (!err)
			print_invoice_table(l, v);
		free(v);
	}
	if (f == CLI_JSON)
		printf("]\n");
	free(doc.body);
	corridor_ledger_close(l);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

/* ---- payment ---- */

struct prec {
	struct corridor_payment p;
	uint64_t target;
	const char *reason, *idem;
	bool reverse, again;
};

static int do_payment(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		      uint64_t *seq, struct corridor_diag *d)
{
	struct prec *c = vctx;
	if (c->reverse)
		return corridor_payment_reverse(l, s, c->target, c->reason, c->idem, seq, d);
	if (c->again)
		return corridor_payment_record_another(l, s, &c->p, seq, d);
	return corridor_payment_record(l, s, &c->p, c->idem, seq, d);
}

struct pprint {
	struct corridor_ledger *l;
	enum cli_format f;
	size_t n;
	struct cli_list list;
};

static const struct cli_col PAY_COLS[] = {
	{ "SEQ", 8, true },	    { "PAYER", 12, false }, { "PAYEE", 12, false },
	{ "AMOUNT", 20, true },	    { "CUR", 3, false },    { "VALUE DATE", 10, false },
	{ "REFERENCE", 0, false },
};

static int print_payment(void *ctx, const struct corridor_payment *p)
{
	struct pprint *c = ctx;
	char date[11], a[40];
	corridor_date_format(p->value_day, date);
	money(c->l, p->currency, p->amount_minor, a);
	if (c->f == CLI_CSV) {
		printf("%llu,%s,%s,%s,%s,%s,", (unsigned long long)p->seq, p->payer, p->payee,
		       p->currency, a, date);
		cli_csv_str(p->reference);
		putchar(',');
		cli_csv_seq(p->reversed_by);
		fputs("\r\n", stdout);
	} else if (c->f == CLI_JSON || c->f == CLI_JSONL) {
		cli_list_item(&c->list);
		int err = corridor_payment_json(stdout, scales(c->l), p);
		cli_list_item_end(&c->list);
		if (err)
			return err;
	} else {
		char seq[24], g[CLI_NUM_BYTES], ref[CORRIDOR_REFERENCE_BYTES_MAX + 16];
		snprintf(seq, sizeof seq, "%llu", (unsigned long long)p->seq);
		snprintf(ref, sizeof ref, "%s%s", p->reference, p->reversed_by ? "  (reversed)" : "");
		const char *cells[] = { seq, p->payer, p->payee, cli_grouped(a, g), p->currency, date,
					ref };
		cli_table_row(PAY_COLS, 7, cells);
	}
	c->n++;
	return 0;
}

static const char *const CAMT_OUTCOME[] = { "",	  "applied", "unapplied",  "reversed",
					      "already", "unmatched", "not-booked", "no-reference" };
#define CAMT_OUTCOMES (sizeof CAMT_OUTCOME / sizeof CAMT_OUTCOME[0])

struct camt_print {
	struct corridor_ledger *l;
	enum cli_format f;
	size_t n, counts[CAMT_OUTCOMES];
};

static const struct cli_col CAMT_COLS[] = {
	{ "TX", 8, false },	     { "OUTCOME", 12, false }, { "PAYER", 12, false },
	{ "PAYEE", 12, false },	     { "AMOUNT", 20, true },   { "CUR", 3, false },
	{ "VALUE DATE", 10, false }, { "INVOICE", 0, false },
};

static int print_camt(void *ctx, const struct corridor_camt_result *r)
{
	struct camt_print *c = ctx;
	char a[40], date[11], pos[32];
	money(c->l, r->currency, r->amount_minor, a);
	corridor_date_format(r->value_day, date);
	snprintf(pos, sizeof pos, "%u.%u.%u", r->statement, r->entry, r->tx);
	c->counts[r->outcome]++;
	if (c->f == CLI_CSV) {
		printf("%s,%u,%s,", pos, r->line, CAMT_OUTCOME[r->outcome]);
		cli_csv_str(r->bank_reference);
		printf(",%s,%s,%s,%s,%s,%s,%llu,%llu,", r->payer, r->payee, r->currency, a, date,
		       r->invoice, (unsigned long long)r->seq, (unsigned long long)r->reverses);
		cli_csv_str(r->why);
		printf("\r\n");
	} else if (c->f == CLI_JSON) {
		printf("%s{\"transaction\":\"%s\",\"line\":%u,\"outcome\":\"%s\",\"bank_reference\":",
		       c->n ? "," : "", pos, r->line, CAMT_OUTCOME[r->outcome]);
		cli_json_str(r->bank_reference);
		printf(",\"payer\":\"%s\",\"payee\":\"%s\",\"currency\":\"%s\",\"amount\":\"%s\","
		       "\"value_date\":\"%s\",\"invoice\":\"%s\",\"seq\":%llu,\"reverses\":%llu,"
		       "\"why\":",
		       r->payer, r->payee, r->currency, a, date, r->invoice,
		       (unsigned long long)r->seq, (unsigned long long)r->reverses);
		cli_json_str(r->why);
		printf("}");
	} else {
		char g[CLI_NUM_BYTES], inv[CLI_SAFE_BYTES_MAX];
		if (c->n == 0)
			cli_table_head(CAMT_COLS, 8);
		snprintf(inv, sizeof inv, "%s%s%s", r->invoice, r->invoice[0] && r->why[0] ? "  " : "",
			 r->why);
		const char *cells[] = { pos, CAMT_OUTCOME[r->outcome], r->payer, r->payee,
					cli_grouped(a, g), r->currency, date, inv };
		cli_table_row(CAMT_COLS, 8, cells);
	}
	c->n++;
	return 0;
}

static int payment_import(const char *ledger, const char *key, const char *pass_file,
			  const char *file, enum cli_format f)
{
	char *buf;
	size_t len, written = 0;
	struct corridor_ledger *l;
	struct corridor_signer *s;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_import_open(file, CORRIDOR_CAMT_BYTES_MAX, CORRIDOR_IMPORT_STATEMENT, ledger,
				 key, pass_file, &buf, &len, &l, &s);
	if (rc)
		return rc;
	struct camt_print c = { .l = l, .f = f };
	if (f == CLI_CSV)
		printf("transaction,line,outcome,bank_reference,payer,payee,currency,amount,"
		       "value_date,invoice,seq,reverses,why\r\n");
	else if (f == CLI_JSON)
		printf("[");
	int err = corridor_payment_import(l, s, buf, len, print_camt, &c, &written, &d);
	if (!err && f == CLI_JSON)
		printf("]\n");
	corridor_signer_free(s);
	corridor_ledger_close(l);
	free(buf);
	if (err) {
		fprintf(stderr, "corridor: %s: %s\n", file, d.text);
		return cli_exit_code(err);
	}
	if (f == CLI_TABLE)
		printf("%zu written: %zu applied, %zu unapplied, %zu reversals; %zu already there, "
		       "%zu unmatched, %zu not booked, %zu without a bank reference\n",
		       written, c.counts[CORRIDOR_CAMT_APPLIED], c.counts[CORRIDOR_CAMT_UNAPPLIED],
		       c.counts[CORRIDOR_CAMT_REVERSED], c.counts[CORRIDOR_CAMT_ALREADY],
		       c.counts[CORRIDOR_CAMT_UNMATCHED], c.counts[CORRIDOR_CAMT_NOT_BOOKED],
		       c.counts[CORRIDOR_CAMT_NO_REFERENCE]);
	/* a booked transaction left out for want of a bank reference: scripts notice */
	if (c.counts[CORRIDOR_CAMT_NO_REFERENCE]) {
		fprintf(stderr, "corridor: %s: %zu booked transactions have no bank reference "
				"(AcctSvcrRef) and were not imported\n",
			file, c.counts[CORRIDOR_CAMT_NO_REFERENCE]);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

int cmd_payment(int argc, char **argv)
{
	const char *key = NULL, *payer = NULL, *payee = NULL, *currency = NULL, *amount = NULL,
		   *value_date = NULL, *reference = NULL, *reason = NULL, *idem = NULL,
		   *pass_file = NULL, *ledger = NULL, *format = NULL, *party = NULL;
	bool again = false;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "new", NULL, &again, NULL, NULL, 0 },
		{ "payer", &payer, NULL, NULL, NULL, 0 },
		{ "payee", &payee, NULL, NULL, NULL, 0 },
		{ "currency", &currency, NULL, NULL, NULL, 0 },
		{ "amount", &amount, NULL, NULL, NULL, 0 },
		{ "value-date", &value_date, NULL, NULL, NULL, 0 },
		{ "reference", &reference, NULL, NULL, NULL, 0 },
		{ "reason", &reason, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "party", &party, NULL, NULL, NULL, 0 },
	};
	const char *pos[2];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 2, &np, "payment"))
		return EXIT_USAGE;
	if (strcmp(pos[0], "list") == 0 && np == 1) {
		struct pprint c = { 0 };
		struct corridor_diag d;
		corridor_diag_init(&d);
		if (cli_list_format(format, true, &c.f) != EXIT_OK)
			return EXIT_USAGE;
		c.list.f = c.f;
		char query[256] = "";
		cli_query_add(query, sizeof query, "party", party);
		struct cli_doc doc;
		int rc = cli_open_view(ledger, c.f, "/v1/payments", query, &c.l, &doc);
		if (rc || (!c.l && !doc.body))
			return rc;
		if (c.f == CLI_CSV)
			printf("seq,payer,payee,currency,amount,value_date,reference,reversed_by\r\n");
		else if (c.f == CLI_TABLE)
			cli_table_head(PAY_COLS, 7);
		if (doc.body)
			return cli_view_fail(corridor_payments_from_json(doc.body, doc.len, &g_scales,
									 print_payment, &c, &d),
					     &d, &doc);
		cli_list_open(&c.list);
		int err = corridor_payment_list(c.l, party, print_payment, &c, &d);
		if (!err)
			cli_list_close(&c.list);
		corridor_ledger_close(c.l);
		return err ? cli_fail(err, &d) : EXIT_OK;
	}
	if (strcmp(pos[0], "import") == 0 && np == 2) {
		enum cli_format f;
		if (cli_format(format, true, &f) != EXIT_OK)
			return EXIT_USAGE;
		return payment_import(ledger, key, pass_file, pos[1], f);
	}
	struct prec c = { .reason = reason, .idem = idem, .again = again };
	if (again && idem)
		return cli_usage("--new and --idempotency-key: one or the other");
	if (strcmp(pos[0], "reverse") == 0 && np == 2) {
		c.reverse = true;
		if (!cli_u64(pos[1], &c.target) || !reason)
			return cli_usage("usage: corridor payment reverse --key FILE SEQ --reason TEXT");
		return cli_write(ledger, key, pass_file, do_payment, &c);
	}
	if (strcmp(pos[0], "record") != 0 || np != 1)
		return cli_usage("usage: %s", cli_usage_line());
	if (!payer || !payee || !currency || !amount || !reference)
		return cli_usage("--payer, --payee, --currency, --amount, --value-date and --reference "
				 "are required");
	if (!parse_date(value_date, &c.p.value_day))
		return cli_usage("--value-date is a date YYYY-MM-DD");
	if (strlen(currency) != 3 || strlen(payer) > CORRIDOR_PARTY_ID_BYTES_MAX ||
	    strlen(payee) > CORRIDOR_PARTY_ID_BYTES_MAX ||
	    strlen(reference) > CORRIDOR_REFERENCE_BYTES_MAX)
		return cli_usage("--currency is an ISO 4217 code; party ids at most %u bytes; "
				 "--reference at most %u",
				 CORRIDOR_PARTY_ID_BYTES_MAX, CORRIDOR_REFERENCE_BYTES_MAX);
	snprintf(c.p.payer, sizeof c.p.payer, "%s", payer);
	snprintf(c.p.payee, sizeof c.p.payee, "%s", payee);
	snprintf(c.p.currency, sizeof c.p.currency, "%s", currency);
	snprintf(c.p.reference, sizeof c.p.reference, "%s", reference);
	struct corridor_ledger *l;
	struct corridor_diag d;
	unsigned dec = 2;
	corridor_diag_init(&d);
	/* the currency's scale; on a server, a built-in currency's */
	int rc = cli_server.url ? cli_open(ledger, &l) : cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	int err = corridor_currency_decimals(l, currency, &dec, &d);
	corridor_ledger_close(l);
	if (err == CORRIDOR_E_REFUSED)
		return cli_fail(err, &d);
	if (err) /* not defined: the write says so */
		dec = 2;
	if (corridor_decimal_parse(amount, strlen(amount), dec, 1, INT64_MAX, &c.p.amount_minor) != 0)
		return cli_usage("--amount: a positive decimal with at most %u decimals for %s", dec,
				 currency);
	return cli_write(ledger, key, pass_file, do_payment, &c);
}
