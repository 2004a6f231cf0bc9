/*
 * views.c — the JSON the reading commands print (corridor/views.h): one
 * writer per record, shared by the CLI and the service.
 *
 * Identifiers (party, contract, invoice ids, currency codes, units) are
 * checked by the kinds to printable ASCII without quotes or backslashes
 * (docs/FORMAT.md §3) and written as they are; free text (names, points,
 * meters, sources, references) goes through corridor_json_write_string.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "formats.h"

static const char *const COMMODITY[] = { "", "gas", "power", "transit" };
static const char *const STATUS[] = { "", "proposed", "active", "terminated" };
static const char *const LINE_KIND[] = { "", "energy", "shortfall", "excess", "transit" };
static const char *const METER_STATUS[] = { "", "agree", "disputed", "billing-only",
					    "other-only" };
static const char *const AGING[] = { "current", "1-30", "31-60", "61-90", "over-90" };

static int done(FILE *f)
{
	return ferror(f) ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static int str(FILE *f, const char *s)
{
	return corridor_json_write_string(f, s, strlen(s)) ? CORRIDOR_E_IO : CORRIDOR_OK;
}

/* an element's enum name, or "" for a value outside the table */
#define NAME(table, i) ((size_t)(i) < sizeof(table) / sizeof(table)[0] ? (table)[(i)] : "")

unsigned corridor_scales_decimals(const struct corridor_scales *s, const char *code)
{
	for (size_t i = 0; s && i < s->count; i++)
		if (strcmp(s->code[i], code) == 0)
			return s->decimals[i];
	return 2;
}

static void money(const struct corridor_scales *s, const char *cur, int64_t v, char out[40])
{
	corridor_money_format(v, corridor_scales_decimals(s, cur), out, 40);
}

static void date_field(FILE *f, const char *key, int32_t day, bool comma)
{
	char d[11];
	corridor_date_format(day, d);
	fprintf(f, "%s\"%s\":\"%s\"", comma ? "," : "", key, d);
}

/* a seq, or null for none (every "none" in these documents is null) */
static void seq_or_null(FILE *f, const char *key, uint64_t seq)
{
	if (seq)
		fprintf(f, ",\"%s\":%" PRIu64, key, seq);
	else
		fprintf(f, ",\"%s\":null", key);
}

/* a decimal string, or null when absent */
static void opt_decimal(FILE *f, bool has, const char *v)
{
	if (has)
		fprintf(f, "\"%s\"", v);
	else
		fputs("null", f);
}

int corridor_party_json(FILE *f, const struct corridor_party *p)
{
	char vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	fputs("{\"id\":", f);
	if (str(f, p->id) || (fputs(",\"name\":", f), str(f, p->name)))
		return CORRIDOR_E_IO;
	fprintf(f, ",\"country\":\"%s\",\"roles\":[", p->country);
	bool first = true;
	for (unsigned r = 0; r < 7; r++)
		if (p->roles & (1u << r)) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", corridor_role_names[r]);
			first = false;
		}
	fprintf(f, "],\"registered_seq\":%" PRIu64 ",\"ibans\":[", p->registered_seq);
	for (size_t i = 0; i < p->iban_count; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", p->ibans[i]);
	fputs("],\"keys\":[", f);
	for (size_t i = 0; i < p->key_count; i++) {
		const struct corridor_party_key *k = &p->keys[i];
		struct corridor_vkey v = { .key_id = k->key_id, .sigtype = CORRIDOR_SIGTYPE_ED25519 };
		snprintf(v.name, sizeof v.name, "%s", p->id);
		memcpy(v.public_key, k->public_key, sizeof v.public_key);
		corridor_vkey_format(&v, vk);
		fprintf(f, "%s{\"key_id\":\"%08" PRIx32 "\",\"vkey\":\"%s\",\"valid_from\":%" PRIu64
			   ",\"valid_until\":",
			i ? "," : "", k->key_id, vk, k->valid_from);
		if (k->valid_until == UINT64_MAX)
			fputs("null}", f);
		else
			fprintf(f, "%" PRIu64 "}", k->valid_until);
	}
	fputs("]}", f);
	return done(f);
}

