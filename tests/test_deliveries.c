/* test_deliveries.c — the RFC 4180 reader, delivery rules, corrections, and
 * the CSV import's edge cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "testutil.h"

#define ORIGIN "corridor.example/deliveries"

/* ---- the CSV reader ---- */

static size_t records(const char *csv, struct corridor_csv_field (*out)[8], size_t *nf,
		      size_t max, int *err, struct corridor_diag *d)
{
	static char scratch[64][256];
	struct corridor_csv c;
	size_t n = 0;
	corridor_csv_init(&c, csv, strlen(csv));
	*err = 0;
	while (n < max) {
		*err = corridor_csv_record(&c, out[n], 8, &nf[n], scratch[n], sizeof scratch[n], d);
		if (*err)
			break;
		n++;
	}
	if (*err == CORRIDOR_E_NOTFOUND)
		*err = 0;
	return n;
}

START_TEST(rfc4180_reader)
{
	struct corridor_csv_field f[8][8];
	size_t nf[8];
	int err;
	struct corridor_diag d;
	/* BOM, CRLF, quotes, embedded comma, newline and doubled quote. */
	const char *csv = "\xef\xbb\xbf" "a,b\r\n\"x,1\",\"two\nlines\"\r\n\"say \"\"hi\"\"\",\n";
	size_t n = records(csv, f, nf, 8, &err, &d);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(f[0][0].text, "a");
	ck_assert_str_eq(f[1][0].text, "x,1");
	ck_assert_str_eq(f[1][1].text, "two\nlines");
	ck_assert_str_eq(f[2][0].text, "say \"hi\"");
	ck_assert_uint_eq(nf[2], 2);
	ck_assert_uint_eq(f[2][1].len, 0);
	ck_assert_uint_eq(f[2][0].line, 4); /* the embedded newline counts */
	ck_assert_uint_eq(f[1][1].col, 7);
	/* Errors with their line and column. */
	n = records("a,b\nc,d\"e\n", f, nf, 8, &err, &d);
	ck_assert_int_eq(err, CORRIDOR_E_MALFORMED);
	ck_assert_msg(strstr(d.text, "line 2, column 4") != NULL, "%s", d.text);
	n = records("a,\"b", f, nf, 8, &err, &d);
	ck_assert_int_eq(err, CORRIDOR_E_MALFORMED);
	ck_assert(strstr(d.text, "never closed") != NULL);
	n = records("\"a\"b,c\n", f, nf, 8, &err, &d);
	ck_assert_int_eq(err, CORRIDOR_E_MALFORMED);
	n = records("a\rb\n", f, nf, 8, &err, &d);
	ck_assert_int_eq(err, CORRIDOR_E_MALFORMED);
	/* A last line without a newline is a record. */
	n = records("a\nb", f, nf, 8, &err, &d);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(n, 2);
	(void)n;
}
END_TEST

START_TEST(reader_mutations_never_crash)
{
	const char *base = "contract,start,end,quantity,meter,reference\r\n"
			   "G1,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,\"1,5\",M1,\"R\"\"1\"\r\n";
	size_t blen = strlen(base);
	char buf[256];
	uint32_t x = 12345u;
	for (int iter = 0; iter < 50000; iter++) {
		memcpy(buf, base, blen);
		for (int k = 0; k < 3; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[x % blen] = "\",\r\na\x00"[(x >> 8) % 6];
		}
		struct corridor_csv c;
		struct corridor_csv_field f[16];
		char scratch[512];
		size_t n;
		corridor_csv_init(&c, buf, blen);
		for (int guard = 0; guard < 64; guard++) {
			int err = corridor_csv_record(&c, f, 16, &n, scratch, sizeof scratch, NULL);
			if (err)
				break;
			for (size_t i = 0; i < n; i++)
				ck_assert(f[i].text[f[i].len] == '\0');
		}
	}
}
END_TEST

/* ---- the ledger ---- */

struct dw {
	char *dir;
	struct corridor_ledger *l;
	struct corridor_signer *op, *gaz, *buy;
};

static void dw_open(struct dw *w, bool accept)
{
	struct corridor_diag d;
	uint64_t prop, seq;
	w->dir = tmpdir_new();
	w->op = test_signer(ORIGIN, 1);
	w->gaz = test_signer("RU-GAZ", 2);
	w->buy = test_signer("CN-BUY", 3);
	ck_assert_int_eq(corridor_ledger_create(path_join(w->dir, "L"), w->op, &w->l, &d), 0);
	test_party(w->l, w->op, w->gaz, "RU", CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_BUYER);
	test_party(w->l, w->op, w->buy, "RU", CORRIDOR_ROLE_BUYER);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	test_terms("gas-G1.json", t);
	ck_assert_int_eq(corridor_contract_propose(w->l, w->gaz, t, NULL, &prop, &d), 0);
	if (accept)
		ck_assert_int_eq(corridor_contract_accept(w->l, w->buy, "G1", prop, NULL, &seq, &d), 0);
	free(t);
}

