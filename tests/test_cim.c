/* test_cim.c — meter data as system operators send it: the IEC 62325
 * Measurement Value Document read into series (docs/DELIVERIES.md
 * "Measurement Value Document"), checked against the ENTSO-E schema with
 * xmllint, its refusals, revisions, and export back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define ORIGIN "corridor.example/cim"
#define DOC_BYTES_MAX (2u << 20)

/* ---- documents, written here from the schema ---- */

/* One interval of a generated series: its quantity text (NULL: none) and
 * quality code (NULL: none). */
struct gen_point {
	const char *quantity, *quality;
};
typedef struct gen_point (*gen_fn)(void *ctx, int64_t start_s);

struct gen_series {
	const char *mrid, *point, *in, *out, *unit, *curve;
	uint32_t res;
	gen_fn fn;
	void *ctx;
};

struct gen_doc {
	const char *mrid;
	unsigned revision;
	int64_t start_s, end_s; /* one Period per UTC day within */
	struct gen_series s[4];
	size_t ns;
};

static void minute(int64_t t, char out[21])
{
	corridor_utc_format(t, out);
	memcpy(out + 16, "Z", 2);
}

static size_t put(char *buf, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t put(char *buf, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + at, DOC_BYTES_MAX - at, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt(at + (size_t)n, DOC_BYTES_MAX);
	return at + (size_t)n;
}

/* The document as an independent sender writes it: elements in the
 * schema's order, each UTC day one Period, every position a Point. */
static char *gen(const struct gen_doc *g)
{
	char *b = malloc(DOC_BYTES_MAX), a[21], e[21];
	ck_assert_ptr_nonnull(b);
	minute(g->start_s, a);
	minute(g->end_s, e);
	size_t at = put(b, 0,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<MeasurementValue_MarketDocument "
			"xmlns=\"urn:iec62325.351:tc57wg16:451-n:measurementvaluedocument:1:1\">\n"
			"  <mRID>%s</mRID>\n  <revisionNumber>%u</revisionNumber>\n"
			"  <type>A45</type>\n  <process.processType>A20</process.processType>\n"
			"  <sender_MarketParticipant.mRID codingScheme=\"A01\">99XRU-SO-------M"
			"</sender_MarketParticipant.mRID>\n"
			"  <sender_MarketParticipant.marketRole.type>A04"
			"</sender_MarketParticipant.marketRole.type>\n"
			"  <receiver_MarketParticipant.mRID codingScheme=\"A01\">99XCN-SO-------N"
			"</receiver_MarketParticipant.mRID>\n"
			"  <receiver_MarketParticipant.marketRole.type>A04"
			"</receiver_MarketParticipant.marketRole.type>\n"
			"  <createdDateTime>2026-04-01T06:00:00Z</createdDateTime>\n"
			"  <period.timeInterval>\n    <start>%s</start>\n    <end>%s</end>\n"
			"  </period.timeInterval>\n"
			"  <domain.mRID codingScheme=\"A01\">99YRU-AREA-----1</domain.mRID>\n",
			g->mrid, g->revision, a, e);
	for (size_t i = 0; i < g->ns; i++) {
		const struct gen_series *s = &g->s[i];
		at = put(b, at,
			 "  <TimeSeries>\n    <mRID>%s</mRID>\n    <businessType>A65</businessType>\n"
			 "    <product>8716867000030</product>\n    <curveType>%s</curveType>\n"
			 "    <in_Domain.mRID codingScheme=\"A01\">%s</in_Domain.mRID>\n"
			 "    <out_Domain.mRID codingScheme=\"A01\">%s</out_Domain.mRID>\n",
			 s->mrid, s->curve ? s->curve : "A01", s->in, s->out);
		if (s->point)
			at = put(b, at,
				 "    <marketEvaluationPoint.mRID codingScheme=\"A01\">%s"
				 "</marketEvaluationPoint.mRID>\n",
				 s->point);
		at = put(b, at, "    <measurement_Unit.name>%s</measurement_Unit.name>\n", s->unit);
		for (int64_t day = g->start_s - (g->start_s % 86400); day < g->end_s; day += 86400) {
			int64_t p0 = day > g->start_s ? day : g->start_s;
			int64_t p1 = day + 86400 < g->end_s ? day + 86400 : g->end_s;
			minute(p0, a);
			minute(p1, e);
			at = put(b, at,
				 "    <Period>\n      <timeInterval>\n        <start>%s</start>\n"
				 "        <end>%s</end>\n      </timeInterval>\n"
				 "      <resolution>PT%uM</resolution>\n",
				 a, e, s->res / 60);
			for (int64_t t = p0; t < p1; t += s->res) {
				struct gen_point pt = s->fn(s->ctx, t);
				if (!pt.quantity && !pt.quality)
					continue; /* a position left out (A03) */
				at = put(b, at, "      <Point><position>%lld</position>",
					 (long long)((t - p0) / s->res + 1));
				if (pt.quantity)
					at = put(b, at, "<quantity>%s</quantity>", pt.quantity);
				if (pt.quality)
					at = put(b, at, "<quality>%s</quality>", pt.quality);
				at = put(b, at, "</Point>\n");
			}
			at = put(b, at, "    </Period>\n");
		}
		at = put(b, at, "  </TimeSeries>\n");
	}
	put(b, at, "</MeasurementValue_MarketDocument>\n");
	return b;
}

/* xmllint's verdict on a document against the ENTSO-E schema (tests/cim,
 * the XSDs as published). */
static bool schema_valid(const char *dir, const char *xml)
{
	const char *file = path_join(dir, "doc.xml");
	ck_assert(spit(file, xml, strlen(xml)));
	const char *src = getenv("CORRIDOR_SRC");
	char xsd[1024], cmd[4096];
	snprintf(xsd, sizeof xsd, "%s/tests/cim/iec62325-451-n-measurementvalue_v1_1.xsd",
		 src ? src : ".");
	snprintf(cmd, sizeof cmd, "xmllint --noout --nonet --schema '%s' '%s' 2>/dev/null", xsd, file);
	int rc = system(cmd);
	return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

/* ---- the ledger: G1 (MWh at +08:00, RU-GAZ bills M1, CN-BUY meters CN-M1) ---- */

struct cw {
	char *dir;
	struct corridor_ledger *l;
	struct corridor_signer *op, *gaz, *buy, *fx, *agent, *pipe;
};

static int32_t day_of(const char *s)
{
	int32_t v;
	ck_assert_int_eq(corridor_date_parse(s, strlen(s), &v), 0);
	return v;
}

static int64_t utc(const char *s)
{
	int64_t v;
	ck_assert_int_eq(corridor_utc_parse(s, strlen(s), &v), 0);
	return v;
}

static void cw_open(struct cw *w)
{
	struct corridor_diag d;
	uint64_t prop, seq;
	memset(w, 0, sizeof *w);
	w->dir = tmpdir_new();
	w->op = test_signer(ORIGIN, 1);
	/* RU-GAZ's key as a file too: the binary runs as the recorder */
	ck_assert_int_eq(corridor_key_generate("RU-GAZ", "pw", 2, CORRIDOR_KDF_INTERACTIVE,
					       path_join(w->dir, "gaz.key"), &d),
			 0);
	ck_assert_int_eq(corridor_signer_load(path_join(w->dir, "gaz.key"), "pw", 2, &w->gaz, &d), 0);
	w->buy = test_signer("CN-BUY", 3);
	w->fx = test_signer("FX-PUB", 5);
	w->agent = test_signer("SETTLER", 6);
	w->pipe = test_signer("MN-PIPE", 7);
	ck_assert_int_eq(corridor_ledger_create(path_join(w->dir, "L"), w->op, &w->l, &d), 0);
	test_party(w->l, w->op, w->gaz, "RU", CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_BUYER);
	test_party(w->l, w->op, w->buy, "RU", CORRIDOR_ROLE_BUYER);
	test_party(w->l, w->op, w->fx, "RU", CORRIDOR_ROLE_RATES);
	test_party(w->l, w->op, w->agent, "RU", CORRIDOR_ROLE_SETTLEMENT);
	test_party(w->l, w->op, w->pipe, "RU", CORRIDOR_ROLE_SELLER);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	test_terms("gas-G1.json", t);
	/* from March, so March is the first period to settle */
	t->start_day = t->prices[0].from_day = day_of("2026-03-01");
	ck_assert_msg(corridor_contract_propose(w->l, w->gaz, t, NULL, &prop, &d) == 0, "%s", d.text);
	ck_assert_int_eq(corridor_contract_accept(w->l, w->buy, "G1", prop, NULL, &seq, &d), 0);
	/* G2: the same parties, in GJ (no Measurement Value Document carries it) */
	snprintf(t->id, sizeof t->id, "G2");
	snprintf(t->unit, sizeof t->unit, "GJ");
	snprintf(t->billing_meter, sizeof t->billing_meter, "M2");
	ck_assert_msg(corridor_contract_propose(w->l, w->gaz, t, NULL, &prop, &d) == 0, "%s", d.text);
	ck_assert_int_eq(corridor_contract_accept(w->l, w->buy, "G2", prop, NULL, &seq, &d), 0);
	free(t);
	struct corridor_rate r = { .source = "PBOC", .base = "USD", .quote = "CNY",
				   .rate_e8 = 712345678, .day = day_of("2026-03-27") };
	ck_assert_int_eq(corridor_rate_record(w->l, w->fx, &r, false, NULL, &seq, &d), 0);
}

static void cw_close(struct cw *w)
{
	corridor_ledger_close(w->l);
	corridor_signer_free(w->op);
	corridor_signer_free(w->gaz);
	corridor_signer_free(w->buy);
	corridor_signer_free(w->fx);
	corridor_signer_free(w->agent);
	corridor_signer_free(w->pipe);
	rm_rf(w->dir);
	free(w->dir);
}

static uint64_t log_size(struct cw *w)
{
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(w->l, &h), 0);
	return h.size;
}

static int import_as(struct cw *w, const struct corridor_signer *s,
		     enum corridor_delivery_format f, const char *text, const char *map,
		     const char *reason, size_t *written, size_t *skipped, struct corridor_diag *d)
{
	struct corridor_delivery_import_opts o = { .format = f, .map = map,
						   .map_len = map ? strlen(map) : 0,
						   .reason = reason, .batch_entries = 50 };
	corridor_diag_init(d);
	return corridor_delivery_import_with(w->l, s, text, strlen(text), &o, written, skipped, d);
}

/* ---- March 2026 at +08:00: RU-GAZ hourly on M1, CN-BUY quarter-hourly on CN-M1 ---- */

#define MARCH_START "2026-02-28T16:00:00Z"
#define MARCH_END "2026-03-31T16:00:00Z"

struct values {
	char text[32];
	int64_t from_s;
};

/* RU-GAZ's hour: 4.1 MWh and a little more by the hour of the day; one hour
 * estimated, one calculated. */
static int64_t gaz_milli(int64_t t)
{
	return 4100 + (t / 3600) % 24 * 3;
}

static char gaz_quality(int64_t t, int64_t from)
{
	int64_t h = (t - from) / 3600;
	return h == 30 ? 'E' : h == 100 ? 'C' : 'A';
}

/* CN-BUY's quarter hour: a quarter of the hour's, 1 kWh more; one quarter
 * not available (missing), one temporary. */
static int64_t buy_milli(int64_t t)
{
	return gaz_milli(t - t % 3600) / 4 + 1;
}

static char buy_quality(int64_t t, int64_t from)
{
	int64_t q = (t - from) / 900;
	return q == 500 ? 'M' : q == 777 ? 'T' : 'A';
}

static const char *cim_code(char q)
{
	switch (q) {
	case 'E': return "A03";
	case 'C': return "A06";
	case 'T': return "A07";
	case 'M': return "A02";
	default: return NULL;
	}
}

static struct gen_point gaz_point(void *ctx, int64_t t)
{
	struct values *v = ctx;
	int64_t q = gaz_milli(t);
	snprintf(v->text, sizeof v->text, "%lld.%03lld", (long long)(q / 1000), (long long)(q % 1000));
	return (struct gen_point){ v->text, cim_code(gaz_quality(t, v->from_s)) };
}

static struct gen_point buy_point(void *ctx, int64_t t)
{
	struct values *v = ctx;
	char q = buy_quality(t, v->from_s);
	if (q == 'M')
		return (struct gen_point){ NULL, "A02" };
	/* in kWh, as the buyer's system sends it */
	snprintf(v->text, sizeof v->text, "%lld", (long long)buy_milli(t));
	return (struct gen_point){ v->text, cim_code(q) };
}

static char *march_csv(const char *meter, int64_t from, int64_t to, uint32_t res,
		       int64_t (*milli)(int64_t), char (*quality)(int64_t, int64_t))
{
	size_t cap = 64u << 20, at = 0;
	char *b = malloc(cap);
	ck_assert_ptr_nonnull(b);
	at += (size_t)snprintf(b, cap, "contract,start,end,quantity,meter,reference,quality\n");
	for (int64_t t = from; t < to; t += res) {
		char q = quality(t, from), a[21], e[21];
		if (q == 'M')
			continue;
		int64_t m = res == 900 ? milli(t) : milli(t);
		corridor_utc_format(t, a);
		corridor_utc_format(t + res, e);
		at += (size_t)snprintf(b + at, cap - at, "G1,%s,%s,%lld.%03lld,%s,%s-%lld,%c\n", a, e,
				       (long long)(m / 1000), (long long)(m % 1000), meter, meter,
				       (long long)t, q);
		ck_assert_uint_lt(at, cap);
	}
	return b;
}

/* CN-BUY's quarter hours are in MWh in the ledger: kWh / 1000 exactly. */
static int64_t buy_milli_mwh(int64_t t)
{
	return buy_milli(t); /* 1 kWh = 1 milli-MWh */
}

struct perf_hold {
	struct corridor_performance p;
	size_t n;
};

static int hold_perf(void *ctx, const struct corridor_performance *p)
{
	struct perf_hold *h = ctx;
	h->p = *p;
	h->n++;
	return 0;
}

START_TEST(cim_and_csv_give_the_same_reports)
{
	struct cw a, b;
	struct corridor_diag d;
	size_t wr, sk;
	cw_open(&a);
	cw_open(&b);
	int64_t from = utc(MARCH_START), to = utc(MARCH_END);
	/* ledger a from CSV */
	char *csv = march_csv("M1", from, to, 3600, gaz_milli, gaz_quality);
	ck_assert_msg(import_as(&a, a.gaz, CORRIDOR_DELIVERIES_CSV, csv, NULL, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 31 * 24);
	free(csv);
	csv = march_csv("CN-M1", from, to, 900, buy_milli_mwh, buy_quality);
	ck_assert_msg(import_as(&a, a.buy, CORRIDOR_DELIVERIES_CSV, csv, NULL, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 31 * 96 - 1);
	free(csv);
	/* ledger b from two documents: a UTC-day document brings the last 8
	 * hours of one local day and the first 16 of the next */
	struct values gv = { .from_s = from }, bv = { .from_s = from };
	struct gen_doc gd = { .mrid = "MVD-RU-M1-2026-03", .revision = 1, .start_s = from,
			      .end_s = to, .ns = 1 };
	gd.s[0] = (struct gen_series){ .mrid = "1", .point = "M1", .in = "99YCN-AREA-----2",
				       .out = "99YRU-AREA-----1", .unit = "MWH", .res = 3600,
				       .fn = gaz_point, .ctx = &gv };
	char *xml = gen(&gd);
	ck_assert_msg(schema_valid(b.dir, xml), "the RU document does not validate");
	uint64_t before = log_size(&b);
	ck_assert_msg(import_as(&b, b.gaz, CORRIDOR_DELIVERIES_MVD, xml, NULL, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 31 * 24);
	ck_assert_uint_eq(log_size(&b) - before, 31); /* one series per local day */
	free(xml);
	/* CN-BUY's series names no point: the map places it by its domains */
	struct gen_doc bd = { .mrid = "MVD-CN-2026-03", .revision = 1, .start_s = from,
			      .end_s = to, .ns = 1 };
	bd.s[0] = (struct gen_series){ .mrid = "7", .in = "99YCN-AREA-----2",
				       .out = "99YRU-AREA-----1", .unit = "KWH", .res = 900,
				       .fn = buy_point, .ctx = &bv };
	xml = gen(&bd);
	ck_assert_msg(schema_valid(b.dir, xml), "the CN document does not validate");
	const char *map = "point,in_domain,out_domain,contract,meter\n"
			  ",99YCN-AREA-----2,99YRU-AREA-----1,G1,CN-M1\n";
	ck_assert_msg(import_as(&b, b.buy, CORRIDOR_DELIVERIES_MVD, xml, map, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 31 * 96 - 1);
	free(xml);
	/* the same meter report, performance and invoice */
	int32_t mar = day_of("2026-03-01");
	struct corridor_meter_report ma, mb;
	ck_assert_msg(corridor_report_meters(a.l, "G1", mar, &ma, &d) == 0, "%s", d.text);
	ck_assert_msg(corridor_report_meters(b.l, "G1", mar, &mb, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(ma.count, mb.count);
	ck_assert_uint_ge(ma.count, 31 * 24);
	for (size_t i = 0; i < ma.count; i++) {
		const struct corridor_meter_row *x = &ma.rows[i], *y = &mb.rows[i];
		ck_assert(x->start_s == y->start_s && x->end_s == y->end_s &&
			  x->has_billing == y->has_billing && x->has_other == y->has_other &&
			  x->billing_milli == y->billing_milli && x->other_milli == y->other_milli &&
			  x->status == y->status);
	}
	ck_assert_int_eq(ma.total_billing_milli, mb.total_billing_milli);
	ck_assert_int_eq(ma.total_other_milli, mb.total_other_milli);
	ck_assert_uint_eq(ma.billing_only, 1); /* the hour with a missing quarter */
	ck_assert_uint_eq(ma.agree, mb.agree);
	corridor_meter_report_release(&ma);
	corridor_meter_report_release(&mb);
	struct perf_hold pa = { .n = 0 }, pb = { .n = 0 };
	ck_assert_int_eq(corridor_report_performance(a.l, "G1", mar, hold_perf, &pa, &d), 0);
	ck_assert_int_eq(corridor_report_performance(b.l, "G1", mar, hold_perf, &pb, &d), 0);
	ck_assert_uint_eq(pa.n, 1);
	ck_assert_int_eq(pa.p.billable_milli, pb.p.billable_milli);
	ck_assert_int_eq(pa.p.shortfall_milli, pb.p.shortfall_milli);
	ck_assert_int_eq(pa.p.excess_milli, pb.p.excess_milli);
	ck_assert_uint_eq(pa.p.intervals, pb.p.intervals);
	ck_assert_uint_eq(pa.p.disputed, pb.p.disputed);
	ck_assert_int_gt(pa.p.billable_milli, 0);
	struct corridor_batch ba, bb;
	ck_assert_msg(corridor_settle_run_contract(a.l, a.agent, mar, "G1", true, &ba, &d) == 0, "%s",
		      d.text);
	ck_assert_msg(corridor_settle_run_contract(b.l, b.agent, mar, "G1", true, &bb, &d) == 0, "%s",
		      d.text);
	ck_assert_uint_eq(ba.invoice_count, 1);
	ck_assert_uint_eq(bb.invoice_count, 1);
	ck_assert_int_eq(ba.invoices[0].total_minor, bb.invoices[0].total_minor);
	ck_assert_int_eq(ba.invoices[0].subtotal_minor, bb.invoices[0].subtotal_minor);
	ck_assert_uint_eq(ba.invoices[0].line_count, bb.invoices[0].line_count);
	corridor_batch_release(&ba);
	corridor_batch_release(&bb);
	ck_assert_msg(corridor_ledger_verify(b.l, NULL, NULL, &d) == 0, "%s", d.text);
	cw_close(&a);
	cw_close(&b);
}
END_TEST

/* ---- one day, revisions, export ---- */

struct day_values {
	char text[32];
	int64_t bump_s; /* this interval's quantity differs (0: none) */
};

static struct gen_point day_point(void *ctx, int64_t t)
{
	struct day_values *v = ctx;
	int64_t q = gaz_milli(t) + (t == v->bump_s ? 7 : 0);
	snprintf(v->text, sizeof v->text, "%lld.%03lld", (long long)(q / 1000), (long long)(q % 1000));
	return (struct gen_point){ v->text, NULL };
}

static char *one_day(const char *mrid, unsigned revision, int64_t bump_s, uint32_t res)
{
	static struct day_values v;
	v.bump_s = bump_s;
	struct gen_doc g = { .mrid = mrid, .revision = revision,
			     .start_s = utc("2026-03-02T00:00:00Z"),
			     .end_s = utc("2026-03-03T00:00:00Z"), .ns = 1 };
	g.s[0] = (struct gen_series){ .mrid = "1", .point = "M1", .in = "99YCN-AREA-----2",
				      .out = "99YRU-AREA-----1", .unit = "MWH", .res = res,
				      .fn = day_point, .ctx = &v };
	return gen(&g);
}

START_TEST(revisions_corrections_and_export)
{
	struct cw w;
	struct corridor_diag d;
	size_t wr, sk;
	cw_open(&w);
	int64_t hour5 = utc("2026-03-02T05:00:00Z");
	char *r1 = one_day("MVD-1", 1, 0, 3600);
	ck_assert(schema_valid(w.dir, r1));
	ck_assert_msg(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, r1, NULL, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 24);
	uint64_t size = log_size(&w);
	/* the same document again appends nothing */
	ck_assert_int_eq(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, r1, NULL, NULL, &wr, &sk, &d), 0);
	ck_assert_uint_eq(wr, 0);
	ck_assert_uint_eq(sk, 24);
	ck_assert_uint_eq(log_size(&w), size);
	/* revision 1 again with another value: a conflict, nothing written */
	char *r1b = one_day("MVD-1", 1, hour5, 3600);
	UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, r1b, NULL, NULL, &wr, &sk, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "conflicts with revision 1") && strstr(d.text, "line "), "%s",
		      d.text);
	/* revision 2: the changed hour is a correction, with the revision as reason */
	char *r2 = one_day("MVD-1", 2, hour5, 3600);
	ck_assert(schema_valid(w.dir, r2));
	ck_assert_msg(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, r2, NULL, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 1);
	ck_assert_uint_eq(sk, 23);
	ck_assert_uint_eq(log_size(&w), size + 1);
	ck_assert_int_eq(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, r2, NULL, NULL, &wr, &sk, &d), 0);
	ck_assert_uint_eq(wr, 0);
	/* an older revision after a newer one: refused */
	UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, r1, NULL, NULL, &wr, &sk, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "conflicts with revision 2"), "%s", d.text);
	/* another document with other values: only with a reason */
	char *other = one_day("MVD-OTHER", 1, hour5 + 3600, 3600);
	UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, other, NULL, NULL, &wr, &sk, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "--reason"), "%s", d.text);
	ck_assert_msg(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, other, NULL,
				"the meter was recalibrated", &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 2); /* hour 6 bumped, hour 5 back to revision 1's value */
	/* the day as the ledger holds it, exported: valid, and re-imported with
	 * the recorder's key it appends nothing */
	struct corridor_delivery_export_opts eo = {
		.format = CORRIDOR_DELIVERIES_MVD, .contract = "G1",
		.period_first_day = day_of("2026-03-01"),
		.map = "point,in_domain,out_domain,contract,meter\n"
		       "M1,99YCN-AREA-----2,99YRU-AREA-----1,G1,M1\n",
		.sender = "99XRU-SO-------M", .receiver = "99XCN-SO-------N", .revision = 1,
		.created_s = utc("2026-04-01T00:00:00Z") };
	eo.map_len = strlen(eo.map);
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_msg(corridor_delivery_export(w.l, &eo, f, &n, &d) == 0, "%s", d.text);
	fclose(f);
	ck_assert_uint_eq(n, 24);
	ck_assert_msg(schema_valid(w.dir, buf), "the export does not validate");
	ck_assert_ptr_nonnull(strstr(buf, "<mRID>G1-2026-03-RU-GAZ</mRID>"));
	const char *xml_path = path_join(w.dir, "export.xml");
	ck_assert(spit(xml_path, buf, len));
	size = log_size(&w);
	corridor_ledger_close(w.l);
	w.l = NULL;
	/* the real binary, as the recorder runs it */
	char key[4096];
	snprintf(key, sizeof key, "%s", path_join(w.dir, "gaz.key"));
	char ledger[4096];
	snprintf(ledger, sizeof ledger, "%s", path_join(w.dir, "L"));
	const char *argv[] = { "delivery", "import", "--key", key, "--format",
			       "cim", "--ledger", ledger, xml_path, NULL };
	const char *env[] = { "CORRIDOR_PASSPHRASE=pw", NULL };
	struct run r = run_cli(argv, env);
	ck_assert_msg(r.status == 0 && strstr(r.out, "imported 0 readings, 24 already there"),
		      "%d: %s%s", r.status, r.out, r.err);
	run_free(&r);
	/* and the CSV export likewise */
	const char *csv_path = path_join(w.dir, "export.csv");
	char csv_copy[4096];
	snprintf(csv_copy, sizeof csv_copy, "%s", csv_path);
	const char *eargv[] = { "delivery", "export", "--format", "csv",
				"--contract", "G1", "--period", "2026-03", "--ledger", ledger,
				"--out", csv_copy, NULL };
	r = run_cli(eargv, env);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
	const char *iargv[] = { "delivery", "import", "--key", key, "--ledger",
				ledger, csv_copy, NULL };
	r = run_cli(iargv, env);
	ck_assert_msg(r.status == 0 && strstr(r.out, "imported 0 readings, 24 already there"),
		      "%d: %s%s", r.status, r.out, r.err);
	run_free(&r);
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &w.l, &d), 0);
	ck_assert_uint_eq(log_size(&w), size);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	free(buf);
	free(r1);
	free(r1b);
	free(r2);
	free(other);
	cw_close(&w);
}
END_TEST

