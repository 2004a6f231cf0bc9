/*
 * deliveries.c — delivery.record and delivery.correct: one reading per
 * interval, no overlaps by one recorder on one meter, corrections name what
 * they supersede.
 *
 * Bodies (canonical maps, string keys):
 *   delivery.record  {contract, end, idempotency_key?, meter, quality, quantity, start}
 *                    start and end: UTC seconds; quantity: milli-units; the
 *                    idempotency key is the source system's reference
 *   delivery.series  {contract, meter, qualities, quantities, resolution, start}
 *                    (formats/series.c): a day's points, one code and one
 *                    quantity each
 *   delivery.correct {idempotency_key?, quality?, quantity, reason?, start?, supersedes}
 *                    start names a series' point (its interval start);
 *                    quality, if given, replaces the reading's (not M)
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"


/* ---- a recorder's intervals on a meter, per UTC day: (start, end, seq) each ---- */

static size_t day_key(const char *recorder, const char *meter, int64_t day, uint8_t *out)
{
	size_t a = strlen(recorder), m = strlen(meter);
	memcpy(out, recorder, a);
	out[a] = 0;
	memcpy(out + a + 1, meter, m);
	out[a + 1 + m] = 0;
	corridor_be32_put(out + a + m + 2, (uint32_t)day);
	return a + m + 6;
}

/* Finds an interval overlapping [start, end) on the days it touches; with
 * replace_seq set, changes that interval's latest seq instead. */
static int day_intervals(struct corridor_kv *kv, const struct corridor_delivery *d, uint64_t seq,
			 bool insert, uint64_t *overlap_seq)
{
	int64_t first = d->start_s / SECONDS_PER_DAY, last = (d->end_s - 1) / SECONDS_PER_DAY;
	*overlap_seq = 0;
	for (int64_t day = first; day <= last; day++) {
		uint8_t key[2 * CORRIDOR_METER_ID_BYTES_MAX + 8], *buf;
		size_t klen = day_key(d->recorder, d->meter, day, key), vlen = 0;
		const uint8_t *v = NULL;
		int err = kv->get(kv, STATE_DAYS, key, klen, &v, &vlen);
		if (err && err != CORRIDOR_E_NOTFOUND)
			return err;
		if (err)
			vlen = 0;
		if (vlen % 24u != 0)
			return CORRIDOR_E_STORAGE;
		size_t n = vlen / 24u;
		for (size_t i = 0; i < n; i++) {
			int64_t s = (int64_t)corridor_be64_get(v + 24 * i);
			int64_t e = (int64_t)corridor_be64_get(v + 24 * i + 8);
			if (s < d->end_s && d->start_s < e) {
				*overlap_seq = corridor_be64_get(v + 24 * i + 16);
				if (!insert) /* a correction: the same interval, a new latest seq */
					break;
				return CORRIDOR_OK;
			}
		}
		if (insert && n >= CORRIDOR_DAY_INTERVALS_MAX)
			return CORRIDOR_E_LIMIT;
		if (!(buf = malloc(vlen + 24)))
			return CORRIDOR_E_NOMEM;
		if (vlen)
			memcpy(buf, v, vlen);
		if (insert) {
			corridor_be64_put(buf + vlen, (uint64_t)d->start_s);
			corridor_be64_put(buf + vlen + 8, (uint64_t)d->end_s);
			corridor_be64_put(buf + vlen + 16, seq);
			vlen += 24;
		} else {
			for (size_t i = 0; i < n; i++)
				if (corridor_be64_get(buf + 24 * i + 16) == d->seq)
					corridor_be64_put(buf + 24 * i + 16, seq);
		}
		err = kv->put(kv, STATE_DAYS, key, klen, buf, vlen);
		free(buf);
		if (err)
			return err;
	}
	if (!insert)
		*overlap_seq = 0;
	return CORRIDOR_OK;
}

/* ---- processing ---- */

/* A non-empty str. */
static bool copy_str(const msgpack_object *o, char *out, size_t cap)
{
	return corridor_mpo_str(o, out, cap) && out[0] != '\0';
}

bool corridor_meter_id_ok(const char *m)
{
	size_t n = strlen(m);
	if (n == 0 || n > CORRIDOR_METER_ID_BYTES_MAX || !corridor_utf8_valid((const uint8_t *)m, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m[i] <= 0x20u || m[i] == 0x7f)
			return false;
	return true;
}

/* Physically possible: no more than the contract's capacity (max_rate per
 * hour, if it states one) times the interval's length. */
static bool within_capacity(const struct corridor_contract_terms *t, int64_t start_s, int64_t end_s,
			    int64_t quantity_milli)
{
	return !t->has_max_rate || (corridor_i128)quantity_milli * 3600 <=
					   (corridor_i128)t->max_rate_milli * (end_s - start_s);
}

static int capacity_refusal(const struct corridor_entry *e, const struct corridor_contract_terms *t,
			    struct corridor_diag *diag)
{
	char cap[32];
	corridor_decimal_format(t->max_rate_milli, 3, cap, sizeof cap);
	return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
				  "the quantity exceeds the capacity of %s (max_rate %s %s per hour) "
				  "over the interval",
				  t->id, cap, t->unit);
}

