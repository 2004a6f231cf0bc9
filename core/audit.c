/*
 * audit.c — what the audit report shows (include/corridor/audit.h): the
 * verification it runs and the figures of a span, gathered from the
 * ledger through the same report calls the CLI prints, so the report and
 * `report meters|performance|invoices|balances` cannot disagree.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "log/log.h"
#include "corridor/audit.h"

#define CHAIN_DOC_BYTES_MAX ((size_t)1 << 22)

static int32_t month_next(int32_t day)
{
	return day + (int32_t)corridor_month_days(day);
}

static bool month_start(int32_t day)
{
	int32_t y;
	unsigned m, d;
	corridor_civil_from_days(day, &y, &m, &d);
	return d == 1;
}

/* ---- verification ---- */

/* The genesis operator key: the operator party's first key. */
static int genesis_key(struct corridor_ledger *l, struct corridor_vkey *out,
		       struct corridor_diag *diag)
{
	struct corridor_party *p = malloc(sizeof *p);
	if (!p)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	const char *origin = corridor_ledger_origin(l);
	int err = corridor_party_get(l, origin, p, diag);
	if (!err && p->key_count == 0)
		err = corridor_diag_set(diag, CORRIDOR_E_STORAGE, "the operator has no key");
	if (!err) {
		memset(out, 0, sizeof *out);
		snprintf(out->name, sizeof out->name, "%s", origin);
		memcpy(out->public_key, p->keys[0].public_key, CORRIDOR_PUBLIC_KEY_BYTES);
		out->sigtype = CORRIDOR_SIGTYPE_ED25519;
		out->key_id = corridor_key_id(out->name, strlen(out->name), out->sigtype,
					      out->public_key);
	}
	free(p);
	return err;
}

/* The operator keys the chain leads to from the trusted key, for the
 * checkpoint of (size, root). */
static int operator_chain(struct corridor_ledger *l, struct corridor_audit_verification *v,
			  const struct corridor_vkey *trusted, struct corridor_diag *diag)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	if (!f)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_prove_operator_keys(l, v->checkpoint_size, f, diag);
	if (fclose(f) != 0 && !err)
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (!err && len > CHAIN_DOC_BYTES_MAX)
		err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the operator key chain is over %zu "
					"bytes", CHAIN_DOC_BYTES_MAX);
	if (!err)
		err = corridor_operator_chain_follow(doc, len, trusted, v->checkpoint_size,
						     v->checkpoint_root, v->keys,
						     CORRIDOR_CHAIN_LINKS_MAX, &v->key_count, diag);
	free(doc);
	return err;
}

/* Each signature line of the checkpoint: the operator's (a key of the
 * chain), a named cosigner's, an auditor party's, or one it cannot check. */
