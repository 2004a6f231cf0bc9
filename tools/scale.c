/* scale.c — make bench-scale: the cost of everyday operations on a ledger of
 * one year and on one of many years of hourly meter series (issue 17,
 * docs/PERFORMANCE.md), each as the ratio of the long ledger's time over the
 * one-year ledger's (flat: close to 1).
 *
 *   build/scale DIR      ledgers cached in DIR/y1 and DIR/yN, rebuilt only when
 *                        the generator's parameters (the stamp files in DIR) differ
 *
 * CORRIDOR_SCALE_POINTS metering points (one contract each, default 1000),
 * CORRIDOR_SCALE_YEARS the long ledger's years (default 10). Deterministic:
 * every key from a fixed seed, every quantity from its contract and hour.
 * Each run appends the next three days of every point (the ledgers grow by
 * three days a run; the terms reach a year past the data). Integers only. */
#define _XOPEN_SOURCE 700
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "corridor/corridor.h"
#include "power_terms.h"

#define SCALE_VERSION 1u /* of the generator: a change rebuilds the cache */
#define BATCH 1000u
#define REPEAT 5u /* each timed read, the fastest kept */
#define APPEND_DAYS 3u /* days appended a run, the fastest kept */
#define POINTS_MAX 100000u
#define YEARS_MAX 20u

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct corridor_signer *signer(const char *name, uint8_t b)
{
	uint8_t seed[32];
	struct corridor_signer *s = NULL;
	memset(seed, b, sizeof seed);
	if (corridor_signer_from_seed(name, seed, &s) != 0) {
		fprintf(stderr, "scale: cannot make the key of %s\n", name);
		exit(1);
	}
	return s;
}

static void die(const char *what, const struct corridor_diag *d)
{
	fprintf(stderr, "scale: %s: %s\n", what, d ? d->text : "");
	exit(1);
}

struct world {
	struct corridor_signer *op, *seller, *buyer;
	unsigned points;
	int32_t data_from, data_to; /* local days [from, to) the generator fills */
};

static unsigned quantity(unsigned c, int64_t hour)
{
	uint64_t x = (uint64_t)hour * 2654435761u ^ (uint64_t)c * 40503u;
	return 25000u + (unsigned)(x % 977u);
}

/* Local days [from, to) of every point, as series (a CSV grouped by the
 * importer), in chunks of about a month. */
static void fill(struct corridor_ledger *l, const struct world *w, int32_t from, int32_t to)
{
	const int64_t off = 480 * 60;
	struct corridor_diag d;
	for (int32_t d0 = from; d0 < to; d0 += 31) {
		int32_t d1 = d0 + 31 < to ? d0 + 31 : to;
		size_t rows = (size_t)(d1 - d0) * 24u * w->points, cap = rows * 96u + 64u;
		char *csv = malloc(cap);
		if (!csv)
			die("out of memory", NULL);
		size_t len = (size_t)snprintf(csv, cap, "contract,start,end,quantity,meter,reference\r\n");
		for (unsigned c = 0; c < w->points; c++)
			for (int64_t h = (int64_t)d0 * 24; h < (int64_t)d1 * 24; h++) {
				char s[21], e[21];
				corridor_utc_format(h * 3600 - off, s);
				corridor_utc_format((h + 1) * 3600 - off, e);
				len += (size_t)snprintf(csv + len, cap - len,
							"S%05u,%s,%s,%u,M%05u,S%05u-%" PRId64 "\r\n", c,
							s, e, quantity(c, h), c, c, h);
			}
		size_t written, skipped;
		if (corridor_delivery_import(l, w->buyer, csv, len, BATCH, NULL, NULL, &written,
					     &skipped, &d) != 0)
			die("import", &d);
		free(csv);
	}
}