/* Instants a reading may name, in UTC seconds: beyond year 30000 either way. */
#define READING_TIME_S_MAX ((int64_t)1 << 40)

/* The checks every reading's interval [start, end) passes: an accepted
 * contract, a recorder of it, inside its term and one local day of it. On
 * success *out is the contract (the caller frees it). */
static int interval_check(struct kind_state *st, const struct corridor_entry *e,
			  const char *contract, int64_t start_s, int64_t end_s,
			  struct corridor_contract **out, struct corridor_diag *diag)
{
	*out = NULL;
	/* no term reaches this far: refused before any arithmetic on them */
	if (start_s < -READING_TIME_S_MAX || end_s > READING_TIME_S_MAX)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					  "the interval is outside the term of %s", contract);
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return CORRIDOR_E_NOMEM;
	int err = corridor_contract_record(st->kv, contract, c);
	if (err || c->version_count == 0) {
		free(c);
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					  "contract %s is not an accepted contract", contract);
	}
	const struct corridor_contract_terms *t = &c->versions[c->version_count - 1].terms;
	int64_t off = (int64_t)t->utc_offset_min * 60;
	int64_t term_start = (int64_t)t->start_day * SECONDS_PER_DAY - off;
	int64_t term_end = (int64_t)t->end_day * SECONDS_PER_DAY - off;
	int64_t local = start_s + off;
	int64_t day_end = (local / SECONDS_PER_DAY + (local % SECONDS_PER_DAY < 0 ? 0 : 1)) *
				  SECONDS_PER_DAY - off;
	bool recorder_ok = strcmp(e->author, t->metering_party) == 0 ||
			   strcmp(e->author, t->seller) == 0 || strcmp(e->author, t->buyer) == 0;
	if (!recorder_ok)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			   "%s is neither the metering party nor a party of contract %s", e->author,
			   contract);
	else if (start_s < term_start || end_s > term_end)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "the interval is outside the term of %s",
			   contract);
	else if (end_s > day_end)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			   "the interval crosses midnight of %s's local day", contract);
	if (err)
		free(c);
	else
		*out = c;
	return err;
}

static const struct corridor_contract_terms *latest_terms(const struct corridor_contract *c)
{
	return &c->versions[c->version_count - 1].terms;
}

/* Registers [d->start_s, d->end_s) of d's recorder and meter; refuses an overlap. */
static int claim_interval(struct kind_state *st, const struct corridor_entry *e,
			  const struct corridor_delivery *d, struct corridor_diag *diag)
{
	uint64_t overlap;
	int err = day_intervals(st->kv, d, e->seq, true, &overlap);
	if (err)
		return err == CORRIDOR_E_LIMIT
			       ? corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "more than %u intervals in a day",
				      CORRIDOR_DAY_INTERVALS_MAX)
			       : err;
	if (overlap) {
		char at[21];
		corridor_utc_format(d->start_s, at);
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "the interval from %s overlaps reading %llu of %s on meter %s", at,
			    (unsigned long long)overlap, d->recorder, d->meter);
	}
	return CORRIDOR_OK;
}

static int process_record(struct kind_state *st, const struct corridor_entry *e,
			  const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "contract", "end", "idempotency_key", "meter",
					       "quality", "quantity", "start", NULL };
	struct corridor_delivery d = { .seq = e->seq };
	char quality[4];
	if (!corridor_mpo_fields_only(o, allowed))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "unknown field");
	if (!copy_str(corridor_mpo_field(o, "contract"), d.contract, sizeof d.contract) ||
	    !copy_str(corridor_mpo_field(o, "meter"), d.meter, sizeof d.meter) || !corridor_meter_id_ok(d.meter) ||
	    !copy_str(corridor_mpo_field(o, "quality"), quality, sizeof quality) ||
	    !corridor_mpo_int(corridor_mpo_field(o, "start"), &d.start_s) || !corridor_mpo_int(corridor_mpo_field(o, "end"), &d.end_s) ||
	    !corridor_mpo_int(corridor_mpo_field(o, "quantity"), &d.quantity_milli))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			    "needs contract, start, end, quantity, meter (no spaces) and quality");
	if (strcmp(quality, "A") != 0 && strcmp(quality, "E") != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "quality is A (actual) or E (estimated)");
	d.quality = quality[0];
	if (d.quantity_milli < 0 || d.quantity_milli >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "quantity must be 0 <= q < 10^12");
	if (d.end_s <= d.start_s)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "the interval must end after it starts");
	struct corridor_contract *c;
	int err = interval_check(st, e, d.contract, d.start_s, d.end_s, &c, diag);
	if (err)
		return err;
	if (!within_capacity(latest_terms(c), d.start_s, d.end_s, d.quantity_milli))
		err = capacity_refusal(e, latest_terms(c), diag);
	int32_t offset_min = c->versions[0].terms.utc_offset_min;
	free(c);
	if (err)
		return err;
	snprintf(d.recorder, sizeof d.recorder, "%.32s", e->author);
	if ((err = claim_interval(st, e, &d, diag)) != 0)
		return err;
	int err2 = corridor_reading_put(st->kv, e->seq, &d);
	return err2 ? err2 : corridor_bucket_append(st->kv, &d, offset_min);
}

