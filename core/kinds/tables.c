/*
 * tables.c — the derived tables: their keys and records, read and written
 * through the key-value interface the caller hands in (LMDB, memory or an
 * overlay). Every table one kind writes and another reads lives here.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

/* ---- key records ---- */

static size_t key_record_key(const char *name, uint32_t key_id, uint8_t *out)
{
	size_t n = strlen(name);
	memcpy(out, name, n);
	out[n] = 0;
	corridor_be32_put(out + n + 1, key_id);
	return n + 5;
}

int corridor_key_record_decode(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
			       struct key_record *out)
{
	if (klen < 6 || klen > CORRIDOR_NAME_BYTES_MAX + 5 || key[klen - 5] != 0 ||
	    vlen != KEY_VALUE_BYTES)
		return CORRIDOR_E_MALFORMED;
	memcpy(out->name, key, klen - 5);
	out->name[klen - 5] = '\0';
	out->key_id = corridor_be32_get(key + klen - 4);
	memcpy(out->public_key, val, 32);
	out->valid_from = corridor_be64_get(val + 32);
	out->valid_until = corridor_be64_get(val + 40);
	return CORRIDOR_OK;
}

int corridor_key_get(struct corridor_kv *kv, const char *name, uint32_t key_id,
		     struct key_record *out)
{
	uint8_t k[CORRIDOR_NAME_BYTES_MAX + 5];
	const uint8_t *v;
	size_t vlen;
	if (strlen(name) > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	size_t klen = key_record_key(name, key_id, k);
	int err = kv->get(kv, STATE_KEYS, k, klen, &v, &vlen);
	if (err)
		return err;
	return corridor_key_record_decode(k, klen, v, vlen, out) ? CORRIDOR_E_STORAGE : CORRIDOR_OK;
}

int corridor_key_put(struct corridor_kv *kv, const struct key_record *r)
{
	uint8_t k[CORRIDOR_NAME_BYTES_MAX + 5], v[KEY_VALUE_BYTES];
	size_t klen = key_record_key(r->name, r->key_id, k);
	memcpy(v, r->public_key, 32);
	corridor_be64_put(v + 32, r->valid_from);
	corridor_be64_put(v + 40, r->valid_until);
	return kv->put(kv, STATE_KEYS, k, klen, v, sizeof v);
}

/* ---- parties ---- */

/* Parses a canonical array of role names (canonical order, no repeats). */
int corridor_roles_from_array(const uint8_t *v, size_t vlen, unsigned *roles)
{
	struct corridor_mpscan scan;
	*roles = 0;
	if (vlen < 1 || v[0] < 0x91u || v[0] > 0x97u ||
	    corridor_mpscan(v, vlen, 2, &scan, NULL) != 0)
		return CORRIDOR_E_MALFORMED;
	int last = -1;
	for (size_t i = 0; i < scan.children; i++) {
		const char *s;
		size_t n;
		int found = -1;
		if (corridor_mp_str(v + scan.child_off[i], scan.child_off[i + 1] - scan.child_off[i],
				    &s, &n) != 0)
			return CORRIDOR_E_MALFORMED;
		for (int r = 0; r < 6 && found < 0; r++)
			if (strlen(corridor_role_names[r]) == n && memcmp(corridor_role_names[r], s, n) == 0)
				found = r;
		if (found <= last)
			return CORRIDOR_E_MALFORMED;
		last = found;
		*roles |= 1u << found;
	}
	return CORRIDOR_OK;
}

int corridor_party_roles(struct corridor_kv *kv, const char *id, unsigned *roles)
{
	const uint8_t *v;
	size_t vlen, rlen;
	*roles = 0;
	int err = kv->get(kv, STATE_PARTIES, (const uint8_t *)id, strlen(id), &v, &vlen);
	if (err)
		return err;
	const uint8_t *r = vlen > 8 ? corridor_map_find(v + 8, vlen - 8, "roles", &rlen) : NULL;
	if (!r)
		return CORRIDOR_E_STORAGE;
	/* The operator record holds "operator" only, outside the assignable list. */
	if (rlen == 10 && memcmp(r, "\x91\xa8operator", 10) == 0) {
		*roles = CORRIDOR_ROLE_OPERATOR;
		return CORRIDOR_OK;
	}
	return corridor_roles_from_array(r, rlen, roles) ? CORRIDOR_E_STORAGE : CORRIDOR_OK;
}

/* record: {"id", "pending": [[seq, kind, proposer, effective]...], "proposed_seq",
 *          "status", "versions": [[accepted_seq, effective, terms]...]} */
static size_t contract_record_encode(const struct corridor_contract *c, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 5);
	corridor_mp_cstr(&pk, "id"), corridor_mp_cstr(&pk, c->id);
	corridor_mp_cstr(&pk, "pending");
	msgpack_pack_array(&pk, c->pending_count);
	for (size_t i = 0; i < c->pending_count; i++) {
		msgpack_pack_array(&pk, 4);
		msgpack_pack_uint64(&pk, c->pending[i].seq);
		corridor_mp_cstr(&pk, c->pending[i].kind);
		corridor_mp_cstr(&pk, c->pending[i].proposer);
		msgpack_pack_int32(&pk, c->pending[i].effective_day);
	}
	corridor_mp_cstr(&pk, "proposed_seq"), msgpack_pack_uint64(&pk, c->proposed_seq);
	corridor_mp_cstr(&pk, "status"), msgpack_pack_uint32(&pk, (uint32_t)c->status);
	corridor_mp_cstr(&pk, "versions");
	msgpack_pack_array(&pk, c->version_count);
	for (size_t i = 0; i < c->version_count; i++) {
		msgpack_pack_array(&pk, 3);
		msgpack_pack_uint64(&pk, c->versions[i].accepted_seq);
		msgpack_pack_int32(&pk, c->versions[i].effective_day);
		corridor_terms_pack(&pk, &c->versions[i].terms);
	}
	return w.overflow ? 0 : w.len;
}