static int checkpoint_sigs(struct corridor_ledger *l, struct corridor_audit_verification *v,
			   const struct corridor_audit_request *req)
{
	struct corridor_note *note = malloc(sizeof *note);
	struct corridor_party *p = malloc(sizeof *p);
	int err = CORRIDOR_OK;
	if (!note || !p) {
		err = CORRIDOR_E_NOMEM;
		goto out_free;
	}
	if (corridor_note_parse(v->checkpoint, v->checkpoint_len, note) != 0)
		goto out_free; /* checkpoint_ok stays false */
	bool operator_ok = false;
	for (size_t i = 0; i < note->sig_count && v->sig_count < CORRIDOR_NOTE_SIGS_MAX; i++) {
		const struct corridor_note_sig *s = &note->sigs[i];
		struct corridor_audit_sig *o = &v->sigs[v->sig_count++];
		snprintf(o->name, sizeof o->name, "%.*s", (int)s->name_len,
			 v->checkpoint + s->name_off);
		o->key_id = s->key_id;
		o->status = CORRIDOR_AUDIT_SIG_UNCHECKED;
		for (size_t k = 0; k < v->key_count; k++) {
			if (strcmp(v->keys[k].name, o->name) != 0 || v->keys[k].key_id != s->key_id)
				continue;
			struct corridor_note *one = malloc(sizeof *one);
			int oerr = one ? corridor_note_open(v->checkpoint, v->checkpoint_len,
							    &v->keys[k], 1, one)
				       : CORRIDOR_E_NOMEM;
			free(one);
			o->status = oerr ? CORRIDOR_AUDIT_SIG_BAD : CORRIDOR_AUDIT_SIG_OPERATOR;
			operator_ok |= !oerr;
		}
		for (size_t c = 0; c < req->cosigner_count && o->status == CORRIDOR_AUDIT_SIG_UNCHECKED;
		     c++) {
			int cerr = corridor_cosignature_verify(v->checkpoint, note, i, &req->cosigners[c],
							       &o->time_s);
			if (cerr != CORRIDOR_E_KEY)
				o->status = cerr ? CORRIDOR_AUDIT_SIG_BAD : CORRIDOR_AUDIT_SIG_COSIGNER;
		}
		if (o->status != CORRIDOR_AUDIT_SIG_UNCHECKED ||
		    corridor_party_get(l, o->name, p, NULL) != 0 || !(p->roles & CORRIDOR_ROLE_AUDITOR))
			continue;
		for (size_t k = 0; k < p->key_count; k++) {
			struct corridor_vkey vk = { .sigtype = CORRIDOR_SIGTYPE_ED25519 }, cv;
			snprintf(vk.name, sizeof vk.name, "%s", p->id);
			memcpy(vk.public_key, p->keys[k].public_key, CORRIDOR_PUBLIC_KEY_BYTES);
			vk.key_id = corridor_key_id(vk.name, strlen(vk.name), vk.sigtype, vk.public_key);
			corridor_vkey_as_cosigner(&vk, &cv);
			int cerr = corridor_cosignature_verify(v->checkpoint, note, i, &cv, &o->time_s);
			if (cerr == CORRIDOR_E_KEY)
				continue;
			o->status = cerr ? CORRIDOR_AUDIT_SIG_BAD : CORRIDOR_AUDIT_SIG_AUDITOR;
			break;
		}
	}
	if (!operator_ok && !v->chain_why[0] && v->key_count)
		snprintf(v->chain_why, sizeof v->chain_why,
			 "the checkpoint carries no valid signature by the trusted key %.64s+%08x or a "
			 "key its rotations lead to",
			 v->keys[0].name, (unsigned)v->keys[0].key_id);
	struct corridor_checkpoint cp;
	v->checkpoint_ok = operator_ok &&
			   corridor_checkpoint_parse(v->checkpoint, note->text_len, &cp) == 0 &&
			   strcmp(cp.origin, corridor_ledger_origin(l)) == 0;
out_free:
	free(note);
	free(p);
	return err;
}

static int verification(struct corridor_ledger *l, const struct corridor_audit_request *req,
			struct corridor_audit_verification *v, struct corridor_diag *diag)
{
	struct corridor_head h;
	struct corridor_diag vd;
	int err = corridor_ledger_head(l, &h);
	if (err)
		return corridor_diag_set(diag, err, "cannot read the ledger's head");
	v->size = h.size;
	memcpy(v->root, h.root, CORRIDOR_HASH_BYTES);
	v->failed_seq = UINT64_MAX;
	corridor_diag_init(&vd);
	v->result = corridor_ledger_verify(l, req->progress, req->progress_ctx, &vd);
	if (v->result == CORRIDOR_E_NOMEM)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (v->result) {
		snprintf(v->why, sizeof v->why, "%s", vd.text);
		if (vd.has_seq)
			v->failed_seq = vd.seq;
	}
	/* the checkpoint a reader is served, witnesses' cosignatures included */
	err = corridor_checkpoint_served(l, &v->checkpoint, &v->checkpoint_len, diag);
	if (err == CORRIDOR_E_NOTFOUND) {
		v->checkpoint = NULL;
		return CORRIDOR_OK;
	}
	if (err)
		return err;
	struct corridor_note *note = malloc(sizeof *note);
	struct corridor_checkpoint cp;
	if (!note)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	bool parsed = corridor_note_parse(v->checkpoint, v->checkpoint_len, note) == 0 &&
		      corridor_checkpoint_parse(v->checkpoint, note->text_len, &cp) == 0;
	free(note);
	if (!parsed)
		return CORRIDOR_OK; /* reported as a checkpoint that does not hold */
	v->checkpoint_size = cp.size;
	memcpy(v->checkpoint_root, cp.root, CORRIDOR_HASH_BYTES);
	struct corridor_vkey trusted;
	if (req->operator_key) {
		trusted = *req->operator_key;
	} else {
		if ((err = genesis_key(l, &trusted, diag)) != 0)
			return err;
		v->genesis_trusted = true;
	}
	struct corridor_diag cd;
	corridor_diag_init(&cd);
	if (operator_chain(l, v, &trusted, &cd) != 0) {
		v->key_count = 0; /* no key: the operator's line stays unchecked */
		snprintf(v->chain_why, sizeof v->chain_why, "%s", cd.text);
	}
	/* the seq from which each key of the chain signs */
	struct corridor_party *op = malloc(sizeof *op);
	if (op && corridor_party_get(l, corridor_ledger_origin(l), op, NULL) == 0)
		for (size_t k = 0; k < v->key_count; k++)
			for (size_t j = 0; j < op->key_count; j++)
				if (memcmp(op->keys[j].public_key, v->keys[k].public_key,
					   CORRIDOR_PUBLIC_KEY_BYTES) == 0)
					v->key_valid_from[k] = op->keys[j].valid_from;
	free(op);
	if ((err = checkpoint_sigs(l, v, req)) != 0)
		return corridor_diag_set(diag, err, "out of memory");
	/* the checkpoint's tree must be this log's */
	if (v->checkpoint_ok && cp.size <= h.size) {
		struct corridor_diag hd;
		corridor_diag_init(&hd);
		if (corridor_checkpoint_held(l, v->checkpoint, v->checkpoint_len, NULL, &hd) != 0)
			v->checkpoint_ok = false;
	}
	return CORRIDOR_OK;
}

