/* test_settle.c — currencies, rates, settlement batches (SETTLEMENT.md's
 * worked example to the minor unit), adjustments, reversal, payments and the
 * invoice and balance reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log/log.h"
#include "testutil.h"

#define ORIGIN "corridor.example/settle"

struct sw {
	char *dir;
	struct corridor_ledger *l;
	struct corridor_signer *op, *gaz, *buy, *pipe, *fx, *agent;
	uint64_t first_reading;
	int32_t jan, feb, mar, apr;
};

#define IBAN_GAZ "DE89370400440532013000"
#define IBAN_BUY "GB82WEST12345698765432"

static void party(struct sw *w, struct corridor_signer *s, unsigned roles)
{
	struct corridor_diag d;
	uint64_t seq;
	const char *name = corridor_signer_vkey(s)->name;
	const char *iban = !strcmp(name, "RU-GAZ") ? IBAN_GAZ : !strcmp(name, "CN-BUY") ? IBAN_BUY : NULL;
	struct corridor_party_request r = { .id = name,
					    .name = name,
					    .country = "MN",
					    .roles = roles,
					    .ibans = iban ? &iban : NULL,
					    .iban_count = iban ? 1 : 0,
					    .key = *corridor_signer_vkey(s) };
	ck_assert_msg(corridor_party_register(w->l, w->op, &r, NULL, &seq, &d) == 0, "%s", d.text);
}

static int32_t day(const char *s)
{
	int32_t v;
	ck_assert_int_eq(corridor_date_parse(s, strlen(s), &v), 0);
	return v;
}

static void rate(struct sw *w, const char *base, const char *quote, const char *date,
		 int64_t r_e8)
{
	struct corridor_diag d;
	uint64_t seq;
	struct corridor_rate r = { .source = "PBOC", .rate_e8 = r_e8, .day = day(date) };
	snprintf(r.base, sizeof r.base, "%s", base);
	snprintf(r.quote, sizeof r.quote, "%s", quote);
	ck_assert_msg(corridor_rate_record(w->l, w->fx, &r, false, NULL, &seq, &d) == 0, "%s",
		      d.text);
}

/* One March day of G1 as two series of 24 hours (SETTLEMENT.md's figures
 * are per day; each hour carries its share, the billing side's summing to
 * the day exactly, the other side's each within or beyond tolerance as its
 * day is). */
static void march_day_as_series(struct sw *w, int64_t start_s, int i, uint64_t *first)
{
	struct corridor_diag d;
	uint64_t seq;
	struct corridor_series *s = calloc(1, sizeof *s);
	snprintf(s->contract, sizeof s->contract, "G1");
	snprintf(s->meter, sizeof s->meter, "M1");
	s->start_s = start_s;
	s->resolution_s = 3600;
	s->count = 24;
	for (int h = 0; h < 24; h++) {
		s->quantity_milli[h] = h < 8 ? 4166 : 4167; /* 8 x 4.166 + 16 x 4.167 = 100 */
		s->quality[h] = 'A';
	}
	ck_assert_msg(corridor_delivery_series(w->l, w->gaz, s, &seq, &d) == 0, "%s", d.text);
	if (i == 0)
		*first = seq;
	snprintf(s->meter, sizeof s->meter, "CN-M1");
	for (int h = 0; h < 24; h++) /* +0.4%, or +1% on day 10 (disputed) */
		s->quantity_milli[h] = (h < 8 ? 4166 : 4167) * (i == 9 ? 1010 : 1004) / 1000;
	ck_assert_msg(corridor_delivery_series(w->l, w->buy, s, &seq, &d) == 0, "%s", d.text);
	free(s);
}

/* SETTLEMENT.md's worked example: G1 and T1, March deliveries, one rate;
 * the deliveries as daily readings, or as hourly series. */
static void sw_open_as(struct sw *w, bool series);
static void sw_open(struct sw *w)
{
	sw_open_as(w, false);
}

static void sw_open_as(struct sw *w, bool series)
{
	struct corridor_diag d;
	uint64_t prop, seq;
	memset(w, 0, sizeof *w);
	w->dir = tmpdir_new();
	w->op = test_signer(ORIGIN, 1);
	w->gaz = test_signer("RU-GAZ", 2);
	w->buy = test_signer("CN-BUY", 3);
	w->pipe = test_signer("MN-PIPE", 4);
	w->fx = test_signer("FX-PUB", 5);
	w->agent = test_signer("SETTLER", 6);
	ck_assert_int_eq(corridor_ledger_create(path_join(w->dir, "L"), w->op, &w->l, &d), 0);
	party(w, w->gaz, CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_BUYER);
	party(w, w->buy, CORRIDOR_ROLE_BUYER);
	party(w, w->pipe, CORRIDOR_ROLE_SELLER);
	party(w, w->fx, CORRIDOR_ROLE_RATES);
	party(w, w->agent, CORRIDOR_ROLE_SETTLEMENT);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	test_terms("gas-G1.json", t);
	ck_assert_int_eq(corridor_contract_propose(w->l, w->gaz, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w->l, w->buy, "G1", prop, NULL, &seq, &d), 0);
	test_terms("transit-T1.json", t);
	ck_assert_int_eq(corridor_contract_propose(w->l, w->pipe, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w->l, w->gaz, "T1", prop, NULL, &seq, &d), 0);
	free(t);
	int64_t day0;
	ck_assert_int_eq(corridor_utc_parse("2026-02-28T16:00:00Z", 20, &day0), 0);
	for (int i = 0; i < 31 && series; i++)
		march_day_as_series(w, day0 + (int64_t)i * 86400, i, &w->first_reading);
	for (int i = 0; i < 31 && !series; i++) {
		struct corridor_delivery_request r = { .contract = "G1", .meter = "M1",
						       .start_s = day0 + (int64_t)i * 86400,
						       .end_s = day0 + (int64_t)(i + 1) * 86400,
						       .quantity_milli = 100000, .quality = 'A' };
		ck_assert_msg(corridor_delivery_record(w->l, w->gaz, &r, &seq, &d) == 0, "%s", d.text);
		if (i == 0)
			w->first_reading = seq;
		r.meter = "CN-M1";
		r.quantity_milli = i == 9 ? 101000 : 100400;
		ck_assert_msg(corridor_delivery_record(w->l, w->buy, &r, &seq, &d) == 0, "%s", d.text);
	}
	w->jan = day("2026-01-01");
	w->feb = day("2026-02-01");
	w->mar = day("2026-03-01");
	w->apr = day("2026-04-01");
	rate(w, "USD", "CNY", "2026-01-30", 710000000); /* direct, a day before the fixing */
	rate(w, "CNY", "USD", "2026-02-25", 14000000);  /* only the inverse pair for February */
	rate(w, "USD", "CNY", "2026-03-27", 712345678); /* the worked example's rate */
}

static void sw_close(struct sw *w)
{
	corridor_ledger_close(w->l);
	corridor_signer_free(w->op);
	corridor_signer_free(w->gaz);
	corridor_signer_free(w->buy);
	corridor_signer_free(w->pipe);
	corridor_signer_free(w->fx);
	corridor_signer_free(w->agent);
	rm_rf(w->dir);
	free(w->dir);
}

static void settle(struct sw *w, int32_t period, struct corridor_batch *b)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	ck_assert_msg(corridor_settle_run(w->l, w->agent, period, false, b, &d) == 0, "%s", d.text);
}

static const struct corridor_invoice *find(const struct corridor_batch *b, const char *id)
{
	for (size_t i = 0; i < b->invoice_count; i++)
		if (strcmp(b->invoices[i].id, id) == 0)
			return &b->invoices[i];
	ck_abort_msg("no invoice %s", id);
	return NULL;
}

/* verify replays the log, and so do an auditor's offline check of its
 * archive and a replica built from it: each decides every batch's
 * computed_at from the tree it has (the ledger's nodes, nodes kept in
 * memory, the replica's). */
static void verify(struct sw *w)
{
	struct corridor_diag d;
	uint64_t size, got;
	static unsigned n;
	char name[32];
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w->l, NULL, NULL, &d) == 0, "%s", d.text);
	ck_assert_int_eq(corridor_checkpoint_sign(w->l, w->op, &size, &d), 0);
	snprintf(name, sizeof name, "verify-%u.archive", n++);
	const char *archive = path_join(w->dir, name);
	ck_assert_msg(corridor_archive_export(w->l, 0, archive, &d) == 0, "%s", d.text);
	ck_assert_msg(corridor_archive_verify(archive, corridor_signer_vkey(w->op), NULL, NULL, &d) ==
			      0,
		      "%s", d.text);
	snprintf(name, sizeof name, "replica-%u", n);
	ck_assert_msg(corridor_archive_import(path_join(w->dir, name), archive,
					      corridor_signer_vkey(w->op), &got, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(got, size);
}

START_TEST(worked_example)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	sw_open(&w);
	/* Periods are settled in order: March first is refused, naming January. */
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_settle_run(w.l, w.agent, w.mar, false, &b, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "2026-01 is not settled"), "%s", d.text);
	corridor_batch_release(&b);
	/* January: no deliveries, the full shortfall: 3000 MWh x 250.12503 x 85%
	 * = 637818.8265 USD -> 63781883 cents; x 7.1 = 452851369.3 -> 452851369 fen. */
	settle(&w, w.jan, &b);
	ck_assert_uint_eq(b.invoice_count, 2);
	const struct corridor_invoice *g = find(&b, "INV-G1-2026-01");
	ck_assert_uint_eq(g->line_count, 1);
	ck_assert_int_eq(g->lines[0].kind, CORRIDOR_LINE_SHORTFALL);
	ck_assert_int_eq(g->lines[0].quantity_milli, 3000000);
	ck_assert_int_eq(g->lines[0].amount_minor, 63781883);
	ck_assert_int_eq(g->total_minor, 452851369);
	ck_assert_str_eq(g->rate.base, "USD");
	ck_assert_int_eq(g->rate.day, day("2026-01-30"));
	corridor_batch_release(&b);
	/* February: only CNY/USD 0.14 exists: the inverse, 63781883 x 10^8 / 14000000
	 * = 455584878.571... -> 455584879. */
	settle(&w, w.feb, &b);
	g = find(&b, "INV-G1-2026-02");
	ck_assert_str_eq(g->rate.base, "CNY");
	ck_assert_int_eq(g->total_minor, 455584879);
	corridor_batch_release(&b);
	/* March: SETTLEMENT.md's table, to the minor unit. */
	settle(&w, w.mar, &b);
	ck_assert_uint_eq(b.invoice_count, 2);
	g = find(&b, "INV-G1-2026-03");
	ck_assert_uint_eq(g->line_count, 3);
	ck_assert_int_eq(g->lines[0].kind, CORRIDOR_LINE_ENERGY);
	ck_assert_int_eq(g->lines[0].quantity_milli, 1500000);
	ck_assert_int_eq(g->lines[0].price_micro, 250125030);
	ck_assert_int_eq(g->lines[0].amount_minor, 37518754); /* 37518754.5, a tie, to even */
	ck_assert_int_eq(g->lines[1].quantity_milli, 1600000);
	ck_assert_int_eq(g->lines[1].price_micro, 260000000);
	ck_assert_int_eq(g->lines[1].amount_minor, 41600000);
	ck_assert_int_eq(g->lines[2].kind, CORRIDOR_LINE_EXCESS);
	ck_assert_int_eq(g->lines[2].quantity_milli, 50000);
	ck_assert_int_eq(g->lines[2].amount_minor, 187594);
	ck_assert_int_eq(g->subtotal_minor, 79306348);
	ck_assert_uint_eq(g->disputed, 1);
	ck_assert_int_eq(g->rate.rate_e8, 712345678);
	ck_assert_int_eq(g->rate.day, day("2026-03-27"));
	ck_assert_int_eq(g->total_minor, 564935342);
	ck_assert_int_eq(g->due_day, day("2026-04-20"));
	const struct corridor_invoice *t = find(&b, "INV-T1-2026-03");
	ck_assert_uint_eq(t->line_count, 1);
	ck_assert_int_eq(t->lines[0].kind, CORRIDOR_LINE_TRANSIT);
	ck_assert_int_eq(t->lines[0].quantity_milli, 3100000);
	ck_assert_int_eq(t->lines[0].amount_minor, 382716);
	ck_assert_int_eq(t->total_minor, 382716);
	ck_assert_str_eq(t->seller, "MN-PIPE");
	ck_assert_str_eq(t->buyer, "RU-GAZ");
	ck_assert_int_eq(t->due_day, day("2026-04-30"));
	ck_assert_uint_eq(b.netting_count, 2);
	ck_assert_str_eq(b.netting[0].currency, "CNY");
	ck_assert_str_eq(b.netting[0].from, "CN-BUY");
	ck_assert_str_eq(b.netting[0].to, "RU-GAZ");
	ck_assert_int_eq(b.netting[0].amount_minor, 564935342);
	ck_assert_str_eq(b.netting[1].currency, "USD");
	ck_assert_str_eq(b.netting[1].from, "RU-GAZ");
	ck_assert_str_eq(b.netting[1].to, "MN-PIPE");
	ck_assert_int_eq(b.netting[1].amount_minor, 382716);
	corridor_batch_release(&b);
	/* A second run has nothing left and writes nothing. */
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_settle_run(w.l, w.agent, w.mar, false, &b, &d), CORRIDOR_E_NOTFOUND);
	ck_assert_msg(strstr(d.text, "nothing left"), "%s", d.text);
	corridor_batch_release(&b);
	/* The invoice as stored reads back the same. */
	struct corridor_invoice *back = malloc(sizeof *back);
	ck_assert_int_eq(corridor_invoice_get(w.l, "INV-G1-2026-03", back, &d), 0);
	ck_assert_int_eq(back->total_minor, 564935342);
	ck_assert_int_eq(back->lines[0].amount_minor, 37518754);
	free(back);
	verify(&w);
	sw_close(&w);
}
END_TEST