/* ---- refusals: each names its line, and nothing is written ---- */

static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	ck_assert_msg(at != NULL, "no '%s' to replace", from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	ck_assert_ptr_nonnull(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

START_TEST(every_refusal_names_its_line)
{
	struct cw w;
	struct corridor_diag d;
	size_t wr, sk;
	cw_open(&w);
	char *day = one_day("MVD-R", 1, 0, 3600);
	static const struct {
		const char *from, *to;
		int code;
		bool schema_valid; /* the XSD accepts it: only the importer can refuse it */
		const char *want;
	} bad[] = {
		{ "<position>24</position>", "<position>25</position>", CORRIDOR_E_INVALID, true,
		  "position 25 is outside" },
		{ "<position>24</position>", "<position>23</position>", CORRIDOR_E_INVALID, true,
		  "given twice" },
		{ "<resolution>PT60M</resolution>", "<resolution>PT5M</resolution>",
		  CORRIDOR_E_INVALID, true, "resolution PT5M" },
		{ "        <end>2026-03-03T00:00Z</end>", "        <end>2026-03-02T23:30Z</end>",
		  CORRIDOR_E_INVALID, true, "whole number" },
		{ "<measurement_Unit.name>MWH", "<measurement_Unit.name>MAW", CORRIDOR_E_INVALID,
		  true, "KWH or MWH" },
		{ "<type>A45</type>", "<type>A44</type>", CORRIDOR_E_INVALID, true, "type A44" },
		{ "<process.processType>A20", "<process.processType>A21", CORRIDOR_E_INVALID, true,
		  "A20" },
		{ "<product>8716867000030", "<product>8716867000139", CORRIDOR_E_INVALID, true,
		  "active energy" },
		{ "<curveType>A01", "<curveType>A02", CORRIDOR_E_INVALID, true, "A01 or A03" },
		{ "<quantity>4.121</quantity>", "<quantity>-4.121</quantity>", CORRIDOR_E_INVALID,
		  true, "negative" },
		{ "<quantity>4.121</quantity>", "<quantity>4.1210001</quantity>",
		  CORRIDOR_E_INVALID, true, "more than 6 decimals" },
		{ "<quantity>4.121</quantity>", "<quantity>4.121</quantity><quality>A99</quality>",
		  CORRIDOR_E_INVALID, false, "A01-A07" },
		{ "<quantity>4.121</quantity>", "<quality>A03</quality>", CORRIDOR_E_INVALID, true,
		  "quality but no quantity" },
		{ "<quantity>4.121</quantity>", "<quantity>4.121</quantity><quality>A02</quality>",
		  CORRIDOR_E_INVALID, true, "A02 (not available) but has a quantity" },
		{ "        <start>2026-03-02T00:00Z</start>",
		  "        <start>2026-03-01T23:00Z</start>", CORRIDOR_E_INVALID, true,
		  "outside the document" },
		{ "xmlns=\"urn:iec62325.351:tc57wg16:451-n:measurementvaluedocument:1:1\"",
		  "xmlns=\"urn:iec62325.351:tc57wg16:451-n:measurementvaluedocument:1:0\"",
		  CORRIDOR_E_INVALID, false, "not a Measurement Value Document v1.1" },
		{ "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
		  "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
		  CORRIDOR_E_INVALID, false, "DOCTYPE" },
		{ "</MeasurementValue_MarketDocument>", "</MeasurementValue_MarketDocumen>",
		  CORRIDOR_E_MALFORMED, false, "not well-formed" },
		/* mapped, but the contract and the recorder say no */
		{ "<marketEvaluationPoint.mRID codingScheme=\"A01\">M1<",
		  "<marketEvaluationPoint.mRID codingScheme=\"A01\">M9<", CORRIDOR_E_INVALID, true,
		  "billing meter of no contract" },
		{ "<marketEvaluationPoint.mRID codingScheme=\"A01\">M1<",
		  "<marketEvaluationPoint.mRID codingScheme=\"A01\">M2<", CORRIDOR_E_INVALID, true,
		  "contract G2 in GJ" },
	};
	ck_assert(schema_valid(w.dir, day));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *doc = replace(day, bad[i].from, bad[i].to);
		if (bad[i].schema_valid)
			ck_assert_msg(schema_valid(w.dir, doc), "case %zu should pass the XSD", i);
		UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, doc, NULL, NULL, &wr, &sk,
					&d),
			  bad[i].code);
		ck_assert_msg(strstr(d.text, bad[i].want) != NULL, "case %zu: %s", i, d.text);
		ck_assert_msg(bad[i].code == CORRIDOR_E_MALFORMED || strstr(d.text, "line ") != NULL,
			      "case %zu names no line: %s", i, d.text);
		free(doc);
	}
	/* a missing position under A01: the Period is incomplete */
	char *gap = replace(day, "      <Point><position>12</position><quantity>4.133</quantity></Point>\n",
			    "");
	ck_assert(schema_valid(w.dir, gap));
	UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, gap, NULL, NULL, &wr, &sk, &d),
		  CORRIDOR_E_INVALID);
	ck_assert_msg(strstr(d.text, "curve A01: the Period has no Point at position 12"), "%s",
		      d.text);
	/* under A03 the same gap is a block: position 11's value for 11 and 12 */
	char *a03 = replace(gap, "<curveType>A01", "<curveType>A03");
	ck_assert_msg(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, a03, NULL, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 24);
	/* a party that may not record on G1's meter */
	char *late = one_day("MVD-P", 1, 0, 3600);
	UNCHANGED(&w, import_as(&w, w.pipe, CORRIDOR_DELIVERIES_MVD, late, NULL, NULL, &wr, &sk, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "line "), "%s", d.text);
	/* a map that does not parse, and one naming an unknown contract */
	UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, late, "point,contract\n", NULL,
				&wr, &sk, &d),
		  CORRIDOR_E_INVALID);
	ck_assert_msg(strstr(d.text, "the map"), "%s", d.text);
	UNCHANGED(&w, import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, late,
				"point,in_domain,out_domain,contract,meter\nM1,,,G9,M1\n", NULL, &wr,
				&sk, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "contract G9"), "%s", d.text);
	free(day);
	free(gap);
	free(a03);
	free(late);
	cw_close(&w);
}
END_TEST

