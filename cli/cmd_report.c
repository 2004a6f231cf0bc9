/* cmd_report.c — corridor report meters | performance | diff: table, CSV and
 * JSON printed from the same computed report, so the three give the same
 * numbers. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"


static const char *const STATUS[] = { "", "agree", "disputed", "billing-only", "other-only" };

static void qty(int64_t v, char *out)
{
	corridor_decimal_format(v, 3, out, 32);
}

static void print_meters(const struct corridor_meter_report *r, const char *period, enum cli_format f)
{
	if (f == CLI_JSON) {
		if (corridor_meter_report_json(stdout, r, period) != 0 || putchar('\n') == EOF)
			fprintf(stderr, "corridor: cannot write to stdout\n");
		return;
	}
	char s[21], e[21], a[32], b[32], diff[32];
	char hb[48], ho[48];
	snprintf(hb, sizeof hb, "BILLING (%s)", r->unit);
	snprintf(ho, sizeof ho, "OTHER (%s)", r->unit);
	const struct cli_col cols[] = { { "START (UTC)", 20, false }, { "END (UTC)", 20, false },
					{ hb, 16, true },	      { ho, 16, true },
					{ "DIFFERENCE", 14, true },   { "STATUS", 12, false },
					{ "SEQ", 8, true },	      { "OTHER SEQ", 9, true } };
	if (f == CLI_CSV)
		printf("contract,period,start,end,billing,other,difference,status,billing_seq,"
		       "other_seq\r\n");
	else {
		printf("contract %s, period %s, %s; billing: %s on %s; other: %s; tolerance %u "
		       "per mille\n",
		       cli_safe(r->contract), period, r->unit, cli_safe(r->metering_party),
		       cli_safe(r->billing_meter), cli_safe(r->other_party), r->tolerance_permille);
		cli_table_head(cols, 8);
	}
	for (size_t i = 0; i < r->count; i++) {
		const struct corridor_meter_row *w = &r->rows[i];
		char bs[24] = "", os[24] = "";
		if (w->billing_seq)
			snprintf(bs, sizeof bs, "%llu", (unsigned long long)w->billing_seq);
		if (w->other_seq)
			snprintf(os, sizeof os, "%llu", (unsigned long long)w->other_seq);
		corridor_utc_format(w->start_s, s);
		corridor_utc_format(w->end_s, e);
		qty(w->billing_milli, a);
		qty(w->other_milli, b);
		qty(w->billing_milli - w->other_milli, diff);
		bool both = w->has_billing && w->has_other;
		if (f == CLI_CSV)
			printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\r\n", r->contract, period, s, e,
			       w->has_billing ? a : "", w->has_other ? b : "", both ? diff : "",
			       STATUS[w->status], bs, os);
		else {
			char ga[CLI_NUM_BYTES], gb[CLI_NUM_BYTES], gd[CLI_NUM_BYTES];
			const char *cells[] = { s, e, w->has_billing ? cli_grouped(a, ga) : "-",
						w->has_other ? cli_grouped(b, gb) : "-",
						both ? cli_grouped(diff, gd) : "-", STATUS[w->status],
						bs[0] ? bs : "-", os[0] ? os : "-" };
			cli_table_row(cols, 8, cells);
		}
	}
	qty(r->total_billing_milli, a);
	qty(r->total_other_milli, b);
	if (f == CLI_TABLE) {
		char ga[CLI_NUM_BYTES], gb[CLI_NUM_BYTES];
		printf("total billing %s %s, other %s %s; %zu agree, %zu disputed, %zu billing only, "
		       "%zu other only\n",
		       cli_grouped(a, ga), r->unit, cli_grouped(b, gb), r->unit, r->agree, r->disputed,
		       r->billing_only, r->other_only);
	}
}

struct perf_out {
	enum cli_format f;
	const char *period;
	size_t n;
};

/* Quantities in the contract's unit (its own column). */
static const struct cli_col PERF_COLS[] = {
	{ "CONTRACT", 16, false }, { "UNIT", 5, false },      { "MIN", 14, true },
	{ "MAX", 14, true },	   { "BILLABLE", 18, true },  { "SHORTFALL", 14, true },
	{ "EXCESS", 14, true },	   { "INTERVALS", 9, true },  { "DISPUTED", 8, true },
};