struct scan_bodies {
	uint64_t from;
	size_t n;
	uint8_t *bodies[8];
	size_t lens[8];
};

static int keep_body(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct scan_bodies *s = ctx;
	struct corridor_entry e;
	(void)seq;
	ck_assert_int_eq(corridor_entry_decode(bytes, len, &e, NULL), 0);
	ck_assert_uint_lt(s->n, 8);
	s->bodies[s->n] = malloc(e.body_len);
	memcpy(s->bodies[s->n], e.body, e.body_len);
	s->lens[s->n++] = e.body_len;
	return 0;
}

static uint64_t pay(struct sw *w, struct corridor_signer *by, const char *payer, const char *payee,
		    const char *cur, int64_t amount, const char *date, const char *ref)
{
	struct corridor_diag d;
	uint64_t seq;
	struct corridor_payment p = { .amount_minor = amount, .value_day = day(date) };
	snprintf(p.payer, sizeof p.payer, "%s", payer);
	snprintf(p.payee, sizeof p.payee, "%s", payee);
	snprintf(p.currency, sizeof p.currency, "%s", cur);
	snprintf(p.reference, sizeof p.reference, "%s", ref);
	ck_assert_msg(corridor_payment_record(w->l, by, &p, NULL, &seq, &d) == 0, "%s", d.text);
	return seq;
}

static int count_row(void *ctx, const struct corridor_diff_row *r)
{
	(void)ctx;
	if (r->kind == CORRIDOR_DIFF_RATE && r->status == CORRIDOR_DIFF_DIFFER)
		ck_assert_str_eq(r->fields, "rate");
	if (r->kind == CORRIDOR_DIFF_PAYMENT)
		ck_assert_str_eq(r->key, "INV-G1-2026-03/CN-BUY/2026-04-01");
	return 0;
}

/* The same March as hourly series: the same invoices to the minor unit; the
 * disputed day is 24 disputed hours. */
START_TEST(worked_example_as_series)
{
	struct sw w;
	struct corridor_batch b;
	sw_open_as(&w, true);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	settle(&w, w.mar, &b);
	const struct corridor_invoice *g = find(&b, "INV-G1-2026-03");
	ck_assert_uint_eq(g->line_count, 3);
	ck_assert_int_eq(g->lines[0].quantity_milli, 1500000);
	ck_assert_int_eq(g->lines[0].amount_minor, 37518754);
	ck_assert_int_eq(g->lines[1].quantity_milli, 1600000);
	ck_assert_int_eq(g->lines[1].amount_minor, 41600000);
	ck_assert_int_eq(g->lines[2].kind, CORRIDOR_LINE_EXCESS);
	ck_assert_int_eq(g->lines[2].amount_minor, 187594);
	ck_assert_int_eq(g->subtotal_minor, 79306348);
	ck_assert_int_eq(g->total_minor, 564935342);
	ck_assert_uint_eq(g->intervals, 31 * 24);
	ck_assert_uint_eq(g->disputed, 24);
	const struct corridor_invoice *t = find(&b, "INV-T1-2026-03");
	ck_assert_int_eq(t->lines[0].quantity_milli, 3100000);
	ck_assert_int_eq(t->total_minor, 382716);
	corridor_batch_release(&b);
	struct corridor_diag d;
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	sw_close(&w);
}
END_TEST

START_TEST(dry_run_equals_real_run)
{
	struct sw w;
	struct corridor_batch dry, real, b;
	struct corridor_diag d;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	struct corridor_head h0;
	ck_assert_int_eq(corridor_ledger_head(w.l, &h0), 0);
	UNCHANGED(&w, corridor_settle_run(w.l, w.agent, w.mar, true, &dry, &d), 0);
	settle(&w, w.mar, &real);
	ck_assert_uint_eq(dry.body_count, 3);
	ck_assert_uint_eq(real.body_count, 3);
	struct scan_bodies s = { .from = h0.size };
	ck_assert_int_eq(corridor_ledger_scan(w.l, h0.size, 0, keep_body, &s), 0);
	ck_assert_uint_eq(s.n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(dry.body_lens[i], s.lens[i]);
		ck_assert(memcmp(dry.bodies[i], s.bodies[i], s.lens[i]) == 0);
		free(s.bodies[i]);
	}
	/* The same log settled in a second, fresh ledger gives the same invoice
	 * bodies, and a summary that differs only in the tree it names (the
	 * other ledger's root: other keys, other times). */
	struct sw w2;
	sw_open(&w2);
	settle(&w2, w2.jan, &b);
	corridor_batch_release(&b);
	settle(&w2, w2.feb, &b);
	corridor_batch_release(&b);
	struct corridor_batch again;
	settle(&w2, w2.mar, &again);
	for (size_t i = 1; i < 3; i++) {
		ck_assert_uint_eq(again.body_lens[i], real.body_lens[i]);
		ck_assert(memcmp(again.bodies[i], real.bodies[i], real.body_lens[i]) == 0);
	}
	ck_assert(memcmp(again.digest, real.digest, CORRIDOR_HASH_BYTES) == 0);
	ck_assert_uint_eq(again.body_lens[0], real.body_lens[0]);
	ck_assert(real.computed_size > 0 && again.computed_size == real.computed_size);
	corridor_batch_release(&again);
	corridor_batch_release(&dry);
	corridor_batch_release(&real);
	/* Ledger against ledger: the second corrects a rate and records a payment. */
	uint64_t seq;
	struct corridor_rate fix = { .source = "PBOC", .base = "USD", .quote = "CNY",
				     .day = day("2026-01-30"), .rate_e8 = 710000001 };
	ck_assert_int_eq(corridor_rate_record(w2.l, w2.fx, &fix, true, NULL, &seq, &d), 0);
	pay(&w2, w2.gaz, "CN-BUY", "RU-GAZ", "CNY", 100, "2026-04-01", "INV-G1-2026-03");
	struct corridor_diff_totals t;
	ck_assert_int_eq(corridor_report_diff(w.l, w2.l, count_row, NULL, &t, &d), 0);
	ck_assert_uint_eq(t.count[CORRIDOR_DIFF_RATE - 1][CORRIDOR_DIFF_MATCH - 1], 2);
	ck_assert_uint_eq(t.count[CORRIDOR_DIFF_RATE - 1][CORRIDOR_DIFF_DIFFER - 1], 1);
	ck_assert_uint_eq(t.count[CORRIDOR_DIFF_INVOICE - 1][CORRIDOR_DIFF_MATCH - 1], 6);
	ck_assert_uint_eq(t.count[CORRIDOR_DIFF_PAYMENT - 1][CORRIDOR_DIFF_THEIRS_ONLY - 1], 1);
	ck_assert_uint_eq(t.count[CORRIDOR_DIFF_PAYMENT - 1][CORRIDOR_DIFF_MATCH - 1], 0);
	sw_close(&w2);
	sw_close(&w);
}
END_TEST

START_TEST(missing_rates_are_listed)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	sw_open(&w);
	/* Rates are needed for May: none within 7 days of 2026-05-31. */
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	settle(&w, w.mar, &b);
	corridor_batch_release(&b);
	/* 2026-04-22 is 8 days before the fixing date: outside the lookback. */
	rate(&w, "USD", "CNY", "2026-04-22", 720000000);
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_settle_run(w.l, w.agent, w.apr, false, &b, &d), CORRIDOR_E_REFUSED);
	ck_assert_uint_eq(b.missing_count, 1);
	ck_assert_str_eq(b.missing[0].source, "PBOC");
	ck_assert_str_eq(b.missing[0].base, "USD");
	ck_assert_str_eq(b.missing[0].quote, "CNY");
	ck_assert_int_eq(b.missing[0].day, day("2026-04-30"));
	ck_assert_msg(strstr(d.text, "PBOC USD/CNY 2026-04-30"), "%s", d.text);
	corridor_batch_release(&b);
	/* 7 days before is inside. */
	rate(&w, "USD", "CNY", "2026-04-23", 720000000);
	settle(&w, w.apr, &b);
	ck_assert_int_eq(find(&b, "INV-G1-2026-04")->rate.day, day("2026-04-23"));
	corridor_batch_release(&b);
	sw_close(&w);
}
END_TEST

START_TEST(adjustment_reversal_and_reissue)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	uint64_t seq;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	settle(&w, w.mar, &b);
	corridor_batch_release(&b);
	rate(&w, "USD", "CNY", "2026-04-30", 720000000);
	/* After March is settled, its first day is corrected from 100 to 0 MWh. */
	ck_assert_int_eq(corridor_delivery_correct(w.l, w.gaz, w.first_reading, 0, "meter fault",
						   NULL, &seq, &d), 0);
	settle(&w, w.apr, &b);
	const struct corridor_invoice *g = find(&b, "INV-G1-2026-04");
	/* March recomputed: 1400 MWh at 250.12503 + 1600 at 260, no excess (3000 <
	 * 3050) = 35017504.2 -> 35017504 + 41600000 = 76617504; invoiced 79306348;
	 * delta -2688844 USD cents at March's rate 7.12345678 = -19153856.08... */
	ck_assert_uint_eq(g->adjustment_count, 1);
	ck_assert_str_eq(g->adjustments[0].invoice, "INV-G1-2026-03");
	ck_assert_int_eq(g->adjustments[0].delta_minor, 76617504 - 79306348);
	int64_t want;
	ck_assert_int_eq(corridor_div_round((corridor_i128)(76617504 - 79306348) * 712345678 * 100,
					    (corridor_i128)100000000 * 100, &want), 0);
	ck_assert_int_eq(g->adjustments[0].amount_minor, want);
	/* April has no deliveries: the full shortfall at the price in force on
	 * April 1 (260, from 2026-03-16): 3000 x 260 x 85% = 663000.00 USD, at 7.2. */
	ck_assert_int_eq(g->lines[0].kind, CORRIDOR_LINE_SHORTFALL);
	ck_assert_int_eq(g->lines[0].price_micro, 260000000);
	ck_assert_int_eq(g->subtotal_minor, 66300000);
	ck_assert_int_eq(g->total_minor, 477360000 + want);
	/* The transit contract carries the change too: 3000 x 1.234567 = 3703.701. */
	const struct corridor_invoice *t = find(&b, "INV-T1-2026-04");
	ck_assert_uint_eq(t->adjustment_count, 1);
	ck_assert_int_eq(t->adjustments[0].delta_minor, 370370 - 382716);
	corridor_batch_release(&b);
	verify(&w);
	/* March cannot be reversed while April holds its adjustment. */
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_settle_reverse(w.l, w.agent, w.mar, "wrong rate", NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "later batch"), "%s", d.text);
	/* Latest first: April, then March; March re-issued as -r1 with today's data. */
	ck_assert_int_eq(corridor_settle_reverse(w.l, w.agent, w.apr, "redo", NULL, &seq, &d), 0);
	ck_assert_msg(corridor_settle_reverse(w.l, w.agent, w.mar, "redo", NULL, &seq, &d) == 0, "%s",
		      d.text);
	settle(&w, w.mar, &b);
	g = find(&b, "INV-G1-2026-03-r1");
	ck_assert_int_eq(g->subtotal_minor, 76617504);
	ck_assert_uint_eq(g->adjustment_count, 0);
	corridor_batch_release(&b);
	settle(&w, w.apr, &b);
	g = find(&b, "INV-G1-2026-04-r1");
	ck_assert_uint_eq(g->adjustment_count, 0); /* the re-issue already has the correction */
	corridor_batch_release(&b);
	/* Balances still sum to zero per currency and agree with the index. */
	verify(&w);
	sw_close(&w);
}
END_TEST