static void dw_close(struct dw *w)
{
	corridor_ledger_close(w->l);
	corridor_signer_free(w->op);
	corridor_signer_free(w->gaz);
	corridor_signer_free(w->buy);
	rm_rf(w->dir);
	free(w->dir);
}

static int64_t utc(const char *s)
{
	int64_t v;
	ck_assert_int_eq(corridor_utc_parse(s, strlen(s), &v), 0);
	return v;
}

START_TEST(recording_rules)
{
	struct dw w;
	struct corridor_diag d;
	uint64_t seq, first;
	dw_open(&w, false);
	struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
					       .start_s = utc("2026-03-09T16:00:00Z"),
					       .end_s = utc("2026-03-10T16:00:00Z"),
					       .quantity_milli = 100000, .quality = 'A' };
	/* Before acceptance: refused. */
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &r, &seq, &d), CORRIDOR_E_REFUSED);
	dw_close(&w);
	dw_open(&w, true);
	ck_assert_int_eq(corridor_delivery_record(w.l, w.gaz, &r, &first, &d), 0);
	/* The other party records its own reading of the same interval. */
	struct corridor_delivery_request b = r;
	b.meter = "CN-M1";
	b.quantity_milli = 101000;
	ck_assert_int_eq(corridor_delivery_record(w.l, w.buy, &b, &seq, &d), 0);
	/* Overlap on the same recorder and meter; outside the term; across the
	 * contract's local midnight; end before start; a stranger. */
	struct corridor_delivery_request x = r;
	x.start_s = utc("2026-03-10T15:00:00Z");
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &x, &seq, &d), CORRIDOR_E_REFUSED);
	x = r;
	x.start_s = utc("2025-12-31T15:00:00Z");
	x.end_s = utc("2025-12-31T16:00:00Z");
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &x, &seq, &d), CORRIDOR_E_REFUSED);
	x = r;
	x.start_s = utc("2026-03-11T15:00:00Z");
	x.end_s = utc("2026-03-11T17:00:00Z");
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &x, &seq, &d), CORRIDOR_E_REFUSED);
	x = r;
	x.end_s = x.start_s;
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &x, &seq, &d), CORRIDOR_E_INVALID);
	x = r;
	x.contract = "NOPE";
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &x, &seq, &d), CORRIDOR_E_REFUSED);
	/* Corrections: only by the recorder, only the latest, 0 allowed. */
	UNCHANGED(&w, corridor_delivery_correct(w.l, w.buy, first, 99000, NULL, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	uint64_t c1;
	ck_assert_int_eq(corridor_delivery_correct(w.l, w.gaz, first, 99500, "calibration", NULL,
						   &c1, &d), 0);
	UNCHANGED(&w, corridor_delivery_correct(w.l, w.gaz, first, 99000, NULL, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_delivery_correct(w.l, w.gaz, c1, 0, NULL, NULL, &seq, &d), 0);
	UNCHANGED(&w, corridor_delivery_correct(w.l, w.gaz, 1, 5, NULL, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED); /* seq 1 is not a reading */
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	dw_close(&w);
}
END_TEST

static int import(struct dw *w, const char *csv, size_t *written, size_t *skipped,
		  struct corridor_diag *d)
{
	corridor_diag_init(d);
	return corridor_delivery_import(w->l, w->gaz, csv, strlen(csv), 3, NULL, NULL, written,
					skipped, d);
}

START_TEST(import_edge_cases)
{
	struct dw w;
	struct corridor_diag d;
	size_t wr, sk;
	dw_open(&w, true);
	const char *head = "contract,start,end,quantity,meter,reference,quality\r\n";
	struct {
		const char *row;
		int code;
		const char *want; /* in the message */
	} bad[] = {
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100.1234,M1,R1,A\r\n",
		  CORRIDOR_E_INVALID, "line 2, column quantity" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,-5,M1,R1,A\r\n", CORRIDOR_E_INVALID,
		  "line 2, column quantity" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1000000000000,M1,R1,A\r\n",
		  CORRIDOR_E_INVALID, "line 2, column quantity" },
		{ "G1,2026-02-30T16:00:00Z,2026-03-02T16:00:00Z,1,M1,R1,A\r\n", CORRIDOR_E_INVALID,
		  "line 2, column start" },
		{ "G1,2026-03-01 16:00,2026-03-02T16:00:00Z,1,M1,R1,A\r\n", CORRIDOR_E_INVALID,
		  "line 2, column start" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00+08:00,1,M1,R1,A\r\n",
		  CORRIDOR_E_INVALID, "line 2, column end" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1,M1,R1,X\r\n", CORRIDOR_E_INVALID,
		  "line 2, column quality" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1,M1\r\n", CORRIDOR_E_INVALID,
		  "line 2: 5 fields" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1,M 1,R1,A\r\n", CORRIDOR_E_INVALID,
		  "line 2, column meter" },
		/* parses, but crosses the contract's local midnight: the dry run refuses */
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T18:00:00Z,1,M1,R1,A\r\n", CORRIDOR_E_REFUSED,
		  "line 2: delivery.record" },
		/* a quality only a series keeps: on a day-long row, or of no contract */
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1,M1,R1,C\r\n", CORRIDOR_E_INVALID,
		  "line 2: quality C is kept only in a series" },
		{ "G9,2026-03-01T16:00:00Z,2026-03-01T17:00:00Z,1,M1,R1,C\r\n", CORRIDOR_E_REFUSED,
		  "line 2: no accepted contract G9" },
		{ "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1,M1,R1,M\r\n", CORRIDOR_E_INVALID,
		  "line 2, column quality" },
		{ "G9,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,1,M1,R1,A\r\n", CORRIDOR_E_REFUSED,
		  "line 2: delivery.record" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char csv[512];
		snprintf(csv, sizeof csv, "%s%s", head, bad[i].row);
		UNCHANGED(&w, import(&w, csv, &wr, &sk, &d), bad[i].code);
		ck_assert_msg(strstr(d.text, bad[i].want) != NULL, "case %zu: %s", i, d.text);
	}
	/* Headers: unknown, repeated, missing columns. */
	UNCHANGED(&w, import(&w, "contract,start,end,quantity,meter,ref\n", &wr, &sk, &d),
		  CORRIDOR_E_INVALID);
	UNCHANGED(&w, import(&w, "contract,start,end,quantity,meter,meter\n", &wr, &sk, &d),
		  CORRIDOR_E_INVALID);
	/* A bad row anywhere writes nothing, not even the good rows before it. */
	char csv[2048];
	snprintf(csv, sizeof csv,
		 "\xef\xbb\xbf" "reference,contract,start,end,quantity,meter\r\n"
		 "R1,G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100,M1\r\n"
		 "R2,G1,2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,\"100.5\",M1\r\n"
		 "R3,G1,2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,99,M1\r\n");
	UNCHANGED(&w, import(&w, csv, &wr, &sk, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "line 4") && strstr(d.text, "overlaps"), "%s", d.text);
	/* Duplicate references: the same values are skipped, others refused. */
	snprintf(csv, sizeof csv,
		 "reference,contract,start,end,quantity,meter\n"
		 "R1,G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100,M1\n"
		 "\"R,2\",G1,2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,100.5,M1\n"
		 "R1,G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100,M1\n");
	ck_assert_msg(import(&w, csv, &wr, &sk, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(wr, 2);
	ck_assert_uint_eq(sk, 1);
	ck_assert_msg(import(&w, csv, &wr, &sk, &d) == 0, "%s", d.text); /* a re-run */
	ck_assert_uint_eq(wr, 0);
	ck_assert_uint_eq(sk, 3);
	snprintf(csv, sizeof csv,
		 "reference,contract,start,end,quantity,meter\n"
		 "R1,G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100.001,M1\n");
	UNCHANGED(&w, import(&w, csv, &wr, &sk, &d), CORRIDOR_E_REFUSED);
	ck_assert(strstr(d.text, "other values") != NULL);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	dw_close(&w);
}
END_TEST

struct perf_hold {
	struct corridor_performance p[4];
	size_t n;
};

static int hold_perf(void *ctx, const struct corridor_performance *p)
{
	struct perf_hold *h = ctx;
	ck_assert_uint_lt(h->n, 4);
	h->p[h->n++] = *p;
	return 0;
}

/* ---- series: a day's points in one entry ---- */

struct list_hold {
	struct corridor_delivery d[64];
	size_t n;
};

static int hold_reading(void *ctx, const struct corridor_delivery *d)
{
	struct list_hold *h = ctx;
	ck_assert_uint_lt(h->n, 64);
	h->d[h->n++] = *d;
	return 0;
}

static size_t march_readings(struct dw *w, struct list_hold *h)
{
	struct corridor_diag d;
	int32_t march;
	ck_assert_int_eq(corridor_date_parse("2026-03-01", 10, &march), 0);
	h->n = 0;
	ck_assert_msg(corridor_delivery_list(w->l, "G1", march, hold_reading, h, &d) == 0, "%s",
		      d.text);
	return h->n;
}

static uint64_t log_size(struct dw *w)
{
	struct corridor_head head;
	ck_assert_int_eq(corridor_ledger_head(w->l, &head), 0);
	return head.size;
}

/* Hourly rows of meter M1 from `from` (UTC), n of them, each q thousandths. */
static void hourly_csv(char *out, size_t cap, const char *ref, int64_t from, int n, int64_t q)
{
	size_t at = (size_t)snprintf(out, cap, "contract,start,end,quantity,meter,reference\n");
	for (int i = 0; i < n; i++) {
		char a[21], b[21];
		corridor_utc_format(from + 3600 * i, a);
		corridor_utc_format(from + 3600 * (i + 1), b);
		at += (size_t)snprintf(out + at, cap - at, "G1,%s,%s,%lld.%03lld,M1,%s-%d\n", a, b,
				       (long long)(q / 1000), (long long)(q % 1000), ref, i);
		ck_assert_uint_lt(at, cap);
	}
}

START_TEST(series_import_and_corrections)
{
	struct dw w;
	struct corridor_diag d;
	struct list_hold h;
	size_t wr, sk;
	uint64_t seq;
	static char csv[16384];
	dw_open(&w, true);
	/* 24 hourly rows of local day 2026-03-02 (+08:00): one entry */
	int64_t day = utc("2026-03-01T16:00:00Z");
	hourly_csv(csv, sizeof csv, "H", day, 24, 4500);
	uint64_t before = log_size(&w);
	ck_assert_msg(import(&w, csv, &wr, &sk, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(wr, 24);
	ck_assert_uint_eq(log_size(&w), before + 1);
	ck_assert_uint_eq(march_readings(&w, &h), 24);
	uint64_t series = h.d[0].seq;
	for (size_t i = 0; i < 24; i++) {
		ck_assert_uint_eq(h.d[i].seq, series);
		ck_assert_int_eq(h.d[i].start_s, day + 3600 * (int64_t)i);
		ck_assert_int_eq(h.d[i].end_s, day + 3600 * (int64_t)(i + 1));
		ck_assert_int_eq(h.d[i].quantity_milli, 4500);
		ck_assert_str_eq(h.d[i].recorder, "RU-GAZ");
	}
	/* the same file again appends nothing */
	ck_assert_msg(import(&w, csv, &wr, &sk, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(wr, 0);
	ck_assert_uint_eq(sk, 24);
	ck_assert_uint_eq(log_size(&w), before + 1);
	/* a UTC day's document: 12 hours already there, 12 of the next local day */
	hourly_csv(csv, sizeof csv, "U", utc("2026-03-02T04:00:00Z"), 24, 4500);
	ck_assert_msg(import(&w, csv, &wr, &sk, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(wr, 12);
	ck_assert_uint_eq(sk, 12);
	ck_assert_uint_eq(log_size(&w), before + 2);
	ck_assert_uint_eq(march_readings(&w, &h), 36);
	/* an hour recorded with another value is not replaced silently */
	hourly_csv(csv, sizeof csv, "X", day + 5 * 3600, 2, 4600);
	UNCHANGED(&w, import(&w, csv, &wr, &sk, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "line 2") && strstr(d.text, "other values") &&
			      strstr(d.text, "delivery correct"),
		      "%s", d.text);
	/* a single reading overlapping a point is refused, naming its start */
	struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
					       .start_s = day + 1800, .end_s = day + 5400,
					       .quantity_milli = 1000, .quality = 'A' };
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &r, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "overlaps reading"), "%s", d.text);
	/* correcting one point: by its start; once; only a recorded point */
	UNCHANGED(&w, corridor_delivery_correct(w.l, w.gaz, series, 4000, "fault", NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "name the point by its start"), "%s", d.text);
	UNCHANGED(&w, corridor_delivery_correct_at(w.l, w.gaz, series, day + 1800, 4000, "fault",
						   NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_delivery_correct_at(w.l, w.buy, series, day + 3600, 4000, "fault",
						   NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	uint64_t fix;
	ck_assert_msg(corridor_delivery_correct_at(w.l, w.gaz, series, day + 3600, 4000,
						   "calibration", NULL, &fix, &d) == 0,
		      "%s", d.text);
	UNCHANGED(&w, corridor_delivery_correct_at(w.l, w.gaz, series, day + 3600, 3900, "again",
						   NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "corrected by"), "%s", d.text);
	ck_assert_int_eq(corridor_delivery_correct(w.l, w.gaz, fix, 3900, "again", NULL, &seq, &d),
			 0);
	ck_assert_uint_eq(march_readings(&w, &h), 38);
	size_t superseded = 0;
	for (size_t i = 0; i < h.n; i++)
		superseded += h.d[i].superseded_by != 0;
	ck_assert_uint_eq(superseded, 2); /* the point, then its correction */
	/* the billable quantity reads series and corrections through one interface:
	 * 35 hours of 4.5 and one of 3.9 */
	int32_t march;
	ck_assert_int_eq(corridor_date_parse("2026-03-01", 10, &march), 0);
	struct perf_hold *ph = calloc(1, sizeof *ph);
	ck_assert_int_eq(corridor_report_performance(w.l, "G1", march, hold_perf, ph, &d), 0);
	ck_assert_int_eq(ph->p[0].billable_milli, 35 * 4500 + 3900);
	free(ph);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	dw_close(&w);
}
END_TEST

START_TEST(series_missing_points_and_bad_series)
{
	struct dw w;
	struct corridor_diag d;
	struct list_hold h;
	uint64_t seq;
	dw_open(&w, true);
	int64_t day = utc("2026-03-01T16:00:00Z");
	struct corridor_series *s = calloc(1, sizeof *s);
	snprintf(s->contract, sizeof s->contract, "G1");
	snprintf(s->meter, sizeof s->meter, "M1");
	s->start_s = day;
	s->resolution_s = 900;
	s->count = 4;
	snprintf(s->quality, sizeof s->quality, "AMEJ");
	int64_t q[4] = { 1000, 0, 1200, 1300 };
	memcpy(s->quantity_milli, q, sizeof q);
	ck_assert_msg(corridor_delivery_series(w.l, w.gaz, s, &seq, &d) == 0, "%s", d.text);
	/* a missing point is no reading: three points listed, the hole free */
	ck_assert_uint_eq(march_readings(&w, &h), 3);
	ck_assert_int_eq(h.d[1].start_s, day + 1800);
	ck_assert_int_eq(h.d[1].quality, 'E');
	struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
					       .start_s = day + 900, .end_s = day + 1800,
					       .quantity_milli = 1100, .quality = 'E' };
	ck_assert_msg(corridor_delivery_record(w.l, w.gaz, &r, &seq, &d) == 0, "%s", d.text);
	/* refused, nothing written: a missing point with a quantity, another
	 * resolution, a code not in the list, a day's midnight crossed, an overlap */
	struct corridor_series b = *s;
	b.start_s = day + 7200;
	b.quantity_milli[1] = 5;
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_INVALID);
	b = *s;
	b.start_s = day + 7200;
	b.resolution_s = 600;
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_INVALID);
	b = *s;
	b.start_s = day + 7200;
	b.quality[2] = 'Z';
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_INVALID);
	b = *s;
	b.start_s = day + 86400 - 1800;
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "midnight"), "%s", d.text);
	b = *s;
	b.start_s = day + 2700;
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "overlaps reading"), "%s", d.text);
	b = *s;
	b.start_s = INT64_MAX - 100; /* no arithmetic overflows on the way to the refusal */
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_REFUSED);
	struct corridor_delivery_request far = r;
	far.start_s = INT64_MAX - 10;
	far.end_s = INT64_MAX;
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &far, &seq, &d), CORRIDOR_E_REFUSED);
	b = *s;
	b.start_s = day + 7200;
	snprintf(b.quality, sizeof b.quality, "MMMM");
	memset(b.quantity_milli, 0, sizeof b.quantity_milli);
	UNCHANGED(&w, corridor_delivery_series(w.l, w.gaz, &b, &seq, &d), CORRIDOR_E_REFUSED);
	free(s);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	dw_close(&w);
}
END_TEST

