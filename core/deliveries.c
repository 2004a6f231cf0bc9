/*
 * deliveries.c — metered intervals: delivery.record and delivery.correct, the
 * state that checks them (each reading and what superseded it; each
 * recorder's intervals per meter and UTC day, for overlaps), and the CSV
 * import: every row parsed and checked, then all of them checked against the
 * ledger as one dry run, then written in atomic batches.
 *
 * Bodies (canonical maps, string keys):
 *   delivery.record  {contract, end, idempotency_key?, meter, quality, quantity, start}
 *                    start and end: UTC seconds; quantity: milli-units; the
 *                    idempotency key is the source system's reference
 *   delivery.correct {idempotency_key?, quantity, reason?, supersedes}
 */
#include <msgpack.h>

#include "ledger_internal.h"

#define SECONDS_PER_DAY 86400
#define DELIVERY_BODY_BYTES_MAX 512u

/* ---- the reading's state: be64(seq) -> fixed fields, then three strings ---- */

#define READING_FIXED (8u * 5u + 1u)

static size_t reading_encode(const struct corridor_delivery *d, uint8_t *out)
{
	uint8_t *p = out;
	corridor_be64_put(p, (uint64_t)d->start_s);
	corridor_be64_put(p + 8, (uint64_t)d->end_s);
	corridor_be64_put(p + 16, (uint64_t)d->quantity_milli);
	corridor_be64_put(p + 24, d->supersedes);
	corridor_be64_put(p + 32, d->superseded_by);
	p[40] = (uint8_t)d->quality;
	p += READING_FIXED;
	const char *strs[3] = { d->contract, d->recorder, d->meter };
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(strs[i]);
		*p++ = (uint8_t)n;
		memcpy(p, strs[i], n);
		p += n;
	}
	return (size_t)(p - out);
}

static int reading_decode(uint64_t seq, const uint8_t *v, size_t len, struct corridor_delivery *d)
{
	memset(d, 0, sizeof *d);
	if (len < READING_FIXED + 3)
		return CORRIDOR_E_STORAGE;
	d->seq = seq;
	d->start_s = (int64_t)corridor_be64_get(v);
	d->end_s = (int64_t)corridor_be64_get(v + 8);
	d->quantity_milli = (int64_t)corridor_be64_get(v + 16);
	d->supersedes = corridor_be64_get(v + 24);
	d->superseded_by = corridor_be64_get(v + 32);
	d->quality = (char)v[40];
	size_t at = READING_FIXED;
	char *strs[3] = { d->contract, d->recorder, d->meter };
	size_t caps[3] = { sizeof d->contract, sizeof d->recorder, sizeof d->meter };
	for (int i = 0; i < 3; i++) {
		if (at >= len || v[at] >= caps[i] || at + 1 + v[at] > len)
			return CORRIDOR_E_STORAGE;
		memcpy(strs[i], v + at + 1, v[at]);
		strs[i][v[at]] = '\0';
		at += 1u + v[at];
	}
	return at == len ? CORRIDOR_OK : CORRIDOR_E_STORAGE;
}

static int reading_get(struct corridor_kv *kv, uint64_t seq, struct corridor_delivery *d)
{
	uint8_t k[8];
	const uint8_t *v;
	size_t vlen;
	corridor_be64_put(k, seq);
	int err = kv->get(kv, STATE_DELIVERIES, k, 8, &v, &vlen);
	return err ? err : reading_decode(seq, v, vlen, d);
}

size_t corridor_period_key(const char *contract, int32_t first_day, uint64_t seq, uint8_t *out)
{
	size_t n = strlen(contract);
	memcpy(out, contract, n);
	out[n] = 0;
	corridor_be32_put(out + n + 1, (uint32_t)first_day ^ 0x80000000u);
	if (seq == 0)
		return n + 5;
	corridor_be64_put(out + n + 5, seq);
	return n + 13;
}

/* Stores a reading by seq (STATE_DELIVERIES). */
static int reading_put(struct corridor_kv *kv, uint64_t seq, const struct corridor_delivery *d)
{
	uint8_t k[8], v[READING_FIXED + 3 + 3 * 64];
	corridor_be64_put(k, seq);
	return kv->put(kv, STATE_DELIVERIES, k, 8, v, reading_encode(d, v));
}