int corridor_contract_record_decode(const uint8_t *buf, size_t len, struct corridor_contract *c)
{
	msgpack_unpacked u;
	size_t off = 0;
	uint64_t v;
	int64_t iv;
	int err = CORRIDOR_E_STORAGE;
	memset(c, 0, sizeof *c);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
		goto out;
	const msgpack_object *o = &u.data, *p = corridor_mpo_field(o, "pending"), *vs = corridor_mpo_field(o, "versions");
	if (!corridor_mpo_str(corridor_mpo_field(o, "id"), c->id, sizeof c->id) || !corridor_mpo_uint(corridor_mpo_field(o, "proposed_seq"), UINT64_MAX,
								  &c->proposed_seq) ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "status"), 3, &v) || !p || p->type != MSGPACK_OBJECT_ARRAY ||
	    p->via.array.size > CORRIDOR_CONTRACT_PENDING_MAX || !vs ||
	    vs->type != MSGPACK_OBJECT_ARRAY || vs->via.array.size > CORRIDOR_CONTRACT_VERSIONS_MAX)
		goto out;
	c->status = (enum corridor_contract_status)v;
	for (uint32_t i = 0; i < p->via.array.size; i++) {
		const msgpack_object *e = &p->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 4 ||
		    !corridor_mpo_uint(&e->via.array.ptr[0], UINT64_MAX, &c->pending[i].seq) ||
		    !corridor_mpo_str(&e->via.array.ptr[1], c->pending[i].kind, sizeof c->pending[i].kind) ||
		    !corridor_mpo_str(&e->via.array.ptr[2], c->pending[i].proposer,
			  sizeof c->pending[i].proposer) ||
		    !corridor_mpo_int(&e->via.array.ptr[3], &iv))
			goto out;
		c->pending[i].effective_day = (int32_t)iv;
	}
	c->pending_count = p->via.array.size;
	for (uint32_t i = 0; i < vs->via.array.size; i++) {
		const msgpack_object *e = &vs->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3 ||
		    !corridor_mpo_uint(&e->via.array.ptr[0], UINT64_MAX, &c->versions[i].accepted_seq) ||
		    !corridor_mpo_int(&e->via.array.ptr[1], &iv) ||
		    corridor_terms_decode(&e->via.array.ptr[2], &c->versions[i].terms) != 0)
			goto out;
		c->versions[i].effective_day = (int32_t)iv;
	}
	c->version_count = vs->via.array.size;
	err = CORRIDOR_OK;
out:
	msgpack_unpacked_destroy(&u);
	return err;
}

/* ---- the contract's state record ---- */

int corridor_contract_record(struct corridor_kv *kv, const char *id, struct corridor_contract *c)
{
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_CONTRACTS, (const uint8_t *)id, strlen(id), &v, &vlen);
	return err ? err : corridor_contract_record_decode(v, vlen, c);
}

int corridor_contract_record_put(struct corridor_kv *kv, const struct corridor_contract *c)
{
	size_t cap = 4096u + CORRIDOR_CONTRACT_VERSIONS_MAX * 4096u;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return CORRIDOR_E_NOMEM;
	size_t n = contract_record_encode(c, buf, cap);
	int err = n ? kv->put(kv, STATE_CONTRACTS, (const uint8_t *)c->id, strlen(c->id), buf, n)
		    : CORRIDOR_E_LIMIT;
	free(buf);
	return err;
}


/* ---- the reading's state: be64(seq) -> fixed fields, then three strings ---- */

#define READING_FIXED (8u * 5u + 1u)
_Static_assert(READING_FIXED == 8u + 8u + 8u + 8u + 8u + 1u,
	       "a reading: start, end, quantity, supersedes, superseded_by (be64), quality (1)");

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

int corridor_reading_decode(uint64_t seq, const uint8_t *v, size_t len, struct corridor_delivery *d)
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