static int terms_json(FILE *f, const struct corridor_contract_terms *t)
{
	char buf[48], off[7];
	fprintf(f, "{\"id\":\"%s\",\"seller\":\"%s\",\"buyer\":\"%s\",\"commodity\":\"%s\"", t->id,
		t->seller, t->buyer, NAME(COMMODITY, t->commodity));
	if (t->carries[0])
		fprintf(f, ",\"carries\":\"%s\"", t->carries);
	fputs(",\"delivery_point\":", f);
	if (str(f, t->delivery_point))
		return CORRIDOR_E_IO;
	fprintf(f, ",\"unit\":\"%s\"", t->unit);
	date_field(f, "start", t->start_day, true);
	date_field(f, "end", t->end_day, true);
	corridor_offset_format(t->utc_offset_min, off);
	fprintf(f, ",\"utc_offset\":\"%s\",\"prices\":[", off);
	for (size_t i = 0; i < t->price_count; i++) {
		corridor_decimal_format(t->prices[i].price_micro, 6, buf, sizeof buf);
		fputs(i ? ",{" : "{", f);
		date_field(f, "from", t->prices[i].from_day, false);
		fprintf(f, ",\"price\":\"%s\"}", buf);
	}
	fprintf(f, "],\"currency\":\"%s\",\"settlement_currency\":\"%s\"", t->currency,
		t->settlement_currency);
	if (t->rate_source[0])
		fprintf(f, ",\"rate_source\":\"%s\"", t->rate_source);
	fprintf(f, ",\"payment_days\":%" PRIu32, t->payment_days);
	if (t->has_min) {
		corridor_decimal_format(t->min_milli, 3, buf, sizeof buf);
		fprintf(f, ",\"min_quantity\":\"%s\",\"shortfall_share_bp\":%" PRIu32, buf,
			t->shortfall_bp);
	}
	if (t->has_max) {
		corridor_decimal_format(t->max_milli, 3, buf, sizeof buf);
		fprintf(f, ",\"max_quantity\":\"%s\",\"excess_premium_bp\":%" PRIu32, buf,
			t->excess_bp);
	}
	if (t->has_max_rate) {
		corridor_decimal_format(t->max_rate_milli, 3, buf, sizeof buf);
		fprintf(f, ",\"max_rate\":\"%s\"", buf);
	}
	fprintf(f, ",\"tolerance_permille\":%" PRIu32 ",\"metering_party\":\"%s\",\"billing_meter\":",
		t->tolerance_permille, t->metering_party);
	if (str(f, t->billing_meter))
		return CORRIDOR_E_IO;
	fputc('}', f);
	return done(f);
}

int corridor_contract_json(FILE *f, const struct corridor_contract *c)
{
	fprintf(f, "{\"id\":\"%s\",\"status\":\"%s\",\"proposed_seq\":%" PRIu64 ",\"versions\":[",
		c->id, NAME(STATUS, c->status), c->proposed_seq);
	for (size_t i = 0; i < c->version_count; i++) {
		fprintf(f, "%s{\"accepted_seq\":%" PRIu64, i ? "," : "", c->versions[i].accepted_seq);
		date_field(f, "effective", c->versions[i].effective_day, true);
		fputs(",\"terms\":", f);
		if (terms_json(f, &c->versions[i].terms))
			return CORRIDOR_E_IO;
		fputc('}', f);
	}
	fputs("],\"pending\":[", f);
	for (size_t i = 0; i < c->pending_count; i++) {
		fprintf(f, "%s{\"seq\":%" PRIu64 ",\"kind\":\"%s\",\"proposer\":\"%s\"", i ? "," : "",
			c->pending[i].seq, c->pending[i].kind, c->pending[i].proposer);
		date_field(f, "effective", c->pending[i].effective_day, true);
		fputc('}', f);
	}
	fputs("]}", f);
	return done(f);
}

int corridor_delivery_json(FILE *f, const struct corridor_delivery *d)
{
	char s[21], e[21], q[32];
	corridor_utc_format(d->start_s, s);
	corridor_utc_format(d->end_s, e);
	corridor_decimal_format(d->quantity_milli, 3, q, sizeof q);
	fprintf(f, "{\"seq\":%" PRIu64 ",\"contract\":\"%s\",\"recorder\":\"%s\",\"meter\":",
		d->seq, d->contract, d->recorder);
	if (str(f, d->meter))
		return CORRIDOR_E_IO;
	fprintf(f, ",\"start\":\"%s\",\"end\":\"%s\",\"quantity\":\"%s\",\"quality\":\"%c\"",
		s, e, q, d->quality);
	seq_or_null(f, "supersedes", d->supersedes);
	seq_or_null(f, "superseded_by", d->superseded_by);
	fputc('}', f);
	return done(f);
}

