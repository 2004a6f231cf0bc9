/*
 * delivery_export.c — a recorder's readings of one contract-month written as
 * the importers read them (docs/DELIVERIES.md "Export"): a CSV, or one
 * Measurement Value Document. The bytes are formats/'s; which readings, and
 * under which identifiers, is decided here.
 */
#include <sodium.h>

#include "log/log.h"

struct collect {
	const char *recorder;
	struct corridor_delivery *d;
	size_t n, cap;
};

static int collect_one(void *vctx, const struct corridor_delivery *d)
{
	struct collect *c = vctx;
	if (d->superseded_by || strcmp(d->recorder, c->recorder) != 0)
		return 0;
	if (c->n >= CORRIDOR_IMPORT_ROWS_MAX)
		return CORRIDOR_E_LIMIT;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		void *n = realloc(c->d, cap * sizeof *c->d);
		if (!n)
			return CORRIDOR_E_NOMEM;
		c->d = n;
		c->cap = cap;
	}
	c->d[c->n++] = *d;
	return 0;
}

/* By meter, then resolution, then start: a document's TimeSeries each. */
static int reading_cmp(const void *a, const void *b)
{
	const struct corridor_delivery *x = a, *y = b;
	int c = strcmp(x->meter, y->meter);
	int64_t rx = x->end_s - x->start_s, ry = y->end_s - y->start_s;
	if (!c)
		c = rx < ry ? -1 : rx > ry;
	if (!c)
		c = x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
	return c;
}

static int write_csv(FILE *out, const struct collect *c)
{
	char ref[CORRIDOR_IDEM_BYTES_MAX + 1], at[21];
	corridor_delivery_csv_header(out);
	for (size_t i = 0; i < c->n; i++) {
		const struct corridor_delivery *d = &c->d[i];
		corridor_utc_format(d->start_s, at);
		/* an interval's own name: stable from one export to the next */
		snprintf(ref, sizeof ref, "%s/%s/%s", d->recorder, d->meter, at);
		corridor_delivery_csv_row(out, d, ref);
	}
	return fflush(out) != 0 || ferror(out) ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static bool eic_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= max && corridor_text_ok(s, n, false) && !strchr(s, ' ');
}