/* ---- per (contract, local day): its readings, in seq order (STATE_PERIODS) ----
 * The compact view settlement and the month reports read with one get per
 * day, also from the in-memory tables verify rebuilds. A record: be64 seq,
 * be32 start (seconds after local midnight), be32 duration, be64 quantity,
 * be64 supersedes (0: an original), quality, then recorder and meter (u8
 * length each). A correction is appended; what it supersedes is found by seq. */
#define BUCKET_FIXED 33u
#define BUCKET_BYTES_MAX ((size_t)1 << 22)

static int64_t local_day(int64_t utc_s, int32_t offset_min)
{
	int64_t local = utc_s + (int64_t)offset_min * 60;
	return local / SECONDS_PER_DAY - (local % SECONDS_PER_DAY < 0 ? 1 : 0);
}

static int bucket_append(struct corridor_kv *kv, const struct corridor_delivery *d,
			 int32_t offset_min)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 5], small[8192], *buf = small;
	const uint8_t *old;
	size_t olen = 0, rl = strlen(d->recorder), ml = strlen(d->meter);
	int64_t day = local_day(d->start_s, offset_min);
	int64_t midnight = day * SECONDS_PER_DAY - (int64_t)offset_min * 60;
	size_t klen = corridor_period_key(d->contract, (int32_t)day, 0, k);
	int err = kv->get(kv, STATE_PERIODS, k, klen, &old, &olen);
	if (err == CORRIDOR_E_NOTFOUND)
		olen = 0;
	else if (err)
		return err;
	size_t len = olen + BUCKET_FIXED + 2 + rl + ml;
	if (len > BUCKET_BYTES_MAX)
		return CORRIDOR_E_LIMIT;
	if (len > sizeof small && !(buf = malloc(len)))
		return CORRIDOR_E_NOMEM;
	if (olen)
		memcpy(buf, old, olen);
	uint8_t *p = buf + olen;
	corridor_be64_put(p, d->seq);
	corridor_be32_put(p + 8, (uint32_t)(d->start_s - midnight));
	corridor_be32_put(p + 12, (uint32_t)(d->end_s - d->start_s));
	corridor_be64_put(p + 16, (uint64_t)d->quantity_milli);
	corridor_be64_put(p + 24, d->supersedes);
	p[32] = (uint8_t)d->quality;
	p[33] = (uint8_t)rl;
	memcpy(p + 34, d->recorder, rl);
	p[34 + rl] = (uint8_t)ml;
	memcpy(p + 35 + rl, d->meter, ml);
	err = kv->put(kv, STATE_PERIODS, k, klen, buf, len);
	if (buf != small)
		free(buf);
	return err;
}