struct bal_hold {
	struct corridor_balance b[16];
	size_t n;
};

static int hold_balance(void *ctx, const struct corridor_balance *b)
{
	struct bal_hold *h = ctx;
	ck_assert_uint_lt(h->n, 16);
	h->b[h->n++] = *b;
	return 0;
}

static int64_t balance_of(const struct bal_hold *h, const char *party, const char *cur)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->b[i].party, party) && !strcmp(h->b[i].currency, cur))
			return h->b[i].balance_minor;
	return 0;
}


static const struct corridor_invoice_status *status(const struct corridor_invoice_report *r,
						    const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (!strcmp(r->invoices[i].id, id))
			return &r->invoices[i];
	ck_abort_msg("no %s in the report", id);
	return NULL;
}

START_TEST(payments_and_reports)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	uint64_t seq;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	settle(&w, w.mar, &b);
	corridor_batch_release(&b);
	/* January paid in full on time by the agent; February partly, late;
	 * March's transit overpaid; one payment in the wrong currency; one
	 * unmatched; one reversed. */
	pay(&w, w.agent, "CN-BUY", "RU-GAZ", "CNY", 452851369, "2026-02-15", "INV-G1-2026-01");
	pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "CNY", 200000000, "2026-04-01", "INV-G1-2026-02");
	pay(&w, w.pipe, "RU-GAZ", "MN-PIPE", "USD", 400000, "2026-04-10", "INV-T1-2026-03");
	pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "USD", 1000, "2026-04-10", "INV-G1-2026-03");
	pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "CNY", 5000, "2026-04-11", "no such invoice");
	uint64_t wrong = pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "CNY", 99, "2026-04-12", "INV-G1-2026-03");
	ck_assert_int_eq(corridor_payment_reverse(w.l, w.gaz, wrong, "bank reversal", NULL, &seq, &d), 0);
	/* Only the payee or a settlement party records a payment. */
	struct corridor_payment p = { .amount_minor = 1, .value_day = day("2026-04-01"),
				      .payer = "CN-BUY", .payee = "RU-GAZ", .currency = "CNY",
				      .reference = "x" };
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_payment_record(w.l, w.buy, &p, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_payment_reverse(w.l, w.gaz, wrong, "twice", NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	p.amount_minor = 0;
	UNCHANGED(&w, corridor_payment_record(w.l, w.gaz, &p, NULL, &seq, &d), CORRIDOR_E_INVALID);

	struct corridor_invoice_report r;
	ck_assert_int_eq(corridor_report_invoices(w.l, NULL, day("2026-05-15"), &r, &d), 0);
	const struct corridor_invoice_status *s = status(&r, "INV-G1-2026-01");
	ck_assert_int_eq(s->open_minor, 0);
	ck_assert_int_eq(s->days_overdue, 0); /* paid before 2026-02-20 */
	s = status(&r, "INV-G1-2026-02");
	ck_assert_int_eq(s->paid_minor, 200000000);
	ck_assert_int_eq(s->open_minor, 455584879 - 200000000);
	ck_assert_int_eq(s->due_day, day("2026-03-20"));
	ck_assert_int_eq(s->days_overdue, day("2026-05-15") - day("2026-03-20")); /* 56 */
	s = status(&r, "INV-T1-2026-03");
	ck_assert_int_eq(s->open_minor, 0);
	ck_assert_str_eq(s->debtor, "RU-GAZ");
	s = status(&r, "INV-G1-2026-03");
	ck_assert_int_eq(s->paid_minor, 0); /* the USD payment does not apply to a CNY invoice */
	ck_assert_int_eq(s->days_overdue, day("2026-05-15") - day("2026-04-20"));
	/* aging of CN-BUY's CNY: February's rest in 31-60, March in 1-30 */
	ck_assert_uint_eq(r.aging_count, 1);
	ck_assert_str_eq(r.aging[0].party, "CN-BUY");
	ck_assert_int_eq(r.aging[0].bucket_minor[CORRIDOR_AGING_31_60], 455584879 - 200000000);
	ck_assert_int_eq(r.aging[0].bucket_minor[CORRIDOR_AGING_1_30], 564935342);
	/* unapplied credit: RU-GAZ's USD overpayment, CN-BUY's USD and unmatched CNY */
	ck_assert_uint_eq(r.credit_count, 3);
	ck_assert_str_eq(r.credits[0].party, "CN-BUY");
	ck_assert_str_eq(r.credits[0].currency, "CNY");
	ck_assert_int_eq(r.credits[0].balance_minor, 5000);
	ck_assert_int_eq(r.credits[1].balance_minor, 1000);
	ck_assert_str_eq(r.credits[2].party, "RU-GAZ");
	ck_assert_int_eq(r.credits[2].balance_minor, 400000 - 382716);
	corridor_invoice_report_release(&r);
	/* Balances: per currency they sum to zero, and match invoices minus payments. */
	struct bal_hold h = { .n = 0 };
	ck_assert_msg(corridor_report_balances(w.l, -1, hold_balance, &h, &d) == 0, "%s", d.text);
	int64_t cny_invoiced = 452851369 + 455584879 + 564935342;
	int64_t cny_paid = 452851369 + 200000000 + 5000;
	ck_assert_int_eq(balance_of(&h, "RU-GAZ", "CNY"), cny_invoiced - cny_paid);
	ck_assert_int_eq(balance_of(&h, "CN-BUY", "CNY"), -(cny_invoiced - cny_paid));
	ck_assert_int_eq(balance_of(&h, "MN-PIPE", "USD"), 382716 - 400000);
	ck_assert_int_eq(balance_of(&h, "CN-BUY", "USD"), 1000);
	ck_assert_int_eq(balance_of(&h, "RU-GAZ", "USD"), -382716 + 400000 - 1000);
	/* As of an earlier date, later entries are left out. */
	h.n = 0;
	ck_assert_int_eq(corridor_report_balances(w.l, day("2026-02-15"), hold_balance, &h, &d), 0);
	ck_assert_int_eq(balance_of(&h, "RU-GAZ", "CNY"), 0);
	verify(&w);
	sw_close(&w);
}
END_TEST

/* Reads `TOOL -f FILE bal --flat --no-total [QUERY]` into "account currency
 * amount" lines, in each tool's strict mode (hledger --strict, ledger-cli
 * --pedantic: every account, commodity and tag declared): an account's
 * other commodities come on the lines before its name. */
static size_t tool_balances(const char *tool, const char *path, const char *query,
			    char out[][160], size_t max)
{
	char cmd[1200], line[256], pending[8][96];
	size_t n = 0, np = 0;
	snprintf(cmd, sizeof cmd, "%s -f '%s' %s bal --flat --no-total %s 2>&1", tool, path,
		 strcmp(tool, "ledger") ? "--strict" : "--pedantic", query);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p)) {
		char amount[40], cur[8], account[80];
		int k = sscanf(line, "%39s %7s %79s", amount, cur, account);
		ck_assert_msg(k >= 2, "%s printed: %s", tool, line);
		ck_assert_uint_lt(np, 8);
		snprintf(pending[np++], sizeof pending[0], "%s %s", cur, amount);
		if (k == 3) {
			for (size_t i = 0; i < np; i++) {
				ck_assert_uint_lt(n, max);
				snprintf(out[n++], 160, "%.79s %.79s", account, pending[i]);
			}
			np = 0;
		}
	}
	ck_assert_msg(pclose(p) == 0, "%s failed on %s", cmd, path);
	ck_assert_uint_eq(np, 0);
	return n;
}