/* Builds the ledger of `years` (ending where the one-year ledger ends). */
static void build(const char *path, struct world *w, unsigned years)
{
	struct corridor_ledger *l;
	struct corridor_diag d;
	if (corridor_ledger_create(path, w->op, &l, &d) != 0)
		die("create", &d);
	const struct {
		struct corridor_signer *s;
		const char *id;
		unsigned roles;
	} ps[] = { { w->seller, "RU-GRID", CORRIDOR_ROLE_SELLER },
		   { w->buyer, "MN-GRID", CORRIDOR_ROLE_BUYER | CORRIDOR_ROLE_METER } };
	for (size_t i = 0; i < 2; i++) {
		struct corridor_party_request pr = { .id = ps[i].id, .name = ps[i].id,
						     .country = "MN", .roles = ps[i].roles,
						     .key = *corridor_signer_vkey(ps[i].s) };
		uint64_t seq;
		if (corridor_party_register(l, w->op, &pr, NULL, &seq, &d) != 0)
			die("party", &d);
	}
	int32_t end;
	if (corridor_date_parse("2026-01-01", 10, &end) != 0)
		die("date", NULL);
	int32_t start = end;
	for (unsigned y = 0; y < years; y++) { /* back a year at a time, leap years too */
		int32_t yy;
		unsigned m, dd;
		corridor_civil_from_days(start - 1, &yy, &m, &dd);
		start -= ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0) ? 366 : 365;
	}
	struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_POWER,
					     .utc_offset_min = 480, .price_count = 1,
					     .payment_days = 15, .tolerance_permille = 10,
					     .start_day = start, .end_day = end + 366 };
	power_parties(&t);
	t.prices[0] = (struct corridor_price_step){ .from_day = start, .price_micro = 6150000 };
	for (unsigned c = 0; c < w->points; c++) {
		uint64_t prop, seq;
		snprintf(t.id, sizeof t.id, "S%05u", c);
		snprintf(t.billing_meter, sizeof t.billing_meter, "M%05u", c);
		if (corridor_contract_propose(l, w->seller, &t, NULL, &prop, &d) != 0 ||
		    corridor_contract_accept(l, w->buyer, t.id, prop, NULL, &seq, &d) != 0)
			die("contract", &d);
	}
	double t0 = now_s();
	fill(l, w, start, end);
	fprintf(stderr, "scale: %s: %u years of %u points in %.0f s\n", path, years, w->points,
		now_s() - t0);
	if (corridor_checkpoint_sign(l, w->op, NULL, &d) != 0)
		die("checkpoint", &d);
	corridor_ledger_close(l);
}

/* The ledger in dir/name, built unless its stamp says it is of these
 * parameters. */