int corridor_day_readings(struct corridor_kv *kv, const char *contract, int32_t first_day,
			  int32_t days, int32_t offset_min, corridor_delivery_fn fn, void *ctx)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 5];
	struct corridor_delivery *rs = NULL;
	size_t cap = 0;
	int err = CORRIDOR_OK;
	if (strlen(contract) > CORRIDOR_PARTY_ID_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	for (int32_t day = first_day; !err && day < first_day + days; day++) {
		const uint8_t *v;
		size_t vlen, n = 0;
		size_t klen = corridor_period_key(contract, day, 0, k);
		err = kv->get(kv, STATE_PERIODS, k, klen, &v, &vlen);
		if (err == CORRIDOR_E_NOTFOUND) {
			err = CORRIDOR_OK;
			continue;
		}
		if (err)
			break;
		int64_t midnight = (int64_t)day * SECONDS_PER_DAY - (int64_t)offset_min * 60;
		for (size_t at = 0; at < vlen && !err; n++) {
			if (n == cap) {
				size_t c2 = cap ? 2 * cap : 64;
				void *nr = realloc(rs, c2 * sizeof *rs);
				if (!nr) {
					err = CORRIDOR_E_NOMEM;
					break;
				}
				rs = nr;
				cap = c2;
			}
			struct corridor_delivery *d = &rs[n];
			const uint8_t *p = v + at;
			if (vlen - at < BUCKET_FIXED + 2 || p[33] > CORRIDOR_PARTY_ID_BYTES_MAX ||
			    vlen - at < BUCKET_FIXED + 2u + p[33] ||
			    p[34 + p[33]] > CORRIDOR_METER_ID_BYTES_MAX ||
			    vlen - at < BUCKET_FIXED + 2u + p[33] + p[34 + p[33]]) {
				err = CORRIDOR_E_STORAGE;
				break;
			}
			memset(d, 0, sizeof *d);
			snprintf(d->contract, sizeof d->contract, "%s", contract);
			d->seq = corridor_be64_get(p);
			d->start_s = midnight + corridor_be32_get(p + 8);
			d->end_s = d->start_s + corridor_be32_get(p + 12);
			d->quantity_milli = (int64_t)corridor_be64_get(p + 16);
			d->supersedes = corridor_be64_get(p + 24);
			d->quality = (char)p[32];
			memcpy(d->recorder, p + 34, p[33]);
			memcpy(d->meter, p + 35 + p[33], p[34 + p[33]]);
			at += BUCKET_FIXED + 2u + p[33] + p[34 + p[33]];
		}
		/* what each correction superseded (in this bucket, by seq) */
		for (size_t i = 0; !err && i < n; i++)
			for (size_t j = 0; rs[i].supersedes && j < i; j++)
				if (rs[j].seq == rs[i].supersedes)
					rs[j].superseded_by = rs[i].seq;
		for (size_t i = 0; !err && i < n; i++)
			err = fn(ctx, &rs[i]);
	}
	free(rs);
	return err;
}

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

static bool meter_ok(const char *m)
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
	    !copy_str(corridor_mpo_field(o, "meter"), d.meter, sizeof d.meter) || !meter_ok(d.meter) ||
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
	int err2 = reading_put(st->kv, e->seq, &d);
	return err2 ? err2 : bucket_append(st->kv, &d, offset_min);
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
	if (reading_get(st->kv, (uint64_t)target, &d) != 0)
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
	err = reading_put(st->kv, (uint64_t)target, &d);
	uint64_t unused;
	struct corridor_delivery n = d;
	n.seq = e->seq;
	n.quantity_milli = q;
	n.supersedes = (uint64_t)target;
	n.superseded_by = 0;
	if (!err)
		err = day_intervals(st->kv, &d, e->seq, false, &unused);
	if (!err)
		err = reading_put(st->kv, e->seq, &n);
	if (!err)
		err = bucket_append(st->kv, &n, offset_min);
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

/* ---- bodies and the single writes ---- */

static size_t record_body(const struct corridor_delivery_request *r, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char q[2] = { r->quality ? r->quality : 'A', 0 };
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, r->reference ? 7 : 6);
	corridor_mp_pack_str(&pk, "contract", 8);
	corridor_mp_pack_str(&pk, r->contract, strlen(r->contract));
	corridor_mp_pack_str(&pk, "end", 3);
	msgpack_pack_int64(&pk, r->end_s);
	if (r->reference) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, r->reference, strlen(r->reference));
	}
	corridor_mp_pack_str(&pk, "meter", 5);
	corridor_mp_pack_str(&pk, r->meter, strlen(r->meter));
	corridor_mp_pack_str(&pk, "quality", 7);
	corridor_mp_pack_str(&pk, q, 1);
	corridor_mp_pack_str(&pk, "quantity", 8);
	msgpack_pack_int64(&pk, r->quantity_milli);
	corridor_mp_pack_str(&pk, "start", 5);
	msgpack_pack_int64(&pk, r->start_s);
	return w.overflow ? 0 : w.len;
}

