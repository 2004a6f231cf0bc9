/*
 * deliveries.c — the delivery service: delivery.record and delivery.correct
 * drafts, the delivery list, and the CSV import: every row decoded
 * (formats/rows.c) and checked, then all of them checked against the ledger
 * as one dry run, then written in atomic batches. The kinds and their state
 * are core/kinds/deliveries.c and tables.c.
 */
#include <msgpack.h>

#include "log/log.h"

#define DELIVERY_BODY_BYTES_MAX 512u

/* ---- bodies and the single writes ---- */

static size_t record_body(const struct corridor_delivery_request *r, uint8_t *buf, size_t cap)
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

static int request_check(const struct corridor_delivery_request *r, struct corridor_diag *diag)
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
	uint8_t body[DELIVERY_BODY_BYTES_MAX];
	int err = request_check(r, diag);
	if (err)
		return err;
	size_t n = record_body(r, body, sizeof body);
	CORRIDOR_ASSERT(n > 0);
	/* the reference, if given, is the reading's identity */
	return corridor_append_one(l, s, "delivery.record", body, n, r->reference, seq, diag);
}

int corridor_delivery_correct_at(struct corridor_ledger *l, const struct corridor_signer *s,
				 uint64_t supersedes, int64_t start_s, int64_t quantity,
				 const char *reason, const char *idem, uint64_t *seq,
				 struct corridor_diag *diag)
{
	uint8_t body[DELIVERY_BODY_BYTES_MAX + CORRIDOR_REASON_BYTES_MAX];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	bool at = start_s != INT64_MIN;
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
	msgpack_pack_map(&pk, 2u + (reason ? 1u : 0u) + (at ? 1u : 0u));
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
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, s, "delivery.correct", body, w.len, idem, seq, diag);
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

/* ---- CSV import ---- */

/* A parsed row: its line, fields and canonical body, kept in one arena (a
 * million rows take their bodies' bytes, about 150 each, and a little more). */
struct row {
	unsigned line;
	char quality;
	uint32_t body_len;
	size_t body_off; /* body, then reference, contract and meter, each NUL-ended */
	int64_t start_s, end_s, quantity_milli;
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

/* The row's reference: its identity as a single reading, kept after its body. */
static const char *row_ref(const struct rows *rs, const struct row *r)
{
	return (const char *)rs->arena + r->body_off + r->body_len;
}

static const char *row_contract(const struct rows *rs, const struct row *r)
{
	const char *ref = row_ref(rs, r);
	return ref + strlen(ref) + 1;
}

static const char *row_meter(const struct rows *rs, const struct row *r)
{
	const char *c = row_contract(rs, r);
	return c + strlen(c) + 1;
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
	const struct corridor_delivery_request *q = &p->row.r;
	size_t rlen = strlen(p->row.reference), cl = strlen(q->contract), ml = strlen(q->meter);
	size_t need = p->body_len + rlen + cl + ml + 3;
	if (rs->arena_cap - rs->used < need) {
		size_t cap = rs->arena_cap ? 2 * rs->arena_cap : (size_t)1 << 20;
		uint8_t *n = realloc(rs->arena, cap);
		if (!n)
			return CORRIDOR_E_NOMEM;
		rs->arena = n;
		rs->arena_cap = cap;
	}
	uint8_t *at = rs->arena + rs->used;
	memcpy(at, p->body, p->body_len);
	at += p->body_len;
	memcpy(at, p->row.reference, rlen + 1);
	at += rlen + 1;
	memcpy(at, q->contract, cl + 1);
	at += cl + 1;
	memcpy(at, q->meter, ml + 1);
	rs->r[rs->count++] = (struct row){ .line = p->row.line, .body_len = (uint32_t)p->body_len,
					   .body_off = rs->used, .start_s = q->start_s,
					   .end_s = q->end_s, .quantity_milli = q->quantity_milli,
					   .quality = q->quality ? q->quality : 'A' };
	rs->used += need;
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

/* ---- rows into writes: a series per (contract, meter, local day), else single readings ---- */

/* One write of the import: a series of rows, or one row as a single reading. */
struct unit {
	size_t first;   /* into order[] */
	uint32_t nrows; /* rows it carries: 1 for a single reading */
	bool series, skip;
	uint8_t *body;  /* a series' body (malloc'd); a single reading's is its row's */
	size_t body_len;
};

struct plan {
	size_t *order; /* row indexes, grouped */
	struct unit *u;
	size_t nu;
};

static void plan_release(struct plan *pl)
{
	for (size_t i = 0; pl->u && i < pl->nu; i++)
		free(pl->u[i].body);
	free(pl->u);
	free(pl->order);
	memset(pl, 0, sizeof *pl);
}

struct sort_key {
	const char *contract, *meter;
	int64_t day, start_s;
	size_t i;
};

static int key_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c = strcmp(x->contract, y->contract);
	if (!c)
		c = strcmp(x->meter, y->meter);
	if (!c)
		c = x->day < y->day ? -1 : x->day > y->day;
	if (!c)
		c = x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
	if (!c)
		c = x->i < y->i ? -1 : x->i > y->i;
	return c;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0 ? 1 : 0);
}