/* delivery.series: consecutive points of one resolution within one local
 * day; each recorded point is checked as a reading is, and claims its
 * interval; a missing point claims nothing. */
static int process_series(struct kind_state *st, const struct corridor_entry *e,
			  const msgpack_object *o, struct corridor_diag *diag)
{
	struct corridor_series *s = malloc(sizeof *s);
	struct corridor_contract *c = NULL;
	int err;
	if (!s)
		return CORRIDOR_E_NOMEM;
	if (corridor_series_decode(o, s) != 0 || !s->contract[0] || !corridor_meter_id_ok(s->meter)) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
					 "needs contract, meter (no spaces), start, resolution and "
					 "1-%u points (quantities and qualities A E M J I C T, one each)",
					 CORRIDOR_SERIES_POINTS_MAX);
		goto out_free;
	}
	if (!corridor_resolution_ok(s->resolution_s)) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					 "the resolution is 900, 1800 or 3600 seconds, not %u",
					 s->resolution_s);
		goto out_free;
	}
	size_t recorded = 0;
	for (uint32_t i = 0; i < s->count; i++) {
		bool missing = s->quality[i] == CORRIDOR_QUALITY_MISSING;
		recorded += !missing;
		if (missing && s->quantity_milli[i] != 0) {
			err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
						 "point %u is missing: its quantity is 0", i + 1);
			goto out_free;
		}
	}
	if (recorded == 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					 "every point is missing: nothing to record");
		goto out_free;
	}
	int64_t end_s = s->start_s > READING_TIME_S_MAX
				? s->start_s
				: s->start_s + (int64_t)s->count * s->resolution_s;
	if ((err = interval_check(st, e, s->contract, s->start_s, end_s, &c, diag)) != 0)
		goto out_free;
	struct corridor_delivery d = { .seq = e->seq };
	snprintf(d.contract, sizeof d.contract, "%s", s->contract);
	snprintf(d.meter, sizeof d.meter, "%s", s->meter);
	snprintf(d.recorder, sizeof d.recorder, "%.32s", e->author);
	for (uint32_t i = 0; i < s->count && !err; i++) {
		int64_t from = s->start_s + (int64_t)i * s->resolution_s;
		if (s->quality[i] != CORRIDOR_QUALITY_MISSING &&
		    !within_capacity(latest_terms(c), from, from + s->resolution_s, s->quantity_milli[i]))
			err = capacity_refusal(e, latest_terms(c), diag);
	}
	/* each run of recorded points claims its intervals */
	for (uint32_t i = 0; i < s->count && !err;) {
		if (s->quality[i] == CORRIDOR_QUALITY_MISSING) {
			i++;
			continue;
		}
		uint32_t j = i;
		while (j < s->count && s->quality[j] != CORRIDOR_QUALITY_MISSING)
			j++;
		d.start_s = s->start_s + (int64_t)i * s->resolution_s;
		d.end_s = s->start_s + (int64_t)j * s->resolution_s;
		err = claim_interval(st, e, &d, diag);
		i = j;
	}
	if (!err)
		err = corridor_series_put(st->kv, e->seq, e->author, s, c->versions[0].terms.utc_offset_min);
out_free:
	free(c);
	free(s);
	return err;
}

struct point_find {
	int64_t start_s;
	struct corridor_delivery *out;
	bool found;
};

static int point_one(void *vctx, const struct corridor_delivery *d)
{
	struct point_find *f = vctx;
	if (d->start_s == f->start_s) {
		*f->out = *d;
		f->found = true;
	}
	return 0;
}

/* The reading a correction names: a single reading by seq, or a series' point
 * by seq and start. */