int corridor_reading_get(struct corridor_kv *kv, uint64_t seq, struct corridor_delivery *d)
{
	uint8_t k[8];
	const uint8_t *v;
	size_t vlen;
	corridor_be64_put(k, seq);
	int err = kv->get(kv, STATE_DELIVERIES, k, 8, &v, &vlen);
	return err ? err : corridor_reading_decode(seq, v, vlen, d);
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
int corridor_reading_put(struct corridor_kv *kv, uint64_t seq, const struct corridor_delivery *d)
{
	uint8_t k[8], v[READING_FIXED + 3 + 3 * 64];
	/* assumed: a checked reading (its kind validated it) */
	CORRIDOR_ASSERT(d->end_s > d->start_s && d->quantity_milli >= 0);
	CORRIDOR_ASSERT(strlen(d->contract) <= 64 && strlen(d->recorder) <= 64 &&
			strlen(d->meter) <= 64);
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
_Static_assert(BUCKET_FIXED == 8u + 4u + 4u + 8u + 8u + 1u,
	       "a bucket record: seq, start, duration, quantity, supersedes, quality");
#define BUCKET_BYTES_MAX ((size_t)1 << 22)

static int64_t local_day(int64_t utc_s, int32_t offset_min)
{
	int64_t local = utc_s + (int64_t)offset_min * 60;
	return local / SECONDS_PER_DAY - (local % SECONDS_PER_DAY < 0 ? 1 : 0);
}

/* A series in a bucket (tables layout 2): be64(seq | SERIES_FLAG), be32
 * start (seconds after local midnight), be32 resolution, u8 count, recorder
 * and meter (u8 length each), the qualities — u8 0 and one code for every
 * point, or u8 1 and count codes — then count quantities, each the zigzag
 * LEB128 varint of its difference from the point before (the first from 0):
 * a meter's consecutive hours differ little. A single reading's seq never
 * has the top bit. */
#define SERIES_FLAG ((uint64_t)1 << 63)
#define SERIES_FIXED 17u
_Static_assert(SERIES_FIXED == 8u + 4u + 4u + 1u, "a bucket series: seq, start, resolution, count");

static size_t leb_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (uint8_t)((v & 0x7fu) | (v > 0x7fu ? 0x80u : 0u));
		v >>= 7;
	} while (v);
	return n;
}

/* Differences of quantities below 10^15 in either direction, as unsigned. */
static uint64_t zigzag(int64_t v)
{
	return v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1u : (uint64_t)v << 1;
}

static int64_t unzigzag(uint64_t z)
{
	return z & 1u ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
}

static bool leb_get(const uint8_t *p, size_t len, size_t *at, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64 && *at < len; shift += 7) {
		uint8_t b = p[(*at)++];
		*v |= (uint64_t)(b & 0x7fu) << shift;
		if (!(b & 0x80u))
			return true;
	}
	return false;
}

/* Appends rec (len bytes) to the bucket of (contract, local day). */
static int bucket_add(struct corridor_kv *kv, const char *contract, int64_t day,
		      const uint8_t *rec, size_t rlen)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 5], small[8192], *buf = small;
	const uint8_t *old;
	size_t olen = 0;
	size_t klen = corridor_period_key(contract, (int32_t)day, 0, k);
	int err = kv->get(kv, STATE_PERIODS, k, klen, &old, &olen);
	if (err == CORRIDOR_E_NOTFOUND)
		olen = 0;
	else if (err)
		return err;
	size_t len = olen + rlen;
	if (len > BUCKET_BYTES_MAX)
		return CORRIDOR_E_LIMIT;
	if (len > sizeof small && !(buf = malloc(len)))
		return CORRIDOR_E_NOMEM;
	if (olen)
		memcpy(buf, old, olen);
	memcpy(buf + olen, rec, rlen);
	err = kv->put(kv, STATE_PERIODS, k, klen, buf, len);
	if (buf != small)
		free(buf);
	return err;
}

int corridor_bucket_append(struct corridor_kv *kv, const struct corridor_delivery *d,
			 int32_t offset_min)
{
	uint8_t rec[BUCKET_FIXED + 2 + 2 * 64];
	size_t rl = strlen(d->recorder), ml = strlen(d->meter);
	int64_t day = local_day(d->start_s, offset_min);
	int64_t midnight = day * SECONDS_PER_DAY - (int64_t)offset_min * 60;
	CORRIDOR_ASSERT(!(d->seq & SERIES_FLAG) && rl <= 64 && ml <= 64);
	uint8_t *p = rec;
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
	return bucket_add(kv, d->contract, day, rec, BUCKET_FIXED + 2 + rl + ml);
}

/* A series' header by seq: be64(seq) || 'S' -> be32(local day ^ 2^31) ||
 * be32(UTC offset in minutes ^ 2^31) || contract. */
static size_t series_key(uint64_t seq, uint8_t out[9])
{
	corridor_be64_put(out, seq);
	out[8] = 'S';
	return 9;
}

int corridor_series_put(struct corridor_kv *kv, uint64_t seq, const char *recorder,
			const struct corridor_series *s, int32_t offset_min)
{
	uint8_t rec[SERIES_FIXED + 2 + 2 * 64 + CORRIDOR_SERIES_POINTS_MAX * 11], k[9],
		hv[8 + CORRIDOR_PARTY_ID_BYTES_MAX];
	size_t rl = strlen(recorder), ml = strlen(s->meter), cl = strlen(s->contract);
	int64_t day = local_day(s->start_s, offset_min);
	int64_t midnight = day * SECONDS_PER_DAY - (int64_t)offset_min * 60;
	CORRIDOR_ASSERT(!(seq & SERIES_FLAG) && rl <= 64 && ml <= 64 &&
			cl <= CORRIDOR_PARTY_ID_BYTES_MAX && s->count >= 1 &&
			s->count <= CORRIDOR_SERIES_POINTS_MAX);
	uint8_t *p = rec;
	corridor_be64_put(p, seq | SERIES_FLAG);
	corridor_be32_put(p + 8, (uint32_t)(s->start_s - midnight));
	corridor_be32_put(p + 12, s->resolution_s);
	p[16] = (uint8_t)s->count;
	size_t at = SERIES_FIXED;
	p[at++] = (uint8_t)rl;
	memcpy(p + at, recorder, rl);
	at += rl;
	p[at++] = (uint8_t)ml;
	memcpy(p + at, s->meter, ml);
	at += ml;
	bool one_quality = true;
	for (uint32_t i = 1; i < s->count; i++)
		one_quality = one_quality && s->quality[i] == s->quality[0];
	p[at++] = one_quality ? 0 : 1;
	memcpy(p + at, s->quality, one_quality ? 1 : s->count);
	at += one_quality ? 1 : s->count;
	int64_t prev = 0;
	for (uint32_t i = 0; i < s->count; i++) {
		at += leb_put(p + at, zigzag(s->quantity_milli[i] - prev));
		prev = s->quantity_milli[i];
	}
	corridor_be32_put(hv, (uint32_t)day ^ BIAS);
	corridor_be32_put(hv + 4, (uint32_t)offset_min ^ BIAS);
	memcpy(hv + 8, s->contract, cl);
	int err = kv->put(kv, STATE_DELIVERIES, k, series_key(seq, k), hv, 8 + cl);
	return err ? err : bucket_add(kv, s->contract, day, rec, at);
}