/* Rows k[0..n) of one (contract, meter, local day) make one series when there
 * are at least two, all of one resolution, on one grid from the first, in at
 * most CORRIDOR_SERIES_POINTS_MAX points; the gaps are missing points. */
static bool series_fits(const struct rows *rs, const struct sort_key *k, size_t n)
{
	if (n < 2)
		return false;
	int64_t res = rs->r[k[0].i].end_s - rs->r[k[0].i].start_s;
	if (!corridor_resolution_ok(res))
		return false;
	for (size_t j = 0; j < n; j++) {
		const struct row *r = &rs->r[k[j].i];
		if (r->end_s - r->start_s != res || (r->start_s - k[0].start_s) % res != 0 ||
		    (j && r->start_s == k[j - 1].start_s))
			return false;
	}
	return (k[n - 1].start_s - k[0].start_s) / res < CORRIDOR_SERIES_POINTS_MAX;
}

/* The contract's UTC offset as the import sees it; false if it has none. */
static bool contract_offset(struct corridor_kv *kv, const char *id, int32_t *offset_min)
{
	struct corridor_contract *c = malloc(sizeof *c);
	bool ok = c && corridor_contract_record(kv, id, c) == 0 && c->version_count > 0;
	if (ok)
		*offset_min = c->versions[0].terms.utc_offset_min;
	free(c);
	return ok;
}

/* Groups the rows, in the order of their contract, meter, local day and
 * start; a series' points are filled in later, against the ledger. */
static int plan_build(struct corridor_kv *kv, const struct rows *rs, struct plan *pl,
		      struct corridor_diag *diag)
{
	size_t n = rs->count;
	struct sort_key *k = malloc((n ? n : 1) * sizeof *k);
	pl->order = malloc((n ? n : 1) * sizeof *pl->order);
	pl->u = calloc(n ? n : 1, sizeof *pl->u);
	if (!k || !pl->order || !pl->u) {
		free(k);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	const char *last = NULL;
	int32_t off = 0;
	bool known = false;
	for (size_t i = 0; i < n; i++) {
		const char *c = row_contract(rs, &rs->r[i]);
		if (!last || strcmp(last, c) != 0)
			known = contract_offset(kv, c, &off);
		last = c;
		/* a row of an unknown contract stays single: its append says why */
		k[i] = (struct sort_key){ .contract = c, .meter = row_meter(rs, &rs->r[i]),
					  .day = known ? floor_div(rs->r[i].start_s + off * 60,
								   SECONDS_PER_DAY)
						       : INT64_MIN + (int64_t)i,
					  .start_s = rs->r[i].start_s, .i = i };
	}
	qsort(k, n, sizeof *k, key_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && k[j].day == k[i].day && !strcmp(k[j].meter, k[i].meter) &&
		       !strcmp(k[j].contract, k[i].contract))
			j++;
		if (series_fits(rs, k + i, j - i)) {
			pl->u[pl->nu++] = (struct unit){ .first = i, .nrows = (uint32_t)(j - i),
							 .series = true };
		} else {
			for (size_t q = i; q < j; q++)
				pl->u[pl->nu++] = (struct unit){ .first = q, .nrows = 1 };
		}
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		pl->order[i] = k[i].i;
	free(k);
	return CORRIDOR_OK;
}

struct live_ctx {
	const char *recorder, *meter;
	struct corridor_delivery *d;
	size_t n, cap;
	int err;
};

static int live_one(void *vctx, const struct corridor_delivery *d)
{
	struct live_ctx *c = vctx;
	if (d->superseded_by || strcmp(d->recorder, c->recorder) || strcmp(d->meter, c->meter))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		void *nd = realloc(c->d, cap * sizeof *c->d);
		if (!nd)
			return CORRIDOR_E_NOMEM;
		c->d = nd;
		c->cap = cap;
	}
	c->d[c->n++] = *d;
	return 0;
}

/* A series' points from its rows, less those the recorder's live readings
 * of the same interval hold already with the same values (re-imported: they
 * append nothing). A point recorded with other values is refused: a
 * correction names what it corrects (`delivery correct`). The body is left
 * NULL when nothing is new. */