static int by_line(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* A party's books as the journal should hold them, account by account,
 * from the standing invoices and payments. */
#define BOOK_LINES_MAX 32u
struct books {
	const char *party;
	struct corridor_ledger *l;
	char account[BOOK_LINES_MAX][64], currency[BOOK_LINES_MAX][4];
	int64_t minor[BOOK_LINES_MAX];
	size_t n;
};

static void book(struct books *k, const char *account, const char *cur, int64_t minor)
{
	size_t i = 0;
	while (i < k->n && (strcmp(k->account[i], account) || strcmp(k->currency[i], cur)))
		i++;
	if (i == k->n) {
		ck_assert_uint_lt(k->n, BOOK_LINES_MAX);
		snprintf(k->account[k->n], 64, "%s", account);
		snprintf(k->currency[k->n], 4, "%s", cur);
		k->minor[k->n++] = 0;
	}
	k->minor[i] += minor;
}

static int book_invoice(void *ctx, const struct corridor_invoice *v)
{
	struct books *k = ctx;
	char a[64];
	if (v->reversed)
		return 0;
	if (!strcmp(v->seller, k->party)) {
		snprintf(a, sizeof a, "assets:receivables:%s", v->buyer);
		book(k, a, v->settlement_currency, v->total_minor);
		snprintf(a, sizeof a, "revenues:%s", v->contract);
		book(k, a, v->settlement_currency, -v->total_minor);
	} else if (!strcmp(v->buyer, k->party)) {
		snprintf(a, sizeof a, "expenses:%s", v->contract);
		book(k, a, v->settlement_currency, v->total_minor);
		snprintf(a, sizeof a, "liabilities:payables:%s", v->seller);
		book(k, a, v->settlement_currency, -v->total_minor);
	}
	return 0;
}

static int book_payment(void *ctx, const struct corridor_payment *p)
{
	struct books *k = ctx;
	char a[64];
	if (p->reversed_by)
		return 0;
	if (!strcmp(p->payee, k->party)) {
		book(k, "assets:cash", p->currency, p->amount_minor);
		snprintf(a, sizeof a, "assets:receivables:%s", p->payer);
		book(k, a, p->currency, -p->amount_minor);
	} else if (!strcmp(p->payer, k->party)) {
		snprintf(a, sizeof a, "liabilities:payables:%s", p->payee);
		book(k, a, p->currency, p->amount_minor);
		book(k, "assets:cash", p->currency, -p->amount_minor);
	}
	return 0;
}

/* Both tools, strict, read the journal at path; their balances (of accounts
 * matching query) are want[0..n) exactly. */
static void tools_agree(const char *path, const char *query, char want[][160], size_t n)
{
	static char got[64][160];
	qsort(want, n, sizeof want[0], by_line);
	const char *tools[] = { "ledger", "hledger" };
	for (size_t t = 0; t < 2; t++) {
		size_t m = tool_balances(tools[t], path, query, got, 64);
		qsort(got, m, sizeof got[0], by_line);
		ck_assert_msg(m == n, "%s: %zu balances, want %zu", tools[t], m, n);
		for (size_t i = 0; i < n; i++)
			ck_assert_str_eq(got[i], want[i]);
	}
}

START_TEST(journal_reads_in_ledger_and_hledger)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	uint64_t seq;
	sw_open(&w);
	ck_assert_int_eq(corridor_currency_define(w.l, w.op, "JPY", 0, NULL, &seq, &d), 0);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	settle(&w, w.mar, &b);
	corridor_batch_release(&b);
	pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "CNY", 452851369, "2026-02-15", "INV-G1-2026-01");
	pay(&w, w.pipe, "RU-GAZ", "MN-PIPE", "USD", 100001, "2026-04-10", "INV-T1-2026-03; part");
	pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "JPY", 12345, "2026-04-11", "yen, unmatched");
	uint64_t r = pay(&w, w.gaz, "CN-BUY", "RU-GAZ", "CNY", 7, "2026-04-12", "reversed");
	ck_assert_int_eq(corridor_payment_reverse(w.l, w.gaz, r, "bank", NULL, &seq, &d), 0);
	/* March settled again after a reversal: both stand in the journal */
	ck_assert_msg(corridor_settle_reverse(w.l, w.agent, w.mar, "redo", NULL, &seq, &d) == 0, "%s",
		      d.text);
	settle(&w, w.mar, &b);
	corridor_batch_release(&b);
	const char *path = path_join(w.dir, "books.journal");
	ck_assert_msg(corridor_export_journal(w.l, path, &d) == 0, "%s", d.text);
	/* an existing file is not overwritten */
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_export_journal(w.l, path, &d), CORRIDOR_E_IO);
	size_t len;
	char *text = (char *)slurp(path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert(strstr(text, "commodity JPY\n") && !strstr(text, "JPY\n    format"));
	ck_assert(strstr(text, "commodity CNY\n    format 1000.00 CNY\n"));
	ck_assert(strstr(text, "(INV-G1-2026-03) invoice G1 2026-03  ; contract: G1"));
	ck_assert_msg(strstr(text, "(INV-G1-2026-03) reversal of invoice G1 2026-03"), "%s", text);
	ck_assert(strstr(text, ") reversal of payment CN-BUY to RU-GAZ"));
	ck_assert(strstr(text, "\naccount parties:CN-BUY\n") && strstr(text, "\ntag contract\n"));
	ck_assert_msg(strstr(text, "\nP 2026-03-27 USD 7.12345678 CNY\n"), "%s", text);
	ck_assert(strstr(text, " 5649353.42 CNY\n"));
	ck_assert(!strstr(text, "@")); /* the amounts are already converted */
	free(text);
	/* the clearing view's balances are report balances' (the non-zero ones) */
	struct bal_hold h = { .n = 0 };
	ck_assert_int_eq(corridor_report_balances(w.l, -1, hold_balance, &h, &d), 0);
	static char want[64][160];
	size_t n = 0;
	for (size_t i = 0; i < h.n; i++) {
		char a[40];
		if (h.b[i].balance_minor == 0)
			continue;
		corridor_money_format(h.b[i].balance_minor, h.b[i].decimals, a, sizeof a);
		snprintf(want[n++], 160, "parties:%s %s %s", h.b[i].party, h.b[i].currency, a);
	}
	tools_agree(path, "parties", want, n);
	/* each party's books: receivables, payables, revenue, expenses, cash */
	const char *parties[] = { "RU-GAZ", "CN-BUY", "MN-PIPE" };
	for (size_t i = 0; i < 3; i++) {
		char file[64];
		snprintf(file, sizeof file, "%s.journal", parties[i]);
		const char *pp = path_join(w.dir, file);
		ck_assert_msg(corridor_export_journal_of(w.l, parties[i], pp, &d) == 0, "%s", d.text);
		struct books *k = calloc(1, sizeof *k);
		k->party = parties[i];
		ck_assert_int_eq(corridor_invoice_list(w.l, book_invoice, k, &d), 0);
		ck_assert_int_eq(corridor_payment_list(w.l, NULL, book_payment, k, &d), 0);
		n = 0;
		for (size_t x = 0; x < k->n; x++) {
			if (!k->minor[x])
				continue;
			char a[40];
			corridor_money_format(k->minor[x], !strcmp(k->currency[x], "JPY") ? 0 : 2, a,
					      sizeof a);
			snprintf(want[n++], 160, "%s %s %s", k->account[x], k->currency[x], a);
		}
		ck_assert_uint_gt(n, 2);
		tools_agree(pp, "", want, n);
		free(k);
		/* hledger's balance sheet and income statement find the types */
		char cmd[1200];
		snprintf(cmd, sizeof cmd,
			 "hledger -f '%s' --strict bs >/dev/null && hledger -f '%s' --strict is "
			 ">/dev/null && hledger -f '%s' check ordereddates",
			 pp, pp, pp);
		ck_assert_int_eq(system(cmd), 0);
	}
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_export_journal_of(w.l, "NOBODY", path_join(w.dir, "x.journal"), &d),
			 CORRIDOR_E_NOTFOUND);
	ck_assert_int_ne(access(path_join(w.dir, "x.journal"), F_OK), 0);
	sw_close(&w);
}
END_TEST

struct camt_hold {
	struct corridor_camt_result r[16];
	size_t n;
};

static int hold_camt(void *ctx, const struct corridor_camt_result *r)
{
	struct camt_hold *h = ctx;
	ck_assert_uint_lt(h->n, 16);
	h->r[h->n++] = *r;
	return 0;
}

static char *camt_file(const char *name, size_t *len)
{
	char path[1024];
	const char *base = getenv("CORRIDOR_CAMT");
	snprintf(path, sizeof path, "%s/%s", base ? base : "tests/camt", name);
	char *text = (char *)slurp(path, len);
	ck_assert_msg(text != NULL, "%s", path);
	return text;
}

START_TEST(camt053_statements)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	struct camt_hold h = { .n = 0 };
	size_t len, written;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	settle(&w, w.mar, &b);
	corridor_batch_release(&b);
	char *xml = camt_file("stmt-02.xml", &len);
	/* Only the account's owner imports its statement. */
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_payment_import(w.l, w.buy, xml, len, hold_camt, &h, &written, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "not an account registered to CN-BUY"), "%s", d.text);
	h.n = 0;
	ck_assert_msg(corridor_payment_import(w.l, w.gaz, xml, len, hold_camt, &h, &written, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(h.n, 8);
	ck_assert_uint_eq(written, 5);
	/* 1: named by the creditor reference */
	ck_assert_int_eq(h.r[0].outcome, CORRIDOR_CAMT_APPLIED);
	ck_assert_str_eq(h.r[0].invoice, "INV-G1-2026-01");
	ck_assert_str_eq(h.r[0].payer, "CN-BUY");
	ck_assert_int_eq(h.r[0].amount_minor, 452851369);
	ck_assert_int_eq(h.r[0].value_day, day("2026-02-15"));
	/* 2: a batch booking: by free text, then by amount */
	ck_assert_uint_eq(h.r[1].entry, 2);
	ck_assert_uint_eq(h.r[1].tx, 1);
	ck_assert_int_eq(h.r[1].outcome, CORRIDOR_CAMT_APPLIED);
	ck_assert_str_eq(h.r[1].invoice, "INV-G1-2026-02");
	ck_assert_int_eq(h.r[1].amount_minor, 200000000);
	ck_assert_uint_eq(h.r[2].tx, 2);
	ck_assert_int_eq(h.r[2].outcome, CORRIDOR_CAMT_APPLIED);
	ck_assert_str_eq(h.r[2].invoice, "INV-G1-2026-03");
	/* 3: USD, no invoice: unapplied; 4: an unknown account: reported, not written */
	ck_assert_int_eq(h.r[3].outcome, CORRIDOR_CAMT_UNAPPLIED);
	ck_assert_str_eq(h.r[3].currency, "USD");
	ck_assert_int_eq(h.r[4].outcome, CORRIDOR_CAMT_UNMATCHED);
	ck_assert_msg(strstr(h.r[4].why, "NL91ABNA0417164300"), "%s", h.r[4].why);
	ck_assert_uint_eq(h.r[4].seq, 0);
	/* 5: the reversal of 3, in the same statement */
	ck_assert_int_eq(h.r[5].outcome, CORRIDOR_CAMT_REVERSED);
	ck_assert_uint_eq(h.r[5].reverses, h.r[3].seq);
	/* 6: pending; 7: the owner paying: its payee records it */
	ck_assert_int_eq(h.r[6].outcome, CORRIDOR_CAMT_NOT_BOOKED);
	ck_assert_int_eq(h.r[7].outcome, CORRIDOR_CAMT_UNMATCHED);
	ck_assert_msg(strstr(h.r[7].why, "recorded by its payee"), "%s", h.r[7].why);
	/* The report: January paid, February partly, March in full; USD reversed. */
	struct corridor_invoice_report r;
	ck_assert_int_eq(corridor_report_invoices(w.l, NULL, day("2026-05-01"), &r, &d), 0);
	ck_assert_int_eq(status(&r, "INV-G1-2026-01")->open_minor, 0);
	ck_assert_int_eq(status(&r, "INV-G1-2026-02")->paid_minor, 200000000);
	ck_assert_int_eq(status(&r, "INV-G1-2026-03")->open_minor, 0);
	ck_assert_uint_eq(r.credit_count, 0);
	corridor_invoice_report_release(&r);
	/* The same statement again appends nothing. */
	h.n = 0;
	UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, xml, len, hold_camt, &h, &written, &d), 0);
	ck_assert_uint_eq(written, 0);
	ck_assert_int_eq(h.r[0].outcome, CORRIDOR_CAMT_ALREADY);
	ck_assert_int_eq(h.r[5].outcome, CORRIDOR_CAMT_ALREADY);
	free(xml);
	/* Version .08 (Sts/Cd, TxDtls/Amt, Pty/Nm, ValDt/DtTm): the same January
	 * payment under another bank reference is a new payment, an overpayment. */
	xml = camt_file("stmt-08.xml", &len);
	h.n = 0;
	ck_assert_msg(corridor_payment_import(w.l, w.gaz, xml, len, hold_camt, &h, &written, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.r[0].outcome, CORRIDOR_CAMT_APPLIED);
	ck_assert_str_eq(h.r[0].invoice, "INV-G1-2026-01");
	ck_assert_int_eq(h.r[0].value_day, day("2026-02-15"));
	free(xml);
	ck_assert_int_eq(corridor_report_invoices(w.l, NULL, day("2026-05-01"), &r, &d), 0);
	ck_assert_uint_eq(r.credit_count, 1); /* the second January payment */
	ck_assert_int_eq(r.credits[0].balance_minor, 452851369);
	corridor_invoice_report_release(&r);
	/* Malformed XML, another namespace, a missing element, hostile entities:
	 * one clear error each, nothing written. */
	const char *bad[][2] = {
		{ "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>",
		  "not well-formed" },
		{ "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\"/>",
		  "not a camt.053 statement" },
		{ "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.01\"/>",
		  "not a camt.053 statement" },
		{ "<Document><BkToCstmrStmt/></Document>", "not a camt.053 statement" },
		{ "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
		  "<Stmt><Acct><Id><IBAN>" IBAN_GAZ "</IBAN></Id></Acct><Ntry><Amt>1.00</Amt>"
		  "</Ntry></Stmt></BkToCstmrStmt></Document>",
		  "Ccy" },
		{ "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
		  "<Stmt><Acct><Id><IBAN>" IBAN_GAZ "</IBAN></Id></Acct><Ntry><Amt Ccy=\"CNY\">1.001"
		  "</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><ValDt><Dt>2026-04-01</Dt></ValDt>"
		  "<NtryDtls><TxDtls><RltdPties><DbtrAcct><Id><IBAN>" IBAN_BUY "</IBAN></Id></DbtrAcct>"
		  "</RltdPties></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>",
		  "at most 2 decimals" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		  "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
		  "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
		  "<Stmt><Acct><Id><IBAN>&c;</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>",
		  "entity" },
		{ "", "not well-formed" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		corridor_diag_init(&d);
		UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, bad[i][0], strlen(bad[i][0]), NULL,
						      NULL, &written, &d) != 0, 1);
		ck_assert_msg(strstr(d.text, bad[i][1]), "%zu: %s", i, d.text);
	}
	verify(&w);
	sw_close(&w);
}
END_TEST


/* A forged invoice (one minor unit more than the rules give) is refused at
 * append time, and so it would be by verify: processing recomputes it. */