/* ---- reading a bucket: single readings and series points alike ---- */

struct readings {
	struct corridor_delivery *r;
	size_t n, cap;
};

static struct corridor_delivery *readings_push(struct readings *rs)
{
	if (rs->n == rs->cap) {
		size_t c2 = rs->cap ? 2 * rs->cap : 64;
		void *nr = realloc(rs->r, c2 * sizeof *rs->r);
		if (!nr)
			return NULL;
		rs->r = nr;
		rs->cap = c2;
	}
	struct corridor_delivery *d = &rs->r[rs->n++];
	memset(d, 0, sizeof *d);
	return d;
}

/* A length-prefixed string of at most cap - 1 bytes at v[*at]. */
static bool lstr(const uint8_t *v, size_t vlen, size_t *at, char *out, size_t cap)
{
	if (*at >= vlen || v[*at] >= cap || vlen - *at - 1 < v[*at])
		return false;
	memcpy(out, v + *at + 1, v[*at]);
	out[v[*at]] = '\0';
	*at += 1u + v[*at];
	return true;
}

/* Every record of one bucket, series expanded to their points (missing
 * points left out, as if absent), in the bucket's order; then what each
 * correction superseded: the reading of the same seq and interval start. */
static int bucket_readings(const uint8_t *v, size_t vlen, const char *contract,
			   int64_t midnight, struct readings *rs)
{
	size_t first = rs->n;
	for (size_t at = 0; at < vlen;) {
		if (vlen - at < 8)
			return CORRIDOR_E_STORAGE;
		uint64_t seq = corridor_be64_get(v + at);
		if (!(seq & SERIES_FLAG)) {
			struct corridor_delivery *d = readings_push(rs);
			if (!d)
				return CORRIDOR_E_NOMEM;
			const uint8_t *p = v + at;
			if (vlen - at < BUCKET_FIXED)
				return CORRIDOR_E_STORAGE;
			snprintf(d->contract, sizeof d->contract, "%s", contract);
			d->seq = seq;
			d->start_s = midnight + corridor_be32_get(p + 8);
			d->end_s = d->start_s + corridor_be32_get(p + 12);
			d->quantity_milli = (int64_t)corridor_be64_get(p + 16);
			d->supersedes = corridor_be64_get(p + 24);
			d->quality = (char)p[32];
			at += BUCKET_FIXED;
			if (!lstr(v, vlen, &at, d->recorder, sizeof d->recorder) ||
			    !lstr(v, vlen, &at, d->meter, sizeof d->meter))
				return CORRIDOR_E_STORAGE;
			continue;
		}
		struct corridor_delivery proto = { .seq = seq & ~SERIES_FLAG };
		if (vlen - at < SERIES_FIXED)
			return CORRIDOR_E_STORAGE;
		const uint8_t *p = v + at;
		int64_t start = midnight + corridor_be32_get(p + 8);
		uint32_t res = corridor_be32_get(p + 12), count = p[16];
		at += SERIES_FIXED;
		if (!lstr(v, vlen, &at, proto.recorder, sizeof proto.recorder) ||
		    !lstr(v, vlen, &at, proto.meter, sizeof proto.meter) || count == 0 ||
		    count > CORRIDOR_SERIES_POINTS_MAX || vlen - at < count)
			return CORRIDOR_E_STORAGE;
		snprintf(proto.contract, sizeof proto.contract, "%s", contract);
		if (at >= vlen || v[at] > 1)
			return CORRIDOR_E_STORAGE;
		bool one_quality = v[at++] == 0;
		const uint8_t *qual = v + at;
		size_t nq = one_quality ? 1 : count;
		if (vlen - at < nq)
			return CORRIDOR_E_STORAGE;
		at += nq;
		int64_t prev = 0;
		for (uint32_t i = 0; i < count; i++) {
			uint64_t z;
			if (!leb_get(v, vlen, &at, &z) ||
			    (z >> 1) > (uint64_t)CORRIDOR_QUANTITY_MILLI_LIMIT)
				return CORRIDOR_E_STORAGE;
			int64_t q = prev + unzigzag(z);
			if (q < 0 || q >= CORRIDOR_QUANTITY_MILLI_LIMIT)
				return CORRIDOR_E_STORAGE;
			prev = q;
			char qc = (char)qual[one_quality ? 0 : i];
			if (qc == CORRIDOR_QUALITY_MISSING)
				continue;
			struct corridor_delivery *d = readings_push(rs);
			if (!d)
				return CORRIDOR_E_NOMEM;
			*d = proto;
			d->start_s = start + (int64_t)i * res;
			d->end_s = d->start_s + res;
			d->quantity_milli = q;
			d->quality = qc;
		}
	}
	for (size_t i = first; i < rs->n; i++)
		for (size_t j = first; rs->r[i].supersedes && j < i; j++)
			if (rs->r[j].seq == rs->r[i].supersedes && rs->r[j].start_s == rs->r[i].start_s)
				rs->r[j].superseded_by = rs->r[i].seq;
	return CORRIDOR_OK;
}