/* p (n elements of `size` bytes, room for *cap) with room for one more:
 * p itself, or where it moved; NULL when out of memory (p stays). */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (p && n < *cap)
		return p;
	size_t c = *cap ? 2 * *cap : 64;
	void *np = realloc(p, c * size);
	if (np)
		*cap = c;
	return np;
}

/* ---- contracts ---- */

struct id_set {
	size_t n;
	char (*ids)[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int32_t first_day, end_day;
	bool over;
};

/* The term a contract has had, over every version accepted. */
static void contract_term(const struct corridor_contract *c, int32_t *from, int32_t *to)
{
	*from = INT32_MAX;
	*to = INT32_MIN;
	for (size_t v = 0; v < c->version_count; v++) {
		const struct corridor_contract_terms *t = &c->versions[v].terms;
		if (t->start_day < *from)
			*from = t->start_day;
		if (t->end_day > *to)
			*to = t->end_day;
	}
}

static int collect_id(void *ctx, const struct corridor_contract *c)
{
	struct id_set *s = ctx;
	int32_t from, to;
	if (c->version_count == 0)
		return CORRIDOR_OK;
	contract_term(c, &from, &to);
	if (to <= s->first_day || from >= s->end_day)
		return CORRIDOR_OK;
	if (s->n == CORRIDOR_AUDIT_CONTRACTS_MAX) {
		s->over = true;
		return 1;
	}
	snprintf(s->ids[s->n++], sizeof s->ids[0], "%s", c->id);
	return CORRIDOR_OK;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct corridor_audit_contract *)a)->terms.id,
		      ((const struct corridor_audit_contract *)b)->terms.id);
}

struct perf_one {
	struct corridor_performance *p;
	bool got;
};

static int perf_take(void *ctx, const struct corridor_performance *p)
{
	struct perf_one *o = ctx;
	*o->p = *p;
	o->got = true;
	return CORRIDOR_OK;
}

static void day_add(struct corridor_audit_day *d, const struct corridor_meter_row *w)
{
	d->intervals++;
	d->disputed += w->status == CORRIDOR_METER_DISPUTED;
	d->billing_only += w->status == CORRIDOR_METER_BILLING_ONLY;
	d->other_only += w->status == CORRIDOR_METER_OTHER_ONLY;
	if (w->has_billing) {
		if (!d->has_billing || w->billing_milli < d->billing_min_milli)
			d->billing_min_milli = w->billing_milli;
		if (!d->has_billing || w->billing_milli > d->billing_max_milli)
			d->billing_max_milli = w->billing_milli;
		d->has_billing = true;
		d->billing_milli += w->billing_milli;
	}
	if (w->has_other) {
		if (!d->has_other || w->other_milli < d->other_min_milli)
			d->other_min_milli = w->other_milli;
		if (!d->has_other || w->other_milli > d->other_max_milli)
			d->other_max_milli = w->other_milli;
		d->has_other = true;
		d->other_milli += w->other_milli;
	}
}