static int print_perf(void *ctx, const struct corridor_performance *p)
{
	struct perf_out *o = ctx;
	char mn[32], mx[32], q[32], sh[32], ex[32];
	qty(p->min_milli, mn);
	qty(p->max_milli, mx);
	qty(p->billable_milli, q);
	qty(p->shortfall_milli, sh);
	qty(p->excess_milli, ex);
	if (o->f == CLI_CSV)
		printf("%s,%s,%s,%s,%s,%s,%s,%s,%zu,%zu\r\n", p->contract, o->period, p->unit,
		       p->has_min ? mn : "", p->has_max ? mx : "", q, sh, ex, p->intervals, p->disputed);
	else if (o->f == CLI_JSON) {
		fputs(o->n ? "," : "", stdout);
		if (corridor_performance_json(stdout, p) != 0)
			return 1;
	}
	else {
		char g[5][CLI_NUM_BYTES], iv[24], dp[24];
		snprintf(iv, sizeof iv, "%zu", p->intervals);
		snprintf(dp, sizeof dp, "%zu", p->disputed);
		const char *cells[] = { p->contract, p->unit,
					p->has_min ? cli_grouped(mn, g[0]) : "-",
					p->has_max ? cli_grouped(mx, g[1]) : "-",
					cli_grouped(q, g[2]), cli_grouped(sh, g[3]), cli_grouped(ex, g[4]),
					iv, dp };
		cli_table_row(PERF_COLS, 9, cells);
	}
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

/* ---- report diff ---- */

static const char *const DIFF_KIND[] = { "", "contract", "delivery", "rate", "invoice",
					  "payment" };
static const char *const DIFF_PLURAL[] = { "contracts", "deliveries", "rates", "invoices",
					    "payments" };
static const char *const DIFF_STATUS[] = { "", "match", "ours-only", "theirs-only", "differ" };

struct diff_out {
	enum cli_format f;
	bool all;
	size_t n;
};

static void seq_text(uint64_t seq, char out[24])
{
	if (seq)
		snprintf(out, 24, "%llu", (unsigned long long)seq);
	else
		snprintf(out, 24, "-");
}

/* The seqs of the two sides' records, under headers that say so. */
static const struct cli_col DIFF_COLS[] = { { "KIND", 8, false },     { "KEY", 40, false },
					   { "STATUS", 11, false },  { "FIELDS", 24, false },
					   { "OUR SEQ", 8, true },   { "THEIR SEQ", 9, true } };

static int print_diff(void *ctx, const struct corridor_diff_row *r)
{
	struct diff_out *o = ctx;
	if (!o->all && r->status == CORRIDOR_DIFF_MATCH)
		return 0;
	char a[24], b[24];
	seq_text(r->ours_seq, a);
	seq_text(r->theirs_seq, b);
	if (o->f == CLI_CSV) {
		printf("%s,", DIFF_KIND[r->kind]);
		cli_csv_str(r->key);
		printf(",%s,\"%s\",%s,%s\r\n", DIFF_STATUS[r->status], r->fields,
		       r->ours_seq ? a : "", r->theirs_seq ? b : "");
	} else if (o->f == CLI_JSON) {
		printf("%s{\"kind\":\"%s\",\"key\":", o->n ? "," : "", DIFF_KIND[r->kind]);
		cli_json_str(r->key);
		printf(",\"status\":\"%s\",\"fields\":[", DIFF_STATUS[r->status]);
		/* "a,b" becomes "a","b": field names are identifiers, no escaping */
		for (const char *p = r->fields; *p;) {
			size_t len = strcspn(p, ",");
			printf("%s\"%.*s\"", p == r->fields ? "" : ",", (int)len, p);
			p += len + (p[len] == ',');
		}
		printf("],\"ours_seq\":%s,\"theirs_seq\":%s}", r->ours_seq ? a : "null",
		       r->theirs_seq ? b : "null");
	} else {
		const char *cells[] = { DIFF_KIND[r->kind], r->key, DIFF_STATUS[r->status],
					r->fields[0] ? r->fields : "-", a, b };
		cli_table_row(DIFF_COLS, 6, cells);
	}
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

/* Removes the scratch replica: its directory's files, then the directories. */
static void remove_scratch(const char *top, const char *replica)
{
	DIR *dir = opendir(replica);
	if (dir) {
		struct dirent *de;
		char path[4096];
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(path, sizeof path, "%s/%s", replica, de->d_name) <
			    (int)sizeof path)
				unlink(path);
		}
		closedir(dir);
	}
	rmdir(replica);
	rmdir(top);
}