static void ensure(const char *dir, const char *name, struct world *w, unsigned years)
{
	char path[4096], stamp[4200], want[128], have[128] = "";
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(stamp, sizeof stamp, "%s/%s.stamp", dir, name);
	snprintf(want, sizeof want, "scale v%u points %u years %u\n", SCALE_VERSION, w->points,
		 years);
	FILE *f = fopen(stamp, "r");
	if (f) {
		if (!fgets(have, sizeof have, f))
			have[0] = '\0';
		fclose(f);
	}
	if (strcmp(have, want) == 0)
		return;
	char cmd[12600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s-theirs'", path, stamp, path);
	if (system(cmd) != 0)
		die("cannot clear the cache", NULL);
	build(path, w, years);
	if (!(f = fopen(stamp, "w")) || fputs(want, f) < 0 || fclose(f) != 0)
		die("cannot write the stamp", NULL);
}

struct figures {
	uint64_t entries, intervals;
	double bytes;
	double append_s, list_s, meters_s, proof_s, diff_s, verify_s;
};

static int count_row(void *ctx, const struct corridor_diff_row *row)
{
	(*(size_t *)ctx) += row->status == CORRIDOR_DIFF_MATCH;
	return 0;
}

static int count_one(void *ctx, const struct corridor_delivery *d)
{
	(void)d;
	(*(size_t *)ctx)++;
	return 0;
}

static double fastest(double a, double b)
{
	return a < b ? a : b;
}

static void measure(const char *dir, const char *name, struct world *w, struct figures *fg)
{
	char path[4096], data[4200];
	struct corridor_ledger *l;
	struct corridor_diag d;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (corridor_ledger_open(path, 0, &l, &d) != 0)
		die("open", &d);
	struct corridor_head h;
	if (corridor_ledger_head(l, &h) != 0)
		die("head", NULL);
	/* the next day of every point: the data's end and a day a run since
	 * (counted in DIR/NAME.days) */
	int32_t end, day;
	unsigned appended = 0;
	char days[4200];
	snprintf(days, sizeof days, "%s/%s.days", dir, name);
	FILE *df = fopen(days, "r");
	if (df) {
		if (fscanf(df, "%u", &appended) != 1)
			appended = 0;
		fclose(df);
	}
	if (corridor_date_parse("2026-01-01", 10, &end) != 0 || appended + APPEND_DAYS > 365)
		die("the ledger's term is used up: remove the cache", NULL);
	day = end + (int32_t)appended;
	/* a day at a time, the fastest kept (the first pays for a cold cache) */
	double t0;
	fg->append_s = 1e9;
	for (unsigned r = 0; r < APPEND_DAYS; r++) {
		t0 = now_s();
		fill(l, w, day + (int32_t)r, day + (int32_t)r + 1);
		fg->append_s = fastest(fg->append_s, now_s() - t0);
	}
	if (!(df = fopen(days, "w")) || fprintf(df, "%u\n", appended + APPEND_DAYS) < 0 ||
	    fclose(df) != 0)
		die("cannot count the days appended", NULL);
	if (corridor_checkpoint_sign(l, w->op, NULL, &d) != 0)
		die("checkpoint", &d);
	if (corridor_ledger_head(l, &h) != 0)
		die("head", NULL);
	fg->entries = h.size;
	/* reads of one contract-month: the last full month */
	int32_t month;
	if (corridor_date_parse("2025-12-01", 10, &month) != 0)
		die("date", NULL);
	/* the other party's copy for report diff: a backup made once (the
	 * months compared are the generated ones, which the appends leave alone) */
	char theirs[4200];
	struct stat tst;
	snprintf(theirs, sizeof theirs, "%s-theirs", path);
	if (stat(theirs, &tst) != 0 && corridor_ledger_backup(l, theirs, &d) != 0)
		die("backup", &d);
	struct corridor_ledger *other;
	if (corridor_ledger_open(theirs, CORRIDOR_OPEN_READONLY, &other, &d) != 0)
		die("open the copy", &d);
	fg->list_s = fg->meters_s = fg->proof_s = fg->diff_s = 1e9;
	char mid[16];
	snprintf(mid, sizeof mid, "S%05u", w->points / 2);
	for (unsigned r = 0; r < REPEAT; r++) {
		size_t n = 0;
		t0 = now_s();
		if (corridor_delivery_list(l, mid, month, count_one, &n, &d) != 0 || n != 744)
			die("delivery list", &d);
		fg->list_s = fastest(fg->list_s, now_s() - t0);
		struct corridor_meter_report mr;
		t0 = now_s();
		if (corridor_report_meters(l, mid, month, &mr, &d) != 0 || mr.count != 744)
			die("report meters", &d);
		fg->meters_s = fastest(fg->meters_s, now_s() - t0);
		corridor_meter_report_release(&mr);
		FILE *null = fopen("/dev/null", "w");
		t0 = now_s();
		if (!null || corridor_prove_inclusion(l, h.size / 2, null, &d) != 0)
			die("inclusion proof", &d);
		fg->proof_s = fastest(fg->proof_s, now_s() - t0);
		fclose(null);
		struct corridor_diff_totals tot;
		size_t matched = 0;
		t0 = now_s();
		if (corridor_report_diff_of(l, other, mid, month, count_row, &matched, &tot, &d) != 0 ||
		    matched != 745) /* the contract and its 744 hours */
			die("report diff", &d);
		fg->diff_s = fastest(fg->diff_s, now_s() - t0);
	}
	corridor_ledger_close(other);
	t0 = now_s();
	if (corridor_ledger_verify(l, NULL, NULL, &d) != 0)
		die("verify", &d);
	fg->verify_s = now_s() - t0;
	corridor_ledger_close(l);
	struct stat st;
	snprintf(data, sizeof data, "%s/data.mdb", path);
	fg->bytes = stat(data, &st) == 0 ? (double)st.st_blocks * 512.0 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: scale DIR\n");
		return 2;
	}
	const char *p = getenv("CORRIDOR_SCALE_POINTS"), *y = getenv("CORRIDOR_SCALE_YEARS");
	unsigned points = p ? (unsigned)strtoul(p, NULL, 10) : 1000u;
	unsigned years = y ? (unsigned)strtoul(y, NULL, 10) : 10u;
	if (points == 0 || points > POINTS_MAX || years < 2 || years > YEARS_MAX) {
		fprintf(stderr, "scale: 1..%u points, 2..%u years\n", POINTS_MAX, YEARS_MAX);
		return 2;
	}
	if (corridor_init() != 0)
		return 1;
	mkdir(argv[1], 0755);
	struct world w = { .op = signer("scale.example/ledger", 1), .seller = signer("RU-GRID", 2),
			   .buyer = signer("MN-GRID", 3), .points = points };
	char yn[16];
	snprintf(yn, sizeof yn, "y%u", years);
	ensure(argv[1], "y1", &w, 1);
	ensure(argv[1], yn, &w, years);
	struct figures a, b;
	measure(argv[1], "y1", &w, &a);
	measure(argv[1], yn, &w, &b);
	/* the intervals held: the generated years, and a day a run since */
	printf("scale_points %u\nscale_years %u\n", points, years);
	printf("scale_entries_1y %" PRIu64 "\nscale_entries_%uy %" PRIu64 "\n", a.entries, years,
	       b.entries);
	printf("scale_append_day_ratio %.2f\n", b.append_s / a.append_s);
	printf("scale_delivery_list_ratio %.2f\n", b.list_s / a.list_s);
	printf("scale_report_meters_ratio %.2f\n", b.meters_s / a.meters_s);
	printf("scale_inclusion_proof_ratio %.2f\n", b.proof_s / a.proof_s);
	printf("scale_report_diff_ratio %.2f\n", b.diff_s / a.diff_s);
	printf("scale_verify_1y_entries_per_s %.0f\nscale_verify_%uy_entries_per_s %.0f\n",
	       (double)a.entries / a.verify_s, years, (double)b.entries / b.verify_s);
	double iv_a = (double)points * 24.0 * 365.0, iv_b = iv_a * years;
	printf("scale_bytes_per_interval_1y %.0f\nscale_bytes_per_interval_%uy %.0f\n",
	       a.bytes / iv_a, years, b.bytes / iv_b);
	printf("scale_ledger_%uy_mb %.0f\n", years, b.bytes / 1e6);
	printf("scale_append_day_ms_1y %.1f\nscale_delivery_list_ms_1y %.2f\n"
	       "scale_report_meters_ms_1y %.2f\nscale_inclusion_proof_ms_1y %.3f\n",
	       a.append_s * 1e3, a.list_s * 1e3, a.meters_s * 1e3, a.proof_s * 1e3);
	printf("scale_report_diff_ms_1y %.2f\n", a.diff_s * 1e3);
	/* what the scale ledgers do not hold yet */
	printf("# not measured: settle run, report invoices, report balances, the journal beside "
	       "hledger and ledger-cli (the scale ledgers hold no settlements: "
	       "docs/PERFORMANCE.md)\n");
	corridor_signer_free(w.op);
	corridor_signer_free(w.seller);
	corridor_signer_free(w.buyer);
	return 0;
}