static int series_fill(struct corridor_kv *kv, const char *recorder, const struct rows *rs,
		       const struct plan *pl, struct unit *u, struct corridor_diag *diag)
{
	const struct row *r0 = &rs->r[pl->order[u->first]];
	const char *contract = row_contract(rs, r0), *meter = row_meter(rs, r0);
	int32_t off = 0;
	struct corridor_series *s = calloc(1, sizeof *s);
	struct live_ctx lc = { .recorder = recorder, .meter = meter };
	int err = CORRIDOR_OK;
	if (!s)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	bool grouped = contract_offset(kv, contract, &off); /* only known contracts group */
	CORRIDOR_ASSERT(grouped);
	int64_t res = r0->end_s - r0->start_s;
	int32_t day = (int32_t)floor_div(r0->start_s + off * 60, SECONDS_PER_DAY);
	if ((err = corridor_day_readings(kv, contract, day, 1, off, live_one, &lc)) != 0) {
		err = corridor_diag_set(diag, err, "cannot read the readings of %s", contract);
		goto out_free;
	}
	snprintf(s->contract, sizeof s->contract, "%s", contract);
	snprintf(s->meter, sizeof s->meter, "%s", meter);
	s->resolution_s = (uint32_t)res;
	int64_t first = INT64_MAX, last = INT64_MIN;
	int64_t q[CORRIDOR_SERIES_POINTS_MAX];
	char qual[CORRIDOR_SERIES_POINTS_MAX];
	memset(qual, CORRIDOR_QUALITY_MISSING, sizeof qual);
	memset(q, 0, sizeof q);
	for (uint32_t j = 0; j < u->nrows && !err; j++) {
		const struct row *r = &rs->r[pl->order[u->first + j]];
		bool held = false;
		for (size_t x = 0; x < lc.n && !held; x++) {
			const struct corridor_delivery *d = &lc.d[x];
			if (d->start_s != r->start_s || d->end_s != r->end_s)
				continue;
			held = true;
			if (d->quantity_milli != r->quantity_milli || d->quality != r->quality)
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: the interval was recorded at seq %llu "
							"with other values; a correction names it "
							"(delivery correct --supersedes %llu)",
							r->line, (unsigned long long)d->seq,
							(unsigned long long)d->seq);
		}
		if (held)
			continue;
		size_t i = (size_t)((r->start_s - r0->start_s) / res);
		q[i] = r->quantity_milli;
		qual[i] = r->quality;
		first = r->start_s < first ? r->start_s : first;
		last = r->start_s > last ? r->start_s : last;
	}
	if (err || first == INT64_MAX) {
		u->skip = !err;
		goto out_free;
	}
	size_t i0 = (size_t)((first - r0->start_s) / res);
	s->start_s = first;
	s->count = (uint32_t)((last - first) / res + 1);
	for (uint32_t j = 0; j < s->count; j++) {
		s->quantity_milli[j] = q[i0 + j];
		s->quality[j] = qual[i0 + j];
	}
	if (!(u->body = malloc(CORRIDOR_SERIES_BODY_BYTES_MAX))) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	u->body_len = corridor_series_body(s, u->body, CORRIDOR_SERIES_BODY_BYTES_MAX);
	CORRIDOR_ASSERT(u->body_len > 0);
out_free:
	free(lc.d);
	free(s);
	return err;
}

static struct draft unit_draft(const struct rows *rs, const struct plan *pl, const struct unit *u)
{
	const struct row *r = &rs->r[pl->order[u->first]];
	if (u->series)
		return (struct draft){ .kind = "delivery.series", .body = u->body,
				       .body_len = u->body_len };
	return (struct draft){ .kind = "delivery.record", .body = row_body(rs, r),
			       .body_len = r->body_len, .idem = row_ref(rs, r) };
}

/* The dry run: every write through the same checks an append makes, against
 * the ledger as it is, with the state changes kept in memory. What was
 * imported before with the same values is marked to skip. Remote: no
 * grouping (the contracts' local days are the server's), one reading a row. */