static int report_diff(const char *ledger, const char *theirs, const char *vkey, bool all,
		       const char *contract, int32_t period_day, enum cli_format f)
{
	struct corridor_vkey vk;
	int rc;
	if (vkey && (rc = cli_vkey(vkey, &vk)) != 0)
		return rc;
	struct corridor_ledger *ours, *other;
	struct stat st;
	bool replica_given = stat(theirs, &st) == 0 && S_ISDIR(st.st_mode);
	if (replica_given && vkey)
		return cli_usage("--theirs DIR is a replica verified when it was imported: no --vkey");
	if ((rc = cli_open_ro(ledger, &ours)) != 0)
		return rc;
	/* Their archive becomes a scratch replica: every entry and the checkpoint
	 * are verified on the way in, and their state is rebuilt from the entries.
	 * A directory is such a replica already (corridor import --archive). */
	const char *tmp = getenv("TMPDIR");
	char top[4096] = "", replica[4200];
	snprintf(top, sizeof top, "%s/corridor-diff-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!replica_given && !mkdtemp(top)) {
		fprintf(stderr, "corridor: cannot make a scratch directory in %s: %s\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		corridor_ledger_close(ours);
		return EXIT_STORAGE;
	}
	snprintf(replica, sizeof replica, "%s", theirs);
	if (!replica_given)
		snprintf(replica, sizeof replica, "%s/theirs", top);
	struct corridor_diag d;
	corridor_diag_init(&d);
	uint64_t size = 0;
	struct corridor_diff_totals t;
	struct diff_out o = { .f = f, .all = all };
	int err = replica_given ? CORRIDOR_OK
				: corridor_archive_import(replica, theirs, vkey ? &vk : NULL, &size, &d);
	if (err) {
		fprintf(stderr, "corridor: %s: %s\n", theirs, d.text[0] ? d.text : corridor_strerror(err));
		rc = cli_exit_code(err);
		goto out_scratch;
	}
	if ((err = corridor_ledger_open(replica, CORRIDOR_OPEN_READONLY, &other, &d)) != 0) {
		rc = cli_fail(err, &d);
		goto out_scratch;
	}
	if (replica_given) {
		struct corridor_head h;
		if (corridor_ledger_head(other, &h) == 0)
			size = h.size;
	}
	if (f == CLI_CSV)
		printf("kind,key,status,fields,ours_seq,theirs_seq\r\n");
	else if (f == CLI_JSON)
		printf("{\"theirs_size\":%llu,\"rows\":[", (unsigned long long)size);
	else
		cli_table_head(DIFF_COLS, 6);
	err = corridor_report_diff_of(ours, other, contract, period_day, print_diff, &o, &t, &d);
	corridor_ledger_close(other);
	if (err > 0) {
		fprintf(stderr, "corridor: cannot write the report to stdout\n");
		rc = EXIT_STORAGE;
		goto out_scratch;
	}
	if (err) {
		rc = cli_fail(err, &d);
		goto out_scratch;
	}
	size_t differences = 0;
	for (int k = 0; k < CORRIDOR_DIFF_KINDS; k++)
		differences += t.count[k][1] + t.count[k][2] + t.count[k][3];
	if (f == CLI_JSON) {
		printf("],\"totals\":{");
		for (int k = 0; k < CORRIDOR_DIFF_KINDS; k++)
			printf("%s\"%s\":{\"match\":%zu,\"ours_only\":%zu,\"theirs_only\":%zu,"
			       "\"differ\":%zu}",
			       k ? "," : "", DIFF_PLURAL[k], t.count[k][0], t.count[k][1],
			       t.count[k][2], t.count[k][3]);
		printf("}}\n");
	} else if (f == CLI_TABLE) {
		for (int k = 0; k < CORRIDOR_DIFF_KINDS; k++)
			printf("%s: %zu match, %zu differ, %zu only ours, %zu only theirs\n",
			       DIFF_PLURAL[k], t.count[k][0], t.count[k][3], t.count[k][1],
			       t.count[k][2]);
	}
	rc = ferror(stdout) ? EXIT_STORAGE : differences ? EXIT_REFUSED : EXIT_OK;
out_scratch:
	corridor_ledger_close(ours);
	if (!replica_given)
		remove_scratch(top, replica);
	return rc;
}

static const char *const AGING[] = { "current", "1-30", "31-60", "61-90", "over-90" };

/* The receivables of l, or of the server's view in doc. */
static const char INVOICE_CSV_HEAD[] =
	"section,invoice,contract,debtor,creditor,currency,amount,paid,open,due,"
	"days_overdue,current,1-30,31-60,61-90,over-90\r\n";

/* The aging table, with an AS OF column in a span's. */
static const struct cli_col AGE_COLS[] = { { "AS OF", 10, false },   { "DEBTOR", 12, false },
					   { "CUR", 3, false },	     { AGING[0], 20, true },
					   { AGING[1], 20, true },   { AGING[2], 20, true },
					   { AGING[3], 20, true },   { AGING[4], 20, true },
					   { "OPEN", 20, true } };

/* An invoice report as CSV rows (prefixed "AT," in a span's) or tables: in
 * a span's (at not NULL), the aging rows only, under AGE_COLS. */
static void invoices_print(const struct corridor_invoice_report *r, enum cli_format f,
			   const char *at)
{
	char a[40], p[40], o[40], due[11], pre[16] = "";
	if (at)
		snprintf(pre, sizeof pre, "%s,", at);
	const struct cli_col inv[] = { { "INVOICE", 20, false }, { "DEBTOR", 12, false },
				       { "CREDITOR", 12, false }, { "CUR", 3, false },
				       { "AMOUNT", 20, true },	  { "PAID", 20, true },
				       { "OPEN", 20, true },	  { "DUE", 10, false },
				       { "DAYS LATE", 9, true } };
	const struct cli_col cred[] = { { "PARTY", 12, false }, { "CUR", 3, false },
					{ "CREDIT", 20, true } };
	bool table = f == CLI_TABLE, full = !at || f != CLI_TABLE;
	if (table && full)
		cli_table_head(inv, 9);
	for (size_t i = 0; full && i < r->count; i++) {
		const struct corridor_invoice_status *s = &r->invoices[i];
		corridor_money_format(s->amount_minor, s->decimals, a, sizeof a);
		corridor_money_format(s->paid_minor, s->decimals, p, sizeof p);
		corridor_money_format(s->open_minor, s->decimals, o, sizeof o);
		corridor_date_format(s->due_day, due);
		if (!table)
			printf("%sinvoice,%s,%s,%s,%s,%s,%s,%s,%s,%s,%lld,,,,,\r\n", pre, s->id,
			       s->contract, s->debtor, s->creditor, s->currency, a, p, o, due,
			       (long long)s->days_overdue);
		else {
			char ga[CLI_NUM_BYTES], gp[CLI_NUM_BYTES], go[CLI_NUM_BYTES], late[24];
			snprintf(late, sizeof late, "%lld", (long long)s->days_overdue);
			const char *cells[] = { s->id,
						s->debtor,
						s->creditor,
						s->currency,
						cli_grouped(a, ga),
						cli_grouped(p, gp),
						cli_grouped(o, go),
						due,
						late };
			cli_table_row(inv, 9, cells);
		}
	}
	if (table && full) {
		printf("\naging of open amounts (days past due)\n");
		cli_table_head(AGE_COLS + 1, 8);
	}
	for (size_t i = 0; i < r->aging_count; i++) {
		const struct corridor_aging_row *g = &r->aging[i];
		char b[CORRIDOR_AGING_BUCKETS][40];
		for (int k = 0; k < CORRIDOR_AGING_BUCKETS; k++)
			corridor_money_format(g->bucket_minor[k], g->decimals, b[k], sizeof b[k]);
		corridor_money_format(g->open_minor, g->decimals, o, sizeof o);
		if (!table)
			printf("%saging,,,%s,,%s,,,%s,,,%s,%s,%s,%s,%s\r\n", pre, g->party,
			       g->currency, o, b[0], b[1], b[2], b[3], b[4]);
		else {
			char gb[CORRIDOR_AGING_BUCKETS][CLI_NUM_BYTES], go[CLI_NUM_BYTES];
			const char *cells[] = { at ? at : "",
						g->party,
						g->currency,
						cli_grouped(b[0], gb[0]),
						cli_grouped(b[1], gb[1]),
						cli_grouped(b[2], gb[2]),
						cli_grouped(b[3], gb[3]),
						cli_grouped(b[4], gb[4]),
						cli_grouped(o, go) };
			cli_table_row(at ? AGE_COLS : AGE_COLS + 1, at ? 9 : 8, at ? cells : cells + 1);
		}
	}
	if (table && full && r->credit_count) {
		printf("\nunapplied credit (overpaid or unmatched payments)\n");
		cli_table_head(cred, 3);
	}
	for (size_t i = 0; full && i < r->credit_count; i++) {
		const struct corridor_balance *c = &r->credits[i];
		corridor_money_format(c->balance_minor, c->decimals, a, sizeof a);
		if (!table)
			printf("%sunapplied,,,%s,,%s,%s,,,,,,,,,\r\n", pre, c->party, c->currency, a);
		else {
			char ga[CLI_NUM_BYTES];
			const char *cells[] = { c->party, c->currency, cli_grouped(a, ga) };
			cli_table_row(cred, 3, cells);
		}
	}
}

static int report_invoices(struct corridor_ledger *l, struct cli_doc *doc, const char *party,
			   int32_t as_of, enum cli_format f)
{
	struct corridor_invoice_report r;
	struct corridor_diag d;
	char asof[11];
	corridor_diag_init(&d);
	int err = l ? corridor_report_invoices(l, party, as_of, &r, &d)
		    : corridor_invoice_report_from_json(doc->body, doc->len, &r, &as_of, &d);
	if (err)
		return cli_fail(err, &d);
	if (f == CLI_JSON) {
		err = corridor_invoice_report_json(stdout, &r, as_of);
		corridor_invoice_report_release(&r);
		if (err || putchar('\n') == EOF) {
			fprintf(stderr, "corridor: cannot write the report to stdout\n");
			return EXIT_STORAGE;
		}
		return EXIT_OK;
	}
	corridor_date_format(as_of, asof);
	if (f == CLI_CSV)
		fputs(INVOICE_CSV_HEAD, stdout);
	else
		printf("invoices as of %s\n", asof);
	invoices_print(&r, f, NULL);
	corridor_invoice_report_release(&r);
	return EXIT_OK;
}

/* The invoice report at each group's last day in [first, end): in JSON an
 * array of the reports `report invoices --as-of DAY` prints; in CSV its rows
 * after an as_of column; as a table, the aging at each day. */
static int report_invoices_span(struct corridor_ledger *l, const char *party, int32_t first,
				int32_t end, enum corridor_grouping g, enum cli_format f)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (f == CLI_CSV)
		printf("as_of,%s", INVOICE_CSV_HEAD);
	else if (f == CLI_JSON)
		fputs("[", stdout);
	else {
		printf("aging of open amounts (days past due) at each %s's end\n",
		       g == CORRIDOR_GROUP_MONTH ? "month" : g == CORRIDOR_GROUP_QUARTER ? "quarter"
											 : "year");
		cli_table_head(AGE_COLS, 9);
	}
	int err = CORRIDOR_OK;
	size_t groups = 0;
	for (int32_t g0 = first; g0 < end && !err; groups++) {
		int32_t g1 = corridor_group_end(g0, end, g);
		char asof[11];
		struct corridor_invoice_report r;
		corridor_date_format(g1 - 1, asof);
		if ((err = corridor_report_invoices(l, party, g1 - 1, &r, &d)) != 0)
			break;
		if (f == CLI_JSON) {
			fputs(groups ? "," : "", stdout);
			err = corridor_invoice_report_json(stdout, &r, g1 - 1);
		} else {
			invoices_print(&r, f, asof);
		}
		corridor_invoice_report_release(&r);
		if (err) {
			fprintf(stderr, "corridor: cannot write the report to stdout\n");
			return EXIT_STORAGE;
		}
		g0 = g1;
	}
	if (!err && f == CLI_JSON)
		puts("]");
	return err ? cli_fail(err, &d) : EXIT_OK;
}