/* SETTLEMENT.md "Billable quantity": the other party's readings lying inside
 * a billing interval count when they cover it exactly. */
START_TEST(mixed_resolutions_in_the_meter_report)
{
	struct dw w;
	struct corridor_diag d;
	uint64_t seq;
	dw_open(&w, true);
	int64_t day0 = utc("2026-03-01T16:00:00Z"); /* 2026-03-02 at +08:00 */
	struct corridor_series *s = calloc(1, sizeof *s);
	for (int k = 0; k < 2; k++) {
		/* RU-GAZ bills 96 MWh a day on M1 */
		struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
						       .start_s = day0 + 86400 * k,
						       .end_s = day0 + 86400 * (k + 1),
						       .quantity_milli = 96000, .quality = 'A' };
		ck_assert_msg(corridor_delivery_record(w.l, w.gaz, &r, &seq, &d) == 0, "%s", d.text);
		/* CN-BUY meters quarter hours: all 96 on day 1; on day 2 one is missing */
		snprintf(s->contract, sizeof s->contract, "G1");
		snprintf(s->meter, sizeof s->meter, "CN-M1");
		s->start_s = day0 + 86400 * k;
		s->resolution_s = 900;
		s->count = 96;
		for (int i = 0; i < 96; i++) {
			s->quantity_milli[i] = 1002;
			s->quality[i] = 'A';
		}
		if (k == 1) {
			s->quality[40] = CORRIDOR_QUALITY_MISSING;
			s->quantity_milli[40] = 0;
		}
		ck_assert_msg(corridor_delivery_series(w.l, w.buy, s, &seq, &d) == 0, "%s", d.text);
	}
	free(s);
	int32_t march;
	ck_assert_int_eq(corridor_date_parse("2026-03-01", 10, &march), 0);
	struct corridor_meter_report m;
	ck_assert_msg(corridor_report_meters(w.l, "G1", march, &m, &d) == 0, "%s", d.text);
	/* day 1: one row, 96 x 1.002 = 96.192 against 96 (within 5 per mille);
	 * day 2: the billing day one-sided, and the other side's 95 points shown */
	ck_assert_uint_eq(m.count, 1 + 1 + 95);
	ck_assert_int_eq(m.rows[0].status, CORRIDOR_METER_AGREE);
	ck_assert_int_eq(m.rows[0].other_milli, 96192);
	size_t day2 = 0;
	for (size_t i = 0; i < m.count; i++)
		if (m.rows[i].has_billing && m.rows[i].start_s == day0 + 86400)
			day2 = i;
	ck_assert_uint_gt(day2, 0);
	ck_assert_int_eq(m.rows[day2].status, CORRIDOR_METER_BILLING_ONLY);
	ck_assert_uint_eq(m.agree, 1);
	ck_assert_uint_eq(m.billing_only, 1);
	ck_assert_uint_eq(m.other_only, 95);
	ck_assert_int_eq(m.total_billing_milli, 2 * 96000);
	ck_assert_int_eq(m.total_other_milli, 96192 + 95 * 1002);
	corridor_meter_report_release(&m);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	dw_close(&w);
}
END_TEST

