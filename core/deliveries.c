/*
 * deliveries.c — the delivery service: delivery.record and delivery.correct
 * drafts, the delivery list, and the CSV import: every row decoded
 * (formats/rows.c) and checked, then all of them checked against the ledger
 * as one dry run, then written in atomic batches. The kinds and their state
 * are core/kinds/deliveries.c and tables.c.
 */
#include <msgpack.h>

#include "log/log.h"


/* ---- bodies and the single writes ---- */

size_t corridor_record_body(const struct corridor_delivery_request *r, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char q[2] = { r->quality ? r->quality : 'A', 0 };
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "contract", 8);
	corridor_mp_pack_str(&pk, r->contract, strlen(r->contract));
	corridor_mp_pack_str(&pk, "end", 3);
	msgpack_pack_int64(&pk, r->end_s);
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

int corridor_delivery_request_check(const struct corridor_delivery_request *r, struct corridor_diag *diag)
{
	if (!r->contract || !corridor_party_id_valid(r->contract))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "contract: not a contract id");
	if (!r->meter || !corridor_meter_id_ok(r->meter))
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
	uint8_t body[CORRIDOR_DELIVERY_BODY_BYTES_MAX];
	int err = corridor_delivery_request_check(r, diag);
	if (err)
		return err;
	size_t n = corridor_record_body(r, body, sizeof body);
	CORRIDOR_ASSERT(n > 0);
	/* the reference, if given, is the reading's identity */
	return corridor_append_one(l, s, "delivery.record", body, n, r->reference, seq, diag);
}

size_t corridor_correct_body(uint64_t supersedes, int64_t start_s, int64_t quantity, char quality,
			     const char *reason, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	bool at = start_s != INT64_MIN;
	char q[2] = { quality, 0 };
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 2u + (quality ? 1u : 0u) + (reason ? 1u : 0u) + (at ? 1u : 0u));
	if (quality) {
		corridor_mp_pack_str(&pk, "quality", 7);
		corridor_mp_pack_str(&pk, q, 1);
	}
	corridor_mp_pack_str(&pk, "quantity", 8);
	msgpack_pack_int64(&pk, quantity);
	if (reason) {
		corridor_mp_pack_str(&pk, "reason", 6);
		corridor_mp_pack_str(&pk, reason, strlen(reason));
	}
	if (at) {
		corridor_mp_pack_str(&pk, "start", 5);
		msgpack_pack_int64(&pk, start_s);
	}
	corridor_mp_pack_str(&pk, "supersedes", 10);
	msgpack_pack_uint64(&pk, supersedes);
	return w.overflow ? 0 : w.len;
}

int corridor_delivery_correct_at(struct corridor_ledger *l, const struct corridor_signer *s,
				 uint64_t supersedes, int64_t start_s, int64_t quantity,
				 const char *reason, const char *idem, uint64_t *seq,
				 struct corridor_diag *diag)
{
	uint8_t body[CORRIDOR_CORRECT_BODY_BYTES_MAX];
	if (quantity < 0 || quantity >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "quantity: 0 <= q < 10^12 with at most 3 decimals");
	if (reason && (strlen(reason) == 0 || strlen(reason) > CORRIDOR_REASON_BYTES_MAX ||
		       !corridor_utf8_valid((const uint8_t *)reason, strlen(reason))))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "reason: 1-%u bytes of UTF-8",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag) != 0)
		return CORRIDOR_E_INVALID;
	size_t n = corridor_correct_body(supersedes, start_s, quantity, 0, reason, body, sizeof body);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, "delivery.correct", body, n, idem, seq, diag);
}

int corridor_delivery_correct(struct corridor_ledger *l, const struct corridor_signer *s,
			      uint64_t supersedes, int64_t quantity, const char *reason,
			      const char *idem, uint64_t *seq, struct corridor_diag *diag)
{
	return corridor_delivery_correct_at(l, s, supersedes, INT64_MIN, quantity, reason, idem,
					    seq, diag);
}

