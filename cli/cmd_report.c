/* cmd_report.c — corridor report meters | performance: table, CSV and JSON
 * printed from the same computed report, so the three give the same numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

static const char *const STATUS[] = { "", "agree", "disputed", "billing-only", "other-only" };

static bool parse_fmt(const char *s, enum fmt *f)
{
	*f = FMT_TABLE;
	if (!s || strcmp(s, "table") == 0)
		return true;
	if (strcmp(s, "csv") == 0)
		*f = FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*f = FMT_JSON;
	else
		return false;
	return true;
}

static bool parse_period(const char *s, int32_t *first)
{
	char d[11];
	return s && strlen(s) == 7 && snprintf(d, sizeof d, "%s-01", s) == 10 &&
	       corridor_date_parse(d, 10, first) == 0;
}

static void qty(int64_t v, char *out)
{
	corridor_decimal_format(v, 3, out, 32);
}

static void print_meters(const struct corridor_meter_report *r, const char *period, enum fmt f)
{
	char s[21], e[21], a[32], b[32], diff[32];
	if (f == FMT_CSV)
		printf("contract,period,start,end,billing,other,difference,status\r\n");
	else if (f == FMT_JSON)
		printf("{\"contract\":\"%s\",\"period\":\"%s\",\"unit\":\"%s\",\"metering_party\":"
		       "\"%s\",\"other_party\":\"%s\",\"billing_meter\":\"%s\","
		       "\"tolerance_permille\":%u,\"intervals\":[",
		       r->contract, period, r->unit, r->metering_party, r->other_party,
		       r->billing_meter, r->tolerance_permille);
	else
		printf("contract %s, period %s, %s; billing: %s on %s; other: %s; tolerance %u "
		       "per mille\n%-20s  %-20s  %14s  %14s  %14s  %s\n",
		       r->contract, period, r->unit, r->metering_party, r->billing_meter,
		       r->other_party, r->tolerance_permille, "START", "END", "BILLING", "OTHER",
		       "DIFFERENCE", "STATUS");
	for (size_t i = 0; i < r->count; i++) {
		const struct corridor_meter_row *w = &r->rows[i];
		corridor_utc_format(w->start_s, s);
		corridor_utc_format(w->end_s, e);
		qty(w->billing_milli, a);
		qty(w->other_milli, b);
		qty(w->billing_milli - w->other_milli, diff);
		bool both = w->has_billing && w->has_other;
		if (f == FMT_CSV)
			printf("%s,%s,%s,%s,%s,%s,%s,%s\r\n", r->contract, period, s, e,
			       w->has_billing ? a : "", w->has_other ? b : "", both ? diff : "",
			       STATUS[w->status]);
		else if (f == FMT_JSON)
			printf("%s{\"start\":\"%s\",\"end\":\"%s\",\"billing\":%s%s%s,\"other\":%s%s%s,"
			       "\"difference\":%s%s%s,\"status\":\"%s\"}",
			       i ? "," : "", s, e, w->has_billing ? "\"" : "",
			       w->has_billing ? a : "null", w->has_billing ? "\"" : "",
			       w->has_other ? "\"" : "", w->has_other ? b : "null",
			       w->has_other ? "\"" : "", both ? "\"" : "", both ? diff : "null",
			       both ? "\"" : "", STATUS[w->status]);
		else
			printf("%-20s  %-20s  %14s  %14s  %14s  %s\n", s, e, w->has_billing ? a : "-",
			       w->has_other ? b : "-", both ? diff : "-", STATUS[w->status]);
	}
	qty(r->total_billing_milli, a);
	qty(r->total_other_milli, b);
	if (f == FMT_JSON)
		printf("],\"totals\":{\"billing\":\"%s\",\"other\":\"%s\",\"agree\":%zu,\"disputed\":%zu,"
		       "\"billing_only\":%zu,\"other_only\":%zu}}\n",
		       a, b, r->agree, r->disputed, r->billing_only, r->other_only);
	else if (f == FMT_TABLE)
		printf("total billing %s, other %s; %zu agree, %zu disputed, %zu billing only, %zu "
		       "other only\n",
		       a, b, r->agree, r->disputed, r->billing_only, r->other_only);
}

struct perf_out {
	enum fmt f;
	const char *period;
	size_t n;
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
	if (o->f == FMT_CSV)
		printf("%s,%s,%s,%s,%s,%s,%s,%s,%zu,%zu\r\n", p->contract, o->period, p->unit,
		       p->has_min ? mn : "", p->has_max ? mx : "", q, sh, ex, p->intervals, p->disputed);
	else if (o->f == FMT_JSON)
		printf("%s{\"contract\":\"%s\",\"unit\":\"%s\",\"min\":%s%s%s,\"max\":%s%s%s,"
		       "\"billable\":\"%s\",\"shortfall\":\"%s\",\"excess\":\"%s\",\"intervals\":%zu,"
		       "\"disputed\":%zu}",
		       o->n ? "," : "", p->contract, p->unit, p->has_min ? "\"" : "",
		       p->has_min ? mn : "null", p->has_min ? "\"" : "", p->has_max ? "\"" : "",
		       p->has_max ? mx : "null", p->has_max ? "\"" : "", q, sh, ex, p->intervals,
		       p->disputed);
	else
		printf("%-16s %-6s %14s %14s %16s %14s %14s %9zu %8zu\n", p->contract, p->unit,
		       p->has_min ? mn : "-", p->has_max ? mx : "-", q, sh, ex, p->intervals,
		       p->disputed);
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

int cmd_report(int argc, char **argv)
{
	const char *contract = NULL, *period = NULL, *format = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "contract", &contract, NULL, NULL, NULL, 0 },
		{ "period", &period, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	const char *usage = "corridor report meters --contract ID --period YYYY-MM | report "
			    "performance [--contract ID] --period YYYY-MM [--format table|csv|json]";
	if (!cli_parse(argc, argv, opts, 4, pos, 1, 1, &np, usage))
		return EXIT_USAGE;
	bool meters = strcmp(pos[0], "meters") == 0;
	if (!meters && strcmp(pos[0], "performance") != 0)
		return cli_usage("usage: %s", usage);
	enum fmt f;
	int32_t first;
	if (!parse_fmt(format, &f))
		return cli_usage("--format must be table, csv or json");
	if (!parse_period(period, &first))
		return cli_usage("--period YYYY-MM is required");
	if (meters && !contract)
		return cli_usage("report meters needs --contract ID");
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	int err;
	if (meters) {
		struct corridor_meter_report r;
		err = corridor_report_meters(l, contract, first, &r, &d);
		if (!err) {
			print_meters(&r, period, f);
			corridor_meter_report_release(&r);
		}
	} else {
		struct perf_out o = { .f = f, .period = period };
		if (f == FMT_CSV)
			printf("contract,period,unit,min,max,billable,shortfall,excess,intervals,"
			       "disputed\r\n");
		else if (f == FMT_JSON)
			printf("{\"period\":\"%s\",\"contracts\":[", period);
		else
			printf("%-16s %-6s %14s %14s %16s %14s %14s %9s %8s\n", "CONTRACT", "UNIT",
			       "MIN", "MAX", "BILLABLE", "SHORTFALL", "EXCESS", "INTERVALS",
			       "DISPUTED");
		err = corridor_report_performance(l, contract, first, print_perf, &o, &d);
		if (!err && f == FMT_JSON)
			printf("]}\n");
	}
	corridor_ledger_close(l);
	return err ? cli_fail(err, &d) : EXIT_OK;
}