static int day_bucket(struct corridor_kv *kv, const char *contract, int32_t day,
		      int32_t offset_min, struct readings *rs)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 5];
	const uint8_t *v;
	size_t vlen;
	size_t klen = corridor_period_key(contract, day, 0, k);
	int err = kv->get(kv, STATE_PERIODS, k, klen, &v, &vlen);
	if (err == CORRIDOR_E_NOTFOUND)
		return CORRIDOR_OK;
	if (err)
		return err;
	int64_t midnight = (int64_t)day * SECONDS_PER_DAY - (int64_t)offset_min * 60;
	return bucket_readings(v, vlen, contract, midnight, rs);
}

int corridor_day_readings(struct corridor_kv *kv, const char *contract, int32_t first_day,
			  int32_t days, int32_t offset_min, corridor_delivery_fn fn, void *ctx)
{
	struct readings rs = { 0 };
	int err = CORRIDOR_OK;
	if (strlen(contract) > CORRIDOR_PARTY_ID_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	for (int32_t day = first_day; !err && day < first_day + days; day++) {
		rs.n = 0;
		err = day_bucket(kv, contract, day, offset_min, &rs);
		for (size_t i = 0; !err && i < rs.n; i++)
			err = fn(ctx, &rs.r[i]);
	}
	free(rs.r);
	return err;
}

int corridor_series_readings(struct corridor_kv *kv, uint64_t seq, corridor_delivery_fn fn,
			     void *ctx)
{
	uint8_t k[9];
	const uint8_t *v;
	size_t vlen;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int err = kv->get(kv, STATE_DELIVERIES, k, series_key(seq, k), &v, &vlen);
	if (err)
		return err;
	if (vlen < 9 || vlen - 8 > CORRIDOR_PARTY_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	int32_t day = (int32_t)(corridor_be32_get(v) ^ BIAS);
	int32_t offset_min = (int32_t)(corridor_be32_get(v + 4) ^ BIAS);
	memcpy(contract, v + 8, vlen - 8);
	contract[vlen - 8] = '\0';
	struct readings rs = { 0 };
	err = day_bucket(kv, contract, day, offset_min, &rs);
	for (size_t i = 0; !err && i < rs.n; i++)
		if (rs.r[i].seq == seq && !rs.r[i].supersedes)
			err = fn(ctx, &rs.r[i]);
	free(rs.r);
	return err;
}

/* ---- currencies ---- */

const char *const corridor_currencies_predefined[CORRIDOR_CURRENCIES_PREDEFINED] = { "CNY", "MNT", "RUB",
									  "USD" };

int corridor_currency_get(struct corridor_kv *kv, const char *code, unsigned *decimals,
			  uint64_t *seq)
{
	const uint8_t *v;
	size_t vlen;
	if (!corridor_currency_code_ok(code))
		return CORRIDOR_E_NOTFOUND;
	for (size_t i = 0; i < CORRIDOR_CURRENCIES_PREDEFINED; i++)
		if (strcmp(code, corridor_currencies_predefined[i]) == 0) {
			*decimals = CORRIDOR_PREDEFINED_DECIMALS;
			if (seq)
				*seq = 0;
			return CORRIDOR_OK;
		}
	int err = kv->get(kv, STATE_CURRENCIES, (const uint8_t *)code, 3, &v, &vlen);
	if (err)
		return err;
	if (vlen != 9 || v[0] > CORRIDOR_CURRENCY_DECIMALS_MAX)
		return CORRIDOR_E_STORAGE;
	*decimals = v[0];
	if (seq)
		*seq = corridor_be64_get(v + 1);
	return CORRIDOR_OK;
}

/* ---- rates ---- */

size_t corridor_rate_key(const char *source, const char *base, const char *quote, int32_t day,
		       uint8_t *out)
{
	size_t n = strlen(source);
	memcpy(out, source, n);
	out[n] = 0;
	memcpy(out + n + 1, base, 3);
	memcpy(out + n + 4, quote, 3);
	corridor_be32_put(out + n + 7, (uint32_t)day ^ 0x80000000u);
	return n + 11;
}

int corridor_rate_get(struct corridor_kv *kv, const char *source, const char *base,
		      const char *quote, int32_t day, struct corridor_rate *out)
{
	uint8_t k[CORRIDOR_SOURCE_BYTES_MAX + 11];
	const uint8_t *v;
	size_t vlen;
	if (strlen(source) > CORRIDOR_SOURCE_BYTES_MAX || strlen(base) != 3 || strlen(quote) != 3)
		return CORRIDOR_E_NOTFOUND;
	int err = kv->get(kv, STATE_RATES, k, corridor_rate_key(source, base, quote, day, k), &v, &vlen);
	if (err)
		return err;
	if (vlen != CORRIDOR_RATE_VALUE_BYTES)
		return CORRIDOR_E_STORAGE;
	memset(out, 0, sizeof *out);
	snprintf(out->source, sizeof out->source, "%s", source);
	memcpy(out->base, base, 4);
	memcpy(out->quote, quote, 4);
	out->day = day;
	out->rate_e8 = (int64_t)corridor_be64_get(v);
	out->seq = corridor_be64_get(v + 8);
	out->corrects = corridor_be64_get(v + 16);
	return CORRIDOR_OK;
}



/* ---- state records ---- */


int corridor_settled_get(struct corridor_kv *kv, const char *contract, int32_t period,
		       struct settled_rec *s)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 13];
	const uint8_t *v;
	size_t vlen;
	memset(s, 0, sizeof *s);
	int err = kv->get(kv, STATE_SETTLED, k, corridor_period_key(contract, period, 0, k), &v,
			  &vlen);
	if (err)
		return err;
	if (vlen < SETTLED_FIXED + 1 || v[SETTLED_FIXED] > CORRIDOR_INVOICE_ID_BYTES_MAX ||
	    vlen != SETTLED_FIXED + 1u + v[SETTLED_FIXED])
		return CORRIDOR_E_STORAGE;
	s->standing = v[0];
	s->batch = corridor_be64_get(v + 1);
	s->invoiced = (int64_t)corridor_be64_get(v + 9);
	s->rate_e8 = (int64_t)corridor_be64_get(v + 17);
	s->inverse = v[25];
	s->open_adjustments = corridor_be32_get(v + 26);
	s->reversals = corridor_be32_get(v + 30);
	memcpy(s->id, v + SETTLED_FIXED + 1, v[SETTLED_FIXED]);
	s->id[v[SETTLED_FIXED]] = '\0';
	return CORRIDOR_OK;
}