static int dry_run(struct corridor_ledger *l, const struct corridor_signer *signer,
		   const struct rows *rs, struct plan *pl, struct corridor_diag *diag)
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
	err = plan_build(&dr.ov.base, rs, pl, diag);
	for (size_t i = 0; i < pl->nu && !err; i++) {
		struct unit *u = &pl->u[i];
		const struct row *r = &rs->r[pl->order[u->first]];
		if (u->series) {
			if ((err = series_fill(&dr.ov.base, vk->name, rs, pl, u, diag)) != 0 || u->skip)
				continue;
		} else {
			const uint8_t *body = row_body(rs, r);
			const char *ref = row_ref(rs, r);
			size_t rlen = strlen(ref);
			CORRIDOR_ASSERT(rlen > 0); /* every imported row carries its reference */
			uint64_t at;
			if (corridor_idem_lookup(&dr.ov.base, vk->name, "delivery.record", ref, rlen,
						 &at) == 0) {
				/* Imported before (or earlier in this file): the same values? */
				bool same = false;
				if (at >= dr.head.size) {
					const struct unit *twin = &pl->u[fresh[at - dr.head.size]];
					const struct row *tr = &rs->r[pl->order[twin->first]];
					same = !twin->series && tr->body_len == r->body_len &&
					       !memcmp(row_body(rs, tr), body, r->body_len);
				} else {
					struct corridor_entry e;
					same = corridor_entry_in(l, dr.txn, at, &e, NULL, NULL) == 0 &&
					       e.body_len == r->body_len &&
					       !memcmp(e.body, body, r->body_len);
				}
				if (!same)
					err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
								"line %u: reference %.*s was imported at "
								"seq %llu with other values",
								r->line, (int)rlen, ref,
								(unsigned long long)at);
				u->skip = true;
				continue;
			}
		}
		struct draft d = unit_draft(rs, pl, u);
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, vk, &d, dr.head.size + nfresh, dr.head.time_us,
					     dr.head.tip, &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", r->line, rd.text);
		fresh[nfresh++] = i;
	}
	corridor_dry_run_end(&dr);
	free(fresh);
	return err;
}

/* The import into a remote ledger: the server checks and sequences. */
static int import_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
			 struct rows *rs, size_t batch, corridor_committed_fn committed, void *ctx,
			 size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	struct draft *drafts = calloc(rs->count ? rs->count : 1, sizeof *drafts);
	unsigned *lines = calloc(rs->count ? rs->count : 1, sizeof *lines);
	int err = drafts && lines ? CORRIDOR_OK
				  : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < rs->count && !err; i++) {
		drafts[i] = (struct draft){ .kind = "delivery.record",
					    .body = row_body(rs, &rs->r[i]),
					    .body_len = rs->r[i].body_len,
					    .idem = row_ref(rs, &rs->r[i]) };
		lines[i] = rs->r[i].line;
	}
	if (!err)
		err = corridor_import_remote(l, signer, drafts, lines, rs->count, batch, committed,
					     ctx, written, skipped, diag);
	free(drafts);
	free(lines);
	return err;
}

int corridor_delivery_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			     const char *csv, size_t len, size_t batch, corridor_committed_fn committed,
			     void *ctx, size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	struct rows rs = { 0 };
	struct plan pl = { 0 };
	*written = *skipped = 0;
	if (batch == 0 || batch > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "batch size must be 1..%u",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	if (len > CORRIDOR_IMPORT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB");
	int err = read_rows(csv, len, &rs, diag);
	if (err)
		goto out_free;
	if (corridor_ledger_is_remote(l)) {
		err = import_remote(l, signer, &rs, batch, committed, ctx, written, skipped, diag);
		goto out_free;
	}
	if ((err = dry_run(l, signer, &rs, &pl, diag)) != 0)
		goto out_free;
	struct draft *drafts = calloc(batch, sizeof *drafts);
	uint64_t *seqs = calloc(batch, sizeof *seqs);
	uint32_t *carried = calloc(batch, sizeof *carried);
	if (!drafts || !seqs || !carried) {
		free(drafts);
		free(seqs);
		free(carried);
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	size_t i = 0;
	while (i < pl.nu && !err) {
		size_t n = 0, rows = 0;
		for (; i < pl.nu && n < batch; i++) {
			if (pl.u[i].skip) {
				*skipped += pl.u[i].nrows;
				continue;
			}
			carried[n] = pl.u[i].nrows;
			rows += pl.u[i].nrows;
			drafts[n++] = unit_draft(&rs, &pl, &pl.u[i]);
		}
		if (n == 0)
			break;
		size_t appended = 0;
		err = corridor_append(l, signer, drafts, n, seqs, &appended, diag);
		if (!err) {
			/* rows, as the file counts them; a write elsewhere meanwhile has an
			 * older seq than this batch's new entries, which end the log */
			uint64_t top = 0;
			for (size_t k = 0; k < n; k++)
				top = seqs[k] > top ? seqs[k] : top;
			for (size_t k = 0; k < n; k++) {
				bool fresh = appended && seqs[k] + appended > top;
				*(fresh ? written : skipped) += carried[k];
			}
			if (committed && appended)
				committed(ctx, seqs[0], seqs[n - 1]);
		}
	}
	free(drafts);
	free(seqs);
	free(carried);
out_free:
	plan_release(&pl);
	rows_release(&rs);
	return err;
}