START_TEST(the_published_example_imports)
{
	struct cw w;
	struct corridor_diag d;
	size_t wr, sk;
	cw_open(&w);
	const char *src = getenv("CORRIDOR_SRC");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/cim/example-mvd-1day-pt60m.xml", src ? src : ".");
	size_t len;
	char *xml = (char *)slurp(path, &len);
	ck_assert_ptr_nonnull(xml);
	ck_assert(schema_valid(w.dir, xml));
	/* its metering point, mapped to G1's billing meter: 23 hours (one A02),
	 * split at +08:00 into two local days */
	const char *map = "point,in_domain,out_domain,contract,meter\n"
			  "99T-RU-MN-000019,,,G1,M1\n";
	uint64_t size = log_size(&w);
	ck_assert_msg(import_as(&w, w.gaz, CORRIDOR_DELIVERIES_MVD, xml, map, NULL, &wr, &sk, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(wr, 23);
	ck_assert_uint_eq(log_size(&w) - size, 2);
	free(xml);
	cw_close(&w);
}
END_TEST

Suite *suite_cim(void)
{
	Suite *s = suite_create("cim");
	TCase *tc = tcase_create("mvd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cim_and_csv_give_the_same_reports);
	tcase_add_test(tc, revisions_corrections_and_export);
	tcase_add_test(tc, every_refusal_names_its_line);
	tcase_add_test(tc, the_published_example_imports);
	suite_add_tcase(s, tc);
	return s;
}