/* A series as a request: its shape (the kind checks the rest). */
static int series_check(const struct corridor_series *s, struct corridor_diag *diag)
{
	if (!corridor_party_id_valid(s->contract))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "contract: not a contract id");
	if (!corridor_meter_id_ok(s->meter))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "meter: 1-%u bytes without spaces", CORRIDOR_METER_ID_BYTES_MAX);
	if (!corridor_resolution_ok(s->resolution_s))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "resolution: PT15M, PT30M or PT60M");
	if (s->count == 0 || s->count > CORRIDOR_SERIES_POINTS_MAX ||
	    strnlen(s->quality, sizeof s->quality) != s->count)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "points: 1-%u, one quality each", CORRIDOR_SERIES_POINTS_MAX);
	for (uint32_t i = 0; i < s->count; i++)
		if (!corridor_quality_ok(s->quality[i]) || s->quantity_milli[i] < 0 ||
		    s->quantity_milli[i] >= CORRIDOR_QUANTITY_MILLI_LIMIT ||
		    (s->quality[i] == CORRIDOR_QUALITY_MISSING && s->quantity_milli[i] != 0))
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "point %u: a quantity 0 <= q < 10^12 and a quality "
						 "(A E M J I C T; M: missing, quantity 0)",
						 i + 1);
	return CORRIDOR_OK;
}

int corridor_delivery_series(struct corridor_ledger *l, const struct corridor_signer *signer,
			     const struct corridor_series *s, uint64_t *seq,
			     struct corridor_diag *diag)
{
	uint8_t body[CORRIDOR_SERIES_BODY_BYTES_MAX];
	int err = series_check(s, diag);
	if (err)
		return err;
	size_t n = corridor_series_body(s, body, sizeof body);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, signer, "delivery.series", body, n, NULL, seq, diag);
}

/* ---- listing ---- */

struct dlist_ctx {
	const char *contract;
	int32_t first_day;
	int32_t offset_min;
	int32_t next_day;
	corridor_delivery_fn fn;
	void *ctx;
	struct corridor_kv *kv;
};

static int dlist_series_point(void *vctx, const struct corridor_delivery *d)
{
	struct dlist_ctx *c = vctx;
	return c->fn(c->ctx, d);
}

static int dlist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct dlist_ctx *c = vctx;
	struct corridor_delivery d;
	if (klen == 9 && k[8] == 'S') { /* a series: its points */
		if (vlen < 9 || vlen - 8 != strlen(c->contract) ||
		    memcmp(v + 8, c->contract, vlen - 8) != 0)
			return CORRIDOR_OK;
		return corridor_series_readings(c->kv, corridor_be64_get(k), dlist_series_point, c);
	}
	if (klen != 8 || corridor_reading_decode(corridor_be64_get(k), v, vlen, &d) != 0)
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

static int delivery_list_fn(const struct corridor_snapshot *snap, void *vctx,
			    struct corridor_diag *diag)
{
	struct dlist_ctx *dc = vctx;
	struct corridor_contract *c = malloc(sizeof *c);
	int err;
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (corridor_contract_record(snap->kv, dc->contract, c) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no contract %s", dc->contract);
	} else {
		int32_t first_day = dc->first_day;
		dc->offset_min = c->version_count ? c->versions[0].terms.utc_offset_min : 0;
		dc->next_day = first_day < 0 ? 0
					     : first_day + (int32_t)corridor_month_days(first_day);
		err = first_day >= 0
			      ? corridor_day_readings(snap->kv, dc->contract, first_day,
						      (int32_t)corridor_month_days(first_day),
						      dc->offset_min, dc->fn, dc->ctx)
			      : (dc->kv = snap->kv,
				 snap->kv->scan(snap->kv, STATE_DELIVERIES, NULL, 0, dlist_one, dc));
		if (err < 0)
			err = corridor_diag_set(diag, err, "cannot read the deliveries");
	}
	free(c);
	return err;
}

int corridor_delivery_list(struct corridor_ledger *l, const char *contract, int32_t first_day,
			   corridor_delivery_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct dlist_ctx dc = { .contract = contract, .first_day = first_day, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, delivery_list_fn, &dc, diag);
}