static int request_check(const struct corridor_delivery_request *r, struct corridor_diag *diag)
{
	if (!r->contract || !corridor_party_id_valid(r->contract))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "contract: not a contract id");
	if (!r->meter || !meter_ok(r->meter))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "meter: 1-%u bytes without spaces", CORRIDOR_METER_ID_BYTES_MAX);
	if (r->reference && corridor_idem_check(r->reference, strlen(r->reference), diag) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "reference: 1-%u bytes of printable text", CORRIDOR_IDEM_BYTES_MAX);
	if (r->quality && r->quality != 'A' && r->quality != 'E')
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "quality: A or E");
	if (r->quantity_milli < 0 || r->quantity_milli >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "quantity: 0 <= q < 10^12 with at most 3 decimals");
	if (r->end_s <= r->start_s)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "end: must be after start");
	return CORRIDOR_OK;
}

int corridor_delivery_record(struct corridor_ledger *l, const struct corridor_signer *s,
			     const struct corridor_delivery_request *r, uint64_t *seq,
			     struct corridor_diag *diag)
{
	uint8_t body[DELIVERY_BODY_BYTES_MAX];
	int err = request_check(r, diag);
	if (err)
		return err;
	size_t n = record_body(r, body, sizeof body);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, "delivery.record", body, n, seq, diag);
}

int corridor_delivery_correct(struct corridor_ledger *l, const struct corridor_signer *s,
			      uint64_t supersedes, int64_t quantity, const char *reason,
			      const char *idem, uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t body[DELIVERY_BODY_BYTES_MAX + CORRIDOR_REASON_BYTES_MAX];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	if (quantity < 0 || quantity >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "quantity: 0 <= q < 10^12 with at most 3 decimals");
	if (reason && (strlen(reason) == 0 || strlen(reason) > CORRIDOR_REASON_BYTES_MAX ||
		       !corridor_utf8_valid((const uint8_t *)reason, strlen(reason))))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "reason: 1-%u bytes of UTF-8",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag) != 0)
		return CORRIDOR_E_INVALID;
	corridor_mpbuf_init(&w, &pk, body, sizeof body);
	msgpack_pack_map(&pk, 2u + (idem ? 1u : 0u) + (reason ? 1u : 0u));
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "quantity", 8);
	msgpack_pack_int64(&pk, quantity);
	if (reason) {
		corridor_mp_pack_str(&pk, "reason", 6);
		corridor_mp_pack_str(&pk, reason, strlen(reason));
	}
	corridor_mp_pack_str(&pk, "supersedes", 10);
	msgpack_pack_uint64(&pk, supersedes);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, s, "delivery.correct", body, w.len, seq, diag);
}

/* ---- listing ---- */

struct dlist_ctx {
	const char *contract;
	int32_t first_day;
	int32_t offset_min;
	int32_t next_day;
	corridor_delivery_fn fn;
	void *ctx;
};

static int dlist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct dlist_ctx *c = vctx;
	struct corridor_delivery d;
	if (klen != 8 || reading_decode(corridor_be64_get(k), v, vlen, &d) != 0)
		return CORRIDOR_E_STORAGE;
	if (strcmp(d.contract, c->contract) != 0)
		return CORRIDOR_OK;
	if (c->first_day >= 0) {
		int64_t local_day = (d.start_s + (int64_t)c->offset_min * 60) / SECONDS_PER_DAY;
		if (local_day < c->first_day || local_day >= c->next_day)
			return CORRIDOR_OK;
	}
	return c->fn(c->ctx, &d);
}

int corridor_delivery_list(struct corridor_ledger *l, const char *contract, int32_t first_day,
			   corridor_delivery_fn fn, void *ctx, struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err) {
		free(c);
		return err;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	struct dlist_ctx dc = { .contract = contract, .first_day = first_day, .fn = fn, .ctx = ctx };
	if (corridor_contract_record(&kv.base, contract, c) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no contract %s", contract);
	} else {
		dc.offset_min = c->version_count ? c->versions[0].terms.utc_offset_min : 0;
		dc.next_day = first_day < 0 ? 0
					    : first_day + (int32_t)corridor_month_days(first_day);
		err = first_day >= 0
			      ? corridor_day_readings(&kv.base, contract, first_day,
						      (int32_t)corridor_month_days(first_day),
						      dc.offset_min, fn, ctx)
			      : kv.base.scan(&kv.base, STATE_DELIVERIES, NULL, 0, dlist_one, &dc);
		if (err < 0)
			err = corridor_diag_set(diag, err, "cannot read the deliveries");
	}
	mdb_txn_abort(txn);
	free(c);
	return err;
}