/* One contract over the span: each month's meter comparison (its
 * exceptions kept) and performance, and the days. */
static int contract_collect(struct corridor_ledger *l, const char *id, int32_t first,
			    int32_t end, struct corridor_audit_contract *out,
			    struct corridor_diag *diag)
{
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_contract_get(l, id, c, diag);
	if (!err && c->version_count == 0)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "contract %s is not accepted", id);
	if (err) {
		free(c);
		return err;
	}
	int32_t from, to;
	contract_term(c, &from, &to);
	out->terms = c->versions[c->version_count - 1].terms;
	out->accepted_seq = c->versions[c->version_count - 1].accepted_seq;
	size_t months = 0, ndays = end > first ? (size_t)(end - first) : 0;
	for (int32_t m = first; m < end; m = month_next(m))
		months++;
	out->months = calloc(months ? months : 1, sizeof *out->months);
	out->days = calloc(ndays ? ndays : 1, sizeof *out->days);
	if (!out->months || !out->days) {
		free(c);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	out->day_count = ndays;
	out->points = malloc(CORRIDOR_AUDIT_PLOT_POINTS * sizeof *out->points);
	if (!out->points) {
		free(c);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < out->day_count; i++)
		out->days[i].day = first + (int32_t)i;
	size_t exceptions = 0;
	for (int32_t m = first; m < end && !err; m = month_next(m)) {
		struct corridor_audit_month *am = &out->months[out->month_count++];
		am->first_day = m;
		const struct corridor_contract_terms *in_force = &c->versions[0].terms;
		for (size_t v = 0; v < c->version_count; v++)
			if (c->versions[v].effective_day <= m)
				in_force = &c->versions[v].terms;
		am->shortfall_bp = in_force->shortfall_bp;
		am->excess_bp = in_force->excess_bp;
		if (month_next(m) <= from || m >= to) {
			am->no_meters = true;
			continue;
		}
		struct corridor_meter_report *r = &am->meters;
		if ((err = corridor_report_meters(l, id, m, r, diag)) != 0)
			break;
		size_t kept = 0, run_cap = 0;
		for (size_t i = 0; i < r->count; i++) {
			const struct corridor_meter_row *w = &r->rows[i];
			int64_t local = w->start_s + (int64_t)out->terms.utc_offset_min * 60;
			int64_t day = (local >= 0 ? local : local - 86399) / 86400;
			if (day >= first && day < end)
				day_add(&out->days[day - first], w);
			out->interval_count++;
			if (out->points && out->point_count == CORRIDOR_AUDIT_PLOT_POINTS) {
				free(out->points); /* too many to draw one by one */
				out->points = NULL;
				out->point_count = 0;
			} else if (out->points) {
				out->points[out->point_count++] = *w;
			}
			if (w->status == CORRIDOR_METER_DISPUTED) {
				r->rows[kept++] = *w;
			} else if (w->status != CORRIDOR_METER_AGREE) {
				struct corridor_audit_run *last =
					am->run_count ? &am->runs[am->run_count - 1] : NULL;
				if (last && last->status == w->status && last->end_s == w->start_s) {
					last->end_s = w->end_s;
					last->intervals++;
					continue;
				}
				struct corridor_audit_run *nr =
					grow(am->runs, &run_cap, am->run_count, sizeof *am->runs);
				if (!nr) {
					err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
					break;
				}
				am->runs = nr;
				am->runs[am->run_count++] = (struct corridor_audit_run){
					.start_s = w->start_s, .end_s = w->end_s, .status = w->status,
					.intervals = 1
				};
			}
		}
		if (err)
			break;
		r->count = kept;
		if (!kept) { /* keep only what is kept */
			free(r->rows);
			r->rows = NULL;
		} else {
			struct corridor_meter_row *small = realloc(r->rows, kept * sizeof *r->rows);
			if (small)
				r->rows = small;
		}
		exceptions += kept + am->run_count;
		if (exceptions > CORRIDOR_AUDIT_EXCEPTIONS_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						"contract %s: more than %u disputed intervals "
						"and one-sided runs",
						id, CORRIDOR_AUDIT_EXCEPTIONS_MAX);
			break;
		}
		struct perf_one po = { .p = &am->performance };
		if ((err = corridor_report_performance(l, id, m, perf_take, &po, diag)) != 0)
			break;
		am->has_performance = po.got;
	}
	free(c);
	return err;
}