int corridor_currency_json(FILE *f, const char *code, unsigned decimals, uint64_t seq)
{
	fprintf(f, "{\"code\":\"%s\",\"decimals\":%u,\"seq\":%" PRIu64 "}", code, decimals, seq);
	return done(f);
}

static int rate_fields(FILE *f, const struct corridor_rate *r)
{
	char date[11], rate[32];
	corridor_date_format(r->day, date);
	corridor_decimal_format(r->rate_e8, 8, rate, sizeof rate);
	fprintf(f, "{\"base\":\"%s\",\"quote\":\"%s\",\"date\":\"%s\",\"rate\":\"%s\",\"source\":",
		r->base, r->quote, date, rate);
	return str(f, r->source);
}

int corridor_rate_json(FILE *f, const struct corridor_rate *r)
{
	if (rate_fields(f, r))
		return CORRIDOR_E_IO;
	fprintf(f, ",\"seq\":%" PRIu64, r->seq);
	seq_or_null(f, "corrects", r->corrects);
	fputc('}', f);
	return done(f);
}

int corridor_invoice_json(FILE *f, const struct corridor_scales *sc,
			  const struct corridor_invoice *v)
{
	char per[11], due[11], iss[11], a[40], q[32], p[32];
	corridor_date_format(v->period_day, per);
	corridor_date_format(v->due_day, due);
	corridor_date_format(v->issue_day, iss);
	fprintf(f, "{\"id\":\"%s\",\"seq\":%" PRIu64 ",\"reversed\":%s,\"contract\":\"%s\","
		   "\"seller\":\"%s\",\"buyer\":\"%s\",\"period\":\"%.7s\",\"issued\":\"%s\","
		   "\"due\":\"%s\",\"currency\":\"%s\",\"settlement_currency\":\"%s\",\"lines\":[",
		v->id, v->seq, v->reversed ? "true" : "false", v->contract, v->seller, v->buyer, per,
		iss, due, v->currency, v->settlement_currency);
	for (size_t i = 0; i < v->line_count; i++) {
		const struct corridor_invoice_line *ln = &v->lines[i];
		corridor_decimal_format(ln->quantity_milli, 3, q, sizeof q);
		corridor_decimal_format(ln->price_micro, 6, p, sizeof p);
		money(sc, v->currency, ln->amount_minor, a);
		fprintf(f, "%s{\"kind\":\"%s\",\"quantity\":\"%s\",\"price\":\"%s\",\"amount\":\"%s\"}",
			i ? "," : "", NAME(LINE_KIND, ln->kind), q, p, a);
	}
	money(sc, v->currency, v->subtotal_minor, a);
	fprintf(f, "],\"subtotal\":\"%s\",\"intervals\":%" PRIu64 ",\"disputed\":%" PRIu64
		   ",\"rate\":",
		a, v->intervals, v->disputed);
	if (v->converted) {
		if (rate_fields(f, &v->rate))
			return CORRIDOR_E_IO;
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\"adjustments\":[", f);
	for (size_t i = 0; i < v->adjustment_count; i++) {
		const struct corridor_invoice_adjustment *ad = &v->adjustments[i];
		char pd[11], dl[40];
		corridor_date_format(ad->period_day, pd);
		money(sc, v->currency, ad->delta_minor, dl);
		money(sc, v->settlement_currency, ad->amount_minor, a);
		fprintf(f, "%s{\"period\":\"%.7s\",\"invoice\":\"%s\",\"delta\":\"%s\","
			   "\"amount\":\"%s\"}",
			i ? "," : "", pd, ad->invoice, dl, a);
	}
	money(sc, v->settlement_currency, v->total_minor, a);
	fprintf(f, "],\"total\":\"%s\"}", a);
	return done(f);
}