struct bal_out {
	enum cli_format f;
	size_t n;
};

static const struct cli_col BAL_COLS[] = { { "CUR", 3, false }, { "PARTY", 16, false },
					  { "BALANCE", 22, true } };

static int print_balance(void *ctx, const struct corridor_balance *b)
{
	struct bal_out *o = ctx;
	char a[40];
	corridor_money_format(b->balance_minor, b->decimals, a, sizeof a);
	if (o->f == CLI_CSV)
		printf("%s,%s,%s\r\n", b->currency, b->party, a);
	else if (o->f == CLI_JSON) {
		fputs(o->n ? "," : "", stdout);
		if (corridor_balance_json(stdout, b) != 0)
			return 1;
	}
	else {
		char g[CLI_NUM_BYTES];
		const char *cells[] = { b->currency, b->party, cli_grouped(a, g) };
		cli_table_row(BAL_COLS, 3, cells);
	}
	o->n++;
	return 0;
}

/* ---- spans: --period (hledger's forms), --begin/--end, --monthly ... ---- */

/* The span the options name: --period P, or --begin D (included) and/or
 * --end D (excluded), as hledger reads them. *given: whether any was.
 * Returns EXIT_OK or the usage error. */
static int span_of(const char *period, const char *begin, const char *end, int32_t *first,
		   int32_t *last, bool *given)
{
	*given = period || begin || end;
	*first = INT32_MIN;
	*last = INT32_MAX;
	if (period && (begin || end))
		return cli_usage("--period, or --begin and --end: not both");
	if (period && corridor_period_range_parse(period, strlen(period), first, last) != 0)
		return cli_usage("--period is 2026, 2026-Q1, 2026-03, 2026-03-05 or "
				 "2026-03-01..2026-06-30");
	if ((begin && corridor_date_parse(begin, strlen(begin), first) != 0) ||
	    (end && corridor_date_parse(end, strlen(end), last) != 0))
		return cli_usage("--begin and --end are dates YYYY-MM-DD (--end excluded)");
	if (*first != INT32_MIN && *last != INT32_MAX && *last <= *first)
		return cli_usage("--end comes after --begin");
	return EXIT_OK;
}