START_TEST(forged_invoice_is_refused)
{
	struct sw w;
	struct corridor_batch b, dry;
	struct corridor_diag d;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	ck_assert_int_eq(corridor_settle_run(w.l, w.agent, w.feb, true, &dry, &d), 0);
	ck_assert_uint_eq(dry.body_count, 3);
	struct draft drafts[3];
	for (size_t i = 0; i < 3; i++)
		drafts[i] = (struct draft){ i ? "settlement.invoice" : "settlement.batch",
					    dry.bodies[i], dry.body_lens[i], NULL };
	/* the last field of an invoice body is its total, a msgpack integer */
	dry.bodies[1][dry.body_lens[1] - 1] ^= 1;
	uint64_t seqs[3];
	size_t appended;
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_append(w.l, w.agent, drafts, 3, seqs, &appended, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "is not what the ledger gives"), "%s", d.text);
	/* unforged, the same bodies are accepted */
	dry.bodies[1][dry.body_lens[1] - 1] ^= 1;
	ck_assert_msg(corridor_append(w.l, w.agent, drafts, 3, seqs, &appended, &d) == 0, "%s",
		      d.text);
	ck_assert_uint_eq(appended, 3);
	/* a summary whose netting is not what its invoices give */
	corridor_batch_release(&dry);
	ck_assert_int_eq(corridor_settle_run(w.l, w.agent, w.mar, true, &dry, &d), 0);
	for (size_t i = 0; i < 3; i++)
		drafts[i] = (struct draft){ i ? "settlement.invoice" : "settlement.batch",
					    dry.bodies[i], dry.body_lens[i], NULL };
	dry.bodies[0][dry.body_lens[0] - 1] ^= 1; /* totals: the last amount byte */
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_append(w.l, w.agent, drafts, 3, seqs, &appended, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "summary"), "%s", d.text);
	dry.bodies[0][dry.body_lens[0] - 1] ^= 1;
	/* a summary naming a tree this log does not have at that size: the
	 * root's first byte, after the map, "computed_at", its map and "root" */
	const size_t root_at = 1 + 12 + 1 + 5 + 2;
	ck_assert_uint_eq(dry.bodies[0][root_at - 2], 0xc4);
	ck_assert_int_eq(memcmp(dry.bodies[0] + root_at, dry.computed_root, CORRIDOR_HASH_BYTES), 0);
	dry.bodies[0][root_at] ^= 1;
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_append(w.l, w.agent, drafts, 3, seqs, &appended, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "computed at tree size") && !strchr(d.text, '\n'), "%s",
		      d.text);
	/* as computed, it names the tree it was computed at, and is accepted */
	dry.bodies[0][root_at] ^= 1;
	ck_assert_msg(corridor_append(w.l, w.agent, drafts, 3, seqs, &appended, &d) == 0, "%s",
		      d.text);
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(w.l, &h), 0);
	ck_assert(dry.computed_size > 0 && dry.computed_size < h.size);
	corridor_batch_release(&dry);
	verify(&w);
	sw_close(&w);
}
END_TEST

/* ---- property tests over random logs ---- */

struct first_reading {
	const char *recorder;
	uint64_t seq;
};

static int keep_first(void *ctx, const struct corridor_delivery *dl)
{
	struct first_reading *f = ctx;
	if (!f->seq && !dl->superseded_by && !strcmp(dl->recorder, f->recorder))
		f->seq = dl->seq;
	return 0;
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

struct prop {
	char *dir;
	struct corridor_ledger *l;
	struct corridor_signer *op, *p[4], *fx, *agent;
	struct corridor_batch batches[2];
};

static const char *const CUR[4] = { "CNY", "MNT", "RUB", "USD" };

/* A random log from seed: 4 parties, 3 contracts (random currencies, prices
 * changing mid-month, bands, a term starting mid-January), readings by both
 * sides, rates (direct or inverse), then January settled, a correction, and
 * February settled; each batch's dry run is checked against the real run. */
static void prop_build(struct prop *pr, uint32_t seed)
{
	struct corridor_diag d;
	uint64_t seq, prop;
	uint32_t x = seed * 2654435761u + 1;
	memset(pr, 0, sizeof *pr);
	pr->dir = tmpdir_new();
	pr->op = test_signer(ORIGIN, 1);
	ck_assert_int_eq(corridor_ledger_create(path_join(pr->dir, "L"), pr->op, &pr->l, &d), 0);
	const char *names[4] = { "PA", "PB", "PC", "PD" };
	for (int i = 0; i < 4; i++) {
		pr->p[i] = test_signer(names[i], (uint8_t)(10 + i));
		struct corridor_party_request r = { .id = names[i], .name = names[i], .country = "MN",
						    .roles = CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_BUYER,
						    .key = *corridor_signer_vkey(pr->p[i]) };
		ck_assert_int_eq(corridor_party_register(pr->l, pr->op, &r, NULL, &seq, &d), 0);
	}
	pr->fx = test_signer("FX", 20);
	pr->agent = test_signer("AG", 21);
	struct corridor_party_request r = { .id = "FX", .name = "FX", .country = "MN",
					    .roles = CORRIDOR_ROLE_RATES,
					    .key = *corridor_signer_vkey(pr->fx) };
	ck_assert_int_eq(corridor_party_register(pr->l, pr->op, &r, NULL, &seq, &d), 0);
	r = (struct corridor_party_request){ .id = "AG", .name = "AG", .country = "MN",
					     .roles = CORRIDOR_ROLE_SETTLEMENT,
					     .key = *corridor_signer_vkey(pr->agent) };
	ck_assert_int_eq(corridor_party_register(pr->l, pr->op, &r, NULL, &seq, &d), 0);
	int32_t jan = day("2026-01-01"), feb = day("2026-02-01");
	for (int c = 0; c < 3; c++) {
		struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_POWER,
						     .payment_days = 1 + rnd(&x) % 60,
						     .tolerance_permille = rnd(&x) % 20 };
		int s = (int)(rnd(&x) % 4), bu = (s + 1 + (int)(rnd(&x) % 3)) % 4;
		snprintf(t.id, sizeof t.id, "C%d", c);
		snprintf(t.seller, sizeof t.seller, "%s", names[s]);
		snprintf(t.buyer, sizeof t.buyer, "%s", names[bu]);
		snprintf(t.delivery_point, sizeof t.delivery_point, "border");
		snprintf(t.unit, sizeof t.unit, "MWh");
		snprintf(t.currency, sizeof t.currency, "%s", CUR[rnd(&x) % 4]);
		snprintf(t.settlement_currency, sizeof t.settlement_currency, "%s", CUR[rnd(&x) % 4]);
		if (strcmp(t.currency, t.settlement_currency))
			snprintf(t.rate_source, sizeof t.rate_source, "SRC");
		snprintf(t.metering_party, sizeof t.metering_party, "%s", names[s]);
		snprintf(t.billing_meter, sizeof t.billing_meter, "M%d", c);
		t.utc_offset_min = rnd(&x) % 2 ? 480 : 180;
		t.start_day = jan + (c == 2 ? 9 : 0); /* C2 starts on 10 January: prorated */
		t.end_day = day("2027-01-01");
		t.price_count = 2;
		t.prices[0] = (struct corridor_price_step){ t.start_day,
							    1000000 + (int64_t)(rnd(&x) % 400000000) };
		t.prices[1] = (struct corridor_price_step){ jan + 15,
							    1000000 + (int64_t)(rnd(&x) % 400000000) };
		if ((t.has_min = rnd(&x) % 2)) {
			t.min_milli = (int64_t)(rnd(&x) % 3000) * 1000;
			t.shortfall_bp = rnd(&x) % 10001;
		}
		if ((t.has_max = rnd(&x) % 2)) {
			t.max_milli = (t.has_min ? t.min_milli : 0) + (int64_t)(rnd(&x) % 3000) * 1000;
			t.excess_bp = rnd(&x) % 10001;
		}
		ck_assert_msg(corridor_contract_propose(pr->l, pr->p[s], &t, NULL, &prop, &d) == 0,
			      "%s", d.text);
		ck_assert_int_eq(corridor_contract_accept(pr->l, pr->p[bu], t.id, prop, NULL, &seq, &d),
				 0);
		/* daily readings for January and February, both sides */
		for (int32_t dd = t.start_day; dd < feb + 28; dd++) {
			int64_t st = (int64_t)dd * 86400 - (int64_t)t.utc_offset_min * 60;
			struct corridor_delivery_request q = { .contract = t.id, .meter = t.billing_meter,
							       .start_s = st, .end_s = st + 86400,
							       .quantity_milli = (int64_t)(rnd(&x) % 200000),
							       .quality = 'A' };
			ck_assert_int_eq(corridor_delivery_record(pr->l, pr->p[s], &q, &seq, &d), 0);
			char other[16];
			snprintf(other, sizeof other, "O%d", c);
			q.meter = other;
			q.quantity_milli += (int64_t)(rnd(&x) % 3000) - 1500;
			if (q.quantity_milli < 0)
				q.quantity_milli = 0;
			if (rnd(&x) % 5)
				ck_assert_int_eq(corridor_delivery_record(pr->l, pr->p[bu], &q, &seq, &d), 0);
		}
	}
	/* rates for every pair, either direction, a few days before each month end */
	for (int a = 0; a < 4; a++)
		for (int b2 = a + 1; b2 < 4; b2++)
			for (int m = 0; m < 2; m++) {
				struct corridor_rate rt = { .source = "SRC" };
				bool direct = rnd(&x) % 2;
				snprintf(rt.base, sizeof rt.base, "%s", CUR[direct ? a : b2]);
				snprintf(rt.quote, sizeof rt.quote, "%s", CUR[direct ? b2 : a]);
				rt.day = (m ? day("2026-02-28") : day("2026-01-31")) - (int32_t)(rnd(&x) % 8);
				rt.rate_e8 = 1 + (int64_t)(rnd(&x) % 2000000000);
				ck_assert_msg(corridor_rate_record(pr->l, pr->fx, &rt, false, NULL, &seq, &d) == 0,
					      "%s", d.text);
			}
	int32_t periods[2] = { jan, feb };
	for (int m = 0; m < 2; m++) {
		struct corridor_batch dry;
		struct corridor_head h0;
		ck_assert_int_eq(corridor_ledger_head(pr->l, &h0), 0);
		ck_assert_msg(corridor_settle_run(pr->l, pr->agent, periods[m], true, &dry, &d) == 0,
			      "%s", d.text);
		ck_assert_msg(corridor_settle_run(pr->l, pr->agent, periods[m], false, &pr->batches[m],
						  &d) == 0, "%s", d.text);
		ck_assert_uint_eq(dry.body_count, pr->batches[m].body_count);
		for (size_t i = 0; i < dry.body_count; i++) {
			ck_assert_uint_eq(dry.body_lens[i], pr->batches[m].body_lens[i]);
			ck_assert(memcmp(dry.bodies[i], pr->batches[m].bodies[i], dry.body_lens[i]) == 0);
		}
		/* postings per currency sum to zero, and the netting instructions
		 * settle every party's position exactly, at most parties - 1 each */
		for (size_t k = 0; k < dry.total_count; k++) {
			const char *cur = dry.totals[k].currency;
			int64_t pos[6] = { 0 }, sum = 0;
			const char *who[6] = { "PA", "PB", "PC", "PD", "FX", "AG" };
			size_t instr = 0;
			for (size_t i = 0; i < dry.invoice_count; i++) {
				const struct corridor_invoice *v = &dry.invoices[i];
				if (strcmp(v->settlement_currency, cur))
					continue;
				for (int q = 0; q < 6; q++) {
					pos[q] += !strcmp(who[q], v->seller) ? v->total_minor : 0;
					pos[q] -= !strcmp(who[q], v->buyer) ? v->total_minor : 0;
				}
			}
			for (int q = 0; q < 6; q++)
				sum += pos[q];
			ck_assert_int_eq(sum, 0);
			for (size_t i = 0; i < dry.netting_count; i++) {
				const struct corridor_netting *nt = &dry.netting[i];
				if (strcmp(nt->currency, cur))
					continue;
				instr++;
				ck_assert_int_gt(nt->amount_minor, 0);
				for (int q = 0; q < 6; q++) {
					pos[q] += !strcmp(who[q], nt->from) ? nt->amount_minor : 0;
					pos[q] -= !strcmp(who[q], nt->to) ? nt->amount_minor : 0;
				}
			}
			for (int q = 0; q < 6; q++)
				ck_assert_int_eq(pos[q], 0);
			ck_assert_uint_le(instr, 3);
		}
		corridor_batch_release(&dry);
		if (m == 0) {
			/* a January reading of C0 corrected after January is settled:
			 * February carries the adjustment */
			struct first_reading fr = { .recorder = NULL };
			struct corridor_contract *c0 = malloc(sizeof *c0);
			ck_assert_int_eq(corridor_contract_get(pr->l, "C0", c0, &d), 0);
			fr.recorder = c0->versions[0].terms.metering_party;
			ck_assert_int_eq(corridor_delivery_list(pr->l, "C0", jan, keep_first, &fr, &d), 0);
			ck_assert_uint_ne(fr.seq, 0);
			int err = corridor_delivery_correct(pr->l, pr->p[fr.recorder[1] - 'A'], fr.seq,
							    (int64_t)(rnd(&x) % 200000), "fix", NULL,
							    &seq, &d);
			ck_assert_msg(err == 0, "%s", d.text);
			free(c0);
		}
	}
	struct bal_hold h = { .n = 0 };
	ck_assert_int_eq(corridor_report_balances(pr->l, -1, hold_balance, &h, &d), 0);
	for (size_t i = 0; i < h.n;) {
		corridor_i128 sum = 0;
		size_t j = i;
		while (j < h.n && !strcmp(h.b[j].currency, h.b[i].currency))
			sum += h.b[j++].balance_minor;
		ck_assert(sum == 0);
		i = j;
	}
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(pr->l, NULL, NULL, &d) == 0, "%s", d.text);
}