int corridor_batch_json(FILE *f, const struct corridor_scales *sc, const struct corridor_batch *b,
			bool dry_run)
{
	char per[11], a[40], hex[2 * CORRIDOR_HASH_BYTES + 1];
	corridor_date_format(b->period_day, per);
	for (size_t i = 0; i < CORRIDOR_HASH_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", b->digest[i]);
	fprintf(f, "{\"period\":\"%.7s\",\"seq\":%" PRIu64 ",\"dry_run\":%s,\"reversed\":%s,"
		   "\"digest\":\"%s\",\"invoices\":[",
		per, b->seq, dry_run ? "true" : "false", b->reversed ? "true" : "false", hex);
	for (size_t i = 0; i < b->invoice_count; i++) {
		fputs(i ? "," : "", f);
		if (corridor_invoice_json(f, sc, &b->invoices[i]))
			return CORRIDOR_E_IO;
	}
	fputs("],\"totals\":[", f);
	for (size_t i = 0; i < b->total_count; i++) {
		money(sc, b->totals[i].currency, b->totals[i].amount_minor, a);
		fprintf(f, "%s{\"currency\":\"%s\",\"amount\":\"%s\"}", i ? "," : "",
			b->totals[i].currency, a);
	}
	fputs("],\"netting\":[", f);
	for (size_t i = 0; i < b->netting_count; i++) {
		const struct corridor_netting *n = &b->netting[i];
		money(sc, n->currency, n->amount_minor, a);
		fprintf(f, "%s{\"currency\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"amount\":\"%s\"}",
			i ? "," : "", n->currency, n->from, n->to, a);
	}
	/* the tree the batch was computed at (null: a batch of an earlier release) */
	fputs("],\"computed_at\":", f);
	if (b->computed_size) {
		for (size_t i = 0; i < CORRIDOR_HASH_BYTES; i++)
			snprintf(hex + 2 * i, 3, "%02x", b->computed_root[i]);
		fprintf(f, "{\"size\":%" PRIu64 ",\"root\":\"%s\"}", b->computed_size, hex);
	} else {
		fputs("null", f);
	}
	fputs("}", f);
	return done(f);
}

int corridor_payment_json(FILE *f, const struct corridor_scales *sc,
			  const struct corridor_payment *p)
{
	char date[11], a[40];
	corridor_date_format(p->value_day, date);
	money(sc, p->currency, p->amount_minor, a);
	fprintf(f, "{\"seq\":%" PRIu64 ",\"payer\":\"%s\",\"payee\":\"%s\",\"currency\":\"%s\","
		   "\"amount\":\"%s\",\"value_date\":\"%s\",\"reference\":",
		p->seq, p->payer, p->payee, p->currency, a, date);
	if (str(f, p->reference))
		return CORRIDOR_E_IO;
	seq_or_null(f, "reversed_by", p->reversed_by);
	fputc('}', f);
	return done(f);
}

int corridor_meter_report_json(FILE *f, const struct corridor_meter_report *r, const char *period)
{
	char s[21], e[21], a[32], b[32], diff[32];
	fprintf(f, "{\"contract\":\"%s\",\"period\":\"%s\",\"unit\":\"%s\",\"metering_party\":"
		   "\"%s\",\"other_party\":\"%s\",\"billing_meter\":",
		r->contract, period, r->unit, r->metering_party, r->other_party);
	if (str(f, r->billing_meter))
		return CORRIDOR_E_IO;
	fprintf(f, ",\"tolerance_permille\":%u,\"intervals\":[", r->tolerance_permille);
	for (size_t i = 0; i < r->count; i++) {
		const struct corridor_meter_row *w = &r->rows[i];
		corridor_utc_format(w->start_s, s);
		corridor_utc_format(w->end_s, e);
		corridor_decimal_format(w->billing_milli, 3, a, sizeof a);
		corridor_decimal_format(w->other_milli, 3, b, sizeof b);
		corridor_decimal_format(w->billing_milli - w->other_milli, 3, diff, sizeof diff);
		fprintf(f, "%s{\"start\":\"%s\",\"end\":\"%s\",\"billing\":", i ? "," : "", s, e);
		opt_decimal(f, w->has_billing, a);
		fputs(",\"other\":", f);
		opt_decimal(f, w->has_other, b);
		fputs(",\"difference\":", f);
		opt_decimal(f, w->has_billing && w->has_other, diff);
		fprintf(f, ",\"status\":\"%s\"", NAME(METER_STATUS, w->status));
		seq_or_null(f, "billing_seq", w->billing_seq);
		seq_or_null(f, "other_seq", w->other_seq);
		fputc('}', f);
	}
	corridor_decimal_format(r->total_billing_milli, 3, a, sizeof a);
	corridor_decimal_format(r->total_other_milli, 3, b, sizeof b);
	fprintf(f, "],\"totals\":{\"billing\":\"%s\",\"other\":\"%s\",\"agree\":%zu,\"disputed\":%zu,"
		   "\"billing_only\":%zu,\"other_only\":%zu}}",
		a, b, r->agree, r->disputed, r->billing_only, r->other_only);
	return done(f);
}

int corridor_performance_json(FILE *f, const struct corridor_performance *p)
{
	char mn[32], mx[32], q[32], sh[32], ex[32];
	corridor_decimal_format(p->min_milli, 3, mn, sizeof mn);
	corridor_decimal_format(p->max_milli, 3, mx, sizeof mx);
	corridor_decimal_format(p->billable_milli, 3, q, sizeof q);
	corridor_decimal_format(p->shortfall_milli, 3, sh, sizeof sh);
	corridor_decimal_format(p->excess_milli, 3, ex, sizeof ex);
	fprintf(f, "{\"contract\":\"%s\",\"unit\":\"%s\",\"min\":", p->contract, p->unit);
	opt_decimal(f, p->has_min, mn);
	fputs(",\"max\":", f);
	opt_decimal(f, p->has_max, mx);
	fprintf(f, ",\"billable\":\"%s\",\"shortfall\":\"%s\",\"excess\":\"%s\",\"intervals\":%zu,"
		   "\"disputed\":%zu}",
		q, sh, ex, p->intervals, p->disputed);
	return done(f);
}

int corridor_invoice_report_json(FILE *f, const struct corridor_invoice_report *r,
				 int32_t as_of_day)
{
	char a[40], p[40], o[40], due[11], asof[11];
	corridor_date_format(as_of_day, asof);
	fprintf(f, "{\"as_of\":\"%s\",\"invoices\":[", asof);
	for (size_t i = 0; i < r->count; i++) {
		const struct corridor_invoice_status *s = &r->invoices[i];
		corridor_money_format(s->amount_minor, s->decimals, a, sizeof a);
		corridor_money_format(s->paid_minor, s->decimals, p, sizeof p);
		corridor_money_format(s->open_minor, s->decimals, o, sizeof o);
		corridor_date_format(s->due_day, due);
		fprintf(f, "%s{\"invoice\":\"%s\",\"contract\":\"%s\",\"debtor\":\"%s\","
			   "\"creditor\":\"%s\",\"currency\":\"%s\",\"amount\":\"%s\","
			   "\"paid\":\"%s\",\"open\":\"%s\",\"due\":\"%s\",\"days_overdue\":%lld}",
			i ? "," : "", s->id, s->contract, s->debtor, s->creditor, s->currency, a, p, o,
			due, (long long)s->days_overdue);
	}
	fputs("],\"aging\":[", f);
	for (size_t i = 0; i < r->aging_count; i++) {
		fputs(i ? "," : "", f);
		if (corridor_aging_json(f, &r->aging[i]) != 0)
			return CORRIDOR_E_IO;
	}
	fputs("],\"unapplied\":[", f);
	for (size_t i = 0; i < r->credit_count; i++) {
		const struct corridor_balance *c = &r->credits[i];
		corridor_money_format(c->balance_minor, c->decimals, a, sizeof a);
		fprintf(f, "%s{\"party\":\"%s\",\"currency\":\"%s\",\"amount\":\"%s\"}", i ? "," : "",
			c->party, c->currency, a);
	}
	fputs("]}", f);
	return done(f);
}

int corridor_aging_json(FILE *f, const struct corridor_aging_row *g)
{
	char a[40];
	fprintf(f, "{\"party\":\"%s\",\"currency\":\"%s\"", g->party, g->currency);
	for (int k = 0; k < CORRIDOR_AGING_BUCKETS; k++) {
		corridor_money_format(g->bucket_minor[k], g->decimals, a, sizeof a);
		fprintf(f, ",\"%s\":\"%s\"", AGING[k], a);
	}
	corridor_money_format(g->open_minor, g->decimals, a, sizeof a);
	fprintf(f, ",\"open\":\"%s\"}", a);
	return done(f);
}

int corridor_balance_json(FILE *f, const struct corridor_balance *b)
{
	char a[40];
	corridor_money_format(b->balance_minor, b->decimals, a, sizeof a);
	fprintf(f, "{\"currency\":\"%s\",\"party\":\"%s\",\"balance\":\"%s\"}", b->currency,
		b->party, a);
	return done(f);
}