static int corrected_reading(struct kind_state *st, const struct corridor_entry *e, int64_t target,
			     const int64_t *start_s, struct corridor_delivery *d,
			     struct corridor_diag *diag)
{
	if (corridor_reading_get(st->kv, (uint64_t)target, d) == 0) {
		if (start_s && *start_s != d->start_s)
			return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
						  "reading %lld does not start at the start given",
						  (long long)target);
		return CORRIDOR_OK;
	}
	struct point_find f = { .start_s = start_s ? *start_s : 0, .out = d };
	int err = corridor_series_readings(st->kv, (uint64_t)target, point_one, &f);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "entry %lld is not a delivery reading",
					  (long long)target);
	if (err)
		return err;
	if (!start_s)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					  "entry %lld is a series: name the point by its start",
					  (long long)target);
	if (!f.found) {
		char at[21];
		corridor_utc_format(*start_s, at);
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					  "series %lld has no recorded point from %s", (long long)target,
					  at);
	}
	return CORRIDOR_OK;
}

static int process_correct(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "idempotency_key", "quality", "quantity", "reason",
					       "start", "supersedes", NULL };
	int64_t q, target, start;
	struct corridor_delivery d;
	if (!corridor_mpo_fields_only(o, allowed))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "unknown field");
	const msgpack_object *reason = corridor_mpo_field(o, "reason");
	const msgpack_object *so = corridor_mpo_field(o, "start");
	if (!corridor_mpo_int(corridor_mpo_field(o, "quantity"), &q) || !corridor_mpo_int(corridor_mpo_field(o, "supersedes"), &target) ||
	    target < 0 || (so && !corridor_mpo_int(so, &start)) ||
	    (reason && (reason->type != MSGPACK_OBJECT_STR ||
				      reason->via.str.size > CORRIDOR_REASON_BYTES_MAX)))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs supersedes and quantity");
	if (q < 0 || q >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "quantity must be 0 <= q < 10^12");
	/* optional: the corrected reading's quality (a revised meter document's);
	 * without it the reading keeps the quality it had */
	char quality = 0;
	const msgpack_object *qo = corridor_mpo_field(o, "quality");
	if (qo) {
		char qs[4];
		if (!copy_str(qo, qs, sizeof qs) || strlen(qs) != 1 || !corridor_quality_ok(qs[0]) ||
		    qs[0] == CORRIDOR_QUALITY_MISSING)
			return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
						  "quality is one of A E J I C T");
		quality = qs[0];
	}
	int err = corrected_reading(st, e, target, so ? &start : NULL, &d, diag);
	if (err)
		return err;
	struct corridor_delivery probe;
	bool of_series = corridor_reading_get(st->kv, (uint64_t)target, &probe) != 0;
	if (strcmp(d.recorder, e->author) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "reading %lld was recorded by %s: only its recorder corrects it",
			    (long long)target, d.recorder);
	if (d.superseded_by)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "reading %lld was corrected by %llu already: correct that one",
			    (long long)target, (unsigned long long)d.superseded_by);
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return CORRIDOR_E_NOMEM;
	err = corridor_contract_record(st->kv, d.contract, c);
	int32_t offset_min = !err && c->version_count ? c->versions[0].terms.utc_offset_min : 0;
	if (!err && c->version_count &&
	    !within_capacity(&c->versions[c->version_count - 1].terms, d.start_s, d.end_s, q))
		err = capacity_refusal(e, &c->versions[c->version_count - 1].terms, diag);
	free(c);
	if (err)
		return err;
	uint64_t unused;
	struct corridor_delivery n = d;
	n.seq = e->seq;
	n.quantity_milli = q;
	if (quality)
		n.quality = quality;
	n.supersedes = (uint64_t)target;
	n.superseded_by = 0;
	if (!of_series) { /* a series' point is superseded in its bucket, by (seq, start) */
		d.superseded_by = e->seq;
		err = corridor_reading_put(st->kv, (uint64_t)target, &d);
		if (!err)
			err = day_intervals(st->kv, &d, e->seq, false, &unused);
	}
	if (!err)
		err = corridor_reading_put(st->kv, e->seq, &n);
	if (!err)
		err = corridor_bucket_append(st->kv, &n, offset_min);
	return err;
}

int corridor_delivery_process(struct kind_state *st, const struct corridor_entry *e,
			      struct corridor_diag *diag)
{
	msgpack_unpacked u;
	int err;
	msgpack_unpacked_init(&u);
	err = corridor_body_map(e, &u, diag);
	if (!err && strcmp(e->kind, "delivery.record") == 0)
		err = process_record(st, e, &u.data, diag);
	else if (!err && strcmp(e->kind, "delivery.series") == 0)
		err = process_series(st, e, &u.data, diag);
	else if (!err)
		err = process_correct(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
}