START_TEST(worked_example_billable_quantity)
{
	/* SETTLEMENT.md: G1 daily 100 MWh for every local day of March 2026 by
	 * RU-GAZ on M1; CN-BUY 100.4 each day, but 101 on 2026-03-10. */
	struct dw w;
	struct corridor_diag d;
	uint64_t seq, prop;
	dw_open(&w, true);
	struct corridor_signer *pipe = test_signer("MN-PIPE", 9);
	test_party(w.l, w.op, pipe, "RU", CORRIDOR_ROLE_SELLER);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	test_terms("transit-T1.json", t);
	snprintf(t->metering_party, sizeof t->metering_party, "MN-PIPE");
	ck_assert_int_eq(corridor_contract_propose(w.l, pipe, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.gaz, "T1", prop, NULL, &seq, &d), 0);
	free(t);
	int64_t day0 = utc("2026-02-28T16:00:00Z"); /* 2026-03-01 00:00 +08:00 */
	uint64_t first_reading = 0;
	for (int i = 0; i < 31; i++) {
		struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
						       .start_s = day0 + (int64_t)i * 86400,
						       .end_s = day0 + (int64_t)(i + 1) * 86400,
						       .quantity_milli = 100000, .quality = 'A' };
		ck_assert_msg(corridor_delivery_record(w.l, w.gaz, &r, &seq, &d) == 0, "%s", d.text);
		if (i == 0)
			first_reading = seq;
		r.meter = "CN-M1";
		r.quantity_milli = i == 9 ? 101000 : 100400;
		ck_assert_msg(corridor_delivery_record(w.l, w.buy, &r, &seq, &d) == 0, "%s", d.text);
	}
	int32_t march;
	ck_assert_int_eq(corridor_date_parse("2026-03-01", 10, &march), 0);
	struct corridor_meter_report m;
	ck_assert_int_eq(corridor_report_meters(w.l, "G1", march, &m, &d), 0);
	ck_assert_uint_eq(m.count, 31);
	ck_assert_uint_eq(m.agree, 30); /* 0.4 apart, 0.5 allowed at 5 per mille */
	ck_assert_uint_eq(m.disputed, 1);
	ck_assert_int_eq(m.rows[9].status, CORRIDOR_METER_DISPUTED);
	ck_assert_int_eq(m.total_billing_milli, 3100000);
	ck_assert_int_eq(m.total_other_milli, 30 * 100400 + 101000);
	corridor_meter_report_release(&m);
	struct perf_hold h = { .n = 0 };
	ck_assert_int_eq(corridor_report_performance(w.l, NULL, march, hold_perf, &h, &d), 0);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(h.p[0].contract, "G1");
	ck_assert_int_eq(h.p[0].billable_milli, 3100000);
	ck_assert_int_eq(h.p[0].min_milli, 3000000);
	ck_assert_int_eq(h.p[0].max_milli, 3050000);
	ck_assert_int_eq(h.p[0].excess_milli, 50000);
	ck_assert_int_eq(h.p[0].shortfall_milli, 0);
	ck_assert_uint_eq(h.p[0].disputed, 1);
	ck_assert_str_eq(h.p[1].contract, "T1"); /* transit carries G1's 3100 MWh */
	ck_assert_int_eq(h.p[1].billable_milli, 3100000);
	ck_assert(!h.p[1].has_min && !h.p[1].has_max);
	/* A correction changes the billable quantity; a correction to 0 removes it. */
	ck_assert_int_eq(corridor_delivery_correct(w.l, w.gaz, first_reading, 0, "meter fault", NULL,
						   &seq, &d), 0);
	h.n = 0;
	ck_assert_int_eq(corridor_report_performance(w.l, "G1", march, hold_perf, &h, &d), 0);
	ck_assert_int_eq(h.p[0].billable_milli, 3000000);
	ck_assert_int_eq(h.p[0].excess_milli, 0);
	/* A month of the term only partly inside: the band is prorated, half to even. */
	int32_t jan;
	ck_assert_int_eq(corridor_date_parse("2026-01-01", 10, &jan), 0);
	h.n = 0;
	ck_assert_int_eq(corridor_report_performance(w.l, "G1", jan, hold_perf, &h, &d), 0);
	ck_assert_int_eq(h.p[0].min_milli, 3000000); /* term covers all of January */
	ck_assert_int_eq(h.p[0].shortfall_milli, 3000000);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	corridor_signer_free(pipe);
	dw_close(&w);
}
END_TEST