/* ---- CSV import ---- */

/* A parsed row: its line and its canonical body, kept in one arena (a million
 * rows take their bodies' bytes, about 150 each, and nothing more). */
struct row {
	unsigned line;
	bool skip; /* imported before with the same values */
	uint32_t body_len;
	size_t body_off;
};

struct rows {
	struct row *r;
	size_t count, cap;
	uint8_t *arena;
	size_t used, arena_cap;
};

static const uint8_t *row_body(const struct rows *rs, const struct row *r)
{
	return rs->arena + r->body_off;
}

struct parsed {
	struct corridor_delivery_row row;
	uint8_t body[DELIVERY_BODY_BYTES_MAX];
	size_t body_len;
};

/* A decoded row checked as a request, and its body. */
static int parse_row(struct parsed *p, struct corridor_diag *diag)
{
	struct corridor_diag d;
	int err;
	corridor_diag_init(&d);
	if ((err = request_check(&p->row.r, &d)) != 0)
		return corridor_diag_set(diag, err, "line %u, column %s", p->row.line, d.text);
	p->body_len = record_body(&p->row.r, p->body, sizeof p->body);
	CORRIDOR_ASSERT(p->body_len > 0);
	return CORRIDOR_OK;
}

static int rows_add(struct rows *rs, const struct parsed *p)
{
	if (rs->count == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 4096;
		struct row *n = realloc(rs->r, cap * sizeof *n);
		if (!n)
			return CORRIDOR_E_NOMEM;
		rs->r = n;
		rs->cap = cap;
	}
	if (rs->arena_cap - rs->used < p->body_len) {
		size_t cap = rs->arena_cap ? 2 * rs->arena_cap : (size_t)1 << 20;
		uint8_t *n = realloc(rs->arena, cap);
		if (!n)
			return CORRIDOR_E_NOMEM;
		rs->arena = n;
		rs->arena_cap = cap;
	}
	memcpy(rs->arena + rs->used, p->body, p->body_len);
	rs->r[rs->count++] = (struct row){ .line = p->row.line, .body_len = (uint32_t)p->body_len,
					   .body_off = rs->used };
	rs->used += p->body_len;
	return CORRIDOR_OK;
}

static void rows_release(struct rows *rs)
{
	free(rs->r);
	free(rs->arena);
	memset(rs, 0, sizeof *rs);
}

/* Reads the whole file: header, then every row decoded and checked. */
static int read_rows(const char *csv, size_t len, struct rows *rs, struct corridor_diag *diag)
{
	struct corridor_delivery_csv *d = malloc(sizeof *d);
	struct parsed p;
	int err;
	if (!d)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if ((err = corridor_delivery_csv_open(d, csv, len, diag)) != 0)
		goto out_free;
	for (;;) {
		memset(&p, 0, sizeof p);
		err = corridor_delivery_csv_next(d, &p.row, diag);
		if (err == CORRIDOR_E_NOTFOUND) {
			err = CORRIDOR_OK;
			break;
		}
		if (err)
			break;
		if (rs->count >= CORRIDOR_IMPORT_ROWS_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u rows",
						CORRIDOR_IMPORT_ROWS_MAX);
			break;
		}
		if ((err = parse_row(&p, diag)) != 0)
			break;
		if (rows_add(rs, &p) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
			break;
		}
	}
out_free:
	free(d);
	return err;
}

int corridor_deliveries_csv_check(const char *csv, size_t len, struct corridor_diag *diag)
{
	struct rows rs = { 0 };
	int err = len > CORRIDOR_IMPORT_BYTES_MAX
			  ? corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB")
			  : read_rows(csv, len, &rs, diag);
	rows_release(&rs);
	return err;
}

/* The dry run: every row through the same checks an append makes, against
 * the ledger as it is, with the state changes kept in memory. Rows imported
 * before with the same values are marked to skip. */