/* ---- money ---- */

struct bal_acc {
	size_t n, cap;
	struct corridor_balance *b;
};

static int bal_take(void *ctx, const struct corridor_balance *b)
{
	struct bal_acc *a = ctx;
	struct corridor_balance *nb = grow(a->b, &a->cap, a->n, sizeof *a->b);
	if (!nb)
		return CORRIDOR_E_NOMEM;
	a->b = nb;
	a->b[a->n++] = *b;
	return CORRIDOR_OK;
}

struct inv_acc {
	struct corridor_ledger *l;
	const struct corridor_audit_request *req;
	int32_t first, end;
	size_t n, cap;
	struct corridor_invoice *v;
	struct corridor_diag *diag;
};

static bool wanted(const struct corridor_audit_request *req, const char *contract)
{
	if (!req->contracts)
		return true;
	for (size_t i = 0; i < req->contract_count; i++)
		if (strcmp(req->contracts[i], contract) == 0)
			return true;
	return false;
}

static int inv_take(void *ctx, const struct corridor_invoice *inv)
{
	struct inv_acc *a = ctx;
	if (inv->period_day < a->first || inv->period_day >= a->end || !wanted(a->req, inv->contract))
		return CORRIDOR_OK;
	struct corridor_invoice *nv = grow(a->v, &a->cap, a->n, sizeof *a->v);
	if (!nv)
		return corridor_diag_set(a->diag, CORRIDOR_E_NOMEM, "out of memory");
	a->v = nv;
	int err = corridor_invoice_get(a->l, inv->id, &a->v[a->n], a->diag);
	if (err)
		return err;
	a->v[a->n].seq = inv->seq;
	a->v[a->n].reversed = inv->reversed;
	a->n++;
	return CORRIDOR_OK;
}

struct pay_acc {
	int32_t first, end;
	size_t n, cap;
	struct corridor_payment *p;
};

static int pay_take(void *ctx, const struct corridor_payment *p)
{
	struct pay_acc *a = ctx;
	if (p->value_day < a->first || p->value_day >= a->end)
		return CORRIDOR_OK;
	struct corridor_payment *np = grow(a->p, &a->cap, a->n, sizeof *a->p);
	if (!np)
		return CORRIDOR_E_NOMEM;
	a->p = np;
	a->p[a->n++] = *p;
	return CORRIDOR_OK;
}

struct rate_acc {
	struct corridor_audit_series *s;
};

static int rate_take(void *ctx, const struct corridor_rate *r)
{
	struct corridor_audit_series *s = ((struct rate_acc *)ctx)->s;
	if (strcmp(r->source, s->source) != 0)
		return CORRIDOR_OK;
	if (s->fixing_count == CORRIDOR_AUDIT_FIXINGS_MAX)
		return CORRIDOR_E_LIMIT;
	s->fixings[s->fixing_count++] = *r;
	return CORRIDOR_OK;
}