START_TEST(rounding_is_half_to_even)
{
	int64_t v;
	const struct {
		long long num, den, want;
	} cases[] = {
		{ 5, 2, 2 },   { 7, 2, 4 },   { -5, 2, -2 }, { -7, 2, -4 }, { 1, 3, 0 },
		{ 2, 3, 1 },   { -1, 3, 0 },  { -2, 3, -1 }, { 10, 5, 2 },  { 0, 7, 0 },
		{ 375187545, 10, 37518754 }, /* SETTLEMENT.md's tie, 37518754.5 -> even */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(corridor_div_round(cases[i].num, cases[i].den, &v), 0);
		ck_assert_msg(v == cases[i].want, "%lld/%lld -> %lld", cases[i].num, cases[i].den,
			      (long long)v);
	}
	/* The worked example's amounts, from its own inputs. */
	ck_assert_int_eq(corridor_div_round((corridor_i128)1500000 * 250125030 * 100, 1000000000, &v), 0);
	ck_assert_int_eq(v, 37518754);
	ck_assert_int_eq(corridor_div_round((corridor_i128)50000 * 250125030 * 1500 * 100,
					    (corridor_i128)1000000000 * 10000, &v), 0);
	ck_assert_int_eq(v, 187594);
	ck_assert_int_eq(corridor_div_round((corridor_i128)INT64_MAX * 4, 2, &v), CORRIDOR_E_OVERFLOW);
}
END_TEST