/* "2026", "2026-Q1", "2026-03", or "2026-03-01..2026-04-30": [first, end) as text. */
static void span_label(int32_t first, int32_t end, char out[32])
{
	int32_t y, y1;
	unsigned m, d, m1, d1;
	corridor_civil_from_days(first, &y, &m, &d);
	corridor_civil_from_days(end, &y1, &m1, &d1);
	int32_t months = (y1 - y) * 12 + (int32_t)m1 - (int32_t)m;
	if (d == 1 && d1 == 1 && m == 1 && months == 12)
		snprintf(out, 32, "%04d", (int)y);
	else if (d == 1 && d1 == 1 && (m - 1) % 3 == 0 && months == 3)
		snprintf(out, 32, "%04d-Q%u", (int)y, (m + 2) / 3);
	else if (d == 1 && d1 == 1 && months == 1)
		snprintf(out, 32, "%04d-%02u", (int)y, m);
	else {
		char a[11], b[11];
		corridor_date_format(first, a);
		corridor_date_format(end - 1, b);
		snprintf(out, 32, "%s..%s", a, b);
	}
}

static int grouping_of(bool monthly, bool quarterly, bool yearly, enum corridor_grouping *g)
{
	if (monthly + quarterly + yearly > 1)
		return cli_usage("one of --monthly, --quarterly and --yearly");
	*g = monthly ? CORRIDOR_GROUP_MONTH : quarterly ? CORRIDOR_GROUP_QUARTER
				   : yearly  ? CORRIDOR_GROUP_YEAR
					     : CORRIDOR_GROUP_ALL;
	return EXIT_OK;
}

/* Performance over a span: a PERIOD column, one row per contract and group. */
static const struct cli_col SPAN_COLS[] = {
	{ "PERIOD", 10, false },   { "CONTRACT", 16, false }, { "UNIT", 5, false },
	{ "MIN", 14, true },	   { "MAX", 14, true },	      { "BILLABLE", 18, true },
	{ "SHORTFALL", 14, true }, { "EXCESS", 14, true },    { "INTERVALS", 9, true },
	{ "DISPUTED", 8, true },
};

struct span_out {
	enum cli_format f;
	int32_t group; /* the group being printed (JSON) */
	size_t n, groups;
};