/* Each (source, pair) a settlement of the span used, with its series. */
static int series_collect(struct corridor_ledger *l, struct corridor_audit *a,
			  struct corridor_diag *diag)
{
	a->series = calloc(CORRIDOR_AUDIT_SERIES_MAX, sizeof *a->series);
	if (!a->series)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < a->invoice_count; i++) {
		const struct corridor_invoice *v = &a->invoice_list[i];
		if (!v->converted)
			continue;
		struct corridor_audit_series *s = NULL;
		for (size_t k = 0; k < a->series_count && !s; k++)
			if (!strcmp(a->series[k].source, v->rate.source) &&
			    !strcmp(a->series[k].base, v->rate.base) &&
			    !strcmp(a->series[k].quote, v->rate.quote))
				s = &a->series[k];
		if (!s) {
			if (a->series_count == CORRIDOR_AUDIT_SERIES_MAX)
				return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
							 "more than %u FX series",
							 CORRIDOR_AUDIT_SERIES_MAX);
			s = &a->series[a->series_count++];
			snprintf(s->source, sizeof s->source, "%s", v->rate.source);
			snprintf(s->base, sizeof s->base, "%s", v->rate.base);
			snprintf(s->quote, sizeof s->quote, "%s", v->rate.quote);
			s->used = calloc(a->invoice_count, sizeof *s->used);
			if (!s->used)
				return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		}
		struct corridor_audit_fixing_used *u = &s->used[s->used_count++];
		snprintf(u->invoice, sizeof u->invoice, "%s", v->id);
		u->invoice_seq = v->seq;
		u->rate = v->rate;
	}
	for (size_t k = 0; k < a->series_count; k++) {
		struct corridor_audit_series *s = &a->series[k];
		s->fixings = calloc(CORRIDOR_AUDIT_FIXINGS_MAX, sizeof *s->fixings);
		if (!s->fixings)
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		struct rate_acc ra = { .s = s };
		/* the span, and the look-back a fixing of its first days may use */
		int err = corridor_rate_list(l, s->base, s->quote,
					     a->first_day - 31 - CORRIDOR_RATE_LOOKBACK_DAYS,
					     a->end_day + 31, rate_take, &ra, diag);
		if (err == CORRIDOR_E_LIMIT)
			return corridor_diag_set(diag, err, "more than %u fixings of %s %s/%s",
						 CORRIDOR_AUDIT_FIXINGS_MAX, s->source, s->base,
						 s->quote);
		if (err)
			return err;
		/* the series is by day (rate_list's order, one source): bisect */
		for (size_t u = 0; u < s->used_count; u++) {
			size_t lo = 0, hi = s->fixing_count;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (s->fixings[mid].day < s->used[u].rate.day)
					lo = mid + 1;
				else
					hi = mid;
			}
			s->used[u].in_series = lo < s->fixing_count &&
					       s->fixings[lo].day == s->used[u].rate.day &&
					       s->fixings[lo].rate_e8 == s->used[u].rate.rate_e8;
		}
	}
	return CORRIDOR_OK;
}

/* ---- the trace: corrections, adjustments, reversals ---- */

struct trace_acc {
	struct corridor_audit *a;
	const struct corridor_audit_request *req;
	struct corridor_diag *diag;
};

static void body_str(const struct corridor_entry *e, const char *key, char *out, size_t cap)
{
	const char *s;
	size_t n;
	out[0] = '\0';
	if (corridor_msgpack_map_str(e->body, e->body_len, key, &s, &n) == 0)
		snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), s);
}

static struct corridor_audit_trace *trace_add(struct corridor_audit *a)
{
	if (a->trace_count == CORRIDOR_AUDIT_TRACE_MAX) {
		a->trace_truncated = true;
		return NULL;
	}
	struct corridor_audit_trace *t = &a->trace[a->trace_count++];
	memset(t, 0, sizeof *t);
	return t;
}

static int trace_one(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct trace_acc *ta = ctx;
	struct corridor_entry e;
	if (corridor_entry_decode(bytes, len, &e, NULL) != 0)
		return CORRIDOR_OK; /* verification reports it */
	static const char *const kinds[] = { "delivery.correct", "rate.correct", "payment.reverse",
					     "settlement.reverse", "key.revoke", "contract.amend",
					     "contract.terminate" };
	size_t k = 0;
	while (k < sizeof kinds / sizeof kinds[0] && strcmp(e.kind, kinds[k]) != 0)
		k++;
	if (k == sizeof kinds / sizeof kinds[0])
		return CORRIDOR_OK;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	body_str(&e, "contract", contract, sizeof contract);
	if (contract[0] && !wanted(ta->req, contract))
		return CORRIDOR_OK;
	struct corridor_audit_trace *t = trace_add(ta->a);
	if (!t)
		return 1;
	t->seq = seq;
	t->time_us = e.time_us;
	snprintf(t->kind, sizeof t->kind, "%s", e.kind);
	snprintf(t->author, sizeof t->author, "%s", e.author);
	body_str(&e, "reason", t->reason, sizeof t->reason);
	uint64_t ref = 0;
	char s1[64], s2[8], s3[8], s4[40];
	switch (k) {
	case 0:
		if (corridor_msgpack_map_uint(e.body, e.body_len, "supersedes", &ref) != 0)
			ref = 0;
		body_str(&e, "start", s4, sizeof s4);
		snprintf(t->what, sizeof t->what, "supersedes %llu%s%s", (unsigned long long)ref,
			 s4[0] ? ", the point at " : "", s4);
		break;
	case 1:
		body_str(&e, "source", s1, sizeof s1);
		body_str(&e, "base", s2, sizeof s2);
		body_str(&e, "quote", s3, sizeof s3);
		body_str(&e, "date", s4, sizeof s4);
		snprintf(t->what, sizeof t->what, "%s %s/%s %s", s1, s2, s3, s4);
		break;
	case 2:
		if (corridor_msgpack_map_uint(e.body, e.body_len, "payment", &ref) != 0)
			ref = 0;
		snprintf(t->what, sizeof t->what, "payment %llu", (unsigned long long)ref);
		break;
	case 3:
		body_str(&e, "period", s4, sizeof s4);
		if (corridor_msgpack_map_uint(e.body, e.body_len, "batch", &ref) != 0)
			ref = 0;
		snprintf(t->what, sizeof t->what, "batch %llu of %s", (unsigned long long)ref, s4);
		break;
	case 4:
		body_str(&e, "party", s1, sizeof s1);
		snprintf(t->what, sizeof t->what, "a key of %.64s", s1[0] ? s1 : e.author);
		break;
	default:
		snprintf(t->what, sizeof t->what, "contract %.64s", contract);
		break;
	}
	return CORRIDOR_OK;
}