/* ---- ledger against ledger ---- */

struct rows_seen {
	size_t n;
	struct corridor_diff_row r[16];
};

static int keep_row(void *ctx, const struct corridor_diff_row *row)
{
	struct rows_seen *rs = ctx;
	ck_assert_uint_lt(rs->n, 16);
	rs->r[rs->n++] = *row;
	return 0;
}

static void amend_price(struct dw *w, int32_t day, int64_t price_micro)
{
	struct corridor_diag d;
	uint64_t prop, seq;
	struct corridor_contract_terms *t = malloc(sizeof *t);
	test_terms("gas-G1.json", t);
	t->prices[1].price_micro = price_micro;
	ck_assert_msg(corridor_contract_amend(w->l, w->buy, t, day, NULL, &prop, &d) == 0, "%s",
		      d.text);
	ck_assert_int_eq(corridor_contract_accept(w->l, w->gaz, "G1", prop, NULL, &seq, &d), 0);
	free(t);
}

/* Two ledgers holding the same contract and overlapping readings: every
 * difference is found once, in key order, with the fields that differ. */
START_TEST(diff_two_ledgers)
{
	struct dw a, b;
	struct corridor_diag d;
	uint64_t seq, a_new, a_q, b_q, b_only;
	dw_open(&a, true);
	dw_open(&b, true);
	int32_t apr10;
	ck_assert_int_eq(corridor_date_parse("2026-04-10", 10, &apr10), 0);
	amend_price(&a, apr10, 265500000);
	amend_price(&b, apr10, 266000000);
	struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
					       .start_s = utc("2026-03-09T16:00:00Z"),
					       .end_s = utc("2026-03-10T16:00:00Z"),
					       .quantity_milli = 100000, .quality = 'A' };
	/* Day 1 on both, equal; day 2 on both, A corrected to another quantity
	 * and marked estimated; day 3 on A only; day 4 on B only. */
	ck_assert_int_eq(corridor_delivery_record(a.l, a.gaz, &r, &seq, &d), 0);
	ck_assert_int_eq(corridor_delivery_record(b.l, b.gaz, &r, &seq, &d), 0);
	r.start_s += 86400;
	r.end_s += 86400;
	ck_assert_int_eq(corridor_delivery_record(a.l, a.gaz, &r, &seq, &d), 0);
	ck_assert_int_eq(corridor_delivery_correct(a.l, a.gaz, seq, 99000, "recount", NULL, &a_q,
						   &d), 0);
	r.quality = 'E';
	ck_assert_int_eq(corridor_delivery_record(b.l, b.gaz, &r, &b_q, &d), 0);
	r.quality = 'A';
	r.start_s += 86400;
	r.end_s += 86400;
	ck_assert_int_eq(corridor_delivery_record(a.l, a.gaz, &r, &a_new, &d), 0);
	r.start_s += 86400;
	r.end_s += 86400;
	ck_assert_int_eq(corridor_delivery_record(b.l, b.gaz, &r, &b_only, &d), 0);

	struct corridor_head ha, hb, ha2, hb2;
	ck_assert_int_eq(corridor_ledger_head(a.l, &ha), 0);
	ck_assert_int_eq(corridor_ledger_head(b.l, &hb), 0);
	struct rows_seen rs = { 0 };
	struct corridor_diff_totals t;
	ck_assert_int_eq(corridor_report_diff(a.l, b.l, keep_row, &rs, &t, &d), 0);
	ck_assert_uint_eq(rs.n, 5);
	ck_assert_int_eq(rs.r[0].kind, CORRIDOR_DIFF_CONTRACT);
	ck_assert_str_eq(rs.r[0].key, "G1");
	ck_assert_int_eq(rs.r[0].status, CORRIDOR_DIFF_DIFFER);
	ck_assert_str_eq(rs.r[0].fields, "prices");
	ck_assert_str_eq(rs.r[1].key, "G1/M1/2026-03-09T16:00:00Z");
	ck_assert_int_eq(rs.r[1].status, CORRIDOR_DIFF_MATCH);
	ck_assert_str_eq(rs.r[2].key, "G1/M1/2026-03-10T16:00:00Z");
	ck_assert_int_eq(rs.r[2].status, CORRIDOR_DIFF_DIFFER);
	ck_assert_str_eq(rs.r[2].fields, "quantity,quality");
	ck_assert_uint_eq(rs.r[2].ours_seq, a_q); /* the correction, not the original */
	ck_assert_uint_eq(rs.r[2].theirs_seq, b_q);
	ck_assert_str_eq(rs.r[3].key, "G1/M1/2026-03-11T16:00:00Z");
	ck_assert_int_eq(rs.r[3].status, CORRIDOR_DIFF_OURS_ONLY);
	ck_assert_uint_eq(rs.r[3].ours_seq, a_new);
	ck_assert_uint_eq(rs.r[3].theirs_seq, 0);
	ck_assert_str_eq(rs.r[4].key, "G1/M1/2026-03-12T16:00:00Z");
	ck_assert_int_eq(rs.r[4].status, CORRIDOR_DIFF_THEIRS_ONLY);
	ck_assert_uint_eq(rs.r[4].theirs_seq, b_only);
	ck_assert_uint_eq(t.count[0][CORRIDOR_DIFF_DIFFER - 1], 1);
	ck_assert_uint_eq(t.count[1][CORRIDOR_DIFF_MATCH - 1], 1);
	ck_assert_uint_eq(t.count[1][CORRIDOR_DIFF_DIFFER - 1], 1);
	ck_assert_uint_eq(t.count[1][CORRIDOR_DIFF_OURS_ONLY - 1], 1);
	ck_assert_uint_eq(t.count[1][CORRIDOR_DIFF_THEIRS_ONLY - 1], 1);
	/* Swapped sides: the mirror image. */
	rs.n = 0;
	ck_assert_int_eq(corridor_report_diff(b.l, a.l, keep_row, &rs, &t, &d), 0);
	ck_assert_uint_eq(rs.n, 5);
	ck_assert_int_eq(rs.r[3].status, CORRIDOR_DIFF_THEIRS_ONLY);
	ck_assert_int_eq(rs.r[4].status, CORRIDOR_DIFF_OURS_ONLY);
	/* A ledger against itself: all match. Neither side was written. */
	rs.n = 0;
	ck_assert_int_eq(corridor_report_diff(a.l, a.l, keep_row, &rs, &t, &d), 0);
	for (size_t i = 0; i < rs.n; i++)
		ck_assert_int_eq(rs.r[i].status, CORRIDOR_DIFF_MATCH);
	ck_assert_int_eq(corridor_ledger_head(a.l, &ha2), 0);
	ck_assert_int_eq(corridor_ledger_head(b.l, &hb2), 0);
	ck_assert_uint_eq(ha2.size, ha.size);
	ck_assert_uint_eq(hb2.size, hb.size);
	dw_close(&a);
	dw_close(&b);
}
END_TEST

Suite *suite_deliveries(void)
{
	Suite *s = suite_create("deliveries");
	TCase *tc = tcase_create("readings");
	tcase_add_test(tc, rfc4180_reader);
	tcase_add_test(tc, reader_mutations_never_crash);
	tcase_add_test(tc, recording_rules);
	tcase_add_test(tc, import_edge_cases);
	tcase_add_test(tc, series_import_and_corrections);
	tcase_add_test(tc, series_missing_points_and_bad_series);
	tcase_add_test(tc, mixed_resolutions_in_the_meter_report);
	tcase_add_test(tc, worked_example_billable_quantity);
	tcase_add_test(tc, rounding_is_half_to_even);
	tcase_add_test(tc, diff_two_ledgers);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