int corridor_settled_put(struct corridor_kv *kv, const char *contract, int32_t period,
		       const struct settled_rec *s)
{
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 13], v[SETTLED_FIXED + 1 + CORRIDOR_INVOICE_ID_BYTES_MAX];
	size_t n = strlen(s->id);
	v[0] = s->standing;
	corridor_be64_put(v + 1, s->batch);
	corridor_be64_put(v + 9, (uint64_t)s->invoiced);
	corridor_be64_put(v + 17, (uint64_t)s->rate_e8);
	v[25] = s->inverse;
	corridor_be32_put(v + 26, s->open_adjustments);
	corridor_be32_put(v + 30, s->reversals);
	v[SETTLED_FIXED] = (uint8_t)n;
	memcpy(v + SETTLED_FIXED + 1, s->id, n);
	return kv->put(kv, STATE_SETTLED, k, corridor_period_key(contract, period, 0, k), v,
		       SETTLED_FIXED + 1 + n);
}

/* An invoice's record: what payments and reports need without its entry. */

int corridor_invrec_get(struct corridor_kv *kv, const char *id, struct inv_rec *r)
{
	const uint8_t *v;
	size_t vlen, n = strlen(id);
	if (n == 0 || n > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	int err = kv->get(kv, STATE_INVOICES, (const uint8_t *)id, n, &v, &vlen);
	if (err)
		return err;
	memset(r, 0, sizeof *r);
	if (vlen < INVREC_FIXED)
		return CORRIDOR_E_STORAGE;
	r->seq = corridor_be64_get(v);
	r->batch = corridor_be64_get(v + 8);
	r->period = (int32_t)(corridor_be32_get(v + 16) ^ BIAS);
	r->issue = (int32_t)(corridor_be32_get(v + 20) ^ BIAS);
	r->due = (int32_t)(corridor_be32_get(v + 24) ^ BIAS);
	r->total = (int64_t)corridor_be64_get(v + 28);
	r->reversed = v[36];
	char *strs[4] = { r->contract, r->seller, r->buyer, r->currency };
	size_t caps[4] = { sizeof r->contract, sizeof r->seller, sizeof r->buyer, sizeof r->currency };
	size_t at = INVREC_FIXED;
	for (int i = 0; i < 4; i++) {
		if (at >= vlen || v[at] >= caps[i] || at + 1u + v[at] > vlen)
			return CORRIDOR_E_STORAGE;
		memcpy(strs[i], v + at + 1, v[at]);
		strs[i][v[at]] = '\0';
		at += 1u + v[at];
	}
	return at == vlen ? CORRIDOR_OK : CORRIDOR_E_STORAGE;
}

int corridor_invrec_put(struct corridor_kv *kv, const char *id, const struct inv_rec *r)
{
	uint8_t v[INVREC_FIXED + 4 + 3 * CORRIDOR_PARTY_ID_BYTES_MAX + 3];
	corridor_be64_put(v, r->seq);
	corridor_be64_put(v + 8, r->batch);
	corridor_be32_put(v + 16, (uint32_t)r->period ^ BIAS);
	corridor_be32_put(v + 20, (uint32_t)r->issue ^ BIAS);
	corridor_be32_put(v + 24, (uint32_t)r->due ^ BIAS);
	corridor_be64_put(v + 28, (uint64_t)r->total);
	v[36] = r->reversed;
	size_t at = INVREC_FIXED;
	const char *strs[4] = { r->contract, r->seller, r->buyer, r->currency };
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(strs[i]);
		v[at] = (uint8_t)n;
		memcpy(v + at + 1, strs[i], n);
		at += 1 + n;
	}
	return kv->put(kv, STATE_INVOICES, (const uint8_t *)id, strlen(id), v, at);
}