static int print_span(void *ctx, int32_t first, int32_t end, const struct corridor_performance *p)
{
	struct span_out *o = ctx;
	char label[32], mn[32], mx[32], q[32], sh[32], ex[32];
	span_label(first, end, label);
	qty(p->min_milli, mn);
	qty(p->max_milli, mx);
	qty(p->billable_milli, q);
	qty(p->shortfall_milli, sh);
	qty(p->excess_milli, ex);
	if (o->f == CLI_CSV) {
		printf("%s,%s,%s,%s,%s,%s,%s,%s,%zu,%zu\r\n", p->contract, label, p->unit,
		       p->has_min ? mn : "", p->has_max ? mx : "", q, sh, ex, p->intervals, p->disputed);
	} else if (o->f == CLI_JSON) {
		if (o->groups == 0 || o->group != first) {
			printf("%s{\"period\":\"%s\",\"contracts\":[", o->groups ? "]}," : "", label);
			o->group = first;
			o->groups++;
			o->n = 0;
		}
		fputs(o->n ? "," : "", stdout);
		if (corridor_performance_json(stdout, p) != 0)
			return 1;
	} else {
		char g[5][CLI_NUM_BYTES], iv[24], dp[24];
		snprintf(iv, sizeof iv, "%zu", p->intervals);
		snprintf(dp, sizeof dp, "%zu", p->disputed);
		const char *cells[] = { label,
					p->contract,
					p->unit,
					p->has_min ? cli_grouped(mn, g[0]) : "-",
					p->has_max ? cli_grouped(mx, g[1]) : "-",
					cli_grouped(q, g[2]),
					cli_grouped(sh, g[3]),
					cli_grouped(ex, g[4]),
					iv,
					dp };
		cli_table_row(SPAN_COLS, 10, cells);
	}
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

static int report_performance_span(struct corridor_ledger *l, const char *contract, int32_t first,
				   int32_t end, enum corridor_grouping g, enum cli_format f)
{
	struct corridor_diag d;
	int32_t y;
	unsigned m, d1, d2;
	corridor_diag_init(&d);
	corridor_civil_from_days(first, &y, &m, &d1);
	corridor_civil_from_days(end, &y, &m, &d2);
	if (d1 != 1 || d2 != 1)
		return cli_usage("performance is by month: a period of whole months (2026-03, "
				 "2026-Q1, 2026, 2026-03-01..2026-05-31)");
	struct span_out o = { .f = f };
	if (f == CLI_CSV)
		printf("contract,period,unit,min,max,billable,shortfall,excess,intervals,"
		       "disputed\r\n");
	else if (f == CLI_JSON)
		printf("{\"periods\":[");
	else
		cli_table_head(SPAN_COLS, 10);
	int err = corridor_report_performance_span(l, contract, first, end, g, print_span, &o, &d);
	if (!err && f == CLI_JSON)
		printf("%s]}\n", o.groups ? "]}" : "");
	return err ? cli_fail(err, &d) : EXIT_OK;
}

struct bal_hold_cli {
	enum cli_format f;
	const char *as_of;
	const struct cli_col *cols;
	size_t n;
};

static int print_balance_at(void *ctx, const struct corridor_balance *b)
{
	struct bal_hold_cli *h = ctx;
	char a[40];
	corridor_money_format(b->balance_minor, b->decimals, a, sizeof a);
	if (h->f == CLI_CSV) {
		printf("%s,%s,%s,%s\r\n", h->as_of, b->currency, b->party, a);
	} else if (h->f == CLI_JSON) {
		fputs(h->n ? "," : "", stdout);
		if (corridor_balance_json(stdout, b) != 0)
			return 1;
	} else {
		char g[CLI_NUM_BYTES];
		const char *cells[] = { h->as_of, b->currency, b->party, cli_grouped(a, g) };
		cli_table_row(h->cols, 4, cells);
	}
	h->n++;
	return 0;
}

/* Balances as of each group's last day in [first, end). */
static int report_balances_span(struct corridor_ledger *l, int32_t first, int32_t end,
				enum corridor_grouping g, enum cli_format f)
{
	static const struct cli_col cols[] = { { "AS OF", 10, false },
					       { "CUR", 3, false },
					       { "PARTY", 16, false },
					       { "BALANCE", 22, true } };
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (f == CLI_CSV)
		printf("as_of,currency,party,balance\r\n");
	else if (f == CLI_JSON)
		printf("[");
	else
		cli_table_head(cols, 4);
	int err = CORRIDOR_OK;
	size_t groups = 0;
	for (int32_t g0 = first; g0 < end && !err;) {
		int32_t g1 = corridor_group_end(g0, end, g);
		char asof[11];
		corridor_date_format(g1 - 1, asof);
		struct bal_hold_cli h = { .f = f, .as_of = asof, .cols = cols };
		if (f == CLI_JSON)
			printf("%s{\"as_of\":\"%s\",\"balances\":[", groups ? "," : "", asof);
		err = corridor_report_balances(l, g1 - 1, print_balance_at, &h, &d);
		if (f == CLI_JSON)
			printf("]}");
		groups++;
		g0 = g1;
	}
	if (!err && f == CLI_JSON)
		printf("]\n");
	return err ? cli_fail(err, &d) : EXIT_OK;
}

#define AUDIT_CONTRACTS_MAX 256u
#define AUDIT_COSIGNERS_MAX 16u

/* report audit: gathered by the library, written as HTML by it, to a
 * temporary file renamed into place. */
static int report_audit(int argc, char **argv)
{
	const char *out = NULL, *period = NULL, *begin = NULL, *end = NULL, *ledger = NULL,
		   *vkey = NULL;
	const char *contracts[AUDIT_CONTRACTS_MAX], *cos_s[AUDIT_COSIGNERS_MAX];
	size_t ncontracts = 0, ncos = 0;
	const struct cli_opt opts[] = {
		{ "out", &out, NULL, NULL, NULL, 0 },
		{ "period", &period, NULL, NULL, NULL, 0 },
		{ "begin", &begin, NULL, NULL, NULL, 0 },
		{ "end", &end, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "contract", NULL, NULL, contracts, &ncontracts, AUDIT_CONTRACTS_MAX },
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "cosigner", NULL, NULL, cos_s, &ncos, AUDIT_COSIGNERS_MAX },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 1, &np, "report"))
		return EXIT_USAGE;
	if (!out)
		return cli_usage("report audit writes one file: give --out FILE");
	if (cli_server.url)
		return cli_usage("report audit verifies the whole log: run it on a verified replica "
				 "(corridor import --tiles URL --ledger DIR, then --ledger DIR)");
	int32_t first, last;
	bool given;
	char year[8];
	if (!period && !begin && !end) { /* the current year */
		time_t now = time(NULL);
		char today[11];
		corridor_date_format((int32_t)(now / 86400), today);
		snprintf(year, sizeof year, "%.4s", today);
		period = year;
	}
	if (span_of(period, begin, end, &first, &last, &given) != EXIT_OK)
		return EXIT_USAGE;
	if (first == INT32_MIN || last == INT32_MAX)
		return cli_usage("report audit covers a period with both ends (--period, or --begin "
				 "and --end)");
	{
		int32_t y;
		unsigned m, d0, d1;
		corridor_civil_from_days(first, &y, &m, &d0);
		corridor_civil_from_days(last, &y, &m, &d1);
		if (d0 != 1 || d1 != 1)
			return cli_usage("report audit covers whole months (2026, 2026-Q1, 2026-03, "
					 "2026-01-01..2026-06-30)");
	}
	struct corridor_vkey trusted, cosigners[AUDIT_COSIGNERS_MAX];
	int rc;
	if (vkey && (rc = cli_vkey(vkey, &trusted)) != 0)
		return rc;
	for (size_t i = 0; i < ncos; i++) {
		if ((rc = cli_vkey(cos_s[i], &cosigners[i])) != 0)
			return rc;
		if (cosigners[i].sigtype != CORRIDOR_SIGTYPE_COSIGNATURE)
			corridor_vkey_as_cosigner(&cosigners[i], &cosigners[i]);
	}
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "corridor: %s exists: the report is written to a new file\n",
			cli_safe(out));
		return EXIT_USAGE;
	}
	struct corridor_ledger *l;
	if ((rc = cli_open_ro(ledger, &l)) != 0)
		return rc;
	static const char label[] = "report audit: verify";
	struct corridor_audit_request req = {
		.first_day = first, .end_day = last,
		.contracts = ncontracts ? contracts : NULL, .contract_count = ncontracts,
		.operator_key = vkey ? &trusted : NULL,
		.cosigners = cosigners, .cosigner_count = ncos,
		.progress = cli_progress, .progress_ctx = (void *)label,
	};
	struct corridor_audit *a = malloc(sizeof *a);
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = a ? corridor_audit_collect(l, &req, a, &d) : CORRIDOR_E_NOMEM;
	cli_progress_end(label);
	corridor_ledger_close(l);
	if (err) {
		free(a);
		return cli_fail(err, &d);
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
	FILE *f = fopen(tmp, "wx");
	err = f ? corridor_audit_html(f, a) : CORRIDOR_E_IO;
	if (f && fclose(f) != 0 && !err)
		err = CORRIDOR_E_IO;
	if (!err && rename(tmp, out) != 0)
		err = CORRIDOR_E_IO;
	int saved = errno;
	if (err && f)
		unlink(tmp);
	const struct corridor_audit_verification *v = &a->verification;
	if (!err) {
		printf("wrote %s: %zu contracts, %zu invoices, %zu payments; verification %s (%llu "
		       "entries)\n",
		       cli_safe(out), a->contract_count, a->invoice_count, a->payment_count,
		       v->result ? "FAILED" : "OK", (unsigned long long)v->size);
		if (v->result)
			fprintf(stderr, "corridor: the ledger does not verify: %s (the report says "
					"so)\n",
				cli_safe(v->why));
		else if (!v->checkpoint_ok)
			fprintf(stderr, "corridor: the latest signed checkpoint does not hold: %s (the "
					"report says so)\n",
				!v->checkpoint	   ? "there is none"
				: v->chain_why[0] ? cli_safe(v->chain_why)
						  : "its tree is not this log's");
	}
	int failed = v->result || !v->checkpoint_ok;
	corridor_audit_release(a);
	free(a);
	if (err == CORRIDOR_E_NOMEM)
		return cli_fail(err, NULL);
	if (err) {
		fprintf(stderr, "corridor: cannot write %s: %s\n", cli_safe(out), strerror(saved));
		return EXIT_STORAGE;
	}
	return failed ? EXIT_REFUSED : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	{
		/* report audit parses options of its own: find the subcommand
		 * past every report option and its value */
		static bool flag;
		static const char *value;
		static const struct cli_opt every[] = {
			{ "all", NULL, &flag, NULL, NULL, 0 },	 { "monthly", NULL, &flag, NULL, NULL, 0 },
			{ "quarterly", NULL, &flag, NULL, NULL, 0 },
			{ "yearly", NULL, &flag, NULL, NULL, 0 },	 { "begin", &value, NULL, NULL, NULL, 0 },
			{ "end", &value, NULL, NULL, NULL, 0 },	 { "contract", &value, NULL, NULL, NULL, 0 },
			{ "period", &value, NULL, NULL, NULL, 0 }, { "format", &value, NULL, NULL, NULL, 0 },
			{ "ledger", &value, NULL, NULL, NULL, 0 }, { "theirs", &value, NULL, NULL, NULL, 0 },
			{ "vkey", &value, NULL, NULL, NULL, 0 },	 { "party", &value, NULL, NULL, NULL, 0 },
			{ "as-of", &value, NULL, NULL, NULL, 0 },	 { "out", &value, NULL, NULL, NULL, 0 },
			{ "cosigner", &value, NULL, NULL, NULL, 0 },
		};
		const struct cli_opt *flags = every;
		const char *sub = cli_subcommand(argc, argv, flags, sizeof every / sizeof every[0]);
		if (sub && strcmp(sub, "audit") == 0)
			return report_audit(argc, argv);
	}
	const char *contract = NULL, *period = NULL, *format = NULL, *ledger = NULL,
		   *theirs = NULL, *vkey = NULL, *party = NULL, *as_of = NULL, *begin = NULL,
		   *end = NULL;
	bool all = false, monthly = false, quarterly = false, yearly = false;
	const struct cli_opt opts[] = {
		{ "begin", &begin, NULL, NULL, NULL, 0 },
		{ "end", &end, NULL, NULL, NULL, 0 },
		{ "monthly", NULL, &monthly, NULL, NULL, 0 },
		{ "quarterly", NULL, &quarterly, NULL, NULL, 0 },
		{ "yearly", NULL, &yearly, NULL, NULL, 0 },
		{ "contract", &contract, NULL, NULL, NULL, 0 },
		{ "period", &period, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "theirs", &theirs, NULL, NULL, NULL, 0 },
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "all", NULL, &all, NULL, NULL, 0 },
		{ "party", &party, NULL, NULL, NULL, 0 },
		{ "as-of", &as_of, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 1, &np, "report"))
		return EXIT_USAGE;
	enum cli_format f;
	int32_t first = 0, span_first = INT32_MIN, span_end = INT32_MAX;
	bool spanned = false;
	enum corridor_grouping grouping = CORRIDOR_GROUP_ALL;
	if (cli_format(format, true, &f) != EXIT_OK)
		return EXIT_USAGE;
	if (grouping_of(monthly, quarterly, yearly, &grouping) != EXIT_OK)
		return EXIT_USAGE;
	bool single_month = period && !begin && !end && cli_period(period, &first);
	if (!single_month && span_of(period, begin, end, &span_first, &span_end, &spanned) != EXIT_OK)
		return EXIT_USAGE;
	if (strcmp(pos[0], "diff") == 0) {
		if (!theirs || begin || end || grouping || (period && !contract))
			return cli_usage("report diff takes --theirs ARCHIVE|DIR [--vkey VKEY] [--all] "
					 "[--contract ID [--period YYYY-MM]]");
		int32_t month = -1;
		if (period && !cli_period(period, &month))
			return cli_usage("report diff --period is one month: YYYY-MM");
		return report_diff(ledger, theirs, vkey, all, contract, month, f);
	}
	if (theirs || vkey || all)
		return cli_usage("--theirs, --vkey and --all go with report diff");
	if (!strcmp(pos[0], "invoices") || !strcmp(pos[0], "balances")) {
		int32_t day = -1;
		bool inv = !strcmp(pos[0], "invoices");
		char span_as_of[11];
		if (single_month) /* the month as a span */
			(void)span_of(period, NULL, NULL, &span_first, &span_end, &spanned);
		if (as_of && (period || end))
			return cli_usage("--as-of, or a period's end (--period, --end): not both");
		if (grouping && (span_first == INT32_MIN || span_end == INT32_MAX))
			return cli_usage("--monthly, --quarterly and --yearly need a period with both "
					 "ends (--period, or --begin and --end)");
		if ((period || end) && span_end != INT32_MAX) { /* as of the period's last day */
			corridor_date_format(span_end - 1, span_as_of);
			as_of = span_as_of;
		}
		if (as_of && (strlen(as_of) != 10 || corridor_date_parse(as_of, 10, &day) != 0))
			return cli_usage("--as-of is a date YYYY-MM-DD");
		if (party && !inv)
			return cli_usage("report balances takes no --party");
		if (inv && !as_of) {
			time_t now = time(NULL);
			day = (int32_t)(now / 86400);
		}
		struct corridor_ledger *l;
		char query[256] = "";
		cli_query_add(query, sizeof query, "as_of", as_of);
		cli_query_add(query, sizeof query, "party", party);
		struct cli_doc doc;
		int rc = cli_open_view(ledger, f, inv ? "/v1/reports/invoices" : "/v1/reports/balances",
				       query, &l, &doc);
		if (rc || (!l && !doc.body))
			return rc;
		if (grouping && !l) {
			rc = cli_usage("with --server, reports by month, quarter or year are read from "
				       "a verified replica (--replica DIR)");
		} else if (inv && grouping) {
			rc = report_invoices_span(l, party, span_first, span_end, grouping, f);
		} else if (inv) {
			rc = report_invoices(l, &doc, party, day, f);
		} else if (grouping) {
			rc = report_balances_span(l, span_first, span_end, grouping, f);
		} else {
			struct bal_out o = { .f = f };
			struct corridor_diag d;
			corridor_diag_init(&d);
			if (f == CLI_CSV)
				printf("currency,party,balance\r\n");
			else if (f == CLI_JSON)
				printf("[");
			else
				cli_table_head(BAL_COLS, 3);
			int err = l ? corridor_report_balances(l, day, print_balance, &o, &d)
				    : corridor_balances_from_json(doc.body, doc.len, print_balance, &o,
								  &d);
			if (!err && f == CLI_JSON)
				printf("]\n");
			rc = err ? cli_fail(err, &d) : EXIT_OK;
		}
		free(doc.body);
		corridor_ledger_close(l);
		return rc;
	}
	if (party || as_of)
		return cli_usage("--party and --as-of go with report invoices and balances");
	bool meters = strcmp(pos[0], "meters") == 0;
	if (!meters && strcmp(pos[0], "performance") != 0)
		return cli_usage("usage: %s", cli_usage_line());
	if (!meters && (!single_month || grouping)) { /* a span of months */
		if (!spanned && !single_month)
			return cli_usage("--period (2026, 2026-Q1, 2026-03, a range of days) or --begin "
					 "and --end is required");
		if (single_month)
			(void)span_of(period, NULL, NULL, &span_first, &span_end, &spanned);
		if (span_first == INT32_MIN || span_end == INT32_MAX)
			return cli_usage("the period needs both ends (--begin and --end)");
		struct corridor_ledger *l;
		struct cli_doc doc;
		int rc = cli_open_view(ledger, f, "/v1/reports/performance", "", &l, &doc);
		if (rc || (!l && !doc.body))
			return rc;
		if (!l) {
			free(doc.body);
			return cli_usage("with --server, performance over more than a month is read "
					 "from a verified replica: a reader entitled to everything");
		}
		rc = report_performance_span(l, contract, span_first, span_end, grouping, f);
		corridor_ledger_close(l);
		return rc;
	}
	if (!single_month)
		return cli_usage("--period YYYY-MM is required (report meters is of one month)");
	if (meters && !contract)
		return cli_usage("report meters needs --contract ID");
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	char query[256] = "";
	cli_query_add(query, sizeof query, "contract", contract);
	cli_query_add(query, sizeof query, "period", period);
	struct cli_doc doc;
	int rc = cli_open_view(ledger, f, meters ? "/v1/reports/meters" : "/v1/reports/performance",
			       query, &l, &doc);
	if (rc || (!l && !doc.body))
		return rc;
	int err;
	if (meters) {
		struct corridor_meter_report r;
		err = l ? corridor_report_meters(l, contract, first, &r, &d)
			: corridor_meter_report_from_json(doc.body, doc.len, &r, &d);
		if (!err) {
			print_meters(&r, period, f);
			corridor_meter_report_release(&r);
		}
	} else {
		struct perf_out o = { .f = f, .period = period };
		if (f == CLI_CSV)
			printf("contract,period,unit,min,max,billable,shortfall,excess,intervals,"
			       "disputed\r\n");
		else if (f == CLI_JSON)
			printf("{\"period\":\"%s\",\"contracts\":[", period);
		else
			cli_table_head(PERF_COLS, 9);
		err = l ? corridor_report_performance(l, contract, first, print_perf, &o, &d)
			: corridor_performance_from_json(doc.body, doc.len, print_perf, &o, &d);
		if (!err && f == CLI_JSON)
			printf("]}\n");
	}
	free(doc.body);
	corridor_ledger_close(l);
	return err ? cli_fail(err, &d) : EXIT_OK;
}