static int by_seq(const void *x, const void *y)
{
	const struct corridor_audit_trace *a = x, *b = y;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Adjustments the span's invoices carry, as trace lines (the invoice's seq). */
static void trace_adjustments(struct corridor_ledger *l, struct corridor_audit *a)
{
	for (size_t i = 0; i < a->invoice_count; i++) {
		const struct corridor_invoice *v = &a->invoice_list[i];
		for (size_t j = 0; j < v->adjustment_count; j++) {
			const struct corridor_invoice_adjustment *adj = &v->adjustments[j];
			struct corridor_audit_trace *t = trace_add(a);
			if (!t)
				return;
			char per[8], amt[40];
			corridor_period_text(adj->period_day, per);
			corridor_money_format(adj->amount_minor,
					      corridor_scales_decimals(&a->scales,
								       v->settlement_currency),
					      amt, sizeof amt);
			t->seq = v->seq;
			snprintf(t->kind, sizeof t->kind, "adjustment");
			/* who signed the invoice that carries it, and when */
			uint8_t *bytes = NULL;
			size_t len = 0;
			struct corridor_entry e;
			if (corridor_ledger_entry(l, v->seq, &bytes, &len) == 0 &&
			    corridor_entry_decode(bytes, len, &e, NULL) == 0) {
				snprintf(t->author, sizeof t->author, "%s", e.author);
				t->time_us = e.time_us;
			}
			free(bytes);
			snprintf(t->what, sizeof t->what, "%s adjusts %s (%.7s) by %s %s", v->id,
				 adj->invoice, per, amt, v->settlement_currency);
			snprintf(t->reason, sizeof t->reason, "%s",
				 "inputs of an invoiced period changed since it was settled");
		}
	}
}

/* ---- the whole ---- */