/* The public view of an invoice record (payments.c, reports). */
int corridor_invoice_record(struct corridor_kv *kv, const char *id, struct corridor_invoice *out)
{
	struct inv_rec r;
	int err = corridor_invrec_get(kv, id, &r);
	if (err)
		return err;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	memcpy(out->contract, r.contract, sizeof r.contract);
	memcpy(out->seller, r.seller, sizeof r.seller);
	memcpy(out->buyer, r.buyer, sizeof r.buyer);
	memcpy(out->settlement_currency, r.currency, sizeof r.currency);
	out->period_day = r.period;
	out->issue_day = r.issue;
	out->due_day = r.due;
	out->total_minor = r.total;
	out->seq = r.seq;
	out->reversed = r.reversed;
	return CORRIDOR_OK;
}

int corridor_trial_balance_add(struct corridor_kv *kv, const char *party, const char *currency,
			 int64_t delta)
{
	/* assumed: a party id and a currency code the kind checked */
	CORRIDOR_ASSERT(party[0] && strlen(party) <= CORRIDOR_PARTY_ID_BYTES_MAX &&
			corridor_currency_code_ok(currency));
	uint8_t k[CORRIDOR_PARTY_ID_BYTES_MAX + 5], v[8];
	const uint8_t *old;
	size_t olen, n = strlen(party);
	int64_t cur = 0;
	memcpy(k, party, n);
	k[n] = 0;
	memcpy(k + n + 1, currency, 3);
	int err = kv->get(kv, STATE_BALANCES, k, n + 4, &old, &olen);
	if (err == 0 && olen == 8)
		cur = (int64_t)corridor_be64_get(old);
	else if (err != CORRIDOR_E_NOTFOUND)
		return err ? err : CORRIDOR_E_STORAGE;
	if (__builtin_add_overflow(cur, delta, &cur))
		return CORRIDOR_E_OVERFLOW;
	corridor_be64_put(v, (uint64_t)cur);
	return kv->put(kv, STATE_BALANCES, k, n + 4, v, 8);
}

#define PAY_FIXED 20u
_Static_assert(PAY_FIXED == 8u + 4u + 8u, "a payment: amount, value day, reversed_by");

int corridor_payment_rec_decode(uint64_t seq, const uint8_t *v, size_t vlen, struct corridor_payment *p)
{
	memset(p, 0, sizeof *p);
	if (vlen < PAY_FIXED)
		return CORRIDOR_E_STORAGE;
	p->seq = seq;
	p->amount_minor = (int64_t)corridor_be64_get(v);
	p->value_day = (int32_t)(corridor_be32_get(v + 8) ^ BIAS);
	p->reversed_by = corridor_be64_get(v + 12);
	char *strs[4] = { p->payer, p->payee, p->currency, p->reference };
	size_t caps[4] = { sizeof p->payer, sizeof p->payee, sizeof p->currency, sizeof p->reference };
	size_t at = PAY_FIXED;
	for (int i = 0; i < 4; i++) {
		if (at >= vlen || v[at] >= caps[i] || at + 1u + v[at] > vlen)
			return CORRIDOR_E_STORAGE;
		memcpy(strs[i], v + at + 1, v[at]);
		strs[i][v[at]] = '\0';
		at += 1u + v[at];
	}
	return at == vlen ? CORRIDOR_OK : CORRIDOR_E_STORAGE;
}

int corridor_payment_rec_put(struct corridor_kv *kv, const struct corridor_payment *p)
{
	uint8_t k[8], v[PAY_FIXED + 4 + 2 * CORRIDOR_PARTY_ID_BYTES_MAX + 3 + CORRIDOR_REFERENCE_BYTES_MAX];
	corridor_be64_put(k, p->seq);
	corridor_be64_put(v, (uint64_t)p->amount_minor);
	corridor_be32_put(v + 8, (uint32_t)p->value_day ^ BIAS);
	corridor_be64_put(v + 12, p->reversed_by);
	const char *strs[4] = { p->payer, p->payee, p->currency, p->reference };
	size_t at = PAY_FIXED;
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(strs[i]);
		v[at] = (uint8_t)n;
		memcpy(v + at + 1, strs[i], n);
		at += 1 + n;
	}
	return kv->put(kv, STATE_PAYMENTS, k, 8, v, at);
}

int corridor_payment_rec_get(struct corridor_kv *kv, uint64_t seq, struct corridor_payment *p)
{
	uint8_t k[8];
	const uint8_t *v;
	size_t vlen;
	corridor_be64_put(k, seq);
	int err = kv->get(kv, STATE_PAYMENTS, k, 8, &v, &vlen);
	return err ? err : corridor_payment_rec_decode(seq, v, vlen, p);
}

/* ---- reading ---- */

struct key_collect {
	struct corridor_party *p;
};

