/*
 * deliveries.c — delivery.record and delivery.correct: one reading per
 * interval, no overlaps by one recorder on one meter, corrections name what
 * they supersede.
 *
 * Bodies (canonical maps, string keys):
 *   delivery.record  {contract, end, idempotency_key?, meter, quality, quantity, start}
 *                    start and end: UTC seconds; quantity: milli-units; the
 *                    idempotency key is the source system's reference
 *   delivery.correct {idempotency_key?, quantity, reason?, supersedes}
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
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return CORRIDOR_E_NOMEM;
	int err = corridor_contract_record(st->kv, d.contract, c);
	if (err || c->version_count == 0) {
		free(c);
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "contract %s is not an accepted contract",
			    d.contract);
	}
	const struct corridor_contract_terms *t = &c->versions[c->version_count - 1].terms;
	int64_t off = (int64_t)t->utc_offset_min * 60;
	int64_t term_start = (int64_t)t->start_day * SECONDS_PER_DAY - off;
	int64_t term_end = (int64_t)t->end_day * SECONDS_PER_DAY - off;
	int64_t local = d.start_s + off;
	int64_t day_end = (local / SECONDS_PER_DAY + (local % SECONDS_PER_DAY < 0 ? 0 : 1)) *
				  SECONDS_PER_DAY - off;
	bool recorder_ok = strcmp(e->author, t->metering_party) == 0 ||
			   strcmp(e->author, t->seller) == 0 || strcmp(e->author, t->buyer) == 0;
	if (!recorder_ok)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			   "%s is neither the metering party nor a party of contract %s", e->author,
			   d.contract);
	else if (d.start_s < term_start || d.end_s > term_end)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "the interval is outside the term of %s",
			   d.contract);
	else if (d.end_s > day_end)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			   "the interval crosses midnight of %s's local day", d.contract);
	else if (!within_capacity(t, d.start_s, d.end_s, d.quantity_milli))
		err = capacity_refusal(e, t, diag);
	int32_t offset_min = c->versions[0].terms.utc_offset_min;
	free(c);
	if (err)
		return err;
	snprintf(d.recorder, sizeof d.recorder, "%.32s", e->author);
	uint64_t overlap;
	if ((err = day_intervals(st->kv, &d, e->seq, true, &overlap)) != 0)
		return err == CORRIDOR_E_LIMIT
			       ? corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "more than %u intervals in a day",
				      CORRIDOR_DAY_INTERVALS_MAX)
			       : err;
	if (overlap)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "the interval overlaps reading %llu of %s on meter %s",
			    (unsigned long long)overlap, d.recorder, d.meter);
	int err2 = corridor_reading_put(st->kv, e->seq, &d);
	return err2 ? err2 : corridor_bucket_append(st->kv, &d, offset_min);
}

static int process_correct(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "idempotency_key", "quantity", "reason",
					       "supersedes", NULL };
	int64_t q, target;
	struct corridor_delivery d;
	if (!corridor_mpo_fields_only(o, allowed))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "unknown field");
	const msgpack_object *reason = corridor_mpo_field(o, "reason");
	if (!corridor_mpo_int(corridor_mpo_field(o, "quantity"), &q) || !corridor_mpo_int(corridor_mpo_field(o, "supersedes"), &target) ||
	    target < 0 || (reason && (reason->type != MSGPACK_OBJECT_STR ||
				      reason->via.str.size > CORRIDOR_REASON_BYTES_MAX)))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs supersedes and quantity");
	if (q < 0 || q >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "quantity must be 0 <= q < 10^12");
	if (corridor_reading_get(st->kv, (uint64_t)target, &d) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "entry %lld is not a delivery reading",
			    (long long)target);
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
	int err = corridor_contract_record(st->kv, d.contract, c);
	int32_t offset_min = !err && c->version_count ? c->versions[0].terms.utc_offset_min : 0;
	if (!err && c->version_count &&
	    !within_capacity(&c->versions[c->version_count - 1].terms, d.start_s, d.end_s, q))
		err = capacity_refusal(e, &c->versions[c->version_count - 1].terms, diag);
	free(c);
	if (err)
		return err;
	d.superseded_by = e->seq;
	err = corridor_reading_put(st->kv, (uint64_t)target, &d);
	uint64_t unused;
	struct corridor_delivery n = d;
	n.seq = e->seq;
	n.quantity_milli = q;
	n.supersedes = (uint64_t)target;
	n.superseded_by = 0;
	if (!err)
		err = day_intervals(st->kv, &d, e->seq, false, &unused);
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
	else if (!err)
		err = process_correct(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
}