int corridor_audit_collect(struct corridor_ledger *l, const struct corridor_audit_request *req,
			   struct corridor_audit *a, struct corridor_diag *diag)
{
	memset(a, 0, sizeof *a);
	snprintf(a->origin, sizeof a->origin, "%s", corridor_ledger_origin(l));
	a->first_day = req->first_day;
	a->end_day = req->end_day;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	a->generated_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	size_t months = 0;
	if (!month_start(req->first_day) || !month_start(req->end_day) ||
	    req->end_day <= req->first_day)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "an audit covers whole months (2026, 2026-Q1, "
					 "2026-01-01..2026-06-30)");
	for (int32_t m = req->first_day; m < req->end_day; m = month_next(m))
		if (++months > CORRIDOR_AUDIT_MONTHS_MAX)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "an audit covers at most %u months",
						 CORRIDOR_AUDIT_MONTHS_MAX);
	if (req->contract_count > CORRIDOR_AUDIT_CONTRACTS_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "at most %u contracts",
					 CORRIDOR_AUDIT_CONTRACTS_MAX);
	int err = verification(l, req, &a->verification, diag);
	if (err)
		goto out_fail;
	if ((err = corridor_currency_scales(l, &a->scales, diag)) != 0)
		goto out_fail;
	/* the contracts */
	struct id_set ids = { .first_day = req->first_day, .end_day = req->end_day };
	ids.ids = calloc(CORRIDOR_AUDIT_CONTRACTS_MAX, sizeof *ids.ids);
	if (!ids.ids) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_fail;
	}
	if (req->contracts) {
		for (size_t i = 0; i < req->contract_count; i++)
			snprintf(ids.ids[ids.n++], sizeof ids.ids[0], "%s", req->contracts[i]);
	} else {
		err = corridor_contract_list(l, NULL, collect_id, &ids, diag);
		if (ids.over)
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						"more than %u contracts: name them with --contract",
						CORRIDOR_AUDIT_CONTRACTS_MAX);
	}
	a->contracts = err ? NULL : calloc(ids.n ? ids.n : 1, sizeof *a->contracts);
	if (!err && !a->contracts)
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; !err && i < ids.n; i++) {
		err = contract_collect(l, ids.ids[i], req->first_day, req->end_day,
				       &a->contracts[a->contract_count], diag);
		a->contract_count++;
	}
	free(ids.ids);
	if (err)
		goto out_fail;
	qsort(a->contracts, a->contract_count, sizeof *a->contracts, by_id);
	/* each month's end: invoices and balances */
	a->month_ends = calloc(months, sizeof *a->month_ends);
	if (!a->month_ends) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_fail;
	}
	for (int32_t m = req->first_day; m < req->end_day && !err; m = month_next(m)) {
		struct corridor_audit_month_end *me = &a->month_ends[a->month_end_count];
		me->day = month_next(m) - 1;
		if ((err = corridor_report_invoices(l, NULL, me->day, &me->invoices, diag)) != 0)
			break;
		a->month_end_count++;
		struct bal_acc ba = { 0 };
		err = corridor_report_balances(l, me->day, bal_take, &ba, diag);
		me->balances = ba.b;
		me->balance_count = ba.n;
		if (err == CORRIDOR_E_NOMEM)
			corridor_diag_set(diag, err, "out of memory");
	}
	if (err)
		goto out_fail;
	/* the invoices of the span's periods, the payments of its days */
	struct inv_acc ia = { .l = l, .req = req, .first = req->first_day, .end = req->end_day,
			      .diag = diag };
	err = corridor_invoice_list(l, inv_take, &ia, diag);
	a->invoice_list = ia.v;
	a->invoice_count = ia.n;
	if (err)
		goto out_fail;
	struct pay_acc pa = { .first = req->first_day, .end = req->end_day };
	err = corridor_payment_list(l, NULL, pay_take, &pa, diag);
	a->payments = pa.p;
	a->payment_count = pa.n;
	if (err) {
		if (err == CORRIDOR_E_NOMEM)
			corridor_diag_set(diag, err, "out of memory");
		goto out_fail;
	}
	if ((err = series_collect(l, a, diag)) != 0)
		goto out_fail;
	/* the trace */
	a->trace = calloc(CORRIDOR_AUDIT_TRACE_MAX, sizeof *a->trace);
	if (!a->trace) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_fail;
	}
	struct trace_acc ta = { .a = a, .req = req, .diag = diag };
	err = corridor_ledger_scan(l, 0, 0, trace_one, &ta);
	if (err == 1)
		err = CORRIDOR_OK; /* truncated: said so */
	if (err) {
		corridor_diag_set(diag, err, "cannot read the log");
		goto out_fail;
	}
	trace_adjustments(l, a);
	qsort(a->trace, a->trace_count, sizeof *a->trace, by_seq);
	return CORRIDOR_OK;
out_fail:
	corridor_audit_release(a);
	return err;
}

void corridor_audit_release(struct corridor_audit *a)
{
	if (!a)
		return;
	free(a->verification.checkpoint);
	for (size_t i = 0; i < a->contract_count; i++) {
		struct corridor_audit_contract *c = &a->contracts[i];
		for (size_t m = 0; m < c->month_count; m++) {
			corridor_meter_report_release(&c->months[m].meters);
			free(c->months[m].runs);
		}
		free(c->months);
		free(c->days);
		free(c->points);
	}
	free(a->contracts);
	for (size_t i = 0; i < a->month_end_count; i++) {
		corridor_invoice_report_release(&a->month_ends[i].invoices);
		free(a->month_ends[i].balances);
	}
	free(a->month_ends);
	free(a->invoice_list);
	free(a->payments);
	for (size_t i = 0; i < a->series_count; i++) {
		free(a->series[i].fixings);
		free(a->series[i].used);
	}
	free(a->series);
	free(a->trace);
	memset(a, 0, sizeof *a);
}