static int collect_key(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct key_collect *c = ctx;
	struct key_record r;
	if (corridor_key_record_decode(k, klen, v, vlen, &r) != 0)
		return CORRIDOR_E_STORAGE;
	if (c->p->key_count >= CORRIDOR_PARTY_KEYS_MAX)
		return CORRIDOR_OK;
	/* keep them ordered by valid_from */
	size_t i = c->p->key_count++;
	while (i > 0 && c->p->keys[i - 1].valid_from > r.valid_from) {
		c->p->keys[i] = c->p->keys[i - 1];
		i--;
	}
	c->p->keys[i] = (struct corridor_party_key){ .key_id = r.key_id,
						     .valid_from = r.valid_from,
						     .valid_until = r.valid_until };
	memcpy(c->p->keys[i].public_key, r.public_key, 32);
	return CORRIDOR_OK;
}

/* Decodes a party record (value of the parties table) and loads its keys. */
int corridor_party_record_decode(struct corridor_kv *kv, const uint8_t *v, size_t vlen,
			struct corridor_party *out)
{
	const char *s;
	size_t n, ilen;
	memset(out, 0, sizeof *out);
	if (vlen <= 8)
		return CORRIDOR_E_STORAGE;
	out->registered_seq = corridor_be64_get(v);
	const uint8_t *m = v + 8;
	size_t mlen = vlen - 8;
	if (corridor_msgpack_map_str(m, mlen, "id", &s, &n) || n > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(out->id, s, n);
	if (corridor_msgpack_map_str(m, mlen, "name", &s, &n) || n > CORRIDOR_PARTY_NAME_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(out->name, s, n);
	if (corridor_msgpack_map_str(m, mlen, "country", &s, &n) == 0 && n == 2)
		memcpy(out->country, s, 2);
	if (corridor_party_roles(kv, out->id, &out->roles) != 0)
		return CORRIDOR_E_STORAGE;
	const uint8_t *iv = corridor_map_find(m, mlen, "ibans", &ilen);
	if (iv) {
		struct corridor_mpscan scan;
		if (corridor_mpscan(iv, ilen, 2, &scan, NULL) != 0)
			return CORRIDOR_E_STORAGE;
		for (size_t i = 0; i < scan.children && i < CORRIDOR_PARTY_IBANS_MAX; i++) {
			if (corridor_mp_str(iv + scan.child_off[i],
					    scan.child_off[i + 1] - scan.child_off[i], &s, &n) ||
			    n >= sizeof out->ibans[0])
				return CORRIDOR_E_STORAGE;
			memcpy(out->ibans[i], s, n);
			out->iban_count++;
		}
	}
	uint8_t prefix[CORRIDOR_NAME_BYTES_MAX + 1];
	size_t plen = strlen(out->id);
	memcpy(prefix, out->id, plen);
	prefix[plen] = 0;
	struct key_collect c = { .p = out };
	return kv->scan(kv, STATE_KEYS, prefix, plen + 1, collect_key, &c);
}

/* ---- idempotency keys: author || 0 || kind || 0 || key -> be64(seq) ---- */

int corridor_idem_lookup(struct corridor_kv *kv, const char *author, const char *kind,
			 const char *idem, size_t idem_len, uint64_t *seq)
{
	uint8_t ik[CORRIDOR_KV_KEY_BYTES_MAX];
	const uint8_t *v;
	size_t vlen;
	if (strlen(author) + strlen(kind) + idem_len + 2 > sizeof ik)
		return CORRIDOR_E_LIMIT;
	size_t iklen = corridor_idem_key(author, kind, idem, idem_len, ik);
	int err = kv->get(kv, STATE_IDEM, ik, iklen, &v, &vlen);
	if (err)
		return err;
	if (vlen != 8)
		return CORRIDOR_E_STORAGE;
	*seq = corridor_be64_get(v);
	return CORRIDOR_OK;
}

int corridor_idem_record(struct corridor_kv *kv, const char *author, const char *kind,
			 const char *idem, size_t idem_len, uint64_t seq)
{
	uint8_t ik[CORRIDOR_KV_KEY_BYTES_MAX], sv[8];
	if (strlen(author) + strlen(kind) + idem_len + 2 > sizeof ik)
		return CORRIDOR_E_LIMIT;
	size_t iklen = corridor_idem_key(author, kind, idem, idem_len, ik);
	corridor_be64_put(sv, seq);
	return kv->put(kv, STATE_IDEM, ik, iklen, sv, 8);
}

/* ---- all payments ---- */

static int payment_row_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct corridor_payment_rows *c = vctx;
	if (klen != 8)
		return CORRIDOR_E_STORAGE;
	if (c->n >= CORRIDOR_PAYMENT_ROWS_MAX)
		return CORRIDOR_E_LIMIT;
	void *n = realloc(c->p, (c->n + 1) * sizeof *c->p);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->p = n;
	return corridor_payment_rec_decode(corridor_be64_get(k), v, vlen, &c->p[c->n++]);
}

static int payment_by_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct corridor_payment *)a)->seq,
		 y = ((const struct corridor_payment *)b)->seq;
	return (x > y) - (x < y);
}

int corridor_payments_all(struct corridor_kv *kv, struct corridor_payment_rows *pl)
{
	int err = kv->scan(kv, STATE_PAYMENTS, NULL, 0, payment_row_one, pl);
	if (!err && pl->n)
		qsort(pl->p, pl->n, sizeof *pl->p, payment_by_seq);
	return err;
}