static void prop_free(struct prop *pr)
{
	corridor_batch_release(&pr->batches[0]);
	corridor_batch_release(&pr->batches[1]);
	corridor_ledger_close(pr->l);
	corridor_signer_free(pr->op);
	for (int i = 0; i < 4; i++)
		corridor_signer_free(pr->p[i]);
	corridor_signer_free(pr->fx);
	corridor_signer_free(pr->agent);
	rm_rf(pr->dir);
	free(pr->dir);
}

START_TEST(random_logs)
{
	enum { LOGS = 6 };
	size_t adjustments = 0, direct = 0, inverse = 0, shortfall = 0, excess = 0, energy = 0;
	for (uint32_t seed = 1; seed <= LOGS; seed++) {
		struct prop a, b;
		prop_build(&a, seed);
		prop_build(&b, seed); /* the same log in a second, fresh ledger */
		for (int m = 0; m < 2; m++) {
			for (size_t i = 0; i < a.batches[m].invoice_count; i++) {
				const struct corridor_invoice *v = &a.batches[m].invoices[i];
				adjustments += v->adjustment_count;
				direct += v->converted && !strcmp(v->rate.base, v->currency);
				inverse += v->converted && strcmp(v->rate.base, v->currency);
				for (size_t k = 0; k < v->line_count; k++) {
					shortfall += v->lines[k].kind == CORRIDOR_LINE_SHORTFALL;
					excess += v->lines[k].kind == CORRIDOR_LINE_EXCESS;
					energy += v->lines[k].kind == CORRIDOR_LINE_ENERGY;
				}
			}
			ck_assert_uint_eq(a.batches[m].body_count, b.batches[m].body_count);
			/* the invoices; the summary names each ledger's own tree */
			ck_assert(memcmp(a.batches[m].digest, b.batches[m].digest,
					 CORRIDOR_HASH_BYTES) == 0);
			for (size_t i = 1; i < a.batches[m].body_count; i++) {
				ck_assert_uint_eq(a.batches[m].body_lens[i], b.batches[m].body_lens[i]);
				ck_assert(memcmp(a.batches[m].bodies[i], b.batches[m].bodies[i],
						 a.batches[m].body_lens[i]) == 0);
			}
		}
		prop_free(&a);
		prop_free(&b);
	}
	/* the random logs exercised every rule */
	fprintf(stderr, "settle: %d random logs: %zu energy, %zu shortfall, %zu excess lines, %zu "
			"direct and %zu inverse conversions, %zu adjustments\n",
		LOGS, energy, shortfall, excess, direct, inverse, adjustments);
	ck_assert(adjustments && direct && inverse && shortfall && excess && energy);
}
END_TEST


/* A term starting mid-period prorates the band; three parties net to two
 * instructions, the largest debt paying the largest claim first. */