static int write_mvd(FILE *out, const struct corridor_delivery_export_opts *o,
		     const struct corridor_contract_terms *t, const struct collect *c,
		     struct corridor_diag *diag)
{
	struct corridor_mvd doc;
	struct corridor_mvd_map_row *map = NULL;
	size_t nmap = 0;
	int err;
	memset(&doc, 0, sizeof doc);
	bool kwh = strcmp(t->unit, "kWh") == 0;
	if (!kwh && strcmp(t->unit, "MWh") != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "contract %s is in %s: a Measurement Value Document carries "
					 "energy in KWH or MWH",
					 t->id, t->unit);
	if (!eic_ok(o->sender, CORRIDOR_MVD_PARTY_BYTES_MAX) ||
	    !eic_ok(o->receiver, CORRIDOR_MVD_PARTY_BYTES_MAX))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the document names its sender and receiver by EIC codes "
					 "(1-%u characters): --sender and --receiver",
					 CORRIDOR_MVD_PARTY_BYTES_MAX);
	if (o->revision < 1 || o->revision > 999)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "revision: 1-999");
	if (!o->map)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "a document names each meter's point and domains: a map "
					 "(--map) is needed");
	if ((err = corridor_mvd_map_parse(o->map, o->map_len, &map, &nmap, diag)) != 0)
		return err;
	doc.points = calloc(c->n ? c->n : 1, sizeof *doc.points);
	doc.series = calloc(c->n ? c->n : 1, sizeof *doc.series);
	if (!doc.points || !doc.series) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	char month[11];
	corridor_date_format(o->period_first_day, month);
	month[7] = '\0';
	/* the document's name: contract, month and recorder, or their hash where
	 * that is longer than the schema allows */
	char name[2 * CORRIDOR_PARTY_ID_BYTES_MAX + 16];
	snprintf(name, sizeof name, "%s-%.7s-%s", t->id, month, o->recorder);
	if (strlen(name) > CORRIDOR_MVD_ID_BYTES_MAX) {
		uint8_t h[CORRIDOR_HASH_BYTES];
		char hex[17];
		crypto_hash_sha256(h, (const uint8_t *)o->recorder, strlen(o->recorder));
		sodium_bin2hex(hex, sizeof hex, h, 8);
		snprintf(name, sizeof name, "%.32s-%.7s-%s", t->id, month, hex);
	}
	memcpy(doc.mrid, name, strlen(name) + 1);
	doc.revision = o->revision;
	snprintf(doc.sender, sizeof doc.sender, "%s", o->sender);
	snprintf(doc.receiver, sizeof doc.receiver, "%s", o->receiver);
	doc.created_s = o->created_s;
	int64_t off = (int64_t)t->utc_offset_min * 60;
	doc.start_s = (int64_t)o->period_first_day * SECONDS_PER_DAY - off;
	doc.end_s = doc.start_s + (int64_t)corridor_month_days(o->period_first_day) * SECONDS_PER_DAY;
	for (size_t i = 0; i < c->n; i++) {
		const struct corridor_delivery *d = &c->d[i];
		int64_t res = d->end_s - d->start_s;
		bool fresh = doc.nseries == 0;
		if (!fresh) {
			const struct corridor_delivery *p = &c->d[i - 1];
			fresh = strcmp(p->meter, d->meter) != 0 || p->end_s - p->start_s != res;
		}
		if (fresh) {
			const struct corridor_mvd_map_row *m = NULL;
			for (size_t k = 0; k < nmap && !m; k++)
				if (!strcmp(map[k].contract, t->id) && !strcmp(map[k].meter, d->meter))
					m = &map[k];
			if (!m || !m->in_domain[0] || !m->out_domain[0]) {
				err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
							"the map has no row with both domains for "
							"contract %s, meter %s",
							t->id, d->meter);
				goto out_free;
			}
			if (!corridor_resolution_ok(res)) {
				err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
							"reading %llu is %lld s long: a document carries "
							"PT15M, PT30M or PT60M intervals",
							(unsigned long long)d->seq, (long long)res);
				goto out_free;
			}
			struct corridor_mvd_series *s = &doc.series[doc.nseries++];
			snprintf(s->mrid, sizeof s->mrid, "%zu", doc.nseries);
			snprintf(s->point, sizeof s->point, "%s", m->point);
			snprintf(s->in_domain, sizeof s->in_domain, "%s", m->in_domain);
			snprintf(s->out_domain, sizeof s->out_domain, "%s", m->out_domain);
			s->unit = kwh ? CORRIDOR_MVD_KWH : CORRIDOR_MVD_MWH;
			s->first = doc.npoints;
			if (doc.nseries == 1)
				snprintf(doc.domain, sizeof doc.domain, "%s", m->out_domain);
		}
		doc.points[doc.npoints++] = (struct corridor_mvd_point){
			.start_s = d->start_s, .resolution_s = (uint32_t)res,
			.quantity_micro = d->quantity_milli * 1000, .quality = d->quality };
		doc.series[doc.nseries - 1].count++;
	}
	if (doc.nseries == 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					"%s has no readings of contract %s in %s: a document needs a "
					"TimeSeries",
					o->recorder, t->id, month);
		goto out_free;
	}
	err = corridor_mvd_write(out, &doc, diag);
out_free:
	free(map);
	corridor_mvd_release(&doc);
	return err;
}

int corridor_delivery_export(struct corridor_ledger *l, const struct corridor_delivery_export_opts *o,
			     FILE *out, size_t *intervals, struct corridor_diag *diag)
{
	struct corridor_contract *ct = malloc(sizeof *ct);
	struct collect c = { 0 };
	*intervals = 0;
	if (!ct)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_contract_get(l, o->contract, ct, diag);
	if (!err && ct->version_count == 0)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "contract %s has no terms",
					o->contract);
	if (err)
		goto out_free;
	struct corridor_delivery_export_opts opts = *o;
	const struct corridor_contract_terms *t = &ct->versions[ct->version_count - 1].terms;
	if (!opts.recorder)
		opts.recorder = t->metering_party;
	c.recorder = opts.recorder;
	if ((err = corridor_delivery_list(l, o->contract, o->period_first_day, collect_one, &c,
					  diag)) != 0) {
		if (err == CORRIDOR_E_LIMIT)
			err = corridor_diag_set(diag, err, "more than %u readings",
						CORRIDOR_IMPORT_ROWS_MAX);
		goto out_free;
	}
	qsort(c.d, c.n, sizeof *c.d, reading_cmp);
	if (o->format == CORRIDOR_DELIVERIES_CSV)
		err = write_csv(out, &c);
	else if (o->format == CORRIDOR_DELIVERIES_MVD)
		err = write_mvd(out, &opts, t, &c, diag);
	else
		err = corridor_diag_set(diag, CORRIDOR_E_INVALID, "unknown delivery format");
	if (err == CORRIDOR_E_IO)
		err = corridor_diag_set(diag, err, "cannot write the export");
	if (!err)
		*intervals = c.n;
out_free:
	free(c.d);
	free(ct);
	return err;
}