static int dry_run(struct corridor_ledger *l, const struct corridor_signer *signer, struct rows *rs,
		   struct corridor_diag *diag)
{
	struct corridor_dry_run dr;
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	size_t *fresh = malloc((rs->count ? rs->count : 1) * sizeof *fresh), nfresh = 0;
	if (!fresh)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_dry_run_begin(l, &dr, diag);
	if (err) {
		free(fresh);
		return err;
	}
	for (size_t i = 0; i < rs->count && !err; i++) {
		struct row *r = &rs->r[i];
		const uint8_t *body = row_body(rs, r), *v;
		const char *ref;
		size_t rlen, vlen;
		uint8_t ik[CORRIDOR_KV_KEY_BYTES_MAX];
		int has_ref = corridor_msgpack_map_str(body, r->body_len, "idempotency_key", &ref,
						       &rlen);
		CORRIDOR_ASSERT(has_ref == 0); /* every imported row carries its reference */
		size_t iklen = corridor_idem_key(vk->name, "delivery.record", ref, rlen, ik);
		if (dr.ov.base.get(&dr.ov.base, STATE_IDEM, ik, iklen, &v, &vlen) == 0 && vlen == 8) {
			/* Imported before (or earlier in this file): the same values? */
			uint64_t at = corridor_be64_get(v);
			bool same = false;
			if (at >= dr.head.size) {
				const struct row *twin = &rs->r[fresh[at - dr.head.size]];
				same = twin->body_len == r->body_len &&
				       !memcmp(row_body(rs, twin), body, r->body_len);
			} else {
				uint8_t kb[8];
				struct corridor_entry e;
				corridor_be64_put(kb, at);
				MDB_val k = { .mv_size = 8, .mv_data = kb }, ev;
				same = mdb_get(dr.txn, l->entries, &k, &ev) == 0 &&
				       corridor_entry_decode(ev.mv_data, ev.mv_size, &e, NULL) == 0 &&
				       e.body_len == r->body_len && !memcmp(e.body, body, r->body_len);
			}
			if (!same)
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: reference %.*s was imported at seq "
							"%llu with other values",
							r->line, (int)rlen, ref, (unsigned long long)at);
			r->skip = true;
			continue;
		}
		struct draft d = { .kind = "delivery.record", .body = body, .body_len = r->body_len };
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, vk, &d, dr.head.size + nfresh, dr.head.time_us, dr.head.tip,
					     &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", r->line, rd.text);
		fresh[nfresh++] = i;
	}
	corridor_dry_run_end(&dr);
	free(fresh);
	return err;
}

int corridor_delivery_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			     const char *csv, size_t len, size_t batch, corridor_committed_fn committed,
			     void *ctx, size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	struct rows rs = { 0 };
	*written = *skipped = 0;
	if (batch == 0 || batch > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "batch size must be 1..%u",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	if (len > CORRIDOR_IMPORT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB");
	int err = read_rows(csv, len, &rs, diag);
	if (err)
		goto out_free;
	if ((err = dry_run(l, signer, &rs, diag)) != 0)
		goto out_free;
	struct draft *drafts = calloc(batch, sizeof *drafts);
	uint64_t *seqs = calloc(batch, sizeof *seqs);
	if (!drafts || !seqs) {
		free(drafts);
		free(seqs);
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	size_t i = 0;
	while (i < rs.count && !err) {
		size_t n = 0;
		for (; i < rs.count && n < batch; i++) {
			if (rs.r[i].skip) {
				(*skipped)++;
				continue;
			}
			drafts[n++] = (struct draft){ .kind = "delivery.record",
						      .body = row_body(&rs, &rs.r[i]),
						      .body_len = rs.r[i].body_len };
		}
		if (n == 0)
			break;
		size_t appended = 0;
		err = corridor_append(l, signer, drafts, n, seqs, &appended, diag);
		if (!err) {
			*written += appended;
			*skipped += n - appended; /* written meanwhile by a retry elsewhere */
			if (committed && appended)
				committed(ctx, seqs[0], seqs[n - 1]);
		}
	}
	free(drafts);
	free(seqs);
out_free:
	rows_release(&rs);
	return err;
}