START_TEST(proration_and_three_party_netting)
{
	struct corridor_diag d;
	uint64_t seq, prop;
	char *dir = tmpdir_new();
	struct corridor_ledger *l;
	struct corridor_signer *op = test_signer(ORIGIN, 1), *p[3], *agent = test_signer("AG", 9);
	const char *names[3] = { "A", "B", "C" };
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L"), op, &l, &d), 0);
	for (int i = 0; i < 3; i++) {
		p[i] = test_signer(names[i], (uint8_t)(2 + i));
		struct corridor_party_request r = { .id = names[i], .name = names[i], .country = "MN",
						    .roles = CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_BUYER,
						    .key = *corridor_signer_vkey(p[i]) };
		ck_assert_int_eq(corridor_party_register(l, op, &r, NULL, &seq, &d), 0);
	}
	struct corridor_party_request r = { .id = "AG", .name = "AG", .country = "MN",
					    .roles = CORRIDOR_ROLE_SETTLEMENT,
					    .key = *corridor_signer_vkey(agent) };
	ck_assert_int_eq(corridor_party_register(l, op, &r, NULL, &seq, &d), 0);
	/* K1 A->B 100 MWh, K2 B->C 30, K3 C->A 50, K4 A->B from 10 March with a
	 * 310 MWh minimum and nothing delivered: 310 x 22/31 = 220 MWh short. */
	struct {
		const char *id;
		int s, b;
		int64_t q;
		const char *start;
	} k[4] = { { "K1", 0, 1, 100000, "2026-03-01" }, { "K2", 1, 2, 30000, "2026-03-01" },
		   { "K3", 2, 0, 50000, "2026-03-01" }, { "K4", 0, 1, 0, "2026-03-10" } };
	for (int i = 0; i < 4; i++) {
		struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_GAS,
						     .utc_offset_min = 480, .price_count = 1,
						     .payment_days = 10 };
		snprintf(t.id, sizeof t.id, "%s", k[i].id);
		snprintf(t.seller, sizeof t.seller, "%s", names[k[i].s]);
		snprintf(t.buyer, sizeof t.buyer, "%s", names[k[i].b]);
		snprintf(t.delivery_point, sizeof t.delivery_point, "x");
		snprintf(t.unit, sizeof t.unit, "MWh");
		snprintf(t.currency, sizeof t.currency, "USD");
		snprintf(t.settlement_currency, sizeof t.settlement_currency, "USD");
		snprintf(t.metering_party, sizeof t.metering_party, "%s", names[k[i].s]);
		snprintf(t.billing_meter, sizeof t.billing_meter, "M-%s", k[i].id);
		t.start_day = day(k[i].start);
		t.end_day = day("2027-01-01");
		t.prices[0] = (struct corridor_price_step){ t.start_day, 1000000 };
		if (i == 3) {
			t.has_min = true;
			t.min_milli = 310000;
			t.shortfall_bp = 10000;
		}
		ck_assert_msg(corridor_contract_propose(l, p[k[i].s], &t, NULL, &prop, &d) == 0, "%s",
			      d.text);
		ck_assert_int_eq(corridor_contract_accept(l, p[k[i].b], t.id, prop, NULL, &seq, &d), 0);
		if (k[i].q) {
			int64_t st = (int64_t)day("2026-03-12") * 86400 - 480 * 60;
			struct corridor_delivery_request q = { .contract = t.id, .meter = t.billing_meter,
							       .start_s = st, .end_s = st + 86400,
							       .quantity_milli = k[i].q, .quality = 'A' };
			ck_assert_int_eq(corridor_delivery_record(l, p[k[i].s], &q, &seq, &d), 0);
		}
	}
	struct corridor_batch b;
	ck_assert_msg(corridor_settle_run(l, agent, day("2026-03-01"), false, &b, &d) == 0, "%s",
		      d.text);
	ck_assert_uint_eq(b.invoice_count, 4);
	const struct corridor_invoice *k4 = find(&b, "INV-K4-2026-03");
	ck_assert_uint_eq(k4->line_count, 1);
	ck_assert_int_eq(k4->lines[0].kind, CORRIDOR_LINE_SHORTFALL);
	ck_assert_int_eq(k4->lines[0].quantity_milli, 220000);
	ck_assert_int_eq(k4->total_minor, 22000);
	ck_assert_int_eq(find(&b, "INV-K1-2026-03")->total_minor, 10000);
	/* A +100 +220 -50 = +270; B -100 -220 +30 = -290; C -30 +50 = +20 */
	ck_assert_uint_eq(b.netting_count, 2);
	ck_assert_str_eq(b.netting[0].from, "B");
	ck_assert_str_eq(b.netting[0].to, "A");
	ck_assert_int_eq(b.netting[0].amount_minor, 27000);
	ck_assert_str_eq(b.netting[1].from, "B");
	ck_assert_str_eq(b.netting[1].to, "C");
	ck_assert_int_eq(b.netting[1].amount_minor, 2000);
	ck_assert_uint_eq(b.total_count, 1);
	ck_assert_int_eq(b.totals[0].amount_minor, 10000 + 3000 + 5000 + 22000);
	corridor_batch_release(&b);
	/* Half to even, both ways, in an invoice line: 0.015 MWh at 1 USD is 1.5
	 * cents -> 2; 0.025 MWh is 2.5 cents -> 2. */
	int64_t tie_q[2] = { 15, 25 };
	for (int i = 0; i < 2; i++) {
		struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_GAS,
						     .utc_offset_min = 480, .price_count = 1,
						     .payment_days = 10 };
		snprintf(t.id, sizeof t.id, "TIE%d", i);
		snprintf(t.seller, sizeof t.seller, "B");
		snprintf(t.buyer, sizeof t.buyer, "C");
		snprintf(t.delivery_point, sizeof t.delivery_point, "x");
		snprintf(t.unit, sizeof t.unit, "MWh");
		snprintf(t.currency, sizeof t.currency, "USD");
		snprintf(t.settlement_currency, sizeof t.settlement_currency, "USD");
		snprintf(t.metering_party, sizeof t.metering_party, "B");
		snprintf(t.billing_meter, sizeof t.billing_meter, "M-TIE%d", i);
		t.start_day = day("2026-04-01");
		t.end_day = day("2027-01-01");
		t.prices[0] = (struct corridor_price_step){ t.start_day, 1000000 };
		ck_assert_int_eq(corridor_contract_propose(l, p[1], &t, NULL, &prop, &d), 0);
		ck_assert_int_eq(corridor_contract_accept(l, p[2], t.id, prop, NULL, &seq, &d), 0);
		int64_t st = (int64_t)day("2026-04-03") * 86400 - 480 * 60;
		struct corridor_delivery_request q = { .contract = t.id, .meter = t.billing_meter,
						       .start_s = st, .end_s = st + 86400,
						       .quantity_milli = tie_q[i], .quality = 'A' };
		ck_assert_int_eq(corridor_delivery_record(l, p[1], &q, &seq, &d), 0);
	}
	ck_assert_msg(corridor_settle_run(l, agent, day("2026-04-01"), false, &b, &d) == 0, "%s",
		      d.text);
	ck_assert_int_eq(find(&b, "INV-TIE0-2026-04")->lines[0].amount_minor, 2); /* 1.5 -> 2 */
	ck_assert_int_eq(find(&b, "INV-TIE1-2026-04")->lines[0].amount_minor, 2); /* 2.5 -> 2 */
	ck_assert_int_eq(find(&b, "INV-K4-2026-04")->total_minor, 31000); /* the whole month */
	corridor_batch_release(&b);
	/* An amount beyond int64 is an error, not a wrap: 10^15 - 1 milli-MWh at
	 * 999999.999999 a MWh is 10^20 cents. */
	struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_GAS,
					     .utc_offset_min = 480, .price_count = 1,
					     .payment_days = 10 };
	snprintf(t.id, sizeof t.id, "BIG");
	snprintf(t.seller, sizeof t.seller, "A");
	snprintf(t.buyer, sizeof t.buyer, "C");
	snprintf(t.delivery_point, sizeof t.delivery_point, "x");
	snprintf(t.unit, sizeof t.unit, "MWh");
	snprintf(t.currency, sizeof t.currency, "USD");
	snprintf(t.settlement_currency, sizeof t.settlement_currency, "USD");
	snprintf(t.metering_party, sizeof t.metering_party, "A");
	snprintf(t.billing_meter, sizeof t.billing_meter, "M-BIG");
	t.start_day = day("2026-05-01");
	t.end_day = day("2027-01-01");
	t.prices[0] = (struct corridor_price_step){ t.start_day, CORRIDOR_PRICE_MICRO_LIMIT - 1 };
	ck_assert_int_eq(corridor_contract_propose(l, p[0], &t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(l, p[2], t.id, prop, NULL, &seq, &d), 0);
	int64_t st = (int64_t)day("2026-05-02") * 86400 - 480 * 60;
	struct corridor_delivery_request q = { .contract = "BIG", .meter = "M-BIG", .start_s = st,
					       .end_s = st + 86400,
					       .quantity_milli = CORRIDOR_QUANTITY_MILLI_LIMIT - 1,
					       .quality = 'A' };
	ck_assert_int_eq(corridor_delivery_record(l, p[0], &q, &seq, &d), 0);
	struct corridor_head h0, h1;
	ck_assert_int_eq(corridor_ledger_head(l, &h0), 0);
	corridor_diag_init(&d);
	/* BIG's own amount overflows: it alone is left unsettled, listed with why */
	ck_assert_int_eq(corridor_settle_run(l, agent, day("2026-05-01"), true, &b, &d), 0);
	ck_assert_uint_eq(b.unsettled_count, 1);
	ck_assert_str_eq(b.unsettled[0].contract, "BIG");
	ck_assert_msg(strstr(b.unsettled[0].why, "overflow"), "%s", b.unsettled[0].why);
	for (size_t i = 0; i < b.invoice_count; i++)
		ck_assert_str_ne(b.invoices[i].contract, "BIG");
	corridor_batch_release(&b);
	ck_assert_int_eq(corridor_ledger_head(l, &h1), 0);
	ck_assert_uint_eq(h1.size, h0.size);
	ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	corridor_signer_free(agent);
	for (int i = 0; i < 3; i++)
		corridor_signer_free(p[i]);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(currencies_and_rates)
{
	struct sw w;
	struct corridor_diag d;
	uint64_t seq;
	size_t written, skipped;
	unsigned dec;
	sw_open(&w);
	/* a contract in a currency nobody defined is refused until it is defined */
	struct corridor_contract_terms *kt = malloc(sizeof *kt);
	test_terms("gas-G1.json", kt);
	snprintf(kt->id, sizeof kt->id, "K1");
	snprintf(kt->settlement_currency, sizeof kt->settlement_currency, "KZT");
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_contract_propose(w.l, w.gaz, kt, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "KZT is not defined"), "%s", d.text);
	ck_assert_int_eq(corridor_currency_define(w.l, w.op, "KZT", 2, NULL, &seq, &d), 0);
	ck_assert_msg(corridor_contract_propose(w.l, w.gaz, kt, NULL, &seq, &d) == 0, "%s", d.text);
	free(kt);
	ck_assert_int_eq(corridor_currency_decimals(w.l, "KZT", &dec, &d), 0);
	ck_assert_uint_eq(dec, 2);
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_currency_define(w.l, w.op, "KZT", 0, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_currency_define(w.l, w.op, "USD", 2, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_currency_define(w.l, w.gaz, "JPY", 0, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_currency_define(w.l, w.op, "usd", 2, NULL, &seq, &d),
		  CORRIDOR_E_INVALID);
	UNCHANGED(&w, corridor_currency_define(w.l, w.op, "BHD", 5, NULL, &seq, &d),
		  CORRIDOR_E_INVALID);
	/* Rates: a rates party only; a second rate for the same day is a correction. */
	struct corridor_rate r = { .source = "PBOC", .base = "USD", .quote = "CNY",
				   .day = day("2026-03-27"), .rate_e8 = 712000000 };
	UNCHANGED(&w, corridor_rate_record(w.l, w.fx, &r, false, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_rate_record(w.l, w.gaz, &r, true, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_rate_record(w.l, w.fx, &r, true, NULL, &seq, &d), 0);
	r.day = day("2026-03-20");
	UNCHANGED(&w, corridor_rate_record(w.l, w.fx, &r, true, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	r.rate_e8 = 0;
	UNCHANGED(&w, corridor_rate_record(w.l, w.fx, &r, false, NULL, &seq, &d), CORRIDOR_E_INVALID);
	r.rate_e8 = CORRIDOR_RATE_LIMIT;
	UNCHANGED(&w, corridor_rate_record(w.l, w.fx, &r, false, NULL, &seq, &d), CORRIDOR_E_INVALID);
	r.rate_e8 = 1;
	memcpy(r.quote, "XXX", 4); /* not defined */
	UNCHANGED(&w, corridor_rate_record(w.l, w.fx, &r, false, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	/* CSV import: rows equal to recorded ones are skipped; a different value
	 * for an existing day is refused with its line; bad cells name line and column. */
	const char *csv = "source,base,quote,date,rate\r\n"
			  "PBOC,USD,CNY,2026-03-30,7.1\r\n"
			  "PBOC,USD,CNY,2026-03-27,7.12\r\n"
			  "CBR,USD,RUB,2026-03-31,\"81.5\"\r\n";
	ck_assert_msg(corridor_rate_import(w.l, w.fx, csv, strlen(csv), &written, &skipped, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(written, 2);
	ck_assert_uint_eq(skipped, 1);
	ck_assert_int_eq(corridor_rate_import(w.l, w.fx, csv, strlen(csv), &written, &skipped, &d), 0);
	ck_assert_uint_eq(written, 0);
	const char *bad[][2] = {
		{ "base,quote,date,rate,source\nUSD,CNY,2026-03-30,7.2,PBOC\n", "line 2" },
		{ "base,quote,date,rate,source\nUSD,CNY,2026-02-30,7.2,PBOC\n", "column date" },
		{ "base,quote,date,rate,source\nUSD,CNY,2026-03-01,7.123456789,PBOC\n", "8 decimals" },
		{ "base,quote,date,rate,source\nUSD,CNY,2026-03-01,-1,PBOC\n", "column rate" },
		{ "base,quote,date,rate,source\nUSD,CNY,2026-03-01,1e3,PBOC\n", "not a decimal" },
		{ "base,quote,date,rate\nUSD,CNY,2026-03-01,1\n", "lacks the column 'source'" },
		{ "base,quote,date,rate,source\nUSD,USD,2026-03-01,1,PBOC\n", "the same" },
		{ "base,quote,date,rate,source\nUSD,CNY,2026-03-01,1,\"PB\"\"OC\n", "line 2" },
		{ "", "empty" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		corridor_diag_init(&d);
		struct corridor_head b0, a0;
		ck_assert_int_eq(corridor_ledger_head(w.l, &b0), 0);
		ck_assert_int_ne(corridor_rate_import(w.l, w.fx, bad[i][0], strlen(bad[i][0]), &written,
						      &skipped, &d), 0);
		ck_assert_msg(strstr(d.text, bad[i][1]), "%zu: %s", i, d.text);
		ck_assert_int_eq(corridor_ledger_head(w.l, &a0), 0);
		ck_assert_uint_eq(a0.size, b0.size);
	}
	verify(&w);
	sw_close(&w);
}
END_TEST


/* ---- issue 10: hostile statements, tampered state, one stuck contract ---- */

/* A camt.053 statement of RU-GAZ with n credits from CN-BUY: amounts[i] CNY
 * under bank reference refs[i] (NULL: none). */
static char *statement(const char *const *refs, const char *const *amounts, int n)
{
	size_t cap = 4096 + (size_t)n * 1024, at = 0;
	char *x = malloc(cap);
	ck_assert_ptr_nonnull(x);
	at += (size_t)snprintf(x + at, cap - at,
			       "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"
			       "<BkToCstmrStmt><Stmt><Acct><Id><IBAN>" IBAN_GAZ "</IBAN></Id></Acct>");
	for (int i = 0; i < n; i++) {
		at += (size_t)snprintf(x + at, cap - at,
				       "<Ntry><Amt Ccy=\"CNY\">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
				       "<Sts>BOOK</Sts><ValDt><Dt>2026-04-10</Dt></ValDt>",
				       amounts[i]);
		if (refs[i])
			at += (size_t)snprintf(x + at, cap - at, "<AcctSvcrRef>%s</AcctSvcrRef>", refs[i]);
		at += (size_t)snprintf(x + at, cap - at,
				       "<NtryDtls><TxDtls><RltdPties><DbtrAcct><Id><IBAN>" IBAN_BUY
				       "</IBAN></Id></DbtrAcct></RltdPties></TxDtls></NtryDtls></Ntry>");
	}
	snprintf(x + at, cap - at, "</Stmt></BkToCstmrStmt></Document>");
	return x;
}

START_TEST(statements_never_drop_or_double_a_credit)
{
	struct sw w;
	struct corridor_diag d;
	struct camt_hold h = { .n = 0 };
	size_t written;
	sw_open(&w);
	/* one bank reference twice in one statement, 100.00 and 200.00: refused whole */
	char *x = statement((const char *[]){ "B-1", "B-1" }, (const char *[]){ "100.00", "200.00" }, 2);
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, x, strlen(x), hold_camt, &h, &written, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "B-1") && strstr(d.text, "twice"), "%s", d.text);
	free(x);
	/* recorded once; the same again is already there; another amount under
	 * the same reference on a later statement is a conflict naming both */
	x = statement((const char *[]){ "B-2" }, (const char *[]){ "100.00" }, 1);
	ck_assert_msg(corridor_payment_import(w.l, w.gaz, x, strlen(x), NULL, NULL, &written, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(written, 1);
	h.n = 0;
	UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, x, strlen(x), hold_camt, &h, &written, &d), 0);
	ck_assert_int_eq(h.r[0].outcome, CORRIDOR_CAMT_ALREADY);
	free(x);
	x = statement((const char *[]){ "B-2" }, (const char *[]){ "200.00" }, 1);
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, x, strlen(x), NULL, NULL, &written, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "other values") && strstr(d.text, "100.00") &&
			      strstr(d.text, "200.00"),
		      "%s", d.text);
	free(x);
	/* no bank reference: a position is no identity, so nothing is written
	 * and each is reported; a re-issue [50, 100] of [100] records nothing twice */
	x = statement((const char *[]){ NULL, NULL }, (const char *[]){ "50.00", "100.00" }, 2);
	h.n = 0;
	UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, x, strlen(x), hold_camt, &h, &written, &d), 0);
	ck_assert_uint_eq(written, 0);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_int_eq(h.r[0].outcome, CORRIDOR_CAMT_NO_REFERENCE);
	ck_assert_int_eq(h.r[1].outcome, CORRIDOR_CAMT_NO_REFERENCE);
	free(x);
	/* a DTD, an internal entity used on purpose, an undeclared entity: refused
	 * before anything is read */
	const char *ent[] = {
		"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY r \"INV-G1-2026-01\">]><Document "
		"xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Acct>"
		"<Id><IBAN>" IBAN_GAZ "</IBAN></Id></Acct><Ntry><Amt Ccy=\"CNY\">1.00</Amt>"
		"<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><ValDt><Dt>2026-04-01</Dt></ValDt>"
		"<AcctSvcrRef>E-1</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>&r;"
		"</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt>"
		"</BkToCstmrStmt></Document>",
		"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
		"<Stmt><Acct><Id><IBAN>&r;</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>",
	};
	const char *why[] = { "no DTD", "not well-formed" };
	for (int i = 0; i < 2; i++) {
		corridor_diag_init(&d);
		UNCHANGED(&w, corridor_payment_import(w.l, w.gaz, ent[i], strlen(ent[i]), NULL, NULL,
						      &written, &d), i ? CORRIDOR_E_MALFORMED
								       : CORRIDOR_E_INVALID);
		ck_assert_msg(strstr(d.text, why[i]) && !strchr(d.text, '\n'), "%s", d.text);
	}
	verify(&w);
	sw_close(&w);
}
END_TEST

/* One quantity changed in the derived `periods` table, no entry touched: the
 * settlement agent refuses to sign, and the ledger does not move. */
START_TEST(tampered_state_is_never_signed)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	MDB_txn *txn;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	ck_assert_int_eq(corridor_txn_begin(w.l, 0, &txn, &d), 0);
	uint8_t k[64];
	size_t klen = corridor_period_key("G1", day("2026-03-05"), 0, k);
	MDB_val key = { .mv_size = klen, .mv_data = k }, v;
	ck_assert_int_eq(mdb_get(txn, w.l->state[STATE_PERIODS], &key, &v), 0);
	uint8_t *copy = malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[16 + 6] ^= 0x40; /* the first reading's quantity */
	MDB_val nv = { .mv_size = v.mv_size, .mv_data = copy };
	ck_assert_int_eq(mdb_put(txn, w.l->state[STATE_PERIODS], &key, &nv, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	free(copy);
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_settle_run(w.l, w.agent, w.mar, false, &b, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "disagree") && strstr(d.text, "G1"), "%s", d.text);
	corridor_batch_release(&b);
	/* verify sees it too */
	ck_assert_int_ne(corridor_ledger_verify(w.l, NULL, NULL, &d), 0);
	sw_close(&w);
}
END_TEST

static void gas_terms(struct corridor_contract_terms *t, const char *id, int64_t price)
{
	memset(t, 0, sizeof *t);
	t->commodity = CORRIDOR_COMMODITY_GAS;
	t->utc_offset_min = 480;
	t->price_count = 1;
	t->payment_days = 10;
	snprintf(t->id, sizeof t->id, "%s", id);
	snprintf(t->seller, sizeof t->seller, "RU-GAZ");
	snprintf(t->buyer, sizeof t->buyer, "CN-BUY");
	snprintf(t->delivery_point, sizeof t->delivery_point, "x");
	snprintf(t->unit, sizeof t->unit, "MWh");
	snprintf(t->currency, sizeof t->currency, "USD");
	snprintf(t->settlement_currency, sizeof t->settlement_currency, "USD");
	snprintf(t->metering_party, sizeof t->metering_party, "RU-GAZ");
	snprintf(t->billing_meter, sizeof t->billing_meter, "M-%s", id);
	t->start_day = day("2026-03-01");
	t->end_day = day("2027-01-01");
	t->prices[0] = (struct corridor_price_step){ t->start_day, price };
}

/* A seller that is its own metering party records absurd readings: only its
 * contract (and the transit carrying it) waits; the others are settled. */
START_TEST(one_contract_never_blocks_the_others)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	uint64_t prop, seq, big;
	sw_open(&w);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	gas_terms(t, "X3", CORRIDOR_PRICE_MICRO_LIMIT - 1);
	ck_assert_int_eq(corridor_contract_propose(w.l, w.gaz, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.buy, "X3", prop, NULL, &seq, &d), 0);
	test_terms("transit-T1.json", t);
	snprintf(t->id, sizeof t->id, "T3");
	snprintf(t->carries, sizeof t->carries, "X3");
	ck_assert_int_eq(corridor_contract_propose(w.l, w.pipe, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.gaz, "T3", prop, NULL, &seq, &d), 0);
	/* a capacity bounds a reading: 1000 MWh an hour */
	gas_terms(t, "X4", 1000000);
	t->has_max_rate = true;
	t->max_rate_milli = 1000000;
	ck_assert_int_eq(corridor_contract_propose(w.l, w.gaz, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.buy, "X4", prop, NULL, &seq, &d), 0);
	int64_t st = (int64_t)day("2026-03-02") * 86400 - 480 * 60;
	struct corridor_delivery_request q = { .contract = "X4", .meter = "M-X4", .start_s = st,
					       .end_s = st + 3600, .quantity_milli = 1000001,
					       .quality = 'A' };
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_delivery_record(w.l, w.gaz, &q, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "capacity"), "%s", d.text);
	q.quantity_milli = 1000000;
	ck_assert_msg(corridor_delivery_record(w.l, w.gaz, &q, &seq, &d) == 0, "%s", d.text);
	q = (struct corridor_delivery_request){ .contract = "X3", .meter = "M-X3", .start_s = st,
						.end_s = st + 86400,
						.quantity_milli = CORRIDOR_QUANTITY_MILLI_LIMIT - 1,
						.quality = 'A' };
	ck_assert_msg(corridor_delivery_record(w.l, w.gaz, &q, &big, &d) == 0, "%s", d.text);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	/* March: G1, T1, X4 settled; X3 overflows; T3 carries it */
	settle(&w, w.mar, &b);
	ck_assert_uint_eq(b.unsettled_count, 2);
	ck_assert_str_eq(b.unsettled[0].contract, "X3");
	ck_assert_msg(strstr(b.unsettled[0].why, "overflow"), "%s", b.unsettled[0].why);
	ck_assert_str_eq(b.unsettled[1].contract, "T3");
	ck_assert_msg(strstr(b.unsettled[1].why, "carries X3"), "%s", b.unsettled[1].why);
	ck_assert_ptr_nonnull(find(&b, "INV-G1-2026-03"));
	ck_assert_ptr_nonnull(find(&b, "INV-T1-2026-03"));
	ck_assert_ptr_nonnull(find(&b, "INV-X4-2026-03"));
	ck_assert_uint_eq(b.invoice_count, 3);
	corridor_batch_release(&b);
	/* April: X3 has March open, so it waits again, listed; the rest settle */
	rate(&w, "USD", "CNY", "2026-04-30", 712000000);
	settle(&w, w.apr, &b);
	ck_assert_uint_eq(b.unsettled_count, 2);
	ck_assert_msg(strstr(b.unsettled[0].why, "settled in order"), "%s", b.unsettled[0].why);
	corridor_batch_release(&b);
	/* corrected, X3 is settled for March by a run of its own, then T3 */
	ck_assert_msg(corridor_delivery_correct(w.l, w.gaz, big, 5000, "meter fault", NULL, &seq, &d) ==
			      0,
		      "%s", d.text);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_settle_run_contract(w.l, w.agent, w.mar, "X3", false, &b, &d) == 0, "%s",
		      d.text);
	ck_assert_uint_eq(b.invoice_count, 1);
	ck_assert_uint_eq(b.unsettled_count, 0);
	ck_assert_str_eq(b.invoices[0].id, "INV-X3-2026-03");
	corridor_batch_release(&b);
	ck_assert_msg(corridor_settle_run_contract(w.l, w.agent, w.mar, "T3", false, &b, &d) == 0, "%s",
		      d.text);
	ck_assert_str_eq(b.invoices[0].id, "INV-T3-2026-03");
	corridor_batch_release(&b);
	/* a batch that would settle nothing writes nothing */
	UNCHANGED(&w, corridor_settle_run_contract(w.l, w.agent, w.apr, "NOPE", false, &b, &d),
		  CORRIDOR_E_NOTFOUND);
	corridor_batch_release(&b);
	/* a party without the role hears that first, even for a settled period */
	UNCHANGED(&w, corridor_settle_run(w.l, w.gaz, w.mar, false, &b, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "settlement role"), "%s", d.text);
	corridor_batch_release(&b);
	free(t);
	verify(&w);
	sw_close(&w);
}
END_TEST

/* A retried payment is refused, not booked twice; another one says so. A
 * transit invoice with nothing carried is settled, never overdue. */
START_TEST(payments_have_an_identity)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	uint64_t s1, s2;
	sw_open(&w);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	settle(&w, w.feb, &b);
	corridor_batch_release(&b);
	struct corridor_payment p = { .amount_minor = 1000, .value_day = day("2026-03-05") };
	snprintf(p.payer, sizeof p.payer, "CN-BUY");
	snprintf(p.payee, sizeof p.payee, "RU-GAZ");
	snprintf(p.currency, sizeof p.currency, "CNY");
	snprintf(p.reference, sizeof p.reference, "INV-G1-2026-01");
	ck_assert_msg(corridor_payment_record(w.l, w.gaz, &p, NULL, &s1, &d) == 0, "%s", d.text);
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_payment_record(w.l, w.gaz, &p, NULL, &s2, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "--new") && !d.has_seq, "%s", d.text);
	ck_assert_msg(corridor_payment_record_another(w.l, w.gaz, &p, &s2, &d) == 0, "%s", d.text);
	ck_assert_uint_gt(s2, s1);
	/* a draft's refusal names no seq: the entry was never written */
	struct corridor_payment bad = p;
	snprintf(bad.payer, sizeof bad.payer, "NOBODY");
	corridor_diag_init(&d);
	UNCHANGED(&w, corridor_payment_record(w.l, w.gaz, &bad, NULL, &s2, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(!d.has_seq && !strstr(d.text, "seq"), "%s", d.text);
	struct corridor_invoice_report r;
	ck_assert_int_eq(corridor_report_invoices(w.l, NULL, day("2026-09-01"), &r, &d), 0);
	const struct corridor_invoice_status *t1 = status(&r, "INV-T1-2026-02");
	ck_assert_int_eq(t1->amount_minor, 0);
	ck_assert_int_eq(t1->days_overdue, 0);
	for (size_t i = 0; i < r.aging_count; i++)
		ck_assert(strcmp(r.aging[i].party, "RU-GAZ") != 0 || r.aging[i].open_minor != 0);
	corridor_invoice_report_release(&r);
	verify(&w);
	sw_close(&w);
}
END_TEST

START_TEST(roles_and_overflow)
{
	struct sw w;
	struct corridor_batch b;
	struct corridor_diag d;
	uint64_t seq;
	sw_open(&w);
	corridor_diag_init(&d);
	/* only a settlement party settles and reverses */
	UNCHANGED(&w, corridor_settle_run(w.l, w.gaz, w.jan, false, &b, &d), CORRIDOR_E_REFUSED);
	corridor_batch_release(&b);
	settle(&w, w.jan, &b);
	corridor_batch_release(&b);
	UNCHANGED(&w, corridor_settle_reverse(w.l, w.buy, w.jan, "no", NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_settle_reverse(w.l, w.agent, w.feb, "none", NULL, &seq, &d),
		  CORRIDOR_E_NOTFOUND);
	/* half to even, both ways, and overflow is an error */
	int64_t v;
	ck_assert_int_eq(corridor_div_round(5, 2, &v), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(corridor_div_round(15, 2, &v), 0);
	ck_assert_int_eq(v, 8);
	ck_assert_int_eq(corridor_div_round(-5, 2, &v), 0);
	ck_assert_int_eq(v, -2);
	ck_assert_int_eq(corridor_div_round(-15, 2, &v), 0);
	ck_assert_int_eq(v, -8);
	ck_assert_int_eq(corridor_div_round((corridor_i128)INT64_MAX * 4, 2, &v), CORRIDOR_E_OVERFLOW);
	/* money text keeps its decimals */
	char m[40];
	corridor_money_format(564935342, 2, m, sizeof m);
	ck_assert_str_eq(m, "5649353.42");
	corridor_money_format(-5, 2, m, sizeof m);
	ck_assert_str_eq(m, "-0.05");
	corridor_money_format(7, 0, m, sizeof m);
	ck_assert_str_eq(m, "7");
	verify(&w);
	sw_close(&w);
}
END_TEST

Suite *suite_settle(void)
{
	Suite *s = suite_create("settle");
	TCase *tc = tcase_create("settlement");
	tcase_add_test(tc, worked_example);
	tcase_add_test(tc, worked_example_as_series);
	tcase_add_test(tc, dry_run_equals_real_run);
	tcase_add_test(tc, missing_rates_are_listed);
	tcase_add_test(tc, adjustment_reversal_and_reissue);
	tcase_add_test(tc, payments_and_reports);
	tcase_add_test(tc, currencies_and_rates);
	tcase_add_test(tc, journal_reads_in_ledger_and_hledger);
	tcase_add_test(tc, camt053_statements);
	tcase_add_test(tc, forged_invoice_is_refused);
	tcase_add_test(tc, random_logs);
	tcase_add_test(tc, proration_and_three_party_netting);
	tcase_add_test(tc, roles_and_overflow);
	tcase_add_test(tc, statements_never_drop_or_double_a_credit);
	tcase_add_test(tc, tampered_state_is_never_signed);
	tcase_add_test(tc, one_contract_never_blocks_the_others);
	tcase_add_test(tc, payments_have_an_identity);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
